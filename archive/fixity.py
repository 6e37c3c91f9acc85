"""`check`'s reading of the capture files: every byte of each, against the index.

One sequential pass over each file reads every gzip member, indexed or not (the request records
too): each must inflate whole (its CRC-32 and length checked: the gzip trailer) and parse as a
WARC record, as any WARC tool reading the file needs. An indexed record must be the one indexed,
and a response's payload must have its indexed digest. What cannot be read is named by file and
offset. An indexed record found damaged is noted (damaged_records), so that a crawl captures it
again as it does the records of a file missing or cut short (archive.lost_captures).

A capture file the index names that is missing is looked for in the other `*.captures` folders
beside the archive: an archive copied or renamed without its folder (`cp archive.db copy.db`)
has its files in `archive.captures/`, which only needs renaming.

Nothing here imports Scrapy.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from archive.attachments import media_kinds
from archive.captures import members, parse_record, payload_digest, unreadable_folder
from archive.words import counted, plural

# What `check` says of lost records: a crawl captures them again (see lost_captures).
RECAPTURE_HINT = ("a crawl of their site captures its posts and images again while it is up "
                  "(`wixarchive crawl SITE`)")
SHOWN_LOST = 3  # URLs named of the records a missing or truncated file lost


def describe_lost(conn: sqlite3.Connection, file_id_: int, size: int, where: str = "") -> str:
    """The records of a capture file that lie (wholly or partly) past `size` bytes (0 for a
    missing file), counted by kind with the first few URLs: "37 records (4 posts, 30 images,
    3 documents: http://…, http://…, http://…, …)". A post is a capture of a post's URL; an
    image, video or document, one a media row names."""
    rows = conn.execute(
        "SELECT c.record_id, c.url, EXISTS (SELECT 1 FROM posts p WHERE p.url = c.url) "
        "FROM captures c WHERE c.file_id = ? AND c.offset + c.length > ? ORDER BY c.offset",
        (file_id_, size)).fetchall()
    # The media rows of those records only, and the kinds of their URLs.
    media_urls = dict(conn.execute(
        "SELECT m.capture, m.url FROM media m JOIN captures c ON c.record_id = m.capture "
        "WHERE c.file_id = ? AND c.offset + c.length > ?", (file_id_, size)).fetchall())
    kinds = media_kinds(conn, list(media_urls.values()))
    media = {record_id: kinds[url] for record_id, url in media_urls.items()}
    counts: dict[str, int] = {"post": 0, "image": 0, "document": 0, "video": 0, "other": 0}
    shown: dict[str, list[str]] = {kind: [] for kind in counts}
    for record_id, url, is_post in rows:
        kind = "post" if is_post else media.get(record_id, "other")
        counts[kind] += 1
        if len(shown[kind]) < SHOWN_LOST:
            shown[kind].append(url)
    records = f"{counted(len(rows), 'record')}{where}"
    if not rows:
        return records
    parts = [counted(n, "sitemap, feed or other page", "sitemaps, feeds and other pages")
             if kind == "other" else counted(n, kind) for kind, n in counts.items() if n]
    examples = [url for kind in counts for url in shown[kind]][:SHOWN_LOST]  # posts first
    more = ", …" if len(rows) > len(examples) else ""
    return f"{records} ({', '.join(parts)}: {', '.join(examples)}{more})"


def misplaced_folders(directory: Path, names: Sequence[str]) -> tuple[list[Path], list[str]]:
    """The other `*.captures` folders beside `directory` holding the most of the capture files
    `names` (missing from `directory`), and those of `names` the first of them holds; ([], [])
    if none holds any."""
    folders: list[Path] = []
    found: list[str] = []
    if not names:
        return folders, found
    for folder in sorted(directory.parent.glob("*.captures")):
        if folder == directory or not folder.is_dir():
            continue
        held = [name for name in names if (folder / name).is_file()]
        if held and len(held) > len(found):
            folders, found = [folder], held
        elif held and len(held) == len(found):
            folders.append(folder)
    return folders, found


def misplaced_hint(directory: Path, folders: Sequence[Path]) -> str:
    """What to do about capture files found in other folders than the archive's."""
    named = " or ".join(f"{folder}/" for folder in folders)
    return (f"rename or move {named} to {directory}/ (the folder this database uses) rather "
            "than crawling again")


