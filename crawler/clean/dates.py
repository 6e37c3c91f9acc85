"""ISO dates from the dates Wix prints in a post header ("Jun 6, 2019", "6 mei 2021", "17 de dez.
de 2018", "2. Okt. 2022", "٦ مايو ٢٠٢١").

A text dump carries no language, and crawler.extract.dates.parse_display_date (dateparser) without
one costs seconds on some inputs (1.6 s for "6 mei 2021" cold, 6 s for "Feb 30, 2020") and reads
Wix's Czech "6. 5. 2021" month first; the month names of the locales Wix ships, which
crawler.clean.vocabulary already lists for matching, settle a header date in microseconds. Only a
full date (day, month and year) gives an ISO date: Wix leaves the year out in the current year,
and a guessed year would be wrong.
"""

from __future__ import annotations

import datetime as dt
import re

from crawler.clean.vocabulary import D, to_int

# Month number -> the names and abbreviations Wix prints for it (en fr de es pt nl cs it pl ar).
_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("jan", "january", "janv", "janvier", "januar", "jänner", "ene", "enero", "janeiro",
        "januari", "led", "ledna", "leden", "gen", "gennaio", "sty", "stycznia", "يناير"),
    2: ("feb", "february", "févr", "fevr", "février", "februar", "febrero", "fev", "fevereiro",
        "februari", "úno", "února", "únor", "febbraio", "lut", "lutego", "فبراير"),
    3: ("mar", "march", "mars", "märz", "mär", "marzo", "março", "mrt", "maart", "bře",
        "března", "březen", "marca", "مارس"),
    4: ("apr", "april", "avr", "avril", "abr", "abril", "dub", "dubna", "duben", "aprile",
        "kwi", "kwietnia", "أبريل", "إبريل"),
    5: ("may", "mai", "mayo", "maio", "mei", "kvě", "května", "květen", "mag", "maggio", "maja",
        "مايو"),
    6: ("jun", "june", "juin", "juni", "junio", "junho", "čvn", "června", "červen", "giu",
        "giugno", "cze", "czerwca", "يونيو"),
    7: ("jul", "july", "juil", "juillet", "juli", "julio", "julho", "čvc", "července",
        "červenec", "lug", "luglio", "lip", "lipca", "يوليو"),
    8: ("aug", "august", "août", "aout", "ago", "agosto", "augustus", "srp", "srpna", "srpen",
        "sie", "sierpnia", "أغسطس"),
    9: ("sep", "sept", "september", "septembre", "septiembre", "set", "setembro", "zář", "září",
        "settembre", "wrz", "września", "سبتمبر"),
    10: ("oct", "october", "octobre", "okt", "oktober", "octubre", "out", "outubro", "říj",
         "října", "říjen", "ott", "ottobre", "paź", "października", "أكتوبر"),
    11: ("nov", "november", "novembre", "noviembre", "novembro", "lis", "listopadu",
         "listopad", "listopada", "نوفمبر"),
    12: ("dec", "december", "déc", "decembre", "décembre", "dez", "dezember", "dic",
         "diciembre", "dezembro", "pro", "prosince", "prosinec", "dicembre", "gru", "grudnia",
         "ديسمبر"),
}
MONTH_NUMBER = {name: number for number, names in _MONTH_NAMES.items() for name in names}
_WORD = r"[^\W\d_]+"
_DAY_MONTH_YEAR = re.compile(
    rf"^(?P<d>{D}{{1,2}})\.?\s+(?:de\s+)?(?P<m>{_WORD})\.?,?\s+(?:de\s+)?(?P<y>{D}{{4}})$",
    re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"^(?P<m>{_WORD})\.?\s+(?P<d>{D}{{1,2}}),?\s+(?P<y>{D}{{4}})$")
_NUMERIC = re.compile(rf"^(?P<d>{D}{{1,2}})\.\s?(?P<m>{D}{{1,2}})\.\s?(?P<y>{D}{{4}})$")
_ISO = re.compile(rf"^(?P<y>{D}{{4}})-(?P<m>{D}{{2}})-(?P<d>{D}{{2}})$")


def iso_date(shown: str | None) -> str | None:
    """"Jun 6, 2019" -> "2019-06-06"; None when the text is not a full date (no year)."""
    if not shown:
        return None
    text = shown.strip()
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC, _ISO):
        if m := pattern.match(text):
            month = m.group("m")
            number = to_int(month) if month.isdigit() else MONTH_NUMBER.get(month.casefold())
            if number is None:
                return None
            try:
                return dt.date(to_int(m.group("y")), number, to_int(m.group("d"))).isoformat()
            except ValueError:
                return None
    return None
