"""Ranked full-text search over an archive: the API behind `wixarchive search`.

Queries are FTS5 syntax when they use its operators (quotes, `word*`, AND/OR/NOT/NEAR, `title:`
column filters, parentheses) and plain words otherwise: each plain word is quoted, so `don't`,
`C++` or `what's new?` search for those words instead of failing as FTS5 syntax.

Ranking is FTS5's bm25 with the column weights of archive.schema (a title match counts more than
a body match). Exact bm25 has to score every matching post, which is what makes a word found in
many posts slow on a large archive, so two search-engine shortcuts apply when statistics are
fresh (see compute_stats and _top_fast): impact-ordered lists for every term and 3-letter prefix
matching thousands of posts and for two-word phrases found in 5% of the posts, and dropping
near-zero-idf words from multi-word queries. Filtered queries that still rank exactly score only
the matches that pass the filters (see _top_exact), and with a tag or category filter only the
posts holding its name, when that ranks exactly (see _top_holding).

Raw sqlite3, not sqlite-utils, on this path: it is the search command's cold start, and importing
sqlite-utils alone costs ~120 ms (benchmarks/search.py measures the command's start-up).
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from archive.schema import FTS_COLUMNS, FTS_TABLE, FTS_WEIGHTS

if TYPE_CHECKING:
    from archive.store import Archive

# Snippets mark matched terms with these control characters, which never occur in post text;
# callers turn them into colour, brackets or <mark> (see Hit.marked_snippet).
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
SNIPPET_TOKENS = 24

_OPERATOR = re.compile(
    r'"|\w\*|(?:^|[\s(])(?:AND|OR|NOT|NEAR)(?=[\s(]|$)|(?:^|[\s(-])\^?\{?(?:'
    + "|".join(FTS_COLUMNS) + r")\b[^:\s]*\s*:|^\s*\^")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)?)?$")
_TOKEN = re.compile(r"[^\W_]+")  # unicode61's tokens: runs of letters and digits


def fold(text: str) -> str:
    """Lower case without diacritics, as the index's tokenizer sees text (é -> e, Ü -> u)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


class SearchError(Exception):
    """A query the archive cannot run, explained in one line."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    site: str | None = None  # site URL or part of it (host), or the site's name
    author: str | None = None  # part of the author's name, any case
    tag: str | None = None  # exact tag, any case
    category: str | None = None
    since: str | None = None  # published on or after this ISO date (2024, 2024-05, 2024-05-01)
    until: str | None = None  # published on or before (inclusive: 2024-05 covers all of May)
    lang: str | None = None  # language code; "en" also matches "en-GB"
    limit: int = 10
    offset: int = 0


@dataclass
class Hit:
    id: int
    url: str
    title: str | None
    site: str
    author: str | None
    published: str | None
    language: str | None
    deleted_at: str | None
    snippet: str  # with HIGHLIGHT_START/HIGHLIGHT_END around matched terms
    rank: float

    def marked_snippet(self, start: str = "", end: str = "") -> str:
        return self.snippet.replace(HIGHLIGHT_START, start).replace(HIGHLIGHT_END, end)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["snippet"] = self.marked_snippet()
        return data


def uses_fts_syntax(text: str) -> bool:
    return bool(_OPERATOR.search(text))


def plain_words(text: str) -> list[str] | None:
    """The words of a plain query (None when it uses FTS5 syntax)."""
    text = text.strip()
    if not text:
        raise SearchError("empty search query")
    if uses_fts_syntax(text):
        return None
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)]
    if not words:
        raise SearchError(f"nothing to search for in {text!r}: it has no letters or digits")
    return words


def _quoted(words: list[str]) -> str:
    # Each plain word becomes a quoted phrase (its tokens in order); all of them must match.
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression for what the user typed."""
    words = plain_words(text)
    return text.strip() if words is None else _quoted(words)


