"""A dump's lines as the cleaner reads them, and what a single line can look like (a title, a
byline, a tag, a date glued to a reading time). Pure functions; every dialect maps to these lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from unicodedata import east_asian_width

from crawler.clean import markdown as md
from crawler.clean import vocabulary as v

# One or more list bullets: html2text and inscriptis nest them ("*   * Jun 6", "+ 1 min read");
# w3m marks nested items with squares and circles ("□ Jun 6, 2019").
_MARK_CHARS = "•·▪●◦‣∙□■○◻▫"
_BULLET_MARK = rf"(?:[{_MARK_CHARS}]|[-*–+](?=\s|$))"
BULLET = re.compile(rf"^\s*(?:{_BULLET_MARK}\s*)+")
_BULLETS_IF_ANY = rf"^(\s*(?:{_BULLET_MARK}\s*)*)"
# What the console browsers print for form controls: lynx's "(BUTTON)" before a button's label,
# and an empty text field ("____________________" in lynx, "[                    ]" in w3m).
_BUTTON_MARK = re.compile(r"\(BUTTON\)\s*")
_FORM_FIELD = re.compile(r"^\s*(?:_{4,}|\[\s{4,}\])\s*$")
# Zero-width and no-break characters that make a line look non-blank to the eye only.
# (Regexes: str.translate with a dict is an order of magnitude slower on long non-ASCII lines.)
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = re.compile(f"[{_ZERO_WIDTH}]")
_NBSP = re.compile("[\u00a0\u202f\u2007]")
# A number and a word after it: where a reading time may start ("3 min read", "2 دقائق قراءة").
_GLUE_HINT = re.compile(r"\d\s*[^\W\d_]")
_NUMBERED = re.compile(r"(\d{1,3})\.\s+(?=\S)")
SEPARATORS = {"•", "·", "|", "/"}
# The marks that end or break a sentence, in Latin, CJK (full-width) and Arabic script: a line
# that ends on one is prose, never a title, a name or a tag ("ありがとうございました。").
SENTENCE_MARKS = ".!?:;,…。！？：；，、؟،؛।"
# Those a title may not end on (a title may end on "!" or "?", and on "..." or "…").
TITLE_BREAKS = ".,;:。，；：、،؛।"
_SEPARATED = re.compile(r"\s+[•·|]\s+")


@dataclass
class Line:
    raw: str  # as in the dump, trailing whitespace stripped
    body: str  # the paragraph form: indentation and bullet removed, otherwise byte-exact
    text: str  # the matching form: no-break spaces made plain
    bullet: bool
    blank: bool
    source: str = ""  # the dump's own line (Markdown syntax and all)
    image: bool = False  # a Markdown line that showed only images
    link_only: bool = False  # a Markdown line whose text was all link text
    taxonomy: bool = False  # a Markdown line of links to blog tag or category pages
    heading: int = 0  # a Markdown line's ATX heading level
    code: int = 0  # a Markdown line's code block (numbered from 1), its indentation kept

    @property
    def separator(self) -> bool:
        """A lone "•" (or "|", "/", "·") between category links, as a list item or not."""
        return self.raw.strip().strip("*+- \t") in SEPARATORS


def trim_invisible(text: str) -> str:
    """Text without the zero-width characters at its ends (Wix ends rich-text lines with a
    zero-width space); those inside (joiners in emoji and scripts) are kept."""
    return text.strip(_ZERO_WIDTH + " \t")


def split_lines(text: str, dialect: str) -> list[Line]:
    sources = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if dialect == "markdown":
        sources = md.unwrap(sources)
        shown = md.plain_lines(sources)
        plain = [m.plain for m in shown]
    else:
        sources = unwrap_console(sources)
        shown, plain = [], [_without_image_mark(_without_form_controls(line))
                            for line in sources]
    out = []
    for i, raw in enumerate(plain):
        raw = raw.rstrip()
        visible = _INVISIBLE.sub("", raw).strip()
        code = shown[i].code if shown else 0
        bullet = None if code else BULLET.match(raw)
        body = raw if code else raw[bullet.end():] if bullet else raw.strip()
        norm = _NBSP.sub(" ", _INVISIBLE.sub("", body)).strip()
        # A bullet with no text is an icon-only link (social icons, the author's avatar menu); a
        # lone "•" still separates category links.
        line = Line(raw, body if code else body.strip(), norm, bool(bullet), False,
                    sources[i].rstrip())
        line.blank = not visible or not norm and not line.separator
        if shown:
            line.image, line.link_only = shown[i].image, shown[i].link_only
            line.taxonomy, line.heading, line.code = shown[i].taxonomy, shown[i].heading, code
        out.append(line)
    if dialect == "text":
        _drop_list_numbers(out)
        _drop_empty_items(out)
    return out


def _drop_empty_items(lines: list[Line]) -> None:
    """An empty list item as w3m prints it ("  • " under "  • Cindy", the author's icon-only
    links) is blank, not the lone "•" that separates category links (on a line of its own, or
    as an item's text: "  * •"): it is a bare bullet in a list, at the indentation of the item
    above it."""
    above: Line | None = None
    for line in lines:
        if line.raw.strip() == "•" and line.raw[:1].isspace() and above is not None \
                and above.bullet and _indent(above.raw) == _indent(line.raw):
            line.blank = True
        if line.raw.strip():
            above = line


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip())


# A console browser's dump is wrapped at its screen's width: lynx at 78 columns, w3m at 80;
# its longest line is then a little shorter (77 and 79 on the real posts).
CONSOLE_WIDTH = 80
_NARROWEST = 68
# Sentences broken near the width that a dump needs to be read as wrapped.
_NEAR_WIDTH = 8
_WRAPPED_LINES = 3


def unwrap_console(lines: list[str]) -> list[str]:
    """The dump's lines with those a console browser or converter wrapped at the screen's width
    (lynx, w3m, pandoc's plain text: a long title, a paragraph, a list item's text) each on one
    line again, and a list item's text that it wrote under the item's bullet on the item.

    As unwrap does for html2text's Markdown: in a wrapped dump (_wrap_width), a line goes on the
    one before when it continues that one's text (no bullet, at the column where that text
    starts) and its first word would not have fitted there (a greedy wrap breaks only then). In
    any dump, a list item with no text but images (w3m's "  • ", pandoc's "-   " over "[]")
    takes the lines under it indented past its bullet by up to 4 columns, blank lines between,
    up to the first that is not images alone (the author's name under the avatar). w3m counts
    a Chinese or Japanese character as two columns, lynx as one: the width is read both ways,
    and a line of such text goes on without a space between its characters."""
    measure, width = len, _wrap_width(lines, len)
    if not width:
        measure, width = columns, _wrap_width(lines, columns)
    if not width and not any(map(_ITEM_WITHOUT_TEXT.match, lines)):
        return lines
    out: list[list[str]] = []  # each line's pieces, joined at the end (not one by one: linear)
    before = ""  # the line before, as the dump has it
    waiting: tuple[int, int] | None = None  # an item with no text yet: where, its bullet's end
    for line in lines:
        text = line.strip()
        above = before.rstrip()
        before = line
        if not text:
            out.append([line])  # an item waits across blank lines (pandoc's loose lists)
            continue
        bullet = BULLET.match(line)
        if waiting is not None and bullet is None and not _chrome_alone(text) \
                and _indent(line) in range(waiting[1], waiting[1] + 4):
            out[waiting[0]].append(text)
            if not _IMAGES_ONLY.match(text):  # the avatar, then the name under it
                waiting = None
            continue
        waiting = None
        if bullet is not None and _ITEM_WITHOUT_TEXT.match(line):
            waiting = (len(out), len(line[:bullet.end()].rstrip()))
        elif width and bullet is None and above and _indent(line) == _text_column(above) \
                and (measure(above) + 1 + measure(text.split(maxsplit=1)[0]) > width
                     or _name_under_avatar(above, text)) \
                and not _chrome_alone(text) and not _opens_with_image(text):
            out[-1].append(text)
            continue
        out.append([line.rstrip()])
    return [_joined([piece.rstrip() for piece in pieces]) for pieces in out]


# Characters of Chinese and Japanese, written without spaces between words: CJK punctuation,
# kana, the ideographs and the full-width forms (not Hangul: Korean spaces its words).
_UNSPACED = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def columns(text: str) -> int:
    """The columns `text` takes on a console: East Asian wide characters take two."""
    return len(text) + sum(1 for ch in text if east_asian_width(ch) in "WF")


def _joined(pieces: list[str]) -> str:
    """A wrapped line's pieces as one: a space between them, but none inside Chinese or
    Japanese text ("…慢" + "性的…")."""
    text = pieces[0]
    for piece in pieces[1:]:
        unspaced = _UNSPACED.match(text[-1:]) and _UNSPACED.match(piece[:1])
        text += piece if unspaced else " " + piece
    return text


def _wrap_width(lines: list[str], measure: Callable[[str], int]) -> int:
    """The width the dump was wrapped at (its longest line), or 0 when it was not wrapped: its
    longest line is not near a screen's width, or no sentences are broken there (a full line,
    then one going on in lower case: "…a room filled with about 25" / "individuals, all…";
    titles that happen to be as long are not). A script without case (Arabic, Hebrew,
    Devanagari) goes on in a letter that is no capital either, under a full line only.
    _WRAPPED_LINES such breaks make a wrapped dump; a short one (a post of a paragraph or two)
    shows fewer, and is wrapped when each of its lines
    that another goes on in lower case is full: a poem's lines, a list's, go on from short
    lines as well (a line going on from a line of chrome, "bottom of page", is no sign)."""
    lengths = [measure(line.rstrip()) for line in lines]
    width = max(lengths, default=0)
    if not _NARROWEST <= width <= CONSOLE_WIDTH:
        return 0
    # A line of a script without case under a short one shows nothing (a list item's second
    # line, a name under its label): only a full line over it counts.
    going_on = [i for i in range(len(lines) - 1)
                if lines[i].strip() and _goes_on(first := lines[i + 1].lstrip()[:1])
                and (first.islower() or lengths[i] >= width - _NEAR_WIDTH)
                and not _chrome_alone(lines[i + 1].strip())]
    broken = sum(lengths[i] >= width - _NEAR_WIDTH for i in going_on)
    return width if broken >= _WRAPPED_LINES or broken == len(going_on) > 0 else 0


def _goes_on(first: str) -> bool:
    """Whether a line starting with `first` may go on a sentence: a lower-case letter, or a
    letter of a script without case."""
    return first.isalpha() and not first.isupper() and not first.istitle()


def _chrome_alone(text: str) -> bool:
    """A line of the post's footer or the site's chrome, never a wrapped line's end (lynx
    writes the counters at the paragraphs' indentation, right under the last one)."""
    return v.is_closing_anchor(text) or v.is_closing_chrome(text) or v.is_leading_chrome(text)


