"""The capture reader (captures.Reader, which re-extraction and every other reader use) and
re-extraction's process pool (the end-to-end runs of `reextract`, with real crawls, are in
test_captures.py)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from archive import captures, reextract
from archive.store import Archive
from crawler.extract.api import extract_article
from crawler.sample_site import SampleBlog, serve_blog
from tests.processes import HANG_GUARD, wait_until

HTML = "<html><head><title>Ünïcode</title></head><body><p>Text</p></body></html>".encode()


def _exchange(url: str, headers: list[tuple[str, str]], body: bytes = HTML,
              status: int = 200) -> captures.Exchange:
    return captures.Exchange(url, "GET", [("Accept", "*/*")], status, headers, body,
                             captures.new_record_id())


def _location(row: captures.CaptureRow, original: captures.CaptureRow | None = None
              ) -> captures.Location:
    return captures.Location(row.record_id, row.kind, row.url, row.fetched_at, row.file,
                             row.offset, row.length,
                             (original.file, original.offset, original.length)
                             if original else None)


def _by_warcio(directory: Path, where: captures.Location) -> captures.Payload:
    """What warcio's parser reads at `where`, as a Payload (the reader's reference)."""
    data = gzip.decompress((directory / where.file).read_bytes()[
        where.offset:where.offset + where.length])
    status, headers, body = captures.split_response_by_warcio(data)
    if where.kind == "revisit":
        name, offset, length = where.original
        body = captures.split_response_by_warcio(gzip.decompress(
            (directory / name).read_bytes()[offset:offset + length]))[2]
    http = captures.parse_record(data).http_headers
    return captures.Payload(where.url, where.fetched_at, status, headers, body,
                            http.get_header("Content-Type") if http else None)


def test_the_reader_reads_every_record_as_warcio_does(tmp_path: Path):
    """The direct header split gives what warcio's parser gives, for the records our writer
    makes and for those it does not split itself (warcio reads those)."""
    directory = tmp_path / "archive.captures"
    writer = captures.CaptureWriter(directory)
    html = [("Content-Type", "text/html; charset=utf-8")]
    rows = [
        writer.write(_exchange("http://a.test/post/plain", html)),
        writer.write(_exchange("http://a.test/post/gzipped",
                               [*html, ("Content-Encoding", "gzip")], gzip.compress(HTML))),
        writer.write(_exchange("http://a.test/post/latin1",  # a non-ASCII header value
                               [*html, ("X-Title", "caf\u00e9")])),
        writer.write(_exchange("http://a.test/post/none", [], b"")),
        writer.write(_exchange("http://a.test/post/teapot", html, status=418)),
        writer.write(_exchange("http://a.test/post/empty-value", [*html, ("X-Empty", "")])),
    ]
    revisit = writer.write(_exchange("http://a.test/post/again", html),
                           revisit_of=(rows[0].url, rows[0].fetched_at))
    writer.close()
    locations = [_location(row) for row in rows] + [_location(revisit, rows[0])]
    reader = captures.Reader(directory)
    try:
        for where in locations:
            ours = reader.payload(where)
            assert ours == _by_warcio(directory, where), where.url
            assert ours == captures.read_location(directory, where), where.url
            assert ours.decoded_body() == (HTML if where.url != "http://a.test/post/none"
                                           else b"")
        # A record of another shape (a bare-LF HTTP head, which our writer never makes) is
        # read by warcio all the same.
        record = (b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:x>\r\n"
                  b"WARC-Target-URI: http://a.test/post/plain\r\n"
                  b"Content-Type: application/http; msgtype=response\r\n")
        block = b"HTTP/1.0 200 OK\nContent-Type: text/html\n\n" + HTML
        record += b"Content-Length: %d\r\n\r\n" % len(block) + block + b"\r\n\r\n"
        odd = directory / "odd.warc.gz"
        odd.write_bytes(gzip.compress(record))
        where = locations[0]._replace(file=odd.name, offset=0, length=odd.stat().st_size)
        assert captures.split_response(record) == captures.split_response_by_warcio(record)
        assert reader.payload(where) == _by_warcio(directory, where)
        assert reader.payload(where).body == HTML
    finally:
        reader.close()


def test_the_reader_names_missing_truncated_and_damaged_files(tmp_path: Path):
    directory = tmp_path / "archive.captures"
    writer = captures.CaptureWriter(directory)
    row = writer.write(_exchange("http://a.test/post/x", [("Content-Type", "text/html")]))
    writer.close()
    where = _location(row)
    path = directory / row.file
    reader = captures.Reader(directory)
    try:
        data = path.read_bytes()
        path.write_bytes(data[:row.offset + row.length // 2])
        with pytest.raises(captures.CaptureError, match=f"capture file {path} is truncated "
                                                        f"\\(record at offset {row.offset}\\)"):
            reader.payload(where)
        path.write_bytes(data[:row.offset + 20] + b"\0" * 40 + data[row.offset + 60:])
        with pytest.raises(captures.CaptureError,
                           match=f"capture file {path} is damaged at offset {row.offset}"):
            reader.payload(where)
    finally:
        reader.close()
    path.unlink()
    with pytest.raises(captures.CaptureError, match=f"capture file {path} is missing"):
        captures.Reader(directory).payload(where)


def test_the_pool_forks_only_when_no_other_thread_runs():
    # In a fresh process (this one may hold threads that earlier tests left running).
    code = "import archive.reextract as r; print(r._pool_context().get_start_method())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "fork", out.stderr
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert reextract._pool_context().get_start_method() == "spawn"
    finally:
        stop.set()
        thread.join()


def crawled(blog: SampleBlog, db: Path) -> Path:
    """`db` after a `wixarchive crawl` of the blog at full speed."""
    with serve_blog(blog) as server:
        crawl = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", server.url,
                                "--db", str(db), "--delay", "0", "--no-autothrottle"],
                               capture_output=True, text=True, timeout=300)
    assert crawl.returncode == 0, crawl.stderr
    return db


@pytest.mark.parametrize("other_thread", [False, True], ids=["forked", "spawned"])
def test_reextract_in_forked_or_spawned_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                other_thread: bool):
    """Both ways of starting the extraction processes re-extract every post."""
    blog = SampleBlog(seed=21, post_count=24)
    db = crawled(blog, tmp_path / "archive.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older' WHERE id % 3 = 0")
    monkeypatch.setattr(reextract, "POOL_MIN_POSTS", 1)
    monkeypatch.setattr(reextract, "CHUNK", 4)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    if other_thread:
        thread.start()
    try:
        with Archive.open(db) as archive:
            result = reextract.reextract(archive, workers=2)
    finally:
        stop.set()
        if other_thread:
            thread.join()
    assert (result.posts, result.changed, result.failed) == (24, 8, 0), result.failures


def test_an_error_in_reextract_run_from_another_thread_is_raised_as_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run from a thread other than the main one (an application calling it), an error while
    the extraction processes worked (here the progress callback's own) was replaced by
    `ValueError: signal only works in main thread of the main interpreter`, raised by the
    workers' stop, which sets a SIGINT handler."""
    db = crawled(SampleBlog(seed=21, post_count=24), tmp_path / "archive.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")
    conn.close()
    monkeypatch.setattr(reextract, "POOL_MIN_POSTS", 1)
    monkeypatch.setattr(reextract, "CHUNK", 4)
    raised: list[BaseException] = []

    def progress(posts: int) -> None:
        raise RuntimeError("the caller's own error")

    def run() -> None:
        try:
            with Archive.open(db) as archive:
                reextract.reextract(archive, workers=2, progress=progress)
        except BaseException as exc:  # what reached the caller, whatever it is
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(HANG_GUARD)
    assert not thread.is_alive()
    assert [repr(exc) for exc in raised] == [repr(RuntimeError("the caller's own error"))]


