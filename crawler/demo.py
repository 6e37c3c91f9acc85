"""`make demo`: serve a sample Wix blog on 127.0.0.1, crawl it into an archive, search it.

Everything runs through the real commands a user would type (`wixarchive crawl`,
`wixarchive stats`, `wixarchive search`), each in its own process. The blog serves its own
images and videos too, and the crawl fetches them from there (WIXARCHIVE_MEDIA_BASE for
static.wixstatic.com, WIXARCHIVE_VIDEO_BASE for video.wixstatic.com, both printed with the
command, so that it can be run again by hand, with `--media-kinds` too), so the demo needs no
network. Run again, it serves the blog on the port
the archive already holds it under, so the crawl is the same site's incremental re-crawl.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from archive.captures import captures_dir
from archive.spawning import python_module, python_module_env
from archive.store import Archive, ArchiveError
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import BlogServer

DEMO_POSTS = 30
DEMO_QUERY = "garden"
DEMO_HOST = "127.0.0.1"


def command_name() -> str:
    """How the user can type the `wixarchive` command from where the demo runs: plain when
    their PATH finds this installation's, else its path (`.venv/bin/wixarchive` from the
    checkout `make demo` ran in): a new user copying a printed command got `wixarchive: command
    not found`, the venv's bin not being on their PATH."""
    script = Path(sys.executable).parent / "wixarchive"
    if not script.is_file():
        return "wixarchive"  # not an installed environment: whatever the user has
    found = shutil.which("wixarchive")
    if found and Path(found).resolve() == script.resolve():
        return "wixarchive"
    return _typed(script)


def _typed(path: Path) -> str:
    """`path` as the user types it from the current folder: relative inside it."""
    try:
        return shlex.quote(str(path.absolute().relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(path.absolute()))


def _wixarchive(*args: str, env: dict[str, str] | None = None) -> int:
    command = python_module("archive.cli", *args)
    shown = "".join(f"{name}={value} " for name, value in (env or {}).items())
    print(f"\n$ {shown}{command_name()} {' '.join(args)}", flush=True)
    return subprocess.call(command, env=python_module_env({**os.environ, **(env or {})}))


def _archived_port(db: Path, site_name: str) -> int | None:
    """The port of the sample blog in an earlier demo's archive (the last crawled one)."""
    if not db.is_file():
        return None
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            sites = archive.stats()
    except ArchiveError:
        return None  # the crawl says what is wrong with the file
    demo_sites = sorted((row["last_crawled"] or "", row["site"]) for row in sites
                        if row["name"] == site_name and urlsplit(row["site"]).hostname == DEMO_HOST)
    return urlsplit(demo_sites[-1][1]).port if demo_sites else None


def _serve(blog: SampleBlog, port: int | None) -> BlogServer:
    """The blog on `port` (None: a free one); on a free one if `port` is taken, saying so."""
    if port is not None:
        try:
            return serve_blog(blog, DEMO_HOST, port)
        except OSError as error:
            server = serve_blog(blog, DEMO_HOST)
            print(f"Port {port}, where the archive holds the sample blog, is taken "
                  f"({error.strerror}): serving it on {server.url}, which the archive keeps "
                  "as another site")
            return server
    return serve_blog(blog, DEMO_HOST)


def _image_counts(db: Path, site: str) -> tuple[int, int]:
    """The site's distinct post images, and how many of them are archived."""
    with Archive.open(db, readonly=True, create=False) as archive:
        total, stored = archive.conn.execute(
            "SELECT count(DISTINCT i.url), count(DISTINCT CASE WHEN m.status = 'stored' "
            "THEN i.url END) FROM images i JOIN posts p ON p.id = i.post_id "
            "JOIN sites s ON s.id = p.site_id LEFT JOIN media m ON m.url = i.url "
            "WHERE s.url = ?", (site,)).fetchone()
    return total, stored


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="demo/archive.db", type=Path,
                        help="the archive to crawl into (default demo/archive.db)")
    parser.add_argument("--posts", type=int, default=DEMO_POSTS,
                        help=f"posts in the sample blog (default {DEMO_POSTS})")
    parser.add_argument("--query", default=DEMO_QUERY,
                        help=f"what to search for afterwards (default {DEMO_QUERY})")
    args = parser.parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)

    # Some posts hold a video or link a PDF: recorded by URL (`--media-kinds` fetches them).
    blog = SampleBlog(seed=1, post_count=args.posts, attachments=True)
    # The sample blog draws its images with Pillow (`make demo` installs it).
    with_images = importlib.util.find_spec("PIL") is not None
    if not with_images:
        print("Pillow is not installed, so the sample blog has no images to serve: crawling "
              "without them (pip install pillow)")
    with _serve(blog, _archived_port(args.db, blog.site_name)) as server:
        print(f"Serving a sample Wix blog with {args.posts} posts at {server.url}")
        status = _wixarchive("crawl", server.url, "--db", str(args.db), "--delay", "0",
                             "--no-autothrottle", *(() if with_images else ("--no-media",)),
                             env={"WIXARCHIVE_MEDIA_BASE": f"{server.url}/media/",
                                  "WIXARCHIVE_VIDEO_BASE": f"{server.url}/"})
    if status != 0:
        return status
    if with_images:
        total, stored = _image_counts(args.db, f"{server.url}/")
        print(f"Images: {stored} of {total} archived, in {captures_dir(args.db)}/")
    _wixarchive("stats", "--db", str(args.db))
    _wixarchive("search", args.query, "--db", str(args.db), "--limit", "3")
    wixarchive = command_name()
    print(f"\nBrowse and search it in your web browser: {wixarchive} serve --db {args.db}")
    print(f"Archive your own blog (any page of it): {wixarchive} crawl "
          "https://www.your-blog.com --db my-blog.db")
    if wixarchive != "wixarchive":
        activate = _typed(Path(sys.executable).parent / "activate")
        print(f"(To type just `wixarchive`, run `source {activate}` first in each new "
              "terminal.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
