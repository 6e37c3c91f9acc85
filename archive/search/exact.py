"""Exact ranking: the posts matching a query, ranked by FTS5's bm25 with the column weights of
archive.schema (a title match counts more than a body match), filters applied while ranking.

Exact bm25 has to score every matching post, which is what makes a word found in many posts slow
on a large archive (archive.search.topk avoids it when it can). Filtered queries score only the
matches that pass the filters (see top_exact), and with a tag or category filter only the posts
holding its name, when that ranks exactly (see _top_holding).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from archive.schema import FTS_COLUMNS, FTS_TABLE, FTS_WEIGHTS
from archive.search import casefold
from archive.search.marks import SCRIPT
from archive.search.query import TOKEN, Filter, fold, posts_join, row_conditions
from archive.search.unmarked import holds_marks

# Exact ranking sorts on `+rank`, which SQLite's sorter does keeping only the best LIMIT rows:
# FTS5 consumes a plain `ORDER BY rank` itself, scoring and sorting every match first (1.4-1.9x
# slower at 1M posts) and before any filter is checked, so `+rank` also scores only the matches
# that pass. Each filter is checked per match either on the post's row (a lookup, ~1.5 us a
# match on a large archive) or, when an index yields its posts and they are fewer than SET_SHARE
# times the matches, against that set of post ids (~0.3 us a post to collect it, a fraction of
# that per match to check). The counts deciding this stop early, so they cost little.
JOIN_MATCHES = 2_000  # below this many matches, row lookups cost too little to plan around
MATCH_PROBE = 10_000  # matches counted at first to plan a filtered query (~2 ms)
SET_SHARE = 4


def _count(conn: sqlite3.Connection, sql: str, params: Sequence[Any], cap: int) -> int:
    """How many rows `sql` yields, counting no further than `cap`."""
    return conn.execute(f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, cap]).fetchone()[0]


def _set_filters(conn: sqlite3.Connection, match: str, filters: Sequence[Filter]) -> list[Filter]:
    """The filters to check against their set of post ids rather than each match's row."""
    indexed = [f for f in filters if f.ids]
    if not indexed:
        return []
    count_matches = f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
    probe = MATCH_PROBE
    matches = _count(conn, count_matches, [match], probe)
    if matches < JOIN_MATCHES:
        return []
    chosen = []
    for f in indexed:
        size = _count(conn, f.ids, f.params, SET_SHARE * matches)
        while size >= SET_SHARE * matches and matches == probe:
            # Maybe more matches than counted so far: count on (a fraction of checking rows).
            probe *= 10
            matches = _count(conn, count_matches, [match], probe)
            size = _count(conn, f.ids, f.params, SET_SHARE * matches)
        if size < SET_SHARE * matches:
            chosen.append(f)
    return chosen


def top_exact(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
               offset: int) -> list[tuple[int, float]]:
    if not filters:
        return [tuple(row) for row in conn.execute(
            f"SELECT rowid, rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? ORDER BY +rank "
            "LIMIT ? OFFSET ?", (match, limit, offset))]
    held = _top_holding(conn, match, filters, limit, offset)
    if held is not None:
        return held
    sql, params = _filtered_matches(conn, match, filters)
    return [tuple(row) for row in conn.execute(
        f"SELECT f.rowid, f.rank{sql} ORDER BY +f.rank LIMIT ? OFFSET ?",
        [*params, limit, offset])]


def count_exact(conn: sqlite3.Connection, match: str, filters: Sequence[Filter]) -> int:
    """How many posts top_exact ranks when paged to the end, without ranking them: bm25 reads
    every match's column sizes and the sort keeps them all (767 ms for a word in each of
    70,000 posts), the count alone walks the index (4 ms)."""
    if not filters:
        return conn.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?",
                            (match,)).fetchone()[0]
    sql, params = _filtered_matches(conn, match, filters)
    return conn.execute(f"SELECT count(*){sql}", params).fetchone()[0]


def _filtered_matches(conn: sqlite3.Connection, match: str, filters: Sequence[Filter]
                      ) -> tuple[str, list[Any]]:
    """The FROM and WHERE clauses (index alias `f`) of the matches passing `filters`, and their
    parameters."""
    sets = _set_filters(conn, match, filters)
    rows = [f for f in filters if f not in sets]
    # CROSS JOIN keeps the index as the outer loop: filters are checked per match, never the
    # other way round (an FTS lookup per post of a site would recompute the idf each time).
    where, row_params = row_conditions(rows, "f.rowid")
    sql = f" FROM {FTS_TABLE} f" + posts_join(rows, "f.rowid")
    sql += f" WHERE {FTS_TABLE} MATCH ?"
    sql += "".join(f" AND +f.rowid IN ({f.ids})" for f in sets)
    sql += "".join(f" AND {condition}" for condition in where)
    return sql, [match, *(p for f in sets for p in f.params), *row_params]


_PHRASES = re.compile(r'(?:\s*"(?:[^"]|"")*")+\s*')  # plain words, as quoted writes them
_PHRASE = re.compile(r'"(?:[^"]|"")*"')


def _top_holding(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
                 offset: int) -> list[tuple[int, float]] | None:
    """Exact top-k of plain words filtered by a tag or category, from the posts that hold the
    name in that index column, which FTS5 finds by skipping through both doclists rather than
    walking every match of the words; None when that does not apply.

    Those posts match one more phrase, the name, which bm25 scores too: it scores nothing with
    that column's weight at 0, and the words then score as they do alone, to the bit, in every
    post where none of them is in that column. So this applies when no post with the name has
    them there (a query for a tag's own name ranks exactly as usual), and when the name's words
    are mostly in that column (bm25 counts the posts holding the name in a walk of its words'
    posts, which would cost more than it saves)."""
    held = next((f for f in filters if f.held), None)
    if held is None or not _PHRASES.fullmatch(match):
        return None
    column, name = held.held
    if SCRIPT.search(name) and holds_marks(conn):
        return None  # a post's name with vowel marks is not held without them in this index
    words = TOKEN.findall(fold(name[1:-1]))
    docs = [conn.execute(f"SELECT doc FROM {FTS_TABLE}_vocab WHERE term = ?", (word,)).fetchone()
            for word in words]
    if not words or None in docs or casefold.word_phrases(conn, [name[1:-1]]):
        return None  # not tokenized as the index did, or held spelled otherwise too (Strasse)
    fewest = min(doc for (doc,) in docs)  # posts holding the name's rarest word anywhere
    enough = -(-fewest // SET_SHARE)
    if _count(conn, held.ids, held.params, enough) < enough:
        return None
    phrases = " OR ".join(_PHRASE.findall(match))
    if conn.execute(f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT 1",
                    (f"{column}:({phrases}) AND {column}:{name}",)).fetchone():
        return None
    weights = ", ".join("0.0" if c == column else str(w)
                        for c, w in zip(FTS_COLUMNS, FTS_WEIGHTS, strict=True))
    where, params = row_conditions(filters, "f.rowid")
    return [tuple(row) for row in conn.execute(
        f"SELECT f.rowid, bm25({FTS_TABLE}, {weights}) AS score FROM {FTS_TABLE} f"
        + posts_join(filters, "f.rowid") + f" WHERE {FTS_TABLE} MATCH ?"
        + "".join(f" AND {w}" for w in where) + " ORDER BY +score LIMIT ? OFFSET ?",
        [f"({match}) AND {column}:{name}", *params, limit, offset])]

