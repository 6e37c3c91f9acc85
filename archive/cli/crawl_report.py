"""The lines that end a crawl of several sites (`crawl`, `run-due`): the total on stdout, and
on stderr the one line naming the sites that need a look.

Every site's own line goes to stdout, a failed one's too: `wixarchive crawl … > log` (or cron's
`run-due >> log`) keeps the whole record of the run, in order, while stderr gets only the
`problems_line`, short enough for a mail, naming what failed (until 2026-12-07 the failed
sites' lines went to stderr alone, and a log of stdout held only the sites that went well).
A mistake in what the command was given (a list's line that is no site URL, a wrong entry of
the sites file) is no site's record: its line stays on stderr."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from archive.words import counted

# Statuses of a site that was crawled, whose counts the total adds up.
CRAWLED = ("ok", "partial", "failed", "interrupted", "timeout")
# Statuses of a crawled site that make the command exit 1 and are named on stderr.
FAILED_OR_TIMED_OUT = ("failed", "timeout")
SHOWN_PROBLEMS = 5  # sites named on stderr; the rest counted


def total_line(sites: Sequence[tuple[str, Mapping[str, int]]], seconds: float,
               note: str = "", finished: str | None = None) -> str | None:
    """One line for the whole command: its sites by status, the posts of those crawled, the
    time since the command started (Scrapy's start-up included) and, given, when it finished
    (`finished`). `sites`: (status, counts) of each site, the sites file's wrong entries and a
    list's lines that are no site URL left out (`note` names them). None for no site, and for
    one without `finished`: the site's own line says all else."""
    if len(sites) < (1 if finished else 2):
        return None
    by_status: dict[str, int] = {}
    for status, _ in sites:
        by_status[status] = by_status.get(status, 0) + 1
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    text = f"Total: {counted(len(sites), 'site')} ({statuses})"
    crawled = [counts for status, counts in sites if status in CRAWLED]
    if crawled:
        total = {k: sum(c.get(k, 0) for c in crawled)
                 for k in ("new", "changed", "unchanged", "recaptured", "deleted")}
        posts = total["new"] + total["changed"] + total["unchanged"] + total["recaptured"]
        more = f", {total['recaptured']} recaptured" if total["recaptured"] else ""
        more += f", {total['deleted']} deleted" if total["deleted"] else ""
        text += (f", {counted(posts, 'post')}: {total['new']} new, {total['changed']} changed, "
                 f"{total['unchanged']} unchanged{more}")
    return f"{text}, in {seconds:.1f} s" + (f", finished {finished}" if finished else "") + note


def problems_line(problems: Sequence[tuple[str, str]], *, as_json: bool = False) -> str | None:
    """The stderr line of a command some of whose sites failed or hit their time limit:
    `problems` are (site, status). None when there are none. Their lines on stdout say why
    (their JSON records with `as_json`); this one is for whoever reads stderr alone (cron's
    mail of a `run-due >> log`)."""
    failed = [site for site, status in problems if status == "failed"]
    timed_out = [site for site, status in problems if status == "timeout"]
    parts = []
    if failed:
        parts.append(f"{counted(len(failed), 'site')} failed: {_named(failed)}")
    if timed_out:
        their = "its" if len(timed_out) == 1 else "their"
        parts.append(f"{counted(len(timed_out), 'site')} stopped at {their} time limit: "
                     f"{_named(timed_out)}")
    why = f"each site's {'record' if as_json else 'line'} says why"
    return f"Error: {'; '.join(parts)} ({why})" if parts else None


def one_site_problem_line(site: str, message: str, *, line_on_screen: bool) -> str | None:
    """The stderr line of a crawl of one site that failed or hit its time limit: its reason,
    which the site's line on stdout gives too. Where stdout goes to a log (`crawl X >> log`
    from cron, whose mail holds stderr alone), stderr says why, not only which site (the
    reader of the mail need not open the log). On a terminal showing both, the site's line
    just above already says it: nothing (until 2026-12-07 the failure was said twice there);
    the exit status is 1 all the same."""
    if line_on_screen:
        return None
    return f"Error: {site}: {message}"


def _named(sites: list[str]) -> str:
    rest = len(sites) - SHOWN_PROBLEMS
    return ", ".join(sites[:SHOWN_PROBLEMS]) + (f" and {rest} more" if rest > 0 else "")
