"""Common languages' English names as the --lang filter reads them: a post's language is a code
(`tr`, `pt-BR`), and someone who asks for "Turkish" means `tr`."""

from __future__ import annotations

# Common languages' English names -> their ISO 639-1 code: someone who types "Spanish" in the
# web form's Language field, --lang or lang= (which match the posts' codes) gets what they
# meant. A short, fixed list, not a registry: the web form hints at the code for any other name.
LANGUAGE_CODES = {
    "arabic": "ar", "bengali": "bn", "bulgarian": "bg", "catalan": "ca", "chinese": "zh",
    "croatian": "hr", "czech": "cs", "danish": "da", "dutch": "nl", "english": "en",
    "estonian": "et", "finnish": "fi", "french": "fr", "german": "de", "greek": "el",
    "hebrew": "he", "hindi": "hi", "hungarian": "hu", "indonesian": "id", "italian": "it",
    "japanese": "ja", "korean": "ko", "latvian": "lv", "lithuanian": "lt", "malay": "ms",
    "norwegian": "no", "persian": "fa", "polish": "pl", "portuguese": "pt", "romanian": "ro",
    "russian": "ru", "serbian": "sr", "slovak": "sk", "slovenian": "sl", "spanish": "es",
    "swahili": "sw", "swedish": "sv", "tagalog": "tl", "thai": "th", "turkish": "tr",
    "ukrainian": "uk", "urdu": "ur", "vietnamese": "vi",
}


def language_code(value: str) -> str | None:
    """The code for a language's name ("Spanish" -> "es"); None for anything else (a code, or
    a name not in LANGUAGE_CODES)."""
    return LANGUAGE_CODES.get(" ".join(value.split()).casefold())


def looks_like_code(value: str) -> bool:
    """Whether `value` reads as a language tag (es, pt-BR, zh_Hant): letters of a primary
    subtag of two or three, then subtags, each of 1-8 letters or digits."""
    primary, *subtags = value.strip().replace("_", "-").split("-")
    return (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3
            and all(tag.isascii() and tag.isalnum() and 1 <= len(tag) <= 8 for tag in subtags))


def language_problem(value: str) -> str | None:
    """What is wrong with `value` as a language filter, None when it is fine: bytes that are
    not UTF-8 (lone surrogates, which SQLite refuses), or a name that is neither a code nor one
    LANGUAGE_CODES knows ("Klingon", a typo: "Portugese"), which would match no post, silently.
    A code no post has is fine: it matches none, as any filter may."""
    if any("\ud800" <= char <= "\udfff" for char in value):
        return f"{value!r} is not text: it holds bytes that are not UTF-8"
    if not value.strip() or language_code(value) is not None or looks_like_code(value):
        return None
    return (f"unknown language {value.strip()!r}: give its code (es, pt-BR) or a common "
            "language's English name (Spanish)")
