"""The archive file: `Archive` opens it (creating or migrating it), reads it, writes its core rows.

`Archive` writes `sites`, `crawl_runs`, the search statistics (`search_*`, archive.search_upkeep)
and an unchanged or gone post's row; posts and their versions, tags, categories, images and
attachments go through archive.ingest (Archive.save_article(s), and archive.importer and
archive.reextract directly).
Other modules write their own tables on `Archive.conn`: archive.captures (`captures`,
`capture_files`, `media`), archive.lost_captures (deletes `captures` and `capture_files` rows),
archive.reextract (`reextractions`), archive.recover (`recovered`); archive.schema holds all the
DDL. docs/architecture.md ("Who writes which tables") lists them, and the modules outside this
one that open transactions on `Archive.conn`.

One SQLite file in WAL mode, so searches read while a crawl writes; every write runs in a
`BEGIN IMMEDIATE` transaction and waits (busy timeout) rather than failing when another writer
holds the lock. Errors reach callers as `ArchiveError`, a one-line message fit for a user.

archive.connection opens the file (what is refused, the connection, the schema created or
upgraded) and defines the errors; archive.search_upkeep checks and rebuilds the full-text
indexes and computes the search statistics. Archive runs both on its connection.

Only the standard library is imported here: the search command opens archives through this module
and must start fast (sqlite-utils alone costs ~120 ms of import time).
"""

from __future__ import annotations

import json
import operator
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast
from urllib.parse import unquote, urlsplit

from archive import schema, search_upkeep, upgrades
from archive.chunked import CHUNK, in_chunks
from archive.connection import BUSY_RETRY_MS, ArchiveError, archive_error, is_busy, open_connection

# Re-exported: the rest of the project and its users import these from archive.store.
from archive.connection import BUSY_TIMEOUT_MS as BUSY_TIMEOUT_MS
from archive.connection import ArchiveBusy as ArchiveBusy
from archive.connection import ArchiveDiskFull as ArchiveDiskFull
from archive.connection import ArchiveOutdated as ArchiveOutdated
from archive.connection import ArchiveSettingError as ArchiveSettingError
from archive.connection import is_writable as is_writable
from archive.connection import on_read_only_media as on_read_only_media
from archive.connection import read_only_uri as read_only_uri
from archive.connection import reads_as_immutable as reads_as_immutable
from archive.history import version_id
from archive.ingest import TEXT_FIELDS, Fetch, full_record, save_batch, utc_now
from archive.iri import uri
from archive.processes import process_alive
from archive.search.names import name_case
from archive.site_match import archived_root, url_twins
from archive.versions import RECOVERABLE_SOURCES, recovered_captures
from crawler.discover.urls import (
    SiteRoots,
    blog_move_key,
    new_blog_slug,
    normalize_url,
    site_root,
)

if TYPE_CHECKING:
    import sqlite_utils

    from crawler.extract.record import Article

# Run statuses of a crawl stopped before its end (at its time limit too, or its process died
# while `running`): the next crawl of the site resumes it (Archive.resumed_since).
CUT_SHORT = ("interrupted", "timeout", "running")


# A post's row with its site's URL and name: what `Archive.post` reads.
_POST_ROW = ("SELECT p.*, s.url AS site, s.name AS site_name FROM posts p "
             "JOIN sites s ON s.id = p.site_id")


class KnownPost(NamedTuple):
    """What an incremental crawl needs to decide whether to re-fetch a post."""

    lastmod: str | None
    etag: str | None
    http_last_modified: str | None
    content_hash: str
    deleted_at: str | None
    last_seen: str | None = None  # when the post was last fetched or confirmed unchanged

    def conditional_headers(self) -> dict[str, str]:
        """The headers that ask for this post again conditionally: an unchanged post then
        costs a 304 with no body."""
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.http_last_modified:
            headers["If-Modified-Since"] = self.http_last_modified
        return headers


class SlugMatches(NamedTuple):
    """The posts a slug may name (Archive.posts_by_slug): (id, URL, title) of the first of
    them, by URL; how many in all; whether their URLs end in the slug (else: hold it)."""

    posts: list[tuple[int, str, str | None]]
    total: int
    exact: bool


# Where a post URL's path starts (its first `/` past the scheme's `//`), in SQL.
_PATH = "substr(url, instr(substr(url, 9), '/') + 8)"


def post_request_headers(known: KnownPost | None, *, in_full: bool) -> dict[str, str]:
    """The headers a crawl asks for a post page with (one rule for the spider, the Redis
    workers and writer): conditional ones for a post archived and not deleted, unless it is
    fetched in full (`in_full`: --refetch, or its capture lost, which a 304 would not mend);
    none otherwise."""
    if known is None or known.deleted_at is not None or in_full:
        return {}
    return known.conditional_headers()


def unlisted_posts(known: dict[str, KnownPost], listed: set[str]) -> list[str]:
    """The archived posts not marked deleted that no sitemap, feed or listing page listed this
    time: a crawl asks for each again and marks deleted only those answering 404 or 410."""
    return [url for url, post in known.items() if post.deleted_at is None and url not in listed]


def _normalized(url: str) -> str | None:
    """`url` as a crawl archives it (normalize_url); None for no URL at all (`http://[bad`)."""
    try:
        return normalize_url(url)
    except ValueError:
        return None


