"""`wixarchive stats`: per site, posts, versions, deleted posts, words, the last crawl, and the
posts' videos and documents (recorded, and archived) and, with --images, their images (archived,
failed, not fetched); for the whole archive, its captures."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from archive.attachments import COUNT_KEYS
from archive.cli.common import (
    counted,
    db_option,
    format_options,
    open_archive,
    plural,
    write_records,
)
from archive.totals import COLUMNS, IMAGE_KEYS, archive_stats

if TYPE_CHECKING:
    from archive.captures import Sizes


@click.command("stats")
@db_option
@click.option("--images", is_flag=True,
              help="Also count each site's images: archived, failed, not fetched (a read of "
                   "every image of the archive: ~0.9 s more CPU at 400,000 images).")
@format_options
def command(db: Path, images: bool, fmt: str) -> None:
    """Posts, versions, deleted posts, words and last crawl, per site; the captures' size.

    --images adds each site's images (distinct URLs): archived at full size, fetched and
    failed (an HTTP error, too big, not an image), not fetched (`crawl --no-media`, or added
    since). --json prints an object: `sites`, one object per site, and `captures`, the whole
    archive's; --jsonl and --csv print the sites alone, one record each.

    \b
    Example:
        wixarchive stats --db blog.db
        wixarchive stats --images --db blog.db
        wixarchive stats --csv --db blog.db > sites.csv
    """
    with open_archive(db) as archive:
        # The captures' sizes (a stat of every capture file) only where they are printed.
        stats = archive_stats(archive, captures=fmt in ("text", "json"), images=images)
    rows = stats.sites
    if fmt == "json":
        click.echo(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
        return
    if fmt != "text":
        write_records(rows, fmt, (*COLUMNS, *IMAGE_KEYS) if images else COLUMNS)
        return
    if not rows:
        click.echo("The archive is empty.")
        return
    # Each column: its heading and the key it totals (words and images with thousands grouped).
    counted = [("Posts", "posts"), ("Versions", "versions"), ("Deleted", "deleted"),
               ("Words", "words")]
    if images:
        counted += [("Images", "images"), ("Archived", "images_archived"),
                    ("Failed", "images_failed"), ("Not fetched", "images_not_fetched")]

    def number(key: str, value: int) -> str:
        return str(value) if key in ("posts", "versions", "deleted") else f"{value:,}"

    headers = ("Site", *(heading for heading, _ in counted), "Last crawl")
    table = [(r["site"], *(number(key, r[key]) for _, key in counted),
              _last_crawl(r["last_crawled"], r["last_status"])) for r in rows]
    if len(rows) > 1:
        table.append(("total", *(number(key, sum(r[key] for r in rows)) for _, key in counted),
                      ""))
    widths = [max(len(line[i]) for line in (headers, *table)) for i in range(len(headers))]
    for line in (headers, *table):
        cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:-1],
                                                                        widths[1:-1],
                                                                        strict=True)]
        click.echo("  ".join([*cells, line[-1]]).rstrip())
    held = stats.captures
    assert held is not None  # asked for, for text
    if held.unreadable:
        click.echo(f"Captures: {held.unreadable}")
    elif held.files or held.missing_files:
        # Named beside the archive as given (demo/archive.captures/), where it can be found.
        click.echo(_captures_line(held, str(db.with_name(stats.directory))))
    if empty := [r["site"] for r in rows if not r["versions"]]:
        # A mistyped address stays a site of the archive until forgotten: say how.
        named, which = ((empty[0], f"{empty[0]} holds") if len(empty) == 1 else
                        ("SITE", f"{len(empty)} sites hold"))
        click.echo(f"Note: {which} no posts; to remove one crawled by mistake from the archive: "
                   f"wixarchive sites forget {shlex.quote(named)} --db {shlex.quote(str(db))}")
    total = {key: sum(r[key] for r in rows) for key in COUNT_KEYS}
    if total["videos"] or total["documents"]:
        click.echo(f"Videos: {total['videos']:,} ({total['videos_archived']:,} archived); "
                   f"documents: {total['documents']:,} ({total['documents_archived']:,} "
                   "archived)")


def _captures_line(held: Sizes, folder: str) -> str:
    """What the captures hold, and the records indexed whose files are missing from `folder`."""
    responses = held.responses - held.missing_responses
    revisits = held.revisits - held.missing_revisits
    missing = held.missing_responses + held.missing_revisits
    gone = (f"{missing:,} {plural(missing, 'record')} indexed in "
            f"{counted(held.missing_files, 'file')} missing from {folder}/ (run `wixarchive "
            "check`)")
    if not held.files:
        return f"Captures: {gone}"
    line = (f"Captures: {responses:,} {plural(responses, 'response')} and {revisits:,} "
            f"{plural(revisits, 'revisit')} in {counted(held.files, 'WARC file')}, "
            f"{held.bytes / 2**20:,.1f} MiB ({folder}/)")
    return f"{line}; {gone}" if held.missing_files else line


def _last_crawl(when: str | None, status: str | None) -> str:
    if not when:
        return "never finished" if status else "never"
    return f"{when[:16].replace('T', ' ')} ({status})" if status else when[:16]
