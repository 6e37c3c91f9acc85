"""Making archived content safe to show or hand on: URLs, HTML and Markdown.

One place decides which URLs may become links or images, for the web pages (archive.web) and
every export (archive.export) alike. An archive can come from anywhere (another tool, another
version, a hand edit), so whatever reads it cleans again on the way out; the crawler's own
sanitizing (crawler.clean.html) is the first line, not the only one.

No Datasette, Scrapy or markdown library on the import path: the export commands stay light.
"""

from __future__ import annotations

import bisect
import html
import re

import nh3

# Schemes a link may have: none of them runs code (no javascript:, vbscript:, data:, file:...).
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Schemes an image (or anything fetched on the reader's behalf) may have.
IMAGE_SCHEMES = frozenset({"http", "https"})

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# C0 controls and space: browsers strip them around a URL and ignore tab/CR/LF inside it. Removing
# every control character anywhere errs on the safe side ("java\0script:" counts as javascript:).
_CONTROLS = re.compile(r"[\x00-\x20\x7f]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_WEB = re.compile(r"https?://", re.IGNORECASE)
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # Markdown backslash escapes of ASCII punctuation


def url_scheme(url: str) -> str | None:
    """The scheme a browser or Markdown renderer would see in `url` (lower case), None when the
    URL is relative. Character references (`&#106;`), Markdown escapes (`javascript\\:`),
    controls and whitespace anywhere, and any letter case are all seen through."""
    if url[:1] in ("/", "#", "?"):  # a path, fragment or query: no scheme can follow
        return None
    if _PLAIN_WEB.match(url):  # the common case, decided without decoding anything
        return url[:5].lower().rstrip(":")
    text = _MD_ESCAPE.sub(r"\1", html.unescape(url))
    match = _SCHEME.match(_CONTROLS.sub("", text))
    return match.group(1).lower() if match else None


def safe_url(url: str | None, schemes: frozenset[str] = LINK_SCHEMES) -> str | None:
    """`url` when it is relative or has one of `schemes`, else None."""
    if not url:
        return None
    scheme = url_scheme(url)
    return url if scheme is None or scheme in schemes else None


# nh3's default attributes, plus `dir` on the blocks the extractor marks right-to-left
# (`dir="auto"`, crawler.extract.body): without it an Arabic or Hebrew paragraph reads and
# aligns left to right on the archive's pages and in every export.
_ATTRIBUTES = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "th", "td",
             "figcaption", "pre"):
    _ATTRIBUTES.setdefault(_tag, set()).add("dir")


# Elements removed with what they hold, not only their tags: a browser never shows it (a frame's
# fallback, <template>), and an HTML parser reads it as text, so kept it showed a reader its
# markup ("Your browser <b>cannot</b> show frames") where the frame was. nh3 drops the frame's
# srcdoc either way.
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "noembed", "noframes",
                                   "template"})


def sanitize_html(fragment: str | None, *, link_rel: str = "noopener noreferrer") -> str:
    """HTML with scripts, styles, event handlers, frames, forms, <base>, <meta>, SVG/MathML and
    every URL outside LINK_SCHEMES removed (nh3, the Rust ammonia sanitizer)."""
    # A lone surrogate (a row written by another tool) cannot cross into Rust: show U+FFFD.
    text = _SURROGATE.sub("\ufffd", fragment or "")
    return nh3.clean(text, url_schemes=set(LINK_SCHEMES), link_rel=link_rel,
                     attributes=_ATTRIBUTES, clean_content_tags=set(_DROPPED_WITH_CONTENT))


