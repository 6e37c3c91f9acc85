"""Byte ranges on the media route (`/<db>/-/media/<digest>`), as a browser's player asks for
them to seek in a long video: real HTTP requests to `wixarchive serve` on loopback, over an
archive made by `wixarchive import` of a web archive of a sample post linking a video of a few
megabytes (many pieces of those the route reads at a time)."""

from __future__ import annotations

import gzip
import http.client
import os
import random
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_web_serve import STARTUP_TIMEOUT, running_server
from webarchives import table, wixarchive, write_warc

from archive import captures
from archive.store import Archive
from archive.web.preconditions import none_match
from archive.web.ranges import requested_range
from crawler.sample_site import SampleBlog, serve_blog

pytest.importorskip("datasette")

VIDEO_BYTES = 3 * 2**20 + 12345  # many pieces (captures.STREAM_PIECE), the last partial
LARGE_VIDEO_BYTES = 48 * 2**20


def video_archive(folder: Path, size: int, *, imports: int = 1) -> tuple[Path, bytes, str]:
    """An archive (folder/archive.db) of a sample post and its video, `size` random bytes
    (which gzip cannot shrink), imported `imports` times (again: a revisit record); the video
    and its path on the server."""
    blog = SampleBlog(seed=5, post_count=2, attachments=True)
    post = blog.posts[0]
    assert post.videos
    video = random.Random(size).randbytes(size)
    with serve_blog(blog) as server, urllib.request.urlopen(server.url + post.url_path) as page:
        records = [(server.url + post.url_path, page.read(), "text/html; charset=utf-8"),
                   (post.videos[0], video, "video/mp4")]
    db = folder / "archive.db"
    for n in range(imports):  # each a web archive of its own, as from a crawl of its own
        write_warc(folder / f"post{n}.warc.gz", records)
        # A video over the import's default 25 MB cap is kept as a crawl with a larger
        # --max-media-mb keeps it.
        result = wixarchive("import", str(folder / f"post{n}.warc.gz"), "--db", str(db),
                            "--max-media-mb", "64")
        assert result.returncode == 0, result.stderr
    (digest,) = table(db, "SELECT payload_digest FROM media WHERE status = 'stored'")[0]
    return db, video, "/archive/-/media/" + digest.split(":", 1)[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, bytes, str]]:
    db, video, path = video_archive(tmp_path_factory.mktemp("ranges"), VIDEO_BYTES)
    with running_server(db) as (_, base):
        yield base, video, path


