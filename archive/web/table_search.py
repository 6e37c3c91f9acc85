"""The posts table's own search box (`?_search=`) read as the ranked search reads a query.

Datasette's table search quotes every word of `_search` (its default, escaped mode), operators
and all: `garden OR compost` asked for posts holding the word "or" too, `garden NOT compost`
for "not" and, since a quoted `-compost` is the word `compost`, `garden -compost` for the posts
*with* compost, the opposite of what the ranked search page and the CLI find for the same
words. A search using FTS5 syntax or leaving words out is therefore steered to Datasette's raw
mode (`_searchmode=raw`, added by the ASGI middleware in cjk_search.py) and its MATCH
expression built by archive/search/query.py, as the ranked search builds it. Plain words go
there too, to be widened to their other spellings as the ranked search widens them (strasse:
straße too; archive/search/casefold.py), which Datasette's escaped mode cannot. An expression
FTS5 cannot parse (`garden AND`) is searched as its words, as before, rather than failing the
page, a `-word`, `-"phrase"` or `-prefix*` in FTS5 syntax (`garden* -compost`) read as NOT, as
the ranked search's error tells to write it; a search that only leaves words out (`-compost`),
which the ranked search refuses, lists no post: quoted, it was the word to find, the posts
*with* compost.

FTS5 syntax whose words are in two indexes (`東京 OR tokyo`, `東京 OR 北京` read on the bigrams,
`שלום OR garden` in an archive holding vowel marks) is more than one MATCH, which is all
Datasette's search clause can be: `東京 OR 北京` was taken as three words (OR too), and
`שלום OR garden` read the Hebrew and Arabic index only, leaving out the posts with *garden*
alone. Such a search is moved by the middleware (cjk_search.py) from `_search` to COMBINED,
which Datasette does not read, and `combined_condition` gives the posts it finds as the ranked
search finds them (archive/search/cjk_syntax.py, archive/search/unmarked.py), with the page's
search box and "search matches" line as Datasette's own.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from archive.schema import CJK_TABLE, FTS_COLUMNS, FTS_TABLE
from archive.search import cjk, cjk_syntax, glued_terms, unmarked
from archive.search.bigrams import CJK_RUN, normalize
from archive.search.casefold import widen_syntax
from archive.search.marks import SCRIPT, strip
from archive.search.query import (
    LEFT_OUT,
    SearchError,
    check_syntax,
    dashes_as_not,
    fts_query,
    left_out_word,
    plain_query,
    quoted,
)

# The query argument a search of two indexes is moved to: not `_search`, so Datasette adds no
# clause of its own, and not `_search_*`, which it reads as a column's search.
COMBINED = "_wxa_search"
# A word, prefix or phrase left out (`-knead`, `-knea*`, `-"rye bread"`) written apart, not a
# column filter (`-title: …`, `-"title": …`, `-{title}: …`), or a phrase, kept whole (a dash in it
# is part of it: `"rose -red"`).
_LEFT_OUT_OR_PHRASE = re.compile(LEFT_OUT + r'|"(?:[^"]|"")*"?')
# A search's words at spaces, a phrase (`-"rye bread"` too) one of them.
_WORD = re.compile(r'-?"(?:[^"]|"")*"?|[^\s"]+')
# A word that is a column filter leaving columns out (`-title:garden`, `-{title}:garden`): FTS5
# syntax to find posts with, no word left out.
_COLUMNS_LEFT_OUT = re.compile(r"-\^?\{?(?i:" + "|".join(FTS_COLUMNS) + r")\b[^:\s]*:")


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
        check_syntax(expression)
        return expression
    except (SearchError, sqlite3.Error):
        pass
    # FTS5 syntax reads `-knead` (`-"knead"`, `-knea*`) as columns to leave out (`breath*
    # -knead`: no column knead), which the ranked search refuses, telling to write NOT knead:
    # the box reads it so, rather than as its words (the posts *with* knead). On its side of
    # an OR: `garten -strasse OR fluss` is `(garten NOT strasse) OR fluss`, as the NOT the
    # ranked search asks for binds, not `(garten OR fluss) NOT strasse`; a side that only
    # leaves out finds no post (`garten -berg OR -fluss` is `garten NOT berg`), as the
    # ranked search's error says.
    try:
        if (nots_last := dashes_as_not(text)) is not None:
            if not nots_last.expression:
                return '""'
            expression = fts_query(nots_last.expression)
            check_syntax(expression)
            return expression
    except (SearchError, sqlite3.Error):
        pass
    # Else its words, those left out apart: not a dash inside a phrase (`"rose -red"`).
    left_out_terms = [piece["term"] for piece in _LEFT_OUT_OR_PHRASE.finditer(text)
                      if piece["term"] is not None]
    kept = _LEFT_OUT_OR_PHRASE.sub(lambda piece: piece.group() if piece["term"] is None
                                   else " ", text)
    # A phrase stays as typed; a word is quoted, a prefix's stem too (`"OR"*`: bare, `-OR*` was
    # the operator OR, which FTS5 cannot parse, and the page failed).
    left_out = " OR ".join(term if term.startswith('"') else quoted([term.removesuffix("*")])
                           + "*" * term.endswith("*") for term in left_out_terms)
    if left_out:
        try:
            expression = f"({fts_query(kept)}) NOT ({left_out})"
            check_syntax(expression)
            return expression
        except (SearchError, sqlite3.Error):
            pass
    words = quoted(kept.replace('"', " ").split())
    if not words:
        return '""'
    return f"({words}) NOT ({left_out})" if left_out else words


def _leaves_out_only(text: str) -> bool:
    """Whether every word of a search without FTS5 syntax leaves a word out (`-compost`), a
    phrase one word (`" -compost"` is the word to find)."""
    words = [word for word in _WORD.findall(text) if any(ch.isalnum() for ch in word)]
    return bool(words) and all(left_out_word(word) is not None
                               and not _COLUMNS_LEFT_OUT.match(word) for word in words)


def combined(text: str, bigrams: bool, marked: bool) -> bool:
    """Whether a table search is FTS5 syntax (or leaves words out) whose words are in two
    indexes: Chinese, Japanese or Korean words (`bigrams`: the archive has their index) that
    cjk_syntax reads, or Hebrew or Arabic words beside others in an archive holding vowel
    marks (`marked`)."""
    if text.isascii() or not needs_raw_mode(text):
        return False
    if bigrams and CJK_RUN.search(normalize(text)):
        return cjk_syntax.parse(table_match(text)) is not None
    return marked and SCRIPT.search(text) is not None \
        and not unmarked.script_only(table_match(strip(text)))


def combined_condition(conn: sqlite3.Connection, text: str, bigrams: bool, marked: bool
                       ) -> tuple[str, dict[str, Any]]:
    """The posts a `combined` table search finds, as the ranked search finds them: an SQL
    condition on the posts table's `id` and its named parameters (`conn`, the archive's, for
    the words' other spellings it holds)."""
    match = table_match(strip(text))
    syntax = cjk_syntax.parse(match) if bigrams else None
    if syntax is not None:
        # Its words widened to the spellings the index holds (strasse: straße), as the ranked
        # search widens them, where cjk_syntax reads the widened expression.
        syntax = cjk_syntax.parse(widen_syntax(conn, match), widened=True) or syntax
    if syntax is not None:
        # A Hebrew or Arabic word in posts_unmarked too, as the ranked search reads it. The
        # table's `posts.id`: a bare `id` inside the check of a field (`tags:東京`, posts f)
        # was f's own, and the box listed the posts with 東京 in their body too.
        sql, params = syntax.condition("posts.id", marked and any(
            SCRIPT.search(word) for word in syntax.main_words))
    elif marked and SCRIPT.search(text):
        # Its words widened as the ranked search widens them (میخواهم: می‌خواهم too).
        select, params = unmarked.matching(widen_syntax(conn, table_match(strip(text))))
        sql = f"id IN ({select})"
    elif bigrams and (glued := _with_glued_words(conn, text)) is not None:
        sql, params = glued
    else:  # the archive changed since the page was made: the main index
        sql, params = f"id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)", [
            table_match(text)]
    # Datasette binds its parameters by name: each ? becomes one (the SQL of these modules
    # holds no string literal, so every ? is a parameter).
    pieces = sql.split("?")
    named = "".join(piece + (f":wxa_m{n}" if n < len(params) else "")
                    for n, piece in enumerate(pieces))
    return named, {f"wxa_m{n}": param for n, param in enumerate(params)}


