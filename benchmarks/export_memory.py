"""Peak memory of `wixarchive export` in every format, at growing archive sizes.

    .venv/bin/python benchmarks/export_memory.py --sizes 10000 100000   (or --sizes 10000,100000)
    .venv/bin/python benchmarks/export_memory.py --sizes 1000 10000 --formats wacz

Builds a synthetic archive per size through the store's batch API (Archive.save_articles, as a
crawl does) with a capture of each post's page (a response and a request record, and for every
tenth post a second fetch stored as a revisit record, as a re-crawl writes them), then runs each
export in a fresh process and reads that process's peak RSS (its VmHWM). Streaming writers keep
the peak flat as the archive grows; the last column is the peak at the largest size over the
peak at the smallest. The row `wacz create` is py-wacz packing the same capture files (the
reference tool; it has no page list here and packs whole files, so it does less).
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive import captures  # noqa: E402
from archive.store import Archive  # noqa: E402
from benchmarks.options import add_sizes, chosen_sizes  # noqa: E402
from crawler.extract.record import Article  # noqa: E402

FORMATS = ("jsonl", "csv", "markdown", "wxr", "wacz")
WACZ_CREATE = "wacz create"
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


def page(post: Article) -> bytes:
    """The HTML a site would have served for the post (about 5 KB)."""
    return (f"<!doctype html><html><head><title>{post.title}</title></head><body><article>"
            f"<h1>{post.title}</h1>{post.body_html}</article></body></html>").encode()


def capture(writer: captures.CaptureWriter, post: Article, body: bytes,
            revisit_of: tuple[str, str] | None = None) -> captures.CaptureRow:
    exchange = captures.Exchange(
        url=post.url, method="GET", request_headers=[("User-Agent", "wixarchive-bench")],
        status=200, response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(body)))],
        body=body, record_id=captures.new_record_id())
    return writer.write(exchange, revisit_of)


def build(path: Path, size: int) -> None:
    rng = random.Random(size)
    with Archive.open(path) as archive:
        writer = captures.CaptureWriter(captures.captures_dir(path))
        for first in range(0, size, BATCH):
            posts = [article(rng, n) for n in range(first, min(first + BATCH, size))]
            archive.save_articles(posts)
            rows = []
            for post in posts:
                body = page(post)
                rows.append(row := capture(writer, post, body))
                if int(post.url.rsplit("p", 1)[1]) % 10 == 0:
                    rows.append(capture(writer, post, body, (row.url, row.fetched_at)))
            writer.sync()
            archive.conn.execute("BEGIN")
            captures.index_rows(archive.conn, rows)
            archive.conn.execute("COMMIT")
        for name, size_ in [*writer.closed_files, (writer.name, writer.size)]:
            if name:
                archive.conn.execute("BEGIN")
                captures.mark_file(archive.conn, name, size_, closed=True)
                archive.conn.execute("COMMIT")
        writer.close()


MEASURE_WACZ_CREATE = MEASURE.replace("from archive.cli import main",
                                      "from wacz.main import main").replace(
    "main(sys.argv[1:], standalone_mode=False)", "main(sys.argv[1:])")


def peak_rss_mb(db: Path, fmt: str, out: Path) -> tuple[float, float]:
    if fmt == WACZ_CREATE:
        files = sorted(str(p) for p in captures.captures_dir(db).glob("*.warc.gz"))
        command = [sys.executable, "-c", MEASURE_WACZ_CREATE, "create", "-o", str(out), *files]
    else:
        command = [sys.executable, "-c", MEASURE, "export", "--format", fmt, "--db", str(db),
                   str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return int(done.stderr.strip().splitlines()[-1]) / 1024, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sizes(parser, [10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=[*FORMATS, WACZ_CREATE],
                        choices=[*FORMATS, WACZ_CREATE])
    args = parser.parse_args()
    args.sizes = chosen_sizes(args)
    results: dict[str, list[tuple[float, float]]] = {fmt: [] for fmt in args.formats}
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            db = Path(scratch) / f"{size}.db"
            started = time.perf_counter()
            build(db, size)
            print(f"built {size:,} posts in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)
            for fmt in args.formats:
                out = Path(scratch) / f"out-{fmt.replace(' ', '-')}"
                results[fmt].append(peak_rss_mb(db, fmt, out))
                shutil.rmtree(out, ignore_errors=True) if out.is_dir() else out.unlink()
                print(f"  {fmt}: {results[fmt][-1][0]:.0f} MB, {results[fmt][-1][1]:.1f} s",
                      file=sys.stderr, flush=True)
            db.unlink()
            shutil.rmtree(captures.captures_dir(db))
    sizes = " | ".join(f"{size:,} posts: peak RSS (time)" for size in args.sizes)
    print(f"| format | {sizes} | peak ratio |")
    print("|---" * (len(args.sizes) + 2) + "|")
    for fmt, cells in results.items():
        shown = " | ".join(f"{mb:.0f} MB ({s:.1f} s)" for mb, s in cells)
        print(f"| {fmt} | {shown} | {cells[-1][0] / cells[0][0]:.2f} |")


if __name__ == "__main__":
    main()
