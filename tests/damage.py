"""Damage to an archive's file as a failing disk or a bad copy leaves it, for the tests of what
each command and page then says."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def overwrite_pages(path: Path, tables: tuple[str, ...]) -> None:
    """Every page of the `tables` (tables or indexes, by name) overwritten with 0xff bytes, the
    rest of the file as it was (its -wal checkpointed into it first)."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [n for (n,) in conn.execute(
        f"SELECT pageno FROM dbstat WHERE name IN ({','.join('?' * len(tables))})", tables)]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    for page in pages:
        data[(page - 1) * page_size:page * page_size] = b"\xff" * page_size
    path.write_bytes(bytes(data))
