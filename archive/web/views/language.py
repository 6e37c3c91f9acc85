"""A post's language on the pages: the `lang` and `dir` its text gets (the article page and
each search hit alike), and the language code the search form's Language field needs."""

from __future__ import annotations

from markupsafe import Markup

# Languages written right to left (ISO 639 codes; iw, ji: Hebrew's and Yiddish's old codes),
# and the scripts of a tag like pa-Arab.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ps", "sd",
                           "syr", "ug", "ur", "yi"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})

# Common languages' English names -> their ISO 639-1 code: someone who types "Spanish" in the
# Language field (which matches the posts' codes) gets what they meant. A short, fixed list,
# not a registry: any other name gets a hint to give the code.
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


def text_direction(language: str | None) -> str:
    """The `dir` for a post in `language`: rtl for a right-to-left language, else auto (the
    browser reads the text's first letters): a Wix page's language is often the site's, so
    `en` on a post written in Arabic is common, and ltr would turn that post's text around."""
    primary, *subtags = (language or "").strip().lower().replace("_", "-").split("-")
    rtl = primary in RTL_LANGUAGES or any(tag in RTL_SCRIPTS for tag in subtags)
    return "rtl" if rtl else "auto"


def text_attributes(language: str | None) -> Markup:
    """` lang="…" dir="…"` for an element holding a post's own text (title, snippet, body):
    a screen reader then reads it in the post's language, not the page's English. No `lang`
    when the post's language is unknown (the page's then applies)."""
    lang = Markup(' lang="{}"').format(language) if language else Markup("")
    return lang + Markup(' dir="{}"').format(text_direction(language))


def language_code(value: str) -> str | None:
    """The code for a language name the Language field was given ("Spanish" -> "es"); None
    for anything else (a code, or a name not in LANGUAGE_CODES)."""
    return LANGUAGE_CODES.get(" ".join(value.split()).casefold())


def looks_like_code(value: str) -> bool:
    """Whether `value` reads as a language tag (es, pt-BR, zh_Hant): letters of a primary
    subtag of two or three, then subtags, each of 1-8 letters or digits."""
    primary, *subtags = value.strip().replace("_", "-").split("-")
    return (primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3
            and all(tag.isascii() and tag.isalnum() and 1 <= len(tag) <= 8 for tag in subtags))
