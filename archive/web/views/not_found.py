"""The page of an address that holds no page (a 404), as a reader meets it: a mistyped address,
or a post's address on the site put after the archive's host (`/post/on-grief`). Datasette's own
error page said "Error 404", then "404", with no link anywhere; this one says what was not
found and leads on: the archived posts whose address ends in the address's last segment,
starts with it or ends in it after a hyphen (Archive.posts_by_slug, through indexes), the
search, and the posts table.

Only an archive's pages and addresses no database has get it; another database served beside
an archive, and a JSON or CSV address, keep Datasette's error.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import Response

from archive.web import archive_names
from archive.web.paths import page_path
from archive.web.views import ArchiveTimeout, read, render

SHOWN = 10  # posts listed; the search finds more
# A last segment that may be a post's slug: one with a letter, not a file or a row number.
_SLUG = re.compile(r"^(?=.*[^\W\d_])[^./]{3,}$")


def wants_reader_page(datasette: Any, request: Any) -> list[str] | None:
    """The archives whose posts a 404 at the request's address may name (the one its first
    segment names, else every archive), or None when Datasette's error fits better."""
    path = request.path
    if path.endswith((".json", ".csv")) or "_format=json" in (request.query_string or ""):
        return None
    names = archive_names(datasette)
    page = page_path(datasette, path)
    if not names or page.owner == "database" or page.media_file:
        return None
    if page.owner == "archive":
        base = datasette.setting("base_url")
        first = ("/" + path[len(base):] if path.startswith(base) else path).lstrip("/")
        first = first.split("/", 1)[0]
        return [n for n in names if datasette.databases[n].route in (first, unquote(first))]
    return names


async def not_found_page(datasette: Any, request: Any, message: str,
                         names: list[str]) -> Response:
    """The page, naming the posts and search of those of `names` the reader may see
    (Datasette's view-database and view-instance, as the archive's own pages ask: a private
    archive served beside others lent its titles and addresses to any 404); of none, the page
    alone, with its Home link."""
    names = [name for name in names if (await datasette.check_visibility(
        request.actor, permissions=[("view-database", name), "view-instance"]))[0]]
    segments = [unquote(s) for s in request.path.split("/") if s]
    slug = segments[-1] if segments and _SLUG.match(segments[-1]) else None
    posts: list[dict[str, Any]] = []
    more = 0
    for name in names:
        if slug is None:
            break
        base = datasette.urls.database(name)
        try:
            found = await read(datasette, datasette.databases[name],
                               lambda archive: archive.posts_by_slug(
                                   slug, limit=SHOWN, anywhere=False))
        except ArchiveTimeout:  # a big archive read past its time limit: the search remains
            continue
        posts += [{"title": title or url, "url": url, "href": f"{base}/-/post/{post_id}"}
                  for post_id, url, title in found.posts]
        more += found.total - len(found.posts)
    name = names[0] if len(names) == 1 else None
    return await render(datasette, request, "wixarchive_not_found.html", {
        # Datasette's words ("Table not found") on an archive's page; none on an address no
        # database has, where "Database not found" would mean nothing to a reader.
        "message": message if message != "404" and page_path(
            datasette, request.path).owner == "archive" else "",
        "path": request.path, "slug": slug,
        "posts": posts[:SHOWN], "more": more + max(0, len(posts) - SHOWN),
        "archives": [{"name": n, "search_url": datasette.urls.database(n) + "/-/search",
                      "table_url": datasette.urls.table(n, "posts")} for n in names],
        "database": name, "query": slug.replace("-", " ") if slug else ""}, status=404)
