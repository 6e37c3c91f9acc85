"""The reference for benchmarks/crawl.py: Scrapy's own SitemapSpider that only downloads the
posts (no extraction, no archive), with the same politeness settings as our crawl.

    python benchmarks/bare_spider.py URL [URL...] SETTINGS_JSON

Several URLs are crawled at once in this one process, one Crawler per site (as Scrapy runs
several spiders in a process), so each site has its own downloader and politeness."""

from __future__ import annotations

import argparse
import json
import resource
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider


class BareSitemapSpider(SitemapSpider):
    name = "bare"
    sitemap_follow = [r"blog-posts-sitemap"]
    sitemap_rules = [(r"/post/", "parse_post")]

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.sitemap_urls = [url.rstrip("/") + "/robots.txt"]
        super().__init__(**kwargs)

    def parse_post(self, response: Any) -> None:
        return None


def main() -> None:
    # A helper process benchmarks/crawl.py starts; by hand, a usage line rather than a traceback.
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", metavar="URL", help="a site's root URL")
    parser.add_argument("settings", metavar="SETTINGS_JSON",
                        help='Scrapy settings as one JSON object, e.g. \'{"DOWNLOAD_DELAY": 0}\'')
    args = parser.parse_args()
    try:
        settings = json.loads(args.settings)
    except ValueError:
        settings = None
    if not isinstance(settings, dict):
        parser.error(f"SETTINGS_JSON must be a JSON object, not {args.settings!r}")
    urls = args.urls
    process = CrawlerProcess(settings)
    crawlers = []
    for url in urls:
        crawler = process.create_crawler(BareSitemapSpider)
        process.crawl(crawler, url=url)
        crawlers.append(crawler)
    process.start()
    stats = [crawler.stats.get_stats() for crawler in crawlers]
    print(json.dumps({
        "requests": sum(s.get("downloader/request_count", 0) for s in stats),
        "responses": sum(s.get("downloader/response_count", 0) for s in stats),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
