"""`wixarchive worker --redis URL`: crawl for the writer of a distributed crawl."""

from __future__ import annotations

import json
from typing import NoReturn

import click

from archive.cli.common import check_crawl_environment, fail


@click.command("worker")
@click.option("--redis", "redis_url", required=True, metavar="URL",
              help="The Redis the writer (`wixarchive crawl --redis URL`) queued sites in.")
@click.option("--idle-timeout", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Exit (0) this many seconds after its last work, once nothing is queued "
                   "or in flight; wait this long for a writer (else exit 1).")
@click.option("--lease", type=click.FloatRange(min=5), default=30.0, show_default=True,
              help="Seconds after which a killed worker's requests are done again (and a "
                   "worker's stalled this long, on a starved machine: downloaded twice, "
                   "stored once).")
@click.option("--json", "as_json", is_flag=True,
              help='Print what this worker did as JSON (an error as {"error": "..."}, exit 1).')
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def command(redis_url: str, idle_timeout: float, lease: float, as_json: bool,
            verbose: bool) -> None:
    """Crawl the sites queued in Redis, sharing them with every other worker.

    Start as many as you like, on any machine that reaches the Redis and the sites: they share
    the queue and duplicate filter (scrapy-redis), keep each site's politeness across all of
    them (a failing site's back-off and stop too: the writer's WIXARCHIVE_MAX_SERVER_ERRORS,
    WIXARCHIVE_MAX_FAILING_SECONDS, back-off and WIXARCHIVE_RETRY_AFTER_* settings, a
    worker's own not read), send what they extract to
    the one writer, and exit once nothing was left to do for
    --idle-timeout seconds after their last work. See docs/distributed.md (run them under
    systemd with Restart=always to have them always ready).

    \b
    Example:
        wixarchive worker --redis redis://crawl-host:6379/0
    """
    from crawler.distributed.protocol import url_problem  # no Scrapy: key names, scripts

    check_crawl_environment()
    problem = url_problem(redis_url)  # before Scrapy's slow import
    if problem:
        fail_worker(problem, as_json)
    from crawler.distributed.worker import WorkerError, run_worker

    try:
        result = run_worker(redis_url, idle=idle_timeout, lease=lease, verbose=verbose)
    except WorkerError as exc:
        fail_worker(str(exc), as_json)
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"Worker done: {result['pages']} pages fetched, {result['requests']} "
                   f"requests in {result['seconds']:.1f} s", err=True)


def fail_worker(message: str, as_json: bool) -> NoReturn:
    """The one-line error, exit 1; with --json an object naming it on stdout too, so a
    script that reads the worker's JSON gets one whatever happened."""
    if as_json:
        click.echo(json.dumps({"error": message}))
    fail(message)
