"""WordPress eXtended RSS (WXR 1.2): the file WordPress's importer reads (Tools > Import).

One `post` item per archived post (title, link, dates, author, content, excerpt, categories and
tags), then one `attachment` item per image with its full-size URL, so the importer's "Download
and import file attachments" copies the images off Wix and points the posts at the copies. A post
deleted from its site is exported as a draft.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

import nh3
from lxml import etree

from archive.export import full_size

NS = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}
WXR_VERSION = "1.2"
# XML 1.0 forbids these characters outright, even escaped.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _text(value: Any) -> str:
    return _INVALID_XML.sub("", str(value)) if value is not None else ""


def _sub(parent: etree._Element, tag: str, value: Any = None, *, cdata: bool = False,
         **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    text = _text(value)
    # CDATA keeps HTML readable in the file; a body containing "]]>" cannot be CDATA.
    element.text = etree.CDATA(text) if cdata and text and "]]>" not in text else text
    return element


def nicename(name: str) -> str:
    """A WordPress-style slug for a term: lower case, words joined by hyphens."""
    return re.sub(r"[^\w]+", "-", name.lower()).strip("-_") or "term"


def login(author: str) -> str:
    return re.sub(r"[^\w.@-]+", "-", author.strip().lower()).strip("-") or "author"


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _wp_date(value: str | None) -> str:
    parsed = _parse_date(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else ""


def content_html(post: dict[str, Any]) -> str:
    """The body as sanitized HTML with full-size image URLs (paragraphs of text as fallback)."""
    html = post.get("body_html") or ""
    if not html.strip():
        from markupsafe import escape

        html = "".join(f"<p>{escape(p.strip())}</p>"
                       for p in (post.get("body") or "").split("\n\n") if p.strip())
    return full_size(nh3.clean(html, url_schemes={"http", "https", "mailto"}))


def _post_name(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def _channel_head(holder: etree._Element, sites: list[dict[str, Any]],
                  terms: dict[str, dict[str, str]], authors: list[str]) -> None:
    one = sites[0] if len(sites) == 1 else None
    _sub(holder, "title", (one and (one["name"] or one["site"])) or "wixarchive export")
    _sub(holder, "link", one["site"] if one else "")
    _sub(holder, "description", "Exported from a wixarchive archive")
    _sub(holder, "pubDate", format_datetime(datetime.now(UTC), usegmt=True))
    _sub(holder, _q("wp", "wxr_version"), WXR_VERSION)
    _sub(holder, _q("wp", "base_site_url"), one["site"] if one else "")
    _sub(holder, _q("wp", "base_blog_url"), one["site"] if one else "")
    for number, author in enumerate(authors, start=1):
        element = _sub(holder, _q("wp", "author"))
        _sub(element, _q("wp", "author_id"), number)
        _sub(element, _q("wp", "author_login"), login(author), cdata=True)
        _sub(element, _q("wp", "author_display_name"), author, cdata=True)
    for number, (name, slug) in enumerate(terms["category"].items(), start=1):
        element = _sub(holder, _q("wp", "category"))
        _sub(element, _q("wp", "term_id"), number)
        _sub(element, _q("wp", "category_nicename"), slug)
        _sub(element, _q("wp", "category_parent"), "")
        _sub(element, _q("wp", "cat_name"), name, cdata=True)
    for number, (name, slug) in enumerate(terms["post_tag"].items(), start=1):
        element = _sub(holder, _q("wp", "tag"))
        _sub(element, _q("wp", "term_id"), number)
        _sub(element, _q("wp", "tag_slug"), slug)
        _sub(element, _q("wp", "tag_name"), name, cdata=True)


def _item(channel: etree._Element, post: dict[str, Any], terms: dict[str, dict[str, str]],
          thumbnail_id: int | None) -> None:
    item = etree.SubElement(channel, "item")
    published = _parse_date(post.get("published"))
    _sub(item, "title", post.get("title") or "")
    _sub(item, "link", post["url"])
    _sub(item, "pubDate", format_datetime(published, usegmt=True) if published else "")
    _sub(item, _q("dc", "creator"), login(post["author"]) if post.get("author") else "",
         cdata=True)
    _sub(item, "guid", post["url"], isPermaLink="false")
    _sub(item, "description", "")
    _sub(item, _q("content", "encoded"), content_html(post), cdata=True)
    _sub(item, _q("excerpt", "encoded"), post.get("description") or "", cdata=True)
    _sub(item, _q("wp", "post_id"), post["id"])
    date = _wp_date(post.get("published"))
    _sub(item, _q("wp", "post_date"), date, cdata=True)
    _sub(item, _q("wp", "post_date_gmt"), date, cdata=True)
    modified = _wp_date(post.get("modified")) or date
    _sub(item, _q("wp", "post_modified"), modified, cdata=True)
    _sub(item, _q("wp", "post_modified_gmt"), modified, cdata=True)
    _sub(item, _q("wp", "comment_status"), "closed", cdata=True)
    _sub(item, _q("wp", "ping_status"), "closed", cdata=True)
    _sub(item, _q("wp", "post_name"), _post_name(post["url"]), cdata=True)
    _sub(item, _q("wp", "status"), "draft" if post.get("deleted_at") else "publish", cdata=True)
    _sub(item, _q("wp", "post_parent"), 0)
    _sub(item, _q("wp", "menu_order"), 0)
    _sub(item, _q("wp", "post_type"), "post", cdata=True)
    _sub(item, _q("wp", "post_password"), "", cdata=True)
    _sub(item, _q("wp", "is_sticky"), 0)
    for domain, names in (("category", post.get("categories") or []),
                          ("post_tag", post.get("tags") or [])):
        for name in names:
            _sub(item, "category", name, cdata=True, domain=domain,
                 nicename=terms[domain][name])
    if thumbnail_id is not None:
        meta = _sub(item, _q("wp", "postmeta"))
        _sub(meta, _q("wp", "meta_key"), "_thumbnail_id", cdata=True)
        _sub(meta, _q("wp", "meta_value"), thumbnail_id, cdata=True)


def _attachment(channel: etree._Element, attachment_id: int, parent: dict[str, Any],
                url: str) -> None:
    item = etree.SubElement(channel, "item")
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or f"image-{attachment_id}"
    _sub(item, "title", name)
    _sub(item, "link", url)
    _sub(item, "guid", url, isPermaLink="false")
    _sub(item, _q("wp", "post_id"), attachment_id)
    date = _wp_date(parent.get("published"))
    _sub(item, _q("wp", "post_date"), date, cdata=True)
    _sub(item, _q("wp", "post_date_gmt"), date, cdata=True)
    _sub(item, _q("wp", "post_name"), nicename(name), cdata=True)
    _sub(item, _q("wp", "status"), "inherit", cdata=True)
    _sub(item, _q("wp", "post_parent"), parent["id"])
    _sub(item, _q("wp", "post_type"), "attachment", cdata=True)
    _sub(item, _q("wp", "attachment_url"), url, cdata=True)


def write(posts: Iterable[dict[str, Any]], out: BinaryIO, *, sites: list[dict[str, Any]]
          ) -> tuple[int, int]:
    """Write the WXR document; returns (posts, image attachments) written.

    WXR lists authors and terms before the items, so the document is built whole, then written.
    """
    posts = list(posts)
    terms: dict[str, dict[str, str]] = {"category": {}, "post_tag": {}}
    authors: dict[str, None] = {}
    for post in posts:
        for name in post.get("categories") or []:
            terms["category"].setdefault(name, nicename(name))
        for name in post.get("tags") or []:
            terms["post_tag"].setdefault(name, nicename(name))
        if post.get("author"):
            authors.setdefault(post["author"])
    root = etree.Element("rss", {"version": "2.0"}, nsmap=NS)
    channel = etree.SubElement(root, "channel")
    _channel_head(channel, sites, terms, list(authors))
    # Attachment ids follow the post ids so they never collide with them.
    next_id = max((post["id"] for post in posts), default=0) + 1
    images = 0
    for post in posts:
        urls = [full_size(u) for u in post.get("images") or []]
        cover = full_size(post["cover_image"]) if post.get("cover_image") else None
        if cover and cover not in urls:
            urls.insert(0, cover)
        ids = {url: next_id + n for n, url in enumerate(dict.fromkeys(urls))}
        next_id += len(ids)
        _item(channel, post, terms, ids.get(cover) if cover else None)
        for url, attachment_id in ids.items():
            _attachment(channel, attachment_id, post, url)
        images += len(ids)
    etree.ElementTree(root).write(out, xml_declaration=True, encoding="UTF-8",
                                  pretty_print=True)
    return len(posts), images