def _stored_forms(url: str) -> list[str]:
    """The URLs a post named `url` may be archived at: `url`, then as `show` and `search` print
    it when typed with a slug decoded (uri), then as a crawl archives it (normalize_url)."""
    return [form for form in (url, uri(url.rstrip("/")), _normalized(url)) if form]


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A crawl_runs row (with its site's URL as `site`), its counts and errors decoded."""
    run = dict(row)
    run["counts"] = json.loads(run["counts"])
    run["errors"] = json.loads(run["errors"])
    return run


class _RunSite(NamedTuple):
    """A crawl run's site as its open transaction knows it (Archive._run_sites)."""

    url: str
    site_id: int
    name: str | None


M = TypeVar("M", bound=Callable[..., Any])


def _one_thread_at_a_time(method: M) -> M:
    """`method`, run holding its Archive's lock (see Archive.lock)."""
    @wraps(method)
    def locked(self: Archive, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)
    return cast(M, locked)


class Archive:
    """An open archive. Use as a context manager, or call close()."""

    def __init__(self, conn: sqlite3.Connection, path: Path, *, readonly: bool) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.readonly = readonly
        # Held while a thread reads through the connection (the API's functions, post,
        # versions, stats, check): one Archive shared by threads hung, one thread's
        # statement calling a Python SQL function while another held the GIL waiting for
        # SQLite's connection mutex. Shared, it serves one thread at a time.
        self.lock = threading.RLock()
        self._depth = 0
        self._db: sqlite_utils.Database | None = None
        # Per crawl run, its site's (id, name) as this connection's open transaction wrote or
        # read them (see _site_id_for_run); forgotten when the transaction ends or any of its
        # writes are rolled back, so it never names a row another transaction may change.
        self._run_sites: dict[int, _RunSite] = {}
        self._post_fields: list[str] | None = None  # post_fields(), read once

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False,
             create: bool = True, upgrade: bool = True,
             importing: Iterable[Path] = ()) -> Archive:
        """Open (creating if allowed, upgrading if older) the archive at `path`. An upgrade
        says so in one line on stderr (upgrades.notices): older versions can no longer open it.

        readonly=True opens with mode=ro and never writes: an older archive is read as it is
        (from schema.READABLE_FROM; an older one still raises ArchiveOutdated). upgrade=False
        opens for writing only an archive of the current schema: an older one raises
        ArchiveOutdated, for a command whose writing is no reason to upgrade.
        A new archive is refused while its captures folder holds WARC files (a deleted
        archive's) other than `importing`, the files an import reads.
        """
        path = Path(path)
        if (too_old := schema.sqlite_problem()) is not None:
            raise ArchiveError(too_old)
        conn = open_connection(path, readonly=readonly, create=create, upgrade=upgrade,
                               importing=importing)
        return cls(conn, path, readonly=readonly)

    @property
    def conn(self) -> sqlite3.Connection:
        """The archive's SQLite connection; ArchiveError once the archive is closed (a search
        after its `with` block said only sqlite3's "Cannot operate on a closed database")."""
        if self._conn is None:
            raise ArchiveError(f"the archive {self.path} was closed: open it again "
                               "(wixarchive.open), or use it inside its with block")
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite_utils.Database:
        """The archive as a sqlite_utils.Database on this connection, for everything sqlite-utils
        does (tables, rows, queries, CSV/JSON). Imported on first use (~120 ms): the search
        command never pays for it. Write only tables the archive does not own: Archive's
        methods keep posts, versions and the search index consistent."""
        if self._db is None:
            import sqlite_utils

            # recursive_triggers stays off, as the archive's own connection has it.
            self._db = sqlite_utils.Database(self.conn, recursive_triggers=False)
        return self._db

    @property
    def schema_version(self) -> int:
        return schema.current_version(self.conn)

    def wait_briefly(self) -> None:
        """From now on, wait BUSY_RETRY_MS at most for another writer, not the busy timeout: for a
        crawl run that already waited the whole timeout once (another process holds the
        archive), so that each of its later writes does not wait that long again."""
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_RETRY_MS}")

    # -- transactions ----------------------------------------------------------------------------

    def ensure_writable(self) -> None:
        """ArchiveError when the archive was opened read-only: called by what writes beside
        the database first (capture files, a recover's spool), before it writes anything."""
        if self.readonly:
            raise ArchiveError(f"{self.path} was opened read-only")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested uses join the outer one (batch many saves in one)."""
        self.ensure_writable()
        outer = self._depth == 0
        try:
            if outer:
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            if outer:
                self._run_sites.clear()
                self.conn.execute("COMMIT")
        except BaseException as exc:
            self._run_sites.clear()
            if outer and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise archive_error(exc) from exc
            raise

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: if the block fails, only its own writes are undone."""
        if self._depth == 0:
            raise ArchiveError("a savepoint needs an open transaction")
        self.conn.execute("SAVEPOINT item")
        try:
            yield
        except BaseException:
            self._run_sites.clear()  # a site row or name written under it may be undone
            # SQLite may have ended the whole transaction itself (disk full, I/O error): then
            # there is nothing to roll back to, and the caller sees in_transaction is false.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO item")
                self.conn.execute("RELEASE item")
            raise
        self.conn.execute("RELEASE item")

    # -- sites and runs --------------------------------------------------------------------------

    def _site_id(self, url: str, name: str | None, now: str) -> int:
        return self._site(url, name, now)[0]

    def _site(self, url: str, name: str | None, now: str) -> tuple[int, str | None]:
        """The id of the site `url` belongs to, added if new, and its name, set to `name` if
        given."""
        root = archived_root(self.conn, url)  # www.example.com is the example.com archived
        row = self.conn.execute("SELECT id, name FROM sites WHERE url = ?", (root,)).fetchone()
        if row is None:
            cur = self.conn.execute(
                "INSERT INTO sites (url, name, first_seen) VALUES (?, ?, ?)", (root, name, now))
            return cur.lastrowid, name
        if name and row["name"] != name:
            self._rename_site(row["id"], name)
            return row["id"], name
        return row["id"], row["name"]

    def _rename_site(self, site_id: int, name: str) -> None:
        self.conn.execute("UPDATE sites SET name = ? WHERE id = ?", (name, site_id))

    def start_run(self, site_url: str, *, started_at: str | None = None,
                  pid: int | None = None) -> int:
        """A `running` row for a crawl by process `pid` (default: this one) on this host."""
        started_at = started_at or utc_now()
        with self.transaction():
            site_id = self._site_id(site_url, None, started_at)
            cur = self.conn.execute(
                "INSERT INTO crawl_runs (site_id, started_at, host, pid) VALUES (?, ?, ?, ?)",
                (site_id, started_at, socket.gethostname(), pid or os.getpid()))
            return cur.lastrowid

    def run_of_crawl(self, site_url: str, *, started_at: str, pid: int) -> int:
        """The run of the crawl by process `pid` of this host that started at `started_at`,
        created if it has no row yet (its start found the archive busy). Idempotent: a worker
        replaying pages after a crash finds the row an earlier batch committed."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT r.id FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
                "WHERE s.url = ? AND r.started_at = ? AND r.host = ? AND r.pid = ?",
                (archived_root(self.conn, site_url), started_at, socket.gethostname(),
                 pid)).fetchone()
            return row[0] if row else self.start_run(site_url, started_at=started_at, pid=pid)

    def add_run_counts(self, run_id: int, counts: dict[str, int], *,
                       interrupted_too: bool = False) -> None:
        """Add to a running run's counts (the crawl keeps them current as its batches commit,
        so a run whose process is killed still shows what it stored). `interrupted_too`: to a
        run already closed as interrupted as well (a killed Redis writer's, whose results the
        next writer stores in it, after `runs` or `check` may have closed it)."""
        with self.transaction():
            row = self.conn.execute("SELECT counts FROM crawl_runs WHERE id = ? AND (status = "
                                    "'running' OR (? AND status = 'interrupted'))",
                                    (run_id, interrupted_too)).fetchone()
            if row is None:
                return
            total = json.loads(row[0])
            for key, count in counts.items():
                total[key] = total.get(key, 0) + count
            self.conn.execute("UPDATE crawl_runs SET counts = ? WHERE id = ?",
                              (json.dumps(total, sort_keys=True), run_id))

    def note_run(self, run_id: int, note: str) -> None:
        """Keep `note` first among the errors of a run not finished yet (running, or closed as
        interrupted with its process dead), as its end would record it (a site's move:
        crawler.summary.recorded_errors): a run whose process is killed keeps it when
        close_dead_runs closes it."""
        with self.transaction():
            row = self.conn.execute("SELECT errors FROM crawl_runs WHERE id = ? AND status IN "
                                    "('running', 'interrupted')", (run_id,)).fetchone()
            if row is None:
                return
            errors = [error for error in json.loads(row[0]) if error != note]
            self.conn.execute("UPDATE crawl_runs SET errors = ? WHERE id = ?",
                              (json.dumps([note, *errors], ensure_ascii=False), run_id))

    def dead_runs(self) -> list[dict[str, Any]]:
        """Runs still marked `running` whose process is gone: its recorded pid, on this host, no
        longer exists; or, a row of a wixarchive older than schema v9 that recorded no process,
        a later run of its site has finished or no live crawl holds its site's lock (every
        crawl, old ones too, holds it to its end)."""
        rows = self.conn.execute(
            "SELECT r.id, r.site_id, r.started_at, r.host, r.pid, r.counts, r.errors, "
            "s.url AS site "
            "FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
            "WHERE r.status = 'running' AND (r.pid IS NULL OR r.host = ?)",
            (socket.gethostname(),)).fetchall()
        return [dict(row) for row in rows if (
            not process_alive(row["pid"], row["started_at"]) if row["pid"] is not None
            else self._unrecorded_run_over(row))]

    def _unrecorded_run_over(self, run: sqlite3.Row) -> bool:
        from archive.schedule.locks import is_locked, lock_path

        later_finished = self.conn.execute(
            "SELECT 1 FROM crawl_runs WHERE site_id = ? AND id > ? AND status != 'running'",
            (run["site_id"], run["id"])).fetchone()
        return bool(later_finished) or not is_locked(lock_path(self.path, run["site"]))

    def run_site(self, run_id: int) -> tuple[str, str] | None:
        """The root of the site the run `run_id` crawled and the run's status, None when the
        archive holds no such run."""
        row = self.conn.execute("SELECT s.url, r.status FROM crawl_runs r JOIN sites s "
                                "ON s.id = r.site_id WHERE r.id = ?", (run_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def close_dead_runs(self, reasons: Mapping[int, str] | None = None) -> int:
        """Close every run left `running` by a process that is gone, as `interrupted`, ended at
        its last recorded progress (last_progress), with the posts it stored counted if it
        counted none (closing_counts), and the notes it kept (note_run) before the reason.
        `reasons`: what ended some of them, by run id, when the caller knows (a Redis writer
        that gave up said so in Redis: archive.distributed_left), said instead of "killed or
        crashed"."""
        closed = 0
        for run in self.dead_runs():
            reason = (reasons or {}).get(run["id"]) or (
                f"its process (pid {run['pid']}) ended before the run was closed: killed "
                "or crashed" if run["pid"] is not None else
                "started by an older wixarchive that recorded no process; no crawl of its "
                "site holds its lock, or a later run of it finished: killed or crashed "
                "before the run was closed")
            closed += self.close_unfinished(run["id"], reason)
        return closed

    def close_unfinished(self, run_id: int, reason: str) -> int:
        """Close the run, if still `running`, as close_dead_runs does, `reason` last among its
        errors; returns 1 if it did, else 0."""
        with self.transaction():
            row = self.conn.execute("SELECT counts, errors FROM crawl_runs WHERE id = ? AND "
                                    "status = 'running'", (run_id,)).fetchone()
            if row is None:
                return 0
            return self.conn.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finished_at = ?, counts = ?, "
                "errors = ? WHERE id = ? AND status = 'running'",
                (self.last_progress(run_id),
                 json.dumps(self.closing_counts(run_id, json.loads(row["counts"])),
                            sort_keys=True),
                 json.dumps([*json.loads(row["errors"]), reason], ensure_ascii=False),
                 run_id)).rowcount

    def closing_counts(self, run_id: int, counts: dict[str, int]) -> dict[str, int]:
        """The counts a dead run is closed with: its own, or, when it counted nothing (a crawl
        of a wixarchive that counted only at its end), the versions it stored: new (a post's
        first version) and changed (a later one)."""
        if any(counts.values()):
            return counts
        new, changed = self.conn.execute(  # by its site's posts: run_id has no index
            "SELECT coalesce(sum(v.version = first), 0), coalesce(sum(v.version > first), 0) "
            "FROM (SELECT v.version, (SELECT min(version) FROM post_versions "
            "WHERE post_id = v.post_id) AS first FROM crawl_runs r "
            "JOIN posts p ON p.site_id = r.site_id "
            "JOIN post_versions v ON v.post_id = p.id AND v.run_id = r.id WHERE r.id = ?) v",
            (run_id,)).fetchone()
        return {**counts, "new": new, "changed": changed} if new or changed else counts

    def last_progress(self, run_id: int) -> str:
        """When a run (one whose process died unclosed) last recorded progress: the newest
        version it stored, or post of its site it found unchanged before the site's next run,
        else its start. What its end is taken as when it is closed: the time at which it is
        closed (a `check` days later, of a restored backup) says nothing of how long it ran."""
        from archive.schedule.due import parse_time

        site_id, started_at = self.conn.execute(
            "SELECT site_id, started_at FROM crawl_runs WHERE id = ?", (run_id,)).fetchone()
        (next_start,) = self.conn.execute(
            "SELECT min(started_at) FROM crawl_runs WHERE site_id = ? AND id > ?",
            (site_id, run_id)).fetchone()
        (stored,) = self.conn.execute(  # by the site's posts: post_versions.run_id has no index
            "SELECT max(v.fetched_at) FROM posts p JOIN post_versions v ON v.post_id = p.id "
            "WHERE p.site_id = ? AND v.run_id = ?", (site_id, run_id)).fetchone()
        (seen,) = self.conn.execute(
            "SELECT max(last_seen) FROM posts WHERE site_id = ? AND last_seen >= ? "
            "AND (? IS NULL OR last_seen < ?)",
            (site_id, started_at, next_start, next_start)).fetchone()
        return max((t for t in (started_at, stored, seen) if t), key=parse_time)

    def resumed_since(self, site_url: str) -> str | None:
        """When the site's last run started if it stopped before its end (interrupted, at its
        time limit, or its process died while `running`), else None: a new crawl resumes it."""
        row = self.conn.execute(
            "SELECT r.status, r.started_at FROM crawl_runs r JOIN sites s "
            "ON s.id = r.site_id WHERE s.url = ? ORDER BY r.id DESC LIMIT 1",
            (archived_root(self.conn, site_url),)).fetchone()
        return row["started_at"] if row and row["status"] in CUT_SHORT else None

    def finish_run(self, run_id: int, *, status: str, counts: dict[str, int], errors: list[str],
                   finished_at: str | None = None) -> None:
        finished_at = finished_at or utc_now()
        with self.transaction():
            self.conn.execute(
                "UPDATE crawl_runs SET finished_at = ?, status = ?, counts = ?, errors = ? "
                "WHERE id = ?",
                (finished_at, status, json.dumps(counts, sort_keys=True),
                 json.dumps(errors, ensure_ascii=False), run_id))
            self.conn.execute(
                "UPDATE sites SET last_crawled = ? "
                "WHERE id = (SELECT site_id FROM crawl_runs WHERE id = ?)", (finished_at, run_id))

    def runs(self, limit: int = 20, *, sites: Sequence[str] | None = None
             ) -> list[dict[str, Any]]:
        """The `limit` newest runs, newest first: of every site, or of the `sites` (root URLs)."""
        if sites is None:
            rows = self.conn.execute(
                "SELECT r.*, s.url AS site FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
                "ORDER BY r.id DESC LIMIT ?", (limit,)).fetchall()
            return [_run_dict(row) for row in rows]
        return self.latest_runs(limit, sites=sites)[:limit]

    def latest_runs(self, depth: int, *, sites: Sequence[str] | None = None
                    ) -> list[dict[str, Any]]:
        """The `depth` newest runs of each site (of the `sites`, root URLs, when given), newest
        first. Each site's are read by the index on its runs' ids (crawl_runs_site_id): what a
        site's history needs costs the same in an archive of a hundred runs or a million."""
        if sites is None:
            sites = [url for (url,) in self.conn.execute("SELECT url FROM sites")]
        rows: list[sqlite3.Row] = []
        for url in dict.fromkeys(sites):
            rows += self.conn.execute(
                "SELECT r.*, s.url AS site FROM sites s JOIN crawl_runs r ON r.site_id = s.id "
                "WHERE s.url = ? ORDER BY r.id DESC LIMIT ?", (url, depth)).fetchall()
        return [_run_dict(row) for row in sorted(rows, key=lambda row: -row["id"])]

    # -- posts -----------------------------------------------------------------------------------

    def save_article(self, article: Article, *, run_id: int | None = None,
                     fetched_at: str | None = None, lastmod: str | None = None,
                     etag: str | None = None, http_last_modified: str | None = None,
                     capture: str | None = None, recapture: bool = False,
                     moved_from: str | None = None) -> str:
        """Store one fetched post; returns 'new', 'changed', 'unchanged' or 'recaptured'.

        A version row is written only when the content hash differs from the current version's;
        a post marked deleted that is saved again is undeleted. `recapture`: fetched again
        because the current version's capture was lost; unchanged, that version then names
        `capture`, and the outcome is 'recaptured'. `moved_from`: the URL the post is archived
        at on the host its site moved from; that post takes the article's URL (Fetch).
        """
        fetch = Fetch(article, fetched_at or utc_now(), lastmod, etag, http_last_modified,
                      capture, recapture=recapture, moved_from=moved_from)
        return self.save_articles([fetch], run_id=run_id)[0]

    def save_articles(self, fetches: Iterable[Fetch | Article], *,
                      run_id: int | None = None) -> list[str]:
        """Store many posts in one transaction, as save_article would one after the other, at
        a fraction of the cost per post; returns each one's outcome, in order."""
        now = utc_now()
        batch = [f if isinstance(f, Fetch) else Fetch(f, now) for f in fetches]
        with self.transaction() as conn:
            return save_batch(conn, batch, run_id, self._site_id_for_run(run_id))

    def _site_id_for_run(self, run_id: int | None) -> Callable[[str, str | None, str], int]:
        """How a saved post finds its site: the site its crawl run is for, or without a run
        the root of its URL. A crawl follows a site that redirects to another host (example.com
        to www.example.com): its posts belong to the site asked for, as its runs do."""
        if run_id is None:
            return self._site_id
        known = self._run_sites.get(run_id)
        if known is not None:
            return partial(self._run_site_id, run_id, known.url)
        row = self.conn.execute(
            "SELECT s.url FROM crawl_runs r JOIN sites s ON s.id = r.site_id WHERE r.id = ?",
            (run_id,)).fetchone()
        return self._site_id if row is None else partial(self._run_site_id, run_id, row[0])

    def _run_site_id(self, run_id: int, run_site: str, _url: str, name: str | None,
                     now: str) -> int:
        """The id of run `run_id`'s site (root `run_site`), its name set to `name` if given.
        Looked up once a transaction: the archive worker saves a crawl's posts one call each,
        and the lookups (the run's site, its www. and scheme twins) cost ~0.2 ms of CPU a post."""
        known = self._run_sites.get(run_id)
        if known is None:
            known = self._run_sites[run_id] = _RunSite(run_site, *self._site(run_site, name, now))
        elif name and name != known.name:  # the site renamed itself: the row is known
            self._rename_site(known.site_id, name)
            self._run_sites[run_id] = known._replace(name=name)
        return known.site_id

    def touch_post(self, url: str, *, fetched_at: str, lastmod: str | None = None,
                   etag: str | None = None, http_last_modified: str | None = None) -> bool:
        """Record that a post was seen again without new content (unchanged lastmod, HTTP 304);
        one found deleted before is back, a change recorded (recorded_at)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE posts SET last_seen = ?, lastmod = coalesce(?, lastmod),"
                " etag = coalesce(?, etag), http_last_modified = coalesce(?, http_last_modified),"
                " recorded_at = CASE WHEN deleted_at IS NULL THEN recorded_at ELSE ? END,"
                " deleted_at = NULL WHERE url = ?",
                (fetched_at, lastmod, etag, http_last_modified, utc_now(), url))
            return cur.rowcount > 0

    def touch_listed(self, urls: Sequence[str], *, seen_at: str) -> None:
        """Record that posts were seen on their site, listed by its sitemap at the lastmod they
        were archived at (so not fetched): their last_seen becomes `seen_at`."""
        with self.transaction() as conn:
            conn.executemany("UPDATE posts SET last_seen = ? WHERE url = ? AND last_seen < ?",
                             ((seen_at, url, seen_at) for url in urls))

    def set_missing_lastmod(self, url: str, lastmod: str) -> None:
        """Record a post's sitemap lastmod when it was stored without one (fetched before the
        sitemap naming it was read, as a crawl through Redis may do)."""
        with self.transaction() as conn:
            conn.execute("UPDATE posts SET lastmod = ? WHERE url = ? AND lastmod IS NULL",
                         (lastmod, url))

    def mark_deleted(self, url: str, *, when: str) -> bool:
        """Flag a post that disappeared from its site; its rows and versions are kept. `when`:
        when it was found gone (an import's: its web archive's capture); recorded_at: now."""
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE posts SET deleted_at = ?, recorded_at = ? WHERE url = ? "
                "AND deleted_at IS NULL", (when, utc_now(), url))
            return cur.rowcount > 0

    def known_posts(self, site_url: str) -> dict[str, KnownPost]:
        rows = self.conn.execute(
            "SELECT p.url, p.lastmod, p.etag, p.http_last_modified, p.content_hash, p.deleted_at,"
            " p.last_seen "
            "FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url = ?",
            (archived_root(self.conn, site_url),))
        return {row["url"]: KnownPost(*tuple(row)[1:]) for row in rows}

    def held_posts(self, urls: Iterable[str]) -> set[str]:
        """The post URLs of `urls` that name an archived post, as `post` finds one (_post_id):
        at that URL, spelled in any way a crawl takes for it, or at the address its site moved
        to (a crawl followed the move). Read in bulk: the stored spellings 500 at a time, the
        canonical URLs (no index) in one scan of the posts (_canonical_among), and the posts
        of a site archived off its root once. One by one, a recover's 5,000 URLs captured only
        as 404s at a moved site of 5,000 posts took 64 ms each (2026-12-07)."""
        spellings = {url: [key, *url_twins(key)] for url in urls if (key := url.strip())}
        every = sorted({spelling for each in spellings.values() for spelling in each})
        stored = {url for (url,) in in_chunks(
            self.conn, "SELECT url FROM posts WHERE url IN ({marks})",
            sorted({form for spelling in every for form in _stored_forms(spelling)}))}
        canonical = self._canonical_among(every)
        moved: dict[str, dict[str, int]] = {}
        return {url for url, each in spellings.items()
                if any(spelling in canonical or not stored.isdisjoint(_stored_forms(spelling))
                       for spelling in each)
                or self._post_id_before_a_move(each[0], moved) is not None}

    def held_in_any_case(self, urls: Iterable[str]) -> set[str]:
        """Those of the post `urls` whose slug the archive holds a post at in some letter
        case (`/post/My-Slug`: the post archived at `/post/my-slug`): Wix's slugs are
        lower-case, the old blog's mixed-case ones moved to them case-folded. Each site's post
        URLs read once."""
        return set(self.posts_in_any_case(urls))

    def posts_in_any_case(self, urls: Iterable[str]) -> dict[str, list[str]]:
        """Of the post `urls`, each whose slug the archive holds a post at in some letter case
        (held_in_any_case), and the URLs of those posts, sorted."""
        named: dict[str, list[str]] = {}
        for url in urls:
            try:
                named.setdefault(archived_root(self.conn, url), []).append(url)
            except ValueError:  # BadURL: no site to look in
                continue
        held: dict[str, list[str]] = {}
        for root, wanted in named.items():
            keys: dict[tuple[str, str], list[str]] = {}
            for (url,) in self.conn.execute(
                    "SELECT p.url FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url = ? "
                    "ORDER BY p.url", (root,)):
                keys.setdefault(_case_key(url), []).append(url)
            held.update({url: keys[key] for url in wanted if (key := _case_key(url)) in keys})
        return held

    def _post_id(self, url_or_id: str | int) -> int | None:
        """The id of the post `url_or_id` names: its id, URL or canonical URL, or its URL as
        `show` and `search` print it (a non-Latin slug decoded), or spelled in any way a crawl
        takes for it (normalize_url: `%c3%a9`, a trailing slash, a tracking query), or with its
        site's root spelled as a twin of the archived one (site_twins: the other scheme, or
        none; its host's `www.` added or taken off); None when it names none. TypeError for
        neither a str nor an int (None, 3.5, a list: "no such post" hid the caller's mistake);
        an integer type of another library (numpy's, from a DataFrame) is an int."""
        if isinstance(url_or_id, bool) or not (
                isinstance(url_or_id, str) or hasattr(type(url_or_id), "__index__")):
            raise TypeError(f"url_or_id: expected a post's URL (a str) or id (an int), not "
                            f"{url_or_id!r}")
        key = url_or_id if isinstance(url_or_id, str) else str(operator.index(url_or_id))
        key = key.strip()
        if key.isdigit():
            # A number SQLite cannot hold, or a digit sign int() cannot read (`²`), is no id.
            if not (key.isascii() and int(key) <= MAX_ID):
                return None
            row = self.conn.execute("SELECT id FROM posts WHERE id = ?", (int(key),)).fetchone()
            return None if row is None else row[0]
        found = self._post_id_as_spelled(key)
        for twin in [] if found is not None else url_twins(key):
            found = self._post_id_as_spelled(twin)
            if found is not None:
                break
        return found if found is not None else self._post_id_before_a_move(key)

    def _canonical_among(self, urls: Sequence[str]) -> set[str]:
        """The canonical URLs of archived posts among `urls`. canonical_url has no index: each
        look-up scans the posts; past one IN list (CHUNK values) one scan reads them all, as
        a lookup per CHUNK took 6 of 7 s for 5,000 URLs (20,000 spellings) at 35,000 posts."""
        if len(urls) <= CHUNK:
            return {url for (url,) in in_chunks(
                self.conn, "SELECT canonical_url FROM posts WHERE canonical_url IN ({marks})",
                urls)}
        wanted = set(urls)
        return {url for (url,) in self.conn.execute(
            "SELECT canonical_url FROM posts WHERE canonical_url IS NOT NULL") if url in wanted}

    def _post_id_before_a_move(self, url: str,
                               moved: dict[str, dict[str, int]] | None = None) -> int | None:
        """The post `url` named before its site moved to another host: the site's archived
        address (the one its crawls are given) and the path of a post of that site now
        archived at the new host (archive.ingest._follow_moves); None when it names none.
        `moved` keeps each site's _moved_posts for the next call."""
        normalized = _normalized(url if "://" in url else f"https://{url}")
        if normalized is None:
            return None
        root = site_root(normalized)
        path = normalized[len(root):]
        if not path:
            return None
        site = archived_root(self.conn, root)
        moved = {} if moved is None else moved
        if site not in moved:
            moved[site] = self._moved_posts(site)
        found = moved[site].get(path)
        # An old blog URL (/single-post/YYYY/MM/DD/<Slug>) of a post archived at the new
        # host's /post/<slug>: the site left its old blog and its address at once.
        blog = blog_move_key(normalized)
        if found is None and blog is not None and blog[0]:
            found = moved[site].get(_NEW_BLOG_KEY + blog[1][2])
        return found

    def _moved_posts(self, site: str) -> dict[str, int]:
        """The ids of the posts of archived site `site` archived off its root (at the address
        it moved to), by their path below their own root, and those at a /post/ URL also by
        their case-folded slug after _NEW_BLOG_KEY (crawler.discover.urls.blog_move_key). A
        slug two of them share (/post/My-Slug, /post/my-slug) is left out, as old_blog_posts
        leaves it out: which of them an old blog URL was cannot be told."""
        found: dict[str, int] = {}
        by_slug: dict[str, list[int]] = {}
        for path, post_id in self._paths_off_root(site):
            found.setdefault(path, post_id)
            if (slug := new_blog_slug(path)) is not None:
                by_slug.setdefault(slug, []).append(post_id)
        found.update({_NEW_BLOG_KEY + slug: ids[0] for slug, ids in by_slug.items()
                      if len(ids) == 1})
        return found

    def _paths_off_root(self, site: str) -> Iterator[tuple[str, int]]:
        """The posts of archived site `site` archived off its root: their path below their own
        root, and their id, by id."""
        root_of = SiteRoots()
        for post_id, post_url in self.conn.execute(
                "SELECT p.id, p.url FROM posts p JOIN sites s ON s.id = p.site_id "
                "WHERE s.url = ? AND substr(p.url, 1, length(s.url)) != s.url ORDER BY p.id",
                (site,)):
            yield post_url[len(root_of(post_url)):], post_id

    def posts_an_old_blog_url_may_mean(self, url: str) -> list[int]:
        """The ids of the posts of a moved site an old blog URL of it (/single-post/…/<Slug>)
        may name: those archived at the new host's /post/<slug> in any letter case. Two or
        more cannot be told apart, and `post` finds none of them (_moved_posts)."""
        normalized = _normalized(url if "://" in url else f"https://{url}")
        blog = None if normalized is None else blog_move_key(normalized)
        if normalized is None or blog is None or not blog[0]:
            return []
        site = archived_root(self.conn, site_root(normalized))
        return [post_id for path, post_id in self._paths_off_root(site)
                if new_blog_slug(path) == blog[1][2]]

    def _post_id_as_spelled(self, url: str) -> int | None:
        sql = "SELECT id FROM posts WHERE "
        row = (self.conn.execute(sql + "url = ?", (url,)).fetchone()
               or self.conn.execute(sql + "canonical_url = ?", (url,)).fetchone())
        for form in _stored_forms(url)[1:]:
            row = row or self.conn.execute(sql + "url = ?", (form,)).fetchone()
        return None if row is None else row[0]

    def posts_by_slug(self, slug: str, limit: int = 10, *, anywhere: bool = True) -> SlugMatches:
        """The posts `slug` (the end of a post URL's path, as typed: `the-quiet-hedge`,
        `/post/café`, any case) may name: those whose URL ends in it, else those whose path
        holds it (spaces read as the slug's hyphens); the first `limit` by URL. Not `anywhere`:
        else those whose URL's last segment starts with it (an address cut short) or ends in
        it after a hyphen (`grief` of `on-grief`), through indexes where `anywhere` reads every
        post: a web page's look-up."""
        typed = slug.strip().strip("/")
        if not typed:
            return SlugMatches([], 0, exact=False)
        # As a crawl archives a path (percent-encoded), on a host no post has; as typed and
        # in lower case before it is encoded: SQL's lower() folds the ASCII letters only, and
        # an accented capital (`Über-uns`) is percent-encoded as another letter (%C3%9C).
        paths: list[str] = []
        for spelling in dict.fromkeys((typed, typed.lower())):
            normalized = _normalized(f"https://slug.invalid/{spelling}")
            path = (normalized[len("https://slug.invalid"):] if normalized
                    else f"/{spelling}").lower()
            paths += [path] if path not in paths else []
        held = [path[1:].replace("%20", "-") for path in paths]
        ends = "lower(substr(url, -length(?))) = ?"
        # Each step: its test of one spelling and the test's arguments for each spelling.
        # An archive before v29 (served by plain `datasette` before any command upgraded it,
        # or read-only) has not its indexes: their expressions for every post cost 14 times
        # these tests, so it is read as before them.
        indexed = schema.current_version(self.conn) >= schema.SLUG_INDEXES_FROM
        steps = [(f"({schema.POST_SLUG} = ? AND {ends})",
                  [(path.rsplit("/", 1)[1], path, path) for path in paths], True) if indexed
                 else (ends, [(path, path) for path in paths], True)]
        if anywhere or not indexed:
            steps.append((f"instr(lower({_PATH}), ?)", [(key,) for key in held], False))
        else:
            last = [key.rsplit("/", 1)[-1] for key in held]
            steps.append((f"({schema.POST_SLUG} >= ? AND {schema.POST_SLUG} < ?) OR "
                          f"({schema.POST_SLUG_END} = ? AND {ends})",
                          [(key, key + "\U0010ffff", key.rsplit("-", 1)[-1], "-" + key, "-" + key)
                           for key in last], False))
        for test, keys, exact in steps:
            rows = self.conn.execute(
                "SELECT id, url, title, count(*) OVER () FROM posts WHERE "
                f"{' OR '.join([test] * len(keys))} ORDER BY url LIMIT ?",
                [*(arg for key in keys for arg in key), limit]).fetchall()
            if rows:
                return SlugMatches([row[:3] for row in rows], rows[0][3], exact=exact)
        return SlugMatches([], 0, exact=False)

    @_one_thread_at_a_time
    def post(self, url_or_id: str | int) -> dict[str, Any] | None:
        """One post with its site, tags, categories and images; by id, URL or canonical URL
        (see `_post_id`); None when there is no such post."""
        post_id = self._post_id(url_or_id)
        row = None if post_id is None else self.conn.execute(
            _POST_ROW + " WHERE p.id = ?", (post_id,)).fetchone()
        if row is None:
            return None
        post = {key: row[key] for key in self.post_fields()[:-1]}
        for column in ("tags", "categories", "warnings"):
            post[column] = json.loads(post[column])
        for column in ("tags", "categories"):
            post[column] = self.archived_spellings(column, post[column])
        post["images"] = [r[0] for r in self.conn.execute(
            "SELECT url FROM images WHERE post_id = ? AND is_cover = 0 ORDER BY position",
            (post["id"],))]
        return post

    def archived_spellings(self, table: str, names: Sequence[str]) -> list[str]:
        """`names` (a post's tags or categories) spelled as the archive spells each: the first
        archived of those sharing a `name_case` key (the tags or categories row's name), as
        the exports spell them (archive/export/source.py Spellings), so a post's çay is its
        archive's Çay everywhere. A name no row holds is kept as it is."""
        keys = {name: name_case(name) for name in names}
        if not keys:
            return []
        spelled: dict[str, str] = {}
        if "key" in {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}:
            marks = ",".join("?" * len(set(keys.values())))
            spelled.update(self.conn.execute(
                f"SELECT key, name FROM {table} WHERE key IN ({marks})", list(set(keys.values()))))
        else:  # an archive from before v23 read as it is: a row per spelling, first one wins
            for (name,) in self.conn.execute(f"SELECT name FROM {table} ORDER BY id"):
                spelled.setdefault(name_case(name), name)
        return list(dict.fromkeys(spelled.get(keys[name], name) for name in names))

    def post_fields(self) -> list[str]:
        """The keys of a `post`, in its order, read from the schema (no post needed: the
        header of an empty CSV export)."""
        if self._post_fields is None:
            columns = [d[0] for d in self.conn.execute(_POST_ROW + " LIMIT 0").description]
            # The search index's copies of the text are not the post's.
            copies = {*schema.CJK_COLUMNS, *schema.UNMARKED_COLUMNS}
            self._post_fields = [c for c in columns if c not in copies] + ["images"]
        return self._post_fields

    @_one_thread_at_a_time
    def versions(self, url_or_id: str | int) -> list[dict[str, Any]]:
        """Every stored version of a post, oldest first, each with its full `record` (Article),
        its `source` (crawl, recover, import or reextract), `stored_at` (when the archive
        stored it, by its own clock; None in an archive from before v21 read as it is), for
        one made from a capture `wixarchive recover` fetched (its own, or a re-extraction of
        it), `recovered`: the web archive's replay base, the capture's CDX timestamp and its
        page there, `capture_url` (None for the others), and
        its stable `version_id` (archive.history.version_id). By id, URL or canonical URL as
        `post` takes them; [] when there is no such post."""
        post_id = self._post_id(url_or_id)
        sql = ("SELECT v.version, v.run_id, v.fetched_at, v.content_hash, v.title, {source}, "
               "v.record, p.body, p.body_html, p.body_markdown "
               "FROM post_versions v JOIN posts p ON p.id = v.post_id "
               "WHERE p.id = ? ORDER BY v.version")
        # An older archive read as it is (read-only) lacks the later columns: before v10
        # every version is a crawl's; before v21 when a version was stored is not known.
        stored = {row[1] for row in self.conn.execute("PRAGMA table_info(post_versions)")}
        columns = ("v.source, v.capture" if "source" in stored
                   else "'crawl' AS source, NULL AS capture")
        columns += ", v.stored_at" if "stored_at" in stored else ", NULL AS stored_at"
        rows = [] if post_id is None else self.conn.execute(
            sql.format(source=columns), (post_id,)).fetchall()
        recovered = recovered_captures(self.conn, [
            row["capture"] for row in rows
            if row["source"] in RECOVERABLE_SOURCES and row["capture"]])
        result = []
        for row in rows:
            item = dict(row)
            texts = {column: item.pop(column) for column in TEXT_FIELDS.values()}
            record = item.pop("record")
            item["recovered"] = recovered.get(item.pop("capture"))
            item["record"] = full_record(record, texts)
            item["version_id"] = version_id(item["content_hash"])
            result.append(item)
        return result

    # -- reports ---------------------------------------------------------------------------------

    @_one_thread_at_a_time
    def stats(self) -> list[dict[str, Any]]:
        """Per site: posts, versions, deleted posts, words, last crawl (with its status)."""
        rows = self.conn.execute("""
            SELECT s.url AS site, s.name,
                   count(p.id) AS posts,
                   coalesce(sum(p.version), 0) AS versions,
                   count(p.deleted_at) AS deleted,
                   coalesce(sum(p.word_count), 0) AS words,
                   s.last_crawled,
                   (SELECT status FROM crawl_runs r WHERE r.site_id = s.id
                    ORDER BY r.id DESC LIMIT 1) AS last_status
            FROM sites s LEFT JOIN posts p ON p.site_id = s.id
            GROUP BY s.id ORDER BY s.url""").fetchall()
        return [dict(row) for row in rows]

    @_one_thread_at_a_time
    def check(self, notes: list[str] | None = None) -> list[str]:
        """Problems found (empty when healthy): SQLite integrity, foreign keys, the FTS index.
        `notes` gets what was checked less fully, and why (a crawl was running)."""
        problems: list[str] = []
        try:
            for (message,) in self.conn.execute("PRAGMA integrity_check"):
                if message != "ok":
                    problems.append(f"integrity: {message}")
            for row in self.conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"foreign key: {row[0]} row {row[1]} points to a missing {row[2]}")
            problems += search_upkeep.check_search_indexes(
                self.conn, readonly=self.readonly, crawl_running=self._crawl_running,
                notes=notes if notes is not None else [])
            for row in self.conn.execute(
                    "SELECT p.url FROM posts p WHERE p.version != "
                    "(SELECT max(version) FROM post_versions v WHERE v.post_id = p.id) LIMIT 20"):
                problems.append(f"versions: {row[0]} has no row for its current version")
        except sqlite3.DatabaseError as exc:
            if is_busy(exc):  # not a problem of the archive: the check could not run
                raise archive_error(exc) from exc
            problems.append(f"unreadable: {exc}")
        return problems

    def _crawl_running(self) -> str | None:
        """A crawl writing this archive from another process (its site lock or its live
        `running` run), in a few words, or None."""
        return upgrades.running_crawl(Path(self.path), self.conn, self.schema_version)

    def optimize(self) -> None:
        """After a large crawl: merge the search index into one segment, refresh the statistics
        behind fast common-term queries, and fold the WAL back into the database file."""
        with self.transaction() as conn:
            for index in search_upkeep.search_indexes(conn):
                conn.execute(f"INSERT INTO {index.table}({index.table}) VALUES ('optimize')")
        self.refresh_search_stats()
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def refresh_search_stats_if_stale(self) -> bool:
        """Refresh the search statistics when posts changed since they were computed.

        Callers run this once after a batch of crawls rather than after each run: its cost
        follows what the crawls added or changed, until that adds up to STATS_EXTEND_SHARE of
        the archive and everything is ranked again (seconds at 10k posts, ~20 minutes at 1M on
        two cores, where ~12,500 terms, prefixes and phrases have lists). Stale statistics are never
        wrong, only slower: search then ranks exactly.
        """
        from archive.search.topk import stats_fresh

        if stats_fresh(self.conn):
            return False
        self.refresh_search_stats()
        return True

    def refresh_search_stats(self, *, min_posts: int = search_upkeep.STATS_MIN_POSTS) -> bool:
        """Recompute the statistics behind fast queries on frequent terms, prefixes and phrases
        (archive.search.stats); True if the whole archive was ranked, False if the lists were only
        extended.

        When posts were only added or re-indexed since the last refresh (what crawls do), the
        lists are extended with them: the cost follows what the crawls changed, not the
        archive's size. Anything else (a post removed by another tool), or more than
        STATS_EXTEND_SHARE of the archive added or changed since everything was last ranked,
        ranks everything again.

        Computed from one read snapshot, then written in a short transaction, so a crawl is never
        kept waiting; the change counter that the index triggers bump tells search whether the
        statistics still describe the archive (stale ones are never used).
        """
        if self.readonly or self._depth:
            raise ArchiveError("search statistics are refreshed outside any open transaction")
        return search_upkeep.refresh_search_stats(self.conn, self.path, self.transaction,
                                                  min_posts=min_posts)

    def rebuild_index(self) -> None:
        """Every full-text index made again from the posts' text."""
        with self.transaction() as conn:
            search_upkeep.rebuild_search_indexes(conn)


# The largest id SQLite holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1
# _moved_posts' key of a post at a /post/ URL by its slug (no path starts with NUL).
_NEW_BLOG_KEY = "\0post/"


def served_in_case(url: str, held: Sequence[str]) -> list[str]:
    """Of the posts `held` at some letter case of `url`'s slug (posts_in_any_case), those Wix
    served at `url`: whose path is `url`'s lower-cased. Wix's slugs are lower-case and a post
    answers at any case of its slug, so `/post/My-Slug` is `/post/my-slug`; but case folding
    also joins slugs that are not one (`straße` and `strasse`, `λόγος` and `λόγοσ`), and
    `/post/STRASSE` lower-cased is `/post/strasse` alone. Two posts archived at one
    lower-cased path (one post archived in two cases) are both `url`'s."""
    key = _lower_key(url)
    return [post for post in held if _lower_key(post) == key]


def _lower_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return unquote(parts.path).lower().rstrip("/"), parts.query


def _case_key(url: str) -> tuple[str, str]:
    """A post URL's path (decoded, case-folded, no trailing slash) and query: one key for every
    letter case of its slug. Its site's host is left out: the URLs compared are one site's."""
    parts = urlsplit(url)
    return unquote(parts.path).casefold().rstrip("/"), parts.query
