"""A backup of an archive while crawls may be writing it: its database, then its captures and
its sites file, under a new name (docs/operations.md, Backing up).

The database is copied with SQLite's online backup API, in one step: one read transaction, so
the copy is the archive as one commit left it, whatever writers do meanwhile (in WAL mode they
are not held up); on read-only media, where SQLite reads a database whose -shm is missing
without its -wal, both files are copied and the -wal checkpointed into the copy. Then the
capture files, which are only ever appended to: copied after the
database, they hold every record its copy indexes (records written since are indexed by the
copy's next crawl or `reextract`, as a killed crawl's are, and a record cut short at the copy's
end is cut off then). Everything is synced to disk and the copy of the database renamed into
place last, so an archive at the destination is a whole backup: one interrupted leaves no
`DEST.db`, only its temporary file.

Reads only: nothing here writes the source archive.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from archive.captures import SUFFIX, captures_dir, unreadable_folder
from archive.schedule.sites import default_path as sites_path
from archive.store import Archive, ArchiveError, archive_error, reads_as_immutable

SQLITE_FULL = 13  # "database or disk is full"
# What only writing can fail with, so what only the copy's disk can cause.
WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class Backup(NamedTuple):
    destination: Path  # the backup's database
    posts: int
    capture_files: int
    capture_bytes: int
    sites_file: Path | None  # the copy of the sites file, if the archive has one


def destination_for(source: Path, dest: Path) -> Path:
    """The backup's database: `dest` itself, or the source's name inside `dest` when it is a
    folder."""
    return dest / source.name if dest.is_dir() else dest


def back_up(source: Path, dest: str | os.PathLike[str]) -> Backup:
    """Back up the archive `source` to the new archive `dest` (a file name, or a folder to put
    it in under its own name: an existing one, or one said to be a folder by a trailing `/`,
    which must exist); ArchiveError, phrased for the user, when it cannot."""
    if isinstance(dest, str) and dest.endswith(("/", os.sep)) and not Path(dest).is_dir():
        # Said to be a folder, one not there (a backup disk not mounted, a typo): the backup
        # was written as a file of that name, `/backup/` becoming the file `/backup`.
        raise ArchiveError(f"no folder {dest}: create it first, or give the backup's file name")
    target = destination_for(source, Path(dest))
    folder = captures_dir(target)
    sites = sites_path(source)  # $WIXARCHIVE_SITES, else beside it
    sites_copy = target.with_suffix(".sites.toml")  # where the copy's commands look
    if target.resolve() == source.resolve():
        raise ArchiveError(f"{target} is the archive itself: back it up to another name")
    if not target.parent.is_dir():
        raise ArchiveError(f"cannot back up to {target}: folder {target.parent} does not exist")
    if why := unreadable_folder(captures_dir(source)):  # listing it would find nothing
        raise ArchiveError(f"cannot back up {source}: {why}")
    with _writing(target):
        return _back_up(source, target, folder, sites, sites_copy)


@contextlib.contextmanager
def _writing(target: Path) -> Iterator[None]:
    """The claim on writing the backup `target`, held for the block: the flock of
    `.NAME.backup` beside it (removed at the end), or ArchiveError naming the backup that
    holds it. Two backups to one name at once each wrote their copy under names of their own;
    the second to rename its captures into place met the first's: `cannot back up …
    .NAME.captures.PID.tmp: Directory not empty`, and its database could replace the first's."""
    claim = target.with_name(f".{target.name}.backup")
    while True:
        try:
            fd = os.open(claim, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise ArchiveError(f"cannot back up to {target}: {claim}: "
                               f"{exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise ArchiveError(f"another backup{who} is writing {target} now: wait for it to "
                               "end, or back up to another name") from None
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(fd).st_ino == claim.stat().st_ino:
                break
        os.close(fd)  # removed by the backup that held it as this one opened it: again
    try:
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # its disk full: a traceback of os.pwrite
            raise ArchiveError(f"cannot back up to {target}: {claim}: "
                               f"{exc.strerror or exc}") from exc
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            claim.unlink()
        os.close(fd)


def _back_up(source: Path, target: Path, folder: Path, sites: Path,
             sites_copy: Path) -> Backup:
    for existing in (target, folder, sites_copy):
        if existing.exists():
            raise ArchiveError(f"{existing} exists: back up to a new name, or remove it first "
                               "(a backup never overwrites one)")
    # Written under temporary names, renamed into place at the end (the database last): a
    # backup killed part way leaves only `.NAME.PID.tmp` entries, and its retry is not refused
    # (unless killed in the instant between the renames: DEST.captures/ left without DEST).
    partial, folder_partial, sites_partial = (
        path.with_name(f".{path.name}.{os.getpid()}.tmp") for path in (target, folder, sites_copy))
    copied: list[Path] = [partial, folder_partial, sites_partial,
                          *(partial.with_name(partial.name + end) for end in ("-wal", "-shm"))]
    try:
        if unread_wal(source):
            posts = _copy_with_wal(source, partial)
        else:
            with Archive.open(source, readonly=True, create=False) as archive:
                posts = archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
                copy = sqlite3.connect(partial)
                try:
                    archive.conn.backup(copy)
                finally:
                    copy.close()
        _synced(partial)
        files = sorted(captures_dir(source).glob(f"*{SUFFIX}"))
        size = 0
        if files:
            folder_partial.mkdir()
            for file in files:
                shutil.copy2(file, folder_partial / file.name)
                size += _synced(folder_partial / file.name)
            _synced(folder_partial)
            os.replace(folder_partial, folder)
            copied.append(folder)
        if sites.is_file():
            shutil.copy2(sites, sites_partial)
            _synced(sites_partial)
            os.replace(sites_partial, sites_copy)
            copied.append(sites_copy)
        os.replace(partial, target)
        copied.append(target)  # whole or not at all: not left without its captures
        _synced(target.parent)  # the renames too: "Backed up" means on disk
    except sqlite3.Error as exc:
        _remove(copied)
        if exc.sqlite_errorcode & 0xFF == SQLITE_FULL:  # the copy's disk: the source is read
            raise ArchiveError(f"cannot back up {source} to {target}: {target.parent}: its "
                               f"disk is full ({exc})") from exc
        error = archive_error(exc)  # ArchiveBusy, exit 75, when only kept busy
        raise type(error)(f"cannot back up {source}: {error}") from exc
    except OSError as exc:
        _remove(copied)
        # A source file this user cannot read, or the copy. A copy's write error names the
        # source first (shutil: filename, then filename2): a full backup disk was said of the
        # archive's capture file, sending the administrator to free the wrong disk.
        where = (target.parent if exc.errno in WRITE_ERRORS else exc.filename) or target
        raise ArchiveError(f"cannot back up {source} to {target}: {where}: "
                           f"{exc.strerror or exc}") from exc
    except BaseException:
        _remove(copied)
        raise
    return Backup(target, posts, len(files), size, sites_copy if sites.is_file() else None)


def unread_wal(source: Path) -> bool:
    """Whether the archive has a -wal holding commits that SQLite cannot read with it: on
    read-only media without its -shm (the database and its -wal copied there, as the backup
    by hand copies them), it reads the archive as an immutable file
    (store.reads_as_immutable), and a copy read that way lacks what was committed since the
    last checkpoint."""
    try:
        wal_size = source.with_name(source.name + "-wal").stat().st_size
    except OSError:  # no -wal: the database file holds every commit
        return False
    return wal_size > 0 and reads_as_immutable(source)


def _copy_with_wal(source: Path, partial: Path) -> int:
    """The database and its -wal copied to `partial` (a folder that can be written), the -wal
    checkpointed into it there (SQLite reads a database through the -wal beside it, by name),
    so the copy holds every commit; the copy's number of posts."""
    wal, shm = (partial.with_name(partial.name + end) for end in ("-wal", "-shm"))
    shutil.copyfile(source, partial)
    shutil.copyfile(source.with_name(source.name + "-wal"), wal)
    conn = sqlite3.connect(partial)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    try:
        with Archive.open(partial, readonly=True, create=False) as archive:  # an archive?
            return int(archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0])
    except ArchiveError as exc:  # said of the archive, not of its temporary copy
        raise type(exc)(str(exc).replace(str(partial), str(source))) from exc
    finally:
        for left in (wal, shm):  # empty: a read-only connection leaves them, unremoved
            left.unlink(missing_ok=True)


def _synced(path: Path) -> int:
    """fsync a file or folder (its entries) to disk; its size. A folder on a file system that
    cannot sync one (EINVAL: a Samba share, many FUSE ones) is left to it, as SQLite leaves it:
    refused, every backup to such a share failed."""
    handle = os.open(path, os.O_RDONLY)
    try:
        try:
            os.fsync(handle)
        except OSError as exc:
            if exc.errno != errno.EINVAL or not stat.S_ISDIR(os.fstat(handle).st_mode):
                raise
        return os.fstat(handle).st_size
    finally:
        os.close(handle)


def _remove(paths: list[Path]) -> None:
    """What an unfinished backup wrote."""
    for path in paths:
        with contextlib.suppress(OSError):  # a temporary name never written: nothing there
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
