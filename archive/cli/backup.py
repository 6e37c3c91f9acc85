"""`wixarchive backup`: a copy of the archive, taken safely while crawls write it
(archive/backup.py)."""

from __future__ import annotations

from pathlib import Path

import click

from archive.cli.common import db_option, fail_with
from archive.words import counted


@click.command("backup")
@db_option
@click.argument("dest", type=click.Path())  # a str: Path() drops the trailing / of a folder
def command(db: Path, dest: str) -> None:
    """Back up the archive to DEST, a new archive file (or a folder to put it in under its own
    name; a DEST ending in / is a folder, which must exist): its database, then its captures
    and its sites file, named after it (x.db -> x.captures/, x.sites.toml). Safe while crawls,
    `run-due` or `schedule` write the archive: the copy is the archive as one commit left it.
    Never overwrites: DEST must not exist yet.

    \b
    Example:
        wixarchive backup /backup/archive-$(date +%F).db --db /srv/wix/archive.db
    """
    from archive.backup import back_up
    from archive.store import ArchiveError

    try:
        done = back_up(db, dest)
    except ArchiveError as exc:
        fail_with(exc)
    files = f"{done.capture_files} capture file{'s' if done.capture_files != 1 else ''}"
    sites = f", its sites file to {done.sites_file}" if done.sites_file else ""
    click.echo(f"Backed up {db} to {done.destination}: {counted(done.posts, 'post')}, {files} "
               f"({done.capture_bytes / 2**20:,.1f} MiB){sites}.")
