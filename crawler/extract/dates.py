"""Dates in every form Wix pages carry, as ISO 8601 strings.

Wix writes ISO timestamps (`2024-07-24T15:39:55.123Z`, with or without milliseconds or an
offset, sometimes a bare day), but element-built post pages and CMS item pages print the
JavaScript `Date.toString()` form in their meta and JSON-LD:
`Wed Jul 24 2024 15:39:55 GMT+0000 (Coordinated Universal Time)`. Visible dates are localised
("17 de dez. de 2018", "24 juil. 2024") and only ever a fallback.

Parsing is left to python-dateutil (machine forms) and dateparser (localised display dates,
~200 languages), both already installed with trafilatura's htmldate; no hand-written month
tables here. Dates in numbers, and the month names Wix prints where dateparser lacks them or the
page names no language it knows, are read by crawler.clean.dates, as `wixarchive clean` reads
them.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache

# ISO 8601 as Wix writes it: kept verbatim when valid (the archive stores what the page says).
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
# A month or a year alone ("2024-06", "2024"): ISO 8601's reduced precision, kept as given;
# dateutil would fill the missing day (and month) from today's date.
_ISO_REDUCED = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2]))?$")
# "(Coordinated Universal Time)", "(Mitteleuropäische Sommerzeit)": the zone's display name.
_JS_ZONE_NAME = re.compile(r"\s*\([^)]*\)\s*$")
# dateutil reads "GMT+0200" the POSIX way (two hours *west*); JavaScript means east.
_JS_GMT = re.compile(r"\bGMT(?=[+-]\d{4}\b)")
# A display date needs a year to name a day ("Jun 4" on a post of this year is not a date).
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))
_YEAR = re.compile(r"(?<!\d)(?:1[89]|2[01])\d{2}(?!\d)")
# Fast paths for the shapes nearly every page uses, read without a parser (dateutil takes
# 50-70 µs a call, strptime ~20): what they cannot build (a day out of range, say) goes on to
# the parsers, so they only ever return what the parsers would. Matched whole (`match` and
# \Z) and in ASCII digits only.
# Wix's own ISO form, "2024-07-24T15:39:55.123Z": valid when datetime accepts its fields.
_ISO_WIX = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.\d{3}Z\Z", re.A)
_MONTHS = {name: number for number, names in enumerate((
    ("Jan", "January"), ("Feb", "February"), ("Mar", "March"), ("Apr", "April"), ("May",),
    ("Jun", "June"), ("Jul", "July"), ("Aug", "August"), ("Sep", "September"),
    ("Oct", "October"), ("Nov", "November"), ("Dec", "December")), 1) for name in names}
# Date.toString() as Wix prints it, once the zone name is cut and "GMT" dropped.
_JS_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d\d) (\d{4}) "
                      r"(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\Z", re.A)
# English display dates: "Jun 3", "Jun 3, 2024", "June 3, 2024".
_ENGLISH_DAY = re.compile(r"([A-Z][a-z]{2,8}) (\d{1,2})(?:, (\d{4}))?\Z", re.A)


def _dateutil():  # -> dateutil.parser
    """dateutil's parser, imported on first use: the fast paths below read nearly every page,
    and the import is ~a quarter of the extractor's (every process that extracts pays it)."""
    from dateutil import parser

    return parser


def iso_timestamp(moment: datetime) -> str:
    """`2024-07-24T15:39:55.000Z`: UTC with milliseconds, the form Wix's own ISO dates take."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_machine_date(value: str | None) -> str | None:
    """A meta/JSON-LD date as ISO 8601, or None when it is not a date at all.

    Valid ISO input is returned as given, a month or a year alone too ("2024-06": no day is
    made up); JavaScript `Date.toString()`, RFC 2822 and similar
    machine forms become a UTC timestamp with milliseconds. A form without a time zone is
    taken as UTC, as Wix's servers write it.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text:
        return None
    if (wix := _ISO_WIX.match(text)) and _valid_moment(*map(int, wix.groups())):
        return text
    if _ISO_REDUCED.match(text):
        return text
    if _ISO.match(text):
        try:
            _dateutil().isoparse(text)
        except (ValueError, OverflowError):
            return None
        return text
    text = _JS_GMT.sub("", _JS_ZONE_NAME.sub("", text))
    if (js := _JS_DATE.match(text)) and (moment := _js_moment(js)) is not None:
        return iso_timestamp(moment)
    try:  # Date.toString()'s exact shape first: strptime is ~20x quicker than dateutil
        moment = datetime.strptime(text, "%a %b %d %Y %H:%M:%S %z")
    except ValueError:
        try:
            moment = _dateutil().parse(text)
        except (ValueError, OverflowError):
            return None
    return iso_timestamp(moment)


def _valid_moment(*fields: int) -> bool:
    try:
        datetime(*fields)
    except ValueError:
        return False
    return True


def _js_moment(match: re.Match[str]) -> datetime | None:
    """The moment a _JS_DATE match names (as strptime's "%a %b %d %Y %H:%M:%S %z" reads it;
    the weekday is not checked, as strptime does not), or None for the parsers to judge."""
    month_name, day, year, hour, minute, second, sign, zone_hours, zone_minutes = \
        match.groups()
    month = _MONTHS.get(month_name)
    if month is None or month_name != _MONTH_ABBREVIATIONS[month - 1]:
        return None
    offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
    try:
        return datetime(int(year), month, int(day), int(hour), int(minute), int(second),
                        tzinfo=timezone(-offset if sign == "-" else offset))
    except ValueError:
        return None


