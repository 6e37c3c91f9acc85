"""The everyday commands on an archive grown big: time and peak memory of each.

    .venv/bin/python benchmarks/big_archive.py                  (300 sites, 210,000 posts, 120 days)
    .venv/bin/python benchmarks/big_archive.py --sites 24 --posts-per-site 100 --days 10

Builds, through the store's own API (Archive.start_run, save_articles, finish_run, and the
captures module's writer and index, as benchmarks/search.py and export_memory.py do), the
archive of a user who has scheduled SITES blogs for months: one run a site a day, the runs of
an hour writing one capture file (as an hourly `run-due` does), 70% of each site's posts found
by its first run and the rest over the days, 30% of the posts edited 2 to 4 times (3 to 5
versions), a capture of every version. One site's last three runs fail. Then runs each command
in a fresh process and reads its wall time, its CPU time (user + system) and peak RSS (VmHWM),
and times the web pages' canned queries as plain SQL (Datasette stops a page's query at 1 s).

The reference is the same command on a small archive (`--small`, default 1/10 of the sites):
a command whose time grows much faster than the archive does not scale. Judge that by the CPU
ratio: on a shared machine a command's wall time is mostly its share of the cores (at load 6 on
2 cores, `check` took 3x its CPU time), so the wall-time ratio of two runs minutes apart follows
the load as much as the work. The web UI's posts table page is loaded twice through Datasette
(cold, then warm), with the facets that timed out. `--only LABEL` (repeatable) measures only
the commands whose label starts with LABEL (`--only check --only "search the --offset"`), and the
load average is printed before and after.

A build takes minutes (~7 at 70,000 posts on a loaded 2-core machine): `--dir DIR` keeps the
archives in DIR and measures those already there rather than building them again (an archive
an older wixarchive built is upgraded by the first command that writes, `check`).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive import captures  # noqa: E402
from archive.ingest import Fetch  # noqa: E402
from archive.store import Archive  # noqa: E402
from archive.web.metadata import QUERIES  # noqa: E402
from benchmarks.search import Corpus  # noqa: E402
from crawler.extract.record import Article  # noqa: E402

FAILING = 7  # the site whose last runs fail

# VmHWM of the command's own process (see export_memory.py for why not ru_maxrss).
MEASURE = """
import re, sys
from archive.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
finally:
    status = open("/proc/self/status").read()
    print(re.search(r"VmHWM:\\s*(\\d+)", status).group(1), file=sys.stderr)
