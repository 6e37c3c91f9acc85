"""WorkerSupervisor: runs the archive worker (crawler.pipelines.worker) for the crawl process.

Every page sent to the worker is kept here until the worker reports its writes committed; only
then is it counted. So whatever happens to the worker, no page is lost or counted twice:

- a worker that dies (killed, out of memory, a crash in a C library) is started again and given
  every page it had not committed yet, in order; a page that was being handled by a worker that
  died twice is recorded as failed, with its URL, and the crawl carries on;
- a page that takes the worker longer than `page_timeout` seconds is cut off the same way (the
  worker is killed: C code such as lxml's parser cannot be interrupted from inside) and
  recorded as failed at once;
- a commit that fails (disk full) fails exactly the pages of its batch, each named;
- a batch that cannot start because another process keeps the archive locked past the busy
  timeout stops the worker, and fails every page not committed at once (`archive_busy`): each
  later page would wait the whole timeout in vain (a full busy timeout per page, hours for a
  large site), so every site sharing it stops, and the next crawl fetches what was not stored.

One worker serves every site a crawl process crawls at once (see crawler.run): it is the
archive's one writer, so sites never wait on each other's SQLite write lock, and the process
pays for one worker's memory and start-up, not one per site. Each page carries its own site's
callbacks, and `drain` waits for one site's pages only, so a site closes without stopping the
others.

A plain spawned process and two pipes rather than concurrent.futures' ProcessPoolExecutor: a
pool whose worker dies is broken for good, and it cannot kill one stuck task. Pages are sent by
a thread, as a pipe write blocks while the worker is busy and must never block the reactor.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any

from archive.spawning import without_main
from crawler.items import FetchedPage
from crawler.pipelines import worker

logger = logging.getLogger(__name__)

WATCH_EVERY = 0.25  # seconds between checks for pages to commit while draining or closing
MAX_BARREN_RESTARTS = 5  # restarts in a row with no page handled: give up on the worker


@dataclass
class Pending:
    """A page handed to the worker and not yet committed (or failed)."""

    seq: int
    item: Any
    run: int | worker.RunToStart | None  # its run's id, or the run's row to create
    note: str | None  # for its run to keep, stored with it (worker.handle)
    handled: asyncio.Future[None]  # resolved once the worker has handled it (or it failed)
    result: worker.Result | None = None  # once handled
    deaths: int = 0  # workers that died while handling it
    owner: Any = None  # the site (its pipeline) the page belongs to
    on_committed: Callable[[Pending], None] | None = None
    on_failed: Callable[[Pending, str], None] | None = None


class WorkerSupervisor:
    def __init__(self, db: str, *, page_timeout: float,
                 on_committed: Callable[[Pending], None] | None = None,
                 on_failed: Callable[[Pending, str], None] | None = None) -> None:
        self.db = db
        self.page_timeout = page_timeout
        self.on_committed = on_committed
        self.on_failed = on_failed
        self.loop = asyncio.get_running_loop()
        self.pending: dict[int, Pending] = {}  # in seq order
        self.seq = 0
        self.current: Pending | None = None  # the page the worker is on
        self.deadline = 0.0
        # Fires at the current page's deadline, not on a periodic tick: a tick would let a page
        # run up to one tick past its limit (a 0.3 s limit let a 0.5 s page through).
        self.deadline_timer: asyncio.TimerHandle | None = None
        self.broken: str | None = None  # why no worker can run (pages then fail at once)
        self.archive_busy = False  # broken because another process keeps the archive locked
        self.barren_restarts = 0
        self.closing = False
        self.restarts = 0
        self.reading = False
        self.users = 0  # sites sharing this worker (see shared_supervisor)
        self._start()

    # -- the worker process ----------------------------------------------------------------

    def _start(self) -> None:
        # spawn, not fork: this process runs threads and an event loop.
        context = multiprocessing.get_context("spawn")
        requests_in, self.requests = context.Pipe(duplex=False)
        worker.widen_pipe(self.requests)
        self.replies, replies_out = context.Pipe(duplex=False)
        self.process = context.Process(target=worker.serve, name="wixarchive-worker",
                                       args=(self.db, requests_in, replies_out), daemon=True)
        with without_main():  # the worker needs nothing of crawler.run (all of Scrapy)
            self.process.start()
        requests_in.close()  # ours closed: the worker's end alone keeps each pipe open
        replies_out.close()
        self.outbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self.sender = threading.Thread(target=_send_all, args=(self.requests, self.outbox),
                                       name="wixarchive-sender", daemon=True)
        self.sender.start()
        if not self.closing:
            self.loop.add_reader(self.replies.fileno(), self._read)
            self.reading = True

    def _stop_reading(self) -> None:
        if self.reading:
            self.loop.remove_reader(self.replies.fileno())
            self.reading = False

    def _kill_process(self) -> int | None:
        self._stop_reading()
        if self.process.is_alive():
            self.process.kill()
        self.outbox.put(None)
        self.process.join()
        self.sender.join()
        self.requests.close()
        self.replies.close()
        return self.process.exitcode

    # -- pages -----------------------------------------------------------------------------

    def submit(self, item: Any, run: int | worker.RunToStart | None, *, note: str | None = None,
               owner: Any = None, on_committed: Callable[[Pending], None] | None = None,
               on_failed: Callable[[Pending, str], None] | None = None) -> asyncio.Future[None]:
        """Hand a page to the worker; the future resolves once it is handled (not committed).
        `note` is stored in its run with it; `owner` and the callbacks are the page's site's
        (default: the supervisor's own)."""
        self.seq += 1
        page = Pending(self.seq, item, run, note, self.loop.create_future(), owner=owner,
                       on_committed=on_committed or self.on_committed,
                       on_failed=on_failed or self.on_failed)
        if self.broken:
            self._fail(page, self.broken)
        else:
            self.pending[page.seq] = page
            self.outbox.put(("page", page.seq, item, run, note))
        return page.handled

    def _read(self) -> None:
        try:
            while self.reading and self.replies.poll():  # not reading: the worker was stopped
                self._handle(self.replies.recv())
        except (EOFError, OSError):
            self._worker_died(timed_out=False)

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "begin":
            # From the worker's own clock: a busy crawl process may read "begin" late (even
            # with the page's "done"), and the page's time must not start over then.
            _, seq, started = message
            self.current = self.pending.get(seq)
            self.deadline = started + self.page_timeout
            self._cancel_deadline()
            if not self.closing:
                # time.monotonic() is the worker's clock and the loop's (asyncio's loop.time()).
                self.deadline_timer = self.loop.call_later(
                    max(0.0, self.deadline - time.monotonic()), self._at_deadline)
        elif kind == "done":
            _, seq, result, error, committed = message
            self.current = None
            self._cancel_deadline()
            self.barren_restarts = 0
            page = self.pending.get(seq)
            if page is not None:
                if error:
                    self._fail(page, error)
                else:
                    page.result = result
                    _resolve(page.handled)
            self._confirm(committed)
        elif kind == "committed":
            self._confirm(message[1])
        elif kind == "lost":  # a failed commit: every page of its batch is not archived
            _, last, reason = message
            self.current = None
            for page in [p for p in self.pending.values() if p.seq <= last]:
                self._fail(page, reason)
        elif kind == "fatal":  # the worker cannot open the archive: no other would either
            self._give_up(f"not archived: {message[1]}")
        elif kind == "busy":
            # It would wait the busy timeout again for each page it holds: stopped, and every
            # page not committed fails now (their sites stop, see ArchivePipeline._failed).
            self._cancel_deadline()
            self.current = None
            self._kill_process()
            self.archive_busy = True
            self._give_up(message[2])

    def _confirm(self, committed: int) -> None:
        for page in list(self.pending.values()):
            if page.seq > committed:
                break
            del self.pending[page.seq]
            if page.result is not None and page.on_committed:
                _notify(page.on_committed, page)

    def _fail(self, page: Pending, reason: str) -> None:
        self.pending.pop(page.seq, None)
        _resolve(page.handled)
        if page.on_failed:
            _notify(page.on_failed, page, reason)

    def _give_up(self, reason: str) -> None:
        self.broken = reason
        for page in list(self.pending.values()):
            self._fail(page, reason)

    # -- trouble ---------------------------------------------------------------------------

    def _cancel_deadline(self) -> None:
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
            self.deadline_timer = None

    def _at_deadline(self) -> None:
        self.deadline_timer = None
        if self.reading:
            self._read()  # a "done" the worker sent in time is not a time-out
        if self.current is not None and time.monotonic() >= self.deadline:
            self._worker_died(timed_out=True)

    def _worker_died(self, *, timed_out: bool) -> None:
        """The worker is gone (or stuck on a page): start another and give it what was not
        committed."""
        self._cancel_deadline()
        exitcode = self._kill_process()
        # The page it was on: the one it began, else the first it had not finished (pages are
        # handled in order; it may have died reading it). None if it died committing.
        culprit = self.current or next(
            (page for page in self.pending.values() if page.result is None), None)
        self.current = None
        if culprit is not None and culprit.seq in self.pending:
            if timed_out:
                self._fail(culprit, "not archived: extracting and storing it took longer than "
                                    f"the {self.page_timeout:g} s per-page time limit")
            else:
                culprit.deaths += 1
                if culprit.deaths >= 2:
                    self._fail(culprit, "not archived: the archive worker died twice on this "
                                        f"page (exit status {exitcode})")
        self.restarts += 1
        self.barren_restarts += 1
        if self.barren_restarts > MAX_BARREN_RESTARTS:
            self._give_up(f"not archived: the archive worker keeps dying (exit status {exitcode})")
            return
        self._start()
        for page in self.pending.values():
            page.result = None
            self.outbox.put(("page", page.seq, page.item, page.run, page.note))
        if self.closing:
            self.outbox.put(("flush",))

    # -- the end ---------------------------------------------------------------------------

    async def drain(self, owner: Any) -> None:
        """Wait until every page of `owner` is committed (or failed), without blocking the
        other sites: the reader and the time-limit watch keep running meanwhile."""
        while not self.broken and any(p.owner is owner for p in self.pending.values()):
            self.outbox.put(("flush",))
            await asyncio.sleep(WATCH_EVERY)

    def close(self) -> None:
        """Commit everything (restarting the worker as needed), then stop it. Blocks."""
        self._cancel_deadline()
        self._stop_reading()
        self.closing = True
        if not self.broken:
            self.outbox.put(("flush",))
        while self.pending and not self.broken:
            wait = WATCH_EVERY
            if self.current is not None:
                wait = max(0.0, min(wait, self.deadline - time.monotonic()))
            try:
                if self.replies.poll(wait):
                    self._handle(self.replies.recv())
                    continue
            except (EOFError, OSError):
                self._worker_died(timed_out=False)
                continue
            if self.current is not None and time.monotonic() >= self.deadline:
                self._worker_died(timed_out=True)
            elif not self.process.is_alive() and not self.replies.poll():
                self._worker_died(timed_out=False)
        if not self.broken:
            self.outbox.put(("stop",))
        self.outbox.put(None)
        self.process.join()
        self.sender.join()
        self.requests.close()
        self.replies.close()


_shared: dict[str, WorkerSupervisor] = {}


def shared_supervisor(db: str, *, page_timeout: float) -> WorkerSupervisor:
    """The crawl process's worker for archive `db`, started on first use; pair with
    `release_supervisor`."""
    supervisor = _shared.get(db)
    if supervisor is None or supervisor.closing:
        supervisor = _shared[db] = WorkerSupervisor(db, page_timeout=page_timeout)
    supervisor.users += 1
    return supervisor


def commit_now(db: str) -> None:
    """Have the worker for archive `db` (if running) commit its open batch now rather than
    after its idle pause: a spider waiting for its last pages to be committed, to find their
    images in the archive (crawler.media), waits no longer than the commit."""
    supervisor = _shared.get(db)
    if supervisor is not None and not supervisor.closing:
        supervisor.outbox.put(("flush",))


def release_supervisor(supervisor: WorkerSupervisor) -> None:
    """One site is done with the worker; the last one stops it (after committing everything)."""
    supervisor.users -= 1
    if supervisor.users <= 0:
        if _shared.get(supervisor.db) is supervisor:
            del _shared[supervisor.db]
        supervisor.close()


def close_all() -> None:
    """Commit and stop every worker still running: after a forced stop (a second Ctrl-C), whose
    sites never closed, so that what they fetched is stored and counted before they are
    reported (crawler.run). Blocks."""
    while _shared:
        _, supervisor = _shared.popitem()
        supervisor.close()


def _send_all(requests: Connection, outbox: queue.SimpleQueue[tuple[Any, ...] | None]) -> None:
    """The sender thread: pages to the worker, in order, until None (or the worker is gone).

    A fetched page's body (~0.9 MB for a real Wix post) goes as raw bytes after the page
    without it (see worker.PAGE_WITH_BODY), not inside the pickle: pickling copies it once more
    here and unpickling once more in the worker (~0.45 ms a real page in all)."""
    while (message := outbox.get()) is not None:
        try:
            if message[0] == "page" and isinstance(message[2], FetchedPage):
                _, seq, item, run, note = message
                requests.send((worker.PAGE_WITH_BODY, seq, replace(item, body=b""), run, note,
                               len(item.body)))
                worker.write_all(requests, item.body)
            else:
                requests.send(message)
        except OSError:  # the worker died: the supervisor starts another with its own pipes
            return


def _notify(callback: Callable[..., None], *args: Any) -> None:
    """Run a site's page callback; a bug in one is logged and costs no other page (an exception
    here would leave the rest of a reply unread, and those pages waiting for ever)."""
    try:
        callback(*args)
    except Exception:
        logger.exception("error in a page callback of the archive pipeline")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)