def _explain(exc: sqlite3.Error, match: str) -> SearchError:
    message = str(exc)
    column = re.match(r"no such column: (.+)", message)
    if column:
        columns = ", ".join(f"{c}:" for c in FTS_COLUMNS)
        return SearchError(f"unknown column {column.group(1)!r} in query (columns: {columns})")
    if message.startswith("fts5:") or "syntax error" in message or "unterminated" in message:
        detail = message.removeprefix("fts5: ").replace('syntax error near ""',
                                                        "the query ends too early")
        return SearchError(f"malformed query {match!r}: {detail} (quote words to search them "
                           "literally)")
    return SearchError(f"the query could not run: {message}")


class Filter(NamedTuple):
    """One search filter: `row`, a condition on the post with `params`, which reads the post's
    row `p` or, if `post_row` is false, only the post's id `{id}`; `ids`, the same condition as
    a query of post ids that an index answers, when one does; and `held`, an index column and
    FTS5 phrase that every post passing the filter holds there (a tag's name in the tags
    column), when there is one."""

    row: str
    params: list[Any]
    ids: str | None = None
    held: tuple[str, str] | None = None
    post_row: bool = True


def _filters(conn: sqlite3.Connection, query: SearchQuery) -> list[Filter]:
    filters: list[Filter] = []
    if query.site:
        needle = query.site.strip()
        if "://" in needle:  # a URL: exactly that site
            from archive.store import site_root

            sites, site_params = "SELECT id FROM sites WHERE url = ?", [site_root(needle)]
        else:  # a host, part of one, or the site's name
            sites = "SELECT id FROM sites WHERE url LIKE ? OR name LIKE ?"
            site_params = [f"%{needle.rstrip('/')}%", needle]
        filters.append(Filter(f"p.site_id IN ({sites})", site_params,
                              f"SELECT id FROM posts WHERE site_id IN ({sites})"))
    if query.author:  # a part of the name: no index helps
        filters.append(Filter("p.author LIKE ?", [f"%{query.author.strip()}%"]))
    for name, value in (("tag", query.tag), ("category", query.category)):
        if value:
            plural = "categories" if name == "category" else "tags"
            named = f"SELECT id FROM {plural} WHERE name = ?"
            value = value.strip()
            # The posts row lists its tags as JSON: the name's words are in the index's tags
            # column as they are in the name, unless JSON escaped some of its characters.
            plain = json.dumps(value, ensure_ascii=False)[1:-1] == value
            # Per post, a lookup in the link table's key: IN (all the tag's posts) would collect
            # them first, which costs more than walking an impact list or a few matches.
            filters.append(Filter(
                f"EXISTS (SELECT 1 FROM post_{plural} x WHERE x.post_id = {{id}} "
                f"AND x.{name}_id IN ({named}))", [value],
                f"SELECT post_id FROM post_{plural} WHERE {name}_id IN ({named})",
                (plural, _quoted([value])) if plain else None, post_row=False))
    for name, value in (("since", query.since), ("until", query.until)):
        if value is not None and not _DATE.match(value.strip()):
            raise SearchError(f"--{name} expects a date like 2024-05-01 (or 2024-05, 2024), "
                              f"not {value!r}")
    if query.since:
        filters.append(Filter("p.published >= ?", [query.since.strip()],
                              "SELECT id FROM posts WHERE published >= ?"))
    if query.until:
        until = query.until.strip()
        filters.append(Filter("substr(p.published, 1, ?) <= ?", [len(until), until]))
    if query.lang:
        lang = query.lang.strip().lower()
        filters.append(Filter("(lower(p.language) = ? OR lower(p.language) LIKE ?)",
                              [lang, f"{lang}-%"]))
    return filters


def row_conditions(filters: Sequence[Filter], post_id: str = "p.id",
                   ) -> tuple[list[str], list[Any]]:
    """The filters as conditions on the post's row `p` whose id is `post_id`, and their
    parameters."""
    return ([f.row.replace("{id}", post_id) for f in filters],
            [param for f in filters for param in f.params])


