"""`wixarchive export`: what is exported is what is archived, in every format."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import unicodedata
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from click.testing import CliRunner
from lxml import etree

from archive import captures
from archive.captures import record_media
from archive.cli import main
from archive.export import full_size, safe_post
from archive.export.wxr import NS, _unshown, content_html
from archive.iri import uri
from archive.schedule.locks import SiteLock, lock_path
from archive.store import Archive
from crawler.extract.record import Article
from tests.processes import HANG_GUARD, into_closed_pipe

YOGA = "https://ann.wixsite.com/yoga"
CAFE = "https://www.cafe-exemple.fr"
RESIZED = ("https://static.wixstatic.com/media/ab12~mv2.jpg/v1/fill/w_740,h_493,al_c,q_85,"
           "enc_auto/ab12~mv2.jpg")
FULL = "https://static.wixstatic.com/media/ab12~mv2.jpg"


def save(archive: Archive, url: str, **fields: Any) -> None:
    values: dict[str, Any] = {"title": "Untitled", "author": "Ann", "published": None,
                              "body_text": "Text.", "body_html": "<p>Text.</p>",
                              "body_markdown": "Text.", "language": "en"}
    values.update(fields)
    archive.save_article(Article(url=url, **values))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "blogs.db"
    with Archive.open(path) as archive:
        save(archive, f"{YOGA}/post/breathing", title='Breathing: "the basics" — part 1',
             published="2024-05-01T08:00:00Z", modified="2024-05-03T10:00:00Z",
             tags=["Yoga", "Health, body & mind"], categories=["Practice"],
             description="How to breathe.", site_name="Ann's yoga",
             cover_image=FULL, images=[FULL, "https://static.wixstatic.com/media/cd34~mv2.png"],
             body_text="Breathe in.\n\nBreathe out.",
             body_html=f'<p>Breathe in.</p><img src="{RESIZED}"><p>a ]]&gt; b</p>',
             body_markdown=f"Breathe in.\n\n![]({RESIZED})\n\na ]]> b")
        save(archive, f"{CAFE}/post/caf%C3%A9-cr%C3%A8me", title="Café crème ☕ et صباح الخير",
             author="Zoé", published="2023-01-15T09:30:00+01:00", tags=["Café"],
             categories=["Boissons"], language="fr", body_text="Un café.\n\nDeux cafés.",
             body_html="<p>Un café.</p><p>Deux <strong>cafés</strong>.</p>", body_markdown="")
        save(archive, f"{CAFE}/post/old", title="Old news", body_text="Gone.",
             body_html="<p>Gone.</p><script>alert(1)</script>", body_markdown="Gone.")
        archive.mark_deleted(f"{CAFE}/post/old", when="2024-02-02T00:00:00+00:00")
    return path


def archived(db: Path) -> dict[str, dict[str, Any]]:
    """The archived posts as an export gives them: every field, content made safe (these posts
    have no videos or documents, and none was recovered from a web archive)."""
    with Archive.open(db, readonly=True) as archive:
        return {post["url"]: {**safe_post(post), "attachments": [], "recovered": None}
                for post in (archive.post(i) for i in (1, 2, 3)) if post}


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, ["export", *args])
    return result


def test_the_sites_counted_are_those_with_a_post_in_the_export(db: Path, tmp_path: Path) -> None:
    """A study's archive holds sites whose first crawl archived nothing (a server error, a site
    that is not Wix): "Exported 3 posts from 3 sites" counted one with no post, and an export
    of that one said "0 posts from 1 site"."""
    with Archive.open(db) as archive:
        run_id = archive.start_run("https://failing.example/")
        archive.finish_run(run_id, status="failed", counts={}, errors=["HTTP 500"])
    everything = run("--format", "jsonl", "--db", str(db), str(tmp_path / "all.jsonl"))
    assert everything.exit_code == 0, everything.output
    assert everything.output.splitlines()[0].startswith("Exported 3 posts from 2 sites to ")
    empty = CliRunner().invoke(main, ["export", "--format", "csv", "--site", "failing.example",
                                      "--db", str(db), "--json", str(tmp_path / "none.csv")])
    assert json.loads(empty.stdout)["sites"] == 0
    one = run("--format", "csv", "--lang", "fr", "--db", str(db), str(tmp_path / "fr.csv"))
    assert one.output.splitlines()[0].startswith("Exported 1 post matching --lang fr from 1 site")


def test_jsonl_round_trips_every_field(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "posts.jsonl"
    result = run("--format", "jsonl", "--db", str(db), str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Exported 3 posts from 2 sites to {out} (jsonl)."
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {line["url"]: line for line in lines} == archived(db)
    # The body stored with a <script> (as another tool might write it) is exported without it.
    assert {line["url"]: line for line in lines}[f"{CAFE}/post/old"]["body_html"] == "<p>Gone.</p>"


def test_csv_round_trips_every_field(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "posts.csv"
    assert run("--format", "csv", "--db", str(db), str(out)).exit_code == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    posts = archived(db)
    assert len(rows) == len(posts)
    for row in rows:
        post = posts[row["url"]]
        assert set(row) == set(post)
        for key, value in post.items():
            if isinstance(value, list):
                assert json.loads(row[key]) == value, key
            else:
                assert row[key] == ("" if value is None else str(value)), key


def test_jsonl_and_csv_carry_the_videos_and_documents_with_what_fetching_them_gave(
        tmp_path: Path) -> None:
    """Every archived field means the post's videos and documents too: each with its kind and
    URL, and whether a copy is archived (status, size, payload digest); a URL that could run
    code is left out, as from the other fields."""
    db = tmp_path / "files.db"
    video = "https://video.wixstatic.com/video/a1b2_c3/720p/mp4/file.mp4"
    pdf = "https://a1b2.usrfiles.com/ugd/a1b2_menu.pdf"
    youtube = "https://www.youtube.com/watch?v=lVjzNtUjrGs"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/menu", title="Menu", attachments=[
            {"url": video, "kind": "video", "content_type": "video/mp4", "is_file": True},
            {"url": pdf, "kind": "document", "content_type": "application/pdf",
             "is_file": True},
            {"url": youtube, "kind": "video", "content_type": None, "is_file": False},
            {"url": "javascript:alert(1)//x.pdf", "kind": "document", "content_type": None,
             "is_file": True}])
        with archive.conn:
            record_media(archive.conn, video, "stored", "2024-06-01T00:00:00+00:00",
                         "video/mp4", 1234, "sha1:ABCDEFGH", "<urn:uuid:1>", None)
            record_media(archive.conn, pdf, "http-404", "2024-06-01T00:00:00+00:00", None,
                         None, None, None, "404 Not Found")
    expected = [
        {"url": video, "kind": "video", "content_type": "video/mp4", "is_file": True,
         "status": "stored", "bytes": 1234, "payload_digest": "sha1:ABCDEFGH"},
        {"url": pdf, "kind": "document", "content_type": "application/pdf", "is_file": True,
         "status": "http-404", "bytes": None, "payload_digest": None},
        {"url": youtube, "kind": "video", "content_type": None, "is_file": False,
         "status": None, "bytes": None, "payload_digest": None}]
    assert run("--format", "jsonl", "--db", str(db), str(tmp_path / "p.jsonl")).exit_code == 0
    [line] = (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["attachments"] == expected
    assert run("--format", "csv", "--db", str(db), str(tmp_path / "p.csv")).exit_code == 0
    with (tmp_path / "p.csv").open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert json.loads(row["attachments"]) == expected
    # The Python API's export gives the same.
    import wixarchive

    out = io.StringIO()
    with wixarchive.open(db, readonly=True) as archive:
        wixarchive.export(archive, out, format="jsonl")
    assert json.loads(out.getvalue())["attachments"] == expected


def test_stdout_and_json_summary(db: Path) -> None:
    result = CliRunner().invoke(main, ["export", "--format", "jsonl", "--db", str(db),
                                       "--site", "cafe-exemple", "--json", "-"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Café crème ☕ et صباح الخير",
                                                            "Old news"]
    summary = json.loads(result.stderr)
    newest = summary.pop("newest_fetched_at")  # when the fixture saved its posts
    recorded = summary.pop("newest_recorded_at")  # when it stored them
    assert summary == {"format": "jsonl", "posts": 2, "sites": 1, "output": "-", "filters": {},
                       "last_run_id": None, "last_run_finished_at": None,
                       "crawl_running": False}
    assert newest.endswith("+00:00") and recorded.endswith("+00:00")



def wixarchive(*args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=HANG_GUARD, umask=umask)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)],
                         ids=["umask-022", "umask-027"])
def test_exported_files_get_the_mode_of_any_new_file(db: Path, tmp_path: Path, umask: int,
                                                     mode: int) -> None:
    """Users publish what they export (a WXR for WordPress's importer to fetch, a folder of
    Markdown): each file gets what the umask gives a new file, not a private temp file's 0600."""
    written = []
    for fmt, name in (("jsonl", "posts.jsonl"), ("csv", "posts.csv"), ("wxr", "wordpress.xml"),
                      ("markdown", "content")):
        result = wixarchive("export", "--format", fmt, "--db", str(db), str(tmp_path / name),
                            umask=umask)
        assert result.returncode == 0, result.stderr
        out = tmp_path / name
        written += sorted(out.rglob("*.md")) if out.is_dir() else [out]
    assert len(written) == 6
    assert {str(path): oct(stat.S_IMODE(path.stat().st_mode)) for path in written} == \
        {str(path): oct(mode) for path in written}
    assert not list(tmp_path.rglob(".*.tmp"))


