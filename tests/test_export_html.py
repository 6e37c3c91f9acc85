"""`wixarchive export blog.html` as a blog's owner uses it: one file to open in a browser, email
or keep, every post in it with its archived images inside, loading nothing from the web."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

import wixarchive
from archive.store import Archive
from crawler.extract.record import Article
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.export import media_answers
from tests.processes import HANG_GUARD

pytest.importorskip("PIL.Image", reason="Pillow (the test extra) draws the sample blog's images")

POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def wixarchive_command(*args: str, cwd: Path, env: dict[str, str] | None = None
                       ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=HANG_GUARD, cwd=cwd, env={**os.environ, **(env or {})})


def test_one_file_holds_every_post_and_its_archived_images(tmp_path: Path) -> None:
    blog = SampleBlog(seed=3, post_count=12)
    with serve_blog(blog) as server:
        crawl = wixarchive_command("crawl", server.url, "--db", "blog.db", "--delay", "0",
                                   "--no-autothrottle", cwd=tmp_path,
                                   env={"WIXARCHIVE_MEDIA_BASE": f"{server.url}/media/"})
    assert crawl.returncode == 0, crawl.stderr
    with Archive.open(tmp_path / "blog.db", readonly=True) as archive:
        rows = archive.conn.execute("SELECT title, body FROM posts ORDER BY published, id"
                                    ).fetchall()
        titles = [title for title, _ in rows]
        stored = archive.conn.execute("SELECT count(*) FROM media WHERE status = 'stored'"
                                      ).fetchone()[0]
    assert len(titles) == 12 and stored > 0

    result = wixarchive_command("export", "blog.html", "--db", "blog.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Exported 12 posts and {stored} images from 1 site to blog.html (html)." \
        in result.stdout
    assert "Open blog.html in any web browser (no network needed)" in result.stdout

    page = lxml.html.parse(str(tmp_path / "blog.html")).getroot()
    assert page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content") == [POLICY]
    assert page.findtext(".//h1") == blog.site_name
    # The list of posts links each post, in the order they were published.
    listed = page.xpath("//nav[@id='contents']//li/a")
    assert [a.text for a in listed] == titles
    articles = page.xpath("//article")
    assert [a.findtext("h2") for a in articles] == titles
    assert [f"#{a.get('id')}" for a in articles] == [a.get("href") for a in listed]
    # Every body is there, as archived.
    for article, (_, body) in zip(articles, rows, strict=True):
        shown = " ".join(article.text_content().split())
        assert all(" ".join(paragraph.split()) in shown
                   for paragraph in body.split("\n\n")[:3]), shown[:300]
    # Every image shown is inside the file, the very bytes the site served: nothing is loaded
    # from the web, which may be gone.
    sources = page.xpath("//img/@src")
    assert sources and all(src.startswith("data:image/") for src in sources)
    shown = {hashlib.sha256(base64.b64decode(src.split(",", 1)[1])).hexdigest()
             for src in sources}
    served = {hashlib.sha256(answer.body).hexdigest() for _, answer in media_answers(blog)}
    assert shown <= served and len(shown) == stored


def test_hostile_text_stays_text_and_the_api_writes_the_same(tmp_path: Path) -> None:
    db = tmp_path / "blog.db"
    site = "https://ann.wixsite.com/yoga"
    with Archive.open(db) as archive:
        archive.save_article(Article(
            url=f"{site}/post/one", title="<b>Bold</b> & co", author="Ann <i>",
            published="2024-05-01T08:00:00Z", tags=["calm"], categories=["Practice"],
            body_text="Breathe.",
            body_html=('<p onclick="x()">Breathe.<script>alert(1)</script></p>'
                       '<img src="https://static.wixstatic.com/media/gone~mv2.jpg" alt="Bay">'
                       '<a href="javascript:alert(2)">link</a>'),
            body_markdown="Breathe.", language="en"))
    out = tmp_path / "api.html"
    result = wixarchive.export(wixarchive.open(db), out)
    assert result == 1 and result.summary["format"] == "html"
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text and "onclick" not in text and "javascript:" not in text
    page = lxml.html.fromstring(text)
    assert page.findtext(".//article/h2") == "<b>Bold</b> & co"
    # An image that was not archived is a link to where it was, never loaded.
    assert page.xpath("//img") == []
    unarchived = page.xpath("//a[@class='wxa-unarchived']")
    assert [(a.text, a.get("href")) for a in unarchived] == [
        ("Image: Bay (not archived)", "https://static.wixstatic.com/media/gone~mv2.jpg")]
    command = wixarchive_command("export", "--format", "html", "cli.html", "--db", str(db),
                                cwd=tmp_path)
    assert command.returncode == 0, command.stderr
    # The same file but for the day it was made.
    assert (tmp_path / "cli.html").read_text(encoding="utf-8") == text


def test_a_link_to_another_exported_post_points_within_the_page(tmp_path: Path) -> None:
    # The blog the links point at may be gone: a reader of the file follows them in the file.
    db = tmp_path / "blog.db"
    site = "https://ann.wixsite.com/yoga"
    with Archive.open(db) as archive:
        link = "http://ann.wixsite.com/yoga/post/two/?a=1&amp;b=2"  # another spelling
        for slug, day, body in (
                ("one", 3, f'<p>See <a href="{link}">part two</a> and '
                           '<a href="https://example.org/x">elsewhere</a>.</p>'),
                ("two", 1, "<p>Part two.</p>")):
            archive.save_article(Article(url=f"{site}/post/{slug}", title=slug.title(),
                                         published=f"2024-05-0{day}T08:00:00Z",
                                         body_text="Text.", body_html=body, language="en"))
        two = archive.conn.execute("SELECT id FROM posts WHERE url LIKE '%/two'").fetchone()[0]
    result = wixarchive_command("export", "blog.html", "--db", str(db), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = lxml.html.parse(str(tmp_path / "blog.html")).getroot()
    links = {a.text: a.get("href") for a in page.xpath("//article//p/a")}
    assert links["part two"] == f"#post-{two}"
    assert page.get_element_by_id(f"post-{two}").findtext("h2") == "Two"
    assert links["elsewhere"] == "https://example.org/x"
    # Its address on the site stays the site's, and a filtered export (the post left out)
    # keeps the link to the site.
    assert f"{site}/post/two" in links.values()
    filtered = wixarchive_command("export", "one.html", "--since", "2024-05-03", "--db", str(db),
                                  cwd=tmp_path)
    assert filtered.returncode == 0, filtered.stderr
    page = lxml.html.parse(str(tmp_path / "one.html")).getroot()
    assert [a.findtext("h2") for a in page.xpath("//article")] == ["One"]
    assert {a.text: a.get("href") for a in page.xpath("//article//p/a")}["part two"] == (
        "http://ann.wixsite.com/yoga/post/two/?a=1&b=2")


def test_a_post_of_many_large_photos_is_written_without_holding_them(tmp_path: Path) -> None:
    """A post of 60 archived photos of 1 MB (a travel blog's gallery): each was held in memory
    as base64 three times over until the post was written, 240 MB at the peak here, as a post
    of 40 photos of 5 MB took 1 GB. Each is now read and encoded as it is written, its data:
    URL the same."""
    import tracemalloc

    from archive.export import html

    site = "https://ann.wixsite.com/trips"
    photos = [f"https://static.wixstatic.com/media/photo{n}~mv2.jpg" for n in range(60)]
    post = {"id": 7, "url": f"{site}/post/gallery", "title": "Gallery", "site": site,
            "images": photos, "cover_image": photos[0],
            "body_html": "".join(f'<p><img src="{url}" alt="Photo {n}"></p>'
                                 for n, url in enumerate(photos))}

    def image(url: str) -> tuple[bytes, str]:
        return bytes([photos.index(url)]) * 2**20, "image/jpeg"

    out = tmp_path / "gallery.html"
    tracemalloc.start()
    try:
        with out.open("w", encoding="utf-8") as stream:
            written = html.write([post], stream, image=image)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert written == (1, 60)
    assert peak < 60 * 2**20, f"{peak / 2**20:.0f} MB at the peak"
    # Read as text: lxml's parser stops at 10 MB of a document.
    shown = re.findall(r'<img src="data:image/jpeg;base64,([^"]*)" alt="([^"]*)">',
                       out.read_text(encoding="utf-8"))
    assert [(base64.b64decode(data), alt) for data, alt in shown] == [
        (image(url)[0], f"Photo {n}") for n, url in enumerate(photos)]


def _png(size: tuple[int, int], colour: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_an_image_shown_several_times_is_inside_the_file_once_and_shows_each_time(
        tmp_path: Path) -> None:
    """A photo that is one post's cover and shown twice in another (at another address, the
    same bytes) was inside the file three times, base64 each time. It is there once, in a
    rule of the page's style, and the page, in Chromium under its policy, shows it in each
    place; an image shown once stays its <img>'s src."""
    from devtools import browser

    from archive.export import html

    site = "https://ann.wixsite.com/trips"
    red = f"{site.replace('ann.wixsite.com/trips', 'static.wixstatic.com')}/media/red~mv2.png"
    red_resized = red + "/v1/fill/w_40,h_30/red.png"
    blue = red.replace("red", "blue")
    files = {red: _png((40, 30), "red"), red_resized: _png((40, 30), "red"),
             blue: _png((24, 16), "blue")}
    posts = [{"id": 1, "url": f"{site}/post/one", "title": "One", "site": site,
              "images": [red, blue], "cover_image": red,
              "body_html": f'<p>Blue: <img src="{blue}" alt="Blue"></p>'},
             {"id": 2, "url": f"{site}/post/two", "title": "Two", "site": site,
              "images": [red_resized], "body_html":
                  f'<p><img src="{red_resized}" alt="Red"> and <img src="{red_resized}"></p>'}]
    out = tmp_path / "trips.html"
    with out.open("w", encoding="utf-8") as stream:
        written = html.write(posts, stream, image=lambda url: (files[url], "image/png"))
    assert written == (2, 3)
    text = out.read_text(encoding="utf-8")
    assert text.count(base64.b64encode(files[red]).decode()) == 1
    assert text.count(base64.b64encode(files[blue]).decode()) == 1
    page = lxml.html.fromstring(text)
    images = page.xpath("//article//img")
    assert [(img.get("src", "")[:15], img.get("alt")) for img in images] == [
        ("", ""), ("data:image/png;", "Blue"), ("", "Red"), ("", None)]
    assert len({img.get("data-wxa-image") for img in images if not img.get("src")}) == 1

    with browser(tmp_path / "profile") as tools:
        tools.call("Emulation.setDeviceMetricsOverride", width=800, height=1200,
                   deviceScaleFactor=1, mobile=False)
        tools.call("Page.navigate", url=out.as_uri())
        tools.wait_for("Page.loadEventFired")
        boxes = tools.evaluate(
            "[...document.querySelectorAll('article img')].map(i => {"
            " const r = i.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })")
        shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    from PIL import Image

    screen = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    expected = [((40, 30), (255, 0, 0)), ((24, 16), (0, 0, 255)), ((40, 30), (255, 0, 0)),
                ((40, 30), (255, 0, 0))]
    for (x, y, width, height), (size, colour) in zip(boxes, expected, strict=True):
        assert (width, height) == size
        assert screen.getpixel((int(x + width / 2), int(y + height / 2))) == colour