"""


class Builder:
    def __init__(self, sites: int, per_site: int, days: int) -> None:
        self.sites, self.per_site, self.days = sites, per_site, days
        # The runs end a day ago: on a 30-day schedule no site is due.
        self.start = (datetime.now(UTC) - timedelta(days=days + 4)).replace(
            minute=0, second=0, microsecond=0)
        self.stream = Corpus(vocab_size=30_000).stream

    def text(self, rng: random.Random, low: int, high: int) -> list[str]:
        length = rng.randint(low, high)
        start = rng.randrange(len(self.stream) - length)
        words = self.stream[start:start + length]
        return [" ".join(words[i:i + 60]).capitalize() + "." for i in range(0, length, 60)]

    def article(self, site: int, post: int, edit: int) -> Article:
        rng = random.Random(site * 100_003 + post)
        paragraphs = self.text(rng, 150, 350)
        title = " ".join(self.text(rng, 5, 5)).rstrip(".") + f" {post}"
        if edit:
            paragraphs.append(" ".join(self.text(random.Random(site * 7 + post * 13 + edit),
                                                 20, 40)))
        n = site * self.per_site + post
        return Article(
            url=f"https://site{site}.example.com/post/p{post}", title=title,
            author=f"Author {n % 400}", published=f"{2015 + n % 11}-{1 + n % 12:02d}-"
            f"{1 + n % 28:02d}T08:00:00Z", tags=[f"tag{rng.randrange(300)}" for _ in range(3)],
            categories=[f"category{rng.randrange(40)}"], language="en",
            body_text="\n\n".join(paragraphs),
            body_html="".join(f"<p>{p}</p>" for p in paragraphs),
            body_markdown="\n\n".join(paragraphs), site_name=f"Site {site}",
            cover_image=f"https://static.wixstatic.com/media/c{n}.jpg",
            images=[f"https://static.wixstatic.com/media/i{n}.jpg"])

    def plan(self) -> dict[tuple[int, int], dict[int, int]]:
        """(site, day) -> {post: its edit number} that day's run saves."""
        rng = random.Random(1)
        first = int(self.per_site * 0.7)
        saves: dict[tuple[int, int], dict[int, int]] = {}
        for site in range(self.sites):
            for post in range(self.per_site):
                day = 0 if post < first else 1 + (post - first) * (self.days - 1) // max(
                    1, self.per_site - first)
                saves.setdefault((site, day), {})[post] = 0
                if rng.random() < 0.3 and day + 1 < self.days:
                    for edit in range(1, rng.randint(2, 4) + 1):
                        later = saves.setdefault((site, rng.randrange(day + 1, self.days)), {})
                        later[post] = max(edit, later.get(post, 0))
        return saves

    def build(self, path: Path) -> None:
        saves = self.plan()
        with Archive.open(path) as archive:
            folder = captures.captures_dir(path)
            for day in range(self.days):
                for hour in range(24):
                    writer = captures.CaptureWriter(folder)
                    for site in range(hour, self.sites, 24):
                        when = self.start + timedelta(days=day, hours=hour)
                        self.run(archive, writer, site, when, saves.get((site, day), {}))
                    files = [*writer.closed_files, (writer.name, writer.size)]
                    writer.close()
                    with archive.transaction() as conn:
                        for name, size in files:
                            if name:
                                captures.mark_file(conn, name, size, closed=True)
            end = self.start + timedelta(days=self.days)
            for day in range(3):
                self.record(archive, FAILING, end + timedelta(days=day), "failed",
                            ["could not reach the site: DNS lookup failed"])
            for site in range(self.sites):  # every other site crawled once more since
                if site != FAILING:
                    self.record(archive, site, end + timedelta(days=3, hours=site % 24), "ok", [])
            archive.optimize()

    def run(self, archive: Archive, writer: captures.CaptureWriter, site: int, when: datetime,
            posts: dict[int, int]) -> None:
        stamp = when.isoformat(timespec="seconds")
        run = archive.start_run(f"https://site{site}.example.com/", started_at=stamp)
        rows, fetches = [], []
        for post, edit in sorted(posts.items()):
            article = self.article(site, post, edit)
            body = (f"<!doctype html><html><head><title>{article.title}</title></head><body>"
                    f"<article><h1>{article.title}</h1>{article.body_html}</article></body>"
                    "</html>").encode()
            rows.append(row := writer.write(captures.Exchange(
                url=article.url, method="GET", request_headers=[("User-Agent", "bench")],
                status=200, response_headers=[("Content-Type", "text/html; charset=utf-8")],
                body=body, record_id=captures.new_record_id(), fetched_at=when)))
            fetches.append(Fetch(article, stamp, capture=row.record_id))
        if rows:
            writer.sync()
            with archive.transaction() as conn:
                captures.index_rows(conn, rows)
        outcomes = archive.save_articles(fetches, run_id=run) if fetches else []
        counts = {"new": outcomes.count("new"), "changed": outcomes.count("changed"),
                  "unchanged": self.per_site - len(outcomes)}
        archive.finish_run(run, status="ok", counts=counts, errors=[],
                           finished_at=(when + timedelta(minutes=3)).isoformat(
                               timespec="seconds"))

    @staticmethod
    def record(archive: Archive, site: int, when: datetime, status: str,
               errors: list[str]) -> None:
        run = archive.start_run(f"https://site{site}.example.com/",
                                started_at=when.isoformat(timespec="seconds"))
        archive.finish_run(run, status=status, counts={}, errors=errors,
                           finished_at=(when + timedelta(minutes=1)).isoformat(
                               timespec="seconds"))


def commands(db: Path, scratch: Path) -> dict[str, list[str]]:
    site = "site5.example.com"
    return {
        "stats": ["stats"], "stats --json": ["stats", "--json"], "check": ["check"],
        "runs": ["runs"], "runs --failing": ["runs", "--failing"],
        f"runs --site {site} -n 20": ["runs", "--site", site, "-n", "20"],
        "sites list": ["sites", "list"], "run-due, nothing due": ["run-due", "--quiet"],
        "search the": ["search", "the"], "search the --count": ["search", "the", "--count"],
        "search the --offset 5000": ["search", "the", "--offset", "5000"],
        f"export jsonl --site {site}": ["export", "--format", "jsonl", "--site", site,
                                        str(scratch / "one.jsonl")],
        "export jsonl, every site": ["export", "--format", "jsonl", str(scratch / "all.jsonl")],
        "backup": ["backup", str(scratch / "copy.db")],
    }


class Measured(NamedTuple):
    seconds: float  # wall
    cpu: float  # user + system
    mb: float = 0.0  # peak RSS of the command's process; 0 for what runs in this process


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(db: Path, argv: list[str]) -> Measured:
    start, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv, "--db", str(db)],
                          capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    *said, peak = done.stderr.strip().splitlines()
    if any(line.startswith("Error:") for line in said):  # a failed command measures nothing
        raise SystemExit(f"wixarchive {' '.join(argv)}: {' '.join(said)}")
    return Measured(seconds, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu, int(peak) / 1024)


def in_process(work: Callable[[], object]) -> Measured:
    start, cpu = time.perf_counter(), time.process_time()
    work()
    return Measured(time.perf_counter() - start, time.process_time() - cpu)


def posts_page(db: Path) -> list[tuple[Measured, str]]:
    """The posts table page, loaded cold then warm: seconds and the facets that timed out."""
    import asyncio

    from archive.cli.serve import make_datasette

    datasette = make_datasette(db)

    async def load() -> tuple[Measured, str]:
        start, cpu = time.perf_counter(), time.process_time()
        page = (await datasette.client.get(f"/{db.stem}/posts")).text
        took = Measured(time.perf_counter() - start, time.process_time() - cpu)
        timed_out = re.search(r"These facets timed out: ([^<]*)", page)
        return took, timed_out[1].strip() if timed_out else ""

    return [asyncio.run(load()) for _ in range(2)]


