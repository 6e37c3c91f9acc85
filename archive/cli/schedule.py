"""`wixarchive schedule`: a long-running foreground scheduler (systemd, containers)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click

from archive.cli.common import (
    check_crawl_environment,
    db_option,
    echo_unless_closed,
    fail,
    missing_sites_file,
)
from archive.cli.sites import now_option, parse_now, resolve_sites, sites_option
from archive.crawls import DEFAULT_PARALLEL
from archive.schedule.locks import LockBusy, SiteLock, schedule_lock_path
from archive.schedule.runner import (
    Outcome,
    Runner,
    install_signal_handlers,
    offset_clock,
    system_clock,
)
from archive.schedule.sites import SitesError


@click.command("schedule")
@db_option
@sites_option
@click.option("--poll", type=click.FloatRange(min=1), default=60, show_default=True,
              help="Re-read the sites file and re-check busy sites this often (seconds).")
@click.option("--parallel", type=click.IntRange(min=1), default=DEFAULT_PARALLEL,
              show_default=True, help="Sites crawled at once (each keeps its own politeness).")
@click.option("-v", "--verbose", is_flag=True, help="Show the crawlers' progress and logs.")
@now_option
def command(db: Path, sites_path: Path | None, poll: float, parallel: int, verbose: bool,
            now_text: str | None) -> None:
    """Run due crawls until stopped: the foreground service for systemd or a container.

    Sleeps until the next site is due and crawls it; a site that falls due while others crawl
    starts at its time, beside them. A failing site, a site being crawled by another process,
    or a broken sites file never ends it (they are reported and retried); no sites file at all
    at its start is an error (exit 1), as for run-due, and so is a second schedule on the
    archive (exit 1, naming the one running). Edits to the sites
    file are picked up without a restart. SIGTERM or Ctrl-C stops it cleanly: every crawl in
    progress commits what it fetched, and the next run archives what it missed; it then exits
    143 (SIGTERM) or 130 (Ctrl-C). Each line is one site's outcome, prefixed with the time.

    \b
    Example:
        wixarchive schedule --db /srv/wix/archive.db
    """
    check_crawl_environment()
    start = parse_now(now_text)
    clock = offset_clock(start) if start else system_clock
    runner = Runner(db, resolve_sites(sites_path, db), clock=clock, verbose=verbose,
                    parallel=parallel)
    try:
        # No sites file at all is a wrong path or a missing first `sites add`: said at once, as
        # run-due says it, not retried every --poll for ever; one that breaks later is retried.
        runner.require_sites_file()
    except SitesError as exc:
        fail(missing_sites_file(exc, runner.sites_path))
    try:
        daemon = SiteLock.acquire(schedule_lock_path(db), site="", now=clock())
    except LockBusy as exc:
        who = exc.holder.describe() if exc.holder else "a process that did not say which"
        stop = f" (kill {exc.holder.pid} stops it)" if exc.holder else ""
        fail(f"another `wixarchive schedule` is running on {db}: {who}; it crawls every due "
             f"site already{stop}")
    with daemon:
        _serve(db, runner, poll, clock)


def _serve(db: Path, runner: Runner, poll: float, clock: Callable[[], datetime]) -> None:
    """Run due crawls until a signal stops the runner, then exit as a shell reports it."""
    install_signal_handlers(runner)
    shown: dict[str, str] = {}

    def stamp() -> str:  # as every other output writes a time: 2026-12-06T01:46:04+00:00
        return clock().astimezone(UTC).isoformat(timespec="seconds")

    def report(outcome: Outcome) -> None:
        # Every crawl is shown; a site that is not due or busy, or an invalid entry of the sites
        # file (the message names it), only when that changes.
        key = outcome.message if outcome.status == "invalid" else outcome.site
        if outcome.crawled or shown.get(key) != outcome.status:
            # On stdout, a failed site's too, as run-due (`schedule >> log` keeps them all);
            # a wrong entry of the sites file is the file's mistake.
            echo_unless_closed(f"{stamp()} {outcome.line()}", err=outcome.status == "invalid")
        shown[key] = outcome.status

    def warn(message: str) -> None:
        echo_unless_closed(f"{stamp()} error: {message} (retrying every {poll:g} s)", err=True)

    echo_unless_closed(f"{stamp()} wixarchive schedule: archive {db}, sites {runner.sites_path}")
    runner.serve(poll=poll, report=report, warn=warn)
    name = signal.Signals(runner.stop_signal).name if runner.stop_signal else "?"
    echo_unless_closed(f"{stamp()} stopped ({name}); an interrupted crawl resumes at the next run")
    # 128+N for signal N, as shells report it (and run-due exits): 130 Ctrl-C, 143 SIGTERM.
    sys.exit(128 + runner.stop_signal if runner.stop_signal else 0)
