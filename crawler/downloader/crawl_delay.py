"""robots.txt `Crawl-delay`: the seconds a site asks crawlers to wait between requests.

The spider reads it from the site's robots.txt (WixBlogSpider.parse_robots) and makes it the
delay of the site's download slot when it is longer than the configured one (`--delay`), at
most WIXARCHIVE_MAX_CRAWL_DELAY: a robots.txt asking for an hour between requests cannot stall
a crawl for days. AutoThrottle would bring a slot's delay back down towards DOWNLOAD_DELAY after
each response; CrawlDelayAutoThrottle, which replaces it in the settings, never takes a slot
below the delay set for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy import Request, Spider
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.robotstxt import ProtegoRobotParser

MAX_CRAWL_DELAY = 60.0  # seconds; WIXARCHIVE_MAX_CRAWL_DELAY


@dataclass(frozen=True)
class CrawlDelay:
    asked: float  # what robots.txt says
    applied: float  # what the crawl waits: at most the maximum


def crawl_delay(robots_txt: bytes, user_agent: str, configured: float,
                maximum: float = MAX_CRAWL_DELAY) -> CrawlDelay | None:
    """The Crawl-delay robots.txt sets for `user_agent` (its own group, or `*`), when it is
    longer than the `configured` delay; None when it sets none or a shorter one."""
    asked = ProtegoRobotParser(robots_txt, None).crawl_delay(user_agent)
    if asked is None or asked <= configured:
        return None
    return CrawlDelay(asked=asked, applied=max(configured, min(asked, maximum)))


def apply_crawl_delay(crawler: Any, slot_key: str, delay: float) -> None:
    """Make `delay` the site's slot delay, with no random jitter below it (Scrapy varies a
    delay by ±50% by default): now, and for the slot Scrapy creates again if it drops it idle."""
    downloader = crawler.engine.downloader
    downloader.per_slot_settings[slot_key] = {**downloader.per_slot_settings.get(slot_key, {}),
                                              "delay": delay, "jitter": 0.0}
    slot = downloader.slots.get(slot_key)
    if slot is not None:
        slot.delay, slot.jitter = max(slot.delay, delay), 0.0


class CrawlDelayAutoThrottle(AutoThrottle):
    """Scrapy's AutoThrottle, which never lowers a slot below the delay DOWNLOAD_SLOTS (or
    apply_crawl_delay) sets for it."""

    def _response_downloaded(self, response: Response, request: Request,
                             spider: Spider) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is None:
            return
        floor = self.crawler.engine.downloader.per_slot_settings.get(key, {}).get("delay")
        if floor:
            slot.delay = max(slot.delay, float(floor))
