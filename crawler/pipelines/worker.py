"""The archive worker: extract, clean and store pages in a process of their own.

Extraction and SQLite writes are CPU work; inside the crawl process they would share one core
(the GIL) with Scrapy's fetch loop. In one worker process they run beside it, so a crawl goes
at the speed of fetching, and every write still goes through one connection, in order.
Nothing here imports Scrapy: the worker starts fast and stays small.

The crawl process (crawler.pipelines.supervisor) talks to it over two pipes. It sends
`("page", seq, item, run, note)` (run: the run's id, or a RunToStart; note: one for the run to
keep, or None: see handle), `("flush",)` and `("stop",)`;
a fetched page comes as `(PAGE_WITH_BODY, seq, page without its body, run, note, size)` followed by
the body's `size` bytes, raw on the pipe (see read_exactly).
The worker answers `("begin", seq, started)` as it starts on a page (`started`: its
time.monotonic(), one clock for every process on the machine), `("done", seq, result, error,
committed)` when the page is handled (result: page kind, outcome, whether no known layout gave
its body, the id of the run it was stored in), `("committed", committed)` after each commit (a
batch commits after the "done" of the page that fills it, off that page's clock), and
`("lost", last_seq, reason)` when a commit fails, and `("busy", seq, reason)` when it could not
start a batch for page `seq` because another process kept the archive locked past the busy
timeout. `committed` is the highest seq whose writes
are committed: the supervisor keeps every page until then, so nothing is counted that a kill
could still take back.

Each batch also adds what its pages stored to their runs' counts, in the same transaction: a
crawl killed outright still shows in `wixarchive runs` what it had committed.
"""

from __future__ import annotations

import array
import contextlib
import errno
import fcntl
import io
import signal
import sqlite3
import termios
import time
from collections import Counter
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from archive.store import Archive, ArchiveBusy, ArchiveError
from crawler.discover.urls import respelled
from crawler.extract import extract_article
from crawler.extract.elements import UNKNOWN_LAYOUT_WARNING
from crawler.items import FetchedPage, GonePost, ListedUnchanged, MediaOutcomes, UnchangedPost

# Writes are grouped into transactions of up to BATCH_SIZE posts or BATCH_SECONDS: a commit per
# post costs a third of the write. Each page is saved under a savepoint of its own, so a page
# that fails to save takes nothing else with it.
BATCH_SIZE = 200
BATCH_SECONDS = 1.0
IDLE_COMMIT = 0.5  # seconds without a new page before the open batch is committed
PAGE_WITH_BODY = "page+body"  # a FetchedPage whose body follows as raw bytes
# The pipe's capacity (Linux F_SETPIPE_SZ; 1 MiB is the default most an unprivileged process may
# set): a real Wix post page (~0.9 MB) then crosses in one or two writes instead of ~14 of 64 KB,
# each a wake-up of the other process.
PIPE_BYTES = 2**20
# How a page lost to a full disk is named (the crawl counts them: crawler.summary.DISK_FULL).
DISK_FULL = "not archived: the archive's disk is full"
F_SETPIPE_SZ = 1031


@dataclass(frozen=True)
class RunToStart:
    """The run of a crawl whose row could not be created when it began (another process held
    the archive past the busy timeout). The worker creates it in the transaction of the first
    of its pages it stores, or finds the row an earlier batch created (see
    Archive.run_of_crawl), and stores the pages in it."""

    site: str
    started_at: str
    pid: int


