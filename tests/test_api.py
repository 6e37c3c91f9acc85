"""The public Python API (`import wixarchive`): what docs/api.md promises beyond its examples."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

import wixarchive
from crawler.extract.record import Article
from tests.outputs import wixarchive as wixarchive_command


@pytest.fixture
def archive(tmp_path: Path) -> wixarchive.Archive:
    with wixarchive.open(tmp_path / "blog.db") as archive:
        archive.save_articles([
            Article(url="https://a.example.com/post/one", title="Bread one", body_text="sourdough",
                    author="Ann Lee", published="2023-02-01", tags=["Baking"], language="en"),
            Article(url="https://a.example.com/post/two", title="Bread two", body_text="rye",
                    author="Bob", published="2024-05-01", tags=["baking", "Rye"], language="fr"),
            Article(url="https://b.example.com/post/three", title="Soup", body_text="leek",
                    author="Ann Lee", language="en-GB"),
        ])
        archive.mark_deleted("https://a.example.com/post/two", when="2025-01-01T00:00:00Z")
        yield archive


def titles(posts: object) -> list[str]:
    return [post["title"] for post in posts]  # type: ignore[attr-defined]


def test_every_public_name_exists_and_is_documented() -> None:
    api = (Path(__file__).resolve().parents[1] / "docs/api.md").read_text(encoding="utf-8")
    for name in wixarchive.__all__:
        assert hasattr(wixarchive, name), name
        if not name.startswith("_"):
            assert name in api, f"{name} is not in docs/api.md"


def test_posts_come_oldest_first_undated_last_and_filter_as_search_does(
        archive: wixarchive.Archive) -> None:
    assert titles(wixarchive.posts(archive)) == ["Bread one", "Bread two", "Soup"]
    assert titles(wixarchive.posts(archive, deleted=False)) == ["Bread one", "Soup"]
    assert titles(wixarchive.posts(archive, site="a.example")) == ["Bread one", "Bread two"]
    assert titles(wixarchive.posts(archive, tag="BAKING", since="2024")) == ["Bread two"]
    assert titles(wixarchive.posts(archive, author="ann", lang="en")) == ["Bread one", "Soup"]
    assert titles(wixarchive.posts(archive, author="a%n")) == []  # literal, not a wildcard
    post = next(wixarchive.posts(archive, tag="rye"))
    # "baking" as first archived ("Baking"), as every export spells it
    assert post["tags"] == ["Baking", "Rye"] and post["site"] == "https://a.example.com/"
    with pytest.raises(wixarchive.SearchError, match="^since: expected a date like 2024-05-01"):
        list(wixarchive.posts(archive, since="yesterday"))
    with pytest.raises(wixarchive.SearchError, match="^until: expected a date"):
        list(wixarchive.posts(archive, until="2024-02-30"))  # no such day


def test_deleted_includes_excludes_or_keeps_only_the_posts_a_site_removed(
        archive: wixarchive.Archive) -> None:
    assert titles(wixarchive.posts(archive, deleted="only")) == ["Bread two"]
    assert titles(wixarchive.posts(archive, deleted="exclude")) == ["Bread one", "Soup"]
    assert titles(wixarchive.posts(archive, deleted="include")) == [
        "Bread one", "Bread two", "Soup"]
    assert titles(wixarchive.posts(archive, deleted=True)) == titles(wixarchive.posts(archive))
    assert [h.title for h in wixarchive.search(archive, "bread", deleted="only")] == [
        "Bread two"]
    assert [h.title for h in wixarchive.search(archive, "bread", deleted="exclude")] == [
        "Bread one"]
    with pytest.raises(wixarchive.SearchError, match="^deleted: expected include, exclude, only"):
        list(wixarchive.posts(archive, deleted="yes"))


def test_a_site_naming_no_archived_site_raises_as_export_does(
        archive: wixarchive.Archive, tmp_path: Path) -> None:
    message = (r"^no archived site matches 'nosuch' \(sites: https://a.example.com/, "
               r"https://b.example.com/\)$")
    with pytest.raises(wixarchive.NoSuchSite, match=message):
        wixarchive.search(archive, "bread", site="nosuch")
    with pytest.raises(wixarchive.NoSuchSite, match=message):
        list(wixarchive.posts(archive, site="nosuch"))
    with pytest.raises(wixarchive.NoSuchSite, match=message):
        wixarchive.export(archive, tmp_path / "out.jsonl", site="nosuch")
    # An archived site without a match is no error: nothing matched.
    assert wixarchive.search(archive, "leek", site="a.example") == []
    assert list(wixarchive.posts(archive, site="b.example", tag="baking")) == []


def test_tag_any_case_beyond_ascii_and_author_any_apostrophe(
        archive: wixarchive.Archive) -> None:
    archive.save_articles([Article(url="https://c.example.com/post/c", title="Custard",
                                   body_text="custard", author="Pat O’Leary",
                                   tags=["crème brûlée"])])
    assert titles(wixarchive.posts(archive, tag="CRÈME BRÛLÉE")) == ["Custard"]
    assert titles(wixarchive.posts(archive, author="o'leary")) == ["Custard"]
    assert [h.title for h in wixarchive.search(archive, "author:o'leary")] == ["Custard"]


def test_author_filter_ignores_accents_and_case(archive: wixarchive.Archive) -> None:
    archive.save_articles([
        Article(url="https://c.example.com/post/z", title="Mulch", body_text="mulch",
                author="Zoë Martin"),
        Article(url="https://c.example.com/post/j", title="Compost", body_text="compost",
                author="JOSÉ Núñez"),
        Article(url="https://c.example.com/post/m", title="Mulch again", body_text="mulch",
                author="zoë martin")])  # the same name in another case: both are found
    assert titles(wixarchive.posts(archive, author="zoe")) == ["Mulch", "Mulch again"]
    assert titles(wixarchive.posts(archive, author="ZOË")) == ["Mulch", "Mulch again"]
    assert titles(wixarchive.posts(archive, author="josé nunez")) == ["Compost"]
    assert [h.title for h in wixarchive.search(archive, "compost", author="jose")] == ["Compost"]


def test_search_takes_the_filters_as_keywords(archive: wixarchive.Archive) -> None:
    assert [h.title for h in wixarchive.search(archive, "bread", since="2024")] == ["Bread two"]
    assert [h.title for h in wixarchive.search(archive, "bread", limit=1, offset=1)] == [
        "Bread two"]


def test_count_is_how_many_posts_every_page_of_a_search_holds(
        archive: wixarchive.Archive) -> None:
    """`count` as `wixarchive search --count`: all the matches, not one page's; filters too."""
    assert wixarchive.count(archive, "bread") == 2 == len(wixarchive.search(archive, "bread"))
    assert len(wixarchive.search(archive, "bread", limit=1)) == 1
    assert wixarchive.count(archive, "bread", deleted="exclude") == 1
    assert wixarchive.count(archive, "bread OR leek", author=["Ann", "Bob"]) == 3
    assert wixarchive.count(archive, author="ann lee") == 2  # no words: the posts passing
    assert wixarchive.count(archive, "bread", site="b.example") == 0
    with pytest.raises(wixarchive.SearchError, match="^nothing to search for"):
        wixarchive.count(archive)
    with pytest.raises(wixarchive.SearchError, match="^malformed query"):
        wixarchive.count(archive, "title:(")
    with pytest.raises(wixarchive.NoSuchSite):
        wixarchive.count(archive, "bread", site="nowhere")
    with pytest.raises(wixarchive.SearchError, match="^since: expected a date"):
        wixarchive.count(archive, "bread", since=2024)  # type: ignore[arg-type]


