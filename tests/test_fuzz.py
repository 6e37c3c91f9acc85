"""Property tests: `extract_article` and `clean_text` on mutated real pages and dumps.

Seeds are the project's own fixtures and sample-site pages (so the suite means something without
../shared), plus ../shared/realworld when present. Mutations: byte flips, truncation, deep
nesting, huge attributes and attribute counts, wrong or absent charsets, BOMs, UTF-16/32, NUL
bytes, disguised `javascript:` links. Properties: no exception escapes, the record is sane, the
per-page CPU limit holds, and no dangerous URL reaches the body.

The default profile ("ci", tests/conftest.py) is derandomized and small, so the suite stays fast
and repeatable; `HYPOTHESIS_PROFILE=fuzz` runs 2,000 random examples a property (FUZZ_EXAMPLES=n
to change).
Every failure found is kept as an explicit regression test, at the end of this file or in
tests/test_extract_limits.py.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from benchmarks.corpus import realworld_corpus
from crawler.clean.html import SAFE_SCHEMES, url_scheme
from crawler.clean.text import MAX_TEXT_LINES, clean_text
from crawler.extract import extract_article
from crawler.extract.record import PAGE_KINDS, Article, CleanedText

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
REALWORLD = realworld_corpus()
CPU_LIMIT = 3.0  # seconds a page, the bound promised in docs/reliability.md

@cache
def html_seeds() -> tuple[bytes, ...]:
    from crawler.sample_site import SampleBlog
    from crawler.sample_site.server import route

    seeds = [path.read_bytes() for path in sorted((FIXTURES / "html").glob("*.html"))]
    from crawler.sample_site.model import LAYOUTS

    blog = SampleBlog(seed=9, post_count=16)
    posts = [next(p for p in blog.posts if p.layout == layout) for layout in LAYOUTS]
    for path in (*(post.url_path for post in posts), "/blog", "/about"):
        seeds.append(route(blog, "http://127.0.0.1:9", path, {}, []).body)
    if (REALWORLD / "html").is_dir():
        seeds += [path.read_bytes() for path in sorted((REALWORLD / "html").glob("*.html"))]
    return tuple(seeds)


@cache
def text_seeds() -> tuple[str, ...]:
    paths = sorted((FIXTURES / "text").glob("*.txt"))
    if (REALWORLD / "text").is_dir():
        paths += sorted((REALWORLD / "text").glob("*.txt"))
    return tuple(path.read_text(encoding="utf-8") for path in paths)


# -- mutations -----------------------------------------------------------------------------------

_CHARSETS = ("utf-8", "utf-16", "utf-32", "iso-8859-1", "windows-1252", "shift_jis", "x-bogus",
             "", "utf-7", "gb18030")  # fmt: skip
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE,
         codecs.BOM_UTF32_BE)  # fmt: skip
_ENCODINGS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "cp1252")
# Disguised javascript: schemes, as a browser or a Markdown renderer would still read them.
_HOSTILE_HREFS = (
    "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "java&#9;script:alert(1)", "&#106;avascript:alert(1)", "javascript&colon;alert(1)",
    "jav&#x0A;ascript:alert(1)", "\x01javascript:alert(1)", "javascript\\:alert(1)",
    "VBScript:msgbox(1)", "data:text/html,<script>alert(1)</script>", "javascript&amp;colon;x",
)  # fmt: skip
# Allowed URLs that carry a Markdown link of their own, to be read if the destination ends early.
_SMUGGLING_HREFS = (
    "https://a.example/x&#10;[e](javascript:alert(1))", "https://a.example/x&#11;[e](javascript:x)",
    "https://a.example/x[e](javascript:x", "https://a.example/x>[e](javascript:x)",
)  # fmt: skip


def _insert(data: bytes, at: int, piece: bytes) -> bytes:
    at = at % (len(data) + 1)
    return data[:at] + piece + data[at:]


@st.composite
def mutation(draw: st.DrawFn, data: bytes) -> bytes:
    kind = draw(st.sampled_from((
        "flip", "truncate", "nest", "attribute", "attributes", "charset", "bom", "encode", "nul",
        "href", "splice",
    )))  # fmt: skip
    at = draw(st.integers(0, max(0, len(data))))
    if kind == "flip":
        flips = draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)),
                              min_size=1, max_size=50))  # fmt: skip
        out = bytearray(data)
        for pos, xor in flips:
            out[pos] ^= xor
        return bytes(out)
    if kind == "truncate":
        return data[:at]
    if kind == "nest":
        tag = draw(st.sampled_from((b"<div>", b"<b><i>", b"<ul><li>", b"<p><a href='/x'>",
                                    b"<table><tr><td>", b"<span>", b"<blockquote>")))  # fmt: skip
        return _insert(data, at, tag * draw(st.integers(100, 5000)) + b"deep words")
    if kind == "attribute":
        value = b"a" * draw(st.integers(10_000, 2_000_000))
        return _insert(data, at, b'<p title="' + value + b'">attr words</p>')
    if kind == "attributes":
        count = draw(st.integers(100, 30_000))
        names = b" ".join(b"a%d=1" % i for i in range(count))
        return _insert(data, at, b"<p " + names + b">attr words</p>")
    if kind == "charset":
        label = draw(st.sampled_from(_CHARSETS)).encode()
        data = re.sub(rb'charset="?[\w-]*"?', b'charset="' + label + b'"', data, count=1)
        return _insert(data, data.find(b"<head>") + 6, b'<meta charset="' + label + b'">')
    if kind == "bom":
        return draw(st.sampled_from(_BOMS)) + data
    if kind == "encode":
        text = data.decode("utf-8", "replace")
        return text.encode(draw(st.sampled_from(_ENCODINGS)), "replace")
    if kind == "nul":
        for pos in draw(st.lists(st.integers(0, len(data)), min_size=1, max_size=20)):
            data = _insert(data, pos, b"\x00")
        return data
    if kind == "href":
        href = draw(st.sampled_from(_HOSTILE_HREFS + _SMUGGLING_HREFS)).encode()
        piece = b'<p><a href="' + href + b'">bad link</a> <img src="' + href + b'"></p>'
        body = data.find(b'data-id="content-viewer"')
        if body >= 0 and draw(st.booleans()):
            at = data.index(b">", body) + 1
        return _insert(data, at, piece)
    # splice: a chunk of the page repeated (duplicated ids, hooks, articles…)
    end = draw(st.integers(at, min(len(data), at + 20_000)))
    return _insert(data, at, data[at:end] * draw(st.integers(2, 50)))


@st.composite
def mutated_page(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(html_seeds()))
    for _ in range(draw(st.integers(1, 3))):
        data = draw(mutation(data)) or b" "
    return data


# -- properties ----------------------------------------------------------------------------------

_MD_LINK = re.compile(r"\]\(([^)\s]*)\)|<((?:[a-z]+:)[^>\s]*)>")


def html_urls(fragment: str) -> list[str]:
    """The href and src attributes of `fragment`'s tags (not of its text: `&lt;a href=…`)."""
    urls: list[str] = []

    class Urls(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            urls.extend(value for name, value in attrs if name in ("href", "src") and value)

    Urls(convert_charrefs=True).feed(fragment)
    return urls


def check_article(article: Article) -> None:
    assert isinstance(article, Article)
    assert article.page_kind in PAGE_KINDS
    json.dumps(article.to_dict())  # plain types only
    for name in ("title", "author", "published", "modified", "language", "canonical_url",
                 "description", "site_name", "cover_image", "post_id"):  # fmt: skip
        assert getattr(article, name) is None or isinstance(getattr(article, name), str), name
    for name in ("body_text", "body_html", "body_markdown", "url"):
        assert isinstance(getattr(article, name), str), name
    for name in ("tags", "categories", "images", "warnings"):
        assert all(isinstance(item, str) for item in getattr(article, name)), name
    assert article.reading_minutes is None or isinstance(article.reading_minutes, int)
    if article.page_kind == "error":
        assert article.warnings and not article.body_text
    assert not any(w.startswith("extraction failed") for w in article.warnings), article.warnings
    check_urls(article)


def check_urls(article: Article) -> None:
    """Every link and image URL in the body is http(s), mailto, tel or relative."""
    urls = [m.group(1) or m.group(2) for m in _MD_LINK.finditer(article.body_markdown)]
    urls += html_urls(article.body_html) + article.images
    urls += [article.cover_image] if article.cover_image else []
    for url in urls:
        assert url_scheme(url) in (*SAFE_SCHEMES, None), url


def extract_within_limit(data: bytes, **kwargs: str) -> Article:
    started = time.process_time()
    article = extract_article(data, **kwargs)
    assert time.process_time() - started <= CPU_LIMIT
    return article


@given(mutated_page())
def test_extract_never_raises_and_stays_bounded(data: bytes) -> None:
    check_article(extract_within_limit(data))


@given(mutated_page(), st.sampled_from(("text/html", "text/html; charset=utf-16",
                                        "text/html; charset=shift_jis", "text/plain",
                                        "application/octet-stream", "text/html; charset=bogus")))
def test_extract_with_content_type_headers(data: bytes, content_type: str) -> None:
    check_article(extract_within_limit(data, content_type=content_type))


@given(st.binary(max_size=4096))
@example(b"\xff\xfe")  # a UTF-16 BOM and nothing else
@example(b"\x00\x00\xfe\xff")
@example(b"<")
def test_extract_arbitrary_bytes(data: bytes) -> None:
    check_article(extract_within_limit(data))


@given(st.text(max_size=2000))
def test_extract_arbitrary_text(text: str) -> None:
    check_article(extract_within_limit(text))


# -- clean ---------------------------------------------------------------------------------------


@st.composite
def mutated_dump(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(text_seeds()))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("flip", "truncate", "lines", "line", "nul", "bom",
                                     "newlines", "splice")))  # fmt: skip
        at = draw(st.integers(0, len(text)))
        if kind == "flip":
            data = bytearray(text.encode())
            for pos in draw(st.lists(st.integers(0, max(0, len(data) - 1)), max_size=30)):
                if data:
                    data[pos] ^= draw(st.integers(1, 255))
            text = data.decode("utf-8", "replace")
        elif kind == "truncate":
            text = text[:at]
        elif kind == "lines":  # many short lines: dates, reading times, bullets, chrome
            line = draw(st.sampled_from(("Jun 4, 2024", "3 min read", "• Home", "Comments",
                                         "top of page", "Updated: Mar 3", "27 views", "-")))
            text = text[:at] + (line + "\n") * draw(st.integers(100, 5000)) + text[at:]
        elif kind == "line":
            text = text[:at] + "word " * draw(st.integers(1000, 200_000)) + text[at:]
        elif kind == "nul":
            text = text[:at] + "\x00" + text[at:]
        elif kind == "bom":
            text = "\ufeff" + text
        elif kind == "newlines":
            text = text.replace("\n", draw(st.sampled_from(("\r\n", "\r", "\u2028", "\n\n\n"))))
        else:
            end = draw(st.integers(at, min(len(text), at + 2000)))
            text = text[:at] + text[at:end] * draw(st.integers(2, 40)) + text[at:]
    return text


