"""Hostile servers: what each one costs a crawl, what the run says, and what it harms.

    .venv/bin/python benchmarks/hostile_servers.py [--timeout 5] [--only NAME] [--json]

A sample blog is crawled once into an archive; then, per case, a copy of that archive is crawled
again (`python -m crawler.run`, one process per case, the project's settings but no delay, no
media and `DOWNLOAD_TIMEOUT=--timeout`) while the site misbehaves in one way (see
crawler.sample_site.hostile). The table gives the crawl's wall time, its peak memory (crawl
process + archive worker), the run's status, the first error naming the hostile URL, how many
archived posts the run marked deleted (all wrongly: none was deleted), and for the 429 cases the
gap between the 429 and the retry. A crawl still running after --limit seconds is killed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.store import Archive  # noqa: E402
from crawler.sample_site import SampleBlog, serve_blog  # noqa: E402
from crawler.sample_site import hostile as h  # noqa: E402
from crawler.sample_site.server import BlogServer  # noqa: E402

# Pages only (`--no-media`): the hostile servers are the blog's, and the posts' images would be
# requests to Wix's CDN.
SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "CRITICAL",
            "WIXARCHIVE_MEDIA": False}
POSTS_SITEMAP = "/blog-posts-sitemap.xml"


def _crawl(url: str, db: Path, settings: dict[str, Any],
           limit: float) -> tuple[dict[str, Any], float]:
    """One crawl process; after `limit` seconds it and its worker are killed (SIGKILL)."""
    with tempfile.TemporaryDirectory() as tmp:
        summary_path = Path(tmp) / "summary.json"
        command = [sys.executable, "-m", "crawler.run", url, "--db", str(db),
                   "--summary", str(summary_path)]
        for key, value in settings.items():
            command += ["--set", f"{key}={json.dumps(value)}"]
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return {"status": f"killed: no end in {limit:.0f} s", "errors": []}, limit
        elapsed = time.perf_counter() - started
        try:
            return json.loads(summary_path.read_text()), elapsed
        except (OSError, ValueError):
            return {"status": "no summary", "errors": [], "message": ""}, elapsed


def _snapshot(db: Path, site: str) -> dict[str, tuple[str, str | None]]:
    with Archive.open(db, readonly=True) as archive:
        return {url: (known.content_hash, known.deleted_at)
                for url, known in archive.known_posts(site).items()}


# Each case: (name, set-up on the server for the blog's first post path, the path to look for
# in the run's errors). Set-ups return that path.
Setup = Callable[[BlogServer, SampleBlog], str]


def _post(behaviour: h.Takeover) -> Setup:
    def setup(server: BlogServer, blog: SampleBlog) -> str:
        post = blog.posts[0]
        blog.edit_post(post.slug, title=post.title)  # a newer lastmod: fetched again
        server.takeovers[post.url_path] = behaviour
        return post.url_path
    return setup


def _storm(server: BlogServer, blog: SampleBlog) -> str:
    for post in blog.posts:
        blog.edit_post(post.slug, title=post.title)
        server.takeovers[post.url_path] = h.always(503)
    return blog.posts[0].url_path


def _redirect_cycle(server: BlogServer, blog: SampleBlog) -> str:
    post = blog.posts[0]
    blog.edit_post(post.slug, title=post.title)
    server.takeovers[post.url_path] = h.redirect_to(server.url + "/post/elsewhere")
    server.takeovers["/post/elsewhere"] = h.redirect_to(server.url + post.url_path)
    return post.url_path


def _sitemap(pages: Callable[[BlogServer, SampleBlog], dict[str, Any]],
             path: str = POSTS_SITEMAP) -> Setup:
    def setup(server: BlogServer, blog: SampleBlog) -> str:
        server.takeovers[path] = h.xml_by_query(pages(server, blog))
        return path
    return setup


def _self_index(server: BlogServer, blog: SampleBlog) -> dict[str, Any]:
    me = server.url + POSTS_SITEMAP
    return {"": h.sitemap_index([me, me + "?page=1"]),
            "page=1": h.urlset(server.url, blog.posts)}


def _cycle(server: BlogServer, blog: SampleBlog) -> dict[str, Any]:
    me = server.url + POSTS_SITEMAP
    return {"": h.sitemap_index([me + "?page=1", me + "?page=2"]),
            "page=1": h.sitemap_index([me + "?page=2", me + "?page=3"]),
            "page=2": h.sitemap_index([me, me + "?page=1"]),
            "page=3": h.urlset(server.url, blog.posts)}


def _fifty_thousand(server: BlogServer, blog: SampleBlog) -> dict[str, Any]:
    elsewhere = [f"https://elsewhere.example/post/p-{n}" for n in range(50_000)]
    return {"": h.urlset(server.url, blog.posts, elsewhere + [server.url + "/post/x"])}


def _malformed(server: BlogServer, blog: SampleBlog) -> dict[str, Any]:
    body = h.urlset(server.url, blog.posts)
    return {"": body[: len(body) * 2 // 3]}  # cut mid-document: the last posts are missing


def _gz_index(gz_pages: dict[str, Any]) -> Callable[[BlogServer, SampleBlog], dict[str, Any]]:
    def pages(server: BlogServer, blog: SampleBlog) -> dict[str, Any]:
        server.takeovers[POSTS_SITEMAP + ".gz"] = h.xml_by_query(
            {key: make(server, blog) for key, make in gz_pages.items()})
        return {"": h.sitemap_index([server.url + POSTS_SITEMAP + ".gz"])}
    return pages


def _gz_no_header(server: BlogServer, blog: SampleBlog) -> h.Takeover:
    return h.served(h.gzipped(h.urlset(server.url, blog.posts)), "application/x-gzip")


def _gz_header(server: BlogServer, blog: SampleBlog) -> h.Takeover:
    return h.served(h.gzipped(h.urlset(server.url, blog.posts)), "application/xml", "gzip")


def _gz_bomb(server: BlogServer, blog: SampleBlog) -> h.Takeover:
    return h.compressed_bomb("gzip", "application/x-gzip", header=False)


CASES: list[tuple[str, Setup]] = [
    ("gzip bomb (1 GiB)", _post(h.compressed_bomb("gzip"))),
    ("deflate bomb (1 GiB)", _post(h.compressed_bomb("deflate"))),
    ("brotli bomb (1 GiB)", _post(h.compressed_bomb("br"))),
    ("endless slow body", _post(h.trickle())),
    ("300 MB body, Content-Length", _post(h.huge_body())),
    ("300 MB body, chunked", _post(h.huge_body(declared=False))),
    ("reset mid-body", _post(h.reset_mid_body())),
    ("PDF as a post", _post(h.typed_body("application/pdf", h.PDF))),
    ("PNG as a post", _post(h.typed_body("image/png", h.PNG))),
    ("PNG labelled text/html", _post(h.typed_body("text/html", h.PNG))),
    ("429 Retry-After: 2", _post(h.Throttle(2))),
    ("429 Retry-After: HTTP-date +2 s", _post(h.Throttle(2, as_date=True))),
    ("429 Retry-After: 3600", _post(h.Throttle(3600, times=None))),
    ("503 storm (every post)", _storm),
    ("redirect cycle A->B->A", _redirect_cycle),
    ("sitemap index lists itself", _sitemap(_self_index)),
    ("sitemap index cycle", _sitemap(_cycle)),
    ("50,001-URL sitemap", _sitemap(_fifty_thousand)),
    ("malformed (cut) sitemap", _sitemap(_malformed)),
    (".xml.gz, no Content-Encoding", _sitemap(_gz_index({"": _gz_no_header}))),
    (".xml.gz, Content-Encoding gzip", _sitemap(_gz_index({"": _gz_header}))),
    (".xml.gz bomb (1 GiB)", _sitemap(_gz_index({"": _gz_bomb}))),
]


def run(timeout: float, only: str | None, limit: float) -> list[dict[str, Any]]:
    settings = {**SETTINGS, "DOWNLOAD_TIMEOUT": timeout}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base_db = Path(tmp) / "good.db"
        blog = SampleBlog(seed=31, post_count=6)
        with serve_blog(blog) as server:
            good, _ = _crawl(server.url, base_db, settings, limit)
            assert good["status"] == "ok", good
            for number, (name, setup) in enumerate(CASES):
                if only and only.lower() not in name.lower():
                    continue
                db = Path(tmp) / f"case-{number}.db"
                shutil.copy(base_db, db)
                before = _snapshot(db, server.url)
                server.takeovers.clear()
                target = setup(server, blog)
                behaviour = server.takeovers.get(target)
                summary, elapsed = _crawl(server.url, db, settings, limit)
                server.takeovers.clear()
                seen = getattr(behaviour, "seen", [])
                waited = f"{seen[1] - seen[0]:.1f}" if len(seen) > 1 else "-"
                after = _snapshot(db, server.url)
                deleted = sum(1 for url, (_, gone) in after.items()
                              if gone and not before[url][1])
                named = [e for e in summary.get("errors", []) if target in e]
                rows.append({
                    "case": name, "seconds": round(elapsed, 1),
                    "peak_mb": summary.get("peak_rss_mb"), "status": summary.get("status"),
                    "posts": summary.get("posts"), "errors": len(summary.get("errors", [])),
                    "named": (named[0].split(": ", 1)[-1] if named else "-")[:90],
                    "deleted": deleted, "retry_gap_s": waited, "message": summary.get("message"),
                })
                print(f"{name}: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=5.0, help="DOWNLOAD_TIMEOUT (s)")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--limit", type=float, default=180.0,
                        help="kill a crawl that has not ended after this many seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run(args.timeout, args.only, args.limit)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'case':32} {'s':>6} {'MB':>5} {'status':11} {'posts':>5} {'del':>3} {'gap':>4}  "
          "error named")
    for row in rows:
        print(f"{row['case']:32} {row['seconds']:6.1f} {row['peak_mb'] or 0:5.0f} "
              f"{row['status']:11} {row['posts'] or 0:5} {row['deleted']:3} "
              f"{row['retry_gap_s']:>4}  {row['named']}")


if __name__ == "__main__":
    main()