def test_the_workers_start_without_scrapy_or_twisted():
    """A forked worker has what the command had imported when it forked; a spawned one
    imports archive.reextract and the extractor: neither may bring in the crawler's stack."""
    code = ("import sys; import archive.cli, archive.cli.reextract, archive.reextract as r; "
            "r._pool_context(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_worker_killed_has_its_posts_extracted_in_this_process(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    blog = SampleBlog(seed=22, post_count=16)
    db = crawled(blog, tmp_path / "archive.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET content_hash = 'older'")
    parent = os.getpid()
    extract_chunk = reextract._extract_chunk

    def dying(tasks, reader=None):
        if os.getpid() != parent:
            os._exit(9)  # as the out-of-memory killer would end it
        return extract_chunk(tasks, reader)

    # Sent to the (forked) workers by name, as the real one is.
    dying.__module__, dying.__qualname__ = reextract.__name__, "_extract_chunk"
    monkeypatch.setattr(reextract, "_extract_chunk", dying)
    monkeypatch.setattr(reextract, "POOL_MIN_POSTS", 1)
    monkeypatch.setattr(reextract, "CHUNK", 4)
    with Archive.open(db) as archive:
        result = reextract.reextract(archive, workers=2)
    assert (result.posts, result.changed, result.failed) == (16, 16, 0), result.failures


def test_ctrl_c_twice_stops_reextract_and_the_next_run_resumes(tmp_path: Path):
    """A terminal's Ctrl-C pressed twice quickly (SIGINT to the whole process group, the pool's
    workers too): reextract hung for ever, in 4 runs of 5, its workers never told to exit.
    Now it stops, and the next run re-extracts the rest: one new version a post, no more."""
    db = crawled(SampleBlog(seed=23, post_count=600), tmp_path / "archive.db")
    with sqlite3.connect(db) as conn:  # as if an older extractor had made every version
        conn.execute("UPDATE posts SET content_hash = 'older'")
    conn.close()
    command = [sys.executable, "-m", "archive.cli", "reextract", "--db", str(db)]
    # Batches of 20, not 200: with 3 batches (all handed to the pool at once) the run could end
    # between its first write and the Ctrl-C on a loaded machine, and the test prove nothing.
    small_batches = [sys.executable, "-c", "import sys; import archive.reextract as r; "
                     "r.BATCH = 20; from archive.cli import main; sys.argv[0] = 'wixarchive'; "
                     "main()", *command[3:]]
    proc = subprocess.Popen(small_batches, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)

    def reextracted() -> int:
        with Archive.open(db, readonly=True) as archive:
            return archive.conn.execute("SELECT count(*) FROM post_versions WHERE source = "
                                        "'reextract'").fetchone()[0]

    wait_until(lambda: reextracted() > 0, "a batch re-extracted", proc)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.05)  # the second press, as quick hands make it
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.communicate(timeout=HANG_GUARD)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("reextract hung after Ctrl-C twice")
    assert proc.returncode in (130, -signal.SIGINT)
    assert reextracted() < 600, "it had finished: the test proved nothing"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD)
    assert resumed.returncode == 0, resumed.stderr
    with Archive.open(db, readonly=True) as archive:
        versions = dict(archive.conn.execute(
            "SELECT n, count(*) FROM (SELECT count(*) AS n FROM post_versions GROUP BY post_id) "
            "GROUP BY n").fetchall())
    assert versions == {2: 600}