def widen_pipe(connection: Connection) -> None:
    """Give the pipe behind `connection` PIPE_BYTES of capacity, where the system allows it."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(connection.fileno(), F_SETPIPE_SZ, PIPE_BYTES)


def write_all(connection: Connection, data: bytes) -> None:
    """Write `data` raw to the pipe (the reader knows its size from the message before it)."""
    with io.FileIO(connection.fileno(), "wb", closefd=False) as pipe, memoryview(data) as view:
        sent = 0
        while sent < len(view):
            sent += pipe.write(view[sent:])


class BodyReader:
    """Reads raw bodies off the pipe.

    Why not Connection.recv_bytes: it reads a large message in pipe-sized pieces, each into a
    new bytes object the size of all that is left, then copies them into a BytesIO and that
    once more: ~1 ms of the worker's CPU for a real post page. A body already whole in the pipe
    (the crawl sends the next page while the worker is busy with this one) is read straight
    into the bytes object returned (~0.08 ms for a real post page); one still coming is read
    into a reused buffer as it comes, then copied out (~0.14 ms)."""

    def __init__(self, connection: Connection) -> None:
        self.pipe = io.FileIO(connection.fileno(), "rb", closefd=False)
        self.buffer = bytearray(PIPE_BYTES)
        self.waiting = array.array("i", [0])  # FIONREAD's answer: bytes waiting in the pipe

    def read_exactly(self, size: int) -> bytes:
        fcntl.ioctl(self.pipe.fileno(), termios.FIONREAD, self.waiting)
        if self.waiting[0] >= size:
            # Only then: a new bytes object the body's size, read into in part and then
            # copied out all the same, cost more than the reused buffer.
            whole = self.pipe.read(size)
            if len(whole) == size:  # one read of a pipe may still return less
                return whole
            first = len(whole)
        else:
            whole, first = b"", 0
        if len(self.buffer) < size:
            self.buffer = bytearray(size)
        with memoryview(self.buffer) as view:
            view[:first] = whole
            got = first
            while got < size:
                count = self.pipe.readinto(view[got:size])
                if not count:
                    raise EOFError("the pipe closed inside a page's body")
                got += count
            return bytes(view[:size])


def serve(db: str, requests: Connection, replies: Connection) -> None:
    """The worker process's main function."""
    # Ctrl-C reaches a terminal's whole process group; the crawl process decides when to stop,
    # and needs this worker alive to finish the writes already under way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Extraction imports these on the first page that needs them (compiling ~50 patterns, 35 ms
    # idle, 70 ms on a busy machine): the worker takes them before its first page, whose time
    # limit (WIXARCHIVE_PAGE_TIMEOUT) is the page's work, not a module's start-up.
    import crawler.clean.dates
    import crawler.clean.vocabulary  # noqa: F401
    try:
        archive = Archive.open(db, create=False)
    except ArchiveError as exc:
        replies.send(("fatal", str(exc)))
        return
    with archive:
        _Worker(archive, replies).run(requests)


