"""Datasette plugin hooks for wixarchive archives (entry point `datasette: wixarchive`).

Every hook acts only on databases that are wixarchive archives (recognised by opening them with
`Archive.open(readonly=True)`), so installing the project never changes how Datasette shows
other databases.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.facets import Facet
from datasette.utils import escape_sqlite
from datasette.utils.asgi import NotFound, Response, asgi_static
from datasette.views.base import DatasetteError
from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound
from markupsafe import Markup, escape

from archive.iri import display_url
from archive.sanitize import IMAGE_SCHEMES, safe_url
from archive.search.query import register_functions
from archive.versions import register_sql_functions
from archive.web import (
    ArchiveChanges,
    archive_names,
    archive_sites,
    metadata,
    records_changes,
    sort_every_column_below,
    sortable_posts,
    sorts_every_column,
)
from archive.web.cjk_search import CjkTableSearch, cjk_search_filters
from archive.web.facet_counts import (
    ColumnCountFacet,
    DayFacet,
    facet_result,
    facet_rows,
    page_query,
    whole_table,
)
from archive.web.headers import SecurityHeaders
from archive.web.index_page import IndexTemplate, index_vars
from archive.web.list_facets import ListFacet, list_filters
from archive.web.page_structure import PageStructure
from archive.web.paths import WithoutBaseUrl
from archive.web.sorted_pages import SortedFirstPage
from archive.web.views.article import article_page
from archive.web.views.media import media_file
from archive.web.views.not_found import not_found_page, wants_reader_page
from archive.web.views.search import no_post_page, search_page
from archive.web.views.whole_query import whole_query_csv

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
# Datasette serves a plugin's static/ folder only for a plugin package; ours is a module.
STATIC_ROUTE = "/-/wixarchive/"
# Datasette's per-page template names (`table-DB-TABLE.html`, `row-DB-TABLE.html`,
# `query-DB-QUERY.html`, `_table-DB-TABLE.html`, tried before table.html…) -> ours, which
# extend or include the generic template (a --template-dir's own table.html, else Datasette's)
# and override only documented blocks (the title, the table's description).
PER_PAGE_TEMPLATES = {"table": "wixarchive_table.html", "row": "wixarchive_row.html",
                      "query": "wixarchive_query.html", "_table": "wixarchive_rows.html"}


class PerPageTemplates(BaseLoader):
    """Answers Datasette's per-page template names with ours (a user's --template-dir, asked
    first, still wins). They change a page only for an archive (`wxa_archive`)."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        kind, _, rest = template.partition("-")
        ours = PER_PAGE_TEMPLATES.get(kind)
        if not ours or not rest.endswith(".html"):
            raise TemplateNotFound(template)
        path = TEMPLATES / ours
        return path.read_text(encoding="utf-8"), str(path), lambda: True

    def list_templates(self) -> list[str]:
        # The names it answers depend on the databases and tables, so there is no list; an
        # empty one is still needed: `datasette` lists every template at startup (for its
        # pages/ routes), and a loader without this method stopped it with a TypeError.
        return []


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict:
    databases = {name: metadata.database_metadata(
        archive_sites(datasette, name), datasette.urls.database(name) + "/-/search",
        records_changes(datasette, name), sorts_every_column(datasette, name),
        sortable_posts(datasette, name))
        for name in archive_names(datasette)}
    return {"databases": databases} if databases else {}


# The longest string or blob (or row) a query of the web UI may make. The archive's largest
# values are a post's texts, from pages of at most 16 MiB (crawler DOWNLOAD_MAXSIZE); media
# bytes live in capture files. Without it `select hex(zeroblob(300000000))` held 600 MB for
# seconds per request, past sql_time_limit_ms (SQLite checks that between steps, not within
# one); now it fails at once with "string or blob too big".
MAX_VALUE_BYTES = 64 * 2**20


def answer_errors_unprinted() -> None:
    """Datasette's default error handler also prints every error with its locals through `rich`
    when rich is importable (py-wacz and many tools bring it). With rich >= 13 that call fails on
    a 404 raised outside an except block (print_exception), so such a page answered 500 and
    client errors flooded the log. Errors are answered as pages, not printed."""
    from datasette.plugins import pm

    default_errors = pm.get_plugin("datasette.handle_exception")
    if default_errors is not None:
        default_errors.rich = None