# Commands writing to stdout, run on the `db` fixture's archive.
WRITING_TO_STDOUT = [
    ["export", "--format", "jsonl", "-"], ["export", "--format", "csv", "-"],
    ["export", "--format", "wxr", "-"], ["export", "--format", "jsonl", "--json", "-"],
    ["search", "bread", "--json"], ["search", "café", "--jsonl"], ["search", "bread", "--csv"],
    ["search", "café"], ["show", "1"], ["show", "1", "--format", "json"], ["stats", "--json"],
    ["runs"], ["runs", "--json"], ["history", "1"], ["history", "1", "--json"],
    ["sites", "list"],
]


@pytest.mark.parametrize("args", WRITING_TO_STDOUT, ids=" ".join)
def test_a_reader_that_stops_early_ends_the_command_quietly(db: Path, args: list[str]) -> None:
    """`wixarchive export --format jsonl - | head` ends as `cat` or `grep` do when their
    reader goes: by SIGPIPE (status 141 in a shell), no message. Before 2026-12-06 it was
    click's status 1, which a `set -o pipefail` script takes for an error."""
    result = into_closed_pipe([sys.executable, "-m", "archive.cli", *args, "--db", str(db)])
    assert (result.returncode, result.stderr) == (-signal.SIGPIPE, "")
    # Started with no stdout at all (`>&-`): written nowhere, no traceback (an export's
    # summary is on stderr all the same).
    result = subprocess.run([sys.executable, "-m", "archive.cli", *args, "--db", str(db)],
                            stderr=subprocess.PIPE, text=True, timeout=HANG_GUARD,
                            preexec_fn=lambda: os.close(1))
    assert result.returncode == 0 and (args[0] == "export" or not result.stderr), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("args", [*WRITING_TO_STDOUT, ["stats", "--help"], ["run-due"]],
                         ids=" ".join)
