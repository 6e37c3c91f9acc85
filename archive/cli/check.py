"""`wixarchive check`: SQLite integrity, foreign keys, versions, the search index, and the raw
captures against their index (archive.fixity: every record of each capture file read in one
pass, each response's payload digest compared, damaged records noted for a crawl to capture
again)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from archive.cli.common import db_option, fail, fail_with, load_archive
from archive.store import ArchiveBusy, ArchiveError, archive_error, is_writable

if TYPE_CHECKING:
    from archive.fixity import Damaged

BUSY_PATIENCE = 30.0  # seconds to wait for the write lock to note damaged records


@click.command("check")
@db_option
@click.option("--repair", is_flag=True, help="Rebuild the search index from the posts.")
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object: {"ok", "db", "posts", "schema", "captures", '
                   '"problems", "closed_runs", "repaired"}; {"ok": false, "db", "error"} when '
                   'the check cannot run (no archive there, say).')
def command(db: Path, repair: bool, as_json: bool) -> None:
    """Check the archive's integrity and that its search index matches the posts.

    Exits with status 1 when a problem is found (with --json too, after the object) or the
    check cannot run (no archive there: with --json, an object with `error`), 75 when the
    archive was busy (another process kept it locked past the busy timeout: nothing is known
    to be wrong; try again), with a one-line error and no JSON object.
    """
    def cannot_check(message: str) -> NoReturn:
        if as_json:  # a monitoring script parsing stdout learns why too
            click.echo(json.dumps({"ok": False, "db": str(db), "error": message},
                                  ensure_ascii=False))
        fail(message)

    # FTS5's full consistency check runs as a write statement (it changes nothing), so open the
    # file for writing when we may; a read-only file gets the lighter read-only check.
    writable = is_writable(db)
    if repair and not writable:
        cannot_check(f"{db} is read-only: it cannot be repaired in place")
    try:
        archive = load_archive(db, readonly=not writable)
    except ArchiveBusy as exc:
        fail_with(exc)
    except ArchiveError as exc:
        cannot_check(str(exc))
    with archive:
        try:
            if repair:
                archive.rebuild_index()
                if not as_json:
                    click.echo("Search index rebuilt.")
            closed = archive.close_dead_runs() if writable else 0
            if closed and not as_json:
                click.echo(f"Closed {closed} crawl run(s) left `running` by a process that is "
                           "gone, as interrupted.")
            problems = archive.check()
        except ArchiveBusy as exc:
            fail_with(exc)
        except ArchiveError as exc:
            cannot_check(str(exc))
        from archive import captures, fixity  # warcio only when checking

        directory = captures.captures_dir(db)
        notes: list[str] = []  # states the next crawl mends itself: no problem to alert on
        damaged: list[fixity.Damaged] = []
        records: int | None = None
        posts: int | None = None
        try:
            problems += fixity.verify(archive.conn, directory, notes=notes, damaged=damaged)
            if damaged and writable:
                _note_damaged(archive.conn, damaged, notes)
            held = captures.sizes(archive.conn, directory)
            records = held.responses + held.revisits
            posts = archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            # Damaged pages (a restored file beside another file's -wal, a failing disk): what
            # cannot be read is a problem to report, not a traceback.
            error = archive_error(exc)
            if isinstance(error, ArchiveBusy):
                fail_with(error)
            if f"unreadable: {exc}" not in problems:  # archive.check() met it too
                problems.append(f"unreadable: {exc}")
        version = archive.schema_version
    if as_json:
        click.echo(json.dumps({"ok": not problems, "db": str(db), "posts": posts,
                               "schema": version, "captures": records, "problems": problems,
                               "notes": notes, "closed_runs": closed, "repaired": repair},
                              ensure_ascii=False))
    else:
        for note in notes:
            click.echo(f"Note: {note}", err=True)
        for problem in problems:
            click.echo(f"Problem: {problem}", err=True)
    if problems:
        if any(problem.startswith(("integrity:", "unreadable:")) for problem in problems):
            fail(f"{len(problems)} problem(s) found in {db}: its database is damaged; restore "
                 "it from a backup (docs/operations.md, Backing up)")
        fail(f"{len(problems)} problem(s) found in {db}")
    if not as_json:
        click.echo(f"OK: {db} ({posts} posts, schema v{version}, search index in sync, "
                   f"{records} captures verified)")


def _note_damaged(conn: sqlite3.Connection, damaged: list[Damaged], notes: list[str]) -> None:
    """Note the damaged records in the archive, for the next crawl to capture them again."""
    from archive import captures, fixity

    with captures.immediate_when_free(conn, BUSY_PATIENCE) as began:
        if not began:
            notes.append("the damaged records could not be noted in the archive (a crawl kept "
                         "it busy): run `check` again before the crawl that captures them again")
            return
        fixity.note_damaged(conn, damaged)
