"""Which posts an export reads, through the Archive API.

`Archive` has no way to list posts yet: `post_ids` is the one query this package runs, and
belongs in archive/store.py (as `Archive.post_ids(site=None)`) once that file is free to change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archive.store import Archive


class NoSuchSite(ValueError):
    """--site matched none of the archive's sites."""


def matching_sites(archive: Archive, site: str | None) -> list[dict[str, Any]]:
    """The archive's sites (as Archive.stats() gives them) that `site` names, all when None.

    Same rule as `wixarchive search --site`: the site URL contains it, or the name equals it.
    """
    sites = archive.stats()
    if site is None:
        return sites
    needle = site.strip().rstrip("/").lower()
    chosen = [s for s in sites
              if needle in s["site"].lower() or needle == (s["name"] or "").lower()]
    if not chosen:
        known = ", ".join(s["site"] for s in sites) or "none"
        raise NoSuchSite(f"no archived site matches {site!r} (sites: {known})")
    return chosen


def post_ids(archive: Archive, sites: list[dict[str, Any]]) -> list[int]:
    """Ids of every post (deleted ones too) of these sites, oldest first."""
    urls = [s["site"] for s in sites]
    if not urls:
        return []
    marks = ",".join("?" * len(urls))
    rows = archive.conn.execute(
        f"SELECT p.id FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url IN ({marks}) "
        "ORDER BY p.published IS NULL, p.published, p.id", urls)
    return [row[0] for row in rows]


def iter_posts(archive: Archive, ids: list[int]) -> Iterator[dict[str, Any]]:
    """Each post as `Archive.post` returns it (tags, categories and images included)."""
    for post_id in ids:
        post = archive.post(post_id)
        if post is not None:
            yield post