class _Worker:
    def __init__(self, archive: Archive, replies: Connection) -> None:
        self.archive = archive
        self.replies = replies
        self.batch: contextlib.AbstractContextManager[Any] | None = None
        self.batch_started = 0.0
        self.batch_size = 0
        self.last_seq = 0  # the last page handled
        self.committed = 0  # the last page whose writes are committed
        self.runs: dict[RunToStart, int] = {}  # the rows made or found for RunToStart pages
        self.batch_counts: dict[int, Counter[str]] = {}  # per run: what the open batch stored
        self.stored = StoredPosts()

    def run(self, requests: Connection) -> None:
        bodies = BodyReader(requests)
        while True:
            if self.batch is not None and not requests.poll(IDLE_COMMIT):
                self.commit(report=True)
                continue
            try:
                message = requests.recv()
                if message[0] == PAGE_WITH_BODY:
                    _, seq, item, run, note, size = message
                    message = ("page", seq, replace(item, body=bodies.read_exactly(size)), run,
                               note)
            except (EOFError, OSError):  # the crawl process is gone: keep what was done
                self.commit(report=False)
                return
            if message[0] == "page":
                self.handle(*message[1:])
            elif message[0] == "flush":
                self.commit(report=True)
            elif message[0] == "stop":
                self.commit(report=True)
                return

    def handle(self, seq: int, item: Any, run: int | RunToStart | None, note: str | None
               ) -> None:
        """Store the page in its run; `note` (a site's move, learnt from its robots.txt) is
        kept in the run with it, as the run's end would record it: a crawl killed outright
        keeps it then."""
        try:
            self.open_batch()  # may wait for the write lock: before the page's clock starts
        except ArchiveBusy as exc:
            # Another process kept the archive locked past the busy timeout: each later page
            # would wait as long in vain, so the supervisor stops the crawl (see "busy").
            self.replies.send(("busy", seq, f"not archived: {exc}"))
            return
        except ArchiveError as exc:
            self.replies.send(("done", seq, None, _not_archived(exc), self.committed))
            return
        self.replies.send(("begin", seq, time.monotonic()))
        error = None
        try:
            with self.archive.savepoint():
                run_id = self.resolve_run(run)
                if note is not None and run_id is not None:
                    self.archive.note_run(run_id, note)
                result = (*_store(self.archive, item, run_id, self.stored), run_id)
        except Exception as exc:  # any failure costs this page only
            result = None
            error = _not_archived(exc)
            if isinstance(run, RunToStart):
                self.runs.pop(run, None)  # a row made under the savepoint is undone with it
        else:
            if run_id is not None:
                self.count(run_id, item, result)
        self.last_seq = seq
        if not self.archive.conn.in_transaction:
            # SQLite ended the whole transaction itself (disk full, I/O error): the batch is gone.
            batch, self.batch = self.batch, None
            with contextlib.suppress(Exception):
                batch.__exit__(RuntimeError, RuntimeError("batch lost"), None)
            self.batch_counts.clear()
            self.runs.clear()
            self.stored.lose_batch()
            self.replies.send(("lost", seq, error or "the batch's transaction was lost"))
            return
        self.batch_size += 1
        self.replies.send(("done", seq, result, error, self.committed))
        # The page is done before its batch commits: a commit slow on a busy disk (fsync)
        # is no page's time (the supervisor's per-page limit), and it reports its own mark.
        if self.batch is not None and (self.batch_size >= BATCH_SIZE
                or time.monotonic() - self.batch_started >= BATCH_SECONDS):
            self.commit(report=True)

    def resolve_run(self, run: int | RunToStart | None) -> int | None:
        if not isinstance(run, RunToStart):
            return run
        if run not in self.runs:
            self.runs[run] = self.archive.run_of_crawl(run.site, started_at=run.started_at,
                                                       pid=run.pid)
        return self.runs[run]

    def count(self, run_id: int, item: Any, result: Result) -> None:
        """Add what the page stored to its run's counts in the open batch."""
        kind, outcome, unknown_layout, _ = result
        counts = self.batch_counts.setdefault(run_id, Counter())
        if isinstance(item, FetchedPage):
            counts["pages"] += 1
        if outcome:
            counts[outcome] += 1
        if unknown_layout:
            counts["unknown_layout"] += 1

    def open_batch(self) -> None:
        if self.batch is None:
            batch = self.archive.transaction()
            batch.__enter__()
            self.batch, self.batch_started, self.batch_size = batch, time.monotonic(), 0

    def commit(self, *, report: bool) -> None:
        if self.batch is None:
            return
        batch, self.batch = self.batch, None
        counts, self.batch_counts = self.batch_counts, {}
        try:
            try:
                for run_id, added in counts.items():
                    if added:
                        self.archive.add_run_counts(run_id, dict(added))
            except BaseException as exc:
                batch.__exit__(type(exc), exc, exc.__traceback__)  # rolls the batch back
                raise
            batch.__exit__(None, None, None)
        except (ArchiveError, sqlite3.Error) as exc:
            with contextlib.suppress(sqlite3.Error):
                if self.archive.conn.in_transaction:
                    self.archive.conn.execute("ROLLBACK")
            self.runs.clear()  # rows made in the lost batch are gone: made again when needed
            self.stored.lose_batch()
            self.replies.send(("lost", self.last_seq, _not_archived(exc)))
            return
        self.stored.commit_batch()
        self.committed = self.last_seq
        if report:
            self.replies.send(("committed", self.committed))