def test_a_crawl_between_reading_and_writing_a_batch_keeps_its_newer_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """reextract reads a batch's posts, extracts them, and writes them later (AHEAD batches
    on). A crawl that stored a newer version of one of them meanwhile had that version
    buried under a `reextract` one holding the older capture's content, dated before the
    crawl's fetch: the archive then showed the edit as undone. Now the crawl's version stays
    the current one, and the post is left to the crawl that just extracted it."""
    blog = SampleBlog(seed=24, post_count=12)
    monkeypatch.setattr(reextract, "BATCH", 4)  # three batches, all read before one is written
    with serve_blog(blog) as server:
        db = tmp_path / "archive.db"
        crawl = [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db", str(db),
                 "--delay", "0", "--no-autothrottle", "--no-media"]
        assert subprocess.run(crawl, capture_output=True, text=True,
                              timeout=300).returncode == 0
        with sqlite3.connect(db) as conn:  # as if an older extractor had made every version
            conn.execute("UPDATE posts SET content_hash = 'older'")
            url = conn.execute("SELECT url FROM posts ORDER BY id DESC LIMIT 1").fetchone()[0]
        conn.close()
        slug = url.rstrip("/").rsplit("/", 1)[1]
        crawled_again: list[subprocess.CompletedProcess] = []

        def crawl_once(posts: int) -> None:  # after the first batch is written
            if not crawled_again:
                blog.edit_post(slug, paragraphs=["Rewritten by its owner during the run."])
                crawled_again.append(subprocess.run(crawl, capture_output=True, text=True,
                                                    timeout=300))

        with Archive.open(db) as archive:
            result = reextract.reextract(archive, workers=1, progress=crawl_once)
    assert crawled_again[0].returncode == 0, crawled_again[0].stderr
    with Archive.open(db, readonly=True) as archive:
        body = archive.conn.execute("SELECT body FROM posts WHERE url = ?", (url,)).fetchone()[0]
        sources = [row[0] for row in archive.conn.execute(
            "SELECT source FROM post_versions WHERE post_id = (SELECT id FROM posts WHERE "
            "url = ?) ORDER BY version", (url,))]
    assert body == "Rewritten by its owner during the run."
    assert sources == ["crawl", "crawl"]
    assert (result.posts, result.changed, result.failed) == (12, 11, 0), result.failures



