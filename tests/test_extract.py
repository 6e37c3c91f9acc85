"""extract_article on hand-written fixtures mirroring the two Wix post layouts and other pages."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from crawler.clean.html import find_chrome
from crawler.extract import extract_article
from crawler.extract.elements import UNKNOWN_LAYOUT_WARNING
from crawler.extract.record import PAGE_KINDS

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture_text(name: str) -> str:
    return fixture(name).decode("utf-8")


@pytest.fixture(scope="module")
def classic():
    return extract_article(fixture("classic_post.html"))


@pytest.fixture(scope="module")
def new():
    return extract_article(fixture("new_post.html"))


# --- classic layout -------------------------------------------------------------------------


def test_classic_metadata(classic):
    assert classic.page_kind == "post"
    assert classic.title == 'Five Ways to Water a "Fern"'
    assert classic.author == "Ada Gardener"
    assert classic.published == "2021-04-05T09:10:11.123Z"
    assert classic.modified == "2021-05-06T10:11:12.456Z"
    assert classic.reading_minutes == 3
    assert classic.categories == ["Care", "Indoor Plants"]
    assert classic.language == "en"
    assert classic.site_name == "Example Garden"
    assert classic.canonical_url == "https://www.example-garden.com/post/five-ways-to-water-a-fern"
    assert classic.url == classic.canonical_url  # no URL given: canonical stands in
    assert classic.warnings == []


def test_classic_body_blocks(classic):
    assert classic.body_text.split("\n\n") == [
        "Ferns like steady moisture, not floods.",
        "Why it matters",
        "Dry fronds curl first.\nThen they brown.",
        "Water at the base.",
        "Use rain water when you can.",
        "A fern is a patient plant.",
        "Read the full care sheet.",
    ]


def test_text_outside_paragraphs_and_code_blocks():
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">',
        "<div><table><tr><td>Fern</td><td>Weekly</td></tr></table></div>"
        "<pre>water(fern)\n  repeat()</pre>"
        '<div id="viewer-b"><a data-hook="buttonViewer" href="https://example.org/book">'
        '<div>Book a visit</div></a></div><p id="viewer-a8">',
    )
    article = extract_article(html)
    blocks = article.body_text.split("\n\n")
    assert "Fern" in blocks and "Weekly" in blocks
    assert "```\nwater(fern)\n  repeat()\n```" in article.body_markdown
    # A call-to-action button is a link in the HTML, not a paragraph of the post.
    assert re.search(r'<a href="https://example.org/book"[^>]*>Book a visit</a>', article.body_html)
    assert "<pre>water(fern)\n  repeat()</pre>" in article.body_html
    assert "Book a visit" not in article.body_text


# A paragraph written as lines (Shift+Enter in the blog's editor): Wix serves the newlines in
# the text, and the Ricos viewer's `white-space: pre-wrap` shows one line each.
LINES = ('<p id="viewer-l1"><span>- Publish on set days\n- Know your audience \n'
         "- Subtitle your videos</span></p>"
         '<p id="viewer-l2"><span><strong>Course summary</strong><span>\n</span>'
         "<span>Hands-on training.</span><span>\n</span></span></p>")


def test_newlines_in_ricos_text_are_line_breaks():
    html = fixture_text("classic_post.html").replace('<p id="viewer-a8">',
                                                     LINES + '<p id="viewer-a8">')
    article = extract_article(html)
    blocks = article.body_text.split("\n\n")
    assert "- Publish on set days\n- Know your audience\n- Subtitle your videos" in blocks
    assert "Course summary\nHands-on training." in blocks  # the trailing one shows nothing
    assert ("<p>- Publish on set days<br>- Know your audience<br>- Subtitle your videos</p>"
            in article.body_html)
    assert "<p><strong>Course summary</strong><br>Hands-on training.</p>" in article.body_html
    # Markdown hard breaks; a "- " starting a line stays text, not a list item.
    assert ("\\- Publish on set days  \n\\- Know your audience  \n\\- Subtitle your videos"
            in article.body_markdown)
    assert "**Course summary**  \nHands-on training." in article.body_markdown


def test_pretty_printed_body_and_other_text_collapse_newlines():
    # A re-indented copy (a newline and indentation between tags) wraps lines as it likes.
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">', '<div>\n    <p id="viewer-l1">\n      <span>Ferns like shade\n'
        '      and water</span>\n    </p>\n  </div><p id="viewer-a8">')
    assert "Ferns like shade and water" in extract_article(html).body_text.split("\n\n")
    # Outside a Ricos viewer (an element-built page's rich text), as everywhere in HTML.
    page = ('<html><head><meta property="og:type" content="article"/><title>Harvest notes'
            '</title><meta name="generator" content="Wix.com Website Builder"/></head><body>'
            '<main id="PAGES_CONTAINER"><div data-testid="richTextElement"><h1>Harvest notes'
            '</h1></div><div data-testid="richTextElement"><p>The beans\ncame early.</p>'
            "</div></main></body></html>")
    assert extract_article(page).body_text == "The beans came early."


def test_text_straight_in_containers_is_kept_as_paragraphs():
    """Markup not written by the blog's editor (older posts, pasted HTML): text in a <div>, in
    <span>s with no <p>, in a table cell's <div>, and between paragraphs, all in order."""
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">',
        "<div>Loose words in a div, <span>a span</span> and <b>bold</b>.</div>"
        "<section><span>Two</span> <span>spans</span></section>"
        "<table><tr><td><div>Cell in a div</div></td></tr></table>"
        "<div><p>Inside a paragraph</p>Between paragraphs<p>Again inside</p>At the end</div>"
        '<div><a data-hook="buttonViewer" href="https://example.org/book">Book</a></div>'
        '<p id="viewer-a8">',
    )
    blocks = extract_article(html).body_text.split("\n\n")
    start = blocks.index("Loose words in a div, a span and bold.")
    assert blocks[start:start + 7] == [
        "Loose words in a div, a span and bold.", "Two spans", "Cell in a div",
        "Inside a paragraph", "Between paragraphs", "Again inside", "At the end"]
    assert "Book" not in blocks


def test_nested_list_keeps_text_after_it():
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">',
        '<ul><li>Outer<ul><li>Inner</li></ul>and after</li></ul><p id="viewer-a8">',
    )
    article = extract_article(html)
    assert "Outer and after\n\nInner" in article.body_text


def test_categories_linked_with_generic_hook():
    html = fixture_text("classic_post.html").replace(
        'data-hook="category-label-list__item"', 'data-hook="link"'
    )
    assert extract_article(html).categories == ["Care", "Indoor Plants"]


def test_spacer_paragraphs_dropped(classic):
    assert "\n\n\n" not in classic.body_text
    assert "<p></p>" not in classic.body_html
    assert not re.search(r"<p>\s*</p>", classic.body_html)


