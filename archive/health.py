"""The whole check of an archive that `wixarchive check` prints and `wixarchive.check()` returns:
SQLite integrity, foreign keys, versions and the search index (`Archive.check`), then the raw
captures against their index (archive.fixity: every record of each capture file read in one
pass, each response's payload digest compared, damaged records noted for a crawl to capture
again)."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from archive.words import counted

if TYPE_CHECKING:
    from archive.fixity import Damaged
    from archive.store import Archive

BUSY_PATIENCE = 30.0  # seconds to wait for the write lock to note damaged records


@dataclasses.dataclass
class CheckResult:
    """What a check found: `problems` (empty when healthy), `notes` (states the next crawl
    mends itself: nothing to alert on), and what was checked."""

    db: str
    posts: int | None  # None when the database's pages could not be read
    schema: int
    captures: int | None  # capture records verified; None as posts
    problems: list[str]
    notes: list[str]
    closed_runs: int  # runs left `running` by a process that is gone, closed as interrupted
    repaired: bool  # the search indexes were rebuilt first

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """As `wixarchive check --json` prints it."""
        return {"ok": self.ok, "db": self.db, "posts": self.posts, "schema": self.schema,
                "captures": self.captures, "problems": self.problems, "notes": self.notes,
                "closed_runs": self.closed_runs, "repaired": self.repaired}


def check_archive(archive: Archive, *, repair: bool = False,
                  on_start: Callable[[int], Any] | None = None,
                  progress: Callable[[int], Any] | None = None,
                  read_only_because: str | None = None) -> CheckResult:
    """Check `archive` whole; with `repair`, rebuild its search indexes first. A writable archive
    also gets its dead runs closed and its damaged capture records noted; a read-only one the
    lighter read-only index check, and a note of what it could not record (those runs and
    records, when there are any; always when `read_only_because` says why it was opened
    read-only: a full disk). ArchiveBusy when another process kept it locked; ArchiveError
    when it cannot be checked (repair of a read-only archive). `on_start` and `progress`:
    the capture files to read, and each one read (fixity.verify)."""
    from archive import captures, fixity  # warcio only when checking
    from archive.store import ArchiveError

    writable = not archive.readonly
    if repair:
        if not writable:
            raise ArchiveError(f"{archive.path} is read-only: it cannot be repaired in place")
        archive.rebuild_index()
    closed = 0
    unreadable: list[str] = []
    # Set when a write met a full disk (a crawl stopped by it left the -shm, so the archive
    # opened for writing): what was left unrecorded is noted, as on a read-only archive.
    full_disk: str | None = None
    if writable:
        try:
            closed = archive.close_dead_runs()
        except ArchiveError as exc:
            if not _is_disk_full(exc.__cause__):
                raise
            full_disk = f"the disk holding {archive.path} is full"
        except sqlite3.DatabaseError as exc:  # damaged runs: reported, the rest still checked
            unreadable.append(_unreadable(exc))
    notes: list[str] = []
    problems = archive.check(notes)
    problems += [problem for problem in unreadable if problem not in problems]
    directory = captures.captures_dir(archive.path)
    damaged: list[fixity.Damaged] = []
    records: int | None = None
    posts: int | None = None
    try:
        problems += fixity.verify(archive.conn, directory, notes=notes, damaged=damaged,
                                  on_start=on_start, progress=progress)
        if damaged and writable and full_disk is None:
            try:
                _note_damaged(archive.conn, damaged, notes)
            except sqlite3.DatabaseError as exc:
                if not _is_disk_full(exc):
                    raise
                full_disk = f"the disk holding {archive.path} is full"
        held = captures.sizes(archive.conn, directory)
        records = held.responses + held.revisits
        posts = archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if (problem := _unreadable(exc)) not in problems:  # archive.check() met it too
            problems.append(problem)
    if not writable or full_disk is not None:
        _note_unrecorded(archive, damaged, notes, read_only_because or full_disk,
                         read_only=not writable)
    return CheckResult(db=str(archive.path), posts=posts, schema=archive.schema_version,
                       captures=records, problems=problems,
                       notes=notes, closed_runs=closed, repaired=repair)


def _unreadable(exc: sqlite3.DatabaseError) -> str:
    """The problem a query failing on damaged pages (a restored file beside another file's
    -wal, a failing disk) is: reported, not a traceback. ArchiveBusy raised: the archive was
    locked, not damaged."""
    from archive.store import ArchiveBusy, archive_error

    error = archive_error(exc)
    if isinstance(error, ArchiveBusy):
        raise error from exc
    return f"unreadable: {exc}"


def _is_disk_full(exc: BaseException | None) -> bool:
    return isinstance(exc, sqlite3.Error) \
        and getattr(exc, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_FULL


def _note_unrecorded(archive: Archive, damaged: list[Damaged], notes: list[str],
                     why: str | None, *, read_only: bool = True) -> None:
    """Note what a check of a read-only archive (or of one whose disk filled: `read_only`
    False) found to record and could not: runs left `running` by a process that is gone,
    damaged records not noted yet; and, when `why` says why it was read-only, that the search
    indexes were compared by their number only."""
    from archive import fixity

    unrecorded = []
    try:
        if dead := len(archive.dead_runs()):
            unrecorded.append(f"{counted(dead, 'crawl run')} left `running` by a process that "
                              "is gone (not closed as interrupted)")
        if unnoted := len(fixity.not_noted(archive.conn, damaged)):
            unrecorded.append(f"{counted(unnoted, 'damaged capture record')} (not noted for the "
                              "next crawl to capture again)")
    except sqlite3.DatabaseError:  # unreadable pages: a problem reported already
        pass
    if not unrecorded and why is None:
        return
    if not read_only:
        checked = why or "writing failed"
    else:
        checked = f"checked read-only: {why or 'the archive was opened read-only'}"
        if why is not None:
            checked += "; the search indexes compared with the posts by their number only"
    if unrecorded:
        checked += f"; not recorded: {' and '.join(unrecorded)}"
    notes.append(checked + "; check again once it can be written")


def _note_damaged(conn: sqlite3.Connection, damaged: list[Damaged], notes: list[str]) -> None:
    """Note the damaged records in the archive, for the next crawl to capture them again."""
    from archive import captures, fixity

    with captures.immediate_when_free(conn, BUSY_PATIENCE) as began:
        if not began:
            notes.append("the damaged records could not be noted in the archive (a crawl kept "
                         "it busy): run `check` again before the crawl that captures them again")
            return
        fixity.note_damaged(conn, damaged)
