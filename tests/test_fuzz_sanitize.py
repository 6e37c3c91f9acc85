"""Property tests: `sanitize_markdown` and `sanitize_html` on text built from the constructs that
open HTML, links, code and attribute lists in some Markdown renderer.

The Markdown is rendered by markdown-it-py with CommonMark, with its GFM-like preset (tables,
linkify, strikethrough) and with the plugins Hugo's and MkDocs' readers have counterparts of
(definition lists, footnotes, task lists, attribute lists): what comes out must hold no raw HTML
but the extractor's own tags, no attribute a script could use, and no link or image outside
LINK_SCHEMES. The profiles ("ci": small and derandomized; "fuzz") are in tests/conftest.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from archive.sanitize import LINK_SCHEMES, safe_url, sanitize_html, sanitize_markdown

# Pieces of Markdown that open or close something in some renderer, with plain words between.
FRAGMENTS = (
    "`", "``", "```", "~~~", "   ```", "  ~~~~", "````", "\n```\n", "\n~~~\n", "```{", "~~~ x",
    "<", ">", "</", "<script>", "<img src=x onerror=pwn()>", "<!--", "-->", "<?", "<!x",
    "<![CDATA[", "<a href='javascript:pwn()'>", "<b>", "<u>", "</u>", "<sup>", "</sub>",
    "<code>", "</code>", '<div dir="auto" markdown="1">', "</div>", "<pre><code>",
    "</code></pre>", "<pre><code>&#123;</code></pre>", "<http://a.example/x>",
    "<javascript:pwn()>", "<a@b.example>", "<JaVa&#115;cript:x>", "](javascript:pwn())", "](",
    ")", "(", "[", "]", "![", "]: javascript:pwn()", "]: <javascript:x>", "]:", "[r]", "[r]: ",
    "javascript:pwn()", "java\tscript:", "&#106;avascript:", "data:text/html,x", "https://",
    "www.a.example", "{", "}", "{{<", "{{%", ">}}", "{onclick=pwn()}", "{: onclick=pwn()}",
    "{.c}", "|", "| --- |", "|-|-|", ":", ": ", "\n: ", "> ", ">", "- ", "* ", "1. ", "+ ",
    "- [ ] ", "[^1]", "[^1]: ", "#", "## ", "\n", "\r", "\r\n", "\n\n", " ", "    ", "\t", "&",
    "&lt;", "&#60;", "\\", "\\<", "\\`", "*", "_", "~~", "=", '"', "'", "\x00", "é", "字", "word",
    "a", "x y",
)  # fmt: skip


markdown_text = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


def _renderers() -> dict[str, MarkdownIt]:
    parsers = {
        "commonmark": MarkdownIt("commonmark"),
        "gfm": MarkdownIt("gfm-like"),
        "plugins": MarkdownIt("gfm-like").use(deflist_plugin).use(footnote_plugin)
        .use(tasklists_plugin).use(attrs_plugin).use(attrs_block_plugin),
    }
    for parser in parsers.values():
        parser.validateLink = lambda url: True  # see every link: the test judges the schemes
        parser.options["html"] = True  # raw HTML passed through, as Hugo with unsafe = true
    return parsers


RENDERERS = _renderers()
# The raw HTML kept: <u>, <sup>, <sub>, <code>, the <div> lines, the one-line <pre><code>.
KEPT = re.compile(r'</?(?:u|sup|sub|code)>|^<div dir="auto" markdown="1">[ \t]*$|^</div>[ \t]*$|'
                  r"^<pre><code>(?:[^!-/:-@\[-`{-~\n]|&#[0-9]+;)*</code></pre>[ \t]*$",
                  re.MULTILINE)
TAG_START = re.compile(r"<[A-Za-z/!?]")
# The task list plugin writes its check box as an html_inline token of its own.
CHECKBOX = re.compile(r'<input class="task-list-item-checkbox"(?: checked="checked")? '
                      r'disabled="disabled" type="checkbox">')
# Attributes markdown-it itself writes (a fence's language class, an ordered list's start, a
# table cell's alignment, footnote ids, task list boxes): any other came from the text.
WRITTEN_ATTRIBUTES = frozenset({"href", "src", "alt", "title", "class", "start", "style", "id",
                                "type", "checked", "disabled", "dir", "markdown"})


class _Attributes(HTMLParser):
    """Every (tag, attribute, value) of rendered HTML, entities decoded as a browser does."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [(tag, name, value or "") for name, value in attrs]


