"""Crawl sites in this process: `python -m crawler.run URL... --db PATH --summary FILE`.

Twisted's reactor cannot be restarted inside a process, so `wixarchive crawl` (and the tests)
start one of these processes per crawl; it crawls every site given, many at once (see
run_sites). The outcome is written as JSON to --summary (one object for one site, else a list),
or one line per site to --results-fd as each site ends, so the caller never parses Scrapy's
output. With --lifeline-fd, the crawl stops cleanly once the process that started it is gone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.ossignal import install_shutdown_handlers
from twisted.internet.defer import Deferred, DeferredList, succeed

from archive.crawls import STOP_SIGNALS
from crawler.discover.urls import BadURL, site_root
from crawler.downloader.time_limit import REASON as TIME_LIMIT_REASON
from crawler.pipelines.supervisor import close_all
from crawler.spiders.wix import WixBlogSpider
from crawler.summary import CrawlSummary, summarize

# With the asyncio reactor and no delay, Scrapy 2.19's downloader starts every queued request of
# a site before the first one counts as transferring, so CONCURRENT_REQUESTS_PER_DOMAIN is not
# enforced. Any delay makes it start one request per slot turn, which restores the limit; a
# millisecond costs nothing measurable.
MIN_DOWNLOAD_DELAY = 0.001
CALLER_GONE = ("The command that started this crawl has exited: stopping, finishing the pages "
               "under way and saving them\n")


def crawl_settings(db: str | Path, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    # Crawl processes hand Scrapy their spider classes; loading SPIDER_MODULES (for `scrapy
    # crawl`) imported the Redis spider and its stack into every crawl: ~0.17 s of CPU each.
    settings.set("SPIDER_MODULES", [], priority="project")
    settings.set("WIXARCHIVE_DB", str(db), priority="cmdline")
    # Where static.wixstatic.com/media/ files are fetched from instead (a mirror; the test suite
    # points it at loopback so no test reaches the real host).
    # WIXARCHIVE_PRIVATE_ADDRESSES: what non-public addresses the crawl may reach
    # (crawler.downloader.addresses); the commands check its value at their start.
    # WIXARCHIVE_BACKOFF_MAX: the longest wait between requests to a failing site
    # (crawler.downloader.backoff; the test suite shortens it); WIXARCHIVE_MAX_SERVER_ERRORS and
    # WIXARCHIVE_MAX_FAILING_SECONDS: when a failing site is stopped (crawler.downloader.
    # failing_site); WIXARCHIVE_RETRY_AFTER_MAX and WIXARCHIVE_RETRY_AFTER_STOP: the longest
    # Retry-After waited, and how many longer ones stop a site (crawler.downloader.retry_after),
    # read as `crawl --redis` reads them for its workers (archive.distributed.failure_settings).
    for name in ("WIXARCHIVE_MEDIA_BASE", "WIXARCHIVE_VIDEO_BASE", "WIXARCHIVE_PRIVATE_ADDRESSES",
                 "WIXARCHIVE_BACKOFF_MAX", "WIXARCHIVE_MAX_SERVER_ERRORS",
                 "WIXARCHIVE_MAX_FAILING_SECONDS", "WIXARCHIVE_RETRY_AFTER_MAX",
                 "WIXARCHIVE_RETRY_AFTER_STOP"):
        if os.environ.get(name):
            settings.set(name, os.environ[name], priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    if settings.getfloat("DOWNLOAD_DELAY") < MIN_DOWNLOAD_DELAY:
        settings.set("DOWNLOAD_DELAY", MIN_DOWNLOAD_DELAY, priority="cmdline")
    contact = settings.get("WIXARCHIVE_CONTACT")
    if contact and "USER_AGENT" not in (overrides or {}):
        settings.set("USER_AGENT", f"{settings.get('USER_AGENT')[:-1]}; {contact})",
                     priority="cmdline")
    return settings


def run_crawl(url: str, db: str | Path, overrides: dict[str, Any] | None = None) -> CrawlSummary:
    """Crawl one site (see run_sites)."""
    results: list[dict[str, Any]] = []
    run_sites([SiteJob(url)], db, overrides, on_result=results.append)
    summary = CrawlSummary(**{k: v for k, v in results[0].items()
                              if k in CrawlSummary.__dataclass_fields__})
    return summary


@dataclass
class SiteJob:
    """One site of a multi-site crawl: its URL, its own Scrapy settings (politeness), the
    descriptor of its lock (closed once the site is done, so the lock frees then), and its
    time limit in seconds."""

    url: str
    settings: dict[str, Any] = field(default_factory=dict)
    lock_fd: int | None = None
    time_limit: float | None = None


class _SitesProcess(CrawlerProcess):
    """A CrawlerProcess that remembers a stop was asked for (Ctrl-C, SIGTERM, the caller gone):
    sites still waiting for a place are not started, and a site still opening when it came is
    stopped as soon as its engine runs. Scrapy's stop of a crawler still opening does nothing:
    that site then crawled on as if never stopped, or never ended."""

    stopping = False

    def stop(self) -> Any:
        if self.stopping:
            # Again: the reactor is shutting down (a second Ctrl-C forces it), which waits for
            # what this returns. Nothing more to wait for.
            return succeed(None)
        self.stopping = True
        for crawler in self.crawlers:
            limit = getattr(crawler, "wixarchive_time_limit", None)
            if limit is not None:
                limit.stop_now()  # no retry or new request goes out while the sites close
        # A site already closing (finished, or at its time limit) is left to finish its close.
        # Scrapy's stop of it returns, and ends its crawl, once its downloads are done: its
        # pipeline was then cut off while still committing, and the site had neither run
        # record nor summary. A site still opening is stopped once it runs (engine_started).
        stopped = DeferredList([_stop_crawler(crawler) for crawler in self.crawlers
                                if _running(crawler) and not _closing(crawler)])
        stopped.addBoth(lambda _: self.join())  # every site's crawl ended, its close included
        return stopped

    def engine_started(self, sender: Any) -> None:
        """The `engine_started` handler of each site's crawler (`sender`): its engine runs a
        turn or two of the loop after it; a stop that came while it opened stops it then."""
        from twisted.internet import reactor

        if sender not in self.crawlers:
            return  # its crawl has ended
        if not _running(sender):
            reactor.callLater(0, self.engine_started, sender)  # type: ignore[attr-defined]
        elif self.stopping and not _closing(sender):
            _stop_crawler(sender)

    def stop_for_lost_caller(self) -> None:
        """The command that started this crawl is gone: stop as the SIGTERM it would have
        forwarded does (each site finishes its pages under way, commits them and records its
        run as interrupted), unless a stop is already under way. Called in the reactor."""
        if self.stopping or signal.getsignal(signal.SIGTERM) == self._signal_kill:
            return  # a signal came first (its stop may still be queued): let it run its course
        with contextlib.suppress(OSError):  # on a terminal, below the progress line
            os.write(2, (("\r\033[K" if os.isatty(2) else "") + CALLER_GONE).encode())
        install_shutdown_handlers(self._signal_kill)  # as after a first signal: the next forces
        self._graceful_stop_reactor()


def _watch_lifeline(fd: int, process: _SitesProcess) -> None:
    """Stop the crawl once the process that started it is gone. `fd` is the read end of a pipe
    whose only write end that process holds and never writes to: the kernel closes it however
    the process ends (SIGKILL, OOM kill), and this read then sees end of file.

    Why a pipe: this process runs in a session of its own (archive/crawls.py), so a kill of its
    caller's process group does not reach it, and it must notice its caller's death by itself.
    Linux's PR_SET_PDEATHSIG exists only on Linux, watches the *thread* that started the child
    (the scheduler starts crawlers from threads), needs a getppid() check against the race
    before it is set, and delivers a signal, which Scrapy takes as a second stop (quit at once,
    nothing in flight saved) if a stop is already under way. Polling os.getppid() notices only
    at its next tick. The pipe is exact, immediate and works on every POSIX system: a caller
    that died before this thread starts has already closed its end, so nothing is missed.
    """
    from twisted.internet import reactor  # installed by now: the crawlers were created

    def wait() -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 512):  # the caller never writes: blocks until it is gone
                pass
        with contextlib.suppress(RuntimeError):  # the crawl has ended: its loop is closed
            reactor.callFromThread(process.stop_for_lost_caller)  # type: ignore[attr-defined]

    threading.Thread(target=wait, name="wixarchive-lifeline", daemon=True).start()


def _running(crawler: Any) -> bool:
    return bool(getattr(getattr(crawler, "engine", None), "running", False))


def _closing(crawler: Any) -> bool:
    slot = getattr(getattr(crawler, "engine", None), "_slot", None)  # private: no public flag
    return slot is not None and slot.closing is not None


def _stop_crawler(crawler: Any) -> Deferred[Any]:
    if hasattr(crawler, "stop_async"):  # Scrapy >= 2.14
        return deferred_from_coro(crawler.stop_async())
    return crawler.stop()


class _WithoutTraceback(logging.Filter):
    """Scrapy's robots.txt middleware logs a robots.txt it could not fetch (an image host
    that does not resolve, say) with the whole traceback. Its message already names the
    request and the error, and the request then goes on and fails on its own (recorded per
    image), so the user gets that one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