def canned_queries(db: Path, wanted: Callable[[str], bool]) -> dict[str, Measured]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    times = {}
    for name, query in QUERIES.items():
        if not wanted(label := f"web query {name}"):
            continue
        params = dict.fromkeys(re.findall(r":(\w+)", query["sql"]), "2026-11-01")
        times[label] = in_process(lambda sql=query["sql"], params=params: conn.execute(
            f"select * from ({sql}) limit 1001", params).fetchall())
    conn.close()
    return times


def sites_file(db: Path, sites: int) -> None:
    """Every site, crawled every 30 days: none due (the failing one, due again for its retry,
    is left out: `run-due` would crawl it)."""
    db.with_suffix(".sites.toml").write_text("".join(
        f'[[site]]\nurl = "https://site{site}.example.com/"\nevery = "30d"\n\n'
        for site in range(sites) if site != FAILING))


def load_average() -> str:
    return " ".join(f"{load:.1f}" for load in os.getloadavg())


def cell(took: Measured) -> str:
    if took.mb:
        return f"{took.seconds:.2f} s (CPU {took.cpu:.2f} s), {took.mb:.0f} MB"
    return f"{took.seconds * 1000:.1f} ms (CPU {took.cpu * 1000:.1f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--posts-per-site", type=int, default=700)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--small", type=int, default=0,
                        help="sites of the small reference archive (default: a tenth)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="build the archives here and keep them; reuse those built there")
    parser.add_argument("--only", action="append", default=[], metavar="LABEL",
                        help="measure only the commands whose label starts with LABEL "
                        "(repeatable): 'check', 'search the --offset', 'web query'")
    args = parser.parse_args()

    def wanted(label: str) -> bool:
        return not args.only or any(label.startswith(prefix) for prefix in args.only)

    small = args.small or max(24, args.sites // 10)
    results: dict[str, list[Measured]] = {}
    shapes = []
    loads = [load_average()]
    with tempfile.TemporaryDirectory() as scratch:
        for sites in (small, args.sites):
            folder = args.dir or Path(scratch)
            db = folder / f"{sites}x{args.posts_per_site}x{args.days}.db"
            started, built = time.perf_counter(), not db.exists()
            if built:
                folder.mkdir(parents=True, exist_ok=True)
                Builder(sites, args.posts_per_site, args.days).build(db)
                sites_file(db, sites)
            with sqlite3.connect(db) as conn:
                shape = [conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                         for table in ("posts", "post_versions", "crawl_runs", "capture_files",
                                       "captures")]
            shapes.append(shape)
            origin = (f"built {sites} sites in {time.perf_counter() - started:.0f} s" if built
                      else f"{db}, {sites} sites built before")
            print(f"{origin}: {shape[0]:,} posts, {shape[1]:,} versions, {shape[2]:,} runs, "
                  f"{shape[3]:,} capture files, {shape[4]:,} captures; load average "
                  f"{load_average()}", file=sys.stderr, flush=True)
            for label, argv in commands(db, Path(scratch)).items():
                if not wanted(label):
                    continue
                results.setdefault(label, []).append(measure(db, argv))
                print(f"  {label}: {cell(results[label][-1])}", file=sys.stderr, flush=True)
            for label, took in canned_queries(db, wanted).items():
                results.setdefault(label, []).append(took)
            if wanted("web page posts"):
                for load, (took, timed_out) in zip(("cold", "warm"), posts_page(db),
                                                   strict=True):
                    label = f"web page posts, {load}"
                    results.setdefault(label, []).append(took)
                    print(f"  {label}: {cell(took)}, facets timed out: {timed_out or 'none'}",
                          file=sys.stderr, flush=True)
            for leftover in Path(scratch).iterdir():
                subprocess.run(["rm", "-rf", str(leftover)], check=True)
    loads.append(load_average())
    print(f"| command | {shapes[0][0]:,} posts, {shapes[0][2]:,} runs, {shapes[0][3]:,} files "
          f"| {shapes[1][0]:,} posts, {shapes[1][2]:,} runs, {shapes[1][3]:,} files "
          "| ratio | CPU ratio |")
    print("|---|---|---|---|---|")
    for label, (before, after) in results.items():
        ratio = after.seconds / max(before.seconds, 1e-4)
        cpu_ratio = after.cpu / max(before.cpu, 1e-4)
        print(f"| {label} | {cell(before)} | {cell(after)} | {ratio:.1f}× | {cpu_ratio:.1f}× |")
    print(f"\nposts {shapes[1][0] / max(shapes[0][0], 1):.1f}×, captures "
          f"{shapes[1][4] / max(shapes[0][4], 1):.1f}×; load average (1, 5, 15 min) "
          f"{loads[0]} at the start, {loads[1]} at the end")


if __name__ == "__main__":
    main()
