"""`wixarchive export --format markdown` as a site moving to Hugo (or Jekyll, or a folder of
notes) uses it: page bundles whose media and links between posts resolve from disk and in
Hugo's build, videos as links, and re-exports that say what they changed and clean up only
what they wrote."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from markdown_it import MarkdownIt

from archive import captures
from archive.store import Archive
from crawler.extract.record import Article
from tests.processes import HANG_GUARD

REPO = Path(__file__).resolve().parent.parent
SITE = "https://ann.wixsite.com/yoga"
MEDIA = "https://static.wixstatic.com/media"
COVER, PHOTO, SHARED = (f"{MEDIA}/cover~mv2.png", f"{MEDIA}/photo~mv2.jpg",
                        f"{MEDIA}/shared~mv2.jpg")
VIDEO = "https://video.wixstatic.com/video/a1c0de_e4d1/480p/mp4/file.mp4"
BYTES = {COVER: b"\x89PNG cover", PHOTO: b"\xff\xd8 photo", SHARED: b"\xff\xd8 shared",
         VIDEO: b"\x00\x00\x00\x18ftypmp42 video"}
CAFE = f"{SITE}/post/caf%C3%A9-cr%C3%A8me"


def store_media(archive: Archive, db: Path, urls: list[str]) -> None:
    """Each URL archived at full size, as `crawl` stores an image or video: a capture record,
    indexed, and its media row."""
    writer = captures.CaptureWriter(captures.captures_dir(db))
    rows = []
    for url in urls:
        record_id = captures.new_record_id()
        rows.append(writer.write(captures.Exchange(
            url, "GET", [], 200, [("Content-Type", "application/octet-stream")], BYTES[url],
            record_id)))
        captures.record_media(archive.conn, url, "stored", "2024-06-01T00:00:00Z", None,
                              len(BYTES[url]), None, record_id, None)
    writer.close()
    archive.conn.execute("BEGIN")
    captures.index_rows(archive.conn, rows)
    archive.conn.execute("COMMIT")


def save(archive: Archive, url: str, markdown: str, **fields: Any) -> None:
    values: dict[str, Any] = {"title": "Untitled", "author": "Ann", "body_text": "Text.",
                              "body_html": "<p>Text.</p>", "body_markdown": markdown,
                              "language": "en"}
    archive.save_article(Article(url=url, **{**values, **fields}))


def breathing(links: str = "", images: list[str] | None = None) -> dict[str, Any]:
    images = [PHOTO, SHARED] if images is None else images
    body = "Breathe in.\n\n" + "".join(f"![]({url})\n\n" for url in images)
    return {"markdown": body + f"Watch: <{VIDEO}>\n\n{links}", "title": "Breathing",
            "body_html": f"<p>Breathe in. {len(images)} images.</p>",  # a new version
            "published": "2024-05-01T08:00:00Z", "cover_image": COVER, "images": images,
            "attachments": [{"url": VIDEO, "kind": "video", "content_type": "video/mp4",
                             "is_file": True}]}


# Links to the café post in the forms a Wix body holds them, and links to leave alone.
LINKS = (f"See [the café post](http://ann.wixsite.com/yoga/post/café-crème/?lang=en#top), "
         f"[again]({CAFE.replace('%C3%A9', '%c3%a9')}) and <{CAFE}>. "
         f"Not archived: [gone]({SITE}/post/gone). Elsewhere: "
         f"[other blog](https://bob.wixsite.com/yoga/post/café-crème).")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "blogs.db"
    with Archive.open(path) as archive:
        fields = breathing(LINKS)
        save(archive, f"{SITE}/post/breathing", fields.pop("markdown"), **fields)
        save(archive, CAFE, f"Un café. Back to [breathing]({SITE}/post/breathing).\n\n"
             f"![]({SHARED})", title="Café crème", published="2023-01-15T09:30:00+01:00",
             images=[SHARED])
        store_media(archive, path, list(BYTES))
    return path


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=HANG_GUARD)


def export(db: Path, out: Path, *args: str) -> dict[str, Any]:
    result = wixarchive("export", "--format", "markdown", "--db", str(db), str(out), "--json",
                        *args)
    assert result.returncode == 0, result.stderr
    return {**json.loads(result.stdout), "stderr": result.stderr}


def links(markdown: str) -> list[tuple[str, str]]:
    """(kind, target) of each link and image a CommonMark renderer makes of `markdown`."""
    found, stack = [], MarkdownIt("commonmark").parse(markdown)
    while stack:
        token = stack.pop()
        if token.type in ("link_open", "image"):
            found.append(("image" if token.type == "image" else "link",
                          token.attrGet("src" if token.type == "image" else "href")))
        stack.extend(token.children or [])
    return found


def page(out: Path, path: str) -> tuple[dict[str, Any], str]:
    _, head, body = (out / path).read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


BREATHING = "ann.wixsite.com-yoga/2024-05-01-breathing/index.md"
CAFE_PAGE = "ann.wixsite.com-yoga/2023-01-15-café-crème/index.md"


def test_each_post_is_a_bundle_whose_links_resolve_on_disk(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "content"
    summary = export(db, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md")) == \
        [CAFE_PAGE, BREATHING]
    meta, body = page(out, BREATHING)
    here = (out / BREATHING).parent
    # Media beside the post, linked relatively: from disk, every image, the cover, the video.
    targets = links(body)
    local = [target for _, target in targets if not urlsplit(target).scheme]
    assert {(here / unquote(t)).read_bytes() for t in local if not t.endswith(".md")} == \
        {BYTES[PHOTO], BYTES[SHARED], BYTES[VIDEO]}
    assert (here / meta["cover_image"]).read_bytes() == BYTES[COVER]
    assert (here / meta["videos"][0]).read_bytes() == BYTES[VIDEO]
    # The video is a link (it was an autolink the local path made dead text).
    assert ("link", meta["videos"][0]) in targets and "&lt;" not in body
    assert re.search(r"\[file\.mp4\]\(files/[0-9a-f]{16}\.mp4\)", body)
    # Links to the archived café post, in every form, lead to its file; the others stay.
    to_cafe = [t for _, t in targets if "caf" in t and "bob." not in t]
    assert len(to_cafe) == 3 and {(here / unquote(t)).resolve() for t in to_cafe} == \
        {(out / CAFE_PAGE).resolve()}
    assert ("link", f"{SITE}/post/gone") in targets
    assert ("link", "https://bob.wixsite.com/yoga/post/caf%C3%A9-cr%C3%A8me") in targets
    _, cafe = page(out, CAFE_PAGE)
    assert ("link", "../2024-05-01-breathing/index.md") in links(cafe)
    # A shared image is copied into each bundle that uses it (2 + 1 images, 1 video).
    assert (summary["images"], summary["files"], summary["layout"]) == (4, 1, "bundles")


def test_flat_keeps_the_earlier_layout(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "content"
    summary = export(db, out, "--flat")
    site = out / "ann.wixsite.com-yoga"
    assert sorted(p.name for p in site.glob("*.md")) == ["2023-01-15-café-crème.md",
                                                         "2024-05-01-breathing.md"]
    meta, body = page(site, "2024-05-01-breathing.md")
    assert (site / meta["cover_image"]).read_bytes() == BYTES[COVER]
    assert ("link", "2023-01-15-caf%C3%A9-cr%C3%A8me.md") in links(body)
    assert (summary["images"], summary["layout"]) == (3, "flat")  # the shared image once


def hugo_link_hook() -> str:
    """The link render hook docs/datasette-and-exports.md gives Hugo users, as written there."""
    text = (REPO / "docs" / "datasette-and-exports.md").read_text(encoding="utf-8")
    (hook,) = [block for block in re.findall(r"```go-html-template\n(.*?)```", text, re.S)
               if ".Destination" in block]
    return hook


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_publishes_every_image_cover_video_and_post_link(db: Path, tmp_path: Path) -> None:
    """Built by Hugo's defaults (pretty URLs: a post at /<site>/<slug>/), each page's images,
    cover, video and links to other posts lead to files Hugo published."""
    site = tmp_path / "hugo"
    export(db, site / "content")
    layouts = site / "layouts" / "_default"
    (layouts / "_markup").mkdir(parents=True)
    (layouts / "_markup" / "render-link.html").write_text(hugo_link_hook())
    (layouts / "single.html").write_text(
        '{{ with .Params.cover_image }}<img src="{{ . }}">{{ end }}{{ .Content }}')
    (layouts / "list.html").write_text("")
    (site / "hugo.toml").write_text('baseURL = "http://localhost/"\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n')
    result = subprocess.run(["hugo", "--quiet", "--source", str(site)], capture_output=True,
                            text=True, timeout=HANG_GUARD)
    assert result.returncode == 0, result.stderr
    public = site / "public"
    pages = {"/" + p.parent.relative_to(public).as_posix() + "/": p.read_text()
             for p in public.rglob("index.html")}
    breathing = pages["/ann.wixsite.com-yoga/breathing/"]
    assert "file.mp4" in breathing
    checked = 0
    for url, html in pages.items():
        for target in re.findall(r'(?:src|href)="([^"]+)"', html):
            if urlsplit(target).scheme:
                continue
            path = unquote(urljoin(url, target)).lstrip("/")
            assert (public / path).is_file() or (public / path / "index.html").is_file(), \
                (url, target)
            checked += 1
    assert checked >= 8  # cover, 2 images, video, 3 links in one post; image, link in the other


def test_a_re_export_says_what_changed_and_removes_only_what_it_wrote(db: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "content"
    first = export(db, out)
    assert (first["written"], first["unchanged"], first["removed"]) == (7, 0, 0)
    assert (out / ".wixarchive-export.sha256").is_file()
    bundle = (out / BREATHING).parent
    mine = bundle / "images" / "notes.txt"  # the user's own file, among the export's
    mine.write_text("mine")
    again = export(db, out)
    assert (again["written"], again["unchanged"], again["removed"]) == (0, 7, 0)

    # The post drops an image; the café post is edited by hand, then vanishes from the site
    # folder as another post takes its place (its URL changed).
    with Archive.open(db) as archive:
        fields = breathing(images=[PHOTO])
        save(archive, f"{SITE}/post/breathing", fields.pop("markdown"), **fields)
        archive.conn.execute("UPDATE posts SET url = ? WHERE url = ?",
                             (f"{SITE}/post/cafe", CAFE))
    (out / CAFE_PAGE).write_text("edited by me", encoding="utf-8")
    dropped = [p for p in (bundle / "images").iterdir() if p.read_bytes() == BYTES[SHARED]]
    result = export(db, out)
    assert (result["written"], result["unchanged"], result["removed"]) == (3, 3, 2)
    assert result["kept_edited"] == [CAFE_PAGE]
    assert "Note: kept 1 file" in result["stderr"] and CAFE_PAGE in result["stderr"]
    assert not dropped[0].exists() and mine.read_text() == "mine"
    assert (out / CAFE_PAGE).read_text() == "edited by me"
    assert not (out / CAFE_PAGE).parent.joinpath("images").exists()  # emptied, removed
    # The text summary says the same.
    text = wixarchive("export", "--format", "markdown", "--db", str(db), str(out))
    assert "Files: 0 written, 6 unchanged, 0 removed (no longer used)." in text.stdout


def listed(out: Path) -> list[str]:
    """The paths the folder's manifest lists."""
    return sorted(line.split("  ", 1)[1] for line in
                  (out / ".wixarchive-export.sha256").read_text(encoding="utf-8").splitlines())


