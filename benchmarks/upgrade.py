"""The upgrade of archives written by an older wixarchive: wall and CPU time of each.

    .venv/bin/python benchmarks/upgrade.py ARCHIVE [ARCHIVE ...] [--scratch DIR]

Each ARCHIVE (an archive.db of an older schema, left as it is) is copied into DIR (default: a
temporary folder), and the copy opened for writing in this process (Archive.open, which
upgrades it, as the first command that writes does); prints its posts, the characters of title
and body a post, the wall and CPU time of the upgrade, both per 10,000 posts, and the load
average. Build the archives with the older code: an older checkout's benchmarks/big_archive.py
--dir DIR, or its Archive.save_articles over benchmarks/search.py's Corpus (docs/benchmarks.md,
"Upgrading to schema v22").
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.store import Archive  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def upgrade(source: Path, scratch: Path) -> str:
    copy = scratch / source.name
    shutil.copyfile(source, copy)
    with sqlite3.connect(copy) as conn:
        version, posts, chars = conn.execute(
            "SELECT (SELECT user_version FROM pragma_user_version), count(*), "
            "coalesce(sum(length(title) + length(body)), 0) FROM posts").fetchone()
    conn.close()
    load = os.getloadavg()[0]
    cpu, started = cpu_seconds(), time.perf_counter()
    with Archive.open(copy) as archive:
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        now = archive.schema_version
    for path in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        path.unlink(missing_ok=True)
    each = 10_000 / max(posts, 1)
    return (f"{source.name}: v{version} -> v{now}, {posts:,} posts of "
            f"{chars / max(posts, 1):,.0f} characters: wall {wall:.1f} s, CPU {cpu:.1f} s; "
            f"per 10,000 posts wall {wall * each:.2f} s, CPU {cpu * each:.2f} s; load "
            f"{load:.1f} -> {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archives", nargs="+", type=Path)
    parser.add_argument("--scratch", type=Path, default=None,
                        help="where the copies are upgraded (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        scratch = args.scratch or Path(temporary)
        scratch.mkdir(parents=True, exist_ok=True)
        for archive in args.archives:
            print(upgrade(archive, scratch), flush=True)


if __name__ == "__main__":
    main()
