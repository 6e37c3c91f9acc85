"""Chinese, Japanese and Korean words are found inside the runs of text those scripts write
without spaces, on a real archive file, through the API and the command line."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from search_hits import table_search
from test_search_marks import undo_v19

from archive import schema
from archive.search import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    SearchError,
    SearchQuery,
    count,
    search,
)
from archive.search.bigrams import index_text
from archive.store import Archive
from archive.web.table_search import COMBINED
from crawler.extract.record import Article

REPO = Path(__file__).resolve().parents[1]
JA = "https://kyoto-tea.wixsite.com/blog"
ZH = "https://www.beijing-food.com"
KO = "https://seoul-cafe.wixsite.com/note"

CORPUS = [
    Article(url=f"{JA}/post/tokyo", title="先週の旅行", author="田中花子", language="ja",
            published="2024-04-01", tags=["旅行"],
            body_text="先週、東京に行きました。浅草寺を見てから、とても楽しかったです。"),
    Article(url=f"{JA}/post/tower", title="東京タワーの夜景", author="田中花子", language="ja",
            published="2024-05-01",
            body_text="夜の東京タワーはきれいでした。iPhone15の使い方も少し覚えました。"),
    Article(url=f"{JA}/post/kyoto", title="京都の紅葉", author="田中花子", language="ja",
            published="2023-11-20", body_text="京都の紅葉は十一月が見頃です。"),
    Article(url=f"{ZH}/post/duck", title="烤鸭", author="王伟", language="zh",
            published="2024-02-02", body_text="我们在北京吃了烤鸭，非常好吃。"),
    Article(url=f"{KO}/post/food", title="맛집 기록", author="김민지", language="ko",
            published="2024-03-03", body_text="서울에서 맛있는 음식을 먹었습니다."),
    Article(url=f"{KO}/post/english", title="Tokyo in spring", author="Kim", language="en",
            published="2024-03-04", body_text="Tokyo tower at night, then tea in Kyoto."),
]


def build(path: Path) -> Path:
    with Archive.open(path) as archive:
        archive.save_articles(CORPUS)
    return path


def _v12(path: Path) -> Path:
    """The archive as version 12 wrote it: no bigram index, no bigram columns."""
    undo_v19(path)
    with sqlite3.connect(path) as conn:
        for name in ("insert", "delete", "update"):
            conn.execute(f"DROP TRIGGER posts_cjk_{name}")
        conn.execute("DROP TABLE posts_cjk")
        conn.execute("ALTER TABLE posts DROP COLUMN cjk")
        conn.execute("ALTER TABLE posts DROP COLUMN cjk_title")
        conn.execute("DROP INDEX media_stored_digest")  # version 14's
        conn.execute("DROP TABLE damaged_records")  # version 16's
        # versions 17 and 18's
        for index in re.findall(r"CREATE INDEX (\w+)", schema.V17 + schema.V18):
            conn.execute(f"DROP INDEX {index}")
        conn.execute("PRAGMA user_version = 12")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("cjk") / "archive.db")


def titles(db: Path, text: str, **filters: object) -> list[str | None]:
    with Archive.open(db, readonly=True) as archive:
        return [hit.title for hit in search(archive, SearchQuery(text, **filters))]


@pytest.mark.parametrize(("word", "expected"), [
    ("東京", {"先週の旅行", "東京タワーの夜景"}),  # inside 先週、東京に行きました
    ("浅草寺", {"先週の旅行"}),  # three characters: a phrase of two bigrams
    ("紅葉", {"京都の紅葉"}),
    ("北京", {"烤鸭"}),  # Chinese: inside 我们在北京吃了烤鸭
    ("서울", {"맛집 기록"}),  # Korean: 서울에서, the word with its particle
    ("タワー", {"東京タワーの夜景"}),  # katakana and the long vowel mark
    ("田中", {"先週の旅行", "東京タワーの夜景", "京都の紅葉"}),  # the author's family name
    ("旅行", {"先週の旅行"}),
])
def test_a_word_inside_a_run_of_cjk_text_is_found(db: Path, word: str,
                                                  expected: set[str]) -> None:
    assert set(titles(db, word)) == expected


def test_a_word_in_the_title_ranks_above_the_same_word_in_a_body(tmp_path: Path) -> None:
    """As in the main index, a title match weighs ten body matches."""
    filler = "今日は天気がいいです。" * 20
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([
            Article(url=f"{JA}/post/body-{n}", title=f"日記{n}",
                    body_text=filler + "温泉に行った。" * 2) for n in range(3)] + [
            Article(url=f"{JA}/post/title", title="温泉の旅", body_text=filler)])
    assert titles(tmp_path / "archive.db", "温泉")[0] == "温泉の旅"


def test_one_character_finds_every_post_holding_it_wherever_it_sits(db: Path) -> None:
    # 京 starts 京都 and ends 東京 and 北京: the run's last character is indexed alone too.
    assert set(titles(db, "京")) == {"先週の旅行", "東京タワーの夜景", "京都の紅葉", "烤鸭"}


def test_no_false_match_across_a_break_or_for_absent_words(db: Path) -> None:
    assert titles(db, "大阪") == []
    assert titles(db, "東京京都") == []  # both words are there, never written together
    assert titles(db, "楽しかった東京") == []


def test_a_quoted_cjk_word_is_searched_like_the_plain_word(db: Path) -> None:
    assert titles(db, '"東京タワー"') == ["東京タワーの夜景"]
    assert set(titles(db, '"東京"')) == {"先週の旅行", "東京タワーの夜景"}
    assert titles(db, '"Tokyo tower"') == ["Tokyo in spring"]  # FTS5 phrases as before


@pytest.mark.parametrize(("query", "expected"), [
    ("東京 OR 北京", {"先週の旅行", "東京タワーの夜景", "烤鸭"}),
    ("東京 NOT タワー", {"先週の旅行"}),
    ("(東京 OR 紅葉) AND 京都", {"京都の紅葉"}),
    ("title:東京", {"東京タワーの夜景"}),  # 先週の旅行 has it in its body only
    ("title:京都 OR body:北京", {"京都の紅葉", "烤鸭"}),
    ("Title:東京", {"東京タワーの夜景"}),  # a column's name in any case, as FTS5 reads it
    ("TITLE:京都 OR Body:北京", {"京都の紅葉", "烤鸭"}),
    # Its name quoted, as FTS5 reads it too (until 2026-12-07 the main index ran these, where
    # 東京 matches only a whole run: `"title":東京` found no post).
    ('"title":東京', {"東京タワーの夜景"}),
    ('"Title" : 京都 OR {"body"}:北京', {"京都の紅葉", "烤鸭"}),
    ("浅草* OR 烤*", {"先週の旅行", "烤鸭"}),
    ('"東京タワー" OR "紅葉"', {"東京タワーの夜景", "京都の紅葉"}),
    ("NEAR(東京 行, 3)", {"先週の旅行"}),  # 東京に行きました
    ("NEAR(東京 楽, 3)", set()),  # とても楽しかった is further on
    ("서울 OR 北京", {"맛집 기록", "烤鸭"}),
])
def test_fts_syntax_over_cjk_words_finds_them_inside_runs(db: Path, query: str,
                                                          expected: set[str]) -> None:
    """Operators, column filters, prefixes, phrases and NEAR keep their meaning on the words'
    bigrams (before, a CJK word in FTS5 syntax matched only a whole run, or a run's start
    with `*`: 8 of these 10 failed)."""
    assert set(titles(db, query)) == expected


@pytest.mark.parametrize("query", ["NEAR(東京abc 行, 3)", 'NEAR("東京 tower" 行)'])
def test_near_over_a_word_of_cjk_and_other_letters_is_searched_not_a_crash(
        db: Path, query: str) -> None:
    """Such a word is two terms (東京 AND abc), which NEAR cannot group on the bigrams: the
    query goes to the main index as FTS5 reads it. Before, the search failed with
    AttributeError ('Node' object has no attribute 'main'), a traceback in `wixarchive search`."""
    assert titles(db, query) == []
    assert titles(db, "NEAR(東京 行, 3)") == ["先週の旅行"]  # one CJK run each: the bigrams


@pytest.mark.parametrize(("query", "expected"), [
    ("東京 OR tokyo", {"先週の旅行", "東京タワーの夜景", "Tokyo in spring"}),
    ("東京 AND tower", set()),  # no post has both: "tower" is only in the English one
    ("tea OR 北京", {"Tokyo in spring", "烤鸭"}),
    ("tokyo NOT 東京", {"Tokyo in spring"}),
    ("東京 NOT night", {"先週の旅行", "東京タワーの夜景"}),
    ("title:tokyo OR title:紅葉", {"Tokyo in spring", "京都の紅葉"}),
    ("(東京 OR kyoto) AND title:spring", {"Tokyo in spring"}),
    ("iPhone15 OR 烤鸭", {"東京タワーの夜景", "烤鸭"}),  # written against CJK text, and CJK
    ("tow* OR 紅葉", {"Tokyo in spring", "京都の紅葉"}),
    ('"東京タワー" OR "tea in Kyoto"', {"東京タワーの夜景", "Tokyo in spring"}),
])
def test_fts_syntax_mixing_cjk_and_other_words_reads_each_word_in_its_index(
        db: Path, query: str, expected: set[str]) -> None:
    """Before, such a query ran on the main index alone, where 東京 matched only a whole run
    (`東京 OR tokyo` found the English post only)."""
    assert set(titles(db, query)) == expected


@pytest.fixture(scope="module")
def fields_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cjk_fields") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([
            Article(url=f"{JA}/post/tagged", title="旅の記録", tags=["東京"],
                    categories=["ｶﾌｪ"], body_text="京都に行きました。"),  # half-width カフェ
            Article(url=f"{JA}/post/body", title="夜景", tags=["旅行"], categories=["旅"],
                    body_text="東京のカフェで休みました。"),
            Article(url=f"{JA}/post/author", title="日記", author="東京太郎",
                    body_text="今日は雨でした。"),
            Article(url=f"{JA}/post/title", title="東京の春", body_text="桜がきれいです。"),
        ])
    return path


@pytest.mark.parametrize(("query", "expected"), [
    ("tags:東京", {"旅の記録"}),  # not the posts with 東京 in their body, author or title
    ("categories:カフェ", {"旅の記録"}),
    ("author:東京", {"日記"}),
    ("body:東京", {"夜景"}),
    ("{tags author}: 東京", {"旅の記録", "日記"}),
    ('{"tags" author}: 東京', {"旅の記録", "日記"}),
    ('-"title": 東京', {"旅の記録", "夜景", "日記"}),
    ("-{tags title}: 東京", {"夜景", "日記"}),
    ("tags:東京 OR title:春", {"旅の記録", "東京の春"}),
    ("東京 NOT tags:東京", {"夜景", "日記", "東京の春"}),
    ("tags:東京 AND 京都", {"旅の記録"}),
    ("tags:東京 OR spring", {"旅の記録"}),  # mixed with a Latin word
    ("body:NEAR(東京 カフェ)", {"夜景"}),
    ("tags:NEAR(東京 カフェ)", set()),
    # Over a group, each word in those fields (before, the main index ran it: none found).
    ("tags:(東京 OR 旅行)", {"旅の記録", "夜景"}),
    ("{tags author}:(東京 NOT 京都)", {"旅の記録", "日記"}),
    ("body:(NEAR(東京 カフェ) OR 雨)", {"夜景", "日記"}),
])
def test_a_column_filter_on_a_cjk_word_keeps_to_that_field(fields_db: Path, query: str,
                                                           expected: set[str]) -> None:
    """The bigram index holds the author, tags, categories and body together: before, a filter
    on one of them searched all four (`tags:東京` found every post with 東京 in its text)."""
    assert set(titles(fields_db, query)) == expected


def test_a_tag_column_filter_agrees_with_the_tag_option(fields_db: Path) -> None:
    assert titles(fields_db, "tags:東京") == titles(fields_db, "東京", tag="東京")


@pytest.mark.parametrize("query", ["tags:東京", '"tags":東京', "author:東京", "body:東京",
                                   "{tags author}: 東京", "tags:(東京 OR 旅行)"])
def test_the_table_search_box_keeps_a_cjk_word_to_the_field_filtered(fields_db: Path,
                                                                      query: str) -> None:
    """Until 2026-12-07 the box listed every post with 東京 in the fields the bigram index
    holds together (`tags:東京`: the posts with 東京 in their body or author too)."""
    pytest.importorskip("datasette")
    assert table_search(fields_db, query)[0] == sorted(titles(fields_db, query)) != []


def test_fts_syntax_read_nowhere_else_stays_the_main_indexs(db: Path) -> None:
    assert titles(db, "Tokyo OR Kyoto") == ["Tokyo in spring"]
    assert titles(db, "東京 + 大阪") == []  # "+" is not read here: whole runs only, as before
    with pytest.raises(SearchError, match="ends too early"):
        titles(db, "東京 AND")


def test_a_cjk_word_can_be_left_out_and_a_not_that_leaves_nothing_is_no_crash(db: Path) -> None:
    assert titles(db, "東京 -タワー") == ["先週の旅行"]
    assert titles(db, "田中 -紅葉 -タワー") == ["先週の旅行"]
    assert titles(db, "tokyo -東京") == ["Tokyo in spring"]
    assert titles(db, "花子 -田中") == []  # every post with the one holds the other
    # No match, and the only CJK word left out: no posts, where a TypeError used to escape.
    assert titles(db, "walrus -東京") == titles(db, "walrus NOT 東京") == []


def test_long_fts_queries_with_cjk_words_run(db: Path) -> None:
    """A chain of 120 terms is no nesting 120 levels deep (SQLite stops at ~100); a query
    longer than anyone types runs on the main index, never into Python's recursion limit."""
    assert set(titles(db, "東京 " * 120 + "OR tokyo")) == {
        "先週の旅行", "東京タワーの夜景", "Tokyo in spring"}
    assert titles(db, "東京 NOT " * 60 + "tokyo") == []
    assert titles(db, "東京 " * 20_000 + "OR 京都") == []  # whole runs only: none
    # Parentheses nested past MAX_DEPTH: the main index, which reads them up to FTS5's limit;
    # 110 levels of them (widened, `title:(…)`) ran into Python's recursion limit, a traceback.
    assert titles(db, "(" * 60 + "東京 OR tokyo" + ")" * 60) == titles(db, "東京 OR tokyo")
    assert titles(db, "(" * 70 + "東京 OR tokyo" + ")" * 70) == ["Tokyo in spring"]
    for nested in ("(" * 110 + "東京 OR tokyo" + ")" * 110,
                   "title:" + "(" * 124 + "東京 OR tokyo" + ")" * 124):
        with pytest.raises(SearchError, match="parser stack overflow"):
            titles(db, nested)


