"""ISO dates from the dates Wix prints in a post header ("Jun 6, 2019", "6 mei 2021", "17 de dez.
de 2018", "2. Okt. 2022", "٦ مايو ٢٠٢١", "3 בינו׳ 2024", "2024年1月3日"), and the one rule for the
order of a date written in numbers, which crawler.extract.dates reads by too.

A text dump carries no language, and crawler.extract.dates.parse_display_date (dateparser) without
one costs seconds on some inputs (1.6 s for "6 mei 2021" cold, 6 s for "Feb 30, 2020"); the month
names of the locales Wix ships settle a header date in microseconds. Only a full date (day, month
and year) gives an ISO date: Wix leaves the year out in the current year, and a guessed year would
be wrong.
"""

from __future__ import annotations

import datetime as dt
import re

from crawler.clean.vocabulary import LETTER, D, to_int

# Month number -> the names and abbreviations Wix prints for it (en fr de es pt nl cs it pl ar ru
# he tr hi mr ne bn). Russian in the genitive ("3 янв. 2024 г."), Hebrew with and without the
# "in" prefix Wix writes before it ("3 בינו׳ 2024", "6 במאי 2021"); Turkish also as casefold
# reads its capitals (ARALIK -> aralik); Hindi abbreviated with or without its abbreviation
# sign ("6 जन॰ 2024").
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("jan", "january", "janv", "janvier", "januar", "jänner", "ene", "enero", "janeiro",
        "januari", "led", "ledna", "leden", "gen", "gennaio", "sty", "stycznia", "يناير",
        "янв", "января", "ינו", "ינואר", "בינו", "בינואר",
        "oca", "ocak",
        "जनवरी", "जन", "जानेवारी", "জানুয়ারী", "জানুয়ারি", "জানু"),
    2: ("feb", "february", "févr", "fevr", "février", "februar", "febrero", "fev", "fevereiro",
        "februari", "úno", "února", "únor", "febbraio", "lut", "lutego", "فبراير",
        "февр", "февраля", "פבר", "פברואר", "בפבר", "בפברואר",
        "şub", "şubat",
        "फ़रवरी", "फरवरी", "फ़र", "फर", "फेब्रुवारी", "फेब्रुअरी", "ফেব্রুয়ারী", "ফেব্রুয়ারি", "ফেব্রু"),
    3: ("mar", "march", "mars", "märz", "mär", "marzo", "março", "mrt", "maart", "bře",
        "března", "březen", "marca", "مارس", "мар", "марта", "מרץ", "במרץ",
        "mart",
        "मार्च", "মার্চ"),
    4: ("apr", "april", "avr", "avril", "abr", "abril", "dub", "dubna", "duben", "aprile",
        "kwi", "kwietnia", "أبريل", "إبريل", "апр", "апреля", "אפר", "אפריל", "באפר", "באפריל",
        "nis", "nisan",
        "अप्रैल", "एप्रिल", "अप्रिल", "এপ্রিল"),
    5: ("may", "mai", "mayo", "maio", "mei", "kvě", "května", "květen", "mag", "maggio", "maja",
        "مايو", "мая", "מאי", "במאי",
        "mayıs", "mayis",
        "मई", "मे", "মে"),
    6: ("jun", "june", "juin", "juni", "junio", "junho", "čvn", "června", "červen", "giu",
        "giugno", "cze", "czerwca", "يونيو", "июн", "июня", "יוני", "ביוני",
        "haz", "haziran",
        "जून", "जुन", "জুন"),
    7: ("jul", "july", "juil", "juillet", "juli", "julio", "julho", "čvc", "července",
        "červenec", "lug", "luglio", "lip", "lipca", "يوليو", "июл", "июля", "יולי", "ביולי",
        "tem", "temmuz",
        "जुलाई", "जुल", "जुलै", "জুলাই"),
    8: ("aug", "august", "août", "aout", "ago", "agosto", "augustus", "srp", "srpna", "srpen",
        "sie", "sierpnia", "أغسطس", "авг", "августа", "אוג", "אוגוסט", "באוג", "באוגוסט",
        "ağu", "ağustos",
        "अगस्त", "अग", "ऑगस्ट", "अगस्ट", "আগস্ট", "অগাস্ট"),
    9: ("sep", "sept", "september", "septembre", "septiembre", "set", "setembro", "zář", "září",
        "settembre", "wrz", "września", "سبتمبر", "сент", "сентября", "ספט", "ספטמבר", "בספט",
        "בספטמבר",
        "eyl", "eylül",
        "सितंबर", "सितम्बर", "सित", "सप्टेंबर", "सेप्टेम्बर", "সেপ্টেম্বর"),
    10: ("oct", "october", "octobre", "okt", "oktober", "octubre", "out", "outubro", "říj",
         "října", "říjen", "ott", "ottobre", "paź", "października", "أكتوبر", "окт", "октября",
         "אוק", "אוקטובר", "באוק", "באוקטובר",
         "eki", "ekim",
         "अक्टूबर", "अक्तूबर", "अक्तू", "ऑक्टोबर", "अक्टोबर", "অক্টোবর"),
    11: ("nov", "november", "novembre", "noviembre", "novembro", "lis", "listopadu",
         "listopad", "listopada", "نوفمبر", "нояб", "ноября", "נוב", "נובמבר", "בנוב",
         "בנובמבר",
         "kas", "kasım", "kasim",
         "नवंबर", "नवम्बर", "नव", "नोव्हेंबर", "नोभेम्बर", "নভেম্বর"),
    12: ("dec", "december", "déc", "decembre", "décembre", "dez", "dezember", "dic",
         "diciembre", "dezembro", "pro", "prosince", "prosinec", "dicembre", "gru", "grudnia",
         "ديسمبر", "дек", "декабря", "דצמ", "דצמבר", "בדצמ", "בדצמבר",
         "ara", "aralık", "aralik",
         "दिसंबर", "दिसम्बर", "दिस", "डिसेंबर", "डिसेम्बर", "ডিসেম্বর"),
}
MONTH_NUMBER = {name: number for number, names in _MONTH_NAMES.items() for name in names}


