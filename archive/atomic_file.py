"""Writing a file whole or not at all: a temporary file beside it, renamed over it on success.

Readers (a scheduler reading the sites file, a web server publishing an export) never see half a
file, and a failed write leaves the old file (or none) in place. The temporary file is created
the way `open()` creates a file, with mode 0o666 and the user's umask applied by the kernel
(0o644 under umask 022), not private as `tempfile.mkstemp` makes it: what is written here is
meant to be read by others as any new file is.

A writer killed outright (SIGKILL, the out-of-memory killer, a power cut) cannot remove its
temporary file. The next write of the same target removes such leftovers: `.NAME.PID.HEX.tmp`
files whose writer process (PID, on this machine) is gone, and any `.NAME.*.tmp` (the names
before the PID was in them too) untouched for STALE_SECONDS, which no live writer leaves its
file: it writes as it goes. A process looks for them once in each folder it writes to.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# O_EXCL: a file or symlink planted at the temporary name fails the open, never followed.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
# Bytes of the target's name kept in the temporary's: recognisable, and within NAME_MAX (255).
_NAME_BYTES = 100
# A temporary file not written for this long is a dead writer's, whatever its name says.
STALE_SECONDS = 600
# What follows `.NAME.` in a temporary file's name: the writer's pid (none before it was
# added), 8 hex digits.
_SUFFIX = re.compile(r"(?:(\d+)\.)?[0-9a-f]{8}\.tmp")
# Folder -> the names in it that may be temporary files, as this process first listed them.
_listed: dict[Path, list[str]] = {}


def _stem(path: Path) -> str:
    return path.name.encode("utf-8", "surrogateescape")[:_NAME_BYTES].decode("utf-8", "ignore")


def _temporary_name(path: Path) -> Path:
    """A name in `path`'s folder for a temporary file of this process that will replace it."""
    return path.with_name(f".{_stem(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _writer_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # another user's process: alive
    return False


def _temporaries(folder: Path) -> list[str]:
    """The names in `folder` that may be temporary files, listed once per process: a Markdown
    export writes thousands of files into one folder (--flat), and listing it at each write
    would cost the square of their number."""
    if folder not in _listed:
        try:
            _listed[folder] = [entry.name for entry in os.scandir(folder)
                               if entry.name.startswith(".") and entry.name.endswith(".tmp")]
        except OSError:
            _listed[folder] = []  # the write itself says what is wrong with the folder
    return _listed[folder]


def remove_stale(path: Path) -> None:
    """Remove the temporary files that writers of `path` killed outright left beside it."""
    prefix = f".{_stem(path)}."
    names = _temporaries(path.parent)
    for name in [name for name in names if name.startswith(prefix)]:
        found = _SUFFIX.fullmatch(name[len(prefix):])
        if found is None:
            continue  # not a temporary file of ours
        temp = path.with_name(name)
        try:
            if temp.is_symlink() or not temp.is_file():
                continue  # only a regular file can be a writer's
            idle = time.time() - temp.lstat().st_mtime
            pid = found.group(1)
            if idle <= STALE_SECONDS and (pid is None or not _writer_gone(int(pid))):
                continue  # a live writer's, maybe
            temp.unlink()
        except FileNotFoundError:
            pass  # its writer finished meanwhile
        except OSError:
            continue  # not ours to remove (a read-only folder): the write says what is wrong
        names.remove(name)


@contextmanager
def replacing(path: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """A stream (`open(..., mode, **open_args)`) whose contents replace `path` when the block
    ends without an exception; on one, `path` is left as it was and the partial file removed.
    A killed writer's leftovers of `path` are removed first (remove_stale)."""
    remove_stale(path)
    temp = _temporary_name(path)
    # The name is known before the file exists, so that a Ctrl-C or SIGTERM arriving the moment
    # it is created still has it removed. A name taken (a dead process's that had this pid, a
    # file planted there) is never opened: O_EXCL fails, and another name is drawn.
    try:
        while True:
            try:
                handle = os.open(temp, _CREATE, 0o666)
                break
            except FileExistsError:
                temp = _temporary_name(path)
        with os.fdopen(handle, mode, **open_args) as stream:
            yield stream
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` at once."""
    with replacing(path) as stream:
        stream.write(data)