def test_structure_kept_in_html_and_markdown(classic):
    html = classic.body_html
    assert "<h2>Why it matters</h2>" in html
    assert "<ol>" in html and "<li>Water at the base.</li>" in html
    assert "<blockquote>A fern is a patient plant.</blockquote>" in html
    assert '<a href="https://ferns.example.org/care?x=1&amp;y=2"' in html
    assert "<strong>steady</strong>" in html
    md = classic.body_markdown
    assert "## Why it matters" in md
    assert "1. Water at the base.\n2. Use rain water when you can." in md
    assert "> A fern is a patient plant." in md
    assert "[full care sheet](https://ferns.example.org/care?x=1&y=2)" in md


def test_body_html_is_sanitized(classic):
    for bad in ("<script", "<style", "<svg", "<button", "style=", "class=", "data-hook"):
        assert bad not in classic.body_html


def test_images_full_size_not_placeholder(classic):
    # The original upload, not the 49 px blurred placeholder in <img src>.
    assert classic.images == [
        "https://static.wixstatic.com/media/ab12cd_1111111111111111111111111111beef~mv2.jpg"
    ]
    assert "blur_" not in classic.body_html
    # og:image is a scaled-down rendition; the cover is the original too.
    assert classic.cover_image == (
        "https://static.wixstatic.com/media/ab12cd_0000000000000000000000000000cafe~mv2.jpg"
    )


def test_non_wix_images_kept_as_given():
    html = fixture_text("classic_post.html").replace(
        "https://static.wixstatic.com/media/ab12cd_0000000000000000000000000000cafe~mv2.jpg"
        "/v1/fill/w_980,h_650/fern.jpg",
        "https://i.ytimg.com/vi/abc/maxresdefault.jpg",
    )
    assert extract_article(html).cover_image == "https://i.ytimg.com/vi/abc/maxresdefault.jpg"


@pytest.mark.parametrize(("name", "day"), [("classic_post.html", "2021-04-05"),
                                          ("new_post.html", "2023-02-01")])
def test_a_page_without_head_dates_takes_the_day_its_post_header_shows(name, day):
    """A copy saved without its <head> metadata, or a site whose SEO settings dropped it: the
    header's "Apr 5, 2021" / "1 feb 2023" gives the day (not a Recent Posts card's date)."""
    html = re.sub(r'<script[^>]*application/ld\+json[^>]*>.*?</script>', "",
                  fixture_text(name), flags=re.S)
    html = re.sub(r'<meta[^>]+property="article:[^>]*>', "", html)
    article = extract_article(html)
    assert article.published == day
    assert any("post header" in warning for warning in article.warnings)
    # "5 hours ago", or a day with no year ("Apr 5"), says too little: no date rather than a guess.
    for shown in ("5 hours ago", "Apr 5"):
        vague = extract_article(re.sub(r'(data-hook="time-ago"[^>]*>)[^<]*', rf"\g<1>{shown}",
                                       html))
        assert vague.published is None
        assert any("no published date" in warning for warning in vague.warnings)


@pytest.mark.parametrize("name", ["classic_post.html", "new_post.html"])
def test_no_chrome_leaks(name):
    article = extract_article(fixture(name))
    for form in (article.body_text, article.body_markdown, article.body_html):
        assert find_chrome(form) == []
    # Recent Posts cards carry their own post-description: never part of the body.
    assert "Monstera" not in article.body_text
    assert "ballestrinque" not in article.body_text
    assert "Proudly created" not in article.body_text


# --- new layout -------------------------------------------------------------------------------


def test_new_layout_metadata(new):
    assert new.page_kind == "post"
    assert new.title == "Cómo leer una carta náutica"
    assert new.author == "Lucía Marinera"
    assert new.published == "2023-02-01T08:00:00.000Z"
    assert new.reading_minutes == 4
    assert new.tags == ["navegación", "cartas"]
    assert new.categories == ["Técnica"]
    assert new.language == "es"
    # The free-plan URL keeps its /<site>/ prefix.
    assert new.url == "https://marinero123.wixsite.com/mi-sitio/post/como-leer-una-carta-nautica"


def test_new_layout_body_lists_captions_galleries_video(new):
    assert new.body_text.split("\n\n") == [
        "Una carta náutica es un mapa del fondo marino.",
        "Las sondas",
        "Números en metros.",
        "Bajamar escorada.",
        "Líneas de igual profundidad.",
        "Carta del estrecho, edición de 1998",
        "Buena proa.",
    ]
    assert "<figcaption>Carta del estrecho, edición de 1998</figcaption></figure>" in new.body_html
    assert '<a href="https://www.youtube.com/embed/abcdefghijk"' in new.body_html
    assert "   - Bajamar escorada." in new.body_markdown  # nested list item


def test_new_layout_images_from_image_info_and_gallery(new):
    # Mirror-relative URLs are restored to the Wix media host; the blurred twin is skipped.
    assert new.images == [
        "https://static.wixstatic.com/media/9f9f9f_3333333333333333333333333333bbbb~mv2.jpg",
        "https://static.wixstatic.com/media/9f9f9f_4444444444444444444444444444cccc~mv2.jpg",
    ]


def test_json_ld_entities_decoded(new):
    assert new.description == "Rumbos, sondas y boyas. Todo en una carta."


def test_relative_links_resolved_against_given_url():
    url = "https://marinero123.wixsite.com/mi-sitio/post/como-leer-una-carta-nautica?lang=es"
    article = extract_article(fixture("new_post.html"), url)
    assert article.url == url
    assert 'href="https://marinero123.wixsite.com/mi-sitio/blog/glosario.html"' in article.body_html


def test_rtl_page():
    html = fixture_text("classic_post.html").replace(
        '<html lang="en">', '<html lang="ar" dir="rtl">'
    )
    html = html.replace("Ferns like", "السرخس يحب")
    article = extract_article(html)
    assert article.language == "ar"
    assert article.body_text.startswith("السرخس يحب steady moisture")
    assert article.body_html.startswith('<p dir="auto">السرخس يحب')
    assert "<h2>Why it matters</h2>" in article.body_html  # left-to-right blocks unmarked


# --- fallbacks when the owner hid header fields ------------------------------------------------


def _without_h1(html: str) -> str:
    return re.sub(r'<div data-hook="post-title">.*?</div>', "", html, flags=re.S)


def test_title_falls_back_to_json_ld_with_entities_decoded():
    article = extract_article(_without_h1(fixture_text("classic_post.html")))
    assert article.title == 'Five Ways to Water a "Fern"'


def test_title_falls_back_to_og_then_title_tag():
    html = _without_h1(fixture_text("classic_post.html"))
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    html = html.replace('content="Five Ways to Water a Fern "', 'content="OG title"')
    assert extract_article(html).title == "OG title"
    html = re.sub(r'<meta property="og:title"[^>]*>', "", html)
    assert extract_article(html).title == "Five Ways to Water a Fern"


def test_hidden_date_and_author_fall_back_to_meta():
    html = fixture_text("classic_post.html")
    html = re.sub(r'<span class="post-metadata__date.*?</span>', "", html)
    html = re.sub(r'<a data-hook="profile-link".*?</a>', "", html)
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    article = extract_article(html)
    assert article.author == "Ada Gardener"
    assert article.published == "2021-04-05T09:10:11.123Z"


