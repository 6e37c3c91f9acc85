"""CSV: one row per post, every archived field; list fields (tags, categories, images,
warnings, attachments) are JSON arrays, so a cell like ["a, b", "c"] keeps tags that contain
commas."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from archive.export import record


def cell(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value


def write(posts: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write a header row then one row per post (as `archive.export.record` gives it);
    returns the number of posts written."""
    writer: csv.DictWriter | None = None
    count = 0
    for post in map(record, posts):
        if writer is None:
            # Every post has the same keys (one row of the posts table plus its site, images and
            # attachments).
            writer = csv.DictWriter(out, fieldnames=list(post), lineterminator="\n")
            writer.writeheader()
        writer.writerow({key: cell(value) for key, value in post.items()})
        count += 1
    return count
