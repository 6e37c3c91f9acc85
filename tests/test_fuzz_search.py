"""Property tests: any query text, run against a real small archive, gives hits or a SearchError
with a message; never a raw sqlite3 error or any other exception (and, through the `wixarchive
search` command, one `Error:` line, never a traceback).

The profiles ("ci": small and derandomized; "fuzz") are in tests/conftest.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from archive.search import SearchError, SearchQuery, count, search
from archive.store import Archive
from crawler.extract.record import Article

POSTS = [
    Article(url="https://ann.wixsite.com/yoga/post/sun", title="Sun salutation basics",
            body_text="Start every morning with a few rounds in the garden. Straße, Ødegård.",
            author="Ann O’Leary", tags=["Yoga"], categories=["Practice"], language="en",
            published="2024-03-10T08:00:00Z"),
    Article(url="https://tokyo.wixsite.com/blog/post/tower", title="東京タワーの夜景",
            body_text="東京タワーから見る夜景はとても綺麗です。 garden e-mail C++ 서울 여행",
            author="田中", tags=["旅行"], language="ja", published="2025-01-02"),
    Article(url="https://cafe.wixsite.com/x/post/creme", title="Crème brûlée 😀",
            body_text="La crème doit être très froide. NEAR AND OR NOT \"quoted\" title: x*",
            author="Zoé", tags=["Café"], language="fr", published="2023-06-01"),
]

# Pieces of FTS5 syntax and of text that goes through it badly, with words the posts hold.
PIECES = (
    '"', '""', "(", ")", "NEAR", "NEAR(", "NEAR/3", ",", "AND", "OR", "NOT", "and", "*", "^",
    ":", "title:", "body:", "tags:", "author:", "-title:", "{title body}:", "{", "}", "-", "+",
    "'", "garden", "Garden*", "sun", "crème", "CREME", "straße", "STRASSE", "odegard", "e-mail",
    "C++", "東京", "タワー", "夜景", "서울", "😀", "\x00", "\x1a", "\u3000", "\u200b", "ﬁ", "İ",
    "\ud800", " ", "  ", "\t", "\n", "x", "0", "١٢", "%", "_", "\\", "/", "[", "]", "?",
)  # fmt: skip

query_text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=8).map(" ".join),
    st.text(max_size=40),
)


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz-search") / "archive.db"
    with Archive.open(path) as writer:
        for post in POSTS:
            writer.save_article(post)
    return path


@pytest.fixture(scope="module")
def archive(archive_path: Path) -> Archive:
    with Archive.open(archive_path, readonly=True) as opened:
        yield opened


def searched(archive: Archive, query: SearchQuery) -> str:
    """'hits' or the SearchError's message; any other exception fails the test."""
    try:
        hits = search(archive, query)
        total = count(archive, query)
    except SearchError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        # explain()'s last resort: SQLite's own words, which no query of a sound archive needs
        assert not message.startswith("the query could not run"), message
        return message
    assert len(hits) <= total
    return "hits"


@given(query_text)
@example('"')
@example("NEAR(")
@example("\x00")
@example("東京 OR")
def test_any_query_gives_hits_or_a_search_error(archive: Archive, text: str) -> None:
    searched(archive, SearchQuery(text))


@given(query_text, st.sampled_from(("author", "tag", "category", "site", "lang")), query_text)
def test_any_query_with_any_filter_gives_hits_or_a_search_error(archive: Archive, text: str,
                                                                field: str, value: str) -> None:
    from archive.search import NoSuchSite

    try:
        searched(archive, SearchQuery(text, **{field: value}))
    except NoSuchSite:  # a --site naming no archived site lists the sites (its own error)
        assert field == "site"


def test_the_search_command_gives_one_error_line(archive_path: Path) -> None:
    """A few queries through `wixarchive search`: results or one `Error:` line, no traceback."""
    for text in ('"', "NEAR(", "title: AND", "東京 OR", "^*", "x\x1a", "{title}: 😀", "-title:x",
                 "NOT", "a NEAR/3 b"):
        result = subprocess.run([sys.executable, "-m", "archive.cli", "search", "--db",
                                 str(archive_path), text], capture_output=True, text=True,
                                timeout=60)
        assert "Traceback" not in result.stderr, (text, result.stderr)
        if result.returncode:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("Error: "), (text, result.stderr)



# -- what the properties found -------------------------------------------------------------------


@pytest.mark.parametrize("text", ['*reads "garden"', '*id "x"', '* "garden"', "*garden OR x",
                                  '*\n"'])
def test_a_query_starting_with_a_star_is_malformed_not_an_fts5_command(archive: Archive,
                                                                       text: str) -> None:
    """FTS5 reads a MATCH expression starting with * as a command of its own: `*reads "garden"`
    failed with "the query could not run: no such cursor: 17", `*id "x"` found no post but
    counted one, and the rest said "unknown special query", the raw message with its line break."""
    with pytest.raises(SearchError, match=r"^malformed query .*: it starts with \*"):
        search(archive, SearchQuery(text))
    with pytest.raises(SearchError, match=r"^malformed query .*: it starts with \*"):
        count(archive, SearchQuery(text))


def test_a_nul_in_the_query_parts_words(archive: Archive) -> None:
    """FTS5 stops reading at a NUL: `garden\\0` was a "malformed query '"garden\\x00"':
    unterminated string", telling the user to quote what they had not quoted."""
    assert searched(archive, SearchQuery("garden\0")) == "hits"
    assert len(search(archive, SearchQuery("garden\0"))) == 2
    assert searched(archive, SearchQuery('title:"sun\0salutation"')) == "hits"


def test_an_empty_column_name_is_named_as_unknown(archive: Archive) -> None:
    """`{""}: x` named no column: "the query could not run: no such column: " came through."""
    with pytest.raises(SearchError, match=r"^unknown column '' in query \(columns: title:"):
        search(archive, SearchQuery('{""}: x'))
