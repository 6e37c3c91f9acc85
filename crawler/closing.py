"""Closing one site's crawl early, from a component that found it cannot go on (its captures
cannot be written, the archive stays locked by another process)."""

from __future__ import annotations

from typing import Any


def close_site(crawler: Any, reason: str) -> None:
    """Close `crawler`'s site with close reason `reason`: no new request is sent, and the site
    closes as a finished one does (its pages committed, its run recorded). A close already
    under way keeps its own reason."""
    engine, spider = crawler.engine, crawler.spider
    if engine is None or getattr(engine, "spider", spider) is None:
        return  # not running, or already closed
    slot = getattr(engine, "_slot", None)  # private: Scrapy has no public "closing" flag
    if slot is not None and slot.closing is not None:
        return  # closing already (each failed page of a busy archive asks again)
    if hasattr(engine, "close_spider_async"):  # Scrapy >= 2.14
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(engine.close_spider_async(reason=reason))
    else:
        engine.close_spider(spider, reason)
