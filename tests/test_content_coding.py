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

from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Response

ENCODED: list[tuple[str, Callable[[bytes], bytes]]] = [  # Content-Encoding, encoder
    ("gzip, br", lambda body: brotli.compress(gzip.compress(body))),  # br applied last
    ("gzip", lambda body: b"".join(gzip.compress(body[i:i + 4000])  # members of 4000 bytes
                                   for i in range(0, len(body), 4000))),
    ("deflate", lambda body: zlib.compress(body)[2:-4]),  # raw, as servers often send it
]


def test_reextract_reads_each_compressed_page_as_the_crawl_did(tmp_path: Path) -> None:
    """Before 2026-12-06 re-extraction read a `gzip, br` page as its compressed bytes and only
    the first member of a multi-member gzip page: both came out changed (a new, wrong
    version each) though the crawl had extracted them whole."""
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
    assert json.loads(crawl.stdout)["counts"]["new"] == 4, crawl.stdout
    again = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--db", str(db),
                            "--json"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"posts": 4, "changed": 0, "failed": 0,
                                        "without_capture": 0}, again.stderr