def _posts_join(filters: Sequence[Filter], post_id: str) -> str:
    """The join that gives the filters the post's row `p`, if one of them reads it: a lookup
    per post that a filter on the id alone saves (~10 us a post on a large archive)."""
    return f" CROSS JOIN posts p ON p.id = {post_id}" if any(f.post_row for f in filters) else ""


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


def _depth(doc: int, posts: int) -> int:
    """How many posts the list of a unit matching `doc` of `posts` posts keeps."""
    return STATS_TOP if doc >= STATS_SHARE * posts else LIST_TOP


def _unit_match(unit: str) -> str:
    """The FTS5 query for a statistics unit: a term, a 3-letter prefix ("abc*") or a word pair."""
    return f'"{unit[:-1]}"*' if unit.endswith("*") else f'"{unit}"'


class Stats(NamedTuple):
    """Search statistics: the terms in over half of the posts with their document counts, and
    for each listed unit (term, 3-letter prefix, word pair) how many posts match it and its
    best posts (_depth of them) as (post id, bm25 rank), best first."""

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
                tokens = _TOKEN.findall(fold(value or ""))
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
        doc = _matches(c, unit)
        return doc, [tuple(row) for row in c.execute(
            f"SELECT rowid, rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? ORDER BY +rank "
            "LIMIT ?", (_unit_match(unit), _depth(doc, posts)))]

    return Stats(terms, _on_connections(listed, [conn, *helpers], rank))


def extend_stats(conn: sqlite3.Connection, old: Stats, posts_before: int, posts_now: int,
                 first_new_id: int, changed: Sequence[int] = (),
                 earlier: Iterable[Sequence[Any]] | None = None,
                 helpers: Sequence[sqlite3.Connection] = ()) -> Stats:
    """The statistics once posts with ids from `first_new_id` on were added and the `changed`
    posts re-indexed, and nothing else: each list merged with those posts' ranks now, without
    ranking the others again. `earlier` holds what the index held for the changed posts when
    the statistics were computed (rows of post id and FTS columns), None when that is unknown.

    A listed post's bm25 for one unit changes with other posts only through the unit's idf,
    the same factor for every post (so its old rank is rescaled), and the average post length,
    which a few percent of the posts barely move: Archive.refresh_search_stats ranks everything
    again once STATS_EXTEND_SHARE of the archive was added or changed since.

    The added and changed posts are ranked, and the units' matches counted, in an index of
    their own (see _RecentIndex), not in the archive's: there FTS5's bm25 walks a unit's every
    match to count them (its idf) before it ranks one post, which for ~12,000 units at 1M posts
    took a minute however few posts were added.
    """
    import tempfile

    connections = [conn, *helpers]
    changed_ids = set(changed)
    with tempfile.TemporaryDirectory(prefix="wixarchive-") as directory:
        recent = _RecentIndex.build(conn, first_new_id, changed_ids, earlier, directory,
                                    len(connections))
        on = dict(zip(map(id, connections), recent.connections, strict=True))

        def doc_now(c: sqlite3.Connection, unit: str, doc: int, matching: int) -> int:
            gained = recent.gained(on[id(c)], unit, matching)
            return _matches(c, unit) if gained is None else doc + gained

        def extend(c: sqlite3.Connection, unit: str) -> tuple[int, list[tuple[int, float]]]:
            doc, ranked = old.lists[unit]
            fresh = recent.ranks(on[id(c)], unit)
            now = doc_now(c, unit, doc, len(fresh))
            idf = _idf(posts_now, now)
            fresh = [(post_id, rank * idf) for post_id, rank in fresh]
            scale = idf / _idf(posts_before, doc)
            merged = [(post_id, rank * scale) for post_id, rank in ranked
                      if post_id not in changed_ids]
            if ranked and len(ranked) < doc:  # a cut list: posts ranked after its end are unknown
                last = ranked[-1][1] * scale
                fresh = [item for item in fresh if item[1] <= last]
            return now, sorted(merged + fresh, key=lambda item: item[1])[:_depth(now, posts_now)]

        try:
            lists = _on_connections(list(old.lists), connections, extend)
            terms: dict[str, int] = {}
            for term, doc in old.terms.items():
                if term in lists:
                    doc = lists[term][0]
                else:
                    doc = doc_now(conn, term, doc, recent.count(on[id(conn)], term))
                if doc * 2 > posts_now:
                    terms[term] = doc
        finally:
            recent.close()
    return Stats(terms, lists)


