"""Many sites in one crawl process (#17): real Scrapy crawls of sample blogs, each served on its
own loopback address (127.0.0.2, 127.0.0.3, ...: a site of its own to Scrapy), through the
`wixarchive` commands a user runs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from archive.store import Archive
from crawler.sample_site import SampleBlog
from crawler.sample_site.server import BlogServer, Gate, Response
from tests.processes import HangingServer, Output, wait_until
from tests.webarchives import loopback

REPO = Path(__file__).resolve().parents[1]
WIXARCHIVE = [sys.executable, "-m", "archive.cli"]


class Counted(BlogServer):
    """A sample blog that counts the requests it is answering at once (its host's concurrency,
    as Scrapy sees a site) and answers each post slowly enough for requests to overlap."""

    every_host = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def __init__(self, blog: SampleBlog, host: str, post_seconds: float) -> None:
        super().__init__(blog, host)
        self.post_seconds = post_seconds
        self.now = self.peak = 0

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, **options: Any) -> Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.every_host["now"] += 1
            self.every_host["peak"] = max(self.every_host["peak"], self.every_host["now"])
        try:
            if "/post/" in target:
                time.sleep(self.post_seconds)
            return super().respond(target, headers, base, **options)
        finally:
            with self.lock:
                self.now -= 1
                self.every_host["now"] -= 1


@contextlib.contextmanager
def blogs(count: int, posts: int, post_seconds: float = 0.0) -> Iterator[list[Counted]]:
    Counted.every_host.update(now=0, peak=0)
    with contextlib.ExitStack() as stack:
        servers = []
        for n in range(count):
            server = Counted(SampleBlog(seed=70 + n, post_count=posts), loopback(2 + n),
                             post_seconds)
            servers.append(stack.enter_context(server.start()))
        yield servers


def runs(db: Path) -> list[dict]:
    with Archive.open(db, readonly=True, create=False) as archive:
        return archive.runs(1000)


def archived(db: Path, site: str) -> set[str]:
    with Archive.open(db, readonly=True, create=False) as archive:
        return {url for url, known in archive.known_posts(site).items() if not known.deleted_at}


def test_sites_crawled_at_once_each_complete_with_its_own_run_and_concurrency(tmp_path: Path):
    db = tmp_path / "archive.db"
    with blogs(4, posts=12, post_seconds=0.15) as servers:
        started = time.monotonic()
        result = subprocess.run(
            [*WIXARCHIVE, "crawl", *(s.url for s in servers), "--db", str(db),
             "--concurrency", "2", "--delay", "0", "--no-autothrottle", "--parallel", "4"],
            capture_output=True, text=True, cwd=REPO, timeout=300)
        seconds = time.monotonic() - started
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        for server in servers:
            # Every site archived completely, with a summary line and a run row of its own.
            assert archived(db, server.url) == {server.url + p.url_path
                                                for p in server.blog.posts}
            assert any(line.startswith(f"✓ {server.url}/: 12 posts: 12 new") for line in lines)
            # Its politeness held: never more requests in flight than its concurrency...
            assert server.peak <= 2, (server.url, server.peak)
        # ...and that limit was reached (the count is not vacuous) while the sites overlapped.
        assert max(s.peak for s in servers) == 2
        assert Counted.every_host["peak"] > 2
        assert any(line.startswith("Total: 4 sites (4 ok), 48 posts: 48 new") for line in lines)
    rows = runs(db)
    assert sorted(r["site"] for r in rows) == sorted(s.url + "/" for s in servers)
    assert all(r["status"] == "ok" and r["counts"]["new"] == 12 for r in rows)
    # One process for all: far less than four crawls one after another (each >= 12 x 0.15 s / 2
    # of posts alone, plus its own start-up of several seconds on this machine).
    assert seconds < 60


def test_a_hanging_site_stops_at_its_time_limit_and_delays_no_other(tmp_path: Path):
    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.toml"
    with blogs(2, posts=10) as servers, HangingServer(loopback(9)) as hanging:
        hang = hanging.url
        entries = [f'[[site]]\nurl = "{hang}"\ntimeout = "6s"\n']
        entries += [f'[[site]]\nurl = "{s.url}"\ndelay = 0.05\n' for s in servers]
        sites.write_text("\n".join(entries))
        result = subprocess.run(
            [*WIXARCHIVE, "run-due", "--db", str(db), "--sites", str(sites), "--json"],
            capture_output=True, text=True, cwd=REPO, timeout=120)
        ended = time.monotonic()
        tried_for = hanging.tried_for()
    outcomes = {o["site"]: o for o in json.loads(result.stdout)}
    assert result.returncode == 1  # a site hit its time limit
    assert outcomes[hang]["status"] == "timeout"
    assert "stopped at its 6s time limit" in outcomes[hang]["message"]
    for server in servers:
        assert outcomes[server.url + "/"]["status"] == "ok"
        assert outcomes[server.url + "/"]["counts"]["new"] == 10
    # The hanging site was given up within its limit plus a little (no retries of robots.txt,
    # no 30 s download timeout), counted from its first request (the crawler's start-up is no
    # part of the limit), and the others did not wait for it.
    assert tried_for < 6 + 5
    assert max(outcomes[s.url + "/"]["seconds"] for s in servers) <= outcomes[hang]["seconds"]
    assert ended - hanging.first_connection < 6 + 20  # the command did not wait for it either
    statuses = {r["site"]: r["status"] for r in runs(db)}
    assert statuses == {hang: "timeout", **{s.url + "/": "ok" for s in servers}}
    # `runs` says so too, and counts it among the failing sites (a site that hangs on every
    # crawl stood out nowhere, as an interrupted run).
    listed = subprocess.run([*WIXARCHIVE, "runs", "--db", str(db), "--sites", str(sites),
                             "--failing", "--json"], capture_output=True, text=True, cwd=REPO,
                            timeout=60)
    assert listed.returncode == 1
    (failing,) = json.loads(listed.stdout)
    assert failing["site"] == hang and failing["failures_in_a_row"] == 1
    assert failing["first_error"].startswith("stopped at its 6s time limit after 0 posts")


def test_sigterm_stops_every_site_cleanly_and_the_next_run_completes_them(tmp_path: Path):
    db = tmp_path / "archive.db"
    with blogs(3, posts=40, post_seconds=0.1) as servers:
        command = [*WIXARCHIVE, "crawl", *(s.url for s in servers), "--db", str(db),
                   "--concurrency", "1", "--delay", "0", "--no-autothrottle"]
        # Each server answers 10 posts, then holds the next until the stop is under way: every
        # site is mid-crawl when the signal comes, however loaded the machine.
        gates = [Gate("/post/", allow=10) for _ in servers]
        for server, gate in zip(servers, gates, strict=True):
            server.gate = gate
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=REPO)
        try:
            stdout, stderr = Output(proc.stdout), Output(proc.stderr)
            wait_until(lambda: all(g.held for g in gates), "a post held on every site", proc)
            proc.send_signal(signal.SIGTERM)
            # Said once the crawler has the signal: the held pages may be answered now (a
            # stop finishes the pages under way, at most Scrapy's 16 handed to its downloader).
            wait_until(lambda: "Stopping:" in stderr, "the stop message", proc)
            for gate in gates:
                gate.release()
            proc.wait(timeout=120)
            out, err = stdout.finish(), stderr.finish()
        finally:
            for server in servers:
                server.gate = None
            for gate in gates:
                gate.release()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 128 + signal.SIGTERM, err  # 143; Ctrl-C: 130
        # A stop by systemd or `kill`: no keyboard to press a second Ctrl-C on.
        assert err.startswith("Stopping: finishing the pages under way and saving them (a "
                              "second SIGTERM stops at once)\n"), err
        assert out.count("… http://127.0.0.") == 3, out  # a summary line per site
        assert "Total: 3 sites (3 interrupted)" in out
        first = runs(db)
        assert sorted(r["status"] for r in first) == ["interrupted"] * 3
        partial = {s.url: archived(db, s.url) for s in servers}
        assert all(10 <= len(urls) < 40 for urls in partial.values())

        again = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
        assert again.returncode == 0, again.stderr
        for server in servers:
            assert archived(db, server.url) == {server.url + p.url_path
                                                for p in server.blog.posts}
    rows = [r for r in runs(db) if r["id"] not in {f["id"] for f in first}]
    assert all(r["status"] == "ok" for r in rows)
    # Each site's second run stored exactly what its first had not committed.
    for row in rows:
        assert row["counts"]["new"] == 40 - len(partial[row["site"].rstrip("/")])
    assert not any(r["status"] == "running" for r in runs(db))
    assert os.path.exists(db)


@pytest.mark.parametrize("verbose", [[], ["--verbose"]], ids=["quiet", "verbose"])
def test_a_crawl_into_a_closed_pipe_goes_on_and_records_every_site(tmp_path: Path,
                                                                  verbose: list[str]):
    """`wixarchive crawl A B C | head -1`: once the reader is gone, the lines are dropped and
    the crawl goes on. Before, the second site's line raised BrokenPipeError inside the crawl,
    which killed the crawler: its sites were left `running` and the command exited 1. With
    --verbose (Scrapy's log on stderr, the crawler's stdout the same closed pipe) as well."""
    db = tmp_path / "archive.db"
    with blogs(3, posts=4, post_seconds=0.4) as servers:
        servers[0].post_seconds = 0  # ends first, so the others end after the reader left
        read_end, write_end = os.pipe()
        crawl = subprocess.Popen(
            [*WIXARCHIVE, "crawl", *(s.url for s in servers), "--db", str(db), "--delay", "0",
             "--no-autothrottle", "--parallel", "3", *verbose],
            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=REPO)
        os.close(write_end)
        with os.fdopen(read_end) as reader:
            first = reader.readline()
        err = crawl.communicate(timeout=300)[1]
    # Under load another site may end first: any site's line will do, the rest hit the pipe.
    assert first.startswith("✓ ") and any(f"{s.url}/" in first for s in servers), first
    assert crawl.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    rows = runs(db)
    assert sorted(r["site"] for r in rows) == sorted(s.url + "/" for s in servers)
    assert all(r["status"] == "ok" and r["counts"]["new"] == 4 for r in rows), rows
