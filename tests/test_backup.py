"""Backing up, restoring and damaged archives, as an administrator meets them: the `wixarchive`
command in a subprocess, on real SQLite files (docs/operations.md, Backing up)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.damage import overwrite_root_pages
from tests.disks import needs_root, small_disk
from tests.outputs import REPO, build_outputs_archive
from tests.processes import HANG_GUARD


def environment() -> dict[str, str]:
    paths = (str(REPO), os.environ.get("PYTHONPATH"))  # kept: a run as another user needs it
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
    environ.pop("WIXARCHIVE_DB", None)
    return environ


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          encoding="utf-8", env=environment(), timeout=HANG_GUARD)


def test_damaged_tables_give_one_line_errors_and_check_names_the_damage(
        tmp_path: Path) -> None:
    """Found restoring a backup over a folder that still held the live archive's -wal: SQLite
    read the restored file through it, and `stats`, `show`, `history`, `export`, `serve` and
    even `check` (once a capture file was missing) ended in a Python traceback,
    `sqlite3.DatabaseError: database disk image is malformed`. Now one `Error:` line, exit 1;
    `check` reports the damage as problems (its JSON object too) and says to restore."""
    path = build_outputs_archive(tmp_path / "archive.db")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO capture_files (name, created_at, bytes, closed_at) VALUES "
                 "('gone.warc.gz', '2024-06-01T00:00:00+00:00', 10, "
                 "'2024-06-01T00:00:00+00:00')")  # a missing file: check describes its records
    conn.commit()
    conn.close()
    overwrite_root_pages(path, ("posts", "captures"))
    for command in (["stats"], ["show", "1"], ["history", "1"],
                    ["export", "--format", "jsonl", str(tmp_path / "out.jsonl")], ["check"]):
        result = run(*command, "--db", str(path))
        assert "Traceback" not in result.stderr, (command, result.stderr)
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.splitlines()[-1].startswith("Error: "), (command, result.stderr)
        assert "damaged" in result.stderr, (command, result.stderr)
    result = run("check", "--json", "--db", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert "unreadable: database disk image is malformed" in report["problems"]
    assert "restore it from a backup" in result.stderr


def test_check_reports_a_damaged_runs_table_as_damage_in_the_cli_and_the_api(
        tmp_path: Path) -> None:
    """Damage in the runs table met `check` closing dead runs, before anything it reports:
    `check --json` printed no JSON but `Error: the archive is damaged (…); wixarchive
    check tells more` (to someone running check), and `wixarchive.check()` raised a bare
    sqlite3.DatabaseError. Now the damage is a problem of the report, as for other tables."""
    import wixarchive

    path = build_outputs_archive(tmp_path / "archive.db")
    overwrite_root_pages(path, ("crawl_runs",))
    result = run("check", "--json", "--db", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["problems"] == ["unreadable: database disk image is malformed"], report
    assert "restore it from a backup" in result.stderr
    with wixarchive.open(path) as archive:
        checked = wixarchive.check(archive)
    assert checked.problems == report["problems"]


def test_backup_while_another_process_writes_copies_what_was_committed(tmp_path: Path) -> None:
    """`wixarchive backup` (none existed: the docs sent administrators to the sqlite3 shell,
    which servers often lack, and `cp`, unsafe while crawls run). A writer holds the archive:
    one commit still in the -wal file (a `cp archive.db` alone misses it) and a transaction
    open. The backup holds the commit and not the open transaction, with the captures and the
    sites file, under the new name, and works as an archive; it never overwrites."""
    live = tmp_path / "srv" / "archive.db"
    live.parent.mkdir()
    build_outputs_archive(live)
    (tmp_path / "srv" / "archive.captures").mkdir()
    warc = tmp_path / "srv" / "archive.captures" / "wixarchive-1.warc.gz"
    warc.write_bytes(b"\x1f\x8b" + os.urandom(5000))
    sites = tmp_path / "srv" / "archive.sites.toml"
    sites.write_text('[[site]]\nurl = "https://www.example-garden.com/"\nevery = "6h"\n')
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
         "c.execute(\"INSERT INTO sites (url, first_seen) VALUES ('https://committed.example/',"
         " '2026-12-06')\")\n"
         "c.execute('BEGIN IMMEDIATE')\n"
         "c.execute(\"INSERT INTO sites (url, first_seen) VALUES ('https://open.example/',"
         " '2026-12-06')\")\n"
         "print('held', flush=True); sys.stdin.read()", str(live)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "held\n"
        assert Path(f"{live}-wal").stat().st_size > 0
        dest = tmp_path / "backup"
        dest.mkdir()
        result = run("backup", str(dest), "--db", str(live))
    finally:
        writer.communicate("")
    assert result.returncode == 0, result.stderr
    copy = dest / "archive.db"
    assert result.stdout == (f"Backed up {live} to {copy}: 1 post, 1 capture file (0.0 MiB), "
                             f"its sites file to {dest / 'archive.sites.toml'}.\n")
    assert sorted(p.name for p in dest.iterdir()) == [
        "archive.captures", "archive.db", "archive.sites.toml"]  # no -wal: the copy is whole
    conn = sqlite3.connect(copy)
    urls = {url for (url,) in conn.execute("SELECT url FROM sites")}
    conn.close()
    assert "https://committed.example/" in urls and "https://open.example/" not in urls
    assert (dest / "archive.captures" / warc.name).read_bytes() == warc.read_bytes()
    assert (dest / "archive.sites.toml").read_text() == sites.read_text()
    shown = run("show", "1", "--db", str(copy))
    assert shown.returncode == 0 and "fern" in shown.stdout.lower(), shown.stderr

    before = copy.read_bytes()
    again = run("backup", str(copy), "--db", str(live))
    assert again.returncode == 1
    assert again.stderr == (f"Error: {copy} exists: back up to a new name, or remove it first "
                            "(a backup never overwrites one)\n")
    assert copy.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder whatever its mode")
def test_captures_folder_this_user_cannot_read_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Crawls run as one user under umask 077, `check` run by a monitoring user: the captures
    folder (mode 0700) cannot be listed. `check` ended in a traceback (PermissionError from
    stat), and `stats` said the capture file was missing, inviting a re-crawl. Now both say
    the folder cannot be read by this user, `serve` warns (each image answered 410 Gone,
    unexplained), and `backup` refuses (it backed up no capture
    file, silently: the listing of such a folder is empty)."""
    path = build_outputs_archive(tmp_path / "archive.db")
    folder = tmp_path / "archive.captures"
    folder.mkdir()
    (folder / "wixarchive-1.warc.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 100)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO capture_files (name, created_at, bytes, closed_at) VALUES "
                 "('wixarchive-1.warc.gz', '2024-06-01T00:00:00+00:00', 102, "
                 "'2024-06-01T00:00:00+00:00')")
    conn.commit()
    conn.close()
    backups = tmp_path / "backups"
    backups.mkdir()
    folder.chmod(0o000)
    try:
        checked = run("check", "--db", str(path))
        stats = run("stats", "--db", str(path))
        stats_json = run("stats", "--json", "--db", str(path))
        backup = run("backup", str(backups), "--db", str(path))
        serving = subprocess.Popen(
            [sys.executable, "-m", "archive.cli", "serve", "--port", "0", "--db", str(path)],
            env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            address = re.search(r"http://[^/]+/", serving.stdout.readline()).group(0)
            urllib.request.urlopen(address, timeout=HANG_GUARD).close()  # warned before this
        finally:
            serving.terminate()
            warning = serving.communicate(timeout=HANG_GUARD)[1]
    finally:
        folder.chmod(0o755)
    assert "Traceback" not in checked.stderr, checked.stderr
    assert checked.returncode == 1
    assert (f"Problem: captures: {folder}/ cannot be read by this user (permission denied)"
            in checked.stderr), checked.stderr
    assert stats.returncode == 0, stats.stderr
    assert f"Captures: {folder}/ cannot be read by this user" in stats.stdout
    assert "missing" not in stats.stdout
    # `stats --json` counted the file as missing (`missing_files` 1) until 2026-12-06.
    held = json.loads(stats_json.stdout)["captures"]
    assert held["unreadable"].startswith(f"{folder}/ cannot be read by this user"), held
    assert (held["files"], held["missing_files"], held["missing_records"]) == (None, None, None)
    assert backup.returncode == 1
    assert backup.stderr == (f"Error: cannot back up {path}: {folder}/ cannot be read by this "
                             "user (permission denied): run this as the user that crawls, or "
                             "give this one read access to it\n")
    assert list(backups.iterdir()) == []

    assert (f"Warning: {folder}/ cannot be read by this user (permission denied): run this as "
            "the user that crawls, or give this one read access to it; until then its archived "
            "images cannot be shown.\n") in warning


def test_backup_on_read_only_media_keeps_what_its_wal_holds(tmp_path: Path) -> None:
    """An archive on read-only media whose -wal holds commits, its -shm not there (the database
    and its -wal copied there, as the backup by hand copies them): SQLite can only read it as
    an immutable file, without the -wal, and the backup silently lacked those commits (the
    post edited here kept its old title). Now the -wal is copied and checkpointed into the
    copy. (The mount is simulated by modes: a folder and files without write bits count.)"""
    live = tmp_path / "snapshot" / "archive.db"
    live.parent.mkdir()
    build_outputs_archive(live)
    writer = subprocess.run(  # commits in the -wal, never checkpointed: a cut-off crawl
        [sys.executable, "-c", "import os, sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('PRAGMA wal_autocheckpoint = 0')\n"
         "c.execute(\"UPDATE posts SET title = 'Edited in the WAL' WHERE id = 1\")\n"
         "os._exit(0)", str(live)], timeout=HANG_GUARD)
    assert writer.returncode == 0
    assert Path(f"{live}-wal").stat().st_size > 0
    Path(f"{live}-shm").unlink()
    for path in live.parent.iterdir():
        path.chmod(0o444)
    live.parent.chmod(0o555)
    try:
        result = run("backup", str(tmp_path / "copy.db"), "--db", str(live))
    finally:
        live.parent.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "snapshot"]
    conn = sqlite3.connect(tmp_path / "copy.db")
    [title] = conn.execute("SELECT title FROM posts WHERE id = 1").fetchone()
    conn.close()
    assert title == "Edited in the WAL"


