"""Words of Devanagari and Bengali (Hindi, Marathi, Nepali, Bengali) are found whole: their vowel
signs, viramas and nuktas are part of the word in the search indexes (schema v22), so a word no
longer matches another written on the same consonants (किताब, book; कातिब, scribe). On a real
archive file: through the API, the fast path, the command line, the web pages, and after an
upgrade of an archive indexed before v22."""

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
from test_tag_spellings import drop_name_keys

from archive import schema, upgrades
from archive.search import stats_fresh
from archive.search.query import fold
from archive.search.tokens import COMBINING, DIACRITICS, TOKEN
from archive.store import Archive
from crawler.extract.record import Article

HI = "https://hindi-kahani.wixsite.com/blog"
BN = "https://bangla-boi.wixsite.com/blog"

CORPUS = [
    Article(url=f"{HI}/post/kitab", title="किताब की दुनिया", language="hi",
            published="2024-01-01", body_text="हर घर में एक किताब होनी चाहिए। क्या आप पढ़ते हैं?"),
    Article(url=f"{HI}/post/library", title="पुस्तकालय", language="hi", published="2024-02-01",
            body_text="मैंने कल एक पुरानी किताब पढ़ी और बहुत सी बातें सीखीं। क्या बात है!"),
    Article(url=f"{HI}/post/katib", title="कातिब", language="hi", published="2024-03-01",
            body_text="पुराने ज़माने का कातिब हर पत्र हाथ से लिखता था। क्या सुंदर अक्षर!"),
    Article(url=f"{HI}/post/marathi", title="मराठी पुस्तक", language="mr",
            published="2024-04-01", body_text="हे पुस्तक नक्की वाचा. क्या?"),
    Article(url=f"{BN}/post/kitab", title="কিতাব পড়া", language="bn", published="2024-05-01",
            body_text="প্রতিদিন একটি কিতাব পড়ুন।"),
    Article(url=f"{BN}/post/library", title="গ্রন্থাগার", language="bn",
            published="2024-06-01", body_text="আমি একটি পুরনো কিতাব কিনেছি।"),
    Article(url=f"{BN}/post/katib", title="কাতিব", language="bn", published="2024-07-01",
            body_text="কাতিব চিঠি লিখতেন।"),
    Article(url=f"{HI}/post/english", title="Garden notes", language="en",
            published="2024-08-01", body_text="Turn the compost weekly. Café crème."),
]


def build(path: Path) -> Path:
    return archive_of(path, CORPUS)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("indic") / "archive.db")


@pytest.mark.parametrize(("word", "expected"), [
    # The post with the word in its title first (bm25 weighs a title 10 times a body), then
    # the one with it in its body; never the post of कातिब / কাতিব, the same consonants.
    ("किताब", ["किताब की दुनिया", "पुस्तकालय"]),
    ("কিতাব", ["কিতাব পড়া", "গ্রন্থাগার"]),
    ("कातिब", ["कातिब"]),
    ("কাতিব", ["কাতিব"]),
    ("पुस्तक", ["मराठी पुस्तक"]),  # not पुस्तकालय: a virama inside, a whole word
])
def test_a_devanagari_or_bengali_word_finds_its_posts_alone_best_first(
        db: Path, word: str, expected: list[str]) -> None:
    assert titles(db, word) == expected


def test_the_snippet_marks_the_whole_word(db: Path) -> None:
    assert dict(hits(db, "किताब"))["पुस्तकालय"] == (
        "मैंने कल एक पुरानी [किताब] पढ़ी और बहुत सी बातें सीखीं। क्या बात है!")
    assert dict(hits(db, "কিতাব"))["গ্রন্থাগার"] == "আমি একটি পুরনো [কিতাব] কিনেছি।"


