"""RedisCapture: a worker's raw captures go to the writer through Redis.

The single-process crawl writes WARC records itself (crawler.capture.middleware); a worker may
run on another machine than the archive, so it only records each HTTP exchange, as the server
sent it, in the request's meta. The exchanges travel with the request's results in the one
message that ends its lease (retries and redirects carry the earlier ones along), and the
writer, which owns the captures folder beside the archive, writes and indexes them in the same
batch as the posts that name them (archive.distributed). A request nobody leased (robots.txt,
fetched by Scrapy's robots middleware) sends its exchange on its own (FetchCounts,
crawler.distributed.fetches).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.capture import CAPTURE_META
from crawler.capture.middleware import exchange_of
from crawler.distributed.protocol import EXCHANGES  # meta: exchanges not yet sent


class RedisCapture:
    def __init__(self, crawler: Any) -> None:
        if not crawler.settings.getbool("WIXARCHIVE_CAPTURE", True):
            raise NotConfigured("captures are off (--no-capture)")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisCapture:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        exchange = exchange_of(request, response)
        request.meta[CAPTURE_META] = exchange.record_id
        request.meta.setdefault(EXCHANGES, []).append(exchange)
        return response