DERIVED_SETTINGS = ("DOWNLOAD_DELAY", "USER_AGENT")  # crawl_settings computes them


def _site_settings(db: str | Path, common: dict[str, Any], job: SiteJob) -> dict[str, Any]:
    """The settings that make this site's crawler differ from the process's: its politeness
    (with the same derived values crawl_settings computes) and its time limit."""
    merged = {**common, **job.settings}
    if job.time_limit:
        merged["WIXARCHIVE_TIME_LIMIT"] = job.time_limit
    if not job.settings and not job.time_limit:
        return {}
    full = crawl_settings(db, merged)
    return {key: full[key] for key in {*merged, *DERIVED_SETTINGS}}


def run_sites(jobs: list[SiteJob], db: str | Path, overrides: dict[str, Any] | None = None, *,
              parallel: int = 1, on_result: Callable[[dict[str, Any]], None],
              lifeline_fd: int | None = None) -> None:
    """Crawl many sites in this one process, at most `parallel` at a time.

    One Scrapy Crawler per site, all in one CrawlerProcess: each has its own spider, engine and
    downloader, so each keeps exactly the politeness it has alone (its download slot's delay,
    concurrency, AutoThrottle, robots.txt), its own stats, its own archive pipeline and
    crawl_runs row, and its own time limit (crawler.downloader.time_limit). They share the
    reactor and one archive worker (the one SQLite writer, see crawler.pipelines.supervisor).
    A site that hangs or fails holds only its own crawler; when one ends, the next waiting
    site starts.

    Why Crawlers rather than one spider multiplexing the sites: Scrapy already keeps a
    Crawler's politeness, stats, close reason and signals apart, so the single-site spider,
    pipeline and summary work unchanged per site, and one site can be stopped (time limit,
    failure) without touching the others' state.
    `on_result` gets each site's summary (CrawlSummary.to_dict() plus `timed_out`) as soon as
    that site is done, in the order they finish. With `lifeline_fd`, the crawl stops once the
    process at that pipe's other end is gone (_watch_lifeline).
    """
    from archive.store import Archive

    # Created before the first capture file is written beside it: a new archive refuses a
    # captures folder that already holds WARC files (another archive's, archive.store).
    Archive.open(db).close()
    common = dict(overrides or {})
    index = {id(job): number for number, job in enumerate(jobs)}
    process = _SitesProcess(crawl_settings(db, common))
    logging.getLogger("scrapy.downloadermiddlewares.robotstxt").addFilter(_WithoutTraceback())
    waiting = list(jobs)
    active = 0
    reported: set[int] = set()  # id() of the jobs whose outcome on_result has had
    crawlers: dict[int, Any] = {}  # id() of each job started: its crawler

    def start_next() -> None:
        nonlocal active
        while waiting and active < max(1, parallel) and not process.stopping:
            job = waiting.pop(0)
            crawler = crawlers[id(job)] = process.create_crawler(WixBlogSpider)
            crawler.signals.connect(process.engine_started, signal=signals.engine_started)
            for key, value in _site_settings(db, common, job).items():
                crawler.settings.set(key, value, priority="cmdline")
            crawler.settings.set("WIXARCHIVE_SITES_TOTAL", len(jobs), priority="cmdline")
            active += 1
            try:
                done = process.crawl(crawler, url=job.url)
            except Exception as exc:  # e.g. a URL the spider refuses: this site only
                active -= 1
                _finish(job, None, f"crawl failed: {exc}")
                continue
            done.addBoth(lambda outcome, j=job, c=crawler: _ended(j, c, outcome))

    def _ended(job: SiteJob, crawler: Any, outcome: Any) -> None:
        nonlocal active
        active -= 1
        failure = getattr(outcome, "getErrorMessage", None)
        _finish(job, crawler, f"crawl failed: {failure()}" if failure else None)
        start_next()

    def _finish(job: SiteJob, crawler: Any, error: str | None) -> None:
        summary = getattr(getattr(crawler, "spider", None), "crawl_summary", None)
        if summary is None:
            # The spider never closed normally: a forced shutdown (a second Ctrl-C or
            # SIGTERM), or it could not start.
            summary = _unclosed_summary(job.url, crawler, error)
            pipeline = getattr(crawler, "wixarchive_pipeline", None)
            if pipeline is not None and error is None:
                # Its run too: the bookkeeping a forced stop skipped, or the run stayed
                # `running` and the next command closed it as killed or crashed.
                pipeline.close_after_forced_stop(summary)
        data = summary.to_dict()
        stats = getattr(crawler, "stats", None)
        reason = stats.get_value("finish_reason") if stats is not None else None
        data["timed_out"] = reason == TIME_LIMIT_REASON
        data["job"] = index[id(job)]
        if job.lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(job.lock_fd)  # this site's lock frees now, not when every site is done
        reported.add(id(job))
        on_result(data)

    start_next()
    if active:
        from twisted.internet import reactor  # installed by the CrawlerProcess

        if lifeline_fd is not None:
            _watch_lifeline(lifeline_fd, process)
        # archive.crawls starts this process with SIGINT and SIGTERM held (blocked): a stop
        # sent before Scrapy's handlers were in place killed it outright, or raised
        # KeyboardInterrupt in whatever was importing or starting. They are let in after every
        # startup trigger, Scrapy's installing its handlers included; a stop already sent
        # arrives then, and stops the crawl as any later one does (a site still opening is
        # stopped once it runs, see _SitesProcess).
        reactor.callWhenRunning(reactor.callLater, 0,  # type: ignore[attr-defined]
                                signal.pthread_sigmask, signal.SIG_UNBLOCK, STOP_SIGNALS)
        process.start()
    for job in waiting:  # stopped before their turn
        on_result(CrawlSummary(site=job.url, status="interrupted",
                               message="not started: the crawl was stopped").to_dict()
                  | {"timed_out": False, "not_started": True, "job": index[id(job)]})
        reported.add(id(job))
    unclosed = [job for job in jobs if id(job) not in reported]
    if unclosed:  # started, but the reactor stopped before their crawls ended (forced stop)
        close_all()  # what they fetched is committed, and counted, before they are reported
    for job in unclosed:
        _finish(job, crawlers.get(id(job)), None)


