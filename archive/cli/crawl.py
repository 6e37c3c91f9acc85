"""`wixarchive crawl`: one crawl process per site, a summary line per site."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from archive.cli.common import db_option, fail, open_archive

# Exit status when the user interrupted the crawl (as shells report SIGINT).
EXIT_INTERRUPTED = 130


def _read_sites_file(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"cannot read sites file {path}: {exc.strerror}")
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _scrapy_overrides(delay: float | None, concurrency: int | None, autothrottle: bool | None,
                      user_agent: str | None, contact: str | None, robots: bool,
                      verbose: bool, timeout: float | None = None) -> dict[str, Any]:
    overrides: dict[str, Any] = {"LOG_LEVEL": "INFO" if verbose else "CRITICAL"}
    if timeout is not None:
        overrides["DOWNLOAD_TIMEOUT"] = timeout
    if delay is not None:
        overrides["DOWNLOAD_DELAY"] = delay
        overrides["AUTOTHROTTLE_START_DELAY"] = delay
    if concurrency is not None:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = concurrency
    if autothrottle is not None:
        overrides["AUTOTHROTTLE_ENABLED"] = autothrottle
    if user_agent:
        overrides["USER_AGENT"] = user_agent
    if contact:
        overrides["WIXARCHIVE_CONTACT"] = contact
    if not robots:
        overrides["ROBOTSTXT_OBEY"] = False
    return overrides


def crawl_site(url: str, db: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """Crawl one site in a child process and return its summary (see crawler.summary)."""
    with tempfile.TemporaryDirectory(prefix="wixarchive-") as tmp:
        summary_path = Path(tmp) / "summary.json"
        command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
                   "--summary", str(summary_path)]
        for key, value in overrides.items():
            command += ["--set", f"{key}={json.dumps(value)}"]
        # The child gets Ctrl-C too (same process group) and shuts down gracefully; the parent
        # ignores it meanwhile and waits, so the summary of an interrupted crawl is still shown.
        # Ignore only after the child started: it would inherit SIG_IGN and never stop.
        child = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            returncode = child.wait()
        finally:
            signal.signal(signal.SIGINT, previous)
        if summary_path.exists():
            return json.loads(summary_path.read_text(encoding="utf-8"))
    status = "interrupted" if returncode < 0 or returncode == EXIT_INTERRUPTED else "failed"
    return {"site": url, "status": status, "posts": 0, "counts": {}, "errors": [],
            "message": f"the crawl process ended without a result (exit {returncode})"}


def _summary_line(summary: dict[str, Any], seconds: float) -> str:
    mark = {"ok": "✓", "partial": "!", "interrupted": "…"}.get(summary["status"], "✗")
    extra = f" ({summary.get('pages_fetched', 0)} pages in {seconds:.1f} s)"
    line = f"{mark} {summary['site']}: {summary['message']}{extra}"
    if summary["status"] == "partial":
        line += f"\n  {len(summary['errors'])} pages failed, first: {summary['errors'][0]}"
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
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def command(urls: tuple[str, ...], db: Path, sites_file: Path | None, delay: float | None,
            concurrency: int | None, autothrottle: bool | None, timeout: float | None,
            user_agent: str | None, contact: str | None, no_robots: bool, as_json: bool,
            verbose: bool) -> None:
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
    overrides = _scrapy_overrides(delay, concurrency, autothrottle, user_agent, contact,
                                  not no_robots, verbose, timeout)
    summaries = []
    for url in targets:
        started = time.monotonic()
        summary = crawl_site(url, db, overrides)
        summary["seconds"] = round(time.monotonic() - started, 2)
        summaries.append(summary)
        if not as_json:
            stream = sys.stdout if summary["status"] in ("ok", "partial") else sys.stderr
            click.echo(_summary_line(summary, summary["seconds"]), file=stream)
        if summary["status"] == "interrupted":
            break
    if as_json:
        click.echo(json.dumps(summaries if len(targets) > 1 else summaries[0], indent=2))
    elif any(s["status"] in ("ok", "partial") for s in summaries):
        click.echo(f"Archive: {os.path.relpath(db)}")
    if any(s["status"] == "interrupted" for s in summaries):
        sys.exit(EXIT_INTERRUPTED)
    if any(s["status"] == "failed" for s in summaries):
        sys.exit(1)