def test_a_mixed_query_ranks_and_filters_like_the_others(db: Path) -> None:
    hits = titles(db, "東京 OR tokyo", lang="ja")
    assert set(hits) == {"先週の旅行", "東京タワーの夜景"}
    # The title holding the word ranks first, as in either index alone.
    assert titles(db, "東京 OR tokyo", limit=1, lang="ja") == ["東京タワーの夜景"]
    assert len(titles(db, "東京 OR tokyo", offset=2)) == 1


def test_half_width_katakana_finds_full_width(db: Path) -> None:
    assert titles(db, "ﾀﾜｰ") == ["東京タワーの夜景"]


def test_latin_words_written_against_cjk_text_and_mixed_queries(db: Path) -> None:
    # The main index holds iphone15の使い方も少し覚えました as one token.
    assert titles(db, "iPhone15") == ["東京タワーの夜景"]
    assert titles(db, "iPhone15の使い方") == ["東京タワーの夜景"]
    assert titles(db, "iphone15 使い方") == ["東京タワーの夜景"]
    assert titles(db, "東京 night") == []  # every word must match
    assert set(titles(db, "Tokyo")) == {"Tokyo in spring"}  # the main index, as before


# A Latin word standing free in one post and written against CJK text in others.
BERLIN = [
    Article(url=f"{JA}/post/alone", title="Alone", body_text="A week in berlin, walking."),
    Article(url=f"{JA}/post/glued", title="Glued", body_text="先週東京でberlinと言いました"),
    Article(url=f"{JA}/post/both", title="Both", body_text="We went to berlin. 東京でtokyoと"),
    Article(url=f"{JA}/post/none", title="None", body_text="東京に行きました"),
]


