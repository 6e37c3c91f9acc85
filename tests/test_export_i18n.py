"""Exports of a multilingual archive, run as a user runs them (a subprocess, a real archive
file): WordPress keeps every author's login, and Markdown front matter reads URLs decoded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from intl import JA_IRI, JA_TITLE, build_intl_archive
from lxml import etree
from outputs import wixarchive

from archive.export.wxr import NS
from archive.store import Archive
from crawler.extract import extract_article

# What WordPress's importer keeps of a login (sanitize_user, strict, after remove_accents).
WORDPRESS_LOGIN = re.compile(r"[A-Za-z0-9 _.@-]+")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_intl_archive(tmp_path_factory.mktemp("intl") / "intl.db")


def test_wxr_author_logins_are_ascii_unique_and_name_their_posts(db: Path,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "wordpress.xml"
    wixarchive("export", "--format", "wxr", str(out), "--db", str(db), check=True)
    channel = etree.parse(str(out)).getroot().find("channel")
    authors = {a.findtext("wp:author_display_name", namespaces=NS):
               a.findtext("wp:author_login", namespaces=NS)
               for a in channel.findall("wp:author", namespaces=NS)}
    assert set(authors) == {"山田太郎", "أحمد الخطيب", "Jürgen Weiß", "李小龙", "山田花子"}
    for name, login in authors.items():
        # The importer would keep it whole, so no post goes to another user.
        assert WORDPRESS_LOGIN.fullmatch(login), (name, login)
    assert authors["Jürgen Weiß"] == "jurgen-weiss"
    assert len(set(authors.values())) == len(authors)  # 山田太郎 and 山田花子 differ
    for item in channel.findall("item"):
        if item.findtext("wp:post_type", namespaces=NS) == "post":
            assert item.findtext("dc:creator", namespaces=NS) in authors.values()
    by_title = {item.findtext("title"): item.findtext("dc:creator", namespaces=NS)
                for item in channel.findall("item")}
    assert by_title[JA_TITLE] == authors["山田太郎"]


def test_markdown_front_matter_reads_both_urls_decoded(db: Path, tmp_path: Path) -> None:
    wixarchive("export", "--format", "markdown", str(tmp_path / "md"), "--db", str(db),
               check=True)
    files = [path for path in (tmp_path / "md").rglob("index.md")
             if path.parent.name.endswith("先週-東京に行きました")]
    assert len(files) == 1
    front = yaml.safe_load(files[0].read_text(encoding="utf-8").split("---")[1])
    assert front["original_url"] == front["canonical_url"] == JA_IRI


def test_right_to_left_blocks_keep_their_direction_in_every_export(tmp_path: Path) -> None:
    """The extractor marks an Arabic or Hebrew block dir="auto"; the exports' sanitizing kept
    nh3's default attributes only, so WordPress and JSON readers got it left to right."""
    body = ('<div data-rce-version="10.1"><div data-id="content-viewer">'
            '<p dir="auto"><span>لم يعد من السهل</span></p><ul><li><p>שלום עולם</p></li></ul>'
            '<p><span>Plain English.</span></p></div></div>')
    page = ('<html lang="ar"><head><meta property="og:type" content="article"><title>عنوان'
            '</title></head><body><article data-hook="post"><h1 data-hook="post-title">عنوان'
            f'</h1><div data-hook="post-description">{body}</div></article></body></html>')
    article = extract_article(page, "https://blog.example.com/post/rtl")
    assert '<p dir="auto">لم يعد من السهل</p>' in article.body_html
    db = tmp_path / "rtl.db"
    with Archive.open(db) as archive:
        archive.save_article(article)
    wixarchive("export", "--format", "wxr", str(tmp_path / "wp.xml"), "--db", str(db),
               check=True)
    content = etree.parse(str(tmp_path / "wp.xml")).getroot().findtext(
        "channel/item/content:encoded", namespaces=NS)
    wixarchive("export", "--format", "jsonl", str(tmp_path / "posts.jsonl"), "--db", str(db),
               check=True)
    record = json.loads((tmp_path / "posts.jsonl").read_text(encoding="utf-8"))
    for html in (content, record["body_html"]):
        assert '<p dir="auto">لم يعد من السهل</p>' in html
        assert '<li dir="auto">שלום עולם</li>' in html
        assert "<p>Plain English.</p>" in html


def test_a_right_to_left_list_keeps_its_direction_in_a_markdown_export(tmp_path: Path) -> None:
    """A post archived with its HTML only (another tool's archive): the Markdown export writes
    it with markdownify, which drops `dir`, so a Hebrew list or paragraph read left to right.
    Each right-to-left block, a list whole, is now in the <div> lines the extractor writes."""
    from markdown_it import MarkdownIt

    from crawler.extract.record import Article

    db = tmp_path / "rtl.db"
    with Archive.open(db) as archive:
        archive.save_article(Article(
            url="https://blog.example.com/post/rtl", title="שלום", body_text="x",
            body_html='<p dir="auto">שלום עולם</p><ul><li dir="auto">אחד</li>'
                      '<li dir="auto">שתיים<ul><li dir="auto">פנימי</li></ul></li></ul>'
                      '<p>Plain English.</p><ul><li>one</li></ul>',
            body_markdown="", published="2024-05-01T08:00:00Z"))
    wixarchive("export", "--format", "markdown", str(tmp_path / "md"), "--db", str(db),
               check=True)
    (page,) = (tmp_path / "md").rglob("index.md")
    html = MarkdownIt("commonmark").render(page.read_text(encoding="utf-8").split("---\n", 2)[2])
    assert html.startswith('<div dir="auto" markdown="1">\n<p>שלום עולם</p>\n</div>\n'
                           '<div dir="auto" markdown="1">\n<ul>\n<li>אחד</li>\n<li>שתיים\n<ul>\n'
                           "<li>פנימי</li>\n</ul>\n</li>\n</ul>\n</div>\n"
                           "<p>Plain English.</p>\n<ul>\n<li>one</li>\n</ul>\n"), html


def test_an_untitled_post_is_listed_in_the_html_export_by_its_address_as_read(
        tmp_path: Path) -> None:
    """A post without a title is named by its address: a Hebrew slug showed as
    %D7%91%D7%9C%D7%99-... in the list and as the heading, while the post's "was at" line read
    it in Hebrew (until 2026-12-07)."""
    from crawler.extract.record import Article

    db = tmp_path / "untitled.db"
    with Archive.open(db) as archive:
        archive.save_article(Article(
            url="https://blog.example.com/post/%D7%91%D7%9C%D7%99-%D7%9B%D7%95%D7%AA%D7%A8%D7%AA",
            title="", body_text="x", body_html="<p>x</p>", body_markdown="x",
            published="2024-05-01T08:00:00Z"))
    out = tmp_path / "blog.html"
    wixarchive("export", str(out), "--db", str(db), check=True)
    page = etree.parse(str(out), etree.HTMLParser()).getroot()
    read = "https://blog.example.com/post/בלי-כותרת"
    assert [link.text for link in page.findall(".//nav//li/a")] == [read]
    assert [heading.text for heading in page.findall(".//article/h2")] == [read]
