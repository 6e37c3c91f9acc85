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
and error pages are all captured as the server sent them. Records are built, compressed and
written by a thread of their own (zlib releases the GIL), so the crawl does not wait for them;
the response's WARC-Record-ID is known at once and travels in request.meta to the item.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from archive import captures
from archive.store import Archive, ArchiveError
from crawler.capture import CAPTURE_META

logger = logging.getLogger(__name__)

INDEX_EVERY = 0.5  # seconds: captured records are synced and indexed in batches this often
QUEUE_SIZE = 256  # exchanges waiting to be written; beyond, the crawl waits for the disk
CLOSED_REASON = "capture_failed"


def _headers(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1"))
            for name, values in headers.items() for value in values]


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
        self.queue: queue.Queue[captures.Exchange | None] = queue.Queue(QUEUE_SIZE)
        self.thread: threading.Thread | None = None
        self.failed: str | None = None
        self.archive: Archive | None = None
        self.pending: list[captures.CaptureRow] = []  # written, not yet indexed
        self.seen: dict[str, tuple[str, str]] = {}  # payload digest -> first (URL, date) this run
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CaptureMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        if self.failed:
            return response
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="wixarchive-capture",
                                           daemon=True)
            self.thread.start()
        record_id = captures.new_record_id()
        request.meta[CAPTURE_META] = record_id  # response.meta is this request's meta
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        self.queue.put(captures.Exchange(
            url=response.url, method=request.method, request_headers=_headers(request.headers),
            status=response.status, response_headers=_headers(response.headers),
            body=response.body, record_id=record_id,
            protocol=protocol if protocol.startswith("HTTP/") else "HTTP/1.1"))
        return response

    # -- the writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        last_index = time.monotonic()
        while True:
            try:
                exchange = self.queue.get(timeout=INDEX_EVERY)
            except queue.Empty:
                exchange = False  # type: ignore[assignment]
            if exchange is None:
                break
            try:
                if exchange:
                    self._write(exchange)
                if self.pending and (exchange is False
                                     or time.monotonic() - last_index >= INDEX_EVERY):
                    self._index(closing=False)
                    last_index = time.monotonic()
            except (OSError, ArchiveError) as exc:
                self._fail(exc)
                break
        if self.failed:  # drain, so the crawl never blocks on a full queue
            with contextlib.suppress(queue.Empty):
                while True:
                    self.queue.get_nowait()

    def _write(self, exchange: captures.Exchange) -> None:
        revisit_of = None
        if exchange.body:
            digest = captures.payload_digest(exchange.body)
            revisit_of = self.seen.get(digest)
            if revisit_of is None and self._open_archive():
                assert self.archive is not None
                revisit_of = captures.earlier_response(self.archive.conn, digest)
        row = self.writer.write(exchange, revisit_of)
        if row.kind == "response" and exchange.body:
            self.seen.setdefault(row.payload_digest or "", (row.url, row.fetched_at))
        self.pending.append(row)

    def _open_archive(self) -> bool:
        """The archive, once the crawl's pipeline has created it (a crawl that finds no post
        creates none; its captures are removed at the end)."""
        if self.archive is None:
            try:
                if self.db.stat().st_size == 0:
                    return False
            except FileNotFoundError:
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
        self.writer.sync()
        rows, self.pending = self.pending, []
        with self.archive.transaction() as conn:
            captures.index_rows(conn, rows)
            for name, size in self.writer.closed_files:
                captures.mark_file(conn, name, size, closed=True)
            if self.writer.name is not None:
                captures.mark_file(conn, self.writer.name, self.writer.size, closed=closing)
        self.writer.closed_files.clear()

    def _fail(self, exc: Exception) -> None:
        reason = getattr(exc, "strerror", None) or str(exc)
        self.failed = f"captures could not be written to {self.directory}: {reason}"
        logger.error(self.failed)
        from twisted.internet import reactor

        reactor.callFromThread(self._stop_crawl)

    def _stop_crawl(self) -> None:
        spider = self.crawler.spider
        spider.record_error(str(self.directory), self.failed or "capture failed")
        self.crawler.engine.close_spider(spider, CLOSED_REASON)

    # -- closing ---------------------------------------------------------------------------

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if not self.failed:
            try:
                if self.pending or self.writer.name is not None or self.writer.closed_files:
                    self.writer.close()
                    self._index(closing=True)
            except (OSError, ArchiveError) as exc:
                self.failed = f"captures could not be indexed: {exc}"
                spider.record_error(str(self.directory), self.failed)
        else:
            with contextlib.suppress(OSError):
                self.writer.close()
        if self.archive is not None:
            self.archive.close()
        elif not self.db.exists():
            self._discard()

    def _discard(self) -> None:
        """No archive was made (nothing found worth archiving): leave no captures behind."""
        names = [name for name, _ in self.writer.closed_files]
        if self.writer.name:
            names.append(self.writer.name)
        for name in names:
            with contextlib.suppress(OSError):
                (self.directory / name).unlink()
        with contextlib.suppress(OSError):
            self.directory.rmdir()  # only if empty