@pytest.mark.parametrize(("query", "expected"), [
    ("किता*", ["किताब की दुनिया", "पुस्तकालय"]),  # a prefix ending in a vowel sign
    ("कि*", ["किताब की दुनिया", "पुस्तकालय"]),  # shorter than the prefix index
    ("কিতা*", ["কিতাব পড়া", "গ্রন্থাগার"]),
    ("title:किताब", ["किताब की दुनिया"]),
    ('"पुरानी किताब"', ["पुस्तकालय"]),
    ("किताब -पुस्तकालय", ["किताब की दुनिया"]),
    ("किताब OR কিতাব", ["কিতাব পড়া", "গ্রন্থাগার", "किताब की दुनिया", "पुस्तकालय"]),
])
def test_prefixes_phrases_and_fts5_syntax_read_whole_words(
        db: Path, query: str, expected: list[str]) -> None:
    assert sorted(titles(db, query)) == sorted(expected)


def test_the_fast_path_lists_the_words_the_index_holds(tmp_path: Path) -> None:
    """The fast path's statistics are lists of the index's words, found by folding the posts'
    text as the index does: a fold that dropped the virama made क्या `कया`, a word no post
    holds, whose empty list then answered the query क्या with nothing."""
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        archive.refresh_search_stats(min_posts=1)
        assert stats_fresh(archive.conn)
        listed = {term for (term,) in archive.conn.execute("SELECT term FROM search_lists")}
    assert "क्या" in listed and "कया" not in listed
    assert sorted(titles(path, "क्या")) == ["कातिब", "किताब की दुनिया", "पुस्तकालय", "मराठी पुस्तक"]
    assert titles(path, "किताब") == ["किताब की दुनिया", "पुस्तकालय"]


