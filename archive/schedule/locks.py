"""One lock per site, so two `run-due` (or `schedule`) processes never crawl a site at once.

Why `fcntl.flock` on a lock file rather than a PID file alone: the kernel releases a flock when
the last descriptor of the open file goes away, however the process ended (SIGKILL, OOM killer,
power cut of a container), so a dead process can never keep a site locked, and there is no
guessing from PIDs that may have been reused. The file's content is only information: who holds
(or last held) the lock, since when, on which host.

- A clean release empties the file before unlocking. Finding the lock free but the file *not*
  empty therefore means its last holder died without releasing it: that is a stale lock, which
  is taken over and reported (with the dead holder's PID and start time).
- The crawl's child process inherits the descriptor (`pass_fds`), so if the scheduling process is
  killed while its crawler keeps running, the site stays locked until that crawler exits too.
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Holder:
    """What a lock file says about the process that holds (or last held) the lock."""

    pid: int
    started_at: str
    host: str
    site: str = ""

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        try:
            data = json.loads(text)
            return cls(int(data["pid"]), str(data["started_at"]), str(data["host"]),
                       str(data.get("site", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def alive(self) -> bool | None:
        """Whether the holder process still exists (None: another host, cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, since {self.started_at}"


class LockBusy(Exception):
    """Another live process holds the site's lock."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        self.path = path
        self.holder = holder
        who = holder.describe() if holder else "another process"
        if holder and holder.alive() is False:
            # Its crawler child inherited the lock and is still running.
            who += " (that process has exited; the crawl it started is still running)"
        super().__init__(f"already being crawled by {who}")


def lock_dir(db: Path) -> Path:
    """Lock files live beside the archive they protect: archive.db -> archive.db.locks/."""
    return Path(f"{db}.locks")


def lock_path(db: Path, site: str) -> Path:
    """The lock file of one site (a site root): readable host name plus a hash for uniqueness."""
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
        """Lock without waiting, or raise LockBusy naming the holder."""
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
        previous = _read(fd)
        stale = Holder.parse(previous) or (Holder(0, "?", "?") if previous else None)
        me: dict[str, Any] = {"pid": os.getpid(), "started_at": now.isoformat(timespec="seconds"),
                              "host": socket.gethostname(), "site": site}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
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
