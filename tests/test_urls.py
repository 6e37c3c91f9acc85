"""The one form a post URL is compared, fetched and archived in (crawler.discover.urls), the
migration putting older archives' post URLs in it, and the canonical link's respelling."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from test_search_marks import undo_v19

from archive import schema
from archive.store import Archive
from crawler.discover.urls import in_site, normalize_url, respelled, site_root
from crawler.extract.record import Article
from crawler.items import FetchedPage, UnchangedPost
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
    # ?lang= of the default language: the canonical and the hreflang link for that language
    # both name the URL without it. Either alone, or a translation's own alternate, is not
    # enough on a page naming languages; a page naming none (a site in one language, where
    # Wix ignores ?lang=) goes by its canonical.
    post = "https://a.com/post/my-slug"
    languages = {"en-us": post, "fr-fr": post + "?lang=fr", "x-default": "https://a.com"}
    assert respelled(post + "?lang=en", post, languages) == post
    assert respelled(post + "?lang=en", post, {"en": post}) == post
    assert respelled(post + "?lang=en", post) == post
    assert respelled(post + "?lang=fr", post, {}) == post
    assert respelled(post + "?lang=en", post, {"fr-fr": post + "?lang=fr"}) == post + "?lang=en"
    assert respelled(post + "?lang=en", "https://a.com/post/other", {}) == post + "?lang=en"
    assert respelled(post + "?lang=en", post + "?lang=en", languages) == post + "?lang=en"
    assert respelled(post + "?lang=fr", post, languages) == post + "?lang=fr"
    assert respelled(post + "?lang=e", post, languages) == post + "?lang=e"


def test_a_post_fetched_under_another_spelling_is_archived_under_its_canonical_one(
        tmp_path: Path) -> None:
    blog = SampleBlog(seed=2, post_count=2)
    base = "http://127.0.0.1:1"
    first, second = blog.posts
    with Archive.open(tmp_path / "archive.db") as archive:
        stored = archive_worker.StoredPosts()
        for post, listed in ((first, False), (second, True)):
            shouted = f"{base}/post/{post.slug.title()}"
            page = FetchedPage(url=shouted, body=post_page(Site(blog, base), post).encode(),
                               fetched_at="2026-01-01T00:00:00+00:00", listed=listed)
            assert archive_worker._store(archive, page, None, stored)[:2] == ("post", "new")
        urls = sorted(row[0] for row in archive.conn.execute("SELECT url FROM posts"))
    # The second spelling is what the posts sitemap lists: the site's own name, kept.
    assert urls == sorted([base + first.url_path, f"{base}/post/{second.slug.title()}"])


def test_a_crawl_archives_a_post_fetched_at_its_default_languages_lang_query_as_the_post(
        tmp_path: Path) -> None:
    # A link to /post/x?lang=en on a blog whose default language is English: the page names
    # /post/x as canonical and as its English URL (hreflang), so the crawl archives the post.
    blog = SampleBlog(seed=2, post_count=1)
    base = "http://127.0.0.1:1"
    (post,) = blog.posts
    url = base + post.url_path
    body = post_page(Site(blog, base), post).replace(
        '<link rel="canonical"',
        f'<link rel="alternate" href="{url}" hreflang="en-us"/><link rel="canonical"', 1)
    with Archive.open(tmp_path / "archive.db") as archive:
        page = FetchedPage(url=url + "?lang=en", body=body.encode(),
                           fetched_at="2026-01-01T00:00:00+00:00")
        assert archive_worker._store(archive, page, None, archive_worker.StoredPosts())[:2] \
            == ("post", "new")
        assert [row[0] for row in archive.conn.execute("SELECT url FROM posts")] == [url]


@pytest.mark.parametrize("shouted_first", [True, False])
def test_a_post_fetched_under_two_spellings_in_one_run_is_counted_once(
        tmp_path: Path, shouted_first: bool) -> None:
    # A site answering /post/My-Slug (a listing's link) and /post/my-slug (the feed's): the
    # run archives the post once, as /post/my-slug, and counts it once, whichever came first.
    blog = SampleBlog(seed=2, post_count=1)
    base = "http://127.0.0.1:1"
    (post,) = blog.posts
    spellings = [f"{base}/post/{post.slug.title()}", base + post.url_path]
    if not shouted_first:
        spellings.reverse()
    body = post_page(Site(blog, base), post).encode()
    with Archive.open(tmp_path / "archive.db") as archive:
        run_id = archive.start_run(base)
        stored = archive_worker.StoredPosts()
        outcomes = [archive_worker._store(archive, FetchedPage(
            url=url, body=body, fetched_at="2026-01-01T00:00:00+00:00"), run_id, stored)[1]
            for url in spellings]
        # ... and a conditional request for it answered 304 is no third count.
        outcomes.append(archive_worker._store(archive, UnchangedPost(
            url=base + post.url_path, fetched_at="2026-01-01T00:00:01+00:00"), run_id, stored)[1])
        urls = [row[0] for row in archive.conn.execute("SELECT url FROM posts")]
    assert outcomes == ["new", None, None]
    assert urls == [base + post.url_path]


def _v14_archive(path: Path, urls: list[str]) -> Path:
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=url, title=f"Post {n}", body_text=f"text {n}",
                                       images=[f"https://static.example/{n}.jpg"])
                               for n, url in enumerate(urls)])
    undo_v19(path)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE damaged_records")  # v16's; v15 changed no table, only the URLs
        for index in re.findall(r"CREATE INDEX (\w+)", schema.V17 + schema.V18):  # v17's and v18's
            conn.execute(f"DROP INDEX {index}")
        conn.execute("PRAGMA user_version = 14")
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
        assert archive.schema_version == schema.SCHEMA_VERSION
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
        assert archive.schema_version == schema.SCHEMA_VERSION
        rows = [tuple(row) for row in archive.conn.execute(
            "SELECT p.url, p.title, i.url, p.deleted_at IS NOT NULL FROM posts p JOIN images i "
            "ON i.post_id = p.id ORDER BY p.id")]
        known = archive.known_posts("https://a.example/")
    assert rows == [
        (base + "caf%C3%A9-mornings", "Post 0", "https://static.example/0.jpg", False),
        (base + "slug", "Post 1", "https://static.example/1.jpg", False),
        (base + "%C3%BCber-windy", "Post 2", "https://static.example/2.jpg", False),
        (base + "plain", "Post 3", "https://static.example/3.jpg", False),
        # Archived twice before: the second row is kept as it was, never merged into the
        # first, and marked deleted (a crawl checks the post at the first row's URL, which
        # answers, so no crawl would).
        (base + "twice", "Post 4", "https://static.example/4.jpg", False),
        (base + "twice/", "Post 5", "https://static.example/5.jpg", True),
    ]
    assert normalize_url(base + "café-mornings") in known  # what a sitemap lists finds it


def test_a_site_whose_host_is_not_ascii_is_one_site_however_its_url_is_typed() -> None:
    typed = "https://Bücher.example/post/café"
    assert site_root(typed) == site_root(normalize_url(typed)) == "https://xn--bcher-kva.example/"
    assert in_site(normalize_url(typed), "https://bücher.example/")
    assert in_site(typed, site_root(typed))
    assert not in_site(typed, "https://bucher.example/")


def test_an_older_archive_has_its_non_ascii_site_urls_put_in_the_one_form_when_opened(
        tmp_path: Path) -> None:
    # Before v15 a crawl started at https://bücher.example/ recorded its runs under that
    # site row and its posts (fetched at the xn-- host) under another one.
    post = "https://xn--bcher-kva.example/post/hello"
    path = _v14_archive(tmp_path / "archive.db", [post])
    with sqlite3.connect(path) as conn:
        for site, started in (("https://bücher.example/", "2025-01-01T00:00:00+00:00"),
                              ("https://café.example/", "2025-02-01T00:00:00+00:00")):
            site_id = conn.execute("INSERT INTO sites (url, first_seen) VALUES (?, ?)",
                                   (site, started)).lastrowid
            conn.execute("INSERT INTO crawl_runs (site_id, started_at, status) "
                         "VALUES (?, ?, 'interrupted')", (site_id, started))
    with Archive.open(path) as archive:
        sites = [tuple(row) for row in archive.conn.execute(
            "SELECT s.url, s.first_seen, count(DISTINCT p.id), count(DISTINCT r.id) FROM sites s"
            " LEFT JOIN posts p ON p.site_id = s.id LEFT JOIN crawl_runs r ON r.site_id = s.id"
            " GROUP BY s.id ORDER BY s.url")]
        # A crawl of the site as the user types it resumes the run it left before.
        resumed = archive.resumed_since("https://bücher.example/")
        known = archive.known_posts("https://bücher.example/")
    assert sites == [("https://xn--bcher-kva.example/", "2025-01-01T00:00:00+00:00", 1, 1),
                     ("https://xn--caf-dma.example/", "2025-02-01T00:00:00+00:00", 0, 1)]
    assert resumed == "2025-01-01T00:00:00+00:00"
    assert list(known) == [post]
