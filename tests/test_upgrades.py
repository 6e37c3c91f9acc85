"""Upgrading an archive written by an older wixarchive: commands say so once, on stderr; commands
that only read leave it as it is (docs/operations.md, "Upgrading")."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_cli_search import run
from test_schedule_locks import start_holder
from test_store_files import build_v1

import wixarchive
from archive import schema
from crawler.extract.record import Article
from tests.processes import HANG_GUARD, wait_until

OLD = 8  # the schema of the code of 26 November


def build_old(path: Path, version: int = OLD) -> Path:
    """An archive as code writing schema `version` left it: the v1 file, upgraded by the
    migrations up to `version` (each is what that code ran; they are never edited)."""
    build_v1(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in range(1, version):
        schema.MIGRATIONS[step](conn)
        conn.execute(f"PRAGMA user_version = {step + 1}")
    conn.execute("COMMIT")
    conn.close()
    return path


def version_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def upgrade_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Upgraded ")]


def test_check_says_once_on_stderr_that_it_upgraded_the_archive(tmp_path: Path) -> None:
    db = build_old(tmp_path / "archive.db")
    result = run("check", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert upgrade_lines(result.stderr) == [
        f"Upgraded {db} from schema v{OLD} to v{schema.SCHEMA_VERSION}: wixarchive versions "
        "writing an older schema (`wixarchive --version` names it) can no longer open it; to go "
        "back to one, restore a copy made before the upgrade (docs/operations.md, Upgrading)"]
    assert result.stdout.startswith(f"OK: {db} (1 post, schema v{schema.SCHEMA_VERSION},")
    again = run("check", "--db", str(db))
    assert again.returncode == 0 and upgrade_lines(again.stderr) == []


def test_a_json_command_that_upgrades_keeps_its_stdout_json(tmp_path: Path) -> None:
    db = build_old(tmp_path / "archive.db")
    result = run("check", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["schema"] == schema.SCHEMA_VERSION
    assert len(upgrade_lines(result.stderr)) == 1


def test_commands_that_only_read_leave_an_old_archive_as_it_is(tmp_path: Path) -> None:
    db = build_old(tmp_path / "archive.db")
    for command in (["runs"], ["runs", "--json"], ["stats"], ["search", "custard"],
                    ["show", "1"], ["history", "1"]):
        result = run(*command, "--db", str(db))
        assert result.returncode == 0, (command, result.stderr)
        assert upgrade_lines(result.stderr) == [], command
        assert version_of(db) == OLD, command


def test_stats_counts_the_images_of_an_old_archive_read_as_it_is(tmp_path: Path) -> None:
    """An archive from before v10 has no `media` table (no image was fetched yet): `stats
    --images`, which reads it as it is, stopped with "archive error: no such table: media"
    where `stats` worked. Its images are counted, none fetched, as `stats` counts the videos
    and documents of an archive from before they were recorded."""
    db = build_old(tmp_path / "archive.db")
    result = run("stats", "--images", "--json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    site, = json.loads(result.stdout)["sites"]
    assert {key: site[key] for key in ("images", "images_archived", "images_failed",
                                       "images_not_fetched")} == {
        "images": 1, "images_archived": 0, "images_failed": 0, "images_not_fetched": 1}
    assert version_of(db) == OLD


def test_version_names_the_archive_schema_and_redis_protocol() -> None:
    from archive import __version__
    from crawler.distributed.protocol import PROTOCOL

    result = run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (f"wixarchive, version {__version__} (archive schema "
                             f"v{schema.SCHEMA_VERSION}, Redis protocol {PROTOCOL})\n")


def test_an_archive_of_a_newer_schema_is_refused_naming_the_version_to_get(
        tmp_path: Path) -> None:
    db = build_old(tmp_path / "archive.db")
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.close()
    newer = schema.SCHEMA_VERSION + 1
    result = run("check", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {db} was written by a newer wixarchive (schema v{newer}; this version reads up "
        f"to v{schema.SCHEMA_VERSION}): use a wixarchive whose `wixarchive --version` says "
        f"archive schema v{newer} or later\n")


def test_the_api_reads_an_old_archive_read_only_as_it_is(tmp_path: Path) -> None:
    db = build_old(tmp_path / "archive.db")
    with wixarchive.open(db, readonly=True) as archive:
        assert [p["title"] for p in wixarchive.posts(archive)] == ["Crème brûlée"]
        assert [hit.title for hit in wixarchive.search(archive, "custard")] == ["Crème brûlée"]
        assert wixarchive.count(archive, "custard") == 1
        assert [len(archive.versions(1)), archive.stats()[0]["posts"]] == [2, 1]
        assert archive.check() == []
        assert wixarchive.export(archive, tmp_path / "posts.jsonl") == 1
        with pytest.raises(wixarchive.ArchiveError, match="opened read-only"):
            archive.save_article(Article(url="https://old.example.com/post/new"))
    assert version_of(db) == OLD
    v2 = build_old(tmp_path / "v2.db", 2)  # older than schema.READABLE_FROM: no search index
    with pytest.raises(wixarchive.ArchiveOutdated, match="open it once for writing"):
        wixarchive.open(v2, readonly=True)


def refusal(db: Path, version: int, crawl: str) -> str:
    return (f"Error: cannot upgrade {db} from schema v{version} to v{schema.SCHEMA_VERSION}: a "
            f"crawl is running on it ({crawl}); run again when it ends\n")


def test_no_upgrade_under_a_crawl_holding_its_site_lock(tmp_path: Path) -> None:
    """Every version's crawl holds a site lock beside the archive: an upgrade under it would
    stop it at its next write with "written by a newer wixarchive"."""
    db = build_old(tmp_path / "archive.db")
    holder, _ = start_holder(tmp_path / "archive.db.locks" / "old.example.com-0123456789.lock",
                             with_child=False)
    try:
        lock = json.loads((tmp_path / "archive.db.locks" / "old.example.com-0123456789.lock")
                          .read_text())
        for command in (["check"], ["check", "--json"], ["crawl", "https://old.example.com/"]):
            result = run(*command, "--db", str(db))
            assert result.returncode == 75, (command, result.stderr)
            assert result.stdout == ""
            assert result.stderr == refusal(
                db, OLD, f"the crawl of s by pid {holder.pid} on {lock['host']}, "
                         f"since {lock['started_at']}"), command
            assert version_of(db) == OLD
    finally:
        holder.kill()
        holder.wait()
    result = run("check", "--db", str(db))  # the crawl is over: the lock file stays, unheld
    assert result.returncode == 0, result.stderr
    assert len(upgrade_lines(result.stderr)) == 1 and version_of(db) == schema.SCHEMA_VERSION


def test_no_upgrade_under_a_running_run_whose_process_lives(tmp_path: Path) -> None:
    """From schema v9 a run names its process: a crawl that took no lock counts too."""
    db = build_old(tmp_path / "archive.db", 12)  # the code of 4 December
    crawler = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = datetime.now(UTC).isoformat(timespec="seconds")
        conn = sqlite3.connect(db)
        conn.execute("INSERT INTO crawl_runs (site_id, started_at, host, pid) VALUES (1, ?, ?, ?)",
                     (started, socket.gethostname(), crawler.pid))
        conn.commit()
        conn.close()
        result = run("check", "--db", str(db))
        assert result.returncode == 75, result.stderr
        assert result.stderr == refusal(
            db, 12, f"the crawl of https://old.example.com/ by pid {crawler.pid}, since {started}")
        assert version_of(db) == 12
    finally:
        crawler.kill()
        crawler.wait()
    result = run("check", "--db", str(db))  # its process is gone: the run is closed
    assert result.returncode == 0, result.stderr
    assert "Closed 1 crawl run " in result.stdout and version_of(db) == schema.SCHEMA_VERSION


def test_the_upgrade_says_the_old_job_folder_is_no_longer_used_and_keeps_it(
        tmp_path: Path) -> None:
    db = build_old(tmp_path / "archive.db")
    queue = tmp_path / "archive.db.jobs" / "old.example.com" / "requests.queue"
    queue.mkdir(parents=True)
    (queue.parent / "requests.seen").write_text("0123456789abcdef\n")
    result = run("check", "--db", str(db))
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Upgraded {db} from schema v{OLD}")
    assert lines[1] == (f"{tmp_path / 'archive.db.jobs'}/ (the crawl state of older wixarchive "
                        "versions) is no longer used and may be deleted")
    assert (queue.parent / "requests.seen").read_text() == "0123456789abcdef\n"


def write_locked(db: Path) -> bool:
    """Whether another connection holds the archive's write lock (asked without waiting)."""
    conn = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def test_ctrl_c_stops_an_upgrade_rebuilding_the_search_indexes_at_once(tmp_path: Path) -> None:
    """The upgrade to v22 makes the search indexes again in one statement, in SQLite's C code,
    where Python runs no signal handler: a Ctrl-C waited for the whole upgrade (57.7 s of a
    150,000-post archive) and then undid it. Now SQLite stops at once; the archive is left as
    it was, and the next command upgrades it."""
    db = build_old(tmp_path / "archive.db", 21)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 40000) "
        "INSERT INTO posts (id, site_id, url, title, body, content_hash, version, first_seen, "
        "last_seen, last_changed, tags, categories) SELECT i, 1, "
        "'https://old.example.com/post/p' || i, 'Post ' || i, "
        "replace(hex(randomblob(400)), 'A', ' garden '), 'h' || i, 1, '2024-01-01', "
        "'2024-01-01', '2024-01-01', '[]', '[]' FROM n")
    conn.close()
    upgrading = subprocess.Popen(
        [sys.executable, "-m", "archive.cli", "check", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Under way: the upgrade holds the archive's write lock, for seconds.
        wait_until(lambda: write_locked(db), "the upgrade under way", upgrading)
        time.sleep(1)  # past its first statements, into the rebuild
        signalled = time.monotonic()
        upgrading.send_signal(signal.SIGINT)
        _, stderr = upgrading.communicate(timeout=HANG_GUARD)
        took = time.monotonic() - signalled
    finally:
        upgrading.kill()
        upgrading.wait()
    assert upgrading.returncode == 130, stderr
    assert stderr.rstrip().endswith("Interrupted."), stderr
    assert took < 3, took  # the whole upgrade takes 10-20 s here
    assert version_of(db) == 21
    result = run("check", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"OK: {db} (40000 posts, schema v{schema.SCHEMA_VERSION},")
