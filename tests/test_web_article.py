"""The article page's videos and documents, versions, dates and missing pages, through
Datasette's own client. The media archive is made by `wixarchive import` of web archives of
sample posts, as a user would: a post linking a video, one linking a PDF, a sound and a
document never fetched, and one whose second version dropped its PDF."""

from __future__ import annotations

import html
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_web import YOGA, Client, article, make_archive, post_id
from webarchives import table, tone_wav, wixarchive, write_warc

from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.files import mp4_bytes, pdf_bytes

pytest.importorskip("datasette")

from archive.cli.serve import make_datasette

MEDIA = re.compile(r"/archive/-/media/[A-Z2-7]{32}")
TONE = "/_files/ugd/a1c0de_tone.wav"
NEVER_FETCHED = "/_files/ugd/a1c0de_never_fetched.pdf"


def make_media_archive(folder: Path) -> tuple[Path, dict[str, str]]:
    """The archive (folder/archive.db) and the URLs of its posts and files: `video_post` links
    its archived video; `document_post` an archived PDF, an archived sound and a document not
    fetched; `changed_post` linked an archived PDF in version 1 and no longer does in 2."""
    blog = SampleBlog(seed=5, post_count=6, attachments=True)
    video_post, document_post, changed_post = blog.posts[0], blog.posts[1], blog.posts[4]
    assert video_post.videos and document_post.documents and changed_post.documents
    with serve_blog(blog) as server:
        def page(path: str) -> bytes:
            with urllib.request.urlopen(server.url + path) as response:
                return response.read()

        document_page = page(document_post.url_path).replace(
            b">the PDF</a>", f'>the PDF</a>, <a href="{TONE}">the tone</a> and '
                             f'<a href="{NEVER_FETCHED}">the notes</a>'.encode())
        changed_page = page(changed_post.url_path)
        without_pdf = re.sub(rb"<p[^>]*>(?:(?!</p>).)*the PDF.*?</p>", b"<p>No PDF now.</p>",
                             changed_page, count=1, flags=re.S)
        assert without_pdf != changed_page
        urls = {"video_post": server.url + video_post.url_path,
                "document_post": server.url + document_post.url_path,
                "changed_post": server.url + changed_post.url_path,
                "video": video_post.videos[0], "pdf": server.url + document_post.documents[0],
                "tone": server.url + TONE, "never_fetched": server.url + NEVER_FETCHED,
                "old_pdf": server.url + changed_post.documents[0]}
        html = "text/html; charset=utf-8"
        write_warc(folder / "first.warc.gz", [
            (urls["video_post"], page(video_post.url_path), html),
            (urls["video"], mp4_bytes("video"), "video/mp4"),
            (urls["document_post"], document_page, html),
            (urls["pdf"], pdf_bytes("current"), "application/pdf"),
            (urls["tone"], tone_wav(), "audio/wav"),
            (urls["changed_post"], changed_page, html),
            (urls["old_pdf"], pdf_bytes("old"), "application/pdf")])
        write_warc(folder / "second.warc.gz", [(urls["changed_post"], without_pdf, html)])
    db = folder / "archive.db"
    for name in ("first", "second"):
        result = wixarchive("import", str(folder / f"{name}.warc.gz"), "--db", str(db))
        assert result.returncode == 0, result.stderr
    return db, urls


@pytest.fixture(scope="module")
def media_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return make_media_archive(tmp_path_factory.mktemp("media"))


@pytest.fixture
def media_client(media_archive: tuple[Path, dict[str, str]]) -> Iterator[
        tuple[Client, dict[str, str]]]:
    db, urls = media_archive
    ids = dict(table(db, "SELECT url, id FROM posts"))
    client = Client(make_datasette(db))
    yield client, {**urls, **{f"{name}_id": str(ids[urls[name]]) for name in
                              ("video_post", "document_post", "changed_post")}}
    client.close()


