"""Query parsing and filters: what the user typed as an FTS5 MATCH expression, and the filter
options (--site, --author, --tag, --category, --since, --until, --lang, --deleted) as SQL
conditions.

Queries are FTS5 syntax when they use its operators (quotes, `word*`, AND/OR/NOT/NEAR, `title:`
column filters, parentheses) and plain words otherwise: each plain word is quoted, so `don't`,
`C++` or `what's new?` search for those words instead of failing as FTS5 syntax, and a plain
word starting with `-` leaves out the posts holding it (`garden -compost`). In FTS5 syntax, a
word with punctuation inside (`author:o'leary`, `title:e-mail`) is quoted the same way.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from archive.schema import FTS_COLUMNS
from archive.search.bigrams import TOKEN as TOKEN  # unicode61's tokens, re-exported
from archive.search.bigrams import normalize
from archive.search.languages import language_code
from archive.search.marks import MARKS
from archive.search.marks import strip as strip_marks
from archive.search.names import APOSTROPHES as APOSTROPHES
from archive.search.names import DOTLESS_I as DOTLESS_I
from archive.search.names import ONE_APOSTROPHE
from archive.search.names import name_case as name_case
from archive.search.tokens import DIACRITICS, MARK, as_indexed

# A column filter's name in any case (`Title:berlin`), as FTS5 and `sqlite-utils search` read it.
_OPERATOR = re.compile(
    r'"|' + rf"(?:\w|{MARK})\*|"  # a prefix: a word's last character may be a mark (किता*)
    + r'(?:^|[\s(])(?:AND|OR|NOT|NEAR)(?=[\s(]|$)|(?:^|[\s(-])\^?\{?(?i:'
    + "|".join(FTS_COLUMNS) + r")\b[^:\s]*\s*:|^\s*\^")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)?)?$")


# The marks fold_case takes off: those of Latin, Greek and Cyrillic letters (the Combining
# Diacritical Marks blocks, which remove_diacritics takes off Latin letters), and the Hebrew and
# Arabic vowel marks, which search reads without (archive/search/marks.py). Other scripts' marks
# are part of their words, in the index (archive/search/tokens.py) as in this fold: क्या and
# कया are two words.
_TAKEN_OFF = re.compile(f"[{DIACRITICS}{MARKS}]")


def _without_marks(decomposed: str) -> str:
    return unicodedata.normalize("NFC", "".join(
        ch for ch in decomposed if not (unicodedata.combining(ch) and _TAKEN_OFF.match(ch))))


def fold(text: str) -> str:
    """`text` as the index's tokenizer folds it: lower case, the marks of Latin letters taken
    off (é -> e, Ü -> u), other letters and marks kept (θάλασσα, किताब). What the search
    statistics list and the fast path looks up: a unit folded otherwise is a word the index
    does not hold (είναι as `ειναι` found no post)."""
    return as_indexed(text)


# Letters Unicode does not decompose that readers take for a plain letter with a mark (ø in
# Ødegård, ł in Łódź, đ in Đorđe): the plain letter -> the marked one.
UNDECOMPOSED = {"o": "ø", "l": "ł", "d": "đ"}
# The zeros of the Arabic-Indic digits (١٢) and of their Persian forms (۱۲), read as 0-9.
DIGIT_ZEROS = (0x660, 0x6F0)
BASE_LETTERS = str.maketrans({marked: plain for plain, marked in UNDECOMPOSED.items()} | {
    chr(zero + n): str(n) for zero in DIGIT_ZEROS for n in range(10)} | {DOTLESS_I: "i"})


def fold_case(text: str) -> str:
    """`fold` with full case folding (str.casefold), as queries and filters compare text:
    Straße -> strasse, İSTANBUL -> istanbul (archive/search/casefold.py); and ø, ł, đ, ı and
    Arabic-Indic digits as BASE_LETTERS reads them (Ødegård -> odegard, IŞIK and ışık -> isik,
    ١٢ -> 12)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    return _without_marks(folded).translate(BASE_LETTERS)


def fold_name(text: str) -> str:
    """How --author compares names: `fold_case`, with every apostrophe as ' and no tatweel
    (o'leary finds O’Leary, strauss Strauß, odegard Ødegård, محمد مـحـمـد)."""
    return strip_marks(fold_case(text)).translate(ONE_APOSTROPHE)


