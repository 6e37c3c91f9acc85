"""Peak memory of `wixarchive export` in every format, at growing archive sizes.

    .venv/bin/python benchmarks/export_memory.py --sizes 10000 100000

Builds a synthetic archive per size through the store's batch API (Archive.save_articles, as a
crawl does), then runs each export in a fresh process and reads that process's peak RSS
(its VmHWM). Streaming writers keep the peak flat as the archive grows; the last
column is the peak at the largest size over the peak at the smallest.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive.store import Archive
from crawler.extract.record import Article

FORMATS = ("jsonl", "csv", "markdown", "wxr")
BATCH = 1000
WORDS = [f"word{n}" for n in range(5000)]

# VmHWM (kB), not getrusage's ru_maxrss: Linux carries ru_maxrss over fork and exec from the
# parent, which grew while building the archive; VmHWM belongs to the new process image.
MEASURE = """
import re, sys
from archive.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    status = open("/proc/self/status").read()
    print(re.search(r"VmHWM:\\s*(\\d+)", status).group(1), file=sys.stderr)
"""


def article(rng: random.Random, n: int) -> Article:
    paragraphs = [" ".join(rng.choices(WORDS, k=60)) + "." for _ in range(6)]
    return Article(
        url=f"https://site{n % 5}.example.com/post/p{n}", title=f"Post {n} {rng.choice(WORDS)}",
        author=f"Author {n % 50}", published=f"{2015 + n % 10}-{1 + n % 12:02d}-"
        f"{1 + n % 28:02d}T08:00:00Z", tags=[f"tag{rng.randrange(300)}" for _ in range(3)],
        categories=[f"category{rng.randrange(20)}"], language="en",
        body_text="\n\n".join(paragraphs),
        body_html="".join(f"<p>{p} <a href=\"https://a.example/{n}\">link</a></p>"
                          for p in paragraphs),
        body_markdown="\n\n".join(f"{p} [link](https://a.example/{n})" for p in paragraphs),
        site_name=f"Site {n % 5}", cover_image=f"https://static.wixstatic.com/media/c{n}.jpg",
        images=[f"https://static.wixstatic.com/media/i{n}.jpg"])


def build(path: Path, size: int) -> None:
    rng = random.Random(size)
    with Archive.open(path) as archive:
        for first in range(0, size, BATCH):
            archive.save_articles([article(rng, n) for n in range(first, min(first + BATCH,
                                                                               size))])


def peak_rss_mb(db: Path, fmt: str, out: Path) -> tuple[float, float]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, "export", "--format", fmt, "--db",
                           str(db), str(out)], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return int(done.stderr.strip().splitlines()[-1]) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {fmt: [] for fmt in FORMATS}
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            db = Path(scratch) / f"{size}.db"
            started = time.perf_counter()
            build(db, size)
            print(f"built {size:,} posts in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
            for fmt in FORMATS:
                out = Path(scratch) / f"out-{fmt}"
                results[fmt].append(peak_rss_mb(db, fmt, out))
                shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink()
                print(f"  {fmt}: {results[fmt][-1][0]:.0f} MB, {results[fmt][-1][1]:.0f} s",
                      file=sys.stderr, flush=True)
            db.unlink()
    sizes = " | ".join(f"{size:,} posts: peak RSS (time)" for size in args.sizes)
    print(f"| format | {sizes} | peak ratio |")
    print("|---" * (len(args.sizes) + 2) + "|")
    for fmt, cells in results.items():
        shown = " | ".join(f"{mb:.0f} MB ({s:.0f} s)" for mb, s in cells)
        print(f"| {fmt} | {shown} | {cells[-1][0] / cells[0][0]:.2f} |")


if __name__ == "__main__":
    main()
