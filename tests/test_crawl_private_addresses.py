"""A hostile blog cannot make the crawler fetch from the crawling machine or its network and
archive the answer: redirects, image URLs, meta refreshes in media files and DNS names that
lead to a non-public address are refused, each recorded for its URL in one line.

The blog and the "internal" server both run on 127.0.0.1 (on different ports), the only way a
test can play this. WIXARCHIVE_PRIVATE_ADDRESSES=site makes the blog count as a public site
would: only its own host and port (and the media base) may be on a non-public address. Under
the default (site-network), a loopback blog may reach loopback: every other crawl test."""

from __future__ import annotations

import http.server
import ipaddress
import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from twisted.internet.error import DNSLookupError

from crawler.downloader.addresses import non_public_kind
from crawler.downloader.private_addresses import _refuse_unapproved
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site import hostile as h
from crawler.sample_site.server import Response
from tests.processes import run_crawl, serve_http

SECRET = b"AKIA-INTERNAL-SECRET"


class _Internal(http.server.BaseHTTPRequestHandler):
    """Stands in for a metadata service or an intranet page: counts what reaches it."""
    hits: list[str] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = b"<html><body><p>" + SECRET + b"</p></body></html>" \
            if not self.path.startswith("/media/") else SECRET
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # loopback
        return response.read()


def test_a_hostile_blog_cannot_reach_internal_addresses(tmp_path: Path):
    blog = SampleBlog(seed=7, post_count=8)
    db = tmp_path / "archive.db"
    _Internal.hits = []
    with serve_http(_Internal) as internal, serve_blog(blog) as server:
        base = server.url
        port = internal.rsplit(":", 1)[1]
        to_ip, by_name, to_file, images_elsewhere = blog.posts[:4]
        # A post redirecting to an internal page, by address and by a name resolving to one;
        # a post redirecting to a file: URL.
        server.takeovers[to_ip.url_path] = h.redirect_to(
            f"{internal}/latest/meta-data/iam/credentials")
        server.takeovers[by_name.url_path] = h.redirect_to(f"http://localhost:{port}/admin")
        server.takeovers[to_file.url_path] = h.redirect_to("file:///etc/passwd")
        # A post whose images are on the internal host.
        page = _get(base + images_elsewhere.url_path).replace(
            b"https://static.wixstatic.com/media/", f"{internal}/media/".encode())
        server.overrides[images_elsewhere.url_path] = Response(
            200, page, {"Content-Type": "text/html; charset=utf-8"})
        # An image of another post, served as HTML with a meta refresh to the internal host.
        image = next(i for p in blog.posts[4:] for i in p.images)
        refresh = f'<html><head><meta http-equiv="refresh" content="0;url={internal}/m">'
        server.overrides["/media/" + image.rsplit("/", 1)[1]] = Response(
            200, refresh.encode(), {"Content-Type": "text/html"})

        summary = run_crawl(base, db, f"WIXARCHIVE_MEDIA_BASE={base}/media/",
                            "WIXARCHIVE_PRIVATE_ADDRESSES=site")

    assert _Internal.hits == []  # nothing reached the internal server
    errors = "\n".join(summary["errors"])
    assert (f"{base}{to_ip.url_path}: not fetched: 127.0.0.1 is a loopback address, not the "
            "crawled site's (WIXARCHIVE_PRIVATE_ADDRESSES)") in errors
    assert (f"{base}{by_name.url_path}: not fetched: localhost resolves to 127.0.0.1, a "
            "loopback address") in errors
    assert f"{base}{to_file.url_path}: redirect to a file: URL refused" in errors
    assert "Traceback" not in errors
    with sqlite3.connect(db) as conn:
        archived = {url for (url,) in conn.execute("SELECT url FROM posts")}
        media = dict(conn.execute("SELECT url, status || ' ' || coalesce(error, '') FROM media"))
    conn.close()
    # The post with internal images is archived; each image is refused on its own.
    assert base + images_elsewhere.url_path in archived
    assert not archived & {base + p.url_path for p in (to_ip, by_name, to_file)}
    refused = {url: why for url, why in media.items() if url.startswith(internal)}
    assert refused and all(why.startswith("failed not fetched: 127.0.0.1 is a loopback")
                           for why in refused.values())
    # The media file with a meta refresh is kept as it was (not an image), not followed.
    assert media[image].startswith("not-an-image")


def test_under_the_default_a_loopback_blog_reaches_loopback(tmp_path: Path):
    """site-network: a blog on a non-public address reaches that block (an intranet blog's
    other hosts), and nothing beyond it."""
    blog = SampleBlog(seed=8, post_count=3)
    _Internal.hits = []
    with serve_http(_Internal) as internal, serve_blog(blog) as server:
        post = blog.posts[0]
        server.takeovers[post.url_path] = h.redirect_to(f"{internal}/page")
        summary = run_crawl(server.url, tmp_path / "a.db")
    assert _Internal.hits == ["/robots.txt", "/page"]
    assert not any("not fetched" in error for error in summary["errors"])


def test_wixarchive_crawl_takes_the_rule_from_the_environment(tmp_path: Path):
    """`wixarchive crawl` has no --set: the rule comes from WIXARCHIVE_PRIVATE_ADDRESSES in
    the environment, and a wrong value is one line before anything is crawled."""
    blog = SampleBlog(seed=9, post_count=3)
    _Internal.hits = []
    db = tmp_path / "a.db"

    def crawl(url: str, rule: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", url, "--db", str(db), "--no-media",
             "--json"], capture_output=True, text=True, timeout=300,
            env={**os.environ, "WIXARCHIVE_PRIVATE_ADDRESSES": rule})

    with serve_http(_Internal) as internal, serve_blog(blog) as server:
        post = blog.posts[0]
        server.takeovers[post.url_path] = h.redirect_to(f"{internal}/page")
        wrong = crawl(server.url, "none")
        assert (wrong.returncode, wrong.stderr) == (2, (
            "Error: WIXARCHIVE_PRIVATE_ADDRESSES must be one of site-network, site, all "
            "(got 'none')\n"))
        assert not db.exists()
        result = crawl(server.url, "site")
    assert _Internal.hits == []
    summary = json.loads(result.stdout)
    assert summary["status"] == "partial", summary  # the redirected post: refused
    errors = "\n".join(summary["errors"])
    assert "not fetched: 127.0.0.1 is a loopback address, not the crawled site's" in errors


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.2", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.31.0.1", "private"), ("192.168.1.1", "private"), ("100.64.0.1", "shared (CGNAT)"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("fd00::1", "unique-local"),
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("192.0.2.1", "reserved"),
    ("8.8.8.8", None), ("2606:4700::1111", None),
])
def test_non_public_kinds(address: str, kind: str | None):
    assert non_public_kind(ipaddress.ip_address(address)) == kind


def test_the_resolver_refuses_a_non_public_answer_for_a_name_not_approved():
    """At connect time: a name that answered a public address to the check and a private one
    to the connection (DNS rebinding) gets no connection."""
    with pytest.raises(DNSLookupError, match="rebind.example resolves to 10.0.0.5, a private"):
        _refuse_unapproved("10.0.0.5", "rebind.example")
    assert _refuse_unapproved("93.184.216.34", "rebind.example") == "93.184.216.34"
