"""The article page never loads an image from the site: a post's images show from the archive
(`/<db>/-/media/<digest>`) or are plain links, an archived image that cannot be read (capture
file missing, truncated or damaged) is named on the page, and the pages' policy allows images
from the archive only. Archives are made by `wixarchive import` of a web archive, as a user
would, and read through Datasette's own client and a real headless Chromium."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from lxml import html as lxml_html
from test_web import Client
from test_web_serve import running_server
from webarchives import table, wixarchive, write_warc

from archive import captures
from archive.store import Archive
from crawler.extract.record import Article
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import media_bytes

pytest.importorskip("datasette")

from archive.cli.serve import make_datasette

IMG = re.compile(r"<img\b[^>]*>")
SRC = re.compile(r'\bsrc="([^"]*)"')


def import_post(tmp_path: Path, *, with_images: bool) -> tuple[Path, list[str]]:
    """An archive (tmp_path/archive.db) imported from a WARC of one sample post, with or
    without its images; and the post's image URLs."""
    blog = SampleBlog(seed=4, post_count=3)
    post = blog.posts[0]
    with serve_blog(blog) as server, urllib.request.urlopen(server.url + post.url_path) as page:
        records = [(server.url + post.url_path, page.read(), "text/html; charset=utf-8")]
    images = post.expected()["images"]
    assert len(images) == 2
    if with_images:
        records += [(url, media_bytes(url.rsplit("/", 1)[-1]), "image/jpeg") for url in images]
    write_warc(tmp_path / "post.warc.gz", records)
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(tmp_path / "post.warc.gz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db, images


@pytest.fixture
def no_images(tmp_path: Path) -> tuple[Path, list[str]]:
    return import_post(tmp_path, with_images=False)


@pytest.fixture
def with_images(tmp_path: Path) -> tuple[Path, list[str]]:
    return import_post(tmp_path, with_images=True)


def article(db: Path) -> tuple[str, dict[str, str]]:
    """The article page of the archive's one post (a fresh Datasette, as `serve` starts), and
    the answer to every image the page embeds: its status and first line."""
    client = Client(make_datasette(db))
    try:
        response = client.get("/archive/-/post/1")
        assert response.status_code == 200
        answers = {}
        for tag in IMG.findall(response.text):
            src = SRC.search(tag).group(1)
            image = client.get(src)
            answers[src] = f"{image.status_code} " + (
                image.text[:200] if image.status_code != 200 else "")
        return response.text, answers
    finally:
        client.close()


def body_of(page: str) -> str:
    return page[page.index('<div class="wxa-body"'):page.index("Version history")]


def test_images_not_archived_are_links_never_loaded_from_the_site(no_images) -> None:
    db, images = no_images
    page, embedded = article(db)
    assert embedded == {}  # cover, body and gallery: no <img> at all
    body = body_of(page)
    assert "<img" not in body
    for url in images:  # the body's images are links to their URLs, as the cover is
        assert (f'<a class="wxa-unarchived" href="{url}" rel="noopener noreferrer nofollow">'
                in body), url
    assert "Cover image (not archived)" in page


def test_the_policy_allows_images_from_the_archive_only(no_images) -> None:
    db, _ = no_images
    client = Client(make_datasette(db))
    try:
        for path in ("/archive/-/post/1", "/archive/-/search?q=greenhouse", "/archive/posts",
                     "/archive/posts/1", "/archive/media"):
            policy = client.get(path).headers["content-security-policy"]
            directives = {p.split()[0]: p.split()[1:] for p in policy.split(";") if p.strip()}
            assert directives["img-src"] == ["'self'", "data:"], path
    finally:
        client.close()


def test_archived_images_show_from_the_archive(with_images) -> None:
    db, images = with_images
    page, embedded = article(db)
    assert len(embedded) == 2
    assert all(src.startswith("/archive/-/media/") for src in embedded), embedded
    assert set(embedded.values()) == {"200 "}
    assert "wxa-problem" not in page and "not archived" not in page


def image_file(db: Path) -> tuple[Path, list[tuple[int, int]]]:
    """The capture file holding the images, and their records' (offset, length)."""
    rows = table(db, "SELECT f.name, c.offset, c.length FROM media m JOIN captures c "
                     "ON c.record_id = m.capture JOIN capture_files f ON f.id = c.file_id "
                     "WHERE m.status = 'stored' ORDER BY c.offset")
    assert len(rows) == 2 and len({name for name, _, _ in rows}) == 1
    return captures.captures_dir(db) / rows[0][0], [(o, n) for _, o, n in rows]


def test_unreadable_images_are_named_and_linked_not_embedded(with_images) -> None:
    db, images = with_images
    path, records = image_file(db)
    original = path.read_bytes()
    (first_offset, first_length), (last_offset, last_length) = records

    # Cut inside the last image's record (as `truncate -s` would): that image is named and
    # linked; the first, still whole, shows from the archive.
    path.write_bytes(original[:last_offset + last_length // 2])
    page, embedded = article(db)
    problems = re.findall(r'<p class="wxa-problem">(.*?)</p>', page)
    assert len(problems) == 1, problems
    assert "is truncated" in problems[0] and str(path) in problems[0]
    assert list(embedded.values()) == ["200 "]  # no <img> left that answers 410

    # Bytes changed inside the first image's record (a new file of the same size): named as
    # damaged, read again although the earlier page view found it whole.
    damaged = bytearray(original)
    middle = first_offset + first_length // 2
    damaged[middle:middle + 64] = bytes(64)
    path.with_name("replacement").write_bytes(damaged)
    os.replace(path.with_name("replacement"), path)
    page, embedded = article(db)
    problems = re.findall(r'<p class="wxa-problem">(.*?)</p>', page)
    assert len(problems) == 1 and "is damaged" in problems[0], problems
    assert list(embedded.values()) == ["200 "]

    path.unlink()
    page, embedded = article(db)
    problems = re.findall(r'<p class="wxa-problem">(.*?)</p>', page)
    assert len(problems) == 2 and all("is missing" in p for p in problems), problems
    assert embedded == {}
    body = body_of(page)
    assert "<img" not in body and all(f'href="{url}"' in body for url in images)


# -- in a real browser -----------------------------------------------------------------------

@contextmanager
def proxy_sink() -> Iterator[tuple[str, list[bytes]]]:
    """A TCP listener on loopback, given to Chromium as its proxy: every request for a host
    other than loopback comes here (https as CONNECT). Records each connection's first line."""
    seen: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(200).split(b"\r\n", 1)[0])
                except OSError:
                    seen.append(b"(nothing read)")

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_no_request_leaves_loopback_in_chromium(no_images, tmp_path: Path) -> None:
    """The article page in headless Chromium, its images not archived: with the page's policy
    bypassed (the HTML alone) and enforced, the page asks no other host for anything; and the
    policy itself refuses a remote image added to the page. Chromium's proxy is a loopback
    sink, so nothing can reach the real site either way."""
    from test_web_security import browser, visit

    db, _ = no_images
    with proxy_sink() as (proxy, seen), running_server(db) as (_, base), \
            browser(tmp_path, f"--proxy-server=http://{proxy}") as tools:
        tools.call("Network.enable")
        page = f"{base}archive/-/post/1"
        for bypass in (True, False):
            report = visit(tools, page, bypass_csp=bypass)
            assert report["href"] == page and not report["bad"], report
            requested = [e["params"]["request"]["url"] for e in tools.events
                         if e.get("method") == "Network.requestWillBeSent"]
            assert requested and all(url.startswith(base) for url in requested), requested
        assert not [line for line in seen if b"wixstatic" in line], seen
        tools.evaluate("""(() => {
            const i = document.createElement('img');
            i.src = 'https://static.wixstatic.com/media/added.jpg';
            document.body.appendChild(i);
        })()""")
        tools.pump(1.0)
        violations = tools.evaluate("window.__violations")
        assert any(v.startswith("img-src") for v in violations), violations
        assert not [line for line in seen if b"wixstatic" in line], seen
        # The sink does see a request that leaves (a navigation, which img-src does not
        # govern): so finding none above means none was made.
        tools.call("Page.navigate", url="https://static.wixstatic.com/media/probe.jpg")
        tools.pump(1.0)
        assert b"CONNECT static.wixstatic.com:443 HTTP/1.1" in seen, seen


def test_a_link_to_an_archived_image_opens_its_copy(with_images) -> None:
    # An image that opens full size is a link to its URL: the link goes to the archived copy
    # too, not to the site.
    db, images = with_images
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE posts SET body_html = body_html || ? WHERE id = 1",
                     (f'<p><a href="{images[0]}">full size</a></p>',))
    page, _ = article(db)
    link = re.search(r'<a href="([^"]*)"[^>]*>full size</a>', body_of(page))
    assert link and link.group(1).startswith("/archive/-/media/"), link


def record_of(db: Path, url: str) -> tuple[Path, int, int]:
    """The capture file, offset and length of a stored media URL's record."""
    ((name, offset, length),) = table(
        db, "SELECT f.name, c.offset, c.length FROM media m JOIN captures c ON c.record_id = "
            f"m.capture JOIN capture_files f ON f.id = c.file_id WHERE m.url = '{url}'")
    return captures.captures_dir(db) / name, offset, length


def test_a_truncated_document_is_named_and_linked_to_the_site(tmp_path: Path) -> None:
    """A document whose capture file was cut inside its record: named on the page (as an
    image's is) and linked to its URL, never to a copy that answers 410."""
    from crawler.sample_site.files import pdf_bytes

    blog = SampleBlog(seed=5, post_count=6, attachments=True)
    post = next(p for p in blog.posts if p.documents)
    with serve_blog(blog) as server, urllib.request.urlopen(server.url + post.url_path) as page:
        document = server.url + post.documents[0]
        write_warc(tmp_path / "post.warc.gz", [
            (server.url + post.url_path, page.read(), "text/html; charset=utf-8"),
            (document, pdf_bytes(document.rsplit("/", 1)[1].removesuffix(".pdf")),
             "application/pdf")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(tmp_path / "post.warc.gz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    client = Client(make_datasette(db))
    try:
        link = '<li>Document: <a href="/archive/-/media/'
        assert link in client.get("/archive/-/post/1").text  # whole: its copy
        path, offset, length = record_of(db, document)
        with path.open("r+b") as handle:
            handle.truncate(offset + length // 2)
        page = client.get("/archive/-/post/1").text
        problems = re.findall(r'<p class="wxa-problem">(.*?)</p>', page)
        assert problems == [f"Missing from the archive: document {document}: its capture "
                            f"file {path} is truncated "
                            f"(record at offset {offset})"], problems
        assert link not in page and f'<a href="{document}"' in page
    finally:
        client.close()


def test_the_same_image_stored_twice_shows_and_serves_the_readable_copy(tmp_path: Path) -> None:
    """Two blogs whose posts show the same image bytes under different URLs, imported one
    after the other (the second's capture is a revisit of the first's): with the second's
    capture file cut, the first post still shows the image and the media route serves it
    (the route once took whichever capture came first, unreadable or not, and answered 410);
    the second post shows it too, from the readable copy of the same bytes."""
    posts = []
    for seed in (4, 7):
        blog = SampleBlog(seed=seed, post_count=3)
        post = blog.posts[0]
        with serve_blog(blog) as server, \
                urllib.request.urlopen(server.url + post.url_path) as page:
            posts.append((server.url + post.url_path, page.read(), post.expected()["images"]))
    # The route's old choice, the first media row by URL, is the second blog's image.
    first, second = sorted(posts, key=lambda p: p[2][0], reverse=True)
    image = media_bytes(first[2][0].rsplit("/", 1)[1])
    db = tmp_path / "archive.db"
    for n, (url, html, images) in enumerate((first, second)):
        write_warc(tmp_path / f"{n}.warc.gz",
                   [(url, html, "text/html; charset=utf-8"), (images[0], image, "image/jpeg")])
        result = wixarchive("import", str(tmp_path / f"{n}.warc.gz"), "--db", str(db))
        assert result.returncode == 0, result.stderr
    assert first[2][0] > second[2][0]
    path, offset, _ = record_of(db, second[2][0])
    with path.open("r+b") as handle:
        handle.truncate(offset)
    ids = dict(table(db, "SELECT url, id FROM posts"))
    client = Client(make_datasette(db))
    try:
        for url, _, _ in (first, second):
            page = client.get(f"/archive/-/post/{ids[url]}").text
            assert "wxa-problem" not in page, url
            (src,) = {SRC.search(tag).group(1) for tag in IMG.findall(page)
                      if "/-/media/" in tag}
            answer = client.get(src)
            assert answer.status_code == 200 and answer.content == image, answer.text[:200]
    finally:
        client.close()


def test_the_media_lookup_by_digest_reads_an_index_not_the_whole_table(with_images) -> None:
    from archive.store import Archive
    from archive.web.views.media import readable_media

    db, _ = with_images
    with Archive.open(db) as archive:
        digests = [row[0] for row in archive.conn.execute(
            "SELECT payload_digest FROM media WHERE status = 'stored'")]
        queries: list[str] = []
        archive.conn.set_trace_callback(queries.append)
        served, problems = readable_media(archive, digests)
        archive.conn.set_trace_callback(None)
        assert set(served) == set(digests) and not problems
        lookup = next(q for q in queries if "FROM media" in q)
        plan = " ".join(row[-1] for row in archive.conn.execute("EXPLAIN QUERY PLAN " + lookup))
    # Once per image request: a scan of every media row took ~70 ms at 200k rows.
    assert "USING INDEX media_stored_digest" in plan, plan


def test_a_linked_image_not_archived_keeps_the_posts_link(tmp_path: Path) -> None:
    """A linked image not archived became a link to the image inside the post's own link:
    a browser closes the outer <a> at the inner one, so the picture no longer led where the
    post said."""
    db = tmp_path / "archive.db"
    image = "https://static.wixstatic.com/media/ab12_5555~mv2.jpg"
    with Archive.open(db) as archive:
        archive.save_article(Article(
            url="https://blog.example.com/post/shop", title="Shop", body_text="Buy it",
            body_html=(f'<figure><a href="https://shop.example.org/fern"><img src="{image}" '
                       'alt="A fern"></a><figcaption>Buy it</figcaption></figure>'),
            body_markdown="", images=[image]))
    page, _ = article(db)
    figure = lxml_html.fromstring(body_of(page)).find(".//figure")
    links = figure.findall(".//a")
    assert [(a.get("href"), a.text_content()) for a in links] == [
        ("https://shop.example.org/fern", "Image: A fern (not archived)")]


def test_an_image_a_running_crawl_has_not_indexed_yet_is_linked_not_missing(
        with_images: tuple[Path, list[str]], tmp_path: Path) -> None:
    """A crawl records an image as stored, naming its capture, a moment before it indexes
    that capture. A colleague browsing meanwhile read `Missing from the archive: image URL:
    its capture is not indexed` under a post crawled a second before. Here the real capture
    writer is held open with the image's new record unindexed, as a running crawl leaves it:
    the page links the image on its site, and names no problem."""
    db, images = with_images
    image = images[0]
    body = media_bytes("another~mv2.jpg")  # the image replaced on the site, fetched again
    writer = captures.CaptureWriter(captures.captures_dir(db))
    try:
        row = writer.write(captures.Exchange(image, "GET", [("Accept", "image/*")], 200,
                                             [("Content-Type", "image/jpeg")], body,
                                             captures.new_record_id()))
        with Archive.open(db) as archive, archive.transaction() as conn:
            captures.record_media(conn, image, "stored", row.fetched_at, "image/jpeg",
                                  len(body), row.payload_digest, row.record_id, None)
        client = Client(make_datasette(db))
        try:
            page = client.get("/archive/-/post/1").text
        finally:
            client.close()
    finally:
        writer.close()
    assert re.findall(r'<p class="wxa-problem">(.*?)</p>', page) == []
    assert f'src="{image}"' in page or f'href="{image}"' in page
