"""What changed between two archived versions of a post: the diff `wixarchive history` prints."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from archive.search.bigrams import word_count


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


def as_of_version(post: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """`post` (as Archive.post() gives it) with every field of its content as it was in
    `version` (one of Archive.versions()): text, metadata, word count and content hash; what
    is about the post rather than one version (id, URL, site, first and last seen, deleted)
    stays."""
    record = version["record"]
    body = record.get("body_text") or ""
    return {**post, "wix_post_id": record.get("post_id"), "title": record.get("title"),
            "author": record.get("author"), "published": record.get("published"),
            "modified": record.get("modified"), "reading_minutes": record.get("reading_minutes"),
            "language": record.get("language"), "canonical_url": record.get("canonical_url"),
            "description": record.get("description"), "cover_image": record.get("cover_image"),
            "tags": record.get("tags", []), "categories": record.get("categories", []),
            "body": body, "body_html": record.get("body_html") or "",
            "body_markdown": record.get("body_markdown") or "", "word_count": word_count(body),
            "warnings": record.get("warnings", []), "content_hash": version["content_hash"],
            "images": record.get("images", []), "version": version["version"],
            "last_changed": version["fetched_at"]}
