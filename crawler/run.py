"""Crawl one site in this process: `python -m crawler.run URL --db PATH --summary FILE`.

Twisted's reactor cannot be restarted inside a process, so `wixarchive crawl` (and the tests)
start one of these processes per site. The outcome is written as JSON to --summary so the
caller never has to parse Scrapy's output.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.wix import WixBlogSpider
from crawler.summary import CrawlSummary

# With the asyncio reactor and no delay, Scrapy 2.19's downloader starts every queued request of
# a site before the first one counts as transferring, so CONCURRENT_REQUESTS_PER_DOMAIN is not
# enforced. Any delay makes it start one request per slot turn, which restores the limit; a
# millisecond costs nothing measurable.
MIN_DOWNLOAD_DELAY = 0.001


def crawl_settings(db: str | Path, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("WIXARCHIVE_DB", str(db), priority="cmdline")
    # Where static.wixstatic.com/media/ files are fetched from instead (a mirror; the test suite
    # points it at loopback so no test reaches the real host).
    if os.environ.get("WIXARCHIVE_MEDIA_BASE"):
        settings.set("WIXARCHIVE_MEDIA_BASE", os.environ["WIXARCHIVE_MEDIA_BASE"],
                     priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    if settings.getfloat("DOWNLOAD_DELAY") < MIN_DOWNLOAD_DELAY:
        settings.set("DOWNLOAD_DELAY", MIN_DOWNLOAD_DELAY, priority="cmdline")
    contact = settings.get("WIXARCHIVE_CONTACT")
    if contact and "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", f"{settings.get('USER_AGENT')[:-1]}; {contact})",
                     priority="cmdline")
    return settings


def run_crawl(url: str, db: str | Path, overrides: dict[str, Any] | None = None) -> CrawlSummary:
    # No JOBDIR: Scrapy's request fingerprints on disk run ahead of what the archive committed,
    # so a run resumed from them skipped posts that were never stored. Each run discovers the
    # posts again from the sitemaps (a few requests) and the spider skips only what the archive
    # itself holds unchanged: whatever stopped the last run, the archive is the whole truth.
    process = CrawlerProcess(crawl_settings(db, overrides))
    crawler = process.create_crawler(WixBlogSpider)
    process.crawl(crawler, url=url)
    process.start()
    summary = getattr(crawler.spider, "crawl_summary", None)
    if summary is None:
        # The spider never closed normally: a forced shutdown (a second Ctrl-C or SIGTERM).
        summary = CrawlSummary(site=url, status="interrupted",
                               message="crawl stopped before it could close; run again to resume")
    return summary


def _parse_set(values: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in values:
        key, _, raw = item.partition("=")
        try:
            overrides[key] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[key] = raw
    return overrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--db", required=True)
    parser.add_argument("--summary", help="write the outcome as JSON to this file")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting (value parsed as JSON when it can be)")
    args = parser.parse_args(argv)
    try:
        summary = run_crawl(args.url, args.db, _parse_set(args.set))
    except Exception as exc:  # the caller shows one line; details would only be a traceback
        summary = CrawlSummary(site=args.url, status="failed", message=f"crawl failed: {exc}")
    # Peak memory of the crawl: this process plus its archive worker (ru_maxrss is in KiB).
    peak_kib = sum(resource.getrusage(who).ru_maxrss
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    summary.peak_rss_mb = round(peak_kib / 1024, 1)
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary.to_dict()), encoding="utf-8")
    else:
        print(json.dumps(summary.to_dict()))
    return 0 if summary.status in ("ok", "partial") else 1


if __name__ == "__main__":
    sys.exit(main())
