"""Exports of hostile archives: dangerous URL schemes never survive, file names never leave the
output folder, and the writers stream (lazily, well-formed) whatever the posts hold."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from hostile import JS_URLS, make_hostile_archive
from lxml import etree
from markdown_it import MarkdownIt

from archive.cli import main
from archive.export import jsonl, wxr
from archive.export.filenames import Folder, safe_name
from archive.sanitize import safe_url, sanitize_markdown, url_scheme
from archive.store import Archive
from crawler.extract.record import Article
from tests.processes import HANG_GUARD

SINK = "http://127.0.0.1:9"
KEPT_INLINE = r"</?(?:u|sup|sub|code)>"


# -- the shared URL helper ----------------------------------------------------------------------

@pytest.mark.parametrize("url", JS_URLS + [
    "JAVASCRIPT:x", "javascript\\:x", "  javascript:x", "java\x00script:x", "&#0000106avascript:x",
    "vbscript:x", "data:image/svg+xml,<svg onload=x>", "file:///etc/passwd",
])
def test_dangerous_schemes_are_seen_through_any_disguise(url: str) -> None:
    assert safe_url(url) is None, url_scheme(url)


@pytest.mark.parametrize("url", ["https://a.example/x?y=javascript:z", "HTTP://A.EXAMPLE/",
                                 "/relative/javascript:x", "#top", "mailto:a@b.example",
                                 "page.html", "tel:+331"])
def test_safe_and_relative_urls_pass(url: str) -> None:
    assert safe_url(url) == url


def _rendered_links(markdown: str) -> list[str]:
    parser = MarkdownIt("commonmark")
    parser.validateLink = lambda url: True
    found, stack = [], parser.parse(markdown)
    while stack:
        token = stack.pop()
        # The raw HTML an export keeps (archive.sanitize): tags no script can use.
        assert token.type != "html_block" or token.content.strip() in (
            '<div dir="auto" markdown="1">', "</div>"), token.content
        assert token.type != "html_inline" or re.fullmatch(KEPT_INLINE, token.content), \
            token.content
        found += [v for a in ("href", "src") if isinstance(v := token.attrGet(a), str)]
        stack.extend(token.children or [])
    return found


@pytest.mark.parametrize("markdown", [
    *(f"[x]({url}) ![y]({url}) [z][r]\n\n[r]: {url}" for url in JS_URLS),
    "<javascript:x> <a href='javascript:x'>a</a> <script>x</script> <img src=x onerror=x>",
    "- a\n  ```\nx\n<script>pwn()</script>",  # a fence closed by its list item, not by ```
    "`` ` `` <img src=x onerror=pwn()> `<b>`",
    "<!-- x --> <?php x ?> <![CDATA[x]]>",
    "[a](<javascript:x>) [b]( \n javascript:x) [c](java\tscript:x)",
])
def test_markdown_keeps_no_html_and_no_dangerous_link(markdown: str) -> None:
    cleaned = sanitize_markdown(markdown)
    for url in _rendered_links(cleaned):
        assert safe_url(url) is not None, (url, cleaned)
    assert sanitize_markdown(cleaned) == cleaned  # idempotent: exporting twice changes nothing


def test_markdown_leaves_ordinary_text_and_code_alone() -> None:
    text = ("# Title\n\nSee [the docs](https://a.example/x(1)) and <https://b.example/>.\n\n"
            "Use `div` or:\n\n```html\n<p>hi</p>\n```\n\n![cat](/img/cat.png \"A: cat\")\n")
    assert sanitize_markdown(text) == text


def test_inline_code_holding_a_tag_shows_the_same_code() -> None:
    """A code span holding a tag is written as <code> (a span's end is not where every
    renderer sees it), the code shown as it was, and exporting again changes nothing."""
    cleaned = sanitize_markdown("Use ` <a href=\"x\">*b*</a> | y `\nor `<br>`.")
    assert "`" not in cleaned
    assert MarkdownIt("commonmark").render(cleaned) == (
        '<p>Use <code>&lt;a href=&quot;x&quot;&gt;*b*&lt;/a&gt; | y</code>\n'
        "or <code>&lt;br&gt;</code>.</p>\n")
    assert sanitize_markdown(cleaned) == cleaned


def test_an_escaped_backtick_opens_no_code_span() -> None:
    """"\\`" is a backtick shown as it is, outside code: taken for a span's opening, the tag after
    it became <code>, shown as the text "<code>" since the backslash now escaped its "<". An
    escaped backslash escapes no backtick, and the rest of an escaped run may open a span."""
    for markdown, shown in [("x \\`<b>`", "x `&lt;b&gt;`"),
                            ("y \\\\`<i>`", "y \\<code>&lt;i&gt;</code>"),
                            ("z \\``<s>`", "z `<code>&lt;s&gt;</code>")]:
        cleaned = sanitize_markdown(markdown)
        assert MarkdownIt("commonmark").render(cleaned) == f"<p>{shown}</p>\n", cleaned
        assert sanitize_markdown(cleaned) == cleaned


def test_code_holding_a_hugo_shortcode_shows_the_same_code_and_opens_none() -> None:
    """Hugo runs a shortcode before reading the Markdown, in code too: a code span or fenced
    block holding "{{<" or "{{%" is written as <code> or one line of <pre><code>, its
    punctuation as character references, which shows the same code; exporting again changes
    nothing, and such a line with anything more is text."""
    code = "{{< nosuch >}}\n<b>{{% md %}}</b>\n\n  x {{ y }}"
    cleaned = sanitize_markdown(f"Use `{{{{< x >}}}}`:\n```go\n{code}\n```\nDone.\n")
    assert "{{" not in cleaned and "`" not in cleaned
    rendered = MarkdownIt("commonmark").render(cleaned)
    start, block, end = re.split(r"<pre><code>(.*)</code></pre>\n", rendered)
    assert (start, unescape(block), end) == (
        "<p>Use <code>{{&lt; x &gt;}}</code>:</p>\n", code, "<p>Done.</p>\n")
    assert sanitize_markdown(cleaned) == cleaned
    hostile = '<pre><code onclick="pwn()">x</code></pre>\n<pre><code><b>x</b></code></pre>\n'
    assert "<" not in sanitize_markdown(hostile).replace("</", "").replace("<code>", "")


def test_a_post_writing_the_kept_pre_line_itself_opens_no_shortcode() -> None:
    """The one-line <pre><code> written for a fenced block holding a shortcode is kept as a
    line in a post's text too, and was kept with whatever it held: a post whose text had the
    line `<pre><code>{{% pwn %}}</code></pre>` exported it as is, and Hugo ran the shortcode
    (and a "{:" in it was an attribute list). Kept now only with every punctuation mark a
    character reference, as the export writes it."""
    for line in ("<pre><code>{{% pwn %}}</code></pre>", "<pre><code>{{< pwn >}}</code></pre>",
                 "<pre><code>x</code></pre>{: onclick=pwn()}",
                 "<pre><code>{: onclick=pwn()}</code></pre>"):
        cleaned = sanitize_markdown(f"Text.\n\n{line}\n")
        assert "{" not in cleaned and "<pre>" not in cleaned, cleaned
    written = sanitize_markdown("```\n{{% x %}}\n```\n")
    assert written.strip().startswith("<pre><code>&#123;&#123;&#37;")
    assert sanitize_markdown(written) == written  # what the export writes is kept


# Tags hidden from a CommonMark reading that Hugo's goldmark reads as tags: its tables end a
# code span at a "|", linkify takes a backtick into a URL, a definition list or footnote starts
# on a line inside a span, and a definition's end ends a fenced block in it; and an autolink is
# a tag inside an HTML block (the kept <div> lines open one). tests/test_export_markdown.py
# builds them with Hugo.
@pytest.mark.parametrize("markdown", [
    "| a | b |\n|---|---|\n| `a|b` `<img src=x onerror=pwn()>` |\n",
    "Intro.\n\n`a\n: <img src=x onerror=pwn()>`\n",
    "See[^1].\n\n`a\n[^1]: <img src=x onerror=pwn()>`\n",
    "Go https://x.example/` <img src=x onerror=pwn()> ` now\n",
    '<div dir="auto" markdown="1">\n<a/onmouseover=pwn()/x=@y>\n\n</div>\n',
    "Para.\n\n<sup>\n<https://x.example/onmouseover=pwn()>\n",
    "Term\n: a\n  ```\n     ```\n  <img src=x onerror=pwn()>\n",
])
def test_markdown_keeps_no_tag_another_renderer_could_find(markdown: str) -> None:
    cleaned = sanitize_markdown(markdown)
    for tag in re.finditer(r"<(?=[A-Za-z/!?])[^>]*>?", cleaned):
        assert re.fullmatch(KEPT_INLINE, tag.group()), (tag.group(), cleaned)


def test_markdown_keeps_only_the_extractors_own_tags() -> None:
    """<u>, <sup>, <sub> (Markdown has no syntax for them) and a right-to-left block's <div>
    lines, written by crawler.extract.body, stay HTML; the same tags with anything more are
    text, wherever they stand."""
    kept = ('<div dir="auto" markdown="1">\n\nx<sup>2</sup>, H<sub>2</sub>O, <u>u</u>\n\n'
            "</div>\n")
    assert sanitize_markdown(kept) == kept
    hostile = ('<sup onclick="pwn()">x</sup> <u style="x">u</u> <div dir="auto" markdown="1">'
               '\n<div dir="auto" markdown="1" onclick="pwn()">\n\n</div><script>pwn()</script>'
               '\n\n<div dir="auto" markdown="1">\n<img src=x onerror=pwn()>\n')
    cleaned = sanitize_markdown(hostile)
    assert "onclick=" not in cleaned.replace("&lt;sup onclick=", "").replace(
        '&lt;div dir="auto" markdown="1" onclick=', "")
    rendered = lxml.html.fragment_fromstring(MarkdownIt("commonmark").render(cleaned),
                                             create_parent="body")
    assert {el.tag for el in rendered.iter()} <= {"body", "p", "sup", "u", "div"}
    assert {(el.tag, name) for el in rendered.iter() for name in el.attrib} <= \
        {("div", "dir"), ("div", "markdown")}



# Attribute lists set any attribute, on* included: Python-Markdown's attr_list (MkDocs) takes
# "{ onclick=... }" after a heading, paragraph, link or code, pandoc "{onclick=...}" after a
# heading, link, code, span or a fence's opening ```, kramdown "{: ...}".
ATTRIBUTE_LISTS = [
    "## Title {onclick=pwn()}\n",
    "[a](https://a.example/){onclick=pwn()} [b]{onmouseover=pwn()} `c`{onclick=pwn()}\n",
    "```{.x onclick=pwn()}\ncode\n```\n",
    "Para.\n{: onmouseover=pwn()}\n",
]


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
@pytest.mark.parametrize("markdown", ATTRIBUTE_LISTS)
def test_markdown_sets_no_attribute_through_an_attribute_list(markdown: str) -> None:
    cleaned = sanitize_markdown(markdown)
    html = subprocess.run(["pandoc", "-f", "markdown", "-t", "html"], input=cleaned,
                          capture_output=True, text=True, check=True,
                          timeout=HANG_GUARD).stdout
    body = lxml.html.fragment_fromstring(html, create_parent="body")
    assert not [(el.tag, name) for el in body.iter() if isinstance(el.tag, str)
                for name in el.attrib if name.startswith("on")], (cleaned, html)
    if not markdown.startswith("```"):  # in prose the braces still show
        assert "{" in body.text_content()
    assert sanitize_markdown(cleaned) == cleaned

# -- exports of hostile rows -----------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hostile.db"
    make_hostile_archive(path, SINK)
    # Put the site back to an http URL so --site and folders work; the raw post keeps its
    # javascript: URL, cover and canonical URL.
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE sites SET url = 'https://evil.wixsite.com/blog/'")
    return path


def _dangerous(text: str) -> list[str]:
    lowered = text.lower()
    return [s for s in ("javascript:", "vbscript:", "data:text", "<script", "onerror=",
                        "&#106;", "&#x6a;", "javascript&colon;") if s in lowered]


def test_jsonl_and_csv_carry_no_dangerous_url_or_markup(hostile_db: Path, tmp_path: Path) -> None:
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"posts.{fmt}"
        result = CliRunner().invoke(main, ["export", "--format", fmt, "--db", str(hostile_db),
                                           str(out)])
        assert result.exit_code == 0, result.output
        if fmt == "jsonl":
            for line in out.read_text(encoding="utf-8").splitlines():
                post = json.loads(line)
                for key in ("body_html", "cover_image", "canonical_url", "images"):
                    assert not _dangerous(json.dumps(post[key])), (key, post[key])
                # Markdown keeps a neutralized "#javascript:…" as text: judge it rendered.
                for url in _rendered_links(post["body_markdown"] or ""):
                    assert safe_url(url) is not None


def test_markdown_and_wxr_exports_carry_no_dangerous_url(hostile_db: Path,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "md"
    result = CliRunner().invoke(main, ["export", "--format", "markdown", "--db",
                                       str(hostile_db), str(folder)])
    assert result.exit_code == 0, result.output
    files = sorted(folder.rglob("*.md"))
    assert len(files) == 3
    for path in files:
        text = path.read_text(encoding="utf-8")
        body = text.split("\n---\n", 1)[1]
        for url in _rendered_links(body):
            assert safe_url(url) is not None, (path, url)
        import yaml

        front = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
        for key in ("cover_image", "original_url", "canonical_url"):
            assert key not in front or safe_url(front[key]) is not None, (path, key)
        assert all(safe_url(url) for url in front.get("images", []))
    out = tmp_path / "site.xml"
    result = CliRunner().invoke(main, ["export", "--format", "wxr", "--db", str(hostile_db),
                                       str(out)])
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out)).getroot()
    for item in root.iter("item"):
        html = item.findtext(f"{{{wxr.NS['content']}}}encoded") or ""
        assert not _dangerous(html), html[:300]
        assert safe_url(item.findtext("link")) is not None or item.findtext("link") == ""
        for url in item.iter(f"{{{wxr.NS['wp']}}}attachment_url"):
            assert safe_url(url.text) is not None


# -- file names -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "..", "../../etc/passwd", "/etc/passwd", "C:\\Windows\\x", "CON", "con.md", "NUL.txt",
    "com1", "LPT9", "COM\u00b9", "post. . .", "post   ", "．．／．．／x", "a\u202egpj.exe",
    "zero\u200bwidth", "x" * 1000, "é" * 300, "\x00\x01", "", "-.-", "aux .md",
])
def test_safe_name_is_one_portable_component(text: str) -> None:
    name = safe_name(text, "post")
    assert name and "/" not in name and "\\" not in name and name not in (".", "..")
    assert not name.endswith((".", " ")) and not name.startswith(".")
    assert len(name.encode("utf-8")) <= 200
    assert name.split(".")[0].strip().lower() not in {"con", "nul", "aux", "com1", "lpt9",
                                                      "com\u00b9"}
    assert all(ord(ch) >= 32 and ch not in "\u202e\u200b" for ch in name)


def test_folder_names_are_unique_case_insensitively_and_stay_inside(tmp_path: Path) -> None:
    root = tmp_path / "out"
    with Folder(root, by_site=False) as folder:
        paths = [folder.claim("site", stem, ".md", "7") for stem in
                 ("Post", "post", "POST", "post-7", "Cafe\u0301", "Caf\u00e9")]
        assert len({str(p).casefold() for p in paths}) == len(paths)
        # A symlink planted in the output folder is never written through, nor over: no
        # export wrote it (the export says so, and lacks that file).
        (root / "site").mkdir()
        outside = tmp_path / "outside.txt"
        outside.write_text("keep")
        os.symlink(outside, paths[0])
        assert not folder.write_text(paths[0], "new")
        assert outside.read_text() == "keep" and paths[0].is_symlink()
        assert folder.manifest.changes.in_the_way == ["site/Post.md"]
        # A site folder that is a symlink out of the output folder is refused.
        (root / "elsewhere").symlink_to(tmp_path)
        with pytest.raises(OSError, match="outside"):
            folder.write_text(folder.claim("elsewhere", "x", ".md", "1"), "x")


@pytest.mark.parametrize("layout", [[], ["--flat"]], ids=["bundles", "flat"])
def test_hostile_slugs_export_inside_the_folder(tmp_path: Path, layout: list[str]) -> None:
    from archive.store import Archive
    from crawler.extract.record import Article

    db = tmp_path / "slugs.db"
    slugs = ["..", "%2E%2E%2F%2E%2E%2Fescape", "%2Fetc%2Fpasswd", "CON", "nul", "a%00b",
             "%EF%BC%8E%EF%BC%8E%EF%BC%8F", "x" * 300, "Same", "same", "SAME"]
    with Archive.open(db) as archive:
        for slug in slugs:
            archive.save_article(Article(url=f"https://a.example/post/{slug}", title=slug,
                                         body_text="t", body_html="<p>t</p>"))
    out = tmp_path / "deep" / "out"
    out.parent.mkdir()
    result = CliRunner().invoke(main, ["export", "--format", "markdown", "--db", str(db),
                                       str(out), *layout])
    assert result.exit_code == 0, result.output
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix == ".md"]
    assert len(files) == len(slugs)
    assert all(p.resolve().is_relative_to(out.resolve()) for p in files)
    # Each post's own name: its file (flat), or its bundle's folder.
    assert len({(p.name if layout else p.parent.name).casefold() for p in files}) == len(slugs)


# -- streaming --------------------------------------------------------------------------------

def _post(n: int, body: str = "<p>Body.</p>") -> dict[str, Any]:
    return {"id": n, "url": f"https://a.example/post/p{n}", "title": f"Post {n}",
            "author": "Ann", "published": "2024-01-01T00:00:00Z", "tags": [f"t{n % 3}"],
            "categories": ["c"], "body_html": body, "body_markdown": "Body.",
            "images": [f"https://static.wixstatic.com/media/{n}.jpg"], "cover_image": None}


class Guarded:
    """An iterator of posts that fails if more than `ahead` posts are taken before the output
    shows the earlier ones: a writer that materializes its input trips it."""

    def __init__(self, total: int, out: io.BytesIO | io.StringIO, ahead: int = 2) -> None:
        self.total, self.out, self.ahead, self.taken = total, out, ahead, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for n in range(1, self.total + 1):
            written = self.out.getvalue()
            shown = written.count(b"<wp:post_type><![CDATA[post]]>" if isinstance(
                written, bytes) else '"url": ')
            assert self.taken - shown <= self.ahead, f"{self.taken} taken, {shown} written"
            self.taken += 1
            yield _post(n)


def test_wxr_and_jsonl_writers_consume_posts_lazily() -> None:
    binary = io.BytesIO()
    head = wxr.collect_head(_post(n) for n in range(1, 501))
    assert wxr.write(iter(Guarded(500, binary)), binary, sites=[], head=head) == (500, 500, 0, 0, 0)
    text = io.StringIO()
    assert jsonl.write(iter(Guarded(500, text)), text) == 500


def test_wxr_stays_well_formed_with_cdata_ends_and_invalid_characters() -> None:
    bodies = ["<p>a ]]> b ]]]]> c]]></p>", "<p>]]></p>", "<p>x\x00\x01\x0b\x1f\ufffe y</p>",
              "<p>\ud800 lone surrogate</p>", "<p>emoji 😀 and \u2028 separator</p>"]
    posts = [_post(n, body) for n, body in enumerate(bodies, start=1)]
    posts[0]["title"] = "T ]]> \x00 <x>"
    posts[1]["tags"] = ["a]]>b", "\x07bell"]
    out = io.BytesIO()
    wxr.write(posts, out, sites=[], head=wxr.collect_head(posts))
    root = etree.fromstring(out.getvalue())  # lxml raises on anything malformed
    items = [i for i in root.iter("item")
             if i.findtext(f"{{{wxr.NS['wp']}}}post_type") == "post"]
    contents = [i.findtext(f"{{{wxr.NS['content']}}}encoded") for i in items]
    assert "a ]]&gt; b ]]]]&gt; c]]&gt;" in contents[0]  # the text survives the CDATA split
    assert "x y" in contents[2] and "😀" in contents[4]
    assert items[0].findtext("title") == "T ]]&gt;  &lt;x&gt;"  # as WordPress shows text
    assert {c.text for c in items[1].iter("category")} >= {"a]]>b", "bell"}


# -- output errors ------------------------------------------------------------------------------

def _export(db: Path, fmt: str, out: str | Path) -> Any:
    return CliRunner().invoke(main, ["export", "--format", fmt, "--db", str(db), str(out)])


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="needs Linux's /dev/full")
def test_a_full_disk_is_one_line_and_a_device_is_never_replaced(hostile_db: Path) -> None:
    for fmt in ("wxr", "jsonl", "csv"):
        result = _export(hostile_db, fmt, "/dev/full")
        assert result.exit_code == 1, result.output
        assert result.output.strip().splitlines() == [
            "Error: cannot write /dev/full: No space left on device"]
        assert Path("/dev/full").is_char_device()  # written to, not renamed over


def test_export_through_a_symlink_writes_its_target(hostile_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.jsonl"
    target.write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert _export(hostile_db, "jsonl", link).exit_code == 0
    assert link.is_symlink() and len(target.read_text().splitlines()) == 3


def test_a_markdown_folder_outside_through_a_symlink_is_one_line(hostile_db: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "md"
    out.mkdir()
    (out / "evil.wixsite.com-blog").symlink_to(tmp_path)  # a site folder planted as a link
    result = _export(hostile_db, "markdown", out)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: cannot write to {out}: ")
    assert "outside" in lines[0] and not list(tmp_path.glob("*.md"))


@pytest.mark.parametrize("text", [
    " x ".join("`" * k for k in range(1, 700)),  # distinct unmatched backtick runs
    "<a" * 100_000, "a ` " * 100_000, "[a](" * 100_000, "```\n<b>\n" * 40_000,
])
def test_markdown_sanitizing_is_linear_on_pathological_text(text: str) -> None:
    import time

    started = time.process_time()
    cleaned = sanitize_markdown(text)
    # A bound against quadratic behaviour (38 s before the fix), not a speed figure.
    assert time.process_time() - started < 10
    assert "<a" not in cleaned and "<b>" not in cleaned


def test_a_wxr_title_and_excerpt_are_text_to_wordpress(tmp_path: Path) -> None:
    """WordPress reads a post's title and excerpt as HTML (the_title, the_excerpt) and keeps
    them as imported for the administrator who imports (no kses): a Wix post whose title or
    description was the words `<img src=x onerror=pwn()>` ran its script in every page of the
    WordPress site listing it. Written as HTML text now, they show the same words."""
    title, description = "Use <img src=x onerror=pwn()> & more", "<script>pwn()</script> x"
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_article(Article(url="https://a.example/post/p", title=title,
                                     description=description, body_text="Body.",
                                     body_html="<p>Body.</p>"))
    result = CliRunner().invoke(main, ["export", "--format", "wxr", "--db", str(db),
                                       str(tmp_path / "wp.xml")])
    assert result.exit_code == 0, result.output
    (item,) = etree.parse(str(tmp_path / "wp.xml")).getroot().iter("item")
    # As WordPress's importer reads them (XML text), then shows them (HTML).
    for imported, shown in ((item.findtext("title"), title),
                            (item.findtext(f"{{{wxr.NS['excerpt']}}}encoded"), description)):
        assert all(isinstance(part, str) for part in lxml.html.fragments_fromstring(
            imported)), imported
        assert unescape(imported) == shown


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
def test_front_matter_runs_no_script_in_pandoc_and_keeps_plain_titles(tmp_path: Path) -> None:
    """`pandoc -s` reads each front matter value as Markdown, and Jekyll themes print
    `{{ page.title }}` raw: a post titled `<script>…</script>`, or with a javascript: link
    in its description, ran in the page pandoc made of the export. Ordinary titles with
    brackets or a `<` keep their words exactly."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url="https://a.example/post/hostile", title="<script>pwn()</script>",
                    author="<img src=x onerror=pwn()>", description="[see](javascript:pwn())",
                    tags=["<b onclick=pwn()>t</b>", "[t]{onclick=pwn()}"], body_text="Body.",
                    body_html="<p>Body.</p>"),
            Article(url="https://a.example/post/plain", title="{{< x >}} [Video] 3 < 5 & more",
                    author="Ann O'Neil", description="A *short* note", tags=["C++"],
                    body_text="Body.", body_html="<p>Body.</p>"),
        ])
    out = tmp_path / "md"
    result = CliRunner().invoke(main, ["export", "--format", "markdown", "--db", str(db),
                                       str(out)])
    assert result.exit_code == 0, result.output
    documents = {path.parent.name: path for path in out.rglob("*.md")}
    hostile = next(path for name, path in documents.items() if "hostile" in name)
    html = subprocess.run(["pandoc", "-s", "-f", "markdown", "-t", "html", str(hostile)],
                          capture_output=True, text=True, check=True, timeout=HANG_GUARD).stdout
    page = lxml.html.document_fromstring(html)
    assert not page.xpath("//script | //img | //b"), html
    assert not [el for el in page.iter() if isinstance(el.tag, str)
                for name, value in el.attrib.items()
                if name.startswith("on") or url_scheme(value) == "javascript"], html
    assert "pwn()" in page.text_content()  # the words still show
    plain = next(path for name, path in documents.items() if "plain" in name)
    text = plain.read_text(encoding="utf-8")
    assert 'title: "{{< x >}} [Video] 3 < 5 & more"' in text
    assert 'author: "Ann O\'Neil"' in text and 'description: "A *short* note"' in text
    assert 'tags: ["C++"]' in text


