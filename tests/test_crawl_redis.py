"""A crawl spread over workers through Redis (#17): a real redis-server on loopback, real
`wixarchive worker` processes and the `wixarchive crawl --redis` writer, against sample blogs each
served on its own loopback address (127.0.0.2, 127.0.0.3, ...: a site of its own to Scrapy)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.captures import captures_dir
from archive.store import Archive, ArchiveError
from crawler.discover.urls import normalize_url
from crawler.sample_site import SampleBlog, render
from crawler.sample_site import hostile as h
from crawler.sample_site.chrome import Site
from crawler.sample_site.export import image_urls
from crawler.sample_site.server import BlogServer, Gate, Response, error_response
from tests.processes import HangingServer, Output, wait_until, write_lock
from tests.test_crawl_failures import assert_listed_gone_counted
from tests.webarchives import loopback

REPO = Path(__file__).resolve().parents[1]
WIXARCHIVE = [sys.executable, "-m", "archive.cli"]
REDIS_SERVER = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server not found (Debian package redis-server; .ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server on a free loopback port, in a temporary folder, without persistence."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        self.folder = folder
        self.port = port or _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def cut_connections_mid_command(self) -> int:
        """Every other client's connection cut (CLIENT KILL TYPE normal) while their
        writes are in flight (held by CLIENT PAUSE WRITE: a connection cut between commands,
        redis-py reconnects unseen); Redis keeps its data. Returns how many were cut."""
        client = self.client()
        client.client_pause(5000, all=False)
        time.sleep(1.0)
        try:
            return client.client_kill_filter(_type="normal")
        finally:
            client.client_unpause()

    def restart_mid_command(self) -> None:
        """Killed while every client's command is in flight (held by CLIENT PAUSE, long
        enough for the writer's poll and the workers' heartbeats to send one), then started
        again at once, empty: a restart with the commands' replies lost, not left to timing."""
        self.client().client_pause(5000)
        time.sleep(1.0)
        self.kill()
        self.start()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.kill()


class Counted(BlogServer):
    """A sample blog that counts the requests it is answering at once (its concurrency as a
    site sees it, whatever the number of workers) and answers posts slowly enough to overlap."""

    lock = threading.Lock()

    def __init__(self, blog: SampleBlog, host: str, post_seconds: float) -> None:
        super().__init__(blog, host)
        self.post_seconds = post_seconds
        self.now = self.peak = 0
        self.conditional = 0  # post requests carrying If-None-Match / If-Modified-Since

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, **options: Any) -> Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            if "/post/" in target:
                if {k.lower() for k in headers or {}} & {"if-none-match", "if-modified-since"}:
                    self.conditional += 1
                time.sleep(self.post_seconds)
            return super().respond(target, headers, base, **options)
        finally:
            with self.lock:
                self.now -= 1


@contextlib.contextmanager
def blogs(count: int, posts: int, post_seconds: float = 0.0) -> Iterator[list[Counted]]:
    with contextlib.ExitStack() as stack:
        servers = []
        for n in range(count):
            server = Counted(SampleBlog(seed=90 + n, post_count=posts), loopback(2 + n),
                             post_seconds)
            servers.append(stack.enter_context(server.start()))
        yield servers


# For a worker the test kills (or whose replies it cuts): the requests it held come back to
# the queue 5 s after, not 30 s. Only there: a live worker stalled past its lease (a loaded
# machine) has its requests fetched again by the others, and "fetched once" fails.
DIES = ("--lease", "5")


