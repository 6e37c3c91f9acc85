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
and --author ignore as they ignore é (LETTER_VARIANTS: θαλασσα finds θάλασσα, احمد أحمد), and,
in an archive with words starting with them (`archive_variants`), ø ł đ (odegard finds Ødegård)
and numbers in Arabic-Indic digits (12 finds ١٢); and, in an archive of Turkish text, the
Turkish dotless ı in place of any i (isik and IŞIK find ışık: `_dotless_spellings`). A word
written with a zero-width joiner or non-joiner is also searched without it, and one typed
without it also as its pieces where one may stand, when the index holds them
(`_joiner_spellings`, archive/search/joiners.py: میخواهم finds می‌خواهم). The word as typed
is always one of the phrases searched. FTS5 syntax is widened word by word the same
way (`widen_syntax`: author:odegard).
"""

from __future__ import annotations

import itertools
import sqlite3
import unicodedata
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from archive.schema import FTS_TABLE, UNMARKED_TABLE
from archive.search import joiners
from archive.search.bigrams import split_words
from archive.search.cjk_syntax import FTS_PART, SYNTAX_CHARACTERS
from archive.search.marks import SCRIPT
from archive.search.query import DIGIT_ZEROS, DOTLESS_I, TOKEN, UNDECOMPOSED, fold_case
from archive.search.tokens import as_indexed as as_indexed  # re-exported

# Folded text -> the characters the index holds that fold to it.
FULL_FOLDS: dict[str, str] = {
    "ss": "ß", "ff": "ﬀ", "ffi": "ﬃ", "ffl": "ﬄ", "fi": "ﬁ", "fl": "ﬂ", "st": "ﬅﬆ",
    "ʼn": "ŉ", "aʾ": "ẚ", "αι": "ᾀᾁᾂᾃᾄᾅᾆᾇᾲᾳᾴᾷ", "ηι": "ᾐᾑᾒᾓᾔᾕᾖᾗῂῃῄῇ",
    "ωι": "ᾠᾡᾢᾣᾤᾥᾦᾧῲῳῴῷ", "եւ": "և", "մե": "ﬔ", "մի": "ﬕ", "մխ": "ﬗ", "մն": "ﬓ", "վն": "ﬖ",
}
# The Indic letters with a nukta written as one character (ज़ U+095B, ড় U+09DC) that Unicode
# never composes: queries read them decomposed (ज + ़), as most text writes them, but the index
# keeps a word written with the one character as it is (a word, whole, since v22). Decomposed
# pair -> the letter.
COMPOSED_NUKTA: dict[str, str] = {
    unicodedata.normalize("NFD", char): char for char in map(chr, range(0x0900, 0x0E00))
    if unicodedata.category(char) == "Lo" and unicodedata.normalize("NFC", char) != char}
_MULTI = {key: FULL_FOLDS.get(key, "") + COMPOSED_NUKTA.get(key, "")
          for key in [*FULL_FOLDS, *COMPOSED_NUKTA]}
# Letters the index keeps apart from the letter fold_case reads them as, for the marks unicode61
# leaves on (Greek tonos and dialytika, Cyrillic ё й ї ў, Arabic hamza and madda). Folded letter
# -> the letters the index may hold for it. Polytonic Greek, the kana's voicing marks and rarer
# letters are left out: each letter here costs a vocabulary lookup per occurrence in every
# query word.
LETTER_VARIANTS: dict[str, str] = {
    "α": "ά", "ε": "έ", "η": "ή", "ι": "ίϊΐ", "ο": "ό", "υ": "ύϋΰ", "ω": "ώ",
    "е": "ё", "и": "й", "і": "ї", "у": "ў",
    "ا": "آأإ", "و": "ؤ", "ي": "ئ",
}
# A number's other scripts, all its digits at once: 12 -> ١٢ (Arabic-Indic), ۱۲ (Persian).
DIGIT_SCRIPTS = tuple(str.maketrans("0123456789", "".join(chr(zero + n) for n in range(10)))
                      for zero in DIGIT_ZEROS)
# Marked letters in one word, at most: monotonic Greek has one tonos a word (two with a
# dialytika: προϊόν), Arabic a hamza or two.
MAX_MARKED = 2
_LONGEST_FOLD = max(map(len, _MULTI))
# Those text normalised to NFKC holds (ß, not the ligature ﬅ nor a nukta's one character), as
# posts_cjk holds its words (glued_spellings).
_NFKC_MULTI = {key: kept for key, chars in _MULTI.items()
               if (kept := "".join(c for c in chars if unicodedata.is_normalized("NFKC", c)))}
# A word's spellings grow with each foldable pair in it (strasse: 2); past this many, the
# rest are not looked up (a Greek word with three αι has 2,197). Also a word's phrases in all,
# its letters' spellings and its joiner splits together (word_phrases).
MAX_SPELLINGS = 64
# The longest token given its other spellings: past any word people write (Rindfleisch...gesetz
# is 63 letters), and a bound on the spellings' size: a 21,000-letter token built 64 strings of
# each of its suffixes, gigabytes, and the search failed with MemoryError.
MAX_WIDENED = 100


class Variants(NamedTuple):
    """The other letters and digits the spellings of a word may hold in one archive."""

    letters: Mapping[str, str]  # folded letter -> the letters the index may hold for it
    digit_scripts: tuple[dict[int, int], ...]  # of DIGIT_SCRIPTS
    dotless: bool = False  # any i of a word may be an ı in the index (Turkish text)


# The letters Unicode does not decompose (query.UNDECOMPOSED: ø for o) and the Arabic-Indic digits
# are in few archives, but o, l, d and digits in nearly every query: their spellings are looked
# up only in an archive whose vocabulary has a word starting with one (a seek each, once per
# connection until the archive changes). Norwegian, Danish, Polish, Croatian, Vietnamese, Arabic
# or Persian text has many; an English archive naming Tromsø alone finds it from `tromsø` only.
_RARE_RANGES = [*((marked, chr(ord(marked) + 1)) for marked in UNDECOMPOSED.values()),
                *((chr(zero), chr(zero + 10)) for zero in DIGIT_ZEROS)]
# Dotless ı is in words of Turkish and Azerbaijani text only, and inside them more than at
# their start (yıl, kız, sıra): the archive is taken to hold such text when a word has it
# first or second.
_DOTLESS_RANGES = [(first + DOTLESS_I, first + chr(ord(DOTLESS_I) + 1))
                   for first in ["", *map(chr, range(ord("a"), ord("z") + 1))]]
# One seek a range: an OR of ranges in one subquery would read the whole vocabulary.
_RARE_HELD = "SELECT " + ", ".join(
    f"EXISTS (SELECT 1 FROM {FTS_TABLE}_vocab WHERE term >= ? AND term < ?)"
    for _ in [*_RARE_RANGES, *_DOTLESS_RANGES])
# id(connection) -> (the connection, its version, its archive's Variants). The connection is held
# so that its id is not reused; a few are kept (a process searches one archive or a handful).
_SEEN: dict[int, tuple[sqlite3.Connection, tuple[int, int], Variants]] = {}
_SEEN_MAX = 8


def archive_variants(conn: sqlite3.Connection) -> Variants:
    """The letters and digit scripts worth looking up in `conn`'s archive: LETTER_VARIANTS,
    those of ø ł đ and the Arabic-Indic digits it has a word starting with, and ı for i when
    a word has ı as its first or second letter."""
    # data_version moves when another connection commits, total_changes when this one writes.
    version = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes)
    seen = _SEEN.get(id(conn))
    if seen is not None and seen[0] is conn and seen[1] == version:
        return seen[2]
    held = conn.execute(_RARE_HELD, [bound for pair in [*_RARE_RANGES, *_DOTLESS_RANGES]
                                      for bound in pair]).fetchone()
    found = Variants(
        LETTER_VARIANTS | {plain: marked for (plain, marked), yes
                           in zip(UNDECOMPOSED.items(), held, strict=False) if yes},
        tuple(script for script, yes in zip(DIGIT_SCRIPTS, held[len(UNDECOMPOSED):len(
            _RARE_RANGES)], strict=True) if yes),
        any(held[len(_RARE_RANGES):]))
    if len(_SEEN) >= _SEEN_MAX and id(conn) not in _SEEN:
        del _SEEN[next(iter(_SEEN))]
    _SEEN[id(conn)] = (conn, version, found)
    return found


def spellings(token: str, variants: Variants, folds: Mapping[str, str] = _MULTI) -> list[str]:
    """The spellings of a folded token the index may hold (`strasse` -> strasse, straße;
    `ज़िंदगी` -> the same with ज़ as one character;
    `θαλασσα` -> θαλασσα, θάλασσα, ...; `12` -> 12, ١٢, ۱۲), the token itself first, at most
    MAX_SPELLINGS; a token longer than MAX_WIDENED, itself alone. `folds`: the characters
    that may stand for several (_MULTI)."""
    if len(token) > MAX_WIDENED:
        return [token]
    # after[i]: the spellings of token[i:], built from the end.
    after: list[list[str]] = [[] for _ in token] + [[""]]
    for start in range(len(token) - 1, -1, -1):
        found = [token[start] + rest for rest in after[start + 1]]
        for length in range(2, min(_LONGEST_FOLD, len(token) - start) + 1):
            for char in folds.get(token[start:start + length], ""):
                found += [char + rest for rest in after[start + length]]
        after[start] = found[:MAX_SPELLINGS]
    found = after[0]
    if variants.dotless:  # every i may be an ı, in any number of places (ışıkları has three)
        found = list(dict.fromkeys(dotted for spelling in found
                                   for dotted in _dotless_spellings(spelling)))[:MAX_SPELLINGS]
    for _ in range(MAX_MARKED):  # one more marked letter each round (a variant has none)
        found = list(dict.fromkeys(found + [
            spelling[:at] + variant + spelling[at + 1:] for spelling in found
            for at, char in enumerate(spelling)
            for variant in variants.letters.get(char, "")]))[:MAX_SPELLINGS]
    if variants.digit_scripts and any(char.isdigit() for char in token):
        found += [token.translate(script) for script in variants.digit_scripts]
    return list(dict.fromkeys(found))[:MAX_SPELLINGS]


def _dotless_spellings(spelling: str) -> list[str]:
    """`spelling` with each i as i or ı, the spelling itself first, at most MAX_SPELLINGS."""
    parts = spelling.split("i")
    found = [parts[0]]
    for part in parts[1:]:
        found = [head + letter + part for head in found for letter in ("i", DOTLESS_I)]
        found = found[:MAX_SPELLINGS]
    return found


def may_vary(token: str, variants: Variants) -> bool:
    """Whether the index may hold `token` (folded) spelled otherwise: costs no lookup."""
    return any(pair in token for pair in _MULTI) or any(
        char in variants.letters or variants.digit_scripts and char.isdigit()
        or variants.dotless and char == "i" for char in token)


def held_terms(conn: sqlite3.Connection, terms: Iterable[str]) -> set[str]:
    """Those of `terms` the index holds, in one vocabulary query (a seek each: the query's own
    cost, ~10 us, is most of it); those of Hebrew or Arabic letters in the index of such text
    without vowel marks too, where the archive has it (أحمد of a post writing أَحْمَد is only
    there)."""
    asked = list(dict.fromkeys(terms))
    if not asked:
        return set()
    marks = ",".join("?" * len(asked))
    sql = f"SELECT term FROM {FTS_TABLE}_vocab WHERE term IN ({marks})"
    if any(SCRIPT.search(term) for term in asked) and conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (f"{UNMARKED_TABLE}_vocab",)
            ).fetchone() is not None:
        sql += f" UNION SELECT term FROM {UNMARKED_TABLE}_vocab WHERE term IN ({marks})"
        asked *= 2
    return {term for (term,) in conn.execute(sql, asked)}


def word_phrases(conn: sqlite3.Connection, words: Iterable[str],
                 variants: Variants | None = None) -> dict[str, list[str]]:
    """The words that match more than unicode61 finds for them, each with the phrases to search
    for it instead: the word as typed, then its other spellings the index holds (its tokens,
    spelled as the index holds them, joined by spaces). A word that folds as unicode61 folds it
    and has no letter the archive may hold otherwise (`archive_variants`) costs no lookup; words
    with Chinese, Japanese or Korean in them are left to their own index. `variants`: the
    archive's (`archive_variants`), when the caller read them for this query already."""
    variants = archive_variants(conn) if variants is None else variants
    # (word, its tokens each with its spellings, what unicode61 makes of it (a set: a word of
    # thousands of tokens is looked in for each of its spellings' tokens), its spellings with or
    # without a joiner as token lists: archive/search/joiners.py)
    widened: list[tuple[str, list[list[str]], set[str], list[list[str]]]] = []
    for word in words:
        if split_words([word])[0]:
            continue
        tokens, typed = TOKEN.findall(fold_case(word)), TOKEN.findall(as_indexed(word))
        joins = _joiner_spellings(word, tokens)
        if tokens == typed and not joins \
                and not any(may_vary(token, variants) for token in tokens):
            continue
        widened.append((word, [spellings(token, variants) for token in tokens], set(typed),
                        joins))
    # One lookup for all the words: most of its cost is the query's own. What unicode61 makes
    # of a word is not looked up: the word as typed is searched anyway, and looking up a common
    # term reads its whole doclist.
    held = held_terms(conn, [*(spelling for _, candidates, typed, _ in widened
                               for spelled in candidates for spelling in spelled
                               if spelling not in typed),
                             *(token for _, _, typed, joins in widened for spelled in joins
                               for token in spelled if token not in typed)])
    found: dict[str, list[str]] = {}
    for word, candidates, typed_set, joins in widened:
        typed = " ".join(TOKEN.findall(as_indexed(word)))
        phrases = [""]
        for spelled in candidates:  # the first MAX_SPELLINGS of its tokens' spellings' product
            kept = [s for s in spelled if s in typed_set or s in held]
            phrases = list(itertools.islice((f"{phrase} {spelling}".lstrip()
                                             for phrase in phrases for spelling in kept),
                                            MAX_SPELLINGS))
        split = [" ".join(spelled) for spelled in joins
                 if all(token in typed_set or token in held for token in spelled)]
        # Both kinds, in turn, MAX_SPELLINGS in all with the word as typed: each kind reached
        # MAX_SPELLINGS, 128 phrases for one word.
        others = [phrase for phrase in dict.fromkeys(itertools.chain.from_iterable(
            itertools.zip_longest(phrases, split, fillvalue=typed))) if phrase != typed]
        if others:  # the word as typed stays a choice: unicode61 finds what it holds as it is
            found[word] = [word, *others[:MAX_SPELLINGS - 1]]
    return found