def _text_column(line: str) -> int:
    """Where the text of a line (right-stripped) starts: after its bullet and the spaces after
    it."""
    bullet = BULLET.match(line) or _PADDED_DIGIT.match(line)
    return _indent(line) if bullet is None else bullet.end()


# What a console browser writes for an image before the text beside it: its file name or alt
# text in brackets ("[file.jpg] Matteo Viganò", "[AItbvmm5lA]Keshav Sachdeva"), and the
# avatar's alt text before the author's name ("Writer's picture: Ann Lee Ann Lee").
_IMAGE_MARK = re.compile(rf"{_BULLETS_IF_ANY}\[(?P<name>[^\]\s]{{1,120}})\]\s*(?=\S)")
# An image on a line of its own (or several side by side), before a line's text or after it:
# what the tools write for an image without alt text is its file's name, whole (lynx:
# "[file.jpg]"; pandoc writes the alt text, which Wix sets to the file's name: "[GPE Full TM
# Logo.png]") or without its extension and cut at the image's width (w3m: "[38d615_fba]",
# "[GettyImage]", "[file]"). Anywhere on a line, a name is a file's when it shows an image
# extension or a mark of a Wix media address: the media id ("38d615_fba"), "~mv2", "_edited",
# a percent-encoded character ("…%3Ds96-c"). Alone on its line or before the text, also the
# names cameras, stock libraries and Wix give image files ("file", "IMG_1234", "GettyImages-…")
# and the tools' own words ("[image]", "[IMG]", "[INLINE]"; not "[File]", a menu's), and
# hashes (letters and digits mixed, "c7d035ba85"). Any other word is the post's: a lyric's
# "[chorus]", an editor's "[sic]", "[iPhone]", a config file's "[server]", "set
# [max_retries]", "rose by [50%]", a footnote ("[1]"), an elision ("[…]") and bracketed words
# in a sentence.
_BRACKETED = re.compile(r"\[([^\[\]\n]{0,120})\]")
_IMAGE_FILE = re.compile(r".*\S\.(?:jpe?g|jfif|png|gif|webp|avif|svg|bmp|tiff?|heic)", re.I)
# Wix's media id: the site owner's six hex digits (a digit among them: "38d615", "b9c99c"; not
# "facade"), "_" and the file's hex id, whole or cut ("38d615_fba", "b9c99c_60").
_WIX_FILE = re.compile(
    r"(?=[a-f]*\d)[0-9a-f]{6}_[0-9a-f]{2,}(?:[~_.].*)?$|.*(?:~mv2|_edited|%[0-9A-Fa-f]{2})")