def start_worker(url: str, *extra: str, env: Mapping[str, str] | None = None
                 ) -> subprocess.Popen:
    # Its own session, as on another machine: killing its group kills only it.
    return subprocess.Popen([*WIXARCHIVE, "worker", "--redis", url, "--idle-timeout", "6",
                             *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            start_new_session=True, env=env)


def start_writer(urls: list[str], db: Path, redis_url: str, *extra: str,
                 env: Mapping[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([*WIXARCHIVE, "crawl", *urls, "--db", str(db), "--redis", redis_url,
                             "--concurrency", "2", "--delay", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            start_new_session=True, env=env)


def run_to_end(writer: subprocess.Popen, workers: list[subprocess.Popen],
               timeout: float = 240) -> tuple[str, str]:
    """The writer's stdout and stderr once it and its workers have ended (killed if not)."""
    try:
        out, err = writer.communicate(timeout=timeout)
        for worker in workers:
            worker.wait(timeout=60)
        return out, err
    finally:
        stop([writer, *workers])


def crawl_json(url: str, db: Path, redis_url: str | None = None) -> dict[str, Any]:
    """`crawl URL --json --no-media`'s summary: through Redis (with one worker) when
    `redis_url` is given, else without."""
    worker = start_worker(redis_url) if redis_url else None
    through = ["--redis", redis_url] if redis_url else []
    try:
        done = subprocess.run([*WIXARCHIVE, "crawl", url, "--db", str(db), "--json", "--delay",
                               "0", "--no-media", *through],
                              capture_output=True, text=True, cwd=REPO, timeout=180)
        if worker:
            worker.wait(timeout=60)
    finally:
        stop([worker] if worker else [])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def versions_per_post(db: Path) -> dict[str, int]:
    with Archive.open(db, readonly=True, create=False) as archive:
        rows = archive.conn.execute(
            "SELECT p.url, count(v.id) FROM posts p JOIN post_versions v ON v.post_id = p.id "
            "GROUP BY p.url").fetchall()
    return {url: n for url, n in rows}


def runs(db: Path) -> list[dict]:
    with Archive.open(db, readonly=True, create=False) as archive:
        return archive.runs(1000)


def assert_every_post_once(db: Path, servers: Sequence[BlogServer]) -> None:
    """Every post of these sample blogs archived, each with one version."""
    versions = versions_per_post(db)
    assert set(versions) == {s.url + p.url_path for s in servers for p in s.blog.posts}
    assert set(versions.values()) == {1}, versions


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_three_workers_one_killed_every_post_archived_once_politely(
        tmp_path: Path, redis_server: RedisServer):
    db = tmp_path / "archive.db"
    with blogs(4, posts=40, post_seconds=0.1) as servers:
        urls = [s.url for s in servers]
        # Half way through each site, its server holds the next posts until the test lets them
        # go: the worker killed then has requests in flight, whatever the machine's load.
        gates = [Gate("/post/", allow=20) for _ in servers]
        for server, gate in zip(servers, gates, strict=True):
            server.gate = gate
        # A site listed twice and a line that is no site: each named, the rest crawled.
        writer = start_writer([*urls, urls[0] + "/blog", "not a url"], db, redis_server.url)
        workers = [start_worker(redis_server.url, *DIES)]
        try:
            # Alone at first, so a request held is the first worker's, leased to it...
            wait_until(lambda: any(g.held for g in gates), "a post held", writer)
            assert workers[0].poll() is None, workers[0].communicate()
            os.killpg(workers[0].pid, signal.SIGKILL)  # ...and it is killed, requests in flight
            workers[0].wait()
            # (Held no longer than that: a request held past the worker's download timeout
            # would be retried while the server still counted the first as in flight.)
            in_flight = [(server, path) for server, gate in zip(servers, gates, strict=True)
                         for path in gate.waiting]
            # Two more take over; the held requests now answer a dead worker.
            workers += [start_worker(redis_server.url) for _ in range(2)]
            for gate in gates:
                gate.release()
            out, err = writer.communicate(timeout=240)
            # Nothing left: the other workers exit by themselves once idle.
            for worker in workers[1:]:
                worker.wait(timeout=60)
                assert worker.returncode == 0, worker.stderr.read()
        finally:
            for gate in gates:
                gate.release()
            stop([writer, *workers])
        # The killed worker's leased requests went back to the queue once their leases expired,
        # and the other workers fetched them again.
        assert in_flight
        assert all(server.hits[path] >= 2 for server, path in in_flight), in_flight
        assert writer.returncode == 1, err  # "not a url" failed; every site crawled
        assert "not a site URL: 'not a url'" in err
        assert f"listed twice, as {urls[0]} and as {urls[0]}/blog: crawled once" in out
        for server in servers:
            assert f"✓ {server.url}/: 40 posts: 40 new" in out, (out, err)
            # Politeness held across the three workers: never more than 2 at once per site...
            assert server.peak <= 2, (server.url, server.peak)
        assert max(s.peak for s in servers) == 2  # ...and the limit was reached
        assert "Total: 4 sites (4 ok)" in out and "; 1 line not a site URL" in out
        # Every post archived, exactly once (one version each), the runs counting each once.
        versions = versions_per_post(db)
        expected = {s.url + p.url_path for s in servers for p in s.blog.posts}
        assert set(versions) == expected
        assert set(versions.values()) == {1}
        rows = runs(db)
        assert sorted(r["site"] for r in rows) == sorted(u + "/" for u in urls)
        assert all(r["status"] == "ok" and r["counts"]["new"] == 40 for r in rows)
        # The raw captures came through Redis too, written and indexed beside the archive.
        check = subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                               text=True, cwd=REPO, timeout=120)
        assert check.returncode == 0 and "captures verified" in check.stdout, check.stdout
        # Redis is left clean for the next crawl (but for the killed worker's registration,
        # which expires by itself, and the word that the crawl ended, for the workers).
        client = redis_server.client()
        left = {k.decode() for k in client.keys("wixarchive:*")} - {"wixarchive:crawl"}
        assert all(k.startswith("wixarchive:worker:") for k in left), left
        assert client.get("wixarchive:crawl") == b"ended"
        assert 0 < client.ttl("wixarchive:crawl") <= 600


def test_redis_unreachable_is_one_clear_line(tmp_path: Path):
    url = f"redis://127.0.0.1:{_free_port()}/0"
    db = tmp_path / "archive.db"
    crawl = subprocess.run([*WIXARCHIVE, "crawl", "http://127.0.0.2:9/", "--db", str(db),
                            "--redis", url], capture_output=True, text=True, cwd=REPO,
                           timeout=60)
    assert crawl.returncode == 1
    assert crawl.stderr.strip().splitlines()[-1].startswith(f"Error: cannot reach Redis at {url}")
    assert "Traceback" not in crawl.stderr
    worker = subprocess.run([*WIXARCHIVE, "worker", "--redis", url], capture_output=True,
                            text=True, cwd=REPO, timeout=60)
    assert worker.returncode == 1
    assert worker.stderr.strip().startswith(f"Error: cannot reach Redis at {url}")
    assert len(worker.stderr.strip().splitlines()) == 1


def test_a_worker_of_another_version_is_refused(redis_server: RedisServer):
    redis_server.client().set("wixarchive:writer", json.dumps(
        {"version": "0.0.1", "protocol": 1, "host": "elsewhere", "pid": 1}))
    worker = subprocess.run([*WIXARCHIVE, "worker", "--redis", redis_server.url],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert worker.returncode == 1
    assert len(worker.stderr.strip().splitlines()) == 1, worker.stderr
    assert "the writer runs wixarchive 0.0.1" in worker.stderr
    assert "refused" in worker.stderr
    # With --json, a script reading the worker's JSON gets the error as JSON too (it got
    # nothing on stdout).
    worker = subprocess.run([*WIXARCHIVE, "worker", "--redis", redis_server.url, "--json"],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert worker.returncode == 1
    assert json.loads(worker.stdout) == {"error": worker.stderr.strip()[len("Error: "):]}
    assert "the writer runs wixarchive 0.0.1" in worker.stdout


def test_a_worker_with_no_writer_says_so_in_json_too(redis_server: RedisServer):
    worker = subprocess.run([*WIXARCHIVE, "worker", "--redis", redis_server.url,
                             "--idle-timeout", "1", "--json"],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert worker.returncode == 1
    assert worker.stderr == (f"Error: no crawl to work on at {redis_server.url}: no writer for "
                             "1 s (start `wixarchive crawl URL... --redis URL` first)\n")
    assert json.loads(worker.stdout) == {"error": worker.stderr[len("Error: "):].strip()}


def test_a_redis_that_needs_a_password_says_so(tmp_path: Path):
    """Without a password, against a Redis that needs one, the error was redis-py's "HELLO
    must be called with the client already authenticated...". Now it says what to do."""
    server = RedisServer(tmp_path / "redis")
    server.start()  # (checked with a PING, before the password is set)
    try:
        server.client().config_set("requirepass", "s3cret")
        for command in (["worker"], ["crawl", "http://127.0.0.2:9/", "--db",
                                     str(tmp_path / "a.db")]):
            result = subprocess.run([*WIXARCHIVE, *command, "--redis", server.url],
                                    capture_output=True, text=True, cwd=REPO, timeout=60)
            assert result.returncode == 1
            assert result.stderr.strip().splitlines()[-1] == (
                f"Error: the Redis at {server.url} needs a password: give it in the URL, "
                "redis://:PASSWORD@HOST:PORT/0"), (command, result.stderr)
        # A password given is never printed: messages reach logs and recorded run errors.
        wrong = server.url.replace("redis://", "redis://:wrong-pw@")
        result = subprocess.run([*WIXARCHIVE, "worker", "--redis", wrong],
                                capture_output=True, text=True, cwd=REPO, timeout=60)
        starred = server.url.replace("redis://", "redis://:***@")
        assert result.stderr.startswith(f"Error: the Redis at {starred} refused the password "
                                        "in the URL: "), result.stderr
        assert "wrong-pw" not in result.stderr + result.stdout
    finally:
        server.kill()


def test_a_worker_stays_its_idle_timeout_after_its_last_work(tmp_path: Path,
                                                             redis_server: RedisServer):
    """`worker --idle-timeout 20` kept busy by a 45 s crawl exited 1 s after the crawl ended:
    its idle time counted from the first moment Scrapy found it idle (here, between two
    crawls), however much it worked after. Now it counts from its last work."""
    idle = 10.0
    with blogs(2, posts=24, post_seconds=1.0) as (first, second):
        worker = start_worker(redis_server.url, "--idle-timeout", str(idle))
        try:
            # A short crawl; the worker then waits, idle, for the next one...
            start_writer([first.url], tmp_path / "one.db", redis_server.url, "--no-media",
                         "--concurrency", "24").communicate(timeout=120)
            # ...which keeps it busy for longer than its idle timeout (24 posts, 1 s each, 2
            # at a time).
            started = time.monotonic()
            writer = start_writer([second.url], tmp_path / "two.db", redis_server.url,
                                  "--no-media")
            _, err = writer.communicate(timeout=180)
            ended = time.monotonic()
            assert writer.returncode == 0, err
            assert ended - started > idle
            worker.wait(timeout=60)
            exited = time.monotonic()
        finally:
            stop([worker])
    assert worker.returncode == 0, worker.stderr.read()
    # The writer ends right after the worker's last request (a second or two at most).
    assert exited - ended >= idle - 3, exited - ended


def test_with_no_worker_the_writer_says_it_waits_every_30_s(tmp_path: Path,
                                                              redis_server: RedisServer):
    """With no worker, `crawl --redis` said `waiting for workers: ...` once and then waited
    in silence, forever. Now it says so again every 30 s, with how long it has waited; its
    progress line agrees with its numbers ("1 site running", not "1 sites")."""
    with blogs(1, posts=2) as (server,):
        writer = start_writer([server.url], tmp_path / "archive.db", redis_server.url)
        stderr = Output(writer.stderr)
        try:
            wait_until(lambda: stderr.text.count("waiting for workers") == 2,
                       "the second notice", writer, limit=90)
            writer.send_signal(signal.SIGTERM)
            writer.wait(timeout=60)
        finally:
            stop([writer])
        err = stderr.finish()
    notices = [line for line in err.splitlines() if line.startswith("waiting for workers")]
    start = f"start `wixarchive worker --redis {redis_server.url}` on any machine"
    assert [re.sub(r"\d+ s;", "N s;", line) for line in notices] == [
        f"waiting for workers: none for N s; {start} (this crawl waits until one comes)"] * 2
    first, second = (int(re.search(r"none for (\d+) s", line)[1]) for line in notices)
    assert 10 <= first <= 12 and 30 <= second - first <= 32, notices
    assert "1 site running, 1 request queued, 0 workers" in err.splitlines(), err
    assert writer.returncode == 143


def test_redis_lost_mid_crawl_then_resumed(tmp_path: Path, redis_server: RedisServer):
    db = tmp_path / "archive.db"
    with blogs(2, posts=30, post_seconds=0.1) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, db, redis_server.url)
        workers = [start_worker(redis_server.url)]
        try:
            deadline = time.monotonic() + 120
            while sum(s.hits.total() for s in servers) < 25 and time.monotonic() < deadline:
                time.sleep(0.05)
            redis_server.kill()
            out, err = writer.communicate(timeout=120)
            workers[0].wait(timeout=120)
        finally:
            stop([writer, *workers])
        assert writer.returncode == 1
        assert err.strip().splitlines()[-1].startswith("Error: lost Redis at"), err
        assert "Traceback" not in err
        assert workers[0].returncode == 1
        lost = workers[0].stderr.read()
        assert "Error: lost Redis at" in lost
        # Redis itself is gone: no other worker takes this one's requests (it said so).
        assert "if it is down, the crawl stops and its next run resumes it" in lost, lost
        # The archive is consistent: each site's run closed as interrupted, nothing running.
        assert sorted(r["status"] for r in runs(db)) == ["interrupted", "interrupted"]
        first = versions_per_post(db)

        # A new Redis (nothing persisted): the next crawl resumes and completes every site.
        again = RedisServer(tmp_path / "redis2").start()
        try:
            writer = start_writer(urls, db, again.url)
            workers = [start_worker(again.url), start_worker(again.url)]
            out, err = writer.communicate(timeout=240)
            for worker in workers:
                worker.wait(timeout=60)
        finally:
            stop([writer, *workers])
            again.kill()
        assert writer.returncode == 0, err
        assert_every_post_once(db, servers)
        newest = [r for r in runs(db) if r["status"] == "ok"]
        assert sum(r["counts"]["new"] for r in newest) == 60 - len(first)


@pytest.mark.parametrize("wipe", ["flushall", "restart"])
def test_redis_emptied_mid_crawl_interrupts_the_crawl_then_the_next_run_completes_it(
        tmp_path: Path, redis_server: RedisServer, wipe: str):
    """A Redis restarted at once without persistence (or flushed) mid-crawl comes back empty:
    every site's pending count then read 0, and the writer reported each site finished and ok
    (`Total: 2 sites (2 ok)`, exit 0) with most of its posts never fetched."""
    db = tmp_path / "archive.db"
    with contextlib.ExitStack() as stack:
        # The first site's four first posts answered, the next ones held while Redis is
        # emptied (fewer than a worker's 16 downloads at once: they wait for the site's
        # politeness in the downloader); the second site ends before that.
        servers = [stack.enter_context(Counted(SampleBlog(seed=90 + n, post_count=posts),
                                               loopback(2 + n), 0.0).start())
                   for n, posts in enumerate([12, 30])]
        urls = [s.url for s in servers]
        gate = Gate("/post/", allow=4)
        servers[0].gate = gate
        writer = start_writer(urls, db, redis_server.url)
        worker = start_worker(redis_server.url)
        try:
            wait_until(lambda: gate.held and _has_runs(db) and any(
                r["status"] == "ok" for r in runs(db)), "posts held, a site done", writer)
            if wipe == "flushall":
                redis_server.client().flushall()
            else:  # as `redis-cli shutdown nosave` and redis-server started again at once,
                # with the writer's command in flight: its reply lost, it reported "lost
                # Redis at ...: Connection reset by peer" (a blip: see crawler.distributed.
                # blips) instead of the queue lost, now and then
                redis_server.restart_mid_command()
            gate.release()
            out, err = writer.communicate(timeout=120)
            worker.wait(timeout=60)
        finally:
            gate.release()
            stop([writer, worker])
        assert writer.returncode == 1, (out, err)
        assert err.strip().splitlines()[-1] == (
            f"Error: Redis at {redis_server.url} lost the crawl's queue (restarted or "
            "flushed): run again to resume"), err
        assert "Traceback" not in err, err
        # Ended as a crawl without Redis ends, with its Total and Archive lines.
        assert f"✓ {urls[1]}/: 30 posts: 30 new" in out, out
        assert f"✓ {urls[0]}" not in out, out
        assert "Total: 2 sites (1 interrupted, 1 ok)" in out and f"Archive: {db}\n" in out, out
        first_runs = runs(db)
        assert sorted(r["status"] for r in first_runs) == ["interrupted", "ok"], first_runs
        # The worker does not fetch on for a queue that is gone: it says so and stops.
        lost = worker.stderr.read()
        assert worker.returncode == 1, lost
        assert "lost the crawl's queue (restarted or flushed)" in lost, lost
        first = versions_per_post(db)
        assert len(first) < 42

        # The next run resumes: every post archived, exactly once.
        writer = start_writer(urls, db, redis_server.url)
        out, err = run_to_end(writer, [start_worker(redis_server.url),
                                       start_worker(redis_server.url)])
    assert writer.returncode == 0, (out, err)
    assert "Total: 2 sites (2 ok)" in out, out
    assert_every_post_once(db, servers)
    newest = [r for r in runs(db) if r["id"] > max(r["id"] for r in first_runs)]
    assert [r["status"] for r in newest] == ["ok", "ok"], newest
    assert sum(r["counts"]["new"] for r in newest) == 42 - len(first)


def _cut_connections_three_times(redis_server: RedisServer, servers: list[Counted],
                                 writer: subprocess.Popen) -> None:
    """Every client's connection cut mid-command (Redis stays up with its data), three times."""
    for hits in (10, 25, 40):
        wait_until(lambda hits=hits: sum(s.hits.total() for s in servers) >= hits,
                   f"{hits} pages fetched", writer)
        assert redis_server.cut_connections_mid_command() >= 2


def _restart_keeping_the_data(redis_server: RedisServer, servers: list[Counted],
                              writer: subprocess.Popen) -> None:
    """Redis shut down saving its data and started again 2 s later."""
    wait_until(lambda: sum(s.hits.total() for s in servers) >= 20, "20 pages fetched", writer)
    redis_server.client().shutdown(save=True)
    assert redis_server.proc is not None
    redis_server.proc.wait(timeout=30)
    time.sleep(2.0)
    redis_server.start()  # loads the dump saved in its folder


@pytest.mark.parametrize("blip", [_cut_connections_three_times, _restart_keeping_the_data],
                         ids=["connections-cut", "restarted-with-its-data"])
def test_a_redis_blip_mid_crawl_is_waited_out_every_post_once(
        tmp_path: Path, redis_server: RedisServer,
        blip: Callable[[RedisServer, list[Counted], subprocess.Popen], None]):
    """Redis stays up with its data but every client's connection is cut mid-command (a dropped
    TCP connection, a proxy or failover cutting them), or it is shut down saving its data and
    started again 2 s later (an upgrade, a failover with the data kept): away for less than the
    grace the writer and the workers wait (crawler.distributed.blips), back holding the crawl,
    they carry on. They used to end ("lost Redis at ...: Connection closed by server."), the
    sites interrupted."""
    db = tmp_path / "archive.db"
    with blogs(2, posts=30, post_seconds=0.1) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, db, redis_server.url)
        workers = [start_worker(redis_server.url)]
        try:
            blip(redis_server, servers, writer)
            out, err = run_to_end(writer, workers)
        finally:
            stop([writer, *workers])
        worker_err = workers[0].stderr.read()
    assert writer.returncode == 0, err
    assert "Total: 2 sites (2 ok)" in out, out
    assert workers[0].returncode == 0, worker_err
    assert_every_post_once(db, servers)
    assert sorted(r["counts"]["new"] for r in runs(db)) == [30, 30]


def test_a_request_of_no_current_run_is_not_queued(redis_server: RedisServer):
    """A worker queues the requests a page links to. Queued into a Redis restarted empty
    (before its heartbeat saw the crawl lost), they were fetched there, and the next writer
    stored their posts into the interrupted run: its resume counted them neither new nor
    changed. Only a request of its site's current run is queued."""
    from crawler.distributed import protocol as p

    server = redis_server.client()
    push = server.register_script(p.PUSH)
    site = "https://garden.example/"

    def queued(run: object) -> int:
        score, member = 1.0, p.queue_member(site, f"{site}post/{run}", b"request")
        return push(keys=[p.PENDING, p.STOPPED, p.RUNS], args=[score, member, site, run, ""])

    assert queued(7) == 0  # emptied: no run at all
    server.hset(p.RUNS, site, 8)
    assert queued(7) == 0  # a new crawl's run: the old one's requests stay out of it
    assert queued("") == 0
    assert queued(8) == 1
    assert server.zcard(p.lane_key(site)) == 1 and server.hget(p.PENDING, site) == b"1"


def test_a_request_whose_workers_died_three_times_is_given_up_and_named(
        tmp_path: Path, redis_server: RedisServer):
    """docs/distributed.md: a request whose workers died three times is given up and named in
    its site's errors. It was handed out a fourth time, and given up unnamed."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=3) as (server,):
        paths = [post.url_path for post in server.blog.posts]
        deadly = paths[0]
        assert not any(path.startswith(deadly) for path in paths[1:])
        gate = Gate(deadly)  # held: each worker fetching it is killed while it waits
        server.gate = gate
        writer = start_writer([server.url], db, redis_server.url, "--no-media")
        workers: list[subprocess.Popen] = []
        try:
            for death in range(1, 4):
                workers.append(start_worker(redis_server.url, *DIES))
                wait_until(lambda death=death: server.hits[deadly] == death,
                           f"fetch {death} of {deadly}", writer)
                if death == 1:  # the rest stored: it is the only request any worker dies on
                    wait_until(lambda: _has_runs(db) and len(versions_per_post(db)) == 2,
                               "the other posts stored", writer)
                os.killpg(workers[-1].pid, signal.SIGKILL)
                workers[-1].wait()
            gate.release()
            workers.append(start_worker(redis_server.url))  # would fetch it a fourth time
            out, err = writer.communicate(timeout=120)
            workers[-1].wait(timeout=60)
        finally:
            gate.release()
            stop([writer, *workers])
    assert server.hits[deadly] == 3, server.hits
    assert server.hits["/blog-posts-sitemap.xml"] == 1, server.hits
    (run,) = runs(db)
    given_up = f"{server.url}{deadly}: given up: the workers handling it died 3 times"
    assert given_up in run["errors"], run["errors"]
    assert run["status"] == "partial" and run["counts"]["failed"] == 1, run
    assert set(versions_per_post(db)) == {server.url + path for path in paths[1:]}


def test_the_json_summary_through_redis_counts_pages_and_requests_as_without(
        tmp_path: Path, redis_server: RedisServer):
    """`crawl --json` through Redis counted no robots.txt among the pages, 0 requests, and
    gave no peak memory (null)."""
    with blogs(1, posts=5) as (server,):
        local = crawl_json(server.url, tmp_path / "local.db")
        through_redis = crawl_json(server.url, tmp_path / "redis.db", redis_server.url)
    # robots.txt, the sitemaps, the feed, the home page (read for its languages' alternates:
    # crawler.discover.languages) and the 5 posts (before 2026-12-06, through Redis, the
    # robots.txt a worker's robots middleware fetched too).
    assert through_redis["pages_fetched"] == local["pages_fetched"] == 10
    assert through_redis["requests"] == local["requests"] == 10
    assert through_redis["peak_rss_mb"] > 0  # the writer's own


def test_a_blog_on_the_sites_home_page_is_read_there_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A blog on the site's home page, its feed naming the home without a trailing slash and
    its posts sitemap gone: the home is read as the listing through Redis as without (before
    2026-12-07 both archived only the feed's newest 20 of 26 posts)."""
    blog = SampleBlog(seed=7, post_count=26, page_size=30)  # one listing page holds all
    with BlogServer(blog, loopback(2)).start() as server:
        server.blog_on_home_page()
        server.overrides["/blog-posts-sitemap.xml"] = error_response(404)
        local = crawl_json(server.url, tmp_path / "local.db")
        through_redis = crawl_json(server.url, tmp_path / "redis.db", redis_server.url)
    assert local["counts"]["new"] == through_redis["counts"]["new"] == 26


def _home_named_home(server: BlogServer) -> None:
    """A blog on the home page whose feed names /home, which answers 404."""
    server.blog_on_home_page()
    feed = server.overrides["/blog-feed.xml"]
    server.overrides["/blog-feed.xml"] = Response(feed.status, feed.body.replace(
        f"<link>{server.url}</link>".encode(), f"<link>{server.url}/home</link>".encode()),
        feed.headers)


@pytest.mark.parametrize("variant", ["languages", "languages without posts sitemap", "/home"])
def test_languages_and_a_missing_blog_home_are_read_as_without_redis(
        tmp_path: Path, redis_server: RedisServer, variant: str):
    """A French translation that the root sitemaps do not name (read from /fr/'s feed and
    sitemap, or its listing pages), and a feed naming /home that answers 404 (the home page is
    the listing): through Redis as without, every post once, every page asked for once
    (before 2026-12-07: 6 of 31 posts, and the feed's 20 of 26)."""
    blog = SampleBlog(seed=7, post_count=26 if variant == "/home" else 6, page_size=30)
    hits = []
    for db, through in (("local.db", None), ("redis.db", redis_server.url)):
        with BlogServer(blog, loopback(2)).start() as server:
            server.overrides["/blog-posts-sitemap.xml"] = error_response(404)
            if variant == "/home":
                _home_named_home(server)
            else:
                server.languages = {"fr": SampleBlog(seed=8, post_count=25, page_size=10)}
            if variant == "languages without posts sitemap":
                server.overrides["/fr/blog-posts-sitemap.xml"] = error_response(404)
            elif variant == "languages":
                del server.overrides["/blog-posts-sitemap.xml"]
            summary = crawl_json(server.url, tmp_path / db, through)
            hits.append(dict(server.hits))
        assert summary["counts"]["new"] == (26 if variant == "/home" else 31), (db, summary)
    assert hits[0] == hits[1]
    assert set(hits[1].values()) == {1}


def test_a_redirect_to_a_post_already_queued_is_captured_and_counted_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A post answering 301 to another post the crawl already asked for: the duplicate filter
    drops the redirect, and the 301 is captured and counted among the pages and requests, as
    a crawl without Redis does. Through Redis the 301 was neither captured nor counted."""
    with blogs(1, posts=3) as (server,):
        first, second = server.blog.posts[:2]
        server.overrides[first.url_path] = Response(
            301, headers={"Location": server.url + second.url_path})
        local = crawl_json(server.url, tmp_path / "local.db")
        through_redis = crawl_json(server.url, tmp_path / "redis.db", redis_server.url)
    for db in ("local.db", "redis.db"):
        with Archive.open(tmp_path / db, readonly=True, create=False) as archive:
            redirects = archive.conn.execute(
                "SELECT url FROM captures WHERE status = 301").fetchall()
        assert [tuple(row) for row in redirects] == [(server.url + first.url_path,)], db
    assert through_redis["pages_fetched"] == local["pages_fetched"]
    assert through_redis["requests"] == local["requests"]


def test_posts_redirecting_to_the_sites_new_host_or_another_site_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A blog moved to another host (its old address redirects everything there): the post
    named on the old address, and a post redirecting to a renamed slug on the new host, are
    the site's, archived; a post redirecting to another blog is that blog's: named, not
    archived. The same with and without Redis (a post request of a worker knew only the old
    address, the named post was asked for before robots.txt said where the site lives)."""
    with blogs(2, posts=5) as (server, other), \
            BlogServer(server.blog, loopback(20)).start() as alias:
        alias.moved_to = server.url
        named, renamed, moved, target = server.blog.posts[:4]
        server.overrides[renamed.url_path] = Response(
            301, headers={"Location": server.url + target.url_path})
        elsewhere = other.url + other.blog.posts[0].url_path
        server.overrides[moved.url_path] = Response(301, headers={"Location": elsewhere})
        summaries = {db: crawl_json(alias.url + named.url_path, tmp_path / db, url)
                     for db, url in (("local.db", None), ("redis.db", redis_server.url))}
    host = other.url.split("://")[1]
    for db, summary in summaries.items():
        assert summary["status"] == "ok" and summary["counts"]["new"] == 3, (db, summary)
        assert (f"1 post moved to another site, not archived ({host}): crawl it as a site of "
                "its own") in summary["message"], db
        assert any(f"redirects to {elsewhere}, a post of another site" in error
                   for error in summary["errors"]), db
        with Archive.open(tmp_path / db, readonly=True) as archive:
            assert sorted(archive.known_posts(alias.url)) == sorted(
                server.url + post.url_path for post in (named, target, server.blog.posts[4]))


def test_a_named_page_redirecting_to_another_site_is_left_to_it_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """The page named with no /post/ in its URL (read as a listing page, the site having no
    posts sitemap) that redirects to another blog's post is that blog's: named, not archived,
    with and without Redis (it was archived as the crawled site's post)."""
    with blogs(2, posts=3) as (server, other):
        server.overrides["/sitemap.xml"] = Response(404)
        elsewhere = other.url + other.blog.posts[0].url_path
        server.overrides["/single-post/moved"] = Response(301, headers={"Location": elsewhere})
        summaries = {db: crawl_json(server.url + "/single-post/moved", tmp_path / db, url)
                     for db, url in (("local.db", None), ("redis.db", redis_server.url))}
    for db, summary in summaries.items():
        assert summary["status"] == "ok" and summary["counts"]["new"] == 3, (db, summary)
        assert any(error.startswith(f"{server.url}/single-post/moved: redirects to {elsewhere}, "
                                    "a post of another site") for error in summary["errors"]), db
        with Archive.open(tmp_path / db, readonly=True) as archive:
            assert sorted(archive.known_posts(server.url)) == sorted(
                server.url + post.url_path for post in server.blog.posts)


def test_run_due_through_redis(tmp_path: Path, redis_server: RedisServer):
    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.toml"
    with blogs(2, posts=10) as servers:
        sites.write_text("\n".join(f'[[site]]\nurl = "{s.url}"\ndelay = 0.05\nconcurrency = 1\n'
                                   for s in servers))
        worker = start_worker(redis_server.url)
        try:
            result = subprocess.run(
                [*WIXARCHIVE, "run-due", "--db", str(db), "--sites", str(sites), "--json",
                 "--redis", redis_server.url], capture_output=True, text=True, cwd=REPO,
                timeout=180)
            worker.wait(timeout=60)
        finally:
            stop([worker])
        assert result.returncode == 0, result.stderr
        outcomes = {o["site"]: o for o in json.loads(result.stdout)}
        for server in servers:
            assert outcomes[server.url + "/"]["status"] == "ok"
            assert outcomes[server.url + "/"]["counts"]["new"] == 10
            assert server.peak == 1  # the site's own concurrency, from the sites file


def test_run_due_through_redis_takes_each_sites_media_options(tmp_path: Path,
                                                              redis_server: RedisServer):
    """The sites file's media keys hold per site through Redis, as without it: `media = false`
    fetches none of its images, the other site's are kept up to the [defaults] cap."""
    pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")
    from crawler.sample_site import serve_blog
    from crawler.sample_site.server import media_bytes

    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.toml"
    cap = 0.0001  # MB: 104 bytes, between the sizes of the sample images (80 to ~700 bytes)
    with blogs(2, posts=4) as (no_media, capped), \
            serve_blog(no_media.blog, host=loopback(9)) as media:
        sites.write_text(f'[defaults]\ndelay = 0\nmax_media_mb = {cap}\n'
                         f'[[site]]\nurl = "{no_media.url}"\nmedia = false\n'
                         f'[[site]]\nurl = "{capped.url}"\n')
        worker = start_worker(redis_server.url)
        try:
            result = subprocess.run(
                [*WIXARCHIVE, "run-due", "--db", str(db), "--sites", str(sites), "--json",
                 "--redis", redis_server.url], capture_output=True, text=True, cwd=REPO,
                timeout=180, env={**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{media.url}/media/"})
            worker.wait(timeout=60)
        finally:
            stop([worker])
    assert result.returncode == 0, result.stderr
    assert [o["status"] for o in json.loads(result.stdout)] == ["ok", "ok"]
    with Archive.open(db, readonly=True) as archive:
        status = dict(archive.conn.execute("SELECT url, status FROM media").fetchall())
    wanted = image_urls(capped.blog)
    fetched = [path for path in media.request_log if path.startswith("/media/")]
    assert sorted(fetched) == sorted("/media/" + url.rsplit("/", 1)[1] for url in wanted)
    assert status == {url: "too-big" if len(media_bytes(url.rsplit("/", 1)[1])) > cap * 2**20
                      else "stored" for url in wanted}
    assert set(status.values()) == {"too-big", "stored"}


def test_images_fetched_by_workers_kept_by_the_writer(tmp_path: Path, redis_server: RedisServer):
    pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")
    from crawler.sample_site import serve_blog

    db = tmp_path / "archive.db"
    with blogs(1, posts=6) as (server,), serve_blog(server.blog, host=loopback(9)) as media:
        images = set(image_urls(server.blog))
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{media.url}/media/"}
        writer = subprocess.Popen([*WIXARCHIVE, "crawl", server.url, "--db", str(db), "--redis",
                                   redis_server.url, "--delay", "0"], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
        out, err = run_to_end(writer, [start_worker(redis_server.url),
                                       start_worker(redis_server.url)], timeout=180)
        assert writer.returncode == 0, err
        fetched = [p for p in media.request_log if p.startswith("/media/")]
        assert sorted(fetched) == sorted("/media/" + u.rsplit("/", 1)[1] for u in images)
    with Archive.open(db, readonly=True) as archive:
        rows = dict(archive.conn.execute("SELECT url, status FROM media").fetchall())
        # Captured under the URLs the posts name, not the mirror's (a WACZ import finds them).
        captured = {url for (url,) in archive.conn.execute(
            "SELECT c.url FROM media m JOIN captures c ON c.record_id = m.capture")}
    assert rows == {url: "stored" for url in images}
    assert captured == images
    check = subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                           text=True, cwd=REPO, timeout=120)
    assert check.returncode == 0, check.stdout


def test_writer_killed_mid_crawl_a_new_writer_takes_over(tmp_path: Path,
                                                          redis_server: RedisServer):
    db = tmp_path / "archive.db"
    with blogs(2, posts=40, post_seconds=0.05) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, db, redis_server.url)
        workers = [start_worker(redis_server.url), start_worker(redis_server.url)]
        try:
            deadline = time.monotonic() + 120
            while sum(s.hits.total() for s in servers) < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
            os.killpg(writer.pid, signal.SIGKILL)
            writer.wait()
            client = redis_server.client()
            wait_until(lambda: client.llen("wixarchive:results"), "results left unstored")
            waiting = client.llen("wixarchive:results")
            # Started at once (the dead writer's key has not expired): it stores what the first
            # one left, closes its runs, and crawls on from what the archive holds.
            writer = start_writer(urls, db, redis_server.url)
            workers.append(start_worker(redis_server.url))
            out, err = writer.communicate(timeout=240)
            for worker in workers:
                worker.wait(timeout=60)
        finally:
            stop([writer, *workers])
        assert waiting, "nothing was waiting for the writer: the test proved nothing"
        assert writer.returncode == 0, err
        assert_every_post_once(db, servers)
        statuses = sorted(r["status"] for r in runs(db))
        assert statuses == ["interrupted", "interrupted", "ok", "ok"]


def test_what_a_killed_writer_left_is_counted_in_its_runs_after_runs_closed_them(
        tmp_path: Path, redis_server: RedisServer):
    """Writer and workers killed together with results waiting in Redis, then `wixarchive runs`
    (which closes the dead writer's runs as interrupted), then a new crawl: it stores what the
    dead writer left in those runs, and they count it. Before, the counts were dropped (only a
    running run took them): a run said 45 new while 59 posts' first versions named it, and no
    run ever counted those 14 posts new."""
    db = tmp_path / "archive.db"
    client = redis_server.client()
    with blogs(2, posts=300) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, db, redis_server.url)
        workers = [start_worker(redis_server.url, *DIES), start_worker(redis_server.url, *DIES)]
        try:
            wait_until(lambda: _has_runs(db) and len(versions_per_post(db)) >= 40,
                       "40 posts stored", writer)
            os.kill(writer.pid, signal.SIGSTOP)  # stores nothing more; the workers send on
            wait_until(lambda: client.llen("wixarchive:results") >= 10, "results waiting")
        finally:
            stop([writer, *workers])  # SIGKILL, all at once: a power cut
        waiting = client.llen("wixarchive:results")
        closed = subprocess.run([*WIXARCHIVE, "runs", "--db", str(db)], capture_output=True,
                                text=True, cwd=REPO)
        assert closed.returncode == 0, closed.stderr
        assert [r["status"] for r in runs(db)] == ["interrupted", "interrupted"]
        writer = start_writer(urls, db, redis_server.url)
        out, err = run_to_end(writer, [start_worker(redis_server.url),
                                       start_worker(redis_server.url)])
        assert writer.returncode == 0, err
        with Archive.open(db, readonly=True) as archive:
            stored_new = dict(archive.conn.execute(
                "SELECT run_id, count(*) FROM post_versions WHERE version = 1 GROUP BY run_id"))
    assert waiting, "nothing was waiting for the next writer: the test proved nothing"
    assert set(versions_per_post(db).values()) == {1}
    assert len(versions_per_post(db)) == 600
    counted = {r["id"]: r["counts"].get("new", 0) for r in runs(db)}
    assert counted == {run: stored_new.get(run, 0) for run in counted}
    assert sum(counted.values()) == 600
    # The dead writer's capture file is closed by the next one: not "left open" for ever.
    check = subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                           text=True, cwd=REPO)
    assert check.returncode == 0 and "left open" not in check.stdout + check.stderr, check.stdout


def unindexed_bytes(db: Path) -> dict[str, int]:
    """The bytes of each capture file past what the index covers: records written, not indexed."""
    with Archive.open(db, readonly=True, create=False) as archive:
        indexed = dict(archive.conn.execute("SELECT name, bytes FROM capture_files"))
    sizes = {path.name: path.stat().st_size for path in captures_dir(db).glob("*.warc.gz")}
    return {name: size - indexed.get(name, 0) for name, size in sizes.items()
            if size > indexed.get(name, 0)}


def test_what_a_killed_writer_wrote_unindexed_is_not_written_twice(tmp_path: Path,
                                                                     redis_server: RedisServer):
    """The writer killed after writing a batch's records, before it could index them (another
    process kept the archive locked): the next writer indexes them where they are and does not
    write them again. Before, it wrote them once more into its own file (same WARC-Record-IDs):
    the index named one copy, but a WARC tool reading the folder saw those records twice."""
    db = tmp_path / "archive.db"
    folder = captures_dir(db)
    client = redis_server.client()
    with blogs(1, posts=300) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, db, redis_server.url, "--no-media")
        workers = [start_worker(redis_server.url, *DIES)]
        try:
            wait_until(lambda: _has_runs(db) and len(versions_per_post(db)) >= 40,
                       "40 posts stored", writer)
            with write_lock(db):  # read in WAL mode all the same
                wait_until(lambda: unindexed_bytes(db),
                           "records written that the locked archive cannot index", writer)
                stop([writer, *workers])  # SIGKILL, waiting for the lock to index them
        finally:
            stop([writer, *workers])
        waiting = client.llen("wixarchive:results")
        unindexed = unindexed_bytes(db)
        writer = start_writer(urls, db, redis_server.url, "--no-media")
        out, err = run_to_end(writer, [start_worker(redis_server.url)])
        assert writer.returncode == 0, err
    assert waiting and unindexed, "nothing was left unindexed: the test proved nothing"
    records: dict[str, int] = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("response", "revisit"):
                    record_id = record.rec_headers.get_header("WARC-Record-ID")
                    records[record_id] = records.get(record_id, 0) + 1
    twice = [record_id for record_id, copies in records.items() if copies > 1]
    assert not twice, f"{len(twice)} records written twice"
    assert set(versions_per_post(db).values()) == {1}
    assert len(versions_per_post(db)) == 300
    check = subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                           text=True, cwd=REPO)
    assert check.returncode == 0, check.stdout + check.stderr


def _waiting_posts(client: Any) -> set[str]:
    """The URLs of the posts in the results waiting in Redis for a writer."""
    from crawler.distributed.protocol import decode_message

    return {item[1].url for raw in client.lrange("wixarchive:results", 0, -1)
            for item in decode_message(raw).get("items", []) if item[0] == "post"}


def writer_giving_up(db: Path, urls: list[str], redis_server: RedisServer, *extra: str,
                     free_as_it_stops: bool = False) -> tuple[str, set[str]]:
    """A writer of `db` crawling `urls` (with `extra` options) with one worker, made to give up
    once 20 posts are stored: the test holds the archive's write lock past its busy timeout
    (2 s), to the end, or (`free_as_it_stops`) until the writer stops the crawl. Its stderr,
    and the posts its results left waiting in Redis."""
    busy = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "2000"}
    writer = start_writer(urls, db, redis_server.url, "--no-media", *extra, env=busy)
    workers = [start_worker(redis_server.url)]
    try:
        wait_until(lambda: _has_runs(db) and len(versions_per_post(db)) >= 20,
                   "20 posts stored", writer)
        with write_lock(db) as free:
            if free_as_it_stops:  # winding down: it waits for the requests the worker holds
                wait_until(lambda: redis_server.client().exists("wixarchive:stopped"),
                           "the writer stopping the crawl", writer)
                free()
            wait_until(lambda: writer.poll() is not None, "the writer giving up")
            _, err = writer.communicate()
            return err, _waiting_posts(redis_server.client())
    finally:
        stop([writer, *workers])