def test_a_greek_word_with_its_accent_is_found_from_the_fast_path(tmp_path: Path) -> None:
    """The same for the marks unicode61 keeps on Greek letters: είναι, in every post, was
    listed as `ειναι`, and found nothing once the statistics were fresh."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=f"{HI}/post/el{n}", title=f"Μέρα {n}", language="el",
                                       body_text=f"Η θάλασσα είναι ωραία {n}.")
                               for n in range(4)])
        archive.refresh_search_stats(min_posts=1)
        assert stats_fresh(archive.conn)
    assert len(titles(path, "είναι")) == len(titles(path, "θάλασσα")) == 4


@pytest.mark.parametrize("fresh", [False, True])
def test_a_letter_with_its_nukta_written_as_one_character_is_found_as_typed(
        tmp_path: Path, fresh: bool) -> None:
    """ज़िंदगी written with ज़ as one character (U+095B, as some keyboards and converted texts
    write it) and with ज and a nukta (what most text holds, and what a query is read as): the
    index keeps each as written, whole since v22, and a query typed the usual way found the
    first post alone; the same for Bengali ড় (U+09DC)."""
    path = tmp_path / "archive.db"
    spelled = {"one": ("\u095bिंदगी", "\u09dcাক"), "two": ("\u091c\u093cिंदगी", "\u09a1\u09bcাক")}
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=f"{HI}/post/{name}", title=name, language="hi",
                                       body_text=f"यह {hindi} है। {bengali}")
                               for name, (hindi, bengali) in spelled.items()])
        if fresh:
            archive.refresh_search_stats(min_posts=1)
            assert stats_fresh(archive.conn)
    for typed in (*spelled["one"], *spelled["two"]):
        assert sorted(titles(path, typed)) == ["one", "two"], typed.encode("unicode_escape")


def test_a_thai_word_is_found_where_it_starts_at_a_mark_as_before(tmp_path: Path) -> None:
    """Thai writes no spaces between words: its marks stay separators (a run kept whole
    would be found by no word inside it), so สวัสดี is still found in สวัสดีครับ."""
    path = tmp_path / "archive.db"
    with Archive.open(path) as archive:
        archive.save_articles([Article(url=f"{HI}/post/th", title="ทักทาย", language="th",
                                       body_text="สวัสดีครับ ฉันชอบอ่านหนังสือ")])
    assert titles(path, "สวัสดี") == titles(path, "สวัสดีครับ") == ["ทักทาย"]


def test_latin_thai_and_english_words_are_indexed_as_before(db: Path) -> None:
    assert titles(db, "cafe") == titles(db, unicodedata.normalize("NFD", "café")) == [
        "Garden notes"]
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={schema.FTS_TOKENIZE_SQL})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    conn.execute("INSERT INTO t(x) VALUES (?)", (unicodedata.normalize("NFD", "Crème école")
                                                 + " สวัสดีครับ किताब",))
    # Thai writes no spaces between words: its marks still cut a run, as before v22.
    assert [term for (term,) in conn.execute("SELECT term FROM v ORDER BY term")] == sorted(
        ["creme", "ecole", "สว", "สด", "คร", "บ", "किताब"])


def test_combining_is_every_mark_but_those_of_unspaced_scripts() -> None:
    """COMBINING's ranges take in every mark the index keeps in a word and, between them, only
    letters, digits and unassigned code points (which [^\\W_] takes or no text holds)."""
    import re

    in_class = re.compile(f"[{COMBINING}]")
    unspaced = re.compile(f"[{schema.UNSPACED_MARKS}]")
    for code in range(0x110000):
        char = chr(code)
        category = unicodedata.category(char)
        if category in ("Mn", "Mc"):
            assert bool(in_class.match(char)) != bool(unspaced.match(char)), hex(code)
        elif in_class.match(char):
            assert char.isalnum() or category == "Cn", hex(code)


def test_token_and_fold_split_and_fold_words_as_the_index_does() -> None:
    """Each mark after a Devanagari letter, in a word, as the tokenizer makes it and as
    TOKEN.findall(fold(...)) does (the fast path's units, casefold's lookups). Left out: the
    marks fold takes off that the tokenizer keeps (Hebrew and Arabic vowel marks, which
    search reads without; the rarer Combining Diacritical Marks), and those newer than the
    tokenizer's Unicode tables (it cuts the word there)."""
    import re

    taken_off = re.compile(f"[{DIACRITICS}]")
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={schema.FTS_TOKENIZE_SQL})")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    words = {code: f"क{chr(code)}ब" for code in range(0x300, 0x30000)
             if unicodedata.category(chr(code)) in ("Mn", "Mc")
             and not taken_off.match(chr(code)) and not 0x590 <= code < 0x900}
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", words.items())
    indexed: dict[int, list[str]] = {}
    for doc, term in conn.execute("SELECT doc, term FROM v ORDER BY doc, offset"):
        indexed.setdefault(doc, []).append(term)
    differ = {hex(code): (indexed[code], TOKEN.findall(fold(word)))
              for code, word in words.items() if indexed[code] != TOKEN.findall(fold(word))}
    newer = {hex(code) for code in words if indexed[code] == ["क", "ब"]
             and not re.match(f"[{schema.UNSPACED_MARKS}]", chr(code))}
    assert {code for code in differ if code not in newer} == set(), differ
    assert len(newer) < 200  # SQLite's tables are older than Python's, not another scheme


def undo_v22(path: Path) -> Path:
    """The archive as version 21 indexed it: the combining marks cut words."""
    with sqlite3.connect(path) as conn:
        drop_name_keys(conn)
        for table, content in ((schema.FTS_TABLE, '"posts"'),
                               (schema.UNMARKED_TABLE, f"'{schema.UNMARKED_VIEW}'")):
            conn.execute(f"DROP TABLE {table}_vocab")
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"CREATE VIRTUAL TABLE {table} USING fts5("
                         f"{', '.join(schema.FTS_COLUMNS)}, content={content}, "
                         f"content_rowid='id', tokenize='{schema.FTS_TOKENIZE_V3}', "
                         f"prefix='{schema.FTS_PREFIX}')")
            conn.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")
            conn.execute(f"CREATE VIRTUAL TABLE {table}_vocab USING fts5vocab({table}, 'row')")
        conn.execute("PRAGMA user_version = 21")
    conn.close()
    return path


