"""The crawl's settings read from the environment (crawler.run: WIXARCHIVE_MAX_SERVER_ERRORS,
WIXARCHIVE_RETRY_AFTER_MAX, …), checked before a crawling command starts anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NUMERIC = {"WIXARCHIVE_MAX_SERVER_ERRORS": "a whole number", "WIXARCHIVE_RETRY_AFTER_STOP":
           "a whole number", "WIXARCHIVE_RETRY_AFTER_MAX": "a number of seconds",
           "WIXARCHIVE_MAX_FAILING_SECONDS": "a number of seconds",
           "WIXARCHIVE_BACKOFF_MAX": "a number of seconds"}


def wixarchive(tmp_path: Path, name: str, value: str, *args: str
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO), name: value})


@pytest.mark.parametrize(("name", "value"), [
    *((name, "abc") for name in NUMERIC), ("WIXARCHIVE_MAX_SERVER_ERRORS", "2.5"),
    ("WIXARCHIVE_RETRY_AFTER_MAX", "-1"), ("WIXARCHIVE_BACKOFF_MAX", "nan")])
def test_a_bad_numeric_setting_is_one_line_before_the_crawl_starts(
        tmp_path: Path, name: str, value: str) -> None:
    """The crawl started and each site ended on Python's conversion message ("crawl failed:
    could not convert string to float: 'abc'"), exit 0, naming neither the setting nor what it
    takes."""
    done = wixarchive(tmp_path, name, value, "crawl", "http://127.0.0.1:9/", "--db", "a.db")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr == (f"Error: {name} must be {NUMERIC[name]}, 0 or more "
                           f"(got {value!r})\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [
    ("run-due", "--db", "a.db"),
    ("crawl", "http://127.0.0.1:9/", "--redis", "redis://127.0.0.1:9/0", "--db", "a.db"),
    ("worker", "--redis", "redis://127.0.0.1:9/0"),
])
def test_every_crawling_command_checks_them(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = wixarchive(tmp_path, "WIXARCHIVE_RETRY_AFTER_MAX", "60s", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr == ("Error: WIXARCHIVE_RETRY_AFTER_MAX must be a number of seconds, 0 or "
                           "more (got '60s')\n")
    assert list(tmp_path.iterdir()) == []


def test_good_values_pass(tmp_path: Path) -> None:
    """Values the crawl reads (a whole number of seconds, decimals, spaces) go on to the crawl:
    here one of a site that answers nothing, which fails as such."""
    env = {name: " 7 " for name in NUMERIC} | {"WIXARCHIVE_RETRY_AFTER_MAX": "0.5"}
    done = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", "http://127.0.0.1:9/",
                           "--db", "a.db"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO), **env})
    assert "must be" not in done.stderr and "could not convert" not in done.stderr, done.stderr
