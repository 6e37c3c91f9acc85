"""`wixarchive worker --redis URL`: one crawler worker sharing a crawl through Redis.

A worker is one Scrapy process running DistributedWixSpider with scrapy-redis's scheduler and
duplicate filter (crawler.distributed.queue adds leases): it takes requests of any queued site,
fetches them within the site's politeness across every worker (crawler.distributed.politeness),
extracts the posts and sends them to the writer through Redis. It refuses a writer of another
version, renews its leases and tokens every HEARTBEAT seconds, and exits once the queue has
stayed empty for the idle timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import uuid
from typing import Any

import redis
from scrapy import signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import CrawlerProcess
from twisted.internet import task

from crawler.distributed import protocol as p
from crawler.distributed.spider import IDLE_TIMEOUT, DistributedWixSpider
from crawler.run import crawl_settings

HEARTBEAT = 2.0  # seconds between renewals of leases and tokens (they last 5x longer or more)
# Scrapy asks an idle scheduler for requests every 5 s; other workers queue them at any time.
POLL_SECONDS = 0.5

# The writer's Scrapy settings that every worker takes (politeness and identity of the crawl).
SHARED_SETTINGS = ("USER_AGENT", "WIXARCHIVE_CONTACT", "ROBOTSTXT_OBEY", "DOWNLOAD_TIMEOUT",
                   "WIXARCHIVE_CAPTURE")


class WorkerError(Exception):
    """Why a worker cannot run, phrased for the user (one line)."""


def connect(url: str) -> redis.Redis:
    try:
        server = redis.Redis.from_url(url, socket_timeout=15, socket_connect_timeout=5)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise WorkerError(f"cannot reach Redis at {url}: {exc}") from None
    return server


def wait_for_writer(server: redis.Redis, url: str, patience: float) -> dict[str, Any]:
    """The writer's identity and settings; refuses one of another version."""
    deadline = time.monotonic() + patience
    while True:
        raw = server.get(p.WRITER)
        if raw:
            writer = json.loads(raw)
            problem = p.mismatch(writer)
            if problem:
                raise WorkerError(problem)
            return writer
        if time.monotonic() >= deadline:
            raise WorkerError(f"no crawl to work on at {url}: no writer for {patience:g} s "
                              "(start `wixarchive crawl URL... --redis URL` first)")
        time.sleep(0.5)


def worker_settings(url: str, writer: dict[str, Any], *, idle: float, lease: float,
                    verbose: bool) -> Any:
    shared = {k: v for k, v in (writer.get("settings") or {}).items() if k in SHARED_SETTINGS}
    settings = crawl_settings("", {
        **shared,
        "LOG_LEVEL": "INFO" if verbose else "CRITICAL",
        "REDIS_URL": url,
        "REDIS_PARAMS": {"socket_timeout": 15, "socket_connect_timeout": 5},
        "SCHEDULER": "crawler.distributed.queue.LeasedScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": p.REQUESTS,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": p.DUPEFILTER,
        "SCHEDULER_PERSIST": True,  # the queue is the crawl's, not this worker's
        "WIXARCHIVE_REDIS_IDLE": idle,
        "WIXARCHIVE_REDIS_LEASE": lease,
        # Politeness is the site's across all workers (SiteTokens): no second, local delay
        # or cap.
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "ITEM_PIPELINES": {},  # results go to the writer through Redis
        "EXTENSIONS": {},
        # Per-site early stops close a single-site crawl; here one worker serves every site.
        "WIXARCHIVE_RETRY_AFTER_STOP": 1_000_000,
        "WIXARCHIVE_MAX_SERVER_ERRORS": 1_000_000,
    })
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.downloader.time_limit.SiteTimeLimit"] = None
    # Captures go to the writer, which owns the captures folder (crawler.distributed.capture).
    middlewares["crawler.capture.middleware.CaptureMiddleware"] = None
    middlewares["crawler.distributed.politeness.SiteTokens"] = 950
    middlewares["crawler.distributed.capture.RedisCapture"] = 960  # next to the download
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    return settings


def run_worker(url: str, *, idle: float = IDLE_TIMEOUT, lease: float = 30.0,
               verbose: bool = False) -> dict[str, Any]:
    """Work until the queue stays empty for `idle` seconds; returns counts. Raises
    WorkerError (a one-line reason) when Redis cannot be reached or the writer is refused."""
    server = connect(url)
    writer = wait_for_writer(server, url, idle)
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    me = json.dumps({**p.identity(), "host": socket.gethostname(), "pid": os.getpid()})
    server.set(p.worker_key(worker_id), me, ex=p.WORKER_SECONDS)
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = POLL_SECONDS  # see POLL_SECONDS
    process = CrawlerProcess(worker_settings(url, writer, idle=idle, lease=lease,
                                             verbose=verbose))
    crawler = process.create_crawler(DistributedWixSpider)
    lost: list[str] = []
    renew = server.register_script(p.RENEW)

    def heartbeat() -> None:
        spider = crawler.spider
        try:
            if spider is not None and getattr(spider, "redis_queue", None) is not None:
                if spider.held_leases:
                    renew(keys=[p.LEASES], args=[lease, *spider.held_leases])
                tokens = getattr(crawler, "wixarchive_tokens", None)
                if tokens is not None:
                    tokens.renew(server, renew)
            server.set(p.worker_key(worker_id), me, ex=p.WORKER_SECONDS)
        except redis.RedisError as exc:
            if not lost:
                lost.append(f"lost Redis at {url}: {exc}")
                process.stop()

    beats: list[task.LoopingCall] = []

    def start_heartbeat(spider: Any) -> None:
        # Made once the spider opens: a LoopingCall made earlier would install Twisted's
        # default reactor before Scrapy installs the asyncio one.
        beats.append(task.LoopingCall(heartbeat))
        beats[0].start(HEARTBEAT, now=False)

    started = time.monotonic()
    crawler.signals.connect(start_heartbeat, signal=signals.spider_opened, weak=False)
    failed: list[str] = []
    process.crawl(crawler).addErrback(lambda failure: failed.append(failure.getErrorMessage()))
    try:
        process.start()
    except redis.RedisError as exc:  # from the scheduler, before the heartbeat noticed
        lost.append(f"lost Redis at {url}: {exc}")
    for beat in beats:
        if beat.running:
            beat.stop()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    with contextlib.suppress(redis.RedisError):
        server.delete(p.worker_key(worker_id))
    if lost:
        raise WorkerError(lost[0] + " (its requests go back to the queue for the others)")
    if failed:
        raise WorkerError(f"the worker failed: {failed[0]}")
    errors = stats.get("log_count/ERROR", 0)
    return {"worker": worker_id, "pages": stats.get("downloader/response_count", 0),
            "requests": stats.get("scheduler/dequeued/redis", 0), "errors": errors,
            "seconds": round(time.monotonic() - started, 1),
            "reason": stats.get("finish_reason")}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m crawler.distributed.worker")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT)
    parser.add_argument("--lease", type=float, default=30.0)
    args = parser.parse_args(argv)
    try:
        result = run_worker(args.redis, idle=args.idle_timeout, lease=args.lease)
    except WorkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
