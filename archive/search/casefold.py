"""Full Unicode case folding (str.casefold: ß -> ss, İ -> i) for search words and filter names.

FTS5's unicode61 tokenizer folds case one character to one character: Straße is indexed as
`straße`, so STRASSE (`strasse`) would not find it, nor Straße a post writing Strasse. Python's
sqlite3 cannot register a tokenizer, and indexing folded copies of every post would re-index the
whole archive (and tie its triggers to a Python function no other SQLite client has). So the
index stays as it is and a query word is widened instead: folded fully (`strasse`), then every
spelling the index may hold for it (`straße`) that its vocabulary does hold is searched too,
each looked up with one seek in posts_fts_vocab. A word without such a spelling in the archive
is searched as typed, so the fast paths stay as they were.

The spellings come from the characters unicode61 keeps as one token character whose full case
folding is several (FULL_FOLDS; tests/test_search_casefold.py derives the table from SQLite's
tokenizer and Python's casefold). Characters the tokenizer already folds (İ to i, ẞ to ß, ς to
σ) need nothing here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from archive.schema import FTS_TABLE
from archive.search.bigrams import split_words
from archive.search.query import TOKEN, fold, fold_case

# Folded text -> the characters the index holds that fold to it.
FULL_FOLDS: dict[str, str] = {
    "ss": "ß", "ff": "ﬀ", "ffi": "ﬃ", "ffl": "ﬄ", "fi": "ﬁ", "fl": "ﬂ", "st": "ﬅﬆ",
    "ʼn": "ŉ", "aʾ": "ẚ", "αι": "ᾀᾁᾂᾃᾄᾅᾆᾇᾲᾳᾴᾷ", "ηι": "ᾐᾑᾒᾓᾔᾕᾖᾗῂῃῄῇ",
    "ωι": "ᾠᾡᾢᾣᾤᾥᾦᾧῲῳῴῷ", "եւ": "և", "մե": "ﬔ", "մի": "ﬕ", "մխ": "ﬗ", "մն": "ﬓ", "վն": "ﬖ",
}
_LONGEST_FOLD = max(map(len, FULL_FOLDS))
# A word's spellings grow with each foldable pair in it (strasse: 2); past this many, the
# rest are not looked up (a Greek word with three αι has 2,197).
MAX_SPELLINGS = 64


def spellings(token: str) -> list[str]:
    """The spellings of a folded token the index may hold (`strasse` -> strasse, straße), the
    token itself first, at most MAX_SPELLINGS."""
    # after[i]: the spellings of token[i:], built from the end.
    after: list[list[str]] = [[] for _ in token] + [[""]]
    for start in range(len(token) - 1, -1, -1):
        found = [token[start] + rest for rest in after[start + 1]]
        for length in range(2, min(_LONGEST_FOLD, len(token) - start) + 1):
            for char in FULL_FOLDS.get(token[start:start + length], ""):
                found += [char + rest for rest in after[start + length]]
        after[start] = found[:MAX_SPELLINGS]
    return after[0]


def held_spellings(conn: sqlite3.Connection, token: str) -> list[str]:
    """The spellings of `token` (folded) that the index holds, one vocabulary seek each."""
    return [spelling for spelling in spellings(token) if conn.execute(
        f"SELECT 1 FROM {FTS_TABLE}_vocab WHERE term = ?", (spelling,)).fetchone()]


def other_spellings(conn: sqlite3.Connection, text: str) -> bool:
    """Whether the index holds a word of `text` spelled other than unicode61 reads it (a post
    saying Strasse for a tag Straße): then the posts matching it are not all in its doclist."""
    typed = TOKEN.findall(fold(text))
    return any(spelling not in typed for token in TOKEN.findall(fold_case(text))
               for spelling in held_spellings(conn, token))


def word_phrases(conn: sqlite3.Connection, words: Iterable[str]) -> dict[str, list[str]]:
    """The words that match more than unicode61 finds for them, each with the phrases to search
    for it instead (its tokens, spelled as the index holds them, joined by spaces). A word that
    folds as unicode61 folds it and has no pair FULL_FOLDS spells otherwise costs no lookup;
    words with Chinese, Japanese or Korean in them are left to their own index."""
    found: dict[str, list[str]] = {}
    for word in words:
        tokens, typed = TOKEN.findall(fold_case(word)), TOKEN.findall(fold(word))
        foldable = any(pair in token for token in tokens for pair in FULL_FOLDS)
        if (tokens == typed and not foldable) or split_words([word])[0]:
            continue
        phrases = [""]
        for token in tokens:
            held = held_spellings(conn, token) or [token]
            phrases = [f"{phrase} {spelling}".lstrip() for phrase in phrases
                       for spelling in held][:MAX_SPELLINGS]
        if phrases != [" ".join(typed)]:
            found[word] = phrases
    return found