def test_date_from_json_ld_when_meta_absent():
    html = re.sub(r'<meta property="article:[a-z_]+"[^>]*>', "", fixture_text("new_post.html"))
    article = extract_article(html)
    assert article.published == "2023-02-01T08:00:00.000Z"
    assert article.modified == "2023-02-03T09:30:00.000Z"


def test_post_id_from_comments_widget():
    html = fixture_text("classic_post.html").replace(
        '</article>\n<div data-hook="recent-posts">',
        '</article><div class="wc-comments-root" data-hook="wc-root 5f0c1a2b3c4d5e6f70819293">'
        '<h2 data-hook="wc-header-title">Comments</h2>'
        '<button data-hook="comment-box-placeholder">Write a comment...</button></div>'
        '\n<div data-hook="recent-posts">',
    )
    article = extract_article(html)
    assert article.post_id == "5f0c1a2b3c4d5e6f70819293"
    assert "Write a comment" not in article.body_text


# --- page classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("listing.html", "listing"),
        ("category.html", "category"),
        ("tag.html", "tag"),
        ("error_404.html", "error"),
        ("not_wix_article.html", "not-wix"),
    ],
)
def test_page_kinds(name, kind):
    article = extract_article(fixture(name))
    assert article.page_kind == kind
    assert kind in PAGE_KINDS


@pytest.mark.parametrize("name", ["listing.html", "category.html", "tag.html"])
def test_listing_pages_have_no_article_body(name):
    article = extract_article(fixture(name))
    assert article.body_text == "" and article.body_html == ""
    assert any("not a post page" in w for w in article.warnings)


def test_listing_kind_from_url_when_markup_is_generic():
    html = fixture_text("listing.html").replace("https://www.example-garden.com/blog", "x")
    url = "https://www.example-garden.com/blog/tags/ferns"
    assert extract_article(html, url).page_kind == "tag"


def test_post_without_article_element():
    html = fixture_text("new_post.html").replace(
        '<article data-hook="post">', '<div data-hook="post-x">'
    )
    html = html.replace("</footer>\n</article>", "</footer>\n</div>")
    article = extract_article(html)
    assert article.page_kind == "post"
    assert article.title == "Cómo leer una carta náutica"
    assert article.body_text.startswith("Una carta náutica es un mapa")
    assert "ballestrinque" not in article.body_text


def test_blog_home_with_inline_post_is_a_listing():
    listing = fixture_text("listing.html")
    post = re.search(
        r"<article data-hook=\"post\".*?</article>\n</div>", fixture_text("classic_post.html"), re.S
    )
    html = listing.replace(
        '<div data-hook="feed-page-root">', post.group(0) + '<div data-hook="feed-page-root">'
    )
    article = extract_article(html)
    assert article.page_kind == "listing"
    assert article.body_text == ""
    assert article.author is None


def test_non_wix_article_uses_trafilatura():
    article = extract_article(fixture("not_wix_article.html"))
    assert article.page_kind == "not-wix"
    assert "lactic acid bacteria" in article.body_text
    assert "All rights reserved" not in article.body_text
    assert article.author == "Ben Baker"
    assert any("trafilatura" in w for w in article.warnings)


def test_generic_head_post_is_still_a_post():
    """A translated-slug page: post body rendered, but og:type=website and no article meta."""
    html = fixture_text("classic_post.html").replace('content="article"', 'content="website"')
    html = re.sub(r'<meta property="article:[a-z_]+"[^>]*>', "", html)
    html = re.sub(r'<script type="application/ld\+json">.*?</script>', "", html, flags=re.S)
    article = extract_article(html)
    assert article.page_kind == "post"
    assert article.body_text.startswith("Ferns like")
    assert any("og:type" in w for w in article.warnings)
    assert article.published == "2021-04-05"  # the day its post header shows, said in a warning
    assert any("post header" in w for w in article.warnings)


# --- bad input --------------------------------------------------------------------------------


def test_truncated_html():
    raw = fixture("classic_post.html")
    cut = raw[: raw.index(b"Use rain water")]
    article = extract_article(cut)
    assert article.page_kind == "post"
    assert article.title == 'Five Ways to Water a "Fern"'
    assert "Ferns like steady moisture" in article.body_text


def test_binary_data():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 20
    article = extract_article(png)
    assert article.page_kind == "error"
    assert any("binary" in w for w in article.warnings)


def test_a_stray_nul_in_a_wix_page_is_dropped_not_taken_for_binary():
    """One NUL in the first 8 KB made a Wix post "binary data, not an HTML document" (and the
    crawl's page check "not an HTML page (binary data served as text/html)" in the first KB),
    though browsers render such a page (their parser drops a NUL from text) and Scrapy's own
    sniffing does not count NULs. Inside the text, lxml read it as U+FFFD."""
    from crawler.downloader.page_types import binary_kind

    raw = (FIXTURES / "new_post.html").read_bytes()
    whole = extract_article(raw)
    text_at = raw.index("Líneas".encode()) + 3
    for at in (500, 3000, text_at):
        page = raw[:at] + b"\x00" + raw[at:]
        assert binary_kind(page) is None, at
        for source in (page, page.decode()):
            article = extract_article(source)
            assert (article.page_kind, article.title, article.body_text, article.warnings) == (
                whole.page_kind, whole.title, whole.body_text, whole.warnings), at


@pytest.mark.parametrize(("xml", "kind"), [
    (b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><item><description>'
     b"<![CDATA[<p>A whole post.</p>]]></description></item></channel></rss>", "an RSS feed"),
    (b'<?xml version="1.0"?>\n<?xml-stylesheet href="/s.xsl"?>\n<!-- by Wix -->\n<urlset xmlns='
     b'"http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.com/post/a</loc></url>'
     b"</urlset>", "a sitemap"),
    ('<sitemapindex><sitemap><loc>https://x.com/blog-posts-sitemap.xml</loc></sitemap>'
     "</sitemapindex>", "a sitemap index"),
    (b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title></entry></feed>',
     "an Atom feed"),
])
def test_feeds_and_sitemaps_are_named_not_read_as_pages(xml, kind):
    article = extract_article(xml, "https://x.com/blog-feed.xml")
    assert article.page_kind == "error" and not article.body_text
    assert article.warnings == [f"{kind}, not an HTML page (wixarchive crawl reads feeds and "
                                "sitemaps to find a blog's posts)"]


@pytest.mark.parametrize("text", [
    b"url\tdate\tsize\nhttps://x.com/post/a\t2019-06-06\t123\n",  # a TSV manifest
    "Published June 6, 2019\n\nA whole paragraph of plain text, 3 < 4 and 5 > 2.\n",
])
def test_text_without_any_markup_is_no_page(text):
    """Parsed as HTML, a TSV was a not-wix page with a date trafilatura made up from its rows."""
    article = extract_article(text)
    assert article.page_kind == "error" and article.published is None
    assert article.warnings == ["no HTML markup: a text file (wixarchive clean reads text dumps)"]


@pytest.mark.parametrize("fragment", [b"<p>One paragraph, no html element.</p>", b"<p>Unclosed",
                                      b"Text first, then <b>one tag</b>.", b"<br/>after"])
