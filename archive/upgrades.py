"""Upgrading an archive written by an older wixarchive (archive/schema.py migrates it): the line
that says so, since an upgraded archive can no longer be opened by the version that wrote it,
the line before one that takes minutes, and the refusal to upgrade one that a crawl of that
older version is writing.
See docs/operations.md, "Upgrading"."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

from archive import schema
from archive.processes import process_alive

# The schema from which each crawl run records its process (host and pid).
RUNS_NAME_THEIR_PROCESS = 9
# The schemas whose upgrade makes the search indexes again from every post (v22, v24: an archive
# from before v22 has them made twice), the last of them, and from how many posts that is worth
# a word before it starts. Each took 0.7-1.0 s of CPU per 10,000 posts of 1,600 characters and
# 2.0 s per 10,000 of 3,700 (~600 words), on the 2-core machine (docs/benchmarks.md, "Upgrading
# to schema v22", "... v24"); a little more for the writes, and a busy machine's share of its
# cores.
INDEX_REMAKES = (22, 24)
INDEXES_MADE_AGAIN = INDEX_REMAKES[-1]
LONG_UPGRADE_POSTS = 100_000
SECONDS_PER_10K_POSTS = 3.0


def before(path: Path, from_version: int, posts: int) -> list[str]:
    """What to tell the user before upgrading `path`, holding `posts` posts, from schema
    `from_version`, when that takes long enough to look stuck: a line saying why and how long,
    else nothing."""
    remakes = sum(from_version < remade for remade in INDEX_REMAKES)
    if not remakes or posts < LONG_UPGRADE_POSTS:
        return []
    minutes = max(1, round(remakes * posts / 10_000 * SECONDS_PER_10K_POSTS / 60))
    return [f"Upgrading {path} from schema v{from_version} to v{schema.SCHEMA_VERSION}: its "
            f"search indexes are made again from its {posts:,} posts, which takes about "
            f"{minutes} minute{'s' if minutes > 1 else ''} (stopped, it leaves the archive as "
            "it was)"]


def notices(path: Path, from_version: int) -> list[str]:
    """What to tell the user once `path` has been upgraded from schema `from_version`: one
    line, and a second one when the job folder of older versions stands beside it."""
    lines = [f"Upgraded {path} from schema v{from_version} to v{schema.SCHEMA_VERSION}: "
             f"wixarchive versions writing an older schema (`wixarchive --version` names it) can "
             "no longer open it; to go back to one, restore a copy made before the upgrade "
             "(docs/operations.md, Upgrading)"]
    jobs = Path(f"{path}.jobs")
    if jobs.is_dir():
        # Older versions kept Scrapy's JOBDIR there (requests.queue, requests.seen); crawls now
        # resume from the archive itself. Left for the user to delete: it is theirs.
        lines.append(f"{jobs}/ (the crawl state of older wixarchive versions) is no longer used "
                     "and may be deleted")
    return lines


def running_crawl(path: Path, conn: sqlite3.Connection, version: int) -> str | None:
    """The crawl of this host writing the archive at `path` (of schema `version`), in a few
    words, or None. An upgrade under it would make its next write fail ("written by a newer
    wixarchive"). Every version's `crawl`, `run-due` and `schedule` hold a site lock in
    `path`.locks/ for the whole crawl; from v9 a `running` run names its process too. This
    process's own locks do not count: it upgrades before it crawls."""
    from archive.schedule.locks import Holder, is_locked, lock_dir

    try:
        lock_files = sorted(lock_dir(path).glob("*.lock"))
    except OSError:
        lock_files = []
    for lock_file in lock_files:
        if not is_locked(lock_file):
            continue
        try:
            holder = Holder.parse(lock_file.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            holder = None
        if holder is None:
            return f"its lock {lock_file} is held"
        if os.getpid() not in (holder.pid, holder.crawler_pid):
            pid = holder.crawler_pid or holder.pid
            site = f"of {holder.site} " if holder.site else ""
            return f"the crawl {site}by pid {pid} on {holder.host}, since {holder.started_at}"
    if version >= RUNS_NAME_THEIR_PROCESS:
        return _running_run(conn)
    return None


def _running_run(conn: sqlite3.Connection) -> str | None:
    """A run marked `running` whose process, on this host, is alive (not this process)."""
    rows = conn.execute(
        "SELECT s.url, r.pid, r.started_at FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
        "WHERE r.status = 'running' AND r.host = ? AND r.pid IS NOT NULL AND r.pid != ?",
        (socket.gethostname(), os.getpid())).fetchall()
    for site, pid, started_at in rows:
        if process_alive(pid, started_at):
            return f"the crawl of {site} by pid {pid}, since {started_at}"
    return None
