"""How tag and category names are told apart: `name_case` is the one rule, by which the
archive keeps one row per tag (tags.key, archive/ingest.py), the search's --tag and the web's
`_tag=` filter match, and the exports spell each tag once (archive/export/source.py)."""

from __future__ import annotations

import unicodedata

from archive.search.marks import strip as strip_marks

# Turkish and Azerbaijani dotless ı, whose capital is I (the dotted i's is İ): no locale-free
# case folding pairs them, so IŞIK could not find ışık nor ILIK ılık. Read as i, as the dot of
# İ is dropped: one letter in every case (archive/search/casefold.py looks up its spellings).
DOTLESS_I = "\u0131"
# Typed apostrophes: a keyboard gives ', a site's editor often ’ (or ‘, or ʼ in names).
APOSTROPHES = "'\u2018\u2019\u02bc"
ONE_APOSTROPHE = str.maketrans({mark: "'" for mark in APOSTROPHES[1:]})


def name_case(text: str) -> str:
    """How tags and categories are compared: case folded (STRASSE is Straße, Çay çay, İZMİR
    and izmir İzmir: the dot casefold leaves on İ's i goes; KAYGI kaygı: dotless ı, the Turkish
    lower case of I, is read as i), every apostrophe as ', accents kept, Hebrew and Arabic
    vowel marks not (ברכה is בְּרָכָה, as `tags:ברכה` finds both: people type these words
    without them, archive/search/marks.py).
    A tag is a label its author chose, and an accent can make it another word (pâte, pâté;
    año, ano), so CAFÉ is Café but not Cafe; `tags:cafe` in the query ignores accents."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    return strip_marks(folded.replace("i\u0307", "i").replace(DOTLESS_I, "i")
                       .translate(ONE_APOSTROPHE))


def unique_names(names: list[str]) -> list[str]:
    """A post's tags (or categories) stripped, each once by `name_case`, the first spelling
    kept: the archive holds one tag for "Yoga" and "yoga", and for "STRASSE" and "straße"."""
    seen: set[str] = set()
    result = []
    for name in names:
        name = name.strip()
        key = name_case(name)
        if name and key not in seen:
            seen.add(key)
            result.append(name)
    return result
