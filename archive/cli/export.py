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
from archive.export.source import (
    NoSuchSite,
    count_posts,
    iter_posts,
    matching_sites,
    post_ids,
    post_terms,
    snapshot,
)


def _open_mode(binary: bool) -> dict[str, Any]:
    return {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": ""}


@contextmanager
def _output(out: str, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout for "-"; a device or pipe (/dev/stdout, a FIFO) written as it is; else a temporary
    file renamed over OUT on success (through a symlink to its target): a failed export never
    leaves a half-written file behind, and never replaces what is not a regular file."""
    if out == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(out)
    if target.is_dir():
        fail(f"{target} is a directory; give a file name for this format")
    if target.exists() and not target.is_file():
        with open(target, **_open_mode(binary)) as stream:
            yield stream
        return
    target = target.resolve() if target.is_symlink() else target
    if not target.parent.is_dir():
        fail(f"cannot write {target}: directory {target.parent} does not exist")
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                        suffix=".tmp")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}")
    try:
        with os.fdopen(handle, **_open_mode(binary)) as stream:
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
        summary: dict[str, Any] = {"format": fmt, "posts": 0, "sites": len(sites),
                                   "output": out}
        # One read snapshot: the passes agree even while a crawl writes the archive.
        with snapshot(archive):
            if not count_posts(archive, sites):
                where = f" for {site}" if site else ""
                fail(f"nothing to export: {db} has no posts{where} yet (crawl a site first)")
            try:
                summary.update(_write(archive, db, sites, fmt, out))
            except OSError as exc:  # a full disk, a closed pipe, a vanished folder
                fail(f"cannot write {out}: {exc.strerror or exc}")
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


def _write(archive: Any, db: Path, sites: list[dict[str, Any]], fmt: str,
           out: str) -> dict[str, int]:
    """Stream the posts into the format's writer, one post at a time."""
    posts = iter_posts(archive, post_ids(archive, sites))
    if fmt == "jsonl":
        from archive.export import jsonl

        with _output(out, binary=False) as stream:
            return {"posts": jsonl.write(posts, stream)}
    if fmt == "csv":
        from archive.export import csv

        with _output(out, binary=False) as stream:
            return {"posts": csv.write(posts, stream)}
    if fmt == "markdown":
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
            return {"posts": markdown.write(posts, folder, image)}
        except OSError as exc:
            fail(f"cannot write to {folder}: {exc.strerror or exc}")
    from archive.export import wxr

    head = wxr.collect_head(post_terms(archive, sites))
    with _output(out, binary=True) as stream:
        written, images = wxr.write(posts, stream, sites=sites, head=head)
    return {"posts": written, "images": images}
