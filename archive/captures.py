"""Raw captures: the HTTP exchanges of crawls, kept as WARC 1.1 files beside the archive.

`archive.db` keeps its captures in `archive.captures/`: files of gzip members, one per WARC
record (the response or revisit record, then its request record), rotated at a size. The files
are the record of what sites served; the archive's `captures` table only indexes them (URL, time,
status, content type, payload digest, file, offset, length), and post versions name the
WARC-Record-ID of the capture they were extracted from.

Crash safety, in this order: a record pair is written whole and flushed, the file is fsynced,
and only then are its index rows committed. A writer holds an exclusive flock on its file; a file
whose writer died (SIGKILL, power cut) is recovered by the next writer or re-extraction: its
complete records beyond the indexed ones are indexed and a torn tail is cut off, so the index
never points at a record cut short, and a crash between writing and indexing loses nothing.

This module owns the rows of capture_files and captures (the DDL is in archive/schema.py). It
uses warcio to build and parse records (a well-kept library that pywb and ReplayWeb.page build
on); nothing here imports Scrapy, so re-extraction and `check` stay light.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import itertools
import os
import sqlite3
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, urlsplit

from archive.chunked import in_chunks
from archive.content_coding import codings, decode

ROTATE_BYTES = 256 * 2**20  # a capture file is closed and a new one begun past this size
# Each record is compressed with ISA-L (python-isal) at its level 2: on real Wix pages (~0.9 MB,
# mostly inline CSS and JSON) 5.6 ms a page where zlib took 75 at level 6 (warcio's own gzip uses
# level 9), for files ~19% larger. Compression was most of a crawl's capture cost. zlib at
# level 6 where isal is not installed.
GZIP_LEVEL = 2
READ_CHUNK = 2**20
SUFFIX = ".warc.gz"
# Response headers that describe the transfer rather than the payload: the body stored is the
# one Scrapy received, de-chunked, so a `Transfer-Encoding: chunked` kept as is would make
# readers (warcio, pywb) try to de-chunk it again.
HOP_HEADERS = {"transfer-encoding"}
# WARC extension header of a file fetched from a mirror standing in for its own URL
# (WIXARCHIVE_MEDIA_BASE): the URL actually fetched. Its records keep the file's own URL as
# WARC-Target-URI (where the posts, a replay or an import look for it); this header and the
# request record (request line and Host as sent) say where the bytes came from.
FETCHED_FROM = "WixArchive-Fetched-From"


class CaptureError(Exception):
    """A capture file or record that cannot be read, phrased for the user."""


class NotIndexedYet(CaptureError):
    """A capture a crawl running now has written and not indexed yet (it indexes its records
    as it goes, a moment after the rows naming them are stored): readable once it has."""


def captures_dir(db: str | os.PathLike[str]) -> Path:
    """The folder of an archive's captures: `archive.db` -> `archive.captures/`."""
    return Path(db).with_suffix(".captures")


