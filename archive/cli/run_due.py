"""`wixarchive run-due`: crawl the sites that are due, once (run it from cron)."""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC
from pathlib import Path

import click

from archive.cli.common import (
    EXIT_BUSY,
    check_crawl_environment,
    check_redis_url,
    db_option,
    echo_unless_closed,
    fail,
    fail_with,
    missing_sites_file,
)
from archive.cli.crawl_report import FAILED_OR_TIMED_OUT, problems_line, total_line
from archive.cli.sites import now_option, parse_now, resolve_sites, sites_option
from archive.crawls import DEFAULT_PARALLEL
from archive.schedule.runner import (
    FAILED_OUTCOMES,
    CrawlNotRun,
    Outcome,
    Runner,
    install_signal_handlers,
    offset_clock,
    system_clock,
)
from archive.schedule.sites import SitesError
from archive.store import ArchiveError
from archive.words import counted

# Outcomes worth a line with --quiet: what an archivist must look at (skipped: not crawled,
# Redis unreachable or a stop); so is a site that moved to another host (Outcome.moved_to).
PROBLEMS = ("failed", "timeout", "partial", "interrupted", "invalid", "skipped")


def exit_status(outcomes: list[Outcome], stop_signal: int | None) -> int:
    """128+N when stopped by signal N (as shells report), 1 when a site failed or an entry of
    the sites file was skipped, 75 (EXIT_BUSY, as `crawl`) when a site stopped because another
    process kept the archive locked (try again later), else 0."""
    if stop_signal is not None:
        return 128 + stop_signal
    if any(o.status in FAILED_OUTCOMES for o in outcomes):
        return 1
    return EXIT_BUSY if any(o.archive_busy for o in outcomes) else 0


def print_json(outcomes: list[Outcome]) -> None:
    echo_unless_closed(json.dumps([o.to_dict() for o in outcomes], indent=2, ensure_ascii=False))


@click.command("run-due")
@db_option
@sites_option
@click.option("--site", "select_keys", multiple=True,
              help="Only this site (a URL of it or its name; repeatable).")
@click.option("--label", "labels", multiple=True, help="Only sites with this label.")
@click.option("--force", is_flag=True, help="Crawl the selected sites even if not due.")
@click.option("--parallel", type=click.IntRange(min=1), default=DEFAULT_PARALLEL,
              show_default=True, help="Sites crawled at once (each keeps its own politeness).")
@click.option("--redis", "redis_url", metavar="URL",
              help="Queue the due sites in this Redis for `wixarchive worker`s and write what "
                   "they send; with none due, store the results a crawl of this archive left "
                   "there (see docs/distributed.md).")
@click.option("--refetch", is_flag=True,
              help="Fetch every post in full, whatever its sitemap lastmod, ETag or "
                   "Last-Modified say (as `crawl --refetch`).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcomes as a JSON array.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print only problems (failed, timed out, partial, interrupted, invalid, "
                   "skipped) and the sites that moved to another host.")
@click.option("-v", "--verbose", is_flag=True, help="Show the crawlers' progress and logs.")
@now_option
def command(db: Path, sites_path: Path | None, select_keys: tuple[str, ...],
            labels: tuple[str, ...], force: bool, parallel: int, redis_url: str | None,
            refetch: bool, as_json: bool, quiet: bool,
            verbose: bool,
            now_text: str | None) -> None:
    """Crawl the sites of the sites file that are due, then exit: made for cron.

    Prints one line per site, named as in the sites file, then a total saying when the run
    finished (not with --quiet): ok, partial, failed, timeout or interrupted for the sites
    crawled (with counts), not-due (with the next time), busy (another process is crawling it: each
    site has a lock, so runs never overlap; a lock left by a killed process is taken over),
    skipped (not crawled, and no run recorded: --redis could not reach Redis, or a stop came
    first). An entry of the sites file that is wrong or names a site listed before is reported
    as invalid (naming the file and the site number, on stderr) and skipped; the other sites
    are crawled. Every site's line is on stdout; when a site failed or hit its time limit,
    stderr gets one line naming them (`run-due >> log` logs every line, cron mails that one).
    Exit status: 0, or 1 when a site failed or hit its time limit or an entry was invalid or
    Redis could not be reached, else 75 when a site was interrupted because another process kept
    the archive locked (its JSON record says "archive_busy": true; run again when it is free),
    or 130 when stopped by Ctrl-C (SIGINT) and 143 by SIGTERM (the crawl in progress stops
    cleanly; the next run archives what it missed).

    \b
    Example (crontab: every hour, mail only problems):
        0 * * * *  /opt/wixarchive/.venv/bin/wixarchive run-due --db /srv/wix/archive.db --quiet
    """
    started = time.monotonic()
    check_redis_url(redis_url)
    check_crawl_environment()
    start = parse_now(now_text)
    clock = offset_clock(start) if start else system_clock
    runner = Runner(db, resolve_sites(sites_path, db), clock=clock, verbose=verbose,
                    parallel=parallel, redis_url=redis_url, refetch=refetch)
    install_signal_handlers(runner)

    def report(outcome: Outcome) -> None:
        if as_json or (quiet and outcome.status not in PROBLEMS and not outcome.moved_to
                       and not outcome.likely_moved_from):
            return
        # Every site's line on stdout, a failed one's too (`run-due >> log` keeps them all;
        # archive/cli/crawl_report.py); a wrong entry of the sites file is the file's mistake.
        echo_unless_closed(outcome.line(), err=outcome.status == "invalid")

    try:
        outcomes = runner.run_due(force=force, select_keys=select_keys, labels=labels,
                                  report=report)
    except CrawlNotRun as exc:
        if as_json:  # the sites it did not crawl are records too, `skipped`, for cron's scripts
            print_json(exc.outcomes)
        fail_with(exc)
    except SitesError as exc:
        fail(missing_sites_file(exc, runner.sites_path))
    except ArchiveError as exc:
        fail_with(exc)
    if runner.stored_left and not as_json and not quiet:
        echo_unless_closed(f"Stored {counted(runner.stored_left, 'result')} a crawl of this "
                           f"archive left in Redis, in the runs that fetched them (no site due).")
    if as_json:
        print_json(outcomes)
    elif not outcomes and not quiet:
        echo_unless_closed(f"No sites selected in {runner.sites_path}.")
    elif not quiet:  # --quiet prints nothing when all is well: cron mails nothing
        # As every other output writes a time (2026-12-06T01:46:04+00:00): the lines of a
        # `run-due >> log` carry none, and this one dates the run's.
        show_total(outcomes, time.monotonic() - started,
                   clock().astimezone(UTC).isoformat(timespec="seconds"))
    if line := problems_line([(o.url, o.status) for o in outcomes
                              if o.status in FAILED_OR_TIMED_OUT], as_json=as_json):
        echo_unless_closed(line, err=True)
    sys.exit(exit_status(outcomes, runner.stop_signal))


def show_total(outcomes: list[Outcome], seconds: float, finished: str) -> None:
    """As `crawl` ends: the sites by status (not-due, busy… included), the posts of those
    crawled, and the time since the command started; and when it `finished`, for one site
    too."""
    invalid = sum(o.status == "invalid" for o in outcomes)
    note = f"; {counted(invalid, 'entry', 'entries')} of the sites file skipped" if invalid else ""
    line = total_line([(o.status, o.counts) for o in outcomes if o.status != "invalid"],
                      seconds, note, finished)
    if line:
        echo_unless_closed(line)
