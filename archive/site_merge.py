"""`wixarchive sites merge OLD NEW`: two archived sites that are one blog, joined.

A blog that moved to another host is one site when a crawl of its old address follows the
move (archive.ingest._follow_moves). When the archive never saw the move (the old address dead
or parked by the time the new one was crawled), the new address became a site of its own,
every post fetched and stored again and found twice by search. Merging files the new site's
posts, versions and runs under the archived site, as if the move had been followed: every post
takes its URL at the new address (its path kept), the site keeps its row (its name, its runs,
the address its crawls are filed under), and the new address continues it from then on
(site_match.moved_here).

Two posts at the same path become one, their versions in time order: the post's row holds
the newest version, and its id is the larger of the two (the other row is removed, so a new
post can never take the id of a removed one: ingest numbers them from max(id)). A version
identical to the one before it (a post unchanged between a fetch at each address) is left out,
as a crawl following the move would have stored none: the post was then seen unchanged, and
its last sighting is at least that fetch. Only posts at one path are joined: posts whose
titles match (which the crawl's "same blog" note counts too) stay two posts. The posts
table's triggers keep the full-text indexes and the search statistics' change log in step
with the rows removed and rewritten.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from archive.ingest import POST_COLUMNS, complete_previous, utc_now
from archive.site_match import archived_sites, moved_site, one_site
from archive.store import Archive, ArchiveError
from crawler.discover.urls import BadURL, site_root

# The columns a post's row takes from the post whose version is the newest (its content and
# what the crawls learnt of it); site, first and last seen and version count are the join's.
_CONTENT = tuple(c for c in POST_COLUMNS
                 if c not in ("site_id", "last_seen", "version", "recorded_at"))
_LINKED = ("post_tags", "post_categories", "images", "attachments")


class MergeError(ValueError):
    """The two sites cannot be merged: the same site, one not archived, or given the wrong way
    round."""


@dataclass
class MergeResult:
    """What a merge did: `site`, the archived site kept (its root URL, which its runs are
    filed under); `merged`, the site merged into it; `address`, where its posts now are;
    `joined`, posts archived under both sites at one path, now one post; `moved`, the merged
    site's other posts, now the site's; `readdressed`, the site's other posts, now at the
    address; `versions`, the versions of the joined posts; `unchanged`, their versions left
    out as identical to the version before them; `runs`, the merged site's runs."""

    site: str
    merged: str
    address: str
    joined: int = 0
    moved: int = 0
    readdressed: int = 0
    versions: int = 0
    unchanged: int = 0
    runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def merge_sites(archive: Archive, old: str, new: str) -> MergeResult:
    """Merge the archived site `new` names (the blog's address now) into the one `old` names
    (its address before), each a URL, host or name as --site takes them. MergeError when both
    name one site, or when nothing of `old`'s was archived before `new`'s posts were last seen
    (the two given the wrong way round); NoSuchSite or SeveralSites (ValueErrors) when one
    names none or several; ArchiveError for an archive opened read-only, or while either site
    is being crawled."""
    from archive.schedule.locks import LockBusy, SiteLock, lock_path

    sites = archived_sites(archive.conn)
    kept = one_site(sites, moved_site(archive.conn, old))["site"]
    merged = one_site(sites, moved_site(archive.conn, new))["site"]
    if kept == merged:
        raise MergeError(f"{old.strip()} and {new.strip()} are one archived site already "
                         f"({kept})")
    _check_order(archive.conn, kept, merged)
    archive.ensure_writable()
    now = datetime.now(UTC)
    locks: list[SiteLock] = []
    try:
        for root in (kept, merged):  # no crawl of either may write while they are joined
            locks.append(SiteLock.acquire(lock_path(archive.path, root), site=root, now=now))
        with archive.transaction() as conn:
            return _merge(conn, kept, merged)
    except LockBusy as exc:
        raise ArchiveError(f"cannot merge {merged} into {kept} now: {exc}") from None
    finally:
        for lock in locks:
            lock.release()


