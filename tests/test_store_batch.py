"""Batch writes (Archive.save_articles): the same archive as saving one post at a time, every
version's text kept, and a crash in the middle of a batch leaves a consistent archive."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pytest import MonkeyPatch

from archive import ingest
from archive.store import Archive, Fetch
from crawler.discover.urls import site_root
from crawler.extract.record import Article

SITE = "https://ann.wixsite.com/yoga"


def post(slug: str, body: str, **fields: object) -> Article:
    values: dict[str, object] = {
        "title": f"Post {slug}", "author": "Ann", "published": "2024-05-01T08:00:00Z",
        "tags": ["Yoga", "yoga", "Health"], "categories": ["Practice"],
        "body_text": body, "body_html": f"<p>{body}</p>", "body_markdown": body,
        "site_name": "Ann's yoga", "cover_image": f"https://img.example/{slug}.jpg",
        "images": [f"https://img.example/{slug}-1.jpg"],
    }
    values.update(fields)
    return Article(url=f"{SITE}/post/{slug}", **values)  # type: ignore[arg-type]


# New posts, a post saved again unchanged, one changed twice, and a second site: in one batch.
FETCHES = [
    Fetch(post("a", "Breathe in slowly."), "2024-06-01T00:00:00Z", lastmod="2024-05-01"),
    Fetch(post("b", "Stretch the spine."), "2024-06-01T00:00:01Z", etag='"b1"'),
    Fetch(post("a", "Breathe in slowly."), "2024-06-01T00:00:02Z", lastmod="2024-05-02"),
    Fetch(post("b", "Stretch the spine gently.", tags=["Spine"]), "2024-06-01T00:00:03Z"),
    Fetch(Article(url="https://bob.example.com/post/c", title="Soup",
                  body_text="Warm lentil soup."),
          "2024-06-01T00:00:04Z"),
    Fetch(post("b", "Stretch the spine, then rest.", tags=[]), "2024-06-01T00:00:05Z"),
]


def snapshot(archive: Archive) -> dict[str, object]:
    conn = archive.conn
    tables = {table: [tuple(row) for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
              for table in ("posts", "sites", "tags", "post_tags", "categories",
                            "post_categories", "images")}
    urls = [row[0] for row in conn.execute("SELECT url FROM posts ORDER BY id")]
    tables["versions"] = [archive.versions(url) for url in urls]
    tables["index"] = [tuple(row) for row in conn.execute(
        "SELECT rowid, rank FROM posts_fts WHERE posts_fts MATCH 'spine OR soup OR breathe' "
        "ORDER BY rank, rowid")]
    return tables


def test_batch_save_gives_the_archive_one_by_one_saves_give(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "one.db") as one, Archive.open(tmp_path / "batch.db") as batch:
        outcomes = [one.save_article(f.article, fetched_at=f.fetched_at, lastmod=f.lastmod,
                                     etag=f.etag) for f in FETCHES]
        assert outcomes == ["new", "new", "unchanged", "changed", "new", "changed"]
        assert batch.save_articles(FETCHES) == outcomes
        assert snapshot(batch) == snapshot(one)
        assert one.check() == [] and batch.check() == []


def test_every_version_keeps_its_own_text(tmp_path: Path) -> None:
    bodies = ["First draft.", "Second draft.", "Final text."]
    with Archive.open(tmp_path / "a.db") as archive:
        for n, body in enumerate(bodies):
            archive.save_articles([Fetch(post("a", body), f"2024-06-0{n + 1}T00:00:00Z")])
        records = [v["record"] for v in archive.versions(f"{SITE}/post/a")]
        assert [r["body_text"] for r in records] == bodies
        assert [r["body_html"] for r in records] == [f"<p>{b}</p>" for b in bodies]
        assert records[-1] == post("a", bodies[-1]).to_dict()
        assert archive.check() == []


def test_rows_inserted_by_other_tools_are_still_indexed(tmp_path: Path) -> None:
    # The insert trigger skips rows only inside a batch; anything else is indexed row by row.
    with Archive.open(tmp_path / "a.db") as archive:
        archive.save_articles([post("a", "Breathe in.")])
        archive.conn.execute(
            "INSERT INTO posts (site_id, url, title, body, content_hash, first_seen, last_seen, "
            "last_changed) VALUES (1, 'https://x.example/post/z', 'Zither', 'zither music', "
            "'h', 'now', 'now', 'now')")
        found = archive.conn.execute(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'zither'").fetchone()[0]
        assert found == 1
        flag = archive.conn.execute(
            "SELECT value FROM search_meta WHERE key = 'index_later'").fetchone()[0]
        assert flag == 0


CRASH = """
import os, sys
import archive.ingest
from archive.store import Archive
from tests.test_store_batch import post

