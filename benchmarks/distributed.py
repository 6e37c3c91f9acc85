"""Distributed-crawl benchmark: 1, 2 and 4 Redis workers crawling one sample blog.

    .venv/bin/python benchmarks/distributed.py [--posts 10000] [--workers 1,2,4]
        [--writer-posts 2000] [--json]

(a) For each worker count W: a fresh redis-server on loopback (no persistence), one sample
    blog of --posts generated posts on 127.0.0.1 (served by nginx from files, or by this
    process with --server python: benchmarks/static_site.py), `wixarchive crawl
    URL --redis ... --concurrency 16 --delay 0 --no-autothrottle --no-media` (the writer) and W
    `wixarchive worker` processes. Wall time from the writer's start to its end (every post
    stored and its run closed), posts/s, and the ratio to one worker.
    The same crawl without Redis (`wixarchive crawl URL` alone: one crawl process and its
    archive worker), in the same run, is the reference.
(b) The writer's ceiling: --writer-posts results (an extracted post and its raw capture each,
    as a worker sends them) pushed into Redis beforehand, then stored by the writer alone:
    items/s. It bounds what any number of workers can archive per second through one writer.

Needs `redis-server` on PATH (Debian package redis-server).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.static_site import choose, serve_blogs  # noqa: E402
from crawler.sample_site import SampleBlog  # noqa: E402

WIXARCHIVE = [sys.executable, "-m", "archive.cli"]


@contextlib.contextmanager
def redis_server(folder: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        with contextlib.suppress(redis.RedisError):
            if client.ping():
                break
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()


def crawl(url: str, workers: int, tmp: Path) -> dict:
    db = tmp / f"w{workers}.db"
    with redis_server(tmp) as redis_url:
        started = time.monotonic()
        # Pages only (as benchmarks/crawl.py's posts/s); images, were they on, would come from
        # the sample server, never from the network.
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{url}/media/"}
        writer = subprocess.Popen([*WIXARCHIVE, "crawl", url, "--db", str(db), "--redis",
                                   redis_url, "--concurrency", "16", "--delay", "0",
                                   "--no-autothrottle", "--no-media", "--json"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO,
                                  text=True, env=env)
        procs = [subprocess.Popen([*WIXARCHIVE, "worker", "--redis", redis_url,
                                   "--idle-timeout", "3"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, cwd=REPO)
                 for _ in range(workers)]
        out, _ = writer.communicate()
        seconds = time.monotonic() - started
        for proc in procs:
            proc.wait()
    summary = json.loads(out)
    posts = summary["counts"].get("new", 0)
    return {"workers": workers, "posts": posts, "seconds": round(seconds, 1),
            "posts_per_s": round(posts / seconds, 1), "status": summary["status"]}


def single_process(url: str, tmp: Path) -> dict:
    """The reference: the same crawl by `wixarchive crawl` without Redis."""
    db = tmp / "single.db"
    env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{url}/media/"}
    started = time.monotonic()
    result = subprocess.run([*WIXARCHIVE, "crawl", url, "--db", str(db), "--concurrency", "16",
                             "--delay", "0", "--no-autothrottle", "--no-media", "--json"],
                            capture_output=True, text=True, cwd=REPO, env=env)
    seconds = time.monotonic() - started
    posts = json.loads(result.stdout)["counts"].get("new", 0)
    return {"workers": "none (no Redis)", "posts": posts, "seconds": round(seconds, 1),
            "posts_per_s": round(posts / seconds, 1)}


def writer_ceiling(blog: SampleBlog, count: int, tmp: Path) -> dict:
    """Items/s of the writer alone, from results already waiting in Redis."""
    from archive import captures
    from archive.distributed import RedisWriter
    from archive.distributed_sites import SiteCrawl, SiteJob, media_plan
    from archive.store import Archive
    from crawler.discover.urls import site_root
    from crawler.distributed import protocol as p
    from crawler.extract import extract_article
    from crawler.sample_site.server import BlogServer

    server = BlogServer(blog)
    site = "http://127.0.0.1:1/"
    messages = []
    for post in blog.posts[:count]:
        answer = server.respond(post.url_path, record=False)
        url = site.rstrip("/") + post.url_path
        article = extract_article(answer.body, url, content_type="text/html; charset=utf-8")
        exchange = captures.Exchange(url=url, method="GET", request_headers=[], status=200,
                                     response_headers=list(answer.headers.items()),
                                     body=answer.body, record_id=captures.new_record_id())
        messages.append(p.encode_message({
            "site": site, "fetched": 1, "errors": [], "captures": [exchange],
            "items": [("post", article, {"fetched_at": "2026-12-03T00:00:00+00:00",
                                         "lastmod": None, "etag": None,
                                         "http_last_modified": None, "capture": None})]}))
    db = tmp / "ceiling.db"
    with redis_server(tmp) as redis_url:
        # Pages only, as the crawls above (--no-media): no media queued once the posts are in.
        writer = RedisWriter(db, redis_url, {"WIXARCHIVE_MEDIA": False})
        with Archive.open(db) as archive:
            writer._claim(archive)
            run_id = archive.start_run(site)
            state = SiteCrawl(SiteJob(site), 0, run_id, "", {}, media_plan(writer.settings),
                          site_root(site))
            for message in messages:
                message_run = p.decode_message(message) | {"run": run_id}
                writer.server.rpush(p.RESULTS, p.encode_message(message_run))
            started = time.monotonic()
            stored, _ = writer._drain(archive, {site: state})
            seconds = time.monotonic() - started
            writer._close_captures(archive)
            writer._release()
    return {"items": stored, "seconds": round(seconds, 2),
            "items_per_s": round(stored / seconds, 1),
            "new": state.stats.get("wixarchive/new", 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--writer-posts", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--server", choices=("nginx", "python"),
                        help="what serves the blog (default: nginx when on PATH)")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        print("error: redis-server not found (apt-get install redis-server)", file=sys.stderr)
        return 1
    server = choose(args.server)
    blog = SampleBlog(seed=1, post_count=args.posts)
    results: dict = {"posts": args.posts, "server": server, "crawls": []}
    with tempfile.TemporaryDirectory() as tmp, serve_blogs(server, [blog], ["127.0.0.1"]) as site:
        for workers in [0, *(int(w) for w in args.workers.split(","))]:
            site_cpu = site.cpu_seconds()
            row = (crawl(site.url, workers, Path(tmp)) if workers
                   else single_process(site.url, Path(tmp)))
            row["site_cpu_seconds"] = round(site.cpu_seconds() - site_cpu, 2)
            if workers:
                results["crawls"].append(row)
            else:
                results["single"] = row
            print(json.dumps(row), file=sys.stderr)
        results["writer"] = writer_ceiling(blog, min(args.writer_posts, args.posts), Path(tmp))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    base = results["single"]["posts_per_s"]
    print(f"{args.posts} posts, one sample blog on 127.0.0.1 served by {server}, 16 requests "
          "at a time, no delay")
    print("| workers | posts | wall time | posts/s | vs no Redis | site CPU |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in [results["single"], *results["crawls"]]:
        print(f"| {row['workers']} | {row['posts']} | {row['seconds']} s | {row['posts_per_s']} "
              f"| {row['posts_per_s'] / base:.2f}x | {row['site_cpu_seconds']} s |")
    w = results["writer"]
    print(f"Writer alone: {w['items']} posts with captures stored in {w['seconds']} s = "
          f"{w['items_per_s']} items/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
