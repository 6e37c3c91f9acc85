"""The posts table's facets: counted over what the page lists, those of the whole table kept;
its date facet (DayFacet) reads each day as its page gives it.

The table page of a big archive asks six facets at every visit, each given 200 ms by Datasette
(`facet_time_limit_ms`). Over the whole table each is one read of an index of every post: 12-63
ms at 200,000 posts on the 2-core machine at load 3, but at 428,000 posts and load 6-8 (a third
of a core each) every one of them timed out ("These facets timed out"). The whole table's counts
change only when the archive does, so they are kept, per read connection, until its `PRAGMA
data_version` says another connection (a crawl, an import) committed a change; counted once, with
the time limit of a page's own query (`sql_time_limit_ms`) rather than a facet's, so that a
loaded machine still gets them once rather than never.

A sorted table's first page carries a token (sorted_pages.py) whose clause selects every row:
its facets are counted as the whole table's (`every_row_query`), not over a scan of every post.
"""

from __future__ import annotations

import re
import sqlite3
import weakref
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.tracer import trace
from datasette.utils import (
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
    sqlite_timelimit,
)

from archive.web.metadata import FACETS
from archive.web.sorted_pages import every_row_query

POSTS = "posts"
# The posts table's columns the default facets count by year (metadata.FACETS).
YEAR_FACETED = tuple(column for facet in FACETS[POSTS] if isinstance(facet, dict)
                     for kind, column in facet.items() if kind == "year")
# The arguments asking a facet of a column: Datasette's own, and this plugin's (list_facets.py).
_FACET_ARGS = ("_facet", "_facet_array", "_facet_counted", "_facet_list", "_facet_day")

# Datasette instance -> {(database, id of a read connection): (its data_version, {SQL: rows})}
_kept: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], tuple[int, dict[str, list[Any]]]]] = (
    weakref.WeakKeyDictionary())


def counted_facets(query_string: bytes, columns: Collection[str],
                   faceted: Collection[str] = ()) -> bytes:
    """The posts table's query string with each facet the user added by a column's name
    (`_facet=reading_minutes`, a column menu's "Facet by this") asked of ColumnCountFacet
    (`_facet_counted=`): Datasette's own counted it at every visit under the 200 ms of a facet,
    and one reading every post whole (612 ms at 173,000 posts) timed out at every visit. The
    page's links then carry `_facet_counted=`, which asks the same. One asked of a column a
    default facet counts already (`faceted`: author, tags) is left out: Datasette showed it
    twice (`author_2`), and `_facet=tags` counted the posts' JSON lists as values. A date facet
    (`_facet_date=published`) is asked of DayFacet (`_facet_day=`). Anything else (a JSON
    config, no such column) is left to Datasette."""
    args = parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
    kept = [(key, value) for key, value in args
            if not (key in _FACET_ARGS and value in faceted)]
    if kept == args and not any(key in _ASKED_OF_OURS and value in columns for key, value in args):
        return query_string
    return urlencode([(_ASKED_OF_OURS.get(key, key) if value in columns else key, value)
                      for key, value in kept]).encode("ascii")


# Datasette's facets of a posts column asked of this module's instead: `_facet` (counted as
# above) and `_facet_date` (DayFacet: Datasette's read dates through SQLite's date()).
_ASKED_OF_OURS = {"_facet": "_facet_counted", "_facet_date": "_facet_day"}


def whole_table(sql: str, params: dict[str, Any] | None) -> bool:
    """Whether a facet's `sql` is every post: Datasette's query of the posts table page with no
    where clause (a filter, a search). Anything else is counted as the page's own query: a
    `?_where=` clause ending in a comment (`1=0 -- from posts`) ends the query as the whole
    table's does, but is a filter."""
    return not params and re.fullmatch(rf"select [^()]* from \[?{POSTS}\]?\s*", sql) is not None \
        and re.search(r"\swhere\s", sql, re.IGNORECASE) is None


def page_query(facet: Facet) -> tuple[str, dict[str, Any]]:
    """The query of the rows `facet` counts: its page's, a first page's token clause left out."""
    return every_row_query(facet.sql, dict(facet.params or {}), facet.request.args)


async def facet_rows(facet: Facet, sql: str, params: dict[str, Any], whole: bool
                     ) -> list[Any] | None:
    """The rows of one of `facet`'s queries, or None when it ran past its time limit: the page
    then names the facet as timed out. `whole`: `sql` counts the whole table (it reads no page
    query, nor `params`), kept until the archive changes."""
    if not whole:
        try:
            return (await facet.ds.execute(
                facet.database, sql, params, truncate=False,
                custom_time_limit=facet.ds.setting("facet_time_limit_ms"))).rows
        except QueryInterrupted:
            return None
    kept = _kept.setdefault(facet.ds, {})
    limit = facet.ds.setting("sql_time_limit_ms")

    def counted(conn: sqlite3.Connection) -> list[Any] | None:
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        key = (facet.database, id(conn))
        known = kept.get(key)
        if known is None or known[0] != version:
            known = kept[key] = (version, {})
        if sql not in known[1]:
            try:
                with sqlite_timelimit(conn, limit):
                    known[1][sql] = conn.execute(sql).fetchall()
            except sqlite3.OperationalError as exc:
                if exc.args == ("interrupted",):
                    return None
                raise
        return known[1][sql]

    with trace("sql", database=facet.database, sql=sql.strip(), params={}):  # as ?_trace=1 lists
        return await facet.ds.databases[facet.database].execute_fn(counted)