archive_ = Archive.open(sys.argv[1])
archive_.save_articles([post("kept", "Saved before the crash.")])

def crash(*args):
    os._exit(3)  # a kill in the middle of the batch: posts and index written, not committed

archive.ingest._write_links = crash
archive_.save_articles([post(f"lost{n}", f"Never committed {n}.") for n in range(50)])
"""


def test_crash_in_the_middle_of_a_batch_leaves_a_consistent_archive(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", CRASH, str(path)], cwd=root, check=False)
    assert done.returncode == 3
    with Archive.open(path) as archive:
        assert archive.check() == []
        urls = [row[0] for row in archive.conn.execute("SELECT url FROM posts")]
        assert urls == [f"{SITE}/post/kept"]
        assert archive.conn.execute(
            "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH 'committed'").fetchone()[0] == 0
        assert archive.save_articles([post("after", "Written after.")]) == ["new"]
        assert archive.check() == []


def test_batches_prepared_in_chunks_match_one_by_one_saves(tmp_path: Path,
                                                           monkeypatch: MonkeyPatch) -> None:
    # Rows of the next chunk are prepared while the previous chunk is written: ids of new posts,
    # tags first met in a later chunk and changed posts between new ones must come out the same.
    monkeypatch.setattr(ingest, "PREP_CHUNK", 3)
    def tags(n: int) -> list[str]:
        return [f"T{n % 4}", "yoga", *([f"New{n}"] if n >= 8 else [])]

    first = [Fetch(post(f"p{n}", f"Pose {n}.", tags=tags(n)), f"2024-06-01T00:0{n}:00Z")
             for n in range(8)]
    second = [Fetch(post(f"p{n}", f"Pose {n}{' again' if n == 6 else ''}.", tags=tags(n)),
                    f"2024-07-01T00:0{n}:00Z") for n in range(4, 12)]
    with Archive.open(tmp_path / "one.db") as one, Archive.open(tmp_path / "batch.db") as batch:
        outcomes = [one.save_article(f.article, fetched_at=f.fetched_at)
                    for f in first + second]
        assert batch.save_articles(first) + batch.save_articles(second) == outcomes
        assert outcomes[8:] == ["unchanged", "unchanged", "changed", "unchanged",
                                "new", "new", "new", "new"]
        assert snapshot(batch) == snapshot(one)


@pytest.mark.parametrize("url", [
    "https://ann.wixsite.com/yoga/post/a", "https://ann.wixsite.com/yoga", "https://Example.com/",
    "https://example.com:8443/blog/post/a?x=1", "http://127.0.0.1:8000/post/a#top",
    "https://example.com", "https://user@example.com/a/b/c"])
def test_site_roots_read_from_the_cache_are_those_of_site_root(url: str) -> None:
    assert ingest._site_root(url) == site_root(url)
    assert ingest._site_root(url) == site_root(url)  # the second call reads the cache


def test_a_runs_site_is_looked_up_once_a_batch_and_a_rolled_back_rename_is_not_trusted(
        tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.db") as archive:
        run = archive.start_run(SITE)
        archive.save_article(post("a", "Breathe."), run_id=run)  # named "Ann's yoga"
        lookups: list[str] = []
        archive.conn.set_trace_callback(
            lambda sql: lookups.append(sql) if "FROM sites WHERE url IN" in sql else None)
        with archive.transaction():
            for n in range(5):
                archive.save_article(post(f"p{n}", f"Pose {n}."), run_id=run)
            with pytest.raises(RuntimeError), archive.savepoint():
                archive.save_article(post("x", "Renamed.", site_name="Ann"), run_id=run)
                raise RuntimeError("this page fails: the rename is undone")
            archive.save_article(post("y", "Renamed again.", site_name="Ann"), run_id=run)
        assert len(lookups) == 2  # the first save, and the one after the failed one
        assert [tuple(row) for row in archive.conn.execute("SELECT name FROM sites")] == [("Ann",)]
