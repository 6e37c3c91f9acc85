"""Which archived posts a re-crawl marks deleted, and what discovery says when it is blocked:
a post the sitemap leaves out is checked before it is called deleted; a site without a sitemap
has its deletions found through its listing pages (at the path the user gave); robots.txt's
Crawl-delay and Disallow are honoured and said."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

from archive.store import Archive
from crawler.downloader.crawl_delay import CrawlDelay, crawl_delay
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import error_response
from tests.processes import crawler_command


def _crawl(urls: list[str], db: Path, *settings: str) -> dict[str, dict]:
    """One `python -m crawler.run` for these sites (at full speed, no images): each site's
    summary by its site root, whatever the exit status."""
    command = crawler_command(urls[0], db, "LOG_LEVEL=CRITICAL", "WIXARCHIVE_MEDIA=false",
                              *settings)
    command[4:4] = [*urls[1:], "--parallel", str(len(urls))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    summaries = json.loads(result.stdout)
    return {summary["site"]: summary
            for summary in (summaries if isinstance(summaries, list) else [summaries])}


def _deleted(db: Path, url: str) -> bool:
    with Archive.open(db, readonly=True) as archive:
        post = archive.post(url)
    assert post is not None, url
    return post["deleted_at"] is not None


def _first_errors(db: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--db", str(db),
                             "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [run["first_error"] for run in json.loads(result.stdout)]


def test_a_post_the_sitemap_leaves_out_is_checked_before_it_is_marked_deleted(tmp_path: Path):
    """Wix leaves noindex posts out of its sitemap. Every archived post missing from a sitemap
    read in full was marked deleted unchecked: here 3 deleted, where one post is. Now each is
    requested again (conditionally): one that answers is kept and counted unchanged, one in the
    feed is never called deleted, and only the 404 is marked deleted."""
    blog = SampleBlog(seed=41, post_count=23)  # the feed holds the newest 20
    in_feed, gone, old = blog.posts[0], blog.posts[21], blog.posts[22]
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        site = server.url + "/"
        assert _crawl([site], db)[site]["counts"]["new"] == 23
        blog.delete_post(gone.slug)
        server.sitemap_hidden = {in_feed.url_path, old.url_path}
        server.request_log.clear()
        again = _crawl([site], db)[site]
        posts_fetched = [path for path in server.request_log if path.startswith("/post/")]
    assert again["status"] == "ok", again
    assert again["message"] == "22 posts: 0 new, 0 changed, 22 unchanged, 1 deleted", again
    assert sorted(posts_fetched) == sorted(p.url_path for p in (in_feed, gone, old))
    assert [_deleted(db, server.url + p.url_path) for p in (in_feed, gone, old)] == [
        False, True, False]


def test_without_a_sitemap_deletions_are_found_through_the_listing_pages(tmp_path: Path):
    """A blog at /news with no sitemap and no feed: `crawl SITE/news` fetched /blog only and
    found no post; the path given is now a listing start too. A post deleted from it was never
    marked deleted; now, every listing page read, it is checked and marked. With a listing
    page failing, nothing is concluded and the summary says so; its first error (in `runs`
    too) is that page, not the sitemap.xml's 404, which is no failure."""
    blog = SampleBlog(seed=42, post_count=12, page_size=5)
    first_gone, second_gone = blog.posts[7], blog.posts[2]
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.blog_path = "/news"
        server.overrides["/sitemap.xml"] = error_response(404)
        server.overrides["/blog-feed.xml"] = error_response(404)
        given, site = server.url + "/news", server.url + "/"
        first = _crawl([given], db)[site]
        listed = [post.url_path for post in blog.posts]
        blog.delete_post(first_gone.slug)
        server.answers.clear()
        second = _crawl([given], db)[site]
        answers = list(server.answers)
        blog.delete_post(second_gone.slug)
        server.fail_paths.add("/news/page/2")
        third = _crawl([given], db)[site]
    assert (first["status"], first["counts"]["new"]) == ("ok", 12), first
    assert second["message"] == "11 posts: 0 new, 0 changed, 11 unchanged, 1 deleted", second
    assert _deleted(db, server.url + first_gone.url_path)
    # Without a sitemap, every listing page and post is asked again (README), the posts
    # conditionally: the unchanged ones answer 304, the deleted one 404.
    listings = [(path, status) for path, status in answers if path.startswith("/news")]
    assert {"/news", "/news/page/2", "/news/page/3"} <= {path for path, _ in listings}
    assert {status for _, status in listings} == {200}, listings
    assert sorted((path, status) for path, status in answers if path.startswith("/post/")) == \
        sorted((path, 404 if path == first_gone.url_path else 304) for path in listed), answers
    assert third["status"] == "partial" and third["counts"]["deleted"] == 0, third
    assert "archived posts not listed this time, not checked for deletion" in third["message"]
    assert not _deleted(db, server.url + second_gone.url_path)
    failure = f"{server.url}/news/page/2: HTTP 500 (4 tries)"
    assert third["errors"][0] == failure, third["errors"]
    assert f"{server.url}/sitemap.xml: HTTP 404" in third["errors"]
    assert _first_errors(db)[0] == failure


