"""Words written with a zero-width joiner or non-joiner (ZWJ U+200D, ZWNJ U+200C) found however
they are typed: with it, without it, or with a space in its place.

Persian writes ZWNJ, the "half space", between a word and its affixes (می‌خواهم, کتاب‌ها), and
many write a space there instead, or nothing (میخواهم); Bengali writes ZWJ inside a cluster for
another rendering of it (র‍্যাব, typed র্যাব as often), as Devanagari and the other Indic scripts
do with both. To FTS5's unicode61 tokenizer the two are separators (format characters, Cf): the
index holds می‌خواهم as the words می and خواهم, as it holds می خواهم, and র‍্যাব as র and ্যাব.
So a word typed with one (its pieces, a phrase) finds those spellings, and the word typed
without (one token) the one written without. archive/search/casefold.py's word_phrases adds
the other: the word without its joiners (`joined`), and the word typed without them split
where one may stand (`splits`), each searched when the index holds its words. This is what
Lucene's Persian analyzer does with ZWNJ (a space), plus the joined spelling.

Where one may stand: in Arabic script, after a letter that joins the next (a ZWNJ after one
that does not, ا د ذ ر ز ژ و, changes nothing, so nobody types it there), both sides two
letters or more (the affixes are: می, ها, تر); in the Indic scripts, before or after a virama
(র‍্য, क्‍ष, क्‌ष).
"""

from __future__ import annotations

import re
import unicodedata

JOINERS = "\u200c\u200d"
_JOINER = re.compile(f"[{JOINERS}]")
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc"
                            "\u06ff\u0750-\u077f\u08a0-\u08c9]")
# The letters of the Arabic blocks that join no letter after them (Unicode's ArabicShaping.txt:
# joining types R and U): a ZWNJ after one is invisible.
_NOT_JOINING_NEXT = frozenset(
    "\u0621\u0622\u0623\u0624\u0625\u0627\u0629\u062f\u0630\u0631\u0632\u0648\u0671\u0672"
    "\u0673\u0674\u0675\u0676\u0677\u0688\u0689\u068a\u068b\u068c\u068d\u068e\u068f\u0690"
    "\u0691\u0692\u0693\u0694\u0695\u0696\u0697\u0698\u0699\u06c0\u06c3\u06c4\u06c5\u06c6"
    "\u06c7\u06c8\u06c9\u06ca\u06cb\u06cd\u06cf\u06d2\u06d3\u06d5\u06ee\u06ef\u0759\u075a"
    "\u075b\u076b\u076c\u0771\u0773\u0774\u0778\u0779\u08aa\u08ab\u08ac\u08ae\u08b1\u08b2"
    "\u08b9")
_INDIC = re.compile("[\u0900-\u0dff]")
# The longest token split: longer than the words with affixes people write (نمی‌خواستیم: 10
# letters; a Bengali cluster's word fewer), and bounding the lookups of a query of long runs of
# letters (a 20,000-letter token had 20,000 splits, each two long strings, gigabytes).
MAX_SPLIT = 30
_VIRAMA = 9  # the canonical combining class of the Indic viramas (्, ্, ...)


def has_joiner(word: str) -> bool:
    return not word.isascii() and _JOINER.search(word) is not None


def joined(word: str) -> str:
    """`word` without its joiners: র‍্যাব -> র্যাব, می‌خواهم -> میخواهم."""
    return _JOINER.sub("", word)


def splits(token: str) -> list[tuple[str, str]]:
    """The two words a token of the index (folded, no joiner) is where a joiner may have stood
    in it: میخواهم -> (می, خواهم), ...; র্যাব -> (র, ্যাব), (র্, যাব). None for a token of
    other scripts."""
    if token.isascii() or len(token) > MAX_SPLIT:
        return []
    found = []
    for at in range(1, len(token)):
        before, after = token[at - 1], token[at]
        if _ARABIC_LETTER.match(before) and _ARABIC_LETTER.match(after):
            if before not in _NOT_JOINING_NEXT and 2 <= at <= len(token) - 2:
                found.append((token[:at], token[at:]))
        elif _INDIC.match(before) and _INDIC.match(after) and _VIRAMA in (
                unicodedata.combining(before), unicodedata.combining(after)):
            found.append((token[:at], token[at:]))
    return found
