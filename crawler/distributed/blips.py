"""A connection to Redis dropped mid-crawl (Redis restarted, a failover, a TCP connection cut):
what the writer and the workers wait before they give the crawl up.

redis-py connects anew at the next command, so a blip costs one command its reply. The writer
(archive.distributed) and the workers (crawler.distributed.heartbeat) then ask Redis for the
running crawl's id (protocol.CRAWL) for up to GRACE_SECONDS: back with the same crawl, they carry
on; back without it (restarted empty, flushed), the crawl's queue is lost; still away, Redis is.
A command whose reply was lost may have run: each caller sends again only what is safe to run
twice, and says why. The writer gives the crawl up GRACE_SECONDS after the first of blips in a
row, even when Redis answers its check of the crawl every time but never the command (a reply
that times out each time): until 2026-12-07 it sent that command again for ever.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis

from crawler.distributed import protocol as p

GRACE_SECONDS = 10.0  # how long Redis may stay away (docs/distributed.md says it)
RETRY_SECONDS = 0.25
# A connection lost or a reply that never came (redis-py's BusyLoadingError, a Redis loading its
# dump after a restart, is a ConnectionError too); any other error is no blip.
BLIPS = (redis.ConnectionError, redis.TimeoutError)


class NoReply(redis.RedisError):
    """Redis gave the crawl's command no reply within the grace (away, or answering the check
    of the crawl but not the command): the crawl is given up, not waited for again as after a
    blip (a caller catching BLIPS lets it through)."""


def crawl_after_blip(server: Any, grace: float = GRACE_SECONDS) -> bytes | None:
    """protocol.CRAWL as Redis holds it once it answers again; raises the last error when it
    does not answer within `grace` seconds."""
    deadline = time.monotonic() + grace
    while True:
        try:
            return server.get(p.CRAWL)
        except BLIPS:
            if time.monotonic() >= deadline:
                raise
            time.sleep(RETRY_SECONDS)


class CrawlLink:
    """The writer's way through a blip, for the crawl `crawl_id`; `lost` is raised when Redis
    came back without it."""

    def __init__(self, server: Any, crawl_id: bytes, lost: type[Exception]) -> None:
        self.server = server
        self.crawl_id = crawl_id
        self.lost = lost

    def after_blip(self, since: float | None = None) -> None:
        """A command got no reply: returns once Redis answers again still holding the crawl;
        raises `lost` when it came back without it, and NoReply once the blips in a row, the
        first at `since` (time.monotonic(); this one when None), have lasted GRACE_SECONDS or
        Redis stays away. The writer's loop then starts its round again, safe whether that
        command ran or not: its reads, REAP, STOP_SITE and EMPTY_QUEUE act on what Redis holds
        (sent again, they find their work done or redo it); the pushes, the moves kept and the
        trim of stored results, which follow a change of the writer's own state, go through
        `steady` and `trim_stored`, whose NoReply ends the crawl rather than that round."""
        since = time.monotonic() if since is None else since
        left = since + GRACE_SECONDS - time.monotonic()
        if left <= 0:
            raise NoReply(f"no reply for {GRACE_SECONDS:.0f} s")
        try:
            crawl = crawl_after_blip(self.server, left)
        except BLIPS as exc:
            raise NoReply(str(exc)) from None
        if crawl != self.crawl_id:
            raise self.lost

    def steady(self, call: Callable[[], Any], since: float | None = None) -> Any:
        """`call` (a command safe to run twice: its caller says why), sent again after a blip
        (at once, then RETRY_SECONDS apart) until GRACE_SECONDS after the first (`since`, or
        its own): a command Redis never answers ends the crawl (NoReply)."""
        while True:
            try:
                return call()
            except BLIPS:
                if since is None:
                    since = time.monotonic()
                else:
                    time.sleep(RETRY_SECONDS)
                self.after_blip(since)

    def trim_stored(self, key: str, raw: list[bytes]) -> None:
        """The batch `raw`, stored, leaves the head of the list `key` (protocol.RESULTS). An
        LTRIM whose reply was lost may have run: it is sent again only while the list still
        starts with the batch (workers only append; only the writer removes, and each message
        is one request's own result), else results never stored would go."""
        def trim_if_first() -> None:
            if self.server.lrange(key, 0, len(raw) - 1) == raw:
                self.server.ltrim(key, len(raw), -1)

        try:
            self.server.ltrim(key, len(raw), -1)
        except BLIPS:
            since = time.monotonic()
            self.after_blip(since)
            self.steady(trim_if_first, since)
