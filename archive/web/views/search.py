"""The ranked search page: bm25 order, highlighted snippets and the CLI's filters.

`/<db>/-/search?q=…&site=…&author=…&tag=…&category=…&since=…&until=…&lang=…&deleted=…&offset=…`
renders HTML (`site`, `author` and `tag` may be given several times: any of the sites or
authors, every tag); `/<db>/-/search.json?…` returns the same hits as JSON (each as
Hit.to_dict(): the snippet unmarked, with `highlights`) and `/<db>/-/search.csv?…` as CSV, the
columns of `wixarchive search --csv`. Searching goes through `archive.search.search`, the API behind
`wixarchive search`, so both rank and filter alike, and refuse the same mistakes; but `lang`
also takes a common language's English name (`Spanish`), searched as its code (`es`).
`limit` goes up to Datasette's max_returned_rows (1,000 unless configured): a larger one is
capped and the JSON says so (`capped`), the CSV refuses it; both page with `offset`.
"""

from __future__ import annotations

import io
import re
import sqlite3
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from datasette.utils import MultiParams
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.cli.common import write_records
from archive.iri import display_url
from archive.search import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    HIT_FIELDS,
    Hit,
    NoSuchSite,
    SearchError,
    SearchQuery,
    count,
    search,
)
from archive.search.query import DELETED_CHOICES, filter_hints, operator_hints
from archive.store import Archive, archive_error
from archive.web import archive_sites
from archive.web.post_links import post_at
from archive.web.spelling import spelled_like
from archive.web.views import ArchiveTimeout, archive_database, read, render
from archive.web.views.language import language_code, looks_like_code, text_attributes

FILTERS = ("site", "author", "tag", "category", "since", "until", "lang", "deleted")
# The filters a request may give several times, as the CLI and API take them: any of the
# sites or authors, every one of the tags (archive.search.query.SearchQuery).
REPEATABLE = ("site", "author", "tag")
PAGE_SIZE = 20
# A post's address typed or pasted as the query (an old bookmark of the site).
_ADDRESS = re.compile(r"https?://\S+", re.IGNORECASE)
# The form's field for each CLI option a filter hint names ("use the Tag field").
FIELD_LABELS = {"--tag": "Tag", "--category": "Category", "--author": "Author contains",
                "--site": "Site", "--lang": "Language code", "--since": "Since",
                "--until": "Until"}


def highlighted(hit: Hit) -> Markup:
    """The snippet as HTML: the text escaped, matched terms wrapped in <mark>."""
    text = str(escape(" ".join(hit.snippet.split())))
    return Markup(text.replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_END, "</mark>"))


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value or default), low), high)
    except ValueError:
        return default


def parse_query(args: MultiParams, max_limit: int
                ) -> tuple[SearchQuery | None, dict[str, str | list[str]], int]:
    """The SearchQuery a request asks for (None with neither words nor a filter), its form
    values (`limit` at most max_limit; a filter given several times, a list) and the limit
    asked for."""
    form: dict[str, str | list[str]] = {
        name: (args.get(name) or "").strip() for name in ("q", *FILTERS)}
    filters: dict[str, Any] = {name: form[name] or None for name in FILTERS}
    for name in REPEATABLE:  # ?tag=a&tag=b: every tag, as the CLI's --tag a --tag b
        given = [value.strip() for value in args.getlist(name) if value.strip()]
        if len(given) > 1:
            form[name], filters[name] = given, tuple(given)
    asked = _int(args.get("limit"), PAGE_SIZE, 1, 10**9)
    limit = min(asked, max_limit)
    offset = _int(args.get("offset"), 0, 0, 10**9)
    form.update(limit=str(limit), offset=str(offset))
    filters["deleted"] = form["deleted"] or DELETED_CHOICES[0]
    # The posts' languages are codes: a language's name ("Spanish") is searched as its code,
    # which the form then shows (and language_note says so).
    code = language_code(str(form["lang"]))
    if code:
        form["lang"] = filters["lang"] = code
    # One extra hit tells whether there is a next page.
    query = SearchQuery(form["q"], **filters, limit=limit + 1, offset=offset)
    # No words but a filter: its posts, newest first; neither: the empty form.
    return (query if form["q"] or query.filtered() else None), form, asked


