"""The commands' outputs agree with each other, run as a user runs them (a subprocess, on a real
archive file): CSV carries what JSON carries, the same output flags on every command, the same
labels for the same fields in `show` and `extract`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from outputs import POST, POST_URL, build_outputs_archive, wixarchive


def ok(*args: str) -> str:
    return wixarchive(*args, check=True).stdout


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_outputs_archive(tmp_path_factory.mktemp("outputs") / "archive.db")


def csv_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("command", [["runs"], ["runs", "--failing"], ["stats"]],
                         ids=" ".join)
def test_csv_carries_every_field_of_the_json(db: Path, command: list[str]) -> None:
    as_json = json.loads(wixarchive(*command, "--json", "--db", str(db)).stdout)
    if command == ["stats"]:  # an object: the sites, which the CSV lists, and the captures
        as_json = as_json["sites"]
    header, rows = csv_rows(wixarchive(*command, "--csv", "--db", str(db)).stdout)
    assert as_json, "the archive should give rows to compare"
    assert header == list(as_json[0])
    assert [{k: str(v) if v is not None else "" for k, v in record.items()}
            for record in as_json] == rows


def test_runs_csv_has_the_pages_count(db: Path) -> None:
    header, rows = csv_rows(ok("runs", "--csv", "--db", str(db)))
    assert "pages" in header
    assert [row["pages"] for row in rows] == ["0", "3"]  # newest first


def test_show_takes_json_as_the_other_commands_do(db: Path) -> None:
    shorthand = ok("show", "1", "--json", "--db", str(db))
    assert shorthand == ok("show", "1", "--format", "json", "--db", str(db))
    assert json.loads(shorthand)["url"] == POST_URL
    assert not ok("show", "1", "--db", str(db)).startswith("{")  # text stays the default
    # Given both, the last one wins, as with --format and --json on search, stats and runs.
    assert ok("show", "1", "--json", "--format", "text", "--db", str(db)).startswith("Five")


def test_history_takes_format_and_json(db: Path) -> None:
    shorthand = ok("history", POST_URL, "--json", "--db", str(db))
    assert shorthand == ok("history", POST_URL, "--format", "json", "--db", str(db))
    assert [v["version"] for v in json.loads(shorthand)] == [1]
    text = ok("history", POST_URL, "--format", "text", "--db", str(db))
    assert text == ok("history", POST_URL, "--db", str(db))
    assert "  v1  " in text
    refused = wixarchive("history", POST_URL, "--format", "csv", "--db", str(db))
    assert refused.returncode == 2 and "'csv' is not one of 'text', 'json'" in refused.stderr


def test_show_says_when_the_post_was_last_seen_on_its_site(db: Path) -> None:
    """Of a blog that has gone (its crawls failing), a post's text said nothing of when it was
    last found there: `last_seen` was in the JSON only. A version asked for is dated by its
    own fetch instead."""
    seen = json.loads(ok("show", "1", "--json", "--db", str(db)))["last_seen"]
    assert f"Last seen on the site: {seen}" in ok("show", "1", "--db", str(db)).splitlines()
    assert "Last seen" not in ok("show", "1", "--version", "1", "--db", str(db))


def test_show_and_extract_label_the_same_fields_alike(db: Path) -> None:
    shown = ok("show", "1", "--db", str(db)).splitlines()
    extracted = ok("extract", str(POST)).splitlines()
    for line in ("Updated: 2021-05-06T10:11:12.456Z", "Reading time: 3 min",
                 "Published: 2021-04-05T09:10:11.123Z", "Author: Ada Gardener"):
        assert line in shown and line in extracted, line


def test_recover_says_each_retry_on_stderr_before_its_one_error_line(tmp_path: Path) -> None:
    # A loopback port nothing listens on: refused at once; one retry after the 5 s back-off.
    result = wixarchive("recover", "http://example.com/", "--from", "http://127.0.0.1:1/coll/",
                        "--db", str(tmp_path / "rec.db"), "--retries", "1", "--delay", "0")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "cannot reach the CDX server at http://127.0.0.1:1: Connection refused; "
        "retrying in 5 s (try 2 of 2)",
        "Error: cannot reach the CDX server at http://127.0.0.1:1: Connection refused "
        "(2 tries); what was fetched is kept: run the same command again to resume"]


def test_the_summary_line_names_what_was_fetched_and_agrees_in_number(
        capsys: pytest.CaptureFixture[str]):
    """The line counted images in "fetched now" without naming them, and said "1 feeds"."""
    from archive.cli.recover import _summary
    from archive.recover import RecoverResult

    result = RecoverResult(site="https://a.example/", listed=1, fetched=45, cdx_requests=1,
                           replay_requests=45)
    result.fetched_kinds.update(page=1, feed=1, image=42, file=1)
    _summary(result)
    assert capsys.readouterr().out.splitlines()[0] == (
        "https://a.example/: 1 capture of post URLs listed, 0 fetched before, 45 fetched now "
        "(1 page, 1 feed or sitemap, 42 images, 1 video or document); 46 requests (1 to the "
        "CDX server)")

