"""End to end: real Scrapy crawls the generated Wix-style blog over 127.0.0.1 into a real
SQLite archive. Each crawl runs in its own process, as `wixarchive crawl` does."""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from tests.processes import serve_http

CHROME = [
    "top of page", "bottom of page", "Recent Posts", "See All", "Post not marked as liked",
    "Log in / Sign up", "Write a comment", "0 comments", "Share via", "Proudly created with Wix",
    "Use tab to navigate", "More actions",
]


def run_crawl(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", *args,
               "--delay", "0", "--no-autothrottle"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def summary_of(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout)


def fetched_posts(server) -> list[str]:
    return [path for path in server.request_log if path.startswith("/post/")]


def test_crawl_archives_every_post_without_chrome_then_recrawls_only_changes(tmp_path: Path):
    blog = SampleBlog(seed=3, post_count=24)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        result = run_crawl(server.url, "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        first = summary_of(result)
        assert first["status"] == "ok"
        assert first["counts"]["new"] == 24
        assert "unknown_layout" not in first["counts"]  # every sample layout is a known one
        assert "Traceback" not in result.stderr

        with Archive.open(db, readonly=True) as archive:
            (run,) = archive.runs()
            assert run["status"] == "ok" and run["finished_at"]
            assert run["counts"]["new"] == 24 and run["counts"]["pages"] >= 24
            for post in blog.posts:
                expected = post.expected()
                stored = archive.post(server.url + post.url_path)
                assert stored is not None, post.url_path
                assert stored["title"] == expected["title"]
                assert stored["author"] == expected["author"]
                assert stored["published"] == expected["published"]
                assert stored["reading_minutes"] == expected["reading_minutes"]
                assert stored["body"] == expected["body_text"]
                for chrome in CHROME:
                    assert chrome not in stored["body"], (post.url_path, chrome)
                    assert chrome not in stored["body_html"], (post.url_path, chrome)

        # Between runs: two posts edited, one added, one deleted.
        edited = [blog.posts[3].slug, blog.posts[10].slug]
        for slug in edited:
            blog.edit_post(slug, paragraphs=["A rewritten paragraph about quiet gardens."])
        added = blog.add_post(title="A brand new post")
        unknown = blog.add_post(title="A post in a layout nobody knows", layout="unknown")
        removed = blog.posts[-1].slug
        blog.delete_post(removed)
        server.request_log.clear()

        result = run_crawl(server.url, "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        second = summary_of(result)
        assert second["counts"]["new"] == 2
        assert second["counts"]["changed"] == 2
        assert second["counts"]["deleted"] == 1
        # Never an empty post in silence: the post in an unknown layout is archived with a
        # generic body and counted, so a new Wix layout shows up in the summary at once.
        assert second["counts"]["unknown_layout"] == 1
        assert "1 in an unknown page layout" in second["message"]
        refetched = sorted(fetched_posts(server))
        assert refetched == sorted([f"/post/{s}" for s in edited]
                                   + [added.url_path, unknown.url_path])

    with Archive.open(db, readonly=True) as archive:
        stored = archive.post(server.url + unknown.url_path)
        first_paragraph = next(b.text for b in unknown.blocks if b.kind == "paragraph")
        assert stored is not None and stored["body"].startswith(first_paragraph)
        assert len(archive.versions(server.url + f"/post/{edited[0]}")) == 2
        gone = archive.post(server.url + f"/post/{removed}")
        assert gone is not None and gone["deleted_at"]  # kept, only marked


def test_unreachable_site_is_one_clear_error_and_writes_nothing(tmp_path: Path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    db = tmp_path / "archive.db"
    result = run_crawl(f"http://127.0.0.1:{port}/", "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "could not reach" in result.stderr
    assert not db.exists()


@pytest.fixture
def plain_site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<html><body><h1>Bakery</h1><p>Fresh bread.</p>"
                                     "<a href='/menu.html'>Menu</a></body></html>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(root))  # noqa: E731
    with serve_http(handler) as url:
        yield url + "/"


def test_site_that_is_not_wix_fails_clearly(plain_site: str, tmp_path: Path):
    db = tmp_path / "archive.db"
    result = run_crawl(plain_site, "--db", str(db))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "no Wix blog posts found" in result.stderr
    assert not db.exists()
