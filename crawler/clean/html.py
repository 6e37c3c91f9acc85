"""Chrome detection inside the post scope, and sanitizing the body HTML we emit.

Chrome is removed structurally (by Wix data-hooks and ids), never by matching text, because
chrome phrases ("Comments", "Share") are also ordinary words in posts. The phrase list below is
only used to *audit* output (tests, benchmark), not to filter it.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urljoin

import nh3
from lxml import etree

# Widgets that can sit inside or next to the post body: counters, likes, share bar, menus,
# Recent Posts cards, comments, the blog sub-header, skip anchors, the free-plan banner.
CHROME_HOOKS = (
    "recent-posts",
    "recent-post-list-item",
    "post-footer",
    "post-main-actions-desktop",
    "post-main-actions-mobile",
    "post-main-actions__stats",
    "post-stats",
    "like-button",
    "like-button-with-count__like-count",
    "more-button",
    "share-button__facebook",
    "share-button__twitter",
    "share-button__linked-in",
    "share-button__link",
    "share-button__print",
    "blog-desktop-header-container",
    "login-button",
    "search-input",
    "skeleton-loader",
    "comment-box-placeholder",
    "top-level-comment-list",
    "wc-header-title",
    "tag-cloud-root",
    "category-label-list__item",
)
CHROME_IDS = ("SCROLL_TO_TOP", "SCROLL_TO_BOTTOM", "SKIP_TO_CONTENT_BTN", "WIX_ADS")
# Elements that never carry body text (iframes are kept: in a body they are video embeds).
NON_CONTENT_TAGS = ("script", "style", "noscript", "template", "svg", "button", "form")

CHROME_HOOK_SET = frozenset(CHROME_HOOKS)
CHROME_ID_SET = frozenset(CHROME_IDS)
NON_CONTENT_SET = frozenset(NON_CONTENT_TAGS)


def is_chrome(el: etree._Element) -> bool:
    """True for a widget or non-content element that must not reach the body.

    A predicate rather than a tree rewrite: the body walker consults it per element, which is
    cheaper than an XPath sweep plus removals and leaves the parsed tree untouched.
    """
    if el.tag in NON_CONTENT_SET:
        return True
    hook = el.get("data-hook")
    if hook and (hook in CHROME_HOOK_SET or hook.startswith("wc-root")):
        return True
    return el.get("id") in CHROME_ID_SET


# Chrome phrases seen on real Wix pages (wix-dom.md, wix-text-chrome.md), localized variants
# included. `find_chrome` flags lines made only of these (and counters).
CHROME_PHRASES = (
    "top of page",
    "bottom of page",
    "Skip to Main Content",
    "Recent Posts",
    "Related Posts",
    "See All",
    "Post not marked as liked",
    "Log in / Sign up",
    "Write a comment",
    "Comments",
    "Commentaires",
    "Comentários",
    "Comentarios",
    "Kommentare",
    "Use tab to navigate through the menu items.",
    "Share via Facebook",
    "Share via link",
    "Print Post",
    "More actions",
    "Writer's picture",
    "Aktuelle Beiträge",
    "Alle ansehen",
    "Posts récents",
    "Voir tout",
    "Vous n'aimez plus ce post",
    "Entradas recientes",
    "Ver todo",
    "Posts recentes",
    "Ver tudo",
    "أحدث منشورات",
    "عرض الكل",
    "Recente blogposts",
    "Alles weergeven",
    "Nejnovější příspěvky",
    "Zobrazit vše",
    "This site was designed with the",
    "Este sitio web fue creado con Wix",
)
_PHRASES_LONGEST_FIRST = sorted(CHROME_PHRASES, key=len, reverse=True)
# View/comment/like counters in the locales seen: "27 views", "42 vues 0 commentaire",
# "1 weergave 0 opmerkingen", "مشاهدة واحدة (١) ٠ تعليق".
_COUNTER = re.compile(
    r"(?:[\d٠-٩]+\s*(?:views?|comments?|likes?|vues?|commentaires?|weergaven?|opmerkingen|"
    r"visualizaciones|comentarios|visualizações|comentários|Aufrufe|Kommentare|تعليق)"
    r"|مشاهدة واحدة\s*\([\d٠-٩]+\)|[\d٠-٩]+\s*مشاهدات?)"
)
_WORD = re.compile(r"[^\W\d_]")  # a letter


def find_chrome(text: str) -> list[str]:
    """Chrome found in `text`: lines made of chrome phrases and counters and nothing else.

    Whole-line, case-sensitive matching keeps prose like "at the top of page 3" or a Spanish
    "ver todo el puerto" from counting as leaks, while glued widget text ("27 views0 comments")
    still does.
    """
    found: list[str] = []
    for line in text.splitlines():
        rest = line.strip().rstrip(".…")
        if not rest:
            continue
        hits = []
        for phrase in _PHRASES_LONGEST_FIRST:
            if phrase in rest:
                hits.append(phrase)
                rest = rest.replace(phrase, " ")
        counters = _COUNTER.findall(rest)
        rest = _COUNTER.sub(" ", rest)
        if (hits or counters) and not _WORD.search(rest):
            found.extend(hits + counters)
    return found


ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
    "a", "strong", "b", "em", "i", "u", "s", "sub", "sup", "br", "hr", "figure", "figcaption",
    "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_DIR = {"dir"}  # the extractor marks right-to-left blocks dir="auto"
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt"},
    **{tag: _DIR for tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "th",
                             "td")},
    "figcaption": _DIR,
    "ol": {"start"},  # a list continued after a paragraph goes on counting
}


# The only schemes a link or image in an archived body may have; anything else (javascript:,
# vbscript:, data:, file:…) is dropped, whatever its case or disguise. Relative URLs are kept.
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# WHATWG URL parsing: C0 controls and space are stripped from both ends, tab and newlines removed
# anywhere, then the scheme is an ASCII letter followed by letters, digits, "+", "-" or ".".
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_AND_NEWLINES = dict.fromkeys(map(ord, "\t\n\r"), None)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(url: str) -> str | None:
    """The scheme a browser, or a Markdown renderer, reads at the start of `url`, lower-cased;
    None for a relative URL.

    Character references are decoded first ("javascript&colon;", "&#106;avascript:") and
    backslashes dropped ("javascript\\:"), as CommonMark does in link destinations: the URL lands
    in body_markdown as written. Decoding can only reveal a scheme, so a URL that looks relative
    here is relative to every reader.
    """
    for _ in range(3):  # nested references ("&amp;colon;") decode one level per renderer pass
        decoded = html.unescape(url)
        if decoded == url:
            break
        url = decoded
    url = url.replace("\\", "").strip(_C0_AND_SPACE).translate(_TAB_AND_NEWLINES)
    match = _SCHEME.match(url)
    return match.group(1).lower() if match else None


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def clean_url(url: str) -> str:
    """`url` as a browser reads it (ends stripped, tabs and newlines removed), with any other
    whitespace or control character percent-encoded: in a Markdown link a space or line break
    would end the destination and let the rest of the URL be read as a link of its own."""
    url = url.strip(_C0_AND_SPACE).translate(_TAB_AND_NEWLINES)
    return _SPACE_OR_CONTROL.sub(lambda m: quote(m.group()), url)


_MD_DESTINATION_UNSAFE = {ord(c): f"%{ord(c):02X}" for c in "()<> "}


def markdown_url(url: str) -> str:
    """A `clean_url` URL as a Markdown link, image or autolink destination: parentheses and
    angle brackets percent-encoded, so no part of the URL can close the destination early and
    leave the rest (say "[x](javascript:…)") to be read as a link of its own."""
    return url.translate(_MD_DESTINATION_UNSAFE)


def safe_url(
    url: str | None, base: str | None = None, schemes: frozenset[str] = SAFE_SCHEMES
) -> str | None:
    """`url` if its scheme is allowed, made absolute against `base` when relative; else None.
    The result is `clean_url`-clean."""
    if not url:
        return None
    scheme = url_scheme(url)
    if scheme is None:
        return clean_url(urljoin(base, url) if base else url)
    return clean_url(url) if scheme in schemes else None


# nh3 (ammonia) takes time quadratic in the number of "&" in one text node: one paragraph of
# 350,000 "&amp;" cost 13 s. Past a count no real post reaches, "&amp;" is swapped for a
# private-use character the fragment does not hold, and back: the same output, in linear time.
_AMP = "&amp;"
_AMP_STAND_IN = "\ue001"
_AMP_SWAP_FROM = 1_000


# Built once: nh3.clean builds a sanitizer from its options on every call (~15 µs, a tenth
# of a generated post's extraction past the parse). Its clean() may run in several threads.
_BODY_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=set(SAFE_SCHEMES),
    link_rel="noopener noreferrer",
)


def sanitize_html(fragment: str) -> str:
    """Whitelist-sanitize body HTML: structure, links and images only, no scripts or styles."""
    swap = fragment.count(_AMP) > _AMP_SWAP_FROM and _AMP_STAND_IN not in fragment
    if swap:
        fragment = fragment.replace(_AMP, _AMP_STAND_IN)
    clean = _BODY_CLEANER.clean(fragment)
    return clean.replace(_AMP_STAND_IN, _AMP) if swap else clean
