"""What a ranked search of an archive file finds, as the search tests compare it."""

from __future__ import annotations

from pathlib import Path

from archive.search import SearchQuery, search
from archive.store import Archive


def hits(db: Path, text: str, **filters: object) -> list[tuple[str | None, str]]:
    """Each hit's title and snippet, its matched words in [brackets], best first."""
    with Archive.open(db, readonly=True) as archive:
        return [(hit.title, hit.marked_snippet("[", "]"))
                for hit in search(archive, SearchQuery(text, **filters))]


def titles(db: Path, text: str, **filters: object) -> list[str | None]:
    return [title for title, _ in hits(db, text, **filters)]
