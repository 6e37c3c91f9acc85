"""A crawled post's text that a spreadsheet would run as a formula (=HYPERLINK, DDE's +cmd|…)
is written to every CSV as text a spreadsheet shows (a ' in front), unless a script asks for
the raw values (--no-escape-formulas)."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.extract.record import Article
from tests.processes import HANG_GUARD

TITLE = '=HYPERLINK("http://127.0.0.1:9/steal","Click me")'
AUTHOR = "+cmd|' /C calc'!A0"
TAGS = ["@SUM(1+1)*cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1+1", "plain"]
DESCRIPTION = "-10 degrees outside"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "blogs.db"
    with Archive.open(path) as archive:
        archive.save_article(Article(
            url="https://evil.wixsite.com/blog/post/formula", title=TITLE, author=AUTHOR,
            tags=TAGS, description=DESCRIPTION, body_text="Formula garden text.",
            body_html="<p>Formula garden text.</p>", body_markdown="Formula garden text.",
            language="en", published="2024-05-01T08:00:00Z"))
    return path


def wixarchive(*args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                            text=True, timeout=HANG_GUARD)
    assert result.returncode == 0, result.stderr
    return result.stdout


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def assert_escaped(row: dict[str, str]) -> None:
    assert row["title"] == "'" + TITLE
    assert row["author"] == "'" + AUTHOR
    for value in row.values():  # no text cell a spreadsheet runs (a number, -1e-06, is one)
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or is_number(value), row


def is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_export_csv_escapes_formulas_unless_raw(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "posts.csv"
    wixarchive("export", "--format", "csv", "--bom", "--db", str(db), str(out))
    [row] = rows(out.read_text(encoding="utf-8"))
    assert_escaped(row)
    assert row["description"] == "'" + DESCRIPTION
    assert row["tags"].startswith("[")  # a JSON list: never a formula, and kept exact
    wixarchive("export", "--format", "csv", "--versions", "--db", str(db), str(out))
    assert_escaped(rows(out.read_text(encoding="utf-8"))[0])
    wixarchive("export", "--format", "csv", "--no-escape-formulas", "--db", str(db), str(out))
    [row] = rows(out.read_text(encoding="utf-8"))
    assert (row["title"], row["author"], row["description"]) == (TITLE, AUTHOR, DESCRIPTION)


def test_search_csv_escapes_formulas_unless_raw(db: Path) -> None:
    [row] = rows(wixarchive("search", "garden", "--csv", "--db", str(db)))
    assert_escaped(row)
    [row] = rows(wixarchive("search", "garden", "--csv", "--no-escape-formulas", "--db", str(db)))
    assert (row["title"], row["author"]) == (TITLE, AUTHOR)
    json_out = wixarchive("search", "garden", "--json", "--db", str(db))
    assert TITLE.replace('"', '\\"') in json_out  # JSON is no spreadsheet: values as they are


def test_options_for_csv_only_are_refused_elsewhere(db: Path, tmp_path: Path) -> None:
    for args in (["search", "garden", "--json", "--no-escape-formulas"],
                 ["export", "--format", "jsonl", "--no-escape-formulas", str(tmp_path / "x")]):
        result = subprocess.run([sys.executable, "-m", "archive.cli", *args, "--db", str(db)],
                                capture_output=True, text=True, timeout=HANG_GUARD)
        assert result.returncode == 1 and result.stderr.startswith("Error: --no-escape-formulas")


def test_web_search_csv_escapes_formulas(db: Path) -> None:
    pytest.importorskip("datasette")
    from archive.cli.serve import make_datasette

    datasette = make_datasette(db)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(datasette.invoke_startup())
        response = loop.run_until_complete(datasette.client.get("/blogs/-/search.csv?q=garden"))
    finally:
        for database in datasette.databases.values():
            database.close()
        loop.close()
    assert response.status_code == 200
    [row] = rows(response.text)
    assert_escaped(row)
