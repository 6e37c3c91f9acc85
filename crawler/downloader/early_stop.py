"""Ending a crawl early because the site said so (throttling) or keeps failing.

The close reason starts with one of crawler.summary.STOPPED_EARLY: the run then counts as
finished early (partial, or failed with nothing archived), not interrupted, so a multi-site
crawl goes on with the next site, and nothing is marked deleted from a crawl that stopped.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.exceptions import IgnoreRequest


def stop_early(crawler: Any, reason: str,
               slot_key: str | None = None) -> asyncio.Future[None] | None:
    """Ask the engine to close the spider with `reason`; returns the task to keep alive.
    The requests waiting in the site's download slot (`slot_key`) are not sent: Scrapy's
    close lets every request its downloader holds go out, up to CONCURRENT_REQUESTS of them
    (15 more 503s to a failing site, at its delay), each named `not fetched: REASON`."""
    engine = crawler.engine
    slot = engine.downloader.slots.get(slot_key) if slot_key is not None else None
    while slot is not None and slot.queue:
        _request, queued = slot.queue.popleft()
        queued.errback(IgnoreRequest(f"not fetched: {reason}"))
    if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
        return asyncio.ensure_future(engine.close_spider_async(reason=reason))
    engine.close_spider(crawler.spider, reason)
    return None
