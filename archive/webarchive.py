"""Reading web archives made by any tool: WARC, WARC.gz and WACZ files, with warcio.

`scan()` walks a file once and lists its response and revisit records (where they are, what
they are: URL, WARC-Date, status, content type), without keeping payloads; `Reader` reads
one of them back by its location (`Reader`). So an import holds metadata in memory, not pages.

warcio is lenient: it reads a file cut short as a last record with a short body, and text that
is not a WARC at all as records of nothing. So this module checks what it is given: the file
must start as a WARC (plain or gzipped) or a zip (WACZ), and a record whose block is shorter than
its Content-Length, or that does not parse, ends the usable part of the file (the damage is
reported with its file and offset; the records before it are good).
No SQL and no Scrapy here.
"""

from __future__ import annotations

import contextlib
import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, NamedTuple

from archive.captures import BodyTooLarge
from crawler.discover.urls import parses

READ_CHUNK = 2**20
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


class WebArchiveError(Exception):
    """A file that cannot be read as a web archive, phrased for the user."""


class Location(NamedTuple):
    """Where a record starts: a file, the WARC inside it (WACZ only), an offset in that WARC."""

    path: str
    member: str | None
    offset: int
    length: int  # of the record in the file (of its gzip member, if gzipped per record)
    whole_gzip: bool = False  # one gzip stream for the whole file: offset in its inflated bytes

    def describe(self) -> str:
        inside = f" ({self.member})" if self.member else ""
        return f"{self.path}{inside} at offset {self.offset}"


@dataclass
class Entry:
    """A response or revisit record, without its payload."""

    location: Location
    record_id: str
    kind: str  # 'response' or 'revisit'
    url: str
    date: datetime
    status: int | None
    content_type: str | None
    digest: str | None  # WARC-Payload-Digest as the producer wrote it
    refers_to: tuple[str, str] | None = None  # a revisit's (target URI, date), when given
    refers_to_id: str | None = None  # a revisit's WARC-Refers-To (record ID), when given
    # A response's WARC-Truncated: why the producer kept only the start of the payload
    # ("length", "time", "disconnect", "unspecified"), when it did. (wget marks its revisits
    # "length" too, for the payload they leave out: not kept for revisits.)
    truncated: str | None = None


@dataclass
class Scan:
    """What one file holds."""

    path: str
    entries: list[Entry] = field(default_factory=list)
    other_records: int = 0  # request, warcinfo, metadata, resource... records
    damage: str | None = None  # where the readable part ends, and why


@dataclass
class Payload:
    """A response as the server sent it (body de-chunked, still content-encoded)."""

    status: int | None
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes


def _is_warc_name(name: str) -> bool:
    return name.startswith("archive/") and name.endswith((".warc", ".warc.gz"))


def warc_members(path: Path) -> list[str] | None:
    """The WARC files inside a WACZ (None if `path` is not a zip). A zip cut short has lost its
    central directory: its WARCs are then found by their local headers."""
    with path.open("rb") as handle:
        if handle.read(4) != ZIP_MAGIC:
            return None
    try:
        with zipfile.ZipFile(path) as package:
            names = [n for n in package.namelist() if _is_warc_name(n)]
    except zipfile.BadZipFile as exc:
        names = [n for n in _stored_parts(path) if _is_warc_name(n)]
        if not names:
            raise WebArchiveError(f"{path} is a damaged zip (WACZ) file: {exc}") from None
    except OSError as exc:
        raise WebArchiveError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not names:
        raise WebArchiveError(f"{path} is a zip file without archive/*.warc(.gz): not a WACZ")
    return sorted(names)


def _stored_parts(path: Path) -> dict[str, tuple[int, int]]:
    """Members stored uncompressed (as WACZ keeps its WARCs), as (data offset, size) in the
    zip file, from the central directory, or else by walking the local headers (a zip cut
    short); the size is what the file holds of them."""
    total = path.stat().st_size
    parts: dict[str, tuple[int, int]] = {}
    with path.open("rb") as handle:
        try:
            with zipfile.ZipFile(handle) as package:
                infos = [(i.filename, i.header_offset, i.compress_size) for i in
                         package.infolist() if i.compress_type == zipfile.ZIP_STORED]
        except zipfile.BadZipFile:
            infos = None
        if infos is not None:
            for name, header, size in infos:
                handle.seek(header + 26)
                name_length, extra_length = struct.unpack("<HH", handle.read(4))
                start = header + 30 + name_length + extra_length
                parts[name] = (start, min(size, total - start))
            return parts
        offset = 0
        while offset + 30 <= total:
            handle.seek(offset)
            header = handle.read(30)
            if header[:4] != ZIP_MAGIC:
                break
            flags, method = struct.unpack("<HH", header[6:10])
            size, _, name_length, extra_length = struct.unpack("<IIHH", header[18:30])
            name = handle.read(name_length).decode("utf-8", "replace")
            start = offset + 30 + name_length + extra_length
            if flags & 0x08 and not size:  # size only after the data: the rest is this member
                size = total - start
            if method == zipfile.ZIP_STORED:
                parts[name] = (start, min(size, total - start))
            offset = start + size
    return parts


