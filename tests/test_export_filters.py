"""`wixarchive export --lang/--tag/--category/--author/--since`: search's filters, same meanings,
for every format (wacz: tests/test_wacz.py, which has captures), run as a user runs the command
(a subprocess, on a real archive file) and through `wixarchive.export()`, the one
implementation."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from lxml import etree
from outputs import next_second, wixarchive
from test_search_indic import undo_v22

import wixarchive as api
from archive import schema
from archive.export.wxr import NS
from archive.search import SearchError
from archive.store import Archive
from crawler.extract.record import Article

GARDEN = "http://127.0.0.1:8766/"
KITCHEN = "http://127.0.0.1:8767/"
# url -> (language, tags, categories, author, published)
POSTS: dict[str, tuple[str | None, list[str], list[str], str, str | None]] = {
    f"{GARDEN}post/printemps": ("fr", ["Jardin", "Été"], ["Saisons"], "Zoë Martin",
                                "2023-04-01T08:00:00Z"),
    f"{GARDEN}post/spring": ("en-GB", ["garden"], ["Seasons"], "Tom O’Leary",
                             "2024-03-10T08:00:00Z"),
    f"{GARDEN}post/izmir": ("tr", ["İzmir", "KAYGI"], ["Seyahat"], "Ayşe Yılmaz",
                            "2024-07-01T08:00:00Z"),
    f"{KITCHEN}post/tarte": ("fr-CA", ["Été", "Straße"], ["Recettes"], "José Núñez",
                             "2024-06-01T08:00:00Z"),
    f"{KITCHEN}post/undated": ("fr", ["Jardin"], ["Recettes"], "Zoë Martin", None),
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filters") / "archive.db"
    with Archive.open(path) as archive:
        for url, (lang, tags, categories, author, published) in POSTS.items():
            archive.save_article(Article(
                url=url, title=url.rsplit("/", 1)[1], author=author, published=published,
                language=lang, tags=tags, categories=categories, body_text="Some text.",
                body_html="<p>Some text.</p>", body_markdown="Some text."))
        # A second version of one post: --versions writes both.
        archive.save_article(Article(
            url=f"{GARDEN}post/spring", title="spring, revised", author="Tom O’Leary",
            published="2024-03-10T08:00:00Z", language="en-GB", tags=["garden"],
            categories=["Seasons"], body_text="Other text.", body_html="<p>Other text.</p>",
            body_markdown="Other text."))
    return path


def slugs(urls: Any) -> list[str]:
    return sorted(url.rsplit("/", 1)[1] for url in urls)


def export_jsonl(db: Path, *options: str) -> tuple[list[str], dict[str, Any]]:
    result = wixarchive("export", "--db", str(db), "--format", "jsonl", "--json", *options, "-",
                        check=True)
    return (slugs(json.loads(line)["url"] for line in result.stdout.splitlines()),
            json.loads(result.stderr.splitlines()[-1]))


@pytest.mark.parametrize(("options", "expected", "applied"), [
    (["--lang", "fr"], ["printemps", "tarte", "undated"], {"lang": "fr"}),  # fr-CA too
    (["--lang", "French"], ["printemps", "tarte", "undated"], {"lang": "fr"}),
    (["--lang", "EN"], ["spring"], {"lang": "en"}),
    (["--lang", "fr-ca"], ["tarte"], {"lang": "fr-ca"}),
    (["--lang", "fr_CA"], [], {"lang": "fr_ca"}),  # as search reads it: no post's code
    (["--tag", "été"], ["printemps", "tarte"], {"tag": ["été"]}),
    (["--tag", "izmir", "--tag", "kaygı"], ["izmir"], {"tag": ["izmir", "kaygı"]}),
    (["--tag", "STRASSE"], ["tarte"], {"tag": ["STRASSE"]}),
    (["--tag", "ete"], [], {"tag": ["ete"]}),  # accents kept, as search's --tag
    (["--category", "recettes"], ["tarte", "undated"], {"category": "recettes"}),
    (["--author", "zoe"], ["printemps", "undated"], {"author": ["zoe"]}),
    (["--author", "o'leary", "--author", "núñez"], ["spring", "tarte"],
     {"author": ["o'leary", "núñez"]}),
    (["--since", "2024-06"], ["izmir", "tarte"], {"since": "2024-06"}),  # undated left out
    (["--lang", "fr", "--tag", "Été", "--since", "2024", "--site", "127.0.0.1:8767"], ["tarte"],
     {"lang": "fr", "tag": ["Été"], "since": "2024"}),
    (["--author", "zoe", "--category", "saisons", "--tag", "jardin"], ["printemps"],
     {"author": ["zoe"], "category": "saisons", "tag": ["jardin"]}),
])
def test_each_filter_and_their_combinations_choose_as_search_does(
        db: Path, options: list[str], expected: list[str], applied: dict[str, Any]) -> None:
    exported, summary = export_jsonl(db, *options)
    assert exported == expected
    assert summary["filters"] == applied
    assert summary["posts"] == len(expected)
    # The posts search lists with the same options.
    found = wixarchive("search", "--db", str(db), "--json", "--limit", "50", *options,
                       check=True)
    assert slugs(hit["url"] for hit in json.loads(found.stdout)) == expected


def test_every_format_takes_the_filters(db: Path, tmp_path: Path) -> None:
    wanted = ["--lang", "fr", "--since", "2024"]
    out = tmp_path / "fr.csv"
    wixarchive("export", "--db", str(db), *wanted, str(out), check=True)
    assert slugs(row["url"] for row in csv.DictReader(io.StringIO(out.read_text()))) == ["tarte"]

    out = tmp_path / "fr.xml"
    done = wixarchive("export", "--db", str(db), *wanted, str(out), check=True)
    assert "Exported 1 post matching --lang fr --since 2024" in done.stdout
    channel = etree.parse(str(out)).getroot()[0]
    assert slugs(item.findtext("link") for item in channel.iter("item")) == ["tarte"]
    # The head lists the terms of the posts exported only.
    assert sorted(t.text for t in channel.iter(f"{{{NS['wp']}}}tag_name")) == ["Straße", "Été"]

    folder = tmp_path / "md"
    wixarchive("export", "--db", str(db), "--format", "markdown", *wanted, str(folder),
               check=True)
    assert [p.parent.name for p in folder.rglob("index.md")] == ["2024-06-01-tarte"]

    out = tmp_path / "versions.jsonl"
    done = wixarchive("export", "--db", str(db), "--versions", "--author", "leary", "--json",
                      str(out), check=True)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(row["title"], row["version"]) for row in rows] == [("spring", 1),
                                                                 ("spring, revised", 2)]
    summary = json.loads(done.stdout)
    assert (summary["posts"], summary["versions"], summary["filters"]) == (
        1, 2, {"author": ["leary"]})


def test_a_filtered_markdown_export_removes_no_file_of_the_posts_it_leaves_out(
        db: Path, tmp_path: Path) -> None:
    """A migration in parts into one folder: the second part keeps the first's files."""
    folder = tmp_path / "content"
    for lang in ("fr", "tr"):
        wixarchive("export", "--db", str(db), "--format", "markdown", "--lang", lang,
                   str(folder), check=True)
    assert sorted(p.parent.name for p in folder.rglob("index.md")) == [
        "2023-04-01-printemps", "2024-06-01-tarte", "2024-07-01-izmir", "undated"]


