"""The Datasette pages, metadata and endpoints wixarchive adds, through Datasette's test client."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import html
import importlib.metadata
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest

from archive.store import Archive
from crawler.extract.record import Article

pytest.importorskip("datasette")

from datasette.app import Datasette

from archive.cli.serve import make_datasette
from tests.damage import overwrite_pages

YOGA = "https://ann.wixsite.com/yoga"
COOK = "https://www.cook-example.com"
XSS_BODY = ('<p>Breathe slowly.</p><script>alert("x")</script>'
            '<img src="https://static.wixstatic.com/media/a.jpg" onerror="alert(1)">'
            '<a href="javascript:alert(2)">click</a><iframe src="https://evil.test/"></iframe>')


def article(site: str, slug: str, **fields: Any) -> Article:
    values: dict[str, Any] = {
        "title": f"Post {slug}", "author": "Ann Example", "published": "2024-05-01T08:00:00Z",
        "tags": ["Yoga"], "categories": ["Practice"], "language": "en",
        "body_text": f"Body of {slug}.", "body_html": f"<p>Body of {slug}.</p>",
        "body_markdown": f"Body of {slug}.", "site_name": None,
    }
    values.update(fields)
    return Article(url=f"{site}/post/{slug}", **values)


def make_archive(path: Path, extra: int = 0) -> Path:
    """Two sites; a title match, a body-only match, an XSS body, a changed and a deleted post."""
    with Archive.open(path) as archive:
        archive.save_article(article(
            YOGA, "breathing", title="Breathing for beginners", published="2023-03-01T08:00:00Z",
            body_text="Sit down. Close your eyes.", body_html="<p>Sit down.</p>",
            tags=["Yoga", "Health"], site_name="Ann's yoga",
            cover_image="https://static.wixstatic.com/media/cover.jpg",
            images=["https://static.wixstatic.com/media/a.jpg"]),
            fetched_at="2024-01-01T00:00:00+00:00")
        archive.save_article(article(
            YOGA, "evening", title="Evening routine", body_text="Remember breathing deeply.",
            body_html=XSS_BODY, author="Bob Builder", language="fr"),
            fetched_at="2024-01-01T00:00:00+00:00")
        archive.save_article(article(
            COOK, "bread", title="Bread <script>alert(3)</script>", tags=["Baking"],
            categories=["Recipes"], published="2024-06-01T08:00:00Z",
            body_text="Knead the dough. Breathing is optional.", body_html="<p>Knead.</p>"),
            fetched_at="2024-01-01T00:00:00+00:00")
        # A second version of the evening post, and a deleted post.
        archive.save_article(article(
            YOGA, "evening", title="Evening routine, revised", body_text="Remember breathing.",
            body_html="<p>Version two body.</p>", author="Bob Builder", language="fr"),
            fetched_at="2024-02-01T00:00:00+00:00")
        archive.save_article(article(YOGA, "gone", title="Gone post", body_text="Old words."),
                             fetched_at="2024-01-01T00:00:00+00:00")
        archive.mark_deleted(f"{YOGA}/post/gone", when="2024-03-01T00:00:00+00:00")
        for n in range(extra):
            archive.save_article(article(COOK, f"filler-{n}", body_text=f"Filler {n}."),
                                 fetched_at="2024-01-01T00:00:00+00:00")
    return path


class Client:
    """Datasette's own test client, driven from synchronous tests on one event loop."""

    def __init__(self, datasette: Datasette) -> None:
        self.ds = datasette
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(datasette.invoke_startup())

    def get(self, path: str) -> Any:
        return self.loop.run_until_complete(self.ds.client.get(path))

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        for db in self.ds.databases.values():
            db.close()
        self.loop.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return make_archive(tmp_path / "blogs.db")


@pytest.fixture
def client(db_path: Path) -> Iterator[Client]:
    c = Client(make_datasette(db_path))
    yield c
    c.close()


def post_id(db_path: Path, slug: str) -> int:
    with Archive.open(db_path, readonly=True) as archive:
        for site in (YOGA, COOK):
            post = archive.post(f"{site}/post/{slug}")
            if post:
                return post["id"]
    raise AssertionError(slug)


# -- plugin registration and metadata ---------------------------------------------------------

def test_plugin_is_a_datasette_entry_point_and_plain_datasette_gets_the_pages(
        db_path: Path) -> None:
    points = importlib.metadata.entry_points(group="datasette")
    assert any(p.name == "wixarchive" and p.value == "archive.web.plugin" for p in points)
    # No make_datasette here: what `datasette blogs.db` does once the project is installed.
    c = Client(Datasette(files=[str(db_path)]))
    try:
        assert c.get("/blogs/-/search?q=breathing").status_code == 200
        meta = c.get("/-/metadata.json").json()
        assert "title" not in meta  # the instance title is serve's; the database's is ours
        assert meta["databases"]["blogs"]["tables"]["posts"]["fts_table"] == "posts_fts"
        tables = c.get("/blogs.json").json()["tables"]
        assert {t["name"] for t in tables} >= {"posts", "sites", "post_versions"}
    finally:
        c.close()


def test_every_table_and_column_has_a_title_and_description(client: Client,
                                                             db_path: Path) -> None:
    meta = client.get("/-/metadata.json").json()
    assert meta["title"] == "wixarchive" and meta["license"] and meta["source"]
    database = meta["databases"]["blogs"]
    assert database["license"] and database["source"]
    assert YOGA + "/" in database["description"]
    page = client.get("/blogs").text
    assert 'href="/blogs/-/search"' in page and "Recent posts per site" in page
    # The ranked search is in the menu, the database actions and the posts table's actions.
    assert "Search blogs (ranked)" in client.get("/").text
    assert "Ranked search with highlighted snippets" in client.get("/blogs/posts").text
    assert "Ranked search with highlighted snippets" not in client.get("/blogs/tags").text
    conn = sqlite3.connect(db_path)
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE 'posts_fts_%' AND name NOT LIKE 'posts_cjk_%' "
        "AND name NOT LIKE 'posts_unmarked_%' "
        "OR name = 'posts_fts_vocab'")]
    for name in names:
        assert name in database["tables"], f"table {name} has no metadata in archive/web"
        table = database["tables"][name]
        assert table["title"] and table["description"], name
        if name == "posts_fts":
            continue
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({name})")]
        assert set(table["columns"]) == set(columns), name
    conn.close()