def test_a_fragment_with_one_tag_is_still_html(fragment):
    article = extract_article(fragment)
    assert article.page_kind == "not-wix"
    assert article.body_text


def test_a_page_that_mentions_rss_is_still_a_page():
    page = b"<html><body><p>Subscribe: <rss> is how feeds work.</p></body></html>"
    assert extract_article(page).page_kind != "error"


def test_non_html_content_type():
    article = extract_article(fixture("classic_post.html"), content_type="image/jpeg")
    assert article.page_kind == "error"
    assert "Content-Type image/jpeg" in article.warnings[0]


@pytest.mark.parametrize("empty", [b"", "", b"   \n ", b"<!-- nothing -->"])
def test_empty_input(empty):
    article = extract_article(empty, "https://example.com/x")
    assert article.page_kind == "error"
    assert article.url == "https://example.com/x"
    assert article.warnings


@pytest.mark.parametrize(
    ("removed", "warning"),
    [
        # the body's blocks are gone: an empty post body
        (r'<div type="first".*?<div type="last" data-hook="rcv-block-last">', "empty post body"),
        # the whole post description is gone: looked for generically, counted as unknown
        (r'<div data-hook="post-description">.*?</article></div>', UNKNOWN_LAYOUT_WARNING),
    ],
)
def test_post_without_body_text_keeps_its_metadata_and_warns(removed, warning):
    html = re.sub(removed, "", fixture_text("classic_post.html"), flags=re.S)
    article = extract_article(html)
    assert article.page_kind == "post"
    assert article.title == 'Five Ways to Water a "Fern"'
    assert article.body_text == ""
    assert warning in article.warnings


def _text(value: str) -> dict:
    return {"type": "TEXT", "id": "", "nodes": [], "textData": {"text": value, "decorations": []}}


def _warmup_script(wrapper: str | None, body_nodes: list[dict]) -> str:
    """The blog app's warmup data as Wix embeds it: the post page's response, a JSON string
    under `appsWarmupData.<blog app id>.OldPostPageWarmupData-<slug>`."""
    post = {"id": "ac85", "richContent": {"nodes": body_nodes}}
    response = {"data": {"postPage": {"post": post}}}
    page_data = {wrapper: response} if wrapper else {**response, "status": 200}
    warmup = {"appsWarmupData": {
        "14cc59bc-f0b7-15b8-e1c7-89ce41d0e0c9": {"initialData": {"counters": {}}},
        "14bcded7-0066-7c35-14d7-466cb3f09103": {
            "OldPostPageWarmupData-five-ways": json.dumps(page_data)}}}
    return f'<script type="application/json" id="wix-warmup-data">{json.dumps(warmup)}</script>'


RICOS_BODY = [
    {"type": "HEADING", "id": "h1", "headingData": {"level": 2},
     "nodes": [_text("Before you water")]},
    {"type": "PARAGRAPH", "id": "p1", "nodes": [_text("Ferns like "), _text("rain <water>.")]},
    {"type": "ORDERED_LIST", "id": "l1", "nodes": [
        {"type": "LIST_ITEM", "id": "i1", "nodes": [
            {"type": "PARAGRAPH", "id": "p2", "nodes": [_text("Mist the fronds")]}]}]},
    {"type": "IMAGE", "id": "m1", "nodes": [],
     "imageData": {"image": {"src": {"id": "a1b2c3_d4~mv2.jpg"}, "width": 800}}},
    {"type": "COLLAPSIBLE_LIST", "id": "c1", "nodes": [{"type": "COLLAPSIBLE_ITEM", "nodes": [
        {"type": "COLLAPSIBLE_ITEM_TITLE", "nodes": [
            {"type": "PARAGRAPH", "nodes": [_text("How often?")]}]},
        {"type": "COLLAPSIBLE_ITEM_BODY", "nodes": [
            {"type": "PARAGRAPH", "nodes": [_text("Weekly, a collapsed answer")]}]}]}]},
]


@pytest.mark.parametrize("wrapper", [None, "postPageResponse"])  # both builds of the real pages
@pytest.mark.parametrize("removed", [
    r'<div type="first".*?<div type="last" data-hook="rcv-block-last">',  # the viewer emptied
    r'<div data-hook="post-description">.*?</article></div>',  # no body container at all
])
def test_post_with_empty_html_body_is_read_from_its_warmup_data(wrapper, removed):
    """A blog-app post page whose HTML shows no body (client-rendered, or saved before the
    body rendered) but embeds the post's Ricos document in its warmup data: the body comes
    from that document (before: an empty body), its chrome-free text, headings, lists, images
    and collapsed text included."""
    html = re.sub(removed, "", fixture_text("classic_post.html"), flags=re.S)
    html = html.replace("</body>", _warmup_script(wrapper, RICOS_BODY) + "</body>")
    article = extract_article(html)
    assert article.page_kind == "post"
    assert article.title == 'Five Ways to Water a "Fern"'
    assert article.body_text.split("\n\n") == [
        "Before you water", "Ferns like rain <water>.", "Mist the fronds", "How often?",
        "Weekly, a collapsed answer"]
    assert "<h2>Before you water</h2>" in article.body_html
    assert "<ol>" in article.body_html and "&lt;water&gt;" in article.body_html
    assert "1. Mist the fronds" in article.body_markdown
    assert article.images == ["https://static.wixstatic.com/media/a1b2c3_d4~mv2.jpg"]
    assert "empty post body" not in article.warnings
    assert any("warmup data" in w for w in article.warnings)
    assert find_chrome(article.body_text) == []


def test_warmup_data_never_replaces_a_body_the_html_shows():
    """The rendered body is what readers saw: the warmup's document is read only without it."""
    html = fixture_text("classic_post.html")
    known = extract_article(html)
    with_warmup = html.replace("</body>", _warmup_script(None, RICOS_BODY) + "</body>")
    article = extract_article(with_warmup)
    assert article.body_text == known.body_text and known.body_text
    assert not any("warmup data" in w for w in article.warnings)


def test_warmup_data_never_replaces_a_body_of_images_only():
    """A post of one photo shows a body without text: it stays the one the HTML shows."""
    html = re.sub(r'<div type="first".*?(?=<div id="viewer-img1">)', "",
                  fixture_text("classic_post.html"), flags=re.S)
    html = re.sub(r"<blockquote.*?(?=<div type=\"last\")", "", html, flags=re.S)
    known = extract_article(html)
    assert known.body_text == "" and len(known.images) == 1
    article = extract_article(html.replace("</body>", _warmup_script(None, RICOS_BODY) + "</body>"))
    assert article.images == known.images and article.body_html == known.body_html
    assert not any("warmup data" in w for w in article.warnings)