def _unclosed_summary(url: str, crawler: Any, error: str | None) -> CrawlSummary:
    """The summary of a site whose crawl never closed: it could not start (`error`), or a
    forced stop ended it. The posts it stored are counted, as its archive pipeline confirmed
    them committed (every worker has committed and stopped by now), and the site is named by
    its root, as every summary names it."""
    spider = getattr(crawler, "spider", None)
    try:
        site = getattr(spider, "site", None) or site_root(url)
    except BadURL:
        site = url
    if error:
        return CrawlSummary(site=site, status="failed", message=error)
    stats = crawler.stats.get_stats() if crawler is not None else {}
    summary = summarize(site, stats, "shutdown", list(getattr(spider, "errors", [])))
    summary.status = "interrupted"
    summary.message = (f"crawl stopped before it could close, after {summary.posts} posts; run "
                       "again to resume")
    return summary


def _parse_set(values: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for item in values:
        key, _, raw = item.partition("=")
        try:
            overrides[key] = json.loads(raw)
        except json.JSONDecodeError:
            overrides[key] = raw
    return overrides


def _load_jobs(fd: int) -> list[SiteJob]:
    """The sites from the file open at `fd` (an unnamed temporary file, read from its start)."""
    os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(fd, "rb") as jobs_file:
        data = json.loads(jobs_file.read())
    return [SiteJob(url=job["url"], settings=job.get("settings") or {},
                    lock_fd=job.get("lock_fd"), time_limit=job.get("time_limit"))
            for job in data]


def _peak_rss_mb() -> float:
    # This process plus its largest child, the archive worker (ru_maxrss is in KiB).
    peak_kib = sum(resource.getrusage(who).ru_maxrss
                   for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return round(peak_kib / 1024, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run", description=__doc__)
    parser.add_argument("urls", nargs="*", metavar="URL")
    parser.add_argument("--db", required=True)
    parser.add_argument("--jobs-fd", type=int,
                        help="a descriptor open on a JSON list of sites: {url, settings, "
                             "lock_fd, time_limit}, crawled after the URLs")
    parser.add_argument("--parallel", type=int, default=1, help="sites crawled at once")
    parser.add_argument("--summary", help="write the outcome as JSON to this file")
    parser.add_argument("--results-fd", type=int,
                        help="write each site's outcome as a JSON line to this descriptor")
    parser.add_argument("--lifeline-fd", type=int,
                        help="a pipe's read end whose writer is the caller: at its end of file "
                             "(the caller is gone) the crawl stops as on SIGTERM")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting (value parsed as JSON when it can be)")
    args = parser.parse_args(argv)
    jobs = [SiteJob(url) for url in args.urls] + (_load_jobs(args.jobs_fd)
                                                  if args.jobs_fd is not None else [])
    if not jobs:
        parser.error("give at least one URL or --jobs-fd")
    stream = os.fdopen(args.results_fd, "w", encoding="utf-8") if args.results_fd else None
    results: list[dict[str, Any]] = []

    def on_result(summary: dict[str, Any]) -> None:
        summary["peak_rss_mb"] = _peak_rss_mb()
        results.append(summary)
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.write(json.dumps(summary) + "\n")
                stream.flush()

    try:
        run_sites(jobs, args.db, _parse_set(args.set), parallel=args.parallel,
                  on_result=on_result, lifeline_fd=args.lifeline_fd)
    except Exception as exc:  # the caller shows one line; details would only be a traceback
        done = {r["site"] for r in results}
        for job in jobs:
            if job.url not in done:
                on_result(CrawlSummary(site=job.url, status="failed",
                                       message=f"crawl failed: {exc}").to_dict())
    output = json.dumps(results[0] if len(jobs) == 1 else results)
    if args.summary:
        Path(args.summary).write_text(output, encoding="utf-8")
    elif stream is None:
        print(output)
    ok = all(r["status"] in ("ok", "partial") for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