# The generic words in one case, as the tools and cameras write them ("[image]", "[IMG]"): a
# capitalised one is a word of the post's ("[File] > [Save As]", "[Image] > [Adjustments]").
_GENERIC_IMAGE_WORD = re.compile(
    r"(?:file|image|img|inline|photo|picture|pic|png|jpe?g|gif|webp|svg)[\W_]*\d*", re.I)
_IMAGE_WORD = re.compile(
    r"(?:img|dsc[nf]?|pxl|dji|gopr|mvimg)_?\d{3}.*"
    r"|(?:gettyimage|shutterstock|istock|adobestock|depositphotos|screenshot|unsplash|pexels"
    r"|pixabay).*", re.I)
_HASH = re.compile(r"(?=.{6}).*[^\W\d_]\d+[^\W\d_]")
_IMAGE_AT_END = re.compile(r"(?<=\S)\s*\[([^\[\]\n]{1,120})\]\s*$")
_IMAGES_ALONE = re.compile(rf"{_BULLETS_IF_ANY}(?:\[[^\[\]\n]{{0,120}}\]\s*)+$")
_IMAGES_ONLY = re.compile(r"^\s*(?:\[[^\]\s]{0,120}\]\s*)+$")
_ITEM_WITHOUT_TEXT = re.compile(rf"^\s*(?:{_BULLET_MARK}\s*)+(?:\[[^\]\s]{{0,120}}\]\s*)*$")
# pandoc's image with no alt text, "[]": before a word or at the line's end ("[]Cindy",
# "Post not marked as liked[]", "[]"), and between two counts ("[]29[]0": 29 views, 0 comments).
# "int[] values" in a post keeps its brackets.
_IMAGE_BETWEEN_COUNTS = re.compile(r"(?<=\d)\[\](?=\d)")
_EMPTY_IMAGE = re.compile(r"(?<![\w\]])\[\]|\[\](?=\s*$)")
_AVATAR_ALT = re.compile(rf"{_BULLETS_IF_ANY}{v.AVATAR_ALT}\s*:?\s+(?=\S)", re.IGNORECASE)
_AVATAR_LINE = 160  # the alt text, a name twice and a list's indentation fit in this
# A cheap test before the regex, which every line would otherwise go through.
_LIST_MARKS = f" \t{_MARK_CHARS}-*–+"
_AVATAR_PREFIXES = tuple(alt.lower() for alt in v.AVATAR_ALTS)
_ALT_MAX = max(map(len, _AVATAR_PREFIXES))