@hookimpl
def startup(datasette: Any) -> None:
    # Plain `datasette archive.db` too, not only `wixarchive serve` (until 2026-12-07 the
    # archive's 404 page answered 500 there when rich was installed).
    answer_errors_unprinted()


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    # The web UI never writes the archive: even a plugin's write connection is refused.
    if archive_sites(datasette, database) is not None:
        conn.execute("PRAGMA query_only = 1")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        # json_extract(version_record(record), '$.body_text') reads an old version in SQL.
        register_sql_functions(conn)
        register_functions(conn)  # the names' case folding of ?_tag= and ?_category=


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    # Datasette finds plugin templates only beside a plugin *package*; ours is a module, so add
    # the folder last: a --template-dir given by the user still overrides our pages.
    # The front page is ours before Datasette's (IndexTemplate yields to a --template-dir's).
    env.loader = ChoiceLoader([IndexTemplate(datasette.template_dir), env.loader,
                              FileSystemLoader(str(TEMPLATES)), PerPageTemplates()])
    # Archived URLs become links and images only through these (an unsafe one becomes "").
    env.filters["wxa_link"] = lambda url: safe_url(url) or ""
    env.filters["wxa_image"] = lambda url: safe_url(url, IMAGE_SCHEMES) or ""
    # A URL's text as a person reads it (a non-Latin slug decoded); hrefs keep the URL as is.
    env.filters["wxa_display"] = lambda url: display_url(url or "")


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    # ArchiveChanges first: what the others and the hooks read of an archive is then current.
    return lambda app: SecurityHeaders(ArchiveChanges(PageStructure(
        CjkTableSearch(SortedFirstPage(WithoutBaseUrl(app, datasette), datasette), datasette),
        datasette,
        _stylesheet(datasette)), datasette), datasette)


def _stylesheet(datasette: Any) -> str:
    return datasette.urls.path(STATIC_ROUTE + "wixarchive.css")


@hookimpl
def extra_css_urls(database: str | None, datasette: Any) -> list[str]:
    # Link colours with enough contrast, a visible focus ring, the skip link's and the column
    # notes' styles: the archives' pages and the instance's, not another database's.
    if database and archive_sites(datasette, database) is None:
        return []
    return [_stylesheet(datasette)]


@hookimpl
def extra_js_urls(template: str, database: str | None, datasette: Any) -> list[dict[str, Any]]:
    # The ⚙ menu of a column the posts table does not sort by (static/wixarchive-columns.js).
    if not database or not template.startswith("table") \
            or archive_sites(datasette, database) is None \
            or sorts_every_column(datasette, database):
        return []
    return [{"url": datasette.urls.path(STATIC_ROUTE + "wixarchive-columns.js"), "module": True}]


@hookimpl(trylast=True)  # after Datasette's own search filter: its parameter is replaced
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    return cjk_search_filters(request, database, table, datasette)


@hookimpl(specname="filters_from_request")
def tag_and_category_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    return list_filters(request, database, table, datasette)


async def _search_redirect(datasette: Any, request: Any) -> Response:
    names = archive_names(datasette)
    if not names:
        raise NotFound("No wixarchive archive is being served")
    target = datasette.urls.database(names[0]) + "/-/search"
    if request.query_string:
        target += "?" + request.query_string
    return Response.redirect(target)


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/search$", _search_redirect),
        (r"^/(?P<database>[^/]+)/-/search(\.(?P<format>json|csv))?$", search_page),
        (r"^/(?P<database>[^/]+)/-/post/?$", no_post_page),
        (r"^/(?P<database>[^/]+)/-/post/(?P<post_id>\d+)(\.(?P<format>json))?$", article_page),
        (r"^/(?P<database>[^/]+)/-/media/(?P<digest>[A-Za-z0-9]+)$", media_file),
        (r"^/(?P<database>[^/]+)/-/query/(?P<query>[A-Za-z0-9_]+)\.csv$", whole_query_csv),
        (f"^{STATIC_ROUTE}(?P<path>.*)$", asgi_static(str(STATIC))),
    ]