def check_cleaned(result: CleanedText, text: str, *, whole_paragraphs: bool = True) -> None:
    assert isinstance(result, CleanedText)
    assert result.page_kind in PAGE_KINDS
    json.dumps(result.to_dict())
    assert all(isinstance(p, str) and p for p in result.body)
    assert len(result.body) <= MAX_TEXT_LINES
    for name in ("title", "author", "date", "updated"):
        assert getattr(result, name) is None or isinstance(getattr(result, name), str)
    assert result.reading_minutes is None or isinstance(result.reading_minutes, int)
    # The body keeps the dump's own text: every paragraph is a piece of the input.
    for paragraph in result.body[:200]:
        if whole_paragraphs:
            assert paragraph in text
        else:
            # A word a dump tool broke across two lines ("K" / "now your") is joined again.
            joined = re.sub(r"[ \t]*[\r\n\u2028]+[ \t]*", "", text)
            assert all(word in text or word in joined for word in paragraph.split()), paragraph


@given(mutated_dump())
def test_clean_never_raises_and_keeps_the_dump_text(text: str) -> None:
    started = time.process_time()
    result = clean_text(text)
    assert time.process_time() - started <= CPU_LIMIT
    check_cleaned(result, text)


@given(st.text(max_size=3000))
@example("\r")
@example("• \n")
@example("top of page\nbottom of page")
def test_clean_arbitrary_text(text: str) -> None:
    check_cleaned(clean_text(text), text)


