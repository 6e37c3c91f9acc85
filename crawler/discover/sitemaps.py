"""robots.txt `Sitemap:` lines and Wix sitemaps (index -> blog-posts-sitemap.xml)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
# A Wix index lists blog-posts-sitemap.xml (paged as ?page=N on big blogs) beside pages,
# categories, bookings...; only the posts sitemaps lead to articles.
_POSTS_SITEMAP = re.compile(r"blog-posts-sitemap\.xml", re.IGNORECASE)

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None = None
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedSitemap:
    is_index: bool
    entries: list[SitemapEntry]


def sitemaps_from_robots(robots_txt: str) -> list[str]:
    return _SITEMAP_LINE.findall(robots_txt)


def is_posts_sitemap(url: str) -> bool:
    return bool(_POSTS_SITEMAP.search(url))


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes) -> ParsedSitemap:
    """Parse a sitemap index or urlset; garbage gives an empty urlset, never an exception."""
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return ParsedSitemap(is_index=False, entries=[])
    is_index = _local(root.tag) == "sitemapindex"
    entries = []
    for node in root:
        if _local(node.tag) not in ("url", "sitemap"):
            continue
        loc = lastmod = None
        images: list[str] = []
        for child in node.iter():
            name = _local(child.tag)
            text = (child.text or "").strip()
            if name == "loc" and child.getparent() is node:
                loc = text
            elif name == "lastmod":
                lastmod = text or None
            elif name == "loc" and text:
                images.append(text)
        if loc:
            entries.append(SitemapEntry(loc=loc, lastmod=lastmod, images=tuple(images)))
    return ParsedSitemap(is_index=is_index, entries=entries)
