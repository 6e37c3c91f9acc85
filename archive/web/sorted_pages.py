"""A sorted table's pages, each row on exactly one of them (`?_sort=` / `?_sort_desc=`).

Datasette 0.65 pages a sorted table by keyset: a page's `_next` token is the sort value and
the primary key of its last row, and the next page asks for the rows after it, ordering ties by
the primary key. But it orders the first page by the sort column alone: SQLite then gives tied
rows in the order of the index it reads (`posts_site` is site and date: the posts of one site
by date; an index read backwards for `_sort_desc`: the highest ids first). So when the first
page ended inside a run of ties, the second repeated some of them and the rest of the run was
never listed. In an archive of 306 posts, `posts.json?_sort=site_id` paged with `next_url` gave
290 rows, 286 of them distinct; `?_sort_desc=language` ended after 11.

The first page of a sorted table is therefore asked for as a page after a key before every row
(ASGI, before Datasette reads the request): Datasette then orders it by the sort column and
the primary key, as every later page. Datasette carries a page's arguments into its links and
forms, so that token is taken out of the HTML page again (a "stream all rows" form holding it
would be refused: `_next` and `_stream` do not go together). A streamed CSV (`_stream=on`) is
left as it is: it is read as one page of `max_returned_rows` rows first.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.utils import tilde_encode

from archive.web import archive_names

# Before every primary key SQLite stores (an integer; any text is after every number) ...
_LOWEST_KEY = str(-(2**63))
# ... and, in a descending sort, after every value: the highest code point, repeated; as text
# it is after every number (and an archive's sortable columns hold no blobs).
_HIGHEST_VALUE = "\U0010ffff" * 16


def first_page_token(descending: bool) -> str:
    """A `_next` token before every row of a table sorted ascending (by Datasette's "$null"
    value: every non-null value, then nulls by key) or descending."""
    value = tilde_encode(_HIGHEST_VALUE) if descending else "$null"
    return f"{value},{tilde_encode(_LOWEST_KEY)}"


def _without_token(html: bytes, token: str) -> bytes:
    """The page with the injected token gone from its links and its forms' hidden fields."""
    value, key = (re.escape(part.encode()) for part in token.split(","))
    encoded = value + rb"(?:%2C|,)" + key
    html = re.sub(rb'<input[^>]*name="_next"[^>]*value="' + encoded + rb'"[^>]*>', b"", html)
    html = re.sub(rb"\?_next=" + encoded + rb"(?:&amp;|&)?", b"?", html)
    return re.sub(rb"(?:&amp;|&)_next=" + encoded, b"", html)


class SortedFirstPage:
    """ASGI middleware: a sorted table page of an archive without `_next` gets the token of
    the key before every row, so its ties are ordered by primary key as the next page's are."""

    def __init__(self, app: Any, datasette: Any) -> None:
        self.app = app
        self.datasette = datasette

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("query_string"):
            args = parse_qsl(scope["query_string"].decode("utf-8", "replace"),
                             keep_blank_values=True)
            keys = {key for key, _ in args}
            sorted_by = keys & {"_sort", "_sort_desc"}
            if len(sorted_by) == 1 and not keys & {"_next", "_stream"} \
                    and await self._keyed_table(scope.get("path", "")):
                token = first_page_token("_sort_desc" in sorted_by)
                args.append(("_next", token))
                scope = dict(scope, query_string=urlencode(args).encode("ascii"))
                await self.app(scope, receive, _page_sender(send, token))
                return
        await self.app(scope, receive, send)

    async def _keyed_table(self, path: str) -> bool:
        """Whether `path` is a table page (HTML, JSON or CSV) of an archive whose rows have one
        key: an integer primary key or SQLite's rowid (a view's `_next` is an offset)."""
        bare = path.removesuffix(".json").removesuffix(".csv")
        for name in archive_names(self.datasette):
            database_path = self.datasette.urls.database(name) + "/"
            if not bare.startswith(database_path):
                continue
            db = self.datasette.get_database(name)
            table = bare[len(database_path):]
            if "/" in table or table not in await db.table_names():
                return False
            return len(await db.primary_keys(table)) <= 1
        return False


def _page_sender(send: Any, token: str) -> Any:
    """`send` for a page asked for with `token`: an HTML page is held whole and sent without
    it (its Content-Length with it); anything else passes as it is."""
    start: dict | None = None
    body: list[bytes] = []

    async def sender(message: dict) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            if headers.get(b"content-type", b"").startswith(b"text/html"):
                start = message
                return
        elif message["type"] == "http.response.body" and start is not None:
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = _without_token(b"".join(body), token)
            headers = [(k, v) for k, v in start.get("headers") or [] if k != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})
            return
        await send(message)

    return sender
