"""What `wixarchive history` prints: how each version of a post came into the archive, and the
diff between two versions."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

# The sources whose versions are dated by a web archive's capture, not by a fetch of ours.
WEB_ARCHIVE_SOURCES = ("recover", "import")


def version_origin(version: dict[str, Any]) -> str:
    """How a version (as Archive.versions() lists it) came into the archive, and what its
    `fetched_at` is: when wixarchive fetched the page, or, for a version recovered or imported
    from a web archive, when that archive captured it."""
    when = version["fetched_at"]
    source = version.get("source") or "crawl"
    if source == "recover":
        found = version.get("recovered")
        where = f" from {found['endpoint']} (timestamp {found['timestamp']})" if found else ""
        return f"recovered{where}, captured {when}"
    if source == "import":
        return f"imported from a web archive file, captured {when}"
    if source == "reextract":
        return f"re-extracted from the page as fetched {when}"
    return f"crawled {when}"


def version_text(record: dict[str, Any]) -> list[str]:
    """What a reader sees of one version (its `record`, an Article as a dict), as lines to diff."""
    head = [f"Title: {record.get('title') or ''}", f"Author: {record.get('author') or ''}",
            f"Published: {record.get('published') or ''}"]
    if record.get("modified"):  # as `show` prints it: an edit usually moves this date
        head.append(f"Updated: {record['modified']}")
    tags = record.get("tags") or []
    if tags:
        head.append("Tags: " + ", ".join(tags))
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
