"""One lock per site: busy while a process (or the crawler it started) lives, taken over when
its holder was killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.schedule.locks import LockBusy, SiteLock, is_locked, lock_path

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SITE = "https://blog.example/"

# Takes the lock, optionally hands it to a sleeping child (as the runner does with the crawler,
# noting its pid in the lock file when told "crawler", as archive.crawls does), reports the
# PIDs, then waits to be killed.
HOLDER = """
import subprocess, sys, time
from datetime import UTC, datetime
from pathlib import Path
from archive.schedule.locks import SiteLock, record_crawler
lock = SiteLock.acquire(Path(sys.argv[1]), site="s", now=datetime.now(UTC))
child = 0
if sys.argv[2] in ("child", "crawler"):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             pass_fds=(lock.fd,)).pid
if sys.argv[2] == "crawler":
    record_crawler(lock.fd, child)
print(child, flush=True)
time.sleep(60)
"""


def start_holder(path: Path, with_child: bool | str) -> tuple[subprocess.Popen, int]:
    child = with_child if isinstance(with_child, str) else "child" if with_child else "-"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), child],
                            stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())  # the lock is held once this line is printed
    return proc, child


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def test_second_acquire_is_busy_and_names_the_holder(tmp_path: Path):
    path = lock_path(tmp_path / "a.db", SITE)
    with SiteLock.acquire(path, site=SITE, now=NOW) as lock:
        assert lock.stale is None
        assert is_locked(path)
        with pytest.raises(LockBusy) as busy:
            SiteLock.acquire(path, site=SITE, now=NOW)
        assert busy.value.holder.pid == os.getpid()
        assert f"pid {os.getpid()}" in str(busy.value)
    assert not is_locked(path)
    # A clean release leaves nothing stale behind.
    with SiteLock.acquire(path, site=SITE, now=NOW) as again:
        assert again.stale is None


def test_lock_of_a_killed_process_is_detected_and_taken_over(tmp_path: Path):
    path = lock_path(tmp_path / "a.db", SITE)
    proc, _ = start_holder(path, with_child=False)
    with pytest.raises(LockBusy):
        SiteLock.acquire(path, site=SITE, now=NOW)
    kill(proc.pid)
    proc.wait()
    with SiteLock.acquire(path, site=SITE, now=NOW) as lock:
        assert lock.stale is not None and lock.stale.pid == proc.pid


def test_crawler_child_keeps_the_site_locked_after_its_parent_is_killed(tmp_path: Path):
    path = lock_path(tmp_path / "a.db", SITE)
    proc, child = start_holder(path, with_child=True)
    kill(proc.pid)
    proc.wait()
    try:
        with pytest.raises(LockBusy, match="has exited; the crawl it started is still running"):
            SiteLock.acquire(path, site=SITE, now=NOW)
    finally:
        kill(child)
    # The orphan is reaped by init; wait until its descriptor is gone.
    while is_locked(path):
        os.sched_yield()
    with SiteLock.acquire(path, site=SITE, now=NOW) as lock:
        assert lock.stale.pid == proc.pid


def test_a_refusal_names_the_crawler_to_stop_and_says_when_it_is_stopping_by_itself(
        tmp_path: Path):
    path = lock_path(tmp_path / "a.db", SITE)
    proc, crawler = start_holder(path, with_child="crawler")
    try:
        with pytest.raises(LockBusy) as busy:
            SiteLock.acquire(path, site=SITE, now=NOW)
        assert busy.value.holder.crawler_pid == crawler
        assert f"by pid {crawler} on " in str(busy.value)
        assert f"(the crawler started by pid {proc.pid}, since " in str(busy.value)
        assert str(busy.value).endswith(f"to stop it (it saves what it has fetched): "
                                        f"kill {crawler}")
        kill(proc.pid)
        proc.wait()
        # Its command gone, a real crawler stops by itself (crawler/run.py): a kill now would be
        # a second stop, which quits without saving what is in flight.
        with pytest.raises(LockBusy, match="the command that started it has exited, so the "
                                           "crawler is saving what it fetched and stopping"):
            SiteLock.acquire(path, site=SITE, now=NOW)
    finally:
        if proc.poll() is None:
            kill(proc.pid)
        kill(crawler)
    while is_locked(path):
        os.sched_yield()
    with SiteLock.acquire(path, site=SITE, now=NOW) as lock:
        assert lock.stale.pid == proc.pid  # the command, whose lock was never released


def test_each_site_has_its_own_lock_file(tmp_path: Path):
    db = tmp_path / "a.db"
    first = lock_path(db, "https://a.example/")
    second = lock_path(db, "https://someone.wixsite.com/garden/")
    assert first != second and first.parent == second.parent == Path(f"{db}.locks")
    with SiteLock.acquire(first, site="a", now=NOW), SiteLock.acquire(second, site="b", now=NOW):
        assert is_locked(first) and is_locked(second)


def test_the_spellings_of_a_site_share_one_lock(tmp_path: Path):
    """The archive files www.example.com and example.com, http:// and https:// as one site:
    `crawl example.com` and a `run-due` of http://www.example.com must not run at once (one
    lock file), or both would write the same site's posts; a wixsite.com sub-site, an IP
    address and another port keep their own."""
    db = tmp_path / "a.db"
    assert lock_path(db, "https://www.a.example/") == lock_path(db, "https://a.example/")
    assert lock_path(db, "http://a.example/") == lock_path(db, "https://a.example/")
    assert lock_path(db, "http://www.a.example:8080/") == lock_path(db, "https://a.example:8080/")
    assert lock_path(db, "http://127.0.0.1:8080/") == lock_path(db, "https://127.0.0.1:8080/")
    assert len({lock_path(db, site) for site in (
        "https://a.example/", "https://a.example:8080/", "https://www.com/", "https://com/",
        "https://127.0.0.1:8080/", "https://j.wixsite.com/www/")}) == 6
    with SiteLock.acquire(lock_path(db, "https://a.example/"), site="a", now=NOW):
        crawl = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", "http://www.a.example/",
             "a.example", "http://a.example/post/x", "--db", str(db), "--json"],
            capture_output=True, text=True, timeout=120)
    busy, *twice = json.loads(crawl.stdout)
    # Another crawl holds the site: nothing failed, try again later (until 2026-12-06:
    # `failed`, exit status 1, as for a broken site).
    assert busy["status"] == "busy" and "already being crawled" in busy["message"], (
        busy, crawl.stderr)
    assert crawl.returncode == 75
    assert [t["status"] for t in twice] == ["skipped", "skipped"], twice
    assert all("listed twice" in t["message"] for t in twice), twice
