"""Whether a file's bytes are markup as a browser's sniffer sees it: shared by the media route
(archive/web/media_types.py) and the exports' safe copies (archive/export/safe_copies.py),
standard library only so that neither import pulls in the other's dependencies."""

from __future__ import annotations

_UTF16_MARKUP = (b"\xff\xfe<\x00", b"\xfe\xff\x00<", b"<\x00", b"\x00<")


def is_markup(data: bytes) -> bool:
    """Whether `data` starts as a browser's sniffer would see markup: '<' after a byte order
    mark and white space, in UTF-8 or UTF-16."""
    head = data[:1024]
    if head.startswith(_UTF16_MARKUP):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\f").startswith(b"<")
