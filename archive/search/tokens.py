"""The words of the search indexes as Python reads them: runs of letters, digits and combining
marks, which is what FTS5's unicode61 tokenizer makes of text (schema.FTS_TOKENIZE).

The indexes keep a word's combining marks (Unicode categories Mn and Mc) inside it since v22:
the vowel signs, viramas and nuktas of Devanagari and Bengali (किताब, কিতাব), at which
unicode61 had cut a word into its consonants (क, त, ब), so that a word matched as the phrase
of its pieces, and कातिब, another word on the same consonants, with it. The marks of Latin
letters are still taken off (remove_diacritics: a decomposed café is `cafe`), and since v24
one of those standing alone (after a space) is no word, where it was an empty one. The marks of
the scripts written without spaces between words (Thai, Lao, Khmer, Myanmar) stay separators
(archive/tokenizer_marks.py's UNSPACED_MARKS): a run of their text is a phrase, not a word,
and a word inside it is found when it starts at a mark (สวัสดี in สวัสดีครับ), as before;
words need a segmenter.

The Python code that splits text as the index does (the fast path's statistics units and
lookups, the spellings archive/search/casefold.py looks up, the words written against CJK text)
uses TOKEN, and folds text with as_indexed (query.fold) as the tokenizer folds it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Nothing of the project is imported here: archive/search/bigrams.py, which the schema's
# migrations import, reads TOKEN.

# Every combining mark (categories Mn and Mc) but tokenizer_marks.UNSPACED_MARKS, as ranges
# that also take in the letters, digits and unassigned code points between them: a short class that
# changes nothing beside [^\W_] (tests/test_search_indic.py derives it from unicodedata and
# checks it against the tokenizer).
COMBINING = (
    "\u0300-\u036f\u0483-\u0487\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0711-\u07f3"
    "\u07fd\u0816-\u082d\u0859-\u085b\u0898-\u08e1\u08e3-\u0963\u0981-\u09e3\u09fe-\u0a75"
    "\u0a81-\u0ae3\u0afa-\u0b63\u0b82-\u0bd7\u0c00-\u0c63\u0c81-\u0c83\u0cbc-\u0d4d"
    "\u0d57-\u0d63\u0d81-\u0df3\u0f18\u0f19\u0f35\u0f37\u0f39\u0f3e-\u0f84\u0f86-\u0fbc"
    "\u0fc6\u135d-\u135f\u1712-\u1734\u1752-\u1773\u180b-\u180d\u180f-\u193b\u1a17-\u1a1b"
    "\u1a55-\u1a7f\u1ab0-\u1abd\u1abf-\u1b44\u1b6b-\u1b73\u1b80-\u1bf3\u1c24-\u1c37"
    "\u1cd0-\u1cd2\u1cd4-\u1dff\u20d0-\u20dc\u20e1\u20e5-\u20f0\u2cef-\u2cf1\u2d7f-\u2dff"
    "\u302a-\u302f\u3099\u309a\ua66f\ua674-\ua67d\ua69e-\ua6f1\ua802-\ua827\ua82c"
    "\ua880-\ua8c5\ua8e0-\ua8f1\ua8ff-\ua92d\ua947-\ua953\ua980-\ua9c0\ua9e5-\uaa4d"
    "\uaa7b-\uaac1\uaaeb-\uaaef\uaaf5\uaaf6\uabe3-\uabea\uabec\uabed\ufb1e\ufe00-\ufe0f"
    "\ufe20-\ufe2f\U000101fd-\U0001037a\U00010a01-\U00010a3f\U00010ae5\U00010ae6"
    "\U00010d24-\U00010eac\U00010f46-\U00010f50\U00010f82-\U00010f85\U00011000-\U00011046"
    "\U00011070-\U000110ba\U000110c2\U00011100-\U00011134\U00011145-\U00011173"
    "\U00011180-\U000111c0\U000111c9-\U000111cc\U000111ce\U000111cf\U0001122c-\U00011237"
    "\U0001123e\U000112df-\U00011446\U0001145e-\U000114c3\U000115af-\U000115c0"
    "\U000115dc-\U00011640\U000116ab-\U000116b7\U0001171d-\U0001172b\U0001182c-\U0001183a"
    "\U00011930-\U00011943\U000119d1-\U000119e0\U000119e4-\U00011a3e\U00011a47-\U00011a99"
    "\U00011c2f-\U00011c3f\U00011c92-\U00011ef6\U00016af0-\U00016af4\U00016b30-\U00016b36"
    "\U00016f4f-\U00016f92\U00016fe4-\U00016ff1\U0001bc9d\U0001bc9e\U0001cf00-\U0001cf46"
    "\U0001d165-\U0001d169\U0001d16d-\U0001d172\U0001d17b-\U0001d182\U0001d185-\U0001d18b"
    "\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244\U0001da00-\U0001da36\U0001da3b-\U0001da6c"
    "\U0001da75\U0001da84\U0001da9b-\U0001e136\U0001e2ae-\U0001e2ef\U0001e8d0-\U0001e94a"
    "\U000e0100-\U000e01ef")
MARK = f"[{COMBINING}]"
# The marks remove_diacritics takes off wherever they are (those of Latin letters' decompositions):
# a decomposed café is `cafe`. Since v24 such a mark starts no word (schema.FTS_TOKENIZE), so one
# standing alone is a space, not an empty word.
REMOVED_MARKS = frozenset("\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u0309\u030a\u030b"
                          "\u030c\u030f\u0311\u031b\u0323\u0324\u0325\u0326\u0327\u0328"
                          "\u032d\u032e\u0330\u0331")
# A letter, digit or mark (but a removed one), then letters and digits with runs of marks among
# them: ~1.7x the time of a plain [^\W_]+ on English text, where an alternation of the two
# classes a character took ~4x (the search statistics tokenize a sample of the posts, megabytes
# of text).
_STARTING_MARK = f"(?![{''.join(sorted(REMOVED_MARKS))}]){MARK}"
TOKEN = re.compile(rf"(?:[^\W_]|{_STARTING_MARK})[^\W_]*(?:{MARK}+[^\W_]*)*")
# The marks query.fold_case takes off a letter, as queries ignore accents (those of the Combining
# Diacritical Marks blocks, which the decomposition of é, ü, ά or й holds); a script's own marks
# (Devanagari's virama, the kana's voicing marks) are part of its words, and Thai's where TOKEN
# cuts them.
DIACRITICS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# A Latin letter whose marks unicode61 keeps, unlike the rest (tests/test_search_casefold.py).
_MARKS_KEPT = "ǡ"


def as_indexed(text: str) -> str:
    """`text` as unicode61 folds it: each character case folded to one (ς -> σ; ß, ĳ, ǆ kept)
    and the marks of Latin letters removed (é -> e, and a decomposed é's mark), other marks and
    letters kept (θάλασσα, किताब, ødegård, ѐ, ª). tests/test_search_casefold.py and
    tests/test_search_indic.py check this against the tokenizer."""
    return text.lower() if text.isascii() else "".join(map(_char_as_indexed, text))


@lru_cache(maxsize=4096)
def _char_as_indexed(char: str) -> str:
    if char in REMOVED_MARKS:
        return ""
    folded = next((case for case in (char.casefold(), char.lower()) if len(case) == 1), char)
    base, *marks = unicodedata.normalize("NFD", folded)
    if base.isascii() and all(map(unicodedata.combining, marks)) and folded not in _MARKS_KEPT:
        return base.lower()  # İ, whose one-character case is itself, gives I
    return folded
