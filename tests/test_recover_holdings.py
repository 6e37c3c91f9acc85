"""`wixarchive recover` of a gone blog from holdings shaped as the Wayback Machine's are: one
post captured under several spellings over the years. A real pywb (`wayback` on 127.0.0.1)
holds a warcio WARC of the captures; the blog itself is never served."""

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
from crawler.sample_site.server import BlogServer, media_bytes
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import recover_json, table, write_dated_warc

pytestmark = pytest.mark.skipif(pywb_bin() is None, reason=MISSING)

SITE = "https://www.gone-garden.example"
HTML = "text/html; charset=utf-8"


def write_captures(path: Path, captures: list[tuple[str, str, bytes]]) -> None:
    """Responses with status 200 (URL, WARC-Date, body) written with warcio."""
    write_dated_warc(path, [(url, date, HTML, body) for url, date, body in captures])


def test_a_blog_in_one_language_captured_at_lang_queries_has_each_post_once(tmp_path: Path):
    """A blog in one language names no hreflang alternates, and Wix serves its post at
    /post/x?lang=xx as at /post/x (canonical /post/x): links with ?lang= get captured too.
    Each post is one post under /post/x, not a second one per ?lang= spelling."""
    blog = SampleBlog(seed=53, post_count=3)
    server = BlogServer(blog)
    first, second, third = (post.slug for post in blog.posts)

    def page(slug: str) -> bytes:
        body = server.respond(f"/post/{slug}", base=SITE, record=False).body
        assert b"hreflang" not in body  # a site in one language
        return body

    captures = [(f"{SITE}/post/{first}", "2021-03-01T10:00:00Z", page(first)),
                (f"{SITE}/post/{first}?lang=en", "2022-03-01T10:00:00Z", page(first)),
                (f"{SITE}/post/{second}?lang=fr", "2020-03-01T10:00:00Z", page(second)),
                (f"{SITE}/post/{third}", "2023-03-01T10:00:00Z", page(third))]
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, captures)
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(SITE, base, db)
    assert done.returncode == 0, done.stderr
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == sorted(
        f"{SITE}/post/{slug}" for slug in (first, second, third))
    # The ?lang=en capture is the same post seen again, its last sighting.
    versions = table(db, "SELECT p.url, v.version, v.fetched_at FROM post_versions v JOIN "
                         f"posts p ON p.id = v.post_id WHERE p.url LIKE '%/{first}%'")
    assert versions == [(f"{SITE}/post/{first}", 1, "2021-03-01T10:00:00+00:00")]
    counts = json.loads(done.stdout)["sites"][SITE + "/"]
    assert (counts["posts"], counts["new_posts"], counts["unchanged"]) == (3, 3, 1)


def test_an_image_captured_over_http_is_stored_once_under_the_url_its_post_uses(
        tmp_path: Path):
    """The Wayback Machine holds many Wix images as captured over http://static.wixstatic.com
    (older pages linked them so); posts name them over https. The upload is the post's image,
    stored once under the URL the post uses, not also as a "rendition" under the http URL
    (`recover` archives the captures through `import`)."""
    blog = SampleBlog(seed=59, post_count=4)
    server = BlogServer(blog)
    post = next(post for post in blog.posts if post.expected()["images"])
    image = post.expected()["images"][0]
    assert image.startswith("https://static.wixstatic.com/media/")
    captured = "http://" + image.removeprefix("https://")
    page = server.respond(f"/post/{post.slug}", base=SITE, record=False).body
    warc = tmp_path / "holdings.warc.gz"
    with warc.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, kind, body in ((f"{SITE}/post/{post.slug}", HTML, page),
                                (captured, "image/png", media_bytes(image.rsplit("/", 1)[-1]))):
            headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": "2021-03-01T10:00:00Z"}))
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = subprocess.run(
            [sys.executable, "-m", "archive.cli", "recover", SITE, "--from", base, "--db",
             str(db), "--delay", "0", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert table(db, "SELECT url, status FROM media") == [(image, "stored")]
    counts = json.loads(done.stdout)["sites"][SITE + "/"]
    assert (counts["images"], counts["renditions"]) == (1, 0)
    # The same from a colleague's copy of the captures.
    imported = tmp_path / "imported.db"
    done = subprocess.run([sys.executable, "-m", "archive.cli", "import", str(warc), "--db",
                           str(imported), "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert table(imported, "SELECT url, status FROM media") == [(image, "stored")]
    counts = json.loads(done.stdout)["sites"][SITE + "/"]
    assert (counts["images"], counts["renditions"]) == (1, 0)


def test_posts_the_feed_names_but_no_capture_holds_cost_no_more_cdx_queries(tmp_path: Path):
    """A gone blog whose feed was captured with its 8 posts, 2 of them captured: the /post/
    listing found every capture of every /post/ URL, so the 6 others are not asked about one
    by one (3 CDX queries each: a blog of 500 posts, 50 captured, waited 23 more minutes at
    the Wayback Machine's pace, and loaded its CDX server)."""
    blog = SampleBlog(seed=71, post_count=8)
    server = BlogServer(blog)
    captures = [(f"{SITE}/post/{post.slug}", "2021-03-01T10:00:00Z",
                 server.respond(f"/post/{post.slug}", base=SITE, record=False).body)
                for post in blog.posts[:2]]
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, captures)
    feed = server.respond("/blog-feed.xml", base=SITE, record=False)
    assert feed.body.count(b"<item>") == 8
    with warc.open("ab") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", feed.headers["Content-Type"])],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            f"{SITE}/blog-feed.xml", "response", payload=io.BytesIO(feed.body),
            length=len(feed.body), http_headers=headers,
            warc_headers_dict={"WARC-Date": "2021-03-01T11:00:00Z"}))
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(SITE, base, db)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["feeds"], summary["sites"][SITE + "/"]["posts"]) == (1, 2)
    # /post/ (200, 404, 410, revisits), the feed and the two sitemaps, the pages to probe.
    assert summary["requests"]["cdx"] == 8


