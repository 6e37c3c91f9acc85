"""SiteRobotsTxt: Scrapy's RobotsTxtMiddleware, reading the robots.txt the spider fetches, and
reading an unreachable one as RFC 9309 says.

The spider asks for the site's robots.txt first (its `Sitemap:` lines, its Crawl-delay), and
Scrapy's middleware asked for it again before letting any request through: every crawl fetched
robots.txt twice (eight times when it answered 503: four tries each). Here the spider's request
(meta ROBOTS_META) goes out unchecked, and the spider hands over what it got (`robots_read`):
those are the host's rules. No request waits for it: one to the host before it is read (none
today) has Scrapy fetch robots.txt as it would, and whichever is read first gives the rules, so
a robots.txt request that never ends in `robots_read` (a retry a Redis worker hands to another,
a request dropped on the way) leaves nothing waiting for ever. A Redis worker reads the
writer's robots.txt request the same way: each worker fetches a site's robots.txt once.

RFC 9309 (2.3.1): a robots.txt that answers 4xx is unavailable, and anything may be crawled;
one that answers 5xx (after the retries) or cannot be reached is unreachable, and the crawler
MUST assume complete disallow. Scrapy parses whatever body came back, so a site whose robots.txt
answered 500 had its server's error page read as a robots.txt forbidding nothing, and was
crawled in full. The spider ends such a site's crawl (crawler.summary.ROBOTS_UNREACHABLE); the
parser forbids everything meanwhile, and so does the one of a robots.txt Scrapy fetches itself
(a media host's, a Redis worker's).

RFC 9309 (2.5): a crawler MUST parse at least the first 500 KiB of a robots.txt. Scrapy cancels
a download over DOWNLOAD_MAXSIZE (16 MiB), so a longer robots.txt failed, and was read as
forbidding everything. Here a robots.txt's download has no DOWNLOAD_MAXSIZE: it is stopped
after ROBOTS_READ_BYTES instead, and its lines within those bytes are its rules. A compressed
one (gzip, deflate, br, zstd) is unpacked here, to its first ROBOTS_READ_BYTES only
(RobotsTxtDecoding), before Scrapy's HttpCompressionMiddleware would unpack all of it: a
robots.txt unpacking past DOWNLOAD_MAXSIZE (a few KB of gzip can) failed there, and a failed
robots.txt was read as allowing everything. Its lines end at CR, LF or CRLF (RFC 9309 2.2):
lines ending at CR alone were one line, cut away whole past ROBOTS_READ_BYTES.

Another host's robots.txt (the media CDN's), fetched by Scrapy's middleware, is read the same
way, and one that cannot be reached at all (refused, timed out, no such host) forbids
everything on that host, as RFC 9309 (2.3.1.4) asks, where Scrapy allowed everything: the
host's images are recorded `failed`, naming why (`its host's robots.txt could not be reached:
DNS lookup failed: ...`: "Forbidden by robots.txt" had a user offline believe Wix forbade its
images), and the next crawl asks again.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from archive.content_coding import UndecodableBody, decode, fully_decoded
from crawler.downloader.failures import RetryAfterTooLong, describe

ROBOTS_META = "wixarchive_robots"  # the spider's own robots.txt request
ROBOTS_HOSTS = "wixarchive_robots_hosts"  # meta: the hosts waiting for that request's answer
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
# RFC 9309 (2.5) asks for at least 500 KiB; a robots.txt is read up to here, its download
# stopped past it (memory stays bounded whatever its size).
ROBOTS_READ_BYTES = 512 * 1024
# Past ROBOTS_READ_BYTES, bytes received before the download is stopped: compressed data that
# does not compress (gzip, br or zstd of random bytes) takes a little more than its text.
_CODING_MARGIN = 16 * 1024
_RECEIVED = "wixarchive_robots_received"  # meta: bytes of a robots.txt received so far
_UNCAPPED = "wixarchive_robots_uncapped"  # meta: its DOWNLOAD_MAXSIZE lifted for the download


def is_robots_txt(request: Request) -> bool:
    return urlparse_cached(request).path == "/robots.txt"


def robots_prefix(body: bytes) -> bytes:
    """The lines of a robots.txt within its first ROBOTS_READ_BYTES (a line cut there is left
    out: half a rule could forbid or allow what its whole does not)."""
    return body if len(body) <= ROBOTS_READ_BYTES else _whole_lines(body[:ROBOTS_READ_BYTES])


def _whole_lines(text: bytes) -> bytes:
    """`text` up to its last end of line (CR, LF or CRLF: RFC 9309 2.2)."""
    return text[:max(text.rfind(b"\n"), text.rfind(b"\r")) + 1]


def decoded_prefix(body: bytes, content_encoding: str) -> bytes | None:
    """A compressed robots.txt's first ROBOTS_READ_BYTES and a piece more, unpacked (never
    more, whatever it unpacks to); one cut short (its download stopped) up to its last whole
    line. None when it does not unpack at all."""
    kept = bytearray()
    try:
        for piece in decode([body], content_encoding):
            kept += piece
            if len(kept) > ROBOTS_READ_BYTES:
                return bytes(kept)
    except UndecodableBody:
        return _whole_lines(bytes(kept)) if kept else None
    return bytes(kept)


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
    return robots_prefix(response.body) if 200 <= response.status < 300 else b""


class RobotsTxtDecoding:
    """A compressed robots.txt unpacked to its first ROBOTS_READ_BYTES (decoded_prefix), on
    its way back before HttpCompressionMiddleware (590), which then leaves it be."""

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        content_encoding = b",".join(response.headers.getlist(b"Content-Encoding")).decode(
            "latin-1")
        if not content_encoding or not is_robots_txt(request):
            return response
        decoded = decoded_prefix(response.body, content_encoding) \
            if fully_decoded(content_encoding) else None
        if decoded is None:  # a coding unknown, or a body that does not unpack: as Scrapy reads it
            return response
        headers = response.headers.copy()
        del headers[b"Content-Encoding"]
        return response.replace(body=decoded, headers=headers)


class SiteRobotsTxt(RobotsTxtMiddleware):
    unreachable: dict[str, str]

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteRobotsTxt:
        middleware = super().from_crawler(crawler)
        middleware.unreachable = {}  # host -> why its robots.txt could not be reached
        crawler.signals.connect(middleware._headers_received, signal=signals.headers_received)
        crawler.signals.connect(middleware._bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(middleware._downloaded, signal=signals.response_downloaded)
        return middleware

    def process_request_2(self, rp: Any, request: Request) -> None:
        """Scrapy's check, an image of a host whose robots.txt could not be reached refused
        with why (the media table's error, the crawl line's first failure)."""
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            reason = self.unreachable.get(urlparse_cached(request).netloc)
            if reason is None or "media_url" not in request.meta:
                raise
            raise IgnoreRequest(f"its host's robots.txt could not be reached: {reason}"
                                ) from None

    def _headers_received(self, request: Request, **_: Any) -> None:
        """A robots.txt's download is not cancelled past DOWNLOAD_MAXSIZE (Scrapy reads the
        limit from its meta once the headers are in): _bytes_received stops it sooner."""
        if is_robots_txt(request):
            request.meta[_UNCAPPED] = True
            request.meta["download_maxsize"] = 0
            request.meta[_RECEIVED] = 0

    def _bytes_received(self, data: bytes, request: Request, **_: Any) -> None:
        if not request.meta.get(_UNCAPPED):
            return
        request.meta[_RECEIVED] = request.meta.get(_RECEIVED, 0) + len(data)
        if request.meta[_RECEIVED] > ROBOTS_READ_BYTES + _CODING_MARGIN:
            raise StopDownload(fail=False)  # the response keeps what came: robots_prefix

    def _downloaded(self, request: Request, **_: Any) -> None:
        """DOWNLOAD_MAXSIZE back before HttpCompressionMiddleware unpacks the body with it."""
        if request.meta.pop(_UNCAPPED, None):
            del request.meta["download_maxsize"]

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if not request.meta.get(ROBOTS_META):
            await super().process_request(request, spider)
            return
        # The robots.txt itself always goes out (its retries and redirects too: they share
        # this meta's list of the hosts whose rules it gives, those not read yet).
        netloc = urlparse_cached(request).netloc
        hosts = request.meta.setdefault(ROBOTS_HOSTS, [])
        if self._unread(netloc) and netloc not in hosts:
            hosts.append(netloc)

    async def robot_parser(self, request: Request) -> Any:
        """The host's parser, once read. Scrapy's awaits the Deferred of a robots.txt being
        fetched as a Future (asFuture), whose callback hands the parser to the first request
        waiting and None, "allow everything", to every later one: of the images waiting for
        the media host's robots.txt, all but the first went out whatever it said. Each
        waiting request here gets a Deferred of its own, handed the parser as it passes."""
        waiting = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(waiting, Deferred):
            return await super().robot_parser(request)
        own: Deferred[Any] = Deferred()

        def hand_on(parser: Any) -> Any:
            own.callback(parser)
            return parser

        waiting.addCallback(hand_on)
        return await maybe_deferred_to_future(own)

    def _unread(self, netloc: str) -> bool:
        """Whether the host's rules are still to come (none asked for, or a fetch under way)."""
        return netloc not in self._parsers or isinstance(self._parsers[netloc], Deferred)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        # Scrapy's own robots.txt request (another host's, a Redis worker's): the same reading,
        # unless the spider's robots.txt gave the host's rules meanwhile.
        if self._unread(netloc):
            await super()._parse_robots(response.replace(body=robots_body(response)), netloc,
                                        request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not self._unread(netloc):
            return
        rules = robots_body(Failure(exc))
        if not rules:  # refused by this crawl's own rules: not there, as robots_body reads it
            super()._robots_error(exc, netloc)
            return
        # Unreachable (RFC 9309 2.3.1.4): everything on the host forbidden, where Scrapy's
        # middleware allowed everything.
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        failure = Failure(exc)
        failure.request = Request(f"http://{netloc}/robots.txt")  # for the host's name
        self.unreachable[netloc] = describe(failure, self.crawler.settings)
        waiting = self._parsers[netloc]
        parser = build_from_crawler(self._parserimpl, self.crawler, rules)
        self._parsers[netloc] = parser
        if isinstance(waiting, Deferred):
            waiting.callback(parser)

    def read(self, outcome: Response | Failure) -> None:
        """A robots.txt request of the spider's ended, with a response or a failure: its rules
        are those of every host it went through (redirects included), the requests waiting
        for Scrapy's own fetch of it released."""
        request = outcome.request if isinstance(outcome, Response) else getattr(
            outcome, "request", None)
        hosts = request.meta.get(ROBOTS_HOSTS, []) if request is not None else []
        if not hosts:
            return
        parser = build_from_crawler(self._parserimpl, self.crawler, robots_body(outcome))
        for netloc in hosts:
            if not self._unread(netloc):
                continue
            waiting = self._parsers.get(netloc)
            self._parsers[netloc] = parser
            if isinstance(waiting, Deferred):
                waiting.callback(parser)


def robots_read(crawler: Any, outcome: Response | Failure) -> None:
    """Hand the spider's robots.txt outcome to the crawl's SiteRobotsTxt (none when robots.txt
    is not obeyed)."""
    for middleware in crawler.engine.downloader.middleware.middlewares:
        if isinstance(middleware, SiteRobotsTxt):
            middleware.read(outcome)