def test_a_latin_word_written_against_cjk_text_is_found_beside_posts_holding_it_free(
        tmp_path: Path) -> None:
    """`berlin` found *東京でberlinと* only when no post held *berlin* standing free: the
    bigram index, which holds it apart, was read only when the main index found nothing, and
    `berlin tokyo` missed the post holding one free and the other against CJK text. Those
    posts now follow the others, ranked among themselves in the bigram index, page by page."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles(BERLIN)
    found = titles(path, "berlin")
    assert set(found[:2]) == {"Alone", "Both"} and found[2:] == ["Glued"]
    assert titles(path, "berlin", limit=2) == found[:2]
    assert titles(path, "berlin", offset=2) == ["Glued"]
    assert titles(path, "berlin", offset=1, limit=1) == found[1:2]
    assert titles(path, "berlin", offset=3) == []
    assert titles(path, "berlin tokyo") == ["Both"]
    assert titles(path, "berlin", lang="fr") == []  # filters apply to them too
    with Archive.open(path, readonly=True) as archive:
        glued = search(archive, SearchQuery("berlin", offset=2))[0]
        assert glued.marked_snippet("[", "]") == "先週東京で[berlin]と言いました"
        assert count(archive, SearchQuery("berlin")) == 3
        assert count(archive, SearchQuery("berlin tokyo")) == 1


@pytest.mark.parametrize(("typed", "snippet"), [
    ("BERLIN", "先週東京で[berlin]と言いました"),  # was unmarked: the word's case differed
    ("Berlin*", "先週東京で[berlin]と言いました"),
    ("berl*", "先週東京で[berlin]と言いました"),  # was [berl]in: a prefix, not the word
    ("berliner", "東京で[berliner]とberlinと"),  # was unmarked
    ("berlin", "東京でberlinerと[berlin]と")])  # not inside a longer word
def test_a_word_written_against_cjk_text_is_marked_whole_in_its_snippet_in_any_case(
        tmp_path: Path, typed: str, snippet: str) -> None:
    """The snippet of a post found by a word written against CJK text marked the word only
    where the text held it in the case typed, and a prefix's letters alone."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([BERLIN[1], Article(url=f"{JA}/post/longer", title="Longer",
                                                  body_text="東京でberlinerとberlinと")])
    with Archive.open(path, readonly=True) as archive:
        found = search(archive, SearchQuery(typed))
    assert snippet in [hit.marked_snippet("[", "]") for hit in found]