def test_posts_table_has_facets_and_datasette_search_configured(client: Client) -> None:
    data = client.get("/blogs/posts.json?_size=0").json()
    facets = data["facet_results"]
    assert {"site_id", "author", "tags", "categories", "language", "published"} <= set(facets)
    assert facets["published"]["type"] == "year"
    years = {v["value"]: v["count"] for v in facets["published"]["results"]}
    assert years == {"2023": 1, "2024": 3}
    tag_counts = {v["value"]: v["count"] for v in facets["tags"]["results"]}
    assert tag_counts["Yoga"] == 3 and tag_counts["Baking"] == 1
    # Choosing a year filters the table.
    chosen = client.get("/blogs/posts.json?published__startswith=2023&_shape=array").json()
    assert [p["title"] for p in chosen] == ["Breathing for beginners"]
    # Datasette's own table search uses the FTS index.
    rows = client.get("/blogs/posts.json?_search=knead&_shape=array").json()
    assert [r["url"] for r in rows] == [f"{COOK}/post/bread"]


def test_the_posts_tables_search_reads_operators_and_left_out_words_as_the_ranked_search(
        client: Client) -> None:
    # Datasette's table search quoted every word: "breathing -knead" asked for the posts WITH
    # knead (a quoted -knead is the word knead), "breathing OR knead" for the word "or" too.
    def slugs(search: str, extra: str = "") -> list[str]:
        rows = client.get(f"/blogs/posts.json?_search={quote(search)}{extra}&_shape=array"
                          "&_sort=id").json()
        return sorted(r["url"].rsplit("/", 1)[1] for r in rows)

    def ranked(search: str) -> list[str]:
        hits = client.get(f"/blogs/-/search.json?q={quote(search)}").json()["hits"]
        return sorted(h["url"].rsplit("/", 1)[1] for h in hits)

    for search, expected in (("breathing -knead", ["breathing", "evening"]),
                             ("breathing NOT knead", ["breathing", "evening"]),
                             ("remember OR knead", ["bread", "evening"]),
                             ("knea*", ["bread"]), ("title:breathing", ["breathing"]),
                             ('"close your eyes"', ["breathing"]),
                             ("breathing", ["bread", "breathing", "evening"])):
        assert slugs(search) == expected == ranked(search), search
    # Paged and streamed as the page asks (its _next and CSV links keep the raw mode).
    first = client.get(f"/blogs/posts.json?_search={quote('breathing -knead')}&_size=1").json()
    second = client.get(first["next_url"].replace("http://localhost", "")).json()
    assert len(first["rows"]) == len(second["rows"]) == 1 and second["next_url"] is None
    streamed = client.get(f"/blogs/posts.csv?_search={quote('breathing -knead')}&_stream=on")
    assert len(list(csv.DictReader(io.StringIO(streamed.text)))) == 2
    # What FTS5 cannot parse is searched as its words, as Datasette did: no error page.
    assert client.get(f"/blogs/posts.json?_search={quote('breathing AND')}").status_code == 200
    # FTS5 syntax reads -knead as a column to leave out, where the ranked search says to write
    # NOT knead; the box searched `breath* -knead` as its words, finding the posts WITH knead.
    assert "write NOT knead" in client.get(
        f"/blogs/-/search.json?q={quote('breath* -knead')}").text
    assert slugs("breath* -knead") == ["breathing", "evening"] == ranked("breath* NOT knead")
    assert slugs("breathing AND -knead") == ["breathing", "evening"]


def test_a_sorted_posts_table_pages_through_every_post_once(tmp_path: Path) -> None:
    # Datasette ordered a sorted table's first page by the sort column alone, the later pages
    # by it and the id: ties read from an index (posts_site: site, then date; posts_language
    # read backwards for a descending sort) came in another order, so paging with next_url
    # repeated some posts and never listed others.
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        for n in range(30):
            archive.save_article(article(
                YOGA if n % 2 else COOK, f"p{n}", language="en" if n % 3 else "fr",
                published=f"2024-{12 - n % 12:02d}-{28 - n:02d}T08:00:00Z"),
                fetched_at="2024-01-01T00:00:00+00:00")
    client = Client(make_datasette(db))
    try:
        for sort in ("_sort=site_id", "_sort_desc=site_id", "_sort_desc=language",
                     "_sort=language", "_sort_desc=published", "_search=body&_sort=site_id"):
            ids, url = [], f"/blogs/posts.json?{sort}&_size=4&_shape=objects"
            while url:
                page = client.get(url.replace("http://localhost", "")).json()
                ids += [row["id"] for row in page["rows"]]
                url = page["next_url"]
            assert sorted(ids) == list(range(1, 31)), sort
        # The page links and exports without the first page's token (a "stream all rows" CSV
        # refuses _next: a facet's link kept the ascending one, URL-encoded, and its page's
        # CSV export failed), and its Next links page through every post once too.
        for sort in ("_sort_desc=language", "_sort=language"):
            ids, url = [], f"/blogs/posts?{sort}&_size=4"
            while url:
                page = client.get(url).text
                assert not re.search(r'_next(=|" value=")[^&"]*9223372036854775808', page), url
                ids += [int(i) for i in re.findall(r'<a href="/blogs/posts/(\d+)">', page)]
                found = re.search(r'<a href="([^"]*)">Next page</a>', page)
                url = html.unescape(found.group(1)).replace("http://localhost", "") \
                    if found else None
            assert sorted(ids) == list(range(1, 31)), sort
        # A sorted table's streamed CSV (which refuses _next) holds every row once, as the
        # unsorted one does: pages of 4 rows here, the rows and labels Datasette writes.
        def rows(url: str) -> list[list[str]]:
            return list(csv.reader(io.StringIO(client.get(url).text, newline="")))

        for sort in ("_sort_desc=language", "_sort=site_id"):
            streamed = rows(f"/blogs/posts.csv?{sort}&_stream=on&_size=4&_labels=on")
            assert streamed[0][:3] == ["id", "site_id", "site_id_label"]
            assert sorted(streamed) == sorted(rows("/blogs/posts.csv?_stream=on&_labels=on"))
    finally:
        client.close()


def test_a_sorted_first_pages_sql_link_lists_its_rows_without_the_plugins_parameters(
        tmp_path: Path) -> None:
    # The first page is asked for after a key before every row (sorted_pages.py): its "View and
    # edit SQL" link showed that clause and its parameters (`p0=-9223372036854775808`, sixteen
    # U+10FFFF for a descending sort) to a user about to edit the query.
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        for n in range(12):
            archive.save_article(article(YOGA if n % 2 else COOK, f"p{n}",
                                         language="en" if n % 3 else "fr",
                                         author="Ann" if n % 4 else "Bob"),
                                 fetched_at="2024-01-01T00:00:00+00:00")
    client = Client(make_datasette(db))
    try:
        for sort, filters in (("_sort=site_id", []), ("_sort_desc=language", []),
                              ("_sort=language&author=Ann", [("p0", "Ann")])):
            page = client.get(f"/blogs/posts?{sort}&_size=4").text
            (href,) = re.findall(r'<a [^>]*href="([^"]*)"[^>]*>[^<]*<span[^>]*>View and edit SQL',
                                 page)
            path, _, query = html.unescape(href).partition("?")
            (key, sql), *params = parse_qsl(query, keep_blank_values=True)
            assert path == "/blogs" and key == "sql" and params == filters, (sort, params)
            assert not any(token in page for token in (
                "9223372036854775808", "\U0010ffff", "%F4%8F%BF%BF")), sort
            assert f'title="{html.escape(sql)}"' in page.replace("&#34;", "&quot;").replace(
                "&#39;", "&#x27;"), sort
            # It is the page's query: its rows, in its order (ties by id).
            shown = [row["id"] for row in client.get(
                f"/blogs/posts.json?{sort}&_size=4&_shape=objects").json()["rows"]]
            ran = client.get(f"/blogs.json?{query}&_shape=objects").json()["rows"]
            assert [row["id"] for row in ran][:4] == shown, (sort, sql)
    finally:
        client.close()


