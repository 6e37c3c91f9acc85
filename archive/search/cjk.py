"""Searching Chinese, Japanese and Korean words: their bigram index, posts_cjk (see
archive/search/bigrams.py for how text and words become bigrams)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

from archive.schema import CJK_COLUMNS, CJK_TABLE, FTS_COLUMNS, FTS_TABLE, UNMARKED_TABLE
from archive.search import bigrams
from archive.search import unmarked as unmarked_index
from archive.search.bigrams import run_query
from archive.search.marks import SCRIPT
from archive.search.query import Filter, posts_join, quoted, row_conditions


class GluedTerm(NamedTuple):
    """A word of a query without CJK text, to find where it is written against CJK text too:
    as a prefix (`berlin*`), in the title alone (`title:berlin`), both, or neither."""

    word: str
    prefix: bool = False
    title: bool = False
    # Its other spellings, looked up beside it (`strasse`: straße; casefold.glued_spellings).
    spellings: tuple[str, ...] = ()

    def main(self) -> str:
        """Its MATCH expression in the main index (and posts_unmarked, of the same columns)."""
        return self._expression(FTS_COLUMNS[0])

    def cjk(self) -> str:
        """Its MATCH expression in posts_cjk, whose first column holds the title's."""
        return self._expression(CJK_COLUMNS[0])

    def _expression(self, title: str) -> str:
        phrases = [quoted([word]) + "*" * self.prefix for word in (self.word, *self.spellings)]
        either = phrases[0] if len(phrases) == 1 else f"({' OR '.join(phrases)})"
        return f"{title} : " * self.title + either


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
                 offset: int, elsewhere: Sequence[str | GluedTerm] = (),
                 found: Sequence[tuple[str, str]] = (),
                 excluded: Sequence[str | GluedTerm] = ()) -> list[tuple[int, float]]:
    """(post id, bm25 rank) of the best posts matching the posts_cjk expression `match` and
    holding each word of `elsewhere` (in the main index, or against CJK text) and none of
    `excluded` (in either); none that `found` finds ((index, MATCH expression) pairs)."""
    sql, params = _matching(conn, "c.rowid, c.rank", match, filters, elsewhere, found, excluded)
    return [tuple(row) for row in conn.execute(
        sql + " ORDER BY +c.rank LIMIT ? OFFSET ?", [*params, limit, offset])]


def _matching(conn: sqlite3.Connection, columns: str, match: str, filters: Sequence[Filter],
              elsewhere: Sequence[str | GluedTerm], found: Sequence[tuple[str, str]],
              excluded: Sequence[str | GluedTerm] = ()) -> tuple[str, list[str]]:
    """The SELECT of `columns` of the posts `top_matching` ranks, and its parameters."""
    where, params = row_conditions(filters, "c.rowid")
    sql = f"SELECT {columns} FROM {CJK_TABLE} c" + posts_join(filters, "c.rowid")
    sql += f" WHERE {CJK_TABLE} MATCH ?"
    terms = [term if isinstance(term, GluedTerm) else GluedTerm(term) for term in elsewhere]
    out = [term if isinstance(term, GluedTerm) else GluedTerm(term) for term in excluded]
    marked = reads_unmarked(conn, [term.word for term in (*terms, *out)])
    # `+c.rowid`: the MATCH finds the posts, each then looked up in the words' lists (by
    # `c.rowid IN (…)` SQLite may choose to find them there, and then cannot run the MATCH).
    holding = holding_word('+c.rowid', unmarked='?' if marked else None)
    sql += f" AND {holding}" * len(terms) + f" AND NOT {holding}" * len(out)
    # A seek in each index per candidate: `NOT IN (…)` would list every post a common word
    # is in first.
    sql += "".join(f" AND NOT EXISTS (SELECT 1 FROM {table} WHERE {table} MATCH ? "
                   "AND rowid = c.rowid)" for table, _ in found)
    sql += "".join(f" AND {condition}" for condition in where)
    words = [expression for term in (*terms, *out)
             for expression in (term.main(), term.cjk(), *[term.main()] * marked)]
    return sql, [match, *words, *(expression for _, expression in found), *params]


def top_glued(conn: sqlite3.Connection, terms: Sequence[GluedTerm],
              excluded: Sequence[GluedTerm],
              found: Sequence[tuple[str, str]], filters: Sequence[Filter], limit: int,
              offset: int) -> list[tuple[int, float]]:
    """(post id, posts_cjk's bm25 rank) of the best posts holding every one of `terms` (no CJK
    text in them) and none of `excluded`, one at least written against CJK text (`berlin` of
    東京でberlinと, which the main index holds only inside that whole token), and not found
    by `found`, the (index, MATCH expression) pairs that found the posts holding them all
    standing free. Ranked apart, to list after those: a bm25 of posts_cjk, whose rows hold only
    the CJK text and the words against it, is not comparable with the main index's."""
    return top_matching(conn, _any_of(terms), filters, limit, offset,
                        terms if len(terms) > 1 else (), found, excluded)


