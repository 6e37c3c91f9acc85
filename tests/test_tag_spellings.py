"""One tag for every spelling `search --tag` takes for it (archive/search/names.py): the tags
table held a row per spelling its NOCASE told apart (ASCII letters only), so Çay and çay, or
STRASSE and straße, were two tags, two facet values, and two terms of a WordPress export."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from lxml import etree
from outputs import wixarchive

import wixarchive as wixarchive_api
from archive.export.wxr import NS
from archive.schema import SCHEMA_VERSION
from archive.search import SearchQuery, search
from archive.store import Archive
from crawler.extract.record import Article

SITE = "https://a.example/"
# slug -> (tags, categories), as each page spelled them
POSTS = {"tea": (["Çay", "STRASSE"], ["Ελλάδα"]),
         "chai": (["çay", "straße", "Strasse"], ["ΕΛΛΆΔΑ"]),  # straße and Strasse: one tag
         "yoga": (["Yoga"], ["Misc"]),
         "stretch": (["YOGA", "ÇAY"], ["misc"])}


def build(path: Path) -> Path:
    with Archive.open(path) as archive:
        archive.save_articles([
            Article(url=f"{SITE}post/{slug}", title=slug, body_text=f"{slug} text",
                    published="2024-05-01", tags=tags, categories=categories)
            for slug, (tags, categories) in POSTS.items()])
    return path


def names_and_links(path: Path) -> tuple[list[str], dict[str, list[str]]]:
    with sqlite3.connect(path) as conn:
        names = [name for (name,) in conn.execute("SELECT name FROM tags ORDER BY id")]
        links: dict[str, list[str]] = {}
        for title, name in conn.execute(
                "SELECT p.title, t.name FROM post_tags x JOIN posts p ON p.id = x.post_id "
                "JOIN tags t ON t.id = x.tag_id ORDER BY p.id, x.position"):
            links.setdefault(title, []).append(name)
    conn.close()
    return names, links


TAGGED = {"tea": ["Çay", "STRASSE"], "chai": ["Çay", "STRASSE"], "yoga": ["Yoga"],
          "stretch": ["Yoga", "Çay"]}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("tags") / "archive.db")


def test_every_spelling_of_a_tag_is_one_tag_as_search_tag_reads_it(db: Path) -> None:
    names, links = names_and_links(db)
    assert names == ["Çay", "STRASSE", "Yoga"]  # spelled as first archived
    assert links == TAGGED
    with sqlite3.connect(db) as conn:
        categories = [name for (name,) in conn.execute("SELECT name FROM categories")]
    conn.close()
    assert sorted(categories) == ["Misc", "Ελλάδα"]
    with Archive.open(db, readonly=True) as archive:
        by_tag = {name: sorted(hit.title for hit in search(archive, SearchQuery("", tag=name)))
                  for name in ("çay", "STRAẞE", "yoga")}
    assert by_tag == {"çay": ["chai", "stretch", "tea"], "STRAẞE": ["chai", "tea"],
                      "yoga": ["stretch", "yoga"]}


def test_exports_spell_each_tag_once(db: Path, tmp_path: Path) -> None:
    lines = wixarchive("export", "--db", str(db), "--format", "jsonl", "-",
                       check=True).stdout.splitlines()
    exported = {row["title"]: (row["tags"], row["categories"])
                for row in map(json.loads, lines)}
    assert {title: tags for title, (tags, _) in exported.items()} == TAGGED
    assert exported["chai"][1] == ["Ελλάδα"]

    out = tmp_path / "wordpress.xml"
    wixarchive("export", "--db", str(db), "--format", "wxr", str(out), check=True)
    channel = etree.parse(str(out)).getroot().find("channel")
    terms = [tag.findtext("wp:tag_name", namespaces=NS)
             for tag in channel.findall("wp:tag", namespaces=NS)]
    assert sorted(terms) == ["STRASSE", "Yoga", "Çay"]
    assert sorted(c.findtext("wp:cat_name", namespaces=NS)
                  for c in channel.findall("wp:category", namespaces=NS)) == ["Misc", "Ελλάδα"]
    chai = next(item for item in channel.findall("item") if item.findtext("title") == "chai")
    assert [c.text for c in chai.findall("category[@domain='post_tag']")] == ["Çay", "STRASSE"]

    wixarchive("export", "--db", str(db), "--format", "markdown", str(tmp_path / "md"),
               check=True)
    (page,) = [path for path in (tmp_path / "md").rglob("*.md") if "chai" in str(path)]
    front = yaml.safe_load(page.read_text(encoding="utf-8").split("---")[1])
    assert front["tags"] == ["Çay", "STRASSE"]


def test_a_post_read_through_the_api_or_show_spells_its_tags_as_the_exports(db: Path) -> None:
    with Archive.open(db, readonly=True) as archive:
        by_post = {post["title"]: post["tags"] for post in wixarchive_api.posts(archive)}
        assert by_post == TAGGED
        assert archive.post(f"{SITE}post/chai")["categories"] == ["Ελλάδα"]
    shown = wixarchive("show", f"{SITE}post/stretch", "--db", str(db), "--json", check=True)
    assert json.loads(shown.stdout)["tags"] == ["Yoga", "Çay"]


def test_an_archive_read_as_v22_left_it_spells_a_post_as_its_exports(tmp_path: Path) -> None:
    path = build(tmp_path / "archive.db")
    undo_v23(path)
    with Archive.open(path, readonly=True) as archive:
        assert archive.schema_version == 22
        assert {post["title"]: post["tags"] for post in wixarchive_api.posts(archive)} == TAGGED


def drop_name_keys(conn: sqlite3.Connection) -> None:
    """v23's key columns gone, as an archive of v22 or before has them (and so v25's indexes:
    posts_site_recorded would stop v21's undoing from dropping recorded_at), and v27's and
    v28's."""
    for index in ("posts_newest", "posts_site_recorded", "posts_recorded_newest",
                  "recovered_record"):
        conn.execute(f"DROP INDEX IF EXISTS {index}")
    for table in ("tags", "categories"):
        conn.execute(f"DROP INDEX {table}_key")
        conn.execute(f"ALTER TABLE {table} DROP COLUMN key")