# Lines a text or Markdown dump of a Wix page holds: chrome, dates, headings, lists, links,
# images, tables, quotes and prose in several scripts.
_DUMP_LINES = (
    "Share", "3 min read", "Jun 4, 2024", "Recent Posts", "See All", "Comments", "27 views",
    "0 comments", "Log in / Sign up", "Updated: Mar 3", "Post not marked as liked",
    "top of page", "bottom of page", "Write a comment...", "# My Post Title", "## Section",
    "- item", "* item", "1. one", "• Home", "Home", "About", "Blog", "Ann Example", "|",
    "| a | b |", "---", "===", "", " ", "![img](x.png)", "[link](https://a.example/x)",
    "[Tag](https://a.example/blog/tags/x)", "```", "> quote", "\\[", "**bold** and _it_",
    "A long paragraph of the post's own words about the garden and the roses.",
    "مرحبا بالعالم", "東京タワーの夜景", "Follow us",
    "©2024 by My Site. Proudly created with Wix.com",
)  # fmt: skip


@given(st.tuples(st.lists(st.sampled_from(_DUMP_LINES) | st.text(max_size=20), max_size=60),
                 st.sampled_from(("\n", "\r\n", "\r", "\n\n"))).map(lambda t: t[1].join(t[0])))
@example("![img](x.png)\nhello [world")
@example("Home\nA\na")  # a lone capital over a lower-case line: joined as one word
def test_clean_dumps_built_from_wix_lines(text: str) -> None:
    result = clean_text(text)
    # Not check_cleaned's "every paragraph is a piece of the dump": a Markdown table row's cells
    # and pandoc's "[]" (an image without alt text) come out as words apart. Every word is.
    check_cleaned(result, text, whole_paragraphs=False)


