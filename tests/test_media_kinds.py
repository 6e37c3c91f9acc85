"""Videos and documents: extraction records them by URL, a crawl fetches them only when asked
(`--media-kinds`), once per file, with bad ones recorded per file; the article page, the
Markdown export and `stats` show them. Real crawls of the sample blog on loopback."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from lxml import etree

from archive import captures
from archive.store import Archive
from crawler.extract import extract_article
from crawler.extract.attachments import find_attachments
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.files import mp4_bytes, pdf_bytes
from crawler.sample_site.server import Response
from tests.processes import run_crawl
from tests.test_crawl_redis import REDIS_SERVER, redis_server, start_worker, start_writer, stop
from tests.test_export import wordpress_import
from tests.test_media import _get
from tests.webarchives import loopback

__all__ = ["redis_server"]  # the fixture, imported for the distributed test

ALL_KINDS = "WIXARCHIVE_MEDIA_KINDS=images,video,documents"


def body(markup: str) -> etree._Element:
    return etree.fromstring(f"<div>{markup}</div>", etree.HTMLParser()).find(".//body/div")


def urls(markup: str, base: str = "https://blog.example.com/post/a") -> list[tuple[str, str, bool]]:
    return [(a["url"], a["kind"], a["is_file"]) for a in find_attachments(body(markup), base)]


def test_videos_and_documents_found_by_what_wix_serves():
    video_info = json.dumps({"videoId": "abc123_0f", "qualities": [
        {"quality": "480p", "url": "video/abc123_0f/480p/mp4/file.mp4"},
        {"quality": "1080p", "url": "video/abc123_0f/1080p/mp4/file.mp4"},
        {"quality": "720p", "url": "video/abc123_0f/720p/mp4/file.mp4"}]})
    found = urls(
        '<p>See <a href="https://0a1b.usrfiles.com/ugd/0a1b2c_9f.pdf">the menu</a>, '
        '<a href="/_files/ugd/0a1b2c_77.docx">the form</a>, '
        '<a href="https://example.org/files/report.PDF?download=1">a report</a>, '
        '<a href="https://youtu.be/1o7sUrIcZ7A">YouTube</a> and '
        '<a href="https://example.org/about">about</a>.</p>'
        f"<wix-video data-video-info='{video_info}'></wix-video>"
        '<iframe src="https://www.youtube.com/embed/lVjzNtUjrGs?autoplay=0"></iframe>'
        '<iframe src="https://player.vimeo.com/video/76979871?h=8272103f6e"></iframe>'
        '<iframe src="https://www.google.com/maps/embed?pb=1"></iframe>'
        '<figure data-hook="figure-VIDEO"><div data-hook="video-player"><button '
        'style="background-image:url(https://i.ytimg.com/vi/mbzoQv0Em1g/maxresdefault.jpg)">'
        "</button></div></figure>"
        '<video><source src="https://video.wixstatic.com/video/abc123_1e/720p/mp4/file.mp4">'
        "</video>"
        '<p><a href="https://0a1b.usrfiles.com/ugd/0a1b2c_9f.pdf">the menu again</a></p>')
    assert found == [
        ("https://0a1b.usrfiles.com/ugd/0a1b2c_9f.pdf", "document", True),
        ("https://blog.example.com/_files/ugd/0a1b2c_77.docx", "document", True),
        ("https://example.org/files/report.PDF?download=1", "document", True),
        # the largest encoding, as images are kept at full size
        ("https://video.wixstatic.com/video/abc123_0f/1080p/mp4/file.mp4", "video", True),
        ("https://www.youtube.com/watch?v=lVjzNtUjrGs", "video", False),
        ("https://vimeo.com/76979871", "video", False),
        ("https://video.wixstatic.com/video/abc123_1e/720p/mp4/file.mp4", "video", True),
        ("https://www.youtube.com/watch?v=mbzoQv0Em1g", "video", False),
    ]  # a text link to YouTube is a link, a map is not a video: neither is recorded
    types = {a["url"][-4:]: a["content_type"] for a in find_attachments(body(
        '<a href="/_files/ugd/x_1.pdf">a</a><a href="/_files/ugd/x_2.docx">b</a>'), None)}
    assert types == {}  # no base: relative links cannot be recorded
    assert urls("<p>No media at all.</p>") == []


def test_real_pages_youtube_preview_and_pdf_link(realworld_dir: Path):
    html = realworld_dir / "html"
    fenicio = extract_article((html / "fenicio.es__el-fenicio-a-toda-vela.html").read_bytes())
    assert [(a["url"], a["is_file"]) for a in fenicio.attachments] == [
        ("https://www.youtube.com/watch?v=lVjzNtUjrGs", False)]
    sus = extract_article((html / "arturteixeira7.wixsite.com__printdreams3d__como-obter-uma-"
                                  "protese-pelo-sus.html").read_bytes())
    assert [(a["kind"], a["content_type"]) for a in sus.attachments] == [
        ("document", "application/pdf")]
    # Site-wide background videos (wix-video outside the post) are chrome, never recorded.
    assert all("video.wixstatic.com" not in a["url"] for a in sus.attachments)


def _video_info(video_id: str) -> str:
    return json.dumps({"videoId": video_id, "qualities": [
        {"quality": "360p", "url": f"video/{video_id}/360p/mp4/file.mp4"},
        {"quality": "720p", "url": f"video/{video_id}/720p/mp4/file.mp4"}]})


def _bg_video(comp: str, video_id: str) -> str:
    """Wix's background layers holding a video (as a real column's, printdreams3d)."""
    return (f'<div id="bgLayers_{comp}" data-hook="bgLayers"><div id="bgMedia_{comp}">'
            f"<wix-video data-video-info='{_video_info(video_id)}'><video></video></wix-video>"
            "</div></div>")


def test_element_built_posts_record_the_body_elements_videos_and_documents():
    """Element-built pages: video boxes, lazily loaded YouTube/Vimeo players, document
    buttons and links in the text, between the title element and where the body ends; never a
    section's or column's background video, nor media above the title, after the share row
    or in the site's header and footer."""
    from tests.test_extract_layouts import _page, _posting, _rt

    # The share row ends the body inside the body's own column: what follows it there is not
    # the post's, nor is the related posts block after the section.
    share = ('<div data-testid="wixui_ShareButtons_comp-1"><a>Share on Facebook</a></div>'
             '<a href="/_files/ugd/after_4.pdf">Our brochure</a>')
    related = ('<div data-hook="related-posts-root"><article data-hook="post-list-item"><h3>'
               'Other</h3><a href="/_files/ugd/other_2.pdf">PDF</a><iframe src="https://www.'
               'youtube.com/embed/mbzoQv0Em1g"></iframe></article></div>')
    main = (
        '<section class="wixui-section">'
        + _rt('<p><a href="/_files/ugd/banner_1.pdf">Our brochure</a></p>')  # above the title
        + _rt("<h1>Harvest notes</h1>") + _rt("<p>Ada Moss · Jul 24, 2024 · 4 min read</p>")
        + '</section><section id="comp-body" class="wixui-section">'
        + _bg_video("comp-body", "bg_0")
        + '<div data-testid="columns"><div id="comp-col" class="wixui-column-strip__column">'
        + _bg_video("comp-col", "bg_1")
        + _rt('<p>The beans came early; <a href="https://a1b2.usrfiles.com/ugd/a1b2_menu.pdf">'
              "the menu</a>.</p>")
        + '<div id="comp-vb" class="wixui-video-box">' + _bg_video("comp-vb", "box_0")
        + '<button aria-label="Play video"></button></div>'
        + '<div id="comp-yt" class="wixui-video-player"><wix-iframe data-src="https://www.'
          'youtube.com/embed/lVjzNtUjrGs?autoplay=0"><iframe title="External YouTube" '
          'data-src="https://www.youtube.com/embed/lVjzNtUjrGs?autoplay=0"></iframe>'
          "</wix-iframe></div>"
        + '<div id="comp-vm"><iframe src="https://player.vimeo.com/video/76979871"></iframe>'
          "</div>"
        + _rt("<p>Dry them well.</p>")
        + '<a data-testid="linkElement" href="/_files/ugd/a1b2_plan.docx" '
          'class="wixui-document-media"><span>Planting plan</span></a>'
        + share + "</div></div></section>" + related
    )
    page = _page(ld=[_posting()], main=main).replace(
        "</footer>", '<a href="/_files/ugd/footer_3.pdf">Terms</a></footer>')
    article = extract_article(page, "https://blog.example.com/post/harvest-notes")
    assert article.body_text == "The beans came early; the menu.\n\nDry them well."
    assert [(a["url"], a["kind"], a["is_file"]) for a in article.attachments] == [
        ("https://a1b2.usrfiles.com/ugd/a1b2_menu.pdf", "document", True),
        ("https://video.wixstatic.com/video/box_0/720p/mp4/file.mp4", "video", True),
        ("https://www.youtube.com/watch?v=lVjzNtUjrGs", "video", False),
        ("https://vimeo.com/76979871", "video", False),
        ("https://blog.example.com/_files/ugd/a1b2_plan.docx", "document", True),
    ]
    # No end marker: the body runs to the end of the main region, and so do its attachments.
    unended = main.replace(share, "").replace(related, "")
    article = extract_article(_page(ld=[_posting()], main=unended),
                              "https://blog.example.com/post/harvest-notes")
    assert len(article.attachments) == 5
    assert article.attachments[-1]["url"].endswith("a1b2_plan.docx")


