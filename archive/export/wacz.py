"""WACZ 1.1.1 packages of an archive's captures: `wixarchive export --format wacz OUT.wacz`.

A WACZ is a zip of WARC files (`archive/`), a sorted CDXJ index of them (`indexes/`), a list of
pages (`pages/pages.jsonl`), `datapackage.json` (every file's sha256 and size) and
`datapackage-digest.json` (the sha256 of datapackage.json). pywb, ReplayWeb.page and
`wacz validate` read it.

What goes in: the site's captured records, copied as the gzip members they are stored as (never
decoded and encoded again, so the bytes and digests are the ones captured), each response or
revisit record followed by its request record; the original response of every revisit record,
wherever it was captured (so a replay tool resolves the revisit inside the package); the
full-size images of the site's posts; and a page per post, at its newest capture.

Why the packaging is written here rather than by py-wacz's `wacz create`: `wacz create` packs
whole WARC files, while a site's records share capture files with other sites' (one crawl
process writes many sites) and its revisits point at records anywhere; it matches the page list
in memory and hashes the zip by reading it back. So the records are chosen with SQL and copied
by offset and length into one WARC, in one pass.

The index: each CDXJ line is made from the capture index (URL, date, status, type, digest)
while the record is copied, with the fields, order and values cdxj-indexer gives `wacz create`
(the test suite checks that `wacz create` over the package's WARC makes the identical index).
Running cdxj-indexer itself would parse every record again with warcio: 90% of the export's time
(10.5 of 11.7 s at 10,000 posts, cProfile). Its external sort and ZipNum writer are used as they
are. Memory stays flat in the number of posts: the record set lives in an SQLite temporary
table, the records stream through, and the index sort spills to disk past SORT_BUFFER.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import sqlite3
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import urlsplit

from archive import __version__
from archive.captures import CaptureError, inflate_member
from archive.words import counted

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"  # the one WARC file of a package, under archive/
CDX_LINES = 1024  # CDXJ lines per ZipNum block, as `wacz create` (and archiveweb.page) write
SORT_BUFFER = 4 * 2**20  # bytes of index lines sorted in memory before spilling to disk
REQUEST_PEEK = 4096  # the record after a response is read in chunks of this size (a request: one)
SHOWN_PROBLEMS = 5
PROGRESS_EVERY = 500  # records


class NoCaptures(ValueError):
    """The sites chosen have no captured records to package."""


@dataclass
class Summary:
    """What a package holds."""

    posts: int = 0  # pages listed (posts with a captured page)
    posts_without_capture: int = 0
    # Left out too: their newest version names a capture not indexed yet (a crawl running now
    # indexes its records a moment after it stores the posts made from them).
    posts_not_indexed_yet: int = 0
    # Left out too: their captures are indexed but could not be read (a capture file missing,
    # cut short or damaged: each record a `problems` line).
    posts_unreadable: int = 0
    records: int = 0  # response and revisit records
    requests: int = 0
    revisit_originals: int = 0  # responses added because a revisit record refers to them
    bytes: int = 0  # size of the package
    problems: list[str] = field(default_factory=list)  # records that could not be copied
    skipped: int = 0  # response, revisit and request records that could not be read
    # The posts' images as their pages show them (Wix renditions: fetched by `crawl
    # --page-requisites`, or kept by `import` and `recover` from web archives holding them):
    # how many renditions are packaged, how many images the posts' bodies show and how many of
    # those have a rendition, and whether the sites were ever crawled (then a crawl may fetch
    # the rest; an imported blog may be gone).
    renditions: int = 0
    images_shown: int = 0
    images_with_renditions: int = 0
    images_not_archived: int = 0  # shown, archived neither as shown nor at full size
    crawled: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"posts": self.posts, "posts_without_capture": self.posts_without_capture,
                "posts_not_indexed_yet": self.posts_not_indexed_yet,
                "posts_unreadable": self.posts_unreadable,
                "records": self.records, "requests": self.requests,
                "revisit_originals": self.revisit_originals, "bytes": self.bytes,
                "skipped_records": self.skipped, "problems": self.problems,
                "renditions": self.renditions, "images_shown": self.images_shown,
                "images_with_renditions": self.images_with_renditions,
                "images_not_archived": self.images_not_archived,
                "renditions_missing": self.images_shown > self.images_with_renditions,
                "crawled": self.crawled}


def note(summary: dict[str, Any]) -> str | None:
    """What `export` says of a package whose posts show images it lacks at the sizes their
    pages name (those stay blank inside a replayed post); None when it lacks none."""
    shown, kept = summary["images_shown"], summary["images_with_renditions"]
    if kept >= shown:
        return None
    missing = summary["images_not_archived"]
    renditions = counted(summary["renditions"], "rendition")

    def sizes(count: int) -> str:  # what a number of images is "archived at", in agreement
        return "the sizes its page names" if count == 1 else "the sizes their pages name"

    blank = "it stays" if shown == 1 else "they stay"
    # Missing ones' downloads failed (no network, a media host down) or were left out
    # (--no-images): "at full size only" would claim what the archive lacks.
    if missing == shown:
        held = ("the 1 image the posts show is not archived, neither at full size nor at "
                if shown == 1 else
                f"none of the {shown} images the posts show is archived, neither at full size "
                "nor at ") + f"{sizes(shown)}, so {blank} blank inside a replayed post"
    elif missing:
        lacking = [f"{missing} {'is' if missing == 1 else 'are'} not archived at all"]
        if shown - kept - missing:
            lacking.append(f"{shown - kept - missing} only at full size")
        also = (f" (the other {kept} {'is' if kept == 1 else 'are'} at {sizes(kept)}: "
                f"{renditions})" if kept else "")
        held = (f"of the {shown} images the posts show, {' and '.join(lacking)}{also}: "
                "those stay blank inside a replayed post")
    elif kept:
        held = (f"{kept} of the {shown} images the posts show {'is' if kept == 1 else 'are'} "
                f"archived at {sizes(kept)} ({renditions}); the other {shown - kept} only at "
                "full size, so they stay blank inside a replayed post")
    else:
        held = (f"the {counted(shown, 'image')} the posts show "
                f"{'is' if shown == 1 else 'are'} archived at full size only, not at "
                f"{sizes(shown)}, so {blank} blank inside a replayed post")
    # A crawl fetches them while the site is up; an import keeps every rendition its files
    # hold, so the rest are not in them.
    advice = ("if the site is still up, crawl it again with --page-requisites"
              if summary["crawled"] else
              "the web archives imported or recovered from did not hold them")
    return f"Note: {held} ({advice})."


# -- choosing the records -------------------------------------------------------------------


def _site_prefixes(site_url: str) -> list[str]:
    """URL prefixes of a site's own captures: the site root (http and https) and its host's
    robots.txt."""
    parts = urlsplit(site_url)
    root = site_url if site_url.endswith("/") else site_url + "/"
    rest = root.split("://", 1)[1]
    return [f"http://{rest}", f"https://{rest}", f"http://{parts.netloc}/robots.txt",
            f"https://{parts.netloc}/robots.txt"]


# The stored renditions of a site's post images (`<original>/v1/…`, fetched by `crawl
# --page-requisites`): a range of the media table's key after each original's URL + "/"
# ("0" is the character after "/").
_RENDITIONS = (
    "SELECT m.capture FROM (SELECT DISTINCT i.url FROM images i JOIN posts p ON p.id = i.post_id "
    "JOIN sites s ON s.id = p.site_id WHERE s.url = ?) i JOIN media m "
    "ON m.url > i.url || '/' AND m.url < i.url || '0' WHERE m.status = 'stored'")


# Over the distinct images posts show (`i.url`): how many, how many have a rendition stored,
# how many have neither a rendition nor their full size stored.
_HAS_RENDITION = ("EXISTS (SELECT 1 FROM media m WHERE m.url > i.url || '/' "
                  "AND m.url < i.url || '0' AND m.status = 'stored')")
_SHOWN_COUNTS = (f"count(*), count(CASE WHEN {_HAS_RENDITION} THEN 1 END), "
                 f"count(CASE WHEN NOT {_HAS_RENDITION} AND NOT EXISTS (SELECT 1 FROM media m "
                 "WHERE m.url = i.url AND m.status = 'stored') THEN 1 END)")


# A filtered export's posts (`export --lang fr --format wacz`), listed in a temporary table by
# `write`: their pages' captures, images and renditions are packaged, not their sites' others.
_CHOSEN = "SELECT id FROM temp.wacz_posts"
_CHOSEN_IMAGES = f"SELECT i.url FROM images i WHERE i.post_id IN ({_CHOSEN})"
_CHOSEN_RENDITIONS = (
    f"SELECT m.capture FROM (SELECT DISTINCT url FROM ({_CHOSEN_IMAGES})) i JOIN media m "
    "ON m.url > i.url || '/' AND m.url < i.url || '0' WHERE m.status = 'stored'")


def _count_chosen_renditions(conn: sqlite3.Connection, sites: list[dict[str, Any]],
                             summary: Summary) -> None:
    """count_renditions for the chosen posts only (their sites tell whether they were
    crawled)."""
    summary.renditions += conn.execute(
        f"SELECT count(*) FROM ({_CHOSEN_RENDITIONS})").fetchone()[0]
    shown, kept, missing = conn.execute(
        f"SELECT {_SHOWN_COUNTS} FROM (SELECT i.url FROM images i WHERE i.post_id IN "
        f"({_CHOSEN}) GROUP BY i.url HAVING min(i.is_cover) = 0) i").fetchone()
    summary.images_shown += shown
    summary.images_with_renditions += kept
    summary.images_not_archived += missing
    summary.crawled = any(conn.execute(
        "SELECT 1 FROM crawl_runs r JOIN sites s ON s.id = r.site_id WHERE s.url = ? "
        "LIMIT 1", (site["site"],)).fetchone() for site in sites)


def _choose_posts_records(conn: sqlite3.Connection, insert: str) -> None:
    """choose_records for the chosen posts: every capture of their pages (their URLs, and
    the captures their versions were made from) and of their images, full size and as shown."""
    conn.execute(insert + "SELECT c.id FROM captures c JOIN post_versions v ON v.capture = "
                 f"c.record_id WHERE v.post_id IN ({_CHOSEN})")
    # CROSS JOIN: from the few posts to their captures (SQLite's plan walked every capture).
    conn.execute(insert + "SELECT c.id FROM temp.wacz_posts w CROSS JOIN posts p "
                 "ON p.id = w.id CROSS JOIN captures c ON c.url = p.url")
    conn.execute(insert + "SELECT c.id FROM captures c JOIN media m ON m.capture = c.record_id "
                 f"WHERE m.url IN ({_CHOSEN_IMAGES})")
    conn.execute(insert + "SELECT c.id FROM captures c WHERE c.record_id IN "
                 f"({_CHOSEN_RENDITIONS})")


def count_renditions(conn: sqlite3.Connection, sites: list[dict[str, Any]],
                     summary: Summary) -> None:
    """Count, into `summary`, the renditions of the sites' post images that are archived, the
    images the posts' bodies show (a cover only in the page's metadata is not shown) and
    those of them with a rendition archived, and whether the sites were ever crawled."""
    for site in sites:
        summary.renditions += conn.execute(f"SELECT count(*) FROM ({_RENDITIONS})",
                                           (site["site"],)).fetchone()[0]
        shown, kept, missing = conn.execute(
            f"SELECT {_SHOWN_COUNTS} FROM (SELECT i.url FROM images i JOIN posts p "
            "ON p.id = i.post_id JOIN sites s ON s.id = p.site_id WHERE s.url = ? "
            "GROUP BY i.url HAVING min(i.is_cover) = 0) i", (site["site"],)).fetchone()
        summary.images_shown += shown
        summary.images_with_renditions += kept
        summary.images_not_archived += missing
        summary.crawled = summary.crawled or conn.execute(
            "SELECT 1 FROM crawl_runs r JOIN sites s ON s.id = r.site_id WHERE s.url = ? "
            "LIMIT 1", (site["site"],)).fetchone() is not None


def choose_records(conn: sqlite3.Connection, sites: list[dict[str, Any]] | None, *,
                   chosen: bool = False) -> int:
    """Fill the temporary table `wacz_records` with the ids of the captures to package: the
    sites' own URLs, their posts' captures and images (at full size, and as their pages show
    them when those were fetched), and the responses their revisits refer to (all sites when
    `sites` is None); `chosen`: only those of the posts in temp.wacz_posts. Returns how many
    originals the revisits added."""
    conn.execute("DROP TABLE IF EXISTS temp.wacz_records")
    conn.execute("CREATE TEMP TABLE wacz_records (id INTEGER PRIMARY KEY)")
    insert = "INSERT OR IGNORE INTO temp.wacz_records (id) "
    if chosen:
        _choose_posts_records(conn, insert)
    elif sites is None:
        conn.execute(insert + "SELECT id FROM captures")
        return 0
    for site in [] if chosen else sites or []:
        for prefix in _site_prefixes(site["site"]):
            conn.execute(insert + "SELECT id FROM captures WHERE substr(url, 1, ?) = ?",
                         (len(prefix), prefix))
        conn.execute(
            insert + "SELECT c.id FROM captures c JOIN post_versions v ON v.capture = c.record_id"
            " JOIN posts p ON p.id = v.post_id JOIN sites s ON s.id = p.site_id WHERE s.url = ?",
            (site["site"],))
        conn.execute(
            insert + "SELECT c.id FROM captures c JOIN media m ON m.capture = c.record_id "
            "WHERE m.url IN (SELECT i.url FROM images i JOIN posts p ON p.id = i.post_id "
            "JOIN sites s ON s.id = p.site_id WHERE s.url = ?)", (site["site"],))
        conn.execute(insert + "SELECT c.id FROM captures c WHERE c.record_id IN "
                     f"({_RENDITIONS})", (site["site"],))
    # A revisit record (WARC-Refers-To-Target-URI and -Date) names the response its payload is
    # in: the first response with the same payload digest, as archive.captures.
    # earlier_response chose it when writing the revisit.
    before = conn.execute("SELECT count(*) FROM temp.wacz_records").fetchone()[0]
    conn.execute(
        insert + "SELECT (SELECT o.id FROM captures o WHERE o.payload_digest = r.payload_digest "
        "AND o.kind = 'response' ORDER BY o.id LIMIT 1) AS original FROM captures r "
        "JOIN temp.wacz_records w ON w.id = r.id WHERE r.kind = 'revisit' AND original IS NOT NULL")
    return conn.execute("SELECT count(*) FROM temp.wacz_records").fetchone()[0] - before


# -- copying them ---------------------------------------------------------------------------


def _following_member(handle: BinaryIO, offset: int) -> tuple[bytes, bytes] | None:
    """The gzip member starting at `offset` (raw, and decompressed) if it is a request record;
    None at the end of the file or if it is another record (its WARC headers say so: it is not
    read further). CaptureError, saying why, if the member there cannot be read."""
    handle.seek(offset)
    inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    raw = bytearray()
    parts: list[bytes] = []
    checked = False
    while not inflater.eof:
        chunk = handle.read(REQUEST_PEEK)
        if not chunk:
            if raw:
                raise CaptureError("is truncated")
            return None
        raw += chunk
        try:
            parts.append(inflater.decompress(chunk))
        except zlib.error:
            raise CaptureError("is damaged") from None
        if not checked:
            head = b"".join(parts)
            if b"\r\n\r\n" in head:
                warc = head.partition(b"\r\n\r\n")[0]
                if not warc.startswith(b"WARC/") or b"\r\nWARC-Type: " not in warc:
                    raise CaptureError("is damaged")
                if b"\r\nWARC-Type: request\r\n" not in warc:
                    return None  # the next response, say: never decompressed whole
                checked = True
    return bytes(raw[:len(raw) - len(inflater.unused_data)]), b"".join(parts)


def _request_headers(record: bytes, record_id: str) -> dict[str, str] | None:
    """The HTTP headers (lower-case names, first value) of a request record, if it is the
    request of response `record_id`, else None."""
    warc, _, rest = record.partition(b"\r\n\r\n")
    head = warc.decode("utf-8", "replace")
    if not head.startswith("WARC/") or "\r\nWARC-Type: request" not in head \
            or f"\r\nWARC-Concurrent-To: {record_id}" not in head:
        return None
    http = rest.partition(b"\r\n\r\n")[0].decode("utf-8", "replace").split("\r\n")
    headers: dict[str, str] = {}
    for line in http[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    headers[":method"] = http[0].split(" ", 1)[0]
    return headers


_MIME_END = re.compile(r"[;\s]")


def cdxj_line(row: sqlite3.Row | tuple, offset: int, member: bytes,
              request: dict[str, str] | None) -> str:
    """The CDXJ line of a copied response or revisit record, as cdxj-indexer writes it for
    `wacz create` (same fields, in the same order, same values), from the capture index and
    the record's request: the records need not be parsed again."""
    _, kind, url, fetched_at, status, content_type, digest = row[:7]
    index: dict[str, str] = {"url": url}
    if kind == "revisit":
        index["mime"] = "warc/revisit"
    elif content_type is not None:  # an empty Content-Type too, as cdxj-indexer does
        index["mime"] = _MIME_END.split(content_type, 1)[0].strip()
    if status is not None:
        index["status"] = str(status)
    if digest:
        index["digest"] = digest
    index.update(length=str(len(member)), offset=str(offset), filename=WARC_NAME,
                 recordDigest="sha256:" + hashlib.sha256(member).hexdigest())
    if request is not None and kind == "response":  # cdxj-indexer joins responses only
        for field_name, header in (("referrer", "referer"), ("req.http:cookie", "cookie")):
            if request.get(header):
                index[field_name] = request[header]
    return f"{_url_key(url)} {_timestamp(fetched_at)} {json.dumps(index)}\n"


