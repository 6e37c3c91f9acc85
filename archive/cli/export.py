"""`wixarchive export`: the archive's posts as JSON lines, CSV, Markdown files or WordPress WXR."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from archive.cli.common import db_option, fail, open_archive
from archive.export import FORMATS
from archive.export.source import NoSuchSite, iter_posts, matching_sites, post_ids


@contextmanager
def _output(out: str, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout for "-", else a temporary file renamed over OUT on success: a failed export
    never leaves a half-written file behind."""
    if out == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(out)
    if target.is_dir():
        fail(f"{target} is a directory; give a file name for this format")
    if not target.parent.is_dir():
        fail(f"cannot write {target}: directory {target.parent} does not exist")
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if binary:
            with os.fdopen(handle, "wb") as stream:
                yield stream
        else:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                yield stream
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


@click.command("export")
@click.argument("out")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="jsonl/csv: every archived field; markdown: one file per post with front "
                   "matter (OUT is a folder); wxr: WordPress import file.")
@click.option("--site", help="Only this site (URL, host or part of it, or name).")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(out: str, fmt: str, site: str | None, db: Path, as_json: bool) -> None:
    """Export the archived posts (deleted ones too, marked) to OUT ("-" for stdout).

    Markdown and WXR reference images by their full-size URLs; WXR lists them as attachments so
    WordPress's importer can copy them.

    \b
    Examples:
        wixarchive export --format jsonl posts.jsonl
        wixarchive export --format markdown --site example.com content/posts
        wixarchive export --format wxr --site example.com wordpress.xml
    """
    if fmt == "markdown" and out == "-":
        fail("markdown export writes one file per post: give a folder, not -")
    archive = open_archive(db)
    try:
        try:
            sites = matching_sites(archive, site)
        except NoSuchSite as exc:
            fail(str(exc))
        ids = post_ids(archive, sites)
        if not ids:
            where = f" for {site}" if site else ""
            fail(f"nothing to export: {db} has no posts{where} yet (crawl a site first)")
        posts = iter_posts(archive, ids)
        summary: dict[str, Any] = {"format": fmt, "posts": 0, "sites": len(sites),
                                   "output": out}
        if fmt == "jsonl":
            from archive.export import jsonl

            with _output(out, binary=False) as stream:
                summary["posts"] = jsonl.write(posts, stream)
        elif fmt == "csv":
            from archive.export import csv

            with _output(out, binary=False) as stream:
                summary["posts"] = csv.write(posts, stream)
        elif fmt == "markdown":
            from archive.export import markdown

            folder = Path(out)
            if folder.exists() and not folder.is_dir():
                fail(f"{folder} is a file; markdown export needs a folder")
            from archive import captures

            directory = captures.captures_dir(db)

            def image(url: str) -> bytes | None:
                payload = captures.stored_media(archive.conn, directory, url)
                return payload.decoded_body() if payload is not None else None

            try:
                summary["posts"] = len(markdown.write(posts, folder, image))
            except OSError as exc:
                fail(f"cannot write to {folder}: {exc.strerror or exc}")
        else:
            from archive.export import wxr

            with _output(out, binary=True) as stream:
                summary["posts"], summary["images"] = wxr.write(posts, stream, sites=sites)
    finally:
        archive.close()
    # The summary never mixes with exported data on stdout.
    to_stderr = out == "-"
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False), err=to_stderr)
    else:
        plural = "s" if summary["posts"] != 1 else ""
        extra = f" and {summary['images']} images" if "images" in summary else ""
        where = "stdout" if out == "-" else out
        click.echo(f"Exported {summary['posts']} post{plural}{extra} from {summary['sites']} "
                   f"site{'s' if summary['sites'] != 1 else ''} to {where} ({fmt}).",
                   err=to_stderr)
