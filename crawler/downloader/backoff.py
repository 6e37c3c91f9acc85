"""ServerErrorBackoff: a site answering server errors (or not at all) is asked less and less often.

Retries bound each URL and FailingSiteMiddleware stops a site after WIXARCHIVE_MAX_SERVER_ERRORS
failures in a row, but until then a site answering 503 to everything was asked at the usual
pace (~1.6 requests/s with the defaults): the load that may be what breaks it. As Heritrix and
AutoThrottle's spirit do, each 5xx, 429 or missing answer (refused, reset, timed out) in a row
doubles the site's download delay, from at least WIXARCHIVE_BACKOFF_START seconds, up to
WIXARCHIVE_BACKOFF_MAX; the site's first good answer (any status below 500 but 429) brings the
delay back to what it was. A healthy site never sees it.

The delay is the download slot's (Scrapy spaces a slot's requests by it, and it holds for the
retries too). A 5xx is counted as it arrives (response_downloaded), before Scrapy's downloader
sends the slot's next request; a failure without an answer when it reaches process_exception.
Full-size media fetches (`meta["media_url"]`) do not count, as in FailingSiteMiddleware, nor
does the robots.txt Scrapy's robots middleware fetches of another host (a media host's, or a
Redis worker's): a media host's unreachable robots.txt backed off its slot, and the media
requests, which never count, never brought it back, so each waited the maximum (through
Redis, 600 images at 30 s each). The site's own robots.txt, the spider's request, counts.
A crawl through Redis keeps these counts and the delay in Redis for every worker
(crawler.distributed.backoff).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

DEFAULT_START = 0.5  # seconds; WIXARCHIVE_BACKOFF_START: the delay doubled when a site has none
DEFAULT_MAX = 30.0  # seconds; WIXARCHIVE_BACKOFF_MAX


def backoff_delay(base: float, failures: int, start: float, maximum: float) -> float:
    """The delay after `failures` failures in a row: `base` (at least `start`) doubled as many
    times, at most `maximum` (never below `base`)."""
    if failures <= 0:
        return base
    return max(base, min(maximum, max(base, start) * 2.0 ** failures))


def counted(request: Request) -> bool:
    """Whether the request's answer tells how the site is doing: not a media fetch, nor a
    robots.txt Scrapy's robots middleware fetched itself."""
    return "media_url" not in request.meta and not request.meta.get("dont_obey_robotstxt")


class ServerErrorBackoff:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.start = settings.getfloat("WIXARCHIVE_BACKOFF_START", DEFAULT_START)
        self.maximum = settings.getfloat("WIXARCHIVE_BACKOFF_MAX", DEFAULT_MAX)
        self.failures: dict[str, int] = {}  # download slot -> failures in a row
        self.base_delay: dict[str, float] = {}  # download slot -> its delay before backing off

    @classmethod
    def from_crawler(cls, crawler: Any) -> ServerErrorBackoff:
        middleware = cls(crawler)
        crawler.signals.connect(middleware._downloaded, signal=signals.response_downloaded)
        return middleware

    def _downloaded(self, response: Response, request: Request, spider: Any = None) -> None:
        if not counted(request):
            return
        if response.status >= 500 or response.status == 429:
            self._failed(request, server_error=response.status != 429)
        else:
            self._answered(request)

    def process_exception(self, request: Request, exception: Exception,
                          spider: Any = None) -> None:
        if not isinstance(exception, IgnoreRequest) and counted(request):
            self._failed(request, server_error=True)

    def _slot(self, request: Request) -> tuple[str, Any]:
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def _failed(self, request: Request, *, server_error: bool) -> None:
        """A failure of the site: a 429 (`server_error` False), a 5xx or no answer."""
        key, slot = self._slot(request)
        if slot is None or self.maximum <= 0:
            return
        self.base_delay.setdefault(key, slot.delay)
        self.failures[key] = self.failures.get(key, 0) + 1
        slot.delay = max(slot.delay, backoff_delay(self.base_delay[key], self.failures[key],
                                                   self.start, self.maximum))
        self.crawler.stats.max_value("wixarchive/backoff_delay", slot.delay)

    def _answered(self, request: Request) -> None:
        key, slot = self._slot(request)
        base = self.base_delay.pop(key, None)
        self.failures.pop(key, None)
        if base is not None and slot is not None:
            slot.delay = base
