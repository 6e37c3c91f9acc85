"""`wixarchive clean` on pandoc's Markdown of whole post pages (`pandoc -f html -t gfm` and
`-t markdown`, as a converter script runs it on a saved page) in every layout the sample blog
renders. pandoc keeps what Markdown cannot say: GFM as raw HTML tags, Pandoc's own Markdown as
`:::` fenced divs and `{.class}` attributes on spans, links and headings, both wrapped at 72
columns. Skips, saying why, where pandoc is not installed."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest

from crawler.clean.text import clean_text
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import post_page
from tests.test_clean_dumps import STRUCTURAL

FORMATS = ("gfm", "markdown")


def _f1(got: str, want: str) -> float:
    tokens = [Counter(text.lower().split()) for text in (got, want)]
    common = sum((tokens[0] & tokens[1]).values())
    if not common:
        return 0.0
    precision, recall = common / sum(tokens[0].values()), common / sum(tokens[1].values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def dumps() -> list[tuple[str, str, dict]]:
    if not shutil.which("pandoc"):
        pytest.skip("pandoc is not installed (Debian's pandoc package)")
    blog = SampleBlog(seed=23, post_count=16)
    site = Site(blog, "https://www.willow-lane.example")
    out = []
    for n, post in enumerate(blog.posts):
        page = post_page(site, post)
        for form in FORMATS:
            done = subprocess.run(["pandoc", "-f", "html", "-t", form], input=page,
                                  capture_output=True, text=True, timeout=120, check=True)
            out.append((f"{n:03d}.{form}", done.stdout, post.expected()))
    return out


def test_every_layout_is_dumped(dumps: list[tuple[str, str, dict]]) -> None:
    assert {truth["layout"] for _, _, truth in dumps} == {"classic", "new", "elements", "cms"}


def test_pandocs_markdown_gives_the_post_exactly(dumps: list[tuple[str, str, dict]]) -> None:
    misses, weak, leaks = [], [], []
    for name, text, truth in dumps:
        result = clean_text(text)
        got = (result.page_kind, result.title, result.author, result.reading_minutes)
        want = ("post", truth["title"], truth["author"], truth["reading_minutes"])
        if got != want:
            misses.append((name, truth["layout"], got, want))
        if (score := _f1(result.body_text, truth["body_text"])) < 0.99:
            weak.append((name, truth["layout"], round(score, 3)))
        leaks += [(name, line) for line in result.body
                  if STRUCTURAL.search(line) or "{." in line or ":::" in line or "</" in line]
    assert misses == []
    assert weak == []
    assert leaks == []
