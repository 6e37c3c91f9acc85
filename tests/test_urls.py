"""The one form a post URL is compared, fetched and archived in (crawler.discover.urls), the
migration putting older archives' post URLs in it, and the canonical link's respelling."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive import schema
from archive.store import Archive
from crawler.discover.urls import normalize_url, respelled
from crawler.extract.record import Article
from crawler.items import FetchedPage
from crawler.pipelines import worker as archive_worker
from crawler.sample_site import SampleBlog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import post_page

CAFE = "https://a.example/post/caf%C3%A9-mornings"


@pytest.mark.parametrize("spelling", [
    "https://a.example/post/café-mornings",  # a sitemap's raw slug
    "https://a.example/post/caf%c3%a9-mornings",  # lower-case escapes
    CAFE,  # as served, and archived
    "https://A.Example/post/caf%C3%A9-mornings/",  # trailing slash, host in capitals
    "https://a.example/post/caf%C3%A9-mornings?utm_source=rss&utm_medium=feed",
    "https://a.example/post/caf%C3%A9-mornings?fbclid=IwAR0x&gclid=Cj0#comments",
    "https://a.example/post/caf%C3%A9%2Dmornings",  # an escaped unreserved character
])
def test_every_spelling_of_a_post_url_is_one(spelling: str) -> None:
    assert normalize_url(spelling) == CAFE


@pytest.mark.parametrize(("url", "expected"), [
    ("https://A.com/post/x?lang=nl&utm_source=y#top", "https://a.com/post/x?lang=nl"),
    ("https://a.com/post/x?utm_campaign=z&lang=fr", "https://a.com/post/x?lang=fr"),
    # Reserved characters and escapes of them stay as they are; nothing is escaped twice.
    ("https://a.com/post/a%2Fb:c@d!$&'()*+,;=", "https://a.com/post/a%2Fb:c@d!$&'()*+,;="),
    ("https://a.com/post/100%25-sure", "https://a.com/post/100%25-sure"),
    ("https://a.com/post/100%-sure", "https://a.com/post/100%25-sure"),  # no escape: escaped
    ("https://a.com/post/a b", "https://a.com/post/a%20b"),
    ("https://a.com/post/先週", "https://a.com/post/%E5%85%88%E9%80%B1"),
    ("https://bücher.example/post/x", "https://xn--bcher-kva.example/post/x"),
    ("https://a.com/", "https://a.com/"),  # a root keeps its slash
    ("https://jo.wixsite.com/studio/", "https://jo.wixsite.com/studio/"),
    ("https://jo.wixsite.com/studio/post/x/", "https://jo.wixsite.com/studio/post/x"),
    ("http://127.0.0.1:8000/post/x", "http://127.0.0.1:8000/post/x"),
])
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected


def test_a_page_respells_its_url_only_in_letter_case() -> None:
    fetched = "https://a.com/post/my-slug"
    assert respelled("https://a.com/post/My-Slug", fetched + "/") == fetched
    assert respelled("https://a.com/post/%C3%89t%C3%A9", "https://a.com/post/été") == (
        "https://a.com/post/%C3%A9t%C3%A9")
    assert respelled(fetched, None) == fetched
    # Anything else a canonical link names is not followed: another post, site or language.
    assert respelled(fetched, "https://a.com/post/other") == fetched
    assert respelled(fetched, "https://a.com/blog") == fetched
    assert respelled(fetched, "https://b.com/post/my-slug") == fetched
    assert respelled(fetched + "?lang=fr", "https://a.com/post/My-Slug") == fetched + "?lang=fr"
    assert respelled(fetched, "http://[bad") == fetched


def test_a_post_fetched_under_another_spelling_is_archived_under_its_canonical_one(
        tmp_path: Path) -> None:
    blog = SampleBlog(seed=2, post_count=2)
    base = "http://127.0.0.1:1"
    first, second = blog.posts
    with Archive.open(tmp_path / "archive.db") as archive:
        for post, listed in ((first, False), (second, True)):
            shouted = f"{base}/post/{post.slug.title()}"
            page = FetchedPage(url=shouted, body=post_page(Site(blog, base), post).encode(),
                               fetched_at="2026-01-01T00:00:00+00:00", listed=listed)
            assert archive_worker._store(archive, page, None)[:2] == ("post", "new")
        urls = sorted(row[0] for row in archive.conn.execute("SELECT url FROM posts"))
    # The second spelling is what the posts sitemap lists: the site's own name, kept.
    assert urls == sorted([base + first.url_path, f"{base}/post/{second.slug.title()}"])


def _v14_archive(path: Path, urls: list[str]) -> Path:
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=url, title=f"Post {n}", body_text=f"text {n}",
                                       images=[f"https://static.example/{n}.jpg"])
                               for n, url in enumerate(urls)])
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 14")  # v15 changed no table, only the URLs
    return path


def test_an_older_archive_holding_urls_that_are_no_urls_opens_and_keeps_them(
        tmp_path: Path) -> None:
    site = "https://a.example"
    stored = ["http://[::1/post/x", f"{site}/post/{'x' * 100_000}", f"{site}/post/%zz%",
              f"http://{'é' * 70}.example/post/x", "http://xn--zz.example/post/x",
              f"{site}\\post\\back", "http://user:pw@a.example:abc/post/x", f"{site}/post/raw"]
    path = _v14_archive(tmp_path / "archive.db", [f"{site}/post/{n}" for n in range(8)])
    with sqlite3.connect(path) as conn:  # as a web archive or another program left them
        conn.executemany("UPDATE posts SET url = ? WHERE url = ?",
                         [(url, f"{site}/post/{n}") for n, url in enumerate(stored)])
        conn.execute("UPDATE posts SET url = CAST(X'68747470733a2f2f612e6578616d706c652f"
                     "706f73742fff' AS TEXT) WHERE url = ?", [f"{site}/post/raw"])  # not UTF-8
    with Archive.open(path) as archive:
        assert archive.schema_version == 15
        urls = [bytes(url) for (url,) in archive.conn.execute(
            "SELECT CAST(url AS BLOB) FROM posts ORDER BY id")]
    assert urls == [url.encode() for url in [
        "http://[::1/post/x", f"{site}/post/{'x' * 100_000}", f"{site}/post/%25zz%25",
        f"http://{'é' * 70}.example/post/x", "http://xn--zz.example/post/x",
        f"{site}\\post\\back", "http://user:pw@a.example:abc/post/x"]] + [b"https://a.example/post/\xff"]


def test_an_older_archive_has_its_post_urls_put_in_the_one_form_when_opened(
        tmp_path: Path) -> None:
    base = "https://a.example/post/"
    stored = [base + "caf%c3%a9-mornings", base + "slug/", base + "über-windy",
              base + "plain", base + "twice", base + "twice/"]
    path = _v14_archive(tmp_path / "archive.db", stored)
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION == 15
        rows = [tuple(row) for row in archive.conn.execute(
            "SELECT p.url, p.title, i.url FROM posts p JOIN images i "
            "ON i.post_id = p.id ORDER BY p.id")]
        known = archive.known_posts("https://a.example/")
    assert rows == [
        (base + "caf%C3%A9-mornings", "Post 0", "https://static.example/0.jpg"),
        (base + "slug", "Post 1", "https://static.example/1.jpg"),
        (base + "%C3%BCber-windy", "Post 2", "https://static.example/2.jpg"),
        (base + "plain", "Post 3", "https://static.example/3.jpg"),
        # Archived twice before: the second row is left as it was (a crawl reading the
        # sitemap marks it deleted), never merged into the first.
        (base + "twice", "Post 4", "https://static.example/4.jpg"),
        (base + "twice/", "Post 5", "https://static.example/5.jpg"),
    ]
    assert normalize_url(base + "café-mornings") in known  # what a sitemap lists finds it
