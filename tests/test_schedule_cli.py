"""`wixarchive runs` and the run-due command line, on archives filled through the store API."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from archive.cli import main
from archive.schedule import sites as sites_file
from archive.schedule.locks import SiteLock, lock_path
from archive.store import Archive

DOWN = "https://down.example/"
FINE = "https://fine.example/"


def wix(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def record(archive: Archive, site: str, status: str, day: int, error: str | None = None) -> None:
    run = archive.start_run(site, started_at=f"2026-05-{day:02d}T03:00:00+00:00")
    archive.finish_run(run, status=status, counts={"new": 1} if status == "ok" else {},
                       errors=[error] if error else [],
                       finished_at=f"2026-05-{day:02d}T03:01:00+00:00")


def history(db: Path) -> None:
    with Archive.open(db) as archive:
        record(archive, DOWN, "ok", 1)
        for day in (2, 3, 4):
            record(archive, DOWN, "failed", day, f"could not reach {DOWN}: DNS lookup failed")
        record(archive, FINE, "failed", 2, "HTTP 503")
        record(archive, FINE, "ok", 3)
        # Its process died: the run row names a process that is gone.
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
        archive.start_run(FINE, started_at="2026-05-04T03:00:00+00:00", pid=int(gone.stdout))


def test_runs_lists_history_and_a_site_that_keeps_failing_stands_out(tmp_path: Path):
    db = tmp_path / "archive.db"
    history(db)
    result = wix("runs", "--db", str(db))
    assert result.exit_code == 0
    table, _, failing = result.output.partition("Failing sites:")
    # `running`, but its process is gone: closed as interrupted, saying why.
    assert "interrupted" in table and "ended before the run was closed" in table
    assert "↳ could not reach" in table
    assert failing.strip().splitlines() == [
        f"✗ {DOWN}: 3 failed run(s) in a row (last ok 2026-05-01 03:00): "
        f"could not reach {DOWN}: DNS lookup failed"]

    check = wix("runs", "--db", str(db), "--failing")
    assert check.exit_code == 1 and DOWN in check.output and FINE not in check.output

    rows = json.loads(wix("runs", "--db", str(db), "--json", "--site", FINE + "post/x").output)
    assert [r["status"] for r in rows] == ["interrupted", "ok", "failed"]
    assert rows[1]["new"] == 1 and rows[1]["seconds"] == 60


def test_a_crawl_in_progress_shows_as_running_not_killed(tmp_path: Path):
    db = tmp_path / "archive.db"
    history(db)
    with Archive.open(db) as archive:  # a crawl by this (live) process
        archive.start_run(FINE)
    with SiteLock.acquire(lock_path(db, FINE), site=FINE, now=datetime.now(UTC)):
        rows = json.loads(wix("runs", "--db", str(db), "--json", "-n", "1").output)
    assert rows[0]["status"] == "running"


def test_run_due_refuses_a_missing_sites_file_instead_of_doing_nothing(tmp_path: Path):
    result = wix("run-due", "--db", str(tmp_path / "archive.db"))
    assert result.exit_code == 1
    assert "no sites file at" in result.output and "sites add" in result.output


def test_run_due_quiet_prints_nothing_when_nothing_is_due(tmp_path: Path):
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        record(archive, FINE, "ok", 3)
    sites_file.add(tmp_path / "archive.sites.toml", {"url": FINE, "every": "1w"})
    env = {"WIXARCHIVE_NOW": "2026-05-04T04:00:00Z"}
    quiet = CliRunner().invoke(main, ["run-due", "--db", str(db), "-q"], env=env)
    assert quiet.exit_code == 0 and quiet.output == ""
    loud = CliRunner().invoke(main, ["run-due", "--db", str(db)], env=env)
    assert loud.output.startswith(f"not-due     {FINE}  next crawl 2026-05-10 03:00 UTC (every 1w)")
