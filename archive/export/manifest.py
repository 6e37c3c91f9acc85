"""The list of files an export wrote into a folder, so that the next export into the same folder
can say what changed and remove what it no longer writes, and nothing else: the Markdown
export's folder, and the WXR export's `--images-url` copies folder.

The list is `.wixarchive-export.sha256` at the top of the folder, in `sha256sum`'s format (a
SHA-256 digest, two spaces, the path below the folder), so `sha256sum -c` checks it too; Hugo
and Jekyll skip files whose name starts with a dot. A file is removed only when the list names
it as an export writes names (relative, no "." or ".." part), it lies in a folder the export
covers (a Markdown export's sites; all of a copies folder),
it is a regular file inside the folder, not a link, and its content still has the listed
digest: a file the user added or changed is never removed. Nor written over: a file (or link,
or folder) at a path the export writes that no earlier export listed is left as it is and
named (`Changes.in_the_way`), unless it holds what this export would write, or is the
earlier export of the same post (`to_write`'s `earlier`: a folder exported before these
lists, or whose list was deleted). An export that failed, or could not
read every archived file it would have written (a copy it skipped may be the last of its
bytes), removes nothing: it only lists what it wrote (`filenames.Folder` finishes the list).

Versions before this list kept the copies folder's as `.wixarchive-copies` (LEGACY_COPIES):
file names only, no digest. A copy was named by the start of its content's SHA-1
(archive.export.markdown.image_name), so a listed file whose content still gives its name is
the very copy written then: it is taken as listed, with its digest now. One whose content does
not (changed since) is the user's: never removed, and named among the files kept if no post
uses it. The new list replaces the old one, which is removed.

Entries are kept in a temporary SQLite file, not in memory, like `filenames.Folder`'s names.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from archive import atomic_file

NAME = ".wixarchive-export.sha256"
_LINE = re.compile(r"([0-9a-f]{64})  (.+)")
LEGACY_COPIES = ".wixarchive-copies"  # a WXR copies folder's list before NAME (names only)
# Its entries, as image_name made them: 16 hex digits of the content's SHA-1, an extension.
_LEGACY_ENTRY = re.compile(r"([0-9a-f]{16})(?:\.[A-Za-z0-9]{1,12})?")


# How much of a file `Manifest.to_write` reads for its `earlier` mark (a post's front matter).
_EARLIER_HEAD = 64 * 1024


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    """`path`'s digest, read a block at a time (a video copy may be large)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _legacy_copy_digest(path: Path, sha1_start: str) -> str | None:
    """The digest of an old list's copy when its content's SHA-1 still starts as its name
    does (unchanged since written); None when it does not, or it cannot be read."""
    sha1, sha256 = hashlib.sha1(), hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                sha1.update(block)
                sha256.update(block)
    except OSError:
        return None
    return sha256.hexdigest() if sha1.hexdigest().startswith(sha1_start) else None


def _key(relative: str) -> str:
    """Names compared as macOS and Windows compare them (as `Folder` gives them)."""
    return unicodedata.normalize("NFC", relative).casefold()


