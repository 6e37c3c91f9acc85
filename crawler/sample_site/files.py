"""The sample blog's uploaded files: small real PDFs and MP4s, derived from their names.

Wix serves a site's documents under `/_files/ugd/<owner>_<hash>.<ext>` on the site's own host
(and `<uuid>.usrfiles.com/ugd/…`) and its videos as
`video.wixstatic.com/video/<owner>_<hash>/<quality>/mp4/file.mp4`; the sample server answers
both paths on loopback (tests point the crawler's video host at it). The bytes are built here,
not stored: a one-page PDF 1.4 with a correct cross-reference table, and an ISO base media file
(`ftyp`, `free`, `mdat` boxes) as MP4 files begin, each a few hundred bytes.
"""

from __future__ import annotations

import functools
import hashlib
import re

DOCUMENT_PATH = re.compile(r"^/_files/ugd/([a-z0-9]+_[0-9a-f]{32})\.pdf$")
VIDEO_PATH = re.compile(r"^/video/([a-z0-9]+_[0-9a-f]{32})/(\d+p)/mp4/file\.mp4$")
VIDEO_HOST = "https://video.wixstatic.com/"


def document_path(file_id: str) -> str:
    return f"/_files/ugd/{file_id}.pdf"


def video_url(file_id: str, quality: str = "480p") -> str:
    return f"{VIDEO_HOST}video/{file_id}/{quality}/mp4/file.mp4"


@functools.lru_cache(maxsize=256)
def pdf_bytes(file_id: str) -> bytes:
    """A one-page PDF saying which file it is."""
    text = f"BT /F1 18 Tf 72 720 Td (Sample document {file_id}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


@functools.lru_cache(maxsize=256)
def mp4_bytes(file_id: str) -> bytes:
    """The boxes an MP4 file starts with, the media data derived from the id."""
    data = hashlib.sha256(file_id.encode()).digest() * 8
    return (_box(b"ftyp", b"isom" + (512).to_bytes(4, "big") + b"isomiso2avc1mp41")
            + _box(b"free", b"") + _box(b"mdat", data))
