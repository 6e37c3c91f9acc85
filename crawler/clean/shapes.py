"""Reading a dump by the shapes of its lines where the vocabulary has no words for them.

Wix prints its chrome in the visitor's locale, and crawler.clean.vocabulary names it in about
ten. A site in another locale (Hebrew, Japanese, Russian, Swedish, Turkish…) keeps the shapes:
the post header's date over its reading time, the footer's two counters, the share bar's label
over the networks' names (which are names in every locale), and a site footer that repeats the
menu. A mixin of the text cleaner (crawler.clean.text), sharing its state; its rules run only
where the vocabulary found nothing, or guard against what a shape alone cannot tell.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crawler.clean import vocabulary as v
from crawler.clean.dates import month_number
from crawler.clean.lines import Line, name_like, tag_like, title_like, words
from crawler.clean.vocabulary import COUNT, LETTER, D, to_int
from crawler.extract.record import CleanedText

# A site footer repeats three or more of the site menu's items within this many lines, and
# holds no line longer than FOOTER_LINE characters after them (a disclaimer, an address).
MENU_RUN = 8
FOOTER_LINE = 250
PARAGRAPH = 80  # columns of a line of prose: a post's body has one above "Recent Posts"

# The post header's shapes: a date (a day next to a month's name or a year, or
# "2024年3月1日") followed by a reading time (a number of minutes and a word or three, or a label,
# a colon and the number). Either shape alone is common prose ("2 cups", "Chapter 3"); only the
# pair, on a page that kept Wix's site header or under an author's name beside a title, is read
# as a header, and only where no header was found by its words (crawler.clean.text). A word's
# letters carry their marks (LETTER): the vowel signs of Hindi or Bengali ("मिनट पढ़ें").
_MONTH_WORD = rf"(?:{LETTER}){{2,12}}[.'\u05f3\u0970]?"
_JOIN = rf"(?:{LETTER}){{1,3}}\s+"
SHAPED_DATE_FORMS = "|".join([
    # "17 de dez. de 2018", "24 февр. 2020 г.": a short word of its own may join the parts.
    rf"{D}{{1,2}}\.?\s*(?:{_JOIN})?{_MONTH_WORD}"
    rf"(?:(?:,?\s+{_JOIN}|,?\s*){D}{{4}}(?:\s*(?:{LETTER}){{1,3}}\.?)?)?",
    rf"{_MONTH_WORD}\s+{D}{{1,2}}(?:,?\s+{D}{{4}})?",
    rf"(?:{D}{{4}}\s*[年년]\s*)?{D}{{1,2}}\s*[月월]\s*{D}{{1,2}}\s*[日일]",
    rf"{D}{{1,2}}[./]\s?{D}{{1,2}}[./]\s?{D}{{2,4}}",
])
SHAPED_DATE = re.compile(rf"^(?:{SHAPED_DATE_FORMS})$")
SHAPED_MINUTES = re.compile(
    rf"^(?:(?P<n>{D}{{1,3}})\s*(?P<unit>(?:{LETTER}){{1,12}})\.?"
    rf"(?:\s+(?:{LETTER}){{1,14}}\.?){{0,3}}"
    rf"|(?:{LETTER}){{2,14}}(?:\s+(?:{LETTER}){{2,14}}){{0,2}}\s*[:\uff1a]?\s*(?P<m>{D}{{1,3}})\s*"
    rf"(?P<unit2>(?:{LETTER}){{1,8}})\.?)$")
# A date ending on its year (its era's word after it, "2023 г."): where a glued reading time
# may start right after a digit ("20232 мин": the year 2023, then 2 minutes).
_YEAR_END = re.compile(rf"{D}{{4}}(?:\s*(?:{LETTER}){{1,3}}\.?)?$")
# "Updated" in an unknown locale: a label of a few words, a colon, a date or a time ago.
_TIME_AGO = rf"{D}{{1,3}}\s*(?:{LETTER}){{1,12}}\.?(?:\s+(?:{LETTER}){{1,14}}\.?){{0,3}}"
SHAPED_UPDATED = re.compile(
    rf"^(?:{LETTER}){{2,20}}(?:\s+(?:{LETTER}){{1,20}}){{0,3}}\s*[:\uff1a]\s*"
    rf"(?P<value>{SHAPED_DATE_FORMS}|{_TIME_AGO})$")
# "Writer: ann" in an unknown locale, recognised only with the name repeated on the next line.
SHAPED_WRITER = re.compile(
    rf"^(?:{LETTER}){{2,20}}(?:\s+[^\W\d_']{{1,20}})?\s*[:\uff1a]\s*(?P<name>\S.{{0,60}})$")
# The footer's view and comment counters in an unknown locale: two counts, each with its word.
SHAPED_COUNTERS = re.compile(
    rf"^{COUNT}\s*(?:{LETTER}){{1,15}}\.?\s*{COUNT}\s*(?:{LETTER}){{1,15}}\.?$")
# One of them on a line of its own, as a browser's copy of the page writes them; and a card's
# counters, where only the counts show.
SHAPED_COUNTER = re.compile(rf"^{COUNT}\s*(?:{LETTER}){{1,15}}\.?$")
BARE_COUNT = re.compile(rf"^{COUNT}$")
# Lines after the footer's like button within which a copyright line shows the site footer,
# and within which a card's counts show the label again (three cards of a few lines each).
FOOTER_REACH = 10
CARDS_REACH = 40


def _width(text: str) -> int:
    """Columns `text` takes: CJK characters (from U+2E80 on) take two."""
    return len(text) + sum(ch >= "\u2e80" for ch in text)


def shaped_minutes(text: str) -> int | None:
    """Minutes of a reading-time-shaped line ("2 мин. на чтение", "読了時間：2分"), else None."""
    if m := SHAPED_MINUTES.match(text):
        return to_int(m.group("n") or m.group("m"))
    return None


def shaped_glued(text: str) -> tuple[str, int] | None:
    """A date and a reading time by their shapes on one line, as a copy joins Wix's header
    spans ("12 במרץ 20232 דקות קריאה", "12 мар. 2023 г. 2 мин. на чтение"): (date, minutes).
    The date with its year or a month's name the vocabulary knows, the reading time a number
    and two words after it at least: "12 Mar 2023 3 eggs" is no header."""
    if len(text) > 60:
        return None
    for cut in range(len(text) - 1, 0, -1):
        date, rest = text[:cut].strip(), text[cut:].strip()
        if not rest[:1].isdigit() or text[cut - 1].isdigit() and not _YEAR_END.search(date):
            continue
        if (len(rest.split()) >= 3 and (minutes := shaped_minutes(rest)) is not None
                and SHAPED_DATE.match(date) and (_YEAR_END.search(date) or names_a_month(date))):
            return date, minutes
    return None


def shaped_unit(text: str) -> str | None:
    """The word right after the number of a reading-time-shaped line ("мин", "分"): cards
    write their reading time with the header's unit, and view counters with another word."""
    if m := SHAPED_MINUTES.match(text):
        return (m.group("unit") or m.group("unit2")).casefold()
    return None