# Posts holding berlin standing free, written against CJK text, in a title, beside walk.
BERLIN_SYNTAX = [
    *BERLIN,
    Article(url=f"{JA}/post/walk", title="Walk", body_text="A berlin walk."),
    Article(url=f"{JA}/post/glued-walk", title="Glued walk", body_text="東京でberlinと walk"),
    Article(url=f"{JA}/post/titled", title="東京でberlinと", body_text="写真です"),
    Article(url=f"{JA}/post/berliner", title="Longer", body_text="東京でberlinerと"),
    Article(url=f"{JA}/post/walk-glued", title="Trip", body_text="berlin: 東京でwalkと"),
]


@pytest.mark.parametrize(("typed", "free", "glued"), [
    ("berlin*", {"Alone", "Both", "Walk", "Trip"},
     {"Glued", "Glued walk", "東京でberlinと", "Longer"}),
    ('"berlin"', {"Alone", "Both", "Walk", "Trip"},
     {"Glued", "Glued walk", "東京でberlinと"}),
    ("berlin -walk", {"Alone", "Both"}, {"Glued", "東京でberlinと"}),
    ("berlin NOT walk", {"Alone", "Both"}, {"Glued", "東京でberlinと"}),
    ("berlin AND tokyo", {"Both"}, set()),
    ("title:berlin", set(), {"東京でberlinと"}),
    ("title:berlin*", set(), {"東京でberlinと"}),
    # FTS5 (and `sqlite-utils search`, which passes the query on) reads spaces around the
    # colon as the same filter.
    ("title : berlin", set(), {"東京でberlinと"}),
    ("title: berlin", set(), {"東京でberlinと"}),
    ("Title:berlin", set(), {"東京でberlinと"}),  # and a column's name in any case
    ("TITLE : berlin", set(), {"東京でberlinと"}),
    # Its name quoted (until 2026-12-07 they missed *東京でberlinと*).
    ('"title":berlin', set(), {"東京でberlinと"}),
    ('"Title" : berlin*', set(), {"東京でberlinと"}),
    ("berlin NOT title : walk", {"Alone", "Both", "Trip"}, {"Glued", "東京でberlinと"})])