@pytest.mark.parametrize("script", [
    '<script type="application/json" id="wix-warmup-data">{not json</script>',
    '<script type="application/json" id="wix-warmup-data">[1, 2]</script>',
    '<script type="application/json" id="wix-warmup-data">{"appsWarmupData": {"a": '
    '{"OldPostPageWarmupData-x": "{\\"data\\": {\\"postPage\\": null}}"}}}</script>',
    # Fields of another shape than Ricos gives them, and JSON nested past the parser's depth:
    # each made the page an extraction error (its title and author lost, not only its body).
    _warmup_script(None, [{"type": "TEXT", "textData": "Ferns"}]),
    _warmup_script(None, [{"type": "HEADING", "headingData": [2], "nodes": []},
                          {"type": "IMAGE", "imageData": {"image": "a1b2c3_d4~mv2.jpg"}}]),
    _warmup_script(None, [{"type": ["PARAGRAPH"], "nodes": []}, {"type": {"a": 1}}]),
    '<script type="application/json" id="wix-warmup-data">' + "[" * 100_000 + "]" * 100_000
    + "</script>",
])
def test_broken_warmup_data_leaves_an_empty_body_and_its_warning(script):
    html = re.sub(r'<div type="first".*?<div type="last" data-hook="rcv-block-last">', "",
                  fixture_text("classic_post.html"), flags=re.S)
    article = extract_article(html.replace("</body>", script + "</body>"))
    assert article.page_kind == "post", article.warnings
    assert article.title == 'Five Ways to Water a "Fern"'
    assert article.body_text == ""
    assert "empty post body" in article.warnings


def test_post_whose_body_hooks_are_renamed_is_read_generically_and_counted():
    """A Wix build that renames the blog app's body containers (post-description, the Ricos
    viewer) must not give empty posts in silence: the body comes from the post's <article>
    less its header and footer, the page is marked as an unknown layout (counted by the
    crawl), and its metadata stays exact."""
    html = fixture_text("classic_post.html")
    known = extract_article(html)
    renamed = html.replace('data-hook="post-description"', 'data-hook="post-content-v9"')
    renamed = re.sub(r'data-rce-version="[^"]*"', "", renamed)
    renamed = re.sub(r'data-id="(rich-)?content-viewer"', 'data-id="viewer-v9"', renamed)
    assert renamed != html
    article = extract_article(renamed)
    assert article.page_kind == "post"
    assert UNKNOWN_LAYOUT_WARNING in article.warnings
    words = re.findall(r"\w+", article.body_text)
    assert words == re.findall(r"\w+", known.body_text)  # every word, in order, nothing else
    for field in ("title", "author", "published", "reading_minutes", "tags", "categories"):
        assert getattr(article, field) == getattr(known, field)


def test_wrong_charset_declared_utf8_but_cp1252():
    html = fixture_text("new_post.html")
    raw = html.encode("cp1252", errors="replace")  # meta says utf-8, bytes are not
    article = extract_article(raw)
    assert article.title == "Cómo leer una carta náutica"
    assert "Líneas de igual profundidad." in article.body_text


@pytest.mark.parametrize("stray", [b"<p>caf\xe9</p>", "é".encode()[:1]])  # Latin-1; a cut é
@pytest.mark.parametrize("content_type", [None, "text/html; charset=utf-8"])
def test_utf8_page_with_a_stray_byte_stays_utf8(stray, content_type):
    """One byte that is not UTF-8 (a Latin-1 byte in an embed, a character cut in two) in an
    otherwise UTF-8 page: the page is read as UTF-8 with that byte replaced, as a browser shows
    it (before: the whole page was read as cp1252, every accented letter garbled, no warning)."""
    raw = fixture("new_post.html").replace(b"</body>", stray + b"</body>")
    article = extract_article(raw, content_type=content_type)
    known = extract_article(fixture("new_post.html"))
    assert article.title == "Cómo leer una carta náutica"
    assert article.author == "Lucía Marinera"
    assert article.body_text == known.body_text
    assert article.tags == ["navegación", "cartas"]
    assert any("not valid UTF-8 replaced" in w for w in article.warnings)


def test_wrong_charset_header_but_utf8_bytes():
    article = extract_article(
        fixture("new_post.html"), content_type="text/html; charset=iso-8859-1"
    )
    assert article.title == "Cómo leer una carta náutica"
    assert any("charset" in w for w in article.warnings)


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1"])
def test_meta_declares_latin1(encoding):
    """Whether the <meta> label is right or wrong, the text comes out right."""
    html = fixture_text("new_post.html").replace('charset="utf-8"', 'charset="iso-8859-1"')
    article = extract_article(html.encode(encoding))
    assert article.title == "Cómo leer una carta náutica"
    assert article.tags == ["navegación", "cartas"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks(encoding):
    article = extract_article(fixture_text("new_post.html").encode(encoding))
    assert article.title == "Cómo leer una carta náutica"
    assert article.warnings == []


def test_missing_charset_latin1_bytes():
    html = fixture_text("new_post.html").replace('<meta charset="utf-8">', "")
    article = extract_article(html.encode("latin-1", errors="replace"))
    assert article.author == "Lucía Marinera"


def test_unknown_charset_label():
    html = fixture_text("classic_post.html").replace('charset="utf-8"', 'charset="x-bogus"')
    article = extract_article(html.encode("utf-8"))
    assert article.title == 'Five Ways to Water a "Fern"'


def test_str_input_with_xml_declaration():
    html = '<?xml version="1.0" encoding="iso-8859-1"?>' + fixture_text("classic_post.html")
    assert extract_article(html).title == 'Five Ways to Water a "Fern"'


def test_twenty_megabyte_page_finishes():
    """Wix pages are mostly inline script; this one has 18 MB of it and a 2 MB body."""
    html = fixture_text("classic_post.html")
    blob = '<script type="application/json">{"x":"' + "a1b2c3d4" * 2_250_000 + '"}</script>'
    filler = "<p>filler paragraph with some words in it</p>\n" * 45_000
    big = html.replace("</head>", blob + "</head>")
    big = big.replace('<p id="viewer-a8">', filler + '<p id="viewer-a8">')
    assert len(big) > 20_000_000
    article = extract_article(big.encode("utf-8"))
    assert article.page_kind == "post"
    assert article.title == 'Five Ways to Water a "Fern"'
    assert article.body_text.count("filler paragraph") == 45_000


@pytest.mark.parametrize("close", ["</script>", "</SCRIPT >", "</Script\n>"])
def test_markup_inside_scripts_never_reaches_the_body(close):
    """Script text is cut before parsing; it must end where an HTML parser ends it, whatever
    the end tag's case, and markup-looking strings inside it must not become content."""
    script = '<script>var s = "<p>not content</p></div>";' + close
    html = (
        fixture_text("classic_post.html")
        .replace('<h2 id="viewer-a2">', script + '<h2 id="viewer-a2">')
        .replace("</body>", "<script>var later = 1;</script></body>")
    )
    article = extract_article(html)
    assert "not content" not in article.body_text
    assert "Use rain water" in article.body_text
    assert article.body_text == extract_article(fixture("classic_post.html")).body_text


def test_script_tag_inside_a_comment_starts_nothing():
    html = fixture_text("classic_post.html").replace(
        '<h2 id="viewer-a2">', '<!-- <script> was here --><h2 id="viewer-a2">'
    ).replace("</body>", "<script>var later = 1;</script></body>")
    original = extract_article(fixture("classic_post.html"))
    assert extract_article(html).body_text == original.body_text


def test_unclosed_script_and_style_keep_the_page_readable():
    html = fixture_text("classic_post.html").replace(
        "</head>", "<style>p { color: red }</style></head>"
    ) + "<script>never closed <p>tail"
    article = extract_article(html)
    assert article.title == 'Five Ways to Water a "Fern"'
    assert "Use rain water" in article.body_text


@pytest.mark.parametrize(
    ("opening", "closing"),
    [("<div>", "</div>"), ("<span>", "</span>"), ("<ul><li>", "</li></ul>")],
)
def test_pathologically_nested_body(opening, closing):
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">', opening * 400 + "deep words" + closing * 400 + '<p id="viewer-a8">'
    )
    article = extract_article(html)
    assert article.page_kind == "post"
    assert "deep words" in article.body_text
    assert article.body_text.startswith("Ferns like steady moisture")
    assert any("nested too deeply" in w for w in article.warnings)


