"""A web archive's 404 at a post marks the post deleted only while the blog still served its
other posts: a blog that lapsed answers 404 at every post, and those posts were not deleted
by their owner. Marked deleted, every one of them became a draft in the Markdown and WXR
exports (Hugo publishes no draft): the whole recovered blog missing from the new site."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.sample_site import SampleBlog, serve_blog
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import recover_json, table, wixarchive


def write_captures(path: Path, captures: list[tuple[str, str, int, bytes]]) -> None:
    """Responses (URL, WARC-Date, status, HTML) written with warcio."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, date, status, body in captures:
            headers = StatusAndHeaders(f"{status} X", [("Content-Type", "text/html")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": date}))


def archived_by(command: str, warc: Path, base: str, db: Path, tmp_path: Path
                ) -> subprocess.CompletedProcess:
    """`import WARC --json` into `db`, or (`command` "recover") `recover BASE --json` from a
    pywb replaying it."""
    if command == "recover":
        with wayback(tmp_path / "pywb", warcs=[warc]) as replay:
            return recover_json(base, replay, db)
    return wixarchive("import", str(warc), "--db", str(db), "--json")


def test_posts_gone_with_their_site_are_not_marked_deleted(tmp_path: Path) -> None:
    blog = SampleBlog(seed=4, post_count=3)
    with serve_blog(blog) as server:
        base = server.url
        pages = {post.slug: server.respond(post.url_path).body for post in blog.posts}
        missing = server.respond("/post/no-such-post").body  # the site's own 404 page
    kept, deleted, last = (f"{base}/post/{slug}" for slug in pages)
    body = dict(zip((kept, deleted, last), pages.values(), strict=True))
    warc = tmp_path / "years.warc.gz"
    never = f"{base}/post/deleted-before-any-capture"
    write_captures(warc, [
        *((url, "2019-06-01T12:00:00Z", 200, body[url]) for url in (kept, deleted, last)),
        (never, "2020-03-01T12:01:00Z", 404, missing),  # no page of it was ever captured
        (deleted, "2020-03-01T12:00:00Z", 404, missing),  # its owner deleted it
        (kept, "2021-05-01T12:00:00Z", 200, body[kept]),
        (last, "2021-05-01T12:05:00Z", 200, body[last]),
        # The plan lapsed: every post answers 404.
        (kept, "2023-01-01T12:00:00Z", 404, b"<html><body>Not found</body></html>"),
        (last, "2023-01-01T12:01:00Z", 404, b"<html><body>Not found</body></html>"),
    ])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted([
        (kept, None), (deleted, "2020-03-01T12:00:00+00:00"), (last, None)])
    counts = json.loads(result.stdout)["sites"][f"{base}/"]
    assert (counts["deleted"], counts["site_gone"]) == (1, 2)
    # A post captured only as a 404 is no post row, but is named (until 2026-12-07: nothing).
    assert json.loads(result.stdout)["captured_only_gone"] == [never]
    said = wixarchive("import", str(warc), "--db", str(tmp_path / "text.db"))
    assert ("1 marked deleted, 2 posts last captured as a 404 once the whole site had gone (no "
            "other post seen since): not marked deleted") in said.stdout, said.stdout
    assert ("1 post URL captured only as gone (404/410), never as a page: nothing to archive"
            in said.stdout)
    assert f"  captured only as gone: {never}" in said.stdout
    # On every run that finds it, as recover does: the same files imported again named
    # nothing (its 404, imported before, was skipped as such; until 2026-12-07).
    again = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["captured_only_gone"] == [never]
    assert json.loads(again.stdout)["sites"] == {}


def test_a_404_at_the_address_a_blog_moved_to_is_counted_under_the_site_archived(
        tmp_path: Path) -> None:
    """A crawl of OLD followed the blog's move and archived its posts at NEW, under the one
    site OLD. A web archive holding only a 404 of one of them at NEW is counted under that
    site: it was a second site, NEW, holding no post, in the --json sites and in the summary
    (with "added a site this archive did not hold"), where the posts' own counts go to OLD."""
    import shutil
    import subprocess
    import sys

    blog = SampleBlog(seed=83, post_count=3)
    db = tmp_path / "blog.db"
    with serve_blog(blog, host="127.0.0.1") as new_home, \
            serve_blog(blog, host="127.0.0.1") as moved:
        moved.moved_to = new_home.url
        old, new = moved.url, new_home.url
        crawled = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", old, "--db", str(db), "--json",
             "--delay", "0", "--no-autothrottle", "--no-media"],
            capture_output=True, text=True, timeout=300)
    assert crawled.returncode == 0, crawled.stderr
    assert table(db, "SELECT url FROM sites") == [(old + "/",)]
    gone = f"{new}/post/{blog.posts[0].slug}"
    assert (gone,) in table(db, "SELECT url FROM posts")
    warc = tmp_path / "later.warc.gz"
    write_captures(warc, [(gone, "2030-01-01T12:00:00Z", 404,
                           b"<html><body>Not found</body></html>")])
    told = tmp_path / "told.db"
    shutil.copy(db, told)
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    sites = json.loads(result.stdout)["sites"]
    assert list(sites) == [old + "/"], sites
    assert sites[old + "/"]["site_gone"] + sites[old + "/"]["deleted"] == 1
    said = wixarchive("import", str(warc), "--db", str(told))
    assert said.returncode == 0, said.stderr
    assert f"\n{old}/: 0 posts captured" in "\n" + said.stdout, said.stdout
    assert f"{new}/:" not in said.stdout and "added a site" not in said.stderr, said