def _url_key(url: str) -> str:
    import surt

    try:
        return surt.surt(url)
    except Exception:  # cdxj-indexer keys an unparsable URL as itself
        return url


def _timestamp(warc_date: str) -> str:
    from warcio.timeutils import iso_date_to_timestamp

    return iso_date_to_timestamp(warc_date)


def copy_records(conn: sqlite3.Connection, directory: Path, out: BinaryIO, index: Any,
                 summary: Summary, progress: Callable[[int], None] | None = None) -> None:
    """Copy the chosen records (file by file, in file order) with their request records to
    `out`, writing each one's CDXJ line to `index`; `progress(n)` after every n records."""
    rows = conn.execute(
        "SELECT c.record_id, c.kind, c.url, c.fetched_at, c.status, c.content_type, "
        "c.payload_digest, f.name, c.offset, c.length, c.id FROM captures c "
        "JOIN temp.wacz_records w ON w.id = c.id JOIN capture_files f ON f.id = c.file_id "
        "ORDER BY c.file_id, c.offset")
    current: tuple[str, BinaryIO] | None = None
    written = 0
    left_out: list[tuple[int]] = []  # records not packaged: the page list must not name them
    try:
        for number, row in enumerate(rows, start=1):
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            record_id, url, name, offset, length = row[0], row[2], row[7], row[8], row[9]
            if current is None or current[0] != name:
                if current is not None:
                    current[1].close()
                    current = None
                try:
                    current = (name, (directory / name).open("rb"))
                except OSError as exc:
                    why = "is missing" if isinstance(exc, FileNotFoundError) else \
                        f"cannot be read ({exc.strerror})"
                    _problem(summary, f"{url}: capture file {directory / name} {why}")
                    left_out.append((row[10],))
                    continue
            handle = current[1]
            handle.seek(offset)
            member = handle.read(length)
            if len(member) < length:
                _problem(summary, f"{url}: capture file {directory / name} is truncated "
                                  f"(record at offset {offset})")
                left_out.append((row[10],))
                continue
            if not intact(member, record_id):
                # Copied as it is, a damaged member makes the whole package invalid (`wacz
                # validate`, pywb and `import` stop at it): it is left out and named.
                _problem(summary, f"{url}: capture file {directory / name} is damaged at "
                                  f"offset {offset}")
                left_out.append((row[10],))
                continue
            try:
                following = _following_member(handle, offset + length)
            except CaptureError as exc:
                # Its request record is left out (a damaged member makes the package invalid)
                # and named; the response is whole and packaged.
                following = None
                _problem(summary, f"{url}: capture file {directory / name} {exc} at offset "
                                  f"{offset + length} (its request record, left out)")
            headers = _request_headers(following[1], record_id) if following else None
            if headers is not None and headers[":method"].upper() in ("POST", "PUT"):
                # cdxj-indexer keys these by their body too; wixarchive captures only GETs.
                headers = None
            index.write(cdxj_line(row, written, member, headers))
            out.write(member)
            written += len(member)
            summary.records += 1
            if following is not None and headers is not None:
                out.write(following[0])
                written += len(following[0])
                summary.requests += 1
    finally:
        if current is not None:
            current[1].close()
    conn.executemany("DELETE FROM temp.wacz_records WHERE id = ?", left_out)