def test_a_sorted_table_of_the_users_with_a_text_key_lists_every_row(db_path: Path) -> None:
    # The first page's token carries the lowest integer key, which Datasette compares with a
    # text key as text: '#n' sorts before it, so its row without a sort value was left out.
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE notes (k TEXT PRIMARY KEY, g INTEGER)")
        conn.executemany("INSERT INTO notes VALUES (?, ?)",
                         [("#n", None), ("z", None), ("#a", 1), ("b", 1), ("a", 2)])
    conn.close()
    client = Client(make_datasette(db_path))
    try:
        for sort in ("_sort=g", "_sort_desc=g"):
            keys, url = [], f"/blogs/notes.json?{sort}&_size=2&_shape=objects"
            while url:
                page = client.get(url.replace("http://localhost", "")).json()
                keys += [row["k"] for row in page["rows"]]
                url = page["next_url"]
            assert sorted(keys) == ["#a", "#n", "a", "b", "z"], sort
            # The HTML page without the first page's token (its key, '', ends it), its Next
            # link whole.
            html_page = client.get(f"/blogs/notes?{sort}&_size=2").text
            assert not re.search(r'_next=[^&"]*(%2C|,)(&|")', html_page), sort
            assert re.search(r'_next=[^&"]*(%2C|,)[^&"]+[&"][^>]*>Next page', html_page), sort
    finally:
        client.close()


def test_choosing_a_tag_or_category_filters_the_posts_table(client: Client) -> None:
    data = client.get("/blogs/posts.json?_size=0").json()
    yoga = next(v for v in data["facet_results"]["tags"]["results"] if v["value"] == "Yoga")
    assert data["facet_results"]["tags"]["type"] == "list" and not yoga["selected"]
    assert yoga["toggle_url"].endswith("&_tag=Yoga")
    # Case-insensitive, as tags are; each name given is required.
    rows = client.get("/blogs/posts.json?_tag=yoga&_category=practice&_shape=array").json()
    assert sorted(r["title"] for r in rows) == ["Breathing for beginners", "Evening routine, "
                                                "revised", "Gone post"]
    both = client.get("/blogs/posts.json?_tag=yoga&_tag=health&_shape=array").json()
    assert [r["title"] for r in both] == ["Breathing for beginners"]
    assert client.get("/blogs/posts.json?_tag=yoga&_category=recipes&_shape=array").json() == []
    chosen = client.get("/blogs/posts.json?_tag=Baking&_size=0").json()
    assert chosen["filtered_table_rows_count"] == 1
    baking = chosen["facet_results"]["tags"]["results"]
    assert [(v["value"], v["count"], v["selected"]) for v in baking] == [("Baking", 1, True)]
    categories = chosen["facet_results"]["categories"]["results"]
    assert [(v["value"], v["count"]) for v in categories] == [("Recipes", 1)]
    page = client.get("/blogs/posts?_tag=Baking").text
    assert "1 row where tags has &#34;Baking&#34;" in page


def test_post_titles_in_the_table_link_to_the_article_page(client: Client,
                                                           db_path: Path) -> None:
    html = client.get("/blogs/posts").text
    assert f'href="/blogs/-/post/{post_id(db_path, "breathing")}"' in html
    assert "<script>alert(3)" not in html


def test_the_year_facet_reads_published_year_once(client: Client) -> None:
    html = client.get("/blogs/posts").text
    assert "<strong>published (year)\n" in html and "(year) (year)" not in html


def test_posts_table_page_leaves_out_the_bodies_and_the_column_list(client: Client,
                                                                     db_path: Path) -> None:
    breathing = post_id(db_path, "breathing")
    page = client.get("/blogs/posts").text
    assert 'data-column="title"' in page
    assert not {'data-column="body"', 'data-column="body_html"',
                'data-column="body_markdown"'} & set(page.split())
    assert "Sit down. Close your eyes." not in page
    # Each column's description is in its header (the ⚙ menu), not in Datasette's open list
    # above the rows (the collapsed Column notes hold them too: test_web_a11y.py).
    assert 'class="column-descriptions"' not in page
    assert 'data-column-description="Title"' in page
    meta = client.get("/-/metadata.json").json()["databases"]["blogs"]["tables"]["posts"]
    assert meta["columns"]["id"].startswith("Post id (links to the post's row;")
    assert f'<a href="/blogs/posts/{breathing}">{breathing}</a>' in page  # id: the row page
    # Hiding another column from its menu keeps the bodies hidden.
    fewer = client.get("/blogs/posts?_nocol=author").text
    assert 'scope="col" data-column="author"' not in fewer  # the facet keeps its name
    assert 'data-column="body"' not in fewer
    # The page's own JSON and CSV links follow the columns shown, as its description says.
    links = [link for link in page.split('"') if link.startswith(("/blogs/posts.json?",
                                                                   "/blogs/posts.csv?"))]
    assert links and all("_nocol=body&amp;" in link for link in links)
    assert "and so of its JSON and CSV links" in meta["description"]
    # The description is for someone new to Datasette: what the table is, how to search and
    # filter it, where the article is; the one technical hint (_nocol) comes last, short.
    said = meta["description"]
    assert said.startswith("Every archived post, one row each")
    assert html.escape(said.split(". ")[0]) in page
    assert said.index("search box") < said.index("facets") < said.index("read it as an article")
    hint = next(s for s in said.split(". ") if "_nocol" in s)
    assert said.index(hint) > said.index("read it as an article") and len(hint) < 160
    assert "body_html" not in said
    # Asked for by name, on the row page, in the JSON and in the CSV, the bodies are there.
    chosen = client.get("/blogs/posts?_col=title&_col=body").text
    assert 'data-column="body"' in chosen and "Sit down. Close your eyes." in chosen
    assert "Sit down. Close your eyes." in client.get(f"/blogs/posts/{breathing}").text
    rows = client.get("/blogs/posts.json?_shape=array").json()
    assert all({"body", "body_html", "body_markdown"} <= set(row) for row in rows)
    header = client.get("/blogs/posts.csv").text.splitlines()[0].split(",")
    assert {"body", "body_html", "body_markdown"} <= set(header)


