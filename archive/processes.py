"""Whether a process recorded in the archive (a crawl run's pid) is still the one running:
the archive's own rule, for closing dead runs (archive.store) and refusing an upgrade under a
running crawl (archive.upgrades)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path


def process_alive(pid: int, started_before: str) -> bool:
    """Whether process `pid` of this host exists and is the one that started at or before
    `started_before` (an ISO time): a pid reused by a later process does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
        if fields[0] in ("Z", "X"):  # exited, not yet reaped by its parent
            return False
        ticks = int(fields[19])
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return True  # no /proc: trust the pid

    began = boot + ticks / os.sysconf("SC_CLK_TCK")
    # Run times are stored to the second: allow for the rounding.
    return began <= datetime.fromisoformat(started_before).timestamp() + 2
