"""`wixarchive sites forget SITE`: an archived site that holds no posts, removed from the archive.

Every crawl of an address makes it a site of the archive, even one that never answered (a
typo, a blog taken down): a site row with its failed runs, listed by `stats`, `serve` and every
export's count of sites. Forgetting removes that row and its runs, and nothing else. A site
that holds a post (deleted ones too) is refused: its posts are the archive's record, and a
command that could drop them by mistake would be worse than a row too many. A site the sites
file lists is refused too: `run-due` reads its runs for when it is due next and how long it has
been failing, so it is removed from the file first (`sites remove`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.site_match import archived_sites, one_site, site_key
from archive.store import Archive, ArchiveError


class ForgetError(ValueError):
    """The site cannot be forgotten: it holds posts, or the sites file lists it."""


@dataclass
class ForgetResult:
    """What forgetting did: `site`, the root URL of the site removed; `runs`, its crawl runs
    removed with it."""

    site: str
    runs: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def forget_site(archive: Archive, site: str, *, sites_path: Path | None = None) -> ForgetResult:
    """Remove the archived site `site` names (a URL, host or name, as --site takes them) and
    its runs, when it holds no post and the sites file at `sites_path` does not list it.
    ForgetError when it holds posts or is listed; NoSuchSite or SeveralSites (ValueErrors)
    when `site` names none or several; ArchiveError for an archive opened read-only, or while
    the site is being crawled."""
    from archive.schedule import sites as sites_file
    from archive.schedule.locks import LockBusy, SiteLock, lock_path

    root = one_site(archived_sites(archive.conn), site)["site"]
    _refuse_with_posts(archive, root)
    if sites_path is not None and sites_path.exists():
        listed = next((entry.url for entry in sites_file.load(sites_path)
                       if site_key(entry.root) == site_key(root)), None)
        if listed is not None:
            raise ForgetError(f"{root} is in the sites file ({sites_path}), and run-due reads "
                              f"its runs: remove it first (wixarchive sites remove {listed})")
    archive.ensure_writable()
    try:
        lock = SiteLock.acquire(lock_path(archive.path, root), site=root, now=datetime.now(UTC))
    except LockBusy as exc:
        raise ArchiveError(f"cannot forget {root} now: {exc}") from None
    try:
        with archive.transaction() as conn:
            _refuse_with_posts(archive, root)  # none came in before the lock was held
            site_id = conn.execute("SELECT id FROM sites WHERE url = ?", (root,)).fetchone()[0]
            runs = conn.execute("DELETE FROM crawl_runs WHERE site_id = ?", (site_id,)).rowcount
            conn.execute("DELETE FROM sites WHERE id = ?", (site_id,))
            return ForgetResult(site=root, runs=runs)
    finally:
        lock.release()


def holds_nothing(archive: Archive, root: str) -> bool:
    """Whether the archived site at root URL `root` holds nothing a forget would lose (what
    `forget_site` checks, the sites file aside); False for a URL that is no archived site."""
    if not any(site["site"] == root for site in archived_sites(archive.conn)):
        return False
    try:
        _refuse_with_posts(archive, root)
    except ForgetError:
        return False
    return True


def _refuse_with_posts(archive: Archive, root: str) -> None:
    """ForgetError when the site holds a post, or a version of any post names one of its runs
    (what `runs` and the versions' provenance would lose)."""
    posts, versions = archive.conn.execute(
        "SELECT (SELECT count(*) FROM posts WHERE site_id = s.id), (SELECT count(*) FROM "
        "post_versions WHERE run_id IN (SELECT id FROM crawl_runs WHERE site_id = s.id)) "
        "FROM sites s WHERE s.url = ?", (root,)).fetchone()
    if posts:
        raise ForgetError(
            f"{root} holds {posts} archived post{'s' if posts != 1 else ''}: only a site with "
            f"none (an address that never answered, a typo) can be forgotten. Its posts stay "
            f"searchable and exportable; to stop crawling it: wixarchive sites remove {root}; "
            f"to export other sites only: wixarchive export --site SITE")
    if versions:
        raise ForgetError(f"{root} holds no post, but {versions} archived versions of other "
                          f"sites' posts were stored by its runs: it is kept")
