"""RetryAfterMiddleware: Scrapy's retries, plus the wait a 429 or 503 asks for in Retry-After.

Scrapy's RetryMiddleware retries a 429 at once, which is what the server just asked us not to
do. Here a Retry-After (delta-seconds or an HTTP-date) pauses every request to that site until
the time has come, then the request is retried (still at most RETRY_TIMES times). A wait longer
than WIXARCHIVE_RETRY_AFTER_MAX is not waited for: the page fails at once with that reason, so a
server asking for an hour can never hold a crawl for an hour; after WIXARCHIVE_RETRY_AFTER_STOP
such answers from one site the crawl stops early (close reason "throttled: ...", see
crawler.summary) rather than asking every other page of a site that wants us gone.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.downloader.early_stop import stop_early
from crawler.summary import THROTTLED

DEFAULT_MAX_WAIT = 60.0  # seconds; WIXARCHIVE_RETRY_AFTER_MAX
DEFAULT_STOP_AFTER = 3  # over-long Retry-Afters from one site; WIXARCHIVE_RETRY_AFTER_STOP
THROTTLE_STATUSES = (429, 503)  # the statuses RFC 9110 pairs with Retry-After


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: "120" or an HTTP-date; None when absent or
    unreadable (a date in the past waits 0)."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("WIXARCHIVE_RETRY_AFTER_MAX", DEFAULT_MAX_WAIT)
        self.stop_after = settings.getint("WIXARCHIVE_RETRY_AFTER_STOP", DEFAULT_STOP_AFTER)
        self.resume_at: dict[str, float] = {}  # download slot (site) -> monotonic time
        self.too_long: Counter[str] = Counter()  # download slot -> over-long Retry-Afters
        self._closing: asyncio.Future[None] | None = None
        self.stopped: dict[str, str] = {}  # download slot -> why the crawl stops early

    def _slot(self, request: Request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        slot = self._slot(request)
        if slot in self.stopped:  # the crawl is closing: what is still queued is not sent
            raise IgnoreRequest(f"not fetched: {self.stopped[slot]}")
        wait = self.resume_at.get(slot, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        if (response.status not in THROTTLE_STATUSES or request.meta.get("dont_retry")
                or response.status not in self.retry_http_codes):
            return super().process_response(request, response)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return super().process_response(request, response)
        slot = self._slot(request)
        if wait > self.max_wait:
            asked = f"the server asks to wait {wait:.0f} s (Retry-After)"
            self.too_long[slot] += 1
            if self.too_long[slot] == self.stop_after:
                self.stopped[slot] = f"{THROTTLED}: {asked}"
                self._closing = stop_early(self.crawler, self.stopped[slot])
            raise IgnoreRequest(f"HTTP {response.status}: {asked}, more than the "
                                f"{self.max_wait:.0f} s limit (WIXARCHIVE_RETRY_AFTER_MAX)")
        self.resume_at[slot] = max(self.resume_at.get(slot, 0.0), time.monotonic() + wait)
        self.crawler.stats.inc_value("wixarchive/retry_after_waits")
        return super().process_response(request, response)
