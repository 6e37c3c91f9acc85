"""The writer of a crawl spread over workers through Redis (`wixarchive crawl --redis URL`).

Workers (`wixarchive worker`, crawler.distributed) fetch and extract; this is the one process
that writes the SQLite archive, so SQLite's one-writer rule holds however many workers run. It
queues each site's first request, publishes what the archive already holds (so re-crawls stay
incremental) and each site's politeness, then stores the workers' results in batches, one
transaction per batch, and finishes each site's run (crawl_runs row, summary) as soon as its
pending count in Redis reaches 0.

Nothing is lost or stored twice: a batch is removed from Redis only after its transaction
commits (a writer killed in between stores it again, and storing is idempotent: a version is
written only when the content hash changed; a writer ending for any reason leaves those it did
not store for the next one: `_release`), and a post delivered twice in one run (a worker
died after sending it) is counted once. Nothing here imports Scrapy.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import signal
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import redis

from archive import attachments, captures, lost_captures
from archive.attachments import FILE_META, file_fetch_url
from archive.distributed_left import (
    DistributedError,
    OtherArchives,
    archive_identity,
    dropped_words,
    gave_up_reasons,
    held_requests,
    keep_gave_up,
    left_in_redis,
    refuse_other_archives,
)
from archive.distributed_sites import (
    SiteCrawl,
    SiteJob,
    item_url,
    media_plan,
    run_counts,
    store_result,
    store_sitemap_lastmods,
    tally,
    with_sitemap_lastmod,
)
from archive.site_match import archived_root, site_twins
from archive.store import Archive, ArchiveError, post_request_headers
from archive.words import counted
from crawler import settings as defaults  # plain constants, no Scrapy import
from crawler.capture import MIRROR_META
from crawler.discover.listings import listing_starts
from crawler.discover.urls import (
    archived_before_a_move,
    in_any_site,
    is_post_url,
    named_page,
    normalize_url,
    old_blog_posts,
    old_blog_url,
    site_root,
)
from crawler.distributed import blips
from crawler.distributed import protocol as p
from crawler.distributed.protocol import HTML_ONLY, LANGUAGE_ROOT, LISTING_HOME, NAMED_PAGE, ROOTS
from crawler.items import POST_STATUSES
from crawler.summary import (
    ARCHIVED_BEFORE_THE_MOVE,
    ARCHIVED_POSTS,
    MOVED_HERE_FROM,
    MOVED_TO,
    ROBOTS_UNREACHABLE,
    TIME_LIMIT,
    moved_note,
    summarize,
)

# Results stored per transaction at most, by count and by size (a real Wix page and its capture
# are ~0.8 MB: a batch must not hold hundreds of them in memory at once).
BATCH = 200
BATCH_BYTES = 48 * 2**20
POLL = 0.2  # seconds between looks at Redis when there is nothing to store
WRITER_SECONDS = 30  # the writer's key expires unless renewed: a dead writer frees the Redis
DRAIN_SECONDS = 5.0  # storing at most this long between renewals of the writer's key
STOP_GRACE = 15.0  # seconds to collect the results of requests in flight after a stop
WORKERS_FIRST_NOTICE = 10.0  # seconds without a worker before the writer says it waits
WORKERS_NOTICE_AGAIN = 30.0  # ... and between its notices while none comes
CALLBACK_OF = {"robots": ("parse_robots", "on_robots_error"),
               "listing": ("parse_listing", "on_listing_error"),
               "languages": ("parse_languages", "on_site_home_error"),
               "media": ("parse_media", "on_media_error"), "post": ("parse_post", "on_error")}
PRIORITY = {"robots": 10, "media": -10}
# crawler.media's constant (it imports Scrapy): where Wix serves images.
WIX_MEDIA = "https://static.wixstatic.com/media/"


class QueueLost(Exception):
    """Redis lost the crawl's state (restarted without persistence, or flushed): its pending
    counts and results are gone, and a pending count of 0 no longer means a site is done."""


@dataclass
class WaitingForWorkers:
    """The writer's notice that no worker is there: after WORKERS_FIRST_NOTICE seconds
    without one, then again every WORKERS_NOTICE_AGAIN seconds while none comes, with how
    long it has waited and the command that starts one (it waits for workers however long)."""

    url: str
    seen: float  # when a worker was last seen registered (at first: when the crawl started)
    next_look: float = field(init=False)

    def __post_init__(self) -> None:
        self.next_look = self.seen + WORKERS_FIRST_NOTICE

    def notice(self, now: float, workers: Callable[[], int]) -> str | None:
        """The notice to print now, if one is due; `workers` counts the workers registered
        (looked at no more often than every WORKERS_FIRST_NOTICE seconds)."""
        if now < self.next_look:
            return None
        if workers():
            self.seen, self.next_look = now, now + WORKERS_FIRST_NOTICE
            return None
        self.next_look = now + WORKERS_NOTICE_AGAIN
        return (f"waiting for workers: none for {now - self.seen:.0f} s; start `wixarchive "
                f"worker --redis {p.shown(self.url)}` on any machine (this crawl waits until "
                "one comes)")


def _member(site: str, kind: str, url: str, run_id: int, meta: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> tuple[float, bytes]:
    """A queue entry as scrapy-redis stores one (a pickled Request dict), for the spider's
    callback `kind`; see crawler.distributed.queue."""
    callback, errback = CALLBACK_OF[kind]
    priority = PRIORITY.get(kind, 0)
    request = {"url": url, "callback": callback, "errback": errback, "priority": priority,
               "dont_filter": kind != "listing", "method": "GET", "headers": headers or {},
               "meta": {p.SITE: site, p.RUN: run_id, **(meta or {})}}
    return p.score(priority), p.queue_member(site, url, pickle.dumps(request, protocol=-1))


def _end_reason(site: SiteCrawl) -> str:
    """The close reason of a site whose requests are all done, as a crawl without Redis gives
    it (crawler.spiders.wix: summarize words it)."""
    if site.robots_unreachable:
        return f"{ROBOTS_UNREACHABLE}: {site.robots_unreachable}"
    return "unreachable" if site.unreachable else "finished"


class RedisWriter:
    """Queues sites in Redis and stores what the workers send; `crawl` returns when every site
    is done. `stop()` (signal-safe) ends the crawl early, each site recorded as interrupted."""

    def __init__(self, db: Path, url: str, settings: dict[str, Any] | None = None) -> None:
        self.db = Path(db)
        self.url = url
        self.settings = settings or {}
        # The writer owns the captures folder beside the archive: workers send exchanges.
        self.captures = captures.CaptureWriter(captures.captures_dir(self.db))
        # Records lost at the start (files missing or cut short, records `check` found damaged:
        # archive.lost_captures): never pointed at by a revisit; those captured again leave
        # the index.
        self.lost_files = lost_captures.LostFiles()
        self.seen_payloads: dict[str, tuple[str, str]] = {}  # digest -> first (URL, date)
        # Where media are fetched from (tests serve them on loopback); what is fetched is each
        # site's MediaPlan (its own settings over these).
        self.media_base = (os.environ.get("WIXARCHIVE_MEDIA_BASE")
                           or self.settings.get("WIXARCHIVE_MEDIA_BASE") or "")
        self.video_base = (os.environ.get("WIXARCHIVE_VIDEO_BASE")
                           or self.settings.get("WIXARCHIVE_VIDEO_BASE") or None)
        # `--refetch`: every post fetched in full, with no conditional request.
        self.refetch = bool(self.settings.get("WIXARCHIVE_REFETCH", False))
        self.stopping = False
        self.rounds = 0  # the rounds of the crawl's loop begun (blips in a row: `crawl`)
        self.stop_signal: int | None = None  # the signal that asked for the stop, if one did
        self.crawl_id = uuid.uuid4().hex.encode()  # p.CRAWL while this writer's crawl runs
        # What p.CRAWL says once this writer is done: ended, or lost (tells its workers).
        self.end_mark = p.CRAWL_ENDED
        self.server = p.connect(url, DistributedError)
        self.link = blips.CrawlLink(self.server, self.crawl_id, QueueLost)
        self.push = self.server.register_script(p.PUSH)
        self.stop_site = self.server.register_script(p.STOP_SITE)
        self.reap = self.server.register_script(p.REAP)
        self.empty_queue = self.server.register_script(p.EMPTY_QUEUE)
        self.queued = self.server.register_script(p.QUEUED)
        self.leave_results = self.server.register_script(p.LEAVE_RESULTS)
        # The moves a killed writer had learned (p.MOVES), site -> (archived root, new host).
        self.dead_moves: dict[str, tuple[str, str]] = {}
        # Its sites' posts archived at old Wix blog URLs, by slug (_dead_writers_move).
        self.dead_old_blog: dict[str, dict[str, str]] = {}
        # The run each site's results left in Redis name (a writer that gave up leaves no p.RUNS).
        self.dead_result_runs: dict[str, int] = {}
        # Why the runs of a writer of this archive that gave up ended (p.GAVE_UP), by run id.
        self.gave_up: dict[int, str] = {}
        self.dropped = 0  # the downloads still running when this writer gave up: dropped

    def stop(self, signum: int | None = None) -> None:
        self.stopping = True
        if self.stop_signal is None:
            self.stop_signal = signum

    # -- the crawl -----------------------------------------------------------------------------

    def crawl(self, jobs: Sequence[SiteJob],
              on_result: Callable[[int, dict[str, Any]], None] | None = None,
              on_progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
        """Crawl `jobs`; each site's summary (crawler.summary.CrawlSummary.to_dict()) goes to
        `on_result(index, summary)` as it ends. Raises DistributedError when Redis cannot be
        reached or is lost (the sites not finished are then recorded as interrupted), or the
        archive cannot be written (busy past its timeout: the sites' runs are closed as
        interrupted by the next command that finds them). However it ends, the results it did
        not store stay in Redis for the next writer, and its message (or last line) says so."""
        try:
            summaries = self._crawl(jobs, on_result, on_progress)
        except OtherArchives:
            raise  # what is left in Redis is not this writer's: its message says so
        except (DistributedError, ArchiveError) as exc:
            dropped = dropped_words(self.dropped, STOP_GRACE) if self.dropped else None
            said = [str(exc), *filter(None, [left_in_redis(self.server, self.url), dropped])]
            raise DistributedError("; ".join(said)) from None
        if on_progress and (left := left_in_redis(self.server, self.url)):
            on_progress(left)  # pushed as the crawl ended: rare
        return summaries

    def _crawl(self, jobs: Sequence[SiteJob],
               on_result: Callable[[int, dict[str, Any]], None] | None,
               on_progress: Callable[[str], None] | None) -> list[dict[str, Any]]:
        results: list[dict[str, Any] | None] = [None] * len(jobs)

        def finish(site: SiteCrawl, reason: str, message: str | None = None) -> None:
            try:
                summary = self._finish(archive, site, reason, message)
            except Exception:
                active[site.job.url] = site  # its run not closed: closed as this writer gives up
                raise
            results[site.index] = summary
            if on_result:
                on_result(site.index, summary)

        with Archive.open(self.db) as archive:
            try:
                self._start(archive)
            except redis.RedisError as exc:
                raise DistributedError(f"cannot use Redis at {p.shown(self.url)}: {exc}") from None
            # Each site's run starts as it is queued: one a blip or a lost Redis stops on the
            # way is recorded as interrupted with the others.
            active: dict[str, SiteCrawl] = {}
            try:
                self._queue_sites(archive, jobs, active)
                blip_since: float | None = None
                begun = 0
                while True:
                    try:
                        self._loop(archive, active, finish, on_progress)
                        break
                    except blips.BLIPS:
                        # Back with this crawl, the loop goes on, but blips in a row are given
                        # up GRACE_SECONDS after the first (blips.NoReply): a command of the
                        # round that never gets a reply, while Redis answers the crawl's check,
                        # was sent again for ever. A round begun since, past the one the last
                        # blip restarted, got every reply: this blip is the first of a row.
                        if blip_since is None or self.rounds > begun + 1:
                            blip_since = time.monotonic()
                        begun = self.rounds
                        self.link.after_blip(blip_since)
            except QueueLost:
                self.end_mark = p.CRAWL_LOST
                lost = f"Redis at {p.shown(self.url)} {p.QUEUE_LOST}"
                for site in list(active.values()):
                    finish(site, "redis lost", f"crawl interrupted: {lost}; run again to resume")
                raise DistributedError(f"{lost}: run again to resume") from None
            except redis.RedisError as exc:
                self.end_mark = p.CRAWL_LOST
                for site in list(active.values()):
                    finish(site, "redis lost", f"crawl interrupted: Redis at "
                           f"{p.shown(self.url)} was lost ({exc}); run again to resume")
                raise DistributedError(f"lost Redis at {p.shown(self.url)}: {exc}") from None
            except Exception as exc:
                self.dropped = self._wind_down(active)  # the archive busy or failing: given up
                self._close_given_up(archive, active, exc)
                raise
            finally:
                self._release()
                self._close_captures(archive)
        return [r for r in results if r is not None]

    def _start(self, archive: Archive) -> None:
        """`_claim`, through blips: Redis answered connect()'s PING, so a command that gets no
        reply is a blip, waited out as the crawl's are (blips.GRACE_SECONDS); raises Redis's
        error when it stays away. The claim is then made again from the start, safe whether
        the command ran or not: a writer key this writer set is its own (`_claim`), the dead
        writer's results are stored idempotently and trimmed only while first in their list
        (CrawlLink.trim_stored: its blip, before this crawl's id is set, is QueueLost here),
        and the rest deletes or sets keys. The grace counts from the first blip: a Redis that
        answers a GET but never the claim is given up too."""
        deadline: float | None = None
        while True:
            try:
                self._claim(archive)
                return
            except (*blips.BLIPS, QueueLost):
                deadline = deadline or time.monotonic() + blips.GRACE_SECONDS
                left = deadline - time.monotonic()
                if left <= 0:
                    raise blips.NoReply(f"no reply for {blips.GRACE_SECONDS:.0f} s") from None
                blips.crawl_after_blip(self.server, left)

    def _claim(self, archive: Archive) -> None:
        """Become the Redis's one writer; store what a dead writer left unstored."""
        me = {**p.identity(), "host": socket.gethostname(), "pid": os.getpid(),
              "settings": self.settings}
        if not self.server.set(p.WRITER, json.dumps(me), nx=True, ex=WRITER_SECONDS):
            other = json.loads(self.server.get(p.WRITER) or "{}")
            mine = other.get("host") == me["host"] and other.get("pid") == me["pid"]
            if not mine and not _writer_died(other, me["host"]):
                raise DistributedError(
                    f"another crawl is writing through Redis at {p.shown(self.url)} "
                    f"(pid {other.get('pid')} on {other.get('host')}): one writer per Redis "
                    "database; use another one (e.g. redis://HOST:6379/1) or wait for it")
            # Killed on this host (its key has not expired yet): take over at once.
            self.server.set(p.WRITER, json.dumps(me), ex=WRITER_SECONDS)
        self.me = json.dumps(me)
        refuse_other_archives(self.server, self.url, archive, self.me.encode())
        # Capture files a killed writer (or crawl) left open: their complete records indexed,
        # a torn tail cut, then closed, as a crawl without Redis does as it starts
        # (crawler.capture.middleware); else `check` says for ever they were left open.
        captures.recover(archive.conn, self.captures.directory)
        # A writer killed mid-crawl left results unstored: store them (in their runs, which
        # close_dead_runs then closes, if `runs` or `check` has not already), as storing is
        # idempotent; counted in those runs either way; a post fetched where its site moved
        # takes its new URL, as the dead writer would have given it (p.MOVES).
        self.dead_moves = {site.decode(): tuple(json.loads(move))
                           for site, move in self.server.hgetall(p.MOVES).items()}
        self._drain(archive, {}, dead_writers=True)
        # Its runs keep its sites' moves (noted as it learned them, unless it was killed
        # before that batch committed), as they would had it closed them: its runs as Redis
        # names them, or (a writer that gave up, which leaves none) as its results do.
        dead_runs = {site.decode(): int(run) for site, run in self.server.hgetall(p.RUNS).items()}
        for site, (_archived, moved_to) in self.dead_moves.items():
            if run := dead_runs.get(site) or self.dead_result_runs.get(site):
                archive.note_run(run, moved_note(moved_to))
        # Closed by _queue_sites; kept when this claim is made again after a blip deleted it.
        self.gave_up = gave_up_reasons(self.server, self.db) or self.gave_up
        self.server.delete(*p.every_key(self.server))
        self.server.set(p.CRAWL, self.crawl_id)  # no expiry: only a restart or flush drops it
        # Before any result: what this crawl leaves in Redis, even killed, is known as its own.
        self.server.set(p.ARCHIVE, json.dumps(archive_identity(self.db)))

    def _check_crawl(self) -> None:
        """Raise QueueLost when Redis no longer holds this crawl (see p.CRAWL)."""
        if self.server.get(p.CRAWL) != self.crawl_id:
            raise QueueLost

    def _wind_down(self, active: dict[str, SiteCrawl]) -> int:
        """Give the crawl up on this writer's own failure (the archive busy past its timeout, or
        unwritable), as a stop ends it: nothing more is fetched, and the requests the workers
        hold are waited for (STOP_GRACE at most), their results joining those this writer could
        not store, which `_release` leaves in Redis for the next writer. Until 2026-12-07 the
        writer deleted them with the crawl's keys: what the workers had fetched was lost.
        Returns how many requests the workers still held then, dropped (a long download: its
        result, sent later, is refused); until 2026-12-07 nothing said so."""
        try:
            for url in active:
                self._stop_site(url)  # what their earlier tries fetched comes as results
            deadline = time.monotonic() + STOP_GRACE
            while True:
                self.empty_queue()  # the child requests of those completed since too
                if not (held := int(self.server.zcard(p.LEASES))):
                    return 0
                if time.monotonic() >= deadline:
                    return held
                self.server.set(p.WRITER, self.me, ex=WRITER_SECONDS)
                time.sleep(POLL)
        except redis.RedisError:
            return 0  # lost: what is in Redis stays there, or went with it

    def _close_given_up(self, archive: Archive, active: dict[str, SiteCrawl],
                        exc: Exception) -> None:
        """Close the sites' runs saying why this writer gave up, if the archive lets it now;
        else keep why in Redis (p.GAVE_UP) for the next writer of this archive, which closes
        them so. Until 2026-12-07 the next command closed them as "killed or crashed"."""
        reason = f"its writer through Redis (pid {os.getpid()}) gave up: {exc}"
        try:
            archive.wait_briefly()  # it waited the whole busy timeout once already
            archive.close_dead_runs(self.gave_up)  # an earlier one's, if it failed before
            for site in active.values():
                archive.close_unfinished(site.run_id, reason)
        except ArchiveError:
            with contextlib.suppress(redis.RedisError):
                keep_gave_up(self.server, self.db, {
                    **self.gave_up, **{site.run_id: reason for site in active.values()}})

    def _release(self) -> None:
        """The crawl's keys deleted but the results not stored, the moves they need and their
        archive (p.LEAVE_RESULTS), and why this writer gave up (p.GAVE_UP): those stay for the
        next writer of that archive, which stores them as it starts."""
        try:
            self.server.delete(*[key for key in p.every_key(self.server)
                                 if key not in (p.RESULTS, p.MOVES, p.ARCHIVE, p.GAVE_UP)])
            self.leave_results(keys=[p.RESULTS, p.MOVES, p.ARCHIVE])
            if self.server.get(p.CRAWL) in (self.crawl_id, None):  # not a next writer's
                self.server.set(p.CRAWL, self.end_mark, ex=p.CRAWL_ENDED_SECONDS)
            if self.server.get(p.WRITER) == self.me.encode():
                self.server.delete(p.WRITER)
        except redis.RedisError:
            pass  # lost: the keys expire or the next writer clears them

    def _queue_sites(self, archive: Archive, jobs: Sequence[SiteJob],
                     active: dict[str, SiteCrawl] | None = None) -> dict[str, SiteCrawl]:
        """Start each job's run and queue its site in `active` (returned). Through a blip
        (CrawlLink), each command is sent again: Redis's time is read, the site's hashes set
        (HSET, the same values), its first request pushed (PUSH: see `_queue`)."""
        active = {} if active is None else active
        archive.close_dead_runs(self.gave_up)
        capturing = bool(self.settings.get("WIXARCHIVE_CAPTURE", True))
        if capturing:
            self.lost_files = lost_captures.lost_files(archive.conn, self.captures.directory)
        for index, job in enumerate(jobs):
            resumed_since = archive.resumed_since(job.url)
            started_at = _now()
            site = SiteCrawl(job, index, archive.start_run(job.url, started_at=started_at),
                         started_at, archive.known_posts(job.url),
                         media_plan({**self.settings, **job.media}),
                         archived_root(archive.conn, job.url))
            active[job.url] = site
            if self.lost_files:  # as a crawl without Redis does (crawler.spiders.wix)
                site.lost = lost_captures.lost_captures(
                    archive.conn, self.captures.directory, site.archived)
            # Its time limit, for the writer and (in Redis time) for the workers, which give
            # each of its downloads at most the time left (crawler.distributed.politeness).
            deadline = None
            if job.time_limit:
                site.deadline = time.monotonic() + job.time_limit
                seconds, micros = self.link.steady(self.server.time)
                deadline = seconds + micros / 1e6 + job.time_limit
            known = {url: json.dumps(list(k)) for url, k in site.known.items()}
            self.link.steady(partial(self._publish, site, resumed_since, deadline, known))
            # The sitemaps, the feed and the named post next.
            self._queue(site, "robots", job.url + "robots.txt")
            if job.post:
                site.discovered.add(job.post)
        return active

    def _publish(self, site: SiteCrawl, resumed_since: str | None, deadline: float | None,
                 known: dict[str, str]) -> None:
        """What the workers read of `site`: its run, settings and archived posts (HSETs)."""
        job = site.job
        pipe = self.server.pipeline(transaction=False)
        for start in range(0, len(known), 2000):
            chunk = dict(list(known.items())[start:start + 2000])
            pipe.hset(p.known_key(job.url), mapping=chunk)
        pipe.hset(p.RUNS, job.url, site.run_id)
        pipe.hset(p.SITES, job.url, json.dumps({
            "run": site.run_id, "concurrency": job.concurrency, "delay": job.delay,
            "resumed_since": resumed_since,
            # Fetched in full whatever their lastmod: their newest capture is lost, or
            # every post (`--refetch`).
            "recapture": sorted(site.lost.posts), "refetch": self.refetch,
            # The post the user named: asked for by the worker that reads robots.txt,
            # once it says where the site lives (a redirect there is the site's move).
            "post": job.post, "deadline": deadline}))
        pipe.execute()

    def _queue(self, site: SiteCrawl, kind: str, url: str, meta: dict[str, Any] | None = None,
               headers: dict[str, str] | None = None) -> None:
        score, member = _member(site.job.url, kind, url, site.run_id, meta, headers)
        # Safe twice: PUSH queues a member not queued (ZADD NX); one taken since is stored once.
        self.link.steady(lambda: self.push(keys=[p.PENDING, p.STOPPED, p.RUNS], args=[
            score, member, site.job.url, site.run_id, p.roots_arg(meta or {})]))

    def _queue_listings(self, site: SiteCrawl) -> None:
        """The blog's home (the feed names it; /blog by default) and the page the user named
        (SiteJob.named), as listing pages (crawler.discover.listings.listing_starts), under
        the root the site moved to, as a crawl without Redis starts them: where robots.txt
        redirected (SiteCrawl.moved_to), or the feed's blog home's root when that is elsewhere."""
        roots = self._roots(site)
        for start, named in listing_starts(site.blog_home, roots[-1], site.job.named):
            meta: dict[str, Any] = {HTML_ONLY: True, LISTING_HOME: start, NAMED_PAGE: named}
            if len(roots) > 1:
                meta[ROOTS] = roots
            self._queue(site, "listing", start, meta)

    @staticmethod
    def _roots(site: SiteCrawl) -> list[str]:
        """The site's roots, the one it is fetched at last: where robots.txt redirected
        (SiteCrawl.moved_to), or the feed's blog home's root when that is elsewhere."""
        roots = [site.job.url, site.moved_to] if site.moved_to else [site.job.url]
        if site.blog_home and not in_any_site(site.blog_home, roots):
            # The feed itself redirected there (moved_root).
            roots.append(site_root(site.blog_home))
        return roots

    def _queue_languages(self, site: SiteCrawl) -> None:
        """The site's home page, for its languages, when the sitemaps did not name the posts'
        translations and no worker read it yet (crawler.spiders.wix._language_requests)."""
        if site.translations_listed or site.root_read:
            return
        roots = self._roots(site)
        meta: dict[str, Any] = {HTML_ONLY: True, "dont_retry": True,
                                **({ROOTS: roots} if len(roots) > 1 else {})}
        self._queue(site, "languages", roots[-1], meta)

    def _queue_language_listings(self, site: SiteCrawl) -> None:
        """Each language's blog home (its feed names it; /fr/blog by default) as a listing, for
        a site without a posts sitemap (crawler.spiders.wix._language_listing_starts)."""
        roots = self._roots(site)
        starts = {home or language + "blog": language
                  for language, home in sorted(site.language_homes.items())}
        for start, language in starts.items():
            meta: dict[str, Any] = {HTML_ONLY: True, LISTING_HOME: start, NAMED_PAGE: False,
                                    LANGUAGE_ROOT: language}
            if len(roots) > 1:
                meta[ROOTS] = roots
            self._queue(site, "listing", start, meta)

    def _queue_checks(self, site: SiteCrawl) -> None:
        """Once discovery is done, the site's archived posts it did not list (Wix leaves
        noindex posts out of its sitemap; an emptied site lists none) are asked for again,
        conditionally, when the site's posts were all listed, by the rule of a crawl without
        Redis (crawler.discover.checks): a worker reports one answering 404/410 gone, which
        marks it deleted; one that answers is counted unchanged or stored as usual. When they
        were not all listed, the summary says how many went unchecked.

        The feed's posts count as listed, and those archived that a posts sitemap lacks
        are asked for too (the workers asked only for the others), as WixBlogSpider.parse_feed
        does, whether the sitemaps were read in full or not."""
        from_feed = [url for url in sorted(site.feed_posts - site.discovered)
                     if site.sitemap_urls and url not in site.sitemap_urls]
        site.discovered |= site.feed_posts
        # A post archived at the address the site moved from that the new host lists counts
        # as listed: asked again, it would only redirect there (WixBlogSpider.posts_to_check).
        moved = _listed_at_the_new_host(site)
        checks, unchecked = site.discovery.posts_to_check(site.known, site.sitemap_urls,
                                                          site.discovered | set(moved))
        if unchecked:
            site.stats["wixarchive/unchecked"] = unchecked
        if again := sum(1 for old, new in moved.items()
                        if old in site.known and new not in site.known):
            site.stats[ARCHIVED_BEFORE_THE_MOVE] = again
        for url in [*from_feed, *checks]:
            self._queue_post(site, url)

    def _queue_post(self, site: SiteCrawl, url: str) -> None:
        """A post page, asked for conditionally when it is archived (unchanged, a 304) unless
        it is fetched in full (`--refetch`, its capture lost)."""
        headers = post_request_headers(site.known.get(url),
                                       in_full=self.refetch or url in site.lost.posts)
        self._queue(site, "post", url, {HTML_ONLY: True, "handle_httpstatus_list": POST_STATUSES},
                    headers)

    def _queue_media(self, archive: Archive, site: SiteCrawl) -> None:
        """The images of the site's archived posts not archived yet (all committed by now);
        their bytes come back as captures, their outcomes as media rows."""
        plan = site.media
        urls: list[str] = []
        lost = site.lost.media  # stored, their capture lost: fetched again
        if plan.images:
            urls, _ = captures.media_to_fetch(archive.conn, site.archived)  # once per site: all
            urls += [url for url, kind in lost.items() if kind == "image"]
        # The images the post pages show (logos, avatars too) with --page-requisites; without
        # it, those of them stored whose capture is lost (crawler.page_requisites).
        if plan.page_requisites or (plan.images and self.lost_files):
            from crawler.page_requisites import to_fetch

            shown, *_ = to_fetch(archive.conn, self.captures.directory, site.archived,
                                 limit=None, lost=self.lost_files,
                                 only_lost=not plan.page_requisites)
            urls = list(dict.fromkeys([*urls, *shown]))
        for url in urls:
            fetch = url
            if self.media_base and url.startswith(WIX_MEDIA):
                fetch = self.media_base + url[len(WIX_MEDIA):]  # tests: served on loopback
            self._queue(site, "media", fetch, {
                "media_url": url, "download_maxsize": plan.cap, "download_warnsize": 0,
                "dont_retry": True, "handle_httpstatus_list": list(range(400, 600)),
                **_mirrored(fetch, url)})
        files, _ = attachments.to_fetch(archive.conn, site.archived, plan.file_kinds)
        files += [url for url, kind in lost.items() if kind in plan.file_kinds]
        for url in files:
            fetch = file_fetch_url(url, self.video_base)
            self._queue(site, "media", fetch, {
                "media_url": url, FILE_META: True, "download_maxsize": plan.cap,
                "download_warnsize": 0, "dont_retry": True,
                "handle_httpstatus_list": list(range(400, 600)), **_mirrored(fetch, url)})

    def _loop(self, archive: Archive, active: dict[str, SiteCrawl],
              finish: Callable[[SiteCrawl, str, str | None], None],
              on_progress: Callable[[str], None] | None) -> None:
        last_report = time.monotonic()
        stop_deadline: float | None = None
        waiting = WaitingForWorkers(self.url, time.monotonic())
        while active:
            self.rounds += 1
            self.server.set(p.WRITER, self.me, ex=WRITER_SECONDS)
            self.reap(keys=[p.LEASES, p.LEASE_DATA, p.REDOS, p.PENDING, p.RESULTS],
                      args=[p.MAX_REDOS])
            # The pending counts only while Redis still holds the crawl (read in one
            # transaction with its id): an emptied Redis reads 0 for every site.
            counts, crawl_id = self.server.pipeline().hgetall(p.PENDING).get(p.CRAWL).execute()
            if crawl_id != self.crawl_id:
                raise QueueLost
            pending = {k.decode(): int(v) for k, v in counts.items()}
            # Every result of a request is pushed before its pending count drops (one atomic
            # script), so once the list is drained, a site at 0 has delivered everything...
            stored, drained = self._drain(archive, active, seconds=DRAIN_SECONDS)
            if not drained:
                continue  # a site at 0 may still have results waiting: finish none yet
            self._check_crawl()  # ...unless Redis lost them since the counts were read
            if self.stopping:
                if stop_deadline is None:
                    stop_deadline = time.monotonic() + STOP_GRACE
                    # Nothing more is sent, held requests included; what the queued retries'
                    # earlier tries fetched comes back as results (drained next, before any
                    # site finishes), counted as a crawl without Redis counts every download.
                    for site in active.values():
                        site.interrupted = True
                        self._stop_site(site.job.url)
                    self.empty_queue()
                    continue
                self.empty_queue()  # nothing more is fetched
            for url, site in list(active.items()):
                if site.stop_reason is None and (site.stopped_early or (
                        site.deadline is not None and time.monotonic() >= site.deadline)):
                    # Its time limit, or failing (stopped by a worker, its queued requests
                    # dropped then): nothing more is fetched for it.
                    site.stop_reason = site.stopped_early or TIME_LIMIT
                    site.stopped_at = time.monotonic()
                    self._stop_site(url)
                if site.stop_reason is not None:
                    # The requests the workers held are waited for (each refused at once, or
                    # a download cut to the time limit), as a crawl without Redis counts every
                    # download its close lets end: its run counted none of them.
                    if (pending.get(url, 0) > 0
                            and time.monotonic() < site.stopped_at + STOP_GRACE):
                        continue
                    if pending.get(url, 0) > 0:  # past the grace: dropped
                        site.dropped = held_requests(self.server)[url]
                    self._stop_site(url)  # a retry, or a lease reaped, queued since
                    del active[url]
                    finish(site, site.stop_reason)
                elif pending.get(url, 0) > 0:
                    if stop_deadline is None or (time.monotonic() < stop_deadline
                                                 and self.server.zcard(p.LEASES)):
                        continue
                    site.dropped = held_requests(self.server)[url]  # past the grace: dropped
                    del active[url]
                    finish(site, "shutdown", None)
                elif stop_deadline is not None:
                    del active[url]
                    finish(site, "shutdown", None)
                elif (not site.sitemap_urls and not site.listings_queued
                      and not site.unreachable):
                    # No posts sitemap: the blog's listing pages, as the single-site spider.
                    site.listings_queued = True
                    self._queue_listings(site)
                elif not site.languages_queued and not site.unreachable:
                    site.languages_queued = True
                    self._queue_languages(site)
                elif (not site.sitemap_urls and not site.language_listings_queued
                      and not site.unreachable):
                    site.language_listings_queued = True
                    self._queue_language_listings(site)
                elif not site.checks_queued and not site.unreachable:
                    site.checks_queued = True
                    self._queue_checks(site)
                elif site.media.on and not site.media_queued and not site.unreachable:
                    site.media_queued = True
                    self._queue_media(archive, site)
                else:
                    del active[url]
                    finish(site, _end_reason(site), None)
            now = time.monotonic()
            if on_progress and active and not self.stopping and (
                    notice := waiting.notice(now, self._workers)):
                on_progress(notice)
            if on_progress and now - last_report >= 10 and active:
                last_report = now
                queued = int(self.queued())
                on_progress(f"{counted(len(active), 'site')} running, "
                            f"{counted(queued, 'request')} queued, "
                            f"{counted(self._workers(), 'worker')}")
            if not stored and active:
                time.sleep(POLL)

    def _stop_site(self, url: str) -> None:
        """Nothing more is fetched for the site: its queued requests are dropped (what their
        earlier tries downloaded comes back as results: p.dropped_message)."""
        self.stop_site(keys=[p.STOPPED, p.PENDING, p.RESULTS], args=[url])

    def _workers(self) -> int:
        return sum(1 for _ in self.server.scan_iter(match=p.WORKERS_PATTERN, count=1000))

    def _drain(self, archive: Archive, active: dict[str, SiteCrawl],
               seconds: float | None = None, *, dead_writers: bool = False) -> tuple[int, bool]:
        """Store the results waiting in Redis, a batch per transaction, for up to `seconds`;
        returns how many, and whether none is left waiting. `dead_writers`: they are the
        results a killed writer left, counted in its runs even once closed as interrupted."""
        total = 0
        deadline = None if seconds is None else time.monotonic() + seconds
        while raw := _within(self.server.lrange(p.RESULTS, 0, BATCH - 1), BATCH_BYTES):
            messages = [p.decode_message(message) for message in raw]
            tallies: list[tuple[SiteCrawl, dict[str, Any], list[tuple[str, str]]]] = []
            try:
                rows, files = self._write_captures(archive, messages,
                                                   written_before=dead_writers)
                with archive.transaction() as conn:
                    # Synced above: the index never names a record not safely in its file.
                    captures.index_rows(conn, rows)
                    for name, size, closed in files:
                        captures.mark_file(conn, name, size, closed=closed)
                    added: dict[int, Counter[str]] = {}
                    for message in messages:
                        site = active.get(message.get("site", ""))
                        if dead_writers and message.get("run") is not None:
                            self.dead_result_runs.setdefault(message.get("site") or "",
                                                             int(message["run"]))
                        outcomes = self._store_message(archive, site, message)
                        if site is not None:
                            tallies.append((site, message, outcomes))
                        if message.get("run") is not None:
                            added.setdefault(message["run"], Counter()).update(
                                run_counts(message, outcomes))
                    # The runs' counts in the batch's transaction, as the local archive worker
                    # keeps them: a writer killed outright leaves runs showing what they stored.
                    for run_id, counts in added.items():
                        if counts:
                            archive.add_run_counts(run_id, dict(counts),
                                                   interrupted_too=dead_writers)
            except (ArchiveError, OSError) as exc:
                raise DistributedError(f"cannot write the archive: {exc}") from None
            # Committed: only now are the results counted and removed from Redis.
            self.link.trim_stored(p.RESULTS, raw)
            for site, message, outcomes in tallies:
                tally(site, message, outcomes)
            total += len(raw)
            if deadline is not None and time.monotonic() >= deadline:
                return total, False  # the loop renews the writer's key, then comes back
        return total, True

    def _write_captures(self, archive: Archive, messages: list[dict[str, Any]], *,
                        written_before: bool = False,
                        ) -> tuple[list[captures.CaptureRow], list[tuple[str, int, bool]]]:
        """Write the batch's exchanges as WARC records and sync them; returns the rows to index
        and the files to mark (name, size, closed). `written_before`: the results a killed
        writer left, whose exchanges it may have written already (killed before it could remove
        them from Redis); those indexed whole where it wrote them (by it, or by recovery as this
        writer took over) are not written again: a WARC tool read them twice."""
        exchanges = [exchange for message in messages
                     for exchange in message.get("captures", ())]
        if written_before:
            whole = captures.whole_exchanges(archive.conn, [e.record_id for e in exchanges])
            exchanges = [e for e in exchanges if e.record_id not in whole]
        rows = []
        for exchange in exchanges:
            rows.append(self.captures.write(exchange, self._revisit_of(archive, exchange)))
            if rows[-1].kind == "response" and exchange.body:
                self.seen_payloads.setdefault(rows[-1].payload_digest or "",
                                              (rows[-1].url, rows[-1].fetched_at))
        if not rows and not self.captures.closed_files:
            return [], []
        self.captures.sync()
        files = [(name, size, True) for name, size in self.captures.closed_files]
        self.captures.closed_files.clear()
        if self.captures.name is not None:
            files.append((self.captures.name, self.captures.size, False))
        return rows, files

    def _revisit_of(self, archive: Archive, exchange: captures.Exchange,
                    ) -> tuple[str, str] | None:
        """An archived response with the same payload: the record is then a revisit."""
        if not exchange.body:
            return None
        digest = captures.payload_digest(exchange.body)
        return self.seen_payloads.get(digest) or captures.earlier_response(
            archive.conn, digest, self.lost_files)  # never a copy that is lost

    def _close_captures(self, archive: Archive) -> None:
        try:
            self.captures.close()
            if self.captures.closed_files:
                with archive.transaction() as conn:
                    for name, size in self.captures.closed_files:
                        captures.mark_file(conn, name, size, closed=True)
                self.captures.closed_files.clear()
            if self.lost_files:
                # Lost records captured again leave the index: `check` then passes.
                with archive.transaction() as conn:
                    lost_captures.forget_replaced(conn, self.captures.directory)
        except (OSError, ArchiveError):
            pass  # indexed up to the last batch; the next crawl's recovery sees the rest

    def _store_message(self, archive: Archive, site: SiteCrawl | None, message: dict[str, Any],
                       ) -> list[tuple[str, str]]:
        outcomes = []
        if site is None:
            self._learn_dead_move(archive, message)
        if site is not None and _note_move(site, message.get("moved_to")):
            # Kept in Redis too: a writer taking over from this one, killed, knows of it; and
            # in the run, which keeps it if this writer is killed (as its end records it).
            move = json.dumps([site.archived, site.moved_host])
            self.link.steady(lambda: self.server.hset(p.MOVES, site.job.url, move))  # safe twice
            archive.note_run(site.run_id, moved_note(site.moved_host or ""))
        if site is not None:
            store_sitemap_lastmods(archive, site, message.get("lastmods", {}))
            if listed := message.get("listed_unchanged"):
                # Counted unchanged by the worker as it read the sitemap: only seen, here.
                archive.touch_listed(listed["urls"], seen_at=listed["seen_at"])
        for item in message.get("items", []):
            url = item_url(item)
            is_post = item[0] in ("post", "unchanged")
            if site is not None and item[0] == "post":
                item = with_sitemap_lastmod(site, item)
            if site is not None and is_post and url in site.stored:
                # Delivered twice (its first worker died after sending it), or the same post
                # under a second spelling (a listing's /post/My-Slug, archived as the page's
                # canonical /post/my-slug): counted once, as crawler.pipelines.worker does.
                continue
            try:
                with archive.savepoint():
                    outcome = store_result(archive, item, message.get("run"),
                                     recapture=site is not None and url in site.lost.posts,
                                     moved_from=_archived_at_the_old_address(site, url)
                                     or self._dead_writers_move(archive, site, message, url))
            except Exception as exc:  # one post's failure costs it alone
                outcome = f"error:not archived: {exc}"
            if site is not None and is_post:
                site.stored.add(url)
                if item[0] == "post" and item[2]["lastmod"] is None and ":" not in outcome:
                    site.fetched_without_lastmod[url] = item[2]["fetched_at"]
            outcomes.append((url, outcome))
        return outcomes

    def _learn_dead_move(self, archive: Archive, message: dict[str, Any]) -> None:
        """A killed writer's result saying where its site moved (a worker's `moved_to`) that it
        never stored, so never kept in p.MOVES: the move it would have kept, learned here before
        the results of the posts fetched there, which come after it (children of the
        robots.txt's request), so that they take their new URLs too (_dead_writers_move)."""
        site, moved_to = message.get("site") or "", message.get("moved_to")
        if not moved_to or not site or site in self.dead_moves:
            return
        archived = archived_root(archive.conn, site)
        if _is_move(moved_to, site, archived):
            self.dead_moves[site] = (archived, moved_to)

    def _dead_writers_move(self, archive: Archive, site: SiteCrawl | None,
                           message: dict[str, Any], url: str) -> str | None:
        """The URL on the address its site moved from of a post a killed writer left unstored,
        fetched where the site moved (self.dead_moves), or at its old Wix blog URL
        (/single-post/…, where an import or recover archived it) for a /post/<slug> page: the
        post archived there takes `url` (archive.ingest._follow_moves leaves it be when it is
        not archived, or `url` is), as the killed writer would have moved it
        (_archived_at_the_old_address). Until 2026-12-07 the old blog's post stayed, a second
        post at `url` beside it, then marked deleted by the crawl resuming."""
        name = message.get("site") or ""
        archived, moved_to = self.dead_moves.get(name, ("", ""))
        if moved_to and url.startswith(moved_to):
            return archived + url[len(moved_to):]
        if site is not None or not name:
            return None  # a running site's old blog posts: _archived_at_the_old_address
        if name not in self.dead_old_blog:
            self.dead_old_blog[name] = old_blog_posts(archive.known_posts(name))
        return old_blog_url(url, self.dead_old_blog[name])

    def _finish(self, archive: Archive, site: SiteCrawl, reason: str,
                message: str | None) -> dict[str, Any]:
        stats = {**site.stats, MOVED_TO: site.moved_host} if site.moved_host else site.stats
        if archived := sum(1 for post in site.known.values() if post.deleted_at is None):
            stats = {**stats, ARCHIVED_POSTS: archived}  # said if none is found (summarize)
        if site.archived != site.job.url and site.archived not in site_twins(site.job.url):
            # The address an archived site moved to: its crawl continues that site, said as
            # a crawl without Redis says it (WixBlogSpider.moved_here_from).
            stats = {**stats, MOVED_HERE_FROM: site.archived}
        # Under the site archived, as a crawl without Redis names it (WixBlogSpider.site).
        summary = summarize(site.archived, stats, reason, site.errors,
                            time_limit=site.job.time_limit or 0)
        if message:
            summary.message = message
        if site.dropped:
            summary.message = "; ".join(
                filter(None, (summary.message, dropped_words(site.dropped, STOP_GRACE))))
        summary.started_at, summary.finished_at = site.started_at, _now()
        counts = {**summary.counts, "pages": summary.pages_fetched}
        archive.finish_run(site.run_id, status=summary.status, counts=counts,
                           errors=summary.recorded_errors(),
                           finished_at=summary.finished_at)
        summary.run_id = site.run_id
        # The writer's own peak memory: the workers' run elsewhere (each one's is its own).
        summary.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        return summary.to_dict() | {"timed_out": reason == TIME_LIMIT}


def _note_move(site: SiteCrawl, moved_to: str | None) -> bool:
    """A worker's `moved_to` (where robots.txt redirected), kept as the site's move when it is
    another host, not the site's own other spelling (`www.`, http or https); whether it was."""
    if moved_to and site.moved_host is None and _is_move(moved_to, site.job.url, site.archived):
        site.moved_host = moved_to
        return True
    return False


def _is_move(moved_to: str, site: str, archived: str) -> bool:
    """Whether `moved_to` is another host than the site's, not its own other spelling."""
    return not any(moved_to in site_twins(own) for own in (site, archived))


def _archived_at_the_old_address(site: SiteCrawl | None, url: str) -> str | None:
    """The URL a post fetched at the host the site moved to is archived at on the old address,
    or a /post/<slug> post at its old blog URL, when it is archived there only: that post takes
    `url` (WixBlogSpider's _archived_at_the_old_address)."""
    if site is None:
        return None

    def old_blog() -> dict[str, str]:
        if site.old_blog is None:
            site.old_blog = old_blog_posts(site.known)
        return site.old_blog
    return archived_before_a_move(url, site.known, site.archived, site.moved_host, old_blog)


def _listed_at_the_new_host(site: SiteCrawl) -> dict[str, str]:
    """The posts listed this time at the host the site moved to, by their URL at the address
    it moved from (WixBlogSpider._listed_at_the_new_host)."""
    moved_to = site.moved_host
    if not moved_to:
        return {}
    return {site.archived + url[len(moved_to):]: url
            for url in site.sitemap_urls | site.discovered if url.startswith(moved_to)}


def _mirrored(fetch: str, url: str) -> dict[str, Any]:
    """The request meta that captures a mirror's answer under the URL it stands for."""
    return {MIRROR_META: {fetch: url}} if fetch != url else {}


def _within(raw: list[bytes], limit: int) -> list[bytes]:
    """The first messages of `raw` up to `limit` bytes in all (at least one)."""
    total = 0
    for count, message in enumerate(raw):
        total += len(message)
        if total > limit and count:
            return raw[:count]
    return raw


def _writer_died(writer: dict[str, Any], host: str) -> bool:
    """Whether the writer named in Redis ran on this host and its process is gone."""
    pid = writer.get("pid")
    if writer.get("host") != host or not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


# -- for the commands (`crawl --redis`, `run-due --redis`) ------------------------------------

# The crawl's settings the writer keeps: those every worker takes from it
# (crawler.distributed.worker), what the writer queues (media), and `--refetch` (per site).
SHARED = ("USER_AGENT", "WIXARCHIVE_CONTACT", "ROBOTSTXT_OBEY", "DOWNLOAD_TIMEOUT",
          "WIXARCHIVE_CAPTURE", "WIXARCHIVE_MEDIA", "WIXARCHIVE_MEDIA_MAX_BYTES",
          "WIXARCHIVE_MEDIA_KINDS", "WIXARCHIVE_PAGE_REQUISITES", "WIXARCHIVE_REFETCH")


# When a failing site is backed off and stopped (crawler.distributed.backoff), and the longest
# Retry-After waited (crawler.distributed.retry_after): read by each worker, workers could
# disagree (one stopping a site after 10 failures, another after 50; one waiting a Retry-After
# of 30 s the writer's setting called too long); the writer's values, as a crawl without Redis
# reads them (crawler.run), hold for all.
FAILURE_SETTINGS = ("WIXARCHIVE_MAX_SERVER_ERRORS", "WIXARCHIVE_MAX_FAILING_SECONDS",
                    "WIXARCHIVE_BACKOFF_START", "WIXARCHIVE_BACKOFF_MAX",
                    "WIXARCHIVE_RETRY_AFTER_STOP", "WIXARCHIVE_RETRY_AFTER_MAX")


def failure_settings(overrides: dict[str, Any]) -> dict[str, Any]:
    """The writer's FAILURE_SETTINGS: its overrides (`--set`), else its environment (which
    crawler.run reads for all but WIXARCHIVE_BACKOFF_START), else the defaults."""
    return {name: overrides.get(name)
            or (os.environ.get(name) if name != "WIXARCHIVE_BACKOFF_START" else None)
            or getattr(defaults, name) for name in FAILURE_SETTINGS}


def site_job(url: str, overrides: dict[str, Any]) -> SiteJob:
    """The job of the site `url` (as the user gave it) belongs to, with the page it names."""
    start = url if "://" in url else f"https://{url}"  # as WixBlogSpider takes it
    return SiteJob(site_root(url),
                   concurrency=int(overrides.get("CONCURRENT_REQUESTS_PER_DOMAIN",
                                                 defaults.CONCURRENT_REQUESTS_PER_DOMAIN)),
                   delay=float(overrides.get("DOWNLOAD_DELAY", defaults.DOWNLOAD_DELAY)),
                   named=named_page(url),
                   post=normalize_url(start) if is_post_url(start) else None)


def run_writer(jobs: Sequence[SiteJob], db: Path, overrides: dict[str, Any], redis_url: str,
               on_result: Callable[[int, dict[str, Any]], None], *,
               on_progress: Callable[[str], None] | None = None,
               writer_ready: Callable[[RedisWriter], None] | None = None,
               handle_signals: bool = True) -> str | None:
    """Crawl `jobs` through Redis; returns None, or the one-line reason it could not finish
    (each site then still got its summary, as interrupted)."""
    settings = {**{k: v for k, v in overrides.items() if k in SHARED},
                **failure_settings(overrides)}
    try:
        writer = RedisWriter(db, redis_url, settings)
    except DistributedError as exc:
        return str(exc)

    if writer_ready:
        writer_ready(writer)
    previous = {signum: signal.signal(signum, lambda number, _: writer.stop(number))
                for signum in (signal.SIGINT, signal.SIGTERM)} if handle_signals else {}
    try:
        writer.crawl(jobs, on_result, on_progress)
    except (DistributedError, ArchiveError) as exc:
        return str(exc)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return None
