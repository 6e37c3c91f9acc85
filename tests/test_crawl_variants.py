"""Wix site variants a crawl met: a post named as the start URL under a renamed prefix, post
URLs that answer a login page, a blog whose feed names its home at another path, and
robots.txt forbidding part (or all) of a site."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.sample_site import SampleBlog, feeds, render, serve_blog
from crawler.sample_site.chrome import Site
from crawler.sample_site.server import Response

FAST = ["--delay", "0", "--no-autothrottle", "--no-media"]
HTML = {"Content-Type": "text/html; charset=utf-8"}


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return wixarchive("crawl", *args, *FAST)


def test_a_post_named_as_the_start_url_under_a_renamed_prefix_is_archived(tmp_path: Path):
    """Without a posts sitemap, a start URL that is no /post/ URL is read as a listing page;
    when it was a post (`/articles/...`, an old `/single-post/...`) that the feed's newest 20
    leave out, the listing card's link to it was dropped as a duplicate request: 24 posts of
    25, without a word. Its page is now archived, being a post, from that first fetch."""
    blog = SampleBlog(seed=3, post_count=25, post_prefix="articles")
    oldest = blog.posts[-1]  # not among the feed's 20 newest
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.overrides["/sitemap.xml"] = Response(404, b"", HTML)
        result = crawl(server.url + oldest.url_path, "--db", str(db), "--json")
        fetched = [p for p in server.request_log if p.startswith("/articles/")]
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 25), summary
    assert fetched.count(oldest.url_path) == 1  # fetched once, archived from that fetch
    with Archive.open(db, readonly=True) as archive:
        assert server.url + oldest.url_path in archive.known_posts(server.url + "/")


@pytest.mark.parametrize("blog_home", ["/blog-1", "/home"])
def test_a_blog_whose_feed_names_its_home_elsewhere_is_read_there_past_the_feeds_20(
        tmp_path: Path, blog_home: str):
    """Real Wix feeds name the blog's home in <channel><link>: /blog-1 (ccs.org.hk), /home
    (costcarbon.org: a blog on the site's home page). With the posts sitemap gone and 26
    posts, the feed's newest 20 are all it gives: the other 6 are found only through the
    listing pages at that home (/blog answers 404), its pages and categories, and nothing
    else of the site is read as a listing (the home page is read once, for its languages)."""
    blog = SampleBlog(seed=7, post_count=26, page_size=10)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.blog_path = blog_home
        server.overrides["/blog-posts-sitemap.xml"] = Response(404, b"", HTML)
        result = crawl(server.url + "/", "--db", str(db), "--json")
        read = {p for p in server.request_log if not p.startswith("/post/")}
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 26), summary
    assert {blog_home, f"{blog_home}/page/2", f"{blog_home}/page/3"} <= read
    assert {p for p in read if not p.startswith(blog_home)} == {
        "/robots.txt", "/sitemap.xml", "/blog-posts-sitemap.xml", "/blog-feed.xml", "/"}


def test_a_blog_on_the_sites_home_page_is_read_there_past_the_feeds_20(tmp_path: Path):
    """A blog on the site's home page: the feed's <channel><link> names the home as Wix
    spells it, without a trailing slash (`https://www.example.com`, as its pages sitemap
    lists it). That was taken for a page of another site: /blog was guessed instead (404),
    and of 26 posts only the feed's newest 20 were archived. The home is now read as the
    blog's listing."""
    blog = SampleBlog(seed=7, post_count=26, page_size=30)  # one listing page holds all
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.blog_on_home_page()
        assert f"<link>{server.url}</link>".encode() in server.respond("/blog-feed.xml").body
        server.overrides["/blog-posts-sitemap.xml"] = Response(404, b"", HTML)
        result = crawl(server.url + "/", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 26), summary


def test_post_urls_answering_a_login_page_are_counted_and_an_archived_one_is_kept(
        tmp_path: Path):
    """A listed post URL that answers 200 with a members-only login page (no post) was
    dropped without a word (`2 unchanged` of 3 on a re-crawl). It is counted and named now,
    in the summary, the run's row and `runs --json`; a post archived before that now answers
    one is said so, and kept, never marked deleted."""
    blog = SampleBlog(seed=5, post_count=4)
    members_only, hidden = blog.posts[0].url_path, blog.posts[1].url_path
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        login = Response(200, render.about_page(Site(blog, server.url)).encode(), HTML)
        server.overrides[members_only] = login
        first = crawl(server.url, "--db", str(db), "--json")
        # The archived post becomes members-only and leaves the sitemap: its check (was it
        # deleted?) answers the login page.
        server.overrides[hidden] = login
        server.sitemap_hidden.add(hidden)
        second = crawl(server.url, "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    one = json.loads(first.stdout)
    assert (one["status"], one["counts"]["new"], one["counts"]["not_posts"]) == ("ok", 3, 1)
    assert one["message"].endswith(
        "; 1 post URL answered a page that is not a post (a login page?)"), one["message"]
    assert (f"{server.url}{members_only}: not archived: answered a page that is not a post "
            "(other page)") in one["errors"]

    assert second.returncode == 0, second.stderr
    two = json.loads(second.stdout)
    assert (two["status"], two["counts"]["unchanged"], two["counts"]["deleted"],
            two["counts"]["not_posts"]) == ("ok", 2, 0, 2), two
    assert two["message"].endswith(
        "; 2 post URLs answered a page that is not a post (a login page?), 1 of them archived "
        "before: kept as archived, not marked deleted"), two["message"]
    with Archive.open(db, readonly=True) as archive:
        kept = archive.known_posts(server.url + "/")[server.url + hidden]
        assert kept.deleted_at is None
    runs = json.loads(wixarchive("runs", "--json", "--db", str(db)).stdout)
    assert [run["not_posts"] for run in runs] == [2, 1]


def test_pages_robots_txt_forbids_are_skipped_not_failed(tmp_path: Path):
    """robots.txt forbidding the posts sitemap and a post made the run `partial` with "2
    pages failed"; forbidding /post/ failed it with "4 requests failed". A page robots.txt
    forbids is skipped by choice: counted apart, and a crawl that archives every post robots.txt
    allows is `ok`; one whose posts it all forbids says so."""
    db = tmp_path / "archive.db"
    partly, wholly = SampleBlog(seed=6, post_count=4), SampleBlog(seed=7, post_count=4)
    private = partly.posts[2].url_path
    with serve_blog(partly) as some, serve_blog(wholly, host="127.0.0.2") as none:
        some.robots_disallow += ["/blog-posts-sitemap.xml", private]
        none.robots_disallow.append("/post/")
        result = crawl(some.url + "/", none.url + "/", "--db", str(db), "--json")
        assert not any(path.startswith("/post/") for path in none.request_log)
    first, second = json.loads(result.stdout)
    assert first["status"] == "ok", first
    assert (first["counts"]["new"], first["counts"]["failed"],
            first["counts"]["robots_skipped"]) == (3, 0, 2), first
    assert first["message"].endswith("; 2 pages skipped: robots.txt forbids them"), first
    assert f"{some.url}{private}: Forbidden by robots.txt" in first["errors"]
    assert second["status"] == "failed", second
    assert (second["counts"]["failed"], second["counts"]["robots_skipped"]) == (0, 4), second
    assert second["message"] == (f"no posts archived from {none.url}/: robots.txt forbids its "
                                 "posts (4 post pages skipped)"), second
    runs = json.loads(wixarchive("runs", "--json", "--db", str(db)).stdout)
    assert sorted((run["status"], run["failed"], run["robots_skipped"]) for run in runs) == [
        ("failed", 0, 4), ("ok", 0, 2)]


def test_robots_txt_is_fetched_once_and_one_answering_a_server_error_forbids_all(
        tmp_path: Path):
    """The spider and Scrapy's robots middleware each asked for robots.txt: every crawl fetched
    it twice, and one answering 503 eight times (four tries each), after which the server's
    error page was read as a robots.txt forbidding nothing and every post was crawled. RFC
    9309: a robots.txt that answers a server error forbids everything; the crawl stops."""
    db = tmp_path / "archive.db"
    up, down = SampleBlog(seed=8, post_count=3), SampleBlog(seed=9, post_count=3)
    with serve_blog(up) as served, serve_blog(down, host="127.0.0.2") as failing:
        served.robots_disallow.append(up.posts[0].url_path)
        failing.overrides["/robots.txt"] = Response(503, b"<html>busy</html>", HTML)
        result = crawl(served.url + "/", failing.url + "/", "--db", str(db), "--json")
        served_log, failing_log = list(served.request_log), list(failing.request_log)
        unobeyed = crawl(failing.url + "/", "--db", str(db), "--json", "--no-robots")
    by_site = {summary["site"]: summary for summary in json.loads(result.stdout)}
    ok, refused = by_site[served.url + "/"], by_site[failing.url + "/"]
    assert served_log.count("/robots.txt") == 1, served_log
    assert (ok["status"], ok["counts"]["new"], ok["counts"]["robots_skipped"]) == (
        "ok", 2, 1), ok
    assert failing_log == ["/robots.txt"] * 4, failing_log
    assert refused["status"] == "failed", refused
    assert refused["message"] == (
        f"could not reach {failing.url}/: HTTP 503 (4 tries) for its robots.txt: nothing else "
        "fetched, as RFC 9309 asks; crawl again when it answers"), refused
    # --no-robots: not obeyed, so no reason to stop.
    assert json.loads(unobeyed.stdout)["counts"]["new"] == 3, unobeyed.stdout


def _huge_robots_txt(rules: str, chunked: bool) -> Callable[[BaseHTTPRequestHandler], bool]:
    """A 17 MiB robots.txt, over DOWNLOAD_MAXSIZE: `rules`, then comment lines; its length
    announced (Content-Length) or not (chunked)."""
    line = b"# " + b"-" * 1021 + b"\n"
    count = 17 * 1024

    def answer(handler: BaseHTTPRequestHandler) -> bool:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        else:
            handler.send_header("Content-Length", str(len(rules) + count * len(line)))
        handler.end_headers()
        chunks = [rules.encode(), *[line * 64] * (count // 64)]
        try:
            for chunk in chunks:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            if chunked:
                handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the crawler read what it needed and hung up
            handler.close_connection = True
        return True
    return answer


def test_a_robots_txt_over_the_size_limit_is_read_from_its_start(tmp_path: Path):
    """A robots.txt over DOWNLOAD_MAXSIZE (16 MiB) failed to download and forbade everything:
    no post archived. RFC 9309 (2.5) asks to parse at least its first 500 KiB: its rules
    there are obeyed, announced or not, and the download stops after them."""
    blog = SampleBlog(seed=12, post_count=3)
    with serve_blog(blog) as announced, serve_blog(blog, host="127.0.0.2") as streamed:
        for server, chunked in ((announced, False), (streamed, True)):
            rules = feeds.robots_txt(server.url, [blog.posts[0].url_path])
            server.takeovers["/robots.txt"] = _huge_robots_txt(rules, chunked)
        result = crawl(announced.url + "/", streamed.url + "/", "--db",
                       str(tmp_path / "archive.db"), "--json")
    for summary in json.loads(result.stdout):
        assert (summary["status"], summary["counts"]["new"],
                summary["counts"]["robots_skipped"]) == ("ok", 2, 1), summary


def test_a_compressed_robots_txt_is_read_from_its_start_as_a_plain_one(tmp_path: Path):
    """A gzip robots.txt unpacking past DOWNLOAD_MAXSIZE (16 MiB: 17 KB of gzip here) failed in
    Scrapy's HttpCompressionMiddleware and was read as allowing everything: its Disallow was not
    obeyed, where the same plain robots.txt was read from its first 512 KiB (RFC 9309 2.5). It
    is now unpacked to its first 512 KiB only, and obeyed."""

    blog = SampleBlog(seed=13, post_count=3)
    padding = b"# " + b"-" * 1021 + b"\n"
    with serve_blog(blog) as server:
        rules = feeds.robots_txt(server.url, [blog.posts[0].url_path]).encode()
        server.overrides["/robots.txt"] = Response(
            200, gzip.compress(rules + padding * (17 * 1024)),
            {"Content-Type": "text/plain", "Content-Encoding": "gzip"})
        result = crawl(server.url + "/", "--db", str(tmp_path / "archive.db"), "--json")
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"],
            summary["counts"]["robots_skipped"]) == ("ok", 2, 1), summary


def test_a_long_robots_txt_whose_lines_end_at_cr_keeps_its_lines():
    """RFC 9309 (2.2) ends a line at CR, LF or CRLF. A robots.txt over 512 KiB was cut at its
    last LF there: one with CR line ends was one line, cut away whole (nothing forbidden). A first
    line over 512 KiB still leaves no whole line in what is read: nothing forbidden."""
    from crawler.downloader.robots import ROBOTS_READ_BYTES, robots_prefix

    rules = b"User-agent: *\rDisallow: /post/\r"
    padding = (b"# " + b"-" * 1021 + b"\r") * 600
    assert robots_prefix(rules + padding).startswith(rules)
    assert robots_prefix(rules + padding).endswith(b"-\r")
    assert len(robots_prefix(rules + padding)) <= ROBOTS_READ_BYTES
    crlf = (rules + padding).replace(b"\r", b"\r\n")
    assert robots_prefix(crlf).startswith(rules.replace(b"\r", b"\r\n"))
    assert robots_prefix(b"# " + b"-" * ROBOTS_READ_BYTES + b"\n" + rules) == b""


EARLY_SPIDER = """
import scrapy

from crawler.downloader.robots import ROBOTS_META

SITE = {site!r}


class EarlyRequest(scrapy.Spider):
    name = "early"

    async def start(self):
        yield scrapy.Request(SITE + "/robots.txt", self.robots_not_read, priority=10,
                             dont_filter=True, meta={{ROBOTS_META: True}})
        yield scrapy.Request(SITE + "/about", self.page)

    def robots_not_read(self, response):
        pass  # never handed to robots_read, as a retry another Redis worker reads

    def page(self, response):
        print("fetched", response.status, flush=True)

    def own_roots(self, request):
        return [SITE + "/"]
"""


def test_a_request_sent_before_the_spiders_robots_txt_is_read_never_waits_for_ever(
        tmp_path: Path):
    """A request to a host whose robots.txt the spider asked for, sent before that robots.txt
    was read, waited for the spider to hand it over: for ever if it never did (no crawl sends
    one today; a Redis worker's robots.txt retried by another worker would). Now it has Scrapy
    fetch robots.txt as it would, and goes out once that is read."""
    with serve_blog(SampleBlog(seed=3, post_count=2)) as server:
        spider = tmp_path / "early.py"
        spider.write_text(EARLY_SPIDER.format(site=server.url))
        command = [sys.executable, "-m", "scrapy", "runspider", str(spider),
                   "-s", "WIXARCHIVE_CAPTURE=false", "-s", "ITEM_PIPELINES={}",
                   "-s", "EXTENSIONS={}", "-s", "LOG_LEVEL=ERROR"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                    cwd=Path(__file__).resolve().parents[1])
        except subprocess.TimeoutExpired:
            result = None
        log = list(server.request_log)
    assert result is not None, f"the crawl hung: {log}"
    assert "fetched 200" in result.stdout, result.stderr
    assert log.count("/about") == 1 and log.count("/robots.txt") == 2, log


def test_a_robots_txt_redirecting_in_a_loop_or_off_http_is_read_as_not_there(tmp_path: Path):
    """A robots.txt whose redirect the crawl does not follow (a loop, or to an ftp: URL) was
    read as forbidding everything: the whole site skipped, "its robots.txt forbids" said of a
    robots.txt never read. RFC 9309 reads too many redirects as no robots.txt (as Scrapy's
    middleware did before the spider's request became the one robots.txt fetch)."""
    db = tmp_path / "archive.db"
    blog = SampleBlog(seed=8, post_count=3)
    with serve_blog(blog) as server:
        server.overrides["/robots.txt"] = Response(301, b"", {"Location": "/robots.txt"})
        looped = crawl(server.url + "/", "--db", str(db), "--json")
        server.overrides["/robots.txt"] = Response(302, b"", {"Location": "ftp://x/robots.txt"})
        off_http = crawl(server.url + "/", "--db", str(db), "--json", "--refetch")
    for result in (looped, off_http):
        summary = json.loads(result.stdout)
        assert summary["counts"]["new"] + summary["counts"]["changed"] + summary["counts"][
            "unchanged"] == 3, summary
        assert summary["counts"].get("robots_skipped", 0) == 0, summary


def test_a_robots_txt_asking_to_wait_longer_than_is_waited_stops_the_crawl_saying_so(
        tmp_path: Path):
    """robots.txt answering 429 with a Retry-After of an hour: everything was forbidden (right,
    RFC 9309) but the run said `no Wix blog posts found ...: its robots.txt forbids ...`, as
    if the site had asked not to be archived, having asked for its sitemaps, feed and listing
    to be refused one by one. It is the server error's stop, saying why."""
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=8, post_count=3)) as server:
        server.overrides["/robots.txt"] = Response(429, b"slow down",
                                                   {**HTML, "Retry-After": "3600"})
        result = crawl(server.url + "/", "--db", str(db), "--json")
        log = list(server.request_log)
    summary = json.loads(result.stdout)
    assert log == ["/robots.txt"]
    assert summary["status"] == "failed", summary
    assert summary["message"].startswith(
        f"could not reach {server.url}/: HTTP 429: the server asks to wait 3600 s "
        "(Retry-After)"), summary
    assert summary["message"].endswith("for its robots.txt: nothing else fetched, as RFC 9309 "
                                       "asks; crawl again when it answers"), summary
