"""Search statistics behind fast top-k: which units (terms, 3-letter prefixes, word pairs) get
an impact-ordered list of their best posts, and ranking those lists (compute_stats).

Archive.refresh_search_stats stores them and decides between computing them anew and extending
them (archive.search.extend); archive.search.topk reads them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from archive.schema import FTS_TABLE
from archive.search.query import TOKEN, fold

# Statistics for fast top-k (computed by compute_stats, stored by Archive.refresh_search_stats).
# Posts sampled to find the units worth a list: enough for a unit at LIST_MATCHES to be in ~50
# of them (10,000 at 1M posts), at least PAIR_SAMPLE, at most STATS_SAMPLE.
STATS_SAMPLE = 10_000
PAIR_SAMPLE = 2_000  # the first ones, also counted for word pairs (far more distinct units)
STATS_SHARE = 0.4  # a unit in this share of the sampled posts is a frequent one
# Impact lists for the most frequent units of each kind ("term", "abc*" prefix, "word pair")...
STATS_LISTS = {"term": 16, "prefix": 32, "pair": 16}
# ...and for every term and prefix matching at least LIST_MATCHES posts, whose exact ranking would
# take over ~10 ms (FTS5's bm25 costs ~2.4 us a match). Ranking them all is most of a refresh's
# cost on a large archive: every post's frequent words are ranked once.
LIST_MATCHES = 5_000
# ...and for every word pair (a two-word phrase) matching PAIR_SHARE of the posts, and at least
# LIST_MATCHES. Ranking a phrase walks the positions of both words in every post holding both:
# ~1 s at 1M posts for two words found in most posts, however rare the phrase itself. Such pairs
# number thousands (2,767 match 0.5% of the benchmark's 1M posts), too many to rank at each
# refresh, so only the phrases common themselves get a list (716 of them there).
PAIR_SHARE = 0.05
STATS_TOP = 1_000  # posts kept in the list of a unit in STATS_SHARE of the posts, deep enough for
LIST_TOP = 200  # filters and paging; the others, rarer, rank exactly when their list runs out.


def list_depth(doc: int, posts: int) -> int:
    """How many posts the list of a unit matching `doc` of `posts` posts keeps."""
    return STATS_TOP if doc >= STATS_SHARE * posts else LIST_TOP


def unit_match(unit: str) -> str:
    """The FTS5 query for a statistics unit: a term, a 3-letter prefix ("abc*") or a word pair."""
    return f'"{unit[:-1]}"*' if unit.endswith("*") else f'"{unit}"'


class Stats(NamedTuple):
    """Search statistics: the terms in over half of the posts with their document counts, and
    for each listed unit (term, 3-letter prefix, word pair) how many posts match it and its
    best posts (list_depth of them) as (post id, bm25 rank), best first."""

    terms: dict[str, int]
    lists: dict[str, tuple[int, list[tuple[int, float]]]]


def compute_stats(conn: sqlite3.Connection, posts: int,
                  helpers: Sequence[sqlite3.Connection] = ()) -> Stats:
    """The statistics of the whole archive: frequent units (and every term and prefix with about
    LIST_MATCHES matches or more, every word pair in about PAIR_SHARE of the posts) found in a
    sample of posts, then ranked exactly (the impact-ordered lists).

    A query of one such unit ranks posts by that unit's bm25 alone, so its top-k is a prefix of
    its list, read in a millisecond instead of ranking most of the archive.

    `helpers` are further connections reading the same snapshot as `conn`: the lists, nearly all
    of the cost, are ranked on all of them at once, one thread each (SQLite releases the GIL
    while it ranks; two connections make the refresh ~1.7x faster on two cores).
    """
    import random
    from collections import Counter

    low, high = conn.execute("SELECT min(id), max(id) FROM posts").fetchone()
    size = min(STATS_SAMPLE, max(PAIR_SAMPLE, 50 * posts // LIST_MATCHES), high - low + 1)
    ids = random.Random(high).sample(range(low, high + 1), size)
    seen: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    sampled = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in conn.execute("SELECT title, body, author, tags, categories FROM posts "
                                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            units: set[str] = set()
            pairs_here: set[str] = set()
            for value in row:
                tokens = TOKEN.findall(fold(value or ""))
                units.update(tokens)
                units.update(t[:3] + "*" for t in tokens if len(t) >= 3)
                if sampled < PAIR_SAMPLE:
                    pairs_here.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False))
            seen.update(units)
            pairs.update(pairs_here)
            sampled += 1
    pair_sampled = min(sampled, PAIR_SAMPLE)
    frequent = {u: n / sampled for u, n in seen.items() if n >= STATS_SHARE * sampled}
    frequent.update((u, n / pair_sampled) for u, n in pairs.items()
                    if n >= STATS_SHARE * pair_sampled)
    terms: dict[str, int] = {}
    for unit in frequent:
        if "*" not in unit and " " not in unit:
            row = conn.execute(f"SELECT doc FROM {FTS_TABLE}_vocab WHERE term = ?",
                               (unit,)).fetchone()
            if row and row[0] * 2 > posts:
                terms[unit] = row[0]
    by_kind: dict[str, list[str]] = {kind: [] for kind in STATS_LISTS}
    for unit in sorted(frequent, key=frequent.__getitem__, reverse=True):
        kind = "prefix" if unit.endswith("*") else "pair" if " " in unit else "term"
        by_kind[kind].append(unit)
    listed = [u for kind, units in by_kind.items() for u in units[:STATS_LISTS[kind]]]
    # A sampled share estimates the matches: 0.8 lets in the units just under LIST_MATCHES that
    # the sample undercounts (a unit at the threshold is in ~50 of 10,000 sampled posts at 1M).
    chosen = set(listed)
    listed += [u for u, n in seen.most_common() if u not in chosen
               and n / sampled * posts >= 0.8 * LIST_MATCHES]
    listed += [u for u, n in pairs.most_common() if u not in chosen
               and n / pair_sampled >= 0.8 * PAIR_SHARE
               and n / pair_sampled * posts >= 0.8 * LIST_MATCHES]

    def rank(c: sqlite3.Connection, unit: str) -> tuple[int, list[tuple[int, float]]]:
        doc = count_matches(c, unit)
        return doc, [tuple(row) for row in c.execute(
            f"SELECT rowid, rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? ORDER BY +rank "
            "LIMIT ?", (unit_match(unit), list_depth(doc, posts)))]

    return Stats(terms, on_connections(listed, [conn, *helpers], rank))


def count_matches(conn: sqlite3.Connection, unit: str, from_id: int = 0) -> int:
    """How many posts (with ids from `from_id` on) match a statistics unit."""
    return conn.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
                        "AND rowid >= ?", (unit_match(unit), from_id)).fetchone()[0]


def bm25_idf(posts: int, doc: int) -> float:
    # FTS5's bm25 idf (fts5_aux.c): ln((N - n + 0.5) / (n + 0.5)), or 1e-6 when not positive.
    import math

    idf = math.log((posts - doc + 0.5) / (doc + 0.5))
    return idf if idf > 0 else 1e-6


T = TypeVar("T")


def on_connections(units: list[str], connections: list[sqlite3.Connection],
                    work: Callable[[sqlite3.Connection, str], T]) -> dict[str, T]:
    """work(connection, unit) for every unit, on all the connections at once (one thread each),
    each taking the next unit when done with one: units differ ~10x in cost."""
    import threading
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
    from contextlib import suppress
    from queue import Empty, SimpleQueue

    waiting: SimpleQueue[str] = SimpleQueue()
    for unit in units:
        waiting.put(unit)
    results: dict[str, T] = {}

    def drain(conn: sqlite3.Connection) -> None:
        while True:
            try:
                unit = waiting.get_nowait()
            except Empty:
                return
            results[unit] = work(conn, unit)

    # interrupt() stops only the statements running when it is called: a thread that had taken
    # its unit but not started its query yet would run it whole. This handler stops it too.
    stopping = threading.Event()
    for conn in connections:
        conn.set_progress_handler(stopping.is_set, 10_000)
    try:
        with ThreadPoolExecutor(max_workers=len(connections)) as pool:
            futures = [pool.submit(drain, conn) for conn in connections]
            try:
                # The first error whichever connection it comes from, not only once those
                # before it in the list are done.
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                for future in done:
                    future.result()
            except BaseException:
                # Ctrl-C or a failed query: stop the other connections now (ranking the
                # remaining units would take minutes on a large archive) and report the first
                # error.
                stopping.set()
                with suppress(Empty):
                    while True:
                        waiting.get_nowait()
                for conn in connections:
                    conn.interrupt()
                raise
    finally:
        for conn in connections:
            conn.set_progress_handler(None, 0)
    return {unit: results[unit] for unit in units}

