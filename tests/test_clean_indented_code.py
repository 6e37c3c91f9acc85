"""Code blocks and indented paragraphs in the Markdown the real tools write of a Wix post.

Wix's editor writes a paragraph's leading spaces as no-break spaces; html2text and markdownify
as LangChain calls it make them plain spaces, so such a paragraph comes out four spaces in
after a blank line, which CommonMark reads as a code block. The tools' own code blocks differ:
html2text opens a <pre> after lines of its indentation ("    "), markdownify fences it,
turndown (a <pre><code>) and pandoc (a bare <pre>) indent it after an empty line, keeping the
no-break spaces of a paragraph as they are. Each tool runs on a sample post page; a tool that
is not installed is skipped, saying why."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections.abc import Callable

import pytest

from crawler.clean.text import clean_text
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import post_page
from tests.test_clean_tools import TOOLS_PYTHON

CODE = 'def greet(name):\n    return f"Hello, {name}"\n\nprint(greet("Wix"))'
INDENT = "&nbsp;" * 4
PARAGRAPHS = ["Indented paragraph one, a sentence.", "Indented paragraph two, another one.",
              "Visit my shop for more things."]
LINKED = "Visit my [shop](https://shop.example/) for **more** things."
# Wix's code block (Ricos: a <pre> with a class and data-hook), paragraphs indented with
# no-break spaces right after it, then a bare <pre><code> (what turndown and pandoc indent).
BLOCKS = (
    '<div id="viewer-c"><pre data-hook="codeBlockViewer" dir="auto" class="k0nJS">'
    f"<span>{html.escape(CODE)}</span></pre></div>"
    f'<p id="viewer-n1" dir="auto"><span>{INDENT}{PARAGRAPHS[0]}</span></p>'
    f'<p id="viewer-n2" dir="auto"><span>{INDENT}{PARAGRAPHS[1]}</span></p>'
    f'<p id="viewer-n3" dir="auto"><span>{INDENT}Visit my <a href="https://shop.example/">'
    "shop</a> for <strong>more</strong> things.</span></p>"
    f"<pre><code>{html.escape(CODE)}</code></pre>"
)

_HTML2TEXT = """
import sys, html2text
markdown = html2text.HTML2Text()
markdown.body_width = int(sys.argv[1])
sys.stdout.write(markdown.handle(sys.stdin.read()))
"""
_TURNDOWN = """
const TurndownService = require("turndown");
let page = "";
process.stdin.on("data", (chunk) => { page += chunk; });
process.stdin.on("end", () => { process.stdout.write(new TurndownService().turndown(page)); });
"""


def _run(command: list[str], page: str) -> str:
    return subprocess.run(command, input=page, capture_output=True, text=True, timeout=120,
                          check=True).stdout


def _html2text(width: int) -> Callable[[str], str]:
    def dump(page: str) -> str:
        if not TOOLS_PYTHON.exists():
            pytest.skip(f"the text tools' venv is missing ({TOOLS_PYTHON}): make test creates "
                        "it (or set WIXARCHIVE_DUMPTOOLS_PYTHON)")
        return _run([str(TOOLS_PYTHON), "-c", _HTML2TEXT, str(width)], page)
    return dump


def _langchain_markdownify(page: str) -> str:
    pytest.importorskip("markdownify", reason="markdownify is not installed")
    from benchmarks.text_cleaning import _langchain_markdownify as dump
    return dump(page)


def _pandoc(form: str) -> Callable[[str], str]:
    def dump(page: str) -> str:
        if not shutil.which("pandoc"):
            pytest.skip("pandoc is not installed (Debian's pandoc package)")
        return _run(["pandoc", "-f", "html", "-t", form], page)
    return dump


def _turndown(page: str) -> str:
    if not shutil.which("node") or subprocess.run(
            ["node", "-e", "require.resolve('turndown')"], capture_output=True,
            check=False, timeout=60).returncode:
        pytest.skip("turndown is not installed (npm install turndown; NODE_PATH to the "
                    "node_modules holding it)")
    # turndown keeps a page's <script> and <style> text; a converter script drops them first.
    return _run(["node", "-e", _TURNDOWN], _without_scripts(page))


def _without_scripts(page: str) -> str:
    return re.sub(r"<(script|style)\b.*?</\1\s*>", "", page, flags=re.S | re.I)


TOOLS = {"html2text": _html2text(0), "html2text-wrapped": _html2text(78),
         "markdownify (LangChain)": _langchain_markdownify,
         "pandoc gfm": _pandoc("gfm"), "pandoc markdown": _pandoc("markdown"),
         "turndown": _turndown}


@pytest.mark.parametrize("tool", TOOLS)
def test_indented_paragraphs_stay_paragraphs_and_code_blocks_stay_code(tool: str) -> None:
    """html2text's paragraphs indented with no-break spaces were read as one code block: the
    body held raw `[shop](…)` and `**more**`, the paragraphs were run into one, and the post's
    Markdown fenced them; they are paragraphs again while every tool's code blocks stay one
    block each, their lines and indentation kept, fenced in the post's Markdown."""
    blog = SampleBlog(seed=23, post_count=3)
    post = blog.posts[0]
    page = post_page(Site(blog, "https://www.willow-lane.example"), post)
    first = post.expected()["body_text"].split("\n")[0]
    after = page.index("</p>", page.index(html.escape(first[-30:], quote=False))) + 4
    result = clean_text(TOOLS[tool](page[:after] + BLOCKS + page[after:]))
    start = result.body.index(first)
    code = CODE.replace("\n\n", "\n")
    # turndown writes a <pre> with no <code> (Wix's block) as plain lines: nothing says code.
    wix_code = [line.strip() for line in code.split("\n")] if tool == "turndown" else [code]
    assert result.body[start:start + len(wix_code) + 5] == [
        first, *wix_code, *PARAGRAPHS, code]
    markdown = result.body_markdown
    assert f"\n\n{LINKED}\n\n" in markdown
    assert markdown.count("```\n" + CODE + "\n```") == (1 if tool == "turndown" else 2)
    assert "```\nIndented" not in markdown


def test_lines_indented_with_no_break_spaces_and_broken_by_br_stay_text() -> None:
    """A verse indented with no-break spaces, its lines broken by <br> (html2text's dump: a hard
    break, two spaces, ends each line) is the post's text, not a code block; a code block's
    lines in a row after an empty line (pandoc's bare <pre>) stay one block."""
    verse = "    The first line of it,  \n    the second line  \n        and the third."
    code = "    if fern.dry:\n        water(fern)"
    for block, want in ((verse, ["The first line of it,", "the second line", "and the third."]),
                        (code, ["if fern.dry:\n    water(fern)"])):
        page = ("# Notes on ferns\n\nMy morning routine:\n\n" + block
                + "\n\nThat is all for today.\n")
        assert clean_text(page, "markdown").body == ["My morning routine:", *want,
                                                     "That is all for today."], block
