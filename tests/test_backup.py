"""Backing up, restoring and damaged archives, as an administrator meets them: the `wixarchive`
command in a subprocess, on real SQLite files (docs/operations.md, Backing up)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.outputs import REPO, build_outputs_archive
from tests.processes import HANG_GUARD


def run(*args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(REPO)}
    environ.pop("WIXARCHIVE_DB", None)
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          encoding="utf-8", env=environ, timeout=HANG_GUARD)


def damage_tables(path: Path, *tables: str) -> None:
    """Overwrite the root page of each table and its indexes with garbage, as a disk error or
    a restored file read through another file's -wal leaves them: the schema still reads, so
    the archive opens, and the damage is met by the queries that read those tables."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    marks = ", ".join("?" * len(tables))
    roots = [root for (root,) in conn.execute(
        f"SELECT rootpage FROM sqlite_master WHERE tbl_name IN ({marks}) AND rootpage > 0",
        tables)]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    for root in roots:
        data[(root - 1) * page_size:root * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))


def test_damaged_tables_give_one_line_errors_and_check_names_the_damage(
        tmp_path: Path) -> None:
    """Found restoring a backup over a folder that still held the live archive's -wal: SQLite
    read the restored file through it, and `stats`, `show`, `history`, `export`, `serve` and
    even `check` (once a capture file was missing) ended in a Python traceback,
    `sqlite3.DatabaseError: database disk image is malformed`. Now one `Error:` line, exit 1;
    `check` reports the damage as problems (its JSON object too) and says to restore."""
    path = build_outputs_archive(tmp_path / "archive.db")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO capture_files (name, created_at, bytes, closed_at) VALUES "
                 "('gone.warc.gz', '2024-06-01T00:00:00+00:00', 10, "
                 "'2024-06-01T00:00:00+00:00')")  # a missing file: check describes its records
    conn.commit()
    conn.close()
    damage_tables(path, "posts", "captures")
    for command in (["stats"], ["show", "1"], ["history", "1"],
                    ["export", "--format", "jsonl", str(tmp_path / "out.jsonl")], ["check"]):
        result = run(*command, "--db", str(path))
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.splitlines()[-1].startswith("Error: "), (command, result.stderr)
        assert "damaged" in result.stderr, (command, result.stderr)
    result = run("check", "--json", "--db", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert "unreadable: database disk image is malformed" in report["problems"]
    assert "restore it from a backup" in result.stderr