def test_a_post_given_another_url_between_reading_and_writing_keeps_its_new_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`sites merge` (or a crawl following a move) gives posts their URL at the new address
    while reextract holds them read: the batches read before wrote each changed post by the
    URL read, which no post had any more, so each was stored again as a new post at the
    address the blog left (8 of 12 twice), its own post without the new version. Now the
    version is the post's, at its URL now."""
    blog = SampleBlog(seed=25, post_count=12)
    monkeypatch.setattr(reextract, "BATCH", 4)  # three batches, all read before one is written
    db = tmp_path / "archive.db"
    fast = ["--db", str(db), "--delay", "0", "--no-autothrottle", "--no-media"]
    with serve_blog(blog, host="127.0.0.2") as old_home:
        assert subprocess.run([sys.executable, "-m", "archive.cli", "crawl", old_home.url,
                               *fast], capture_output=True, text=True,
                              timeout=300).returncode == 0
    with serve_blog(SampleBlog(seed=26, post_count=1)) as new_home:
        assert subprocess.run([sys.executable, "-m", "archive.cli", "crawl", new_home.url,
                               *fast], capture_output=True, text=True,
                              timeout=300).returncode == 0
    with sqlite3.connect(db) as conn:  # as if an older extractor had made the old site's
        conn.execute("UPDATE posts SET content_hash = 'older' WHERE url LIKE ?",
                     (old_home.url + "/%",))
    conn.close()
    merged: list[subprocess.CompletedProcess] = []

    def merge_once(posts: int) -> None:  # after the first batch is written
        if not merged:
            merged.append(subprocess.run(
                [sys.executable, "-m", "archive.cli", "sites", "merge", old_home.url,
                 new_home.url, "--db", str(db)], capture_output=True, text=True, timeout=300))

    with Archive.open(db) as archive:
        result = reextract.reextract(archive, workers=1, progress=merge_once)
    assert merged[0].returncode == 0, merged[0].stderr
    with Archive.open(db, readonly=True) as archive:
        urls = [url for (url,) in archive.conn.execute("SELECT url FROM posts")]
        versions = [count for (count,) in archive.conn.execute(
            "SELECT count(*) FROM post_versions GROUP BY post_id")]
    assert len(urls) == 13 and all(url.startswith(new_home.url + "/") for url in urls), urls
    assert sorted(versions) == [1] + [2] * 12
    assert (result.posts, result.changed, result.failed) == (13, 12, 0), result.failures