# -- Markdown ------------------------------------------------------------------------------------
#
# No Python library sanitizes Markdown, and rendering it to HTML to clean that would lose the
# Markdown. So the dangerous constructs are neutralized in the text itself, for any renderer
# (CommonMark, GitHub, kramdown/Jekyll, Python-Markdown, goldmark/Hugo):
# - a link or image destination (`](dest`, `]: dest`, autolink `<dest>`) whose scheme is not in
#   LINK_SCHEMES gets "#" put before it, which makes it a same-page fragment, wherever it stands;
# - raw HTML: every "<" that could open a tag or comment outside code becomes "&lt;" (which every
#   renderer shows as "<"), and every "{" "&#123;": attribute lists (kramdown's "{:", Python-
#   Markdown's attr_list "{ onclick=... }", pandoc's and Hugo's "{...}") set any attribute; but
#   for the few tags the extractor writes itself, which carry no attribute a script could use:
#   <u>, <sup>, <sub> and their ends (Markdown has no syntax for them), and a line holding only
#   `<div dir="auto" markdown="1">` or `</div>` (a right-to-left block's direction);
# - fenced blocks keep their text (entities would show there), but one indented (1-3 spaces: it
#   may be in a container, such as a definition Hugo reads, whose end ends it) or never closed
#   (pandoc reads no fence then, and a definition list may take its opening line for a term)
#   or right after a definition's line (": b": pandoc may read the fence as the definition's
#   text) holding a "<" that could open a tag or a "{", which is escaped, and a "{" in an opening
#   line (a block's attributes). Should the split into fences disagree with a renderer's, a
#   "<" left in place could open a tag, so a text that keeps any (or keeps an autolink, which
#   is raw HTML inside an HTML block such as the <div> lines open) is checked with a CommonMark
#   parser (markdown-it-py); if the check fails (or the text is too long to check), every "<" is
#   escaped;
# - a code span holding a "<" that could open a tag is written as <code> with its punctuation as
#   character references, which shows the same code: left a code span, no check could vouch for
#   it, as renderers' extensions end a span where CommonMark does not (GFM tables split it at a
#   "|", linkify takes a backtick into a URL, a definition list or footnote starts at a line
#   inside it), and what it held would be raw HTML in Hugo with `unsafe = true`; so is one
#   holding a destination given a "#" (it shows the code as written, and is no link anywhere);
#   backticks pair within a paragraph only (_paragraphs), where every renderer's spans end;
# - a fenced block in a quote holding a "<" that could open a tag or a "{" is written as one line
#   of <pre><code> in the quote (as below): Python-Markdown reads no fence in a quote;
# - Hugo runs shortcodes ("{{<", "{{%") before reading the Markdown, code included: outside code
#   the "{" is "&#123;" already; a code span holding one is written as <code> (as above), a fenced
#   block (not indented: an indented one has its "{" escaped) as one line of <pre><code> with
#   character references, the only <pre> kept, and only as that whole line with no raw
#   punctuation (a post's text writing the line itself with a "{" in it is escaped).

MAX_CHECKED = 200_000  # characters of Markdown checked with a CommonMark parser, at most
MAX_DESTINATION = 2048  # characters read for a destination's scheme, obfuscation included
# Read generously (to a closing bracket, spaces and line breaks included): only the scheme matters
# and url_scheme ignores whitespace, so reading more is only more careful. But never past a "]":
# what follows one can be a destination of its own (`[[r]: ](javascript:x)`, a link inside what
# looks like a reference definition's), which a read through it would hide.
_DESTINATION = re.compile(rf"\]\s*[(:]\s*<?([^)>\]]{{0,{MAX_DESTINATION}}})")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DEFINITION = re.compile(r" {0,3}[:~]")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*|[^\s<>@\\]+@[^\s<>@\\]+)>")
_BACKTICKS = re.compile(r"`+")
_BRACKET = re.compile(r"[\[\]]")
# A line of three backticks or more whose rest holds a backtick: no fence in CommonMark, but one
# in pandoc (its language a word of any characters), which then pairs the fences after it
# otherwise.
_PANDOC_ONLY_FENCE = re.compile(r"^ {0,3}`{3,}[^\n]*`", re.MULTILINE)
_LINE_ENDS = re.compile(r"\r\n?|\n")
_LONE_CR = re.compile(r"\r(?!\n)")
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
# The raw HTML kept (see above): inline anywhere, the <div> lines only as whole lines.
# (<code> is written for a code span holding a tag, see _code_as_html.)
_KEPT_INLINE = re.compile(r"</?(?:u|sup|sub|code)>")
_KEPT_LINES = ('<div dir="auto" markdown="1">', "</div>")
# A fenced block holding a shortcode, as _fence_as_html writes it: one line, its punctuation
# all character references (a "{" left raw would be a shortcode or attribute list in it).
_PRE_LINE = r"<pre><code>(?:[^!-/:-@\[-`{-~\n]|&#[0-9]+;)*</code></pre>"
_KEPT_PRE = re.compile(_PRE_LINE)
_KEPT_LINE = re.compile(r'(?:<div dir="auto" markdown="1">|</div>|' + _PRE_LINE
                        + r')[ \t]*(?=\n|$)')