@pytest.mark.parametrize("unbuffered", ["", "1"], ids=["buffered", "python-u"])
def test_an_output_that_cannot_be_written_is_one_error_line(db: Path, args: list[str],
                                                            unbuffered: str) -> None:
    """`wixarchive runs > /dev/full` (a full disk): one line and status 1, where it was a
    traceback of `OSError: [Errno 28] No space left on device`. A command that works on after
    its output is gone (`run-due`, `crawl`) does so, and says it the same way."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    db.with_suffix(".sites.toml").touch()  # run-due's: no site, said on stdout
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "archive.cli", *args, "--db", str(db)],
                                stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=HANG_GUARD, env=env | {"PYTHONUNBUFFERED": unbuffered}
                                if unbuffered else env)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1:] == \
        ["Error: cannot write the output: No space left on device"], result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr

def test_markdown_files_have_front_matter_and_full_size_images(db: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "content"
    result = run("--format", "markdown", "--db", str(db), str(out))
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md"))
    assert files == ["ann.wixsite.com-yoga/2024-05-01-breathing/index.md",
                     "www.cafe-exemple.fr/2023-01-15-café-crème/index.md",
                     "www.cafe-exemple.fr/old/index.md"]
    posts = archived(db)
    for path in out.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        _, head, body = text.split("---\n", 2)
        meta = yaml.safe_load(head)
        post = posts[uri(meta["original_url"])]  # written decoded: café-crème
        assert meta["title"] == post["title"]
        assert meta["tags"] == post["tags"] and meta["categories"] == post["categories"]
        assert meta["author"] == post["author"]
        assert meta.get("date") == post["published"]
        assert meta["draft"] is bool(post["deleted_at"])
        assert meta["archive_id"] == post["id"]
        assert RESIZED not in text
        if post["body_markdown"]:
            assert body.strip() == full_size(post["body_markdown"]).strip()
    breathing = (out / "ann.wixsite.com-yoga/2024-05-01-breathing/index.md").read_text()
    assert f"![]({FULL})" in breathing and f'cover_image: "{FULL}"' in breathing
    # A post archived without Markdown is converted from its HTML.
    cafe = (out / "www.cafe-exemple.fr/2023-01-15-café-crème/index.md").read_text(
        encoding="utf-8")
    assert "Deux **cafés**." in cafe


def test_the_format_is_taken_from_outs_extension_when_not_given(db: Path,
                                                                 tmp_path: Path) -> None:
    for name, fmt in (("posts.jsonl", "jsonl"), ("posts.NDJSON", "jsonl"), ("posts.csv", "csv"),
                      ("wordpress.xml", "wxr"), ("blog.wxr", "wxr")):
        result = wixarchive("export", str(tmp_path / name), "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["format"] == fmt, name
    # This archive has no captures: what only a WACZ export says.
    result = wixarchive("export", str(tmp_path / "blog.wacz"), "--db", str(db))
    assert "has no captures" in result.stderr
    assert json.loads((tmp_path / "posts.NDJSON").read_text(encoding="utf-8").splitlines()[0])
    # An existing folder, even one named like a file (d.html): the error says it is a folder
    # and how to export into one, not that an option is missing.
    for folder in (tmp_path, tmp_path / "d.html"):
        folder.mkdir(exist_ok=True)
        result = wixarchive("export", str(folder), "--db", str(db))
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            f"Error: {folder} is an existing folder: give --format markdown to write one file "
            "per post into it, or name a file (an OUT ending in .jsonl, .ndjson, .csv, .wacz, "
            ".xml, .wxr, .html, .htm names its format)"), folder
    assert not any((tmp_path / "d.html").iterdir())
    # Stdout or an extension naming no format: --format is still needed, and the error says
    # which extensions would name one.
    for out in ("-", str(tmp_path / "posts.txt")):
        result = wixarchive("export", out, "--db", str(db))
        assert result.returncode == 2 and not Path(tmp_path / "posts.txt").exists()
        assert result.stderr.splitlines()[-1] == (
            "Error: Missing option '--format' (an OUT ending in .jsonl, .ndjson, .csv, .wacz, "
            ".xml, .wxr, .html, .htm names it)"), out
    # A first-time user's my-blog.pdf: the way to one, through the HTML export.
    result = wixarchive("export", str(tmp_path / "my-blog.pdf"), "--db", str(db))
    assert result.returncode == 2 and result.stderr.splitlines()[-1].endswith(
        f"names it); there is no PDF export: export {tmp_path / 'my-blog.html'}, open it in a "
        "web browser and print it to PDF (each post starts a page)"), result.stderr


def test_a_json_out_is_told_there_is_no_json_export_and_what_gives_json(db: Path,
                                                                        tmp_path: Path) -> None:
    """`export posts.json` said only "Missing option '--format'" and listed extensions that name
    no JSON: a user asking for JSON learns that the JSON export is JSON lines (.jsonl), and
    which commands print JSON."""
    for name in ("posts.json", "Posts.JSON"):
        result = wixarchive("export", str(tmp_path / name), "--db", str(db))
        assert result.returncode == 2 and not (tmp_path / name).exists()
        assert result.stderr.splitlines()[-1].endswith(
            "names it); there is no JSON export: export "
            f"{tmp_path / Path(name).with_suffix('.jsonl')} for JSON lines, one JSON object a "
            "line for each post with every archived field (`wixarchive show ID --json` prints "
            "one post, `wixarchive search WORDS --json` the posts a search finds)"), result.stderr
    # The export it names works, and is JSON a line.
    result = wixarchive("export", str(tmp_path / "posts.jsonl"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert all(json.loads(line)["url"] for line in
               (tmp_path / "posts.jsonl").read_text(encoding="utf-8").splitlines())


def test_a_small_html_export_says_its_size_in_kb(db: Path, tmp_path: Path) -> None:
    """Three posts without images: "it is 0.0 MB" until 2026-12-07."""
    out = tmp_path / "blog.html"
    result = run("--db", str(db), str(out))
    assert result.exit_code == 0, result.output
    size = round(out.stat().st_size / 1024)
    assert 1 <= size < 100
    assert result.output.splitlines()[-1] == (
        f"Open {out} in any web browser (no network needed); it is {size} KB.")


def test_versions_export_every_version_and_the_summary_says_what_state_it_copies(
        tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    url = f"{YOGA}/post/breathing"
    with Archive.open(db) as archive:
        first = archive.start_run(YOGA + "/", started_at="2024-01-01T00:00:00+00:00")
        archive.save_article(Article(url=url, title="Breathing", body_text="Breathe in.",
                                     body_html="<p>Breathe in.</p>", post_id="a" * 24),
                             run_id=first, fetched_at="2024-01-01T00:05:00+00:00")
        archive.finish_run(first, status="ok", counts={}, errors=[],
                           finished_at="2024-01-01T00:10:00+00:00")
        archive.save_article(Article(url=url, title="Breathing, revised",
                                     body_text="Breathe in. Breathe out.",
                                     body_html="<p>Breathe in. Breathe out.</p>",
                                     post_id="a" * 24),
                             fetched_at="2024-02-01T00:00:00+00:00")
        save(archive, f"{CAFE}/post/once", title="Once")
    plain = wixarchive("export", "--format", "jsonl", "-", "--db", str(db), "--json")
    assert plain.returncode == 0, plain.stderr
    assert len(plain.stdout.splitlines()) == 2  # the default is unchanged: one row a post
    summary = json.loads(plain.stderr)
    assert summary["last_run_id"] == first
    assert summary["last_run_finished_at"] == "2024-01-01T00:10:00+00:00"
    assert summary["newest_fetched_at"] > "2024-02-01"  # the cafe post, saved just now
    assert summary["crawl_running"] is False and "versions" not in summary

    result = wixarchive("export", "--format", "jsonl", "--versions", "-", "--db", str(db),
                        "--site", "ann.wixsite.com", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    current = next(json.loads(line) for line in plain.stdout.splitlines()
                   if json.loads(line)["url"] == url)
    assert [(row["version"], row["title"], row["body"], row["word_count"]) for row in rows] == [
        (1, "Breathing", "Breathe in.", 2), (2, "Breathing, revised", "Breathe in. Breathe out.",
                                            4)]
    assert [(row["fetched_at"], row["source"], row["run_id"]) for row in rows] == [
        ("2024-01-01T00:05:00+00:00", "crawl", first), ("2024-02-01T00:00:00+00:00", "crawl",
                                                        None)]
    keys = [key for key in current if key not in ("attachments", "recovered")]
    assert list(rows[0]) == list(rows[1]) == [*keys, "fetched_at", "source", "run_id",
                                               "recovered", "stored_at", "attachments"]
    assert {k: v for k, v in rows[1].items() if k in current} == current
    assert rows[0]["wix_post_id"] == "a" * 24 and rows[0]["id"] == current["id"]
    summary = json.loads(result.stderr)
    assert (summary["posts"], summary["versions"], summary["newest_fetched_at"]) == (
        1, 2, "2024-02-01T00:00:00+00:00")
    stored = summary["newest_recorded_at"]  # the fixture's clock, not the fetch dates
    # CSV: the same rows; a crawl running (holding its site's lock) shows in the summary, text
    # and JSON.
    with Archive.open(db) as archive:
        running = archive.start_run(YOGA + "/")
    out = tmp_path / "versions.csv"
    crawling = SiteLock.acquire(lock_path(db, YOGA + "/"), site=YOGA + "/",
                                now=datetime.now(UTC))
    text = wixarchive("export", "--versions", str(out), "--db", str(db), "--site", "ann")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"Exported 1 post (2 versions) from 1 site to {out} (csv).",
        f"To export later only what changes after this: --changed-since {stored}",
        "A crawl was running: the posts it saved so far are included."]
    with out.open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [row["version"] for row in table] == ["1", "2"] and list(table[0]) == list(rows[0])
    assert running and json.loads(wixarchive("export", "--format", "csv", str(out), "--db",
                                              str(db), "--json").stdout)["crawl_running"]
    # Its process gone (the lock released by the kernel), the run unfinished is no crawl
    # running: a restored backup taken mid-crawl said "a crawl was running".
    crawling.release()
    dead = wixarchive("export", "--format", "csv", str(out), "--db", str(db), "--json")
    assert json.loads(dead.stdout)["crawl_running"] is False
    refused = wixarchive("export", "--format", "wxr", "--versions", "-", "--db", str(db))
    assert refused.returncode == 1
    assert refused.stderr.strip() == "Error: --versions is for --format jsonl or csv"


def test_markdown_needs_a_folder(db: Path) -> None:
    result = run("--format", "markdown", "--db", str(db), "-")
    assert result.exit_code == 1 and "give a folder" in result.output


def test_wxr_parses_and_round_trips_titles_bodies_and_terms(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "wordpress.xml"
    result = run("--format", "wxr", "--db", str(db), str(out))
    assert result.exit_code == 0, result.output
    assert "Exported 3 posts and 2 images" in result.output
    root = etree.parse(str(out)).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("wp:wxr_version", namespaces=NS) == "1.2"
    wordpress_import(out)  # the importer would take it
    logins = {a.findtext("wp:author_login", namespaces=NS)
              for a in channel.findall("wp:author", namespaces=NS)}
    items = channel.findall("item")
    posts = [i for i in items if i.findtext("wp:post_type", namespaces=NS) == "post"]
    attachments = [i for i in items if i.findtext("wp:post_type", namespaces=NS) == "attachment"]
    archive_posts = archived(db)
    assert len(posts) == len(archive_posts)
    for item in posts:
        post = archive_posts[item.findtext("link")]
        assert unescape(item.findtext("title")) == post["title"]  # as WordPress shows it
        assert item.findtext("content:encoded", namespaces=NS) == content_html(post)
        assert item.findtext("dc:creator", namespaces=NS) in logins
        assert item.findtext("wp:post_id", namespaces=NS) == str(post["id"])
        status = item.findtext("wp:status", namespaces=NS)
        assert status == ("draft" if post["deleted_at"] else "publish")
        terms = [(c.get("domain"), c.text) for c in item.findall("category")]
        assert terms == ([("category", c) for c in post["categories"]]
                         + [("post_tag", t) for t in post["tags"]])
        assert all(c.get("nicename") for c in item.findall("category"))
    breathing = archive_posts[f"{YOGA}/post/breathing"]
    body = [i for i in posts if i.findtext("link") == breathing["url"]][0]
    encoded = body.findtext("content:encoded", namespaces=NS)
    assert FULL in encoded and RESIZED not in encoded and "]]&gt; b" in encoded
    assert body.findtext("wp:post_date", namespaces=NS) == "2024-05-01 08:00:00"
    assert {a.findtext("wp:attachment_url", namespaces=NS) for a in attachments} == set(
        breathing["images"])
    parents = {a.findtext("wp:post_parent", namespaces=NS) for a in attachments}
    assert parents == {str(breathing["id"])}
    thumbnail = body.find("wp:postmeta/wp:meta_value", namespaces=NS).text
    cover = [a for a in attachments if a.findtext("wp:attachment_url", namespaces=NS) == FULL]
    assert cover[0].findtext("wp:post_id", namespaces=NS) == thumbnail
    # The deleted post's script is not carried into WordPress.
    old = [i for i in posts if i.findtext("title") == "Old news"][0]
    assert "<script" not in old.findtext("content:encoded", namespaces=NS)


def test_site_filter_and_clear_errors(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.xml"
    result = run("--format", "wxr", "--site", "ann.wixsite.com", "--db", str(db), str(out))
    assert result.exit_code == 0
    channel = etree.parse(str(out)).getroot().find("channel")
    assert channel.findtext("title") == "Ann's yoga"
    assert len([i for i in channel.findall("item")
                if i.findtext("wp:post_type", namespaces=NS) == "post"]) == 1
    unknown = run("--format", "csv", "--site", "nowhere.example", "--db", str(db),
                  str(tmp_path / "x.csv"))
    assert unknown.exit_code == 1 and "no archived site matches 'nowhere.example'" in (
        unknown.output)
    assert not (tmp_path / "x.csv").exists()
    missing = run("--format", "csv", "--db", str(tmp_path / "none.db"), str(tmp_path / "x.csv"))
    assert missing.exit_code == 1
    assert missing.output.strip() == f"Error: no archive at {tmp_path}/none.db"
    folder = run("--format", "csv", "--db", str(db), str(tmp_path))
    assert folder.exit_code == 1 and "is a directory" in folder.output


def test_full_size_only_rewrites_resized_wix_images() -> None:
    html = f'<img src="{RESIZED}" srcset="{RESIZED} 2x"><a href="https://example.com/v1/x">x</a>'
    assert full_size(html) == (f'<img src="{FULL}" srcset="{FULL} 2x">'
                               '<a href="https://example.com/v1/x">x</a>')
    assert full_size(FULL) == FULL


def test_writers_are_usable_without_the_cli(db: Path) -> None:
    from archive.export import csv as csv_export
    from archive.export.source import iter_posts, matching_sites, post_ids

    with Archive.open(db, readonly=True) as archive:
        ids = post_ids(archive, matching_sites(archive, None))
        buffer = io.StringIO()
        assert csv_export.write(iter_posts(archive, ids), buffer) == 3
    assert buffer.getvalue().splitlines()[0].startswith("id,")


def test_images_url_is_for_wxr_files_and_http_urls(db: Path, tmp_path: Path) -> None:
    for args, said in (
            (["--format", "jsonl", "--images-url", "https://a.example/", str(tmp_path / "x")],
             "--images-url is for --format wxr"),
            (["--format", "wxr", "--images-url", "https://a.example/", "-"],
             "give a file name, not -"),
            (["--format", "wxr", "--images-url", "javascript:alert(1)", str(tmp_path / "x")],
             "--images-url must be an http(s) URL")):
        result = run(*args, "--db", str(db))
        assert result.exit_code == 1 and said in result.output, result.output
    # An archive without captures: the attachments keep the Wix URLs, the folder stays empty.
    out = tmp_path / "wp.xml"
    result = run("--format", "wxr", "--images-url", "https://a.example/img", "--db", str(db),
                 str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["archived_images"] == 0 and summary["images"] == 2
    assert list((tmp_path / "wp-images").iterdir()) == []
    assert "https://a.example/img" not in out.read_text(encoding="utf-8")


def _archive_images(archive: Archive, db: Path, images: dict[str, bytes]) -> None:
    """Store each image as a crawl does: its response captured and indexed, a `stored` row."""
    writer = captures.CaptureWriter(captures.captures_dir(db))
    rows = {url: writer.write(captures.Exchange(url, "GET", [], 200,
                                                [("Content-Type", "image/png")], data,
                                                captures.new_record_id()))
            for url, data in images.items()}
    writer.close()
    with archive.conn:
        captures.index_rows(archive.conn, list(rows.values()))
        for url, row in rows.items():
            record_media(archive.conn, url, "stored", "2024-06-01T00:00:00+00:00", "image/png",
                         len(images[url]), row.payload_digest, row.record_id, None)


def test_wxr_rerun_removes_the_copies_it_wrote_that_no_post_uses_any_more(
        tmp_path: Path) -> None:
    """Re-run into the same place, the --images-url folder keeps only what the new export
    names: the copies an earlier run wrote (listed in the folder's manifest, their bytes still
    hashing to their names) and no post uses any more are removed and named in the summary;
    a file the user put there, or replaced since, stays."""
    db = tmp_path / "blog.db"
    fern, rose, lily = (f"https://static.wixstatic.com/media/{n}~mv2.png"
                        for n in ("fern", "rose", "lily"))
    data = {fern: b"fern image", rose: b"rose image", lily: b"lily image"}
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/fern", images=[fern])
        save(archive, f"{YOGA}/post/rose", images=[rose, lily])
        _archive_images(archive, db, data)
    out = tmp_path / "wp.xml"
    folder = tmp_path / "wp-images"
    export = ("--format", "wxr", "--images-url", "https://files.example/img/", "--db", str(db),
              str(out))
    result = run(*export, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["removed_copies"] == []
    names = {url: hashlib.sha1(body).hexdigest()[:16] + ".png" for url, body in data.items()}
    assert {p.name for p in folder.iterdir() if not p.name.startswith(".")} == set(
        names.values())
    # The user's own files in the folder, and a listed copy the user has since overwritten.
    (folder / "notes.txt").write_text("mine")
    (folder / "0123456789abcdef.png").write_bytes(b"mine too")
    (folder / names[lily]).write_bytes(b"a lily I edited")
    with Archive.open(db) as archive:  # the rose post changed: its images are gone
        save(archive, f"{YOGA}/post/rose", body_text="No images now.",
             body_html="<p>No images now.</p>", body_markdown="No images now.", images=[])
    result = run(*export)
    assert result.exit_code == 0, result.output
    # The edited copy is kept, and said, as a Markdown re-export says it.
    lines = result.output.strip().splitlines()
    assert lines[0] == f"Notice: replaced existing {out}"  # on stderr, as the note
    # The archive's state said in plain words: not its runs' ids and times (--json has them).
    assert lines[2].startswith("To export later only what changes after this: --changed-since ")
    assert lines[1:2] + lines[3:] == [
        # "1 images (1 archived copies" until 2026-12-07.
        f"Exported 2 posts and 1 image (1 archived copy in {folder}; removed 1 older copy "
        f"no post uses any more) from 1 site to {out} (wxr).",
        "Note: kept 1 file an earlier export wrote and no post uses now, as they were changed "
        f"since: {names[lily]}"]
    assert {p.name for p in folder.iterdir() if not p.name.startswith(".")} == {
        names[fern], names[lily], "notes.txt", "0123456789abcdef.png"}
    # Run again: nothing more to remove, and the user's edited file is no longer claimed.
    result = run(*export, "--json")
    summary = json.loads(result.stdout)
    assert summary["removed_copies"] == [] and summary["kept_edited"] == []
    # What happened to the folder's files, in the Markdown export's terms.
    assert (summary["written"], summary["unchanged"], summary["removed"]) == (0, 1, 0)
    assert (folder / names[lily]).read_bytes() == b"a lily I edited"


def test_wxr_copies_folder_lists_its_copies_as_a_markdown_export_does(tmp_path: Path) -> None:
    """The --images-url folder's list is the Markdown export's, `.wixarchive-export.sha256`,
    which `sha256sum -c` checks; a copy a post still uses whose bytes were changed is written
    again (WordPress must download what the site served); an export that cannot read the
    archived files removes none of the copies."""
    db = tmp_path / "blog.db"
    fern, rose = (f"https://static.wixstatic.com/media/{n}~mv2.png" for n in ("fern", "rose"))
    data = {fern: b"fern image", rose: b"rose image"}
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/fern", images=[fern])
        save(archive, f"{YOGA}/post/rose", images=[rose])
        _archive_images(archive, db, data)
    folder = tmp_path / "wp-images"
    export = ("--format", "wxr", "--images-url", "https://files.example/img/", "--db", str(db),
              str(tmp_path / "wp.xml"), "--json")
    assert run(*export).exit_code == 0
    names = {url: hashlib.sha1(body).hexdigest()[:16] + ".png" for url, body in data.items()}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".wixarchive-export.sha256", *names.values()])
    check = subprocess.run(["sha256sum", "-c", ".wixarchive-export.sha256"], cwd=folder,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0 and sorted(check.stdout.splitlines()) == sorted(
        f"{name}: OK" for name in names.values())

    (folder / names[fern]).write_bytes(b"not the fern the site served")
    assert json.loads(run(*export).stdout)["removed_copies"] == []
    assert (folder / names[fern]).read_bytes() == data[fern]

    with Archive.open(db) as archive:  # the rose post dropped its image...
        save(archive, f"{YOGA}/post/rose", images=[])
    for capture_file in captures.captures_dir(db).iterdir():  # ...and the captures are lost
        capture_file.unlink()
    result = run(*export)
    assert result.exit_code == 1
    assert json.loads(result.output.splitlines()[-1])["removed_copies"] == []
    assert (folder / names[rose]).read_bytes() == data[rose]


def _fern_archive(tmp_path: Path) -> Path:
    """An archive of one post showing one archived image, fern~mv2.png ("fern image")."""
    db = tmp_path / "blog.db"
    fern = "https://static.wixstatic.com/media/fern~mv2.png"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/fern", images=[fern])
        _archive_images(archive, db, {fern: b"fern image"})
    return db


def test_a_copies_folder_listed_by_an_older_version_is_taken_over(tmp_path: Path) -> None:
    """A WXR --images-url folder as versions before `.wixarchive-export.sha256` left it: the
    copies listed by name in `.wixarchive-copies`, each named by its content's SHA-1. Exported
    again, the copies it lists that no post uses and whose content still gives their name are
    removed; one changed since, and a file it does not list, are kept (the changed one named);
    the new list replaces the old."""
    db = _fern_archive(tmp_path)
    folder = tmp_path / "wp-images"
    folder.mkdir()

    def copy(data: bytes, content: bytes | None = None) -> str:
        """A copy as the old version wrote it (named by `data`), holding `content` now."""
        name = hashlib.sha1(data).hexdigest()[:16] + ".png"
        (folder / name).write_bytes(data if content is None else content)
        return name

    used, stale = copy(b"fern image"), copy(b"an image no post shows now")
    edited = copy(b"an old image", b"the user's own picture now")
    unlisted = copy(b"a copy from before any list")
    gone = hashlib.sha1(b"deleted by the user").hexdigest()[:16] + ".jpg"
    (folder / ".wixarchive-copies").write_text(  # as archive/export/copies.py wrote it
        "# Files `wixarchive export --format wxr --images-url` wrote here, one a line.\n"
        + "".join(f"{name}\n" for name in sorted([used, stale, edited, gone])))

    result = subprocess.run(
        [sys.executable, "-m", "archive.cli", "export", "--format", "wxr", "--images-url",
         "https://files.example/img/", "--db", str(db), str(tmp_path / "wp.xml"), "--json"],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["removed_copies"] == [stale] and summary["kept_edited"] == [edited]
    assert result.stderr.splitlines() == [
        f"Note: kept 1 file an earlier export wrote and no post uses now, as they were changed "
        f"since: {edited}"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".wixarchive-export.sha256", used, edited, unlisted])
    assert (folder / ".wixarchive-export.sha256").read_text() == \
        f"{hashlib.sha256(b'fern image').hexdigest()}  {used}\n"


@pytest.mark.parametrize("case", ["dot-dot", "dot", "absolute", "symlink", "parent-outside"])
def test_a_crafted_list_removes_nothing_outside_the_folder_nor_a_file_written_now(
        tmp_path: Path, case: str) -> None:
    """The folder's list is a file anyone can edit: its lines name a file outside the folder
    (by "..", an absolute path, a link in place of a listed file, a listed file's folder
    that is a link out), or spell a copy this export writes another way ("..", ".", absolute),
    each with the right digest. The export removes none of them (a copies folder covers all
    of itself, so no site scope protects them)."""
    db = _fern_archive(tmp_path)
    folder = tmp_path / "wp-images"
    export = ("--format", "wxr", "--images-url", "https://files.example/img/", "--db", str(db),
              str(tmp_path / "wp.xml"))
    assert run(*export).exit_code == 0
    copy = folder / (hashlib.sha1(b"fern image").hexdigest()[:16] + ".png")
    victim = tmp_path / "outside" / "victim.png"
    victim.parent.mkdir()
    victim.write_bytes(b"not yours")
    # Each line with the file whose digest it gives.
    lines = {
        "dot-dot": [(f"../outside/{victim.name}", victim), (f"../wp-images/{copy.name}", copy)],
        "dot": [(f"./{copy.name}", copy)],
        "absolute": [(str(victim), victim), (str(copy), copy)],
        "symlink": [("old.png", victim)],
        "parent-outside": [(f"sub/{victim.name}", victim)],
    }[case]
    if case == "symlink":
        (folder / "old.png").symlink_to(victim)
    if case == "parent-outside":
        (folder / "sub").symlink_to(victim.parent)
    with (folder / ".wixarchive-export.sha256").open("a", encoding="utf-8") as manifest:
        manifest.writelines(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {line}\n"
                            for line, path in lines)
    result = run(*export, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["removed_copies"] == []
    assert victim.read_bytes() == b"not yours" and copy.read_bytes() == b"fern image"
    assert case != "symlink" or (folder / "old.png").is_symlink()


def test_wxr_authors_whose_logins_agree_get_numbered_ones(tmp_path: Path) -> None:
    """Names that fold to the same ASCII login, and a name that is already such a numbered
    login: each author gets a login of its own, and each post names its author's."""
    db = tmp_path / "blog.db"
    names = ["Jürgen Weiß", "Jurgen Weiss", "jurgen-weiss-2", "JÜRGEN WEISS"]
    with Archive.open(db) as archive:
        for number, name in enumerate(names):
            save(archive, f"{YOGA}/post/p{number}", author=name)
    out = tmp_path / "wp.xml"
    assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
    channel = etree.parse(str(out)).getroot().find("channel")
    logins = {a.findtext("wp:author_display_name", namespaces=NS):
              a.findtext("wp:author_login", namespaces=NS)
              for a in channel.findall("wp:author", namespaces=NS)}
    assert logins == {"Jürgen Weiß": "jurgen-weiss", "Jurgen Weiss": "jurgen-weiss-2",
                      "jurgen-weiss-2": "jurgen-weiss-2-2", "JÜRGEN WEISS": "jurgen-weiss-3"}
    creators = {item.findtext("link"): item.findtext("dc:creator", namespaces=NS)
                for item in channel.findall("item")}
    assert creators == {f"{YOGA}/post/p{number}": logins[name]
                        for number, name in enumerate(names)}


