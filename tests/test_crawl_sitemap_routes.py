"""Sitemaps as real sites serve them: one reached by two routes is read once and fails
nothing; a sitemap that is a compression bomb is named as the sitemaps.org limit says."""

from __future__ import annotations

from pathlib import Path

from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site import hostile as h
from crawler.sample_site.server import Response
from tests.processes import run_crawl


def test_a_sitemap_listed_by_robots_and_by_the_index_is_read_once_and_fails_nothing(
        tmp_path: Path):
    blog = SampleBlog(seed=12, post_count=5)
    with serve_blog(blog) as server:
        base = server.url
        robots = (f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"
                  f"Sitemap: {base}/blog-posts-sitemap.xml\n")
        server.overrides["/robots.txt"] = Response(200, robots.encode(),
                                                   {"Content-Type": "text/plain"})
        summary = run_crawl(base, tmp_path / "a.db")
        reads = server.request_log.count("/blog-posts-sitemap.xml")
    assert summary["status"] == "ok", summary["errors"]
    assert summary["counts"]["new"] == 5
    assert not any("cycle" in error for error in summary["errors"])
    assert reads == 1


def test_a_gzip_bomb_sitemap_names_the_sitemaps_org_limit(tmp_path: Path):
    blog = SampleBlog(seed=13, post_count=3)
    with serve_blog(blog) as server:
        base = server.url
        server.takeovers["/blog-posts-sitemap.xml"] = h.compressed_bomb("gzip",
                                                                        "application/xml")
        summary = run_crawl(base, tmp_path / "a.db")
    # The exact line docs/reliability.md's table gives.
    assert (f"{base}/blog-posts-sitemap.xml: sitemap unpacks to more than 50 MiB "
            "(the sitemaps.org limit): not read") in summary["errors"]