def names_a_month(text: str) -> bool:
    """Whether a date-shaped line names a month the vocabulary knows in some language ("6 cze
    2019", "31 במאי"): a number and any word is also a quantity's shape ("3 eggs")."""
    return any(month_number(word) for word in re.findall(rf"(?:{LETTER})+", text))


class ShapeRules:
    """The cleaner's state (set by crawler.clean.text._Cleaner), its line accessors, and the
    rules that read lines by their shapes."""

    lines: list[Line]
    c: list[int]
    role: dict[int, str]
    partial: dict[int, str]
    out: CleanedText
    pos: int
    block: bool
    evidence: bool
    framed: list[bool]
    site_header: bool
    all_posts: str | None  # the blog menu's "All Posts" line, where only its shape told
    leading_images: bool
    read_lines: int
    doc_title: str | None
    doc_title_only: bool
    preamble_published: str | None
    shaped: dict[int, str]  # content position -> header part read by its shape
    shaped_reads: set[int]  # content positions of reading times read by shape under a date
    shaped_updates: set[int]  # content positions of "Updated:" lines read by shape

    def ln(self, k: int) -> Line:
        return self.lines[self.c[k]]

    def chrome(self, k: int) -> None:
        self.role[self.c[k]] = "chrome"

    def free(self, k: int) -> bool:
        return self.c[k] not in self.role

    def shaped_block(self, near: int, far: int) -> tuple[int, int] | None:
        """A header in a locale the vocabulary lacks: a date-shaped line right above a
        reading-time-shaped one. On a page that kept Wix's site header it may sit anywhere near
        the top; in a content-only dump the author's name must sit above it and a title beside
        the three lines, or the two open the dump over the title. Never inside a run of four
        or more such lines: a list of quantities or dates is content, while one more such line
        may be the title ("13 YouTube Tips") or the author ("Print Dreams 3D")."""

        def shaped(j: int) -> bool:
            return self.pos <= j < len(self.c) and bool(
                SHAPED_DATE.match(self.ln(j).text) or SHAPED_MINUTES.match(self.ln(j).text))

        def titled(j: int) -> bool:
            """A title beside the three lines; "3 eggs" is no title, "13 YouTube Tips" may be."""
            return self.pos <= j < len(self.c) and title_like(self.ln(j)) and (
                not shaped(j) or len(self.ln(j).text.split()) >= 3)

        def bullet(j: int) -> bool:
            return self.pos <= j < len(self.c) and self.ln(j).bullet

        def byline(k: int) -> bool:
            """The author's name above the date, and the title around the three lines. Bulleted,
            the three are a list of their own (a longer list is content: "Flour", "2 cups", …)."""
            if k - 1 < self.pos or not name_like(self.ln(k - 1).text):
                return False
            if k - 2 >= self.pos and (m := v.WRITER.match(self.ln(k - 2).text)
                                      or SHAPED_WRITER.match(self.ln(k - 2).text)) \
                    and m.group("name") == self.ln(k - 1).text:
                return True  # the avatar's "Writer: name" over the name: a byline for sure
            if any(bullet(j) for j in (k - 1, k, k + 1)):
                if not all(bullet(j) for j in (k - 1, k, k + 1)) or bullet(k - 2) or bullet(k + 2):
                    return False
                if k - self.pos <= 3:
                    return True
            return titled(k + 2) or titled(k - 2)

        def at_top(k: int) -> bool:
            """A blog that hides its authors shows the date and reading time over the title,
            or under it: a copy of the post opens on the two, the title right under them, or
            on the title right over them. The date with its year, in CJK form or with a
            month's name the vocabulary knows from any language: a number and a word alone may
            be a quantity ("3 eggs")."""
            date = self.ln(k).text
            return (bool(SHAPED_DATE.match(date))
                    and (bool(re.search(r"\d{4}|[月월]", date)) or names_a_month(date))
                    and not any(bullet(j) for j in (k, k + 1))
                    and (k == self.pos and titled(k + 2)
                         or k == self.pos + 1 and titled(k - 1) and not bullet(k - 1)))

        def glued_byline(k: int) -> bool:
            """The author's name over the date and reading time on one line, the title over
            the name or under the line."""
            return (k - 1 >= self.pos and name_like(self.ln(k - 1).text) and not bullet(k - 1)
                    and (titled(k - 2) or titled(k + 1)))

        def at_top_glued(k: int) -> bool:
            """A copy opening on the line over the title, or on the title over the line."""
            return (k == self.pos and titled(k + 1)
                    or k == self.pos + 1 and titled(k - 1) and not bullet(k - 1))

        for k in range(self.pos, min(len(self.c) - 1, self.pos + far)):
            if (shaped_glued(self.ln(k).text) and not shaped(k - 1) and not shaped(k + 1)
                    and (self.site_header or glued_byline(k) or at_top_glued(k))):
                self.shaped = {k: "glued"}
                self.site_header |= k - self.pos >= near
                return k, k
            # Wix shows recent posts' dates as "time ago", which is shaped like a reading time.
            # The footer's counters in words the vocabulary knows ("10 views" over "0 comments")
            # are shaped so too, and are no header.
            date = self.ln(k).text
            if v.COUNTERS.match(date) or v.COUNTERS.match(self.ln(k + 1).text):
                continue
            if ((SHAPED_DATE.match(date) or shaped_minutes(date) is not None)
                    and shaped_minutes(self.ln(k + 1).text) is not None
                    and shaped(k - 1) + shaped(k - 2) + shaped(k + 2) + shaped(k + 3) <= 1
                    and (self.site_header or byline(k) or at_top(k))):
                self.shaped = {k: "date", k + 1: "read"}
                # A post header this far down sits under the site's header and menus.
                self.site_header |= k - self.pos >= near
                return k, k + 1
        return None

    def share_label(self, k: int) -> bool:
        """A share bar's label in any language: a few words right above the networks' names
        ("Facebook X LinkedIn"), which the vocabulary knows in every locale. Some templates
        print the label twice (its text, then its accessible name)."""

        def label(j: int) -> bool:
            text = self.ln(j).text
            return (0 < len(text.split()) <= 4 and text[-1] not in ".!?。！？"  # "Share:" is one
                    and not v.SHARE_BAR.match(text))

        def networks(j: int) -> bool:  # the row of names, not a label ("Share" under a title)
            return j < len(self.c) and bool(v.SHARE_NETWORKS.match(self.ln(j).text))

        return label(k) and (networks(k + 1) or k + 1 < len(self.c) and label(k + 1)
                             and networks(k + 2))

    def share_bar_run(self, k: int, step: int = 1) -> int:
        """How many lines a share bar spans from line `k` on (upwards with `step` -1): its
        label, buttons and "Link copied" one a line, naming two networks or more (a paragraph
        that mentions Facebook is no button); 0 where no bar starts there."""
        j, networks = k, 0
        while 0 <= j < len(self.c):
            text = self.ln(j).text
            if v.SHARE_NETWORKS.match(text):
                networks += 2
            elif v.SHARE_BUTTON.match(text):
                networks += 1
            elif not (v.SHARE_BAR.match(text) or v.SHARE_VIA.match(text)
                      or v.SHARE_LINK_COPIED.match(text)):
                break
            j += step
        return abs(j - k) if networks >= 2 and abs(j - k) >= 2 else 0

    def shaped_updated(self, k: int) -> bool:
        """An "Updated: date" line in a locale the vocabulary lacks, right under a header
        read by its shape, or whose reading time was (Turkish "12 Mar 2023" over "2 dakikada
        okunur", then "Güncellendi: 14 Mar 2023"); noted for take_meta."""
        if not (self.shaped or self.shaped_reads) or k >= len(self.c) \
                or not SHAPED_UPDATED.match(self.ln(k).text):
            return False
        self.shaped_updates.add(k)
        return True

    def title_below(self, above: int, below: Line | None) -> bool:
        """Whether the title follows an author / date / reading time read by their shape: the
        line above them is shaped like the login button ("Log in / Sign up", "Login") rather
        than a title, and the line below them like a title."""
        if below is None or not title_like(below):
            return False
        if above < self.pos:
            return True
        text = self.ln(above).text
        return len(text.split()) <= 2 or len(text.split()) <= 5 and "/" in text

    def menu_items(self, start: int, after_all_posts: bool = False) -> set[str]:
        """The short lines taken as site chrome above the title: menu items and categories, or
        only the blog's categories (those after its "All Posts" link)."""
        first = 0
        if after_all_posts:
            first = next((k + 1 for k in range(start - 1, -1, -1)
                          if v.ALL_POSTS_LINE.match(self.ln(k).text)
                          or self.ln(k).text == self.all_posts), start)
        return {self.ln(k).text for k in range(first, start)
                if self.role.get(self.c[k]) == "chrome" and 0 < len(self.ln(k).text) <= 40
                and not v.is_leading_chrome(self.ln(k).text)}

    def repeated_menu(self, start: int) -> int:
        """Where the site footer starts when no post-footer widget said so: the first of three
        or more lines within MENU_RUN that repeat the site menu's items taken above the title
        (a footer repeats the menu in any language), with no paragraph after them (a post may
        list a few of the site's services by the same names). The end of the page if none."""
        # A footer writes the menu's items in its own case ("ABOUT US" above, "About Us" below).
        menu = {item.casefold() for item in self.menu_items(start)}
        if len(menu) < 3:
            return len(self.c)
        prose = [k for k in range(start, len(self.c)) if len(self.ln(k).text) > FOOTER_LINE]
        for k in range(start, len(self.c)):
            if prose and prose[-1] > k:
                continue
            if self.ln(k).text.casefold() in menu and sum(
                    self.ln(j).text.casefold() in menu
                    for j in range(k, min(len(self.c), k + MENU_RUN))) >= 3:
                return k
        return len(self.c)

    def shaped_recent(self, start: int) -> Callable[[int], bool]:
        """Whether line k opens the "Recent Posts" block in a locale the vocabulary lacks
        (asked only on a page that kept Wix's site header): two short labels over a
        title-shaped line (a card), below a line of prose, the first label sharing its word for
        "posts" with another chrome line above the title, the blog menu's "All Posts"
        (Recent/All Posts, Aktuelle/Alle Beiträge, Posts recentes/Todos os posts,
        Недавние/Все посты, 最近の投稿/すべての投稿: so in every locale Wix writes), both of two
        words or more where words are spaced. What every line's test reads is found once here:
        a page of many lines costs one pass."""
        size = len(self.c)
        prose = next((j for j in range(start, size) if _width(self.ln(j).text) >= PARAGRAPH),
                     size)
        items = [(text, text.casefold()) for text in self.menu_items(start)
                 if not any(ch.isdigit() for ch in text)]

        def opens(k: int) -> bool:
            if k <= prose or k + 2 >= size:
                return False
            heading, see_all, card = self.ln(k), self.ln(k + 1), self.ln(k + 2)
            if heading.bullet or see_all.bullet or not (tag_like(heading) and tag_like(see_all)) \
                    or any(ch.isdigit() for ch in heading.text + see_all.text) \
                    or not title_like(card):
                return False
            label = heading.text.casefold()
            unspaced = " " not in label and not label.isascii()
            if not unspaced and len(label.split()) < 2:  # "Coaching" under a menu holding it
                return False
            for text, item in items:
                if item == label:
                    continue
                if unspaced:  # the label's last two letters end the item (投稿)
                    shared = len(label) > 2 and item.endswith(label[-2:])
                else:  # two to four words each ("Recent Posts", "All Posts")
                    shared = 2 <= len(item.split()) <= 4 and bool(words(label) & words(item))
                if shared:
                    self.all_posts = text
                    return True
            return False

        return opens

    def shaped_counters(self, k: int) -> bool:
        """View and comment counters in a locale the vocabulary lacks ("27 צפיות0 תגובות", or
        one a line), taken only on a page that kept Wix's site header; never a date with its
        year ("2 апр. 2023 г." is shaped like two counts too)."""
        text = self.ln(k).text
        return self.site_header and (bool(SHAPED_COUNTERS.match(text))
                                     and not SHAPED_DATE.match(text) or self._split_counters(k))

    def _split_counters(self, k: int) -> bool:
        """The two counters one a line ("24 צפיות" / "0 תגובות", as a browser copies them):
        alone, that shape may be two lines of a post ("150 volunteers" / "12 schools"), so the
        short line under them (the like button's label) must show the footer: written again
        under a later card's counts ("29" / "0"), or the site's copyright line soon after."""
        if k + 2 >= len(self.c) or k and SHAPED_COUNTER.match(self.ln(k - 1).text):
            return False
        first, second, label = (self.ln(k + i).text for i in range(3))
        if not (SHAPED_COUNTER.match(first) and SHAPED_COUNTER.match(second)) \
                or not label or SHAPED_COUNTER.match(label) or _width(label) >= PARAGRAPH \
                or label[-1] in ".!?:":
            return False
        after = range(k + 3, min(len(self.c), k + 3 + CARDS_REACH))  # bounded: a line each
        return any(self.ln(j).text == label and BARE_COUNT.match(self.ln(j - 1).text)
                   for j in after) or any(v.COPYRIGHT.match(self.ln(j).text)
                                          for j in after[:FOOTER_REACH])

    def shaped_cards(self, start: int) -> list[int]:
        """Cards from `start` to the page's end whose date and reading time only their shapes
        show, the time in the unit of the post header's: never a view counter over a comment
        counter ("24 צפיות" / "0 תגובות" are shaped like "24 févr." / "2 min" too); the positions
        of their dates. All the page is read: the counters, read by shape too, may have closed
        it after the first card."""
        read = next((j for j, part in self.shaped.items() if part == "read"), None)
        unit = shaped_unit(self.ln(read).text) if read is not None else None
        if not unit:
            return []
        return [k for k in range(start, len(self.c) - 1) if SHAPED_DATE.match(self.ln(k).text)
                and shaped_unit(self.ln(k + 1).text) == unit]
