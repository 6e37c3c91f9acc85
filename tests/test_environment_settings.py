"""WIXARCHIVE_BUSY_TIMEOUT_MS and WIXARCHIVE_SORT_EVERY_COLUMN_BELOW were silently ignored when
not digits ("2s": 30 s and 50,000 posts), and the Python API's crawl with a wrong numeric crawl
variable ended each site on Python's conversion message: each is now one line naming the
variable, exit 2 for a command, a documented exception for a library caller."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import wixarchive
from archive.store import Archive

REPO = Path(__file__).resolve().parents[1]
BUSY = "WIXARCHIVE_BUSY_TIMEOUT_MS"
SORT = "WIXARCHIVE_SORT_EVERY_COLUMN_BELOW"


def run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO), **env})


@pytest.fixture
def archive_file(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    Archive.open(path, create=True).close()
    return path


@pytest.mark.parametrize("args", [
    ("search", "garden"), ("sites", "list"), ("check",), ("history", "http://a.com/post/x"),
    ("serve",), ("crawl", "http://127.0.0.1:9/")])
@pytest.mark.parametrize("value", ["2s", "-1", "1.5"])
def test_a_wrong_busy_timeout_is_one_line_exit_2(tmp_path: Path, archive_file: Path,
                                                 args: tuple[str, ...], value: str) -> None:
    before = sorted(tmp_path.iterdir())
    done = run(tmp_path, {BUSY: value}, "-m", "archive.cli", *args, "--db", str(archive_file))
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == f"Error: {BUSY} must be a whole number, 0 or more (got {value!r})\n"
    assert sorted(tmp_path.iterdir()) == before


def test_a_library_caller_gets_an_archive_error_naming_it(tmp_path: Path,
                                                          archive_file: Path) -> None:
    done = run(tmp_path, {BUSY: "30s"}, "-c", """
import sys, wixarchive
try:
    wixarchive.open(sys.argv[1])
except wixarchive.ArchiveError as exc:
    print(type(exc).__name__, exc)
""", str(archive_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ArchiveSettingError {BUSY} must be a whole number, 0 or more " \
                          "(got '30s')\n"


def test_a_good_busy_timeout_is_read(tmp_path: Path) -> None:
    done = run(tmp_path, {BUSY: " 1200 "}, "-c",
               "from archive.connection import BUSY_TIMEOUT_MS as t; print(t)")
    assert done.stdout == "1200\n", done.stderr


@pytest.mark.parametrize("value", ["50k", "-5"])
def test_serve_refuses_a_wrong_sort_threshold(tmp_path: Path, archive_file: Path,
                                              value: str) -> None:
    done = run(tmp_path, {SORT: value}, "-m", "archive.cli", "serve", "--db", str(archive_file),
               "--port", "0")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == f"Error: {SORT} must be a whole number, 0 or more (got {value!r})\n"


def test_the_sort_threshold_raises_for_a_library_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.web import sort_every_column_below

    monkeypatch.setenv(SORT, "lots")
    with pytest.raises(ValueError, match=f"^{SORT} must be a whole number, 0 or more"):
        sort_every_column_below()
    monkeypatch.setenv(SORT, "200000")
    assert sort_every_column_below() == 200_000


@pytest.mark.parametrize(("name", "value", "takes"), [
    ("WIXARCHIVE_MAX_SERVER_ERRORS", "abc", "a whole number"),
    ("WIXARCHIVE_RETRY_AFTER_MAX", "60s", "a number of seconds")])
def test_the_api_crawl_refuses_a_wrong_crawl_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str,
        takes: str) -> None:
    """It crawled, and each site's summary said "crawl failed: could not convert string to
    float: '60s'"."""
    monkeypatch.setenv(name, value)
    message = f"^{name} must be {takes}, 0 or more \\(got '{value}'\\)$"
    with pytest.raises(ValueError, match=message):
        wixarchive.crawl("http://127.0.0.1:9/", tmp_path / "a.db")
    with pytest.raises(ValueError, match=message):
        wixarchive.run_due(tmp_path / "b.db")
    assert list(tmp_path.iterdir()) == []
