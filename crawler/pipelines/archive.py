"""ArchivePipeline: hands each fetched page to the archive worker and records the run.

The archive file is opened on the first post, so a plain `scrapy crawl` that finds nothing
never creates an empty archive; an existing archive still gets a crawl_runs row for a failed
run (`wixarchive crawl` and wixarchive.crawl create the archive first: every run of theirs is
recorded). A page is
counted only once the worker has committed it (see crawler.pipelines.supervisor), so the run's
counts are what the archive holds.

A run whose row cannot be created when its first page comes (another process holds the archive
past the busy timeout) is created by the worker with the first of its pages it stores, in the
same transaction: every crawl that stores anything is recorded as a run, its versions in it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals

from archive.store import Archive, ArchiveBusy, ArchiveError
from crawler.closing import close_site
from crawler.items import FetchedPage
from crawler.pipelines.supervisor import (
    Pending,
    WorkerSupervisor,
    release_supervisor,
    shared_supervisor,
)
from crawler.pipelines.worker import DISK_FULL as DISK_FULL_REASON
from crawler.pipelines.worker import RunToStart
from crawler.summary import (
    ARCHIVE_BUSY,
    DISK_FULL,
    LIKELY_MOVED_FROM,
    MOVED_TO,
    NOT_RECORDED_ERROR,
    NOT_RECORDED_MESSAGE,
    CrawlSummary,
    moved_note,
    not_a_post_reason,
    summarize,
)

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
        self.run_to_start: RunToStart | None = None  # its row, while the archive was too busy
        self.supervisor: WorkerSupervisor | None = None
        self.started_at = _now()
        self.opening = asyncio.Lock()  # one opening of the archive for this site's first items
        # The run is closed once: by spider_closed (in a thread), or after a forced stop cut
        # that short (close_after_forced_stop, in the main thread once the reactor stopped).
        self.closing_run = threading.Lock()
        self.run_closed = False
        self.move_noted = False  # a page carrying the site's move to its run was committed
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.wixarchive_pipeline = self  # for close_after_forced_stop (crawler.run)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler)

    def _open(self, site: str) -> Archive:
        if self.archive is None:
            self.archive = Archive.open(self.db_path)
            try:
                self.archive.close_dead_runs()
                self.run_id = self.archive.start_run(site, started_at=self.started_at)
            except ArchiveError as exc:
                # Busy past the timeout: the worker creates the row with the first page it
                # stores, once the archive is free (the next crawl closes the dead runs).
                self.run_to_start = RunToStart(site, self.started_at, os.getpid())
                if isinstance(exc, ArchiveBusy):  # it waited the whole timeout: not again
                    self.archive.wait_briefly()
        return self.archive

    async def _worker(self) -> WorkerSupervisor:
        if self.supervisor is None:
            async with self.opening:
                if self.supervisor is None:
                    # Creates the file the worker opens, and starts this site's run. In a
                    # thread: when many sites start at once, each waits here for the write lock
                    # the worker holds through its batches, and in the reactor thread that wait
                    # stalled every site's downloads (~6 s with 20 sites, docs/benchmarks.md).
                    await asyncio.to_thread(self._open, self.crawler.spider.site)
                    # Shared by every site of this crawl process: the archive's one writer.
                    self.supervisor = shared_supervisor(str(self.db_path),
                                                        page_timeout=self.page_timeout)
        return self.supervisor

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        try:
            supervisor = await self._worker()
            run = self.run_id if self.run_id is not None else self.run_to_start
            handled = supervisor.submit(item, run, note=self._move_to_note(), owner=self,
                                        on_committed=self._committed, on_failed=self._failed)
        except (ArchiveError, OSError) as exc:
            self.crawler.spider.record_error(getattr(item, "url", "?"), f"not archived: {exc}")
            return item
        await handled  # one page at a time per slot: the worker's pace holds the crawl back
        return item

    async def keep_move(self, site: str) -> None:
        """The site's move, learnt from robots.txt before any page: its run is started now and
        keeps the note (Archive.note_run), so a crawl killed before its first page is stored
        still records it, closed as killed by the next command (close_dead_runs). With the
        archive busy past its timeout, the pages carry the note instead, as they would."""
        note = self._move_to_note()
        if note is None:
            return
        try:
            await self._worker()
            if self.run_id is not None and self.archive is not None:
                await asyncio.to_thread(self.archive.note_run, self.run_id, note)
                self.move_noted = True
        except (ArchiveError, OSError) as exc:
            self.crawler.spider.logger.info("%s: its move is noted with its first page: %s",
                                            site, exc)

    def _move_to_note(self) -> str | None:
        """The site's move (learnt from robots.txt, before any page), for its run to keep as
        its end records it (CrawlSummary.recorded_errors): sent with each page until one is
        committed (unless keep_move noted it at once), so a crawl killed outright does not
        lose it (close_dead_runs keeps it)."""
        moved_to = self.crawler.stats.get_value(MOVED_TO)
        return moved_note(moved_to) if moved_to and not self.move_noted else None

    def _committed(self, page: Pending) -> None:
        if page.note is not None:
            self.move_noted = True
        kind, outcome, unknown_layout, run_id = page.result or (None, None, False, None)
        if self.run_id is None and run_id is not None:  # the worker created the run's row
            self.run_id = run_id
        item = page.item
        if isinstance(item, FetchedPage) and item.maybe_post and kind != "post":
            return  # the page the user named was a listing after all: nothing to count
        if kind:
            self.crawler.stats.inc_value(f"wixarchive/pages/{kind}")
        if kind == "error":
            # A post URL whose body is no readable page (binary, empty, unparseable): name it, or
            # the post would only be missing from the archive.
            self.crawler.spider.record_error(getattr(page.item, "url", "?"),
                                             "not archived: not a readable HTML page")
        elif kind and kind != "post" and isinstance(item, FetchedPage):
            self._not_a_post(item.url, kind)
        if outcome:
            self.crawler.stats.inc_value(f"wixarchive/{outcome}")
        if unknown_layout:
            self.crawler.stats.inc_value("wixarchive/unknown_layout")

    def _not_a_post(self, url: str, kind: str) -> None:
        """A post URL that answered 200 with another page (a members-only post's login page, a
        listing): nothing to archive, yet no failure to fetch. Counted and named, so the post
        is not just missing; one archived before is kept as it was, never marked deleted."""
        stats = self.crawler.stats
        stats.inc_value("wixarchive/not_posts")
        archived = url in self.crawler.spider.known
        if archived:
            stats.inc_value("wixarchive/not_posts_archived")
        self.crawler.spider.record_error(url, not_a_post_reason(kind, archived), counted=False)

    def _failed(self, page: Pending, reason: str) -> None:
        self.crawler.spider.record_error(getattr(page.item, "url", "?"), reason)
        if reason.startswith(DISK_FULL_REASON):
            self.crawler.stats.inc_value(DISK_FULL)
        if self.supervisor is not None and self.supervisor.archive_busy:
            # Another process keeps the archive locked: every later page would be fetched only
            # to wait the busy timeout and be dropped. Stop; the next run fetches the rest.
            close_site(self.crawler, ARCHIVE_BUSY)

    async def spider_closed(self, spider: Any, reason: str) -> None:
        if self.supervisor is not None:
            # Every page of this site committed (or failed) before its run is closed; the
            # other sites crawl on meanwhile.
            await self.supervisor.drain(self)
            if self.supervisor.restarts:
                self.crawler.stats.set_value("wixarchive/worker_restarts",
                                             self.supervisor.restarts)
            release_supervisor(self.supervisor)
            self.supervisor = None
        if not spider.known and not spider.moved_here_from and self.db_path.exists():
            await asyncio.to_thread(self._look_for_a_move, spider.site)
        summary = summarize(spider.site, self.crawler.stats.get_stats(), reason, spider.errors,
                            time_limit=self.crawler.settings.getfloat("WIXARCHIVE_TIME_LIMIT"),
                            tried=spider.fetch_root)
        summary.started_at, summary.finished_at = self.started_at, _now()
        if reason == ARCHIVE_BUSY and self.archive is not None:
            self.archive.wait_briefly()  # it waited the whole timeout once already
        await asyncio.to_thread(self._close_run, spider.site, summary, summary.recorded_errors())
        spider.crawl_summary = summary

    def _look_for_a_move(self, site: str) -> None:
        """A site archived for the first time whose posts are largely those of another
        archived site (site_match.likely_moved_from): the same blog at a new address, whose
        move the archive never saw. The summary says so and how to join them."""
        from archive.site_match import likely_moved_from

        if not self.crawler.stats.get_value("wixarchive/new"):  # no post archived
            return
        try:
            with Archive.open(self.db_path, readonly=True, create=False) as archive:
                found = likely_moved_from(archive.conn, site)
        except ArchiveError:
            return  # only a hint: the run is recorded without it
        if found is not None:
            self.crawler.stats.set_value(LIKELY_MOVED_FROM, found)

    def close_after_forced_stop(self, summary: CrawlSummary) -> None:
        """Close this site's run as `summary` (interrupted) says, when a forced stop (a second
        Ctrl-C or SIGTERM) stopped the reactor before spider_closed could: called by
        crawler.run once every page is committed and counted (close_all). Without it the run
        stayed `running` until the next command closed it as killed or crashed. Its first error
        says the site was stopped before it could close; a run that spider_closed closed is
        left as it is (waiting for it if it is closing it now)."""
        summary.started_at, summary.finished_at = self.started_at, _now()
        self._close_run(summary.site, summary, [summary.message, *summary.recorded_errors()])
        summary.run_id = self.run_id

    def _close_run(self, site: str, summary: CrawlSummary, errors: list[str]) -> None:
        with self.closing_run:
            if self.run_closed:
                return
            self.run_closed = True
            try:
                self._record_run(site, summary, errors)
            except ArchiveError as exc:
                # The posts are archived; only the run's row is not finished (the next crawl
                # closes it as dead). Said, rather than Scrapy's traceback of a failed signal
                # handler.
                summary.run_not_recorded = str(exc)
                # Locked by another process to the end: as busy as a crawl stopped by the lock
                # (exit 75, run again), even when no post had anything to write.
                summary.archive_busy = summary.archive_busy or isinstance(exc, ArchiveBusy)
                summary.errors.append(f"{NOT_RECORDED_ERROR}{exc}")
                summary.message += NOT_RECORDED_MESSAGE
                if summary.status == "ok":
                    summary.status = "partial"
            finally:
                if self.archive is not None:
                    self.archive.close()
                    self.archive = None

    def _record_run(self, site: str, summary: CrawlSummary, errors: list[str]) -> None:
        if self.archive is None and self.db_path.exists():
            self._open(site)
        if self.archive is not None:
            if self.run_id is None:  # no row yet: its start and every page met a busy archive
                self.run_id = self.archive.run_of_crawl(site, started_at=self.started_at,
                                                        pid=os.getpid())
            counts = {**summary.counts, "pages": summary.pages_fetched}
            self.archive.finish_run(self.run_id, status=summary.status, counts=counts,
                                    errors=errors, finished_at=summary.finished_at)
            summary.run_id = self.run_id
