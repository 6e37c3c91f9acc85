"""Crawl benchmark: wixarchive's crawl against a bare Scrapy spider on the same generated site.

    .venv/bin/python benchmarks/crawl.py [--posts 10000] [--changed 0.01] [--json]
    .venv/bin/python benchmarks/crawl.py --sites 20 [--site-posts 21] [--parallel N] [--json]
    .venv/bin/python benchmarks/crawl.py --realworld 2000 [--repeat 3] [--json]
    (each: [--server nginx|python], what serves the test sites; default nginx when on PATH)

With --realworld N: the real Wix post pages of $WIXARCHIVE_CORPUS/html, else
../shared/realworld/html (~0.6 MB each, the pages the truth records describe; absent: an error,
exit 3) served many times over from one loopback site whose posts
sitemap lists N URLs, each answering with one of the real pages in turn (their images from a
second loopback host). wixarchive's end-to-end posts/s (default: captures and images; then
captures without images; then neither) against the bare Scrapy spider in the same run,
alternating, --repeat times; the fastest of each counts (target >= 80% of bare, issue #17).

With --sites: that many sample blogs, each on its own loopback address (127.0.0.2, ...: a site
of its own to Scrapy), crawled with the default politeness (delay 0.5 s, AutoThrottle, 4 at a
time per site, robots.txt) by `wixarchive crawl URL... --parallel N` (one crawl process) and by
one bare Scrapy process crawling the same sites with the same per-site settings: wall time of
each, their ratio (target <= 1.25x), and the peak memory of each whole process tree (the crawl
process plus its archive worker, sampled from /proc every 0.1 s; target <= 400 MB).

(a) first crawl of N posts, end to end (discover, fetch, extract, clean, store), pages/s
    against Scrapy's SitemapSpider that only downloads the same pages, in the same run;
(b) a re-crawl after a fraction of the posts changed: requests made and time, against (a);
(c) peak memory of each crawl process;
(d) raw captures (WARC, see docs/captures.md): throughput with capture and full-size images
    on vs off (same run, alternating; images served from a second loopback host), storage per
    1,000 posts (database + captures) after the first crawl and what the re-crawl added, and
    `wixarchive reextract` posts/s over the captured posts (site stopped; best of --repeat
    runs) against the first crawl's posts/s, the CPU seconds a post of each (all processes),
    and where re-extraction's CPU goes (read / extract / compare / the rest, one process).

The sites are written to files and served by nginx (--server nginx, the default when nginx
is on PATH), or served from threads of this process (--server python), see
benchmarks/static_site.py; each table gives the CPU seconds each run cost the site server, as
well as the crawl's own (all its processes). Each crawl runs in its own process, as
`wixarchive crawl` does, with the same settings (no delay, 16 requests at a time, robots.txt on).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive import captures  # noqa: E402
from benchmarks.corpus import corpus_missing, realworld_corpus  # noqa: E402
from benchmarks.static_site import Sites, choose, serve_blogs, serve_real  # noqa: E402
from crawler.sample_site import SampleBlog  # noqa: E402

SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "ROBOTSTXT_OBEY": True,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
}


def _ours(url: str, db: Path, capture: bool = True, media: bool = True) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
                   "--summary", str(summary)]
        for key, value in {**SETTINGS, "WIXARCHIVE_CAPTURE": capture,
                           "WIXARCHIVE_MEDIA": media}.items():
            command += ["--set", f"{key}={json.dumps(value)}"]
        started = time.perf_counter()
        subprocess.run(command, check=True, cwd=REPO)
        elapsed = time.perf_counter() - started
        return json.loads(summary.read_text()), elapsed


def _bare(url: str) -> tuple[dict, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bare_spider.py"), url,
                          json.dumps(SETTINGS)], check=True, capture_output=True, text=True,
                         cwd=REPO)
    elapsed = time.perf_counter() - started
    return json.loads(out.stdout.strip().splitlines()[-1]), elapsed


def _metered(site: Sites, crawl_with: Callable[..., tuple], *args: object,
             **kwargs: object) -> tuple:
    """crawl_with(*args, **kwargs)'s result, then the CPU seconds it cost the crawl (all its
    processes) and the site server."""
    crawl, served = _children_cpu(), site.cpu_seconds()
    result = crawl_with(*args, **kwargs)
    return (*result, _children_cpu() - crawl, site.cpu_seconds() - served)


# Scrapy's defaults as crawler/settings.py sets them, for the bare reference.
POLITE = {
    "DOWNLOAD_DELAY": 0.5,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "ROBOTSTXT_OBEY": True,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
}


def _tree_rss_mb(root: int) -> float:
    """Resident memory of `root` and every process under it, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            pid = int(entry)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total / 2**20


