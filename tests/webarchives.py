"""Helpers shared by the tests that make web archives with other tools (Debian's wget,
warcio) and read them back: tests/test_import.py, tests/test_recover.py and tests/test_wacz.py."""

from __future__ import annotations

import io
import json
import math
import socket
import sqlite3
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from benchmarks.corpus import realworld_corpus
from crawler.discover.urls import is_post_url
from crawler.extract import extract_article
from crawler.sample_site import SampleBlog, serve_blog
from tests.processes import serve_http

REALWORLD = realworld_corpus()


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=600)

def wget_warc(url: str, warc: Path, workdir: Path, *more: str) -> Path:
    """A recursive wget of the site (and `more` URLs), its exchanges written to
    `warc`.warc.gz by wget itself."""
    options = [m for m in more if m.startswith("--")]
    subprocess.run(["wget", *options, "--recursive", "--level=inf", "--no-directories",
                    "--delete-after", "--quiet", "--tries=1", f"--directory-prefix={workdir}",
                    f"--warc-file={warc}", "--no-warc-keep-log", url + "/",
                    *[m for m in more if not m.startswith("--")]],
                   check=False, timeout=600)  # wget exits 8 for the site's deliberate 404s
    path = warc.with_name(warc.name + ".warc.gz")
    assert path.stat().st_size > 0
    return path

def wget_blog_as_shown(blog: SampleBlog, work: Path) -> dict:
    """A blog with videos and documents (`SampleBlog(attachments=True)`) captured by wget with
    `--page-requisites`, as a browser's capture holds it: its pages, the documents they link
    (on the blog's own host) and every size of every image the pages show (`src` and each
    `srcset` candidate, fetched from https://static.wixstatic.com through a loopback proxy,
    tests/wixstatic.py); and its first video as a browser played it, written with warcio.
    The servers are stopped on return. Gives the WARCs, the blog's URL, the rendition URLs
    each post page names (crawler.page_requisites) and the video's URL."""
    import os

    from crawler.page_requisites import image_urls
    from crawler.sample_site.files import mp4_bytes
    from tests.wixstatic import wixstatic_proxy

    environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with serve_blog(blog) as server, serve_blog(blog) as media, \
            wixstatic_proxy(media.url) as proxy:
        subprocess.run(["wget", "--recursive", "--level=inf", "--page-requisites",
                        "--span-hosts", "--domains=127.0.0.1,static.wixstatic.com",
                        "--no-check-certificate", f"--execute=https_proxy={proxy}",
                        "--no-directories", "--delete-after", "--quiet", "--tries=1",
                        f"--directory-prefix={work / 'mirror'}", f"--warc-file={work / 'blog'}",
                        "--no-warc-keep-log", server.url + "/"],
                       env=environment, check=False, timeout=600)
        named = {server.url + post.url_path: [
            url for url in image_urls(server.respond(post.url_path).body,
                                      server.url + post.url_path) if "/v1/" in url]
            for post in blog.posts}
        site = server.url + "/"
    video = next(video for post in blog.posts for video in post.videos)
    write_warc(work / "video.warc.gz",
               [(video, mp4_bytes(video.split("/")[-4]), "video/mp4")])
    return {"warc": work / "blog.warc.gz", "video_warc": work / "video.warc.gz",
            "site": site, "named": named, "video": video}

def wget_urls(urls: list[str], warc: Path, workdir: Path) -> Path:
    """wget of exactly these URLs (no recursion), its exchanges written to `warc`.warc.gz."""
    listing = workdir.with_name(workdir.name + ".urls.txt")
    listing.write_text("".join(f"{url}\n" for url in urls))
    subprocess.run(["wget", "--quiet", "--tries=1", "--delete-after", "--no-directories",
                    f"--directory-prefix={workdir}", f"--input-file={listing}",
                    f"--warc-file={warc}", "--no-warc-keep-log"],
                   check=False, timeout=600)
    return warc.with_name(warc.name + ".warc.gz")

def realworld_pages() -> dict[str, tuple[bytes, dict]]:
    """The real-world corpus's pages that have a truth record, by the record's name
    (<host>__<slug>): (HTML, truth); empty when the corpus is absent."""
    truths = sorted((REALWORLD / "truth").glob("*.json")) if REALWORLD.is_dir() else []
    pages = {}
    for truth in truths:
        html = REALWORLD / "html" / f"{truth.stem}.html"
        if html.exists():
            pages[truth.stem] = (html.read_bytes(), json.loads(truth.read_text()))
    return pages

