"""Markdown dumps: tell them from plain text, and read each Markdown line as the text it shows.

html2text, markdownify and the LLM-era readers (Jina, Firecrawl, crawl4ai) write a page as
Markdown: links as `[text](url)`, images as `![alt](src)`, headings as `#`, lists as `*`/`-`/`+`,
emphasis as `**`/`_`, and a backslash before characters Markdown would read as syntax (`\\-`).
The cleaner works on lines, so each Markdown line maps to exactly one plain line (same index):
the chrome rules stay the same for every dialect, and the post's own Markdown can be given back
line for line.

Markdown parsers (markdown-it, mistune) build a document tree and lose the line numbers the
positional chrome rules depend on, and the inline syntax the dumps use is small, hence regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.clean import vocabulary as v

# An image, possibly with a title: ![alt](src "title"); alt text may hold one level of brackets.
# The src may hold spaces: html2text writes Wix's media URLs, whose last part is the uploaded
# file's name ("…/fill/w_69,h_8/GPE Full TM Logo.png"), as they are.
_IMAGE = re.compile(r"!\[(?P<alt>(?:[^\[\]]|\[[^\[\]]*\])*)\]"
                    r"\((?P<src>[^()\s]*(?:(?:\([^()\s]*\)| (?!\"))[^()\s]*)*)"
                    r"(?:\s+\"[^\"]*\")?\)")
# A link whose text holds no brackets (images inside it are removed first).
_LINK = re.compile(r"\[(?P<text>[^\[\]]*)\]\((?P<href>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)"
                   r"(?:\s+\"[^\"]*\")?\)")
_OPEN_MARK = re.compile(r"!?\[")
_CLOSE_BEFORE_OPEN = re.compile(r"[^\[]*\]\(")
_DANGLING_CLOSE = re.compile(r"^([^\[]*)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
_REF_LINK = re.compile(r"\[(?P<text>[^\[\]]+)\]\[[^\[\]]*\]")
_AUTOLINK = re.compile(r"<(?P<url>(?:https?|mailto|ftp):[^>\s]+)>")
_HEADING = re.compile(r"^(?P<indent>\s*)#{1,6}(?:\s+|$)(?P<text>.*?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^\s*(?:=+|-{2,})\s*$")
_LIST = re.compile(r"^(?P<indent>\s*)(?P<marks>(?:(?:[*+-]|\d{1,3}[.)])(?:\s+|$))+)(?P<text>.*)$")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_RULE = re.compile(r"^\s*(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$")
_FENCE = re.compile(r"^\s*(?:```|~~~)")
# A span's text never holds its own mark: each opening mark then looks no further than the
# next one, where ".+?" ran to the line's end from every unclosed "**" (quadratic on long lines).
_STRONG = re.compile(r"(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1")
_STRONG_LOOSE = re.compile(r"\*\*\s*((?:(?!\*\*).)+?)\s*\*\*")  # html2text writes "** Bold **" too
# The opening mark comes first so that the regex engine can skip to it (a leading lookbehind
# makes it try every position: 10x slower on long lines).
_EM_STAR = re.compile(r"\*(?<![\w*]\*)(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_EM_UNDER = re.compile(r"_(?<![\w\\]_)(?=\S)([^_]+?)(?<=\S)_(?!\w)")
_STRIKE = re.compile(r"~~(?=\S)((?:(?!~~).)+?)(?<=\S)~~")
_CODE = re.compile(r"`([^`]+)`")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<\"'])")
# A character some Markdown construct starts with, or the "](" that closes a link opened on a
# line before (html2text wraps inside link text); a line without any is plain already.
_SYNTAX = re.compile(r"[\[*_#>|`\\~<=+-]|\]\(|^\s*\d{1,3}[.)]")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
# Markdown a plain-text page never holds: links and images, ATX headings, bold marks. List
# bullets are left out: inscriptis writes "* item" in plain text too.
# Texts and targets that hold no bracket or space (enough to recognise Markdown): a scan that
# may cross them runs to the line's end from every "[", quadratic on a long line of "](".
_SIGNS = re.compile(r"!?\[[^\[\]\n]*\]\([^()\[\]\s]*\)|^#{1,6} \S|\*\*\S[^*\n]*\*\*",
                    re.MULTILINE)
_IMAGE_SIGN = re.compile(r"!\[[^\[\]\n]*\]\([^()\[\]\s]+\)")
_OPENING_HEADING = re.compile(r"\s*#{1,6} \S")  # the dump's first line a Markdown heading
# html2text's escape of a number opening a line or list item ("* * * 12\. März 2023"), which
# keeps it from reading as an ordered list; plain text has no cause to write it.
_NUMBER_ESCAPE = re.compile(r"^[ \t]*(?:[*+-][ \t]+)*\d{1,4}\\\.(?=\s)", re.MULTILINE)


# pandoc's Markdown of a whole saved page (`pandoc -t markdown`, `-t gfm`) keeps what Markdown
# cannot say: Pandoc's own dialect writes Wix's divs as `:::` fences and its spans, links' and
# headings' attributes as `{#id .class key="value"}` (wrapped over lines at 72 columns like the
# text), GFM writes them as raw HTML tags. What a reader sees is the text inside: the fences,
# attributes and tags show nothing, and a bracketed span `[text]{.class}` shows its text.
_ATTRIBUTES = r"\{(?:[^{}\"\n]|\n(?!\s*\n)|\"[^\"\n]*\")*\}"
# A fenced div's line as pandoc writes one: colons, then attributes (`{…}`, or one class name)
# and maybe colons again (an opening fence), or colons alone (a closing one). A post's own line
# opening on colons (`::: Chapter one :::`) is none: pandoc leaves it as it is.
_FENCE_LINE = r":{3,}[ \t]*(?:\{[^{}\n]*\}|[^\s{}:]+)?[ \t]*:*[ \t]*$"
_PANDOC_SIGN = re.compile(rf"^[ \t]*(?:{_FENCE_LINE}|</?div\b)|(?<!\\)\]\{{[#.]", re.MULTILINE)
# A whole page's Wix divs give hundreds (78 at least on the sample blog's posts, 286 on the
# real ones); html2text, markdownify and the LLM-era readers write none, and a post's own
# admonitions (`:::note` … `:::`) a few.
_PANDOC_SIGNS = 20
_FENCED_DIV = re.compile(r"^([ \t]*(?:>[ \t]?)*(?:(?:[*+-]|\d{1,3}[.)])[ \t]+)?)" + _FENCE_LINE,
                         re.MULTILINE)
# Not brackets pandoc escaped (`\[text\]{#id}`: the post's own text).
_SPAN = re.compile(r"(?<!\\)\[((?:[^\[\]]|\[[^\[\]]*\])*)(?<!\\)\]" + _ATTRIBUTES)
_AFTER_LINK = re.compile(r"(?<=\))" + _ATTRIBUTES)
_AFTER_HEADING = re.compile(r"^(#{1,6}[ \t].*?)[ \t]+" + _ATTRIBUTES + r"[ \t]*$", re.MULTILINE)
# A tag (its attributes may hold ">" inside quotes and go on over lines) or a comment. pandoc
# escapes a "<" of the text (`\<`), so a bare one opening a name is a tag.
_RAW_TAG = re.compile(r"(?<!\\)<(?:!--[^<>]*?--|/?[A-Za-z][\w-]*"
                      r"(?:\s(?:[^<>\"']|\"[^\"\n]*\"|'[^'\n]*')*)?/?)>", re.DOTALL)
# A link GFM kept as HTML (Wix's links carry a class): the cleaner reads link targets (the
# author's profile, tag and category pages), so it stays a link.
_RAW_LINK = re.compile(r"<a\s(?:[^<>\"']|\"[^\"\n]*\"|'[^'\n]*')*?\bhref=\"(?P<href>[^\"\s]*)\""
                       r"(?:[^<>\"']|\"[^\"\n]*\"|'[^'\n]*')*>"
                       r"(?P<text>[^<]*(?:<(?!/?a[\s>])[^<]*)*)</a>")
# Pandoc's Markdown is written for its reader's "smart" extension: a curly quote, apostrophe,
# dash or ellipsis of the page is written as the plain marks that reader turns back into it
# (`O'Leary`, `---`, `...`), and the page's own plain marks are escaped (`\'`, `\...`). Read
# as pandoc reads it, outside link targets and rules.
_PANDOC_DIALECT = re.compile(rf"^[ \t]*{_FENCE_LINE}|(?<!\\)\]\{{[#.]", re.MULTILINE)
_SMART = (
    (re.compile(r"(?<=\w)'(?=\w)"), "\u2019"),
    (re.compile(r"(?<![\w\\])'(?=\w)"), "\u2018"),
    (re.compile(r"(?<=[\w.,;:!?)])'"), "\u2019"),
    (re.compile(r"(?<![\w\\])\"(?=\S)"), "\u201c"),
    (re.compile(r"(?<=[\w.,;:!?)])\""), "\u201d"),
    (re.compile(r"(?<![\\-])---(?!-)"), "\u2014"),
    (re.compile(r"(?<![\\-])--(?!-)"), "\u2013"),
    (re.compile(r"(?<![\\.])\.\.\.(?!\.)"), "\u2026"),
)
_TARGET = re.compile(r"\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+\"[^\"]*\")?\)")
_BARE_ITEM = re.compile(r"^\s*(?:[*+-]|\d{1,3}[.)])\s*$")
_LONE_BREAK = re.compile(r"^[ \t]*\\[ \t]*$", re.MULTILINE)
_STARTS_BLOCK = re.compile(r"^\s*(?:[*+-]\s|\d{1,3}[.)]\s|#{1,6}\s|>|\||```|~~~|!\[)")


def pandoc_page(text: str) -> bool:
    """Whether `text` is pandoc's Markdown of a whole page: Markdown, and its fences, raw
    `<div>` lines or bracketed spans recur (_PANDOC_SIGNS) outside code blocks (a post showing
    HTML in one, copied as text or Markdown, is no such page)."""
    lines = text[:200_000].split("\n")
    shown = "\n".join(line for line, block in zip(lines, code_blocks(lines), strict=True)
                      if not block)
    return len(_PANDOC_SIGN.findall(shown)) >= _PANDOC_SIGNS and looks_like_markdown(text)


def _smart(line: str) -> str:
    if _RULE.match(line) or _TABLE_RULE.match(line):
        return line
    pieces, at = [], 0
    for target in _TARGET.finditer(line):
        pieces += [_smart_text(line[at:target.start()]), target.group(0)]
        at = target.end()
    return "".join([*pieces, _smart_text(line[at:])])


def _smart_text(text: str) -> str:
    for pattern, mark in _SMART:
        text = pattern.sub(mark, text)
    return text


def _shown_markup(text: str) -> str:
    """Lines of pandoc's page outside code blocks with its fences, attributes and tags taken
    out (a tag or an attribute may go on over lines)."""
    text = _AFTER_HEADING.sub(lambda m: m.group(1), text)
    text = _AFTER_LINK.sub("", text)
    for _ in range(8):  # nested spans (Wix nests a rich text's spans 5 deep) from the inside
        new = _SPAN.sub(lambda m: m.group(1), text)
        if new == text:
            break
        text = new
    text = _RAW_LINK.sub(lambda m: "[" + " ".join(_RAW_TAG.sub("", m.group("text")).split())
                         + "](" + m.group("href") + ")", text)
    return _LONE_BREAK.sub("", _RAW_TAG.sub("", _FENCED_DIV.sub(lambda m: m.group(1), text)))


def _with_code_marked(text: str) -> list[tuple[str, bool]]:
    """Each line of pandoc's page, markup taken out, and whether it is a code block's (its
    fences too): a code block shows its lines as they are, tags and `:::` included."""
    lines = text.split("\n")
    in_code = [bool(block) or bool(_FENCE.match(line))
               for line, block in zip(lines, code_blocks(lines), strict=True)]
    out: list[tuple[str, bool]] = []
    start = 0
    for end in range(1, len(lines) + 1):
        if end == len(lines) or in_code[end] != in_code[start]:
            if in_code[start]:
                out += [(line, True) for line in lines[start:end]]
            else:
                out += [(line, False) for line in
                        _shown_markup("\n".join(lines[start:end])).split("\n")]
            start = end
    return out


def without_pandoc_markup(text: str) -> str:
    """pandoc's Markdown of a page as the Markdown of what it shows (see above), each paragraph
    on one line again (pandoc wraps them at 72 columns; its blocks are a blank line apart)."""
    smart = bool(_PANDOC_DIALECT.search(text[:200_000]))
    out: list[str] = []
    code: set[int] = set()  # lines of code blocks: as they are
    item = -1  # the last list item with no text yet (its text is the indented block under it)
    for line, in_code in _with_code_marked(text):
        above = out[-1] if out else ""
        if in_code:
            code.add(len(out))
            out.append(line)
        elif item >= 0 and line[:1].isspace() and line.strip() and not _LIST.match(line):
            # The avatar's image and the name under the author's empty item.
            out[item] = f"{out[item].rstrip()} {line.strip()}"
            del out[item + 1:]
            if _IMAGE.sub("", line).strip():
                item = -1
        elif line.strip() and not _STARTS_BLOCK.match(line):
            if above.rstrip() and not _HEADING.match(above) and len(out) - 1 not in code \
                    and not above.endswith(("\\", "  ")):
                out[-1] = f"{above.rstrip()} {line.strip()}"
            else:
                out.append(line)
            item = -1
        else:
            out.append(line)
            if line.strip():
                item = len(out) - 1 if _BARE_ITEM.match(line) else -1
    if smart:
        out = [line if n in code else _smart(line) for n, line in enumerate(out)]
    return "\n".join(out)


@dataclass
class MarkdownLine:
    plain: str  # what the line shows: indentation and one list bullet kept, syntax removed
    image: bool  # the line showed only images (and links around them): no text of its own
    link_only: bool  # the line's text was all link text (menus, "Recent Posts" cards, "See All")
    taxonomy: bool = False  # link-only, and every link goes to a blog tag or category page
    heading: int = 0  # the ATX heading level, 0 for other lines
    code: int = 0  # the code block the line is in, numbered from 1; 0 outside code


def looks_like_markdown(text: str) -> bool:
    """Markdown when its syntax recurs (a whole page shows many links), or an image is written
    in Markdown, or a short copy of a post opens on a `#` heading or escapes a number as
    html2text does (a date in the header: "12\\. März 2023") and shows one more sign (the
    author's name as a link to their profile, a `#` heading)."""
    sample = text[:200_000]
    hits = len(_SIGNS.findall(sample))
    opens_on_heading = bool(_OPENING_HEADING.match(sample))
    escaped = bool(_NUMBER_ESCAPE.search(sample))
    return (hits >= 3 or bool(_IMAGE_SIGN.search(sample))
            or hits + escaped >= 2 and (opens_on_heading or escaped))


def inline_plain(text: str) -> str:
    """The text a Markdown span shows: link text without targets, no images, marks or escapes."""
    if "[" not in text and "<" not in text:
        return _plain_marks(text)
    text = _IMAGE.sub("", text)
    for _ in range(3):  # links inside links' text ("[[x](a)](b)") unwrap from the inside out
        new = _LINK.sub(lambda m: m.group("text"), text)
        if new == text:
            break
        text = new
    text = _REF_LINK.sub(lambda m: m.group("text"), text)
    text = _AUTOLINK.sub(lambda m: m.group("url"), text)
    return _plain_marks(text)


def _plain_marks(text: str) -> str:
    """Emphasis, code and strike marks and backslash escapes removed."""
    if "`" in text:
        text = _CODE.sub(lambda m: m.group(1), text)
    if "*" in text or "__" in text:
        # Twice: html2text nests strong marks for bold italics ("**__Overheated__**").
        for _ in range(2):
            text = _STRONG.sub(lambda m: m.group(2), text)
        text = _STRONG_LOOSE.sub(_loose_strong, text)
    if "~~" in text:
        text = _STRIKE.sub(lambda m: m.group(1), text)
    if "*" in text:
        text = _EM_STAR.sub(lambda m: m.group(1), text)
    if "_" in text:
        text = _EM_UNDER.sub(lambda m: m.group(1), text)
    return _ESCAPE.sub(lambda m: m.group(1), text) if "\\" in text else text


def _loose_strong(m: re.Match[str]) -> str:
    """A bold run whose marks hold its spaces ("**Lesson one. **Then"): the text, with a space
    kept where one stood inside a mark and none outside it, so words do not run together."""
    whole, text, start, end = m.group(0), m.string, m.start(), m.end()
    before = " " if whole[2:3].isspace() and text[start - 1:start].strip() else ""
    after = " " if whole[-3:-2].isspace() and text[end:end + 1].strip() else ""
    return before + m.group(1) + after


# html2text wraps paragraphs at 78 columns unless told not to (LangChain's Html2TextTransformer
# keeps that default); a wrapped line stops a few columns short of it, at a space.
_WRAP_WIDTH = 78
# Links and their addresses, which html2text never breaks to fit (it may break an address
# at a hyphen): what a wrapped line may hold beyond the width.
# Anchored at a word's start: from every position, "\S*" made a long word quadratic.
_URLISH = re.compile(r"(?<!\S)\S*(?:\]\(|https?://|[/?=&%])\S*")
_TARGET_END = re.compile(r"[)\s]")


def unwrap(lines: list[str]) -> list[str]:
    """Paragraphs (and headings) that html2text wrapped at its default width, each on one line
    again, so that their words, links and emphasis read whole; any other dump as it is.

    A line goes on the one before when that one was broken by the wrap: it starts no block of
    its own (as in Markdown, a block's lines follow each other) and its first word would not
    have fitted on the line before (a greedy wrap breaks only then). Lines apart for another
    reason ("Recent Posts" / "See All" in some tools' Markdown) stay apart. A dump with a line
    of prose longer than the width was not wrapped (links, URLs, list items and tables never
    are, so they may be)."""
    if any(len(line.rstrip()) > _WRAP_WIDTH + 2
           and len(_URLISH.sub("", line).rstrip()) > _WRAP_WIDTH + 2
           and not _LIST.match(line) and "|" not in line for line in lines):
        return lines
    out: list[str] = []
    fenced = joinable = False
    before = ""  # the line before, as the dump has it
    for line in lines:
        starts_block = (not line.strip() or _FENCE.match(line) or _LIST.match(line)
                        or _HEADING.match(line) or _QUOTE.match(line) or _RULE.match(line)
                        or _SETEXT.match(line) or line.lstrip().startswith(("|", "![")))
        if _FENCE.match(line):
            fenced = not fenced
        first_word = line.split(maxsplit=1)[0] if line.strip() else ""
        if out and not fenced and not starts_block and _open_construct(out[-1]) and \
                len(before.rstrip()) + 1 + len(first_word) > _WRAP_WIDTH:
            space = "" if out[-1].endswith("-") and _open_target(out[-1]) else " "
            out[-1] = f"{out[-1].rstrip()}{space}{line.strip()}"
        elif joinable and not fenced and not starts_block and \
                len(before.rstrip()) + 1 + len(first_word) > _WRAP_WIDTH:
            # A link's address broken at a hyphen ("…/seed-" / "exchange)") is one word.
            space = "" if _open_target(out[-1]) else " "
            out[-1] = f"{out[-1].rstrip()}{space}{line.strip()}"
        else:
            out.append(line)
        last, before = out[-1], line
        # A hard line break ("  " at the end, html2text's <br>) ends the line for good.
        joinable = (not fenced and bool(line.strip()) and not last.endswith("  ")
                    and not _RULE.match(last) and not _SETEXT.match(last)
                    and not last.lstrip().startswith(("|", "![")))
    return out


def _open_target(line: str) -> bool:
    """A link's target left open at the line's end: no ")" or space after its last "](". (As a
    regex search, each "](" would be followed to the line's end: quadratic.)"""
    at = line.rfind("](")
    return at >= 0 and not _TARGET_END.search(line, at + 2)


def _open_construct(line: str) -> bool:
    """A link's or image's text left open at the line's end ("…![Adolf": a "[" after the last
    "]"), or an image's address (Wix's media URLs hold the file name, spaces and all):
    html2text wrapped inside it, even in an image line, which otherwise takes no next line."""
    return line.rfind("[") > line.rfind("]") or (
        line.lstrip().startswith(("![", "[![")) and _open_target(line))


_LINK_BLOCKS = 4  # most lines, blank ones too, between a link's "[" and its "](" (markdownify)


# An indented code block: each line four spaces (or a tab) in.
_CODE_INDENT = re.compile(r"^(?: {4}|\t)")
# A Markdown hard line break at a line's end (html2text and markdownify write a <br> so).
_HARD_BREAK = re.compile(r"(?: {2}|\\)$")


def code_blocks(lines: list[str]) -> list[int]:
    """Each line's code block, numbered from 1 (0: no code): the lines inside a fence, and
    an indented block's (as CommonMark reads one: after a blank line, not under a list item,
    whose lines go on indented; its first line no list item itself), blank lines in it too.

    html2text opens a <pre> after lines of its indentation ("    ") and indents the blank
    lines inside; an empty line ends it (_ends_block). An indented block after an empty line
    is code only with a sign of code (_code_shaped): html2text, and markdownify as LangChain
    calls it, make the no-break spaces that Wix's editor writes for a paragraph's leading
    spaces plain ones, so such a paragraph comes out so (turndown and pandoc, which indent a
    code block after an empty line, keep those no-break spaces)."""
    blocks = [0] * len(lines)
    count, fenced, indented, listed = 0, False, False, False
    spaced = False  # the indented block opened after a line of white space (html2text's <pre>)
    tentative: list[int] = []  # the blocks opened after an empty line
    for i, line in enumerate(lines):
        blank = not line.strip()
        if _FENCE.match(line):
            fenced, indented = not fenced, False
            count += fenced
            continue
        if fenced:
            blocks[i] = count
            continue
        if indented and (not _ends_block(lines, i, spaced) if blank else _CODE_INDENT.match(line)):
            blocks[i] = count
            continue
        indented = False
        if not blank and _CODE_INDENT.match(line) and i and not lines[i - 1].strip() \
                and not listed and not _LIST.match(line):
            count, indented, spaced = count + 1, True, bool(lines[i - 1])
            blocks[i] = count
            if not spaced:
                tentative.append(count)
        elif not blank:
            # A list goes on over its items' indented lines, up to a line that is not in.
            listed = bool(_LIST.match(line)) or listed and line[:1] in " \t"
    for i in range(len(lines) - 1, -1, -1):  # an indented block's trailing blank lines
        if blocks[i] and not lines[i].strip() and (i + 1 == len(lines) or not blocks[i + 1]):
            blocks[i] = 0
    at: dict[int, list[int]] = {block: [] for block in tentative}
    for i, block in enumerate(blocks):
        if block in at:
            at[block].append(i)
    for where in at.values():
        if not _code_shaped([lines[i] for i in where]):
            for i in where:
                blocks[i] = 0
    return blocks


def _ends_block(lines: list[str], i: int, spaced: bool) -> bool:
    """Whether blank line `i` ends the indented block above it: an empty line ends
    html2text's; html2text's next <pre> opens on two lines of white space (or one after an
    empty line), which end a block opened after an empty line."""
    if spaced:
        return not lines[i]
    return bool(lines[i]) and (not lines[i - 1] or i + 1 < len(lines)
                               and bool(lines[i + 1]) and not lines[i + 1].strip())


def _code_shaped(block: list[str]) -> bool:
    """Whether an indented block opened after an empty line shows a sign of code: two lines
    in a row with no hard break between (a paragraph's lines are one line in a Markdown dump,
    or broken by one), or a blank line inside still indented (turndown writes a code block's
    so; paragraphs are an empty line apart)."""
    return any(line.strip() and below.strip() and not _HARD_BREAK.search(line)
               or not line.strip() and line
               for line, below in zip(block, block[1:], strict=False))


def _code_line(line: str, block: int, fenced: bool) -> MarkdownLine:
    """A code line as it shows: its indentation kept (less an indented block's four spaces)."""
    shown = line.rstrip() if fenced else _CODE_INDENT.sub("", line.rstrip(), count=1)
    return MarkdownLine(shown, False, False, code=block if shown.strip() else 0)


def plain_lines(lines: list[str]) -> list[MarkdownLine]:
    """Each Markdown line as plain text, index for index; a code block's lines as they are."""
    out: list[MarkdownLine] = []
    fenced = False
    blocks = code_blocks(lines)
    # Whether a later line of the same paragraph closes a link's text ("](" before any "["): a
    # "[" left open may be closed there; else it is text ("hello [world" shows its "[").
    # markdownify keeps the page's blank lines inside a link's text too (Wix's free-plan banner,
    # a link around three blocks): a line closing it a few lines below, past blank ones, counts,
    # unless a "[" opened between takes that "](" ("hello [world" / "" / "See [this" / "page](…)").
    closed_later, closes, below = [False] * len(lines), False, _LINK_BLOCKS + 1
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        closed_later[index] = closes or below <= _LINK_BLOCKS
        closing = bool(_CLOSE_BEFORE_OPEN.match(line))
        below = 0 if closing else below + 1
        if not closing and line.rfind("[") > line.rfind("]"):
            below = _LINK_BLOCKS + 1  # this line's "[" is the one the "](" below closes
        closes = bool(line.strip()) and (closes or closing)
    for raw, may_close, block in zip(lines, closed_later, blocks, strict=True):
        if block:
            out.append(_code_line(raw, block, fenced))
            continue
        if not _SYNTAX.search(raw):  # most prose lines: nothing to undo
            out.append(MarkdownLine(raw.strip() and raw, False, False))
            continue
        if _FENCE.match(raw):
            fenced = not fenced
            out.append(MarkdownLine("", False, False))
            continue
        if _SETEXT.match(raw) and out and out[-1].plain and not out[-1].heading:
            # markdownify's default headings: "Title" over "=====" (h1) or "-----" (h2).
            out[-1].heading = 1 if "=" in raw else 2
            out.append(MarkdownLine("", False, False))
            continue
        if _RULE.match(raw) or _TABLE_RULE.match(raw) or _SETEXT.match(raw):
            out.append(MarkdownLine("", False, False))
            continue
        out.append(_plain_line(_QUOTE.sub("", raw), may_close))
    return out


def _without_dangling_opens(line: str) -> str:
    """`line` without the "[" (and "![") that no "]" follows: those after its last "]"."""
    last = line.rfind("]")
    return line[:last + 1] + _OPEN_MARK.sub("", line[last + 1:])


def _plain_line(line: str, closed_later: bool) -> MarkdownLine:
    prefix, level = "", 0
    if m := _HEADING.match(line):
        line, level = m.group("text"), len(line.strip()) - len(line.strip().lstrip("#"))
    elif m := _LIST.match(line):
        prefix, line = m.group("indent") + "* ", m.group("text")
    # A link or image alt text that goes on over several lines (markdownify keeps the page's
    # own line breaks): its "[" opens one line, its "](target)" closes another.
    if closed_later:
        line = _without_dangling_opens(line)
    line = _DANGLING_CLOSE.sub(lambda m: m.group(1), line)
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|"):
        line = " ".join(cell.strip() for cell in stripped.strip("|").split("|"))
    if "[" not in line:
        text = inline_plain(line).strip()
        return MarkdownLine(prefix + text if text else "", False, False, False, level)
    no_images = _IMAGE.sub("", line)
    image = bool(stripped) and no_images != line and not inline_plain(no_images).strip()
    if image:
        # The author's avatar: Wix gives it the alt text "Writer: name" (§3.2 #5).
        alts = [m.group("alt") for m in _IMAGE.finditer(line)]
        if len(alts) == 1 and v.WRITER.match(alts[0].strip()):
            return MarkdownLine(prefix + alts[0].strip(), False, False, False, level)
        return MarkdownLine("", True, False, False, level)
    hrefs = [m.group("href") for m in _LINK.finditer(no_images)]
    link_only = bool(hrefs) and not inline_plain(_LINK.sub("", no_images)).strip(" \t|•·-")
    taxonomy = link_only and all(v.TAXONOMY_HREF.search(h) for h in hrefs)
    text = inline_plain(line).strip()
    return MarkdownLine(prefix + text if text else "", False, link_only, taxonomy, level)


def fenced_code(lines: list[str]) -> str:
    """A code block's lines in a fence longer than any backtick run inside (CommonMark)."""
    fence = "`" * max(3, 1 + max((len(run) for line in lines
                                  for run in re.findall("`+", line)), default=0))
    return "\n".join([fence, *lines, fence])


def body_markdown(lines: list[tuple[str, bool, bool]]) -> str:
    """The post's Markdown from its kept source lines, (line, is a list item, comes right after
    the line before it in the dump) in order: list items stay one per line, a line closing a
    link whose "[" the line right before it left open goes on that line's paragraph (a link's
    text wrapped, html2text), other blocks (a fenced code block is one) are separated by a
    blank line."""
    out: list[str] = []
    previous, previous_item = "", False
    for line, item, adjacent in lines:
        if out:
            same_link = adjacent and _opens_link(previous) and bool(
                _CLOSE_BEFORE_OPEN.match(line))
            out.append("\n" if item and previous_item or same_link else "\n\n")
        out.append(line if item else line.strip())
        previous, previous_item = line, item
    return "".join(out)


def _opens_link(line: str) -> bool:
    """Whether `line` leaves a "[" open: one after its last "]"."""
    return "[" in line[line.rfind("]") + 1:]


def is_list_item(line: str) -> bool:
    return bool(_LIST.match(line)) and not _RULE.match(line)