def test_a_re_export_that_cannot_read_the_captures_removes_no_copy(db: Path,
                                                                   tmp_path: Path) -> None:
    """As the WXR copies folder (test_export.py::
    test_wxr_copies_folder_lists_its_copies_as_a_markdown_export_does): with the captures
    lost, the posts link their media on the site, and the copies an earlier export wrote,
    now the only bytes left, are kept and still listed."""
    out = tmp_path / "content"
    export(db, out)
    copies = {p: p.read_bytes() for p in out.rglob("*") if p.parent.name in ("images", "files")}
    before = listed(out)
    assert len(copies) == 5  # 2 + 1 images, the cover, the video
    for capture_file in captures.captures_dir(db).iterdir():
        capture_file.unlink()
    result = wixarchive("export", "--format", "markdown", "--db", str(db), str(out), "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert (summary["unreadable_media"], summary["removed"], summary["written"]) == (4, 0, 2)
    assert {p: p.read_bytes() for p in copies} == copies
    assert listed(out) == before


def test_an_export_that_fails_midway_lists_the_files_it_wrote(db: Path, tmp_path: Path) -> None:
    """A later post that cannot be written (its site folder is a link out of the folder) ends
    the export with an error; the files written before it are listed, so that a later export
    knows them as its own."""
    with Archive.open(db) as archive:
        save(archive, "https://bob.wixsite.com/blog/post/hello", "Hello.", title="Hello")
    out = tmp_path / "content"
    out.mkdir()
    (out / "bob.wixsite.com-blog").symlink_to(tmp_path)
    result = wixarchive("export", "--format", "markdown", "--db", str(db), str(out))
    assert result.returncode == 1 and "outside" in result.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and not p.name.startswith("."))
    assert len(written) == 7 and listed(out) == written


