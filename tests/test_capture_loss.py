"""Capture files damaged, cut short or deleted: exports name what they could not read and exit 1,
`check` says what a cut lost, and a crawl of the site, up again, captures it all again. Real
crawls of the sample blog (posts, images from a second loopback host, PDFs) and real CLI runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import captures
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import media_response
from tests.processes import run_crawl

KINDS = "WIXARCHIVE_MEDIA_KINDS=images,documents"
REQUISITES = "WIXARCHIVE_PAGE_REQUISITES=true"


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=300)


def crawl(site: str, media: str, db: Path, *settings: str) -> dict:
    return run_crawl(site, db, f"WIXARCHIVE_MEDIA_BASE={media}/media/",
                     f"WIXARCHIVE_VIDEO_BASE={site}/", KINDS, *settings)


def blog() -> SampleBlog:
    return SampleBlog(seed=5, post_count=8, attachments=True)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of 8 posts with their images and PDFs, all in one capture file."""
    db = tmp_path_factory.mktemp("loss") / "archive.db"
    sample = blog()
    with serve_blog(sample) as site, serve_blog(sample, host="127.0.0.2") as media:
        assert crawl(site.url, media.url, db)["counts"]["new"] == 8
    return db


def copy(db: Path, to: Path) -> tuple[Path, Path]:
    """A copy of the archive and its captures; the copy and its one capture file."""
    target = to / "archive.db"
    shutil.copy(db, target)
    shutil.copytree(captures.captures_dir(db), captures.captures_dir(target))
    (capture_file,) = captures.captures_dir(target).glob("*.warc.gz")
    return target, capture_file


def index(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def stored_media(db: Path) -> dict[str, int]:
    """URL -> offset of the capture of each stored image and document."""
    return dict(index(db, "SELECT m.url, c.offset FROM media m JOIN captures c "
                          "ON c.record_id = m.capture WHERE m.status = 'stored'"))


def test_a_damaged_record_is_left_out_of_the_wacz_and_named(crawled: Path, tmp_path: Path):
    db, capture_file = copy(crawled, tmp_path)
    (url, offset, length), = index(
        db, "SELECT c.url, c.offset, c.length FROM captures c JOIN posts p ON p.url = c.url "
            "ORDER BY c.offset LIMIT 1 OFFSET 2")
    with capture_file.open("r+b") as handle:  # 16 bytes overwritten inside its gzip member
        handle.seek(offset + length // 2)
        handle.write(b"\xff" * 16)
    out = tmp_path / "d.wacz"
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out), "--json")
    assert result.returncode == 1, result.stderr
    assert f"Error: {url}: capture file {capture_file} is damaged at offset {offset}" \
        in result.stderr.splitlines()
    summary = json.loads(result.stdout)
    assert summary["skipped_records"] == 1 and summary["posts"] == 7
    validate = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    with zipfile.ZipFile(out) as package:
        pages = [json.loads(line)["url"] for line in
                 package.read("pages/pages.jsonl").splitlines()[1:]]
    assert len(pages) == 7 and url not in pages  # the page list names no record left out
    imported = wixarchive("import", str(out), "--db", str(tmp_path / "back.db"), "--json")
    assert imported.returncode == 0, imported.stderr
    assert index(tmp_path / "back.db", "SELECT count(*) FROM posts") == [(7,)]


