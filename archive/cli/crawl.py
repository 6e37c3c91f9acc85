"""`wixarchive crawl`: one crawl process for all the sites, a summary line per site as each
ends, and a total."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archive.cli.common import (
    EXIT_BUSY,
    check_crawl_environment,
    check_redis_url,
    db_option,
    echo_unless_closed,
    fail,
    fail_with,
    open_archive,
)
from archive.cli.crawl_report import (
    FAILED_OR_TIMED_OUT,
    one_site_problem_line,
    problems_line,
    total_line,
)
from archive.crawls import (
    DEFAULT_PARALLEL,
    EXIT_INTERRUPTED,
    SiteCrawl,
    Target,
    check_targets,
    crawl_sites,
    lock_sites,
    media_options,
    media_overrides,
    scrapy_overrides,
)
from archive.schedule.locks import SiteLock
from archive.schedule.sites import NotUTF8, decoded
from archive.store import Archive, ArchiveError
from archive.words import aside, counted

# A comment after a URL: `#` after a space (a `#` within a URL starts its fragment).
_TRAILING_COMMENT = re.compile(r"\s+#.*")
# The tables of a run-due sites file (archive/schedule/sites.py), never in a list of URLs.
_SCHEDULE_TABLES = ("[[site]]", "[defaults]")


def read_site_list(path: Path, reader: str = "crawl --sites") -> list[Target]:
    """The site URLs of a --sites file, one per line (`#` comments), each with its line.
    `reader`: the command and option reading it, as the refusal of a schedule file names it."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        fail(f"cannot read sites file {path}: {exc.strerror}")
    try:  # a spreadsheet's or Notepad's too (a byte order mark, UTF-16)
        lines = decoded(raw).splitlines()
    except NotUTF8 as exc:
        fail(f"cannot read sites file {path}: {exc} (save the list as UTF-8)")
    if any(line.strip() in _SCHEDULE_TABLES for line in lines):
        fail(f"{path} is a schedule sites file (TOML): `wixarchive run-due --sites {path}` "
             f"crawls its sites that are due (--force: all of them); `{reader}` takes one "
             "URL per line")
    targets = []
    for number, line in enumerate(lines, start=1):
        url = _TRAILING_COMMENT.sub("", line).strip()
        if url and not url.startswith("#"):
            targets.append(Target(url, f"{path} line {number}", number))
    return targets


def stopping(signum: int) -> str:
    """What a stop says once the crawler has it. A systemd stop or `kill` is a SIGTERM, with no
    keyboard: it was told that "a second Ctrl-C stops at once"."""
    again = "a second Ctrl-C" if signum == signal.SIGINT else "a second SIGTERM"
    return f"Stopping: finishing the pages under way and saving them ({again} stops at once)\n"


