"""Opening archive files: migrations of older archives, and refusing bad files untouched."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from archive import schema
from archive.store import Archive, ArchiveError, ArchiveOutdated
from crawler.extract.record import Article

# The v1 schema exactly as the first archive format wrote it (written out here, not imported, so
# a later edit of archive/schema.py cannot silently change what "an old archive" means).
V1_DDL = """
CREATE TABLE sites (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, name TEXT,
    first_seen TEXT NOT NULL, last_crawled TEXT);
CREATE TABLE crawl_runs (id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),
    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL DEFAULT 'running',
    counts TEXT NOT NULL DEFAULT '{}', errors TEXT NOT NULL DEFAULT '[]');
CREATE TABLE posts (id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites(id),
    url TEXT NOT NULL UNIQUE, wix_post_id TEXT, title TEXT, author TEXT, published TEXT,
    modified TEXT, reading_minutes INTEGER, language TEXT, canonical_url TEXT, description TEXT,
    cover_image TEXT, tags TEXT NOT NULL DEFAULT '[]', categories TEXT NOT NULL DEFAULT '[]',
    body TEXT NOT NULL DEFAULT '', body_html TEXT NOT NULL DEFAULT '',
    body_markdown TEXT NOT NULL DEFAULT '', word_count INTEGER NOT NULL DEFAULT 0,
    warnings TEXT NOT NULL DEFAULT '[]', content_hash TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL, lastmod TEXT, deleted_at TEXT);
CREATE TABLE post_versions (id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id),
    version INTEGER NOT NULL, run_id INTEGER REFERENCES crawl_runs(id), fetched_at TEXT NOT NULL,
    content_hash TEXT NOT NULL, title TEXT, record BLOB NOT NULL, UNIQUE (post_id, version));
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE post_tags (post_id INTEGER NOT NULL REFERENCES posts(id),
    tag_id INTEGER NOT NULL REFERENCES tags(id), position INTEGER NOT NULL,
    PRIMARY KEY (post_id, tag_id)) WITHOUT ROWID;
