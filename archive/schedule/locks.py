"""One lock per site, so two `run-due` (or `schedule`) processes never crawl a site at once.

Why `fcntl.flock` on a lock file rather than a PID file alone: the kernel releases a flock when
the last descriptor of the open file goes away, however the process ended (SIGKILL, OOM killer,
power cut of a container), so a dead process can never keep a site locked, and there is no
guessing from PIDs that may have been reused. The file's content is only information: who holds
(or last held) the lock, since when, on which host.

- A clean release empties the file before unlocking. Finding the lock free but the file *not*
  empty therefore means its last holder died without releasing it: that is a stale lock, which
  is taken over and reported (with the dead holder's PID and start time).
- The crawl's child process inherits the descriptor (`pass_fds`), so if the command that holds
  the lock is killed, the site stays locked until its crawler has exited too (which it does by
  itself once its command is gone: see crawler/run.py, `--lifeline-fd`). The command writes its
  crawler's pid into the file (`record_crawler`), so a refusal names the process to stop.
- Lock files are never deleted: deleting one while another process waits on it would let two
  processes each lock a different file of the same name.
- flock works between processes of one machine on a local file system; do not share one archive
  between machines over NFS and run crawls from both.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.site_match import site_key


@dataclass(frozen=True)
class Holder:
    """What a lock file says about the process that holds (or last held) the lock."""

    pid: int  # the command that took the lock
    started_at: str
    host: str
    site: str = ""
    crawler_pid: int | None = None  # the crawl process it started, which inherited the lock

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            crawler = data.get("crawler_pid")
            return cls(int(data["pid"]), str(data["started_at"]), str(data["host"]),
                       str(data.get("site", "")), int(crawler) if crawler else None)
        except (ValueError, KeyError, TypeError):
            return None

    def alive(self, pid: int | None = None) -> bool | None:
        """Whether the holder process (or `pid`, one of its) still exists (None: another host,
        cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid if pid is None else pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def describe(self) -> str:
        """The command that took the lock."""
        return f"pid {self.pid} on {self.host}, since {self.started_at}"

    def busy_reason(self) -> str:
        """Who holds the lock (the crawler, once its command has started one), and what to do
        about it."""
        who = (f"pid {self.crawler_pid} on {self.host} (the crawler started by pid {self.pid}, "
               f"since {self.started_at})" if self.crawler_pid else self.describe())
        command_alive = self.alive()
        crawler_alive = self.alive(self.crawler_pid) if self.crawler_pid else False
        if command_alive is False and crawler_alive:
            # Its crawler stops by itself once its command is gone (crawler/run.py); a SIGTERM
            # now would be a second stop, which quits at once without saving what is in flight.
            return (f"{who}: the command that started it has exited, so the crawler is saving "
                    "what it fetched and stopping; try again in a moment")
        if command_alive is False:
            # Its crawler child inherited the lock and is still running.
            return f"{who} (that process has exited; the crawl it started is still running)"
        target = self.crawler_pid if crawler_alive is not False and self.crawler_pid else self.pid
        where = f" on {self.host}" if command_alive is None else ""
        return f"{who}; to stop it (it saves what it has fetched): kill {target}{where}"


class LockBusy(Exception):
    """Another live process holds the site's lock."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        self.path = path
        self.holder = holder
        super().__init__("already being crawled by "
                         + (holder.busy_reason() if holder else "another process"))


class LockFileError(OSError):
    """A lock file that could not be created or written (a full disk, a folder this user may not
    write): one line naming the file and why. An OSError still, for callers that catch those."""

    def __str__(self) -> str:
        return f"cannot write the lock file {self.filename}: {self.strerror}"


@contextlib.contextmanager
def _writing_lock_file(path: Path) -> Iterator[None]:
    """The block's OSError as a LockFileError naming `path` (BlockingIOError, a lock held by
    another process, passes as it is). A full disk ended `reextract`, `backup`, `schedule`,
    `sites forget` and `sites merge` in a traceback of `os.pwrite`."""
    try:
        yield
    except (BlockingIOError, LockFileError):
        raise
    except OSError as exc:
        raise LockFileError(exc.errno, exc.strerror or str(exc), str(path)) from exc


def lock_dir(db: Path) -> Path:
    """Lock files live beside the archive they protect: archive.db -> archive.db.locks/."""
    return Path(f"{db}.locks")


def schedule_lock_path(db: Path) -> Path:
    """The lock a `wixarchive schedule` daemon holds for its whole life, so that a second one
    on the archive is refused at its start rather than finding every site busy for ever. Not a
    `.lock` file: it is no crawl's (archive.upgrades.running_crawl reads those)."""
    return lock_dir(db) / "schedule.daemon"