def test_a_writer_that_gives_up_on_a_busy_archive_leaves_its_results_to_the_next(
        tmp_path: Path, redis_server: RedisServer):
    """Another process holds the archive's write lock past the busy timeout: the writer gives
    up, saying the workers' results it could not store wait in Redis, and the next crawl stores
    them in the run that fetched them. Before, the writer deleted them with the crawl's keys as
    it exited: those posts' captures and versions of that moment were lost, fetched again; and
    the results of the requests the workers held as it gave up were dropped too."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=200, post_seconds=0.02) as servers:
        urls = [s.url for s in servers]
        err, waiting = writer_giving_up(db, urls, redis_server)
        (first_run,) = [run["id"] for run in runs(db)]
        stored_before = set(versions_per_post(db))
        fetched_before = {path for path in servers[0].hits if "/post/" in path}
        servers[0].hits.clear()
        writer = start_writer(urls, db, redis_server.url, "--no-media")
        out2, err2 = run_to_end(writer, [start_worker(redis_server.url)])
        fetched_again = {path for path in servers[0].hits if "/post/" in path} & fetched_before
        assert writer.returncode == 0, err2
        with Archive.open(db, readonly=True) as archive:
            first_versions = {url for (url,) in archive.conn.execute(
                "SELECT p.url FROM posts p JOIN post_versions v ON v.post_id = p.id "
                "WHERE v.version = 1 AND v.run_id = ?", (first_run,))}
    assert "busy" in err, err
    assert waiting - stored_before, (
        "the writer gave up leaving no result in Redis: the workers' results were dropped")
    assert "left in Redis" in err, err
    assert waiting <= first_versions, "results the writer left were not stored in its run"
    assert not fetched_again, f"{len(fetched_again)} posts the first crawl fetched, lost"
    assert_every_post_once(db, servers)


def test_results_a_writer_left_are_refused_by_a_writer_of_another_archive(
        tmp_path: Path, redis_server: RedisServer):
    """One Redis, two archives: the results a writer of a.db left as it gave up belong to a.db.
    A writer of b.db refuses in one line naming a.db and the ways out, touching nothing; the
    next writer of a.db (spelt another way) stores them. Before, b.db's writer stored a.db's
    posts into b.db, under a.db's run ids."""
    first, other = tmp_path / "a.db", tmp_path / "b.db"
    client = redis_server.client()
    with blogs(1, posts=200, post_seconds=0.02) as servers:
        urls = [s.url for s in servers]
        writer_giving_up(first, urls, redis_server)
        left = client.lrange("wixarchive:results", 0, -1)
        assert left, "the first writer left no result in Redis: the test proved nothing"
        with Archive.open(other) as archive:  # b.db, an archive of its own
            archive.start_run("https://other.example/")
        before = other.read_bytes()
        refused = start_writer(urls, other, redis_server.url, "--no-media")
        try:
            _, err = refused.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # crawling on, with no worker
            stop([refused])
            pytest.fail(f"a writer of {other.name} took {first.name}'s results: "
                        f"{len(versions_per_post(other))} of its posts stored in {other.name}")
        assert refused.returncode == 1, err
        problem = [line for line in err.splitlines() if line.startswith("Error")]
        assert len(problem) == 1, err
        assert str(first.resolve()) in problem[0], problem[0]
        assert f"--db {first.resolve()}" in problem[0] and "/1" in problem[0], problem[0]
        assert "left in Redis" not in err, err
        assert client.lrange("wixarchive:results", 0, -1) == left, "Redis was touched"
        assert other.read_bytes() == before, f"{other.name} was written"
        # The same archive by another path to it: its writer stores them, as before.
        (tmp_path / "elsewhere").mkdir()
        same = tmp_path / "elsewhere" / ".." / "a.db"
        writer = start_writer(urls, same, redis_server.url, "--no-media")
        out, err = run_to_end(writer, [start_worker(redis_server.url)])
        assert writer.returncode == 0, err
    assert_every_post_once(first, servers)
    assert not client.exists("wixarchive:archive"), "the archive's key outlived its results"


def kill_writer_mid_crawl(writer: subprocess.Popen, workers: list[subprocess.Popen],
                          servers: list, client: Any) -> list[bytes]:
    """SIGKILL the writer once 20 pages are fetched: the results its workers sent stay in
    Redis, unstored; returned, once the workers are stopped."""
    wait_until(lambda: servers[0].hits.total() >= 20, "20 pages fetched", writer)
    os.killpg(writer.pid, signal.SIGKILL)
    writer.wait()
    wait_until(lambda: client.llen("wixarchive:results"), "results left unstored")
    stop(workers)
    return client.lrange("wixarchive:results", 0, -1)


def test_results_a_killed_writer_left_are_refused_by_a_writer_of_another_archive(
        tmp_path: Path, redis_server: RedisServer):
    """A writer SIGKILLed leaves its results unmarked by any ending: the archive it recorded as
    it took the crawl still names them. A writer of b.db refuses them; a.db's takes over."""
    first, other = tmp_path / "a.db", tmp_path / "b.db"
    client = redis_server.client()
    with blogs(1, posts=40, post_seconds=0.05) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, first, redis_server.url, "--no-media")
        workers = [start_worker(redis_server.url)]
        try:
            left = kill_writer_mid_crawl(writer, workers, servers, client)
            refused = start_writer(urls, other, redis_server.url, "--no-media")
            try:
                _, err = refused.communicate(timeout=60)
            except subprocess.TimeoutExpired:  # crawling on, with no worker
                stop([refused])
                pytest.fail(f"a writer of {other.name} took the {len(left)} results "
                            f"{first.name}'s killed writer left ("
                            f"{client.llen('wixarchive:results')} left now)")
            assert refused.returncode == 1, err
            assert f"--db {first.resolve()}" in err, err
            assert client.lrange("wixarchive:results", 0, -1) == left, "Redis was touched"
            writer = start_writer(urls, first, redis_server.url, "--no-media")
            out, err = run_to_end(writer, [start_worker(redis_server.url)])
        finally:
            stop([writer, *workers])
        assert writer.returncode == 0, err
    assert_every_post_once(first, servers)