@hookimpl
def extra_template_vars(template: str, database: str | None, table: str | None,
                        datasette: Any, request: Any) -> Any:
    if template == "index.html":
        return lambda: index_vars(datasette)  # Datasette awaits it
    if not database or archive_sites(datasette, database) is None:
        return {}
    # The per-page templates (PerPageTemplates) change only an archive's pages.
    found: dict[str, Any] = {"wxa_archive": True}
    # The template is table.html, or table-DB-TABLE.html as PerPageTemplates answers it.
    if table and (template == "table.html" or template.startswith("table-")):
        # Datasette's table page lists every column's description above the rows (posts: 31
        # lines, 1,500 pixels before the first row). The page gets the table's metadata without
        # that list; each column's ⚙ menu shows its own, and a collapsed "Column notes" below
        # the description lists them all for keyboard and screen-reader users (the ⚙ menu is an
        # svg they cannot reach).
        described = datasette.table_metadata(database, table)
        shown = {key: value for key, value in described.items() if key != "columns"}
        datasette.update_with_inherited_metadata(shown)
        found.update(metadata=shown, wxa_column_notes=described.get("columns") or {})
    query = (getattr(request, "url_vars", None) or {}).get("table")
    if query and (template == "query.html" or template.startswith("query-")):
        every_row = metadata.every_row_csv(query, request.args, records_changes(datasette,
                                                                                database))
        # Escaped here: the template joins it into the note as plain text marked safe.
        if every_row:
            found["wxa_every_row_csv"] = str(escape(
                datasette.urls.table(database, "posts", format="csv") + "?" + every_row))
        elif query in metadata.WHOLE_QUERIES:
            found["wxa_whole_csv"] = str(escape(
                datasette.urls.database(database) + f"/-/query/{query}.csv"))
    return found


def _article_link(datasette: Any, database: str, post_id: Any, title: Any) -> Markup:
    href = datasette.urls.database(database) + f"/-/post/{post_id}"
    return Markup(f'<a href="{escape(href)}">{escape(title or "(untitled)")}</a>')


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if table is None and column == "title" and archive_sites(datasette, database) is not None:
        # A query's titles (the canned queries') link to the article page when the row names
        # the post: in this schema a `post_id` column always holds a posts.id.
        try:
            post_id = row["post_id"]
        except (IndexError, KeyError):
            return None
        return _article_link(datasette, database, post_id, value) if post_id else None
    if table != "posts" or column not in ("title", "url", "canonical_url") or \
            archive_sites(datasette, database) is None:
        return None
    if column != "title":
        # The post's URLs link as archived and read decoded (a non-Latin slug as the page
        # showed it); one that is no http(s) URL is left to Datasette's own rendering.
        href = safe_url(value) if isinstance(value, str) and "://" in value else None
        if not href:
            return None
        return Markup(f'<a href="{escape(href)}" rel="noopener noreferrer nofollow">'
                      f'{escape(display_url(value))}</a>')
    # Post titles link to the article page (the clean body, images and versions).
    try:
        post_id = row["id"]
    except (IndexError, KeyError):
        return None
    return _article_link(datasette, database, post_id, value)


@hookimpl(tryfirst=True)
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """An address with no page (404) gets the reader's page of views/not_found.py.

    A sort the posts table does not offer is the user's request, not the server's fault:
    400 where Datasette answered 500. A column of a big archive's posts that is not indexed
    (metadata.SORTABLE_POSTS) says which sorts there are and why; a column the table does not
    have (`?_sort=wordcount`) says which sorts there are in a big archive, and is Datasette's
    message alone in another, which sorts by every column."""
    if isinstance(exception, NotFound) and (names := wants_reader_page(datasette, request)):
        return not_found_page(datasette, request, str(exception.args[0] if exception.args
                                                      else ""), names)
    vars_ = getattr(request, "url_vars", None) or {}
    database = vars_.get("database", "")
    if not (isinstance(exception, DatasetteError) and vars_.get("table") == "posts"
            and exception.message.startswith("Cannot sort table by ")
            and archive_sites(datasette, database) is not None):
        return
    exception.status = 400
    if sorts_every_column(datasette, database):
        return
    sorts = ", ".join(sortable_posts(datasette, database))
    if exception.message.removeprefix("Cannot sort table by ") not in metadata.TABLES["posts"][2]:
        exception.message += f": posts sort by {sorts}"
        return
    exception.message += (
        f": in an archive of {sort_every_column_below():,} posts or more, posts sort by "
        f"{sorts}, the columns an index keeps in order (another sort reads every post whole, "
        "past the server's time limit). The longest posts, from "
        "the SQL page: select id, title, word_count from posts where id in (select id from "
        "posts order by word_count desc limit 100) order by word_count desc")


