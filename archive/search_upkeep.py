"""The archive's full-text indexes and search statistics kept in step with its posts: checked,
rebuilt, and the statistics behind fast common-term queries (archive.search.stats) computed or
extended, then written.

archive.store.Archive runs these on its connection (Archive.check, optimize, rebuild_index,
refresh_search_stats); the statistics modules are imported only when a refresh needs them.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive import schema
from archive.connection import archive_error, connect, is_busy
from archive.words import counted

if TYPE_CHECKING:
    from archive.search.stats import Stats

# Search statistics (see refresh_search_stats): below this many posts exact ranking is fast anyway.
STATS_MIN_POSTS = 5_000
STATS_READERS = 3  # connections added to rank the statistics' lists in parallel, at most
# Lists are extended with added and changed posts until as many as this share of the archive
# were added or changed (in all) since it was last ranked whole: beyond, the average post length
# may have moved enough to reorder them.
STATS_EXTEND_SHARE = 0.05
# How often `check`'s long write statement looks for a crawl that started.
CRAWL_POLL_SECONDS = 0.5


def search_indexes(conn: sqlite3.Connection) -> list[schema.SearchIndex]:
    """The archive's full-text indexes (one from before an index's version, opened
    read-only, has not that one)."""
    present = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [index for index in schema.SEARCH_INDEXES if index.table in present]


def check_search_indexes(conn: sqlite3.Connection, *, readonly: bool,
                         crawl_running: Callable[[], str | None],
                         notes: list[str]) -> list[str]:
    """Problems of the full-text indexes (empty when each holds what the posts say).
    `crawl_running` names a crawl writing the archive from another process, or None; `notes`
    gets what was checked less fully because of one."""
    problems = []
    for index in search_indexes(conn):
        problems += _check_search_index(conn, index, index.name, readonly=readonly,
                                        crawl_running=crawl_running, notes=notes)
    return problems


def _check_search_index(conn: sqlite3.Connection, index: schema.SearchIndex, name: str, *,
                        readonly: bool, crawl_running: Callable[[], str | None],
                        notes: list[str]) -> list[str]:
    table, repair = index.table, "; `wixarchive check --repair` rebuilds it"
    if index.only is not None:
        # FTS5's check against the content reads every row of it, and fails on the rows
        # left out: check the index's own structure, then which posts it holds.
        missing, extra = conn.execute(
            f"SELECT (SELECT count(*) FROM {index.content} WHERE ({index.only}) AND id NOT "
            f"IN (SELECT id FROM {table}_docsize)), (SELECT count(*) FROM {table}_docsize "
            f"WHERE id NOT IN (SELECT id FROM {index.content} WHERE {index.only}))"
        ).fetchone()
        if missing or extra:
            return [f"{name} out of sync with posts ({counted(missing, 'post')} missing from it, "
                    f"{extra} it should not hold){repair}"]
    # FTS5's integrity-check is an INSERT, refused on a read-only connection: compare the
    # number of indexed documents with the number of posts instead. A writable archive gets
    # that too while a crawl runs: the INSERT holds the write lock to its end (at 1M posts
    # over a minute of CPU) and a crawl kept waiting past its busy timeout stops.
    crawl = None if readonly else crawl_running()
    if readonly or crawl:
        if crawl:
            notes.append(f"{name} compared with the posts by their number only: {crawl}; "
                         "`wixarchive check` when no crawl runs compares every word")
        # One statement, one read of the file: a post the crawl stores between two reads
        # was counted in one of them only, an index "out of sync" that was not.
        indexed, posts = conn.execute(f"SELECT (SELECT count(*) FROM {table}_docsize), "
                                      f"(SELECT count(*) FROM {index.content})").fetchone()
        if index.only is None and indexed != posts:
            return [f"{name} holds {counted(indexed, 'post')}, the archive {posts}{repair}"]
        return []
    try:
        # 'integrity-check' with rank 1 also compares the index with the posts' text. A crawl
        # starting meanwhile (its site lock taken) stops it, as above.
        with _stopped_when_a_crawl_starts(conn, crawl_running) as started:
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', ?)",
                         (int(index.only is None),))
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):  # the check needs the write lock another process holds
            raise archive_error(exc) from exc
        if started:
            return _check_search_index(conn, index, name, readonly=readonly,
                                       crawl_running=crawl_running, notes=notes)
        return [f"{name} out of sync with posts ({exc}){repair}"]
    return []


@contextmanager
def _stopped_when_a_crawl_starts(conn: sqlite3.Connection,
                                 crawl_running: Callable[[], str | None]) -> Iterator[list[str]]:
    """Interrupt the connection's statement when a crawl starts (looked for every
    CRAWL_POLL_SECONDS), which then waits for our write lock well within its busy timeout;
    the list yielded then names the crawl."""
    due = time.monotonic() + CRAWL_POLL_SECONDS
    started: list[str] = []

    def poll() -> int:
        nonlocal due
        if time.monotonic() < due:
            return 0
        due = time.monotonic() + CRAWL_POLL_SECONDS
        if crawl := crawl_running():
            started.append(crawl)
        return len(started)

    conn.set_progress_handler(poll, 10_000)
    try:
        yield started
    finally:
        conn.set_progress_handler(None, 10_000)


def rebuild_search_indexes(conn: sqlite3.Connection) -> None:
    """Every full-text index made again from the posts' text (inside a write transaction)."""
    for index in search_indexes(conn):
        table = index.table
        if index.only is None:
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
            continue
        # 'rebuild' would index every row of the content, the posts without text for
        # this index too: the posts it holds, as its triggers put them there.
        columns = ", ".join(index.columns)
        conn.execute(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
        conn.execute(f"INSERT INTO {table}(rowid, {columns}) SELECT id, {columns} "
                     f"FROM {index.content} WHERE {index.only}")


def refresh_search_stats(conn: sqlite3.Connection, path: Path,
                         transaction: Callable[[], AbstractContextManager[Any]], *,
                         min_posts: int) -> bool:
    """Recompute or extend the search statistics of the archive at `path` on `conn`, outside
    any open transaction, and write them in `transaction()`; True if the whole archive was
    ranked (see archive.store.Archive.refresh_search_stats)."""
    from archive.search.extend import extend_stats
    from archive.search.stats import Stats, compute_stats

    conn.execute("BEGIN")  # one consistent snapshot for every read below
    readers: list[sqlite3.Connection] = []
    try:
        meta = dict(conn.execute("SELECT key, value FROM search_meta").fetchall())
        posts, max_id = conn.execute(
            "SELECT count(*), coalesce(max(id), 0) FROM posts").fetchone()
        stats, full, extended = Stats({}, {}), True, 0
        last_seq = conn.execute(
            "SELECT coalesce(max(seq), 0) FROM search_changed").fetchone()[0]
        if posts >= min_posts:
            readers = _snapshot_readers(path, meta["changes"])
            since = _stats_to_extend(conn, meta, posts)
            if since is None:
                stats = compute_stats(conn, posts, readers)
            else:
                old, changed, earlier, extended = since
                stats = extend_stats(conn, old, meta["posts"], posts,
                                     meta["stats_max_id"] + 1, changed, earlier, readers)
                full = False
    except sqlite3.Error as exc:
        raise archive_error(exc) from exc
    finally:
        if conn.in_transaction:  # an interrupted statement may have ended it already
            conn.execute("COMMIT")
        for reader in readers:
            reader.close()
    with transaction():
        # Changes logged after the snapshot stay for the next refresh.
        conn.execute("DELETE FROM search_changed WHERE seq <= ?", (last_seq,))
        for table in ("search_terms", "search_top", "search_lists"):
            conn.execute(f"DELETE FROM {table}")
        conn.executemany("INSERT INTO search_terms (term, doc) VALUES (?, ?)",
                         stats.terms.items())
        conn.executemany(
            "INSERT INTO search_top (term, position, post_id, rank) VALUES (?, ?, ?, ?)",
            [(unit, position, post_id, rank) for unit, (_, ranked) in stats.lists.items()
             for position, (post_id, rank) in enumerate(ranked)])
        conn.executemany("INSERT INTO search_lists (term, doc) VALUES (?, ?)",
                         [(unit, doc) for unit, (doc, _) in stats.lists.items()])
        conn.executemany("UPDATE search_meta SET value = ? WHERE key = ?", [
            (meta["changes"], "stats_changes"), (posts, "posts"), (max_id, "stats_max_id"),
            (extended, "stats_extended"),
            (posts if full else meta["stats_full_posts"], "stats_full_posts")])
    return full


def _stats_to_extend(conn: sqlite3.Connection, meta: dict[str, int], posts: int,
                     ) -> tuple[Stats, list[int], Iterable[Sequence[Any]] | None, int] | None:
    """The stored statistics, the posts changed since (ids), what the index held for them
    then (rows of post id and FTS columns; None if logged before v8) and how many posts
    were added or changed since everything was last ranked, if since the statistics were
    computed posts were only added or re-indexed, and not too many; None when everything
    must be ranked."""
    from archive.search.stats import Stats

    if meta["stats_changes"] < 0 or meta["stats_full_posts"] <= 0:
        return None
    added = conn.execute("SELECT count(*) FROM posts WHERE id > ?",
                         (meta["stats_max_id"],)).fetchone()[0]
    logged = conn.execute("SELECT count(*) FROM search_changed").fetchone()[0]
    changed = [post_id for (post_id,) in conn.execute(
        "SELECT DISTINCT post_id FROM search_changed WHERE post_id <= ?",
        (meta["stats_max_id"],))]
    # Every index change bumps the counter once and every re-index or removal is logged,
    # so this equality means nothing else happened (no post inserted below the old ids).
    extended = meta["stats_extended"] + added + len(changed)
    if added + logged != meta["changes"] - meta["stats_changes"] \
            or posts != meta["posts"] + added or not added + len(changed) \
            or extended > meta["stats_full_posts"] * STATS_EXTEND_SHARE:
        return None
    lists: dict[str, tuple[int, list[tuple[int, float]]]] = {
        unit: (doc, []) for unit, doc in conn.execute("SELECT term, doc FROM search_lists")}
    for unit, post_id, rank in conn.execute(
            "SELECT term, post_id, rank FROM search_top ORDER BY term, position"):
        if unit not in lists:  # ranked before the archive counted matches (v5)
            return None
        lists[unit][1].append((post_id, rank))
    terms = dict(conn.execute("SELECT term, doc FROM search_terms").fetchall())
    earlier = None
    if not conn.execute("SELECT 1 FROM search_changed WHERE texts = 0 AND post_id <= ?",
                        (meta["stats_max_id"],)).fetchone():
        # A post's first logged change holds what it was when the statistics were computed.
        earlier = conn.execute(
            f"SELECT post_id, {', '.join(schema.FTS_COLUMNS)} FROM search_changed WHERE seq IN "
            "(SELECT min(seq) FROM search_changed WHERE post_id <= ? GROUP BY post_id)",
            (meta["stats_max_id"],))
    return Stats(terms, lists), changed, earlier, extended


def _snapshot_readers(path: Path, changes: int) -> list[sqlite3.Connection]:
    """Further read connections on the snapshot the refresh reads (one per spare core, up to
    STATS_READERS): the same change count means the same indexed posts. A reader that began
    after another write is dropped; the refresh then runs on fewer connections."""
    readers: list[sqlite3.Connection] = []
    for _ in range(min(STATS_READERS, (os.cpu_count() or 1) - 1)):
        try:
            reader = connect(path, readonly=True)
        except sqlite3.Error:
            break
        try:
            reader.execute("BEGIN")
            seen = reader.execute(
                "SELECT value FROM search_meta WHERE key = 'changes'").fetchone()[0]
        except sqlite3.Error:
            seen = None
        if seen != changes:
            reader.close()
            break
        readers.append(reader)
    return readers
