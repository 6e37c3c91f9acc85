"""The posts table's own search box (`?_search=`) for Chinese, Japanese and Korean words (and
Hebrew and Arabic words written with vowel marks).

Datasette's table search matches `_search` against the table's FTS index, the main one, where
an unspaced CJK clause is a single token: 東京 is not found in 先週、東京に行きました. The ranked
search page and the CLI read the bigram index for such words (archive/search/cjk.py); this
makes the table page, its JSON and its CSV do the same. Datasette's search stays in charge (its
search box, its "search matches" line, paging, facets); two hooks steer it:

- `CjkTableSearch` (ASGI): a request for an archive's posts table whose `_search` holds CJK
  text gets `_fts_table=posts_cjk&_searchmode=raw`, so Datasette's search clause reads the bigram
  index. A search without CJK text never does, even when the page's form carries those
  arguments over to the next search.
- `cjk_search_filters` (filters_from_request, run after Datasette's): gives that clause the
  words' bigram phrases in place of the text typed, and requires each other word as
  archive/search/cjk.py does: in the main index, or written against CJK text.

Hebrew and Arabic words are steered the same way, to the index of such text without vowel
marks (`_fts_table=posts_unmarked`, archive/search/marks.py) in an archive holding marks, the
words' marks taken out: every post holding one of those words is in that index.

FTS5 syntax whose words are in two indexes (`東京 OR tokyo`, `東京 OR 北京`, `שלום OR garden` in
an archive holding marks) is moved to its own argument and found as the ranked search finds it
(archive/web/table_search.py's `combined`); so is a search without CJK text when a post holds a
word of it written against CJK text (`berlin` of 東京でberlinと: `finds_glued_words`), which
the main index holds only inside that whole token.

A CJK table search is all of its words (Datasette's escaped mode quotes FTS operators as
words), so this splits the text at spaces and quotes alike, but for a word starting with `-`,
which leaves the posts holding it out, as the ranked search does: a search whose only CJK text
is left out is no CJK search. Any other search using FTS5 syntax or `-word` is steered to
Datasette's raw mode and given the ranked search's MATCH expression
(archive/web/table_search.py), the posts holding a CJK word left out taken out too; so is any
other search, its words widened to their other spellings the index holds as the ranked search
widens them (strasse finds straße).

The same middleware leaves columns out of the posts table unless the request picks its columns
itself (`_col`); Datasette has no setting to hide a column, only `_nocol`, which this adds:
- the bigram columns (`cjk_title`, `cjk`: index input, about twice the text's length), and the
  mark-free ones (`unmarked_title` and the like, archive/search/marks.py), from the page, its
  JSON and its CSV;
- the three bodies (`body`, `body_html`, `body_markdown`) from the HTML page only: sixty rows of
  whole articles made a page 264,000 pixels tall. The article page (the title's link) and the
  row page show them; the table's JSON and CSV keep them (a link from the page carries the
  page's `_nocol`, as Datasette's export links do for any hidden column).
A column hidden from the page's ⚙ menu (`_nocol=title`) hides it beside these, not instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

from archive.schema import CJK_COLUMNS, CJK_TABLE, FTS_TABLE, UNMARKED_COLUMNS, UNMARKED_TABLE
from archive.search.bigrams import CJK_RUN, normalize, run_query, split_words
from archive.search.casefold import widen_syntax, word_phrases
from archive.search.cjk import holding_word
from archive.search.marks import SCRIPT, strip
from archive.search.query import left_out_word, quoted
from archive.web import (
    archive_names,
    archive_sites,
    has_bigram_index,
    has_unmarked_columns,
    holds_marks,
)
from archive.web.facet_counts import counted_facets
from archive.web.metadata import FACETS, TABLES
from archive.web.table_search import (
    COMBINED,
    combined,
    combined_condition,
    finds_glued_words,
    needs_raw_mode,
    table_match,
)

POSTS = "posts"
_STEERING = (("_fts_table", CJK_TABLE), ("_searchmode", "raw"))
_STEERING_UNMARKED = (("_fts_table", UNMARKED_TABLE), ("_searchmode", "raw"))
BODY_COLUMNS = ("body", "body_html", "body_markdown")
# The columns a default facet of the posts table counts by value (a year facet is another).
DEFAULT_FACETED = tuple(column for facet in FACETS[POSTS] for kind, column in facet.items()
                        if kind in ("counted", "list"))


def _cjk_words(text: str) -> tuple[list[str], list[str]] | None:
    """(CJK runs, other words) of a table search, or None when it holds no CJK text to find
    (a word left out, `-東京`, is none)."""
    if text.isascii() or not CJK_RUN.search(normalize(text)):
        return None
    runs, others = split_words(_split_left_out(text)[0])
    return (runs, others) if runs else None


def _split_left_out(text: str) -> tuple[list[str], list[str]]:
    """The words of a table search (at spaces and quotes), and those it leaves out: a word
    holding a letter or digit that `left_out_word` reads so (`plain_query`'s rule: `-walk`,
    `(-walk)`), without its `-`."""
    words, left_out = [], []
    for word in text.replace('"', " ").split():
        if any(ch.isalnum() for ch in word) and (out := left_out_word(word)) is not None:
            left_out.append(out)
        else:
            words.append(word)
    return words, left_out


def _leaving_out(text: str, bigrams: bool, matched: bool,
                 phrases: Mapping[str, list[str]] | None = None,
                 ) -> tuple[list[str], dict[str, str]]:
    """Conditions (and their parameters) on a post `id` holding no word `text` leaves out, as
    the ranked search reads one: each part of it, its CJK runs in the bigram index, the rest in
    either index (archive/search/cjk.py), as any of its `phrases` (casefold.word_phrases:
    strasse, straße) if it has some. `matched`: the main index's MATCH expression leaves the
    words without CJK text out already. None without the bigram index.

    posts_unmarked is not read: in an archive holding marks, `steer` sends every search with a
    Hebrew or Arabic letter elsewhere (COMBINED, posts_unmarked, or posts_cjk when it leaves no
    word out), so none reaches here with words left out (tests/test_search_marks.py)."""
    clauses: list[str] = []
    params: dict[str, str] = {}
    if not bigrams:
        return clauses, params
    for n, word in enumerate(_split_left_out(text)[1]):
        runs, others = split_words([word])
        if matched and not runs:
            continue
        held = []
        for i, run in enumerate(runs):
            held.append(f"id IN (SELECT rowid FROM {CJK_TABLE} WHERE {CJK_TABLE} "
                        f"MATCH :wxa_out{n}_{i})")
            params[f"wxa_out{n}_{i}"] = run_query(run)
        for i, other in enumerate(others):
            held.append(holding_word("id", f":wxa_out{n}_w{i}", f":wxa_out{n}_w{i}"))
            params[f"wxa_out{n}_w{i}"] = quoted([other], phrases)
        clauses.append(f"NOT ({' AND '.join(held)})")
    return clauses, params


class CjkTableSearch:
    """ASGI middleware: steers a CJK `_search` of an archive's posts table to the bigram index,
    and leaves the bigram columns out of that table."""

    def __init__(self, app: Any, datasette: Any) -> None:
        self.app = app
        self.datasette = datasette

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            table = self._posts_table(scope.get("path", ""))
            if table is not None:
                name, (bigrams, html, unmarked, marked) = table
                query_string = counted_facets(scope["query_string"], TABLES[POSTS][2],
                                              DEFAULT_FACETED)
                glued = bigrams and await self._finds_glued_words(name, query_string, marked)
                scope = dict(scope, query_string=steer(query_string, bigrams, html, unmarked,
                                                       marked, glued))
        await self.app(scope, receive, send)

    async def _finds_glued_words(self, name: str, query_string: bytes, marked: bool) -> bool:
        """Whether `_search`, without CJK text, finds a post holding one of its words written
        against CJK text (table_search.finds_glued_words): one seek in the bigram index, in
        Datasette's database thread."""
        args = parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
        search = next((value for key, value in args if key == "_search"), "")
        if not search.strip() or CJK_RUN.search(normalize(search)) \
                or (marked and _hebrew_arabic_words(search)) or combined(search, True, marked):
            return False
        return await self.datasette.get_database(name).execute_fn(
            lambda conn: finds_glued_words(conn, search))

    def _posts_table(self, path: str) -> tuple[str, tuple[bool, bool, bool, bool]] | None:
        """The archive's name, and (it has the bigram index, the request is for the HTML page,
        it has the mark-free index's columns, and a post written with marks) when `path` is an
        archive's posts table, else None."""
        bare = path.removesuffix(".json").removesuffix(".csv")
        for name in archive_names(self.datasette):
            if bare == self.datasette.urls.table(name, POSTS):
                return name, (has_bigram_index(self.datasette, name), bare == path,
                              has_unmarked_columns(self.datasette, name),
                              holds_marks(self.datasette, name))
        return None


