"""Discovery rules: site roots, sitemaps, feeds and listing links."""

from __future__ import annotations

import re

import pytest

from crawler.discover.feeds import parse_feed
from crawler.discover.languages import language_roots
from crawler.discover.listings import listing_links, listing_starts
from crawler.discover.sitemaps import (
    SitemapEntry,
    is_language_index,
    is_posts_sitemap,
    parse_sitemap,
    sitemaps_from_robots,
    translations_elsewhere,
    with_translations,
)
from crawler.discover.urls import in_site, is_post_url, moved_root, normalize_url, site_root

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" generatedBy="WIX">
<sitemap><loc>https://www.example.com/blog-posts-sitemap.xml</loc><lastmod>2024-05-01</lastmod></sitemap>
<sitemap><loc>https://www.example.com/pages-sitemap.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
</sitemapindex>"""

URLSET = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
<url><loc>https://www.example.com/post/caf\u00e9-notes</loc><lastmod>2024-05-01</lastmod>
<image:image><image:loc>https://static.wixstatic.com/media/a~mv2.jpg</image:loc></image:image></url>
<url><loc>https://www.example.com/post/second</loc></url>
</urlset>""".encode()

FEED = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title><![CDATA[Example]]></title><link>https://www.example.com/news</link>
<item><title><![CDATA[One]]></title><link>https://www.example.com/post/one</link>
<guid isPermaLink="false">64a0c0ffee00000000000001</guid>
<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_site_root_keeps_free_plan_prefix() -> None:
    assert site_root("https://www.example.com/post/x?lang=fr") == "https://www.example.com/"
    assert site_root("https://jo.wixsite.com/studio/post/x") == "https://jo.wixsite.com/studio/"
    assert site_root("https://jo.wixsite.com/studio") == "https://jo.wixsite.com/studio/"
    assert site_root("example.com") == "https://example.com/"


def test_post_urls_and_scope() -> None:
    assert is_post_url("https://a.com/post/hello-world")
    assert is_post_url("https://a.com/post/2019/06/06/drug-test")
    assert not is_post_url("https://a.com/blog/page/2")
    assert not is_post_url("https://a.com/post")
    assert in_site("https://jo.wixsite.com/studio/post/x", "https://jo.wixsite.com/studio/")
    assert not in_site("https://jo.wixsite.com/other/post/x", "https://jo.wixsite.com/studio/")
    assert not in_site("https://evil.com/post/x", "https://a.com/")
    # The root itself as Wix spells it (sitemaps, a home-page blog's feed): no trailing slash.
    assert in_site("https://www.a.com", "https://www.a.com/")
    assert in_site("https://jo.wixsite.com/studio", "https://jo.wixsite.com/studio/")
    assert not in_site("https://jo.wixsite.com/studio2", "https://jo.wixsite.com/studio/")


def test_normalize_url_keeps_only_lang() -> None:
    assert normalize_url("https://A.com/post/x?lang=nl&utm_source=y#top") == (
        "https://a.com/post/x?lang=nl"
    )


@pytest.mark.parametrize(("url", "normal", "root"), [
    ("https://a.wixsite.com/%2e%2e/%2E%2E/../post/p2", "https://a.wixsite.com/post/p2",
     "https://a.wixsite.com/"),
    ("https://jo.wixsite.com/studio/./x/%2E%2e/post/p", "https://jo.wixsite.com/studio/post/p",
     "https://jo.wixsite.com/studio/"),
    ("https://a.com/blog/%2e/post/x/?lang=fr", "https://a.com/blog/post/x?lang=fr",
     "https://a.com/"),
    ("https://a.com/post/.x..", "https://a.com/post/.x..", "https://a.com/"),  # no dot segment
    ("https://a.com/a/b/..", "https://a.com/a/", "https://a.com/"),
])
def test_dot_segments_are_removed_after_decoding(url: str, normal: str, root: str) -> None:
    """RFC 3986: `%2e%2e` is `..` to a server, so the URL is the one without it."""
    assert normalize_url(url) == normal
    assert site_root(url) == site_root(normal) == root


@pytest.mark.parametrize("url", ["https://jo.wixsite.com/%73tudio/post/p",
                                 "https://jo.wixsite.com/st\u00fcdio/post/p"])
def test_a_free_plan_prefix_is_spelled_as_its_posts_are(url: str) -> None:
    """The site's root holds its path prefix escaped as normalize_url escapes the post's URL,
    so the post is the site's whichever way the prefix was typed."""
    assert site_root(url) == site_root(normalize_url(url))
    assert in_site(normalize_url(url), site_root(url))


def test_robots_sitemap_lines() -> None:
    robots = "User-agent: *\nDisallow: /private\n\nSitemap: https://www.example.com/sitemap.xml\n"
    assert sitemaps_from_robots(robots) == ["https://www.example.com/sitemap.xml"]