def _without_image_mark(line: str) -> str:
    """A console browser's line without the image written before its text (see _IMAGE_MARK),
    and the author's name without the avatar's alt text before it: "Writer's picture Admin",
    or with the name written twice ("Writer's picture: Ann Lee Ann Lee"). "Foto do escritor:
    Ann" over "Ann" stays: that is the byline's "Writer: Ann" the header reads."""
    if "[" in line:
        if "[]" in line:
            line = _EMPTY_IMAGE.sub("", _IMAGE_BETWEEN_COUNTS.sub(" ", line))
        if _IMAGES_ALONE.match(line) and all(
                image_placeholder(name, alone=True) for name in _BRACKETED.findall(line)):
            return ""
        if (start := _IMAGE_MARK.match(line)) and image_placeholder(start["name"], alone=True):
            line = start.group(1) + line[start.end():]
        if (end := _IMAGE_AT_END.search(line)) and image_placeholder(end.group(1)):
            line = line[:end.start()]
    if len(line) < _AVATAR_LINE and line.lstrip(_LIST_MARKS)[:_ALT_MAX].lower().startswith(
            _AVATAR_PREFIXES) and (avatar := _AVATAR_ALT.match(line)) is not None:
        name = line[avatar.end():].strip()
        half = name[:len(name) // 2].strip()
        if half and name == f"{half} {half}":
            line = avatar.group(1) + half
        elif ":" not in line[:avatar.end()]:
            line = avatar.group(1) + name
    return line


def image_placeholder(name: str, alone: bool = False) -> bool:
    """Whether "[name]" is what a text tool writes for an image (see _BRACKETED): a file's
    name, or, `alone` on its line or before its text, a generic image name or a hash."""
    if _IMAGE_FILE.fullmatch(name) or _WIX_FILE.match(name):
        return True
    if not alone or not name or any(ch.isspace() for ch in name):
        return False
    return bool(_IMAGE_WORD.fullmatch(name) or _HASH.match(name) or name in (
        name.lower(), name.upper()) and _GENERIC_IMAGE_WORD.fullmatch(name))


def _name_under_avatar(above: str, text: str) -> bool:
    """Whether `text` ends the author's name in a list item that opens with the avatar's file
    name ("* [AItbvmm…s96-c] Keshav" / "Sachdeva"): lynx counts the image's width, not its
    name's, and wraps a word that would have fitted. A word or two, no sentence."""
    bullet = BULLET.match(above)
    return (bullet is not None and _opens_with_image(above[bullet.end():])
            and len(text.split()) <= 2 and text[-1] not in ".!?。！？।,;:)]")


def _opens_with_image(text: str) -> bool:
    """Whether a line opens with an image's file name (w3m's "[1ae557_86a]Get started…": a
    card's image and title), which no wrapped sentence goes on with."""
    start = _BRACKETED.match(text)
    return start is not None and image_placeholder(start.group(1), alone=True)


def _without_form_controls(line: str) -> str:
    """A console browser's line without its form controls (see _BUTTON_MARK): "(BUTTON) Log in"
    reads "Log in", an empty text field nothing."""
    if "(BUTTON)" in line:
        line = _BUTTON_MARK.sub("", line)
    return "" if _FORM_FIELD.match(line) else line


# pandoc's plain text writes an ordered list at the margin, each item's text at the fourth
# column ("1.  Add…", "10. Add…"), its wrapped lines under that text; a number typed by hand
# takes one space ("1. Add…").
_PADDED_NUMBER = re.compile(r"^(?:\d\.\s{2}|\d\d\.\s)(?=\S)")
# Of those, the ones no wrapped line of text opens with ("18. Jahrhundert" may): the text
# under them goes on the item's.
_PADDED_DIGIT = re.compile(r"^\d\.\s{2}(?=\S)")


def _drop_list_numbers(lines: list[Line]) -> None:
    """An ordered list as a layout-aware text tool renders it, indented ("    1. …",
    "    2. …"; inscriptis aligns the numbers right), loses its numbers in the body, as a
    bulleted one loses its bullets: two or more indented content lines in a row, numbered one
    after the other. Numbers typed at the start of a line ("1. Inspirez…" from an extractor
    that does not indent) are the author's text, and a numbered heading between paragraphs
    ("1. Introduction") is not in such a run: both keep their numbers. pandoc's plain text
    writes the list at the margin, its numbers padded (_PADDED_NUMBER): such a run, one of
    its numbers a single digit padded with two spaces, loses them too."""
    run: list[tuple[Line, re.Match[str]]] = []

    def close() -> None:
        if len(run) >= 2 and any(line.raw[:1].isspace() or _PADDED_DIGIT.match(line.raw)
                                 for line, _ in run):
            for line, match in run:
                line.body = line.body[match.end():]
        run.clear()

    for line in lines:
        if line.blank:
            continue
        indented = line.raw[:1].isspace() or _PADDED_NUMBER.match(line.raw) is not None
        match = _NUMBERED.match(line.body) if indented and not line.bullet else None
        if match is None or run and int(match.group(1)) != int(run[-1][1].group(1)) + 1:
            close()
        if match is not None:
            run.append((line, match))
    close()


def _whole_chrome(text: str) -> bool:
    """Header and footer lines that an extractor may break in two at an inline element."""
    return bool(v.read_minutes(text) is not None or v.UPDATED.match(text)
                or v.MENU_A11Y_LINE.match(text) or v.COUNTERS.match(text)
                or v.LIKED_LINE.match(text) or v.WRITER.match(text) or v.SEE_ALL_LINE.match(text))


def join_split_chrome(lines: list[Line]) -> None:
    """Join a header or footer line that the extractor broke at an inline element
    (BeautifulSoup's get_text("\n"): "3" / "min read", "Updated:" / "Jan 21, 2024", "Use tab" /
    "to navigate through the menu items."): neither half is chrome on its own, the whole is."""
    content = [i for i, line in enumerate(lines) if not line.blank]
    for a, b in zip(content, content[1:], strict=False):
        first, second = lines[a], lines[b]
        if (first.blank or len(first.text) > 40 or len(second.text) > 60
                or second.bullet):  # a new list item is not the rest of the line
            continue
        joined = f"{first.text} {second.text}"
        if _whole_chrome(joined) and not _whole_chrome(first.text) and not _whole_chrome(
                second.text):
            first.text, first.body = joined, f"{first.body} {second.body}"
            first.raw = f"{first.raw} {second.raw.strip()}"
            second.text = second.body = second.raw = ""
            second.blank = True


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")  # "YouTube's" is one word, not "s"
_LAST_WORD = re.compile(r"(?:^|(?<=\s))([^\W\d_]+)$")
_FIRST_WORD = re.compile(r"^([^\W\d_]+)")


def join_split_words(lines: list[Line]) -> None:
    """Join a word that the extractor broke in two at an element boundary (BeautifulSoup's
    get_text("\n") ends a line at every tag and at the empty comments React writes between
    pieces of text: a first letter styled apart, "K" / "now your audience", or a word split
    anywhere, "Make u" / "se of the functions"). A paragraph never ends inside a word, but
    the dump cannot say where one does: the page's own words tell. Glued lines, the second
    going on in lower case; joined without a space when the whole word is one of the page's
    elsewhere and its two pieces are not both words of the page ("in" / "to" stay two), or
    when the first line is a capital letter alone that stands nowhere else as a word (a drop
    cap); a capital letter that is a word of the page ("A" / "good thumbnail") goes on with a
    space."""
    counts: dict[str, int] = {}
    for line in lines:
        # A letter alone on its line is no sign of a word: the page's other drop caps are such.
        for word in _WORD.findall(line.text.lower()) if len(line.text) > 1 else ():
            counts[word] = counts.get(word, 0) + 1
    for a in range(len(lines) - 1):
        first, second = lines[a], lines[a + 1]
        if first.blank or second.blank or second.bullet:
            continue
        tail, head = _LAST_WORD.search(first.text), _FIRST_WORD.match(second.text)
        if tail is None or head is None or not head.group(1)[0].islower():
            continue
        piece, rest = tail.group(1).lower(), head.group(1).lower()
        whole = counts.get(piece + rest, 0) > 0
        letter = len(first.text) == 1 and first.text.isupper()
        # Each piece a word of the page elsewhere than here.
        words = counts.get(piece, 0) > (not letter), counts.get(rest, 0) > 1
        if whole and not all(words) or letter and not words[0]:
            glue = ""
        elif letter:
            glue = " "
        else:
            continue
        first.text, first.body = first.text + glue + second.text, first.body + glue + second.body
        first.raw = first.raw + glue + second.raw.strip()
        second.text = second.body = second.raw = ""
        second.blank = True


# The marks that end a sentence: Latin, CJK full-width, Arabic, and the danda of Hindi and
# Bengali.
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "؟", "।")
FINISHED_WORDS = 6  # words of a finished paragraph (CJK: characters over two)