def test_canned_query_titles_link_to_the_article_page(client: Client, db_path: Path) -> None:
    gone, evening = post_id(db_path, "gone"), post_id(db_path, "evening")
    for path, post in (("/blogs/deleted_posts", gone), ("/blogs/recent_posts", evening),
                       ("/blogs/changed_since?since=2024-02-01", evening)):
        page = client.get(path)
        assert page.status_code == 200, path
        assert f'<a href="/blogs/-/post/{post}">' in page.text, path
    assert "Bread &lt;script&gt;" in client.get("/blogs/recent_posts").text
    # Only a post_id names a post: a version's own id is no article's.
    versions = client.get("/blogs?sql=select+id,+title+from+post_versions").text
    assert "/-/post/" not in versions


def test_home_page_lists_the_posts_sites_and_crawl_runs(client: Client) -> None:
    home = client.get("/").text
    # The ranked search is linked on the page itself: a first-time user looked for it in vain
    # (it was only in the ☰ menu, which the description sent her to).
    assert '<a href="/blogs/-/search">Search the posts</a>' in home
    assert "Search in the menu" not in home
    assert client.get("/blogs/-/search").status_code == 200
    for table in ("posts", "sites", "crawl_runs"):
        assert f'href="/blogs/{table}"' in home, table
    for internal in ("captures", "post_tags", "post_categories", "posts_fts_data"):
        assert f'href="/blogs/{internal}"' not in home, internal
    # What the archive holds, in its own words: it read "7 rows in 4 tables, 54 rows in 34
    # hidden tables, 2 views", the schema's internals.
    assert ('<p class="wxa-holdings">4 posts from 2 sites (Ann&#39;s yoga, '
            f'{COOK}/), 5 versions kept (1 deleted from their sites).</p>') in home, home
    assert "rows in" not in home and "hidden table" not in home
    for page in ("post_versions", "crawl_runs"):
        assert client.get(f"/blogs/{page}").status_code == 200
    # Hidden, not gone: the table pages and the queries reading them still answer.
    assert client.get("/blogs/post_tags").status_code == 200
    assert client.get("/blogs/tag_counts.json?_shape=array").json()[0]["tag"] == "Yoga"


def test_the_front_page_counts_a_crawl_beside_the_server_and_a_template_dir_wins(
        tmp_path: Path, db_path: Path) -> None:
    c = Client(make_datasette(db_path))
    try:
        assert "4 posts from 2 sites" in c.get("/").text
        with Archive.open(db_path) as archive:  # a crawl beside the server, writing
            archive.save_article(article(COOK, "scones"), fetched_at="2024-03-01T00:00:00+00:00")
            archive.conn.execute("UPDATE sites SET last_crawled = '2024-03-01T10:20:30+00:00'")
        assert ("5 posts from 2 sites (Ann&#39;s yoga, https://www.cook-example.com/), 6 "
                "versions kept (1 deleted from their sites); last crawled 2024-03-01 10:20 "
                "UTC.") in c.get("/").text
        with Archive.open(db_path) as archive:  # a study's site that answered 500, and one more
            for site in ("https://failing.example/", "https://plain.example/"):
                archive.finish_run(archive.start_run(site), status="failed", counts={},
                                   errors=["HTTP 500"])
        assert ("5 posts from 2 sites (Ann&#39;s yoga, https://www.cook-example.com/), 6 "
                "versions kept (1 deleted from their sites); 2 more sites crawled with no post; "
                "last crawled") in c.get("/").text
    finally:
        c.close()
    empty = Archive.open(tmp_path / "empty.db")
    empty.close()
    c = Client(make_datasette(tmp_path / "empty.db"))
    try:
        assert "Empty: no site crawled yet." in c.get("/").text
    finally:
        c.close()
    # A user's own front page (`datasette --template-dir`) is the one shown.
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.html").write_text("<p>My own front page</p>")
    c = Client(Datasette(files=[str(db_path)], template_dir=str(templates)))
    try:
        home = c.get("/").text
        assert "My own front page" in home and "posts from" not in home
    finally:
        c.close()


# -- ranked search page ----------------------------------------------------------------------

def test_search_ranks_title_matches_first_and_highlights_snippets(client: Client) -> None:
    response = client.get("/blogs/-/search?q=breathing")
    assert response.status_code == 200
    html = response.text
    first = html.index("Breathing for beginners")
    assert first < html.index("Evening routine") and first < html.index("Knead the dough")
    assert "<mark>breathing</mark>" in html
    assert "<script>alert(3)" not in html and "Bread &lt;script&gt;" in html


def test_search_json_and_filters_match_the_cli(client: Client) -> None:
    def urls(query: str) -> list[str]:
        response = client.get(f"/blogs/-/search.json?{query}")
        assert response.status_code == 200, response.text
        return [hit["url"].rsplit("/", 1)[1] for hit in response.json()["hits"]]

    assert urls("q=breathing") == ["breathing", "evening", "bread"]
    assert urls("q=breathing&site=cook-example") == ["bread"]
    assert urls("q=breathing&author=bob") == ["evening"]
    assert urls("q=breathing&tag=health") == ["breathing"]
    assert urls("q=breathing&category=recipes") == ["bread"]
    assert urls("q=breathing&since=2024-06") == ["bread"]
    assert urls("q=breathing&until=2023") == ["breathing"]
    assert urls("q=breathing&lang=fr") == ["evening"]
    assert urls('q=title:breathing') == ["breathing"]
    hits = client.get("/blogs/-/search.json?q=breathing").json()["hits"]
    assert hits[0]["snippet"] and hits[0]["rank"] <= hits[1]["rank"]
    assert urls("q=breathing&deleted=only") == []
    assert urls("q=words&deleted=only") == ["gone"]
    assert urls("q=words&deleted=exclude") == []
    assert urls("q=words&deleted=") == urls("q=words&deleted=include") == ["gone"]
    form = client.get("/blogs/-/search?q=words&deleted=only").text
    assert '<option value="only" selected>only</option>' in form
    # Found gone on March 1st, deleted at some time before: not "deleted 2024-03-01".
    assert '<span class="wxa-deleted">deleted by 2024-03-01</span>' in form


def test_search_takes_a_filter_several_times_as_the_cli_does(client: Client) -> None:
    """?tag=a&tag=b: every tag; ?site=a&site=b and ?author=a&author=b: any of them (as
    `search --tag a --tag b`); the form and the next page keep every value."""
    def urls(query: str) -> list[str]:
        response = client.get(f"/blogs/-/search.json?{query}")
        assert response.status_code == 200, response.text
        return [hit["url"].rsplit("/", 1)[1] for hit in response.json()["hits"]]

    assert urls("q=breathing&tag=yoga&tag=health") == ["breathing"]
    assert urls("q=breathing&tag=yoga&tag=baking") == []
    assert urls("q=breathing&site=cook-example&site=ann") == ["breathing", "evening", "bread"]
    assert urls("q=breathing&author=bob&author=nobody") == ["evening"]
    page = client.get("/blogs/-/search.json?q=breathing&site=cook-example&site=ann&limit=1"
                      ).json()
    assert page["query"]["site"] == ["cook-example", "ann"]
    assert page["next_url"].endswith("site=cook-example&site=ann&limit=1&offset=1")
    form = client.get("/blogs/-/search?q=breathing&tag=yoga&tag=health").text
    assert ('<input name="tag" value="yoga">' in form
            and '<input name="tag" value="health">' in form)


