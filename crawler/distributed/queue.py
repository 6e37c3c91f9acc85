"""scrapy-redis's scheduler over a queue with a lane per site, and leases (see
crawler.distributed.protocol).

Each queue member is `site \\n url \\n request` (protocol.queue_member) so that the scripts run
by Redis know a request's site (its pending count) and URL without unpickling it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from scrapy import Request
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.discover.urls import site_root
from crawler.distributed import blips
from crawler.distributed import protocol as p
from crawler.distributed.protocol import ATTEMPTS, EXCHANGES, RESPONSES, RUN, SITE
from crawler.downloader.robots import ROBOTS_META

LEASE = "wixarchive_lease"  # request.meta: the lease id of a request popped from Redis
# request.meta: the request was popped while its site was not resting (POP): it goes back to
# the queue if the site comes to rest before it is sent (politeness.SiteTokens)
UNRESTED = "wixarchive_unrested"
LEASE_SECONDS = 30.0  # WIXARCHIVE_REDIS_LEASE: a dead worker's requests are re-queued after it
# request.meta: the request goes back to the queue unsent, in its lease's place (handed_back)
HANDED_BACK = "wixarchive_handed_back"


def request_site(request: Request) -> str:
    return request.meta.get(SITE) or site_root(request.url)


def handed_back(request: Request) -> Request:
    """`request`, not sent, to go back to the shared queue in its lease's place, for a
    downloader middleware to return (LeasedScheduler.enqueue_request): its site came to rest
    (politeness.SiteTokens), or its worker is stopping (retry_after.SharedRetryAfter).

    Its URL is in the duplicate filter already: the mark lets it past once. It used to go back
    as `dont_filter=True`, which stayed with it in the queue and passed to its redirect (Scrapy
    copies it): a redirect to a post queued from the sitemap then fetched that post again."""
    return request.replace(meta={**request.meta, HANDED_BACK: True})


def completion(request: Request, found: dict[str, Any] | None = None) -> bytes:
    """The message that ends `request` for the writer: what its callback `found`, with its
    site, run, download attempts, responses and captures (taken from its meta, so that a
    retry of a request nobody leased starts its own count)."""
    meta = request.meta
    return p.encode_message({"site": request_site(request), "run": meta.get(RUN), **(found or {}),
                             "requests": meta.pop(ATTEMPTS, 0),
                             "responses": meta.pop(RESPONSES, 0),
                             "captures": meta.pop(EXCHANGES, [])})


def sent_again_after_a_blip(call: Callable[[], Any]) -> Any:
    """`call` (a script safe to run twice: its caller says why), sent once more at once when
    its connection was lost (crawler.distributed.blips): redis-py reconnects, and a connection
    cut while Redis stays up costs nothing. If Redis is away the error stands: the request's
    lease, no longer renewed, expires, and it is fetched again (REAP)."""
    try:
        return call()
    except blips.BLIPS:
        return call()


class Scripts:
    """The protocol's scripts, registered once per Redis client."""

    def __init__(self, server: Any) -> None:
        for name in ("PUSH", "POP", "COMPLETE", "REPLACE", "RENEW", "REAP", "ACQUIRE", "QUEUED"):
            setattr(self, name.lower(), server.register_script(getattr(p, name)))