def test_exporting_one_site_leaves_another_sites_files(db: Path, tmp_path: Path) -> None:
    with Archive.open(db) as archive:
        save(archive, "https://bob.wixsite.com/blog/post/hello", "Hello.", title="Hello")
    out = tmp_path / "content"
    export(db, out)
    hello = out / "bob.wixsite.com-blog" / "hello" / "index.md"
    assert hello.is_file()
    only = export(db, out, "--site", "ann.wixsite.com")
    assert only["removed"] == 0 and hello.is_file()
    assert "bob.wixsite.com-blog/hello/index.md" in (out / ".wixarchive-export.sha256").read_text()


def test_files_of_the_earlier_flat_layout_are_named_not_removed(db: Path,
                                                                tmp_path: Path) -> None:
    """A folder exported before page bundles has no manifest: its files are not provably the
    export's, so they stay, and the user is told that Hugo would publish both."""
    out = tmp_path / "content"
    old = out / "ann.wixsite.com-yoga" / "2024-05-01-breathing.md"
    old.parent.mkdir(parents=True)
    old.write_text("---\ntitle: old\n---\n")
    summary = export(db, out)
    assert summary["earlier_layout"] == 1 and old.is_file()
    assert "Note: 1 post is also in" in summary["stderr"] and "--flat" in summary["stderr"]


def test_a_users_own_file_in_a_posts_place_is_never_written_over(db: Path,
                                                                  tmp_path: Path) -> None:
    """An export into a folder of the user's (a Hugo site's content/) wrote over whatever was
    at a post's path: their own page bundle's index.md, their notes.md. A file no earlier
    export listed is kept, named, and the export exits 1 (its post is not in it); an earlier
    export of the same post, from a folder whose list is gone, is the export's still."""
    out = tmp_path / "content"
    theirs = out / BREATHING
    theirs.parent.mkdir(parents=True)
    theirs.write_text("---\ntitle: my own page\n---\nMine.\n", encoding="utf-8")
    result = wixarchive("export", "--format", "markdown", "--db", str(db), str(out), "--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["in_the_way"] == [BREATHING] and summary["posts"] == 1
    assert theirs.read_text(encoding="utf-8") == "---\ntitle: my own page\n---\nMine.\n"
    assert (f"Error: 1 file in the way, not written over (no earlier export wrote it): "
            f"{BREATHING}; their posts are not in the export") in result.stderr
    assert BREATHING not in listed(out)
    assert page(out, CAFE_PAGE)[0]["title"] == "Café crème"  # the other post is written

    notes = out / "ann.wixsite.com-yoga" / "2024-05-01-breathing.md"  # a flat post's place
    notes.write_text("my notes", encoding="utf-8")
    result = wixarchive("export", "--format", "markdown", "--flat", "--db", str(db), str(out))
    assert result.returncode == 1 and notes.read_text(encoding="utf-8") == "my notes"

    # The list deleted, the export's own files are still its own: written over when changed.
    theirs.unlink()
    export(db, out)
    (out / ".wixarchive-export.sha256").unlink()
    with Archive.open(db) as archive:
        fields = breathing()
        save(archive, f"{SITE}/post/breathing", fields.pop("markdown"),
             **{**fields, "title": "Breathing, again"})
    again = export(db, out)
    assert again["in_the_way"] == [] and page(out, BREATHING)[0]["title"] == "Breathing, again"


def hugo_raw_html_config() -> str:
    """The Hugo setting docs/datasette-and-exports.md gives for the raw HTML the export keeps."""
    text = (REPO / "docs" / "datasette-and-exports.md").read_text(encoding="utf-8")
    (config,) = re.findall(r"```toml\n(.*?)```", text, re.S)
    return config


def build_with_raw_html(site: Path, layout: str = "{{ .Content }}") -> None:
    """Build the Hugo site whose content/ the export wrote, set up as the docs say (raw HTML
    kept), each page laid out by `layout`; the build must succeed."""
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text(layout)
    (site / "hugo.toml").write_text('baseURL = "http://localhost/"\n'
                                    'disableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
                                    + hugo_raw_html_config())
    result = subprocess.run(["hugo", "--quiet", "--source", str(site)], capture_output=True,
                            text=True, timeout=HANG_GUARD)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_shows_superscripts_right_to_left_blocks_and_code_as_the_post(
        tmp_path: Path) -> None:
    """A Wix post's superscript, underline, Arabic paragraphs and a code block holding ```,
    extracted, exported and built by Hugo as docs/datasette-and-exports.md says: "x2" read
    "x2", the Arabic read left to right, and the code's ``` ended its block."""
    post = ('<html><head><meta name="generator" content="Wix.com Website Builder">'
            '<meta property="og:type" content="article"></head><body>'
            '<article data-hook="post"><h1 data-hook="post-title">Mixed</h1>'
            '<div data-hook="post-description"><p>x<sup>2</sup> is <u>not</u> 2x.</p>'
            "<p>مرحبا <strong>بالعالم</strong></p><p>Hello.</p>"
            "<pre>Fenced:\n```\nx = 1</pre><p>After.</p></div></article></body></html>")
    from crawler.extract import extract_article

    article = extract_article(post, f"{SITE}/post/mixed")
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/mixed", article.body_markdown, title="Mixed",
             published="2024-05-01T08:00:00Z", language="ar")
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site)
    html = (site / "public" / "ann.wixsite.com-yoga" / "mixed" / "index.html").read_text()
    assert "<p>x<sup>2</sup> is <u>not</u> 2x.</p>" in html
    # dir="auto": the browser takes the direction, and so the alignment, from the text.
    assert ('<div dir="auto" markdown="1">\n<p>مرحبا <strong>بالعالم</strong></p>\n</div>'
            in html)
    assert "<p>Hello.</p>" in html and "raw HTML omitted" not in html
    assert re.search(r"<code[^>]*>Fenced:\n```\nx = 1\n</code></pre>\s*<p>After.</p>", html)