def _timed(command: list[str], env: dict[str, str] | None = None,
           ) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run `command`; its wall time and the peak memory of its whole process tree (its CPU
    seconds, all processes, go to the result's `cpu_seconds`)."""
    peak = [0.0]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.1):
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if proc.returncode not in (0,):
        raise SystemExit(f"{command[:4]} failed ({proc.returncode}): {err[-2000:]}")
    result = subprocess.CompletedProcess(command, proc.returncode, out, err)
    result.cpu_seconds = _children_cpu() - cpu_before  # type: ignore[attr-defined]
    return elapsed, peak[0], result


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def many_sites(count: int, posts: int, parallel: int, server: str, as_json: bool) -> int:
    blogs = [SampleBlog(seed=100 + n, post_count=posts) for n in range(count)]
    hosts = [f"127.0.0.{2 + n}" for n in range(count)]
    # The posts' full-size images come from a host of their own, as static.wixstatic.com
    # serves a real blog's: each site's crawl fetches them through that host's politeness slot,
    # beside its pages (the bare spider fetches pages only).
    media_host = f"127.0.0.{2 + count}"
    with tempfile.TemporaryDirectory() as tmp, \
            serve_blogs(server, blogs, hosts, media_host) as site:
        urls = site.urls
        site_cpu = site.cpu_seconds()
        bare_s, bare_mb, bare_out = _timed([sys.executable, str(REPO / "benchmarks" /
                                                                "bare_spider.py"),
                                            *urls, json.dumps(POLITE)])
        bare = json.loads(bare_out.stdout.strip().splitlines()[-1])
        bare_site_cpu = site.cpu_seconds() - site_cpu
        ours_s, ours_mb, ours_out = _timed([sys.executable, "-m", "archive.cli", "crawl", *urls,
                                            "--db", str(Path(tmp) / "many.db"), "--parallel",
                                            str(parallel), "--json"],
                                           env={**os.environ, "WIXARCHIVE_MEDIA_BASE":
                                                f"{site.media_url}/media/"})
        summaries = json.loads(ours_out.stdout)
        ours_site_cpu = site.cpu_seconds() - site_cpu - bare_site_cpu
        # The same pages as the bare spider and no more: images off.
        pages_s, _, _ = _timed([sys.executable, "-m", "archive.cli", "crawl", *urls, "--db",
                                str(Path(tmp) / "pages.db"), "--parallel", str(parallel),
                                "--no-media", "--json"])
    archived = sum(s.get("posts", 0) for s in summaries)
    result = {
        "sites": count, "posts_per_site": posts, "parallel": parallel, "server": server,
        "bare_seconds": round(bare_s, 1), "bare_peak_mb": round(bare_mb, 1),
        "bare_responses": bare["responses"],
        "bare_cpu_seconds": round(bare_out.cpu_seconds, 1),  # type: ignore[attr-defined]
        "ours_cpu_seconds": round(ours_out.cpu_seconds, 1),  # type: ignore[attr-defined]
        "ours_seconds": round(ours_s, 1), "ours_peak_mb": round(ours_mb, 1),
        "bare_site_cpu_seconds": round(bare_site_cpu, 2),
        "ours_site_cpu_seconds": round(ours_site_cpu, 2),
        "ours_posts": archived, "ours_ok_sites": sum(s["status"] == "ok" for s in summaries),
        "ours_requests": sum(s.get("requests", 0) for s in summaries),
        "time_vs_bare": round(ours_s / bare_s, 3),
        "no_media_seconds": round(pages_s, 1), "no_media_time_vs_bare": round(pages_s / bare_s, 3),
    }
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{count} sites x {posts} posts on 127.0.0.2-{count + 1}, default politeness, "
          f"served by {server}")
    print(f"{'run':<52} {'seconds':>8} {'CPU s':>8} {'site CPU':>8} {'peak MB':>8}")
    print(f"{'bare Scrapy, one process, a Crawler per site':<52} {bare_s:8.1f} "
          f"{result['bare_cpu_seconds']:8.1f} {bare_site_cpu:8.2f} {bare_mb:8.1f}")
    print(f"{f'wixarchive crawl --parallel {parallel} (end to end)':<52} {ours_s:8.1f} "
          f"{result['ours_cpu_seconds']:8.1f} {ours_site_cpu:8.2f} {ours_mb:8.1f}")
    print(f"\nwall time vs bare Scrapy: {result['time_vs_bare']:.2f}x   (target <= 1.25x); "
          f"{archived} posts archived, {result['ours_ok_sites']}/{count} sites ok; requests: "
          f"bare {bare['responses']}, ours {result['ours_requests']} (robots.txt, sitemaps, "
          f"feed, posts, images)")
    print(f"with --no-media (the bare spider's pages only): {pages_s:.1f} s, "
          f"{result['no_media_time_vs_bare']:.2f}x")
    print(f"peak memory, whole crawl (all processes): {ours_mb:.0f} MB   (target <= 400 MB)")
    if server == "python":
        print("site CPU: this process's, its memory sampler (every 0.1 s) included")
    return 0

