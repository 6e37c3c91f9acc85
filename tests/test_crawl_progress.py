"""The progress lines a crawl writes to stderr (crawler/extensions/progress.py), with a real
Scrapy Crawler and its stats collector."""

from __future__ import annotations

import scrapy
from scrapy.utils.test import get_crawler

from crawler.extensions.progress import CrawlProgress
from crawler.extensions.progress import _board as progress_board


class _Site(scrapy.Spider):
    name = "site"
    site = "https://a.example/"


def test_one_page_and_one_error_are_said_in_the_singular() -> None:
    """A study's crawl log read "http://127.0.0.5/ 1 pages, … 1 errors" and "4/6 sites done,
    2 running: …, 1 errors": a count of one takes the singular."""
    board_total = progress_board.total  # the process's one board: left as found
    crawler = get_crawler(_Site, {"WIXARCHIVE_SITES_TOTAL": 2})
    crawler.spider = _Site()
    progress = CrawlProgress(crawler)
    progress.board.running = [progress]
    crawler.stats.set_value("downloader/response_count", 1)
    crawler.stats.set_value("wixarchive/fetch_errors", 1)
    assert progress.line(short=False) == (
        "https://a.example/ 1 page, 0 new, 0 changed, 0 unchanged, 1 error")
    assert progress.line(short=True) == "https://a.example/ 1 page"
    assert progress.board._total().endswith(": 1 page, 0 new, 0 changed, 0 unchanged, 1 error")
    crawler.stats.set_value("downloader/response_count", 4)
    crawler.stats.set_value("wixarchive/fetch_errors", 2)
    assert progress.line(short=False).endswith(" 4 pages, 0 new, 0 changed, 0 unchanged, 2 errors")
    progress.board.running, progress.board.total = [], board_total