def language_note(typed: str, searched: str) -> str | None:
    """What the page says of the Language field: that a language's name was searched as its
    code; None when it was searched as typed."""
    if typed and searched != typed:
        return f'Language "{typed}" was searched as its code, {searched}'
    return None


def language_hint(typed: str) -> str | None:
    """For a search without hits: the Language field takes a code, when it was given a value
    that is none (nor a name language_code knows)."""
    if typed and not looks_like_code(typed):
        return (f'the Language code field takes the code a post gives its language (es, '
                f'pt-BR, the Language on each article page), not "{typed}"')
    return None


def _page_url(base: str, form: dict[str, str | list[str]], offset: int) -> str:
    args = {k: v for k, v in form.items() if v and k not in ("offset", "limit")}
    if form["limit"] != str(PAGE_SIZE):
        args["limit"] = form["limit"]
    if offset:
        args["offset"] = str(offset)
    return f"{base}?{urlencode(args, doseq=True)}"


def _site_names(archive: Archive) -> dict[str, str]:
    """Each site's root URL -> what to call it: its name, or the URL read decoded."""
    return {url: name or display_url(url)
            for url, name in archive.conn.execute("SELECT url, name FROM sites ORDER BY url")}


def _as_csv(hits: list[Hit]) -> str:
    out = io.StringIO()
    write_records([hit.to_dict() for hit in hits], "csv", HIT_FIELDS, out=out)
    return out.getvalue()


def _capped_note(asked: int, max_limit: int, next_offset: int) -> str:
    return (f"limit={asked} is more than this server gives at once ({max_limit}, Datasette's "
            f"max_returned_rows): the first {max_limit} hits are given; page with "
            f"limit={max_limit}&offset={next_offset} and so on")


async def search_page(datasette: Any, request: Any) -> Response:
    name, db = await archive_database(datasette, request)
    output = request.url_vars.get("format")
    max_limit = int(datasette.setting("max_returned_rows"))
    query, form, asked = parse_query(request.args, max_limit)
    capped = asked > max_limit
    if capped and output == "csv":  # a CSV has no room to say it was cut: refuse instead
        return Response.text(f"Error: limit={asked} is more than this server gives at once "
                             f"({max_limit}, Datasette's max_returned_rows): ask for "
                             f"limit={max_limit} and page with offset={max_limit}, "
                             f"offset={2 * max_limit}, ... until a page has fewer rows\n",
                             status=400)
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
        except sqlite3.DatabaseError as exc:  # damaged pages: said as every command says it
            error = str(archive_error(exc))
    limit, offset = int(form["limit"]), int(form["offset"])
    more = len(hits) > limit
    hits = hits[:limit]
    total = None
    if query is not None and error is None:
        total = (await _count(datasette, db, query) if more or offset
                 else len(hits))
    base = datasette.urls.database(name) + "/-/search"
    page_base = f"{base}.{output}" if output else base
    next_url = _page_url(page_base, form, offset + limit) if more else None
    prev_url = _page_url(page_base, form, max(offset - limit, 0)) if offset else None
    status = 400 if error else 200
    if output == "json":
        body = {"database": name, "query": form, "error": error, "next_url": next_url,
                "max_limit": max_limit, "capped": capped, "count": total,
                "hits": [hit.to_dict() for hit in hits]}
        return Response.json(body, status=status)
    if output == "csv":
        if error:
            return Response.text(f"Error: {error}\n", status=status)
        headers = {"content-disposition": 'attachment; filename="search.csv"'}
        if next_url:  # the next page, for a client that reads headers (pandas does not)
            headers["link"] = f'<{next_url}>; rel="next"'
        return Response(_as_csv(hits), content_type="text/csv; charset=utf-8", headers=headers)
    addressed = None
    if _ADDRESS.fullmatch(str(form["q"]).strip()):
        try:  # a post's address pasted from an old bookmark: its archived copy
            found = await read(datasette, db,
                               lambda archive: post_at(archive.conn, str(form["q"])))
        except ArchiveTimeout:
            found = None
        addressed = found and {"title": found[1] or str(form["q"]).strip(),
                               "url": datasette.urls.database(name) + f"/-/post/{found[0]}"}
    suggestion = None
    if query is not None and error is None and not hits and not offset and form["q"] \
            and not addressed:
        try:  # a mistyped word: the archive's nearest spelling, offered as a link
            spelled = await read(datasette, db, lambda archive: _finding_spelling(
                archive.conn, str(form["q"]), query))
        except (ArchiveTimeout, SearchError, NoSuchSite):
            spelled = None
        suggestion = spelled and {"q": spelled, "url": _page_url(base, {**form, "q": spelled}, 0)}
    notes = [language_note((request.args.get("lang") or "").strip(), str(form["lang"])),
             _capped_note(asked, max_limit, offset + limit) if capped else None,
             *operator_hints(str(form["q"]))]
    notice = "; ".join(note for note in notes if note) or None
    return await _render_page(datasette, request, db, name, form, hits, error, status,
                              searched=query is not None, next_url=next_url, prev_url=prev_url,
                              notice=notice, total=total, suggestion=suggestion,
                              addressed=addressed)