def test_run_due_with_no_site_due_stores_what_a_writer_that_gave_up_left(
        tmp_path: Path, redis_server: RedisServer):
    """A writer gives up on a busy archive (locked to its end: it cannot close its runs); its
    error says to store the results it left by `crawl` or `run-due`, and (before, nothing said
    so) that the download still running after its 15 s wind-down (a host that never answers)
    was dropped. Before, `run-due --redis` with no site due started no writer: they waited in
    Redis; and the runs were closed as "killed or crashed". Now run-due stores them in the run
    that fetched them, and closes the runs saying their writer gave up and why."""
    db = tmp_path / "archive.db"
    client = redis_server.client()
    with blogs(1, posts=200, post_seconds=0.02) as servers, \
            HangingServer(loopback(9)) as hanging:
        urls = [s.url for s in servers]
        err, waiting = writer_giving_up(db, [*urls, hanging.url], redis_server, "--timeout",
                                        "120")
    left = client.llen("wixarchive:results")
    assert waiting - set(versions_per_post(db)), f"nothing was left in Redis: {err}"
    assert err.rstrip().endswith("; 1 download still running after 15 s (a large file, a slow "
                                 "host) was dropped, fetched again by the next crawl"), err
    assert {run["status"] for run in runs(db)} == {"running"}, (
        "the writer closed its runs: the test proved nothing")
    # run-due's one site, crawled just now, is due weekly: none is due.
    with Archive.open(db) as archive:
        weekly = archive.start_run("https://weekly.example/")
        archive.finish_run(weekly, status="ok", counts={}, errors=[])
    sites = tmp_path / "sites.toml"
    sites.write_text('[[site]]\nurl = "https://weekly.example/"\nevery = "1w"\n')
    due = subprocess.run([*WIXARCHIVE, "run-due", "--db", str(db), "--sites", str(sites),
                          "--redis", redis_server.url],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert due.returncode == 0, due.stderr
    assert "not-due" in due.stdout, due.stdout
    assert f"Stored {left} results a crawl of this archive left in Redis" in due.stdout, due.stdout
    assert not client.llen("wixarchive:results")
    given_up = [r for r in runs(db) if r["id"] != weekly]
    with Archive.open(db, readonly=True) as archive:
        first_versions = {url for (url,) in archive.conn.execute(
            "SELECT p.url FROM posts p JOIN post_versions v ON v.post_id = p.id "
            "WHERE v.version = 1 AND v.run_id IN (?, ?)", [r["id"] for r in given_up])}
    assert waiting <= first_versions, "the results left were not stored in their run"
    assert len(given_up) == 2
    for run in given_up:
        assert run["status"] == "interrupted", run
        assert not any("killed or crashed" in error for error in run["errors"]), run
        assert re.fullmatch(r"its writer through Redis \(pid \d+\) gave up: cannot write the "
                            r"archive: .*busy.*", run["errors"][-1]), run["errors"]


def test_a_writer_that_gave_up_closes_its_run_saying_so_when_the_archive_frees(
        tmp_path: Path, redis_server: RedisServer):
    """The archive is busy past its timeout, then free as the writer winds the crawl down: it
    closes its run saying it gave up and why (before, the run stayed `running`, then was closed
    by the next command as "killed or crashed"); nothing is left in Redis to say it again."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=200, post_seconds=0.3) as servers:
        err, _ = writer_giving_up(db, [s.url for s in servers], redis_server,
                                  free_as_it_stops=True)
    (run,) = runs(db)
    assert "busy" in err and "left in Redis" in err, err
    assert run["status"] == "interrupted", run
    assert re.fullmatch(r"its writer through Redis \(pid \d+\) gave up: cannot write the "
                        r"archive: .*busy.*", run["errors"][-1]), run["errors"]
    assert not redis_server.client().exists("wixarchive:gave-up")


def test_a_download_still_running_past_a_stops_grace_is_said_dropped(
        tmp_path: Path, redis_server: RedisServer):
    """Ctrl-C to `crawl --redis` while a worker's download goes on (a host that never
    answers): the writer waits 15 s for it, then ends the site. Before, its line said nothing
    of that download, dropped (its result, sent later, refused); now it says so."""
    db = tmp_path / "archive.db"
    with HangingServer(loopback(9)) as hanging:
        worker = start_worker(redis_server.url)
        writer = start_writer([hanging.url], db, redis_server.url, "--no-media", "--json")
        try:
            wait_until(lambda: hanging.first_connection is not None, "a download under way",
                       writer)
            writer.send_signal(signal.SIGINT)
            out, err = writer.communicate(timeout=90)
        finally:
            stop([writer, worker])
    summary = json.loads(out)
    assert writer.returncode == 130, err
    assert summary["message"].endswith(
        "; 1 download still running after 15 s (a large file, a slow host) was dropped, "
        "fetched again by the next crawl"), summary


def test_results_left_for_an_archive_since_moved_are_stored_by_it_where_it_is_now(
        tmp_path: Path, redis_server: RedisServer):
    """a.db's writer is killed, leaving results in Redis; a.db is then moved (with its captures)
    to another folder. Before, its writer there was refused, told to crawl with `--db` the old
    path (which would create an empty archive there): they could be neither stored nor dropped
    by any command. Now the moved archive, which holds the runs they belong to, stores them; an
    unrelated archive is refused, told how to drop them if that archive is gone for good."""
    first, other = tmp_path / "a.db", tmp_path / "b.db"
    moved = tmp_path / "moved" / "a.db"
    client = redis_server.client()
    with blogs(1, posts=40, post_seconds=0.05) as servers:
        urls = [s.url for s in servers]
        writer = start_writer(urls, first, redis_server.url, "--no-media")
        workers = [start_worker(redis_server.url)]
        try:
            left = kill_writer_mid_crawl(writer, workers, servers, client)
            moved.parent.mkdir()
            for path in tmp_path.glob("a.*"):  # its -wal, its captures folder
                path.rename(moved.parent / path.name)
            with Archive.open(other) as archive:  # run 1 there: another site's
                archive.start_run("https://other.example/")
            refused = start_writer(urls, other, redis_server.url, "--no-media")
            _, err = refused.communicate(timeout=60)
            assert refused.returncode == 1, err
            assert f"another archive, {first.resolve()}, no longer there" in err, err
            assert "redis-cli -u " in err and " del wixarchive:results " in err, err
            assert client.lrange("wixarchive:results", 0, -1) == left, "Redis was touched"
            writer = start_writer(urls, moved, redis_server.url, "--no-media")
            out, err = run_to_end(writer, [start_worker(redis_server.url)])
        finally:
            stop([writer, *workers])
        assert writer.returncode == 0, err
    assert not first.exists(), "an archive was created at the old path"
    assert_every_post_once(moved, servers)
    assert len(runs(moved)) == 2


def test_results_left_for_an_archive_gone_are_not_taken_by_another_archive_of_that_site(
        tmp_path: Path, redis_server: RedisServer):
    """a.db's writer is killed, leaving results of its run 1 in Redis; a.db is then deleted.
    b.db, another archive of the same blog whose run 1 crawled it to its end long ago, took
    them as its own (it holds a run 1 of that site): they went into b.db's finished run. A run
    that ended complete left nothing unstored: b.db is refused, Redis untouched."""
    first, other = tmp_path / "a.db", tmp_path / "b.db"
    client = redis_server.client()
    with blogs(1, posts=40, post_seconds=0.05) as servers:
        urls = [s.url for s in servers]
        with Archive.open(other) as archive:
            run = archive.start_run(urls[0], started_at="2024-01-01T00:00:00+00:00")
            archive.finish_run(run, status="ok", counts={}, errors=[],
                               finished_at="2024-01-01T00:10:00+00:00")
        writer = start_writer(urls, first, redis_server.url, "--no-media")
        workers = [start_worker(redis_server.url)]
        try:
            left = kill_writer_mid_crawl(writer, workers, servers, client)
            for path in tmp_path.glob("a.*"):  # gone for good, its -wal and captures too
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            # Taking them, it would crawl on, waiting for workers: refused, it ends at once.
            writer = start_writer(urls, other, redis_server.url, "--no-media")
            _, err = writer.communicate(timeout=60)
        finally:
            stop([writer, *workers])
        assert writer.returncode == 1, err
        assert f"another archive, {first.resolve()}, no longer there" in err, err
        assert client.lrange("wixarchive:results", 0, -1) == left, "Redis was touched"
    assert len(runs(other)) == 1


def test_a_worker_runs_as_a_plain_scrapy_job(tmp_path: Path, redis_server: RedisServer):
    """As under Scrapyd: `scrapy crawl wixarchive -s REDIS_URL=...` is a worker too."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=8) as (server,):
        writer = start_writer([server.url], db, redis_server.url)
        job = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "wixarchive",
                                "-s", f"REDIS_URL={redis_server.url}",
                                "-s", "WIXARCHIVE_REDIS_IDLE=5", "-s", "LOG_LEVEL=ERROR"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=REPO, start_new_session=True)
        try:
            out, err = writer.communicate(timeout=180)
            job_out, job_err = job.communicate(timeout=60)
        finally:
            stop([writer, job])
        assert writer.returncode == 0, err
        assert f"✓ {server.url}/: 8 posts: 8 new" in out
        assert job.returncode == 0, job_err
    assert set(versions_per_post(db).values()) == {1}


def test_run_due_through_redis_stops_a_hanging_site_at_its_time_limit(
        tmp_path: Path, redis_server: RedisServer):
    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.toml"
    with blogs(1, posts=10) as (server,), HangingServer(loopback(9)) as hanging:
        hang = hanging.url
        sites.write_text(f'[[site]]\nurl = "{hang}"\ntimeout = "6s"\n\n'
                         f'[[site]]\nurl = "{server.url}"\ndelay = 0\n')
        worker = start_worker(redis_server.url)
        try:
            started = time.monotonic()
            result = subprocess.run(
                [*WIXARCHIVE, "run-due", "--db", str(db), "--sites", str(sites), "--json",
                 "--redis", redis_server.url], capture_output=True, text=True, cwd=REPO,
                timeout=180)
            ended = time.monotonic()
        finally:
            stop([worker])
    outcomes = {o["site"]: o for o in json.loads(result.stdout)}
    assert result.returncode == 1, result.stderr  # a site hit its time limit
    assert outcomes[hang]["status"] == "timeout"
    assert "stopped at its 6s time limit" in outcomes[hang]["message"]
    assert outcomes[server.url + "/"]["status"] == "ok"
    assert outcomes[server.url + "/"]["counts"]["new"] == 10
    # Not the 30 s download timeout of the hanging requests: counted from the worker's first
    # request to the site (the processes' start-up on a loaded machine is no part of it).
    begun = hanging.first_connection or started  # a worker slow to start may never reach it
    assert ended - begun < 6 + 20


def test_a_recrawl_through_redis_fetches_only_what_changed(tmp_path: Path,
                                                           redis_server: RedisServer):
    """The writer publishes what the archive holds: a second crawl, by the same long-lived
    worker, asks only for the post whose sitemap lastmod changed (conditionally) and stores
    it; the others are not asked for, even those the feed had the first crawl ask for before
    the sitemap named them (until a fix on 2026-12-05 each cost a 304). Those are recorded as
    seen, though: their `last_seen` moves, as without Redis (until 2026-12-06 the writer was
    told only how many there were, and their `last_seen` stayed at their first fetch)."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=10) as (server,):
        worker = start_worker(redis_server.url, "--idle-timeout", "30")
        try:
            first = start_writer([server.url], db, redis_server.url).communicate(timeout=120)
            assert f"✓ {server.url}/: 10 posts: 10 new" in first[0], first
            with Archive.open(db) as archive, archive.transaction() as conn:  # a month ago
                conn.execute("UPDATE posts SET last_seen = '2026-11-06T10:00:00+00:00'")
            posts_fetched = sum(n for path, n in server.hits.items() if "/post/" in path)
            server.blog.edit_post(server.blog.posts[3].slug, title="A new title")
            second = start_writer([server.url], db, redis_server.url).communicate(timeout=120)
        finally:
            stop([worker])
        assert f"✓ {server.url}/: 10 posts: 0 new, 1 changed, 9 unchanged" in second[0], second
        again = sum(n for path, n in server.hits.items() if "/post/" in path) - posts_fetched
        assert server.conditional == again == 1
    versions = versions_per_post(db)
    edited = server.url + server.blog.posts[3].url_path
    assert versions.pop(edited) == 2 and set(versions.values()) == {1}
    with Archive.open(db, readonly=True) as archive:
        started = archive.runs()[0]["started_at"]
        assert [archive.post(server.url + post.url_path)["last_seen"] >= started
                for post in server.blog.posts] == [True] * 10


class Holds(Gate):
    """Holds the answers to the paths starting with each prefix until its condition holds
    (polled; at most `limit` seconds, a hold that ran out is named in `ran_out`)."""

    def __init__(self, conditions: dict[str, Callable[[], bool]], limit: float = 60.0) -> None:
        super().__init__("/", limit=limit)
        self.conditions = conditions
        self.ran_out: list[str] = []

    def pass_through(self, path: str) -> None:
        for prefix, ready in self.conditions.items():
            if path.startswith(prefix):
                deadline = time.monotonic() + self.limit
                while not (self._open.is_set() or ready()):
                    if time.monotonic() > deadline:
                        self.ran_out.append(path)
                        return
                    time.sleep(0.05)


@pytest.mark.parametrize("posts_stored_first", [True, False],
                         ids=["posts-stored-before-sitemap", "sitemap-read-before-posts-stored"])
def test_posts_the_feed_asked_for_first_keep_the_sitemaps_lastmod_through_redis(
        tmp_path: Path, redis_server: RedisServer, posts_stored_first: bool):
    """The feed, read before the posts sitemap, has the workers ask for every post (the
    duplicate filter then drops the sitemap's requests, with their lastmod): each post is
    stored with the sitemap's lastmod all the same, whether the writer gets the posts before
    the sitemap or after, so the next crawl asks for none of them. Until a fix on 2026-12-05
    they were stored without one, and the next crawl asked for each again (a 304)."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=10) as (server,):
        def posts_asked() -> bool:
            return sum(n for path, n in server.hits.items() if "/post/" in path) >= 10

        if posts_stored_first:  # the posts sitemap answered once the feed's posts are stored
            holds = {"/blog-posts-sitemap.xml": lambda: _has_runs(db)
                     and len(versions_per_post(db)) >= 10}
        else:  # the posts answered once the writer has the posts sitemap's result
            holds = {"/blog-posts-sitemap.xml": posts_asked,
                     # robots.txt, the sitemap index, the feed, the posts sitemap
                     "/post/": lambda: _has_runs(db)
                     and runs(db)[0]["counts"].get("pages", 0) >= 4}
        server.gate = gate = Holds(holds)
        worker = start_worker(redis_server.url, "--idle-timeout", "30")
        try:
            # 16 at a time: the 10 posts held do not hold up the posts sitemap.
            first = start_writer([server.url], db, redis_server.url,
                                 "--concurrency", "16").communicate(timeout=180)
            assert f"✓ {server.url}/: 10 posts: 10 new" in first[0], first
            assert gate.ran_out == [] and posts_asked()
            log = server.request_log
            assert log.index("/blog-feed.xml") < log.index("/blog-posts-sitemap.xml")
            server.gate = None
            server.hits.clear()
            second = start_writer([server.url], db, redis_server.url).communicate(timeout=120)
        finally:
            stop([worker])
        assert f"✓ {server.url}/: 10 posts: 0 new, 0 changed, 10 unchanged" in second[0], second
        assert not [path for path in server.hits if "/post/" in path]
    with Archive.open(db, readonly=True, create=False) as archive:
        lastmods = dict(archive.conn.execute("SELECT url, lastmod FROM posts").fetchall())
    assert lastmods == {server.url + post.url_path: post.modified.strftime("%Y-%m-%d")
                        for post in server.blog.posts}


def test_sites_that_moved_to_another_host_are_crawled_there_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """Each address asked for redirects every request to another host (example.com to
    www.example.com): the workers crawl the posts where they are, through the posts sitemap,
    and for the site without one through its feed and listing pages, and the writer archives
    them under the sites asked for."""
    db = tmp_path / "archive.db"
    with blogs(2, posts=12) as servers, contextlib.ExitStack() as stack:
        servers[1].fail_paths.add("/sitemap.xml")  # the feed and listing pages only
        aliases = []
        for n, server in enumerate(servers):
            alias = stack.enter_context(BlogServer(server.blog, loopback(10 + n)).start())
            alias.moved_to = server.url
            aliases.append(alias)
        worker = start_worker(redis_server.url)
        try:
            out, err = start_writer([a.url for a in aliases], db,
                                    redis_server.url).communicate(timeout=120)
        finally:
            stop([worker])
        # The second is partial ("!"): its sitemap answered 500, an error of the run.
        for alias, mark in zip(aliases, "✓!", strict=True):
            assert f"{mark} {alias.url}/: 12 posts: 12 new" in out, (out, err)
        with Archive.open(db, readonly=True) as archive:
            for alias, server in zip(aliases, servers, strict=True):
                assert sorted(archive.known_posts(alias.url)) == sorted(
                    server.url + post.url_path for post in server.blog.posts)


def test_a_site_that_moved_keeps_its_posts_at_their_new_urls_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A blog archived at its old domain, which then redirects to a new one, crawled through
    Redis as without (tests/test_crawl_faults.py): the writer archived every post a second
    time under its new URL (`6 posts: 6 new`, 12 posts in stats, the edited one with no link
    to its earlier version), its line said nothing of the move, and its run kept no word of
    it. Now the move is named and recorded with the run, each post takes its new URL with its
    versions (found by its old URL too), and the old addresses are not asked again."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=6) as (new_home,), BlogServer(new_home.blog, loopback(10)) as old_home:
        before = crawl_json(old_home.url, db, redis_server.url)
        old_home.moved_to = new_home.url
        edited = new_home.blog.edit_post(new_home.blog.posts[0].slug,
                                         paragraphs=["Written after the move."])
        moved = crawl_json(old_home.url, db, redis_server.url)
        old_home.request_log.clear()
        again = crawl_json(old_home.url, db, redis_server.url)
    assert before["counts"]["new"] == 6, before
    old_root, new_root = old_home.url + "/", new_home.url + "/"
    assert moved["moved_to"] == again["moved_to"] == new_root
    assert moved["message"] == (
        f"6 posts: 0 new, 1 changed, 5 unchanged; moved: its address now redirects to "
        f"{new_root}, where it was crawled (name {new_root} from now on: it continues this site); "
        f"6 posts archived before at {old_root} now archived "
        "at their new URLs, their versions kept"), moved["message"]
    assert again["message"] == (f"6 posts: 0 new, 0 changed, 6 unchanged; moved: its address "
                                f"now redirects to {new_root}, where it was crawled (name "
                                f"{new_root} from now on: it continues this site)")
    assert old_home.request_log == ["/robots.txt"]  # no old post address asked again
    with Archive.open(db, readonly=True) as archive:
        assert [row["posts"] for row in archive.stats()] == [6]
        post = archive.post(old_root + edited.url_path.lstrip("/"))
        assert (post["url"], post["version"]) == (new_root + edited.url_path.lstrip("/"), 2)
        assert archive.runs()[0]["errors"][0].startswith(f"moved: its address now redirects "
                                                         f"to {new_root}")


def test_a_writer_taking_over_mid_crawl_knows_of_the_sites_move(tmp_path: Path,
                                                                 redis_server: RedisServer):
    """A blog archived at its old address, which now redirects to a new host, crawled through
    Redis; the writer killed mid-crawl, results waiting, and `crawl --redis` run again. The move
    was kept in the first writer's memory alone: the writer taking over stored the waiting
    posts under their new URLs as new posts beside the old ones (40 posts archived twice), and
    its line and run said nothing of the move. Now it learns of it as it starts, as the first
    writer had, and every post keeps its one history at its new URL. The killed writer's run
    said nothing of the move either (only that its process ended): it now keeps it."""
    db = tmp_path / "archive.db"
    client = redis_server.client()
    with blogs(1, posts=40, post_seconds=0.05) as (new_home,), \
            BlogServer(new_home.blog, loopback(10)) as old_home:
        crawl_json(old_home.url, db, redis_server.url)
        old_home.moved_to = new_home.url
        new_home.blog.edit_post(new_home.blog.posts[0].slug, paragraphs=["After the move."])
        new_home.hits.clear()
        writer = start_writer([old_home.url], db, redis_server.url, "--no-media")
        workers = [start_worker(redis_server.url)]
        try:
            wait_until(lambda: new_home.hits.total() >= 15, "posts fetched at the new host",
                       writer)
            os.kill(writer.pid, signal.SIGSTOP)  # stores nothing more; the worker sends on
            wait_until(lambda: client.llen("wixarchive:results") >= 3, "results waiting")
            os.killpg(writer.pid, signal.SIGKILL)
            writer.wait()
            waiting = client.llen("wixarchive:results")
            writer = start_writer([old_home.url], db, redis_server.url, "--no-media", "--json")
            out, err = run_to_end(writer, workers)
        finally:
            stop([writer, *workers])
    assert waiting, "nothing was waiting for the next writer: the test proved nothing"
    assert writer.returncode == 0, err
    summary = json.loads(out)
    new_root = new_home.url + "/"
    assert summary["moved_to"] == new_root, summary
    assert f"moved: its address now redirects to {new_root}" in summary["message"], summary
    with Archive.open(db, readonly=True) as archive:
        assert [row["posts"] for row in archive.stats()] == [40]
        assert set(archive.known_posts(old_home.url)) == {
            new_root + p.url_path.lstrip("/") for p in new_home.blog.posts}
        assert archive.runs()[0]["errors"][0].startswith(f"moved: its address now redirects "
                                                         f"to {new_root}")
        # The killed writer's run keeps the move it learned, as a run its writer closed keeps
        # it (it had only "its process ... ended before the run was closed").
        dead = archive.runs()[1]
        assert dead["status"] == "interrupted", dead
        assert [e.startswith("moved: ") for e in dead["errors"]] == [True, False], dead
        assert dead["errors"][0] == archive.runs()[0]["errors"][0], dead
    listed = subprocess.run([*WIXARCHIVE, "runs", "--db", str(db)], capture_output=True,
                            text=True, cwd=REPO, timeout=60).stdout
    assert listed.count(f"↳ moved: its address now redirects to {new_root}") == 2, listed


def test_a_writer_taking_over_learns_a_move_the_killed_one_never_stored(
        tmp_path: Path, redis_server: RedisServer):
    """As above, but the writer is stopped before it stores the result that says where the
    site moved (its robots.txt's redirect), then killed: wixarchive:moves never had the move,
    and the writer taking over stored the posts fetched at the new host, waiting for it, as
    new posts beside their archived selves. It now learns the move from those results as the
    killed writer would have, and every post keeps its one history at its new URL."""
    db = tmp_path / "archive.db"
    client = redis_server.client()
    with blogs(1, posts=20) as (new_home,), \
            BlogServer(new_home.blog, loopback(10)) as old_home:
        crawl_json(old_home.url, db, redis_server.url)
        old_home.moved_to = new_home.url
        new_home.gate = Gate("/robots.txt")
        writer = start_writer([old_home.url], db, redis_server.url, "--no-media")
        workers = [start_worker(redis_server.url)]
        try:
            wait_until(lambda: new_home.gate.held, "robots.txt asked at the new host", writer)
            os.kill(writer.pid, signal.SIGSTOP)  # stores nothing more; the worker sends on
            new_home.gate.release()
            wait_until(lambda: client.llen("wixarchive:results") >= 10, "results waiting")
            os.killpg(writer.pid, signal.SIGKILL)
            writer.wait()
            assert not client.hlen("wixarchive:moves"), "the move was stored: nothing to prove"
            writer = start_writer([old_home.url], db, redis_server.url, "--no-media", "--json")
            out, err = run_to_end(writer, workers)
        finally:
            stop([writer, *workers])
    assert writer.returncode == 0, err
    new_root = new_home.url + "/"
    with Archive.open(db, readonly=True) as archive:
        assert [row["posts"] for row in archive.stats()] == [20]
        assert set(archive.known_posts(old_home.url)) == {
            new_root + p.url_path.lstrip("/") for p in new_home.blog.posts}
        dead = archive.runs()[1]
    assert dead["errors"][0].startswith(f"moved: its address now redirects to {new_root}"), dead


def test_a_writer_giving_up_on_a_busy_archive_leaves_its_sites_move_to_the_next(
        tmp_path: Path, redis_server: RedisServer):
    """As above, but the writer gives up (another process holds the archive's write lock past
    the busy timeout) with the result saying where the site moved among those it could not
    store: the next writer stores the posts at their new URLs, and the run that fetched them
    keeps the move. It read the dead writer's runs from Redis, which a writer giving up no
    longer leaves (a worker would queue requests of a run that has no writer): the move was
    missing from that run."""
    db = tmp_path / "archive.db"
    busy = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "2000"}
    with blogs(1, posts=20) as (new_home,), \
            BlogServer(new_home.blog, loopback(10)) as old_home:
        crawl_json(old_home.url, db, redis_server.url)
        old_home.moved_to = new_home.url
        new_home.gate = Gate("/robots.txt")
        writer = start_writer([old_home.url], db, redis_server.url, "--no-media", env=busy)
        workers = [start_worker(redis_server.url)]
        try:
            wait_until(lambda: new_home.gate.held, "robots.txt asked at the new host", writer)
            with write_lock(db):
                new_home.gate.release()
                wait_until(lambda: writer.poll() is not None, "the writer giving up")
            _, err = writer.communicate()
            assert "left in Redis" in err, err
            writer = start_writer([old_home.url], db, redis_server.url, "--no-media", "--json")
            out, err = run_to_end(writer, workers)
        finally:
            stop([writer, *workers])
    assert writer.returncode == 0, err
    new_root = new_home.url + "/"
    with Archive.open(db, readonly=True) as archive:
        assert [row["posts"] for row in archive.stats()] == [20]
        assert set(archive.known_posts(old_home.url)) == {
            new_root + p.url_path.lstrip("/") for p in new_home.blog.posts}
        given_up = archive.runs()[1]
    assert given_up["errors"][0].startswith(
        f"moved: its address now redirects to {new_root}"), given_up