def test_an_archive_from_v21_is_indexed_again_when_opened_for_writing(tmp_path: Path) -> None:
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        archive.refresh_search_stats(min_posts=1)
    undo_v22(path)
    with Archive.open(path, readonly=True) as archive:  # lists of other words than the index's
        assert stats_fresh(archive.conn)
    # Read-only, it is searched as it is: a word as the phrase of its pieces, as before.
    assert "कातिब" in titles(path, "किताब")
    result = run("check", "--db", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Upgraded {path} from schema v21 to v{schema.SCHEMA_VERSION}" in result.stderr
    with Archive.open(path, readonly=True) as archive:
        assert archive.schema_version == schema.SCHEMA_VERSION
        assert not stats_fresh(archive.conn)  # ranked exactly until the lists are made again
        assert schema.FTS_TOKENIZE_SQL in archive.conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'posts_fts'").fetchone()[0]
    assert titles(path, "किताब") == ["किताब की दुनिया", "पुस्तकालय"]
    assert titles(path, "কিতাব") == ["কিতাব পড়া", "গ্রন্থাগার"]
    assert titles(path, "compost") == ["Garden notes"]
    result = run("search", "किता*", "--db", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert [hit["title"] for hit in json.loads(result.stdout)] == [
        "किताब की दुनिया", "पुस्तकालय"]


def test_an_upgrade_that_indexes_a_big_archive_again_says_so_before_it_starts() -> None:
    """A big archive's upgrade to v22 reads every post again (minutes at a million): said
    before it starts, so that a command silent that long is not taken for stuck."""
    path = Path("archive.db")
    assert upgrades.before(path, 21, upgrades.LONG_UPGRADE_POSTS - 1) == []
    assert upgrades.before(path, schema.SCHEMA_VERSION, 10**6) == []
    [line] = upgrades.before(path, 8, 1_000_000)
    assert line.startswith("Upgrading archive.db from schema v8 to v"
                           f"{schema.SCHEMA_VERSION}: its search indexes are made again from its "
                           "1,000,000 posts, which takes about ")
    assert line.endswith(" minutes (stopped, it leaves the archive as it was)")
    # v22 and v24 each make them again: from v23, once.
    [since_v23] = upgrades.before(path, 23, 1_000_000)
    assert since_v23.startswith("Upgrading archive.db from schema v23 to v")
    minutes = [int(text.split(" takes about ")[1].split()[0]) for text in (line, since_v23)]
    assert minutes == [10, 5]


def test_the_search_command_highlights_the_whole_word(db: Path) -> None:
    result = run("search", "কিতাব", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    found = {hit["title"]: hit for hit in json.loads(result.stdout)}
    assert list(found) == ["কিতাব পড়া", "গ্রন্থাগার"]
    hit = found["গ্রন্থাগার"]
    [(start, end)] = hit["highlights"]
    assert hit["snippet"][start:end] == "কিতাব" and hit["matched_in"] == ["body"]


@pytest.fixture
def web(db: Path) -> Iterator[Any]:
    pytest.importorskip("datasette")
    from test_web import Client

    from archive.cli.serve import make_datasette

    client = Client(make_datasette(db))
    yield client
    client.close()


def test_the_web_search_page_finds_and_marks_whole_words(web: Any) -> None:
    data = web.get("/archive/-/search.json?q=" + quote("किताब")).json()
    assert [hit["title"] for hit in data["hits"]] == ["किताब की दुनिया", "पुस्तकालय"]
    page = web.get("/archive/-/search?q=" + quote("কিতাব")).text
    assert "<mark>কিতাব</mark>" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("किताब", ["किताब की दुनिया", "पुस्तकालय"]),  # Datasette's own search: quoted words
    ("কিতাব", ["কিতাব পড়া", "গ্রন্থাগার"]),
    ("किता*", ["किताब की दुनिया", "पुस्तकालय"]),  # a prefix: raw mode, as the ranked search
    ("किताब -पुस्तकालय", ["किताब की दुनिया"]),
])
def test_the_posts_table_search_box_finds_whole_words(
        web: Any, query: str, expected: list[str]) -> None:
    response = web.get("/archive/posts.json?_shape=array&_col=title&_search=" + quote(query))
    assert response.status_code == 200, response.text
    assert sorted(row["title"] for row in response.json()) == sorted(expected)
