"""`wixarchive serve`: errors, lazy imports, and a real server that stops cleanly on Ctrl-C."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_web import make_archive

from archive.cli import main
from archive.web import metadata

STARTUP_TIMEOUT = 60  # seconds; a guard against a hang, not a speed assertion


def test_missing_or_invalid_archive_is_a_one_line_error(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines() == [f"Error: no archive at {tmp_path}/none.db"]
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    invalid = runner.invoke(main, ["serve", "--db", str(text)])
    assert invalid.exit_code == 1
    assert invalid.output.startswith("Error: ") and len(invalid.output.splitlines()) == 1
    assert "Traceback" not in invalid.output


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "blogs.db")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--db", str(db), "--port", str(port)])
    assert result.exit_code == 1
    assert f"Error: port {port} on 127.0.0.1 is already in use" in result.output


def test_serve_module_does_not_import_datasette_until_run() -> None:
    code = "import sys, archive.cli.serve; print('datasette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=STARTUP_TIMEOUT)
    assert out.stdout.strip() == "False"


@contextmanager
def running_server(db: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`wixarchive serve` on a free port; yields the process and the URL it printed.

    Its output goes to files beside the archive (`serve.out`, `serve.err`), not pipes: a pipe
    nobody reads fills up (Datasette prints a long traceback per client error when `rich` is
    installed) and the server would block writing to it.
    """
    out_path, err_path = db.with_name("serve.out"), db.with_name("serve.err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "archive.cli", "serve", "--db", str(db), "--port", "0",
             *extra], stdout=out, stderr=err, text=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not out_path.read_text().endswith("\n"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("serve printed nothing: " + err_path.read_text())
            time.sleep(0.05)
        line = out_path.read_text().splitlines()[0]
        assert line.startswith("Serving "), line + err_path.read_text()
        yield proc, line.split(" at ", 1)[1].split()[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def server_output(db: Path) -> tuple[str, str]:
    """What the server of `running_server(db)` wrote to stdout and stderr."""
    return db.with_name("serve.out").read_text(), db.with_name("serve.err").read_text()


def test_serve_binds_localhost_serves_search_and_stops_cleanly(tmp_path: Path) -> None:
    db = make_archive(tmp_path / "blogs.db")
    with running_server(db) as (proc, url):
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "blogs/-/search.json?q=breathing",
                                    timeout=STARTUP_TIMEOUT) as response:
            hits = json.load(response)["hits"]
        assert hits[0]["title"] == "Breathing for beginners"
        with urllib.request.urlopen(url + "-/metadata.json", timeout=STARTUP_TIMEOUT) as response:
            assert json.load(response)["title"] == "wixarchive"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=STARTUP_TIMEOUT)
    out, err = server_output(db)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert out.strip().endswith("Stopped.")


