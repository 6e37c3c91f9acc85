"""Full Unicode case folding in search (archive/search/casefold.py): ß is ss, İ is i, ﬁ is fi,
in the query's words and in --author, --tag and --category, on a real archive file."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from outputs import wixarchive
from search_hits import archive_of, table_search

from archive.schema import FTS_TOKENIZE_SQL
from archive.search import SearchError, SearchQuery, count, search
from archive.search.casefold import FULL_FOLDS, LETTER_VARIANTS, as_indexed, word_phrases
from archive.search.query import UNDECOMPOSED, fold_case
from archive.store import Archive
from crawler.extract.record import Article


def post(slug: str, title: str, body: str, **fields: object) -> Article:
    return Article(url=f"https://a.example.com/post/{slug}", title=title, body_text=body,
                   **fields)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("casefold") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([
            post("eins", "Eins", "Die Straße am Fluss, ein Garten.", author="Johann Strauß",
                 tags=["Straße"], categories=["Wien"]),
            post("zwei", "Zwei", "Die Strasse am Berg, ein Garten.", author="Anna Strauss",
                 tags=["Strasse"], categories=["İzmir"]),
            post("drei", "Drei", "İstanbul ist schön, ein Garten. Une ﬁne bouche.",
                 author="İlker Yılmaz", tags=["İzmir"], categories=["izmir"]),
        ])
    return path


def titles(db: Path, text: str, **filters: str) -> list[str | None]:
    with Archive.open(db, readonly=True) as archive:
        return sorted(hit.title for hit in search(archive, SearchQuery(text, **filters)))


@pytest.mark.parametrize("typed", ["STRASSE", "strasse", "Straße", "STRAẞE"])
def test_sharp_s_and_ss_find_each_other(db: Path, typed: str) -> None:
    assert titles(db, typed) == ["Eins", "Zwei"]
    assert titles(db, f"garten -{typed}") == ["Drei"]  # left out both ways too


def test_the_command_finds_strasse_in_strasse_with_sharp_s(db: Path) -> None:
    result = wixarchive("search", "STRASSE", "--db", str(db), check=True)
    assert "1. " in result.stdout and "[Straße]" in result.stdout
    assert "[Strasse]" in result.stdout


def test_turkish_dotted_capital_i_matches_its_lower_case(db: Path) -> None:
    assert titles(db, "İSTANBUL") == titles(db, "istanbul") == ["Drei"]
    for typed in ("izmir", "İZMİR", "İzmir", "IZMIR"):
        assert titles(db, "garten", tag=typed) == ["Drei"], typed
    # Both categories fold to izmir: İzmir and izmir are one name in any case.
    assert titles(db, "garten", category="İZMİR") == ["Drei", "Zwei"]
    assert titles(db, "garten", author="ilker") == ["Drei"]


def test_ligatures_fold_to_their_letters(db: Path) -> None:
    assert titles(db, "fine bouche") == titles(db, "ﬁne") == ["Drei"]


@pytest.mark.parametrize("typed", ["STRASSE", "straße", "Strasse"])
def test_tag_and_author_filters_fold_sharp_s(db: Path, typed: str) -> None:
    assert titles(db, "garten", tag=typed) == ["Eins", "Zwei"]
    assert titles(db, "garten", author=typed.replace("STRASSE", "STRAUSS")
                  .replace("straße", "strauß").replace("Strasse", "Strauss")) == ["Eins", "Zwei"]


def test_a_tag_filter_ranking_from_the_posts_holding_the_name_keeps_other_spellings(
        tmp_path: Path) -> None:
    # Posts tagged Straße and Strasse, with the word in the body only: the ranking that skips
    # to the posts holding the tag's words in the tags column must not drop the other spelling.
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([post(str(n), f"Post {n}", "garten", tags=[tag])
                               for n, tag in enumerate(["Straße", "Strasse"] * 3)])
        for typed in ("strasse", "Straße"):
            assert len(search(archive, SearchQuery("garten", tag=typed))) == 6, typed


def test_fresh_statistics_rank_folded_words_as_exact_ranking_does(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([post(str(n), f"Post {n}", f"garten {'Straße' if n % 2 else 'x'}")
                               for n in range(12)] + [post("s", "Strasse", "strasse garten")])
        archive.refresh_search_stats()
        assert len(search(archive, SearchQuery("garten strasse", limit=20))) == 7
        assert len(search(archive, SearchQuery("STRASSE", limit=20))) == 7


def test_words_without_another_spelling_in_the_archive_are_searched_as_typed(db: Path) -> None:
    # No lookup for a word that folds as the tokenizer does, and a foldable word is widened
    # only to the spellings the archive holds: the fast paths keep plain words.
    with sqlite3.connect(db) as conn:
        assert word_phrases(conn, ["garten", "ein", "Fluss", "schön"]) == {}
        assert word_phrases(conn, ["STRASSE"]) == {"STRASSE": ["STRASSE", "straße"]}
        # The word as typed is searched unlooked-up: a phrase of a term not held finds nothing.
        assert word_phrases(conn, ["fine", "Fine"]) == {"fine": ["fine", "ﬁne"],
                                                        "Fine": ["Fine", "ﬁne"]}


def every_character_indexed() -> sqlite3.Connection:
    """An in-memory index of every assigned character from U+0080 on, one a row (rowid = its
    code point), with its vocabulary `v`: what the archive's tokenizer makes of each."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={FTS_TOKENIZE_SQL})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", [
        (code, chr(code)) for code in range(0x80, 0x30000)
        if unicodedata.category(chr(code)) not in ("Cs", "Cn")])
    return conn