def test_sitemap_index_and_urlset() -> None:
    index = parse_sitemap(INDEX)
    assert index.is_index
    posts = [e.loc for e in index.entries if is_posts_sitemap(e.loc)]
    assert posts == ["https://www.example.com/blog-posts-sitemap.xml"]
    urlset = parse_sitemap(URLSET)
    assert not urlset.is_index
    first, second = urlset.entries
    assert first.loc == "https://www.example.com/post/caf\u00e9-notes"
    assert first.lastmod == "2024-05-01"
    assert first.images == ("https://static.wixstatic.com/media/a~mv2.jpg",)
    assert second.lastmod is None


def test_garbage_sitemap_and_feed_are_empty() -> None:
    assert parse_sitemap(b"\x00\xffnot xml").entries == []
    assert parse_feed(b"<html>nope</html>").items == []


def test_feed_items_and_blog_home() -> None:
    feed = parse_feed(FEED)
    assert feed.blog_home == "https://www.example.com/news"
    (item,) = feed.items
    assert item.link == "https://www.example.com/post/one"
    assert item.guid == "64a0c0ffee00000000000001"
    assert item.published == "2024-03-05T10:00:00+00:00"


def test_listing_links_follow_pages_and_categories_only() -> None:
    html = b"""<html><head><link rel="next" href="/news/page/3"></head><body>
    <a href="/post/a">A</a><a href="https://www.example.com/post/b#comments">B</a>
    <a href="/news/categories/tips">Tips</a><a href="/about">About</a>
    <a href="https://other.com/post/c">elsewhere</a></body></html>"""
    posts, listings = listing_links(html, "https://www.example.com/news/page/2",
                                    "https://www.example.com/", "https://www.example.com/news")
    assert posts == ["https://www.example.com/post/a", "https://www.example.com/post/b"]
    assert listings == ["https://www.example.com/news/page/3",
                        "https://www.example.com/news/categories/tips"]


def test_listing_starts_are_the_blog_home_and_the_named_page_each_once() -> None:
    """What both spiders (with and without Redis) start from without a posts sitemap."""
    root = "https://www.example.com/"
    assert listing_starts(None, root, None) == [(root + "blog", False)]
    assert listing_starts(root + "news", root, "news") == [(root + "news", True)]
    assert listing_starts(None, root, "news") == [(root + "blog", False), (root + "news", True)]
    assert listing_starts(root + "journal", root, None) == [(root + "journal", False)]


def test_real_listing_cards_give_their_posts_whatever_the_url_prefix(realworld_dir) -> None:
    """The real listing and category pages, their post links moved from /post/ to /articles/
    (an owner's URL prefix): the post cards still give every post the page lists."""
    pages = [p for p in (realworld_dir / "html").glob("*.html")
             if "__blog" in p.name or "__hot-topics" in p.name or "__news" in p.name]
    assert pages
    for path in pages:
        raw = path.read_bytes()
        # Its own site where its links are absolute (unconverted mirrors), else any.
        absolute = re.search(rb'href="(https?://[^/"]+/)[^"]*post/', raw)
        site = absolute.group(1).decode() if absolute else "https://www.x.example/"
        posts, _ = listing_links(raw, site + "blog/x", site, site + "blog")
        moved, _ = listing_links(raw.replace(b"post/", b"articles/"), site + "blog/x", site,
                                 site + "blog")
        assert posts, path.name
        assert moved == [url.replace("/post/", "/articles/") for url in posts], path.name


def test_real_sitemaps_and_feeds(realworld_dir) -> None:
    html = realworld_dir / "html"
    for path in html.glob("*sitemap*.xml"):
        parsed = parse_sitemap(path.read_bytes())
        assert parsed.entries, path.name
        if "blog-posts" in path.name:
            assert all(is_post_url(e.loc) for e in parsed.entries), path.name
    for path in html.glob("*blog-feed.xml"):
        feed = parse_feed(path.read_bytes())
        assert 0 < len(feed.items) <= 20, path.name
        assert feed.blog_home, path.name


@pytest.mark.parametrize(("asked", "landed", "moved"), [
    ("https://example.com/robots.txt", "https://www.example.com/robots.txt",
     "https://www.example.com/"),
    ("https://old.example/blog-feed.xml", "https://new.example/blog-feed.xml",
     "https://new.example/"),
    ("http://example.com/robots.txt", "https://example.com/robots.txt", None),  # same site
    # A free-plan site's robots.txt answered by its host: not a move to the whole host.
    ("https://jane.wixsite.com/studio/robots.txt", "https://jane.wixsite.com/robots.txt", None),
    ("https://elsewhere.example/x", "https://new.example/x", None),  # not a page of the site
])
def test_a_site_moved_when_a_page_of_it_redirects_to_another_host(asked, landed, moved):
    assert moved_root(asked, landed, ["https://example.com/", "https://old.example/",
                                      "https://jane.wixsite.com/studio/"]) == moved


