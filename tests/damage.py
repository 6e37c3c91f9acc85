"""Damage to an archive's file as a failing disk or a bad copy leaves it, for the tests of what
each command and page then says."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def overwrite_pages(path: Path, tables: tuple[str, ...]) -> None:
    """Every page of the `tables` (tables or indexes, by name) overwritten with 0xff bytes, the
    rest of the file as it was (its -wal checkpointed into it first)."""
    _overwrite(path, "SELECT pageno FROM dbstat WHERE name IN ({})", tables)


def overwrite_root_pages(path: Path, tables: tuple[str, ...]) -> None:
    """The root page of each of the `tables` and of its indexes overwritten so, as a disk error
    or a restored file read through another file's -wal leaves them: the schema still reads,
    so the archive opens, and the damage is met by the queries that read those tables."""
    _overwrite(path, "SELECT rootpage FROM sqlite_master WHERE tbl_name IN ({}) AND rootpage > 0",
               tables)


def _overwrite(path: Path, pages_query: str, tables: tuple[str, ...]) -> None:
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [n for (n,) in conn.execute(pages_query.format(", ".join("?" * len(tables))), tables)]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * page_size:page * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))