def test_a_bracket_no_line_closes_stays_in_a_markdown_dumps_text() -> None:
    """A "[" with no "]" after it was dropped from a Markdown dump's line, as if a link's text
    went on to a later line: "hello [world" came out "hello world", though no line closed it."""
    text = "Intro line.\n![img](x.png)\nhello [world of words\n\nSee [this\npage](https://a.x/p)."
    body = clean_text(text).body
    assert body[:2] == ["Intro line.", "hello [world of words"]
    assert "See this" in body  # a line closes this one: its "[" goes, as before


def test_a_bullet_alone_is_no_empty_paragraph() -> None:
    """"Share" over a bullet alone ("·") gave the body an empty paragraph: body ['Share', '']."""
    assert clean_text("Share\n·").body == ["Share"]


@pytest.mark.parametrize("href", _HOSTILE_HREFS)
def test_every_disguised_scheme_is_read_as_dangerous(href: str) -> None:
    import html

    assert url_scheme(html.unescape(href)) not in (*SAFE_SCHEMES, None)


# -- pages built from Wix-like parts -------------------------------------------------------------

_HOOKS = ("post", "post-title", "post-description", "time-ago", "time-to-read", "user-name",
          "post-footer", "post-stats", "post-page", "post-page-root", "post-list-item",
          "post-list-item__title", "recent-posts", "recent-post__title", "rcv-block-first",
          "rcv-block1", "rcv-block-last", "tag-cloud-root", "category-label-list__item",
          "share-button__link", "like-button", "web-link", "video-player", "imageViewer",
          "skeleton-loader", "more-button", "feed-page-root", "pagination__next")  # fmt: skip
_ATTRIBUTES = st.one_of(
    st.sampled_from(_HOOKS).map(lambda hook: ("data-hook", hook)),
    st.just(("data-id", "content-viewer")), st.just(("data-breakout", "normal")),
    st.tuples(st.sampled_from(("href", "src", "data-src", "srcset", "poster")),
              st.sampled_from((*_HOSTILE_HREFS, "https://static.wixstatic.com/media/a.jpg",
                               "/post/x", "", "#", "https://a.wixsite.com/b/post/c"))),
    st.tuples(st.sampled_from(("dir", "lang", "datetime", "class", "id", "style", "title")),
              st.sampled_from(("auto", "rtl", "en", "2024-06-01T10:00:00Z", "not a date",
                               "x" * 5000, "", "\u202e", "ar"))),
)  # fmt: skip
_TAGS = ("div", "p", "span", "a", "img", "h1", "h2", "h3", "section", "article", "ul", "ol",
         "li", "figure", "figcaption", "time", "pre", "code", "table", "tr", "td", "blockquote",
         "iframe", "wow-image", "video", "source", "br", "hr", "strong", "em", "u", "sup",
         "header", "footer", "nav", "button", "svg", "noscript", "template")  # fmt: skip
# Text a page's widgets show (chrome) as well as prose, in several scripts.
_TEXTS = st.one_of(
    st.sampled_from(("Share", "3 min read", "Jun 4, 2024", "Recent Posts", "See All",
                     "Comments", "27 views", "0 comments", "Log in / Sign up", "Updated: Mar 3",
                     "Post not marked as liked", "top of page", "Write a comment...",
                     "A long paragraph of the post's own words about the garden. ",
                     "مرحبا بالعالم", "東京タワーの夜景", "&amp;", "&#0;", "&#xD800;", "]]>",
                     "<!--", "\x00", "\x0c", "\ufeff")),
    st.text(max_size=30),
)  # fmt: skip


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def build(tag: str, attributes: list[tuple[str, str]], inner: list[str]) -> str:
        attrs = "".join(f' {name}="{value}"' for name, value in attributes)
        return f"<{tag}{attrs}>{''.join(inner)}</{tag}>"

    return st.builds(build, st.sampled_from(_TAGS), st.lists(_ATTRIBUTES, max_size=4),
                     st.lists(children, max_size=5))


