"""The archive file opened: what is refused before SQLite reads it, the connection (WAL mode,
busy timeout), the schema created or brought up to date, and the errors a user is shown.

archive.store.Archive opens its connection here (open_connection) and re-exports the names
callers use (ArchiveError and its kinds, BUSY_TIMEOUT_MS, the read-only helpers). Only the
standard library and light archive modules (schema, upgrades, versions) are imported: the
search command opens archives through here and must start fast.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from archive import schema, upgrades
from archive.environment import busy_timeout_ms
from archive.versions import register_sql_functions

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_IOERR = 10  # the primary result code of every disk I/O error
# Free space under which a disk counts as full: less than the -shm file SQLite creates (32 KiB).
FULL_BELOW_BYTES = 64 * 1024


# How long a writer waits for another one: 30 s, or $WIXARCHIVE_BUSY_TIMEOUT_MS (a slow disk, a
# long `optimize` beside a crawl). A wrong value ("2s", "-1") was silently 30 s: it is kept as
# BUSY_TIMEOUT_PROBLEM, and opening an archive raises it (ArchiveSettingError), not this import.
BUSY_TIMEOUT_MS, BUSY_TIMEOUT_PROBLEM = busy_timeout_ms()
# How long a write worth no long wait waits for another writer (Archive.wait_briefly): each
# later write of a crawl run one of whose writes waited the whole busy timeout in vain (its
# total wait stays near the busy timeout), an optional refresh of the search statistics.
BUSY_RETRY_MS = BUSY_TIMEOUT_MS // 10

T = TypeVar("T")


class ArchiveError(Exception):
    """A problem with the archive file, phrased for the user (one line)."""


class ArchiveSettingError(ArchiveError):
    """An environment variable the archive reads ($WIXARCHIVE_BUSY_TIMEOUT_MS) holds a value it
    cannot take; the message names it and what it takes."""


class ArchiveBusy(ArchiveError):
    """Another process held the archive's write lock past the busy timeout: nothing is wrong
    with the archive, the same command may succeed later."""


class ArchiveDiskFull(ArchiveError):
    """The disk holding the archive is full, so SQLite could not create the -shm file beside it
    that reading a WAL archive needs (or write there): free space, and the same command works."""


class ArchiveOutdated(ArchiveError):
    """The archive uses an older schema and was opened read-only (and is older than
    schema.READABLE_FROM) or with upgrade=False, so it was not upgraded."""


def is_busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def archive_error(exc: sqlite3.Error) -> ArchiveError:
    """The ArchiveError for an SQLite error: ArchiveBusy when the archive was only busy."""
    return (ArchiveBusy if is_busy(exc) else ArchiveError)(_describe(exc))


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if is_busy(exc):
        return "the archive is busy: another process kept it locked for too long; try again"
    if "malformed" in text or "not a database" in text:
        return f"the archive is damaged ({text}); `wixarchive check` tells more"
    if "readonly" in text:
        return "the archive is read-only (file or directory permissions)"
    return f"archive error: {text}"


def is_writable(path: Path) -> bool:
    """Writable by us and not marked read-only: root ignores permissions, but a file whose owner
    removed every write bit is meant to be left alone, so we honour the bits too."""
    try:
        return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)
    except OSError:
        return False


def _check_file(path: Path, *, readonly: bool, create: bool) -> bool:
    """Refuse what cannot be an archive before SQLite touches it; True if the file exists.

    The file itself is never opened here: closing any descriptor of a file drops every POSIX
    lock this process holds on it, those of its other SQLite connections included (SQLite's
    "How To Corrupt", 2.2). A crawl process opens the archive several times while its
    connections hold locks; with them gone, the archive worker's writes and this process's
    overlapped, and page 1 of the archive was overwritten (seen in tests/test_media.py).
    Whether it is an SQLite file at all is SQLite's first read (see _unreadable)."""
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not an archive file")
    if not path.exists():
        if readonly or not create:
            raise ArchiveError(f"no archive at {path}")
        if not path.parent.is_dir():
            raise ArchiveError(f"cannot create {path}: directory {path.parent} does not exist")
        return False
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror}") from exc
    if size == 0 and (readonly or not create):
        raise ArchiveError(f"{path} is not a wixarchive archive (not an SQLite database)")
    if not readonly and not is_writable(path):
        raise ArchiveError(f"{path} is read-only ({_why_read_only(path)}); it can be searched "
                           "but not written")
    return True


