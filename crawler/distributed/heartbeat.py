"""WorkerHeartbeat: what keeps a worker's share of the crawl alive, as a Scrapy extension.

Every HEARTBEAT seconds it renews the leases of the requests this worker holds and the site
tokens of its downloads in flight (both expire otherwise, so a killed worker's requests and
slots come back to the others), and its registration (which the writer counts). It refuses a
writer of another version, and stops the worker when Redis is lost, or when Redis lost the
crawl it was working on (restarted without persistence, or flushed: protocol.CRAWL gone, or
marked lost by the writer), rather than fetch on for a queue that no longer exists and drop
the results of the requests it held. A blip (crawler.distributed.blips) is Redis lost only once
it has lasted blips.GRACE_SECONDS, as the writer waits. An extension rather than
code around the crawl, so a worker also runs as a plain Scrapy job (`scrapy crawl wixarchive
-s REDIS_URL=...`, e.g. under Scrapyd).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from typing import Any

import redis
from scrapy import signals
from scrapy.core.engine import ExecutionEngine
from scrapy_redis.connection import get_redis_from_settings
from twisted.internet import task

from crawler.distributed import blips
from crawler.distributed import protocol as p
from crawler.distributed.queue import LEASE_SECONDS
from crawler.downloader.early_stop import stop_early

HEARTBEAT = 2.0  # seconds between renewals at most (leases and tokens last 5x longer or more)
# Scrapy asks an idle scheduler for requests every 5 s; other workers queue them at any time.
POLL_SECONDS = 0.5
LOST = "redis_lost"  # the close reasons: Redis unreachable, or emptied under the crawl
QUEUE_LOST = "redis_queue_lost"


def beat_seconds(lease: float) -> float:
    """Seconds between renewals: a lease outlives 5 of them. A beat comes late when the
    worker's process is starved (measured: 3.3 s apart instead of 2 at load 19 on 2 cores); a
    lease that expires meanwhile has its request fetched again by another worker. Renewed every
    2 s, the shortest lease (`--lease 5`) expired after a stall of 3 s; now 4 s."""
    return min(HEARTBEAT, lease / 5)


class WorkerHeartbeat:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.lease = crawler.settings.getfloat("WIXARCHIVE_REDIS_LEASE", LEASE_SECONDS)
        self.server = get_redis_from_settings(crawler.settings)
        self.url = crawler.settings.get("REDIS_URL") or "Redis"
        writer = self.server.get(p.WRITER)
        problem = p.mismatch(json.loads(writer)) if writer else None
        if problem:
            raise p.WorkerError(problem)
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.me = json.dumps({**p.identity(), "host": socket.gethostname(), "pid": os.getpid()})
        self.renew = self.server.register_script(p.RENEW)
        self.loop: task.LoopingCall | None = None
        self.lost: str | None = None
        self.crawl: bytes | None = None  # the id of the crawl worked on (protocol.CRAWL)
        self.blip_since: float | None = None  # when beats began to fail on a blip
        self.closing: Any = None  # the close task, kept alive
        ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = POLL_SECONDS  # see POLL_SECONDS
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.wixarchive_heartbeat = self

    @classmethod
    def from_crawler(cls, crawler: Any) -> WorkerHeartbeat:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.beat()
        self.loop = task.LoopingCall(self.beat)  # made now: Scrapy's reactor is installed
        self.loop.start(beat_seconds(self.lease), now=False)

    def beat(self) -> None:
        spider = self.crawler.spider
        try:
            if spider is not None and getattr(spider, "held_leases", None):
                self.renew(keys=[p.LEASES], args=[self.lease, *spider.held_leases])
            tokens = getattr(self.crawler, "wixarchive_tokens", None)
            if tokens is not None:
                tokens.renew(self.server, self.renew)
            self.server.set(p.worker_key(self.id), self.me, ex=p.WORKER_SECONDS)
            crawl = self.server.get(p.CRAWL)
        except redis.RedisError as exc:
            # Every renewal is safe twice (RENEW extends only leases and tokens still held;
            # the registration is a SET): the next beat sends them again.
            if isinstance(exc, blips.BLIPS):
                now = time.monotonic()
                self.blip_since = self.blip_since or now
                if now - self.blip_since < blips.GRACE_SECONDS:
                    return
            if self.lost is None:
                self.lost = f"lost Redis at {p.shown(self.url)}: {exc}"
                self.closing = stop_early(self.crawler, LOST)
            return
        self.blip_since = None
        if crawl == p.CRAWL_ENDED:
            self.crawl = None  # ended by its writer: the next crawl may come
        elif crawl is not None and crawl != p.CRAWL_LOST:
            self.crawl = crawl  # a crawl, or the next one (a new writer)
        elif self.crawl is not None and self.lost is None:
            self.lost = (f"Redis at {p.shown(self.url)} {p.QUEUE_LOST}: the writer records the "
                         "unfinished sites as interrupted; run the crawl again to resume")
            self.closing = stop_early(self.crawler, QUEUE_LOST)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        with contextlib.suppress(redis.RedisError):  # else it expires
            self.server.delete(p.worker_key(self.id))
