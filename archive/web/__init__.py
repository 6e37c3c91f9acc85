"""Datasette integration: metadata, ranked search and article pages for wixarchive archives.

`archive.web.plugin` is registered as a Datasette plugin entry point, so `datasette archive.db`
gets the same pages as `wixarchive serve` once the project is installed.
"""

from __future__ import annotations

import weakref
from typing import Any

from archive.store import Archive, ArchiveError

# Datasette instance -> {database name: (path, site URLs) or None when not an archive}
_detected: weakref.WeakKeyDictionary[Any, dict[str, tuple[str, list[str]] | None]] = (
    weakref.WeakKeyDictionary())


def archive_sites(datasette: Any, name: str) -> list[str] | None:
    """The site URLs of database `name` when it is a wixarchive archive, else None (cached)."""
    db = datasette.databases.get(name)
    path = getattr(db, "path", None)
    if db is None or not path or db.is_memory:
        return None
    cache = _detected.setdefault(datasette, {})
    known = cache.get(name)
    if name in cache and (known is None or known[0] == path):
        return known[1] if known else None
    try:
        with Archive.open(path, readonly=True, create=False) as archive:
            found: tuple[str, list[str]] | None = (path, [s["site"] for s in archive.stats()])
    except (ArchiveError, OSError):
        found = None
    cache[name] = found
    return found[1] if found else None


def archive_names(datasette: Any) -> list[str]:
    return [name for name in datasette.databases if archive_sites(datasette, name) is not None]