# The --author filter: the archive's distinct author names (any case; each read with one seek in
# the posts_author index, not a scan of the posts) that contain the text once both are folded.
# SQLite's LIKE ignores the case of ASCII letters itself, in C; only a name with a character
# outside ASCII (Zoë, José, O’Leary) is folded in Python. Each post then costs a lookup in that
# short list.
FOLD_FUNCTION = "wixarchive_fold"
CASE_FUNCTION = "wixarchive_name_case"
NFKC_FUNCTION = "wixarchive_nfkc"  # a field's text as its CJK bigrams were made (cjk_syntax)
NOT_ASCII = "*[^\x01-\x7f]*"  # a GLOB pattern: the text has a character outside ASCII
_AUTHORS_NAMED = (
    "WITH RECURSIVE names(name) AS (SELECT min(author COLLATE NOCASE) FROM posts UNION ALL "
    "SELECT (SELECT min(author COLLATE NOCASE) FROM posts WHERE author COLLATE NOCASE > "
    "names.name) FROM names WHERE names.name IS NOT NULL) "
    "SELECT name FROM names WHERE name LIKE ? ESCAPE '\\' "
    f"OR (name GLOB ? AND {FOLD_FUNCTION}(name) LIKE ? ESCAPE '\\')")
# The --lang filter: the archive's distinct language codes (each read with one seek in the
# posts_language index) that are the code asked for or one of its forms (en: en-GB), so that
# the posts are then read through that index: lower(p.language) read every posts row.
_LANGUAGES_NAMED = (
    "WITH RECURSIVE codes(code) AS (SELECT min(language) FROM posts UNION ALL "
    "SELECT (SELECT min(language) FROM posts WHERE language > codes.code) FROM codes "
    "WHERE codes.code IS NOT NULL) "
    "SELECT code FROM codes WHERE lower(code) = ? OR lower(code) LIKE ? ESCAPE '\\'")
_cached_fold_name = lru_cache(maxsize=4096)(fold_name)


def register_functions(conn: sqlite3.Connection) -> None:
    """Give `conn` the SQL functions the filters use (wixarchive_fold: `fold_name`,
    wixarchive_name_case: `name_case`, wixarchive_nfkc: NFKC), once; run the filters' SQL only
    on a connection given them."""
    # SQLite refuses to replace a function while any statement of the connection runs ("Error
    # creating function"): registering again on each search broke an Archive shared by threads,
    # one searching while another read. Creating it the first time is always allowed.
    with _REGISTERING:
        try:
            conn.execute(f"SELECT {NFKC_FUNCTION}(NULL)").fetchone()
            return
        except sqlite3.OperationalError:  # no such function: not given them yet
            pass
        conn.create_function(FOLD_FUNCTION, 1, _cached_fold_name, deterministic=True)
        conn.create_function(CASE_FUNCTION, 1, name_case, deterministic=True)
        conn.create_function(NFKC_FUNCTION, 1, _nfkc, deterministic=True)


_REGISTERING = threading.Lock()


def _nfkc(text: str | None) -> str | None:
    return text if text is None or text.isascii() else normalize(text)


class SearchError(Exception):
    """A query the archive cannot run, explained in one line.

    When one setting is at fault, `field` names it as the API and the web form do (`since`)
    and `problem` says what is wrong with it, so the CLI can name its option (`--since`)."""

    def __init__(self, message: str, *, field: str | None = None, problem: str | None = None,
                 ) -> None:
        super().__init__(message)
        self.field, self.problem = field, problem

    @classmethod
    def bad_value(cls, field: str, problem: str) -> SearchError:
        return cls(f"{field}: {problem}", field=field, problem=problem)


DELETED_CHOICES = ("include", "exclude", "only")
# The SearchQuery fields that narrow the posts, as the CLI lists its options.
FILTERS = ("author", "tag", "category", "site", "since", "until", "lang", "deleted")
# Those that may be given more than once: a post by any of the sites or authors, with every one
# of the tags.
REPEATABLE = ("site", "author", "tag")
Repeatable = str | tuple[str, ...] | None


def values(value: str | Sequence[str] | None) -> list[str]:
    """A filter's non-blank values, stripped: one for a string, each of a repeated one's."""
    if value is None:
        return []
    return [item.strip() for item in ([value] if isinstance(value, str) else value)
            if item.strip()]


@dataclass(frozen=True)
class SearchQuery:
    text: str
    # site URL or part of it (host), or its name (archive/site_match.py); a tuple: any of them
    site: Repeatable = None
    author: Repeatable = None  # part of the author's name, any case; a tuple: any of them
    tag: Repeatable = None  # exact tag, any case; a tuple: every one of them
    category: str | None = None
    # Published on or after / on or before (inclusive: 2024-05 covers all of May) these ISO
    # dates (2024, 2024-05, 2024-05-01); a post dated 2024-06 alone is in a range overlapping June.
    since: str | None = None
    until: str | None = None
    lang: str | None = None  # language code ("en" also matches "en-GB") or common name ("Turkish")
    deleted: str = "include"  # posts gone from their site: "include", "exclude" or "only"
    limit: int = 10
    offset: int = 0

    def filtered(self) -> bool:
        """Whether a filter narrows the posts: a query without words then lists them."""
        return any(values(getattr(self, name)) for name in FILTERS if name != "deleted") \
            or self.deleted != DELETED_CHOICES[0]


