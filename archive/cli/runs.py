"""`wixarchive runs`: the history of crawl runs; sites that keep failing stand out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.common import (
    chosen_sites,
    close_dead_runs,
    db_option,
    fail,
    fail_with,
    format_options,
    open_archive,
    write_records,
)
from archive.cli.sites import resolve_sites, sites_option
from archive.schedule import sites as sites_file
from archive.schedule.due import history_key, parse_time
from archive.schedule.locks import shown_status
from archive.schedule.runner import read_history
from archive.store import ArchiveError

# The CSV header: every key of _row, in its order (the JSON and CSV outputs carry the same fields).
COLUMNS = ["id", "site", "status", "started_at", "finished_at", "seconds", "pages", "new",
           "changed", "unchanged", "recaptured", "deleted", "failed", "not_posts",
           "robots_skipped", "first_error"]
FAILING_COLUMNS = ["site", "failures_in_a_row", "last_ok", "first_error"]
MARKS = {"ok": " ", "partial": "!", "failed": "✗", "timeout": "✗", "interrupted": "…",
         "running": ">", "killed": "✗"}
# Statuses whose first error says why: shown under the run.
EXPLAINED = ("failed", "timeout", "killed", "partial", "interrupted")


def _row(run: dict[str, Any], db: Path) -> dict[str, Any]:
    status = shown_status(db, run["site"], run["status"])
    seconds = None
    if run.get("finished_at"):
        elapsed = parse_time(run["finished_at"]) - parse_time(run["started_at"])
        seconds = round(elapsed.total_seconds())
    counts = run.get("counts") or {}
    return {"id": run["id"], "site": run["site"], "status": status,
            "started_at": run["started_at"], "finished_at": run.get("finished_at"),
            "seconds": seconds, **{k: counts.get(k, 0) for k in
                                   ("pages", "new", "changed", "unchanged", "recaptured",
                                    "deleted", "failed", "not_posts", "robots_skipped")},
            "first_error": (run.get("errors") or [None])[0]}


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
        if r["status"] in EXPLAINED and r["first_error"]:
            click.echo(f"{'':>7}↳ {r['first_error']}")


def _scheduled(path: Path, given: bool) -> list[sites_file.Site] | None:
    """The sites of the sites file, None when there is none (a file named by --sites or
    $WIXARCHIVE_SITES must exist). A broken file is said, and then not used."""
    if not path.exists():
        if given:
            fail(f"no sites file at {path}")
        return None
    try:
        return sites_file.load(path)
    except sites_file.SitesError as exc:
        click.echo(f"warning: {exc}; every archived site counted", err=True)
        return None


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
    command cannot close it: a run of another host, or the archive is read-only). Sites whose
    last runs failed or timed out are listed after the table, the longest failure streak
    first: only the sites of the sites file, when there is one (a site removed from it no
    longer counts), else every archived site.

    \b
    Example:
        wixarchive runs --db blog.db
        wixarchive runs --failing --db blog.db || echo "some sites keep failing"
    """
    close_dead_runs(db)
    scheduled = _scheduled(resolve_sites(sites_path, db), given=sites_path is not None)
    with open_archive(db) as archive:
        wanted = None
        if site_url:
            # The sites file's names too, as `run-due --site NAME` takes them.
            aliases = {s.name.lower(): s.root for s in scheduled or () if s.name}
            wanted = {s["site"] for s in chosen_sites(archive, site_url, aliases)}
        try:
            # Archive.runs has no site filter: read further back when one site is asked for.
            runs = archive.runs(limit * 50 if wanted else limit)
        except ArchiveError as exc:
            fail_with(exc)
    rows = [_row(r, db) for r in runs if wanted is None or r["site"] in wanted][:limit]
    try:
        history = read_history(db)
    except ArchiveError as exc:
        fail_with(exc)
    # A site asked for by --site counts; else only the sites still scheduled, when there is a
    # sites file: a site removed from it (or a mistyped one) must not stay failing forever.
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
    if fmt != "text":
        records = rows if not failing else [
            {"site": s, "failures_in_a_row": h.failures, "last_ok": h.last_ok,
             "first_error": h.last_error} for s, h in streaks]
        write_records(records, fmt, COLUMNS if not failing else FAILING_COLUMNS)
    else:
        if not failing and rows:
            _print_table(rows)
        elif not failing:
            click.echo("No crawl runs yet.")
        if streaks and not failing:
            click.echo("\nFailing sites:")
        if streaks:
            for site, h in streaks:
                since = f"last ok {h.last_ok[:16].replace('T', ' ')}" if h.last_ok else "never ok"
                error = h.last_error or "no error recorded"
                click.echo(f"✗ {site}: {h.failures} failed run(s) in a row ({since}): {error}")
        elif failing:
            click.echo("No failing sites.")
    if failing and streaks:
        sys.exit(1)