@dataclass
class Changes:
    """What an export did to its folder's files."""

    written: int = 0  # new or changed
    unchanged: int = 0  # already there with the same content: not rewritten
    removed: list[str] = field(default_factory=list)  # listed before, not written now
    kept_edited: list[str] = field(default_factory=list)  # the same, but changed since: kept
    # at a path written now, not written there by an earlier export: kept, and this export's
    # file not written
    in_the_way: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The export summary's fields saying what happened to the folder's files, the same for
        a Markdown export's folder and a WXR export's copies folder (docs/fields.md)."""
        return {"written": self.written, "unchanged": self.unchanged,
                "removed": len(self.removed), "kept_edited": self.kept_edited,
                "in_the_way": self.in_the_way}


class Manifest:
    """The previous export's list (if any) and this export's, as files are written."""

    def __init__(self, root: Path, db: sqlite3.Connection, *, by_site: bool) -> None:
        """`by_site`: the folder's top-level folders are sites (a Markdown export's), and an
        export covers those it writes to only; else it covers the whole folder."""
        self.root = root
        self.path = root / NAME
        self.db = db
        self.by_site = by_site
        self.changes = Changes()
        # top: the path's first part (a Markdown export's site folder)
        db.execute("CREATE TABLE previous (key TEXT PRIMARY KEY, path TEXT, digest TEXT, "
                   "top TEXT)")
        db.execute("CREATE TABLE current (key TEXT PRIMARY KEY, path TEXT, digest TEXT, "
                   "top TEXT)")
        if self.path.is_file() and not self.path.is_symlink():
            with self.path.open(encoding="utf-8", errors="replace") as lines:
                db.executemany("INSERT OR REPLACE INTO previous VALUES (?, ?, ?, ?)",
                               ((_key(m.group(2)), m.group(2), m.group(1),
                                 m.group(2).split("/", 1)[0]) for line in lines
                                if (m := _LINE.fullmatch(line.rstrip("\n")))
                                and _as_written(m.group(2))))
        # Only a WXR copies folder (not by site) had the old list.
        self.legacy = None if by_site else root / LEGACY_COPIES
        self.legacy_edited: list[str] = []  # its copies changed since: kept, never listed
        if self.legacy is None or self.legacy.is_symlink() or not self.legacy.is_file() \
                or not self._read_legacy(self.legacy):
            self.legacy = None  # none, or unreadable: left as it is

    def _read_legacy(self, path: Path) -> bool:
        """Take the old list's copies still as written as listed (see the module's doc); an
        entry the new list has already keeps its digest. False if it cannot be read."""
        try:
            names = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):  # nothing is provable: all its copies kept
            return False
        for name in names:
            entry = _LEGACY_ENTRY.fullmatch(name)  # not the header line
            copy = self.root / name
            if entry is None or copy.is_symlink() or not copy.is_file():
                continue
            if (listed := _legacy_copy_digest(copy, entry.group(1))) is None:
                self.legacy_edited.append(name)
                continue
            self.db.execute("INSERT OR IGNORE INTO previous VALUES (?, ?, ?, ?)",
                            (_key(name), name, listed, name))
        return True

    def listed(self, relative: str) -> bool:
        """Whether the previous export wrote `relative`."""
        return self.db.execute("SELECT 1 FROM previous WHERE key = ?",
                               (_key(relative),)).fetchone() is not None

    def to_write(self, path: Path, data: bytes, earlier: bytes | None = None) -> str:
        """Record `path` (below the root) as written by this export with `data`, and say
        what to do: "write"; "unchanged" when the file already holds exactly `data` (left
        untouched: its date stays, so a site generator or rsync sees no change); "in the way"
        when something is in its place that no earlier export listed there (the user's
        notes.md, their own page bundle's index.md, a link, a folder): left as it is, named
        in `changes.in_the_way`, and not listed. A file an earlier export listed is its to
        write anew, even changed since (a post's page follows the archive; a copy is named
        by its content). `earlier`: bytes whose presence in the head of a file no list names
        (a Markdown post's `archive_id` line) makes it an earlier export of the same post: a
        folder exported before these lists, or whose list was deleted."""
        relative = path.relative_to(self.root).as_posix()
        new = digest(data)
        found = self._found(path, relative, new, earlier)
        if found == "theirs":
            self.changes.in_the_way.append(relative)
            return "in the way"
        self.db.execute("INSERT OR REPLACE INTO current VALUES (?, ?, ?, ?)",
                        (_key(relative), relative, new, relative.split("/", 1)[0]))
        if found == "same":
            self.changes.unchanged += 1
            return "unchanged"
        self.changes.written += 1
        return "write"

    def _found(self, path: Path, relative: str, new: str, earlier: bytes | None) -> str:
        """What is at `path`: "none", "same" (holding the digest `new`), "ours" (a file the
        earlier export listed, or holding `earlier`) or "theirs"."""
        if not os.path.lexists(path):
            return "none"
        if path.is_symlink() or not path.is_file():
            return "theirs"
        try:
            found = _file_digest(path)
            if found == new:
                return "same"
            if self.listed(relative):  # the export's, edited or damaged since: written anew
                return "ours"
            if earlier is not None:
                with path.open("rb") as handle:
                    if earlier in handle.read(_EARLIER_HEAD):
                        return "ours"
        except OSError:  # unreadable: nothing says it is an export's
            pass
        return "theirs"

    def finish(self, complete: bool) -> Changes:
        """Remove the files the previous export listed that this one did not write, when
        unchanged since: those of the whole folder, or (`by_site`) of the sites this export
        wrote to; none when the export is not `complete` (it failed, or could not read
        everything: that proves nothing unused). Then write the new list, the entries left
        alone carried over (so exporting one site leaves another's files alone); no list when
        it is empty."""
        resolved = self.root.resolve()
        in_scope = ("0" if not complete else "top IN (SELECT top FROM current)" if self.by_site
                    else "1")
        gone = "FROM previous WHERE key NOT IN (SELECT key FROM current) AND "
        for relative, listed in self.db.execute(
                f"SELECT path, digest {gone} {in_scope}").fetchall():
            path = self.root / relative
            if path.is_symlink() or not path.is_file() \
                    or not path.resolve().is_relative_to(resolved):
                continue  # gone already, or not something this export could have written
            if _file_digest(path) != listed:
                self.changes.kept_edited.append(relative)  # the user's now: listed no more
                continue
            path.unlink()
            self.changes.removed.append(relative)
            _remove_empty_parents(path.parent, self.root)
        if complete:  # the old list's changed copies no post uses now: left to the user
            self.changes.kept_edited += [name for name in self.legacy_edited
                                         if not self.written(name)]
        entries = self.db.execute("SELECT path, digest FROM current UNION ALL "
                                  f"SELECT path, digest {gone} NOT ({in_scope}) ORDER BY path")
        if (entry := entries.fetchone()) is None:
            self.path.unlink(missing_ok=True)  # nothing written here: leave no list behind
        else:
            with atomic_file.replacing(self.path, "w", encoding="utf-8", newline="\n") as out:
                out.writelines(f"{listed}  {relative}\n"
                               for relative, listed in chain([entry], entries))
        if self.legacy is not None:  # what it listed is in the new list, or the user's now
            self.legacy.unlink(missing_ok=True)
        return self.changes

    def written(self, relative: str) -> bool:
        """Whether this export wrote `relative` (or found it as it would write it)."""
        return self.db.execute("SELECT 1 FROM current WHERE key = ?",
                               (_key(relative),)).fetchone() is not None


def _as_written(relative: str) -> bool:
    """Whether `relative` is spelled as an export writes a path: relative, names only (no "..",
    ".", or empty part). Another spelling of a path ("./a.png", "x/../a.png", "/abs/a.png") is
    no entry this export could have made, and might name a file written now under its own
    spelling: such a line is ignored."""
    return all(part not in ("", ".", "..") for part in relative.split("/"))


def _remove_empty_parents(directory: Path, root: Path) -> None:
    """Remove `directory` and its parents up to (not including) `root` while they are empty
    (a post's bundle, its images/ folder)."""
    while directory != root and directory.is_relative_to(root):
        try:
            directory.rmdir()
        except OSError:  # not empty (the user's files, or other posts'): stop
            return
        directory = directory.parent