def test_a_crawl_of_the_address_a_site_moved_to_says_it_continues_it_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A blog archived at its old address, crawled after its move (its posts at their new
    URLs), then crawled at its new address: without Redis the line says it continues the site
    archived at the old one; through Redis it said nothing of it. Now both say the same."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=4) as (new_home,), BlogServer(new_home.blog, loopback(10)) as old_home:
        crawl_json(old_home.url, db, redis_server.url)
        old_home.moved_to = new_home.url
        crawl_json(old_home.url, db, redis_server.url)
        shutil.copy(db, tmp_path / "without.db")
        shutil.copytree(captures_dir(db), captures_dir(tmp_path / "without.db"))
        through = crawl_json(new_home.url, db, redis_server.url)
        without = crawl_json(new_home.url, tmp_path / "without.db")
    old_root = old_home.url + "/"
    assert without["message"] == (f"4 posts: 0 new, 0 changed, 4 unchanged; continues the site "
                                  f"archived at {old_root}, whose address now redirects here: "
                                  "its posts, versions and runs"), without
    assert (through["site"], through["message"]) == (without["site"], without["message"])


class MovedHome(BlogServer):
    """The old domain of a blog that moved to `moved_to`: its robots.txt redirects to the new
    host's, every other page to the new host's home page (as many moved domains answer)."""

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, record: bool = True) -> Response:
        if record:
            self._record(target.split("?", 1)[0], "")
        path = "/robots.txt" if target == "/robots.txt" else "/"
        return Response(301, headers={"Location": f"{self.moved_to}{path}"})


def test_a_site_that_moved_without_sitemaps_is_listed_where_it_moved_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A blog without a sitemap or feed moved to another host (its old robots.txt redirects
    there, its other old pages to the new home page): its listing pages are read where it
    moved, as a crawl without Redis reads them, not from the old address (whose /blog lands
    on the home page, which lists only a few posts), and every post is archived under the
    site asked for."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=15) as (server,), MovedHome(server.blog, loopback(10)) as alias:
        alias.moved_to = server.url
        for path in ("/sitemap.xml", "/blog-feed.xml"):
            server.overrides[path] = error_response(404)
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([alias.url], db, redis_server.url), [worker])
    assert f"✓ {alias.url}/: 15 posts: 15 new" in out, (out, err)
    assert set(alias.request_log) == {"/robots.txt"}  # nothing else asked of the old host
    assert "/blog/page/2" in server.request_log
    with Archive.open(db, readonly=True) as archive:
        assert sorted(archive.known_posts(alias.url)) == sorted(
            server.url + post.url_path for post in server.blog.posts)


def test_the_writer_tells_missing_pages_from_failures_by_the_workers_field_not_the_text():
    """A worker names a page that is not there (404, 410) in the message's `missing` field: the
    run names it without failing. The writer reads no error text to decide (an error whose
    text happens to end in `HTTP 404` still counts as failed)."""
    from archive.distributed_sites import MediaPlan, SiteCrawl, SiteJob, tally

    site = SiteCrawl(SiteJob("http://127.0.0.2/"), 0, 1, "2026-01-01T00:00:00+00:00", {},
                 MediaPlan(True, True, [], False, 1), "http://127.0.0.2/")
    tally(site, {"fetched": 1, "missing": ["http://127.0.0.2/blog-feed.xml: HTTP 404"],
                  "errors": ["http://127.0.0.2/post/a: HTTP 404"]}, [])
    assert site.errors == ["http://127.0.0.2/post/a: HTTP 404",
                           "http://127.0.0.2/blog-feed.xml: HTTP 404"]
    assert site.stats["wixarchive/fetch_errors"] == 1
    # The /post/ URL the user asked for not there is a failure, as without Redis.
    tally(site, {"missing": ["http://127.0.0.2/post/b: HTTP 404"]}, [])
    assert site.stats["wixarchive/fetch_errors"] == 1
    site.job.post = "http://127.0.0.2/post/b"
    tally(site, {"missing": ["http://127.0.0.2/post/b: HTTP 404"]}, [])
    assert site.stats["wixarchive/fetch_errors"] == 2


def test_a_runs_counts_are_kept_batch_by_batch_through_redis(tmp_path: Path,
                                                            redis_server: RedisServer):
    """The writer adds each batch's posts to its run's counts in the batch's transaction, as a
    crawl without Redis does: a writer killed outright leaves a run showing what it stored."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=40, post_seconds=0.1) as (server,):
        writer = start_writer([server.url], db, redis_server.url)
        worker = start_worker(redis_server.url)
        try:
            def stored_some() -> bool:
                try:
                    return len(versions_per_post(db)) >= 5
                except ArchiveError:  # not created yet
                    return False

            wait_until(stored_some, "posts stored", writer)
            os.killpg(writer.pid, signal.SIGKILL)
            writer.wait()
        finally:
            stop([writer, worker])
    stored = len(versions_per_post(db))
    (run,) = runs(db)
    assert run["status"] == "running" and stored < 40
    assert run["counts"]["new"] == stored and run["counts"]["pages"] >= stored


def test_a_crawl_through_redis_captures_again_what_a_lost_capture_file_held(
        tmp_path: Path, redis_server: RedisServer):
    """As a crawl without Redis (tests/test_capture_loss.py): the posts, images, documents and
    page requisites (renditions, the site's logo) whose capture file was deleted are fetched
    again, the posts counted as recaptured, and `check` passes again with no version added."""
    pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")
    import sqlite3

    from archive import captures
    from crawler.sample_site import serve_blog

    db = tmp_path / "archive.db"
    sample = SampleBlog(seed=5, post_count=8, attachments=True, logo=True)
    logo = sample.logo.resized(240, 80)  # shown on every page, no post's image

    def media_captures() -> dict[str, str]:
        with sqlite3.connect(db) as conn:
            return dict(conn.execute("SELECT url, capture FROM media WHERE status = 'stored'"))

    with serve_blog(sample, host=loopback(2)) as site, \
            serve_blog(sample, host=loopback(9)) as media:
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{media.url}/media/",
               "WIXARCHIVE_VIDEO_BASE": f"{site.url}/"}

        def crawl() -> dict:
            writer = subprocess.Popen(
                [*WIXARCHIVE, "crawl", site.url, "--db", str(db), "--redis", redis_server.url,
                 "--delay", "0", "--media-kinds", "images,documents", "--page-requisites",
                 "--json"], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                cwd=REPO)
            worker = start_worker(redis_server.url)
            try:
                out, err = writer.communicate(timeout=180)
                worker.wait(timeout=60)
            finally:
                stop([writer, worker])
            assert writer.returncode == 0, err
            return json.loads(out)

        assert crawl()["counts"]["new"] == 8
        stored = media_captures()
        assert any("/v1/" in url for url in stored) and len(stored) > 10 and logo in stored
        with sqlite3.connect(db) as conn:
            versions = conn.execute("SELECT post_id, version, content_hash FROM post_versions "
                                    "ORDER BY id").fetchall()
        for capture_file in captures.captures_dir(db).glob("*.warc.gz"):
            capture_file.unlink()
        assert subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                              cwd=REPO).returncode == 1
        summary = crawl()
    assert summary["counts"]["recaptured"] == 8, summary
    # The lost images, documents and renditions fetched again are media archived.
    assert re.search(r"0 unchanged, 8 recaptured; [1-9]\d* media archived$",
                     summary["message"]), summary
    checked = subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                             text=True, cwd=REPO)
    assert checked.returncode == 0, checked.stderr
    again = media_captures()
    assert again.keys() == stored.keys()
    with sqlite3.connect(db) as conn:  # the logo too, whole again
        captures.read_payload(conn, captures.captures_dir(db), again[logo])
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT post_id, version, content_hash FROM post_versions "
                            "ORDER BY id").fetchall() == versions
        for (record_id,) in conn.execute(
                "SELECT capture FROM post_versions UNION ALL SELECT capture FROM media "
                "WHERE status = 'stored'"):
            captures.read_payload(conn, captures.captures_dir(db), record_id)


def test_a_post_the_sitemap_leaves_out_is_checked_through_redis_before_it_is_marked_deleted(
        tmp_path: Path, redis_server: RedisServer):
    """As a crawl without Redis (tests/test_crawl_deletions.py): Wix leaves noindex posts out of
    its sitemap. The writer marked every archived post missing from a sitemap read in full
    deleted unchecked; now the workers ask for each again (conditionally): one that still
    answers is kept and counted unchanged, and only the one answering 404 is marked deleted."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=6) as (server,):
        worker = start_worker(redis_server.url, "--idle-timeout", "30")
        try:
            first = start_writer([server.url], db, redis_server.url).communicate(timeout=120)
            assert f"✓ {server.url}/: 6 posts: 6 new" in first[0], first
            hidden, gone = server.blog.posts[1], server.blog.posts[4]
            server.blog.delete_post(gone.slug)
            server.sitemap_hidden = {hidden.url_path}
            server.answers.clear()
            second = start_writer([server.url], db, redis_server.url).communicate(timeout=120)
            # Its sitemap and listing pages failing, the feed still lists every post, one of
            # them new: they count as listed, none unchecked, as without Redis (the writer
            # counted the 5 archived ones unchecked: the workers reported only the feed posts
            # they fetched).
            server.fail_paths |= {"/sitemap.xml", "/blog"}
            server.blog.add_post()
            third = start_writer([server.url], db, redis_server.url, "--json",
                                 "--no-media").communicate(timeout=120)
        finally:
            stop([worker])
    assert f"✓ {server.url}/: 5 posts: 0 new, 0 changed, 5 unchanged, 1 deleted" in second[0], \
        second
    summary = json.loads(third[0])
    assert summary["message"] == "1 post: 1 new, 0 changed, 0 unchanged", summary
    # Both were asked for again, the one still there conditionally (a 304, no body).
    checks = {(path, status) for path, status in server.answers
              if path in (hidden.url_path, gone.url_path)}
    assert checks == {(hidden.url_path, 304), (gone.url_path, 404)}, checks
    with Archive.open(db, readonly=True, create=False) as archive:
        deleted = {post.url_path: archive.post(server.url + post.url_path)["deleted_at"]
                   for post in (hidden, gone)}
    assert deleted[hidden.url_path] is None and deleted[gone.url_path] is not None, deleted


def test_posts_of_a_blog_without_sitemap_or_emptied_are_checked_through_redis_as_without(
        tmp_path: Path, redis_server: RedisServer):
    """As a crawl without Redis (tests/test_crawl_deletions.py, test_crawl_failures.py,
    test_crawl_urls.py). The writer checked archived posts only after reading sitemaps that
    listed posts: a post deleted from a blog without a sitemap (its posts found through its
    listing pages) was never marked deleted; a site whose posts were all removed failed as
    "no Wix blog posts found", its deletions unrecorded; a run that could not check (a listing
    page failing) did not say so. And a post the listing pages link as /post/My-Slug, whose
    page names /post/my-slug canonical, was archived twice (and counted twice when a re-crawl
    found it under both)."""
    no_sitemap, emptied, broken, title_case = (
        SampleBlog(seed=93, post_count=7, page_size=3), SampleBlog(seed=94, post_count=3),
        SampleBlog(seed=95, post_count=7, page_size=3),
        SampleBlog(seed=96, post_count=4, listing_links="title-case"))
    db = tmp_path / "archive.db"
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(Counted(blog, loopback(2 + n), 0.0).start())
                   for n, blog in enumerate((no_sitemap, emptied, broken, title_case))]
        listing, empty, failing, respelling = servers
        for server in (listing, failing, respelling):
            server.overrides["/sitemap.xml"] = error_response(404)
        for server in (listing, failing):
            server.overrides["/blog-feed.xml"] = error_response(404)
        worker = start_worker(redis_server.url, "--idle-timeout", "30")
        try:
            first = start_writer([s.url for s in servers], db, redis_server.url,
                                 "--no-media").communicate(timeout=180)
            for server, posts in zip(servers, (7, 3, 7, 4), strict=True):
                assert f"✓ {server.url}/: {posts} posts: {posts} new" in first[0], first
            gone, still_there = no_sitemap.posts[2], broken.posts[5]
            no_sitemap.delete_post(gone.slug)
            for post in list(emptied.posts):
                emptied.delete_post(post.slug)
            broken.delete_post(still_there.slug)
            failing.fail_paths.add("/blog/page/2")
            out, err = start_writer([s.url for s in servers], db, redis_server.url,
                                    "--no-media", "--json").communicate(timeout=180)
        finally:
            stop([worker])
    summaries = {summary["site"]: summary for summary in json.loads(out)}
    # Found through the listing pages, checked, marked deleted (the others answered 304).
    assert summaries[listing.url + "/"]["message"] == (
        "6 posts: 0 new, 0 changed, 6 unchanged, 1 deleted"), (summaries, err)
    assert summaries[empty.url + "/"]["status"] == "ok", summaries
    assert summaries[empty.url + "/"]["message"] == (
        "0 posts: 0 new, 0 changed, 0 unchanged, 3 deleted"), summaries
    unchecked = summaries[failing.url + "/"]
    assert unchecked["status"] == "partial" and unchecked["counts"]["deleted"] == 0, unchecked
    assert unchecked["message"].endswith(
        "; 1 archived posts not listed this time, not checked for deletion (sitemaps or "
        "listing pages not all read)"), unchecked
    assert summaries[respelling.url + "/"]["message"] == (
        "4 posts: 0 new, 0 changed, 4 unchanged"), summaries
    with Archive.open(db, readonly=True, create=False) as archive:
        assert archive.post(listing.url + gone.url_path)["deleted_at"] is not None
        assert archive.post(failing.url + still_there.url_path)["deleted_at"] is None
        assert all(archive.post(empty.url + post.url_path)["deleted_at"] is not None
                   for post in SampleBlog(seed=94, post_count=3).posts)
        # Archived once each, under the URL the page names canonical.
        assert sorted(archive.known_posts(respelling.url + "/")) == sorted(
            normalize_url(respelling.url + post.url_path) for post in title_case.posts)


