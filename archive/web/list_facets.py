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

from typing import Any

from datasette.facets import Facet

from archive.search.query import NOT_ASCII, name_case, names_like
from archive.web import archive_sites
from archive.web.facet_counts import POSTS, facet_result, facet_rows, page_query, whole_table


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
            query, params = page_query(self)
            whole = whole_table(query, params)
            posts = ("" if whole else
                     f"where j.post_id in (select id from (\n{query}\n)) ")
            sql = (f"select l.name as value, count(*) as count from {listed.join} j "
                   f"join {listed.lookup} l on l.id = j.{listed.key} {posts}"
                   f"group by j.{listed.key} order by count desc, value limit {size + 1}")
            rows = await facet_rows(self, sql, params, whole)
            if rows is None:
                timed_out.append(column)
                continue
            chosen = {name_case(name) for name in self.request.args.getlist(listed.arg)}
            results.append(facet_result(
                self, column, source, rows, size, lambda value, arg=listed.arg: {arg: value},
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
