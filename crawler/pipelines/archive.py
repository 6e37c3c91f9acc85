"""ArchivePipeline: hands each fetched page to the archive worker and records the run.

The archive file is opened on the first post, so a crawl that finds nothing never creates
an empty archive; an existing archive still gets a crawl_runs row for a failed run. A page is
counted only once the worker has committed it (see crawler.pipelines.supervisor), so the run's
counts are what the archive holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals

from archive.store import Archive, ArchiveError
from crawler.pipelines.supervisor import Pending, WorkerSupervisor
from crawler.summary import summarize

PAGE_TIMEOUT = 10.0  # seconds; the WIXARCHIVE_PAGE_TIMEOUT setting


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ArchivePipeline:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.db_path = Path(crawler.settings.get("WIXARCHIVE_DB"))
        self.page_timeout = crawler.settings.getfloat("WIXARCHIVE_PAGE_TIMEOUT", PAGE_TIMEOUT)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.supervisor: WorkerSupervisor | None = None
        self.started_at = _now()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler)

    def _open(self, site: str) -> Archive:
        if self.archive is None:
            self.archive = Archive.open(self.db_path)
            self.archive.close_dead_runs()
            self.run_id = self.archive.start_run(site, started_at=self.started_at)
        return self.archive

    def _worker(self) -> WorkerSupervisor:
        if self.supervisor is None:
            self._open(self.crawler.spider.site)  # creates the file the worker opens
            self.supervisor = WorkerSupervisor(
                str(self.db_path), page_timeout=self.page_timeout,
                on_committed=self._committed, on_failed=self._failed)
        return self.supervisor

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        try:
            handled = self._worker().submit(item, self.run_id)
        except (ArchiveError, OSError) as exc:
            self.crawler.spider.record_error(getattr(item, "url", "?"), f"not archived: {exc}")
            return item
        await handled  # one page at a time per slot: the worker's pace holds the crawl back
        return item

    def _committed(self, page: Pending) -> None:
        kind, outcome, unknown_layout = page.result or (None, None, False)
        if kind:
            self.crawler.stats.inc_value(f"wixarchive/pages/{kind}")
        if outcome:
            self.crawler.stats.inc_value(f"wixarchive/{outcome}")
        if unknown_layout:
            self.crawler.stats.inc_value("wixarchive/unknown_layout")

    def _failed(self, page: Pending, reason: str) -> None:
        self.crawler.spider.record_error(getattr(page.item, "url", "?"), reason)

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
        if self.supervisor is not None:
            self.supervisor.close()  # every page committed (or failed) before the run is closed
            if self.supervisor.restarts:
                self.crawler.stats.set_value("wixarchive/worker_restarts",
                                             self.supervisor.restarts)
            self.supervisor = None
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
