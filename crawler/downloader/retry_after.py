"""RetryAfterMiddleware: Scrapy's retries, plus the wait a 429 or 503 asks for in Retry-After.

Scrapy's RetryMiddleware retries a 429 at once, which is what the server just asked us not to
do. Here a Retry-After (delta-seconds or an HTTP-date) pauses every request to that site until
the time has come, those already queued in its download slot too, then the request is retried
(still at most RETRY_TIMES times). A wait longer than WIXARCHIVE_RETRY_AFTER_MAX is not waited
for: the page fails at once with that reason, so a server asking for an hour can never hold a
crawl for an hour; after WIXARCHIVE_RETRY_AFTER_STOP such answers from one site the crawl stops
early (close reason "throttled: ...", see crawler.summary) rather than asking every other page
of a site that wants us gone.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import call_later

from crawler.downloader.early_stop import stop_early
from crawler.downloader.failures import RetryAfterTooLong
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
            # Cut short by the site's time limit or a stop (SiteTimeLimit, next in the chain,
            # then refuses the request); a Redis worker has none.
            limit = getattr(self.crawler, "wixarchive_time_limit", None)
            await (limit.wait(wait) if limit is not None else asyncio.sleep(wait))

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        middleware = super().from_crawler(crawler)
        crawler.signals.connect(middleware._downloaded, signal=signals.response_downloaded)
        return middleware

    def _asked_wait(self, request: Request, response: Response) -> float | None:
        """The wait a 429 or 503 this middleware retries asks for (Retry-After), if any."""
        if (response.status not in THROTTLE_STATUSES or request.meta.get("dont_retry")
                or response.status not in self.retry_http_codes):
            return None
        return retry_after_seconds(response.headers.get("Retry-After"))

    def _downloaded(self, response: Response, request: Request, spider: Any = None) -> None:
        """Pause the site as the answer arrives: Scrapy's downloader sends the next request
        queued in the site's slot right after this signal, before process_response runs.
        The requests it already holds (up to CONCURRENT_REQUESTS) have passed process_request
        too: without the pause they went out at the usual delay, the Retry-After unheard."""
        wait = self._asked_wait(request, response)
        if wait is None or wait > self.max_wait:
            return
        slot = self._slot(request)
        self.resume_at[slot] = max(self.resume_at.get(slot, 0.0), time.monotonic() + wait)
        self._pause_slot(slot, self.resume_at[slot] - time.monotonic())

    def _pause_slot(self, slot_key: str, wait: float) -> None:
        """Hold the site's download queue for `wait` seconds with Scrapy's own queue timer
        (`latercall`, which spaces a slot's requests by its delay)."""
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(slot_key)
        if slot is None:
            return
        if slot.latercall is not None:
            slot.latercall.cancel()  # a no-op once it has run
        # Scrapy's own timer (not the reactor's): the slot holds the type Scrapy expects, and
        # importing this module installs no reactor.
        slot.latercall = call_later(wait, downloader._latercall, slot)

    def _too_long(self, request: Request, slot: str, reason: str) -> None:
        """A Retry-After longer than is waited for: the stop_after-th from the site stops the
        crawl early (`reason`)."""
        self.too_long[slot] += 1
        if self.too_long[slot] == self.stop_after:
            self.stopped[slot] = reason
            self._closing = stop_early(self.crawler, reason, slot)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Request | Response:
        wait = self._asked_wait(request, response)
        if wait is None:
            return super().process_response(request, response)
        slot = self._slot(request)
        if wait > self.max_wait:
            asked = f"the server asks to wait {wait:.0f} s (Retry-After)"
            self._too_long(request, slot, f"{THROTTLED}: {asked}")
            raise RetryAfterTooLong(f"HTTP {response.status}: {asked}, more than the "
                                    f"{self.max_wait:.0f} s limit (WIXARCHIVE_RETRY_AFTER_MAX)")
        self.crawler.stats.inc_value("wixarchive/retry_after_waits")  # paused in _downloaded
        return super().process_response(request, response)