# Quote marks opening a line, and what a line (after them) starts a block with: where a code span
# ends in every renderer (_paragraphs).
_QUOTE_MARKS = re.compile(r"(?:[ \t]*>)*")
_BLOCK_START = re.compile(r"[ \t]*(?:#{1,6}(?:[ \t]|$)|[-*+:~](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$)"
                          r"|=+[ \t]*$|(?:[-*_][ \t]*){3,}$)")
# A fenced block's opening line in a quote (_quoted_fences), and one quote mark as CommonMark
# reads it; any number of them, as a line may have before a kept tag.
_QUOTED_FENCE = re.compile(r"((?: {0,3}>[ \t]?)+)( {0,3})(`{3,}|~{3,})")
_QUOTE_MARK = re.compile(r" {0,3}>[ \t]?")
_QUOTE_PREFIX = re.compile(r"(?: {0,3}>[ \t]?)*")
_ESCAPABLE_TAG_START = re.compile(r"(\\*)<(?=[A-Za-z/!?])")
# What opens a Hugo shortcode, which Hugo runs before reading the Markdown, code included.
_SHORTCODE = re.compile(r"\{\{[<%]")


def _kept_tag(text: str, at: int) -> re.Match[str] | None:
    """The kept tag starting at `at` in `text`, if one does."""
    line_start = text.rfind("\n", 0, at) + 1  # the line's quote marks may come first
    if _QUOTE_PREFIX.fullmatch(text, line_start, at) and (line := _KEPT_LINE.match(text, at)):
        return line
    return _KEPT_INLINE.match(text, at)


def _neutralize_destinations(text: str) -> tuple[str, list[int]]:
    """`text` with "#" put before each unsafe destination, and where each "#" now stands."""
    out, last, marks = [], 0, []
    for match in _DESTINATION.finditer(text):
        if match.group(1) and safe_url(match.group(1)) is None:
            out.append(text[last:match.start(1)] + "#")
            marks.append(match.start(1) + len(marks))
            last = match.start(1)
    out.append(text[last:])
    return "".join(out), marks


def _paragraphs(text: str) -> list[str]:
    """`text` (no fenced blocks) cut where a code span cannot go on in any renderer: at a blank
    line (a quote's too), a change of quote depth, and a line that starts a block (a heading,
    list item, definition, rule or setext underline). Cutting where a renderer would not is
    safe (a "<" or "{" there is escaped); pairing backticks across a cut is not: the text
    between would be kept as code where a renderer reads "{onclick=...}" or a tag."""
    pieces: list[str] = []
    piece: list[str] = []
    depth, blank = 0, True
    for line in text.splitlines(keepends=True):
        quote = _QUOTE_MARKS.match(line)
        line_depth = quote.group().count(">")
        content = line[quote.end():]
        line_blank = not content.strip()
        if piece and (blank or line_blank or line_depth != depth
                      or _BLOCK_START.match(content)):
            pieces.append("".join(piece))
            piece = []
        piece.append(line)
        depth, blank = line_depth, line_blank
    if piece:
        pieces.append("".join(piece))
    return pieces


def _escape_prose(text: str, marks: list[int]) -> tuple[str, bool]:
    """`text` (no fenced blocks) with tag openers escaped outside code spans; True when a "<" that
    could open a tag was left inside what looks like a code span. `marks`: where
    _neutralize_destinations put a "#" in `text`."""
    out: list[str] = []
    kept = False
    start = 0
    for chunk, quoted_fence in _quoted_fences(text):
        for paragraph in [chunk] if quoted_fence else _paragraphs(chunk):
            end = start + len(paragraph)
            if quoted_fence:
                out.append(_quoted_fence_kept(paragraph))
            else:
                inside = [mark - start for mark in marks[bisect.bisect_left(marks, start):
                                                         bisect.bisect_left(marks, end)]]
                escaped, kept_here = _escape_paragraph(paragraph, inside)
                out.append(escaped)
                kept = kept or kept_here
            start = end
    return "".join(out), kept


