"""Searching Chinese, Japanese and Korean words: their bigram index, posts_cjk (see
archive/search/bigrams.py for how text and words become bigrams)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from archive.schema import CJK_TABLE, FTS_COLUMNS, FTS_TABLE
from archive.search.bigrams import CJK_RUN, TOKEN, normalize, run_query
from archive.search.query import Filter, posts_join, quoted, row_conditions

# An FTS5 query's parts: spaces, "strings" ("" inside is a quote), the syntax's single
# characters, and barewords (operators, column names, terms).
_FTS_PART = re.compile(r'\s+|"(?:[^"]|"")*"?|[(){}:*^+,-]|[^\s"(){}:*^+,-]+')
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
# The main index's columns as posts_cjk holds them: the title's bigrams apart, the rest together.
_CJK_COLUMN = {column: "cjk_title" if column == "title" else "cjk" for column in FTS_COLUMNS}


def indexed(conn: sqlite3.Connection) -> bool:
    """Whether the archive has posts_cjk: one from before v13, opened read-only, has not."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                        (CJK_TABLE,)).fetchone() is not None


def top_cjk(conn: sqlite3.Connection, runs: list[str], others: list[str],
            filters: Sequence[Filter], limit: int, offset: int) -> list[tuple[int, float]]:
    """(post id, bm25 rank) of the best posts holding every run (in posts_cjk) and every other
    word (in the main index, or against CJK text), filters applied while ranking. With no runs:
    the posts holding every word against CJK text (`iPhone15` of `iPhone15の使い方`), which
    the main index keeps inside one token with the CJK text."""
    if runs:
        match, elsewhere = " AND ".join(run_query(run) for run in runs), others
    else:  # Latin words written against CJK text: posts_cjk alone holds them apart
        match, elsewhere = quoted(others), []
    return top_matching(conn, match, filters, limit, offset, elsewhere)


def top_matching(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
                 offset: int, elsewhere: Sequence[str] = ()) -> list[tuple[int, float]]:
    """(post id, bm25 rank) of the best posts matching the posts_cjk expression `match` and
    holding each word of `elsewhere` (in the main index, or against CJK text)."""
    where, params = row_conditions(filters, "c.rowid")
    sql = f"SELECT c.rowid, c.rank FROM {CJK_TABLE} c" + posts_join(filters, "c.rowid")
    sql += f" WHERE {CJK_TABLE} MATCH ?"
    # Another word is in the main index, or in posts_cjk when written against CJK text.
    sql += f" AND (c.rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)" \
           f" OR c.rowid IN (SELECT rowid FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH ?))" \
           * len(elsewhere)
    sql += "".join(f" AND {condition}" for condition in where)
    sql += " ORDER BY +c.rank LIMIT ? OFFSET ?"
    words = [quoted([word]) for word in elsewhere for _ in range(2)]
    return [tuple(row) for row in conn.execute(sql, [match, *words, *params, limit, offset])]


def fts_query(text: str) -> tuple[str, list[str]] | None:
    """An FTS5 query whose terms are all CJK words (`東京 OR 大阪`, `title:京都 NOT 紅葉`,
    `"東京タワー" AND 夜*`) as the posts_cjk expression of the same meaning, with the CJK runs
    it names (for snippets); None for a query with another word in it, which the main index
    answers (a word of it there against a CJK term here cannot be one expression), or with
    syntax this does not read (`+`, or a `-` anywhere but before a column filter)."""
    out: list[str] = []
    runs: list[str] = []
    parts = _FTS_PART.findall(text)
    i = 0
    while i < len(parts):
        part = parts[i]
        after = _next_part(parts, i)
        before = next((p for p in reversed(out) if not p.isspace()), None)
        if part.isspace() or part in "(),^":
            out.append(part)
        elif part == "*":  # a word is found anywhere in a run: its prefix query is its own
            out.append(" ")  # what follows is another term ("東京*大阪")
        elif part == "{" or part == "-" or part in _CJK_COLUMN and after == ":":
            end = _colon(parts, i)
            names = [p for p in parts[i:end] if p not in "{}-" and not p.isspace()]
            if end < 0 or part == "-" and after not in ("{", *_CJK_COLUMN) \
                    or not names or any(name not in _CJK_COLUMN for name in names):
                return None
            columns = " ".join(dict.fromkeys(_CJK_COLUMN[name] for name in names))
            out.append(("-" if part == "-" else "") + "{" + columns + "}:")
            i = end
        elif part in _OPERATORS or part.isdigit() and before == ",":  # NEAR(…, 5)'s distance
            out.append(part)
        elif part in "+{}:":
            return None
        else:
            word = normalize(part[1:].removesuffix('"').replace('""', '"')
                             if part.startswith('"') else part)
            found = CJK_RUN.findall(word)
            if not found or TOKEN.search(CJK_RUN.sub(" ", word)):
                return None
            runs += found
            terms = [run_query(run) for run in found]
            out.append(terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")")
        i += 1
    return ("".join(out).strip(), runs) if runs else None


def _next_part(parts: list[str], i: int) -> str | None:
    """The first part after `i` that is not spaces (read in place: a long query is linear)."""
    j = i + 1
    while j < len(parts) and parts[j].isspace():
        j += 1
    return parts[j] if j < len(parts) else None


def _colon(parts: list[str], i: int) -> int:
    try:
        return parts.index(":", i)
    except ValueError:
        return -1
