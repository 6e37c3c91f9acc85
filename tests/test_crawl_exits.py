"""How a crawl that cannot store what it fetches ends: its exit status and summary line say
what happened and what to do (a full disk, captures that cannot be written, an archive another
process keeps locked, a forced stop), and the next run resumes it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import captures
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Gate
from tests.disks import needs_root, small_disk
from tests.processes import running, wait_until, write_lock

FAST = ["--delay", "0", "--no-autothrottle", "--no-media"]
EXIT_BUSY = 75


def crawl(url: str, db: Path, *args: str, env: dict[str, str] | None = None,
          ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", url, "--db", str(db), *FAST, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


@needs_root
def test_captures_on_a_full_disk_fail_the_crawl_saying_so_and_the_next_run_resumes(
        tmp_path: Path):
    """The captures folder fills up: the crawl failed (exit 1), not "interrupted" as by Ctrl-C
    (exit 130, its OS error only in its errors); its line names the error and what to do."""
    blog = SampleBlog(seed=21, post_count=200)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        with small_disk(tmp_path / "archive.captures", "100k"):
            full = crawl(server.url, db)
            as_json = crawl(server.url, db, "--json")
        again = crawl(server.url, db)
    assert full.returncode == 1, full.stderr
    # The site's line on stdout, with every site's; stderr, apart from it, says why it failed.
    line = next((line for line in full.stdout.splitlines() if line.startswith("✗ ")),
                full.stdout)
    assert f"Error: {server.url}/: captures could not be written to " in full.stderr
    assert line.startswith(f"✗ {server.url}/: captures could not be written to "), line
    assert "No space left on device: stopped after " in line, line
    assert "free space on its disk, then run again to resume" in line, line
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["status"] == "failed"
    assert again.returncode == 0, again.stderr
    with Archive.open(db, readonly=True) as archive:
        assert len(archive.known_posts(server.url)) == 200
        assert [run["status"] for run in archive.runs(10)] == ["ok", "failed", "failed"]


@needs_root
def test_no_post_or_image_is_archived_without_its_capture_when_the_captures_disk_fills(
        tmp_path: Path):
    """The captures folder fills up mid-crawl, images on: the pages and images still in flight
    when it did were archived with no capture (14 post versions and 104 images `stored` with
    no copy of their bytes anywhere, in the report that found it), and no later crawl fetched
    them again. Now they fail, so the run after space is freed fetches them, once each."""
    blog = SampleBlog(seed=23, post_count=400)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{server.url}/media/"}
        command = [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db", str(db),
                   "--delay", "0", "--no-autothrottle", "--json"]  # images fetched, as by default

        def crawl_with_images() -> subprocess.CompletedProcess[str]:
            return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)

        with small_disk(tmp_path / "archive.captures", "1m") as captures:
            full = crawl_with_images()
            with Archive.open(db, readonly=True) as archive:
                held = archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
            subprocess.run(["mount", "-o", "remount,size=200m", str(captures)], check=True)
            resumed = crawl_with_images()
            again = crawl_with_images()
            with Archive.open(db, readonly=True) as archive:
                uncaptured_versions = archive.conn.execute(
                    "SELECT count(*) FROM post_versions WHERE capture IS NULL").fetchone()[0]
                images_without_bytes = archive.conn.execute(
                    "SELECT count(*) FROM media m WHERE status = 'stored' AND NOT EXISTS "
                    "(SELECT 1 FROM captures c WHERE c.record_id = m.capture)").fetchone()[0]
                images = archive.conn.execute(
                    "SELECT count(DISTINCT url) FROM images").fetchone()[0]
                stored = archive.conn.execute(
                    "SELECT count(*) FROM media WHERE status = 'stored'").fetchone()[0]
                versions = archive.conn.execute(
                    "SELECT count(*) FROM post_versions").fetchone()[0]
    assert full.returncode == 1, full.stderr[-2000:]
    assert json.loads(full.stdout)["status"] == "failed"
    assert 0 < held < 400  # the disk filled mid-crawl
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    counts = json.loads(resumed.stdout)["counts"]
    assert counts["new"] == 400 - held and counts["unchanged"] == held
    assert uncaptured_versions == 0
    assert images_without_bytes == 0
    assert stored == images and versions == 400  # every image kept, every post exactly once
    assert json.loads(again.stdout)["message"] == "400 posts: 0 new, 0 changed, 400 unchanged"


@needs_root
def test_captures_indexed_on_a_full_disk_say_the_disk_is_full(tmp_path: Path):
    """SQLite ends the transaction itself when the disk fills: the captures' index said
    `captures could not be written to …: cannot rollback - no transaction is active` (its own
    ROLLBACK failing), hiding the full disk, in a crawl whose archive's disk filled."""
    with small_disk(tmp_path / "disk", "300k") as disk:
        conn = sqlite3.connect(disk / "archive.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE records (payload BLOB)")
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"), \
                captures.immediate_when_free(conn, 1.0):
            for _ in range(100):
                conn.execute("INSERT INTO records VALUES (?)", (os.urandom(50_000),))
        assert not conn.in_transaction
        conn.close()


