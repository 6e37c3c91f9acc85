"""`wixarchive clean` on pandoc's Markdown of whole post pages (`pandoc -f html -t gfm` and
`-t markdown`, as a converter script runs it on a saved page) in every layout the sample blog
renders. pandoc keeps what Markdown cannot say: GFM as raw HTML tags, Pandoc's own Markdown as
`:::` fenced divs and `{.class}` attributes on spans, links and headings, both wrapped at 72
columns. Skips, saying why, where pandoc is not installed."""

from __future__ import annotations

import html
import shutil
import subprocess
from typing import Any

import pytest

from crawler.clean.text import clean_text
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import post_page
from tests.test_clean_dumps import STRUCTURAL
from tests.test_clean_tools import cleaned_against_truth

FORMATS = ("gfm", "markdown")


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
    misses, weak, leaks = cleaned_against_truth(dumps, lambda line: (
        STRUCTURAL.search(line) or "{." in line or ":::" in line or "</" in line))
    assert misses == []
    assert weak == []
    assert leaks == []


# Pandoc's Markdown of a post header as Wix's new layout renders it, made up: the author's item
# holds the avatar's div, its image, then the profile link, each a block of the item.
_HEADER = """::: {#SCROLL_TO_TOP aria-label="top of page"}
[top of page]{.TvbeET}
:::

-   [All Posts](../blog.html){.blog-navigation-link
    hook="link"}

::: {tabindex="0" role="button" aria-label="Search"}
Search
:::

::: {.apmiGT hook="post-title"}
# How we grew roses on a windy balcony {#how-we-grew .H3vOVf hook="post-title"}
:::

::: a5JqMF
-   ::: {.bZrSjY style="width:32px;height:32px"}
    :::

    ![](data:image/svg+xml;base64,PHN2ZyB3aWR0aD0iMTAwMCIgaGVpZ2h0PSIxMDAwIj48L3N2Zz4=){.avatar}

    [[Woody Kitson]{hook="user-name"}](../profile/woody/profile.html){.IkAhjA
    hook="profile-link"}

-   [Mar 3, 2024]{.time-ago title="Mar 3, 2024" hook="time-ago"}

-   [3 min read]{title="3 min read" hook="time-to-read"}
:::

::: {breakout="normal"}
[The roses came back this year, and O'Brien's bees with them; we
counted forty on a single morning\\...]{.ATqq4}
:::

::: {breakout="normal"}
[It was --- we thought --- the wind...]{.ATqq4}
:::

[Recent Posts]{.recent}

[See All](../blog.html){.see-all}

::: {#SCROLL_TO_BOTTOM aria-label="bottom of page"}
[bottom of page]{.TvbeET}
:::
"""


def test_the_author_under_an_avatar_in_pandocs_markdown() -> None:
    result = clean_text(_HEADER)
    assert (result.title, result.author, result.reading_minutes) == (
        "How we grew roses on a windy balcony", "Woody Kitson", 3)
    assert result.body == [
        "The roses came back this year, and O\u2019Brien\u2019s bees with them; we counted "
        "forty on a single morning...",
        "It was \u2014 we thought \u2014 the wind\u2026"]


def test_a_posts_own_admonitions_are_no_pandoc_page() -> None:
    """A Markdown copy of a post with two admonitions (`:::note` … `:::`, as Docusaurus writes
    them) is read as any Markdown: its apostrophes and lines stay as they are."""
    text = ("# Notes on garlic\n\n:::note\nDon't plant it in wet soil.\n:::\n\n"
            "Set each clove two inches deep.\nWater them once.\n\n:::tip\nIt's hardy.\n:::\n")
    result = clean_text(text)
    assert "Don't plant it in wet soil." in result.body
    assert {"Set each clove two inches deep.", "Water them once."} <= set(result.body)


def pandoc_dump_with(form: str, blocks: str) -> tuple[Any, str, str]:
    """pandoc's `form` dump of a sample post page with the HTML `blocks` after the post's first
    paragraph: the post, that paragraph's text, the dump."""
    if not shutil.which("pandoc"):
        pytest.skip("pandoc is not installed (Debian's pandoc package)")
    blog = SampleBlog(seed=23, post_count=3)
    post = blog.posts[0]
    page = post_page(Site(blog, "https://www.willow-lane.example"), post)
    first = post.expected()["body_text"].split("\n")[0]
    after = page.index("</p>", page.index(html.escape(first[-30:], quote=False))) + 4
    page = page[:after] + blocks + page[after:]
    dump = subprocess.run(["pandoc", "-f", "html", "-t", form], input=page,
                          capture_output=True, text=True, timeout=120, check=True).stdout
    return post, first, dump


# A post teaching a little HTML and Python: its code blocks hold tags, a `:::` line, plain
# quotes and dashes, and lines in a row, all of them the post's text as its reader sees it.
_CODE = ('<div class="card">\n  <h2>Hello</h2>\n</div>\n::: not a fence\n'
         "def greet(name):\n    return 'hi ' + name -- name...")


@pytest.mark.parametrize("form", FORMATS)
# Wix's code block has a class: pandoc fences it, its class the fence's info string (`` ```
# {.k0nJS hook="codeBlockViewer"} ``); a bare <pre> it indents.
@pytest.mark.parametrize("pre", ['<pre data-hook="codeBlockViewer" class="k0nJS">', "<pre>"])
def test_a_code_block_in_pandocs_markdown_keeps_every_line(form: str, pre: str) -> None:
    post, first, dump = pandoc_dump_with(form, pre + html.escape(_CODE) + "</pre>")
    result = clean_text(dump)
    assert result.title == post.expected()["title"]
    assert result.body[:2] == [first, _CODE]
    assert "```\n" + _CODE + "\n```" in result.body_markdown


# A post's own lines that look like pandoc's markup, which pandoc leaves as they are (a fence
# opens on attributes or one class name, a line of colons closes it) or escapes (`\[`, `\<`).
_LOOKALIKES = ["::: Chapter one :::", "Use {.class} and [text]{#id} in pandoc.",
               "He said 'no' to it, twice.", "<div> is a tag, and so is </span>."]


@pytest.mark.parametrize("form", FORMATS)
def test_a_posts_lines_like_pandocs_markup_stay(form: str) -> None:
    _, first, dump = pandoc_dump_with(
        form, "".join(f"<p>{html.escape(line)}</p>" for line in _LOOKALIKES))
    assert clean_text(dump).body[:1 + len(_LOOKALIKES)] == [first, *_LOOKALIKES]
