"""The commands for an owner whose slugs and titles are not Latin, run as a user runs them (a
subprocess, on a real archive file, a real local site): URLs read decoded in text output and
are URIs in JSON and CSV, a URL typed with its slug decoded is fetched and found, CSV can carry
a byte-order mark for Excel, and a CJK title is underlined to its displayed width."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from intl import DE_URL, JA_IRI, JA_TITLE, JA_URL, build_intl_archive
from outputs import wixarchive

from crawler.sample_site import SampleBlog, serve_blog


def ok(*args: str) -> str:
    return wixarchive(*args, check=True).stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_intl_archive(tmp_path_factory.mktemp("intl") / "intl.db")


def test_text_output_shows_a_non_latin_slug_decoded(db: Path) -> None:
    found = ok("search", "喫茶店", "--db", str(db)).splitlines()
    assert f"   {JA_IRI}" in found and JA_URL not in "\n".join(found)
    shown = ok("show", JA_URL, "--db", str(db)).splitlines()
    assert f"URL: {JA_IRI}" in shown
    # The URL as printed finds the post again.
    assert ok("show", JA_IRI, "--db", str(db)).splitlines() == shown


def test_json_and_csv_give_every_url_percent_encoded(db: Path) -> None:
    shown = json.loads(ok("show", JA_IRI, "--json", "--db", str(db)))
    # Stored decoded (as the page wrote it), given as a URI like the post's own URL.
    assert shown["url"] == JA_URL and shown["canonical_url"] == JA_URL
    hit = json.loads(ok("search", "喫茶店", "--json", "--db", str(db)))[0]
    assert hit["url"] == JA_URL
    row = next(csv.DictReader(io.StringIO(ok("search", "喫茶店", "--csv", "--db", str(db)))))
    assert row["url"] == JA_URL
    exported = [json.loads(line) for line in
                ok("export", "--format", "jsonl", "-", "--db", str(db)).splitlines()]
    ja = next(post for post in exported if post["title"] == JA_TITLE)
    assert ja["url"] == ja["canonical_url"] == JA_URL
    rows = list(csv.DictReader(io.StringIO(ok("export", "--format", "csv", "-", "--db", str(db)))))
    assert {r["canonical_url"] for r in rows if r["title"] == JA_TITLE} == {JA_URL}
    for post in exported:
        assert post["url"].isascii() and (post["canonical_url"] or "").isascii()


def test_extract_fetches_a_url_typed_with_its_slug_decoded(tmp_path: Path) -> None:
    blog = SampleBlog(seed=1, post_count=40, unicode_slugs=True)
    post = next(p for p in blog.posts if not p.url_path.isascii())
    with serve_blog(blog) as server:
        typed = server.url.rstrip("/") + post.url_path  # e.g. /post/café-mornings-…
        result = wixarchive("extract", typed)
        as_json = json.loads(ok("extract", typed, "--json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == post.title
    assert f"URL: {typed}" in result.stdout.splitlines()  # read decoded
    assert as_json["url"] == server.url.rstrip("/") + quote(post.url_path)  # a URI in JSON


def test_csv_takes_a_byte_order_mark_for_excel_only_when_asked(db: Path, tmp_path: Path) -> None:
    plain = ok("search", "喫茶店", "--csv", "--db", str(db))
    assert plain.startswith("id,")  # scripts reading the default see no change
    marked = ok("search", "喫茶店", "--csv", "--bom", "--db", str(db))
    assert marked == "\ufeff" + plain
    out = tmp_path / "posts.csv"
    ok("export", "--format", "csv", "--bom", str(out), "--db", str(db))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,") and "Jürgen Weiß".encode() in data
    ok("export", "--format", "csv", str(out), "--db", str(db))
    assert out.read_bytes() == data[3:]
    for args in (["search", "喫茶店", "--bom"], ["export", "--format", "jsonl", "--bom", "-"]):
        refused = wixarchive(*args, "--db", str(db))
        assert refused.returncode == 1 and refused.stderr.startswith("Error: --bom is for")
        assert "Traceback" not in refused.stderr


def test_show_underlines_a_cjk_title_to_its_displayed_width(db: Path) -> None:
    title, underline = ok("show", JA_URL, "--db", str(db)).splitlines()[:2]
    assert title == JA_TITLE
    assert underline == "=" * 2 * len(JA_TITLE)  # each character takes two columns
    title, underline = ok("show", DE_URL, "--db", str(db)).splitlines()[:2]
    assert (title, underline) == ("Über Straßen", "=" * 12)
