"""Clean a text or Markdown dump of a Wix page: keep the article, report its metadata and chrome.

Handles the three dialects of ../shared/reference/wix-text-chrome.md §2 (full page framed by
"top of page" / "bottom of page" with `•` header bullets; markdown-ish with `-` bullets and single
newlines; content only) and whole-page dumps whose site header, menus and footer were kept, as
inscriptis, html-text, BeautifulSoup or a browser's copy give them (plain text) and html2text or
the LLM-era readers give them (Markdown: crawler.clean.markdown reads each line as the text it
shows). Modules by role: lines (one line's shape), page (page kind, title, Wix or not, output
Markdown), dates (ISO dates), vocabulary (the chrome's words in every locale it knows), shapes
(the header, counters and footer of a locale it does not know, read by their shapes).

The rules are positional, never keyword filters over the body (§7):

1. Frame: an exact first "top of page" and last "bottom of page" line; html-text prints the
   document <title> above "top of page" (or above the free-plan banner): it names the title.
2. Leading region: site-header lines (skip link, menu a11y text, search, login, "All Posts") that
   open the page; when a post header block is found, everything above the title is chrome too.
3. Header block: a run of date / reading-time / "Updated:" lines within the first lines, which may
   carry the author ("Writer: x" or a bare name); the title sits just above it (or just below in
   Wix's classic full-page layout, where the login button sits above the author).
4. Closing region: from the first post-footer widget (view/comment counters, like button, share
   row, "Tags:", "Recent Posts"+"See All" with no view counter after them, "Write a comment", a
   comments heading followed only by chrome) to the end, plus category rows just above it; then
   whole-line chrome read upwards from the end (comments heading, "bottom of page", copyright,
   image file names, social icons).

Paragraphs: every non-blank line is one paragraph. Dialect B separates paragraphs with single
newlines and dialect A with 1-3 blank lines, and list items are lines of their own, so a run of
lines is never merged, but for a word the extractor broke in two (lines.join_split_words). A
paragraph keeps its text byte-exact except for trailing whitespace, its indentation and a list
bullet ("•", "- ", "* "), which are dropped.

Page kinds (classified, not cleaned into fake posts; their title and post metadata are None except
a static page's heading): "listing" (two or more cards with reading times, or a card excerpt that
Wix cut mid-word while the page goes on), "blog-index" (a "Blog"-type heading opening the page),
"static" (a complete framed page, one opening with logo images, or one titled like a site page
such as "FAQ" or "Über uns", with no sign of a post),
"other" (nothing left), else "post". A chrome-free dump comes out unchanged: title + body are its
lines and chrome is empty.
"""

from __future__ import annotations

import re

from crawler.clean import markdown as md
from crawler.clean import vocabulary as v
from crawler.clean.dates import iso_date
from crawler.clean.error_pages import ERROR_TITLE
from crawler.clean.lines import (
    NAME_PARTICLES,
    SENTENCE_MARKS,
    Line,
    byline_over_date,
    finished_paragraph,
    heading_like,
    join_split_chrome,
    join_split_words,
    name_like,
    name_shaped,
    person_like,
    split_lines,
    tag_like,
    title_like,
    trim_invisible,
)
from crawler.clean.page import CARD_RUN, DOC_TITLE_SHARE, PageRules
from crawler.clean.shapes import (
    BARE_COUNT,
    SHAPED_DATE,
    SHAPED_WRITER,
    names_a_month,
    shaped_minutes,
)
from crawler.extract.record import CleanedText

# Within this many lines of the start a lone date or "Updated:" anchors a header block; further
# down (under long site menus) the block must hold a reading time.
NEAR, FAR = 8, 80
MENU_ITEM = 40  # characters of a site menu's item at most
# Lines the site's name, tagline and contact line take under "top of page", above its menu.
SITE_NAME_LINES = 3
# How far above a post's category label the blog's "All Posts" may sit (the category menu).
CATEGORY_MENU_LINES = 60
# Lines a tool may print after "bottom of page" (a cookie banner's text and buttons, a pop-up).
AFTER_BOTTOM = 4
# The document's <title> that html-text prints above "top of page" takes at most this many lines.
DOC_TITLE_LINES = 2
# Product names glued to "Ad" that are not the ad label ("AdSense"), see _strip_ad_label.
_AD_WORDS = {"sense", "words", "mob", "block", "blocker", "choices", "tech", "week", "age",
             "roll", "colony", "espresso", "stage", "thrive", "butler", "map", "blue"}


def _phrase(text: str) -> bool:
    """Words of a sentence rather than a label: several words, one of them all in lower case
    ("Thanks for reading", "Places we recommend", "Sing it loud"), where a tag is a word or a
    name ("IMPLANT", "Creative Business", "jiFunze Education")."""
    words = text.split()
    return len(words) > 1 and any(w.islower() and w not in NAME_PARTICLES for w in words)


# An item of an ordered list as the tools write it ("  1. Pizza", "2.  Pasta", "3) Dolci").
_ATX_MARKS = re.compile(r"^#{1,6}\s+")
_NUMBERED_ITEM = re.compile(r"^\s*\d{1,3}[.)]\s")


def _heading(line: Line) -> bool:
    """A heading under the header, which makes the line above it a byline or a category: not
    the post's first paragraph, a finished sentence ("We walked to the harbour at dawn.")."""
    return heading_like(line) and not finished_paragraph(line.text)


def _full_stop(text: str) -> bool:
    """Whether `text` ends on one full stop (not an ellipsis): a sentence, not a heading."""
    text = text.rstrip("\"'”’»)")
    return text.endswith((".", "。", "۔")) and not text.endswith(("..", "…"))


def _indent(line: Line) -> int:
    return len(line.raw) - len(line.raw.lstrip())


def _goes_on_above(text: str) -> bool:
    """Whether short lines under `text` go on from it rather than follow a finished
    paragraph: it introduces a list ("What I pack:"), or it is a short line with no closing
    mark itself, a verse's or a list's (a link ending a paragraph aside)."""
    return bool(text) and (text[-1] in ":：" or len(text) <= 60 and text[-1] not in SENTENCE_MARKS
                           and "://" not in text)


