"""What a request path of the Datasette instance is, for the ASGI middlewares (headers.py,
page_structure.py), which each decide from it what to do with the response."""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

from archive.web import archive_names

PLUGIN_PAGE = re.compile(r"^/(?:-/search|[^/]+/-/(?:search|post/\d+)(?:\.json)?)$")
MEDIA_FILE = re.compile(r"^/[^/]+/-/media/[A-Za-z0-9]+$")


class PagePath(NamedTuple):
    plugin_page: bool  # this plugin's search and article pages
    media_file: bool  # an archived file (the media route)
    # Whose page it is by the first segment: the instance's (home page, /-/ pages), an
    # archive's, another database's, or none (a 404 page).
    owner: Literal["instance", "archive", "database", "unknown"]


def page_path(datasette: Any, path: str) -> PagePath:
    """`path` (with Datasette's base_url, if any) classified."""
    from datasette.utils import tilde_decode

    base_url = datasette.setting("base_url")
    if base_url != "/" and path.startswith(base_url):
        path = "/" + path[len(base_url):]
    plugin_page, media_file = bool(PLUGIN_PAGE.match(path)), bool(MEDIA_FILE.match(path))
    segment = path.lstrip("/").split("/", 1)[0]
    if not segment or segment.startswith("-"):
        return PagePath(plugin_page, media_file, "instance")
    # A table or database page may carry a format suffix (`.json`, `.csv`).
    routes = {tilde_decode(segment), tilde_decode(segment.rsplit(".", 1)[0])}
    if routes & {datasette.databases[name].route for name in archive_names(datasette)}:
        return PagePath(plugin_page, media_file, "archive")
    if routes & {db.route for db in datasette.databases.values()}:
        return PagePath(plugin_page, media_file, "database")
    return PagePath(plugin_page, media_file, "unknown")
