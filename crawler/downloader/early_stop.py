"""Ending a crawl early because the site said so (throttling) or keeps failing.

The close reason starts with one of crawler.summary.STOPPED_EARLY: the run then counts as
finished early (partial, or failed with nothing archived), not interrupted, so a multi-site
crawl goes on with the next site, and nothing is marked deleted from a crawl that stopped.
"""

from __future__ import annotations

import asyncio
from typing import Any


def stop_early(crawler: Any, reason: str) -> asyncio.Future[None] | None:
    """Ask the engine to close the spider with `reason`; returns the task to keep alive."""
    engine = crawler.engine
    if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
        return asyncio.ensure_future(engine.close_spider_async(reason=reason))
    engine.close_spider(crawler.spider, reason)
    return None
