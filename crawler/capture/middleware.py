"""CaptureMiddleware: writes every HTTP exchange of a crawl as WARC 1.1 records.

Why our own small component on warcio rather than scrapy-webarchive's WACZ exporter: a WACZ is
a finished, zipped package written once at the end of a crawl, and each crawl would make a new
one. wixarchive's crawls are per site, incremental (a re-crawl fetches only what changed) and
resumable after a kill; captures must survive a SIGKILL mid-crawl, be indexed in the archive as
they are made, and be shared across crawls (a payload already stored becomes a revisit record).
warcio writes plain gzipped WARC record by record, which gives all of that; a WACZ is made on
request from the stored records (`export --format wacz`).

It sits at the downloader end of the middleware chain (priority 950, after HttpCacheMiddleware):
it sees each request as sent (user agent, conditional headers) and each response before Scrapy
decompresses or redirects it, so robots.txt, sitemaps, feeds, listings, posts, redirects, 304s
and error pages are all captured as the server sent them.

Each response's records are written (and flushed to the OS, in a thread, so the crawl goes on)
before the spider sees it, so a post version can never name a capture that is not in a file,
even after a SIGKILL; its WARC-Record-ID travels in request.meta to the item. A response whose
record cannot be written (a full disk) fails instead, and so does every later one of the crawl:
nothing is archived without its capture. Another thread
syncs the file and indexes the new records every INDEX_EVERY seconds, so the crawl never waits
for fsync or the archive's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from archive import captures, lost_captures
from archive.store import BUSY_TIMEOUT_MS, Archive, ArchiveError
from crawler.capture import CAPTURE_DIGEST_META, CAPTURE_META, MIRROR_META
from crawler.closing import close_site
from crawler.summary import ARCHIVE_BUSY, CAPTURE_FAILED, CAPTURE_FAILURE, CAPTURE_FIX

logger = logging.getLogger(__name__)

# Responses smaller than this are written in the reactor thread: handing a few kilobytes to a
# thread costs more (executor, wake-ups) than compressing them (~0.1 ms with ISA-L).
INLINE_BYTES = 64 * 1024
INDEX_EVERY = 0.5  # seconds: captured records are synced and indexed in batches this often
INDEX_PATIENCE = 2.0  # seconds to wait for the archive's write lock before trying next time
# At the end of the crawl, when nothing else of ours writes any more: twice a writer's busy
# timeout (60 s by default).
FINAL_PATIENCE = 2 * BUSY_TIMEOUT_MS / 1000
# What the user can do about a capture file that cannot be written, by its OS error.
_FIXES = {errno.ENOSPC: "free space on its disk", errno.EDQUOT: "free space on its disk",
          errno.EACCES: "make it writable", errno.EPERM: "make it writable",
          errno.EROFS: "make it writable (its file system is read-only)"}


def _headers(headers: Any) -> list[tuple[str, str]]:
    # Latin-1: one character a byte, so captures.ascii_headers gives back the bytes as sent.
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


def exchange_of(request: Request, response: Response) -> captures.Exchange:
    """The HTTP exchange as the server sent it, with a new record id: what a capture keeps. A
    mirror's answer (MIRROR_META) is kept under the URL it stands for."""
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    stands_for = request.meta.get(MIRROR_META, {}).get(response.url)
    return captures.Exchange(
        url=stands_for or response.url, method=request.method,
        request_headers=_headers(request.headers), status=response.status,
        response_headers=_headers(response.headers), body=response.body,
        record_id=captures.new_record_id(),
        protocol=protocol if protocol.startswith("HTTP/") else "HTTP/1.1",
        fetched_from=response.url if stands_for else None)