# Archived Markdown that hides a tag from a CommonMark reading but not from Hugo's: Hugo's
# goldmark also reads tables, definition lists, footnotes and bare URLs (linkify), which end a
# code span (a definition, a fenced block) where CommonMark does not; and an autolink is a tag
# inside an HTML block.
HIDDEN_TAGS = {
    "table": "| a | b |\n|---|---|\n| `x | <img src=x onerror=pwn()> ` | c |\n",
    "table-shift": "| a | b |\n|---|---|\n| `a|b` `<img src=x onerror=pwn()>` |\n",
    "definition": "Intro.\n\n`a\n: <img src=x onerror=pwn()>`\n",
    "footnote": "See[^1].\n\n`a\n[^1]: <img src=x onerror=pwn()>`\n",
    "linkify": "Go https://x.example/` <img src=x onerror=pwn()> ` now\n",
    "autolink-in-div": '<div dir="auto" markdown="1">\n<a/onmouseover=pwn()/x=@y>\n\n</div>\n',
    "autolink-after-sup": "Para.\n\n<sup>\n<img/src=x/onerror=pwn()/x=@y>\n",
    # A fence in a definition ends with it: at a line less indented, or a closing fence
    # indented more than CommonMark's 3 spaces from the margin.
    "fence-in-definition": "Term\n: a\n  ```\n<img src=x onerror=pwn()>\n  ```\n",
    "fence-closed-in-definition": "Term\n: a\n  ```\n     ```\n  <img src=x onerror=pwn()>\n",
}


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_with_raw_html_on_builds_no_tag_a_hostile_post_hides(tmp_path: Path) -> None:
    """Hugo set up as docs/datasette-and-exports.md says (raw HTML kept) builds pages holding
    no element and no attribute but those of Markdown and the export's own tags, whatever an
    archived post's Markdown holds; inline code holding a tag still shows it as code."""
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        for slug, markdown in {**HIDDEN_TAGS, "code": "Use `<div>` here.\n"}.items():
            save(archive, f"{SITE}/post/{slug}", markdown, title=slug,
                 published="2024-05-01T08:00:00Z")
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site)
    import lxml.html

    pages = site / "public" / "ann.wixsite.com-yoga"
    for slug in HIDDEN_TAGS:
        html = (pages / slug / "index.html").read_text()
        body = lxml.html.fragment_fromstring(html, create_parent="body")
        elements = [el for el in body.iter() if isinstance(el.tag, str)]
        assert {el.tag for el in elements} <= {
            "body", "p", "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "dl", "dt",
            "dd", "div", "hr", "ol", "li", "sup", "a"}, (slug, html)
        assert not [(el.tag, name) for el in elements for name in el.attrib
                    if name.startswith("on")], (slug, html)
    code = (pages / "code" / "index.html").read_text()
    assert "<p>Use <code>&lt;div&gt;</code> here.</p>" in code


# Hugo shortcodes in an archived post, where a Wix post holds them (one about Hugo, or a hostile
# one): Hugo runs them before reading the Markdown, in code too, and an unknown one fails the
# whole build. Each: (Markdown, what the page must show).
SHORTCODES = {
    "unknown": ("Use {{< nosuch >}} here.", "Use {{< nosuch >}} here."),
    "param": ("Title: {{< param title >}}.", "Title: {{< param title >}}."),
    "markup": ("{{% md %}}*b*{{% /md %}}", "{{% md %}}b{{% /md %}}"),
    "fenced": ("Code:\n\n```go\n{{< nosuch >}}\n{{% md\n\n{{ .Title }}\n```\n\nAfter.",
               "Code: {{< nosuch >}} {{% md {{ .Title }} After."),
    "inline": ("Write `{{< nosuch >}}` or `{{%md%}}`.", "Write {{< nosuch >}} or {{%md%}}."),
    "link-text": ("[{{< nosuch >}}](https://example.com/)", "{{< nosuch >}}"),
    "unclosed": ("Start {{< nosuch and `{{%`", "Start {{< nosuch and {{%"),
}


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_shows_a_posts_shortcodes_as_text_and_runs_none(tmp_path: Path) -> None:
    """A post holding Hugo shortcodes (well-formed or not, in text, code, link text, an image's
    alt, its title, a video's URL) builds, with Hugo set up as docs/datasette-and-exports.md
    says, into a page showing them as the post did; none runs. The front matter keeps Jekyll's
    Liquid out too, a key Hugo ignores."""
    db = tmp_path / "blogs.db"
    title = "{{< nosuch >}} {{% md %}}"
    video = "https://video.example.com/{{%md%}}.mp4"
    with Archive.open(db) as archive:
        for slug, (markdown, _) in SHORTCODES.items():
            save(archive, f"{SITE}/post/{slug}", markdown, title=title,
                 published="2024-05-01T08:00:00Z")
        save(archive, f"{SITE}/post/image", "![{{< nosuch >}}](https://example.com/a.png)",
             title=title, published="2024-05-01T08:00:00Z",
             attachments=[{"url": video, "kind": "video", "content_type": "video/mp4",
                           "is_file": True}])
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site, "<h1>{{ .Title }}</h1><main>{{ .Content }}</main>")
    import lxml.html

    pages = site / "public" / "ann.wixsite.com-yoga"
    shown_by_slug = {**SHORTCODES, "image": ("", "Video: " + video.replace("{", "%7B"))}
    for slug, (_, shown) in shown_by_slug.items():
        html = lxml.html.fromstring((pages / slug / "index.html").read_text())
        assert html.findtext(".//h1") == title, slug
        text = html.find(".//main").text_content()
        assert " ".join(text.split()) == " ".join(shown.split()), (slug, text)
    fenced = lxml.html.fromstring((pages / "fenced" / "index.html").read_text())
    code = fenced.find(".//pre").text_content()
    assert code.rstrip("\n") == "{{< nosuch >}}\n{{% md\n\n{{ .Title }}"
    # An image's alt: the "{" written "&#123;", which CommonMark decodes; Hugo 0.111 (goldmark
    # 1.5) decodes no character reference in an alt, and shows it as written.
    image = lxml.html.fromstring((pages / "image" / "index.html").read_text())
    assert [img.get("alt") for img in image.iter("img")] == ["&#123;&#123;< nosuch >}}"]
    meta, markdown = page(site / "content", "ann.wixsite.com-yoga/2024-05-01-image/index.md")
    # Jekyll 4 runs no Liquid ({{ }}, {% %}) in the page, code included; Hugo built it.
    assert meta["render_with_liquid"] is False
    assert '<img src="https://example.com/a.png" alt="{{&lt; nosuch &gt;}}" />' in \
        MarkdownIt("commonmark").render(markdown)
    assert [unquote(a.get("href")) for a in image.iter("a")] == [video]