def intact(member: bytes, record_id: str) -> bool:
    """Whether a record's gzip member inflates whole with its CRC-32 and length checked (the
    gzip trailer: the cheapest check of every byte, cheaper than the payload digest) and is the
    indexed record."""
    data = inflate_member(member)
    if data is None:
        return False
    head = data[:data.find(b"\r\n\r\n")]
    return head.startswith(b"WARC/") and record_id.encode("utf-8") in head


def _problem(summary: Summary, message: str) -> None:
    summary.skipped += 1
    # One line for the same URL and file told twice (a robots.txt captured by two crawls).
    if len(summary.problems) < SHOWN_PROBLEMS and message not in summary.problems:
        summary.problems.append(message)


# -- the page list --------------------------------------------------------------------------


def pages(conn: sqlite3.Connection, sites: list[dict[str, Any]] | None,
          summary: Summary, *, chosen: bool = False) -> Iterator[dict[str, str]]:
    """A page per post of the sites (deleted ones too; `chosen`: per post in temp.wacz_posts):
    its URL as captured, the time of its newest successful capture in the package, and its
    title. Posts without one are counted."""
    where, args = "", []
    if chosen:
        where = f"WHERE p.id IN ({_CHOSEN})"
    elif sites is not None:
        where = f"WHERE s.url IN ({','.join('?' * len(sites))})"
        args = [s["site"] for s in sites]
    posts = conn.execute(
        "SELECT p.id, p.url, p.title, (SELECT c.url FROM post_versions v JOIN captures c "
        "ON c.record_id = v.capture WHERE v.post_id = p.id ORDER BY v.version DESC LIMIT 1), "
        "(SELECT v.capture FROM post_versions v WHERE v.post_id = p.id AND v.capture IS NOT "
        "NULL AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.record_id = v.capture) "
        "AND v.version = p.version) "
        f"FROM posts p JOIN sites s ON s.id = p.site_id {where} "
        "ORDER BY p.published IS NULL, p.published, p.id", args)
    newest = ("SELECT c.url, c.fetched_at FROM captures c JOIN temp.wacz_records w "
              "ON w.id = c.id WHERE c.url = ? AND c.status = 200 ORDER BY c.fetched_at DESC "
              "LIMIT 1")
    for post_id, url, title, captured_url, not_indexed in posts:
        found = None
        for candidate in dict.fromkeys(filter(None, (captured_url, url))):
            found = conn.execute(newest, (candidate,)).fetchone()
            if found:
                break
        if found is None:
            if not_indexed:
                summary.posts_not_indexed_yet += 1
            elif captured_url is not None:  # indexed, but its record could not be read
                summary.posts_unreadable += 1
            else:
                summary.posts_without_capture += 1
            continue
        summary.posts += 1
        yield {"id": f"post-{post_id}", "url": found[0], "ts": found[1],
               "title": title or found[0]}