# `wixarchive backup` with os.fsync failing on folders as a file system does: no such file
# system can be mounted here (no FUSE library, no Samba), so the failure is injected.
FAILING_FOLDER_SYNC = """\
import errno, os, stat, sys
real_fsync = os.fsync
def fsync(fd):
    path, share = os.readlink(f"/proc/self/fd/{fd}"), os.environ["FAILING_SYNC_OF"]
    if stat.S_ISDIR(os.fstat(fd).st_mode) and (path == share or (
            os.environ["FAILING_SYNC_NESTED"] and path.startswith(share + "/"))):
        raise OSError(int(os.environ["FAILING_SYNC_ERRNO"]), "injected")
    return real_fsync(fd)
os.fsync = fsync
from archive.cli import main
main(sys.argv[1:], prog_name="wixarchive")
"""


@pytest.mark.parametrize("error", ["EINVAL", "EIO"])
def test_backup_to_a_share_that_cannot_sync_a_folder(tmp_path: Path, error: str) -> None:
    """A Samba share (Linux before 4.17) or a FUSE file system without fsyncdir answers fsync
    of a folder EINVAL, as SQLite, borg and others allow: every backup to one failed. And a
    failure of the last step, syncing the folder the backup was renamed into, removed the
    copy's captures and sites file but left its database: an archive at DEST without its
    captures, after `Error: cannot back up`. Now EINVAL from a folder is let pass, and a
    backup failing at its last step leaves nothing at DEST (another error, here EIO)."""
    live = tmp_path / "srv" / "archive.db"
    live.parent.mkdir()
    build_outputs_archive(live)
    (tmp_path / "srv" / "archive.captures").mkdir()
    (tmp_path / "srv" / "archive.captures" / "wixarchive-1.warc.gz").write_bytes(b"\x1f\x8b" * 9)
    (tmp_path / "srv" / "archive.sites.toml").write_text(
        '[[site]]\nurl = "https://www.example-garden.com/"\n')
    share = tmp_path / "share"
    share.mkdir()
    result = subprocess.run(
        [sys.executable, "-c", FAILING_FOLDER_SYNC, "backup", str(share / "copy.db"),
         "--db", str(live)], capture_output=True, encoding="utf-8", timeout=HANG_GUARD,
        # EINVAL: every folder of the share; EIO: the last step, the share's own sync.
        env={**environment(), "FAILING_SYNC_OF": str(share),
             "FAILING_SYNC_NESTED": "1" if error == "EINVAL" else "",
             "FAILING_SYNC_ERRNO": str(getattr(__import__("errno"), error))})
    if error == "EINVAL":
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in share.iterdir()) == [
            "copy.captures", "copy.db", "copy.sites.toml"]
    else:
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: cannot back up {live} to {share / 'copy.db'}")
        assert list(share.iterdir()) == []


