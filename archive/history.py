"""What `wixarchive history` prints: how each version of a post came into the archive, and the
diff between two versions; and one version in the post's shape (`show --version`)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archive.versions import Speller

# What a diff of two versions showing no line of difference says: what the diff covers
# (version_text); the HTML alone can change otherwise.
NO_DIFFERENCE = "(no difference in title, author, dates, reading time, tags, categories or text)"

# The sources whose versions are dated by a web archive's capture, not by a fetch of ours.
WEB_ARCHIVE_SOURCES = ("recover", "import")


def version_origin(version: dict[str, Any]) -> str:
    """How a version (as Archive.versions() lists it) came into the archive, and what its
    `fetched_at` is: when wixarchive fetched the page, or, for a version recovered or imported
    from a web archive, when that archive captured it."""
    when = version["fetched_at"]
    source = version.get("source") or "crawl"
    if source == "recover":
        found = version.get("recovered")
        where = f" from {found['capture_url']}" if found else ""
        return f"recovered{where}, captured {when}"
    if source == "import":
        return f"imported from a web archive file, captured {when}"
    if source == "reextract":
        if found := version.get("recovered"):  # a page recover fetched from a web archive
            return f"re-extracted from the page recovered from {found['capture_url']}, " \
                   f"captured {when}"
        return f"re-extracted from the page as fetched {when}"
    return f"crawled {when}"


def deletion_window(post: dict[str, Any]) -> str:
    """When a deleted post went: after it was last seen, by when a crawl or a web archive's
    capture found it gone. The deletion itself is dated by nothing, so neither date is given
    as its day."""
    gone, seen = post["deleted_at"], post.get("last_seen")
    if seen and seen < gone:
        return f"between {seen} (last seen) and {gone} (found gone)"
    return f"by {gone} (found gone)"


# A version's stable id: the start of its content hash (what a reader sees, Article.content_hash),
# so it never changes when an older capture imported later renumbers the versions. Two versions
# with one id show the same text (a post edited back), so either answers a link to it.
VERSION_ID_LENGTH = 12
_VERSION_ID = re.compile(rf"[0-9a-f]{{{VERSION_ID_LENGTH},64}}")


def version_id(content_hash: str) -> str:
    """The stable id of the version whose content hash is `content_hash`."""
    return content_hash[:VERSION_ID_LENGTH]


def find_version(versions: Sequence[dict[str, Any]], ref: str) -> dict[str, Any] | None:
    """The version `ref` names among `versions` (Archive.versions()): a stable id (12 or more
    hex digits of its content hash; the newest version with that content) or a version number
    (which an older capture imported later shifts); None when none."""
    ref = ref.strip().lower()
    if _VERSION_ID.fullmatch(ref):
        return next((v for v in reversed(versions) if v["content_hash"].startswith(ref)), None)
    if ref.isascii() and ref.isdigit():  # not `²`, a digit to isdigit() that int() refuses
        return next((v for v in versions if v["version"] == int(ref)), None)
    return None


def post_at_version(post: dict[str, Any], versions: Sequence[dict[str, Any]], ref: str,
                    spell: Speller) -> tuple[dict[str, Any], str]:
    """`post` (Archive.post()) as it was in the version `ref` names among its `versions`
    (Archive.versions(); find_version: an id or a number), in the post's own shape, with the
    line naming that version and how it was fetched (`2 of 3, id 5f0c…: fetched …`): what
    `show --version` and wixarchive.post_version() give; `spell` spells its tags and categories
    as the archive does (Archive.archived_spellings). LookupError naming the versions the post
    has when `ref` names none of them."""
    from archive.versions import as_post  # the versions' JSON reading: not for diff alone

    version = find_version(versions, ref)
    if version is None:
        numbers = ", ".join(str(v["version"]) for v in versions)
        ids = ", ".join(v["version_id"] for v in versions)
        raise LookupError(f"{post['url']} has versions {numbers} (ids {ids}), not {ref}")
    return as_post(post, version, spell), (f"{version['version']} of {versions[-1]['version']}, id "
                                    f"{version['version_id']}: {version_origin(version)}")


def version_text(record: dict[str, Any]) -> list[str]:
    """What a reader sees of one version (its `record`, an Article as a dict), as lines to diff."""
    head = [f"Title: {record.get('title') or ''}", f"Author: {record.get('author') or ''}",
            f"Published: {record.get('published') or ''}"]
    if record.get("modified"):  # as `show` prints it: an edit usually moves this date
        head.append(f"Updated: {record['modified']}")
    if record.get("reading_minutes"):  # as `show` prints them, in its order
        head.append(f"Reading time: {record['reading_minutes']} min")
    for label, key in (("Tags", "tags"), ("Categories", "categories")):
        if record.get(key):
            head.append(f"{label}: " + ", ".join(record[key]))
    return head + [""] + (record.get("body_text") or "").split("\n")


def diff_versions(versions: Sequence[dict[str, Any]], old: int, new: int) -> list[str]:
    """The unified diff (lines) from version `old` to version `new` of `versions`, as
    Archive.versions() lists them; KeyError names a version the post does not have."""
    by_number = {v["version"]: v for v in versions}
    for number in (old, new):
        if number not in by_number:
            # Of a blog that is gone, no crawl will: the captures read so far are all there is.
            later = ("every capture of it imported or recovered so far holds this text"
                     if versions and versions[0].get("source") in WEB_ARCHIVE_SOURCES
                     else "a crawl that finds it changed stores version 2")
            held = (f"versions 1 to {len(versions)}" if len(versions) > 1 else
                    f"only version 1 ({later})")
            raise KeyError(f"no version {number}; this post has {held}")
    before, after = by_number[old], by_number[new]
    return list(difflib.unified_diff(
        version_text(before["record"]), version_text(after["record"]),
        fromfile=f"v{old} ({before['fetched_at']})", tofile=f"v{new} ({after['fetched_at']})",
        lineterm=""))


def diff_class(line: str) -> str:
    """What a line of diff_versions' output is: "added", "removed", "hunk" (an @@ line),
    "file" (the ---/+++ lines naming the two versions) or "context"."""
    if line.startswith(("---", "+++")):
        return "file"
    return {"+": "added", "-": "removed", "@": "hunk"}.get(line[:1], "context")