def test_not_html_type_input():
    article = extract_article(12345)  # type: ignore[arg-type]
    assert article.page_kind == "error"


# --- the chrome audit used by tests and the benchmark ------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["Recent Posts", "See All", "27 views0 comments", "Write a comment...", "Alle ansehen",
     "مشاهدة واحدة (١) ٠ تعليق", "top of page"],
)  # fmt: skip
def test_find_chrome_flags_widget_lines(line):
    assert find_chrome(f"Some paragraph.\n{line}\nAnother one.")


@pytest.mark.parametrize(
    "prose",
    ["The table is at the top of page 3.", "Puedes ver todo el puerto desde aquí.",
     "Comment la sophrologie aide", "I read 3 comments on this post."],
)  # fmt: skip
def test_find_chrome_ignores_prose(prose):
    assert find_chrome(prose) == []


def test_concurrent_extraction_in_threads():
    """The crawler extracts in worker threads: results match a sequential run."""
    from concurrent.futures import ThreadPoolExecutor

    pages = [fixture(name) for name in ("classic_post.html", "new_post.html")] * 8
    pages.append(fixture_text("new_post.html").encode("cp1252", errors="replace"))
    expected = [extract_article(page).to_dict() for page in pages]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = [article.to_dict() for article in pool.map(extract_article, pages)]
    assert got == expected


# --- tables in a post body ----------------------------------------------------------------------

def _post_with(body: str) -> str:
    return ('<html><head><meta name="generator" content="Wix.com Website Builder">'
            '<meta property="og:type" content="article"><title>Prices</title></head><body>'
            '<article data-hook="post"><h1 data-hook="post-title">Prices</h1>'
            f'<div data-hook="post-description"><p>Before.</p>{body}<p>After.</p></div>'
            "</article></body></html>")


def test_a_table_of_text_stays_a_table_in_html_markdown_and_text():
    article = extract_article(_post_with(
        "<table><tbody><tr><th><div><p>Service</p></div></th><th><p>Price | net</p></th></tr>"
        "<tr><td><div><p>Massage</p><p>60 min</p></div></td><td><p>50 <strong>EUR</strong>"
        '</p></td></tr><tr><td><a href="/book">Book now</a></td></tr></tbody></table>'),
        "https://x.com/post/prices")
    assert article.body_text == ("Before.\n\nService | Price | net\nMassage 60 min | 50 EUR\n"
                                 "Book now\n\nAfter.")
    assert ("<table><tbody><tr><th>Service</th><th>Price | net</th></tr><tr><td>Massage<br>"
            "60 min</td><td>50 <strong>EUR</strong></td></tr><tr><td><a href=\"https://x.com/"
            'book" rel="noopener noreferrer">Book now</a></td></tr></tbody></table>'
            ) in article.body_html
    assert article.body_markdown == (
        "Before.\n\n| Service | Price \\| net |\n| --- | --- |\n| Massage<br>60 min | 50 **EUR** |"
        "\n| [Book now](https://x.com/book) | |\n\nAfter.\n")


@pytest.mark.parametrize("table", [
    # a layout table: one column
    "<table><tr><td><p>First part.</p></td></tr><tr><td><p>Second part.</p></td></tr></table>",
    # cells holding more than words: an image, a list
    '<table><tr><td><img src="https://static.wixstatic.com/media/a.jpg" alt="x"></td>'
    "<td><p>First part.</p></td></tr><tr><td><ul><li>Second part.</li></ul></td><td></td></tr>"
    "</table>",
])
def test_other_tables_are_read_block_by_block(table):
    article = extract_article(_post_with(table), "https://x.com/post/p")
    assert "<table>" not in article.body_html and "|" not in article.body_markdown
    assert "First part." in article.body_text and "Second part." in article.body_text


def test_a_linked_image_keeps_its_link():
    """Ricos wraps an image given a link in <a href> above its figure; the walk kept the image
    and dropped where it led, in the HTML and the Markdown alike."""
    media = "https://static.wixstatic.com/media/ab12cd_5555~mv2.jpg"
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">',
        '<div id="viewer-l"><a href="https://shop.example.org/fern" target="_blank">'
        '<figure data-hook="figure-IMAGE"><div data-hook="image-viewer"><div>'
        f'<wow-image><img src="{media}/v1/fill/w_49,h_65,blur_2/f.jpg" alt="A fern" '
        f'data-pin-media="{media}"></wow-image></div></div>'
        '<figcaption dir="auto"><span>Buy it</span></figcaption></figure></a></div>'
        '<p id="viewer-a8">',
    )
    article = extract_article(html)
    assert (f'<figure><a href="https://shop.example.org/fern" rel="noopener noreferrer">'
            f'<img src="{media}" alt="A fern"></a><figcaption>Buy it</figcaption></figure>'
            in article.body_html)
    assert f"[![A fern]({media})](https://shop.example.org/fern)" in article.body_markdown
    # An image with no link of its own is not taken into a link far above it.
    assert '<a href="https://ferns.example.org/care?x=1&amp;y=2" rel="noopener noreferrer"><img' \
        not in article.body_html


def test_an_ordered_list_continued_after_a_paragraph_keeps_its_numbers():
    html = fixture_text("classic_post.html").replace(
        '<p id="viewer-a8">',
        '<p id="viewer-n"><span>A note between the steps.</span></p>'
        '<ol start="3"><li><p><span>Mist the fronds.</span></p></li>'
        '<li><p><span>Wait a week.</span></p></li></ol>'
        '<ol start="x"><li><p><span>Bad start.</span></p></li></ol><p id="viewer-a8">',
    )
    article = extract_article(html)
    assert ('<ol start="3">\n<li>Mist the fronds.</li>\n<li>Wait a week.</li>\n</ol>'
            in article.body_html)
    assert "3. Mist the fronds.\n4. Wait a week." in article.body_markdown
    assert "<ol>\n<li>Bad start.</li>" in article.body_html
    assert "1. Bad start." in article.body_markdown