REALWORLD = realworld_corpus()


def _real_post_pages() -> list[bytes]:
    """The real post pages that have a truth record ($WIXARCHIVE_CORPUS or ../shared/realworld)."""
    import csv

    truth = {p.stem for p in (REALWORLD / "truth").glob("*.json")}
    with (REALWORLD / "html" / "MANIFEST.tsv").open(encoding="utf-8") as f:
        names = [row["file"] for row in csv.DictReader(f, delimiter="\t")
                 if row["kind"] == "post" and Path(row["file"]).stem in truth]
    return [(REALWORLD / "html" / name).read_bytes() for name in sorted(names)]


def realworld(count: int, repeat: int, server: str, as_json: bool) -> int:
    if not (REALWORLD / "html" / "MANIFEST.tsv").is_file():
        return corpus_missing(REALWORLD, "html/MANIFEST.tsv")
    pages = _real_post_pages()
    names = {"bare": "bare Scrapy SitemapSpider (download only)",
             "ours": "wixarchive (captures and images: default)",
             "no_media": "wixarchive --no-media (captures)",
             "no_capture": "wixarchive --no-capture"}
    # name -> runs of (seconds, crawl CPU s, site CPU s)
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    counts: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp, serve_real(server, pages, count) as site:
        SETTINGS["WIXARCHIVE_MEDIA_BASE"] = site.media_url + "/media/"
        for attempt in range(repeat):
            bare, seconds, crawl_cpu, site_cpu = _metered(site, _bare, site.url)
            runs["bare"].append((seconds, crawl_cpu, site_cpu))
            counts["bare"] = bare
            for name, capture, media in (("ours", True, True), ("no_media", True, False),
                                         ("no_capture", False, False)):
                db = Path(tmp) / f"{name}-{attempt}.db"
                summary, seconds, crawl_cpu, site_cpu = _metered(site, _ours, site.url, db,
                                                                 capture=capture, media=media)
                runs[name].append((seconds, crawl_cpu, site_cpu))
                counts[name] = {"requests": summary["requests"], **summary["counts"]}
        media_counts = _media_counts(Path(tmp) / f"ours-{repeat - 1}.db")
    best = {name: min(times) for name, times in runs.items()}
    result = {
        "posts": count, "distinct_pages": len(pages), "server": server,
        "mean_page_kb": round(sum(map(len, pages)) / len(pages) / 1024),
        "seconds": {name: [round(t[0], 2) for t in times] for name, times in runs.items()},
        "posts_per_s": {name: round(count / t[0], 1) for name, t in best.items()},
        "vs_bare": {name: round(best["bare"][0] / t[0], 3) for name, t in best.items()},
        "captures_and_images_vs_no_capture": round(best["no_capture"][0] / best["ours"][0], 3),
        "crawl_cpu_seconds": {name: round(t[1], 2) for name, t in best.items()},
        "site_cpu_seconds": {name: round(t[2], 2) for name, t in best.items()},
        "counts": counts,
        "media": media_counts,
    }
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{count} posts, each one of the {len(pages)} real post pages of {REALWORLD} "
          f"(mean {result['mean_page_kb']} KB), no delay, 16 at a time; best of {repeat}; "
          f"site served by {server}")
    print(f"{'run':<44} {'requests':>9} {'seconds':>8} {'posts/s':>8} {'vs bare':>8} "
          f"{'CPU s':>7} {'site CPU':>8}")
    for name, label in names.items():
        seconds, crawl_cpu, site_cpu = best[name]
        print(f"{label:<44} {counts[name]['requests']:>9} {seconds:8.1f} "
              f"{count / seconds:8.1f} {result['vs_bare'][name]:8.0%} {crawl_cpu:7.1f} "
              f"{site_cpu:8.2f}")
    print("all runs (s): " + "; ".join(f"{n} {result['seconds'][n]}" for n in names))
    print("target (issue #17): >= 80% of bare Scrapy's posts/s")
    print(f"posts/s, captures + images vs --no-capture: "
          f"{result['captures_and_images_vs_no_capture']:.0%}   (target, issue #15: >= 85%); "
          f"media: {media_counts}")
    print("CPU s: the crawl's, all its processes; site CPU: the site server's, same run")
    return 0


