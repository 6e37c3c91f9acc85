"""A reply lost after Redis ran the command (crawler.distributed.blips): what the writer and the
workers send again must neither lose nor repeat work. A real redis-server behind a loopback TCP
relay that cuts the connection once Redis has answered a chosen command, before the client
reads the answer."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from crawler.distributed import protocol as p
from crawler.distributed.blips import CrawlLink
from crawler.sample_site import hostile as h
from tests.test_crawl_redis import (
    DIES,
    REDIS_SERVER,
    Counted,
    RedisServer,
    assert_every_post_once,
    blogs,
    redis_server,
    run_to_end,
    runs,
    start_worker,
    start_writer,
    stop,
)

__all__ = ["redis_server"]  # the fixture

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server not found (Debian package redis-server; .ci/run installs it)")


class QueueLost(Exception):
    pass


class ReplyCutter:
    """Relays 127.0.0.1:port to Redis; past the first `after`, the first `times` commands naming
    `cut` are run, and their connections closed before the reply reaches the client (`run`
    False: closed before Redis gets them, as when Redis is away)."""

    def __init__(self, redis_port: int, cut: bytes, times: int = 1, run: bool = True,
                 after: int = 0) -> None:
        self.redis_port = redis_port
        self.cut = cut
        self.times = times
        self.run = run
        self.passed = after  # commands naming `cut` still let through
        self.cuts = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.redis_port))
                cutting = threading.Event()
                threading.Thread(target=self._commands, args=(client, upstream, cutting),
                                 daemon=True).start()
                threading.Thread(target=self._replies, args=(upstream, client, cutting),
                                 daemon=True).start()

    def _commands(self, client: socket.socket, upstream: socket.socket,
                  cutting: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self.lock:
                    if self.cut in data and self.passed:
                        self.passed -= 1
                    elif self.cut in data and self.cuts < self.times:
                        self.cuts += 1
                        cutting.set()
                        if not self.run:
                            client.shutdown(socket.SHUT_RDWR)
                            break
                upstream.sendall(data)
        with contextlib.suppress(OSError):
            upstream.shutdown(socket.SHUT_WR)

    def _replies(self, upstream: socket.socket, client: socket.socket,
                 cutting: threading.Event) -> None:
        with client, upstream, contextlib.suppress(OSError):
            # The client sends no command before the previous reply: the next data after the
            # cut command is its reply, which Redis sends once it ran it.
            while (data := upstream.recv(65536)) and not cutting.is_set():
                client.sendall(data)
            client.shutdown(socket.SHUT_RDWR)  # the client sees it at once

    def close(self) -> None:
        self.listener.close()


def script_cutter(server: RedisServer, script: str, **cutting: Any) -> ReplyCutter:
    """A ReplyCutter of the runs of `script` (its EVALSHA), loaded first: a first EVALSHA
    answered NOSCRIPT would be the one cut."""
    sha = server.client().script_load(script)
    return ReplyCutter(server.port, sha.encode(), **cutting)


def link_through(server: RedisServer, cut: bytes) -> tuple[ReplyCutter, redis.Redis, CrawlLink]:
    cutter = ReplyCutter(server.port, cut)
    client = redis.Redis.from_url(cutter.url, socket_timeout=5)
    client.set(p.CRAWL, b"crawl-1")
    return cutter, client, CrawlLink(client, b"crawl-1", QueueLost)


def test_stored_results_whose_trim_reply_was_lost_are_not_trimmed_twice(
        redis_server: RedisServer):
    """The LTRIM ran; sent again blindly it would drop two results never stored."""
    direct = redis_server.client()
    direct.rpush(p.RESULTS, b"stored-1", b"stored-2", b"next-1", b"next-2")
    cutter, client, link = link_through(redis_server, b"LTRIM")
    try:
        link.trim_stored(p.RESULTS, [b"stored-1", b"stored-2"])
        assert cutter.cuts == 1
        assert direct.lrange(p.RESULTS, 0, -1) == [b"next-1", b"next-2"]
        # A trim that did not run is sent again.
        link.trim_stored(p.RESULTS, [b"next-1"])
        assert direct.lrange(p.RESULTS, 0, -1) == [b"next-2"]
    finally:
        cutter.close()
        client.close()


def test_a_push_whose_reply_was_lost_is_queued_and_counted_once(redis_server: RedisServer):
    """PUSH ran; sent again it finds the request queued: its site's pending count stays 1 (2
    would hold the site's end for ever)."""
    direct = redis_server.client()
    direct.hset(p.RUNS, "https://a.example/", "7")
    direct.script_load(p.PUSH)  # the cut EVALSHA is the push itself, not a NOSCRIPT
    cutter, client, link = link_through(redis_server, b"EVALSHA")
    push = client.register_script(p.PUSH)
    member = p.queue_member("https://a.example/", "https://a.example/post/one", b"request")
    try:
        link.steady(lambda: push(keys=[p.PENDING, p.STOPPED, p.RUNS],
                                 args=[0, member, "https://a.example/", "7", ""]))
        assert cutter.cuts == 1
        assert direct.hget(p.PENDING, "https://a.example/") == b"1"
        assert direct.zscore(p.lane_key("https://a.example/"), member) == 0
    finally:
        cutter.close()
        client.close()


