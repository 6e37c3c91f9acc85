"""`wixarchive clean` on whole-page dumps that the real text tools make of post pages in every
layout the sample blog renders (the blog app's classic and new layouts, posts built from site
elements, CMS item pages): inscriptis text, html2text Markdown (unwrapped, as LLM-era scrapers
emit it, and wrapped at its default 78 columns, as LangChain's Html2TextTransformer keeps it)
and html-text. The tools live in `.venv-dumptools` (`make test` creates it; inscriptis
pins an older lxml than ours); the test skips, saying why, without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from html import escape
from pathlib import Path

import pytest

from benchmarks.text_cleaning import pseudo_locale
from crawler.clean.text import clean_text
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import (
    about_page,
    home_page,
    listing_page,
    not_found_page,
    post_page,
)
from tests.test_clean_dumps import STRUCTURAL

REPO = Path(__file__).resolve().parents[1]
TOOLS = ("inscriptis", "html2text", "html2text-wrapped", "htmltext")
TOOLS_PYTHON = Path(os.environ.get("WIXARCHIVE_DUMPTOOLS_PYTHON")
                    or REPO / ".venv-dumptools" / "bin" / "python")
DUMP = """
import json, sys
from pathlib import Path
import html2text, html_text, inscriptis
for page in sorted(Path(sys.argv[1]).glob("*.html")):
    html = page.read_text(encoding="utf-8")
    markdown = html2text.HTML2Text()
    markdown.body_width = 0
    dumps = {"inscriptis": inscriptis.get_text(html), "html2text": markdown.handle(html),
             "html2text-wrapped": html2text.html2text(html),  # 78 columns, its default
             "htmltext": html_text.extract_text(html)}
    for tool, text in dumps.items():
        page.with_suffix(f".{tool}.txt").write_text(text, encoding="utf-8")