def _check_order(conn: sqlite3.Connection, kept: str, merged: str) -> None:
    """MergeError when the site given as the old address was first archived only after the
    one given as the new address was last seen there: the blog left `merged` for `kept`. Merged
    that way round, every post took its URL at the address the blog left, and the next crawl
    of its address now stored each post again as new (the site's posts twice, as before)."""
    first = conn.execute(
        "SELECT min(v.fetched_at) FROM post_versions v JOIN posts p ON p.id = v.post_id "
        "JOIN sites s ON s.id = p.site_id WHERE s.url = ?", (kept,)).fetchone()[0]
    last = conn.execute("SELECT max(p.last_seen) FROM posts p JOIN sites s ON s.id = p.site_id "
                        "WHERE s.url = ?", (merged,)).fetchone()[0]
    if first is None or last is None or _instant(first) < _instant(last):
        return
    raise MergeError(
        f"{merged}'s posts were last seen ({_minute(last)}) before any of {kept}'s was "
        f"archived ({_minute(first)}): the blog moved from {merged} to {kept}? The address it "
        f"left comes first: wixarchive sites merge {merged} {kept}")


def _minute(stamp: str) -> str:
    return stamp[:16].replace("T", " ")


def _instant(stamp: str) -> datetime:
    """An archived ISO 8601 time, comparable whatever its offset (a naive one is UTC)."""
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _path(url: str) -> str:
    """A post URL's path under its site's root (`post/slug`), what one blog keeps when it
    moves host."""
    try:
        return url[len(site_root(url)):]
    except BadURL:
        return url


def _merge(conn: sqlite3.Connection, kept: str, merged: str) -> MergeResult:
    kept_id, merged_id = (conn.execute("SELECT id FROM sites WHERE url = ?", (url,)).fetchone()[0]
                          for url in (kept, merged))
    address = _address(conn, merged_id, merged)
    result = MergeResult(site=kept, merged=merged, address=address)
    recorded = utc_now()
    at_address = {_path(url): post_id for post_id, url in conn.execute(
        "SELECT id, url FROM posts WHERE site_id = ?", (merged_id,))}
    joined = set()
    for post_id, url in conn.execute("SELECT id, url FROM posts WHERE site_id = ?",
                                     (kept_id,)).fetchall():
        path = _path(url)
        if path and (twin := at_address.get(path)) is not None and twin not in joined:
            versions, unchanged = _join(conn, post_id, twin, address + path, kept_id, recorded)
            result.versions += versions
            result.unchanged += unchanged
            joined.add(twin)
            result.joined += 1
        elif path and not url.startswith(address):
            # Not at the address yet: the next crawl there finds it, or marks it deleted.
            result.readdressed += conn.execute(
                "UPDATE posts SET url = ?, recorded_at = ? WHERE id = ? AND NOT EXISTS "
                "(SELECT 1 FROM posts WHERE url = ?)",
                (address + path, recorded, post_id, address + path)).rowcount
    result.moved = conn.execute(
        "UPDATE posts SET site_id = ?, recorded_at = ? WHERE site_id = ?",
        (kept_id, recorded, merged_id)).rowcount
    result.runs = conn.execute("UPDATE crawl_runs SET site_id = ? WHERE site_id = ?",
                               (kept_id, merged_id)).rowcount
    name, last_crawled = conn.execute("SELECT name, last_crawled FROM sites WHERE id = ?",
                                      (merged_id,)).fetchone()
    conn.execute("UPDATE sites SET name = coalesce(name, ?), last_crawled = max(coalesce("
                 "last_crawled, ?), coalesce(?, last_crawled)) WHERE id = ?",
                 (name, last_crawled, last_crawled, kept_id))
    conn.execute("DELETE FROM sites WHERE id = ?", (merged_id,))
    return result


