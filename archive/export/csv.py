"""CSV: one row per post, every archived field; list fields (tags, categories, images,
warnings, attachments) are JSON arrays, so a cell like ["a, b", "c"] keeps tags that contain
commas; a text that a spreadsheet would run as a formula gets a `'` in front unless asked not to
(archive.csv_cells)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from archive.csv_cells import csv_cell
from archive.export import record


def write(posts: Iterable[dict[str, Any]], out: TextIO, *, escape_formulas: bool = True,
          fields: list[str] | None = None) -> int:
    """Write a header row then one row per post (as `archive.export.record` gives it, cells as
    `csv_cell` makes them); returns the number of posts written. With no post, the header
    row is `fields` (the posts' keys: archive.export.source.export_fields), so an empty export
    is still a CSV with its columns, as `search --csv` finding nothing is."""
    writer: csv.DictWriter | None = None
    count = 0
    for post in map(record, posts):
        if writer is None:
            # Every post has the same keys (one row of the posts table plus its site, images and
            # attachments).
            writer = csv.DictWriter(out, fieldnames=list(post), lineterminator="\n")
            writer.writeheader()
        writer.writerow({key: csv_cell(value, escape_formulas=escape_formulas)
                         for key, value in post.items()})
        count += 1
    if writer is None and fields:
        csv.writer(out, lineterminator="\n").writerow(fields)
    return count
