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
σ) need nothing here. The same lookup finds the marks unicode61 does not remove, which queries
and --author ignore as they ignore é (LETTER_VARIANTS: θαλασσα finds θάλασσα, odegard Ødegård,
احمد أحمد), and numbers in Arabic-Indic digits (12 finds ١٢). FTS5 syntax is widened word by
word the same way (`widen_syntax`: author:odegard).
"""

from __future__ import annotations

import re
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
# Letters the index keeps apart from the letter fold_case reads them as: marks unicode61 leaves
# on (Greek tonos and dialytika, Cyrillic ё й ї ў, Arabic hamza and madda) and letters Unicode
# does not decompose (query.BASE_LETTERS). Folded letter -> the letters the index may hold for
# it. Polytonic Greek, the kana's voicing marks and rarer letters are left out: each letter here
# costs a vocabulary lookup per occurrence in every query word.
LETTER_VARIANTS: dict[str, str] = {
    "o": "ø", "l": "ł", "d": "đ",
    "α": "ά", "ε": "έ", "η": "ή", "ι": "ίϊΐ", "ο": "ό", "υ": "ύϋΰ", "ω": "ώ",
    "е": "ё", "и": "й", "і": "ї", "у": "ў",
    "ا": "آأإ", "و": "ؤ", "ي": "ئ",
}
# A number's other scripts, all its digits at once: 12 -> ١٢ (Arabic-Indic), ۱۲ (Persian).
DIGIT_SCRIPTS = tuple(str.maketrans("0123456789", "".join(chr(zero + n) for n in range(10)))
                      for zero in (0x660, 0x6F0))
# What unicode61 keeps of those: the marked letters and the digits.
_KEPT = frozenset("".join(LETTER_VARIANTS.values()) + "".join(
    "0123456789".translate(script) for script in DIGIT_SCRIPTS))
# Marked letters in one word, at most: monotonic Greek has one tonos a word (two with a
# dialytika: προϊόν), Arabic a hamza or two.
MAX_MARKED = 2
_LONGEST_FOLD = max(map(len, FULL_FOLDS))
# A word's spellings grow with each foldable pair in it (strasse: 2); past this many, the
# rest are not looked up (a Greek word with three αι has 2,197).
MAX_SPELLINGS = 64


def spellings(token: str) -> list[str]:
    """The spellings of a folded token the index may hold (`strasse` -> strasse, straße;
    `θαλασσα` -> θαλασσα, θάλασσα, ...; `12` -> 12, ١٢, ۱۲), the token itself first, at most
    MAX_SPELLINGS."""
    # after[i]: the spellings of token[i:], built from the end.
    after: list[list[str]] = [[] for _ in token] + [[""]]
    for start in range(len(token) - 1, -1, -1):
        found = [token[start] + rest for rest in after[start + 1]]
        for length in range(2, min(_LONGEST_FOLD, len(token) - start) + 1):
            for char in FULL_FOLDS.get(token[start:start + length], ""):
                found += [char + rest for rest in after[start + length]]
        after[start] = found[:MAX_SPELLINGS]
    found = after[0]
    for _ in range(MAX_MARKED):  # one more marked letter each round (a variant has none)
        found = list(dict.fromkeys(found + [
            spelling[:at] + variant + spelling[at + 1:] for spelling in found
            for at, char in enumerate(spelling)
            for variant in LETTER_VARIANTS.get(char, "")]))[:MAX_SPELLINGS]
    if any(char.isdigit() for char in token):
        found += [token.translate(script) for script in DIGIT_SCRIPTS]
    return list(dict.fromkeys(found))[:MAX_SPELLINGS]


def as_indexed(text: str) -> str:
    """`text` as unicode61 folds it: `fold`, but for the marks and letters it keeps (θάλασσα,
    Ødegård -> ødegard)."""
    return "".join(lower if (lower := char.lower()) in _KEPT else fold(char) for char in text)


def may_vary(token: str) -> bool:
    """Whether the index may hold `token` (folded) spelled otherwise: costs no lookup."""
    return any(pair in token for pair in FULL_FOLDS) or any(
        char in LETTER_VARIANTS or char.isdigit() for char in token)


def held_terms(conn: sqlite3.Connection, terms: Iterable[str]) -> set[str]:
    """Those of `terms` the index holds, in one vocabulary query (a seek each: the query's own
    cost, ~25 us, is most of it)."""
    asked = list(dict.fromkeys(terms))
    if not asked:
        return set()
    marks = ",".join("?" * len(asked))
    return {term for (term,) in conn.execute(
        f"SELECT term FROM {FTS_TABLE}_vocab WHERE term IN ({marks})", asked)}


def held_spellings(conn: sqlite3.Connection, token: str, known: Iterable[str] = ()) -> list[str]:
    """The spellings of `token` (folded) that the index holds; those in `known` (what unicode61
    makes of the word typed) are taken as held unlooked: a phrase of a term the index lacks
    matches nothing, and looking up a common one reads its whole doclist."""
    known = set(known)
    candidates = spellings(token)
    held = held_terms(conn, (spelling for spelling in candidates if spelling not in known))
    return [spelling for spelling in candidates if spelling in known or spelling in held]


def other_spellings(conn: sqlite3.Connection, text: str) -> bool:
    """Whether the index holds a word of `text` spelled other than unicode61 reads it (a post
    saying Strasse for a tag Straße): then the posts matching it are not all in its doclist."""
    typed = TOKEN.findall(as_indexed(text))
    return any(spelling not in typed for token in TOKEN.findall(fold_case(text))
               if may_vary(token) for spelling in held_spellings(conn, token, typed))


def word_phrases(conn: sqlite3.Connection, words: Iterable[str]) -> dict[str, list[str]]:
    """The words that match more than unicode61 finds for them, each with the phrases to search
    for it instead (its tokens, spelled as the index holds them, joined by spaces). A word that
    folds as unicode61 folds it and has no letter the index may hold otherwise costs no lookup;
    words with Chinese, Japanese or Korean in them are left to their own index."""
    widened = []  # (word, its tokens each with its spellings, what unicode61 makes of it)
    for word in words:
        tokens, typed = TOKEN.findall(fold_case(word)), TOKEN.findall(as_indexed(word))
        if (tokens == typed and not any(map(may_vary, tokens))) or split_words([word])[0]:
            continue
        widened.append((word, [spellings(token) if may_vary(token) or token not in typed
                               else [token] for token in tokens], typed))
    # One lookup for all the words: most of its cost is the query's own.
    held = held_terms(conn, (spelling for _, candidates, typed in widened
                             for spelled in candidates for spelling in spelled
                             if spelling not in typed))
    found: dict[str, list[str]] = {}
    for word, candidates, typed in widened:
        phrases = [""]
        for spelled in candidates:
            kept = [s for s in spelled if s in typed or s in held] or spelled[:1]
            phrases = [f"{phrase} {spelling}".lstrip() for phrase in phrases
                       for spelling in kept][:MAX_SPELLINGS]
        if phrases != [" ".join(typed)]:
            found[word] = phrases
    return found


# FTS5 syntax's parts (as archive/search/cjk_syntax.py reads them): "strings", its single
# characters, and barewords (operators, column names, terms).
_SYNTAX_PART = re.compile(r'"(?:[^"]|"")*"?|[(){}:*^+,-]|[^\s"(){}:*^+,-]+')
_OPERATORS = ("AND", "OR", "NOT", "NEAR")


def widen_syntax(conn: sqlite3.Connection, expression: str) -> str:
    """An FTS5 expression with each word or "phrase" the index holds spelled otherwise too as
    the group of its spellings (`author:odegard` -> `author:("odegard" OR "ødegard")`), as
    `word_phrases` widens plain words. Not column names, prefixes (`word*`), words after `^`,
    nor inside NEAR(…), where FTS5 takes phrases only."""
    parts = list(_SYNTAX_PART.finditer(expression))
    pieces: list[str] = []
    written, near_depth, in_braces = 0, 0, False
    for at, part in enumerate(parts):
        text = part.group()
        after = parts[at + 1].group() if at + 1 < len(parts) else ""
        before = parts[at - 1].group() if at else ""
        if text == "(" and (near_depth or before == "NEAR"):
            near_depth += 1
        elif text == ")" and near_depth:
            near_depth -= 1
        in_braces = (in_braces or text == "{") and text != "}"
        if near_depth or in_braces or after in (":", "*") or before == "^" \
                or text in _OPERATORS or len(text) == 1 and text in '(){}:*^+,-"':
            continue
        quoted = text.startswith('"')
        if quoted and (len(text) < 2 or not text.endswith('"')):
            continue  # unterminated: FTS5 says so
        word = text[1:-1].replace('""', '"') if quoted else text
        phrases = word_phrases(conn, [word]).get(word)
        if phrases:
            group = " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)
            pieces += [expression[written:part.start()], f"({group})"]
            written = part.end()
    return "".join(pieces) + expression[written:]