# What a post wrote, in its body_markdown (or, with none, its body_html only), and the words Hugo
# must show: each showed other text before (docs/reliability.md, "Web pages and exports").
SHOWN_AS_WRITTEN = {
    "escaped-lt": ("Use \\<b> for bold.", None, "Use <b> for bold."),
    "stray-backticks": ("One ` here.\n\nSome <b>bold</b>.\n\nOne ` there.", None,
                        "One ` here. Some <b>bold</b>. One ` there."),
    "code-link": ("Type `[x](javascript:alert(1))` to test.", None,
                  "Type [x](javascript:alert(1)) to test."),
    "quoted-code": ("> Said:\n>\n> ```\n> if (x) { y(); }\n> ```", None,
                    "Said: if (x) { y(); }"),
    "frame": ("", '<p>Intro.</p><iframe srcdoc="&lt;p&gt;Hi&lt;/p&gt;">Your browser '
              "<b>cannot</b> show frames</iframe><p>After.</p>", "Intro. After."),
    "rtl-list": ("", '<p>Intro.</p><ul><li dir="auto">שלום</li><li dir="auto">עולם</li></ul>',
                 "Intro. שלום עולם"),
}


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_shows_what_each_post_wrote(tmp_path: Path) -> None:
    """Hugo set up as docs/datasette-and-exports.md says shows each post's words as it wrote
    them: an escaped "<", backticks in two paragraphs, a javascript: link inside code, code in a
    quote, a frame's fallback, a Hebrew list (in its right-to-left block)."""
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        for slug, (markdown, body_html, _) in SHOWN_AS_WRITTEN.items():
            save(archive, f"{SITE}/post/{slug}", markdown, title=slug,
                 published="2024-05-01T08:00:00Z",
                 **({"body_html": body_html} if body_html else {}))
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site, "<h1>{{ .Title }}</h1><main>{{ .Content }}</main>")
    import lxml.html

    pages = site / "public" / "ann.wixsite.com-yoga"
    for slug, (_, _, words) in SHOWN_AS_WRITTEN.items():
        main = lxml.html.fromstring((pages / slug / "index.html").read_text()).find(".//main")
        assert main is not None, slug
        assert " ".join(main.text_content().split()) == words, (slug, lxml.html.tostring(main))
        assert not main.xpath(".//a"), slug  # none is a link
    code = lxml.html.fromstring((pages / "code-link" / "index.html").read_text())
    assert code.findtext(".//code") == "[x](javascript:alert(1))"
    quoted = lxml.html.fromstring((pages / "quoted-code" / "index.html").read_text())
    assert quoted.findtext(".//blockquote//pre/code").strip() == "if (x) { y(); }"
    rtl = lxml.html.fromstring((pages / "rtl-list" / "index.html").read_text())
    assert [li.text for li in rtl.xpath('.//div[@dir="auto"]/ul/li')] == ["שלום", "עולם"]


def published_titles(tmp_path: Path, db: Path, posts: dict[str, tuple[str, str]]
                     ) -> tuple[Path, list[str]]:
    """Posts (URL: title, published) archived, exported and built by Hugo: the Hugo site's
    folder and the titles of the pages Hugo published for the site, sorted."""
    with Archive.open(db) as archive:
        for url, (title, published) in posts.items():
            save(archive, url, f"{title}, the post.", title=title, published=published)
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site, "<h1>{{ .Title }}</h1>{{ .Content }}")
    public = site / "public" / "ann.wixsite.com-yoga"
    return site, sorted(re.search(r"<h1>(.*?)</h1>", p.read_text()).group(1)  # type: ignore[union-attr]
                        for p in public.glob("*/index.html"))


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_publishes_each_post_of_a_site_at_its_own_url(tmp_path: Path) -> None:
    """Posts of one site whose slugs agree as Hugo publishes them (one slug under two paths
    of the site, /post/ and /fr/post/; slugs differing only in case, which Hugo lowercases)
    each get a page of their own: until 2026-12-07 their front matter gave Hugo
    the same slug, and it wrote one page over the other without a word."""
    db = tmp_path / "blogs.db"
    posts = {f"{SITE}/post/breathing": ("Breathing", "2024-05-01T08:00:00Z"),
             f"{SITE}/fr/post/breathing": ("Respirer", "2024-06-01T08:00:00Z"),
             f"{SITE}/post/Calm": ("Calm, capitals", "2024-07-01T08:00:00Z"),
             f"{SITE}/post/calm": ("Calm, lower case", "2024-07-02T08:00:00Z")}
    site, titles = published_titles(tmp_path, db, posts)
    assert titles == sorted(title for title, _ in posts.values())
    slugs = {page(site / "content", p.relative_to(site / "content").as_posix())[0]["title"]:
             page(site / "content", p.relative_to(site / "content").as_posix())[0]["slug"]
             for p in (site / "content").rglob("index.md")}
    # The first post keeps its URL's slug, the later one its post id appended (as its folder).
    assert slugs == {"Breathing": "breathing", "Respirer": "breathing-2",
                     "Calm, capitals": "Calm", "Calm, lower case": "calm-4"}


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_publishes_a_hostile_sites_posts_inside_its_own_folder(tmp_path: Path) -> None:
    """A slug is the site's text: one decoding to `../../x`, `a/b`, `..`, `#` or `?` was
    given to Hugo as it was until 2026-12-07, which published the post over any page of the
    built site (another site's, the home page), inside another's folder, nowhere (`..`), or
    where no link reaches it (`#`). Each post now gets one page in its site's folder."""
    db = tmp_path / "blogs.db"
    hostile = ["..%2F..%2Findex", "..%2Fother-blog%2Fbreathing", "a%2Fb", "%2E%2E",
               "hash%23tag", "what%3Fnow", "100%25-calm", "ok", "Index", "index.html"]
    with Archive.open(db) as archive:
        for number, slug in enumerate(hostile):
            save(archive, f"{SITE}/post/{slug}", "Text.", title=f"Post {number}",
                 published=f"2024-05-{number + 1:02}T08:00:00Z")
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site, "<h1>{{ .Title }}</h1>")
    public = site / "public"
    pages = {p.relative_to(public).as_posix(): re.search(r"<h1>(.*?)</h1>", p.read_text())
             for p in public.rglob("index.html")}
    titled = {path: match.group(1) for path, match in pages.items() if match}
    assert sorted(titled.values()) == [f"Post {n}" for n in range(len(hostile))]
    for path in titled:  # each in the site's folder, one level down, a plain name
        folder, name, page_file = path.split("/")
        assert folder == "ann.wixsite.com-yoga" and page_file == "index.html", path
        assert name not in (".", "..") and not set(name) & set("#?%/\\"), path


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_names_each_posts_cover_as_a_published_file_for_social_cards(
        db: Path, tmp_path: Path) -> None:
    """The cover lines docs/datasette-and-exports.md gives a theme name each post's cover as
    the file Hugo published beside it, where Hugo's own Open Graph template names a file at
    the site's root that does not exist."""
    text = (REPO / "docs" / "datasette-and-exports.md").read_text(encoding="utf-8")
    (cover_lines,) = [block for block in re.findall(r"```go-html-template\n(.*?)```", text,
                                                    re.S) if "og:image" in block]
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site, "<head>" + cover_lines + '{{ template "_internal/opengraph.html" . }}'
                        "</head>")
    head = (site / "public" / "ann.wixsite.com-yoga" / "breathing" / "index.html").read_text()
    ours, *internal = re.findall(r'property="og:image" content="([^"]+)"', head)
    assert (site / "public" / urlsplit(ours).path.lstrip("/")).read_bytes() == BYTES[COVER]
    # Hugo's own template: an address at the site's root, where no file was published.
    assert internal and not any((site / "public" / urlsplit(url).path.lstrip("/")).exists()
                                for url in internal)


