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
would be refused: `_next` and `_stream` do not go together), and so is the clause it adds to
the page's SQL from the "View and edit SQL" link (a user editing it saw `where (title is not
null or (title is null and ((id > :p0))))` and `p0=-9223372036854775808`), which keeps the
order by primary key that makes the query list the page's rows. A sorted table's streamed CSV
(`_stream=on`, which refuses `_next`) is written here instead, from the table's JSON pages of
`max_returned_rows` rows followed from that token, with the cells and headings Datasette's CSV
gives (a `_labels` column's label after it).
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlencode

from datasette.utils import tilde_decode, tilde_encode
from markupsafe import escape

from archive.web import archive_names
from archive.web.html_rewrite import html_rewriting_sender

# Before every key of a column of integer affinity (Datasette passes the token's key as text,
# which SQLite compares with such a column as a number; any text stored there is after every
# number), and of one of text affinity, where every key is text ...
_LOWEST_INTEGER = str(-(2**63))
_LOWEST_TEXT = ""
# ... and, in a descending sort, after every value: the highest code point, repeated; as text
# it is after every number (and an archive's sortable columns hold no blobs).
_HIGHEST_VALUE = "\U0010ffff" * 16


def first_page_token(descending: bool, lowest_key: str = _LOWEST_INTEGER) -> str:
    """A `_next` token before every row of a table sorted ascending (by Datasette's "$null"
    value: every non-null value, then nulls by key) or descending, whose keys all come after
    `lowest_key`."""
    value = tilde_encode(_HIGHEST_VALUE) if descending else "$null"
    return f"{value},{tilde_encode(lowest_key)}"


def _without_token(html: bytes, token: str) -> bytes:
    """The page with the injected token gone from its links and its forms' hidden fields
    (a link's URL-encodes it: the ascending token's `$null` is `%24null` there)."""
    value, key = (rb"(?:%s|%s)" % (re.escape(part.encode()), re.escape(quote_plus(part).encode()))
                  for part in token.split(","))
    encoded = value + rb"(?:%2C|,)" + key + rb'(?=[&"]|$)'  # not the start of another token
    html = re.sub(rb'<input[^>]*name="_next"[^>]*value="' + encoded + rb'"[^>]*>', b"", html)
    html = re.sub(rb"\?_next=" + encoded + rb"(?:&amp;|&)?", b"?", html)
    return re.sub(rb"(?:&amp;|&)_next=" + encoded, b"", html)


def _group_end(text: str, start: int) -> int:
    """Where the parenthesised group opening at `start` ends (after its `)`), or -1."""
    depth = 0
    for position in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[position], 0)
        if depth == 0:
            return position + 1
    return -1


def _sql_without_token(sql: str, params: list[tuple[str, str]], token_values: set[str],
                       ordered: bool = True) -> tuple[str, list[tuple[str, str]]] | None:
    """A sorted first page's SQL and parameters without the clause its token added (the last of
    its where clause, one parenthesised group, whose parameters hold the token's values);
    None when the SQL has no such clause. `ordered`: the SQL ends with its `order by` (the
    page's), else with the where clause (the query its facets count)."""
    end = sql.rfind(" order by ") if ordered else len(sql.rstrip())
    for keyword in reversed(list(re.finditer(r"(?:where | and )(?=\()", sql[:max(end, 0)]))):
        if _group_end(sql, keyword.end()) != end:
            continue
        names = set(re.findall(r":(p\d+)\b", sql[keyword.end():end]))
        head = sql[:keyword.start()]
        values = {name: value for name, value in params if name in names}
        if not names or names != values.keys() or not set(values.values()) <= token_values \
                or any(re.search(rf":{name}\b", head) for name in names):
            return None
        return head.rstrip() + sql[end:], [(k, v) for k, v in params if k not in names]
    return None


def first_page_values(request_args: Any) -> set[str] | None:
    """The values a first page's `_next` token (SortedFirstPage's, or the same typed by hand)
    puts in its SQL's parameters, or None when the request's `_next` is not such a token."""
    value, _, key = (request_args.get("_next") or "").partition(",")
    key = tilde_decode(key)
    if key not in (_LOWEST_INTEGER, _LOWEST_TEXT) or (
            value != "$null" and tilde_decode(value) != _HIGHEST_VALUE):
        return None
    return {key, _HIGHEST_VALUE}


def every_row_query(sql: str, params: dict[str, Any], request_args: Any
                    ) -> tuple[str, dict[str, Any]]:
    """A table page's query of its rows as its facets count them (no order, no limit), without
    the clause of a first page's token: that clause selects every row, but SQLite cannot see it
    and reads the table's rows for it, where a facet of the whole table reads one index (at
    200,000 posts a sorted page's site_id facet took 935 ms, the unsorted page's 39 ms)."""
    values = first_page_values(request_args)
    found = _sql_without_token(sql, [(k, str(v)) for k, v in params.items()], values,
                               ordered=False) if values else None
    if found is None:
        return sql, params
    kept = {name for name, _ in found[1]}
    return found[0], {k: v for k, v in params.items() if k in kept}


def _sql_links_without_token(html: bytes, token_values: set[str]) -> bytes:
    """The page with its links to the SQL of the rows shown (and their titles, the SQL) freed
    of the token's clause."""
    def mended(link: re.Match[bytes]) -> bytes:
        href = link.group(1).decode("utf-8").replace("&amp;", "&")
        path, _, query = href.partition("?")
        args = parse_qsl(query, keep_blank_values=True)
        sql = next((value for key, value in args if key == "sql"), None)
        found = _sql_without_token(sql, [(k, v) for k, v in args if k != "sql"],
                                   token_values) if sql else None
        if found is None:
            return link.group(0)
        new_sql, params = found
        new_href = f"{path}?{urlencode([('sql', new_sql), *params])}"
        replaced = link.group(0).replace(link.group(1), str(escape(new_href)).encode("utf-8"))
        old_title, new_title = (f'title="{escape(text)}"'.encode() for text in (sql, new_sql))
        return replaced.replace(old_title, new_title)

    return re.sub(rb'<a [^>]*href="([^"]*\?sql=[^"]*)"[^>]*>', mended, html)


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
            path = scope.get("path", "")
            lowest = await self._lowest_key(path) if len(sorted_by) == 1 \
                and "_next" not in keys else None
            if lowest is not None and "_stream" in keys and path.endswith(".csv"):
                await self._stream_csv(scope, send, args, "_sort_desc" in sorted_by, lowest)
                return
            if lowest is not None and "_stream" not in keys:
                token = first_page_token("_sort_desc" in sorted_by, lowest)
                args.append(("_next", token))
                scope = dict(scope, query_string=urlencode(args).encode("ascii"))
                await self.app(scope, receive, _page_sender(send, token, {lowest, _HIGHEST_VALUE}))
                return
        await self.app(scope, receive, send)

    async def _stream_csv(self, scope: dict, send: Any, args: list[tuple[str, str]],
                          descending: bool, lowest_key: str) -> None:
        """The sorted table's CSV, every row once: its JSON pages, from the first page's token
        on, written as Datasette writes a table's CSV."""
        asked = [(k, v) for k, v in args if k not in ("_stream", "_dl", "_size", "_next")]
        asked += [("_size", "max"), ("_nofacet", "1"), ("_nocount", "1")]
        json_scope = dict(scope, path=scope["path"].removesuffix(".csv") + ".json",
                          raw_path=None)
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        if any(k == "_dl" and v for k, v in args):
            table = scope["path"].rsplit("/", 1)[-1].removesuffix(".csv")
            headers = [(b"content-type", b"text/csv; charset=utf-8"),
                       (b"content-disposition", f'attachment; filename="{table}.csv"'.encode())]
        token: str | None = first_page_token(descending, lowest_key)
        started = False
        while token:
            status, body = await self._get(dict(json_scope, query_string=urlencode(
                [*asked, ("_next", token)]).encode("ascii")))
            if status != 200:  # as Datasette's stream says a failure: its text, where it stopped
                if not started:
                    await send({"type": "http.response.start", "status": status,
                                "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            data = json.loads(body)
            out = io.StringIO()
            writer = csv.writer(out)
            expanded = set(data.get("expanded_columns") or [])
            if not started:
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                started = True
                if not any(k == "_header" and v == "off" for k, v in args):
                    writer.writerow([name for column in data["columns"] for name in (
                        (column, f"{column}_label") if column in expanded else (column,))])
            for row in data["rows"]:  # arrays, or objects with _labels
                cells = [row[column] for column in data["columns"]] if isinstance(row, dict) \
                    else row
                writer.writerow([value for column, cell in zip(data["columns"], cells, strict=True)
                                 for value in _csv_cells(cell, column in expanded)])
            token = data.get("next")
            await send({"type": "http.response.body", "body": out.getvalue().encode("utf-8"),
                        "more_body": bool(token)})

    async def _get(self, scope: dict) -> tuple[int, bytes]:
        """The status and body Datasette answers a GET of `scope` with (the user's headers,
        so the same permissions, kept)."""
        status, chunks = 500, []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def collect(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        return status, b"".join(chunks)

    async def _lowest_key(self, path: str) -> str | None:
        """When `path` is a table page (HTML, JSON or CSV) of an archive whose rows have one
        key (a primary key column or SQLite's rowid; a view's `_next` is an offset), a key
        before all of them; else None. A text key is after '' (the lowest integer, as text,
        was after '#a': a row with that key and no sort value was left out); a key of another
        affinity (REAL, NUMERIC, none) has no such value and is paged as Datasette pages it."""
        bare = path.removesuffix(".json").removesuffix(".csv")
        for name in archive_names(self.datasette):
            database_path = self.datasette.urls.database(name) + "/"
            if not bare.startswith(database_path):
                continue
            db = self.datasette.get_database(name)
            table = bare[len(database_path):]
            if "/" in table or table not in await db.table_names():
                return None
            keys = await db.primary_keys(table)
            if len(keys) != 1:
                return None if keys else _LOWEST_INTEGER  # the rowid
            declared = next(column.type.upper() for column in
                            await db.table_column_details(table) if column.name == keys[0])
            if "INT" in declared:  # SQLite's affinity rules, in their order
                return _LOWEST_INTEGER
            return _LOWEST_TEXT if any(kind in declared for kind in ("CHAR", "CLOB", "TEXT")) \
                else None
        return None


def _csv_cells(cell: Any, expanded: bool) -> list[Any]:
    """A JSON cell as Datasette's CSV writes it: a labelled key as its value and label."""
    if not expanded:
        return [cell]
    if isinstance(cell, dict):
        return [cell.get("value"), cell.get("label")]
    return ["", ""] if cell is None else [cell, ""]


def _page_sender(send: Any, token: str, token_values: set[str]) -> Any:
    """`send` for a page asked for with `token` (whose parameters in the page's SQL hold
    `token_values`): an HTML page is held whole and sent without it (its Content-Length with
    it); anything else passes as it is."""
    return html_rewriting_sender(
        send, lambda page: _sql_links_without_token(_without_token(page, token), token_values))
