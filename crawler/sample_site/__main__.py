"""`python -m crawler.sample_site --posts 30 --seed 1 --port 8000`: serve until Ctrl-C.

`--edit`, `--fail` and `--hang` change or break posts before serving, so a re-crawl and a
crawl's failures can be tried by hand: the same `--seed` (and `--port`) serves the same blog,
with those posts edited (a new body and a later modified date), answering an HTTP error, or
answering late.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from dataclasses import dataclass, field

from crawler.sample_site.model import LAYOUTS, SampleBlog, SamplePost
from crawler.sample_site.server import BlogServer, error_response

HANG_SECONDS = 120.0  # past a crawl's 30 s download timeout (crawler/settings.py)


def _post(blog: SampleBlog, value: str, option: str) -> SamplePost:
    """A post by its number (1 = newest, as the blog lists them) or its slug."""
    if value.isdigit():
        number = int(value)
        if 1 <= number <= len(blog.posts):
            return blog.posts[number - 1]
    elif (post := blog.post(value)) is not None:
        return post
    raise ValueError(f"{option} {value!r}: no such post (the blog has {len(blog.posts)} "
                     "posts: give a number from 1, the newest, or a slug)")


def _post_and_number(blog: SampleBlog, value: str, option: str,
                     what: str) -> tuple[SamplePost, str | None]:
    """POST[:NUMBER] split at the last colon; NUMBER None when there is no colon."""
    head, colon, tail = value.rpartition(":")
    if not colon:
        return _post(blog, value, option), None
    if not tail.replace(".", "", 1).isdigit():
        raise ValueError(f"{option} {value!r}: {what} after the colon must be a number")
    return _post(blog, head, option), tail


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops the server as cleanly as Ctrl-C does


@dataclass
class _Changes:
    """What --edit, --fail and --hang asked for: paths to break, and a line on each."""

    failing: dict[str, int] = field(default_factory=dict)  # path -> HTTP status
    hanging: dict[str, float] = field(default_factory=dict)  # path -> seconds
    lines: list[str] = field(default_factory=list)  # "{url}" stands for the server's URL


def _changes(blog: SampleBlog, edits: list[str], fails: list[str],
             hangs: list[str]) -> _Changes:
    """Edit the posts `edits` names; the posts to fail and hang. ValueError on a bad value."""
    changes = _Changes()
    for value in edits:
        post = _post(blog, value, "--edit")
        blog.edit_post(post.slug, paragraphs=[
            f"Edited by hand (--edit {value}): this paragraph is the post's body now."])
        changes.lines.append(f"Edited: {{url}}{post.url_path} (modified "
                             f"{post.modified_iso})")
    for value in fails:
        post, number = _post_and_number(blog, value, "--fail", "STATUS")
        status = 500 if number is None else int(number) if number.isdigit() else 0
        if not 400 <= status <= 599:
            raise ValueError(f"--fail {value!r}: STATUS must be an HTTP error, 400 to 599")
        changes.failing[post.url_path] = status
        changes.lines.append(f"Answers {status}: {{url}}{post.url_path}")
    for value in hangs:
        post, number = _post_and_number(blog, value, "--hang", "SECONDS")
        seconds = HANG_SECONDS if number is None else float(number)
        changes.hanging[post.url_path] = seconds
        changes.lines.append(f"Answers after {seconds:g} s: {{url}}{post.url_path}")
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.sample_site",
        description="Serve a generated Wix-style blog locally. It serves its images too, at "
                    "URL/media/ (drawn with Pillow), and with --attachments its videos, at "
                    "URL/video/. Crawl it with both variables set, so that they are fetched "
                    "from it rather than from static.wixstatic.com and video.wixstatic.com, "
                    "which do not have them: WIXARCHIVE_MEDIA_BASE=URL/media/ "
                    "WIXARCHIVE_VIDEO_BASE=URL/ wixarchive crawl URL --media-kinds "
                    "images,video,documents")
    parser.add_argument("--posts", type=int, default=30, help="number of posts (default 30)")
    parser.add_argument("--seed", type=int, default=1,
                        help="generation seed: the same seed gives the same blog (default 1)")
    parser.add_argument("--port", type=int, default=0,
                        help="port to listen on (default 0: a free port, chosen at random)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--site-name", default="Willow Lane Notes", metavar="NAME",
                        help="the blog's name (default Willow Lane Notes)")
    parser.add_argument("--layout", choices=LAYOUTS,
                        help="give every post this layout (default: the layouts in turn)")
    parser.add_argument("--page-size", type=int, default=10,
                        help="posts per listing page (default 10)")
    parser.add_argument("--attachments", action="store_true",
                        help="give some posts a Wix video (fetched with "
                             "WIXARCHIVE_VIDEO_BASE=URL/) or a link to a PDF (default off)")
    parser.add_argument("--post-prefix", default="post", metavar="WORD",
                        help="the word before each post's slug (default post, as on Wix; "
                             "owners may change it)")
    parser.add_argument("--edit", action="append", default=[], metavar="POST",
                        help="edit this post before serving, as its owner would between two "
                             "crawls: a new one-paragraph body and a later modified date (in "
                             "the page, its ETag and the sitemap's lastmod). POST: its number "
                             "(1 = newest) or its slug; repeat for more posts, or to edit one "
                             "again (default: none)")
    parser.add_argument("--fail", action="append", default=[], metavar="POST[:STATUS]",
                        help="answer this post's page with HTTP STATUS, 400 to 599 (default "
                             "500); repeatable (default: none)")
    parser.add_argument("--hang", action="append", default=[], metavar="POST[:SECONDS]",
                        help=f"answer this post's page only after SECONDS (default "
                             f"{HANG_SECONDS:g}: past a crawl's 30 s download timeout); "
                             "repeatable (default: none)")
    args = parser.parse_args(argv)
    if args.posts < 0 or args.page_size < 1:
        parser.error("--posts must be >= 0 and --page-size >= 1")
    try:
        blog = SampleBlog(seed=args.seed, post_count=args.posts, site_name=args.site_name,
                          layout=args.layout, page_size=args.page_size,
                          attachments=args.attachments, post_prefix=args.post_prefix)
        changes = _changes(blog, args.edit, args.fail, args.hang)
    except ValueError as error:
        parser.error(str(error))
    try:
        server = BlogServer(blog, args.host, args.port)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror}",
              file=sys.stderr)
        return 1
    for path, status in changes.failing.items():
        server.overrides[path] = error_response(status)
    server.slow_paths.update(changes.hanging)
    server.start()
    # Both, explicitly: a shell starts a background job with SIGINT ignored, and Python then
    # leaves it ignored (a `kill -INT` did nothing to such a server).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:  # from the line on: a Ctrl-C right after it must still stop the server's thread
        print(f"Serving {args.posts} sample posts at {server.url}  (Ctrl-C to stop)", flush=True)
        for line in changes.lines:
            print(line.format(url=server.url), flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
