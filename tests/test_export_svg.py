"""Archived images a hostile site served (SVG with scripts, markup under an image's name) are
exported as files a Hugo/Jekyll site or an --images-url server can publish from its own origin:
an SVG cleaned, never markup under another type's extension; the archive keeps the original."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from archive import captures
from archive.export.safe_copies import clean_svg, safe_copy
from archive.store import Archive
from crawler.extract.record import Article
from tests.processes import HANG_GUARD

SITE = "https://evil.wixsite.com/blog"
MEDIA = "https://static.wixstatic.com/media"
HOSTILE_SVG = b"""<?xml version="1.0"?>
<?xml-stylesheet type="text/xsl" href="http://127.0.0.1:9/x.xsl"?>
<!DOCTYPE svg [<!ENTITY e "&#60;script&#62;alert(0)&#60;/script&#62;">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     onload="alert(1)" width="10" height="10">
  <script>alert(2)</script>
  <script xlink:href="http://127.0.0.1:9/x.js"/>
  <foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><script>alert(3)</script></body>
  </foreignObject>
  <html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(4)</html:script>
  <a xlink:href="javascript:alert(5)"><rect width="5" height="5" fill="url(#g)"/></a>
  <a href="data:text/html,&lt;script&gt;alert(6)&lt;/script&gt;"><circle r="1"/></a>
  <image href="http://127.0.0.1:9/track.png"/>
  <use href="http://127.0.0.1:9/sprite.svg#x"/>
  <set attributeName="href" to="javascript:alert(7)"/>
  <animate attributeName="onclick" to="alert(8)"/>
  <style>@import url(http://127.0.0.1:9/x.css); rect { fill: red }</style>
  <rect style="background: url(http://127.0.0.1:9/y.png)" onclick="alert(9)" width="1"/>
  <handler type="application/ecmascript">alert(10)</handler>
  <text>&e; Hello</text>
  <linearGradient id="g"><stop offset="0" stop-color="blue"/></linearGradient>
</svg>"""
ACTIVE = ("script", "onload", "onclick", "javascript", "data:", "foreignobject", "127.0.0.1",
          "alert", "xml-stylesheet", "<!doctype", "handler", "@import")
HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(11)</script></body></html>"
# The same hostile SVG as the site named it .svg and as .jpg; HTML named .png; a document.
SVG_URL, SVG_AS_JPG, HTML_AS_PNG, PHOTO = (f"{MEDIA}/cbee~mv2.svg", f"{MEDIA}/cbee~mv2.jpg",
                                          f"{MEDIA}/page~mv2.png", f"{MEDIA}/photo~mv2.jpg")
DOCUMENT = "https://evil.wixsite.com/_files/ugd/report.pdf"
BYTES = {SVG_URL: HOSTILE_SVG, SVG_AS_JPG: HOSTILE_SVG, HTML_AS_PNG: HTML_PAGE,
         PHOTO: b"\xff\xd8\xff photo", DOCUMENT: HTML_PAGE.replace(b"11", b"12")}


def assert_inert(data: bytes) -> None:
    lowered = data.lower()
    assert not [word for word in ACTIVE if word.encode() in lowered], data.decode()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "blogs.db"
    images = [SVG_URL, SVG_AS_JPG, HTML_AS_PNG, PHOTO]
    with Archive.open(path) as archive:
        archive.save_article(Article(
            url=f"{SITE}/post/p1", title="Hostile", author="Eve", body_text="Text.",
            body_html="<p>Text.</p>", language="en", published="2024-05-01T08:00:00Z",
            body_markdown="".join(f"![]({url})\n\n" for url in images) + f"<{DOCUMENT}>",
            images=images, cover_image=SVG_AS_JPG,
            attachments=[{"url": DOCUMENT, "kind": "document", "content_type": "application/pdf",
                          "is_file": True}]))
        writer = captures.CaptureWriter(captures.captures_dir(path))
        rows = []
        for url, data in BYTES.items():
            record_id = captures.new_record_id()
            rows.append(writer.write(captures.Exchange(
                url, "GET", [], 200, [("Content-Type", "image/svg+xml")], data, record_id)))
            captures.record_media(archive.conn, url, "stored", "2024-06-01T00:00:00Z", None,
                                  len(data), None, record_id, None)
        writer.close()
        archive.conn.execute("BEGIN")
        captures.index_rows(archive.conn, rows)
        archive.conn.execute("COMMIT")
    return path


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=HANG_GUARD)


def check_copies(folder: Path) -> None:
    """Every copy is inert, named by what its bytes are: cleaned SVG as .svg, markup as .txt."""
    copies = {path.suffix: path for path in folder.rglob("*") if path.is_file()
              and path.suffix not in (".md", ".json") and not path.name.startswith(".")}
    assert sorted(copies) == [".jpg", ".svg", ".txt"], sorted(copies)
    assert copies[".jpg"].read_bytes() == BYTES[PHOTO]
    svg = copies[".svg"].read_bytes()
    assert_inert(svg)
    root = etree.fromstring(svg)  # still a drawing: the shapes and gradient reference stay
    assert root.find(".//{http://www.w3.org/2000/svg}rect").get("fill") == "url(#g)"
    assert "Hello" in "".join(root.itertext())
    for path in folder.rglob("*"):
        if path.suffix in (".jpg", ".png", ".pdf", ".svg"):
            assert b"<script" not in path.read_bytes().lower(), path


def test_markdown_export_writes_no_active_svg_or_markup_as_image(db: Path,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "content"
    result = wixarchive("export", "--format", "markdown", "--db", str(db), str(out))
    assert result.returncode == 0, result.stderr
    check_copies(out)
    page = next(out.rglob("index.md")).read_text(encoding="utf-8")
    bundle = next(out.rglob("index.md")).parent
    assert "cover_image: \"images/" in page and ".svg\"" in page
    # The page links the files written (the .jpg SVG and the .svg are one cleaned file).
    for line in page.splitlines():
        if line.startswith("![]("):
            assert (bundle / line[4:-1]).is_file(), line
    # The archive keeps the bytes the site served.
    with Archive.open(db) as archive:
        kept = captures.stored_media(archive.conn, captures.captures_dir(db), SVG_AS_JPG)
        assert kept.decoded_body() == HOSTILE_SVG


def test_wxr_images_url_copies_are_inert(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site.xml"
    result = wixarchive("export", "--format", "wxr", "--db", str(db), str(out),
                        "--images-url", "https://example.org/img/", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["archived_images"] >= 3
    check_copies(tmp_path / "site-images")
    text = out.read_text(encoding="utf-8")
    assert ".svg" in text and ".txt" in text  # the attachments name the files written


@pytest.mark.parametrize("data", [
    b"<svg/>",  # no SVG namespace: a browser shows no SVG either
    b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script",  # not well-formed
])
def test_unparsable_or_foreign_markup_is_not_an_svg(data: bytes) -> None:
    assert clean_svg(data) is None


def test_a_utf16_svg_is_dropped_or_inert() -> None:
    cleaned = clean_svg("<svg xmlns='http://www.w3.org/2000/svg' onload='x'/>".encode("utf-16"))
    assert cleaned is None or not [w for w in ACTIVE if w.encode() in cleaned.lower()]


@pytest.mark.parametrize(("data", "written"), [
    ("<html><script>x</script></html>".encode("utf-16"), "photo.txt"),  # UTF-16 with its BOM
    ("<html><script>x</script></html>".encode("utf-16-be"), "photo.txt"),  # and without
    ("\ufeff  <html>".encode(), "photo.txt"),  # UTF-8 BOM, then white space
    ("\ufeffname,size\n".encode(), "photo.png"),  # a BOM alone is no markup
])
def test_markup_under_an_image_name_is_copied_as_text(data: bytes, written: str) -> None:
    assert safe_copy("photo.png", data) == (written, data)


def test_a_plain_svg_keeps_its_drawing() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 19 19"><defs><linearGradient'
           b' id="a"/></defs><path d="M2 2h15v15H2z" fill="url(#a)"/><use href="#a"/></svg>')
    cleaned = clean_svg(svg)
    assert cleaned is not None and cleaned.split(b"?>", 1)[1].lstrip() == svg
