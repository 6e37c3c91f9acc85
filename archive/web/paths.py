"""What a request path of the Datasette instance is, for the ASGI middlewares (headers.py,
page_structure.py), which each decide from it what to do with the response."""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

from archive.web import archive_names
from archive.web.html_rewrite import html_rewriting_sender

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



class WithoutBaseUrl:
    """ASGI middleware: a Datasette page of an archive or of the instance (the front page,
    `/-/metadata`, `/-/plugins`…) asked for under Datasette's `base_url` reaches Datasette with
    its path as if asked for without it.

    Datasette 0.65 routes a path with or without the prefix, but builds most of a page's links
    to itself (the Next page link and `next_url`, sorting, facets, JSON and CSV) as
    `urls.path(request.path + …)`, adding the prefix to a path that already has it: behind a
    proxy that keeps the prefix, `/archive/blog/posts` linked its next page as
    `/archive/archive/blog/posts?_next=…`, a 404; every instance page's JSON alternate (its
    `<link rel="alternate">` and `Link` header) was `/archive/archive/-/metadata.json`, a 404
    (a 400 for an archive named as the prefix). The few it builds from the path alone (a
    facet's "…" link, the redirects of a trailing slash, `.jsono` or a %-encoded name) get
    the prefix here instead. Other databases' pages are left as Datasette serves them.
    """

    def __init__(self, app: Any, datasette: Any) -> None:
        self.app = app
        self.datasette = datasette

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        base_url = self.datasette.setting("base_url")
        path = scope.get("path", "")
        page = page_path(self.datasette, path) if base_url != "/" else None
        if scope.get("type") != "http" or page is None or not path.startswith(base_url) \
                or page.owner not in ("archive", "instance") or page.plugin_page \
                or page.media_file:
            await self.app(scope, receive, send)
            return
        if ("/" + path[len(base_url):]).startswith(base_url):
            # An archive named as the prefix (archive.db under /archive/): Datasette would take
            # the prefix off the path given without it too, `/archive/posts` routed as `/posts`,
            # a 404. It gets the path whole, and its links' prefix given twice is given once.
            await self.app(scope, receive, _collapsing_sender(send, base_url.encode(
                "latin-1", "replace")))
            return
        scope = dict(scope, path="/" + path[len(base_url):])
        raw_path, raw_base = scope.get("raw_path"), base_url.encode("latin-1", "replace")
        if raw_path is not None:
            scope["raw_path"] = b"/" + raw_path[len(raw_base):] \
                if raw_path.startswith(raw_base) else None
        await self.app(scope, receive, _prefixing_sender(send, raw_base))


def _prefixing_sender(send: Any, base_url: bytes) -> Any:
    """`send` giving the prefix to a redirect's Location and an HTML page's links that lack it
    (root-relative ones: Datasette's cells hold no such link, only text)."""
    unprefixed = re.compile(rb'((?:href|action|src)=")/(?!/|' + re.escape(base_url[1:]) + rb")")

    def prefixed(location: bytes) -> bytes:
        if location.startswith(b"/") and not location.startswith((b"//", base_url)):
            return base_url + location[1:]
        return location

    return html_rewriting_sender(
        send, lambda page: unprefixed.sub(rb"\1" + base_url, page),
        headers=lambda headers: [(k, prefixed(v) if k.lower() == b"location" else v)
                                 for k, v in headers])


def _collapsing_sender(send: Any, base_url: bytes) -> Any:
    """`send` for a page of the archive named as the prefix, asked for with it: the links
    Datasette builds from its path have the prefix twice (`/archive/archive/archive/posts` for
    `/archive/archive/posts`), in a redirect's Location, the JSON alternate's `Link` header
    (`<…/archive/archive/archive/posts.json>`, a 400 until 2026-12-07) and at the start of an
    HTML attribute's or a JSON string's value (next_url, toggle_url), with or without the
    host: once there."""
    doubled = base_url + base_url[1:]
    tripled = re.compile(rb'((?:^|["\'<])(?:https?://[^/"\'\s>]+)?)'
                         + re.escape(doubled + base_url[1:]))

    def collapsed(text: bytes) -> bytes:
        return tripled.sub(lambda link: link.group(1) + doubled, text)

    return html_rewriting_sender(
        send, collapsed, types=(b"text/html", b"application/json"),
        headers=lambda headers: [(k, collapsed(v) if k.lower() in (b"location", b"link") else v)
                                 for k, v in headers])