def fetch(base: str, path: str, method: str = "GET",
          **headers: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one request."""
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=STARTUP_TIMEOUT)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_a_range_is_answered_with_206_and_exactly_its_bytes(served) -> None:
    base, video, path = served
    size = len(video)
    status, headers, body = fetch(base, path)
    assert status == 200 and body == video
    assert headers["accept-ranges"] == "bytes" and headers["content-length"] == str(size)
    assert headers["content-type"] == "video/mp4" and headers["etag"].startswith('"')
    piece = captures.STREAM_PIECE
    for asked, first, last in [
            ("bytes=100-199", 100, 199),
            (f"bytes={piece - 10}-{2 * piece + 10}", piece - 10, 2 * piece + 10),  # 3 pieces
            (f"bytes={size - 10}-", size - 10, size - 1),
            ("bytes=-500", size - 500, size - 1),
            ("bytes=0-", 0, size - 1),  # what a player asks first
            (f"bytes=5-{size * 2}", 5, size - 1),  # past the end: up to the end
            (f"bytes=-{size + 1}", 0, size - 1)]:
        status, headers, body = fetch(base, path, Range=asked)
        assert status == 206, asked
        assert headers["content-range"] == f"bytes {first}-{last}/{size}", asked
        assert headers["content-length"] == str(last - first + 1), asked
        assert body == video[first:last + 1], asked
        assert headers["accept-ranges"] == "bytes" and headers["content-type"] == "video/mp4"


def test_a_range_past_the_end_is_416_and_others_get_the_whole_file(served) -> None:
    base, video, path = served
    size = len(video)
    for asked in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0"):
        status, headers, _ = fetch(base, path, Range=asked)
        assert status == 416, asked
        assert headers["content-range"] == f"bytes */{size}", asked
        assert headers["accept-ranges"] == "bytes"
    # Several ranges, or a malformed one, or another unit: the whole file (RFC 9110 allows it).
    for asked in ("bytes=0-1,5-6", "bytes=9-2", "bytes=x-", "bytes=-", "bytes=1-2-3",
                  "items=0-1", "bytes=¹-2", "0-1"):
        status, headers, body = fetch(base, path, Range=asked)
        assert (status, len(body)) == (200, size), asked
        assert "content-range" not in headers and headers["content-length"] == str(size)


def test_an_empty_file_is_sent_whole_whatever_the_range() -> None:
    # No range of 0 bytes can be written in a Content-Range: the RFC lets the field be ignored.
    for asked in ("bytes=0-", "bytes=-5", "bytes=3-4"):
        assert requested_range(asked, None, '"X"', 0) is None


def test_if_range_with_the_etag_gets_the_range_anything_else_the_whole(served) -> None:
    base, video, path = served
    etag = fetch(base, path, "HEAD")[1]["etag"]
    status, _, body = fetch(base, path, Range="bytes=10-19", If_Range=etag)
    assert (status, body) == (206, video[10:20])
    for other in ('"ABC"', f"W/{etag}", "Wed, 21 Oct 2015 07:28:00 GMT"):
        status, _, body = fetch(base, path, Range="bytes=10-19", If_Range=other)
        assert (status, len(body)) == (200, len(video)), other


def test_head_answers_as_a_get_without_the_body(served) -> None:
    base, video, path = served
    for headers in ({}, {"Range": "bytes=0-9"}):  # Range is for GET only (RFC 9110)
        status, answer, body = fetch(base, path, "HEAD", **headers)
        assert (status, body) == (200, b"")
        assert answer["content-length"] == str(len(video))
        assert answer["accept-ranges"] == "bytes" and answer["content-type"] == "video/mp4"


def test_a_matching_if_none_match_is_answered_304_without_the_body(served) -> None:
    base, video, path = served
    _, whole, _ = fetch(base, path)
    etag = whole["etag"]
    assert whole["cache-control"] == "public, max-age=31536000, immutable"
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=STARTUP_TIMEOUT)
    try:
        for method in ("GET", "HEAD"):
            for tags in (etag, f"W/{etag}", f'"ABC", {etag}', f'W/"X,Y" , ,W/{etag}', "*"):
                for extra in ({}, {"Range": "bytes=0-9"}, {"Range": f"bytes={len(video)}-"}):
                    # One connection throughout: a 304 sends no body bytes to misread.
                    conn.request(method, path, headers={"If-None-Match": tags, **extra})
                    answer = conn.getresponse()
                    assert (answer.status, answer.read()) == (304, b""), (method, tags, extra)
                    headers = {k.lower(): v for k, v in answer.getheaders()}
                    assert "content-length" not in headers and "content-range" not in headers
                    # A cache updates its stored headers from a 304's: they are the 200's.
                    for name in ("etag", "cache-control", "content-security-policy",
                                 "content-type", "x-content-type-options"):
                        assert headers[name] == whole[name], name
        conn.request("GET", path, headers={"If-None-Match": '"ABC"'})
        answer = conn.getresponse()
        assert (answer.status, answer.read()) == (200, video)
    finally:
        conn.close()


def test_if_none_match_naming_other_tags_gets_the_normal_answer(served) -> None:
    base, video, path = served
    etag = fetch(base, path, "HEAD")[1]["etag"]
    for tags in ('"ABC"', 'W/"ABC", "DEF"', etag.strip('"'), f'"{etag}"', "", "**"):
        assert fetch(base, path, If_None_Match=tags)[::2] == (200, video), tags
        status, _, body = fetch(base, path, If_None_Match=tags, Range="bytes=10-19")
        assert (status, body) == (206, video[10:20]), tags
        assert fetch(base, path, "HEAD", If_None_Match=tags)[0] == 200, tags
    # Not a file the route serves: 404, whatever the condition (a 304 would claim one).
    missing = path.rsplit("/", 1)[0] + "/" + "A" * 32
    assert fetch(base, missing, If_None_Match="*")[0] == 404
    assert fetch(base, missing, If_None_Match=f'"{"A" * 32}"')[0] == 404


def test_if_none_match_over_several_field_lines_is_one_list(served) -> None:
    base, _, path = served
    etag = fetch(base, path, "HEAD")[1]["etag"]
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port),
                                  timeout=STARTUP_TIMEOUT) as conn:
        conn.sendall(f'GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n'
                     f'If-None-Match: {etag}\r\nIf-None-Match: "ABC"\r\n'
                     "Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(2**16):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 304 ") and answer.endswith(b"\r\n\r\n")
    assert none_match(['"ABC"', etag], etag) and not none_match(['"ABC"', '"DEF"'], etag)


def recapture(db: Path, url: str, body: bytes, headers: list[tuple[str, str]], *,
              revisit: bool) -> str:
    """Capture `url` again as a re-crawl does (a revisit record when its payload is archived
    already), its media row now naming this capture; its path on the server."""
    writer = captures.CaptureWriter(captures.captures_dir(db))
    with Archive.open(db) as archive, archive.conn:
        digest = captures.payload_digest(body)
        earlier = captures.earlier_response(archive.conn, digest) if revisit else None
        assert (earlier is not None) == revisit
        row = writer.write(captures.Exchange(url, "GET", [], 200, headers, body,
                                             captures.new_record_id()), earlier)
        writer.close()
        captures.index_rows(archive.conn, [row])
        captures.record_media(archive.conn, url, "stored", row.fetched_at, "video/mp4",
                              len(body), digest, row.record_id, None)
    return "/archive/-/media/" + digest.split(":", 1)[1]


def test_a_revisit_and_a_compressed_capture_serve_ranges_too(tmp_path: Path) -> None:
    db, video, path = video_archive(tmp_path, VIDEO_BYTES)
    (url,) = table(db, "SELECT url FROM media WHERE status = 'stored'")[0]
    assert recapture(db, url, video, [("Content-Type", "video/mp4")], revisit=True) == path
    assert table(db, "SELECT c.kind FROM media m JOIN captures c ON c.record_id = m.capture "
                     "WHERE m.status = 'stored'") == [("revisit",)]
    # A server that sent the file gzipped (Content-Encoding): served decoded.
    other = "https://video.wixstatic.com/video/gzipped/480p/mp4/file.mp4"
    compressed = recapture(db, other, gzip.compress(video[:50000]),
                           [("Content-Type", "video/mp4"), ("Content-Encoding", "gzip")],
                           revisit=False)
    with running_server(db) as (_, base):
        status, headers, body = fetch(base, path, Range="bytes=2000000-")
        assert (status, body) == (206, video[2000000:])
        assert headers["content-range"] == f"bytes 2000000-{len(video) - 1}/{len(video)}"
        status, headers, body = fetch(base, compressed, Range="bytes=-100")
        assert (status, body) == (206, video[49900:50000])
        assert headers["content-range"] == "bytes 49900-49999/50000"


def peak_memory(pid: int) -> int:
    """The process's peak resident memory, in bytes (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def cpu_seconds(pid: int) -> float:
    """The CPU time the process has used (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_cpu_seconds(pid: int) -> float:
    """cpu_seconds once the process has been idle for half a second (at most 20 s)."""
    deadline = time.monotonic() + 20
    used = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now == used:
            break
        used = now
    return used


def drop_after_first_bytes(base: str, path: str) -> None:
    """Ask for the whole file and go away once its first bytes come, as a player seeking
    elsewhere does."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port),
                                  timeout=STARTUP_TIMEOUT) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n".encode())
        assert conn.recv(2**16).startswith(b"HTTP/1.1 200")


