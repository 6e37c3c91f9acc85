"""SharedRetryAfter: a Retry-After waited by every worker.

In one process RetryAfterMiddleware pauses the site's download slot until the time a 429 or 503
asked for (crawler.downloader.retry_after). A worker's slot is its own: the other workers went on
asking the site, so 2 workers sent a site answering every post 429 with `Retry-After: 3` 25
requests in 21 s where one sent 15, the second's 0.1 s after a 429. Here the time also goes to
Redis (protocol.resume_key, one script): the shared queue hands none of the site's pages to a
worker before then (protocol.PACED, POP), and every worker's SiteTokens waits for it before the
site's next request (protocol.ACQUIRE), for the pages a worker took before the answer came.

Those pages wait in the worker (its download slot paused, or here before SiteTokens) for at most
WIXARCHIVE_RETRY_AFTER_MAX (60 s). The wait ends when the site stops (its time limit, failing,
the writer's stop: protocol.STOPPED), those pages then not sent, or when the worker is told to
stop (Ctrl-C, SIGTERM), those pages then back in the queue for another worker (their leases'
place); until 2026-12-06 it did not: a crawl with `--time-limit 3` took 18 s, and a worker
took 50 s to exit after Ctrl-C, as a crawl without Redis ends its wait (SiteTimeLimit.wait).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.distributed import protocol as p
from crawler.distributed.queue import LEASE, RUN, handed_back, request_site
from crawler.downloader.early_stop import drop_queued
from crawler.downloader.retry_after import RetryAfterMiddleware

STEP = 0.25  # seconds between looks at the worker's stop and the site's, while waiting


class BackToQueue(IgnoreRequest):
    """A request not sent because its worker is stopping: it goes back to the queue."""


class SharedRetryAfter(RetryAfterMiddleware):
    script: Any = None
    too_long_script: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watched: dict[str, asyncio.Task[None]] = {}  # paused download slot -> its watch

    def _stopping(self) -> bool:
        engine = self.crawler.engine
        return engine is not None and not engine.running

    def _site_stopped(self, site: str) -> bool:
        return bool(self.crawler.spider.server.sismember(p.STOPPED, site))

    async def process_request(self, request: Request, spider: Any = None) -> Request | None:
        slot = self._slot(request)
        if slot in self.stopped:
            raise IgnoreRequest(f"not fetched: {self.stopped[slot]}")
        site = request_site(request)
        while (wait := self.resume_at.get(slot, 0.0) - time.monotonic()) > 0:
            if self._stopping():
                if LEASE in request.meta:  # for another worker, in its lease's place
                    return handed_back(request)
                raise IgnoreRequest(p.SITE_STOPPED)
            if self._site_stopped(site):
                break  # SiteTokens refuses it
            await asyncio.sleep(min(wait, STEP))
        return None

    def _too_long(self, request: Request, slot: str, reason: str) -> None:
        """Counted across workers, per site and run: the stop_after-th stops the site in every
        worker and tells the writer (protocol.TOO_LONG), which ends its run `reason`, as a
        crawl without Redis stops early."""
        server = self.crawler.spider.server
        if self.too_long_script is None:
            self.too_long_script = server.register_script(p.TOO_LONG)
        site, run = request_site(request), request.meta.get(RUN)
        # Its id: sent again by the client after a lost reply, it is not counted twice.
        self.too_long_script(keys=[p.backoff_key(site, run) + ":too-long", p.STOPPED, p.RESULTS,
                                   p.PENDING, p.counted_key(site, run)],
                             args=[site, "" if run is None else run, self.stop_after, reason,
                                   uuid.uuid4().hex])

    def process_exception(self, request: Request, exception: BaseException,
                          spider: Any = None) -> Any:
        if isinstance(exception, BackToQueue) and LEASE in request.meta:
            return handed_back(request)
        return super().process_exception(request, exception, spider)

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
        slot = self._slot(request)
        if slot not in self.watched or self.watched[slot].done():
            self.watched[slot] = asyncio.ensure_future(self._watch(slot, site))

    async def _watch(self, slot_key: str, site: str) -> None:
        """End the pause of the site's download slot (_pause_slot) when the site stops (its
        queued requests not sent) or the worker does (they go back to the queue)."""
        while self.resume_at.get(slot_key, 0.0) > time.monotonic():
            await asyncio.sleep(STEP)
            if self._stopping():
                self._requeue(slot_key)
                return
            if self._site_stopped(site):
                drop_queued(self.crawler, p.SITE_STOPPED, slot_key)
                return

    def _requeue(self, slot_key: str) -> None:
        slot = self.crawler.engine.downloader.slots.get(slot_key)
        while slot is not None and slot.queue:
            _request, queued = slot.queue.popleft()
            queued.errback(BackToQueue("not fetched: the worker is stopping"))