def test_a_posts_translations_in_the_sitemap_are_posts_of_their_own():
    sitemap = parse_sitemap(b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:xhtml="http://www.w3.org/1999/xhtml">
<url><loc>https://x.example/post/hello</loc><lastmod>2024-06-03</lastmod>
<xhtml:link rel="alternate" hreflang="en" href="https://x.example/post/hello"/>
<xhtml:link rel="alternate" hreflang="es" href="https://x.example/es/post/hola"/>
<xhtml:link rel="alternate" hreflang="x-default" href="https://x.example/post/hello"/>
</url>
<url><loc>https://x.example/es/post/hola</loc></url>
</urlset>""")
    assert sitemap.problem is None
    assert sitemap.entries[0].translations == ("https://x.example/es/post/hola",)
    assert [(e.loc, e.lastmod) for e in with_translations(sitemap.entries)] == [
        ("https://x.example/post/hello", "2024-06-03"),
        ("https://x.example/es/post/hola", "2024-06-03")]  # once, with its original's date


def test_language_indexes_and_translations_on_other_hosts():
    """A multilingual site's index lists /fr/sitemap.xml (a language's own index); its posts'
    translations on a language subdomain are another site's, by that site's root."""
    assert is_language_index("https://x.example/fr/sitemap.xml")
    assert is_language_index("https://x.example/pt-br/sitemap.xml")
    assert is_language_index("https://ann.wixsite.com/yoga/fr/sitemap.xml")
    assert not is_language_index("https://x.example/sitemap.xml")
    assert not is_language_index("https://x.example/pages-sitemap.xml")
    assert not is_language_index("https://x.example/french/sitemap.xml")
    # BCP 47, as Wix writes a language with no two-letter code, a script or a region.
    for tag in ("fil", "haw", "zh-hant", "zh-hant-tw", "es-419"):
        assert is_language_index(f"https://x.example/{tag}/sitemap.xml"), tag
    assert not is_language_index("https://x.example/blog/sitemap.xml")
    entry = SitemapEntry("https://x.example/post/a", translations=(
        "https://fr.x.example/post/a", "https://x.example/es/post/a", "http://[bad",
        "mailto:a@fr.x.example"))
    assert translations_elsewhere([entry], ["https://x.example/"]) == {
        "https://fr.x.example/post/a": "https://fr.x.example/"}


def test_a_pages_languages_are_its_hreflang_alternates_under_a_language_prefix():
    """The same page under /fr, /pt-br is a language's root; a short page name that is no
    alternate of this page, another host (a language subdomain) or ?lang=xx is not."""
    page = b"""<html><head>
<link rel="alternate" hreflang="x-default" href="https://x.example/blog"/>
<link rel="alternate" hreflang="en" href="https://x.example/blog"/>
<link rel="alternate" hreflang="fr" href="https://x.example/fr/blog"/>
<link rel="alternate" hreflang="pt-br" href="/pt-br/blog"/>
<link rel="alternate" hreflang="de" href="https://de.x.example/blog"/>
<link rel="alternate" hreflang="es" href="https://x.example/blog?lang=es"/>
<link rel="alternate" hreflang="it" href="https://x.example/it/about"/>
<link rel="alternate" href="https://x.example/blog-feed.xml" type="application/rss+xml"/>
</head><body></body></html>"""
    assert language_roots(page, "https://x.example/blog", "https://x.example/") == [
        "https://x.example/fr/", "https://x.example/pt-br/"]
    home = b'<link rel="alternate" hreflang="fr" href="https://ann.wixsite.com/yoga/fr">'
    assert language_roots(home, "https://ann.wixsite.com/yoga", "https://ann.wixsite.com/yoga/"
                          ) == ["https://ann.wixsite.com/yoga/fr/"]
    assert language_roots(b"", "https://x.example/", "https://x.example/") == []


def test_a_three_letter_language_or_a_script_is_a_language_prefix_and_a_short_word_is_not():
    """BCP 47 tags (hreflang's) with a three-letter language (`fil`, `haw`) or a script
    (`zh-hant`) were not read as languages: those translations were never crawled. A three-letter
    path word (`/art/`) is a language only where the alternate's hreflang names it."""
    page = b"""<html><head>
<link rel="alternate" hreflang="fil" href="https://x.example/fil/blog"/>
<link rel="alternate" hreflang="haw" href="https://x.example/haw/blog"/>
<link rel="alternate" hreflang="zh-Hant" href="https://x.example/zh-hant/blog"/>
<link rel="alternate" hreflang="zh-Hant-TW" href="https://x.example/zh-hant-tw/blog"/>
<link rel="alternate" hreflang="en-gb" href="https://x.example/art/blog"/>
<link rel="alternate" hreflang="de" href="https://x.example/blog/blog"/>
</head><body></body></html>"""
    assert language_roots(page, "https://x.example/blog", "https://x.example/") == [
        "https://x.example/fil/", "https://x.example/haw/", "https://x.example/zh-hant/",
        "https://x.example/zh-hant-tw/"]