def test_a_part_names_its_posts_files_as_the_whole_export_and_writes_over_no_other(
        tmp_path: Path) -> None:
    """Two posts of a site whose file names agree (a long Hebrew slug cut to 200 bytes, one
    date) are told apart by the order of every post of the site: the first takes the name, the
    next gets its id appended. A filtered export ordered only its own posts, so each part of a
    migration gave its post the plain name: the second part wrote over the first part's post,
    gone from the folder. And a link to a post left out stays the site's URL."""
    from urllib.parse import quote

    site = "https://www.shalom-tours.co.il"
    slug = "טיול-משפחתי-לצפון-הארץ-עם-הילדים-בחופשת-הקיץ-" * 3
    first, second = (f"{site}/post/{quote(slug + end)}" for end in ("חלק-ראשון", "חלק-שני"))
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url=first, title="Part one", published="2024-07-01", tags=["north"],
                    body_text="One.", body_markdown=f"One, then [two]({second})."),
            Article(url=second, title="Part two", published="2024-07-01", tags=["south"],
                    body_text="Two.", body_markdown="Two.")])
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    wixarchive("export", "--db", str(db), "--format", "markdown", str(whole), check=True)
    for tag in ("north", "south"):
        wixarchive("export", "--db", str(db), "--format", "markdown", "--tag", tag, str(parts),
                   check=True)

    def pages(folder: Path) -> dict[str, str]:
        return {str(page.relative_to(folder)): page.read_text() for page in folder.rglob("*.md")}

    written = pages(parts)
    assert sorted(written) == sorted(pages(whole)) and len(written) == 2
    assert sorted(text.split("\n")[1] for text in written.values()) == [
        'title: "Part one"', 'title: "Part two"']
    [one] = [text for text in written.values() if "Part one" in text]
    assert f"[two]({second})" in one  # the other part's post: linked where the site has it


