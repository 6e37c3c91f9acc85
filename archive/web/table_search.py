"""The posts table's own search box (`?_search=`) read as the ranked search reads a query.

Datasette's table search quotes every word of `_search` (its default, escaped mode), operators
and all: `garden OR compost` asked for posts holding the word "or" too, `garden NOT compost`
for "not" and, since a quoted `-compost` is the word `compost`, `garden -compost` for the posts
*with* compost, the opposite of what the ranked search page and the CLI find for the same
words. A search using FTS5 syntax or leaving words out is therefore steered to Datasette's raw
mode (`_searchmode=raw`, added by the ASGI middleware in cjk_search.py) and its MATCH
expression built by archive/search/query.py, as the ranked search builds it. Plain words stay
Datasette's own search (the same expression). An expression FTS5 cannot parse (`garden AND`)
is searched as its words, as before, rather than failing the page; a search that only leaves
words out (`-compost`), which the ranked search refuses, lists no post: quoted, it was the word
to find, the posts *with* compost.
"""

from __future__ import annotations

import sqlite3

from archive.schema import FTS_COLUMNS
from archive.search.query import SearchError, fts_query, plain_query, quoted


def needs_raw_mode(text: str) -> bool:
    """Whether a table search uses FTS5 syntax or leaves words out (`-word`): what Datasette's
    escaped mode would quote into words."""
    try:
        plain = plain_query(text)
    except SearchError:
        return _leaves_out_only(text)
    return plain is None or bool(plain.excluded)


def table_match(text: str) -> str:
    """The MATCH expression of a raw table search: the ranked search's, when FTS5 can parse
    it, else every word quoted, as Datasette's escaped mode does; one matching nothing for a
    search that only leaves words out (no MATCH lists every post but some)."""
    if _leaves_out_only(text):
        return '""'
    try:
        expression = fts_query(text)
        _check_syntax(expression)
        return expression
    except (SearchError, sqlite3.Error):
        return quoted(text.replace('"', " ").split()) or '""'


def _check_syntax(expression: str) -> None:
    """sqlite3.Error when FTS5 cannot parse `expression` (an empty table with the index's
    columns parses it as the archive's would, in memory, with no read of the archive)."""
    with sqlite3.connect(":memory:") as conn:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(FTS_COLUMNS)})")
        conn.execute("SELECT 1 FROM t WHERE t MATCH ?", (expression,)).fetchall()


def _leaves_out_only(text: str) -> bool:
    """Whether every word of a search without FTS5 syntax leaves a word out (`-compost`)."""
    words = [word for word in text.split() if any(ch.isalnum() for ch in word)]
    return bool(words) and all(word.startswith("-") for word in words)