def test_export_of_every_version_writes_what_the_cli_writes(
        archive: wixarchive.Archive, tmp_path: Path) -> None:
    """`versions=True` is `wixarchive export --versions`: a row per version, oldest first,
    byte for byte the CLI's file in jsonl and csv; another format is refused."""
    import subprocess
    import sys

    url = "https://a.example.com/post/one"
    archive.save_article(Article(url=url, title="Bread one, again", body_text="sourdough loaf",
                                 author="Ann Lee", published="2023-02-01", tags=["Baking"]),
                         fetched_at="2030-01-01T00:00:00+00:00")
    for format in ("jsonl", "csv"):
        ours, theirs = tmp_path / f"api.{format}", tmp_path / f"cli.{format}"
        assert wixarchive.export(archive, ours, versions=True, site="a.example") == 3
        cli = subprocess.run(
            [sys.executable, "-m", "archive.cli", "export", "--versions", str(theirs), "--site",
             "a.example", "--db", str(archive.path)], capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        assert cli.returncode == 0, cli.stderr
        assert ours.read_bytes() == theirs.read_bytes(), format
    rows = [json.loads(line) for line in (tmp_path / "api.jsonl").read_text().splitlines()]
    assert [(row["title"], row["version"]) for row in rows] == [
        ("Bread one", 1), ("Bread one, again", 2), ("Bread two", 1)]
    assert rows[1]["fetched_at"] == "2030-01-01T00:00:00+00:00" and rows[1]["source"] == "crawl"
    stream = io.StringIO()  # a stream, as without versions
    assert wixarchive.export(archive, stream, versions=True) == 4
    assert len(stream.getvalue().splitlines()) == 4
    for format in ("markdown", "wxr", "wacz"):
        with pytest.raises(ValueError, match=f"^versions=True is for format jsonl or csv, not "
                                             f"'{format}'$"):
            wixarchive.export(archive, tmp_path / "out", format=format, versions=True)
    assert not (tmp_path / "out").exists()


def test_diff_needs_two_versions_and_names_what_is_missing(
        archive: wixarchive.Archive) -> None:
    url = "https://a.example.com/post/one"
    assert wixarchive.diff(archive, url) == []  # one version: nothing to compare
    archive.save_article(Article(url=url, title="Bread one", body_text="sourdough starter",
                                 body_html="<p>sourdough starter</p>", author="Ann Lee",
                                 published="2023-02-01", tags=["Baking"]))
    assert "-sourdough" in wixarchive.diff(archive, url)
    assert "+sourdough starter" in wixarchive.diff(archive, url, 1, 2)
    with pytest.raises(LookupError, match="no version 3"):
        wixarchive.diff(archive, url, 1, 3)
    with pytest.raises(LookupError, match="no post archived"):
        wixarchive.diff(archive, "https://a.example.com/post/none")


def test_post_version_is_what_show_version_shows(archive: wixarchive.Archive) -> None:
    """`show --version` had no counterpart in the API: a post as one stored version had it."""
    url = "https://a.example.com/post/one"
    archive.save_article(Article(url=url, title="Bread one, again", body_text="sourdough starter",
                                 author="Ann Lee", published="2023-02-01", tags=["Baking"]))
    first = wixarchive.post_version(archive, url, 1)
    assert (first["title"], first["body"]) == ("Bread one", "sourdough")
    version_id = archive.versions(url)[1]["version_id"]
    second = wixarchive.post_version(archive, archive.post(url)["id"], version_id)
    assert second == wixarchive.post_version(archive, url, "2")
    current = archive.post(url)
    assert {key: second[key] for key in current} == current
    assert second["source"] == "crawl" and second["fetched_at"]
    shown = json.loads(wixarchive_command("show", url, "--version", "1", "--json", "--html",
                                          "--db", str(archive.path), check=True).stdout)
    assert {key: first[key] for key in shown} == shown
    with pytest.raises(LookupError, match=r"/post/one has versions 1, 2 \(ids .*\), not 3$"):
        wixarchive.post_version(archive, url, 3)
    with pytest.raises(LookupError, match="no post archived"):
        wixarchive.post_version(archive, "https://a.example.com/post/none", 1)
    with pytest.raises(TypeError, match="^version: expected"):
        wixarchive.post_version(archive, url, 1.0)  # type: ignore[arg-type]


def test_run_due_reports_the_sites_file_as_the_command_does(archive: wixarchive.Archive,
                                                            tmp_path: Path) -> None:
    """`run-due` had no counterpart in the API. With nothing due, no crawl: the outcomes are
    `run-due --json`'s records."""
    with pytest.raises(ValueError, match="^no sites file at .*: add a site with"):
        wixarchive.run_due(archive.path)  # under cron, a wrong path is not "nothing to do"
    mistyped = tmp_path / "archvie.db"
    with pytest.raises(ValueError, match="^no sites file at"):
        wixarchive.run_due(mistyped)
    assert not mistyped.exists()  # as the command leaves it: no empty archive made there
    wixarchive.add_site(archive, "https://a.example.com/", every="1d")
    archive.finish_run(archive.start_run("https://a.example.com/"), status="ok", counts={},
                       errors=[])  # crawled just now: due tomorrow
    printed = json.loads(wixarchive_command("run-due", "--json", "--db", str(archive.path),
                                            check=True).stdout)
    outcomes = wixarchive.run_due(archive.path, site="a.example.com")
    assert [outcome.to_dict() for outcome in outcomes] == printed
    assert [outcome.status for outcome in outcomes] == ["not-due"]
    with pytest.raises(ValueError, match="^no site has the label 'nosuch'"):
        wixarchive.run_due(archive.path, label="nosuch")
    with pytest.raises(TypeError, match="^parallel: expected a whole number"):
        wixarchive.run_due(archive.path, parallel=1.5)  # type: ignore[arg-type]


def test_export_to_a_stream_and_refusals(archive: wixarchive.Archive, tmp_path: Path) -> None:
    out = io.StringIO()
    assert wixarchive.export(archive, out, format="jsonl", site="b.example") == 1
    assert json.loads(out.getvalue())["title"] == "Soup"
    binary = io.BytesIO()
    assert wixarchive.export(archive, binary, format="wxr") == 3
    assert b"<title>Bread two</title>" in binary.getvalue()
    with pytest.raises(ValueError, match="format must be one of"):
        wixarchive.export(archive, out, format="pdf")
    with pytest.raises(ValueError, match="no archived site matches"):
        wixarchive.export(archive, out, site="nowhere")
    with pytest.raises(ValueError, match="give a folder"):
        wixarchive.export(archive, out, format="markdown")



def test_export_takes_a_text_stream_for_wxr_and_a_binary_one_for_jsonl(
        archive: wixarchive.Archive, tmp_path: Path) -> None:
    """docs/api.md suggests `sys.stdout`, a text stream: wxr goes to its byte buffer, after
    what was printed before; jsonl and csv are encoded for a binary stream left open."""
    with (tmp_path / "stdout.txt").open("w", encoding="utf-8") as stdout:  # as sys.stdout is
        print("before", file=stdout)
        assert wixarchive.export(archive, stdout, format="wxr") == 3
        print("after", file=stdout)
    text = (tmp_path / "stdout.txt").read_text(encoding="utf-8")
    assert text.startswith("before\n<?xml") and text.endswith("after\n")
    assert text.index("</rss>") < text.index("after")  # in the order written
    assert "<title>Bread two</title>" in text
    binary = io.BytesIO()
    assert wixarchive.export(archive, binary, format="jsonl", site="b.example") == 1
    assert wixarchive.export(archive, binary, format="csv", site="b.example") == 1
    lines = binary.getvalue().decode("utf-8").splitlines()
    assert json.loads(lines[0])["title"] == "Soup" and lines[1].startswith("id,")
    with pytest.raises(TypeError, match=r"wxr export writes bytes: pass a binary stream .*"
                                        r"io\.BytesIO\(\).* not a StringIO"):
        wixarchive.export(archive, io.StringIO(), format="wxr")

def test_archive_db_is_sqlite_utils_on_the_same_connection(archive: wixarchive.Archive) -> None:
    import sqlite_utils

    assert isinstance(archive.db, sqlite_utils.Database) and archive.db.conn is archive.conn
    assert archive.db["posts"].count == 3
    assert archive.db is archive.db


def test_crawl_refuses_a_file_that_is_no_archive(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(wixarchive.ArchiveError, match="not a wixarchive archive"):
        wixarchive.crawl("https://example.com/", tmp_path / "notes.txt")


CRAWL_SCRIPT = """
import json, sys
import wixarchive
summaries = wixarchive.crawl([sys.argv[1], sys.argv[1]], sys.argv[2], delay=0,
                             autothrottle=False, concurrency=1)
print(json.dumps([[s.status, s.posts] for s in summaries]))
"""


def test_ctrl_c_during_a_crawl_from_python_stops_it_cleanly_and_it_resumes(
        tmp_path: Path) -> None:
    """Ctrl-C in the calling program reaches the crawler as one SIGINT: it checkpoints, the
    call returns its summary ("interrupted"; the site listed twice is crawled once), and the
    next call fetches only what is missing."""
    import os
    import signal
    import subprocess
    import sys

    from crawler.sample_site import SampleBlog, serve_blog
    from crawler.sample_site.server import Gate
    from tests.processes import wait_until

    blog = SampleBlog(seed=5, post_count=60)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.slow_paths[post.url_path] = 0.3
        # Posts after the 5th are held until the Ctrl-C is sent: the crawl cannot finish first.
        gate = server.gate = Gate("/post/", allow=5)
        # A session of its own, as a terminal's foreground job: Ctrl-C reaches its group.
        proc = subprocess.Popen([sys.executable, "-c", CRAWL_SCRIPT, server.url, str(db)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True, cwd=Path(__file__).resolve().parents[1])

        def stored_posts() -> int:
            try:
                with wixarchive.open(db, readonly=True) as archive:
                    return archive.db.execute("select count(*) from posts").fetchone()[0]
            except wixarchive.ArchiveError:  # being created
                return 0

        wait_until(lambda: gate.held and db.exists() and stored_posts() >= 5,
                   "5 posts archived and the 6th held", proc)
        os.killpg(proc.pid, signal.SIGINT)
        # The held page is then answered: the crawler has 54 more to fetch (0.3 s each) before
        # it could end by itself, and gets the one SIGINT long before.
        gate.release()
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 0 and "Traceback" not in err, err
        [[status, _]] = json.loads(out)
        assert status == "interrupted"
        with wixarchive.open(db, readonly=True) as archive:
            assert archive.check() == []
            stored = len(list(wixarchive.posts(archive)))
        assert 5 <= stored < 60

        server.slow_paths.clear()
        [summary] = wixarchive.crawl(server.url, db, delay=0, autothrottle=False)
    assert summary.status == "ok" and summary.counts["new"] == 60 - stored


def test_search_without_words_lists_the_filtered_posts_newest_first(
        archive: wixarchive.Archive) -> None:
    hits = wixarchive.search(archive, "", author="ann lee")
    assert [h.title for h in hits] == ["Bread one", "Soup"]  # dated first, newest first
    assert hits[0].snippet == "sourdough" and hits[0].rank == 0.0 and hits[0].highlights() == []
    assert [h.title for h in wixarchive.search(archive, " ", deleted="only")] == ["Bread two"]
    assert [h.title for h in wixarchive.search(archive, "", tag="baking", limit=1, offset=1)
            ] == ["Bread one"]
    with pytest.raises(wixarchive.SearchError, match="^nothing to search for: give words"):
        wixarchive.search(archive, "")


def test_listing_posts_without_words_reads_them_in_date_order_without_sorting(
        archive: wixarchive.Archive) -> None:
    # Newest first, undated last, straight from the posts_published index: sorting every post
    # passing the filters took 34 ms at 10k posts for a page of 10.
    statements: list[str] = []
    archive.conn.set_trace_callback(statements.append)
    assert [h.title for h in wixarchive.search(archive, "", deleted="exclude")] == [
        "Bread one", "Soup"]
    archive.conn.set_trace_callback(None)
    [listing] = [sql for sql in statements if "ORDER BY" in sql]
    plan = " ".join(row[3] for row in archive.conn.execute("EXPLAIN QUERY PLAN " + listing))
    assert "posts_published" in plan and "TEMP B-TREE" not in plan, plan


def test_versions_take_an_id_as_post_and_diff_do(archive: wixarchive.Archive) -> None:
    url = "https://a.example.com/post/one"
    post_id = archive.post(url)["id"]
    by_url = archive.versions(url)
    assert len(by_url) == 1 and archive.versions(post_id) == by_url
    assert archive.versions(str(post_id)) == by_url
    assert archive.versions(9999) == [] and archive.post(9999) is None
    assert archive.versions("https://a.example.com/post/none") == []


def test_export_to_a_path_takes_its_format_from_the_extension_as_the_cli_does(
        archive: wixarchive.Archive, tmp_path: Path) -> None:
    assert wixarchive.export(archive, tmp_path / "posts.csv") == 3
    assert (tmp_path / "posts.csv").read_text(encoding="utf-8").startswith("id,")
    wixarchive.export(archive, str(tmp_path / "posts.NDJSON"))
    lines = (tmp_path / "posts.NDJSON").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["title"] == "Bread one"
    wixarchive.export(archive, tmp_path / "wordpress.xml", site="b.example")
    assert (tmp_path / "wordpress.xml").read_bytes().startswith(b"<?xml")
    with pytest.raises(ValueError, match=r"cannot tell the format from '.*x\.parquet': give "
                                         r"format= one of jsonl, csv, markdown, wxr, html, wacz"):
        wixarchive.export(archive, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
    # x.json: the command's hint (JSON lines) in the API's words; it said only "give format=".
    with pytest.raises(ValueError) as raised:
        wixarchive.export(archive, tmp_path / "x.json")
    assert str(raised.value).endswith(
        f"names it); there is no JSON export: export {tmp_path / 'x.jsonl'} for JSON lines, "
        "one JSON object a line for each post with every archived field "
        "(wixarchive.posts(archive) returns each post as a dict, wixarchive.search(archive, "
        "text) the posts a search finds)")
    assert not (tmp_path / "x.json").exists()
    assert wixarchive.export(archive, tmp_path / "x.parquet", format="jsonl") == 3
    out = io.StringIO()
    assert wixarchive.export(archive, out) == 3  # a stream: JSON lines, as before
    assert json.loads(out.getvalue().splitlines()[0])["title"] == "Bread one"


def test_dates_may_be_dates_and_a_wrong_type_is_a_search_error_naming_it(
        archive: wixarchive.Archive, tmp_path: Path) -> None:
    import datetime

    assert titles(wixarchive.posts(archive, since=datetime.date(2024, 1, 1))) == ["Bread two"]
    assert titles(wixarchive.posts(archive, until=datetime.datetime(2023, 12, 31, 23, 0))) == [
        "Bread one"]
    assert [h.title for h in wixarchive.search(archive, "bread",
                                               since=datetime.date(2024, 1, 1))] == ["Bread two"]
    wrong = [("since", {"since": 2024}), ("until", {"until": 2024.5}),
             ("tag", {"tag": 7}), ("tag", {"tag": ["baking", 7]}), ("site", {"site": 1}),
             ("author", {"author": b"Ann"}), ("category", {"category": ["a", "b"]}),
             ("lang", {"lang": ["en"]})]
    for field, arguments in wrong:
        for call in (lambda given: list(wixarchive.posts(archive, **given)),
                     lambda given: wixarchive.search(archive, "bread", **given)):
            with pytest.raises(wixarchive.SearchError, match=f"^{field}: expected") as raised:
                call(arguments)
            assert raised.value.field == field
    for field, arguments in (("limit", {"limit": None}), ("offset", {"offset": "2"}),
                             ("limit", {"limit": True})):
        with pytest.raises(wixarchive.SearchError, match=f"^{field}: expected a whole number"):
            wixarchive.search(archive, "bread", **arguments)
    with pytest.raises(wixarchive.SearchError, match="^site: expected"):
        wixarchive.export(archive, tmp_path / "posts.jsonl", site=5)


def test_several_sites_or_authors_mean_any_several_tags_every_one(
        archive: wixarchive.Archive) -> None:
    assert titles(wixarchive.posts(archive, site=["b.example", "a.example.com"])) == [
        "Bread one", "Bread two", "Soup"]
    assert titles(wixarchive.posts(archive, author=("bob", "ann"))) == [
        "Bread one", "Bread two", "Soup"]
    assert titles(wixarchive.posts(archive, author=["bob"])) == ["Bread two"]
    assert titles(wixarchive.posts(archive, tag=["baking", "RYE"])) == ["Bread two"]
    assert titles(wixarchive.posts(archive, tag=["baking"])) == ["Bread one", "Bread two"]
    assert [h.title for h in wixarchive.search(archive, "bread", tag=["Baking", "rye"])] == [
        "Bread two"]
    assert {h.title for h in wixarchive.search(archive, "", author=["bob", "ann"])} == {
        "Bread one", "Bread two", "Soup"}
    with pytest.raises(wixarchive.NoSuchSite, match="nowhere"):
        list(wixarchive.posts(archive, site=["a.example", "nowhere"]))
    out = io.StringIO()
    assert wixarchive.export(archive, out, site=["a.example", "b.example"]) == 3


def test_a_wrong_argument_is_a_clear_exception_naming_it(archive: wixarchive.Archive,
                                                         tmp_path: Path) -> None:
    url = "https://a.example.com/post/one"
    with pytest.raises(TypeError, match=r"^old: expected a version number \(an int\), not '1'"):
        wixarchive.diff(archive, url, "1", "2")  # not "no version 1", which it has
    with pytest.raises(LookupError) as missing:
        wixarchive.diff(archive, url, 1, 3)
    # Unquoted; a post of one version says so (it said "versions 1 to 1").
    assert str(missing.value) == ("no version 3; this post has only version 1 (a crawl that "
                                  "finds it changed stores version 2)")
    with pytest.raises(wixarchive.SearchError, match="^text: expected a string, not None"):
        wixarchive.search(archive, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^out: expected a path or an open stream, not 123"):
        wixarchive.export(archive, 123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not bytes: decode it first"):
        wixarchive.clean(b"Title\n\nText")  # type: ignore[arg-type]
    db = tmp_path / "never.db"
    for wrong, error, message in (({"delay": "fast"}, TypeError, "delay: expected a number"),
                                  ({"delay": -1}, ValueError, "delay: expected 0 or more"),
                                  ({"concurrency": 0}, ValueError, "concurrency: expected 1"),
                                  ({"parallel": 2.5}, TypeError, "parallel: expected a whole"),
                                  ({"timeout": 0}, ValueError, "timeout: expected more than 0")):
        with pytest.raises(error, match=f"^{message}"):
            wixarchive.crawl("http://127.0.0.1:9/", db, **wrong)
    with pytest.raises(TypeError, match="^sites: expected a URL or a list of URLs, not 5"):
        wixarchive.crawl(5, db)  # type: ignore[arg-type]
    assert not db.exists()  # refused before a crawl process or an archive file
    # Until 2026-12-06 these failed inside: AttributeError ('int' object has no attribute
    # 'strip'), a sites-file key named for `time_limit`, a list refused where crawl() takes it.
    with pytest.raises(wixarchive.SearchError, match="^site: expected a string, not 5"):
        wixarchive.import_files(archive, [], site=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^files: expected a path or a list of paths, not 5"):
        wixarchive.import_files(archive, 5)  # type: ignore[arg-type]
    sites = tmp_path / "blog.sites.toml"
    with pytest.raises(TypeError, match="^url: expected the site's address, not 5"):
        wixarchive.add_site(archive, 5, sites_file=sites)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^time_limit: expected a duration"):
        wixarchive.add_site(archive, "https://a.example.com/", time_limit=60,  # type: ignore
                            sites_file=sites)
    added = wixarchive.add_site(archive, "https://a.example.com/", sites_file=sites,
                                media_kinds=["images", "video"])  # as crawl() takes it
    assert added["media"]["media_kinds"] == "images,video"


def test_clean_takes_the_commands_format_and_refuses_an_html_page(tmp_path: Path) -> None:
    dump = Path(__file__).parent / "fixtures" / "text" / "a_fullpage_en.txt"
    command = wixarchive_command("clean", "--format", "markdown", "--json", str(dump))
    cleaned = wixarchive.clean(dump.read_text(encoding="utf-8"), format="markdown")
    assert cleaned.dialect == "markdown" != wixarchive.clean(dump.read_text()).dialect
    assert json.loads(json.dumps(cleaned.to_dict())) == json.loads(command.stdout)
    with pytest.raises(ValueError, match='^format must be "text" or "markdown"'):
        wixarchive.clean("Title", format="html")
    page = "<!DOCTYPE html>\n<html><head><title>A post</title></head><body>Hi</body></html>"
    with pytest.raises(ValueError, match="an HTML page, not a text dump"):
        wixarchive.clean(page)  # its tags were cleaned as lines of text
    (tmp_path / "page.html").write_text(page)
    assert "is an HTML page" in wixarchive_command("clean", str(tmp_path / "page.html")).stderr


@pytest.mark.parametrize("name", ["posts.jsonl", "posts.csv", "wordpress.xml"])
def test_an_export_that_fails_part_way_leaves_the_earlier_file(tmp_path: Path,
                                                               name: str) -> None:
    """The command replaces its file whole; the API opened it for writing at once, so an export
    that failed part way (here damaged pages of the images table, read post by post) left the
    earlier export empty. Now both keep it as it was; a folder given for a file is a
    ValueError, as the command's one-line error."""
    from tests.damage import overwrite_root_pages
    from tests.outputs import build_outputs_archive

    db = build_outputs_archive(tmp_path / "archive.db")
    out = tmp_path / name
    with wixarchive.open(db) as archive:
        assert wixarchive.export(archive, out) == 1
    earlier = out.read_bytes()
    overwrite_root_pages(db, ("images",))
    with wixarchive.open(db) as archive, pytest.raises(Exception, match="malformed"):
        wixarchive.export(archive, out)
    assert out.read_bytes() == earlier
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["archive.db", name, *(p.name for p in tmp_path.glob("archive.db-*"))])
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    with wixarchive.open(db) as archive, pytest.raises(ValueError, match="is a directory"):
        wixarchive.export(archive, folder, format="jsonl")


def test_recover_into_an_archive_opened_read_only_is_refused_at_once(tmp_path: Path) -> None:
    """The docstring promised ArchiveError for an archive opened read-only, but recover()
    first made its lock folder beside the archive (`archive.recover/`) and asked the web
    archive, spooling what it fetched there, and failed only when storing it (here, with no
    web archive to reach: WaybackError after its tries). Now ArchiveError, before anything."""
    from tests.outputs import build_outputs_archive

    db = build_outputs_archive(tmp_path / "archive.db")
    with wixarchive.open(db, readonly=True) as archive, \
            pytest.raises(wixarchive.ArchiveError, match="opened read-only"):
        wixarchive.recover(archive, "https://www.example-garden.com/",
                           replay="http://127.0.0.1:9/web/", retries=0, delay=0)
    assert not (tmp_path / "archive.recover").exists()


def test_import_and_reextract_leave_an_archive_opened_read_only_as_it_is(
        tmp_path: Path) -> None:
    """import_files() on an archive opened read-only copied the records it imports into a new
    capture file of the archive's captures folder, then failed on its first transaction: a
    read-only archive written to, the file left unindexed. reextract() there first recovered
    the capture files it found unindexed, writing to the read-only connection: a bare
    sqlite3.OperationalError ('attempt to write a readonly database'). Both now raise
    ArchiveError before they write anything."""
    from crawler.sample_site import SampleBlog, serve_blog
    from tests.outputs import build_outputs_archive

    crawled = tmp_path / "crawled.db"
    with serve_blog(SampleBlog(seed=3, post_count=3)) as server:
        [summary] = wixarchive.crawl(server.url, crawled, delay=0, autothrottle=False,
                                     media=False)
    assert summary.status == "ok", summary
    [warc] = (tmp_path / "crawled.captures").iterdir()
    db = build_outputs_archive(tmp_path / "archive.db")
    with wixarchive.open(db, readonly=True) as archive, \
            pytest.raises(wixarchive.ArchiveError, match="opened read-only"):
        wixarchive.import_files(archive, [warc])
    assert not (tmp_path / "archive.captures").exists()

    (tmp_path / "archive.captures").mkdir()  # a capture file the index does not know yet
    left = tmp_path / "archive.captures" / warc.name
    left.write_bytes(warc.read_bytes())
    with wixarchive.open(db, readonly=True) as archive, \
            pytest.raises(wixarchive.ArchiveError, match="opened read-only"):
        wixarchive.reextract(archive)
    assert left.read_bytes() == warc.read_bytes()


def test_saving_no_articles_stores_nothing_and_says_so(archive: wixarchive.Archive) -> None:
    before = len(list(wixarchive.posts(archive)))
    assert archive.save_articles([]) == []
    assert archive.save_articles(iter(())) == []
    assert len(list(wixarchive.posts(archive))) == before


def test_a_search_inside_a_loop_over_a_query_of_the_same_archive(
        archive: wixarchive.Archive) -> None:
    # A sqlite-utils habit: for each row of a query, search or filter. Each search gave the
    # connection its SQL functions again, which SQLite refuses while the loop's statement runs
    # (sqlite3.OperationalError: Error creating function).
    wixarchive.search(archive, "sourdough")  # the functions given once already
    found = []
    for row in archive.db.query("SELECT author FROM posts ORDER BY id"):
        found.append(wixarchive.count(archive, author=row["author"]))
        found.append(len(wixarchive.search(archive, "sourdough OR rye", author=row["author"])))
        found.append(len(list(wixarchive.posts(archive, author=row["author"]))))
    assert found == [2, 1, 2, 1, 1, 1, 2, 1, 2]


def test_a_closed_archive_or_a_path_for_one_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "blog.db"
    with wixarchive.open(path) as archive:
        archive.save_article(Article(url="https://a.example.com/post/one", title="One",
                                     body_text="sourdough", published="2024-01-01"))
    # After the with block: sqlite3.ProgrammingError "Cannot operate on a closed database."
    for use in (lambda: list(wixarchive.posts(archive)), lambda: archive.post(1),
                lambda: wixarchive.search(archive, "sourdough"), archive.stats):
        with pytest.raises(wixarchive.ArchiveError, match="^the archive .*blog.db was closed"):
            use()
    archive.close()  # closing twice is harmless
    # A path where the Archive goes: AttributeError "'str' object has no attribute 'conn'".
    for use in (lambda: wixarchive.posts(str(path)), lambda: wixarchive.count(path, "a"),
                lambda: wixarchive.export(str(path), tmp_path / "out.jsonl")):
        with pytest.raises(TypeError, match="^archive: expected an Archive, as "
                                            r"wixarchive.open\(path\) returns it, not "):
            use()
    assert not (tmp_path / "out.jsonl").exists()


def test_a_language_name_it_does_not_know_is_refused_as_export_refuses_it(
        archive: wixarchive.Archive) -> None:
    # "Portugese" (a typo) matched no post, silently: a researcher counted 0 posts in it.
    for use in (lambda: list(wixarchive.posts(archive, lang="Portugese")),
                lambda: wixarchive.search(archive, "sourdough", lang="Klingon"),
                lambda: wixarchive.count(archive, lang="Klingon"),
                lambda: wixarchive.export(archive, io.StringIO(), lang="Klingon")):
        with pytest.raises(wixarchive.SearchError, match="^lang: unknown language '(Portugese|"
                                                         r"Klingon)': give its code \(es"):
            use()
    assert wixarchive.count(archive, lang="English") == 2  # a name it knows: its code
    assert wixarchive.count(archive, lang="en") == 2
    assert wixarchive.count(archive, lang="xx") == 0  # a code no post has: none, as ever
    # Bytes that are not UTF-8 (a lone surrogate): posts() ended in UnicodeEncodeError.
    for use in (lambda: list(wixarchive.posts(archive, lang="e\udcff")),
                lambda: wixarchive.export(archive, io.StringIO(), lang="e\udcff")):
        with pytest.raises(wixarchive.SearchError, match="^lang: 'e.udcff' is not text"):
            use()
    for field in ("author", "tag", "category", "site"):  # as search and count say it
        with pytest.raises(wixarchive.SearchError, match=f"^{field}: 'a.udcff' is not text"):
            list(wixarchive.posts(archive, **{field: "a\udcff"}))


SHARED_BY_THREADS = """
import sys, threading, wixarchive
archive = wixarchive.open(sys.argv[1], readonly=True)
errors = []
def read():
    try:
        for _ in range(60):
            assert len(wixarchive.search(archive, "sourdough OR rye OR leek")) == 3
            assert wixarchive.count(archive, author="ann") == 2
            assert len(list(wixarchive.posts(archive, tag="baking"))) == 2
            assert len(archive.versions("https://a.example.com/post/one")) == 1
    except BaseException as error:
        errors.append(repr(error))
threads = [threading.Thread(target=read) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors or "ok")
"""


def test_one_archive_shared_by_threads_serves_each_in_turn(archive: wixarchive.Archive) -> None:
    # A thread pool over one Archive: a thread reading a row (holding the GIL) waited for
    # SQLite's connection while another's statement waited for the GIL to run a Python SQL
    # function (the name filters'), and the process hung; before that, "Error creating
    # function". In a child process: a hang fails the test at its timeout, not the suite.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", SHARED_BY_THREADS, str(archive.path)],
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]


def test_backup_is_the_commands_copy_and_never_overwrites(archive: wixarchive.Archive,
                                                          tmp_path: Path) -> None:
    # The API had no backup: a script called the command, or copied the file mid-crawl.
    (tmp_path / "copies").mkdir()
    copy = wixarchive.backup(archive, tmp_path / "copies")  # a folder: under its own name
    assert copy.destination == tmp_path / "copies" / "blog.db" and copy.posts == 3
    with wixarchive.open(copy.destination, readonly=True) as copied:
        assert wixarchive.count(copied, "sourdough OR rye OR leek") == 3
    wixarchive_command("backup", str(tmp_path / "cli.db"), "--db", str(archive.path), check=True)
    with wixarchive.open(tmp_path / "cli.db", readonly=True) as by_command:
        assert titles(wixarchive.posts(by_command)) == titles(wixarchive.posts(archive))
    for dest, said in ((copy.destination, "exists: back up to a new name"),
                       (archive.path, "is the archive itself"),
                       (str(tmp_path / "unmounted") + "/", "no folder .*unmounted/: create it"),
                       (tmp_path / "nowhere" / "x.db", "folder .*nowhere does not exist")):
        with pytest.raises(wixarchive.ArchiveError, match=said):
            wixarchive.backup(archive, dest)
    assert not (tmp_path / "unmounted").exists()
    with pytest.raises(TypeError, match="^dest: expected a path, not 5"):
        wixarchive.backup(archive, 5)  # type: ignore[arg-type]


def test_a_post_named_by_neither_a_url_nor_an_id_is_a_type_error(
        archive: wixarchive.Archive) -> None:
    # None, 3.5 or a list "named no post" (None, [], "no post archived at None"): a script
    # passing a wrong column's value read it as a post missing.
    for wrong in (None, 3.5, ["https://a.example.com/post/one"], True):
        for use, name in ((archive.post, "url_or_id"), (archive.versions, "url_or_id"),
                          (lambda ref: wixarchive.diff(archive, ref), "url"),
                          (lambda ref: wixarchive.post_version(archive, ref, 1), "url")):
            with pytest.raises(TypeError, match=f"^{name}: expected a post's URL .* not "):
                use(wrong)

    class NumpyLikeInt:  # numpy.int64, from a DataFrame's id column: an integer by __index__
        def __index__(self) -> int:
            return 1

    assert archive.post(NumpyLikeInt())["title"] == "Bread one"  # type: ignore[arg-type,index]
    assert archive.post(" 1 ")["title"] == "Bread one"  # type: ignore[index]
    assert archive.post(10**30) is None and archive.versions(-1) == []
