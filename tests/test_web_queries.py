"""The canned queries of the web pages read the posts through an index: a query that reads
every post whole takes seconds on a big archive, and Datasette interrupts it at 1 s ("SQL
Interrupted": Recent posts per site, at 200,000 posts)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from archive.store import Archive
from archive.web.metadata import QUERIES
from crawler.extract.record import Article


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_canned_query_reads_no_post_it_does_not_show(tmp_path: Path, name: str) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        sql = QUERIES[name]["sql"]
        params = dict.fromkeys(re.findall(r":(\w+)", sql), "2026-01-01")
        plan = [row[3] for row in archive.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    full_scans = [step for step in plan if re.fullmatch(r"SCAN (p|posts)( .*)?", step)]
    assert not full_scans, plan


def _page_queries(db: Path, page: str) -> list[tuple[str, dict[str, object]]]:
    """Every SQL query the page ran, with its parameters (Datasette's trace)."""
    import asyncio

    from archive.cli.serve import make_datasette

    datasette = make_datasette(db, trace_debug=True)
    path, _, query = page.partition("?")
    response = asyncio.run(datasette.client.get(f"{path}.json?{query}&_trace=1"))
    assert response.status_code == 200, response.text
    traces = response.json()["_trace"]["traces"]
    return [(trace["sql"], trace.get("params") or {}) for trace in traces
            if trace.get("type") == "sql" and trace.get("database") == db.stem]


@pytest.mark.parametrize("page", ["/archive/posts", "/archive/posts?site_id=1",
                                  "/archive/posts?_tag=garden&_category=notes"])
def test_the_posts_pages_facets_read_no_post_whole(tmp_path: Path, page: str) -> None:
    """Each facet counts from an index or a join table, never from every posts row: a posts
    row holds the start of its body, and at 210,000 posts a facet that read them all ran past
    the 200 ms Datasette gives it ("These facets timed out: language, tags, categories")."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(
            url=f"https://a.example/post/p{n}", title=f"Post {n}", body_text=f"text {n}",
            language="en", published="2024-05-01", tags=["Garden", f"tag{n}"],
            categories=["Notes"]) for n in range(3)])
    facets = [(sql, params) for sql, params in _page_queries(db, page)
              if re.search(r"\bgroup by\b", sql, re.IGNORECASE)]
    assert len(facets) == 6  # site, author, tags, categories, year, language
    with sqlite3.connect(db) as conn:
        for sql, params in facets:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            reads = [step for step in plan if re.fullmatch(
                r"(SCAN|SEARCH) posts( USING (INDEX|INTEGER PRIMARY KEY|ROWID).*)?", step)
                and "COVERING" not in step and "=" not in step]
            assert not reads, (sql, plan)
            if page == "/archive/posts" and re.search(r"\bpost_(tags|categories)\b", sql):
                # The whole table's tags and categories: from their join table alone (a
                # lookup of each post there: 260 ms at 70,000 posts, against 20).
                assert not [step for step in plan if " posts " in f"{step} "], (sql, plan)