class _Slice(io.RawIOBase):
    """A part of a file, read as a file of its own."""

    def __init__(self, handle: IO[bytes], start: int, size: int) -> None:
        self.handle, self.start, self.size, self.position = handle, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, min(self.size, base + offset))
        return self.position

    def readinto(self, buffer) -> int:  # a writable buffer
        wanted = min(len(buffer), self.size - self.position)
        if wanted <= 0:
            return 0
        self.handle.seek(self.start + self.position)
        data = self.handle.read(wanted)
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)


@contextlib.contextmanager
def _open(path: Path, member: str | None, whole_gzip: bool = False) -> Iterator[IO[bytes]]:
    """The bytes of a WARC: a file, or a WARC inside a WACZ; inflated if gzipped as one
    stream (`whole_gzip`)."""
    with contextlib.ExitStack() as stack:
        stored = _stored_parts(path).get(member) if member is not None else None
        if member is None:
            stream: IO[bytes] = stack.enter_context(path.open("rb"))
        elif stored is not None:
            stream = io.BufferedReader(_Slice(stack.enter_context(path.open("rb")), *stored))
        else:
            package = stack.enter_context(zipfile.ZipFile(path))
            stream = stack.enter_context(package.open(member))
        if whole_gzip:
            import gzip

            stream = stack.enter_context(gzip.GzipFile(fileobj=stream, mode="rb"))
        yield stream


def _check_start(stream: IO[bytes], name: str) -> None:
    """A WARC starts with "WARC/" (inside its first gzip member, if gzipped)."""
    start = stream.read(4096)
    stream.seek(0)
    if start[:2] == GZIP_MAGIC:
        with contextlib.suppress(zlib.error):
            start = zlib.decompressobj(zlib.MAX_WBITS + 16).decompress(start, 16)
    if not start.startswith(b"WARC/"):
        raise WebArchiveError(f"{name} is not a WARC, WARC.gz or WACZ file")


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _status(record) -> int | None:  # warcio's ArcWarcRecord
    http = record.http_headers
    code = http.get_statuscode() if http else None
    return int(code) if code and code.isdigit() else None


def _drain(record) -> bool:
    """Read the record's block to its end; False if the file ends before it does."""
    stream = record.raw_stream
    while stream.read(READ_CHUNK):
        pass
    return getattr(stream, "limit", 0) <= 0


def check_kind(path: Path) -> None:
    """Raise WebArchiveError unless `path` starts as a WARC, WARC.gz or WACZ: a look at its
    first bytes (and a zip's directory), so a wrong file is refused before any reading.
    OSError if it cannot be opened."""
    if warc_members(path) is None:
        with path.open("rb") as stream:
            _check_start(stream, str(path))