class Damaged(NamedTuple):
    """An indexed record found damaged, to note in damaged_records."""

    file_id: int
    offset: int
    record_id: str


def verify(conn: sqlite3.Connection, directory: Path, *, notes: list[str],
           damaged: list[Damaged], limit: int = 50,
           on_start: Callable[[int], Any] | None = None,
           progress: Callable[[int], Any] | None = None) -> list[str]:
    """Problems between the index and the files (empty when they agree), from one sequential
    pass over each file: files missing or shorter than indexed, any record (indexed or not)
    that does not inflate whole or parse as WARC, indexed records that are not the record
    indexed or whose payload does not match its digest. A file left open by a writer that is
    gone is no problem (the next crawl or `reextract` indexes and closes it): it is added to
    `notes`, as is a damaged record whose content was captured again since. The indexed
    records found damaged are added to `damaged`. `on_start` is told how many files there are
    to read, `progress` called with 1 as each is read."""
    try:
        files = conn.execute("SELECT id, name, bytes, closed_at FROM capture_files "
                             "ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # a read-only archive from before captures (v9 or older)
        return []
    if files and (why := unreadable_folder(directory)):
        return [f"captures: {why}"]
    problems: list[str] = []
    sizes: dict[int, int] = {}
    missing: list[tuple[int, str]] = []
    for file_id_, name, _, _ in files:
        try:
            sizes[file_id_] = (directory / name).stat().st_size
        except FileNotFoundError:
            missing.append((file_id_, name))
    _name_missing(conn, directory, missing, problems)
    if on_start is not None:
        on_start(len(sizes))
    for file_id_, name, indexed, closed_at in files:
        if len(problems) >= limit:
            break
        if file_id_ in sizes:
            if progress is not None:
                progress(1)
            try:
                _verify_file(conn, directory / name, (file_id_, indexed, closed_at),
                             sizes[file_id_], problems, notes, damaged, limit)
            except PermissionError:
                problems.append(f"captures: {directory / name} cannot be read by this user "
                                "(permission denied): run this as the user that crawls, or "
                                "give this one read access to it")
    return problems[:limit]


def _name_missing(conn: sqlite3.Connection, directory: Path, missing: list[tuple[int, str]],
                  problems: list[str]) -> None:
    """Problems for the missing capture files: those another `*.captures` folder beside holds
    together, in one; each other one with what it held."""
    folders, found = misplaced_folders(directory, [name for _, name in missing])
    if folders:
        named = " and ".join(f"{folder}/" for folder in folders)
        held = len(found)
        problems.append(f"captures: {counted(held, 'capture file')} indexed "
                        f"{plural(held, 'is', 'are')} missing from {directory}/ and in {named} "
                        f"beside it: {misplaced_hint(directory, folders)}")
    in_folder = set(found)
    for file_id_, name in missing:
        if name in in_folder:
            continue
        problems.append(f"captures: {directory / name} is missing, with the "
                        f"{describe_lost(conn, file_id_, 0, ' indexed in it')}; "
                        f"{RECAPTURE_HINT}")


def _verify_file(conn: sqlite3.Connection, path: Path, file: tuple[int, int, str | None],
                 size: int, problems: list[str], notes: list[str],
                 damaged: list[Damaged], limit: int) -> None:
    """verify's findings for one capture file (id, indexed bytes, closed_at) of `size` bytes."""
    file_id_, indexed, closed_at = file
    if size < indexed:
        problems.append(f"captures: {path} is truncated ({size} of {indexed} bytes)")
    if closed_at is None and not _in_use(path):
        notes.append(f"captures: {path} was left open by a crawl that stopped; the next "
                     "crawl or `reextract` indexes and closes it")
    rows = {offset: (record_id, kind, url, digest, length) for
            record_id, kind, url, digest, offset, length in conn.execute(
                "SELECT record_id, kind, url, payload_digest, offset, length FROM captures "
                "WHERE file_id = ? ORDER BY offset", (file_id_,)).fetchall()}
    # Its size again, now that its rows are read: a crawl writing it indexes records as it
    # goes, each synced to the file first, so every row read is within the file as it is now;
    # compared with the size taken before (checking the files before it), the records indexed
    # since were reported cut off, "lost", while nothing was.
    with contextlib.suppress(FileNotFoundError):
        size = max(size, path.stat().st_size)
    # Read up to the first record cut off (named apart), and no further than the index goes
    # in a file still open: past it are records a writer is writing, or recovery will index.
    end = size if closed_at is not None else min(size, indexed)
    for offset, (_, _, url, _, length) in rows.items():
        if offset + length > size:
            problems.append(f"captures: {path}: record at {offset} ({url}) is cut off: lost "
                            f"from there on, {describe_lost(conn, file_id_, size)}; "
                            f"{RECAPTURE_HINT}")
            end = min(end, offset)
            break
    try:
        noted = {offset for (offset,) in conn.execute(
            "SELECT offset FROM damaged_records WHERE file_id = ?", (file_id_,))}
    except sqlite3.OperationalError:  # a read-only archive from before v16
        noted = set()
    previous: tuple[int, str] | None = None  # (end, URL) of the indexed record just read
    for member in members(path, end=end,
                          indexed={o: row[4] for o, row in rows.items() if o < end}):
        row = rows.get(member.offset)
        record, payload, why = None, b"", member.error
        if member.data is not None:
            record, payload, why = _parse(member.data)
        if record is None:
            if row is not None:
                damaged.append(Damaged(file_id_, member.offset, row[0]))
                problems.append(f"captures: {path}: record at {member.offset} ({row[2]}) is "
                                f"damaged: {why}; {RECAPTURE_HINT}")
            elif member.offset in noted:  # no longer indexed: captured again and forgotten
                notes.append(f"captures: {path}: record at {member.offset} is damaged ({why}); "
                             "what it held was captured again since, but WARC tools reading "
                             "the whole file stop there")
            else:
                of = (f" (the request record of {previous[1]})"
                      if previous is not None and previous[0] == member.offset else "")
                problems.append(f"captures: {path}: record at {member.offset}{of} is damaged: "
                                f"{why}; WARC tools reading the whole file stop there")
        elif row is not None:
            record_id, kind, url, digest, _ = row
            if record.rec_headers.get_header("WARC-Record-ID") != record_id:
                problems.append(f"captures: {path}: record at {member.offset} is not "
                                f"{record_id}")
            elif kind == "response" and payload_digest(payload) != digest:
                problems.append(f"captures: {path}: payload of {url} at {member.offset} does "
                                "not match its digest")
        previous = (member.offset + member.length, row[2]) if row is not None else None
        if len(problems) >= limit:
            break


def _parse(data: bytes):  # -> (warcio ArcWarcRecord or None, its payload, why not a record)
    """The WARC record an inflated member holds and its payload (the block after any HTTP
    headers), or why it holds none."""
    try:
        record = parse_record(data)
        return record, record.raw_stream.read(), None
    except Exception as exc:  # any failure to parse is a finding
        return None, b"", f"not a WARC record ({exc})"


def note_damaged(conn: sqlite3.Connection, found: Sequence[Damaged]) -> None:
    """Inside the caller's write transaction: note the indexed records found damaged, so that
    a crawl captures them again (archive.lost_captures)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    conn.executemany("INSERT OR IGNORE INTO damaged_records (file_id, offset, record_id, "
                     "found_at) VALUES (?, ?, ?, ?)", [(*item, now) for item in found])


def not_noted(conn: sqlite3.Connection, found: Sequence[Damaged]) -> list[Damaged]:
    """The records of `found` that damaged_records does not hold yet."""
    try:
        noted = {(file_id, offset) for file_id, offset in conn.execute(
            "SELECT file_id, offset FROM damaged_records")}
    except sqlite3.OperationalError:  # an archive older than schema v16, read as it is
        noted = set()
    return [item for item in found if (item.file_id, item.offset) not in noted]


def _in_use(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False
