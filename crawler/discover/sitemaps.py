"""robots.txt `Sitemap:` lines and Wix sitemaps (index -> blog-posts-sitemap.xml)."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from io import BytesIO
from typing import IO
from urllib.parse import urlsplit

from lxml import etree

from crawler.discover.languages import LANGUAGE_TAG
from crawler.discover.urls import BadURL, in_any_site, is_post_url, parses, site_root

_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
# A Wix index lists blog-posts-sitemap.xml (paged as ?page=N on big blogs) beside pages,
# categories, bookings...; only the posts sitemaps lead to articles.
_POSTS_SITEMAP = re.compile(r"blog-posts-sitemap\.xml", re.IGNORECASE)
# A multilingual site's index lists each language's own index at /<language>/sitemap.xml
# (/fr/sitemap.xml, /pt-br/sitemap.xml; under a free-plan site's path too), which lists that
# language's /fr/blog-posts-sitemap.xml.
_LANGUAGE_INDEX = re.compile(rf"/{LANGUAGE_TAG}/sitemap\.xml$", re.IGNORECASE)

# sitemaps.org: a sitemap (or index) lists at most 50,000 URLs, and is at most 50 MB unpacked.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
LIMIT_NAME = "the sitemaps.org limit"  # how a sitemap's problems name these limits


def unpacked_too_large(max_bytes: int) -> str:
    """What a gzipped sitemap unpacking past `max_bytes` (a compression bomb) is said to do,
    whether it is caught here (no Content-Encoding) or by the download's decompression."""
    return f"unpacks to more than {max_bytes / (1 << 20):g} MiB ({LIMIT_NAME}): not read"


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None = None
    images: tuple[str, ...] = ()
    # <xhtml:link rel="alternate" hreflang=… href=…>: the page in the site's other languages
    translations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedSitemap:
    is_index: bool
    entries: list[SitemapEntry]
    # Why `entries` may not be the whole list (malformed XML, over MAX_URLS); None when read whole.
    problem: str | None = None


def sitemaps_from_robots(robots_txt: str) -> list[str]:
    return _SITEMAP_LINE.findall(robots_txt)


def is_posts_sitemap(url: str) -> bool:
    return bool(_POSTS_SITEMAP.search(url))


def is_language_index(url: str) -> bool:
    """Whether a sitemap index's entry is a language's own index (/fr/sitemap.xml), which
    leads to that language's posts sitemaps."""
    return bool(_LANGUAGE_INDEX.search(urlsplit(url).path))


def lists_post(sitemap_url: str, loc: str) -> bool:
    """Whether a sitemap entry is a post: every page of the blog's posts sitemap is one,
    whatever word precedes its slug (Wix lets the owner replace "post" in the blog's URLs);
    in any other sitemap, a /post/ path."""
    return is_posts_sitemap(sitemap_url) or is_post_url(loc)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _TooLarge(Exception):
    pass


class _Unpacked:
    """A gzip stream read through at most `limit` unpacked bytes (a bomb stops there)."""

    def __init__(self, body: bytes, limit: int) -> None:
        self._file = gzip.GzipFile(fileobj=BytesIO(body))
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size if size >= 0 else self._left + 1)
        self._left -= len(data)
        if self._left < 0:
            raise _TooLarge
        return data


def read_sitemap(body: bytes, max_urls: int = MAX_URLS) -> ParsedSitemap:
    """A sitemap as served. A gzipped one (a .xml.gz sent without Content-Encoding, which
    Scrapy leaves packed) is unpacked as it is parsed, so memory stays flat, up to MAX_BYTES."""
    if not body.startswith(b"\x1f\x8b"):
        return parse_sitemap(body, max_urls)
    try:
        return _parse(_Unpacked(body, MAX_BYTES), max_urls)
    except _TooLarge:
        return ParsedSitemap(is_index=False, entries=[], problem=unpacked_too_large(MAX_BYTES))
    except (OSError, EOFError) as exc:
        return ParsedSitemap(is_index=False, entries=[], problem=f"is corrupt gzip ({exc})")


