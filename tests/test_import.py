"""`wixarchive import`: web archives made by other tools (Debian's wget, warcio, py-wacz) of the
sample blog served on 127.0.0.1, at two moments with posts edited, deleted and added between
them, imported into an archive: every post ever captured, versions = distinct clean contents,
a second import adds nothing, damaged and foreign files handled."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.discover.urls import is_post_url
from crawler.extract import extract_article
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.files import pdf_bytes
from crawler.sample_site.server import media_bytes
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import (
    REALWORLD,
    change_between_captures,
    distinct_contents,
    payloads,
    post_pages,
    realworld_pages,
    revisits,
    serve_pages,
    table,
    wget_blog_as_shown,
    wget_urls,
    wget_warc,
    wixarchive,
    write_warc,
)

pytestmark = pytest.mark.skipif(shutil.which("wget") is None,
                                reason="Debian's wget is not installed (.ci/run installs it)")






@pytest.fixture(scope="module")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two wget WARCs of one blog: before and after 3 edits, 2 deletions and 1 new post."""
    work = tmp_path_factory.mktemp("snapshots")
    blog = SampleBlog(seed=11, post_count=40)
    with serve_blog(blog) as server:
        first = wget_warc(server.url, work / "first", work / "mirror")
        slugs = [post.slug for post in blog.posts]
        edited, deleted, added = change_between_captures(blog)
        time.sleep(1.1)  # WARC-Date has whole seconds in wget's records
        # Pages no longer linked are fetched too, as a mirror of known URLs would: 404s.
        gone = [f"{server.url}/post/{slug}" for slug in deleted]
        second = wget_warc(server.url, work / "second", work / "mirror", "--warc-cdx", *gone)
        time.sleep(1.1)
        # Again with nothing changed: payloads the second capture holds become revisit
        # records (wget's --warc-dedup), which must resolve to them.
        third = wget_warc(server.url, work / "third", work / "mirror",
                          f"--warc-dedup={work / 'second.cdx'}", *gone)
        base = server.url
    return {"first": first, "second": second, "third": third, "base": base, "slugs": slugs,
            "edited": edited, "deleted": deleted, "added": added, "work": work}




def test_two_wget_snapshots_given_out_of_order_import_every_version_once(
        snapshots: dict, tmp_path: Path):
    db = tmp_path / "archive.db"
    base = snapshots["base"]
    started = time.perf_counter()
    # The later capture first: versions still follow capture time.
    result = wixarchive("import", str(snapshots["third"]), str(snapshots["second"]),
                        str(snapshots["first"]), "--db", str(db), "--json")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    contents = distinct_contents(snapshots["first"], snapshots["second"])
    assert sum(is_post_url(url) for url in revisits(snapshots["third"])) >= 30
    assert summary["unresolved"] == 0
    ever = {f"{base}/post/{slug}" for slug in [*snapshots["slugs"], snapshots["added"]]}
    assert set(contents) == ever  # wget captured every post that ever existed
    site = summary["sites"][f"{base}/"]
    assert site["posts"] == len(ever)
    assert site["new_posts"] == len(ever)
    assert site["deleted"] == len(snapshots["deleted"])
    print(f"imported {len(ever)} posts, "
          f"{sum(len(c) for c in contents.values())} versions in {elapsed:.2f}s")

    # Versions = distinct clean contents, per post, dated in capture order.
    versions: dict[str, list[tuple[int, str, str]]] = {}
    for url, version, fetched_at, digest, source, capture in table(
            db, "SELECT p.url, v.version, v.fetched_at, v.content_hash, v.source, v.capture "
                "FROM post_versions v JOIN posts p ON p.id = v.post_id ORDER BY v.version"):
        assert source == "import" and capture
        versions.setdefault(url, []).append((version, fetched_at, digest))
    assert {url: {d for _, _, d in vs} for url, vs in versions.items()} == contents
    for slug in snapshots["edited"]:
        history = versions[f"{base}/post/{slug}"]
        assert len(history) == 2 and history[0][1] < history[1][1]
    current = dict(table(db, "SELECT url, body FROM posts"))
    for slug in snapshots["edited"]:
        assert current[f"{base}/post/{slug}"].startswith("Rewritten:")
    gone = {url for (url,) in table(db, "SELECT url FROM posts WHERE deleted_at IS NOT NULL")}
    assert gone == {f"{base}/post/{slug}" for slug in snapshots["deleted"]}
    # Each version's capture is in the capture index, with the import as its source.
    assert table(db, "SELECT count(*) FROM post_versions v LEFT JOIN captures c "
                     "ON c.record_id = v.capture WHERE c.source IS NOT 'import'") == [(0,)]

    # A second import of the same files adds nothing.
    before = [table(db, f"SELECT count(*) FROM {t}") for t in ("captures", "post_versions")]
    files_before = sorted(p.name for p in db.with_suffix(".captures").iterdir())
    again = wixarchive("import", *(str(snapshots[k]) for k in ("first", "second", "third")),
                       "--db", str(db), "--json")
    assert again.returncode == 0, again.stderr
    repeat = json.loads(again.stdout)
    assert repeat["already"] == before[0][0][0]  # every record stored is known by its ID
    assert repeat["sites"] == {}
    assert [table(db, f"SELECT count(*) FROM {t}")
            for t in ("captures", "post_versions")] == before
    assert sorted(p.name for p in db.with_suffix(".captures").iterdir()) == files_before

    # The imported captures work like crawled ones: re-extraction from them, with no site.
    reextracted = wixarchive("reextract", "--db", str(db), "--json")
    assert reextracted.returncode == 0, reextracted.stderr
    assert json.loads(reextracted.stdout) == {"posts": len(ever), "changed": 0, "refreshed": 0,
                                              "failed": 0, "without_capture": 0}
    check = wixarchive("check", "--db", str(db))
    assert check.returncode == 0, check.stdout + check.stderr


