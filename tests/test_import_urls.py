"""`wixarchive import` files a post captured under a URL with encoded dot segments
(`/%2e%2e/post/p`) under the URL a server reads: its site's, never a `/../` site."""

from __future__ import annotations

import json
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.captures import captures_dir
from crawler.sample_site import SampleBlog, serve_blog
from tests.webarchives import table, wixarchive, write_warc


def test_encoded_dot_segments_are_removed_from_imported_urls(tmp_path: Path) -> None:
    blog = SampleBlog(seed=6, post_count=2)
    with serve_blog(blog) as server:
        base = server.url
        pages = [server.respond(post.url_path).body for post in blog.posts]
        slugs = [post.slug for post in blog.posts]
    warc = tmp_path / "dots.warc.gz"
    write_warc(warc, [(f"{base}/%2e%2e/%2E%2E/../post/{slugs[0]}", pages[0], "text/html"),
                      (f"{base}/x/%2e%2e/./post/{slugs[1]}", pages[1], "text/html")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)["sites"]) == [f"{base}/"]
    assert table(db, "SELECT url FROM sites") == [(f"{base}/",)]
    assert sorted(url for (url,) in table(db, "SELECT url FROM posts")) == \
        sorted(f"{base}/post/{slug}" for slug in slugs)


def test_a_post_captured_in_another_letter_case_is_one_post(tmp_path: Path) -> None:
    """Web archives capture a post under every spelling sites linked it with
    (`/post/Letters-From-The-Spade`); the page's canonical URL names it, as a crawl archives
    it: one post, not one per spelling. Before, each spelling was a post of its own."""
    blog = SampleBlog(seed=11, post_count=1)
    with serve_blog(blog) as server:
        base = server.url
        page = server.respond(blog.posts[0].url_path).body
    slug = blog.posts[0].slug
    warc = tmp_path / "cases.warc.gz"
    write_warc(warc, [(f"{base}/post/{slug.title()}", page, "text/html"),
                      (f"{base}/post/{slug}", page, "text/html"),
                      (f"{base}/post/{slug.upper()}", page, "text/html")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert table(db, "SELECT url FROM posts") == [(f"{base}/post/{slug}",)]
    assert json.loads(result.stdout)["sites"][f"{base}/"]["unchanged"] == 2


def test_a_post_captured_at_its_default_languages_lang_query_is_the_post(
        tmp_path: Path) -> None:
    """A multilingual blog whose default language is English: web archives capture its post
    at `/post/x?lang=en` as well as `/post/x`. The page says `/post/x` is its canonical URL
    and its URL in English (hreflang `en-us`, as Wix writes it): one post. Its French
    translation, whose canonical link wrongly names `/post/x` too, names itself at
    `?lang=fr` in its alternate for French: a post of its own. Before, `?lang=en` was a
    second post."""
    blog = SampleBlog(seed=11, post_count=1)
    with serve_blog(blog) as server:
        base = server.url
        page = server.respond(blog.posts[0].url_path).body
    post = f"{base}/post/{blog.posts[0].slug}"
    alternates = (f'<link rel="alternate" href="{post}" hreflang="en-us"/>'
                  f'<link rel="alternate" href="{post}?lang=fr" hreflang="fr-fr"/>'
                  f'<link rel="alternate" href="{base}" hreflang="x-default"/>').encode()
    page = page.replace(b'<link rel="canonical"', alternates + b'<link rel="canonical"', 1)
    assert f'<link rel="canonical" href="{post}"/>'.encode() in page
    french = page.replace(b'<html lang="en">', b'<html lang="fr">')
    warc = tmp_path / "languages.warc.gz"
    write_warc(warc, [(f"{post}?lang=en", page, "text/html"), (post, page, "text/html"),
                      (f"{post}?lang=fr", french, "text/html")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(table(db, "SELECT url FROM posts")) == [(post,), (f"{post}?lang=fr",)]
    assert json.loads(result.stdout)["sites"][f"{base}/"]["unchanged"] == 1


def test_a_post_captured_under_a_url_in_raw_utf8_is_imported(tmp_path: Path) -> None:
    """WARC 1.1 lets WARC-Target-URI hold an IRI (raw UTF-8: `/post/primeras-imágenes`, as some
    tools write a Spanish or German slug) beside captures of the same post percent-encoded.
    The import archives it, one post, and `reextract`/`check` read its capture back; the
    request record written beside it sends the path percent-encoded, as a client does."""
    blog = SampleBlog(seed=7, post_count=1)
    with serve_blog(blog) as server:
        base, page = server.url, server.respond(blog.posts[0].url_path).body
    warc = tmp_path / "iri.warc.gz"
    write_warc(warc, [(f"{base}/post/primeras-imágenes", page, "text/html; charset=utf-8"),
                      (f"{base}/post/primeras-im%C3%A1genes", page, "text/html; charset=utf-8")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert table(db, "SELECT url FROM posts") == [(f"{base}/post/primeras-im%C3%A1genes",)]
    checked = wixarchive("check", "--db", str(db))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _raw_warc(path: Path, responses: list[tuple[str, bytes, bytes]]) -> None:
    """A WARC of 200 responses (URL, one more header line as raw bytes, body) written byte by
    byte, as tools that keep a server's bytes write one: warcio would not write such a line."""
    records = b""
    for number, (url, header, body) in enumerate(responses):
        block = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + header
                 + b"\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        records += (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-"
                    f"0000-4000-8000-{number:012d}>\r\nWARC-Date: 2024-01-0{number + 1}T00:00:00Z"
                    f"\r\nWARC-Target-URI: {url}\r\nContent-Type: application/http; "
                    f"msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n").encode() \
            + block + b"\r\n\r\n"
    path.write_bytes(records)


def test_a_capture_with_a_response_header_in_raw_utf8_is_imported(tmp_path: Path) -> None:
    """A response header holding raw UTF-8 where warcio's escaping leaves some (a Link header
    naming an IRI, with a parameter) stopped the whole import with a UnicodeEncodeError
    traceback as the capture was rewritten into the archive's files; its post and the file's
    other posts are imported, the header kept with its non-ASCII bytes percent-encoded and
    nothing else changed (warcio's escaping, until 2026-12-07, stored `rel*=UTF-8''preload;
    lang**=UTF-8''UTF-8%27%27fr` for `rel=preload; lang*=UTF-8''fr`)."""
    blog = SampleBlog(seed=8, post_count=2)
    with serve_blog(blog) as server:
        base = server.url
        pages = [server.respond(post.url_path).body for post in blog.posts]
    urls = [f"{base}{post.url_path}" for post in blog.posts]
    warc = tmp_path / "raw-header.warc"
    link = "<https://example.com/post/imágenes>; rel=preload; lang*=UTF-8''fr"
    _raw_warc(warc, [(urls[0], f"Link: {link}".encode(), pages[0]),
                     (urls[1], b"X-Wix-Request-Id: 1", pages[1])])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(table(db, "SELECT url FROM posts")) == sorted((url,) for url in urls)
    checked = wixarchive("check", "--db", str(db))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    stored = [record.http_headers.get_header("Link")
              for path in sorted(captures_dir(db).glob("*.warc.gz"))
              for record in ArchiveIterator(path.open("rb")) if record.rec_type == "response"
              and record.rec_headers.get_header("WARC-Target-URI") == urls[0]]
    assert stored == ["<https://example.com/post/im%C3%A1genes>; rel=preload; lang*=UTF-8''fr"]
