"""The archive as Datasette sees it under `wixarchive serve`: every connection read-only.

Datasette opens a file database's read connections with `mode=ro`, but its write connection
(canned write queries, plugins that write) read-write. Here the write connection is `mode=ro`
too, so no request can change the file, whatever is enabled; the plugin's `PRAGMA query_only`
covers `datasette archive.db` run directly.

Not `immutable=1` (Datasette's --immutable): a crawl or the scheduler may write the archive
while it is served, and SQLite returns wrong results or "database disk image is malformed" from
an immutable file that changes; Datasette would also hash the whole file at startup.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette.database import Database


class ReadOnlyDatabase(Database):
    def connect(self, write: bool = False) -> sqlite3.Connection:
        return super().connect(write=False)


def make_read_only(datasette: Any) -> None:
    """Swap each file database of `datasette` for a ReadOnlyDatabase of the same name and route."""
    for name, db in list(datasette.databases.items()):
        if db.path and not db.is_memory and not isinstance(db, ReadOnlyDatabase):
            datasette.remove_database(name)
            datasette.add_database(ReadOnlyDatabase(datasette, path=db.path), name=name,
                                   route=db.route)
