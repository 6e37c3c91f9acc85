"""Hostile servers: a site archived once turns hostile, and the next crawl stays bounded in time and
memory, names every bad URL with its reason, and leaves what was archived as it was.

One crawl covers every case (each hostile URL is a post or sitemap of the same site): bombs,
a body that never ends, 300 MB bodies, a reset mid-body, a PDF or an image as a post, 429 with
Retry-After (both forms, and one past the maximum), a 5xx storm, a redirect cycle, sitemap
indexes that loop, a cut sitemap, a 50,001-URL sitemap and gzipped sitemaps with and without
Content-Encoding (one a bomb). The bounds themselves are in docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.discover.sitemaps import MAX_URLS, parse_sitemap, read_sitemap
from crawler.downloader.backoff import backoff_delay
from crawler.downloader.page_types import binary_kind
from crawler.downloader.retry_after import retry_after_seconds
from crawler.run import crawl_settings
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site import hostile as h
from crawler.summary import summarize
from tests.processes import wait_until

FAST = ["--delay", "0", "--no-autothrottle"]
SITEMAP = "/blog-posts-sitemap.xml"


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", *args, *FAST]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _archived(db: Path, site: str) -> dict[str, tuple[str, str | None, int]]:
    with Archive.open(db, readonly=True) as archive:
        return {url: (known.content_hash, known.deleted_at, len(archive.versions(url)))
                for url, known in archive.known_posts(site).items()}


def test_a_site_turning_hostile_is_bounded_named_and_harms_nothing(tmp_path: Path):
    blog = SampleBlog(seed=41, post_count=24)
    posts = blog.posts
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        base = server.url
        first = crawl(base, "--db", str(db), "--json")
        assert json.loads(first.stdout)["counts"]["new"] == 24, first.stderr
        before = _archived(db, base)

        # The site turns hostile. Posts are edited first so the crawl must fetch them again.
        delta, date = h.Throttle(2), h.Throttle(2, as_date=True)
        too_long = h.Throttle(3600, times=None)
        post_cases = {
            0: (h.compressed_bomb("gzip"), "inflates past the 16 MiB limit (DOWNLOAD_MAXSIZE)"),
            1: (h.compressed_bomb("deflate"), "inflates past the 16 MiB limit"),
            2: (h.compressed_bomb("br"), "inflates past the 16 MiB limit"),
            3: (h.trickle(), "no complete answer within 2 s (DOWNLOAD_TIMEOUT; 4 tries)"),
            4: (h.huge_body(), "body of 314572800 bytes announced, over the 16 MiB limit"),
            5: (h.huge_body(declared=False), "body over the 16 MiB limit (DOWNLOAD_MAXSIZE)"),
            6: (h.reset_mid_body(), "connection lost before the body was complete"),
            7: (h.typed_body("application/pdf", h.PDF), "not an HTML page (application/pdf)"),
            8: (h.typed_body("image/png", h.PNG), "not an HTML page (image/png)"),
            9: (h.typed_body("text/html", h.PNG), "(PNG data served as text/html)"),
            12: (too_long, "asks to wait 3600 s (Retry-After), more than the 60 s limit"),
            13: (h.always(503), "HTTP 503 (4 tries)"),
            14: (h.redirect_to(base + "/post/elsewhere"), "redirect loop: "),
        }
        for index in [*post_cases, 10, 11, 21, 22]:
            blog.edit_post(posts[index].slug, title=posts[index].title + " (edited)")
        for index, (behaviour, _) in post_cases.items():
            server.takeovers[posts[index].url_path] = behaviour
        server.takeovers["/post/elsewhere"] = h.redirect_to(base + posts[14].url_path)
        server.takeovers[posts[10].url_path] = delta
        server.takeovers[posts[11].url_path] = date

        fifty_thousand = [f"https://elsewhere.example/post/p-{n}" for n in range(MAX_URLS)]
        cut = h.urlset(base, posts[15:19])
        listed = [base + SITEMAP, *(f"{base}{SITEMAP}?page={n}" for n in range(1, 5)),
                  *(f"{base}{SITEMAP}.gz{q}" for q in ("", "?page=2", "?page=3"))]
        server.takeovers[SITEMAP] = h.xml_by_query({
            "": h.sitemap_index(listed),
            "page=1": h.urlset(base, posts[:15]),
            "page=2": h.sitemap_index([base + SITEMAP, f"{base}{SITEMAP}?page=2"]),
            "page=3": cut[: len(cut) // 2],  # malformed: cut mid-document
            "page=4": h.urlset(base, posts[19:20], [*fifty_thousand, base + posts[20].url_path]),
        })
        server.takeovers[SITEMAP + ".gz"] = h.xml_by_query({
            "": h.served(h.gzipped(h.urlset(base, posts[21:22])), "application/x-gzip"),
            "page=2": h.served(h.gzipped(h.urlset(base, posts[22:24])), "application/xml", "gzip"),
            "page=3": h.compressed_bomb("gzip", "application/x-gzip", header=False),
        })

        server.hits.clear()
        started = time.monotonic()
        result = crawl(base, "--db", str(db), "--timeout", "2", "--json")
        elapsed = time.monotonic() - started
        hits = server.hits

    assert result.returncode == 0, result.stderr  # partial: some posts were archived
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "partial"
    # Bounded: the unbounded cases (a sitemap index listing itself) never ended before; with
    # 2 s per download, four tries of the trickle are the longest path. Memory: every body was
    # cut at 16 MiB (64 MiB before), the 1 GiB bombs included.
    assert elapsed < 120
    assert summary["peak_rss_mb"] < 400

    errors = summary["errors"]

    def named(path: str, reason: str) -> bool:
        return any(e.startswith(base + path + ": ") and reason in e for e in errors)

    for index, (_, reason) in post_cases.items():
        assert named(posts[index].url_path, reason), (index, reason, errors)
    assert named(f"{SITEMAP}?page=2", "lists " + base + SITEMAP + " again (a cycle)")
    assert named(f"{SITEMAP}?page=3", "sitemap is malformed XML")
    assert named(f"{SITEMAP}?page=4", "sitemap lists more than 50,000 URLs")
    assert named(f"{SITEMAP}.gz?page=3", "sitemap unpacks to more than 50 MiB")

    # Retry-After honoured (a site-wide pause of the time asked for), and bounded.
    assert delta.seen[1] - delta.seen[0] >= 1.9
    assert date.seen[1] - date.seen[0] >= 1.0  # an HTTP-date counts whole seconds
    assert len(too_long.seen) == 1  # an hour is past the maximum: not retried, not waited
    assert hits[posts[13].url_path] == 4  # the 5xx storm: one try and three retries

    after = _archived(db, base)
    assert set(after) == set(before)
    assert not any(deleted for _, deleted, _ in after.values())  # cut sitemaps delete nothing
    for index, post in enumerate(posts):
        url = base + post.url_path
        if index in (10, 11, 21, 22):  # honoured 429s, and posts read from gzipped sitemaps
            assert after[url][2] == 2, index
        else:
            assert after[url] == before[url], index  # hostile answers changed nothing


def test_a_site_asking_every_page_to_wait_an_hour_stops_the_crawl_early(tmp_path: Path):
    blog = SampleBlog(seed=43, post_count=60)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = h.Throttle(3600, times=None)
        result = crawl(server.url, "--db", str(db), "--json")
        asked = [p for p in server.request_log if p.startswith("/post/")]

    assert result.returncode == 1, result.stderr  # nothing archived: failed, not interrupted
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert summary["message"].endswith(
        "stopped early, throttled: the server asks to wait 3600 s (Retry-After)")
    # Three answers like that stop it: only the requests already under way (at most
    # CONCURRENT_REQUESTS, 16) follow, not the other 40-odd posts.
    assert 3 <= len(asked) <= 3 + 16
    errors = summary["errors"]
    assert sum(e.endswith("more than the 60 s limit (WIXARCHIVE_RETRY_AFTER_MAX)")
               for e in errors) == len(asked)
    assert all(e.endswith("(WIXARCHIVE_RETRY_AFTER_MAX)") or "not fetched: throttled" in e
               for e in errors)


def _run(url: str, tmp_path: Path, *settings: str) -> dict:
    summary_file = tmp_path / "summary.json"
    command = [sys.executable, "-m", "crawler.run", url, "--db", str(tmp_path / "archive.db"),
               "--summary", str(summary_file), "--set", "DOWNLOAD_DELAY=0",
               "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "LOG_LEVEL=CRITICAL"]
    for setting in settings:
        command += ["--set", setting]
    subprocess.run(command, capture_output=True, timeout=300, check=False)
    return json.loads(summary_file.read_text())


def test_a_site_failing_every_request_ends_the_crawl_early(tmp_path: Path):
    blog = SampleBlog(seed=44, post_count=60)
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = h.always(503)
        # 10 failures in a row (50 by default) stop it, instead of 4 tries of all 60 posts;
        # each waits a little longer than the last (up to 30 s by default, 0.2 s here).
        summary = _run(server.url, tmp_path, "WIXARCHIVE_MAX_SERVER_ERRORS=10",
                       "WIXARCHIVE_BACKOFF_MAX=0.2")
        asked = [p for p in server.request_log if p.startswith("/post/")]
    assert summary["status"] == "failed"
    assert summary["message"].endswith("stopped early, failing: 10 requests in a row got server "
                                       "errors or no answer (WIXARCHIVE_MAX_SERVER_ERRORS)")
    # and the requests already under way (4 at a time); those queued behind them are not
    # sent (before, up to CONCURRENT_REQUESTS, 16, were: 15 more 503s on a 300-post blog)
    assert 10 <= len(asked) <= 10 + 4, asked
    assert len(asked) < 4 * 60


def test_a_site_failing_every_request_is_asked_less_and_less_often(tmp_path: Path):
    """Each 503 in a row doubles the site's delay (from 0.1 s here: 0.2, 0.4, 0.8, then the
    1.6 s cap) until the crawl stops early. Before, a site answering 503 to everything was
    asked at the usual pace (~1.6 requests/s with the defaults), here with no delay at all."""
    blog = SampleBlog(seed=45, post_count=30)
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = h.always(503)
        summary = _run(server.url, tmp_path, "WIXARCHIVE_MAX_SERVER_ERRORS=8",
                       "WIXARCHIVE_BACKOFF_START=0.1", "WIXARCHIVE_BACKOFF_MAX=1.6",
                       "RANDOMIZE_DOWNLOAD_DELAY=false", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        times = [at for path, at in zip(server.request_log, server.request_times, strict=True)
                 if path.startswith("/post/")]
    assert summary["message"].endswith("stopped early, failing: 8 requests in a row got server "
                                       "errors or no answer (WIXARCHIVE_MAX_SERVER_ERRORS)")
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert len(gaps) >= 6, gaps
    # The 5th to 7th failures in a row each waited the cap before the next request went out.
    assert all(gap >= 1.4 for gap in gaps[-3:]), gaps


def test_a_site_failing_for_longer_than_its_time_rule_is_stopped_sooner(tmp_path: Path):
    """A site whose robots.txt, sitemaps and feed answer but whose every post fails: its delay
    grows to 30 s, so the 50 failures in a row that stopped it took ~23 minutes. Now failures
    in a row that have gone on for WIXARCHIVE_MAX_FAILING_SECONDS (5 min; 2 s here, from the
    environment) stop it too, whichever comes first; here long before 50 (1 s apart at most:
    the suite's WIXARCHIVE_BACKOFF_MAX)."""
    blog = SampleBlog(seed=46, post_count=40)
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = h.always(503)
        done = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db",
             str(tmp_path / "archive.db"), "--json", "--no-media", *FAST],
            capture_output=True, text=True, timeout=300,
            env={**os.environ, "WIXARCHIVE_MAX_FAILING_SECONDS": "2"})
        asked = [p for p in server.request_log if p.startswith("/post/")]
    summary = json.loads(done.stdout)
    assert summary["status"] == "failed", done.stderr
    assert summary["message"].endswith(
        "stopped early, failing: every request got server errors or no answer for 2s "
        "(WIXARCHIVE_MAX_FAILING_SECONDS)"), summary["message"]
    assert len(asked) < 50, asked


