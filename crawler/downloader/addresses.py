"""Which IP addresses are not public, and which of those a crawl may still reach.

Anyone may nominate a blog, and what a crawl fetches is published: a hostile site must not
make the crawler fetch from the crawling machine itself or its network (a redirect, an image
URL or a meta refresh to 127.0.0.1, 10.x, the cloud's metadata service at 169.254.169.254)
and archive the answer. The rule (WIXARCHIVE_PRIVATE_ADDRESSES, docs/crawling.md):

- `site-network` (the default): a non-public address is refused unless it is in the same
  block as the crawled site's own address (a blog on 127.0.0.1 reaches loopback, one on
  10.1.2.3 reaches 10.0.0.0/8), or is the site itself or a media base
  (WIXARCHIVE_MEDIA_BASE, WIXARCHIVE_VIDEO_BASE); a blog on a public address reaches none.
- `site`: only the site's own host and port and the media bases (what a public blog gets);
  the tests use it to play a public site on loopback.
- `all`: nothing is refused.
"""

from __future__ import annotations

import ipaddress
from typing import NamedTuple
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "WIXARCHIVE_PRIVATE_ADDRESSES"
SITE_NETWORK, SITE_ONLY, ALL = "site-network", "site", "all"
MODES = (SITE_NETWORK, SITE_ONLY, ALL)


def mode_problem(value: str) -> str | None:
    """What is wrong with `value` as the rule (WIXARCHIVE_PRIVATE_ADDRESSES), None if nothing."""
    if value in MODES:
        return None
    return f"{SETTING} must be one of {', '.join(MODES)} (got {value!r})"

# The blocks that are not public, by the name a refusal gives (RFC 6890's special-purpose
# registry); other non-global addresses (documentation, benchmarking, 240/4) are "reserved".
_BLOCKS: list[tuple[str, IPNetwork]] = [
    (kind, ipaddress.ip_network(block)) for kind, block in (
        ("loopback", "127.0.0.0/8"), ("loopback", "::1/128"),
        ("private", "10.0.0.0/8"), ("private", "172.16.0.0/12"), ("private", "192.168.0.0/16"),
        ("shared (CGNAT)", "100.64.0.0/10"),
        ("link-local", "169.254.0.0/16"), ("link-local", "fe80::/10"),
        ("unique-local", "fc00::/7"),
        ("unspecified", "0.0.0.0/8"), ("unspecified", "::/128"),
        ("multicast", "224.0.0.0/4"), ("multicast", "ff00::/8"),
    )]


class Origin(NamedTuple):
    host: str
    port: int


def parse_ip(host: str) -> IPAddress | None:
    """`host` as an IP address (an IPv4-mapped IPv6 one as its IPv4), None for a name."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def non_public_kind(address: IPAddress) -> str | None:
    """What kind of non-public address this is ("loopback", "private", ...); None if public."""
    for kind, block in _BLOCKS:
        if address.version == block.version and address in block:
            return kind
    return None if address.is_global else "reserved"


def block_of(address: IPAddress) -> IPNetwork:
    """The non-public block `address` is in (itself alone when it is in none of the named)."""
    for _, block in _BLOCKS:
        if address.version == block.version and address in block:
            return block
    return ipaddress.ip_network(address)


def origin(url: str) -> Origin | None:
    """Host (lower case) and port of a URL; None when it has no host."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return Origin(parts.hostname, port) if parts.hostname else None


def own_origins(urls: list[str]) -> set[Origin]:
    """The origins of the site's roots and the media bases; a root without a port is the site
    over http and https both (http://example.com redirecting to https://example.com)."""
    origins: set[Origin] = set()
    for url in urls:
        found = origin(url)
        if found is None:
            continue
        origins.add(found)
        if urlsplit(url).port is None:
            origins.update({Origin(found.host, 80), Origin(found.host, 443)})
    return origins


def refusal(host: str, address: IPAddress, kind: str, *, resolved: bool) -> str:
    """The one line a refused request is recorded with."""
    article = "an" if kind == "unspecified" else "a"
    what = f"{host} resolves to {address}, {article} {kind} address" if resolved \
        else f"{host} is {article} {kind} address"
    return f"not fetched: {what}, not the crawled site's ({SETTING})"