# What WordPress's importer (the wordpress-importer plugin: WXR_Parser_SimpleXML, then
# WP_Import::process_posts, process_attachment, fetch_remote_file, backfill_attachment_urls)
# reads of a WXR file and refuses. File types it accepts are wp_get_mime_types()'s, less the
# ones only an "unfiltered_upload" user may add; these are the ones an export may name.
WORDPRESS_EXTENSIONS = frozenset((
    "jpg", "jpeg", "jpe", "gif", "png", "bmp", "tif", "tiff", "webp", "avif", "ico", "heic",
    "mp4", "m4v", "mov", "qt", "webm", "ogv", "avi", "wmv", "mpeg", "mpg", "3gp", "mkv", "mp3",
    "m4a", "wav", "ogg", "oga", "flac", "pdf", "doc", "docx", "docm", "dotx", "odt", "ods",
    "odp", "odg", "rtf", "txt", "csv", "tsv", "xls", "xlsx", "xlsm", "ppt", "pptx", "pps",
    "ppsx", "pages", "key", "numbers", "zip", "gz", "rar", "7z", "tar"))


def collated(title: str) -> str:
    """A title as MySQL's utf8mb4_unicode_ci, WordPress's collation, compares it: any case,
    accents ignored, spaces around trimmed (sanitize_post_field)."""
    letters = unicodedata.normalize("NFKD", title.strip())
    return "".join(c for c in letters if not unicodedata.combining(c)).casefold()