def unsafe_rendering(markdown: str) -> list[str]:
    """What is unsafe in `markdown` as each renderer renders it: raw HTML but the kept tags, an
    attribute markdown-it does not write, a link or image outside LINK_SCHEMES."""
    problems = []
    for name, parser in RENDERERS.items():
        stack = parser.parse(markdown)
        while stack:
            token = stack.pop()
            if token.type in ("html_inline", "html_block") and \
                    not CHECKBOX.fullmatch(token.content) and \
                    TAG_START.search(KEPT.sub("", token.content)):
                problems.append(f"{name}: raw HTML {token.content!r}")
            stack.extend(token.children or [])
        attributes = _Attributes()
        attributes.feed(parser.render(markdown))
        for tag, attribute, value in attributes.found:
            if attribute not in WRITTEN_ATTRIBUTES or \
                    attribute in ("href", "src") and value and safe_url(value) is None:
                problems.append(f"{name}: <{tag} {attribute}={value!r}>")
    return problems


@given(markdown_text)
@example("<a@b.example>")
@example("[a](javascript:pwn()) <javascript:pwn()> ![b](data:text/html,x)")
@example("Term\n: a\n  ```\n     ```\n  <img src=x onerror=pwn()>\n")
def test_sanitized_markdown_renders_no_html_and_no_unsafe_link(markdown: str) -> None:
    cleaned = sanitize_markdown(markdown)
    assert not unsafe_rendering(cleaned), (markdown, cleaned, unsafe_rendering(cleaned))


@given(markdown_text)
def test_sanitizing_sanitized_markdown_stays_safe_and_changes_nothing(markdown: str) -> None:
    cleaned = sanitize_markdown(markdown)
    again = sanitize_markdown(cleaned)
    assert not unsafe_rendering(again), (cleaned, again)
    assert again == cleaned, (markdown, cleaned)


# Prose with no character any Markdown construct needs: letters, digits, spaces, ". , ; ? !".
prose = st.text(st.characters(categories=("L", "N"), exclude_characters="\r\n")
                | st.sampled_from(" .,;?!\n"), max_size=300)


@given(prose)
def test_plain_prose_comes_out_unchanged(text: str) -> None:
    assert sanitize_markdown(text) == text


# -- HTML ----------------------------------------------------------------------------------------

HTML_FRAGMENTS = (
    "<a href='", "<img src=", "<p ", "<div ", "<svg><a xlink:href=", "<math><a href=", "<iframe",
    "<form action=", "<button formaction=", "<base href=", "<meta http-equiv=refresh content=",
    "<object data=", "<embed src=", "<area href=", "<link href=", "<video poster=", "<source src=",
    "<input ", " onclick=", " onerror=", " ONLOAD=", " on\x00click=", " style=", " dir=",
    " srcset=", "javascript:pwn()", "JaVaScRiPt:pwn()", "java&#x09;script:", "&#106;avascript:",
    "\x01javascript:", "vbscript:", "data:text/html,", "https://a.example/", "/rel", "#x", "'",
    '"', ">", "<", "</a>", "</p>", "<!--", "-->", "<![CDATA[", "]]>", "<script>", "</script>",
    "<style>", "<noscript>", "<template>", "<textarea>", "<title>", "<plaintext>", " ", "x",
    "\n", "&", "&amp;", "\ud800", "é",
)  # fmt: skip

html_text = st.lists(st.sampled_from(HTML_FRAGMENTS), max_size=40).map("".join)


def browser_scheme(url: str) -> str | None:
    """The scheme a browser reads in an attribute's (decoded) URL, as the URL Standard parses it:
    C0 controls and spaces stripped from both ends, tabs and line breaks removed anywhere.
    (safe_url errs further on the safe side: it removes every control character anywhere.)"""
    url = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return scheme.group(1).lower() if scheme else None


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    handle_startendtag = handle_starttag


@given(html_text)
@example("<a href='java&#x09;script:pwn()'>x</a><img src=x onerror=pwn()>")
def test_sanitized_html_has_no_handler_script_or_unsafe_url(fragment: str) -> None:
    cleaned = sanitize_html(fragment)
    elements = _Elements()
    elements.feed(cleaned)
    elements.close()
    assert not {"script", "style", "iframe", "object", "embed", "form", "base", "meta", "svg",
                "math", "link"} & set(elements.tags), cleaned
    for tag, name, value in elements.attributes:
        assert not name.startswith("on"), (tag, name, cleaned)
        assert name != "style", (tag, name, cleaned)
        if name in ("href", "src", "action", "formaction", "poster", "data", "xlink:href"):
            assert browser_scheme(value) in (*LINK_SCHEMES, None), (tag, name, value, cleaned)
    assert sanitize_html(cleaned) == cleaned  # sanitizing again changes nothing


