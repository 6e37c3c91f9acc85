"""`wixarchive history`: versions of a post and the diff between two."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from archive.store import Archive
from crawler.extract.record import Article

URL = "https://www.example.com/post/tomatoes"


def history(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", "history", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=60)


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
    assert "v1  2024-01-01" in result.stdout and "v2  2024-02-01" in result.stdout
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


def show(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", "show", *args, "--db", str(db)],
                          capture_output=True, text=True, timeout=60)


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
    shown = json.loads(show(db, str(post_id), "--json", "--version", "1").stdout)
    record = first["record"]
    assert shown["content_hash"] == first["content_hash"]
    assert shown["word_count"] == 3 and shown["body"] == "Sow in March."
    for field, key in (("reading_minutes", "reading_minutes"), ("description", "description"),
                       ("language", "language"), ("cover_image", "cover_image"),
                       ("wix_post_id", "post_id"), ("images", "images"),
                       ("warnings", "warnings"), ("body_markdown", "body_markdown")):
        assert shown[field] == record[key], field
    assert (shown["version"], shown["last_changed"]) == (1, "2024-01-01T00:00:00+00:00")
    text = show(db, str(post_id), "--version", "1").stdout
    assert "Reading time: 2 min" in text and "Language: en\n" in text
    assert "Reading time: 5 min" in show(db, str(post_id)).stdout  # the current one
