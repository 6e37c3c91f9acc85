"""Locate the main post body and walk its Ricos blocks into text, HTML, Markdown and images.

Every paragraph, heading, list item, quote and caption becomes one text block, so body_text is
"blocks joined by a blank line". HTML and Markdown are rebuilt from the same walk (never the Wix
markup serialised wholesale): only structure, inline emphasis, links, images and video links
survive. Source whitespace collapses, as a browser shows it, except in the Ricos viewer: its CSS
is `white-space: pre-wrap`, so a newline in its text is a line break (a paragraph written as
lines), kept as "\n" in the text, <br> in the HTML and a hard break in the Markdown. A body
re-indented by some tool (a newline followed by indentation between its tags) is not what Wix
served, and collapses whole. Markdown is written here rather than by markdownify because
markdownify re-parses the HTML with BeautifulSoup, which cost more than the whole rest of the
extraction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urljoin

from lxml import etree

from crawler.clean.html import (
    CHROME_HOOK_SET,
    CHROME_ID_SET,
    NON_CONTENT_SET,
    clean_url,
    is_chrome,
    markdown_url,
    safe_url,
    url_scheme,
)
from crawler.clean.ricos import RICOS_NOTE_SET
from crawler.extract.attachments import THUMBNAIL_STYLES, gif_of_loop, thumbnail_video
from crawler.extract.limits import settable

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_TEXT_BLOCKS = {"p", "blockquote", "pre", "figcaption", *_HEADINGS}
_INLINE_KEEP = {"strong", "b", "em", "i", "u", "s", "sub", "sup", "code"}
# Tags that flow within a line of text; any other element is a block of its own.
_INLINE_TAGS = frozenset({*_INLINE_KEEP, "a", "span", "br", "font", "mark", "small", "big",
                          "abbr", "cite", "q", "time", "label", "strike", "del", "ins", "kbd",
                          "var", "samp", "tt", "wbr"})
_SKIP = NON_CONTENT_SET
_MD_MARK = {"strong": "**", "b": "**", "em": "*", "i": "*", "s": "~~"}
# Marks Markdown has no syntax for stay the HTML tags they are (raw inline HTML is Markdown):
# "x<sup>2</sup>" written as "x2" says another number. archive.sanitize keeps exactly these.
_MD_TAGS = frozenset({"u", "sup", "sub"})
# Markdown has no per-paragraph direction: a right-to-left block is wrapped in a <div> that
# gives it one (its Markdown still read as Markdown: a blank line after the tag does it for
# CommonMark, `markdown="1"` for kramdown/Jekyll). archive.sanitize keeps these two lines.
MD_DIRECTION_OPEN = '<div dir="auto" markdown="1">'
MD_DIRECTION_CLOSE = "</div>"
_WIX_MEDIA = "https://static.wixstatic.com/media/"
_SRCSET_SPLIT = re.compile(r",\s+")
# "…/media/<id>~mv2.jpg/v1/fill/w_49,h_65,…,blur_2,…/<name>": the id is the original upload.
_MEDIA_ID = re.compile(r"static\.wixstatic\.com/media/([^/?#\s]+)")
# <br> stands in the text as a private-use character so whitespace collapsing cannot eat it.
_BR = "\ue000"
_SOFT_BREAKS = re.compile(r"\s*\ue000[\s\ue000]*")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")
_MD_LINE_START = re.compile(r"^(\s*)([#>+-])(?=\s)", re.M)
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])(?=\s)", re.M)
_MD_ANY = re.compile(r"[\\`*_\[\]]|^\s*(?:[#>+-]|\d+[.)])\s", re.M)
# _MD_ANY in two parts: without a newline its "^" only matches at the start, and a character
# class scan plus one anchored match cost a third of _MD_ANY's search on every text node.
_MD_SPECIAL_ANY = re.compile(r"[\\`*_\[\]]")
_MD_LINE_SYNTAX = re.compile(r"\s*(?:[#>+-]|\d+[.)])\s")
# A "<" in the text that could open a tag: an entity (but in code, which shows entities as
# written), so that the words "<sup>" stay words beside the tags the walk writes (the
# sanitizer keeps those, and would take the words for one).
_MD_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_BACKTICK_RUN = re.compile(r"`+")
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
# Deeper nesting than any real post (Ricos nests ~15 levels) is flattened, which keeps the
# recursive walk far from Python's recursion limit on hostile or broken markup.
MAX_DEPTH = 150
_VIDEO_HOOKS = ("reactPlayerWrapper", "video-player", "videoViewer")
# The tags and data-hooks walk() reads in a way of their own; any other element is a container.
_SPECIAL_TAGS = frozenset({"ul", "ol", "li", "img", "figure", "hr", "video", "iframe", "table",
                           "td", "th"})
# How far above an image its link may be: Ricos puts 4-5 elements between (a deeper <a> wraps
# far more than the image).
_IMAGE_LINK_LEVELS = 7
# Blocks inside a line's element (a list item's, a link's): each starts a line of its own.
_BREAKING_BLOCKS = frozenset({"p", "div", "section", "header", "footer", "figcaption"})
# A <figcaption> written outside any <figure>: its tags, to become a paragraph's.
_CAPTION_TAGS = re.compile(r"<(/?)figcaption\b")
_SPECIAL_HOOKS = frozenset({"divider-single", *_VIDEO_HOOKS, "buttonViewer", "linkPreviewViewer",
                            "fileUploadViewer", "audio-container"})
# The page Ricos's HTML block loads in its sandbox frame and then writes the embed's markup into
# (plugin-html's IframeHtml, HtmlSrcPath): the same empty page for every embed, not the embed.
_HTML_SANDBOX_PAGE = re.compile(r"/html/[0-9a-f]{32}_v\d+\.html(?:[?#]|$)")
# The audio player's parts that are no words of the post: its times ("0:00 / 3:35" in <time>s),
# play, volume and menu buttons and its seek slider.
_AUDIO_CHROME = etree.XPath("descendant::*[time] | descendant::input | descendant::*[@role="
                            "'slider']")


@dataclass
class Body:
    """The post body in its forms plus its media."""

    blocks: list[str] = field(default_factory=list)
    html: str = ""
    markdown: str = ""
    images: list[str] = field(default_factory=list)
    videos: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)


# Past this a grid is no table to read (and its Markdown, each row padded to the widest, would
# grow as rows x columns).
_MAX_TABLE_COLUMNS = 64
# A table's own rows (not a nested table's), and whether a cell holds more than text and links.
_TABLE_ROWS = etree.XPath("tr | thead/tr | tbody/tr | tfoot/tr")
_COMPLEX_CELL = etree.XPath(
    "boolean(.//*[self::img or self::ul or self::ol or self::table or self::figure "
    "or self::iframe or self::video or self::pre or self::blockquote or self::h1 or self::h2 "
    "or self::h3 or self::h4 or self::h5 or self::h6])")
_TITLE_H1 = etree.XPath('descendant::h1[@data-hook="post-title"][1]')


def find_post_scope(root: etree._Element) -> etree._Element | None:
    """The main post's <article>: the first one (Recent Posts cards are not data-hook=post).

    Should a build drop that <article>, the post is the smallest element holding both the
    post-title h1 (cards use h2/p titles) and a post description.
    """
    article = root.find('.//article[@data-hook="post"]')
    if article is not None:
        return article
    titles = _TITLE_H1(root)
    if not titles:
        return None
    el = titles[0].getparent()
    while el is not None:
        if el.xpath('boolean(descendant::*[@data-hook="post-description"])'):
            return el
        el = el.getparent()
    return None


_RICOS_VIEWER_IDS = frozenset({"content-viewer", "rich-content-viewer"})


def _first(scope: etree._Element, attribute: str, values: frozenset[str] | None) -> \
        etree._Element | None:
    """The first element under `scope` whose `attribute` is one of `values` (or is present, for
    None): a Python scan that stops there, where an XPath comparing attribute strings costs
    ~1 µs an element and reads the whole subtree."""
    for el in scope.iterdescendants(etree.Element):
        value = el.get(attribute)
        if value is not None and (values is None or value in values):
            return el
    return None


_POST_DESCRIPTION = frozenset({"post-description"})


def find_body(scope: etree._Element) -> etree._Element | None:
    """The Ricos viewer inside the post description (classic div, new section)."""
    description = _first(scope, "data-hook", _POST_DESCRIPTION)
    if description is not None:
        viewer = _first(description, "data-rce-version", None)
        if viewer is not None:
            return viewer
    viewer = _first(scope, "data-id", _RICOS_VIEWER_IDS)
    return viewer if viewer is not None else description


def full_size_url(url: str | None, base: str | None = None) -> str | None:
    """An image URL at full size: a Wix media URL becomes its original upload.

    Wix serves "…/media/<id>/v1/fill/w_750,h_1000,…/<name>" renditions (og:image is scaled
    down, body <img src> is a blurred placeholder); "…/media/<id>" is the file as uploaded.
    Mirrors rewrite the host to "../../static.wixstatic.com/…", which this also undoes.
    """
    if not url:
        return None
    url = url.strip()
    match = _MEDIA_ID.search(url)
    if match:
        return _WIX_MEDIA + match.group(1)
    scheme = url_scheme(url)
    if scheme in ("http", "https"):
        return clean_url(url)
    if base and scheme is None:
        return clean_url(urljoin(base, url))
    return None


def full_size_image(img: etree._Element, base: str | None) -> str | None:
    """The full-size URL of a body image, never the blurred low-quality placeholder."""
    wow = img.getparent()
    if wow is not None and wow.tag == "wow-image" and wow.get("data-image-info"):
        try:
            uri = json.loads(wow.get("data-image-info"))["imageData"]["uri"]
        except (ValueError, KeyError, TypeError):
            uri = None
        if isinstance(uri, str) and uri and "/" not in uri:
            return _WIX_MEDIA + uri
    for candidate in (img.get("data-pin-media"), img.get("srcset"), img.get("src")):
        if candidate:
            # Outside Wix's media host the largest srcset entry is the last, by convention;
            # entries are split on ", " because Wix URLs hold bare commas ("w_640,h_640").
            last = _SRCSET_SPLIT.split(candidate.strip())[-1]
            return full_size_url(last.split(" ")[0], base)
    return None


def _md_escape(text: str) -> str:
    """Text as Markdown that shows it: its Markdown syntax backslash-escaped, and a "<" that
    could open a tag an entity (every caller's text: the walk's, a link's label, an image's
    alt, the fallback's paragraphs)."""
    if "<" in text:
        text = _MD_TAG_START.sub("&lt;", text)
    # The common case: no Markdown syntax, so no substitution either.
    if not (_MD_SPECIAL_ANY.search(text) or _MD_LINE_SYNTAX.match(text)
            or ("\n" in text and _MD_ANY.search(text))):
        return text
    text = _MD_LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))
    return _MD_NUMBERED.sub(r"\1\\\2", text)