def existing_post(imported: list[dict[str, str]], item: Any) -> str | None:
    """WP_Import::process_posts' duplicate check, post_exists($title, '', $post_date,
    $post_type) (wp-admin/includes/post.php), over the items `imported` so far: an item of the
    type, with the title unless it has none, at the date unless it has none. Its wp:post_id,
    or None."""
    title = item.findtext("title") or ""
    date = item.findtext("wp:post_date", namespaces=NS) or ""
    kind = item.findtext("wp:post_type", namespaces=NS)
    for earlier in imported:
        if earlier["type"] == kind and (not date or earlier["date"] == date) and (
                not title or collated(earlier["title"]) == collated(title)):
            return earlier["post_id"]
    return None


def wordpress_import(path: Path) -> dict[str, Any]:
    """What WordPress's importer does with the WXR file at `path`, without WordPress: it
    fails (AssertionError) where the importer refuses the file or an item, and returns each
    post's content after the importer points it at the attachments it downloaded
    (`posts`: post_id -> content; `links`: link -> post_id), the attachments
    (`attachments`: dicts of post_id, parent, url, file) and the items it skips as already
    there (`skipped`: post_id -> the post_id of the earlier item it took for them)."""
    root = etree.parse(str(path)).getroot()
    assert root.tag == "rss" and root.nsmap.get("wp") == NS["wp"]
    channel = root.find("channel")
    version = channel.findtext("wp:wxr_version", namespaces=NS) or ""
    assert re.fullmatch(r"\d+\.\d+", version), "missing or invalid WXR version number"
    base = channel.findtext("wp:base_site_url", namespaces=NS) or ""
    posts: dict[str, str] = {}
    links: dict[str, str] = {}
    attachments: list[dict[str, Any]] = []
    seen: set[str] = set()
    imported: list[dict[str, str]] = []
    skipped: dict[str, str] = {}
    for item in channel.findall("item"):
        post_id = item.findtext("wp:post_id", namespaces=NS)
        assert post_id and post_id.isdigit() and post_id not in seen, post_id
        seen.add(post_id)
        kind = item.findtext("wp:post_type", namespaces=NS)
        assert kind in ("post", "page", "attachment"), kind
        earlier = existing_post(imported, item)
        if earlier is not None:
            skipped[post_id] = earlier
            continue
        imported.append({"post_id": post_id, "type": kind, "title": item.findtext("title") or "",
                         "date": item.findtext("wp:post_date", namespaces=NS) or ""})
        if kind != "attachment":
            posts[post_id] = item.findtext("content:encoded", namespaces=NS) or ""
            links[item.findtext("link")] = post_id
            continue
        url = item.findtext("wp:attachment_url", namespaces=NS) or item.findtext("guid")
        if url.startswith("/"):
            url = base.rstrip("/") + url
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc, url
        name = Path(unquote(parts.path)).name
        assert Path(name).suffix.lstrip(".").lower() in WORDPRESS_EXTENSIONS, (
            f"WordPress refuses {name!r}: not a permitted file type")
        attachments.append({"post_id": post_id, "url": url, "file": name,
                            "parent": item.findtext("wp:post_parent", namespaces=NS),
                            "guid": item.findtext("guid")})
    for attachment in attachments:  # an orphan's parent must come in the same file
        assert posts.get(attachment["parent"]) is not None, attachment
    for item in channel.findall("item"):
        for meta in item.findall("wp:postmeta", namespaces=NS):
            if meta.findtext("wp:meta_key", namespaces=NS) == "_thumbnail_id":
                assert meta.findtext("wp:meta_value", namespaces=NS) in {
                    a["post_id"] for a in attachments}
    # backfill_attachment_urls: the longest URLs first, each replaced by the local copy's.
    remap = {}
    for attachment in attachments:
        local = f"https://wordpress.example/wp-content/uploads/{attachment['file']}"
        remap[attachment["url"]] = remap[attachment["guid"]] = local
    for from_url in sorted(remap, key=len, reverse=True):
        for post_id, content in posts.items():
            posts[post_id] = content.replace(from_url, remap[from_url])
    return {"posts": posts, "links": links, "attachments": attachments, "skipped": skipped}


