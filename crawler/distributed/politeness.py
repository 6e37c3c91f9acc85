"""SiteTokens: a site's politeness across every worker.

Scrapy's download slots keep one process polite; with several workers each would send its own
`concurrency` requests. Before a request goes out, this downloader middleware takes one of the
site's `concurrency` tokens in Redis and waits out the site's delay since its last request, kept
in Redis too: the site's `--delay`, or its robots.txt Crawl-delay when longer (the worker that
reads robots.txt sets it for all: DistributedWixSpider._honour_crawl_delay); the token is given
back with the response or the error. A request of a site stopped meanwhile (its time limit, or
failing) is not sent. Tokens expire unless their worker renews them
(crawler.distributed.worker), so a killed worker's slots free within WIXARCHIVE_REDIS_TOKEN
seconds. A failing site's back-off, a Retry-After and a Crawl-delay or --delay of a second or
more are waited out before a worker takes its requests, in the queue (protocol.RESTING,
protocol.PACED, POP): waited here, they held the worker's places from its other sites. A request
a worker took before its site came to rest goes back to the queue to wait there (ACQUIRE; until
protocol 16 it went out at the site's plain delay). This is the safety net for the rest: shorter
delays, and the requests a worker took before a Retry-After came.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from scrapy import Request, Spider
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.distributed import protocol as p
from crawler.distributed.queue import LEASE, RUN, UNRESTED, handed_back, request_site
from crawler.downloader.backoff import counted
from crawler.downloader.time_limit import SLACK

TOKEN = "wixarchive_token"
TOKEN_SECONDS = 10.0
MAX_WAIT = 0.25  # seconds between tries while the site is busy


class SiteTokens:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.seconds = crawler.settings.getfloat("WIXARCHIVE_REDIS_TOKEN", TOKEN_SECONDS)
        self.default_concurrency = 4  # a site the writer did not describe (never, normally)
        self.default_delay = crawler.settings.getfloat("WIXARCHIVE_REDIS_DELAY", 0.0)
        self.held: dict[str, str] = {}  # token -> site, renewed by the worker's heartbeat
        crawler.wixarchive_tokens = self

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteTokens:
        return cls(crawler)

    async def process_request(self, request: Request,
                              spider: Spider | None = None) -> Request | None:
        spider = self.crawler.spider
        site, run = request_site(request), request.meta.get(RUN)
        settings = spider.site_settings(site, run)
        concurrency = int(settings.get("concurrency") or self.default_concurrency)
        delay = float(settings.get("delay", self.default_delay))
        token = uuid.uuid4().hex
        acquire = spider.queue.scripts.acquire
        # Only a leased request can go back to the queue (Scrapy's own robots.txt is not).
        returnable = LEASE in request.meta and request.meta.get(UNRESTED) and counted(request)
        while True:
            wait = float(acquire(keys=[p.tokens_key(site), p.last_key(site),
                                       p.crawl_delay_key(site), p.STOPPED, p.RUNS,
                                       p.resume_key(site), p.RESTING],
                                 args=[token, concurrency, self.seconds, delay, site,
                                       "" if run is None else run, int(counted(request)),
                                       int(bool(returnable))]))
            if wait == 0:
                break
            if wait == -2:
                # Its site came to rest since the queue handed it out: back there, in its
                # lease's place (LeasedScheduler.enqueue_request), not sent, nothing counted.
                return handed_back(request)
            if wait < 0:
                raise IgnoreRequest(p.SITE_STOPPED)
            await asyncio.sleep(min(wait, MAX_WAIT))
        self.held[token] = site
        request.meta[TOKEN] = token
        if settings.get("deadline"):
            self._within_time_limit(request, float(settings["deadline"]))
        return None

    def _within_time_limit(self, request: Request, deadline: float) -> None:
        """A download of a site with a time limit is given at most the time left (`deadline`:
        Redis time), as crawler.downloader.time_limit gives it without Redis: a hanging server
        kept a worker's request open for the whole download timeout past the limit."""
        seconds, micros = self.crawler.spider.server.time()
        left = deadline - (seconds + micros / 1e6)
        if left <= 0:
            self._release(request)
            raise IgnoreRequest(p.TIME_LIMIT_OVER)
        timeout = request.meta.get("download_timeout",
                                   self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        request.meta["download_timeout"] = min(timeout, left + SLACK)

    def _release(self, request: Request) -> None:
        token = request.meta.pop(TOKEN, None)
        site = self.held.pop(token, None) if token else None
        if site is not None:
            self.crawler.spider.server.zrem(p.tokens_key(site), token)

    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Spider | None = None) -> None:
        self._release(request)

    def renew(self, server: Any, script: Any) -> None:
        by_site: dict[str, list[str]] = {}
        for token, site in list(self.held.items()):
            by_site.setdefault(site, []).append(token)
        for site, tokens in by_site.items():
            script(keys=[p.tokens_key(site)], args=[self.seconds, *tokens], client=server)
