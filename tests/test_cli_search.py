"""The search, show, stats and check commands, run as a user runs them (a subprocess)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.extract.record import Article
from tests.damage import overwrite_pages

REPO = Path(__file__).resolve().parents[1]
SITE = "https://ann.wixsite.com/yoga"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("WIXARCHIVE_DB", None) if env is None else None
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, env=full_env, timeout=60)


def build(path: Path) -> Path:
    with Archive.open(path) as archive:
        run_id = archive.start_run(SITE, started_at="2024-06-01T00:00:00Z")
        archive.save_article(Article(
            url=f"{SITE}/post/sun", title="Sun salutation basics", author="Ann Example",
            published="2024-03-10T08:00:00Z", tags=["Yoga"], categories=["Practice"],
            language="en", body_text="Start every morning with a few rounds of sun salutation.",
            body_markdown="Start every **morning** with a few rounds."), run_id=run_id)
        archive.save_article(Article(
            url=f"{SITE}/post/breath", title="Breathing, with commas", author="Bob",
            published="2023-11-02", tags=["Breath"], language="fr",
            body_text="Un souffle calme avant la salutation au soleil."), run_id=run_id)
        archive.save_article(Article(url=f"{SITE}/post/breath", title="Breathing, with commas",
                                     author="Bob", published="2023-11-02", language="fr",
                                     body_text="Deuxième version: salutation plus lente."))
        archive.finish_run(run_id, status="ok", counts={"new": 2}, errors=[],
                           finished_at="2024-06-01T00:05:00Z")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("cli") / "archive.db")


def test_text_output_has_every_field_and_marks_matches_without_colour(db: Path) -> None:
    result = run("search", "morning", "--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1. Sun salutation basics"
    assert "https://ann.wixsite.com/yoga/ · Ann Example · 2024-03-10" in lines[1]
    assert lines[2].strip() == f"{SITE}/post/sun"
    assert "[morning]" in lines[3]
    assert "\x1b[" not in result.stdout  # not a terminal: no colour


def test_a_hit_whose_snippet_shows_no_match_says_which_fields_matched(db: Path) -> None:
    # "Practice" is the post's category only: its snippet (the body's start) marks nothing.
    lines = run("search", "practice", "--db", str(db)).stdout.splitlines()
    assert lines[0] == "1. Sun salutation basics" and "[" not in lines[3]
    assert lines[4] == "   matched in: categories"
    data = json.loads(run("search", "practice", "--db", str(db), "--json").stdout)
    assert [hit["matched_in"] for hit in data] == [["categories"]]
    short_prefix = json.loads(run("search", "pr*", "--db", str(db), "--json").stdout)
    assert [hit["matched_in"] for hit in short_prefix] == [["categories"]]
    rows = list(csv.DictReader(io.StringIO(run("search", "practice", "--db", str(db),
                                               "--csv").stdout)))
    assert [json.loads(row["matched_in"]) for row in rows] == [["categories"]]
    # Its words shown in the snippet: no such line; the JSON names every field matched.
    sun = run("search", "sun", "--db", str(db)).stdout
    assert "[sun]" in sun and "matched in" not in sun
    data = json.loads(run("search", "sun", "--db", str(db), "--json").stdout)
    assert data[0]["matched_in"] == ["title", "body"]


def test_colour_can_be_forced(db: Path) -> None:
    result = run("search", "morning", "--db", str(db), "--color")
    assert "\x1b[1;33mmorning\x1b[0m" in result.stdout


def test_json_jsonl_and_csv_outputs(db: Path) -> None:
    data = json.loads(run("search", "salutation", "--db", str(db), "--json").stdout)
    assert [hit["title"] for hit in data] == ["Sun salutation basics", "Breathing, with commas"]
    assert set(data[0]) >= {"title", "site", "author", "published", "url", "snippet", "rank"}
    assert "\x02" not in data[0]["snippet"]
    lines = run("search", "salutation", "--db", str(db), "--format", "jsonl").stdout
    assert [json.loads(line)["url"] for line in lines.splitlines()] == [h["url"] for h in data]
    rows = list(csv.DictReader(io.StringIO(run("search", "salutation", "--db", str(db),
                                               "--csv").stdout)))
    assert [row["title"] for row in rows] == ["Sun salutation basics", "Breathing, with commas"]
    assert rows[1]["author"] == "Bob"


def test_json_and_csv_locate_the_highlighted_words_with_the_same_columns(db: Path) -> None:
    data = json.loads(run("search", "salutation", "--db", str(db), "--json").stdout)
    for hit in data:
        assert [hit["snippet"][start:end] for start, end in hit["highlights"]] == ["salutation"]
    assert data[0]["highlights"] == [[45, 55]]  # "...with a few rounds of sun salutation."
    csv_out = run("search", "salutation", "--db", str(db), "--csv").stdout
    header = next(csv.reader(io.StringIO(csv_out)))
    assert header == list(data[0]) == ["id", "url", "title", "site", "author", "published",
                                       "language", "deleted_at", "snippet", "rank",
                                       "highlights", "matched_in"]
    rows = list(csv.DictReader(io.StringIO(csv_out)))
    assert [json.loads(row["highlights"]) for row in rows] == [h["highlights"] for h in data]
    # No hits: the header alone, the same columns.
    empty = run("search", "zzzz", "--db", str(db), "--csv")
    assert empty.stdout.splitlines() == [",".join(header)]


def test_a_word_starting_with_a_dash_leaves_posts_out(db: Path) -> None:
    def titles(*args: str) -> list[str]:
        result = run("search", *args, "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        return [hit["title"] for hit in json.loads(result.stdout)]

    assert titles("salutation -morning") == ["Breathing, with commas"]
    after_dashes = run("search", "--db", str(db), "--json", "--", "salutation", "-morning")
    assert [hit["title"] for hit in json.loads(after_dashes.stdout)] == [
        "Breathing, with commas"]
    assert titles("salutation - lente") == ["Breathing, with commas"]  # a lone - is nothing
    only = run("search", "--db", str(db), "--", "-morning")
    assert only.returncode == 1
    assert only.stderr == ("Error: nothing to search for in '-morning': -morning only leaves "
                           "posts out; add a word to find (garden -compost)\n")
    assert ("a word starting with - must not: garden -compost finds garden but not compost, "
            "quoted or not" in " ".join(run("search", "--help").stdout.split()))


def test_an_unquoted_word_starting_with_a_dash_is_a_query_word(db: Path) -> None:
    # Not click's short options: -morning is not -m -o -r ..., nor -hello the help (-h).
    def titles(*args: str) -> list[str]:
        result = run("search", *args)
        assert result.returncode == 0, result.stderr
        return [hit["title"] for hit in json.loads(result.stdout)]

    left_out = ["Breathing, with commas"]
    assert titles("salutation", "-morning", "--db", str(db), "--json") == left_out
    assert titles("--json", "-morning", "salutation", "--db", str(db)) == left_out
    assert sorted(titles("salutation", "-hello", "--db", str(db), "--json")) == [
        "Breathing, with commas", "Sun salutation basics"]
    # Options still work beside such words, their values too, whatever they look like.
    assert titles("salutation", "-morning", "--limit", "1", "--format=json",
                  f"--db={db}") == left_out
    negative = run("search", "salutation", "--limit", "-1", "--db", str(db))
    assert negative.returncode == 2, negative.stderr  # a bad option value: a usage error
    assert negative.stderr.endswith(
        "Error: Invalid value for '-n' / '--limit': -1 is not in the range x>=1.\n")
    assert run("search", "salutation", "-h").stdout.startswith("Usage: ")
    typo = run("search", "salutation", "--jsno", "--db", str(db))
    assert typo.returncode == 2 and "No such option '--jsno'" in typo.stderr


def test_dash_n_is_the_limit_as_in_runs_and_other_dash_words_still_leave_posts_out(
        db: Path) -> None:
    def titles(*args: str) -> list[str]:
        result = run("search", *args, "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        return [hit["title"] for hit in json.loads(result.stdout)]

    assert titles("salutation", "-n", "1") == ["Sun salutation basics"]  # not "exclude n"
    assert titles("-n", "1", "salutation", "-morning") == ["Breathing, with commas"]
    assert len(titles("salutation", "-n", "2")) == 2
    assert titles("salutation", "-lente") == ["Sun salutation basics"]
    assert "-n, --limit INTEGER" in run("search", "--help").stdout


def test_deleted_posts_included_excluded_or_only(tmp_path: Path) -> None:
    path = build(tmp_path / "archive.db")
    with Archive.open(path) as archive:
        archive.mark_deleted(f"{SITE}/post/breath", when="2025-01-01T00:00:00Z")

    def titles(*args: str) -> list[str]:
        result = run("search", "salutation", "--db", str(path), "--json", *args)
        assert result.returncode == 0, result.stderr
        return [hit["title"] for hit in json.loads(result.stdout)]

    both = ["Sun salutation basics", "Breathing, with commas"]
    assert titles() == titles("--deleted", "include") == both
    assert titles("--deleted", "exclude") == ["Sun salutation basics"]
    assert titles("--deleted", "only") == ["Breathing, with commas"]
    wrong = run("search", "salutation", "--db", str(path), "--deleted", "yes")
    assert wrong.returncode == 2 and "'yes' is not one of 'include', 'exclude', 'only'" in \
        wrong.stderr


def test_filters_and_paging_on_the_command_line(db: Path) -> None:
    def titles(*args: str) -> list[str]:
        result = run("search", "salutation", "--db", str(db), "--json", *args)
        assert result.returncode == 0, result.stderr
        return [hit["title"] for hit in json.loads(result.stdout)]

    assert titles("--lang", "fr") == ["Breathing, with commas"]
    assert titles("--author", "ann") == ["Sun salutation basics"]
    assert titles("--tag", "yoga") == ["Sun salutation basics"]
    assert titles("--category", "practice") == ["Sun salutation basics"]
    assert titles("--since", "2024-01-01") == ["Sun salutation basics"]
    assert titles("--until", "2023-12") == ["Breathing, with commas"]
    assert titles("--site", "ann.wixsite.com/yoga") == titles()
    assert titles("--limit", "1", "--offset", "1") == ["Breathing, with commas"]


def test_database_path_from_option_env_or_current_directory(db: Path, tmp_path: Path) -> None:
    env_result = run("search", "morning", "--json", env={"WIXARCHIVE_DB": str(db)})
    assert len(json.loads(env_result.stdout)) == 1
    build(tmp_path / "archive.db")
    cwd_result = run("search", "morning", "--json", cwd=tmp_path, env={"WIXARCHIVE_DB": ""})
    assert cwd_result.returncode == 0, cwd_result.stderr
    assert len(json.loads(cwd_result.stdout)) == 1


@pytest.mark.parametrize("query, message", [
    ("salutation AND", "malformed query"),
    ("nope:word AND sun", "unknown column"),
    # Boolean search elsewhere writes AND NOT; FTS5 has NOT alone, which the error says.
    ("salutation AND NOT morning",
     "FTS5 has no AND NOT; NOT alone leaves posts out: salutation NOT morning"),
])
def test_malformed_query_gives_one_line_and_exit_1(db: Path, query: str, message: str) -> None:
    result = run("search", query, "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_lower_case_or_or_not_between_words_is_said_to_be_a_word(db: Path) -> None:
    # FTS5's operators are upper-case: "salutation or sun" asks for all three words (none
    # matches), "salutation not sun" for "not" too; a hint on stderr says how to write them.
    either = run("search", "salutation", "or", "morning", "--json", "--db", str(db))
    assert either.returncode == 0 and json.loads(either.stdout) == []
    assert either.stderr == ("Hint: 'or' was searched as a word every post must hold; the "
                             "operator is written in capitals: salutation OR morning.\n")
    upper = run("search", "salutation OR morning", "--count", "--db", str(db))
    assert upper.stdout == "2\n" and upper.stderr == ""
    counted = run("search", "salutation not morning", "--count", "--db", str(db))
    assert counted.stdout == "0\n"
    assert "'not' was searched as a word" in counted.stderr
    assert "salutation NOT morning; -word leaves a word out too." in counted.stderr
    quoted = run("search", '"salutation or morning" sun', "--count", "--db", str(db))
    assert quoted.stderr == ""


def test_bytes_that_are_not_utf8_and_huge_limits_give_one_line_or_results(db: Path) -> None:
    # A shell passes bytes: \xff (not UTF-8) reaches Python as a lone surrogate, which SQLite
    # refuses to bind; a limit past 64 bits would not bind either.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for args, message in [([b"sun\xff"], "Error: the query 'sun\\udcff' is not text"),
                          ([b"tags:\xff"], "Error: the query 'tags:\\udcff' is not text"),
                          ([b"sun", b"--tag", b"\xff"], "Error: --tag: '\\udcff' is not text"),
                          ([b"--author", b"\xffAnn"], "Error: --author: '\\udcffAnn' is not"),
                          ([b"--lang", b"e\xff"], "Error: --lang: 'e\\udcff' is not text"),
                          ([b"--tag", b"   "], "Error: nothing to search for: give words")]:
        result = subprocess.run([sys.executable, "-m", "archive.cli", "search", *args,
                                 "--db", str(db)], capture_output=True, env=env, timeout=60)
        stderr = result.stderr.decode()
        assert result.returncode == 1 and stderr.startswith(message), (args, stderr)
        assert len(stderr.splitlines()) == 1
    huge = "99999999999999999999"
    assert "Sun salutation" in run("search", "--author", "Ann", "--limit", huge, "--db",
                                   str(db)).stdout
    assert "Sun salutation" in run("search", "sun", "--limit", huge, "--db", str(db)).stdout
    beyond = run("search", "sun", "--offset", huge, "--db", str(db))
    assert beyond.returncode == 0 and beyond.stderr == "No matches.\n"


def test_a_filter_lookalike_that_matches_nothing_says_what_filters(db: Path) -> None:
    # "tag:yoga" is not a column filter (the column is tags:): it searches the words "tag yoga",
    # finds nothing, and the user is told what would have filtered.
    result = run("search", "tag:yoga", "--db", str(db))
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "No matches.",
        "Hint: 'tag:yoga' searched the words 'tag' and 'yoga'; to filter, use tags:yoga or "
        "--tag yoga."]
    assert "Sun salutation" in run("search", "tags:yoga", "--db", str(db)).stdout
    assert "Sun salutation" in run("search", "sun", "--tag", "yoga", "--db", str(db)).stdout
    # A word with a colon that names no filter is just searched ("10:30"), without a hint.
    assert run("search", "10:30", "--db", str(db)).stderr == "No matches.\n"


@pytest.mark.parametrize("typed", [("tag : yoga",), ("tag", ":", "yoga"), ("tag:", "yoga"),
                                   ("TAG", ":yoga")])
def test_a_filter_lookalike_with_spaces_around_its_colon_gets_the_hint(
        db: Path, typed: tuple[str, ...]) -> None:
    """`tag : yoga` searches the same words as `tag:yoga`, and found nothing the same, but got
    no hint of what filters."""
    result = run("search", *typed, "--db", str(db))
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "No matches.",
        f"Hint: {' '.join(typed)!r} searched the words 'tag' and 'yoga'; to filter, use "
        "tags:yoga or --tag yoga."]


def _assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["search sun", "stats", "export posts.csv"])
def test_no_db_given_names_the_archives_in_the_folder(tmp_path: Path, command: str) -> None:
    # A new user crawled into blog.db, then forgot --db: "no archive at archive.db" alone left
    # her wondering where her posts went; the error now says what to do.
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run(*command.split(), cwd=empty)
    _assert_refused(nothing, "Error: no archive at archive.db (no --db given; the working "
                             f"directory is {empty}): crawl a blog into it first (wixarchive "
                             "crawl URL), or name your archive with --db FILE")
    build(tmp_path / "blog.db")
    forgot = run(*command.split(), cwd=tmp_path)
    _assert_refused(forgot, "Error: no archive at archive.db (no --db given; the working "
                            f"directory is {tmp_path}): name your archive with --db FILE; in "
                            "this folder: blog.db\n")
    assert not (tmp_path / "archive.db").exists() and not (tmp_path / "posts.csv").exists()
    # A --db or $WIXARCHIVE_DB the user gave is named as it is, with no guess.
    for given in (run(*command.split(), "--db", "other.db", cwd=tmp_path),
                  run(*command.split(), cwd=tmp_path,
                      env={**os.environ, "WIXARCHIVE_DB": "other.db"})):
        assert given.stderr == "Error: no archive at other.db\n"


@pytest.mark.parametrize("command", ["search x", "show 1", "stats", "check"])
def test_bad_files_give_clear_errors_and_stay_untouched(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "missing.db"
    _assert_refused(run(*command.split(), "--db", str(missing)), "no archive at")
    assert not missing.exists()
    text = tmp_path / "notes.db"
    text.write_text("not a database at all\n")
    _assert_refused(run(*command.split(), "--db", str(text)), "not an SQLite database")
    assert text.read_text() == "not a database at all\n"
    newer = build(tmp_path / "newer.db")
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = newer.read_bytes()
    _assert_refused(run(*command.split(), "--db", str(newer)), "newer wixarchive")
    assert newer.read_bytes() == before


def test_damaged_archive_gives_one_line_errors(tmp_path: Path) -> None:
    path = build(tmp_path / "damaged.db")
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x00" * (len(data) - 4096)  # every page but the schema page
    path.write_bytes(bytes(data))
    for command in (["search", "salutation"], ["show", "1"], ["check"]):
        result = run(*command, "--db", str(path))
        assert result.returncode == 1, command
        assert result.stderr.startswith("Error: "), result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("tables", [("posts_fts_data", "posts_fts_idx"), ("posts",)],
                         ids=["search index", "posts"])
def test_search_of_a_damaged_table_says_the_archive_is_damaged(tmp_path: Path,
                                                               tables: tuple[str, ...]) -> None:
    """Before 2026-12-06 a search meeting damaged pages said "the query could not run:
    database disk image is malformed", as if the query were at fault, and pointed nowhere."""
    path = build(tmp_path / "damaged.db")
    overwrite_pages(path, tables)
    commands = [["search", "morning"], ["search", "salutation", "--json"]]
    if tables != ("posts",):  # a count reads the search index alone
        commands.append(["search", "morning", "--count"])
    for command in commands:
        result = run(*command, "--db", str(path))
        assert (result.returncode, result.stdout) == (1, ""), (command, result.stdout)
        assert result.stderr == ("Error: the archive is damaged (database disk image is "
                                 "malformed); `wixarchive check` tells more\n"), command


