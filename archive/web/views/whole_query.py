"""`/<db>/-/query/<name>.csv`: every row of a canned query whose whole result is small.

Datasette cuts a canned query's page, JSON and CSV at max_returned_rows (1,000) and streams only
tables. The queries of metadata.WHOLE_QUERIES have rows bounded by the archive's sites or tags,
not its posts (10 per site, one per tag), so their whole result is read at once, under the SQL
time limit their page's query runs under (it sorts every row before giving the first, so the
whole read costs the page's query and the rows' copying), and written as one CSV.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from datasette.database import QueryInterrupted
from datasette.utils.asgi import NotFound, Response

from archive.web.metadata import WHOLE_QUERIES
from archive.web.views import archive_database


async def whole_query_csv(datasette: Any, request: Any) -> Response:
    name, db = await archive_database(datasette, request)
    query = request.url_vars["query"]
    canned = (await datasette.get_canned_query(name, query, request.actor)
              if query in WHOLE_QUERIES else None)
    if canned is None:
        raise NotFound(f"No query {query} gives every row here")
    await datasette.ensure_permissions(request.actor, [("view-query", (name, query)),
                                                      ("view-database", name), "view-instance"])
    try:
        result = await db.execute(canned["sql"])  # not truncated: every row
    except QueryInterrupted:
        limit_ms = datasette.setting("sql_time_limit_ms")
        return Response.text(f"Error: the query took longer than {limit_ms} ms and was stopped "
                             "(serve with --setting sql_time_limit_ms N)\n", status=400)
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(result.columns)
    writer.writerows(["" if value is None else value for value in row] for row in result.rows)
    return Response(out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{query}.csv"'})
