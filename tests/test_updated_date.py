"""A later fetch or capture of a post that differs only in its "Updated:" date (Wix's modified
date: an owner re-saved the post, or changed something the archive does not keep) is no new
version, but the post records the newer date, as `show` and the exports print it: a crawl, an
import and a recover alike. Until 2026-12-07 the archive kept the first date seen for ever."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import BlogServer
from tests.pywb import MISSING, pywb_bin, wayback
from tests.test_crawl import run_crawl
from tests.webarchives import recover_json, table, wixarchive, write_dated_warc

SITE = "https://www.updated-garden.example"


def shown_updated(db: Path, url: str) -> list[str]:
    shown = wixarchive("show", url, "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    return [line for line in shown.stdout.splitlines() if line.startswith("Updated: ")]


def test_a_recrawl_records_a_later_updated_date_without_a_new_version(tmp_path: Path):
    blog = SampleBlog(seed=73, post_count=3)
    post = blog.posts[0]
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert run_crawl(server.url, "--db", str(db), "--no-media").returncode == 0
        url = server.url + post.url_path
        with sqlite3.connect(db) as conn:  # that crawl was a month ago
            conn.execute("UPDATE posts SET recorded_at = '2026-11-06T10:00:00+00:00'")
        post.modified += timedelta(days=40)
        post.revision += 1
        again = run_crawl(server.url, "--db", str(db), "--no-media")
        assert again.returncode == 0, again.stderr
        assert "3 posts: 0 new, 0 changed, 3 unchanged" in again.stdout, again.stdout
    assert shown_updated(db, url) == [f"Updated: {post.modified_iso}"]
    assert table(db, "SELECT version, recorded_at > '2026-11-07' FROM posts "
                     f"WHERE url = '{url}'") == [(1, 1)]
    # The others were seen unchanged, their dates too: nothing for an export to write again.
    assert table(db, "SELECT count(*) FROM posts WHERE recorded_at > '2026-11-07'") == [(1,)]


def capture(server: BlogServer, slug: str) -> bytes:
    return server.respond(f"/post/{slug}", base=SITE, record=False).body


def test_an_import_keeps_the_latest_updated_date_whichever_file_comes_first(tmp_path: Path):
    """Three captures differing only in their Updated date, in three files imported oldest,
    newest, then middle: the newest date stays (an earlier capture never takes it back)."""
    blog = SampleBlog(seed=73, post_count=2)
    server = BlogServer(blog)
    post = blog.posts[0]
    url = f"{SITE}/post/{post.slug}"
    files = []
    for number, date in enumerate(("2024-06-10", "2024-09-01", "2024-08-01")):
        post.modified = blog.posts[1].modified + timedelta(days=(0, 40, 20)[number])
        files.append(tmp_path / f"{number}.warc.gz")
        write_dated_warc(files[-1], [(url, f"{date}T10:00:00Z", "text/html",
                                      capture(server, post.slug))])
        if number == 1:
            newest = post.modified_iso
    db = tmp_path / "archive.db"
    for warc in files:
        done = wixarchive("import", str(warc), "--db", str(db))
        assert done.returncode == 0, done.stderr
    assert shown_updated(db, url) == [f"Updated: {newest}"]
    assert table(db, "SELECT count(*) FROM post_versions") == [(1,)]


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_a_recover_records_the_updated_date_of_the_latest_capture(tmp_path: Path):
    blog = SampleBlog(seed=73, post_count=2)
    server = BlogServer(blog)
    post = blog.posts[0]
    url = f"{SITE}/post/{post.slug}"
    captures = [(url, "2024-06-10T10:00:00Z", "text/html", capture(server, post.slug))]
    post.modified += timedelta(days=40)
    captures.append((url, "2024-08-01T10:00:00Z", "text/html", capture(server, post.slug)))
    warc = tmp_path / "holdings.warc.gz"
    write_dated_warc(warc, captures)
    db = tmp_path / "archive.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(SITE, base, db)
    assert done.returncode == 0, done.stderr
    assert shown_updated(db, url) == [f"Updated: {post.modified_iso}"]
    assert table(db, "SELECT count(*) FROM post_versions") == [(1,)]


@pytest.mark.parametrize("first, later", [
    ("2023-06-04T10:00:00+0200", "2023-07-04T10:00:00+0200"),  # ISO 8601's basic offset
    ("2023-06-04T10:00:00.000Z", "2023-07-04T10:00:00-0500"),
    ("2023-06-04T10:00:00-0500", "2023-07-04T10:00:00.000Z"),
    # A space for the T, as parse_machine_date keeps it too (a WordPress-style meta date).
    ("2023-06-04 10:00:00+0200", "2023-07-04 10:00+0200"),
    # A month or a year alone (ISO 8601's reduced precision, kept as the page gives it).
    ("2023-06", "2023-07-04T10:00:00Z"), ("2022", "2023-07"), ("2023-06-04", "2023-07")])
def test_a_later_updated_date_written_with_an_offset_without_colon_is_recorded(
        tmp_path: Path, first: str, later: str) -> None:
    """A page's meta or JSON-LD may write its offset without the colon (+0200, valid ISO 8601,
    kept as the page gives it): SQLite's julianday reads no such date, so the later date was
    never recorded, the first one kept for ever as before the fix above; nor is an earlier one
    taken for a later one."""
    from archive.store import Archive
    from crawler.extract.record import Article

    url = "https://offsets.example.com/post/garlic"
    db = tmp_path / "archive.db"

    def saved(modified: str) -> None:
        with Archive.open(db) as archive:
            archive.save_articles([Article(url=url, title="Garlic", body_text="Plant it deep.",
                                           modified=modified)])

    saved(first)
    saved(later)
    saved(first)  # an earlier date again: no change
    assert table(db, "SELECT modified, version FROM posts") == [(later, 1)]