def test_what_an_import_stores_after_an_export_is_in_the_next_incremental_one(
        snapshots: dict, tmp_path: Path):
    """An import dates what it stores by its web archive's captures (the versions, the
    deletions its 404s show): all before an export taken between two imports, so
    `export --changed-since` of that export's time left out every change the second import
    brought. They are what the archive stored since (posts.recorded_at); and an older web
    archive imported last puts its versions into the posts' histories, which come too."""
    from tests.outputs import next_second

    db, base = tmp_path / "archive.db", snapshots["base"]
    assert wixarchive("import", str(snapshots["first"]), "--db", str(db)).returncode == 0
    exported = next_second()
    assert wixarchive("import", str(snapshots["second"]), "--db", str(db)).returncode == 0
    # Every date the import wrote is its captures'.
    [(last_changed, deleted_at)] = table(db, "SELECT max(last_changed), max(deleted_at) "
                                             "FROM posts")
    assert last_changed < exported and deleted_at < exported

    def changed_since(when: str, *options: str) -> list[tuple[str, int, str | None]]:
        done = wixarchive("export", "--db", str(db), "--changed-since", when, *options,
                          "--format", "jsonl", "-")
        assert done.returncode == 0, done.stderr
        return sorted((row["url"].removeprefix(f"{base}/post/"), row["version"],
                       row["deleted_at"] and "deleted")
                      for row in map(json.loads, done.stdout.splitlines()))

    assert changed_since(exported) == sorted(
        [(slug, 2, None) for slug in snapshots["edited"]]
        + [(slug, 1, "deleted") for slug in snapshots["deleted"]]
        + [(snapshots["added"], 1, None)])
    # The first web archive imported again into another archive, after the second: the
    # edited posts get their older version inserted before the current one.
    older = tmp_path / "older.db"
    assert wixarchive("import", str(snapshots["second"]), "--db", str(older)).returncode == 0
    exported = next_second()
    assert wixarchive("import", str(snapshots["first"]), "--db", str(older)).returncode == 0
    db = older
    inserted = changed_since(exported, "--versions")
    assert {(slug, 1, None) for slug in snapshots["edited"]} <= set(inserted)


