"""Element-built post pages: Wix's customisable post page and CMS (dynamic) item pages.

These pages have no blog app article (`article[data-hook=post]`, `post-description`): the page
is built from editor elements. The title is an `h1` (usually inside a rich-text element), the
body a run of `data-testid="richTextElement"` components with image elements between them, and
around it sit the site's header and footer, a share-buttons row
(`data-testid="wixui_ShareButtons_*"`), a related-posts block (`data-hook=related-posts-root`
holding `post-list-item` cards) and comments.

The post's own elements are told from the site's other text elements by structure only:
- only the main region counts (`#PAGES_CONTAINER`; the header, footer and site-wide sections
  live outside it);
- the body starts after the title element, the element showing the headline the page's
  metadata states (else the first h1); short elements right under it that carry the author,
  a date, the reading time or only links (categories, tags) are the post header, not body;
- the body ends at the first share row, related-posts block, post-card list, tag cloud,
  comments widget, form section or text element of only category and tag links after some
  body text (a share row above the body is skipped, not an end); a label in its own text
  element right above one of these ("Related Posts", "Share this post:") names it and is not
  body, but a few plain words that are all the text after the header are a short post's body
  unless more body follows a share row below them, and so is a heading or "…:" line that is
  all the text after the header when it is not beside the marker (a label's container holds
  the block it names; the post's text sits in a section of its own);
- images alone are a body once the walk found where it ends;
- the post's categories and tags are the links to the blog's `/categories/<slug>`,
  `/tags/<slug>` and `/hashtags/<tag>` pages in text elements made only of such links, right
  above the title (nothing but such elements between them and it) or between the title and
  the body, and in a tag cloud or such an element the body ends at; never the links of
  related-post cards, menus (`nav`) or anything outside the main region;
- header lines may be one line with separators or one paragraph each; Wix's zero-width
  wixGuard spaces are not text;
- navigation, forms, buttons, the writer's avatar link, social bars and icon-sized images
  are never body. A blog "Post Content" (Ricos) widget placed among the elements is.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from crawler.clean.html import sanitize_html
from crawler.extract.attachments import find_element_attachments
from crawler.extract.body import (
    Body,
    _join_markdown,
    _Walker,
    full_size_image,
    is_pre_wrap,
    visible,
)
from crawler.extract.cards import CARD_LIST_HOOKS, drop_card_lists
from crawler.extract.dates import looks_like_date, parse_display_date
from crawler.extract.fallback import Fallback
from crawler.extract.limits import fallback_region
from crawler.extract.record import Article

_RICH_TEXT = "richTextElement"
_TAG_CLOUD = "tag-cloud-root"
_RICOS_VIEWERS = frozenset({"content-viewer", "rich-content-viewer"})
# Subtrees that are never the post's body; after body text they also end it.
_END_HOOKS = CARD_LIST_HOOKS | {"post-footer", "comments-root", _TAG_CLOUD}
_SKIP_TAGS = frozenset({"nav", "form", "button", "aside", "script", "style", "noscript",
                        "template", "svg", "select", "input", "textarea", "iframe"})
# The site's header and footer (only reached when a page has no main region).
_SITE_CHROME_IDS = frozenset({"SITE_HEADER", "SITE_HEADER_WRAPPER", "SITE_FOOTER",
                              "SITE_FOOTER_WRAPPER"})
_ICON_PX = 120  # avatars, icons and badges render at this size or less
_HAS_H1 = etree.XPath("boolean(descendant::h1)")
_HAS_HEADING = etree.XPath("boolean(descendant-or-self::*[self::h1 or self::h2 or self::h3 "
                           "or self::h4 or self::h5 or self::h6])")
# A section holding a form (newsletter, contact) after the body is the site's, not the post's.
_FORM_SECTION = etree.XPath("boolean(descendant::form | descendant::input)")
_READING_TIME = re.compile(r"^\D{0,20}?(\d+)\s*\S{0,3}\s*(?:min|мин|dk|分)", re.I)
# "1 dakikada okunur", "١ دقائق قراءة", "1분 분량": a number, then letters only.
_SHAPED_READING_TIME = re.compile(r"^(\d{1,3})\s*[^\W\d_]{1,12}\.?(?:\s+[^\W\d_]{1,14}\.?)?$")
_HEADER_SEPARATORS = re.compile(r"[·•|]")
# A post header line is short: author · date · "3 min read".
_HEADER_LINE_WORDS = 12
_DATE_WORDS = 6  # "17 de dezembro de 2018" is five
_AUTHOR_WORDS = 4  # a header line taken for body before its date showed it (_header_unnamed)
# In this order: ElementPath's find stops at the first match, one C-level scan each.
_MAIN_PATHS = ('.//*[@id="PAGES_CONTAINER"]', './/*[@id="SITE_PAGES"]', ".//main")


def find_main(root: etree._Element) -> etree._Element | None:
    """The page's main region: Wix's #PAGES_CONTAINER (#SITE_PAGES, <main>), never the
    header, footer or the site-wide sections after it (#soapAfterPagesContainer)."""
    for path in _MAIN_PATHS:
        found = root.find(path)
        if found is not None:
            return found
    return None


def has_element_content(region: etree._Element) -> bool:
    """Rich-text elements or a Ricos viewer: what the element-built walk reads."""
    # A Python scan that stops at the first one: libxml2's XPath compares attribute strings at
    # ~1 µs an element and reads the whole region.
    for el in region.iterdescendants(etree.Element):
        if el.get("data-testid") == _RICH_TEXT or el.get("data-rce-version") is not None \
                or el.get("data-id") in _RICOS_VIEWERS:
            return True
    return False


@dataclass
class ElementPost:
    """What an element-built page shows: its visible title and header, and the body."""

    body: Body
    title: str | None = None
    reading_minutes: int | None = None
    display_date: str | None = None  # ISO day of a visible date that names its year
    attachments: list[dict[str, Any]] = field(default_factory=list)  # videos and documents
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    ended: bool = False  # the body ended at an end marker (share row, related posts…)


def _text(el: etree._Element) -> str:
    return " ".join(visible("".join(el.itertext())).split())


_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li")
# A label names the block it sits on ("Related Posts", "Share this post:"): a short heading or
# line ending in a colon. Above the body, a few words with no sentence punctuation also are; a
# short last line of a post ("Foto: © M. Zins", "September 2025") is body.
_LABEL_WORDS = 4
_SENTENCE_PUNCTUATION = re.compile(r"[.!?,;…\"”»)]")


def _lines(el: etree._Element) -> list[str]:
    """The text of each block (paragraph, heading, list item) of a rich-text element."""
    lines = [line for block in el.iter(_BLOCK_TAGS) if (line := _text(block))]
    return lines or [_text(el)]


def _is_content_image(img: etree._Element) -> bool:
    """Not an avatar, icon or badge: those render at ~100 px or less."""
    sizes = [img.get("width"), img.get("height")]
    if all(size and size.isdigit() for size in sizes):
        return max(int(size) for size in sizes) > _ICON_PX
    return True


def _is_site_chrome(el: etree._Element) -> bool:
    # Broken markup can leave the whole page inside the header element: then it is not chrome.
    return el.get("id") in _SITE_CHROME_IDS and not _HAS_H1(el)


def _only_links(el: etree._Element, text: str) -> bool:
    """An element whose every word is link text (category, tag or profile links under a
    title): post header, never the first paragraph."""
    links = "".join("".join(a.itertext()) for a in el.iter("a"))
    return bool(links) and len("".join(links.split())) == len("".join(text.split()))


# A link to one of the blog's taxonomy pages: …/categories/<slug>, …/tags/<slug>,
# …/hashtags/<tag> (a mirror's local copy adds ".html"), with nothing after the slug: a
# category's "page/2" is a listing's link, never a post's.
_TAXONOMY_NAME_WORDS = 6  # a category or tag name; a longer link text is prose
# What may sit between taxonomy links besides them: separators, or a short label ("Tags:").
_TAXONOMY_SEPARATORS = re.compile(r"[\s·•|,;/#]+")
_TAXONOMY_LABEL_WORDS = 3


@dataclass
class Taxonomy:
    """Category and tag names, in page order, each once."""

    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def add(self, other: Taxonomy) -> None:
        for names, more in ((self.categories, other.categories), (self.tags, other.tags)):
            names.extend(name for name in more if name not in names)


def _text_outside_links(el: etree._Element) -> str:
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag != "a":
            parts.append(_text_outside_links(child))
        parts.append(child.tail or "")
    return "".join(parts)


def taxonomy_links(el: etree._Element) -> Taxonomy | None:
    """The categories and tags of an element made only of links to the blog's category, tag
    and hashtag pages (separators and a short "Tags:" label aside); None for anything else."""
    # Imported here, as in crawler.extract.dates.looks_like_date: only element-built pages get
    # here, and importing the vocabulary compiles all its patterns (~30 ms of every extract
    # command's start otherwise).
    from crawler.clean.vocabulary import TAXONOMY_HREF

    found = Taxonomy()
    for a in el.iter("a"):
        match = TAXONOMY_HREF.search(a.get("href") or "")
        name = _text(a).removeprefix("#")
        if match is None or not name or len(name.split()) > _TAXONOMY_NAME_WORDS:
            return None
        names = found.categories if match.group(1) == "categories" else found.tags
        if name not in names:
            names.append(name)
    if not (found.categories or found.tags):
        return None
    rest = " ".join(_TAXONOMY_SEPARATORS.sub(" ", visible(_text_outside_links(el))).split())
    if rest and not (rest.endswith(":") and len(rest.split()) <= _TAXONOMY_LABEL_WORDS):
        return None
    return found


def _tag_cloud(el: etree._Element) -> Taxonomy:
    """The blog app's tag cloud (`data-hook=tag-cloud-root`): every link is a tag."""
    found = Taxonomy()
    found.tags.extend(dict.fromkeys(name for a in el.iter("a") if (name := _text(a))))
    return found


def _norm(value: str | None) -> str:
    return " ".join(visible(value or "").split()).casefold()


def _is_share_row(testid: str, classes: str) -> bool:
    """A share-buttons row, by the element's data-testid and class attributes."""
    return testid.startswith("wixui_ShareButtons") or "wixui-share-buttons" in classes


def _ends_body(hook: str) -> bool:
    """An end marker other than a share row (related posts, comments…), by its data-hook."""
    return hook in _END_HOOKS or hook.startswith("wc-root")


def _beside(label: etree._Element, marker: etree._Element) -> bool:
    """Whether `label` sits beside `marker` (or beside a container of it), as a label sits
    with the block it names: its parent holds the marker too."""
    parent = label.getparent()
    return parent is not None and any(node is parent for node in marker.iterancestors())


_TITLE_TAGS = frozenset({"h1", "h2", "h3"})
_TITLE_SEPARATORS = re.compile(r"\s+[|–—-]\s+")


def find_title(region: etree._Element, hints: list[str]) -> etree._Element | None:
    """The element showing the post's title: the first rich-text element or heading whose
    text is the headline the page's metadata states (a site banner's h1 above the post, e.g.
    "Blog", is not it); failing that, the first h1 of the region."""
    wanted = {_norm(hint) for hint in hints if hint}
    # og:title is often "Post title | Site name": its first part is a candidate too.
    wanted |= {_norm(_TITLE_SEPARATORS.split(hint)[0]) for hint in hints if hint}
    wanted.discard("")
    if wanted:
        longest = max(map(len, wanted)) + 20
        # Rich-text elements and headings in document order, read lazily: the title is near
        # the top, and an XPath for them compares strings over the whole region (~1 µs each).
        for el in region.iterdescendants(etree.Element):
            if el.tag not in _TITLE_TAGS and el.get("data-testid") != _RICH_TEXT:
                continue
            text = "".join(el.itertext())
            if len(text) <= 4 * longest and _norm(text) in wanted:
                return el
    return region.find(".//h1")


# What the walker collected in a stretch: blocks, HTML, Markdown and images.
_Walked = tuple[list[str], list[str], list[str], list[str]]


@dataclass
class _LabelMark:
    """The last rich-text element walked, when its one line may label an end marker: the
    walker's (blocks, html, markdown, images) lengths before and after it."""

    element: etree._Element  # the rich-text element the line is in
    before: tuple[int, ...]
    after: tuple[int, ...]
    # A heading or a line ending in a colon labels any end marker. A few plain words that are
    # all the body so far label only a share row, the one marker the walk passes above the
    # body: right above related posts or comments, they are a short post's body.
    names_any: bool
    introduces: bool  # ends in a colon: it introduces what follows, never a whole post


class _ElementWalk:
    """One document-order pass over the main region."""

    def __init__(self, base: str | None, title_el: etree._Element | None, author: str | None,
                 language: str | None) -> None:
        self.walker = _Walker(base)
        self.title_el = title_el
        self.author = _norm(author)
        self.language = language
        self.title: str | None = None
        self.started = False  # past the title element
        self.ended = False
        self.end: etree._Element | None = None  # the element the body ended at
        self.reading_minutes: int | None = None
        self.display_date: str | None = None
        self.dated = False  # the header line just read ended on a date
        self.taxonomy = Taxonomy()  # the post's categories and tags, as the page shows them
        # Taxonomy elements right above the title (none of the site's text since): the post's
        # header once the title follows them.
        self.taxonomy_above = Taxonomy()
        self.label_mark: _LabelMark | None = None
        # A line dropped as a share row's label while it was all the body so far: the body
        # after all when no other body follows (a post of one short line, then its share row).
        self.held: _Walked | None = None

    def _lengths(self) -> tuple[int, ...]:
        walker = self.walker
        return len(walker.blocks), len(walker.html), len(walker.md), len(walker.images)

    def end_here(self, el: etree._Element, taxonomy: Taxonomy | None = None, *,
                 share: bool = False) -> None:
        """An end marker (`share` row, related posts, comments…): a label right above it names
        it and is dropped; the body ends here if any body is left (a share row or its label
        above the body is skipped, not an end). `taxonomy`: the categories and tags the
        marker shows (a tag cloud), the post's once the title is passed."""
        if taxonomy is not None and self.started:
            self.taxonomy.add(taxonomy)
        mark, self.label_mark = self.label_mark, None
        # Only when the label is still the last thing walked (no image or widget after it).
        if mark is not None and mark.after == self._lengths() and (share or mark.names_any):
            # All the body so far, and not beside the marker (its element's container does not
            # hold the marker: the post's own text section, the marker in a section after it):
            # a post of one heading or one "…:" line. It stays the body, ending here; above a
            # share row it is held like a plain line (the body if no other follows).
            own = not (mark.before[0] or mark.before[3]) and not _beside(mark.element, el)
            if share or not own:
                dropped = self._cut(mark.before)
                if share and not self.has_body and (own or not mark.introduces):
                    self.held = dropped
        if not share and not self.has_body:
            self.restore_held()  # no body after the share row: the line held above it is
        if self.has_body:
            self.ended = True
            self.end = el

    def _cut(self, lengths: tuple[int, ...]) -> _Walked:
        """Remove and return what the walker collected since it stood at `lengths`."""
        blocks, html, md, images = lengths
        walker = self.walker
        cut = (walker.blocks[blocks:], walker.html[html:], walker.md[md:], walker.images[images:])
        del walker.blocks[blocks:], walker.html[html:], walker.md[md:], walker.images[images:]
        return cut

    def restore_held(self) -> None:
        """Put back the line held at a share row as the body (see `held`)."""
        if self.held is None:
            return
        walker = self.walker
        for items, more in zip((walker.blocks, walker.html, walker.md, walker.images),
                               self.held, strict=True):
            items.extend(more)
        self.held = None

    @property
    def has_body(self) -> bool:
        return bool(self.walker.blocks) or bool(self.walker.images)

    def visit(self, el: etree._Element, depth: int = 0) -> None:
        for child in el:
            if self.ended:
                return
            tag = child.tag
            if not isinstance(tag, str) or _is_site_chrome(child):
                continue
            hook = child.get("data-hook") or ""
            # The blog app's tag cloud is a <nav>; other navigation is never the post's.
            if tag in _SKIP_TAGS and hook != _TAG_CLOUD:
                continue
            testid = child.get("data-testid") or ""
            classes = child.get("class") or ""
            share = _is_share_row(testid, classes)
            if share or _ends_body(hook) or (
                    tag == "section" and (self.has_body or self.held is not None)
                    and _FORM_SECTION(child)):
                self.end_here(child, _tag_cloud(child) if hook == _TAG_CLOUD else None,
                              share=share)
                continue
            if child is self.title_el:
                self.title = _text(child)
                self.started = True
                self.taxonomy.add(self.taxonomy_above)
            elif testid == _RICH_TEXT and not self.started:
                self.above_title(child)
                if depth < 200:  # the title may be a heading inside it
                    self.visit(child, depth + 1)
            elif "wixui-social-bar" in classes:
                continue  # the site's social icons
            elif testid == _RICH_TEXT and self.started:
                self.rich_text(child)
            elif child.get("data-rce-version") or child.get("data-id") in _RICOS_VIEWERS:
                if self.started:  # a blog Post Content widget placed among the elements
                    self.walker.pre_wrap = is_pre_wrap(child)
                    self.walker.walk(child)
                    self.walker.pre_wrap = False
            elif tag == "img" or tag == "wow-image":
                if self.started:
                    img = child if tag == "img" else child.find(".//img")
                    if img is not None and _is_content_image(img) and \
                            full_size_image(img, self.walker.base):
                        self.walker.image(img)
            elif tag == "a" and "/profile/" in (child.get("href") or ""):
                continue  # the writer's avatar and name
            elif depth < 200:
                self.visit(child, depth + 1)

    def above_title(self, el: etree._Element) -> None:
        """A text element before the title: only taxonomy links right above it count."""
        taxonomy = taxonomy_links(el)
        if taxonomy is not None:
            self.taxonomy_above.add(taxonomy)
        elif _text(el):
            self.taxonomy_above = Taxonomy()  # the site's text: what was above is not header

    def rich_text(self, el: etree._Element) -> None:
        taxonomy = taxonomy_links(el)
        if taxonomy is not None:  # the post header's categories, or the body's tag footer
            if self.has_body:
                self.end_here(el, taxonomy)
            else:
                self.taxonomy.add(taxonomy)
            return
        before = self._lengths()
        if self._header_unnamed(el):
            return
        if self.walker.blocks:  # in the body: the walker skips empty elements itself
            self.walker.walk(el)
        else:
            text = _text(el)
            if text and not self.header_line(el, text) and not _only_links(el, text):
                self.walker.walk(el)
        after = self._lengths()
        if after[0] == before[0] + 1:
            self.label_mark = self._label(el, before, after)

    def _header_unnamed(self, el: etree._Element) -> bool:
        """With no author in the metadata, the header's first line (the author's name) starts
        the body; a date or reading time right after one or two such short lines shows they
        were the header: they leave the body, and so does this line."""
        walker = self.walker
        if self.author or not 0 < len(walker.blocks) <= 2 or any(
                len(block.split()) > _AUTHOR_WORDS for block in walker.blocks) or any(
                html.startswith("<h") for html in walker.html):
            return False
        text = _text(el)
        if not text or not self.header_line(el, text):
            return False
        del walker.blocks[:], walker.html[:], walker.md[:]
        self.label_mark = None
        return True

    def _label(self, el: etree._Element, before: tuple[int, ...],
               after: tuple[int, ...]) -> _LabelMark | None:
        """The one line `el` added, as a label of the end marker that may follow it."""
        text = self.walker.blocks[-1]
        introduces = text.endswith(":")
        if self.walker.html[-1].startswith("<h") or introduces:
            if len(text.split()) <= 2 * _LABEL_WORDS:
                return _LabelMark(el, before, after, names_any=True, introduces=introduces)
            return None
        if len(self.walker.blocks) == 1 and len(text.split()) <= _LABEL_WORDS \
                and not _SENTENCE_PUNCTUATION.search(text) and el.find(".//a") is None:
            return _LabelMark(el, before, after, names_any=False, introduces=False)
        return None

    def header_line(self, el: etree._Element, text: str) -> bool:
        """Author, date and reading time right under the title: the post header (one line
        with separators, or one paragraph each)."""
        if len(text.split()) > _HEADER_LINE_WORDS:
            return False
        found = bool(self.author) and self.author in _norm(text)
        parts = (part.strip() for line in _lines(el) for part in _HEADER_SEPARATORS.split(line))
        dated, self.dated = self.dated, False
        for part in parts:
            match = _READING_TIME.search(part)
            if not match and (dated or self.dated) and self.reading_minutes is None \
                    and not _HAS_HEADING(el):
                # Right after the date, a reading time in words this pattern lacks ("1 dakikada
                # okunur", "١ دقائق قراءة", "1분 분량"): read by its shape, once.
                match = _shaped_reading_time(part)
            dated = False
            # "Updated: Jul 25, 2024": a labelled date is header too, but not the published day.
            label, colon, rest = part.partition(":")
            labelled = bool(colon and rest.strip()) and len(label.split()) <= 2
            if labelled:
                part = rest.strip()
            if match:
                self.reading_minutes = int(match.group(1))
                found, self.dated = True, False
            elif not part or len(part.split()) > _DATE_WORDS:
                continue
            elif day := parse_display_date(part, self.language):
                if not labelled:
                    self.display_date = self.display_date or day
                found = self.dated = True
            elif looks_like_date(part, self.language):
                found = self.dated = True
        return found


def _shaped_reading_time(text: str) -> re.Match[str] | None:
    """A reading time by its shape (the number as group 1): a number and at most two words,
    none capitalised, as the dump cleaner reads one under a date it knows
    (crawler.clean.text)."""
    words = text.split()
    if len(words) > 3 or any(word[:1].isupper() for word in words):
        return None
    return _SHAPED_READING_TIME.match(text)


def extract_element_post(main: etree._Element, base: str | None, *, titles: list[str],
                         author: str | None, language: str | None) -> ElementPost:
    """Walk an element-built page's main region. `titles`/`author` come from the page's own
    metadata (JSON-LD headline, og:title) and only help locate the title and header."""
    title_el = find_title(main, titles)
    walk = _ElementWalk(base, title_el, author, language)
    walk.visit(main)
    if not walk.has_body:
        walk.restore_held()  # the page ends after the share row: the line above it is the body
    walker = walk.walker
    body = Body(walker.blocks, "\n".join(walker.html), _join_markdown(walker.md),
                walker.images, walker.videos)
    if not walk.started or title_el is None:
        body.warnings.append("element-built page without a title element: body not located")
        return ElementPost(Body(warnings=body.warnings), walk.title, walk.reading_minutes,
                           walk.display_date)
    return ElementPost(body, walk.title, walk.reading_minutes, walk.display_date,
                       find_element_attachments(main, title_el, walk.end, base),
                       walk.taxonomy.categories, walk.taxonomy.tags, walk.ended)


# Marks a post whose body no known layout gave: the crawl summary counts these, so a new Wix
# layout shows up at once instead of as silently thin archive rows.
UNKNOWN_LAYOUT_WARNING = "unknown post layout: body extracted generically from the main region"


def fill_element_post(article: Article, root: etree._Element, base: str | None,
                      hints: tuple[str, ...] = ()) -> None:
    """Fill `article` (a post by its own metadata, no blog-app article) from the page body.

    `hints` are further titles the page states (og:title, <title>). Element-built layout
    first; when it yields nothing, trafilatura on the main region only
    (never the header or footer), marked with UNKNOWN_LAYOUT_WARNING.
    """
    warnings = article.warnings
    main = find_main(root)
    region = main if main is not None else root.find("body")
    # Any text at all: stops at the first words instead of joining the region's whole text.
    if region is None or not any(part.strip() for part in region.itertext()):
        warnings.append("post page with no text at all: empty body")
        return
    if has_element_content(region):
        titles = [article.title or "", *hints]
        found = extract_element_post(region, base, titles=titles, author=article.author,
                                     language=article.language)
        # A post of only images counts once its end was located: with no end marker its
        # text may sit in elements the walk does not read, which the generic path may find.
        if found.body.blocks or (found.body.images and found.ended):
            _apply(article, found)
            return
        warnings.extend(found.body.warnings)
    _fill_generic(article, region, base)


# data-hook values (exact, or up to "__") of the blog app's post header and footer: the title,
# author, dates, reading time, share row, counters, like button, tags and categories. A post
# whose body the blog app's hooks no longer locate is read generically from its <article>
# without them (see fill_unlocated_body).
_POST_CHROME_HOOKS = frozenset({
    "post-title", "user-name", "avatar-image", "profile-link", "badge", "time-ago",
    "time-to-read", "more-button", "popover-element", "post-main-actions-desktop",
    "post-main-actions", "post-stats", "like-button", "like-button-with-count", "share-button",
    "post-footer", "tag-cloud-root", "category-label-list", "skeleton-loader",
})


def fill_unlocated_body(article: Article, scope: etree._Element, base: str | None) -> None:
    """Fill `article` from its blog-app <article> (`scope`) when no known body container is
    in it (a Wix build that renamed them): trafilatura on the article less its header and
    footer, marked with UNKNOWN_LAYOUT_WARNING, so an unknown layout is counted, not archived
    empty in silence. An article with no text left besides them keeps an empty body."""
    region = copy.deepcopy(scope)
    for el in list(region.iterdescendants(etree.Element)):
        hook = el.get("data-hook")
        # An article's own <header> and <footer> hold its metadata and actions (HTML's
        # meaning, and the blog app's: "Updated:" sits in the header beside its date).
        if (el.tag in ("header", "footer") or (hook and hook.split("__")[0]
                                                in _POST_CHROME_HOOKS)) \
                and (parent := el.getparent()) is not None:
            parent.remove(el)  # its tail (text after it) goes too: chrome's, if any
            # A label left without its value ("Updated: " and the removed date) goes too.
            label = "".join(parent.itertext()).strip()
            if label.endswith(":") and len(label) <= 40 and parent.getparent() is not None:
                parent.getparent().remove(parent)
    if not any(part.strip() for part in region.itertext()):
        article.warnings.append("post page without a post body in the HTML")
        return
    _fill_generic(article, region, base, owned=True)


def _apply(article: Article, found: ElementPost) -> None:
    body = found.body
    article.body_text = body.text
    article.body_html = sanitize_html(body.html)
    article.body_markdown = body.markdown
    article.images = body.images
    article.attachments = found.attachments
    article.warnings.extend(body.warnings)
    if found.title and found.title != article.title:
        if article.title:
            article.warnings.append(f"the page's title {found.title!r} differs from its "
                                    f"metadata's {article.title!r}: the visible one is kept")
        article.title = found.title
    if found.reading_minutes is not None:
        article.reading_minutes = found.reading_minutes
    # No blog-app article: the page's own taxonomy links are all there is.
    article.categories = article.categories or found.categories
    article.tags = article.tags or found.tags
    if article.published is None and found.display_date:
        article.published = found.display_date
        article.warnings.append("published date read from the visible date (day only)")


def _fill_generic(article: Article, region: etree._Element, base: str | None, *,
                  owned: bool = False) -> None:
    """trafilatura on `region`; `owned`: a copy of the caller's own, moved rather than copied
    again."""
    # Imported here: only pages in an unknown layout need trafilatura.
    from crawler.extract.fallback import extract_with_trafilatura

    # trafilatura wants a whole document: the region alone, inside an otherwise empty one, and
    # no more of it than the fallback's bounded region (the page is not read after this).
    document = etree.Element("html")
    region = fallback_region(region, article.warnings)
    region = region if owned else copy.deepcopy(region)
    drop_card_lists(region, base)  # other posts' titles and excerpts are never this body
    etree.SubElement(document, "body").append(region)
    result = extract_with_trafilatura(document, base)
    article.warnings.append(UNKNOWN_LAYOUT_WARNING)
    if result.blocks and article.title and _norm(result.blocks[0]) == _norm(article.title):
        result = _without_first_block(result)  # the body starts after the title
    if not result.blocks:
        article.warnings.append("empty post body")
        return
    article.body_text = "\n\n".join(result.blocks)
    article.body_html = sanitize_html(result.html)
    article.body_markdown = result.markdown


def _without_first_block(result: Fallback) -> Fallback:
    """trafilatura's result less its first paragraph (its HTML and Markdown are one per line)."""
    blocks = result.blocks[1:]
    html = "\n".join(result.html.split("\n")[1:])
    markdown = "\n\n".join(result.markdown.split("\n\n")[1:])
    return Fallback(blocks, html, markdown, result.meta)
