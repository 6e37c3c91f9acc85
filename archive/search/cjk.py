"""Searching Chinese, Japanese and Korean words: their bigram index, posts_cjk (see
archive/search/bigrams.py for how text and words become bigrams)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from archive.schema import CJK_TABLE, FTS_TABLE, UNMARKED_TABLE
from archive.search import unmarked as unmarked_index
from archive.search.bigrams import run_query
from archive.search.marks import SCRIPT
from archive.search.query import Filter, posts_join, quoted, row_conditions


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


def holding_word(post_id: str, main: str = "?", cjk: str = "?", unmarked: str | None = None,
                 ) -> str:
    """SQL: the post `post_id` holds a word that is not CJK, which is in the main index, or in
    posts_cjk when written against CJK text; `main` and `cjk` are the parameters of its MATCH
    expression in each. `unmarked`, its parameter in posts_unmarked too: a Hebrew or Arabic word
    in an archive holding vowel marks, which the main index holds with their marks (שָׁלוֹם is
    not שלום there: archive/search/marks.py)."""
    sql = (f"({post_id} IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {main})"
           f" OR {post_id} IN (SELECT rowid FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH {cjk})")
    if unmarked is not None:
        sql += (f" OR {post_id} IN (SELECT rowid FROM {UNMARKED_TABLE} "
                f"WHERE {UNMARKED_TABLE} MATCH {unmarked})")
    return sql + ")"


def reads_unmarked(conn: sqlite3.Connection, words: Sequence[str]) -> bool:
    """Whether a word of `words` (not CJK) is Hebrew or Arabic and the archive holds vowel
    marks: its lookups then read posts_unmarked too (`holding_word`)."""
    return any(SCRIPT.search(word) for word in words) and unmarked_index.holds_marks(conn)


def top_matching(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
                 offset: int, elsewhere: Sequence[str] = (),
                 found: Sequence[tuple[str, str]] = ()) -> list[tuple[int, float]]:
    """(post id, bm25 rank) of the best posts matching the posts_cjk expression `match` and
    holding each word of `elsewhere` (in the main index, or against CJK text); none that
    `found` finds ((index, MATCH expression) pairs)."""
    sql, params = _matching(conn, "c.rowid, c.rank", match, filters, elsewhere, found)
    return [tuple(row) for row in conn.execute(
        sql + " ORDER BY +c.rank LIMIT ? OFFSET ?", [*params, limit, offset])]


def _matching(conn: sqlite3.Connection, columns: str, match: str, filters: Sequence[Filter],
              elsewhere: Sequence[str], found: Sequence[tuple[str, str]],
              ) -> tuple[str, list[str]]:
    """The SELECT of `columns` of the posts `top_matching` ranks, and its parameters."""
    where, params = row_conditions(filters, "c.rowid")
    sql = f"SELECT {columns} FROM {CJK_TABLE} c" + posts_join(filters, "c.rowid")
    sql += f" WHERE {CJK_TABLE} MATCH ?"
    marked = reads_unmarked(conn, elsewhere)
    # `+c.rowid`: the MATCH finds the posts, each then looked up in the words' lists (by
    # `c.rowid IN (…)` SQLite may choose to find them there, and then cannot run the MATCH).
    sql += f" AND {holding_word('+c.rowid', unmarked='?' if marked else None)}" * len(elsewhere)
    # A seek in each index per candidate: `NOT IN (…)` would list every post a common word
    # is in first.
    sql += "".join(f" AND NOT EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH ? "
                   "AND rowid = c.rowid)" for table, _ in found)
    sql += "".join(f" AND {condition}" for condition in where)
    words = [quoted([word]) for word in elsewhere for _ in range(3 if marked else 2)]
    return sql, [match, *words, *(expression for _, expression in found), *params]


def top_glued(conn: sqlite3.Connection, words: Sequence[str], found: Sequence[tuple[str, str]],
              filters: Sequence[Filter], limit: int, offset: int) -> list[tuple[int, float]]:
    """(post id, posts_cjk's bm25 rank) of the best posts holding every one of `words` (no CJK
    text in them), one at least written against CJK text (`berlin` of 東京でberlinと, which the
    main index holds only inside that whole token), and not found by `found`, the (index,
    MATCH expression) pairs that found the posts holding them all standing free. Ranked apart,
    to list after those: a bm25 of posts_cjk, whose rows hold only the CJK text and the words
    against it, is not comparable with the main index's."""
    return top_matching(conn, _any_of(words), filters, limit, offset,
                        words if len(words) > 1 else (), found)


def count_glued(conn: sqlite3.Connection, words: Sequence[str],
                found: Sequence[tuple[str, str]], filters: Sequence[Filter]) -> int:
    """How many posts `top_glued` ranks paged to the end, without ranking them."""
    sql, params = _matching(conn, "count(*)", _any_of(words), filters,
                            words if len(words) > 1 else (), found)
    return conn.execute(sql, params).fetchone()[0]


def _any_of(words: Sequence[str]) -> str:
    """The posts_cjk MATCH expression of the posts holding any of `words` against CJK text
    (each is then checked in either index, one word alone by that match)."""
    return " OR ".join(quoted([word]) for word in words)
