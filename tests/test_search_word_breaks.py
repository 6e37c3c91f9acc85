"""Where words break in the search indexes: a Latin combining mark standing alone after a space is
no word (schema v24; it was an empty one, taking a word's place), on real archive files, through
the ranked search, and after the upgrade of an archive indexed before v24; and a word written
with a zero-width joiner or non-joiner is found typed with it, without it or with a space."""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import pytest
from search_hits import archive_of, table_search, titles
from test_cli_search import run

from archive import schema
from archive.search.query import fold
from archive.search.tokens import REMOVED_MARKS, TOKEN
from archive.store import Archive
from archive.tokenizer_marks import characters
from crawler.extract.record import Article

SITE = "https://notes.wixsite.com/blog"
# A stray acute accent typed after a space, as a dead key pressed twice or a pasted word leaves.
STRAY = "Turn the compost \u0301 weekly and water the bed \u0300\u0301 often."
CORPUS = [
    Article(url=f"{SITE}/post/stray", title="Garden notes", language="en", body_text=STRAY),
    Article(url=f"{SITE}/post/ecole", title="Back to school", language="fr",
            body_text=unicodedata.normalize("NFD", "L'école et le café du coin.")),
]
# Found only when the lone marks take no word's place.
ACROSS = ['"compost weekly"', "NEAR(compost weekly, 0)", '"bed often"']


def build(path: Path) -> Path:
    return archive_of(path, CORPUS)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("breaks") / "archive.db")


@pytest.mark.parametrize("query", ACROSS)
def test_a_phrase_or_near_across_a_lone_mark_finds_the_post(db: Path, query: str) -> None:
    assert titles(db, query) == ["Garden notes"]


def test_decomposed_latin_letters_are_still_one_word(db: Path) -> None:
    assert titles(db, "ecole") == titles(db, '"école et"') == ["Back to school"]
    assert titles(db, '"le cafe du coin"') == ["Back to school"]