def _why_read_only(path: Path) -> str:
    """Why `path` cannot be written, for an administrator to act on: a read-only mount, a file
    without write permission, or another user's file. "read-only" alone sent them looking for
    a mount when the archive belonged to the user the crawls run as."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "on a read-only file system"
        info = path.stat()
    except OSError as exc:
        return exc.strerror or str(exc)
    if not info.st_mode & 0o222:
        return f"its mode {info.st_mode & 0o777:o} lets no one write it"
    try:
        import pwd

        owner = f"user {pwd.getpwuid(info.st_uid).pw_name}"
    except (ImportError, KeyError):
        owner = f"uid {info.st_uid}"
    return f"owned by {owner}, mode {info.st_mode & 0o777:o}: run as that user to write it"


def _refuse_foreign_captures(path: Path, importing: Iterable[Path]) -> None:
    """A new archive indexes, as a crawl's own, the unindexed WARC files its captures folder
    holds (archive.captures.recover: what a killed crawl left): a deleted archive's left there
    would become its captures, and go into its WACZ exports. Refused, before anything is
    created, unless an import reads them all."""
    from archive.captures import SUFFIX, captures_dir

    directory = captures_dir(path)
    imported = {file.resolve() for file in importing}
    foreign = [file for file in directory.glob(f"*{SUFFIX}") if file.resolve() not in imported]
    if foreign:
        files = f"{len(foreign)} WARC file{'s' if len(foreign) > 1 else ''}"
        raise ArchiveError(
            f"{directory}/ holds {files} of another archive: move it away, or import them "
            f"with wixarchive import {directory}/*{SUFFIX} --db {path}")


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> ArchiveError:
    """The error for an archive SQLite could not read: not an SQLite file at all, or damaged.
    Opening the file here is safe: no connection of this process can be using a file SQLite
    cannot read."""
    header = b""
    with contextlib.suppress(OSError), path.open("rb") as handle:
        header = handle.read(len(SQLITE_MAGIC))
    if header != SQLITE_MAGIC:
        return ArchiveError(f"{path} is not a wixarchive archive (not an SQLite database)")
    if exc.sqlite_errorcode & 0xFF == SQLITE_IOERR and disk_full(path.parent):
        # Said "not a readable archive (disk I/O error)", by every command, reading ones too:
        # an administrator took a full disk for a damaged archive.
        return ArchiveDiskFull(
            f"the disk holding {path} is full: SQLite cannot create {path.name}-shm beside it "
            f"({exc}); free space on that disk, then run again")
    return ArchiveError(f"{path} is not a readable archive ({exc})")


def disk_full(folder: Path) -> bool:
    """Whether the file system holding `folder` has (next to) no space left for this user."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < FULL_BELOW_BYTES


