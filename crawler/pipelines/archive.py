"""ArchivePipeline: writes each fetched post through archive.store and records the run.

The archive file is opened on the first post, so a crawl that finds nothing never creates
an empty archive; an existing archive still gets a crawl_runs row for a failed run.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals

from archive.store import Archive
from crawler.items import FetchedPost, GonePost, UnchangedPost
from crawler.summary import summarize


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ArchivePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db_path = Path(crawler.settings.get("WIXARCHIVE_DB"))
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.started_at = _now()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler)

    def _open(self, site: str) -> Archive:
        if self.archive is None:
            self.archive = Archive.open(self.db_path)
            self.run_id = self.archive.start_run(site, started_at=self.started_at)
        return self.archive

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        # Writes run on one worker thread, in order: the reactor keeps fetching meanwhile and
        # SQLite (which releases the GIL) overlaps with extraction on the other core.
        outcome = await asyncio.get_running_loop().run_in_executor(self.writer, self._write, item)
        if outcome:
            self.crawler.stats.inc_value(f"wixarchive/{outcome}")
        return item

    def _write(self, item: Any) -> str | None:
        archive = self._open(self.crawler.spider.site)
        if isinstance(item, FetchedPost):
            outcome = archive.save_article(
                item.article, run_id=self.run_id, fetched_at=item.fetched_at,
                lastmod=item.lastmod, etag=item.etag, http_last_modified=item.http_last_modified,
            )
        elif isinstance(item, UnchangedPost):
            archive.touch_post(item.url, fetched_at=item.fetched_at, lastmod=item.lastmod,
                               etag=item.etag, http_last_modified=item.http_last_modified)
            outcome = "unchanged"
        elif isinstance(item, GonePost):
            outcome = "deleted" if archive.mark_deleted(item.url, when=item.when) else "unchanged"
        else:
            return None
        return outcome

    def _mark_gone_from_sitemap(self, spider: Any) -> None:
        gone = spider.gone_from_sitemap()
        if not gone:
            return
        archive = self._open(spider.site)
        when = _now()
        for url in gone:
            if archive.mark_deleted(url, when=when):
                self.crawler.stats.inc_value("wixarchive/deleted")

    def spider_closed(self, spider: Any, reason: str) -> None:
        if reason == "finished":
            self._mark_gone_from_sitemap(spider)
        summary = summarize(spider.site, self.crawler.stats.get_stats(), reason, spider.errors)
        summary.started_at, summary.finished_at = self.started_at, _now()
        if self.archive is None and self.db_path.exists():
            self._open(spider.site)
        if self.archive is not None:
            self.archive.finish_run(self.run_id, status=summary.status, counts=summary.counts,
                                    errors=summary.errors, finished_at=summary.finished_at)
            summary.run_id = self.run_id
            self.archive.close()
            self.archive = None
        self.writer.shutdown()
        spider.crawl_summary = summary
