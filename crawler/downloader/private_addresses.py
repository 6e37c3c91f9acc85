"""No request of a crawl goes to a non-public address the crawl may not reach
(crawler.downloader.addresses has the rule): the first request, every redirect and meta
refresh, robots.txt of another host, media, and a Redis worker's requests alike.

Two layers. PrivateAddressMiddleware, a downloader middleware, checks each request before it
is sent: an IP literal as it is, a name by resolving it (through the crawl's caching resolver,
so the connection gets the answer that was checked); a refused request fails with one line
naming the host and the kind of address, which the spider records for that URL only (an image
refused is that image's outcome). PublicAddressResolver, the crawl's DNS resolver
(TWISTED_DNS_RESOLVER), refuses at connect time any non-public answer for a name the
middleware did not approve: a name whose answer changed in between (DNS rebinding) gets no
connection either.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.downloader.addresses import (
    ALL,
    SETTING,
    SITE_NETWORK,
    IPAddress,
    IPNetwork,
    Origin,
    block_of,
    mode_problem,
    non_public_kind,
    origin,
    own_origins,
    parse_ip,
    refusal,
)

# Hosts (lower case) a crawl of this process let reach a non-public address: the resolver
# lets their non-public answers through. The resolver is the process's, shared by its crawls;
# each crawl's middleware still decides for its own requests.
_APPROVED: set[str] = set()


class AddressRefused(IgnoreRequest):
    """A request not sent: its host is, or resolves to, an address the crawl may not reach."""


class PrivateAddressMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.mode = crawler.settings.get(SETTING) or SITE_NETWORK
        problem = mode_problem(self.mode)
        if problem:
            raise ValueError(problem)
        self.media_bases = [crawler.settings.get(name) for name in
                            ("WIXARCHIVE_MEDIA_BASE", "WIXARCHIVE_VIDEO_BASE")
                            if crawler.settings.get(name)]
        self.site_blocks: dict[str, set[IPNetwork]] = {}  # root -> the blocks it is in
        # Origins a site's own request reached: the robots.txt Scrapy asks of them (a Redis
        # worker's, a media host's) carries no site, yet is theirs; refused, it read as "no
        # robots.txt" and a private site's rules were ignored.
        self.reached: set[Origin] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> PrivateAddressMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        target = origin(request.url)
        if target is None:
            return  # no host (data:, a broken URL): Scrapy's own error
        roots = self.crawler.spider.own_roots(request)  # a Redis worker's request has its own
        if self.mode == ALL or target in own_origins([*roots, *self.media_bases]):
            self._approve(target)
            return
        if request.meta.get("dont_obey_robotstxt") and target in self.reached and (
                urlsplit(request.url).path == "/robots.txt"):
            return
        address = parse_ip(target.host)
        resolved = address is None
        if address is None:
            address = await _resolve(target.host)
            if address is None:
                return  # not resolved: the download fails with the DNS error itself
        kind = non_public_kind(address)
        if kind is None:
            return
        if self.mode == SITE_NETWORK and block_of(address) in await self._site_blocks(roots):
            self._approve(target)
            return
        raise AddressRefused(refusal(target.host, address, kind, resolved=resolved))

    def _approve(self, target: Origin) -> None:
        _APPROVED.add(target.host)
        self.reached.add(target)

    async def _site_blocks(self, roots: list[str]) -> set[IPNetwork]:
        """The non-public blocks the site's roots and the media bases are in."""
        blocks: set[IPNetwork] = set()
        for root in [*roots, *self.media_bases]:
            if root not in self.site_blocks:
                found = origin(root)
                address = found and (parse_ip(found.host) or await _resolve(found.host))
                self.site_blocks[root] = {block_of(address)} if (
                    address and non_public_kind(address)) else set()
            blocks |= self.site_blocks[root]
        return blocks


async def _resolve(host: str) -> IPAddress | None:
    """`host`'s address as a connection would get it (the crawl's caching resolver); None
    when it does not resolve."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    lookup: Deferred[str] = resolver.unchecked(host) if isinstance(
        resolver, PublicAddressResolver) else reactor.resolve(host)
    try:
        return parse_ip(await maybe_deferred_to_future(lookup))
    except Exception:  # any lookup failure (no name, timeout): the download reports it
        return None


class PublicAddressResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing non-public answers for names not approved."""

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        found = super().getHostByName(name, timeout)
        found.addCallback(_refuse_unapproved, name)
        return found

    def unchecked(self, name: str) -> Deferred[str]:
        """The answer as it is (cached like the connections'), for the middleware to judge."""
        return super().getHostByName(name)


def _refuse_unapproved(answer: str, name: str) -> str:
    address = parse_ip(answer)
    kind = address and non_public_kind(address)
    if address is not None and kind and name.lower() not in _APPROVED:
        raise DNSLookupError(refusal(name, address, kind, resolved=True))
    return answer
