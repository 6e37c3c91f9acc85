"""An archive whose disk is full, as an administrator meets it: every command says so in one
line, the reading ones still read it, and a backup can take it to another disk (the `wixarchive`
command in a subprocess, the archive on a real full tmpfs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.disks import fill, needs_root, small_disk
from tests.outputs import build_outputs_archive
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
    say the disk is full."""
    built = build_outputs_archive(tmp_path / "built.db")
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = disk / "archive.db"
        shutil.copyfile(built, db)
        fill(disk)
        stats = wixarchive("stats", "--db", str(db))
        search = wixarchive("search", "fern", "--db", str(db))
        backup = wixarchive("backup", str(tmp_path / "copy.db"), "--db", str(db))
        writers = [wixarchive(command, "--db", str(db)) for command in ("reextract", "check")]
    assert stats.returncode == 0, stats.stderr
    assert search.returncode == 0 and "fern" in search.stdout.lower(), search.stderr
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.startswith(f"Backed up {db} to {tmp_path / 'copy.db'}: 1 post")
    for writer in writers:
        assert writer.returncode == 1
        assert writer.stderr == (
            f"Error: the disk holding {db} is full: SQLite cannot create archive.db-shm beside "
            "it (disk I/O error); free space on that disk, then run again\n")
    copied = wixarchive("search", "fern", "--db", str(tmp_path / "copy.db"))
    assert copied.returncode == 0 and "fern" in copied.stdout.lower(), copied.stderr
