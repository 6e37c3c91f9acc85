"""A version's stable id: the link a journalist cites (the article page's `?v=`, `show
--version ID`) keeps showing the same text after an older capture, imported later, has shifted
the version numbers."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from test_web import Client
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from webarchives import wixarchive

from crawler.sample_site import SampleBlog, serve_blog

pytest.importorskip("datasette")

from archive.cli.serve import make_datasette


def dated_warc(path: Path, captures: list[tuple[str, bytes, str]]) -> Path:
    """A WARC of 200 HTML responses, each (URL, body, WARC-Date)."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body, date in captures:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": date}))
    return path


def test_a_cited_version_shows_the_same_text_after_an_older_import(tmp_path: Path) -> None:
    blog = SampleBlog(seed=6, post_count=1)
    post = blog.posts[0]
    with serve_blog(blog) as server:
        url = server.url + post.url_path
        page = server.respond(post.url_path).body

    def titled(title: str) -> bytes:
        return page.replace(post.title.encode(), title.encode())

    db = tmp_path / "blog.db"
    newer = dated_warc(tmp_path / "newer.warc.gz", [
        (url, titled("Draft in February"), "2024-02-01T00:00:00Z"),
        (url, titled("Final in March"), "2024-03-01T00:00:00Z")])
    assert wixarchive("import", str(newer), "--db", str(db)).returncode == 0

    client = Client(make_datasette(db))
    try:
        first = client.get("/blog/-/post/1?version=1").text
        assert "Draft in February" in first
        cited = re.search(r'Cite this version: <a href="([^"]+)"', first).group(1)
        # Absolute: a citation pasted in an article or email names the server.
        assert re.fullmatch(r"http://localhost/blog/-/post/1\?v=[0-9a-f]{12}", cited)
        version_id = cited.rsplit("=", 1)[1]
        cited = cited.removeprefix("http://localhost")
    finally:
        client.close()

    # A colleague's older capture: a version of its own, before the others.
    older = dated_warc(tmp_path / "older.warc.gz",
                       [(url, titled("Notes in January"), "2024-01-01T00:00:00Z")])
    assert wixarchive("import", str(older), "--db", str(db)).returncode == 0

    client = Client(make_datasette(db))
    try:
        again = client.get(cited).text
        assert "<h1" in again and "Draft in February" in again, cited
        assert "You are reading version 2" in again
        # The numbered link now shows the older text: the reason ids are cited.
        assert "Notes in January" in client.get("/blog/-/post/1?version=1").text
        # The version table links by id; an id no version has is a 404.
        assert f'href="/blog/-/post/1?v={version_id}"' in client.get("/blog/-/post/1").text
        assert client.get("/blog/-/post/1?v=0123456789ab").status_code == 404
    finally:
        client.close()

    shown = wixarchive("show", url, "--version", version_id, "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "Draft in February" in shown.stdout
    assert f"Version: 2 of 3, id {version_id}: " in shown.stdout
    assert version_id in wixarchive("history", url, "--db", str(db)).stdout
    wrong = wixarchive("show", url, "--version", "fedcba987654", "--db", str(db))
    assert wrong.returncode == 1 and wrong.stderr.startswith("Error: ")
    assert version_id in wrong.stderr  # the ids it has are listed
