"""Bytes in, an lxml tree out: charset detection, parsing, and page classification.

Decoding trusts the bytes over the labels: a page that parses cleanly as UTF-8 is UTF-8 whatever
its header says (mislabelled Wix mirrors are common), and so is one whose non-ASCII text is
mostly UTF-8 (a stray byte replaced, as a browser does); otherwise the declared charset (HTTP
header, then <meta>) is used, then cp1252 as a last resort.
"""

from __future__ import annotations

import codecs
import re
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from crawler.clean.error_pages import ERROR_TITLE
from crawler.extract.limits import MAX_RAW_TEXT_ELEMENTS, bound_markup, parser_limits
from crawler.extract.metadata import Head

_LOCAL = threading.local()  # one parser per thread: the crawler extracts in worker threads


def _parser() -> etree.HTMLParser:
    """This thread's parser (lxml parsers and their error logs must not be shared).

    Everything is fed as UTF-8; huge_tree lets 20 MB pages with long text nodes through. The
    plain etree parser, not lxml.html's: its HtmlElement class lookup runs Python code per
    element. collect_ids=False: no id hash table, which nothing here uses.
    """
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.HTMLParser(
            encoding="utf-8", huge_tree=True, remove_comments=True, collect_ids=False
        )
    return parser


# UTF-8's BOM is handled apart (stripped, no re-encoding); UTF-32 is tested before UTF-16
# because the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([\w.:-]+)", re.I)


# Feeds and sitemaps are XML that the crawl reads to find posts (crawler.discover). Parsed as
# HTML they would pass for a page: a feed's CDATA bodies as its text, a sitemap's URLs and dates.
# Only the document's root is looked at: its start, past the XML declaration, processing
# instructions (xml-stylesheet) and comments.
_XML_ROOT = re.compile(
    rb"\s*(?:<\?[^>]{0,500}>\s*|<!--.{0,2000}?-->\s*)*<(rss|feed|rdf:RDF|urlset|sitemapindex)[\s>]",
    re.I | re.S)
_XML_KINDS = {b"rss": "an RSS feed", b"rdf:rdf": "an RSS feed", b"feed": "an Atom feed",
              b"urlset": "a sitemap", b"sitemapindex": "a sitemap index"}

# Any tag, comment or doctype: an HTML page or fragment, however broken, has one ("<p>text" is
# read as HTML). A document without any is a text file (a dump, a TSV, a log): parsed as HTML it
# would pass for a not-Wix page whose text the trafilatura fallback reads, dates and all.
_MARKUP = re.compile(rb"<(?:[a-zA-Z][a-zA-Z0-9-]*[\s/>]|!|/[a-zA-Z])")


def has_markup(data: bytes) -> bool:
    """Whether `data` holds at least one HTML tag, comment or doctype (a C-speed scan, stopped at
    the first: a page has one in its first bytes)."""
    return _MARKUP.search(data) is not None


# Content-Types that are never markup (text/plain or octet-stream may still be mislabelled HTML).
_NOT_HTML_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])
_INVALID_ENCODING = (etree.ErrorTypes.ERR_INVALID_ENCODING,)


class BadInput(ValueError):
    """The input is not an HTML document at all (empty, binary, text without markup)."""


# BadInput's message for a document without any tag: `wixarchive extract` words it for a file.
NO_MARKUP = "no HTML markup: a text file (wixarchive clean reads text dumps)"


@dataclass
class Page:
    """A parsed document plus what decoding had to say about it."""

    root: etree._Element
    warnings: list[str] = field(default_factory=list)


def _declared_charset(data: bytes, content_type: str | None) -> str | None:
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        if match:
            return match.group(1)
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", "replace") if match else None


