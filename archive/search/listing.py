"""A search with no words but filters: the posts passing them, newest first (`wixarchive search
--author Jürgen` lists Jürgen's posts). Nothing is ranked: each hit's rank is 0 and its snippet
the beginning of its text, unmarked."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from archive.search.query import Filter, row_conditions

SNIPPET_CHARACTERS = 160


def select_passing(columns: str, filters: Sequence[Filter]) -> tuple[str, list[Any]]:
    """`SELECT columns FROM posts p` of the posts passing `filters`, and its parameters."""
    where, params = row_conditions(filters)
    return f"SELECT {columns} FROM posts p" + "".join(
        f" {'WHERE' if n == 0 else 'AND'} {condition}" for n, condition in enumerate(where)
    ), params


def newest(conn: sqlite3.Connection, filters: Sequence[Filter], limit: int, offset: int,
           ) -> list[int]:
    """The ids of the posts passing `filters`, newest first (undated last), by id."""
    sql, params = select_passing("p.id", filters)
    # SQLite sorts NULL first ascending, so last descending: the posts_published index walked
    # backwards yields this order with no sort (`published IS NULL` first made it sort them all).
    sql += " ORDER BY p.published DESC, p.id DESC LIMIT ? OFFSET ?"
    return [post_id for (post_id,) in conn.execute(sql, [*params, limit, offset])]


def passing(conn: sqlite3.Connection, filters: Sequence[Filter]) -> int:
    """How many posts pass `filters`."""
    sql, params = select_passing("count(*)", filters)
    return conn.execute(sql, params).fetchone()[0]


def beginnings(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """The first words of each post's text, as a snippet without highlights: whitespace runs
    (paragraph breaks) read as one space, cut at a word boundary, "…" when the text goes on."""
    marks = ",".join("?" * len(ids))
    # Twice the snippet's length, so that collapsing blank lines still leaves enough text.
    fetched = 2 * SNIPPET_CHARACTERS
    found = {}
    for post_id, start, goes_on in conn.execute(
            f"SELECT id, substr(body, 1, ?), length(body) > ? FROM posts WHERE id IN ({marks})",
            [fetched, fetched, *ids]):
        found[post_id] = _cut(" ".join((start or "").split()), bool(goes_on))
    return found


def _cut(text: str, goes_on: bool) -> str:
    """`text` up to SNIPPET_CHARACTERS, ending on a whole word, with "…" when anything is cut."""
    if len(text) <= SNIPPET_CHARACTERS and not goes_on:
        return text
    # One character more: a word ending exactly at the limit is kept whole. Text without a
    # space late enough (Chinese or Japanese, a long URL) is cut at the limit instead.
    space = text.rfind(" ", 0, SNIPPET_CHARACTERS + 1)
    head = text[:space] if space > SNIPPET_CHARACTERS // 2 else text[:SNIPPET_CHARACTERS]
    return head.rstrip(" ,;:") + "…"
