"""End to end: a post spelled several ways by a site (a sitemap's raw `/post/café`, a served
`caf%C3%A9`, a listing's `caf%c3%a9`, `/post/slug/` or `/post/Slug`, a feed link with
`?utm_source=`) is fetched once per crawl and archived once, and re-crawls find it archived.
Real crawls (crawler.run) of the sample blog over 127.0.0.1 into real SQLite archives."""

from __future__ import annotations

import sqlite3
from collections import Counter
from html import escape
from pathlib import Path

import pytest

from crawler.discover.urls import normalize_url
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.hostile import served, urlset
from crawler.sample_site.server import error_response
from tests.processes import run_crawl

NO_MEDIA = "WIXARCHIVE_MEDIA=false"


def archived_urls(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(url for (url,) in conn.execute("SELECT url FROM posts"))


def post_fetches(server) -> Counter[str]:
    """Requests per post path (percent-decoded, without the query), as the server saw them."""
    return Counter(path for path in server.request_log if path.startswith("/post/"))


def test_a_recrawl_finds_the_posts_whose_slugs_are_not_ascii(tmp_path: Path) -> None:
    # The sitemap lists /post/café-…; the page is served, and archived, at /post/caf%C3%A9-….
    # Before, the two never matched: each re-crawl fetched the post in full again and every
    # other one marked it deleted.
    blog = SampleBlog(seed=1, post_count=12, unicode_slugs=True)
    assert any(not post.slug.isascii() for post in blog.posts)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        first = run_crawl(server.url, db, NO_MEDIA)
        assert first["counts"]["new"] == 12
        server.request_log.clear()
        second = run_crawl(server.url, db, NO_MEDIA)
    assert second["status"] == "ok"
    assert second["counts"].get("deleted", 0) == 0
    assert (second["counts"].get("new", 0), second["counts"]["unchanged"]) == (0, 12)
    assert post_fetches(server) == Counter()  # unchanged lastmod: not one post fetched
    assert archived_urls(db) == sorted(normalize_url(server.url + p.url_path) for p in blog.posts)


@pytest.mark.parametrize("listing_links", ["trailing-slash", "lower-escapes", "title-case"])
def test_a_blog_without_sitemap_archives_each_post_once_however_it_is_linked(
        tmp_path: Path, listing_links: str) -> None:
    # No sitemap: posts come from the feed (its links tagged ?utm_source=…) and the listing
    # pages (linking each post in another spelling).
    blog = SampleBlog(seed=1, post_count=24, unicode_slugs=True, listing_links=listing_links,
                      feed_link_query="utm_source=rss&utm_medium=feed")
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.overrides["/sitemap.xml"] = error_response(404)
        first = run_crawl(server.url, db, NO_MEDIA)
        fetched = post_fetches(server)
        server.request_log.clear()
        second = run_crawl(server.url, db, NO_MEDIA)
        refetched = post_fetches(server)
    # One row per post, each in its one form.
    assert archived_urls(db) == sorted(normalize_url(server.url + p.url_path) for p in blog.posts)
    # The summary counts posts, not the spellings fetched.
    assert (first["posts"], first["counts"]["new"]) == (24, 24), first
    assert (second["posts"], second["counts"].get("new", 0)) == (24, 0), second
    if listing_links != "title-case":  # /post/Slug is another page until it has answered
        assert set(fetched.values()) == {1}, fetched  # not once from the feed, once a listing
        # Fetched as archived: no /post/slug/ redirected to /post/slug, conditionally.
        assert set(refetched.values()) == {1}, refetched


# URLs a broken or hostile site lists: none may stop the crawl reading the rest of the document.
HOSTILE_PATHS = ["/post/" + "x" * 100_000, "/post/%zz%", "/post/a%00b", "\\post\\back",
                 "/post/with space\n"]
HOSTILE_URLS = ["http://[::1/post/x", "http://[::1]:99999/post/x", "http://[é]/post/x",
                "http://127.0.0.1:abc/post/x", "HTTP://elsewhere.example/post/x",
                "http://user:pw@elsewhere.example/post/x", f"http://{'é' * 70}.example/post/x",
                "http://xn--zz.example/post/x"]


def test_urls_that_are_no_urls_are_skipped_and_named_and_the_rest_crawled(
        tmp_path: Path) -> None:
    blog = SampleBlog(seed=3, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        base = server.url
        hostile = [*(base + path for path in HOSTILE_PATHS), *HOSTILE_URLS]
        posts = [base + post.url_path for post in blog.posts]
        # The posts sitemap lists them before every post; no feed to find the posts otherwise.
        server.takeovers["/blog-posts-sitemap.xml"] = served(urlset(base, [], [*hostile, *posts]),
                                                             "application/xml")
        server.overrides["/blog-feed.xml"] = error_response(404)
        from_sitemap = run_crawl(base, db, NO_MEDIA)
        # No sitemap: a listing page linking them before the posts.
        server.takeovers.clear()
        server.overrides["/sitemap.xml"] = error_response(404)
        links = "".join(f'<a href="{escape(url)}">x</a>' for url in [*hostile, *posts])
        server.takeovers["/blog"] = served(f"<html><body>{links}</body></html>".encode(),
                                           "text/html")
        from_listing = run_crawl(base, tmp_path / "listing.db", NO_MEDIA)
    for summary, archive in ((from_sitemap, db), (from_listing, tmp_path / "listing.db")):
        assert archived_urls(archive) == sorted(posts), summary
        assert summary["status"] == "ok", summary  # the site's broken URLs fail nothing
    skipped = [e for e in from_sitemap["errors"] if ": skipped: " in e]
    long_url = base + HOSTILE_PATHS[0]
    assert f"{long_url[:200]}…: skipped: {len(long_url):,} characters long, over the 2,083 a " \
           "crawl fetches" in skipped
    assert "http://[::1/post/x: skipped: not a URL (Invalid IPv6 URL)" in skipped
    assert "http://127.0.0.1:abc/post/x: skipped: not a URL (Port could not be cast to " \
           "integer value as 'abc')" in skipped
    assert len(skipped) == 6, skipped  # the long one, \\post\\back and 4 HOSTILE_URLS