def _crawl_locked(locked: list[tuple[str, SiteLock]], db: Path, overrides: dict[str, Any],
                  parallel: int, on_result: Callable[[int, dict[str, Any]], None],
                  time_limit: float | None) -> int | None:
    """Crawl the locked sites in one crawl process; each lock is released once its site ends.
    Returns the signal that stopped the crawl (SIGINT, SIGTERM), if one did."""
    child: list[subprocess.Popen[bytes]] = []
    stops: list[int] = []

    def forward(signum: int, frame: object) -> None:
        # The crawler runs in its own session: pass the user's Ctrl-C (or a SIGTERM) on, once
        # per signal. Every site then stops, commits what it fetched and is recorded.
        running = [proc for proc in child if proc.poll() is None]
        for proc in running:
            proc.send_signal(signum)
        if not stops:
            stops.append(signum)  # one that came before the crawler started is sent it then
            # Said once the crawler has the signal (or will have it as it starts), so whoever
            # reads it knows the stop is under way. os.write: a signal handler must not re-enter
            # sys.stderr's buffer.
            with contextlib.suppress(OSError):  # stderr may be a pipe its reader closed
                os.write(2, stopping(signum).encode())

    def started(proc: subprocess.Popen[bytes]) -> None:
        child.append(proc)
        if stops:  # the stop came while the crawler was being started
            proc.send_signal(stops[0])

    def ended(index: int, summary: dict[str, Any]) -> None:
        locked[index][1].release()
        on_result(index, summary)

    previous = {signum: signal.signal(signum, forward)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        crawl_sites([SiteCrawl(url, lock_fd=lock.fd, time_limit=time_limit)
                     for url, lock in locked], db, overrides,
                    parallel=parallel, on_start=started, on_result=ended)
        return stops[0] if stops else None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for _, lock in locked:
            lock.release()


def _refresh_search_stats(db: Path, *, quiet: bool) -> None:
    """Once after all sites: the statistics that keep common-word searches fast."""
    started = time.monotonic()
    try:
        with open_archive(db, readonly=False) as archive:
            refreshed = archive.refresh_search_stats_if_stale()
    except ArchiveError as exc:  # search still works, ranking exactly: say so and go on
        echo_unless_closed(f"warning: search statistics not updated: {exc}", err=True)
        return
    seconds = time.monotonic() - started
    if refreshed and not quiet and seconds >= 1:  # only worth a line on large archives
        echo_unless_closed(f"Search statistics updated in {seconds:.1f} s")


def _show_total(summaries: list[dict[str, Any]], seconds: float) -> None:
    """After several sites: one line for the whole crawl. A line that is no site URL, or a
    second listing of a site, is no site of its own: named apart, not counted among them."""
    invalid = sum(s["status"] == "invalid" for s in summaries)
    not_sites = (f"; {invalid} {'line' if invalid == 1 else 'lines'} not a site URL"
                 if invalid else "")
    line = total_line([(s["status"], s.get("counts", {})) for s in summaries
                       if s["status"] not in ("invalid", "skipped")], seconds, not_sites)
    if line:
        echo_unless_closed(line)


def _summary_line(summary: dict[str, Any], seconds: float) -> str:
    if summary["status"] == "invalid":  # no site to name: the message names the line
        return f"✗ {summary['message']}"
    mark = {"ok": "✓", "partial": "!", "interrupted": "…", "skipped": "-", "busy": "-"}.get(
        summary["status"], "✗")
    line = f"{mark} {summary['site']}: {summary['message']}"
    if "pages_fetched" in summary:
        line = aside(line, f"{counted(summary['pages_fetched'], 'page')} in {seconds:.1f} s")
    if summary["status"] == "partial":
        failed = summary.get("counts", {}).get("failed") or len(summary["errors"])
        # errors: the first 50
        line += f"\n  {counted(failed, 'page')} failed, first: {summary['errors'][0]}"
    return line


def _forget_hint(summary: dict[str, Any], db: Path) -> str | None:
    """Under a failed site's line, when the archive holds nothing of it (a mistyped address,
    crawled first): how to remove it, which `stats` said only later, among every site."""
    if summary["status"] != "failed" or summary.get("posts") or not summary.get("site"):
        return None
    from archive.site_forget import holds_nothing

    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            if not holds_nothing(archive, summary["site"]):
                return None
    except ArchiveError:  # busy or gone: the line stands without the hint
        return None
    return (f"  The archive holds nothing of it; if the address was mistyped, remove it: "
            f"wixarchive sites forget {shlex.quote(summary['site'])} --db "
            f"{shlex.quote(str(db))}")


@click.command("crawl")
@click.argument("urls", nargs=-1, metavar="URL...")
@db_option
@click.option("--sites", "sites_file", type=click.Path(path_type=Path),
              help="A file with one site URL per line (# comments allowed).")
@click.option("--delay", type=float, help="Seconds between requests to a site (default 0.5).")
@click.option("--concurrency", type=int, help="Parallel requests per site (default 4).")
@click.option("--autothrottle/--no-autothrottle", default=None,
              help="Adapt the delay to the server's response times (default on).")
@click.option("--timeout", type=float, help="Seconds to wait for a page (default 30).")
@click.option("--user-agent", help="User-Agent header (default: wixarchive/VERSION).")
@click.option("--contact", help="An e-mail or URL added to the User-Agent for site owners.")
@click.option("--no-robots", is_flag=True, help="Do not obey robots.txt (only for your own site).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop each site's crawl this long after its own start, keeping what it "
                   "fetched (status timeout, exit 1; crawl again to resume), as a sites file's "
                   "timeout does.")
@click.option("--parallel", type=click.IntRange(min=1), default=DEFAULT_PARALLEL,
              show_default=True, help="Sites crawled at once (each keeps its own politeness).")
@click.option("--redis", "redis_url", metavar="URL",
              help="Queue the sites in this Redis for `wixarchive worker`s to crawl, and write "
                   "what they send (see docs/distributed.md).")
@click.option("--no-capture", is_flag=True,
              help="Do not keep the raw HTTP exchanges (WARC files in ARCHIVE.captures/).")
@click.option("--refetch", is_flag=True,
              help="Fetch every post in full, whatever its sitemap lastmod, ETag or "
                   "Last-Modified say (for a site whose dates cannot be trusted).")
@click.option("--no-media", is_flag=True,
              help="Do not fetch the posts' images at full size.")
@click.option("--max-media-mb", type=float,
              help="Largest image, video or document kept, in MB (default 25); larger "
                   "ones are recorded only.")
@click.option("--media-kinds", metavar="KINDS",
              help="Media fetched, comma-separated: images, video, documents (default images). "
                   "Videos and documents not named are recorded by URL only; a later crawl "
                   "with them named fetches what earlier crawls recorded.")
@click.option("--page-requisites", is_flag=True,
              help="Also fetch each post's images at the URLs its page shows them (the resized "
                   "renditions Wix serves), so that a replayed post (export --format wacz) "
                   "shows them. One more request per image shown: off by default.")
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def command(urls: tuple[str, ...], db: Path, sites_file: Path | None, delay: float | None,
            concurrency: int | None, autothrottle: bool | None, timeout: float | None,
            user_agent: str | None, contact: str | None, no_robots: bool,
            time_limit: float | None, parallel: int,
            redis_url: str | None, no_capture: bool, refetch: bool, no_media: bool,
            max_media_mb: float | None, media_kinds: str | None, page_requisites: bool,
            as_json: bool, verbose: bool) -> None:
    """Crawl Wix blogs into the archive.

    URL can be any page of the site: its home page, the blog, a post, or a free-plan
    https://USER.wixsite.com/SITE/ address. Every post is found through robots.txt, the
    sitemaps, blog-feed.xml and, failing those, the blog's listing pages. Sites are crawled
    together in one crawl process, --parallel at a time, each with its own politeness and
    run; one failing, slow or hanging site never holds up the others. A site answering
    server errors or nothing is asked less and less often (up to 30 s apart), and its crawl
    stops after 50 such failures in a row or 5 minutes of them, whichever comes first
    (WIXARCHIVE_MAX_SERVER_ERRORS, WIXARCHIVE_MAX_FAILING_SECONDS; across every worker with
    --redis).

    \b
    Example:
        wixarchive crawl https://www.example.com/blog --db blog.db --contact me@example.org
    """
    targets = [Target(url) for url in urls] + (read_site_list(sites_file) if sites_file
                                                 else [])
    if not targets and sites_file:
        fail(f"{sites_file} lists no site: give one site URL per line")
    if not targets:
        fail("give at least one site URL (or --sites FILE)")
    if not db.exists() and not db.parent.exists():
        fail(f"folder {db.parent} does not exist")
    check_redis_url(redis_url)
    check_crawl_environment()
    overrides = scrapy_overrides(delay, concurrency, autothrottle, user_agent, contact,
                                 not no_robots, verbose, timeout, capture=not no_capture,
                                 refetch=refetch)
    try:
        media = media_options(media=not no_media, max_media_mb=max_media_mb,
                              media_kinds=media_kinds, page_requisites=page_requisites)
    except ValueError as exc:
        fail(f"--media-kinds: {exc}")
    overrides.update(media_overrides(media))
    wanted, refused = check_targets(targets)
    if wanted:
        # Created (or a corrupt or foreign file refused) before crawling, as wixarchive.crawl
        # does, so that every crawl is recorded as a run, even a first one that archives no post
        # (`wixarchive runs` says why it failed), and the sites' lock folder never stands
        # beside an archive that does not exist.
        try:
            Archive.open(db).close()
        except ArchiveError as exc:  # busy: 75, as a crawl stopped by a busy archive
            fail_with(exc)
    started = time.monotonic()
    summaries: list[dict[str, Any] | None] = [None] * len(targets)

    def show(summary: dict[str, Any]) -> None:
        if not as_json:
            # Every site's line on stdout, a failed one's too (`crawl … > log` keeps them all;
            # archive/cli/crawl_report.py); a line that is no site URL is the caller's mistake.
            line = _summary_line(summary, summary["seconds"])
            if hint := _forget_hint(summary, db):
                line += "\n" + hint
            echo_unless_closed(line, err=summary["status"] == "invalid")

    locked, busy = lock_sites(wanted, db)
    for position, summary in sorted((refused | busy).items()):
        summaries[position] = summary
        show(summary)
    positions = [position for position, _, _ in locked]
    crawled = [(url, lock) for _, url, lock in locked]

    def ended(index: int, summary: dict[str, Any]) -> None:
        summary["seconds"] = round(time.monotonic() - started, 2)
        # As a refused line's record says: a study's list maps each record back to its line.
        target = targets[positions[index]]
        summary["url"] = target.url
        summary["line"] = target.line
        summaries[positions[index]] = summary
        show(summary)

    stop_signal: int | None = None
    problem: str | None = None  # why a crawl through Redis could not finish
    if crawled and redis_url:
        from archive.cli.distributed import crawl_through_redis

        problem, stop_signal = crawl_through_redis(crawled, db, overrides, redis_url, ended,
                                                   quiet=as_json, time_limit=time_limit)
        if problem:
            for _, lock in crawled:
                lock.release()
    elif crawled:
        stop_signal = _crawl_locked(crawled, db, overrides, parallel, ended, time_limit)
    summaries = [s for s in summaries if s is not None]
    # Ended as an interrupted crawl without Redis ends (Total, Archive lines), and only then
    # the reason a crawl through Redis could not finish.
    if not as_json:
        _show_total(summaries, time.monotonic() - started)
    if any(s.get("posts") for s in summaries) and not any(
            s["status"] in ("interrupted", "timeout") for s in summaries):
        _refresh_search_stats(db, quiet=as_json)
    if as_json:
        echo_unless_closed(json.dumps(summaries if len(targets) > 1 or problem
                                      else summaries[0], indent=2))
    elif any(s["status"] in ("ok", "partial") for s in summaries):
        echo_unless_closed(f"Archive: {db}")  # as given: a relative path from elsewhere misleads
    if problem:
        fail(problem)
    problems = [s for s in summaries if s["status"] in FAILED_OR_TIMED_OUT]
    if problems and len(summaries) == 1 and not as_json:
        line = one_site_problem_line(problems[0]["site"], problems[0]["message"],
                                     line_on_screen=_same_terminal())
    else:
        line = problems_line([(s["site"], s["status"]) for s in problems], as_json=as_json)
    if line:
        echo_unless_closed(line, err=True)
    sys.exit(_exit_status(summaries, stop_signal))


def _same_terminal() -> bool:
    """Whether stdout and stderr both show on a terminal (a person reads both streams there)."""
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _exit_status(summaries: list[dict[str, Any]], stop_signal: int | None) -> int:
    """128+N when stopped by signal N (as shells report it: 130 for Ctrl-C, 143 for SIGTERM);
    1 when a site failed (its captures or the archive's disk full included), hit its time
    limit or a line is no site URL; 75 when a site stopped because the archive stayed locked
    by another process, or was not crawled because another crawl of it runs (try again
    later); 130 for a site interrupted otherwise; else 0."""
    interrupted = any(s["status"] == "interrupted" for s in summaries)
    if interrupted and stop_signal:
        return 128 + stop_signal
    if any(s["status"] in ("failed", "invalid", "timeout") for s in summaries):
        return 1
    if any(s.get("archive_busy") or s["status"] == "busy" for s in summaries):
        return EXIT_BUSY
    return EXIT_INTERRUPTED if interrupted else 0
