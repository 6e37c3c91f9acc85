"""`wixarchive crawl`: one crawl process per site, a summary line per site."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from archive.cli.common import db_option, fail, open_archive
from archive.crawls import EXIT_INTERRUPTED, crawl_site, scrapy_overrides
from archive.schedule.locks import LockBusy, SiteLock, lock_path
from archive.store import ArchiveError
from crawler.discover.urls import site_root


def _read_sites_file(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"cannot read sites file {path}: {exc.strerror}")
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _crawl_locked(url: str, db: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Crawl one site holding its lock, so a scheduled crawl of it never runs at the same time."""
    site = site_root(url)
    try:
        lock = SiteLock.acquire(lock_path(db, site), site=site, now=datetime.now(UTC))
    except LockBusy as busy:
        return {"site": site, "status": "failed", "counts": {}, "errors": [],
                "message": str(busy)}
    child: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: object) -> None:
        # The crawler runs in its own session: pass the user's Ctrl-C on, once per press.
        for proc in child:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, forward)
    try:
        return crawl_site(url, db, overrides, pass_fds=(lock.fd,), on_start=child.append)
    finally:
        signal.signal(signal.SIGINT, previous)
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


def _summary_line(summary: dict[str, Any], seconds: float) -> str:
    mark = {"ok": "✓", "partial": "!", "interrupted": "…"}.get(summary["status"], "✗")
    extra = f" ({summary.get('pages_fetched', 0)} pages in {seconds:.1f} s)"
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
@click.option("--no-capture", is_flag=True,
              help="Do not keep the raw HTTP exchanges (WARC files in ARCHIVE.captures/).")
@click.option("--no-media", is_flag=True,
              help="Do not fetch the posts' images at full size.")
@click.option("--max-media-mb", type=float,
              help="Largest image kept, in MB (default 25); larger ones are recorded only.")
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def command(urls: tuple[str, ...], db: Path, sites_file: Path | None, delay: float | None,
            concurrency: int | None, autothrottle: bool | None, timeout: float | None,
            user_agent: str | None, contact: str | None, no_robots: bool, no_capture: bool,
            no_media: bool, max_media_mb: float | None, as_json: bool, verbose: bool) -> None:
    """Crawl Wix blogs into the archive.

    URL can be any page of the site: its home page, the blog, a post, or a free-plan
    https://USER.wixsite.com/SITE/ address. Every post is found through robots.txt, the
    sitemaps, blog-feed.xml and, failing those, the blog's listing pages. Each site is
    crawled in its own process, so one failing site never stops the others.

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
    summaries = []
    for url in targets:
        started = time.monotonic()
        summary = _crawl_locked(url, db, overrides)
        summary["seconds"] = round(time.monotonic() - started, 2)
        summaries.append(summary)
        if not as_json:
            stream = sys.stdout if summary["status"] in ("ok", "partial") else sys.stderr
            click.echo(_summary_line(summary, summary["seconds"]), file=stream)
        if summary["status"] == "interrupted":
            break
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