def test_full_folds_are_the_characters_the_tokenizer_keeps_whose_casefold_is_longer() -> None:
    # Derived from SQLite's unicode61 and Python's casefold, so an upgrade of either that
    # changes the table shows here. Characters newer than unicode61's Unicode 6.1 tables, or
    # folded to one other character, are not full case folding and are left out.
    conn = every_character_indexed()
    derived: dict[str, str] = {}
    # A Latin mark alone is an empty word (NULL): remove_diacritics takes it off.
    for (term,) in conn.execute("SELECT DISTINCT term FROM v WHERE term IS NOT NULL ORDER BY term"):
        folded = fold_case(term)
        if term.casefold() != term and len(folded) > 1 and folded != term:
            derived[folded] = derived.get(folded, "") + term
    assert {key: "".join(sorted(chars)) for key, chars in derived.items()} == {
        key: "".join(sorted(chars)) for key, chars in FULL_FOLDS.items()}


@pytest.fixture(scope="module")
def intl(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("marks") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([
            post("thalassa", "Ελληνικά: η θάλασσα", "Μια μέρα στη θάλασσα.", author="Νίκος"),
            post("caps", "ΘΑΛΑΣΣΑ", "ΚΑΛΟΚΑΙΡΙ ΣΤΗ ΘΑΛΑΣΣΑ ΚΑΙ ΤΟ ΒΟΥΝΟ", author="Νίκος"),
            post("summer", "Καλοκαίρι", "Ήλιος.", author="Νίκος"),
            post("zoe", "Norsk", "Skrevet av Zoë Ødegård i Tromsø.", author="Zoë Ødegård"),
            post("lodz", "Łódź", "Spacer po Łodzi.", author="Michał"),
            post("arabic", "١٢ طريقة للحصول على المتابعين", "نصائح", author="أحمد الخطيب"),
            post("twelve", "12 ways to grow", "Twelve tips.", author="Ann"),
            post("yozh", "Ёжик", "Ёжик в тумане.", author="Юрий"),
        ])
    return path


@pytest.mark.parametrize("typed, expected", [
    ("θαλασσα", ["caps", "thalassa"]), ("θάλασσα", ["caps", "thalassa"]),
    ("ΘΑΛΑΣΣΑ", ["caps", "thalassa"]),
    ("καλοκαίρι", ["caps", "summer"]),  # the unmarked spelling alone is in a text: ΚΑΛΟΚΑΙΡΙ
    ("ηλιος", ["summer"]), ("βουνό", ["caps"]), ("ΒΟΥΝΌ", ["caps"]),
    ("odegard", ["zoe"]), ("ODEGARD", ["zoe"]), ("Ødegård", ["zoe"]), ("tromso", ["zoe"]),
    ("lodz", ["lodz"]), ("michal", ["lodz"]),
    ("12", ["arabic", "twelve"]), ("١٢", ["arabic", "twelve"]), ("۱۲", ["arabic", "twelve"]),
    ("احمد", ["arabic"]), ("أحمد", ["arabic"]),
    ("ежик", ["yozh"]), ("ёжик", ["yozh"]),
])
def test_marks_the_tokenizer_keeps_do_not_matter(intl: Path, typed: str,
                                                 expected: list[str]) -> None:
    with Archive.open(intl, readonly=True) as archive:
        hits = search(archive, SearchQuery(typed))
    assert sorted(hit.url.rsplit("/", 1)[1] for hit in hits) == expected


@pytest.mark.parametrize("typed, expected", [
    ("author:odegard", ["Norsk"]), ("author:احمد", ["١٢ طريقة للحصول على المتابعين"]),
    ("title:θαλασσα", ["ΘΑΛΑΣΣΑ", "Ελληνικά: η θάλασσα"]), ("title:strasse", []),
    ('"zoe odegard" OR title:lodz', ["Norsk", "Łódź"]), ("odeg*", []),
    ("NEAR(zoe odegard)", []),  # NEAR takes phrases only: searched as typed
])
def test_fts_syntax_words_ignore_those_marks_too(intl: Path, typed: str,
                                                 expected: list[str]) -> None:
    assert titles(intl, typed) == sorted(expected)


def test_fts_syntax_finds_sharp_s_from_ss(db: Path) -> None:
    assert titles(db, "title:eins OR body:strasse") == ["Eins", "Zwei"]
    assert titles(db, "tags:strasse") == ["Eins", "Zwei"]


def test_author_option_and_author_column_agree(intl: Path) -> None:
    for name in ("odegard", "احمد", "michal"):
        option = wixarchive("search", "--author", name, "--json", "--db", str(intl), check=True)
        column = wixarchive("search", f"author:{name}", "--json", "--db", str(intl), check=True)
        assert len(json.loads(option.stdout)) == len(json.loads(column.stdout)) == 1, name


def test_letter_variants_are_letters_the_tokenizer_keeps_and_queries_fold() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={FTS_TOKENIZE_SQL})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    for folded, variants in (LETTER_VARIANTS | UNDECOMPOSED).items():
        for variant in variants:
            conn.execute("INSERT INTO t(x) VALUES (?)", (variant,))
            assert fold_case(variant) == fold_case(variant.upper()) == folded, variant
    kept = {term for (term,) in conn.execute("SELECT term FROM v")}
    assert kept == {variant for variants in (LETTER_VARIANTS | UNDECOMPOSED).values()
                    for variant in variants}


