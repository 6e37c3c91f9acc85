"""FetchCounts: what a worker's downloads add to their site's `requests` and `pages`.

A crawl without Redis reports Scrapy's own counts per site (downloader/request_count, every
download attempt: retries, redirects and robots.txt included; downloader/response_count, every
response, each redirect's included: the pages). A worker serves every site, so it counts each
request's attempts and responses in the request's meta (retries and redirects carry the counts
on, as they carry its meta; this middleware sits next to the download, so it sees each 301 or
503 before the redirect and retry middlewares do) and the message that ends the request's
lease carries them to the writer (crawler.distributed.queue.completion). A request nobody
leased, the robots.txt Scrapy's robots middleware fetches for each host a worker meets, is
reported on its own, with its capture, before the request that asked for it goes on, so before
its site can end; the site is the robots.txt's own host (a media host's robots.txt is no
site's). That message is pushed under an id (protocol.PUSH_RESULT), as nothing else makes it
safe to send twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.distributed import protocol as p
from crawler.distributed.queue import ATTEMPTS, LEASE, RESPONSES, completion


class FetchCounts:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.push_result: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> FetchCounts:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        request.meta[ATTEMPTS] = request.meta.get(ATTEMPTS, 0) + 1

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        request.meta[RESPONSES] = request.meta.get(RESPONSES, 0) + 1
        self._unleased(request)
        return response

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Any = None) -> None:
        self._unleased(request)

    def _unleased(self, request: Request) -> None:
        if LEASE in request.meta:
            return  # counted by the message that ends its lease
        server = self.crawler.spider.server
        if self.push_result is None:
            self.push_result = server.register_script(p.PUSH_RESULT)
        # Its client sends the script again when the reply is lost, though it may have run:
        # its id keeps the writer from counting (and capturing) its downloads twice.
        self.push_result(keys=[p.RESULTS, p.sent_key(uuid.uuid4().hex)],
                         args=[completion(request), p.SENT_SECONDS])