def facet_result(facet: Facet, column: str, source: str, rows: list[Any], size: int,
                 pair_of: Callable[[Any], dict[str, str]], selected: Callable[[Any], bool],
                 facet_arg: str, labels: dict[Any, Any] | None = None) -> dict[str, Any]:
    """A facet's entry on the page, as Datasette's own facets write it: its first `size` rows
    (value, count), each with the URL choosing it or, `selected`, dropping it (`pair_of`: its
    query string pair), and the URL dropping the facet (`facet_arg`: how it was asked for);
    `labels`: a value's label when it is not the value (a foreign key's)."""
    values = []
    for row in rows[:size]:
        chosen, pair = selected(row["value"]), pair_of(row["value"])
        path = facet.ds.urls.path(path_with_removed_args(facet.request, pair) if chosen
                                  else path_with_added_args(facet.request, pair))
        label = (labels or {}).get(row["value"], row["value"])
        values.append({"value": row["value"], "label": label, "count": row["count"],
                       "selected": chosen,
                       "toggle_url": facet.ds.absolute_url(facet.request, path)})
    return {"name": column, "type": facet.type, "results": values,
            "hideable": source != "metadata", "truncated": len(rows) > size,
            "toggle_url": facet.ds.urls.path(
                path_with_removed_args(facet.request, {facet_arg: column}))}


class _ValueCountFacet(Facet):
    """A facet counting the page's rows (or, on the posts table's first page, the whole table's:
    facet_rows keeps those) a value at a time, most rows first; subclasses say what the value is
    of a row (`value_sql`) and how choosing one filters the page (`entry`)."""

    order = "count desc, value"

    async def suggest(self) -> list[dict[str, Any]]:
        return []  # asked for by name (metadata, `_facet_date`), never suggested

    def value_sql(self, column: str) -> str:
        """The SQL of a row's value, from its (escaped) column."""
        return column

    async def entry(self, column: str, source: str, rows: list[Any], size: int,
                    args: set[tuple[str, str]]) -> dict[str, Any]:
        raise NotImplementedError

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = set(self.get_querystring_pairs())
        size = self.get_facet_size()
        query, params = page_query(self)
        whole = self.table == POSTS and whole_table(query, params)
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            value = self.value_sql(escape_sqlite(column))
            rows_of = f"{escape_sqlite(self.table)}" if whole else f"(\n{query}\n)"
            sql = (f"select {value} as value, count(*) as count from {rows_of} where {value} is "
                   f"not null group by {value} order by {self.order} limit {size + 1}")
            rows = await facet_rows(self, sql, params, whole)
            if rows is None:
                timed_out.append(column)
                continue
            results.append(await self.entry(column, source, rows, size, args))
        return results, timed_out


class ColumnCountFacet(_ValueCountFacet):
    """Facet by a column's values, most rows first, as Datasette's own column facet (`?_facet=`)
    counts them; the whole table's counts kept (see the module), a sorted first page's counted as
    the whole table's."""

    type = "counted"

    async def entry(self, column: str, source: str, rows: list[Any], size: int,
                    args: set[tuple[str, str]]) -> dict[str, Any]:
        labels = {key[1]: label for key, label in (await self.ds.expand_foreign_keys(
            self.database, self.table, column, [row["value"] for row in rows[:size]])).items()}
        # As Datasette's column facet: a column named with "_" is filtered by `__exact`.
        arg = f"{column}__exact" if column.startswith("_") else column
        entry = facet_result(self, column, source, rows, size,
                             lambda value: {arg: str(value)},
                             lambda value: (arg, str(value)) in args,
                             "_facet_counted", labels)  # as counted_facets asks it
        # Shown as Datasette's: no "(counted)"; whole dates beside the default year facet on the
        # same column are headed "published (date)", not a second "published".
        return dict(entry, type="date" if self.table == POSTS and column in YEAR_FACETED
                    else "column")


# A value's day as its page gives it (offset kept: 23:30 -05:00 on 3 June is 3 June), or a month
# or a year alone as itself; NULL for anything else (not a date).
_DAY_OF = ("(case when {col} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' "
           "then substr({col}, 1, 10) when {col} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]' "
           "or {col} glob '[0-9][0-9][0-9][0-9]' then {col} end)")


class DayFacet(_ValueCountFacet):
    """The posts table's date facet (`_facet_date=COLUMN`, asked of it by `counted_facets`),
    most posts first. Datasette's counts SQLite's date() of each value: it left out a post dated
    by a month alone (`2024-06`, kept so: docs/fields.md), counted one dated `2024` as the day
    -4707-06-09 (date() reads a number as a Julian day), and one at 23:30 -05:00 as the next
    day (date() converts to UTC). Here each is counted on the day its page gives, a month or a
    year alone as itself; choosing a day lists the posts of that day (`__startswith`), choosing
    a month or year alone the posts dated so (`__exact`)."""

    type = "day"
    order = "count desc, value desc"

    def value_sql(self, column: str) -> str:
        return _DAY_OF.format(col=column)

    async def entry(self, column: str, source: str, rows: list[Any], size: int,
                    args: set[tuple[str, str]]) -> dict[str, Any]:
        def pair_of(value: str) -> tuple[str, str]:
            return (f"{column}__{'startswith' if len(value) == 10 else 'exact'}", value)
        entry = facet_result(self, column, source, rows, size,
                             lambda value: dict([pair_of(value)]),
                             lambda value: pair_of(value) in args, "_facet_day")
        return dict(entry, type="date")  # headed "published (date)", as Datasette's
