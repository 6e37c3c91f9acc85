"""An archive whose disk is full, as an administrator meets it: every command says so in one
line, the reading ones still read it, and a backup can take it to another disk (the `wixarchive`
command in a subprocess, the archive on a real full tmpfs)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from archive.store import Archive
from tests.disks import fill, needs_root, shm_kept, small_disk
from tests.outputs import POST_URL, build_outputs_archive
from tests.processes import HANG_GUARD


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          encoding="utf-8", timeout=HANG_GUARD)


@needs_root
def test_an_archive_on_a_full_disk_is_read_and_backed_up_and_writers_name_the_full_disk(
        tmp_path: Path) -> None:
    """With no -shm beside it (no command running when the disk filled) every command said
    `Error: … is not a readable archive (disk I/O error)`, `stats`, `search` and `backup`
    too: an administrator took a full disk for a damaged archive, and could not even copy it
    to another disk. Now the reading commands read it as the file it is, and those that write
    say the disk is full, as `serve` does (it cannot serve a file that may change as
    immutable)."""
    built = build_outputs_archive(tmp_path / "built.db")
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = disk / "archive.db"
        shutil.copyfile(built, db)
        fill(disk)
        stats = wixarchive("stats", "--db", str(db))
        search = wixarchive("search", "fern", "--db", str(db))
        backup = wixarchive("backup", str(tmp_path / "copy.db"), "--db", str(db))
        writers = [wixarchive(*command, "--db", str(db))
                   for command in (("reextract",), ("check", "--repair"))]
        serve = wixarchive("serve", "--port", "0", "--db", str(db))
    assert stats.returncode == 0, stats.stderr
    assert search.returncode == 0 and "fern" in search.stdout.lower(), search.stderr
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.startswith(f"Backed up {db} to {tmp_path / 'copy.db'}: 1 post")
    for writer in writers:
        assert writer.returncode == 1
        assert writer.stderr == (
            f"Error: the disk holding {db} is full: SQLite cannot create archive.db-shm beside "
            "it (disk I/O error); free space on that disk, then run again\n")
    # A server must not read as immutable a file a crawl may write once space is freed; read
    # as Datasette reads, every page answered 500 (`disk I/O error`) under "Serving …".
    assert (serve.returncode, serve.stdout, serve.stderr) == (1, "", (
        f"Error: the disk holding {db} is full: SQLite cannot create archive.db-shm beside it "
        "(disk I/O error), which serving needs; free space on that disk, then serve it again "
        "(search, export and backup read it meanwhile)\n"))
    copied = wixarchive("search", "fern", "--db", str(tmp_path / "copy.db"))
    assert copied.returncode == 0 and "fern" in copied.stdout.lower(), copied.stderr


@needs_root
def test_check_of_an_idle_archive_on_a_full_disk_checks_it_read_only_and_says_what_it_left(
        tmp_path: Path) -> None:
    """`check` opened the archive for writing (to close dead runs, note damaged records) and
    met the full disk: `Error: the disk holding … is full`, nothing checked, while `stats` and
    `search` read the same file. It checks what is on disk read-only now, and names what it
    could not record; with space freed, the next check records it."""
    built = build_outputs_archive(tmp_path / "built.db")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    with Archive.open(built) as archive:  # a run left `running` by a process that is gone
        archive.start_run(POST_URL, started_at="2024-07-01T00:00:00+00:00", pid=int(gone.stdout))
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = disk / "archive.db"
        shutil.copyfile(built, db)
        fill(disk)
        check = wixarchive("check", "--db", str(db))
        as_json = wixarchive("check", "--json", "--db", str(db))
        (disk / "filler").unlink()
        freed = wixarchive("check", "--db", str(db))
    note = (f"checked read-only: the disk holding {db} is full; the search indexes compared "
            "with the posts by their number only; not recorded: 1 crawl run left `running` by "
            "a process that is gone (not closed as interrupted); check again once it can be "
            "written")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"OK: {db} (1 post, schema v"), check.stdout
    assert check.stderr == f"Note: {note}\n"
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) | {"schema": 0} == {
        "ok": True, "db": str(db), "posts": 1, "schema": 0, "captures": 0, "problems": [],
        "notes": [note], "closed_runs": 0, "repaired": False}
    assert freed.returncode == 0, freed.stderr
    assert freed.stdout.startswith("Closed 1 crawl run left `running` by a process that is "
                                   "gone, as interrupted."), freed.stdout
    assert freed.stderr == ""


@needs_root
def test_check_of_an_archive_a_crawl_left_on_a_full_disk_names_the_run_it_could_not_close(
        tmp_path: Path) -> None:
    """With the -shm a stopped crawl leaves, the archive opens for writing, and closing its run
    met the full disk: `Error: archive error: database or disk is full`, nothing checked. The
    check runs whole now and names the run it could not close."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = build_outputs_archive(disk / "archive.db")
        with Archive.open(db) as archive:
            archive.start_run(POST_URL, started_at="2024-07-01T00:00:00+00:00",
                              pid=int(gone.stdout))
        with shm_kept(db):
            fill(disk)
            check = wixarchive("check", "--db", str(db))
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"OK: {db} (1 post, schema v"), check.stdout
    assert check.stderr == (
        f"Note: the disk holding {db} is full; not recorded: 1 crawl run left `running` by a "
        "process that is gone (not closed as interrupted); check again once it can be written\n")


@needs_root
def test_lock_files_a_full_disk_cannot_hold_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A crawl stopped by a full disk leaves the archive readable (its -shm is there), but a
    lock file cannot be written: `reextract`, `schedule` and `backup` to that disk ended in a
    traceback of `os.pwrite` (`OSError: [Errno 28] No space left on device`), and `crawl`
    said `cannot create its lock file: [Errno 28] …`. Each is one line naming the file now."""
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = build_outputs_archive(disk / "archive.db")
        (disk / "archive.sites.toml").write_text('[[site]]\nurl = "http://127.0.0.1:9/"\n')
        with shm_kept(db):
            fill(disk)
            reextract = wixarchive("reextract", "--db", str(db))
            schedule = wixarchive("schedule", "--db", str(db))
            backup = wixarchive("backup", str(disk / "copy.db"), "--db", str(db))
            crawl = wixarchive("crawl", "http://127.0.0.1:9/", "--db", str(db))
    locks = disk / "archive.db.locks"
    assert (reextract.returncode, reextract.stderr) == (1, (
        f"Error: cannot write the lock file {locks / 'reextract.all'}: No space left on "
        "device\n"))
    assert (schedule.returncode, schedule.stderr) == (1, (
        f"Error: cannot write the lock file {locks / 'schedule.daemon'}: No space left on "
        "device\n"))
    assert (backup.returncode, backup.stderr) == (1, (
        f"Error: cannot back up to {disk / 'copy.db'}: {disk / '.copy.db.backup'}: No space "
        "left on device\n"))
    assert crawl.returncode == 1
    assert crawl.stdout.startswith("✗ http://127.0.0.1:9/: cannot write the lock file "), \
        crawl.stdout
    assert crawl.stdout.splitlines()[0].endswith(".lock: No space left on device"), crawl.stdout
