"""Element-built post pages, CMS item pages, page kinds from the page's own metadata, dates in
every form Wix emits, bad JSON-LD and the generic fallback for unknown layouts."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from benchmarks.corpus import realworld_corpus
from crawler.clean.html import find_chrome
from crawler.extract import extract_article
from crawler.extract.dates import parse_display_date, parse_machine_date, same_moment
from crawler.extract.elements import UNKNOWN_LAYOUT_WARNING
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import listing_page, post_page
from crawler.summary import summarize

BASE = "http://127.0.0.1:9"
LEAKS = ("Share this post", "Share on", "Related Posts", "See All", "Join our mailing list",
         "Never miss an update", "Subscribe", "min read", "Proudly created", "top of page",
         "Willow Lane Notes")


@pytest.fixture(scope="module")
def blog() -> SampleBlog:
    return SampleBlog(seed=5, post_count=24)


@pytest.mark.parametrize("layout", ["elements", "cms"])
def test_element_built_posts_are_exact_without_chrome(blog: SampleBlog, layout: str):
    site = Site(blog, BASE)
    posts = [p for p in blog.posts if p.layout == layout]
    assert posts
    for post in posts:
        html = post_page(site, post)
        assert 'data-hook="related-posts-root"' in html and "GMT+0" in html
        article = extract_article(html, BASE + post.url_path)
        expected = post.expected()
        assert article.page_kind == "post", article.warnings
        assert article.title == expected["title"]
        assert article.author == expected["author"]
        assert article.published == expected["published"]
        assert article.modified == expected["modified"]
        assert article.reading_minutes == expected["reading_minutes"]
        assert article.body_text == expected["body_text"]
        assert article.images == expected["images"]
        # The category links above the title; these pages show no tags.
        assert article.categories == expected["categories"]
        assert article.tags == expected["tags"] == []
        assert find_chrome(article.body_text) == []
        for leak in LEAKS:
            assert leak not in article.body_text and leak not in article.body_html, leak
        assert UNKNOWN_LAYOUT_WARNING not in article.warnings


def test_listing_pages_stay_listings(blog: SampleBlog):
    site = Site(blog, BASE)
    article = extract_article(listing_page(site, blog.posts[:10], 1, "feed"), BASE + "/blog")
    assert article.page_kind == "listing"
    assert article.body_text == ""


def _page(*, og_type: str = "article", ld: list[object] | None = None, main: str = "",
          title: str = "Harvest notes") -> str:
    scripts = "".join(f'<script type="application/ld+json">{json.dumps(item)}</script>'
                      if not isinstance(item, str) else
                      f'<script type="application/ld+json">{item}</script>'
                      for item in (ld or []))
    return (
        '<html lang="en"><head><meta name="generator" content="Wix.com Website Builder"/>'
        f'<meta property="og:type" content="{og_type}"/><meta property="og:title" '
        f'content="{title}"/>{scripts}<title>{title}</title></head><body>'
        '<div id="SITE_CONTAINER"><header id="SITE_HEADER"><div data-testid="richTextElement">'
        '<p>Willow Lane Notes</p></div><nav><a href="/">Home</a></nav></header>'
        f'<main id="PAGES_CONTAINER">{main}</main>'
        '<footer id="SITE_FOOTER"><div data-testid="richTextElement"><p>© 2035 by Willow Lane'
        " Notes. Proudly created with Wix.com</p></div></footer></div></body></html>"
    )


def _posting(**extra: object) -> dict:
    return {"@context": "https://schema.org", "@type": "BlogPosting", "headline": "Harvest notes",
            "author": {"@type": "Person", "name": "Ada Moss"},
            "datePublished": "Wed Jul 24 2024 15:39:55 GMT+0000 (Coordinated Universal Time)",
            **extra}


def _rt(inner: str) -> str:
    return f'<div data-testid="richTextElement">{inner}</div>'


ELEMENT_MAIN = (
    _rt("<h1>Harvest notes</h1>") + _rt("<p>Ada Moss</p>") + _rt("<p>Jul 24, 2024</p>")
    + _rt("<p>4 min read</p>")
    + _rt("<p>The beans came in early this year.</p><h2>Storage</h2><p>Dry them well.</p>")
    + '<div data-testid="wixui_ShareButtons_comp-1"><a>Share on Facebook</a></div>'
    + '<div data-hook="related-posts-root"><h2>Related Posts</h2>'
    '<article data-hook="post-list-item"><h3>Another post</h3></article>'
    '<article data-hook="post-list-item"><h3>A third post</h3></article></div>'
    + _rt("<p>Join our mailing list</p>")
)


def test_og_article_with_one_blogposting_is_a_post_even_with_related_posts():
    article = extract_article(_page(ld=[_posting()], main=ELEMENT_MAIN))
    assert article.page_kind == "post"
    assert article.title == "Harvest notes"
    assert article.author == "Ada Moss"
    assert article.published == "2024-07-24T15:39:55.000Z"
    assert article.reading_minutes == 4
    assert article.body_text == "The beans came in early this year.\n\nStorage\n\nDry them well."


def test_og_article_without_json_ld_is_a_post_and_its_unnamed_header_is_not_body():
    """og:type "article" is what Wix gives its post pages: with no JSON-LD to say otherwise
    the page is a post, even beside related posts; with no author in the metadata, the header
    lines under the title (name, date, reading time) are still told from the body."""
    article = extract_article(_page(main=ELEMENT_MAIN))
    assert article.page_kind == "post"
    assert article.title == "Harvest notes"
    assert article.body_text == "The beans came in early this year.\n\nStorage\n\nDry them well."
    assert article.reading_minutes == 4
    assert article.published == "2024-07-24"


def test_cards_without_post_metadata_stay_non_posts():
    # og:type website: a blog home or listing, whatever its JSON-LD says.
    website = extract_article(_page(og_type="website", ld=[_posting()], main=ELEMENT_MAIN))
    assert website.page_kind == "listing" and website.body_text == ""
    # Two different postings on one page are a list of posts, not a post.
    two = [_posting(), _posting(headline="Another post")]
    assert extract_article(_page(ld=two, main=ELEMENT_MAIN)).page_kind == "listing"
    # A Forum post is no blog post.
    forum = {"@type": "DiscussionForumPosting", "headline": "Harvest notes"}
    assert extract_article(_page(ld=[forum], main=ELEMENT_MAIN)).page_kind == "listing"


def test_tag_and_category_urls_stay_non_posts():
    main = '<div data-hook="post-list-item"><h3>A post</h3></div>'
    category = extract_article(_page(og_type="website", main=main),
                               "https://example.com/blog/categories/garden")
    tag = extract_article(_page(og_type="website", main=main),
                          "https://example.com/blog/hashtags/garden")
    assert (category.page_kind, tag.page_kind) == ("category", "tag")


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2024-07-24T15:39:55.123Z", "2024-07-24T15:39:55.123Z"),  # Wix's ISO, kept verbatim
        ("2024-07-24T15:39:55Z", "2024-07-24T15:39:55Z"),  # no milliseconds
        ("2024-07-24T17:39:55+02:00", "2024-07-24T17:39:55+02:00"),  # offset
        ("2024-07-24", "2024-07-24"),  # date only
        ("Wed Jul 24 2024 15:39:55 GMT+0000 (Coordinated Universal Time)",
         "2024-07-24T15:39:55.000Z"),  # JavaScript Date.toString()
        ("Wed Jul 24 2024 17:39:55 GMT+0200 (Central European Summer Time)",
         "2024-07-24T15:39:55.000Z"),  # ... in another zone: east of UTC, not POSIX-west
        ("Wed, 24 Jul 2024 15:39:55 GMT", "2024-07-24T15:39:55.000Z"),  # RFC 2822
        # A month or a year alone: as precise as the page gives it, no day made up.
        ("2024-06", "2024-06"),
        ("2024", "2024"),
        ("2024-13", None),
        ("2024-13-45", None),
        ("not a date", None),
        ("", None),
    ],
)
def test_machine_dates(value: str, iso: str | None):
    assert parse_machine_date(value) == iso


def test_a_month_alone_is_the_same_moment_as_a_day_in_it():
    # Meta "2024-06" beside JSON-LD "2024-06-03T…": one date at two precisions, no contradiction.
    assert same_moment("2024-06", "2024-06-03T09:13:00Z")
    assert same_moment("2024", "2024-06")
    assert not same_moment("2024-05", "2024-06-03T09:13:00Z")


@pytest.mark.parametrize(
    ("value", "language", "day"),
    [
        ("Jul 24, 2024", "en", "2024-07-24"),
        ("24 de julio de 2024", "es", "2024-07-24"),
        ("17 de dez. de 2018", "pt", "2018-12-17"),
        ("24 juil. 2024", "fr", "2024-07-24"),
        ("Jun 4", "en", None),  # no year: not a day one can name
    ],
)
def test_localised_display_dates_as_fallback(value: str, language: str, day: str | None):
    assert parse_display_date(value, language) == day


def test_visible_date_is_the_fallback_when_the_head_has_none():
    posting = _posting()
    del posting["datePublished"]
    article = extract_article(_page(ld=[posting], main=ELEMENT_MAIN))
    assert article.published == "2024-07-24"
    assert any("visible date" in w for w in article.warnings)


def test_malformed_json_ld_warns_and_visible_metadata_wins():
    bad = '{"@type": "BlogPosting", "headline": "Harvest notes",'
    article = extract_article(_page(ld=[bad, _posting()], main=ELEMENT_MAIN))
    assert article.page_kind == "post"
    assert "malformed JSON-LD ignored" in article.warnings
    assert article.body_text.startswith("The beans came in early")


def test_duplicated_json_ld_counts_once():
    article = extract_article(_page(ld=[_posting(), _posting()], main=ELEMENT_MAIN))
    assert article.page_kind == "post"
    assert "duplicated JSON-LD posting counted once" in article.warnings


def test_json_ld_contradicting_the_page_loses_with_a_warning():
    wrong = _posting(headline="An old SEO headline",
                     dateModified="2020-01-01T00:00:00.000Z")
    page = _page(ld=[wrong], main=ELEMENT_MAIN).replace(
        "<title>", '<meta property="article:modified_time" content="2024-07-25T08:00:00.000Z"/>'
                   "<title>")
    article = extract_article(page)
    assert article.title == "Harvest notes"
    assert any("differs from its metadata" in w for w in article.warnings)
    assert article.modified == "2024-07-25T08:00:00.000Z"
    assert any("contradicts the meta" in w for w in article.warnings)


def test_blogposting_with_no_text_gives_an_empty_body_with_a_warning():
    page = _page(ld=[_posting()], main="").replace("Willow Lane Notes", "").replace(
        "© 2035 by Willow Lane Notes. Proudly created with Wix.com", "")
    article = extract_article(page)
    assert article.page_kind == "post"
    assert article.body_text == ""
    assert any("empty" in w for w in article.warnings)
    empty = extract_article('<html><head><meta property="og:type" content="article"/>'
                            f'<script type="application/ld+json">{json.dumps(_posting())}'
                            "</script></head><body></body></html>")
    assert empty.body_text == "" and empty.warnings


def test_unknown_layout_falls_back_to_the_main_region_with_a_warning():
    paragraphs = [
        "Every autumn the orchard fills with the smell of apples and woodsmoke, and the "
        "neighbours come by with baskets to help with the picking before the first frost.",
        "We press most of the crop into juice, which keeps through the winter in the cellar "
        "if the bottles are scalded and sealed the same afternoon they are filled.",
        "The rest goes into sauce, chutney and a handful of pies that never last the week.",
    ]
    main = ("<div><h1>Harvest notes</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
            + "</div>")
    article = extract_article(_page(ld=[_posting()], main=main))
    assert article.page_kind == "post"
    assert UNKNOWN_LAYOUT_WARNING in article.warnings
    for paragraph in paragraphs:
        assert paragraph in article.body_text
    assert "Proudly created" not in article.body_text
    assert "Willow Lane Notes" not in article.body_text


def test_crawl_summary_counts_posts_in_an_unknown_layout():
    stats = {"wixarchive/new": 5, "wixarchive/unknown_layout": 2}
    summary = summarize("https://example.com", stats, "finished", [])
    assert summary.counts["unknown_layout"] == 2
    assert "2 in an unknown page layout" in summary.message
    plain = summarize("https://example.com", {"wixarchive/new": 5}, "finished", [])
    assert "unknown_layout" not in plain.counts and "unknown" not in plain.message


def test_structure_decides_what_is_body_not_the_site():
    main = (
        '<section>' + _rt('<p><a href="/blog/categories/garden">Garden</a></p>')
        + _rt("<h1>Harvest notes</h1>")
        + _rt('<p><a href="/blog/categories/garden">Garden</a> <a href="/blog/tags/beans">'
              "beans</a></p>")
        + "</section><section>"
        + _rt("<p>The beans came in early this year.</p>")
        + '<div class="wixui-image"><wow-image data-image-info=\'{"imageData":{"uri":'
          '"abc_123~mv2.jpg"}}\'><img src="https://static.wixstatic.com/media/abc_123~mv2.jpg'
          '/v1/fill/w_49,h_30,blur_2/abc.jpg"/></wow-image></div>'
        + _rt("<p>Dry them well.</p>")
        + "</section><section>" + _rt("<h2>Join our mailing list</h2>")
        + "<form><input type='email'/></form></section>"
    )
    article = extract_article(_page(ld=[_posting()], main=main))
    assert article.body_text == "The beans came in early this year.\n\nDry them well."
    assert article.images == ["https://static.wixstatic.com/media/abc_123~mv2.jpg"]


def test_element_built_taxonomy_is_the_posts_own_links_only():
    cards = ('<div data-hook="related-posts-root"><article data-hook="post-list-item">'
             '<a href="/blog/categories/kitchen">Kitchen</a><h3>Another post</h3></article></div>')
    main = (
        # The site's text element of category links, then its banner: not the post header.
        '<section>' + _rt('<p><a href="/blog/categories/news">News</a></p>')
        + _rt("<p>Welcome to the garden blog</p>")
        + '<nav><a href="/blog/categories/recipes">Recipes</a></nav>'
        # The post's categories right above the title, two links and a separator.
        + _rt('<p><a href="https://example.com/blog/categories/garden">Garden</a> · '
              '<a href="../blog/categories/harvest.html">Harvest</a></p>')
        + _rt("<h1>Harvest notes</h1>") + _rt("<p>Ada Moss · Jul 24, 2024 · 4 min read</p>")
        + "</section><section>"
        + _rt("<p>The beans came in early this year, and the "
              '<a href="/blog/categories/garden/page/2">older posts</a> say why.</p>')
        + _rt("<p>Dry them well.</p>")
        # The post's tags after its body, with a label: not body, and the body's end.
        + _rt('<p>Tags: <a href="/blog/tags/beans">beans</a>, '
              '<a href="/blog/hashtags/DryStorage">#DryStorage</a></p>')
        + _rt("<p>Thanks for reading our other posts too.</p>")
        + "</section>" + cards
    )
    article = extract_article(_page(ld=[_posting()], main=main))
    assert article.categories == ["Garden", "Harvest"]
    assert article.tags == ["beans", "DryStorage"]
    assert article.body_text == ("The beans came in early this year, and the older posts say "
                                 "why.\n\nDry them well.")

    # The blog app's tag cloud (a <nav>) placed after the body ends it and names the tags.
    cloud = ('<nav aria-label="Tags" data-hook="tag-cloud-root"><a href="/blog/tags/beans">'
             "beans</a><a href=\"/blog/tags/jam\">jam</a></nav>")
    main = (_rt("<h1>Harvest notes</h1>") + _rt("<p>The beans came in early this year.</p>")
            + cloud + _rt("<p>Join our mailing list</p>") + cards)
    article = extract_article(_page(ld=[_posting()], main=main))
    assert (article.categories, article.tags) == ([], ["beans", "jam"])
    assert article.body_text == "The beans came in early this year."
    # The same cloud above the title is a site-wide widget: no tags.
    main = cloud + _rt("<h1>Harvest notes</h1>") + _rt("<p>The beans came in early.</p>")
    assert extract_article(_page(ld=[_posting()], main=main)).tags == []


def test_post_content_widget_among_elements_and_item_page_json_ld():
    item_page = {"@context": "https://schema.org", "@type": "ItemPage",
                 "mainEntity": _posting()}
    main = (_rt("<h1>Harvest notes</h1>")
            + '<div data-rce-version="10.1"><div data-id="content-viewer">'
              "<p>The beans came in early this year.</p></div></div>"
            + '<div data-hook="related-posts-root"><article data-hook="post-list-item">'
              "<h3>Another post</h3></article></div>")
    article = extract_article(_page(ld=[item_page], main=main))
    assert article.page_kind == "post"
    assert article.body_text == "The beans came in early this year."
    # The widget is the blog's Ricos viewer (white-space: pre-wrap): a newline breaks the line.
    lines = _page(ld=[item_page], main=main.replace("early this", "early\nthis"))
    assert extract_article(lines).body_text == "The beans came in early\nthis year."


def test_page_without_a_main_region_still_drops_header_and_footer():
    page = _page(ld=[_posting()], main=ELEMENT_MAIN).replace(
        '<main id="PAGES_CONTAINER">', "<div>").replace("</main>", "</div>").replace(
        "<header id=", '<div id="SITE_HEADER_WRAPPER"><header id=').replace(
        "</header>", "</header></div>")
    article = extract_article(page)
    assert article.body_text == "The beans came in early this year.\n\nStorage\n\nDry them well."


def test_non_wix_article_with_blogposting_stays_not_wix():
    page = _page(ld=[_posting()], main="<article><h1>Harvest notes</h1><p>"
                 + "The beans came in early this year and the rows were full. " * 8
                 + "</p></article>").replace(
        '<meta name="generator" content="Wix.com Website Builder"/>', "").replace(
        '<div id="SITE_CONTAINER">', "<div>")
    article = extract_article(page)
    assert article.page_kind == "not-wix"
    assert UNKNOWN_LAYOUT_WARNING not in article.warnings


REALWORLD = realworld_corpus()


def _element_variants():
    """benchmarks/element_layouts.py's rewrite of each real post into the element-built layout."""
    if not (REALWORLD / "truth").is_dir():
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "element_layouts.py"
    spec = importlib.util.spec_from_file_location("element_layouts", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for truth_file in sorted((REALWORLD / "truth").glob("*.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        raw = (REALWORLD / "html" / truth["file"]).read_bytes()
        for shape in module.SHAPES:
            variant = module.element_variant(raw, truth, shape)
            if variant is not None:
                yield f"{shape}: {truth['file']}", *variant


def test_element_built_variants_of_real_pages_keep_real_chrome_out():
    """Real headers, footers and site-wide elements around an element-built post."""
    checked = 0
    for name, html, truth in _element_variants():
        article = extract_article(html)
        assert article.page_kind == "post", name
        assert article.body_text == "\n\n".join(truth["body"]), name
        assert article.title == " ".join(truth["title"].split()), name
        assert article.published == truth["published"], name
        assert find_chrome(article.body_text) == [], name
        if truth.get("reading_minutes") is not None:
            assert article.reading_minutes == truth["reading_minutes"], name
        checked += 1
    assert checked >= 20


def test_title_located_by_the_headline_not_by_a_banner_h1():
    main = (
        _rt("<h1>Blog</h1>")  # a banner on the page, above the post
        + _rt('<p class="font_0">Harvest notes</p>')  # the title, styled, not an h1
        + '<a href="/profile/ada-moss/profile"><wow-image><img width="40" height="40" '
          'src="https://static.wixstatic.com/media/avatar~mv2.jpg"/></wow-image>'
          "<span>Ada Moss</span></a>"
        + _rt("<p>Ada Moss · Jul 24, 2024 · 4 min read</p>")
        + '<div class="wixui-social-bar"><a href="https://facebook.com/x"><img width="24" '
          'height="24" src="https://static.wixstatic.com/media/fb~mv2.png"/></a></div>'
        + _rt("<p>The beans came in early this year.</p>")
        + '<div data-hook="comments-root"><p>Write a comment</p></div>'
    )
    page = _page(ld=[_posting(headline=None)], main=main, title="Harvest notes | Willow Lane")
    article = extract_article(page)
    assert article.title == "Harvest notes"
    assert article.body_text == "The beans came in early this year."
    assert article.images == []
    assert article.reading_minutes == 4


def _shaped(blog: SampleBlog, layout: str, marker: str) -> list:
    """The sample blog's posts of one layout whose page shows a given structural shape."""
    site = Site(blog, BASE)
    pages = [(post, post_page(site, post)) for post in blog.posts if post.layout == layout]
    shaped = [(post, html) for post, html in pages if marker in html]
    assert shaped, f"no {layout} page with {marker!r}: the fixture lost this shape"
    return shaped


@pytest.mark.parametrize(("layout", "marker", "label"), [
    ("elements", "Share this post:", "Share this post:"),  # a share row's label, above the body
    ("cms", "comp-relatedlabel", "Related Posts"),  # a heading element above related posts
])
def test_a_label_element_above_a_share_row_or_related_posts_is_not_body(
        blog: SampleBlog, layout: str, marker: str, label: str):
    for post, html in _shaped(blog, layout, marker):
        article = extract_article(html, BASE + post.url_path)
        assert article.body_text == post.expected()["body_text"]
        assert label not in article.body_text and label not in article.body_html


def test_header_lines_one_paragraph_each(blog: SampleBlog):
    split = [(post, html) for post, html in _shaped(blog, "elements", "comp-meta")
             if " · " not in html.split("comp-meta", 1)[1][:800]]  # author, date, time apart
    assert split
    for post, html in split:
        article = extract_article(html, BASE + post.url_path)
        assert article.reading_minutes == post.reading_minutes
        assert article.body_text == post.expected()["body_text"]


def test_header_in_the_sites_ui_language_whatever_the_page_declares(blog: SampleBlog):
    """A French blog left at lang="en" prints its CMS header as "25 avr." and "2 min de
    lecture": still the header, not the body's first paragraphs."""
    months = {"Jan": "janv.", "Feb": "févr.", "Mar": "mars", "Apr": "avr.", "May": "mai",
              "Jun": "juin", "Jul": "juil.", "Aug": "août", "Sep": "sept.", "Oct": "oct.",
              "Nov": "nov.", "Dec": "déc."}

    def french(match: re.Match[str]) -> str:
        month, day, year = match.group(2), match.group(3), match.group(4) or ""
        return f"{match.group(1)}{day} {months[month]}{year}<"

    for post, html in _shaped(blog, "cms", "comp-readtime"):
        assert 'lang="en"' in html
        html = re.sub(r'(id="comp-date"[^>]*><p[^>]*>)([A-Z][a-z]{2}) (\d{1,2})(, \d{4})?<',
                      french, html)
        html = html.replace(f"{post.reading_minutes} min read",
                            f"{post.reading_minutes} min de lecture")
        article = extract_article(html, BASE + post.url_path)
        assert article.reading_minutes == post.reading_minutes
        assert article.body_text == post.expected()["body_text"]


def test_wix_guard_spaces_are_not_text(blog: SampleBlog):
    for post, html in _shaped(blog, "elements", "\u200b"):
        article = extract_article(html, BASE + post.url_path)
        assert article.title == post.title
        assert "\u200b" not in article.body_text and "\u200b" not in article.body_html


def test_cms_item_page_bound_to_a_posting_is_a_post_whatever_its_og_type(blog: SampleBlog):
    for post, html in _shaped(blog, "cms", '"@type":"ItemPage"'):
        assert 'property="og:type" content="website"' in html
        article = extract_article(html, BASE + post.url_path)
        assert article.page_kind == "post", article.warnings
        assert article.body_text == post.expected()["body_text"]
        assert not any("generic head" in w for w in article.warnings)


def test_disagreeing_copies_of_one_posting_count_once_and_the_meta_wins(blog: SampleBlog):
    for post, html in _shaped(blog, "cms", "BlogPosting"):
        if html.count('"@type":"BlogPosting"') < 2:
            continue
        article = extract_article(html, BASE + post.url_path)
        assert article.page_kind == "post"
        assert article.modified == post.expected()["modified"]  # article:modified_time's
        assert any("postings of the same post disagree" in w for w in article.warnings)
    # Postings of two different posts still do not make a page a post.
    other = _posting(headline="Another post entirely", url="https://example.com/post/other")
    article = extract_article(_page(ld=[_posting(), other], main=ELEMENT_MAIN))
    assert article.page_kind != "post" and article.body_text == ""


def test_a_short_last_line_or_a_month_line_stays_body():
    main = (_rt("<h1>Harvest notes</h1>") + _rt("<p>Ada Moss · Jul 24, 2024</p>")
            + _rt("<p>Updated: Jul 25, 2024</p>")  # a labelled date line: header, not body
            + _rt("<p>September 2024</p>")  # a dateline that starts the text, not the header
            + _rt("<p>The beans came in early this year.</p>")
            + _rt("<p>Foto: © Ada Moss</p>")  # a photo credit ends the post
            + '<div data-testid="wixui_ShareButtons_comp-1"><a>Share</a></div>')
    article = extract_article(_page(ld=[_posting()], main=main))
    assert article.body_text == ("September 2024\n\nThe beans came in early this year.\n\n"
                                 "Foto: © Ada Moss")
    assert parse_display_date("September 2024", "en") is None


SHORT_BODIES = {  # an edited post's new body: a heading, paragraphs, then new images
    "1 word": (None, ["Closed"], 0),
    "3 words": (None, ["Back next week"], 0),
    "12 words": (None, ["The greenhouse is finished and the first seedlings go in next week."],
                 0),
    "an image only": (None, [], 1),
    # Shaped like a label ("Related Posts", "Share this post:"), but in the post's own text
    # section, not beside the block below it.
    "a short heading": ("Closed for the winter", [], 0),
    "a line ending in a colon": (None, ["New photos below:"], 0),
    "a heading ending in a colon": ("Opening hours:", [], 0),
}


@pytest.mark.parametrize("body", SHORT_BODIES)
def test_a_short_element_built_post_is_its_own_body_never_other_posts(body: str):
    """A post edited to a few words (or one photo), right under its title and header: that is
    the body, never the related posts below it and never the generic fallback."""
    heading, paragraphs, images = SHORT_BODIES[body]
    blog = SampleBlog(seed=5, post_count=24)
    site = Site(blog, BASE)
    posts = [post for post in blog.posts if post.layout in ("elements", "cms")]
    assert {post.layout for post in posts} == {"elements", "cms"}
    for post in posts:  # every shape of both layouts
        blog.edit_post(post.slug, paragraphs=paragraphs, images=images, heading=heading)
        article = extract_article(post_page(site, post), BASE + post.url_path)
        expected = post.expected()
        assert article.body_text == expected["body_text"], (post.slug, article.warnings)
        assert article.images == expected["images"] and len(article.images) == images
        assert UNKNOWN_LAYOUT_WARNING not in article.warnings
        for other in blog.posts:
            if other is not post:
                assert other.title not in article.body_html, post.slug
        for leak in LEAKS:
            assert leak not in article.body_html, leak


def _section(inner: str) -> str:
    return f'<section><div class="column">{inner}</div></section>'


RELATED = ('<div data-hook="related-posts-root"><a href="/blog">See All</a>'
           '<article data-hook="post-list-item"><h3>Another post</h3></article>'
           '<article data-hook="post-list-item"><h3>A third post</h3></article></div>')


@pytest.mark.parametrize("body", ["<h2>Closed for the winter</h2>", "<p>New photos below:</p>"])
def test_a_label_beside_its_block_is_dropped_but_a_one_line_body_above_it_is_kept(body: str):
    """Only the element's place tells a label from a one-line post: a label sits beside the
    block it names (in its container), the post's text in a section of its own."""
    header = _section(_rt("<h1>Harvest notes</h1>") + _rt("<p>Ada Moss · Jul 24, 2024</p>"))
    labelled = _section(_rt("<h2>Recent Posts</h2>") + RELATED)
    share = _section(_rt("<p>Share this post:</p>")
                     + '<div data-testid="wixui_ShareButtons_comp-1"><a>Share</a></div>')
    text = re.sub("<[^>]+>", "", body)
    for main in (header + _section(_rt(body)) + labelled,  # right above a labelled block
                 header + _section(_rt(body)) + _section(RELATED),  # above the cards
                 header + _section(_rt(body)) + share + labelled):  # above a share row
        article = extract_article(_page(ld=[_posting()], main=main))
        assert article.body_text == text, main
        assert UNKNOWN_LAYOUT_WARNING not in article.warnings
    # The same line beside the block is its label; labels beside blocks after a body go too.
    article = extract_article(_page(ld=[_posting()], main=header + _section(
        _rt("<p>The beans came in early this year.</p>") + _rt(body) + RELATED)))
    assert article.body_text == "The beans came in early this year."
    article = extract_article(_page(ld=[_posting()], main=header + _section(
        _rt("<p>The beans came in early this year.</p>")) + share + labelled))
    assert article.body_text == "The beans came in early this year."


def test_unknown_layout_never_takes_other_posts_cards_as_the_body():
    """The generic path on a page no layout knows: its cards of other posts (no blog-app
    hooks, only links to other posts) and their heading are never the body, however short
    the post is."""
    blog = SampleBlog(seed=5, post_count=6)
    site = Site(blog, BASE)
    long = ("Every autumn the orchard fills with the smell of apples and woodsmoke, and the "
            "neighbours come by with baskets to help with the picking before the first frost.")
    for paragraphs in (["Closed"], ["Back next week"], [long]):
        post = blog.add_post(title="A post in a layout nobody knows", paragraphs=paragraphs,
                             layout="unknown")
        html = post_page(site, post)
        others = [other for other in blog.posts if other is not post][:3]
        assert all(BASE + other.url_path in html for other in others)  # the cards are there
        article = extract_article(html, BASE + post.url_path)
        assert UNKNOWN_LAYOUT_WARNING in article.warnings
        assert article.body_text == post.expected()["body_text"]
        assert "Keep reading" not in article.body_text


def test_generic_path_drops_the_blog_apps_card_widgets_but_keeps_links_in_prose():
    url = "https://example.com/post/harvest-notes"
    prose = ('<p>The stall is closed until May, when the first beans come in.</p>'
             '<p>Meanwhile, see <a href="/post/beans">the beans</a> and '
             '<a href="/post/apples">the apples</a>.</p>')
    cards = "".join(f'<article data-hook="post-list-item"><a href="/post/{slug}"><h3>{title}'
                    f"</h3></a><p>An excerpt of {title}.</p></article>"
                    for slug, title in (("beans", "Bean diary"), ("apples", "Apple days")))
    main = (f"<div><h1>Harvest notes</h1>{prose}</div>"
            f'<div><h2>Recent Posts</h2><div data-hook="recent-posts">{cards}</div></div>')
    article = extract_article(_page(ld=[_posting()], main=main), url)
    assert UNKNOWN_LAYOUT_WARNING in article.warnings
    assert article.body_text == ("The stall is closed until May, when the first beans come "
                                 "in.\n\nMeanwhile, see the beans and the apples.")



_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TR_MONTHS = ("Oca", "Şub", "Mar", "Nis", "May", "Haz", "Tem", "Ağu", "Eyl", "Eki", "Kas", "Ara")
_AR_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
              "أكتوبر", "نوفمبر", "ديسمبر")
_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _localised_header(language: str, day: int, month: int, year: int, minutes: int,
                      ) -> tuple[str, str]:
    """A visible date and reading time as Wix prints them in Turkish, Arabic and Korean."""
    if language == "tr":
        return f"{day} {_TR_MONTHS[month - 1]} {year}", f"{minutes} dakikada okunur"
    if language == "ar":
        return (f"{day} {_AR_MONTHS[month - 1]} {year}".translate(_AR_DIGITS),
                f"{minutes} دقائق قراءة".translate(_AR_DIGITS))
    return f"{year}년 {month}월 {day}일", f"{minutes}분 분량"


_SHOWN_DATE = re.compile(r">(" + "|".join(_EN_MONTHS) + r") (\d{1,2})(?:, (\d{4}))?<")


@pytest.mark.parametrize("language", ["ar", "ko", "tr"])
@pytest.mark.parametrize("layout", ["elements", "cms"])
def test_an_element_built_header_in_another_locale_leaves_the_body(
        blog: SampleBlog, layout: str, language: str) -> None:
    """The header's reading time in words the extractor's pattern lacks ("1 dakikada okunur",
    "١ دقائق قراءة", "1분 분량"), right after the date: before, a CMS item page kept it as the
    body's first paragraph, and neither layout read the minutes."""
    site = Site(blog, BASE)
    for post in [p for p in blog.posts if p.layout == layout][:3]:
        expected = post.expected()
        published = post.published
        shown, minutes = _localised_header(language, published.day, published.month,
                                           published.year, post.reading_minutes)
        html = post_page(site, post).replace('<html lang="en">', f'<html lang="{language}">')
        html = _SHOWN_DATE.sub(">" + shown + "<", html.replace(
            f"{post.reading_minutes} min read", minutes))
        article = extract_article(html, BASE + post.url_path)
        assert article.body_text == expected["body_text"], (language, post.slug)
        assert article.reading_minutes == expected["reading_minutes"], (language, post.slug)