def test_front_matter_gives_a_language_only_as_a_code(tmp_path: Path) -> None:
    """A post's language is its page's `lang` attribute, any text, and went into the front
    matter as it was, unlike every other value: a Jekyll theme printing
    `<html lang="{{ page.language }}">` raw got an attribute of the archived page's choosing.
    Now a value that is no language code is left out; a code is kept as it is."""
    db = tmp_path / "archive.db"
    hostile = ['en" onmouseover="pwn()', "<script>pwn()</script>", "en\n---\ntitle: x"]
    with Archive.open(db) as archive:
        archive.save_articles([
            *(Article(url=f"https://a.example/post/hostile-{n}", title=f"hostile {n}",
                      language=language, body_text="Body.", body_html="<p>Body.</p>")
              for n, language in enumerate(hostile)),
            Article(url="https://a.example/post/plain", title="plain", language="pt-BR",
                    body_text="Body.", body_html="<p>Body.</p>")])
    out = tmp_path / "md"
    result = CliRunner().invoke(main, ["export", "--format", "markdown", "--db", str(db),
                                       str(out)])
    assert result.exit_code == 0, result.output
    languages = {}
    for path in out.rglob("*.md"):
        head = path.read_text(encoding="utf-8").split("---\n")[1]
        (title,) = [line for line in head.splitlines() if line.startswith("title:")]
        languages[title] = [line for line in head.splitlines() if line.startswith("language:")]
    assert languages == {'title: "hostile 0"': [], 'title: "hostile 1"': [],
                         'title: "hostile 2"': [], 'title: "plain"': ['language: "pt-BR"']}
