"""Ranked search over an archive: query syntax, ranking, folding, snippets and filters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.search import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    HIT_FIELDS,
    NoSuchSite,
    SearchError,
    SearchQuery,
    fts_query,
    search,
)
from archive.store import Archive
from crawler.extract.record import Article

FILLER = "The afternoon light was soft over the garden and nobody was in a hurry. "


def post(site: str, slug: str, title: str, body: str, **fields: object) -> Article:
    return Article(url=f"{site}/post/{slug}", title=title, body_text=body, **fields)


CORPUS = [
    post("https://ann.wixsite.com/yoga", "sun", "Sun salutation basics",
         FILLER + "Start every morning with a few rounds. " + FILLER,
         author="Ann Example", published="2024-03-10T08:00:00Z", tags=["Yoga", "Morning"],
         categories=["Practice"], language="en"),
    post("https://ann.wixsite.com/yoga", "breath", "Breathing for beginners",
         FILLER + "A sun salutation warms the body before breathing work. " + FILLER,
         author="Ann Example", published="2023-11-02T08:00:00Z", tags=["Breath"],
         categories=["Practice"], language="en-GB"),
    post("https://www.cuisine-zoe.fr", "creme", "Crème brûlée de grand-mère",
         "La crème doit être très froide avant de caraméliser le sucre. C++ n'y change rien.",
         author="Zoé Martin", published="2024-06-01", tags=["Dessert"], categories=["Recettes"],
         language="fr"),
    post("https://www.cuisine-zoe.fr", "news", "What's new in the kitchen",
         "Don't miss the new recipes: we don't stop cooking.", author="Zoé Martin",
         published="2025-01-15", tags=["News"], categories=["Blog"], language="en"),
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    path = tmp_path_factory.mktemp("search") / "archive.db"
    with Archive.open(path) as writer:
        for article in CORPUS:
            writer.save_article(article)
        writer.mark_deleted("https://www.cuisine-zoe.fr/post/news", when="2025-02-01T00:00:00Z")
    archive = Archive.open(path, readonly=True)
    yield archive
    archive.close()


def titles(archive: Archive, text: str, **filters: object) -> list[str | None]:
    return [hit.title for hit in search(archive, SearchQuery(text, **filters))]


def test_title_match_ranks_above_body_match(archive: Archive) -> None:
    assert titles(archive, "sun salutation") == ["Sun salutation basics",
                                                  "Breathing for beginners"]


def test_diacritics_are_folded_both_ways(archive: Archive) -> None:
    assert titles(archive, "creme brulee") == ["Crème brûlée de grand-mère"]
    assert titles(archive, "caraméliser") == titles(archive, "carameliser")
    assert sorted(titles(archive, "ZOE")) == ["Crème brûlée de grand-mère",
                                              "What's new in the kitchen"]


def test_snippet_highlights_matched_terms(archive: Archive) -> None:
    [hit] = search(archive, SearchQuery("cooking"))
    assert f"{HIGHLIGHT_START}cooking{HIGHLIGHT_END}" in hit.snippet
    assert hit.marked_snippet("[", "]") == "Don't miss the new recipes: we don't stop [cooking]."
    assert hit.to_dict()["snippet"] == "Don't miss the new recipes: we don't stop cooking."


def test_hit_carries_what_the_results_show(archive: Archive) -> None:
    [hit] = search(archive, SearchQuery("cooking"))
    assert hit.url == "https://www.cuisine-zoe.fr/post/news"
    assert hit.site == "https://www.cuisine-zoe.fr/"
    assert (hit.author, hit.published) == ("Zoé Martin", "2025-01-15")
    assert hit.deleted_at == "2025-02-01T00:00:00Z"  # deleted posts stay findable, flagged
    assert isinstance(hit.rank, float) and isinstance(hit.id, int)


@pytest.mark.parametrize("text", ["don't", "C++", "what's new?", "grand-mère", "new!!"])
def test_plain_words_with_punctuation_are_searched_as_words(archive: Archive, text: str) -> None:
    assert titles(archive, text), text


def test_plain_query_quotes_each_word() -> None:
    assert fts_query("don't stop") == '"don\'t" "stop"'
    assert fts_query('say "hi') == 'say "hi'  # a quote makes it FTS syntax, passed through
    assert fts_query("or and not") == '"or" "and" "not"'  # lower case: plain words


@pytest.mark.parametrize("text, expected", [
    ('"sun salutation"', ["Sun salutation basics", "Breathing for beginners"]),
    ('"salutation sun"', []),
    ("salut*", ["Sun salutation basics", "Breathing for beginners"]),
    ("breathing OR dessert", ["Breathing for beginners", "Crème brûlée de grand-mère"]),
    ("salutation NOT morning", ["Breathing for beginners"]),
    ("title:sun", ["Sun salutation basics"]),
    ("tags:dessert", ["Crème brûlée de grand-mère"]),
    ("author:ann AND categories:practice",
     ["Sun salutation basics", "Breathing for beginners"]),
    ("NEAR(sun body, 5)", ["Breathing for beginners"]),
])
def test_fts_syntax_passes_through(archive: Archive, text: str, expected: list[str]) -> None:
    assert sorted(titles(archive, text)) == sorted(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("Title:sun", ["Sun salutation basics"]),
    ("TITLE:sun", ["Sun salutation basics"]),
    ("Title : sun", ["Sun salutation basics"]),
    ("Tags:dessert", ["Crème brûlée de grand-mère"]),
    ("{Title TAGS}:yoga", ["Sun salutation basics"]),
    ("-Title:sun salutation", ["Breathing for beginners"]),
])
def test_a_column_filter_is_read_in_any_case_as_fts5_reads_it(archive: Archive, text: str,
                                                              expected: list[str]) -> None:
    """FTS5 and `sqlite-utils search` read `Title:sun` as `title:sun`; the search read it as
    the words *title sun*, and found nothing."""
    assert sorted(titles(archive, text)) == sorted(expected)


@pytest.mark.parametrize("text, message", [
    ("sun AND", "malformed query"),
    ('"unterminated', "malformed query"),
    ("colour:red AND sun", "unknown column"),
    ("title:(", "malformed query"),
    ("   ", "nothing to search for: give words to find, or a filter"),
    ("?? !!", "nothing to search for"),
])
def test_bad_queries_raise_one_line_search_errors(archive: Archive, text: str,
                                                  message: str) -> None:
    with pytest.raises(SearchError, match=message) as info:
        search(archive, SearchQuery(text))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("filters, expected", [
    ({"site": "cuisine-zoe.fr"}, ["Crème brûlée de grand-mère", "What's new in the kitchen"]),
    ({"site": "https://ann.wixsite.com/yoga/"}, ["Breathing for beginners",
                                                 "Sun salutation basics"]),
    ({"author": "zoé"}, ["Crème brûlée de grand-mère", "What's new in the kitchen"]),
    ({"tag": "yoga"}, ["Sun salutation basics"]),
    ({"category": "PRACTICE"}, ["Breathing for beginners", "Sun salutation basics"]),
    ({"since": "2024-06"}, ["Crème brûlée de grand-mère", "What's new in the kitchen"]),
    ({"until": "2023"}, ["Breathing for beginners"]),
    ({"since": "2024-01-01", "until": "2024-06-01"}, ["Crème brûlée de grand-mère",
                                                      "Sun salutation basics"]),
    ({"lang": "en"}, ["Breathing for beginners", "Sun salutation basics",
                      "What's new in the kitchen"]),
    ({"lang": "fr", "tag": "dessert"}, ["Crème brûlée de grand-mère"]),
    ({"deleted": "exclude"}, ["Breathing for beginners", "Crème brûlée de grand-mère",
                              "Sun salutation basics"]),
    ({"deleted": "only"}, ["What's new in the kitchen"]),
])
def test_filters(archive: Archive, filters: dict[str, str], expected: list[str]) -> None:
    # "the" is in every English post; OR brings in the French one.
    assert sorted(titles(archive, "the OR crème", **filters)) == sorted(expected)


def test_bad_values_are_explained_by_their_name_without_cli_dashes(archive: Archive) -> None:
    with pytest.raises(SearchError, match=r"^since: expected a date like 2024-05-01") as info:
        search(archive, SearchQuery("sun", since="last week"))
    assert (info.value.field, info.value.problem) == (
        "since", "expected a date like 2024-05-01 (or 2024-05, 2024), not 'last week'")
    with pytest.raises(SearchError, match=r"^limit: must be at least 1, not 0"):
        search(archive, SearchQuery("sun", limit=0))
    with pytest.raises(SearchError, match=r"^deleted: expected include, exclude, only, not 'yes'"):
        search(archive, SearchQuery("sun", deleted="yes"))


def test_an_unknown_site_is_an_error_only_when_nothing_matched(archive: Archive) -> None:
    with pytest.raises(NoSuchSite, match=r"no archived site matches 'nowhere.example' \(sites: "
                       r"https://ann.wixsite.com/yoga/, https://www.cuisine-zoe.fr/\)"):
        search(archive, SearchQuery("the", site="nowhere.example"))
    # A site that is archived but holds no match: no matches, no error.
    assert titles(archive, "crème", site="ann.wixsite.com") == []


def test_site_is_read_as_every_command_reads_it_beyond_ascii_case(tmp_path: Path) -> None:
    # One rule (archive/site_match.py): a name in any case, É as é too, not only A-Z as a
    # LIKE in SQL would read it.
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([
            post("https://zoe.example.com", "soup", "Leek soup", "leek", site_name="Zoë's kitchen"),
            post("https://b.example.com", "soup", "Leek soup too", "leek")])
        assert titles(archive, "leek", site="ZOË'S KITCHEN") == ["Leek soup"]
        assert titles(archive, "leek", site="B.EXAMPLE") == ["Leek soup too"]


def test_tag_and_category_ignore_case_beyond_ascii_but_keep_accents(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([
            post("https://a.example.com", "1", "Custard", "garden dessert",
                 tags=["crème brûlée"], categories=["Café Culture"]),
            post("https://a.example.com", "2", "Custard again", "garden dessert",
                 tags=["CRÈME BRÛLÉE"]),  # the same tag in capitals: its own row, found too
            post("https://a.example.com", "3", "Plain cafe", "garden dessert",
                 tags=["creme brulee"], categories=["Cafe Culture"]),
        ])
        for typed in ("CRÈME BRÛLÉE", "crème brûlée", "Crème Brûlée"):
            assert sorted(titles(archive, "garden", tag=typed)) == ["Custard", "Custard again"]
            # The fast path that skips to the posts holding the name ranks the same posts.
            assert sorted(titles(archive, "dessert", tag=typed)) == ["Custard", "Custard again"]
        assert titles(archive, "garden", category="CAFÉ CULTURE") == ["Custard"]
        assert titles(archive, "garden", tag="CREME BRULEE") == ["Plain cafe"]  # accents kept
        assert titles(archive, "garden", category="cafe culture") == ["Plain cafe"]


def test_apostrophes_are_alike_in_author_tag_and_category(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([
            post("https://a.example.com", "1", "Curly", "garden", author="Pat O’Leary",
                 tags=["Pat’s picks"], categories=["Editor’s choice"]),
            post("https://a.example.com", "2", "Straight", "garden", author="Sam O'Leary",
                 tags=["Sam's picks"], categories=["Editor's choice"]),
            post("https://a.example.com", "3", "Letter", "garden", author="Kim Oʼleary"),
        ])
        for typed in ("o'leary", "O’Leary", "o‘leary", "oʼleary"):
            assert sorted(titles(archive, "garden", author=typed)) == [
                "Curly", "Letter", "Straight"], typed
        assert titles(archive, "garden", tag="PAT'S PICKS") == ["Curly"]
        assert titles(archive, "garden", tag="sam’s picks") == ["Straight"]
        assert sorted(titles(archive, "garden", category="editor's choice")) == [
            "Curly", "Straight"]


@pytest.mark.parametrize("text, expected", [
    ("author:o'leary", ["Curly", "Straight"]),
    ("author:O’Leary", ["Curly", "Straight"]),
    ("title:e-mail OR body:e-mail", ["Curly"]),
    ("tags:pat's*", ["Curly"]),
    ('author:"o\'leary" AND body:e-mail', ["Curly"]),
])
def test_fts_syntax_words_with_punctuation_are_quoted(tmp_path: Path, text: str,
                                                      expected: list[str]) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([
            post("https://a.example.com", "1", "Curly", "send an e-mail", author="Pat O’Leary",
                 tags=["Pat’s picks"]),
            post("https://a.example.com", "2", "Straight", "garden", author="Sam O'Leary"),
        ])
        assert sorted(titles(archive, text)) == expected


def test_a_word_starting_with_a_dash_is_left_out(archive: Archive) -> None:
    everything = ["Breathing for beginners", "Crème brûlée de grand-mère",
                  "Sun salutation basics", "What's new in the kitchen"]
    assert sorted(titles(archive, "the OR crème")) == everything  # FTS5 syntax: unchanged
    assert titles(archive, "salutation -morning") == ["Breathing for beginners"]
    assert titles(archive, "salutation -morning -beginners") == []
    assert titles(archive, "salutation -MORNING") == ["Breathing for beginners"]  # folded
    assert titles(archive, "crème -don't") == ["Crème brûlée de grand-mère"]
    assert titles(archive, "grand-mère") == ["Crème brûlée de grand-mère"]  # inside: a word
    assert titles(archive, "grand-mère - crème") == ["Crème brûlée de grand-mère"]  # lone -
    assert titles(archive, "crème -grand-mère") == []
    assert fts_query("garden -compost -e-mail") == '("garden") NOT ("compost" OR "e-mail")'
    # In FTS5 syntax, -word keeps its FTS5 meaning; the error says how to leave a word out.
    with pytest.raises(SearchError, match=r"-morning names columns to leave out; to leave out "
                       r"posts with the word, write NOT morning$"):
        search(archive, SearchQuery('"sun salutation" -morning'))
    with pytest.raises(SearchError, match=r"^nothing to search for in '-compost -mulch': "
                       r"-compost -mulch only leaves posts out; add a word to find"):
        search(archive, SearchQuery("-compost -mulch"))


def test_highlights_locate_the_matched_words_in_the_unmarked_snippet(archive: Archive) -> None:
    spans = 0
    for text in ("cooking", "sun salutation", "the OR crème"):
        for hit in search(archive, SearchQuery(text)):
            data = hit.to_dict()
            located = [data["snippet"][start:end] for start, end in data["highlights"]]
            assert located == [part.split(HIGHLIGHT_END)[0]
                               for part in hit.snippet.split(HIGHLIGHT_START)[1:]]
            spans += len(located)
    assert spans > 5
    [hit] = search(archive, SearchQuery("cooking"))
    assert hit.to_dict()["highlights"] == [[42, 49]]
    assert list(hit.to_dict()) == list(HIT_FIELDS)


def test_limit_and_offset_page_through_results(archive: Archive) -> None:
    everything = titles(archive, "the OR crème", limit=10)
    assert len(everything) == 4
    assert titles(archive, "the OR crème", limit=2) == everything[:2]
    assert titles(archive, "the OR crème", limit=2, offset=2) == everything[2:]
    with pytest.raises(SearchError):
        search(archive, SearchQuery("sun", limit=0))


def test_search_reads_while_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    with Archive.open(path) as writer:
        writer.save_article(CORPUS[0])
        with writer.transaction():
            writer.save_article(CORPUS[1])
            with Archive.open(path, readonly=True) as reader:
                # The reader sees the last committed state, without waiting for the writer.
                assert titles(reader, "salutation") == ["Sun salutation basics"]
        with Archive.open(path, readonly=True) as reader:
            assert len(titles(reader, "salutation")) == 2


def test_like_wildcards_in_site_and_author_filters_match_literally(tmp_path: Path) -> None:
    """A `_` or `%` the user types in --site or --author is that character: unescaped, LIKE
    would read `_` as any character and `%` as any text."""
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles([
            post("https://my_blog.example.com", "a", "Underscore host", "lantern",
                 author="Ann_Lee", site_name="100% Organic"),
            post("https://myxblog.example.com", "b", "Letter host", "lantern",
                 author="AnnXLee", site_name="1000 Organic"),
            post("https://my-blog.example.com", "c", "Percent author", "lantern",
                 author="50% Zoé"),
        ])
        assert titles(archive, "lantern", site="my_blog") == ["Underscore host"]
        assert titles(archive, "lantern", site="100% organic") == ["Underscore host"]
        assert titles(archive, "lantern", author="ann_lee") == ["Underscore host"]
        assert titles(archive, "lantern", author="0% z") == ["Percent author"]
        assert titles(archive, "lantern", author="n%l") == []
        assert sorted(titles(archive, "lantern", site="blog.example")) == [
            "Letter host", "Percent author", "Underscore host"]


@pytest.mark.parametrize("text", ["sa*", '"sa"*', "body:su*", "b* OR crème", "sal*"])
def test_snippets_of_short_prefixes_are_the_textbook_ones(archive: Archive, text: str) -> None:
    """A prefix shorter than the prefix index takes another path to its snippets (one walk of
    the matches instead of a lookup per post): the same snippets as the textbook query."""
    hits = search(archive, SearchQuery(text))
    assert hits
    textbook = dict(archive.conn.execute(
        "SELECT rowid, snippet(posts_fts, 1, ?, ?, '…', 24) FROM posts_fts "
        "WHERE posts_fts MATCH ?", (HIGHLIGHT_START, HIGHLIGHT_END, text)).fetchall())
    assert {hit.id: hit.snippet for hit in hits} == {hit.id: textbook[hit.id] for hit in hits}
    assert any(HIGHLIGHT_START in hit.snippet for hit in hits)


def test_a_count_ranks_no_post(tmp_path: Path) -> None:
    """`search --count` counts the matches in the index without scoring them: bm25 reads each
    match's column sizes, and a word in every post took 1.4-2 s to count at 210,000 posts
    (0.77 s of SQL at 70,000; the count alone, 4 ms)."""
    import sqlite3

    from archive.search import count

    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_articles(CORPUS)
    conn = sqlite3.connect(tmp_path / "archive.db")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    ranked = [len(search(conn, SearchQuery(text, limit=100, **filters)))
              for text, filters in (("the", {}), ("the", {"site": "ann.wixsite.com"}))]
    assert statements and any("rank" in sql for sql in statements)
    statements.clear()
    assert [count(conn, SearchQuery("the")),
            count(conn, SearchQuery("the", site="ann.wixsite.com"))] == ranked
    assert ranked[0] > ranked[1] > 1
    assert not [sql for sql in statements if re.search(r"\b(rank|bm25)\b", sql)], statements
    conn.close()


def test_a_post_without_an_author_or_tags_still_gets_its_snippet(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_article(post("https://ann.wixsite.com/yoga", "bare", "Garden notes",
                                  "Turn the compost weekly."))
        [hit] = search(archive, SearchQuery("compost"))
    assert hit.marked_snippet("[", "]") == "Turn the [compost] weekly."
    assert hit.matched_in == ["body"]


@pytest.mark.parametrize("typed, left_out", [
    ('salutation -"morning"', '"morning"'), ('salutation -"morning flow"', '"morning flow"'),
    ('salutation -"Straße"', '"Straße"'), ('"sun salutation" -"morning flow"', '"morning flow"')])
def test_a_quoted_phrase_after_a_dash_is_an_error_saying_to_write_not(
        archive: Archive, typed: str, left_out: str) -> None:
    """`-"phrase"` reads as leaving the phrase out, as `-word` does in plain words, but a quote
    makes the query FTS5 syntax, where `-` names columns: FTS5's own error ('syntax error near
    "("', 'unknown column') said nothing of it, where `"sun salutation" -morning` says how to
    leave a word out."""
    with pytest.raises(SearchError, match=rf"names columns to leave out; to leave out posts "
                       rf"with the words, write NOT {re.escape(left_out)}$"):
        search(archive, SearchQuery(typed))
