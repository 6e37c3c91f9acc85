"""A one-line progress display on stderr while a crawl runs."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals

# On a terminal the line is redrawn at most this often; in logs one line per interval.
TTY_INTERVAL = 0.2
LOG_INTERVAL = 10.0


class CrawlProgress:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stream = sys.stderr
        self.tty = self.stream.isatty()
        self.last = time.monotonic()
        self.shown = False
        crawler.signals.connect(self.update, signal=signals.item_scraped)
        crawler.signals.connect(self.update, signal=signals.response_received)
        crawler.signals.connect(self.finish, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        return cls(crawler)

    def _line(self) -> str:
        stats = self.crawler.stats
        get = stats.get_value
        return (f"{self.crawler.spider.site} {get('downloader/response_count', 0)} pages, "
                f"{get('wixarchive/new', 0)} new, {get('wixarchive/changed', 0)} changed, "
                f"{get('wixarchive/unchanged', 0)} unchanged, "
                f"{get('wixarchive/fetch_errors', 0)} errors")

    def update(self, *args: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self.last < (TTY_INTERVAL if self.tty else LOG_INTERVAL):
            return
        self.last = now
        self.shown = True
        if self.tty:
            self.stream.write("\r\033[K" + self._line())
        else:
            self.stream.write(self._line() + "\n")
        self.stream.flush()

    def finish(self, spider: Any, reason: str) -> None:
        if self.tty and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