def test_a_date_that_is_no_date_stays_text_in_the_list_of_posts(tmp_path: Path) -> None:
    """A post's `published` is what the archive holds (the API stores any text): in the list
    of posts it was written as markup, and `<!--` there hid every later post from the list
    (`<plaintext` would show the rest of the file as source)."""
    db = tmp_path / "blog.db"
    with Archive.open(db) as archive:
        for slug, published in (("one", "<!--2024-05-01"), ("two", "2024-05-02"),
                                ("three", "<plaintext>")):
            archive.save_article(Article(url=f"https://ann.wixsite.com/yoga/post/{slug}",
                                         title=slug.title(), published=published,
                                         body_text="Breathe.", body_html="<p>Breathe.</p>"))
    out = tmp_path / "blog.html"
    assert wixarchive.export(wixarchive.open(db), out) == 3
    page = lxml.html.fromstring(out.read_text(encoding="utf-8"))
    assert sorted(a.text for a in page.xpath("//nav//li/a")) == ["One", "Three", "Two"]
    assert sorted(page.xpath("//nav//li/span[@class='meta']/text()")) == [
        "2024-05-02", "<!--2024-0", "<plaintext"]


def test_a_right_to_left_title_reads_right_to_left(tmp_path: Path) -> None:
    """A Hebrew or Arabic post's title, in its heading and in the list of posts, takes the
    direction of its own text (Chromium): until 2026-12-07 both were left to right, the
    question mark of "מה שלומך?" shown at the start of the question."""
    from devtools import browser

    from archive.export import html

    site = "https://ann.wixsite.com/trips"
    posts = [{"id": 1, "url": f"{site}/post/one", "title": "מה שלומך?", "site": site,
              "language": "he", "body_html": "<p>טקסט.</p>"},
             {"id": 2, "url": f"{site}/post/two", "title": "كيف حالك؟", "site": site,
              "body_html": "<p>نص.</p>"},
             {"id": 3, "url": f"{site}/post/three", "title": "How are you?", "site": site,
              "language": "he", "body_html": "<p>Text.</p>"}]
    out = tmp_path / "trips.html"
    with out.open("w", encoding="utf-8") as stream:
        html.write(posts, stream, image=lambda url: None)
    with browser(tmp_path / "profile") as tools:
        tools.call("Page.navigate", url=out.as_uri())
        tools.wait_for("Page.loadEventFired")
        directions = tools.evaluate(
            "[...document.querySelectorAll('article h2, nav li a')].map(e =>"
            " [e.textContent, getComputedStyle(e).direction])")
    assert sorted(map(tuple, directions)) == sorted(
        [(title, direction) for title, direction in (("מה שלומך?", "rtl"), ("كيف حالك؟", "rtl"),
                                                     ("How are you?", "ltr"))] * 2)