def test_as_indexed_folds_each_character_as_the_tokenizer_does() -> None:
    # Derived from SQLite's unicode61, as FULL_FOLDS is: a letter it keeps whole (ѐ, ĳ, ª) read
    # as another made a word typed as stored stop finding its posts. Letters whose case is
    # newer than the tokenizer's Unicode 6.1 tables (it leaves them as they are) are left out.
    conn = every_character_indexed()
    # A Latin mark alone is an empty word (NULL): remove_diacritics takes it off.
    wrong = {chr(code): term for term, code in conn.execute("SELECT term, doc FROM v")
             if as_indexed(chr(code)) != (term or "")
             and not (term == chr(code) != chr(code).casefold())}
    assert wrong == {}
    assert as_indexed("Θάλασσας ЀЛ Ĳssel ǅ ª Ødegård Crème") \
        == "θάλασσασ ѐл ĳssel ǆ ª ødegard creme"


def test_a_word_typed_as_stored_finds_its_post_beside_other_spellings(tmp_path: Path) -> None:
    # Macedonian сѐ ("everything") and Russian сё: each typed as stored finds its post, and
    # сѐ, read as се, finds сё too.
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([post("mk", "Македонски", "Тоа е сѐ.")])
        assert len(search(archive, SearchQuery("сѐ"))) == 1
        archive.save_articles([post("ru", "Русский", "Вот и сё.")])
        assert sorted(hit.title for hit in search(archive, SearchQuery("сѐ"))) == [
            "Македонски", "Русский"]
        assert [hit.title for hit in search(archive, SearchQuery("title:македонски AND сѐ"))] \
            == ["Македонски"]


def test_greek_words_ending_in_final_sigma_keep_the_fast_path(intl: Path) -> None:
    # unicode61 indexes ς as σ: a word held only as typed is searched as typed (no phrases).
    with sqlite3.connect(intl) as conn:
        assert word_phrases(conn, ["ΗΛΙΟΣ", "ήλιος"]) == {"ΗΛΙΟΣ": ["ΗΛΙΟΣ", "ήλιοσ"]}
        assert word_phrases(conn, ["Ήλιος"]) == {}


def test_o_l_d_and_digits_cost_no_lookup_in_an_archive_without_their_variants(
        tmp_path: Path) -> None:
    # Nearly every word has an o, l, d or a digit: ø ł đ and Arabic-Indic digits are looked up
    # only in an archive with a word starting with one, checked once per connection until the
    # archive changes.
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([post("en", "London", "Hello world, 12 gardens in Tromsø.")])
        statements: list[str] = []
        archive.conn.set_trace_callback(statements.append)
        for _ in range(2):
            statements.clear()
            assert [hit.title for hit in search(archive, SearchQuery("london gardens 12"))] \
                == ["London"]
        archive.conn.set_trace_callback(None)
        assert not [sql for sql in statements if "_vocab" in sql]
        archive.save_articles([post("hr", "Đorđe", "Đorđe i Ødegård, ١٢.")])
        assert [hit.title for hit in search(archive, SearchQuery("dorde"))] == ["Đorđe"]
        assert sorted(hit.title for hit in search(archive, SearchQuery("12"))) == [
            "London", "Đorđe"]
        assert [hit.title for hit in search(archive, SearchQuery("tromso"))] == ["London"]


