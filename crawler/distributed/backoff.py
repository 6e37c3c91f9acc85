"""SharedBackoff: a failing site stopped across every worker (its failures counted in Redis).

In one process ServerErrorBackoff doubles a failing site's delay and FailingSiteMiddleware stops
it (crawler.downloader.backoff, crawler.downloader.failing_site). Through Redis each worker kept
its own count and delay, so N workers asked a failing site N times as often, and no worker
stopped it (each saw a share of the failures, and the rule was off there): a site answering 503
to everything had every URL asked 4 times. Here the failures in a row are counted in Redis
(protocol.backoff_key, per site and run) by one script; the failure that reaches
WIXARCHIVE_MAX_SERVER_ERRORS in a row, or WIXARCHIVE_MAX_FAILING_SECONDS of them, stops the site
in the same script (its queued requests dropped, no held one sent) and tells the writer, which
ends the site's run as a crawl without Redis ends it. The first good answer deletes the count.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.distributed import protocol as p
from crawler.distributed.queue import RUN, request_site
from crawler.downloader.backoff import ServerErrorBackoff
from crawler.downloader.failing_site import failing_limits, too_long_reason, too_many_reason


class SharedBackoff(ServerErrorBackoff):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.limit, self.seconds = failing_limits(crawler.settings)
        self.script: Any = None

    def _failed(self, request: Request, *, server_error: bool) -> None:
        spider = self.crawler.spider
        site, run = request_site(request), request.meta.get(RUN)
        if self.script is None:
            self.script = spider.server.register_script(p.FAILED)
        # No delay is set (the script's delay, start and maximum 0): a request waiting out its
        # site's delay waits in SiteTokens, inside the worker's downloader, holding one of its
        # CONCURRENT_REQUESTS places; a backed-off site's requests took them all and every
        # other site the worker serves went at the failing site's pace (30 posts of a healthy
        # site not asked for in a minute). The count and both stops hold across workers; the
        # delay waits for a queue that hands a worker only the requests of sites ready for one.
        self.script(keys=[p.backoff_key(site, run), p.crawl_delay_key(site), p.STOPPED,
                          p.REQUESTS, p.RESULTS, p.PENDING],
                    args=[site, "" if run is None else run, int(server_error), 0, 0, 0,
                          self.limit, self.seconds,
                          too_many_reason(self.limit), too_long_reason(self.seconds)])

    def _answered(self, request: Request) -> None:
        self.crawler.spider.server.delete(
            p.backoff_key(request_site(request), request.meta.get(RUN)))