def _storage(db: Path) -> tuple[int, int]:
    """(database bytes after a checkpoint, capture bytes) of an archive."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        held = captures.sizes(conn, captures.captures_dir(db)).bytes
    return db.stat().st_size, held


def _media_counts(db: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM media GROUP BY status"))


def _reextract(db: Path) -> tuple[dict, float, float]:
    """`wixarchive reextract --json` over the archive: its counts, wall and CPU seconds (all
    its processes: the command and its extraction pool)."""
    cpu = _children_cpu()
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "archive.cli", "reextract", "--db", str(db),
                          "--json"], capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if out.returncode not in (0, 1):  # 1: some posts failed, named in the counts
        raise SystemExit(f"reextract failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout), elapsed, _children_cpu() - cpu


def _reextract_split(db: Path) -> dict[str, float]:
    """CPU ms a post of each step of re-extraction, from one more run in this process with
    one worker (this process), each step's functions timed with the thread's CPU clock:
    reading the capture, extracting, comparing with the stored content hash, and the rest
    (the index queries, counting, committing each batch with its resume point)."""
    from archive import reextract
    from archive.store import Archive

    spent = {"read": 0.0, "extract": 0.0, "compare": 0.0}

    def timed(name: str, function):
        def call(*args, **kwargs):
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.thread_time() - started
        return call

    originals = {name: getattr(reextract, name) for name in
                 ("_read_page", "_extract_page", "_compare")}
    for (name, function), step in zip(originals.items(), spent, strict=True):
        setattr(reextract, name, timed(step, function))
    try:
        started = time.thread_time()
        with Archive.open(db) as archive:
            result = reextract.reextract(archive, workers=1)
        total = time.thread_time() - started
    finally:
        for name, function in originals.items():
            setattr(reextract, name, function)
    split = {step: seconds * 1000 / max(1, result.posts) for step, seconds in spent.items()}
    split["index_and_write"] = total * 1000 / max(1, result.posts) - sum(split.values())
    return {step: round(ms, 3) for step, ms in split.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01, help="fraction edited")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each first crawl, alternating; the fastest counts")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sites", type=int, help="many sites at once (see above)")
    parser.add_argument("--site-posts", type=int, default=21, help="posts per site (--sites)")
    parser.add_argument("--parallel", type=int, help="sites at once (default: --sites)")
    parser.add_argument("--realworld", type=int, metavar="N",
                        help="N posts made of the real Wix pages (see above)")
    parser.add_argument("--server", choices=("nginx", "python"),
                        help="what serves the sites (default: nginx when on PATH)")
    args = parser.parse_args()
    server = choose(args.server)
    if args.realworld:
        return realworld(args.realworld, args.repeat, server, args.json)
    if args.sites:
        return many_sites(args.sites, args.site_posts, args.parallel or args.sites, server,
                          args.json)

    blog = SampleBlog(seed=42, post_count=args.posts)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        # The posts' images (static.wixstatic.com on Wix) from a second loopback host.
        with serve_blogs(server, [blog], ["127.0.0.1"], "127.0.0.2") as site:
            SETTINGS["WIXARCHIVE_MEDIA_BASE"] = site.media_url + "/media/"
            # Each run: (summary, seconds, crawl CPU s, site CPU s).
            bare_runs, first_runs, plain_runs, pages_runs = [], [], [], []
            for attempt in range(args.repeat):
                bare_runs.append(_metered(site, _bare, site.url))
                plain_runs.append(_metered(site, _ours, site.url,
                                           Path(tmp) / f"plain-{attempt}.db", capture=False))
                pages_runs.append(_metered(site, _ours, site.url,
                                           Path(tmp) / f"pages-{attempt}.db", media=False))
                db = Path(tmp) / f"bench-{attempt}.db"
                first_runs.append(_metered(site, _ours, site.url, db))
            bare, bare_s, bare_cpu, bare_site = min(bare_runs, key=lambda run: run[1])
            first, first_s, first_cpu, first_site = min(first_runs, key=lambda run: run[1])
            plain, plain_s, plain_cpu, plain_site = min(plain_runs, key=lambda run: run[1])
            pages, pages_s, pages_cpu, pages_site = min(pages_runs, key=lambda run: run[1])
            first_db, first_captures = _storage(db)
            changed = max(1, int(args.posts * args.changed))
            step = max(1, len(blog.posts) // changed)
            for post in blog.posts[::step][:changed]:
                blog.edit_post(post.slug, paragraphs=[f"Edited for the benchmark: {post.slug}."])
            site.refresh()  # nginx: rewrite the changed files (the Python server renders live)
            second, second_s, second_cpu, second_site = _metered(site, _ours, site.url, db)
            second_db, second_captures = _storage(db)
        # The site is stopped: re-extraction reads the captures only.
        # Run as many times as each crawl (every run re-extracts every post); the fastest counts.
        reextract_runs = [_reextract(db) for _ in range(args.repeat)]
        reextracted, reextract_s, reextract_cpu = min(reextract_runs, key=lambda run: run[1])
        reextract_split = _reextract_split(db)
        media_counts = _media_counts(db)

    posts = args.posts
    rows = [
        ("bare Scrapy SitemapSpider (download only)", bare["requests"], bare_s,
         posts / bare_s, bare["peak_rss_mb"], bare_cpu, bare_site),
        ("wixarchive first crawl (end to end)", first["requests"], first_s,
         posts / first_s, first["peak_rss_mb"], first_cpu, first_site),
        ("wixarchive first crawl, --no-media", pages["requests"], pages_s,
         posts / pages_s, pages["peak_rss_mb"], pages_cpu, pages_site),
        ("wixarchive first crawl, --no-capture", plain["requests"], plain_s,
         posts / plain_s, plain["peak_rss_mb"], plain_cpu, plain_site),
        (f"wixarchive re-crawl ({changed} posts changed)", second["requests"], second_s,
         None, second["peak_rss_mb"], second_cpu, second_site),
        ("wixarchive reextract (no network)", 0, reextract_s, posts / reextract_s, 0.0,
         reextract_cpu, 0.0),
    ]
    first_bytes = first_db + first_captures
    added_bytes = (second_db + second_captures) - first_bytes
    result = {
        "posts": posts,
        "server": server,
        "changed": changed,
        "throughput_vs_bare": round((posts / first_s) / (posts / bare_s), 3),
        "recrawl_requests_ratio": round(second["requests"] / max(1, first["requests"]), 4),
        "recrawl_time_ratio": round(second_s / first_s, 3),
        "recrawl_counts": second["counts"],
        "capture_on_vs_off_throughput": round(plain_s / first_s, 3),
        "capture_only_vs_off_throughput": round(plain_s / pages_s, 3),
        "media": media_counts,
        "storage_per_1000_posts_mb": {
            "database": round(first_db / posts * 1000 / 2**20, 2),
            "captures": round(first_captures / posts * 1000 / 2**20, 2)},
        "recrawl_added_bytes_ratio": round(added_bytes / first_bytes, 4),
        "recrawl_added_bytes": {"database": second_db - first_db,
                                "captures": second_captures - first_captures},
        "reextract": reextracted,
        "reextract_vs_crawl_posts_per_s": round(first_s / reextract_s, 2),
        "reextract_seconds": [round(run[1], 2) for run in reextract_runs],
        # CPU seconds of all processes a post: the load moves these far less than wall times.
        "crawl_cpu_ms_per_post": round(first_cpu * 1000 / posts, 2),
        "reextract_cpu_ms_per_post": round(reextract_cpu * 1000 / posts, 2),
        "reextract_vs_crawl_cpu": round(first_cpu / reextract_cpu, 2),
        "reextract_cpu_ms_per_post_split": reextract_split,
        "first_counts": first["counts"],
        "rows": [dict(zip(("run", "requests", "seconds", "posts_per_s", "peak_rss_mb",
                           "cpu_seconds", "site_cpu_seconds"), r, strict=True)) for r in rows],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{posts} sample posts, site served by {server}; best of {args.repeat}")
    print(f"{'run':<48} {'requests':>9} {'seconds':>8} {'posts/s':>8} {'peak MB':>8} "
          f"{'CPU s':>7} {'site CPU':>8}")
    for name, requests, seconds, rate, rss, cpu, site_cpu in rows:
        rate_text = f"{rate:8.1f}" if rate else f"{'':>8}"
        print(f"{name:<48} {requests:>9} {seconds:8.1f} {rate_text} {rss:8.1f} {cpu:7.1f} "
              f"{site_cpu:8.2f}")
    print("CPU s: the run's, all its processes; site CPU: the site server's in the same run")
    print(f"\nend-to-end throughput vs bare spider: {result['throughput_vs_bare']:.0%}"
          f"   (target >= 80%)")
    print(f"re-crawl requests vs first crawl:     {result['recrawl_requests_ratio']:.2%}"
          f"   (target <= 2%); stored: {second['counts']}")
    print(f"re-crawl time vs first crawl:         {result['recrawl_time_ratio']:.0%}")
    per_k = result["storage_per_1000_posts_mb"]
    print(f"posts/s, capture + images vs neither: {result['capture_on_vs_off_throughput']:.0%}"
          f"   (target >= 85%; images add {first['requests'] - pages['requests']} requests)")
    print(f"posts/s, capture only vs no capture:  "
          f"{result['capture_only_vs_off_throughput']:.0%}")
    print(f"storage per 1,000 posts, first crawl: {per_k['database']:.2f} MiB database + "
          f"{per_k['captures']:.2f} MiB captures")
    print(f"re-crawl added vs first crawl:        {result['recrawl_added_bytes_ratio']:.2%}"
          f"   (target <= 2%): {result['recrawl_added_bytes']}")
    print(f"reextract posts/s vs first crawl:     {result['reextract_vs_crawl_posts_per_s']}x"
          f"   (target >= 10x) {reextracted}; runs (s): {result['reextract_seconds']}")
    print(f"CPU ms a post, all processes:         crawl {result['crawl_cpu_ms_per_post']}, "
          f"reextract {result['reextract_cpu_ms_per_post']} "
          f"({result['reextract_vs_crawl_cpu']}x less)")
    print("reextract CPU ms a post, by step:     " + ", ".join(
        f"{step} {ms}" for step, ms in reextract_split.items()) + " (one process, serial)")
    print(f"media: {media_counts}")
    print("all runs (s): " + "; ".join(
        f"{name} {[round(run[1], 2) for run in runs]}" for name, runs in
        (("bare", bare_runs), ("default", first_runs), ("no_media", pages_runs),
         ("no_capture", plain_runs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
