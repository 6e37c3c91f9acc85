"""Hebrew and Arabic words written with vowel marks are found by the words typed without them,
and the other way round, on a real archive file: through the API, the command line, the web
search page, and after an upgrade of an archive written before the mark-free index (v18)."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from search_hits import archive_of, hits, titles
from test_cli_search import run
from test_export_filters import undo_v21

from archive import schema
from archive.ingest import refresh_texts
from archive.search import SearchQuery, count, search
from archive.search import unmarked as unmarked_index
from archive.search.marks import MARKS, restore, strip, unmarked
from archive.store import Archive
from archive.web.metadata import TABLES
from crawler.extract.record import Article

AR = "https://madrasa.wixsite.com/blog"
HE = "https://www.shalom-tours.co.il"

CORPUS = [
    Article(url=f"{AR}/post/marked", title="المعلم", language="ar", published="2024-01-01",
            body_text="المعلمُ يُساعِدُ الطلابَ في المدرسةِ كلَّ يومٍ. شكراً جداً"),
    Article(url=f"{AR}/post/plain", title="عون", language="ar", published="2024-02-01",
            body_text="المعلم يساعد الطلاب بعد الظهر"),
    Article(url=f"{HE}/post/title", title="שָׁלוֹם עוֹלָם", language="he", tags=["בְּרָכָה"],
            published="2024-03-01", body_text="מכתב קצר לחברים"),
    Article(url=f"{HE}/post/body", title="מכתב", language="he", published="2024-04-01",
            body_text="אמרנו שלום לכולם ויצאנו לטיול ארוך מאוד בהרים"),
    Article(url=f"{HE}/post/plain-title", title="שלום חברים", language="he",
            published="2024-05-01", body_text="טיול קצר"),
    Article(url=f"{HE}/post/marked-body", title="יומן", language="he", published="2024-06-01",
            body_text="בַּבֹּקֶר אָמַרְנוּ שָׁלוֹם לַיָּם ויצאנו לטיול ארוך מאוד בהרים הגבוהים"),
    Article(url=f"{AR}/post/english", title="Garden notes", language="en",
            published="2024-07-01", body_text="Turn the compost weekly."),
]


def build(path: Path) -> Path:
    return archive_of(path, CORPUS)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("marks") / "archive.db")


def test_the_marks_are_every_combining_mark_of_the_hebrew_and_arabic_blocks() -> None:
    blocks = [(0x0590, 0x05FF), (0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF),
              (0xFB1D, 0xFB4F)]
    marks = {chr(c) for low, high in blocks for c in range(low, high + 1)
             if unicodedata.category(chr(c)) == "Mn"}
    tatweel = "\u0640"  # no mark (a letter, Lm), taken out as one
    assert {c for c in map(chr, range(0x0590, 0xFB50)) if strip(c) == ""} == {*marks, tatweel}
    assert "\u05be" not in marks and tatweel not in marks  # maqaf, tatweel
    assert MARKS.startswith("\u0591")


@pytest.mark.parametrize("word", ["يساعد", "يُساعِدُ", "يُسَاعِدُ"])
def test_an_arabic_word_is_found_with_or_without_its_marks(db: Path, word: str) -> None:
    assert sorted(titles(db, word)) == ["المعلم", "عون"]


@pytest.mark.parametrize("word", ["שלום", "שָׁלוֹם"])
def test_a_hebrew_word_is_found_with_or_without_its_marks_and_ranked_by_field(
        db: Path, word: str) -> None:
    # A title match ranks first whether the title or the query has the marks, then the bodies.
    found = titles(db, word)
    assert found[:2] in (["שָׁלוֹם עוֹלָם", "שלום חברים"], ["שלום חברים", "שָׁלוֹם עוֹלָם"])
    assert sorted(found[2:]) == ["יומן", "מכתב"]


def test_the_snippet_shows_the_text_as_written_with_the_whole_word_marked(db: Path) -> None:
    snippets = dict(hits(db, "يساعد"))
    assert snippets["المعلم"] == "المعلمُ [يُساعِدُ] الطلابَ في المدرسةِ كلَّ يومٍ. شكراً جداً"
    assert snippets["عون"] == "المعلم [يساعد] الطلاب بعد الظهر"
    assert dict(hits(db, '"شكرا جدا"'))["المعلم"].endswith("[شكراً جداً]")
    [(_, snippet)] = hits(db, "בבקר")
    assert snippet.startswith("[בַּבֹּקֶר] אָמַרְנוּ שָׁלוֹם")


def test_what_a_hit_says_it_matched_in_is_the_fields_without_marks(db: Path) -> None:
    with Archive.open(db, readonly=True) as archive:
        [hit] = search(archive, SearchQuery("ברכה"))
        assert (hit.title, hit.matched_in) == ("שָׁלוֹם עוֹלָם", ["tags"])
        [hit] = search(archive, SearchQuery("עולם"))
        assert hit.matched_in == ["title"]


@pytest.mark.parametrize(("query", "expected"), [
    ("title:שלום", ["שָׁלוֹם עוֹלָם", "שלום חברים"]),
    ("body:שלום", ["יומן", "מכתב"]),
    ("tags:ברכה", ["שָׁלוֹם עוֹלָם"]),
    ("الطلاب NOT يساعد", []),  # the marked post holds يُساعِدُ: left out, as the plain one
    ("الطلاب NOT الظهر", ["المعلم"]),
    ('"يساعد الطلاب"', ["المعلم", "عون"]),
    ("يسا*", ["المعلم", "عون"]),
    ("NEAR(שלום לטיול, 3)", ["יומן", "מכתב"]),
    ("يساعد OR compost", ["Garden notes", "المعلم", "عون"]),
])
def test_fts5_syntax_and_column_filters_read_the_words_without_marks(
        db: Path, query: str, expected: list[str]) -> None:
    assert sorted(titles(db, query)) == sorted(expected)
    with Archive.open(db, readonly=True) as archive:
        assert count(archive, SearchQuery(query)) == len(expected)


def test_filters_and_paging_apply_across_both_indexes(db: Path) -> None:
    assert titles(db, "שלום", since="2024-06") == ["יומן"]
    assert titles(db, "يساعد", site=AR, until="2024-01") == ["المعلم"]
    assert titles(db, "שלום", deleted="only") == []
    everything = titles(db, "שלום")
    assert [titles(db, "שלום", limit=1, offset=n)[0] for n in range(4)] == everything
    with Archive.open(db, readonly=True) as archive:
        assert count(archive, SearchQuery("שלום", lang="he")) == 4


def test_tag_and_category_filters_ignore_vowel_marks_as_the_query_does(tmp_path: Path) -> None:
    """--tag ברכה found nothing for a post tagged בְּרָכָה, though `tags:ברכה` found it."""
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        archive.save_articles([
            Article(url=f"{AR}/post/library", title="مكتبة", language="ar", tags=["كتاب"],
                    categories=["أَخْبَار"], body_text="زرنا المكتبة"),
            Article(url=f"{AR}/post/istanbul", title="Kaygı", tags=["KAYGI"],
                    body_text="yolculuk")])
    blessed = ["שָׁלוֹם עוֹלָם"]
    assert titles(path, "", tag="ברכה") == titles(path, "", tag="בְּרָכָה") == blessed
    assert titles(path, "עולם", tag="ברכה") == titles(path, "tags:ברכה") == blessed
    assert titles(path, "", tag="كِتَاب") == titles(path, "", category="أخبار") == ["مكتبة"]
    assert titles(path, "", tag="kaygı") == titles(path, "", tag="KAYGI") == ["Kaygı"]
    with Archive.open(path, readonly=True) as archive:
        assert count(archive, SearchQuery("", tag=("ברכה",), category="")) == 1
    result = run("search", "--tag", "ברכה", "--db", str(path), "--json")
    assert [hit["title"] for hit in json.loads(result.stdout)] == blessed, result.stderr
    out = tmp_path / "blessed.jsonl"
    result = run("export", "--tag", "ברכה", "--db", str(path), str(out))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["title"] for line in out.read_text().splitlines()] == blessed


def test_a_tag_filter_ranks_the_posts_tagged_with_marks_among_plain_words(
        tmp_path: Path) -> None:
    """The fast path ranking the posts that hold a tag's name in the main index's tags column
    (archive/search/exact.py) left out those whose tag has marks: they hold it without them
    in posts_unmarked only."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([
            Article(url=f"{HE}/post/tagged", title="tagged", tags=["בְּרָכָה"],
                    body_text="garden notes"),
            Article(url=f"{HE}/post/said", title="said", body_text="ברכה in the garden")])
    assert titles(path, "garden", tag="ברכה") == ["tagged"]
    assert titles(path, "garden", tag="בְּרָכָה") == ["tagged"]


