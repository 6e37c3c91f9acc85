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
from crawler.clean.vocabulary import D, to_int
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
# as a header, and only where no header was found by its words (crawler.clean.text).
# Every combining mark (Unicode categories Mn and Mc), as ranges that take in no other
# character but unassigned code points: Python's \w takes no mark, and the vowel signs of
# Devanagari and Bengali sit inside their words ("जून", "জুন": June).
# tests/test_clean_text.py derives it from unicodedata.
MARKS = (
    "\u0300-\u036f\u0483-\u0487\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a"
    "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0711\u0730-\u074a"
    "\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d"
    "\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957"
    "\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09cd\u09d7\u09e2\u09e3\u09fe-\u0a03\u0a3c-\u0a51"
    "\u0a70\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0acd\u0ae2\u0ae3\u0afa-\u0b03\u0b3c"
    "\u0b3e-\u0b57\u0b62\u0b63\u0b82\u0bbe-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c\u0c3e-\u0c56"
    "\u0c62\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0cd6\u0ce2\u0ce3\u0d00-\u0d03\u0d3b\u0d3c"
    "\u0d3e-\u0d4d\u0d57\u0d62\u0d63\u0d81-\u0d83\u0dca-\u0ddf\u0df2\u0df3\u0e31\u0e34-\u0e3a"
    "\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd\u0f18\u0f19\u0f35\u0f37\u0f39\u0f3e\u0f3f"
    "\u0f71-\u0f84\u0f86\u0f87\u0f8d-\u0fbc\u0fc6\u102b-\u103e\u1056-\u1059\u105e-\u1060"
    "\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d\u108f\u109a-\u109d\u135d-\u135f"
    "\u1712-\u1715\u1732-\u1734\u1752\u1753\u1772\u1773\u17b4-\u17d3\u17dd\u180b-\u180d\u180f"
    "\u1885\u1886\u18a9\u1920-\u193b\u1a17-\u1a1b\u1a55-\u1a7f\u1ab0-\u1abd\u1abf-\u1b04"
    "\u1b34-\u1b44\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2"
    "\u1cd4-\u1ce8\u1ced\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff\u20d0-\u20dc\u20e1\u20e5-\u20f0"
    "\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099\u309a\ua66f\ua674-\ua67d\ua69e\ua69f"
    "\ua6f0\ua6f1\ua802\ua806\ua80b\ua823-\ua827\ua82c\ua880\ua881\ua8b4-\ua8c5\ua8e0-\ua8f1"
    "\ua8ff\ua926-\ua92d\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36\uaa43"
    "\uaa4c\uaa4d\uaa7b-\uaa7d\uaab0\uaab2-\uaab4\uaab7\uaab8\uaabe\uaabf\uaac1\uaaeb-\uaaef"
    "\uaaf5\uaaf6\uabe3-\uabea\uabec\uabed\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f\U000101fd\U000102e0"
    "\U00010376-\U0001037a\U00010a01-\U00010a0f\U00010a38-\U00010a3f\U00010ae5\U00010ae6"
    "\U00010d24-\U00010d27\U00010eab\U00010eac\U00010f46-\U00010f50\U00010f82-\U00010f85"
    "\U00011000-\U00011002\U00011038-\U00011046\U00011070\U00011073\U00011074"
    "\U0001107f-\U00011082\U000110b0-\U000110ba\U000110c2\U00011100-\U00011102"
    "\U00011127-\U00011134\U00011145\U00011146\U00011173\U00011180-\U00011182"
    "\U000111b3-\U000111c0\U000111c9-\U000111cc\U000111ce\U000111cf\U0001122c-\U00011237"
    "\U0001123e\U000112df-\U000112ea\U00011300-\U00011303\U0001133b\U0001133c"
    "\U0001133e-\U0001134d\U00011357\U00011362-\U00011374\U00011435-\U00011446\U0001145e"
    "\U000114b0-\U000114c3\U000115af-\U000115c0\U000115dc\U000115dd\U00011630-\U00011640"
    "\U000116ab-\U000116b7\U0001171d-\U0001172b\U0001182c-\U0001183a\U00011930-\U0001193e"
    "\U00011940\U00011942\U00011943\U000119d1-\U000119e0\U000119e4\U00011a01-\U00011a0a"
    "\U00011a33-\U00011a39\U00011a3b-\U00011a3e\U00011a47\U00011a51-\U00011a5b"
    "\U00011a8a-\U00011a99\U00011c2f-\U00011c3f\U00011c92-\U00011cb6\U00011d31-\U00011d45"
    "\U00011d47\U00011d8a-\U00011d97\U00011ef3-\U00011ef6\U00016af0-\U00016af4"
    "\U00016b30-\U00016b36\U00016f4f\U00016f51-\U00016f92\U00016fe4-\U00016ff1"
    "\U0001bc9d\U0001bc9e\U0001cf00-\U0001cf46\U0001d165-\U0001d169\U0001d16d-\U0001d172"
    "\U0001d17b-\U0001d182\U0001d185-\U0001d18b\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244"
    "\U0001da00-\U0001da36\U0001da3b-\U0001da6c\U0001da75\U0001da84\U0001da9b-\U0001daaf"
    "\U0001e000-\U0001e02a\U0001e130-\U0001e136\U0001e2ae\U0001e2ec-\U0001e2ef"
    "\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a\U000e0100-\U000e01ef")