def test_robots_txt_crawl_delay_is_waited_across_workers(tmp_path: Path,
                                                         redis_server: RedisServer):
    """`Crawl-delay: 1.5` in robots.txt: two workers sent the site's requests with no delay
    (`--delay 0`), where a crawl without Redis waits it (tests/test_crawl_deletions.py). Now
    every request sent after the robots.txt was read waits 1.5 s after the site's last one,
    whichever worker sends it, and the summary says so in the same words."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=3) as (server,):
        server.robots_crawl_delay = "1.5"
        workers = [start_worker(redis_server.url) for _ in range(2)]
        try:
            out, err = start_writer([server.url], db, redis_server.url,
                                    "--no-media").communicate(timeout=120)
        finally:
            stop(workers)
        log, times = list(server.request_log), list(server.request_times)
    assert (f"✓ {server.url}/: 3 posts: 3 new, 0 changed, 0 unchanged; 1.5 s between requests "
            "(robots.txt Crawl-delay)") in out, (out, err)
    # The sitemaps and the feed are asked for once robots.txt was read: from the first on,
    # 1.5 s apart.
    after_robots = times[min(log.index("/sitemap.xml"), log.index("/blog-feed.xml")):]
    assert len(after_robots) >= 6, log
    assert min(later - earlier for earlier, later in pairwise(after_robots)) >= 1.45, log


class AsksToWait(BlogServer):
    """A sample blog answering each post's first request 429 with `Retry-After: 1` (or
    `wait`)."""

    def __init__(self, blog: SampleBlog, host: str, wait: str = "1") -> None:
        super().__init__(blog, host)
        self.asked: set[str] = set()
        self.wait = wait

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, **options: Any) -> Response:
        response = super().respond(target, headers, base, **options)
        with Counted.lock:
            first = target.startswith("/post/") and target not in self.asked
            self.asked.add(target)
        if first:
            return Response(429, b"<html><body>Too many requests</body></html>",
                            {"Content-Type": "text/html", "Retry-After": self.wait})
        return response


def test_a_retry_after_is_waited_by_every_worker(tmp_path: Path, redis_server: RedisServer):
    """A 429 asking to wait (`Retry-After`) paused the site for the worker that got it only:
    the others asked it again at once (2 workers sent a site answering every post 429 with
    `Retry-After: 3` 25 requests in 21 s, where one worker sent 15; the second worker's 0.1 s
    after a 429). Now the time goes to Redis, and no worker asks the site before it."""
    with AsksToWait(SampleBlog(seed=90, post_count=30), loopback(2)) as server:
        workers = [start_worker(redis_server.url) for _ in range(2)]
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--no-media", "--json",
                                           "--concurrency", "1"), workers)
        posts = [(path, at) for path, at in zip(server.request_log, server.request_times,
                                                strict=True) if path.startswith("/post/")]
    assert json.loads(out)["counts"]["new"] == 30, (out, err)
    # One request in flight at a time (--concurrency 1): after each first request of a post,
    # answered 429 at once, the site is asked nothing for 1 s, by either worker.
    seen: set[str] = set()
    gaps = []
    for (path, at), (_, then) in pairwise(posts):
        if path not in seen:
            gaps.append(round(then - at, 2))
        seen.add(path)
    assert len(gaps) >= 29 and min(gaps) >= 0.95, gaps


@pytest.mark.parametrize("how", ["time limit", "ctrl-c"])
def test_a_retry_after_a_worker_waits_ends_at_the_time_limit_or_a_stop(
        tmp_path: Path, redis_server: RedisServer, how: str):
    """The posts a worker took before a 429's `Retry-After: 50` came waited it out in the
    worker, whatever happened meanwhile: a crawl with `--time-limit 3` took 18 s (the writer
    waiting for them in vain), and a worker told to stop (Ctrl-C) took 50 s to exit. Now the
    wait ends at the site's time limit, or at the worker's stop, as without Redis."""
    with AsksToWait(SampleBlog(seed=90, post_count=30), loopback(2), wait="50") as server:
        worker = start_worker(redis_server.url)
        limit = ["--time-limit", "3"] if how == "time limit" else []
        writer = start_writer([server.url], tmp_path / "archive.db", redis_server.url,
                              "--no-media", "--json", "--concurrency", "4", *limit)
        try:
            wait_until(lambda: any(p.startswith("/post/") for p in server.request_log),
                       "a post asked for", writer, limit=60)
            started = time.monotonic()
            if how == "ctrl-c":
                time.sleep(1)  # the 429s are in: the worker holds the others' requests
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=60)
            else:
                writer.communicate(timeout=60)
            took = time.monotonic() - started
        finally:
            stop([writer, worker])
    assert took < (8 if how == "time limit" else 6), took


def test_a_writer_stopped_counts_every_request_sent_and_fails_none_unsent_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """Ctrl-C to `crawl --redis` while posts answered 429 wait in the queue for their retry:
    the writer emptied the queue without counting their first tries, so its summary counted
    fewer requests than the site got, and what the workers held was sent all the same or
    counted failed. Now, as a crawl without Redis, every request sent is counted, none left
    unsent is a failure, and the line says it in the same words."""
    with AsksToWait(SampleBlog(seed=90, post_count=40), loopback(2)) as server:
        db = tmp_path / "archive.db"
        worker = start_worker(redis_server.url)
        writer = start_writer([server.url], db, redis_server.url, "--no-media", "--json")
        try:
            wait_until(lambda: _has_runs(db) and len(versions_per_post(db)) >= 8,
                       "8 posts stored", writer)
            writer.send_signal(signal.SIGINT)
            out, err = writer.communicate(timeout=60)
            worker.wait(timeout=60)
        finally:
            stop([writer, worker])
        sent = len(server.request_log)
    summary = json.loads(out)
    assert writer.returncode == 130, err
    assert re.fullmatch(r"crawl interrupted \(shutdown\) after \d+ posts; run again to resume",
                        summary["message"]), summary
    assert summary["requests"] == sent, (summary, server.request_log)
    assert summary["counts"].get("failed", 0) == 0, summary


def test_a_site_asking_every_page_to_wait_an_hour_is_stopped_early_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """Every post answers 429 with `Retry-After: 3600`: a crawl without Redis stops early
    after three such answers (tests/test_crawl_hostile.py); through Redis the rule was off, and
    two workers had not finished the site in 240 s. Now three such answers, whichever workers got
    them, stop the site, and its line says so in the same words."""
    blog = SampleBlog(seed=43, post_count=60)
    with BlogServer(blog, loopback(2)) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = h.Throttle(3600, times=None)
        workers = [start_worker(redis_server.url) for _ in range(2)]
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--no-media", "--json"), workers)
        asked = [p for p in server.request_log if p.startswith("/post/")]
    summary = json.loads(out)
    assert summary["status"] == "failed", summary
    assert summary["message"].endswith(
        "stopped early, throttled: the server asks to wait 3600 s (Retry-After)"), summary
    assert 3 <= len(asked) <= 3 + 2 * 2, asked  # those under way: --concurrency 2


def test_a_crawl_clears_the_single_queue_an_older_wixarchive_left_in_redis(
        tmp_path: Path, redis_server: RedisServer):
    """Until protocol 13 every queued request sat in one zset, `wixarchive:requests`; a Redis
    an older crawl was stopped in kept it (its requests, maybe thousands), as the writer's
    start cleared only the keys of the protocol it spoke. It clears that one too."""
    client = redis_server.client()
    client.zadd("wixarchive:requests", {f"old request {n}": n for n in range(100)})
    with blogs(1, posts=1) as (server,):
        assert crawl_json(server.url, tmp_path / "archive.db", redis_server.url)[
            "counts"]["new"] == 1
    assert not client.exists("wixarchive:requests")


def test_a_stopped_writer_exits_130_on_ctrl_c_and_143_on_sigterm(tmp_path: Path,
                                                                 redis_server: RedisServer):
    """As `crawl` and `run-due` without Redis do (128+N, as shells report signal N): `crawl
    --redis` exited 130 on SIGTERM too. No worker runs: the writer waits for one, with its
    site's run open, when the stop comes."""
    with blogs(1, posts=2) as (server,):
        sites = tmp_path / "sites.toml"
        sites.write_text(f'[[site]]\nurl = "{server.url}"\n')
        for number, (signum, command) in enumerate([
                (signal.SIGINT, ["crawl", server.url]), (signal.SIGTERM, ["crawl", server.url]),
                (signal.SIGTERM, ["run-due", "--sites", str(sites)])]):
            db = tmp_path / f"archive{number}.db"
            writer = subprocess.Popen([*WIXARCHIVE, *command, "--db", str(db), "--redis",
                                       redis_server.url], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, cwd=REPO,
                                      start_new_session=True)
            try:  # its run is started once the writer listens for the stop
                wait_until(lambda db=db: _has_runs(db), "the site's run", writer)
                writer.send_signal(signum)
                _, err = writer.communicate(timeout=60)
            finally:
                stop([writer])
            assert writer.returncode == 128 + signum, (command, signum.name, err)
            assert [run["status"] for run in runs(db)] == ["interrupted"], command
        assert server.request_log == []


def _has_runs(db: Path) -> bool:
    try:
        return db.exists() and bool(runs(db))
    except ArchiveError:  # being created by the writer
        return False


def test_writer_and_workers_killed_and_redis_emptied_the_next_run_fetches_no_archived_post(
        tmp_path: Path, redis_server: RedisServer):
    """docs/reliability.md: the next run fetches no post the archive holds unchanged. The
    feed's 20 posts, asked for before the sitemap named them, were stored with no lastmod and
    fetched again (as 304s) by the run resuming a killed one."""
    db = tmp_path / "archive.db"
    with blogs(1, posts=40, post_seconds=0.05) as (server,):
        writer = start_writer([server.url], db, redis_server.url)
        worker = start_worker(redis_server.url)
        try:
            wait_until(lambda: _has_runs(db) and len(versions_per_post(db)) >= 25,
                       "25 posts stored", writer)
        finally:
            stop([writer, worker])
        stored = set(versions_per_post(db))
        assert len(stored) < 40, "the whole site was stored: the test proved nothing"
        redis_server.kill()
        fresh = RedisServer(tmp_path / "redis2").start()  # a restarted Redis, empty
        server.hits.clear()
        worker = start_worker(fresh.url)
        try:
            out, err = start_writer([server.url], db, fresh.url).communicate(timeout=180)
            worker.wait(timeout=60)
        finally:
            stop([worker])
            fresh.kill()
        fetched = {path for path, n in server.hits.items() if "/post/" in path}
    assert f"{40 - len(stored)} new" in out, (out, err)
    assert fetched == {p.url_path for p in server.blog.posts} - {
        url[len(server.url):] for url in stored}


def test_a_private_sites_robots_txt_is_obeyed_by_workers(tmp_path: Path,
                                                         redis_server: RedisServer):
    """A blog on a non-public address (an intranet's; here loopback, with no media host
    there) whose robots.txt answers 503, which forbids everything (RFC 9309): the robots.txt
    a worker's robots middleware asks for carries no site, so the private-address rule
    refused it, which read as "no robots.txt", and every post was crawled. Now it is asked of
    the site, and its answer obeyed."""
    db = tmp_path / "archive.db"
    # No loopback media or video host approved (tests/conftest.py sets both on loopback).
    env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": "", "WIXARCHIVE_VIDEO_BASE": ""}
    with blogs(1, posts=3) as (server,):
        server.overrides["/robots.txt"] = error_response(503)
        worker = start_worker(redis_server.url, env=env)
        out, err = run_to_end(start_writer([server.url], db, redis_server.url, "--no-media",
                                           env=env), [worker])
        log = list(server.request_log)
    assert not [path for path in log if path.startswith("/post/")], (log, out, err)
    assert "/robots.txt" in log, log


def test_a_site_answering_server_errors_holds_up_no_other_site_of_a_worker(
        tmp_path: Path, redis_server: RedisServer):
    """A worker serves every site from one downloader: with the back-off of a site answering
    503 (crawler.downloader.backoff), its requests waited there, holding the worker's places,
    and the healthy site beside it went at the failing one's pace: 20 requests in 100 s, the
    posts not all asked for in a minute. The back-off is waited out in the shared queue: it is
    not held up. (The failing site is stopped by time only, after 20 s at its back-off.)"""
    env = {**os.environ, "WIXARCHIVE_BACKOFF_MAX": "30",  # the default (the suite's is 1 s)
           "WIXARCHIVE_MAX_SERVER_ERRORS": "1000", "WIXARCHIVE_MAX_FAILING_SECONDS": "20"}
    with blogs(2, posts=30) as (down, up):
        for post in down.blog.posts:
            down.overrides[post.url_path] = error_response(503)
        worker = start_worker(redis_server.url, env=env)
        writer = start_writer([down.url, up.url], tmp_path / "archive.db", redis_server.url,
                              "--json", "--no-media", env=env)
        try:
            # The healthy site's posts, whatever the failing site's own pace.
            wait_until(lambda: sum(p.startswith("/post/") for p in up.request_log) == 30,
                       "the healthy site's 30 posts asked for", writer, limit=60)
        finally:
            out, err = run_to_end(writer, [worker], timeout=180)
    by_site = {summary["site"]: summary for summary in json.loads(out)}
    assert by_site[up.url + "/"]["counts"]["new"] == 30, (out, err)
    assert by_site[down.url + "/"]["message"].endswith(
        "stopped early, failing: every request got server errors or no answer for 20s "
        "(WIXARCHIVE_MAX_FAILING_SECONDS)"), (out, err)


def test_a_site_with_a_long_crawl_delay_holds_up_no_other_site_of_a_worker(
        tmp_path: Path, redis_server: RedisServer):
    """As a failing site's back-off (above), a site's robots.txt `Crawl-delay: 5` was waited in
    the worker's downloader: its requests held the worker's places, and the healthy site's 30
    posts, queued after its own, were asked for in 75 s (0.8 s without Redis). The queue now
    hands the slow site's pages out one per Crawl-delay: the healthy site is not held up. The
    crawl is not waited to its end (the slow site's would take minutes)."""
    client = redis_server.client()
    with blogs(2, posts=30) as (slow, up):
        slow.robots_crawl_delay = "5"
        # The healthy site's pages are queued once the slow site's posts are.
        gate = Gate("/robots.txt")
        up.gate = gate
        worker = start_worker(redis_server.url)
        writer = start_writer([slow.url, up.url], tmp_path / "archive.db", redis_server.url,
                              "--json", "--no-media")
        try:
            wait_until(lambda: int(client.hget("wixarchive:pending", slow.url + "/") or 0) >= 20,
                       "the slow site's posts queued", writer)
            gate.release()
            wait_until(lambda: sum(p.startswith("/post/") for p in up.request_log) == 30,
                       "the healthy site's 30 posts asked for", writer, limit=25)
        finally:
            stop([writer, worker])


def queue_pages(server: Any, pages: list[tuple[float, str, str]]) -> Callable[[], str | None]:
    """Queue `pages` (score, site, URL) in Redis as the writer and the workers do (protocol.PUSH,
    in one run per site); returns pop(), the URL of the next request POP hands a worker."""
    from crawler.distributed import protocol as p

    push, pop = server.register_script(p.PUSH), server.register_script(p.POP)
    server.hset(p.RUNS, mapping={site: 1 for _, site, _ in pages})
    pipe = server.pipeline(transaction=False)
    for score, site, url in pages:
        push(keys=[p.PENDING, p.STOPPED, p.RUNS],
             args=[score, p.queue_member(site, url, b"request"), site, 1, ""], client=pipe)
    pipe.execute()

    def popped() -> str | None:
        got = pop(keys=[p.LEASES, p.LEASE_DATA, p.LEASE_SEQ], args=[30])
        return got[1].split(b"\n")[1].decode() if got else None

    return popped


def test_no_page_of_a_site_is_handed_to_a_worker_before_its_retry_after(
        redis_server: RedisServer):
    """A site's Retry-After was waited only in the workers (ACQUIRE): the queue handed its
    pages out meanwhile (one per back-off), and each held one of its worker's places. They now
    wait in the queue, as do the pages of a site paced by its Crawl-delay; its media (on other
    hosts) and other sites' pages are handed out."""
    from crawler.distributed import protocol as p

    server = redis_server.client()
    resume = server.register_script(p.RESUME)
    waiting, paced, other = ("https://waiting.example/", "https://paced.example/",
                             "https://other.example/")
    media = "https://static.wixstatic.com/media/a.jpg"
    popped = queue_pages(server, [
        (score, site, url) for score, (site, url) in enumerate([
            (waiting, waiting + "post/a"), (waiting, media), (paced, paced + "post/b"),
            (paced, paced + "post/c"), (other, other + "post/d"), (waiting, waiting + "post/e")])])
    server.hset(p.PACED, paced, "0 60")  # as a Crawl-delay of 60 s sets it

    resume(keys=[p.resume_key(waiting)], args=[1, waiting])
    assert [popped() for _ in range(4)] == [media, paced + "post/b", other + "post/d", None]
    handed: list[str | None] = []
    wait_until(lambda: handed.append(popped()) or handed[-1], "the waiting site's page")
    assert [handed[-1], popped(), popped()] == [waiting + "post/a", waiting + "post/e", None]
    assert server.zrange(p.lane_key(paced), 0, -1) == [p.queue_member(paced, paced + "post/c",
                                                                       b"request")]
    assert (server.zcard(p.READY), server.zrange(p.WAITING, 0, -1)) == (0, [paced.encode()])


def test_a_crawl_delay_read_after_a_retry_after_keeps_its_time(redis_server: RedisServer):
    """A site's robots.txt Crawl-delay (PACE) read after one of its answers asked to wait
    (RESUME: Retry-After 60) replaced the time asked for: its pages were handed out at once,
    then one per Crawl-delay. The longer wait now stays, the pace applying after it."""
    from crawler.distributed import protocol as p

    server = redis_server.client()
    site = "https://a.example/"
    popped = queue_pages(server, [(0, site, site + "post/a"), (1, site, site + "post/b")])
    server.register_script(p.RESUME)(keys=[p.resume_key(site)], args=[60, site])
    server.register_script(p.PACE)(args=[site, 2])  # as a Crawl-delay of 2 s sets it
    assert popped() is None
    ready, delay = server.hget(p.PACED, site).split()
    assert (float(ready) - time.time() > 55, delay) == (True, b"2")


def test_a_page_handed_out_before_its_site_came_to_rest_goes_back_to_the_queue(
        redis_server: RedisServer):
    """POP says whether it handed a page out while its site was resting (one of the back-off's
    turns) or not; ACQUIRE sends back to the queue (-2) only a page handed out unrested whose
    site has come to rest since: the one the back-off let out goes."""
    from crawler.distributed import protocol as p

    server = redis_server.client()
    site = "https://a.example/"
    queue_pages(server, [(0, site, site + "post/a"), (1, site, site + "post/b")])
    pop, acquire = (server.register_script(script) for script in (p.POP, p.ACQUIRE))

    def popped_unrested() -> int:
        return pop(keys=[p.LEASES, p.LEASE_DATA, p.LEASE_SEQ], args=[30])[2]

    def acquired(unrested: int) -> bytes:
        return acquire(keys=[p.tokens_key(site), p.last_key(site), p.crawl_delay_key(site),
                             p.STOPPED, p.RUNS, p.resume_key(site), p.RESTING],
                       args=[f"token{unrested}", 4, 10, 0, site, 1, 1, unrested])

    assert popped_unrested() == 1
    server.hset(p.RESTING, site, "0 0.5")  # a 429 since, its back-off over: one page at once
    assert popped_unrested() == 0
    assert (acquired(1), acquired(0)) == (b"-2", b"0")
    server.hdel(p.RESTING, site)  # its first good answer
    assert acquired(1) == b"0"