def test_a_hamza_typed_or_not_finds_a_word_only_posts_with_marks_hold(tmp_path: Path) -> None:
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        archive.save_article(Article(url=f"{AR}/post/ahmad", title="قصة", language="ar",
                                     body_text="كتبَ أَحْمَدُ رسالةً"))
    assert titles(path, "احمد") == titles(path, "أحمد") == titles(path, "أَحْمَد") == ["قصة"]


def test_a_mark_at_a_words_end_and_english_words_are_found_as_before(db: Path) -> None:
    assert titles(db, "جدا") == titles(db, "جداً") == ["المعلم"]
    assert titles(db, "compost") == ["Garden notes"]


def test_only_fields_with_marks_store_their_text_without_them(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT title, unmarked_title, unmarked_body, unmarked_tags "
                              "FROM posts WHERE unmarked_title IS NOT NULL OR unmarked_body "
                              "IS NOT NULL OR unmarked_tags IS NOT NULL ORDER BY id").fetchall()
        conn.execute("INSERT INTO posts_unmarked(posts_unmarked, rank) "
                     "VALUES ('integrity-check', 1)")
    assert stored == [
        ("المعلم", None, "المعلم يساعد الطلاب في المدرسة كل يوم. شكرا جدا", None),
        ("שָׁלוֹם עוֹלָם", "שלום עולם", None, '["ברכה"]'),
        ("יומן", None, "בבקר אמרנו שלום לים ויצאנו לטיול ארוך מאוד בהרים הגבוהים", None)]
    assert unmarked("Crème brûlée") is None and unmarked(None) is None