# -- what the properties found -------------------------------------------------------------------


def test_a_destination_inside_another_ones_is_read_too() -> None:
    """A destination was read up to the next ")" or ">", "](" included, so a link whose "](" stood
    inside what looked like another destination kept its javascript: (found by the first
    property, from `[[r]: ](javascript:pwn())` and `<![CDATA[](](javascript:pwn())`)."""
    for markdown in ("[[r]: ](javascript:pwn())", "<![CDATA[](](javascript:pwn())",
                     "[a](x(](javascript:pwn()))", "![a]( <](javascript:pwn())"):
        cleaned = sanitize_markdown(markdown)
        assert not unsafe_rendering(cleaned), (markdown, cleaned)
        assert sanitize_markdown(cleaned) == cleaned


def test_a_fence_never_closed_keeps_no_tag() -> None:
    """A fenced block never closed was kept with its tags, as CommonMark reads it to the end of
    the text as code; pandoc reads no code block then, and markdown-it's definition list takes
    the opening line for a term: `<script>` was raw HTML in both (found by the first property,
    from "`\\n: `\\n```\\n: <script>")."""
    for markdown in ("`\n: `\n```\n: <script>", "x\n\n```\n<script>pwn()</script>\n",
                     "x\n\n~~~\n: <b onclick=pwn()>x</b>\n"):
        cleaned = sanitize_markdown(markdown)
        assert not unsafe_rendering(cleaned), (markdown, cleaned)
        assert not TAG_START.search(KEPT.sub("", cleaned)), cleaned
        assert sanitize_markdown(cleaned) == cleaned
        if shutil.which("pandoc"):  # pandoc's own reading, where it is installed
            html = subprocess.run(["pandoc", "-f", "markdown", "-t", "html"], input=cleaned,
                                  capture_output=True, text=True, check=True, timeout=60).stdout
            assert "<script" not in html and "<b " not in html, html
    closed = "x\n\n```html\n<p>hi</p>\n```\n"  # a closed one is left as it is
    assert sanitize_markdown(closed) == closed


def test_a_fence_right_after_a_definition_keeps_no_tag() -> None:
    """A closed fence right after a definition's line was kept with its tags; pandoc reads the
    opening line after an empty definition (": ") as the definition's text, and markdown-it's
    definition list after ": b": the next ": <script>" line was a definition of raw HTML
    (found by atheris, from a `<div dir="auto" markdown="1">` the same way)."""
    for markdown in ("a\n: \n```\n\n: <script>pwn()</script>\n```\n",
                     "a\n: b\n```\n\n: <script>pwn()</script>\n```\n",
                     "a\n~ b\nmore\n```\n\n: <script>pwn()</script>\n```\n"):
        cleaned = sanitize_markdown(markdown)
        assert not unsafe_rendering(cleaned), (markdown, cleaned)
        assert not TAG_START.search(KEPT.sub("", cleaned)), cleaned
        assert sanitize_markdown(cleaned) == cleaned
        if shutil.which("pandoc"):
            html = subprocess.run(["pandoc", "-f", "markdown", "-t", "html"], input=cleaned,
                                  capture_output=True, text=True, check=True, timeout=60).stdout
            assert "<script" not in html, html
    apart = "a\n: b\n\n```html\n<p>hi</p>\n```\n"  # a paragraph apart: left as it is
    assert sanitize_markdown(apart) == apart


def rendered(markdown: str) -> dict[str, str]:
    """`markdown` as HTML by markdown-it (CommonMark) and, where it is installed, pandoc."""
    html = {"commonmark": RENDERERS["commonmark"].render(markdown)}
    if pandoc := shutil.which("pandoc"):
        html["pandoc"] = subprocess.run([pandoc, "-f", "markdown", "-t", "html"], input=markdown,
                                        capture_output=True, text=True, check=True,
                                        timeout=60).stdout
    return html


class _Text(HTMLParser):
    """The text a browser shows of HTML, and the tags it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def shown(html: str) -> tuple[str, list[str]]:
    """The words `html` shows (whitespace collapsed) and its tags."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.text).split()), parser.tags


