"""The posts table's tag and category facets, counted from the archive's join tables.

Datasette's array facet (`{"array": "tags"}`) reads each post's JSON list with json_each and
keeps whole rows to count each post once, and its filter (`tags__arraycontains=`) reads the
list of every post too: both read every posts row, whose pages hold the start of each body,
so at 210,000 posts the facets ran past the 200 ms Datasette gives one ("These facets timed
out: tags, categories"). The archive keeps the same lists as rows (post_tags and tags,
post_categories and categories, written by archive/ingest.py), indexed by tag and by post:
`ListFacet` counts there, and its filter (`_tag=NAME`, `_category=NAME`, repeatable: every one
is required) reads there. The names are the tags table's (spelled as first archived), matched
as the ranked search's `tag` filter matches them (any case, beyond ASCII too: ÇAY finds çay).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import path_with_added_args, path_with_removed_args

from archive.search.query import NOT_ASCII, name_case, names_like
from archive.web import archive_sites

POSTS = "posts"


def whole_table(sql: str, params: dict[str, Any] | None) -> bool:
    """Whether a facet's `sql` is every post: Datasette's query of the posts table page with no
    where clause (a filter, a search). Anything else is counted as the page's own query: a
    `?_where=` clause ending in a comment (`1=0 -- from posts`) ends the query as the whole
    table's does, but is a filter."""
    return not params and re.fullmatch(rf"select [^()]* from \[?{POSTS}\]?\s*", sql) is not None \
        and re.search(r"\swhere\s", sql, re.IGNORECASE) is None


class ListOf:
    """A list column of the posts and the tables that hold it as rows."""

    def __init__(self, arg: str, join: str, key: str, lookup: str) -> None:
        self.arg, self.join, self.key, self.lookup = arg, join, key, lookup

    def posts_named(self, param: str) -> str:
        """SQL: the ids of the posts whose list holds the name in `:param` (read by `name_case`),
        `:{param}_glob` holding NOT_ASCII (`named`)."""
        return (f"select j.post_id from {self.join} j where j.{self.key} in "
                f"({names_like(self.lookup, f':{param}', f':{param}_glob')})")

    @staticmethod
    def named(param: str, name: str) -> dict[str, str]:
        """The parameters of `posts_named(param)` for the name asked for."""
        return {param: name_case(name), f"{param}_glob": NOT_ASCII}


LISTS = {"tags": ListOf("_tag", "post_tags", "tag_id", "tags"),
         "categories": ListOf("_category", "post_categories", "category_id", "categories")}


async def facet_rows(facet: Facet, sql: str) -> Any | None:
    """The rows of one of `facet`'s queries (the table's parameters), or None when it ran past
    Datasette's facet time limit: the page then names the facet as timed out."""
    try:
        return await facet.ds.execute(facet.database, sql, facet.params, truncate=False,
                                      custom_time_limit=facet.ds.setting("facet_time_limit_ms"))
    except QueryInterrupted:
        return None


def facet_result(facet: Facet, column: str, source: str, rows: list[Any], size: int,
                 pair_of: Callable[[str], dict[str, str]], selected: Callable[[str], bool],
                 facet_arg: str) -> dict[str, Any]:
    """A facet's entry on the page, as Datasette's own facets write it: its first `size` rows
    (value, count), each with the URL choosing it or, `selected`, dropping it (`pair_of`: its
    query string pair), and the URL dropping the facet (`facet_arg`: how it was asked for)."""
    values = []
    for row in rows[:size]:
        chosen, pair = selected(row["value"]), pair_of(row["value"])
        path = facet.ds.urls.path(path_with_removed_args(facet.request, pair) if chosen
                                  else path_with_added_args(facet.request, pair))
        values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                       "selected": chosen,
                       "toggle_url": facet.ds.absolute_url(facet.request, path)})
    return {"name": column, "type": facet.type, "results": values,
            "hideable": source != "metadata", "truncated": len(rows) > size,
            "toggle_url": facet.ds.urls.path(
                path_with_removed_args(facet.request, {facet_arg: column}))}


class ListFacet(Facet):
    """Facet by a list column of the posts (tags, categories), counted from its join table;
    selecting a value filters `_tag=` or `_category=` (see the module)."""

    type = "list"

    async def suggest(self) -> list[dict[str, Any]]:
        return []  # offered through metadata only, never suggested

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        if self.table != POSTS or archive_sites(self.ds, self.database) is None:
            return results, timed_out
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            listed = LISTS.get(column)
            if listed is None:
                continue
            # Filtered, the facet counts the posts of the table's own query (its filters and
            # search; on lines of its own, as Datasette's facets wrap it: a `?_where=` may end
            # in a comment), looked up one by one; the whole table, the join table alone (every row
            # is of a post): the lookups took 260 ms at 70,000 posts, this 20.
            posts = ("" if whole_table(self.sql, self.params) else
                     f"where j.post_id in (select id from (\n{self.sql}\n)) ")
            sql = (f"select l.name as value, count(*) as count from {listed.join} j "
                   f"join {listed.lookup} l on l.id = j.{listed.key} {posts}"
                   f"group by j.{listed.key} order by count desc, value limit {size + 1}")
            rows = await facet_rows(self, sql)
            if rows is None:
                timed_out.append(column)
                continue
            chosen = {name_case(name) for name in self.request.args.getlist(listed.arg)}
            results.append(facet_result(
                self, column, source, rows.rows, size, lambda value, arg=listed.arg: {arg: value},
                lambda value, names=chosen: name_case(value) in names, "_facet_list"))
        return results, timed_out


async def list_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    """The posts whose tags (`_tag=NAME`) or categories (`_category=NAME`) hold each name."""
    from datasette.filters import FilterArguments

    if table != POSTS or archive_sites(datasette, database) is None:
        return None
    clauses, params, described = [], {}, []
    for column, listed in LISTS.items():
        for n, name in enumerate(request.args.getlist(listed.arg)):
            param = f"wxa{listed.arg}_{n}"
            clauses.append(f"id in ({listed.posts_named(param)})")
            params.update(listed.named(param, name))
            described.append(f'{column} has "{name}"')
    return FilterArguments(clauses, params, described) if clauses else None