def _set_up(conn: sqlite3.Connection, *, upgrade: bool) -> int | None:
    """WAL mode, and the schema brought up to date (re-read under the write lock: another
    process may have created or upgraded the archive meanwhile). The version this upgraded
    from (0: the archive was created), None when it had nothing to do."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    if not upgrade:
        return None
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema.current_version(conn)
        schema.migrate(conn, version)
    except BaseException:
        if conn.in_transaction:  # a statement a Ctrl-C stopped rolled it back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return version if version < schema.SCHEMA_VERSION else None


def _when_free(step: Callable[[], T]) -> T:
    """Run `step`, again every few milliseconds while the archive is locked, for up to the busy
    timeout. Why not SQLite's busy handler alone: processes opening a new archive at once
    (a crawl's sites starting together) all switch it to WAL, which needs the file to
    themselves, and SQLite answers all but one "locked" at once rather than wait, to avoid
    deadlock."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) \
                    or time.monotonic() >= deadline:
                raise
        time.sleep(0.005)


def on_read_only_media(path: Path) -> bool:
    """Whether neither the archive nor its folder can be written (a read-only mount, a folder
    without write permission): SQLite cannot create the -shm file a WAL archive's readers
    share there, so the archive can only be read as an immutable file (read_only_uri)."""
    return not is_writable(path) and not is_writable(path.parent)


def reads_as_immutable(path: Path) -> bool:
    """Whether `path` can only be read as an immutable file, without its -wal: on read-only
    media, unless its -wal and -shm are both there (a filesystem snapshot of an archive in
    use), which SQLite reads it through, read-only (since SQLite 3.22). Read as immutable, an
    archive whose -wal holds commits lacks them: a snapshot showed a post edited in its -wal
    with its old title."""
    return on_read_only_media(path) and not all(
        path.with_name(path.name + end).exists() for end in ("-wal", "-shm"))


def read_only_uri(path: Path, *, immutable: bool = False) -> str:
    """The SQLite URI that opens `path` read-only; immutable when asked or when that is the one
    way to read it (reads_as_immutable), where SQLite takes the file as it is, unlocked (a
    change made by whoever can write it meanwhile is not seen reliably)."""
    escaped = str(path.resolve()).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    immutable = immutable or reads_as_immutable(path)
    return f"file:{escaped}?mode=ro" + ("&immutable=1" if immutable else "")


def connect(path: Path, *, readonly: bool, immutable: bool = False) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(read_only_uri(path, immutable=immutable), uri=True,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    register_sql_functions(conn)  # version_record(): old versions readable in SQL
    return conn


def open_connection(path: Path, *, readonly: bool, create: bool, upgrade: bool,
                    importing: Iterable[Path]) -> sqlite3.Connection:
    """A connection to the archive at `path`, created and upgraded as allowed (see
    archive.store.Archive.open, which documents the arguments)."""
    if BUSY_TIMEOUT_PROBLEM:
        raise ArchiveSettingError(BUSY_TIMEOUT_PROBLEM)
    existed = _check_file(path, readonly=readonly, create=create)
    if not existed:
        _refuse_foreign_captures(path, importing)
    try:
        conn = connect(path, readonly=readonly)
    except sqlite3.Error as exc:
        raise ArchiveError(f"cannot open {path}: {exc}") from exc
    try:
        _prepare(conn, path, readonly=readonly, existed=existed, upgrade=upgrade)
    except ArchiveDiskFull:
        conn.close()
        if not readonly or _wal_holds_commits(path):
            raise
        # Read as the file it is: without a -wal holding commits it is the whole archive, and
        # on a full disk nothing can be writing it. Searching, exporting and backing up (to
        # another disk) are what a full disk calls for.
        conn = connect(path, readonly=True, immutable=True)
        try:
            _prepare(conn, path, readonly=True, existed=True, upgrade=False)
        except BaseException:
            conn.close()
            raise
    except BaseException:
        conn.close()
        raise
    return conn


def _wal_holds_commits(path: Path) -> bool:
    try:
        return path.with_name(path.name + "-wal").stat().st_size > 0
    except OSError:
        return False


def _prepare(conn: sqlite3.Connection, path: Path, *, readonly: bool, existed: bool,
             upgrade: bool) -> None:
    """Refuse a file that is not an archive this version reads; then set the connection up and,
    opened for writing, create or upgrade the archive (saying so on stderr)."""
    try:
        # One statement, so one snapshot: read apart, a version read before another process
        # committed the archive's creation and a table count read after it made a new
        # archive look like someone else's database.
        version, app_id, tables = conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version),"
            " (SELECT application_id FROM pragma_application_id),"
            " (SELECT count(*) FROM sqlite_master)").fetchone()
    except sqlite3.DatabaseError as exc:
        if is_busy(exc):
            # Another process holds a lock that keeps readers out (an exclusive locking mode,
            # a rollback-journal write): the archive is busy, not unreadable.
            raise ArchiveBusy(_describe(exc)) from exc
        raise _unreadable(path, exc) from exc
    if version > schema.SCHEMA_VERSION:
        raise ArchiveError(
            f"{path} was written by a newer wixarchive (schema v{version}; this version reads "
            f"up to v{schema.SCHEMA_VERSION}): use a wixarchive whose `wixarchive --version` "
            f"says archive schema v{version} or later")
    if (version and app_id != schema.APPLICATION_ID) or (not version and tables):
        raise ArchiveError(f"{path} is an SQLite database but not a wixarchive archive")
    if readonly:
        if version < schema.READABLE_FROM:
            raise ArchiveOutdated(
                f"{path} uses an older archive format (v{version}); open it once for writing "
                "to upgrade it")
        return
    if 0 < version < schema.SCHEMA_VERSION:
        if not upgrade:
            raise ArchiveOutdated(f"{path} uses an older archive format (v{version}); it is "
                                  "upgraded when it is next opened for writing")
        if crawl := upgrades.running_crawl(path, conn, version):
            raise ArchiveBusy(
                f"cannot upgrade {path} from schema v{version} to v{schema.SCHEMA_VERSION}: "
                f"a crawl is running on it ({crawl}); run again when it ends")
    try:
        if 0 < version < upgrades.INDEXES_MADE_AGAIN and upgrade:
            posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
            for line in upgrades.before(path, version, posts):
                print(line, file=sys.stderr, flush=True)
        conn.execute("PRAGMA foreign_keys = ON")
        # NORMAL is crash-safe in WAL mode; only the last commits may roll back on power loss.
        conn.execute("PRAGMA synchronous = NORMAL")
        # A larger page cache keeps the index's hot pages in memory during a crawl.
        conn.execute("PRAGMA cache_size = -65536")
        upgraded_from = _when_free(
            lambda: _set_up(conn, upgrade=version < schema.SCHEMA_VERSION))
    except sqlite3.Error as exc:
        what = "create" if not existed else "upgrade"
        failure = ArchiveBusy if is_busy(exc) else ArchiveError
        raise failure(f"cannot {what} {path}: {_describe(exc)}") from exc
    if upgraded_from:  # not 0: creating an archive upgrades nothing
        for line in upgrades.notices(path, upgraded_from):
            print(line, file=sys.stderr)
