"""Page-level rules run once the lines have their roles: what kind of page it is, which line is
the title (the document <title>, the Markdown `#` heading), whether the page is Wix at all, and
the post's own Markdown. A mixin of the text cleaner (crawler.clean.text), sharing its state.
"""

from __future__ import annotations

import re
from collections import Counter

from crawler.clean import markdown as md
from crawler.clean import vocabulary as v
from crawler.clean.lines import (
    byline,
    finished_paragraph,
    glued,
    name_like,
    person_like,
    title_like,
    words,
)
from crawler.clean.shapes import (
    BARE_COUNT,
    SHAPED_UPDATED,
    ShapeRules,
    shaped_glued,
    shaped_minutes,
)
from crawler.extract.record import CleanedText

CARD_RUN = 3  # cards in a row that make a page without a post header a listing
CATEGORY_MENU_WITHIN = 200  # lines from the top where the blog's sub-header may sit
PAGE_LINKS = 3  # "1", "2", "3" in a row: a listing's page links
_TITLE_PARTS = re.compile(r"\s+[|–—·-]\s+")
# The share of words a header line must have in common with the document's <title> to show it.
DOC_TITLE_SHARE = 0.6
# A reader service's preamble ("Title:", "URL Source:", "Markdown Content:").
_PREAMBLE_TITLE = re.compile(r"^Title:\s*(\S.*)$")
_PREAMBLE_FIELD = re.compile(r"^(?:URL Source|Published Time|Description|Warning|Image \d+):")
_PREAMBLE_PUBLISHED = re.compile(r"^Published Time:\s*(\d{4}-\d{2}-\d{2})")
_PREAMBLE_END = re.compile(r"^(?:Markdown|Text) Content:$")
# A scraper's header: the page's title (a heading or a line), then its address on a line of its
# own ("**URL:** https://…", "Source: https://…"), maybe a rule under them.
_PREAMBLE_ADDRESS = re.compile(
    r"^(?:\*\*)?(?:URL|Source|Source URL|Page URL|Link|Address)\s*:(?:\*\*)?\s*<?https?://"
    r"[^/\s]+(?P<path>\S*)$",
    re.IGNORECASE)
# A Wix blog post's address (and the older builds' single-post one).
_PREAMBLE_POST_PATH = re.compile(r"^(?:/[^/\s]+)*?/(?:post|single-post)/[^/\s]")
# A line ending as a sentence does, inside closing quotes too: no page's <title> ends so.
_SENTENCE_END = re.compile(r"(?<!\.\.)[.;:。；：][\"'\u201d\u2019\u00bb)]*$")
PREAMBLE_TITLE_WITHIN = 200  # lines where the page shows its <title> again (the post header)
# YAML front matter a scraper or a notes tool puts first: "---", "key: value" lines (nested ones
# indented, list items "- x"), "---"; its "title:" (or "name:") is the document's title. A tool
# writes the keys that witness it in lower case, as YAML's users do (Jekyll's `page.title` is
# case-sensitive): a post's own ruled box opening its text, written by a person, capitalises
# them ("Name: Anna Berg", "Website: https://…").
FRONT_MATTER_LINES = 40
_RULE_LINE = re.compile(r"^\s*-{3,}\s*$")
_FRONT_FIELD = re.compile(r"^\s*(?:[\w-]+\s*:(?:\s.*)?|-\s.*)$")
_FRONT_ADDRESS = re.compile(r"^\s*[a-z][\w-]*\s*:\s*[\"']?<?https?://\S+$")
_FRONT_TITLE = re.compile(r"^(?:title|name)\s*:\s*([\"']?)(?P<title>\S.*?)\1\s*$")
# A site name is read from its start only ((?<![\w-])): from every position, a long word
# of letters and hyphens was read to its end each time.
_WIX_HOSTS = re.compile(r"\b(?:static\.wixstatic\.com|(?<![\w-])[\w-]+\.wixsite\.com|wix\.com/)",
                        re.I)


