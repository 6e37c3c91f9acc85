"""Crawl benchmark: wixarchive's crawl against a bare Scrapy spider on the same generated site.

    .venv/bin/python benchmarks/crawl.py [--posts 10000] [--changed 0.01] [--json]
    .venv/bin/python benchmarks/crawl.py --sites 20 [--site-posts 21] [--parallel N] [--json]

With --sites: that many sample blogs, each on its own loopback address (127.0.0.2, ...: a site
of its own to Scrapy), crawled with the default politeness (delay 0.5 s, AutoThrottle, 4 at a
time per site, robots.txt) by `wixarchive crawl URL... --parallel N` (one crawl process) and by
one bare Scrapy process crawling the same sites with the same per-site settings: wall time of
each, their ratio (target <= 1.25x), and the peak memory of each whole process tree (the crawl
process plus its archive worker, sampled from /proc every 0.1 s; target <= 400 MB).

(a) first crawl of N posts, end to end (discover, fetch, extract, clean, store), pages/s
    against Scrapy's SitemapSpider that only downloads the same pages, in the same run;
(b) a re-crawl after a fraction of the posts changed: requests made and time, against (a);
(c) peak memory of each crawl process.

The site is served from a thread of this process; each crawl runs in its own process, as
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
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.sample_site import SampleBlog, serve_blog  # noqa: E402

SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "ROBOTSTXT_OBEY": True,
    "LOG_LEVEL": "ERROR",
    "TELNETCONSOLE_ENABLED": False,
}


def _ours(url: str, db: Path) -> tuple[dict, float]:
    with tempfile.TemporaryDirectory() as tmp:
        summary = Path(tmp) / "summary.json"
        command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
                   "--summary", str(summary)]
        for key, value in SETTINGS.items():
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


def _timed(command: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run `command`; its wall time and the peak memory of its whole process tree (its CPU
    seconds, all processes, go to the result's `cpu_seconds`)."""
    peak = [0.0]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
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


def many_sites(count: int, posts: int, parallel: int, as_json: bool) -> int:
    blogs = [SampleBlog(seed=100 + n, post_count=posts) for n in range(count)]
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        servers = [stack.enter_context(serve_blog(blog, f"127.0.0.{2 + n}"))
                   for n, blog in enumerate(blogs)]
        urls = [server.url for server in servers]
        bare_s, bare_mb, bare_out = _timed([sys.executable, str(REPO / "benchmarks" /
                                                                "bare_spider.py"),
                                            *urls, json.dumps(POLITE)])
        bare = json.loads(bare_out.stdout.strip().splitlines()[-1])
        ours_s, ours_mb, ours_out = _timed([sys.executable, "-m", "archive.cli", "crawl", *urls,
                                            "--db", str(Path(tmp) / "many.db"), "--parallel",
                                            str(parallel), "--json"])
        summaries = json.loads(ours_out.stdout)
    archived = sum(s.get("posts", 0) for s in summaries)
    result = {
        "sites": count, "posts_per_site": posts, "parallel": parallel,
        "bare_seconds": round(bare_s, 1), "bare_peak_mb": round(bare_mb, 1),
        "bare_responses": bare["responses"],
        "bare_cpu_seconds": round(bare_out.cpu_seconds, 1),  # type: ignore[attr-defined]
        "ours_cpu_seconds": round(ours_out.cpu_seconds, 1),  # type: ignore[attr-defined]
        "ours_seconds": round(ours_s, 1), "ours_peak_mb": round(ours_mb, 1),
        "ours_posts": archived, "ours_ok_sites": sum(s["status"] == "ok" for s in summaries),
        "time_vs_bare": round(ours_s / bare_s, 3),
    }
    if as_json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{count} sites x {posts} posts on 127.0.0.2-{count + 1}, default politeness")
    print(f"{'run':<52} {'seconds':>8} {'CPU s':>8} {'peak MB':>8}")
    print(f"{'bare Scrapy, one process, a Crawler per site':<52} {bare_s:8.1f} "
          f"{result['bare_cpu_seconds']:8.1f} {bare_mb:8.1f}")
    print(f"{f'wixarchive crawl --parallel {parallel} (end to end)':<52} {ours_s:8.1f} "
          f"{result['ours_cpu_seconds']:8.1f} {ours_mb:8.1f}")
    print(f"\nwall time vs bare Scrapy: {result['time_vs_bare']:.2f}x   (target <= 1.25x); "
          f"{archived} posts archived, {result['ours_ok_sites']}/{count} sites ok")
    print(f"peak memory, whole crawl (all processes): {ours_mb:.0f} MB   (target <= 400 MB)")
    return 0


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
    args = parser.parse_args()
    if args.sites:
        return many_sites(args.sites, args.site_posts, args.parallel or args.sites, args.json)

    blog = SampleBlog(seed=42, post_count=args.posts)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, serve_blog(blog) as server:
        bare_runs, first_runs = [], []
        for attempt in range(args.repeat):
            bare_runs.append(_bare(server.url))
            db = Path(tmp) / f"bench-{attempt}.db"
            first_runs.append(_ours(server.url, db))
        bare, bare_s = min(bare_runs, key=lambda run: run[1])
        first, first_s = min(first_runs, key=lambda run: run[1])
        changed = max(1, int(args.posts * args.changed))
        step = max(1, len(blog.posts) // changed)
        for post in blog.posts[::step][:changed]:
            blog.edit_post(post.slug, paragraphs=[f"Edited for the benchmark: {post.slug}."])
        second, second_s = _ours(server.url, db)

    posts = args.posts
    rows = [
        ("bare Scrapy SitemapSpider (download only)", bare["requests"], bare_s,
         posts / bare_s, bare["peak_rss_mb"]),
        ("wixarchive first crawl (end to end)", first["requests"], first_s,
         posts / first_s, first["peak_rss_mb"]),
        (f"wixarchive re-crawl ({changed} posts changed)", second["requests"], second_s,
         None, second["peak_rss_mb"]),
    ]
    result = {
        "posts": posts,
        "changed": changed,
        "throughput_vs_bare": round((posts / first_s) / (posts / bare_s), 3),
        "recrawl_requests_ratio": round(second["requests"] / max(1, first["requests"]), 4),
        "recrawl_time_ratio": round(second_s / first_s, 3),
        "recrawl_counts": second["counts"],
        "first_counts": first["counts"],
        "rows": [dict(zip(("run", "requests", "seconds", "posts_per_s", "peak_rss_mb"), r,
                          strict=True)) for r in rows],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'run':<48} {'requests':>9} {'seconds':>8} {'posts/s':>8} {'peak MB':>8}")
    for name, requests, seconds, rate, rss in rows:
        rate_text = f"{rate:8.1f}" if rate else f"{'':>8}"
        print(f"{name:<48} {requests:>9} {seconds:8.1f} {rate_text} {rss:8.1f}")
    print(f"\nend-to-end throughput vs bare spider: {result['throughput_vs_bare']:.0%}"
          f"   (target >= 80%)")
    print(f"re-crawl requests vs first crawl:     {result['recrawl_requests_ratio']:.2%}"
          f"   (target <= 2%); stored: {second['counts']}")
    print(f"re-crawl time vs first crawl:         {result['recrawl_time_ratio']:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
