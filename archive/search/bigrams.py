"""Chinese, Japanese and Korean words in the search index: overlapping character bigrams.

FTS5's unicode61 tokenizer splits text at spaces and punctuation. Chinese and Japanese
write no spaces, so a whole clause (`先週東京に行きました`) is one token and a word
inside it (`東京`) is never found. Korean writes spaces but glues particles to its words
(`서울에서`: "in Seoul"), so `서울` is not found either. SQLite ships no tokenizer for
these scripts, and Python's sqlite3 cannot register one. So each post's CJK runs are
indexed as their overlapping two-character pieces, the way Lucene's CJKAnalyzer and
Elasticsearch's `cjk_bigram` do (`東京に行` -> `東京 京に に行`), plus the run's last
character alone, so that every character starts a token. A word of two or more
characters is then the phrase of its bigrams (`東京都` -> "東京 京都"), found anywhere in
a run; a single character is a prefix query.

The title's pieces go in the posts row's `cjk_title` column and the rest's (author, tags,
categories, body) in `cjk` (NULL where there is no such text: nothing is stored or indexed
for it), and into their own FTS5 table, posts_cjk (archive/schema.py), which weighs the
title as the main index does. The main index and its fast top-k are untouched;
archive/search/cjk.py queries posts_cjk.

Text is NFKC-normalised on both sides, so half-width katakana (ｶﾀｶﾅ) finds full-width
(カタカナ).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Nothing of the project is imported here but its tokens and marks (which import nothing):
# archive/schema.py's migration fills the columns with index_text, and the schema is what the
# rest of archive.search reads.
from archive.search.marks import MARKS, TATWEEL
from archive.search.marks import strip as strip_marks
from archive.search.tokens import TOKEN as TOKEN  # unicode61's tokens, re-exported

# Character ranges: Han (with its extensions and compatibility ideographs, 々 and 〆), hiragana
# and katakana without the middle dot ・ (punctuation), which write no spaces between words;
# Hangul syllables and jamo, which do; half-width katakana, which NFKC makes full-width.
_HAN_KANA_CHARS = ("\u3005\u3006\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
                   "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f")
_HANGUL_CHARS = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_HALF_WIDTH_KANA = "\uff66-\uff9f"
CJK_RUN = re.compile(f"[{_HAN_KANA_CHARS}{_HANGUL_CHARS}]+")
_HAN_KANA = re.compile(f"[{_HAN_KANA_CHARS}{_HALF_WIDTH_KANA}]+")
_ANY_CJK = re.compile(f"[{_HAN_KANA_CHARS}{_HANGUL_CHARS}{_HALF_WIDTH_KANA}]")  # to read at all
# CJK_RUN's test in SQL, for rows written before the columns existed: GLOB reads a class of
# characters and ranges as the regular expression does.
CJK_GLOB = f"*[{_HAN_KANA_CHARS}{_HANGUL_CHARS}]*"


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _has_cjk(text: str) -> bool:
    return not text.isascii() and _ANY_CJK.search(text) is not None


def word_count(text: str) -> int:
    """Words of `text`, each Chinese or Japanese character counting as one, as word processors
    count them (splitting at spaces would make a Japanese paragraph one word); Korean, which
    spaces its words, is counted by them."""
    if not _has_cjk(text):
        return len(text.split())
    characters = sum(map(len, _HAN_KANA.findall(text)))
    return characters + len(TOKEN.findall(_HAN_KANA.sub(" ", text)))


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def index_text(texts: Iterable[str | None]) -> str | None:
    """The bigram tokens of the CJK runs of `texts`, space-separated; None when they hold none.

    Runs are separated by a newline: FTS5 numbers tokens across it anyway, but no phrase of a
    query's bigrams can span two runs, since the last character of each run stands alone there.
    A last line holds the other letters and digits written against CJK text (`iPhone15` of
    `iPhone15の使い方`), which the main index keeps only inside that whole token; Hebrew and
    Arabic without their vowel marks (posts_cjk's tokenizer reads a mark as a space, and a query
    has its marks taken out: `東京שָׁלוֹם` is found as `שלום`, not as ש לו ם, since v26).
    """
    # Normalised only where there is CJK text: most posts have none, and NFKC costs more than
    # the search for it.
    lines: list[str] = []
    attached: list[str] = []
    for text in texts:
        if not text or not _has_cjk(text):
            continue
        text = normalize(text)
        lines += [" ".join([*_bigrams(run), run[-1]]) for run in CJK_RUN.findall(text)]
        attached += [strip_marks(part) for token in TOKEN.findall(text) if CJK_RUN.search(token)
                     for part in TOKEN.findall(CJK_RUN.sub(" ", token))]
    if not lines:
        return None
    return "\n".join(lines + [" ".join(attached)] * bool(attached))


def run_query(run: str) -> str:
    """The FTS5 expression finding `run` (a CJK run) anywhere in a posts_cjk row."""
    if len(run) == 1:
        return f'"{run}" *'
    return '"' + " ".join(_bigrams(run)) + '"'


def split_words(words: list[str]) -> tuple[list[str], list[str]]:
    """A plain query's words as (CJK runs, the other words): `iPhone15の使い方` gives
    (["の使い方"], ["iPhone15"])."""
    runs: list[str] = []
    others: list[str] = []
    for word in words:
        word = normalize(word)
        runs += CJK_RUN.findall(word)
        rest = CJK_RUN.sub(" ", word)
        others += [part for part in rest.split() if TOKEN.search(part)]
    return runs, others


def snippet(text: str, runs: list[str], start: str, end: str, width: int = 40) -> str:
    """`text` around the first of `runs` found in it, each run marked with `start`/`end`; the
    text's beginning when none is (the match was in the title, tags or author)."""
    text = " ".join(text.split())
    found = [at for run in runs if (at := text.find(run)) >= 0]
    if not found:  # the page's text as the query was normalised (half-width katakana)
        text = normalize(text)
        found = [at for run in runs if (at := text.find(run)) >= 0]
    first = min(found, default=0)
    left = max(0, first - width)
    right = first + 2 * width
    # One pass, longest run first: a run inside another is not marked twice.
    marked = re.sub("|".join(map(re.escape, sorted(set(runs), key=len, reverse=True))),
                    lambda m: f"{start}{m.group()}{end}", text[left:right])
    return ("…" if left else "") + marked + ("…" if right < len(text) else "")