@contextmanager
def read_only_mount(folder: Path) -> Iterator[None]:
    """`folder` mounted read-only over itself (root ignores permission bits, not a read-only
    mount); skips the test where mounting is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root")
    if subprocess.run(["mount", "--bind", str(folder), str(folder)]).returncode != 0:
        pytest.skip("mount --bind is not allowed here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_serve_an_archive_in_a_read_only_folder(tmp_path: Path) -> None:
    """A WAL archive in a folder that cannot be written: SQLite cannot create the -shm file its
    readers share, and every page answered 500 ("unable to open database file") under a
    "Serving ... read-only" line. Now it is served as an immutable file, and the line says so."""
    folder = tmp_path / "ro"
    folder.mkdir()
    db = make_archive(folder / "blogs.db")
    assert not db.with_name("blogs.db-shm").exists()
    out_path, err_path = tmp_path / "serve.out", tmp_path / "serve.err"
    with read_only_mount(folder), open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "archive.cli", "serve", "--db", str(db),
                                 "--port", "0"], stdout=out, stderr=err, text=True)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not out_path.read_text().endswith("\n"):
                assert proc.poll() is None and time.monotonic() < deadline, err_path.read_text()
                time.sleep(0.05)
            line = out_path.read_text().splitlines()[0]
            assert line.startswith(f"Serving {db} read-only (as an immutable file: its folder "
                                   "cannot be written) at http://127.0.0.1:"), line
            url = line.split(" at ", 1)[1].split()[0]
            for page in ("", "blogs", "blogs/posts", "blogs/-/search?q=breathing"):
                with urllib.request.urlopen(url + page, timeout=STARTUP_TIMEOUT) as response:
                    assert response.status == 200, page
            with urllib.request.urlopen(url + "blogs/-/search.json?q=breathing",
                                        timeout=STARTUP_TIMEOUT) as response:
                assert json.load(response)["hits"][0]["title"] == "Breathing for beginners"
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=STARTUP_TIMEOUT)
    assert "Error" not in err_path.read_text(), err_path.read_text()


@contextmanager
def running_datasette(db: Path, *extra: str) -> Iterator[str]:
    """Plain `datasette DB -p 0` (the installed entry point brings our plugin); yields its URL.
    Output goes to files, as for running_server."""
    from importlib.metadata import entry_points
    if not any(point.value == "archive.web.plugin" for point in entry_points(group="datasette")):
        pytest.skip("the project is not installed: no datasette entry point")
    out_path, err_path = db.with_name("datasette.out"), db.with_name("datasette.err")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "datasette", str(db), "-p", "0", *extra],
                                stdout=out, stderr=err, text=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "Uvicorn running on " not in err_path.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("datasette did not start: " + err_path.read_text())
            time.sleep(0.05)
        yield err_path.read_text().split("Uvicorn running on ", 1)[1].split()[0] + "/"
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("settings", [(), ("--setting", "default_allow_sql", "off")])
def test_plain_datasette_starts_and_serves_our_pages(tmp_path: Path,
                                                     settings: tuple[str, ...]) -> None:
    """The docs promise `datasette blog.db` gets the plugin. Datasette's own startup lists every
    template (for its pages/ routes); the per-page template loader could not be listed, and
    `datasette blog.db` stopped with a TypeError before it served anything."""
    db = make_archive(tmp_path / "blogs.db")
    with running_datasette(db, *settings) as url:
        # posts answers with our per-page template (table-blogs-posts.html -> its column notes)
        with urllib.request.urlopen(url + "blogs/posts", timeout=STARTUP_TIMEOUT) as response:
            assert "Column notes" in response.read().decode()
        for page in ("", "blogs/posts/1", "blogs/-/search?q=breathing", "blogs/-/post/1"):
            with urllib.request.urlopen(url + page, timeout=STARTUP_TIMEOUT) as response:
                assert response.status == 200, page


def test_a_file_archived_into_while_served_by_plain_datasette_gets_its_pages(
        tmp_path: Path) -> None:
    """`datasette blogs.db` started on the file before the first crawl wrote it (empty): it was
    found to be no archive once and stayed so until a restart, its ranked search and article
    pages answering 404 after the crawl had archived posts. What another process commits to a
    database that is no archive is looked at again, as an archive's changes are."""
    db = tmp_path / "blogs.db"
    db.touch()
    with running_datasette(db) as url:
        assert _get(url + "blogs/-/search?q=breathing")[0] == 404
        make_archive(db)  # another process, as a crawl
        status, _, text = _get(url + "blogs/-/search?q=breathing")
        assert status == 200 and "Breathing" in text, text[:500]
        assert _get(url + "blogs/-/post/1")[0] == 200


def _get(url: str) -> tuple[int, dict[str, str], str]:
    """Status, headers and text of a GET, an HTTP error's too."""
    try:
        with urllib.request.urlopen(url, timeout=STARTUP_TIMEOUT) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_huge_value_in_sql_fails_at_once(tmp_path: Path) -> None:
    """`select length(hex(zeroblob(300000000)))` held 600 MB for 7-8 s per request, past
    sql_time_limit_ms. Values are capped above the archive's largest (64 MiB): such a query
    gets Datasette's error at once, an ordinary one still runs."""
    db = make_archive(tmp_path / "blogs.db")
    with running_server(db) as (_, url):
        huge = urllib.parse.quote("select length(hex(zeroblob(70000000))) as n")
        status, _, text = _get(f"{url}blogs.json?sql={huge}")
        assert status == 400 and json.loads(text)["error"] == "string or blob too big"
        fine = urllib.parse.quote("select length(hex(zeroblob(1000000))) as n")
        status, _, text = _get(f"{url}blogs.json?sql={fine}&_shape=array")
        assert status == 200 and json.loads(text) == [{"n": 2000000}]


