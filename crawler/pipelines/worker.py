"""The archive worker: extract, clean and store pages in a process of their own.

Extraction and SQLite writes are CPU work; inside the crawl process they would share one core
(the GIL) with Scrapy's fetch loop. In one worker process they run beside it, so a crawl goes
at the speed of fetching, and every write still goes through one connection, in order.
Nothing here imports Scrapy: the worker starts fast and stays small.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from typing import Any

from archive.store import Archive
from crawler.extract import extract_article
from crawler.extract.elements import UNKNOWN_LAYOUT_WARNING
from crawler.items import FetchedPage, GonePost, MediaOutcome, UnchangedPost

# Writes are grouped into transactions of up to BATCH_SIZE posts or BATCH_SECONDS: a commit per
# post costs a third of the write. A batch lost to a kill is only posts the next run fetches
# again, since nothing of them reached the archive.
BATCH_SIZE = 200
BATCH_SECONDS = 1.0

_archive: Archive | None = None
_batch: contextlib.ExitStack | None = None
_batch_started = 0.0
_batch_size = 0


def start(db: str) -> None:
    """Process initializer: open the archive the crawl process has already created."""
    global _archive
    # Ctrl-C reaches a terminal's whole process group; the crawl process decides when to stop,
    # and needs this worker alive to finish the writes already under way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _archive = Archive.open(db, create=False)


def flush() -> None:
    """Commit the open batch (the pipeline calls this when the crawl pauses or ends)."""
    global _batch, _batch_size
    if _batch is not None:
        batch, _batch, _batch_size = _batch, None, 0
        batch.close()


def _in_batch() -> None:
    global _batch, _batch_started, _batch_size
    assert _archive is not None, "worker not started"
    if _batch is None:
        _batch = contextlib.ExitStack()
        _batch.enter_context(_archive.transaction())
        _batch_started = time.monotonic()
    _batch_size += 1


def handle(item: Any, run_id: int | None) -> tuple[str | None, str | None, bool]:
    """Process one item: (page kind, archive outcome, whether its body came from no known
    layout)."""
    try:
        result = _handle(item, run_id)
    except BaseException:
        _abort_batch()
        raise
    if _batch is not None and (_batch_size >= BATCH_SIZE
                               or time.monotonic() - _batch_started >= BATCH_SECONDS):
        flush()
    return result


def _abort_batch() -> None:
    """Roll the open batch back: its posts are not in the archive, so they are fetched again."""
    global _batch, _batch_size
    if _batch is not None:
        batch, _batch, _batch_size = _batch, None, 0
        with contextlib.suppress(Exception):
            batch.__exit__(*sys.exc_info())


def _handle(item: Any, run_id: int | None) -> tuple[str | None, str | None, bool]:
    assert _archive is not None, "worker not started"
    if isinstance(item, FetchedPage):
        article = extract_article(item.body, item.url, content_type=item.content_type)
        if article.page_kind != "post":
            return article.page_kind, None, False
        _in_batch()
        outcome = _archive.save_article(
            article, run_id=run_id, fetched_at=item.fetched_at, lastmod=item.lastmod,
            etag=item.etag, http_last_modified=item.http_last_modified, capture=item.capture,
        )
        return "post", outcome, UNKNOWN_LAYOUT_WARNING in article.warnings
    if isinstance(item, UnchangedPost):
        _in_batch()
        _archive.touch_post(item.url, fetched_at=item.fetched_at, lastmod=item.lastmod,
                            etag=item.etag, http_last_modified=item.http_last_modified)
        return None, "unchanged", False
    if isinstance(item, MediaOutcome):
        from archive.captures import record_media

        _in_batch()
        record_media(_archive.conn, item.url, item.status, item.fetched_at, item.content_type,
                     item.bytes, item.payload_digest, item.capture, item.error)
        return None, f"media_{item.status.split('-')[0]}", False
    if isinstance(item, GonePost):
        _in_batch()
        gone = _archive.mark_deleted(item.url, when=item.when)
        return None, "deleted" if gone else "unchanged", False
    return None, None, False
