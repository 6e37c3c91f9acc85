"""A web archive's capture cut short (its producer's WARC-Truncated, or a download that broke
off: the HTML never closes) never becomes a post's current text over a whole capture: the
end of the body, the tags and the categories would be missing from `show` and every export.
A post whose only capture is cut short is still archived: its start beats nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.extract import extract_article
from crawler.sample_site import SampleBlog, serve_blog
from tests.webarchives import table, wixarchive


def write_dated_warc(path: Path, captures: list[tuple[str, str, bytes, dict[str, str]]]) -> None:
    """Responses (URL, WARC-Date, HTML, extra WARC headers) written with warcio."""
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, date, body, extra in captures:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=headers, warc_headers_dict={"WARC-Date": date, **extra}))


def test_a_capture_cut_short_never_replaces_a_whole_one(tmp_path: Path) -> None:
    blog = SampleBlog(seed=11, post_count=2, layout="new")
    with serve_blog(blog) as server:
        base = server.url
        whole, only = (server.respond(post.url_path).body for post in blog.posts)
    kept_url, only_url = (f"{base}{post.url_path}" for post in blog.posts)
    expected = extract_article(whole, kept_url)
    assert expected.tags and expected.categories
    warc = tmp_path / "years.warc.gz"
    write_dated_warc(warc, [
        (kept_url, "2019-06-02T12:00:00Z", whole, {}),
        # The archive's crawler lost the connection in the middle of the body.
        (kept_url, "2021-01-01T12:00:00Z", whole[:len(whole) * 55 // 100], {}),
        # Its producer cut it at a size limit, and said so.
        (kept_url, "2022-01-01T12:00:00Z", whole[:len(whole) * 80 // 100],
         {"WARC-Truncated": "length"}),
        (only_url, "2021-01-01T12:00:00Z", only[:len(only) * 60 // 100], {}),
    ])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert table(db, "SELECT p.url, count(*) FROM posts p JOIN post_versions v ON "
                 "v.post_id = p.id GROUP BY p.url ORDER BY p.url") == \
        sorted([(kept_url, 1), (only_url, 1)])
    (body, tags, categories), = table(db, "SELECT body, tags, categories FROM posts WHERE "
                                          f"url = '{kept_url}'")
    assert body == expected.body_text
    assert json.loads(tags) == expected.tags
    assert json.loads(categories) == expected.categories
    assert json.loads(result.stdout)["cut_short"] == 2
    said = wixarchive("import", str(warc), "--db", str(tmp_path / "text.db"))
    assert "2 captures of archived posts cut short (the page's end missing) left out" \
        in said.stdout, said.stdout



def test_a_capture_cut_short_under_another_spelling_never_replaces_a_whole_one(
        tmp_path: Path) -> None:
    """The post is archived at /post/<slug>; a later import holds it cut short under another
    letter case (its canonical URL names /post/<slug>): one post, whose text stays whole.
    Before, only the spelling captured was asked for a version, and the cut capture became
    the post's current text."""
    blog = SampleBlog(seed=11, post_count=2, layout="new")
    with serve_blog(blog) as server:
        base = server.url
        whole, other = (server.respond(post.url_path).body for post in blog.posts)
    url, other_url = (f"{base}{post.url_path}" for post in blog.posts)
    expected = extract_article(whole, url)
    first, later = tmp_path / "first.warc.gz", tmp_path / "later.warc.gz"
    write_dated_warc(first, [(url, "2019-06-02T12:00:00Z", whole, {})])
    write_dated_warc(later, [(f"{base}/post/{blog.posts[0].slug.title()}",
                              "2021-01-01T12:00:00Z", whole[:len(whole) * 55 // 100], {}),
                             (other_url, "2021-01-01T12:00:00Z", other, {})])
    db = tmp_path / "archive.db"
    assert wixarchive("import", str(first), "--db", str(db)).returncode == 0
    result = wixarchive("import", str(later), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cut_short"] == 1, result.stdout
    assert table(db, f"SELECT body FROM posts WHERE url = '{url}'") == [(expected.body_text,)]


def test_an_import_whose_captures_were_all_cut_short_is_no_error(tmp_path: Path) -> None:
    """Every capture the files hold is of an archived post, and cut short: left out, said,
    and nothing to fail on, as an import of pages imported before. Before, it ended with
    `Error: no Wix blog posts found` and exit status 1."""
    blog = SampleBlog(seed=11, post_count=1, layout="new")
    with serve_blog(blog) as server:
        base = server.url
        whole = server.respond(blog.posts[0].url_path).body
    url = f"{base}{blog.posts[0].url_path}"
    first, later = tmp_path / "first.warc.gz", tmp_path / "later.warc.gz"
    write_dated_warc(first, [(url, "2019-06-02T12:00:00Z", whole, {})])
    write_dated_warc(later, [(url, "2021-01-01T12:00:00Z", whole[:len(whole) // 2], {})])
    db = tmp_path / "archive.db"
    assert wixarchive("import", str(first), "--db", str(db)).returncode == 0
    result = wixarchive("import", str(later), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Error" not in result.stderr, result.stderr
    assert "1 capture of archived posts cut short (the page's end missing) left out" \
        in result.stdout, result.stdout