def test_older_archives_imported_after_newer_ones_give_the_same_history(snapshots: dict,
                                                                         tmp_path: Path):
    """The third, second and first captures imported by three commands, newest first: the
    same versions with the same dates as one import of all three."""
    files = [str(snapshots[k]) for k in ("first", "second", "third")]
    whole, split = tmp_path / "whole.db", tmp_path / "split.db"
    assert wixarchive("import", *files, "--db", str(whole)).returncode == 0
    for path in reversed(files):
        result = wixarchive("import", path, "--db", str(split), "--json")
        assert result.returncode == 0, result.stderr
    site = json.loads(result.stdout)["sites"][snapshots["base"] + "/"]
    assert site["new_versions"] == len(snapshots["edited"])  # the older contents, inserted
    assert site["older"] == 0
    versions = ("SELECT p.url, v.version, v.fetched_at, v.content_hash FROM post_versions v "
                "JOIN posts p ON p.id = v.post_id ORDER BY 1, 2")
    assert table(split, versions) == table(whole, versions)
    posts = ("SELECT url, version, first_seen, content_hash, deleted_at IS NOT NULL FROM posts "
             "ORDER BY 1")
    assert table(split, posts) == table(whole, posts)
    # (deleted_at itself may differ: the third capture's 404s are revisits of the second's,
    # unreadable while the second is not imported, so the split import dates the deletion
    # from the second capture.)
    history = wixarchive("history", f"{snapshots['base']}/post/{snapshots['edited'][0]}",
                         "--db", str(split))
    assert history.returncode == 0, history.stderr


