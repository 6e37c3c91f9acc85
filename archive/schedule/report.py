"""The crawl runs as `wixarchive runs` prints them and `wixarchive.runs()` returns them: each run
with its shown status, duration and counts; and the sites whose last runs failed (`--failing`,
`wixarchive.failing_sites()`)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.schedule.due import history_key, parse_time
from archive.schedule.locks import shown_status
from archive.schedule.runner import read_history

if TYPE_CHECKING:
    from archive.schedule.sites import Site
    from archive.store import Archive

COUNT_KEYS = ("pages", "new", "changed", "unchanged", "recaptured", "deleted", "failed",
              "not_posts", "robots_skipped")
# Every key of run_row, in its order (the JSON and CSV outputs carry the same fields).
COLUMNS = ["id", "site", "status", "started_at", "finished_at", "seconds", *COUNT_KEYS,
           "first_error"]
FAILING_COLUMNS = ["site", "failures_in_a_row", "last_ok", "first_error"]


def scheduled_sites(path: Path) -> tuple[list[Site] | None, str | None]:
    """The sites of the sites file at `path` (None when there is none), and why a broken one
    is not used ("warning: ...; every archived site counted"), for failing_sites."""
    from archive.schedule import sites as sites_file

    if not path.exists():
        return None, None
    try:
        return sites_file.load(path), None
    except sites_file.SitesError as exc:
        return None, f"warning: {exc}; every archived site counted"


def site_aliases(scheduled: list[Site] | None) -> dict[str, str]:
    """The sites file's names of its sites (lower-case) -> their root URLs: a `--site` of
    `runs` takes them, as `run-due --site NAME` does."""
    return {s.name.lower(): s.root for s in scheduled or () if s.name}


def run_row(run: dict[str, Any], db: Path) -> dict[str, Any]:
    """A run of `Archive.runs` as `runs` shows it: `killed` when its process died without
    closing it (shown_status), its length in seconds, its counts flattened, its first error."""
    status = shown_status(db, run["site"], run["status"])
    seconds = None
    if run.get("finished_at"):
        elapsed = parse_time(run["finished_at"]) - parse_time(run["started_at"])
        seconds = round(elapsed.total_seconds())
    counts = run.get("counts") or {}
    return {"id": run["id"], "site": run["site"], "status": status,
            "started_at": run["started_at"], "finished_at": run.get("finished_at"),
            "seconds": seconds, **{k: counts.get(k, 0) for k in COUNT_KEYS},
            "first_error": (run.get("errors") or [None])[0]}


def close_dead_runs(archive: Archive) -> int:
    """Close the runs left `running` by a crawl process that is gone (killed, crashed) as
    interrupted (Archive.close_dead_runs), as far as the archive lets: not when it is read-only
    (opened so, or the file is), nor while another process keeps it locked past the busy
    timeout (they are shown `killed` meanwhile: run_row), nor when the rows it reads are
    damaged (the reading that follows says so); how many were closed. Looking at the runs is
    worth no more: `wixarchive runs`, wixarchive.runs() and failing_sites() call it first."""
    from archive.store import ArchiveError, is_writable

    if archive.readonly or not is_writable(archive.path):
        return 0
    try:
        return archive.close_dead_runs()
    except (ArchiveError, sqlite3.DatabaseError):
        return 0


def recent_runs(archive: Archive, *, limit: int,
                wanted: set[str] | None = None) -> list[dict[str, Any]]:
    """The `limit` newest runs (of the sites whose root URL is in `wanted`), newest first.
    ArchiveError (ArchiveBusy when only busy) for runs that cannot be read."""
    from archive.search.query import MAX_ROWS
    from archive.store import archive_error

    try:
        # A limit past SQLite's 64-bit integers (`runs --limit 1e30` typed as digits) failed
        # to bind with OverflowError's traceback; no archive holds MAX_ROWS runs.
        runs = archive.runs(min(limit, MAX_ROWS),
                            sites=None if wanted is None else sorted(wanted))
        return [run_row(r, archive.path) for r in runs]
    except sqlite3.DatabaseError as exc:
        raise archive_error(exc) from exc


def failing_sites(db: Path, *, scheduled: list[Site] | None,
                  wanted: set[str] | None = None) -> list[dict[str, Any]]:
    """The sites whose last runs failed or timed out, the longest streak first: those of
    `wanted` (root URLs) when given, else those `scheduled` (a sites file's) when there is a
    sites file, else every archived site. A site removed from the sites file (or mistyped in
    it) must not stay failing forever. ArchiveError (ArchiveBusy when only busy) for runs that
    cannot be read."""
    from archive.store import archive_error

    roots = wanted if wanted is not None else [s.root for s in scheduled or ()]
    try:
        history = read_history(db, roots)
    except sqlite3.DatabaseError as exc:
        raise archive_error(exc) from exc
    # The history holds the runs of each site's spellings together (history_key): a site
    # scheduled as https whose runs are archived under http counts them. A scheduled site is
    # named as the sites file spells it, another as its newest run was recorded.
    named = {history_key(s.root): s.root for s in scheduled or ()}
    counted = {history_key(site) for site in wanted} if wanted is not None else (
        set(named) if scheduled is not None else None)
    streaks = sorted(((named.get(key, h.last["site"] if h.last else key), h)
                      for key, h in history.items()
                      if h.failures and (counted is None or key in counted)),
                     key=lambda item: -item[1].failures)
    return [{"site": site, "failures_in_a_row": h.failures, "last_ok": h.last_ok,
             "first_error": h.last_error} for site, h in streaks]


def scheduled_rows(db: Path, sites: list[Site], now: datetime) -> list[dict[str, Any]]:
    """Each site of a sites file as `sites list --json` prints it: its schedule, labels,
    overrides, last run, failure streak and when it is next due."""
    from archive.schedule.due import when_due

    history = read_history(db, [s.root for s in sites])
    rows = []
    for site in sites:
        past = history.get(history_key(site.root))
        due = when_due(site.schedule, past)
        last = past.last if past else None
        rows.append({
            "url": site.url, "site": site.root, "name": site.name,
            "schedule": site.schedule.describe(), "labels": list(site.labels),
            "politeness": site.politeness, "media": site.media,
            "timeout": int(site.timeout.total_seconds()),
            "last_run": last["started_at"] if last else None,
            "last_status": last["status"] if last else None,
            "failures_in_a_row": past.failures if past else 0,
            "next_due": due.at.isoformat(timespec="seconds") if due.at else None,
            "due_now": due.is_due(now),
        })
    return rows
