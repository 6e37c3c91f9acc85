"""SharedRetryAfter: a Retry-After waited by every worker.

In one process RetryAfterMiddleware pauses the site's download slot until the time a 429 or 503
asked for (crawler.downloader.retry_after). A worker's slot is its own: the other workers went on
asking the site, so 2 workers sent a site answering every post 429 with `Retry-After: 3` 25
requests in 21 s where one sent 15, the second's 0.1 s after a 429. Here the time also goes to
Redis (protocol.resume_key, one script): the shared queue hands none of the site's pages to a
worker before then (protocol.PACED, POP), and every worker's SiteTokens waits for it before the
site's next request (protocol.ACQUIRE), for the pages a worker took before the answer came.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.http import Response

from crawler.distributed import protocol as p
from crawler.distributed.queue import request_site
from crawler.downloader.retry_after import RetryAfterMiddleware


class SharedRetryAfter(RetryAfterMiddleware):
    script: Any = None

    def _downloaded(self, response: Response, request: Request, spider: Any = None) -> None:
        super()._downloaded(response, request, spider)
        wait = self._asked_wait(request, response)
        if wait is None or wait > self.max_wait:
            return
        server = self.crawler.spider.server
        if self.script is None:
            self.script = server.register_script(p.RESUME)
        site = request_site(request)
        self.script(keys=[p.resume_key(site)], args=[wait, site])