class StoredPosts:
    """The URLs of the posts this worker stored or found unchanged, committed or in the open
    batch: a second spelling of one (`/post/My-Slug`, archived as `/post/my-slug`) is counted
    once, whichever is fetched first. A lost batch takes its URLs with it, as its counts."""

    def __init__(self) -> None:
        self.committed: set[str] = set()
        self.batch: set[str] = set()

    def __contains__(self, url: str) -> bool:
        return url in self.batch or url in self.committed

    def add(self, url: str) -> None:
        self.batch.add(url)

    def commit_batch(self) -> None:
        self.committed |= self.batch
        self.batch.clear()

    def lose_batch(self) -> None:
        self.batch.clear()


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _not_archived(exc: BaseException) -> str:
    """Why a page was not archived; a full disk said as such first (DISK_FULL), as the crawl
    counts those pages apart."""
    if _disk_full(exc):
        return f"{DISK_FULL} ({_describe(exc)})"
    return f"not archived: {_describe(exc)}"


def _disk_full(exc: BaseException | None) -> bool:
    """Whether `exc` (or the error it was raised from) is SQLite's or the OS's "disk full"."""
    while exc is not None:
        if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode",
                                                       None) == sqlite3.SQLITE_FULL:
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# (page kind, archive outcome, whether its body came from no known layout)
Stored = tuple[str | None, str | None, bool]
# What the pipeline is told of a page: what was stored, and its run's id
Result = tuple[str | None, str | None, bool, int | None]


def _store(archive: Archive, item: Any, run_id: int | None, stored: StoredPosts) -> Stored:
    """Process one item, stored in run `run_id`; `stored`: the posts stored before it."""
    if isinstance(item, FetchedPage):
        article = extract_article(item.body, item.url, content_type=item.content_type)
        if article.page_kind != "post":
            return article.page_kind, None, False
        if not item.listed:
            # One post the site answers under two spellings (a listing's /post/My-Slug, the
            # feed's /post/my-slug) is archived once, under the one its page names canonical.
            article.url = respelled(item.url, article.canonical_url, article.language_urls)
        outcome = archive.save_article(
            article, run_id=run_id, fetched_at=item.fetched_at, lastmod=item.lastmod,
            etag=item.etag, http_last_modified=item.http_last_modified, capture=item.capture,
            recapture=item.recapture, moved_from=item.moved_from,
        )
        return ("post", _once(article.url, outcome, stored),
                UNKNOWN_LAYOUT_WARNING in article.warnings)
    if isinstance(item, UnchangedPost):
        archive.touch_post(item.url, fetched_at=item.fetched_at, lastmod=item.lastmod,
                           etag=item.etag, http_last_modified=item.http_last_modified)
        return None, _once(item.url, "unchanged", stored), False
    if isinstance(item, ListedUnchanged):
        # Counted unchanged by the spider as it read the sitemap: only seen, here.
        archive.touch_listed(item.urls, seen_at=item.seen_at)
        return None, None, False
    if isinstance(item, MediaOutcomes):
        from archive.captures import record_media

        # Counted by the spider as they come (wixarchive/media_*): one item, many images.
        for media in item.outcomes:
            record_media(archive.conn, media.url, media.status, media.fetched_at,
                         media.content_type, media.bytes, media.payload_digest, media.capture,
                         media.error)
        return None, None, False
    if isinstance(item, GonePost):
        gone = archive.mark_deleted(item.url, when=item.when)
        return None, "deleted" if gone else "unchanged", False
    return None, None, False


def _once(url: str, outcome: str | None, stored: StoredPosts) -> str | None:
    """A post's outcome, counted once: not again as unchanged under a second spelling."""
    again = url in stored
    stored.add(url)
    return None if again and outcome == "unchanged" else outcome
