"""Import benchmark: `wixarchive import` of two wget captures of the sample blog, against only
reading the same files with the reference WARC tools (warcio's `warcio index`, pywb's
`cdxj-indexer`, installed with py-wacz).

    .venv/bin/python benchmarks/import_archives.py [--posts 500] [--changed 0.05] [--json]

The blog is served on 127.0.0.1 and captured by Debian's wget (`--warc-file`) twice, with a
share of the posts edited between the captures. Every command runs as a subprocess, as a user
runs it; times are wall-clock, best of `--rounds`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.captures import captures_dir  # noqa: E402
from crawler.sample_site import SampleBlog  # noqa: E402
from tests.webarchives import two_wget_captures  # noqa: E402

BIN = Path(sys.executable).parent


def timed(command: list[str], rounds: int, before=None) -> float:
    best = float("inf")
    for _ in range(rounds):
        if before:
            before()
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wget") is None:
        sys.exit("Error: needs Debian's wget (apt-get install wget)")
    work = Path(tempfile.mkdtemp(prefix="wixarchive-import-bench-"))
    try:
        blog = SampleBlog(seed=21, post_count=args.posts)
        first, second, _ = two_wget_captures(blog, work, int(args.posts * args.changed))
        files = [str(second), str(first)]
        db = work / "archive.db"

        def fresh() -> None:
            db.unlink(missing_ok=True)
            shutil.rmtree(captures_dir(db), ignore_errors=True)

        wixarchive = [str(BIN / "wixarchive"), "import", *files, "--db", str(db)]
        results = {
            "import": timed(wixarchive, args.rounds, fresh),
            "import again (adds nothing)": timed(wixarchive, args.rounds),
            "warcio index (reading only)": timed([str(BIN / "warcio"), "index", *files],
                                                 args.rounds),
        }
        if (BIN / "cdxj-indexer").exists():
            results["cdxj-indexer (reading only)"] = timed(
                [str(BIN / "cdxj-indexer"), *files], args.rounds)
        with sqlite3.connect(db) as conn:
            posts, versions = conn.execute(
                "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM post_versions)"
            ).fetchone()
        size = sum(Path(f).stat().st_size for f in files)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {"posts": posts, "versions": versions, "input_bytes": size,
               "seconds": {k: round(v, 3) for k, v in results.items()}}
    if args.json:
        print(json.dumps(summary))
        return
    print(f"{posts} posts, {versions} versions from two wget captures ({size / 1e6:.1f} MB); "
          f"best of {args.rounds}")
    print(f"{'command':<32} {'seconds':>8} {'vs warcio index':>16}")
    reference = results["warcio index (reading only)"]
    for name, seconds in results.items():
        print(f"{name:<32} {seconds:>8.2f} {seconds / reference:>15.1f}x")


if __name__ == "__main__":
    main()
