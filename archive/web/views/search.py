"""The ranked search page: bm25 order, highlighted snippets and the CLI's filters.

`/<db>/-/search?q=…&site=…&author=…&tag=…&category=…&since=…&until=…&lang=…&deleted=…&offset=…`
renders HTML; `/<db>/-/search.json?…` returns the same hits as JSON (each as Hit.to_dict(): the
snippet unmarked, with `highlights`). Searching goes through `archive.search.search`, the API
behind `wixarchive search`, so both rank and filter alike, and refuse the same mistakes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.search import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    Hit,
    NoSuchSite,
    SearchError,
    SearchQuery,
    search,
)
from archive.search.query import DELETED_CHOICES
from archive.web import archive_sites
from archive.web.views import ArchiveTimeout, archive_database, read, render

FILTERS = ("site", "author", "tag", "category", "since", "until", "lang", "deleted")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def highlighted(hit: Hit) -> Markup:
    """The snippet as HTML: the text escaped, matched terms wrapped in <mark>."""
    text = str(escape(" ".join(hit.snippet.split())))
    return Markup(text.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>"))


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def parse_query(args: Any) -> tuple[SearchQuery | None, dict[str, str]]:
    """The SearchQuery a request asks for (None with neither words nor a filter) and its form
    values."""
    form = {name: (args.get(name) or "").strip() for name in ("q", *FILTERS)}
    limit = _int(args.get("limit"), PAGE_SIZE, 1, MAX_PAGE_SIZE)
    offset = _int(args.get("offset"), 0, 0, 10**9)
    form.update(limit=str(limit), offset=str(offset))
    filters: dict[str, Any] = {name: form[name] or None for name in FILTERS}
    filters["deleted"] = form["deleted"] or DELETED_CHOICES[0]
    # One extra hit tells whether there is a next page.
    query = SearchQuery(form["q"], **filters, limit=limit + 1, offset=offset)
    # No words but a filter: its posts, newest first; neither: the empty form.
    return (query if form["q"] or query.filtered() else None), form


def _page_url(base: str, form: dict[str, str], offset: int) -> str:
    args = {k: v for k, v in form.items() if v and k not in ("offset", "limit")}
    if form["limit"] != str(PAGE_SIZE):
        args["limit"] = form["limit"]
    if offset:
        args["offset"] = str(offset)
    return f"{base}?{urlencode(args)}"


async def search_page(datasette: Any, request: Any) -> Response:
    name, db = await archive_database(datasette, request)
    query, form = parse_query(request.args)
    hits: list[Hit] = []
    error = None
    if query is not None:
        try:
            hits = await read(datasette, db, lambda archive: search(archive.conn, query))
        except (SearchError, NoSuchSite, ArchiveTimeout) as exc:
            error = str(exc)
            if error.endswith("interrupted"):  # search() reports the time limit this way
                error = (f"the search took longer than {datasette.setting('sql_time_limit_ms')}"
                         " ms and was stopped: use longer word prefixes, more words or filters")
    limit, offset = int(form["limit"]), int(form["offset"])
    more = len(hits) > limit
    hits = hits[:limit]
    as_json = request.url_vars.get("format") == "json"
    base = datasette.urls.database(name) + "/-/search"
    page_base = base + ".json" if as_json else base
    next_url = _page_url(page_base, form, offset + limit) if more else None
    prev_url = _page_url(page_base, form, max(offset - limit, 0)) if offset else None
    status = 400 if error else 200
    if as_json:
        body = {"database": name, "query": form, "error": error, "next_url": next_url,
                "hits": [hit.to_dict() for hit in hits]}
        return Response.json(body, status=status)
    rows = [{"hit": hit, "number": offset + i, "snippet": highlighted(hit),
             "article_url": datasette.urls.database(name) + f"/-/post/{hit.id}"}
            for i, hit in enumerate(hits, start=1)]
    context = {
        "database": name, "form": form, "rows": rows, "error": error,
        "searched": query is not None, "next_url": next_url, "prev_url": prev_url,
        "sites": archive_sites(datasette, name) or [], "deleted_choices": DELETED_CHOICES,
        "json_url": _page_url(base + ".json", form, offset) if query else None,
    }
    return await render(datasette, request, "wixarchive_search.html", context, status)