def test_search_page_with_a_filter_and_no_words_lists_its_posts_newest_first(
        client: Client) -> None:
    hits = client.get("/blogs/-/search.json?q=&author=bob").json()["hits"]
    assert [hit["url"].rsplit("/", 1)[1] for hit in hits] == ["evening"]
    assert hits[0]["snippet"] == "Remember breathing." and hits[0]["highlights"] == []
    page = client.get("/blogs/-/search?author=bob").text
    assert "Evening routine, revised" in page
    assert "Newest first" in page and "Best matches first" not in page
    ranked = client.get("/blogs/-/search?q=breathing").text
    assert "Best matches first" in ranked
    # Said in words a reader of the blog knows, not the search engine's ("FTS5", "bm25").
    assert "FTS5" not in ranked and "bm25" not in ranked
    empty = client.get("/blogs/-/search.json?q=&deleted=include")
    assert empty.status_code == 200 and empty.json()["hits"] == []  # the empty form


def test_search_json_locates_the_highlighted_words_in_the_snippet(client: Client) -> None:
    hits = client.get("/blogs/-/search.json?q=breathing").json()["hits"]
    snippets = {hit["url"].rsplit("/", 1)[1]: hit for hit in hits}
    bread = snippets["bread"]
    assert bread["snippet"] == "Knead the dough. Breathing is optional."
    assert bread["highlights"] == [[17, 26]]
    assert list(bread) == ["id", "url", "title", "site", "author", "published", "language",
                           "deleted_at", "snippet", "rank", "highlights", "matched_in"]


def test_a_listing_snippet_ends_on_a_whole_word_with_an_ellipsis(tmp_path: Path) -> None:
    # 150 characters of words, then paragraphs: collapsing the blank lines once left the
    # snippet cut inside a word with nothing to say the text went on.
    words = ("Seedlings " * 15).strip()
    body = words + "\n\n\n\nThe compost heap does not care about deadlines at all.\n\nMore."
    with Archive.open(tmp_path / "long.db") as archive:
        archive.save_article(article(YOGA, "long", author="Priya Raman", body_text=body),
                             fetched_at="2024-01-01T00:00:00+00:00")
    c = Client(make_datasette(tmp_path / "long.db"))
    try:
        snippet = c.get("/long/-/search.json?author=priya").json()["hits"][0]["snippet"]
    finally:
        c.close()
    assert snippet == words + " The…"
    assert len(snippet) <= 161


def test_a_filter_lookalike_that_matches_nothing_gets_the_cli_hint_for_the_form(
        client: Client) -> None:
    page = client.get("/blogs/-/search?q=tag:yoga").text
    assert "No matches." in page
    assert ("Hint: &#39;tag:yoga&#39; searched the words &#39;tag&#39; and &#39;yoga&#39;; to "
            "filter, use tags:yoga or yoga in the Tag field.") in page
    assert "Hint:" not in client.get("/blogs/-/search?q=10:30").text
    spaced = client.get("/blogs/-/search?q=tag%20:%20yoga").text  # no hint before 2026-12-07
    assert ("Hint: &#39;tag : yoga&#39; searched the words &#39;tag&#39; and &#39;yoga&#39;; "
            "to filter, use tags:yoga or yoga in the Tag field.") in spaced


