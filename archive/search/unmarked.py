"""Searching Hebrew and Arabic words, with or without vowel marks: posts_unmarked, the index of
the posts holding such text without their marks, and beside it the main index for the other
posts (see archive/search/marks.py for why, and how the text is made)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from archive.schema import FTS_TABLE, IN_UNMARKED, MARKED, UNMARKED_TABLE
from archive.search.marks import SCRIPT
from archive.search.query import TOKEN, Filter, posts_join, row_conditions

# What an FTS5 expression holds besides its words: operators, column filters (`title:`,
# `{title body}:`, `-tags:`) and NEAR's distance.
_SYNTAX = re.compile(r"\b(?:AND|OR|NOT|NEAR)\b|\{[^}]*\}\s*:|[A-Za-z_]+\s*:|,\s*\d+\s*\)")


def needed(conn: sqlite3.Connection, match: str) -> bool:
    """Whether the FTS5 expression `match` reads posts_unmarked: it has a Hebrew or Arabic
    letter, and the archive has that index (one from before v19, opened read-only, has not)
    and a post written with marks (a seek in its partial index). Without one, the main index
    holds the same words, and answers as before, fast paths and all."""
    return not match.isascii() and SCRIPT.search(match) is not None and holds_marks(conn)


def holds_marks(conn: sqlite3.Connection) -> bool:
    """Whether the archive has posts_unmarked and a post written with marks: its posts with
    Hebrew or Arabic text are then all in posts_unmarked."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                    (UNMARKED_TABLE,)).fetchone() is None:
        return False
    return conn.execute("SELECT 1 FROM posts WHERE unmarked_index = ? LIMIT 1",
                        (MARKED,)).fetchone() is not None


def script_only(match: str) -> bool:
    """Whether every word of `match` is Hebrew or Arabic: every post it matches then holds one
    of them (FTS5 matches nothing by a NOT alone), so is in posts_unmarked."""
    return all(SCRIPT.search(word) for word in TOKEN.findall(_SYNTAX.sub(" ", match)))


def _matches(match: str, filters: Sequence[Filter], columns: str) -> tuple[str, list[Any]]:
    """The posts matching `match`, `columns` of each (index alias `f`), passing `filters`, as a
    SELECT and its parameters: those of posts_unmarked, and when the expression has other
    words, those of posts_fts that are not in posts_unmarked."""
    where, params = row_conditions(filters, "f.rowid")
    indexes = [(UNMARKED_TABLE, [])]
    if not script_only(match):
        indexes.append((FTS_TABLE, [f"f.rowid NOT IN (SELECT id FROM posts WHERE {IN_UNMARKED})"]))
    selects = [f"SELECT {columns} FROM {table} f" + posts_join(filters, "f.rowid") + " WHERE "
               + " AND ".join([f"{table} MATCH ?", *own, *where]) for table, own in indexes]
    return " UNION ALL ".join(selects), [match, *params] * len(indexes)


def matching(match: str) -> tuple[str, list[Any]]:
    """The ids of the posts matching `match`, each in its index, as a SELECT and its
    parameters (the posts table's search box: archive/web/table_search.py)."""
    return _matches(match, [], "f.rowid")


def top(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
        offset: int) -> list[tuple[int, float]]:
    """(post id, bm25 rank) of the best posts matching `match`, each in its index: a post with
    Hebrew or Arabic text in posts_unmarked, the others in posts_fts."""
    sql, params = _matches(match, filters, "f.rowid, f.rank")
    return [tuple(row) for row in conn.execute(
        f"SELECT * FROM ({sql}) ORDER BY 2, 1 LIMIT ? OFFSET ?", [*params, limit, offset])]


def count(conn: sqlite3.Connection, match: str, filters: Sequence[Filter]) -> int:
    """How many posts `top` ranks when paged to the end, without ranking them."""
    sql, params = _matches(match, filters, "f.rowid")
    return conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]


def indexed_bodies(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str | None]:
    """Of the posts `ids`, those in posts_unmarked: post id -> its body as written when that
    has marks (its snippet's are to be put back), else None."""
    marks = ",".join("?" * len(ids))
    return {post_id: body if unmarked_body is not None else None
            for post_id, body, unmarked_body in conn.execute(
                f"SELECT id, body, unmarked_body FROM posts WHERE id IN ({marks}) "
                f"AND {IN_UNMARKED}", list(ids))}
