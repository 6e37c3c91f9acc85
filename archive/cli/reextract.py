"""`wixarchive reextract`: today's extraction over the stored captures, with no network."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.cli.common import chosen_site, counted, db_option, fail_with, open_archive
from archive.cli.interrupts import stopping_cleanly
from archive.store import ArchiveError

if TYPE_CHECKING:
    from archive.reextract import Result

FAILURES_SHOWN = 20


@click.command("reextract")
@db_option
@click.option("--site", help="Only the posts of this site (URL, host or part of it, or name).")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"posts": N, "changed": M, "refreshed": R, "failed": K, '
                   '"without_capture": S}.')
def command(db: Path, site: str | None, as_json: bool) -> None:
    """Re-run extraction and cleaning over the raw captures of archived posts.

    Opens no connection to any site: each post's page is read from its newest capture in
    ARCHIVE.captures/. A post gets a new version (marked as a re-extraction) only where the
    clean result changed; the others get today's text and Markdown in place (an extractor fix
    of the Markdown alone reaches posts archived before it this way). Stopped or killed, it
    resumes where it was when run again. Posts whose capture file is missing or damaged are
    named; the others are re-extracted.

    \b
    Example:
        wixarchive reextract --db blog.db
        wixarchive reextract --site example.com --json --db blog.db
    """
    from archive.reextract import reextract, saved_so_far

    run_id = None  # the run's row, once it is open
    saved, finished = 0, False  # posts whose batch is committed, this run and the one it resumes

    def what_was_kept() -> str:
        posts, are = counted(saved, "post"), "are" if saved != 1 else "is"
        if finished:  # stopped on its way out
            return f"the re-extraction had finished: {posts} done {are} saved in {db}"
        return (f"{posts} done so far {are} saved in {db}; run `wixarchive reextract` again to "
                "resume from there")

    with stopping_cleanly(what_was_kept), open_archive(db, readonly=False) as archive:
        if site:
            site = chosen_site(archive, site)
        bar = None

        def on_start(total: int, done: Result) -> None:
            nonlocal bar, run_id, saved
            run_id, saved = done.run_id, done.posts + done.without_capture
            if done.resumed and not as_json:
                click.echo("Resuming the re-extraction that was stopped.", err=True)
            if not as_json and sys.stderr.isatty():
                bar = click.progressbar(length=total, label="Re-extracting", file=sys.stderr)
                bar.__enter__()

        def progress(n: int) -> None:  # called once a batch is committed
            if bar is not None:
                bar.update(n)

        try:
            result = reextract(archive, site=site, on_start=on_start, progress=progress)
        except ArchiveError as exc:
            fail_with(exc)
        except KeyboardInterrupt:
            # Read back, not counted from progress(): the stop may have landed between a
            # batch's commit and the call counting it, or after the run's end was committed.
            if run_id is not None:
                with contextlib.suppress(sqlite3.Error):
                    saved, finished = saved_so_far(archive, run_id)
            raise
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(result.counts()))
    else:
        click.echo(f"{result.posts} posts re-extracted: {result.changed} changed, "
                   f"{result.failed} failed")
        if result.refreshed:
            click.echo(f"{result.refreshed} unchanged posts have today's text and Markdown "
                       "(body, body_markdown) now")
        if result.without_capture:
            click.echo(f"{result.without_capture} posts have no capture (archived with "
                       "--no-capture or before captures existed, and unchanged since): not "
                       "re-extracted; capture them with: wixarchive crawl URL --refetch")
    for failure in result.failures[:FAILURES_SHOWN]:
        click.echo(f"failed: {failure}", err=True)
    if result.failed > FAILURES_SHOWN:
        click.echo(f"... and {result.failed - FAILURES_SHOWN} more", err=True)
    if result.failed:
        sys.exit(1)
