"""`wixarchive import` of files sent by someone hostile: a small file whose post page inflates
far past the crawl's 16 MiB page cap (a gzip member, a WACZ's deflated WARC, a Content-Encoding)
skips that page, names it, imports the rest, and never holds the inflated page in memory."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO

import pytest

from crawler.sample_site import SampleBlog, serve_blog

BOMB = 256 * 2**20  # a page 16 times the cap: holding it would show in the peak memory
PIECE = 2**20
MAX_RSS_MB = 200  # importing one small post peaks near 100 MB; holding the bomb, over 500


def _pieces(size: int) -> Iterator[bytes]:
    """An HTML page of `size` bytes, made piece by piece (never held whole, here either)."""
    yield b"<html><body>"
    left = size - 12
    while left > 0:
        yield b" " * min(PIECE, left)
        left -= PIECE


def write_record(out: IO[bytes], url: str, length: int, body: Iterable[bytes],
                 headers: tuple[tuple[str, str], ...] = (("Content-Type", "text/html"),)) -> None:
    """A WARC response record, its payload (`length` bytes) written piece by piece."""
    http = ("HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) +
            f"Content-Length: {length}\r\n\r\n").encode()
    out.write((f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>"
               f"\r\nWARC-Date: 2024-05-01T08:00:00Z\r\nWARC-Target-URI: {url}\r\n"
               f"Content-Type: application/http; msgtype=response\r\n"
               f"Content-Length: {len(http) + length}\r\n\r\n").encode() + http)
    for piece in body:
        out.write(piece)
    out.write(b"\r\n\r\n")


def write_bombs(out_for: Callable[[], AbstractContextManager[IO[bytes]]], base: str,
                page: bytes) -> None:
    """A post page of BOMB bytes, one whose gzip Content-Encoding inflates to BOMB bytes, and
    a good post; `out_for()` gives the stream each record is written to."""
    with out_for() as out:
        write_record(out, f"{base}/post/bomb", BOMB, _pieces(BOMB))
    deflater = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    encoded = b"".join(deflater.compress(piece) for piece in _pieces(BOMB)) + deflater.flush()
    with out_for() as out:
        write_record(out, f"{base}/post/encoded-bomb", len(encoded), [encoded],
                     (("Content-Type", "text/html"), ("Content-Encoding", "gzip")))
    with out_for() as out:
        write_record(out, f"{base}/post/good", len(page), [page])


# Starts the command and writes its peak RSS (KiB) to argv[1]: measured from this small
# process, since Linux counts in a child's peak the memory of the process it was started
# from (a test run's, hundreds of MB).
MEASURE = ("import os, subprocess, sys\n"
           "process = subprocess.Popen(sys.argv[2:])\n"
           "_, status, usage = os.wait4(process.pid, 0)\n"
           "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
           "sys.exit(os.waitstatus_to_exitcode(status))\n")


def import_measured(path: Path, db: Path) -> tuple[int, str, dict, float]:
    """Run `wixarchive import`: its exit status, stderr, JSON summary and peak RSS in MB."""
    peak = db.with_suffix(".peak")
    result = subprocess.run([sys.executable, "-c", MEASURE, str(peak), sys.executable, "-m",
                             "archive.cli", "import", str(path), "--db", str(db), "--json"],
                            capture_output=True, text=True, timeout=600)
    return (result.returncode, result.stderr, json.loads(result.stdout or "{}"),
            int(peak.read_text()) / 1024)


@pytest.fixture(scope="module")
def post() -> tuple[str, bytes]:
    """A real post page of the sample blog, and its site's base URL."""
    blog = SampleBlog(seed=6, post_count=2)
    with serve_blog(blog) as server:
        return server.url, server.respond(blog.posts[0].url_path).body


def check(path: Path, base: str) -> None:
    code, stderr, summary, peak_mb = import_measured(path, path.with_name("archive.db"))
    assert code == 1, stderr  # as for any record that cannot be imported
    assert "Traceback" not in stderr
    for slug in ("bomb", "encoded-bomb"):
        assert f"{base}/post/{slug} skipped: page over 16 MiB" in stderr, stderr
    assert summary["sites"][f"{base}/"]["new_posts"] == 1  # the good post, imported
    assert peak_mb < MAX_RSS_MB, peak_mb


def test_a_warc_gz_bomb_is_skipped_named_and_never_held(post: tuple[str, bytes],
                                                        tmp_path: Path) -> None:
    base, page = post
    path = tmp_path / "bomb.warc.gz"
    with path.open("wb") as handle:  # one gzip member per record, as WARC tools write them
        write_bombs(lambda: gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=9),
                    base, page)
    assert path.stat().st_size < 2 * 2**20
    check(path, base)


def test_a_wacz_whose_deflated_warc_inflates_past_the_cap(post: tuple[str, bytes],
                                                         tmp_path: Path) -> None:
    base, page = post
    path = tmp_path / "bomb.wacz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        with package.open("archive/data.warc", "w") as warc:
            class Member:  # each record into the one deflated WARC
                def __enter__(self) -> IO[bytes]:
                    return warc

                def __exit__(self, *exc: object) -> None:
                    pass

            write_bombs(Member, base, page)
        package.writestr("datapackage.json", json.dumps({"profile": "data-package",
                                                         "resources": []}))
    assert path.stat().st_size < 2 * 2**20
    check(path, base)


def test_br_and_deflate_encoded_bombs_are_skipped_named_and_never_held(
        post: tuple[str, bytes], tmp_path: Path) -> None:
    """A page whose `Content-Encoding: br` or raw `deflate` (as servers often send it)
    inflates past the page cap is skipped and named; the good post is imported."""
    import brotli

    base, page = post
    compressor = brotli.Compressor(quality=5)
    br = b"".join(compressor.process(piece) for piece in _pieces(BOMB)) + compressor.finish()
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflate = b"".join(deflater.compress(piece) for piece in _pieces(BOMB)) + deflater.flush()
    path = tmp_path / "bomb.warc"
    with path.open("wb") as out:
        for slug, encoding, body in (("br-bomb", "br", br), ("deflate-bomb", "deflate", deflate)):
            write_record(out, f"{base}/post/{slug}", len(body), [body],
                         (("Content-Type", "text/html"), ("Content-Encoding", encoding)))
        write_record(out, f"{base}/post/good", len(page), [page])
    code, stderr, summary, peak_mb = import_measured(path, tmp_path / "archive.db")
    assert code == 1, stderr
    assert "Traceback" not in stderr
    for slug in ("br-bomb", "deflate-bomb"):
        assert f"{base}/post/{slug} skipped: page over 16 MiB" in stderr, stderr
    assert summary["sites"][f"{base}/"]["new_posts"] == 1
    assert peak_mb < MAX_RSS_MB, peak_mb