def test_the_tokenizer_and_token_agree_on_lone_marks() -> None:
    """The index's words and TOKEN's (the fast path's units and phrases) are the same."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={schema.FTS_TOKENIZE_SQL})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    texts = [STRAY, "\u0301start", "a \u0308\u0327 b", *(f"x {mark} y" for mark in REMOVED_MARKS)]
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(texts, 1))
    for doc, text in enumerate(texts, 1):
        indexed = [term for (term,) in conn.execute(
            "SELECT term FROM v WHERE doc = ? ORDER BY offset", (doc,))]
        assert indexed == TOKEN.findall(fold(text)), text.encode("unicode_escape")
        assert "" not in indexed and None not in indexed


def test_word_marks_are_every_mark_but_the_removed_and_the_unspaced() -> None:
    """The `tokenchars` of the tokenizer: every mark (Mn, Mc) of this Python's Unicode but the
    25 unicode61 removes and those of the scripts written without spaces."""
    import re

    word_marks = set(characters(schema.WORD_MARKS))
    unspaced = set(characters(schema.UNSPACED_MARKS))
    marks = {char for char in map(chr, range(0x80, 0x110000))
             if unicodedata.category(char) in ("Mn", "Mc")}
    assert word_marks == marks - unspaced - REMOVED_MARKS
    assert re.fullmatch(r"[^']*", schema.FTS_TOKENIZE.split("tokenchars '")[1].split("'")[0])


def undo_v24(path: Path) -> Path:
    """The archive as v23 indexed it: a lone Latin mark an empty word (and no v25, v27 or v28
    indexes)."""
    with sqlite3.connect(path) as conn:
        for index in ("posts_newest", "posts_site_recorded", "posts_recorded_newest",
                      "recovered_record"):
            conn.execute(f"DROP INDEX {index}")
        schema._script(conn, schema.V22)  # the indexes made again as v22 made them
        conn.execute("PRAGMA user_version = 23")
    conn.close()
    return path


def test_an_archive_from_v23_is_indexed_again_when_opened_for_writing(tmp_path: Path) -> None:
    path = undo_v24(build(tmp_path / "archive.db"))
    with sqlite3.connect(path) as conn:
        assert schema.FTS_TOKENIZE_V22_SQL in conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'posts_fts'").fetchone()[0]
    conn.close()
    # Read-only, it is searched as it is: the lone mark still stands between the words.
    for query in ACROSS:
        assert titles(path, query) == [], query
    result = run("check", "--db", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Upgraded {path} from schema v23 to v{schema.SCHEMA_VERSION}" in result.stderr
    for query in ACROSS:
        assert titles(path, query) == ["Garden notes"], query
    assert titles(path, "ecole") == ["Back to school"]
    result = run("search", "compost weekly", "--db", str(path))
    assert result.returncode == 0 and "Garden notes" in result.stdout


# Zero-width joiners (archive/search/joiners.py): a word is found however the joiner is typed.
ZWNJ, ZWJ = "\u200c", "\u200d"
FA = "https://farsi-blog.wixsite.com/blog"
BN = "https://bangla-khobor.wixsite.com/blog"
JOINED_CORPUS = [
    Article(url=f"{FA}/post/zwnj", title="نیم‌فاصله", language="fa",
            body_text=f"من می{ZWNJ}خواهم کتاب{ZWNJ}ها را بخوانم."),
    Article(url=f"{FA}/post/joined", title="بدون فاصله", language="fa",
            body_text="من میخواهم کتابها را بخوانم."),
    Article(url=f"{FA}/post/space", title="با فاصله", language="fa",
            body_text="من می خواهم کتاب ها را بخوانم."),
    # Both words, apart: no spelling of the word.
    Article(url=f"{FA}/post/apart", title="جدا", language="fa",
            body_text="خواهم رفت. او می داند. این کتاب است."),
    Article(url=f"{BN}/post/zwj", title="খবর এক", language="bn",
            body_text=f"আজ র{ZWJ}্যাব অভিযান চালিয়েছে।"),
    Article(url=f"{BN}/post/plain", title="খবর দুই", language="bn",
            body_text="গতকাল র্যাব সদস্যরা এসেছিলেন।"),
]
WANT = ["بدون فاصله", "با فاصله", "نیم‌فاصله"]


@pytest.fixture(scope="module")
def joined_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("joiners") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles(JOINED_CORPUS)
    return path


@pytest.mark.parametrize("typed", [f"می{ZWNJ}خواهم", "میخواهم", f"کتاب{ZWNJ}ها", "کتابها"])
def test_a_persian_word_is_found_with_or_without_its_zwnj_or_with_a_space(
        joined_db: Path, typed: str) -> None:
    assert sorted(titles(joined_db, typed)) == sorted(WANT), typed


def test_the_words_of_a_zwnj_word_are_still_words(joined_db: Path) -> None:
    """As Lucene's Persian analyzer reads ZWNJ: a space, so خواهم finds می‌خواهم."""
    assert sorted(titles(joined_db, "خواهم")) == sorted(["نیم‌فاصله", "با فاصله", "جدا"])


@pytest.mark.parametrize(("query", "also"), [
    ("میخواهم OR garden", []), ("title:جدا OR میخواهم", ["جدا"]), ('"من میخواهم"', []),
    ("کتابها NOT جدا", [])])
def test_fts5_syntax_widens_a_word_typed_without_its_zwnj(joined_db: Path, query: str,
                                                          also: list[str]) -> None:
    assert sorted(titles(joined_db, query)) == sorted(WANT + also), query


@pytest.mark.parametrize("typed", [f"র{ZWJ}্যাব", "র্যাব"])
def test_a_bengali_word_is_found_with_or_without_its_zwj(joined_db: Path, typed: str) -> None:
    assert sorted(titles(joined_db, typed)) == ["খবর এক", "খবর দুই"], typed


