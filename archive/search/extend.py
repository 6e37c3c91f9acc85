"""Extending the search statistics with the posts added or changed since they were computed, at
a cost that follows what changed rather than the archive's size (see extend_stats)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from archive.schema import FTS_COLUMNS, FTS_TABLE, twin_fts_ddl
from archive.search.stats import (
    Stats,
    bm25_idf,
    count_matches,
    list_depth,
    on_connections,
    unit_match,
)


def extend_stats(conn: sqlite3.Connection, old: Stats, posts_before: int, posts_now: int,
                 first_new_id: int, changed: Sequence[int] = (),
                 earlier: Iterable[Sequence[Any]] | None = None,
                 helpers: Sequence[sqlite3.Connection] = ()) -> Stats:
    """The statistics once posts with ids from `first_new_id` on were added and the `changed`
    posts re-indexed, and nothing else: each list merged with those posts' ranks now, without
    ranking the others again. `earlier` holds what the index held for the changed posts when
    the statistics were computed (rows of post id and FTS columns), None when that is unknown.

    A listed post's bm25 for one unit changes with other posts only through the unit's idf,
    the same factor for every post (so its old rank is rescaled), and the average post length,
    which a few percent of the posts barely move: Archive.refresh_search_stats ranks everything
    again once STATS_EXTEND_SHARE of the archive was added or changed since.

    The added and changed posts are ranked, and the units' matches counted, in an index of
    their own (see _RecentIndex), not in the archive's: there FTS5's bm25 walks a unit's every
    match to count them (its idf) before it ranks one post, which for ~12,000 units at 1M posts
    took a minute however few posts were added.
    """
    import tempfile

    connections = [conn, *helpers]
    changed_ids = set(changed)
    with tempfile.TemporaryDirectory(prefix="wixarchive-") as directory:
        recent = _RecentIndex.build(conn, first_new_id, changed_ids, earlier, directory,
                                    len(connections))
        on = dict(zip(map(id, connections), recent.connections, strict=True))

        def doc_now(c: sqlite3.Connection, unit: str, doc: int, matching: int) -> int:
            gained = recent.gained(on[id(c)], unit, matching)
            return count_matches(c, unit) if gained is None else doc + gained

        def extend(c: sqlite3.Connection, unit: str) -> tuple[int, list[tuple[int, float]]]:
            doc, ranked = old.lists[unit]
            fresh = recent.ranks(on[id(c)], unit)
            now = doc_now(c, unit, doc, len(fresh))
            idf = bm25_idf(posts_now, now)
            fresh = [(post_id, rank * idf) for post_id, rank in fresh]
            scale = idf / bm25_idf(posts_before, doc)
            merged = [(post_id, rank * scale) for post_id, rank in ranked
                      if post_id not in changed_ids]
            if ranked and len(ranked) < doc:  # a cut list: posts ranked after its end are unknown
                last = ranked[-1][1] * scale
                fresh = [item for item in fresh if item[1] <= last]
            kept = list_depth(now, posts_now)
            return now, sorted(merged + fresh, key=lambda item: item[1])[:kept]

        try:
            lists = on_connections(list(old.lists), connections, extend)
            terms: dict[str, int] = {}
            for term, doc in old.terms.items():
                if term in lists:
                    doc = lists[term][0]
                else:
                    doc = doc_now(conn, term, doc, recent.count(on[id(conn)], term))
                if doc * 2 > posts_now:
                    terms[term] = doc
        finally:
            recent.close()
    return Stats(terms, lists)


class _RecentIndex:
    """The posts added or changed since the statistics, indexed in a scratch file as the archive
    indexes them and padded with empty posts to the archive's average post length: their bm25
    ranks there are the archive's but for the idf (one factor per unit, known from the match
    counts) and for rounding the padding to whole tokens (~1e-7 relative for 10,000 posts).
    Beside them, the changed posts as they were, to count the posts a unit no longer matches."""

    NOW, BEFORE = "recent_posts", "earlier_posts"
    PAD = "0"  # padding rows hold this token only; they have ids below 1, no post's

    def __init__(self, connections: list[sqlite3.Connection], rows: int,
                 earlier_known: bool) -> None:
        self.connections = connections
        self.rows = rows
        self.earlier_known = earlier_known

    @classmethod
    def build(cls, conn: sqlite3.Connection, first_new_id: int, changed: set[int],
              earlier: Iterable[Sequence[Any]] | None, directory: str,
              connections: int) -> _RecentIndex:
        import math

        columns = ", ".join(FTS_COLUMNS)
        marks = ", ".join("?" * (len(FTS_COLUMNS) + 1))
        path = f"{directory}/recent.db"
        scratch = sqlite3.connect(path, isolation_level=None)
        scratch.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to recover
        scratch.execute("PRAGMA synchronous = OFF")
        scratch.executescript(twin_fts_ddl(cls.NOW) + twin_fts_ddl(cls.BEFORE))
        scratch.execute("BEGIN")
        now = conn.execute(f"SELECT id, {columns} FROM posts WHERE id >= ? OR id IN "
                           "(SELECT value FROM json_each(?))",
                           (first_new_id, json.dumps(sorted(changed))))
        scratch.executemany(f"INSERT INTO {cls.NOW} (rowid, {columns}) VALUES ({marks})", now)
        if earlier is not None:
            scratch.executemany(
                f"INSERT INTO {cls.BEFORE} (rowid, {columns}) VALUES ({marks})", earlier)
        scratch.execute("COMMIT")  # which writes the totals read next
        rows, tokens = _index_totals(scratch, cls.NOW)
        archive_rows, archive_tokens = _index_totals(conn, FTS_TABLE)
        average = archive_tokens / archive_rows
        padded = max(rows + 1, math.ceil(tokens / average))
        padding, extra = round(average * padded) - tokens, padded - rows
        scratch.execute("BEGIN")
        scratch.executemany(
            f"INSERT INTO {cls.NOW} (rowid, body) VALUES (?, ?)",
            ((-n, " ".join([cls.PAD] * (padding // extra + (n < padding % extra))))
             for n in range(extra)))
        scratch.execute("COMMIT")
        scratch.close()
        return cls([sqlite3.connect(path, check_same_thread=False) for _ in range(connections)],
                   padded, earlier is not None or not changed)

    def ranks(self, scratch: sqlite3.Connection, unit: str) -> list[tuple[int, float]]:
        """The unit's matches among these posts as (post id, bm25 rank / idf)."""
        matches = scratch.execute(f"SELECT rowid, rank FROM {self.NOW} WHERE {self.NOW} "
                                  "MATCH ?", (unit_match(unit),)).fetchall()
        idf = bm25_idf(self.rows, len(matches))  # what bm25 used here: padding rows count too
        return [(rowid, rank / idf) for rowid, rank in matches if rowid > 0]

    def count(self, scratch: sqlite3.Connection, unit: str) -> int:
        """How many of these posts match the unit."""
        return scratch.execute(f"SELECT count(*) FROM {self.NOW} WHERE {self.NOW} MATCH ? "
                               "AND rowid > 0", (unit_match(unit),)).fetchone()[0]

    def gained(self, scratch: sqlite3.Connection, unit: str, matching: int) -> int | None:
        """How many more posts match the unit than at the statistics, given that `matching`
        of these posts do; None when the changed posts' earlier texts are unknown."""
        if not self.earlier_known:
            return None
        return matching - scratch.execute(
            f"SELECT count(*) FROM {self.BEFORE} WHERE {self.BEFORE} MATCH ?",
            (unit_match(unit),)).fetchone()[0]

    def close(self) -> None:
        for scratch in self.connections:
            scratch.close()


def _index_totals(conn: sqlite3.Connection, table: str) -> tuple[int, int]:
    """The rows of an FTS5 index and their tokens in all columns: bm25's average post length,
    read from the index's "averages" record (row 1 of its data table; SQLite varints)."""
    block = conn.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()
    values, position = [], 0
    while block and position < len(block[0]):
        value = 0
        for step in range(9):
            byte = block[0][position]
            position += 1
            if step == 8:  # the ninth byte of a varint carries 8 bits
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return (values[0], sum(values[1:])) if values else (0, 0)

