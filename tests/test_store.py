"""The archive store: saving articles, versions, deletions, runs and incremental-crawl state."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from archive.search import stats_fresh
from archive.store import Archive, ArchiveError, KnownPost
from crawler.discover.urls import site_root
from crawler.extract.record import Article

SITE = "https://ann.wixsite.com/yoga"


def article(slug: str = "hello", **fields: object) -> Article:
    values: dict[str, object] = {
        "title": "Morning yoga", "author": "Ann Example", "published": "2024-05-01T08:00:00Z",
        "tags": ["Yoga", "Health"], "categories": ["Practice"],
        "body_text": "Breathe in.\n\nBreathe out slowly.", "body_html": "<p>Breathe in.</p>",
        "body_markdown": "Breathe in.", "language": "en", "site_name": "Ann's yoga",
        "cover_image": "https://static.wixstatic.com/media/cover.jpg",
        "images": ["https://static.wixstatic.com/media/a.jpg"],
    }
    values.update(fields)
    return Article(url=f"{SITE}/post/{slug}", **values)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


def test_round_trip_fills_posts_versions_terms_images_and_index(db: Path) -> None:
    with Archive.open(db) as archive:
        run = archive.start_run(SITE + "/blog", started_at="2024-06-01T00:00:00+00:00")
        outcome = archive.save_article(article(), run_id=run, fetched_at="2024-06-01T00:00:05Z",
                                       lastmod="2024-05-02", etag='"abc"')
        assert outcome == "new"
        post = archive.post(f"{SITE}/post/hello")
        assert post is not None
        assert post["title"] == "Morning yoga"
        assert post["site"] == "https://ann.wixsite.com/yoga/"
        assert post["site_name"] == "Ann's yoga"
        assert post["tags"] == ["Yoga", "Health"]
        assert post["categories"] == ["Practice"]
        assert post["images"] == ["https://static.wixstatic.com/media/a.jpg"]
        assert post["cover_image"].endswith("cover.jpg")
        assert post["body"] == "Breathe in.\n\nBreathe out slowly."
        assert post["word_count"] == 5
        assert post["version"] == 1 and post["deleted_at"] is None
        assert archive.post(post["id"])["url"] == post["url"]
        versions = archive.versions(post["url"])
        assert [v["version"] for v in versions] == [1]
        assert versions[0]["run_id"] == run
        assert versions[0]["record"] == article().to_dict()
        hits = archive.conn.execute(
            "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'slowly'").fetchall()
        assert [h[0] for h in hits] == [post["id"]]
        tag_names = archive.conn.execute(
            "SELECT t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id "
            "WHERE pt.post_id = ? ORDER BY pt.position", (post["id"],)).fetchall()
        assert [r[0] for r in tag_names] == ["Yoga", "Health"]


def test_unchanged_resave_adds_no_version_and_changed_adds_one(db: Path) -> None:
    with Archive.open(db) as archive:
        assert archive.save_article(article()) == "new"
        assert archive.save_article(article(), fetched_at="2024-07-01T00:00:00Z") == "unchanged"
        post = archive.post(f"{SITE}/post/hello")
        assert post["last_seen"] == "2024-07-01T00:00:00Z"
        assert len(archive.versions(post["url"])) == 1
        changed = article(body_text="A new body about tea.", body_html="<p>New</p>",
                          tags=["Tea"])
        assert archive.save_article(changed, fetched_at="2024-08-01T00:00:00Z") == "changed"
        versions = archive.versions(post["url"])
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[0]["record"]["body_text"].startswith("Breathe in.")
        assert versions[1]["record"]["body_text"] == "A new body about tea."
        post = archive.post(post["url"])
        assert post["version"] == 2 and post["tags"] == ["Tea"]
        assert post["last_changed"] == "2024-08-01T00:00:00Z"
        # The index follows the current version only.
        match = "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?"
        assert archive.conn.execute(match, ("tea",)).fetchone()[0] == 1
        assert archive.conn.execute(match, ("slowly",)).fetchone()[0] == 0
        assert archive.check() == []


def test_duplicate_tags_are_stored_once(db: Path) -> None:
    with Archive.open(db) as archive:
        archive.save_article(article(tags=["Yoga", "yoga", " Yoga ", ""]))
        assert archive.post(f"{SITE}/post/hello")["tags"] == ["Yoga"]


def test_delete_and_undelete_keep_every_row(db: Path) -> None:
    url = f"{SITE}/post/hello"
    with Archive.open(db) as archive:
        archive.save_article(article())
        assert archive.mark_deleted(url, when="2024-09-01T00:00:00Z") is True
        assert archive.mark_deleted(url, when="2024-09-02T00:00:00Z") is False  # already
        assert archive.post(url)["deleted_at"] == "2024-09-01T00:00:00Z"
        assert archive.known_posts(SITE)[url].deleted_at == "2024-09-01T00:00:00Z"
        assert archive.mark_deleted(f"{SITE}/post/never-seen", when="2024-09-01") is False
        assert archive.save_article(article()) == "unchanged"
        assert archive.post(url)["deleted_at"] is None
        archive.mark_deleted(url, when="2024-10-01T00:00:00Z")
        assert archive.touch_post(url, fetched_at="2024-10-02T00:00:00Z") is True
        assert archive.post(url)["deleted_at"] is None
        assert len(archive.versions(url)) == 1


def test_known_posts_and_touch_for_incremental_crawls(db: Path) -> None:
    url = f"{SITE}/post/hello"
    with Archive.open(db) as archive:
        archive.save_article(article(), lastmod="2024-05-02", etag='"v1"',
                             http_last_modified="Thu, 02 May 2024 00:00:00 GMT")
        archive.save_article(Article(url="https://other.example.com/post/x", title="Other"))
        known = archive.known_posts(SITE + "/blog")
        assert list(known) == [url]
        digest = article().content_hash()
        assert known[url][:5] == KnownPost("2024-05-02", '"v1"', "Thu, 02 May 2024 00:00:00 GMT",
                                           digest, None)[:5]
        assert known[url].last_seen
        assert archive.touch_post(url, fetched_at="2024-06-01T00:00:00Z", etag='"v2"') is True
        known = archive.known_posts(SITE)
        assert known[url].etag == '"v2"' and known[url].lastmod == "2024-05-02"
        assert known[url].last_seen == "2024-06-01T00:00:00Z"
        assert archive.post(url)["last_seen"] == "2024-06-01T00:00:00Z"
        assert archive.touch_post(f"{SITE}/post/unknown", fetched_at="2024-06-01") is False
        assert list(archive.known_posts("https://other.example.com/")) == [
            "https://other.example.com/post/x"]


def test_runs_are_recorded_with_counts_and_errors(db: Path) -> None:
    with Archive.open(db) as archive:
        run = archive.start_run(SITE, started_at="2024-06-01T00:00:00Z")
        archive.save_article(article(), run_id=run)
        archive.finish_run(run, status="ok", counts={"new": 1}, errors=["x: timeout"],
                           finished_at="2024-06-01T00:10:00Z")
        [row] = archive.runs()
        assert row["id"] == run and row["status"] == "ok"
        assert row["counts"] == {"new": 1} and row["errors"] == ["x: timeout"]
        assert row["site"] == "https://ann.wixsite.com/yoga/"
        [stats] = archive.stats()
        assert stats["last_crawled"] == "2024-06-01T00:10:00Z"
        # Statistics are refreshed once after a batch of runs, not by each run.
        assert not stats_fresh(archive.conn)
        assert archive.refresh_search_stats_if_stale()
        assert stats_fresh(archive.conn)
        assert not archive.refresh_search_stats_if_stale()
        archive.save_article(article("later"))
        assert not stats_fresh(archive.conn)
        assert (stats["posts"], stats["versions"], stats["deleted"]) == (1, 1, 0)


def test_site_roots() -> None:
    assert site_root("https://ann.wixsite.com/yoga/post/x") == "https://ann.wixsite.com/yoga/"
    assert site_root("https://ann.wixsite.com/other") == "https://ann.wixsite.com/other/"
    assert site_root("https://www.Example.com/blog/post/x") == "https://www.example.com/"
    assert site_root("http://127.0.0.1:8123/post/x") == "http://127.0.0.1:8123/"


def test_sub_sites_of_one_wix_account_are_separate_sites(db: Path) -> None:
    with Archive.open(db) as archive:
        archive.save_article(article())
        archive.save_article(Article(url="https://ann.wixsite.com/cooking/post/soup", title="S"))
        assert [s["site"] for s in archive.stats()] == [
            "https://ann.wixsite.com/cooking/", "https://ann.wixsite.com/yoga/"]


def test_post_lookup_misses_return_none(db: Path) -> None:
    with Archive.open(db) as archive:
        assert archive.post("https://nowhere.example/post/x") is None
        assert archive.post(42) is None
        assert archive.versions("https://nowhere.example/post/x") == []


def test_failed_save_rolls_back_everything(db: Path) -> None:
    with Archive.open(db) as archive:
        archive.save_article(article())
        with pytest.raises(RuntimeError), archive.transaction():
            archive.save_article(article("second"))
            raise RuntimeError("crawl interrupted")
        assert archive.post(f"{SITE}/post/second") is None
        assert archive.conn.execute("SELECT count(*) FROM post_versions").fetchone()[0] == 1


def test_readonly_archive_refuses_writes(db: Path) -> None:
    Archive.open(db).close()
    with Archive.open(db, readonly=True) as archive, pytest.raises(ArchiveError):
        archive.save_article(article())


def test_writer_waits_for_another_writer_instead_of_failing(db: Path) -> None:
    with Archive.open(db) as archive:
        archive.save_article(article())
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE sites SET name = 'held'")

    def release() -> None:
        time.sleep(0.5)
        other.execute("COMMIT")

    thread = threading.Thread(target=release)
    thread.start()
    with Archive.open(db) as archive:
        assert archive.save_article(article("second")) == "new"
    thread.join()
    other.close()