def finished_paragraph(text: str) -> bool:
    """A sentence or more of prose, ended: a paragraph of a post, not a card's title or cut
    excerpt ("2 min read" or a date under one is then the post's own text)."""
    text = text.rstrip("\"'”’»)")
    wide = sum(ch >= "\u2e80" for ch in text)
    return text.endswith(_SENTENCE_ENDS) and (
        len(text.split()) >= FINISHED_WORDS or wide >= 2 * FINISHED_WORDS)


def glued(text: str) -> tuple[str, int] | None:
    """Split "Sep 9, 20233 min read" / "Mar 302 min read" into (date, minutes)."""
    if len(text) > 60 or not _GLUE_HINT.search(text):
        return None
    for cut in range(len(text) - 1, 0, -1):
        if not text[cut].isdigit():  # the reading time starts on its number
            continue
        date, rest = text[:cut].strip(), text[cut:]
        if not date:
            continue
        minutes = v.read_minutes(rest, bare=True)
        if minutes is not None and v.DATE.match(date):
            return date, minutes
    return None


def byline(text: str) -> tuple[str | None, str | None, int] | None:
    """Split a post header shown on one line, its parts apart by separators, into (author,
    date, minutes): "Zoë Fischer · May 15 · 3 min read", "May 15 • 2 min read". The reading
    time must be there (a name and a date alone are too often content); None otherwise."""
    if len(text) > 100 or not _GLUE_HINT.search(text):
        return None
    parts = _SEPARATED.split(text)
    if len(parts) < 2:
        return None
    author = date = minutes = None
    bare = False  # "3 min" alone, as cards print it: a reading time only beside a date
    for k, part in enumerate(parts):
        if minutes is None and (found := v.read_minutes(part, bare=True)) is not None:
            minutes, bare = found, v.read_minutes(part) is None
        elif date is None and v.DATE.match(part):
            date = part
        elif k == 0 and name_like(part):
            author = part
        else:
            return None
    if minutes is None or bare and date is None:  # "Prep · 15 min" is a recipe's
        return None
    return author, date, minutes


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def title_like(line: Line) -> bool:
    t = line.text
    if not t or len(t) > 160 or line.bullet or not any(ch.isalpha() for ch in t):
        return False
    if t[-1] in TITLE_BREAKS and not t.endswith(("...", "…")) or v.DATE.match(t):
        return False
    return not (v.is_leading_chrome(t) or v.is_closing_chrome(t) or v.is_closing_anchor(t))


