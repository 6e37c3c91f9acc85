"""ArchivePipeline: hands each fetched page to the archive worker and records the run.

The archive file is opened on the first post, so a crawl that finds nothing never creates
an empty archive; an existing archive still gets a crawl_runs row for a failed run.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals

from archive.store import Archive, ArchiveError
from crawler.pipelines import worker
from crawler.summary import summarize

FLUSH_AFTER_IDLE = 0.5  # seconds without a new page before the worker commits its batch


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ArchivePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db_path = Path(crawler.settings.get("WIXARCHIVE_DB"))
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.pool: ProcessPoolExecutor | None = None
        self.flush_timer: asyncio.TimerHandle | None = None
        self.started_at = _now()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler)

    def _open(self, site: str) -> Archive:
        if self.archive is None:
            self.archive = Archive.open(self.db_path)
            self.run_id = self.archive.start_run(site, started_at=self.started_at)
        return self.archive

    def _worker(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self._open(self.crawler.spider.site)  # creates the file the worker opens
            # spawn, not fork: this process runs threads and an event loop.
            self.pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=worker.start, initargs=(str(self.db_path),),
            )
        return self.pool

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        stats = self.crawler.stats
        try:
            future = self._worker().submit(worker.handle, item, self.run_id)
            self._flush_when_idle()
            kind, outcome, unknown_layout = await asyncio.wrap_future(future)
        except (ArchiveError, OSError, RuntimeError) as exc:  # RuntimeError: a broken pool
            self.crawler.spider.record_error(getattr(item, "url", "?"), f"not archived: {exc}")
            return item
        if kind:
            stats.inc_value(f"wixarchive/pages/{kind}")
        if outcome:
            stats.inc_value(f"wixarchive/{outcome}")
        if unknown_layout:
            stats.inc_value("wixarchive/unknown_layout")
        return item

    def _flush_when_idle(self) -> None:
        """Commit the worker's batch once no page has come for a moment (a slow site must not
        keep a write transaction open)."""
        if self.flush_timer is not None:
            self.flush_timer.cancel()
        self.flush_timer = asyncio.get_running_loop().call_later(FLUSH_AFTER_IDLE, self._flush)

    def _flush(self) -> None:
        if self.pool is not None:
            with contextlib.suppress(RuntimeError):  # a broken pool is reported per item
                self.pool.submit(worker.flush)

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
        if self.flush_timer is not None:
            self.flush_timer.cancel()
        if self.pool is not None:
            self.pool.submit(worker.flush)
            self.pool.shutdown(wait=True)  # every write committed before the run is closed
            self.pool = None
        if reason == "finished":
            self._mark_gone_from_sitemap(spider)
        summary = summarize(spider.site, self.crawler.stats.get_stats(), reason, spider.errors)
        summary.started_at, summary.finished_at = self.started_at, _now()
        if self.archive is None and self.db_path.exists():
            self._open(spider.site)
        if self.archive is not None:
            counts = {**summary.counts, "pages": summary.pages_fetched}
            self.archive.finish_run(self.run_id, status=summary.status, counts=counts,
                                    errors=summary.errors, finished_at=summary.finished_at)
            summary.run_id = self.run_id
            self.archive.close()
            self.archive = None
        spider.crawl_summary = summary