# SQLite holds integers in 64 bits: a larger LIMIT or OFFSET fails to bind. No archive holds
# 2^31 posts, so a limit or offset past that is as good as it.
MAX_ROWS = 2**31
# Bytes that are not UTF-8 on a command line reach Python as lone surrogates, which SQLite
# refuses to store or compare.
_SURROGATE = re.compile("[\ud800-\udfff]")


def checked(query: SearchQuery) -> SearchQuery:
    """`query` ready to run (a NUL in its text a space), or a SearchError naming what is wrong
    with it: a limit or offset out of range, or text that is not text (bytes that are not
    UTF-8)."""
    if query.limit < 1:
        raise SearchError.bad_value("limit", f"must be at least 1, not {query.limit}")
    if query.offset < 0:
        raise SearchError.bad_value("offset", f"must be at least 0, not {query.offset}")
    for name in ("text", *FILTERS):
        given = getattr(query, name)
        for value in given if isinstance(given, tuple) else (given,):
            if isinstance(value, str) and _SURROGATE.search(value):
                problem = f"{value!r} is not text: it holds bytes that are not UTF-8"
                raise SearchError(f"the query {problem}") if name == "text" \
                    else SearchError.bad_value(name, problem)
    # FTS5 reads its MATCH expression up to a NUL, so a word holding one (a form's or the API's
    # text) was an "unterminated string"; no post's words hold one, so it parts words.
    return replace(query, text=query.text.replace("\0", " "), limit=min(query.limit, MAX_ROWS),
                   offset=min(query.offset, MAX_ROWS))


def nothing_asked(filter_names: Iterable[str] = FILTERS) -> str:
    """What to say of a query with neither words nor filters, naming the filters as the caller
    does (the CLI: --author, …)."""
    return (f"nothing to search for: give words to find, or a filter ({', '.join(filter_names)})"
            " to list its posts")


def uses_fts_syntax(text: str) -> bool:
    return bool(_OPERATOR.search(text))


class PlainQuery(NamedTuple):
    """A query without FTS5 syntax: the words that must all match, and those that must not."""

    words: list[str]
    excluded: list[str]


def plain_query(text: str) -> PlainQuery | None:
    """The words of a query without FTS5 syntax (None when it has some). A word starting with
    `-` is excluded, as in web search engines (`garden -compost`); a `-` inside a word
    (`e-mail`, `covid-19`) or alone is part of the text, as before."""
    text = text.strip()
    if not text:
        raise SearchError("empty search query")
    if uses_fts_syntax(text):
        return None
    words: list[str] = []
    excluded: list[str] = []
    for word in text.split():
        if any(ch.isalnum() for ch in word):
            if (out := left_out_word(word)) is not None:
                excluded.append(out)
            else:
                words.append(word)
    if not words and excluded:
        left_out = " ".join("-" + w for w in excluded)
        raise SearchError(f"nothing to search for in {text!r}: {left_out} only leaves posts "
                          "out; add a word to find (garden -compost)")
    if not words:
        raise SearchError(f"nothing to search for in {text!r}: it has no letters or digits")
    return PlainQuery(words, excluded)


def left_out_word(word: str) -> str | None:
    """The word a search's word leaves out (`-compost`; `(-compost)` too: without an operator a
    parenthesis is no FTS5 syntax, and read as part of the word it hid the dash, so the posts
    *with* compost were found), or None for a word to find."""
    if word.startswith("-"):
        return word.lstrip("-")
    bare = word.lstrip("(")
    return bare.lstrip("-").rstrip(")") if bare != word and bare.startswith("-") else None


def plain_words(text: str) -> list[str] | None:
    """The words of a query that are all it asks for (None when it uses FTS5 syntax or
    excludes words: its MATCH expression is then `fts_query`'s)."""
    plain = plain_query(text)
    return plain.words if plain is not None and not plain.excluded else None


# Words a user may type as a filter that is not an index column: "tag:yoga" searches the words
# "tag yoga". Each names what does filter that way (an index column, the options), for the hint
# given when nothing matched.
_DATES = ("--since", "--until")  # published:2024 means both: the posts of 2024
_FILTER_LOOKALIKES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "tag": ("tags:", ("--tag",)), "category": ("categories:", ("--category",)),
    "cat": ("categories:", ("--category",)), "titles": ("title:", ()),
    "text": ("body:", ()), "content": ("body:", ()), "by": ("author:", ("--author",)),
    "site": (None, ("--site",)), "host": (None, ("--site",)), "lang": (None, ("--lang",)),
    "language": (None, ("--lang",)), "since": (None, ("--since",)),
    "after": (None, ("--since",)), "until": (None, ("--until",)),
    "before": (None, ("--until",)), "published": (None, _DATES), "date": (None, _DATES),
    "year": (None, _DATES), "month": (None, _DATES), "day": (None, _DATES),
}
# Spaces around the colon too (`tag : yoga`): the words searched are the same.
_LOOKALIKE = re.compile(r"(?<![^\s(])(\w+)\s*:\s*(\S+)")