def parse_sitemap(body: bytes, max_urls: int = MAX_URLS) -> ParsedSitemap:
    """Parse a sitemap index or urlset, streaming: memory stays flat whatever its size.

    Never raises. Malformed XML keeps what could be read (libxml2's recovery) and says so in
    `problem`, as does a list longer than `max_urls` (read up to the limit): either way the
    list is not known to be complete, so nothing may be concluded from what it lacks.
    """
    parsed = _parse(BytesIO(body), max_urls)
    if parsed.problem == "is empty" and body.strip():
        # libxml2 reads nothing of an HTML page whose doctype is in lower case (a parked
        # domain's page, a soft 404): not an empty sitemap, which would say all is well.
        page = body.lstrip()[:15].lower()
        return replace(parsed, problem="is an HTML page, not a sitemap"
                       if page.startswith((b"<!doctype html", b"<html")) else
                       "is not XML (nothing could be read)")
    return parsed


def _parse(source: IO[bytes] | _Unpacked, max_urls: int) -> ParsedSitemap:
    events = etree.iterparse(source, events=("end",), tag=("{*}url", "{*}sitemap"),
                             recover=True, resolve_entities=False, no_network=True,
                             huge_tree=True)
    entries: list[SitemapEntry] = []
    problem: str | None = None
    try:
        for _, node in events:
            parent = node.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # only the root's own <url>/<sitemap> children are entries
            entry = _entry(node)
            node.clear()
            while node.getprevious() is not None:  # drop what was read: memory stays flat
                del parent[0]
            if entry is None:
                continue
            if len(entries) >= max_urls:
                problem = (f"lists more than {max_urls:,} URLs ({LIMIT_NAME}): "
                           "the rest were not read")
                break
            entries.append(entry)
    except etree.XMLSyntaxError as exc:  # nothing recoverable at all (empty, not XML)
        problem = f"is not XML ({exc.msg or 'nothing to read'})"
    root = getattr(events, "root", None)
    root_name = _local(root.tag) if root is not None else None
    if problem is None and root_name is None:
        problem = "is empty"
    if problem is None and len(events.error_log):
        error = events.error_log[0]
        problem = f"is malformed XML (line {error.line}: {error.message.strip()})"
    if problem is None and root_name not in ("urlset", "sitemapindex"):
        problem = f"is not a sitemap (the document is <{root_name}>)"
    return ParsedSitemap(is_index=root_name == "sitemapindex", entries=entries, problem=problem)


def _entry(node: etree._Element) -> SitemapEntry | None:
    loc = lastmod = None
    images: list[str] = []
    translations: list[str] = []
    for child in node.iter():
        name = _local(child.tag)
        text = (child.text or "").strip()
        if name == "loc" and child.getparent() is node:
            loc = text
        elif name == "lastmod":
            lastmod = text or None
        elif name == "loc" and text:
            images.append(text)
        elif name == "link" and child.get("rel") == "alternate" and child.get("href"):
            translations.append(child.get("href").strip())
    if not loc:
        return None
    return SitemapEntry(loc=loc, lastmod=lastmod, images=tuple(images),
                        translations=tuple(t for t in dict.fromkeys(translations) if t != loc))


def translations_elsewhere(entries: list[SitemapEntry], roots: Sequence[str]) -> dict[str, str]:
    """The translations the entries list on another host than the site's `roots` (Wix serves
    each language of a multilingual site at a subdomain of its own, fr.example.com, with its own
    sitemaps), by URL: the root of the site each belongs to. They are not crawled uninvited."""
    found: dict[str, str] = {}
    for entry in entries:
        for url in entry.translations:
            if (url not in found and parses(url) and urlsplit(url).scheme in ("http", "https")
                    and not in_any_site(url, roots)):
                try:
                    found[url] = site_root(url)
                except BadURL:
                    continue
    return found


def with_translations(entries: list[SitemapEntry]) -> Iterator[SitemapEntry]:
    """Each entry, then its translations as entries of their own (with its lastmod), each URL
    once: a multilingual site lists a post's other languages only as its alternates."""
    seen: set[str] = set()
    for entry in entries:
        for loc in (entry.loc, *entry.translations):
            if loc not in seen:
                seen.add(loc)
                yield entry if loc == entry.loc else SitemapEntry(loc, entry.lastmod)


def lastmod_not_after(lastmod: str, fetched_at: str) -> bool:
    """Whether a sitemap lastmod (a date, or a timestamp) is no later than a fetch time; one
    that does not parse is taken as later (the post is then fetched, conditionally)."""
    if len(lastmod) <= 10:
        return lastmod <= fetched_at[:10]
    try:
        return datetime.fromisoformat(lastmod) <= datetime.fromisoformat(fetched_at)
    except (ValueError, TypeError):  # TypeError: a timestamp without its zone
        return False
