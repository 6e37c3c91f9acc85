"""`wixarchive recover` of a blog that Wix moved from its old blog (posts at
/single-post/YYYY/MM/DD/<Slug>) to its new one (/post/<slug>, each old URL redirected there),
captured by a web archive under both over the years: each post is one post, its old
captures its older versions, not a second copy of it in the archive and in every export. A
real pywb (`wayback` on 127.0.0.1) holds a warcio WARC of the captures."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.sample_site import SampleBlog
from crawler.sample_site.server import BlogServer
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import table

pytestmark = pytest.mark.skipif(pywb_bin() is None, reason=MISSING)

SITE = "https://www.counsel.example"


def page(blog: SampleBlog, slug: str, old_url: str | None = None) -> bytes:
    body = BlogServer(blog).respond(f"/post/{slug}", base=SITE, record=False).body
    return body.replace(f"{SITE}/post/{slug}".encode(), old_url.encode()) if old_url else body


def write_captures(path: Path, captures: list[tuple[str, str, int, bytes, list]]) -> None:
    """Responses (URL, WARC-Date, status, body, more HTTP headers) written with warcio."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, date, status, body, more in captures:
            headers = StatusAndHeaders(f"{status} X", [
                ("Content-Type", "text/html; charset=utf-8"), *more], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": date}))


def test_old_blog_urls_are_older_versions_of_the_post_wix_moved_them_to(tmp_path: Path):
    old = SampleBlog(seed=11, post_count=3, layout="classic")
    new = SampleBlog(seed=11, post_count=3, layout="new")
    moved, kept, only_old = (post.slug for post in new.posts)
    old.edit_post(moved, title="As it was titled in 2017",
                  paragraphs=["What the post said in 2017, on the old blog."])
    old_url = f"{SITE}/single-post/2017/03/01/{moved.title()}"  # old slugs kept capitals
    only_old_url = f"http://counsel.example/single-post/2017/03/02/{only_old}"
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, [
        (old_url.replace("https://", "http://"), "2017-04-05T12:00:00Z", 200,
         page(old, moved, old_url), []),
        (only_old_url, "2017-04-05T12:01:00Z", 200, page(old, only_old, only_old_url), []),
        (old_url, "2019-06-01T12:00:00Z", 301, b"", [("Location", f"{SITE}/post/{moved}")]),
        (f"{SITE}/post/{moved}", "2019-06-02T12:00:00Z", 200, page(new, moved), []),
        (f"{SITE}/post/{kept}", "2019-06-03T12:00:00Z", 200, page(new, kept), []),
        # Wix's redirect lost when the plan lapsed: the old URL answered 404, the post not gone.
        (old_url, "2022-01-01T12:00:00Z", 404, b"<html><body>404</body></html>", []),
    ])
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        result = subprocess.run(
            [sys.executable, "-m", "archive.cli", "recover", SITE, "--from", base, "--db",
             str(db), "--delay", "0", "--no-images", "--json"],
            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted([
        (f"{SITE}/post/{moved}", None), (f"{SITE}/post/{kept}", None),
        (f"{SITE}/single-post/2017/03/02/{only_old}", None)])
    versions = table(db, "SELECT v.version, v.fetched_at, v.title FROM post_versions v JOIN "
                         f"posts p ON p.id = v.post_id WHERE p.url = '{SITE}/post/{moved}' "
                         "ORDER BY v.version")
    assert [(number, at[:4], title) for number, at, title in versions] == \
        [(1, "2017", "As it was titled in 2017"), (2, "2019", new.posts[0].title)]
    assert json.loads(result.stdout)["old_blog"] == 1