def _get_url(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback
        return response.read()


def crawl(url: str, db: Path, *settings: str) -> dict:
    return run_crawl(url, db, f"WIXARCHIVE_VIDEO_BASE={url}/", *settings)


def file_requests(server) -> list[str]:
    return [p for p in server.request_log if p.startswith(("/_files/", "/video/"))]


def test_recorded_by_default_fetched_on_request_once_bad_ones_per_file(tmp_path: Path):
    blog = SampleBlog(seed=5, post_count=18, attachments=True)
    db = tmp_path / "archive.db"
    videos = sorted(v for p in blog.posts for v in p.videos)
    documents = sorted(d for p in blog.posts for d in p.documents)
    assert len(videos) >= 3 and len(documents) >= 3
    # Element-built posts hold them too (a video box element, a link in a text element), and
    # their body's section has a background video, which is design, never recorded.
    assert {p.layout for p in blog.posts if p.extras} == {"classic", "new", "elements", "cms"}
    with serve_blog(blog) as server:
        base = server.url
        expected = {url: "video" for url in videos} | {base + d: "document" for d in documents}
        missing, huge = documents[0], videos[0].replace("https://video.wixstatic.com", "")
        server.overrides[missing] = Response(404, b"gone", {"Content-Type": "text/plain"})
        server.overrides[huge] = Response(200, b"\0" * 300_000, {"Content-Type": "video/mp4"})

        # 1. By default: recorded with their posts, nothing downloaded.
        summary = crawl(base, db)
        assert summary["status"] == "ok" and summary["counts"]["new"] == 18
        assert file_requests(server) == []
        with Archive.open(db, readonly=True) as archive:
            rows = archive.conn.execute(
                "SELECT url, kind, fetched, status FROM post_attachments").fetchall()
        assert {url: kind for url, kind, _, _ in rows} == expected  # no background video
        assert all(fetched == 0 and status is None for _, _, fetched, status in rows)
        # An archive from before they were recorded (rows gone): `reextract` records them
        # from the captures, with no new version.
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM attachments")
        conn.close()
        result = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--db",
                                 str(db), "--json"], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["changed"] == 0
        with Archive.open(db, readonly=True) as archive:
            again = archive.conn.execute("SELECT url, kind FROM post_attachments").fetchall()
        assert dict(again) == expected

        # 2. Asked for: the recorded files of these unchanged posts are fetched, each once;
        # a 404 and a file over the cap are recorded per file and fail no post.
        summary = crawl(base, db, ALL_KINDS, "WIXARCHIVE_MEDIA_MAX_BYTES=200000")
        assert summary["status"] == "ok" and summary["counts"]["unchanged"] == 18
        fetched = file_requests(server)
        assert sorted(fetched) == sorted(
            [d for d in documents] + [v.replace("https://video.wixstatic.com", "")
                                      for v in videos])
        with Archive.open(db, readonly=True) as archive:
            conn = archive.conn
            status = dict(conn.execute("SELECT url, status FROM post_attachments").fetchall())
            assert status.pop(base + missing) == "http-404"
            assert status.pop(videos[0]) == "too-big"
            assert set(status.values()) == {"stored"}
            directory = captures.captures_dir(db)
            for url, capture, content_type in conn.execute(
                    "SELECT m.url, m.capture, m.content_type FROM media m JOIN attachments a "
                    "ON a.url = m.url WHERE m.status = 'stored'"):
                payload = captures.read_payload(conn, directory, capture)
                file_id = url.split("/")[-1].removesuffix(".pdf") if url.endswith(".pdf") \
                    else url.split("/")[-4]
                if url.endswith(".pdf"):
                    assert payload.body == pdf_bytes(file_id) and content_type == \
                        "application/pdf"
                else:
                    assert payload.body == mp4_bytes(file_id) and content_type == "video/mp4"

        # 3. Archived once, never fetched again (404 and too-big are final too).
        server.request_log.clear()
        summary = crawl(base, db, ALL_KINDS, "WIXARCHIVE_MEDIA_MAX_BYTES=200000")
        assert summary["status"] == "ok"
        assert file_requests(server) == []

        # 4. Shown: the article page serves the archived copies from the archive and links
        # the others plainly (never an embed); the Markdown export copies and links them;
        # `stats` counts them.
        pdf_post = next(p for p in blog.posts if p.documents and p.documents[0] != missing)
        stored_pdf = base + pdf_post.documents[0]
        with Archive.open(db, readonly=True) as archive:
            post_id = archive.post(base + pdf_post.url_path)["id"]
            missing_id = next(archive.post(base + p.url_path)["id"] for p in blog.posts
                              if p.documents and p.documents[0] == missing)
        status, _, page = _get(db, f"/archive/-/post/{post_id}")
        assert status == 200
        links = re.findall(r'<li>Document: <a href="([^"]+)">', page.decode())
        assert len(links) == 1 and links[0].startswith("/archive/-/media/")
        assert "<iframe" not in page.decode() and "<video" not in page.decode()
        status, content_type, served = _get(db, links[0])
        assert status == 200 and content_type == "application/pdf"
        assert served == pdf_bytes(stored_pdf.rsplit("/", 1)[1].removesuffix(".pdf"))
        _, _, data = _get(db, f"/archive/-/post/{post_id}.json")
        [item] = json.loads(data)["attachments"]
        assert (item["url"], item["kind"], item["archived"]) == (stored_pdf, "document", True)
        _, _, page = _get(db, f"/archive/-/post/{missing_id}")
        assert f'href="{base + missing}" rel="noopener noreferrer nofollow"' in page.decode()
        assert "(not archived: http-404)" in page.decode()

    out = tmp_path / "export"
    result = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--db", str(db),
                             "--format", "markdown", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (document,) = [p for p in out.rglob("*.md") if pdf_post.slug in p.parent.name]
    text = document.read_text(encoding="utf-8")
    (local,) = re.findall(r"\(files/([0-9a-f]{16}\.pdf)\)", text)
    assert stored_pdf not in text
    assert (document.parent / "files" / local).read_bytes() == served
    assert f'documents: ["files/{local}"]' in text
    video_post = next(p for p in blog.posts if p.videos and p.videos[0] != videos[0])
    (video_doc,) = [p for p in out.rglob("*.md") if video_post.slug in p.parent.name]
    assert re.search(r'videos: \["files/[0-9a-f]{16}\.mp4"\]', video_doc.read_text())

    # WordPress: every video file and document is an attachment item of its post; the archived
    # ones point at their copies published under --images-url (served here as WordPress's
    # importer would download them: the bytes the site served), the others at the site.
    wxr_file = tmp_path / "wordpress.xml"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(tmp_path / "wordpress-images"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    published = f"http://127.0.0.1:{server.server_port}/"
    result = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--db", str(db),
                             "--format", "wxr", "--images-url", published, str(wxr_file),
                             "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    files = len(videos) + len(documents)
    assert (summary["files"], summary["archived_files"]) == (files, files - 2)
    imported = wordpress_import(wxr_file)
    ids = {p.slug: imported["links"][base + p.url_path] for p in blog.posts}
    by_file = {a["url"]: a for a in imported["attachments"]
               if a["file"].endswith((".pdf", ".mp4"))}
    assert len(by_file) == files
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for post in blog.posts:
            for url, data in [(v, mp4_bytes(v.split("/")[-4])) for v in post.videos] + [
                    (d, pdf_bytes(d.rsplit("/", 1)[1].removesuffix(".pdf")))
                    for d in post.documents]:
                content = imported["posts"][ids[post.slug]]
                if url in (missing, videos[0]):  # not archived: WordPress fetches the original
                    original = base + url if url == missing else url
                    attachment = by_file[original]
                else:
                    [attachment] = [a for a in by_file.values() if a["parent"] == ids[post.slug]]
                    assert attachment["url"].startswith(published)
                    assert _get_url(attachment["url"]) == data
                assert attachment["parent"] == ids[post.slug]
                # The imported post shows its own copy: a link, or a video URL WordPress embeds.
                assert attachment["file"] in content, (post.layout, content[-300:])
    finally:
        server.shutdown()
        server.server_close()

    stats = subprocess.run([sys.executable, "-m", "archive.cli", "stats", "--db", str(db),
                            "--json"], capture_output=True, text=True, timeout=120)
    [row] = json.loads(stats.stdout)["sites"]
    assert (row["videos"], row["videos_archived"]) == (len(videos), len(videos) - 1)
    assert (row["documents"], row["documents_archived"]) == (len(documents),
                                                             len(documents) - 1)
    text = subprocess.run([sys.executable, "-m", "archive.cli", "stats", "--db", str(db)],
                          capture_output=True, text=True, timeout=120).stdout
    assert f"Videos: {len(videos)} ({len(videos) - 1} archived)" in text


def test_unknown_media_kind_is_a_one_line_error(tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", "http://127.0.0.1:9/",
                             "--db", str(tmp_path / "a.db"), "--media-kinds", "images,audio"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "unknown media kind audio: choose from images, video, documents" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "a.db").exists()  # refused before anything was written


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not found (Debian package "
                    "redis-server; .ci/run installs it)")
def test_fetched_by_distributed_workers_when_asked(tmp_path: Path, redis_server,
                                                   monkeypatch: pytest.MonkeyPatch):
    """Also `--page-requisites` through Redis: the writer lists the images the post pages show
    (renditions) from their captures, the workers fetch them, each once."""
    from crawler.page_requisites import image_urls
    from crawler.sample_site.chrome import Site
    from crawler.sample_site.render import post_page

    blog = SampleBlog(seed=7, post_count=9, attachments=True)
    db = tmp_path / "archive.db"
    with serve_blog(blog, host=loopback(20)) as server:
        monkeypatch.setenv("WIXARCHIVE_VIDEO_BASE", server.url + "/")
        monkeypatch.setenv("WIXARCHIVE_MEDIA_BASE", server.url + "/media/")
        expected = {v: "stored" for p in blog.posts for v in p.videos} | {
            server.url + d: "stored" for p in blog.posts for d in p.documents}
        shown = {url for post in blog.posts for url in image_urls(
            post_page(Site(blog, server.url), post).encode(), server.url + post.url_path)}
        assert expected and shown and all("/v1/" in url for url in shown)
        writer = start_writer([server.url], db, redis_server.url, "--media-kinds",
                              "video,documents", "--page-requisites")
        workers = [start_worker(redis_server.url)]
        try:
            out, err = writer.communicate(timeout=180)
            workers[0].wait(timeout=60)
        finally:
            stop([writer, *workers])
        assert writer.returncode == 0, err
        assert sorted(file_requests(server)) == sorted(
            {u.replace("https://video.wixstatic.com", "").replace(server.url, "")
             for u in expected})
        media_requests = [p for p in server.request_log if p.startswith("/media/")]
        assert sorted(media_requests) == sorted(
            u.replace("https://static.wixstatic.com", "") for u in shown)  # each once
    with Archive.open(db, readonly=True) as archive:
        rows = dict(archive.conn.execute("SELECT url, status FROM media").fetchall())
    # Images at full size not asked for: none fetched; the page requisites all stored.
    assert rows == expected | dict.fromkeys(shown, "stored")


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server not found (Debian package "
                    "redis-server; .ci/run installs it)")
def test_why_images_failed_is_named_through_redis_as_without(tmp_path: Path, redis_server):
    """Through Redis workers the site's line said "4 of 4 media downloads failed (the next
    crawl tries them again)" with no reason, where a crawl without Redis names the first
    failure's URL and why (an image host that does not resolve: no network)."""
    blog = SampleBlog(seed=5, post_count=3)
    env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": "http://media.invalid/media/"}
    with serve_blog(blog, host=loopback(21)) as server:
        writer = start_writer([server.url], tmp_path / "archive.db", redis_server.url, env=env)
        worker = start_worker(redis_server.url, env=env)
        try:
            out, err = writer.communicate(timeout=180)
            worker.wait(timeout=60)
        finally:
            stop([writer, worker])
    assert writer.returncode == 0, err
    line = next(line for line in out.splitlines() if line.startswith("✓"))
    assert re.search(r"; (\d+) of \1 media downloads failed \(first: https://static\.wixstatic"
                     r"\.com/media/\S+: its host's robots\.txt could not be reached: DNS lookup "
                     r"failed: [^;]*media\.invalid[^;]*; the next crawl tries them again\)",
                     line), line