def test_wxr_lists_video_and_document_files_as_attachments_and_embeds_players(
        tmp_path: Path) -> None:
    """Videos and documents: each file an attachment item of its post (WordPress downloads
    it); a player page is no file: its URL is a paragraph of its own that WordPress embeds,
    as is a video file the body does not show; the document the body links stays linked."""
    db = tmp_path / "files.db"
    pdf = "https://a1b2.usrfiles.com/ugd/a1b2_menu.pdf"
    video = "https://video.wixstatic.com/video/a1b2_c3/720p/mp4/file.mp4"
    youtube = "https://www.youtube.com/watch?v=lVjzNtUjrGs"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/menu", title="Menu", published="2024-05-01T08:00:00Z",
             images=[FULL], body_text="See the menu.",
             body_html=f'<p>See <a href="{pdf}">the menu</a>.</p><img src="{FULL}">',
             attachments=[
                 {"url": pdf, "kind": "document", "content_type": "application/pdf",
                  "is_file": True},
                 {"url": video, "kind": "video", "content_type": "video/mp4", "is_file": True},
                 {"url": youtube, "kind": "video", "content_type": None, "is_file": False},
                 {"url": "javascript:alert(1)//x.pdf", "kind": "document",
                  "content_type": None, "is_file": True}])
    out = tmp_path / "wordpress.xml"
    result = run("--format", "wxr", "--db", str(db), str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["images"], summary["files"]) == (1, 2)
    imported = wordpress_import(out)
    [(post_id, content)] = imported["posts"].items()
    files = {a["url"]: a for a in imported["attachments"]}
    assert set(files) == {FULL, pdf, video}  # no player page, no dangerous URL
    assert {a["parent"] for a in files.values()} == {post_id}
    assert (files[video]["file"], files[pdf]["file"]) == ("file.mp4", "a1b2_menu.pdf")
    root = etree.parse(str(out)).getroot()
    titles = {i.findtext("wp:attachment_url", namespaces=NS): i.findtext("title")
              for i in root.iter("item")}
    assert titles[video] == "a1b2_c3.mp4"
    uploads = "https://wordpress.example/wp-content/uploads/"
    # Imported: the body links its own copy of the PDF, embeds its copy of the video and the
    # YouTube player (each URL alone in a paragraph), and names no file on the old host.
    assert f'<a href="{uploads}a1b2_menu.pdf"' in content
    assert f"<p>{uploads}file.mp4</p>" in content and f"<p>{youtube}</p>" in content
    assert "wixstatic.com" not in content and "usrfiles.com" not in content
    assert content.count("a1b2_menu.pdf") == 1 and "javascript" not in content
    # An archive's URL is untrusted: what the body gains is escaped.
    hostile = 'https://x.example/v.mp4"><script>alert(1)</script>'
    for kind in ("video", "document"):
        added = _unshown("", [{"url": hostile, "kind": kind}])
        assert "<script" not in added and added.count("<p>") == 1


