"""A page the site sent compressed is read back from its capture as the crawl read it: Scrapy
undoes a list of codings (`Content-Encoding: gzip, br`) and every member of a multi-member gzip
body, and so must re-extraction, the exports and the media route, which share one decoder
(archive.content_coding)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest

from archive.content_coding import zstd_module
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Response

zstd = zstd_module()
ENCODED: list[tuple[str, Callable[[bytes], bytes]]] = [  # Content-Encoding, encoder
    ("gzip, br", lambda body: brotli.compress(gzip.compress(body))),  # br applied last
    ("gzip", lambda body: b"".join(gzip.compress(body[i:i + 4000])  # members of 4000 bytes
                                   for i in range(0, len(body), 4000))),
    ("deflate", lambda body: zlib.compress(body)[2:-4]),  # raw, as servers often send it
    ("zstd", lambda body: zstd.compress(body)),  # Scrapy asks for it (Accept-Encoding)
]


def test_reextract_reads_each_compressed_page_as_the_crawl_did(tmp_path: Path) -> None:
    """Before 2026-12-06 re-extraction read a `gzip, br` or `zstd` page as its compressed
    bytes (failed: not a post) and only the first member of a multi-member gzip page, though
    the crawl had extracted them whole."""
    blog = SampleBlog(seed=5, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        for post, (encoding, encode) in zip(blog.posts, ENCODED, strict=False):
            page = server.respond(post.url_path, record=False)
            server.overrides[post.url_path] = Response(
                200, encode(page.body), {**page.headers, "Content-Encoding": encoding})
        crawl = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", server.url,
                                "--db", str(db), "--delay", "0", "--no-autothrottle",
                                "--json"], capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 0, crawl.stderr
    assert json.loads(crawl.stdout)["counts"]["new"] == 4, crawl.stdout  # each one decoded
    again = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--db", str(db),
                            "--json"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"posts": 4, "changed": 0, "refreshed": 0, "failed": 0,
                                        "without_capture": 0}, again.stderr


def test_an_archived_image_that_does_not_decode_is_named_by_the_exports(tmp_path: Path) -> None:
    """An image whose capture is whole but whose gzip Content-Encoding is cut short (Scrapy's
    lenient gunzip took the part it read; the captures' decoder does not take half an image for
    a whole one) is named as unreadable, linked where the site served it; the export is
    written. Before 2026-12-06 the Markdown and WXR exports ended in a traceback (zlib.error)."""
    from archive import captures
    from archive.store import Archive
    from crawler.extract.record import Article

    site, image = "https://ann.wixsite.com/blog", "https://static.wixstatic.com/media/a~mv2.jpg"
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_article(Article(
            url=f"{site}/post/p1", title="Cut", author="Ann", body_text="Text.",
            body_html="<p>Text.</p>", language="en", published="2024-05-01T08:00:00Z",
            body_markdown=f"![]({image})", images=[image]))
        writer = captures.CaptureWriter(captures.captures_dir(db))
        body = gzip.compress(b"\xff\xd8\xff" + bytes(range(256)) * 400)[:-100]
        record_id = captures.new_record_id()
        row = writer.write(captures.Exchange(image, "GET", [], 200, [
            ("Content-Type", "image/jpeg"), ("Content-Encoding", "gzip")], body, record_id))
        writer.close()
        captures.record_media(archive.conn, image, "stored", "2024-06-01T00:00:00Z",
                              "image/jpeg", len(body), None, record_id, None)
        archive.conn.execute("BEGIN")
        captures.index_rows(archive.conn, [row])
        archive.conn.execute("COMMIT")
    for out, options in ((tmp_path / "md", ["--format", "markdown"]),
                         (tmp_path / "wp.xml", ["--images-url", "https://example.org/i/"])):
        result = subprocess.run([sys.executable, "-m", "archive.cli", "export", str(out),
                                 *options, "--json", "--db", str(db)],
                                capture_output=True, text=True, timeout=120)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 1, result.stderr
        assert "Error: 1 image could not be read from the captures" in result.stderr
        assert json.loads(result.stdout)["unreadable_media_urls"] == [image]


def test_raw_deflate_that_looks_zlib_wrapped_decodes_as_scrapy_decoded_it() -> None:
    """A raw deflate body whose first block is stored, its padding bits set, starts with two
    bytes that pass for a zlib header (78 01): the decoder looked at them, read the body as
    zlib and failed ("invalid stored block lengths") where the crawl (Scrapy: zlib first, raw
    on failure, as browsers) had read it. Now zlib first, then raw, for whole bodies and
    pieces alike; a zlib body whose checksum is wrong is still an error."""
    from scrapy.utils._compression import _inflate

    from archive.content_coding import UndecodableBody, decode

    text = b"<html><body>" + b"Hello, world. " * 2000 + b"</body></html>"
    rest = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    # A stored block of 1 byte (LEN 1, NLEN ~1), not final, padding bits 01111: 0x78 0x01.
    body = bytes([0x78, 0x01, 0x00, 0xFE, 0xFF]) + text[:1] + rest.compress(text[1:])
    body += rest.flush()
    assert _inflate(body) == text  # as the crawl read it
    for size in (1, 7, len(body)):
        pieces = [body[at:at + size] for at in range(0, len(body), size)]
        assert b"".join(decode(pieces, "deflate")) == text, size
    for standard in (zlib.compress(text), zlib.compress(text)[2:-4]):
        assert b"".join(decode([standard[:9], standard[9:]], "deflate")) == text
    wrong_checksum = zlib.compress(text)[:-1] + b"\x00"
    with pytest.raises(UndecodableBody):
        b"".join(decode([wrong_checksum], "deflate"))


@pytest.mark.parametrize("content_encoding", [
    "gzip, identity", "gzip,", "gzip, , br", "identity, gzip", "gzip, br", "GZIP", "x-gzip",
    "gzip, compress", "identity", ""])
def test_a_list_with_identity_or_an_empty_member_is_read_as_the_crawl_read_it(
        content_encoding: str) -> None:
    """Scrapy's HttpCompressionMiddleware undoes a list's codings from the last back to the
    first it does not know, and `identity` or an empty member (`gzip,`) is one it does not
    know: it leaves `gzip, identity` and `gzip,` compressed, as Chromium does (it shows such a
    page as its compressed bytes). Before 2026-12-06 the captures' decoder dropped `identity`
    and the empty member and inflated the gzip, so a page re-read from its capture was not
    the page the crawl had read."""
    from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
    from scrapy.http import Request
    from scrapy.responsetypes import responsetypes
    from scrapy.utils.test import get_crawler

    from archive.content_coding import decode, fully_decoded

    page = b"<html><body><p>" + b"A post. " * 500 + b"</p></body></html>"
    body = page
    for coding in content_encoding.lower().split(","):  # each coding the value names, applied
        if coding.strip() in ("gzip", "x-gzip", "br"):
            body = brotli.compress(body) if coding.strip() == "br" else gzip.compress(body)
    url = "https://ann.wixsite.com/blog/post/p1"
    crawler = get_crawler()
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    headers = {"Content-Type": "text/html", "Content-Encoding": content_encoding}
    response = responsetypes.from_args(headers=headers, url=url, body=body)(
        url, body=body, headers=headers)  # as Scrapy's downloader makes it
    crawled = middleware.process_response(Request(url), response).body
    assert b"".join(decode([body], content_encoding)) == crawled
    if fully_decoded(content_encoding):  # the media route and robots.txt decode it whole
        assert crawled == page