def test_reextract_during_a_crawl_leaves_the_posts_it_has_not_indexed_yet(tmp_path: Path):
    """A crawl stores a post naming its capture, and indexes the capture a moment later, in
    another thread. `reextract` run meanwhile took such a post's older indexed capture instead:
    re-extracted, it wrote the text from before the owner's edit over the crawl's new version;
    a post with no older capture failed ("capture ... is not in the index", exit 1). Here the
    real capture writer is held open, its record unindexed, as a running crawl leaves it."""
    blog = SampleBlog(seed=25, post_count=6)
    db = crawled(blog, tmp_path / "archive.db")
    post = blog.posts[2]
    blog.edit_post(post.slug, paragraphs=["Edited, and fetched by the crawl running now."])
    added = blog.add_post(paragraphs=["Published, and fetched by the crawl running now."])
    with Archive.open(db) as archive:
        url = archive.conn.execute("SELECT url FROM posts WHERE url LIKE ?",
                                   (f"%/{post.slug}",)).fetchone()[0]
    writer = captures.CaptureWriter(captures.captures_dir(db))
    try:
        # Where it was crawled (the same site): the crawl's server is gone, its port free.
        port = int(url.split("/")[2].rsplit(":", 1)[1])
        with serve_blog(blog, port=port) as server, Archive.open(db) as archive:
            for page, outcome in ((url, "changed"), (f"{server.url}/post/{added.slug}", "new")):
                with urllib.request.urlopen(page, timeout=30) as response:
                    body, headers = response.read(), list(response.headers.items())
                row = writer.write(_exchange(page, headers, body))
                assert archive.save_article(extract_article(body, page),
                                            capture=row.record_id) == outcome
        run = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--json",
                              "--db", str(db)], capture_output=True, text=True, timeout=300)
    finally:
        writer.close()
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"posts": 7, "changed": 0, "refreshed": 0, "failed": 0,
                                      "without_capture": 0}
    with Archive.open(db, readonly=True) as archive:
        body_now = archive.conn.execute("SELECT body FROM posts WHERE url = ?",
                                        (url,)).fetchone()[0]
        sources = [source for (source,) in archive.conn.execute(
            "SELECT source FROM post_versions WHERE post_id = (SELECT id FROM posts WHERE "
            "url = ?) ORDER BY version", (url,))]
    assert body_now == "Edited, and fetched by the crawl running now."
    assert sources == ["crawl", "crawl"]


def test_a_capture_indexed_before_the_crawl_stores_its_post_dates_the_version_by_its_fetch(
        tmp_path: Path):
    """A crawl indexes a page's capture and stores the post made from it independently (two
    threads of two processes), so `reextract` may find the newer capture of an edited post
    indexed while the post still holds its old version. It re-extracted that capture (right)
    but dated the new version by the post's previous fetch, a crawl or more earlier: `history`
    then showed the edit made before it was. Here the real capture writer indexes the edited
    page without the post being stored, as a crawl leaves it for a moment."""
    blog = SampleBlog(seed=26, post_count=4)
    db = crawled(blog, tmp_path / "archive.db")
    post = blog.posts[1]
    blog.edit_post(post.slug, paragraphs=["Edited, its page indexed, its post not stored yet."])
    with Archive.open(db) as archive:
        url, last_seen = archive.conn.execute("SELECT url, last_seen FROM posts WHERE url LIKE "
                                              "?", (f"%/{post.slug}",)).fetchone()
    time.sleep(1.1)  # the edit fetched in a later second than the crawl (dates are to the second)
    port = int(url.split("/")[2].rsplit(":", 1)[1])
    with serve_blog(blog, port=port), urllib.request.urlopen(url, timeout=30) as response:
        body, headers = response.read(), list(response.headers.items())
    writer = captures.CaptureWriter(captures.captures_dir(db))
    try:
        row = writer.write(_exchange(url, headers, body))
        writer.sync()
        with Archive.open(db) as archive, archive.transaction() as conn:
            captures.index_rows(conn, [row])
            captures.mark_file(conn, row.file, writer.size, closed=False)
        with Archive.open(db) as archive:
            result = reextract.reextract(archive, workers=1)
    finally:
        writer.close()
    assert (result.posts, result.changed, result.failed) == (4, 1, 0), result.failures
    with Archive.open(db, readonly=True) as archive:
        fetched_at = archive.conn.execute(
            "SELECT v.fetched_at FROM post_versions v JOIN posts p ON p.id = v.post_id AND "
            "v.version = p.version WHERE p.url = ?", (url,)).fetchone()[0]
    assert fetched_at > last_seen
    assert fetched_at == row.fetched_at.split(".")[0].removesuffix("Z") + "+00:00"


def test_a_post_gone_from_its_site_stays_marked_deleted_when_re_extracted(tmp_path: Path):
    """A new version written by `reextract` cleared the post's `deleted_at`, as a crawl
    fetching it would: a post gone from its site showed as live again in `stats`, searches and
    exports, and for a site gone altogether no crawl ever marked it again."""
    blog = SampleBlog(seed=27, post_count=5)
    gone = blog.posts[2].slug
    with serve_blog(blog) as server:
        crawl = [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db",
                 str(tmp_path / "archive.db"), "--delay", "0", "--no-autothrottle", "--no-media"]
        assert subprocess.run(crawl, capture_output=True, timeout=300).returncode == 0
        blog.delete_post(gone)
        assert subprocess.run(crawl, capture_output=True, timeout=300).returncode == 0
    db = tmp_path / "archive.db"
    with sqlite3.connect(db) as conn:  # as if an older extractor had made every version
        conn.execute("UPDATE posts SET content_hash = 'older'")
        deleted_at = conn.execute("SELECT deleted_at FROM posts WHERE url LIKE ?",
                                  (f"%/{gone}",)).fetchone()[0]
    conn.close()
    assert deleted_at is not None
    run = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--json", "--db",
                          str(db)], capture_output=True, text=True, timeout=300)
    assert json.loads(run.stdout)["changed"] == 5, run.stderr
    with Archive.open(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT deleted_at FROM posts WHERE url LIKE ?",
                                    (f"%/{gone}",)).fetchone()[0] == deleted_at


