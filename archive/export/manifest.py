"""The list of files a Markdown export wrote, so that the next export into the same folder can
say what changed and remove what it no longer writes, and nothing else.

The list is `.wixarchive-export.sha256` at the top of the folder, in `sha256sum`'s format (a
SHA-256 digest, two spaces, the path below the folder), so `sha256sum -c` checks it too; Hugo
and Jekyll skip files whose name starts with a dot. A file is removed only when the list names
it, it lies in a site folder this export writes, and its content still has the listed digest:
a file the user added or changed is never removed.

Entries are kept in a temporary SQLite file, not in memory, like `filenames.Folder`'s names.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from archive import atomic_file

NAME = ".wixarchive-export.sha256"
_LINE = re.compile(r"([0-9a-f]{64})  (.+)")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _key(relative: str) -> str:
    """Names compared as macOS and Windows compare them (as `Folder` gives them)."""
    return unicodedata.normalize("NFC", relative).casefold()


@dataclass
class Changes:
    """What an export did to its folder's files."""

    written: int = 0  # new or changed
    unchanged: int = 0  # already there with the same content: not rewritten
    removed: int = 0  # listed by the previous export, not written by this one
    kept_edited: list[str] = field(default_factory=list)  # the same, but changed since: kept


class Manifest:
    """The previous export's list (if any) and this export's, as files are written."""

    def __init__(self, root: Path, db: sqlite3.Connection) -> None:
        self.root = root
        self.path = root / NAME
        self.db = db
        self.changes = Changes()
        db.execute("CREATE TABLE previous (key TEXT PRIMARY KEY, path TEXT, digest TEXT, "
                   "top TEXT)")  # top: the path's first folder, a site's
        db.execute("CREATE TABLE current (key TEXT PRIMARY KEY, path TEXT, digest TEXT)")
        if self.path.is_file() and not self.path.is_symlink():
            with self.path.open(encoding="utf-8", errors="replace") as lines:
                db.executemany("INSERT OR REPLACE INTO previous VALUES (?, ?, ?, ?)",
                               ((_key(m.group(2)), m.group(2), m.group(1),
                                 m.group(2).split("/", 1)[0]) for line in lines
                                if (m := _LINE.fullmatch(line.rstrip("\n")))))

    def listed(self, relative: str) -> bool:
        """Whether the previous export wrote `relative`."""
        return self.db.execute("SELECT 1 FROM previous WHERE key = ?",
                               (_key(relative),)).fetchone() is not None

    def needs_writing(self, path: Path, data: bytes) -> bool:
        """Record `path` (below the root) as written by this export with `data`; False when
        the file already holds exactly `data` (left untouched: its date stays, so a site
        generator or rsync sees no change)."""
        relative = path.relative_to(self.root).as_posix()
        new = digest(data)
        self.db.execute("INSERT OR REPLACE INTO current VALUES (?, ?, ?)",
                        (_key(relative), relative, new))
        try:
            same = (not path.is_symlink() and path.stat().st_size == len(data)
                    and digest(path.read_bytes()) == new)
        except OSError:  # not there (or not readable): write it
            same = False
        if same:
            self.changes.unchanged += 1
        else:
            self.changes.written += 1
        return not same

    def finish(self, site_folders: set[str]) -> Changes:
        """Remove the files the previous export listed in `site_folders` that this one did
        not write, when unchanged since; write the new list (entries of other sites carried
        over, so exporting one site leaves another's alone)."""
        resolved = self.root.resolve()
        self.db.execute("CREATE TEMP TABLE sites (name TEXT PRIMARY KEY)")
        self.db.executemany("INSERT INTO sites VALUES (?)", ((name,) for name in site_folders))
        gone = "FROM previous WHERE key NOT IN (SELECT key FROM current) AND top "
        for relative, listed in self.db.execute(
                f"SELECT path, digest {gone} IN (SELECT name FROM sites)").fetchall():
            path = self.root / relative
            if ".." in PurePosixPath(relative).parts or path.is_symlink() or not path.is_file() \
                    or not path.resolve().is_relative_to(resolved):
                continue  # gone already, or not something this export could have written
            if digest(path.read_bytes()) != listed:
                self.changes.kept_edited.append(relative)  # the user's now: listed no more
                continue
            path.unlink()
            self.changes.removed += 1
            _remove_empty_parents(path.parent, self.root)
        with atomic_file.replacing(self.path, "w", encoding="utf-8", newline="\n") as out:
            for relative, listed in self.db.execute(
                    "SELECT path, digest FROM current UNION ALL "
                    f"SELECT path, digest {gone} NOT IN (SELECT name FROM sites) ORDER BY path"):
                out.write(f"{listed}  {relative}\n")
        return self.changes


def _remove_empty_parents(directory: Path, root: Path) -> None:
    """Remove `directory` and its parents up to (not including) `root` while they are empty
    (a post's bundle, its images/ folder)."""
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:  # not empty (the user's files, or other posts'): stop
            return
        directory = directory.parent
