"""Run rows record their process, so a run left `running` by a process that is gone is told
from one under way, and closed as interrupted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archive.cli import main
from archive.store import Archive


def test_runs_of_dead_processes_are_closed_and_live_ones_left(tmp_path: Path):
    db = tmp_path / "archive.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    with Archive.open(db) as archive:
        dead = archive.start_run("https://a.example/", pid=int(gone.stdout))
        mine = archive.start_run("https://b.example/")
        # This process exists, but started long after this run: its pid was reused.
        reused = archive.start_run("https://c.example/", started_at="2020-01-01T00:00:00+00:00",
                                   pid=os.getpid())
    result = CliRunner().invoke(main, ["runs", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    with Archive.open(db, readonly=True) as archive:
        status = {run["id"]: run for run in archive.runs()}
    assert status[mine]["status"] == "running"
    for run_id in (dead, reused):
        assert status[run_id]["status"] == "interrupted"
        assert status[run_id]["finished_at"]
        assert "ended before the run was closed" in status[run_id]["errors"][0]
