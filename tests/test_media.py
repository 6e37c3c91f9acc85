"""Full-size images: a real crawl of the sample blog fetches every post's cover and body images
from a media host on another loopback address (standing in for static.wixstatic.com), keeps
them in the captures, records bad ones per image, and never fetches an archived one again."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive import captures
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.export import image_urls
from crawler.sample_site.server import Gate, Response, media_bytes
from tests.processes import crawler_command, run_crawl, running, wait_until, write_lock

PIL = pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")


def crawl(url: str, db: Path, media_url: str, *settings: str) -> dict:
    return run_crawl(url, db, f"WIXARCHIVE_MEDIA_BASE={media_url}/media/", *settings)


def media_path(url: str) -> str:
    return "/media/" + url.rsplit("/", 1)[1]


def image_stats(db: Path) -> tuple[dict[str, int], str]:
    """`stats --images`: the one site's image counts (--json), and the text table's lines."""
    def stats(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "archive.cli", "stats", "--images",
                                 "--db", str(db), *args], capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    [site] = json.loads(stats("--json"))["sites"]
    return {key: site[key] for key in ("images", "images_archived", "images_failed",
                                       "images_not_fetched")}, stats()


def test_images_fetched_at_full_size_once_bad_ones_recorded(tmp_path: Path):
    blog = SampleBlog(seed=3, post_count=12)
    db = tmp_path / "archive.db"
    images = sorted(image_urls(blog))
    assert {url.rsplit(".", 1)[1] for url in images} >= {"jpg", "png", "webp"}
    missing, fake, huge = images[:3]
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        media.overrides[media_path(missing)] = Response(404, b"gone",
                                                        {"Content-Type": "text/plain"})
        media.overrides[media_path(fake)] = Response(200, b"<html>a login page</html>",
                                                     {"Content-Type": "image/jpeg"})
        media.overrides[media_path(huge)] = Response(200, b"\xff\xd8\xff" + b"\0" * 300_000,
                                                     {"Content-Type": "image/jpeg"})
        summary = crawl(server.url, db, media.url, "WIXARCHIVE_MEDIA_MAX_BYTES=200000")
        assert summary["status"] == "ok" and summary["counts"]["new"] == 12  # no post failed
        fetched = [p for p in media.request_log if p.startswith("/media/")]
        assert sorted(fetched) == sorted(media_path(url) for url in images)  # each once
        assert not any("/v1/fill/" in p for p in fetched)  # originals, never renditions

        with Archive.open(db, readonly=True) as archive:
            conn = archive.conn
            status = dict(conn.execute("SELECT url, status FROM media").fetchall())
            assert status.pop(missing) == "http-404"
            assert status.pop(fake) == "not-an-image"
            assert status.pop(huge) == "too-big"
            assert set(status.values()) == {"stored"}
            # Every image of every post links to its media row; stored ones read back from the
            # captures byte for byte as served, and are real images.
            unlinked = conn.execute("SELECT count(*) FROM images i WHERE NOT EXISTS "
                                    "(SELECT 1 FROM media m WHERE m.url = i.url)").fetchone()[0]
            assert unlinked == 0
            shown = conn.execute("SELECT count(DISTINCT url) FROM images").fetchone()[0]
            directory = captures.captures_dir(db)
            for url, capture, digest in conn.execute(
                    "SELECT url, capture, payload_digest FROM media WHERE status = 'stored'"):
                payload = captures.read_payload(conn, directory, capture)
                assert payload.body == media_bytes(url.rsplit("/", 1)[1])
                assert captures.payload_digest(payload.body) == digest
                PIL.open(io.BytesIO(payload.body)).verify()

        # `stats --images` counts them: the three refused ones failed, none left unfetched.
        counts, text = image_stats(db)
        assert counts == {"images": shown, "images_archived": shown - 3, "images_failed": 3,
                          "images_not_fetched": 0}
        assert re.search(r"Images\s+Archived\s+Failed\s+Not fetched\s+Last crawl", text)
        assert re.search(rf"\b{shown}\s+{shown - 3}\s+3\s+0\s+\d{{4}}-", text), text

        # The article page shows the archived copies, served by digest from the archive.
        with_image = next(p for p in blog.posts if p.expected()["images"]
                          and p.expected()["images"][0] not in (missing, fake, huge))
        page_images = _article_images(db, server.url + with_image.url_path)
        image_url = with_image.expected()["images"][0]
        local = [src for src in page_images if src.startswith("/archive/-/media/")]
        assert local and not any("wixstatic" in src for src in page_images)
        status, content_type, body = _get(db, local[0])
        assert status == 200 and content_type.startswith("image/")
        assert body == media_bytes(image_url.rsplit("/", 1)[1])

        # A Markdown export writes the images beside the posts and links them relatively.
        out = tmp_path / "export"
        result = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--db", str(db),
                                 "--format", "markdown", str(out)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        (document,) = [p for p in out.rglob("*.md") if with_image.slug in p.parent.name]
        text = document.read_text(encoding="utf-8")
        linked = re.findall(r"(images/[0-9a-f]{16}\.(?:jpg|png|webp))", text)
        assert linked and image_url not in text
        served = {media_bytes(u.rsplit("/", 1)[1]) for u in images}
        for relative in linked:
            data = (document.parent / relative).read_bytes()
            assert data in served  # the archived bytes, as the media host served them
            PIL.open(io.BytesIO(data)).verify()

        # A re-crawl after an edit fetches the edited post, and no image again.
        blog.edit_post(blog.posts[2].slug, paragraphs=["A new paragraph."])
        media.request_log.clear()
        crawl(server.url, db, media.url)
        assert [p for p in media.request_log if p.startswith("/media/")] == []

    # A capture file deleted: the article page names the image and the file, and still shows.
    with Archive.open(db, readonly=True) as archive:
        (name,) = archive.conn.execute(
            "SELECT f.name FROM media m JOIN captures c ON c.record_id = m.capture "
            "JOIN capture_files f ON f.id = c.file_id WHERE m.url = ?", (image_url,)).fetchone()
    (captures.captures_dir(db) / name).unlink()
    status, _, body = _get(db, "/archive/-/post/" + str(_post_id(db, server.url
                                                                  + with_image.url_path)))
    assert status == 200
    assert f"image {image_url}: its capture file {captures.captures_dir(db) / name} is missing" \
        in body.decode()


def _get(db: Path, path: str) -> tuple[int, str, bytes]:
    import asyncio

    from archive.cli.serve import make_datasette

    datasette = make_datasette(db)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(datasette.invoke_startup())
        response = loop.run_until_complete(datasette.client.get(path))
        return response.status_code, response.headers.get("content-type", ""), response.content
    finally:
        for database in datasette.databases.values():
            database.close()
        loop.close()


def _post_id(db: Path, url: str) -> int:
    with Archive.open(db, readonly=True) as archive:
        return archive.post(url)["id"]


def _article_images(db: Path, url: str) -> list[str]:
    status, _, body = _get(db, f"/archive/-/post/{_post_id(db, url)}")
    assert status == 200
    return re.findall(r'<img[^>]* src="([^"]+)"', body.decode())


def test_no_media_fetches_no_image(tmp_path: Path):
    blog = SampleBlog(seed=4, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        crawl(server.url, db, media.url, "WIXARCHIVE_MEDIA=false")
        assert media.request_log == []
    with Archive.open(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT count(*) FROM media").fetchone()[0] == 0


def test_per_run_cap_leaves_the_rest_to_the_next_crawl(tmp_path: Path):
    """WIXARCHIVE_MEDIA_RUN_BYTES: once a run has stored that many bytes of images it requests
    no more (those in flight finish: at most crawler.media.MAX_OUTSTANDING); the next crawl
    fetches the rest, and none of the first run's again."""
    from crawler.media import MAX_OUTSTANDING

    blog = SampleBlog(seed=21, post_count=60)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        crawl(server.url, db, media.url, "WIXARCHIVE_MEDIA_RUN_BYTES=1")
        first = [p for p in media.request_log if p.startswith("/media/")]
        with Archive.open(db, readonly=True) as archive:
            wanted = archive.conn.execute(
                "SELECT count(DISTINCT url) FROM images").fetchone()[0]
            stored = archive.conn.execute(
                "SELECT count(*) FROM media WHERE status = 'stored'").fetchone()[0]
        assert wanted > 2 * MAX_OUTSTANDING  # enough images for the cap to show
        assert 1 <= stored == len(first) <= MAX_OUTSTANDING
        # `stats --images` names the images the cap left for the next crawl.
        assert image_stats(db)[0] == {"images": wanted, "images_archived": stored,
                                      "images_failed": 0, "images_not_fetched": wanted - stored}
        media.request_log.clear()
        crawl(server.url, db, media.url)  # default cap: the rest
        second = [p for p in media.request_log if p.startswith("/media/")]
        assert not set(second) & set(first)  # an archived image is never fetched again
        with Archive.open(db, readonly=True) as archive:
            assert archive.conn.execute("SELECT count(*) FROM media WHERE status = 'stored'"
                                        ).fetchone()[0] == wanted


