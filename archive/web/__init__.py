"""Datasette integration: metadata, ranked search and article pages for wixarchive archives.

`archive.web.plugin` is registered as a Datasette plugin entry point, so `datasette archive.db`
gets the same pages as `wixarchive serve` once the project is installed.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from typing import Any

from archive.environment import whole_number
from archive.schema import UNMARKED_COLUMNS
from archive.search import cjk, unmarked
from archive.store import Archive, ArchiveError

# Datasette instance -> {database name: (path, site URLs, has the bigram index, has the columns
# of the mark-free index, holds a post written with Hebrew or Arabic vowel marks, its posts say
# when each change was stored, its number of posts) or None when not an archive}
_Detected = tuple[str, list[str], bool, bool, bool, bool, int]
_detected: weakref.WeakKeyDictionary[Any, dict[str, _Detected | None]] = (
    weakref.WeakKeyDictionary())


def _detect(datasette: Any, name: str) -> _Detected | None:
    db = datasette.databases.get(name)
    path = getattr(db, "path", None)
    if db is None or not path or db.is_memory:
        return None
    cache = _detected.setdefault(datasette, {})
    known = cache.get(name)
    if name in cache and (known is None or known[0] == path):
        return known
    try:
        with Archive.open(path, readonly=True, create=False) as archive:
            stats = archive.stats()
            found: _Detected | None = (
                path, [s["site"] for s in stats], cjk.indexed(archive.conn),
                archive.conn.execute("SELECT 1 FROM pragma_table_info('posts') WHERE name = ?",
                                     (UNMARKED_COLUMNS[-1],)).fetchone() is not None,
                unmarked.holds_marks(archive.conn),
                archive.conn.execute("SELECT 1 FROM pragma_table_info('posts') WHERE name = "
                                     "'recorded_at'").fetchone() is not None,
                sum(site["posts"] for site in stats))
    except (ArchiveError, OSError):
        found = None
    cache[name] = found
    return found


def archive_sites(datasette: Any, name: str) -> list[str] | None:
    """The site URLs of database `name` when it is a wixarchive archive, else None (cached)."""
    found = _detect(datasette, name)
    return found[1] if found else None


def has_bigram_index(datasette: Any, name: str) -> bool:
    """Whether archive `name` has posts_cjk (one from before v13, served read-only, has not)."""
    found = _detect(datasette, name)
    return bool(found and found[2])


def has_unmarked_columns(datasette: Any, name: str) -> bool:
    """Whether archive `name`'s posts have the columns of posts_unmarked (one from before v19,
    served read-only, has not)."""
    found = _detect(datasette, name)
    return bool(found and found[3])


def holds_marks(datasette: Any, name: str) -> bool:
    """Whether archive `name` holds a post written with Hebrew or Arabic vowel marks (when it
    was first served: marks arriving later, from a crawl beside, are seen after a restart)."""
    found = _detect(datasette, name)
    return bool(found and found[4])


def records_changes(datasette: Any, name: str) -> bool:
    """Whether archive `name`'s posts say when each change was stored (recorded_at; one from
    before v21, served read-only, has not)."""
    found = _detect(datasette, name)
    return bool(found and found[5])


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


# Datasette instance -> {database name: (its Database, a read connection of ours to it, that
# connection's PRAGMA data_version when the posts were counted, their number)}
_Counted = tuple[Any, sqlite3.Connection, int, int]
_counted: weakref.WeakKeyDictionary[Any, dict[str, _Counted]] = weakref.WeakKeyDictionary()
_counting = threading.Lock()  # Datasette asks for metadata from its threads too


def held_posts(datasette: Any, name: str) -> int:
    """How many posts archive `name` holds now: counted again only when another connection
    (a crawl beside `serve`, an import) committed since (its data_version changed: 0.01 ms to
    ask), as Datasette asks for metadata dozens of times a page (count(*): 4-18 ms at 210,000
    posts on the 2-core VM, docs/benchmarks.md)."""
    found = _detect(datasette, name)
    db = datasette.databases.get(name)
    if not found or db is None:
        return 0
    with _counting:
        cache = _counted.setdefault(datasette, {})
        known = cache.get(name)
        try:
            # Datasette's own connect (read-only, as on read-only media), closed with its others.
            conn = known[1] if known and known[0] is db else db.connect()
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if known and known[1] is conn and known[2] == version:
                return known[3]
            # fetchall: the statement done, no read transaction left open (one holds its
            # snapshot, and data_version with it)
            (posts,), = conn.execute("SELECT count(*) FROM posts").fetchall()
        except sqlite3.Error:
            return found[6]  # as counted when first served
        cache[name] = (db, conn, version, posts)
        return posts


def sorts_every_column(datasette: Any, name: str) -> bool:
    """Whether archive `name`'s posts table sorts by every column: it holds fewer posts than
    sort_every_column_below(), asked again once the archive changed (its sites and marks are
    read once, when first served)."""
    return _detect(datasette, name) is not None and \
        held_posts(datasette, name) < sort_every_column_below()


def archive_names(datasette: Any) -> list[str]:
    return [name for name in datasette.databases if archive_sites(datasette, name) is not None]