class _Cleaner(PageRules):
    def __init__(self, text: str, dialect: str) -> None:
        self.dialect = dialect
        self.lines = split_lines(text, dialect)
        join_split_chrome(self.lines)
        if dialect == "text":
            join_split_words(self.lines)
        self.c = [i for i, ln in enumerate(self.lines) if not ln.blank]  # content line indices
        self.role: dict[int, str] = {}  # line index -> "chrome" | "title" | "skip"
        self.out = CleanedText()
        self.pos = 0  # first content position not yet consumed by the leading region
        self.block = False
        self.evidence = False  # any sign of a blog post (header block, post footer widgets)
        self.framed = [False, False]  # "top of page" / "bottom of page" seen
        self.doc_title: str | None = None  # the <title> printed above "top of page"
        self.preamble_published: str | None = None  # a reader service's "Published Time:"
        self.sub_menu = False  # the blog's sub-header (All Posts, categories, search) was seen
        self.doc_title_only = False  # no header line shows the <title>: it is the title
        self.site_header = False  # the dump kept the site header (frame, menus, search, login)
        self.all_posts: str | None = None
        self.leading_images = False
        self.read_lines = 0
        self.partial: dict[int, str] = {}  # line index -> chrome cut from the start of that line
        self.shaped: dict[int, str] = {}
        # Reading times read by their shape under a date the vocabulary knows (_shaped_read).
        self.shaped_reads: set[int] = set()
        self.shaped_updates: set[int] = set()

    # -- stages -----------------------------------------------------------------------------------
    def frame(self) -> None:
        p0 = self.reader_preamble()
        # html-text writes the document's <title> above the page's "top of page" skip link.
        # Without the skip link, the free-plan ad banner or a skip link opens the page under it.
        top = next((k for k in range(p0, min(len(self.c), p0 + DOC_TITLE_LINES + 1))
                    if v.TOP_OF_PAGE.match(self.ln(k).text)), None)
        opener = top if top is not None or p0 else next(
            (k for k in range(1, min(len(self.c), DOC_TITLE_LINES + 1))
             if v.BANNERS.match(self.ln(k).text) or v.SKIP_LINK_LINE.match(self.ln(k).text)),
            None)
        if opener and opener > p0 and not v.is_leading_chrome(self.ln(p0).text):
            shown = [self.ln(k).text for k in range(p0, opener)]
            if not any(v.FEED_LINKS_LINE.match(text) for text in shown):
                self.doc_title = " ".join(shown)
            for k in range(p0, opener):
                self.chrome(k)
            self.pos = opener
        if top is not None:
            self.chrome(top)
            self.framed[0] = self.site_header = True
            self.pos = top + 1
        # "bottom of page" ends the page, but for what a tool may write after it: the cookie
        # banner and its buttons, or a pop-up's text, in whatever language the site speaks.
        last = next((k for k in range(len(self.c) - 1, max(0, len(self.c) - 2 - AFTER_BOTTOM), -1)
                     if v.BOTTOM_OF_PAGE.match(self.ln(k).text)), None)
        if last:
            for k in range(last, len(self.c)):
                self.chrome(k)
            self.framed[1] = True

    def leading(self) -> None:
        # The menu's a11y hint closes the site header: the menu items above it are chrome.
        for k in range(self.pos, min(len(self.c), self.pos + FAR)):
            if v.MENU_A11Y_LINE.match(self.ln(k).text):
                for j in range(self.pos, k + 1):
                    self.chrome(j)
                self.pos = k + 1
                self.site_header = True
        self.link_menu()
        self.sidebar()
        self.sub_header()
        while self.pos < len(self.c):
            t = self.ln(self.pos).text
            if not (v.is_leading_chrome(t) or v.MORE_MENU_LINE.match(t)
                    or v.BANNER_BUTTON_LINE.match(t)):
                break
            self.leading_images |= bool(v.MARKDOWN_IMAGES.match(t))
            self.site_header = True
            self.chrome(self.pos)
            self.pos += 1

    def link_menu(self) -> None:
        """A Markdown page that opens on a run of lines made only of links (the site's name and
        menu, when the reader dropped the menu's a11y hint): site header. Never the `#` title."""
        k = self.pos
        while k < len(self.c) and (self.ln(k).link_only or v.MORE_MENU_LINE.match(
                self.ln(k).text)) and self.ln(k).heading != 1:
            k += 1
        if k - self.pos >= 2:
            for j in range(self.pos, k):
                self.chrome(j)
            # The blog's category menu among the links: the post header follows as under
            # sub_header's menu (an author bullet over the title when dates are hidden).
            self.sub_menu |= any(v.ALL_POSTS_LINE.match(self.ln(j).text)
                                 for j in range(self.pos, k))
            self.pos, self.site_header = k, True

    def sidebar(self) -> None:
        """An older blog layout's sidebar, which a Markdown copy may put above the post:
        "Recent Posts" over links to other posts, maybe "Archive" and "Tags" over theirs, each
        heading over a run of list items made only of links. Chrome where "Recent Posts" is
        among its headings; the post header then lies past it (it pushed the header too far
        down to be found, the post's title, date and reading time left in the body)."""
        k, recent = self.pos, False
        while k < len(self.c):
            heading = self.ln(k)
            if heading.bullet or len(heading.text) > MENU_ITEM or heading.link_only:
                break
            j = k + 1
            while j < len(self.c) and self.ln(j).bullet and self.ln(j).link_only:
                j += 1
            if j == k + 1:
                break
            recent |= bool(v.RECENT_POSTS_LINE.match(heading.text))
            k = j
        if recent:
            for j in range(self.pos, k):
                self.chrome(j)
            self.pos = k

    def sub_header(self) -> None:
        """The blog's sub-header: "All Posts", category links, search box, login button."""
        last = None
        menu = False  # a list item seen: the site's menu has begun
        for k in range(self.pos, min(len(self.c), self.pos + FAR)):
            t = self.ln(k).text
            menu |= self.ln(k).bullet
            if v.SEARCH_LINE.match(t) or v.LOGIN_LINE.match(t) or v.ALL_POSTS_LINE.match(t):
                last = k
            elif (len(t) > 60 or t.endswith((".", "。")) and not v.MORE_MENU_LINE.match(t)
                  or self.meta(k)) and not self._site_tagline(k, menu):
                break  # past the menus: the article has started
        if last is not None:
            # The category links listed with "All Posts" (the same list: glued lines at its
            # indentation), not the author's bullet that may follow, indented under them.
            while (last + 1 < len(self.c) and self.c[last + 1] == self.c[last] + 1
                   and self.ln(last + 1).bullet and _indent(self.ln(last + 1)) == _indent(
                       self.ln(last)) and len(self.ln(last + 1).text) <= MENU_ITEM):
                last += 1
            self.site_header = self.sub_menu = True
            for k in range(self.pos, last + 1):
                self.chrome(k)
            self.pos = last + 1

    def _site_tagline(self, k: int, menu: bool) -> bool:
        """A sentence under "top of page" and above the site's menu (its tagline, a phone
        line): at most SITE_NAME_LINES lines, the menu's list items right under them."""
        below = range(k + 1, min(len(self.c), self.pos + SITE_NAME_LINES + 1))
        return (self.framed[0] and not menu and k < self.pos + SITE_NAME_LINES
                and self.meta(k) is None and any(self.ln(j).bullet for j in below))

    def find_block(self) -> tuple[int, int] | None:
        window = FAR if self.site_header else NEAR
        k = self.pos
        while k < min(len(self.c), self.pos + window):
            kind = self.meta(k)
            if kind is None:
                k += 1
                continue
            # One date, one reading time and one "Updated:" at most: a date list is content.
            kinds = {"date", "read"} if kind == "glued" else {kind}
            end = k
            while end + 1 < len(self.c):
                nxt = self.meta(end + 1)
                if nxt is None and self.meta(end) == "date" and v.BARE_MINUTES.match(
                        self.ln(end + 1).text):
                    nxt = "read"
                new = {"date", "read"} if nxt == "glued" else {nxt}
                if nxt is None or new & kinds:
                    break
                kinds |= new
                end += 1
            above = self.ln(k - 1).text if k - 1 >= self.pos else ""
            if (kinds == {"read"} and above and self.meta(k - 1) is None
                    and SHAPED_DATE.match(above) and names_a_month(above)):
                # A date the vocabulary's forms miss ("6 cze 2019") over a reading time it knows.
                k -= 1
                self.shaped[k] = "date"
                kinds.add("date")
            following = self.meta(end + 1) if end + 1 < len(self.c) else None
            if "read" not in kinds and following in ("date", "glued"):
                k = end + 1  # a list of dates is content, not a header
                while k < len(self.c) and self.meta(k) in ("date", "glued"):
                    k += 1
                continue
            if (k - self.pos < NEAR or "read" in kinds or self._dated_header(k, end, kinds)
                    or kinds == {"updated"} and self._titled_under_menu(k)):
                return k, self._shaped_read(end, kinds)
            k = end + 1
        return self.shaped_block(NEAR, FAR)

    def _shaped_read(self, end: int, kinds: set[str]) -> int:
        """The block's end, taking a reading time in words the vocabulary lacks right under its
        date: a locale whose month names the vocabulary knows from another language (Turkish
        "31 May" over "1 dakikada okunur", Swedish "3 okt. 2023" over "2 min läsning"). A
        number and at most two words, none capitalised: a blog that hides the reading time
        has its title there ("13 YouTube Tips", "3 ways to relax"). Not over another such
        line: a list of quantities is content."""
        below = end + 1
        if ("read" in kinds or self.meta(end) != "date" or below >= len(self.c)
                or self.meta(below) is not None
                or shaped_minutes(text := self.ln(below).text) is None
                or len(text.split()) > 3 or any(word[:1].isupper() for word in text.split())
                or below + 1 < len(self.c) and shaped_minutes(self.ln(below + 1).text) is not None):
            return end
        self.shaped_reads.add(below)
        return below

    def _updated_under(self, k: int) -> bool:
        """The line at `k` is a title with an "Updated:" line right under it (its words known,
        or its shape under a header read by shape)."""
        return (k + 1 < len(self.c) and title_like(self.ln(k))
                and (self.meta(k + 1) == "updated" or self.shaped_updated(k + 1)))

    def _titled_under_menu(self, k: int) -> bool:
        """A lone "Updated:" line far down (a blog that hides dates and reading times) is the
        post's header when a title sits right above it, or the author's name (a list item)
        under the title, and only a site menu above: short lines, none a sentence ("¡COLABORA!"
        may be an item). A heading with its update line after paragraphs is text."""
        above = k - 1
        if (above > self.pos and self.ln(above).bullet and name_like(self.ln(above).text)):
            above -= 1
        if above < self.pos or not title_like(self.ln(above)):
            return False
        return all(len(text := self.ln(j).text) <= MENU_ITEM and not text.endswith((".", "。"))
                   and not finished_paragraph(text) for j in range(self.pos, above))

    def _dated_header(self, k: int, end: int, kinds: set[str]) -> bool:
        """A post header with a date and no reading time (a blog may hide it), below long site
        menus: the date with its "Updated:" line, or a lone date under the author's name and
        over a title, or over the title that an "Updated:" line follows."""
        if "date" not in kinds:
            return False
        if "updated" in kinds:
            return True
        after = end + 1
        if after >= len(self.c) or not title_like(self.ln(after)):
            return False
        return self._updated_under(after) or (k - 1 >= self.pos
                                              and name_like(self.ln(k - 1).text))

    def take_block(self, b0: int, b1: int) -> None:
        for k in range(b0, b1 + 1):
            self.take_meta(k)
        self.block = self.evidence = True

    def header(self, b0: int, b1: int) -> int:
        """Author and title around the block; returns the first body position."""
        self.take_block(b0, b1)
        bulleted = any(self.ln(k).bullet for k in range(b0, b1 + 1))
        p = b0 - 1
        writer = self.out.author  # named in the block itself ("Ann · Mar 3 · 2 min read")
        if writer is None:
            writer, p = self.writer_above(p, bulleted)
        self.out.author = writer
        after = self.share_bar_after(b1 + 1)
        while after < len(self.c) and (self.meta(after) == "updated"
                                       or v.HEADER_WIDGET_LINE.match(self.ln(after).text)
                                       or v.SHARE_BAR.match(self.ln(after).text)
                                       or self.share_label(after)):
            self.take_meta(after)
            after = self.share_bar_after(after + 1)
        if self.shaped_updated(after):
            self.take_meta(after)
            after += 1
        a1 = self.ln(after) if after < len(self.c) else None

        def leading(k: int) -> bool:
            return k < self.pos or not self.free(k) or v.is_leading_chrome(self.ln(k).text) or bool(
                v.MORE_MENU_LINE.match(self.ln(k).text))

        title_at: int | None = None
        classic = False  # the author read over the date: the title is the line under the block
        dated = any(self.meta(k) != "updated" for k in range(b0, b1 + 1))
        if not dated:
            # A lone "Updated:" line sits under the title and never carries the author, but for
            # the author's bullet above it when the blog hides dates and reading times.
            # html-text drops the bullet: then the line above showing the document <title>
            # says which of the two is the title.
            if not leading(p) and name_like(self.ln(p).text) and (
                    p - 1 >= self.pos and not leading(p - 1) and not self.ln(p - 1).bullet
                    and title_like(self.ln(p - 1))) and (
                    self.ln(p).bullet or self._shows_doc_title(p - 1, self.ln(p))
                    or self._name_under_title(p)):
                self.out.author = self.ln(p).text
                self.chrome(p)
                title_at = p - 1
            elif not leading(p):
                title_at = p
                # Classic layout: the author's name first under the login button, over it.
                if (self.sub_menu and p - 1 == self.pos and self.free(p - 1)
                        and person_like(self.ln(p - 1).text)):
                    self.out.author = self.ln(p - 1).text
                    self.chrome(p - 1)
        elif self._updated_under(after):
            # "Updated:" under the line after the block: that line is the title (classic
            # layout), and a name right above the block the author's, unless the block's own
            # bullet named the author (then that line is the site's: its search or login).
            if writer is None and not leading(p) and name_like(self.ln(p).text):
                self.out.author = self.ln(p).text
                self.chrome(p)
        elif writer is not None or bulleted:
            if not (leading(p) or self.ln(p).bullet or self.shaped and self.title_below(p, a1)):
                title_at = p
        elif not leading(p):
            p1 = self.ln(p).text
            if leading(p - 1):
                # Classic layout: "Log in" / author / date / title; new layout: title / date.
                # A line of a caseless script (Arabic, Hebrew) is shaped like any name: then
                # the line under the block must be a heading, not a paragraph (finished, or a
                # short one ended by a full stop, which titles are not).
                if a1 is not None and heading_like(a1) and name_shaped(p1) and (
                        person_like(p1) or _heading(a1) and not _full_stop(a1.text)
                ) and not self._shows_doc_title(p, a1):
                    self.out.author = p1
                    self.chrome(p)
                    classic = True
                else:
                    title_at = p
            elif self._byline_over_date(p) and not (
                    self._call_to_action(p - 1) and not (a1 is not None and _heading(a1))):
                self.out.author = p1
                self.chrome(p)
                if not (self.shaped and self.title_below(p - 1, a1)
                        or self._category_above(p - 1, a1) or self._call_to_action(p - 1)
                        or self._site_link_over_title(p - 1, a1)):
                    title_at = p - 1
            elif self.shaped and self.title_below(p, a1):
                self.chrome(p)  # the login button in words we do not know; the title follows
            else:
                title_at = p
        if title_at is None:
            # The title follows the block (classic full-page layout), then maybe "Updated:".
            start = p + 1
            # The login button or menus sit above the block, or the author does.
            loose = self.site_header or classic
            if a1 is not None and (heading_like(a1) if loose else title_like(a1)):
                title_at = after
                after = self.share_bar_after(after + 1)
                while after < len(self.c) and (self.meta(after) == "updated"
                                               or self.shaped_updated(after)):
                    self.take_meta(after)
                    after += 1
        else:
            start = title_at
        # Above the title: site menus in a full-page dump; kept as text in a content-only one.
        # The blog's "All Posts" link above the title shows the dump kept the site's chrome,
        # where a tagline or a long quote in the site header hid it from sub_header.
        self.site_header |= any(v.ALL_POSTS_LINE.match(self.ln(k).text)
                                for k in range(self.pos, start))
        for k in range(self.pos, start):
            if self.free(k) and (self.site_header or v.is_leading_chrome(self.ln(k).text)):
                self.chrome(k)
        if title_at is not None:
            self.role[self.c[title_at]] = "title"
        return after

    def share_bar_after(self, k: int) -> int:
        """Past a share bar whose buttons come one a line at `k` (under the header or the
        title), marked chrome; `k` where none does."""
        for j in range(k, k + (n := self.share_bar_run(k))):
            self.chrome(j)
        return k + n

    def _shows_doc_title(self, k: int, other: Line) -> bool:
        """Whether line `k` shows the document's <title> that html-text prints, and better
        than `other`."""
        share = self.doc_title_share(self.ln(k).text)
        return share >= DOC_TITLE_SHARE and share > self.doc_title_share(other.text)

    def _byline_over_date(self, p: int) -> bool:
        """Whether the line right above the post's date is the author's (then the one above it
        is the title) rather than the title. The document's <title> html-text prints settles
        it when either line shows it; else the lines' shapes (byline_over_date)."""
        above, here = (self.doc_title_share(self.ln(k).text) for k in (p - 1, p))
        if max(above, here) >= DOC_TITLE_SHARE:
            return above > here and name_like(self.ln(p).text)
        return byline_over_date(self.ln(p).text, self.ln(p - 1))

    def _category_above(self, above: int, below: Line | None) -> bool:
        """Under the blog's category menu, the line above the author is the post's category
        (classic layout: category link / author / date / reading time / title) when it is a
        short label and the line below the header a longer heading: "Success Story" over
        "A Farewell from Fred Brookes", where a browser's copy drops the search box and login
        button that would otherwise close the menu."""
        if below is None or above < self.pos or not _heading(below):
            return False
        text = self.ln(above).text
        if not (len(text) <= 25 and len(text.split()) <= 4 and len(below.text) > len(text) + 5):
            return False
        # The category menu: "All Posts", then short labels down to this one.
        k = above - 1
        while k >= max(0, above - CATEGORY_MENU_LINES) and not v.ALL_POSTS_LINE.match(
                self.ln(k).text):
            label = self.ln(k).text
            if not label or len(label) > 40 or label[-1] in SENTENCE_MARKS or v.DATE.match(label):
                return False
            k -= 1
        return k >= 0 and bool(v.ALL_POSTS_LINE.match(self.ln(k).text))

    def writer_above(self, p: int, bulleted: bool) -> tuple[str | None, int]:
        """The author named on the line(s) ending at `p`, right above the header block (taken
        as chrome), and the line above them."""
        if p >= self.pos and (m := v.WRITER.match(self.ln(p).text)):
            self.chrome(p)
            return m.group("name"), p - 1
        if (p - 1 >= self.pos and (m := v.WRITER.match(self.ln(p - 1).text)
                                   or SHAPED_WRITER.match(self.ln(p - 1).text))
                and self.ln(p).text == m.group("name")):  # the name repeated under "Writer: x"
            self.chrome(p)
            self.chrome(p - 1)
            return m.group("name"), p - 2
        if bulleted and p >= self.pos and self.ln(p).bullet and name_like(self.ln(p).text):
            self.chrome(p)
            return self.ln(p).text, p - 1
        return None, p

    def no_header(self) -> int:
        """Title of a page without a header block; returns the first body position."""
        k = self.pos
        if k >= len(self.c):
            return k
        first = self.ln(k)
        nxt = self.ln(k + 1) if k + 1 < len(self.c) else None
        top = self.c[0]
        bylined = False
        if (menu := self._copied_category_menu()) is not None:
            # No evidence of a post (self.evidence stays unset): a listing's cards sit
            # under the same menu.
            k, title_at = menu
            if title_at is not None:
                self.role[self.c[title_at]] = "title"
                return title_at + 1
            if k >= len(self.c):
                return k
            # Under a blank line, the first line of a paragraph of several (a poem's stanza)
            # is the text's, no title: a short title was one more label of the run.
            if (self.c[k] != self.c[k - 1] + 1 and k + 1 < len(self.c)
                    and self.c[k + 1] == self.c[k] + 1):
                return k
        # A label glued under "top of page" (logo, decorative image) above the real heading.
        elif (self.framed[0] and self.c[k] == top + 1 and not first.bullet and nxt is not None
                and self.lines[self.c[k] + 1].blank and title_like(nxt) and title_like(first)):
            self.chrome(k)
            k += 1
        # Author bullet above the title, with no date or reading time (§6.11, 015), or right
        # under the blog's sub-header (search box) when the blog hides dates and reading times
        # (also on the oldest builds, which show no "top of page"). Not a list's first item:
        # the author's bullet stands alone.
        elif ((self.framed[0] or self.sub_menu) and first.bullet and name_like(first.text)
              and not (nxt is not None and nxt.bullet)
              and (nxt is not None and title_like(nxt) or self.sub_menu)):
            self.out.author = first.text
            self.evidence = bylined = True
            self.chrome(k)
            k += 1
            if k >= len(self.c):
                return k
        # A browser's copy of the classic layout so hidden: under the login button, the
        # author's name glued over the title, which is no name (the new layout's title over
        # its author is no name first, or has a name under it). The title may end in a full
        # stop ("12 ways to relax.") over the post's longer first line.
        elif (k >= 1 and v.LOGIN_LINE.match(self.ln(k - 1).text) and not first.bullet
              and person_like(first.text) and nxt is not None and self.c[k + 1] == self.c[k] + 1
              and (title_like(nxt) or self._title_over_longer(k + 1))
              and not person_like(nxt.text)):
            self.out.author = first.text
            self.evidence = bylined = True
            self.chrome(k)
            k += 1
        line = self.ln(k)
        i = self.c[k]
        # A question glued to its answer is a Q&A heading, not a title (§ content-only dumps).
        qa = line.text.endswith("?") and i + 1 < len(self.lines) and not self.lines[i + 1].blank
        # Under the author's bullet the title's place is framed: a title may end in a full
        # stop ("12 ways to relax.") there, over the post's longer text (not a one-line post
        # over its photo's caption).
        framed = bylined and self._title_over_longer(k)
        if (title_like(line) or framed) and not (qa and not self.site_header):
            self.role[i] = "title"
            return k + 1
        return k

    def _name_under_title(self, p: int) -> bool:
        """A browser's copy of the new layout hiding dates and reading times (no bullets):
        the author's name glued under a title that is no name, a sentence's words ("PhD
        positions in Astronomy and Astrophysics" / "abhinnasundar001"), where the classic
        layout's title is under the name. A site menu's item of a few words ("Meet the team")
        over a title shaped like a name is no such title: four words at least, or the line
        right under the blog's sub-header or the site's header. Nor is the header's last
        button, a call to action of any length ("Book a free consultation today" over
        "Resilience"): real menus hold many, real titles few."""
        title, name = self.ln(p - 1).text, self.ln(p).text
        return (self.c[p] == self.c[p - 1] + 1 and person_like(name)
                and not person_like(title) and _phrase(title)
                and (len(title.split()) >= 4 and not self._call_to_action(p - 1)
                     or p - 1 == self.pos
                     or v.ALL_POSTS_LINE.match(self.ln(p - 2).text) is not None))

    def _site_link_over_title(self, k: int, below: Line | None) -> bool:
        """Line `k`, over the author's name and the date, is the site menu's last link, to one
        of its pages ("Contact", "About Us", "Blog"), where a copy keeps the site's menu and the
        blog shows no menu or login of its own: the title is the heading under the header
        (classic layout). A post so titled over its author (new layout) has its text under
        the header, no heading."""
        text = self.ln(k).text
        return (below is not None and _heading(below)
                and bool(v.SITE_PAGE_LINE.match(text) or v.BLOG_INDEX_LINE.match(text)))

    def _call_to_action(self, k: int) -> bool:
        """Line `k` is the site header's last button, no title: a short line asking the
        visitor to act ("Book a free consultation today", vocabulary.CALL_TO_ACTION)."""
        text = self.ln(k).text
        return len(text) <= MENU_ITEM and v.CALL_TO_ACTION.match(text) is not None

    def _title_over_longer(self, k: int) -> bool:
        """Line `k`, framed as the title by the author's name above it, is one even when it
        ends in a full stop: a longer line (the post's text) follows it, not a one-line
        post's photo caption."""
        return (heading_like(self.ln(k)) and k + 1 < len(self.c)
                and len(self.ln(k + 1).text) > len(self.ln(k).text))

    def _menu_label(self, k: int) -> bool:
        """A category link of the blog's menu as a copy shows it: a short label, no bullet,
        no sentence ("Architektur", "Clean Energy", "Start A Small Business"); never a date."""
        ln = self.ln(k)
        return (0 < len(ln.text) <= MENU_ITEM and not ln.bullet and not _phrase(ln.text)
                and ln.text[-1] not in SENTENCE_MARKS and any(ch.isalpha() for ch in ln.text)
                and self.meta(k) is None and not v.DATE.match(ln.text))

    def _named_label(self, k: int) -> bool:
        """Line `k`, a label of the blog's menu by its shape, names a person, not a category:
        shaped like a name of two words or more ("Woody Kitson"), or a username, one token
        not capitalised ("woodykitson01"); one capitalised word ("Recipes") may be either."""
        text = self.ln(k).text
        return person_like(text) and (len(text.split()) >= 2 or not text[:1].isupper())

    def _copied_category_menu(self) -> tuple[int, int | None] | None:
        """A browser's copy of a post whose blog hides its dates and reading times: the copy
        has no list bullets, so sub_header took "All Posts" alone, and the blog's category
        links stand glued under it, one short label a line, over the post header. Returns the
        first line after the labels, taken as chrome, and the title's line when the new
        layout shows it: a longer line over the author's name, the three glued, or two labels,
        the second a name, over the text past a blank line. Else three
        labels or more: the first is a category, and of the last two, a title and an author
        may be read either way (classic layout: author, then title; new: title, then author)
        as may two categories, so all are chrome and no line is named; then the title is
        read under them as on any page. None when no such menu stands under "All Posts"."""
        k = self.pos
        if not (1 <= k < len(self.c) and v.ALL_POSTS_LINE.match(self.ln(k - 1).text)
                and self.c[k] == self.c[k - 1] + 1):
            return None
        end = k
        while end < len(self.c) and self._menu_label(end) and self.c[end] == self.c[end - 1] + 1:
            end += 1
        # A listing's cards under the menu, the first one's author read as its last label.
        if end >= len(self.c) or self._card_heads(end - 1, len(self.c)) >= CARD_RUN:
            return None
        # A blog with no categories: "All Posts" alone over the new layout's title, a
        # sentence's words no category label shows, the author's name glued under it, then the
        # post past a blank line (its name was left as the body's first line).
        if end == k and k + 1 < len(self.c) and title_like(self.ln(k)) \
                and self._name_under_title(k + 1) \
                and (k + 2 == len(self.c) or self.c[k + 2] != self.c[k + 1] + 1):
            self.out.author = self.ln(k + 1).text
            self.chrome(k + 1)
            return k, k
        # Two labels alone, the second a person's name of two words or more, or a username
        # ("Spring Notes" / "Woody Kitson"), then the post's text past a blank line: the new
        # layout's title over its author, no heading under them (two categories would have the
        # header under them). Both readings the other way (the classic layout's author over
        # its title, two categories over a hidden title) leave the name out of the body too.
        if (end == k + 2 and end < len(self.c) and self.c[end] != self.c[end - 1] + 1
                and self._named_label(k + 1) and not title_like(self.ln(end))):
            self.out.author = self.ln(k + 1).text
            self.chrome(k + 1)
            return k, k
        author = end + 1
        # The title glued to the labels, as the header stands under the menu: past a blank
        # line, two lines of the post's text (a list's first items) are no title and author.
        if (end > k and self.c[end] == self.c[end - 1] + 1 and title_like(self.ln(end))
                and author < len(self.c)
                and self.c[author] == self.c[end] + 1 and self._menu_label(author)
                and person_like(self.ln(author).text)):
            self.out.author = self.ln(author).text
            self.chrome(author)
            title: int | None = end
        elif end - k >= 3:
            title = None
        else:
            return None
        for j in range(k, end):
            self.chrome(j)
        return end, title

    def closing(self, start: int) -> int:
        """Mark the closing region; returns the content position where it starts."""
        end = len(self.c)
        # Read by shape only where the vocabulary names no "Recent Posts" on the page.
        by_shape = self.site_header and not any(v.RECENT_POSTS_LINE.match(self.ln(k).text)
                                                for k in range(start, len(self.c)))
        recent_posts = self.shaped_recent(start) if by_shape else None
        for k in range(start, len(self.c)):
            t = self.ln(k).text
            nxt = self.ln(k + 1).text if k + 1 < len(self.c) else None
            if (v.is_closing_anchor(t) or self.shaped_counters(k)
                    or (v.RECENT_POSTS_LINE.match(t) and nxt and v.SEE_ALL_LINE.match(nxt)
                        and not self._views_counter_after(k + 2)
                        and not self._post_goes_on(k + 2))
                    or (recent_posts is not None and recent_posts(k))
                    or (v.COMMENTS_HEADING.match(t) and self._only_chrome_after(k))):
                end = self.category_row(start, k)
                self.evidence = True
                break
        else:
            end = self.repeated_menu(start)
        # The post's categories over its footer, as the blog's category menu above named them
        # (after "All Posts": a site menu's "Book Online" may well end a post).
        categories = self.menu_items(start, after_all_posts=True)
        while end - 1 >= start and self.ln(end - 1).text in categories:
            end -= 1
        for k in range(end, len(self.c)):
            self.chrome(k)
        # Whole-line chrome read upwards from the end of the page.
        k = end - 1
        while k >= start and (v.is_closing_chrome(self.ln(k).text) or not self.ln(k).text
                              or self.share_bar_run(k, step=-1)):
            # A share bar's buttons one a line ("X (Twitter)", "Link copied") go as a whole.
            if run := self.share_bar_run(k, step=-1):
                for j in range(max(start, k - run + 1), k + 1):
                    self.chrome(j)
                k = max(start, k - run + 1)
            if v.COMMENTS_HEADING.match(self.ln(k).text) or v.COUNTERS.match(self.ln(k).text):
                self.evidence = True
            if self.ln(k).text:
                self.chrome(k)
            else:
                self.role[self.c[k]] = "skip"  # a bullet whose text was cut off
            end = k
            k -= 1
        return end

    def _views_counter_after(self, k: int) -> bool:
        """Whether the post's own view counter comes at or after line `k`: then a "Recent Posts"
        / "See All" above it are two lines of the post (the widget's cards show bare numbers)."""
        return any(v.VIEWS_COUNTER.match(self.ln(j).text) or self.shaped_counters(j)
                   for j in range(k, len(self.c)))

    def _post_goes_on(self, k: int) -> bool:
        """Whether the post's own text goes on at line `k`, under "Recent Posts" / "See All"
        with no view counter anywhere (a content-only copy of a post that names the widget):
        a finished paragraph right there, ended by a full stop, where the widget shows a
        post's title (which may be a question: "What Is a Merchant ID?"), and no card's counts
        or like button down to the end (the post's share bar may follow: the widget sits under
        it)."""
        if k >= len(self.c) or not (finished_paragraph(text := self.ln(k).text)
                                    and text.rstrip("\"'”’»)").endswith((".", "。", "।"))):
            return False
        return not any(BARE_COUNT.match(text := self.ln(j).text) or v.LIKED_LINE.match(text)
                       or v.COUNTERS.match(text) for j in range(k + 1, len(self.c)))

    def _only_chrome_after(self, k: int) -> bool:
        """Whether only chrome follows line `k` (a comments heading) down to the next post-footer
        widget or the end: the comments widget, not a heading of the post followed by chrome
        words ("Comments" / "Log in" / "See All") and then its paragraphs."""
        for j in range(k + 1, len(self.c)):
            text = self.ln(j).text
            if v.is_closing_anchor(text):
                return True
            if text and not v.is_closing_chrome(text):
                return False
        return True

    def category_row(self, start: int, k: int) -> int:
        """Category/tag links separated by lone "•" just above the post footer: chrome too."""

        def sep(j: int) -> bool:
            return self.ln(j).separator

        first = k
        while (first - 2 >= start and name_like(self.ln(first - 1).text) and sep(first - 2)
               and first - 3 >= start and name_like(self.ln(first - 3).text)):
            first -= 2
        if first < k:
            return first - 1
        # Wix's tag list: one short label a line ("IMPLANT" / "BASIC"), all in the same shape,
        # right above the view counter. Two at least: a post may end on one short line.
        if not (v.COUNTERS.match(self.ln(k).text) or self.shaped_counters(k)):
            return k
        first = k
        while first - 1 >= start and tag_like(self.ln(first - 1)) and not _phrase(
                self.ln(first - 1).text) and self.ln(first - 1).bullet == self.ln(k - 1).bullet:
            first -= 1
        if first - 1 >= start and _goes_on_above(self.ln(first - 1).text):
            return k  # the end of a poem, a song or a list, not the tags under it
        if any(_NUMBERED_ITEM.match(self.ln(j).source or self.ln(j).raw) for j in range(first, k)):
            return k  # an ordered list: no tool numbers the tags
        # Bare lines (html-text's) each a paragraph apart: a list or a heading over one, where
        # the tags are printed one under the other (IMPLANT / BASIC / COMPREHENSIVE).
        if k - first >= 3 and not self.ln(first).bullet and all(
                self.c[j + 1] - self.c[j] > 1 for j in range(first, k - 1)):
            return k
        if k - first == 1 and self.ln(first).bullet and (
                first - 1 < start or not self.ln(first - 1).bullet):
            return first  # one category, a list item of its own under the last paragraph
        return first if k - first >= 2 else k

    def in_body(self, start: int, end: int) -> None:
        """Chrome inside the body: images, an alt text under the header, doubled captions, the
        words Ricos's viewer adds to a block (a spoiler's cover, a poll's buttons, a player's
        times)."""
        body = [k for k in range(start, end) if self.free(k)]
        for k in body:
            ln = self.ln(k)
            if v.MARKDOWN_IMAGES.match(ln.text) or ln.taxonomy or v.RICOS_BLOCK_LINE.match(ln.text):
                self.chrome(k)
            elif not ln.text:
                self.role[self.c[k]] = "skip"  # a bullet whose text was cut off
        body = [k for k in body if self.free(k)]
        if self.block and body:
            ln, i = self.ln(body[0]), self.c[body[0]]
            # The cover image's alt text: a lowercase phrase alone under the header (011, 017).
            if (ln.text[:1].islower() and not ln.bullet and len(ln.text) <= 120
                    and ln.text[-1] not in SENTENCE_MARKS
                    and i + 1 < len(self.lines) and self.lines[i + 1].blank):
                self.chrome(body[0])
                body = body[1:]
        for a, b in zip(body, body[1:], strict=False):
            ta = self.ln(a).text
            if (b == a + 1 and ta == self.ln(b).text and len(ta) <= 80
                    and ta[-1] not in SENTENCE_MARKS):
                self.chrome(a)  # the image's alt text, then its visible caption
        if self.block and body and self.free(body[0]):
            self._strip_ad_label(body[0])

    def _strip_ad_label(self, k: int) -> None:
        """The ad label glued to the first paragraph ("AdChances are…", §3.3 #12). A brand that
        starts with "Ad" ("AdRoll", "AdSense") is named again in a post about it, or is one of
        the well-known ones: those keep their "Ad"."""
        ln = self.ln(k)
        m = re.match(r"Ad(?=([A-Z][a-z]+)\b)", ln.body)
        if not m or m.group(1).lower() in _AD_WORDS:
            return
        brand = "Ad" + m.group(1)
        named = sum(len(re.findall(rf"\b{brand}\b", line.text)) for line in self.lines)
        if named == 1:
            ln.body = ln.body[2:]
            self.partial[self.c[k]] = "Ad"

    def run(self) -> CleanedText:
        if not self.c:
            self.out.page_kind = "other"
            return self.out
        self.frame()
        self.leading()
        heading = self.pos if self.pos < len(self.c) else None
        block = self.find_block()
        body_start = self.header(*block) if block else self.no_header()
        end = self.closing(body_start)
        self.in_body(body_start, end)
        kind = self.classify(body_start, end)
        title = next((i for i, r in self.role.items() if r == "title"), None)
        blog_index = heading is not None and v.BLOG_INDEX_LINE.match(self.ln(heading).text)
        if blog_index:
            kind = "blog-index"  # a blog home page showing its latest post inline (§3.5)
        if kind in ("listing", "blog-index") and title is not None:
            del self.role[title]  # a card's title is not the page's
            title = None
        if blog_index:
            self.chrome(heading)
            tagline = heading + 1
            if tagline < end and self.free(tagline) and len(self.ln(tagline).text) <= 200:
                self.chrome(tagline)  # the blog's one-line description under its heading
        if kind == "post" and self.doc_title:
            title = self._doc_title_line(title, body_start)
        elif kind == "post" and self.dialect == "markdown":
            title = self._h1_title(title, body_start)
        if kind == "static" and any(text and ERROR_TITLE.search(text) for text in (
                self.doc_title, self.lines[title].text if title is not None else None)):
            kind = "error"  # Wix's "Page Not Found" page, framed like any other
        if kind != "post":
            self.out.author = self.out.date = self.out.updated = None
            self.out.reading_minutes = None
        self.out.page_kind = kind
        self.out.title = trim_invisible(self.lines[title].body) if title is not None else None
        if self.out.title and self.dialect == "text":
            # A plain copy whose one Markdown sign is its `#` title (too few to read it as
            # Markdown): the marks are no part of the title.
            self.out.title = _ATX_MARKS.sub("", self.out.title) or self.out.title
        self.out.author = v.without_by(self.out.author)
        if self.doc_title_only and kind == "post":
            self.out.title = self.doc_title
        self._separators()
        self.out.wix = self._wix_signs()
        if not self.out.wix and ("chrome" in self.role.values() or self.partial):
            self._keep_everything(kind)
        kept = []
        for i, ln in enumerate(self.lines):
            role = self.role.get(i)
            if role == "chrome":
                self.out.chrome.append(ln.raw.strip())
            elif role is None and not ln.blank:
                if i in self.partial:
                    self.out.chrome.append(self.partial[i])
                # A line that shows nothing once read (a bullet alone, "·") is no paragraph; a
                # code block is one, its lines as they are (blank ones left out).
                if body := trim_invisible(ln.body):
                    if ln.code and kept and self.lines[kept[-1]].code == ln.code:
                        self.out.body[-1] += "\n" + ln.body
                    else:
                        self.out.body.append(ln.body if ln.code else body)
                    kept.append(i)
        self.out.published = iso_date(self.out.date) or self.preamble_published
        self.out.dialect = self.dialect
        if self.dialect == "markdown":
            self.out.body_markdown = self._markdown(kept)
        return self.out


