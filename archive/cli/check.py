"""`wixarchive check`: SQLite integrity, foreign keys, versions, the search index, and the raw
captures against their index (archive.health, which `wixarchive.check()` runs too)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from archive.cli.common import db_option, fail, fail_with, load_archive
from archive.health import check_archive
from archive.store import ArchiveBusy, ArchiveDiskFull, ArchiveError, is_writable
from archive.words import counted


@click.command("check")
@db_option
@click.option("--repair", is_flag=True, help="Rebuild the search indexes from the posts.")
@click.option("--json", "as_json", is_flag=True,
              help='Print one JSON object: {"ok", "db", "posts", "schema", "captures", '
                   '"problems", "notes", "closed_runs", "repaired"}; {"ok": false, "db", '
                   '"error"} when the check cannot run (no archive there, say).')
def command(db: Path, repair: bool, as_json: bool) -> None:
    """Check the archive's integrity and that its search indexes match the posts.

    Exits with status 1 when a problem is found (with --json too, after the object) or the
    check cannot run (no archive there: with --json, an object with `error`), 75 when the
    archive was busy (another process kept it locked past the busy timeout: nothing is known
    to be wrong; try again), with a one-line error and no JSON object. An archive it cannot
    write (a read-only file or mount, a full disk) is checked read-only, its search indexes
    by their number of posts, with a note naming what it could not record (`notes` in
    --json); --repair refuses it.

    \b
    Example:
        wixarchive check --db blog.db
        wixarchive check --json --db blog.db || alert
        wixarchive check --repair --db blog.db
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
    read_only_because = None
    try:
        try:
            archive = load_archive(db, readonly=not writable)
        except ArchiveDiskFull:
            if repair:
                raise
            # Writing needs a -shm the full disk cannot hold: what is on disk is checked
            # read-only (it failed with the disk-full error), and what could not be recorded
            # is said.
            archive = load_archive(db, readonly=True)
            read_only_because = f"the disk holding {db} is full"
    except ArchiveBusy as exc:
        fail_with(exc)
    except ArchiveError as exc:
        cannot_check(str(exc))
    bar: Any = None

    def on_start(files: int) -> None:
        # Reading every capture file is most of a check: a minute and more on a big archive.
        nonlocal bar
        if files and not as_json and sys.stderr.isatty():
            bar = click.progressbar(length=files, label="Verifying capture files",
                                    file=sys.stderr)
            bar.__enter__()

    with archive:
        try:
            result = check_archive(archive, repair=repair, on_start=on_start,
                                   progress=lambda n: bar.update(n) if bar else None,
                                   read_only_because=read_only_because)
        except ArchiveBusy as exc:
            fail_with(exc)
        except ArchiveError as exc:
            cannot_check(str(exc))
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        if repair:
            click.echo("Search indexes rebuilt.")
        if result.closed_runs:
            click.echo(f"Closed {counted(result.closed_runs, 'crawl run')} left `running` by a "
                       "process that is gone, as interrupted.")
        for note in result.notes:
            click.echo(f"Note: {note}", err=True)
        for problem in result.problems:
            click.echo(f"Problem: {problem}", err=True)
    if result.problems:
        if any(problem.startswith(("integrity:", "unreadable:")) for problem in result.problems):
            fail(f"{len(result.problems)} problem(s) found in {db}: its database is damaged; "
                 "restore it from a backup (docs/operations.md, Backing up)")
        fail(f"{len(result.problems)} problem(s) found in {db}")
    if not as_json:
        click.echo(f"OK: {db} ({counted(result.posts, 'post')}, schema v{result.schema}, "
                   f"search indexes in sync, {result.captures} captures verified)")
