"""Dates a post header shows in the page's locale, read alike by `wixarchive extract` (HTML,
which declares its language) and `wixarchive clean` (a text dump, which declares none): any
declared language code, a date written in numbers in the locale's order, and the forms Wix
writes in Hebrew, Russian, Japanese, Chinese, Korean and Turkish."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.clean.dates import iso_date
from crawler.extract.dates import parse_display_date
from tests.webarchives import table, wixarchive, write_warc

CLASSIC_POST = Path(__file__).parent / "fixtures" / "html" / "classic_post.html"
POST_URL = "https://www.example-garden.com/post/five-ways-to-water-a-fern"


def _page_dated_only_by_its_header(language: str, shown: str) -> bytes:
    """The classic post fixture with no meta or JSON-LD date, declaring `language`, its post
    header showing `shown`: the header is the only date the page has."""
    page = CLASSIC_POST.read_text(encoding="utf-8")
    page = re.sub(r'<meta property="article:(?:published|modified)_time"[^>]*>\n', "", page)
    page = re.sub(r'"date(?:Published|Modified)":"[^"]*",', "", page)
    page = page.replace('<html lang="en">', f'<html lang="{language}">')
    page = page.replace('title="Apr 5, 2021">Apr 5, 2021<', f'title="{shown}">{shown}<')
    assert "2021-04-05" not in page and shown in page
    return page.encode("utf-8")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize(("language", "shown", "day"), [
    # Codes dateparser refuses ("Unknown language(s)"): legacy ISO 639 ones and made-up ones.
    ("no", "6. mai 2021", "2021-05-06"),
    ("iw", "3 בינו׳ 2024", "2024-01-03"),
    ("xx", "6. mai 2021", "2021-05-06"),
    ("nb-NO", "6. mai 2021", "2021-05-06"),
    # Numbers only: the day first wherever dots separate them, by the locale with slashes.
    ("de", "03.01.2024", "2024-01-03"),
    ("cs", "6. 5. 2021", "2021-05-06"),
    ("en-GB", "03/01/2024", "2024-01-03"),
    ("es", "3/1/2024", "2024-01-03"),
    ("en-US", "1/3/2024", "2024-01-03"),
    # Hebrew as Wix abbreviates it, which dateparser does not read.
    ("he", "3 בינו׳ 2024", "2024-01-03"),
])
def test_extract_reads_the_header_date_in_the_pages_language(tmp_path: Path, language: str,
                                                             shown: str, day: str) -> None:
    page = tmp_path / "post.html"
    page.write_bytes(_page_dated_only_by_its_header(language, shown))
    result = _cli("extract", str(page), "--json")
    assert result.returncode == 0 and not result.stderr, result.stderr
    article = json.loads(result.stdout)
    assert (article["page_kind"], article["published"]) == ("post", day)


def test_import_keeps_a_post_whose_page_declares_a_legacy_language_code(tmp_path: Path) -> None:
    warc = tmp_path / "no.warc.gz"
    write_warc(warc, [(POST_URL, _page_dated_only_by_its_header("no", "6. mai 2021"),
                       "text/html; charset=utf-8")])
    db = tmp_path / "archive.db"
    result = wixarchive("import", str(warc), "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sites"]["https://www.example-garden.com/"]["new_posts"] == 1
    assert table(db, "SELECT url, published FROM posts") == [(POST_URL, "2021-05-06")]


@pytest.mark.parametrize(("shown", "language", "day"), [
    ("03.01.2024", "de", "2024-01-03"), ("6. 5. 2021", "cs", "2021-05-06"),
    ("6.5.2021", "fi", "2021-05-06"), ("03/01/2024", "en-GB", "2024-01-03"),
    ("3/1/2024", "es", "2024-01-03"), ("03-01-2024", "nl", "2024-01-03"),
    ("1/3/2024", "en-US", "2024-01-03"), ("1/3/2024", "en", "2024-01-03"),
    ("1/3/2024", "fil-PH", "2024-01-03"), ("1/3/2024", "tl_PH", "2024-01-03"),
    ("1/3/2024", "fil", "2024-01-03"), ("1/3/2024", "en-AU", "2024-03-01"),
    ("2024/1/3", "ja", "2024-01-03"), ("2024. 1. 3.", "ko", "2024-01-03"),
    ("03.01.2024", None, "2024-01-03"),  # dotted: the day first in every locale
    ("13/01/2024", None, "2024-01-13"), ("01/13/2024", None, "2024-01-13"),
    ("03/01/2024", None, None),  # no language, no telling January 3rd from March 1st
    ("31/02/2024", "fr", None),
])
def test_numeric_dates_follow_one_rule_in_extract_and_clean(shown: str, language: str | None,
                                                            day: str | None) -> None:
    assert parse_display_date(shown, language) == day
    assert iso_date(shown, language) == day


_DUMP = """top of page
{site}
  * {menu}
{title}
  * {author}
  * {date}
  * {read}
{body}
bottom of page
"""


@pytest.mark.parametrize(("fields", "day"), [
    (dict(site="東京カフェ", menu="ホーム", title="先週、東京に行きました", author="山田太郎",
          date="2024年1月3日", read="読了時間：3分",
          body="先週、東京に行きました。新宿の喫茶店でコーヒーを飲みました。"), "2024-01-03"),
    (dict(site="上海咖啡", menu="首页", title="我们的咖啡馆开业了", author="李小龙",
          date="2024年1月3日", read="阅读时间：3 分钟",
          body="我们的咖啡馆在上海开业了，欢迎大家来品尝手冲咖啡。"), "2024-01-03"),
    (dict(site="서울 카페", menu="홈", title="서울에서 카페를 열었습니다", author="김민수",
          date="2024년 1월 3일", read="3분 분량",
          body="서울에서 새로운 카페를 열었습니다. 모두 환영합니다."), "2024-01-03"),
    (dict(site="Кафе", menu="Главная", title="Мы открыли кафе", author="Иван",
          date="3 янв. 2024 г.", read="2 мин. на чтение",
          body="Мы открыли новое кафе в Москве и приглашаем всех."), "2024-01-03"),
    (dict(site="בית קפה", menu="בית", title="פתחנו בית קפה חדש", author="דנה",
          date="3 בינו׳ 2024", read="זמן קריאה: 2 דקות",
          body="פתחנו בית קפה חדש בתל אביב, ואנחנו מזמינים את כולם לבוא."), "2024-01-03"),
    (dict(site="בית קפה", menu="בית", title="פתחנו בית קפה חדש", author="דנה",
          date="6 במאי 2021", read="זמן קריאה: 2 דקות",
          body="פתחנו בית קפה חדש בתל אביב, ואנחנו מזמינים את כולם לבוא."), "2021-05-06"),
    (dict(site="Işık Psikoloji", menu="Ana Sayfa", title="Çift terapisinde iletişim",
          author="İlkay Öztürk", date="3 Haz 2023", read="1 dakikada okunur",
          body="Çiftler çoğu zaman aynı cümleyi farklı duyar; iletişim egzersizleri bunu "
               "görünür kılar."), "2023-06-03"),
])
def test_clean_gives_published_for_a_full_date_in_every_script(tmp_path: Path,
                                                                fields: dict[str, str],
                                                                day: str) -> None:
    dump = tmp_path / "post.txt"
    dump.write_text(_DUMP.format(**fields), encoding="utf-8")
    result = _cli("clean", str(dump), "--json")
    assert result.returncode == 0, result.stderr
    cleaned = json.loads(result.stdout)
    assert (cleaned["date"], cleaned["published"]) == (fields["date"], day)
    assert cleaned["body"] == [fields["body"]]


@pytest.mark.parametrize(("shown", "day"), [
    ("3 Haz 2023", "2023-06-03"), ("3 Eki 2023", "2023-10-03"), ("14 Şub 2024", "2024-02-14"),
    ("1 Ağu 2022", "2022-08-01"), ("15 ARALIK 2023", "2023-12-15"), ("9 Kasım 2021", "2021-11-09"),
    ("13 Mar 2023", "2023-03-13"),
    # Capitals with Turkish's dotted İ, which casefold does not make a plain "i"
    ("5 EKİM 2021", "2021-10-05"), ("3 NİSAN 2022", "2022-04-03"), ("3 NİS 2022", "2022-04-03"),
    ("9 EKİ 2020", "2020-10-09"),
])
def test_clean_reads_turkish_month_names(shown: str, day: str) -> None:
    """A Turkish header date ("3 Haz 2023"): before, only the months Turkish shares with
    English (Mar, May) gave a published day."""
    assert iso_date(shown, None) == day
