"""A post's language on the pages: the `lang` and `dir` its text gets (the article page and
each search hit alike), and the language code the search form's Language field needs."""

from __future__ import annotations

from markupsafe import Markup

from archive.search.languages import language_code as language_code
from archive.search.languages import looks_like_code as looks_like_code

# Languages written right to left (ISO 639 codes; iw, ji: Hebrew's and Yiddish's old codes),
# and the scripts of a tag like pa-Arab.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ps", "sd",
                           "syr", "ug", "ur", "yi"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})


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
