"""The `--redis` side of `wixarchive crawl`: queue the sites in Redis and store what the
workers send (archive.distributed)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from archive.cli.common import echo_unless_closed
from archive.distributed import RedisWriter, run_writer, site_job


def crawl_through_redis(locked: Sequence[tuple[str, Any]], db: Path, overrides: dict[str, Any],
                        redis_url: str, ended: Callable[[int, dict[str, Any]], None], *,
                        quiet: bool, time_limit: float | None = None,
                        ) -> tuple[str | None, int | None]:
    """`wixarchive crawl --redis`: the locked sites, each lock released as its site ends, each
    stopped at `time_limit` seconds if given.
    Returns why the crawl could not finish (or None) and the signal that stopped it (or None).
    """
    writers: list[RedisWriter] = []

    def done(index: int, summary: dict[str, Any]) -> None:
        locked[index][1].release()
        ended(index, summary)

    jobs = [site_job(url, overrides) for url, _ in locked]
    for job in jobs:
        job.time_limit = time_limit

    def progress(line: str) -> None:
        if not quiet:
            echo_unless_closed(line, err=True)

    problem = run_writer(jobs, db, overrides, redis_url, done, on_progress=progress,
                         writer_ready=writers.append)
    return problem, writers[0].stop_signal if writers else None