def body_links(page: str) -> dict[str, str]:
    """The body's links: text -> href."""
    body = page[page.index('<div class="wxa-body"'):page.index("Version history")]
    return {re.sub(r"<[^>]+>", "", text): href
            for href, text in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', body)}


def test_body_links_to_archived_videos_and_documents_open_the_copies(media_client) -> None:
    client, urls = media_client
    video_page = client.get(f"/archive/-/post/{urls['video_post_id']}").text
    # The body's link to the video (its text is the URL) opens the archived copy.
    href = body_links(video_page)[urls["video"]]
    assert MEDIA.fullmatch(href), href
    answer = client.get(href)
    assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp4"

    links = body_links(client.get(f"/archive/-/post/{urls['document_post_id']}").text)
    for text, kind in (("the PDF", "application/pdf"), ("the tone", "audio/wav")):
        assert MEDIA.fullmatch(links[text]), (text, links[text])
        assert client.get(links[text]).headers["content-type"] == kind
    # A document never fetched and any other link keep their URLs.
    assert links["the notes"] == urls["never_fetched"]
    assert links["this short video"] == "https://video.example.com/watch?v=garden42"


def test_an_old_version_lists_its_own_videos_and_documents(media_client) -> None:
    client, urls = media_client
    page = f"/archive/-/post/{urls['changed_post_id']}"
    assert "Videos and documents" not in client.get(page).text  # version 2 has none
    old = client.get(page + "?version=1").text
    listed = re.search(r'<li>Document: <a href="([^"]*)">([^<]*)</a> \(archived, '
                       r'application/pdf, [\d,]+ bytes\)</li>', old)
    assert listed and listed.group(2) == urls["old_pdf"].rsplit("/", 1)[1], old
    pdf = client.get(listed.group(1))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert body_links(old)["the PDF"] == listed.group(1)

    data = client.get(page + ".json?version=1").json()
    assert [(a["url"], a["archived"]) for a in data["attachments"]] == [(urls["old_pdf"], True)]
    assert client.get(page + ".json").json()["attachments"] == []


def test_the_json_gives_the_version_asked_for(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "blogs.db")
    evening = post_id(db, "evening")
    client = Client(make_datasette(db))
    try:
        old = client.get(f"/blogs/-/post/{evening}.json?version=1").json()
        assert (old["post"]["title"], old["post"]["version"]) == ("Evening routine", 1)
        assert "Breathe slowly." in old["post"]["body_html"]
        assert old["current_version"] == 2 and [v["version"] for v in old["versions"]] == [1, 2]
        for query in ("", "?version=2"):
            current = client.get(f"/blogs/-/post/{evening}.json{query}").json()
            assert (current["post"]["title"], current["post"]["version"]) == (
                "Evening routine, revised", 2)
        missing = client.get(f"/blogs/-/post/{evening}.json?version=9")
        assert missing.status_code == 404
        assert missing.json()["error"] == f"Post {evening} has no version 9"
        # The old version's page links its own JSON by the version's stable id, as its other
        # links do, and gives its own word count.
        first_id = old["versions"][0]["version_id"]
        old_page = client.get(f"/blogs/-/post/{evening}?version=1").text
        assert f'href="/blogs/-/post/{evening}.json?v={first_id}"' in old_page
        assert f"<dt>Words</dt><dd>{old['post']['word_count']}</dd>" in old_page
        assert client.get(f"/blogs/-/post/{evening}.json?v={first_id}").json() == old
    finally:
        client.close()


def test_dates_read_as_dates_with_the_timestamp_kept(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "blogs.db")
    client = Client(make_datasette(db))
    try:
        page = client.get(f"/blogs/-/post/{post_id(db, 'evening')}").text
    finally:
        client.close()
    published = "2024-05-01T08:00:00Z"
    assert (f'<dt>Published</dt><dd><time datetime="{published}" title="{published}">'
            f'2024-05-01</time></dd>') in page
    # The version history tells versions of one day apart: date, hour and minute.
    for fetched, shown in (("2024-01-01T00:00:00+00:00", "2024-01-01 00:00 UTC"),
                           ("2024-02-01T00:00:00+00:00", "2024-02-01 00:00 UTC")):
        assert f'<time datetime="{fetched}" title="{fetched}">{shown}</time>' in page
    # No timestamp is left as text: each one is inside a <time> element's attributes; but for
    # the diff of the changes, whose lines are those `wixarchive history --diff` prints.
    text = re.sub(r"<[^>]+>", "", re.sub(r'<pre class="wxa-diff">.*?</pre>', "", page,
                                          flags=re.S))
    assert not re.search(r"\d{4}-\d\d-\d\dT\d", text), re.findall(r"\S*\d{4}-\d\d-\d\dT\S*",
                                                                    text)


def test_a_missing_post_or_version_has_the_article_pages_navigation(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "blogs.db")
    evening = post_id(db, "evening")
    client = Client(make_datasette(db))
    try:
        for path, message in ((f"/blogs/-/post/{evening}?version=9",
                               f"Post {evening} has no version 9"),
                              ("/blogs/-/post/999999", "No post 999999 in blogs")):
            answer = client.get(path)
            assert answer.status_code == 404, path
            page = answer.text
            nav = page[page.index("<nav"):page.index("</nav>")]
            for crumb in ('href="/"', 'href="/blogs"', 'href="/blogs/posts"'):
                assert crumb in nav, (path, crumb)
            assert f"{message}." in page
            assert '<a href="/blogs/-/search">Search</a>' in page
        assert (f'<a href="/blogs/-/post/{evening}">The current version of this post</a>'
                in client.get(f"/blogs/-/post/{evening}?version=9").text)
    finally:
        client.close()


def test_archived_files_get_a_policy_for_their_type(media_client) -> None:
    """A sound or video plays in the browser's own player, which loads the file again:
    media-src allows the archive itself, and the sandbox keeps the origin (a plain sandbox's
    fetch of its own file is cross-origin, refused). Images and PDFs get a plain sandbox; none
    runs a script, posts a form or loads from another host."""
    client, urls = media_client
    page = client.get(f"/archive/-/post/{urls['document_post_id']}").text
    video = body_links(client.get(f"/archive/-/post/{urls['video_post_id']}").text)
    links = {**body_links(page), "video": video[urls["video"]]}
    for text, played in (("the tone", True), ("video", True), ("the PDF", False)):
        policy = client.get(links[text]).headers["content-security-policy"]
        directives = {p.split()[0]: p.split()[1:] for p in policy.split(";") if p.strip()}
        assert directives["default-src"] == ["'none'"] and "script-src" not in directives
        assert directives["frame-ancestors"] == directives["form-action"] == ["'none'"]
        if played:
            assert directives["media-src"] == ["'self'"], text
            assert directives["sandbox"] == ["allow-same-origin"], text
        else:
            assert directives["sandbox"] == [] and "media-src" not in directives, text
    missing = client.get("/archive/-/media/" + "A" * 32)
    assert missing.status_code == 404
    assert "script-src 'sha256-" in missing.headers["content-security-policy"]


def test_the_version_history_says_what_made_each_version(tmp_path: Path) -> None:
    from test_history import CAPTURE, URL, WAYBACK, make_sourced_archive

    db = make_sourced_archive(tmp_path)
    client = Client(make_datasette(db))
    try:
        page = client.get(f"/archive/-/post/{post_id_of(db, URL)}").text
        recovered = client.get(f"/archive/-/post/{post_id_of(db, URL)}?version=1").text
        data = client.get(f"/archive/-/post/{post_id_of(db, URL)}.json").json()
        described = client.get("/-/metadata.json").json()["databases"]["archive"]["tables"][
            "post_versions"]["columns"]
    finally:
        client.close()
    history = page[page.index("Version history"):]
    assert "<th>Fetched or captured</th><th>Source</th>" in history
    cells = [re.sub(r"<[^>]+>", "", cell) for cell in
             re.findall(r"</time></td><td>(.*?)</td>", history)]
    assert cells == ["crawl", "import", f"recover from {WAYBACK} (20190501102030)"]
    # ...linked to the capture's page in the web archive, the copy a citation names.
    assert (f'<a href="{CAPTURE}" rel="noopener noreferrer nofollow">{WAYBACK} '
            '(20190501102030)</a>') in history
    # The recovered version's page names its capture beside its own citable link; the
    # crawled one's has none to name.
    assert ('; as the web archive captured it: <a href="' + CAPTURE +
            f'" rel="noopener noreferrer nofollow">{CAPTURE}</a></p>') in recovered
    assert "as the web archive captured it" not in page
    assert [(v["source"], v["recovered"]) for v in data["versions"]] == [
        ("recover", {"endpoint": WAYBACK, "timestamp": "20190501102030",
                     "capture_url": CAPTURE}),
        ("import", None), ("crawl", None)]
    assert described["source"].startswith("What made it: crawl, recover")
    assert "when the web archive captured the page" in described["fetched_at"]


def post_id_of(db: Path, url: str) -> int:
    return table(db, f"SELECT id FROM posts WHERE url = '{url}'")[0][0]


def diff_elements(page: str) -> list[tuple[str, str, str]]:
    """The article page's diff, as (element, kind, text) per line: its
    <span|del|ins class="wxa-diff-KIND">."""
    if '<pre class="wxa-diff">' not in page:
        return []
    shown = page[page.index('<pre class="wxa-diff">'):page.index("</pre>", page.index(
        '<pre class="wxa-diff">'))]
    return [(tag, kind, html.unescape(text)) for tag, kind, text in re.findall(
        r'<(span|del|ins) class="wxa-diff-(\w+)">(.*?)</\1>', shown, flags=re.S)]


def diff_lines(page: str) -> list[tuple[str, str]]:
    """The article page's diff, as (kind, text) per line."""
    return [(kind, text) for _, kind, text in diff_elements(page)]


def test_the_page_of_a_changed_version_shows_what_changed_from_the_one_before(
        tmp_path: Path) -> None:
    """The lines `wixarchive history --diff` prints, removed and added ones marked, escaped:
    a paragraph edited in version 2, the title in version 3."""
    db = tmp_path / "blogs.db"
    first = "Dig the bed in <March> & rake it.\n\nSow the beans."
    edited = "Dig the bed in <April> & rake it.\n\nSow the beans."
    with Archive.open(db) as archive:
        for title, body, when in (("Beans", first, "2024-01-01T00:00:00+00:00"),
                                  ("Beans", edited, "2024-02-01T00:00:00+00:00"),
                                  ("Growing beans", edited, "2024-03-01T00:00:00+00:00")):
            archive.save_article(article(YOGA, "beans", title=title, body_text=body,
                                         body_html="".join(f"<p>{html.escape(p)}</p>"
                                                           for p in body.split("\n\n"))),
                                 fetched_at=when)
        post = archive.post(f"{YOGA}/post/beans")
        ids = [v["version_id"] for v in archive.versions(post["url"])]
    page_url = f"/blogs/-/post/{post['id']}"
    client = Client(make_datasette(db))
    try:
        second = client.get(f"{page_url}?version=2")
        current = client.get(page_url).text
        oldest = client.get(f"{page_url}?v={ids[0]}").text
    finally:
        client.close()
    page = second.text
    assert "<h2>Changes from the previous version</h2>" in page
    # The link says where it goes ("version 1", not "1").
    assert f'From <a href="{page_url}?v={ids[0]}">version 1</a>' in page
    lines = diff_lines(page)
    # Removed and added lines are deletions and insertions to assistive technology, not a
    # line that starts with a hyphen or a plus.
    assert {(tag, kind) for tag, kind, _ in diff_elements(page)} == {
        ("span", "hunk"), ("del", "removed"), ("ins", "added"), ("span", "context")}
    assert ("removed", "-Dig the bed in <March> & rake it.") in lines
    assert ("added", "+Dig the bed in <April> & rake it.") in lines
    assert ("context", " Sow the beans.") in lines and lines[0][0] == "hunk"
    assert "&lt;April&gt; &amp; rake" in page and "<April>" not in page  # escaped
    # The same lines as the CLI's, but for the two naming the versions (dated in the caption).
    cli = wixarchive("history", f"{YOGA}/post/beans", "--db", str(db), "--diff", "1", "2",
                     "--json")
    assert cli.returncode == 0, cli.stderr
    assert [text for _, text in lines] == json.loads(cli.stdout)["diff"][2:]
    # The current version's changes are version 3's: the title; the first has none before it.
    assert ("removed", "-Title: Beans") in diff_lines(current)
    assert ("added", "+Title: Growing beans") in diff_lines(current)
    assert not any(kind in ("removed", "added") and "Dig" in text
                   for kind, text in diff_lines(current))
    assert "Changes from the previous version" not in oldest
    # Styled by the page's stylesheet: the page's scripts are still only Datasette's, by hash.
    policy = second.headers["content-security-policy"]
    assert "unsafe-inline" not in policy.split("script-src")[1]
    assert ".wxa-diff .wxa-diff-added {" in page and "style=" not in page.split(
        '<pre class="wxa-diff">')[1].split("</pre>")[0]
