"""A compressed payload (Content-Encoding) decoded piece by piece, as the media route serves it
(archive.payload_stream.decoded): every encoding the route undoes, ranges, and a payload that
does not decode named as a capture error, never a half answer taken for a whole one."""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Callable

import brotli
import pytest

from archive import captures
from archive.content_coding import zstd_module
from archive.payload_stream import PayloadStream, decoded

zstd = zstd_module()
DATA = random.Random(3).randbytes(200_000) + bytes(3_000_000)  # ~0.2 MB compressed
ENCODED = {"gzip": gzip.compress(DATA), "deflate": zlib.compress(DATA),
           "raw deflate": zlib.compress(DATA)[2:-4], "br": brotli.compress(DATA),
           # Every member of a multi-member gzip body; a list of codings undone last first.
           "members gzip": gzip.compress(DATA[:70_000]) + gzip.compress(DATA[70_000:]),
           "stacked gzip, br": brotli.compress(gzip.compress(DATA)),
           "frames zstd": zstd.compress(DATA[:70_000]) + zstd.compress(DATA[70_000:])}


def opener(encoding: str, body: bytes) -> Callable[[], PayloadStream]:
    def open_encoded() -> PayloadStream:
        pieces = (body[i:i + 50_000] for i in range(0, len(body), 50_000))
        return PayloadStream(200, [("Content-Encoding", encoding)], len(body), pieces)
    return open_encoded


@pytest.mark.parametrize("name", list(ENCODED))
def test_each_encoding_is_decoded_in_pieces_with_its_decoded_size(name: str) -> None:
    encoding = name.split(maxsplit=1)[-1]
    payload = decoded(opener(encoding, ENCODED[name]))
    assert payload.size == len(DATA)
    pieces = list(payload.read(0, payload.size))
    assert b"".join(pieces) == DATA
    # A piece at a time (brotli takes its output limit as a hint: up to a block more).
    assert max(map(len, pieces)) <= 2 * captures.STREAM_PIECE
    ranged = decoded(opener(encoding, ENCODED[name]))
    assert b"".join(ranged.read(199_990, 200_010)) == DATA[199_990:200_010]


@pytest.mark.parametrize(("encoding", "body"), [
    ("gzip", ENCODED["gzip"][:-50]), ("br", ENCODED["br"][:-5]), ("gzip", b"not gzip"),
    ("deflate", b""),
])
def test_a_payload_that_does_not_decode_is_a_capture_error(encoding: str, body: bytes) -> None:
    with pytest.raises(captures.CaptureError, match=f"does not decode as {encoding}"):
        decoded(opener(encoding, body))
