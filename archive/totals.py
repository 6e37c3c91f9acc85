"""What `wixarchive stats` prints and `wixarchive.stats()` returns: per site, posts, versions,
deleted posts, words, the last crawl (`killed` when its process died without closing it) and
the posts' videos and documents (recorded, and archived), and, when asked for, their images
(archived, failed, not fetched); for the whole archive, its captures."""

from __future__ import annotations

import dataclasses
import sqlite3
from typing import TYPE_CHECKING, Any

from archive.attachments import COUNT_KEYS
from archive.attachments import counts as attachment_counts
from archive.schedule.locks import shown_status

if TYPE_CHECKING:
    from archive.captures import Sizes
    from archive.store import Archive

COLUMNS = ("site", "name", "posts", "versions", "deleted", "words", "last_crawled",
           "last_status", *COUNT_KEYS)
# A site's distinct image URLs (full size, as the crawl fetches them): archived, fetched and
# failed (any answer but an image kept: HTTP errors, too big, not an image), never fetched.
IMAGE_KEYS = ("images", "images_archived", "images_failed", "images_not_fetched")


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


def archive_stats(archive: Archive, *, captures: bool = True,
                  images: bool = False) -> ArchiveStats:
    """The archive's statistics; `captures=False` skips the captures folder's sizes (a stat of
    every capture file); `images=True` adds each site's IMAGE_KEYS (a read of every image
    row, so only when asked: 0.9-1.1 s of CPU at 400,000 images, where the rest takes 0.1 s:
    docs/benchmarks.md)."""
    from archive import captures as capture_files

    rows = archive.stats()
    files = attachment_counts(archive.conn)
    shown = image_counts(archive.conn) if images else {}
    for row in rows:
        row.update(files.get(row["site"]) or dict.fromkeys(COUNT_KEYS, 0))
        if images:
            row.update(shown.get(row["site"]) or dict.fromkeys(IMAGE_KEYS, 0))
        if row["last_status"]:  # `killed` when no live crawl holds the site's lock
            row["last_status"] = shown_status(archive.path, row["site"], row["last_status"])
    directory = capture_files.captures_dir(archive.path)
    held = capture_files.sizes(archive.conn, directory) if captures else None
    return ArchiveStats(sites=rows, captures=held, directory=directory.name)


def image_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Per site URL: IMAGE_KEYS, its posts' distinct images (an image two posts show counts
    once). An archive from before v10, read as it is, has no `media` table: none fetched."""
    fetched = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'media'").fetchone()
    media = "media" if fetched else "(SELECT NULL AS url, NULL AS status)"
    rows = conn.execute(
        "SELECT s.url, count(*), count(CASE WHEN m.status = 'stored' THEN 1 END), "
        "count(m.status) FROM (SELECT DISTINCT p.site_id, i.url FROM images i "
        "JOIN posts p ON p.id = i.post_id) AS shown JOIN sites s ON s.id = shown.site_id "
        f"LEFT JOIN {media} m ON m.url = shown.url GROUP BY s.url").fetchall()
    return {site: dict(zip(IMAGE_KEYS, (total, archived, fetched - archived, total - fetched),
                           strict=True))
            for site, total, archived, fetched in rows}