def test_the_search_command_finds_a_word_typed_without_its_zwnj(joined_db: Path) -> None:
    result = run("search", "میخواهم", "--db", str(joined_db), "--count")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_a_query_of_a_long_run_of_letters_is_searched_not_a_memory_error(joined_db: Path) -> None:
    """A 21,000-letter Arabic-script token was given every spelling of each of its suffixes
    (gigabytes: MemoryError after 8-12 s; 20 s for twenty 2,100-letter ones): a token past
    any word is searched as typed, and one past any affixed word is not split."""
    from archive.search import casefold, joiners

    long_word = "میخواهم" * 3000
    assert casefold.spellings(long_word, casefold.Variants(casefold.LETTER_VARIANTS, ())) == [
        long_word]
    assert joiners.splits("میخواهم" * 5) == []
    # Common words with no place for a ZWNJ (after ر or ا, or one letter on a side) keep the
    # fast path: nothing to look up for them.
    assert joiners.splits("برای") == joiners.splits("است") == joiners.splits("دارد") == []
    assert titles(joined_db, long_word) == []
    assert titles(joined_db, " ".join(["میخواهم" * 300] * 20)) == []
    assert sorted(titles(joined_db, "میخواهم " * 50)) == sorted(WANT)


@pytest.mark.parametrize(("typed", "expected"), [
    (f"می{ZWNJ}خواهم", WANT), ("میخواهم", WANT), ("کتابها -جدا", WANT),
    ("র্যাব", ["খবর এক", "খবর দুই"]), (f"র{ZWJ}্যাব", ["খবর এক", "খবর দুই"])])
def test_the_posts_table_search_box_finds_every_spelling_too(
        joined_db: Path, typed: str, expected: list[str]) -> None:
    pytest.importorskip("datasette")
    found, page = table_search(joined_db, typed)
    assert found == sorted(expected)
    assert f'name="_search" value="{typed}"' in page


def test_a_word_of_many_joinable_tokens_gives_few_spellings(joined_db: Path) -> None:
    """A word of 3,000 tokens between punctuation (میخواهم.میخواهم....: 24,000 characters) had
    each token's split spelled with all the others: 9,000 spellings of 3,000 tokens, 12 s and
    1.2 GB for one search (quadratic in the query). Its spellings are bounded as a word's
    letter variants are."""
    from archive.search import casefold

    word = "میخواهم." * 3000
    with sqlite3.connect(joined_db) as conn:
        phrases = casefold.word_phrases(conn, [word])
    assert len(phrases.get(word, [])) <= casefold.MAX_SPELLINGS + 1


@pytest.mark.parametrize(("query", "expected"), [
    ('"garden" میخواهم', []), ("title:جدا میخواهم", []), ("میخواهم کتابها OR garden", WANT),
    ("title:جدا OR میخواهم کتابها", ["جدا", *WANT]), ("کتابها NOT میخواهم جدا", WANT),
    ("کتابها NOT جدا میخواهم", WANT),
    ('"میخواهم" + "کتابها"', ["بدون فاصله"])])  # a phrase of both: the words as typed
def test_a_widened_word_beside_another_in_fts5_syntax_is_searched(
        joined_db: Path, query: str, expected: list[str]) -> None:
    """The group of a word's spellings, `("میخواهم" OR "می خواهم")`, beside another word was
    FTS5's implicit AND of a group, which it refuses: `title:garden میخواهم` failed as a
    "malformed query", in the search command and the posts table's search box (a 400). The
    words side by side are one operand still (`a NOT b c` leaves out the posts with b and c)."""
    assert sorted(titles(joined_db, query)) == sorted(expected), query


