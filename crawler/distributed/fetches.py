"""FetchCounts: what a worker's downloads add to their site's `requests` and `pages`.

A crawl without Redis reports Scrapy's own counts per site (downloader/request_count, every
download attempt: retries, redirects and robots.txt included; downloader/response_count, the
pages). A worker serves every site, so it counts each request's attempts in the request's meta
(retries and redirects carry the count on, as they carry its meta) and the message that ends
the request's lease carries them to the writer (DistributedWixSpider._done). A request nobody
leased, the robots.txt Scrapy's robots middleware fetches for each host a worker meets, is
reported on its own, with its capture, before the request that asked for it goes on, so before
its site can end; the site is the robots.txt's own host (a media host's robots.txt is no
site's).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.distributed import protocol as p
from crawler.distributed.capture import EXCHANGES
from crawler.distributed.queue import ATTEMPTS, LEASE, request_site


class FetchCounts:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> FetchCounts:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        request.meta[ATTEMPTS] = request.meta.get(ATTEMPTS, 0) + 1

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        self._unleased(request, fetched=1)
        return response

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Any = None) -> None:
        self._unleased(request, fetched=0)

    def _unleased(self, request: Request, fetched: int) -> None:
        if LEASE in request.meta:
            return  # counted by the message that ends its lease
        message = {"site": request_site(request), "fetched": fetched,
                   "requests": request.meta.pop(ATTEMPTS, 0),
                   "captures": request.meta.pop(EXCHANGES, [])}
        self.crawler.spider.server.rpush(p.RESULTS, p.encode_message(message))