def _quoted_fences(text: str) -> list[tuple[str, bool]]:
    """`text` (no fenced blocks of its own) cut into (chunk, is a closed fenced block in a
    quote): "> ```" to "> ```", every line in between in the same quote. One never closed (its
    quote ends first) stays prose, its lines included: one pass, linear in the text."""
    chunks: list[tuple[str, bool]] = []
    lines = text.splitlines(keepends=True)
    prose_from = at = 0
    while at < len(lines):
        opener = _QUOTED_FENCE.match(lines[at])
        if not opener or opener.group(3)[0] == "`" and "`" in lines[at][opener.end():]:
            at += 1
            continue
        depth, fence = opener.group(1).count(">"), opener.group(3)
        end = at + 1
        closed = False
        while end < len(lines) and not closed:
            content = _in_quote(lines[end], depth)
            if content is None:
                break
            closer = _FENCE.match(content)
            closed = bool(closer and closer.group(1)[0] == fence[0]
                          and len(closer.group(1)) >= len(fence)
                          and not content[closer.end():].strip())
            end += 1
        if closed:
            chunks.append(("".join(lines[prose_from:at]), False))
            chunks.append(("".join(lines[at:end]), True))
            prose_from = end
        at = end
    chunks.append(("".join(lines[prose_from:]), False))
    return [chunk for chunk in chunks if chunk[0]]


def _in_quote(line: str, depth: int) -> str | None:
    """`line` after `depth` quote marks, None when it has fewer (its quote has ended)."""
    at = 0
    for _ in range(depth):
        mark = _QUOTE_MARK.match(line, at)
        if not mark:
            return None
        at = mark.end()
    return line[at:]


def _quoted_fence_kept(chunk: str) -> str:
    """A closed fenced block in a quote, kept when it holds no "<" that could open a tag and no
    "{"; else written as one line of <pre><code> in the quote, its punctuation as character
    references, which shows the same code. Left as prose, its "{" would show "&#123;" and its
    tags "&lt;"; kept raw, a renderer that reads no fence in a quote (Python-Markdown) would
    read them as attribute lists and tags."""
    if not (_TAG_START.search(chunk) or "{" in chunk):
        return chunk
    lines = chunk.splitlines()
    opener = _QUOTED_FENCE.match(lines[0])
    assert opener  # _quoted_fences cut the chunk at one
    depth, indent = opener.group(1).count(">"), len(opener.group(2))
    code = []
    for line in lines[1:-1]:
        content = _in_quote(line, depth) or ""
        code.append(content[min(indent, len(content) - len(content.lstrip(" "))):])
    escaped = _PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", "\n".join(code))
    escaped = escaped.replace("\n", "&#10;")
    newline = chunk[len(chunk.rstrip("\r\n")):] or "\n"
    return f"{opener.group(1)}<pre><code>{escaped}</code></pre>{newline}"