def test_search_of_a_zeroed_search_index_says_the_archive_is_damaged(tmp_path: Path) -> None:
    """The index's blocks zeroed (SQLite's pages intact) read as an empty index: every search
    said "No matches." (a count 0) as if no post had the words."""
    path = build(tmp_path / "zeroed.db")
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE posts_fts_data SET block = zeroblob(length(block))")
    conn.close()
    for command in (["search", "morning"], ["search", "morning", "--count"]):
        result = run(*command, "--db", str(path))
        assert (result.returncode, result.stdout) == (1, ""), (command, result.stdout)
        assert result.stderr == ("Error: the archive is damaged (database disk image is "
                                 "malformed: the search index is empty while posts have text); "
                                 "`wixarchive check` tells more\n"), command
    with Archive.open(tmp_path / "empty.db"):
        pass
    result = run("search", "morning", "--db", str(tmp_path / "empty.db"))
    assert (result.returncode, result.stderr) == (0, "No matches.\n")  # no posts: no damage


def test_search_upgrades_an_old_archive_it_may_write(tmp_path: Path) -> None:
    from test_store_files import build_v1

    path = tmp_path / "old.db"
    build_v1(path)
    result = run("search", "custard", "--db", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert [hit["title"] for hit in json.loads(result.stdout)] == ["Crème brûlée"]


def test_read_only_archive_can_be_searched(tmp_path: Path) -> None:
    path = build(tmp_path / "ro.db")
    path.chmod(0o444)
    result = run("search", "morning", "--db", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1
    assert run("check", "--db", str(path)).returncode == 0



def test_archive_in_a_read_only_directory_can_be_searched(tmp_path: Path) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    path = build(folder / "archive.db")
    path.chmod(0o444)
    folder.chmod(0o555)  # no -wal/-shm files can be created beside it
    try:
        result = run("search", "morning", "--db", str(path), "--json")
    finally:
        folder.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["archive.db"]


def test_a_snapshot_of_an_archive_in_use_is_searched_with_its_wal(tmp_path: Path) -> None:
    """A read-only snapshot (LVM, ZFS, a read-only mount) of an archive a crawl was writing
    holds its -wal and -shm: it was read as an immutable file, without the -wal, so the
    commits since the last checkpoint were missing (tried on a read-only tmpfs mount: a post
    retitled in the -wal was found under its old title only). SQLite reads such an archive
    through its -wal, read-only; the mount is simulated by modes (no write bit counts)."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    path = build(folder / "archive.db")
    writer = subprocess.run(  # a commit left in the -wal by a process that never closed
        [sys.executable, "-c", "import os, sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
         "c.execute(\"UPDATE posts SET title = 'Retitled in the WAL' WHERE id = 1\")\n"
         "os._exit(0)", str(path)], timeout=60)
    assert writer.returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "archive.db", "archive.db-shm", "archive.db-wal"]
    for file in folder.iterdir():
        file.chmod(0o444)
    folder.chmod(0o555)
    try:
        result = run("search", "retitled", "--db", str(path), "--json")
    finally:
        folder.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert [hit["title"] for hit in json.loads(result.stdout)] == ["Retitled in the WAL"]


def test_search_while_a_writer_holds_the_lock(db: Path, tmp_path: Path) -> None:
    path = build(tmp_path / "busy.db")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE posts SET title = 'uncommitted' WHERE id = 1")
    try:
        result = run("search", "morning", "--db", str(path), "--json")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert result.returncode == 0, result.stderr
    assert [hit["title"] for hit in json.loads(result.stdout)] == ["Sun salutation basics"]


def test_search_does_not_import_the_crawler_stack(db: Path) -> None:
    code = (
        "import sys\n"
        "from archive.cli import main\n"
        f"sys.argv = ['wixarchive', 'search', 'morning', '--db', {str(db)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('scrapy', 'twisted', 'datasette', 'sqlite_utils', 'lxml', 'redis', 'scrapy_redis'))\n"
        "print('HEAVY', heavy)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert "Sun salutation basics" in result.stdout
    assert "HEAVY []" in result.stdout, result.stdout


def test_show_in_every_format(db: Path) -> None:
    text = run("show", f"{SITE}/post/sun", "--db", str(db))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Sun salutation basics\n=====")
    assert "Author: Ann Example" in text.stdout and "Tags: Yoga" in text.stdout
    assert text.stdout.rstrip().endswith("rounds of sun salutation.")
    markdown = run("show", f"{SITE}/post/sun", "--db", str(db), "--format", "markdown").stdout
    assert markdown.startswith("# Sun salutation basics\n")
    assert "Start every **morning**" in markdown
    data = json.loads(run("show", f"{SITE}/post/sun", "--db", str(db), "--format", "json").stdout)
    assert data["title"] == "Sun salutation basics" and data["tags"] == ["Yoga"]
    by_id = json.loads(run("show", str(data["id"]), "--db", str(db), "--format", "json").stdout)
    assert by_id["url"] == data["url"]


def test_show_older_version_and_unknown_post(db: Path) -> None:
    old = run("show", f"{SITE}/post/breath", "--db", str(db), "--version", "1")
    assert "Un souffle calme" in old.stdout and "Version: 1" in old.stdout
    current = run("show", f"{SITE}/post/breath", "--db", str(db))
    assert "Deuxième version" in current.stdout and "Version: 2" in current.stdout
    _assert_refused(run("show", f"{SITE}/post/breath", "--db", str(db), "--version", "7"),
                    "has versions 1, 2")
    _assert_refused(run("show", f"{SITE}/post/nope", "--db", str(db)), "no post")


def test_stats_per_site(db: Path) -> None:
    text = run("stats", "--db", str(db))
    assert text.returncode == 0, text.stderr
    assert "https://ann.wixsite.com/yoga/" in text.stdout and "(ok)" in text.stdout
    data = json.loads(run("stats", "--db", str(db), "--json").stdout)
    [row] = data["sites"]
    assert (row["posts"], row["versions"], row["deleted"]) == (2, 3, 0)
    assert row["words"] == 10 + 5  # the current version of each post
    assert row["last_crawled"] == "2024-06-01T00:05:00Z"
    # No captures beside this archive: the archive-wide summary says so, all zero.
    assert data["captures"] == {"directory": "archive.captures", "files": 0, "bytes": 0,
                                "records": 0, "responses": 0, "revisits": 0,
                                "media_stored": 0, "missing_files": 0,
                                "missing_records": 0, "unreadable": None}
    assert [json.loads(line) for line in run("stats", "--db", str(db), "--jsonl")
            .stdout.splitlines()] == [row]  # the sites alone, one record each


def test_check_finds_an_out_of_sync_index_and_repairs_it(tmp_path: Path) -> None:
    path = build(tmp_path / "check.db")
    ok = run("check", "--db", str(path))
    assert ok.returncode == 0 and ok.stdout.startswith("OK:")
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER posts_fts_update")  # simulate an index that missed an edit
    conn.execute("UPDATE posts SET body = 'edited behind the index' WHERE id = 1")
    conn.commit()
    conn.close()
    bad = run("check", "--db", str(path))
    assert bad.returncode == 1 and "search index" in bad.stderr
    # The same for a script: one JSON object, the problems named, exit status 1.
    report = run("check", "--db", str(path), "--json")
    assert report.returncode == 1, report.stderr
    found = json.loads(report.stdout)
    assert found["ok"] is False and found["posts"] == 2
    assert any("search index" in problem for problem in found["problems"]), found
    assert run("check", "--db", str(path), "--repair").returncode == 0
    healthy = json.loads(run("check", "--db", str(path), "--json").stdout)
    assert healthy["ok"] is True and healthy["problems"] == [] and healthy["schema"] >= 1


def test_check_of_a_busy_archive_is_an_error_to_retry_not_a_problem(tmp_path: Path) -> None:
    """Another process holds the write lock (a crawl's long batch, `optimize`): the index check
    cannot run. Before, it said "Problem: search index out of sync with posts (database is
    locked)" and exited 1 ("ok": false with --json), sending a monitor to repair a healthy
    archive. Now: the busy message `check --repair` gives, as an error with exit status 75."""
    path = build(tmp_path / "busy.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], "
         "isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('held', flush=True); "
         "sys.stdin.read()", str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        quick = {"WIXARCHIVE_BUSY_TIMEOUT_MS": "300"}
        busy = "Error: the archive is busy: another process kept it locked for too long; " \
               "try again\n"
        for args in ([], ["--json"], ["--repair"]):
            result = run("check", "--db", str(path), *args, env=quick)
            assert (result.returncode, result.stderr, result.stdout) == (75, busy, ""), args
    finally:
        holder.communicate("")
    assert run("check", "--db", str(path)).returncode == 0  # free again: healthy


def test_check_json_of_an_archive_it_cannot_check_prints_an_object_saying_why(
        tmp_path: Path) -> None:
    """`check --json --db nosuch.db` printed only the error line on stderr: a monitoring script
    parsing stdout got nothing to parse."""
    for path, error in ((tmp_path / "nosuch.db", f"no archive at {tmp_path}/nosuch.db"),
                        (tmp_path / "notes.db", "not an SQLite database")):
        if path.name == "notes.db":
            path.write_text("not a database at all\n")
        result = run("check", "--db", str(path), "--json")
        assert result.returncode == 1
        report = json.loads(result.stdout)
        assert (report["ok"], report["db"]) == (False, str(path))
        assert error in report["error"] and result.stderr == f"Error: {report['error']}\n"


def test_a_filter_without_words_lists_its_posts_newest_first(db: Path) -> None:
    listed = run("search", "--author", "bob", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("1. Breathing, with commas\n")
    assert "Deuxième version: salutation plus lente." in listed.stdout  # its text's beginning
    every = json.loads(run("search", "--site", "ann.wixsite", "--json", "--db", str(db)).stdout)
    assert [hit["title"] for hit in every] == ["Sun salutation basics", "Breathing, with commas"]
    assert [hit["highlights"] for hit in every] == [[], []]
    assert [hit["rank"] for hit in every] == [0.0, 0.0]
    older = run("search", "--until", "2023", "--csv", "--db", str(db))
    assert [row["title"] for row in csv.DictReader(io.StringIO(older.stdout))] == [
        "Breathing, with commas"]
    none = run("search", "--tag", "nosuch", "--db", str(db))
    assert none.returncode == 0 and none.stderr == "No matches.\n"


def test_neither_words_nor_a_filter_is_a_one_line_error(db: Path) -> None:
    result = run("search", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr == ("Error: nothing to search for: give words to find, or a filter "
                             "(--author, --tag, --category, --site, --since, --until, --lang, "
                             "--deleted) to list its posts\n")


def test_a_listed_posts_snippet_ends_on_a_whole_word_with_an_ellipsis(tmp_path: Path) -> None:
    # Blank lines between paragraphs, collapsed after the cut, once left "…bees. Gettin".
    words = ("Seedlings " * 15).strip()
    with Archive.open(tmp_path / "long.db") as archive:
        archive.save_article(Article(
            url=f"{SITE}/post/long", title="Long", author="Priya Raman",
            body_text=words + "\n\n\n\nThe compost heap does not care about deadlines."))
    listed = run("search", "--author", "priya", "--db", str(tmp_path / "long.db"))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[3] == f"   {words} The…"


def two_sites(path: Path) -> Path:
    with Archive.open(path) as archive:
        for site, slug, author, tags in (("https://one.example.com", "a", "Ann", ["Soup", "Leek"]),
                                         ("https://two.example.com", "b", "Bob", ["Soup"]),
                                         ("https://three.example.com", "c", "Cy", ["Leek"])):
            archive.save_article(Article(url=f"{site}/post/{slug}", title=f"Leek soup {slug}",
                                         author=author, tags=tags, published="2024-01-01",
                                         body_text="leek soup"))
    return path


def test_repeated_site_and_author_mean_any_repeated_tag_every_one(tmp_path: Path) -> None:
    db = str(two_sites(tmp_path / "archive.db"))

    def found(*args: str) -> list[str]:
        result = run("search", *args, "--json", "--db", db)
        assert result.returncode == 0, result.stderr
        return sorted(hit["title"] for hit in json.loads(result.stdout))

    assert found("soup", "--site", "one.example", "--site", "two.example") == [
        "Leek soup a", "Leek soup b"]
    assert found("--author", "bob", "--author", "cy") == ["Leek soup b", "Leek soup c"]
    assert found("soup", "--tag", "soup", "--tag", "LEEK") == ["Leek soup a"]
    assert found("--tag", "soup") == ["Leek soup a", "Leek soup b"]
    refused = run("search", "soup", "--site", "one.example", "--site", "nowhere", "--db", db)
    assert refused.returncode == 1 and "no archived site matches 'nowhere'" in refused.stderr
    help_text = run("search", "--help").stdout
    assert "repeated: any of them" in help_text and "repeated: with every one" in help_text
    out = tmp_path / "posts.jsonl"
    exported = run("export", str(out), "--site", "one.example", "--site", "three", "--db", db)
    assert exported.returncode == 0, exported.stderr
    assert sorted(json.loads(line)["title"] for line in out.read_text().splitlines()) == [
        "Leek soup a", "Leek soup c"]
    assert "repeated: any of them" in run("export", "--help").stdout


def test_hints_go_to_stderr_in_every_format_and_name_dates_and_whole_values(db: Path) -> None:
    for fmt, empty in (("--json", "[]\n"), ("--csv", None), ("--jsonl", "")):
        result = run("search", "tag:yoga", fmt, "--db", str(db))
        assert result.returncode == 0, result.stderr
        if empty is not None:
            assert result.stdout == empty
        else:
            assert list(csv.reader(io.StringIO(result.stdout)))[0][0] == "id"  # header only
            assert len(result.stdout.splitlines()) == 1
        assert result.stderr == ("Hint: 'tag:yoga' searched the words 'tag' and 'yoga'; to "
                                 "filter, use tags:yoga or --tag yoga.\n")
    for word, value in (("published:2024", "2024"), ("date:2024-05", "2024-05"),
                        ("year:2024", "2024")):
        assert run("search", word, "--db", str(db)).stderr.splitlines()[-1].endswith(
            f"to filter, use --since {value} --until {value}."), word
    whole = run("search", "tag:crème brûlée", "--db", str(db)).stderr.splitlines()[-1]
    assert whole == ("Hint: 'tag:crème brûlée' searched the words 'tag', 'crème' and 'brûlée'; "
                     "to filter, use tags:\"crème brûlée\" or --tag 'crème brûlée'.")
    # Typed as two words, the value is the first.
    apart = run("search", "tag:crème", "brûlée", "--db", str(db)).stderr.splitlines()[-1]
    assert apart.endswith("use tags:crème or --tag crème.")


def test_count_gives_how_many_posts_paging_to_the_end_finds(tmp_path: Path) -> None:
    """`--count` is the number of hits of every page, whatever the query (plain words, an
    excluded word, FTS5 syntax, Chinese words, no words but a filter), not the first page's."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for n in range(25):
            archive.save_article(Article(
                url=f"{SITE}/post/p{n}", title=f"Garden note {n}", author="Ann" if n % 2 else "Bob",
                published=f"2024-0{1 + n % 9}-01", tags=["Garden"] if n % 3 else ["Kitchen"],
                language="zh" if n % 5 == 0 else "en",
                body_text=(f"在东京的花园 {n}" if n % 5 == 0 else
                           f"The garden in spring {n}, compost" + (" and beans" if n % 4 else ""))))

    def count(*args: str) -> int:
        result = run("search", *args, "--count", "--db", str(db))
        assert result.returncode == 0, result.stderr
        return int(result.stdout)

    def paged(*args: str) -> int:
        result = run("search", *args, "--limit", "1000", "--json", "--db", str(db))
        assert result.returncode == 0, result.stderr
        return len(json.loads(result.stdout))

    for args in (("garden",), ("garden", "-beans"), ("garden", "--tag", "garden"),
                 ('"garden in" OR 东京',), ("东京",), ("--author", "ann"),
                 ("garden", "--since", "2024-03", "--lang", "en"), ("nothingmatches",)):
        assert count(*args) == paged(*args), args
    assert count("garden") == 25 > 10  # more than the first page (every title has it)
    assert count("--author", "ann") == 12
    assert count("garden", "--limit", "3", "--offset", "5") == 25  # they do not apply
    as_json = run("search", "garden", "--count", "--json", "--db", str(db))
    assert json.loads(as_json.stdout) == {"count": 25}
    for wrong, message in ((("--csv",), "Error: --count prints a number, or {\"count\": N} "
                                        "with --json: drop --csv"),
                           (("--site", "nosuch"), "Error: no archived site matches"),
                           ((), "Error: nothing to search for")):
        result = run("search", *(("garden",) if wrong else ()), *wrong, "--count", "--db",
                     str(db))
        assert result.returncode == 1 and result.stderr.startswith(message), result.stderr
        assert "Traceback" not in result.stderr


def test_lang_takes_a_common_language_name_as_the_web_form_does(tmp_path: Path) -> None:
    """`--lang Turkish` found nothing (posts hold codes) where the web form's field searched
    `tr`: a researcher was told her archive had no Turkish posts."""
    from intl import build_intl_archive

    db = str(build_intl_archive(tmp_path / "intl.db"))
    for name, code in (("Arabic", "ar"), ("german", "de"), ("Japanese", "ja")):
        by_name = run("search", "--lang", name, "--json", "--db", db)
        by_code = run("search", "--lang", code, "--json", "--db", db)
        assert by_name.returncode == by_code.returncode == 0, by_name.stderr
        found = [hit["language"] for hit in json.loads(by_name.stdout)]
        assert found and found == [hit["language"] for hit in json.loads(by_code.stdout)], name
    import wixarchive

    with wixarchive.open(db) as archive:
        assert [post["language"] for post in wixarchive.posts(archive, lang="German")] \
            == ["de-DE"]


def test_no_db_given_in_a_folder_deleted_meanwhile_says_so_in_one_line(tmp_path: Path) -> None:
    # The shell's folder removed from another terminal (`rm -rf demo` while in it): looking for
    # the archives in it raised FileNotFoundError, a traceback instead of the error.
    gone = tmp_path / "gone"
    gone.mkdir()
    command = Path(sys.executable).parent / "wixarchive"
    result = subprocess.run(["sh", "-c", f'cd "{gone}" && rmdir "{gone}" && exec "{command}" '
                             "search sun"], capture_output=True, text=True, timeout=60,
                            env={k: v for k, v in os.environ.items() if k != "WIXARCHIVE_DB"})
    _assert_refused(result, "Error: no archive at archive.db (no --db given): crawl a blog "
                            "into it first (wixarchive crawl URL), or name your archive with "
                            "--db FILE")


def test_a_language_name_it_does_not_know_is_refused_as_export_refuses_it(db: Path) -> None:
    # `--lang Portugese` (a typo) printed "No matches." (and --count 0), where export refused it.
    for name, args in (("Portugese", ("sun",)), ("Klingon", ("--count",))):
        result = run("search", *args, "--lang", name, "--db", str(db))
        assert result.returncode == 1, result
        assert result.stderr.startswith(f"Error: --lang: unknown language '{name}': give its "
                                        "code (es, pt-BR)"), result.stderr
    assert run("search", "--lang", "French", "--count", "--db", str(db)).stdout.strip() == "1"
