"""Blog listing pages (/blog, /blog/page/N, categories, tags): the fallback when a site has
no posts sitemap."""

from __future__ import annotations

from urllib.parse import urlsplit

import lxml.html

from crawler.discover.urls import in_site, is_post_url, resolve

# Sub-paths of a blog home that list posts; everything else under the site is not followed.
_LISTING_PARTS = ("/page/", "/categories/", "/tags/", "/hashtags/")


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
        url = resolve(page_url, href).split("#", 1)[0]
        if not in_site(url, site):
            continue
        if is_post_url(url):
            posts.append(url)
            continue
        path = urlsplit(url).path
        if path.startswith(home_path + "/") and any(part in path for part in _LISTING_PARTS):
            listings.append(url)
    return list(dict.fromkeys(posts)), list(dict.fromkeys(listings))