def _colons_joined(words: Sequence[str]) -> list[str]:
    """The command line's words with a colon written apart (`tag : yoga`, `tag: yoga`, `tag
    :yoga`) joined to the words on its sides, as the one lookalike the query text holds."""
    joined: list[str] = []
    for word in words:
        if joined and (joined[-1].rstrip().endswith(":") or word.lstrip().startswith(":")):
            joined[-1] += " " + word
        else:
            joined.append(word)
    return joined


def filter_hints(text: str | Sequence[str], fields: Mapping[str, str] | None = None,
                 ) -> list[str]:
    """What to type instead of each `name:value` word that looks like a filter but is not one
    ("tag:yoga" -> tags:yoga or --tag yoga): such a word is searched as plain words. `text` is
    the query, or the command line's words of it: there a value runs on to the end of its word
    ('tag:crème brûlée', quoted as one, is --tag 'crème brûlée'). `fields` names a form's field
    for each option (the search page: {"--tag": "Tag"} -> "yoga in the Tag field")."""
    hints = []
    for part in [text] if isinstance(text, str) else _colons_joined(text):
        found = list(_LOOKALIKE.finditer(part))
        for number, match in enumerate(found):
            name = match.group(1).lower()
            column, options = _FILTER_LOOKALIKES.get(name, (None, ()))
            if not column and not options:
                continue
            if isinstance(text, str):
                written, value = match.group(0), match.group(2)
            else:  # up to the next lookalike in the word, or its end
                stop = found[number + 1].start() if number + 1 < len(found) else len(part)
                written = part[match.start():stop].rstrip()
                value = written[match.start(2) - match.start():]
            value = value.strip(")\"'")
            if fields is not None:
                labels = " and ".join(fields[option] for option in options)
                option = f"{value} in the {labels} field{'s' if len(options) > 1 else ''}" \
                    if options else ""
            else:
                option = " ".join(f"{option} {shell_word(value)}" for option in options)
            phrase = f'"{value}"' if " " in value else value
            ways = " or ".join(way for way in (f"{column}{phrase}" if column else "", option)
                               if way)
            said = [repr(word) for word in (name, *value.split())]
            words = f"{', '.join(said[:-1])} and {said[-1]}"
            hints.append(f"{written!r} searched the words {words}; to filter, use {ways}")
    return hints


# FTS5's operators are upper-case words; in any other case they are words to find, so "garden
# or compost" asks for posts holding all three words, and "garden not compost" for "not" too.
_LOWER_OPERATOR = re.compile(r"(?<=\S)(\s+)(?!OR\s|NOT\s)((?i:or|not))(\s+)(?=\S)")


def operator_hints(text: str) -> list[str]:
    """For a query that writes `or` or `not` in lower case between two words (outside a quoted
    phrase), which searches that word: how to write the operator instead."""
    pieces = text.strip().split('"')
    # The even pieces are outside double quotes: only there is a word an operator.
    words = [match.group(2) for piece in pieces[::2] for match in _LOWER_OPERATOR.finditer(piece)]
    if not words:
        return []
    written = '"'.join(piece if n % 2 else _LOWER_OPERATOR.sub(
        lambda m: m.group(1) + m.group(2).upper() + m.group(3), piece)
        for n, piece in enumerate(pieces))
    named = list(dict.fromkeys(words))
    said = " and ".join(repr(word) for word in named)
    was, operator = (("were searched as words", "the operators are") if len(named) > 1 else
                     ("was searched as a word", "the operator is"))
    leave_out = "; -word leaves a word out too" if any(w.lower() == "not" for w in named) else ""
    return [f"{said} {was} every post must hold; {operator} written in capitals: "
            f"{written}{leave_out}"]


def shell_word(value: str) -> str:
    """`value` as one word of a shell command line: bare when it can be, else in quotes (double
    ones around an apostrophe: --author "o'leary")."""
    if re.fullmatch(r"[\w@%+=:,./-]+", value):
        return value
    if "'" in value and not re.search(r'["$`\\!]', value):
        return f'"{value}"'
    import shlex  # only for such a value: the search command's cold start pays for its imports

    return shlex.quote(value)


