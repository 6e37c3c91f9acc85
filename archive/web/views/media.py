"""Archived images, videos and documents, served from the archive: `/<db>/-/media/<digest>`.

The article page points its images, and the videos and documents fetched on request, here
instead of at the site (never hot-linking): the bytes are read from the raw captures by payload
digest (archive/captures.py). Only payloads recorded as stored media are served, with their
content type when it is strictly one image, video, audio or PDF type that the bytes do not
belie (archive.web.media_types; else as octet-stream, to download), and a sandboxing
Content-Security-Policy for that type (archive.web.headers.media_policy): no script runs, not
even an SVG's, and a video or audio file opened on its own plays in the browser's player.
A GET may ask for one byte range (archive.web.ranges), as a player seeking in a video does;
the bytes are read (and decoded, if the site compressed them) from the capture piece by piece as
they are sent, never the whole file.
The URL names the payload's digest, so its bytes never change: they are cached for a year
(`immutable`), and a GET or HEAD whose If-None-Match names the ETag (the digest) gets 304.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from datasette.utils.asgi import NotFound, Response

from archive import attachments, captures
from archive.chunked import in_chunks
from archive.content_coding import fully_decoded
from archive.payload_stream import PayloadStream, content_encoding, decoded, open_payload
from archive.store import Archive
from archive.web.headers import media_policy
from archive.web.media_types import DOWNLOADED, SNIFFED_BYTES, served_type
from archive.web.preconditions import none_match
from archive.web.ranges import ByteRange, Unsatisfiable, requested_range
from archive.web.views import ArchiveTimeout, archive_database, read

_DIGEST = re.compile(r"^[A-Z2-7]{32}$")  # a base32 SHA-1, as in WARC-Payload-Digest
MEDIA_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable",
                 "X-Content-Type-Options": "nosniff"}


class Served(NamedTuple):
    """The capture the media route serves for a payload digest, and its content type."""

    where: captures.Location
    content_type: str | None


def readable_media(archive: Archive,
                   digests: list[str]) -> tuple[dict[str, Served], dict[str, str]]:
    """For each payload digest ("sha1:…") of stored media: the capture the media route serves,
    the first (by media URL) of those holding it that can be read; and for each digest none
    of whose captures can be read, why the first cannot. (The same bytes may be stored under
    several URLs, each with a capture of its own, not all of them readable.) The route's lookup,
    and the article page's for its unreadable ones, through the index of stored digests."""
    directory = captures.captures_dir(archive.path)
    rows = in_chunks(archive.conn, "SELECT payload_digest, capture, content_type FROM media "
                     "WHERE status = 'stored' AND capture IS NOT NULL AND payload_digest IN "
                     "({marks}) ORDER BY url", sorted(set(digests)))
    found = captures.locate(archive.conn, [capture for _, capture, _ in rows])
    served: dict[str, Served] = {}
    problems: dict[str, str] = {}
    for digest, capture, content_type in rows:
        if digest in served:
            continue
        where = found.get(capture)
        problem = unreadable(directory, where) if where else "its capture is not indexed"
        if problem is None:
            served[digest] = Served(where, content_type)
            problems.pop(digest, None)
        else:
            problems.setdefault(digest, problem)
    return served, problems


# Why a copy a crawl running now has just stored is not served yet: it indexes the capture a
# moment later. No problem to show: the page links the file on its site meanwhile.
NOT_INDEXED_YET = "its capture is not indexed yet"


def unservable(archive: Archive, stored: list[tuple[str, str, str]]) -> dict[str, str | None]:
    """For stored media (URL, payload digest, capture record id): None for each whose bytes
    the media route serves, else why not (its own capture's problem). Served means its own
    capture can be read, or else another capture of the same bytes (readable_media, which
    the route uses): the page shows a copy exactly when the route has one to serve."""
    directory = captures.captures_dir(archive.path)
    found = captures.locate(archive.conn, [capture for _, _, capture in stored])
    problems: dict[str, str | None] = {}
    for url, _, capture in stored:
        where = found.get(capture)
        problems[url] = unreadable(directory, where) if where else "its capture is not indexed"
    if len(found) < len({capture for _, _, capture in stored}) and captures.being_written(
            archive.conn, directory):
        for url, _, capture in stored:
            if capture not in found:
                problems[url] = NOT_INDEXED_YET
    failing = [digest for url, digest, _ in stored if problems[url]]
    if failing:
        served, _ = readable_media(archive, failing)
        for url, digest, _ in stored:
            if digest in served:
                problems[url] = None
    return problems


