"""`wixarchive history`: versions of a post and the diff between two."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from archive.store import Archive
from crawler.extract.record import Article

URL = "https://www.example.com/post/tomatoes"


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`wixarchive ARGS --db DB`, run as a user runs it."""
    return subprocess.run([sys.executable, "-m", "archive.cli", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=60)


def history(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(db, "history", *args)


def make_archive(tmp_path: Path) -> Path:
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        first = Article(url=URL, title="Tomatoes", author="Ann",
                        body_text="Sow in March.\n\nWater daily.", body_html="<p>x</p>")
        archive.save_article(first, fetched_at="2024-01-01T00:00:00+00:00")
        second = Article(url=URL, title="Tomatoes", author="Ann",
                         body_text="Sow in April.\n\nWater daily.", body_html="<p>y</p>")
        archive.save_article(second, fetched_at="2024-02-01T00:00:00+00:00")
    return db


def test_history_lists_versions_and_diffs_the_last_two(tmp_path: Path) -> None:
    db = make_archive(tmp_path)
    result = history(db, URL)
    assert result.returncode == 0, result.stderr
    assert re.search(r"v1  [0-9a-f]{12}  2024-01-01", result.stdout)
    assert re.search(r"v2  [0-9a-f]{12}  2024-02-01", result.stdout)
    assert "-Sow in March." in result.stdout
    assert "+Sow in April." in result.stdout
    assert " Water daily." in result.stdout  # unchanged context


def test_history_json_and_explicit_pair(tmp_path: Path) -> None:
    db = make_archive(tmp_path)
    versions = json.loads(history(db, URL, "--json").stdout)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["record"]["body_text"].startswith("Sow in March.")
    diff = json.loads(history(db, URL, "--diff", "2", "1", "--json").stdout)
    assert "+Sow in March." in diff["diff"] and "-Sow in April." in diff["diff"]


def test_history_errors_are_one_line(tmp_path: Path) -> None:
    db = make_archive(tmp_path)
    for args in ([URL, "--diff", "1", "7"], ["https://www.example.com/post/nope"]):
        result = history(db, *args)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    missing = history(tmp_path / "none.db", URL)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_the_diff_shows_a_changed_updated_date(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for modified, body, fetched in (("2024-01-01", "Sow in March.", "2024-01-02"),
                                        ("2024-03-05", "Sow in April.", "2024-03-06")):
            archive.save_article(Article(url=URL, title="Tomatoes", published="2023-12-01",
                                         modified=modified, body_text=body,
                                         body_html=f"<p>{body}</p>"),
                                 fetched_at=f"{fetched}T00:00:00+00:00")
    result = history(db, URL, "--diff", "1", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "-Updated: 2024-01-01" in lines and "+Updated: 2024-03-05" in lines
    assert " Published: 2023-12-01" in lines  # unchanged, so context


WAYBACK = "https://web.archive.org/web/"
CAPTURE = f"{WAYBACK}20190501102030/{URL}"  # the capture's page there


def make_sourced_archive(tmp_path: Path) -> Path:
    """Three versions of a post: recovered from a web archive, imported from a WARC, crawled."""
    from archive.ingest import Fetch

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for number, (source, fetched) in enumerate((("recover", "2019-05-01T10:20:30+00:00"),
                                                    ("import", "2021-03-02T00:00:00+00:00"),
                                                    ("crawl", "2026-12-05T09:00:00+00:00")), 1):
            article = Article(url=URL, title=f"Tomatoes {number}",
                              body_text=f"Sow in month {number}.")
            archive.save_articles([Fetch(article, fetched, capture=f"<urn:uuid:{number}>",
                                         source=source)])
        with archive.transaction() as conn:
            conn.execute("INSERT INTO recovered (endpoint, url, timestamp, status, kind, "
                         "record_id, outcome, recovered_at) VALUES (?, ?, ?, 200, 'page', ?, "
                         "'fetched', ?)", (WAYBACK, URL, "20190501102030", "<urn:uuid:1>",
                                           "2026-12-05T08:00:00+00:00"))
    return db


def show(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(db, "show", URL, *args)


def test_history_says_what_made_each_version_and_where_a_recovered_one_came_from(
        tmp_path: Path) -> None:
    db = make_sourced_archive(tmp_path)
    listed = history(db, URL)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    versions = json.loads(history(db, URL, "--json").stdout)
    ids = [v["version_id"] for v in versions]
    assert lines[2:6] == [
        f"  v1  {ids[0]}  2019-05-01T10:20:30+00:00  recover    Tomatoes 1  (from {CAPTURE})",
        f"  v2  {ids[1]}  2021-03-02T00:00:00+00:00  import     Tomatoes 2",
        f"  v3  {ids[2]}  2026-12-05T09:00:00+00:00  crawl      Tomatoes 3",
        "  (the date of a recovered or imported version is when the web archive captured "
        "the page)"]
    assert [(v["source"], v["recovered"]) for v in versions] == [
        ("recover", {"endpoint": WAYBACK, "timestamp": "20190501102030",
                     "capture_url": CAPTURE}),
        ("import", None), ("crawl", None)]
    # A crawled post's list has no word on web archives.
    crawled = tmp_path / "crawled"
    crawled.mkdir()
    assert "web archive" not in history(make_archive(crawled), URL).stdout


def test_show_version_says_what_made_it_and_what_its_date_is(tmp_path: Path) -> None:
    db = make_sourced_archive(tmp_path)
    ids = [v["version_id"] for v in json.loads(history(db, URL, "--json").stdout)]
    old = show(db, "--version", "1")
    assert old.returncode == 0, old.stderr
    # The capture's page in the web archive: what a citation of this version names.
    assert (f"Version: 1 of 3, id {ids[0]}: recovered from {CAPTURE}, captured "
            "2019-05-01T10:20:30+00:00\n") in old.stdout
    assert "last changed" not in old.stdout
    assert (f"Version: 2 of 3, id {ids[1]}: imported from a web archive file, captured "
            "2021-03-02T00:00:00+00:00\n") in show(db, "--version", "2").stdout
    assert f"Version: 3 of 3, id {ids[2]}: crawled 2026-12-05T09:00:00+00:00\n" in show(
        db, "--version", "3").stdout
    data = json.loads(show(db, "--version", "1", "--json").stdout)
    # The version in the shape of the article page's JSON and `export --versions`: dated by
    # its own fetched_at; last_changed stays the post's.
    assert (data["version"], data["fetched_at"], data["source"], data["recovered"],
            data["last_changed"]) == (
        1, "2019-05-01T10:20:30+00:00", "recover",
        {"endpoint": WAYBACK, "timestamp": "20190501102030", "capture_url": CAPTURE},
        "2026-12-05T09:00:00+00:00")
    assert (f"Version: 3, id {ids[2]} (last changed 2026-12-05T09:00:00+00:00)"
            in show(db).stdout)


def test_show_says_where_a_recovered_current_version_was_captured(tmp_path: Path) -> None:
    """A blog that is gone: its current version is a web archive's capture, and a quote of
    it cites that capture's page, which `show` named only with --version."""
    from archive.ingest import Fetch

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Fetch(Article(url=URL, title="Tomatoes", body_text="Sow."),
                                     "2019-05-01T10:20:30+00:00", capture="<urn:uuid:1>",
                                     source="recover")])
        with archive.transaction() as conn:
            conn.execute("INSERT INTO recovered (endpoint, url, timestamp, status, kind, "
                         "record_id, outcome, recovered_at) VALUES (?, ?, ?, 200, 'page', ?, "
                         "'fetched', ?)", (WAYBACK, URL, "20190501102030", "<urn:uuid:1>",
                                           "2026-12-05T08:00:00+00:00"))
    shown = show(db)
    assert shown.returncode == 0, shown.stderr
    version_id = json.loads(history(db, URL, "--json").stdout)[0]["version_id"]
    assert (f"Version: 1, id {version_id} (last changed 2019-05-01T10:20:30+00:00): recovered "
            f"from {CAPTURE}") in shown.stdout.splitlines()


def two_versions(tmp_path: Path, first: dict, second: dict) -> Path:
    """An archive whose post has two versions, the same but for the fields given."""
    tmp_path.mkdir(exist_ok=True)
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for n, fields in enumerate((first, second), start=1):
            archive.save_article(Article(url=URL, title="Tomatoes", author="Ann",
                                         body_text="Sow in March.", body_html="<p>x</p>",
                                         **fields),
                                 fetched_at=f"2024-0{n}-01T00:00:00+00:00")
    return db


def test_the_diff_shows_changed_categories(tmp_path: Path) -> None:
    db = two_versions(tmp_path, {"categories": ["Garden"]},
                      {"categories": ["Garden", "Vegetables"]})
    text = history(db, URL, "--diff", "1", "2")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "-Categories: Garden" in lines and "+Categories: Garden, Vegetables" in lines
    assert " Title: Tomatoes" in lines  # unchanged, so context
    diff = json.loads(history(db, URL, "--diff", "1", "2", "--json").stdout)["diff"]
    assert "-Categories: Garden" in diff and "+Categories: Garden, Vegetables" in diff


def test_the_diff_shows_a_changed_reading_time(tmp_path: Path) -> None:
    db = two_versions(tmp_path, {"reading_minutes": 3}, {"reading_minutes": 5})
    text = history(db, URL)  # with no --diff: the last two versions
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "-Reading time: 3 min" in lines and "+Reading time: 5 min" in lines
    diff = json.loads(history(db, URL, "--diff", "1", "2", "--json").stdout)["diff"]
    assert "-Reading time: 3 min" in diff and "+Reading time: 5 min" in diff
    # A reading time first found in version 2 is a line added.
    added = two_versions(tmp_path / "added", {}, {"reading_minutes": 4})
    assert "+Reading time: 4 min" in history(added, URL, "--diff", "1", "2").stdout.splitlines()


def test_show_version_gives_every_content_field_of_that_version(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for minutes, words, language, fetched in ((2, "Sow in March.", "en", "2024-01-01"),
                                                  (5, "Sow in April, in pots, indoors.", "en-GB",
                                                   "2024-02-01")):
            archive.save_article(Article(
                url=URL, title="Tomatoes", post_id=f"p{minutes}", reading_minutes=minutes,
                language=language, description=f"About {words}", cover_image=f"/c{minutes}.jpg",
                body_text=words, body_html=f"<p>{words}</p>", body_markdown=words,
                images=[f"/i{minutes}.jpg"], warnings=[f"w{minutes}"]),
                fetched_at=f"{fetched}T00:00:00+00:00")
        post_id = archive.post(URL)["id"]
    first = json.loads(history(db, str(post_id), "--json").stdout)[0]
    shown = json.loads(cli(db, "show", str(post_id), "--json", "--version", "1").stdout)
    record = first["record"]
    assert shown["content_hash"] == first["content_hash"]
    assert shown["word_count"] == 3 and shown["body"] == "Sow in March."
    for field, key in (("reading_minutes", "reading_minutes"), ("description", "description"),
                       ("language", "language"), ("cover_image", "cover_image"),
                       ("wix_post_id", "post_id"), ("images", "images"),
                       ("warnings", "warnings"), ("body_markdown", "body_markdown")):
        assert shown[field] == record[key], field
    assert (shown["version"], shown["fetched_at"], shown["last_changed"]) == (
        1, "2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00")
    text = cli(db, "show", str(post_id), "--version", "1").stdout
    assert "Reading time: 2 min" in text and "Language: en\n" in text
    assert "Reading time: 5 min" in cli(db, "show", str(post_id)).stdout  # the current one
