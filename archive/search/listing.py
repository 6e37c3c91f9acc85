"""A search with no words but filters: the posts passing them, newest first (`wixarchive search
--author Jürgen` lists Jürgen's posts). Nothing is ranked: each hit's rank is 0 and its snippet
the beginning of its text, unmarked."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from archive.search.query import Filter, row_conditions

SNIPPET_CHARACTERS = 160


def newest(conn: sqlite3.Connection, filters: Sequence[Filter], limit: int, offset: int,
           ) -> list[tuple[int, float]]:
    """(post id, 0.0) of the posts passing `filters`, newest first (undated last), by id."""
    where, params = row_conditions(filters)
    sql = "SELECT p.id, 0.0 FROM posts p" + "".join(
        f" {'WHERE' if n == 0 else 'AND'} {condition}" for n, condition in enumerate(where))
    sql += " ORDER BY p.published IS NULL, p.published DESC, p.id DESC LIMIT ? OFFSET ?"
    return [tuple(row) for row in conn.execute(sql, [*params, limit, offset])]


def beginnings(conn: sqlite3.Connection, ids: list[int]) -> dict[int, str]:
    """The first words of each post's text, as a snippet without highlights."""
    marks = ",".join("?" * len(ids))
    found = {}
    for post_id, start in conn.execute(
            f"SELECT id, substr(body, 1, ?) FROM posts WHERE id IN ({marks})",
            [SNIPPET_CHARACTERS + 1, *ids]):
        text = " ".join((start or "").split())
        if len(text) > SNIPPET_CHARACTERS:
            text = text[:SNIPPET_CHARACTERS].rsplit(" ", 1)[0] + "…"
        found[post_id] = text
    return found