def test_robots_txt_crawl_delay_is_waited_and_a_disallowed_blog_is_named(tmp_path: Path):
    """`Crawl-delay: 30` was ignored (AutoThrottle took requests well under a second apart).
    Now it is the site's delay, at most WIXARCHIVE_MAX_CRAWL_DELAY (1 s here), and the summary
    says so. `Disallow: /blog` (which forbids /blog-feed.xml and /blog-posts-sitemap.xml too)
    was reported as a site with no sitemap, feed or listing; now as what robots.txt forbids."""
    slow, closed = SampleBlog(seed=43, post_count=3), SampleBlog(seed=44, post_count=3)
    db = tmp_path / "archive.db"
    with serve_blog(slow) as paced, serve_blog(closed, host="127.0.0.2") as forbidding:
        paced.robots_crawl_delay = "30"
        forbidding.robots_disallow.append("/blog")
        sites = [paced.url + "/", forbidding.url + "/"]
        summaries = _crawl(sites, db, "AUTOTHROTTLE_ENABLED=true", "WIXARCHIVE_MAX_CRAWL_DELAY=1")
        log, times = list(paced.request_log), list(paced.request_times)
    assert summaries[sites[0]]["message"] == (
        "3 posts: 3 new, 0 changed, 0 unchanged; robots.txt asks for Crawl-delay: 30, 1 s "
        "waited between requests (the maximum, WIXARCHIVE_MAX_CRAWL_DELAY)")
    # From the robots.txt request (the only one) on, 1 s apart at least.
    after_robots = times[log.index("/robots.txt"):]
    assert len(after_robots) >= 6, log
    assert min(later - earlier for earlier, later in pairwise(after_robots)) >= 0.95, log
    refused = summaries[sites[1]]
    assert refused["status"] == "failed"
    assert refused["message"] == (
        f"no Wix blog posts found at {sites[1]}: its robots.txt forbids "
        f"{sites[1]}blog-posts-sitemap.xml, {sites[1]}blog-feed.xml, {sites[1]}blog"), refused


def test_crawl_delay_counts_only_when_longer_than_the_configured_delay_and_is_capped() -> None:
    robots = b"User-agent: *\nCrawl-delay: 5\n\nUser-agent: wixarchive\nCrawl-delay: 2\n"
    assert crawl_delay(robots, "wixarchive/1.0 (+https://x)", 0.5) == CrawlDelay(2.0, 2.0)
    assert crawl_delay(robots, "otherbot", 0.5) == CrawlDelay(5.0, 5.0)
    assert crawl_delay(robots, "otherbot", 0.5, maximum=3) == CrawlDelay(5.0, 3.0)
    assert crawl_delay(robots, "otherbot", 6.0) is None  # the configured delay is longer
    assert crawl_delay(b"User-agent: *\nDisallow:\n", "otherbot", 0.5) is None