# A page's text dump is a few KB to a few hundred; cleaning costs ~15 µs and ~1 KB a line, so
# these keep any input within ~1 s and ~150 MB (issue #14: bounded work per page).
MAX_TEXT_CHARS = 4 * 1024 * 1024
MAX_TEXT_LINES = 50_000


def _bounded(text: str) -> tuple[str, list[str]]:
    """The dump's first MAX_TEXT_CHARS characters and MAX_TEXT_LINES lines, whole lines only."""
    cut = len(text)
    if cut > MAX_TEXT_CHARS:
        cut = text.rfind("\n", 0, MAX_TEXT_CHARS) + 1 or MAX_TEXT_CHARS
    if text.count("\n", 0, cut) >= MAX_TEXT_LINES:
        cut = 0
        for _ in range(MAX_TEXT_LINES):
            cut = text.index("\n", cut) + 1
    if cut == len(text):
        return text, []
    lines = text.count("\n", 0, cut)
    return text[:cut], [
        f"dump over the limit ({MAX_TEXT_CHARS // (1024 * 1024)} MB, {MAX_TEXT_LINES:,} lines): "
        f"only its first {cut:,} characters ({lines:,} whole lines) were cleaned"
    ]


# A page's own tags: a dump may quote "<body>" in its text, but never starts with markup.
_PAGE_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE)


def is_html_page(text: str) -> bool:
    """Whether `text` is an HTML page's source (it starts with markup and holds a doctype,
    <html>, <head> or <body> tag) rather than a dump: `clean` refuses it, `extract` reads it."""
    head = text[:65536]
    return head.lstrip().startswith("<") and bool(_PAGE_TAG.search(head))


def clean_text(text: str, dialect: str | None = None) -> CleanedText:
    """Strip Wix chrome from a text or Markdown dump; return the article, its metadata and the
    chrome. `dialect` is "text" or "markdown"; None detects it.

    A dump over MAX_TEXT_CHARS or MAX_TEXT_LINES is cleaned up to there, and says so in
    `warnings`: its footer chrome is then likely missed.
    """
    text, warnings = _bounded(text)
    if dialect != "text" and md.pandoc_page(text):
        text, dialect = md.without_pandoc_markup(text), "markdown"
    if dialect is None:
        dialect = "markdown" if md.looks_like_markdown(text) else "text"
    result = _Cleaner(text, dialect).run()
    result.warnings = warnings
    return result