def steer(query_string: bytes, bigrams: bool, html: bool, unmarked: bool = False,
          marked: bool = False, glued: bool = False) -> bytes:
    """The query string with the bigram index chosen exactly when `_search` holds CJK text (an
    archive with the bigram index), else the mark-free index when it holds Hebrew or Arabic
    text (`marked`: an archive holding a post written with marks), and the bigram columns, the
    mark-free ones (`unmarked`: the archive has them) and, on the HTML page, the bodies left out
    unless it chooses its columns itself. `glued`: `_search` finds a post holding a word of it
    written against CJK text, which is looked up in both indexes (COMBINED)."""
    args = parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True)
    search = next((value for key, value in args if key == "_search"), "")
    kept = list(args)
    if any(key == "_search" for key, _ in args):
        # A search typed in the box: a COMBINED one the form carried over is done with.
        kept = [arg for arg in kept if arg[0] != COMBINED]
        if glued or combined(search, bigrams, marked):  # two indexes: cjk_search_filters
            kept = [arg for arg in kept if arg[0] not in ("_search", "_fts_table", "_searchmode")]
            kept.append((COMBINED, search))
            search = ""
    for steering, applies in ((_STEERING, bigrams), (_STEERING_UNMARKED, marked)):
        if applies and steering[0] in args:  # steered before: a raw mode of the user's stays
            kept = [arg for arg in kept if arg not in steering]
    # FTS5 syntax over CJK words the bigrams answer was made COMBINED above; what is left of
    # it (NEAR over a CJK word and another) the ranked search reads in the main index, and so
    # does this (raw mode, below), rather than as CJK words (`NEAR(東京` one of them).
    if bigrams and _cjk_words(search) is not None and not needs_raw_mode(search):
        kept = [arg for arg in kept if arg[0] not in ("_fts_table", "_searchmode")]
        kept += _STEERING
    elif marked and _hebrew_arabic_words(search):
        kept = [arg for arg in kept if arg[0] not in ("_fts_table", "_searchmode")]
        kept += _STEERING_UNMARKED
    elif not any(key in ("_fts_table", "_searchmode") for key, _ in kept) \
            and search.strip():
        # Operators and -word read as the ranked search does, and every word searched in its
        # other spellings too (cjk_search_filters: strasse finds straße, میخواهم می‌خواهم).
        kept.append(("_searchmode", "raw"))
    if not any(key == "_col" for key, _ in args):
        hidden = ((CJK_COLUMNS if bigrams else ()) + (UNMARKED_COLUMNS if unmarked else ())
                  + (BODY_COLUMNS if html else ()))
        kept += [("_nocol", column) for column in hidden if ("_nocol", column) not in args]
    if kept == args:
        return query_string
    return urlencode(kept).encode("ascii")


