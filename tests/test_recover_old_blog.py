"""`wixarchive recover` and `import` of a blog that Wix moved from its old blog (posts at
/single-post/YYYY/MM/DD/<Slug>) to its new one (/post/<slug>, each old URL redirected there),
captured by a web archive under both over the years: each post is one post, its old
captures its older versions, not a second copy of it in the archive and in every export,
whichever spelling was archived first. A real pywb (`wayback` on 127.0.0.1) holds a warcio
WARC of the captures."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.captures import captures_dir
from crawler.sample_site import SampleBlog
from crawler.sample_site.server import BlogServer, serve_blog
from tests.processes import wait_until, write_lock
from tests.pywb import MISSING, pywb_bin, wayback
from tests.test_crawl_redis import (
    REDIS_SERVER,
    REPO,
    WIXARCHIVE,
    RedisServer,
    crawl_json,
    redis_server,
    run_to_end,
    runs,
    start_worker,
    start_writer,
    stop,
    unindexed_bytes,
)
from tests.webarchives import loopback, table

__all__ = ["redis_server"]  # the fixture, imported for the crawl through Redis

SITE = "https://www.counsel.example"


def page(blog: SampleBlog, slug: str, old_url: str | None = None) -> bytes:
    body = BlogServer(blog).respond(f"/post/{slug}", base=SITE, record=False).body
    return body.replace(f"{SITE}/post/{slug}".encode(), old_url.encode()) if old_url else body


def translated(body: bytes, post: str) -> bytes:
    """A multilingual site's French page of `post`: it names its languages' URLs, as Wix's
    pages do (a page naming none is a one-language site's, which Wix serves at any ?lang=)."""
    links = (f'<link rel="alternate" hreflang="en" href="{post}"/>'
             f'<link rel="alternate" hreflang="fr" href="{post}?lang=fr"/>')
    return body.replace(b'<link rel="canonical"', links.encode() + b'<link rel="canonical"', 1)


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


class MovedBlog:
    """Captures of a blog over the years: its first post at its old URL (another title then),
    redirected, then at its /post/ URL; its second at /post/ only; its third at its old URL
    only; and a 404 at the first's old URL once the plan lapsed."""

    def __init__(self) -> None:
        old = SampleBlog(seed=11, post_count=3, layout="classic")
        self.new = new = SampleBlog(seed=11, post_count=3, layout="new")
        self.moved, self.kept, only_old = (post.slug for post in new.posts)
        moved = self.moved
        old.edit_post(moved, title="As it was titled in 2017",
                      paragraphs=["What the post said in 2017, on the old blog."])
        old_url = f"{SITE}/single-post/2017/03/01/{moved.title()}"  # old slugs kept capitals
        only_old_url = f"http://counsel.example/single-post/2017/03/02/{only_old}"
        self.only_old = f"{SITE}/single-post/2017/03/02/{only_old}"
        self.old_blog = [
            (old_url.replace("https://", "http://"), "2017-04-05T12:00:00Z", 200,
             page(old, moved, old_url), []),
            (only_old_url, "2017-04-05T12:01:00Z", 200, page(old, only_old, only_old_url), [])]
        self.new_blog = [
            (old_url, "2019-06-01T12:00:00Z", 301, b"", [("Location", f"{SITE}/post/{moved}")]),
            # Its French translation, captured first: a post of its own, never the old one's.
            (f"{SITE}/post/{moved}?lang=fr", "2019-06-01T13:00:00Z", 200,
             translated(page(new, moved), f"{SITE}/post/{moved}"), []),
            (f"{SITE}/post/{moved}", "2019-06-02T12:00:00Z", 200, page(new, moved), []),
            (f"{SITE}/post/{self.kept}", "2019-06-03T12:00:00Z", 200, page(new, self.kept), []),
            # Wix's redirect lost when the plan lapsed: the old URL answered 404, the post
            # not gone.
            (old_url, "2022-01-01T12:00:00Z", 404, b"<html><body>404</body></html>", [])]

    def check(self, db: Path, command: str, site: str = SITE) -> None:
        """One post per post, the moved one's 2017 capture its first version. recover
        archives every capture under one site, at `site` (the spelling most post captures
        of its first run have); import under the spellings the files and the archive hold
        (http or https, www. or not: archive/site_match.py)."""
        posts = table(db, "SELECT url, deleted_at FROM posts")
        expected = [(f"{site}/post/{self.moved}", None), (f"{site}/post/{self.kept}", None),
                    (f"{site}/post/{self.moved}?lang=fr", None),
                    (self.only_old.replace(SITE, site), None)]
        if command == "import":
            posts = [(urlsplit(url)._replace(scheme="", netloc="").geturl(), gone)
                     for url, gone in posts]
            expected = [(urlsplit(url)._replace(scheme="", netloc="").geturl(), gone)
                        for url, gone in expected]
        assert sorted(posts) == sorted(expected)
        versions = table(db, "SELECT v.version, v.fetched_at, v.title FROM post_versions v "
                             f"JOIN posts p ON p.id = v.post_id WHERE p.url LIKE "
                             f"'%/post/{self.moved}' ORDER BY v.version")
        assert [(number, at[:4], title) for number, at, title in versions] == \
            [(1, "2017", "As it was titled in 2017"), (2, "2019", self.new.posts[0].title)]


def wixarchive(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_old_blog_urls_are_older_versions_of_the_post_wix_moved_them_to(tmp_path: Path):
    blog = MovedBlog()
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, blog.old_blog + blog.new_blog)
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        result = wixarchive("recover", SITE, "--from", base, "--db", str(db), "--delay", "0",
                            "--no-images", "--json")
    assert result.returncode == 0, result.stderr
    blog.check(db, "recover")
    assert json.loads(result.stdout)["old_blog"] == 1


def test_an_import_of_both_spellings_gives_one_post(tmp_path: Path):
    blog = MovedBlog()
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, blog.old_blog + blog.new_blog)
    db = tmp_path / "blog.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    blog.check(db, "import")
    assert json.loads(result.stdout)["old_blog"] == 1