def test_a_blog_given_bare_but_captured_at_www_is_archived_where_it_was_captured(
        tmp_path: Path):
    """`recover gone-garden.example` when the Wayback Machine holds the blog at
    www.gone-garden.example (where it was served; one stray capture at the bare host): the
    site and its posts are archived at https://www.…, the spelling most post captures have,
    each post once, and a Notice names both. Until 2026-12-07 they were archived at
    https://gone-garden.example/post/…, URLs no capture ever used. A later recover or import
    of either spelling lands on the same site."""
    blog = SampleBlog(seed=61, post_count=3)
    server = BlogServer(blog)
    first, second, third = (post.slug for post in blog.posts)
    www, bare = SITE, SITE.replace("www.", "")

    def capture(base: str, slug: str, date: str) -> tuple[str, str, bytes]:
        return (f"{base}/post/{slug}", date,
                server.respond(f"/post/{slug}", base=base, record=False).body)

    captures = [capture("http://www.gone-garden.example", first, "2019-03-01T10:00:00Z"),
                capture(www, first, "2021-03-01T10:00:00Z"),
                capture(www, second, "2021-04-01T10:00:00Z"),
                capture(bare, second, "2022-04-01T10:00:00Z"),
                capture(www, third, "2022-05-01T10:00:00Z")]
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, captures)
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json("gone-garden.example", base, db)
        assert done.returncode == 0, done.stderr
        expected = sorted(f"{www}/post/{slug}" for slug in (first, second, third))
        assert table(db, "SELECT url FROM sites") == [(www + "/",)]
        assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == expected
        summary = json.loads(done.stdout)
        assert (summary["site"], summary["given"]) == (www + "/", bare + "/")
        assert list(summary["sites"]) == [www + "/"]
        assert ("Notice: gone-garden.example was captured as https://www.gone-garden.example/"
                in done.stderr)
        # Either spelling again: the same site, nothing fetched twice, no notice of a new site.
        for spelling in (bare, "http://www.gone-garden.example"):
            again = recover_json(spelling, base, db)
            assert again.returncode == 0, again.stderr
            assert (json.loads(again.stdout)["site"], json.loads(again.stdout)["fetched"]) \
                == (www + "/", 0)
    imported = subprocess.run([sys.executable, "-m", "archive.cli", "import", str(warc),
                               "--db", str(db), "--json"],
                              capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    assert table(db, "SELECT url FROM sites") == [(www + "/",)]
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == expected


def test_a_recover_keeps_a_site_the_archive_holds_under_the_spelling_given(tmp_path: Path):
    """An archive holding the blog as https://gone-garden.example/ (an earlier import of a
    capture made there) is not split when the Wayback Machine holds it mostly at www.: the
    posts recovered join that site, each once."""
    blog = SampleBlog(seed=67, post_count=2)
    server = BlogServer(blog)
    first, second = (post.slug for post in blog.posts)
    bare = SITE.replace("www.", "")
    page = {(base, slug): server.respond(f"/post/{slug}", base=base, record=False).body
            for base in (SITE, bare) for slug in (first, second)}
    earlier = tmp_path / "earlier.warc.gz"
    write_captures(earlier, [(f"{bare}/post/{first}", "2018-03-01T10:00:00Z",
                              page[bare, first])])
    db = tmp_path / "blog.db"
    done = subprocess.run([sys.executable, "-m", "archive.cli", "import", str(earlier),
                           "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, [(f"{SITE}/post/{slug}", "2021-03-01T10:00:00Z", page[SITE, slug])
                          for slug in (first, second)])
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json("gone-garden.example", base, db)
    assert done.returncode == 0, done.stderr
    assert table(db, "SELECT url FROM sites") == [(bare + "/",)]
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == sorted(
        f"{bare}/post/{slug}" for slug in (first, second))
    assert json.loads(done.stdout)["given"] is None


def test_a_post_captured_only_as_gone_is_named_not_silently_dropped(tmp_path: Path):
    """A post whose only captures are a 404 and a 410 (deleted before the Wayback Machine
    saw its page) has no text to archive, but a journalist needs to know it existed: the
    summary and `--json` (`captured_only_gone`) name its URL, on a re-run too, and no post
    row is made for it. A post captured as a page and later as a 404 is not named (it is
    archived, marked deleted). Until 2026-12-07 such a URL was fetched and then nothing."""
    blog = SampleBlog(seed=71, post_count=3)
    server = BlogServer(blog)
    kept, deleted, never = (post.slug for post in blog.posts)
    pages = [(f"{SITE}/post/{slug}", date, server.respond(f"/post/{slug}", base=SITE,
                                                          record=False).body)
             for slug, date in ((kept, "2021-03-01T10:00:00Z"), (deleted, "2021-03-01T11:00:00Z"))]
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, pages)
    with warc.open("ab") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, status, date in ((f"{SITE}/post/{deleted}", "404 Not Found",
                                   "2022-03-01T10:00:00Z"),
                                  (f"{SITE}/post/{never}", "404 Not Found",
                                   "2022-03-01T10:05:00Z"),
                                  (f"{SITE}/post/{never}", "410 Gone", "2023-03-01T10:00:00Z"),
                                  # Another letter case of the kept post's slug, which Wix
                                  # answers too: named gone until 2026-12-07.
                                  (f"{SITE}/post/{kept.title()}", "404 Not Found",
                                   "2022-03-01T10:10:00Z"),
                                  (f"{SITE}/post/{kept}", "200 OK", "2022-03-01T09:00:00Z")):
            # The kept post seen again (other bytes, same text): the site still served posts.
            body = pages[0][2] + b"<!-- 2022 -->" if status.startswith("200") \
                else b"<h1>Not found</h1>"
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders(status, [("Content-Type", HTML)],
                                              protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": date}))
    db = tmp_path / "blog.db"
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(SITE, base, db)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["captured_only_gone"] == [f"{SITE}/post/{never}"]
        assert summary["sites"][SITE + "/"]["deleted"] == 1
        again = subprocess.run(
            [sys.executable, "-m", "archive.cli", "recover", SITE, "--from", base, "--db",
             str(db), "--delay", "0", "--no-images"], capture_output=True, text=True,
            timeout=300)
    assert again.returncode == 0, again.stderr
    assert ("1 post URL captured only as gone (404/410), never as a page: nothing to "
            "archive" in again.stdout)
    assert f"  captured only as gone: {SITE}/post/{never}" in again.stdout
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == sorted(
        f"{SITE}/post/{slug}" for slug in (kept, deleted))


def test_a_recover_into_an_archive_that_followed_the_blogs_move_stores_no_post_twice(
        tmp_path: Path):
    """The blog moved from OLD to NEW, and OLD redirects there: a crawl of OLD followed the
    redirect and archived its posts at NEW. The Wayback Machine holds the blog at OLD: the
    posts still live (captured at OLD before the move, text edited since for one) and one
    deleted before the move, known to it only. `recover OLD` (and `recover NEW`) adds the
    old captures as earlier versions of the posts archived at NEW and the deleted post once:
    each post once, counted in the summary under the one site archived."""
    from crawler.sample_site import serve_blog

    blog = SampleBlog(seed=79, post_count=4)
    gone = blog.posts[3]
    with serve_blog(blog, host="127.0.0.1") as old_home:
        old = old_home.url
        captures = [(f"{old}/post/{post.slug}", f"2021-0{number}-01T10:00:00Z",
                     old_home.respond(f"/post/{post.slug}", record=False).body)
                    for number, post in enumerate(blog.posts, start=1)]
    blog.delete_post(gone.slug)
    edited = blog.edit_post(blog.posts[0].slug, paragraphs=["Written at the new address."])
    db = tmp_path / "blog.db"
    # OLD's port is taken back first, before another server can be given it.
    with serve_blog(blog, host="127.0.0.1", port=int(old.rsplit(":", 1)[1])) as moved, \
            serve_blog(blog, host="127.0.0.1") as new_home:
        moved.moved_to = new_home.url
        crawled = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", old, "--db", str(db), "--json",
             "--delay", "0", "--no-autothrottle", "--no-media"],
            capture_output=True, text=True, timeout=300)
        new = new_home.url
    assert crawled.returncode == 0, crawled.stderr
    live = sorted(f"{new}/post/{post.slug}" for post in blog.posts)
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == live
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, captures)
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(old, base, db)
        assert done.returncode == 0, done.stderr
        again = recover_json(new, base, db)
        assert again.returncode == 0, again.stderr
    urls = [url for (url,) in table(db, "SELECT url FROM posts")]
    assert len(urls) == len(set(urls)) == 4, urls
    assert sorted(urls) == sorted([*live, f"{old}/post/{gone.slug}"]), urls
    # One site, the one archived (at OLD, its posts at NEW), is what the summary counts: it
    # named NEW as a second site holding the 3 posts (until 2026-12-07).
    assert table(db, "SELECT url FROM sites") == [(old + "/",)]
    counts = json.loads(done.stdout)["sites"]
    assert list(counts) == [old + "/"], counts
    assert (counts[old + "/"]["posts"], counts[old + "/"]["new_posts"]) == (4, 1)
    # The edited post: its capture at OLD is its first version, the crawl's its second.
    assert table(db, "SELECT count(*) FROM post_versions v JOIN posts p ON p.id = v.post_id "
                     f"WHERE p.url = '{new}/post/{edited.slug}'") == [(2,)]