def test_a_link_to_a_posts_old_blog_address_points_within_the_page(tmp_path: Path) -> None:
    """A link to another post's old blog address (/single-post/YYYY/MM/DD/<Slug>, as a post
    written before Wix moved its blog has it) leads to that post in the page."""
    from archive.export import html

    site = "https://ann.wixsite.com/yoga"
    posts = [{"id": 1, "url": f"{site}/post/morning-flow", "title": "Morning", "site": site,
              "body_html": "<p>Flow.</p>"},
             {"id": 2, "url": f"{site}/post/evening", "title": "Evening", "site": site,
              "body_html": f'<p><a href="{site}/single-post/2019/06/06/Morning-Flow">'
                           'the morning</a></p>'}]
    out = io.StringIO()
    html.write(posts, out, image=lambda url: None, names=posts)
    page = lxml.html.fromstring(out.getvalue())
    assert [a.get("href") for a in page.xpath("//article//p/a") if a.text == "the morning"] \
        == ["#post-1"]


def test_a_posts_address_reads_decoded_and_links_encoded(tmp_path: Path) -> None:
    """A Hebrew or Japanese slug's address under the post reads as the site showed it, as
    `serve`'s article page has it; its link stays the encoded URL (until 2026-12-07 the reader
    saw `%D7%A9%D7%9C…`)."""
    from archive.export import html

    url = "https://ann.wixsite.com/yoga/post/%D7%A9%D7%9C%D7%95%D7%9D"
    out = io.StringIO()
    html.write([{"id": 1, "url": url, "title": "שלום", "body_html": "<p>טקסט.</p>"}], out,
               image=lambda url: None)
    (link,) = lxml.html.fromstring(out.getvalue()).xpath("//article/p[@class='meta']/a")
    assert (link.get("href"), link.text) == (url, "https://ann.wixsite.com/yoga/post/שלום")


def test_a_link_to_a_post_left_out_is_not_led_to_another_case_of_its_slug() -> None:
    """A link to /post/calm, a post the filter leaves out, stays the site's URL: until
    2026-12-07 it was led to /post/Calm's place in the page, a post whose slug differs only
    in case (their old-blog key, case-folded, agrees)."""
    from archive.export import html

    site = "https://ann.wixsite.com/yoga"
    left_out = {"id": 1, "url": f"{site}/post/calm", "site": site, "chosen": False}
    posts = [{"id": 2, "url": f"{site}/post/Calm", "title": "Calm", "site": site,
              "body_html": "<p>Capitals.</p>"},
             {"id": 3, "url": f"{site}/post/linking", "title": "Linking", "site": site,
              "body_html": f'<p><a href="{site}/post/calm">lower case</a></p>'}]
    out = io.StringIO()
    html.write(posts, out, image=lambda url: None, names=[left_out, *posts])
    page = lxml.html.fromstring(out.getvalue())
    assert [a.get("href") for a in page.xpath("//article//p/a") if a.text == "lower case"] \
        == [f"{site}/post/calm"]