class CaptureMiddleware:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        if not settings.getbool("WIXARCHIVE_CAPTURE", True):
            raise NotConfigured("captures are off (--no-capture)")
        self.crawler = crawler
        self.db = Path(settings.get("WIXARCHIVE_DB"))
        self.directory = captures.captures_dir(self.db)
        self.writer = captures.CaptureWriter(
            self.directory, settings.getint("WIXARCHIVE_CAPTURE_ROTATE_BYTES",
                                            captures.ROTATE_BYTES))
        self.lock = threading.Lock()  # the writer and `pending`, shared with the index thread
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.failed: str | None = None
        self.archive: Archive | None = None  # the index thread's connection
        self.reader: Archive | None = None  # the crawl thread's, to find repeated payloads
        self.pending: list[captures.CaptureRow] = []  # written, not yet indexed
        self.seen: dict[str, tuple[str, str]] = {}  # payload digest -> first (URL, date) this run
        self.lost = lost_captures.LostFiles()  # records lost from their files at start
        self.final_patience = FINAL_PATIENCE  # how long the last index waits for the archive
        # The last records are indexed once the engine has stopped: by then the item pipeline
        # has committed and closed its archive worker, the only other writer.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CaptureMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response,
                               spider: Any = None) -> Response:
        if self.failed:
            raise self._not_captured()
        exchange = exchange_of(request, response)
        try:
            # Large bodies are built, compressed and written in a thread (ISA-L and zlib release
            # the GIL), so the crawl goes on meanwhile; the spider sees this response only once
            # its record is written.
            if len(exchange.body) < INLINE_BYTES:
                row = self._write(exchange)
            else:
                row = await asyncio.to_thread(self._write, exchange)
        except (OSError, sqlite3.Error, ArchiveError) as exc:
            self._fail(exc)
            raise self._not_captured() from exc
        request.meta[CAPTURE_META] = row.record_id  # response.meta is this request's meta
        request.meta[CAPTURE_DIGEST_META] = row.payload_digest
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="wixarchive-capture",
                                           daemon=True)
            self.thread.start()
        return response

    def _write(self, exchange: captures.Exchange) -> captures.CaptureRow:
        exchange.digest = captures.payload_digest(exchange.body)  # once, outside the lock
        with self.lock:
            row = self.writer.write(exchange, self._revisit_of(exchange.body, exchange.digest))
            self.pending.append(row)
            if row.kind == "response" and exchange.body:
                self.seen.setdefault(row.payload_digest or "", (row.url, row.fetched_at))
        return row

    def _revisit_of(self, body: bytes, digest: str) -> tuple[str, str] | None:
        """(URL, date) of an archived response with the same payload: the record is then a
        revisit, which stores no second copy."""
        if not body:
            return None
        if digest in self.seen:
            return self.seen[digest]
        if self.reader is None and self._archive_ready():
            with contextlib.suppress(ArchiveError):
                self.reader = Archive.open(self.db, readonly=True, create=False)
                # Records lost from their files (deleted, cut short): never pointed at.
                self.lost = lost_captures.lost_files(self.reader.conn, self.directory)
        if self.reader is None:
            return None
        return captures.earlier_response(self.reader.conn, digest, self.lost)

    def _archive_ready(self) -> bool:
        try:
            return self.db.stat().st_size > 0
        except FileNotFoundError:
            return False

    # -- the index thread ------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopping.wait(INDEX_EVERY):
            try:
                self._index(closing=False)
            except (OSError, sqlite3.Error, ArchiveError) as exc:
                self._fail(exc)
                return

    def _open_archive(self) -> bool:
        """The archive, once the crawl's pipeline has created it (a crawl that finds no post
        creates none; its captures are removed at the end)."""
        if self.archive is None:
            if not self._archive_ready():
                return False
            try:
                self.archive = Archive.open(self.db, create=False)
            except ArchiveError:
                return False  # being created this very moment: next time
            # Files left by a killed crawl: index what they hold, cut torn tails.
            recovered = captures.recover(self.archive.conn, self.directory)
            for name, offset, size in recovered.cut:
                logger.warning("capture file %s: cut a torn record at %d (%d bytes)",
                               name, offset, size)
        return True

    def _index(self, *, closing: bool) -> None:
        """Sync the file, then index what it holds: the index never names an unsynced record."""
        if not self._open_archive():
            return
        assert self.archive is not None
        synced = None
        with self.lock:  # held briefly: the crawl thread writes small records under it
            if closing:
                self.writer.close()
            elif self.writer.file is not None:
                # A descriptor of our own: the writer may rotate (close) its file meanwhile.
                synced = os.dup(self.writer.file.fileno())
            rows, self.pending = self.pending, []
            files = [(name, size, True) for name, size in self.writer.closed_files]
            self.writer.closed_files.clear()
            if self.writer.name is not None and (rows or files):
                files.append((self.writer.name, self.writer.size, False))
        if synced is not None:
            # Everything taken above was written (and flushed) before this fsync starts.
            try:
                os.fsync(synced)
            finally:
                os.close(synced)
        if not rows and not files:
            return
        conn = self.archive.conn
        patience = self.final_patience if closing else INDEX_PATIENCE
        with captures.immediate_when_free(conn, patience) as began:
            if not began:
                if closing:
                    raise ArchiveError("the archive stayed busy; the next crawl indexes them")
                with self.lock:  # try again at the next tick; the records are safe in the file
                    self.pending[:0] = rows
                    self.writer.closed_files[:0] = [(n, size) for n, size, c in files if c]
                return
            captures.index_rows(conn, rows)
            for name, size, closed in files:
                captures.mark_file(conn, name, size, closed=closed)

    def _not_captured(self) -> IgnoreRequest:
        """A response whose capture could not be written goes no further: a page or image
        archived without its capture would be a post no crawl captures again and an image
        `stored` with no copy of its bytes anywhere. Failed instead, it is not in the archive,
        so the next crawl fetches it again."""
        return IgnoreRequest(f"not archived: {self.failed}")

    def _fail(self, exc: Exception) -> None:
        reason = getattr(exc, "strerror", None) or str(exc)
        self.failed = f"captures could not be written to {self.directory}: {reason}"
        logger.error(self.failed)
        # For the run's summary: why it stopped, and what to do before running it again.
        self.crawler.stats.set_value(CAPTURE_FAILURE, self.failed)
        self.crawler.stats.set_value(CAPTURE_FIX, _FIXES.get(getattr(exc, "errno", None),
                                                             "fix that"))
        from twisted.internet import reactor

        reactor.callFromThread(self._stop_crawl)

    def _stop_crawl(self) -> None:
        engine, spider = self.crawler.engine, self.crawler.spider
        if engine is None or getattr(engine, "spider", spider) is None:
            return  # already closing
        spider.record_error(str(self.directory), self.failed or "capture failed")
        close_site(self.crawler, CAPTURE_FAILED)

    # -- closing ---------------------------------------------------------------------------

    async def engine_stopped(self) -> None:
        # In a thread: the last index waits for a busy archive (up to FINAL_PATIENCE), which
        # must not hold up the other sites' crawls meanwhile.
        await asyncio.to_thread(self._finish)

    def _finish(self) -> None:
        self.stopping.set()
        if self.crawler.stats.get_value("finish_reason") == ARCHIVE_BUSY:
            # The crawl stopped because another process keeps the archive locked: not a long
            # wait again (the records are safe in their files; the next crawl indexes them).
            self.final_patience = INDEX_PATIENCE
        if self.thread is not None:
            self.thread.join()
        closed_files = [name for name, _ in self.writer.closed_files]
        current = self.writer.name
        if not self.failed:
            try:
                self._index(closing=True)
                self._forget_replaced()
            except (OSError, sqlite3.Error, ArchiveError) as exc:
                self.failed = f"captures could not be indexed: {exc}"
                logger.error(self.failed)
        with contextlib.suppress(OSError):
            self.writer.close()
        # The read-only connection first: closed last, it lost the index thread's final commit
        # here (seen with SQLite 3.x in WAL mode: a read-only last connection cannot
        # checkpoint), so the writer is the one to close the file.
        for archive in (self.reader, self.archive):
            if archive is not None:
                archive.close()
        if self.archive is None and not self.db.exists():
            self._discard(closed_files + ([current] if current else []))

    def _forget_replaced(self) -> None:
        """Records lost from their files that this crawl (or an earlier one) captured again
        leave the index (archive.lost_captures): `check` then passes."""
        if self.archive is None or not self.lost:
            return
        conn = self.archive.conn
        with captures.immediate_when_free(conn, self.final_patience) as began:
            if not began:
                return  # the next crawl does it
            forgotten = lost_captures.forget_replaced(conn, self.directory)
        if forgotten:
            logger.info("%d lost captures, captured again, left the index", forgotten)

    def _discard(self, names: list[str]) -> None:
        """No archive was made (nothing found worth archiving): leave no captures behind."""
        for name in names:
            with contextlib.suppress(OSError):
                (self.directory / name).unlink()
        with contextlib.suppress(OSError):
            self.directory.rmdir()  # only if empty