def test_a_link_to_a_posts_old_blog_address_points_at_its_file(tmp_path: Path) -> None:
    """A post written before Wix moved its blog links to the old address of another
    (/single-post/YYYY/MM/DD/<Slug>, which Wix redirects to /post/<slug>): the link points at
    that post's file, as one to its /post/ URL does (until 2026-12-07 it stayed the site's)."""
    db = tmp_path / "blogs.db"
    old = "https://ann.wixsite.com/yoga/single-post/2019/06/06/Morning-Flow"
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/morning-flow", "The flow.", title="Morning flow",
             published="2019-06-06T08:00:00Z")
        save(archive, f"{SITE}/post/evening", f"After [the morning flow]({old}), rest. "
             f"Not a post of ours: [other]({old.replace('ann.', 'bob.')}).",
             title="Evening", published="2019-06-07T08:00:00Z")
    out = tmp_path / "content"
    export(db, out)
    _, body = page(out, "ann.wixsite.com-yoga/2019-06-07-evening/index.md")
    assert sorted(links(body)) == [("link", "../2019-06-06-morning-flow/index.md"),
                                   ("link", old.replace("ann.", "bob."))]


def slugs_by_title(out: Path) -> dict[str, str]:
    found = {}
    for path in out.rglob("index.md"):
        meta, _ = page(out, path.relative_to(out).as_posix())
        found[meta["title"]] = meta["slug"]
    return found


def test_a_part_of_a_migration_gives_a_slug_the_whole_export_gave(tmp_path: Path) -> None:
    """A filtered export (--since, --changed-since: a migration in parts into one content
    folder) gives a post the slug the whole export gives it: until 2026-12-07 a translation
    at /fr/post/calm exported on its own took the plain slug `calm` the earlier part had
    given /post/calm, and Hugo published one over the other."""
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/calm", "Calm.", title="Calm", published="2024-05-01T08:00:00Z")
        save(archive, f"{SITE}/fr/post/calm", "Calme.", title="Calme",
             published="2024-06-01T08:00:00Z")
    export(db, tmp_path / "whole")
    whole = slugs_by_title(tmp_path / "whole")
    assert whole["Calm"] == "calm" and whole["Calme"] != "calm"
    export(db, tmp_path / "part", "--since", "2024-06")
    assert slugs_by_title(tmp_path / "part") == {"Calme": whole["Calme"]}


def test_a_post_found_later_never_takes_an_exported_posts_slug(tmp_path: Path) -> None:
    """A re-export after a crawl found an older post whose slug Hugo publishes as an exported
    one's (/post/Calm of 2023 beside /post/calm of 2024) leaves the exported post's slug, and
    so its published address, as it was: until 2026-12-07 the older post took `calm` and the
    exported one became calm-1."""
    db = tmp_path / "blogs.db"
    out = tmp_path / "content"
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/calm", "Calm.", title="Calm, lower case",
             published="2024-05-01T08:00:00Z")
    export(db, out)
    assert slugs_by_title(out) == {"Calm, lower case": "calm"}
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/Calm", "Calm.", title="Calm, capitals",
             published="2023-05-01T08:00:00Z")
    export(db, out)
    slugs = slugs_by_title(out)
    assert slugs["Calm, lower case"] == "calm"
    assert slugs["Calm, capitals"].lower() != "calm"


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_publishes_slugs_differing_in_what_it_drops_at_urls_of_their_own(
        tmp_path: Path) -> None:
    """Hugo drops from a slug what is not a letter, digit, mark or one of . _ # + ~ - @ (an
    emoji, an apostrophe, &): slugs differing only there were given to it as they were until
    2026-12-07, and it published spring-🌸 and spring-🌼 both at /spring-/, c'est-la-vie over
    cest-la-vie, one page over the other without a word."""
    db = tmp_path / "blogs.db"
    posts = {f"{SITE}/post/spring-🌸": ("Spring blossom", "2024-05-01T08:00:00Z"),
             f"{SITE}/post/spring-🌼": ("Spring daisy", "2024-05-02T08:00:00Z"),
             f"{SITE}/post/c'est-la-vie": ("Apostrophe", "2024-05-03T08:00:00Z"),
             f"{SITE}/post/cest-la-vie": ("No apostrophe", "2024-05-04T08:00:00Z"),
             f"{SITE}/post/tea-&-cake": ("Ampersand", "2024-05-05T08:00:00Z"),
             f"{SITE}/post/tea--cake": ("Two hyphens", "2024-05-06T08:00:00Z"),
             # Hugo makes a run of spaces one hyphen, none beside a hyphen: all at /jam-toast/.
             f"{SITE}/post/jam-toast": ("Jam toast", "2024-05-07T08:00:00Z"),
             f"{SITE}/post/jam - toast": ("Spaced hyphen", "2024-05-08T08:00:00Z"),
             f"{SITE}/post/jam  toast": ("Two spaces", "2024-05-09T08:00:00Z")}
    site, titles = published_titles(tmp_path, db, posts)
    assert titles == sorted(title for title, _ in posts.values())
    # The first stored keeps its URL's slug.
    slugs = slugs_by_title(site / "content")
    assert (slugs["Spring blossom"], slugs["Apostrophe"], slugs["Ampersand"]) == \
        ("spring-🌸", "c'est-la-vie", "tea-&-cake")


def test_a_link_to_a_post_a_filter_leaves_out_is_not_led_to_another_case_of_its_slug(
        tmp_path: Path) -> None:
    """A link to /post/calm, a post the filter leaves out, stays the site's URL, as the docs
    say of links to posts left out: until 2026-12-07 it was led to the file of /post/Calm, a
    post of the export whose slug differs only in case (its old-blog key, case-folded, agrees)."""
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/calm", "Lower.", title="Calm, lower case",
             published="2023-05-01T08:00:00Z")
        save(archive, f"{SITE}/post/Calm", "Capitals.", title="Calm, capitals",
             published="2024-05-01T08:00:00Z")
        save(archive, f"{SITE}/post/linking", f"See [it]({SITE}/post/calm).", title="Linking",
             published="2024-06-01T08:00:00Z")
    out = tmp_path / "content"
    export(db, out, "--since", "2024")
    _, body = page(out, "ann.wixsite.com-yoga/2024-06-01-linking/index.md")
    assert links(body) == [("link", f"{SITE}/post/calm")]