def test_a_long_video_is_served_without_holding_it_in_memory(tmp_path: Path) -> None:
    db, video, path = video_archive(tmp_path, LARGE_VIDEO_BYTES)
    size = len(video)
    with running_server(db) as (proc, base):
        assert fetch(base, "/archive/-/post/1")[0] == 200  # it checks the whole capture reads
        before = peak_memory(proc.pid)
        used = cpu_seconds(proc.pid)
        whole = fetch(base, path)
        one_read = cpu_seconds(proc.pid) - used
        seek = fetch(base, path, Range=f"bytes={size - 1000}-")
        grown = peak_memory(proc.pid) - before
        # Answers the client left are not read on to their end.
        used = cpu_seconds(proc.pid)
        for _ in range(20):
            drop_after_first_bytes(base, path)
        dropped = settled_cpu_seconds(proc.pid) - used
    assert grown < size // 4, f"the server grew by {grown} bytes for a {size}-byte video"
    assert whole[0] == 200 and whole[2] == video
    assert (seek[0], seek[2]) == (206, video[-1000:])
    assert dropped < 3 * one_read + 0.1, (dropped, one_read)


def test_head_gives_the_length_a_get_sends_or_none(served) -> None:
    """A HEAD answer's Content-Length is the GET's body length, or absent: Datasette's own
    pages (rewritten by archive.web.page_structure) said 0 before 2026-12-06."""
    base, video, path = served
    for page in ("/", "/archive", "/archive/posts", "/archive/-/post/1",
                 "/archive/-/search?q=the", "/-/versions", path):
        status, headers, _ = fetch(base, page, "HEAD")
        got, _, body = fetch(base, page)
        assert status == got == 200, page
        assert headers.get("content-length") in (None, str(len(body))), (page, headers)
    assert fetch(base, path, "HEAD")[1]["content-length"] == str(len(video))