def scan(path: Path, progress: Callable[[int], None] | None = None) -> list[Scan]:
    """The response and revisit records of a WARC, WARC.gz or WACZ (one Scan per WARC in it).

    Raises WebArchiveError for a file that is not a web archive at all; damage within one is
    reported in its Scan, with the records before it listed."""
    try:
        members = warc_members(path)
    except FileNotFoundError:
        raise WebArchiveError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise WebArchiveError(f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise WebArchiveError(f"cannot read {path}: {exc.strerror or exc}") from None
    scans = []
    for member in members or [None]:
        scanned = _scan_one(path, member, progress)
        if scanned is None:
            # warcio seeks by gzip member, so a file gzipped as one stream (`gzip file.warc`)
            # is read as a plain WARC through gzip instead.
            scanned = _scan_one(path, member, progress, whole_gzip=True)
        assert scanned is not None
        scans.append(scanned)
    return scans


def _scan_one(path: Path, member: str | None, progress: Callable[[int], None] | None,
              whole_gzip: bool = False) -> Scan | None:
    """None if the file turns out to be gzipped as one stream."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    name = f"{path} ({member})" if member else str(path)
    result = Scan(name)
    with _open(path, member, whole_gzip) as stream:
        if not whole_gzip:
            _check_start(stream, name)
        # The size of a gzip stream is known only by inflating it all: left out (a cut there
        # raises EOFError while reading, which is reported as damage below).
        size = None if whole_gzip else stream.seek(0, io.SEEK_END)
        stream.seek(0)
        iterator = ArchiveIterator(stream, check_digests=False)
        done = offset = end = 0
        try:
            for record in iterator:
                complete = _drain(record)  # before asking the offset: warcio reads on then
                offset = iterator.get_record_offset()
                if not complete:
                    cut = size is None or _cut_at(stream, offset)
                    result.damage = (f"{name}: the file ends inside a record at offset {offset}"
                                     if cut else f"{name}: damaged at offset {offset}")
                    break
                end = offset + iterator.get_record_length()
                if progress:
                    progress(end - done)
                    done = end
                if record.rec_type not in ("response", "revisit"):
                    result.other_records += 1
                    continue
                entry = _entry(record, Location(str(path), member, offset, end - offset,
                                                whole_gzip))
                if entry is None:
                    result.other_records += 1  # not usable without a URL, date and ID
                else:
                    result.entries.append(entry)
            else:
                # warcio ends quietly at a gzip member cut short: bytes left over are damage
                # (the blank lines ending the last record of a plain WARC are not).
                if size is not None and end < size and not _only_blank_lines(stream, end):
                    result.damage = (f"{name}: the file ends inside a record at offset {end}"
                                     if _is_gzip_tail(stream, end) else
                                     f"{name}: damaged at offset {end}: not a WARC record")
        except ArchiveLoadFailed as exc:
            if "single gzip" in str(exc) and not whole_gzip and not result.entries:
                return None
            result.damage = f"{name}: damaged at offset {end}: {_first_line(exc)}"
        except Exception as exc:  # warcio and zlib raise many kinds on damage
            result.damage = f"{name}: damaged at offset {end}: {_first_line(exc)}"
        if progress:
            progress(max(0, (size if size is not None else path.stat().st_size) - done))
    return result


def _entry(record, location: Location) -> Entry | None:  # ArcWarcRecord
    headers, http = record.rec_headers, record.http_headers
    date = parse_date(headers.get_header("WARC-Date"))
    url = headers.get_header("WARC-Target-URI")
    record_id = headers.get_header("WARC-Record-ID")
    if date is None or not url or not record_id or not parses(url):
        return None
    refers = headers.get_header("WARC-Refers-To-Target-URI")
    return Entry(location, record_id, record.rec_type, url, date, _status(record),
                 http.get_header("Content-Type") if http else None,
                 headers.get_header("WARC-Payload-Digest"),
                 (refers, headers.get_header("WARC-Refers-To-Date") or "") if refers else None,
                 headers.get_header("WARC-Refers-To"),
                 headers.get_header("WARC-Truncated") if record.rec_type == "response" else None)


def _cut_at(stream: IO[bytes], offset: int) -> bool:
    """Whether the gzip member at `offset` ends because the file does (False: its bytes are
    damaged). A record that is not gzipped is cut short: warcio found its block short."""
    stream.seek(offset)
    if stream.read(2) != GZIP_MAGIC:
        return True
    stream.seek(offset)
    inflater = zlib.decompressobj(zlib.MAX_WBITS + 16)
    try:
        while chunk := stream.read(READ_CHUNK):
            inflater.decompress(chunk)
            if inflater.eof:
                return False  # whole, yet its record was short: damaged inside
    except zlib.error:
        return False
    return True


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    line = lines[0][:120] if lines else type(exc).__name__
    return "".join(c if c.isprintable() else "?" for c in line)  # warcio quotes raw bytes


def _only_blank_lines(stream: IO[bytes], end: int) -> bool:
    stream.seek(end)
    return not stream.read(64).strip(b"\r\n")


def _is_gzip_tail(stream: IO[bytes], end: int) -> bool:
    stream.seek(end)
    return stream.read(2) == GZIP_MAGIC


class Reader:
    """Reads records back by location, keeping each file open between reads: a WACZ's zip
    directory is parsed once, and a file gzipped as one stream is inflated forward from the
    last read rather than from its start each time (records are mostly read in file order)."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.streams: dict[tuple[str, str | None, bool], IO[bytes]] = {}

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stack.close()
        self.streams.clear()

    def read(self, location: Location, limit: int | None = None) -> Payload:
        """The HTTP response of the record at `location` (body de-chunked, not decoded).
        With `limit`, BodyTooLarge for a body longer than that: memory holds no more of it
        than `limit` and a piece, however far it would inflate (a bomb in a gzip member or in
        a WACZ's deflated WARC)."""
        from warcio.limitreader import LimitReader

        key = (location.path, location.member, location.whole_gzip)
        if key not in self.streams:
            self.streams[key] = self.stack.enter_context(_open(Path(location.path),
                                                               location.member,
                                                               location.whole_gzip))
        stream = self.streams[key]
        # Exactly the record's bytes: reading on (warcio reads ahead) would make the next read
        # a backward seek, which a gzip stream can only do by inflating again from its start.
        # Read as warcio asks for them, not first whole: a record's length in a WACZ's
        # deflated WARC is its inflated length.
        stream.seek(location.offset)
        return _payload(LimitReader(stream, location.length), location, limit)


def _read_body(stream: IO[bytes], limit: int | None) -> bytes:
    """The rest of `stream`; BodyTooLarge as soon as it is longer than `limit`."""
    if limit is None:
        return stream.read()
    body = bytearray()
    while chunk := stream.read(min(READ_CHUNK, limit + 1 - len(body))):
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return bytes(body)


def _payload(stream: IO[bytes], location: Location, limit: int | None) -> Payload:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import ChunkedDataReader

    for record in ArchiveIterator(stream, check_digests=False):
        http = record.http_headers
        headers = list(http.headers) if http else []
        body_stream = record.raw_stream
        if any(k.lower() == "transfer-encoding" and "chunked" in v.lower()
               for k, v in headers):
            body_stream = ChunkedDataReader(body_stream)  # no decompression: as served
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        body = _read_body(body_stream, limit)
        protocol = (http.protocol if http else "") or "HTTP/1.1"
        return Payload(_status(record), protocol, headers, body)
    raise WebArchiveError(f"no record at {location.describe()}")