@pytest.mark.parametrize("typed", ["STRASSE AND", "title:strasse AND ("])
def test_a_query_error_quotes_the_query_as_typed(db: Path, typed: str) -> None:
    """A malformed query quoted the expression its words were widened to, which the user never
    typed: "malformed query '("STRASSE" OR "straße") AND'"."""
    with Archive.open(db, readonly=True) as archive, pytest.raises(SearchError) as raised:
        search(archive, SearchQuery(typed))
    assert str(raised.value).startswith(f"malformed query {typed!r}: ")


@pytest.fixture(scope="module")
def turkish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("turkish") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([
            post("isik", "Işık Terapisi", "Kış aylarında ışıkların etkisi büyük.",
                 author="Işıl Yılmaz", tags=["kaygı", "ışık terapisi"]),
            post("ilik", "ILIK SU", "HAFTADA BIR ILIK BIR AKŞAM.", author="İlkay Öztürk"),
            post("en", "Lighting", "Tips on lighting a kitchen.", author="Ann Lee"),
        ])
    return path


@pytest.mark.parametrize("typed", ["IŞIK", "Işık", "ışık", "isik", "ISIK"])
def test_turkish_dotless_i_matches_its_capital_and_a_plain_i(turkish: Path, typed: str) -> None:
    # Turkish writes ı (capital I) and i (capital İ): IŞIK and ışık are one word, which an
    # ASCII keyboard types isik; the index holds it as the text spelled it (ışık, ısık, isik).
    assert titles(turkish, typed) == ["Işık Terapisi"]
    assert titles(turkish, f"title:{typed}") == ["Işık Terapisi"]


def test_turkish_words_in_capitals_are_found_in_lower_case_and_back(turkish: Path) -> None:
    for typed in ("ılık", "ilik", "ILIK", "akşam"):
        assert titles(turkish, typed) == ["ILIK SU"], typed
    # Three dotless i in one word, typed without them.
    assert titles(turkish, "ISIKLARIN") == titles(turkish, "isiklarin") == ["Işık Terapisi"]
    assert titles(turkish, "kis") == ["Işık Terapisi"]
    assert titles(turkish, "tips") == ["Lighting"]


def test_turkish_names_and_labels_match_in_any_case(turkish: Path) -> None:
    for typed in ("isil", "IŞIL", "Işıl", "ışıl"):
        assert titles(turkish, "", author=typed) == ["Işık Terapisi"], typed
    for typed in ("KAYGI", "kaygı", "IŞIK TERAPİSİ"):
        assert titles(turkish, "", tag=typed) == ["Işık Terapisi"], typed


def table_titles(db: Path, typed: str) -> list[str]:
    pytest.importorskip("datasette")
    return table_search(db, typed)[0]


@pytest.mark.parametrize("typed, which, expected", [
    ("strasse", "db", ["Eins", "Zwei"]), ("STRASSE", "db", ["Eins", "Zwei"]),
    ("garten -strasse", "db", ["Drei"]), ("odegard", "intl", ["Norsk"]),
    ("isik", "turkish", ["Işık Terapisi"])])
def test_the_posts_table_search_box_widens_ascii_words_as_the_ranked_search(
        request: pytest.FixtureRequest, typed: str, which: str, expected: list[str]) -> None:
    """The posts table's search box widened words beyond ASCII only (archive/web/cjk_search.py):
    `strasse` found the post writing Strasse but not the one writing Straße, `odegard` no
    Ødegård, `isik` no ışık, which the ranked search and `search` find."""
    path = request.getfixturevalue(which)
    assert titles(path, typed) == expected  # the ranked search's answer
    assert table_titles(path, typed) == expected


@pytest.fixture(scope="module")
def beside_cjk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archive_of(tmp_path_factory.mktemp("casefold-cjk") / "archive.db", [
        post("sharp", "Sharp", "Die Straße in 東京 ist lang"),
        post("double", "Double", "Die Strasse in 東京 ist kurz"),
        post("joiner", "Joiner", "من می\u200cخواهم به 東京 بروم"),
        post("joined", "Joined", "من میخواهم به 東京 بروم"),
        post("tokyo", "Tokyo", "先週、東京に行きました")])