def unreadable_folder(directory: Path) -> str | None:
    """Why this user cannot read the captures folder, which exists (its owner's umask or mode
    keeps others out: crawls run as another user under umask 077), or None. Listing such a
    folder finds nothing, which is not the same as its files missing."""
    if directory.is_dir() and not os.access(directory, os.R_OK | os.X_OK):
        return (f"{directory}/ cannot be read by this user (permission denied): run this as "
                "the user that crawls, or give this one read access to it")
    return None


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes for this payload."""
    return _sha1(body)


def _sha1(*parts: bytes) -> str:
    """A WARC digest ("sha1:<base32>") of the parts, in order."""
    digester = hashlib.sha1()
    for part in parts:
        digester.update(part)
    return "sha1:" + base64.b32encode(digester.digest()).decode("ascii")


def warc_date(moment: datetime) -> str:
    """A WARC 1.1 date (UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Exchange:
    """One HTTP request and its response, as the crawler made and received them."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    record_id: str  # the response record's WARC-Record-ID, given out before it is written
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    protocol: str = "HTTP/1.1"
    digest: str | None = None  # payload_digest(body), if the caller computed it already
    fetched_from: str | None = None  # the mirror URL fetched for `url`, if not `url` itself
    # How the headers' text stands for the bytes sent (ascii_headers): latin-1 as Scrapy
    # reads them, utf-8 as warcio reads a WARC's.
    header_encoding: str = "latin-1"


class CaptureRow(NamedTuple):
    """One indexed record: what the captures table holds for it."""

    record_id: str
    kind: str  # 'response' or 'revisit'
    url: str
    fetched_at: str
    status: int | None
    content_type: str | None
    payload_digest: str | None
    payload_length: int | None
    file: str
    offset: int
    length: int


def new_record_id() -> str:
    from warcio.statusandheaders import StatusAndHeadersParser

    return StatusAndHeadersParser.make_warc_id()


try:
    from isal import isal_zlib as _fast_zlib
except ImportError:  # pragma: no cover - isal is a dependency; plain zlib still writes gzip
    _fast_zlib = None


def _gzip(*parts: bytes) -> bytes:
    """One gzip member of the parts, in order (compressed piece by piece: no joined copy)."""
    if _fast_zlib is not None:
        compressor = _fast_zlib.compressobj(GZIP_LEVEL, _fast_zlib.DEFLATED, zlib.MAX_WBITS + 16)
    else:
        compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return b"".join([*map(compressor.compress, parts), compressor.flush()])


# Every printable ASCII character but the space: what quote leaves as it is in a request target.
_URL_ASCII = "".join(map(chr, range(33, 127)))


def _ascii_host(netloc: str) -> str:
    """A Host header's value in ASCII: an internationalised host name in IDNA."""
    if netloc.isascii():
        return netloc
    host, colon, port = netloc.rpartition(":") if netloc.rpartition(":")[2].isdigit() \
        else (netloc, "", "")
    try:
        return host.encode("idna").decode("ascii") + colon + port
    except UnicodeError:
        return quote(netloc, safe=_URL_ASCII)


# What a header line may hold as it is: printable ASCII, spaces and tabs.
_HEADER_ASCII = _URL_ASCII + " \t"


def ascii_headers(headers: list[tuple[str, str]],
                  encoding: str = "latin-1") -> list[tuple[str, str]]:
    """Header lines a WARC record can hold (ASCII): each byte of a name or value outside
    printable ASCII percent-encoded, as the server sent it, and nothing else changed. Text
    to bytes by `encoding`: latin-1, one character a byte, as Scrapy and http.client read
    them (a crawl, a recover), or utf-8 for headers warcio read (an import; a line that is
    no UTF-8 it read as latin-1, and is then stored as the UTF-8 of those characters).
    A URL (Location, Link, Content-Location) so keeps its meaning, in its ASCII form.
    warcio's own escaping (RFC 8187) rewrote every `key=value` of such a line as
    `key*=UTF-8''value` (`charset*=UTF-8''utf-8`: no charset at replay; `lang*=UTF-8''fr`
    became `lang**=UTF-8''UTF-8%27%27fr`), quoted a whole Location (`https%3A//…`: a replayed
    redirect went nowhere), and encoded each byte of a crawl's header twice (`é`, sent as
    C3 A9, stored as `%C3%83%C2%A9`); an IRI in a Link made its writer raise."""
    if all(name.isascii() and value.isascii() for name, value in headers):
        return headers

    def escaped(text: str, safe: str) -> str:
        if text.isascii():
            return text
        try:
            raw = text.encode(encoding)
        except UnicodeEncodeError:  # a character no byte of `encoding` stands for
            raw = text.encode("utf-8", "surrogatepass")
        return quote(raw, safe=safe)

    return [(escaped(name, _URL_ASCII), escaped(value, _HEADER_ASCII))
            for name, value in headers]


def build_records(exchange: Exchange,
                  revisit_of: tuple[str, str] | None = None) -> tuple[bytes, bytes, CaptureRow]:
    """The gzip members of the response (or revisit) and request records, and the index row
    (file, offset and length still to be filled in). `revisit_of` is the (URL, WARC-Date) of
    an earlier response with the same payload: a revisit record then stands in for the body."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    date = warc_date(exchange.fetched_at)
    try:
        reason = HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = ""
    headers = ascii_headers([(k, v) for k, v in exchange.response_headers
                             if k.lower() not in HOP_HEADERS], exchange.header_encoding)
    http_headers = StatusAndHeaders(f"{exchange.status} {reason}".strip(), headers,
                                    protocol=exchange.protocol)
    digest = exchange.digest or payload_digest(exchange.body)
    warc_headers = {"WARC-Record-ID": exchange.record_id, "WARC-Date": date}
    mirror = {FETCHED_FROM: exchange.fetched_from} if exchange.fetched_from else {}
    warc_headers.update(mirror)
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False, warc_version="1.1")
    if revisit_of is not None:
        record = writer.create_revisit_record(exchange.url, digest, revisit_of[0], revisit_of[1],
                                              http_headers=http_headers,
                                              warc_headers_dict=warc_headers)
        writer.write_record(record)
        response = _gzip(buffer.getvalue())
    else:
        warc_headers["WARC-Payload-Digest"] = digest
        response = _gzip(*response_record(writer, exchange, http_headers, warc_headers))

    parts = urlsplit(exchange.fetched_from or exchange.url)  # the request as sent
    # On the wire in ASCII, as a client sends it: a capture's URL may be an IRI (WARC 1.1
    # allows one in WARC-Target-URI: `/post/primeras-imágenes`), which HTTP headers cannot hold.
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                   safe=_URL_ASCII)
    request_headers = ascii_headers(list(exchange.request_headers), exchange.header_encoding)
    if not any(k.lower() == "host" for k, _ in request_headers):
        request_headers.insert(0, ("Host", _ascii_host(parts.netloc)))
    request = writer.create_warc_record(
        exchange.url, "request",
        http_headers=StatusAndHeaders(f"{exchange.method} {target} {exchange.protocol}",
                                      request_headers, is_http_request=True),
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": exchange.record_id,
                           **mirror})
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(request)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    row = CaptureRow(exchange.record_id, "revisit" if revisit_of else "response", exchange.url,
                     date, exchange.status, content_type, digest, len(exchange.body), "", 0, 0)
    return response, _gzip(buffer.getvalue()), row


def response_record(writer, exchange: Exchange, http_headers,  # warcio's writer, headers
                    warc_headers: dict[str, str]) -> tuple[bytes, bytes, bytes, bytes]:
    """The pieces of a response record, byte for byte as warcio's `writer.write_record` writes
    it (a test compares the two), with the body passed through whole.

    Why not write_record itself: it hashes the block and copies the body 16 KB at a time in
    Python, taking the GIL back from the crawl's reactor thread for each piece (~60 times for a
    real Wix page) and copying the body twice more; here the block digest is one hashlib call
    and the body is compressed in one call (see _gzip), both without the GIL."""
    http_headers.compute_headers_buffer(writer.header_filter)
    head = http_headers.headers_buff
    record = writer.create_warc_record(exchange.url, "response", payload=io.BytesIO(),
                                       length=len(exchange.body), http_headers=http_headers,
                                       warc_headers_dict=warc_headers)
    # What write_record adds, in its order: the block digest, the type, the length.
    record.rec_headers.add_header("WARC-Block-Digest", _sha1(head, exchange.body))
    record.rec_headers.replace_header("Content-Type", record.content_type)
    record.rec_headers.replace_header("Content-Length", str(len(head) + len(exchange.body)))
    return record.rec_headers.to_bytes(encoding="utf-8"), head, exchange.body, b"\r\n\r\n"


# The serial numbers of this process's capture files: one count for all its writers (a crawl
# has one a site), so that no two of them name a file alike.
_serials = itertools.count(1)


def _name_new_file(path: Path, name: Path) -> None:
    """Give the file at `path` the name `name` too, which must be free (FileExistsError): a hard
    link, atomic; a rename where the filesystem has none (this process's names are its own,
    and its pid is no other live process's)."""
    try:
        os.link(path, name)
    except FileExistsError:
        raise
    except OSError:  # no hard links here (some network and FAT filesystems)
        if name.exists():
            raise FileExistsError(name) from None
        path.rename(name)


class CaptureWriter:
    """Appends record pairs to capture files of one folder, one file at a time, rotating them.

    Each writer begins a file of its own (never appending to another's, so a torn tail left by
    a killed writer is only ever at the end of a file nobody writes any more) and holds an
    exclusive flock on it, which tells recovery that the file is in use.
    """

    def __init__(self, directory: Path, rotate_bytes: int = ROTATE_BYTES) -> None:
        self.directory = directory
        self.rotate_bytes = rotate_bytes
        self.file: io.BufferedWriter | None = None
        self.name: str | None = None
        self.size = 0
        self.closed_files: list[tuple[str, int]] = []  # (name, size) of files rotated away

    def _open(self) -> None:
        """Begin a new capture file, locked before it is seen. Recovery (another crawl's start,
        a reextract) takes a file of the folder that no writer locks for one whose writer
        died: created under its name and then locked, a new file could be marked closed and
        empty in that gap, and this writer's lock refused while recovery held it, failing the
        crawl. So it is created and locked under a name recovery does not read (not *.warc.gz),
        then linked in under its own."""
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            name = f"wixarchive-{stamp}-{os.getpid()}-{next(_serials):05d}{SUFFIX}"
            unnamed = self.directory / f".{name}.new"
            try:
                handle = open(unnamed, "xb")  # noqa: SIM115 - kept open
            except FileExistsError:
                continue
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                _name_new_file(unnamed, self.directory / name)
            except (FileExistsError, FileNotFoundError, BlockingIOError):
                # Its name taken; or, before this lock, recovery found the unnamed file
                # unlocked, as a killed writer leaves it, and holds or has removed it: another.
                handle.close()
                continue
            except BaseException:
                handle.close()
                raise
            finally:
                with contextlib.suppress(FileNotFoundError):
                    unnamed.unlink()
            break
        self.file, self.name, self.size = handle, name, 0

    def write(self, exchange: Exchange, revisit_of: tuple[str, str] | None = None) -> CaptureRow:
        """Write one exchange's records, flushed to the OS (so they survive a kill of this
        process); `sync()` makes them durable before they are indexed."""
        response, request, row = build_records(exchange, revisit_of)
        if self.file is not None and self.size >= self.rotate_bytes:
            self._close_current()
        if self.file is None:
            self._open()
        assert self.file is not None and self.name is not None
        offset = self.size
        try:
            self.file.write(response + request)
            self.file.flush()
        except OSError:
            # A full disk: cut what was partly written, so the file ends with a whole record.
            with contextlib.suppress(OSError):
                self.file.truncate(offset)
            raise
        self.size += len(response) + len(request)
        return row._replace(file=self.name, offset=offset, length=len(response))

    def sync(self) -> None:
        if self.file is not None:
            os.fsync(self.file.fileno())

    def _close_current(self) -> None:
        if self.file is not None and self.name is not None:
            self.sync()
            self.file.close()
            self.closed_files.append((self.name, self.size))
            self.file, self.name = None, None

    def close(self) -> None:
        self._close_current()


# -- the index ------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def file_id(conn: sqlite3.Connection, name: str) -> int:
    """The capture_files row of a file name, added if new."""
    conn.execute("INSERT OR IGNORE INTO capture_files (name, created_at) VALUES (?, ?)",
                 (name, _now()))
    return conn.execute("SELECT id FROM capture_files WHERE name = ?", (name,)).fetchone()[0]


def index_rows(conn: sqlite3.Connection, rows: Sequence[CaptureRow], *,
               source: str = "crawl") -> int:
    """Index records already written and synced (inside the caller's transaction); a record
    already indexed is left as it is. Returns how many were added."""
    ids: dict[str, int] = {}
    added = 0
    for row in rows:
        if row.file not in ids:
            ids[row.file] = file_id(conn, row.file)
        added += conn.execute(
            "INSERT OR IGNORE INTO captures (record_id, kind, url, fetched_at, status, "
            "content_type, payload_digest, payload_length, file_id, offset, length, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row[:8], ids[row.file], row.offset, row.length, source)).rowcount
    return added


def whole_exchanges(conn: sqlite3.Connection, record_ids: Sequence[str]) -> set[str]:
    """The records among `record_ids` already indexed with their exchange whole in its file:
    the request record CaptureWriter writes right after the response (or revisit) lies within
    the file's indexed bytes, which hold whole records only (a batch's synced size, or where
    recovery found the whole records to end)."""
    return {record_id for (record_id,) in in_chunks(
        conn, "SELECT c.record_id FROM captures c JOIN capture_files f ON f.id = c.file_id "
              "WHERE c.record_id IN ({marks}) AND c.offset + c.length < f.bytes",
        list(record_ids))}


def mark_file(conn: sqlite3.Connection, name: str, size: int, *, closed: bool) -> None:
    """Record how far a file is indexed (all of it, up to `size`), and whether it is closed."""
    fid = file_id(conn, name)
    conn.execute("UPDATE capture_files SET bytes = ?, closed_at = ? WHERE id = ?",
                 (size, _now() if closed else None, fid))


@contextlib.contextmanager
def immediate_when_free(conn: sqlite3.Connection, patience: float) -> Iterator[bool]:
    """A write transaction begun by begin_when_free, committed at the end of the block (rolled
    back if it raises); yields whether it began (if not, the block is in no transaction)."""
    if not begin_when_free(conn, patience):
        yield False
        return
    try:
        yield True
        conn.execute("COMMIT")
    except BaseException:
        # SQLite ends a transaction itself on some errors (a full disk): a ROLLBACK then would
        # raise "no transaction is active" in place of the error that says what happened.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def begin_when_free(conn: sqlite3.Connection, patience: float) -> bool:
    """BEGIN IMMEDIATE, polling every few milliseconds for up to `patience` seconds.

    Why not SQLite's busy timeout: a crawl's archive worker commits a batch about every second
    and begins the next one a page's extraction later (~20 ms). SQLite's busy handler sleeps in
    growing steps (whole seconds where it was built without usleep) and can miss every such
    gap for as long as the crawl runs; short polls catch them."""
    import time

    deadline = time.monotonic() + patience
    previous = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return True
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.003)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(previous)}")