def test_a_site_value_matching_several_sites_names_them_and_a_replaced_file_is_said(
        tmp_path: Path) -> None:
    """`--site 127.0.0.1` matched three archived blogs (other ports) and exported them all
    without a word; and an export over an existing file replaced it silently. --site takes any
    sites it matches (repeated: any of them), so it names them."""
    db = tmp_path / "blogs.db"
    with Archive.open(db) as archive:
        for port in (18601, 18602):
            save(archive, f"http://127.0.0.1:{port}/post/p", title=f"Post {port}")
        save(archive, "https://127.0.0.1:18603/post/p", title="Post 18603")
        save(archive, "http://127.0.0.1:18603/post/q", title="Post 18603 too")
    out = tmp_path / "posts.jsonl"
    several = wixarchive("export", "--site", "127.0.0.1", "--db", str(db), str(out), "--json")
    assert several.returncode == 0, several.stderr
    assert several.stderr == (
        "Notice: '127.0.0.1' matches 3 sites, all exported: http://127.0.0.1:18601/, "
        "http://127.0.0.1:18602/, https://127.0.0.1:18603/ (give a full URL for one)\n")
    assert json.loads(several.stdout)["posts"] == 4
    one = wixarchive("export", "--site", "127.0.0.1:18603", "--db", str(db), str(out))
    assert one.returncode == 0, one.stderr
    assert one.stderr == f"Notice: replaced existing {out}\n"
    assert one.stdout.startswith("Exported 2 posts from 1 site")
    # The notice stays off stdout with --json, and off a pipe's export.
    again = wixarchive("export", "--site", "127.0.0.1:18601", "--db", str(db), str(out),
                       "--json")
    assert again.stderr == f"Notice: replaced existing {out}\n"
    assert json.loads(again.stdout)["posts"] == 1
    piped = wixarchive("export", "--format", "jsonl", "--site", "18602", "--db", str(db), "-")
    assert piped.returncode == 0 and "Notice" not in piped.stderr


def test_wxr_embeds_each_video_where_the_post_shows_it(tmp_path: Path) -> None:
    """The extractor shows a video as a paragraph linking its player; WordPress embeds only a
    bare URL, so the post got a link to the player where the video was and the player itself
    at the end of the post."""
    db = tmp_path / "videos.db"
    embed = "https://www.youtube.com/embed/lVjzNtUjrGs"
    youtube = "https://www.youtube.com/watch?v=lVjzNtUjrGs"
    video = "https://video.wixstatic.com/video/a1b2_c3/720p/mp4/file.mp4"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/videos", title="Videos", body_text="Before\n\nAfter",
             body_html=(f'<p>Before</p><p><a href="{embed}">{embed}</a></p><p>Between</p>'
                        f'<p><a href="{video}">{video}</a></p>'
                        f'<p>Watch <a href="{embed}">the class</a> again.</p><p>After</p>'),
             attachments=[
                 {"url": youtube, "kind": "video", "content_type": None, "is_file": False},
                 {"url": video, "kind": "video", "content_type": "video/mp4",
                  "is_file": True}])
    out = tmp_path / "wordpress.xml"
    assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
    [(_, content)] = wordpress_import(out)["posts"].items()
    uploads = "https://wordpress.example/wp-content/uploads/"
    assert re.sub(r' rel="[^"]*"', "", content) == (
        f"<p>Before</p><p>{youtube}</p><p>Between</p><p>{uploads}file.mp4</p>"
        f'<p>Watch <a href="{embed}">the class</a> again.</p><p>After</p>')


def test_a_captioned_video_stays_one_figure_in_wxr_and_markdown(tmp_path: Path) -> None:
    """A video and its caption, as the extractor walks them, are one <figure> (its caption
    was a <figcaption> outside any figure); WordPress still gets the bare URL it embeds, in
    the figure, and the Markdown the link and the caption."""
    from crawler.extract import extract_article

    embed = "https://www.youtube.com/embed/lVjzNtUjrGs"
    youtube = "https://www.youtube.com/watch?v=lVjzNtUjrGs"
    article = extract_article(
        '<html><head><meta name="generator" content="Wix.com Website Builder">'
        '<meta property="og:type" content="article"></head><body><article data-hook="post">'
        '<h1 data-hook="post-title">Waves</h1><div data-hook="post-description"><p>Before</p>'
        '<figure data-hook="figure-VIDEO"><div data-hook="video-player">'
        f'<iframe src="{embed}"></iframe></div><figcaption dir="auto"><span>The wave</span>'
        "</figcaption></figure><p>After</p></div></article></body></html>",
        f"{YOGA}/post/waves")
    db = tmp_path / "videos.db"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/waves", title="Waves", body_text=article.body_text,
             body_html=article.body_html, body_markdown=article.body_markdown,
             attachments=[{"url": youtube, "kind": "video", "content_type": None,
                           "is_file": False}])
    out = tmp_path / "wordpress.xml"
    assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
    [(_, content)] = wordpress_import(out)["posts"].items()
    assert content == (f"<p>Before</p>\n<figure><p>{youtube}</p><figcaption>The wave"
                       "</figcaption></figure>\n<p>After</p>")
    assert run("--format", "markdown", "--db", str(db), str(tmp_path / "md")).exit_code == 0
    [page] = (tmp_path / "md").rglob("*.md")
    assert f"Before\n\n<{embed}>\n\nThe wave\n\nAfter\n" in page.read_text(encoding="utf-8")


def test_a_body_stored_as_html_only_keeps_code_fences_and_superscripts(tmp_path: Path) -> None:
    """A row with no Markdown (another tool's archive) is converted from its HTML as the
    extractor writes Markdown: markdownify fenced code with ``` whatever it held (a line of
    ``` in it ended the block) and wrote "x<sup>2</sup>" as "x2"."""
    db = tmp_path / "html.db"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/html-only", title="HTML only", body_text="x",
             body_html="<p>x<sup>2</sup>, H<sub>2</sub>O, <u>u</u>, &lt;sup&gt;.</p>"
                       "<pre>Fenced:\n```\nx = 1</pre><p>After.</p>", body_markdown="")
    assert run("--format", "markdown", "--db", str(db), str(tmp_path / "md")).exit_code == 0
    [page] = (tmp_path / "md").rglob("*.md")
    text = page.read_text(encoding="utf-8")
    assert "x<sup>2</sup>, H<sub>2</sub>O, <u>u</u>, &lt;sup>." in text
    assert "````\nFenced:\n```\nx = 1\n````\n\nAfter." in text


