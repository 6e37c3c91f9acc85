"""Crawls killed hard (SIGKILL of the command, the crawler in its own session and its archive
worker, as a power cut or an OOM kill would) and resumed: nothing lost, nothing fetched or
stored twice, and each summary tells the truth. A small run of benchmarks/soak.py's soak. And
the command alone killed (its process group): its crawler stops by itself, cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.schedule import sites as sites_file
from archive.schedule.locks import is_locked, lock_path
from archive.store import Archive
from benchmarks.soak import Soak
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Gate, error_response
from tests.processes import Output, crawler_command, run_crawl, running, wait_until

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


def test_killed_crawls_resume_without_losing_or_refetching_a_post(tmp_path: Path):
    blog = SampleBlog(seed=21, post_count=600)
    with serve_blog(blog) as server:
        soak = Soak(server, tmp_path / "archive.db", random.Random(21))
        # Each crawl killed at its first commit (a batch: up to 200 posts or 1 s of work), so
        # that work remains after each kill however fast the machine.
        for _ in range(3):
            soak.crawl(after_posts=1)
        soak.mutate(edits=6, adds=4, deletes=3)  # the site changes while the crawl is behind
        soak.crawl(after_posts=1)
        before = soak.rounds[-1]["posts_after"]
        final = soak.crawl()
        figures = soak.verify()

    # A run that finishes has archived every post, whatever the killed runs before it left.
    finished = [r for r in soak.rounds if not r["killed"]]
    assert [r["missing_after"] for r in finished] == [0] * len(finished), [
        r.get("summary", {}).get("message") for r in finished]
    assert figures["lost"] == [], f"{len(figures['lost'])} posts never archived"
    # The first three crawls were killed mid-way, with posts still to archive.
    assert all(r["killed"] and r["posts_after"] < 600 for r in soak.rounds[:3]), soak.rounds
    assert final["exit"] == 0 and not final["killed"]
    summary = final["summary"]
    assert summary["status"] == "ok"
    # The summary tells the truth: every post the killed runs did not commit is new now.
    live = {server.url + p.url_path for p in blog.posts}
    with Archive.open(tmp_path / "archive.db", readonly=True) as archive:
        assert live <= set(archive.known_posts(server.url))
    assert summary["counts"]["new"] == figures["archived_posts"] - before
    assert figures["duplicated"] == 0 and figures["wrong_versions"] == []
    assert figures["wrong_content"] == []
    assert figures["deletions_unmarked"] == []
    assert figures["runs_left_running"] == 0
    assert figures["check"], figures["check_output"]
    # No run fetched a post the archive already held unchanged when the run began.
    assert [r["refetched"] for r in soak.rounds] == [0] * len(soak.rounds)
    assert not any(r["traceback"] for r in soak.rounds)


def _running(pid: int) -> bool:
    """Whether `pid` runs (an orphan's zombie, not yet reaped by init, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _stored_posts(db: Path) -> int:
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            return sum(row["posts"] for row in archive.stats())
    except Exception:  # not created yet, or being created
        return 0


@pytest.mark.parametrize("command", ["crawl", "run-due"])
def test_killing_the_commands_process_group_stops_its_crawler_cleanly(tmp_path: Path,
                                                                      command: str):
    """`kill -KILL -- -PGID` of a `wixarchive crawl` (or `run-due`) started in a session of its
    own: the crawler, in a session of its own below it, stops within seconds as on SIGTERM (the
    pages under way saved, the run closed as interrupted), and leaves no temporary file; the
    next crawl archives every missing post, each fetched once. Before, the orphaned crawler went
    on crawling to the end and the run said `ok`, a refusal meanwhile named the dead command
    instead of the crawler, and each kill left a /tmp/wixarchive-* folder."""
    total, before = 400, 100
    blog = SampleBlog(seed=8, post_count=total)
    db = tmp_path / "archive.db"
    scratch = tmp_path / "tmp"  # the commands' TMPDIR: whatever they leave there is seen
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    fast = ["--delay", "0", "--no-autothrottle"]

    def wixarchive(*args: str) -> list[str]:
        return [sys.executable, "-m", "archive.cli", *args]

    with serve_blog(blog) as server:
        # The first 100 posts pass, the next are held until the command is killed: the kill
        # lands mid-crawl however loaded the machine.
        gate = server.gate = Gate("/post/", allow=before)
        if command == "crawl":
            started = wixarchive("crawl", server.url, "--db", str(db), *fast)
        else:
            sites_file.add(tmp_path / "archive.sites.toml",
                           {"url": server.url, "name": "Nine", "delay": 0,
                            "autothrottle": False})
            started = wixarchive("run-due", "--site", "Nine", "--force", "--db", str(db))
        proc = subprocess.Popen(started, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True, env=env)
        crawler = 0
        try:
            stderr = Output(proc.stderr)  # the crawler writes there too, after the command dies
            wait_until(lambda: gate.held, "a post request held by the server", proc)
            wait_until(lambda: _stored_posts(db) >= before, f"{before} posts stored", proc)
            (crawler,) = map(int, Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
                             .read_text().split())
            # Meanwhile another crawl of the site is refused, naming the process to stop.
            busy = subprocess.run(wixarchive("crawl", server.url, "--db", str(db)), env=env,
                                  capture_output=True, text=True, timeout=120)
            assert busy.returncode == 75  # try again later
            assert f"- {server.url}/: already being crawled by pid {crawler} on " in \
                busy.stdout, busy.stdout
            assert f"kill {crawler}" in busy.stdout, busy.stdout

            os.killpg(proc.pid, signal.SIGKILL)  # the command's group: not the crawler's
            proc.wait()
            killed = time.monotonic()
            gate.release()  # the pages under way may finish: a clean stop saves them
            wait_until(lambda: not _running(crawler), "the crawler to exit")
            stopped_after = time.monotonic() - killed
            err = stderr.finish()
        finally:
            gate.release()
            if crawler and _running(crawler):
                os.killpg(crawler, signal.SIGKILL)
        assert stopped_after < 10, f"the crawler ran on {stopped_after:.1f} s after its command"
        assert "The command that started this crawl has exited: stopping" in err
        assert "Traceback" not in err
        assert not is_locked(lock_path(db, server.url + "/"))
        with Archive.open(db, readonly=True) as archive:
            (run,) = archive.runs()
            stored = len(archive.known_posts(server.url))
        assert run["status"] == "interrupted", run
        assert before <= stored < total
        assert run["counts"]["new"] == stored  # every page it fetched was saved and counted

        server.gate = None
        server.request_log.clear()
        result = subprocess.run(wixarchive("crawl", server.url, "--db", str(db), "--json",
                                           *fast),
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        fetched = [p for p in server.request_log if p.startswith("/post/")]

    assert json.loads(result.stdout)["counts"]["new"] == total - stored
    assert len(fetched) == len(set(fetched)) == total - stored  # nothing fetched twice
    with Archive.open(db, readonly=True) as archive:
        assert archive.check() == []
        known = archive.known_posts(server.url)
        assert len(known) == total
        assert all(len(archive.versions(url)) == 1 for url in known)
    assert list(scratch.iterdir()) == []  # no temporary file left by the killed command


def test_a_crawl_killed_after_its_site_moved_keeps_the_move_in_its_run(tmp_path: Path):
    """A blog whose address redirects to another host, crawled without Redis and killed
    outright (SIGKILL of the crawler's process group, its archive worker with it) once it has
    stored posts from the new host: `wixarchive runs` closes the run as killed and shows the
    move first among its errors, as a run that closed itself records it. Before, the run said
    only that its process ended before the run was closed, and the move was lost."""
    blog = SampleBlog(seed=12, post_count=40)
    db = tmp_path / "archive.db"
    stored_before_kill = 5
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        old_home.moved_to = new_home.url
        gate = new_home.gate = Gate("/post/", allow=stored_before_kill)
        with running(crawler_command(old_home.url, db, "LOG_LEVEL=INFO"),
                     start_new_session=True) as (proc, _out, _err):
            try:
                wait_until(lambda: gate.held, "a post request held by the server", proc)
                wait_until(lambda: _stored_posts(db) >= stored_before_kill,
                           f"{stored_before_kill} posts stored", proc)
                tree = _descendants(proc.pid)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                wait_until(lambda: not any(map(_running, tree)), "the crawl's processes to end")
            finally:
                gate.release()
        listed = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--json",
                                 "--db", str(db)], capture_output=True, text=True, timeout=120)
        new_home.gate = None
        resumed = run_crawl(old_home.url, db)  # noted as it is learnt, then closed: once
    assert listed.returncode == 0, listed.stderr
    (listed_run,) = json.loads(listed.stdout)
    new_root = new_home.url + "/"
    move = (f"moved: its address now redirects to {new_root}, where it was crawled (name "
            f"{new_root} from now on: it continues this site)")
    assert (listed_run["status"], listed_run["first_error"]) == ("interrupted", move), listed_run
    assert listed_run["new"] >= stored_before_kill
    with Archive.open(db, readonly=True) as archive:
        (finished, run) = archive.runs()
    assert run["errors"] == [
        move, f"its process (pid {proc.pid}) ended before the run was closed: killed or crashed"
    ], run["errors"]
    assert (resumed["status"], resumed["counts"]["new"]) == ("ok", 40 - listed_run["new"])
    assert (finished["status"], finished["errors"]) == ("ok", [move])


