"""Hebrew and Arabic words written with vowel marks: their mark-free index, posts_unmarked.

Hebrew niqqud and cantillation (שָׁלוֹם) and Arabic harakat and shadda (يُساعِدُ) are combining
marks, which FTS5's unicode61 tokenizer read as separators, not as diacritics to remove:
`يُساعِدُ` was indexed as ي / ساع / د and `שָׁלוֹם` as ש / לו / ם, so `يساعد` and `שלום`, as
people type them, found nothing. Since v22 the tokenizer keeps the marks inside the token
(archive/search/tokens.py, for the scripts that write their vowels with them), which does not
help here: remove_diacritics removes the marks of Latin letters only, so `يُساعِدُ` is one word,
marks and all. And Python's sqlite3 cannot register a tokenizer.

So once an archive holds a post written with such marks, its posts holding Hebrew or Arabic
text are also indexed without the marks, in an FTS5 table of their own, posts_unmarked
(archive/schema.py), with the main index's columns, tokenizer and weights: the same MATCH
expression, column filters and all, runs on both. A field written with marks keeps its text
without them in the posts row's `unmarked_*` columns (NULL where it has none). All the Hebrew
and Arabic posts, not only the marked ones, are in that index, so such a word is ranked among
every post that may hold it by one index's statistics (bm25's idf and lengths are an index's
own: a word in most of the few marked posts would weigh nothing). An archive without marks
stores and indexes nothing more (archive/ingest.py puts the posts there with the first marks).

A query's marks are taken out before it runs (`strip`). One holding a Hebrew or Arabic letter,
in an archive with a post written with marks, reads posts_unmarked, and also posts_fts for the
other posts when it has other words (archive/search/unmarked.py); in an archive without marks,
posts_fts alone, as before. A hit's snippet from posts_unmarked gets its marks back
(`restore`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Nothing of the project is imported here: archive/schema.py's migration fills the columns
# with `unmarked`. archive/search/unmarked.py queries the index.

# The combining marks (Unicode category Mn) of the Hebrew and Arabic blocks: Hebrew points and
# cantillation, Arabic harakat, tanwin, shadda, sukun, superscript alef and Quranic annotation
# signs (tests/test_search_marks.py derives the list from unicodedata).
MARKS = ("\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670"
         "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0898-\u089f\u08ca-\u08e1"
         "\u08e3-\u08ff\ufb1e")
# The Arabic tatweel (kashida), which stretches a word to justify or decorate it (كـتـاب): a
# letter to the tokenizer, so كـتـاب was one word, not كتاب. Taken out with the marks, and a
# text holding one is "written with marks" as one with marks is.
TATWEEL = "\u0640"
_STRIPPED = MARKS + TATWEEL
_MARK = re.compile(f"[{_STRIPPED}]+")
_HIGHLIGHTS = re.compile("([\x02\x03])")  # archive.search's HIGHLIGHT_START and HIGHLIGHT_END
# The Hebrew and Arabic blocks (and their presentation forms): a post holding one of their
# characters is indexed in posts_unmarked, and only a query holding one reads it.
_SCRIPT_CHARACTERS = ("\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\u0870-\u08ff\ufb1d-\ufdff"
                      "\ufe70-\ufefc")
SCRIPT = re.compile(f"[{_SCRIPT_CHARACTERS}]")
# The same tests in SQL, for the posts archived before the index existed (schema.py).
SCRIPT_GLOB = f"*[{_SCRIPT_CHARACTERS}]*"
MARKS_GLOB = f"*[{_STRIPPED}]*"
TATWEEL_GLOB = f"*{TATWEEL}*"


def strip(text: str) -> str:
    """`text` without Hebrew and Arabic vowel marks (nor tatweel)."""
    return text if text.isascii() else _MARK.sub("", text)


def has_script(texts: Iterable[str | None]) -> bool:
    """Whether one of `texts` holds Hebrew or Arabic text."""
    return any(text and not text.isascii() and SCRIPT.search(text) for text in texts)


def unmarked(text: str | None) -> str | None:
    """`text` without its Hebrew and Arabic vowel marks (and tatweel); None when it has
    none."""
    if not text or text.isascii() or not _MARK.search(text):
        return None
    return _MARK.sub("", text)


def restore(snippet: str, written: str, ellipsis: str = "…") -> str:
    """`snippet`, made by FTS5 from `written` without its marks (with highlight characters and
    ellipses of its own), with the marks put back: its text as `written` has it, a word's marks
    inside its highlight. The snippet as it is when its text is not found in `written`."""
    bare = _MARK.sub("", written)
    # where[i]: the index in `written` of bare[i] (the length of `written` past the end)
    where = [found.start() for found in re.finditer(f"[^{_STRIPPED}]", written)] + [len(written)]
    pieces = _HIGHLIGHTS.split(snippet)
    text = "".join(piece for piece in pieces if not _HIGHLIGHTS.fullmatch(piece))
    # FTS5 puts an ellipsis before and after the window when the text goes on; the window
    # itself is the text's, verbatim.
    for head, tail in ((0, 0), (len(ellipsis), 0), (0, len(ellipsis)),
                       (len(ellipsis), len(ellipsis))):
        if text[:head] != ellipsis[:head] or (tail and not text.endswith(ellipsis)):
            continue
        core = text[head:len(text) - tail]
        at = bare.find(core) if core else -1
        if at >= 0:
            break
    else:
        return snippet
    end_of_core = len(text) - tail

    def as_written(start: int, end: int) -> str:
        inner_start, inner_end = max(start, head), min(end, end_of_core)
        if inner_end <= inner_start:
            return text[start:end]
        return (text[start:inner_start]
                + written[where[at + inner_start - head]:where[at + inner_end - head]]
                + text[inner_end:end])

    out, position = [], 0
    for piece in pieces:
        if _HIGHLIGHTS.fullmatch(piece):
            out.append(piece)
        else:
            out.append(as_written(position, position + len(piece)))
            position += len(piece)
    return "".join(out)