# `wixarchive backup` whose copy of the capture files waits for a line on stdin, once it has
# said so: a backup held part way, for as long as the test needs.
PAUSED_BACKUP = """\
import shutil, sys
real_copy = shutil.copy2
def copy2(*args, **kwargs):
    print("copying", flush=True)
    sys.stdin.readline()
    return real_copy(*args, **kwargs)
shutil.copy2 = copy2
from archive.cli import main
main(sys.argv[1:], prog_name="wixarchive")
"""


def test_a_second_backup_to_the_same_name_at_once_is_refused_naming_the_first(
        tmp_path: Path) -> None:
    """Two backups to one DEST at the same moment: the first to rename its copy into place won,
    and the other said `cannot back up … .same.captures.874.tmp: Directory not empty` (or,
    with no captures, replaced the first's database). It is now refused at once, naming the
    backup writing DEST; the first completes."""
    live = build_outputs_archive(tmp_path / "archive.db")
    (tmp_path / "archive.captures").mkdir()
    (tmp_path / "archive.captures" / "wixarchive-1.warc.gz").write_bytes(b"\x1f\x8b" * 9)
    dest = tmp_path / "same.db"
    first = subprocess.Popen([sys.executable, "-c", PAUSED_BACKUP, "backup", str(dest),
                              "--db", str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, encoding="utf-8", env=environment())
    try:
        assert first.stdout.readline() == "copying\n"
        second = run("backup", str(dest), "--db", str(live))
        out, err = first.communicate("go\n", timeout=HANG_GUARD)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (second.returncode, second.stdout) == (1, "")
    assert second.stderr == (f"Error: another backup (pid {first.pid}) is writing {dest} now: "
                             "wait for it to end, or back up to another name\n")
    assert first.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("same", ".same"))) \
        == ["same.captures", "same.db"]
    posts = "SELECT count(*) FROM posts"
    with sqlite3.connect(live) as source, sqlite3.connect(dest) as copy:
        assert copy.execute(posts).fetchone() == source.execute(posts).fetchone() != (0,)
    source.close()
    copy.close()