# -- the package ----------------------------------------------------------------------------


class _Hashing(io.RawIOBase):
    """A write-only stream that passes bytes on and keeps their sha256 and count."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.out.write(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)


class _Package:
    """The zip being written, and the datapackage resource of each file put in it."""

    def __init__(self, out: BinaryIO) -> None:
        self.zip = zipfile.ZipFile(out, "w", allowZip64=True)
        self.resources: list[dict[str, Any]] = []
        self.stamp = datetime.now(UTC).timetuple()[:6]

    @contextmanager
    def member(self, path: str, *, deflate: bool, size: int | None = None
               ) -> Iterator[_Hashing]:
        """Write one file; WARCs and the ZipNum index are stored, not deflated, as WACZ
        readers seek into them."""
        info = zipfile.ZipInfo(path, self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        if size is not None:
            info.file_size = size
        # A stored WARC or index of unknown size may pass 2 GiB: zip64 headers then.
        zip64 = not deflate and size is None
        if zip64:
            # The zip64 field goes in the local header only while the sizes fit in 32 bits,
            # and ReplayWeb.page (wabac 2.x) takes a local header to have no extra field when
            # the central directory entry has none: it would read the member 20 bytes early.
            # An extended-timestamp field in both makes it read the local header's lengths.
            info.extra = _extended_timestamp(self.stamp)
        with self.zip.open(info, "w", force_zip64=zip64) as stream:
            hashing = _Hashing(stream)
            yield hashing
        self.resources.append({"name": os.path.basename(path).lower(), "path": path,
                               "hash": "sha256:" + hashing.sha256.hexdigest(),
                               "bytes": hashing.size})

    def finish(self, title: str, description: str) -> None:
        package = {"profile": "data-package", "resources": self.resources, "title": title,
                   "description": description,
                   "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "wacz_version": WACZ_VERSION, "software": f"wixarchive {__version__}"}
        data = json.dumps(package, indent=2).encode("utf-8")
        info = zipfile.ZipInfo("datapackage.json", self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = {"path": "datapackage.json",
                  "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
        info = zipfile.ZipInfo("datapackage-digest.json", self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, json.dumps(digest, indent=2).encode("utf-8"))
        self.zip.close()


def _extended_timestamp(stamp: tuple[int, ...]) -> bytes:
    """Info-ZIP's extended-timestamp extra field (0x5455): the modification time, UTC."""
    seconds = int(datetime(*stamp[:6], tzinfo=UTC).timestamp())  # type: ignore[misc]
    return struct.pack("<HHBI", 0x5455, 5, 1, seconds)