def test_redis_back_without_the_crawl_is_the_queue_lost(redis_server: RedisServer):
    cutter, client, link = link_through(redis_server, b"LTRIM")
    redis_server.client().delete(p.CRAWL)  # restarted empty, or flushed, meanwhile
    try:
        with pytest.raises(QueueLost):
            link.trim_stored(p.RESULTS, [b"stored-1"])
    finally:
        cutter.close()
        client.close()


def crawl_eight_posts(db: Path, redis_server: RedisServer,
                      cutter_for: Callable[[Counted], ReplyCutter], *, writer_cut: bool = False,
                      timeout: float = 90, env: dict[str, str] | None = None,
                      mark: str = "✓") -> ReplyCutter:
    """A sample blog of 8 posts crawled by a writer (its environment `env`) and a worker, the
    worker's Redis (or the writer's: `writer_cut`) reached through the relay `cutter_for` makes
    for the blog: the crawl must end as if nothing had been cut, every post new and archived
    once, the site's line marked `mark`."""
    with blogs(1, posts=8) as servers:
        cutter = cutter_for(servers[0])
        writer = start_writer([servers[0].url], db,
                              cutter.url if writer_cut else redis_server.url, "--no-media",
                              env=env and {**os.environ, **env})
        # A request popped by a reply cut is held by nobody: back 5 s after, as a dead worker's.
        worker = start_worker(redis_server.url if writer_cut else cutter.url, *DIES)
        try:
            out, err = run_to_end(writer, [worker], timeout=timeout)
        finally:
            stop([writer, worker])
            cutter.close()
    assert writer.returncode == 0, err
    assert f"{mark} {servers[0].url}/: 8 posts: 8 new" in out, out
    assert_every_post_once(db, servers)
    return cutter


def test_a_page_whose_handling_lost_a_reply_is_fetched_again_not_held_for_ever(
        tmp_path: Path, redis_server: RedisServer):
    """A worker's callback whose Redis command got no reply (here the count of a site's
    sitemaps, SCARD, run, its reply cut, and again when its client sent it once more) fails: its
    request's lease was still renewed by the worker's heartbeat, so its site never ended and
    the writer waited for ever. It expires now, and the page is fetched again: the crawl ends
    with every post once."""
    cutter = crawl_eight_posts(tmp_path / "archive.db", redis_server, lambda _: ReplyCutter(
        redis_server.port, b"\r\nSCARD\r\n", times=2))
    assert cutter.cuts == 2


def test_a_link_whose_duplicate_check_lost_its_reply_is_still_queued(redis_server: RedisServer):
    """scrapy-redis's SADD ran, its reply cut: the worker's client sends it again (its
    retry_on_timeout), which answered "seen", and the link was never queued."""
    from scrapy import Request
    from scrapy.settings import Settings

    from crawler.distributed.queue import LeasedDupeFilter
    from crawler.distributed.spider import DistributedWixSpider

    cutter = ReplyCutter(redis_server.port, b"\r\nSADD\r\n")
    settings = Settings({**DistributedWixSpider.custom_settings, "REDIS_URL": cutter.url})
    seen = LeasedDupeFilter.from_settings(settings)
    seen.key = p.DUPEFILTER
    try:
        assert not seen.request_seen(Request("https://a.example/post/one"))
        assert cutter.cuts == 1
        assert seen.request_seen(Request("https://a.example/post/one"))
    finally:
        cutter.close()