def test_an_escaped_lt_shows_as_lt() -> None:
    """"\\<b>" in the Markdown shows "<b>"; its "<" was escaped to "&lt;" behind the backslash,
    "\\&lt;b>", an escaped "&" that every renderer showed as "&lt;b>". Also when the text is too
    long to check and every "<" is escaped."""
    for markdown in ("Use \\<b> for bold, \\\\<i> for a backslash.\n",
                     "Use \\<b> for bold, \\\\<i> for a backslash. <http://a.example/>"
                     + " word" * 40_000):
        cleaned = sanitize_markdown(markdown)
        assert sanitize_markdown(cleaned) == cleaned
        for name, html in rendered(cleaned).items():
            text, tags = shown(html)
            assert text.startswith("Use <b> for bold, \\<i> for a backslash."), (name, html[:200])
            assert tags in (["p"], ["p", "a"]), (name, tags)


def test_backticks_pair_within_a_paragraph_only() -> None:
    """A stray backtick in one paragraph and another later opened a code span across the
    paragraphs between: a tag between came out as <code> (shown as code, joined into one
    paragraph), and what held none was kept unescaped, "{onclick=...}" an attribute in pandoc."""
    stray = "A stray ` here.\n\nSome <b>bold</b> words.\n\nAnother ` there.\n"
    for name, html in rendered(sanitize_markdown(stray)).items():
        assert shown(html) == ("A stray ` here. Some <b>bold</b> words. Another ` there.",
                               ["p", "p", "p"]), (name, html)
    for markdown in ('A ` here.\n\n[x](http://a.example){onclick="pwn()"}\n\nthere ` b\n',
                     '> A ` here.\n>\n> [x](http://a.example){onclick="pwn()"}\n>\n> b `\n',
                     'A ` here.\n# [x](http://a.example){onclick="pwn()"}\nthere ` b\n',
                     'A ` here.\n- [x](http://a.example){onclick="pwn()"}\n- there ` b\n'):
        cleaned = sanitize_markdown(markdown)
        assert not unsafe_rendering(cleaned), (markdown, cleaned, unsafe_rendering(cleaned))
        assert sanitize_markdown(cleaned) == cleaned
        for name, html in rendered(cleaned).items():
            attributes = _Attributes()
            attributes.feed(html)
            assert all(attribute != "onclick" for _, attribute, _ in attributes.found), \
                (name, html)


def test_a_code_span_shows_its_javascript_link_as_code() -> None:
    """A code span holding "[x](javascript:...)" showed "[x](#javascript:...)": the "#" that
    makes a link's destination harmless went into code, which no renderer makes a link. It is
    written as <code> with character references, which shows the code and is no link to any
    renderer, whichever way it reads the backticks (a GFM table cell ends at its "|")."""
    markdown = "Type `[x](javascript:alert(1))` or `![y]( JavaScript:pwn())` to test.\n"
    cleaned = sanitize_markdown(markdown)
    assert sanitize_markdown(cleaned) == cleaned
    for name, html in rendered(cleaned).items():
        assert shown(html) == ("Type [x](javascript:alert(1)) or ![y]( JavaScript:pwn()) to test.",
                               ["p", "code", "code"]), (name, html)
    table = "| a | b |\n|---|---|\n| `[x](javascript:pwn()) | y` | c |\n"
    cleaned = sanitize_markdown(table)
    assert not unsafe_rendering(cleaned), (cleaned, unsafe_rendering(cleaned))
    assert sanitize_markdown("A [link](javascript:pwn()).") == "A [link](#javascript:pwn())."


def test_a_fenced_block_in_a_quote_shows_its_code() -> None:
    """A fenced block in a quote was read as prose: its "{" showed "&#123;" and a tag "&lt;", or
    the backticks of its fences a code span of one line. One holding neither is kept; one holding
    them is one line of <pre><code> in the quote (a fence in a quote is no fence to
    Python-Markdown: its "{...}" and tags would be attribute lists and HTML there)."""
    for markdown, code in (("> ~~~\n> if (x) { y(); } <b>\n> ~~~\n\nAfter.\n",
                            "if (x) { y(); } <b>"),
                           ("> Said:\n>\n> ```js\n> a = {b: 1};\n>   c\n> ```\n>\n> Then.\n",
                            "a = {b: 1};\n  c")):
        cleaned = sanitize_markdown(markdown)
        assert not unsafe_rendering(cleaned), (cleaned, unsafe_rendering(cleaned))
        assert sanitize_markdown(cleaned) == cleaned
        for name, html in rendered(cleaned).items():
            pre = re.search(r"<pre><code>(.*?)</code></pre>", html, re.S)
            assert pre and shown(pre.group(1))[0] == " ".join(code.split()), (name, html)
            assert "&amp;#" not in html and "&amp;lt;" not in html, (name, html)
    kept = "> ```\n> plain code\n> ```\n"
    assert sanitize_markdown(kept) == kept