def test_a_backup_to_a_folder_not_there_is_refused_not_written_as_a_file(tmp_path: Path) -> None:
    """`wixarchive backup /backup/` with no folder /backup (a backup disk not mounted, a typo)
    wrote the backup as the file `/backup`: click's Path dropped the trailing `/`. Refused now,
    naming the folder; to an existing folder it goes inside, under the archive's name."""
    live = build_outputs_archive(tmp_path / "archive.db")
    missing = run("backup", f"{tmp_path / 'backup'}/", "--db", str(live))
    assert (missing.returncode, missing.stderr) == (1, (
        f"Error: no folder {tmp_path / 'backup'}/: create it first, or give the backup's file "
        "name\n"))
    assert not (tmp_path / "backup").exists()
    (tmp_path / "backup").mkdir()
    inside = run("backup", f"{tmp_path / 'backup'}/", "--db", str(live))
    assert inside.returncode == 0, inside.stderr
    assert (tmp_path / "backup" / "archive.db").is_file()


@needs_root
@pytest.mark.parametrize("size", ["100k", "600k"])
def test_a_full_backup_disk_is_named_not_the_archive(tmp_path: Path, size: str) -> None:
    """The backup's disk fills: on the database (100k) the error said `cannot back up
    archive.db: archive error: database or disk is full`, on a capture file (600k) it named
    the archive's own capture file (`…/archive.captures/x.warc.gz: No space left on device`),
    as if the archive's disk were full. Both name the backup's folder now, leaving nothing."""
    (tmp_path / "srv" / "archive.captures").mkdir(parents=True)
    live = build_outputs_archive(tmp_path / "srv" / "archive.db")
    (tmp_path / "srv" / "archive.captures" / "wixarchive-1.warc.gz").write_bytes(
        b"\x1f\x8b" + os.urandom(400_000))
    with small_disk(tmp_path / "backup", size) as disk:
        result = run("backup", str(disk / "copy.db"), "--db", str(live))
        left = sorted(path.name for path in disk.iterdir())
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"Error: cannot back up {live} to {disk / 'copy.db'}: {disk}: "), result.stderr
    assert result.stderr.endswith("its disk is full (database or disk is full)\n" if size == "100k"
                                  else "No space left on device\n"), result.stderr
    assert left == []
