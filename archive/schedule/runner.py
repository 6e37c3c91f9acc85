"""Run the sites that are due: once (`run-due`, for cron) or in a loop (`schedule`).

Each due site is locked (archive.schedule.locks); the locked sites of one pass (a batch) are
crawled together in one child process (archive.crawls.crawl_sites: `parallel` at a time, each
with its own politeness, run and time limit), and each is reported as one `Outcome` as soon as
it ends. `schedule` waits for each batch in a thread of its own and keeps checking meanwhile, so
a site that falls due while another batch crawls starts at once in a new batch (a site this
process is crawling is left out of later passes until its outcome is recorded). The clock, the sleep
and the crawl itself are injectable, so tests never wait for a schedule. A stop request
(SIGTERM/SIGINT, see `install_signal_handlers`) is forwarded to every running crawler, which
stops each of its sites, commits what each fetched and exits; the next run archives the rest
(deciding from what the archive holds, see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive.crawls import (
    DEFAULT_PARALLEL,
    GRACE_SECONDS,
    SiteCrawl,
    addresses_left,
    crawl_sites,
    left_message,
    media_overrides,
    scrapy_overrides,
)
from archive.schedule import sites as sites_file
from archive.schedule.due import (
    FAILURES,
    SiteHistory,
    format_duration,
    history_by_site,
    history_key,
    when_due,
)
from archive.schedule.locks import LockBusy, SiteLock, lock_path
from archive.schedule.sites import Site
from archive.site_match import archived_sites, moved_site
from archive.store import Archive, ArchiveError
from archive.words import aside, counted
from crawler.summary import (
    NOT_POSTS,
    NOT_RECORDED_ERROR,
    NOT_RECORDED_MESSAGE,
    OUTCOMES,
    POSTS_GONE,
    ROBOTS_SKIPPED,
    recorded_errors,
)

Clock = Callable[[], datetime]
# A crawl: the site and its held lock (whose descriptor the crawler must inherit) -> summary dict
# as `python -m crawler.run --summary` writes it (site, status, message, counts, run_id, ...).
Crawl = Callable[[Site, SiteLock], dict[str, Any]]
# Many crawls at once: the locked sites, and where to report (position, summary) as each ends.
CrawlMany = Callable[[list[tuple[Site, SiteLock]], Callable[[int, dict[str, Any]], None]], None]

HISTORY_DEPTH = 20    # runs per site read to count failures in a row
# Said of a run the crawl could not record (the archive busy to its end) once run-due has.
LATE = "its run recorded after the crawl, which found the archive busy"
# A site locked for crawling: its position among the pass's outcomes, and its history.
Locked = tuple[int, Site, SiteLock, SiteHistory | None]


class CrawlNotRun(Exception):
    """The crawl could not run for a reason that is none of its sites' (`--redis`: Redis cannot
    be reached, or was lost). Its sites not crawled get no run (a failed one would put a
    healthy site in retry backoff and under "Failing sites"); the command ends with this
    one-line error. `outcomes`: every outcome of the pass (its sites not crawled `skipped`),
    for `run-due --json`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.outcomes: list[Outcome] = []


def system_clock() -> datetime:
    return datetime.now(UTC)