@pytest.mark.parametrize("robots", ["served", "missing"])
def test_a_crawl_killed_before_its_first_page_after_its_site_moved_keeps_the_move(
        tmp_path: Path, robots: str):
    """The same blog, its crawl killed (SIGKILL of its whole process tree) once robots.txt
    showed the move (redirected there, served or a 404) and before any page was stored:
    every post request is held. The run is in the archive from the moment the move was
    learnt, with the move noted, so `runs` closes it as killed and shows the move, and the
    next crawl, learning it again, records it once. Until 2026-12-07 nothing of that crawl
    was recorded (its run row was made with its first page, the note sent with the pages)."""
    blog = SampleBlog(seed=13, post_count=6)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        old_home.moved_to = new_home.url
        if robots == "missing":
            new_home.overrides["/robots.txt"] = error_response(404)
        gate = new_home.gate = Gate("/post/")
        with running(crawler_command(old_home.url, db, "LOG_LEVEL=INFO"),
                     start_new_session=True) as (proc, _out, _err):
            try:
                wait_until(lambda: gate.held, "a post request held by the server", proc)
                tree = _descendants(proc.pid)
                for pid in tree:  # the whole tree, each by its pid: none outlives the kill
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                proc.wait()
                wait_until(lambda: not any(map(_running, tree)), "the crawl's processes to end")
            finally:
                gate.release()
        assert _stored_posts(db) == 0
        listed = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--json",
                                 "--db", str(db)], capture_output=True, text=True, timeout=120)
        new_home.gate = None
        resumed = run_crawl(old_home.url, db)
    assert listed.returncode == 0, listed.stderr
    new_root = new_home.url + "/"
    move = (f"moved: its address now redirects to {new_root}, where it was crawled (name "
            f"{new_root} from now on: it continues this site)")
    (listed_run,) = json.loads(listed.stdout)
    assert (listed_run["status"], listed_run["first_error"], listed_run["new"]) == (
        "interrupted", move, 0), listed_run
    with Archive.open(db, readonly=True) as archive:
        (finished, killed) = archive.runs()
        assert len(archive.known_posts(old_home.url)) == 6
    assert killed["errors"] == [
        move, f"its process (pid {proc.pid}) ended before the run was closed: killed or crashed"
    ], killed["errors"]
    assert (resumed["status"], resumed["counts"]["new"]) == ("ok", 6)
    assert (finished["status"], finished["errors"][0]) == ("ok", move)
    assert finished["errors"].count(move) == 1  # a 404 robots.txt is said after it


def _descendants(pid: int) -> list[int]:
    """`pid` and every process below it (its archive worker), while they run."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += map(int, (task / "children").read_text().split())
    return found
