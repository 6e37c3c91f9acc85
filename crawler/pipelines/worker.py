"""The archive worker: extract, clean and store pages in a process of their own.

Extraction and SQLite writes are CPU work; inside the crawl process they would share one core
(the GIL) with Scrapy's fetch loop. In one worker process they run beside it, so a crawl goes
at the speed of fetching, and every write still goes through one connection, in order.
Nothing here imports Scrapy: the worker starts fast and stays small.
"""

from __future__ import annotations

import signal
from typing import Any

from archive.store import Archive
from crawler.extract import extract_article
from crawler.items import FetchedPage, GonePost, UnchangedPost

_archive: Archive | None = None


def start(db: str) -> None:
    """Process initializer: open the archive the crawl process has already created."""
    global _archive
    # Ctrl-C reaches a terminal's whole process group; the crawl process decides when to stop,
    # and needs this worker alive to finish the writes already under way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _archive = Archive.open(db, create=False)


def handle(item: Any, run_id: int | None) -> tuple[str | None, str | None, list[str]]:
    """Process one item: (page kind, archive outcome, extraction warnings)."""
    assert _archive is not None, "worker not started"
    if isinstance(item, FetchedPage):
        article = extract_article(item.body, item.url, content_type=item.content_type)
        if article.page_kind != "post":
            return article.page_kind, None, article.warnings
        outcome = _archive.save_article(
            article, run_id=run_id, fetched_at=item.fetched_at, lastmod=item.lastmod,
            etag=item.etag, http_last_modified=item.http_last_modified,
        )
        return "post", outcome, article.warnings
    if isinstance(item, UnchangedPost):
        _archive.touch_post(item.url, fetched_at=item.fetched_at, lastmod=item.lastmod,
                            etag=item.etag, http_last_modified=item.http_last_modified)
        return None, "unchanged", []
    if isinstance(item, GonePost):
        gone = _archive.mark_deleted(item.url, when=item.when)
        return None, "deleted" if gone else "unchanged", []
    return None, None, []
