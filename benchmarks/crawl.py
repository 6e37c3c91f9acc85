"""Crawl benchmark: wixarchive's crawl against a bare Scrapy spider on the same generated site.

    .venv/bin/python benchmarks/crawl.py [--posts 10000] [--changed 0.01] [--json]

(a) first crawl of N posts, end to end (discover, fetch, extract, clean, store), pages/s
    against Scrapy's SitemapSpider that only downloads the same pages, in the same run;
(b) a re-crawl after a fraction of the posts changed: requests made and time, against (a);
(c) peak memory of each crawl process.

The site is served from a thread of this process; each crawl runs in its own process, as
`wixarchive crawl` does, with the same settings (no delay, 16 requests at a time, robots.txt on).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--changed", type=float, default=0.01, help="fraction edited")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each first crawl, alternating; the fastest counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

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