@hookimpl
def menu_links(datasette: Any, actor: Any, request: Any) -> Any:
    """The ranked search of each archive the actor may see: a private one's name (Datasette's
    `allow`) was in every reader's menu, where Datasette's home page lists it to no one else."""
    async def links() -> list[dict[str, str]]:
        return [{"href": datasette.urls.database(name) + "/-/search",
                 "label": f"Search {name} (ranked)"} for name in archive_names(datasette)
                if (await datasette.check_visibility(
                    actor, permissions=[("view-database", name), "view-instance"]))[0]]
    return links


@hookimpl
def database_actions(datasette: Any, actor: Any, database: str,
                     request: Any) -> list[dict[str, str]]:
    if archive_sites(datasette, database) is None:
        return []
    return [{"href": datasette.urls.database(database) + "/-/search",
             "label": "Ranked search with highlighted snippets"}]


@hookimpl
def table_actions(datasette: Any, actor: Any, database: str, table: str,
                  request: Any) -> list[dict[str, str]]:
    return database_actions(datasette, actor, database, request) if table == "posts" else []


_YEAR = "'[0-9][0-9][0-9][0-9]*'"  # a value whose first four characters are digits
# The whole posts table's years from posts_published: each year found by one seek past the one
# before, and counted over its range of the index, where grouping every value's substr() took
# 150-300 ms at 70,000 posts on the loaded machine (Datasette gives a facet 200 ms). A year's
# range is every value starting with its four digits: from '2019' up to '201:' (':' follows '9').
_WHOLE_TABLE_YEARS = f"""with recursive years(year) as (
  select (select substr(published, 1, 4) from posts
          where published >= '0000' and published glob {_YEAR} order by published limit 1)
  union all
  select (select substr(published, 1, 4) from posts
          where published >= printf('%04d', year + 1) and published glob {_YEAR}
          order by published limit 1)
  from years where year is not null and year < '9999')
select year as value, (select count(*) from posts where published >= year
                       and published < substr(year, 1, 3) || char(unicode(substr(year, 4)) + 1)
                      ) as count
from years where year is not null"""


class YearFacet(Facet):
    """Facet by the year of an ISO date column; selecting a year filters `column__startswith`."""

    type = "year"

    async def suggest(self) -> list[dict[str, Any]]:
        return []  # offered through metadata only, never suggested

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        query, params = page_query(self)
        for source_and_config in self.get_configs():
            config, source = source_and_config["config"], source_and_config["source"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            whole = self.table == "posts" and column == "published" and whole_table(query, params)
            if whole:
                sql = f"{_WHOLE_TABLE_YEARS} order by value desc limit {size + 1}"
            else:  # Datasette facets wrap the table's own query; this is each row's year
                sql = (f"select substr({col}, 1, 4) as value, count(*) as count from "
                       f"(\n{query}\n) where {col} glob {_YEAR} group by value "
                       f"order by value desc limit {size + 1}")
            rows = await facet_rows(self, sql, params, whole)
            if rows is None:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            # Datasette's page writes the type after the name: "published (year)".
            results.append(facet_result(
                self, column, source, rows, size, lambda value, key=key: {key: value},
                lambda value, key=key: args.get(key) == value, "_facet_year"))
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type[Facet]]:
    return [ColumnCountFacet, DayFacet, YearFacet, ListFacet]
