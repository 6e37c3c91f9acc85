"""`wixarchive runs`: the history of crawl runs; sites that keep failing stand out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.common import (
    chosen_sites,
    db_option,
    fail,
    fail_with,
    format_options,
    open_archive,
    write_records,
)
from archive.cli.sites import resolve_sites, sites_option
from archive.schedule.report import (
    COLUMNS,
    FAILING_COLUMNS,
    close_dead_runs,
    failing_sites,
    recent_runs,
    scheduled_sites,
    site_aliases,
)
from archive.schedule.sites import Site
from archive.store import Archive, ArchiveError, is_writable
from archive.words import counted
from crawler.summary import MOVED_NOTE, SAME_BLOG_NOTE

MARKS = {"ok": " ", "partial": "!", "failed": "✗", "timeout": "✗", "interrupted": "…",
         "running": ">", "killed": "✗"}
# Statuses whose first error says why: shown under the run.
EXPLAINED = ("failed", "timeout", "killed", "partial", "interrupted")


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _print_table(rows: list[dict[str, Any]]) -> None:
    width = max((len(r["site"]) for r in rows), default=4)
    click.echo(f"{'RUN':>5}  {'STARTED':<16}  {'SITE':<{width}}  {'STATUS':<12} {'TIME':>6}"
               f"  {'PAGES':>6} {'NEW':>4} {'CHG':>4} {'SAME':>5} {'RECAP':>5} {'DEL':>4}"
               f" {'FAIL':>4}")
    for r in rows:
        started = r["started_at"][:16].replace("T", " ")
        click.echo(f"{r['id']:>5}  {started:<16}  {r['site']:<{width}}  "
                   f"{MARKS.get(r['status'], '?')} {r['status']:<10} {_duration(r['seconds']):>6}"
                   f"  {r['pages']:>6} {r['new']:>4} {r['changed']:>4} {r['unchanged']:>5}"
                   f" {r['recaptured']:>5} {r['deleted']:>4} {r['failed']:>4}")
        # A site that moved to another host is said under every run, an ok one too, as is
        # a new site that looks like the move of an archived one (`sites merge`).
        if r["first_error"] and (r["status"] in EXPLAINED
                                 or r["first_error"].startswith((MOVED_NOTE, SAME_BLOG_NOTE))):
            click.echo(f"{'':>7}↳ {r['first_error']}")


def _close_dead_runs(db: Path) -> None:
    """Close the runs of crawl processes that are gone, when the archive may be written. An
    archive of an older schema is left as it is: looking at its runs is no reason to upgrade
    it."""
    if not is_writable(db):
        return
    try:
        with Archive.open(db, create=False, upgrade=False) as archive:
            close_dead_runs(archive)
    except ArchiveError:
        return  # opened next, what is wrong with it reported


def _scheduled(path: Path, given: bool) -> list[Site] | None:
    """The sites of the sites file, None when there is none (a file named by --sites or
    $WIXARCHIVE_SITES must exist). A broken file is said, and then not used."""
    if given and not path.exists():
        fail(f"no sites file at {path}")
    scheduled, warning = scheduled_sites(path)
    if warning:
        click.echo(warning, err=True)
    return scheduled


@click.command("runs")
@db_option
@sites_option
@click.option("--site", "site_url",
              help="Only the runs of this site (URL, host or part of it, its name, or its name "
                   "in the sites file).")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="How many runs, newest first.")
@click.option("--failing", is_flag=True,
              help="Only list the sites whose last runs failed or timed out (of the sites "
                   "file, when there is one); exit 1 if there are any.")
@format_options
def command(db: Path, sites_path: Path | None, site_url: str | None, limit: int,
            failing: bool, fmt: str) -> None:
    """The history of crawl runs, newest first, with status and counts.

    Statuses: ok, partial (some pages failed), failed, timeout (stopped at its time limit: the
    next run resumes it), interrupted (stopped, or its process was killed: the next run
    archives what it missed), running, killed (its process died without closing it, and this
    command cannot close it: a run of another host, or the archive is read-only). A run not ok
    shows its first error under it, and any run of a site that moved to another host the move.
    Sites whose last runs failed or timed out are listed after the table, the longest failure
    streak first: only the sites of the sites file, when there is one (a site removed from it
    no longer counts), else every archived site.

    \b
    Example:
        wixarchive runs --db blog.db
        wixarchive runs --failing --db blog.db || echo "some sites keep failing"
    """
    _close_dead_runs(db)
    scheduled = _scheduled(resolve_sites(sites_path, db), given=sites_path is not None)
    with open_archive(db) as archive:
        wanted = None
        if site_url:
            wanted = {s["site"] for s in chosen_sites(archive, site_url,
                                                      site_aliases(scheduled))}
        try:
            rows = recent_runs(archive, limit=limit, wanted=wanted)
        except ArchiveError as exc:
            fail_with(exc)
    try:
        failing_list = failing_sites(db, scheduled=scheduled, wanted=wanted)
    except ArchiveError as exc:
        fail_with(exc)
    if fmt != "text":
        write_records(rows if not failing else failing_list, fmt,
                      COLUMNS if not failing else FAILING_COLUMNS)
    else:
        if not failing and rows:
            _print_table(rows)
        elif not failing:
            click.echo("No crawl runs yet.")
        if failing_list and not failing:
            click.echo("\nFailing sites:")
        for streak in failing_list:
            last_ok = streak["last_ok"]
            since = f"last ok {last_ok[:16].replace('T', ' ')}" if last_ok else "never ok"
            error = streak["first_error"] or "no error recorded"
            click.echo(f"✗ {streak['site']}: {counted(streak['failures_in_a_row'], 'failed run')} "
                       f"in a row ({since}): {error}")
        if failing and not failing_list:
            click.echo("No failing sites.")
    if failing and failing_list:
        sys.exit(1)