def change_between_captures(blog: SampleBlog) -> tuple[list[str], list[str], str]:
    """Edit 3 posts, delete 2 and add 1, as a blog changes between two captures: the edited
    and deleted slugs and the added one."""
    slugs = [post.slug for post in blog.posts]
    edited = slugs[3:6]
    for slug in edited:
        blog.edit_post(slug, paragraphs=[f"Rewritten: {slug} says something new now.",
                                         "A second paragraph, also new."])
    deleted = slugs[10:12]
    for slug in deleted:
        blog.delete_post(slug)
    added = blog.add_post(title="A post written between the two captures")
    return edited, deleted, added.slug

def two_wget_captures(blog: SampleBlog, work: Path, changed: int,
                      deleted: int = 0) -> tuple[Path, Path, str]:
    """wget's captures of the blog, served on 127.0.0.1, before and after its first `changed`
    posts are edited and the next `deleted` deleted (the second capture asks for those too:
    404s); and the blog's URL. For the benchmarks."""
    with serve_blog(blog) as server:
        first = wget_warc(server.url, work / "first", work / "mirror")
        for post in blog.posts[:changed]:
            blog.edit_post(post.slug, paragraphs=[f"Changed: {post.slug}.", "Again."])
        gone = [post.slug for post in blog.posts[changed:changed + deleted]]
        for slug in gone:
            blog.delete_post(slug)
        time.sleep(1.1)  # wget's WARC-Date has whole seconds
        second = wget_warc(server.url, work / "second", work / "mirror",
                           *[f"{server.url}/post/{slug}" for slug in gone])
    return first, second, server.url

def revisits(path: Path) -> list[str]:
    """The target URIs of a WARC's revisit records."""
    with path.open("rb") as handle:
        return [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(handle)
                if r.rec_type == "revisit"]

def post_pages(path: Path) -> list[tuple[str, str, bytes]]:
    """(URL, WARC-Date, body) of every 200 post page in a WARC, read with warcio."""
    pages = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response" and is_post_url(record.rec_headers.get_header(
                    "WARC-Target-URI")) and record.http_headers.get_statuscode() == "200":
                pages.append((record.rec_headers.get_header("WARC-Target-URI"),
                              record.rec_headers.get_header("WARC-Date"),
                              record.content_stream().read()))
    return pages

def distinct_contents(*warcs: Path) -> dict[str, set[str]]:
    """Post URL -> the distinct clean contents (hashes) the captures hold."""
    contents: dict[str, set[str]] = {}
    for warc in warcs:
        for url, _, body in post_pages(warc):
            article = extract_article(body, url)
            if article.page_kind == "post":
                contents.setdefault(url, set()).add(article.content_hash())
    return contents

def payloads(path: Path) -> dict[str, bytes]:
    """Target URI -> payload of a WARC's response records, read with warcio."""
    with path.open("rb") as handle:
        return {record.rec_headers.get_header("WARC-Target-URI"): record.content_stream().read()
                for record in ArchiveIterator(handle) if record.rec_type == "response"}

def table(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()

def write_warc(path: Path, responses: list[tuple[str, bytes, str]]) -> None:
    """A WARC of 200 responses written with warcio, as pywb and Browsertrix write them."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for target, body, kind in responses:
            headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                target, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers))


def write_dated_warc(path: Path, captures: list[tuple[str, str, str, bytes]]) -> None:
    """200 responses (URL, WARC-Date, Content-Type, body) written with warcio, dated as the
    Wayback Machine's captures are, for a local pywb to serve."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, date, content_type, body in captures:
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": date}))


def recover_json(site: str, base: str, db: Path) -> subprocess.CompletedProcess:
    """`wixarchive recover SITE --from BASE --json`, at no delay and without images."""
    return subprocess.run(
        [sys.executable, "-m", "archive.cli", "recover", site, "--from", base, "--db", str(db),
         "--delay", "0", "--no-images", "--json"], capture_output=True, text=True, timeout=300)


def loopback(n: int) -> str:
    """The loopback address 127.0.0.<n> (its own host, as another site), or skip the test where
    the system routes only 127.0.0.1."""
    address = f"127.0.0.{n}"
    try:
        with socket.socket() as probe:
            probe.bind((address, 0))
    except OSError:
        pytest.skip(f"cannot bind {address}: this system routes only 127.0.0.1 to loopback")
    return address


@contextmanager
def serve_pages(pages: dict[str, bytes]) -> Iterator[str]:
    """Serve these HTML pages (path -> bytes) on 127.0.0.1, 404 for any other path; yields the
    base URL (no trailing slash)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            page = pages.get(self.path)
            self.send_response(200 if page else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            body = page if page else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with serve_http(Handler) as url:
        yield url


def tone_wav(seconds: float = 0.5) -> bytes:
    """A 255 Hz tone of `seconds`: a WAV file every browser's player really plays."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5)))
                                   for i in range(int(8000 * seconds))))
    return out.getvalue()