def heading_like(line: Line) -> bool:
    """Looser than title_like, for a line already framed as a title by its position."""
    t = line.text
    return (0 < len(t) <= 120 and not line.bullet and t[-1] not in ",;:，；：、،؛"
            and not v.is_closing_chrome(t) and not v.is_closing_anchor(t))


def tag_like(line: Line) -> bool:
    """A tag or category label: a word or three, no sentence punctuation, no digits only, no
    web address (a post's link written out under the sentence naming it)."""
    t = line.text
    return (0 < len(t) <= 40 and len(t.split()) <= 3 and t[-1] not in SENTENCE_MARKS
            and any(ch.isalpha() for ch in t) and not v.DATE.match(t) and "://" not in t)


def name_like(text: str) -> bool:
    """A byline: a few words, no sentence punctuation (Wix usernames, "Admin", full names); never
    a link of the site menu a header-less dump leaves above the date ("Contact", "About")."""
    return (0 < len(text) <= 50 and len(text.split()) <= 6 and text[-1] not in SENTENCE_MARKS
            and not v.DATE.match(text) and not v.is_leading_chrome(text)
            and not v.SITE_PAGE_LINE.match(text))


# Lowercase words a person's name may hold ("Jean de la Fontaine", "Ludwig van Beethoven").
NAME_PARTICLES = {"de", "la", "le", "du", "des", "da", "di", "do", "dos", "das", "del", "della",
                   "van", "von", "der", "den", "ter", "bin", "al", "y", "e"}


