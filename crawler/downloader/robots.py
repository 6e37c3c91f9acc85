"""SiteRobotsTxt: Scrapy's RobotsTxtMiddleware, reading the robots.txt the spider fetches, and
reading an unreachable one as RFC 9309 says.

The spider asks for the site's robots.txt first (its `Sitemap:` lines, its Crawl-delay), and
Scrapy's middleware asked for it again before letting any request through: every crawl fetched
robots.txt twice (eight times when it answered 503: four tries each). Here the middleware
waits for the spider's request instead (meta ROBOTS_META), and the spider hands over what it got
(`robots_read`): other requests to that host wait for it as they waited for Scrapy's own. A
Redis worker still fetches its own (a retry of the writer's request may go to another worker,
which would leave this one's hosts waiting for ever).

RFC 9309 (2.3.1): a robots.txt that answers 4xx is unavailable, and anything may be crawled;
one that answers 5xx (after the retries) or cannot be reached is unreachable, and the crawler
MUST assume complete disallow. Scrapy parses whatever body came back, so a site whose robots.txt
answered 500 had its server's error page read as a robots.txt forbidding nothing, and was
crawled in full. The spider ends such a site's crawl (crawler.summary.ROBOTS_UNREACHABLE); the
parser forbids everything meanwhile, and so does the one of a robots.txt Scrapy fetches itself
(a media host's, a Redis worker's).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.downloader.failures import RetryAfterTooLong

ROBOTS_META = "wixarchive_robots"  # the spider's own robots.txt request
ROBOTS_HOSTS = "wixarchive_robots_hosts"  # meta: the hosts waiting for that request's answer
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"


def unreachable_status(status: int) -> bool:
    """Whether a robots.txt answer (after retries) means "unreachable" (RFC 9309 2.3.1.4):
    a server error, or 429, which Google's crawlers read the same way."""
    return status >= 500 or status == 429


def robots_body(outcome: Response | Failure) -> bytes:
    """The rules a robots.txt outcome gives: its body when it answered 2xx, nothing (allow
    everything) for another answer (a 4xx, a redirect not followed), everything forbidden when
    it answered a server error or not at all."""
    response = outcome if isinstance(outcome, Response) else getattr(outcome.value,
                                                                     "response", None)
    if response is None and not isinstance(outcome, Response) and outcome.check(
            IgnoreRequest) and not outcome.check(RetryAfterTooLong):
        # Not sent by this crawl's own rules (a redirect loop, or to a host or scheme it may
        # not reach): a robots.txt that is not there, as RFC 9309 (2.3.1.2) reads too many
        # redirects, and as Scrapy's middleware read it. It did answer: no site to stop.
        return b""
    if response is None or unreachable_status(response.status):
        return DISALLOW_ALL
    return response.body if 200 <= response.status < 300 else b""


class SiteRobotsTxt(RobotsTxtMiddleware):
    async def process_request(self, request: Request, spider: Any = None) -> None:
        if not request.meta.get(ROBOTS_META):
            await super().process_request(request, spider)
            return
        # The robots.txt itself always goes out (its retries and redirects too: they share
        # this meta's list); the host's other requests wait for what it says.
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            request.meta.setdefault(ROBOTS_HOSTS, []).append(netloc)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # Scrapy's own robots.txt request (another host's, a Redis worker's): the same reading.
        if not 200 <= response.status < 300:
            response = response.replace(body=robots_body(response))
        await super()._parse_robots(response, netloc, request)

    def read(self, outcome: Response | Failure) -> None:
        """A robots.txt request of the spider's ended, with a response or a failure: its rules
        are those of every host it went through (redirects included)."""
        request = outcome.request if isinstance(outcome, Response) else getattr(
            outcome, "request", None)
        hosts = request.meta.get(ROBOTS_HOSTS, []) if request is not None else []
        if not hosts:
            return
        parser = build_from_crawler(self._parserimpl, self.crawler, robots_body(outcome))
        for netloc in hosts:
            waiting = self._parsers.get(netloc)
            if isinstance(waiting, Deferred):
                self._parsers[netloc] = parser
                waiting.callback(parser)


def robots_read(crawler: Any, outcome: Response | Failure) -> None:
    """Hand the spider's robots.txt outcome to the crawl's SiteRobotsTxt (none when robots.txt
    is not obeyed)."""
    for middleware in crawler.engine.downloader.middleware.middlewares:
        if isinstance(middleware, SiteRobotsTxt):
            middleware.read(outcome)