@pytest.mark.parametrize("typed, expected", [
    ("strasse 東京", ["Double", "Sharp"]), ("東京 Straße", ["Double", "Sharp"]),
    ("میخواهم 東京", ["Joined", "Joiner"]), ("東京 می\u200cخواهم", ["Joined", "Joiner"]),
    ("東京 -strasse", ["Joined", "Joiner", "Tokyo"]),
    ("東京 -میخواهم", ["Double", "Sharp", "Tokyo"]),
    ("strasse AND 東京", ["Double", "Sharp"]), ("東京 NOT strasse", ["Joined", "Joiner", "Tokyo"]),
    ("میخواهم AND 東京", ["Joined", "Joiner"]),
    ("title:strasse OR 東京", ["Double", "Joined", "Joiner", "Sharp", "Tokyo"])])
def test_the_posts_table_search_box_widens_words_beside_a_cjk_word_as_the_ranked_search(
        beside_cjk: Path, typed: str, expected: list[str]) -> None:
    """A word beside a CJK word, kept or left out: the box (its bigram-index reading,
    archive/web/cjk_search.py, and its reading of two indexes, table_search.py) looked it up as
    typed, so `strasse 東京` missed the post writing Straße, `میخواهم 東京` the one writing
    می‌خواهم (with a joiner), and `東京 -strasse` listed the post writing Straße, where the
    ranked search widens the word to the spellings the index holds. FTS5 syntax over a CJK
    word (`strasse AND 東京`) was not widened by the ranked search either, though docs/search.md
    says FTS5 syntax is widened word by word."""
    assert sorted(titles(beside_cjk, typed)) == expected  # the ranked search's answer
    assert table_titles(beside_cjk, typed) == expected


@pytest.fixture(scope="module")
def titled_beside_cjk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return archive_of(tmp_path_factory.mktemp("casefold-cjk-titles") / "archive.db", [
        post("sharp", "Die Straße", "Ein Weg in Berlin."),
        post("double", "Die Strasse", "Ein Weg in Wien."),
        post("tokyo", "東京の旅", "先週、行きました。"),
        post("osaka", "大阪", "先週、東京に行きました. Die Straße.")])


@pytest.mark.parametrize("typed, expected", [
    ("title:strasse OR 東京", ["Die Strasse", "Die Straße", "大阪", "東京の旅"]),
    ("title:(東京 OR strasse)", ["Die Strasse", "Die Straße", "東京の旅"]),
    ("title:strasse OR title:東京", ["Die Strasse", "Die Straße", "東京の旅"]),
    ("{title body}:(strasse OR 東京)", ["Die Strasse", "Die Straße", "大阪", "東京の旅"]),
    ("-title:(東京 OR strasse)", ["大阪"]),
    ("title:(strasse OR 東京) AND body:berlin", ["Die Straße"]),
    # A filter inside a filtered group is both (FTS5's reading): no column, no post.
    ("title:(body:東京) OR strasse", ["Die Strasse", "Die Straße", "大阪"])])
def test_a_column_filter_beside_a_cjk_word_widens_its_words_and_finds_the_cjk_word(
        titled_beside_cjk: Path, typed: str, expected: list[str]) -> None:
    """A column filter in FTS5 syntax holding a CJK word was searched as typed, where the same
    words unfiltered are widened: `title:strasse OR 東京` missed *Die Straße*, and over a group
    (`title:(東京 OR strasse)`, which cjk_syntax did not read) the main index ran it, where 東京
    matched only a whole run: *東京の旅* was missed, in `search` and the posts table's box."""
    assert sorted(titles(titled_beside_cjk, typed)) == expected  # the ranked search's answer
    assert table_titles(titled_beside_cjk, typed) == expected


@pytest.mark.parametrize("typed, as_written, expected", [
    ('東京 -"strasse"', '東京 NOT "strasse"', ["Joined", "Joiner", "Tokyo"]),
    ("東京 -strass*", "東京 NOT strass*", ["Joined", "Joiner", "Sharp", "Tokyo"])])
def test_the_box_reads_a_dashed_phrase_beside_a_cjk_word_as_the_not_the_ranked_search_asks_for(
        beside_cjk: Path, typed: str, as_written: str, expected: list[str]) -> None:
    """`東京 -"strasse"` listed the posts WITH Straße and Strasse: its phrase was searched as a
    word to find, the dash a word of its own."""
    assert sorted(titles(beside_cjk, as_written)) == expected
    assert table_titles(beside_cjk, typed) == expected