# A word's letter with the marks on it; a month's name is two to twelve of them.
_LETTER = rf"[^\W\d_][{MARKS}]*"
_MONTH_WORD = rf"(?:{_LETTER}){{2,12}}[.'\u05f3]?"
_JOIN = r"[^\W\d_]{1,3}\s+"
SHAPED_DATE_FORMS = "|".join([
    # "17 de dez. de 2018", "24 февр. 2020 г.": a short word may join the parts.
    rf"{D}{{1,2}}\.?\s*(?:{_JOIN})?{_MONTH_WORD}(?:,?\s*(?:{_JOIN})?{D}{{4}}(?:\s*[^\W\d_]{{1,3}}\.?)?)?",
    rf"{_MONTH_WORD}\s+{D}{{1,2}}(?:,?\s+{D}{{4}})?",
    rf"(?:{D}{{4}}\s*[年년]\s*)?{D}{{1,2}}\s*[月월]\s*{D}{{1,2}}\s*[日일]",
    rf"{D}{{1,2}}[./]\s?{D}{{1,2}}[./]\s?{D}{{2,4}}",
])
SHAPED_DATE = re.compile(rf"^(?:{SHAPED_DATE_FORMS})$")
SHAPED_MINUTES = re.compile(
    rf"^(?:(?P<n>{D}{{1,3}})\s*(?P<unit>[^\W\d_]{{1,12}})\.?(?:\s+[^\W\d_]{{1,14}}\.?){{0,3}}"
    rf"|[^\W\d_]{{2,14}}(?:\s+[^\W\d_]{{2,14}}){{0,2}}\s*[:\uff1a]?\s*(?P<m>{D}{{1,3}})\s*"
    rf"(?P<unit2>[^\W\d_]{{1,8}})\.?)$")
# "Updated" in an unknown locale: a label of a few words, a colon, a date or a time ago.
_TIME_AGO = rf"{D}{{1,3}}\s*[^\W\d_]{{1,12}}\.?(?:\s+[^\W\d_]{{1,14}}\.?){{0,3}}"
SHAPED_UPDATED = re.compile(
    rf"^[^\W\d_]{{2,20}}(?:\s+[^\W\d_]{{1,20}}){{0,3}}\s*[:\uff1a]\s*"
    rf"(?P<value>{SHAPED_DATE_FORMS}|{_TIME_AGO})$")
# "Writer: ann" in an unknown locale, recognised only with the name repeated on the next line.
SHAPED_WRITER = re.compile(
    r"^[^\W\d_]{2,20}(?:\s+[^\W\d_']{1,20})?\s*[:\uff1a]\s*(?P<name>\S.{0,60})$")
# The footer's view and comment counters in an unknown locale: two counts, each with its word.
SHAPED_COUNTERS = re.compile(rf"^{D}+\s*[^\W\d_]{{1,15}}\.?\s*{D}+\s*[^\W\d_]{{1,15}}\.?$")
# One of them on a line of its own, as a browser's copy of the page writes them; and a card's
# counters, where only the counts show.
SHAPED_COUNTER = re.compile(rf"^{D}+\s*[^\W\d_]{{1,15}}\.?$")
BARE_COUNT = re.compile(rf"^{D}+$")
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


def shaped_unit(text: str) -> str | None:
    """The word right after the number of a reading-time-shaped line ("мин", "分"): cards
    write their reading time with the header's unit, and view counters with another word."""
    if m := SHAPED_MINUTES.match(text):
        return (m.group("unit") or m.group("unit2")).casefold()
    return None


def names_a_month(text: str) -> bool:
    """Whether a date-shaped line names a month the vocabulary knows in some language ("6 cze
    2019", "31 במאי"): a number and any word is also a quantity's shape ("3 eggs")."""
    return any(month_number(word) for word in re.findall(r"[^\W\d_]+", text))


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
            if any(bullet(j) for j in (k - 1, k, k + 1)):
                if not all(bullet(j) for j in (k - 1, k, k + 1)) or bullet(k - 2) or bullet(k + 2):
                    return False
                if k - self.pos <= 3:
                    return True
            return titled(k + 2) or titled(k - 2)

        def at_top(k: int) -> bool:
            """A blog that hides its authors shows the date and reading time over the title:
            a copy of the post opens on the two, the title right under them. The date with its
            year, in CJK form or with a month's name the vocabulary knows from any language: a
            number and a word alone may be a quantity ("3 eggs")."""
            date = self.ln(k).text
            return (k == self.pos and bool(SHAPED_DATE.match(date))
                    and (bool(re.search(r"\d{4}|[月월]", date)) or names_a_month(date))
                    and not any(bullet(j) for j in (k, k + 1)) and titled(k + 2))

        for k in range(self.pos, min(len(self.c) - 1, self.pos + far)):
            # Wix shows recent posts' dates as "time ago", which is shaped like a reading time.
            date = self.ln(k).text
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

    def shaped_updated(self, k: int) -> bool:
        """An "Updated: date" line in a locale the vocabulary lacks, right under a header
        read by its shape (noted for take_meta)."""
        if not self.shaped or k >= len(self.c) or not SHAPED_UPDATED.match(self.ln(k).text):
            return False
        self.shaped[k] = "updated"
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
        one a line), taken only on a page that kept Wix's site header."""
        return self.site_header and (bool(SHAPED_COUNTERS.match(self.ln(k).text))
                                     or self._split_counters(k))

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
