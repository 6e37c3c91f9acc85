"""An SQLite too old for the archive (its tokenizer's `categories` option is 3.25's, the
exports' `AS MATERIALIZED` 3.35's) gets a one-line error naming the version needed, before any
file is made, not a traceback from inside a search. The machine's SQLite is newer, so the test
sets the version Python's sqlite3 module reports, as an old build would."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive import schema


@pytest.mark.parametrize("version", [(3, 24, 0), (3, 31, 1), (3, 34, 1)])
def test_an_older_sqlite_is_named(version: tuple[int, int, int]) -> None:
    problem = schema.sqlite_problem(version)
    assert problem is not None
    assert "SQLite 3.35.0 or newer" in problem
    assert ".".join(map(str, version)) in problem


def test_this_sqlite_runs_wixarchive() -> None:
    assert sqlite3.sqlite_version_info >= schema.MIN_SQLITE
    assert schema.sqlite_problem() is None
    assert schema.sqlite_problem((3, 35, 0)) is None


@pytest.mark.parametrize("command", [["search", "garden"], ["stats"]])
def test_commands_refuse_an_older_sqlite_without_a_traceback(tmp_path: Path,
                                                             command: list[str]) -> None:
    db = tmp_path / "blog.db"
    code = ("import sqlite3, sys\n"
            "sqlite3.sqlite_version_info, sqlite3.sqlite_version = (3, 24, 0), '3.24.0'\n"
            "from archive.cli import main\n"
            "sys.argv = ['wixarchive', *sys.argv[1:]]\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code, *command, "--db", str(db)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: wixarchive needs SQLite 3.35.0 or newer, and this "
                                  "Python uses SQLite 3.24.0")
    assert "Traceback" not in done.stderr
    assert not db.exists()
