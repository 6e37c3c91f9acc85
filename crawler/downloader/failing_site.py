"""FailingSiteMiddleware: a site whose every answer is a server error ends the crawl early.

Retries bound each URL (RETRY_TIMES), but a site that went down mid-crawl would still get
(RETRY_TIMES + 1) requests for every post left: 40,000 for a 10,000-post blog, each named as an
error. After WIXARCHIVE_MAX_SERVER_ERRORS answers in a row that are 5xx or no answer at all
(connection refused, reset, timeout), with no good answer between, the crawl stops early; the
next run fetches what was not archived.

Or sooner, once such failures in a row have gone on for WIXARCHIVE_MAX_FAILING_SECONDS (5 min)
since the first of them: ServerErrorBackoff spaces a failing site's requests up to 30 s apart,
so 50 failures took ~23 minutes of asking a site that answered nothing good. A site down for
a deploy (a minute or two) is waited out; one failing for 5 minutes is left for the next run,
after about 13 requests. A crawl through Redis applies both rules across its workers
(crawler.distributed.backoff).

Full-size media fetches (crawler/media.py, `meta["media_url"]`) do not count: each failure is
recorded against its image in the media table, and an unreachable image host must not end the
crawl of the site's posts as "failing".
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.downloader.early_stop import stop_early
from crawler.summary import FAILING, time_limit_text

DEFAULT_MAX_SERVER_ERRORS = 50
DEFAULT_MAX_FAILING_SECONDS = 300.0  # WIXARCHIVE_MAX_FAILING_SECONDS; 0: no time rule


def too_many_reason(limit: int) -> str:
    """The close reason once `limit` requests in a row failed."""
    return (f"{FAILING}: {limit} requests in a row got server errors or no answer "
            "(WIXARCHIVE_MAX_SERVER_ERRORS)")


def too_long_reason(seconds: float) -> str:
    """The close reason once failures in a row went on for `seconds`."""
    return (f"{FAILING}: every request got server errors or no answer for "
            f"{time_limit_text(seconds)} (WIXARCHIVE_MAX_FAILING_SECONDS)")


def failing_limits(settings: Any) -> tuple[int, float]:
    """WIXARCHIVE_MAX_SERVER_ERRORS and WIXARCHIVE_MAX_FAILING_SECONDS (0: that rule off)."""
    return (settings.getint("WIXARCHIVE_MAX_SERVER_ERRORS", DEFAULT_MAX_SERVER_ERRORS),
            settings.getfloat("WIXARCHIVE_MAX_FAILING_SECONDS", DEFAULT_MAX_FAILING_SECONDS))


class FailingSiteMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.limit, self.seconds = failing_limits(crawler.settings)
        self.in_a_row: Counter[str] = Counter()  # download slot -> failures since a good answer
        self.since: dict[str, float] = {}  # download slot -> when the first of them came
        self.stopped: dict[str, str] = {}
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FailingSiteMiddleware:
        return cls(crawler)

    def _slot(self, request: Request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)

    def process_request(self, request: Request, spider: Any = None) -> None:
        slot = self._slot(request)
        if slot in self.stopped:  # the crawl is closing: what is still queued is not sent
            raise IgnoreRequest(f"not fetched: {self.stopped[slot]}")

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        if "media_url" in request.meta:
            return response
        if response.status >= 500:
            self._failed(request)
        else:
            slot = self._slot(request)
            self.in_a_row[slot] = 0
            self.since.pop(slot, None)
        return response

    def process_exception(self, request: Request, exception: Exception,
                          spider: Any = None) -> None:
        if not isinstance(exception, IgnoreRequest) and "media_url" not in request.meta:
            self._failed(request)

    def _failed(self, request: Request) -> None:
        slot = self._slot(request)
        self.in_a_row[slot] += 1
        now = time.monotonic()
        since = self.since.setdefault(slot, now)
        if slot in self.stopped:
            return
        if self.limit and self.in_a_row[slot] >= self.limit:
            self.stopped[slot] = too_many_reason(self.limit)
        elif self.seconds > 0 and now - since >= self.seconds:
            self.stopped[slot] = too_long_reason(self.seconds)
        else:
            return
        self._closing = stop_early(self.crawler, self.stopped[slot], slot)