def test_a_truncated_warc_imports_the_records_before_the_damage(snapshots: dict,
                                                                tmp_path: Path):
    whole = snapshots["first"].read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole[:len(whole) // 2])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(cut), "--db", str(db), "--json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and str(cut) in errors[0] and "offset" in errors[0]
    imported = json.loads(result.stdout)["sites"][snapshots["base"] + "/"]["new_posts"]
    assert 0 < imported < len(post_pages(snapshots["first"]))
    assert table(db, "SELECT count(*) FROM posts") == [(imported,)]

    # Bytes overwritten in the middle (a bad disk block): the records before it are imported.
    damaged = bytearray(whole)
    damaged[len(whole) // 2:len(whole) // 2 + 64] = b"\0" * 64
    corrupt = tmp_path / "corrupt.warc.gz"
    corrupt.write_bytes(bytes(damaged))
    result = wixarchive("import", str(corrupt), "--db", str(tmp_path / "corrupt.db"), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Error: {corrupt}: damaged at offset" in result.stderr
    assert json.loads(result.stdout)["sites"][snapshots["base"] + "/"]["new_posts"] > 0

    # An uncompressed WARC cut inside a record: same.
    plain = tmp_path / "cut.warc"
    plain.write_bytes(gzip.decompress(whole)[:len(gzip.decompress(whole)) // 3])
    result = wixarchive("import", str(plain), "--db", str(tmp_path / "plain.db"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{plain}: the file ends inside a record at offset" in result.stderr


def test_a_plain_warc_and_one_gzipped_whole_import_like_the_original(snapshots: dict,
                                                                       tmp_path: Path):
    """`gunzip` and `gzip` of a WARC as people do: no per-record gzip members."""
    plain_bytes = gzip.decompress(snapshots["first"].read_bytes())
    expected = len(snapshots["slugs"])
    for name, data in [("plain.warc", plain_bytes), ("whole.warc.gz", gzip.compress(plain_bytes))]:
        path = tmp_path / name
        path.write_bytes(data)
        result = wixarchive("import", str(path), "--db", str(tmp_path / f"{name}.db"), "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["sites"][snapshots["base"] + "/"]["new_posts"] == expected
    cut = tmp_path / "whole-cut.warc.gz"
    cut.write_bytes(gzip.compress(plain_bytes)[:len(gzip.compress(plain_bytes)) // 2])
    result = wixarchive("import", str(cut), "--db", str(tmp_path / "cut.db"), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Error: {cut}: damaged at offset" in result.stderr
    assert 0 < json.loads(result.stdout)["sites"][snapshots["base"] + "/"]["new_posts"] < expected


def test_not_a_web_archive_is_one_clear_line(snapshots: dict, tmp_path: Path):
    text = tmp_path / "notes.txt"
    text.write_text("these are my notes, not a WARC\n" * 20)
    result = wixarchive("import", str(text), "--db", str(tmp_path / "archive.db"))
    assert result.returncode == 1
    # Refused before reading: no summary of nothing imported, no archive created.
    assert result.stdout == ""
    assert result.stderr.strip() == f"Error: {text} is not a WARC, WARC.gz or WACZ file"
    assert not (tmp_path / "archive.db").exists()
    missing = tmp_path / "missing.warc.gz"
    result = wixarchive("import", str(text), str(missing), "--db", str(tmp_path / "archive.db"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: none of the 2 files can be imported: {text} is not a WARC, WARC.gz or WACZ "
        f"file; cannot read {missing}: No such file or directory"]
    # Given with good files: those are imported all the same.
    result = wixarchive("import", str(text), str(snapshots["first"]), str(missing),
                        "--db", str(tmp_path / "archive.db"), "--json")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: {text} is not a WARC, WARC.gz or WACZ file", f"Error: no such file: {missing}"]
    site = json.loads(result.stdout)["sites"][snapshots["base"] + "/"]
    assert site["new_posts"] == len(snapshots["slugs"])



def test_files_without_a_post_fail_and_leave_no_archive_or_the_old_one_as_it_was(
        tmp_path: Path):
    warc = tmp_path / "bakery.warc.gz"
    write_warc(warc, [("http://bakery.example/", b"<html><body><h1>Bakery</h1><p>Fresh "
                                                 b"bread.</p></body></html>", "text/html")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db))
    assert result.returncode == 1
    assert result.stdout == ("1 file, 1 response (and 0 other records): 0 imported before, "
                             "1 not post pages, 0 at post URLs not extracted as posts\n")
    assert result.stderr == (f"Error: no Wix blog posts found in {warc}: no archive created "
                             f"at {db}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bakery.warc.gz"]
    # An archive that was there stays as it was, byte for byte.
    blog = SampleBlog(seed=6, post_count=2)
    with serve_blog(blog) as server:
        post = server.url + blog.posts[0].url_path
        write_warc(tmp_path / "post.warc.gz",
                   [(post, server.respond(blog.posts[0].url_path).body, "text/html")])
    assert wixarchive("import", str(tmp_path / "post.warc.gz"), "--db",
                      str(db)).returncode == 0
    before = db.read_bytes()
    again = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert again.returncode == 1 and json.loads(again.stdout)["sites"] == {}
    assert again.stderr == f"Error: no Wix blog posts found in {warc}: nothing imported into {db}\n"
    assert db.read_bytes() == before


def test_one_file_and_one_post_read_in_the_singular(tmp_path: Path):
    blog = SampleBlog(seed=6, post_count=2)
    with serve_blog(blog) as server:
        post = server.url + blog.posts[0].url_path
        write_warc(tmp_path / "post.warc.gz",
                   [(post, server.respond(blog.posts[0].url_path).body, "text/html")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(tmp_path / "post.warc.gz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "1 file, 1 response (and 0 other records): 0 imported before, 0 not post pages, 0 at "
        "post URLs not extracted as posts",
        f"{server.url}/: 1 post captured; 1 new, 0 new versions, 0 captures unchanged, "
        "0 images"]
    stats = wixarchive("stats", "--db", str(db))
    assert "revisits in 1 WARC file, " in stats.stdout, stats.stdout


def test_posts_under_a_renamed_url_prefix_are_imported_with_their_deletions(tmp_path: Path):
    """Wix lets owners rename /post/ (SEO settings): two wget captures of a blog whose posts
    are at /articles/<slug>, with edits, deletions (404s) and a new post between them."""
    blog = SampleBlog(seed=29, post_count=30, post_prefix="articles")
    with serve_blog(blog) as server:
        base = server.url
        first = wget_warc(base, tmp_path / "first", tmp_path / "mirror")
        slugs = [post.slug for post in blog.posts]
        edited, deleted, added = change_between_captures(blog)
        time.sleep(1.1)  # WARC-Date has whole seconds in wget's records
        second = wget_warc(base, tmp_path / "second", tmp_path / "mirror",
                           *[f"{base}/articles/{slug}" for slug in deleted])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(first), str(second), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    ever = {f"{base}/articles/{slug}" for slug in [*slugs, added]}
    site = summary["sites"][f"{base}/"]
    assert (site["posts"], site["new_posts"], site["new_versions"], site["deleted"]) == (
        len(ever), len(ever), len(edited), len(deleted))
    assert summary["not_posts"] == summary["unresolved"] == 0
    assert summary["skipped"] > 0  # the home, listing and category pages
    assert {url for (url,) in table(db, "SELECT url FROM posts")} == ever
    assert table(db, "SELECT count(*) FROM post_versions") == [(len(ever) + len(edited),)]
    gone = {url for (url,) in table(db, "SELECT url FROM posts WHERE deleted_at IS NOT NULL")}
    assert gone == {f"{base}/articles/{slug}" for slug in deleted}
    again = wixarchive("import", str(first), str(second), "--db", str(db), "--json")
    assert json.loads(again.stdout)["sites"] == {}


def test_a_record_whose_target_does_not_parse_is_left_out_and_the_rest_imported(
        tmp_path: Path):
    blog = SampleBlog(seed=6, post_count=2)
    with serve_blog(blog) as server:
        url = server.url + blog.posts[0].url_path
        page = server.respond(blog.posts[0].url_path).body
    warc = tmp_path / "odd.warc.gz"
    write_warc(warc, [("http://[bad/post/x", page, "text/html"), (url, page, "text/html")])
    result = wixarchive("import", str(warc), "--db", str(tmp_path / "archive.db"), "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["records"], summary["other_records"]) == (1, 1)
    assert summary["sites"][server.url + "/"]["new_posts"] == 1


def served_post(blog: SampleBlog, post: Any) -> tuple[str, str, bytes]:
    """The sample blog's base URL, the post's URL and its page, as a browser fetched it."""
    with serve_blog(blog) as server:
        url = server.url + post.url_path
        with urllib.request.urlopen(url) as response:
            return server.url, url, response.read()


def test_images_captured_in_the_files_are_linked(tmp_path: Path):
    """A post page, then (another file, imported later) its images: one at its original
    static.wixstatic.com address, one only as a /v1/fill/ rendition, as a browser fetched it."""
    blog = SampleBlog(seed=4, post_count=3)
    post = blog.posts[0]
    base, url, page = served_post(blog, post)
    original, rendered = post.expected()["images"][:2]
    rendered_id = rendered.rsplit("/", 1)[-1]
    rendition = f"{rendered}/v1/fill/w_300,h_200,al_c,q_80/{rendered_id}"
    write_warc(tmp_path / "page.warc.gz", [(url, page, "text/html; charset=utf-8")])
    write_warc(tmp_path / "images.warc.gz", [
        (original, media_bytes(original.rsplit("/", 1)[-1]), "image/jpeg"),
        (rendition, media_bytes(rendered_id), "image/jpeg"),
        ("https://static.wixstatic.com/media/unused~mv2.jpg", b"\xff\xd8 other", "image/jpeg")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(tmp_path / "page.warc.gz"), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sites"][base + "/"]["images"] == 0
    result = wixarchive("import", str(tmp_path / "images.warc.gz"), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sites"] == {base + "/": {
        "posts": 0, "new_posts": 0, "new_versions": 0, "unchanged": 0, "earlier": 0,
        "older": 0, "deleted": 0, "site_gone": 0, "images": 2, "renditions": 1, "files": 0}}
    assert summary["skipped"] == 1  # the image no post uses
    stored = table(db, "SELECT m.url, c.url, c.payload_length FROM media m JOIN captures c "
                       "ON c.record_id = m.capture WHERE m.status = 'stored'")
    # The rendition stands for its image at full size, and is kept under its own URL too (as
    # `crawl --page-requisites` keeps it), in one capture.
    assert sorted(stored) == sorted([
        (original, original, len(media_bytes(original.rsplit("/", 1)[-1]))),
        (rendered, rendition, len(media_bytes(rendered_id))),
        (rendition, rendition, len(media_bytes(rendered_id)))])
    assert table(db, "SELECT count(*) FROM captures") == [(3,)]
    again = wixarchive("import", str(tmp_path / "images.warc.gz"), "--db", str(db), "--json")
    assert json.loads(again.stdout)["sites"] == {}


def test_a_wacz_then_a_warc_of_revisits_resolves_them_from_the_archive(snapshots: dict,
                                                                        tmp_path: Path):
    """The first two captures packaged by py-wacz (`wacz create`), imported; then the third
    wget WARC alone, whose revisit records point at payloads only the archive now holds."""
    wacz = tmp_path / "captures.wacz"
    made = subprocess.run([str(Path(sys.executable).with_name("wacz")), "create", "-o",
                           str(wacz), str(snapshots["first"]), str(snapshots["second"])],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    db = tmp_path / "archive.db"
    first = wixarchive("import", str(wacz), "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    base = snapshots["base"] + "/"
    site = json.loads(first.stdout)["sites"][base]
    assert site["new_posts"] == len(snapshots["slugs"]) + 1
    assert site["new_versions"] == len(snapshots["edited"])
    third = wixarchive("import", str(snapshots["third"]), "--db", str(db), "--json")
    assert third.returncode == 0, third.stderr
    summary = json.loads(third.stdout)
    assert summary["unresolved"] == 0
    site = summary["sites"][base]
    assert site["new_posts"] == site["new_versions"] == 0
    assert site["unchanged"] == len(snapshots["slugs"]) + 1 - len(snapshots["deleted"])
    contents = distinct_contents(snapshots["first"], snapshots["second"])
    assert table(db, "SELECT count(*) FROM post_versions") == [
        (sum(len(c) for c in contents.values()),)]
    assert table(db, "SELECT count(*) FROM captures WHERE kind = 'revisit'")[0][0] >= 1

    # The WACZ cut short (its zip directory lost with its end): its WARCs are found by their
    # local headers, and the records before the cut are imported.
    cut = tmp_path / "cut.wacz"
    cut.write_bytes(wacz.read_bytes()[:wacz.stat().st_size * 3 // 5])
    result = wixarchive("import", str(cut), "--db", str(tmp_path / "cut.db"), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"Error: {cut} (archive/")
    assert "offset" in errors[0]
    assert json.loads(result.stdout)["sites"][base]["new_posts"] > 0


def test_an_import_killed_midway_is_completed_by_the_next(snapshots: dict, tmp_path: Path):
    """SIGKILL once the import has written captures but before it committed their versions:
    the next import indexes the written records (capture recovery) and still makes the
    versions, rather than taking them for imported."""
    db = tmp_path / "archive.db"
    files = [str(snapshots[k]) for k in ("first", "second", "third")]
    process = subprocess.Popen([sys.executable, "-m", "archive.cli", "import", *files,
                                "--db", str(db)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    directory = db.with_suffix(".captures")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.stat().st_size > 0 for p in directory.glob("*.warc.gz")):
            break
        time.sleep(0.005)
    process.kill()
    process.wait()
    assert table(db, "SELECT count(*) FROM post_versions") == [(0,)]  # killed in between

    result = wixarchive("import", *files, "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    # The same versions, with the same dates, as an import never interrupted makes.
    whole = tmp_path / "whole.db"
    assert wixarchive("import", *files, "--db", str(whole)).returncode == 0
    versions = ("SELECT p.url, v.version, v.fetched_at, v.content_hash FROM post_versions v "
                "JOIN posts p ON p.id = v.post_id ORDER BY 1, 2")
    assert table(db, versions) == table(whole, versions)
    again = wixarchive("import", *files, "--db", str(db), "--json")
    assert json.loads(again.stdout)["sites"] == {}
    check = wixarchive("check", "--db", str(db))
    assert check.returncode == 0, check.stdout + check.stderr


def test_real_wix_pages_captured_by_wget_are_imported_as_their_truth_says(tmp_path: Path):
    """The real Wix post pages of ../shared/realworld, served on 127.0.0.1 at
    /<host>/post/<slug> and captured by wget: each page the truth records is imported with its
    title and author."""
    # At /<host>/post/<slug>.
    pages = {"/" + name.replace("__", "/post/", 1): page
             for name, page in realworld_pages().items()}
    if not pages:
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    with serve_pages({path: html for path, (html, _) in pages.items()}) as base:
        wget_urls([base + path for path in pages], tmp_path / "real", tmp_path / "mirror")
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(tmp_path / "real.warc.gz"), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    # Each post as the normal pipeline extracts it from the page; titles as the truth says.
    archived = {url: (title, digest) for url, title, digest in
                table(db, "SELECT url, title, content_hash FROM posts")}
    assert summary["not_posts"] + len(archived) == len(pages)
    assert summary["not_posts"] <= 1  # the corpus's one page that is not a post, if any
    for path, (html, truth) in pages.items():
        url = base + path
        article = extract_article(html, url)
        if article.page_kind != "post":
            assert url not in archived
            continue
        assert archived[url] == (article.title, article.content_hash()), url
        assert " ".join(article.title.split()) == " ".join(truth["title"].split()), url


def test_wixarchive_own_captures_import_as_the_crawl_archived_them(tmp_path: Path):
    """The captures a crawl wrote, imported into a new archive: the same posts and contents;
    imported back into the crawl's own archive: nothing (they are its own records)."""
    blog = SampleBlog(seed=8, post_count=15)
    crawled = tmp_path / "crawled.db"
    with serve_blog(blog) as server:
        result = wixarchive("crawl", server.url, "--db", str(crawled), "--delay", "0",
                            "--no-autothrottle", "--no-media")
        assert result.returncode == 0, result.stderr
    files = [str(p) for p in sorted(crawled.with_suffix(".captures").glob("*.warc.gz"))]
    imported = tmp_path / "imported.db"
    result = wixarchive("import", *files, "--db", str(imported), "--json")
    assert result.returncode == 0, result.stderr
    posts = "SELECT url, title, content_hash FROM posts ORDER BY 1"
    assert table(imported, posts) == table(crawled, posts)
    assert len(table(imported, posts)) == 15
    again = wixarchive("import", *files, "--db", str(crawled), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["sites"] == {}


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """wget's capture of a blog with documents and videos, with every image size its pages
    show (--page-requisites), and a WARC of one of its videos; the blog is gone after."""
    work = tmp_path_factory.mktemp("shown")
    blog = SampleBlog(seed=3, post_count=12, attachments=True)
    captured = wget_blog_as_shown(blog, work)
    documents = {captured["site"] + d.lstrip("/"): pdf_bytes(d.split("/")[-1][:-4])
                 for post in blog.posts for d in post.documents}
    assert len(documents) >= 3 and sum(map(bool, captured["named"].values())) >= 3
    videos = len({v for post in blog.posts for v in post.videos})
    return {**captured, "documents": documents, "videos": videos, "work": work}


def test_documents_videos_and_every_image_size_captured_are_kept_with_their_posts(
        shown: dict, tmp_path: Path):
    """Imported, the archive holds what the crawl would: the documents (and the video) the
    posts link as stored media, and every size of the posts' images the capture holds under
    its own URL (as `crawl --page-requisites`); so the Markdown export puts the files beside
    the posts, and the WACZ export holds every image a post page names."""
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(shown["warc"]), str(shown["video_warc"]), "--db", str(db),
                        "--json")
    assert result.returncode == 0, result.stderr
    stats = wixarchive("stats", "--db", str(db))
    documents = len(shown["documents"])
    assert f"documents: {documents} ({documents} archived)" in stats.stdout, stats.stdout
    assert f"Videos: {shown['videos']} (1 archived)" in stats.stdout, stats.stdout
    counts = json.loads(result.stdout)["sites"][shown["site"]]
    assert counts["files"] == len(shown["documents"]) + 1
    captured = {url for url in payloads(shown["warc"]) if "/v1/" in url}
    named = {url for urls in shown["named"].values() for url in urls}
    assert named <= captured  # wget took each srcset candidate, the pages' own choice too
    assert counts["renditions"] == len(captured)
    stored = {url for (url,) in table(db, "SELECT url FROM media WHERE status = 'stored'")}
    assert captured <= stored
    assert {*shown["documents"], shown["video"]} <= stored

    markdown = wixarchive("export", "--format", "markdown", str(tmp_path / "md"), "--db",
                          str(db))
    assert markdown.returncode == 0, markdown.stderr
    files = {path.read_bytes() for path in (tmp_path / "md").rglob("files/*.pdf")}
    assert files == set(shown["documents"].values())
    texts = "".join(path.read_text() for path in (tmp_path / "md").rglob("*.md"))
    assert "/_files/ugd/" not in texts and texts.count("](files/") >= documents

    out = tmp_path / "blog.wacz"
    result = wixarchive("export", "--format", "wacz", str(out), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["images_with_renditions"] == summary["images_shown"] > 0
    assert summary["renditions"] == len(captured) and not summary["renditions_missing"]
    with zipfile.ZipFile(out) as package, package.open("archive/data.warc.gz") as warc:
        packaged = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(warc)
                    if r.rec_type in ("response", "revisit")}
    assert named <= packaged
    said = wixarchive("export", "--format", "wacz", str(out), "--db", str(db))
    assert "Note:" not in said.stderr, said.stderr

    again = wixarchive("import", str(shown["warc"]), str(shown["video_warc"]), "--db",
                       str(db), "--json")
    assert json.loads(again.stdout)["sites"] == {}


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_an_imported_blog_exported_as_wacz_replays_the_images_its_pages_name(shown: dict,
                                                                          tmp_path: Path):
    """pywb replays the WACZ of the imported blog: every image URL a post page names answers
    with the bytes the capture holds, as the source capture did."""
    db = tmp_path / "archive.db"
    assert wixarchive("import", str(shown["warc"]), "--db", str(db)).returncode == 0
    out = tmp_path / "blog.wacz"
    assert wixarchive("export", "--format", "wacz", str(out), "--db", str(db)).returncode == 0
    held = payloads(shown["warc"])
    with wayback(tmp_path / "pywb", waczs=[out]) as replay:
        for page, images in shown["named"].items():
            stamp = "".join(ch for ch in table(db, "SELECT fetched_at FROM captures WHERE "
                                                   f"url = '{page}'")[0][0] if ch.isdigit())
            for url in images:
                with urllib.request.urlopen(f"{replay}{stamp[:14]}id_/{url}") as answer:
                    assert answer.read() == held[url], url


def test_an_imported_blog_without_its_images_as_shown_says_so_without_a_crawl(snapshots: dict,
                                                                           tmp_path: Path):
    """wget without --page-requisites captured no image: the WACZ note says what the archive
    holds, and that the files imported did not hold the rest; a re-crawl of a blog that may be
    gone is not offered."""
    db = tmp_path / "archive.db"
    assert wixarchive("import", str(snapshots["first"]), "--db", str(db)).returncode == 0
    result = wixarchive("export", "--format", "wacz", str(tmp_path / "a.wacz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    shown_count = table(db, "SELECT count(*) FROM (SELECT url FROM images GROUP BY url "
                            "HAVING min(is_cover) = 0)")[0][0]
    assert notes == [f"Note: none of the {shown_count} images the posts show is archived, "
                     "neither at full size nor at the sizes their pages name, so they stay "
                     "blank inside a replayed post (the web archives imported or recovered "
                     "from did not hold them)."], result.stderr


def test_a_wixarchive_wacz_with_documents_imports_them(tmp_path: Path):
    """A crawl that fetched the posts' documents (`--media-kinds documents`), exported as a
    WACZ, imported into a new archive: the documents are archived there too."""
    blog = SampleBlog(seed=5, post_count=6, attachments=True)
    crawled = tmp_path / "crawled.db"
    with serve_blog(blog) as server:
        result = wixarchive("crawl", server.url, "--db", str(crawled), "--delay", "0",
                            "--no-autothrottle", "--media-kinds", "documents")
        assert result.returncode == 0, result.stderr
    documents = len({d for post in blog.posts for d in post.documents})
    assert documents >= 1
    archived = f"documents: {documents} ({documents} archived)"
    assert archived in wixarchive("stats", "--db", str(crawled)).stdout
    out = tmp_path / "blog.wacz"
    assert wixarchive("export", "--format", "wacz", str(out), "--db", str(crawled)).returncode == 0
    imported = tmp_path / "imported.db"
    result = wixarchive("import", str(out), "--db", str(imported), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sites"][server.url + "/"]["files"] == documents
    assert archived in wixarchive("stats", "--db", str(imported)).stdout
    files = "SELECT url, payload_digest FROM media WHERE status = 'stored' ORDER BY 1"
    assert table(imported, files) == table(crawled, files)


def test_an_image_over_the_media_cap_is_named_and_kept_with_a_larger_max_media_mb(
        tmp_path: Path):
    """The import caps a file as a crawl does (25 MB by default): an archive made by a crawl
    with a larger --max-media-mb is imported whole with the same option."""
    blog = SampleBlog(seed=4, post_count=2)
    post = blog.posts[0]
    base, url, page = served_post(blog, post)
    image = post.expected()["images"][0]
    big = b"\xff\xd8\xff\xe0" + b"\0" * (26 * 2**20)
    warc = tmp_path / "blog.warc.gz"
    write_warc(warc, [(url, page, "text/html; charset=utf-8"), (image, big, "image/jpeg")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{image} skipped: file over 25 MiB (--max-media-mb)" in result.stderr
    assert json.loads(result.stdout)["sites"][base + "/"]["new_posts"] == 1
    result = wixarchive("import", str(warc), "--db", str(db), "--max-media-mb", "30", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sites"][base + "/"]["images"] == 1
    assert table(db, "SELECT c.payload_length FROM media m JOIN captures c "
                     "ON c.record_id = m.capture WHERE m.status = 'stored'") == [(len(big),)]