"""


def token_f1(got: str, want: str) -> float:
    """F1 of the words (split on white space, case folded) of `got` against `want`."""
    tokens = [Counter(text.lower().split()) for text in (got, want)]
    common = sum((tokens[0] & tokens[1]).values())
    if not common:
        return 0.0
    precision, recall = common / sum(tokens[0].values()), common / sum(tokens[1].values())
    return 2 * precision * recall / (precision + recall)


def cleaned_against_truth(dumps: Iterable[tuple[str, str, dict]],
                          leaked: Callable[[str], object]) -> tuple[list, list, list]:
    """Each dump (name, text, the sample post's truth) cleaned: the posts whose kind, title,
    author or reading time differ from the truth, those whose body's words score under 0.99
    F1 against it, and the body lines `leaked` finds markup or chrome in."""
    misses, weak, leaks = [], [], []
    for name, text, truth in dumps:
        result = clean_text(text)
        got = (result.page_kind, result.title, result.author, result.reading_minutes)
        want = ("post", truth["title"], truth["author"], truth["reading_minutes"])
        if got != want:
            misses.append((name, truth["layout"], got, want))
        # A Markdown dump writes the posts' inline Markdown; its plain form is the body text.
        if (score := token_f1(result.body_text, truth["body_text"])) < 0.99:
            weak.append((name, truth["layout"], round(score, 3)))
        leaks += [(name, line) for line in result.body if leaked(line)]
    return misses, weak, leaks


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, dict]]:
    if not TOOLS_PYTHON.exists():
        pytest.skip(f"the text tools' venv is missing ({TOOLS_PYTHON}): make test creates it "
                    "(or set WIXARCHIVE_DUMPTOOLS_PYTHON)")
    folder = tmp_path_factory.mktemp("dumps")
    blog = SampleBlog(seed=31, post_count=48)
    site = Site(blog, "https://www.willow-lane.example")
    truths = {}
    for n, post in enumerate(blog.posts):
        (folder / f"{n:03d}.html").write_text(post_page(site, post), encoding="utf-8")
        truths[f"{n:03d}"] = post.expected()
    category = next(c for post in blog.posts for c in post.categories)
    others = {"listing": listing_page(site, blog.posts, 2, "feed"),
              "category": listing_page(site, [p for p in blog.posts if category in p.categories],
                                       1, "category", "c", category),
              "static": about_page(site), "home": home_page(site),
              "error": not_found_page(site, "/gone")}
    for name, html in others.items():
        (folder / f"{name}.html").write_text(html or "", encoding="utf-8")
        truths[name] = {"kind": name}
    done = subprocess.run([str(TOOLS_PYTHON), "-c", DUMP, str(folder)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return [(f"{name}.{tool}", (folder / f"{name}.{tool}.txt").read_text(encoding="utf-8"),
             truth) for name, truth in truths.items()
            for tool in TOOLS]


def _posts(dumps: list[tuple[str, str, dict]]) -> list[tuple[str, str, dict]]:
    return [dump for dump in dumps if "layout" in dump[2]]


def test_every_layout_is_dumped(dumps: list[tuple[str, str, dict]]) -> None:
    assert {truth["layout"] for _, _, truth in _posts(dumps)} == {
        "classic", "new", "elements", "cms"}


def test_each_dump_gives_the_post_exactly(dumps: list[tuple[str, str, dict]]) -> None:
    misses, weak, leaks = cleaned_against_truth(_posts(dumps), STRUCTURAL.search)
    assert misses == []
    assert weak == []
    assert leaks == []


def test_the_dumps_json_from_the_command_line(dumps: list[tuple[str, str, dict]],
                                               tmp_path: Path) -> None:
    name, text, truth = next(d for d in _posts(dumps) if d[2]["layout"] == "elements")
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "archive.cli", "clean", str(path), "--json"],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["title"], out["author"]) == (truth["title"], truth["author"])


def test_the_blogs_other_pages_are_told_from_posts(dumps: list[tuple[str, str, dict]]) -> None:
    """Listing and category pages, the about page, the home page showing the latest titles,
    Wix's "Page Not Found"."""
    kinds = {name: clean_text(text).page_kind for name, text, truth in dumps
             if "kind" in truth}
    assert kinds == {name: name.split(".")[0].replace("category", "listing")
                     .replace("home", "static") for name in kinds}


def test_a_locale_the_vocabulary_lacks_still_gives_the_post_header(
        dumps: list[tuple[str, str, dict]]) -> None:
    """The dumps as a Wix site in a locale the vocabulary lacks would show them: the words of
    every chrome line made up (benchmarks/text_cleaning.py's `pseudo_locale`). The post header
    is read by its shape, the article starts where it does in English, and the listing and
    category pages stay listings."""
    misses = []
    for name, text, truth in _posts(dumps):
        result, english = clean_text(pseudo_locale(text)), clean_text(text)
        got = (result.page_kind, result.title, result.author, result.reading_minutes,
               result.body[:2])
        want = ("post", truth["title"], truth["author"], truth["reading_minutes"],
                english.body[:2])
        if got != want:
            misses.append((name, truth["layout"], got[:4], want[:4]))
    assert misses == []
    kinds = {name: clean_text(pseudo_locale(text)).page_kind for name, text, truth in dumps
             if truth.get("kind") in ("listing", "category")}
    assert set(kinds.values()) == {"listing"}, kinds


def test_a_code_block_of_html_is_no_pandoc_page(tmp_path: Path) -> None:
    """A post showing 25 lines of HTML in a code block: its `<div>` lines are the post's text,
    not the `<div>` lines of pandoc's GFM, in every tool's dump."""
    if not TOOLS_PYTHON.exists():
        pytest.skip(f"the text tools' venv is missing ({TOOLS_PYTHON}): make test creates it "
                    "(or set WIXARCHIVE_DUMPTOOLS_PYTHON)")
    blog = SampleBlog(seed=23, post_count=3)
    post, truth = blog.posts[0], blog.posts[0].expected()
    page = post_page(Site(blog, "https://www.willow-lane.example"), post)
    first = truth["body_text"].split("\n")[0]
    after = page.index("</p>", page.index(escape(first[-30:], quote=False))) + 4
    code = [f'<div class="row{n}">cell {n}</div>' for n in range(25)]
    (tmp_path / "post.html").write_text(
        page[:after] + "<pre>" + escape("\n".join(code)) + "</pre>" + page[after:],
        encoding="utf-8")
    done = subprocess.run([str(TOOLS_PYTHON), "-c", DUMP, str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for tool in TOOLS:
        result = clean_text((tmp_path / f"post.{tool}.txt").read_text(encoding="utf-8"))
        body = [line.strip() for block in result.body for line in block.split("\n")]
        assert (result.title, result.author) == (truth["title"], truth["author"]), tool
        assert body[0] == first, tool
        # html-text writes a <pre>'s lines on one line (its own way): their text all the same.
        assert " ".join(body[1:26 if tool != "htmltext" else 2]) == " ".join(code), tool
        assert len(result.body) >= len(truth["body_text"].split("\n\n")), tool