def _hebrew_arabic_words(text: str) -> list[str]:
    """The words of a table search, marks taken out, when one of them is Hebrew or Arabic (all
    the posts it finds are then in posts_unmarked); else none."""
    words = strip(text).replace('"', " ").split()
    return words if any(SCRIPT.search(word) for word in words) else []


async def cjk_search_filters(request: Any, database: str, table: str,
                             datasette: Any) -> Any:
    """Datasette's search clause fed the bigram phrases; the other words required beside them.
    Or, for a search steered to posts_unmarked, its words without marks (its MATCH expression,
    marks taken out, when it uses FTS5 syntax or leaves words out)."""
    from datasette.filters import FilterArguments

    if table == POSTS and request.args.get(COMBINED) \
            and archive_sites(datasette, database) is not None:
        search = request.args[COMBINED]
        bigrams, marked = has_bigram_index(datasette, database), holds_marks(datasette, database)
        clause, params = await datasette.get_database(database).execute_fn(
            lambda conn: combined_condition(conn, search, bigrams, marked))
        return FilterArguments([clause], params, [f'search matches "{search}"'],
                               {"search": search})
    if table == POSTS and request.args.get("_fts_table") == UNMARKED_TABLE \
            and holds_marks(datasette, database):
        search = request.args.get("_search", "")
        words = _hebrew_arabic_words(search)
        if not words:
            return None
        # Operators and -word read as the ranked search reads them, as in posts_fts (below),
        # and the words widened to their other spellings as there (میخواهم: می‌خواهم too).
        match = table_match(strip(search)) if needs_raw_mode(search) else quoted(words)
        match = await datasette.get_database(database).execute_fn(
            lambda conn: widen_syntax(conn, match))
        return FilterArguments([], {"search": match})
    if table == POSTS and request.args.get("_searchmode") == "raw" \
            and request.args.get("_fts_table") in (None, FTS_TABLE) \
            and request.args.get("_search") and archive_sites(datasette, database) is not None:
        search = request.args["_search"]
        clauses, params = _leaving_out(search, has_bigram_index(datasette, database), True)
        match = table_match(search)
        # Its words' other spellings the index holds, as searched: ASCII ones too (strasse:
        # straße, odegard: Ødegård, isik: ışık).
        match = await datasette.get_database(database).execute_fn(
            lambda conn: widen_syntax(conn, match))
        return FilterArguments(clauses, {"search": match, **params})
    if table != POSTS or request.args.get("_fts_table") != CJK_TABLE \
            or not has_bigram_index(datasette, database):
        return None
    words = _cjk_words(request.args.get("_search", ""))
    if words is None:
        return None
    runs, others = words
    search = request.args.get("_search", "")
    kept = [strip(word) for word in others]
    left_out_words = [other for word in _split_left_out(search)[1]
                      for other in split_words([word])[1]]
    # Each word kept or left out as any of its spellings the index holds (strasse: straße,
    # میخواهم: می‌خواهم), as the ranked search widens it: as typed, the box missed them.
    phrases = await datasette.get_database(database).execute_fn(
        lambda conn: word_phrases(conn, [*kept, *left_out_words]))
    clauses, left_out = _leaving_out(search, True, False, phrases)
    params = {"search": " AND ".join(run_query(run) for run in runs), **left_out}
    marked = holds_marks(datasette, database)
    for i, word in enumerate(kept):
        # A Hebrew or Arabic word without its marks, in posts_unmarked too (as the ranked
        # search reads it: the main index holds שָׁלוֹם with its marks, not as שלום).
        unmarked = f":wxa_{i}" if marked and SCRIPT.search(word) else None
        clauses.append(holding_word("id", f":wxa_{i}", f":wxa_{i}", unmarked))
        params[f"wxa_{i}"] = quoted([word], phrases)
    return FilterArguments(clauses, params)
