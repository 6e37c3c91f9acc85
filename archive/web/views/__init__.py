"""What the page views share: finding the archive, reading it under Datasette's time limit,
and sanitizing archived HTML before it reaches a browser."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from datasette.utils import sqlite_timelimit
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from archive.sanitize import sanitize_html
from archive.store import Archive
from archive.web import archive_sites

T = TypeVar("T")


class ArchiveTimeout(Exception):
    """A read ran past Datasette's sql_time_limit_ms."""


def sanitize(html: str) -> Markup:
    """Archived HTML made safe to show: the store keeps sanitized HTML, but a page must never
    trust the file it reads (an archive can come from anywhere), so clean it again."""
    return Markup(sanitize_html(html, link_rel="noopener noreferrer nofollow"))


async def archive_database(datasette: Any, request: Any) -> tuple[str, Any]:
    """The archive named in the URL (404 otherwise), after Datasette's permission checks."""
    route = request.url_vars["database"]
    try:
        db = datasette.get_database(route=route)
    except KeyError:
        raise NotFound(f"Database not found: {route}") from None
    if archive_sites(datasette, db.name) is None:
        raise NotFound(f"{db.name} is not a wixarchive archive")
    await datasette.ensure_permissions(request.actor, [("view-database", db.name),
                                                      "view-instance"])
    return db.name, db


async def read(datasette: Any, db: Any, fn: Callable[[Archive], T]) -> T:
    """Run fn(archive) on Datasette's read-only connection, under its SQL time limit."""
    limit_ms = datasette.setting("sql_time_limit_ms")

    def run(conn: sqlite3.Connection) -> T:
        archive = Archive(conn, Path(db.path), readonly=True)
        try:
            with sqlite_timelimit(conn, limit_ms):
                return fn(archive)
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise ArchiveTimeout(f"the query took longer than {limit_ms} ms") from exc
            raise

    return await db.execute_fn(run)


async def render(datasette: Any, request: Any, template: str, context: dict[str, Any],
                 status: int = 200) -> Response:
    html = await datasette.render_template(template, context, request=request)
    return Response.html(html, status=status)
