"""Running crawls: one child process per site, as Twisted's reactor cannot restart in a process.

`wixarchive crawl` and the scheduler both go through `crawl_site`, which runs
`python -m crawler.run` in its own session (so a terminal's Ctrl-C reaches only the caller, which
forwards exactly one signal: two would make Scrapy quit at once, without recording its run),
lets it inherit the site's lock, and bounds its run time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

GRACE_SECONDS = 90.0  # after SIGTERM, how long a crawler may take to commit and exit
EXIT_INTERRUPTED = 130  # the exit status of a process stopped by Ctrl-C, as shells report it


def scrapy_overrides(delay: float | None, concurrency: int | None, autothrottle: bool | None,
                      user_agent: str | None, contact: str | None, robots: bool,
                      verbose: bool, timeout: float | None = None,
                      capture: bool = True, media: bool = True) -> dict[str, Any]:
    overrides: dict[str, Any] = {"LOG_LEVEL": "INFO" if verbose else "CRITICAL"}
    if not capture:
        overrides["WIXARCHIVE_CAPTURE"] = False
    if not media:
        overrides["WIXARCHIVE_MEDIA"] = False
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


def run_child(command: Sequence[str], *, pass_fds: Sequence[int] = (),
              on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
              timeout: float | None = None, grace: float = GRACE_SECONDS) -> tuple[int, bool]:
    """Run a crawler process; returns (exit status, whether it hit `timeout`).

    The child gets its own session so a terminal's Ctrl-C reaches only us: we forward exactly one
    signal per stop request (two would make Scrapy quit without recording its run). On `timeout`
    it gets SIGTERM (a clean stop), and SIGKILL (its whole process group) if still alive after
    `grace` seconds. However it ends, the next crawl archives what it missed.
    """
    proc = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, pass_fds=tuple(pass_fds),
                            start_new_session=True)
    try:
        if on_start:
            on_start(proc)
        try:
            return proc.wait(timeout=timeout), False
        except subprocess.TimeoutExpired:
            proc.terminate()
        try:
            return proc.wait(timeout=grace), True
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait(), True
    finally:
        if proc.poll() is None:  # we are failing ourselves: leave no crawler behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def crawl_site(url: str, db: Path, overrides: dict[str, Any], *, pass_fds: Sequence[int] = (),
               on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
               timeout: float | None = None) -> dict[str, Any]:
    """Crawl one site in a child process (`python -m crawler.run`) and return its summary
    (see crawler.summary): site, status, message, counts, errors, pages_fetched, run_id."""
    with tempfile.TemporaryDirectory(prefix="wixarchive-") as tmp:
        summary_path = Path(tmp) / "summary.json"
        command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
                   "--summary", str(summary_path)]
        for key, value in overrides.items():
            command += ["--set", f"{key}={json.dumps(value)}"]
        returncode, timed_out = run_child(command, pass_fds=pass_fds, on_start=on_start,
                                          timeout=timeout)
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none, or cut short by SIGKILL
            stopped = returncode < 0 or returncode == EXIT_INTERRUPTED or timed_out
            summary = {"site": url, "status": "interrupted" if stopped else "failed",
                       "counts": {}, "errors": [],
                       "message": f"the crawl process ended without a result (exit {returncode})"}
    summary["timed_out"] = timed_out
    return summary
