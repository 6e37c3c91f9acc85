"""A captured payload read piece by piece, for serving a large file (or a range of it) without
holding it whole: the media route's reader (archive/web/views/media.py).

A record is one gzip member, which can only be inflated from its start: a range deep in a
video costs inflating up to it (ISA-L, about a gigabyte a second), but never more memory than
a piece (captures.STREAM_PIECE). A record not in our writer's shape is read whole and parsed
by captures.split_response (warcio), as the rest of the archive reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from archive import captures

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
