"""Running crawls in a child process, as Twisted's reactor cannot restart in a process.

`wixarchive crawl` and the scheduler both go through `crawl_sites`, which runs one
`python -m crawler.run` for all their sites (it crawls up to `parallel` of them at once, see
crawler.run.run_sites) in its own session (so a terminal's Ctrl-C reaches only the caller, which
forwards exactly one signal: two would make Scrapy quit at once, cutting off the pages under
way), lets it inherit every site's lock, reports each site as soon as it ends, and bounds the
run time.

Being in its own session, the crawler survives a kill of the caller's process group (`kill --
-PGID`, an OOM kill, a SIGKILL of the command). So the caller hands it a lifeline: the read end
of a pipe whose only write end the caller holds. The kernel closes that end however the caller
dies, the crawler reads end of file, and stops as on SIGTERM (see crawler.run). The sites list
goes to the crawler in an unnamed temporary file (its descriptor), so a killed caller leaves no
file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.schedule.locks import LockBusy, SiteLock, lock_path, record_crawler
from archive.site_match import left_for, site_key
from archive.spawning import python_module, python_module_env
from crawler.discover.urls import BadURL, control_character_problem, is_site_host, site_root

GRACE_SECONDS = 90.0  # after SIGTERM, how long a crawler may take to commit and exit
EXIT_INTERRUPTED = 130  # the exit status of a process stopped by Ctrl-C, as shells report it
# Sites crawled at once by default. Each site waits on its own politeness (0.5 s delay,
# AutoThrottle) far more than it computes, so what bounds this number on 2 cores is the crawl
# process's one event loop (every site's Scrapy work) and the one archive worker. Measured on
# this 2-core machine (benchmarks/crawl.py --sites, docs/crawling.md): 20 polite sites at once
# take 1.17x bare Scrapy's time, ~0.4 of a core and 206 MB for the whole crawl; 32 at once
# 219 MB, still ~0.3 of a core. Sites beyond the cap wait a whole round (20 sites with a cap
# of 16: 2.2x), so the cap is set well above a typical list, and below the point (40 at once on
# the loaded machine: 1.7x) where the one loop starts to be the limit. Lower it on a small VM.
DEFAULT_PARALLEL = 32
# Held (blocked) in a crawler from its start until its stop handlers are in place (crawler.run).
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def scrapy_overrides(delay: float | None, concurrency: int | None, autothrottle: bool | None,
                      user_agent: str | None, contact: str | None, robots: bool,
                      verbose: bool, timeout: float | None = None,
                      capture: bool = True, refetch: bool = False) -> dict[str, Any]:
    overrides: dict[str, Any] = {"LOG_LEVEL": "INFO" if verbose else "CRITICAL"}
    if not capture:
        overrides["WIXARCHIVE_CAPTURE"] = False
    if refetch:
        overrides["WIXARCHIVE_REFETCH"] = True
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


@dataclass(frozen=True)
class Target:
    """A site URL as the user wrote it, and where: `source` names its line of a --sites file."""

    url: str
    source: str | None = None  # "sites.txt line 3"
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.url} ({self.source})" if self.source else self.url


_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*",
                   re.IGNORECASE)


def valid_site(site: str) -> bool:
    """An http(s) site root with a domain name (or localhost, or an IP address) and a valid
    port, if any."""
    try:
        parts = urlsplit(site)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    host = parts.hostname or ""
    return (parts.scheme in ("http", "https") and bool(_HOST.fullmatch(host))
            and is_site_host(host))


def _why_not_a_site(url: str) -> str:
    """What is wrong with `url`, for a person who mistyped it: a scheme that is not http(s)
    ("htps://"), a space, else what a site URL looks like."""
    scheme, found, _ = url.strip().partition("://")
    if found and scheme.lower() not in ("http", "https"):
        return f" (it starts {scheme}://, not http:// or https://)"
    if any(char.isspace() for char in url.strip()):
        return " (a web address holds no spaces)"
    return " (expected a web address: https://www.example.com/blog, or www.example.com)"


def not_a_site(url: str) -> str | None:
    """Why `url` names no site, for a person who mistyped it (`""`, `http://`, `ftp://…`), or
    None when it names one."""
    if problem := control_character_problem(url):
        return problem
    try:
        site = site_root(url)
    except BadURL:
        site = url
    if valid_site(site):
        return None
    return f"not a site URL: {url!r}{_why_not_a_site(url)}"


def refusal(target: Target, site: str, status: str, message: str) -> dict[str, Any]:
    refusal = {"site": site, "url": target.url, "status": status, "counts": {}, "errors": [],
               "message": message, "seconds": 0.0}
    return refusal | ({"line": target.line} if target.line is not None else {})


def check_targets(targets: list[Target]) -> tuple[list[tuple[int, Target, str]],
                                                  dict[int, dict[str, Any]]]:
    """The sites to crawl (position, target, site root), each once, and the summaries of the
    targets refused by position, for `wixarchive crawl` and `wixarchive.crawl()` alike: a
    line that is no site URL ("invalid": it is no site, so it is not counted as one) or a
    second listing of a site ("skipped": www. or not, http or https, one site).
    """
    wanted: list[tuple[int, Target, str]] = []
    refused: dict[int, dict[str, Any]] = {}
    first: dict[str, Target] = {}
    for position, target in enumerate(targets):
        problem = not_a_site(target.url)
        if problem is not None:
            where = f"{target.source}: " if target.source else ""
            refused[position] = refusal(target, target.url, "invalid", where + problem)
            continue
        site = site_root(target.url)
        if site_key(site) in first:  # www. or not, http or https: one site
            refused[position] = refusal(target, site, "skipped",
                                        f"listed twice, as {first[site_key(site)]} and as "
                                        f"{target}: crawled once")
        else:
            first[site_key(site)] = target
            wanted.append((position, target, site))
    return wanted, refused


def lock_sites(wanted: list[tuple[int, Target, str]], db: Path,
                ) -> tuple[list[tuple[int, str, SiteLock]], dict[int, dict[str, Any]]]:
    """Lock each site, so that no other crawl of it (a scheduled one) runs at the same time.
    Returns the sites to crawl (position, URL, lock), and the summaries of the sites refused
    (by position): `busy` when another crawl holds its lock (try again later), `failed` when
    its lock file cannot be made, `skipped` for an address the blog left for another one
    listed (addresses_left)."""
    locked: list[tuple[int, str, SiteLock]] = []
    refused: dict[int, dict[str, Any]] = {}
    left = addresses_left(db, [site for _, _, site in wanted])
    for position, target, site in wanted:
        if site in left:
            refused[position] = refusal(target, site, "skipped", left_message(left[site]))
            continue
        try:
            lock = SiteLock.acquire(lock_path(db, site), site=site, now=datetime.now(UTC))
        except LockBusy as busy:
            refused[position] = refusal(target, site, "busy", str(busy))
        except OSError as exc:
            refused[position] = refusal(target, site, "failed", str(exc))
        else:
            locked.append((position, target.url, lock))
    return locked, refused


def addresses_left(db: Path, roots: Sequence[str]) -> dict[str, str]:
    """Of these site roots, each that is an archived site's address while its posts are at
    another of them, where it moved (site_match.left_for): old root -> new root. Crawling the
    new one continues the site; the old one would crawl the blog twice (until 2026-12-06 it
    was crawled too: redirected to the new host, or failing where the address is gone)."""
    from archive.store import Archive, ArchiveError

    if len(roots) < 2 or not db.exists():
        return {}
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            return left_for(archive.conn, roots)
    except ArchiveError:
        return {}  # the crawl says what is wrong with the archive


def left_message(new_root: str, remove: str = "this address can be left out") -> str:
    """The line of an address skipped because the blog moved from it to `new_root`, also
    listed (addresses_left), with how to stop listing it (`remove`)."""
    return (f"the blog moved from here to {new_root}, also listed: crawled there, which "
            f"continues this site ({remove})")


def media_options(*, media: bool = True, max_media_mb: float | None = None,
                  media_kinds: str | None = None, page_requisites: bool = False,
                  ) -> dict[str, Any]:
    """`wixarchive crawl --no-media --max-media-mb --media-kinds --page-requisites` (and
    `wixarchive.crawl()`'s arguments of those names) as a sites file's media keys give them
    (archive.schedule.sites.MEDIA), for media_overrides; ValueError naming a kind that is none
    (attachments.parse_kinds)."""
    from archive.attachments import kinds_setting

    chosen: dict[str, Any] = {"media": media, "page_requisites": page_requisites}
    if max_media_mb is not None:
        chosen["max_media_mb"] = max_media_mb
    if media_kinds is not None:
        chosen["media_kinds"] = kinds_setting(media_kinds)
    return chosen


def media_overrides(media: dict[str, Any]) -> dict[str, Any]:
    """The crawl settings of the sites file's media keys (archive.schedule.sites.MEDIA, already
    validated), as `wixarchive crawl --no-media --max-media-mb --media-kinds
    --page-requisites` set them."""
    overrides: dict[str, Any] = {}
    if media.get("media") is False:
        overrides["WIXARCHIVE_MEDIA"] = False
    if "max_media_mb" in media:
        overrides["WIXARCHIVE_MEDIA_MAX_BYTES"] = int(media["max_media_mb"] * 2**20)
    if "media_kinds" in media:
        overrides["WIXARCHIVE_MEDIA_KINDS"] = media["media_kinds"]
    if media.get("page_requisites"):
        overrides["WIXARCHIVE_PAGE_REQUISITES"] = True
    return overrides


def run_child(command: Sequence[str], *, pass_fds: Sequence[int] = (),
              on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
              timeout: float | None = None, grace: float = GRACE_SECONDS,
              lines: tuple[int, Callable[[Any], None]] | None = None,
              hold_stops: bool = False) -> tuple[int, bool]:
    """Run a crawler process; returns (exit status, whether it hit `timeout`).

    The child gets its own session so a terminal's Ctrl-C reaches only us: we forward exactly one
    signal per stop request (two would make Scrapy quit at once, cutting off the pages under way).
    On `timeout` it gets SIGTERM (a clean stop), and SIGKILL (its whole process group) if still
    alive after `grace` seconds. However it ends, the next crawl archives what it missed. With
    `lines` (a pipe's read end and a callback), each JSON line the child writes to that pipe is
    passed on while it runs.

    With `hold_stops` (a `python -m crawler.run`), the child starts with SIGINT and SIGTERM
    held (a signal mask is inherited), and lets them in once Scrapy's handlers are in place:
    a stop sent while it starts (it imports Scrapy for about a second) then stops it cleanly,
    where it killed it outright (no result) or raised KeyboardInterrupt anywhere (a traceback,
    or the site "failed").
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS if hold_stops else set())
    try:
        proc = subprocess.Popen(list(command), stdin=subprocess.DEVNULL,
                                pass_fds=tuple(pass_fds), start_new_session=True,
                                env=python_module_env())
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # this thread's stops arrive now
    try:
        if on_start:
            on_start(proc)
        try:
            return _wait(proc, timeout, lines), False
        except subprocess.TimeoutExpired:
            proc.terminate()
        try:
            return _wait(proc, grace, lines), True
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            return proc.wait(), True
    finally:
        if proc.poll() is None:  # we are failing ourselves: leave no crawler behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait(proc: subprocess.Popen[bytes], timeout: float | None,
          lines: tuple[int, Callable[[Any], None]] | None) -> int:
    """proc.wait(timeout), passing on the lines it writes meanwhile (to the end of the pipe)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    if lines is not None:
        try:
            _read_lines(*lines, deadline)
        except TimeoutError:
            raise subprocess.TimeoutExpired(proc.args, timeout or 0) from None
    return proc.wait(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))


@dataclass
class SiteCrawl:
    """One site of a crawl: its URL, its Scrapy settings (beyond the crawl's common ones), its
    held lock's descriptor (the crawler inherits it) and its time limit in seconds."""

    url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    lock_fd: int | None = None
    time_limit: float | None = None


def _missing(url: str, returncode: int, stopped: bool) -> dict[str, Any]:
    return {"site": url, "status": "interrupted" if stopped else "failed", "counts": {},
            "errors": [], "timed_out": False,
            "message": f"the crawl process ended without a result for it (exit {returncode})"}


def crawl_sites(sites: Sequence[SiteCrawl], db: Path, overrides: dict[str, Any], *,
                parallel: int = DEFAULT_PARALLEL,
                on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
                on_result: Callable[[int, dict[str, Any]], None] | None = None,
                timeout: float | None = None, grace: float = GRACE_SECONDS,
                ) -> list[dict[str, Any]]:
    """Crawl `sites` in one child process, `parallel` at a time; returns their summaries in the
    order given (see crawler.summary: site, status, message, counts, errors, pages_fetched,
    run_id, plus timed_out). `on_result(index, summary)` is called as each site ends.

    Each site's time limit is enforced inside the crawler (it stops that site only); `timeout`
    bounds the whole process as a last resort (SIGTERM, then SIGKILL of its group after
    `grace` seconds), as does a stop request sent to it through `on_start`'s process.
    """
    results: list[dict[str, Any] | None] = [None] * len(sites)
    # Unnamed (unlinked at once): nothing on disk for a killed caller to leave behind.
    with tempfile.TemporaryFile(prefix="wixarchive-") as jobs_file:
        jobs_file.write(json.dumps([
            {"url": s.url, "settings": s.overrides, "lock_fd": s.lock_fd,
             "time_limit": s.time_limit} for s in sites]).encode())
        jobs_file.flush()
        read_fd, write_fd = os.pipe()
        # Only this process holds the lifeline's write end (pipes are not inherited unless
        # passed), so the crawler reads end of file exactly when this process is gone.
        lifeline_fd, lifeline_keep = os.pipe()
        lock_fds = [s.lock_fd for s in sites if s.lock_fd is not None]
        command = python_module("crawler.run", "--jobs-fd", str(jobs_file.fileno()),
                                "--db", str(db), "--parallel", str(max(1, parallel)),
                                "--results-fd", str(write_fd), "--lifeline-fd", str(lifeline_fd))
        for key, value in overrides.items():
            command += ["--set", f"{key}={json.dumps(value)}"]

        def take(summary: Any) -> None:
            index = summary.pop("job", None)
            if isinstance(index, int) and 0 <= index < len(sites):
                results[index] = summary
                if on_result:
                    on_result(index, summary)

        open_fds = [write_fd, lifeline_fd]

        def started(proc: subprocess.Popen[bytes]) -> None:
            # The child's copies alone keep these open: end of file on the results pipe when
            # it ends.
            while open_fds:
                os.close(open_fds.pop())
            for fd in lock_fds:  # a refusal of these sites now names the crawler
                with contextlib.suppress(OSError):
                    record_crawler(fd, proc.pid)
            if on_start:
                on_start(proc)

        try:
            returncode, timed_out = run_child(
                command, pass_fds=[write_fd, lifeline_fd, jobs_file.fileno(), *lock_fds],
                on_start=started, timeout=timeout, grace=grace, lines=(read_fd, take),
                hold_stops=True)
        finally:
            for fd in [read_fd, lifeline_keep, *open_fds]:  # open_fds: Popen failed first
                os.close(fd)
    stopped = returncode < 0 or returncode == EXIT_INTERRUPTED or timed_out
    final = []
    for index, site in enumerate(sites):
        summary = results[index]
        if summary is None:
            summary = _missing(site.url, returncode, stopped)
            summary["timed_out"] = timed_out
            if on_result:
                on_result(index, summary)
        final.append(summary)
    return final


def _read_lines(fd: int, take: Callable[[Any], None], deadline: float | None) -> None:
    """Pass each line read from `fd`, parsed as JSON, to `take` until end of file; TimeoutError
    at `deadline`. A line that is not JSON (a crawler cut off mid-write) is skipped; an error
    of `take` is not (a summary line that could not be printed was once dropped unsaid: a
    UnicodeEncodeError is a ValueError too)."""
    buffer = b""
    while True:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            raise TimeoutError
        try:
            readable, _, _ = select.select([fd], [], [], wait)
        except InterruptedError:
            continue
        if not readable:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                continue
            take(value)
