"""Raw captures end to end: real Scrapy crawls of the sample blog over 127.0.0.1 write WARC
files beside the archive; warcio reads them back; `reextract` works from them with the site gone;
SIGKILL mid-crawl leaves a consistent index."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import captures
from archive.reextract import reextract
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Gate
from tests.processes import wait_until
from tests.pywb import MISSING, pywb_bin, wayback

FAST = ["--delay", "0", "--no-autothrottle"]


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=300)


def warc_records(directory: Path) -> list:
    """Every record of every capture file, read with warcio as any WARC tool would."""
    records = []
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                body = record.raw_stream.read() if record.rec_type == "response" else b""
                records.append((path.name, record.rec_type, record.rec_headers, body))
    return records


def test_crawl_captures_every_exchange_as_served_and_reextracts_offline(tmp_path: Path):
    blog = SampleBlog(seed=5, post_count=20)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        result = wixarchive("crawl", server.url, "--db", str(db), "--json", *FAST)
        assert result.returncode == 0, result.stderr
        # What the server serves, fetched again now (pages render deterministically).
        served = {}
        for path in ["/robots.txt", "/sitemap.xml", "/blog-posts-sitemap.xml", "/blog-feed.xml",
                     *(p.url_path for p in blog.posts)]:
            with urllib.request.urlopen(server.url + path) as response:
                served[server.url + path] = response.read()

    directory = captures.captures_dir(db)
    assert directory == tmp_path / "archive.captures"
    records = warc_records(directory)
    responses = {h.get_header("WARC-Target-URI"): body
                 for _, kind, h, body in records if kind == "response"}
    for url, body in served.items():
        assert responses.get(url) == body, url  # byte for byte what the site served
    for _, kind, headers, body in records:
        assert headers.protocol == "WARC/1.1"
        if kind == "response":
            assert headers.get_header("WARC-Payload-Digest") == captures.payload_digest(body)
    request_of = {h.get_header("WARC-Concurrent-To") for _, kind, h, _ in records
                  if kind == "request"}
    assert {h.get_header("WARC-Record-ID") for _, kind, h, _ in records
            if kind in ("response", "revisit")} <= request_of

    with Archive.open(db, readonly=True) as archive:
        conn = archive.conn
        # The index points at each record exactly: read it back by file, offset and length.
        rows = conn.execute("SELECT c.record_id, c.url, c.status, c.content_type, f.name, "
                            "c.offset, c.length FROM captures c JOIN capture_files f "
                            "ON f.id = c.file_id").fetchall()
        assert len(rows) == sum(kind in ("response", "revisit") for _, kind, _, _ in records)
        for record_id, url, status, content_type, name, offset, length in rows:
            record = captures.parse_record(captures.read_at(directory, name, offset, length))
            assert record.rec_headers.get_header("WARC-Record-ID") == record_id
            assert record.rec_headers.get_header("WARC-Target-URI") == url
            assert status == 200 and content_type
        # Every post version names the capture of its own page.
        for post in blog.posts:
            url = server.url + post.url_path
            (version,) = conn.execute(
                "SELECT v.capture, v.source FROM post_versions v JOIN posts p "
                "ON p.id = v.post_id WHERE p.url = ?", (url,)).fetchall()
            assert version[1] == "crawl"
            payload = captures.read_payload(conn, directory, version[0])
            assert payload.url == url and payload.body == served[url]

    result = wixarchive("check", "--db", str(db))
    assert result.returncode == 0 and "captures verified" in result.stdout, result.stderr
    text = wixarchive("stats", "--db", str(db)).stdout
    summary = json.loads(wixarchive("stats", "--db", str(db), "--json").stdout)["captures"]
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT count(*) FROM media WHERE status = 'stored'").fetchone()[0]
    kinds = [kind for _, kind, _, _ in records if kind in ("response", "revisit")]
    assert summary == {
        "directory": "archive.captures", "files": len(list(directory.glob("*.warc.gz"))),
        "bytes": sum(path.stat().st_size for path in directory.glob("*.warc.gz")),
        "records": len(kinds), "responses": kinds.count("response"),
        "revisits": kinds.count("revisit"), "media_stored": stored, "missing_files": 0,
        "missing_records": 0, "unreadable": None}
    revisits = f"{summary['revisits']:,} revisit" + ("" if summary["revisits"] == 1 else "s")
    files = f"{summary['files']} WARC file" + ("" if summary["files"] == 1 else "s")
    assert f"Captures: {summary['responses']:,} responses and {revisits} in {files}" in text

    # The extractor "improved": two posts hold an older clean result. The site is gone now.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older', body = 'older text' "
                     "WHERE id IN (3, 7)")
    result = wixarchive("reextract", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"posts": 20, "changed": 2, "refreshed": 0, "failed": 0,
                                         "without_capture": 0}
    with Archive.open(db, readonly=True) as archive:
        post = archive.post(3)
        assert post["version"] == 2 and post["body"] != "older text"
        expected = blog.post(post["url"].rsplit("/", 1)[1]).expected()
        assert post["body"] == expected["body_text"]
        sources = archive.conn.execute(
            "SELECT post_id, source FROM post_versions WHERE version = 2").fetchall()
        assert sorted(map(tuple, sources)) == [(3, "reextract"), (7, "reextract")]
    # Nothing changed since: a second run stores nothing.
    result = wixarchive("reextract", "--db", str(db), "--json")
    assert json.loads(result.stdout)["changed"] == 0


def test_reextract_opens_no_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blog = SampleBlog(seed=8, post_count=6)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("reextract opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")
    with Archive.open(db) as archive:
        result = reextract(archive)
    assert (result.posts, result.changed, result.failed) == (6, 6, 0)


def test_missing_and_truncated_capture_files_name_posts_and_the_rest_works(tmp_path: Path):
    blog = SampleBlog(seed=9, post_count=8)
    db = tmp_path / "archive.db"
    overrides = ["--set", "WIXARCHIVE_CAPTURE_ROTATE_BYTES=20000"]  # a file every few posts
    with serve_blog(blog) as server:
        result = subprocess.run([sys.executable, "-m", "crawler.run", server.url, "--db",
                                 str(db), "--set", "DOWNLOAD_DELAY=0", "--set",
                                 "AUTOTHROTTLE_ENABLED=false", *overrides],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
    directory = captures.captures_dir(db)
    with Archive.open(db, readonly=True) as archive:
        by_file = {}
        for name, url in archive.conn.execute(
                "SELECT f.name, p.url FROM posts p JOIN post_versions v ON v.post_id = p.id "
                "JOIN captures c ON c.record_id = v.capture "
                "JOIN capture_files f ON f.id = c.file_id"):
            by_file.setdefault(name, []).append(url)
    assert len(by_file) >= 3, "rotation should spread the posts over several files"
    deleted, truncated = sorted(by_file)[:2]
    (directory / deleted).unlink()
    with (directory / truncated).open("r+b") as handle:
        handle.truncate(handle.seek(0, os.SEEK_END) // 2)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")

    result = wixarchive("reextract", "--db", str(db), "--json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    counts = json.loads(result.stdout)
    assert counts["posts"] == 8
    assert counts["failed"] >= len(by_file[deleted]) + 1
    assert counts["changed"] == 8 - counts["failed"]
    for url in by_file[deleted]:
        assert f"{url}: capture file {directory / deleted} is missing" in result.stderr
    assert f"capture file {directory / truncated} is truncated" in result.stderr

    result = wixarchive("check", "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"captures: {directory / deleted} is missing" in result.stderr
    assert f"captures: {directory / truncated} is truncated" in result.stderr


def test_no_capture_writes_no_warc(tmp_path: Path):
    blog = SampleBlog(seed=4, post_count=5)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        result = wixarchive("crawl", server.url, "--db", str(db), "--no-capture", *FAST)
        assert result.returncode == 0, result.stderr
    assert not captures.captures_dir(db).exists()
    with Archive.open(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    result = wixarchive("reextract", "--db", str(db), "--json")
    assert json.loads(result.stdout) == {"posts": 0, "changed": 0, "refreshed": 0, "failed": 0,
                                         "without_capture": 5}


def _bytes(directory: Path) -> int:
    """Bytes of every file in the captures folder (the index is not trusted here)."""
    return sum(p.stat().st_size for p in directory.iterdir())


def test_recrawl_stores_no_second_copy_of_a_payload(tmp_path: Path):
    blog = SampleBlog(seed=6, post_count=30)
    db = tmp_path / "archive.db"
    directory = captures.captures_dir(db)
    with serve_blog(blog) as server:
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0
        first = _bytes(directory)
        blog.edit_post(blog.posts[4].slug, paragraphs=["One paragraph rewritten."])
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0
        added = _bytes(directory) - first
    assert added < first * 0.1, (added, first)
    digests: dict[str, int] = {}
    for _, kind, _, body in warc_records(directory):
        if kind == "response" and body:
            digest = hashlib.sha1(body).hexdigest()
            digests[digest] = digests.get(digest, 0) + 1
    assert max(digests.values()) == 1  # a repeated payload is a revisit record, never a copy
    with Archive.open(db, readonly=True) as archive:
        kinds = dict(archive.conn.execute("SELECT kind, count(*) FROM captures GROUP BY kind"))
    assert kinds.get("revisit", 0) >= 1


def _run_crawler(url: str, db: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
               "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false",
               "--set", "LOG_LEVEL=CRITICAL"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def test_sigkill_mid_capture_leaves_a_consistent_index(tmp_path: Path):
    blog = SampleBlog(seed=11, post_count=300)
    db = tmp_path / "archive.db"
    directory = captures.captures_dir(db)
    with serve_blog(blog) as server:
        # Posts after the 100th are held: the crawl is mid-way when killed, however loaded
        # the machine (the worker may still be writing captures of the 100).
        gate = server.gate = Gate("/post/", allow=100)
        crawler = _run_crawler(server.url, db)
        wait_until(lambda: gate.held, "post 101 requested", crawler)
        os.killpg(crawler.pid, signal.SIGKILL)  # the crawler and its archive worker
        crawler.wait()
        server.gate = None  # the next crawl is answered at once
        gate.release()
        (open_file,) = [p for p in directory.iterdir()]
        written = open_file.stat().st_size
        # A kill can land inside a record's write: leave half a record at the end, as it would.
        record = captures.build_records(captures.Exchange(
            "http://example.invalid/x", "GET", [], 200, [], b"x" * 5000,
            captures.new_record_id()))[0]
        with open_file.open("ab") as handle:
            handle.write(record[: len(record) // 2])

        with Archive.open(db) as archive:
            recovered = captures.recover(archive.conn, directory)
            assert recovered.cut == [(open_file.name, written, len(record) // 2)]
            assert open_file.stat().st_size == written
            _assert_consistent(archive, directory)

        # The next crawl completes the archive; everything it indexes reads back. (The job
        # folder is dropped: resuming from it after a kill is issue #14's, not this test's.)
        shutil.rmtree(f"{db}.jobs", ignore_errors=True)
        result = wixarchive("crawl", server.url, "--db", str(db), "--json", *FAST)
        assert result.returncode == 0, result.stderr
    with Archive.open(db) as archive:
        assert archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 300
        _assert_consistent(archive, directory)
        missing = archive.conn.execute("SELECT count(*) FROM post_versions "
                                       "WHERE capture IS NULL").fetchone()[0]
        assert missing == 0


def _assert_consistent(archive: Archive, directory: Path) -> None:
    """Every indexed record reads back whole, every post version's capture is indexed, no file
    has a torn tail, and warcio reads every file to its end."""
    conn = archive.conn
    for name, offset, length, record_id in conn.execute(
            "SELECT f.name, c.offset, c.length, c.record_id FROM captures c "
            "JOIN capture_files f ON f.id = c.file_id"):
        record = captures.parse_record(captures.read_at(directory, name, offset, length))
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
    dangling = conn.execute("SELECT count(*) FROM post_versions v WHERE v.capture IS NOT NULL "
                            "AND NOT EXISTS (SELECT 1 FROM captures c "
                            "WHERE c.record_id = v.capture)").fetchone()[0]
    assert dangling == 0
    for path in directory.iterdir():
        assert all(m.data is not None for m in captures.members(path))
        with path.open("rb") as handle:
            assert sum(1 for _ in ArchiveIterator(handle)) > 0
    assert conn.execute("SELECT count(*) FROM capture_files WHERE closed_at IS NULL").fetchone()[
        0] == 0


def test_reextract_resumes_where_a_stopped_run_left_off(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    blog = SampleBlog(seed=12, post_count=12)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")
    monkeypatch.setattr("archive.reextract.BATCH", 5)

    def stop_after_first_batch(done: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C right after the first batch was committed

    with Archive.open(db) as archive, pytest.raises(KeyboardInterrupt):
        reextract(archive, progress=stop_after_first_batch)
    with Archive.open(db) as archive:
        assert archive.conn.execute(
            "SELECT count(*) FROM post_versions WHERE source = 'reextract'").fetchone()[0] == 5
        result = reextract(archive)
        assert result.resumed and (result.posts, result.changed, result.failed) == (12, 12, 0)
        versions = archive.conn.execute(
            "SELECT post_id, count(*) FROM post_versions GROUP BY post_id").fetchall()
        assert {count for _, count in versions} == {2}  # each post re-extracted exactly once
        # Finished: the next run starts afresh and finds nothing to change.
        again = reextract(archive)
        assert not again.resumed and again.changed == 0


def test_a_304_is_captured_without_a_second_copy_of_the_page(tmp_path: Path):
    blog = SampleBlog(seed=14, post_count=10)
    db = tmp_path / "archive.db"
    directory = captures.captures_dir(db)
    with serve_blog(blog) as server:
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0
        first = _bytes(directory)
        # Without a lastmod to trust, every post is asked for conditionally: the site says 304.
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE posts SET lastmod = NULL")
        result = wixarchive("crawl", server.url, "--db", str(db), "--json", *FAST)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["counts"]["unchanged"] == 10
        added = _bytes(directory) - first
    with Archive.open(db, readonly=True) as archive:
        rows = archive.conn.execute(
            "SELECT c.kind, c.payload_length FROM captures c WHERE c.status = 304 "
            "AND c.url LIKE '%/post/%'").fetchall()
        assert len(rows) == 10 and all(length == 0 for _, length in rows)
        assert archive.conn.execute("SELECT count(*) FROM post_versions").fetchone()[0] == 10
    page_bytes = sum(len(body) for _name, kind, headers, body in warc_records(directory)
                     if kind == "response" and "/post/" in headers.get_header("WARC-Target-URI"))
    assert added < page_bytes * 0.1  # the 304s' headers, sitemaps' revisits: no page again


def test_reextract_in_worker_processes_names_a_damaged_record(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    """The pool path (one extraction process per core) gives the same counts as the serial
    one, and a record damaged inside its file is named by reextract and by check."""
    blog = SampleBlog(seed=15, post_count=30)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0
    directory = captures.captures_dir(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")
        url, name, offset, length = conn.execute(
            "SELECT p.url, f.name, c.offset, c.length FROM posts p JOIN post_versions v "
            "ON v.post_id = p.id JOIN captures c ON c.record_id = v.capture JOIN capture_files f "
            "ON f.id = c.file_id ORDER BY p.id LIMIT 1 OFFSET 7").fetchone()
    with (directory / name).open("r+b") as handle:
        handle.seek(offset + length // 2)
        handle.write(b"\x00" * 64)  # bytes gone bad inside the record's deflate stream

    monkeypatch.setattr("archive.reextract.POOL_MIN_POSTS", 1)
    with Archive.open(db) as archive:
        result = reextract(archive, workers=2)
    assert (result.posts, result.changed, result.failed) == (30, 29, 1)
    assert result.failures == [f"{url}: capture file {directory / name} is damaged at offset "
                               f"{offset}"]
    with Archive.open(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT count(*) FROM post_versions WHERE source = "
                                    "'reextract'").fetchone()[0] == 29
    checked = wixarchive("check", "--db", str(db))
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert f"captures: {directory / name}: record at {offset} ({url}) is damaged" \
        in checked.stderr


def test_response_record_is_warcio_write_record_byte_for_byte():
    """build_records writes a response record's body in one piece (captures.response_record)
    rather than through warcio's write_record: the record must be exactly what warcio writes,
    non-ASCII header values and hop-by-hop headers included, and its digests must check."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    body = bytes(range(256)) * 4000  # past warcio's 16 KB pieces
    # X-Title as Scrapy reads it (Latin-1), stored percent-encoded (captures.ascii_headers).
    exchange = captures.Exchange(
        "http://example.com/post/a?lang=fr", "GET", [("User-Agent", "test")], 200,
        [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked"),
         ("X-Title", "Caf\u00e9")], body, captures.new_record_id())
    response, _, row = captures.build_records(exchange)

    expected = io.BytesIO()
    writer = WARCWriter(expected, gzip=False, warc_version="1.1")
    writer.write_record(writer.create_warc_record(
        exchange.url, "response", payload=io.BytesIO(body), length=len(body),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                 ("X-Title", "Caf%E9")], protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Record-ID": exchange.record_id, "WARC-Date": row.fetched_at,
                           "WARC-Payload-Digest": captures.payload_digest(body)}))
    assert zlib.decompress(response, zlib.MAX_WBITS + 16) == expected.getvalue()
    payloads = [record.content_stream().read()
                for record in ArchiveIterator(io.BytesIO(response), check_digests="raise")]
    assert payloads == [body]


