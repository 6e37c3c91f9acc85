"""Datasette integration: metadata, ranked search and article pages for wixarchive archives.

`archive.web.plugin` is registered as a Datasette plugin entry point, so `datasette archive.db`
gets the same pages as `wixarchive serve` once the project is installed.

What the pages need to know of each archive (its sites, its indexes, whether it holds a post
written with vowel marks, whether it is big) is read when it is first served and read again
whenever another process (a crawl beside `serve`, an import, an upgrade) committed a change:
ArchiveChanges asks on each request's way in, and reads it in one of Datasette's database
threads; the hooks that use it (Datasette's metadata among them) run on the event loop, which
serves every visitor, and read only what was read.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from typing import Any, NamedTuple

from archive.environment import whole_number
from archive.schema import UNMARKED_COLUMNS
from archive.search import cjk, unmarked
from archive.store import Archive, ArchiveError


class Holding(NamedTuple):
    """What an archive holds, as its pages need it."""

    sites: list[str]  # its site URLs, in order
    bigram_index: bool  # posts_cjk (one from before v13, served read-only, has not)
    unmarked_columns: bool  # the columns of posts_unmarked (v19)
    marks: bool  # a post written with Hebrew or Arabic vowel marks
    records_changes: bool  # posts.recorded_at (v21)
    recorded_newest: bool  # posts_recorded_newest, recorded_at in order newest first (v27)
    posts: int  # its posts, counted up to `counted_below`
    counted_below: int  # sort_every_column_below() when counted


class _Watched(NamedTuple):
    db: Any  # Datasette's Database, read through
    holding: Holding | None  # None: not an archive
    conn: sqlite3.Connection | None  # a read connection of ours, once watched
    version: int  # its PRAGMA data_version when `holding` was read


# Datasette instance -> {database name: what was read of it}
_watched: weakref.WeakKeyDictionary[Any, dict[str, _Watched]] = weakref.WeakKeyDictionary()
_detecting = threading.Lock()  # Datasette's threads ask too (prepare_connection)


def _read(conn: sqlite3.Connection) -> Holding:
    """The archive's holding, each part read whole (fetchall: no statement left holding a
    read transaction, whose snapshot would hide the next change from data_version)."""
    below = sort_every_column_below()
    # Counted only up to the threshold: the answer needed is whether there are that many,
    # and a count of every post grows with the archive (1,000,000 posts: docs/benchmarks.md).
    (posts,), = conn.execute("SELECT count(*) FROM (SELECT 1 FROM posts LIMIT ?)",
                             (below,)).fetchall()
    columns = {name for name, in conn.execute(
        "SELECT name FROM pragma_table_info('posts')").fetchall()}
    indexes = {name for name, in conn.execute(
        "SELECT name FROM pragma_index_list('posts')").fetchall()}
    return Holding(
        sites=[url for url, in conn.execute("SELECT url FROM sites ORDER BY url").fetchall()],
        bigram_index=cjk.indexed(conn), unmarked_columns=UNMARKED_COLUMNS[-1] in columns,
        marks=unmarked.holds_marks(conn), records_changes="recorded_at" in columns,
        recorded_newest="posts_recorded_newest" in indexes,
        posts=posts, counted_below=below)


def _detect(datasette: Any, name: str) -> Holding | None:
    """Database `name`'s holding when it is an archive, else None: as last read (an archive
    is opened and read the first time only)."""
    db = datasette.databases.get(name)
    path = getattr(db, "path", None)
    if db is None or not path or db.is_memory:
        return None
    with _detecting:
        cache = _watched.setdefault(datasette, {})
        known = cache.get(name)
        if known is not None and known.db is db:
            return known.holding
        holding = _opened(path)
        cache[name] = _Watched(db, holding, None, 0)
        return holding


def _opened(path: str) -> Holding | None:
    """The holding of the database at `path` when it is an archive, else None."""
    try:
        with Archive.open(path, readonly=True, create=False) as archive:
            return _read(archive.conn)
    except (ArchiveError, OSError, sqlite3.Error):
        return None


async def follow_changes(datasette: Any, name: str) -> None:
    """Read archive `name`'s holding again when another connection committed a change since it
    was read (our connection's data_version, asked here: 0.01 ms), or the threshold of a big
    archive changed: in Datasette's database thread (the posts counted there), the event loop
    serving the other requests meanwhile. A database found to be no archive is looked at again
    the same way: under `datasette x.db` one a crawl was still creating (or the first crawl of an
    empty file) stayed without its pages until a restart."""
    _detect(datasette, name)
    known = _watched.get(datasette, {}).get(name)
    if known is None:  # no file (in memory): never an archive
        return
    try:
        # Datasette's own connect (read-only, as on read-only media), closed with its others.
        conn = known.conn or known.db.connect()
        (version,), = conn.execute("PRAGMA data_version").fetchall()
    except sqlite3.Error:
        return
    if known.conn is conn and known.version == version and (
            known.holding is None
            or known.holding.counted_below == sort_every_column_below()):
        return
    try:
        # No archive yet: opened as one again (the first time too, now that the version it is
        # compared with is known, so no change made meanwhile goes unseen).
        holding = await (known.db.execute_fn(_read) if known.holding is not None else
                         known.db.execute_fn(lambda _: _opened(known.db.path)))
    except sqlite3.Error:  # as last read; asked again at the next request
        holding, version = known.holding, -1
    _watched[datasette][name] = known._replace(holding=holding, conn=conn, version=version)


class ArchiveChanges:
    """ASGI middleware: before each request, what was read of each archive served is read again
    if another process changed it (follow_changes). At 1,000,000 posts the count of every post
    this replaced held up the event loop, every visitor's requests, 18-84 ms after each change
    (docs/benchmarks.md)."""

    def __init__(self, app: Any, datasette: Any) -> None:
        self.app = app
        self.datasette = datasette

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            for name, db in list(self.datasette.databases.items()):
                if name not in _watched.get(self.datasette, {}) and db.path and not db.is_memory:
                    # First served: opened and read in Datasette's thread too.
                    await db.execute_fn(lambda conn, name=name: _detect(self.datasette, name))
                await follow_changes(self.datasette, name)
        await self.app(scope, receive, send)


def archive_sites(datasette: Any, name: str) -> list[str] | None:
    """The site URLs of database `name` when it is a wixarchive archive, else None."""
    found = _detect(datasette, name)
    return found.sites if found else None


def has_bigram_index(datasette: Any, name: str) -> bool:
    """Whether archive `name` has posts_cjk (one from before v13, served read-only, has not)."""
    found = _detect(datasette, name)
    return bool(found and found.bigram_index)


def has_unmarked_columns(datasette: Any, name: str) -> bool:
    """Whether archive `name`'s posts have the columns of posts_unmarked (one from before v19,
    served read-only, has not)."""
    found = _detect(datasette, name)
    return bool(found and found.unmarked_columns)


def holds_marks(datasette: Any, name: str) -> bool:
    """Whether archive `name` holds a post written with Hebrew or Arabic vowel marks (one
    arriving from a crawl beside `serve` too, from the next request on)."""
    found = _detect(datasette, name)
    return bool(found and found.marks)


def records_changes(datasette: Any, name: str) -> bool:
    """Whether archive `name`'s posts say when each change was stored (recorded_at; one from
    before v21, served read-only, has not)."""
    found = _detect(datasette, name)
    return bool(found and found.records_changes)


# The posts table sorts by every column below this many posts, else only by the columns an index
# keeps in order (metadata.SORTABLE_POSTS). A sort by another column reads every post whole,
# word_count (stored after the post's texts) slowest. The page `?_sort=word_count`, 2-core VM at
# load 6-9 (docs/benchmarks.md, "Sorting the posts table by any column"): 97-135 ms at 2,000
# posts (as a sort an index serves), 169-214 ms at 20,000, 578-684 ms at 50,000 (its query
# 0.35-0.5 s), 723-993 ms and once "SQL Interrupted" (Datasette's 1 s) at 100,000; title,
# author, reading_minutes about half that. Below 50,000 the slowest sort's query stays near a
# third of the limit; almost every archive (one blog, 50-2,000 posts) sorts as people click.
SORT_EVERY_COLUMN_BELOW = 50_000


def sort_every_column_below() -> int:
    """SORT_EVERY_COLUMN_BELOW, or $WIXARCHIVE_SORT_EVERY_COLUMN_BELOW (a faster machine).
    ValueError naming the variable for a wrong value (`serve` checks it before starting)."""
    below, problem = whole_number("WIXARCHIVE_SORT_EVERY_COLUMN_BELOW", SORT_EVERY_COLUMN_BELOW)
    if problem:
        raise ValueError(problem)
    return below


def sorts_every_column(datasette: Any, name: str) -> bool:
    """Whether archive `name`'s posts table sorts by every column: it holds fewer posts than
    sort_every_column_below() (counted again once the archive changed: ArchiveChanges)."""
    found = _detect(datasette, name)
    return found is not None and found.posts < sort_every_column_below()


def sortable_posts(datasette: Any, name: str) -> tuple[str, ...]:
    """The columns a big archive `name`'s posts table sorts by: metadata.SORTABLE_POSTS, but
    recorded_at in one from before v27 (served read-only as it is), whose index of it gives no
    order newest first."""
    from archive.web.metadata import SORTABLE_POSTS

    found = _detect(datasette, name)
    if found is not None and found.recorded_newest:
        return SORTABLE_POSTS
    return tuple(column for column in SORTABLE_POSTS if column != "recorded_at")


def archive_names(datasette: Any) -> list[str]:
    return [name for name in datasette.databases if archive_sites(datasette, name) is not None]
