"""`wixarchive recover` marks a post its owner deleted as `import` of the same captures does.

A post's 404 counts as a deletion only while the blog still served its other posts (another
post captured after it: archive/importer.py). A web archive often captures an unchanged post
again and again; `collapse=digest` lists only the first of such identical captures, so the
capture that showed the blog alive after the 404 was never seen: the deleted post came back as
"the whole site had gone", not deleted. A real pywb (`wayback` on 127.0.0.1) holds a warcio
WARC of the captures."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.sample_site import SampleBlog
from crawler.sample_site.server import BlogServer
from tests.pywb import MISSING, pywb_bin, wayback
from tests.test_recover_old_blog import write_captures
from tests.webarchives import recover_json, table, wixarchive

SITE = "https://www.quietharbour.example"
GONE = b"<html><body>404</body></html>"


def captures() -> tuple[list[tuple[str, str, int, bytes, list]], str, str]:
    """A post edited, then deleted by its owner (404) while another post, unchanged since its
    first capture, was captured again the next day."""
    blog = SampleBlog(seed=7, post_count=2)
    edited, kept = (post.slug for post in blog.posts)
    server = BlogServer(blog)

    def page(slug: str) -> bytes:
        return server.respond(f"/post/{slug}", base=SITE, record=False).body

    before = page(edited)
    blog.edit_post(edited, paragraphs=["In my practice I sometimes recommend supplements."])
    return [(f"{SITE}/post/{edited}", "2026-09-01T10:00:00Z", 200, before, []),
            (f"{SITE}/post/{kept}", "2026-09-01T10:01:00Z", 200, page(kept), []),
            (f"{SITE}/post/{edited}", "2026-10-15T08:30:00Z", 200, page(edited), []),
            (f"{SITE}/post/{edited}", "2026-10-25T09:00:00Z", 404, GONE, []),
            (f"{SITE}/post/{kept}", "2026-10-26T09:00:00Z", 200, page(kept), [])], \
        f"{SITE}/post/{edited}", f"{SITE}/post/{kept}"


def imported_and_recovered_twice(warc: Path, tmp_path: Path) -> tuple[
        Path, Path, subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`warc` imported into one archive and recovered into another from a pywb replaying it,
    twice (nothing new the second time: nothing fetched again): both archives and both
    recovers' results."""
    imported = tmp_path / "imported.db"
    assert wixarchive("import", str(warc), "--db", str(imported)).returncode == 0
    db = tmp_path / "recovered.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        result = recover_json(SITE, base, db)
        assert result.returncode == 0, result.stderr
        return imported, db, result, recover_json(SITE, base, db)


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_a_post_deleted_while_its_blog_lived_on_is_marked_deleted_by_recover(tmp_path: Path):
    rows, edited, kept = captures()
    warc = tmp_path / "wayback.warc.gz"
    write_captures(warc, rows)
    imported, db, result, again = imported_and_recovered_twice(warc, tmp_path)
    expected = [(edited, "2026-10-25T09:00:00+00:00", "2026-10-15T08:30:00+00:00"),
                (kept, None, "2026-10-26T09:00:00+00:00")]
    sql = "SELECT url, deleted_at, last_seen FROM posts ORDER BY url"
    assert table(imported, sql) == expected
    assert table(db, sql) == expected
    counts = json.loads(result.stdout)["sites"][f"{SITE}/"]
    assert (counts["deleted"], counts["site_gone"], counts["unchanged"]) == (1, 0, 1)
    assert json.loads(again.stdout)["fetched"] == 0


def test_a_deleted_post_says_when_it_was_last_seen_and_when_found_gone(tmp_path: Path):
    """The web archive saw the post on 15 October and its 404 on 25 October: it was deleted
    in between, not on the 25th, which `show` and `history` said ("Deleted from the site:
    2026-10-25…") and a journalist would have quoted as the day of the deletion."""
    rows, edited, _kept = captures()
    warc = tmp_path / "wayback.warc.gz"
    write_captures(warc, rows)
    db = tmp_path / "imported.db"
    assert wixarchive("import", str(warc), "--db", str(db)).returncode == 0
    shown = wixarchive("show", edited, "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert ("Deleted from the site: between 2026-10-15T08:30:00+00:00 (last seen) and "
            "2026-10-25T09:00:00+00:00 (found gone)") in shown.stdout.splitlines()
    found = wixarchive("search", "supplements", "--db", str(db)).stdout.splitlines()
    assert found[1].endswith(" · deleted by 2026-10-25"), found
    listed = wixarchive("history", edited, "--db", str(db))
    assert listed.stdout.splitlines()[2] == (
        "deleted from the site between 2026-10-15T08:30:00+00:00 (last seen) and "
        "2026-10-25T09:00:00+00:00 (found gone)")