class LeasedQueue(PriorityQueue):
    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.scripts = Scripts(server)
        self.lease_seconds = spider.settings.getfloat("WIXARCHIVE_REDIS_LEASE", LEASE_SECONDS)
        self.held: set[str] = spider.held_leases
        spider.redis_queue = self

    def _encode_request(self, request: Request) -> bytes:
        request.meta.pop(LEASE, None)
        return p.queue_member(request_site(request), request.url,
                              super()._encode_request(request))

    def _decode_request(self, encoded_request: bytes) -> Request:
        return super()._decode_request(p.member_request(encoded_request))

    def push(self, request: Request) -> None:
        site = request_site(request)
        request.meta[SITE] = site
        member = self._encode_request(request)
        # Its URL is in the duplicate filter already: lost here, it would never be queued.
        # Safe twice: PUSH queues a member not queued (ZADD NX); one taken since is fetched
        # twice, stored once (the writer's SiteCrawl.stored).
        sent_again_after_a_blip(lambda: self.scripts.push(
            keys=[p.PENDING, p.STOPPED, p.RUNS],
            args=[p.score(request.priority), member, site, request.meta.get(RUN) or "",
                  p.roots_arg(request.meta)]))

    def pop(self, timeout: float = 0) -> Request | None:
        """The next request, or None (none ready, or a blip: the heartbeat tells whether Redis
        is lost). A POP whose reply was lost leased a request nobody holds: it goes back to the
        queue once its lease expires (REAP), so nothing is lost."""
        try:
            self.reap()
            popped = self.scripts.pop(keys=[p.LEASES, p.LEASE_DATA, p.LEASE_SEQ],
                                      args=[self.lease_seconds])
        except blips.BLIPS:
            return None
        if not popped:
            return None
        lease, member, unrested = popped[0].decode(), popped[1], popped[2]
        request = self._decode_request(member)
        request.meta[LEASE] = lease
        request.meta[UNRESTED] = bool(unrested)
        if request.callback == getattr(self.spider, "parse_robots", None):
            # The writer's robots.txt request: SiteRobotsTxt reads this worker's rules for the
            # site from it, instead of fetching robots.txt again first.
            request.meta[ROBOTS_META] = True
        self.held.add(lease)
        return request

    def __len__(self) -> int:
        return int(self.scripts.queued())  # a sum over every lane: scrapy-redis's log

    def __bool__(self) -> bool:
        """Whether any request is queued: a non-empty lane is in READY or WAITING (assumed so
        during a blip, which the heartbeat judges: an idle worker would exit)."""
        try:
            return bool(self.server.exists(p.READY, p.WAITING))
        except blips.BLIPS:
            return True

    def reap(self) -> None:
        self.scripts.reap(keys=[p.LEASES, p.LEASE_DATA, p.REDOS, p.PENDING, p.RESULTS],
                          args=[p.MAX_REDOS])

    def complete(self, request: Request, message: bytes) -> bool:
        """The request is done: `message` (may be empty) goes to the writer, its lease ends."""
        lease = request.meta.get(LEASE)
        if lease is None:
            return False
        self.held.discard(lease)
        # Safe twice: COMPLETE acts only while the lease is held (ZREM), and ends it.
        return bool(sent_again_after_a_blip(lambda: self.scripts.complete(
            keys=[p.LEASES, p.LEASE_DATA, p.PENDING, p.RESULTS],
            args=[lease, request_site(request), message])))

    def replace(self, old_lease: str, request: Request) -> bool:
        self.held.discard(old_lease)
        request.meta[SITE] = site = request_site(request)
        member = self._encode_request(request)
        # Safe twice: REPLACE acts only while the old lease is held (ZREM), and ends it.
        return bool(sent_again_after_a_blip(lambda: self.scripts.replace(
            keys=[p.LEASES, p.LEASE_DATA],
            args=[old_lease, p.score(request.priority), member, site,
                  p.roots_arg(request.meta)])))


class LeasedDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter, asked in two commands each safe to send twice. Its
    client (REDIS_PARAMS: retry_on_timeout) sends a command again once when its connection
    drops; scrapy-redis's one SADD, run before its reply was lost, then answered "seen" of a
    link never queued: lost. A link another worker adds between the two is fetched twice at
    worst, and stored once (the writer's SiteCrawl.stored); one whose check gets no reply at all
    counts as new (PUSH queues it once)."""

    def request_seen(self, request: Request) -> bool:
        if self.seen_before(request):
            return True
        self.mark_seen(request)
        return False

    def seen_before(self, request: Request) -> bool:
        """Whether the link is in the filter (SISMEMBER); one whose check gets no reply
        counts as new."""
        try:
            return bool(self.server.sismember(self.key, self.request_fingerprint(request)))
        except blips.BLIPS:
            return False

    def mark_seen(self, request: Request) -> None:
        """The link goes into the filter (SADD); one that gets no reply may be fetched twice
        at worst."""
        with contextlib.suppress(*blips.BLIPS):
            self.server.sadd(self.key, self.request_fingerprint(request))


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler; a request that still carries its lease is a retry or redirect
    of a popped request (Scrapy copies meta) and takes that request's place in the queue."""

    def _enqueue_found(self, request: Request) -> bool:
        """A link a page found, marked seen only once queued (scrapy-redis marks it first): a
        PUSH that fails (Redis away past its client's one resend) raises, the page's handling
        fails and it is fetched again once its lease expires, which queues the link then;
        marked first, it was seen for ever and never queued (lost)."""
        df: LeasedDupeFilter = self.df
        if not request.dont_filter and df.seen_before(request):
            df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        self.queue.push(request)
        if not request.dont_filter:
            df.mark_seen(request)
        return True

    def has_pending_requests(self) -> bool:
        return bool(self.queue)  # asked at every idle check: not len()'s sum over the lanes

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.get(LEASE)
        if lease is None:
            return self._enqueue_found(request)
        queue: LeasedQueue = self.queue
        if request.meta.pop(HANDED_BACK, False):
            return queue.replace(lease, request)
        if not request.dont_filter and self.df.request_seen(request):
            # A redirect to a page already queued: this request is done (its downloads
            # counted for its site).
            request.meta[LEASE] = lease
            queue.complete(request, completion(request))
            return False
        return queue.replace(lease, request)