def test_serve_passes_datasette_settings(tmp_path: Path) -> None:
    """--setting NAME VALUE as `datasette --setting`: SQL turned off, a base URL that the
    plugin's pages, links and archived files follow, max_returned_rows."""
    from test_web_media_ranges import video_archive

    db, video, media_path = video_archive(tmp_path, 5000)
    with running_server(db, "--setting", "default_allow_sql", "off", "--setting", "base_url",
                        "/prefix/", "--setting", "max_returned_rows", "1") as (_, url):
        assert url.endswith("/prefix/")
        status, _, _ = _get(url + "archive.json?sql=select+1")
        assert status == 403
        status, _, text = _get(url + "archive/-/search.json?limit=5")
        assert status == 200 and json.loads(text)["max_limit"] == 1
        origin = url[:-len("/prefix/")]
        with sqlite3.connect(db) as conn:
            (post_id,) = conn.execute("SELECT id FROM posts").fetchone()
        conn.close()
        for page in ("", "archive", "archive/posts", f"archive/-/post/{post_id}",
                     "archive/-/search?q=a"):
            status, _, html = _get(url + page)
            assert status == 200, page
            links = re.findall(r'(?:href|src|action)="(/[^"]*)"', html)
            assert links and all(link.startswith("/prefix/") for link in links), (page, links)
        article = _get(f"{url}archive/-/post/{post_id}")[2]
        assert f'href="/prefix{media_path}"' in article
        # The citation is absolute, with the host asked and the prefix (relative before
        # 2026-12-06: a pasted citation named no server), and shows the article.
        cited = re.search(r'Cite this version: <a href="([^"]+)"', article).group(1)
        assert re.fullmatch(rf"{re.escape(url)}archive/-/post/{post_id}\?v=[0-9a-f]{{12}}",
                            cited), cited
        assert _get(cited)[0] == 200
        with urllib.request.urlopen(origin + "/prefix" + media_path,
                                    timeout=STARTUP_TIMEOUT) as response:
            assert response.read() == video and response.headers["Content-Type"] == "video/mp4"
            assert response.headers["Content-Security-Policy"].startswith(
                "sandbox allow-same-origin;")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_base_url_pages_link_to_themselves_with_the_prefix_once(tmp_path: Path) -> None:
    """Behind a proxy that keeps the prefix, a table page's own links (Next page, sorting,
    facets, JSON and CSV) and its JSON's `next_url` carry base_url once: Datasette 0.65 gave
    `/prefix/prefix/blogs/posts?_next=5`, a 404. Following next_url lists every post once."""
    db = make_archive(tmp_path / "blogs.db", extra=30)
    with running_server(db, "--setting", "base_url", "/prefix/") as (_, url):
        origin = url[:-len("/prefix/")]
        for page in ("blogs/posts?_size=5", "blogs/posts?_size=5&_sort=title",
                     "blogs/posts?_size=1&_tag=Yoga&_facet=reading_minutes"):
            status, _, html = _get(url + page)
            assert status == 200, page
            links = re.findall(r'(?:href|src|action)="(?:http://[^/"]+)?(/[^"]*)"', html)
            assert links and all(link.startswith("/prefix/") and not link.startswith(
                "/prefix/prefix/") for link in links), (page, links)
            (next_link,) = re.findall(r'href="http://[^/"]+(/[^"]*)">Next page', html)
            assert _get(origin + next_link.replace("&amp;", "&"))[0] == 200, next_link
        # Redirects Datasette builds from the path alone keep the prefix too.
        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(NoRedirect).open(url + "blogs/posts/")
        assert redirect.value.headers["Location"] == "/prefix/blogs/posts"
        with sqlite3.connect(db) as conn:
            every_id = sorted(row[0] for row in conn.execute("SELECT id FROM posts"))
        conn.close()
        for order in ("", "&_sort=title"):
            seen: list[int] = []
            next_url = f"{url}blogs/posts.json?_size=5{order}"
            while next_url:
                assert next_url.startswith(url) and "/prefix/prefix/" not in next_url
                status, _, text = _get(next_url)
                assert status == 200, next_url
                page_data = json.loads(text)
                seen += [row[page_data["columns"].index("id")] for row in page_data["rows"]]
                next_url = page_data["next_url"]
            assert sorted(seen) == every_id, order


@pytest.mark.parametrize(("name", "prefix"), [("blogs.db", "/prefix/"),
                                             ("archive.db", "/archive/")])