def _address(conn: sqlite3.Connection, merged_id: int, merged: str) -> str:
    """Where the merged site's posts are now: the root of its post seen last, which a crawl
    that followed its address's redirect archived at the host it moved on to (crawls of that
    host continue it, site_match.moved_here); its own root when it holds none."""
    row = conn.execute("SELECT url FROM posts WHERE site_id = ? ORDER BY last_seen DESC, id DESC "
                       "LIMIT 1", (merged_id,)).fetchone()
    try:
        return site_root(row[0]) if row else merged
    except BadURL:
        return merged


def _join(conn: sqlite3.Connection, kept_post: int, merged_post: int, url: str, site_id: int,
          recorded: str) -> tuple[int, int]:
    """One post of two archived at one path: its versions in time order, less those identical
    to the version before them, its row the newest version's, kept under the larger id.
    Returns how many versions it has, and how many were left out."""
    newest = conn.execute(
        "SELECT p.id, p.version FROM posts p JOIN post_versions v ON v.post_id = p.id AND "
        "v.version = p.version WHERE p.id IN (?, ?) ORDER BY v.fetched_at DESC, p.id = ? DESC "
        "LIMIT 1", (kept_post, merged_post, merged_post)).fetchone()
    newest_id, current = newest if newest else (merged_post, None)
    older_id = kept_post if newest_id == merged_post else merged_post
    survivor = max(kept_post, merged_post)
    gone = min(kept_post, merged_post)
    complete_previous(conn, [older_id])  # its current version: no longer the posts row's
    if survivor != newest_id:
        columns = ", ".join(_CONTENT)
        conn.execute(f"UPDATE posts SET ({columns}) = (SELECT {columns} FROM posts "
                     "WHERE id = ?) WHERE id = ?", (newest_id, survivor))
        for table in _LINKED:
            conn.execute(f"DELETE FROM {table} WHERE post_id = ?", (survivor,))
            conn.execute(f"UPDATE {table} SET post_id = ? WHERE post_id = ?",
                         (survivor, newest_id))
    first_seen, last_seen = conn.execute(
        "SELECT min(first_seen), max(last_seen) FROM posts WHERE id IN (?, ?)",
        (kept_post, merged_post)).fetchone()
    # In time order, the row's version last whatever the dates say (an import's version can
    # be dated before an earlier one): its record is the one whose texts the row holds.
    ordered = conn.execute(
        "SELECT id, content_hash, fetched_at FROM post_versions WHERE post_id IN (?, ?) "
        "ORDER BY post_id = ? AND version = ?, fetched_at, post_id = ?, version",
        (kept_post, merged_post, newest_id, current, newest_id)).fetchall()
    # The post fetched unchanged at the other address: that fetch was a sighting, not a version.
    # The version kept has its record whole (complete_previous, or not the row's version).
    repeated = [(version_id, fetched_at) for before, (version_id, digest, fetched_at)
                in pairwise(ordered) if digest == before[1]]
    conn.executemany("DELETE FROM post_versions WHERE id = ?",
                     [(version_id,) for version_id, _ in repeated])
    left_out = {version_id for version_id, _ in repeated}
    versions = [version_id for version_id, _, _ in ordered if version_id not in left_out]
    last_seen = max((stamp for stamp in (last_seen, *(at for _, at in repeated)) if stamp),
                    key=_instant, default=last_seen)
    # Numbered apart first: (post_id, version) is unique while both posts' are renumbered.
    conn.executemany("UPDATE post_versions SET post_id = ?, version = ? WHERE id = ?",
                     [(survivor, -number, version_id)
                      for number, version_id in enumerate(versions, start=1)])
    conn.execute("UPDATE post_versions SET version = -version WHERE post_id = ?", (survivor,))
    for table in _LINKED:
        conn.execute(f"DELETE FROM {table} WHERE post_id = ?", (gone,))
    conn.execute("DELETE FROM posts WHERE id = ?", (gone,))
    conn.execute("UPDATE posts SET url = ?, site_id = ?, first_seen = ?, last_seen = ?, "
                 "version = ?, recorded_at = ? WHERE id = ?",
                 (url, site_id, first_seen, last_seen, len(versions), recorded, survivor))
    return len(versions), len(repeated)