def month_number(name: str) -> int | None:
    """The month a name or abbreviation stands for, whatever its case: casefold turns Turkish's
    dotted capital İ into "i" and a combining dot above ("EKİM" -> "eki̇m"), which is dropped
    ("ekim")."""
    return MONTH_NUMBER.get(name.casefold().replace("\u0307", ""))

_WORD = rf"(?:{LETTER})+"  # a word, the marks on its letters too ("मार्च")
# After a month's abbreviation: a dot, Hebrew's geresh (or the apostrophe typed for it), or
# Devanagari's abbreviation sign ("जन॰").
_ABBREVIATED = r"[.\u05f3'\u0970]?"
_DAY_MONTH_YEAR = re.compile(
    rf"^(?P<d>{D}{{1,2}})\.?\s+(?:de\s+)?(?P<m>{_WORD}){_ABBREVIATED},?\s+(?:de\s+)?"
    rf"(?P<y>{D}{{4}})(?:\s*г\.?)?$",  # Russian writes "г." (year) after it
    re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(
    rf"^(?P<m>{_WORD}){_ABBREVIATED}\s+(?P<d>{D}{{1,2}}),?\s+(?P<y>{D}{{4}})$")
# "2024年1月3日" (ja, zh), "2024년 1월 3일" (ko).
_CJK = re.compile(
    rf"^(?P<y>{D}{{4}})\s*[年년]\s*(?P<m>{D}{{1,2}})\s*[月월]\s*(?P<d>{D}{{1,2}})\s*[日일]$")

# A date written in numbers. With the year first ("2024-01-03", "2024/1/3", Korean "2024. 1.
# 3.") the month follows in every locale; dotted with the year last ("6. 5. 2021", "03.01.2024",
# "6.5.2021") the day comes first in every locale that writes it so. Slashes or dashes with the
# year last follow the page's locale: month first only where _MONTH_FIRST says so.
_YEAR_FIRST = re.compile(
    rf"^(?P<y>{D}{{4}})(?P<s>[-./])\s?(?P<m>{D}{{1,2}})(?P=s)\s?(?P<d>{D}{{1,2}})\.?$")
_DOTTED = re.compile(rf"^(?P<d>{D}{{1,2}})\.\s?(?P<m>{D}{{1,2}})\.\s?(?P<y>{D}{{4}})$")
_YEAR_LAST = re.compile(rf"^(?P<a>{D}{{1,2}})(?P<s>[-/])(?P<b>{D}{{1,2}})(?P=s)(?P<y>{D}{{4}})$")

# Locales that write a numeric date month first ("1/3/2024" is January 3rd): US English (the
# "en" Wix declares for English) and the Philippines', lower case as _locale gives them; and
# languages that do in every region: Filipino and Tagalog ("fil-PH" too).
_MONTH_FIRST = frozenset({"en", "en-us", "en-ph"})
_MONTH_FIRST_LANGUAGES = frozenset({"fil", "tl"})


def is_numeric_date(text: str) -> bool:
    """Whether `text` is a date written in numbers only, which only iso_date should read:
    dateutil reads every such date month first."""
    return any(p.match(text) for p in (_YEAR_FIRST, _DOTTED, _YEAR_LAST))


def iso_date(shown: str | None, language: str | None = None) -> str | None:
    """"Jun 6, 2019" -> "2019-06-06"; None when the text is not a full date (no year).

    `language` (the page's, "en-GB") orders a date written with slashes or dashes and the year
    last; without it ("wixarchive clean" reads a dump, which declares none) such a date is read
    only when its order shows (one of the numbers is above 12).
    """
    if not shown:
        return None
    text = shown.strip()
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _CJK, _YEAR_FIRST, _DOTTED):
        if m := pattern.match(text):
            month = m.group("m")
            number = to_int(month) if month.isdigit() else month_number(month)
            return _day(m.group("y"), number, m.group("d"))
    if m := _YEAR_LAST.match(text):
        first, second = to_int(m.group("a")), to_int(m.group("b"))
        locale = _locale(language)
        if locale is None:
            if first <= 12 and second <= 12 and first != second:
                return None  # "03/01/2024": the 3rd of January or March 1st
            month_first = second > 12
        else:
            month_first = (locale in _MONTH_FIRST
                           or locale.partition("-")[0] in _MONTH_FIRST_LANGUAGES)
        month, day = (first, second) if month_first else (second, first)
        return _day(m.group("y"), month, str(day))
    return None


def _locale(language: str | None) -> str | None:
    """"en_US", "en-US" -> "en-us"; None when no language is declared."""
    if not language or not language.strip():
        return None
    return language.strip().replace("_", "-").lower()


def _day(year: str, month: int | None, day: str) -> str | None:
    if month is None:
        return None
    try:
        return dt.date(to_int(year), month, to_int(day)).isoformat()
    except ValueError:
        return None