@needs_root
def test_an_archive_on_a_full_disk_fails_the_crawl_saying_the_disk_is_full(tmp_path: Path):
    """Most pages lost to a full disk (the archive on a 2 MB tmpfs, no captures): exit 1 and
    the disk named on the summary line, where the crawl ended `partial` with exit 0."""
    blog = SampleBlog(seed=22, post_count=400)
    with serve_blog(blog) as server, small_disk(tmp_path / "disk", "2m") as disk:
        result = crawl(server.url, disk / "archive.db", "--no-capture")
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    # The site's line; a warning that the search statistics could not be refreshed on the
    # full disk may follow it.
    line = next((line for line in result.stdout.splitlines() if line.startswith("✗ ")),
                result.stdout)
    assert line.startswith(f"✗ {server.url}/: the archive's disk is full: "), line
    assert "pages not archived; archived " in line, line
    assert "free space on its disk, then run again to resume" in line, line
    assert "see its errors" not in line  # a run not recorded has no errors to see


def _stored_posts(db: Path) -> int:
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            return sum(row["posts"] for row in archive.stats())
    except Exception:  # not created yet
        return 0


def test_a_forced_stop_counts_the_posts_it_saved_and_names_the_site_as_elsewhere(
        tmp_path: Path):
    """Two Ctrl-C: the second stops at once, before the site can close. Its line said
    `0 pages` and named the site without its trailing slash, though posts were saved."""
    saved = 20
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=23, post_count=60)) as server:
        server.gate = Gate("/post/", allow=saved)
        command = [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db", str(db),
                   "--concurrency", "1", *FAST]
        try:
            with running(command, start_new_session=True) as (proc, stdout, stderr):
                wait_until(lambda: server.gate.held, "a post request held", proc)
                wait_until(lambda: _stored_posts(db) >= saved, f"{saved} posts stored", proc)
                os.killpg(proc.pid, signal.SIGINT)
                wait_until(lambda: "Stopping:" in stderr, "the first stop", proc)
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(timeout=60)
        finally:
            server.gate.release()
        out, err = stdout.finish(), stderr.finish()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    line = out.strip().splitlines()[-1]  # every site's line on stdout
    assert line.startswith(f"… {server.url}/: crawl stopped before it could close, after "
                           f"{saved} posts; run again to resume ("), (line, out)
    assert not line.endswith(" (0 pages in"), line
    assert _stored_posts(db) == saved


@pytest.mark.parametrize("site_count", [1, 2])
def test_a_forced_stop_closes_every_run_as_interrupted_before_it_exits(tmp_path: Path,
                                                                        site_count: int):
    """Two Ctrl-C on a crawl of 320 posts a site (two sites: --parallel 2), each site held part
    way: the process exits 130 with every run already closed as interrupted, saying the site
    was stopped before it could close. Before, the runs stayed `running`, and the next command
    to open the archive (here `runs`) closed them as killed or crashed."""
    saved = 30
    db = tmp_path / "archive.db"
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(serve_blog(SampleBlog(seed=40 + n, post_count=320)))
                   for n in range(site_count)]
        for server in servers:
            server.gate = Gate("/post/", allow=saved)
            stack.callback(server.gate.release)
        command = [sys.executable, "-m", "archive.cli", "crawl",
                   *[server.url for server in servers], "--db", str(db),
                   "--parallel", str(site_count), "--json", *FAST]
        with running(command, start_new_session=True) as (proc, stdout, stderr):
            wait_until(lambda: all(server.gate.held for server in servers),
                       "a post request of each site held", proc)
            wait_until(lambda: _stored_posts(db) >= saved * site_count,
                       f"{saved} posts a site stored", proc)
            os.killpg(proc.pid, signal.SIGINT)
            wait_until(lambda: "Stopping:" in stderr, "the first stop", proc)
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)
        out, err = stdout.finish(), stderr.finish()
    assert proc.returncode == 130, err
    summaries = json.loads(out)
    summaries = summaries if site_count > 1 else [summaries]
    assert [s["status"] for s in summaries] == ["interrupted"] * site_count, summaries
    # The first command to open the archive after the crawl: it would close a run left open.
    listed = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--db", str(db),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert len(runs) == site_count, runs
    for run in runs:
        assert run["status"] == "interrupted", run
        assert run["new"] == saved, run
        assert run["first_error"] == (f"crawl stopped before it could close, after {saved} "
                                      "posts; run again to resume"), run
    assert sorted(s["run_id"] for s in summaries) == sorted(run["id"] for run in runs)