def test_a_paced_site_with_thousands_of_pages_queued_first_holds_up_no_other_site(
        redis_server: RedisServer):
    """A pop looked at most 2,000 queued requests past those of the sites held back (PACED,
    RESTING): a paced site with more queued ahead of another site's left its pages out of
    reach, every pop finding nothing, until the paced site's own pages, handed out one a
    Crawl-delay, were down to 2,000. Each site's pages now queue apart (a lane), the held
    sites' lanes aside until they are ready: the other site's pages are all handed out at
    once, the paced site's next one when its delay is over."""
    from crawler.distributed import protocol as p

    server = redis_server.client()
    paced, other = "https://paced.example/", "https://other.example/"
    popped = queue_pages(server, [(n, paced, f"{paced}post/{n}") for n in range(2500)]
                         + [(3000 + n, other, f"{other}post/{n}") for n in range(5)])
    server.hset(p.PACED, paced, "0 60")  # as a Crawl-delay of 60 s sets it
    assert [popped() for _ in range(7)] == [paced + "post/0",
                                            *(f"{other}post/{n}" for n in range(5)), None]
    queued, empty = (server.register_script(script) for script in (p.QUEUED, p.EMPTY_QUEUE))
    assert (server.zcard(p.lane_key(paced)), queued()) == (2499, 2499)
    empty()  # the writer stopping the crawl
    assert (queued(), list(server.scan_iter(match=p.lane_key("*")))) == (0, [])


def test_a_sites_page_queued_at_its_new_root_before_a_request_named_it_is_held_with_it(
        redis_server: RedisServer):
    """A site's page at the root it moved to (www.), queued (a redirect of one of its requests)
    before the worker reading its robots.txt recorded that root, was filed in the site's lane
    for other hosts (its media), and stayed there once the root was known: handed out at once,
    however the site was paced. The first request queued naming the root (its ROOTS: a
    child of robots.txt, of a redirected feed) moves it to the site's lane; its media stay."""
    from crawler.distributed import protocol as p

    server = redis_server.client()
    site, moved = "https://a.example/", "https://www.a.example/"
    media = "https://static.wixstatic.com/media/a.jpg"
    popped = queue_pages(server, [(0, site, site + "post/a"), (1, site, moved + "post/b"),
                                  (2, site, media)])
    server.register_script(p.PACE)(args=[site, 60])  # as a Crawl-delay of 60 s sets it
    assert popped() == site + "post/a"  # its next page waits 60 s
    member = p.queue_member(site, moved + "sitemap.xml", b"request")
    assert server.register_script(p.PUSH)(keys=[p.PENDING, p.STOPPED, p.RUNS], args=[
        3, member, site, 1, p.roots_arg({p.ROOTS: [site, moved]})]) == 1
    assert [popped(), popped()] == [media, None]
    assert server.zrange(p.lane_key(site), 0, -1) == [
        p.queue_member(site, moved + "post/b", b"request"), member]
    assert (server.zcard(p.READY), server.zrange(p.WAITING, 0, -1)) == (0, [site.encode()])
    assert server.hget(p.SITE_ROOTS, site) == moved.encode()


def test_a_paced_site_with_thousands_of_posts_queued_first_holds_up_no_other_site_of_a_worker(
        tmp_path: Path, redis_server: RedisServer):
    """A site paced by its robots.txt `Crawl-delay: 1` whose 4,000 posts were queued before a
    second site's: the queue handed out none of the second site's posts queued after the paced
    site's first 2,000 (a pop looked no further past the paced site's pages), so the worker
    fetched them only once the paced site's own, one a second, were down to 2,000: after more
    than half an hour. Each site's pages now queue apart: the second site's 20 posts are all
    asked for while the paced site has had a few of its own (not timed: counted)."""
    client = redis_server.client()
    with contextlib.ExitStack() as stack:
        slow, up = (stack.enter_context(Counted(SampleBlog(seed=90 + n, post_count=posts),
                                                loopback(2 + n), 0.0).start())
                    for n, posts in enumerate([4000, 20]))
        slow.robots_crawl_delay = "1"
        gate = Gate("/robots.txt")  # the second site's pages are queued once the slow site's are
        up.gate = gate
        worker = start_worker(redis_server.url)
        writer = start_writer([slow.url, up.url], tmp_path / "archive.db", redis_server.url,
                              "--json", "--no-media")
        try:
            wait_until(lambda: int(client.hget("wixarchive:pending", slow.url + "/") or 0)
                       >= 4000, "the slow site's posts queued", writer)
            gate.release()
            wait_until(lambda: sum(p.startswith("/post/") for p in up.request_log) == 20,
                       "the second site's 20 posts asked for", writer)
            slow_posts = sum(p.startswith("/post/") for p in slow.request_log)
        finally:
            stop([writer, worker])
    assert slow_posts < 100, slow_posts


def test_robots_txt_is_fetched_once_a_worker_and_one_failing_stops_the_site_as_without(
        tmp_path: Path, redis_server: RedisServer):
    """Each worker asked for a site's robots.txt twice (its robots middleware first, then the
    writer's request); one answering 503 eight times, after which the run said the site's
    robots.txt forbids its pages, where a crawl without Redis says it could not reach it, after
    4 tries, and fetches nothing else (RFC 9309)."""
    with blogs(2, posts=3) as (up, down):
        down.overrides["/robots.txt"] = error_response(503)
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([up.url, down.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media"), [worker])
        up_log, down_log = list(up.request_log), list(down.request_log)
    by_site = {summary["site"]: summary for summary in json.loads(out)}
    assert up_log.count("/robots.txt") == 1, up_log
    assert by_site[up.url + "/"]["counts"]["new"] == 3, (out, err)
    assert down_log == ["/robots.txt"] * 4, down_log
    assert by_site[down.url + "/"]["message"] == (
        f"could not reach {down.url}/: HTTP 503 (4 tries) for its robots.txt: nothing else "
        "fetched, as RFC 9309 asks; crawl again when it answers"), (out, err)


def test_named_posts_login_pages_robots_txt_and_refetch_through_redis_as_without(
        tmp_path: Path, redis_server: RedisServer):
    """As a crawl without Redis (tests/test_crawl_variants.py, test_crawl.py). Through Redis
    the start URL's path was dropped: a post named under a prefix that is not /post/, on a site
    with no sitemap, feed or /blog, was never fetched ("no Wix blog posts found"). A post URL
    answering a login page was not counted or named; pages robots.txt forbids were failures
    (the run `partial`, or "N requests failed"); and `--refetch` was refused. Now the named post
    is archived from its one fetch, login pages are `not_posts` (an archived post answering one
    is kept), forbidden pages `robots_skipped`, and `run-due --refetch` fetches every post in
    full."""
    named_blog = SampleBlog(seed=97, post_count=3, post_prefix="articles")
    db = tmp_path / "archive.db"
    with contextlib.ExitStack() as stack:
        named, members, forbidden, one_post = (
            stack.enter_context(server.start()) for server in (
                BlogServer(named_blog, loopback(2)),
                Counted(SampleBlog(seed=98, post_count=5), loopback(3), 0.0),
                BlogServer(SampleBlog(seed=99, post_count=3), loopback(4)),
                BlogServer(SampleBlog(seed=100, post_count=3), loopback(5))))
        for server in (named, one_post):
            for path in ("/sitemap.xml", "/blog-feed.xml"):
                server.overrides[path] = error_response(404)
        # A /post/ URL was dropped: with no sitemap, feed or /blog, nothing was found.
        one_post.overrides["/blog"] = error_response(404)
        asked = one_post.blog.posts[0]
        named.blog_path = "/news"  # /blog is not found: the named page is the only way in
        post = named_blog.posts[-1]
        login_page = Response(200, render.about_page(Site(members.blog, members.url)).encode(),
                              {"Content-Type": "text/html; charset=utf-8"})
        members_only, edited, hidden, private = (
            members.blog.posts[n].url_path for n in (0, 1, 2, 3))
        members.overrides[members_only] = login_page
        members.robots_disallow.append(private)
        forbidden.robots_disallow.append("/post/")
        worker = start_worker(redis_server.url, "--idle-timeout", "30")
        try:
            out, err = start_writer([named.url + post.url_path, members.url, forbidden.url,
                                     one_post.url + asked.url_path],
                                    db, redis_server.url, "--no-media",
                                    "--json").communicate(timeout=180)
            # A post rewritten with its dates and ETag kept (a conditional request gets a 304),
            # and an archived one turned members-only and left out of the sitemap.
            kept = members.blog.posts[1]
            etag = kept.etag
            members.blog.edit_post(kept.slug, paragraphs=["Rewritten, dates kept."],
                                   modified=kept.modified)
            kept.revision -= 1
            assert kept.etag == etag
            members.overrides[hidden] = login_page
            members.sitemap_hidden.add(hidden)
            sites = tmp_path / "sites.toml"
            sites.write_text(f'[[site]]\nurl = "{members.url}"\ndelay = 0\nmedia = false\n')
            again = subprocess.run(
                [*WIXARCHIVE, "run-due", "--db", str(db), "--sites", str(sites), "--force",
                 "--refetch", "--json", "--redis", redis_server.url, "--quiet"],
                capture_output=True, text=True, cwd=REPO, timeout=180)
        finally:
            stop([worker])
        assert not any(path.startswith("/post/") for path in forbidden.request_log)
    summaries = {summary["site"]: summary for summary in json.loads(out)}
    one = summaries[named.url + "/"]
    # Its page, read as a listing too, links the blog's other posts (as without Redis).
    assert (one["status"], one["counts"]["new"]) == ("ok", 3), (one, err)
    assert named.request_log.count(post.url_path) == 1

    four = summaries[one_post.url + "/"]
    assert (four["status"], four["message"]) == (
        "ok", "1 post: 1 new, 0 changed, 0 unchanged"), four

    two = summaries[members.url + "/"]
    assert two["status"] == "ok", two
    assert (two["counts"]["new"], two["counts"]["failed"], two["counts"]["not_posts"],
            two["counts"]["robots_skipped"]) == (3, 0, 1, 1), two
    assert two["message"].endswith(
        "; 1 post URL answered a page that is not a post (a login page?); 1 page skipped: "
        "robots.txt forbids them"), two["message"]
    assert (f"{members.url}{members_only}: not archived: answered a page that is not a post "
            "(other page)") in two["errors"], two["errors"]
    assert f"{members.url}{private}: Forbidden by robots.txt" in two["errors"]

    three = summaries[forbidden.url + "/"]
    assert (three["status"], three["counts"]["failed"], three["counts"]["robots_skipped"]) == (
        "failed", 0, 3), three
    assert three["message"] == (f"no posts archived from {forbidden.url}/: robots.txt forbids "
                                "its posts (3 post pages skipped)"), three

    assert again.returncode == 0, again.stderr
    (outcome,) = json.loads(again.stdout)
    assert outcome["status"] == "ok", outcome
    assert (outcome["counts"]["changed"], outcome["counts"]["unchanged"],
            outcome["counts"]["deleted"], outcome["counts"]["not_posts"]) == (1, 1, 0, 2), outcome
    assert outcome["message"].endswith(
        "; 2 post URLs answered a page that is not a post (a login page?), 1 of them archived "
        "before: kept as archived, not marked deleted; 1 page skipped: robots.txt forbids "
        "them"), outcome["message"]
    assert members.conditional == 0  # every post fetched in full
    with Archive.open(db, readonly=True, create=False) as archive:
        assert named.url + post.url_path in archive.known_posts(named.url + "/")
        assert archive.post(members.url + edited)["body"] == "Rewritten, dates kept."
        assert archive.post(members.url + hidden)["deleted_at"] is None


def test_a_crawl_of_the_www_twin_through_redis_fetches_the_archived_sites_media(
        tmp_path: Path, redis_server: RedisServer):
    """A crawl of www.a.example files its posts under the a.example archived before (one site),
    as without Redis. The writer looked the site's images and documents still to fetch up
    under www.a.example, which holds none, so they were never fetched; now under a.example."""
    import pickle

    from archive.distributed import RedisWriter, SiteJob
    from crawler.distributed import protocol
    from crawler.extract.record import Article

    db = tmp_path / "archive.db"
    image = "https://static.wixstatic.com/media/a.jpg"
    document = "https://a.example/_files/ugd/guide.pdf"
    with Archive.open(db) as archive:
        archive.save_article(Article(
            url="https://a.example/post/hello", title="Hello", images=[image],
            attachments=[{"url": document, "kind": "document",
                          "content_type": "application/pdf", "is_file": True}]))
    writer = RedisWriter(db, redis_server.url, {"WIXARCHIVE_MEDIA_KINDS": "images,documents"})
    try:
        with Archive.open(db) as archive:
            writer._claim(archive)
            (site,) = writer._queue_sites(archive, [SiteJob("https://www.a.example/")]).values()
            writer._queue_media(archive, site)
        client = redis_server.client()
        queued = [pickle.loads(protocol.member_request(member))
                  for lane in client.scan_iter(match=protocol.lane_key("*"))
                  for member in client.zrange(lane, 0, -1)]
    finally:
        writer._release()
        writer.captures.close()
    assert sorted(r["meta"]["media_url"] for r in queued if "media_url" in r["meta"]) == [
        document, image]


def test_a_failing_site_is_stopped_across_workers(tmp_path: Path,
                                                                 redis_server: RedisServer):
    """A site answering 503 to every post: no worker stopped it after
    WIXARCHIVE_MAX_SERVER_ERRORS failures in a row (each saw a share of them; every post was
    asked four times, 80 requests). Now the failures in a row are counted in Redis for every
    worker: the site is stopped after the 10th failure in a row, as without Redis. (No delay
    grows through Redis: see the next test.)"""
    db = tmp_path / "archive.db"
    env = {**os.environ, "WIXARCHIVE_MAX_SERVER_ERRORS": "10"}
    with blogs(1, posts=20) as (server,):
        for post in server.blog.posts:
            server.overrides[post.url_path] = error_response(503)
        workers = [start_worker(redis_server.url) for _ in range(3)]
        # The writer's limit, which every worker takes.
        out, err = run_to_end(start_writer([server.url], db, redis_server.url, "--json",
                                           "--no-media", env=env), workers)
        log = list(zip(server.request_log, server.request_times, strict=True))
    summary = json.loads(out)
    shown = [(path, round(at - log[0][1], 2)) for path, at in log]
    assert summary["status"] == "failed", (out, err)
    assert summary["message"].endswith(
        "stopped early, failing: 10 requests in a row got server errors or no answer "
        "(WIXARCHIVE_MAX_SERVER_ERRORS)"), (out, err)
    # The posts asked for since the site's last good answer (a sitemap, the feed; each
    # worker's own robots.txt does not count): the 10 failures in a row, and those already
    # under way then (2 at a time, --concurrency 2). Not a post after the stop.
    last_good = max(n for n, (path, _) in enumerate(log)
                    if not path.startswith(("/post/", "/robots.txt")))
    in_a_row = [at for path, at in log[last_good + 1:] if path.startswith("/post/")]
    assert 10 <= len(in_a_row) <= 12, shown


def test_a_failing_sites_run_counts_every_answer_it_got_as_without_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A site whose sitemap and feed answer 503, stopped after 4 failures in a row: a crawl
    without Redis counts every answer the site gave among its run's pages, as its stop lets the
    downloads under way end, and captures each. Through Redis the run ended as the stop came:
    the answers to the requests the workers held then, and the earlier tries of the retries
    dropped from the queue, were neither counted nor captured (`pages: 11` where the site
    answered 17). Now the writer waits for the requests the workers held, and a retry dropped
    unsent brings its tries' counts and captures with it. Here the feed's first try is held by
    the server until the site is stopped and the writer had 3 s to end."""
    env = {**os.environ, "WIXARCHIVE_MAX_SERVER_ERRORS": "4"}
    summaries, answered = {}, {}
    with blogs(1, posts=3) as (server,):
        for path in ("/sitemap.xml", "/blog-feed.xml"):
            server.overrides[path] = error_response(503)
        local = subprocess.run([*WIXARCHIVE, "crawl", server.url, "--db",
                                str(tmp_path / "local.db"), "--json", "--delay", "0",
                                "--concurrency", "2", "--no-media"],
                               capture_output=True, text=True, cwd=REPO, timeout=180, env=env)
        summaries["local.db"] = json.loads(local.stdout)
        answered["local.db"] = len(server.request_log)
        server.request_log.clear()
        gate = server.gate = Gate("/blog-feed.xml")
        worker = start_worker(redis_server.url)
        writer = start_writer([server.url], tmp_path / "redis.db", redis_server.url, "--json",
                              "--no-media", env=env)
        try:
            wait_until(lambda: gate.held and redis_server.client().sismember(
                "wixarchive:stopped", server.url + "/"), "the site stopped, its feed held",
                       writer)
            with contextlib.suppress(subprocess.TimeoutExpired):
                writer.wait(timeout=3)  # (it ended here, without the feed's answer)
        finally:
            gate.release()
            out, err = run_to_end(writer, [worker])
        summaries["redis.db"] = json.loads(out)
        answered["redis.db"] = len(server.request_log)
    for db, summary in summaries.items():
        assert summary["message"].endswith(
            "stopped early, failing: 4 requests in a row got server errors or no answer "
            "(WIXARCHIVE_MAX_SERVER_ERRORS)"), (db, summary, err)
        # Every answer of the site (the worker's own robots.txt too), in the run's row.
        assert summary["pages_fetched"] == answered[db], (db, summary, err)
        (run,) = runs(tmp_path / db)
        assert run["counts"]["pages"] == answered[db], (db, run)
        with Archive.open(tmp_path / db, readonly=True, create=False) as archive:
            captured = archive.conn.execute("SELECT count(*) FROM captures").fetchone()[0]
        assert captured == answered[db], (db, summary)
    # Through Redis a request not sent is not counted either (a crawl without Redis counts
    # those its stop left in its downloader).
    assert summaries["redis.db"]["requests"] == answered["redis.db"], summaries["redis.db"]


def test_a_retry_dropped_unsent_as_its_site_stops_brings_its_tries_to_the_writer(
        tmp_path: Path, redis_server: RedisServer):
    """A retry waiting in the queue when its site is stopped carries its request's earlier
    tries (two 503s downloaded and captured): it was dropped with them, and the site's run
    counted neither, nor were they captured. Now each request dropped goes to the writer,
    and leaves its site's pending count (the writer waits for the rest to reach 0)."""
    from archive.captures import Exchange
    from archive.distributed import RedisWriter, SiteJob
    from crawler.distributed import protocol

    db = tmp_path / "archive.db"
    url = "https://a.example/post/down"
    tries = [Exchange(url, "GET", [], 503, [], b"down", f"<urn:uuid:{n}>") for n in "12"]
    writer = RedisWriter(db, redis_server.url)
    try:
        with Archive.open(db) as archive:
            writer._claim(archive)
            active = writer._queue_sites(archive, [SiteJob("https://a.example/")])
            (site,) = active.values()
            writer._queue(site, "post", url, {protocol.ATTEMPTS: 2, protocol.RESPONSES: 2,
                                              protocol.EXCHANGES: tries})
            writer._stop_site(site.job.url)  # its robots.txt and the retry, queued
            pending = int(redis_server.client().hget(protocol.PENDING, site.job.url))
            writer._drain(archive, active)
            captured = archive.conn.execute("SELECT url, status FROM captures").fetchall()
    finally:
        writer._release()
        writer.captures.close()
    assert pending == 0
    assert (site.stats["downloader/request_count"],
            site.stats["downloader/response_count"]) == (2, 2), site.stats
    assert [tuple(row) for row in captured] == [(url, 503), (url, 503)]
    assert site.errors == []  # unsent, as a crawl stopped early leaves one in its scheduler


def test_crawl_time_limit_through_redis_stops_the_site_in_the_writer_and_its_workers(
        tmp_path: Path, redis_server: RedisServer):
    """`crawl --time-limit 6 --redis`: the writer ended the site's run at its limit, but its
    worker kept the site's hanging request open for the whole --timeout (60 s here), then sent
    its retry: the site was still asked after its limit. Now each download of a site with a
    limit is given at most the time left, as without Redis (crawler.downloader.time_limit), and
    a stopped site's requests are not sent; the run says it stopped at its limit (exit 1)."""
    with HangingServer(loopback(9)) as hanging:
        worker = start_worker(redis_server.url)
        try:
            writer = start_writer([hanging.url], tmp_path / "archive.db", redis_server.url,
                                  "--json", "--no-media", "--time-limit", "6", "--timeout", "60")
            out, err = writer.communicate(timeout=180)
            # Before the worker is stopped: it closed the hanging connections itself.
            tried = hanging.tried_for()
        finally:
            stop([worker])
    summary = json.loads(out)
    assert writer.returncode == 1, (out, err)
    assert summary["status"] == "timeout", (out, err)
    assert "stopped at its 6s time limit" in summary["message"], (out, err)
    # Counted from the worker's first request to the site (its start-up on a loaded machine is
    # no part of it): about its 6 s, not the 60 s download timeout.
    assert tried < 6 + 20, tried


def test_a_failing_sites_limits_are_the_writers_for_every_worker(tmp_path: Path,
                                                                   redis_server: RedisServer):
    """WIXARCHIVE_MAX_SERVER_ERRORS (and the failing time and back-off settings) were read from
    each worker's environment: a writer started with 4 beside a worker started without it
    (50) never stopped a site answering 503 to its 10 posts. Now the writer's values hold for
    every worker, as the writer's `--timeout` does."""
    writer_env = {**os.environ, "WIXARCHIVE_MAX_SERVER_ERRORS": "4"}
    worker_env = {**os.environ, "WIXARCHIVE_MAX_SERVER_ERRORS": "50"}
    with blogs(1, posts=10) as (server,):
        for post in server.blog.posts:
            server.overrides[post.url_path] = error_response(503)
        worker = start_worker(redis_server.url, env=worker_env)
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media",
                                           env=writer_env), [worker])
    summary = json.loads(out)
    assert summary["status"] == "failed", (out, err)
    assert summary["message"].endswith(
        "stopped early, failing: 4 requests in a row got server errors or no answer "
        "(WIXARCHIVE_MAX_SERVER_ERRORS)"), (out, err)