@pytest.mark.parametrize("wrap", ["", "\n  "])  # as Wix serves it; re-indented by some tool
def test_a_code_block_keeps_its_lines_and_indentation_in_the_text(wrap):
    code = "def water(fern):\n    if fern.dry:\n\n        return 1\n"
    html = fixture_text("new_post.html")
    start = html.index("<p", html.index("data-id=\"content-viewer\""))
    html = (html[:start] + f'<div id="viewer-c">{wrap}<pre data-hook="codeBlockViewer" '
            f'dir="auto"><span>{code}</span></pre>{wrap}</div>' + html[start:])
    article = extract_article(html)
    assert "def water(fern):\n    if fern.dry:\n        return 1" in article.body_text.split("\n\n")
    assert "```\ndef water(fern):\n    if fern.dry:\n\n        return 1\n```" in \
        article.body_markdown


def test_a_videos_caption_is_in_one_figure_with_the_video():
    """Ricos writes a video and its caption in one <figure>; the walk wrote the video's link
    paragraph, then a <figcaption> outside any figure (invalid HTML, a caption of nothing).
    A right-to-left image caption (<figcaption dir="auto">) was left outside its figure too."""
    media = "https://static.wixstatic.com/media/ab12cd_6666~mv2.jpg"
    embed = "https://www.youtube.com/embed/abcdefghijk"
    article = extract_article(_post_with(
        '<figure data-hook="figure-VIDEO"><div data-hook="video-player">'
        f'<iframe src="{embed}"></iframe></div>'
        '<figcaption dir="auto"><span>The wave</span></figcaption></figure>'
        f'<figure data-hook="figure-IMAGE"><img src="{media}" alt="">'
        '<figcaption dir="auto"><span>الموجة</span></figcaption></figure>'))
    assert (f'<figure><p><a href="{embed}" rel="noopener noreferrer">{embed}</a></p>'
            "<figcaption>The wave</figcaption></figure>") in article.body_html
    assert (f'<figure><img src="{media}" alt=""><figcaption dir="auto">الموجة</figcaption>'
            "</figure>") in article.body_html
    assert f"<{embed}>\n\nThe wave" in article.body_markdown


def test_a_youtube_video_shown_as_its_preview_keeps_its_place_in_the_body():
    """Before a click, Ricos's YouTube block is react-player's preview alone (no <iframe>):
    the video was listed in the attachments but gone from the body's HTML and Markdown, so
    the article page and the exports showed the paragraphs around it run together."""
    watch = "https://www.youtube.com/watch?v=Xq7bS3kLm9A"
    article = extract_article(_post_with(
        '<figure data-hook="figure-VIDEO"><div data-hook="video-player"><div data-loaded="true">'
        '<button type="button" class="react-player__preview" aria-label="Play video" '
        'style="width:100%;background-image:url(https://i.ytimg.com/vi/Xq7bS3kLm9A/hqdefault.jpg)'
        ';background-size:cover"><div class="react-player__shadow"></div></button></div></div>'
        '<figcaption dir="auto"><span>The first coat</span></figcaption></figure>'))
    assert (f'<p>Before.</p>\n<figure><p><a href="{watch}" rel="noopener noreferrer">{watch}'
            '</a></p><figcaption>The first coat</figcaption></figure>\n<p>After.</p>'
            ) == article.body_html
    assert f"Before.\n\n<{watch}>\n\nThe first coat\n\nAfter." in article.body_markdown
    assert article.body_text == "Before.\n\nThe first coat\n\nAfter."
    assert [a["url"] for a in article.attachments] == [watch]


_LINK_PREVIEW = (
    # Ricos's link preview (plugin-link-preview's LinkPreviewViewer) inside the link's wrapper
    '<div><a href="https://www.example.org/guide" target="_blank" rel="noopener noreferrer">'
    '<figure class="lp" data-hook="linkPreviewViewer"><div style="background-image:url('
    'https://www.example.org/og.jpg)"></div><section><div>example.org</div>'
    "<figcaption>The painter's guide</figcaption><div>Everything about brushes.</div>"
    "</section></figure></a></div>")


def test_a_link_preview_is_its_title_linked_and_its_description():
    """The card lost its link (the <a> wraps blocks, which the walk read without it), kept
    the host's name as a paragraph and its title as a <figcaption> outside any figure."""
    article = extract_article(_post_with(_LINK_PREVIEW))
    assert article.body_html == (
        '<p>Before.</p>\n<p><a href="https://www.example.org/guide" rel="noopener noreferrer">'
        "The painter's guide</a></p>\n<p>Everything about brushes.</p>\n<p>After.</p>")
    assert ("[The painter's guide](https://www.example.org/guide)\n\n"
            "Everything about brushes.") in article.body_markdown
    assert article.body_text == "Before.\n\nThe painter's guide\n\nEverything about brushes." \
        "\n\nAfter."


def test_a_caption_beside_text_in_a_figure_is_a_paragraph():
    """A <figure> holding text as well as its caption gives no figure: its caption was left a
    <figcaption> outside any figure (invalid HTML)."""
    article = extract_article(_post_with(
        '<figure><div><p>Inside.</p></div><figcaption dir="auto">Under it</figcaption></figure>'))
    assert "<figcaption" not in article.body_html
    assert "<p>Inside.</p>\n<p>Under it</p>" in article.body_html


_FILE_CARD = (
    # Ricos's file block (plugin-file-upload's FileUploadViewer): before the page resolves the
    # file's address, the card is a button with no href
    '<div data-hook="fileUploadViewer" style="display:flex"><div role="button" tabindex="0">'
    '<div><a{href}><svg></svg><div style="width:calc(100% - 72px)"><div><div>Price list 2024'
    "</div><div>.pdf</div></div><div>PDF • 1.25MB</div></div></a></div><div><a><div><svg>"
    "</svg></div></a></div></div></div>")


@pytest.mark.parametrize("href", [
    "", "https://www.site.com/_files/ugd/a1b2c3_0123456789abcdef0123456789abcdef.pdf"])
def test_a_file_block_is_the_files_name(href):
    """Its name, extension, type and size ran together ("Price list 2024.pdfPDF • 1.25MB"):
    the divs inside the card's link were read as one line of text."""
    attribute = f' href="{href}" target="_blank"' if href else ""
    article = extract_article(_post_with(_FILE_CARD.format(href=attribute)))
    assert article.body_text == "Before.\n\nPrice list 2024.pdf\n\nAfter."
    name = (f'<a href="{href}" rel="noopener noreferrer">Price list 2024.pdf</a>' if href
            else "Price list 2024.pdf")
    assert f"<p>{name}</p>" in article.body_html