def jekyll_config() -> str:
    """The `_config.yml` docs/datasette-and-exports.md gives Jekyll users, as written there."""
    text = (REPO / "docs" / "datasette-and-exports.md").read_text(encoding="utf-8")
    (config,) = [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S)
                 if "collections:" in block and "relative_links" in block]
    return config


def docs_block(language: str, holding: str) -> str:
    """The one `language` code block of docs/datasette-and-exports.md holding `holding`."""
    text = (REPO / "docs" / "datasette-and-exports.md").read_text(encoding="utf-8")
    (block,) = [block for block in re.findall(rf"```{language}\n(.*?)```", text, re.S)
                if holding in block]
    return block


def jekyll_missing() -> str | None:
    """Why the Jekyll build cannot run here, or None."""
    if shutil.which("jekyll") is None:
        return "jekyll is not installed"
    plugin = subprocess.run(["ruby", "-e", 'require "jekyll-relative-links"'],
                            capture_output=True, timeout=HANG_GUARD)
    return "the jekyll-relative-links gem is not installed" if plugin.returncode else None


JEKYLL_MISSING = jekyll_missing()


@pytest.mark.skipif(JEKYLL_MISSING is not None, reason=str(JEKYLL_MISSING))
def test_jekyll_builds_the_export_as_a_collection_of_posts_with_their_media(
        db: Path, tmp_path: Path) -> None:
    """Exported into a collection with the documented `_config.yml`, Jekyll builds every post
    as a page with its date and title, lists them (`site.wix`), and each page's images, cover,
    video and links to other posts lead to files it published. An undated post has the build's
    time as its date (Jekyll's default): the layout the docs suggest shows none then. A post
    deleted from its site is built too (Jekyll skips only `published: false`, which would stop
    Hugo 0.135's build): the docs' list leaves it out, and their command deletes its folder
    (before 2026-12-07 the docs gave a filter no test built, and no way to drop the pages)."""
    site = tmp_path / "jekyll"
    with Archive.open(db) as archive:
        # Its text says "draft: true" on a line of its own: not its front matter's.
        save(archive, f"{SITE}/post/undated", "No date.\n\ndraft: true", title="Undated")
        save(archive, f"{SITE}/post/gone", "Deleted.", title="Gone",
             published="2022-02-02T10:00:00Z")
        archive.mark_deleted(f"{SITE}/post/gone", when="2024-06-01T00:00:00+00:00")
    export(db, site / "_wix")
    (site / "_config.yml").write_text(jekyll_config())
    (site / "_layouts").mkdir()
    (site / "_layouts" / "post.html").write_text(
        '<h1>{{ page.title | escape }}</h1>'
        '<time>{% if page.date != site.time %}{{ page.date | date: "%Y-%m-%d" }}{% endif %}'
        '</time>'
        '{% if page.cover_image %}<img src="{{ page.cover_image }}">{% endif %}{{ content }}')
    (site / "index.html").write_text("---\n---\n" + docs_block("liquid", "site.wix"))
    result = subprocess.run(["jekyll", "build", "--strict_front_matter", "--quiet",
                             "--source", str(site), "--destination", str(site / "_site")],
                            capture_output=True, text=True, timeout=HANG_GUARD,
                            env={**os.environ, "TZ": "UTC", "JEKYLL_ENV": "production"})
    assert result.returncode == 0, result.stdout + result.stderr
    public = site / "_site"
    listed_posts = dict((unquote(url), title) for url, title in
                        re.findall(r'<a href="([^"]+)">([^<]*)</a>',
                                   (public / "index.html").read_text(encoding="utf-8")))
    assert listed_posts == {
        "/ann.wixsite.com-yoga/2024-05-01-breathing/index.html": "Breathing",
        "/ann.wixsite.com-yoga/2023-01-15-café-crème/index.html": "Café crème",
        "/ann.wixsite.com-yoga/undated/index.html": "Undated"}
    # Built, not listed; the docs' command (run as given there) deletes its folder alone.
    gone = public / "ann.wixsite.com-yoga" / "2022-02-02-gone" / "index.html"
    assert "Deleted." in gone.read_text(encoding="utf-8")
    command = docs_block("sh", "draft: true").replace("my-site/_wix", shlex.quote(
        str(site / "_wix")))
    subprocess.run(["bash", "-c", command], check=True, timeout=HANG_GUARD)
    assert sorted(folder.name for folder in (site / "_wix" / "ann.wixsite.com-yoga").iterdir()
                  if folder.is_dir()) == ["2023-01-15-café-crème", "2024-05-01-breathing",
                                          "undated"]
    pages = {url: (public / url.lstrip("/")).read_text(encoding="utf-8") for url in listed_posts}
    assert "<time>2024-05-01</time>" in pages[
        "/ann.wixsite.com-yoga/2024-05-01-breathing/index.html"]
    assert "<time>2023-01-15</time>" in pages[
        "/ann.wixsite.com-yoga/2023-01-15-café-crème/index.html"]
    assert "<time></time>" in pages["/ann.wixsite.com-yoga/undated/index.html"]
    checked = set()
    for url, html in pages.items():
        for target in re.findall(r'(?:src|href)="([^"]+)"', html):
            if urlsplit(target).scheme:
                continue
            path = unquote(urljoin(url, target)).lstrip("/")
            assert (public / path).is_file(), (url, target)
            checked.add(Path(path).suffix)
    # The cover, images, the video, and links to the other post's page (not its .md).
    assert checked == {".png", ".jpg", ".mp4", ".html"}


PARTLY_DATED = {f"{SITE}/post/june": ("June", "2024-06"), f"{SITE}/post/year": ("Year", "2023"),
                f"{SITE}/post/day": ("Day", "2024-05-01T08:00:00Z")}
# The front matter of each: `date` one both generators read (a month or a year alone from its
# first day, as the WordPress export), and how much of it the page gave.
PARTLY_DATED_MATTER = {"June": ("2024-06-01", "month"), "Year": ("2023-01-01", "year"),
                       "Day": ("2024-05-01T08:00:00Z", None)}
# The day each built page shows, and its date_precision.
PARTLY_DATED_SHOWN = {"June": ("2024-06-01", "month"), "Year": ("2023-01-01", "year"),
                      "Day": ("2024-05-01", None)}