def test_the_longest_retry_after_waited_is_the_writers_for_every_worker(
        tmp_path: Path, redis_server: RedisServer):
    """WIXARCHIVE_RETRY_AFTER_MAX was each worker's own (60 s), whatever the writer's: a writer
    started with 10 beside a worker without it had the site's `Retry-After: 30` waited, each
    post's tries 30 s apart (the site not done in 60 s). Now the writer's value holds for every
    worker, as the failing site's limits do: a wait of 30 s is too long, and the third such
    answer stops the site early, as a crawl without Redis started with it stops it (it read
    neither WIXARCHIVE_RETRY_AFTER_MAX nor WIXARCHIVE_RETRY_AFTER_STOP from its environment)."""
    writer_env = {**os.environ, "WIXARCHIVE_RETRY_AFTER_MAX": "10"}
    worker_env = {key: value for key, value in os.environ.items()
                  if key != "WIXARCHIVE_RETRY_AFTER_MAX"}
    blog = SampleBlog(seed=43, post_count=10)
    with BlogServer(blog, loopback(2)) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = h.Throttle(30, times=None)
        worker = start_worker(redis_server.url, env=worker_env)
        started = time.monotonic()
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--no-media", "--json",
                                           env=writer_env), [worker], timeout=60)
        took = time.monotonic() - started
        local = subprocess.run([*WIXARCHIVE, "crawl", server.url, "--db",
                                str(tmp_path / "local.db"), "--json", "--no-media", "--delay",
                                "0"], capture_output=True, text=True, cwd=REPO, timeout=60,
                               env=writer_env)
    for summary in (json.loads(out), json.loads(local.stdout)):
        assert summary["status"] == "failed", (summary, took)
        assert summary["message"].endswith(
            "stopped early, throttled: the server asks to wait 30 s (Retry-After)"), summary
        assert any(error.endswith("more than the 10 s limit (WIXARCHIVE_RETRY_AFTER_MAX)")
                   for error in summary["errors"]), summary


def test_a_site_answering_429_is_asked_less_and_less_often_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """A site answering 429 (no Retry-After) to every post, through Redis: no delay grew (a
    back-off waited out in the worker's downloader had held up its other sites), and a 429
    never stops a site, so its 6 posts were each asked 4 times at once, 24 requests in 0.6 s,
    where a crawl without Redis spaces them more and more. Now its failures in a row keep the
    site's pages in the shared queue until its back-off is over (0.5 s doubled, up to the
    suite's 1 s), one page after each."""
    with blogs(1, posts=6) as (server,):
        for post in server.blog.posts:
            server.overrides[post.url_path] = error_response(429)
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media"), [worker])
        log = list(zip(server.request_log, server.request_times, strict=True))
    summary = json.loads(out)
    assert summary["counts"]["failed"] == 6, (out, err)
    shown = [(path, round(at - log[0][1], 2)) for path, at in log]
    posts = [at for path, at in log if path.startswith("/post/")]
    assert len(posts) == 24, shown
    # About a second between them once they fail (the first, and a pair now and then, may
    # go together): well over 12 s for the 24.
    assert posts[-1] - posts[0] >= 12, shown


def test_a_site_at_its_www_address_answering_429_is_backed_off_in_the_queue(
        tmp_path: Path, redis_server: RedisServer):
    """The address asked for redirects to another host (example.com to www.example.com), and
    there every post answers 429. The site's pages, queued at the host it redirects to, were
    taken by the shared queue for pages of another host (its media) and never held back by
    its back-off: its 6 posts were asked 4 times each in about a second, as if it had none.
    Now the queue knows the site's other root and holds them back as it does any site's."""
    with blogs(1, posts=6) as (server,), BlogServer(server.blog, loopback(10)).start() as alias:
        alias.moved_to = server.url
        for post in server.blog.posts:
            server.overrides[post.url_path] = error_response(429)
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([alias.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media"), [worker])
        log = list(zip(server.request_log, server.request_times, strict=True))
    summary = json.loads(out)
    assert summary["counts"]["failed"] == 6, (out, err)
    shown = [(path, round(at - log[0][1], 2)) for path, at in log]
    posts = [at for path, at in log if path.startswith("/post/")]
    assert len(posts) == 24, shown
    assert posts[-1] - posts[0] >= 12, shown  # as test_a_site_answering_429_is_asked_less...


def test_a_blog_gone_or_parked_is_told_apart_and_its_posts_kept_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """As test_crawl_failures' crawl without Redis: one archived blog's address answers 404
    to everything, the other's became a parked domain's page. Through Redis the parked one
    said only `no Wix blog posts found at SITE (no blog-posts sitemap, …)`, and neither said
    that the posts archived before are kept."""
    parked_page = Response(200, b"<!doctype html><html><head><title>blog.example is for sale"
                                b"</title></head><body><h1>Buy this domain</h1></body></html>",
                           {"Content-Type": "text/html"})
    db = tmp_path / "archive.db"
    with blogs(2, posts=3) as (gone, parked):
        for server in (gone, parked):
            assert crawl_json(server.url, db, redis_server.url)["counts"]["new"] == 3
        for path in ("/robots.txt", "/sitemap.xml", "/blog-feed.xml", "/blog"):
            gone.overrides[path] = Response(404, b"Not found")
            parked.overrides[path] = parked_page
        parked.overrides["/robots.txt"] = Response(404, b"Not found")
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([gone.url, parked.url], db, redis_server.url,
                                           "--json", "--no-media"), [worker])
    after = json.loads(out)
    kept = "; the 3 posts archived before are kept as archived, not marked deleted"
    assert [summary["status"] for summary in after] == ["failed", "failed"], (out, err)
    assert after[0]["message"] == (
        f"no Wix blog posts found at {gone.url}/: every page asked for answers HTTP 404 "
        "(robots.txt, sitemap.xml, blog-feed.xml, blog): the blog is gone from this address"
        + kept)
    assert after[1]["message"] == (
        f"no Wix blog posts found at {parked.url}/: it no longer looks like a Wix site (its "
        f"blog page {parked.url}/blog is not a Wix page: “blog.example is for sale”)" + kept)


def test_a_wordpress_sites_address_says_it_is_not_a_wix_site_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """As test_crawl_failures' crawl without Redis: the home page of a site where no post is
    found is asked for once, and a WordPress one named."""
    from tests.test_crawl_failures import WORDPRESS_TITLE, wordpress_site

    with blogs(1, posts=1) as (server,):
        server.overrides.update(wordpress_site(server.url + "/"))
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media"), [worker])
        home_asked = server.hits["/"]
    summary = json.loads(out)
    assert summary["status"] == "failed", (out, err)
    assert summary["message"] == (
        f"no Wix blog posts found at {server.url}/: it does not look like a Wix site (its home "
        f"page {server.url}/ is not a Wix page: “{WORDPRESS_TITLE}”)")
    assert home_asked == 1


def test_pages_a_time_limit_left_unsent_through_redis_are_not_counted_failed(
        tmp_path: Path, redis_server: RedisServer):
    """A site's time limit comes with posts still queued, through Redis: the workers refuse
    them (`not fetched: the site's crawl has stopped …`), and the writer counted each failed
    (FAIL 16 under a timeout 8 posts into a 40-post blog), as a crawl without Redis did. They
    were never sent: named in the run's errors, not counted; the run stays a timeout."""
    with blogs(1, posts=40, post_seconds=1.0) as (server,):
        worker = start_worker(redis_server.url)
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media",
                                           "--time-limit", "5"), [worker])
    summary = json.loads(out)
    assert summary["status"] == "timeout", (out, err)
    unsent = [e for e in summary["errors"] if e.split(": ", 1)[1].startswith((
        "not fetched: the site's crawl has stopped", "not fetched: the site's time limit"))]
    assert unsent, summary["errors"]  # the limit came with posts still queued
    assert summary["counts"]["failed"] <= len(summary["errors"]) - len(unsent), summary


class TooManyForAWhile(BlogServer):
    """A sample blog answering 429 (no Retry-After) to every post asked for in the
    `seconds` after its `served`th post request, as a site rate-limiting its crawlers does."""

    def __init__(self, blog: SampleBlog, host: str, served: int, seconds: float) -> None:
        super().__init__(blog, host)
        self.served, self.seconds = served, seconds
        self.posts_asked = 0
        self.limited_at: float | None = None  # when the first 429 went out (time.monotonic)

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, **options: Any) -> Response:
        response = super().respond(target, headers, base, **options)
        if not target.startswith("/post/"):
            return response
        with Counted.lock:
            self.posts_asked += 1
            if self.limited_at is None and self.posts_asked > self.served:
                self.limited_at = time.monotonic()
            limited = (self.limited_at is not None
                       and time.monotonic() - self.limited_at < self.seconds)
        if limited:
            return Response(429, b"<html><body>Too many requests</body></html>",
                            {"Content-Type": "text/html"})
        time.sleep(0.05)  # answered slowly enough that the workers take pages ahead
        return response


def test_the_pages_workers_took_before_a_sites_first_429_wait_its_back_off(
        tmp_path: Path, redis_server: RedisServer):
    """3 workers crawl a 60-post site that answers 429 (no Retry-After) to every post for 4 s
    after its 10th. The pages each worker had taken from the shared queue before that first
    429 (up to its 16 places each) went out at the site's plain delay (here none): the site
    got a burst right after saying "too many requests". A page taken before its site came to
    rest now goes back to the queue, which hands the site's pages out one per back-off; after
    the 4 s, every post is archived."""
    with TooManyForAWhile(SampleBlog(seed=90, post_count=60), loopback(2), served=10,
                          seconds=4).start() as server:
        workers = [start_worker(redis_server.url) for _ in range(3)]
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media"), workers)
        log = list(zip(server.request_log, server.request_times, strict=True))
    assert json.loads(out)["counts"]["new"] == 60, (out, err)
    assert server.limited_at is not None
    start = server.limited_at
    shown = [(path, round(at - start, 2)) for path, at in log if path.startswith("/post/")]
    # In the 3 s after the first 429: the requests already on their way then (--concurrency
    # 2), then one per back-off (1 s at the suite's cap, from 0.5 s doubled).
    window = [at for path, at in log if path.startswith("/post/") and start < at < start + 3]
    assert len(window) <= 6, shown


class RedirectsWhileLimited(TooManyForAWhile):
    """TooManyForAWhile whose posts in `redirects` (path -> path) answer 301 to another post
    of the blog at once, whenever asked: a post renamed, its old slug still in the sitemap."""

    def __init__(self, blog: SampleBlog, host: str, served: int, seconds: float,
                 redirects: dict[str, str]) -> None:
        super().__init__(blog, host, served, seconds)
        self.redirects = redirects

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, **options: Any) -> Response:
        if target in self.redirects:
            if options.get("record", True):
                self._record(target, "")
            return Response(301, headers={"Location": self.url + self.redirects[target]})
        return super().respond(target, headers, base, **options)


def test_a_page_handed_back_to_the_queue_redirecting_to_a_queued_post_does_not_fetch_it_again(
        tmp_path: Path, redis_server: RedisServer):
    """3 workers crawl a 60-post site whose last 30 posts answer 301 to its first 30 (all 60 in
    its sitemap), rate-limited for 4 s after its 10th post. The pages workers had taken before
    the first 429 go back to the shared queue; they went back marked `dont_filter`, which their
    redirects kept (Scrapy copies it), so the duplicate filter let each redirect through and
    the post it led to, queued from the sitemap, was downloaded a second time. Each post is
    now downloaded once, as without Redis."""
    blog = SampleBlog(seed=90, post_count=60)
    paths = [post.url_path for post in blog.posts]
    redirects = dict(zip(paths[30:], paths[:30], strict=True))
    with RedirectsWhileLimited(blog, loopback(2), served=10, seconds=4,
                               redirects=redirects).start() as server:
        workers = [start_worker(redis_server.url) for _ in range(3)]
        out, err = run_to_end(start_writer([server.url], tmp_path / "archive.db",
                                           redis_server.url, "--json", "--no-media"), workers)
        answered = Counter(path for path, status in server.answers
                           if status == 200 and path.startswith("/post/"))
    summary = json.loads(out)
    assert summary["counts"]["new"] == 30, (out, err)
    assert server.limited_at is not None, "no 429: no page went back to the queue"
    assert len(answered) == 30, sorted(answered.items())
    assert {path: n for path, n in answered.items() if n > 1} == {}, sorted(answered.items())


def test_a_missing_blog_home_is_read_at_the_home_page_after_a_named_page_was_not_found(
        tmp_path: Path, redis_server: RedisServer):
    """`crawl https://site/blog` of a blog on the home page whose feed names /home: /blog (the
    page named) and /home both answer 404. /blog's 404 asked for the home page (is it Wix?),
    which put it in the duplicate filter, so the home page asked for as the listing after
    /home's 404 was dropped through Redis: only the feed's 20 of 26 posts."""
    blog = SampleBlog(seed=7, post_count=26, page_size=30)
    for db, through in (("local.db", None), ("redis.db", redis_server.url)):
        with BlogServer(blog, loopback(2)).start() as server:
            server.overrides["/blog-posts-sitemap.xml"] = error_response(404)
            _home_named_home(server)
            server.slow_paths["/home"] = 2.0  # its 404 comes after /blog's
            summary = crawl_json(server.url + "/blog", tmp_path / db, through)
        assert summary["counts"]["new"] == 26, (db, summary)


def test_listed_posts_that_answer_404_are_counted_on_the_line_through_redis(
        tmp_path: Path, redis_server: RedisServer):
    """As without Redis (tests/test_crawl_failures.py): the line counts the listed posts that
    answered 404, never archived; the post the user asked for is a failure, not among them."""
    blog = SampleBlog(seed=35, post_count=4)
    db = tmp_path / "archive.db"
    with BlogServer(blog, loopback(6)).start() as server:
        for post in blog.posts[:2]:
            server.overrides[post.url_path] = error_response(404)
        worker = start_worker(redis_server.url, "--idle-timeout", "30")
        try:
            first, asked = (json.loads(start_writer(
                [url], db, redis_server.url, "--no-media", "--json").communicate(timeout=180)[0])
                for url in (server.url, server.url + blog.posts[0].url_path))
        finally:
            stop([worker])
    assert_listed_gone_counted(first, asked)
