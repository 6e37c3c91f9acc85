"""A spelling the archive holds for a mistyped search: `gardn` finds nothing, and the search
page, with no matches, offers `garden` (a link that searches it).

Only a query of plain words (no operators, quotes, prefixes or fields; a word may hold an
apostrophe or a hyphen, `therapist's`, `self-care`, whose parts the index holds apart) gets
one; each word the index does not hold (4 letters or more, in a script written with spaces) is
replaced by the indexed word nearest to it: at most one letter added, dropped, changed or two
swapped (two for a word of 7 letters or more), among the words beginning with its first two
letters, else (none near there) with them as one typo there leaves them (swapped, `agrden`;
one added before or between them, `sgarden`, `gsarden`): one to four short reads of the
index's vocabulary, posts_fts_vocab, at any size. A first or second letter changed or dropped
(`farden`, `grden`) is not found: its words are every word of one letter, or of any. Of
several, the one in the most posts."""

from __future__ import annotations

import re
import sqlite3

from archive.search.tokens import as_indexed

_WORD = re.compile(r"[^\W_]+")
_JOINED = r"[^\W_]+(?:['’-][^\W_]+)*"  # a word, or words joined by an apostrophe or a hyphen
_PLAIN = re.compile(rf"{_JOINED}(?:\s+{_JOINED})*")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
MIN_LENGTH = 4  # a shorter word has too many neighbours to guess from
MAX_WORDS = 8
_SPACELESS = 0x2E80  # CJK and later scripts: a "word" there is a run, not a word


def _distance(a: str, b: str, limit: int) -> int:
    """The edit distance of `a` and `b` (a swap of neighbours counting one), or limit + 1 once
    it is sure to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (a[i - 1] != b[j - 1]))
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _starts(word: str) -> list[list[str]]:
    """The first two letters of the words `word` may be a typo of: its own, else those a typo
    there leaves (see the module)."""
    return [[word[:2]], [start for start in dict.fromkeys([word[1::-1], word[1:3],
                                                           word[0] + word[2]])
                         if start != word[:2]]]


def _nearest(conn: sqlite3.Connection, word: str) -> str | None:
    limit = 2 if len(word) >= 7 else 1
    best: tuple[int, int, str] | None = None
    for starts in _starts(word):
        for start in starts:
            rows = conn.execute(
                "SELECT term, doc FROM posts_fts_vocab WHERE term >= ? AND term < ? "
                "AND length(term) BETWEEN ? AND ?",
                (start, start[:-1] + chr(ord(start[-1]) + 1), len(word) - limit,
                 len(word) + limit))
            for term, docs in rows:
                distance = _distance(word, term, limit)
                if distance <= limit and (best is None or (distance, -docs, term) < best):
                    best = (distance, -docs, term)
        if best is not None:
            return best[2]
    return None


def spelled_like(conn: sqlite3.Connection, query: str) -> str | None:
    """The query with each word the index does not hold spelled as the nearest one it holds;
    None when there is no such word, or none near it, or the query is not plain words."""
    query = query.strip()
    words = query.split()
    if not _PLAIN.fullmatch(query) or len(words) > MAX_WORDS \
            or any(w in _OPERATORS or any(ord(c) >= _SPACELESS for c in w) for w in words):
        return None
    changed = False

    def respelled(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group()
        folded = as_indexed(word)
        if len(folded) < MIN_LENGTH or conn.execute(
                "SELECT 1 FROM posts_fts_vocab WHERE term = ?", (folded,)).fetchone():
            return word
        nearest = _nearest(conn, folded)
        changed = changed or nearest is not None
        return nearest or word

    try:
        spelled = " ".join(_WORD.sub(respelled, word) for word in words)
    except sqlite3.OperationalError as exc:  # no vocabulary table (an archive before it)
        if "interrupted" in str(exc):
            raise
        return None
    return spelled if changed else None