def _finding_spelling(conn: sqlite3.Connection, text: str, query: SearchQuery) -> str | None:
    """The query's nearest spelling the archive holds (spelling.spelled_like) when the search
    it links, the same filters kept, finds a post: the nearest word may be in other posts
    alone (another site's, with the Site field set), a link to "No matches." again."""
    spelled = spelled_like(conn, text)
    if spelled is None or not search(conn, replace(query, text=spelled, limit=1, offset=0)):
        return None
    return spelled


async def _count(datasette: Any, db: Any, query: SearchQuery) -> int | None:
    """How many posts `query` matches in all, as `wixarchive search --count` says; None when
    counting ran past the time limit (the page of hits is shown all the same)."""
    try:
        return await read(datasette, db, lambda archive: count(archive.conn, query))
    except (SearchError, NoSuchSite, ArchiveTimeout, sqlite3.DatabaseError):
        return None


async def _render_page(datasette: Any, request: Any, db: Any, name: str,
                       form: dict[str, str | list[str]],
                       hits: list[Hit], error: str | Markup | None, status: int, *,
                       searched: bool, next_url: str | None = None,
                       prev_url: str | None = None, notice: str | None = None,
                       total: int | None = None,
                       suggestion: dict[str, str] | None = None,
                       addressed: dict[str, str] | None = None) -> Response:
    try:
        sites = await read(datasette, db, _site_names)
    except ArchiveTimeout:  # the page still answers, the sites by URL
        sites = {url: display_url(url) for url in archive_sites(datasette, name) or []}
    offset = int(form["offset"])
    # Each hit's title and snippet in its post's language, as on the article page.
    rows = [{"hit": hit, "number": offset + i, "snippet": highlighted(hit),
             "text_lang": text_attributes(hit.language),
             "site": sites.get(hit.site) or display_url(hit.site),
             "article_url": datasette.urls.database(name) + f"/-/post/{hit.id}"}
            for i, hit in enumerate(hits, start=1)]
    base = datasette.urls.database(name) + "/-/search"
    context = {
        "database": name, "search_url": base, "form": form, "rows": rows, "error": error,
        "status": status,
        "searched": searched, "next_url": next_url, "prev_url": prev_url, "notice": notice,
        "total": total, "suggestion": suggestion, "addressed": addressed,
        # Words are ranked by bm25; filters alone list their posts newest first.
        "ranked": bool(form["q"]), "sites": sites, "deleted_choices": DELETED_CHOICES,
        "hints": [*filter_hints(form["q"], FIELD_LABELS), *filter(None, [language_hint(
            str(form["lang"]))])] if searched and not hits else [],
        "json_url": _page_url(base + ".json", form, offset) if searched else None,
        "csv_url": _page_url(base + ".csv", form, offset) if searched else None,
    }
    return await render(datasette, request, "wixarchive_search.html", context, status)


async def no_post_page(datasette: Any, request: Any) -> Response:
    """`/<db>/-/post` without a post id: a 404 that says where posts are, above the search."""
    name, db = await archive_database(datasette, request)
    _, form, _ = parse_query(MultiParams({}), PAGE_SIZE)
    article = datasette.urls.database(name) + "/-/post/ID"
    posts = datasette.urls.table(name, "posts")
    error = Markup(f"Not found: an article page is <code>{escape(article)}</code>. Find a post "
                   f'with the search above or in the <a href="{escape(posts)}">posts table</a>.')
    return await _render_page(datasette, request, db, name, form, [], error, 404,
                              searched=False)