def _escape_paragraph(text: str, marks: list[int]) -> tuple[str, bool]:
    """_escape_prose for one paragraph (see _paragraphs), whose code spans are left as they are,
    or written as <code> when they hold a tag, a shortcode or a destination given a "#".

    Linear in the text, whatever it holds: backtick runs are found once and a span's closing run
    (the next run of exactly its length, as CommonMark has it) is looked up by length."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    starts_by_length: dict[int, list[int]] = {}
    for start, end in runs:
        starts_by_length.setdefault(end - start, []).append(start)
    out: list[str] = []
    kept = False
    pos = run = 0
    lt = text.find("<")
    while pos < len(text):
        while run < len(runs) and runs[run][0] < pos:
            run += 1
        if 0 <= lt < pos:
            lt = text.find("<", pos)
        tick = runs[run] if run < len(runs) else None
        if tick and (lt < 0 or tick[0] < lt):
            start, end = tick
            if _escaped(text, pos, start):
                # "\`" is a literal backtick outside code; the rest of its run may open a span.
                # (Inside a span escapes do not apply, so a closing run is found as it is.)
                start += 1
            out.append(_escape_plain(text[pos:start]))
            same = starts_by_length.get(end - start, [])
            later = bisect.bisect_right(same, start)
            if later == len(same):  # an unmatched run is literal backticks
                line_start = text.rfind("\n", 0, start) + 1
                if end - start >= 3 and start - line_start <= 3 and \
                        not text[line_start:start].strip(" "):
                    # Its line was no fence for the backticks after it; should those become
                    # <code>, it would be one, never closed: as "\`"s they show the same.
                    out.append("\\`" * (end - start))
                else:
                    out.append(text[start:end])
                pos = end
            else:
                close = same[later] + end - start
                marked = [mark for mark in marks if end <= mark < close]
                if marked:
                    # A code span shows its text: "`[x](javascript:y)`" is code, not a link to
                    # neutralize. As <code> and character references no renderer reads a link
                    # in it, whichever way it splits the text into spans.
                    code = "".join(text[a + 1:b] for a, b in
                                   zip([end - 1, *marked], [*marked, close - (end - start)],
                                       strict=True))
                    out.append(_code_as_html(code))
                elif _TAG_START.search(text, start, close) or \
                        _SHORTCODE.search(text, start, close):
                    out.append(_code_as_html(text[end:close - (end - start)]))
                else:
                    out.append(text[start:close])
                pos = close
        elif lt >= 0:
            if _escaped(text, pos, lt) and _TAG_START.match(text, lt):
                # "\<b>" shows "<b>": as "\&lt;b>" it would show "&lt;b>" (an escaped "&").
                out.append(_escape_plain(text[pos:lt - 1]) + "&lt;")
                pos = lt + 1
                continue
            out.append(_escape_plain(text[pos:lt]))
            autolink = _AUTOLINK.match(text, lt)
            if autolink and safe_url(autolink.group(1)) is not None:
                out.append(autolink.group())
                kept = True  # an autolink in an HTML block is a tag: the check sees it
                pos = autolink.end()
            elif kept_tag := _kept_tag(text, lt):
                out.append(kept_tag.group())
                pos = kept_tag.end()
            else:
                out.append("&lt;" if _TAG_START.match(text, lt) else "<")
                pos = lt + 1
        else:
            out.append(_escape_plain(text[pos:]))
            break
    return "".join(out), kept


def _escaped(text: str, prose_start: int, at: int) -> bool:
    """Whether the character at `at` follows an odd number of backslashes of the prose that
    starts at `prose_start`: a Markdown escape, which an even number (escaped backslashes) is
    not."""
    before = at
    while before > prose_start and text[before - 1] == "\\":
        before -= 1
    return (at - before) % 2 == 1


def _code_as_html(code: str) -> str:
    """A code span's text as <code>, shown the same (line ends as spaces, one space stripped
    from each end of a padded span, as CommonMark does): its ASCII punctuation written as
    numeric character references, which no renderer reads as a tag, a table cell's end, a URL
    or any other Markdown, and which every renderer shows as the character."""
    code = _LINE_ENDS.sub(" ", code)
    if len(code) > 2 and code[0] == code[-1] == " " and code.strip(" "):
        code = code[1:-1]
    return "<code>" + _PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", code) + "</code>"


def _fence_as_html(chunk: str) -> str:
    """A fenced block (not indented) as one line of <pre><code>, its punctuation and line ends
    as character references: it shows the same code, but Hugo finds no shortcode in it."""
    lines = chunk.splitlines()
    code = "\n".join(lines[1:-1] if _fence_closed(lines) else lines[1:])
    escaped = _PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", code).replace("\n", "&#10;")
    return f"\n<pre><code>{escaped}</code></pre>\n\n"


def _fence_closed(lines: list[str]) -> bool:
    """Whether a fenced block's lines end with a fence closing its opening one."""
    opener = _FENCE.match(lines[0])
    closer = _FENCE.match(lines[-1]) if len(lines) > 1 else None
    return bool(opener and closer and closer.group(1)[0] == opener.group(1)[0]
                and len(closer.group(1)) >= len(opener.group(1))
                and not lines[-1][closer.end():].strip())


