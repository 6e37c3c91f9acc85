"""Multilingual Wix blogs whose sitemaps do not name the translations (each language has its
own feed and sitemap below /<language>/, named by the pages' hreflang alternates), and blog
homes a feed names that are not there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import BlogServer, Response

FAST = ["--delay", "0", "--no-autothrottle", "--no-media"]
HTML = {"Content-Type": "text/html; charset=utf-8"}
DISCOVERY = {"/robots.txt", "/sitemap.xml", "/blog-posts-sitemap.xml", "/blog-feed.xml"}


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", *args, *FAST]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _crawled(server: BlogServer, db: Path) -> dict:
    result = crawl(server.url + "/", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _archived(db: Path, server: BlogServer) -> set[str]:
    with Archive.open(db, readonly=True) as archive:
        return set(archive.known_posts(server.url + "/"))


def test_a_language_the_root_sitemaps_do_not_name_is_read_from_its_own_sitemap_and_feed(
        tmp_path: Path):
    """A site in English and French whose root index and posts sitemap name only the English
    posts: the French ones (/fr/post/…, 25 of them, more than the feed's 20) were never
    crawled (6 posts of 31). The home page's hreflang alternate names /fr: its feed and
    sitemap are read, every post once."""
    french = SampleBlog(seed=8, post_count=25)
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=7, post_count=6)) as server:
        server.languages = {"fr": french}
        summary = _crawled(server, db)
        hits = dict(server.hits)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 31), summary
    assert {server.url + "/fr" + post.url_path for post in french.posts} <= _archived(db, server)
    assert {path for path, count in hits.items() if count > 1} == set()
    assert {"/fr/blog-feed.xml", "/fr/sitemap.xml", "/fr/blog-posts-sitemap.xml"} <= set(hits)


def test_a_language_without_posts_sitemap_is_read_from_its_feed_and_listing_pages(
        tmp_path: Path):
    """No posts sitemap in either language: the French posts past the feed's 20 are found on
    the French blog home's listing pages (/fr/blog/page/N), which its feed names."""
    french = SampleBlog(seed=8, post_count=25, page_size=10)
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=7, post_count=6)) as server:
        server.languages = {"fr": french}
        for prefix in ("", "/fr"):
            server.overrides[prefix + "/blog-posts-sitemap.xml"] = Response(404, b"", HTML)
        summary = _crawled(server, db)
        hits = dict(server.hits)
    assert summary["counts"]["new"] == 31, summary
    assert {"/fr/blog", "/fr/blog/page/2", "/fr/blog/page/3"} <= set(hits)
    assert {path for path, count in hits.items() if count > 1} == set()
    assert hits["/"] == 1  # read once, for its alternates


def test_a_site_in_one_language_pays_one_request_for_its_languages(tmp_path: Path):
    """The sample blog (one language, a posts sitemap): its home page is read once for
    alternates, which it has none of; nothing else is asked for."""
    blog = SampleBlog(seed=7, post_count=6)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        summary = _crawled(server, db)
        hits = dict(server.hits)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 6), summary
    assert {path for path in hits if not path.startswith("/post/")} == DISCOVERY | {"/"}
    assert set(hits.values()) == {1}


def test_a_blog_home_the_feed_names_that_is_not_there_leaves_the_home_page_as_listing(
        tmp_path: Path):
    """Real feeds name /home as the blog's home for a blog on the site's home page; when
    /home answers 404, the crawl stopped at the feed's newest 20 of 26 posts. The site's home
    page is now read as the listing, once."""
    blog = SampleBlog(seed=7, post_count=26, page_size=30)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.blog_on_home_page()
        feed = server.overrides["/blog-feed.xml"]
        server.overrides["/blog-feed.xml"] = Response(feed.status, feed.body.replace(
            f"<link>{server.url}</link>".encode(), f"<link>{server.url}/home</link>".encode()),
            feed.headers)
        server.overrides["/blog-posts-sitemap.xml"] = Response(404, b"", HTML)
        summary = _crawled(server, db)
        hits = dict(server.hits)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 26), summary
    assert hits["/home"] == 1 and hits["/"] == 1
