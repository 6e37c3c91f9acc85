"""`wixarchive worker --redis URL`: one crawler worker sharing a crawl through Redis.

A worker is one Scrapy process running DistributedWixSpider with scrapy-redis's scheduler and
duplicate filter (crawler.distributed.queue adds leases): it takes requests of any queued site,
fetches them within the site's politeness across every worker (crawler.distributed.politeness),
extracts the posts and sends them to the writer through Redis. It waits for a writer (up to the
idle timeout), refuses one of another version, takes the crawl's settings (user agent,
robots.txt, captures) from it, and exits once it has had no work, and the queue no request
queued or leased, for the idle timeout since its last work.
The heartbeat that keeps its leases and tokens is a Scrapy extension
(crawler.distributed.heartbeat), so the same spider also runs as a plain Scrapy job.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from scrapy.crawler import CrawlerProcess

from crawler.distributed import protocol as p
from crawler.distributed.heartbeat import LOST, QUEUE_LOST
from crawler.distributed.protocol import WorkerError
from crawler.distributed.queue import LEASE_SECONDS
from crawler.distributed.spider import IDLE_TIMEOUT, DistributedWixSpider
from crawler.run import crawl_settings

__all__ = ["WorkerError", "run_worker"]

# The writer's Scrapy settings that every worker takes (the crawl's identity and what it keeps,
# when a failing site is backed off and stopped, and the longest Retry-After waited:
# archive.distributed.FAILURE_SETTINGS).
SHARED_SETTINGS = ("USER_AGENT", "WIXARCHIVE_CONTACT", "ROBOTSTXT_OBEY", "DOWNLOAD_TIMEOUT",
                   "WIXARCHIVE_CAPTURE", "WIXARCHIVE_MAX_SERVER_ERRORS",
                   "WIXARCHIVE_MAX_FAILING_SECONDS", "WIXARCHIVE_BACKOFF_START",
                   "WIXARCHIVE_BACKOFF_MAX", "WIXARCHIVE_RETRY_AFTER_STOP",
                   "WIXARCHIVE_RETRY_AFTER_MAX")


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
            raise WorkerError(f"no crawl to work on at {p.shown(url)}: no writer for "
                              f"{patience:g} s (start `wixarchive crawl URL... --redis URL` first)")
        time.sleep(0.5)


def run_worker(url: str, *, idle: float = IDLE_TIMEOUT, lease: float = LEASE_SECONDS,
               verbose: bool = False) -> dict[str, Any]:
    """Work until the queue stays empty for `idle` seconds; returns counts. Raises
    WorkerError (a one-line reason) when Redis cannot be reached or is lost, or the writer is
    refused."""
    try:
        writer = wait_for_writer(p.connect(url, WorkerError), url, idle)
    except redis.RedisError as exc:
        raise WorkerError(f"lost Redis at {p.shown(url)}: {exc}") from None
    shared = {k: v for k, v in (writer.get("settings") or {}).items() if k in SHARED_SETTINGS}
    settings = crawl_settings("", {
        **shared, "LOG_LEVEL": "INFO" if verbose else "CRITICAL", "REDIS_URL": url,
        "WIXARCHIVE_REDIS_IDLE": idle, "WIXARCHIVE_REDIS_LEASE": lease})
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(DistributedWixSpider)
    started = time.monotonic()
    failed: list[str] = []
    process.crawl(crawler).addErrback(lambda failure: failed.append(failure.getErrorMessage()))
    lost = None
    try:
        process.start()
    except redis.RedisError as exc:  # from the scheduler, before the heartbeat noticed
        lost = f"lost Redis at {p.shown(url)}: {exc}"
    heartbeat = getattr(crawler, "wixarchive_heartbeat", None)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    if heartbeat and stats.get("finish_reason") == QUEUE_LOST:
        raise WorkerError(heartbeat.lost or QUEUE_LOST)
    lost = lost or (heartbeat.lost if heartbeat else None)
    if lost or stats.get("finish_reason") == LOST:
        # Redis may be down for everyone (the writer stops too; its next crawl resumes) or
        # only out of this worker's reach: both are possible from here.
        raise WorkerError(f"{lost or 'lost Redis at ' + p.shown(url)} (the requests this "
                          "worker held go back to the queue once their leases expire, if "
                          "Redis is up; if it is down, the crawl stops and its next run "
                          "resumes it)")
    if failed:
        raise WorkerError(f"the worker failed: {failed[0]}")
    return {"worker": heartbeat.id if heartbeat else None,
            "pages": stats.get("downloader/response_count", 0),
            "requests": stats.get("scheduler/dequeued/redis", 0),
            "errors": stats.get("log_count/ERROR", 0),
            "seconds": round(time.monotonic() - started, 1),
            "reason": stats.get("finish_reason")}