# A character of a word written against CJK text as posts_cjk reads it: a letter or digit that
# is not CJK, or a Hebrew or Arabic vowel mark or tatweel, which it reads without.
_GLUED_CHARACTER = (f"(?:(?![{_HAN_KANA_CHARS}{_HANGUL_CHARS}{_HALF_WIDTH_KANA}])[^\\W_]"
                    f"|[{MARKS}{TATWEEL}])")


def glued_snippet(text: str, words: Iterable[tuple[str, bool]], start: str, end: str,
                  width: int = 40) -> str:
    """`snippet` for words written against CJK text (`東京でberlinと`), each a (word, whether
    it is a prefix) pair, marked whole where they are written as posts_cjk finds them: in any
    case, with the Hebrew or Arabic vowel marks the word was looked up without (תודה marks
    תּוֹדָה), a prefix to its word's end (`berl*` marks berlin)."""
    def pattern(word: str, prefix: bool) -> str:
        letters = "".join(f"{re.escape(char)}[{MARKS}{TATWEEL}]*" for char in strip_marks(word))
        return letters + (f"{_GLUED_CHARACTER}*" if prefix else f"(?!{_GLUED_CHARACTER})")

    # Longest first: a word inside another is not marked twice.
    alternatives = sorted({pattern(*word) for word in words if word[0]}, key=len, reverse=True)
    if not alternatives:
        return snippet(text, [], start, end, width)
    found = re.compile(f"(?<!{_GLUED_CHARACTER})(?:{'|'.join(alternatives)})", re.IGNORECASE)
    text = " ".join(text.split())
    first = found.search(text)
    if first is None:  # the page's text as posts_cjk holds it (half-width katakana)
        text = normalize(text)
        first = found.search(text)
    at = first.start() if first else 0
    left, right = max(0, at - width), at + 2 * width
    marked = found.sub(lambda m: f"{start}{m.group()}{end}", text[left:right])
    return ("…" if left else "") + marked + ("…" if right < len(text) else "")