def test_fts_syntax_finds_words_written_against_cjk_text_after_those_standing_free(
        tmp_path: Path, typed: str, free: set[str], glued: set[str]) -> None:
    """`berlin` found *東京でberlinと*, but `berlin*`, `"berlin"`, `berlin -walk` and
    `title:berlin` did not: the words written against CJK text were looked up for plain words
    only, and `berlin -walk` listed *berlin: 東京でwalkと*. Prefixes, phrases of one word,
    words left out and the title's filter are now read there too, after the posts holding the
    words standing free, page by page and counted; a word left out, wherever it is written.
    `title : berlin`, which FTS5 reads as `title:berlin`, missed *東京でberlinと* still."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles(BERLIN_SYNTAX)
    found = titles(path, typed)
    assert set(found[:len(free)]) == free and set(found[len(free):]) == glued
    assert len(found) == len(free) + len(glued)
    assert [title for at in range(len(found) + 1)
            for title in titles(path, typed, limit=1, offset=at)] == found
    assert titles(path, typed, offset=len(free)) == found[len(free):]
    with Archive.open(path, readonly=True) as archive:
        assert count(archive, SearchQuery(typed)) == len(found)


@pytest.fixture(scope="module")
def berlin_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("glued") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles(BERLIN_SYNTAX)
    return path


@pytest.mark.parametrize("typed", ["berlin", "BERLIN", "berlin*", '"berlin"', "berlin -walk",
                                   "berlin NOT walk", "title:berlin", '"title":berlin',
                                   "berlin tokyo", "walk"])
def test_the_table_search_box_finds_words_written_against_cjk_text_as_the_ranked_search(
        berlin_db: Path, typed: str) -> None:
    """The box read a search without CJK text in the main index alone, which holds `berlin` of
    *東京でberlinと* only inside that whole token: until 2026-12-07 it listed the posts holding
    the word standing free, and those written against CJK text only beside a CJK word
    (`berlin 東京`): a Japanese post writing *iPhoneで* was missed by `iphone`."""
    pytest.importorskip("datasette")
    expected = sorted(titles(berlin_db, typed))
    found, page = table_search(berlin_db, typed)
    assert found == expected != []
    # The box shows the search as typed (Datasette writes a quote &#34;).
    assert f'name="_search" value="{typed.replace(chr(34), "&#34;")}"' in page


def test_the_table_search_box_lists_a_word_written_against_cjk_text_with_its_pages(
        berlin_db: Path) -> None:
    """Its JSON, CSV and next pages read the same posts (the query moved to COMBINED)."""
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette

    every = ["Alone", "Both", "Glued", "Glued walk", "Trip", "Walk", "東京でberlinと"]
    assert table_search(berlin_db, "berlin")[0] == every
    client = Client(make_datasette(berlin_db))
    try:
        first = client.get("/archive/posts.json?_col=title&_size=4&_search=berlin").json()
        assert f"{COMBINED}=berlin" in first["next_url"]
        following = urlsplit(first["next_url"])
        second = client.get(f"{following.path}?{following.query}").json()
        csv = client.get("/archive/posts.csv?_col=title&_search=berlin").text
    finally:
        client.close()
    assert sorted(row[1] for row in first["rows"] + second["rows"]) == every
    assert sorted(line.split(",")[1] for line in csv.splitlines()[1:]) == every


def test_the_table_search_box_reads_an_archive_without_words_against_cjk_text_as_before(
        db: Path, web: Any) -> None:
    """No post holds the word against CJK text: Datasette's own search (raw mode), as before."""
    page = web.get("/archive/posts?_search=" + quote("tokyo")).text
    assert f'name="{COMBINED}"' not in page
    assert table_titles(web, "tokyo") == ["Tokyo in spring"]