def local_images(archive: Archive, urls: list[str],
                 base: str) -> tuple[dict[str, str], list[str]]:
    """For the images archived at full size and readable: their local URLs (under `base`);
    and one line for each that cannot be read (capture file missing, truncated or damaged),
    which the page shows as a link instead, naming the problem."""
    local: dict[str, str] = {}
    problems: list[str] = []
    try:
        rows = in_chunks(archive.conn, "SELECT url, payload_digest, capture FROM media WHERE "
                         "status = 'stored' AND capture IS NOT NULL AND url IN ({marks})", urls)
    except sqlite3.OperationalError:  # an archive from before captures (v9 or older)
        return local, problems
    unread = unservable(archive, rows)
    for url, digest, _ in rows:
        if unread[url]:
            if unread[url] != NOT_INDEXED_YET:
                problems.append(f"image {url}: {unread[url]}")
        else:
            local[url] = f"{base}/-/media/{digest.split(':', 1)[-1]}"
    return local, problems


def unreadable(directory: Path, where: captures.Location) -> str | None:
    """Why the media route could not serve this capture (None when it can).

    Missing and truncated capture files are found from the files' sizes on every call (a stat
    per file). Damage inside a record (bytes changed, a gzip member that does not inflate or
    fails its CRC) shows only by reading it, so each record is read once and the answer kept
    per file state (size, mtime, inode): a page view costs a stat per image, not the images'
    megabytes, and a file replaced or cut is read again."""
    if where.kind == "revisit" and where.original is None:
        return "its capture is a revisit whose earlier response is not archived"
    states = []
    for name, offset, length in filter(None, [(where.file, where.offset, where.length),
                                              where.original]):
        path = directory / name
        try:
            state = path.stat()
        except FileNotFoundError:
            return f"its capture file {path} is missing"
        except OSError as exc:
            return f"its capture file {path} cannot be read: {exc.strerror}"
        if offset + length > state.st_size:
            return f"its capture file {path} is truncated (record at offset {offset})"
        states.append((state.st_size, state.st_mtime_ns, state.st_ino))
    return _damage(directory, where, tuple(states))


@lru_cache(maxsize=8192)
def _damage(directory: Path, where: captures.Location,
            states: tuple[tuple[int, int, int], ...]) -> str | None:
    """The read error of a capture whose files are in these states, None if it reads (read
    through piece by piece, as the route serves it: a long video is never held whole)."""
    try:
        with captures.Reader(directory) as reader:
            payload = open_payload(reader, where)
            for _ in payload.read(0, payload.size):
                pass
    except captures.CaptureError as exc:
        return str(exc)
    return None