def undo_v23(path: Path) -> None:
    """The archive as v22 wrote it: no key column, and a row for each spelling the ASCII-only
    NOCASE told apart, each post linked to its own."""
    with sqlite3.connect(path) as conn:
        drop_name_keys(conn)
        for slug, (tags, _) in POSTS.items():
            post_id = conn.execute("SELECT id FROM posts WHERE url = ?",
                                   (f"{SITE}post/{slug}",)).fetchone()[0]
            conn.execute("DELETE FROM post_tags WHERE post_id = ?", (post_id,))
            for position, name in enumerate(tags):
                conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
                conn.execute("INSERT INTO post_tags SELECT ?, id, ? FROM tags WHERE name = ?",
                             (post_id, position, name))
        conn.execute("PRAGMA user_version = 22")
    conn.close()


def test_the_upgrade_merges_the_spellings_of_a_tag_and_keeps_every_posts_tag(
        tmp_path: Path) -> None:
    path = build(tmp_path / "archive.db")
    undo_v23(path)
    names, links = names_and_links(path)
    assert names == ["Çay", "STRASSE", "Yoga", "çay", "straße"]  # NOCASE: Strasse, ÇAY
    assert links["chai"] == ["çay", "straße", "STRASSE"]
    with Archive.open(path) as archive:
        assert archive.schema_version == SCHEMA_VERSION
    names, links = names_and_links(path)
    assert names == ["Çay", "STRASSE", "Yoga"]
    assert links == TAGGED
    # New posts join the merged tags.
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=f"{SITE}post/more", title="more", body_text="more",
                                       tags=["çAY", "strasse"])])
    assert names_and_links(path)[0] == ["Çay", "STRASSE", "Yoga"]


def test_an_older_version_spells_its_tags_as_the_archive_does(tmp_path: Path) -> None:
    """`show --version`, wixarchive.post_version() and the article page's older version read
    the version's own record, which kept the page's spelling (chai's çay, straße, Strasse):
    they gave those while the post and `export --versions` gave the archive's Çay, STRASSE."""
    path = build(tmp_path / "archive.db")
    chai = f"{SITE}post/chai"
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=chai, title="chai", body_text="chai text, edited",
                                       published="2024-05-01", tags=["ÇAY"],
                                       categories=["ΕΛΛΆΔΑ"])])
        assert archive.post(chai)["version"] == 2
        old = wixarchive_api.post_version(archive, chai, 1)
        post_id = old["id"]
    assert (old["tags"], old["categories"]) == (["Çay", "STRASSE"], ["Ελλάδα"])
    shown = json.loads(wixarchive("show", chai, "--version", "1", "--db", str(path), "--json",
                                  check=True).stdout)
    assert shown["tags"] == ["Çay", "STRASSE"]
    exported = [json.loads(line) for line in wixarchive(
        "export", "--db", str(path), "--versions", "--format", "jsonl", "-",
        check=True).stdout.splitlines()]
    assert [row["tags"] for row in exported if row["title"] == "chai"] == [
        ["Çay", "STRASSE"], ["Çay"]]

    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette
    client = Client(make_datasette(path))
    try:
        page = client.get(f"/archive/-/post/{post_id}.json?version=1").json()
    finally:
        client.close()
    assert (page["post"]["tags"], page["post"]["categories"]) == (["Çay", "STRASSE"],
                                                                   ["Ελλάδα"])
