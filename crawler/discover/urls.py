"""URL rules for Wix sites: where a site starts, what a post URL looks like."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

# Free-plan sites live under a path prefix: https://<user>.wixsite.com/<site>/...
_WIXSITE_HOST = re.compile(r"(^|\.)wixsite\.com$", re.IGNORECASE)
# /post/<slug> and the legacy dated /post/YYYY/MM/DD/<slug>.
_POST_PATH = re.compile(r"/post/(?:\d{4}/\d{2}/\d{2}/)?[^/?#]+/?$")
# Sub-paths of a blog home that list posts.
_LISTING_PARTS = ("/page/", "/categories/", "/tags/", "/hashtags/")


class BadURL(ValueError):
    """A URL that does not parse ("http://[bad"): what the user gave, named in one line."""


def site_root(url: str) -> str:
    """The root of the Wix site a URL belongs to, always ending in "/".

    >>> site_root("https://blog.example.com/post/hello?lang=fr")
    'https://blog.example.com/'
    >>> site_root("https://jane.wixsite.com/studio/post/hello")
    'https://jane.wixsite.com/studio/'
    """
    url = url.strip()
    try:
        parts = urlsplit(url if "://" in url else f"https://{url}")
    except ValueError:
        raise BadURL(f"not a URL: {url!r}") from None
    scheme = parts.scheme.lower() or "https"
    host = parts.netloc.lower().rsplit("@", 1)[-1]  # never keep credentials in a site key
    path = "/"
    if _WIXSITE_HOST.search(parts.hostname or ""):
        first = parts.path.strip("/").split("/", 1)[0]
        if first and first != "post":
            path = f"/{first}/"
    return urlunsplit((scheme, host, path, "", ""))


def is_site_host(host: str) -> bool:
    """Whether a host name can be a web site: a domain name (with a dot), `localhost` or an IP
    address. A single word is a mistyped URL: `htp//b.example` parses as host `htp`."""
    host = host.rstrip(".").lower()
    if "." in host or host == "localhost":
        return bool(host)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def normalize_url(url: str) -> str:
    """The form a URL is archived under: no fragment, host lower-cased, `?lang=` kept.

    Wix serves translations of a post at `?lang=xx`; every other query string is noise.
    """
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if p.startswith("lang="))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, query, ""))


def in_site(url: str, root: str) -> bool:
    """True when `url` belongs to the site rooted at `root` (scheme-insensitive)."""
    target = urlsplit(url)
    base = urlsplit(root)
    if target.netloc.lower() != base.netloc.lower():
        return False
    return target.path.startswith(base.path)


def in_any_site(url: str, roots: Sequence[str]) -> bool:
    """in_site for a site known at several roots (one that moved, see moved_root)."""
    return any(in_site(url, root) for root in roots)


def moved_root(asked: str, landed: str, roots: Sequence[str]) -> str | None:
    """Where a site moved: the root of `landed`, the URL a request for `asked` (a page of the
    site at one of `roots`) was redirected to, when that is another host (example.com to
    www.example.com, an old domain to a new one); None when it stayed within the site."""
    if not in_any_site(asked, roots):
        return None
    if urlsplit(asked).netloc.lower() == urlsplit(landed).netloc.lower():
        return None  # the same host: http to https, or a free-plan site's robots.txt
    root = landed[: -len("robots.txt")] if landed.endswith("/robots.txt") else site_root(landed)
    return None if in_any_site(root, roots) else root


def parses(url: str) -> bool:
    """Whether a URL parses at all ("http://[bad" does not): web archives and CDX servers
    hold what clients once asked for, garbage included."""
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


def is_post_url(url: str) -> bool:
    return bool(_POST_PATH.search(urlsplit(url).path))


def is_listing_path(path: str) -> bool:
    """A blog listing's sub-path (/blog/page/2, /blog/categories/x, tags, hashtags): never a
    post, whatever the owner renamed /post/ to."""
    return any(part in path for part in _LISTING_PARTS)


def resolve(base: str, href: str) -> str:
    return urljoin(base, href.strip())
