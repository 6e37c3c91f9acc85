"""A Scrapy extension for crawl tests: a site whose close takes a while, as one does while its
pipeline commits the last pages, with a file that says when the close has begun (the close
reason) and when it has run to its end (" done" added).

Setting: SLOW_CLOSE_MARKER, the file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from scrapy import signals

SECONDS = 3.0  # how long the close takes


class SlowClose:
    def __init__(self, crawler: Any) -> None:
        self.marker = Path(crawler.settings.get("SLOW_CLOSE_MARKER"))
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SlowClose:
        return cls(crawler)

    async def spider_closed(self, spider: Any, reason: str) -> None:
        self.marker.write_text(reason)
        await asyncio.sleep(SECONDS)
        with self.marker.open("a") as marker:
            marker.write(" done")