def test_a_line_of_backticks_stays_no_fence_when_its_code_span_is_written_as_code() -> None:
    """"````   ```</```": the line is no fence (backticks follow its "````"), but once the code
    span became <code>, none followed: sanitized again, it opened a fence never closed, which
    in CommonMark makes the rest of the post code (found by the second property)."""
    cleaned = sanitize_markdown("````   ```</```\n\nAfter.\n")
    assert sanitize_markdown(cleaned) == cleaned
    for name, html in rendered(cleaned).items():
        assert shown(html) == ("```` </ After.", ["p", "code", "p"]), (name, html)


def test_a_frames_fallback_goes_with_it() -> None:
    """nh3 dropped an <iframe> (and its srcdoc) but kept what it held, which an HTML parser reads
    as text and a browser never shows: a reader saw "Your browser <b>cannot</b> show frames" as
    markup where the frame was. <noembed>, <noframes> and <template> the same."""
    for element in ("iframe", "noembed", "noframes", "template"):
        fragment = (f'<p>Intro.</p><{element} srcdoc="&lt;p&gt;Hi&lt;/p&gt;">Your browser '
                    f"<b>cannot</b> show frames</{element}><p>After.</p>")
        assert sanitize_html(fragment) == "<p>Intro.</p><p>After.</p>", element
    kept = "<p>A <b>bold</b> word, <code>&lt;iframe&gt;</code> in code.</p>"
    assert sanitize_html(kept) == kept
def _pandoc_html(markdown: str) -> str:
    return subprocess.run(["pandoc", "-f", "markdown", "-t", "html"], input=markdown,
                          capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
def test_a_fence_pandoc_reads_as_text_keeps_no_tag_and_shows_the_same_code() -> None:
    """A closed fence right after a line of text, or with words after its language, was kept
    with its tags: pandoc reads a "~~~" line after text as the paragraph's next line, a "```"
    line as the end of a code span the paragraph opened, "~~~ js x" as no fence at all, a lone
    CR as no line end, a "]" in the block as the end of a link's "[" left open before it,
    however many blank lines between, the opening line as a term of the definition list
    before it when its next line opens a definition, and the block's lines as text after a
    "```a`" line (no fence in CommonMark, one in pandoc, which paired the fences after it
    otherwise), so `<script>` was raw HTML in pandoc's
    page (found with pandoc's reader on the property's text). The code still shows as code,
    the same in CommonMark, where a link's brackets are closed."""
    for markdown in ("x\n~~~\n<script>pwn()</script>\n~~~\n",
                     "> a\n~~~ x\n<a href='javascript:pwn()'>y</a>\n~~~\n",
                     "a ```b\n```\n\n<img src=x onerror=pwn()>\n````\n",
                     "x\r~~~\r<script>pwn()</script>\r~~~\r",
                     "```<!-- \r<script>pwn()</script>\n````\n",
                     "```a \r<javascript:pwn()>\n````\n",
                     "~~~ js x\n<script>pwn()</script>\n~~~\n",
                     "```{: a}\n<a href='javascript:pwn()'>y</a>\n````\n",
                     "[a\n\n~~~\n]<script>pwn()</script>\n~~~\n",
                     "x [a\n\nb\n\n```\nc ``` ]<script>pwn()</script>\n```\n",
                     "a\n: b\n\n```\n: <script>pwn()</script>\n```\n",
                     "a\n:   b\n\n    more\n\n~~~\n\n~ <script>pwn()</script>\n~~~\n",
                     "```a`\n```\n<script>pwn()</script>\n````\n"):
        cleaned = sanitize_markdown(markdown)
        elements = _Elements()
        elements.feed(_pandoc_html(cleaned))
        assert not {"script", "img"} & set(elements.tags), (markdown, cleaned)
        assert not [value for _, name, value in elements.attributes
                    if name == "href" and safe_url(value) is None], (markdown, cleaned)
        assert not unsafe_rendering(cleaned), (markdown, cleaned)
        assert sanitize_markdown(cleaned) == cleaned
    for shown in ("x\n~~~\n<p>hi</p>\n~~~\n", "[a](b) \\[\n\n```\n<p>hi</p>\n```\n"):
        assert MarkdownIt("commonmark").render(sanitize_markdown(shown)) == \
            MarkdownIt("commonmark").render(shown)
        assert "<pre><code>&lt;p&gt;hi&lt;/p&gt;</code></pre>" in _pandoc_html(
            sanitize_markdown(shown))
