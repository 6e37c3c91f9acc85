"""Hostile answers for the sample blog's server: bombs, trickles, resets, wrong types, throttling.

Each behaviour takes over one path of a running BlogServer (`server.takeovers[path] = ...`) and
writes the raw HTTP answer itself, which is how a broken or malicious server misbehaves: a body
that never ends, a connection reset half way, a 1 GB gzip bomb in 1 MB. A behaviour returns
False to let the blog answer normally (a 429 that lets the second try through, for example).

    with serve_blog(blog) as server:
        server.takeovers["/post/some-slug"] = compressed_bomb("br")
"""

from __future__ import annotations

import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from email.utils import formatdate
from functools import cache
from html import escape
from http.server import BaseHTTPRequestHandler

import brotli

from crawler.sample_site.model import SamplePost

Takeover = Callable[[BaseHTTPRequestHandler], bool]

BOMB_SIZE = 1 << 30  # what a bomb inflates to: 1 GiB
_MIB = 1 << 20
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x01\x01\x01\x00\x18\xdd\x8d"
       b"\xb4\x00\x00\x00\x00IEND\xaeB`\x82")
_FILLER = (b"<p>" + b"All work and no play makes a very large page. " * 20 + b"</p>\n") * 64


def _head(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


@cache
def bomb(encoding: str, size: int = BOMB_SIZE) -> bytes:
    """`size` zero bytes compressed as gzip, deflate (zlib) or br: ~1 MB for gzip/deflate, less
    for br. Deflate blocks after a full flush do not depend on what came before, so one
    compressed MiB is repeated instead of compressing a GiB (10+ s)."""
    if encoding == "br":
        compressor = brotli.Compressor(quality=1)
        chunk = bytes(_MIB)
        return b"".join(compressor.process(chunk) for _ in range(size // _MIB)) + \
            compressor.finish()
    chunk = bytes(_MIB)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(chunk) + raw.flush(zlib.Z_FULL_FLUSH)
    deflated = block * (size // _MIB) + raw.flush()
    if encoding == "gzip":
        crc = 0
        for _ in range(size // _MIB):
            crc = zlib.crc32(chunk, crc)
        return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + deflated
                + struct.pack("<II", crc, size & 0xFFFFFFFF))
    if encoding == "deflate":
        adler = 1
        for _ in range(size // _MIB):
            adler = zlib.adler32(chunk, adler)
        return b"\x78\xda" + deflated + struct.pack(">I", adler)
    raise ValueError(f"unknown encoding {encoding!r}")


def compressed_bomb(encoding: str, content_type: str = "text/html; charset=utf-8",
                    header: bool = True) -> Takeover:
    """A small body that inflates to 1 GiB. header=False leaves Content-Encoding out (a
    .xml.gz file served as-is)."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        body = bomb(encoding)
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        if header:
            headers["Content-Encoding"] = encoding
        _head(handler, 200, headers)
        handler.wfile.write(body)
        return True
    return answer


def _stream(handler: BaseHTTPRequestHandler, chunks: Iterable[bytes], chunked: bool) -> None:
    """Write chunks until they run out or the client hangs up."""
    try:
        for chunk in chunks:
            if chunked:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                handler.wfile.write(chunk)
        if chunked:
            handler.wfile.write(b"0\r\n\r\n")
    except OSError:  # the crawler gave up on us, as it should
        handler.close_connection = True


def trickle(interval: float = 0.2, limit: float = 300.0) -> Takeover:
    """A body that never ends: a few bytes every `interval` seconds, each well inside any idle
    timeout (stops after `limit` seconds so a test server's thread ends)."""
    def chunks() -> Iterable[bytes]:
        yield b"<!doctype html><html><head><title>Slow</title></head><body>"
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            time.sleep(interval)
            yield b"<p>.</p>"

    def answer(handler: BaseHTTPRequestHandler) -> bool:
        _head(handler, 200, {"Content-Type": "text/html; charset=utf-8",
                             "Transfer-Encoding": "chunked"})
        _stream(handler, chunks(), chunked=True)
        return True
    return answer


def huge_body(size: int = 300 * _MIB, declared: bool = True) -> Takeover:
    """An HTML page of `size` bytes, with its Content-Length or (declared=False) chunked."""
    def chunks() -> Iterable[bytes]:
        for start in range(0, size, len(_FILLER)):
            yield _FILLER[: size - start]

    def answer(handler: BaseHTTPRequestHandler) -> bool:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if declared:
            headers["Content-Length"] = str(size)
        else:
            headers["Transfer-Encoding"] = "chunked"
        _head(handler, 200, headers)
        _stream(handler, chunks(), chunked=not declared)
        return True
    return answer


def reset_mid_body(sent: int = 20_000, declared: int = 200_000) -> Takeover:
    """Promise `declared` bytes, send `sent`, then reset the connection (TCP RST)."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        _head(handler, 200, {"Content-Type": "text/html; charset=utf-8",
                             "Content-Length": str(declared)})
        handler.wfile.write(_FILLER[:sent])
        handler.wfile.flush()
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
        handler.connection.close()  # linger 0: the kernel sends RST, not FIN
        handler.close_connection = True
        raise ConnectionResetError("reset on purpose")  # the server skips the rest quietly
    return answer


def typed_body(content_type: str, body: bytes) -> Takeover:
    """Serve `body` as `content_type` (a PDF or an image where a post should be)."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        _head(handler, 200, {"Content-Type": content_type, "Content-Length": str(len(body))})
        handler.wfile.write(body)
        return True
    return answer


class Throttle:
    """Answer `status` with a Retry-After the first `times` requests, then serve the page.

    `retry_after` is seconds; as_date=True sends it as an HTTP-date instead. `times` None
    throttles forever. `seen` keeps each request's monotonic time, to check the waits.
    """

    def __init__(self, retry_after: float | None, *, as_date: bool = False,
                 times: int | None = 1, status: int = 429) -> None:
        self.retry_after, self.as_date, self.times, self.status = retry_after, as_date, times, \
            status
        self.seen: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, handler: BaseHTTPRequestHandler) -> bool:
        with self._lock:
            self.seen.append(time.monotonic())
            if self.times is not None and len(self.seen) > self.times:
                return False
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": "0"}
        if self.retry_after is not None:
            headers["Retry-After"] = (formatdate(time.time() + self.retry_after, usegmt=True)
                                      if self.as_date else str(int(self.retry_after)))
        _head(handler, self.status, headers)
        return True


def always(status: int) -> Takeover:
    """Every request gets `status` (a 5xx storm when set on many paths)."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        body = f"<html><body><h1>{status}</h1></body></html>".encode()
        _head(handler, status, {"Content-Type": "text/html; charset=utf-8",
                                "Content-Length": str(len(body))})
        handler.wfile.write(body)
        return True
    return answer


def redirect_to(location: str) -> Takeover:
    """A 302 to `location` (two of these pointing at each other make a cycle)."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        _head(handler, 302, {"Location": location, "Content-Length": "0"})
        return True
    return answer


def urlset(base: str, posts: Iterable[SamplePost], extra_locs: Iterable[str] = ()) -> bytes:
    """A posts sitemap (urlset) for `posts`, then any extra <loc>s."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    parts += [f"<url><loc>{escape(base + post.url_path)}</loc>"
              f"<lastmod>{post.modified.strftime('%Y-%m-%d')}</lastmod></url>\n" for post in posts]
    parts += [f"<url><loc>{escape(loc)}</loc></url>\n" for loc in extra_locs]
    parts.append("</urlset>\n")
    return "".join(parts).encode("utf-8")


def sitemap_index(locs: Iterable[str]) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    parts += [f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n" for loc in locs]
    parts.append("</sitemapindex>\n")
    return "".join(parts).encode("utf-8")


def xml_by_query(pages: dict[str, bytes | Takeover], content_type: str = "application/xml"
                 ) -> Takeover:
    """Serve one of several bodies (or behaviours) by the request's query string ("" for none):
    Wix pages big sitemaps as blog-posts-sitemap.xml?page=N."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        query = handler.path.partition("?")[2]
        page = pages.get(query)
        if page is None:
            return False
        if callable(page):
            return page(handler)
        _head(handler, 200, {"Content-Type": content_type, "Content-Length": str(len(page))})
        handler.wfile.write(page)
        return True
    return answer


def gzipped(body: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return compressor.compress(body) + compressor.flush()


def served(body: bytes, content_type: str, encoding: str | None = None) -> Takeover:
    """Serve fixed bytes with a type and, optionally, a Content-Encoding header."""
    def answer(handler: BaseHTTPRequestHandler) -> bool:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        if encoding:
            headers["Content-Encoding"] = encoding
        _head(handler, 200, headers)
        handler.wfile.write(body)
        return True
    return answer
