"""Wix `blog-feed.xml` (RSS 2.0, newest 20 posts)."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from lxml import etree

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class FeedItem:
    link: str
    guid: str | None = None
    published: str | None = None  # ISO 8601


@dataclass(frozen=True)
class ParsedFeed:
    blog_home: str | None  # <channel><link>: where the blog's listing lives (/blog, /news, ...)
    items: list[FeedItem]
    is_feed: bool = False  # an RSS <channel> was found (even one with no item)


def _iso(rfc822: str | None) -> str | None:
    if not rfc822:
        return None
    try:
        return parsedate_to_datetime(rfc822).isoformat()
    except (TypeError, ValueError):
        return None


def parse_feed(body: bytes) -> ParsedFeed:
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        return ParsedFeed(blog_home=None, items=[])
    channel = root.find("channel")
    if channel is None:
        return ParsedFeed(blog_home=None, items=[])
    home = (channel.findtext("link") or "").strip() or None
    items = []
    for item in channel.iterfind("item"):
        link = (item.findtext("link") or "").strip()
        if link:
            guid = (item.findtext("guid") or "").strip() or None
            items.append(FeedItem(link=link, guid=guid, published=_iso(item.findtext("pubDate"))))
    return ParsedFeed(blog_home=home, items=items, is_feed=True)
