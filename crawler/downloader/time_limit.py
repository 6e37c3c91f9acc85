"""SiteTimeLimit: a downloader middleware that holds one site's crawl to its time limit.

Scrapy's CLOSESPIDER_TIMEOUT closes the spider on time, but the close waits for the downloads
in flight, and their retries (robots.txt's too) still go out: a site whose server accepts
connections and never answers kept its crawl alive for 4 x DOWNLOAD_TIMEOUT past its limit.
Here every download is given at most the time left (its download_timeout is cut to it), and
once the limit has passed (or the crawl is stopping, see `stop_now`) no request, retry or
robots.txt included, goes out, nor any waiting in its download slots (Scrapy's close sent
them at the slot's delay: a failing site's, backed off to 30 s, kept its crawl 8 minutes past
its limit, or past a Ctrl-C), nor any waiting out a Retry-After (`wait`: a crawl at its 5 s
limit ended after 52 s). So a site ends within about a second of its limit, whatever its
server does; the other sites of the crawl process are never held up by it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest

from crawler.downloader.early_stop import drop_queued
from crawler.summary import TIME_LIMIT as REASON  # the spider's close reason at the limit

SLACK = 0.5  # seconds a download may run past the limit before it is cut off
STOPPING = "not fetched: the crawl is stopping"


class SiteTimeLimit:
    def __init__(self, crawler: Any, limit: float) -> None:
        self.crawler = crawler
        self.limit = limit  # seconds; 0: none
        self.deadline = float("inf")
        self.stopping = False
        self.over = asyncio.Event()  # set at the limit or a stop: every wait ends
        self.timer: asyncio.TimerHandle | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteTimeLimit:
        # Configured even without a limit: a stopping crawl still sends nothing more.
        middleware = cls(crawler, crawler.settings.getfloat("WIXARCHIVE_TIME_LIMIT"))
        crawler.wixarchive_time_limit = middleware
        return middleware

    def opened(self, spider: Any) -> None:
        if self.limit > 0:
            self.deadline = time.monotonic() + self.limit
            self.timer = asyncio.get_running_loop().call_later(self.limit, self._expire)

    def _expire(self) -> None:
        self.timer = None
        self.deadline = min(self.deadline, time.monotonic())  # the loop's timer may run early
        self.over.set()
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            drop_queued(self.crawler, self._over())
            asyncio.ensure_future(engine.close_spider_async(reason=REASON))

    def stop_now(self) -> None:
        """The crawl is stopping (Ctrl-C, SIGTERM): send nothing more to this site."""
        self.stopping = True
        self.over.set()
        engine = self.crawler.engine
        if engine is not None and engine.downloader is not None:
            drop_queued(self.crawler, STOPPING)

    async def wait(self, seconds: float) -> None:
        """Wait `seconds`, or until the limit or a stop if sooner: what waited is then refused
        by process_request, not sent once the wait is over."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.over.wait(), seconds)

    def _over(self) -> str:
        return f"not fetched: the site's {self.limit:g} s time limit is over"

    def left_unsent(self, reason: str) -> bool:
        """Whether a request's error says only that it was never sent: the crawl stopped, or the
        site's time limit came, while it waited. The next run fetches it."""
        return reason == STOPPING or (self.limit > 0 and reason == self._over())

    def closed(self, spider: Any, reason: str) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = None

    def process_request(self, request: Any, spider: Any = None) -> None:
        if self.stopping:
            raise IgnoreRequest(STOPPING)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise IgnoreRequest(self._over())
        if left != float("inf"):
            timeout = request.meta.get("download_timeout",
                                       self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
            request.meta["download_timeout"] = min(timeout, left + SLACK)