def _partly_dated_archive(db: Path) -> Path:
    with Archive.open(db) as archive:
        for url, (title, published) in PARTLY_DATED.items():
            save(archive, url, f"{title}, the post.", title=title, published=published)
    return db


def _days_shown(built_site: Path) -> dict[str, tuple[str, str | None]]:
    """Of each page a generator built of PARTLY_DATED (the layouts below), its title's day and
    date_precision."""
    shown = {}
    for built in (built_site / "ann.wixsite.com-yoga").glob("*/index.html"):
        title, day, precision = re.search(r"<h1>(.*?)</h1><time>(.*?)</time>(?:<p>(.*?)</p>)?",
                                          built.read_text()).groups()  # type: ignore[union-attr]
        shown[title] = (day, precision)
    return shown


def dates_written(content: Path) -> dict[str, tuple[str, str | None]]:
    dates = {}
    for path in content.rglob("index.md"):
        matter = page(content, path.relative_to(content).as_posix())[0]
        dates[matter["title"]] = (str(matter["date"]), matter.get("date_precision"))
    return dates


@pytest.mark.skipif(shutil.which("hugo") is None, reason="hugo is not installed")
def test_hugo_publishes_a_post_dated_by_its_month_or_year_alone(tmp_path: Path) -> None:
    """A meta date of a month or a year alone is archived as given ("2024-06", no day made
    up). Hugo publishes the post on the first day of that month or year (before 2026-12-07
    the front matter said "2024-06", which Hugo read as no date: 0001-01-01), and
    `date_precision` says how much of the date the page gave."""
    db = _partly_dated_archive(tmp_path / "blogs.db")
    site = tmp_path / "hugo"
    export(db, site / "content")
    build_with_raw_html(site, "<h1>{{ .Title }}</h1><time>{{ .Date.Format \"2006-01-02\" }}"
                              "</time>{{ with .Params.date_precision }}<p>{{ . }}</p>{{ end }}")
    assert _days_shown(site / "public") == PARTLY_DATED_SHOWN
    assert dates_written(site / "content") == PARTLY_DATED_MATTER


@pytest.mark.skipif(JEKYLL_MISSING is not None, reason=str(JEKYLL_MISSING))
def test_jekyll_builds_a_post_dated_by_its_month_or_year_alone(tmp_path: Path) -> None:
    """Before 2026-12-07 the front matter's `date: "2024-06"` stopped the whole Jekyll build:
    "Invalid date '2024-06': Document ... does not have a valid date in the YAML front
    matter"."""
    db = _partly_dated_archive(tmp_path / "blogs.db")
    site = tmp_path / "jekyll"
    export(db, site / "_wix")
    (site / "_config.yml").write_text(jekyll_config())
    (site / "_layouts").mkdir()
    (site / "_layouts" / "post.html").write_text(
        '<h1>{{ page.title }}</h1><time>{{ page.date | date: "%Y-%m-%d" }}</time>'
        '{% if page.date_precision %}<p>{{ page.date_precision }}</p>{% endif %}')
    result = subprocess.run(["jekyll", "build", "--strict_front_matter", "--quiet",
                             "--source", str(site), "--destination", str(site / "_site")],
                            capture_output=True, text=True, timeout=HANG_GUARD,
                            env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert _days_shown(site / "_site") == PARTLY_DATED_SHOWN


@pytest.mark.skipif(shutil.which("jekyll") is None, reason="jekyll is not installed")
def test_jekyll_posts_hold_every_post_of_a_flat_export_dated_by_its_month_or_year_alone(
        tmp_path: Path) -> None:
    """`--flat` names files as Jekyll's `_posts` wants them, <YYYY-MM-DD>-<slug>.md, but a post
    dated by its month or year alone was `june.md`, which Jekyll skips without a word: the
    June and Year posts were missing from the built site (until 2026-12-07). They are named
    by that month's or year's first day, their front matter `date`."""
    db = _partly_dated_archive(tmp_path / "blogs.db")
    site = tmp_path / "jekyll"
    export(db, site / "_posts", "--flat")
    (site / "_config.yml").write_text(
        'defaults:\n  - scope: {path: ""}\n    values: {layout: default}\n')
    (site / "_layouts").mkdir()
    (site / "_layouts" / "default.html").write_text(
        '<h1>{{ page.title }}</h1><time>{{ page.date | date: "%Y-%m-%d" }}</time>')
    names = sorted(path.name for path in (site / "_posts").rglob("*.md"))
    assert names == ["2023-01-01-year.md", "2024-05-01-day.md", "2024-06-01-june.md"]
    result = subprocess.run(["jekyll", "build", "--strict_front_matter", "--quiet",
                             "--source", str(site), "--destination", str(site / "_site")],
                            capture_output=True, text=True, timeout=HANG_GUARD,
                            env={**os.environ, "TZ": "UTC"})
    assert result.returncode == 0, result.stdout + result.stderr
    built = {re.search(r"<h1>(.*?)</h1>", path.read_text()).group(1)  # type: ignore[union-attr]
             for path in (site / "_site").rglob("*.html")}
    assert built == {"June", "Year", "Day"}


def test_a_flat_export_names_the_undated_posts_jekylls_posts_folder_skips(
        tmp_path: Path) -> None:
    """An undated post of a `--flat` export is `<slug>.md`, which Jekyll's `_posts` skips
    without a word: until 2026-12-07 the export said nothing either. It names each such file,
    and how to publish them (a collection); a bundles export, which a collection holds whole,
    names none."""
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        save(archive, f"{SITE}/post/dated", "Dated.", title="Dated", published="2024-05-01")
        for slug in ("menu", "about"):
            save(archive, f"{SITE}/post/{slug}", "Undated.", title=slug.title())
    flat = export(db, tmp_path / "_posts", "--flat")
    assert sorted(flat["undated_files"]) == ["ann.wixsite.com-yoga/about.md",
                                             "ann.wixsite.com-yoga/menu.md"]
    assert all((tmp_path / "_posts" / name).is_file() for name in flat["undated_files"])
    (note,) = [line for line in flat["stderr"].splitlines() if "without a date" in line]
    assert note.startswith("Note: 2 posts without a date, written as <site>/<slug>.md, which "
                           "Jekyll's _posts skips")
    assert "ann.wixsite.com-yoga/about.md" in note and "ann.wixsite.com-yoga/menu.md" in note
    assert "export without --flat into a collection" in note
    bundles = export(db, tmp_path / "_wix")
    assert bundles["undated_files"] == [] and "without a date" not in bundles["stderr"]