def _joiner_spellings(word: str, tokens: list[str]) -> list[list[str]]:
    """The other spellings of `word` (folded to `tokens`) a zero-width joiner or non-joiner
    makes, as token lists (archive/search/joiners.py): typed with one, the word without it
    (می‌خواهم: میخواهم); typed without, each token split where one may stand (میخواهم: می
    خواهم, the index's words for می‌خواهم and for می خواهم)."""
    if word.isascii():
        return []
    if joiners.has_joiner(word):
        return [TOKEN.findall(fold_case(joiners.joined(word)))]
    # Each is all the word's tokens: at most MAX_SPELLINGS of them, as its letters' spellings
    # (a word of 3,000 tokens between dots had 9,000, each of 3,000 tokens: 12 s, 1.2 GB).
    return list(itertools.islice(([*tokens[:at], *pieces, *tokens[at + 1:]]
                                  for at, token in enumerate(tokens)
                                  for pieces in joiners.splits(token)), MAX_SPELLINGS))


def glued_spellings(variants: Variants, words: Iterable[str]) -> dict[str, list[str]]:
    """The other spellings of each of `words` (no CJK text in them) that posts_cjk may hold it
    written against CJK text in (`strasse`: straße; `θαλασσα`: θάλασσα), as `word_phrases`
    widens it in the main index, at most MAX_SPELLINGS; a word with none is left out. Not
    looked up: posts_cjk has no vocabulary, and its lookup of them all is a seek each. None
    for a word that folds as posts_cjk folds it (case only) with no letter the archive may
    hold otherwise, nor a ligature (ﬅ), which posts_cjk holds as its letters (NFKC:
    bigrams.index_text). `variants`: the archive's (`archive_variants`)."""
    found: dict[str, list[str]] = {}
    for word in words:
        written = word.lower()
        if word.isascii():  # ss (ß), and o, l, d (ø), digits (١) and i (ı) in some archives
            if "ss" not in written and not (
                    any(plain in written for plain in UNDECOMPOSED if plain in variants.letters)
                    or variants.digit_scripts and not written.isalpha()
                    or variants.dotless and "i" in written):
                continue
            tokens = TOKEN.findall(written)
        else:
            tokens = TOKEN.findall(fold_case(word))
            if split_words([word])[0] or tokens == [written] and not may_vary(tokens[0],
                                                                            variants):
                continue
        others = [spelling for spelling in spellings(tokens[0], variants, _NFKC_MULTI)
                  if spelling != written] if len(tokens) == 1 else []
        if others:
            found[word] = others
    return found