def looks_binary(data: bytes) -> bool:
    """Many control bytes (NULs among them) in the head mean an image or an archive, not
    markup. A stray NUL does not: browsers render a text/html page holding one (their HTML
    parser drops it from the text), and Scrapy's sniffing (binary_is_text) ignores NULs."""
    head = data[:8192]
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > max(1, len(head) // 20)


def _redecode(data: bytes, declared: str | None, warnings: list[str]) -> bytes:
    """Bytes that are not UTF-8: UTF-8 still when most of their non-ASCII text is (a stray byte
    in a UTF-8 page), else the declared charset if it fits, else cp1252, as UTF-8."""
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd")
    # Each stray byte makes one U+FFFD; text in a single-byte charset read as UTF-8 makes almost
    # only those (an accented letter before ASCII is never a UTF-8 sequence). Decoding a UTF-8
    # page whole as cp1252 for one stray byte would garble all its other letters, silently.
    valid = len(text) - len(text.encode("ascii", "ignore")) - replaced
    if valid > replaced:
        warnings.append(f"{replaced} byte(s) not valid UTF-8 replaced (the rest of the page is "
                        "UTF-8)")
        return text.encode("utf-8")
    norm = _codec_name(declared)
    if declared and norm is None:
        warnings.append(f"unknown charset {declared!r}")
    for name in (norm, "cp1252"):
        if name is None or name == "utf-8":
            continue
        try:
            return data.decode(name).encode("utf-8")
        except UnicodeDecodeError:
            continue
    warnings.append("undecodable bytes replaced (no charset fits the document)")
    return data.decode("utf-8", "replace").encode("utf-8")


def _codec_name(declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        return codecs.lookup(declared).name
    except LookupError:
        return None


# Raw-text elements whose content extraction never reads. Wix pages are ~90% inline CSS and
# JSON/JS by bytes; libxml2 copies that text at well under 1 GB/s, so cutting it out first (C-speed
# regex scans) makes the parse ~30% cheaper. JSON-LD scripts are kept: the metadata reads them.
# Comments are stepped over whole, so a "<script" inside one starts nothing.
_RAW_TEXT_OPEN = re.compile(rb"<!--|<(script|style)(?=[\s/>])([^>]{0,4096})>", re.I)
_RAW_TEXT_CLOSE = {
    None: re.compile(rb"-->"),
    b"script": re.compile(rb"</script(?=[\s/>])", re.I),
    b"style": re.compile(rb"</style(?=[\s/>])", re.I),
}


def drop_raw_text(data: bytes) -> bytes:
    """`data` with the content of <script> (but JSON-LD) and <style> elements removed.

    The tags themselves stay (the Wix check looks for script ids). Like an HTML parser, the
    content ends at the first matching end tag; an unclosed element is left as it is.
    """
    pieces: list[bytes] = []
    start = pos = 0
    find_open = _RAW_TEXT_OPEN.search
    # A Python step per element: past the limit the rest stays as it is (bound_markup caps it).
    for _ in range(MAX_RAW_TEXT_ELEMENTS):
        if (opening := find_open(data, pos)) is None:
            break
        name = opening.group(1) and opening.group(1).lower()  # None for a comment
        closing = _raw_text_end(data, name, opening.end())
        if closing is None:
            break
        if name is not None and not (name == b"script" and b"ld+json" in opening.group(2)):
            pieces.append(data[start : opening.end()])
            start = closing[0]
        pos = closing[1]
    if not pieces:
        return data
    pieces.append(data[start:])
    return b"".join(pieces)


# What the end tag's lookahead accepts after the name: \s of a bytes pattern, "/" and ">".
_AFTER_END_TAG = b" \t\n\r\f\v/>"
_END_TAG_TRIES = 32


def _raw_text_end(data: bytes, name: bytes | None, start: int) -> tuple[int, int] | None:
    """Where _RAW_TEXT_CLOSE[name] first matches from `start`: (start, end), or None.

    Script and style text is most of a Wix page's bytes and holds few "<": stepping from one
    "<" to the next with bytes.find (memchr) reads it ~5x faster than the case-insensitive
    regex, which takes over should one element hold many "<" that are not its end tag.
    """
    if name is None:
        at = data.find(b"-->", start)
        return (at, at + 3) if at >= 0 else None
    end_tag = b"/" + name
    size = len(end_tag) + 1
    pos = start
    for _ in range(_END_TAG_TRIES):
        at = data.find(b"<", pos)
        if at < 0:
            return None
        after = data[at + size : at + size + 1]
        if after and after in _AFTER_END_TAG and data[at + 1 : at + size].lower() == end_tag:
            return at, at + size
        pos = at + 1
    match = _RAW_TEXT_CLOSE[name].search(data, pos)
    return (match.start(), match.end()) if match else None


def _parse_utf8(data: bytes) -> tuple[etree._Element | None, bool]:
    """Parse UTF-8 bytes; also say whether libxml2 met bytes that are not valid UTF-8.

    Letting the parser report invalid bytes saves a full Python-side UTF-8 validation pass.
    """
    try:
        root = etree.fromstring(data, parser := _parser())
    except etree.ParserError as exc:  # whitespace- or comment-only input
        raise BadInput(f"unparseable document: {exc}") from exc
    return root, bool(parser.error_log.filter_types(_INVALID_ENCODING))


def parse(source: str | bytes, content_type: str | None = None) -> Page:
    """Decode and parse; raise BadInput when there is no document to speak of.

    Bytes are trusted over labels: a page that parses cleanly as UTF-8 is UTF-8 whatever its
    header or <meta> says (mislabelled mirrors are common), as is one whose non-ASCII text is
    mostly UTF-8; otherwise the declared charset is used, then cp1252.
    """
    warnings: list[str] = []
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type.startswith(_NOT_HTML_TYPES):
        raise BadInput(f"not an HTML document (Content-Type {media_type})")
    if isinstance(source, str):
        data = source.encode("utf-8", "replace")
        if looks_binary(data):
            raise BadInput("binary data, not an HTML document")
        declared = None
    else:
        data = bytes(source)
        declared = None
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        for bom, name in _BOMS:
            if data.startswith(bom):
                data = data.decode(name, "replace").encode("utf-8")
                break
        else:
            if looks_binary(data):
                raise BadInput("binary data, not an HTML document")
            declared = _declared_charset(data, content_type)
    if b"\x00" in data:  # dropped, as a browser's HTML parser drops a NUL in text
        data = data.replace(b"\x00", b"")
    if not data or data.isspace():
        raise BadInput("empty document")
    if xml_root := _XML_ROOT.match(data, 0, 8192):
        kind = _XML_KINDS[xml_root.group(1).lower()]
        raise BadInput(f"{kind}, not an HTML page (wixarchive crawl reads feeds and sitemaps "
                       "to find a blog's posts)")
    if not has_markup(data):
        raise BadInput(NO_MARKUP)
    data = bound_markup(drop_raw_text(data), warnings)
    root, invalid = _parse_utf8(data)
    if invalid:
        del root  # one tree at a time
        data = _redecode(data, declared, warnings)
        root, _ = _parse_utf8(data)
    elif _codec_name(declared) not in (None, "utf-8", "ascii") and not data.isascii():
        warnings.append(f"declared charset {declared!r} is wrong: the bytes are UTF-8")
    parser_limits(_parser(), warnings)
    if root is None or not len(root):
        raise BadInput("empty document")
    return Page(root, warnings)


def is_wix(root: etree._Element, generator: str | None) -> bool:
    """Wix's own generator tag, or its page skeleton when that tag was stripped."""
    if generator and generator.startswith("Wix"):
        return True
    return bool(
        root.xpath(
            'boolean(//div[@id="SITE_CONTAINER"] | //*[@data-hook="post-page"]'
            ' | //script[@id="wix-viewer-model" or @id="wix-essential-viewer-model"])'
        )
    )


def _has_cards(root: etree._Element) -> bool:
    return root.xpath('boolean(//*[@data-hook="post-list-item" or @data-hook="feed-page-root"])')


def classify(
    root: etree._Element,
    scope: etree._Element | None,
    url: str | None,
    head: Head,
    blog_postings: int = 0,
    bound: bool = False,
) -> str:
    """One of record.PAGE_KINDS. `scope` is the main post article, if there is one;
    `blog_postings` the number of different posts the page's JSON-LD BlogPostings describe;
    `bound` whether one is an item page's mainEntity.

    What the page says about itself comes first: a Wix page whose og:type is "article" with
    exactly one BlogPosting is a post whatever else it shows (element-built post pages and
    CMS item pages list related posts as cards); so is a CMS item page bound to one posting
    (`ItemPage.mainEntity`), whose og:type Wix leaves at "website". Then
    article[data-hook=post] marks the blog's post page; the one exception is a blog home that
    shows a post inline above its cards, which a "website" head plus post cards gives away
    (the generic-head translation page has no cards).
    """
    og_type = head.meta.get("og:type")
    if blog_postings == 1 and (og_type == "article" or bound) and \
            is_wix(root, head.meta.get("generator")):
        return "post"
    if scope is not None and (og_type != "website" or not _has_cards(root)):
        return "post"
    title = head.title or ""
    if not is_wix(root, head.meta.get("generator")):
        return "error" if ERROR_TITLE.search(title) else "not-wix"
    # Mirrors leave og:url absolute, so it locates the page when no URL is given.
    path = urlsplit(url or head.meta.get("og:url") or "").path.lower()
    has_cards = _has_cards(root)
    if "/categories/" in path or root.xpath(
        'boolean(//*[@data-hook="category-pagination-container"])'
    ):
        return "category"
    if re.search(r"/(?:tags|hashtags)/", path) or root.xpath(
        'boolean(//*[@data-hook="tags-pagination-container"'
        ' or @data-hook="hashtag-pagination-container"])'
    ):
        return "tag"
    if og_type == "article" and not head.json_ld:
        # Wix gives og:type "article" to blog post pages only (every post of the real corpus,
        # no other page): one that says so and carries no JSON-LD to say otherwise (a Forum
        # post's DiscussionForumPosting, several posts) is a post in a layout not recognised
        # above (its body: crawler.extract.elements).
        return "post"
    if has_cards:
        return "listing"
    if ERROR_TITLE.search(title):
        return "error"
    return "other"