def test_a_post_captured_only_as_gone_is_said_so_by_show_and_history(tmp_path: Path):
    """`import` and `recover` name a post URL the web archive captured only as a 404; asked
    for it, `show` and `history` said only "no post", as for a typo."""
    rows, _edited, kept = captures()
    only_gone = f"{SITE}/post/what-the-therapist-wrote-last"
    rows.append((only_gone, "2026-10-26T09:05:00Z", 404, GONE, []))
    warc = tmp_path / "wayback.warc.gz"
    write_captures(warc, rows)
    db = tmp_path / "imported.db"
    assert wixarchive("import", str(warc), "--db", str(db)).returncode == 0
    said = (f"Error: no post {{!r}} in {db}: the only captures of {only_gone} are gone (HTTP "
            "404, the last on 2026-10-26T09:05:00+00:00), never a page: nothing of it is "
            "archived\n")
    for command in ("show", "history"):
        for ref in (only_gone, "what-the-therapist-wrote-last"):
            result = wixarchive(command, ref, "--db", str(db))
            assert (result.returncode, result.stderr) == (1, said.format(ref))
    typo = wixarchive("show", f"{SITE}/post/no-such-post", "--db", str(db))
    assert typo.stderr == f"Error: no post '{SITE}/post/no-such-post' in {db}\n"
    assert wixarchive("show", kept, "--db", str(db)).returncode == 0
    # Captured twice with the same text: one version, and no crawl of a gone blog to await.
    diff = wixarchive("history", kept, "--diff", "1", "2", "--db", str(db))
    assert (diff.returncode, diff.stderr) == (1, (
        "Error: no version 2; this post has only version 1 (every capture of it imported or "
        "recovered so far holds this text)\n"))


def append_revisit(warc: Path, url: str, date: str, status: int) -> None:
    """A revisit record (profile identical-payload-digest, as Heritrix and the Internet
    Archive write) of the latest earlier response at `url` in `warc`, captured at `date`."""
    with warc.open("rb") as handle:
        original = [(r.rec_headers.get_header("WARC-Payload-Digest"),
                     r.rec_headers.get_header("WARC-Date"))
                    for r in ArchiveIterator(handle) if r.rec_type == "response"
                    and r.rec_headers.get_header("WARC-Target-URI") == url][-1]
    with warc.open("ab") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders(f"{status} X", [("Content-Type", "text/html; charset=utf-8")],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_revisit_record(
            url, digest=original[0], refers_to_uri=url, refers_to_date=original[1],
            http_headers=headers, warc_headers_dict={"WARC-Date": date}))


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_a_revisit_record_shows_the_blog_still_there_and_the_post_still_gone(tmp_path: Path):
    """The Internet Archive stores a capture identical to an earlier one as a revisit record,
    listed by its CDX as mimetype `warc/revisit` with no status. Here the kept post's only
    capture after the deleted one's 404 is such a revisit, and so is the deleted one's later
    404: recover left both out (its listing asks for 200 HTML pages and 404s), so the 404 was
    read as the whole site gone ("site_gone": 1, not deleted) and the post last seen on
    2026-09-01. `import` of the same WARC resolves revisits: recover agrees with it now."""
    rows, edited, kept = captures()
    rows = [row for row in rows if row[1] != "2026-10-26T09:00:00Z"]  # the later kept page
    warc = tmp_path / "wayback.warc.gz"
    write_captures(warc, rows)
    append_revisit(warc, kept, "2026-10-26T09:00:00Z", 200)
    append_revisit(warc, edited, "2026-10-27T09:00:00Z", 404)
    imported, db, result, again = imported_and_recovered_twice(warc, tmp_path)
    sql = "SELECT url, deleted_at, last_seen, version FROM posts ORDER BY url"
    expected = [(edited, "2026-10-27T09:00:00+00:00", "2026-10-15T08:30:00+00:00", 2),
                (kept, None, "2026-10-26T09:00:00+00:00", 1)]
    assert table(imported, sql) == expected
    assert table(db, sql) == expected
    summary = json.loads(result.stdout)
    counts = summary["sites"][f"{SITE}/"]
    assert (counts["deleted"], counts["site_gone"], counts["unchanged"]) == (1, 0, 1)
    assert (summary["listed"], summary["fetched"], summary["missing"]) == (6, 6, 0)
    assert json.loads(again.stdout)["fetched"] == 0
