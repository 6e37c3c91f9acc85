"""`wixarchive recover` of a blog that lapsed: its feed and sitemap URLs were captured later as
the parking page the domain then served (status 200, HTML), or once as that page typed XML.
recover reads the latest capture that is a feed or sitemap, so the posts they name are found.
A real pywb (`wayback` on 127.0.0.1) holds a warcio WARC of the captures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.sample_site import SampleBlog
from crawler.sample_site.server import BlogServer
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import recover_json, table, write_dated_warc

pytestmark = pytest.mark.skipif(pywb_bin() is None, reason=MISSING)

SITE = "https://www.lapsed.example"
HTML = "text/html; charset=utf-8"
PARKING = (b"<!DOCTYPE html><html><head><title>lapsed.example is parked</title></head><body>"
           b"<h1>This domain may be for sale</h1><p>Buy this domain.</p></body></html>")
OTHER_PAGE = (b"<!DOCTYPE html><html><head><title>Our services</title></head><body>"
              b"<p>We plan, plant and care for gardens.</p></body></html>")
FEEDS = ("/blog-feed.xml", "/sitemap.xml", "/blog-posts-sitemap.xml")


def test_a_lapsed_blogs_posts_are_found_from_its_feed_and_sitemaps_captured_before(
        tmp_path: Path):
    """Posts at /articles/<slug> (a renamed /post/), on a site whose 10 other words have more
    pages: only the feed and sitemaps name the blog's word. Their latest captures are the
    parking page (and the feed's once more, typed XML): the 2020 captures are read instead."""
    blog = SampleBlog(seed=31, post_count=3, post_prefix="articles")
    server = BlogServer(blog)
    captures = [(f"{SITE}/articles/{post.slug}", "2020-05-01T12:00:00Z", HTML,
                 server.respond(f"/articles/{post.slug}", base=SITE, record=False).body)
                for post in blog.posts]
    for name in FEEDS:
        answer = server.respond(name, base=SITE, record=False)
        captures.append((SITE + name, "2020-05-01T12:01:00Z", answer.headers["Content-Type"],
                         answer.body))
        captures.append((SITE + name, "2023-02-01T12:00:00Z", HTML, PARKING))
    captures.append((SITE + FEEDS[0], "2022-02-01T12:00:00Z", "application/xml", PARKING))
    # The site's other pages: probing (one page a word, the 10 most used words) never
    # reaches the blog's word.
    captures += [(f"{SITE}/services-{word}/page-{number}", "2020-05-02T12:00:00Z", HTML,
                  OTHER_PAGE) for word in range(10) for number in range(4)]
    warc = tmp_path / "lapsed.warc.gz"
    write_dated_warc(warc, captures)
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        first = recover_json(SITE, base, db)
        assert first.returncode == 0, first.stderr
        again = recover_json(SITE, base, db)
    assert again.returncode == 0, again.stderr
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == sorted(
        f"{SITE}/articles/{post.slug}" for post in blog.posts)
    # Of the parking captures, only the one typed XML was replayed (and passed over).
    read = table(db, "SELECT url, timestamp FROM recovered WHERE kind = 'feed'")
    assert sorted((url.rsplit("/", 1)[1], stamp[:4]) for url, stamp in read) == [
        ("blog-feed.xml", "2020"), ("blog-feed.xml", "2022"), ("blog-posts-sitemap.xml", "2020"),
        ("sitemap.xml", "2020")]
    assert json.loads(first.stdout)["feeds"] == 4
    assert json.loads(again.stdout)["feeds"] == 0  # read once, not again
