"""The reference for benchmarks/crawl.py: Scrapy's own SitemapSpider that only downloads the
posts (no extraction, no archive), with the same politeness settings as our crawl."""

from __future__ import annotations

import json
import resource
import sys
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
    url, settings = sys.argv[1], json.loads(sys.argv[2])
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSitemapSpider)
    process.crawl(crawler, url=url)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