def local_attachments(archive: Archive, items: list[dict[str, Any]],
                      base: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Videos and documents (archive.attachments.of_shown_version rows), each with
    `href` (its archived copy under `base` when fetched and readable, else its URL, which the
    page shows as a plain link) and `archived`; and one line for each fetched one that cannot
    be read (as for images)."""
    unread = unservable(archive, [(item["url"], item["payload_digest"], item["capture"])
                                  for item in items if item["status"] == "stored"
                                  and item["payload_digest"] and item["capture"]])
    shown: list[dict[str, Any]] = []
    problems: list[str] = []
    for item in items:
        archived = item["url"] in unread and not unread[item["url"]]
        if unread.get(item["url"]) not in (None, NOT_INDEXED_YET):
            problems.append(f"{item['kind']} {item['url']}: {unread[item['url']]}")
        href = (f"{base}/-/media/{item['payload_digest'].split(':', 1)[-1]}" if archived
                else item["url"])
        # A Wix video by its id (its URL ends in file.mp4 like every other's).
        name = (attachments.file_name(item["url"].rstrip("/")) if item["is_file"]
                else item["url"])
        shown.append({**item, "href": href, "archived": archived, "name": name})
    return shown, problems


class Opened(NamedTuple):
    """The payload the media route serves for a digest, open to read, and its content type."""

    payload: PayloadStream
    reader: captures.Reader  # closed once the answer is sent
    content_type: str


def _open(archive: Archive, digest: str) -> Opened | None:
    """The payload of the capture readable_media chooses (as the article page does), open to
    read piece by piece; CaptureError naming why when none of the digest's captures can be
    read."""
    served, unread = readable_media(archive, [f"sha1:{digest}"])
    if not served:
        if unread:
            raise captures.CaptureError(next(iter(unread.values())))
        return None
    where, content_type = next(iter(served.values()))
    reader = captures.Reader(captures.captures_dir(archive.path))
    try:
        payload = open_payload(reader, where)
        if fully_decoded(content_encoding(payload)):
            # Compressed for transfer (servers seldom compress media): served decoded, as
            # read, piece by piece (a long video or a bomb never held whole).
            payload = decoded(lambda: open_payload(reader, where))
        head = _peek(payload, SNIFFED_BYTES)
    except BaseException:
        reader.close()
        raise
    return Opened(payload, reader, served_type(content_type or payload.header("content-type"),
                                               head))


def _peek(payload: PayloadStream, size: int) -> bytes:
    """The payload's first `size` bytes (fewer if it is shorter), left to be read again."""
    head = b""
    for piece in payload.pieces:
        head += piece
        if len(head) >= size:
            break
    payload.pieces = chain([head], payload.pieces)
    return head[:size]


class StreamedFile(Response):
    """An archived file's answer whose body (all of it, or a range; None for HEAD) is read
    from its capture piece by piece as it is sent, each piece in a worker thread, until the
    client goes away: a player seeking in a video drops the answer it was reading."""

    def __init__(self, status: int, headers: dict[str, str], content_type: str,
                 body: Iterator[bytes] | None, reader: captures.Reader, receive: Any) -> None:
        super().__init__(b"", status=status, headers=headers, content_type=content_type)
        self.pieces = body
        self.reader = reader
        self.receive = receive

    async def asgi_send(self, send: Any) -> None:
        headers = [(key.lower().encode("utf-8"), value.encode("utf-8"))
                   for key, value in {**self.headers, "content-type": self.content_type}.items()]
        headers += [(b"set-cookie", cookie.encode("utf-8"))
                    for cookie in self._set_cookie_headers]
        gone = asyncio.Event()

        async def watch() -> None:  # sending to a client that is gone fails silently
            while (await self.receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        try:
            await send({"type": "http.response.start", "status": self.status,
                        "headers": headers})
            while self.pieces is not None and not gone.is_set():
                piece = await asyncio.to_thread(next, self.pieces, None)
                if piece is None:
                    break
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except captures.CaptureError:
            # The capture changed after it was checked, with the headers already sent: the
            # answer ends short of its Content-Length, which the client sees as a failure.
            return
        finally:
            watcher.cancel()
            self.reader.close()


async def media_file(datasette: Any, request: Any) -> Response:
    name, db = await archive_database(datasette, request)
    digest = request.url_vars["digest"]
    if not _DIGEST.match(digest):
        raise NotFound("Not a media digest")
    try:
        found = await read(datasette, db, lambda archive: _open(archive, digest))
    except ArchiveTimeout as exc:
        return Response.text(f"Error: {exc}", status=503)
    except captures.CaptureError as exc:
        return Response.text(f"Error: {exc}", status=410)
    except sqlite3.OperationalError:
        found = None
    if found is None:
        raise NotFound(f"No archived image {digest} in {name}")
    payload, reader, content_type = found
    # The URL names the payload's digest, so the bytes behind it never change: a strong ETag.
    etag = f'"{digest}"'
    headers = {**MEDIA_HEADERS, "Content-Security-Policy": media_policy(content_type),
               "Accept-Ranges": "bytes", "ETag": etag}
    if content_type == DOWNLOADED:
        headers["Content-Disposition"] = "attachment"
    # Evaluated before Range (RFC 9110, 13.2.2), once the file is known to be servable. The 304
    # carries the 200's headers but its length: a cache updates the stored ones from them.
    if request.method in ("GET", "HEAD") and none_match(
            [value.decode("latin-1") for key, value in request.scope["headers"]
             if key.lower() == b"if-none-match"], etag):
        return StreamedFile(304, headers, content_type, None, reader, request.receive)
    size = payload.size
    try:  # Range is defined for GET only (RFC 9110): HEAD answers as a GET without one
        asked = requested_range(request.headers.get("range"), request.headers.get("if-range"),
                                etag, size) if request.method == "GET" else None
    except Unsatisfiable:
        reader.close()
        return Response.text(f"Error: no byte of the range asked for is in the file ({size} "
                             "bytes)", status=416,
                             headers={"Accept-Ranges": "bytes", "Content-Range": f"bytes */{size}",
                                      "X-Content-Type-Options": "nosniff"})
    sent = asked or ByteRange(0, size)
    if asked:
        headers["Content-Range"] = asked.content_range(size)
    headers["Content-Length"] = str(sent.end - sent.start)
    body = payload.read(*sent) if request.method != "HEAD" else None
    return StreamedFile(206 if asked else 200, headers, content_type, body, reader,
                        request.receive)