def _words_after_fence(opening: str) -> bool:
    """Whether a fence's opening line has more than one word after the fence: pandoc reads no
    fenced block then (it takes one, a language, or "{...}", whose "{" is escaped)."""
    fence = _FENCE.match(opening)
    return bool(fence and len(opening[fence.end():].split()) > 1)


def _brackets_open(prose: str, depth: int) -> int:
    """How many "[" are left open after `prose`, `depth` being open before it (a "\\[" or
    "\\]" is no bracket). pandoc reads a link's brackets through blank lines, code spans
    aside: a "]" inside a later fenced block closed one, and the block was text to it."""
    for match in _BRACKET.finditer(prose):
        if not _escaped(prose, 0, match.start()):
            depth = depth + 1 if match.group() == "[" else max(depth - 1, 0)
    return depth


def _after_text(prose: str) -> bool:
    """Whether `prose` (what comes before a fenced block) ends with a line of text: pandoc reads
    a "~~~" line right after one as the paragraph's next line, and a "```" line as the end of a
    code span the paragraph opened, where CommonMark ends the paragraph with a fence."""
    last = prose.splitlines()[-1:]
    return bool(last and last[0].strip())


def _ends_in_definition(prose: str) -> bool:
    """Whether the last paragraph of `prose` has a line opening a definition (": ", "~ ", as
    pandoc, Hugo and Python-Markdown's definition lists read)."""
    for line in reversed(prose.splitlines()):
        if not line.strip():
            return False
        if _DEFINITION.match(line):
            return True
    return False


def _term_after_definitions(lines: list[str], prose: str) -> bool:
    """Whether pandoc may read a fence's opening line as a term of the definition list `prose`
    ends with (its definitions' indented lines and blank lines aside): pandoc continues the
    list past blank lines with any line whose next one (or the one after a blank line) opens
    a definition, a fence's too."""
    following = [line for line in lines[1:3] if line.strip()][:1]
    if not (following and _DEFINITION.match(following[0])):
        return False
    for line in reversed(prose.splitlines()):
        if _DEFINITION.match(line):
            return True
        if line.strip() and line[0] not in " \t":
            return False
    return False


def _escape_plain(text: str) -> str:
    return text.replace("{", "&#123;")


