"""A reply lost after Redis ran the command (crawler.distributed.blips): what the writer and the
workers send again must neither lose nor repeat work. A real redis-server behind a loopback TCP
relay that cuts the connection once Redis has answered a chosen command, before the client
reads the answer."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from crawler.distributed import protocol as p
from crawler.distributed.blips import CrawlLink
from tests.test_crawl_redis import REDIS_SERVER, RedisServer

pytestmark = pytest.mark.skipif(
    REDIS_SERVER is None,
    reason="redis-server not found (Debian package redis-server; .ci/run installs it)")


class QueueLost(Exception):
    pass


class ReplyCutter:
    """Relays 127.0.0.1:port to Redis; the first connection that sends a command naming `cut`
    has it run, and is closed before the reply reaches the client."""

    def __init__(self, redis_port: int, cut: bytes) -> None:
        self.redis_port = redis_port
        self.cut = cut
        self.cuts = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.redis_port))
        with client, upstream, contextlib.suppress(OSError):
            while data := client.recv(65536):
                upstream.sendall(data)
                reply = upstream.recv(65536)  # the tests' replies fit one read
                if self.cut in data and self.cuts == 0:
                    self.cuts += 1
                    return  # it ran; its reply is lost with the connection
                client.sendall(reply)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.kill()


def link_through(server: RedisServer, cut: bytes) -> tuple[ReplyCutter, redis.Redis, CrawlLink]:
    cutter = ReplyCutter(server.port, cut)
    client = redis.Redis.from_url(f"redis://127.0.0.1:{cutter.port}/0", socket_timeout=5)
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