@pytest.mark.parametrize("cut", [p.WRITER.encode(), b'"resumed_since"'],
                         ids=["claim", "queue-sites"])
def test_a_writer_whose_start_lost_a_reply_crawls_on(
        tmp_path: Path, redis_server: RedisServer, cut: bytes):
    """The writer's start (its claim of the Redis, SET NX of its key; the site's settings for
    the workers, HSETs) ran, its reply cut: the writer ended at once, "cannot use Redis at …".
    It waits the blip out now, knows its own key, and the crawl completes: every post once,
    one run, its counts those of a crawl with no cut."""
    db = tmp_path / "archive.db"
    cutter = crawl_eight_posts(db, redis_server, lambda _: ReplyCutter(redis_server.port, cut),
                               writer_cut=True)
    assert cutter.cuts == 1
    (run,) = runs(db)
    assert run["status"] == "ok" and run["counts"]["new"] == 8, run


def test_a_robots_txt_result_whose_push_lost_its_reply_is_counted_and_captured_once(
        tmp_path: Path, redis_server: RedisServer):
    """The result of a request nobody leased (the robots.txt of the media host, which a
    worker's robots middleware fetches) was pushed as is (RPUSH); its reply cut, the worker's
    client sent it again: the run counted that download twice and the archive held its capture
    twice (WARC records written twice; for a site's own, its run's requests counted twice). It
    is pushed once now (PUSH_RESULT): the run's counts and captures are those of a crawl with
    no cut."""
    pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")
    from warcio.archiveiterator import ArchiveIterator

    from archive.captures import captures_dir
    from crawler.sample_site import serve_blog
    from tests.webarchives import loopback

    def crawl(name: str, worker_url: str, site: str, media: str) -> tuple[dict, int]:
        db = tmp_path / name / "archive.db"
        db.parent.mkdir()
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{media}/media/"}
        writer = start_writer([site], db, redis_server.url, env=env)
        worker = start_worker(worker_url, *DIES)
        try:
            out, err = run_to_end(writer, [worker], timeout=120)
        finally:
            stop([writer, worker])
        assert writer.returncode == 0, err
        assert f"✓ {site}/: 6 posts: 6 new" in out, out
        (run,) = runs(db)
        robots = 0
        for path in captures_dir(db).glob("*.warc.gz"):
            with path.open("rb") as stream:
                robots += sum(record.rec_headers.get_header("WARC-Target-URI")
                              == media + "/robots.txt" for record in ArchiveIterator(stream))
        return run["counts"], robots

    cutter = script_cutter(redis_server, p.PUSH_RESULT)
    with blogs(1, posts=6) as (server,), serve_blog(server.blog, host=loopback(9)) as media:
        plain_counts, plain_robots = crawl("plain", redis_server.url, server.url, media.url)
        try:
            cut_counts, cut_robots = crawl("cut", cutter.url, server.url, media.url)
        finally:
            cutter.close()
    assert cutter.cuts == 1
    assert plain_robots == cut_robots > 0
    assert {k: cut_counts.get(k) for k in ("requests", "pages", "new")} == \
        {k: plain_counts.get(k) for k in ("requests", "pages", "new")}, (plain_counts, cut_counts)


def worker_client(url: str) -> redis.Redis:
    """A Redis client as a worker's (scrapy-redis, the worker's REDIS_PARAMS): it sends a
    command again, once, when its reply is lost."""
    from scrapy.settings import Settings
    from scrapy_redis.connection import get_redis_from_settings

    from crawler.distributed.spider import DistributedWixSpider

    return get_redis_from_settings(
        Settings({**DistributedWixSpider.custom_settings, "REDIS_URL": url}))