@dataclass(frozen=True)
class LostFiles:
    """The records that cannot be read whole any more (archive.lost_captures.lost_files): those
    of capture files missing or shorter than indexed (`cut`: file id -> bytes still there, 0
    for a missing file), and the indexed records `check` found damaged inside their file
    (`damaged`: (file id, offset)). False when nothing is lost."""

    cut: dict[int, int] = field(default_factory=dict)
    damaged: frozenset[tuple[int, int]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.cut or self.damaged)


def is_lost(lost: LostFiles, file_id: int, offset: int, length: int) -> bool:
    """Whether a record (file id, offset, length) is not whole in its file any more: cut off
    or deleted with it, or damaged."""
    return (file_id in lost.cut and offset + length > lost.cut[file_id]) or \
        (file_id, offset) in lost.damaged


def captured_only_gone(conn: sqlite3.Connection, ref: str) -> tuple[str, int, str] | None:
    """(URL, status, WARC-Date of the newest) of the URL `ref` names (the URL, or the end of
    its path: a slug) whose captures are all 404s or 410s, as `import` and `recover` keep
    them for a post deleted before any page of it was captured; None if there is no such one
    URL. Read only when no post answers `ref`: a slug is matched by a scan of the index."""
    if "://" in ref:
        urls = [ref]
    else:
        pattern = "%/" + ref.strip().strip("/").replace("\\", "\\\\").replace(
            "%", "\\%").replace("_", "\\_")
        urls = [url for (url,) in conn.execute(
            "SELECT DISTINCT url FROM captures WHERE status IN (404, 410) AND url LIKE ? "
            "ESCAPE '\\' LIMIT 2", (pattern,)).fetchall()]
    if len(urls) != 1:
        return None
    rows = conn.execute("SELECT status, fetched_at FROM captures WHERE url = ? "
                        "ORDER BY fetched_at", urls).fetchall()
    if not rows or any(status not in (404, 410) for status, _ in rows):
        return None
    return urls[0], rows[-1][0], rows[-1][1]


