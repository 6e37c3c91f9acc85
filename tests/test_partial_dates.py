"""A post dated by a month or a year alone (`2024-06`, `2024`: stored as the page gave it,
docs/fields.md) is matched by a date range that overlaps that month or year, the same way by
`search` (ranked and filters alone), its `--count`, the web search page and `export --since`
(docs/search.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from outputs import wixarchive

from archive.search import SearchQuery, search
from archive.store import Archive
from crawler.extract.record import Article

SITE = "https://ann.wixsite.com/yoga"
DATED = {"month": "2024-06", "year": "2024", "day": "2024-06-20T10:00:00Z",
         "may": "2024-05-31", "old": "2023-12-01T08:00:00Z"}

# (since, until) -> the posts whose date overlaps the range, in slug order.
RANGES = [
    (("2024-06-15", None), ["day", "month", "year"]),
    ((None, "2024-06-15"), ["may", "month", "old", "year"]),
    (("2024-06-01", "2024-06-30"), ["day", "month", "year"]),
    (("2024-06-21", "2024-06-30"), ["month", "year"]),
    (("2024-07", None), ["year"]),
    (("2024-06-20T11:00", None), ["month", "year"]),
    (("2025", None), []),
    ((None, "2023"), ["old"]),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("partial-dates") / "archive.db"
    with Archive.open(path) as archive:
        for slug, published in DATED.items():
            archive.save_article(Article(
                url=f"{SITE}/post/{slug}", title=f"Post {slug}", published=published,
                body_text="Breathing slowly.", body_html="<p>Breathing slowly.</p>",
                body_markdown="Breathing slowly."))
    return path


def options(since: str | None, until: str | None) -> list[str]:
    return [*(["--since", since] if since else []), *(["--until", until] if until else [])]


@pytest.mark.parametrize(("dates", "expected"), RANGES)
def test_search_with_and_without_words_matches_a_month_or_year_overlapping_the_range(
        db: Path, dates: tuple[str | None, str | None], expected: list[str]) -> None:
    since, until = dates
    with Archive.open(db, readonly=True) as archive:
        for words in ("breathing", ""):
            hits = search(archive, SearchQuery(words, since=since, until=until, limit=50))
            assert sorted(hit.url.rsplit("/", 1)[1] for hit in hits) == expected, words


@pytest.mark.parametrize(("dates", "expected"), RANGES)
def test_count_and_cli_search_agree(db: Path, dates: tuple[str | None, str | None],
                                    expected: list[str]) -> None:
    chosen = options(*dates)
    for words in ("breathing", ""):
        counted = wixarchive("search", words, "--count", "--db", str(db), *chosen, check=True)
        assert counted.stdout == f"{len(expected)}\n", words
        listed = wixarchive("search", words, "--json", "--db", str(db), *chosen, check=True)
        assert sorted(hit["url"].rsplit("/", 1)[1]
                      for hit in json.loads(listed.stdout)) == expected


def test_the_web_search_page_agrees(db: Path) -> None:
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette
    client = Client(make_datasette(db))
    try:
        for (since, until), expected in RANGES:
            query = "&".join(f"{name}={value}" for name, value in (("since", since),
                                                                     ("until", until)) if value)
            response = client.get(f"/archive/-/search.json?q=breathing&{query}")
            assert response.status_code == 200, response.text
            assert sorted(hit["url"].rsplit("/", 1)[1]
                          for hit in response.json()["hits"]) == expected, query
    finally:
        client.close()


@pytest.mark.parametrize(("dates", "expected"), [r for r in RANGES if r[0][1] is None])
def test_export_since_agrees(db: Path, dates: tuple[str | None, str | None],
                             expected: list[str]) -> None:
    result = wixarchive("export", "--db", str(db), "--format", "jsonl", *options(*dates), "-",
                        check=True)
    assert sorted(json.loads(line)["url"].rsplit("/", 1)[1]
                  for line in result.stdout.splitlines()) == expected


def test_the_posts_tables_date_and_year_facets_count_a_month_or_year_alone(
        tmp_path: Path) -> None:
    """Datasette's date facet (`_facet_date=published`, SQLite's date()) left out a post dated
    2024-06, counted one dated 2024 as the day -4707-06-09 (date() reads a number as a Julian
    day) and one at 23:30 -05:00 on 3 June as 4 June (date() converts to UTC). On the posts
    table it counts the days as the pages give them, a month or a year alone as itself."""
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(url=f"{SITE}/post/{slug}", title=slug, body_text="Text.",
                                       published=published)
                               for slug, published in [*DATED.items(),
                                                       ("late", "2024-06-03T23:30:00-05:00")]])
    client = Client(make_datasette(db))
    try:
        def facets(query: str) -> dict[str, dict[str, Any]]:
            response = client.get(f"/archive/posts.json?_size=0&{query}")
            assert response.status_code == 200, response.text
            return response.json()["facet_results"]

        def chosen(url: str) -> list[str]:
            parts = urlsplit(url)
            query = parts.query.replace("_size=0", "_shape=objects")
            response = client.get(f"{parts.path}?{query}")
            assert response.status_code == 200, response.text
            return sorted(row["title"] for row in response.json()["rows"])

        for query in ("_facet_date=published", "_facet_date=published&id__gte=0"):
            results = facets(query)
            years = {v["value"]: v["count"] for v in results["published_2"]["results"]}
            assert years == {"2024": 5, "2023": 1}, query  # the default year facet: all of them
            days = next(facet for facet in results.values() if facet["type"] == "date")
            assert {v["value"]: v["count"] for v in days["results"]} == {
                "2024-06-20": 1, "2024-06-03": 1, "2024-06": 1, "2024": 1, "2024-05-31": 1,
                "2023-12-01": 1}, query
            urls = {v["value"]: v["toggle_url"] for v in days["results"]}
            assert chosen(urls["2024-06"]) == ["month"]
            assert chosen(urls["2024"]) == ["year"]
            assert chosen(urls["2024-06-03"]) == ["late"]
    finally:
        client.close()