def _position(stream: BinaryIO) -> int | None:
    try:
        return stream.tell()
    except OSError:  # a pipe
        return None


def write(conn: sqlite3.Connection, directory: Path, sites: list[dict[str, Any]] | None,
          out: BinaryIO, *, title: str, on_start: Callable[[int], None] | None = None,
          progress: Callable[[int], None] | None = None,
          posts: tuple[str, list[Any]] | None = None) -> Summary:
    """Write the WACZ of `sites` (every capture when None) to `out`, in one pass over the
    records; `posts`, a query of post ids and its parameters (a filtered export's: --lang,
    --tag, ...): only those posts' pages, their captures and images, and the originals of
    their revisits. `on_start(n)` gives the number of records to copy, `progress(n)` counts
    them. Raises NoCaptures when there is nothing to package."""
    from cdxj_indexer.main import CompressedWriter, SortingWriter

    summary = Summary()
    chosen = posts is not None
    every_site = sites if sites is not None else [
        {"site": url} for (url,) in conn.execute("SELECT url FROM sites")]
    try:
        if posts is not None:
            conn.execute("DROP TABLE IF EXISTS temp.wacz_posts")
            conn.execute("CREATE TEMP TABLE wacz_posts (id INTEGER PRIMARY KEY)")
            conn.execute(f"INSERT OR IGNORE INTO temp.wacz_posts (id) {posts[0]}", posts[1])
            _count_chosen_renditions(conn, every_site, summary)
        else:
            count_renditions(conn, every_site, summary)
        summary.revisit_originals = choose_records(conn, sites, chosen=chosen)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            raise
        raise NoCaptures("no captures") from None  # a read-only archive from before v10
    (total,) = conn.execute("SELECT count(*) FROM temp.wacz_records").fetchone()
    if not total:
        raise NoCaptures("no captures")
    if on_start is not None:
        on_start(total)
    start = _position(out)
    counted = _Hashing(out) if start is None else None  # a pipe: count what goes through
    package = _Package(counted if counted is not None else out)  # type: ignore[arg-type]
    idx = io.StringIO()  # one line per CDX_LINES records: small
    # cdxj-indexer's external sort (spilling past SORT_BUFFER) and ZipNum blocks.
    sorting = SortingWriter(None, SORT_BUFFER)
    try:
        with package.member(f"archive/{WARC_NAME}", deflate=False) as warc:
            copy_records(conn, directory, warc, sorting, summary, progress)
        if not summary.records:
            raise NoCaptures("; ".join(summary.problems) or "no captures")
        with package.member("indexes/index.cdx.gz", deflate=False) as cdx:
            sorting.out = CompressedWriter(idx, cdx, num_lines=CDX_LINES,
                                           data_out_name="index.cdx.gz", digest_records=True)
            sorting.flush()
        with package.member("indexes/index.idx", deflate=True) as member:
            member.write(idx.getvalue().encode("utf-8"))
        with package.member("pages/pages.jsonl", deflate=True) as member:
            header = {"format": "json-pages-1.0", "id": "pages", "title": title}
            member.write((json.dumps(header) + "\n").encode("utf-8"))
            for page in pages(conn, sites, summary, chosen=chosen):
                member.write((json.dumps(page, ensure_ascii=False) + "\n").encode("utf-8"))
        package.finish(title, f"Captures of {title}, exported by wixarchive")
    except BaseException:
        # A failed write (a full disk): close the zip without letting it write again later,
        # and drop the sort's spilled runs.
        with contextlib.suppress(Exception):
            package.zip.close()
        for name in sorting.tmp_files:
            with contextlib.suppress(OSError):
                os.unlink(name)
        raise
    summary.bytes = counted.size if counted is not None else (_position(out) or 0) - (start or 0)
    conn.execute("DROP TABLE IF EXISTS temp.wacz_records")
    conn.execute("DROP TABLE IF EXISTS temp.wacz_posts")
    return summary
