"""`IN (...)` lookups over many values, asked a bounded number at a time (SQLite limits the
parameters of one statement). Nothing here imports the rest of the project."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

CHUNK = 500  # bound parameters per lookup


def in_chunks(conn: sqlite3.Connection, sql: str, values: Sequence[str]) -> list[tuple]:
    """The rows of `sql`, whose `{marks}` stands for `values`, asked 500 values at a time."""
    rows: list[tuple] = []
    for start in range(0, len(values), CHUNK):
        chunk = list(values[start:start + CHUNK])
        rows += conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk).fetchall()
    return rows
