"""PageTypeMiddleware: a post or listing URL that answers with a PDF, an image or other binary
data fails with that reason ("not an HTML page (application/pdf)") instead of reaching the
archive worker as a page. The download stops as soon as the headers show a non-HTML type, so a
300 MB video where a post should be costs a few bytes.

Requests opt in with `meta[HTML_ONLY]` (the spider sets it on post and listing pages); sitemaps,
feeds, robots.txt and media are not its business.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Headers, Response

from crawler.distributed.protocol import HTML_ONLY
from crawler.extract.page import looks_binary

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Formats a misconfigured server labels text/html anyway. A handful of signatures, written out
# rather than a file-type library: only "is this not markup" matters here.
_SIGNATURES = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"),
)


def media_type(headers: Headers) -> str:
    value = headers.get(b"Content-Type") or b""
    return value.decode("latin-1").split(";")[0].strip().lower()


def binary_kind(body: bytes) -> str | None:
    """What the first bytes say the body is, when it is plainly not text."""
    head = body[:16]
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    if head.startswith(b"RIFF") and body[8:12] == b"WEBP":
        return "WebP"
    if looks_binary(body) and not body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"  # not markup (UTF-16 with a BOM is, and the extractor reads it)
    return None


class PageTypeMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PageTypeMiddleware:
        return cls(crawler)

    def headers_received(self, headers: Headers, body_length: int, request: Request,
                         spider: Any = None) -> None:
        kind = media_type(headers)
        if request.meta.get(HTML_ONLY) and kind and kind not in HTML_TYPES:
            raise StopDownload(fail=False)  # process_response below names the type

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        if not request.meta.get(HTML_ONLY) or not 200 <= response.status < 300:
            return response
        kind = media_type(response.headers)
        if kind and kind not in HTML_TYPES:
            self.crawler.stats.inc_value("wixarchive/not_html")
            raise IgnoreRequest(f"not an HTML page ({kind})")
        found = binary_kind(response.body)
        if found:
            self.crawler.stats.inc_value("wixarchive/not_html")
            raise IgnoreRequest(f"not an HTML page ({found} data served as {kind or 'no type'})")
        return response