def test_a_dashed_phrase_widened_to_its_spellings_says_to_write_not(db: Path) -> None:
    """`garten -"strasse"`, its phrase widened to `-("strasse" OR "straße")`: FTS5 said
    'syntax error near "("' and the hint to quote words, which they were."""
    with pytest.raises(SearchError, match=r"^malformed query 'garten -\"strasse\"': in FTS5 "
                       r"syntax -\"strasse\" names columns to leave out; to leave out posts with "
                       r"the words, write NOT \"strasse\"$"):
        titles(db, 'garten -"strasse"')
    assert titles(db, 'garten NOT "strasse"') == ["Drei"]  # as it says


@pytest.mark.parametrize("typed", ["garten -strasse OR fluss", "fluss OR garten* -strasse"])
def test_a_dashed_word_widened_to_its_spellings_says_to_write_not(db: Path, typed: str) -> None:
    """`garten -strasse OR fluss` (FTS5 syntax), its word widened to `-("strasse" OR
    "straße")`: FTS5 said 'syntax error near "("' and the hint to quote words, where a word
    with no other spelling (`garten -berg OR fluss`) is told to write NOT berg."""
    with pytest.raises(SearchError, match=r"to leave out posts with the word, write NOT strasse"):
        titles(db, typed)
    with pytest.raises(SearchError, match=r"write NOT berg"):
        titles(db, "garten -berg OR fluss")


@pytest.mark.parametrize("typed, as_written, expected", [
    ('garten -"strasse"', 'garten NOT "strasse"', ["Drei"]),
    # A prefix is not widened (strass* is no prefix of straße), by the ranked search either.
    ("garten -strass*", "garten NOT strass*", ["Drei", "Eins"]),
    ('garten -"strasse" -"fluss"', 'garten NOT ("strasse" OR "fluss")', ["Drei"]),
    # Beside OR, where it stands, as the NOT the ranked search asks for binds (tighter than
    # OR): the box read `(garten OR fluss) NOT strasse`, leaving out Eins (Straße am Fluss).
    ('garten -"strasse" OR fluss', 'garten NOT "strasse" OR fluss', ["Drei", "Eins"]),
    ("garten -strasse OR fluss", "garten NOT strasse OR fluss", ["Drei", "Eins"]),
    ("fluss OR garten* -strasse", "fluss OR garten* NOT strasse", ["Drei", "Eins"]),
    # Beside another word: words side by side bind tighter than NOT (`garten NOT berg die` is
    # garten NOT (berg die)), so the NOT goes after them; Drei, without die, was found.
    ('garten -"berg" die', 'garten die NOT "berg"', ["Eins"]),
    ("garten -strass* die", "garten die NOT strass*", ["Eins"]),
    ('garten -"strasse" die OR berg', 'garten die NOT "strasse" OR berg', ["Zwei"]),
    ('(garten -"berg" die) OR fluss', '(garten die NOT "berg") OR fluss', ["Eins"])])
def test_the_box_reads_a_dashed_phrase_or_prefix_as_the_not_the_ranked_search_asks_for(
        db: Path, typed: str, as_written: str, expected: list[str]) -> None:
    """The ranked search refuses `garten -"strasse"` and `garten -strass*`, telling to write
    NOT; the box found nothing for them (its words quoted: `"-"`, `"-strass*"`) rather than
    the posts without strasse."""
    assert titles(db, as_written) == expected
    assert table_titles(db, typed) == expected


@pytest.mark.parametrize("typed, as_written, expected", [
    # A side of an OR that only leaves out has no words for its NOT: it finds no post, as a
    # search that only leaves out does. The box quoted every word: "garten" "or", no post.
    ("garten -berg OR -fluss", "garten NOT berg", ["Drei", "Eins"]),
    ("-fluss OR garten", "garten", ["Drei", "Eins", "Zwei"]),
    ("(-fluss OR -berg) OR ein", "ein", ["Drei", "Eins", "Zwei"]),
    # Beside OR or AND alone, the box read them as words to find ("or", "and": no post).
    ("garten OR -berg", "garten", ["Drei", "Eins", "Zwei"]),
    ("garten AND (die OR -berg)", "garten AND (die)", ["Eins", "Zwei"])])
def test_a_side_of_an_or_that_only_leaves_out_finds_no_post_in_the_box_and_the_search_says_so(
        db: Path, typed: str, as_written: str, expected: list[str]) -> None:
    """FTS5 reads `garten -berg OR -fluss` as columns berg and fluss (`no such column`), and
    `sqlite-utils search --quote` as the four words, `or` among them; the ranked search named
    berg only, telling to write NOT berg, and then NOT fluss, which FTS5 cannot parse after
    OR. It now names the side that leaves out of nothing and the query to write, which is
    what the box finds."""
    with pytest.raises(SearchError, match=rf"only leaves? words out, with no word to find "
                       rf".*so such a side finds no post; write {re.escape(as_written)}$"):
        titles(db, typed)
    assert titles(db, as_written) == expected
    assert table_titles(db, typed) == expected