def offset_clock(start: datetime) -> Clock:
    """A clock that starts at `start` (an injected "now") and runs at real speed."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def show_time(moment: datetime, *, seconds: bool = False) -> str:
    """A moment in UTC to the minute; to the second with `seconds` (a "next crawl" a minute
    away must not read as now, or as past)."""
    return moment.astimezone(UTC).strftime(f"%Y-%m-%d %H:%M{':%S' if seconds else ''} UTC")


# Outcomes that make `run-due` exit 1: cron must notice them (the failed and timed-out sites
# are named on stderr too, archive/cli/crawl_report.py).
FAILED_OUTCOMES = ("failed", "timeout", "invalid")


def no_counts() -> dict[str, int]:
    """Every count a crawl's summary may give, at zero: every outcome's record has these keys
    (a not-due site's too), so a script can read rec["counts"]["new"] whatever the status."""
    return dict.fromkeys((*OUTCOMES, NOT_POSTS, ROBOTS_SKIPPED, POSTS_GONE, "unknown_layout"), 0)


@dataclass
class Outcome:
    """What happened to one site in one pass: the line `run-due` prints, or its JSON."""

    site: str    # the archive's site key (scheme://host/)
    url: str     # as written in the sites file
    # ok|partial|failed|interrupted|timeout (crawled), not-due|busy|skipped, or invalid: an
    # entry of the sites file that is wrong or names a site listed before (skipped)
    status: str
    message: str
    name: str | None = None
    counts: dict[str, int] = field(default_factory=no_counts)
    pages_fetched: int = 0
    run_id: int | None = None
    seconds: float | None = None
    next_due: str | None = None
    failures_in_a_row: int = 0
    stale_lock: str | None = None  # the dead holder whose lock was taken over
    # Stopped because another process kept the archive locked (`interrupted`): run again later.
    archive_busy: bool = False
    # The host the site's address now redirects to, where it was crawled (said even with
    # --quiet: the sites file names an address the site left).
    moved_to: str | None = None
    # The archived site a newly archived one looks like a move of (crawl --json's
    # likely_moved_from): said even with --quiet, with the command joining them.
    likely_moved_from: str | None = None

    @property
    def crawled(self) -> bool:
        return self.status in ("ok", "partial", "failed", "interrupted", "timeout")

    def line(self) -> str:
        if self.status == "invalid":  # no site to name: the message names the file's entry
            return f"{self.status:<11} {self.message}"
        # The site as the sites file writes it and `sites list` shows it, its name too (until
        # 2026-12-07 its root: `http://a.example/` for the `http://a.example/blog` listed).
        named = f" ({self.name})" if self.name else ""
        text = f"{self.status:<11} {self.url}{named}  {self.message}"
        if self.crawled and self.seconds is not None:
            text = aside(text, f"{counted(self.pages_fetched, 'page')}, {self.seconds:.1f} s")
        if self.failures_in_a_row > 1:
            text += f"; {self.failures_in_a_row} failed runs in a row"
        if self.stale_lock:
            text += f"; took over the stale lock of {self.stale_lock}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Batch:
    """One pass: an outcome per site looked at (None while it is being crawled) and the sites
    locked for this pass's crawl."""

    outcomes: list[Outcome | None] = field(default_factory=list)
    locked: list[Locked] = field(default_factory=list)

    @property
    def roots(self) -> list[str]:
        return [site.root for _, site, _, _ in self.locked]


def recorded_late(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary of a crawl that could not record its run (the archive stayed busy to its
    end), as run-due records the run for it: without the crawl's "not recorded" words, saying
    instead that its run was recorded after the crawl."""
    message = (summary.get("message") or "").replace(NOT_RECORDED_MESSAGE, f"; {LATE}")
    errors = [LATE if error.startswith(NOT_RECORDED_ERROR) else error
              for error in summary.get("errors") or []]
    # As the crawl records its errors: why it failed first, else a move's note (until
    # 2026-12-06 a run recorded here lacked it, and `runs` said nothing of the move).
    errors = recorded_errors({**summary, "errors": errors, "message": message})
    return {**summary, "errors": errors, "message": message}


def read_history(db: Path, roots: Iterable[str] = ()) -> dict[str, SiteHistory]:
    """Each site's recent runs (its HISTORY_DEPTH newest) by history_key (look a root up as
    `history_key(root)`): of the sites in `roots` and their other spellings, or of every site
    when `roots` is empty. A root that an archived site moved to (site_match.moved_site) has
    that site's runs: its crawls continue it."""
    if not db.exists():
        return {}
    wanted = {history_key(root) for root in roots}
    moved: dict[str, str] = {}  # a new address's history_key -> the moved site's
    with Archive.open(db, readonly=True, create=False) as archive:
        sites = None
        if wanted:
            every = [site["site"] for site in archived_sites(archive.conn)]
            archived = {history_key(site) for site in every}
            for root in roots:
                key = history_key(root)
                if key not in archived and (
                        old := history_key(moved_site(archive.conn, root))) in archived:
                    moved[key] = old
            sites = [site for site in every
                     if history_key(site) in wanted or history_key(site) in moved.values()]
        history = history_by_site(archive.latest_runs(HISTORY_DEPTH, sites=sites),
                                  HISTORY_DEPTH)
    return history | {new: history[old] for new, old in moved.items() if old in history}


class Runner:
    """Runs due sites of one archive and sites file; stop() may be called from a signal handler."""

    def __init__(self, db: Path, sites_path: Path, *, clock: Clock = system_clock,
                 crawl: Crawl | None = None, verbose: bool = False,
                 parallel: int = DEFAULT_PARALLEL, redis_url: str | None = None,
                 refetch: bool = False) -> None:
        self.db = db
        self.sites_path = sites_path
        self.clock = clock
        # An injected per-site crawl (tests) runs the sites one after another.
        self.crawl_many: CrawlMany = (self._one_by_one(crawl) if crawl else
                                      self.crawl_redis if redis_url else self.crawl_processes)
        self.redis_url = redis_url
        self._writer: Any = None  # the Redis writer of a crawl in progress (crawl_redis)
        self.stored_left = 0  # results left in Redis stored with no site due (_store_left)
        self.verbose = verbose
        self.parallel = parallel
        self.refetch = refetch  # `run-due --refetch`: every post fetched in full
        self.stop_signal: int | None = None
        # The sites file's entries skipped at the last reading (wrong, or a site listed twice).
        self.bad_entries: list[sites_file.BadEntry] = []
        self._children: list[subprocess.Popen[bytes]] = []  # the crawlers started, live or not
        # `serve`: the batches crawling in their threads and their sites, guarded by _state.
        self._state = threading.Lock()
        self._batches: list[threading.Thread] = []
        self._crawling: set[str] = set()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)

    # -- stopping --------------------------------------------------------------------------------

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Stop after the current crawls, which are asked to stop cleanly. Signal-safe (it takes
        no lock: copying a list is atomic)."""
        if self.stop_signal is None:
            self.stop_signal = signum
        self._wake()  # ends a sleep at once
        if self._writer is not None:
            self._writer.stop()
        for child in list(self._children):
            if child.poll() is None:
                # A second stop request is forwarded too: Scrapy then stops without waiting.
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signum)

    def _started(self, proc: subprocess.Popen[bytes]) -> None:
        with self._state:  # batch threads start crawlers concurrently: drop the ended ones
            self._children = [p for p in self._children if p.returncode is None] + [proc]
        if self.stop_signal is not None:  # the stop came while the child was being started
            proc.send_signal(self.stop_signal)

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"x")

    def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, returning early on stop()."""
        readable, _, _ = select.select([self._wake_r], [], [], max(seconds, 0))
        if readable:
            os.read(self._wake_r, 1024)

    # -- one pass --------------------------------------------------------------------------------

    def require_sites_file(self) -> None:
        """SitesError when the sites file is not there: under cron (or systemd) a wrong path
        must not pass for "nothing to do"."""
        if not self.sites_path.exists():
            raise sites_file.SitesError(f"no sites file at {self.sites_path}: add a site with "
                                        f"`wixarchive sites add URL --db {self.db}`")

    def load_sites(self, select_keys: Sequence[str] = (),
                   labels: Sequence[str] = ()) -> list[Site]:
        """The sites file's sites, narrowed to `select_keys` (URLs or names) and `labels`."""
        self.require_sites_file()
        bad: list[sites_file.BadEntry] = []
        sites = sites_file.load(self.sites_path, bad)
        self.bad_entries = bad
        for key in select_keys:
            if not any(site.matches(key) for site in sites):
                raise sites_file.SitesError(f"no site {key!r} in {self.sites_path}")
        # A mistyped label under cron must not pass for "nothing to do" either.
        known = sorted({label for site in sites for label in site.labels})
        for label in labels:
            if label not in known:
                raise sites_file.SitesError(
                    f"no site has the label {label!r} in {self.sites_path} "
                    f"(labels: {', '.join(known) or 'none'})")
        if select_keys:
            sites = [s for s in sites if any(s.matches(k) for k in select_keys)]
        if labels:
            sites = [s for s in sites if set(labels) & set(s.labels)]
        return sites

    def run_due(self, *, force: bool = False, select_keys: Sequence[str] = (),
                labels: Sequence[str] = (),
                report: Callable[[Outcome], None] | None = None) -> list[Outcome]:
        """Crawl every selected site that is due (all of them with `force`), earliest first."""
        batch = self._plan(force=force, select_keys=select_keys, labels=labels, report=report)
        if self.redis_url and not batch.locked and self.stop_signal is None:
            self._store_left(batch)
        return self._crawl_batch(batch, report)

    def _store_left(self, batch: Batch) -> None:
        """`run-due --redis` with no site to crawl: the results a writer of this archive left
        in Redis (it gave up, or was killed) are stored all the same, in the runs that fetched
        them, by a writer with no site to crawl, as a crawl's writer stores them as it starts;
        `stored_left` says how many. None left for this archive, a writer at work, or a Redis
        it cannot reach: nothing done (nothing due is no error). Until 2026-12-07 they waited
        for a site to be due, though the error that left them said to store them by `run-due`."""
        import redis

        from archive.distributed import DistributedError, RedisWriter
        from archive.distributed_left import left_for

        assert self.redis_url is not None
        try:
            writer = RedisWriter(self.db, self.redis_url)
            left = left_for(writer.server, self.db)
        except (DistributedError, redis.RedisError):
            return
        if not left:
            return
        try:
            writer.crawl([])
        except (DistributedError, ArchiveError) as exc:  # the archive busy: each left there
            problem = CrawlNotRun(str(exc))
            problem.outcomes = [o for o in batch.outcomes if o is not None]
            raise problem from None
        self.stored_left = left

    def _plan(self, *, force: bool = False, select_keys: Sequence[str] = (),
              labels: Sequence[str] = (), report: Callable[[Outcome], None] | None = None,
              skip: Collection[str] = (), room: int | None = None) -> Batch:
        """Lock the sites due now (all selected ones with `force`) and report the others. Sites
        in `skip` (roots this process is crawling) are left out; beyond `room` due sites, the
        rest are left for a later pass."""
        sites = self.load_sites(select_keys, labels)
        if sites:
            Archive.open(self.db).close()  # create it, so even a failed first crawl is recorded
        history = read_history(self.db, [s.root for s in sites])
        left = addresses_left(self.db, [s.root for s in sites])
        now = self.clock()
        pasts = {site.root: history.get(history_key(site.root)) for site in sites}
        plan = [(site, when_due(site.schedule, pasts[site.root])) for site in sites]
        # Overdue first: a site that resumes a long crawl every pass cannot starve the others.
        plan.sort(key=lambda item: item[1].at or datetime.min.replace(tzinfo=UTC))
        batch = Batch()
        outcomes, locked = batch.outcomes, batch.locked
        for entry in self.bad_entries:  # reported first; the other sites are crawled
            outcomes.append(Outcome(site=entry.url, url=entry.url, status="invalid",
                                    message=f"{entry.problem} (entry skipped)"))
            if report:
                report(outcomes[-1])
        for site, due in plan:
            outcome = None
            if site.root in skip:
                continue
            if self.stop_signal is not None:
                outcome = self._outcome(site, "skipped", "not started: stopping")
            elif site.root in left:  # the blog's old address: its new one continues it
                outcome = self._outcome(site, "skipped", left_message(
                    left[site.root], f"wixarchive sites remove {site.url}"))
                outcome.moved_to = left[site.root]
            elif force or due.is_due(now):
                if room is not None and len(locked) >= room:
                    continue  # waits for a place (--parallel): a batch that ends wakes the loop
                prepared = self._prepare(site, force)
                if isinstance(prepared, Outcome):
                    outcome = prepared
                else:
                    locked.append((len(outcomes), site, prepared, pasts[site.root]))
            else:
                next_crawl = show_time(due.at, seconds=True)
                outcome = self._outcome(site, "not-due", f"next crawl {next_crawl} ({due.reason})")
                outcome.next_due = due.at.isoformat(timespec="seconds")
            outcomes.append(outcome)
            if outcome and report:
                report(outcome)
        return batch

    def _crawl_batch(self, batch: Batch, report: Callable[[Outcome], None] | None,
                     ) -> list[Outcome]:
        """Crawl a pass's locked sites; every outcome of the pass, in its order."""
        if batch.locked:
            self._crawl_locked(batch.locked, batch.outcomes, report)
        done = [o for o in batch.outcomes if o is not None]
        if any(o.crawled for o in done):
            with contextlib.suppress(ArchiveError), Archive.open(self.db, create=False) as archive:
                archive.wait_briefly()  # optional (the next pass does it): not worth 30 s more
                archive.refresh_search_stats_if_stale()
        return done

    def _next_due(self, site: Site) -> str | None:
        """When a site just crawled is next due, as `sites list` says it from its history."""
        try:
            history = read_history(self.db, [site.root]).get(history_key(site.root))
        except ArchiveError:  # the record lacks it; the next pass decides anyway
            return None
        due = when_due(site.schedule, history)
        return due.at.isoformat(timespec="seconds") if due.at else None

    def _outcome(self, site: Site, status: str, message: str) -> Outcome:
        return Outcome(site=site.root, url=site.url, name=site.name, status=status,
                       message=message)

    def _prepare(self, site: Site, force: bool) -> Outcome | SiteLock:
        """Lock a due site for crawling, or say why it is not crawled now."""
        try:
            return self._lock(site, force)
        except ArchiveError as exc:  # e.g. the archive stayed locked: this site only
            return self._outcome(site, "failed", str(exc))

    def _lock(self, site: Site, force: bool) -> Outcome | SiteLock:
        try:
            lock = SiteLock.acquire(lock_path(self.db, site.root), site=site.root,
                                    now=self.clock())
        except LockBusy as exc:
            return self._outcome(site, "busy", str(exc))
        except OSError as exc:
            return self._outcome(site, "failed", str(exc))
        try:
            if lock.stale:
                self._close_abandoned(site, lock.stale.describe())
            if not force:
                # Another process may have crawled it between our plan and our lock.
                fresh = read_history(self.db, [site.root]).get(history_key(site.root))
                due = when_due(site.schedule, fresh)
                if not due.is_due(self.clock()):
                    outcome = self._outcome(site, "not-due", "just crawled by another process; "
                                            f"next crawl {show_time(due.at, seconds=True)}")
                    outcome.next_due = due.at.isoformat(timespec="seconds")
                    lock.release()
                    return outcome
        except BaseException:
            lock.release()
            raise
        return lock

    def _crawl_locked(self, locked: list[Locked], outcomes: list[Outcome | None],
                      report: Callable[[Outcome], None] | None) -> None:
        """Crawl the locked sites at once; each outcome is reported (and its lock released) as
        soon as its site ends."""
        started, origin = self.clock(), time.monotonic()
        try:
            before = self._newest_run_id()
        except ArchiveError:
            before = 0

        def ended(index: int, summary: dict[str, Any]) -> None:
            position, site, lock, history = locked[index]
            lock.release()
            if outcomes[position] is not None:
                return
            outcome = self._recorded(site, summary, before, started)
            outcome.seconds = round(time.monotonic() - origin, 2)
            if lock.stale:
                outcome.stale_lock = lock.stale.describe() + ", which was killed"
            if outcome.status in FAILURES:
                outcome.failures_in_a_row = (history.failures if history else 0) + 1
            if outcome.crawled:
                outcome.next_due = self._next_due(site)
            outcomes[position] = outcome
            if report:
                report(outcome)
            self._done_crawling([site.root])

        batch = [(site, lock) for _, site, lock, _ in locked]
        try:
            self.crawl_many(batch, ended)
        except CrawlNotRun as exc:
            for position, site, lock, _ in locked:
                if outcomes[position] is None:
                    lock.release()
                    outcomes[position] = self._outcome(site, "skipped", f"not crawled: {exc}")
                    if report:
                        report(outcomes[position])
                    self._done_crawling([site.root])
            exc.outcomes = [o for o in outcomes if o is not None]
            raise
        except Exception as exc:  # the crawl could not run: every site still gets its line
            for index in range(len(locked)):
                ended(index, {"status": "failed", "message": f"could not run the crawl: {exc}"})
        finally:
            for index, (position, _site, lock, _) in enumerate(locked):
                lock.release()
                if outcomes[position] is None:  # a crawl that never reported it
                    ended(index, {"status": "failed", "message": "the crawl ended without a "
                                  "result for it"})

    def _recorded(self, site: Site, summary: dict[str, Any], before: int,
                  started: datetime) -> Outcome:
        """One site's outcome from its summary, its attempt recorded in the history."""
        if summary.get("not_started"):
            return self._outcome(site, "skipped", "not started: stopping")
        status = summary.get("status", "failed")
        message = summary.get("message") or status
        if summary.get("timed_out") and status == "interrupted":
            # The crawl process itself was stopped at the time limit (crawl_sites' last
            # resort), with no summary of the site: recorded below as the crawler records a
            # site stopped at its limit, a timeout, its reason first (a site that hangs on every
            # crawl counts as failing and is retried with backoff).
            status = "timeout"
            message = (f"stopped at its {format_duration(site.timeout)} time limit after "
                       f"{summary.get('posts', 0)} posts; the next run resumes it")
            summary = {**summary, "status": status,
                       "errors": [message, *(summary.get("errors") or [])]}
        # The crawler closes its run itself (a timeout included, in the one write that closes
        # it: nothing here rewrites it later); only a run it never recorded is recorded here.
        run_id = summary.get("run_id")
        if run_id is None:
            busy = bool(summary.get("run_not_recorded"))  # the crawl waited for it in vain
            late = recorded_late(summary) if busy else summary
            try:
                run_id = self._record(site, late, before, started, briefly=busy)
            except ArchiveError as exc:
                if not busy:  # else its message says so already
                    message += f" (not recorded in the history: {exc})"
            else:
                if busy:  # the line says what the run's row now says
                    message = late["message"]
        outcome = self._outcome(site, status, message)
        outcome.counts.update(summary.get("counts") or {})
        outcome.pages_fetched = summary.get("pages_fetched", 0)
        outcome.run_id = run_id
        outcome.moved_to = summary.get("moved_to")
        outcome.likely_moved_from = summary.get("likely_moved_from")
        # A crawl that only could not record its run, recorded here since, needs no new run.
        outcome.archive_busy = bool(summary.get("archive_busy")) and (
            status == "interrupted" or run_id is None)
        return outcome

    def _one_by_one(self, crawl: Crawl) -> CrawlMany:
        def crawl_many(batch: list[tuple[Site, SiteLock]],
                       ended: Callable[[int, dict[str, Any]], None]) -> None:
            for index, (site, lock) in enumerate(batch):
                if self.stop_signal is not None:
                    ended(index, {"not_started": True})
                    continue
                try:
                    summary = crawl(site, lock)
                except Exception as exc:  # one site's trouble must not stop the others
                    summary = {"status": "failed", "message": f"could not run the crawl: {exc}"}
                ended(index, summary)
        return crawl_many

    def crawl_processes(self, batch: list[tuple[Site, SiteLock]],
                        ended: Callable[[int, dict[str, Any]], None]) -> None:
        """The real crawl: one `python -m crawler.run` for every site of the batch, each with its
        own politeness settings and time limit."""
        from crawler import settings as crawler_settings  # plain constants, no Scrapy import

        common = scrapy_overrides(None, None, None, None, None, True, self.verbose,
                                  refetch=self.refetch)
        if not self.verbose:  # unattended: no progress lines in cron mail or the journal
            # The setting replaces the whole dict: keep the project's other extensions.
            common["EXTENSIONS"] = {**crawler_settings.EXTENSIONS,
                                    "crawler.extensions.progress.CrawlProgress": None}
        jobs = []
        for site, lock in batch:
            p = site.politeness
            own = scrapy_overrides(p.get("delay"), p.get("concurrency"), p.get("autothrottle"),
                                   p.get("user_agent"), p.get("contact"),
                                   p.get("robots", True), self.verbose,
                                   capture=p.get("capture", True))
            own.update(media_overrides(site.media))
            jobs.append(SiteCrawl(site.url, {k: v for k, v in own.items() if k not in common},
                                  lock_fd=lock.fd, time_limit=site.timeout.total_seconds()))
        # A last resort only: each site's limit is enforced inside the crawler.
        rounds = -(-len(jobs) // max(1, self.parallel))
        backstop = max(j.time_limit or 0 for j in jobs) * rounds + GRACE_SECONDS
        crawl_sites(jobs, self.db, common, parallel=self.parallel, on_start=self._started,
                    on_result=ended, timeout=backstop)

    def crawl_redis(self, batch: list[tuple[Site, SiteLock]],
                    ended: Callable[[int, dict[str, Any]], None]) -> None:
        """`run-due --redis`: queue the batch in Redis for `wixarchive worker`s and be the
        archive's writer (archive.distributed). Each site's delay and concurrency hold across
        every worker; at its time limit its queued requests are dropped and it ends as timed
        out (downloads then in flight finish on their workers)."""
        from archive.distributed import run_writer, site_job

        assert self.redis_url is not None
        common = scrapy_overrides(None, None, None, None, None, True, self.verbose,
                                  refetch=self.refetch)
        jobs = []
        for site, _lock in batch:
            p = site.politeness
            own = scrapy_overrides(p.get("delay"), p.get("concurrency"), p.get("autothrottle"),
                                   p.get("user_agent"), p.get("contact"),
                                   p.get("robots", True), self.verbose)
            job = site_job(site.url, {**common, **own})
            job.time_limit = site.timeout.total_seconds() or None
            job.media = media_overrides(site.media)  # the writer queues each site's own media
            jobs.append(job)

        def ready(writer: Any) -> None:
            self._writer = writer
            if self.stop_signal is not None:
                writer.stop()

        try:
            problem = run_writer(jobs, self.db, common, self.redis_url, ended,
                                 writer_ready=ready, handle_signals=False)
        finally:
            self._writer = None
        if problem:  # Redis (or the archive) failed the whole crawl: no site's failure
            raise CrawlNotRun(problem)

    def _newest_run_id(self) -> int:
        with Archive.open(self.db, readonly=True, create=False) as archive:
            rows = archive.runs(1)
        return rows[0]["id"] if rows else 0

    def _close_abandoned(self, site: Site, holder: str) -> None:
        """A killed crawl leaves its run `running`: close it, now that its lock is ours, ended
        at its last recorded progress (its run may be filed under a twin spelling)."""
        key = history_key(site.root)
        with Archive.open(self.db, create=False) as archive:
            for run in archive.runs(HISTORY_DEPTH):
                if history_key(run["site"]) == key and run["status"] == "running":
                    archive.finish_run(
                        run["id"], status="interrupted",
                        counts=archive.closing_counts(run["id"], run["counts"]),
                        errors=[f"killed before it finished (lock holder {holder})"],
                        finished_at=archive.last_progress(run["id"]))

    def _record(self, site: Site, summary: dict[str, Any], before: int,
                started: datetime, *, briefly: bool = False) -> int:
        """Make sure every attempt is in the history: the crawler records its own run, unless it
        died first (then its row still says `running`), never got that far, or found the archive
        busy to its end (`briefly`: it waited the busy timeout already, do not wait it again)."""
        errors = summary.get("errors") or [summary.get("message", "")]
        status = summary.get("status", "failed")
        counts = {**(summary.get("counts") or {}), "pages": summary.get("pages_fetched", 0)}
        with Archive.open(self.db, create=False) as archive:
            if briefly:
                archive.wait_briefly()
            mine = [r for r in archive.runs(HISTORY_DEPTH) if r["id"] > before
                    and r["site"] == site.root and r["status"] == "running"]
            run_id = mine[-1]["id"] if mine else archive.start_run(
                site.url, started_at=started.isoformat(timespec="seconds"))
            archive.finish_run(run_id, status=status, counts=counts, errors=errors,
                               finished_at=self.clock().isoformat(timespec="seconds"))
        return run_id

    # -- the loop --------------------------------------------------------------------------------

    def seconds_until_due(self, poll: float) -> float:
        """How long the loop may sleep: until the next site is due, at most `poll` seconds (the
        sites file may change, another process may release a lock)."""
        try:
            sites = self.load_sites()
            history = read_history(self.db, [s.root for s in sites])
        except (sites_file.SitesError, OSError, ValueError):
            return poll
        now = self.clock()
        waits = [(due.at - now).total_seconds() for due in
                 (when_due(s.schedule, history.get(history_key(s.root))) for s in sites) if due.at]
        # A site still due after a pass is being crawled (here or by another process) or
        # waits for a place: check it again after `poll` (or when one of our batches ends).
        future = [w for w in waits if w > 0]
        return min([poll, *future])

    def serve(self, *, poll: float = 60.0, sleep: Callable[[float], None] | None = None,
              report: Callable[[Outcome], None] | None = None,
              warn: Callable[[str], None] | None = None) -> None:
        """Run due sites until stop(), then wait for the crawls under way to stop; a failing
        site or a broken sites file never ends it. Each pass's due sites are crawled in a
        thread of their own while the loop goes on, so a site that falls due meanwhile starts
        at once rather than after the slowest site of an earlier pass."""
        sleep = sleep or self.sleep
        report = _one_at_a_time(report)
        last_warning = None
        try:
            while self.stop_signal is None:
                try:
                    self._start_batch(report, warn)
                    last_warning = None
                except Exception as exc:  # a long-running service reports and carries on
                    text = str(exc) or type(exc).__name__
                    if warn and text != last_warning:
                        warn(text)
                    last_warning = text
                if self.stop_signal is None:
                    sleep(self.seconds_until_due(poll))
        finally:
            self.wait_for_batches()

    def _start_batch(self, report: Callable[[Outcome], None] | None,
                     warn: Callable[[str], None] | None) -> None:
        """One pass of `serve`: lock the due sites this process is not crawling yet (at most
        `parallel` crawling in all) and crawl them in a new thread."""
        with self._state:
            crawling = set(self._crawling)
        batch = self._plan(report=report, skip=crawling, room=self.parallel - len(crawling))
        if not batch.locked:
            return
        thread = threading.Thread(target=self._run_batch, args=(batch, report, warn),
                                  name=f"crawl {', '.join(batch.roots)}"[:100])
        with self._state:
            self._crawling.update(batch.roots)
            self._batches.append(thread)
        try:
            thread.start()
        except BaseException:
            self._forget(batch, thread)
            for _, _, lock, _ in batch.locked:
                lock.release()
            raise

    def _run_batch(self, batch: Batch, report: Callable[[Outcome], None] | None,
                   warn: Callable[[str], None] | None) -> None:
        try:
            self._crawl_batch(batch, report)
        except Exception as exc:  # e.g. the archive vanished: say so, the loop goes on
            if warn:
                warn(str(exc) or type(exc).__name__)
        finally:
            self._forget(batch, threading.current_thread())

    def _done_crawling(self, roots: list[str]) -> None:
        """Sites whose outcome is recorded (a later pass must see their new runs): `serve` may
        lock them again, or the sites that waited for their places."""
        with self._state:
            self._crawling.difference_update(roots)
        self._wake()

    def _forget(self, batch: Batch, thread: threading.Thread) -> None:
        with self._state:
            self._batches.remove(thread)
        self._done_crawling(batch.roots)

    def wait_for_batches(self) -> None:
        """Wait until every batch `serve` started has ended (a stop request ends them fast)."""
        while True:
            with self._state:
                if not self._batches:
                    return
                thread = self._batches[0]
            thread.join()


def _one_at_a_time(report: Callable[[Outcome], None] | None,
                   ) -> Callable[[Outcome], None] | None:
    """`report` made safe to call from several batch threads: one outcome at a time."""
    if report is None:
        return None
    lock = threading.Lock()

    def locked_report(outcome: Outcome) -> None:
        with lock:
            report(outcome)
    return locked_report


def install_signal_handlers(runner: Runner) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT (Ctrl-C) stop the runner cleanly."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, frame: runner.stop(number))
