"""An archive file of a test corpus, and what a ranked search of it finds, as the search tests
compare it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from archive.search import SearchQuery, search
from archive.store import Archive

if TYPE_CHECKING:
    from crawler.extract.record import Article


def archive_of(path: Path, corpus: Iterable[Article]) -> Path:
    """`path`, a new archive holding `corpus`."""
    with Archive.open(path) as archive:
        archive.save_articles(corpus)
    return path


def hits(db: Path, text: str, **filters: object) -> list[tuple[str | None, str]]:
    """Each hit's title and snippet, its matched words in [brackets], best first."""
    with Archive.open(db, readonly=True) as archive:
        return [(hit.title, hit.marked_snippet("[", "]"))
                for hit in search(archive, SearchQuery(text, **filters))]


def titles(db: Path, text: str, **filters: object) -> list[str | None]:
    return [title for title, _ in hits(db, text, **filters)]


def table_search(db: Path, typed: str) -> tuple[list[str], str]:
    """What the posts table's search box finds in a real Datasette of `db`: the titles
    (sorted) of its JSON, and its HTML page."""
    from urllib.parse import quote

    from test_web import Client

    from archive.cli.serve import make_datasette

    client = Client(make_datasette(db))
    try:
        response = client.get("/archive/posts.json?_shape=array&_col=title&_search="
                              + quote(typed))
        assert response.status_code == 200, response.text
        page = client.get("/archive/posts?_search=" + quote(typed))
        assert page.status_code == 200
        return sorted(row["title"] for row in response.json()), page.text
    finally:
        client.close()