@pytest.mark.parametrize("typed, as_written, expected", [
    ("garten (-berg OR -fluss)", "garten NOT berg OR garten NOT fluss", ["Drei", "Eins", "Zwei"]),
    ("garten NOT (-berg)", "garten NOT berg", ["Drei", "Eins"]),
    ("garten AND (-berg)", "garten NOT berg", ["Drei", "Eins"])])
def test_words_beside_a_group_that_only_leaves_out_are_told_the_query_to_write(
        db: Path, typed: str, as_written: str, expected: list[str]) -> None:
    """`garten (-berg OR -fluss)` and `garten NOT (-berg)` have a word to find, garten, but the
    error told to "add a word to find": the group beside it only leaves out, so it finds no
    post. The error now names the query to write, each side of the group leaving its words out
    of garten (a NOT before the group read as leaving them out)."""
    with pytest.raises(SearchError, match=rf"only leaves? words out, with no word to find "
                       rf".*so such a side finds no post; write {re.escape(as_written)}$"):
        titles(db, typed)
    assert titles(db, as_written) == expected


@pytest.mark.parametrize("typed, as_written, expected", [
    ("garten -am-fluss OR berg", "garten NOT am-fluss OR berg", ["Drei", "Zwei"]),
    ("(garten -am-fluss) OR berg", "(garten NOT am-fluss) OR berg", ["Drei", "Zwei"]),
    ("garten -am-fluss -berg OR ist", "garten NOT am-fluss NOT berg OR ist", ["Drei"])])
def test_a_hyphenated_word_left_out_in_fts5_syntax_is_named_and_left_out_whole(
        db: Path, typed: str, as_written: str, expected: list[str]) -> None:
    """`garten -am-fluss OR berg` (a word written with a hyphen, `e-mail`, left out beside an
    OR): the error said to write `NOT am` (FTS5 names the column `am`), which leaves out
    another word; the box read `-am` as the word left out and the rest as words to find, OR
    among them (`"garten" "-fluss" "OR" "berg"`), and found no post."""
    with pytest.raises(SearchError, match=r"-am-fluss names columns to leave out; to leave out "
                       r"posts with the word, write NOT am-fluss$"):
        titles(db, typed)
    assert titles(db, as_written) == expected
    assert table_titles(db, typed) == expected


@pytest.mark.parametrize("typed", ["garten (-berg)", "(-berg) garten", "garten ((-berg))",
                                   "garten (-berg"])
def test_a_word_left_out_in_parentheses_without_operators_is_left_out(db: Path,
                                                                     typed: str) -> None:
    """Parentheses without an operator are no FTS5 syntax: the words are searched as typed.
    `garten (-berg)` searched *berg* as a word to find, the parenthesis before its dash
    hiding it: the search, its count and the box listed the post WITH berg (Zwei), the
    opposite of what was asked, where `garten AND (-berg)` is told to write garten NOT berg."""
    assert titles(db, typed) == ["Drei", "Eins"]
    with Archive.open(db, readonly=True) as archive:
        assert count(archive, SearchQuery(typed)) == 2
    assert table_titles(db, typed) == ["Drei", "Eins"]


@pytest.mark.parametrize("typed", ["-title:fluss", "-Title:fluss", "-{title}:fluss",
                                   '-"title":fluss', "-{title tags}: fluss"])
def test_a_column_filter_leaving_columns_out_alone_finds_posts_in_the_box_too(
        db: Path, typed: str) -> None:
    """`-title:fluss` is FTS5's filter of every column but the title: the ranked search finds
    the posts with *fluss* elsewhere; the box read it as a word left out, a search that only
    leaves out, and listed no post (until 2026-12-07)."""
    assert titles(db, typed) == ["Eins"]
    assert table_titles(db, typed) == ["Eins"]


@pytest.mark.parametrize("typed", ["titel:garten OR -fluss", "(titel:garten -berg) OR -fluss",
                                   "-fluss OR titel:garten", "-fluss OR (titel:garten -berg)"])
def test_a_misspelled_column_beside_a_side_that_only_leaves_out_is_named_with_it(
        db: Path, typed: str) -> None:
    """FTS5 names the first fault it meets: `titel`, misspelled, in `titel:garten OR -fluss`,
    and in `-fluss OR titel:garten` the column `fluss` (FTS5's reading of -fluss). The error
    said to write `titel:garten` for the one, which failed next on the column, and named the
    column alone for the other, the side that only leaves out on the next search (two searches
    to learn of two faults); it names both, the column first, with the columns there are."""
    with pytest.raises(SearchError, match=r"^unknown column 'titel' in query \(columns: title:.*"
                       r"; and '-fluss' only leaves words out, with no word to find before: .*"
                       r"so such a side finds no post$"):
        titles(db, typed)


