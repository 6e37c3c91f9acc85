"""What changed between two archived versions of a post: the diff `wixarchive history` prints."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any


def version_text(record: dict[str, Any]) -> list[str]:
    """What a reader sees of one version (its `record`, an Article as a dict), as lines to diff."""
    head = [f"Title: {record.get('title') or ''}", f"Author: {record.get('author') or ''}",
            f"Published: {record.get('published') or ''}"]
    if record.get("modified"):  # as `show` prints it: an edit usually moves this date
        head.append(f"Updated: {record['modified']}")
    if record.get("reading_minutes"):  # as `show` prints them, in its order
        head.append(f"Reading time: {record['reading_minutes']} min")
    for label, key in (("Tags", "tags"), ("Categories", "categories")):
        if record.get(key):
            head.append(f"{label}: " + ", ".join(record[key]))
    return head + [""] + (record.get("body_text") or "").split("\n")


def diff_versions(versions: Sequence[dict[str, Any]], old: int, new: int) -> list[str]:
    """The unified diff (lines) from version `old` to version `new` of `versions`, as
    Archive.versions() lists them; KeyError names a version the post does not have."""
    by_number = {v["version"]: v for v in versions}
    for number in (old, new):
        if number not in by_number:
            raise KeyError(f"no version {number}; this post has versions 1 to {len(versions)}")
    before, after = by_number[old], by_number[new]
    return list(difflib.unified_diff(
        version_text(before["record"]), version_text(after["record"]),
        fromfile=f"v{old} ({before['fetched_at']})", tofile=f"v{new} ({after['fetched_at']})",
        lineterm=""))