def test_an_archive_with_no_posts_exports_an_empty_valid_output(db: Path, tmp_path: Path) -> None:
    """As `search` finding nothing: status 0, a note on stderr, and an output a script can read
    (no line of JSON, a CSV of the columns a non-empty export has, a WXR channel with no item,
    an empty folder). Before 2026-12-06 every format failed (status 1, `nothing to export`). A
    WACZ of nothing, which nothing could replay, stays an error."""
    empty = tmp_path / "empty.db"
    Archive.open(empty).close()
    note = f"Note: {empty} has no posts yet: the export is empty (crawl a site first)"
    outputs = {}
    for args in (["jsonl"], ["csv"], ["csv", "--versions"], ["wxr"]):
        result = wixarchive("export", "--format", *args, "-", "--db", str(empty))
        assert (result.returncode, result.stderr.splitlines()[0]) == (0, note), result.stderr
        outputs[" ".join(args)] = result.stdout
    assert outputs["jsonl"] == ""
    for args in (["csv"], ["csv", "--versions"]):  # the columns of an export with posts
        full = wixarchive("export", "--format", *args, "-", "--db", str(db)).stdout
        assert outputs[" ".join(args)] == full.splitlines()[0] + "\n"
    channel = etree.fromstring(outputs["wxr"].encode()).find("channel")
    assert channel is not None and channel.findall("item") == []
    folder = tmp_path / "posts"
    result = wixarchive("export", "--format", "markdown", str(folder), "--db", str(empty))
    assert result.returncode == 0 and note in result.stderr
    assert not list(folder.rglob("*.md"))
    result = wixarchive("export", "--format", "wacz", str(tmp_path / "x.wacz"), "--db",
                        str(empty))
    assert (result.returncode, result.stderr) == (
        1, f"Error: nothing to export: {empty} has no posts yet (crawl a site first)\n")


def test_wxr_terms_whose_slugs_agree_stay_apart_in_wordpress(tmp_path: Path) -> None:
    """WordPress's importer knows a tag or category by its slug (term_exists on
    `wp:tag_slug`, then on each post's `nicename`): tags whose names differ but whose slugs
    agree (C++, C# and C; two emoji) each get a slug of their own, so no post comes out
    tagged with another's; names differing only in case (Yoga, yoga) share one, as
    WordPress would. Until 2026-12-07 "C#" posts imported tagged "C++"."""
    db = tmp_path / "blog.db"
    tags = [["C++", "Yoga"], ["C#", "yoga"], ["C"], ["😀"], ["🎉"]]
    with Archive.open(db) as archive:
        for number, names in enumerate(tags):
            save(archive, f"{YOGA}/post/p{number}", tags=names, categories=names[:1])
    out = tmp_path / "wp.xml"
    assert run("--format", "wxr", "--db", str(db), str(out)).exit_code == 0
    channel = etree.parse(str(out)).getroot().find("channel")
    for domain, element, slug_tag, name_tag in (
            ("post_tag", "wp:tag", "wp:tag_slug", "wp:tag_name"),
            ("category", "wp:category", "wp:category_nicename", "wp:cat_name")):
        # The importer: each listed term created once per slug, the first name kept.
        terms: dict[str, str] = {}
        for term in channel.findall(element, namespaces=NS):
            terms.setdefault(term.findtext(slug_tag, namespaces=NS),
                             term.findtext(name_tag, namespaces=NS))
        imported = {item.findtext("link"): sorted(
            terms.get(c.get("nicename"), c.text) for c in item.findall("category")
            if c.get("domain") == domain) for item in channel.findall("item")}
        names = tags if domain == "post_tag" else [n[:1] for n in tags]
        assert imported == {f"{YOGA}/post/p{number}": sorted(
            "Yoga" if n == "yoga" else n for n in post) for number, post in enumerate(names)}


def test_wxr_dates_are_written_in_the_wordpress_sites_time_zone(tmp_path: Path) -> None:
    """WordPress keeps and shows a post's `post_date` as the site's local time (its
    `post_date_gmt` in UTC): `--timezone` writes each date in the WordPress site's zone, so a
    post published at 00:30 in Paris shows 00:30 on its day, not 23:30 the day before (as
    every date did until 2026-12-07, written in UTC in both). Without it, UTC as before."""
    db = tmp_path / "blog.db"
    with Archive.open(db) as archive:
        save(archive, f"{YOGA}/post/winter", published="2024-01-15T23:30:00Z",
             modified="2024-01-16T08:00:00.120Z", images=[FULL])
        save(archive, f"{YOGA}/post/summer", published="2024-07-01T10:00:00+02:00")
        save(archive, f"{YOGA}/post/undated")
        # An undated post is dated when first captured (an undated post the importer takes
        # for any of its title): here a known instant.
        archive.conn.execute("UPDATE posts SET first_seen = '2024-02-01T12:00:00+00:00' "
                             "WHERE url = ?", (f"{YOGA}/post/undated",))
        # A day with no time (some Wix pages give no more): that day in the site's zone, not
        # midnight UTC, which New York would show the evening before.
        save(archive, f"{YOGA}/post/day", published="2024-03-10")

    def dates(*args: str) -> dict[str, list[str | None]]:
        out = tmp_path / "wp.xml"
        result = run("--format", "wxr", "--db", str(db), str(out), *args)
        assert result.exit_code == 0, result.output
        items = etree.parse(str(out)).getroot().find("channel").findall("item")
        return {item.findtext("link"):
                [item.findtext(f"wp:{name}", namespaces=NS) for name in
                 ("post_date", "post_date_gmt", "post_modified", "post_modified_gmt")]
                for item in items}

    assert dates("--timezone", "Europe/Paris") == {
        f"{YOGA}/post/winter": ["2024-01-16 00:30:00", "2024-01-15 23:30:00",
                                "2024-01-16 09:00:00", "2024-01-16 08:00:00"],
        f"{YOGA}/post/summer": ["2024-07-01 10:00:00", "2024-07-01 08:00:00",
                                "2024-07-01 10:00:00", "2024-07-01 08:00:00"],
        f"{YOGA}/post/undated": ["2024-02-01 13:00:00", "2024-02-01 12:00:00",
                                 "2024-02-01 13:00:00", "2024-02-01 12:00:00"],
        f"{YOGA}/post/day": ["2024-03-10 00:00:00", "2024-03-09 23:00:00",
                             "2024-03-10 00:00:00", "2024-03-09 23:00:00"],
        FULL: ["2024-01-16 00:30:00", "2024-01-15 23:30:00", None, None]}  # its image
    assert dates("--timezone", "America/New_York")[f"{YOGA}/post/day"][:2] == [
        "2024-03-10 00:00:00", "2024-03-10 05:00:00"]
    assert dates()[f"{YOGA}/post/day"][:2] == ["2024-03-10 00:00:00", "2024-03-10 00:00:00"]
    assert dates()[f"{YOGA}/post/winter"] == ["2024-01-15 23:30:00", "2024-01-15 23:30:00",
                                             "2024-01-16 08:00:00", "2024-01-16 08:00:00"]
    for args, said in ((["--timezone", "Europe/Pariss"], "--timezone: unknown time zone"),
                       (["--timezone", "../../etc/passwd"], "--timezone: unknown time zone"),
                       (["--format", "jsonl", "--timezone", "UTC"],
                        "--timezone is for --format wxr")):
        result = run(*([] if "--format" in args else ["--format", "wxr"]), *args,
                     "--db", str(db), str(tmp_path / "x"))
        assert result.exit_code != 0 and said in result.output, result.output
        assert "Traceback" not in result.output
    # From Python, the same.
    import wixarchive

    with wixarchive.open(db) as archive:
        stream = io.BytesIO()
        wixarchive.export(archive, stream, format="wxr", timezone="Asia/Tokyo")
        assert b"<wp:post_date><![CDATA[2024-01-16 08:30:00]]>" in stream.getvalue()
        with pytest.raises(ValueError, match="timezone: unknown time zone"):
            wixarchive.export(archive, io.BytesIO(), format="wxr", timezone="Mars/Olympus")