# Straße standing free, and Straße, Strasse and θάλασσα written against CJK text (Japanese
# writes no spaces around a foreign word).
GLUED_SPELLINGS = [
    post("free", "Die Straße", "Die Straße am Fluss."),
    post("glued", "Glued", "先週東京でStraßeと言いました"),
    post("glued-ss", "Glued ss", "先週東京でStrasseと言いました"),
    post("titled", "東京でstraßeと", "写真です"),
    post("greek", "Greek", "東京でθάλασσαを見ました"),
    post("walk", "Walk", "東京でstraßeと walk"),
]


@pytest.mark.parametrize("corpus", [GLUED_SPELLINGS, GLUED_SPELLINGS[1:]],
                         ids=["beside-free", "glued-only"])
@pytest.mark.parametrize("typed, free, glued", [
    ("strasse", {"Die Straße"}, {"Glued", "Glued ss", "Walk", "東京でstraßeと"}),
    ("STRASSE", {"Die Straße"}, {"Glued", "Glued ss", "Walk", "東京でstraßeと"}),
    ("straße", {"Die Straße"}, {"Glued", "Glued ss", "Walk", "東京でstraßeと"}),
    ("strasse -walk", {"Die Straße"}, {"Glued", "Glued ss", "東京でstraßeと"}),
    ("title:strasse", {"Die Straße"}, {"東京でstraßeと"}),
    ("strasse NOT walk", {"Die Straße"}, {"Glued", "Glued ss", "東京でstraßeと"}),
    ("θαλασσα", set(), {"Greek"})])
def test_a_word_with_other_spellings_is_found_written_against_cjk_text(
        tmp_path: Path, corpus: list[Article], typed: str, free: set[str], glued: set[str],
        ) -> None:
    """`strasse` found *Die Straße* but not *東京でStraßeと*, nor *東京でStrasseと* once a post
    held Straße standing free: a word with other spellings in the archive was not looked up
    where it is written against CJK text, and in the bigram index (which folds case alone) the
    word as typed missed the other spellings there. Both are looked up now, after the posts
    holding the word standing free, counted, and the snippet marks the spelling written."""
    path = archive_of(tmp_path / "archive.db", corpus)
    free = free & {article.title for article in corpus}
    found = titles(path, typed)
    assert set(found[:len(free)]) == free and set(found[len(free):]) == glued
    assert len(found) == len(free) + len(glued)
    with Archive.open(path, readonly=True) as archive:
        assert count(archive, SearchQuery(typed)) == len(found)
        snippets = {hit.title: hit.marked_snippet("[", "]")
                    for hit in search(archive, SearchQuery(typed))}
    if "Glued" in glued:
        assert snippets["Glued"] == "先週東京で[Straße]と言いました"
        assert snippets["Glued ss"] == "先週東京で[Strasse]と言いました"


def test_a_dash_inside_a_phrase_is_part_of_it_when_the_box_searches_the_words(db: Path) -> None:
    """A search FTS5 cannot parse (a stray parenthesis) is searched as its words, those left
    out apart: the dash inside `"ein -garten"` was read as leaving *garten* out, so every post
    was left out, where the phrase's words are words to find."""
    assert table_titles(db, '"ein -garten" -fluss (') == ["Drei", "Zwei"]


# Words enough that the query is read in its 256 parts (cjk_syntax.MAX_PARTS) as typed, and
# past them with `strasse` widened to `("strasse" OR "straße")`; and the same in 64
# parentheses (cjk_syntax.MAX_DEPTH), a group deeper when widened.
_NOWHERE = " OR ".join(f"nowhere{n}" for n in range(125))


@pytest.mark.parametrize("typed", [f"title:strasse OR 東京 OR {_NOWHERE}",
                                   "(" * 64 + "title:strasse OR 東京" + ")" * 64])
def test_a_query_beside_a_cjk_word_is_widened_however_many_parts_widening_adds(
        titled_beside_cjk: Path, typed: str) -> None:
    """A query read word by word (a CJK word in it) within the parts and parentheses read
    there, but past them once its words were widened to their other spellings, ran as typed,
    without saying so: *Die Straße* was missed, by `search`, its count and the box."""
    expected = ["Die Strasse", "Die Straße", "大阪", "東京の旅"]
    assert sorted(titles(titled_beside_cjk, typed)) == expected
    with Archive.open(titled_beside_cjk, readonly=True) as archive:
        assert count(archive, SearchQuery(typed)) == 4
    assert table_titles(titled_beside_cjk, typed) == expected
