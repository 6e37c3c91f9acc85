"""Fast top-k: a query's best posts without ranking most of the archive, from the impact-ordered
lists that archive.search.stats computes, when they are fresh.

Two search-engine shortcuts: a query that is one listed unit (a term, a 3-letter prefix or a
two-word phrase matching thousands of posts) reads its list; a query of several plain words,
some of them in over half of the posts (near-zero idf), ranks by the other words.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from archive.schema import FTS_TABLE
from archive.search import exact
from archive.search.query import TOKEN, Filter, fold, posts_join, quoted, row_conditions
from archive.search.tokens import MARK


def _unit_key(text: str, words: list[str] | None) -> str | None:
    """The statistics unit a query consists of, if it is one term, 3-letter prefix or pair."""
    if words is not None:
        inner = words[0] if len(words) == 1 else None
    else:
        phrase = re.fullmatch(r'\s*"([^"]*)"\s*', text)
        prefix = re.fullmatch(rf'\s*"?((?:\w|{MARK}){{3}})"?\*\s*', text)
        if prefix:
            return fold(prefix.group(1)) + "*"
        inner = phrase.group(1) if phrase else None
    tokens = TOKEN.findall(fold(inner)) if inner else []
    return " ".join(tokens) if 1 <= len(tokens) <= 2 else None


def stats_fresh(conn: sqlite3.Connection) -> bool:
    """Whether the statistics were computed after the last change to the indexed posts."""
    try:
        return bool(conn.execute(
            "SELECT (SELECT value FROM search_meta WHERE key = 'changes') = "
            "(SELECT value FROM search_meta WHERE key = 'stats_changes')").fetchone()[0])
    except sqlite3.OperationalError:  # an archive without statistics: exact ranking only
        return False


def top_fast(conn: sqlite3.Connection, text: str, words: list[str] | None,
              filters: Sequence[Filter], limit: int, offset: int) -> list[tuple[int, float]] | None:
    """Top-k without ranking most of the archive, or None when only exact ranking will do.

    A query that is one listed unit (term, 3-letter prefix, word pair) reads that unit's
    impact-ordered list, applying the filters while walking it: exact. Several plain words of
    which some are in over half of the posts: bm25 gives those its minimum idf (1e-6), so rank by
    the other words (from a list when that is one listed word) and keep the candidates matching
    the whole query; scores then differ from exact bm25 by ~1e-6, which can only reorder posts
    tied on the other words, and may keep another of the posts tied at the cut
    (benchmarks/search.py measures the agreement).
    """
    if not stats_fresh(conn):
        return None
    need = limit + offset
    key = _unit_key(text, words)
    if key is not None:
        listed = _listed(conn, key, filters, limit, offset)
        return listed[0] if listed and (len(listed[0]) == limit or listed[1]) else None
    if words is None or len(words) < 2:
        return None
    folded = {w: TOKEN.findall(fold(w)) for w in words}
    single = sorted({t[0] for t in folded.values() if len(t) == 1})
    common_terms = {row[0] for row in conn.execute(
        f"SELECT term FROM search_terms WHERE term IN ({','.join('?' * len(single))})", single)}
    rare = [w for w in words if len(folded[w]) != 1 or folded[w][0] not in common_terms]
    if not rare or len(rare) == len(words):
        return None
    fetch = need * 3 + 20

    def ranked_exactly() -> tuple[list[tuple[int, float]], bool]:
        candidates = exact.top_exact(conn, quoted(rare), filters, fetch, 0)
        return candidates, len(candidates) < fetch

    def from_list() -> tuple[list[tuple[int, float]], bool] | None:
        listed = _listed(conn, folded[rare[0]][0], filters, fetch, 0)
        if listed is None:
            return None
        candidates, whole = listed
        return candidates, whole and len(candidates) < fetch

    # Candidates ranked by the other words: from the list of the one other word if it has one
    # (the same ranks, in a millisecond), else ranked exactly.
    sources = [ranked_exactly]
    if len(rare) == 1 and len(folded[rare[0]]) == 1:
        sources.insert(0, from_list)
    for source in sources:
        found = source()
        if found is None:
            continue
        candidates, exhausted = found
        # The candidates match the other words: check only the dropped ones (each word checked
        # is a seek in its doclist for every candidate).
        marks = ",".join("?" * len(candidates))
        matching = {row[0] for row in conn.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? AND rowid IN ({marks})",
            [quoted([w for w in words if w not in rare]),
             *(rowid for rowid, _ in candidates)])}
        kept = [c for c in candidates if c[0] in matching]
        # Posts tied on the other words at the cut stay in the candidates' order (exact bm25
        # would break the tie by the dropped words' 1e-6 weight): ranking everything exactly
        # again to settle a tie made a medium word with a common one take 221 ms at p95 instead
        # of 84 ms at 1M posts, and the tied posts are equally relevant to every word that
        # counts. The top-10 overlap with exact bm25 stays 0.98-1.00 (benchmarks/search.py).
        if len(kept) >= need or exhausted:
            return kept[offset:need]
    return None  # too few candidates survived: rank exactly


def _listed(conn: sqlite3.Connection, unit: str, filters: Sequence[Filter], limit: int,
            offset: int) -> tuple[list[tuple[int, float]], bool] | None:
    """The top of a unit's impact-ordered list, the filters applied while walking it (what
    ranking the unit's matches exactly would give, as far as the list goes), and whether the
    list holds every match; None when the unit has no list."""
    where, params = row_conditions(filters, "t.post_id")
    sql = "SELECT t.post_id, t.rank FROM search_top t" + posts_join(filters, "t.post_id")
    sql += " WHERE t.term = ?"
    sql += "".join(f" AND {clause}" for clause in where)
    sql += " ORDER BY t.position LIMIT ? OFFSET ?"
    top = [tuple(row) for row in conn.execute(sql, [unit, *params, limit, offset])]
    counts = conn.execute(
        "SELECT doc, (SELECT count(*) FROM search_top WHERE term = ?) FROM search_lists "
        "WHERE term = ?", (unit, unit)).fetchone()
    if counts is None:  # no list, or one ranked before lists kept their match count (v5)
        return (top, False) if top else None
    return top, counts[0] <= counts[1]