_MONTH_ABBREVIATIONS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                        "Nov", "Dec")


def parse_display_date(value: str | None, language: str | None = None) -> str | None:
    """A visible, localised date ("24 de julio de 2024", "Jul 24, 2024") as an ISO day.

    Only dates that name their year are read; None otherwise. A language code no parser knows
    ("xx") never fails the page: the date is read as if none were declared.
    """
    if not isinstance(value, str) or len(value) > 60:
        return None
    # Bengali, Arabic-Indic… digits as ASCII, so the year test and the parser see them.
    value = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in value)
    if not _YEAR.search(value):
        return None
    # Fast path: English display dates ("Jul 24, 2024"). Never a date in numbers only, which
    # dateutil reads month first whatever the locale.
    if any(c.isalpha() for c in value) and (english := _dateutil_day(value)) is not None:
        return english.isoformat()
    # Imported here, as in looks_like_date: the rules the dump cleaner reads dates by, the
    # order of a date in numbers in each locale ("03.01.2024", "3/1/2024") and Wix's month names.
    from crawler.clean.dates import is_numeric_date, iso_date

    if is_numeric_date(value.strip()):
        return iso_date(value, language)
    hint = _dateparser_language(language)
    if hint is None and (day := iso_date(value)):
        return day  # no language to go by: Wix's own forms before trying every locale
    # Imported here: dateparser loads its language data on first use, which only pages with
    # no machine-readable date pay for.
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DATES_FROM": "past"}
    # The page's language only: trying every locale costs ~60 ms a call.
    found = dateparser.parse(value, languages=[hint] if hint else None, settings=settings)
    if found:
        return date(found.year, found.month, found.day).isoformat()
    # Abbreviations dateparser lacks ("3 בינו׳ 2024", as Wix writes Hebrew).
    return iso_date(value) if hint else None


# ISO 639 codes that were renamed, which pages still declare ("no" being Norwegian Bokmål in
# practice): dateparser knows only the current ones.
_LEGACY_LANGUAGES = {"no": "nb", "iw": "he", "in": "id", "ji": "yi", "mo": "ro", "sh": "sr-Latn"}


def _dateparser_language(language: str | None) -> str | None:
    """The page's language ("nb-NO", "iw", "no") as dateparser names it, or None when it
    declares none or one dateparser does not know (which dateparser refuses with an error)."""
    if not language:
        return None
    code = language.replace("_", "-").split("-")[0].strip().lower()
    code = _LEGACY_LANGUAGES.get(code, code)
    return code if code in _dateparser_languages() else None


@cache
def _dateparser_languages() -> frozenset[str]:
    from dateparser.data.languages_info import language_order  # a list of codes, no data

    return frozenset(language_order)


def same_moment(first: str, second: str) -> bool:
    """Whether two ISO strings name the same instant (or day, month or year, when either is a
    bare day, month or year)."""
    if first == second:  # the common case (meta and JSON-LD agree): no parsing needed
        return True
    if (shortest := min(len(first), len(second))) <= 10:
        return first[:shortest] == second[:shortest]
    try:
        a, b = _dateutil().isoparse(first), _dateutil().isoparse(second)
        if (a.tzinfo is None) != (b.tzinfo is None):
            a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
        return a == b
    except (ValueError, OverflowError):
        return first == second


def looks_like_date(value: str, language: str | None = None) -> bool:
    """Whether a short visible text is a date, with or without its year ("Jun 4",
    "24 juil.", "3 days ago"): enough to tell a post's header line from its first paragraph."""
    if len(value) > 40 or not any(c.isdigit() for c in value):
        return False
    # Wix's display dates in every locale it ships, whatever language the page declares (a
    # French blog left at lang="en" still prints "25 avr."): the dump cleaner's patterns.
    # Imported here: only element-built pages get here, and compiling them costs ~90 ms.
    from crawler.clean.vocabulary import DATE as WIX_DATE

    if WIX_DATE.match(value.strip()):
        return True
    if _dateutil_day(value, need_year=False) is not None:  # fast path, as in parse_display_date
        return True
    import dateparser  # see parse_display_date

    hint = _dateparser_language(language)
    settings = {"REQUIRE_PARTS": ["day", "month"], "PREFER_DATES_FROM": "past"}
    return dateparser.parse(value, languages=[hint] if hint else None,
                            settings=settings) is not None


def _dateutil_day(value: str, need_year: bool = True) -> date | None:
    """The day an English display date names, by dateutil (~50 µs; dateparser takes ms)."""
    if not value.isascii():
        return None
    if (english := _ENGLISH_DAY.match(value)) and english.group(1) in _MONTHS:
        month, day = _MONTHS[english.group(1)], int(english.group(2))
        year = english.group(3)
        try:  # the two defaults' years, as dateutil fills them
            first = date(int(year) if year else _DEFAULTS[0].year, month, day)
            second = date(int(year) if year else _DEFAULTS[1].year, month, day)
        except ValueError:
            pass  # dateutil says why ("Feb 29" of 2001, "Jun 31")
        else:
            return first if need_year is False or year else None
    try:
        # dateutil fills a missing day, month or year from its default: parsing against two
        # defaults that differ in each tells a full date from "September 2025" or "2024".
        first = _dateutil().parse(value, default=_DEFAULTS[0]).date()
        second = _dateutil().parse(value, default=_DEFAULTS[1]).date()
    except (ValueError, OverflowError):
        return None
    if need_year:
        return first if first == second else None
    return first if (first.month, first.day) == (second.month, second.day) else None
