"""What a screen-reader or keyboard user relies on in the served pages' content (`wixarchive
serve`, fetched over HTTP) and in the WXR export: each search hit in its post's language,
pictures named by their own alt text and announced once, links that say where they go, a diff
whose removed and added lines are deletions and insertions, and a Language field that says it
takes a code (and helps with a language's name)."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from lxml import etree
from test_web import article
from test_web_serve import STARTUP_TIMEOUT, running_server
from webarchives import wixarchive, write_warc

from archive.export.wxr import NS
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import media_bytes

pytest.importorskip("datasette")

SITE = "https://vela.example.com"
SAIL = "https://static.wixstatic.com/media/a1c0de_sail~mv2.jpg"
HARBOUR = "https://static.wixstatic.com/media/a1c0de_harbour~mv2.jpg"
KNOTS = "https://static.wixstatic.com/media/a1c0de_knots~mv2.jpg"
VIDEO_ID = "a1c0de_0123456789abcdef"
VIDEO = f"https://video.wixstatic.com/video/{VIDEO_ID}/480p/mp4/file.mp4"
BODY = (f'<p>Imágenes del viaje.</p><figure><img src="{SAIL}" alt="Un velero al atardecer">'
        f'</figure><figure><img src="{HARBOUR}" alt="El puerto  de\nValencia"></figure>'
        f'<figure><img src="{KNOTS}" alt=""></figure>')


def make_vela_archive(path: Path) -> Path:
    """A Spanish post in two versions: three images (two with alt text; the first the
    cover) and a Wix video; none archived."""
    with Archive.open(path) as archive:
        for text, when in (("Imágenes.", "2024-01-01T00:00:00+00:00"),
                           ("Imágenes del viaje.", "2024-02-01T00:00:00+00:00")):
            archive.save_article(article(
                SITE, "vela", title="Navegando a Toda Vela!!", language="es",
                body_text=text, body_html=BODY.replace("Imágenes del viaje.", text),
                images=[SAIL, HARBOUR, KNOTS],
                cover_image=SAIL,
                attachments=[{"url": VIDEO, "kind": "video", "content_type": "video/mp4",
                              "is_file": True}]), fetched_at=when)
    return path


@pytest.fixture(scope="module")
def vela(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The archive and the URL of its database on a running `wixarchive serve`."""
    db = make_vela_archive(tmp_path_factory.mktemp("vela") / "arch.db")
    with running_server(db) as (_, url):
        yield db, url + "arch"


def fetch(url: str) -> lxml.html.HtmlElement:
    with urllib.request.urlopen(url, timeout=STARTUP_TIMEOUT) as response:
        return lxml.html.fromstring(response.read().decode())


def link_name(link: lxml.html.HtmlElement) -> str:
    """What a screen reader calls a link: its text, and its images' alt text."""
    alts = " ".join(img.get("alt") or "" for img in link.iter("img"))
    return " ".join(f"{link.text_content()} {alts}".split())


def test_each_search_hit_reads_in_its_posts_language(vela: tuple[Path, str]) -> None:
    _, base = vela
    html = fetch(f"{base}/-/search?q=vela")
    (hit,) = html.find_class("wxa-hit")
    title = hit.xpath(".//h3/a")[0]
    (snippet,) = hit.find_class("wxa-snippet")
    assert title.text_content() == "Navegando a Toda Vela!!"
    for element in (title, snippet):  # as its article page gives it
        assert (element.get("lang"), element.get("dir")) == ("es", "auto")
    page = fetch(f"{base}/-/post/1")
    assert (page.find(".//article").get("lang"), page.find(".//article").get("dir")) == (
        "es", "auto")


def test_pictures_are_named_by_their_alt_text_and_announced_once(
        vela: tuple[Path, str]) -> None:
    _, base = vela
    html = fetch(f"{base}/-/post/1")
    body = html.find_class("wxa-body")[0]
    assert [a.text_content() for a in body.find_class("wxa-unarchived")] == [
        "Image: Un velero al atardecer (not archived)",
        "Image: El puerto  de\nValencia (not archived)", "Image (not archived)"]
    # The gallery (the cover left out) names each picture by its alt text, where it has one.
    gallery = html.find_class("wxa-images")[0]
    assert [link_name(a) for a in gallery.iter("a")] == [
        "Image 1: El puerto de Valencia (not archived)", "Image 2 (not archived)"]
    # The cover is the first body image: its alt text is that picture's.
    (cover,) = html.find_class("wxa-cover")
    assert link_name(cover) == "Un velero al atardecer (not archived)"


def test_links_say_where_they_go(vela: tuple[Path, str]) -> None:
    _, base = vela
    html = fetch(f"{base}/-/post/1")
    versions = html.find_class("wxa-versions")[0]
    assert [link_name(a) for a in versions.iter("a")] == ["Version 1"]
    since = html.xpath("//p[starts-with(normalize-space(), 'From')]/a")[0]
    assert link_name(since) == "version 1"
    # A Wix video is named by its id, as the WXR export names it (every one is file.mp4).
    (video,) = html.find_class("wxa-attachments")[0].iter("a")
    assert (link_name(video), video.get("href")) == (f"{VIDEO_ID}.mp4", VIDEO)


