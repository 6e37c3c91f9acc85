"""What the web pages know of an archive (its sites, whether it holds posts written with vowel
marks, whether it is big) follows a crawl writing it beside `serve`, from another process, and
is read again off Datasette's event loop."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from archive.store import Archive
from crawler.extract.record import Article

pytest.importorskip("datasette")

from archive.cli.serve import make_datasette
from tests.test_web import Client

AR = "https://madrasa.wixsite.com/blog"
HE = "https://www.shalom-tours.co.il"
PLAIN = Article(url=f"{AR}/post/plain", title="عون", language="ar", published="2024-02-01",
                body_text="المعلم يساعد الطلاب بعد الظهر")
MARKED = [
    Article(url=f"{HE}/post/title", title="שָׁלוֹם עוֹלָם", language="he",
            published="2024-03-01", body_text="מכתב קצר לחברים"),
    Article(url=f"{HE}/post/marked-body", title="יומן", language="he", published="2024-06-01",
            body_text="בַּבֹּקֶר אָמַרְנוּ שָׁלוֹם לַיָּם ויצאנו לטיול ארוך מאוד בהרים הגבוהים"),
]


def crawl_beside(db: Path, articles: list[Article]) -> None:
    """Archive `articles` from another process, as a crawl beside `serve` does."""
    subprocess.run([sys.executable, "-c", """import json, sys
from archive.store import Archive
from crawler.extract.record import Article
with Archive.open(sys.argv[1]) as archive:
    archive.save_articles([Article(**fields) for fields in json.loads(sys.argv[2])])
""", str(db), json.dumps([dataclasses.asdict(a) for a in articles])],
        check=True, cwd=Path(__file__).resolve().parents[1])


def search_titles(client: Client, typed: str) -> list[str]:
    response = client.get("/archive/posts.json?_shape=array&_col=title&_search=" + quote(typed))
    assert response.status_code == 200, response.text
    return sorted(row["title"] for row in response.json())


def test_a_site_crawled_while_served_is_described_and_its_marked_posts_found(
        tmp_path: Path) -> None:
    """The sites and the marks were read once, when `serve` started: a site crawled beside it
    was missing from the archive's description, and its Hebrew posts written with vowel marks
    were not found by the posts table's search box (not steered to the mark-free index) until
    the server restarted."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([PLAIN])
    client = Client(make_datasette(db))
    try:
        assert HE not in client.get("/archive").text
        assert search_titles(client, "שלום") == []
        crawl_beside(db, MARKED)
        assert f"Sites: {AR}/, {HE}/." in client.get("/archive").text
        assert search_titles(client, "שלום") == ["יומן", "שָׁלוֹם עוֹלָם"]
        assert search_titles(client, "يساعد") == ["عون"]  # the others as before
    finally:
        client.close()


def test_a_change_beside_the_server_is_read_again_off_the_event_loop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The posts were counted again on Datasette's event loop, which runs every visitor's
    requests (at 1,000,000 posts 18-84 ms after each change, docs/benchmarks.md). Now the loop
    only asks whether the archive changed (PRAGMA data_version); the archive grown past the
    threshold still stops offering the slow sorts at its next page."""
    monkeypatch.setenv("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", "3")
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([PLAIN, MARKED[0]])
    statements: list[tuple[int, str]] = []
    connect = sqlite3.connect

    def traced(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(lambda sql: statements.append((threading.get_ident(), sql)))
        return conn

    monkeypatch.setattr(sqlite3, "connect", traced)  # every connection, Datasette's too
    client = Client(make_datasette(db))
    try:
        assert client.get("/archive/posts.json?_sort=title").status_code == 200
        crawl_beside(db, [MARKED[1]])
        statements.clear()
        assert client.get("/archive/posts.json?_sort=title").status_code == 400
        loop = threading.get_ident()  # the tests' Client runs the event loop in this thread
        assert any("FROM posts" in sql for _, sql in statements)
        assert {sql for thread, sql in statements if thread == loop} == {"PRAGMA data_version"}
    finally:
        client.close()
