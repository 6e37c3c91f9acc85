"""Options that several commands share mean the same everywhere, run as a user runs them (a
subprocess, on a real archive file): --site names a site one way (a full URL, a host or part of
the URL, or the site's name), dates that do not exist are refused, --author ignores accents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from outputs import wixarchive

from archive.store import Archive
from crawler.extract.record import Article

GARDEN = "http://127.0.0.1:8766/"
KITCHEN = "http://127.0.0.1:8767/"
# Each site with its name, when it has one: --site takes either.
SITES = f"(sites: {GARDEN} \"Zoë's garden\", {KITCHEN})"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("options") / "archive.db"
    with Archive.open(path) as archive:
        for site, name, author in ((GARDEN, "Zoë's garden", "Zoë Martin"),
                                   (KITCHEN, None, "José Núñez")):
            run_id = archive.start_run(site, started_at="2024-06-01T00:00:00Z")
            archive.save_article(Article(
                url=f"{site}post/garden", title=f"Garden notes by {author}", author=author,
                published="2024-03-10", site_name=name, body_text="The garden in March."),
                run_id=run_id)
            archive.finish_run(run_id, status="ok", counts={"new": 1}, errors=[],
                               finished_at="2024-06-01T00:01:00Z")
    return path


def _run_sites(db: Path, site: str) -> list[str]:
    result = wixarchive("runs", "--site", site, "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    return [row["site"] for row in json.loads(result.stdout)]


def test_runs_takes_a_host_a_name_or_a_url_and_refuses_an_unknown_site(db: Path):
    assert _run_sites(db, "127.0.0.1:8767") == [KITCHEN]
    assert _run_sites(db, "zoë's GARDEN") == [GARDEN]
    assert _run_sites(db, f"{GARDEN}post/garden") == [GARDEN]
    assert _run_sites(db, "127.0.0.1") == [KITCHEN, GARDEN]  # a filter: both sites' runs
    for unknown in ("127.0.0.1:8768", "nosuch.example", "http://127.0.0.1:876/"):
        result = wixarchive("runs", "--site", unknown, "--db", str(db))
        assert result.returncode == 1
        assert result.stderr == f"Error: no archived site matches {unknown!r} {SITES}\n"


def test_reextract_takes_a_host_and_needs_exactly_one_site(db: Path):
    done = wixarchive("reextract", "--site", "127.0.0.1:8766", "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["without_capture"] == 1  # that site's one post, no other

    several = wixarchive("reextract", "--site", "127.0.0.1", "--db", str(db))
    assert several.returncode == 1
    assert several.stderr == (f"Error: '127.0.0.1' matches 2 sites: {GARDEN} \"Zoë's garden\", "
                              f"{KITCHEN}; give one's full URL\n")
    unknown = wixarchive("reextract", "--site", "nosuch", "--db", str(db))
    assert (unknown.returncode, unknown.stderr) == (
        1, f"Error: no archived site matches 'nosuch' {SITES}\n")


def test_search_and_export_refuse_an_unknown_site_as_the_other_commands_do(db: Path):
    found = wixarchive("search", "garden", "--site", "127.0.0.1:8767", "--db", str(db), "--json")
    assert [hit["site"] for hit in json.loads(found.stdout)] == [KITCHEN]
    for command in (["search", "garden"], ["export", "--format", "jsonl", "-"]):
        result = wixarchive(*command, "--site", "nosuch", "--db", str(db))
        assert result.returncode == 1, command
        assert result.stderr == f"Error: no archived site matches 'nosuch' {SITES}\n"
    # A full URL is that site only, not every URL it is the start of.
    exported = wixarchive("export", "--format", "jsonl", "--site", "http://127.0.0.1:876/",
                          "--db", str(db), "-")
    assert exported.returncode == 1 and "no archived site matches" in exported.stderr
    exported = wixarchive("export", "--format", "jsonl", "--site", KITCHEN, "--db", str(db), "-")
    assert [json.loads(line)["site"] for line in exported.stdout.splitlines()] == [KITCHEN]


@pytest.mark.parametrize("option, value", [
    ("--since", "2024-13"), ("--until", "2024-02-30"), ("--since", "2024-99-99"),
    ("--since", "2023-02-29"), ("--until", "2024-00"), ("--since", "2024-05-01T25:00"),
])
def test_a_date_that_does_not_exist_is_refused(db: Path, option: str, value: str):
    result = wixarchive("search", "garden", option, value, "--db", str(db))
    assert result.returncode == 1
    assert result.stderr == (f"Error: {option}: expected a date like 2024-05-01 (or 2024-05, "
                             f"2024), not {value!r}\n")


def test_real_dates_still_filter(db: Path):
    result = wixarchive("search", "garden", "--since", "2024-02-29", "--until", "2024-03",
                        "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 2


@pytest.mark.parametrize("typed, author", [
    ("zoe", "Zoë Martin"), ("ZOË", "Zoë Martin"), ("jose", "José Núñez"),
    ("JOSÉ nunez", "José Núñez"), ("José", "José Núñez"),
])
def test_author_ignores_accents_and_case(db: Path, typed: str, author: str):
    result = wixarchive("search", "garden", "--author", typed, "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert [hit["author"] for hit in json.loads(result.stdout)] == [author]


def test_show_html_without_json_is_refused_not_ignored(db: Path):
    result = wixarchive("show", "1", "--html", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr == ("Error: --html adds the body HTML to the JSON output: use it with "
                             "--format json\n")
    shown = wixarchive("show", "1", "--html", "--format", "json", "--db", str(db))
    assert shown.returncode == 0 and "body_html" in json.loads(shown.stdout)


def test_sites_list_shows_each_sites_name(tmp_path: Path):
    db = str(tmp_path / "archive.db")
    assert wixarchive("sites", "add", "https://someone.wixsite.com/garden", "--name",
                      "Zoë's garden", "--db", db).returncode == 0
    assert wixarchive("sites", "add", "https://kitchen.example/", "--db", db).returncode == 0
    lines = wixarchive("sites", "list", "--db", db).stdout.splitlines()
    assert lines[0].startswith("https://someone.wixsite.com/garden (Zoë's garden)  every 1d")
    assert lines[1].startswith("https://kitchen.example/  every 1d")
    listed = json.loads(wixarchive("sites", "list", "--db", db, "--json").stdout)
    assert [site["name"] for site in listed] == ["Zoë's garden", None]


@pytest.mark.parametrize("args", [
    ("search", "x", "--limit", "abc"), ("search", "x", "--limit", "-1"),
    ("search", "x", "--offset", "-1"), ("runs", "--limit", "0"),
    ("sites", "add", "https://a.example/", "--every", "bogus"),
    ("sites", "add", "https://a.example/", "--cron", "bogus"),
    ("sites", "add", "https://a.example/", "--timeout", "0s"),
], ids=["limit-abc", "limit-negative", "offset-negative", "runs-limit-0", "every", "cron",
        "timeout"])
def test_a_bad_option_value_is_a_usage_error_exit_2_whatever_the_command(
        db: Path, tmp_path: Path, args: tuple[str, ...]):
    """`runs --limit 0` exited 2 (click's range) while `search --limit -1` and `sites add
    --every bogus` exited 1: every bad option value is now a usage error, exit 2, before
    anything is read or written."""
    sites = tmp_path / "sites.toml"
    result = wixarchive(*args, "--db", str(db),
                        *(["--sites", str(sites)] if args[0] == "sites" else []))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Usage: "), result.stderr
    assert "Error: Invalid value for" in result.stderr, result.stderr
    assert not sites.exists()


@pytest.mark.parametrize(("typed", "meant"), [("crwal", "crawl"), ("serach", "search"),
                                              ("Export", "export"), ("stat", "stats")])
def test_a_mistyped_command_names_the_one_meant(typed: str, meant: str) -> None:
    # click suggests for a mistyped option (--dbb: "Did you mean '--db'?") but not a command:
    # a new user typing `wixarchive crwal URL` read only "No such command 'crwal'."
    result = wixarchive(typed, "https://example.com/")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: No such command '{typed}'. Did you mean '{meant}'?")
    assert wixarchive("frobnicate").stderr.splitlines()[-1] == (
        "Error: No such command 'frobnicate'.")


@pytest.mark.parametrize(("typed", "meant"), [("mrege", "merge"), ("lsit", "list"),
                                              ("remvoe", "remove")])
def test_a_mistyped_subcommand_names_the_one_meant(typed: str, meant: str) -> None:
    # Only the top-level commands named the one meant (click < 8.4, which pyproject allows,
    # names none): `wixarchive sites mrege` said "No such command 'mrege'." alone.
    result = wixarchive("sites", typed, "https://example.com/")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"Error: No such command '{typed}'. Did you mean '{meant}'?")
    assert wixarchive("sites", "frobnicate").stderr.splitlines()[-1] == (
        "Error: No such command 'frobnicate'.")