_OPERATORS = ("AND", "OR", "NOT", "NEAR")


def widen_syntax(conn: sqlite3.Connection, expression: str,
                 variants: Variants | None = None) -> str:
    """An FTS5 expression with each word or "phrase" the index holds spelled otherwise too as
    the group of its spellings (`author:odegard` -> `author:("odegard" OR "ødegard")`), as
    `word_phrases` widens plain words. Not column names, prefixes (`word*`), words after `^`,
    joined by `+`, nor inside NEAR(…), where FTS5 takes phrases only. Words side by side
    (FTS5's implicit AND, of phrases only too) with a group among them are joined by AND and
    kept one operand in parentheses: `garden میخواهم` -> `(garden AND ("میخواهم" OR ...))`.
    `variants`: as `word_phrases` takes them."""
    parts = list(FTS_PART.finditer(expression))
    texts = [part.group() for part in parts]
    words: dict[int, str] = {}  # the index of each part to widen -> its word
    # Whether a part ends a phrase, starts one (the implicit AND's operands), or ends a run of
    # them (an operator, a parenthesis but NEAR's).
    ends, starts, breaks = ([False] * len(parts) for _ in range(3))
    near_depth, in_braces = 0, False
    for at, text in enumerate(texts):
        after = texts[at + 1] if at + 1 < len(texts) else ""
        before = texts[at - 1] if at else ""
        if text == "(":
            breaks[at] = not near_depth and before != "NEAR"
            near_depth += not breaks[at]
            continue
        if text == ")":
            breaks[at] = not near_depth
            near_depth -= not breaks[at]
            ends[at] = not breaks[at] and not near_depth
            continue
        in_braces = (in_braces or text == "{") and text != "}"
        if near_depth:
            continue
        if in_braces or text in SYNTAX_CHARACTERS:
            starts[at] = text in ("^", "{", "-")
            ends[at] = text == "*"
            continue
        if text in _OPERATORS and text != "NEAR":
            breaks[at] = True
            continue
        starts[at] = before not in (":", "^", "+", "-")
        ends[at] = after not in (":", "*", "+", "(")
        if text == "NEAR" or after in (":", "*", "+") or before in ("^", "+"):
            continue
        quoted = text.startswith('"')
        if quoted and (len(text) < 2 or not text.endswith('"')):
            continue  # unterminated: FTS5 says so
        words[at] = text[1:-1].replace('""', '"') if quoted else text
    phrases = word_phrases(conn, words.values(), variants)
    widened = {at for at, word in words.items() if word in phrases}
    joined = {at for at in range(len(parts) - 1) if ends[at] and starts[at + 1]}
    wrapped: list[range] = []  # the runs of phrases side by side holding a group
    run_start = 0
    for at in range(len(parts) + 1):
        if at == len(parts) or breaks[at]:
            run = range(run_start, at)
            if not widened.isdisjoint(run) and not joined.isdisjoint(run):
                wrapped.append(run)
            run_start = at + 1
    opening, closing = {run[0] for run in wrapped}, {run[-1] for run in wrapped}
    anded = {at for run in wrapped for at in run if at in joined}
    pieces: list[str] = []
    written = 0
    for at, part in enumerate(parts):
        pieces += [expression[written:part.start()], "(" if at in opening else ""]
        if at in widened:
            pieces.append("(" + " OR ".join('"' + phrase.replace('"', '""') + '"'
                                            for phrase in phrases[words[at]]) + ")")
        else:
            pieces.append(part.group())
        pieces += [")" if at in closing else "", " AND" if at in anded else ""]
        written = part.end()
    return "".join(pieces) + expression[written:]