class _RecentIndex:
    """The posts added or changed since the statistics, indexed in a scratch file as the archive
    indexes them and padded with empty posts to the archive's average post length: their bm25
    ranks there are the archive's but for the idf (one factor per unit, known from the match
    counts) and for rounding the padding to whole tokens (~1e-7 relative for 10,000 posts).
    Beside them, the changed posts as they were, to count the posts a unit no longer matches."""

    NOW, BEFORE = "recent_posts", "earlier_posts"
    PAD = "0"  # padding rows hold this token only; they have ids below 1, no post's

    def __init__(self, connections: list[sqlite3.Connection], rows: int,
                 earlier_known: bool) -> None:
        self.connections = connections
        self.rows = rows
        self.earlier_known = earlier_known

    @classmethod
    def build(cls, conn: sqlite3.Connection, first_new_id: int, changed: set[int],
              earlier: Iterable[Sequence[Any]] | None, directory: str,
              connections: int) -> _RecentIndex:
        import math

        from archive.schema import twin_fts_ddl

        columns = ", ".join(FTS_COLUMNS)
        marks = ", ".join("?" * (len(FTS_COLUMNS) + 1))
        path = f"{directory}/recent.db"
        scratch = sqlite3.connect(path, isolation_level=None)
        scratch.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to recover
        scratch.execute("PRAGMA synchronous = OFF")
        scratch.executescript(twin_fts_ddl(cls.NOW) + twin_fts_ddl(cls.BEFORE))
        scratch.execute("BEGIN")
        now = conn.execute(f"SELECT id, {columns} FROM posts WHERE id >= ? OR id IN "
                           "(SELECT value FROM json_each(?))",
                           (first_new_id, json.dumps(sorted(changed))))
        scratch.executemany(f"INSERT INTO {cls.NOW} (rowid, {columns}) VALUES ({marks})", now)
        if earlier is not None:
            scratch.executemany(
                f"INSERT INTO {cls.BEFORE} (rowid, {columns}) VALUES ({marks})", earlier)
        scratch.execute("COMMIT")  # which writes the totals read next
        rows, tokens = _index_totals(scratch, cls.NOW)
        archive_rows, archive_tokens = _index_totals(conn, FTS_TABLE)
        average = archive_tokens / archive_rows
        padded = max(rows + 1, math.ceil(tokens / average))
        padding, extra = round(average * padded) - tokens, padded - rows
        scratch.execute("BEGIN")
        scratch.executemany(
            f"INSERT INTO {cls.NOW} (rowid, body) VALUES (?, ?)",
            ((-n, " ".join([cls.PAD] * (padding // extra + (n < padding % extra))))
             for n in range(extra)))
        scratch.execute("COMMIT")
        scratch.close()
        return cls([sqlite3.connect(path, check_same_thread=False) for _ in range(connections)],
                   padded, earlier is not None or not changed)

    def ranks(self, scratch: sqlite3.Connection, unit: str) -> list[tuple[int, float]]:
        """The unit's matches among these posts as (post id, bm25 rank / idf)."""
        matches = scratch.execute(f"SELECT rowid, rank FROM {self.NOW} WHERE {self.NOW} "
                                  "MATCH ?", (_unit_match(unit),)).fetchall()
        idf = _idf(self.rows, len(matches))  # what bm25 used here: padding rows count too
        return [(rowid, rank / idf) for rowid, rank in matches if rowid > 0]

    def count(self, scratch: sqlite3.Connection, unit: str) -> int:
        """How many of these posts match the unit."""
        return scratch.execute(f"SELECT count(*) FROM {self.NOW} WHERE {self.NOW} MATCH ? "
                               "AND rowid > 0", (_unit_match(unit),)).fetchone()[0]

    def gained(self, scratch: sqlite3.Connection, unit: str, matching: int) -> int | None:
        """How many more posts match the unit than at the statistics, given that `matching`
        of these posts do; None when the changed posts' earlier texts are unknown."""
        if not self.earlier_known:
            return None
        return matching - scratch.execute(
            f"SELECT count(*) FROM {self.BEFORE} WHERE {self.BEFORE} MATCH ?",
            (_unit_match(unit),)).fetchone()[0]

    def close(self) -> None:
        for scratch in self.connections:
            scratch.close()


def _index_totals(conn: sqlite3.Connection, table: str) -> tuple[int, int]:
    """The rows of an FTS5 index and their tokens in all columns: bm25's average post length,
    read from the index's "averages" record (row 1 of its data table; SQLite varints)."""
    block = conn.execute(f"SELECT block FROM {table}_data WHERE id = 1").fetchone()
    values, position = [], 0
    while block and position < len(block[0]):
        value = 0
        for step in range(9):
            byte = block[0][position]
            position += 1
            if step == 8:  # the ninth byte of a varint carries 8 bits
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return (values[0], sum(values[1:])) if values else (0, 0)


def _matches(conn: sqlite3.Connection, unit: str, from_id: int = 0) -> int:
    """How many posts (with ids from `from_id` on) match a statistics unit."""
    return conn.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
                        "AND rowid >= ?", (_unit_match(unit), from_id)).fetchone()[0]


def _idf(posts: int, doc: int) -> float:
    # FTS5's bm25 idf (fts5_aux.c): ln((N - n + 0.5) / (n + 0.5)), or 1e-6 when not positive.
    import math

    idf = math.log((posts - doc + 0.5) / (doc + 0.5))
    return idf if idf > 0 else 1e-6


T = TypeVar("T")


def _on_connections(units: list[str], connections: list[sqlite3.Connection],
                    work: Callable[[sqlite3.Connection, str], T]) -> dict[str, T]:
    """work(connection, unit) for every unit, on all the connections at once (one thread each),
    each taking the next unit when done with one: units differ ~10x in cost."""
    from concurrent.futures import ThreadPoolExecutor
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

    with ThreadPoolExecutor(max_workers=len(connections)) as pool:
        futures = [pool.submit(drain, conn) for conn in connections]
        try:
            for future in futures:
                future.result()
        except BaseException:
            # Ctrl-C or a failed query: stop the other connections now (ranking the remaining
            # units would take minutes on a large archive) and report the first error.
            with suppress(Empty):
                while True:
                    waiting.get_nowait()
            for conn in connections:
                conn.interrupt()
            raise
    return {unit: results[unit] for unit in units}


def _unit_key(text: str, words: list[str] | None) -> str | None:
    """The statistics unit a query consists of, if it is one term, 3-letter prefix or pair."""
    if words is not None:
        inner = words[0] if len(words) == 1 else None
    else:
        phrase = re.fullmatch(r'\s*"([^"]*)"\s*', text)
        prefix = re.fullmatch(r'\s*"?(\w{3})"?\*\s*', text)
        if prefix:
            return fold(prefix.group(1)) + "*"
        inner = phrase.group(1) if phrase else None
    tokens = _TOKEN.findall(fold(inner)) if inner else []
    return " ".join(tokens) if 1 <= len(tokens) <= 2 else None


# Exact ranking sorts on `+rank`, which SQLite's sorter does keeping only the best LIMIT rows:
# FTS5 consumes a plain `ORDER BY rank` itself, scoring and sorting every match first (1.4-1.9x
# slower at 1M posts) and before any filter is checked, so `+rank` also scores only the matches
# that pass. Each filter is checked per match either on the post's row (a lookup, ~1.5 us a
# match on a large archive) or, when an index yields its posts and they are fewer than SET_SHARE
# times the matches, against that set of post ids (~0.3 us a post to collect it, a fraction of
# that per match to check). The counts deciding this stop early, so they cost little.
JOIN_MATCHES = 2_000  # below this many matches, row lookups cost too little to plan around
MATCH_PROBE = 10_000  # matches counted at first to plan a filtered query (~2 ms)
SET_SHARE = 4


def _count(conn: sqlite3.Connection, sql: str, params: Sequence[Any], cap: int) -> int:
    """How many rows `sql` yields, counting no further than `cap`."""
    return conn.execute(f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, cap]).fetchone()[0]


def _set_filters(conn: sqlite3.Connection, match: str, filters: Sequence[Filter]) -> list[Filter]:
    """The filters to check against their set of post ids rather than each match's row."""
    indexed = [f for f in filters if f.ids]
    if not indexed:
        return []
    count_matches = f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?"
    probe = MATCH_PROBE
    matches = _count(conn, count_matches, [match], probe)
    if matches < JOIN_MATCHES:
        return []
    chosen = []
    for f in indexed:
        size = _count(conn, f.ids, f.params, SET_SHARE * matches)
        while size >= SET_SHARE * matches and matches == probe:
            # Maybe more matches than counted so far: count on (a fraction of checking rows).
            probe *= 10
            matches = _count(conn, count_matches, [match], probe)
            size = _count(conn, f.ids, f.params, SET_SHARE * matches)
        if size < SET_SHARE * matches:
            chosen.append(f)
    return chosen


def _top_exact(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
               offset: int) -> list[tuple[int, float]]:
    if not filters:
        return [tuple(row) for row in conn.execute(
            f"SELECT rowid, rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? ORDER BY +rank "
            "LIMIT ? OFFSET ?", (match, limit, offset))]
    held = _top_holding(conn, match, filters, limit, offset)
    if held is not None:
        return held
    sets = _set_filters(conn, match, filters)
    rows = [f for f in filters if f not in sets]
    # CROSS JOIN keeps the index as the outer loop: filters are checked per match, never the
    # other way round (an FTS lookup per post of a site would recompute the idf each time).
    where, row_params = row_conditions(rows, "f.rowid")
    sql = f"SELECT f.rowid, f.rank FROM {FTS_TABLE} f" + _posts_join(rows, "f.rowid")
    sql += f" WHERE {FTS_TABLE} MATCH ?"
    sql += "".join(f" AND +f.rowid IN ({f.ids})" for f in sets)
    sql += "".join(f" AND {condition}" for condition in where)
    sql += " ORDER BY +f.rank LIMIT ? OFFSET ?"
    params = [match, *(p for f in sets for p in f.params), *row_params, limit, offset]
    return [tuple(row) for row in conn.execute(sql, params)]


_PHRASES = re.compile(r'(?:\s*"(?:[^"]|"")*")+\s*')  # plain words, as _quoted writes them
_PHRASE = re.compile(r'"(?:[^"]|"")*"')


def _top_holding(conn: sqlite3.Connection, match: str, filters: Sequence[Filter], limit: int,
                 offset: int) -> list[tuple[int, float]] | None:
    """Exact top-k of plain words filtered by a tag or category, from the posts that hold the
    name in that index column, which FTS5 finds by skipping through both doclists rather than
    walking every match of the words; None when that does not apply.

    Those posts match one more phrase, the name, which bm25 scores too: it scores nothing with
    that column's weight at 0, and the words then score as they do alone, to the bit, in every
    post where none of them is in that column. So this applies when no post with the name has
    them there (a query for a tag's own name ranks exactly as usual), and when the name's words
    are mostly in that column (bm25 counts the posts holding the name in a walk of its words'
    posts, which would cost more than it saves)."""
    held = next((f for f in filters if f.held), None)
    if held is None or not _PHRASES.fullmatch(match):
        return None
    column, name = held.held
    words = _TOKEN.findall(fold(name[1:-1]))
    docs = [conn.execute(f"SELECT doc FROM {FTS_TABLE}_vocab WHERE term = ?", (word,)).fetchone()
            for word in words]
    if not words or None in docs:  # not tokenized as the index did
        return None
    fewest = min(doc for (doc,) in docs)  # posts holding the name's rarest word anywhere
    enough = -(-fewest // SET_SHARE)
    if _count(conn, held.ids, held.params, enough) < enough:
        return None
    phrases = " OR ".join(_PHRASE.findall(match))
    if conn.execute(f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? LIMIT 1",
                    (f"{column}:({phrases}) AND {column}:{name}",)).fetchone():
        return None
    weights = ", ".join("0.0" if c == column else str(w)
                        for c, w in zip(FTS_COLUMNS, FTS_WEIGHTS, strict=True))
    where, params = row_conditions(filters, "f.rowid")
    return [tuple(row) for row in conn.execute(
        f"SELECT f.rowid, bm25({FTS_TABLE}, {weights}) AS score FROM {FTS_TABLE} f"
        + _posts_join(filters, "f.rowid") + f" WHERE {FTS_TABLE} MATCH ?"
        + "".join(f" AND {w}" for w in where) + " ORDER BY +score LIMIT ? OFFSET ?",
        [f"({match}) AND {column}:{name}", *params, limit, offset])]


def stats_fresh(conn: sqlite3.Connection) -> bool:
    """Whether the statistics were computed after the last change to the indexed posts."""
    try:
        return bool(conn.execute(
            "SELECT (SELECT value FROM search_meta WHERE key = 'changes') = "
            "(SELECT value FROM search_meta WHERE key = 'stats_changes')").fetchone()[0])
    except sqlite3.OperationalError:  # an archive without statistics: exact ranking only
        return False


def _top_fast(conn: sqlite3.Connection, text: str, words: list[str] | None,
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
    folded = {w: _TOKEN.findall(fold(w)) for w in words}
    single = sorted({t[0] for t in folded.values() if len(t) == 1})
    common_terms = {row[0] for row in conn.execute(
        f"SELECT term FROM search_terms WHERE term IN ({','.join('?' * len(single))})", single)}
    rare = [w for w in words if len(folded[w]) != 1 or folded[w][0] not in common_terms]
    if not rare or len(rare) == len(words):
        return None
    fetch = need * 3 + 20

    def ranked_exactly() -> tuple[list[tuple[int, float]], bool]:
        candidates = _top_exact(conn, _quoted(rare), filters, fetch, 0)
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
            [_quoted([w for w in words if w not in rare]),
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
    sql = "SELECT t.post_id, t.rank FROM search_top t" + _posts_join(filters, "t.post_id")
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


def search(source: Archive | sqlite3.Connection, query: SearchQuery) -> list[Hit]:
    """The best-ranked posts matching `query`, best first, each with a highlighted snippet."""
    conn = source if isinstance(source, sqlite3.Connection) else source.conn
    if query.limit < 1 or query.offset < 0:
        raise SearchError("--limit must be at least 1 and --offset at least 0")
    words = plain_words(query.text)
    match = query.text.strip() if words is None else _quoted(words)
    filters = _filters(conn, query)
    try:
        top = _top_fast(conn, query.text, words, filters, query.limit, query.offset)
        if top is None:
            top = _top_exact(conn, match, filters, query.limit, query.offset)
        ranks = dict(top)
        if not ranks:
            return []
        marks = ",".join("?" * len(ranks))
        snippets = dict(conn.execute(
            f"SELECT rowid, snippet({FTS_TABLE}, 1, ?, ?, '…', ?) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH ? AND rowid IN ({marks})",
            [HIGHLIGHT_START, HIGHLIGHT_END, SNIPPET_TOKENS, match, *ranks]).fetchall())
        rows = conn.execute(
            "SELECT p.id, p.url, p.title, s.url, p.author, p.published, p.language, p.deleted_at "
            f"FROM posts p JOIN sites s ON s.id = p.site_id WHERE p.id IN ({marks})",
            list(ranks)).fetchall()
    except sqlite3.Error as exc:
        raise _explain(exc, match) from exc
    hits = [Hit(*tuple(row), snippet=snippets.get(row[0]) or "", rank=ranks[row[0]])
            for row in rows]
    hits.sort(key=lambda hit: (hit.rank, hit.id))
    return hits