_BODY = st.recursive(_TEXTS, _element, max_leaves=40)
_JSON_LD = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.sampled_from(("BlogPosting", "Article", "2024-06-01", "@graph", "headline"))),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(("@type", "@graph", "headline", "name", "author", "datePublished",
                         "dateModified", "image", "url", "articleBody", "keywords",
                         "inLanguage", "mainEntityOfPage")), inner, max_size=6),
    max_leaves=20,
)  # fmt: skip


@st.composite
def wix_like_page(draw: st.DrawFn) -> tuple[str, str | None]:
    """A page built from Wix-like parts, and the title its head gives (None: no title)."""
    title = draw(st.none() | _TEXTS)
    head = [f"<title>{title}</title>"] if title is not None else []
    og_title = draw(st.none() | _TEXTS)
    if og_title is not None:
        head.append(f'<meta property="og:title" content="{og_title}">')
    for _ in range(draw(st.integers(0, 2))):
        data = json.dumps(draw(_JSON_LD), ensure_ascii=draw(st.booleans()))
        head.append(f'<script type="application/ld+json">{data}</script>')
    body = "".join(draw(st.lists(_BODY, max_size=4)))
    return f"<html><head>{''.join(head)}</head><body>{body}</body></html>", title or og_title


# The tags the extractor writes into Markdown itself (archive.sanitize keeps the same).
_KEPT_MARKDOWN_HTML = re.compile(r'</?(?:u|sup|sub)>|<div dir="auto" markdown="1">|</div>')


def raw_html_in_markdown(markdown: str) -> list[str]:
    """The raw HTML CommonMark finds in `markdown`, but the extractor's own tags: a "<" of the
    page's text must come out as text."""
    from markdown_it import MarkdownIt

    found, stack = [], MarkdownIt("commonmark").parse(markdown)
    while stack:
        token = stack.pop()
        if token.type in ("html_inline", "html_block") and \
                re.search(r"<[A-Za-z/!?]", _KEPT_MARKDOWN_HTML.sub("", token.content)):
            found.append(token.content)
        stack.extend(token.children or [])
    return found


@given(wix_like_page(), st.sampled_from(("utf-8", "utf-16", "cp1252", "str")))
@example(('<html><body><iframe><a href="javascript:alert(1)">x</a></iframe></body></html>', None),
         "utf-8")
def test_extract_pages_built_from_wix_parts(page: tuple[str, str | None], encoding: str) -> None:
    html, title = page
    data = html if encoding == "str" else html.encode(encoding, "replace")
    article = extract_within_limit(data, url="https://a.wixsite.com/b/post/c")
    check_article(article)
    assert not raw_html_in_markdown(article.body_markdown), article.body_markdown
    if article.page_kind != "error" and title is not None and title.strip():
        assert article.title is not None  # a page's <title> or og:title names it


# -- what the properties found -------------------------------------------------------------------


@pytest.mark.parametrize("json_ld", ['{"@type": "BlogPosting", "url": true, "headline": "Hi"}',
                                     '{"@type": "BlogPosting", "inLanguage": ["en"], '
                                     '"headline": "Hi"}'])
def test_json_ld_of_another_type_than_expected_loses_nothing(json_ld: str) -> None:
    """A JSON-LD "url" or "inLanguage" that is not a string (true, ["en"]) was read as one: the
    extraction failed (AttributeError) and the page was an error, its title and text lost."""
    page = (f'<html><head><script type="application/ld+json">{json_ld}</script></head><body>'
            "<article><h1>Hi</h1><p>The post's own words about the garden, long enough to be "
            "an article a reader would want to keep.</p></article></body></html>")
    article = extract_article(page, url="https://a.example/post/hi")
    check_article(article)
    assert article.page_kind != "error" and article.title == "Hi"


def test_a_pages_text_holding_a_tag_stays_text_in_the_fallbacks_markdown() -> None:
    """trafilatura's text of a page that is not Wix's went into the Markdown with its "<" as is:
    text reading `<a href="javascript:alert(1)">x</a>` (an iframe's, or a post about HTML)
    was a link in the Markdown, though body_html showed it as text."""
    page = ('<html><body><iframe><a href="javascript:alert(1)">x</a></iframe>'
            "<p>Write <b>&lt;img src=x onerror=alert(1)&gt;</b> to show an image.</p>"
            "</body></html>")
    article = extract_article(page, url="https://a.example/post/hi")
    check_article(article)
    assert "<" in article.body_text and article.body_markdown
    assert not raw_html_in_markdown(article.body_markdown), article.body_markdown