def test_a_compressed_capture_is_served_without_holding_it_decoded(tmp_path: Path) -> None:
    """A video the site sent gzipped or brotli-compressed (Content-Encoding) is decoded as it
    is sent, never held whole (before 2026-12-06 a request cost its whole decoded size in
    memory); HEAD and ranges give its decoded length and bytes."""
    import brotli

    db, _, _ = video_archive(tmp_path, 2**16)
    size = LARGE_VIDEO_BYTES
    video = random.Random(1).randbytes(2**20) + bytes(size - 2**20)  # compresses to ~1 MB
    paths = {encoding: recapture(db, f"https://video.wixstatic.com/video/{encoding}/file.mp4",
                                 compress(video), [("Content-Type", "video/mp4"),
                                                   ("Content-Encoding", encoding)],
                                 revisit=False)
             for encoding, compress in (("gzip", gzip.compress), ("br", brotli.compress))}
    with running_server(db) as (proc, base):
        assert fetch(base, "/archive/-/post/1")[0] == 200
        before = peak_memory(proc.pid)
        for encoding, path in paths.items():
            status, headers, _ = fetch(base, path, "HEAD")
            assert (status, headers["content-length"]) == (200, str(size)), encoding
            status, headers, body = fetch(base, path)
            assert (status, headers["content-length"], body == video) == (200, str(size), True)
            del body
            status, _, body = fetch(base, path, Range="bytes=1048000-1049000")
            assert (status, body) == (206, video[1048000:1049001]), encoding
        grown = peak_memory(proc.pid) - before
    # Decoded whole, one request grows it by the video's size at least; decoded as sent, by
    # the decoders' windows (br's 4 MB) in a few threads' memory arenas.
    assert grown < size // 2, f"the server grew by {grown} bytes for a {size}-byte video"
