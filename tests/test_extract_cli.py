"""`wixarchive extract`: file, stdin and URL sources, JSON output, clean errors, light imports."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli.extract import command

FIXTURES = Path(__file__).parent / "fixtures" / "html"
POST = FIXTURES / "classic_post.html"


def test_json_output_has_article_keys():
    result = CliRunner().invoke(command, [str(POST), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["title"] == 'Five Ways to Water a "Fern"'
    assert data["page_kind"] == "post"
    for key in ("body_text", "body_html", "body_markdown", "images", "warnings", "post_id"):
        assert key in data


def test_text_rendering():
    result = CliRunner().invoke(command, [str(POST)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == 'Five Ways to Water a "Fern"'
    assert "Author: Ada Gardener" in lines
    assert "Kind: post" in lines
    assert "Ferns like steady moisture, not floods." in result.output


def test_stdin_and_url_option():
    url = "https://www.example-garden.com/post/five-ways-to-water-a-fern?lang=en"
    result = CliRunner().invoke(command, ["-", "--url", url, "--json"], input=POST.read_bytes())
    assert result.exit_code == 0
    assert json.loads(result.output)["url"] == url


def test_missing_file_is_one_line_error():
    result = CliRunner().invoke(command, ["/nonexistent/page.html"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: no such file: /nonexistent/page.html"]


def test_a_text_dump_is_refused_with_the_command_that_reads_it(tmp_path):
    dump = tmp_path / "post.txt"
    dump.write_text("top of page\nSearch\nA title\n- Jun 4\n- 2 min read\nBody.\n", "utf-8")
    result = CliRunner().invoke(command, [str(dump)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {dump} holds no HTML tag: a text dump of a page? `wixarchive clean {dump}` "
        "reads those"]
    # A page with a single tag, however broken, is still read as HTML.
    broken = CliRunner().invoke(command, ["-"], input=b"<p>Body text of a page")
    assert broken.exit_code == 0
    # From stdin the error names the argument that reads stdin.
    piped = CliRunner().invoke(command, ["-"], input=b"url\tdate\nhttps://x.com/a\t2019-06-06\n")
    assert piped.exit_code == 1
    assert piped.output == ("Error: stdin holds no HTML tag: a text dump of a page? "
                            "`wixarchive clean -` reads those\n")


def _extract(*args: str) -> subprocess.CompletedProcess[str]:
    repo = Path(__file__).resolve().parents[1]
    return subprocess.run([sys.executable, "-m", "archive.cli", "extract", *args], cwd=repo,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("xml", "said"), [
    ('<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</title></item></channel>'
     "</rss>", "an RSS feed, not an HTML page"),
    ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url>'
     "<loc>https://x.com/post/a</loc></url></urlset>", "a sitemap, not an HTML page"),
])
def test_a_feed_or_sitemap_exits_1_with_the_reason_on_stderr(tmp_path, xml, said):
    path = tmp_path / "feed.xml"
    path.write_text(xml, "utf-8")
    for args in ([str(path)], [str(path), "--json"]):
        out = _extract(*args)
        assert (out.returncode, out.stdout) == (1, "")
        assert out.stderr.startswith(f"Error: {path}: {said} (wixarchive crawl reads feeds")
        assert len(out.stderr.splitlines()) == 1


def test_an_error_page_exits_1_and_a_listing_is_a_page():
    error_page = _extract(str(FIXTURES / "error_404.html"))
    assert (error_page.returncode, error_page.stdout) == (1, "")
    assert error_page.stderr == (f"Error: {FIXTURES / 'error_404.html'} is an error page "
                                 "('404 Error Page | Example Garden'), not a post\n")
    for valid in ("listing.html", "category.html", "tag.html"):
        out = _extract(str(FIXTURES / valid), "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["page_kind"] in ("listing", "category", "tag")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server's naming
        if self.path == "/MANIFEST.tsv":  # a text file served as text: no page
            body = b"url\tdate\tsize\nhttps://x.com/a\t2019-06-06\t123\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/post/ok":
            body = POST.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404, "Not Found")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server():
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def test_fetches_url(server):
    result = CliRunner().invoke(command, [f"{server}/post/ok", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["url"] == f"{server}/post/ok"
    assert data["author"] == "Ada Gardener"


def test_a_fetched_text_file_is_no_page(server):
    result = CliRunner().invoke(command, [f"{server}/MANIFEST.tsv", "--json"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"Error: {server}/MANIFEST.tsv: no HTML markup: a text file "
                             "(wixarchive clean reads text dumps)\n")


def test_http_error_is_one_line(server):
    result = CliRunner().invoke(command, [f"{server}/missing"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: HTTP 404")
    assert "Traceback" not in result.output


def test_unreachable_url_is_one_line():
    with socketless_port() as port:
        result = CliRunner().invoke(command, [f"http://127.0.0.1:{port}/x"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot fetch")


def test_fetch_errors_show_the_url_as_a_person_reads_it(server):
    # Percent-escapes decoded, as every other message shows a URL.
    with socketless_port() as port:
        result = CliRunner().invoke(command, [f"http://127.0.0.1:{port}/caf%C3%A9"])
    assert result.output.startswith(f"Error: cannot fetch http://127.0.0.1:{port}/café: ")
    result = CliRunner().invoke(command, [f"{server}/caf%C3%A9"])
    assert result.output == f"Error: HTTP 404 Not Found for {server}/café\n"


class socketless_port:  # used as a context manager
    """A local port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]  # bound but not listening: connections are refused

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def imported_by_extract(wanted: str) -> str:
    """Which modules `wixarchive extract POST --json` leaves imported, of those the Python
    expression `wanted` (over `m`, a module name) picks, run in a fresh interpreter."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from archive.cli import main\n"
        f"r = CliRunner().invoke(main, ['extract', {str(POST)!r}, '--json'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"print(','.join(sorted(m for m in sys.modules if {wanted})))\n"
    )
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_command_does_not_import_heavy_stacks():
    assert imported_by_extract(
        "m.split('.')[0] in ('scrapy', 'twisted', 'datasette', 'redis', 'scrapy_redis')") == ""


def test_extracting_a_blog_post_file_leaves_the_archive_vocabulary_and_http_unimported():
    # The command's start is mostly imports: the archive store (with the search package it
    # brings), the dump cleaner's vocabulary and urllib.request cost ~100 ms of a ~200 ms start,
    # and a blog-app post read from a file needs none of them (element-built pages import the
    # vocabulary when they get to it, a URL urllib.request).
    assert imported_by_extract(
        "m in ('archive.store', 'archive.ingest', 'archive.search', 'crawler.clean.vocabulary',"
        " 'urllib.request')") == ""


def test_errors_go_to_stderr_without_traceback():
    code = "from archive.cli.extract import command; command()"
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code, "/nonexistent/page.html"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == "Error: no such file: /nonexistent/page.html\n"


def test_a_utf16_page_is_read_as_the_crawler_reads_it(tmp_path):
    # The page module decodes a byte-order mark before it looks for a tag: a UTF-16 file is a
    # page, not a text dump (no tag is found in its raw bytes, "<\x00p\x00").
    page = tmp_path / "page.html"
    page.write_bytes("<html><head><title>Grüße aus Wien</title></head><body><p>Ein Text über "
                     "den Garten.</p></body></html>".encode("utf-16"))
    result = CliRunner().invoke(command, [str(page), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["title"] == "Grüße aus Wien"
