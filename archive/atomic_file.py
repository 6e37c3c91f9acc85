"""Writing a file whole or not at all: a temporary file beside it, renamed over it on success.

Readers (a scheduler reading the sites file, a web server publishing an export) never see half a
file, and a failed write leaves the old file (or none) in place. The temporary file is created
the way `open()` creates a file, with mode 0o666 and the user's umask applied by the kernel
(0o644 under umask 022), not private as `tempfile.mkstemp` makes it: what is written here is
meant to be read by others as any new file is.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

# O_EXCL: a file or symlink planted at the temporary name fails the open, never followed.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
# Bytes of the target's name kept in the temporary's: recognisable, and within NAME_MAX (255).
_NAME_BYTES = 100


def _create_beside(path: Path) -> tuple[int, Path]:
    """A new, empty file in `path`'s folder named after it, open for writing."""
    stem = path.name.encode("utf-8", "surrogateescape")[:_NAME_BYTES].decode("utf-8", "ignore")
    while True:
        temp = path.with_name(f".{stem}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp, _CREATE, 0o666), temp
        except FileExistsError:
            continue  # another writer's temporary file: pick another name


@contextmanager
def replacing(path: Path, mode: str = "wb", **open_args: Any) -> Iterator[IO[Any]]:
    """A stream (`open(..., mode, **open_args)`) whose contents replace `path` when the block
    ends without an exception; on one, `path` is left as it was and the partial file removed."""
    handle, temp = _create_beside(path)
    try:
        with os.fdopen(handle, mode, **open_args) as stream:
            yield stream
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` at once."""
    with replacing(path) as stream:
        stream.write(data)
