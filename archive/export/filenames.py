"""File names made from archived text (slugs, site hosts) that stay inside an output folder.

A post's slug comes from its site, so it is hostile input: `../`, absolute paths, Windows device
names (CON, NUL, COM1...), trailing dots and spaces, names longer than the file system allows,
and Unicode that turns into separators or dots on some systems (fullwidth "／", "．") or hides
what a name says (bidi overrides, zero-width characters). `safe_name` makes one portable path
component of any text; `Folder` writes files strictly below one folder, each name once.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable
from pathlib import Path

from archive import atomic_file
from archive.export.manifest import Changes, Manifest

# Characters no portable file name may hold (Windows' list, plus every control character).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_REPEATS = re.compile(r"-{2,}")
# Windows device names, reserved with any extension and with superscript digits too.
RESERVED = frozenset({"con", "prn", "aux", "nul", "conin$", "conout$"}
                     | {f"{port}{digit}" for port in ("com", "lpt")
                        for digit in "0123456789\u00b9\u00b2\u00b3"})
# Bytes of a name, under the 255 of ext4, APFS and NTFS, leaving room for a "-<id>-<n>" suffix
# and an extension.
MAX_NAME_BYTES = 200


class UnsafePath(OSError):
    """A file would have been written outside its output folder."""


def safe_name(text: str, fallback: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One portable path component made from `text`; `fallback` when nothing usable is left."""
    # NFKC first: fullwidth solidus and full stop become "/" and ".", and are then removed.
    name = unicodedata.normalize("NFKC", text)
    # Controls, format characters (bidi overrides, zero-width), separators, private use.
    name = "".join(ch if unicodedata.category(ch)[0] not in "CZ" or ch == " " else "-"
                   for ch in name)
    name = _REPEATS.sub("-", _UNSAFE.sub("-", name)).strip(" .-")
    encoded = name.encode("utf-8")
    if len(encoded) > max_bytes:
        name = encoded[:max_bytes].decode("utf-8", "ignore").strip(" .-")
    if name.split(".", 1)[0].rstrip(" ").lower() in RESERVED:
        name = f"_{name}"
    return name or fallback


class Folder:
    """Writes files below `root` only: each relative path is made of safe names, is given once
    per export (case- and normalization-insensitively, as macOS and Windows compare names), and
    is written atomically without following a symlink planted in its place.

    The names already given are kept in a temporary SQLite file, not in memory: an export of a
    million posts stays flat in memory. What is written is listed for the folder's manifest
    (archive/export/manifest.py), and a file already holding the same bytes is left as it is.
    Leaving the `with` block finishes the manifest: files no post uses any more are removed
    only when the block ended without an exception and `all_read()` says every archived file
    was read; the list is written either way, so what a failed export wrote stays listed.
    """

    def __init__(self, root: Path, *, by_site: bool,
                 all_read: Callable[[], bool] = lambda: True) -> None:
        """`by_site`: the top-level folders are sites, and an export covers only those it
        writes to (a Markdown export); else it covers the whole folder (WXR's copies)."""
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.resolved = root.resolve()
        self.all_read = all_read
        self._names = sqlite3.connect("", isolation_level=None)  # "" = a temporary file
        self._names.execute("CREATE TABLE taken (key TEXT PRIMARY KEY)")
        self.manifest = Manifest(root, self._names, by_site=by_site)
        self.changes = Changes()  # what the export did to the folder's files, once finished
        # The last directory made and found inside the root: a post's files are written one
        # after another, so remembering one keeps memory flat however many posts there are.
        self._checked: Path | None = None

    def close(self) -> None:
        self._names.close()

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        try:
            self.changes = self.manifest.finish(complete=exc_type is None and self.all_read())
        finally:
            self.close()

    def _take(self, relative: str) -> bool:
        key = unicodedata.normalize("NFC", relative).casefold()
        return self._names.execute("INSERT OR IGNORE INTO taken VALUES (?)", (key,)).rowcount == 1

    def first(self, relative: str) -> bool:
        """Whether `relative` is given here for the first time in this export (a file named by
        its content, written once however many posts use it)."""
        return self._take(relative)

    def claim(self, directory: str, stem: str, suffix: str, tiebreak: str) -> Path:
        """A path not yet given in this export: directory/stem+suffix, else with -tiebreak,
        else with -tiebreak-2, -3..."""
        candidates = [stem, f"{stem}-{tiebreak}"]
        n = 2
        while True:
            for candidate in candidates:
                relative = f"{directory}/{candidate}{suffix}"
                if self._take(relative):
                    return self.root / directory / f"{candidate}{suffix}"
            candidates = [f"{stem}-{tiebreak}-{n}"]
            n += 1

    def write_text(self, path: Path, text: str, earlier: bytes | None = None) -> bool:
        return self.write_bytes(path, text.encode("utf-8"), earlier)

    def write_bytes(self, path: Path, data: bytes, earlier: bytes | None = None) -> bool:
        """Write `path` (from `claim` or `first`) through a temporary file renamed over it (a
        half-written file in its place is replaced); False, leaving it as it is, when
        something not this export's is there: the user's file, folder or symlink (never
        followed), or a file changed since an earlier export wrote it (the manifest's
        `to_write`, which `earlier` is given to)."""
        directory = path.parent
        if directory != self._checked:
            directory.mkdir(parents=True, exist_ok=True)
            # A directory that is (or sits behind) a symlink out of the folder is refused.
            if not directory.resolve().is_relative_to(self.resolved):
                raise UnsafePath(f"{directory} leads outside {self.root}; not writing "
                                 f"{path.name}")
            self._checked = directory
        action = self.manifest.to_write(path, data, earlier)
        if action == "write":
            atomic_file.write_bytes(path, data)
        return action != "in the way"