def test_an_archive_locked_by_another_process_stops_the_crawl_soon_with_exit_75(
        tmp_path: Path):
    """Another process holds the archive's write lock for the whole crawl: the crawl stops
    after the first batch that waited the busy timeout in vain (before: a full timeout per
    post, ~200 s for these 60), exits 75 as `check` does for a busy archive, and loses nothing:
    the next run archives every post."""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "3000"}
    with serve_blog(SampleBlog(seed=24, post_count=60)) as server:
        with write_lock(db):
            started = time.monotonic()
            busy = crawl(server.url, db, env=env)
            seconds = time.monotonic() - started
        again = crawl(server.url, db, "--json", env=env)
    assert busy.returncode == EXIT_BUSY, busy.stderr
    assert "Traceback" not in busy.stderr
    line = busy.stdout.strip().splitlines()[-1]
    assert line.startswith(f"… {server.url}/: the archive stayed busy (locked by another "
                           "process) for 3 s: stopped after 0 posts; run again when it is "
                           "free"), line
    assert seconds < 120, seconds  # a guard only: ~10 s here, ~200 s before the fix
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["counts"]["new"] == 60


def test_an_archive_locked_through_a_crawl_of_unchanged_posts_exits_75_too(tmp_path: Path):
    """Every post is unchanged, so the crawl writes nothing but its run row, which waits the
    busy timeout in vain: that said `"status": "partial"`, `"archive_busy": false` and exited
    0 (the run missing from `runs`), where the same lock with new posts exits 75. Both now say
    the archive was busy and exit 75 (try again later)."""
    db = tmp_path / "archive.db"
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "2000"}
    with serve_blog(SampleBlog(seed=26, post_count=5)) as server:
        first = crawl(server.url, db, env=env)
        assert first.returncode == 0, first.stderr
        with write_lock(db):
            busy = crawl(server.url, db, "--json", env=env)
    assert busy.returncode == EXIT_BUSY, (busy.stdout, busy.stderr)
    assert "Traceback" not in busy.stderr
    summary = json.loads(busy.stdout)
    assert summary["counts"]["unchanged"] == 5, summary
    assert summary["archive_busy"] is True, summary
    assert summary["run_not_recorded"].startswith("the archive is busy"), summary


def test_pages_left_unsent_by_a_ctrl_c_are_not_counted_failed(tmp_path: Path):
    """One Ctrl-C with posts still queued for the site: they are not sent, and the run is
    interrupted. `runs` showed them as failures (`FAIL 16`), as if the site had failed them;
    now they are named (`not fetched: the crawl is stopping`) but not counted failed."""
    saved = 5
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=24, post_count=40)) as server:
        server.gate = Gate("/post/", allow=saved)
        command = [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db", str(db),
                   *FAST]
        try:
            with running(command, start_new_session=True) as (proc, stdout, stderr):
                wait_until(lambda: server.gate.held, "a post request held", proc)
                wait_until(lambda: _stored_posts(db) >= saved, f"{saved} posts stored", proc)
                os.killpg(proc.pid, signal.SIGINT)
                wait_until(lambda: "Stopping:" in stderr, "the stop", proc)
                server.gate.release()
                proc.wait(timeout=60)
        finally:
            server.gate.release()
        err = stderr.finish()
    assert proc.returncode == 130, err
    listed = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--db", str(db),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)
    assert run["status"] == "interrupted", run
    with Archive.open(db, readonly=True) as archive:
        (recorded,) = archive.runs(1)
    unsent = [e for e in recorded["errors"] if e.endswith(": not fetched: the crawl is stopping")]
    assert unsent, recorded["errors"]  # the test stopped the crawl with posts still queued
    assert run["failed"] == 0, run
    assert run["new"] + len(unsent) <= 40, run


def test_pages_left_unsent_at_the_time_limit_are_not_counted_failed(tmp_path: Path):
    """A site's time limit comes with posts still queued: they are not sent, and the run is a
    timeout (a failure as to run-due's back-off already). `runs` also counted each of them
    failed, as if the site had failed them; now they are named (`not fetched: the site's 3 s
    time limit is over`) but not counted. The requests the site held past the limit were sent:
    those still fail."""
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=25, post_count=40)) as server:
        server.gate = Gate("/post/", allow=5)
        try:
            result = crawl(server.url, db, "--time-limit", "3", "--json")
        finally:
            server.gate.release()
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "timeout", summary
    unsent = [e for e in summary["errors"]
              if e.endswith(": not fetched: the site's 3 s time limit is over")]
    assert len(unsent) >= 10, summary["errors"]  # the limit came with posts still queued
    listed = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--db", str(db),
                             "--json"], capture_output=True, text=True, timeout=120)
    (run,) = json.loads(listed.stdout)
    assert run["status"] == "timeout", run
    sent_and_failed = len(summary["errors"]) - len(unsent)
    assert run["failed"] == summary["counts"]["failed"] <= sent_and_failed, (run, summary)