def test_a_post_the_archive_holds_at_its_blogs_new_address_is_not_captured_only_as_gone(
        tmp_path: Path):
    """The blog moved from OLD to NEW; a crawl of OLD followed the redirect and archived its
    posts at NEW. The Wayback Machine holds one of them at OLD only as 404s (captured after
    the move broke its old address): `recover OLD` named that live post "captured only as
    gone", which it is not. A post never archived, captured only as a 404, still is named."""
    from crawler.sample_site import serve_blog

    blog = SampleBlog(seed=83, post_count=3)
    lost, paged = blog.posts[0], blog.posts[1]
    db = tmp_path / "blog.db"
    with serve_blog(blog, host="127.0.0.1") as new_home, \
            serve_blog(blog, host="127.0.0.1") as moved:
        old, new = moved.url, new_home.url
        page = new_home.respond(f"/post/{paged.slug}", base=old, record=False).body
        moved.moved_to = new
        crawled = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", old, "--db", str(db), "--json",
             "--delay", "0", "--no-autothrottle", "--no-media"],
            capture_output=True, text=True, timeout=300)
    assert crawled.returncode == 0, crawled.stderr
    assert f"{new}/post/{lost.slug}" in [url for (url,) in table(db, "SELECT url FROM posts")]
    warc = tmp_path / "holdings.warc.gz"
    write_captures(warc, [(f"{old}/post/{paged.slug}", "2021-03-01T10:00:00Z", page)])
    with warc.open("ab") as handle:
        writer = WARCWriter(handle, gzip=True)
        for slug, date in ((lost.slug, "2022-03-01T10:00:00Z"),
                           ("never-archived", "2022-03-01T10:05:00Z")):
            body = b"<h1>Not found</h1>"
            writer.write_record(writer.create_warc_record(
                f"{old}/post/{slug}", "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders("404 Not Found", [("Content-Type", HTML)],
                                              protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": date}))
    imported_db = tmp_path / "imported.db"
    imported_db.write_bytes(db.read_bytes())
    with wayback(tmp_path / "pywb", warcs=[warc]) as base:
        done = recover_json(old, base, db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["captured_only_gone"] == [f"{old}/post/never-archived"]
    # `import` of the same captures says the same.
    imported = subprocess.run(
        [sys.executable, "-m", "archive.cli", "import", str(warc), "--db", str(imported_db),
         "--json"], capture_output=True, text=True, timeout=300)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["captured_only_gone"] == [f"{old}/post/never-archived"]
    for path in (db, imported_db):
        urls = [url for (url,) in table(path, "SELECT url FROM posts")]
        assert len(urls) == len(set(urls)) == 3, urls