def test_a_cards_lines_inside_its_link_stay_lines():
    """Ricos's card of a Wix product, event or booking (plugin-vertical-embed: the card's
    <div>s inside one <a>) ran its lines together ("Warm grey paint, 2.5 l€24.00Buy Now");
    they are lines of the one link, as a browser shows them."""
    href = "https://www.site.com/product-page/grey-paint"
    article = extract_article(_post_with(
        f'<div data-hook="vertical-embed"><div><a href="{href}" target="_blank"><div><div '
        'style="background-image:url(https://static.wixstatic.com/media/a1b2c3_1~mv2.jpg)">'
        "</div><div><div><div>Warm grey paint, 2.5 l</div><div>€24.00</div></div><div><div>"
        "Buy Now</div></div></div></div></a></div></div>"))
    assert "Warm grey paint, 2.5 l\n€24.00\nBuy Now" in article.body_text.split("\n\n")
    assert (f'<p><a href="{href}" rel="noopener noreferrer">Warm grey paint, 2.5 l<br>€24.00<br>'
            "Buy Now</a></p>") in article.body_html


def test_a_code_block_holding_a_fence_stays_one_block_in_the_markdown():
    """A fence of three backticks was closed by a line of ``` in the code, which spilled out
    as prose; the fence is longer than any backtick run inside (CommonMark's rule)."""
    code = "Markdown:\n```\nx = 1\n````\nend"
    article = extract_article(_post_with(f"<pre>{code}</pre>"))
    assert "`````\n" + code + "\n`````" in article.body_markdown
    blocks = [token for token in MarkdownIt("commonmark").parse(article.body_markdown)
              if token.type == "fence"]
    assert [token.content for token in blocks] == [code + "\n"]


def test_inline_code_stays_literal_in_the_markdown():
    """Markdown's escapes do not work inside a code span: `a_b*c` was written `a\\_b\\*c`, and
    read so. A code span is its words as they are, fenced by more backticks than it holds."""
    codes = ["a_b*c[0]", "C:\\path\\*.txt", "x`y", "`start", "``", "<b> # 1.", "**not bold**"]
    spans = "".join(f"<code>{escape(code, quote=False)}</code>, " for code in codes)
    article = extract_article(_post_with(
        f"<p>Try {spans}<code><strong>a_b</strong></code>, <strong><code>b_c</code></strong>.</p>"))
    tokens = [child for token in MarkdownIt("commonmark").parse(article.body_markdown)
              if token.type == "inline" for child in token.children or []]
    assert [token.content for token in tokens if token.type == "code_inline"] == \
        [*codes, "a_b", "b_c"]
    assert "`a_b*c[0]`" in article.body_markdown
    assert ", **`b_c`**." in article.body_markdown


def test_underline_superscript_and_subscript_keep_their_meaning_in_the_markdown():
    """Markdown has no syntax for them, and the walk wrote their words bare: "x<sup>2</sup>"
    read "x2". They stay raw inline HTML; words that look like a tag stay words, and the
    underline Wix gives every link's words is the link's own."""
    article = extract_article(_post_with(
        "<p>x<sup>2</sup> and H<sub>2</sub>O is <u>not</u> water, &lt;sup&gt; is a tag "
        "(<code>&lt;sub&gt;</code> too). <a href=\"https://x.org/\"><u>A link</u></a>.</p>"))
    assert ("x<sup>2</sup> and H<sub>2</sub>O is <u>not</u> water, &lt;sup> is a tag "
            "(`<sub>` too). [A link](https://x.org/).") in article.body_markdown
    assert "x2 and H2O is not water, <sup> is a tag (<sub> too)." in article.body_text


def test_a_right_to_left_block_keeps_its_direction_in_the_markdown():
    """Markdown has no per-paragraph direction: an Arabic paragraph among English ones read
    left to right. Each right-to-left block is wrapped in <div dir="auto"> (blank lines
    around its Markdown keep it Markdown); a list with a right-to-left item is wrapped whole
    (an item wrapped alone would end its list; the list was left left to right)."""
    article = extract_article(_post_with(
        "<h2>عنوان</h2><p>مرحبا <strong>بالعالم</strong></p><p>English.</p>"
        "<ul><li><p>واحد</p><ol><li><p>nested</p></li></ol></li><li><p>two</p></li></ul>"
        "<ul><li><p>one</p></li></ul>"))
    assert ('<div dir="auto" markdown="1">\n\n## عنوان\n\n</div>\n\n'
            '<div dir="auto" markdown="1">\n\nمرحبا **بالعالم**\n\n</div>\n\n'
            'English.\n\n<div dir="auto" markdown="1">\n\n- واحد\n   1. nested\n- two\n\n'
            "</div>\n\n- one\n") in article.body_markdown
    html = MarkdownIt("commonmark").render(article.body_markdown)
    assert '<div dir="auto" markdown="1">\n<p>مرحبا <strong>بالعالم</strong></p>\n</div>' in html
    assert re.search(r'<div dir="auto" markdown="1">\n<ul>\n<li>واحد\n<ol>\n<li>nested</li>'
                     r"\n</ol>\n</li>\n<li>two</li>\n</ul>\n</div>\n<ul>\n<li>one</li>", html), html


# --- media the served HTML leaves to the browser ------------------------------------------------

# Hand-made in the shapes real pages serve: an older blog build's gallery block, empty until its
# script runs (tracydoesmakeup.com, 2020), and a react-player that had not loaded (adolfstock.de).
_EMPTY_GALLERY = ('<div class="_2vd5k"><div class="_3CWa-"><div class="_1lf3C" '
                  'data-hook="galleryViewer" role="none"></div></div></div>'
                  '<div type="gallery" data-hook="rcv-block9"></div>')
_UNLOADED_PLAYER = ('<div data-breakout="normal"><div class="gfFZp"><div class="a-u0O">'
                    '<div tabindex="0" data-hook="reactPlayerWrapper"><div data-loaded="false" '
                    'style="width:100%;height:100%"><div style="width:100%"><div></div></div>'
                    '</div></div></div></div></div><div type="video" data-hook="rcv-block3"></div>')


def test_galleries_and_videos_the_html_lacks_are_named_in_a_warning():
    article = extract_article(_post_with(_EMPTY_GALLERY + "<p>Between.</p>" + _EMPTY_GALLERY
                                         + _UNLOADED_PLAYER), "https://x.com/post/prices")
    assert article.body_text == "Before.\n\nBetween.\n\nAfter."
    assert ("the body's 2 galleries and 1 video are not in the page's HTML (the browser loads "
            "them): not archived") in article.warnings


@pytest.mark.parametrize("media", [
    # a rendered gallery, a YouTube preview (its thumbnail names the video), an embedded player
    '<div data-hook="gallery-viewer"><img data-hook="gallery-item-image-img" alt="" '
    'src="https://static.wixstatic.com/media/ab12cd_1~mv2.jpg/v1/fill/w_300,h_200/a.jpg"></div>',
    '<figure data-hook="figure-VIDEO"><div data-hook="video-player"><button type="button" '
    'style="background-image:url(https://i.ytimg.com/vi/lVjzNtUjrGs/maxresdefault.jpg)" '
    'class="react-player__preview"></button></div></figure>',
    '<div data-hook="reactPlayerWrapper"><iframe src="https://player.vimeo.com/video/76979871">'
    "</iframe></div>",
])
def test_media_the_html_holds_raise_no_warning(media):
    article = extract_article(_post_with(media), "https://x.com/post/prices")
    assert not any("not in the page's HTML" in warning for warning in article.warnings)