def test_an_image_host_that_does_not_resolve_is_one_line_per_failure_and_no_post_fails(
        tmp_path: Path):
    """Scrapy logs a robots.txt it cannot fetch with a whole traceback; the crawl shows the
    user its one-line message instead, records each image as failed, and stores every post."""
    blog = SampleBlog(seed=5, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        command = [sys.executable, "-m", "crawler.run", server.url, "--db", str(db),
                   "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false",
                   "--set", "RETRY_TIMES=0",
                   "--set", "WIXARCHIVE_MEDIA_BASE=http://media.invalid/media/"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "robots.txt" in result.stderr and "media.invalid" in result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["errors"] == []
    with Archive.open(db, readonly=True) as archive:
        statuses = [row[0] for row in archive.conn.execute("SELECT status FROM media")]
        posts = archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    assert set(statuses) == {"failed"}
    assert posts == 4
    # The posts are archived (ok), and the summary line says the images were not.
    assert summary["status"] == "ok"
    # With why (it said "Forbidden by robots.txt", which an offline user read as Wix
    # forbidding its images) and what to do: nothing but crawl again.
    assert re.search(
        rf"; {len(statuses)} of {len(statuses)} media downloads failed \(first: "
        r"https://static\.wixstatic\.com/media/\S+: its host's robots\.txt could not be "
        r"reached: DNS lookup failed: [^;]*media\.invalid[^;]*; the next crawl tries them "
        r"again\)$",
        summary["message"]), summary["message"]


def _hang_up(handler: object) -> bool:
    """No answer at all: the connection closed (a robots.txt that cannot be reached)."""
    handler.close_connection = True  # type: ignore[attr-defined]
    return True


@pytest.mark.parametrize("unreachable", [False, True], ids=["forbidding", "unreachable"])
def test_an_image_host_whose_robots_txt_forbids_or_cannot_be_reached_is_not_fetched_from(
        tmp_path: Path, unreachable: bool):
    """Scrapy 2.19 hands the rules of a robots.txt being fetched to the first request waiting
    for them, and None (allow everything) to the others: of the images asked for at once,
    all but the first two went out, though the media host's robots.txt forbade them.
    RFC 9309 (2.3.1.4): one that cannot be reached forbids everything too, where Scrapy's
    middleware allowed everything. No image is fetched: each is recorded failed (the next
    crawl asks again), and every post is stored."""
    blog = SampleBlog(seed=6, post_count=3)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        if unreachable:
            media.takeovers["/robots.txt"] = _hang_up
        else:
            media.overrides["/robots.txt"] = Response(200, b"User-agent: *\nDisallow: /media/\n",
                                                      {"Content-Type": "text/plain"})
        summary = crawl(server.url, db, media.url, "RETRY_TIMES=0")
        asked = list(media.request_log)
    assert summary["status"] == "ok" and summary["counts"]["new"] == 3, summary
    assert asked == ["/robots.txt"], asked
    with Archive.open(db, readonly=True) as archive:
        outcomes = {tuple(row) for row in archive.conn.execute("SELECT status, error FROM media")}
    reason = ("its host's robots.txt could not be reached: connection lost before any answer"
              if unreachable else "Forbidden by robots.txt")
    assert outcomes == {("failed", reason)}, outcomes


def test_a_stop_while_the_images_are_being_stored_still_ends_the_crawl(tmp_path: Path):
    """SIGTERM while the image outcomes wait in the item pipeline (the archive worker held by the
    test's write lock): the site closes, its run and summary are recorded and the process exits.
    It waited for ever: Scrapy's scraper re-checks whether it may close only when a response's
    processing ends, and the outcomes are an item of their own
    (crawler.spiders.wix._recheck_closing)."""
    blog = SampleBlog(seed=6, post_count=12)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        media.gate = Gate("/media/")  # every image waits for the test
        with running(crawler_command(server.url, db, f"WIXARCHIVE_MEDIA_BASE={media.url}/media/")
                     ) as (proc, stdout, stderr):
            wait_until(lambda: media.gate.held, "the images requested", proc)
            # The archive's write lock, taken here, holds the worker on the image outcomes
            # (for less than its busy timeout: they are stored once it is let go).
            with write_lock(db):
                media.gate.release()
                # Time for the outcomes to reach the waiting worker, then for the stop to reach
                # the item pipeline's close, which waits for them.
                time.sleep(1.5)
                proc.send_signal(signal.SIGTERM)
                time.sleep(1.5)
            proc.wait(timeout=60)
    out, err = stdout.finish(), stderr.finish()
    assert "Traceback" not in err, err
    assert json.loads(out)["status"] == "interrupted"
    images = set(image_urls(blog))
    with Archive.open(db, readonly=True) as archive:
        assert len(archive.known_posts(server.url)) == 12
        assert [r["status"] for r in archive.runs(10)] == ["interrupted"]
        # The outcomes the stop waited for are kept.
        stored = archive.conn.execute("SELECT url FROM media WHERE status = 'stored'")
        assert {row[0] for row in stored} == images


def test_images_come_from_wixs_cdn_at_a_browsers_pace_while_pages_keep_the_delay(
        tmp_path: Path):
    """A post's images are on Wix's CDN, not the blog's server: they are fetched together, as a
    browser showing the post fetches them (the CDN's own download slot: 4 at a time, no delay),
    while the blog's pages stay DOWNLOAD_DELAY apart (1 s, Scrapy's jitter: 0.5-1.5 s)."""
    blog = SampleBlog(seed=17, post_count=6)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        summary = crawl(server.url, db, media.url, "DOWNLOAD_DELAY=1")
        pages = [t for path, t in zip(server.request_log, server.request_times, strict=True)
                 if path.startswith("/post/")]
        images = [t for path, t in zip(media.request_log, media.request_times, strict=True)
                  if path.startswith("/media/")]
    assert summary["status"] == "ok" and summary["counts"]["new"] == 6
    assert len(images) == len(image_urls(blog)) == 9
    assert min(b - a for a, b in zip(pages, pages[1:], strict=False)) >= 0.45
    assert min(b - a for a, b in zip(images, images[1:], strict=False)) < 0.2
    with Archive.open(db, readonly=True) as archive:
        statuses = archive.conn.execute("SELECT url, status, error FROM media").fetchall()
        assert [row for row in statuses if row[1] != "stored"] == [] and len(statuses) == 9


def test_an_export_beside_a_crawl_links_the_images_it_has_not_indexed_yet(tmp_path: Path):
    """A crawl records an image as stored, naming its capture, a moment before it indexes
    that capture (in another thread, in batches). A Markdown export taken meanwhile said
    `Error: 1 image could not be read from the captures (... run wixarchive check)` and exited
    1, while `check` found nothing wrong. Here the real capture writer is held open with the
    image's record unindexed, as a running crawl leaves it."""
    blog = SampleBlog(seed=31, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        crawl(server.url, db, server.url)
        with Archive.open(db, readonly=True) as archive:
            image = archive.conn.execute("SELECT url FROM media WHERE status = 'stored' "
                                         "ORDER BY url LIMIT 1").fetchone()[0]
        with urllib.request.urlopen(f"{server.url}{media_path(image)}", timeout=60) as got:
            body, headers = got.read(), list(got.headers.items())
    writer = captures.CaptureWriter(captures.captures_dir(db))
    try:
        row = writer.write(captures.Exchange(image, "GET", [("Accept", "image/*")], 200,
                                             headers, body, captures.new_record_id()))
        with Archive.open(db) as archive, archive.transaction() as conn:
            captures.record_media(conn, image, "stored", row.fetched_at, "image/png", len(body),
                                  row.payload_digest, row.record_id, None)
        export = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--format",
                                 "markdown", str(tmp_path / "site"), "--db", str(db)],
                                capture_output=True, text=True, timeout=300)
    finally:
        writer.close()
    assert export.returncode == 0, export.stderr
    assert "Error" not in export.stderr
    assert "a crawl running now has not indexed the captures of 1 image yet" in export.stderr
    pages = "".join(p.read_text() for p in (tmp_path / "site").rglob("*.md"))
    assert image in pages  # linked on its site, this time