def test_the_posts_table_search_box_answers_syntax_around_a_widened_word(
        joined_db: Path) -> None:
    """Each was a 400 page, "Invalid SQL: fts5: syntax error", once a search beyond ASCII was
    read as FTS5 syntax and widened there."""
    pytest.importorskip("datasette")
    from urllib.parse import quote

    from test_web import Client

    from archive.cli.serve import make_datasette

    client = Client(make_datasette(joined_db))
    try:
        for typed in ("میخواهم AND", "میخواهم + کتابها", "tokens*میخواهم", "جدا میخواهم"):
            response = client.get("/archive/posts.json?_shape=array&_col=title&_search="
                                  + quote(typed))
            assert response.status_code == 200, (typed, response.text)
        assert client.get("/archive/posts.json?_shape=array&_col=title&_search="
                          + quote("title:جدا OR میخواهم کتابها")).json() != []
    finally:
        client.close()


# A post written with Hebrew vowel marks sends the table's Hebrew and Arabic searches to the
# index of such text without marks (archive/web/cjk_search.py), Persian words too.
MARKED_POST = Article(url="https://hebrew-blog.wixsite.com/blog/post/marked", title="בְּרָכָה",
                      language="he", body_text="שָׁלוֹם עוֹלָם")


@pytest.fixture(scope="module")
def joined_marked_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("joiners-marked") / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([*JOINED_CORPUS, MARKED_POST])
    return path


@pytest.mark.parametrize(("typed", "expected"), [
    ("میخواهم", WANT), (f"می{ZWNJ}خواهم", WANT), ("کتابها -جدا", WANT),
    ("میخواهم OR garden", WANT), ("کتابها OR שלום", [*WANT, "בְּרָכָה"])])
def test_the_table_search_box_finds_every_spelling_in_an_archive_holding_vowel_marks(
        joined_marked_db: Path, typed: str, expected: list[str]) -> None:
    """In an archive with one post written with vowel marks, the posts table's search box
    found میخواهم in the post written so alone (1 post of 3; the ranked search finds 3):
    a Persian or Arabic search read the mark-free index with its words as typed, not widened
    to their spellings with and without a ZWNJ as in the main index."""
    pytest.importorskip("datasette")
    assert sorted(titles(joined_marked_db, typed)) == sorted(expected), typed
    found, _ = table_search(joined_marked_db, typed)
    assert found == sorted(expected), typed


def test_a_words_letter_and_joiner_spellings_are_at_most_max_spellings_together(
        tmp_path: Path) -> None:
    """Its letters' spellings (ي as ئ) and where a ZWNJ may stand each reached MAX_SPELLINGS,
    128 phrases for one word where the docs promised at most 64; a word of 300 such tokens took
    5.9 s to widen, building 707,070 strings of its letters' spellings to keep 64. Now 64 in
    all, both kinds kept: the posts writing either are found."""
    from archive.search import casefold, joiners

    token = "بيتيسيمينيكيليهي"  # eight ي, and every letter joins the next
    tokens = [token[at:] + token[:at] for at in range(5)]
    word = ".".join(tokens)
    held = set()
    for each in tokens:
        held.update(casefold.spellings(each, casefold.Variants(casefold.LETTER_VARIANTS, ())))
        held.update(piece for pair in joiners.splits(each) for piece in pair)
    split = tokens[0][:4] + ZWNJ + tokens[0][4:]
    marked = tokens[-1].replace("ي", "ئ", 1)
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([
            Article(url=f"{FA}/post/vocabulary", title="vocabulary", language="ar",
                    body_text=" ".join(sorted(held))),
            Article(url=f"{FA}/post/split", title="split", language="ar",
                    body_text=".".join([split, *tokens[1:]])),
            Article(url=f"{FA}/post/marked", title="marked", language="ar",
                    body_text=".".join([*tokens[:-1], marked]))])
    with sqlite3.connect(path) as conn:
        phrases = casefold.word_phrases(conn, [word])[word]
    assert len(phrases) == len(set(phrases)) <= casefold.MAX_SPELLINGS
    assert sorted(titles(path, word)) == ["marked", "split"]