def quoted(words: list[str], phrases: Mapping[str, list[str]] | None = None) -> str:
    """Each plain word as a quoted phrase (its tokens in order); all of them must match. A word
    in `phrases` (archive/search/casefold.py: Strasse, where the index holds straße too) is
    any of its phrases instead."""
    def phrase(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    def one(word: str) -> str:
        if phrases and word in phrases:
            return "(" + " OR ".join(map(phrase, phrases[word])) + ")"
        return phrase(word)

    # FTS5 reads phrases side by side as AND, but not a parenthesised group beside a phrase.
    return (" AND " if phrases else " ").join(one(word) for word in words)


# In FTS5 syntax: a double-quoted string (maybe unterminated), or a run of anything but the
# syntax's own characters. A bareword is letters, digits, _ and any non-ASCII character.
_FTS_PIECE = re.compile(r'"(?:[^"]|"")*(?:"|$)|[^\s()":*^{},+]+')
_BAREWORD = re.compile(r"[\w\x1a\x80-\U0010ffff]+", re.ASCII)


def quote_barewords(text: str) -> str:
    """FTS5 syntax with each word that has punctuation inside quoted (`author:o'leary` ->
    `author:"o'leary"`, `title:e-mail`): FTS5 reads such a word as a syntax error, or `e-mail`
    as a column filter. A run starting with punctuation (`-title:`, `'x'`) is left to FTS5."""
    def piece(found: re.Match[str]) -> str:
        run = found.group(0)
        if run.startswith('"') or _BAREWORD.fullmatch(run) or not _BAREWORD.match(run):
            return run
        return '"' + run + '"'

    return _FTS_PIECE.sub(piece, text)


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression for what the user typed."""
    return match_expression(text, plain_query(text))


def match_expression(text: str, plain: PlainQuery | None,
                     phrases: Mapping[str, list[str]] | None = None) -> str:
    """The FTS5 MATCH expression for `text`, whose `plain_query` is `plain`; `phrases`: the
    plain words to search as other phrases (see `quoted`)."""
    if plain is None:
        expression = quote_barewords(text.strip())
        if expression.startswith("*"):
            # FTS5 reads a MATCH expression starting with * as a command of its own (*reads,
            # *id), failing with "unknown special query" or "no such cursor" for anything else.
            raise SearchError(f"malformed query {text.strip()!r}: it starts with *, which ends "
                              "a word to find every word it starts (garden*)")
        return expression
    if not plain.excluded:
        return quoted(plain.words, phrases)
    left_out = " OR ".join(quoted([w], phrases) for w in plain.excluded)
    return f"({quoted(plain.words, phrases)}) NOT ({left_out})"


def held_by_another(exc: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for a lock another connection holds (SQLITE_BUSY or
    SQLITE_LOCKED, by code: a query's words may say "locked"): the archive is busy, which is
    no fault of the query's."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


# A quoted phrase after a dash (`-"morning flow"`), which FTS5 reads as columns to leave out.
_DASHED_PHRASE = re.compile(r'(?<![^\s(])-("(?:[^"]|"")*")')


# A word after a dash (`-strasse`), not a column filter (`-title: …`).
# A word written with hyphens (`-e-mail`) is one word left out: FTS5 reads `-e` as a column.
_HYPHENATED = r"\w+(?:-\w+)*"
_DASHED_WORD = re.compile(rf"(?<![^\s(])-({_HYPHENATED})\b(?![*:]|\s*:)")


# A query read for its dashes, in pieces, in order: a word, prefix or phrase left out written
# apart (`-berg`, `-strass*`, `-"green manure"`; `AND -berg` too), not a column filter (`-title:
# …`); a phrase (a dash, OR or parenthesis in it is a word: `"rose -red"`); a parenthesis; an
# OR; anything else.
LEFT_OUT = (r'(?P<out>(?:\bAND\s+)?(?<![^\s(])-(?P<term>"(?:[^"]|"")*"|'
            + _HYPHENATED + r'\b\*?)(?!\s*:))')
_DASH_PIECE = re.compile(
    LEFT_OUT + r'|(?P<phrase>"(?:[^"]|"")*"?)|(?P<open>\()|(?P<close>\))|(?P<or>\s+OR\s+)'
    r'|[^"()\s]+|\s+')


_DEEPEST = 64


class DashesAsNot(NamedTuple):
    """FTS5 syntax with each `-term` written as the NOT it means (`dashes_as_not`)."""

    expression: str  # empty when every side of the query only leaves out
    only_left_out: list[str]  # the sides that leave out of no word, as typed (`-fluss`)
    # The query to write for a side with words beside a group that only leaves out (`garden
    # (-slug OR -snail)`: `garden NOT slug OR garden NOT snail`); empty when there is none.
    suggested: str = ""


def dashes_as_not(text: str) -> DashesAsNot | None:
    """`text` with the words, prefixes and phrases it leaves out (`-berg`) as NOTs after the
    other words of their side of an OR, in their group (`garten -berg die OR fluss`: `garten die
    NOT berg OR fluss`; `(garten -berg die) OR see`: `(garten die NOT berg) OR see`): words
    side by side bind tighter than NOT, so `garten NOT berg die` would be garten NOT (berg die),
    the posts with garten but no die among them. A side (or group) that only leaves out has no
    words for its NOT to leave posts out of: it finds no post, as a search that only leaves out
    does, and is dropped (`garten -berg OR -fluss` is `garten NOT berg`). A dash inside a
    phrase is part of it (`"rose -red"`). None for a parenthesis left unclosed or stray, or
    parentheses nested deeper than anyone writes (each is a call: Python's recursion limit)."""
    pieces = list(_DASH_PIECE.finditer(text))
    depth = 0
    for piece in pieces:
        depth += (piece["open"] is not None) - (piece["close"] is not None)
        if not 0 <= depth <= _DEEPEST:
            return None
    if depth:
        return None
    rest = iter(pieces)
    dropped: list[str] = []
    suggested: list[str] = []

    def group(start: int) -> str | list[list[str]]:
        """The pieces from `start` up to the group's closing parenthesis (or the end),
        rewritten; when the group finds no post (every side only leaves out), the terms each
        of its sides leaves out."""
        found: list[str] = []
        only_out: list[list[str]] = []
        kept: list[str | list[list[str]]] = []
        out: list[str] = []
        while True:
            piece = next(rest, None)
            if piece is None or piece["or"] is not None or piece["close"] is not None:
                end = len(text) if piece is None else piece.start()
                words = [part for part in kept if isinstance(part, str)]
                nothing = [part for part in kept if isinstance(part, list)]
                has_words = any(any(ch.isalnum() for ch in part) for part in words)
                if nothing and has_words:  # beside a group that only leaves out: no post
                    suggested.append(_beside_words(kept, out))
                elif (out or nothing) and not has_words:
                    if not nothing:  # a group in it that finds no post: named already
                        dropped.append(text[start:end].strip())
                    only_out.append([*out, *(term for sides in nothing
                                             for side in sides for term in side)])
                else:
                    found.append("".join(words).strip()
                                 + "".join(f" NOT {term}" for term in out))
                if piece is None or piece["close"] is not None:
                    break
                kept, out, start = [], [], piece.end()
            elif piece["term"] is not None:
                out.append(piece["term"])
            elif piece["open"] is not None:
                inner = group(piece.end())
                kept.append(inner if isinstance(inner, list) else f"({inner})")
            else:
                kept.append(piece.group())
        return " OR ".join(found) if found else only_out

    expression = group(0)
    return DashesAsNot(expression if isinstance(expression, str) else "", dropped,
                       " OR ".join(suggested))


def _beside_words(kept: list[str | list[list[str]]], out: list[str]) -> str:
    """The query to write for a side of words (`kept`, leaving out `out`) with a group in it
    that only leaves out: each of the group's sides as the words leaving out its terms
    (`garden (-slug OR -snail)`: `garden NOT slug OR garden NOT snail`), a NOT or AND before
    the group read as leaving them out (`berlin NOT (-walk)`: `berlin NOT walk`)."""
    words: list[str] = []
    sides: list[list[str]] = [[]]
    for part in kept:
        if isinstance(part, list):
            if words and words[-1] in ("NOT", "AND"):  # FTS5 has no AND NOT
                words.pop()
            sides = [[*before, *side] for before in sides for side in part]
        elif part.strip():
            words.append(part.strip())
    return " OR ".join(" ".join(words) + "".join(f" NOT {term}" for term in [*side, *out])
                       for side in sides)


def _not_phrase(phrase: str) -> str:
    return (f"in FTS5 syntax -{phrase} names columns to leave out; to leave out posts with the "
            f"words, write NOT {phrase}")


def _left_out_of_nothing(match: str, unknown: str | None = None) -> SearchError | None:
    """For FTS5 syntax with a side of an OR (or a group) that only leaves words out (`garten
    -berg OR -fluss`): that such a side finds no post, and the query to write, as the posts
    table's search box reads it (`garten NOT berg`); None for any other query. A column the
    query names that the index has not (`unknown`, as FTS5 named it, or found in the query to
    write: `-tea OR titel:berlin`) is named first, in the same message: FTS5 names one fault
    a search, and the query to write would fail on it."""
    read = dashes_as_not(match)
    if read is None or not read.only_left_out:
        return None
    sides = " and ".join(repr(side) for side in read.only_left_out[:3])
    written = " OR ".join(part for part in (read.expression, read.suggested) if part)
    unknown = unknown or (_unknown_column(written) if written else None)
    write = f"write {written}" if written else "add a word to find (garden NOT compost)"
    why = (f"{sides} only leave{'s' * (len(read.only_left_out) == 1)} words out, with no word "
           "to find before: in FTS5 syntax NOT leaves posts out of the words before it on its "
           "side of OR (-word names columns to leave out), so such a side finds no post")
    if unknown is not None:
        return SearchError(f"{_unknown_column_named(unknown)}; and {why}")
    return SearchError(f"malformed query {match!r}: {why}; {write}")


def _unknown_column_named(name: str) -> str:
    columns = ", ".join(f"{c}:" for c in FTS_COLUMNS)
    return f"unknown column {name!r} in query (columns: {columns})"


def _unknown_column(expression: str) -> str | None:
    """The column FTS5 names as unknown in `expression`; None when it names none (an error
    comes only after a search failed)."""
    try:
        check_syntax(expression)
    except sqlite3.Error as exc:
        found = re.match(r"no such column: (.*)", str(exc))
        return found.group(1) if found else None
    return None


def check_syntax(expression: str) -> None:
    """sqlite3.Error when FTS5 cannot parse `expression` (an empty table with the index's
    columns parses it as the archive's would, in memory, with no read of the archive)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(FTS_COLUMNS)})")
        conn.execute("SELECT 1 FROM t WHERE t MATCH ?", (expression,)).fetchall()
    finally:
        conn.close()


def explain(exc: sqlite3.Error, match: str) -> SearchError:
    message = str(exc)
    column = re.match(r"no such column: (.*)", message)  # empty: a `{""}` or `"":` column
    name = column.group(1) if column else ""
    dashed_phrase = next((phrase for phrase in _DASHED_PHRASE.findall(match)
                          if phrase[1:-1].replace('""', '"') == name), None) if column else None
    # The word left out as written, hyphens and all (FTS5 names `e` of `-e-mail`).
    dashed_word = re.search(rf"(?<![^\s(])-({re.escape(name)}(?:-\w+)*)\b", match) \
        if column else None
    dashed = column is not None and (dashed_phrase is not None or dashed_word is not None)
    # A column FTS5 names that no -term wrote is a misspelled one (`titel:garten OR -fluss`):
    # named first, as FTS5 names it, and a side that only leaves out after it.
    misspelled = name if column is not None and not dashed else None
    if (column is not None or message.startswith("fts5:") or "syntax error" in message) \
            and (nothing := _left_out_of_nothing(match, misspelled)) is not None:
        return nothing
    if column:
        if dashed_phrase is not None:
            return SearchError(f"unknown column {name!r} in query: {_not_phrase(dashed_phrase)}")
        if dashed:
            # FTS5 reads -word as "every column but word"; plain words read it as "not word".
            word = dashed_word[1] if dashed_word else name
            return SearchError(f"unknown column {name!r} in query: in FTS5 syntax -{word} names "
                               f"columns to leave out; to leave out posts with the word, write "
                               f"NOT {word}")
        return SearchError(_unknown_column_named(name))
    if message.startswith("fts5:") or "syntax error" in message or "unterminated" in message:
        detail = message.removeprefix("fts5: ").replace('syntax error near ""',
                                                        "the query ends too early")
        if dashed := _DASHED_PHRASE.search(match):
            # Widened to its spellings (`-("strasse" OR "straße")`), a syntax error there.
            return SearchError(f"malformed query {match!r}: {_not_phrase(dashed[1])}")
        if 'near "("' in detail and (word := _DASHED_WORD.search(match)):
            # A -word widened to its spellings (`-("strasse" OR "straße")`), as a phrase is; one
            # with no other spelling gets the column error above.
            return SearchError(f"malformed query {match!r}: in FTS5 syntax -{word[1]} names "
                               f"columns to leave out; to leave out posts with the word, write "
                               f"NOT {word[1]}")
        if re.search(r"\bAND\s+NOT\b", match):  # as Boolean search elsewhere writes it
            fixed = re.sub(r"\bAND\s+NOT\b", "NOT", match)
            return SearchError(f"malformed query {match!r}: FTS5 has no AND NOT; NOT alone "
                               f"leaves posts out: {fixed}")
        return SearchError(f"malformed query {match!r}: {detail} (to search words literally, "
                           'put them in double quotes: "don\'t stop")')
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


def like_literal(value: str) -> str:
    """`value` as a LIKE pattern (with `ESCAPE '\\'`) matching itself: a `%` or `_` in an
    author name or language the user typed is that character, not a wildcard."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filters_for(query: SearchQuery, site_ids: Sequence[int] | None = None) -> list[Filter]:
    """The query's filter options as Filters; SearchError for a malformed date. `site_ids`:
    the ids of the sites `query.site` names (archive.site_match.site_ids), given when it is
    set: the sites table is tiny, so --site is resolved once, by the one rule, up front."""
    filters: list[Filter] = []
    if values(query.site):
        if site_ids is None:
            raise ValueError("filters_for needs the ids of the sites query.site names")
        marks = ",".join("?" * len(site_ids))
        filters.append(Filter(f"p.site_id IN ({marks})", list(site_ids),
                              f"SELECT id FROM posts WHERE site_id IN ({marks})"))
    authors = values(query.author)
    if authors:  # a part of the name, any case, accents and apostrophe: zoe finds Zoë
        parts = [f"%{like_literal(fold_name(author))}%" for author in authors]
        filters.append(Filter(
            "(" + " OR ".join([f"p.author COLLATE NOCASE IN ({_AUTHORS_NAMED})"] * len(parts))
            + ")", [param for part in parts for param in (part, NOT_ASCII, part)]))
    # Each tag a filter of its own: a post passes with every one of them.
    for name, value in [*(("tag", tag) for tag in dict.fromkeys(values(query.tag))),
                        *(("category", category) for category in values(query.category))]:
        plural = "categories" if name == "category" else "tags"
        named, named_params = _names_like(plural, value)
        # The posts row lists its tags as JSON: the name's words are in the index's tags
        # column as they are in the name, unless JSON escaped some of its characters. A
        # name with an apostrophe may be held with another one (ʼ is a letter there); one
        # with Hebrew or Arabic vowel marks is held without them where no post has marks
        # (archive/search/exact.py does not use it where one has).
        held = strip_marks(value)
        plain = json.dumps(held, ensure_ascii=False)[1:-1] == held \
            and not any(mark in held for mark in APOSTROPHES)
        # Per post, a lookup in the link table's key: IN (all the tag's posts) would collect
        # them first, which costs more than walking an impact list or a few matches.
        filters.append(Filter(
            f"EXISTS (SELECT 1 FROM post_{plural} x WHERE x.post_id = {{id}} "
            f"AND x.{name}_id IN ({named}))", named_params,
            f"SELECT post_id FROM post_{plural} WHERE {name}_id IN ({named})",
            (plural, quoted([held])) if plain else None, post_row=False))
    for name, value in (("since", query.since), ("until", query.until)):
        if value is not None and not is_date(value.strip()):
            raise SearchError.bad_value(
                name, f"expected a date like 2024-05-01 (or 2024-05, 2024), not {value!r}")
    if query.since:
        # A post dated by its month or year alone (2024-06: stored as the page gave it) is
        # in a range that overlaps that month or year: --since 2024-06-15 finds it, as
        # --until 2024-06-15 does by its prefix below. Its date is then a prefix of --since.
        since = query.since.strip()
        periods = [since[:size] for size in (4, 7, 10) if size < len(since)]

        def on_or_after(column: str) -> str:
            within = f" OR {column} IN ({','.join('?' * len(periods))})" if periods else ""
            return f"({column} >= ?{within})"
        filters.append(Filter(on_or_after("p.published"), [since, *periods],
                              f"SELECT id FROM posts WHERE {on_or_after('published')}"))
    if query.until:
        until = query.until.strip()
        filters.append(Filter("substr(p.published, 1, ?) <= ?", [len(until), until]))
    if query.lang:
        lang = language_code(query.lang) or query.lang.strip().lower()
        filters.append(Filter(f"p.language IN ({_LANGUAGES_NAMED})",
                              [lang, f"{like_literal(lang)}-%"]))
    if query.deleted not in DELETED_CHOICES:
        raise SearchError.bad_value("deleted", f"expected {', '.join(DELETED_CHOICES)}, "
                                    f"not {query.deleted!r}")
    if query.deleted != "include":
        filters.append(Filter(f"p.deleted_at IS {'NOT ' if query.deleted == 'only' else ''}NULL",
                              []))
    return filters


def _names_like(table: str, value: str) -> tuple[str, list[Any]]:
    """The ids of the tags (or categories) named `value` by `name_case`, as a query and its
    parameters: a seek in the name's NOCASE index, and the names outside ASCII read, in C but
    for those few (tags are few, and IN runs this once per query), for CRÈME BRÛLÉE to find
    crème brûlée, o'leary O’Leary, and an ASCII name too one that folds to it (strasse
    Straße)."""
    key = name_case(value)
    return names_like(table, "?", "?"), [key, NOT_ASCII, key]


def names_like(table: str, key: str, not_ascii: str) -> str:
    """SQL: the ids of the tags (or categories) whose name is the parameter `key` (a name read
    by `name_case`; `not_ascii`: the parameter holding NOT_ASCII; "?" for each: key, not_ascii,
    key), as `_names_like` finds them: the web's tag and category filters match as --tag."""
    return (f"SELECT id FROM {table} WHERE name = {key} "
            f"OR (name GLOB {not_ascii} AND {CASE_FUNCTION}(name) = {key})")


def is_date(text: str) -> bool:
    """Whether `text` is an ISO date (2024, 2024-05, 2024-05-01, or a time on that day) that
    exists: not 2024-13 or 2024-02-30."""
    if not _DATE.match(text):
        return False
    try:
        if len(text) > 10:
            datetime.fromisoformat(text)
        else:
            date(int(text[:4]), int(text[5:7] or 1), int(text[8:10] or 1))
    except ValueError:
        return False
    return True


def row_conditions(filters: Sequence[Filter], post_id: str = "p.id",
                   ) -> tuple[list[str], list[Any]]:
    """The filters as conditions on the post's row `p` whose id is `post_id`, and their
    parameters."""
    return ([f.row.replace("{id}", post_id) for f in filters],
            [param for f in filters for param in f.params])


def posts_join(filters: Sequence[Filter], post_id: str) -> str:
    """The join that gives the filters the post's row `p`, if one of them reads it: a lookup
    per post that a filter on the id alone saves (~10 us a post on a large archive)."""
    return f" CROSS JOIN posts p ON p.id = {post_id}" if any(f.post_row for f in filters) else ""