def test_a_sitemap_whose_count_lost_its_reply_is_counted_once(redis_server: RedisServer):
    """The count of a site's sitemaps (WIXARCHIVE_MAX_SITEMAPS) was an INCR, sent again by the
    worker's client after its reply was lost: one sitemap counted twice, and the site's last
    sitemap within the limit was not read ("more than N sitemaps"). Counted as a set of URLs
    now, as a crawl without Redis counts them."""
    from types import SimpleNamespace

    from crawler.distributed.spider import DistributedWixSpider

    site = "https://a.example/"
    key = p.sitemaps_key(site)
    cutter = ReplyCutter(redis_server.port, key.encode())
    worker = SimpleNamespace(server=worker_client(cutter.url))
    try:
        assert DistributedWixSpider._within_limit(worker, key, site + "sitemap.xml", 2)
        assert cutter.cuts == 1
        assert DistributedWixSpider._within_limit(worker, key, site + "blog-posts-sitemap.xml", 2)
        assert not DistributedWixSpider._within_limit(worker, key, site + "pages-sitemap.xml", 2)
        # Listed again by another index: still refused, the limit holds.
        assert not DistributedWixSpider._within_limit(worker, key, site + "pages-sitemap.xml", 2)
        assert redis_server.client().scard(key) == 3
    finally:
        cutter.close()


@pytest.mark.parametrize("script", ["FAILED", "TOO_LONG"])
def test_a_failure_whose_count_lost_its_reply_is_counted_once(
        redis_server: RedisServer, script: str):
    """A site's failure (FAILED: a 5xx) or too long Retry-After (TOO_LONG), counted by a
    script, its reply lost and the script sent again by the worker's client: counted twice,
    the site was stopped one failure early, in every worker. Each carries an id now, counted
    once: with a limit of 2, one failure leaves the site running."""
    site, run = "https://a.example/", "7"
    direct = redis_server.client()
    direct.script_load(getattr(p, script))  # the cut EVALSHA is the script itself
    cutter = ReplyCutter(redis_server.port, b"EVALSHA")
    client = worker_client(cutter.url)
    counting = client.register_script(getattr(p, script))
    try:
        if script == "FAILED":
            counting(keys=[p.backoff_key(site, run), p.crawl_delay_key(site), p.STOPPED,
                           p.RESULTS, p.PENDING, p.counted_key(site, run)],
                     args=[site, run, 1, 0, 0, 0, 2, 0, "too many", "too long", "failure-1"])
            assert direct.hget(p.backoff_key(site, run), "errors") == b"1"
        else:
            counting(keys=[p.backoff_key(site, run) + ":too-long", p.STOPPED, p.RESULTS,
                           p.PENDING, p.counted_key(site, run)],
                     args=[site, run, 2, "throttled", "retry-after-1"])
            assert direct.get(p.backoff_key(site, run) + ":too-long") == b"1"
        assert cutter.cuts == 1
        assert not direct.sismember(p.STOPPED, site)
        assert direct.llen(p.RESULTS) == 0  # the writer was told of no stop
    finally:
        cutter.close()


@pytest.mark.parametrize("script", ["FAILED", "TOO_LONG"])
def test_a_crawl_whose_failure_count_lost_its_reply_counts_the_failure_once(
        tmp_path: Path, redis_server: RedisServer, script: str):
    """The same in a crawl: the blog's feed answers its first request 503 (FAILED counts a
    failure) or 429 asking to wait an hour (TOO_LONG counts a Retry-After too long), and the
    reply of that count is cut after Redis ran it. With a limit of 2
    (WIXARCHIVE_MAX_SERVER_ERRORS, WIXARCHIVE_RETRY_AFTER_STOP), counted twice it stopped the
    site early; counted once, the crawl ends as with no cut: every post archived once, the
    503 tried again, the feed asked to wait an hour failed once."""
    db = tmp_path / "archive.db"
    failed = script == "FAILED"

    def failing_feed(server: Counted) -> ReplyCutter:
        server.takeovers["/blog-feed.xml"] = h.Throttle(None if failed else 3600,
                                                        status=503 if failed else 429)
        return script_cutter(redis_server, getattr(p, script))

    limit = "WIXARCHIVE_MAX_SERVER_ERRORS" if failed else "WIXARCHIVE_RETRY_AFTER_STOP"
    cutter = crawl_eight_posts(db, redis_server, failing_feed, env={limit: "2"},
                               mark="✓" if failed else "!")
    assert cutter.cuts == 1
    (run,) = runs(db)
    feed_errors = [error for error in run["errors"] if "blog-feed.xml" in error]
    assert len(feed_errors) == (0 if failed else 1), run


