"""A small disk that fills up: a tmpfs of a given size mounted on a test's folder (needs root),
for the tests of what a crawl and the other commands say when the archive's disk is full."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a small tmpfs (needs root)")


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """`folder` on a tmpfs of `size`: a disk that fills up part way through a crawl."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Fill the disk holding `folder` to its last byte. Unbuffered: a buffered file's close
    flushed what the full disk had refused, and raised where the free space was no whole number
    of chunks (the archive of schema v29 left such a remainder)."""
    with (folder / "filler").open("wb", buffering=0) as filler:
        for chunk in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * chunk)


@contextlib.contextmanager
def shm_kept(db: Path) -> Iterator[None]:
    """Another process holding the archive `db` open, so its -shm stays beside it as a stopped
    crawl leaves it (the archive then opens for writing, whatever the disk's space)."""
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n"
         "c.execute('SELECT count(*) FROM posts').fetchone()\nprint('open', flush=True)\n"
         "sys.stdin.read()", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline() == "open\n"
        yield
    finally:
        reader.communicate("")
