"""What `wixarchive stats` prints and `wixarchive.stats()` returns: per site, posts, versions,
deleted posts, words, the last crawl (`killed` when its process died without closing it) and
the posts' videos and documents (recorded, and archived); for the whole archive, its
captures."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from archive.attachments import COUNT_KEYS
from archive.attachments import counts as attachment_counts
from archive.schedule.locks import shown_status

if TYPE_CHECKING:
    from archive.captures import Sizes
    from archive.store import Archive

COLUMNS = ("site", "name", "posts", "versions", "deleted", "words", "last_crawled",
           "last_status", *COUNT_KEYS)


@dataclasses.dataclass
class ArchiveStats:
    """`sites`: a dict per site, keys COLUMNS; `captures`: the captures folder's sizes (None
    when not asked for)."""

    sites: list[dict[str, Any]]
    captures: Sizes | None
    directory: str  # the captures folder's name

    def captures_dict(self) -> dict[str, Any]:
        """The captures as `stats --json` prints them."""
        held = self.captures
        if held is None:
            return {}
        unknown = held.unreadable is not None  # the folder's files cannot be listed
        return {"directory": self.directory, "files": None if unknown else held.files,
                "bytes": None if unknown else held.bytes,
                "records": held.responses + held.revisits, "responses": held.responses,
                "revisits": held.revisits, "media_stored": held.media_stored,
                "missing_files": None if unknown else held.missing_files,
                "missing_records": (None if unknown else
                                    held.missing_responses + held.missing_revisits),
                "unreadable": held.unreadable}

    def to_dict(self) -> dict[str, Any]:
        """As `wixarchive stats --json` prints it."""
        return {"sites": self.sites, "captures": self.captures_dict()}


def archive_stats(archive: Archive, *, captures: bool = True) -> ArchiveStats:
    """The archive's statistics; `captures=False` skips the captures folder's sizes (a stat of
    every capture file)."""
    from archive import captures as capture_files

    rows = archive.stats()
    files = attachment_counts(archive.conn)
    for row in rows:
        row.update(files.get(row["site"]) or dict.fromkeys(COUNT_KEYS, 0))
        if row["last_status"]:  # `killed` when no live crawl holds the site's lock
            row["last_status"] = shown_status(archive.path, row["site"], row["last_status"])
    directory = capture_files.captures_dir(archive.path)
    held = capture_files.sizes(archive.conn, directory) if captures else None
    return ArchiveStats(sites=rows, captures=held, directory=directory.name)
