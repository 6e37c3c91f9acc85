"""The canned queries of the web pages read the posts through an index: a query that reads
every post whole takes seconds on a big archive, and Datasette interrupts it at 1 s ("SQL
Interrupted": Recent posts per site, at 200,000 posts)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from archive.search.query import register_functions
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


def _archive_of_three(db: Path) -> None:
    with Archive.open(db) as archive:
        archive.save_articles([Article(
            url=f"https://a.example/post/p{n}", title=f"Post {n}", body_text=f"text {n}",
            language="en", published="2024-05-01", tags=["Garden", f"tag{n}"],
            categories=["Notes"]) for n in range(3)])


def _assert_facets_read_no_post_whole(db: Path, page: str) -> None:
    facets = [(sql, params) for sql, params in _page_queries(db, page)
              if re.search(r"\bas count\b", sql)]
    assert len(facets) == 6  # site, author, tags, categories, year, language
    with sqlite3.connect(db) as conn:
        register_functions(conn)  # the tag and category filters' name_case, as the web has it
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


@pytest.mark.parametrize("page", ["/archive/posts", "/archive/posts?site_id=1",
                                  "/archive/posts?_tag=garden&_category=notes",
                                  "/archive/posts?_sort=url",
                                  "/archive/posts?_sort_desc=last_changed",
                                  "/archive/posts?_sort_desc=published&site_id=1"])
def test_the_posts_pages_facets_read_no_post_whole(tmp_path: Path, page: str) -> None:
    """Each facet counts from an index or a join table, never from every posts row: a posts
    row holds the start of its body, and at 210,000 posts a facet that read them all ran past
    the 200 ms Datasette gives it ("These facets timed out: language, tags, categories").
    A sorted page too: its first page's token (sorted_pages.py) added a clause selecting every
    row, which SQLite answered by reading them all (every facet timed out at 200,000 posts)."""
    db = tmp_path / "archive.db"
    _archive_of_three(db)
    _assert_facets_read_no_post_whole(db, page)


def test_an_articles_tag_and_category_links_open_a_page_whose_facets_read_no_post_whole(
        tmp_path: Path) -> None:
    """The article page linked each tag to `?tags__arraycontains=`, which reads every post, and
    so do the facets of the page it filters: at 210,000 posts 5 or 6 of them timed out
    (docs/benchmarks.md). The table's tag and category filters are `?_tag=` and `?_category=`
    (list_facets.py); since 2026-12-07 the article links to the search page's `?tag=` and
    `?category=` (a reader's list of the posts), which reads the join tables too."""
    import asyncio

    import lxml.html

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    _archive_of_three(db)
    page = asyncio.run(make_datasette(db).client.get("/archive/-/post/1")).text
    links = [link for link in lxml.html.fromstring(page).xpath("//a/@href")
             if link.startswith("/archive/-/search?") and ("tag=" in link or "category=" in link)]
    site = "site=https%3A//a.example/"  # her blog's posts of that tag or category
    assert sorted(links) == [f"/archive/-/search?{site}&category=Notes",
                             f"/archive/-/search?{site}&tag=Garden",
                             f"/archive/-/search?{site}&tag=tag0"]
    for link in links:
        _assert_facets_read_no_post_whole(
            db, link.replace(f"/-/search?{site}&", "/posts?_"))


def test_the_whole_tables_years_are_counted_by_seeks_as_grouping_counts_them(
        tmp_path: Path) -> None:
    """The whole posts table's year facet seeks each year in posts_published and counts its
    range (grouping every post's year took 150-300 ms at 70,000 posts, past Datasette's 200 ms
    a facet on a loaded machine); its years and counts are those grouping gives."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    published = ["2019-05-01", "2019abc", "2019", "202", "May 2020", "", None, "2020-01-01T08:00",
                 "0999-01-01", "9999-12-31", "2020-02-29", "１９９９"]
    with Archive.open(db) as archive:
        archive.save_articles([Article(url=f"https://a.example/post/p{n}", title=f"Post {n}",
                                       body_text="text", published=value)
                               for n, value in enumerate(published)])
    datasette = make_datasette(db)

    def years(query: str) -> dict[str, int]:
        response = asyncio.run(datasette.client.get(f"/archive/posts.json?_size=0{query}"))
        return {v["value"]: v["count"]
                for v in response.json()["facet_results"]["published"]["results"]}

    assert years("") == years("&id__gte=0") == {"9999": 1, "2020": 2, "2019": 3, "0999": 1}
    whole = [(sql, params) for sql, params in _page_queries(db, "/archive/posts")
             if "substr(published" in sql]
    assert len(whole) == 1
    with sqlite3.connect(db) as conn:
        for sql, params in whole:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert not [step for step in plan if step.startswith("SCAN posts")], (sql, plan)


def test_a_where_clause_ending_in_a_comment_is_counted_as_the_filter_it_is(
        tmp_path: Path) -> None:
    """The whole table's year, tag and category facets are counted from indexes alone when
    the page's query reads as the whole table's; `?_where=1=0 -- from posts` ended as that
    one does, so the page showed no row beside every post's years and tags."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    _archive_of_three(db)
    datasette = make_datasette(db)
    for where, rows in (("1=0 -- from posts", 0), ("1=1 -- from posts", 3)):
        response = asyncio.run(datasette.client.get(
            "/archive/posts.json?_size=0&_where=" + where.replace(" ", "+").replace("=", "%3D")))
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["filtered_table_rows_count"] == rows
        counts = {name: sum(value["count"] for value in facet["results"])
                  for name, facet in data["facet_results"].items()
                  if name in ("published", "categories")}
        assert counts == {"published": rows, "categories": rows}, where


@pytest.mark.parametrize("page", [1, 2])
@pytest.mark.parametrize("column", ["published", "recorded_at"])
def test_the_posts_table_sorted_newest_first_reads_its_pages_in_index_order(
        tmp_path: Path, page: int, column: str) -> None:
    """`?_sort_desc=published` (newest first) asks for the rows after a key, ordering ties by
    id (sorted_pages.py; Datasette's own later pages): SQLite answered that by gathering every
    post older than the key through posts_published and sorting them all, 10.6 s at 152,000
    posts ("SQL Interrupted" on the first page as on each Next page). An index in that order
    (published descending, then id) reads just the page's rows: SQLite reads it so for pages
    of 7 rows or more (Datasette's pages are 100; a smaller `_size` still sorts). The same for
    recorded_at (v27), which a big archive did not sort by for that reason (0.6-0.9 s at
    210,000 posts)."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(url=f"https://a.example/post/p{n}", title=f"Post {n}",
                                       body_text=f"text {n}", published=f"2024-05-0{1 + n % 3}")
                               for n in range(30)])
    url = f"/archive/posts?_sort_desc={column}&_size=10"
    if page == 2:
        first = asyncio.run(make_datasette(db).client.get(url.replace("?", ".json?", 1)))
        url = first.json()["next_url"].replace("http://localhost", "").replace(".json", "")
    sorted_reads = [(sql, params) for sql, params in _page_queries(db, url)
                    if re.search(f"order by {column} desc", sql)]
    assert sorted_reads
    with sqlite3.connect(db) as conn:
        for sql, params in sorted_reads:
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)
            assert not [step for step in plan if "MULTI-INDEX OR" in step], (sql, plan)


def test_the_whole_tables_facet_counts_are_kept_until_the_archive_changes(
        tmp_path: Path) -> None:
    """The whole posts table's six facets, each an index read of every post, timed out at
    428,000 posts on a loaded machine at every visit (docs/benchmarks.md): they are counted
    once and kept until another connection commits a change (a crawl beside the server), which
    the next visit counts."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    _archive_of_three(db)
    datasette = make_datasette(db, num_sql_threads=1)  # one read connection: its statements seen
    ran: list[str] = []
    database = datasette.get_database("archive")

    def facets(page: str = "/archive/posts") -> dict[str, dict[str, int]]:
        path, _, query = page.partition("?")
        response = asyncio.run(datasette.client.get(f"{path}.json?_size=0&{query}"))
        assert response.status_code == 200, response.text
        return {name: {str(v["label"]): v["count"] for v in facet["results"]}
                for name, facet in response.json()["facet_results"].items()}

    asyncio.run(database.execute_fn(lambda conn: conn.set_trace_callback(ran.append)))
    first = facets()
    assert first["language"] == {"en": 3} and first["tags"]["Garden"] == 3
    assert len([sql for sql in ran if re.search(r"\bas count\b", sql)]) == 6
    ran.clear()
    assert facets() == first
    assert not [sql for sql in ran if re.search(r"\bas count\b", sql)], ran
    assert facets("/archive/posts?_sort=url") == first  # the sorted page's are the same
    with Archive.open(db) as archive:
        archive.save_articles([Article(url="https://a.example/post/he", title="שלום",
                                       body_text="שלום", language="he", tags=["Garden"])])
    changed = facets()
    assert changed["language"] == {"en": 3, "he": 1} and changed["tags"]["Garden"] == 4
    assert facets("/archive/posts?_sort_desc=last_changed") == changed


def test_a_facet_the_user_adds_is_kept_as_the_default_ones(tmp_path: Path) -> None:
    """`?_facet=reading_minutes` (a column's "Facet by this") reads every post whole: 612 ms
    at 173,000 posts, past Datasette's 200 ms a facet, so "These facets timed out" at every
    visit. On the whole posts table it is counted as the default facets are (once, with the
    page's time limit, kept until the archive changes); its links keep it and drop it."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(url=f"https://a.example/post/p{n}", title=f"Post {n}",
                                       body_text=f"text {n}", reading_minutes=2)
                               for n in range(3)])
    datasette = make_datasette(db, num_sql_threads=1)  # one read connection: its statements seen
    ran: list[str] = []
    database = datasette.get_database("archive")

    def page(query: str) -> dict:
        response = asyncio.run(datasette.client.get(f"/archive/posts.json?_size=0&{query}"))
        assert response.status_code == 200, response.text
        return response.json()

    def counted() -> list[str]:
        return [sql for sql in ran if re.search(r"\breading_minutes as value\b", sql)]

    asyncio.run(database.execute_fn(lambda conn: conn.set_trace_callback(ran.append)))
    asked = page("_facet=reading_minutes")
    facet = asked["facet_results"]["reading_minutes"]
    assert [(v["value"], v["count"]) for v in facet["results"]] == [(2, 3)]
    assert facet["hideable"] and "reading_minutes" not in facet["toggle_url"]
    assert [name for name in asked["facet_results"] if name.startswith("reading")] \
        == ["reading_minutes"]  # once, not beside Datasette's own
    assert len(counted()) == 1
    ran.clear()
    again = page("_facet=reading_minutes")
    assert again["facet_results"] == asked["facet_results"] and not counted(), ran
    chosen = facet["results"][0]["toggle_url"].split("/archive/posts.json", 1)[1]
    kept = asyncio.run(datasette.client.get(f"/archive/posts.json{chosen}")).json()
    assert kept["facet_results"]["reading_minutes"]["results"][0]["selected"]
    assert kept["filtered_table_rows_count"] == 3
    with Archive.open(db) as archive:
        archive.save_articles([Article(url="https://a.example/post/long", title="Long",
                                       body_text="word " * 900, reading_minutes=5)])
    facet = page("_facet=reading_minutes")["facet_results"]["reading_minutes"]
    assert [(v["value"], v["count"]) for v in facet["results"]] == [(2, 3), (5, 1)]


@pytest.mark.parametrize("order", ["_sort", "_sort_desc"])
def test_a_big_archives_posts_table_sorts_only_by_columns_an_index_keeps_in_order(
        tmp_path: Path, order: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sorted by a column without an index, a page sorts every post whole: at 200,000 posts
    `?_sort=word_count` was "SQL Interrupted" (1 s) and `?_sort=title` took 0.3-0.9 s. An
    archive that big (here: the threshold lowered to its three posts) offers the sorts an
    index serves (each page's plan sorts no more than the ties of one value) and answers
    another with a 400 saying which there are and why."""
    import asyncio

    from archive.cli.serve import make_datasette
    from archive.web.metadata import SORTABLE_POSTS

    monkeypatch.setenv("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", "3")
    db = tmp_path / "archive.db"
    _archive_of_three(db)
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(posts)")}
        for column in SORTABLE_POSTS:
            (sql, params), = [(sql, params) for sql, params in _page_queries(
                db, f"/archive/posts?{order}={column}&_nofacet=1") if " limit 101" in sql]
            plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan, (column, sql, plan)
    datasette = make_datasette(db)
    for column in sorted(columns - set(SORTABLE_POSTS)):
        for page in (f"/archive/posts?{order}={column}", f"/archive/posts.json?{order}={column}"):
            response = asyncio.run(datasette.client.get(page))
            assert response.status_code == 400, (page, response.status_code)
            assert "in an archive of 3 posts or more, posts sort by id, site_id, url, " \
                "published" in response.text, page
    assert asyncio.run(datasette.client.get(f"/archive/sites.json?{order}=url")).status_code \
        == 200  # the other tables are left as Datasette sorts them


def test_a_big_archive_sorts_by_when_each_change_was_stored_once_an_index_keeps_it_in_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big archive's posts table answered `?_sort_desc=recorded_at` (the posts changed
    last, first) 400, "Cannot sort table by recorded_at", for want of an index in that order:
    v27's. An archive from before v27 (served as it is) still refuses it, naming the others."""
    import asyncio

    from archive.cli.serve import make_datasette

    monkeypatch.setenv("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", "3")
    db = tmp_path / "archive.db"
    _archive_of_three(db)
    with sqlite3.connect(db) as conn:  # its change stored last (a second later than the others)
        conn.execute("UPDATE posts SET recorded_at = '2099-01-01T00:00:00+00:00' WHERE id = 2")
    conn.close()

    def sorted_titles() -> tuple[int, Any]:
        response = asyncio.run(make_datasette(db).client.get(
            "/archive/posts.json?_sort_desc=recorded_at&_col=title&_shape=objects"))
        rows = response.json().get("rows") if response.status_code == 200 else response.text
        return response.status_code, rows

    status, rows = sorted_titles()
    assert status == 200 and rows[0]["title"] == "Post 1", rows
    with sqlite3.connect(db) as conn:  # as v26 left it
        conn.execute("DROP INDEX posts_recorded_newest")
        conn.execute("DROP INDEX recovered_record")  # v28's
        conn.execute("PRAGMA user_version = 26")
    conn.close()
    status, text = sorted_titles()
    assert status == 400
    assert "posts sort by id, site_id, url, published, last_changed, the columns" in text


