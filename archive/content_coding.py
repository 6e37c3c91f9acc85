"""A captured payload's Content-Encoding undone, piece by piece: the one decoder of what a site
sent compressed, for whole bodies (captures.Payload.decoded_body: re-extraction, exports,
imports, page requisites) and for the media route's streamed files (payload_stream.decoded).

It reads a body as Scrapy's HttpCompressionMiddleware read it when the crawl fetched it, so
that what is re-read from a capture is what the crawl extracted: a list of codings
(`gzip, br`) is undone last first, up to the first one it does not know (left as it is; so is
`identity` and an empty member: `gzip, identity` and `gzip,` are not decoded, as neither Scrapy
nor Chromium decodes them);
every member of a multi-member gzip body is inflated, and every frame of a zstd one (Scrapy
asks servers for zstd too); deflate is read as zlib-wrapped, as the standard says, then as
raw, as servers often send it. Stricter than Scrapy on a cut body: a stream that ends early
is an error, never half a body taken for a whole one.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

PIECE = 2**16  # the most a decoder yields at once (brotli takes it as a hint: a block more)
DECODED = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd"})  # the codings `decode` undoes
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class UndecodableBody(ValueError):
    """A payload that does not decode as its Content-Encoding says."""


def _members(content_encoding: str | None) -> list[str]:
    """The members of a Content-Encoding value, in the order they were applied, lower case,
    `identity` and empty ones (`gzip,`) included, as Scrapy splits it."""
    return [part.strip().lower() for part in content_encoding.split(",")] \
        if content_encoding else []


def codings(content_encoding: str | None) -> list[str]:
    """The codings `decode` undoes, in the order they were applied: the members of the value
    from the last back to the first not in DECODED (Scrapy's reading). `identity` and an empty
    member stop it like an unknown coding: Scrapy, and Chromium, read `gzip, identity` and
    `gzip,` as they came, compressed."""
    members = _members(content_encoding)
    undone = 0
    while undone < len(members) and members[-1 - undone] in DECODED:
        undone += 1
    return members[len(members) - undone:]


def fully_decoded(content_encoding: str | None) -> bool:
    """Whether `decode` undoes every coding the value names (and there is one at least)."""
    members = _members(content_encoding)
    return bool(members) and all(member in DECODED for member in members)


def decode(raw: Iterable[bytes], content_encoding: str | None) -> Iterator[bytes]:
    """The pieces of `raw` with the codings `content_encoding` names undone, last first, up
    to the first one not in DECODED (see `codings`; the rest left encoded, as Scrapy leaves
    it); each piece at most PIECE bytes for gzip and deflate. Memory holds a piece and the
    decoders' windows whatever the body inflates to. UndecodableBody when a coding does not
    decode."""
    pieces: Iterable[bytes] = raw
    for coding in reversed(codings(content_encoding)):
        pieces = _decoded(pieces, coding)
    yield from pieces


def _decoded(raw: Iterable[bytes], coding: str) -> Iterator[bytes]:
    import brotli  # Scrapy's own dependency for br

    zstd = zstd_module()
    try:
        if coding == "br":
            yield from _unbrotli(raw, brotli.Decompressor())
        elif coding == "zstd":
            yield from _unzstd(raw, zstd)
        elif coding == "deflate":
            yield from _deflated(raw)
        else:
            yield from _inflate(raw, zlib.MAX_WBITS + 16)
    except (zlib.error, brotli.error, zstd.ZstdError) as exc:
        raise UndecodableBody(f"its payload does not decode as {coding}: {exc}") from None


def zstd_module() -> Any:
    """The zstd module: the standard library's from Python 3.14, its backport before (both
    Scrapy's, which asks servers for zstd and decoded it when the crawl fetched the page)."""
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd
    return zstd


def _deflated(raw: Iterable[bytes]) -> Iterator[bytes]:
    """deflate: zlib-wrapped as the standard says, or raw as servers often send it. Read as zlib
    first, and again as raw when that fails before giving a byte, as browsers and Scrapy read
    it: a raw stream can start with two bytes that pass for a zlib header (a stored block with
    padding bits set), which a look at the header took for zlib and failed on. Once the zlib
    reading has given bytes, a failure is an error (UndecodableBody), never a wrong guess's
    bytes taken for the body: the zlib stream's checksum is verified at its end."""
    source = iter(raw)
    taken: list[bytes] = []  # the input the zlib reading took before giving a byte
    given = False

    def recorded() -> Iterator[bytes]:
        for data in source:
            if not given:
                taken.append(data)
            yield data

    try:
        for piece in _inflate(recorded(), zlib.MAX_WBITS):
            if not given:
                given = True
                taken.clear()
            yield piece
        return
    except zlib.error:
        if given:
            raise
    yield from _inflate(chain(taken, source), -zlib.MAX_WBITS)


def _inflate(raw: Iterable[bytes], wbits: int) -> Iterator[bytes]:
    """gzip (`wbits` for gzip: every member, as gzip readers and Scrapy read them; bytes after
    the last member that start no other are ignored, as zero padding is) or deflate, zlib or
    raw (one stream)."""
    gzip = wbits > zlib.MAX_WBITS
    inflater = None
    pending = b""  # the first bytes of a stream or member, too few to tell its kind
    ended = False  # the stream, and any gzip member after it, is over
    for data in raw:  # read to its end even once ended: a capture's reader checks its own end
        if ended:
            continue
        data = pending + data
        pending = b""
        while data:
            if inflater is None or inflater.eof:
                if len(data) < 2:
                    pending = data
                    break
                if inflater is not None and not (gzip and data.startswith(_GZIP_MAGIC)):
                    ended = True  # what follows the stream (no other gzip member) is ignored
                    break
                inflater = zlib.decompressobj(wbits)
            piece = inflater.decompress(data, PIECE)
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            if piece:
                yield piece
    if inflater is None or not inflater.eof:
        raise zlib.error("incomplete or truncated stream")


def _unbrotli(raw: Iterable[bytes], decompressor: Any) -> Iterator[bytes]:
    for data in raw:
        piece = decompressor.process(data, output_buffer_limit=PIECE)
        while piece:
            yield piece
            if decompressor.can_accept_more_data():
                break
            piece = decompressor.process(b"", output_buffer_limit=PIECE)
    while not decompressor.is_finished():  # the output the last input holds
        piece = decompressor.process(b"", output_buffer_limit=PIECE)
        if not piece:
            raise zlib.error("incomplete or truncated stream")
        yield piece


def _unzstd(raw: Iterable[bytes], zstd: Any) -> Iterator[bytes]:
    """Every zstd frame, one after the other (bytes after the last that start no other are
    ignored, as after gzip members)."""
    decompressor = zstd.ZstdDecompressor()
    pending = b""  # bytes after a frame, too few to tell whether another one starts
    ended = False
    for data in raw:  # read to its end even once ended, as _inflate does
        if ended:
            continue
        data = pending + data
        pending = b""
        while True:
            if decompressor.eof:
                if len(data) < len(_ZSTD_MAGIC):
                    pending = data
                    break
                if not data.startswith(_ZSTD_MAGIC):
                    ended = True
                    break
                decompressor = zstd.ZstdDecompressor()
            piece = decompressor.decompress(data, PIECE)
            if piece:
                yield piece
            if decompressor.eof:
                data = decompressor.unused_data
            elif decompressor.needs_input:
                break
            else:
                data = b""  # more output from what it holds
    if not decompressor.eof:
        raise zlib.error("incomplete or truncated stream")