def _refused_while_running(db: Path, first: list[str], held: Path,
                           *second: list[str]) -> tuple[int, subprocess.CompletedProcess[str],
                                                         list[subprocess.CompletedProcess[str]]]:
    """`wixarchive reextract FIRST...` kept running (it waits to record its run while this
    process holds the archive's write lock) once it holds its lock `held`, while each
    `wixarchive reextract SECOND...` runs; the first's pid and outcome, and the seconds'."""
    from archive.schedule.locks import is_locked
    from tests.outputs import wixarchive as run_wixarchive
    from tests.processes import write_lock

    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "600000"}
    with write_lock(db) as release:
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "reextract", "--db",
                                 str(db), "--json", *first], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        try:
            wait_until(lambda: is_locked(held), "the first reextract holding its lock", proc)
            seconds = [run_wixarchive("reextract", "--db", str(db), *args) for args in second]
            release()
            out, err = proc.communicate(timeout=HANG_GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return proc.pid, subprocess.CompletedProcess(proc.args, proc.returncode, out, err), seconds


def test_a_second_reextract_of_an_overlapping_scope_is_refused_naming_the_first(
        tmp_path: Path):
    """Two reextracts of one scope shared one resume row: no version was written twice, but
    the counts recorded were those of whichever ended last. A second one of the whole archive
    or of the same site is now refused at once, exit 75, naming the first's process."""
    from archive.schedule.locks import reextract_lock_path
    from tests.outputs import build_outputs_archive

    db = build_outputs_archive(tmp_path / "archive.db")
    site = "https://www.example-garden.com/"
    pid, first, refused = _refused_while_running(
        db, ["--site", "example-garden"], reextract_lock_path(db, site),
        [], ["--site", "http://example-garden.com"])
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["without_capture"] == 1
    for second in refused:
        # (After the notice of how the site named over http is archived, for the second.)
        error = second.stderr.splitlines()[-1]
        assert second.returncode == 75 and second.stdout == "", second.stderr
        assert error.startswith(f"Error: a re-extraction of {site} is running on {db} "
                                f"(pid {pid} on ")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM reextractions").fetchone() == (1,)
    # A re-extraction of the whole archive holds off a site's.
    _, first, (second,) = _refused_while_running(db, [], reextract_lock_path(db, None),
                                              ["--site", "example-garden"])
    assert first.returncode == 0, first.stderr
    assert second.returncode == 75 and second.stderr.startswith(
        f"Error: a re-extraction of the whole archive is running on {db} (pid ")


def test_the_text_and_markdown_of_an_unchanged_post_are_rewritten(tmp_path: Path):
    """A fix of the extractor's Markdown (or text) alone changes no post's content, which a
    version is: `reextract` counted such posts unchanged and kept the Markdown an older
    extractor wrote, so the fix never reached the posts archived before it. Now their text,
    Markdown and word count are rewritten in place, no new version; run again, nothing is."""
    db = crawled(SampleBlog(seed=27, post_count=3), tmp_path / "archive.db")
    with sqlite3.connect(db) as conn:
        today = conn.execute("SELECT id, body, body_markdown, word_count FROM posts "
                             "ORDER BY id").fetchall()
        conn.execute("UPDATE posts SET body_markdown = 'older Markdown' WHERE id = ?",
                      (today[0][0],))
        conn.execute("UPDATE posts SET body = 'older text', word_count = 2 WHERE id = ?",
                     (today[1][0],))
    conn.close()
    command = [sys.executable, "-m", "archive.cli", "reextract", "--db", str(db)]
    run = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300)
    assert json.loads(run.stdout) == {"posts": 3, "changed": 0, "refreshed": 2, "failed": 0,
                                      "without_capture": 0}, run.stderr
    with Archive.open(db, readonly=True) as archive:
        assert [tuple(row) for row in archive.conn.execute(
            "SELECT id, body, body_markdown, word_count FROM posts ORDER BY id")] == today
        assert archive.conn.execute("SELECT max(version) FROM post_versions").fetchone()[0] == 1
        # The search index follows the text (its triggers): the older words are gone.
        assert not archive.conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH "
                                        "'older'").fetchall()
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.stdout == "3 posts re-extracted: 0 changed, 0 failed\n", again.stderr


