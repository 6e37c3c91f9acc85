"""SharedBackoff: a failing site backed off and stopped across every worker (its failures
counted in Redis).

In one process ServerErrorBackoff doubles a failing site's delay and FailingSiteMiddleware stops
it (crawler.downloader.backoff, crawler.downloader.failing_site). Through Redis each worker kept
its own count and delay, so N workers asked a failing site N times as often, and no worker
stopped it (each saw a share of the failures, and the rule was off there): a site answering 503
to everything had every URL asked 4 times. Here the failures in a row are counted in Redis
(protocol.backoff_key, per site and run) by one script; the failure that reaches
WIXARCHIVE_MAX_SERVER_ERRORS in a row, or WIXARCHIVE_MAX_FAILING_SECONDS of them, stops the site
in the same script (its queued requests dropped, no held one sent) and tells the writer, which
ends the site's run as a crawl without Redis ends it. Each failure in a row also doubles the
site's delay, as in one process (WIXARCHIVE_BACKOFF_START up to WIXARCHIVE_BACKOFF_MAX): its pages
wait it out in the shared queue, not handed to any worker until then (protocol.RESTING, POP),
where waiting in a worker's downloader held its places from the other sites it serves. The
first good answer deletes the count and the back-off.
"""

from __future__ import annotations

import uuid
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
        self.answered: Any = None

    def _failed(self, request: Request, *, server_error: bool) -> None:
        spider = self.crawler.spider
        site, run = request_site(request), request.meta.get(RUN)
        if self.script is None:
            self.script = spider.server.register_script(p.FAILED)
        delay = float(spider.site_settings(site, run).get(  # as SiteTokens reads it
            "delay", self.crawler.settings.getfloat("WIXARCHIVE_REDIS_DELAY", 0.0)))
        # Its id: sent again by the client after a lost reply, it is not counted twice.
        self.script(keys=[p.backoff_key(site, run), p.crawl_delay_key(site), p.STOPPED,
                          p.RESULTS, p.PENDING, p.counted_key(site, run)],
                    args=[site, "" if run is None else run, int(server_error), delay,
                          self.start, self.maximum, self.limit, self.seconds,
                          too_many_reason(self.limit), too_long_reason(self.seconds),
                          uuid.uuid4().hex])

    def _answered(self, request: Request) -> None:
        site = request_site(request)
        if self.answered is None:
            self.answered = self.crawler.spider.server.register_script(p.ANSWERED)
        self.answered(keys=[p.backoff_key(site, request.meta.get(RUN))], args=[site])
