"""The folder of archived copies a WXR export with `--images-url` writes (OUT-images/), kept in
step with its export: a re-run into the same place removes the copies an earlier run wrote that
no post uses any more, and nothing else.

A copy is named by its content (the start of its SHA-1, archive.export.markdown.image_name)
and, once written, listed in the folder's manifest (MANIFEST). A file is removed only when the
manifest lists it, it is a regular file (not a link) and its bytes still hash to its name: a
file the user put in the folder, or replaced since, is never touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from archive import atomic_file

MANIFEST = ".wixarchive-copies"
_HEADER = "# Files `wixarchive export --format wxr --images-url` wrote here, one a line.\n"
# image_name's form: 16 hex digits of the SHA-1, then the extension, if any.
_COPY_NAME = re.compile(r"[0-9a-f]{16}(?:\.[A-Za-z0-9]{1,12})?")
_DIGEST_CHARS = 16
_CHUNK = 1 << 20


def _hashes_to_its_name(path: Path) -> bool:
    """Whether `path` is a regular file whose bytes' SHA-1 starts as its name does."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        digest = hashlib.sha1()
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest()[:_DIGEST_CHARS] == path.name[:_DIGEST_CHARS]


class CopiesFolder:
    """One export's copies: `add` each file the export publishes, then `finish`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(exist_ok=True)
        self.listed = self._read_manifest()  # what earlier runs wrote
        self.used: set[str] = set()  # what this run's export names

    def _read_manifest(self) -> set[str]:
        try:
            text = (self.folder / MANIFEST).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):  # none yet, or unreadable: nothing is provable
            return set()
        return {line for line in text.splitlines() if _COPY_NAME.fullmatch(line)}

    def add(self, name: str, data: bytes) -> None:
        """Write `data` (whose image_name is `name`) unless the folder has it already."""
        path = self.folder / name
        if not path.exists():
            atomic_file.write_bytes(path, data)
            self.used.add(name)
        elif name in self.listed or _hashes_to_its_name(path):
            self.used.add(name)  # the very bytes an earlier run wrote (or would have)

    def finish(self, *, complete: bool) -> list[str]:
        """Record the copies in the manifest; when the export is `complete` (written whole,
        every archived file read), first remove the listed copies it no longer uses. Returns
        the names removed."""
        stale = self.listed - self.used
        removed: list[str] = []
        keep = set(self.used)
        if not complete:
            keep |= stale  # an export that failed part way proves nothing unused
        else:
            for name in sorted(stale):
                path = self.folder / name
                if not _hashes_to_its_name(path):
                    continue  # gone, or no longer the copy that was written: not ours now
                try:
                    path.unlink()
                except OSError:
                    keep.add(name)  # still ours: try again next time
                    continue
                removed.append(name)
        manifest = self.folder / MANIFEST
        if keep:
            atomic_file.write_bytes(manifest, (_HEADER + "".join(
                f"{name}\n" for name in sorted(keep))).encode("utf-8"))
        else:
            manifest.unlink(missing_ok=True)
        return removed
