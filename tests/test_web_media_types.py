"""The media route's content types: a hostile site's stored Content-Type or bytes never make an
archived file HTML or script on the archive's origin. Real `wixarchive serve` over an archive
made by `wixarchive import`, real HTTP; and Chromium opening the files."""

from __future__ import annotations

import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web_media_ranges import fetch
from test_web_security import browser, sink_server
from test_web_serve import running_server
from webarchives import tone_wav, wixarchive, write_warc

from archive.web.media_types import media_type, served_type
from crawler.sample_site import SampleBlog, serve_blog

pytest.importorskip("datasette")

SANDBOXED = {"sandbox": [], "default-src": ["'none'"], "form-action": ["'none'"],
             "base-uri": ["'none'"], "frame-ancestors": ["'none'"]}


def _html(sink: str, n: int) -> bytes:
    """A page that leaves for the sink at once (each a little different: its own digest)."""
    return (f"<!DOCTYPE html><html><head><meta http-equiv=refresh content='0;url={sink}/{n}'>"
            f"</head><body><form action='{sink}/form{n}'></form></body></html>").encode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict, list[str]]]:
    """serve over an archive whose files are stored with hostile types or bytes: yields its
    URL, each case's media path, and the sink's hits."""
    folder = tmp_path_factory.mktemp("types")
    blog = SampleBlog(seed=5, post_count=6, attachments=True)
    posts = blog.posts
    with sink_server() as (sink, hits), serve_blog(blog) as server:
        # case: (URL, bytes, type in the web archive, type stored after, as a crawl stores it)
        cases = {
            "video listing html": (posts[0].videos[0], _html(sink, 1), "video/mp4",
                                   "video/mp4, text/html"),
            "image listing html": (posts[0].images[0], _html(sink, 2), "image/png",
                                   "image/png, text/html"),
            "html named png": (posts[0].images[1], _html(sink, 3), "image/png", None),
            "html": (posts[5].images[0], _html(sink, 4), "image/jpeg", "text/html"),
            "sound": (posts[3].videos[0], tone_wav(2), 'audio/wav; codecs="1, 2"', None),
            "png": (posts[2].images[0], b"\x89PNG\r\n\x1a\n" + bytes(50), "image/png", None),
            "svg": (posts[2].images[1], b"<svg xmlns='http://www.w3.org/2000/svg'><script>"
                    b"alert(1)</script></svg>", "image/svg+xml", None),
            "pdf": (server.url + posts[1].documents[0], b"%PDF-1.4\n%%EOF\n", "application/pdf",
                    None),
        }
        records = []
        for post in posts:
            with urllib.request.urlopen(server.url + post.url_path) as page:
                records.append((server.url + post.url_path, page.read(), "text/html"))
        records += [(url, body, kind) for url, body, kind, _ in cases.values()]
        write_warc(folder / "files.warc.gz", records)
        db = folder / "archive.db"
        result = wixarchive("import", str(folder / "files.warc.gz"), "--db", str(db))
        assert result.returncode == 0, result.stderr
        paths = {}
        with sqlite3.connect(db) as conn:
            for case, (url, _, _, stored) in cases.items():
                if stored:
                    conn.execute("UPDATE media SET content_type = ? WHERE url = ?",
                                 (stored, url))
                (digest,) = conn.execute("SELECT payload_digest FROM media WHERE url = ? AND "
                                         "status = 'stored'", (url,)).fetchone()
                paths[case] = "/archive/-/media/" + digest.split(":", 1)[1]
        conn.close()
        with running_server(db) as (_, base):
            yield base, paths, hits


def _policy(headers: dict[str, str]) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:]
            for part in headers["content-security-policy"].split(";") if part.strip()}


@pytest.mark.parametrize("case", ["video listing html", "image listing html", "html named png",
                                  "html"])