def test_markdown_and_wxr_say_which_archived_files_they_could_not_read(crawled: Path,
                                                                        tmp_path: Path):
    db, capture_file = copy(crawled, tmp_path)
    media = stored_media(db)
    assert len(media) == 10
    os.truncate(capture_file, min(media.values()))  # every image and PDF lost, no post
    line = ("Error: 7 images and 3 documents could not be read from the captures (the export "
            "links them on the site instead; run `wixarchive check` for details)")

    result = wixarchive("export", "--format", "markdown", "--db", str(db), str(tmp_path / "md"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [line]
    assert result.stdout.startswith("Exported 8 posts")
    assert len(list((tmp_path / "md").rglob("*.md"))) == 8

    result = wixarchive("export", "--format", "wxr", "--db", str(db), str(tmp_path / "w.xml"),
                        "--images-url", "https://example.org/img/", "--json")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [line]
    summary = json.loads(result.stdout)
    assert summary["posts"] == 8 and summary["archived_images"] == 0
    assert summary["unreadable_media"] == 10
    assert sorted(summary["unreadable_media_urls"]) == sorted(media)

    intact = wixarchive("export", "--format", "markdown", "--db", str(crawled),
                        str(tmp_path / "md2"), "--json")
    assert intact.returncode == 0 and intact.stderr == ""
    assert json.loads(intact.stdout)["unreadable_media"] == 0


def test_check_counts_and_names_what_a_cut_lost(crawled: Path, tmp_path: Path):
    db, capture_file = copy(crawled, tmp_path)
    posts = index(db, "SELECT c.url, c.offset FROM captures c JOIN posts p ON p.url = c.url "
                      "ORDER BY c.offset")
    cut_url, cut_at = posts[-3]
    lost = index(db, "SELECT count(*) FROM captures WHERE offset >= ?", cut_at)[0][0]
    os.truncate(capture_file, cut_at + 100)
    result = wixarchive("check", "--db", str(db))
    assert result.returncode == 1
    assert (f"Problem: captures: {capture_file}: record at {cut_at} ({cut_url}) is cut off: "
            f"lost from there on, {lost} records (3 posts, 7 images, 3 documents, "
            f"{lost - 13} sitemaps, feeds and other pages: {posts[-3][0]}, {posts[-2][0]}, "
            f"{posts[-1][0]}, …); a crawl of their site captures its posts and images again "
            "while it is up (`wixarchive crawl SITE`)") in result.stderr.splitlines()


def test_check_says_one_other_page_in_the_singular(crawled: Path, tmp_path: Path):
    db, capture_file = copy(crawled, tmp_path)
    others = index(db, "SELECT c.offset, (SELECT count(*) FROM captures x WHERE x.offset >= "
                       "c.offset AND x.url NOT IN (SELECT url FROM posts) AND x.record_id NOT IN "
                       "(SELECT capture FROM media WHERE capture IS NOT NULL)) FROM captures c "
                       "ORDER BY c.offset DESC")
    cut_at = next(offset for offset, count in others if count == 1)
    os.truncate(capture_file, cut_at + 100)
    result = wixarchive("check", "--db", str(db))
    assert result.returncode == 1
    (cut,) = [line for line in result.stderr.splitlines() if " is cut off: " in line]
    assert "1 sitemap, feed or other page" in cut and "1 sitemaps" not in cut, cut


def test_a_crawl_captures_again_what_lost_capture_files_held(tmp_path: Path):
    """Posts, images, documents and the renditions the pages show (--page-requisites); the
    posts fetched again are counted as recaptured."""
    db = tmp_path / "archive.db"
    sample = blog()
    with serve_blog(sample) as site, serve_blog(sample, host="127.0.0.2") as media:
        assert crawl(site.url, media.url, db, REQUISITES)["counts"]["new"] == 8
        files = stored_media(db)
        assert any("/v1/" in url for url in files)  # renditions among them
        versions = index(db, "SELECT post_id, version, content_hash FROM post_versions")
        for damage in ("deleted", "cut short"):
            (capture_file,) = [p for p in captures.captures_dir(db).glob("*.warc.gz")
                               if p.stat().st_size > 20_000]  # the one holding the posts
            if damage == "deleted":
                capture_file.unlink()
            else:
                os.truncate(capture_file, capture_file.stat().st_size // 2)
            assert wixarchive("check", "--db", str(db)).returncode == 1
            requests = len(site.request_log)
            summary = crawl(site.url, media.url, db, REQUISITES)
            fetched = site.request_log[requests:]
            counts = summary["counts"]
            assert counts["unchanged"] + counts["recaptured"] == 8, damage
            assert counts["recaptured"] > 0 and counts["new"] == counts["changed"] == 0
            # The lost images, documents and renditions fetched again are media archived.
            assert re.search(f"{counts['unchanged']} unchanged, {counts['recaptured']} "
                             r"recaptured; [1-9]\d* media archived$", summary["message"]), \
                summary["message"]
            if damage == "deleted":  # every post fetched again, in full
                assert sum(path.startswith("/post/") for path in fetched) == 8
                assert counts["recaptured"] == 8
            checked = wixarchive("check", "--db", str(db))
            assert checked.returncode == 0, (damage, checked.stderr)
            result = wixarchive("reextract", "--db", str(db), "--json")
            assert result.returncode == 0, (damage, result.stderr)
            assert json.loads(result.stdout)["failed"] == 0
            # The same versions (none added), now naming captures that are whole.
            assert index(db, "SELECT post_id, version, content_hash FROM post_versions") \
                == versions
            assert stored_media(db).keys() == files.keys()
            with sqlite3.connect(db) as conn:
                for (record_id,) in conn.execute(
                        "SELECT capture FROM post_versions UNION ALL SELECT capture FROM media"):
                    captures.read_payload(conn, captures.captures_dir(db), record_id)


def test_a_crawl_captures_again_a_lost_logo_the_post_pages_show(tmp_path: Path):
    """An image the post pages show that is no post's (the site's logo, a rendition of an
    upload), captured with --page-requisites: its capture file deleted, a crawl fetches it
    again (with the option, and without it: what was stored is whole again either way), so
    `check` passes and the media row's capture reads back as the logo."""
    db = tmp_path / "archive.db"
    sample = SampleBlog(seed=5, post_count=4, logo=True)
    logo = sample.logo.resized(240, 80)
    logo_path = logo.removeprefix("https://static.wixstatic.com")
    with serve_blog(sample) as site, serve_blog(sample, host="127.0.0.2") as media:
        assert crawl(site.url, media.url, db, REQUISITES)["counts"]["new"] == 4
        assert logo in stored_media(db)
        assert media.request_log.count(logo_path) == 1  # shown on every page, fetched once
        for settings in ((REQUISITES,), ()):
            stored = stored_media(db).keys()
            ((name,),) = index(db, "SELECT f.name FROM media m JOIN captures c ON c.record_id "
                                   "= m.capture JOIN capture_files f ON f.id = c.file_id "
                                   "WHERE m.url = ?", logo)
            lost_media = {url for (url,) in index(
                db, "SELECT m.url FROM media m JOIN captures c ON c.record_id = m.capture "
                    "JOIN capture_files f ON f.id = c.file_id WHERE f.name = ?", name)}
            (captures.captures_dir(db) / name).unlink()
            assert wixarchive("check", "--db", str(db)).returncode == 1
            requests = len(media.request_log)
            summary = crawl(site.url, media.url, db, *settings)
            assert media.request_log[requests:].count(logo_path) == 1, settings
            # Every lost image fetched again, once, is counted as media archived.
            assert summary["message"].endswith(f"; {len(lost_media)} media archived"), \
                (settings, summary["message"])
            checked = wixarchive("check", "--db", str(db))
            assert checked.returncode == 0, (settings, checked.stderr)
            assert stored_media(db).keys() == stored
            with sqlite3.connect(db) as conn:
                ((record_id,),) = conn.execute("SELECT capture FROM media WHERE url = ?",
                                               (logo,)).fetchall()
                payload = captures.read_payload(conn, captures.captures_dir(db), record_id)
            assert payload.decoded_body() == media_response(
                logo_path.removeprefix("/media/")).body


def test_import_of_files_that_cannot_be_read_creates_no_archive(tmp_path: Path):
    db = tmp_path / "x.db"
    result = wixarchive("import", str(tmp_path / "nonexist.warc.gz"), "--db", str(db))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: cannot read {tmp_path}/nonexist.warc.gz: No such file or directory"]
    assert not db.exists()


def test_check_reads_every_record_and_the_wacz_names_a_damaged_request(crawled: Path,
                                                                      tmp_path: Path):
    """A byte changed inside a request record (indexed by no digest): `check` reads every
    record of the file, as any WARC tool must, and names it; the WACZ export says it left
    it out."""
    db, capture_file = copy(crawled, tmp_path)
    (url, offset, length), = index(
        db, "SELECT c.url, c.offset, c.length FROM captures c JOIN posts p ON p.url = c.url "
            "ORDER BY c.offset LIMIT 1 OFFSET 2")
    request_at = offset + length  # the writer puts each response's request record after it
    with capture_file.open("r+b") as handle:
        handle.seek(request_at + 60)
        byte = handle.read(1)
        handle.seek(request_at + 60)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with capture_file.open("rb") as handle, pytest.raises(Exception):  # noqa: B017
        for _ in ArchiveIterator(handle):  # warcio, as `warcio index` reads it
            pass

    result = wixarchive("check", "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("Problem:")]
    assert len(problems) == 1
    assert problems[0].startswith(f"Problem: captures: {capture_file}: record at {request_at} "
                                  f"(the request record of {url}) is damaged: ")

    out = tmp_path / "r.wacz"
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out), "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert summary["problems"] == [f"{url}: capture file {capture_file} is damaged at offset "
                                   f"{request_at} (its request record, left out)"]
    assert summary["posts"] == 8  # the response itself is whole, and packaged


def test_a_crawl_captures_again_a_record_check_found_damaged(tmp_path: Path):
    """A byte changed inside a post's response record and an image's: `check` names them
    with the remedy of a cut-off record; the next crawl fetches them again in full (a plain
    crawl, and one with --refetch, which must not write a revisit of the damaged copy), and
    `check` and `reextract` pass after it."""
    db = tmp_path / "archive.db"
    sample = blog()
    with serve_blog(sample) as site, serve_blog(sample, host="127.0.0.2") as media:
        assert crawl(site.url, media.url, db)["counts"]["new"] == 8
        (capture_file,) = captures.captures_dir(db).glob("*.warc.gz")
        posts = index(db, "SELECT p.url, c.offset, c.length FROM posts p JOIN post_versions v "
                          "ON v.post_id = p.id JOIN captures c ON c.record_id = v.capture "
                          "ORDER BY c.offset")
        (image, image_at, image_length), = index(
            db, "SELECT m.url, c.offset, c.length FROM media m JOIN images i ON i.url = m.url "
                "JOIN captures c ON c.record_id = m.capture ORDER BY c.offset LIMIT 1")
        noted = 0
        for settings, damaged in (((), [posts[2], (image, image_at, image_length)]),
                                  (("WIXARCHIVE_REFETCH=true",), [posts[5]])):
            with capture_file.open("r+b") as handle:
                for _, offset, length in damaged:
                    handle.seek(offset + length // 2)
                    byte = handle.read(1)
                    handle.seek(offset + length // 2)
                    handle.write(bytes([byte[0] ^ 0xFF]))
            checked = wixarchive("check", "--db", str(db))
            assert checked.returncode == 1
            for url, offset, _ in damaged:
                assert any(line.startswith(f"Problem: captures: {capture_file}: record at "
                                           f"{offset} ({url}) is damaged: ") and
                           line.endswith("; a crawl of their site captures its posts and "
                                         "images again while it is up (`wixarchive crawl "
                                         "SITE`)") for line in checked.stderr.splitlines()), \
                    checked.stderr
            requests = (len(site.request_log), len(media.request_log))
            counts = crawl(site.url, media.url, db, *settings)["counts"]
            assert counts["recaptured"] == 1 and counts["new"] == counts["changed"] == 0
            post_url = damaged[0][0]
            assert post_url.removeprefix(site.url) in site.request_log[requests[0]:]
            # A full response record, not a revisit of the damaged one.
            assert index(db, "SELECT kind FROM captures WHERE url = ? ORDER BY fetched_at DESC "
                             "LIMIT 1", post_url) == [("response",)]
            if len(damaged) > 1:
                assert image.removeprefix("https://static.wixstatic.com") in \
                    media.request_log[requests[1]:]
            checked = wixarchive("check", "--db", str(db))
            assert checked.returncode == 0, (settings, checked.stderr)
            notes = [line for line in checked.stderr.splitlines() if line.startswith("Note:")]
            noted += len(damaged)  # the records damaged in the first round are still there
            assert len(notes) == noted and all(
                "was captured again since" in line for line in notes)
            result = wixarchive("reextract", "--db", str(db), "--json")
            assert result.returncode == 0, (settings, result.stderr)
            with sqlite3.connect(db) as conn:
                for (record_id,) in conn.execute(
                        "SELECT capture FROM post_versions UNION ALL SELECT capture FROM media "
                        "WHERE status = 'stored'"):
                    captures.read_payload(conn, captures.captures_dir(db), record_id)


def test_capture_files_missing_are_said_so_by_export_stats_and_check(crawled: Path,
                                                                     tmp_path: Path):
    """archive.db copied without its captures folder, or copied to another name beside it."""
    alone = tmp_path / "alone"
    alone.mkdir()
    db = alone / "archive.db"
    shutil.copy(crawled, db)
    records = index(db, "SELECT count(*) FROM captures")[0][0]
    folder = captures.captures_dir(db)

    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(tmp_path / "x.wacz"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: nothing to export: the capture files are missing: {db} indexes them in "
        f"{folder}/, which does not exist; copy that folder beside {db}, or crawl again while "
        "the site is up"]
    folder.mkdir()  # there, but empty: each file and URL named once
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(tmp_path / "x.wacz"))
    assert result.returncode == 1
    named = result.stderr.partition("(")[2].rpartition(")")[0].split("; ")
    assert len(named) > 1 and len(set(named)) == len(named), result.stderr
    folder.rmdir()

    result = wixarchive("stats", "--db", str(db))
    assert (f"Captures: {records} records indexed in 1 file missing from {folder}/ "
            "(run `wixarchive check`)") in result.stdout.splitlines()
    held = json.loads(wixarchive("stats", "--db", str(db), "--json").stdout)["captures"]
    assert (held["files"], held["records"], held["missing_files"], held["missing_records"]) \
        == (0, records, 1, records)

    renamed = crawled.parent / "renamed.db"  # beside archive.captures/, which holds its files
    shutil.copy(crawled, renamed)
    try:
        result = wixarchive("check", "--db", str(renamed))
    finally:
        renamed.unlink()
    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("Problem:")] == [
        f"Problem: captures: 1 capture file indexed is missing from {crawled.parent}/renamed"
        f".captures/ and in {captures.captures_dir(crawled)}/ beside it: rename or move "
        f"{captures.captures_dir(crawled)}/ to {crawled.parent}/renamed.captures/ (the folder "
        "this database uses) rather than crawling again"]


def test_check_beside_a_crawl_indexing_its_file_finds_nothing_lost(tmp_path: Path):
    """`check` took every capture file's size first, then read each file's index rows: a
    crawl that indexed more records of the file it writes in between had them reported cut
    off, "lost from there on, 39 records (9 posts, 30 images ...)", a monitoring script's
    false alarm seen beside a real crawl. Here the real capture writer holds its file open
    and indexes a record just as check reads that file's rows (a statement trace on check's
    connection), as the crawl's index thread would."""
    from archive import fixity
    from archive.store import Archive

    db = tmp_path / "archive.db"
    directory = captures.captures_dir(db)
    writer = captures.CaptureWriter(directory)

    def capture_and_index(archive: Archive, number: int) -> None:
        body = f"<html><body><p>Post {number}</p></body></html>".encode()
        row = writer.write(captures.Exchange(
            f"https://blog.example/post/{number}", "GET", [("Accept", "*/*")], 200,
            [("Content-Type", "text/html")], body, captures.new_record_id()))
        writer.sync()
        with archive.transaction() as conn:
            captures.index_rows(conn, [row])
            captures.mark_file(conn, row.file, writer.size, closed=False)

    try:
        with Archive.open(db) as crawl, Archive.open(db) as check:
            capture_and_index(crawl, 1)
            indexed_meanwhile: list[str] = []

            def trace(statement: str) -> None:
                if "FROM captures WHERE file_id" in statement and not indexed_meanwhile:
                    indexed_meanwhile.append(statement)
                    capture_and_index(crawl, 2)

            check.conn.set_trace_callback(trace)
            problems = fixity.verify(check.conn, directory, notes=[], damaged=[])
            check.conn.set_trace_callback(None)
    finally:
        writer.close()
    assert indexed_meanwhile
    assert problems == []