def test_check_notes_a_file_left_open_by_a_stopped_crawl_without_failing(tmp_path: Path):
    # After a SIGKILL the capture file is left open (closed_at NULL, no writer holding it); the
    # next crawl or reextract indexes and closes it, so a monitoring `check` must not alert.
    blog = SampleBlog(seed=21, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert wixarchive("crawl", server.url, "--db", str(db), *FAST).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE capture_files SET closed_at = NULL")
    result = wixarchive("check", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Note: captures: " in result.stderr and "was left open by a crawl" in result.stderr
    assert "Problem" not in result.stderr and result.stdout.startswith("OK: ")
    report = json.loads(wixarchive("check", "--db", str(db), "--json").stdout)
    assert report["ok"] and report["problems"] == [] and len(report["notes"]) == 1


def test_a_torn_tail_is_never_cut_off_a_file_a_writer_holds(tmp_path: Path):
    """Cutting a torn tail off a capture file (recovery; a crawl forgetting the lost records it
    captured again: archive.lost_captures) leaves a file a live writer holds (its exclusive
    flock) as it is; once the writer is gone, what follows its whole records is cut off."""
    from archive.lost_captures import _cut_torn_tail

    db = tmp_path / "archive.db"
    Archive.open(db).close()  # before its captures: a new archive refuses a folder holding some
    directory = captures.captures_dir(db)
    writer = captures.CaptureWriter(directory)
    rows = [writer.write(captures.Exchange(f"http://example.com/{n}", "GET", [], 200,
                                           [("Content-Type", "text/html")], b"page %d" % n,
                                           captures.new_record_id())) for n in (1, 2)]
    path = directory / rows[0].file
    whole = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(zlib.compress(b"a record cut short", wbits=zlib.MAX_WBITS + 16)[:12])
    torn = path.stat().st_size
    with Archive.open(db) as archive:
        with archive.conn:
            captures.index_rows(archive.conn, rows)
            captures.mark_file(archive.conn, rows[0].file, whole, closed=False)
        (file_id,) = archive.conn.execute("SELECT id FROM capture_files").fetchone()
        assert _cut_torn_tail(archive.conn, directory, file_id, torn) == torn
        assert captures.recover(archive.conn, directory).cut == []
        assert path.stat().st_size == torn
        writer.close()
        assert _cut_torn_tail(archive.conn, directory, file_id, torn) == whole
        assert path.stat().st_size == whole
        assert all(member.data is not None for member in captures.members(path))


def test_a_new_archive_refuses_a_deleted_archives_capture_files(tmp_path: Path):
    """orphan.db* deleted, orphan.captures/ left: the first crawl of a new orphan.db indexed the
    old files as its own (`Captures: … in 2 WARC files`) and its WACZ exports carried them. A
    new archive now refuses to start, creating nothing; importing the files is the way in."""
    db = tmp_path / "orphan.db"
    with serve_blog(SampleBlog(seed=4, post_count=3)) as server:
        crawl = ("crawl", server.url, "--db", str(db), "--delay", "0", "--no-autothrottle")
        assert wixarchive(*crawl).returncode == 0
        for leftover in tmp_path.glob("orphan.db*"):
            shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        folder = tmp_path / "orphan.captures"
        files = sorted(folder.glob("*.warc.gz"))
        assert files
        result = wixarchive(*crawl)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {folder}/ holds {len(files)} WARC file{'s' if len(files) > 1 else ''} of "
        f"another archive: move it away, or import them with wixarchive import "
        f"{folder}/*.warc.gz --db {db}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orphan.captures"]
    assert sorted(folder.iterdir()) == files

    imported = wixarchive("import", *map(str, files), "--db", str(db))
    assert imported.returncode == 0, imported.stderr
    with Archive.open(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 3


# A capture writer whose lock waits, once its file is created, until `go` exists: the moment
# between creating its file and locking it held open, in a process of its own.
PAUSED_WRITER = """import fcntl, sys, time
from pathlib import Path
from archive import captures

directory, ready, go = map(Path, sys.argv[1:])


class Paused:
    def __getattr__(self, name):
        return getattr(fcntl, name)

    def flock(self, fd, operation):
        ready.touch()
        while not go.exists():
            time.sleep(0.01)
        fcntl.flock(fd, operation)


captures.fcntl = Paused()
writer = captures.CaptureWriter(directory)
row = writer.write(captures.Exchange("http://example.com/1", "GET", [], 200, [], b"page",
                                     captures.new_record_id()))
writer.close()
print(row.file)
"""


@pytest.mark.parametrize("recovery", ["removes", "locks"])
def test_a_new_capture_file_is_never_seen_unlocked(tmp_path: Path, recovery: str):
    """A capture writer created its file, then locked it. Recovery (another crawl's start, a
    reextract) in between took the new empty file for a dead writer's: it marked it closed,
    and while it held the file's lock the writer's lock was refused, failing the crawl. The
    file is now created unnamed (`.NAME.warc.gz.new`): recovery, which removes such a file left
    unlocked by a killed writer, may remove it or hold its lock in that moment, and the writer
    then begins another."""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    directory = captures.captures_dir(db)
    directory.mkdir()
    ready, go = tmp_path / "ready", tmp_path / "go"
    writer = subprocess.Popen([sys.executable, "-c", PAUSED_WRITER, str(directory), str(ready),
                               str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        wait_until(ready.exists, "the writer about to lock its file", writer)
        if recovery == "removes":  # a reextract now: it removes the unnamed file, indexes none
            assert wixarchive("reextract", "--db", str(db)).returncode == 0
            assert list(directory.iterdir()) == []
            with sqlite3.connect(db) as conn:
                assert conn.execute("SELECT name FROM capture_files").fetchall() == []
        # Recovery holding the lock of every capture file it found as the writer locks.
        with contextlib.ExitStack() as held:
            paths = list(directory.glob(f"*{captures.SUFFIX}*"))
            assert len(paths) == (recovery == "locks")  # the unnamed file, if not removed
            for path in paths:
                handle = held.enter_context(path.open("r+b"))
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            go.touch()
            out, err = writer.communicate(timeout=120)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert writer.returncode == 0, err
    assert [p.name for p in directory.iterdir()] == [out.strip()]


# A capture writer stopped at `stage` of beginning its file, in a process of its own (to be
# killed there): before it locks its unnamed new file, before it links it in under its name,
# or after that, before it removes the unnamed one.
STOPPED_WRITER = """import fcntl, sys, time
from pathlib import Path
from archive import captures

directory, ready, stage = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
name_new_file = captures._name_new_file


def stop(at):
    if stage == at:
        ready.touch()
        time.sleep(600)


class Stopped:
    def __getattr__(self, name):
        return getattr(fcntl, name)

    def flock(self, fd, operation):
        stop("before its lock")
        fcntl.flock(fd, operation)


def stopped_link(path, name):
    stop("before its link")
    name_new_file(path, name)
    stop("after its link")


captures.fcntl = Stopped()
captures._name_new_file = stopped_link
captures.CaptureWriter(directory).write(captures.Exchange("http://example.com/1", "GET", [],
                                                          200, [], b"page",
                                                          captures.new_record_id()))
"""


@pytest.mark.parametrize("stage", ["before its lock", "before its link", "after its link"])
def test_the_unnamed_file_of_a_writer_killed_beginning_it_is_removed(tmp_path: Path,
                                                                     stage: str):
    """A capture writer killed between creating its new file as `.NAME.warc.gz.new` and
    removing that name left the empty dot-file for good: recovery read only *.warc.gz. The next
    recovery (here a reextract's) now removes it, and leaves a live writer's alone."""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    directory = captures.captures_dir(db)
    ready = tmp_path / "ready"
    writer = subprocess.Popen([sys.executable, "-c", STOPPED_WRITER, str(directory), str(ready),
                               stage], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(ready.exists, f"the writer stopped {stage}", writer)
        unnamed = list(directory.glob(f".*{captures.SUFFIX}.new"))
        if stage != "before its lock":  # its lock held: a live writer's file
            assert wixarchive("reextract", "--db", str(db)).returncode == 0
            assert list(directory.glob(f".*{captures.SUFFIX}.new")) == unnamed
    finally:
        writer.kill()
        writer.communicate()
    assert writer.returncode == -signal.SIGKILL
    assert len(unnamed) == 1 and unnamed[0].stat().st_size == 0
    named = [p.name for p in directory.glob(f"*{captures.SUFFIX}")]
    assert named == ([unnamed[0].name[1:-len(".new")]] if stage == "after its link" else [])

    assert wixarchive("reextract", "--db", str(db)).returncode == 0
    assert sorted(p.name for p in directory.iterdir()) == named


def _answer_with_raw_header(page: bytes, header: bytes, status: bytes = b"200 OK",
                            content_type: bytes = b"text/html; charset=utf-8"
                            ) -> Callable[[Any], bool]:
    """A takeover answering `page` with one header line sent as raw bytes (UTF-8, as servers
    send an IRI)."""
    def answer(handler: Any) -> bool:
        handler.wfile.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + content_type
                            + b"\r\n" + header + b"\r\n" + f"Content-Length: {len(page)}\r\n"
                            "Connection: close\r\n\r\n".encode() + page)
        handler.close_connection = True
        return True
    return answer


def test_a_response_header_in_raw_utf8_is_captured_and_its_post_archived(tmp_path: Path):
    """A server's header holding raw UTF-8 where warcio's own escaping leaves some (a Link
    header naming an IRI, with parameters): the post was not archived, the crawl's error a bare
    "'ascii' codec can't encode characters". Its capture keeps the header, the non-ASCII
    letters percent-encoded (WARC headers are ASCII), and check reads it back."""
    blog = SampleBlog(seed=15, post_count=3)
    db = tmp_path / "archive.db"
    link = "<https://example.com/post/imágenes>; rel=preload"
    with serve_blog(blog) as server:
        post = blog.posts[0]
        server.takeovers[post.url_path] = _answer_with_raw_header(
            server.respond(post.url_path).body, b"Link: " + link.encode())
        result = wixarchive("crawl", server.url, "--db", str(db), "--json", *FAST)
        url = server.url + post.url_path
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["new"] == 3 and summary["counts"]["failed"] == 0, summary["errors"]
    assert _response_header(captures.captures_dir(db), url, "Link") == \
        "<https://example.com/post/im%C3%A1genes>; rel=preload"  # the bytes sent, each once
    checked = wixarchive("check", "--db", str(db))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_header_lines_in_raw_utf8_are_captured_as_sent_and_replay(tmp_path: Path):
    """A post moved to a non-Latin slug, its old URL redirected by a Location in raw UTF-8,
    its page sent with a Content-Type and a Link holding raw UTF-8 in a parameter. Each is
    captured as sent, its non-ASCII bytes percent-encoded once and nothing else changed, and
    a replay (pywb) follows the redirect to the page. Until 2026-12-07 warcio's escaping
    stored `/post/im%C3%83%C2%A1genes-…` (each byte encoded twice: the replayed redirect led
    to no capture), `charset*=UTF-8''utf-8` (no charset at replay), `rel*=UTF-8''preload` and
    `lang**=UTF-8''UTF-8%27%27fr` (from `lang*=UTF-8''fr`)."""
    blog = SampleBlog(seed=16, post_count=3)
    db = tmp_path / "archive.db"
    post = blog.posts[0]
    moved = f"/post/imágenes-{post.slug}"
    link = "<https://example.com/post/imágenes>; rel=preload; title=\"Été\"; lang*=UTF-8''fr"
    with serve_blog(blog) as server:
        server.takeovers[post.url_path] = _answer_with_raw_header(
            b"", b"Location: " + moved.encode(), status=b"301 Moved Permanently")
        server.takeovers[moved] = _answer_with_raw_header(
            server.respond(post.url_path).body, b"Link: " + link.encode(),
            content_type='text/html; charset=utf-8; title="Été"'.encode())
        result = wixarchive("crawl", server.url, "--db", str(db), "--json", *FAST)
        old_url = server.url + post.url_path
        new_url = server.url + "/post/im%C3%A1genes-" + post.slug
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["new"] == 3
    folder = captures.captures_dir(db)
    assert _response_header(folder, old_url, "Location") == \
        f"/post/im%C3%A1genes-{post.slug}"
    assert _response_header(folder, new_url, "Link") == (
        "<https://example.com/post/im%C3%A1genes>; rel=preload; title=\"%C3%89t%C3%A9\"; "
        "lang*=UTF-8''fr")
    assert _response_header(folder, new_url, "Content-Type") == \
        'text/html; charset=utf-8; title="%C3%89t%C3%A9"'
    # mp_: pywb's replay of the page as it was (id_ passes the Location on unreplayed).
    with wayback(tmp_path / "pywb", warcs=sorted(folder.glob("*.warc.gz"))) as base, \
            urllib.request.urlopen(f"{base}2030mp_/{old_url}") as replayed:
        assert replayed.status == 200, replayed.url
        assert replayed.url.endswith(f"mp_/{new_url}"), replayed.url
        assert "charset=utf-8" in replayed.headers["Content-Type"]
        assert post.title.encode() in replayed.read()


def _response_header(directory: Path, url: str, name: str) -> str | None:
    """Header `name` of the response record of `url` in the capture files, as warcio reads it."""
    for path in sorted(directory.glob("*.warc.gz")):
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response" \
                        and record.rec_headers.get_header("WARC-Target-URI") == url:
                    return record.http_headers.get_header(name)
    return None