def test_every_link_of_every_page_kind_answers_under_base_url(tmp_path: Path, name: str,
                                                               prefix: str) -> None:
    """Behind a proxy that keeps the prefix, every link to the server itself of every kind of
    page (front page, /-/ pages, database, table, row, article, search, canned queries; their
    CSV/JSON links, the "every row" CSV of a query cut at max_returned_rows, alternates and
    static files) and every page's `Link` header answer 200.
    The front page's and the /-/ pages' JSON alternate (`<link rel="alternate"
    type="application/json+datasette">` and the `Link` header) were `/prefix/prefix/….json`:
    404, and 400 for an archive named as the prefix (before 2026-12-07)."""
    db = make_archive(tmp_path / name, extra=3)
    with sqlite3.connect(db) as conn:
        (post_id,) = conn.execute("SELECT id FROM posts").fetchone()
        (site_id,) = conn.execute("SELECT id FROM sites").fetchone()
    conn.close()
    archive = db.stem
    pages = ["", "-/metadata", "-/plugins", "-/versions", "-/settings", "-/databases",
             "-/actor", "-/search?q=breathing", archive, f"{archive}?sql=select+1",
             f"{archive}/posts", f"{archive}/posts?_facet=reading_minutes",
             f"{archive}/posts/{post_id}",
             f"{archive}/sites/{site_id}", f"{archive}/-/post/{post_id}",
             f"{archive}/-/search?q=breathing", f"{archive}/changed_since?since=2000-01-01",
             f"{archive}/deleted_posts", f"{archive}/recent_posts"]
    with running_server(db, "--setting", "base_url", prefix,
                        "--setting", "max_returned_rows", "2") as (_, url):
        origin = url[:-len(prefix)]
        own_link = re.compile(r'(?:href|src|action)="(?:' + re.escape(origin) + r')?(/(?!/)[^"]*)"')
        checked: dict[str, int] = {}
        for page in pages:
            status, headers, text = _get(url + page)
            assert status == 200, page
            links = {html.unescape(link) for link in own_link.findall(text)}
            assert links, page
            if headers.get("Link"):
                links.add(re.match(r"<?([^>;]+)>?;", headers["Link"]).group(1)[len(origin):])
            for link in links - checked.keys():
                checked[link] = _get(origin + link)[0]
            failing = {link: checked[link] for link in links if checked[link] != 200}
            assert not failing, (page, failing)
        assert f"{prefix}-/metadata.json" in checked and f"{prefix}.json" in checked
        assert [link for link in checked if "_stream=on" in link], "no every-row CSV link"


def test_a_query_cut_at_max_returned_rows_says_so_above_its_downloads(tmp_path: Path) -> None:
    """A canned query's CSV holds its first max_returned_rows rows; Datasette said so only in
    its JSON, so "Posts changed since" downloaded as CSV silently lost the rest. The page says
    it above its CSV and JSON links, with the ways to get every row; a query that fits does
    not."""
    db = make_archive(tmp_path / "blogs.db", extra=10)
    with running_server(db, "--setting", "max_returned_rows", "5") as (_, url):
        status, _, page = _get(url + "blogs/changed_since?since=2000-01-01")
        assert status == 200
        note, links = re.search(r'<p class="wxa-truncated" role="note">(.*?)</p>\s*'
                                r'<p class="export-links">(.*?)</p>', page, re.S).groups()
        assert "more than 5 rows" in note and "CSV hold the first 5" in note, note
        assert "--setting max_returned_rows" in note and "--changed-since" in note, note
        csv_href = html.unescape(re.search(r'href="/([^"]+\.csv[^"]*)"', links).group(1))
        status, _, text = _get(url + csv_href)
        assert status == 200 and len(text.strip().splitlines()) == 1 + 5
        # Every row: the posts table's streamed CSV of the same posts, linked from the note.
        with sqlite3.connect(db) as conn:
            changed = sorted(row[0] for row in conn.execute(
                "SELECT url FROM posts WHERE recorded_at >= '2000-01-01'"))
        conn.close()
        every_href = html.unescape(re.search(r'<a href="/([^"]+)">the posts table', note).group(1))
        status, _, text = _get(url + every_href)
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert status == 200 and len(changed) > 5
        assert sorted(row["url"] for row in rows) == changed, every_href
        assert rows[0]["site_id_label"].startswith("https://") and rows[0]["recorded_at"]
        status, _, page = _get(url + "blogs/deleted_posts")  # one row
        assert status == 200 and 'class="export-links"' in page
        assert "wxa-truncated" not in page


