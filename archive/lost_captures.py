"""Captures lost from their files (a capture file deleted or cut short, a record damaged inside
its file), and their replacement.

A crawl finds them when it starts, cheaply: one stat per capture file, compared with how far
the index says the file goes (capture_files.bytes); only the records of a file that is missing
or shorter than that are looked at, by their indexed offset and length. No byte is read: the
records damaged inside a file (a byte changed) are those `check`, which reads every byte, found
and noted (damaged_records) and that are still indexed.

Then (crawler.spiders.wix, crawler.media) it fetches again, unconditionally, each post of the
site whose newest capture is lost and each image (video, document) whose stored capture is,
and, as the post pages are read (crawler.page_requisites, with or without --page-requisites),
each other image a post page shows whose stored capture is lost (a logo, an avatar: images no
post names, so only the pages tell which site they belong to); the new captures take their
place: an unchanged post's current version and a media row name the new capture
(archive.ingest, archive.captures.record_media). At its end
(crawler.capture.middleware) the index forgets each lost record that nothing names any more
and whose URL was captured again since; a file left with no record indexed is forgotten too,
so `check` passes again. A lost record something still names (an older version of a post,
which no crawl can fetch again) stays indexed, and `check` keeps naming it.

Nothing here imports Scrapy.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

from archive.attachments import media_kinds
from archive.captures import LostFiles, earlier_response, is_lost, torn_tail_cut
from archive.chunked import in_chunks


def lost_files(conn: sqlite3.Connection, directory: Path) -> LostFiles:
    """The capture files that are missing or shorter than the index says, and what is left;
    the records `check` found damaged that are still indexed."""
    return _lost(conn, directory)[0]


def _lost(conn: sqlite3.Connection,
          directory: Path) -> tuple[LostFiles, list[tuple[int, str, str]]]:
    """lost_files, and (captures id, record id, URL) of each damaged record still indexed."""
    try:
        files = conn.execute("SELECT id, name, bytes FROM capture_files").fetchall()
    except sqlite3.OperationalError:  # an archive from before captures
        return LostFiles(), []
    cut: dict[int, int] = {}
    for file_id, name, indexed in files:
        try:
            size = (directory / name).stat().st_size
        except FileNotFoundError:
            cut[file_id] = 0
            continue
        if size < indexed:
            cut[file_id] = size
    try:
        damaged = conn.execute(
            "SELECT d.file_id, d.offset, c.id, c.record_id, c.url FROM damaged_records d "
            "JOIN captures c ON c.record_id = d.record_id").fetchall()
    except sqlite3.OperationalError:  # a read-only archive from before v16
        damaged = []
    return (LostFiles(cut, frozenset((file_id, offset) for file_id, offset, *_ in damaged)),
            [(capture_id, record_id, url) for _, _, capture_id, record_id, url in damaged])


def _lost_records(conn: sqlite3.Connection, lost: LostFiles,
                  damaged: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """(captures id, record id, URL) of every record of the lost files past what is left, and
    of every damaged record still indexed (`damaged`: _lost's)."""
    found = []
    for file_id, size in lost.cut.items():
        found += conn.execute("SELECT id, record_id, url FROM captures WHERE file_id = ? "
                              "AND offset + length > ?", (file_id, size)).fetchall()
    return found + damaged


def unreadable_captures(conn: sqlite3.Connection, lost: LostFiles,
                        record_ids: list[str]) -> set[str]:
    """Those of the records that cannot be read: lost themselves, or revisits whose payload
    is in no response still whole."""
    unreadable: set[str] = set()
    revisits: dict[str, list[str]] = {}  # payload digest -> revisit record ids
    for record_id, kind, digest, file_id, offset, length in in_chunks(
            conn, "SELECT record_id, kind, payload_digest, file_id, offset, length FROM "
            "captures WHERE record_id IN ({marks})", record_ids):
        if is_lost(lost, file_id, offset, length):
            unreadable.add(record_id)
        elif kind == "revisit" and digest:
            revisits.setdefault(digest, []).append(record_id)
    for digest, ids in revisits.items():
        if earlier_response(conn, digest, lost) is None:
            unreadable.update(ids)
    return unreadable


class Lost(NamedTuple):
    """What a crawl of a site fetches again because its capture is lost."""

    posts: set[str]  # post URLs whose newest capture is lost
    # URL -> 'image' (a rendition of one too), or the attachment's kind ('video', 'document')
    media: dict[str, str]
    # The capture files lost (lost_files): the other images the post pages show (a logo, an
    # avatar) are known only once those pages are read (crawler.page_requisites, with
    # unreadable_media); empty when nothing is lost.
    files: LostFiles = LostFiles()


def lost_captures(conn: sqlite3.Connection, directory: Path, site: str) -> Lost:
    """The site's posts (not deleted) whose newest capture, the one `reextract` reads, is
    lost, and its stored images (and their renditions the post pages show), videos and
    documents whose capture is lost."""
    lost = lost_files(conn, directory)
    if not lost:
        return Lost(set(), {})  # the common case: one stat per file, one query
    # The newest successful capture of each post's URL, else the one its version names: what
    # archive.reextract reads.
    newest = dict(conn.execute(
        "SELECT p.url, coalesce((SELECT c.record_id FROM captures c WHERE c.url = p.url "
        "AND c.status = 200 ORDER BY c.fetched_at DESC LIMIT 1), (SELECT v.capture FROM "
        "post_versions v WHERE v.post_id = p.id AND v.version = p.version)) FROM posts p "
        "JOIN sites s ON s.id = p.site_id WHERE s.url = ? AND p.deleted_at IS NULL",
        (site,)).fetchall())
    # Its images, videos and documents, and the renditions of its images that the post pages
    # show (`<image>/v1/fill/…`, fetched with --page-requisites: crawler.page_requisites).
    site_images = ("SELECT i.url FROM images i JOIN posts p ON p.id = i.post_id JOIN sites s "
                   "ON s.id = p.site_id WHERE s.url = ?")
    media = dict(conn.execute(
        "SELECT m.url, m.capture FROM media m WHERE m.status = 'stored' AND m.capture IS NOT "
        f"NULL AND (m.url IN ({site_images} UNION SELECT a.url FROM attachments a JOIN posts p "
        "ON p.id = a.post_id JOIN sites s ON s.id = p.site_id WHERE s.url = ?) OR "
        "(instr(m.url, '/v1/') > 0 AND substr(m.url, 1, instr(m.url, '/v1/') - 1) IN "
        f"({site_images})))", (site, site, site)).fetchall())
    unreadable = unreadable_captures(conn, lost,
                                     [r for r in [*newest.values(), *media.values()] if r])
    lost_media = media_kinds(conn, [url for url, record_id in media.items()
                                    if record_id in unreadable])
    return Lost({url for url, record_id in newest.items() if record_id in unreadable},
                lost_media, lost)


def unreadable_media(conn: sqlite3.Connection, lost: LostFiles, urls: list[str]) -> set[str]:
    """Those of `urls` stored in the media table whose capture cannot be read any more: to be
    fetched again like those never fetched."""
    if not lost or not urls:
        return set()
    stored = dict(in_chunks(conn, "SELECT url, capture FROM media WHERE status = 'stored' AND "
                                  "capture IS NOT NULL AND url IN ({marks})", urls))
    unreadable = unreadable_captures(conn, lost, list(stored.values()))
    return {url for url, record_id in stored.items() if record_id in unreadable}


def forget_replaced(conn: sqlite3.Connection, directory: Path) -> int:
    """Inside the caller's transaction: drop from the index each lost record that no post
    version or media row names and whose URL has a whole capture made after it; then the
    files left with no record indexed (missing ones), or none past their end (cut short ones,
    whose torn last record is cut off: their indexed size becomes what is left). A damaged
    record dropped keeps its damaged_records row: its bytes are still in the file, for `check`
    to tell apart. Returns how many records were dropped."""
    lost, damaged = _lost(conn, directory)
    records = _lost_records(conn, lost, damaged)
    # Which of them something names: one pass over the versions and the media rows each
    # (post_versions.capture has no index of its own).
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS lost_records (record_id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.lost_records")
    conn.executemany("INSERT OR IGNORE INTO temp.lost_records VALUES (?)",
                     [(record_id,) for _, record_id, _ in records])
    named = {record_id for (record_id,) in conn.execute(
        "SELECT v.capture FROM post_versions v JOIN temp.lost_records l "
        "ON l.record_id = v.capture UNION SELECT m.capture FROM media m "
        "JOIN temp.lost_records l ON l.record_id = m.capture")}
    conn.execute("DROP TABLE temp.lost_records")
    dropped = []
    for capture_id, record_id, url in records:
        if record_id in named:
            continue
        newer = conn.execute(
            "SELECT c.file_id, c.offset, c.length FROM captures c JOIN captures l "
            "ON l.id = ? WHERE c.url = ? AND c.fetched_at > l.fetched_at",
            (capture_id, url)).fetchall()
        if any(not is_lost(lost, *capture) for capture in newer):
            dropped.append((capture_id,))
    conn.executemany("DELETE FROM captures WHERE id = ?", dropped)
    for file_id, size in lost.cut.items():
        if conn.execute("SELECT EXISTS (SELECT 1 FROM captures WHERE file_id = ? AND "
                        "offset + length > ?)", (file_id, size)).fetchone()[0]:
            continue  # records still lost: `check` names them
        if size == 0:
            conn.execute("DELETE FROM damaged_records WHERE file_id = ?", (file_id,))
            conn.execute("DELETE FROM capture_files WHERE id = ? AND NOT EXISTS "
                         "(SELECT 1 FROM captures WHERE file_id = ?)", (file_id, file_id))
        else:
            whole = _cut_torn_tail(conn, directory, file_id, size)
            conn.execute("UPDATE capture_files SET bytes = ? WHERE id = ?", (whole, file_id))
    return len(dropped)


def _cut_torn_tail(conn: sqlite3.Connection, directory: Path, file_id: int, size: int) -> int:
    """Where the whole records of a file cut short end, its torn last record (what was lost,
    captured again since) cut off there, as recovery cuts a killed writer's torn tail: the file
    is again one every WARC tool reads to its end. `size` if the file cannot be written (or is
    held by a writer)."""
    (name, start), = conn.execute(
        "SELECT f.name, coalesce(max(c.offset), 0) FROM capture_files f LEFT JOIN captures c "
        "ON c.file_id = f.id WHERE f.id = ?", (file_id,)).fetchall()
    try:
        with torn_tail_cut(directory / name, start) as cut:
            return size if cut is None else cut.end  # None: a writer holds it (none should)
    except OSError:  # a read-only file: the tail stays, `check` names it
        return size