# English small words that a heading in title case capitalises and a name never holds.
TITLE_CASE_WORDS = {"A", "An", "And", "Are", "As", "At", "By", "For", "From", "How", "In", "Is",
                    "Of", "On", "Or", "The", "To", "What", "When", "Why", "With", "You", "Your"}


def person_like(text: str) -> bool:
    """A name as a byline shows it: one token ("maryamlempke", "Cindy@Interstate") or up to
    five capitalised words ("Patrícia Medeiros S. Debesa", "GPE Media & Comms"), where a title
    of that length has lowercase words ("A trumpet is a Puck") or, in title case, capitalised
    small words ("Five Tips For Better Sleep") or a number of its own ("13 YouTube Tips"). A
    script without case (Arabic, Hebrew, Chinese, Japanese) shows no capitals: its words are
    no sign of a name ("فاطمة الزهراء" and the title "كيف تتعامل مع الضغط" look alike), see
    byline_over_date."""
    words = text.split()
    if not name_like(text) or len(words) > 5 or not any(map(_cased, words)):
        return False
    if any(w in TITLE_CASE_WORDS for w in words[1:]):
        return False  # a heading in title case ("Five Tips For Better Sleep")
    if len(words) > 1 and any(w.isdigit() for w in words):
        return False  # "13 YouTube Tips", "Top 10 Hikes"
    return len(words) == 1 or all(not w[:1].islower() or w in NAME_PARTICLES for w in words)


def _cased(word: str) -> bool:
    return any(ch.isupper() or ch.islower() for ch in word)


def name_shaped(text: str) -> bool:
    """A byline's shape: person_like, or in a script without case, whose capitals cannot say,
    any few words (five at most)."""
    words = text.split()
    return person_like(text) or (name_like(text) and len(words) <= 5
                                 and not any(map(_cased, words)))


def byline_over_date(line: str, above: Line) -> bool:
    """Whether `line`, right above the post's date with `above` over it, is the author's name
    rather than the title (under a category label, a tagline, a login button in a language the
    vocabulary lacks): it is shaped like a name (person_like). In a script without case, which
    shows no capitals, a few words no longer than the line above, or fewer words than it,
    which is shaped like a title: titles run longer than names or as long ("משה לוי" under
    "יום בים"), or have more words ("রবীন্দ্রনাথ চক্রবর্তী" under "পুরনো বন্দরে একদিন"), and a
    category label over a title is shorter than it. A
    line above shaped like the login button ("X / Y") is no title."""
    if person_like(line):
        return True
    return (name_shaped(line) and title_like(above)
            and (len(line) <= len(above.text) or len(line.split()) < len(above.text.split()))
            and not (len(above.text.split()) <= 5 and " / " in above.text))