def test_posts_with_hebrew_or_arabic_text_alone_are_indexed_again(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        flagged = conn.execute("SELECT title, unmarked_index FROM posts WHERE unmarked_index "
                               "IS NOT NULL ORDER BY id").fetchall()
        indexed = conn.execute("SELECT id FROM posts_unmarked_docsize ORDER BY id").fetchall()
        english = conn.execute("SELECT id FROM posts WHERE unmarked_index IS NULL").fetchall()
    assert [title for title, _ in flagged] == [article.title for article in CORPUS[:-1]]
    assert [flag for _, flag in flagged] == [2, 1, 2, 1, 1, 2]  # 2: written with marks
    described = TABLES["posts"][2]["unmarked_index"]  # what the posts table says it holds
    assert "2 when written with marks, 1 without" in described, described
    assert len(indexed) == len(flagged) and english == [(len(CORPUS),)]


def test_an_archive_without_marks_is_searched_in_the_main_index_alone(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([CORPUS[1], CORPUS[3], CORPUS[-1]])
        assert not unmarked_index.needed(archive.conn, "يساعد")
        indexed = "SELECT count(*) FROM posts_unmarked_docsize"
        assert archive.conn.execute(indexed).fetchone()[0] == 0  # nothing stored or indexed
    assert titles(path, "שלום") == ["מכתב"] and titles(path, "يُساعِدُ") == ["عون"]
    with Archive.open(path) as archive:  # the first post with marks: all of them in the index
        archive.save_articles([CORPUS[0]])
        assert archive.conn.execute(indexed).fetchone()[0] == 3
        assert unmarked_index.needed(archive.conn, "يساعد")
        assert not unmarked_index.needed(archive.conn, "garden")
        archive.save_articles([CORPUS[2]])  # then the next ones as they come
        assert archive.conn.execute(indexed).fetchone()[0] == 4
        archive.conn.execute("INSERT INTO posts_unmarked(posts_unmarked, rank) "
                             "VALUES ('integrity-check', 1)")
    assert sorted(titles(path, "يساعد")) == ["المعلم", "عون"]
    assert titles(path, "שלום") == ["שָׁלוֹם עוֹלָם", "מכתב"]


def test_a_text_refreshed_with_marks_is_indexed_without_them(tmp_path: Path) -> None:
    """A re-extraction rewriting an unchanged post's text (ingest.refresh_texts)."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([CORPUS[1], CORPUS[3]])
        post_id, digest = archive.conn.execute(
            "SELECT id, content_hash FROM posts WHERE title = 'عون'").fetchone()
        with archive.transaction() as conn:
            assert refresh_texts(conn, [(post_id, digest, "المعلم يُساعِدُ الطلاب", "")]) == 1
        assert archive.conn.execute("SELECT count(*) FROM posts_unmarked_docsize"
                                    ).fetchone()[0] == 2
    assert hits(path, "يساعد") == [("عون", "المعلم [يُساعِدُ] الطلاب")]


def test_a_text_refreshed_with_hebrew_words_in_an_archive_with_marks_is_found(
        tmp_path: Path) -> None:
    """In an archive holding marks a Hebrew word is looked up in posts_unmarked alone: a post
    whose refreshed text held Hebrew for the first time (no marks) stayed out of it, unfound."""
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        post_id, digest = archive.conn.execute(
            "SELECT id, content_hash FROM posts WHERE title = 'Garden notes'").fetchone()
        with archive.transaction() as conn:
            assert refresh_texts(conn, [(post_id, digest, "Compost notes: גינה ירוקה", "")]) == 1
    assert titles(path, "גינה") == ["Garden notes"]
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO posts_unmarked(posts_unmarked, rank) "
                     "VALUES ('integrity-check', 1)")


def test_a_changed_post_is_found_by_its_new_words_only(tmp_path: Path) -> None:
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        archive.save_article(Article(url=f"{AR}/post/marked", title="المعلم", language="ar",
                                     published="2024-01-01", body_text="كتابٌ جديدٌ",
                                     body_html="<p>كتابٌ جديدٌ</p>"))
    assert titles(path, "يساعد") == ["عون"]
    assert titles(path, "كتاب") == ["المعلم"]
    with Archive.open(path) as archive:  # and without marks now: out of the second index
        archive.save_article(Article(url=f"{AR}/post/marked", title="المعلم", language="ar",
                                     published="2024-01-01", body_text="كتاب قديم",
                                     body_html="<p>كتاب قديم</p>"))
    assert titles(path, "كتاب") == ["المعلم"] and titles(path, "جديد") == []
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT unmarked_body, unmarked_index FROM posts WHERE title = "
                            "'المعلم'").fetchone() == (None, 1)
        conn.execute("INSERT INTO posts_unmarked(posts_unmarked, rank) "
                     "VALUES ('integrity-check', 1)")


STRETCHED = Article(url=f"{AR}/post/stretched", title="مـكـتـبـة", language="ar",
                    author="مـحـمـد", tags=["كـتـب"], body_text="قرأت كـتـابـاً عن الـعـلـم")


@pytest.mark.parametrize("marked", [False, True])
def test_a_word_stretched_with_tatweel_is_found_by_the_word_without_it(
        tmp_path: Path, marked: bool) -> None:
    """The tatweel (kashida) stretches a word (كـتـاب): a letter to the tokenizer, so كتاب
    found nothing, nor الـعـلـم العلم."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:  # with posts written with vowel marks, or none
        archive.save_articles([*([CORPUS[0]] if marked else []), CORPUS[1], STRETCHED])
    assert titles(path, "كتابا") == titles(path, "العلم") == titles(path, "كـتـابـاً") == [
        "مـكـتـبـة"]
    assert titles(path, "title:مكتبة") == ["مـكـتـبـة"]
    assert titles(path, "", tag="كتب") == titles(path, "", author="محمد") == ["مـكـتـبـة"]
    assert sorted(titles(path, "الـطـلاب")) == (["المعلم", "عون"] if marked else ["عون"])
    [(_, snippet)] = hits(path, "العلم")
    assert snippet == "قرأت كـتـابـاً عن [الـعـلـم]"


def test_an_archive_from_v19_gets_its_tatweel_taken_out_when_opened_for_writing(
        tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([CORPUS[1], STRETCHED])
    with sqlite3.connect(undo_v21(path)) as conn:  # as v19 stored it: the tatweel kept, no marks
        conn.execute("UPDATE posts SET "
                     + ", ".join(f"{column} = NULL" for column in schema.UNMARKED_COLUMNS))
        conn.execute("PRAGMA user_version = 19")
    assert titles(path, "العلم") == []  # read-only, as before
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
    assert titles(path, "العلم") == titles(path, "", tag="كتب") == ["مـكـتـبـة"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT unmarked_title, unmarked_index FROM posts ORDER BY id"
                            ).fetchall() == [(None, 1), ("مكتبة", schema.MARKED)]


def test_restore_puts_the_marks_back_around_ellipses_and_highlights() -> None:
    written = "א שָׁלוֹם ב שָׁלוֹם ג"
    assert restore("…\x02שלום\x03 ב…", written) == "…\x02שָׁלוֹם\x03 ב…"
    assert restore("\x02א\x03 שלום", written) == "\x02א\x03 שָׁלוֹם"
    assert restore("not in it", written) == "not in it"


def undo_v19(path: Path) -> Path:
    """The archive as version 18 wrote it: no mark-free index, no mark-free columns."""
    with sqlite3.connect(undo_v21(path)) as conn:
        for name in ("insert", "delete", "update"):
            conn.execute(f"DROP TRIGGER {schema.UNMARKED_TABLE}_{name}")
        conn.execute(f"DROP TABLE {schema.UNMARKED_TABLE}_vocab")
        conn.execute(f"DROP TABLE {schema.UNMARKED_TABLE}")
        conn.execute(f"DROP VIEW {schema.UNMARKED_VIEW}")
        conn.execute("DROP INDEX posts_in_unmarked")
        for column in schema.UNMARKED_COLUMNS:
            conn.execute(f"ALTER TABLE posts DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 18")
    return path


def test_an_archive_from_v18_is_filled_in_when_opened_for_writing(tmp_path: Path) -> None:
    path = undo_v19(build(tmp_path / "archive.db"))
    # Read-only, it stays as it is and searches as before: the plain post only, no error.
    assert titles(path, "يساعد") == ["عون"]
    with Archive.open(path, readonly=True) as archive:
        assert archive.check() == []  # no index missing: v18 had not that one
    assert sorted(titles(path, "يُساعِدُ")) == ["عون"]  # the query's marks are taken out
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
    assert sorted(titles(path, "يساعد")) == ["المعلم", "عون"]
    assert sorted(titles(path, "title:שלום")) == ["שָׁלוֹם עוֹלָם", "שלום חברים"]
    assert dict(hits(path, "يساعد"))["المعلم"].startswith("المعلمُ [يُساعِدُ]")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM posts_unmarked_docsize").fetchone() == (6,)


def test_check_finds_the_mark_free_and_cjk_indexes_out_of_sync_and_repair_rebuilds_them(
        tmp_path: Path) -> None:
    """check compared posts_fts alone with the posts, and --repair rebuilt it alone: a
    posts_unmarked that missed an edit, or a posts_cjk a new post, stayed wrong."""
    path = build(tmp_path / "archive.db")
    with sqlite3.connect(path) as conn:  # indexes that miss an edit, a new post
        conn.execute(f"DROP TRIGGER {schema.UNMARKED_TABLE}_update")
        conn.execute(f"DROP TRIGGER {schema.CJK_TABLE}_insert")
    with Archive.open(path) as archive:
        archive.save_articles([
            Article(url=f"{AR}/post/marked", title="المعلم", language="ar",
                    published="2024-01-01", body_text="كتابٌ جديدٌ",
                    body_html="<p>كتابٌ جديدٌ</p>"),
            Article(url="https://tokyo.wixsite.com/blog/post/weather", title="東京の天気",
                    language="ja", body_text="今日は東京で雨が降りました")])
    assert titles(path, "جديد") == titles(path, "東京") == []
    bad = run("check", "--db", str(path))
    assert bad.returncode == 1, bad.stderr
    assert "Hebrew and Arabic search index out of sync with posts" in bad.stderr
    assert ("Chinese, Japanese and Korean search index out of sync with posts (1 post missing "
            "from it") in bad.stderr
    assert "Problem: search index out of sync" not in bad.stderr  # posts_fts is right
    with Archive.open(path, readonly=True) as archive:  # counted: the missing post only
        assert [problem.split(" (")[0] for problem in archive.check()] == [
            "Chinese, Japanese and Korean search index out of sync with posts"]
    repaired = run("check", "--db", str(path), "--repair")
    assert repaired.returncode == 0, repaired.stderr
    # said of the three (it said "Search index rebuilt." and "search index in sync")
    assert repaired.stdout.startswith("Search indexes rebuilt.\nOK: ")
    assert "search indexes in sync" in repaired.stdout
    assert titles(path, "جديد") == ["المعلم"] and titles(path, "東京") == ["東京の天気"]
    assert sorted(titles(path, "يساعد")) == ["عون"]
    with sqlite3.connect(path) as conn:  # the CJK index holds the posts with CJK text alone
        assert conn.execute(f"SELECT count(*) FROM {schema.CJK_TABLE}_docsize").fetchone() == (1,)


def test_the_search_command_finds_a_word_written_with_marks(db: Path) -> None:
    result = run("search", "يساعد", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    found = {hit["title"]: hit for hit in json.loads(result.stdout)}
    assert set(found) == {"المعلم", "عون"}
    marked = found["المعلم"]
    [(start, end)] = marked["highlights"]
    assert marked["snippet"][start:end] == "يُساعِدُ" and marked["matched_in"] == ["body"]
    result = run("search", "שָׁלוֹם", "--db", str(db), "--count")
    assert (result.returncode, result.stdout) == (0, "4\n"), result.stderr


def test_a_zeroed_hebrew_and_arabic_index_is_damage_that_check_names_and_repairs(
        tmp_path: Path) -> None:
    """posts_unmarked's blocks zeroed read as an empty index: a Hebrew word found nothing
    ("0") while `check` said the archive was sound and `check --repair` left it so."""
    path = build(tmp_path / "archive.db")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE posts_unmarked_data SET block = zeroblob(length(block))")
    conn.close()
    result = run("search", "שלום", "--count", "--db", str(path))
    assert (result.returncode, result.stdout) == (1, ""), result.stdout
    assert "the Hebrew and Arabic search index is empty" in result.stderr
    result = run("check", "--db", str(path), "--json")
    assert result.returncode == 1, result.stdout
    [problem] = json.loads(result.stdout)["problems"]
    assert problem.startswith("Hebrew and Arabic search index out of sync with posts")
    result = run("check", "--repair", "--db", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    result = run("search", "שלום", "--count", "--db", str(path))
    assert (result.returncode, result.stdout) == (0, "4\n"), result.stderr


@pytest.fixture
def web(db: Path) -> Iterator[Any]:
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette

    client = Client(make_datasette(db))
    yield client
    client.close()


def test_the_web_search_page_finds_words_written_with_marks(web: Any) -> None:
    data = web.get("/archive/-/search.json?q=" + quote("يساعد")).json()
    assert sorted(hit["title"] for hit in data["hits"]) == ["المعلم", "عون"]
    page = web.get("/archive/-/search?q=" + quote("שלום")).text
    assert "<mark>שָׁלוֹם</mark>" in page


def test_the_mark_free_columns_stay_out_of_the_posts_table_unless_asked_for(web: Any) -> None:
    rows = web.get("/archive/posts.json?_shape=array").json()
    assert rows and all("unmarked_body" not in row and "body" in row for row in rows)
    csv_header = web.get("/archive/posts.csv").text.splitlines()[0].split(",")
    assert "title" in csv_header and not set(schema.UNMARKED_COLUMNS) & set(csv_header)
    asked = web.get("/archive/posts.json?_shape=array&_col=unmarked_title").json()
    assert "שלום עולם" in [row["unmarked_title"] for row in asked]


def table_titles(web: Any, query: str) -> list[str]:
    response = web.get("/archive/posts.json?_shape=array&_col=title&_search=" + quote(query))
    assert response.status_code == 200, response.text
    return sorted(row["title"] for row in response.json())


@pytest.mark.parametrize(("query", "expected"), [
    ("يساعد", ["المعلم", "عون"]),
    ("يُساعِدُ الطلاب", ["المعلم", "عون"]),
    ("שלום", ["יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים"]),
    ("שָׁלוֹם לטיול", ["יומן", "מכתב"]),
    ("compost", ["Garden notes"]),  # no Hebrew or Arabic: Datasette's own, main index
    # -word and operators as the ranked search reads them: quoted, -לטיול was a word to find
    # (the posts *with* it), OR a word every post must hold
    ("שלום -לטיול", ["שָׁלוֹם עוֹלָם", "שלום חברים"]),
    ("יומן OR מכתב", ["יומן", "מכתב", "שָׁלוֹם עוֹלָם"]),
    # only words left out, which the ranked search refuses: no post, not the posts with them
    ("-שלום", []),
    ("-compost", []),
])
def test_the_posts_table_search_box_finds_words_written_with_marks(
        web: Any, query: str, expected: list[str]) -> None:
    assert table_titles(web, query) == sorted(expected)


@pytest.mark.parametrize(("query", "expected"), [
    ("שלום OR compost", ["Garden notes", "יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים"]),
    ("compost OR يساعد", ["Garden notes", "المعلم", "عون"]),
    ("title:garden OR שָׁלוֹם", ["Garden notes", "יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים"]),
    ("compost NOT יומן", ["Garden notes"]),
])
def test_the_table_search_box_reads_hebrew_or_arabic_words_or_others_in_both_indexes(
        db: Path, web: Any, query: str, expected: list[str]) -> None:
    """Steered to the Hebrew and Arabic index alone, `שלום OR compost` left the posts with
    *compost* alone out; now it finds what the ranked search finds."""
    assert table_titles(web, query) == sorted(titles(db, query)) == sorted(expected)


def test_the_table_page_shows_the_words_typed_and_the_next_search_is_plain(web: Any) -> None:
    page = web.get("/archive/posts?_search=" + quote("שָׁלוֹם")).text
    assert 'name="_search" value="שָׁלוֹם"' in page
    assert 'type="hidden" name="_fts_table" value="posts_unmarked"' in page
    rows = web.get("/archive/posts.json?_shape=array&_fts_table=posts_unmarked&_searchmode=raw"
                   "&_search=compost").json()
    assert [row["title"] for row in rows] == ["Garden notes"]


def test_an_archive_without_marks_keeps_datasettes_table_search(tmp_path: Path) -> None:
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette

    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([CORPUS[1], CORPUS[3]])
    client = Client(make_datasette(path))
    try:
        rows = client.get("/archive/posts.json?_shape=array&_search=" + quote("يساعد")).json()
        assert [row["title"] for row in rows] == ["عون"]
    finally:
        client.close()


TOKYO = [
    Article(url="https://kyoto-tea.wixsite.com/blog/post/tokyo", title="先週の旅行",
            language="ja", published="2024-08-01", body_text="先週、東京に行きました。"),
    Article(url=f"{HE}/post/tokyo", title="טוקיו", language="he", published="2024-09-01",
            body_text="בְּטוֹקְיוֹ אָמַרְנוּ שָׁלוֹם 東京の友達に"),
]


@pytest.fixture(scope="module")
def tokyo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archive_of(tmp_path_factory.mktemp("marks-cjk") / "archive.db", [*CORPUS, *TOKYO])


@pytest.mark.parametrize(("query", "expected"), [
    ("שלום OR 東京", {"יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים", "先週の旅行", "טוקיו"}),
    ("東京 OR שָׁלוֹם", {"יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים", "先週の旅行", "טוקיו"}),
    ("שלום AND 東京", {"טוקיו"}),
    ("東京 NOT שלום", {"先週の旅行"}),
    ("שלום NOT 東京", {"יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים"}),
    ("(يساعد OR שלום) AND 東京", {"טוקיו"}),
    ("يساعد OR 東京", {"المعلم", "عون", "先週の旅行", "טוקיו"}),
    ("title:שלום OR 東京", {"שָׁלוֹם עוֹלָם", "שלום חברים", "先週の旅行", "טוקיו"}),
    # plain words, a CJK one among them: each other word looked up beside the bigrams
    ("שלום 東京", {"טוקיו"}),
    ("אָמַרְנוּ 東京", {"טוקיו"}),
])
def test_a_query_of_cjk_and_hebrew_or_arabic_words_finds_the_words_written_with_marks(
        tokyo_db: Path, query: str, expected: set[str]) -> None:
    """FTS5 syntax with a CJK word is run term by term (archive/search/cjk_syntax.py), and a
    Hebrew or Arabic term was looked up in the main index alone, which holds שָׁלוֹם with its
    marks: `שלום OR 東京` missed the posts written שָׁלוֹם, in the ranked search and in the posts
    table's search box, where `שלום` alone found them."""
    assert set(titles(tokyo_db, query)) == expected
    with Archive.open(tokyo_db, readonly=True) as archive:
        assert count(archive, SearchQuery(query)) == len(expected)
    pytest.importorskip("datasette")
    from search_hits import table_search
    assert set(table_search(tokyo_db, query)[0]) == expected


def test_a_post_matching_cjk_and_hebrew_words_is_ranked_by_both(tokyo_db: Path) -> None:
    """Ranked by the terms it holds in each index, the post with both words comes first, and
    the union is ranked as one: every post of `שלום` and of `東京` once."""
    found = titles(tokyo_db, "שלום OR 東京")
    assert found[0] == "טוקיו" and len(found) == len(set(found)) == 6


@pytest.mark.parametrize(("query", "kept", "left_out", "expected"), [
    ("שלום -東京", "שלום", "東京", {"יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים"}),
    ("שָׁלוֹם -東京", "שלום", "東京", {"יומן", "מכתב", "שָׁלוֹם עוֹלָם", "שלום חברים"}),
    ("東京 -שלום", "東京", "שלום", {"先週の旅行"}),
    ("東京 -שָׁלוֹם", "東京", "שלום", {"先週の旅行"}),
    ("يساعد -東京", "يساعد", "東京", {"المعلم", "عون"}),
    ("東京 -يُساعِدُ", "東京", "يساعد", {"先週の旅行", "טוקיו"}),
])
def test_a_word_left_out_beside_cjk_and_hebrew_or_arabic_words_reads_both_indexes(
        tokyo_db: Path, query: str, kept: str, left_out: str, expected: set[str]) -> None:
    """`-word` beside a CJK word and a Hebrew or Arabic one, in an archive holding marks: the
    posts of the word kept without those of the word left out, both read without marks (טוקיו,
    written שָׁלוֹם beside 東京, is left out by `-שלום`), in the ranked search and in the posts
    table's box alike. The box sends such a search to the ranked search's reading (its
    `_wxa_search`); sent to posts_unmarked alone, `東京 -שלום` found no post, and to the main
    index's path for words left out (cjk_search._leaving_out), `שלום -東京` lost the posts
    written שָׁלוֹם."""
    assert set(titles(tokyo_db, kept)) - set(titles(tokyo_db, left_out)) == expected
    assert set(titles(tokyo_db, query)) == expected
    pytest.importorskip("datasette")
    from search_hits import table_search
    assert set(table_search(tokyo_db, query)[0]) == expected


# Hebrew and Arabic written with marks against CJK text (Japanese writes no spaces around a
# foreign word), and a post written with marks elsewhere: the archive holds marks.
GLUED = [
    Article(url=f"{AR}/post/glued", title="東京のكِتَابです", language="ja",
            body_text="アラビア語の本を読みました"),
    Article(url=f"{HE}/post/glued", title="旅", language="ja",
            body_text="先週東京でתּוֹדָהと言いました"),
    CORPUS[0],
]


@pytest.mark.parametrize(("query", "expected"), [
    ("كتاب", ["東京のكِتَابです"]), ("كِتَاب", ["東京のكِتَابです"]),
    ("תודה", ["旅"]), ("תּוֹדָה", ["旅"]), ("תודה 東京", ["旅"]), ("東京 AND תודה", ["旅"]),
    ("title:(كتاب OR 大阪)", ["東京のكِتَابです"])])
def test_a_word_written_with_marks_against_cjk_text_is_found_with_or_without_them(
        tmp_path: Path, query: str, expected: list[str]) -> None:
    """The bigram index holds the words written against CJK text, and its tokenizer read a
    vowel mark as a space: `東京でתּוֹדָה` was held as ת וֹ ד ה pieces (the query's marks are taken
    out: `תודה`), so the word was found neither with its marks nor without them."""
    path = archive_of(tmp_path / "archive.db", GLUED)
    assert titles(path, query) == expected


def test_a_word_written_with_marks_against_cjk_text_follows_the_posts_holding_it_free(
        tmp_path: Path) -> None:
    """With a post holding תּוֹדָה standing free (the main and mark-free indexes find it), the
    one writing it against CJK text was not found: the bigram index was read only when no
    post held the word free."""
    path = archive_of(tmp_path / "archive.db", [
        GLUED[1], Article(url=f"{HE}/post/free", title="Free", body_text="אמרתי תּוֹדָה לכולם"),
        Article(url=f"{HE}/post/plain", title="Plain", body_text="אמרתי תודה לכולם")])
    for typed in ("תודה", "תּוֹדָה"):
        found = titles(path, typed)
        assert set(found[:2]) == {"Free", "Plain"} and found[2:] == ["旅"], typed
        # Its snippet marks the word as written (it had no mark: the marks of the text were
        # not in the word looked up).
        assert hits(path, typed)[2] == ("旅", "先週東京で[תּוֹדָה]と言いました")
        with Archive.open(path, readonly=True) as archive:
            assert count(archive, SearchQuery(typed)) == 3


def test_an_archive_from_v25_gets_the_marks_against_cjk_text_taken_out_when_opened(
        tmp_path: Path) -> None:
    path = archive_of(tmp_path / "archive.db", GLUED)
    with sqlite3.connect(path) as conn:  # as v25 stored them: with their marks
        for column, bare, marked in (("cjk_title", "كتاب", "كِتَاب"), ("cjk", "תודה", "תּוֹדָה")):
            conn.execute(f"UPDATE posts SET {column} = replace({column}, ?, ?)", (bare, marked))
        conn.execute("DROP INDEX posts_recorded_newest")  # v27's
        conn.execute("DROP INDEX recovered_record")  # v28's
        conn.execute("PRAGMA user_version = 25")
    assert titles(path, "كتاب") == titles(path, "תודה") == []  # read-only, as before
    with Archive.open(path) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
    assert titles(path, "كِتَاب") == ["東京のكِتَابです"]
    assert titles(path, "תודה") == ["旅"]
    pytest.importorskip("datasette")
    from search_hits import table_search
    assert table_search(path, "תודה 東京")[0] == ["旅"]