def md_fence(code: str) -> str:
    """`code` as a fenced Markdown block: its fence longer than any run of backticks in it
    (CommonMark's rule), which a line of ``` in the code would otherwise close."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"


def visible(text: str) -> str:
    """`text` without the zero-width spaces Wix pads rich text with (`<span class="wixGuard">`,
    alone on "empty" lines too) or stray BOMs. ZWJ/ZWNJ stay: scripts need them. (Two `in`
    scans and replace: str.translate is ~10x slower on every text node.)"""
    if "\u200b" in text:
        text = text.replace("\u200b", "")
    if "\ufeff" in text:
        text = text.replace("\ufeff", "")
    return text


# Whitespace between tags holding a newline and indentation: the markup was pretty-printed (a
# re-indented mirror). Wix's own HTML has no whitespace between tags at all.
_PRETTY_PRINTED = etree.XPath(
    'boolean(descendant::text()[normalize-space() = "" and (contains(., "\n ") '
    'or contains(., "\n\t"))])')


def is_pre_wrap(viewer: etree._Element) -> bool:
    """Whether newlines in `viewer`'s text are line breaks: it is a Ricos viewer (whose CSS is
    `white-space: pre-wrap` in every Wix build) and its markup is as Wix served it, not
    pretty-printed."""
    is_ricos = viewer.get("data-rce-version") is not None or \
        viewer.get("data-id") in _RICOS_VIEWER_IDS
    return is_ricos and not _PRETTY_PRINTED(viewer)


def _inner_html(out: list[str]) -> str:
    """A block's inline HTML from its parts: source whitespace collapsed, line breaks as <br>
    but at either end, where they show nothing (as in the text)."""
    inner = " ".join("".join(out).replace("<br>", _BR).split())
    return _SOFT_BREAKS.sub("<br>", inner.strip(" " + _BR)) if _BR in inner else inner


def _plain(parts: list[str]) -> str:
    # Other source whitespace collapses; <br> (and a pre-wrap newline, made one) breaks a line.
    text = " ".join("".join(parts).split())
    return _SOFT_BREAKS.sub("\n", text).strip() if _BR in text else text

def md_code_span(code: str) -> str:
    """`code` as an inline Markdown code span: literal (CommonMark has no escapes inside one),
    fenced by more backticks than its longest run, padded by a space where its ends would
    otherwise join the fence or lose a space of their own."""
    if not code.strip():
        return code
    longest = max((len(run) for run in _BACKTICK_RUN.findall(code)), default=0)
    fence = "`" * (longest + 1)
    if code[0] == "`" or code[-1] == "`" or (code[0] == " " and code[-1] == " "):
        code = f" {code} "
    return f"{fence}{code}{fence}"


class _Walker:
    """One pass over the body subtree, collecting blocks, HTML, Markdown and media in order."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.blocks: list[str] = []
        self.html: list[str] = []
        self.md: list[str] = []
        self.images: list[str] = []
        self.videos: list[str] = []
        self.video_html: set[str] = set()  # the paragraphs video() wrote
        self.in_link = 0  # how many links the text being read is in
        self.rtl_item = False  # whether the list being walked has a right-to-left item
        self.flattened = False
        # Newlines in text are line breaks (see is_pre_wrap), in the subtree being walked.
        self.pre_wrap = False

    def link(self, href: str | None) -> str | None:
        if not href or href.startswith("#"):
            return None
        return safe_url(href, self.base)

    def inline(
        self, el: etree._Element, text: list[str], out: list[str], md: list[str], depth: int = 0
    ) -> None:
        """Text, inline HTML and inline Markdown of el's content (not el's tag or tail)."""
        if depth > MAX_DEPTH:  # pathological nesting: the words only
            self.flattened = True
            self.chars("".join(el.itertext()), text, out, md)
            return
        if value := el.text:  # each .text or .tail read converts the text again
            self.chars(value, text, out, md)
        for child in el:
            tag = child.tag
            # Inside a text block only non-content tags (svg, button…) need skipping: widgets
            # sit between blocks, where walk() checks them.
            if isinstance(tag, str) and tag not in _SKIP:
                if tag == "br":
                    text.append(_BR)
                    out.append("<br>")
                    md.append(_BR)
                elif tag == "a" and (href := self.link(child.get("href"))):
                    out.append(f'<a href="{escape(href)}">')
                    md.append("[")
                    self.in_link += 1
                    self.inline(child, text, out, md, depth + 1)
                    self.in_link -= 1
                    out.append("</a>")
                    md.append(f"]({markdown_url(href)})")
                elif tag == "code":
                    # A code span is literal in Markdown (a backslash there is a backslash):
                    # its words as they read, not escaped, nor marked up inside.
                    out.append("<code>")
                    start = len(text)
                    self.inline(child, text, out, [], depth + 1)
                    out.append("</code>")
                    md.append(md_code_span("".join(text[start:])))
                elif tag in _INLINE_KEEP:
                    # Wix underlines every link's words: the link says it in Markdown.
                    as_tag = tag in _MD_TAGS and not (tag == "u" and self.in_link)
                    mark = _MD_MARK.get(tag, "")
                    out.append(f"<{tag}>")
                    md.append(f"<{tag}>" if as_tag else mark)
                    self.inline(child, text, out, md, depth + 1)
                    out.append(f"</{tag}>")
                    md.append(f"</{tag}>" if as_tag else mark)
                elif tag in _BREAKING_BLOCKS and "".join(text).strip():
                    # Several paragraphs inside one list item, or the lines of a card inside
                    # its link (a title over a price): a browser shows each on a line of its
                    # own, so they are kept apart.
                    text.append(_BR)
                    out.append("<br>")
                    md.append(_BR)
                    self.inline(child, text, out, md, depth + 1)
                elif tag == "img":
                    self.image(child)
                else:
                    self.inline(child, text, out, md, depth + 1)
            if value := child.tail:
                self.chars(value, text, out, md)

    def chars(self, value: str, text: list[str], out: list[str], md: list[str]) -> None:
        value = visible(value)
        escaped = escape(value, quote=False)
        markdown = _md_escape(value)
        if self.pre_wrap and "\n" in value:
            text.append(value.replace("\n", _BR))
            out.append(escaped.replace("\n", _BR))
            md.append(markdown.replace("\n", _BR))  # escaped as line starts first
            return
        text.append(value)
        out.append(escaped)
        md.append(markdown)

    def block(self, el: etree._Element, tag: str, md_prefix: str = "", flat: bool = False) -> bool:
        """Emit one text block; False (nothing emitted) for an empty spacer paragraph."""
        text: list[str] = []
        out: list[str] = []
        md: list[str] = []
        if flat:
            self.chars("".join(el.itertext()), text, out, md)
        else:
            self.inline(el, text, out, md)
        plain = _plain(text)
        if not plain or tag == "p" and plain in RICOS_NOTE_SET:  # a note of Ricos's viewer
            return False
        # Nothing escaped, no inline markup, no line break inside (most paragraphs):
        # _inner_html(out) would give plain again, so the collapsing is not redone.
        inner = plain if out == text and "\n" not in plain else _inner_html(out)
        md_plain = plain if md == text else _plain(md)
        if tag == "pre":  # code keeps its whitespace
            code = visible("".join(el.itertext())).strip("\n")
            inner = escape(code, quote=False)
            # Its lines and their indentation in the text too (Python means it); a blank line
            # would split the block in two, as blocks are joined by one.
            plain = "\n".join(line.rstrip() for line in code.split("\n") if line.strip())
        self.blocks.append(plain)
        # Right-to-left text (Arabic, Hebrew…) gets dir="auto" so it reads and aligns right.
        attrs = ' dir="auto"' if not plain.isascii() and _RTL.search(plain) else ""
        self.html.append(f"<{tag}{attrs}>{inner.strip()}</{tag}>")
        markdown = md_plain.replace("\n", "  \n")
        if tag in _HEADINGS:
            markdown = "#" * int(tag[1]) + " " + markdown.replace("  \n", " ")
        elif tag == "pre":  # code keeps its own lines and needs no escaping
            markdown = md_fence("".join(el.itertext()).strip("\n"))
        elif tag == "blockquote":
            markdown = "> " + markdown.replace("\n", "\n> ")
        elif md_prefix:
            markdown = md_prefix + markdown.replace("\n", "\n" + " " * len(md_prefix))
        if attrs and tag == "li":  # a wrapped item would end its list: list() wraps the list
            self.rtl_item = True
        elif attrs:
            markdown = f"{MD_DIRECTION_OPEN}\n\n{markdown}\n\n{MD_DIRECTION_CLOSE}"
        self.md.append(markdown)
        return True

    def image(self, img: etree._Element) -> None:
        if img.get("data-hook") == "gallery-item-image-img-preload":
            return  # the blurred twin of the gallery image that follows it
        url = full_size_image(img, self.base)
        if url and url not in self.images:
            self.images.append(url)
            alt = img.get("alt") or ""
            html = f'<img src="{escape(url)}" alt="{escape(alt)}">'
            markdown = f"![{_md_escape(alt)}]({markdown_url(url)})"
            if href := self.image_link(img):
                html = f'<a href="{escape(href)}">{html}</a>'
                markdown = f"[{markdown}]({markdown_url(href)})"
            self.html.append(f"<figure>{html}</figure>")
            self.md.append(markdown)

    def image_link(self, img: etree._Element) -> str | None:
        """Where a linked image leads: Ricos wraps an image given a link in `<a href>` a few
        levels up (`div#viewer-… > a > figure > … > wow-image > img`), as pasted HTML does."""
        for level, ancestor in enumerate(img.iterancestors()):
            if level == _IMAGE_LINK_LEVELS:
                return None
            if ancestor.tag == "a":
                return self.link(ancestor.get("href"))
        return None

    def link_preview(self, el: etree._Element) -> None:
        """Ricos's link preview: a card of the linked page's host, title (its <figcaption>) and
        description, inside the link (`<a href>` a few levels up). The title becomes that link
        and the description a paragraph under it, as a reader follows the card; the host line
        only repeats the link. A card without its title is read as any container."""
        caption = next(el.iter("figcaption"), None)
        title = " ".join("".join(caption.itertext()).split()) if caption is not None else ""
        if not title:
            self.container(el, 0)
            return
        after = caption.getnext()
        description = " ".join("".join(after.itertext()).split()) if after is not None else ""
        href = self.image_link(el) or self.link(next(iter(el.xpath(".//a/@href")), None))
        self.blocks.append(title)
        self.linked_paragraph(title, href)
        if description:
            self.blocks.append(description)
            self.html.append(f"<p>{escape(description, quote=False)}</p>")
            self.md.append(_md_escape(description))

    def linked_paragraph(self, text: str, href: str | None) -> None:
        """`text` as a paragraph of the HTML and the Markdown, a link to `href` when given; its
        newlines line breaks."""
        label = escape(text, quote=False).replace("\n", "<br>")
        markdown = "  \n".join(map(_md_escape, text.split("\n")))
        if href:
            self.html.append(f'<p><a href="{escape(href)}">{label}</a></p>')
            self.md.append(f"[{markdown}]({markdown_url(href)})")
        else:
            self.html.append(f"<p>{label}</p>")
            self.md.append(markdown)

    def file_card(self, el: etree._Element) -> None:
        """Ricos's file block: a card of the file's name, its extension beside it (".pdf") and
        its type and size under them ("PDF • 1.25MB"), linking to the file once the page has
        resolved its address. The file's name is the paragraph (the link when the HTML has
        it); the type and size line is the card's, not the post's."""
        texts = [" ".join(t.split()) for t in el.itertext() if t.strip()]
        if not texts:
            return
        name = texts[0] + (texts[1] if len(texts) > 1 and texts[1].startswith(".") else "")
        self.blocks.append(name)
        self.linked_paragraph(name, self.link(next(iter(el.xpath(".//a/@href")), None)))

    def audio(self, el: etree._Element) -> None:
        """Ricos's audio block (plugin-audio, Wix's own player): the track's name and its
        author's, lines of one paragraph linked to the file once the player names it; the
        player's times, buttons and slider are its chrome, not the post's words."""
        chrome = set(_AUDIO_CHROME(el))
        texts: list[str] = []

        def read(node: etree._Element) -> None:
            texts.append(node.text or "")
            for child in node:
                if isinstance(child.tag, str) and child.tag not in _SKIP and child not in chrome:
                    read(child)
                texts.append(child.tail or "")

        read(el)
        lines = [" ".join(text.split()) for text in texts if text.strip()]
        href = self.link(next(iter(el.xpath(".//audio/@src | .//source/@src | .//a/@href")),
                              None))
        if lines:
            self.blocks.append("\n".join(lines))
            self.linked_paragraph("\n".join(lines), href)
        elif href:  # no name shown: the file's address keeps its place, as a video's does
            self.linked_paragraph(href, href)

    def button(self, el: etree._Element) -> None:
        """Ricos's call-to-action button: a link in the HTML and Markdown, not body prose
        (its label is "Contact", "Book now"…)."""
        label = " ".join("".join(el.itertext()).split())
        href = self.link(el.get("href") or next(iter(el.xpath(".//a/@href")), None))
        if label and href:
            self.linked_paragraph(label, href)

    def table(self, el: etree._Element) -> bool:
        """A table of text (2+ rows, 2+ columns, cells of words and links) as a table: <table>
        in the HTML, a pipe table in the Markdown, a line of " | "-separated cells a row in the
        text. False for anything else (a layout table, cells holding images or lists), which
        the walk reads block by block as before."""
        rows = [[cell for cell in row if cell.tag in ("td", "th")] for row in _TABLE_ROWS(el)]
        rows = [row for row in rows if row]
        if len(rows) < 2 or not 2 <= max(map(len, rows)) <= _MAX_TABLE_COLUMNS or \
                any(_COMPLEX_CELL(cell) for row in rows for cell in row):
            return False
        width = max(map(len, rows))
        cells = [[self.cell(cell) for cell in row] for row in rows]
        if not any(text for row in cells for text, _, _ in row):
            return True  # an empty grid: nothing to keep
        self.blocks.append("\n".join(" | ".join(text for text, _, _ in row) for row in cells))
        html = ["<table>"]
        for row, elements in zip(cells, rows, strict=True):
            html.append("<tr>" + "".join(
                f"<{tag}>{inner}</{tag}>" for (_, inner, _), tag in
                zip(row, [cell.tag for cell in elements], strict=True)) + "</tr>")
        self.html.append("".join([*html, "</table>"]))
        lines = ["| " + " | ".join(md for _, _, md in row) + " |"
                 + " |" * (width - len(row)) for row in cells]
        lines.insert(1, "|" + " --- |" * width)  # the first row heads the table, as GFM needs
        self.md.append("\n".join(lines))
        return True

    def cell(self, el: etree._Element) -> tuple[str, str, str]:
        """A table cell's text, inline HTML and Markdown; its paragraphs joined by line breaks
        (<br> in the Markdown too: a pipe table's cell is one line)."""
        text: list[str] = []
        out: list[str] = []
        md: list[str] = []
        self.inline(el, text, out, md)
        plain = _plain(text).replace("\n", " ")
        markdown = _SOFT_BREAKS.sub("<br>", " ".join("".join(md).split()).strip(" " + _BR))
        return plain, _inner_html(out), markdown.replace("|", "\\|")

    def figure(self, el: etree._Element) -> None:
        """Images or a video and their caption in one <figure> (the walk emits one figure per
        image, a paragraph per video)."""
        start = len(self.html)
        self.walk(el)
        parts = self.html[start:]
        if parts and all(part.startswith(("<figure>", "<figcaption>", "<figcaption "))
                         or part in self.video_html for part in parts):
            inner = "".join(
                part.removeprefix("<figure>").removesuffix("</figure>") for part in parts
            )
            self.html[start:] = [f"<figure>{inner}</figure>"]
        else:  # text beside the media: no figure, and its caption a paragraph (valid HTML)
            self.html[start:] = [_CAPTION_TAGS.sub(r"<\1p", part) if part.startswith(
                "<figcaption") else part for part in parts]

    def video(self, el: etree._Element) -> None:
        sources = "@src | .//iframe/@src | .//video/@src | .//source/@src | .//a/@href"
        urls = [None if src and _HTML_SANDBOX_PAGE.search(src) else self.link(src)
                for src in el.xpath(sources)]
        if not any(urls):
            # A YouTube video before a click is only react-player's preview: its thumbnail
            # names the video, which the page shows there (a link keeps its place in the body).
            urls = [thumbnail_video(style) for style in THUMBNAIL_STYLES(el)]
        for url in urls:
            if url and url not in self.videos:
                self.videos.append(url)
                html = f'<p><a href="{escape(url)}">{escape(url)}</a></p>'
                self.video_html.add(html)
                self.html.append(html)
                self.md.append(f"<{markdown_url(url)}>")

    def list(self, el: etree._Element, tag: str, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            self.flattened = True
            self.block(el, "p", flat=True)
            return
        if depth == 0:
            md_start = len(self.md)
            self.rtl_item = False
        # A list continued after a paragraph goes on counting (<ol start="3">).
        start = _list_start(el) if tag == "ol" else 1
        self.html.append(f'<ol start="{start}">' if start != 1 else f"<{tag}>")
        number = start - 1
        for item in el:
            if item.tag != "li" or is_chrome(item):
                continue
            nested = [child for child in item if child.tag in ("ul", "ol")]
            for child in nested:
                _detach(child)  # walked after the item's own text, as Ricos nests them
            number += 1
            marker = f"{number}. " if tag == "ol" else "- "
            start = len(self.html)
            if self.block(item, "li", "   " * depth + marker):
                self.html[start] = self.html[start].removesuffix("</li>")
            else:
                self.html.append("<li>")
            for child in nested:
                self.list(child, child.tag, depth + 1)
            self.html.append("</li>")
            self.html[start:] = ["".join(self.html[start:])]
        self.html.append(f"</{tag}>")
        if depth == 0 and self.rtl_item:
            # A list with a right-to-left item (Hebrew, Arabic) in a right-to-left block, whole:
            # the browser takes its direction from its first words, as for a paragraph.
            self.md.insert(md_start, MD_DIRECTION_OPEN)
            self.md.append(MD_DIRECTION_CLOSE)

    def walk(self, el: etree._Element, depth: int = 0) -> None:
        if depth > MAX_DEPTH:  # pathological nesting: keep the words, drop the structure
            self.flattened = True
            self.block(el, "p", flat=True)
            return
        for child in el:
            tag = child.tag
            if tag in _TEXT_BLOCKS:  # the common case first
                self.block(child, tag)
                continue
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            # is_chrome's test, inlined: it reads the hook this walk reads next anyway.
            hook = child.get("data-hook") or ""
            if hook and (hook in CHROME_HOOK_SET or hook.startswith("wc-root")) or \
                    child.get("id") in CHROME_ID_SET:
                continue
            if tag not in _SPECIAL_TAGS and hook not in _SPECIAL_HOOKS:
                self.container(child, depth)  # the common case: a layout <div> or <span>
            elif tag in ("ul", "ol"):
                self.list(child, tag)
            elif tag == "li":  # a stray item outside a list
                self.block(child, "p")
            elif tag == "img":
                self.image(child)
            elif hook == "linkPreviewViewer":
                self.link_preview(child)
            elif hook == "fileUploadViewer":
                self.file_card(child)
            elif tag == "figure":
                self.figure(child)
            elif tag == "hr" or hook == "divider-single":
                self.html.append("<hr>")
                self.md.append("---")
            elif tag == "video" and (gif := gif_of_loop(child)):
                self.image(etree.Element("img", src=gif, alt=child.get("aria-label") or ""))
            elif hook in _VIDEO_HOOKS or tag in ("video", "iframe"):
                self.video(child)
            elif tag == "table" and self.table(child):
                continue
            elif tag in ("td", "th") and _has_own_text(child):  # a bare table cell
                self.block(child, "p")
            elif hook == "buttonViewer":
                self.button(child)
            elif hook == "audio-container":
                self.audio(child)
            else:
                self.container(child, depth)

    def container(self, el: etree._Element, depth: int) -> None:
        """Walk an element that is no block of its own, its loose text made paragraphs."""
        if not len(el):
            # No children: only non-blank text of its own makes a paragraph. Below the depth
            # limit an empty walk does nothing, so none is started (most of Ricos's spacers).
            text = el.text
            if text and not text.isspace():
                _wrap_loose_text(el)
            elif depth < MAX_DEPTH:
                return
        elif _has_loose_text(el):
            _wrap_loose_text(el)
        self.walk(el, depth + 1)


def _list_start(ol: etree._Element) -> int:
    """The number an ordered list's first item shows: its `start`, else 1."""
    try:
        start = int((ol.get("start") or "1").strip())
    except ValueError:
        return 1
    return start if 0 <= start < 10**9 else 1  # Markdown allows at most nine digits


def _detach(el: etree._Element) -> None:
    """Remove el from its parent, leaving its tail text behind (lxml moves it with el);
    a space stands in for el so the words on either side stay apart."""
    parent = el.getparent()
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = settable((prev.tail or "") + " " + el.tail)
        else:
            parent.text = settable((parent.text or "") + " " + el.tail)
    parent.remove(el)


def _has_loose_text(el: etree._Element) -> bool:
    """Whether el holds text, or inline elements, straight inside it (not in a block)."""
    return _has_own_text(el, or_inline_child=True)


# A link around a figure or an image (Ricos's linked image) holds a block, not words of a line.
_HOLDS_MEDIA = etree.XPath("boolean(descendant::*[self::figure or self::img or self::wow-image])")


def _is_inline(el: etree._Element) -> bool:
    # A hooked element is one of Wix's widgets (a button is an <a>): never prose.
    if el.tag not in _INLINE_TAGS or el.get("data-hook"):
        return False
    return el.tag != "a" or not len(el) or not _HOLDS_MEDIA(el)


def _wrap_loose_text(el: etree._Element) -> None:
    """Give the text that sits straight in a container (not in a <p>) paragraphs of its own,
    between the container's blocks, so the walk keeps it. The blog's editor (Ricos) always
    writes <p>s; older posts, HTML pasted in and table cells may not."""
    kept: list[etree._Element] = []
    run: etree._Element | None = None  # the paragraph being filled

    def paragraph() -> etree._Element:
        nonlocal run
        if run is None:
            run = etree.Element("p")
            kept.append(run)
        return run

    def add_text(value: str) -> None:
        into = paragraph()
        if len(into):
            into[-1].tail = settable((into[-1].tail or "") + value)
        else:
            into.text = settable((into.text or "") + value)

    if el.text and not el.text.isspace():
        add_text(el.text)
    el.text = None
    for child in list(el):
        tail, child.tail = child.tail, None
        if isinstance(child.tag, str) and _is_inline(child):
            paragraph().append(child)
        else:
            run = None
            kept.append(child)
        if tail and (run is not None or not tail.isspace()):
            add_text(tail)  # spaces between inline elements keep their words apart
    el[:] = kept


def _has_own_text(el: etree._Element, or_inline_child: bool = False) -> bool:
    """Whether el holds non-blank text straight inside it (its text, a child's tail) or, with
    or_inline_child, an inline child: one pass over the children, for every container walked."""
    text = el.text
    if text and not text.isspace():
        return True
    for child in el:
        tail = child.tail
        if tail and not tail.isspace() or or_inline_child and _is_inline(child):
            return True
    return False


# The cover Ricos lays over an image, gallery or video marked as a spoiler (plugin-spoiler's
# SpoilerContainer: an icon, a description, "This image contains a spoiler" unless the author
# wrote one, and the reveal button); the medium under it is the post's. A cover holding media
# is not this one (the small cover is the icon alone, inside the block's wrapper).
_SPOILER_COVERS = etree.XPath(
    "descendant::button[@data-hook='revealSpoilerBtn']/parent::*[not(descendant::img or "
    "descendant::figure or descendant::video or descendant::iframe or descendant::wow-image)]")


def extract_body(body: etree._Element, base: str | None) -> Body:
    """Walk the body element. Nested lists are detached from their items while walking, and
    spoiler covers before."""
    for cover in _SPOILER_COVERS(body):
        if cover is not body:
            _detach(cover)
    walker = _Walker(base)
    walker.pre_wrap = is_pre_wrap(body)
    walker.walk(body)
    markdown = _join_markdown(walker.md)
    warnings = ["body nested too deeply: innermost markup flattened to text"] * walker.flattened
    return Body(
        walker.blocks, "\n".join(walker.html), markdown, walker.images, walker.videos, warnings
    )


def _join_markdown(parts: list[str]) -> str:
    """Blank lines between blocks, except between items of the same list."""
    if not parts:
        return ""
    out = [parts[0]]
    for prev, part in zip(parts, parts[1:], strict=False):
        same_list = _is_item(prev) and _is_item(part)
        out.append(("\n" if same_list else "\n\n") + part)
    return "".join(out) + "\n"


_ITEM = re.compile(r"^\s*(?:- |\d+\. )")


def _is_item(part: str) -> bool:
    return bool(_ITEM.match(part))
