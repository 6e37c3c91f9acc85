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