def test_a_404_at_another_letter_case_of_an_archived_post_is_not_named_gone(
        tmp_path: Path) -> None:
    """Wix answers a post's slug in any letter case (its canonical URL lower-case): a 404
    captured at `/post/My-Slug` of a post archived at `/post/my-slug` was named "captured only
    as gone (404/410), never as a page: nothing to archive", in the run importing both and in
    a later one importing the 404 beside another post; a 404 at a slug no post has is still
    named."""
    blog = SampleBlog(seed=4, post_count=2)
    with serve_blog(blog) as server:
        base = server.url
        post, second = blog.posts
        page, second_page = (server.respond(p.url_path).body for p in blog.posts)
        missing = server.respond("/post/no-such-post").body
    url = f"{base}/post/{post.slug}"
    other_case = f"{base}/post/{post.slug.title()}"
    assert other_case != url
    never = f"{base}/post/Never-Archived"
    both, alone = tmp_path / "both.warc.gz", tmp_path / "alone.warc.gz"
    write_captures(both, [(url, "2021-05-01T12:00:00Z", 200, page),
                          (other_case, "2022-01-01T12:00:00Z", 404, missing)])
    write_captures(alone, [(f"{base}/post/{second.slug}", "2022-02-01T11:00:00Z", 200,
                            second_page),
                           (other_case, "2022-02-01T12:00:00Z", 404, missing),
                           (never, "2022-02-01T12:01:00Z", 404, missing)])
    db = tmp_path / "archive.db"
    first = wixarchive("import", str(both), "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["captured_only_gone"] == []
    later = wixarchive("import", str(alone), "--db", str(db), "--json")
    assert later.returncode == 0, later.stderr
    assert json.loads(later.stdout)["captured_only_gone"] == [never]
    assert sorted(table(db, "SELECT url FROM posts")) == sorted([(url,), (
        f"{base}/post/{second.slug}",)])


@pytest.mark.parametrize("command", ["import", "recover"])
def test_a_404_at_another_letter_case_of_a_post_marks_it_deleted_unless_it_lived_after(
        tmp_path: Path, command: str) -> None:
    """Wix serves a post at any letter case of its slug, so a 404 captured at `/post/My-Slug`
    of the post archived at `/post/my-slug`, later than its pages and while the site served
    another post, is that post deleted (until 2026-12-07 it marked nothing). A spelling that
    answered 404 before a page of the post was captured answers 404 while the post lives:
    its later 404 deletes nothing. `recover` (through a real pywb) archives the same."""
    if command == "recover" and pywb_bin() is None:
        pytest.skip(MISSING)
    blog = SampleBlog(seed=4, post_count=3)
    with serve_blog(blog) as server:
        base = server.url
        deleted, lived, other = (f"{base}/post/{p.slug}" for p in blog.posts)
        page = {f"{base}/post/{p.slug}": server.respond(p.url_path).body for p in blog.posts}
        missing = server.respond("/post/no-such-post").body

    def cased(url: str) -> str:
        head, slug = url.rsplit("/", 1)
        return f"{head}/{slug.title()}"

    assert cased(deleted) != deleted and cased(lived) != lived
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, [(deleted, "2021-05-01T12:00:00Z", 200, page[deleted]),
                          (lived, "2021-05-01T12:01:00Z", 200, page[lived]),
                          (cased(lived), "2021-06-01T12:00:00Z", 404, missing),
                          (lived, "2021-07-01T12:00:00Z", 200, page[lived] + b"<!-- -->"),
                          (other, "2022-01-01T11:00:00Z", 200, page[other]),
                          (cased(deleted), "2022-01-01T12:00:00Z", 404, missing),
                          (cased(lived), "2022-01-01T12:05:00Z", 404, missing)])
    db = tmp_path / "archive.db"
    result = archived_by(command, warc, base, db, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted([
        (deleted, "2022-01-01T12:00:00+00:00"), (lived, None), (other, None)])
    assert json.loads(result.stdout)["captured_only_gone"] == []
    assert json.loads(result.stdout)["sites"][f"{base}/"]["deleted"] == 1


@pytest.mark.parametrize("command", ["import", "recover"])
def test_a_404_at_another_case_is_the_post_at_its_lower_cased_slug_of_two_folding_alike(
        tmp_path: Path, command: str) -> None:
    """`/post/strasse-im-winter` and `/post/straße-im-winter` are two posts (two slugs) that
    case folding makes one (ß folds to ss). Wix's slugs are lower-case, a post answering at
    any case of its slug: a 404 at `/post/Strasse-Im-Winter` is the post at its lower-cased
    slug, `strasse-im-winter`, never the other. It marked neither deleted (until 2026-12-07:
    a 404 at another case counted only when one post had that case-folded slug)."""
    if command == "recover" and pywb_bin() is None:
        pytest.skip(MISSING)
    blog = SampleBlog(seed=4, post_count=3)
    with serve_blog(blog) as server:
        base = server.url
        first, second, other = blog.posts
        page = {p.slug: server.respond(p.url_path).body for p in blog.posts}
        missing = server.respond("/post/no-such-post").body
    plain, sharp = "strasse-im-winter", "stra%C3%9Fe-im-winter"  # as a crawl archives ß
    kept = f"{base}/post/{sharp}"
    deleted = f"{base}/post/{plain}"
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, [
        (deleted, "2021-05-01T12:00:00Z", 200,
         page[first.slug].replace(first.slug.encode(), plain.encode())),
        (kept, "2021-05-01T12:01:00Z", 200,
         page[second.slug].replace(second.slug.encode(), sharp.encode())),
        (f"{base}/post/{other.slug}", "2022-01-01T11:00:00Z", 200, page[other.slug]),
        (f"{base}/post/Strasse-Im-Winter", "2022-01-01T12:00:00Z", 404, missing)])
    db = tmp_path / "archive.db"
    result = archived_by(command, warc, base, db, tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted([
        (deleted, "2022-01-01T12:00:00+00:00"), (kept, None),
        (f"{base}/post/{other.slug}", None)])
    assert json.loads(result.stdout)["captured_only_gone"] == []
    assert json.loads(result.stdout)["sites"][f"{base}/"]["deleted"] == 1