CREATE TABLE categories (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE post_categories (post_id INTEGER NOT NULL REFERENCES posts(id),
    category_id INTEGER NOT NULL REFERENCES categories(id), position INTEGER NOT NULL,
    PRIMARY KEY (post_id, category_id)) WITHOUT ROWID;
"""


URL = "https://old.example.com/post/kept"


def build_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.executescript(f"""
        PRAGMA application_id = {schema.APPLICATION_ID};
        PRAGMA user_version = 1;
        INSERT INTO sites VALUES (1, 'https://old.example.com/', 'Old blog', '2023-01-01', NULL);
        INSERT INTO crawl_runs (id, site_id, started_at, status) VALUES (1, 1, '2023-01-01', 'ok');
        INSERT INTO posts (id, site_id, url, title, author, tags, body, cover_image, content_hash,
                           version, first_seen, last_seen, last_changed)
        VALUES (1, 1, 'https://old.example.com/post/kept', 'Crème brûlée', 'Zoé', '["Dessert"]',
                'Caramelised sugar on a cold custard.', 'https://img.example/cover.jpg', 'h2',
                2, '2023-01-01', '2023-02-01', '2023-02-01');
        INSERT INTO tags VALUES (1, 'Dessert');
        INSERT INTO post_tags VALUES (1, 1, 0);
    """)
    for version, title in ((1, "Creme brulee"), (2, "Crème brûlée")):
        record = zlib.compress(json.dumps({"url": URL, "title": title}).encode())
        conn.execute("INSERT INTO post_versions (post_id, version, run_id, fetched_at, "
                     "content_hash, title, record) VALUES (1, ?, 1, ?, ?, ?, ?)",
                     (version, f"2023-0{version}-01", f"h{version}", title, record))
    conn.commit()
    conn.close()


def test_v1_archive_is_upgraded_in_place_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build_v1(path)
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
        post = archive.post("https://old.example.com/post/kept")
        assert post["title"] == "Crème brûlée" and post["author"] == "Zoé"
        assert post["tags"] == ["Dessert"] and post["version"] == 2
        assert post["etag"] is None  # a v2 column, added empty
        assert [v["record"]["title"] for v in archive.versions(URL)] == [
            "Creme brulee", "Crème brûlée"]
        images = archive.conn.execute("SELECT url, is_cover FROM images").fetchall()
        assert [tuple(row) for row in images] == [("https://img.example/cover.jpg", 1)]
        # Existing posts are indexed by the v3 migration, diacritics folded.
        found = archive.conn.execute(
            "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'creme AND custard'").fetchall()
        assert [row[0] for row in found] == [1]
        assert archive.runs()[0]["status"] == "ok"
        assert archive.check() == []
        assert archive.save_article(Article(url="https://old.example.com/post/new")) == "new"


def test_readonly_open_of_an_old_archive_does_not_upgrade_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    build_v1(path)
    before = path.read_bytes()
    with pytest.raises(ArchiveOutdated, match="older archive format"):
        Archive.open(path, readonly=True)
    assert path.read_bytes() == before


def test_failed_migration_leaves_the_old_archive_as_it_was(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "old.db"
    build_v1(path)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk full")

    monkeypatch.setitem(schema.MIGRATIONS, 2, broken)
    with pytest.raises(ArchiveError, match="cannot upgrade"):
        Archive.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('half_done', 'images')"
                        ).fetchone()[0] == 0
    assert conn.execute("SELECT title FROM posts").fetchone()[0] == "Crème brûlée"
    conn.close()


def test_empty_file_becomes_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
        assert archive.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _refused(path: Path, message: str, *, readonly: bool = False) -> None:
    before = path.read_bytes()
    with pytest.raises(ArchiveError, match=message) as info:
        Archive.open(path, readonly=readonly)
    assert "\n" not in str(info.value)
    assert path.read_bytes() == before


def test_newer_archive_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Archive.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    _refused(path, "newer wixarchive")
    _refused(path, "newer wixarchive", readonly=True)


def test_non_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my shopping list\n" * 20)
    _refused(path, "not an SQLite database")
    _refused(path, "not an SQLite database", readonly=True)


def test_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance REAL)")
    conn.commit()
    conn.close()
    _refused(path, "not a wixarchive archive")


def test_corrupt_archive_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    with Archive.open(path) as archive:
        archive.save_article(Article(url="https://x.example/post/a", title="A"))
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, past the valid file header
    path.write_bytes(bytes(data))
    _refused(path, "not a readable archive")
    _refused(path, "not a readable archive", readonly=True)


def test_read_only_file_is_refused_for_writing_but_readable(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    with Archive.open(path) as archive:
        archive.save_article(Article(url="https://x.example/post/a", title="A"))
    path.chmod(0o444)
    _refused(path, "read-only")
    with Archive.open(path, readonly=True) as archive:
        assert archive.post("https://x.example/post/a")["title"] == "A"


def test_a_read_only_archive_is_refused_saying_why(tmp_path: Path) -> None:
    """`… is read-only; it can be searched but not written` said nothing of why: a file
    without write permission, a read-only mount, or (not testable as root) another user's
    file. The refusal names which, for the administrator to chmod, remount or run as the user
    that crawls."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_article(Article(url="https://x.example/post/a", title="A"))
    path.chmod(0o444)
    with pytest.raises(ArchiveError) as refused:
        Archive.open(path)
    assert str(refused.value) == (f"{path} is read-only (its mode 444 lets no one write it); it "
                                  "can be searched but not written")
    path.chmod(0o644)
    if os.geteuid() != 0:
        return  # a bind mount made read-only needs root
    mount = tmp_path / "mount"
    mount.mkdir()
    subprocess.run(["mount", "--bind", str(tmp_path), str(mount)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
        with pytest.raises(ArchiveError) as refused:
            Archive.open(mount / "archive.db")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)
    assert str(refused.value) == (f"{mount / 'archive.db'} is read-only (on a read-only file "
                                  "system); it can be searched but not written")


def test_missing_file_is_created_only_when_allowed(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive at"):
        Archive.open(tmp_path / "missing.db", create=False)
    with pytest.raises(ArchiveError, match="no archive at"):
        Archive.open(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(ArchiveError, match="does not exist"):
        Archive.open(tmp_path / "no-such-dir" / "a.db")
    with pytest.raises(ArchiveError, match="is a directory"):
        Archive.open(tmp_path)



# Run in another process: does some process hold a lock on the file (fcntl F_GETLK)?
LOCK_PROBE = """
import fcntl, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
found = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
print(struct.unpack("hhqqi", found)[0] != fcntl.F_UNLCK)
"""


def test_opening_again_keeps_the_first_connections_locks(tmp_path: Path) -> None:
    """A crawl process opens the archive several times while its first connections are in use.
    A later open must leave their locks alone: closing any descriptor of the file drops all of
    this process's POSIX locks on it, and without them another process believes itself the
    archive's only user (it then checkpoints and deletes the log under the first; a crawl's
    archive was damaged that way)."""
    path = tmp_path / "archive.db"

    def locked() -> bool:
        probe = subprocess.run([sys.executable, "-c", LOCK_PROBE, str(path)],
                               capture_output=True, text=True, check=True)
        return probe.stdout.strip() == "True"

    with Archive.open(path) as first, first.transaction():
        first.save_article(Article(url="https://x.example/post/a", title="A"))
        assert locked()
        Archive.open(path, readonly=True).close()
        assert locked()
        Archive.open(path).close()
        assert locked()


def _open_when_told(path: Path, start: object, outcomes: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    try:
        with Archive.open(path) as archive:
            outcomes.put(archive.schema_version)  # type: ignore[attr-defined]
    except ArchiveError as exc:
        outcomes.put(str(exc))  # type: ignore[attr-defined]


def test_processes_creating_one_new_archive_at_once_all_open_it(tmp_path: Path) -> None:
    """A crawl's sites start together, each opening the archive from its own process or thread:
    all of them find it created, none is told it is busy or someone else's database (SQLite
    refuses all but one switch to WAL at once, and a version read apart from the table count
    could see a half-made archive)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    outcomes = []
    for round_ in range(30):
        path = tmp_path / f"archive-{round_}.db"
        start, queue = context.Barrier(8), context.Queue()
        openers = [context.Process(target=_open_when_told, args=(path, start, queue))
                   for _ in range(8)]
        for opener in openers:
            opener.start()
        outcomes += [queue.get(timeout=60) for _ in openers]
        for opener in openers:
            opener.join(timeout=60)
    assert [o for o in outcomes if o != schema.SCHEMA_VERSION] == []
