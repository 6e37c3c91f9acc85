"""`python -m crawler.sample_site --posts 30 --seed 1 --port 8000`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from crawler.sample_site.model import LAYOUTS, SampleBlog
from crawler.sample_site.server import serve_blog


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops the server as cleanly as Ctrl-C does


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.sample_site",
        description="Serve a generated Wix-style blog locally. It serves its images too, at "
                    "URL/media/ (drawn with Pillow): a crawl run with "
                    "WIXARCHIVE_MEDIA_BASE=URL/media/ fetches them from there instead of from "
                    "static.wixstatic.com.")
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
                        help="give some posts a Wix video or a link to a PDF (default off)")
    parser.add_argument("--post-prefix", default="post", metavar="WORD",
                        help="the word before each post's slug (default post, as on Wix; "
                             "owners may change it)")
    args = parser.parse_args(argv)
    if args.posts < 0 or args.page_size < 1:
        parser.error("--posts must be >= 0 and --page-size >= 1")
    try:
        blog = SampleBlog(seed=args.seed, post_count=args.posts, site_name=args.site_name,
                          layout=args.layout, page_size=args.page_size,
                          attachments=args.attachments, post_prefix=args.post_prefix)
    except ValueError as error:
        parser.error(str(error))
    try:
        server = serve_blog(blog, args.host, args.port)
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror}",
              file=sys.stderr)
        return 1
    # Both, explicitly: a shell starts a background job with SIGINT ignored, and Python then
    # leaves it ignored (a `kill -INT` did nothing to such a server).
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:  # from the line on: a Ctrl-C right after it must still stop the server's thread
        print(f"Serving {args.posts} sample posts at {server.url}  (Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