class PageRules(ShapeRules):
    """Rules that read the whole page once the lines have their roles (state in ShapeRules)."""

    def meta(self, k: int) -> str | None:
        t = self.ln(k).text
        if v.read_minutes(t) is not None:
            return "read"
        if v.DATE.match(t):
            return "date"
        if v.UPDATED.match(t):
            return "updated"
        if glued(t) or byline(t):
            return "glued"  # a date and a reading time on one line
        return None

    def take_meta(self, k: int) -> None:
        t = self.ln(k).text
        self.chrome(k)
        if (minutes := v.read_minutes(t, bare=True)) is not None:
            self.out.reading_minutes = minutes
            self.read_lines += 1
        elif v.DATE.match(t):
            self.out.date = self.out.date or t
        elif (m := v.UPDATED.match(t)) is not None:
            self.out.updated = m.group("value").strip()
        elif (g := glued(t)) is not None:
            self.out.date = self.out.date or g[0]
            self.out.reading_minutes = g[1]
            self.read_lines += 1
        elif (b := byline(t)) is not None:
            self.out.author = self.out.author or b[0]
            self.out.date = self.out.date or b[1]
            self.out.reading_minutes = b[2]
            self.read_lines += 1
        elif self.shaped.get(k) == "read" or k in self.shaped_reads:
            self.out.reading_minutes = shaped_minutes(t)
            self.read_lines += 1
        elif self.shaped.get(k) == "glued" and (sg := shaped_glued(t)) is not None:
            self.out.date = self.out.date or sg[0]
            self.out.reading_minutes = sg[1]
            self.read_lines += 1
        elif self.shaped.get(k) == "date":
            self.out.date = self.out.date or t
        elif k in self.shaped_updates and (m := SHAPED_UPDATED.match(t)):
            self.out.updated = m.group("value").strip()

    def reader_preamble(self) -> int:
        """The header a reader service puts above the page ("Title: …", "URL Source: …",
        "Published Time: …", "Markdown Content:"), a scraper's (title, then "URL: …") or YAML
        front matter: the title is the document's <title>. Taken for the page's first lines,
        such a header made the page a listing or its menu the post."""
        if not self.c:
            return 0
        if (front := self.front_matter()) is not None:
            return front
        if len(self.c) > 1 and (address := _PREAMBLE_ADDRESS.match(self.ln(1).text)):
            end = 2
            self.doc_title = self.ln(0).text.lstrip("#").strip()
            if not self._preamble_witnessed(address.group("path")):
                self.doc_title = None  # an article's first line and the source it cites
                return 0
            for j in range(end):
                self.chrome(j)
            self.pos = end
            return end
        if not (m := _PREAMBLE_TITLE.match(self.ln(0).text)):
            return 0
        for k in range(1, min(len(self.c), 8)):
            if _PREAMBLE_END.match(self.ln(k).text):
                for j in range(k + 1):
                    self.chrome(j)
                self.doc_title, self.pos = m.group(1).strip(), k + 1
                return k + 1
            if not _PREAMBLE_FIELD.match(self.ln(k).text):
                break
            if when := _PREAMBLE_PUBLISHED.match(self.ln(k).text):
                self.preamble_published = when.group(1)
        return 0

    def _preamble_witnessed(self, path: str) -> bool:
        """Whether a first line over an address line is a scraper's <title> (needs doc_title
        set): "Post | Site" as Wix writes it, a line the page shows again (the post's
        header), or the address is a Wix post's. An article may open on a line and the source
        it cites ("Source: https://…"), which is none of these, nor a Wix post's address under
        a sentence (one citing another Wix blog's post)."""
        if " | " in (self.doc_title or ""):
            return True
        if _PREAMBLE_POST_PATH.search(path):
            return not _SENTENCE_END.search(self.doc_title or "")
        return any(self.doc_title_share(self.ln(k).text) >= DOC_TITLE_SHARE
                   for k in range(2, min(len(self.c), PREAMBLE_TITLE_WITHIN)))

    def front_matter(self) -> int | None:
        """YAML front matter opening the dump, marked chrome: the first content position under
        it (None where there is none). Its rules are no content lines in Markdown: they are read
        from the dump's own lines. It names the page's title or address, which a post's own
        ruled box of "Serves: 4" lines opening its text does not."""
        if not _RULE_LINE.match(self.lines[0].source or self.lines[0].raw):
            return None
        title, address = None, False
        for i in range(1, min(len(self.lines), FRONT_MATTER_LINES)):
            own = self.lines[i].source or self.lines[i].raw
            if _RULE_LINE.match(own):
                if title is None and not address:
                    return None
                k = 0
                # Both rules with it: in a plain copy (read as text) they are content lines.
                while k < len(self.c) and self.c[k] <= i:
                    self.chrome(k)
                    k += 1
                self.doc_title, self.pos = title, k
                return k
            if own.strip() and not _FRONT_FIELD.match(own):
                return None
            if title is None and (m := _FRONT_TITLE.match(own.strip())):
                title = m.group("title")
            address = address or bool(_FRONT_ADDRESS.match(own))
        return None

    def classify(self, body_start: int, end: int) -> str:
        # Several reading times: a list of post cards ("Mar 8, 2021" / "1 min" / title).
        in_body = [k for k in range(body_start, end) if self.free(k) and (
            v.read_minutes(t := self.ln(k).text) is not None or glued(t) or byline(t) or (
                k > 0 and v.BARE_MINUTES.match(t) and v.DATE.match(self.ln(k - 1).text)))]
        in_body += self.shaped_cards(body_start)
        cards = self.read_lines + len(in_body)
        if cards == 2 and self.read_lines == 1 and self._quoted_card(body_start, in_body[0]):
            cards = 1
        if cards >= 2 or self._liked_cards() >= 2 or self._category_heading():
            return "listing"
        if not self.evidence:
            # No post header anywhere: a page of cards that show a date or an author each (not
            # a reading time or a like button, which count above) is a listing, not a site page.
            if self._wix_signs() and (self._card_heads(body_start, end) >= CARD_RUN or sum(
                    self.free(k) and self._dotted_excerpt(self.c[k])
                    for k in range(body_start, end)) >= 2 or self._pagination()):
                return "listing"
            if all(self.framed) or self.leading_images or self._site_page_heading():
                return "static"
            if any(self.free(k) and self._cut_excerpt(self.c[k]) for k in range(body_start, end)):
                return "listing"
        return "post"

    def _quoted_card(self, body_start: int, card: int) -> bool:
        """A post has one header: a single date and reading time in its text, under the post's
        title and header and after a finished paragraph of its own (an event post quoting a
        date, a post quoting another post's card), is the post's text, not a listing's second
        card. A listing's cards follow each other with titles and excerpts cut mid-word."""
        if not any(r == "title" for r in self.role.values()):
            return False
        return any(self.free(k) and finished_paragraph(self.ln(k).text)
                   and not self._cut_excerpt(self.c[k]) for k in range(body_start, card))

    def _doc_title_line(self, title: int | None, body_start: int) -> int | None:
        """The header line that shows the document's <title>: Wix sets a post's <title> to its
        title (or an SEO variant of it), which settles "category / author / date / title"
        against "title / author / date"."""
        lo, hi = self._header_span(body_start)
        best, score = None, DOC_TITLE_SHARE
        for i in range(lo, hi + 1):
            if self.role.get(i) not in (None, "title") or self.lines[i].blank:
                continue
            share = self.doc_title_share(self.lines[i].text)
            if share > score or share == score == 1.0:
                best, score = i, share
        if best is None:
            # No line shows the <title>: it is the title when the page showed none, or only a
            # shorter line made of its words (the byline, the site name); a different heading
            # wins over a custom SEO title.
            if title is None or words(self.lines[title].text) < words(self.doc_title or ""):
                self.doc_title_only = True
                if title is not None and self._byline_under_search(title):
                    # A blog that hides the title, the date and the reading time: the post
                    # header keeps only the author's name (html-text drops its list bullet).
                    self.out.author = self.lines[title].text
                    self.role[title] = "chrome"
                    return None
            return title
        self._retitle(title, best)
        return best

    def _byline_under_search(self, i: int) -> bool:
        """Whether line `i`, a line of the <title>'s words that no header line shows, is the
        author's name: shaped like one, first under the blog's sub-header (its search box or
        login button), where the post header starts and no site name sits."""
        return (self.out.author is None and self.sub_menu and self.pos < len(self.c)
                and self.c[self.pos] == i and person_like(self.lines[i].text))

    def doc_title_share(self, text: str) -> float:
        """The share of words `text` has in common with the document's <title> or one of its
        parts ("Post title | Site name": any part may be the one the page shows)."""
        if not self.doc_title:
            return 0.0
        got = words(text)
        return max(len(want & got) / max(1, len(want | got)) for want in map(words, [
            self.doc_title, *_TITLE_PARTS.split(self.doc_title)]))

    def _header_span(self, body_start: int) -> tuple[int, int]:
        """Line indices from the end of the site header to the first body line after it."""
        lo = self.c[self.pos] if self.pos < len(self.c) else len(self.lines)
        hi = self.c[min(body_start + 1, len(self.c) - 1)] if self.c else 0
        return lo, hi

    def _above_meta(self, i: int) -> bool:
        """The next content line is header metadata (a date, a reading time)."""
        k = self.c.index(i)
        return k + 1 < len(self.c) and self.meta(k + 1) in ("date", "read", "glued")

    def _h1_title(self, title: int | None, body_start: int) -> int | None:
        """In Markdown the post title is the page's `#` heading (Wix renders it as <h1>)."""
        lo, hi = self._header_span(body_start)
        # Not a `#` with no words (an empty <h1>): a blank line, no title.
        h1 = next((i for i in range(lo, hi + 1) if self.lines[i].heading == 1
                   and not self.lines[i].blank and self.role.get(i) in (None, "title")), None)
        if h1 is None or h1 == title:
            return title
        self._retitle(title, h1)
        return h1

    def _retitle(self, old: int | None, new: int) -> None:
        if old is not None and old != new:
            # A line above the real title is header chrome (a category link, or the byline
            # when the title sits under the date); one below it is text.
            if old < new:
                # The lines from the old title down to the new one are all header: in the
                # classic layout the category, then the author right over the title.
                header = [old, *(i for i in range(old + 1, new)
                                 if not self.lines[i].blank and self.role.get(i) is None)]
                byline = next((i for i in reversed(header)
                               if name_like(self.lines[i].text)), None)
                if self.out.author is None and byline is not None:
                    self.out.author = self.lines[byline].text
                for i in header:
                    self.role[i] = "chrome"
            elif self.out.author is None and name_like(self.lines[old].text) and (
                    self._above_meta(old)):
                self.out.author = self.lines[old].text  # the byline over the date
                self.role[old] = "chrome"
            else:
                del self.role[old]
        self.role[new] = "title"
        k = self.c.index(new)  # "Updated: …" sits right under the title
        if k + 1 < len(self.c) and self.free(k + 1) and self.meta(k + 1) == "updated":
            self.take_meta(k + 1)

    def _card_heads(self, body_start: int, end: int) -> int:
        """Post cards in a run, each headed by the same kind of line: a date of its own ("Feb
        11, 2022" / title / excerpt, then "Feb 8, 2022" / …), or its author's name, the same
        line over every card ("Adolf Stock" / title, "Adolf Stock" / title, …). A head counts
        where a different line follows it and the same kind of head comes again within four
        lines, no other speaker's name between them (an interview's speakers alternate: no
        run). Asked of a page with Wix's chrome and no post header anywhere (see classify: a
        post's first date is its header), and of the lines under a copied category menu."""
        # Lines that may head a card: free, or taken for the page's title (the first card's).
        candidates = [k for k in range(body_start, end)
                      if self.role.get(self.c[k]) in (None, "title")]
        names = Counter(self.ln(k).text for k in candidates if name_like(self.ln(k).text))
        heads: list[tuple[int, str]] = []  # (content index, kind of head)
        for k in candidates:
            if k + 1 >= end or not self.free(k + 1):
                continue
            t, after = self.ln(k).text, self.ln(k + 1).text
            if v.DATE.match(t) and not v.DATE.match(after):
                heads.append((k, "date"))
            elif names[t] >= CARD_RUN and after != t and not name_like(after):
                heads.append((k, t))
        speakers = {name for name, n in names.items() if n >= 2}
        best = run = 0
        for (k, kind), (k2, kind2) in zip(heads, heads[1:], strict=False):
            dialogue = kind != "date" and any(
                (t := self.ln(j).text) in speakers and t != kind for j in range(k + 1, k2))
            run = run + 1 if kind2 == kind and k2 - k <= 4 and not dialogue else 0
            best = max(best, run + 1)
        return best

    def _pagination(self) -> bool:
        """The page links under a listing's cards ("1", "2", "3", one a line, as a copy of the
        page gives them when the cards themselves were drawn by scripts): a post has none."""
        run = 0
        for k in range(len(self.c)):
            run = run + 1 if self.ln(k).text == str(run + 1) else int(self.ln(k).text == "1")
            if run >= PAGE_LINKS:
                return True
        return False

    def _category_heading(self) -> bool:
        """Whether a category page's heading follows the blog's category links: the name of
        the last link again ("All Posts", "Sustainability", "Clean Energy", then "Clean
        Energy"), which a category page with one card shows and a post does not.

        Kept narrow, since a post taken for a listing loses its body: the links are those
        under the sub-header's "All Posts" above the first post header line; the name must
        come twice in a row; no search box or login button may follow it (Wix's menus repeat
        a category at times: then the sub-header goes on), nor a post header within two
        lines (a post under such a menu shows its byline and date next)."""
        menu = None
        for k in range(min(len(self.c), CATEGORY_MENU_WITHIN)):
            if self.meta(k):
                break
            if v.ALL_POSTS_LINE.match(self.ln(k).text):
                menu = k
        if menu is None:
            return False
        heading = None
        for k in range(menu + 1, len(self.c)):
            t = self.ln(k).text
            if not t or len(t) > 60 or t.endswith((".", "。")) or self.meta(k):
                break
            if v.SEARCH_LINE.match(t) or v.LOGIN_LINE.match(t) or v.ALL_POSTS_LINE.match(t):
                return False
            if heading is None and k > menu + 1 and t == self.ln(k - 1).text:
                heading = k
        if heading is None:
            return False
        return not any(self.meta(k) for k in range(heading + 1, min(len(self.c), heading + 3)))

    def _liked_cards(self) -> int:
        """Like buttons, or else view and comment counters, above any "Recent Posts" heading:
        a post shows one of each under its own text, a listing one per card (blog settings
        may hide the likes; a counter split over two lines counts once, and so it does with
        a bare count between its two lines: "12 views" / "0" / "0 comments")."""
        liked = counted = 0
        for k in range(len(self.c)):
            t = self.ln(k).text
            if v.RECENT_POSTS_LINE.match(t):
                break
            liked += bool(v.LIKED_LINE.match(t))
            above = k - 1
            while above > 0 and BARE_COUNT.match(self.ln(above).text):
                above -= 1
            counted += bool(v.COUNTERS.match(t)) and not (
                above >= 0 and v.COUNTERS.match(self.ln(above).text))
        return max(liked, counted)

    def _site_page_heading(self) -> bool:
        """A title such as "FAQ" over questions, or "About Me" on a page that kept its site
        chrome: a site page, not a post."""
        title = next((i for i, r in self.role.items() if r == "title"), None)
        if title is None:
            return False
        heading = self.lines[title].text
        if v.FAQ_LINE.match(heading):
            return any(self.lines[i].text.endswith("?") for i in self.c if i > title)
        return self.site_header and bool(v.SITE_PAGE_LINE.match(heading))

    def _cut_excerpt(self, i: int) -> bool:
        """A listing card's excerpt: long prose that Wix cut mid-word, with the page going on."""
        t = self.lines[i].text
        last = t.split()[-1] if t.split() else ""
        return (len(t) >= 120 and t[-1].isalpha() and ". " in t and "/" not in last
                and "@" not in last and i + 1 < len(self.lines))

    def _dotted_excerpt(self, i: int) -> bool:
        """A listing card's excerpt as Wix cuts it when it is long: mid-word, with "..." glued
        to the last word ("…ganar también en tiempo compensado, una..."). One could be a
        post's own trailing-off sentence; the caller asks for two."""
        t = self.lines[i].text
        return (len(t) >= 100 and t.endswith(("...", "…")) and t.rstrip(".…")[-1:].isalpha()
                and i + 1 < len(self.lines))

    def _wix_signs(self) -> bool:
        """Chrome only Wix prints: the skip links, the menu's a11y hint, the blog's "All Posts"
        menu, a post header block, post-footer widgets, the free-plan banner, or Wix's media
        and site hosts."""
        if any(self.framed) or self.block or self.evidence:
            return True
        return any(v.MENU_A11Y_LINE.match(ln.text) or v.BANNERS.match(ln.text)
                   or _WIX_HOSTS.search(ln.source) for ln in self.lines) or any(
            self.role.get(i) == "chrome" and v.ALL_POSTS_LINE.match(self.lines[i].text)
            for i in self.c)

    def _keep_everything(self, kind: str) -> None:
        """Not a Wix page: nothing here justifies removing a line, so every line is text."""
        first = next((i for i in self.c if title_like(self.lines[i])), None)
        self.role = {first: "title"} if first == self.c[0] else {}
        self.partial.clear()
        self.out = CleanedText(title=self.lines[first].body if self.role else None,
                               page_kind=kind, wix=False)

    def _separators(self) -> None:
        """A lone "•" between two chrome lines (category links) is chrome too."""
        c = self.c
        for k in range(1, len(c) - 1):
            if (self.free(k) and self.ln(k).separator
                    and self.role.get(c[k - 1]) == self.role.get(c[k + 1]) == "chrome"):
                self.chrome(k)

    def _markdown(self, kept: list[int]) -> str:
        """The kept lines as the dump wrote them, with the images that sit among them."""
        if not kept:
            return ""
        chosen = set(kept) | {i for i in range(kept[0], kept[-1])
                              if self.lines[i].image and self.role.get(i) != "skip"}
        lines = []
        previous = -2
        for i in sorted(chosen):
            if block := self.lines[i].code:
                # A code block's lines are one fenced block, its blank lines in it.
                if lines and self.lines[previous].code == block:
                    continue
                last = max(k for k in chosen if self.lines[k].code == block)
                lines.append((md.fenced_code([ln.raw for ln in self.lines[i:last + 1]]),
                              False, False))
                previous = last
                continue
            source = self.lines[i].source
            if i in self.partial:
                source = source.replace(self.partial[i], "", 1)
            lines.append((source, md.is_list_item(source), i == previous + 1))
            previous = i
        return md.body_markdown(lines)
