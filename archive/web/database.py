"""The archive as Datasette sees it under `wixarchive serve`: every connection read-only.

Datasette opens a file database's read connections with `mode=ro`, but its write connection
(canned write queries, plugins that write) read-write. Here the write connection is `mode=ro`
too, so no request can change the file, whatever is enabled; the plugin's `PRAGMA query_only`
covers `datasette archive.db` run directly.

Not `immutable=1` (Datasette's --immutable): a crawl or the scheduler may write the archive
while it is served, and SQLite returns wrong results or "database disk image is malformed" from
an immutable file that changes; Datasette would also hash the whole file at startup. Except on
read-only media (archive.store.on_read_only_media: a read-only mount, a folder not writable),
where SQLite cannot create the -shm file a WAL archive's readers need, and every page answered
500 ("unable to open database file"): there the connections are opened as the other commands
open such an archive (archive.store.read_only_uri: immutable, unless its -wal and -shm are both
there to read it through), with no hashing by Datasette.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from datasette.database import Database

from archive.store import on_read_only_media, read_only_uri


class ReadOnlyDatabase(Database):
    def connect(self, write: bool = False) -> sqlite3.Connection:
        if not on_read_only_media(Path(self.path)):
            return super().connect(write=False)
        conn = sqlite3.connect(read_only_uri(Path(self.path)), uri=True, check_same_thread=False)
        self._all_file_connections.append(conn)  # closed with the others by Database.close
        return conn


def make_read_only(datasette: Any) -> None:
    """Swap each file database of `datasette` for a ReadOnlyDatabase of the same name and route."""
    for name, db in list(datasette.databases.items()):
        if db.path and not db.is_memory and not isinstance(db, ReadOnlyDatabase):
            datasette.remove_database(name)
            datasette.add_database(ReadOnlyDatabase(datasette, path=db.path), name=name,
                                   route=db.route)