@pytest.mark.parametrize("held", ["back-off", "Retry-After"])
@pytest.mark.parametrize("stop", ["time limit", "Ctrl-C"])
def test_a_site_holding_its_requests_back_stops_at_once(tmp_path: Path, stop: str, held: str):
    """At the time limit or a Ctrl-C, the requests already waiting in the site's download slot
    (up to CONCURRENT_REQUESTS) still went out during Scrapy's close, each at the slot's delay:
    a site backed off to 30 s kept its crawl up to 8 minutes past the limit (113 s past an 8 s
    limit with a 6 s cap), or past the Ctrl-C; and those waiting out a Retry-After waited it
    out (52 s past a 5 s limit). They are now dropped, named `not fetched`. Here the site
    holds them 58 s or more from its first 503: without that, the close outlasts the 45 s
    timeout."""
    blog = SampleBlog(seed=46, post_count=30)
    summary_file = tmp_path / "summary.json"
    settings = ["WIXARCHIVE_MAX_SERVER_ERRORS=1000", "DOWNLOAD_DELAY=0",
                "AUTOTHROTTLE_ENABLED=false",
                *(["WIXARCHIVE_BACKOFF_START=60", "WIXARCHIVE_BACKOFF_MAX=60"]
                  if held == "back-off" else ["WIXARCHIVE_BACKOFF_MAX=0"]),
                *(["WIXARCHIVE_TIME_LIMIT=3"] if stop == "time limit" else [])]
    command = [sys.executable, "-m", "crawler.run", "--db", str(tmp_path / "archive.db"),
               "--summary", str(summary_file), *(f"--set={s}" for s in settings)]
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.takeovers[post.url_path] = (h.Throttle(58, times=None, status=503)
                                               if held == "Retry-After" else h.always(503))
        crawl = subprocess.Popen([*command, server.url], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
        try:
            if stop == "Ctrl-C":
                wait_until(lambda: any(p.startswith("/post/") for p in server.request_log),
                           "a post asked for", crawl)
                crawl.send_signal(signal.SIGINT)
            crawl.communicate(timeout=45)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.communicate()
        asked = [p for p in server.request_log if p.startswith("/post/")]
    summary = json.loads(summary_file.read_text())
    assert summary["status"] == ("timeout" if stop == "time limit" else "interrupted"), summary
    assert len(asked) <= 4, asked  # CONCURRENT_REQUESTS_PER_DOMAIN at once, then held
    why = "the site's 3 s time limit is over" if stop == "time limit" else "the crawl is stopping"
    assert any(error.endswith(f": not fetched: {why}") for error in summary["errors"]), summary


def test_the_backoff_doubles_from_a_floor_up_to_a_cap():
    assert backoff_delay(0.0, 0, start=0.5, maximum=30) == 0.0  # no failure: the site's own
    assert [backoff_delay(0.0, n, start=0.5, maximum=30) for n in (1, 2, 3, 6, 7)] == \
        [1.0, 2.0, 4.0, 30.0, 30.0]
    assert backoff_delay(2.0, 1, start=0.5, maximum=30) == 4.0  # from the site's own delay
    assert backoff_delay(90.0, 3, start=0.5, maximum=30) == 90.0  # never below it


def test_listing_pages_that_never_end_are_cut_at_the_limit(tmp_path: Path):
    # Without a posts sitemap the crawl walks listing pages; a pagination that never ends would
    # walk forever. The limit (5000 by default) is set to 2 here to see it on a small blog.
    blog = SampleBlog(seed=8, post_count=35)
    with serve_blog(blog) as server:
        server.fail_paths.add("/sitemap.xml")
        summary = _run(server.url, tmp_path, "WIXARCHIVE_MAX_LISTING_PAGES=2")
        listings = [p for p in server.request_log if p == "/blog" or p.startswith("/blog/")]
    assert len(listings) == 3  # the blog home, then two more
    assert any("more than 2 listing pages (WIXARCHIVE_MAX_LISTING_PAGES)" in e
               for e in summary["errors"])
    assert summary["status"] == "partial" and summary["counts"]["new"] > 0


def test_retry_after_reads_seconds_and_dates():
    now = 1_000_000_000.0
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Sun, 09 Sep 2001 01:47:00 GMT", now=now) == 20
    assert retry_after_seconds("Sun, 09 Sep 2001 01:40:00 GMT", now=now) == 0  # in the past
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_sitemap_limits_hold_without_a_server():
    over = h.urlset("http://x", [], [f"http://x/post/p-{n}" for n in range(MAX_URLS + 1)])
    parsed = parse_sitemap(over)
    assert len(parsed.entries) == MAX_URLS and "more than 50,000 URLs" in parsed.problem
    assert read_sitemap(h.gzipped(h.urlset("http://x", [], ["http://x/post/a"]))).entries
    assert "unpacks to more than" in read_sitemap(h.bomb("gzip")).problem
    assert "corrupt gzip" in read_sitemap(h.gzipped(b"<urlset/>")[:-12]).problem
    assert parse_sitemap(b"<urlset><url><loc>http://x/post/a</loc></url><url><lo").problem
    assert parse_sitemap(b"<html><body>Not found</body></html>").problem
    assert parse_sitemap(h.urlset("http://x", [], ["http://x/post/a"])).problem is None


def test_binary_bodies_are_recognised_whatever_their_label():
    assert binary_kind(h.PDF) == "PDF"
    assert binary_kind(h.PNG) == "PNG"
    assert binary_kind(b"\x00\x01garbage") == "binary"
    assert binary_kind(b"<!doctype html><p>fine</p>") is None
    assert binary_kind("<p>UTF-16</p>".encode("utf-16")) is None  # BOM: the extractor reads it


def test_a_run_where_every_post_failed_says_so_not_that_there_were_no_posts():
    errors = [f"https://a.example/post/p-{n}: HTTP 503 (4 tries)" for n in range(3)]
    stats = {"wixarchive/fetch_errors": 3, "downloader/response_count": 14}
    summary = summarize("https://a.example/", stats, "finished", errors)
    assert summary.status == "failed"
    assert summary.message == ("no posts archived from https://a.example/: 3 requests failed "
                               f"(first: {errors[0]})")


def test_a_site_answering_404_everywhere_names_its_pages_in_the_order_a_crawl_asks_them():
    # Through Redis the answers come in the workers' order: the line must not change with it.
    pages = ["blog", "blog-feed.xml", "robots.txt", "sitemap.xml"]
    errors = [f"https://a.example/{page}: HTTP 404" for page in pages]
    summary = summarize("https://a.example/", {"downloader/response_count": 4}, "finished",
                        errors)
    assert "answers HTTP 404 (robots.txt, sitemap.xml, blog-feed.xml, blog):" in summary.message


def test_the_hostile_server_middlewares_replace_scrapys_own():
    # A second DOWNLOADER_MIDDLEWARES assignment in crawler/settings.py would drop these quietly.
    middlewares = crawl_settings("archive.db").getdict("DOWNLOADER_MIDDLEWARES")
    for ours, theirs in [
        ("crawler.downloader.retry_after.RetryAfterMiddleware", "retry.RetryMiddleware"),
        ("crawler.downloader.redirects.RedirectLoopMiddleware", "redirect.RedirectMiddleware"),
        ("crawler.downloader.redirects.MetaRefreshLoopMiddleware",
         "redirect.MetaRefreshMiddleware"),
        ("crawler.downloader.page_types.PageTypeMiddleware", None),
    ]:
        assert middlewares.get(ours), ours
        if theirs:
            assert middlewares[f"scrapy.downloadermiddlewares.{theirs}"] is None


def test_retry_after_pauses_the_requests_already_queued_for_the_site(tmp_path: Path):
    """A 503 with `Retry-After: 3` paused only the requests not yet handed to Scrapy's
    downloader: the site's posts already queued in its download slot (up to
    CONCURRENT_REQUESTS of them) went out at once, the pause unheard. Every request after the
    503 now waits out the time asked for."""
    blog = SampleBlog(seed=42, post_count=6)
    throttle = h.Throttle(3, status=503)
    with serve_blog(blog) as server:
        for post in blog.posts:  # the first post asked for is throttled, once
            server.takeovers[post.url_path] = throttle
        result = crawl(server.url, "--db", str(tmp_path / "archive.db"), "--json",
                       "--concurrency", "1", "--no-media")
        log, times = list(server.request_log), list(server.request_times)
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 6), summary
    throttled = throttle.seen[0]
    after = [(path, at - throttled) for path, at in zip(log, times, strict=True)
             if at > throttled]
    posts_after = [path for path, _ in after if path.startswith("/post/")]
    assert len(posts_after) >= 5, log  # the posts queued behind it, and its retry
    assert all(waited >= 2.9 for _, waited in after), after
