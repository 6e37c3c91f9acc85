"""The `--redis` side of `wixarchive crawl` and `run-due`: queue the sites in Redis, store what
the workers send (archive.distributed), and `wixarchive worker`."""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from archive.distributed import DistributedError, RedisWriter, SiteJob
from crawler import settings as defaults  # plain constants, no Scrapy import
from crawler.discover.urls import site_root

# The crawl's settings every worker takes from the writer (crawler.distributed.worker).
SHARED = ("USER_AGENT", "WIXARCHIVE_CONTACT", "ROBOTSTXT_OBEY", "DOWNLOAD_TIMEOUT",
          "WIXARCHIVE_CAPTURE", "WIXARCHIVE_MEDIA", "WIXARCHIVE_MEDIA_MAX_BYTES")


def site_job(url: str, overrides: dict[str, Any]) -> SiteJob:
    return SiteJob(site_root(url),
                   concurrency=int(overrides.get("CONCURRENT_REQUESTS_PER_DOMAIN",
                                                 defaults.CONCURRENT_REQUESTS_PER_DOMAIN)),
                   delay=float(overrides.get("DOWNLOAD_DELAY", defaults.DOWNLOAD_DELAY)))


def run_writer(jobs: Sequence[SiteJob], db: Path, overrides: dict[str, Any], redis_url: str,
               on_result: Callable[[int, dict[str, Any]], None], *, quiet: bool,
               writer_ready: Callable[[RedisWriter], None] | None = None,
               handle_signals: bool = True) -> str | None:
    """Crawl `jobs` through Redis; returns None, or the one-line reason it could not finish
    (each site then still got its summary, as interrupted)."""
    settings = {k: v for k, v in overrides.items() if k in SHARED}
    try:
        writer = RedisWriter(db, redis_url, settings)
    except DistributedError as exc:
        return str(exc)

    def progress(line: str) -> None:
        if not quiet:
            click.echo(line, err=True)

    if writer_ready:
        writer_ready(writer)
    previous = {signum: signal.signal(signum, lambda *_: writer.stop())
                for signum in (signal.SIGINT, signal.SIGTERM)} if handle_signals else {}
    try:
        writer.crawl(jobs, on_result, progress)
    except DistributedError as exc:
        return str(exc)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return None


def crawl_through_redis(locked: Sequence[tuple[str, Any]], db: Path, overrides: dict[str, Any],
                        redis_url: str, ended: Callable[[int, dict[str, Any]], None], *,
                        quiet: bool) -> str | None:
    """`wixarchive crawl --redis`: the locked sites, each lock released as its site ends."""

    def done(index: int, summary: dict[str, Any]) -> None:
        locked[index][1].release()
        ended(index, summary)

    jobs = [site_job(url, overrides) for url, _ in locked]
    return run_writer(jobs, db, overrides, redis_url, done, quiet=quiet)