def test_a_rewritten_text_is_searched_by_its_chinese_or_japanese_words_too(tmp_path: Path):
    """posts.cjk, the bigrams the search finds CJK words by, is made from the body text with
    the author, tags and categories: `reextract` rewrote the text in place but kept the bigrams
    of the older one, so a Japanese word the post no longer held still found it, and one its
    new text held did not."""
    from archive.search import SearchQuery, search
    from archive.search.bigrams import index_text

    db = crawled(SampleBlog(seed=28, post_count=2), tmp_path / "archive.db")
    older = "東京の庭園を歩きました"
    with sqlite3.connect(db) as conn:
        post_id, author, tags, categories = conn.execute(
            "SELECT id, author, tags, categories FROM posts ORDER BY id").fetchone()
        conn.execute("UPDATE posts SET body = ?, cjk = ? WHERE id = ?", (older, index_text(
            [author, *json.loads(tags), *json.loads(categories), older]), post_id))
    conn.close()
    with Archive.open(db, readonly=True) as archive:
        assert [hit.id for hit in search(archive, SearchQuery("庭園"))] == [post_id]
    command = [sys.executable, "-m", "archive.cli", "reextract", "--db", str(db), "--json"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert json.loads(run.stdout)["refreshed"] == 1, run.stderr
    with Archive.open(db) as archive:
        assert search(archive, SearchQuery("庭園")) == []
        assert archive.conn.execute("SELECT cjk FROM posts WHERE id = ?",
                                    (post_id,)).fetchone()[0] is None



def test_what_reextract_changes_is_in_the_next_incremental_export(tmp_path: Path):
    """`reextract` dates a new version by the post's last fetch, and rewrites an unchanged
    post's Markdown in place: both before an export taken after the crawl, so an
    `export --changed-since` of that export's time left them out, and the copy kept the
    older versions. They are what the archive stored since (recorded_at, stored_at)."""
    from outputs import next_second

    db = crawled(SampleBlog(seed=28, post_count=3), tmp_path / "archive.db")
    with sqlite3.connect(db) as conn:  # as an older extractor had made two of the posts
        (first, last_seen), (second, _), _ = conn.execute(
            "SELECT id, last_seen FROM posts ORDER BY id").fetchall()
        conn.execute("UPDATE posts SET content_hash = 'older' WHERE id = ?", (first,))
        conn.execute("UPDATE posts SET body_markdown = 'older Markdown' WHERE id = ?",
                     (second,))
    conn.close()
    exported = next_second()
    run = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--json", "--db",
                          str(db)], capture_output=True, text=True, timeout=300)
    assert (json.loads(run.stdout)["changed"], json.loads(run.stdout)["refreshed"]) == (1, 1)
    export = [sys.executable, "-m", "archive.cli", "export", "--db", str(db),
              "--changed-since", exported, "--format", "jsonl", "-"]
    rows = [json.loads(line) for line in subprocess.run(
        export, capture_output=True, text=True, timeout=300, check=True).stdout.splitlines()]
    assert sorted((row["id"], row["version"]) for row in rows) == [(first, 2), (second, 1)]
    changed = next(row for row in rows if row["id"] == first)
    assert changed["last_changed"] == last_seen < exported <= changed["recorded_at"]
    versions = [json.loads(line) for line in subprocess.run(
        [*export[:-1], "--versions", "-"], capture_output=True, text=True, timeout=300,
        check=True).stdout.splitlines()]
    # The new version only, for the first (its first is in the earlier export); the second's
    # current one, its Markdown rewritten.
    assert sorted((row["id"], row["version"], row["source"]) for row in versions) == [
        (first, 2, "reextract"), (second, 1, "crawl")]
