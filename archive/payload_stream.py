"""A captured payload read piece by piece, for serving a large file (or a range of it) without
holding it whole: the media route's reader (archive/web/views/media.py).

A record is one gzip member, which can only be inflated from its start: a range deep in a
video costs inflating up to it (ISA-L, about a gigabyte a second), but never more memory than
a piece (captures.STREAM_PIECE). A record not in our writer's shape is read whole and parsed
by captures.split_response (warcio), as the rest of the archive reads it.

A payload the site sent compressed (Content-Encoding gzip, deflate, br or zstd, or several)
is decoded piece by piece too (`decoded`, by archive.content_coding): its decoded size is
learnt by decoding it once, memory bounded by a piece whatever it inflates to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain

from archive import captures
from archive.content_coding import UndecodableBody, decode

HEADS_LIMIT = 2**20  # WARC and HTTP headers longer than this are no shape of our writer's


@dataclass
class PayloadStream:
    """A capture's response: its status and headers, its payload's size (as transferred, so
    still compressed if its Content-Encoding says so), and its payload to read once."""

    status: int | None
    headers: list[tuple[str, str]]
    size: int
    # The payload from its first byte, then the rest of its record, whose end is checked.
    pieces: Iterator[bytes]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def read(self, start: int, end: int) -> Iterator[bytes]:
        """The payload's bytes from `start` up to (not including) `end`, piece by piece; once
        only. Read to its end, the record is read to its own end, so its gzip trailer is
        checked; CaptureError when the record is damaged or shorter than its headers say."""
        end = min(end, self.size)
        position = 0
        for piece in self.pieces:
            piece_end = position + len(piece)
            if piece_end > start and position < end:
                yield piece[max(start - position, 0):end - position]
            position = piece_end
            if position >= end and end < self.size:
                return  # the rest is not asked for: it is never inflated
        if position < self.size:
            raise captures.CaptureError(f"a record of {self.size} payload bytes ends after "
                                        f"{position}")


def open_payload(reader: captures.Reader, where: captures.Location) -> PayloadStream:
    """The response a located capture recorded (a revisit's payload read from the earlier
    response), to read piece by piece; CaptureError as captures.Reader.payload."""
    if where.kind == "revisit":
        if where.original is None:
            raise captures.CaptureError(f"the payload of revisit {where.record_id} "
                                        f"({where.url}) is not archived")
        status, headers, _ = captures.split_response(
            reader.record(where.file, where.offset, where.length))  # small: no payload
        original = _open_record(reader, *where.original)
        return PayloadStream(status, headers, original.size, original.pieces)
    return _open_record(reader, where.file, where.offset, where.length)


def _open_record(reader: captures.Reader, name: str, offset: int, length: int) -> PayloadStream:
    """A response record's heads, read from its first pieces, and its payload to read on."""
    pieces = reader.inflated(name, offset, length)
    data = b""
    for piece in pieces:
        data += piece
        heads = captures.response_heads(data)
        if heads is not None:
            rest = chain([data[heads.start:]], pieces)
            return PayloadStream(heads.status, heads.headers, heads.end - heads.start, rest)
        if len(data) >= HEADS_LIMIT:
            break
    # Not in our writer's shape (an imported record written otherwise): read whole.
    pieces.close()
    status, headers, body = captures.split_response(reader.record(name, offset, length))
    return PayloadStream(status, headers, len(body), iter([body]))


def content_encoding(payload: PayloadStream) -> str:
    """The payload's Content-Encoding (its headers' values joined, as HTTP reads several)."""
    return ", ".join(v for k, v in payload.headers if k.lower() == "content-encoding")


def decoded(open_encoded: Callable[[], PayloadStream]) -> PayloadStream:
    """The payload `open_encoded` opens, with its Content-Encoding undone (as
    archive.content_coding.decode does: the media route asks it of payloads whose every coding
    it undoes, content_coding.fully_decoded), to read piece by piece as PayloadStream.read
    does: its size is learnt by decoding a first opening through, the bytes it serves from a
    second one. Memory never holds more than a piece; a decompression bomb costs time, not
    memory. CaptureError when the payload does not decode."""
    size = sum(len(piece) for piece in _decoded_pieces(open_encoded()))
    payload = open_encoded()
    return PayloadStream(payload.status, payload.headers, size, _decoded_pieces(payload))


def _decoded_pieces(payload: PayloadStream) -> Iterator[bytes]:
    try:
        yield from decode(payload.read(0, payload.size), content_encoding(payload))
    except UndecodableBody as exc:
        raise captures.CaptureError(str(exc)) from None