def finds_glued_words(conn: sqlite3.Connection, text: str) -> bool:
    """Whether a table search without CJK text finds a post holding one of its words written
    against CJK text (`berlin` of 東京でberlinと, which the main index holds only inside that
    whole token): it is then `combined`, as the ranked search finds such posts too."""
    return _with_glued_words(conn, text) is not None


def _with_glued_words(conn: sqlite3.Connection, text: str) -> tuple[str, list[str]] | None:
    """The posts a table search without CJK text finds in the main index (its MATCH
    expression, widened), or holding its words where one is written against CJK text, as the
    ranked search finds them (archive/search/cjk.py); a word left out, wherever it is written.
    An SQL condition on the posts table's `id` and its parameters; None when no post holds one
    of its words so."""
    glued = glued_terms(conn, text)
    found = cjk.glued_posts(conn, glued) if glued is not None else None
    if glued is None or found is None:
        return None
    select, params = found
    sql = (f"(id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?) "
           f"OR id IN ({select}))")
    params = [widen_syntax(conn, table_match(text)), *params]
    if glued.excluded:  # `berlin -walk` lists no post writing 東京でwalkと
        sql += f" AND id NOT IN (SELECT rowid FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH ?)"
        params.append(" OR ".join(term.cjk() for term in glued.excluded))
    return sql, params
