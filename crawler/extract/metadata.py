"""Post metadata from the <head> (meta, JSON-LD, links) and the post header in the DOM.

Precedence follows what a reader sees first, then the machine-readable copies: the visible h1
beats JSON-LD `headline`, which beats og:title, which beats <title> (the SEO title can differ
from the h1). Dates come from article:* meta or JSON-LD; the localized display text ("17 de dez.
de 2018") only gives the published day of a page that has neither, with a warning.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from crawler.clean.html import url_scheme
from crawler.extract.body import full_size_url
from crawler.extract.dates import parse_display_date, parse_machine_date, same_moment
from crawler.extract.limits import MAX_JSON_LD_CHARS

_POSTING_TYPES = {"BlogPosting", "Article", "NewsArticle", "BlogPost", "Posting", "Report"}
_HEX24 = re.compile(r"\b([0-9a-f]{24})\b")
_FIRST_NUMBER = re.compile(r"\d+")  # \d matches Arabic-Indic digits too; int() reads them


def clean_space(value: str | None) -> str | None:
    """Collapse whitespace; None for empty values."""
    if value is None:
        return None
    text = " ".join(value.split())
    return text or None


@dataclass
class Head:
    """What the <head> says: meta tags, canonical link, <title>, JSON-LD texts."""

    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    title: str | None = None
    json_ld: list[str] = field(default_factory=list)
    lang: str | None = None  # <html lang>
    # <link rel="alternate" hreflang="en-us" href="…">: the page in each of the site's
    # languages (Wix writes one per language, the default one's without `?lang=`).
    alternates: dict[str, str] = field(default_factory=dict)


def read_head(root: etree._Element) -> Head:
    """One pass over the head's children (Wix puts every one of these directly in <head>).

    Scanning the whole tree with `//meta` costs more than the rest of the metadata step.
    """
    head = root.find("head")
    found = Head(lang=root.get("lang"))
    for el in head if head is not None else ():
        tag = el.tag
        if tag == "meta":
            key = el.get("property") or el.get("name") or el.get("itemprop")
            content = el.get("content")
            if key and content is not None:
                found.meta.setdefault(key.strip().lower(), content)
        elif tag == "link":
            rel = (el.get("rel") or "").lower().split()
            if "canonical" in rel and found.canonical is None:
                found.canonical = el.get("href")
            elif "alternate" in rel and el.get("hreflang") and el.get("href"):
                found.alternates.setdefault(el.get("hreflang", "").strip().lower(),
                                            el.get("href", ""))
        elif tag == "title" and found.title is None:
            found.title = "".join(el.itertext())
        elif tag == "script" and el.get("type") == "application/ld+json" and el.text:
            found.json_ld.append(el.text)
    return found


def _unescape(value: Any) -> Any:
    """Wix puts HTML entities inside JSON-LD strings (&quot;, &#010;): decode them everywhere."""
    if isinstance(value, str):
        return html.unescape(value)
    if isinstance(value, list):
        return [_unescape(item) for item in value]
    if isinstance(value, dict):
        return {key: _unescape(item) for key, item in value.items()}
    return value


_PAGE_TYPES = {"ItemPage", "itemPage", "WebPage"}


def _candidates(data: Any, depth: int = 0, bound: bool = False) -> list[tuple[dict, bool]]:
    """Every JSON-LD object, each with whether it is a page's mainEntity (bound to the page)."""
    if depth > 8:  # real JSON-LD nests 2-3 levels; deeper is junk
        return []
    if isinstance(data, list):
        return [item for part in data for item in _candidates(part, depth + 1, bound)]
    if isinstance(data, dict):
        # An itemPage/WebPage can carry the post as its mainEntity (CMS item pages).
        page = bool(_kinds(data) & _PAGE_TYPES)
        return [(data, bound), *_candidates(data.get("@graph", []), depth + 1),
                *_candidates(data.get("mainEntity", []), depth + 1, page)]
    return []


def _kinds(item: dict[str, Any]) -> set[str]:
    kinds = item.get("@type")
    # Only strings count: a dict or list "@type" is junk (and unhashable).
    return {k for k in (kinds if isinstance(kinds, list) else [kinds]) if isinstance(k, str)}


class Postings(list):
    """The page's JSON-LD postings; `bound` says one is an item page's mainEntity."""

    bound = False


def read_postings(scripts: list[str], warnings: list[str]) -> Postings:
    """Every distinct BlogPosting-like JSON-LD object, entity-decoded, in page order.

    Malformed scripts are skipped with a warning; a posting repeated verbatim (some sites paste
    the SEO block twice) counts once, with a warning.
    """
    found = Postings()
    seen: list[dict[str, Any]] = []
    duplicated = False
    for script in scripts:
        if len(script) > MAX_JSON_LD_CHARS:  # a post's is a few KB; this size is an attack
            warnings.append(f"JSON-LD of {len(script):,} characters is over the limit: ignored")
            continue
        try:
            data = json.loads(script, strict=False)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than json allows
            warnings.append("malformed JSON-LD ignored")
            continue
        for item, bound in _candidates(data):
            if _kinds(item) & _POSTING_TYPES:
                found.bound |= bound and is_blog_posting(item)
                if item in seen:  # dict equality: the same posting pasted twice
                    duplicated = True
                    continue
                seen.append(item)
                try:
                    found.append(_unescape(item))
                except RecursionError:  # nested as deep as json.loads allows
                    warnings.append("malformed JSON-LD ignored")
    if duplicated:
        warnings.append("duplicated JSON-LD posting counted once")
    return found


def is_blog_posting(item: dict[str, Any]) -> bool:
    return "BlogPosting" in _kinds(item)


def _post_key(item: dict[str, Any]) -> set[str]:
    """What names the post a posting describes: its headline and its URLs."""
    keys = set()
    headline = item.get("headline")
    if isinstance(headline, str) and headline.strip():
        keys.add("h:" + " ".join(html.unescape(headline).split()).casefold())
    page = item.get("mainEntityOfPage")
    for url in (item.get("url"), page.get("@id") if isinstance(page, dict) else page):
        if isinstance(url, str) and url.strip():
            keys.add("u:" + url.strip().rstrip("/"))
    return keys


def count_blog_postings(postings: list[dict[str, Any]], warnings: list[str]) -> int:
    """How many different posts the page's BlogPostings describe. Copies of one post's posting
    that disagree (a second SEO block with another date) are one post: the page's own
    metadata then decides, with a warning."""
    blog = [item for item in postings if is_blog_posting(item)]
    if len(blog) < 2:
        return len(blog)
    first = _post_key(blog[0])
    if first and all(_post_key(item) & first for item in blog[1:]):
        warnings.append(f"{len(blog)} JSON-LD postings of the same post disagree: the page's "
                        "own metadata wins")
        return 1
    return len(blog)


def _name(value: Any) -> str | None:
    """JSON-LD author/publisher: a dict with name, a list of them, or a bare string."""
    if isinstance(value, list):
        names = [name for name in map(_name, value) if name]
        return ", ".join(names) or None
    if isinstance(value, dict):
        value = value.get("name")
    return clean_space(value) if isinstance(value, str) else None


def _image_url(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) and value else None


_HEADER_HOOKS = (
    "post-title",
    "user-name",
    "time-to-read",
    "time-ago",
    "tag-cloud-root",
    "category-label-list__item",
    "link",
    "post-footer",
)
_HEADER_HOOK_SET = frozenset(_HEADER_HOOKS)
# One scan of the article for every header field, filtered in Python: libxml2 evaluates a
# predicate with six string comparisons several times slower than this bare attribute test.
_HOOKED = etree.XPath("descendant::*[@data-hook]")
_WC_ROOT = etree.XPath('descendant-or-self::*[starts-with(@data-hook, "wc-root ")][1]')
_WC_ROOT_AFTER = etree.XPath('following::*[starts-with(@data-hook, "wc-root ")][1]')


def text_of(el: etree._Element) -> str | None:
    return clean_space("".join(el.itertext()))


def read_post_header(scope: etree._Element | None) -> dict[str, Any]:
    """Title, author, reading time, tags and categories as shown in the post's own DOM."""
    found: dict[str, Any] = {"tags": [], "categories": []}
    if scope is None:
        return found
    for el in _HOOKED(scope):
        hook = el.get("data-hook")
        if hook not in _HEADER_HOOK_SET:
            continue
        if hook in ("post-title", "user-name", "time-to-read", "time-ago"):
            if hook not in found:
                text = text_of(el)
                if text:
                    found[hook] = text
        elif hook == "tag-cloud-root":
            _add(found["tags"], el.iter("a"))
        elif hook == "category-label-list__item":
            _add(found["categories"], [el])
        elif hook == "link":  # classic footers also link categories with a generic hook
            if el.tag == "a" and "/categories/" in el.get("href", ""):
                _add(found["categories"], [el])
        else:  # post-footer: newer builds link categories without a dedicated hook
            _add(
                found["categories"],
                (a for a in el.iter("a") if "/categories/" in a.get("href", "")),
            )
    return found


def _add(values: list[str], elements: Any) -> None:
    for el in elements:
        text = text_of(el)
        if text and text not in values:
            values.append(text)


def absolute(url: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL, or None (mirrors rewrite links to relative local files)."""
    if not url:
        return None
    url = url.strip()
    scheme = url_scheme(url)
    if scheme in ("http", "https"):
        return url
    if scheme is None and base and url_scheme(base) in ("http", "https"):
        return urljoin(base, url)
    return None


def extract_metadata(
    head: Head,
    scope: etree._Element | None,
    url: str | None,
    warnings: list[str],
    postings: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Every Article field except the body ones. `scope` is the main post article, if any;
    `postings` the page's JSON-LD postings when the caller has read them already."""
    meta = head.meta
    if postings is None:
        postings = read_postings(head.json_ld, warnings)
    ld = postings[0] if postings else {}
    header = read_post_header(scope)
    og_url = absolute(meta.get("og:url"), None)
    # Wix always writes an absolute canonical; a relative one is a mirror's rewrite to a local
    # file, so it is only resolved against a URL the caller vouches for.
    canonical = absolute(head.canonical, url)
    # JSON-LD values are whatever JSON the page wrote ("url": true, "inLanguage": ["en"]): only
    # a string is read as one.
    canonical = canonical or og_url or absolute(_str(ld.get("url")), None)

    _check_visible("title", header.get("post-title"), ld.get("headline"), warnings)
    _check_visible("author", header.get("user-name"), _name(ld.get("author")), warnings)
    title = (
        header.get("post-title")
        or clean_space(ld.get("headline") if isinstance(ld.get("headline"), str) else None)
        or clean_space(meta.get("og:title"))
        or clean_space(meta.get("twitter:title"))
        or clean_space(head.title)
    )
    author = (
        header.get("user-name")
        or _name(ld.get("author"))
        or clean_space(meta.get("article:author"))
    )
    reading = header.get("time-to-read")
    number = _FIRST_NUMBER.search(reading) if reading else None
    language = head.lang or meta.get("og:locale") or _str(ld.get("inLanguage"))

    readings: dict[str, str | None] = {}
    return {
        "title": title,
        "author": author,
        "published": _date(
            "published", meta.get("article:published_time"), ld.get("datePublished"), warnings,
            readings,
        ) or _shown_date(header.get("time-ago"), language, warnings),
        "modified": _date(
            "modified", meta.get("article:modified_time"), ld.get("dateModified"), warnings,
            readings,
        ),
        "reading_minutes": int(number.group(0)) if number else None,
        "tags": header["tags"],
        "categories": header["categories"],
        "language": clean_space(language.replace("_", "-")) if language else None,
        "canonical_url": canonical,
        "language_urls": {tag: href for tag, link in head.alternates.items()
                          if (href := absolute(link, url))},
        "description": clean_space(meta.get("description"))
        or clean_space(meta.get("og:description"))
        or clean_space(_str(ld.get("description"))),
        "site_name": clean_space(meta.get("og:site_name")) or _name(ld.get("publisher")),
        "cover_image": full_size_url(
            absolute(meta.get("og:image"), url) or _image_url(ld.get("image"))
        ),
        "post_id": _post_id(ld, scope),
        "url": url or canonical,
        "og_type": meta.get("og:type"),
    }


def _date(field_name: str, meta_value: Any, ld_value: Any, warnings: list[str],
          readings: dict[str, str | None]) -> str | None:
    """The meta date, else the JSON-LD one, as ISO 8601 (JavaScript dates converted).
    `readings` holds the page's dates read so far: a page states each date two to four times
    (meta and JSON-LD, published and modified often equal), and dateutil or strptime take
    ~20 µs a reading."""
    found = None
    for value in (meta_value, ld_value):
        if isinstance(value, str) and value.strip():
            if value not in readings:
                readings[value] = parse_machine_date(value)
            parsed = readings[value]
            if parsed is None:
                warnings.append(f"unreadable {field_name} date ignored: {clean_space(value)!r}")
            elif found is None:
                found = parsed
            elif not same_moment(found, parsed):
                warnings.append(f"JSON-LD {field_name} date {parsed} contradicts the meta's "
                                f"{found}: the meta's is kept")
    return found


def _shown_date(shown: str | None, language: str | None, warnings: list[str]) -> str | None:
    """The day the post header shows ("Jun 6, 2019", "17 de dez. de 2018"), for a page whose
    meta and JSON-LD give no date (a copy saved without its <head>, a site whose SEO settings
    dropped them). Only a full date: "Jun 4" (this year) and "5 hours ago" say too little."""
    day = parse_display_date(shown, language)
    if day:
        warnings.append(f"published date read from the post header's {shown!r}: no meta or "
                        "JSON-LD date")
    return day


def _check_visible(
    field_name: str, visible: str | None, ld_value: Any, warnings: list[str]
) -> None:
    """The page's visible title/author win over JSON-LD; a disagreement is worth a warning."""
    stated = clean_space(ld_value) if isinstance(ld_value, str) else None
    if visible and stated and visible.casefold() != stated.casefold():
        warnings.append(f"JSON-LD {field_name} {stated!r} contradicts the page's "
                        f"{visible!r}: the visible one is kept")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _post_id(ld: dict[str, Any], scope: etree._Element | None) -> str | None:
    """Wix's 24-hex post id: some JSON-LD carries it, the SSR comments widget names it
    (`data-hook="wc-root <id>"`). The widget follows the article, so only what comes after
    the article is searched."""
    for value in (ld.get("identifier"), ld.get("@id")):
        if isinstance(value, str) and (match := _HEX24.search(value)):
            return match.group(1)
    if scope is None:
        return None
    # One C-level scan for the first widget after the article: the walk below, which gives
    # the rule exactly, then only runs in the odd case of a widget naming no id.
    first = _WC_ROOT_AFTER(scope)
    if not first:
        return None
    if match := _HEX24.search(first[0].get("data-hook")):
        return match.group(1)
    el = scope
    while el is not None:  # everything after the article, in document order
        for sibling in el.itersiblings():
            for widget in _WC_ROOT(sibling):
                if match := _HEX24.search(widget.get("data-hook")):
                    return match.group(1)
        el = el.getparent()
    return None