def test_an_old_url_and_a_post_url_in_another_letter_case_give_one_post(tmp_path: Path):
    """The web archive captured the moved post's /post/ page only as sites linked it,
    `/post/Letters-From-The-Spade` (its canonical URL in lower case), and its old URL earlier.
    The old capture, read first, was filed under the /post/ URL as captured and the page
    under its canonical one: two posts, said to be one (`old_blog: 1`)."""
    blog = MovedBlog()
    capitals = f"{SITE}/post/{blog.moved.title()}"
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, [*blog.old_blog, *[
        (capitals if url == f"{SITE}/post/{blog.moved}" else url, *rest)
        for url, *rest in blog.new_blog]])
    db = tmp_path / "blog.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    blog.check(db, "import")
    assert json.loads(result.stdout)["old_blog"] == 1


@pytest.mark.parametrize("old_first", [True, False])
def test_a_post_archived_at_either_spelling_first_is_one_post_after_the_other(
        tmp_path: Path, old_first: bool):
    """The old blog's captures imported (or recovered) before the new blog's: the post
    archived at its old URL moves to its /post/ URL, its versions kept; after: the old
    captures are the /post/ post's older versions. Until 2026-12-06 two posts either way."""
    blog = MovedBlog()
    old, new = tmp_path / "old.warc.gz", tmp_path / "new.warc.gz"
    write_captures(old, blog.old_blog)
    write_captures(new, blog.new_blog)
    db = tmp_path / "blog.db"
    for warc in ([old, new] if old_first else [new, old]):
        result = wixarchive("import", str(warc), "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
    blog.check(db, "import")
    assert json.loads(result.stdout)["old_blog"] == 1


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_a_later_recover_finding_the_post_url_moves_the_post_archived_at_its_old_url(
        tmp_path: Path):
    """A first recover, when the web archive held only the old blog's captures, archives the
    post at its old URL; a later one, the new blog's captures added, moves it to its /post/
    URL with its versions (until 2026-12-06 the old URL stayed a second post). The old
    blog was captured over http only, at www. and bare alike: the first recover archives the
    site at http://www. (the scheme its captures have, the host given), the later one keeps it."""
    blog = MovedBlog()
    old, both = tmp_path / "old.warc.gz", tmp_path / "both.warc.gz"
    write_captures(old, blog.old_blog)
    write_captures(both, blog.old_blog + blog.new_blog)
    db = tmp_path / "blog.db"
    for run, warc in enumerate((old, both)):
        with wayback(tmp_path / f"pywb{run}", warcs=[warc]) as base:
            result = wixarchive("recover", SITE, "--from", base, "--db", str(db), "--delay",
                                "0", "--no-images", "--json")
        assert result.returncode == 0, result.stderr
    assert table(db, "SELECT url FROM sites") == [("http://www.counsel.example/",)]
    blog.check(db, "recover", site="http://www.counsel.example")


GONE = b"<html><body>404</body></html>"


@pytest.mark.parametrize("command", ["recover", "import"])
def test_a_post_archived_under_its_other_blog_url_is_not_captured_only_as_gone(
        tmp_path: Path, command: str):
    """Wix redirected each old blog URL to its /post/ URL, until it did not: the web archive
    holds one post's old URL only as a 404 (its /post/ page archived), and another's /post/
    URL only as a 404 (its old page archived). Neither is a post "captured only as gone,
    never as a page": each is archived, under its other URL. (Until 2026-12-07 recover named
    both, import the second.) A post URL of neither blog archived is still named. The 404 at
    the /post/ URL is the post's own, as a page there would be (importer._BlogMoves): the
    post is deleted then, another post still served; the old URL's 404 deletes nothing.
    An old URL of no post archived is named too, by import as by recover: the old blog's
    pages were posts (until 2026-12-07 import skipped it); a dated URL under a word whose
    pages are no posts is not."""
    blog = MovedBlog()
    old_only_gone = f"{SITE}/single-post/2017/03/03/{blog.kept.title()}"
    new_only_gone = f"{SITE}/post/{blog.only_old.rsplit('/', 1)[1]}"
    never = f"{SITE}/post/never-archived"
    old_never = f"{SITE}/single-post/2017/03/04/Never-Archived"
    no_post = f"{SITE}/events/2017/03/04/open-day"
    kept = next(capture for capture in blog.new_blog if capture[0] == f"{SITE}/post/{blog.kept}")
    warc = tmp_path / "years.warc.gz"
    write_captures(warc, [*blog.old_blog, *blog.new_blog,
                          (old_only_gone, "2022-01-02T12:00:00Z", 404, GONE, []),
                          # Seen again the day its neighbour answered 404: the site was alive.
                          (kept[0], "2022-01-03T11:00:00Z", 200, kept[3] + b"<!-- -->", []),
                          (new_only_gone, "2022-01-03T12:00:00Z", 404, GONE, []),
                          (never, "2022-01-04T12:00:00Z", 404, GONE, []),
                          (old_never, "2022-01-04T12:01:00Z", 404, GONE, []),
                          (no_post, "2022-01-04T12:02:00Z", 404, GONE, [])])
    db = tmp_path / "blog.db"
    if command == "recover":
        with wayback(tmp_path / "pywb", warcs=[warc]) as base:
            result = wixarchive("recover", SITE, "--from", base, "--db", str(db), "--delay",
                                "0", "--no-images", "--json")
    else:
        result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["captured_only_gone"] == [never, old_never], result.stdout
    if command == "import":  # named on every import that finds it, as recover does
        again = wixarchive("import", str(warc), "--db", str(db), "--json")
        assert json.loads(again.stdout)["captured_only_gone"] == [never, old_never]
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted([
        (f"{SITE}/post/{blog.moved}", None), (f"{SITE}/post/{blog.kept}", None),
        (f"{SITE}/post/{blog.moved}?lang=fr", None),
        (blog.only_old, "2022-01-03T12:00:00+00:00")])


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_an_old_blog_url_of_a_post_archived_at_the_host_the_site_moved_to_is_not_gone(
        tmp_path: Path):
    """A site that left its old blog and its address at once: a crawl of OLD followed the
    redirect and archived its posts at NEW/post/<slug>; a web archive holds OLD's old blog,
    one post's old URL only as a 404 (Wix's redirect lost). That post lives on at NEW: not
    "captured only as gone" (until 2026-12-07 `recover OLD` named it), by `recover` or
    `import`; an old URL of no post archived anywhere still is. Another post's old page is
    that post's older version at NEW (until 2026-12-07 a second post at its old URL)."""
    import shutil

    blog = SampleBlog(seed=83, post_count=3)
    db = tmp_path / "blog.db"
    with serve_blog(blog, host=loopback(2)) as new_home, serve_blog(blog) as moved:
        moved.moved_to = new_home.url
        old, new = moved.url, new_home.url
        crawled = wixarchive("crawl", old, "--db", str(db), "--json", "--delay", "0",
                             "--no-autothrottle", "--no-media")
    assert crawled.returncode == 0, crawled.stderr
    slug, earlier = blog.posts[0].slug, blog.posts[1].slug
    assert (f"{new}/post/{slug}",) in table(db, "SELECT url FROM posts")
    crawled_posts = table(db, "SELECT url FROM posts")
    old_blog = SampleBlog(seed=83, post_count=3, layout="classic")
    old_blog.edit_post(earlier, title="As it was titled in 2017",
                       paragraphs=["What the post said in 2017, on the old blog."])
    earlier_url = f"{old}/single-post/2017/03/04/{earlier.title()}"
    earlier_page = BlogServer(old_blog).respond(
        f"/post/{earlier}", base=old, record=False).body.replace(
        f"{old}/post/{earlier}".encode(), earlier_url.encode())
    only_old = SampleBlog(seed=84, post_count=1, layout="classic")
    only_old_url = f"{old}/single-post/2017/03/02/{only_old.posts[0].slug.title()}"
    only_old_page = BlogServer(only_old).respond(
        f"/post/{only_old.posts[0].slug}", base=old, record=False).body.replace(
        f"{old}/post/{only_old.posts[0].slug}".encode(), only_old_url.encode())
    lost = f"{old}/single-post/2017/03/01/{slug.title()}"
    never = f"{old}/single-post/2017/03/03/Never-Archived"
    warc = tmp_path / "old-blog.warc.gz"
    write_captures(warc, [(only_old_url, "2017-04-05T12:00:00Z", 200, only_old_page, []),
                          (earlier_url, "2017-04-06T12:00:00Z", 200, earlier_page, []),
                          (lost, "2022-01-01T12:00:00Z", 404, GONE, []),
                          (never, "2022-01-01T12:01:00Z", 404, GONE, [])])
    imported_db = tmp_path / "imported.db"
    shutil.copy(db, imported_db)
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        result = wixarchive("recover", old, "--from", base, "--db", str(db), "--delay", "0",
                            "--no-images", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["captured_only_gone"] == [never], result.stdout
    imported = wixarchive("import", str(warc), "--db", str(imported_db), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["captured_only_gone"] == [never], imported.stdout
    for archive in (db, imported_db):  # the old URL's 404 deletes nothing
        assert table(archive, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL") == \
            [(0,)]
        assert sorted(table(archive, "SELECT url FROM posts")) == sorted(
            [*crawled_posts, (only_old_url,)])
        versions = table(archive, "SELECT v.version, v.title FROM post_versions v JOIN posts "
                                  f"p ON p.id = v.post_id WHERE p.url = '{new}/post/{earlier}' "
                                  "ORDER BY v.version")
        assert versions == [(1, "As it was titled in 2017"), (2, blog.posts[1].title)]


def retitled_since_2017(post_count: int) -> tuple[SampleBlog, SampleBlog, str]:
    """A blog of `post_count` posts, the same blog as its old (classic) blog served it in
    2017, and the slug of its first post, titled and written otherwise then."""
    blog = SampleBlog(seed=87, post_count=post_count)
    old_blog = SampleBlog(seed=87, post_count=post_count, layout="classic")
    slug = blog.posts[0].slug
    old_blog.edit_post(slug, title="As it was titled in 2017",
                       paragraphs=["What the post said in 2017, on the old blog."])
    return blog, old_blog, slug


def import_old_copy(old_blog: SampleBlog, slug: str, base: str, db: Path) -> str:
    """The post `slug` as the old blog served it in 2017 at its old URL under `base`, imported
    into `db` from a WARC holding that one capture; the old URL."""
    old_url = f"{base}/single-post/2017/03/01/{slug.title()}"
    old_page = BlogServer(old_blog).respond(f"/post/{slug}", base=base, record=False).body
    warc = db.with_name("old.warc.gz")
    write_captures(warc, [(old_url, "2017-04-05T12:00:00Z", 200, old_page.replace(
        f"{base}/post/{slug}".encode(), old_url.encode()), [])])
    imported = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert imported.returncode == 0, imported.stderr
    return old_url


@pytest.mark.parametrize("through", ["scrapy", "redis"])
def test_a_crawl_after_a_recover_of_the_old_blog_moves_the_post_to_its_post_url(
        tmp_path: Path, request: pytest.FixtureRequest, through: str):
    """A recover (or import) when the web archive held only the old blog archived a post at
    its old URL; the blog, alive on Wix's new blog, is then crawled: its /post/<slug> page is
    that post's, which takes the URL, its 2017 version kept first (until 2026-12-07 a second
    post, the same text twice in search and every export). With or without Redis."""
    if through == "redis" and REDIS_SERVER is None:
        pytest.skip("redis-server not found (Debian package redis-server)")
    redis = request.getfixturevalue("redis_server").url if through == "redis" else None
    blog, old_blog, slug = retitled_since_2017(post_count=2)
    db = tmp_path / "blog.db"
    with serve_blog(blog) as server:
        base = server.url
        old_url = import_old_copy(old_blog, slug, base, db)
        assert table(db, "SELECT url FROM posts") == [(old_url,)]
        crawl_json(base, db, redis)
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted(
        (f"{base}/post/{post.slug}", None) for post in blog.posts)
    versions = table(db, "SELECT v.version, v.title FROM post_versions v JOIN posts p ON "
                         f"p.id = v.post_id WHERE p.url = '{base}/post/{slug}' ORDER BY v.version")
    assert versions == [(1, "As it was titled in 2017"), (2, blog.posts[0].title)]


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not found (Debian package "
                    "redis-server)")
def test_a_move_to_the_post_url_a_killed_redis_writer_never_committed_is_learnt_on_resume(
        tmp_path: Path, redis_server: RedisServer):
    """As above through Redis, the writer holding the crawled /post/<slug> page of the post
    archived at its old URL in a batch it cannot commit (another process holds the archive's
    write lock), then killed (SIGKILL: a power cut, with its worker). Nothing of that batch
    is in the archive; `crawl --redis` run again stores what the dead writer left: the post
    moves to /post/<slug>, its 2017 version kept first, every post of the blog once, nothing
    lost and no second post."""
    blog, old_blog, slug = retitled_since_2017(post_count=3)
    db = tmp_path / "blog.db"
    with serve_blog(blog) as server:
        base = server.url
        old_url = import_old_copy(old_blog, slug, base, db)
        writer = start_writer([base], db, redis_server.url, "--no-media")
        workers: list[subprocess.Popen] = []
        client = redis_server.client()
        try:
            wait_until(lambda: runs(db), "the crawl's run started", writer)
            os.kill(writer.pid, signal.SIGSTOP)  # its worker fetches every post meanwhile
            workers.append(start_worker(redis_server.url))
            # A result for robots.txt, the sitemap, the posts' sitemap, the feed and each post.
            wait_until(lambda: client.llen("wixarchive:results") >= 4 + len(blog.posts),
                       "every post fetched")
            with write_lock(db):
                os.kill(writer.pid, signal.SIGCONT)  # takes the results; cannot commit them
                wait_until(lambda: f"{base}/post/{slug}" in written_uncommitted(db),
                           "the moved post's page written, not committed", writer)
                stop([writer, *workers])
            assert table(db, "SELECT url FROM posts") == [(old_url,)]  # nothing committed
            writer = start_writer([base], db, redis_server.url, "--no-media")
            workers = [start_worker(redis_server.url)]
            out, err = run_to_end(writer, workers)
        finally:
            stop([writer, *workers])
    assert writer.returncode == 0, err
    assert sorted(table(db, "SELECT url, deleted_at FROM posts")) == sorted(
        (f"{base}/post/{post.slug}", None) for post in blog.posts)
    versions = table(db, "SELECT v.version, v.title FROM post_versions v JOIN posts p ON "
                         f"p.id = v.post_id WHERE p.url = '{base}/post/{slug}' ORDER BY v.version")
    assert versions == [(1, "As it was titled in 2017"), (2, blog.posts[0].title)]
    check = subprocess.run([*WIXARCHIVE, "check", "--db", str(db)], capture_output=True,
                           text=True, cwd=REPO, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr


def written_uncommitted(db: Path) -> set[str]:
    """The URLs of the response records in the archive's capture files past what its index
    covers: written by a writer that has not committed them."""
    found: set[str] = set()
    for name, size in unindexed_bytes(db).items():
        path = captures_dir(db) / name
        with path.open("rb") as stream:
            stream.seek(path.stat().st_size - size)
            try:
                found.update(record.rec_headers.get_header("WARC-Target-URI")
                             for record in ArchiveIterator(stream)
                             if record.rec_type == "response")
            except (ArchiveLoadFailed, EOFError, OSError):  # a record being written
                continue
    return found