def earlier_response(conn: sqlite3.Connection, digest: str,
                     lost: LostFiles | None = None) -> tuple[str, str] | None:
    """(URL, WARC-Date) of an archived response with this payload, if any; with `lost`
    (archive.lost_captures.lost_files), only one still whole in its file, so that a payload
    whose only copy is lost is stored again rather than pointed at."""
    # fetchall: a statement left unfinished keeps its read transaction (and snapshot) open.
    if not lost:
        rows = conn.execute("SELECT url, fetched_at FROM captures WHERE payload_digest = ? "
                            "AND kind = 'response' LIMIT 1", (digest,)).fetchall()
        return (rows[0][0], rows[0][1]) if rows else None
    for url, fetched_at, file_id, offset, length in conn.execute(
            "SELECT url, fetched_at, file_id, offset, length FROM captures WHERE "
            "payload_digest = ? AND kind = 'response' ORDER BY id", (digest,)).fetchall():
        if not is_lost(lost, file_id, offset, length):
            return url, fetched_at
    return None


def record_media(conn: sqlite3.Connection, url: str, status: str, fetched_at: str,
                 content_type: str | None, size: int | None, digest: str | None,
                 capture: str | None, error: str | None) -> None:
    """What fetching a post's image at full size gave (the latest attempt replaces others)."""
    conn.execute("INSERT OR REPLACE INTO media (url, status, fetched_at, content_type, bytes, "
                 "payload_digest, capture, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (url, status, fetched_at, content_type, size, digest, capture, error))


def media_to_fetch(conn: sqlite3.Connection, site: str,
                   after: int = 0) -> tuple[list[str], int]:
    """The image URLs of a site's posts not archived yet (never fetched, or failed for a reason
    that may pass: network, server error) among its images rows past id `after`, and the
    highest such id seen, to ask again later for only what was added since (a changed post's
    images are written anew, with new ids). Both come from one read snapshot."""
    conn.execute("BEGIN")
    try:
        urls = [url for (url,) in conn.execute(
            "SELECT DISTINCT i.url FROM images i JOIN posts p ON p.id = i.post_id "
            "JOIN sites s ON s.id = p.site_id WHERE i.id > ? AND s.url = ? AND "
            "(i.url LIKE 'http://%' OR i.url LIKE 'https://%') AND NOT EXISTS (SELECT 1 FROM "
            "media m WHERE m.url = i.url AND m.status NOT IN ('failed', 'http-429') "
            "AND m.status NOT LIKE 'http-5%')", (after, site)).fetchall()]
        last = conn.execute("SELECT max(id) FROM images WHERE id > ?",
                            (after,)).fetchone()[0]
    finally:
        conn.execute("COMMIT")
    return urls, last if last is not None else after


# -- reading --------------------------------------------------------------------------------


class Member(NamedTuple):
    """One gzip member of a capture file, as `members` reads it."""

    offset: int
    length: int  # of a damaged member: up to where the pass goes on
    data: bytes | None  # the decompressed record; None where it cannot be read
    error: str | None = None  # why it cannot be read (torn or damaged)


def members(path: Path, start: int = 0, *, end: int | None = None,
            indexed: dict[int, int] | None = None) -> Iterator[Member]:
    """Every gzip member of a capture file from byte `start` up to `end` (its size when it is
    opened), in one sequential read. A member that does not inflate whole (the file ends
    inside it, or its gzip data is damaged: data None, with the error) ends the pass; given
    `indexed` (offset -> length of the indexed records), the pass goes on after it if it is an
    indexed record, else at the next indexed record past it, or ends."""
    starts = sorted(indexed or ())
    with path.open("rb") as handle:
        stop = os.fstat(handle.fileno()).st_size if end is None else end
        handle.seek(start)

        def read() -> bytes:
            return handle.read(min(READ_CHUNK, stop - handle.tell()))

        offset, pending = start, b""
        while offset < stop:
            pending = pending or read()
            inflater = gzip_inflater()
            parts, fed, data, error = [], 0, pending, None
            try:
                while True:
                    fed += len(data)
                    parts.append(inflater.decompress(data))
                    if inflater.eof:
                        break
                    data = read()
                    if not data:
                        error = "the file ends inside it"
                        break
            except INFLATE_ERRORS as exc:
                error = f"its gzip data does not inflate ({exc})"
            if error is None:
                pending = inflater.unused_data
                length = fed - len(pending)
                yield Member(offset, length, b"".join(parts))
                offset += length
                continue
            if indexed is None:
                yield Member(offset, stop - offset, None, error)
                return
            if offset in indexed:
                following = offset + indexed[offset]
            else:
                after = bisect_right(starts, offset)
                following = starts[after] if after < len(starts) else stop
            following = min(max(following, offset + 1), stop)
            yield Member(offset, following - offset, None, error)
            offset, pending = following, b""
            handle.seek(offset)


class Cut(NamedTuple):
    """What `torn_tail_cut` found of a capture file."""

    end: int  # where its whole records end: its size now
    size: int  # its size before


@contextlib.contextmanager
def torn_tail_cut(path: Path, start: int,
                  whole: Callable[[Member], bool] = lambda member: True) -> Iterator[Cut | None]:
    """Cut the torn tail off a capture file no writer holds: what follows its whole records
    from `start` (a record that inflates whole and `whole` accepts), so that every WARC tool
    reads it to its end; truncated and fsynced. Yields where the whole records end, holding
    the file's exclusive flock for the block (recovery indexes the file under it); None when a
    live writer holds the file. OSError passes through (FileNotFoundError, a read-only file)."""
    with path.open("r+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None  # a live writer's file
            return
        end = start
        for member in members(path, start):
            if member.data is None or not whole(member):
                break
            end = member.offset + member.length
        size = os.fstat(handle.fileno()).st_size
        if size > end:
            handle.truncate(end)
            os.fsync(handle.fileno())
        yield Cut(end, size)


def parse_record(data: bytes):  # -> warcio ArcWarcRecord
    from warcio.archiveiterator import ArchiveIterator

    for record in ArchiveIterator(io.BytesIO(data), check_digests=False):
        return record
    raise CaptureError("not a WARC record")


def _row_of(record, name: str, member: Member) -> CaptureRow | None:
    kind = record.rec_type
    if kind not in ("response", "revisit"):
        return None
    headers = record.rec_headers
    http = record.http_headers
    status = int(http.get_statuscode()) if http and http.get_statuscode().isdigit() else None
    body_length = None
    if kind == "response":
        body_length = len(record.raw_stream.read())
    return CaptureRow(headers.get_header("WARC-Record-ID"), kind,
                      headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date"),
                      status, http.get_header("Content-Type") if http else None,
                      headers.get_header("WARC-Payload-Digest"), body_length, name,
                      member.offset, member.length)


def _row_kept(name: str, rows: list[CaptureRow], member: Member) -> bool:
    """Whether a whole member of a file recovery reads is a WARC record (any unparsable one
    ends the usable part); the index row of a response or revisit is added to `rows`."""
    try:
        row = _row_of(parse_record(member.data), name, member)
    except Exception:  # any failure to parse
        return False
    if row is not None:
        rows.append(row)
    return True


class Recovery(NamedTuple):
    files: int  # files recovered
    indexed: int  # records found complete but not yet indexed
    cut: list[tuple[str, int, int]]  # (file, offset, bytes) of torn tails cut off


def _unclosed_files(conn: sqlite3.Connection, directory: Path) -> dict[str, int]:
    """The capture files a writer may still hold, or left when it died: those the index has
    open, with the bytes it has indexed of each, and those in the folder it does not know (0)."""
    open_rows = dict(conn.execute(
        "SELECT name, bytes FROM capture_files WHERE closed_at IS NULL").fetchall())
    known = {name for (name,) in conn.execute("SELECT name FROM capture_files")}
    return {p.name: 0 for p in directory.glob(f"*{SUFFIX}") if p.name not in known} | open_rows


def recover(conn: sqlite3.Connection, directory: Path, patience: float = 60.0) -> Recovery:
    """Finish the capture files whose writer is gone: index their complete records that the
    index lacks and cut a torn tail off. Files in use (locked by a live writer) are left alone.
    Runs its own short transactions on `conn`."""
    if not directory.is_dir():
        return Recovery(0, 0, [])
    unclosed = _unclosed_files(conn, directory)
    _remove_unnamed_files(directory)
    files = indexed = 0
    cut: list[tuple[str, int, int]] = []
    for name in sorted(unclosed):
        rows: list[CaptureRow] = []
        try:
            with torn_tail_cut(directory / name, unclosed[name],
                               partial(_row_kept, name, rows)) as whole:
                if whole is None:
                    continue  # a live writer's file
                if whole.size > whole.end:
                    cut.append((name, whole.end, whole.size - whole.end))
                with immediate_when_free(conn, patience) as began:
                    if not began:
                        continue  # kept busy: the next writer or reader recovers it
                    indexed += index_rows(conn, rows)
                    mark_file(conn, name, whole.end, closed=True)
        except FileNotFoundError:
            continue  # `check` names files the index has that are gone
        files += 1
    return Recovery(files, indexed, cut)


def _remove_unnamed_files(directory: Path) -> None:
    """Remove the `.NAME.warc.gz.new` files no live writer holds: left by a writer killed
    before it linked its new file in under its name, or before it removed the unnamed one.
    Such a file holds no record: a writer writes only once its file is linked in and this name
    removed. A new file not yet locked is taken too: its writer, refused its lock or its link,
    begins another (CaptureWriter._open)."""
    for path in directory.glob(f".*{SUFFIX}.new"):
        try:
            with path.open("rb") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                stat = os.fstat(handle.fileno())
                if stat.st_size == 0 or stat.st_nlink > 1:  # nothing, or named as well
                    path.unlink()
        except OSError:
            continue  # a live writer's, removed by its writer meanwhile, or not ours to remove


def being_written(conn: sqlite3.Connection, directory: Path) -> bool:
    """Whether a live writer (a crawl running now) holds one of the capture files: the records
    it wrote since its last index are in its file, and post versions may name them already,
    but they are not in the index yet."""
    if not directory.is_dir():
        return False
    for name in sorted(_unclosed_files(conn, directory)):
        try:
            with (directory / name).open("rb") as handle:
                # A shared lock, dropped at once: a writer's exclusive one refuses it.
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except FileNotFoundError:
            continue
    return False


@dataclass
class Payload:
    """A captured response, read back: what the server sent for `url`."""

    url: str
    fetched_at: str
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes  # the payload as transferred (still compressed if Content-Encoding says so)
    content_type: str | None

    def decoded_body(self, limit: int | None = None) -> bytes:
        """The body with its Content-Encoding undone, as archive.content_coding.decode
        does (UndecodableBody when it does not decode). With `limit`, BodyTooLarge for a body
        that decodes to more, found without decoding more than a piece further, however far a
        bomb would inflate."""
        encoding = ", ".join(v for k, v in self.headers if k.lower() == "content-encoding")
        if not codings(encoding):
            if limit is not None and len(self.body) > limit:
                raise BodyTooLarge(limit)
            return self.body
        pieces: list[bytes] = []
        size = 0
        for piece in decode([self.body], encoding):
            size += len(piece)
            if limit is not None and size > limit:
                raise BodyTooLarge(limit)
            pieces.append(piece)
        return b"".join(pieces)


class BodyTooLarge(ValueError):
    """A payload longer than the limit asked for, as stored or once decoded
    (`Payload.decoded_body`, archive.webarchive's `Reader.read`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"over {limit / 2**20:g} MiB")


class Location(NamedTuple):
    """Where a capture's records are: its own record, and for a revisit the earlier response
    holding the payload (None if that is not archived)."""

    record_id: str
    kind: str
    url: str
    fetched_at: str
    file: str
    offset: int
    length: int
    original: tuple[str, int, int] | None  # (file, offset, length) of a revisit's payload


def locate(conn: sqlite3.Connection, record_ids: Sequence[str]) -> dict[str, Location]:
    """The locations of indexed captures, looked up together (missing ids are left out)."""
    found: dict[str, Location] = {}
    ids = list(dict.fromkeys(record_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            "SELECT c.record_id, c.kind, c.url, c.fetched_at, c.payload_digest, f.name, "
            "c.offset, c.length FROM captures c JOIN capture_files f ON f.id = c.file_id "
            f"WHERE c.record_id IN ({marks})", chunk).fetchall()
        digests = [row[4] for row in rows if row[1] == "revisit" and row[4]]
        originals: dict[str, tuple[str, int, int]] = {}
        if digests:
            marks = ",".join("?" * len(digests))
            for digest, name, offset, length in conn.execute(
                    "SELECT c.payload_digest, f.name, c.offset, c.length FROM captures c "
                    "JOIN capture_files f ON f.id = c.file_id WHERE c.kind = 'response' "
                    f"AND c.payload_digest IN ({marks})", digests).fetchall():
                originals.setdefault(digest, (name, offset, length))
        for record_id, kind, url, fetched_at, digest, name, offset, length in rows:
            found[record_id] = Location(record_id, kind, url, fetched_at, name, offset, length,
                                        originals.get(digest) if kind == "revisit" else None)
    return found


OPEN_FILES = 32  # capture files a Reader keeps open (256 MiB each by default)
# Reader.inflated's sizes: small pieces, below glibc's mmap threshold, are reused by the
# allocator; pieces of a megabyte, handed between threads, left the media route's server
# tens of megabytes larger after each long video it served.
STREAM_READ = 2**18
STREAM_PIECE = 2**16


class Reader:
    """Reads capture records: the one reader of the captures (pages, images, `check`,
    re-extraction). Each file is opened once per reader (os.pread at the indexed offsets, no
    open/seek/close per record), the gzip member is inflated with ISA-L (~2.5x zlib), and the
    WARC and HTTP headers our writer (warcio's WARCWriter, build_records) produces are split
    directly instead of through warcio's record parser (a third of the cost of reading a
    capture). Any record not in that exact shape goes through parse_record (warcio), so what
    is read is what warcio reads. Errors are CaptureError, naming the file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fds: dict[str, int] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _read(self, name: str, length: int, offset: int) -> bytes:
        """`length` bytes of a capture file from `offset` (fewer at its end), or CaptureError."""
        path = self.directory / name
        try:
            fd = self._fds.get(name)
            if fd is None:
                if len(self._fds) >= OPEN_FILES:  # records come in file order: the oldest goes
                    os.close(self._fds.pop(next(iter(self._fds))))
                fd = self._fds[name] = os.open(path, os.O_RDONLY)
            return os.pread(fd, length, offset)
        except FileNotFoundError:
            raise CaptureError(f"capture file {path} is missing") from None
        except OSError as exc:
            raise CaptureError(f"cannot read capture file {path}: {exc.strerror}") from None

    def record(self, name: str, offset: int, length: int) -> bytes:
        """The decompressed record at a file, offset and length, or CaptureError saying why
        not."""
        path = self.directory / name
        raw = self._read(name, length, offset)
        if len(raw) < length:
            raise CaptureError(f"capture file {path} is truncated (record at offset {offset})")
        data = inflate_member(raw)
        if data is None:
            raise CaptureError(f"capture file {path} is damaged at offset {offset}")
        return data

    def inflated(self, name: str, offset: int, length: int) -> Iterator[bytes]:
        """The record `record` reads, decompressed piece by piece (STREAM_PIECE bytes each,
        STREAM_READ of the file read at a time): a large video is never held whole. The gzip
        trailer (CRC-32, length) is checked once the last piece is read; CaptureError where
        the file is cut short or damaged."""
        path = self.directory / name
        inflater = gzip_inflater()
        position, end = offset, offset + length
        while position < end:
            raw = self._read(name, min(STREAM_READ, end - position), position)
            if not raw:
                raise CaptureError(f"capture file {path} is truncated (record at offset "
                                   f"{offset})")
            position += len(raw)
            while True:
                try:
                    piece = inflater.decompress(raw, STREAM_PIECE)
                except INFLATE_ERRORS:
                    raise CaptureError(f"capture file {path} is damaged at offset "
                                       f"{offset}") from None
                if piece:
                    yield piece
                raw = inflater.unconsumed_tail
                # A full piece may leave output pending inside the inflater: ask again.
                if not raw and len(piece) < STREAM_PIECE:
                    break
        if not inflater.eof:
            raise CaptureError(f"capture file {path} is damaged at offset {offset}")

    def payload(self, where: Location) -> Payload:
        """The response a located capture recorded (a revisit's payload read from the earlier
        response), or CaptureError saying which file is missing or damaged."""
        status, headers, block = split_response(self.record(where.file, where.offset,
                                                            where.length))
        if where.kind == "revisit":
            if where.original is None:
                raise CaptureError(f"the payload of revisit {where.record_id} ({where.url}) is "
                                   "not archived")
            block = split_response(self.record(*where.original))[2]
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        return Payload(where.url, where.fetched_at, status, headers, block, content_type)


_inflate = _fast_zlib or zlib  # ISA-L's inflate where installed (a dependency)
INFLATE_ERRORS = (zlib.error, _inflate.error)


def gzip_inflater():  # -> a zlib (or ISA-L) decompress object
    """An inflater of one gzip member (ISA-L's where installed), checking its trailer."""
    return _inflate.decompressobj(zlib.MAX_WBITS + 16)


def inflate_member(raw: bytes) -> bytes | None:
    """One whole gzip member, inflated, its CRC-32 and length checked (the gzip trailer); None
    when it is cut short or damaged."""
    try:
        inflater = gzip_inflater()
        data = inflater.decompress(raw)
    except INFLATE_ERRORS:
        return None
    return data if inflater.eof else None


class Heads(NamedTuple):
    """A response or revisit record's HTTP status and headers, and where in the record its
    payload lies (`start`, `end`: the bytes after the HTTP headers, as warcio's raw_stream
    reads them)."""

    status: int | None
    headers: list[tuple[str, str]]
    start: int
    end: int


def response_heads(data: bytes) -> Heads | None:
    """The heads of the record that `data` is (or begins: the payload may lie past its end),
    when its WARC and HTTP headers are in the shape our writer (warcio's WARCWriter) writes
    and wholly in `data`; None otherwise."""
    head_end = data.find(b"\r\n\r\n")
    block_length = -1
    if data.startswith(b"WARC/1.") and head_end > 0:
        for line in data[:head_end].split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length" and value.strip().isdigit():
                block_length = int(value)
    start = head_end + 4
    end = start + block_length
    http_end = data.find(b"\r\n\r\n", start, end) if block_length >= 0 else -1
    head = data[start:http_end] if http_end > start else b""
    lines = head.split(b"\r\n") if head else []
    status_line = lines[0].split(b" ", 2) if lines else []
    if (len(status_line) < 2 or status_line[0][:5] != b"HTTP/" or not head.isascii()
            or any(b":" not in line or line[:1] in b" \t" for line in lines[1:])):
        return None
    headers = []
    for line in lines[1:]:
        name, _, value = line.decode("ascii").partition(":")
        headers.append((name.strip(), value.strip()))
    code = status_line[1]
    return Heads(int(code) if code.isdigit() else None, headers, http_end + 4, end)


def split_response(data: bytes) -> tuple[int | None, list[tuple[str, str]], bytes]:
    """A response or revisit record's HTTP status, headers and payload (the bytes after the
    HTTP headers, as warcio's raw_stream reads them)."""
    heads = response_heads(data)
    if heads is None or heads.end > len(data):
        return split_response_by_warcio(data)  # not in our writer's shape: warcio parses it
    # One copy of the payload (pages run to megabytes), sliced straight out of the record.
    return heads.status, heads.headers, data[heads.start:heads.end]


def split_response_by_warcio(data: bytes) -> tuple[int | None, list[tuple[str, str]], bytes]:
    """What split_response gives, read by warcio's parser (any record shape)."""
    record = parse_record(data)
    http = record.http_headers
    headers = list(http.headers) if http else []
    status = int(http.get_statuscode()) if http and http.get_statuscode().isdigit() else None
    return status, headers, record.raw_stream.read()


def read_at(directory: Path, name: str, offset: int, length: int) -> bytes:
    """The decompressed record at a file, offset and length, or CaptureError saying why not."""
    with Reader(directory) as reader:
        return reader.record(name, offset, length)


def read_location(directory: Path, where: Location) -> Payload:
    """The response a located capture recorded, or CaptureError (see Reader.payload)."""
    with Reader(directory) as reader:
        return reader.payload(where)


def read_payload(conn: sqlite3.Connection, directory: Path, record_id: str) -> Payload:
    """The response a capture recorded; a revisit record is resolved to the earlier response
    with the same payload digest."""
    where = locate(conn, [record_id]).get(record_id)
    if where is None:
        if being_written(conn, directory):
            raise NotIndexedYet(f"capture {record_id} is not indexed yet (a crawl running now "
                                "indexes its captures as it goes)")
        raise CaptureError(f"capture {record_id} is not in the index")
    return read_location(directory, where)


def stored_media(conn: sqlite3.Connection, directory: Path, url: str) -> Payload | None:
    """An image (video, document) archived at full size (media status 'stored'), read from
    its capture; None if it was not archived, CaptureError if its capture cannot be read."""
    try:
        rows = conn.execute("SELECT capture FROM media WHERE url = ? AND status = 'stored'",
                            (url,)).fetchall()
    except sqlite3.OperationalError:  # an archive from before captures
        return None
    if not rows or not rows[0][0]:
        return None
    return read_payload(conn, directory, rows[0][0])


# -- reports --------------------------------------------------------------------------------


class Sizes(NamedTuple):
    files: int
    bytes: int  # on disk
    responses: int  # indexed, whether or not their file is there
    revisits: int
    media_stored: int  # images, videos and documents whose payload is in the captures
    missing_files: int = 0  # files the index names that are not in the folder
    missing_responses: int = 0  # of `responses`, those indexed in a missing file
    missing_revisits: int = 0
    # Why this user cannot read the folder (unreadable_folder), None when it can: its files,
    # bytes and missing files are then unknown (0 here), not missing.
    unreadable: str | None = None


def sizes(conn: sqlite3.Connection, directory: Path) -> Sizes:
    """What the captures hold: files and bytes on disk, records indexed, media stored, and the
    files the index names that are missing, with their records (one stat per file)."""
    unreadable = unreadable_folder(directory)
    paths = list(directory.glob(f"*{SUFFIX}")) if directory.is_dir() and not unreadable else []
    try:
        counts = conn.execute("SELECT f.name, c.kind, count(*) FROM captures c JOIN "
                              "capture_files f ON f.id = c.file_id GROUP BY c.file_id, "
                              "c.kind").fetchall()
        names = [name for (name,) in conn.execute("SELECT name FROM capture_files")]
        media = conn.execute("SELECT count(*) FROM media WHERE status = 'stored'").fetchone()[0]
    except sqlite3.OperationalError:  # a read-only archive from before captures (v9 or older)
        counts, names, media = [], [], 0
    present = {p.name for p in paths}
    # An unreadable folder lists nothing: its files are not known to be missing.
    missing = set() if unreadable else {name for name in names if name not in present}
    kinds = {"response": 0, "revisit": 0}
    lost = {"response": 0, "revisit": 0}
    for name, kind, count in counts:
        kinds[kind] = kinds.get(kind, 0) + count
        if name in missing:
            lost[kind] = lost.get(kind, 0) + count
    return Sizes(len(paths), sum(p.stat().st_size for p in paths), kinds["response"],
                 kinds["revisit"], media, len(missing), lost["response"], lost["revisit"],
                 unreadable)
