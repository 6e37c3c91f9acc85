"""Ranked full-text search over an archive: the API behind `wixarchive search`.

    from archive.search import SearchQuery, search
    hits = search(archive, SearchQuery("sophrologie stress", since="2024", limit=5))

The package, by stage of a query:
  query   what the user typed as an FTS5 MATCH expression, and the filters as SQL conditions;
  languages  a common language's English name as the --lang filter reads it (Turkish: tr);
  exact   exact bm25 ranking, filters applied while ranking;
  topk    fast top-k from the impact-ordered lists, when the statistics are fresh;
  casefold  words the tokenizer folds short of casefold (ß, ligatures) or of fold_case (θάλασσα,
            Ødegård, ١٢): their other spellings the index holds;
  stats   which units get a list, and ranking them (Archive.refresh_search_stats stores them);
  extend  extending the lists with the posts added or changed since;
  listing   a search with no words but filters: the posts passing them, newest first;
and for Chinese, Japanese and Korean words, which the main index keeps inside whole runs:
  bigrams     CJK text and words as overlapping character pairs (what posts_cjk indexes);
  cjk         ranked top-k from posts_cjk, and with other words looked up beside it;
  cjk_syntax  FTS5 syntax with CJK words in it, each word read in its own index, and run;
and for Hebrew and Arabic words, which the main index holds with their vowel marks:
  marks     text and words without the marks (what posts_unmarked indexes), snippets with them;
  unmarked  ranking over the main index and posts_unmarked as one;
and tokens, the index's words as Python splits and folds text (combining marks kept inside
them, for Devanagari and Bengali).

Raw sqlite3, not sqlite-utils, on this path: it is the search command's cold start, and importing
sqlite-utils alone costs ~120 ms (benchmarks/search.py measures the command's start-up). Nothing
here imports archive.store or archive.search_upkeep (which imports the statistics modules to
refresh them).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from dataclasses import field as dataclass_field
from typing import Any, Protocol

from archive.schema import FTS_COLUMNS, FTS_PREFIX, FTS_TABLE, UNMARKED_TABLE
from archive.search import bigrams, casefold, cjk, cjk_syntax, exact, listing, marks, unmarked
from archive.search.query import (
    MAX_ROWS,
    Filter,
    PlainQuery,
    SearchError,
    SearchQuery,
    checked,
    explain,
    filters_for,
    fold,
    fts_query,
    held_by_another,
    match_expression,
    nothing_asked,
    plain_query,
    plain_words,
    quoted,
    register_functions,
    uses_fts_syntax,
)
from archive.search.tokens import COMBINING, MARK
from archive.search.topk import stats_fresh, top_fast
from archive.site_match import NoSuchSite, site_ids

__all__ = [
    "HIGHLIGHT_END",
    "HIGHLIGHT_START",
    "HIT_FIELDS",
    "Hit",
    "NoSuchSite",
    "SearchError",
    "SearchQuery",
    "count",
    "fold",
    "fts_query",
    "plain_words",
    "search",
    "stats_fresh",
    "uses_fts_syntax",
]

# Snippets mark matched terms with these control characters, which never occur in post text;
# callers turn them into colour, brackets or <mark> (see Hit.marked_snippet).
HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
SNIPPET_TOKENS = 24


# A prefix shorter than the index's prefix length (schema.FTS_PREFIX) has no doclist of its own:
# FTS5 merges those of every term it starts, at each lookup of the query.
_SHORT_PREFIX = re.compile(
    rf'(?<![\w"{COMBINING}])"?(?:[^\W_]|{MARK}){{1,{int(FTS_PREFIX) - 1}}}"?\*')


_ONE_PHRASE = re.compile(r'"([^"]+)"')


class HasConnection(Protocol):
    """What search() needs of an archive (archive.store.Archive is one)."""

    conn: sqlite3.Connection


@dataclass
class Hit:
    """One search result: the post's identity and dates, a snippet and its bm25 rank (lower is
    better)."""

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
    # The indexed fields (FTS_COLUMNS) the words were found in; empty for a search without
    # words or one answered by the Chinese/Japanese/Korean index.
    matched_in: list[str] = dataclass_field(default_factory=list)

    def marked_snippet(self, start: str = "", end: str = "") -> str:
        return self.snippet.replace(HIGHLIGHT_START, start).replace(HIGHLIGHT_END, end)

    def highlights(self) -> list[tuple[int, int]]:
        """Where the matched words are in the unmarked snippet (`marked_snippet()`): [start,
        end) offsets in characters (Python string indices, Unicode code points), in order."""
        spans: list[tuple[int, int]] = []
        position, start = 0, None
        for piece in _MARKS.split(self.snippet):
            if piece == HIGHLIGHT_START:
                start = position
            elif piece == HIGHLIGHT_END:
                if start is not None and start < position:
                    spans.append((start, position))
                start = None
            else:
                position += len(piece)
        return spans

    def to_dict(self) -> dict[str, Any]:
        """The hit as JSON-ready data, keys in HIT_FIELDS' order: `snippet` unmarked, and
        `highlights` the [start, end) offsets of its matched words in it."""
        data = asdict(self)
        matched_in = data.pop("matched_in")  # last, after the columns it came after
        data["snippet"] = self.marked_snippet()
        data["highlights"] = [list(span) for span in self.highlights()]
        data["matched_in"] = matched_in
        return data


# The keys of Hit.to_dict(), in order: the columns of every record output of a hit.
HIT_FIELDS = (*(field.name for field in fields(Hit) if field.name != "matched_in"),
              "highlights", "matched_in")
_MARKS = re.compile(f"([{HIGHLIGHT_START}{HIGHLIGHT_END}])")


def search(source: HasConnection | sqlite3.Connection, query: SearchQuery) -> list[Hit]:
    """The best-ranked posts matching `query`, best first, each with a highlighted snippet;
    with no words in `query.text` but a filter, the posts passing it, newest first (rank 0, the
    snippet their text's beginning).

    `source` is an open Archive (or anything with its `conn`) or an sqlite3 connection to one.
    SearchError for a query that cannot run; sqlite3.DatabaseError, raised as it is, for damaged
    pages of the archive or a lock another process held past the busy timeout (no fault of the
    query's).
    """
    conn = source if isinstance(source, sqlite3.Connection) else source.conn
    query = checked(query)
    if not query.text.strip():
        return _listed(conn, query)
    ranked = _Ranked(marks.strip(query.text))
    try:
        top = ranked.top(conn, query, fast=True)
        ranks = dict(top)
        if not ranks:
            check_index_holds_words(conn)
            return []
        glued = [post_id for post_id in ranks if post_id in ranked.glued]
        others = [post_id for post_id in ranks if post_id not in ranked.glued]
        if ranked.runs:
            snippets = _body_snippets(conn, list(ranks), lambda body: bigrams.snippet(
                body, ranked.runs, HIGHLIGHT_START, HIGHLIGHT_END))
        elif ranked.unmarked:
            snippets = _unmarked_snippets(conn, ranked.match, others)
        else:
            snippets = _snippets(conn, FTS_TABLE, ranked.match, others)
        if glued:  # written against CJK text: marked where the text holds them
            snippets |= _body_snippets(conn, glued, lambda body: bigrams.glued_snippet(
                body, ranked.glued_words, HIGHLIGHT_START, HIGHLIGHT_END))
        hits = _hits(conn, ranks, snippets)
    except sqlite3.OperationalError as exc:  # the query's (damaged pages: DatabaseError, raised)
        if held_by_another(exc):
            raise
        raise explain(exc, query.text.strip()) from exc  # as typed, not as widened
    # The posts found by words written against CJK text after the others (their rank is
    # posts_cjk's: `_Ranked._glued`).
    hits.sort(key=lambda hit: (hit.id in ranked.glued, hit.rank, hit.id))
    return hits


def _body_snippets(conn: sqlite3.Connection, ids: list[int], cut: Callable[[str], str],
                   ) -> dict[int, tuple[str, list[str]]]:
    """The snippets `cut` makes of the bodies of the posts `ids` (around CJK runs, or words
    written against CJK text: bigrams), no field named as matched."""
    placeholders = ",".join("?" * len(ids))
    return {post_id: (cut(body or ""), []) for post_id, body in conn.execute(
        f"SELECT id, body FROM posts WHERE id IN ({placeholders})", ids)}


def count(source: HasConnection | sqlite3.Connection, query: SearchQuery) -> int:
    """How many posts `query` matches: every post `search` would page through (its limit and
    offset do not apply); with no words but a filter, how many posts pass it.

    The posts are found as `search` finds them, by the same query building, index and
    filters, so the count is how many hits paging to the end gives. Plain words and FTS5 syntax
    are counted without ranking (exact.count_exact); CJK words are ranked, as their last page."""
    conn = source if isinstance(source, sqlite3.Connection) else source.conn
    query = replace(checked(query), limit=MAX_ROWS, offset=0)
    if not query.text.strip():
        if not query.filtered():
            raise SearchError(nothing_asked())
        register_functions(conn)
        return listing.passing(conn, filters_for(query, site_ids(conn, query.site)))
    ranked = _Ranked(marks.strip(query.text))
    try:
        matching = ranked.count(conn, query)
        if not matching:
            check_index_holds_words(conn)
        return matching
    except sqlite3.OperationalError as exc:  # as in search
        if held_by_another(exc):
            raise
        raise explain(exc, query.text.strip()) from exc


def check_index_holds_words(conn: sqlite3.Connection) -> None:
    """sqlite3.DatabaseError when the search index holds no word at all while posts have text:
    its blocks zeroed (a failing disk, a bad copy) read as an empty index, not as damaged pages,
    and every search found nothing, as if no post had the words. One seek each, run only when
    a search found nothing."""
    if conn.execute(f"SELECT 1 FROM {FTS_TABLE}_vocab LIMIT 1").fetchone() is None:
        with_text = " OR ".join(f"{column} != ''" for column in FTS_COLUMNS)
        if conn.execute(f"SELECT 1 FROM posts WHERE {with_text} LIMIT 1").fetchone() is not None:
            raise sqlite3.DatabaseError("database disk image is malformed: the search index "
                                        "is empty while posts have text")
    # The same for the Hebrew and Arabic index, which a post it lists has words in.
    elif unmarked.holds_marks(conn) and conn.execute(
            f"SELECT 1 FROM {UNMARKED_TABLE}_vocab LIMIT 1").fetchone() is None:
        raise sqlite3.DatabaseError("database disk image is malformed: the Hebrew and Arabic "
                                    "search index is empty while posts have such text")


class _Ranked:
    """The ranking of one query's matches, as `search` and `count` run it: what the query's
    text means (plain words, a phrase, FTS5 syntax, Chinese, Japanese or Korean words) and
    which index answers it. `match` is the MATCH expression (an error quotes the query as typed
    instead: its words may be widened to their other spellings) and `runs` the CJK runs whose
    bigrams found the posts (their snippets are made from them); `unmarked`, whether posts
    written with Hebrew or Arabic vowel marks were found in their own index (`text` has none:
    marks.strip)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.match = text.strip()
        self.runs: list[str] = []
        self.unmarked = False
        # The posts found by words written against CJK text, listed last (`_glued`).
        self.glued: set[int] = set()
        self.glued_words: list[tuple[str, bool]] = []  # (word, whether a prefix)
        self.phrases: dict[str, list[str]] = {}  # casefold.word_phrases of its plain words
        self.variants = casefold.Variants({}, ())  # the archive's (casefold.archive_variants)

    def top(self, conn: sqlite3.Connection, query: SearchQuery, *, fast: bool,
            ) -> list[tuple[int, float]]:
        """(post id, bm25 rank) of the posts of `query`'s page (its limit and offset), best
        first; `fast`: from the impact-ordered lists when they answer exactly (topk)."""
        found = self._find(conn, query, fast=fast, counting=False)
        assert not isinstance(found, int)
        return found

    def count(self, conn: sqlite3.Connection, query: SearchQuery) -> int:
        """How many posts `top` gives paged to the end: plain words and FTS5 syntax counted in
        the main index without ranking them; CJK words, ranked, as their page."""
        found = self._find(conn, query, fast=False, counting=True)
        return found if isinstance(found, int) else len(found)

    def _find(self, conn: sqlite3.Connection, query: SearchQuery, *, fast: bool,
              counting: bool) -> list[tuple[int, float]] | int:
        plain = plain_query(self.text)
        # The vocabulary lookups too: a time limit stops them as it stops the search. Words that
        # fold to more than the index's tokenizer finds (STRASSE: straße too) are searched as
        # their phrases, by exact ranking: the lists of the fast path are per term.
        # The archive's letters that may vary, read once: the words' other spellings in both
        # indexes are read from them.
        self.variants = casefold.archive_variants(conn)
        phrases = casefold.word_phrases(conn, [*plain.words, *plain.excluded],
                                        self.variants) if plain else {}
        words = plain.words if plain is not None and not plain.excluded and not phrases else None
        if words is None and (phrase := _ONE_PHRASE.fullmatch(self.text.strip())) \
                and bigrams.split_words([phrase[1]])[0]:
            words = phrase[1].split()  # "東京タワー", quoted out of habit: its bigrams find it
        self.match = match_expression(self.text, plain, phrases) if words is None \
            else quoted(words)
        runs, others = bigrams.split_words(words) if words is not None else ([], [])
        # FTS5 syntax with CJK words in it (`東京 OR 大阪`): each word in its index.
        syntax = cjk_syntax.parse(self.match) if words is None else None
        if plain is None:  # FTS5 syntax: its words widened as plain words are
            widened = casefold.widen_syntax(conn, self.match, self.variants)
            # Beside CJK words too (`strasse AND 東京`, `title:strasse OR 東京` find Straße),
            # where cjk_syntax reads the widened expression, however many parts its groups
            # of spellings add (until 2026-12-07, one widened past MAX_PARTS ran as typed).
            widened_syntax = cjk_syntax.parse(widened, widened=True) \
                if syntax is not None else None
            if syntax is None or widened_syntax is not None:
                self.match, syntax = widened, widened_syntax
        # A site naming no archived site is a mistake to point out (NoSuchSite lists the sites),
        # not "no matches", as it is for every command and function that takes a site.
        filters = filters_for(query, site_ids(conn, query.site))
        register_functions(conn)
        # Words without CJK text: the posts holding one written against CJK text (`berlin` of
        # 東京でberlinと, which the main index holds only inside that whole token) are found
        # in posts_cjk, and listed after the others (`_glued`); in FTS5 syntax, what one
        # lookup per word keeps the meaning of (cjk.glued_syntax: `berlin*`, `title:berlin`).
        glued = None if runs or syntax is not None else _glued_words(self.text, words, plain)
        bigram_index = (runs or glued or syntax) and cjk.indexed(conn)
        if not bigram_index:  # an archive from before v13, read-only: the main index only
            runs, syntax, glued = [], None, None
        elif glued is not None and glued.excluded:
            # Spelled otherwise too (strasse: straße), as the words to find are (`_glued`).
            glued = glued._replace(excluded=_spelled(self.variants, glued.excluded, phrases))
            if (left_out := cjk.not_glued(conn, glued.excluded)) is not None:
                filters = [*filters, left_out]
        self.phrases = phrases
        limit, offset = query.limit, query.offset
        # Hebrew or Arabic words, and posts written with vowel marks: both indexes, as one.
        self.unmarked = not runs and syntax is None and unmarked.needed(conn, self.match)
        if self.unmarked:
            if counting:
                return unmarked.count(conn, self.match, filters) + self._glued_count(
                    conn, glued, filters)
            top = unmarked.top(conn, self.match, filters, limit, offset)
        elif syntax is not None:
            runs = syntax.runs
            top = cjk.top_matching(conn, syntax.cjk_match, filters, limit, offset) \
                if syntax.cjk_match else cjk_syntax.top_mixed(
                    conn, syntax, filters, limit, offset,
                    cjk.reads_unmarked(conn, syntax.main_words))
        elif runs:  # Chinese, Japanese or Korean words: archive/search/bigrams.py
            top = cjk.top_cjk(conn, runs, others, filters, limit, offset)
        elif counting:
            return exact.count_exact(conn, self.match, filters) + self._glued_count(
                conn, glued, filters)
        else:
            top = top_fast(conn, self.match, words, filters, limit, offset) if fast else None
            if top is None:
                top = exact.top_exact(conn, self.match, filters, limit, offset)
        if glued is not None and len(top) < limit:
            # The page ends the other posts' ranking: the glued ones follow, on from the
            # first (the posts before them counted when this page is past their end).
            before = offset + len(top) if top or not offset else (
                unmarked.count if self.unmarked else exact.count_exact)(
                    conn, self.match, filters)
            more = self._glued(conn, glued, filters, limit - len(top), max(0, offset - before))
            top = [*top, *more]
        self.runs = runs
        return top

    def _glued(self, conn: sqlite3.Connection, glued: cjk.Glued | None,
               filters: Sequence[Filter], limit: int, offset: int) -> list[tuple[int, float]]:
        """The posts holding the words of `glued` with one at least written against CJK text
        that the query's own index (or indexes) did not find, ranked in posts_cjk
        (cjk.top_glued): `limit` of them from `offset`, recorded in `self.glued`."""
        if glued is None:
            return []
        terms = _spelled(self.variants, glued.terms, self.phrases)  # strasse: straße there too
        more = cjk.top_glued(conn, terms, glued.excluded, self._found_by(), filters, limit,
                             offset)
        self.glued = {post_id for post_id, _ in more}
        self.glued_words = [(word, term.prefix) for term in terms
                            for word in (term.word, *term.spellings)]
        return more

    def _glued_count(self, conn: sqlite3.Connection, glued: cjk.Glued | None,
                     filters: Sequence[Filter]) -> int:
        """How many posts `_glued` ranks paged to the end, without ranking them."""
        return 0 if glued is None else cjk.count_glued(
            conn, _spelled(self.variants, glued.terms, self.phrases), glued.excluded,
            self._found_by(), filters)

    def _found_by(self) -> list[tuple[str, str]]:
        """(index, MATCH expression) of each index the query's words were looked up in."""
        return [(FTS_TABLE, self.match), *[(UNMARKED_TABLE, self.match)] * self.unmarked]


def glued_terms(conn: sqlite3.Connection, text: str) -> cjk.Glued | None:
    """The words of `text`, a query with no CJK word, that the ranked search also looks up
    where they are written against CJK text (`berlin` of 東京でberlinと), spelled as it spells
    them (strasse: straße); None for a query it looks up no such words of (FTS5 syntax one
    lookup per word cannot keep, a malformed query)."""
    try:
        plain = plain_query(text)
    except SearchError:
        return None
    variants = casefold.archive_variants(conn)
    phrases = casefold.word_phrases(conn, [*plain.words, *plain.excluded],
                                    variants) if plain else {}
    glued = _glued_words(text, None, plain)
    return None if glued is None or not glued.terms else cjk.Glued(
        _spelled(variants, glued.terms, phrases), _spelled(variants, glued.excluded, phrases))


def _glued_words(text: str, words: list[str] | None, plain: PlainQuery | None,
                 ) -> cjk.Glued | None:
    """The words of a query without CJK words to look up where they are written against CJK
    text: plain words (those left out too), or FTS5 syntax one lookup per word keeps the
    meaning of; None for others."""
    if words:
        return cjk.Glued([cjk.GluedTerm(word) for word in words], [])
    if plain is None:
        return cjk.glued_syntax(text)
    return cjk.Glued([cjk.GluedTerm(word) for word in plain.words],
                     [cjk.GluedTerm(word) for word in plain.excluded])


def _spelled(variants: casefold.Variants, terms: list[cjk.GluedTerm],
             phrases: dict[str, list[str]]) -> list[cjk.GluedTerm]:
    """`terms` with each but a prefix given its other spellings: those the main index holds
    (`phrases`, casefold.word_phrases) and those posts_cjk may hold
    (casefold.glued_spellings). Until 2026-12-07 a word with other spellings (strasse) was not
    looked up against CJK text at all, and one without in the main index (straße) was looked
    up as typed alone."""
    # Prefixes are searched as typed, as they are in the main index.
    spelled = casefold.glued_spellings(variants, [term.word for term in terms if not term.prefix])
    if not spelled and not phrases:
        return terms

    def with_spellings(term: cjk.GluedTerm) -> cjk.GluedTerm:
        others = dict.fromkeys([*phrases.get(term.word, [])[1:], *spelled.get(term.word, [])])
        others.pop(term.word, None)
        return term._replace(spellings=tuple(others)[:casefold.MAX_SPELLINGS]) \
            if others and not term.prefix else term

    return [with_spellings(term) for term in terms]


def _listed(conn: sqlite3.Connection, query: SearchQuery) -> list[Hit]:
    """The posts passing the query's filters, newest first: a search without words."""
    if not query.filtered():
        raise SearchError(nothing_asked())
    filters = filters_for(query, site_ids(conn, query.site))
    register_functions(conn)
    ids = listing.newest(conn, filters, query.limit, query.offset)
    if not ids:
        return []
    beginnings = {post_id: (text, []) for post_id, text in listing.beginnings(conn, ids).items()}
    hits = {hit.id: hit for hit in _hits(conn, dict.fromkeys(ids, 0.0), beginnings)}
    return [hits[post_id] for post_id in ids if post_id in hits]


def _hits(conn: sqlite3.Connection, ranks: dict[int, float],
          snippets: dict[int, tuple[str, list[str]]]) -> list[Hit]:
    """The hits of the posts `ranks` names (post id -> rank), each with its snippet and the
    fields matched (post id -> both), in no particular order."""
    marks = ",".join("?" * len(ranks))
    hits = []
    for row in conn.execute(
            "SELECT p.id, p.url, p.title, s.url, p.author, p.published, p.language, "
            "p.deleted_at FROM posts p JOIN sites s ON s.id = p.site_id "
            f"WHERE p.id IN ({marks})", list(ranks)):
        snippet, matched_in = snippets.get(row[0], ("", []))
        hits.append(Hit(*tuple(row), snippet=snippet or "", rank=ranks[row[0]],
                        matched_in=matched_in))
    return hits


# The short indexed columns whose matches a hit names (`matched_in`): a highlight() of each
# costs little. The body's is seen in its snippet, which holds a match if the body has one.
# Each post's snippet comes back with a "\x01" and a 0 or 1 per short column after it (control
# characters never occur in post text), so the walk below computes both for the wanted posts only.
# A field the post lacks (no author: NULL) is no match, not a NULL that would blank the rest.
_SHORT_COLUMNS = [name for name in FTS_COLUMNS if name != "body"]
_WITH_MATCHED = (f"coalesce(snippet({FTS_TABLE}, 1, ?, ?, '…', ?), '') || char(1)" + "".join(
    f" || coalesce(instr(highlight({FTS_TABLE}, {FTS_COLUMNS.index(name)}, char(2), ''), "
    "char(2)) > 0, 0)"
    for name in _SHORT_COLUMNS))


def _unmarked_snippets(conn: sqlite3.Connection, match: str, ids: list[int],
                       ) -> dict[int, tuple[str, list[str]]]:
    """_snippets of the posts `ids` found in both indexes: each post's from the index that
    found it, the marks of a post written with them put back."""
    written = unmarked.indexed_bodies(conn, ids)
    snippets = _snippets(conn, FTS_TABLE, match, [i for i in ids if i not in written]) \
        if len(written) < len(ids) else {}
    for post_id, (snippet, matched_in) in _snippets(conn, UNMARKED_TABLE, match,
                                                    list(written)).items():
        body = written[post_id]
        snippets[post_id] = (snippet if body is None else marks.restore(snippet, body),
                             matched_in)
    return snippets


def _snippets(conn: sqlite3.Connection, table: str, match: str, ids: list[int],
              ) -> dict[int, tuple[str, list[str]]]:
    """The snippets of the posts `ids` for `match`, each with the fields it matched in.
    `rowid IN (ids)` looks each post up in the index, a doclist seek per word; but with a
    short prefix each lookup merges the doclists of every term it starts (~25 ms a post at 10k
    posts), so such a query walks its matches once instead, between the lowest and highest id,
    and makes snippets for those posts alone. `table`: posts_fts, or posts_unmarked with the
    same columns."""
    if not ids:
        return {}
    marking = [HIGHLIGHT_START, HIGHLIGHT_END, SNIPPET_TOKENS]
    marks = ",".join("?" * len(ids))
    with_matched = _WITH_MATCHED.replace(FTS_TABLE, table)
    if not _SHORT_PREFIX.search(match):
        rows = conn.execute(
            f"SELECT rowid, {with_matched} FROM {table} WHERE {table} MATCH ? "
            f"AND rowid IN ({marks})", [*marking, match, *ids]).fetchall()
    else:
        wanted = set(ids)
        rows = [row for row in conn.execute(
            f"SELECT rowid, CASE WHEN rowid IN ({marks}) THEN {with_matched} END "
            f"FROM {table} WHERE {table} MATCH ? AND rowid BETWEEN ? AND ?",
            [*ids, *marking, match, min(ids), max(ids)]) if row[0] in wanted]
    return {rowid: _split_matched(text or "") for rowid, text in rows}


def _split_matched(text: str) -> tuple[str, list[str]]:
    """The snippet, and the indexed fields matched in FTS_COLUMNS' order, of _WITH_MATCHED's
    text."""
    snippet, _, flags = text.rpartition("\x01")
    found = {name for name, flag in zip(_SHORT_COLUMNS, flags, strict=False) if flag == "1"}
    if HIGHLIGHT_START in snippet:
        found.add("body")
    return snippet, [name for name in FTS_COLUMNS if name in found]
