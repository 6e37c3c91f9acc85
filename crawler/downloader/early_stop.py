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
    if slot_key is not None:
        drop_queued(crawler, f"not fetched: {reason}", slot_key)
    if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
        return asyncio.ensure_future(engine.close_spider_async(reason=reason))
    engine.close_spider(crawler.spider, reason)
    return None


def drop_queued(crawler: Any, why: str, slot_key: str | None = None) -> None:
    """Fail the requests waiting in a download slot (`slot_key`; every slot of the crawler's
    when None) with IgnoreRequest(`why`), unsent: they have passed every middleware's
    process_request, and Scrapy's close sends each at its slot's delay, which a failing site's
    back-off (crawler.downloader.backoff) makes up to 30 s."""
    slots = crawler.engine.downloader.slots
    for key in [slot_key] if slot_key is not None else list(slots):
        slot = slots.get(key)
        while slot is not None and slot.queue:
            _request, queued = slot.queue.popleft()
            queued.errback(IgnoreRequest(why))