def test_search_csv_is_the_cli_search_csv(client: Client, db_path: Path) -> None:
    import subprocess
    import sys

    response = client.get("/blogs/-/search.csv?q=breathing&limit=10")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    cli = subprocess.run([sys.executable, "-m", "archive.cli", "search", "breathing", "--csv",
                          "--limit", "10", "--db", str(db_path)], capture_output=True,
                         text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert cli.returncode == 0, cli.stderr
    assert response.text == cli.stdout
    page = client.get("/blogs/-/search?q=breathing").text
    assert 'href="/blogs/-/search.csv?q=breathing"' in page
    bad = client.get("/blogs/-/search.csv?q=%22unterminated")
    assert bad.status_code == 400 and bad.text.startswith("Error: ")


def test_post_route_without_an_id_is_a_404_with_the_way_on(client: Client) -> None:
    for path in ("/blogs/-/post", "/blogs/-/post/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert 'href="/blogs/posts"' in response.text and 'name="q"' in response.text
        assert 'action="/blogs/-/search"' in response.text  # the form searches, not 404s
        assert "Invalid SQL" not in response.text


def test_search_form_names_sites_and_shows_date_formats_as_placeholders(
        client: Client) -> None:
    page = client.get("/blogs/-/search?q=breathing").text
    assert "Since (2024-05-01)" not in page
    assert 'name="since" value="" placeholder="YYYY-MM-DD"' in page
    assert f'<option value="{YOGA}/">Ann&#39;s yoga</option>' in page
    assert f'<option value="{COOK}/">www.cook-example.com/</option>' not in page  # unnamed:
    assert f'<option value="{COOK}/">{COOK}/</option>' in page  # its URL
    assert ('<p class="wxa-meta"><bdi>Ann&#39;s yoga</bdi> · <bdi>Ann Example</bdi> · 2023-03-01'
            in page)


def test_search_names_an_unknown_site_as_the_cli_does(client: Client) -> None:
    sites = f"(sites: {YOGA}/ \"Ann's yoga\", {COOK}/)"
    page = client.get("/blogs/-/search.json?q=breathing&site=nosuch")
    assert page.status_code == 400
    assert page.json()["error"] == f"no archived site matches 'nosuch' {sites}"
    assert page.json()["hits"] == []
    html = client.get("/blogs/-/search?q=breathing&site=nosuch")
    assert html.status_code == 400 and "no archived site matches" in html.text
    # An archived site without a match: no matches, no error.
    assert client.get("/blogs/-/search.json?q=knead&site=ann.wixsite").json()["error"] is None
    # A site that is no URL at all is the same mistake, not a server error.
    for path in ("/blogs/-/search.csv?site=http://[::1", "/blogs/-/search?q=x&site=http://[::1"):
        bad = client.get(path)
        assert bad.status_code == 400 and "not a URL: &#39;http://[::1&#39;" in bad.text \
            or bad.text == "Error: not a URL: 'http://[::1'\n", (path, bad.text[:300])


def test_search_pages_through_results(client: Client) -> None:
    page = client.get("/blogs/-/search.json?q=breathing&limit=2").json()
    assert len(page["hits"]) == 2
    assert page["next_url"] == "/blogs/-/search.json?q=breathing&limit=2&offset=2"
    rest = client.get(page["next_url"]).json()
    assert [h["url"].rsplit("/", 1)[1] for h in rest["hits"]] == ["bread"]
    assert rest["next_url"] is None
    assert 'rel="next"' in client.get("/blogs/-/search?q=breathing&limit=2").text


def test_search_says_how_many_posts_match_in_all_on_every_page(tmp_path: Path) -> None:
    # 25 posts with "filler" and 5 with the words and a filter: a reader paging 10 at a time
    # is told how many match in all, as `wixarchive search --count` says, not just "1-10".
    db = make_archive(tmp_path / "blogs.db", extra=25)
    client = Client(make_datasette(db))
    try:
        for args, expected in (("q=filler", 25), ("q=filler&offset=20", 25),
                               ("q=filler&offset=40", 25), ("q=filler+-12", 24),
                               ("q=breathing", 3), ("tag=Yoga&deleted=only", 1),
                               ("q=nowhere", 0)):
            page = client.get(f"/blogs/-/search.json?{args}&limit=10").json()
            assert page["count"] == expected, args
        assert client.get("/blogs/-/search.json?q=AND").json()["count"] is None
        html = client.get("/blogs/-/search?q=filler&limit=10&offset=10").text
        assert "<h2>Results 11–20 of 25</h2>" in html
        assert "No matches on this page (25 in all)." in client.get(
            "/blogs/-/search?q=filler&offset=40").text
    finally:
        client.close()


def test_search_page_says_a_lower_case_or_was_searched_as_a_word(client: Client) -> None:
    # "breathing or bread" asks for posts with all three words: none, though both words are
    # archived; the page says how to write the operator, with hits or without.
    page = client.get("/blogs/-/search?q=breathing+or+bread").text
    assert "No matches." in page
    assert ("Note: &#39;or&#39; was searched as a word every post must hold; the operator is "
            "written in capitals: breathing OR bread.") in page
    assert "searched as a word" in client.get("/blogs/-/search?q=breathing+not+bread").text
    assert "searched as a word" not in client.get("/blogs/-/search?q=breathing+OR+bread").text


def test_search_json_and_csv_give_as_many_hits_as_the_cli_up_to_max_returned_rows(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    db = make_archive(tmp_path / "many.db", extra=130)  # 130 posts hold "filler"
    c = Client(make_datasette(db))
    try:
        page = c.get("/many/-/search.json?q=filler&limit=500").json()
        assert len(page["hits"]) == 130 and page["query"]["limit"] == "500"
        assert page["capped"] is False and page["max_limit"] == 1000
        listed = c.get("/many/-/search.csv?q=filler&limit=500")
        cli = subprocess.run([sys.executable, "-m", "archive.cli", "search", "filler", "--csv",
                              "--limit", "500", "--db", str(db)], capture_output=True,
                             text=True, timeout=60, cwd=Path(__file__).parent.parent)
        assert listed.status_code == 200 and listed.text == cli.stdout
        assert len(list(csv.DictReader(io.StringIO(listed.text)))) == 130
    finally:
        c.close()
    # Above max_returned_rows: JSON says it is capped and how to go on; CSV refuses.
    c = Client(make_datasette(db, max_returned_rows=50))
    try:
        page = c.get("/many/-/search.json?q=filler&limit=500").json()
        assert len(page["hits"]) == 50 and page["query"]["limit"] == "50"
        assert page["capped"] is True and page["max_limit"] == 50
        assert page["next_url"] == "/many/-/search.json?q=filler&limit=50&offset=50"
        seen = [hit["id"] for hit in page["hits"]]
        url = page["next_url"]
        while url:
            more = c.get(url).json()
            seen += [hit["id"] for hit in more["hits"]]
            url = more["next_url"]
        assert len(seen) == len(set(seen)) == 130
        refused = c.get("/many/-/search.csv?q=filler&limit=500")
        assert refused.status_code == 400
        assert refused.text.startswith("Error: limit=500 is more than this server gives at once")
        first = c.get("/many/-/search.csv?q=filler&limit=50")
        assert first.headers["link"] == ('</many/-/search.csv?q=filler&limit=50&offset=50>; '
                                         'rel="next"')
        assert "Note: limit=500 is more" in c.get("/many/-/search?q=filler&limit=500").text
    finally:
        c.close()


def test_search_of_a_damaged_search_index_says_the_archive_is_damaged(db_path: Path) -> None:
    """Its pages overwritten, the search index answered "the query could not run: database
    disk image is malformed" before 2026-12-06, as if the query were at fault."""
    overwrite_pages(db_path, ("posts_fts_data",))
    c = Client(make_datasette(db_path))
    try:
        response = c.get("/blogs/-/search.json?q=breathing")
    finally:
        c.close()
    assert response.status_code == 400
    assert response.json()["error"] == ("the archive is damaged (database disk image is "
                                        "malformed); `wixarchive check` tells more")


def test_search_errors_and_empty_form(client: Client) -> None:
    bad = client.get("/blogs/-/search?q=%22unterminated")
    assert bad.status_code == 400 and "malformed query" in bad.text
    date = client.get("/blogs/-/search.json?q=x&since=yesterday")
    assert date.status_code == 400 and "date" in date.json()["error"]
    impossible = client.get("/blogs/-/search.json?q=x&until=2024-02-30")  # no such day
    assert impossible.status_code == 400
    assert impossible.json()["error"] == ("until: expected a date like 2024-05-01 (or 2024-05, "
                                          "2024), not '2024-02-30'")
    form = client.get("/blogs/-/search")
    assert form.status_code == 200 and 'name="q"' in form.text and "No matches" not in form.text
    none = client.get("/blogs/-/search?q=zzzzqqq")
    assert none.status_code == 200 and "No matches" in none.text
    assert client.get("/nope/-/search?q=x").status_code == 404
    redirect = client.get("/-/search?q=bread")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == "/blogs/-/search?q=bread"


# -- article page ----------------------------------------------------------------------------

def test_article_page_shows_body_metadata_images_and_history(client: Client,
                                                             db_path: Path) -> None:
    html = client.get(f"/blogs/-/post/{post_id(db_path, 'breathing')}").text
    assert '<h1 lang="en" dir="auto">Breathing for beginners</h1>' in html
    for expected in ("Ann Example", "2023-03-01", "Health", "Practice", "Ann&#39;s yoga",
                     "<p>Sit down.</p>", "https://static.wixstatic.com/media/cover.jpg",
                     "https://static.wixstatic.com/media/a.jpg", f"{YOGA}/post/breathing"):
        assert expected in html, expected


def test_article_page_sanitizes_archived_html(client: Client, db_path: Path) -> None:
    evening = post_id(db_path, "evening")
    # Version 1 holds the hostile body; the page must show it harmless.
    html = client.get(f"/blogs/-/post/{evening}?version=1").text
    body = html[html.index('class="wxa-body"'):html.index("Version history")]
    assert "Breathe slowly." in body
    for forbidden in ("<script", "onerror", "javascript:", "<iframe", "evil.test"):
        assert forbidden not in body, forbidden
    # The image is not archived: a link to it, never an <img> loading it from the site.
    assert "<img" not in body
    assert ('<a class="wxa-unarchived" href="https://static.wixstatic.com/media/a.jpg" '
            'rel="noopener noreferrer nofollow">Image (not archived)</a>') in body


def test_article_versions_and_json(client: Client, db_path: Path) -> None:
    evening = post_id(db_path, "evening")
    current = client.get(f"/blogs/-/post/{evening}").text
    assert "Version two body." in current and "Evening routine, revised" in current
    first_id = client.get(f"/blogs/-/post/{evening}.json").json()["versions"][0]["version_id"]
    assert f'href="/blogs/-/post/{evening}?v={first_id}"' in current  # a stable link
    old = client.get(f"/blogs/-/post/{evening}?version=1").text
    assert "You are reading version 1" in old
    assert '<h1 lang="fr" dir="auto">Evening routine</h1>' in old
    data = client.get(f"/blogs/-/post/{evening}.json").json()
    assert data["post"]["title"] == "Evening routine, revised"
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert client.get(f"/blogs/-/post/{evening}?version=9").status_code == 404
    assert client.get("/blogs/-/post/999999").status_code == 404
    gone = client.get(f"/blogs/-/post/{post_id(db_path, 'gone')}").text
    # Last seen in January, found gone in March: deleted in between, not "on" March 1st.
    assert ('was deleted from its site between <time datetime="2024-01-01T00:00:00+00:00" '
            'title="2024-01-01T00:00:00+00:00">2024-01-01</time> (last seen) and '
            '<time datetime="2024-03-01T00:00:00+00:00" '
            'title="2024-03-01T00:00:00+00:00">2024-03-01</time> (found gone)') in gone


def test_article_json_gives_an_old_version_in_the_current_versions_shape(
        client: Client, db_path: Path) -> None:
    evening = post_id(db_path, "evening")
    current = client.get(f"/blogs/-/post/{evening}.json").json()["post"]
    old = client.get(f"/blogs/-/post/{evening}.json?version=1").json()["post"]
    assert list(old) == list(current)  # the same keys, in the same order
    with Archive.open(db_path, readonly=True) as archive:  # archive.post()'s and the version's
        assert list(old) == [*archive.post(evening), "fetched_at", "source", "run_id",
                             "recovered", "stored_at"]
    for key in ("body", "wix_post_id", "word_count", "site", "site_name", "deleted_at",
                "fetched_at", "source", "run_id", "recovered"):
        assert key in old, key
    assert "body_text" not in old and "page_kind" not in old
    assert (old["version"], current["version"]) == (1, 2)
    assert old["title"] == "Evening routine" and current["title"] == "Evening routine, revised"
    assert old["body"] == "Remember breathing deeply." and old["word_count"] == 3
    assert old["body_html"] == XSS_BODY  # as archived (the page sanitizes what it shows)
    assert old["id"] == current["id"] == evening and old["site"] == current["site"]
    assert (old["fetched_at"], current["fetched_at"]) == ("2024-01-01T00:00:00+00:00",
                                                          "2024-02-01T00:00:00+00:00")
    assert old["source"] == current["source"] == "crawl"
    assert current["body"] == "Remember breathing." and current["word_count"] == 2


def test_version_record_reads_old_versions_in_sql(client: Client, db_path: Path) -> None:
    from urllib.parse import urlencode

    def query(sql: str) -> list[dict[str, Any]]:
        response = client.get("/blogs.json?" + urlencode({"sql": sql, "_shape": "array"}))
        assert response.status_code == 200, response.text
        return response.json()

    # The documented queries (docs/fields.md, post_versions).
    old = query("select post_id, version, json_extract(version_record(record), '$.body_text') "
                "as body_text from post_versions where version < (select version from posts "
                "where posts.id = post_versions.post_id)")
    assert old == [{"post_id": post_id(db_path, "evening"), "version": 1,
                    "body_text": "Remember breathing deeply."}]
    every = query("select p.url, v.version, json_extract(version_record(v.record, p.body, "
                  "p.body_html, p.body_markdown), '$.body_text') as body_text from "
                  "post_versions v join posts p on p.id = v.post_id "
                  "where p.url like '%/evening' order by v.version")
    assert [(row["version"], row["body_text"]) for row in every] == [
        (1, "Remember breathing deeply."), (2, "Remember breathing.")]
    # The current version's record alone says its texts are the posts row's.
    current = query("select json_extract(version_record(v.record), '$._text_in_post') as marked "
                    "from post_versions v join posts p on p.id = v.post_id "
                    "and v.version = p.version where p.url like '%/evening'")
    assert current == [{"marked": 1}]
    # The Python API's connection has it too.
    with Archive.open(db_path, readonly=True) as archive:
        assert archive.conn.execute(
            "select json_extract(version_record(record), '$.title') from post_versions "
            "where version = 1 and post_id = ?", (post_id(db_path, "evening"),)
        ).fetchone()[0] == "Evening routine"


# -- canned queries and exports ----------------------------------------------------------------

def test_canned_queries(client: Client) -> None:
    recent = client.get("/blogs/recent_posts.json?_shape=array").json()
    assert {r["site"] for r in recent} == {YOGA + "/", COOK + "/"}
    assert "Gone post" not in {r["title"] for r in recent}
    # Every post was stored by this test, whatever date its fetch carries.
    changed = client.get("/blogs/changed_since.json?since=2024-02-01&_shape=array").json()
    assert len(changed) == 4 and "Evening routine, revised" in {r["title"] for r in changed}
    deleted = client.get("/blogs/deleted_posts.json?_shape=array").json()
    assert [(r["title"], r["deleted_at"][:10]) for r in deleted] == [("Gone post", "2024-03-01")]
    tags = client.get("/blogs/tag_counts.json?_shape=array").json()
    assert tags[0] == {"tag": "Yoga", "posts": 3}


def test_changed_since_lists_the_posts_export_changed_since_takes(tmp_path: Path) -> None:
    """The canned query read last_changed, the date a version carries, where `export
    --changed-since` compares when the archive stored the change (recorded_at): a version
    imported after the earlier export but captured before it, and a deletion found since,
    were exported and missing from the page."""
    from outputs import next_second, wixarchive

    db = tmp_path / "blog.db"
    before, after = "2024-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00"
    two = {"body_text": "Two.", "body_html": "<p>Two.</p>", "body_markdown": "Two."}
    with Archive.open(db) as archive:
        for slug in ("edited", "late", "gone", "same"):
            archive.save_article(article(YOGA, slug, title=slug), fetched_at=before)
        exported = next_second()
        archive.save_article(article(YOGA, "edited", title="edited", **two),
                             fetched_at=after)
        archive.save_article(article(YOGA, "late", title="late", **two),
                             fetched_at=before)  # an old capture, stored now
        archive.mark_deleted(f"{YOGA}/post/gone", when=before)
    c = Client(make_datasette(db))
    try:
        rows = c.get(f"/blog/changed_since.json?since={quote(exported)}&_shape=array").json()
    finally:
        c.close()
    exported_rows = wixarchive("export", "--db", str(db), "--changed-since", exported,
                               "--format", "jsonl", "-", check=True).stdout.splitlines()
    assert sorted(r["title"] for r in rows) == ["edited", "gone", "late"]
    assert sorted(json.loads(line)["title"] for line in exported_rows) == ["edited", "gone",
                                                                          "late"]
    assert all(r["recorded_at"] >= exported for r in rows)
    # An archive from before v21, served as it is, has the dates it has (as the export).
    from test_export_filters import undo_v21

    undo_v21(db)
    c = Client(make_datasette(db))
    try:
        rows = c.get(f"/blog/changed_since.json?since={quote(exported)}&_shape=array").json()
    finally:
        c.close()
    assert sorted(r["title"] for r in rows) == ["edited"]  # its fetch: after


def test_csv_and_json_exports_stream_whole_tables(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "big.db", extra=40)
    c = Client(make_datasette(db, max_returned_rows=10))
    try:
        streamed = c.get("/big/posts.csv?_stream=on&_size=max")
        assert streamed.status_code == 200
        rows = list(csv.DictReader(io.StringIO(streamed.text)))
        assert len(rows) == 44  # beyond max_returned_rows: the whole table
        assert {"Bread <script>alert(3)</script>", "Gone post"} <= {r["title"] for r in rows}
        query = c.get("/big/deleted_posts.csv")
        assert query.status_code == 200 and "Gone post" in query.text
        # An SQL query's CSV stops at max_returned_rows, streamed or not (docs/fields.md).
        sql = c.get("/big.csv?sql=select+id+from+posts&_stream=on")
        assert len(list(csv.DictReader(io.StringIO(sql.text)))) == 10
        # JSON pages through the whole table by following next_url.
        ids: list[int] = []
        url: str | None = "/big/posts.json?_shape=objects&_size=10"
        while url:
            page = c.get(url.removeprefix("http://localhost")).json()
            ids += [row["id"] for row in page["rows"]]
            url = page["next_url"]
        assert len(ids) == len(set(ids)) == 44
    finally:
        c.close()


# -- security ----------------------------------------------------------------------------------

def test_archive_is_read_only_and_unchanged_by_browsing(client: Client, db_path: Path) -> None:
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    for path in ("/blogs/posts", "/blogs/-/search?q=breathing", "/blogs/-/post/1",
                 "/blogs/posts.csv?_stream=on", "/blogs/deleted_posts"):
        assert client.get(path).status_code == 200, path
    database = client.ds.get_database("blogs")
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        client.run(database.execute_write("UPDATE posts SET title = 'hacked'"))
    refused = client.get("/blogs.json?sql=update+posts+set+title%3D%27x%27")
    assert refused.status_code == 400
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before


def test_sql_time_limit_stays_on_for_our_pages(tmp_path: Path, db_path: Path) -> None:
    from archive.web.views import ArchiveTimeout, read

    c = Client(make_datasette(db_path))
    assert c.ds.setting("sql_time_limit_ms") == 1000  # Datasette's default, not switched off
    c.close()
    c = Client(make_datasette(db_path, sql_time_limit_ms=10))
    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT count(*) FROM n")
    try:
        with pytest.raises(ArchiveTimeout):
            c.run(read(c.ds, c.ds.get_database("blogs"),
                       lambda archive: archive.conn.execute(slow).fetchone()))
    finally:
        c.close()
    # A limit of 0 ms stops every query at its first step: the search page says so plainly.
    c = Client(make_datasette(db_path, sql_time_limit_ms=0))
    try:
        stopped = c.get("/blogs/-/search.json?q=breathing")
        assert stopped.status_code == 400
        assert stopped.json()["error"].startswith("the search took longer than 0 ms")
        page = c.get("/blogs/-/search?q=breathing")
        assert page.status_code == 400 and "the search took longer than 0 ms" in page.text
    finally:
        c.close()


def test_other_databases_are_left_alone(tmp_path: Path, db_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT)")
    conn.execute("INSERT INTO posts (title) VALUES ('<b>x</b>')")
    conn.commit()
    conn.close()
    c = Client(Datasette(files=[str(other), str(db_path)]))
    try:
        assert c.get("/other/-/search?q=x").status_code == 404
        assert c.get("/other/-/post/1").status_code == 404
        meta = c.get("/-/metadata.json").json()
        assert list(meta["databases"]) == ["blogs"]
        assert "/-/post/" not in c.get("/other/posts").text
        # The front page says what the archive holds, and the other database as Datasette does.
        home = c.get("/").text
        assert "1 rows in 1 table" in home and "4 posts from 2 sites" in home
        c.run(c.ds.get_database("other").execute_write("UPDATE posts SET title = 'y'"))
    finally:
        c.close()


def test_the_front_page_groups_the_thousands_of_its_counts() -> None:
    from archive.web.index_page import Holdings

    held = Holdings(posts=200_000, sites=1_204, names=(), versions=251_000, deleted=1_500,
                    last_crawled=None)
    assert held.summary() == ("200,000 posts from 1,204 sites, 251,000 versions kept "
                              "(1,500 deleted from their sites).")
    nothing_yet = Holdings(posts=0, sites=0, names=(), versions=0, deleted=0,
                           last_crawled=None, empty_sites=2)
    assert nothing_yet.summary() == "No post archived yet: 2 sites crawled with no post."


def test_a_left_out_prefix_spelled_as_an_operator_is_no_error_page(client: Client) -> None:
    """`breathing -OR*` (-AND*, -NOT*: a prefix left out, in capitals): the box's NOT read it as
    the operator OR, which FTS5 cannot parse, and the page failed; the prefix is the word's."""
    def slugs(search: str) -> list[str]:
        page = client.get(f"/blogs/posts.json?_search={quote(search)}&_shape=array")
        assert page.status_code == 200, (search, page.text[:300])
        return sorted(r["url"].rsplit("/", 1)[1] for r in page.json())

    assert slugs("breathing -ev*") == ["bread", "breathing"]  # evening left out
    for operator in ("OR", "NOT", "AND", "EV"):
        assert slugs(f"breathing -{operator}*") == slugs(f"breathing -{operator.lower()}*")
