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