def test_a_filtered_exports_newest_version_is_of_the_posts_it_exported(
        tmp_path: Path) -> None:
    """The summary's `newest_fetched_at` ("newest version fetched" in the text) is when the
    newest version exported was fetched: with a filter it named the newest of every post of
    the site, here the English post's, in an export of the Turkish one alone."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for url, lang, fetched in ((f"{GARDEN}post/izmir", "tr", "2024-07-02T10:00:00+00:00"),
                                   (f"{GARDEN}post/spring", "en", "2024-09-01T10:00:00+00:00")):
            archive.save_article(Article(url=url, title=url, language=lang, body_text="Text."),
                                 fetched_at=fetched)
    done = wixarchive("export", "--db", str(db), "--lang", "tr", "--json",
                      str(tmp_path / "tr.jsonl"), check=True)
    assert json.loads(done.stdout)["newest_fetched_at"] == "2024-07-02T10:00:00+00:00"
    with Archive.open(db, readonly=True) as archive:
        part = api.export(archive, tmp_path / "tr.csv", lang="Turkish")
    assert part.summary["newest_fetched_at"] == "2024-07-02T10:00:00+00:00"


def test_a_filter_matching_nothing_is_an_empty_export_said(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    done = wixarchive("export", "--db", str(db), "--lang", "de", "--tag", "Jardin", str(out))
    assert done.returncode == 0, done.stderr
    assert "Note: no post matches --lang de --tag Jardin: the export is empty" in done.stderr
    assert out.read_text().splitlines()[0].startswith("id,")  # the header row only
    assert len(out.read_text().splitlines()) == 1


@pytest.mark.parametrize(("options", "error"), [
    (["--lang", "Klingon"], "Error: --lang: unknown language 'Klingon': give its code (es, "
     "pt-BR) or a common language's English name (Spanish)"),
    (["--since", "2024-13"], "Error: --since: expected a date like 2024-05-01 (or 2024-05, "
     "2024), not '2024-13'"),
    (["--since", "last week"], "Error: --since: expected a date like 2024-05-01 (or 2024-05, "
     "2024), not 'last week'"),
    (["--since", "2024-02-30"], "Error: --since: expected a date like 2024-05-01 (or 2024-05, "
     "2024), not '2024-02-30'"),
])
def test_bad_values_are_one_line_errors(db: Path, tmp_path: Path, options: list[str],
                                        error: str) -> None:
    out = tmp_path / "out.jsonl"
    done = wixarchive("export", "--db", str(db), *options, str(out))
    assert (done.returncode, done.stderr) == (1, error + "\n")
    assert not out.exists()


def test_the_api_filters_as_the_command(db: Path, tmp_path: Path) -> None:
    with api.open(db) as archive:
        stream = io.StringIO()
        result = api.export(archive, stream, lang="French", tag=["jardin"])
        assert result == 2
        assert result.summary["filters"] == {"lang": "fr", "tag": ["jardin"]}
        assert slugs(json.loads(line)["url"] for line in stream.getvalue().splitlines()) == [
            "printemps", "undated"]
        rows = api.export(archive, tmp_path / "v.csv", since=date(2024, 3, 1),
                          author="leary", versions=True)
        assert (rows, rows.summary["posts"]) == (2, 1)
        with pytest.raises(SearchError, match="since: expected a date"):
            api.export(archive, io.StringIO(), since="2024-02-30")
        with pytest.raises(SearchError, match="lang: unknown language 'Klingon'"):
            api.export(archive, io.StringIO(), lang="Klingon")
        with pytest.raises(ValueError, match="has no captures of the posts chosen"):
            api.export(archive, tmp_path / "x.wacz", category="recettes")  # none captured


def _plans(db: Path, **filters: Any) -> list[str]:
    """The query plans of the statements a filtered export runs over the posts."""
    statements: list[str] = []
    with api.open(db) as archive:
        archive.conn.set_trace_callback(statements.append)
        api.export(archive, io.StringIO(), format="jsonl", **filters)
        archive.conn.set_trace_callback(None)
        return [row[3] for sql in statements if " f CROSS JOIN posts p " in sql
                for row in archive.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]


@pytest.mark.parametrize("filters", [{"lang": "tr"}, {"tag": "izmir"}, {"category": "seyahat"},
                                     {"author": "ayşe"}, {"since": "2024-07"},
                                     {"lang": "tr", "tag": "kaygi", "since": "2024"}])
def test_a_selective_filter_reads_its_posts_through_an_index(tmp_path: Path,
                                                             filters: dict[str, str]) -> None:
    """One site of many posts, one of them chosen: the export reads that post through the
    filter's index, not every post of the site (SQLite's plan walked posts_site)."""
    path = tmp_path / "big.db"
    with Archive.open(path) as archive:
        archive.save_articles([Article(
            url=f"{GARDEN}post/p{n}", title=f"p{n}", author="Ann", language="en",
            published=f"2020-01-{1 + n % 28:02d}", tags=["garden"], categories=["Notes"],
            body_text="Text.") for n in range(300)])
        archive.save_article(Article(
            url=f"{GARDEN}post/izmir", title="İzmir", author="Ayşe Yılmaz", language="tr",
            published="2024-07-01", tags=["İzmir", "KAYGI"], categories=["Seyahat"],
            body_text="Metin."))
    plans = _plans(path, **filters)
    assert plans, "no filtered query ran"
    walks = [line for line in plans if line.startswith(("SCAN p", "SCAN posts"))
             or "posts_site" in line]
    assert not walks, plans
    with sqlite3.connect(path) as conn:  # and the export holds just that post
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 301


# --changed-since: what changed since an earlier export, by when the archive stored it (its own
# clock: posts.recorded_at), whatever date the change carries (when its page was fetched).
BEFORE, AFTER = "2024-06-01T08:00:00+00:00", "2024-07-02T08:00:00+00:00"


def _post(slug: str, body: str, lang: str = "en") -> Article:
    return Article(url=f"{GARDEN}post/{slug}", title=slug, language=lang, body_text=body,
                   body_html=f"<p>{body}</p>", body_markdown=body)


class Changes(NamedTuple):
    path: Path
    exported: str  # when the earlier export was taken
    later: str  # a second after the last change


@pytest.fixture(scope="module")
def changes(tmp_path_factory: pytest.TempPathFactory) -> Changes:
    """Posts archived before an export; after it, one changed, one found deleted, one new
    (French), one seen again unchanged, one changed by a fetch dated before the export (a
    crawl writer resumed with results fetched then), and two found deleted before it and seen
    again unchanged since (a 304 or an unchanged lastmod, and a fetch of the same content)."""
    path = tmp_path_factory.mktemp("changes") / "archive.db"
    with Archive.open(path) as archive:
        for slug in ("edited", "gone", "same", "old-gone", "late", "back", "back-fetched"):
            archive.save_article(_post(slug, "First text."), fetched_at=BEFORE)
        for slug in ("old-gone", "back", "back-fetched"):
            archive.mark_deleted(f"{GARDEN}post/{slug}", when=BEFORE)
        exported = next_second()
        archive.save_article(_post("edited", "Second text."), fetched_at=AFTER)
        archive.mark_deleted(f"{GARDEN}post/gone", when=AFTER)
        archive.save_article(_post("nouveau", "Texte.", "fr"), fetched_at=AFTER)
        archive.save_article(_post("same", "First text."), fetched_at=AFTER)  # unchanged
        archive.save_article(_post("late", "Second text."), fetched_at=BEFORE)
        archive.touch_post(f"{GARDEN}post/back", fetched_at=AFTER)
        archive.save_article(_post("back-fetched", "First text."), fetched_at=AFTER)
    return Changes(path, exported, next_second())


CHANGED = ["back", "back-fetched", "edited", "gone", "late", "nouveau"]


def test_changed_since_exports_what_changed_or_was_deleted_since(changes: Changes,
                                                                 tmp_path: Path) -> None:
    db, exported = changes.path, changes.exported
    listed, summary = export_jsonl(db, "--changed-since", exported)
    assert sorted(listed) == CHANGED
    assert (summary["posts"], summary["filters"]) == (6, {"changed_since": exported})
    # What the next incremental export starts from: the newest change the export saw.
    assert exported <= summary["newest_recorded_at"] < changes.later
    rows = {row["title"]: row for row in map(json.loads, wixarchive(
        "export", "--db", str(db), "--changed-since", exported, "--format", "jsonl", "-",
        check=True).stdout.splitlines())}
    assert rows["gone"]["deleted_at"] == AFTER  # the deletion reaches the incremental export
    assert rows["edited"]["body"] == "Second text."
    assert rows["late"]["last_changed"] == BEFORE < exported <= rows["late"]["recorded_at"]
    # Back on the site: the copy learns it is no longer deleted.
    assert rows["back"]["deleted_at"] is rows["back-fetched"]["deleted_at"] is None
    # Combined with another filter; the text summary says it as typed.
    assert export_jsonl(db, "--changed-since", "2024-07", "--lang", "fr")[0] == ["nouveau"]
    out = tmp_path / "changes.csv"
    done = wixarchive("export", "--db", str(db), "--changed-since", exported, str(out),
                      check=True)
    assert f"Exported 6 posts matching --changed-since {exported} from 1 site" in done.stdout
    assert sorted(slugs(row["url"] for row in csv.DictReader(
        io.StringIO(out.read_text())))) == CHANGED


def test_changed_since_takes_a_post_whose_site_moved(tmp_path: Path) -> None:
    # The post takes its new host's URL, unchanged otherwise: an incremental export missed it,
    # and the copy kept the old URL (a later change then came as a second post by url).
    path = tmp_path / "archive.db"
    old, new = f"{GARDEN}post/moved", f"{KITCHEN}post/moved"
    with Archive.open(path) as archive:
        archive.save_article(_post("moved", "Text."), fetched_at=BEFORE)
        exported = next_second()
        moved = _post("moved", "Text.")
        moved.url = new
        assert archive.save_article(moved, fetched_at=AFTER, moved_from=old) == "unchanged"
    rows = [json.loads(line) for line in wixarchive(
        "export", "--db", str(path), "--changed-since", exported, "--format", "jsonl", "-",
        check=True).stdout.splitlines()]
    assert [row["url"] for row in rows] == [new]


def _shifted(stamp: str, zone: str, fraction: str = "") -> str:
    """The instant `stamp` (UTC, +00:00) written in another zone ('+02:00', 'Z', '' for none,
    ' ' for none with a space)."""
    from datetime import datetime, timedelta, timezone

    moment = datetime.fromisoformat(stamp)
    if zone in ("Z", "", " "):
        text = moment.strftime("%Y-%m-%d" + ("T" if zone != " " else " ") + "%H:%M:%S")
        return text + fraction + ("Z" if zone == "Z" else "")
    hours = int(zone[:3])
    return moment.astimezone(timezone(timedelta(hours=hours))).isoformat() + fraction


@pytest.mark.parametrize(("zone", "fraction", "at_export"), [
    ("+02:00", "", True), ("Z", "", True), ("", ".5", True),  # UTC; that second is in
    (" ", "", False), ("+01:00", "", False), ("-05:00", "", False)])
def test_changed_since_compares_instants(changes: Changes, zone: str, fraction: str,
                                         at_export: bool) -> None:
    """The archive writes its times in UTC with +00:00: a time given with an offset, Z or none
    is that instant, not a text that sorts elsewhere (Z after +, a space before T)."""
    when = _shifted(changes.exported if at_export else changes.later, zone, fraction)
    listed = export_jsonl(changes.path, "--changed-since", when)[0]
    assert sorted(listed) == (CHANGED if at_export else [])


def test_changed_since_with_versions_writes_the_versions_stored_since(changes: Changes) -> None:
    """An incremental user appends the new versions to the earlier export's: the ones it has
    are not written again, whatever their date (late's was fetched before the export). A post
    deleted or back since, with no new version, gets its current one, which carries
    deleted_at."""
    done = wixarchive("export", "--db", str(changes.path), "--versions", "--changed-since",
                      changes.exported, "--format", "jsonl", "--json", "-", check=True)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted((row["title"], row["version"], row["fetched_at"], row["deleted_at"])
                  for row in rows) == [
        ("back", 1, BEFORE, None), ("back-fetched", 1, BEFORE, None),
        ("edited", 2, AFTER, None), ("gone", 1, BEFORE, AFTER), ("late", 2, BEFORE, None),
        ("nouveau", 1, AFTER, None)]
    summary = json.loads(done.stderr.splitlines()[-1])
    assert (summary["posts"], summary["versions"]) == (6, 6)
    # Each new version says when it was stored, which --changed-since compared: late's row,
    # fetched before the export, is there for that (history --json gave it alone).
    stored = {(row["title"], row["version"]): row["stored_at"] for row in rows}
    assert changes.exported <= stored["late", 2] < changes.later
    assert changes.exported <= stored["edited", 2] < changes.later
    assert stored["gone", 1] < changes.exported  # its deletion is new, not its version
    late = json.loads(wixarchive("history", "--db", str(changes.path), f"{GARDEN}post/late",
                                 "--json", check=True).stdout)
    assert late[1]["stored_at"] == stored["late", 2]


def test_attachments_recorded_anew_are_a_change_an_incremental_export_takes(
        tmp_path: Path) -> None:
    """An unchanged post whose videos and documents are recorded anew (an archive from before
    v12 had none; a crawl or `reextract` records them without a new version) exports with
    them, a change --changed-since missed: recorded_at did not move. A re-crawl finding the
    same ones changes nothing."""
    from archive.ingest import relink_attachments

    path = tmp_path / "archive.db"
    video = {"url": "https://video.wixstatic.com/video/a1_b2/480p/mp4/file.mp4",
             "kind": "video", "content_type": "video/mp4", "is_file": True}
    post = Article(url=f"{GARDEN}post/film", title="film", language="en", body_text="Watch.",
                   body_html="<p>Watch.</p>", body_markdown="Watch.", attachments=[video])

    def recorded() -> str:
        with sqlite3.connect(path) as conn:
            value = conn.execute("SELECT recorded_at FROM posts").fetchone()[0]
        conn.close()
        return value

    def forget_attachments() -> None:  # as an archive from before v12 holds the post
        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM attachments")
        conn.close()

    with Archive.open(path) as archive:
        archive.save_article(post, fetched_at=BEFORE)
    forget_attachments()
    exported = next_second()
    with Archive.open(path) as archive:
        assert archive.save_article(post, fetched_at=AFTER) == "unchanged"
    rows = [json.loads(line) for line in wixarchive(
        "export", "--db", str(path), "--changed-since", exported, "--format", "jsonl", "-",
        check=True).stdout.splitlines()]
    assert [[a["url"] for a in row["attachments"]] for row in rows] == [[video["url"]]]
    assert recorded() >= exported

    again = next_second()  # the same attachments found again: no change
    with Archive.open(path) as archive:
        archive.save_article(post, fetched_at=AFTER)
    assert recorded() < again and export_jsonl(path, "--changed-since", again)[0] == []

    forget_attachments()  # reextract's way: relink_attachments
    with Archive.open(path) as archive, archive.transaction() as conn:
        relink_attachments(conn, [(1, post)])
    assert recorded() >= again and export_jsonl(path, "--changed-since", again)[0] == ["film"]


def test_every_format_takes_changed_since(changes: Changes, tmp_path: Path) -> None:
    db = str(changes.path)
    out = tmp_path / "changes.xml"
    wixarchive("export", "--db", db, "--changed-since", changes.exported, str(out), check=True)
    channel = etree.parse(str(out)).getroot()[0]
    assert sorted(slugs(item.findtext("link") for item in channel.iter("item"))) == CHANGED
    folder = tmp_path / "md"
    wixarchive("export", "--db", db, "--format", "markdown", str(folder), check=True)
    for page in folder.rglob("index.md"):  # an earlier copy: each file is rewritten if exported
        page.write_text("earlier\n")
    # An incremental Markdown export into the same folder rewrites the changed posts' files
    # and keeps the posts it leaves out.
    wixarchive("export", "--db", db, "--format", "markdown", "--changed-since",
               changes.exported, str(folder), check=True)
    pages = {page.parent.name: page.read_text() for page in folder.rglob("index.md")}
    assert len(pages) == 7 + 1  # every post's
    assert sorted(name for name, text in pages.items() if text != "earlier\n") == CHANGED


def test_changed_since_bad_value_is_a_one_line_error(changes: Changes, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    done = wixarchive("export", "--db", str(changes.path), "--changed-since", "yesterday",
                      str(out))
    assert (done.returncode, done.stderr) == (1, "Error: --changed-since: expected a date like "
                                              "2024-05-01 (or 2024-05, 2024), not 'yesterday'\n")
    assert not out.exists()


def test_the_api_takes_changed_since(changes: Changes) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    exported = datetime.fromisoformat(changes.exported)
    with api.open(changes.path) as archive:
        stream = io.StringIO()
        in_paris = exported.astimezone(timezone(timedelta(hours=2)))
        result = api.export(archive, stream, changed_since=in_paris)
        assert result == 6
        assert result.summary["filters"] == {"changed_since": in_paris.isoformat()}
        assert api.export(archive, io.StringIO(), changed_since=datetime.fromisoformat(
            changes.later).astimezone(UTC)) == 0
        tomorrow = (datetime.fromisoformat(changes.later) + timedelta(days=1)).date()
        assert api.export(archive, io.StringIO(), changed_since=tomorrow) == 0
        with pytest.raises(SearchError, match="changed_since: expected a date"):
            api.export(archive, io.StringIO(), changed_since="2024-02-30")


def test_changed_since_reads_the_changed_posts_through_their_index(tmp_path: Path) -> None:
    """300 posts unchanged for years, one changed and one deleted since: the export reads
    those two through posts_recorded, not every post of the site."""
    from archive.ingest import Fetch

    path = tmp_path / "big.db"
    with Archive.open(path) as archive:
        archive.save_articles([Fetch(_post(f"p{n}", "Text."), "2020-01-01T00:00:00+00:00")
                               for n in range(300)])
        exported = next_second()
        archive.save_article(_post("p7", "New text."), fetched_at=AFTER)
        archive.mark_deleted(f"{GARDEN}post/p9", when=AFTER)
    plans = _plans(path, changed_since=exported)
    assert plans, "no filtered query ran"
    assert not [line for line in plans if line.startswith(("SCAN p", "SCAN posts"))
                or "posts_site" in line], plans
    assert any("posts_recorded" in line for line in plans), plans
    assert sorted(export_jsonl(path, "--changed-since", exported)[0]) == ["p7", "p9"]


@pytest.mark.parametrize(("fmt", "out", "options", "arguments"), [
    ("jsonl", "all.jsonl", [], {}),
    ("csv", "v.csv", ["--versions", "--author", "leary", "--bom"],
     {"versions": True, "author": "leary", "bom": True}),
    ("markdown", "md", ["--lang", "fr", "--flat"], {"lang": "fr", "flat": True}),
    ("wxr", "fr.xml", ["--tag", "Été", "--changed-since", "2000-01-01"],
     {"tag": "Été", "changed_since": "2000-01-01"}),
])
def test_the_command_prints_the_summary_the_api_returns(
        db: Path, tmp_path: Path, fmt: str, out: str, options: list[str],
        arguments: dict[str, Any]) -> None:
    """One summary, built by one function (archive.export.writing.write_export) that the
    command and wixarchive.export() both call: the same keys, order and values."""
    for side in ("cli", "api"):
        (tmp_path / side).mkdir()
    done = wixarchive("export", "--db", str(db), "--format", fmt, "--json", *options,
                      str(tmp_path / "cli" / out), check=True)
    printed = json.loads(done.stdout)
    with api.open(db) as archive:
        returned = api.export(archive, tmp_path / "api" / out, format=fmt, **arguments).summary
    assert printed.pop("output") == str(tmp_path / "cli" / out)
    assert returned.pop("output") == str(tmp_path / "api" / out)
    if fmt == "markdown":  # each export's own folder
        for summary in (printed, returned):
            summary.pop("folder", None)
    assert list(printed.items()) == list(returned.items())


def test_the_summary_is_built_in_one_place() -> None:
    """Neither the command nor the API builds an export's summary or calls the writer
    directly: both go through write_export, so a field added there reaches both."""
    import ast

    root = Path(__file__).resolve().parents[1]
    for module in ("archive/cli/export.py", "wixarchive/api.py"):
        tree = ast.parse((root / module).read_text(encoding="utf-8"))
        called = {node.func.id for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert "write_export" in called, module
        assert not called & {"write_posts", "provenance", "post_id_query"}, module


def undo_v21(path: Path) -> Path:
    """The archive as version 20 wrote it: no recorded_at, no stored_at."""
    with sqlite3.connect(undo_v22(path)) as conn:
        conn.execute("DROP INDEX posts_recorded")
        conn.execute("ALTER TABLE posts DROP COLUMN recorded_at")
        conn.execute("ALTER TABLE post_versions DROP COLUMN stored_at")
        conn.execute("PRAGMA user_version = 20")
    conn.close()
    return path


def test_an_archive_from_v20_is_given_when_its_changes_were_stored(tmp_path: Path) -> None:
    """v21 fills recorded_at and stored_at from what the archive knows: a crawl's version
    when fetched, an imported one when its capture file was written, a re-extracted one when
    the latest re-extraction since ended, a deletion when found. Read as it is (read-only),
    an older archive exports by the dates it has."""
    from archive.ingest import Fetch

    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([Fetch(_post(slug, "One."), "2024-01-01T00:00:00+00:00")
                               for slug in ("crawled", "imported", "reextracted", "deleted",
                                            "gone-404")])
        archive.save_articles([
            Fetch(_post("imported", "Two."), "2024-03-01T00:00:00+00:00", capture="<urn:a>",
                  source="import"),
            Fetch(_post("reextracted", "Two."), "2024-02-01T00:00:00+00:00",
                  source="reextract")])
        archive.mark_deleted(f"{GARDEN}post/deleted", when="2025-05-01T00:00:00+00:00")
        # Found deleted by an import: dated by the web archive's 404.
        archive.mark_deleted(f"{GARDEN}post/gone-404", when="2024-04-01T00:00:00+00:00")
        conn = archive.conn
        with archive.transaction():
            file_id = conn.execute("INSERT INTO capture_files (name, created_at) VALUES "
                                   "('import.warc.gz', '2026-01-05T00:00:00+00:00')").lastrowid
            conn.execute("INSERT INTO captures (record_id, kind, url, fetched_at, file_id, "
                         "offset, length, source) VALUES ('<urn:a>', 'response', ?, "
                         "'2024-03-01T00:00:00Z', ?, 0, 1, 'import')",
                         (f"{GARDEN}post/imported", file_id))
            conn.execute("INSERT INTO captures (record_id, kind, url, fetched_at, status, "
                         "file_id, offset, length, source) VALUES ('<urn:b>', 'response', ?, "
                         "'2024-04-01T00:00:00Z', 404, ?, 1, 1, 'import')",
                         (f"{GARDEN}post/gone-404", file_id))
            conn.execute("INSERT INTO reextractions (started_at, finished_at) VALUES "
                         "('2025-03-01T00:00:00+00:00', '2025-03-02T00:00:00+00:00')")
    undo_v21(path)
    since = ["--changed-since", "2025-01-01"]
    assert export_jsonl(path, *since)[0] == ["deleted"]  # read-only: deleted_at alone says it
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
        recorded = dict(archive.conn.execute("SELECT title, recorded_at FROM posts"))
        stored = archive.conn.execute("SELECT p.title, v.version, v.stored_at FROM "
                                      "post_versions v JOIN posts p ON p.id = v.post_id "
                                      "ORDER BY p.title, v.version").fetchall()
    assert recorded == {"crawled": "2024-01-01T00:00:00+00:00",
                        "imported": "2026-01-05T00:00:00+00:00",
                        "reextracted": "2025-03-02T00:00:00+00:00",
                        "deleted": "2025-05-01T00:00:00+00:00",
                        "gone-404": "2026-01-05T00:00:00+00:00"}
    assert [tuple(row) for row in stored] == [
        ("crawled", 1, "2024-01-01T00:00:00+00:00"), ("deleted", 1, "2024-01-01T00:00:00+00:00"),
        ("gone-404", 1, "2024-01-01T00:00:00+00:00"),
        ("imported", 1, "2024-01-01T00:00:00+00:00"), ("imported", 2, "2026-01-05T00:00:00+00:00"),
        ("reextracted", 1, "2024-01-01T00:00:00+00:00"),
        ("reextracted", 2, "2025-03-02T00:00:00+00:00")]
    assert sorted(export_jsonl(path, *since)[0]) == ["deleted", "gone-404", "imported",
                                                     "reextracted"]
    assert any("posts_recorded" in line for line in _plans(path, changed_since="2025-01-01"))