def test_a_file_not_strictly_media_is_only_downloaded(served, case: str) -> None:
    """`video/mp4, text/html` began with video/ and went out unchanged: Chromium rendered it as
    HTML on the archive's origin. A list of types, a type that is no media's, and HTML bytes
    under an image's type are now sent as bytes to download, sandboxed."""
    base, paths, _ = served
    for method in ("GET", "HEAD"):
        status, headers, _ = fetch(base, paths[case], method)
        assert status == 200
        assert headers["content-type"] == "application/octet-stream", (case, headers)
        assert headers["content-disposition"] == "attachment"
        assert headers["x-content-type-options"] == "nosniff"
        policy = _policy(headers)
        assert {key: policy.get(key) for key in SANDBOXED} == SANDBOXED, policy
        assert "script-src" not in policy


@pytest.mark.parametrize(("case", "sent"), [("sound", "audio/wav"), ("png", "image/png"),
                                            ("svg", "image/svg+xml"), ("pdf", "application/pdf")])
def test_media_is_sent_as_its_type_and_sandboxed(served, case: str, sent: str) -> None:
    base, paths, _ = served
    status, headers, _ = fetch(base, paths[case])
    assert status == 200 and headers["content-type"] == sent
    assert "content-disposition" not in headers
    assert headers["x-content-type-options"] == "nosniff"
    policy = _policy(headers)
    expected = dict(SANDBOXED)
    if case == "sound":  # its player's own fetch of the file must stay same-origin
        expected["sandbox"] = ["allow-same-origin"]
        assert policy["media-src"] == ["'self'"]
    assert {key: policy.get(key) for key in SANDBOXED} == expected, policy
    assert "script-src" not in policy


def test_chromium_never_renders_a_hostile_file_and_still_plays_a_sound(served,
                                                                      tmp_path: Path) -> None:
    base, paths, hits = served
    with browser(tmp_path) as tools:
        for case in ("video listing html", "image listing html", "html named png", "html",
                     "svg"):
            tools.call("Page.navigate", url=base.rstrip("/") + paths[case])
            tools.pump(1.5)
        assert not hits, hits  # no refresh, form or script reached the sink
        tools.call("Page.navigate", url=base.rstrip("/") + paths["sound"])
        tools.pump(2)
        played = tools.evaluate("(() => { const player = document.querySelector('video');"
                                " return player ? player.readyState : null; })()")
        assert played == 4  # HAVE_ENOUGH_DATA: the sandbox left the player its origin


@pytest.mark.parametrize(("stored", "head", "sent"), [
    ("image/png", b"\x89PNG", "image/png"),
    ("IMAGE/PNG ; q=1", b"\x89PNG", "image/png"),
    ('video/mp4; codecs="avc1, mp4a"', b"\0\0\0\x18ftyp", "video/mp4"),
    ("video/mp4, text/html", b"\0\0\0\x18ftyp", "application/octet-stream"),
    ("image/png,image/jpeg", b"\x89PNG", "application/octet-stream"),
    ("image/png", b"  \n<html>", "application/octet-stream"),
    ("image/png", b"\xef\xbb\xbf<svg>", "application/octet-stream"),
    ("image/png", "plain text".encode("utf-16"), "application/octet-stream"),  # any BOM
    ("image/png", "<svg>".encode("utf-16-be"), "application/octet-stream"),  # UTF-16, no BOM
    ("image/x-html", b"\x89PNG", "application/octet-stream"),
    ("text/html", b"<p>", "application/octet-stream"),
    ("application/zip", b"PK", "application/octet-stream"),
    ("image/png\ntext/html", b"\x89PNG", "application/octet-stream"),
    ("", b"", "application/octet-stream"),
    (None, b"", "application/octet-stream"),
])
def test_served_type(stored: str | None, head: bytes, sent: str) -> None:
    assert served_type(stored, head) == sent


def test_media_type_takes_exactly_one() -> None:
    assert media_type('audio/wav; codecs="1, 2"; rate=8000') == "audio/wav"
    assert media_type("audio/wav; codecs=1, 2") is None
    assert media_type("image/") is None
