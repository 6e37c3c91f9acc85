"""Re-extraction: today's extraction and cleaning, run again over the stored captures.

No network: each post's page comes from its raw capture (archive/captures.py). A post gets a new
version only where the clean result changed; such versions are marked `source = 'reextract'`.
Work goes in batches of posts, each committed with the run's resume point (the `reextractions`
row), so a re-extraction killed at any moment resumes after the last committed batch, and a
batch cut short leaves nothing half-written.

Extraction is the cost (2-3 ms of CPU a sample page, 5-8 ms a real Wix page; reading the
capture is a tenth of that on a sample page, a third on a real one, comparing with the stored
content hash a twentieth), and it is CPU work: with many posts it runs in a pool of processes,
one per core, while this process reads the index and writes what changed, in order. A worker
is handed only where each capture is (file, offset, length) and reads the files itself; every
write goes through this process's one connection.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from archive import captures
from archive.chunked import in_chunks
from archive.ingest import Fetch, refresh_texts, relink_attachments, save_batch, utc_now
from archive.schedule.locks import LockBusy, ReextractionLock
from archive.spawning import without_main
from archive.store import Archive, ArchiveBusy
from crawler.discover.urls import site_root
from crawler.extract.record import Article

BATCH = 200  # posts per committed step
CHUNK = 25  # posts per task handed to a worker process
POOL_MIN_POSTS = 400  # fewer posts than this are re-extracted in this process (no start-up)
AHEAD = 3  # batches handed to the pool before the oldest one is written
FAILURES_KEPT = 200  # failures named in the run's row and the summary


class Target(NamedTuple):
    """A post to re-extract and the capture to re-extract it from."""

    post_id: int
    url: str
    version: int
    content_hash: str
    capture: str | None
    last_seen: str
    lastmod: str | None
    etag: str | None
    http_last_modified: str | None
    captured_at: str | None = None  # when the capture was fetched, once it is located


@dataclasses.dataclass
class Result:
    posts: int = 0  # posts re-extracted from a capture
    changed: int = 0  # of which the clean result changed: a new version
    # of the others, those whose text or Markdown today's extraction writes otherwise (not part
    # of what a version is: rewritten in place)
    refreshed: int = 0
    failed: int = 0  # capture missing, unreadable, or no longer a post
    without_capture: int = 0  # archived without captures (--no-capture, or before v10)
    failures: list[str] = dataclasses.field(default_factory=list)
    resumed: bool = False
    run_id: int = 0  # its row in `reextractions`

    def counts(self) -> dict[str, int]:
        return {"posts": self.posts, "changed": self.changed, "refreshed": self.refreshed,
                "failed": self.failed, "without_capture": self.without_capture}


def _site_filter(site: str | None) -> tuple[str, list[Any]]:
    if not site:
        return "", []
    return " AND p.site_id = (SELECT id FROM sites WHERE url = ?)", [site_root(site)]


def count_posts(archive: Archive, site: str | None, after: int = 0) -> int:
    where, params = _site_filter(site)
    return archive.conn.execute(f"SELECT count(*) FROM posts p WHERE p.id > ?{where}",
                                [after, *params]).fetchone()[0]


def _targets(archive: Archive, site: str | None, after: int) -> Iterator[list[Target]]:
    where, params = _site_filter(site)
    # The newest successful capture of the post's URL; else the one its version names. Not an
    # older one when the capture its version names is not indexed yet (a crawl running now
    # stored it): that one, which _outcomes tells apart from a capture lost from the index.
    sql = (
        "SELECT p.id, p.url, p.version, p.content_hash, CASE WHEN v.capture IS NOT NULL AND"
        " NOT EXISTS (SELECT 1 FROM captures c WHERE c.record_id = v.capture)"
        " THEN v.capture ELSE coalesce("
        " (SELECT c.record_id FROM captures c WHERE c.url = p.url AND c.status = 200"
        "  ORDER BY c.fetched_at DESC LIMIT 1), v.capture) END,"
        " p.last_seen, p.lastmod, p.etag, p.http_last_modified "
        "FROM posts p LEFT JOIN post_versions v ON v.post_id = p.id AND v.version = p.version "
        f"WHERE p.id > ?{where} ORDER BY p.id LIMIT ?")
    while True:
        rows = [Target(*row) for row in archive.conn.execute(sql, [after, *params, BATCH])]
        if not rows:
            return
        yield rows
        after = rows[-1].post_id


def _open_run(archive: Archive, site: str | None) -> tuple[int, Result]:
    """The unfinished re-extraction of the same scope to resume, or a new one: the last post
    id it has done, and its counts so far (with its row's id, `run_id`)."""
    scope = site_root(site) if site else None
    row = archive.conn.execute(
        "SELECT id, last_post_id, counts, failures FROM reextractions WHERE finished_at IS NULL "
        "AND site IS ? ORDER BY id DESC LIMIT 1", (scope,)).fetchone()
    if row is not None:
        counts = json.loads(row[2])
        result = Result(**{k: counts.get(k, 0) for k in Result().counts()},
                        failures=json.loads(row[3]), resumed=True, run_id=row[0])
        return row[1], result
    with archive.transaction() as conn:
        run_id = conn.execute("INSERT INTO reextractions (site, started_at) VALUES (?, ?)",
                              (scope, utc_now())).lastrowid
    return 0, Result(run_id=run_id)


def saved_so_far(archive: Archive, run_id: int) -> tuple[int, bool]:
    """The posts the run has committed as done (re-extracted, failed or without a capture),
    and whether it finished, read back from its row. What `progress` was told can be a batch
    short: a Ctrl-C may land between a batch's commit and the call that counts it."""
    row = archive.conn.execute("SELECT counts, finished_at FROM reextractions WHERE id = ?",
                               (run_id,)).fetchone()
    if row is None:
        return 0, False
    counts = json.loads(row[0])
    return counts.get("posts", 0) + counts.get("without_capture", 0), row[1] is not None


def _fail(result: Result, url: str, reason: str) -> None:
    result.failed += 1
    if len(result.failures) < FAILURES_KEPT:
        result.failures.append(f"{url}: {reason}")


# ("unchanged", None) | ("unchanged", (attachments, body_text, body_markdown)): same content,
# its videos and documents to record, its text and Markdown as today's extraction writes them |
# ("changed", article) | ("failed", reason). Only a changed post's whole article crosses back
# from a worker.
Outcome = tuple[str, Any]


_reader: captures.Reader | None = None  # a worker process's, opened by _start_worker


def _start_worker(directory: Path) -> None:
    global _reader
    # A terminal's Ctrl-C reaches the whole process group, these workers too: interrupted
    # inside the pool's queues they left its locks held, and a second Ctrl-C then hung the
    # command for ever in the pool's shutdown. The command alone stops them (it shuts the pool
    # down, or its SIGTERM ends them without the handler a fork inherits raising in them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _reader = captures.Reader(directory)


def _extract(reader: captures.Reader, url: str, content_hash: str,
             where: captures.Location) -> Outcome:
    """Re-extract one post from its capture (runs in a worker process, or in this one)."""
    try:
        body, content_type = _read_page(reader, where)
    except (captures.CaptureError, OSError, ValueError) as exc:
        return "failed", str(exc)
    except Exception as exc:  # a damaged record that warcio cannot parse
        return "failed", f"capture file {reader.directory / where.file} is damaged at offset " \
                         f"{where.offset}: {exc}"
    return _compare(_extract_page(body, url, content_type), url, content_hash)


# The three steps of _extract, each a function of its own so that benchmarks/crawl.py can time
# them (it wraps these module attributes).
def _read_page(reader: captures.Reader, where: captures.Location) -> tuple[bytes, str | None]:
    payload = reader.payload(where)
    return payload.decoded_body(), payload.content_type


def _extract_page(body: bytes, url: str, content_type: str | None) -> Any:
    from crawler.extract import extract_article  # the extractor only: no Scrapy

    return extract_article(body, url, content_type=content_type)


def _compare(article: Any, url: str, content_hash: str) -> Outcome:
    if article.page_kind != "post":
        reason = "; ".join(article.warnings) or f"extracted as a {article.page_kind} page"
        return "failed", f"not extracted as a post ({reason})"
    if article.content_hash() == content_hash:  # the URL is not part of the hash
        return "unchanged", (article.attachments or None, article.body_text,
                             article.body_markdown)
    return "changed", dataclasses.replace(article, url=url)


def _extract_chunk(tasks: list[tuple[str, str, captures.Location]],
                   reader: captures.Reader | None = None) -> list[Outcome]:
    reader = reader or _reader
    assert reader is not None, "_start_worker runs first in each worker process"
    return [_extract(reader, *task) for task in tasks]


def _outcomes(archive: Archive, batch: list[Target]) -> list[tuple[Target, Any]]:
    """Each target of a batch with what to do about it: a task list for the extractor, or an
    outcome already known (no capture, capture not indexed)."""
    where = captures.locate(archive.conn, [t.capture for t in batch if t.capture])
    written_now = None
    planned: list[tuple[Target, Any]] = []
    for target in batch:
        if target.capture is None:
            planned.append((target, None))  # counted as its batch is written
        elif target.capture not in where:
            if written_now is None:
                written_now = captures.being_written(
                    archive.conn, captures.captures_dir(archive.path))
            # A crawl running now stored the post and indexes its capture as it goes: it
            # extracted the post from that capture with today's code.
            planned.append((target, ("unchanged", None) if written_now else (
                "failed", f"capture {target.capture} is not in the index")))
        else:
            located = where[target.capture]
            planned.append((target._replace(captured_at=located.fetched_at),
                            (target.url, target.content_hash, located)))
    return planned


def _fetch(target: Target, article: Any, current: tuple[Any, ...]) -> Fetch:
    # Dated by the post's last fetch: the capture read is the newest one of the page, and what
    # every fetch since confirmed (304 or unchanged lastmod). Validators stay as they are now
    # (`current`: a crawl may have confirmed the page again since the batch was read). By the
    # capture's own fetch when that is later: a crawl running now indexed it before storing
    # the post made from it, and the page held this content no earlier than then.
    url, last_seen, lastmod, etag, http_last_modified, deleted_at = current
    if article.url != url:  # the post's URL changed since its batch was read
        article = dataclasses.replace(article, url=url)
    return Fetch(article, _later(last_seen, target.captured_at), lastmod, etag,
                 http_last_modified, capture=target.capture, source="reextract",
                 deleted_at=deleted_at)


def _later(last_seen: str, captured_at: str | None) -> str:
    """The later of a post's last_seen and a capture's WARC-Date, as last_seen is written (to
    the second, +00:00)."""
    from datetime import UTC, datetime

    def instant(stamp: str) -> datetime:
        moment = datetime.fromisoformat(stamp)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    try:
        captured = instant(captured_at or "").astimezone(UTC).replace(microsecond=0)
        return last_seen if instant(last_seen) >= captured else captured.isoformat()
    except ValueError:  # a date in another shape (an import's): the post's own, as before
        return last_seen


def _still_current(conn: Any, targets: list[Target]) -> dict[int, tuple[Any, ...]]:
    """The targets whose post still has the version they were read at, with its date,
    validators and deletion as they are now. Read inside the batch's write transaction: a
    crawl that stored a newer version of a post after its batch was read extracted it with
    today's code from a newer capture, and writing the older capture's result over it would
    bury that version. With its URL now: `sites merge`, or a crawl following the site's move,
    gives a post its URL at the new address and no new version, and a changed post written by
    the URL read was stored again as a new post there."""
    read_at = {target.post_id: target.version for target in targets}
    return {row[0]: row[2:] for row in in_chunks(
        conn, "SELECT id, version, url, last_seen, lastmod, etag, http_last_modified, "
              "deleted_at FROM posts WHERE id IN ({marks})", list(read_at))
            if read_at[row[0]] == row[1]}


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else os.cpu_count() or 1


def reextract(archive: Archive, *, site: str | None = None,
              progress: Callable[[int], None] | None = None,
              on_start: Callable[[int, Result], None] | None = None,
              workers: int | None = None) -> Result:
    """Re-extract every post (of `site`) from its newest capture; resumes an unfinished run.

    `on_start(total, result)` is told how many posts remain and what a resumed run already
    counted; `progress(n)` after each batch of n posts. `workers`: extraction processes
    (default: one per core; 1 extracts in this process; fewer than POOL_MIN_POSTS posts
    always do)."""
    archive.ensure_writable()  # before recovering a killed crawl's capture files
    with _alone(archive.path, site_root(site) if site else None):
        return _reextract(archive, site, progress, on_start, workers)


class ReextractionRunning(ArchiveBusy):
    """Another re-extraction of an overlapping scope (the whole archive, or the same site) is
    running: the same command may succeed once it ends."""


def _alone(db: Path, scope: str | None) -> ReextractionLock:
    """The re-extraction lock of `scope` (a site root; None: the whole archive), or
    ReextractionRunning naming the process of the one running."""
    from datetime import UTC, datetime

    try:
        return ReextractionLock.acquire(db, scope, now=datetime.now(UTC))
    except LockBusy as busy:
        holder = busy.holder
        what = (f"of {holder.site}" if holder and holder.site else "of the whole archive")
        who = f" ({holder.describe()})" if holder else ""
        raise ReextractionRunning(
            f"a re-extraction {what} is running on {db}{who}: it re-extracts these posts "
            "too; run again when it ends") from None


def _reextract(archive: Archive, site: str | None,
               progress: Callable[[int], None] | None,
               on_start: Callable[[int, Result], None] | None,
               workers: int | None) -> Result:
    directory = captures.captures_dir(archive.path)
    captures.recover(archive.conn, directory)  # a crawl killed mid-write: index what it left
    after, result = _open_run(archive, site)
    total = count_posts(archive, site, after)
    if on_start:
        on_start(total, result)
    workers = default_workers() if workers is None else max(1, workers)
    reader = captures.Reader(directory)  # this process's: few posts, or a worker lost
    pool = None
    if workers > 1 and total >= POOL_MIN_POSTS:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(workers, mp_context=_pool_context(),
                                   initializer=_start_worker, initargs=(directory,))
    try:
        queued: deque[tuple[list[tuple[Target, Any]], list[Any]]] = deque()
        for batch in _targets(archive, site, after):
            planned = _outcomes(archive, batch)
            tasks = [task for _, task in planned if task and len(task) == 3]
            chunks = [tasks[i:i + CHUNK] for i in range(0, len(tasks), CHUNK)]
            if pool is not None:
                with without_main():  # the pool starts its processes on first submits
                    futures = [pool.submit(_extract_chunk, chunk) for chunk in chunks]
                queued.append((planned, list(zip(chunks, futures, strict=True))))
            else:
                queued.append((planned, [(chunk, _extract_chunk(chunk, reader))
                                         for chunk in chunks]))
            if len(queued) >= AHEAD:
                _write(archive, reader, result, *queued.popleft(), progress)
        while queued:
            _write(archive, reader, result, *queued.popleft(), progress)
    except BaseException:
        if pool is not None:
            _end_workers(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        reader.close()
    with archive.transaction() as conn:
        conn.execute("UPDATE reextractions SET finished_at = ?, counts = ? WHERE id = ?",
                     (utc_now(), json.dumps(result.counts()), result.run_id))
    return result


def _end_workers(pool: Any) -> None:
    """Stop the pool's workers at once (they only read capture files). A Ctrl-C, then a second
    one inside the pool's graceful shutdown, left workers never told to exit, which the
    command then waited for at its exit, for ever; SIGINT is ignored meanwhile, so that a
    further one cannot cut this short in turn. Only the main thread gets signals (and may set
    their handlers): run from another thread (the API's), the error that stopped it is
    raised as it is."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        # ProcessPoolExecutor has no public way to end its workers before Python 3.14's
        # terminate_workers(); its process table is the one way in before that.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _pool_context() -> Any:
    """fork while this process runs no other thread: a worker then starts in milliseconds with
    the extractor already imported, where a spawned one starts a fresh interpreter and imports
    it (~0.2 s of CPU each). spawn otherwise: a fork would copy other threads'
    locks mid-use. The workers only read capture files; they never touch the SQLite
    connection they inherit."""
    import multiprocessing
    import threading

    if threading.active_count() > 1:
        return multiprocessing.get_context("spawn")
    import crawler.extract.api  # noqa: F401 - imported once here, not in every worker

    return multiprocessing.get_context("fork")


def _results(reader: captures.Reader, chunk: list[Any], done: Any) -> list[Outcome]:
    """A chunk's outcomes: computed here already, or from its worker process (done again here
    if the pool broke: a worker killed, say, by the out-of-memory killer)."""
    if isinstance(done, list):
        return done
    from concurrent.futures.process import BrokenProcessPool

    try:
        return done.result()
    except BrokenProcessPool:
        return _extract_chunk(chunk, reader)


def _write(archive: Archive, reader: captures.Reader, result: Result,
           planned: list[tuple[Target, Any]], chunks: list[tuple[list[Any], Any]],
           progress: Callable[[int], None] | None) -> None:
    """Count one batch's outcomes and commit its changed posts with the resume point."""
    outcomes = iter([outcome for chunk, done in chunks
                     for outcome in _results(reader, chunk, done)])
    changes, unchanged = [], []
    for target, task in planned:
        if task is None:
            result.without_capture += 1
            continue
        result.posts += 1
        status, value = task if len(task) == 2 else next(outcomes)
        if status == "failed":
            _fail(result, target.url, value)
        elif status == "changed":
            changes.append((target, value))
        elif value is not None:
            unchanged.append((target, value))
    with archive.transaction() as conn:
        current = _still_current(conn, [target for target, _ in changes + unchanged])
        fetches = [_fetch(target, article, current[target.post_id])
                   for target, article in changes if target.post_id in current]
        result.changed += len(fetches)
        unchanged = [(target, value) for target, value in unchanged
                     if target.post_id in current]
        relinks = [(target.post_id, Article(url=target.url, attachments=attachments))
                   for target, (attachments, _, _) in unchanged if attachments]
        if fetches:
            save_batch(conn, fetches, None, archive._site_id)
        if relinks:
            relink_attachments(conn, relinks)
        # The text and Markdown are not part of a version's content (content_hash): a fix of
        # the extractor's Markdown alone reaches the posts archived before it here.
        result.refreshed += refresh_texts(conn, [
            (target.post_id, target.content_hash, text, markdown)
            for target, (_, text, markdown) in unchanged])
        conn.execute("UPDATE reextractions SET last_post_id = ?, counts = ?, failures = ? "
                     "WHERE id = ?", (planned[-1][0].post_id, json.dumps(result.counts()),
                                      json.dumps(result.failures, ensure_ascii=False),
                                      result.run_id))
    if progress:
        progress(len(planned))
