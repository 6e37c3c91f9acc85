"""The posts' videos and documents (the attachments table, DDL in archive/schema.py).

Extraction records them by URL (crawler.extract.attachments) and the archive writes them with
their post (archive.ingest). They are fetched only on request (`crawl --media-kinds`, see
crawler.media_kinds); what a fetch gave is a media row like an image's, and the bytes are in
the captures, once per payload digest. Nothing here imports Scrapy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from archive.chunked import in_chunks

# Request meta marking a video or document (not an image) for crawler.media_kinds, which keeps
# any payload for it; set by the crawl's fetcher and by a distributed crawl's writer.
FILE_META = "wixarchive_media_file"
WIX_VIDEO = "https://video.wixstatic.com/"
# `--media-kinds` names and the attachments.kind each one fetches.
KINDS = {"images": None, "video": "video", "documents": "document"}
DEFAULT_KINDS = ("images",)


def file_name(url: str) -> str:
    """The name a file goes by: its URL's last segment; for a Wix video
    (`video/<id>/<quality>/mp4/file.mp4`, every one named file.mp4) the video's id with the
    extension, as the WXR export and the article page name it."""
    path = urlsplit(url).path
    segments = path.split("/")
    name = unquote(segments[-1])
    if len(segments) > 3 and segments[1] == "video" and name.startswith("file."):
        name = segments[2] + name[4:]
    return name


def parse_kinds(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """`images,video,documents` (any of them, any order) as a tuple; ValueError naming the
    unknown ones."""
    if value is None:
        return DEFAULT_KINDS
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [name.strip().lower() for name in names if name.strip()]
    aliases = {"videos": "video", "image": "images", "document": "documents", "docs": "documents"}
    names = [aliases.get(name, name) for name in names]
    unknown = [name for name in names if name not in KINDS]
    if unknown:
        raise ValueError(f"unknown media kind {', '.join(unknown)}: choose from "
                         f"{', '.join(KINDS)}")
    return tuple(dict.fromkeys(names))


def kinds_setting(value: str) -> str:
    """`--media-kinds` (or a sites file's `media_kinds`) as the WIXARCHIVE_MEDIA_KINDS crawl
    setting; ValueError as parse_kinds."""
    return ",".join(parse_kinds(value))


def file_kinds(kinds: Iterable[str]) -> list[str]:
    """The attachments.kind values fetched for these `--media-kinds` names (images have none:
    they are the media table's)."""
    return [kind for name, kind in KINDS.items() if kind and name in kinds]


def file_fetch_url(url: str, video_base: str | None) -> str:
    """Where to fetch a video or document: video.wixstatic.com files from `video_base` when
    set (tests serve them on loopback)."""
    if video_base and url.startswith(WIX_VIDEO):
        return video_base + url[len(WIX_VIDEO):]
    return url


def to_fetch(conn: sqlite3.Connection, site: str, kinds: Iterable[str],
             after: int = 0) -> tuple[list[str], int]:
    """The file URLs of a site's videos and/or documents (attachments.kind values) with no
    archived copy yet (never fetched, or failed for a reason that may pass), among attachments
    rows past id `after`, and the highest such id seen. Player pages are never fetched."""
    kinds = list(kinds)
    if not kinds:
        return [], after
    marks = ",".join("?" * len(kinds))
    conn.execute("BEGIN")
    try:
        urls = [url for (url,) in conn.execute(
            "SELECT DISTINCT a.url FROM attachments a JOIN posts p ON p.id = a.post_id "
            "JOIN sites s ON s.id = p.site_id WHERE a.id > ? AND s.url = ? AND a.is_file = 1 "
            f"AND a.kind IN ({marks}) AND (a.url LIKE 'http://%' OR a.url LIKE 'https://%') "
            "AND NOT EXISTS (SELECT 1 FROM media m WHERE m.url = a.url AND m.status NOT IN "
            "('failed', 'http-429') AND m.status NOT LIKE 'http-5%')",
            (after, site, *kinds)).fetchall()]
        last = conn.execute("SELECT max(id) FROM attachments WHERE id > ?",
                            (after,)).fetchone()[0]
    finally:
        conn.execute("COMMIT")
    return urls, last if last is not None else after


def media_kinds(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, str]:
    """Each media URL's kind: the attachments table's ('video', 'document'), else 'image'."""
    kinds = dict.fromkeys(urls, "image")
    kinds.update(in_chunks(conn, "SELECT url, kind FROM attachments WHERE url IN ({marks})",
                           list(kinds)))
    return kinds


def of_post(conn: sqlite3.Connection, post_id: int) -> list[dict[str, Any]]:
    """A post's videos and documents in body order, with what fetching each gave: `status`
    (None: never fetched), and for a stored one its digest, size and capture record id."""
    try:
        rows = conn.execute(
            "SELECT a.url, a.kind, coalesce(m.content_type, a.content_type), a.is_file, "
            "m.status, m.bytes, m.payload_digest, m.capture FROM attachments a "
            "LEFT JOIN media m ON m.url = a.url WHERE a.post_id = ? "
            "ORDER BY a.position", (post_id,)).fetchall()
    except sqlite3.OperationalError:  # an archive from before v12
        return []
    keys = ("url", "kind", "content_type", "is_file", "status", "bytes", "payload_digest",
            "capture")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def of_version(conn: sqlite3.Connection,
               recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An older version's videos and documents (its record's `attachments`) with what
    fetching each gave, as of_post gives the current version's."""
    items = [item for item in recorded
             if isinstance(item, dict) and isinstance(item.get("url"), str)]
    try:
        rows = in_chunks(conn, "SELECT url, content_type, status, bytes, "
                         "payload_digest, capture FROM media WHERE url IN ({marks})",
                         [item["url"] for item in items])
    except sqlite3.OperationalError:  # an archive from before captures (v9 or older)
        rows = []
    fetched = {url: rest for url, *rest in rows}
    found = []
    for item in items:
        content_type, status, size, digest, capture = fetched.get(item["url"], [None] * 5)
        found.append({"url": item["url"], "kind": item.get("kind"),
                      "content_type": content_type or item.get("content_type"),
                      "is_file": bool(item.get("is_file")), "status": status, "bytes": size,
                      "payload_digest": digest, "capture": capture})
    return found


def of_shown_version(conn: sqlite3.Connection, post: dict[str, Any],
                     version: dict[str, Any]) -> list[dict[str, Any]]:
    """The videos and documents of version `version` (an Archive.versions() item) of `post`
    (Archive.post()): the attachments table's for the current version (of_post), the
    version's record's for an older one (of_version)."""
    if version["version"] == post["version"]:
        return of_post(conn, post["id"])
    return of_version(conn, version["record"].get("attachments") or [])


def counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Per site URL: its posts' distinct videos and documents, and how many are archived
    (keys videos, videos_archived, documents, documents_archived)."""
    try:
        rows = conn.execute(
            "SELECT s.url, a.kind, count(DISTINCT a.url), count(DISTINCT CASE WHEN "
            "m.status = 'stored' THEN a.url END) FROM attachments a "
            "JOIN posts p ON p.id = a.post_id JOIN sites s ON s.id = p.site_id "
            "LEFT JOIN media m ON m.url = a.url GROUP BY s.url, a.kind").fetchall()
    except sqlite3.OperationalError:  # an archive from before v12
        return {}
    found: dict[str, dict[str, int]] = {}
    for site, kind, total, archived in rows:
        name = "videos" if kind == "video" else "documents"
        site_counts = found.setdefault(site, dict.fromkeys(COUNT_KEYS, 0))
        site_counts[name] += total
        site_counts[f"{name}_archived"] += archived
    return found


COUNT_KEYS = ("videos", "videos_archived", "documents", "documents_archived")