@pytest.mark.parametrize("order", ["_sort", "_sort_desc"])
def test_a_small_archives_posts_table_sorts_by_every_column(
        tmp_path: Path, order: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nearly every archive is one blog of 50 to 2,000 posts, where a sort by title or
    word_count takes milliseconds: below the threshold every column sorts, each heading a
    link, the column-menu script left out. One grown past it while served (a crawl beside
    `serve`) is counted again once it changed: it kept sorting by every column until the server
    restarted, the sorts that run past the time limit too."""
    import asyncio

    from archive.cli.serve import make_datasette

    monkeypatch.setenv("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", "4")
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([Article(
            url=f"https://a.example/post/p{n}", title=title, author=author,
            body_text=" ".join(["word"] * words), published="2024-05-01")
            for n, (title, author, words) in enumerate(
                [("Beans", "Cy", 30), ("Apples", "Ann", 10), ("Carrots", "Bob", 20)])])
    datasette = make_datasette(db)

    def column(name: str, page: str = "") -> list[object]:
        response = asyncio.run(datasette.client.get(
            f"/archive/posts.json?{order}={name}&_shape=objects{page}"))
        assert response.status_code == 200, (name, response.text)
        return [row[name] for row in response.json()["rows"]]

    expected = {"title": ["Apples", "Beans", "Carrots"], "author": ["Ann", "Bob", "Cy"],
                "word_count": [10, 20, 30]}
    for name, values in expected.items():
        assert column(name) == (values if order == "_sort" else values[::-1]), name
    page = asyncio.run(datasette.client.get(f"/archive/posts?{order}=word_count")).text
    for name in ("title", "author", "word_count", "reading_minutes"):  # headings link sorts
        assert re.search(f'data-column="{name}"[^>]*>\\s*<a href="[^"]*;_sort(_desc)?={name}"',
                         page), name
    assert "wixarchive-columns.js" not in page
    with Archive.open(db) as archive:  # past the threshold, the server still running
        archive.save_articles([Article(url="https://a.example/post/p9", title="Dates",
                                       body_text="word", published="2024-05-01")])
    assert asyncio.run(datasette.client.get(f"/archive/posts.json?{order}=title")) \
        .status_code == 400
    page = asyncio.run(datasette.client.get("/archive/posts")).text
    assert "wixarchive-columns.js" in page and not re.search(
        'data-column="title"[^>]*>\\s*<a href=', page)
    assert column("published") == ["2024-05-01"] * 4  # the indexed sorts still answer


@pytest.mark.parametrize("threshold", ["4", "3"])
def test_a_sort_by_no_column_of_the_posts_table_says_so_not_that_the_archive_is_big(
        tmp_path: Path, threshold: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`?_sort=wordcount` (no such column) is the user's mistake, answered 400 with Datasette's
    "Cannot sort table by wordcount". Until 2026-12-07 the answer went on "in an archive of
    50,000 posts or more ... posts sort by id, site_id, url, published, last_changed" in an
    archive of 3 posts, which sorts by every column; a big archive's answer names its sorts."""
    import asyncio

    from archive.cli.serve import make_datasette

    monkeypatch.setenv("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", threshold)
    db = tmp_path / "archive.db"
    _archive_of_three(db)
    datasette = make_datasette(db)
    for order in ("_sort", "_sort_desc"):
        response = asyncio.run(datasette.client.get(f"/archive/posts.json?{order}=wordcount"))
        assert response.status_code == 400
        assert "Cannot sort table by wordcount" in response.text
        assert "posts or more" not in response.text
        if threshold == "3":  # a big archive: which sorts there are
            assert "sort by id, site_id, url, published, last_changed" in response.text


@pytest.mark.parametrize("asked", ["_facet=author", "_facet=site_id", "_facet=tags",
                                   "_facet=categories", "_facet_counted=author",
                                   "_facet=tags&_facet=author"])
def test_a_facet_the_user_adds_on_a_default_facets_column_is_shown_once(
        tmp_path: Path, asked: str) -> None:
    """`?_facet=author` (a column menu's "Facet by this" on a column faceted already) showed it
    twice (`author` and `author_2`), and `?_facet=tags` counted the posts' raw JSON strings
    (`["Garden", "Yoga"]` one value) beside the default facet counting each tag."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url="https://a.example/post/one", title="One", body_text="one",
                    author="Ann", tags=["Garden", "Yoga"], categories=["Home"]),
            Article(url="https://a.example/post/two", title="Two", body_text="two",
                    author="Ann", tags=["Garden"], categories=["Home"])])
    datasette = make_datasette(db)
    default = asyncio.run(datasette.client.get("/archive/posts.json?_size=0")).json()
    default_page = asyncio.run(datasette.client.get("/archive/posts")).text
    for path in (f"/archive/posts.json?_size=0&{asked}", f"/archive/posts?{asked}"):
        response = asyncio.run(datasette.client.get(path))
        assert response.status_code == 200, response.text
        if path.endswith(asked) and ".json" in path:
            results = response.json()["facet_results"]
            assert list(results) == list(default["facet_results"])
            assert results == default["facet_results"]
            counts = {v["value"]: v["count"] for v in results["tags"]["results"]}
            assert counts == {"Garden": 2, "Yoga": 1}
        else:
            assert response.text.count('class="facet-info ') == default_page.count(
                'class="facet-info ') == 6, asked  # the default facets, each once


def test_a_published_facet_beside_the_year_facet_is_labelled_as_dates(tmp_path: Path) -> None:
    """`?_facet=published` (whole dates: which days posts came out) beside the default year
    facet on the same column was headed "published" after "published (year)", as if the same
    facet were shown twice (its JSON key `published_2`): it is headed "published (date)"."""
    import asyncio

    from archive.cli.serve import make_datasette

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url=f"https://a.example/post/{n}", title=f"Post {n}", body_text="text",
                    published=published)
            for n, published in enumerate(["2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z",
                                           "2023-07-15T10:00:00Z"])])
    datasette = make_datasette(db)
    results = asyncio.run(datasette.client.get(
        "/archive/posts.json?_size=0&_facet=published")).json()["facet_results"]
    published = {results[key]["type"]: results[key] for key in ("published", "published_2")}
    assert set(published) == {"year", "date"}
    assert [(v["value"], v["count"]) for v in published["date"]["results"]] == [
        ("2024-03-01T09:00:00Z", 2), ("2023-07-15T10:00:00Z", 1)]
    page = asyncio.run(datasette.client.get("/archive/posts?_facet=published")).text
    headings = re.findall(r"<strong>(published[^<]*?)\s*<span", page)
    assert sorted(headings) == ["published (date)", "published (year)"], headings
