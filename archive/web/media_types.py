"""Which content type the media route sends for an archived file: never HTML or script.

The type a crawled site sent is hostile input. `video/mp4, text/html` began with `video/`, was
sent unchanged, and Chromium rendered it as HTML on the archive's origin. A file is now sent as
its type only when that is exactly one media type (parameters allowed, RFC 9110) of an image,
video, audio or PDF, and its first bytes are not markup (HTML or SVG under a PNG's name, say).
Anything else is sent as application/octet-stream, to download (`Content-Disposition:
attachment`), never shown.
"""

from __future__ import annotations

import re

from archive.markup_sniff import is_markup

DOWNLOADED = "application/octet-stream"
SNIFFED_BYTES = 512  # as much as a browser reads to sniff a type (WHATWG mimesniff)

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\[^\x00-\x08\x0a-\x1f\x7f])*"'
_MEDIA_TYPE = re.compile(
    rf"[ \t]*(?P<type>{_TOKEN})/(?P<subtype>{_TOKEN})[ \t]*"
    rf"(?:;[ \t]*(?:{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))?[ \t]*)*")
_SHOWN = ("image", "video", "audio")
# Subtypes a browser could read as a document or script, whatever their main type says.
_DOCUMENT_SUBTYPES = re.compile(r"html|xml|script|json", re.IGNORECASE)
SVG = "image/svg+xml"  # markup, shown sandboxed: a browser runs no script of an SVG image
# No image, video, audio or PDF file begins with a byte order mark: text that does is not sent
# as one, markup or not.
_BOMS = (b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")


def media_type(value: str | None) -> str | None:
    """The media type (`type/subtype`, lower case) `value` names, when it names exactly one;
    None for a list, a malformed value or none."""
    found = _MEDIA_TYPE.fullmatch(value or "")
    if not found:
        return None
    return f"{found['type']}/{found['subtype']}".lower()


def served_type(stored: str | None, head: bytes) -> str:
    """The Content-Type to send for a file stored as `stored` whose first bytes are `head`:
    its media type when it is shown safely, else DOWNLOADED."""
    kind = media_type(stored)
    if kind is None:
        return DOWNLOADED
    main, _, subtype = kind.partition("/")
    if kind == SVG:
        return kind
    if main not in _SHOWN and kind != "application/pdf":
        return DOWNLOADED
    if _DOCUMENT_SUBTYPES.search(subtype) or head.startswith(_BOMS) or is_markup(head):
        return DOWNLOADED
    return kind
