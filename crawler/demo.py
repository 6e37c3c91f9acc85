"""`make demo`: serve a sample Wix blog on 127.0.0.1, crawl it into an archive, search it.

Everything runs through the real commands a user would type (`wixarchive crawl`,
`wixarchive stats`, `wixarchive search`), each in its own process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from crawler.sample_site import SampleBlog, serve_blog

DEMO_POSTS = 30
DEMO_QUERY = "garden"


def _wixarchive(*args: str) -> int:
    command = [sys.executable, "-m", "archive.cli", *args]
    print(f"\n$ wixarchive {' '.join(args)}", flush=True)
    return subprocess.call(command)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__)
    parser.add_argument("--db", default="demo/archive.db", type=Path)
    parser.add_argument("--posts", type=int, default=DEMO_POSTS)
    parser.add_argument("--query", default=DEMO_QUERY)
    args = parser.parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)

    # Some posts hold a video or link a PDF: recorded by URL (`--media-kinds` fetches them).
    blog = SampleBlog(seed=1, post_count=args.posts, attachments=True)
    with serve_blog(blog) as server:
        print(f"Serving a sample Wix blog with {args.posts} posts at {server.url}")
        status = _wixarchive("crawl", server.url, "--db", str(args.db),
                             "--delay", "0", "--no-autothrottle")
    if status != 0:
        return status
    _wixarchive("stats", "--db", str(args.db))
    _wixarchive("search", args.query, "--db", str(args.db), "--limit", "3")
    print(f"\nBrowse the archive: wixarchive serve --db {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
