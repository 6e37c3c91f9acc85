"""HTTP byte ranges (RFC 9110, section 14), as the media route answers them: one range at a
time. A browser's player asks for `bytes=N-` to seek in a video (Safari plays none without
such answers); a request for several ranges gets the whole file, which the RFC allows.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_SPEC = re.compile(r"([0-9]*)-([0-9]*)")  # int-range "first-[last]" or suffix-range "-length"


class ByteRange(NamedTuple):
    start: int
    end: int  # past the last byte

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end - 1}/{size}"


class Unsatisfiable(Exception):
    """The one range asked for lies wholly past the file's end (a 416 answer)."""


def requested_range(range_field: str | None, if_range: str | None, etag: str,
                    size: int) -> ByteRange | None:
    """The range of a `size`-byte file that a GET's Range field asks for, or None when the
    whole file is to be sent: no Range, a unit other than bytes, several ranges, a malformed
    one, an empty file, or an If-Range that does not name this file's (strong) `etag`: a date
    never matches, as the route sends no Last-Modified. Unsatisfiable when the range starts
    past the end, or is the last 0 bytes."""
    if not range_field or size == 0:
        return None
    if if_range is not None and if_range.strip() != etag:
        return None
    unit, equals, ranges = range_field.partition("=")
    if not equals or unit.lower() != "bytes":
        return None
    specs = [spec.strip() for spec in ranges.split(",") if spec.strip()]
    parts = _SPEC.fullmatch(specs[0]) if len(specs) == 1 else None
    if parts is None or parts.group(0) == "-":
        return None
    first, last = parts.groups()
    if not first:  # the last `last` bytes
        if int(last) == 0:
            raise Unsatisfiable
        return ByteRange(max(size - int(last), 0), size)
    if last and int(last) < int(first):
        return None  # invalid, so the field is ignored
    if int(first) >= size:
        raise Unsatisfiable
    return ByteRange(int(first), min(int(last) + 1, size) if last else size)