def test_a_link_whose_push_failed_is_queued_when_found_again(
        tmp_path: Path, redis_server: RedisServer):
    """A post's link went into the duplicate filter, then its PUSH never reached Redis (sent
    twice by the worker, and twice by its client): the page that found it failed, and the
    link, seen, was never queued when that page was fetched again or another listed it: the
    crawl ended without that post. Marked seen only once queued now: every post once."""
    cutter = crawl_eight_posts(
        tmp_path / "archive.db", redis_server, lambda server: ReplyCutter(
            redis_server.port, server.blog.posts[3].url_path.encode(), times=4, run=False),
        timeout=120)
    assert cutter.cuts == 4


def test_a_writer_whose_claim_never_gets_a_reply_gives_up_after_the_grace(
        tmp_path: Path, redis_server: RedisServer):
    """Redis answers, but never the writer's claim (each sent cut before Redis gets it): the
    start is given up once the grace is over, in one line, no run started."""
    from crawler.distributed.blips import GRACE_SECONDS

    db = tmp_path / "archive.db"
    cutter = ReplyCutter(redis_server.port, p.WRITER.encode(), times=10**6, run=False)
    with blogs(1, posts=2) as servers:
        writer = start_writer([servers[0].url], db, cutter.url, "--no-media")
        try:
            out, err = writer.communicate(timeout=GRACE_SECONDS + 60)
        finally:
            stop([writer])
            cutter.close()
    assert writer.returncode != 0
    assert err.strip().splitlines()[-1] == (
        f"Error: cannot use Redis at {cutter.url}: no reply for {GRACE_SECONDS:.0f} s"), err
    assert "Traceback" not in err
    assert not db.exists() or runs(db) == []


@pytest.mark.parametrize("cut", [b"\r\nLTRIM\r\n", b"\r\nLRANGE\r\n"],
                         ids=["sent-again", "round-again"])
def test_a_writer_whose_command_never_gets_a_reply_gives_up_and_the_next_run_completes(
        tmp_path: Path, redis_server: RedisServer, cut: bytes):
    """Mid-crawl, Redis answers the writer's check of the crawl but never one command, each
    cut before Redis gets it past the first few: the trim of the results it stored, which the
    writer sent again for ever (CrawlLink.steady), or the read of the results, whose round of
    the writer's loop it started again for ever. It gives up the grace after the first blip:
    one line, the site's run interrupted, and the crawl run again completes it, every post
    once."""
    from crawler.distributed.blips import GRACE_SECONDS

    db = tmp_path / "archive.db"
    cutter = ReplyCutter(redis_server.port, cut, times=10**6, run=False, after=2)
    with blogs(1, posts=8) as servers:
        writer = start_writer([servers[0].url], db, cutter.url, "--no-media")
        worker = start_worker(redis_server.url, *DIES)
        try:
            out, err = run_to_end(writer, [worker], timeout=GRACE_SECONDS + 90)
        finally:
            stop([writer, worker])
            cutter.close()
        assert writer.returncode == 1, (out, err)
        # The results it did not store are left in Redis for the next run, and said so.
        last = err.strip().splitlines()[-1]
        lost = f"Error: lost Redis at {cutter.url}: no reply for {GRACE_SECONDS:.0f} s"
        assert last == lost or re.fullmatch(
            re.escape(lost) + r"; \d+ results? the workers sent (is|are) left in Redis at "
            + re.escape(cutter.url) + r", stored first by the next crawl through it .*", last), err
        assert "Traceback" not in err
        assert [run["status"] for run in runs(db)] == ["interrupted"]
        writer = start_writer([servers[0].url], db, redis_server.url, "--no-media")
        out, err = run_to_end(writer, [start_worker(redis_server.url)], timeout=90)
    assert writer.returncode == 0, err
    assert f"✓ {servers[0].url}/: 8 posts" in out, out
    assert_every_post_once(db, servers)
