"""Blog listing pages (/blog, /blog/page/N, categories, tags): the fallback when a site has
no posts sitemap."""

from __future__ import annotations

from urllib.parse import urlsplit

import lxml.html

from crawler.discover.urls import in_site, is_listing_path, is_post_url, resolve
from crawler.extract.page import is_wix


def listing_starts(blog_home: str | None, root: str,
                   named: str | None) -> list[tuple[str, bool]]:
    """The listing pages a crawl without a posts sitemap starts from, each once, as (URL,
    whether it is the page the user named): the blog's home (the feed names it; `root`/blog by
    default) and the `named` page below `root` (crawler.discover.urls.named_page), which may
    be a post under a prefix that is not /post/. `root` is where the site is fetched: the
    root it moved to, if it did. The rule of both spiders (with and without Redis)."""
    home = blog_home or root + "blog"
    named_url = root + named if named else None
    starts = dict.fromkeys([home, *([named_url] if named_url else [])])
    return [(url, url == named_url) for url in starts]


def foreign_page_title(html: bytes) -> str | None:
    """The title ("" if none) of a blog home that is no Wix page at all: what a blog's address
    became (a parked domain's "for sale" page, a site on another builder); None for a Wix page,
    or one that cannot be read."""
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    if is_wix(doc, doc.xpath('string(//meta[@name="generator"]/@content)') or None):
        return None
    return " ".join(doc.xpath("string(//title)").split())


def listing_links(
    html: bytes, page_url: str, site: str, blog_home: str
) -> tuple[list[str], list[str]]:
    """Return (post URLs, further listing URLs) linked from a listing page."""
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return [], []
    home_path = urlsplit(blog_home).path.rstrip("/")
    posts: list[str] = []
    listings: list[str] = []
    for href in doc.xpath("//a/@href | //link[@rel='next']/@href"):
        url = _in_site(page_url, href, site)
        if url is None:
            continue
        if is_post_url(url):
            posts.append(url)
            continue
        path = urlsplit(url).path
        # Only a blog home's listing sub-paths are followed, nothing else under the site.
        if path.startswith(home_path + "/") and is_listing_path(path):
            listings.append(url)
    posts += _card_links(doc, page_url, site, set(listings))
    return list(dict.fromkeys(posts)), list(dict.fromkeys(listings))


def _card_links(doc: lxml.html.HtmlElement, page_url: str, site: str,
                listings: set[str]) -> list[str]:
    """Each post card's link (its first in-site one that is not a listing or a profile): the
    post, whatever word precedes its slug (Wix lets the owner replace "post" in its URLs)."""
    found = []
    for card in doc.xpath('//*[@data-hook="post-list-item"]'):
        for href in card.xpath(".//a/@href"):
            url = _in_site(page_url, href, site)
            path = urlsplit(url).path if url else ""
            if url and url not in listings and "/profile/" not in path \
                    and not is_listing_path(path):
                found.append(url)
                break
    return found


def _in_site(page_url: str, href: str, site: str) -> str | None:
    """The URL `href` links to when it is in the site, without its fragment; None for a link
    elsewhere or one that is no URL (href="http://[::1"): a page's broken link is none of
    the crawl's business, and the rest of the page's links are read on."""
    try:
        url = resolve(page_url, href).split("#", 1)[0]
        return url if in_site(url, site) else None
    except ValueError:
        return None