def test_filters_apply_to_cjk_queries(db: Path) -> None:
    assert set(titles(db, "京", lang="zh")) == {"烤鸭"}
    assert set(titles(db, "京", site="kyoto-tea")) == {"先週の旅行", "東京タワーの夜景",
                                                       "京都の紅葉"}
    assert titles(db, "東京", since="2024-05") == ["東京タワーの夜景"]
    assert titles(db, "東京", tag="旅行") == ["先週の旅行"]
    assert len(titles(db, "京", limit=2)) == 2
    assert len(titles(db, "京", limit=2, offset=2)) == 2


def test_the_snippet_marks_the_word_where_it_is(db: Path) -> None:
    with Archive.open(db, readonly=True) as archive:
        [hit] = search(archive, SearchQuery("北京"))
    assert hit.snippet == f"我们在{HIGHLIGHT_START}北京{HIGHLIGHT_END}吃了烤鸭，非常好吃。"


def test_a_changed_post_is_found_by_its_new_words_only(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    url = f"{JA}/post/edit"
    with Archive.open(path) as archive:
        for title, body in (("下書き", "大阪城に行きました。"), ("下書き", "名古屋に行きました。"),
                            ("Draft", "No CJK any more.")):
            archive.save_article(Article(url=url, title=title, body_text=body,
                                         body_html=f"<p>{body}</p>"))
            if body.startswith("大阪"):
                assert titles(path, "大阪") == ["下書き"]
            elif body.startswith("名古屋"):
                assert titles(path, "大阪") == []
                assert titles(path, "名古屋") == ["下書き"]
    assert titles(path, "名古屋") == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT cjk_title, cjk FROM posts").fetchone() == (None, None)
        assert conn.execute("SELECT count(*) FROM posts_cjk WHERE posts_cjk MATCH 'ま'"
                            "").fetchone() == (0,)


def test_an_archive_from_before_the_bigram_index_is_filled_in_when_opened(tmp_path: Path,
                                                                          ) -> None:
    path = _v12(build(tmp_path / "archive.db"))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE posts SET word_count = 1 WHERE language = 'zh'")  # as v12 counted
    # Read-only, it stays as it is and searches as before: whole runs only, and no error.
    assert titles(path, "東京") == []
    assert titles(path, "東京タワーの夜景") == ["東京タワーの夜景"]
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
    assert set(titles(path, "東京")) == {"先週の旅行", "東京タワーの夜景"}
    assert titles(path, "서울") == ["맛집 기록"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT word_count FROM posts WHERE language = 'zh'"
                            ).fetchone() == (13,)
    with sqlite3.connect(path) as conn:  # nothing stored for posts without CJK text
        assert conn.execute("SELECT title FROM posts WHERE cjk IS NULL AND cjk_title IS NULL"
                            ).fetchall() == [("Tokyo in spring",)]


def test_words_are_counted_per_character_in_cjk_text(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        counts = dict(conn.execute("SELECT title, word_count FROM posts"))
    assert counts["烤鸭"] == 13  # 我们在北京吃了烤鸭，非常好吃。
    assert counts["東京タワーの夜景"] == 27  # 26 characters and iPhone15
    assert counts["맛집 기록"] == 4  # Korean spaces its words
    assert counts["Tokyo in spring"] == 8


def test_the_bigrams_stay_out_of_what_a_post_reads_as(db: Path) -> None:
    """`show`, the exports and the API read posts through Archive.post()."""
    with Archive.open(db, readonly=True) as archive:
        post = archive.post(f"{ZH}/post/duck")
    assert post is not None and post["body"].startswith("我们在北京")
    assert not {"cjk", "cjk_title"} & set(post)


def test_english_posts_store_nothing_extra() -> None:
    assert index_text(["Tokyo tower", "Crème brûlée", None, ""]) is None
    assert index_text(["東京"]) == "東京 京"


def test_the_search_command_finds_a_japanese_word(db: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("WIXARCHIVE_DB", None)
    result = subprocess.run([sys.executable, "-m", "archive.cli", "search", "東京", "--db",
                             str(db), "--json"], capture_output=True, text=True, cwd=REPO,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    hits = hits["hits"] if isinstance(hits, dict) else hits
    assert {hit["title"] for hit in hits} == {"先週の旅行", "東京タワーの夜景"}
    assert all("東京" in hit["snippet"] for hit in hits)


# -- Datasette's table search (archive/web/cjk_search.py) -------------------------------------

@pytest.fixture
def web(db: Path) -> Iterator[Any]:
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette

    client = Client(make_datasette(db))
    yield client
    client.close()


def table_titles(web: Any, query: str) -> list[str]:
    response = web.get("/archive/posts.json?_shape=array&_col=title&_search=" + quote(query))
    assert response.status_code == 200, response.text
    return sorted(row["title"] for row in response.json())


@pytest.mark.parametrize(("query", "expected"), [
    ("東京", ["先週の旅行", "東京タワーの夜景"]),  # inside 先週、東京に行きました
    ("浅草寺", ["先週の旅行"]),
    ("서울", ["맛집 기록"]),
    ("京", ["京都の紅葉", "先週の旅行", "東京タワーの夜景", "烤鸭"]),  # 北京 too
    ("東京 iPhone15", ["東京タワーの夜景"]),  # and a Latin word glued to CJK text
    ('"東京タワー"', ["東京タワーの夜景"]),
    ("東京 night", []),  # every word: "night" is only in an English post
    ("大阪", []),
    ("Tokyo", ["Tokyo in spring"]),  # no CJK text: Datasette's own search, main index
    # -word leaves out the posts holding it, as the ranked search does (it was a word to find:
    # the posts *with* it); a search whose CJK text is all left out is no CJK search.
    ("東京 -浅草寺", ["東京タワーの夜景"]),
    ("東京 -iPhone15", ["先週の旅行"]),
    ("京 -京都", ["先週の旅行", "東京タワーの夜景", "烤鸭"]),
    ("tower -東京", ["Tokyo in spring"]),
    ("-東京", []),
])
def test_the_posts_table_search_box_finds_words_inside_cjk_text(web: Any, query: str,
                                                                expected: list[str]) -> None:
    assert table_titles(web, query) == sorted(expected)


@pytest.mark.parametrize("query", [
    "東京 OR 北京", "東京 NOT タワー", "(東京 OR 紅葉) AND 京都", "title:京都 OR body:北京",
    "浅草* OR 烤*", "NEAR(東京 行, 3)", "서울 OR 北京", "東京 OR tokyo", "tea OR 北京",
    "tokyo NOT 東京", "(東京 OR kyoto) AND title:spring", "iPhone15 OR 烤鸭", "tow* OR 紅葉",
    "東京 -浅草寺", "tower -東京", "Title:東京", "TITLE:tokyo OR 紅葉", "Title:spring",
    '"title":東京', '"Title" : 京都 OR {"body"}:北京'])
def test_the_table_search_box_reads_fts_syntax_over_cjk_words_as_the_ranked_search(
        db: Path, web: Any, query: str) -> None:
    """Its MATCH was one index's: `東京 OR 北京` asked for the word "or" too (no post), and
    `東京 OR tokyo` found the English post alone."""
    assert table_titles(web, query) == sorted(titles(db, query)) != []


def test_a_table_search_of_two_indexes_pages_and_leads_to_the_next_search(web: Any) -> None:
    page = web.get("/archive/posts?_search=" + quote("東京 OR tokyo")).text
    assert 'name="_search" value="東京 OR tokyo"' in page
    assert "search matches &#34;東京 OR tokyo&#34;" in page
    # Its links (CSV, JSON, facets, pages) carry the search; the form too, and a search typed
    # in the box replaces it.
    assert f'type="hidden" name="{COMBINED}" value="東京 OR tokyo"' in page
    csv = web.get(f"/archive/posts.csv?_col=title&{COMBINED}=" + quote("東京 OR 北京")).text
    assert sorted(line.split(",")[1] for line in csv.splitlines()[1:]) == [
        "先週の旅行", "東京タワーの夜景", "烤鸭"]
    rows = web.get(f"/archive/posts.json?_shape=array&{COMBINED}=" + quote("東京 OR tokyo")
                   + "&_search=Kyoto").json()
    assert [row["title"] for row in rows] == ["Tokyo in spring"]


def test_the_table_page_shows_the_words_typed_and_the_next_search_is_plain(web: Any) -> None:
    page = web.get("/archive/posts?_search=" + quote("東京タワー")).text
    assert 'name="_search" value="東京タワー"' in page  # the box, not the bigrams
    assert "search matches &#34;東京タワー&#34;" in page
    assert '<a href="/archive/-/post/' in page  # the row is there
    # The page's form carries the steering over; a search without CJK text drops it.
    assert 'type="hidden" name="_fts_table" value="posts_cjk"' in page
    rows = web.get("/archive/posts.json?_shape=array&_fts_table=posts_cjk&_searchmode=raw"
                   "&_search=Kyoto").json()
    assert [row["title"] for row in rows] == ["Tokyo in spring"]
    # A raw search of the user's own is left raw.
    rows = web.get("/archive/posts.json?_shape=array&_searchmode=raw&_search="
                   + quote("tower OR nothing")).json()
    assert [row["title"] for row in rows] == ["Tokyo in spring"]
    csv = web.get("/archive/posts.csv?_col=title&_search=" + quote("北京")).text
    assert [line.split(",")[1] for line in csv.splitlines()[1:]] == ["烤鸭"]


def test_the_bigram_columns_stay_out_of_the_posts_table_unless_asked_for(web: Any) -> None:
    rows = web.get("/archive/posts.json?_shape=array").json()
    assert rows and all("cjk" not in row and "cjk_title" not in row and "body" in row
                        for row in rows)
    page = web.get("/archive/posts").text
    assert 'data-column="title"' in page and 'data-column="cjk' not in page
    csv_header = web.get("/archive/posts.csv").text.splitlines()[0].split(",")
    assert "title" in csv_header and not {"cjk_title", "cjk"} & set(csv_header)
    searched = web.get("/archive/posts.json?_shape=array&_search=" + quote("東京")).json()
    assert searched and all("cjk" not in row for row in searched)
    # Columns chosen by the request are its own: the bigrams when asked for.
    asked = web.get("/archive/posts.json?_shape=array&_col=title&_col=cjk_title").json()
    assert any(row["cjk_title"] for row in asked) and all(set(row) == {"id", "title",
                                                                          "cjk_title"}
                                                           for row in asked)


def test_an_archive_without_the_bigram_index_is_searched_as_before(tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette

    path = _v12(build(tmp_path / "archive.db"))
    client = Client(make_datasette(path))
    try:
        response = client.get("/archive/posts.json?_shape=array&_search=" + quote("東京"))
        assert response.status_code == 200 and response.json() == []  # no error either
        whole = client.get("/archive/posts.json?_shape=array&_search=" + quote("京都の紅葉"))
        assert [row["title"] for row in whole.json()] == ["京都の紅葉"]
    finally:
        client.close()
    with sqlite3.connect(path) as conn:  # served as it is: not migrated
        assert conn.execute("PRAGMA user_version").fetchone() == (12,)


@pytest.mark.parametrize("query", [
    "NEAR(東京 garden)", "NEAR(tokyo garden) OR 東京", "NEAR(東京 tokyo, 1) OR sushi"])
def test_the_table_search_box_reads_near_over_cjk_and_other_words_in_the_main_index(
        tmp_path: Path, query: str) -> None:
    """NEAR over a CJK word and another word is no query of the bigrams (cjk_syntax reads no
    such NEAR): the ranked search reads it in the main index, where 東京 written between spaces
    is a word. The posts table's search box took it as CJK words to find on the bigrams, the
    word `NEAR(東京` among them, and listed no post where the ranked search found one."""
    pytest.importorskip("datasette")
    from search_hits import table_search, titles

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url=f"{JA}/post/mixed", title="Garden notes", language="en",
                    body_text="東京 tokyo garden 北京"),
            Article(url=f"{JA}/post/other", title="Sushi", language="en",
                    body_text="sushi and tea")])
    expected = sorted(titles(db, query))
    assert expected, query
    assert table_search(db, query)[0] == expected, query


@pytest.mark.parametrize(("query", "alone"), [
    ('"" OR 東京', "東京"), ('東京 OR ""', "東京"), ('"" 東京', "東京"), ('東京 NOT ""', "東京"),
    ('("" OR 東京) AND garden', "東京 AND garden"), ('NEAR("" 東京) OR sushi', "東京 OR sushi"),
    ('"" NOT 東京', '""'), ('""', '""'),
    # An explicit AND with an empty phrase matches nothing in FTS5 (`garden AND ""`), where
    # writing them side by side leaves the phrase out; both before an OR and inside a sequence.
    ('東京 AND ""', '""'), ('"" AND 東京', '""'), ('東京 AND "" OR sushi', "sushi"),
    ('("" NOT 東京) AND garden', '""'), ('東京 AND "" garden', "東京 AND garden"),
    # Words side by side bind tighter than NOT, as in FTS5: `a NOT b c` is `a NOT (b c)`.
    ("garden NOT 東京 tokyo", "garden NOT (東京 AND tokyo)"),
])
def test_an_empty_phrase_beside_a_cjk_word_is_left_out_as_fts5_leaves_it_out(
        tmp_path: Path, query: str, alone: str) -> None:
    """FTS5 drops an empty phrase from its expression (`"" OR garden` is `garden`). Beside a
    CJK word it made the query syntax cjk_syntax gave up on, and both the ranked search and the
    posts table's box read it in the main index, where 東京 is only a word written between
    spaces: the post of 先週、東京に行きました, which `東京` finds, was missed."""
    from search_hits import table_search

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_articles([
            Article(url=f"{JA}/post/spaced", title="Garden notes", language="en",
                    body_text="東京 tokyo garden"),
            Article(url=f"{JA}/post/unspaced", title="先週", language="ja",
                    body_text="先週、東京に行きました。garden"),
            Article(url=f"{JA}/post/other", title="Sushi", language="en",
                    body_text="sushi and tea")])
    expected = sorted(titles(db, alone)) if alone != '""' else []
    assert sorted(titles(db, query)) == expected, query
    if "東京" in alone:
        assert "先週" in expected
    pytest.importorskip("datasette")
    assert table_search(db, query)[0] == expected, query
