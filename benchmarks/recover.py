"""Recover benchmark: `wixarchive recover` of the sample blog from a real pywb holding two wget
captures of it, against only downloading the same captures raw with wget (what a
wayback-machine-downloader-style tool does once it has the list), and against the politeness
floor (requests x the default 1 s between requests).

    .venv/bin/python benchmarks/recover.py [--posts 500] [--changed 0.05] [--deleted 0.02]

The blog is served on 127.0.0.1, captured by Debian's wget (`--warc-file`) twice with a share
of the posts edited and deleted between the captures, then shut down; pywb (`.venv-pywb`, or
WIXARCHIVE_PYWB_BIN) serves the WARCs. recover runs with --delay 0 (the archive is local), as a
subprocess, as a user runs it. Needs wget and pywb.
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

from crawler.sample_site import SampleBlog  # noqa: E402
from tests.pywb import MISSING, pywb_bin, wayback  # noqa: E402
from tests.webarchives import two_wget_captures  # noqa: E402

BIN = Path(sys.executable).parent
DEFAULT_DELAY = 1.0


def run(command: list[str], check: bool = True) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, check=check, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def _download(urls: list[str]) -> float:
    """Seconds to GET each URL once with urllib, one after another (the bare cost of the
    requests recover makes to the archive's replay)."""
    import urllib.error
    import urllib.request

    started = time.perf_counter()
    for url in urls:
        try:
            with urllib.request.urlopen(url) as response:
                response.read()
        except urllib.error.HTTPError as exc:  # the replayed 404s
            exc.read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--deleted", type=float, default=0.02)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wget") is None:
        sys.exit("Error: needs Debian's wget (apt-get install wget)")
    if pywb_bin() is None:
        sys.exit(f"Error: {MISSING}")
    work = Path(tempfile.mkdtemp(prefix="wixarchive-recover-bench-"))
    try:
        blog = SampleBlog(seed=21, post_count=args.posts)
        first, second, url = two_wget_captures(blog, work, int(args.posts * args.changed),
                                               int(args.posts * args.deleted))
        site = url + "/"
        db = work / "archive.db"
        with wayback(work / "pywb", warcs=[first, second]) as base:
            command = [str(BIN / "wixarchive"), "recover", site, "--from", base, "--db",
                       str(db), "--delay", "0", "--no-images", "--json"]
            seconds, out = run(command)
            summary = json.loads(out)
            again_seconds, again_out = run(command)
            again = json.loads(again_out)
            with sqlite3.connect(db) as conn:
                urls = [f"{base}{stamp}id_/{url}" for url, stamp in conn.execute(
                    "SELECT url, timestamp FROM recovered WHERE record_id IS NOT NULL")]
                versions = conn.execute("SELECT count(*) FROM post_versions").fetchone()[0]
                posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
            listing = work / "replay-urls.txt"
            listing.write_text("\n".join(urls) + "\n")
            fetch_seconds = _download(urls)
            # wget exits 8 for the replayed 404s (the deletions): not a failure here.
            raw_seconds, _ = run(["wget", "--quiet", "--tries=1", "--content-on-error",
                                  f"--directory-prefix={work / 'raw'}",
                                  f"--input-file={listing}"], check=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    requests = summary["requests"]["cdx"] + summary["requests"]["replay"]
    again_requests = again["requests"]["cdx"] + again["requests"]["replay"]
    rows = [
        ("recover (--delay 0)", seconds, requests, requests * DEFAULT_DELAY),
        ("recover again (fetches nothing)", again_seconds, again_requests,
         again_requests * DEFAULT_DELAY),
        ("urllib GET of the same id_ URLs (download only)", fetch_seconds, len(urls),
         len(urls) * DEFAULT_DELAY),
        ("wget -i of the same id_ URLs (download only)", raw_seconds, len(urls),
         len(urls) * DEFAULT_DELAY),
    ]
    if args.json:
        print(json.dumps({"posts": posts, "versions": versions, "captures": len(urls),
                          "rows": [dict(zip(("command", "seconds", "requests", "floor"), r,
                                            strict=True)) for r in rows]}))
        return
    print(f"{posts} posts, {versions} versions, {summary['sites'][site]['deleted']} deleted, "
          f"from {len(urls)} captures (two wget captures in pywb)")
    print(f"{'command':48} {'seconds':>8} {'requests':>9} {'1 req/s floor':>14} "
          f"{'vs urllib':>9}")
    for name, took, count, floor in rows:
        ratio = f"{took / fetch_seconds:.1f}x" if fetch_seconds else "-"
        print(f"{name:48} {took:8.2f} {count:9d} {floor:13.0f}s {ratio:>9}")


if __name__ == "__main__":
    main()