@pytest.mark.parametrize("query", ["recent_posts", "tag_counts"])
def test_a_cut_query_of_sites_or_tags_downloads_whole_from_its_note(tmp_path: Path,
                                                                     query: str) -> None:
    """"Recent posts per site" and "Tags by number of posts" are no filter of the posts table:
    past max_returned_rows their CSV held the first rows and the note only said so. The note
    links their whole CSV: every row, once, in the page's order and columns."""
    db = make_archive(tmp_path / "blogs.db", extra=3)
    with sqlite3.connect(db) as conn:
        expected = [["" if value is None else str(value) for value in row]
                    for row in conn.execute(metadata.QUERIES[query]["sql"])]
    conn.close()
    assert len(expected) > 2
    with running_server(db, "--setting", "max_returned_rows", "2") as (_, url):
        status, _, page = _get(url + f"blogs/{query}")
        assert status == 200
        note = re.search(r'<p class="wxa-truncated" role="note">(.*?)</p>', page, re.S).group(1)
        assert "more than 2 rows" in note, note
        whole = html.unescape(re.search(r'<a href="/([^"]+)">this query&#39;s CSV with every row',
                                        note).group(1))
        status, headers, text = _get(url + whole)
        assert status == 200 and headers["content-type"].startswith("text/csv"), text
        rows = list(csv.reader(io.StringIO(text, newline="")))
        status, _, shown = _get(url + f"blogs/{query}.csv")  # the page's own CSV: its header
        assert rows[0] == next(csv.reader(io.StringIO(shown, newline="")))
        assert rows[1:] == expected, whole
        # Only the queries whose rows are bounded by sites or tags are read whole.
        assert _get(url + "blogs/-/query/changed_since.csv")[0] == 404


@pytest.mark.parametrize(("pair", "message"), [
    (("no_such", "1"), "Error: --setting no_such is not a valid option"),
    (("default_allow_sql", "maybe"), 'Error: --setting "default_allow_sql" should be on/off'),
    (("max_returned_rows", "many"), 'Error: --setting "max_returned_rows" should be an integer'),
])
def test_a_bad_setting_is_a_one_line_error(tmp_path: Path, pair: tuple[str, str],
                                           message: str) -> None:
    db = make_archive(tmp_path / "blogs.db")
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--setting", *pair])
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert result.output.startswith(message), result.output


def test_an_archive_named_as_the_prefix_is_served_under_it(tmp_path: Path) -> None:
    """The docs' example, `--setting base_url /archive/` for the default archive.db behind a
    proxy keeping the prefix: every table page of the archive was a 404 (`/archive/archive/posts`
    was handed on as `/archive/posts`, which Datasette took the prefix off again: `/posts`).
    Its pages answer, and their own links and next_url carry the prefix once."""
    db = make_archive(tmp_path / "archive.db", extra=30)
    with running_server(db, "--setting", "base_url", "/archive/") as (_, url):
        origin = url[:-len("/archive/")]
        for page in ("archive/posts?_size=5", "archive/posts?_size=5&_sort=title",
                     "archive/posts?_size=1&_tag=Yoga&_facet=reading_minutes", "archive/sites"):
            status, _, text = _get(url + page)
            assert status == 200, page
            links = set(re.findall(r'(?:href|src|action)="(?:http://[^/"]+)?(/[^"]*)"', text))
            assert links and all(link.startswith("/archive/") for link in links), links
            assert not [link for link in links if link.startswith("/archive/archive/archive/")]
            for link in links:
                assert _get(origin + html.unescape(link))[0] == 200, link
        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(NoRedirect).open(url + "archive/posts/")
        assert redirect.value.headers["Location"] == "/archive/archive/posts"
        with sqlite3.connect(db) as conn:
            every_id = sorted(row[0] for row in conn.execute("SELECT id FROM posts"))
        conn.close()
        seen: list[int] = []
        next_url = f"{url}archive/posts.json?_size=5"
        while next_url:
            status, _, text = _get(next_url)
            assert status == 200, next_url
            page_data = json.loads(text)
            seen += [row[page_data["columns"].index("id")] for row in page_data["rows"]]
            next_url = page_data["next_url"]
        assert sorted(seen) == every_id