def _escape_tags(text: str) -> str:
    r"""Every "<" that could open a tag as "&lt;", the backslash escaping one dropped ("\<b>"
    shows "<b>", "\&lt;b>" would show "&lt;b>")."""
    return _ESCAPABLE_TAG_START.sub(
        lambda m: m.group(1)[:len(m.group(1)) // 2 * 2] + "&lt;", text)


def _fence_kept(chunk: str) -> str:
    """A fenced block kept as code, but for a "{" in its opening line: "```{onclick=...}" sets
    the block's attributes in Python-Markdown (attr_list) and pandoc."""
    opener, newline, code = chunk.partition("\n")
    return _escape_plain(opener) + newline + code


def _split_fences(text: str) -> list[tuple[str, bool]]:
    """The text cut into (chunk, is_fenced_code) by ``` and ~~~ fences."""
    chunks: list[tuple[str, bool]] = []
    prose: list[str] = []
    fence: list[str] = []
    opener = ""
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if opener:
            fence.append(line)
            if match and match.group(1)[0] == opener[0] and len(match.group(1)) >= len(opener) \
                    and not line[match.end():].strip():
                chunks.append(("".join(fence), True))
                fence, opener = [], ""
        elif match and not (match.group(1)[0] == "`" and "`" in line[match.end():]):
            chunks.append(("".join(prose), False))
            prose, opener, fence = [], match.group(1), [line]
        else:
            prose.append(line)
    chunks.append(("".join(prose), False))
    if fence:
        chunks.append(("".join(fence), True))
    return [chunk for chunk in chunks if chunk[0]]


def _commonmark_is_safe(text: str) -> bool:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark")
    parser.validateLink = lambda url: True  # see every link: we judge the schemes ourselves
    stack = parser.parse(text)
    while stack:
        token = stack.pop()
        if token.type == "html_inline" and not _KEPT_INLINE.fullmatch(token.content) or \
                token.type == "html_block" and token.content.strip() not in _KEPT_LINES \
                and not _KEPT_PRE.fullmatch(token.content.strip()):
            return False
        for attribute in ("href", "src"):
            value = token.attrGet(attribute)
            if isinstance(value, str) and safe_url(value) is None:
                return False
        stack.extend(token.children or [])
    return True


# "{" as an attribute list opens ("[x]{onclick=...}", "# Title {#id}", "`c`{=html}",
# kramdown's "{: ...}"), not the "{{" of a Hugo shortcode or Liquid, which print as text there.
_ATTRIBUTES_OPEN = re.compile(r"(?<!\{)\{(?=\s*[.#:=A-Za-z_])")


def sanitize_markdown_value(text: str) -> str:
    """A short text some tools read as inline Markdown (a front matter title, author, tag):
    no tag, no link with a dangerous destination, no attribute list; everything else left as
    written, since other tools print the value as plain text ("{{<", "*", "[Video]" and
    "3 < 5" stay)."""
    text, _ = _neutralize_destinations(text)
    return _ATTRIBUTES_OPEN.sub("&#123;", _escape_tags(text))


def sanitize_markdown(text: str | None) -> str:
    """Markdown whose links and images have safe schemes and that holds no raw HTML but the
    extractor's own attribute-less tags (see above)."""
    if not text:
        return ""
    # A lone CR ends a line in CommonMark but not in pandoc, which read a fence CommonMark saw
    # on the next line as its line's text: written as LF, every renderer sees the same lines.
    text, marks = _neutralize_destinations(_LONE_CR.sub("\n", text))
    out: list[str] = []
    kept = False
    before = ""  # the prose before a fenced block
    start = 0  # where the chunk starts in `text`
    brackets = 0  # "[" left open by the prose so far
    paired_otherwise = False  # whether pandoc pairs the fences from here on otherwise
    for chunk, fenced in _split_fences(text):
        end = start + len(chunk)
        chunk_marks = [mark - start for mark in marks[bisect.bisect_left(marks, start):
                                                       bisect.bisect_left(marks, end)]]
        start = end
        lines = chunk.splitlines() if fenced else []
        if fenced and (chunk[0] == " " or not _fence_closed(lines) or brackets or paired_otherwise
                       or _ends_in_definition(before) or _words_after_fence(lines[0])
                       or _term_after_definitions(lines, before)) \
                and (_TAG_START.search(chunk) or "{" in chunk):
            # Indented, the fence may be in a container CommonMark does not know (a definition
            # list's, in Hugo), which a less indented line ends, and the fence with it. Never
            # closed, it is no fence at all to pandoc or a definition list (its opening line a
            # term), but text whose tags are raw HTML. Right after a definition (": b"), pandoc
            # and markdown-it's definition list may read its opening line as the definition's.
            # Nor, to pandoc, with words after its language, after a "[" left open, which a
            # "]" in it may close, or as a term after a definition list when a definition
            # follows it; nor after a line only pandoc reads as a fence, which pairs the
            # fences after it otherwise.
            out.append(_escape_plain(_TAG_START.sub("&lt;", chunk)))
        elif fenced and _SHORTCODE.search(chunk):
            out.append(_fence_as_html(chunk))
        elif fenced:
            kept = kept or bool(_TAG_START.search(chunk))
            if _after_text(before) and (_TAG_START.search(chunk) or "{" in chunk):
                # A blank line first, which ends the paragraph for every renderer alike: pandoc
                # read the block as text of it, its tags raw HTML and its "{" attributes.
                out.append("\n")
            out.append(_fence_kept(chunk))
        else:
            escaped, kept_here = _escape_prose(chunk, chunk_marks)
            kept = kept or kept_here
            out.append(escaped)
        before = "" if fenced else chunk
        brackets = brackets if fenced else _brackets_open(chunk, brackets)
        paired_otherwise = paired_otherwise or not fenced and bool(
            _PANDOC_ONLY_FENCE.search(chunk))
    result = "".join(out)
    # The check costs ~10 ms per 10 KB: past MAX_CHECKED a "<" kept in code is escaped instead.
    if kept and (len(result) > MAX_CHECKED or not _commonmark_is_safe(result)):
        result = _escape_plain(_escape_tags(text))
    return result
