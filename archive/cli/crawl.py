"""`wixarchive crawl`: one crawl process for all the sites, a summary line per site as each
ends, and a total."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from archive.cli.common import db_option, fail, open_archive
from archive.crawls import (
    DEFAULT_PARALLEL,
    EXIT_INTERRUPTED,
    SiteCrawl,
    crawl_sites,
    scrapy_overrides,
)
from archive.schedule.locks import LockBusy, SiteLock, lock_path
from archive.store import ArchiveError
from crawler.discover.urls import BadURL, site_root


def _read_sites_file(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"cannot read sites file {path}: {exc.strerror}")
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
                   re.IGNORECASE)


def _valid_site(site: str) -> bool:
    """An http(s) site root with a host name (or IP address) and a valid port, if any."""
    try:
        parts = urlsplit(site)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(_HOST.fullmatch(parts.hostname or ""))


STOPPING = ("Stopping: finishing the pages under way and saving them "
            "(a second Ctrl-C stops at once)\n")


def _lock_sites(targets: list[str], db: Path) -> tuple[list[tuple[str, SiteLock]],
                                                   dict[int, dict[str, Any]]]:
    """Lock each site, so a scheduled crawl of it never runs at the same time. Returns the sites
    to crawl with their locks, and the summaries of the sites refused (by position)."""
    locked: list[tuple[str, SiteLock]] = []
    refused: dict[int, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    for position, url in enumerate(targets):
        try:
            site = site_root(url)
        except BadURL:
            site = url  # refused below, the other sites crawled
        problem, status = None, "failed"
        if site in seen:
            problem, status = f"listed twice (also as {seen[site]}): crawled once", "skipped"
        elif not _valid_site(site):
            problem = f"not a site URL: {url!r}"
        else:
            try:
                lock = SiteLock.acquire(lock_path(db, site), site=site, now=datetime.now(UTC))
            except LockBusy as busy:
                problem = str(busy)
            except OSError as exc:
                problem = f"cannot create its lock file: {exc}"
            else:
                locked.append((url, lock))
        seen.setdefault(site, url)
        if problem:
            refused[position] = {"site": site if _valid_site(site) else url,
                                 "status": status, "counts": {}, "errors": [],
                                 "message": problem}
    return locked, refused


def _crawl_locked(locked: list[tuple[str, SiteLock]], db: Path, overrides: dict[str, Any],
                  parallel: int, on_result: Callable[[int, dict[str, Any]], None],
                  ) -> list[dict[str, Any]]:
    """Crawl the locked sites in one crawl process; each lock is released once its site ends."""
    child: list[subprocess.Popen[bytes]] = []
    stops: list[int] = []

    def forward(signum: int, frame: object) -> None:
        # The crawler runs in its own session: pass the user's Ctrl-C (or a SIGTERM) on, once
        # per signal. Every site then stops, commits what it fetched and is recorded.
        running = [proc for proc in child if proc.poll() is None]
        for proc in running:
            proc.send_signal(signum)
        if running and not stops:
            stops.append(signum)
            # Said once the crawler has the signal, so whoever reads it knows the stop is under
            # way. os.write: a signal handler must not re-enter sys.stderr's buffer.
            os.write(2, STOPPING.encode())

    def ended(index: int, summary: dict[str, Any]) -> None:
        locked[index][1].release()
        on_result(index, summary)

    previous = {signum: signal.signal(signum, forward)
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        return crawl_sites([SiteCrawl(url, lock_fd=lock.fd) for url, lock in locked], db,
                           overrides, parallel=parallel, on_start=child.append, on_result=ended)
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
        click.echo(f"warning: search statistics not updated: {exc}", err=True)
        return
    seconds = time.monotonic() - started
    if refreshed and not quiet and seconds >= 1:  # only worth a line on large archives
        click.echo(f"Search statistics updated in {seconds:.1f} s")


def _show_total(summaries: list[dict[str, Any]], seconds: float) -> None:
    """After several sites: one line for the whole crawl."""
    if len(summaries) < 2:
        return
    by_status: dict[str, int] = {}
    for summary in summaries:
        by_status[summary["status"]] = by_status.get(summary["status"], 0) + 1
    counts = {k: sum(s.get("counts", {}).get(k, 0) for s in summaries)
              for k in ("new", "changed", "unchanged")}
    sites = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    click.echo(f"Total: {len(summaries)} sites ({sites}), {sum(counts.values())} posts: "
               f"{counts['new']} new, {counts['changed']} changed, {counts['unchanged']} "
               f"unchanged, in {seconds:.1f} s")


def _summary_line(summary: dict[str, Any], seconds: float) -> str:
    mark = {"ok": "✓", "partial": "!", "interrupted": "…", "skipped": "-"}.get(
        summary["status"], "✗")
    extra = (f" ({summary['pages_fetched']} pages in {seconds:.1f} s)"
             if "pages_fetched" in summary else "")
    line = f"{mark} {summary['site']}: {summary['message']}{extra}"
    if summary["status"] == "partial":
        failed = summary.get("counts", {}).get("failed") or len(summary["errors"])
        line += f"\n  {failed} pages failed, first: {summary['errors'][0]}"  # errors: first 50
    return line


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
@click.option("--parallel", type=click.IntRange(min=1), default=DEFAULT_PARALLEL,
              show_default=True, help="Sites crawled at once (each keeps its own politeness).")
@click.option("--redis", "redis_url", metavar="URL",
              help="Queue the sites in this Redis for `wixarchive worker`s to crawl, and write "
                   "what they send (see docs/distributed.md).")
@click.option("--no-capture", is_flag=True,
              help="Do not keep the raw HTTP exchanges (WARC files in ARCHIVE.captures/).")
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
            user_agent: str | None, contact: str | None, no_robots: bool, parallel: int,
            redis_url: str | None, no_capture: bool, no_media: bool, max_media_mb: float | None,
            media_kinds: str | None, page_requisites: bool, as_json: bool,
            verbose: bool) -> None:
    """Crawl Wix blogs into the archive.

    URL can be any page of the site: its home page, the blog, a post, or a free-plan
    https://USER.wixsite.com/SITE/ address. Every post is found through robots.txt, the
    sitemaps, blog-feed.xml and, failing those, the blog's listing pages. Sites are crawled
    together in one crawl process, --parallel at a time, each with its own politeness and
    run; one failing, slow or hanging site never holds up the others.

    \b
    Example:
        wixarchive crawl https://www.example.com/blog --db blog.db --contact me@example.org
    """
    targets = list(urls) + (_read_sites_file(sites_file) if sites_file else [])
    if not targets:
        fail("give at least one site URL (or --sites FILE)")
    if db.exists():
        open_archive(db, readonly=False).close()  # refuse a corrupt or foreign file before crawling
    elif not db.parent.exists():
        fail(f"folder {db.parent} does not exist")
    overrides = scrapy_overrides(delay, concurrency, autothrottle, user_agent, contact,
                                 not no_robots, verbose, timeout, capture=not no_capture,
                                 media=not no_media)
    if max_media_mb is not None:
        overrides["WIXARCHIVE_MEDIA_MAX_BYTES"] = int(max_media_mb * 2**20)
    if media_kinds is not None:
        from archive.attachments import parse_kinds

        try:
            overrides["WIXARCHIVE_MEDIA_KINDS"] = ",".join(parse_kinds(media_kinds))
        except ValueError as exc:
            fail(f"--media-kinds: {exc}")
    if page_requisites:
        overrides["WIXARCHIVE_PAGE_REQUISITES"] = True
    started = time.monotonic()
    summaries: list[dict[str, Any] | None] = [None] * len(targets)

    def show(summary: dict[str, Any]) -> None:
        if not as_json:
            stream = sys.stdout if summary["status"] in ("ok", "partial", "skipped") else sys.stderr
            click.echo(_summary_line(summary, summary["seconds"]), file=stream)

    locked, refused = _lock_sites(targets, db)
    for position, summary in refused.items():
        summary["seconds"] = 0.0
        summaries[position] = summary
        show(summary)
    positions = [p for p in range(len(targets)) if p not in refused]

    def ended(index: int, summary: dict[str, Any]) -> None:
        summary["seconds"] = round(time.monotonic() - started, 2)
        summaries[positions[index]] = summary
        show(summary)

    if locked and redis_url:
        from archive.cli.distributed import crawl_through_redis

        problem = crawl_through_redis(locked, db, overrides, redis_url, ended,
                                      quiet=as_json)
        if problem:
            for _, lock in locked:
                lock.release()
            summaries = [s for s in summaries if s is not None]
            if as_json:
                click.echo(json.dumps(summaries, indent=2))
            fail(problem)
    elif locked:
        _crawl_locked(locked, db, overrides, parallel, ended)
    summaries = [s for s in summaries if s is not None]
    if not as_json:
        _show_total(summaries, time.monotonic() - started)
    if any(s.get("posts") for s in summaries) and not any(
            s["status"] == "interrupted" for s in summaries):
        _refresh_search_stats(db, quiet=as_json)
    if as_json:
        click.echo(json.dumps(summaries if len(targets) > 1 else summaries[0], indent=2))
    elif any(s["status"] in ("ok", "partial") for s in summaries):
        click.echo(f"Archive: {os.path.relpath(db)}")
    if any(s["status"] == "interrupted" for s in summaries):
        sys.exit(EXIT_INTERRUPTED)
    if any(s["status"] == "failed" for s in summaries):
        sys.exit(1)