def count_glued(conn: sqlite3.Connection, terms: Sequence[GluedTerm],
                excluded: Sequence[GluedTerm],
                found: Sequence[tuple[str, str]], filters: Sequence[Filter]) -> int:
    """How many posts `top_glued` ranks paged to the end, without ranking them."""
    sql, params = _matching(conn, "count(*)", _any_of(terms), filters,
                            terms if len(terms) > 1 else (), found, excluded)
    return conn.execute(sql, params).fetchone()[0]


def glued_posts(conn: sqlite3.Connection, glued: Glued) -> tuple[str, list[str]] | None:
    """The SELECT of the ids of the posts `top_glued` finds for `glued` (whichever index found
    them otherwise), and its parameters; None when no post holds a word of it against CJK text
    (one seek: an archive without such text, most of them)."""
    match = _any_of(glued.terms)
    if conn.execute(f"SELECT 1 FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH ? LIMIT 1",
                    (match,)).fetchone() is None:
        return None
    return _matching(conn, "c.rowid", match, (), glued.terms if len(glued.terms) > 1 else (),
                     (), glued.excluded)


def _any_of(terms: Sequence[GluedTerm]) -> str:
    """The posts_cjk MATCH expression of the posts holding any of `terms` against CJK text
    (each is then checked in either index, one alone by that match)."""
    return " OR ".join(term.cjk() for term in terms)


class Glued(NamedTuple):
    """A query's words to find where they are written against CJK text (`top_glued`)."""

    terms: list[GluedTerm]
    excluded: list[GluedTerm]


def not_glued(conn: sqlite3.Connection, excluded: Sequence[GluedTerm]) -> Filter | None:
    """The filter leaving out the posts holding one of `excluded` written against CJK text,
    which the main index holds only inside a whole token (`berlin -walk` finds no post
    writing 東京でwalkと); None when no post holds them so (one seek: most archives, whose
    posts the filter would then be checked on for nothing). The posts holding them so are
    listed once per query (`NOT IN`), few, rather than sought per match."""
    match = " OR ".join(term.cjk() for term in excluded)
    if conn.execute(f"SELECT 1 FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH ? LIMIT 1",
                    (match,)).fetchone() is None:
        return None
    return Filter(f"{{id}} NOT IN (SELECT rowid FROM {CJK_TABLE} WHERE {CJK_TABLE} MATCH ?)",
                  [match], post_row=False)


# FTS5 syntax read for its words written against CJK text: a word or a phrase of one word, a
# prefix of either, in the title or anywhere (columns but the title share posts_cjk's second);
# AND, and NOT after all of them (`berlin NOT walk tokyo` is berlin NOT (walk AND tokyo)).
_GLUED_TERM = re.compile(r'(?:(?P<column>\w+)\s*:\s*)?(?:"(?P<phrase>[^"\s]+)"|(?P<word>\w+))'
                         r'(?P<prefix>\*)?')


# A column filter written with spaces around its colon (`title : berlin`, `title: berlin`) or
# its name quoted (`"title":berlin`), which FTS5 reads as `title:berlin`: written so, outside
# quoted phrases.
_COLUMN_SPACED = re.compile(r'(?<![^\s(])(?:"(\w+)"|(\w+))\s*:\s*|("(?:[^"]|"")*"?)')


def glued_syntax(text: str) -> Glued | None:
    """The words of FTS5 syntax `text` as `top_glued` looks them up (`berlin*`, `"berlin"`,
    `title:berlin`, `berlin NOT walk`); None for any other syntax (OR, NEAR, groups, phrases
    of more words, other columns), whose meaning one lookup per word cannot keep, and for CJK
    words, which have their own lookup."""
    terms: list[GluedTerm] = []
    excluded: list[GluedTerm] = []
    if ":" in text:
        text = _COLUMN_SPACED.sub(lambda found: found[3] or f"{found[1] or found[2]}:", text)
    pieces = text.split()
    at = 0
    while at < len(pieces):
        piece = pieces[at]
        if piece in ("AND", "NOT"):
            at += 1
            if at == len(pieces) or not terms or (piece == "AND" and excluded):
                return None
        read = _GLUED_TERM.fullmatch(pieces[at])
        if read is None or pieces[at] in ("AND", "NOT", "OR", "NEAR") \
                or (read["column"] and read["column"].lower() != FTS_COLUMNS[0]):
            return None
        word = read["phrase"] or read["word"]
        if bigrams.split_words([word])[0] or not any(ch.isalnum() for ch in word):
            return None
        term = GluedTerm(word, read["prefix"] is not None, read["column"] is not None)
        if piece == "NOT":
            excluded.append(term)
        elif excluded:  # a word after a NOT is left out with it: not one to find
            return None
        else:
            terms.append(term)
        at += 1
    return Glued(terms, excluded) if terms else None