def test_the_diff_marks_removed_and_added_lines_as_deletions_and_insertions(
        vela: tuple[Path, str]) -> None:
    _, base = vela
    diff = fetch(f"{base}/-/post/1").find_class("wxa-diff")[0]
    marked = [(line.tag, line.get("class"), line.text_content()) for line in diff]
    assert ("del", "wxa-diff-removed", "-Imágenes.") in marked
    assert ("ins", "wxa-diff-added", "+Imágenes del viaje.") in marked


def test_the_language_field_asks_for_a_code_and_takes_a_languages_name(
        vela: tuple[Path, str]) -> None:
    _, base = vela
    form = fetch(f"{base}/-/search")
    label = form.xpath("//input[@name='lang']/parent::label")[0]
    assert " ".join(label.text_content().split()) == "Language code (e.g. es)"
    # A language's name is searched as its code, and the page says so.
    named = fetch(f"{base}/-/search?q=vela&lang=Spanish")
    assert [a.text_content() for a in named.xpath("//li[@class='wxa-hit']//h3/a")] == [
        "Navegando a Toda Vela!!"]
    assert named.xpath("//input[@name='lang']")[0].get("value") == "es"
    assert 'Language "Spanish" was searched as its code, es' in named.text_content()
    # Any other word that is no code: no matches, and a hint to give the code.
    unknown = fetch(f"{base}/-/search?q=vela&lang=" + urllib.parse.quote("Castellano"))
    hints = [p.text_content() for p in unknown.find_class("wxa-hint")]
    assert not unknown.find_class("wxa-hit") and len(hints) == 1
    assert "takes the code a post gives its language (es, pt-BR" in hints[0]
    assert '"Castellano"' in hints[0]
    # A code that matches nothing gets no hint: it is a code.
    assert not fetch(f"{base}/-/search?q=vela&lang=fr").find_class("wxa-hint")


def attachment_alts(xml: Path) -> dict[str, str | None]:
    """Each attachment's URL -> its _wp_attachment_image_alt (None without one)."""
    root = etree.parse(str(xml))
    alts: dict[str, str | None] = {}
    for item in root.iter("item"):
        if item.findtext("wp:post_type", namespaces=NS) != "attachment":
            continue
        meta = {m.findtext("wp:meta_key", namespaces=NS): m.findtext("wp:meta_value",
                                                                     namespaces=NS)
                for m in item.findall("wp:postmeta", namespaces=NS)}
        alts[item.findtext("wp:attachment_url", namespaces=NS)] = meta.get(
            "_wp_attachment_image_alt")
    return alts


def test_the_wxr_export_gives_images_their_alt_text(vela: tuple[Path, str],
                                                    tmp_path: Path) -> None:
    db, _ = vela
    out = tmp_path / "out.xml"
    result = wixarchive("export", "--db", str(db), "--format", "wxr", "--site", SITE,
                        str(out))
    assert result.returncode == 0, result.stderr
    assert attachment_alts(out) == {SAIL: "Un velero al atardecer",
                                    HARBOUR: "El puerto de Valencia", KNOTS: None,
                                    VIDEO: None}


def test_archived_thumbnails_are_decorative_inside_links_named_by_the_picture(
        tmp_path: Path) -> None:
    """A sample post imported with its images archived, its two body images given alt text:
    the cover (the first image) shows with that alt text; the gallery's thumbnail of the
    second is alt="" inside a link a screen reader names by the picture's alt text."""
    blog = SampleBlog(seed=4, post_count=3)
    post = blog.posts[0]
    with serve_blog(blog) as server, urllib.request.urlopen(
            server.url + post.url_path) as response:
        page = response.read().decode()
    images = post.expected()["images"]
    assert post.expected()["cover_image"] == images[0]
    for url, alt in zip(images, ("Tomatoes on the vine", "Seedlings in trays"), strict=True):
        page, count = re.subn(rf'(<img src="{re.escape(url)}[^"]*") alt=""', rf'\1 alt="{alt}"',
                              page)
        assert count == 1, url
    write_warc(tmp_path / "post.warc.gz", [
        (server.url + post.url_path, page.encode(), "text/html; charset=utf-8"),
        *[(url, media_bytes(url.rsplit("/", 1)[-1]), "image/jpeg") for url in images]])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(tmp_path / "post.warc.gz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    with running_server(db) as (_, url):
        html = fetch(url + "archive/-/post/1")
    (cover,) = html.find_class("wxa-cover")
    assert cover.get("alt") == "Tomatoes on the vine"
    (link,) = html.find_class("wxa-images")[0].iter("a")
    assert [img.get("alt") for img in link.iter("img")] == [""]
    assert link_name(link) == "Image 1: Seedlings in trays (full size)"
    assert link.get("href").startswith("/archive/-/media/")