def lock_path(db: Path, site: str) -> Path:
    """The lock file of one site (a site root): readable host name plus a hash for uniqueness.
    Its http and https, `www.` and bare spellings share one (archive.site_match.site_key)."""
    site = site_key(site)
    slug = re.sub(r"[^A-Za-z0-9.-]+", "_", site.split("://", 1)[-1]).strip("_")[:60]
    digest = hashlib.sha1(site.encode()).hexdigest()[:10]
    return lock_dir(db) / f"{slug}-{digest}.lock"


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace").strip()


class SiteLock:
    """An acquired site lock; `stale` is the holder whose dead lock was taken over, if any."""

    def __init__(self, path: Path, fd: int, stale: Holder | None) -> None:
        self.path = path
        self.fd = fd
        self.stale = stale

    @classmethod
    def acquire(cls, path: Path, *, site: str, now: datetime) -> SiteLock:
        """Lock without waiting, or raise LockBusy naming the holder (LockFileError when the
        file cannot be created or written)."""
        with _writing_lock_file(path):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Holder.parse(_read(fd))
            os.close(fd)
            raise LockBusy(path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            previous = _read(fd)
            stale = Holder.parse(previous) or (Holder(0, "?", "?") if previous else None)
            me: dict[str, Any] = {"pid": os.getpid(),
                                  "started_at": now.isoformat(timespec="seconds"),
                                  "host": socket.gethostname(), "site": site}
            with _writing_lock_file(path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        except BaseException:
            os.close(fd)  # unlocked, and left empty: a clean release
            raise
        return cls(path, fd, stale)

    def release(self) -> None:
        """Empty the file (a clean release), then unlock by closing it."""
        if self.fd < 0:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
        os.close(self.fd)
        self.fd = -1

    def __enter__(self) -> SiteLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def record_crawler(fd: int, pid: int) -> None:
    """Note in a held lock's file the crawl process it was handed to (by descriptor, as the
    crawler inherits it), so that a refusal names the process that is crawling."""
    holder = Holder.parse(_read(fd))
    if holder is None:
        return
    data = {"pid": holder.pid, "started_at": holder.started_at, "host": holder.host,
            "site": holder.site, "crawler_pid": pid}
    text = (json.dumps(data) + "\n").encode()
    os.pwrite(fd, text, 0)  # longer than what it replaces: a reader never finds it empty
    os.ftruncate(fd, len(text))


def is_locked(path: Path) -> bool:
    """Whether a live process holds the lock (probed with a shared lock, dropped at once)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing also drops the probing lock
    return False


def shown_status(db: Path, site: str, status: str) -> str:
    """A run's status as the commands show it (`runs`, `stats`, an export's summary): a run of
    archive `db` still `running` whose site's lock no live process holds is `killed`. A crawl
    holds its site's lock to its end, so whoever ran it died without closing it, or `db` is a
    copy (a restored backup) that no crawl writes."""
    if status == "running" and not is_locked(lock_path(db, site)):
        return "killed"
    return status


# -- re-extractions ------------------------------------------------------------------------------


def reextract_lock_path(db: Path, site: str | None) -> Path:
    """The lock of a re-extraction of the whole archive (`site` None: `reextract.all`) or of
    a site (its lock_path's name ending `.reextract`). Not `.lock` files: they are no crawl's
    (archive.upgrades.running_crawl reads those)."""
    if site is None:
        return lock_dir(db) / "reextract.all"
    return lock_path(db, site).with_suffix(".reextract")


def _holder_of(path: Path) -> Holder | None:
    """The holder of a lock a live process holds, else None."""
    if not is_locked(path):
        return None
    try:
        return Holder.parse(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


class ReextractionLock:
    """Held while a re-extraction runs, so that none of an overlapping scope runs at once (they
    shared one resume row, and the counts recorded were those of whichever finished last): a
    whole archive's holds `reextract.all` exclusively; a site's holds it shared, and its site's
    lock exclusively. LockBusy, naming a holder, when another one of the scope runs."""

    def __init__(self, lock: SiteLock, shared_fd: int | None) -> None:
        self._lock = lock
        self._shared_fd = shared_fd  # the whole archive's, held shared by a site's

    @classmethod
    def acquire(cls, db: Path, site: str | None, *, now: datetime) -> ReextractionLock:
        whole = reextract_lock_path(db, None)
        if site is None:
            try:
                return cls(SiteLock.acquire(whole, site="", now=now), None)
            except LockBusy as busy:
                # Held shared by re-extractions of sites (they do not write it): name one.
                sites = (_holder_of(path) for path in sorted(lock_dir(db).glob("*.reextract")))
                raise LockBusy(whole, next(filter(None, sites), busy.holder)) from None
        with _writing_lock_file(whole):
            whole.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(whole, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LockBusy(whole, Holder.parse(_read(fd))) from None
            return cls(SiteLock.acquire(reextract_lock_path(db, site), site=site, now=now), fd)
        except BaseException:
            os.close(fd)
            raise

    def release(self) -> None:
        self._lock.release()
        if self._shared_fd is not None:
            os.close(self._shared_fd)
            self._shared_fd = None

    def __enter__(self) -> ReextractionLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
