"""Serve a SampleBlog over HTTP on 127.0.0.1, with conditional GETs and fault injection.

Pages are rendered per request from the blog's current state, so edits between crawls show up
at once. The server counts every request (`request_log`, `hits`) and can be told to misbehave:
answer 500 (`fail_paths`), answer late (`slow_paths`), redirect forever (`redirect_loop_paths`)
or disallow paths in robots.txt (`robots_disallow`, `robots_crawl_delay`), leave posts out of the
posts sitemap (`sitemap_hidden`), serve the blog at another path (`blog_path`, e.g. /news)
or serve other languages below /<language>/ (`languages`, named by hreflang alternates only);
`takeovers` hand a path to a behaviour
that writes the raw answer itself (see crawler.sample_site.hostile). A `Gate` holds answers until
the test releases them, so a test can act (stop, kill) while a crawl is at a point it chose.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

from crawler.sample_site import feeds, files, render
from crawler.sample_site.chrome import Site
from crawler.sample_site.model import SampleBlog, SamplePost

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
_PAGED = re.compile(r"^(?P<root>/blog(?:/(?P<kind>categories|tags)/(?P<slug>[^/]+))?)"
                    r"(?:/page/(?P<page>\d+))?$")
_FEEDS = {
    "/sitemap.xml": feeds.sitemap_index,
    "/blog-posts-sitemap.xml": feeds.posts_sitemap,
    "/blog-categories-sitemap.xml": feeds.categories_sitemap,
    "/pages-sitemap.xml": feeds.pages_sitemap,
    "/blog-feed.xml": feeds.rss_feed,
}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _html(status: int, text: str, **headers: str) -> Response:
    return Response(status, text.encode("utf-8"), {"Content-Type": HTML, **headers})


def error_response(status: int = 500) -> Response:
    """A server error page with this status (a failing page: `fail_paths`, `overrides`)."""
    return _html(status, f"<html><body><h1>{status} Error</h1></body></html>")


class Gate:
    """Holds the answers to requests whose path starts with `prefix`, once `allow` of them have
    been answered, until `release()`: a crawl then cannot get past that point (nor finish) before
    the test has done what it wanted there. `limit` seconds is only a guard against a test that
    never releases (a held request then goes on)."""

    def __init__(self, prefix: str, allow: int = 0, limit: float = 300.0) -> None:
        self.prefix = prefix
        self.allow = allow
        self.limit = limit
        self.passed = 0  # answers let through before the gate closed
        self.waiting: list[str] = []  # the paths of the requests held now
        self._open = threading.Event()
        self._lock = threading.Lock()

    def pass_through(self, path: str) -> None:
        """Called by the server for each request: returns once the request may be answered."""
        if not path.startswith(self.prefix) or self._open.is_set():
            return
        with self._lock:
            if self.passed < self.allow:
                self.passed += 1
                return
            self.waiting.append(path)
        self._open.wait(self.limit)
        with self._lock:
            self.waiting.remove(path)

    @property
    def held(self) -> int:
        """How many requests are held now."""
        return len(self.waiting)

    def release(self) -> None:
        """Answer every held request, and every later one at once."""
        self._open.set()


class BlogServer:
    """A threaded HTTP server for one blog, running in a background thread once started."""

    def __init__(self, blog: SampleBlog, host: str = "127.0.0.1", port: int = 0) -> None:
        self.blog = blog
        self.fail_paths: set[str] = set()  # answer 500
        self.slow_paths: dict[str, float] = {}  # path -> seconds to wait before answering
        self.redirect_loop_paths: set[str] = set()  # 302 to the same path with ?hop=N+1
        self.robots_disallow: list[str] = []  # extra "Disallow:" lines in robots.txt
        self.robots_crawl_delay: str | None = None  # a "Crawl-delay:" line in robots.txt
        self.sitemap_hidden: set[str] = set()  # post paths left out of the posts sitemap
        # Where the blog's listing pages are (Wix lets the owner rename /blog): /blog is then
        # not found, and every link and the feed name this path instead.
        self.blog_path = "/blog"
        # A multilingual site: language -> that language's blog, served below /<language>/
        # (its own feed, sitemaps, listings and posts), named only by the hreflang alternates
        # of the default language's pages other than posts, not by the root sitemap index.
        self.languages: dict[str, SampleBlog] = {}
        # Another server's URL: every request is answered 301 to the same path there, as
        # example.com answers for www.example.com, or an old domain for the new one.
        self.moved_to: str | None = None
        # path -> behaviour writing its own answer; it returns False to let the blog answer.
        self.takeovers: dict[str, Callable[[BaseHTTPRequestHandler], bool]] = {}
        self.overrides: dict[str, Response] = {}  # path -> a fixed answer (bad media, ...)
        self.gate: Gate | None = None  # holds answers until the test releases them
        self.request_log: list[str] = []  # every request's path (percent-decoded), in order
        self.request_times: list[float] = []  # when each came (time.monotonic), in the same order
        self.hits: Counter[str] = Counter()  # requests per path (without query)
        # (path, status) of every answer the blog gave (not a takeover's), in order
        self.answers: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _handler_for(self))
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> Counter[str]:
        """Alias of `hits`: requests per path."""
        return self.hits

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> BlogServer:
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                            name="sample-blog", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.release()  # no handler thread left waiting on it
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> BlogServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, path: str, query: str) -> None:
        with self._lock:
            self.request_log.append(path + (f"?{query}" if query else ""))
            self.request_times.append(time.monotonic())
            self.hits[path] += 1

    def blog_on_home_page(self) -> None:
        """Answer as a blog placed on the site's home page: `/` is the blog's listing (as it
        is now), `/blog` is not found, and the feed names the home as Wix spells it, without
        the trailing slash (`<link>https://www.example.com</link>`)."""
        listing = self.respond("/blog", record=False)
        feed = self.respond("/blog-feed.xml", record=False)
        self.overrides["/"] = listing
        self.overrides["/blog"] = error_response(404)
        self.overrides["/blog-feed.xml"] = Response(feed.status, feed.body.replace(
            f"<link>{self.url}/blog</link>".encode(), f"<link>{self.url}</link>".encode()),
            feed.headers)

    def respond(self, target: str, headers: Mapping[str, str] | None = None,
                base: str | None = None, record: bool = True) -> Response:
        """Answer one request for `target` (path and query), as the HTTP handler does."""
        headers = headers or {}
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        if record:
            self._record(path, parts.query)
        if self.gate is not None:
            self.gate.pass_through(path)
        if path in self.slow_paths:
            time.sleep(self.slow_paths[path])
        if self.moved_to is not None:
            return Response(301, headers={"Location": self.moved_to.rstrip("/") + target})
        if path in self.overrides:
            return self.overrides[path]
        if path in self.fail_paths:
            return error_response(500)
        if path in self.redirect_loop_paths:
            hop_text = (parse_qs(parts.query).get("hop") or ["0"])[0]
            hop = int(hop_text) if hop_text.isdigit() else 0
            return Response(302, headers={"Location": f"{parts.path}?hop={hop + 1}"})
        base = base or self.url
        for language, blog in self.languages.items():
            if path == f"/{language}" or path.startswith(f"/{language}/"):
                return route(blog, f"{base}/{language}", path[len(language) + 1:] or "/",
                             headers, [])
        if self.languages and not path.startswith(f"/{self.blog.post_prefix}/"):
            return _with_alternates(self._default_language(base, path, headers), base, path,
                                    list(self.languages))
        return self._default_language(base, path, headers)

    def _default_language(self, base: str, path: str, headers: Mapping[str, str]) -> Response:
        if path == "/blog-posts-sitemap.xml" and self.sitemap_hidden:
            text = feeds.posts_sitemap(self.blog, base, self.sitemap_hidden)
            return Response(200, text.encode("utf-8"), {"Content-Type": XML})
        if self.blog_path == "/blog":
            return route(self.blog, base, path, headers, self.robots_disallow,
                         self.robots_crawl_delay)
        if path == "/blog" or path.startswith("/blog/"):
            return _html(404, render.not_found_page(Site(self.blog, base), path))
        if path == self.blog_path or path.startswith(self.blog_path + "/"):
            path = "/blog" + path[len(self.blog_path):]
        return _with_blog_path(route(self.blog, base, path, headers, self.robots_disallow,
                                     self.robots_crawl_delay), base, self.blog_path)


def _with_alternates(response: Response, base: str, path: str,
                     languages: list[str]) -> Response:
    """A page with `<link rel="alternate" hreflang=…>` links to itself in each language, as a
    multilingual Wix site's pages have."""
    if response.headers.get("Content-Type") != HTML:
        return response
    page = "" if path == "/" else path
    links = "".join(f'<link rel="alternate" hreflang="{language}" href="{base}/{language}{page}"/>'
                    for language in languages)
    return Response(response.status, response.body.replace(b"</head>", links.encode() + b"</head>",
                                                           1), response.headers)


def _with_blog_path(response: Response, base: str, blog_path: str) -> Response:
    """A page or feed whose links to the blog (`BASE/blog`, `BASE/blog/...`, not
    `/blog-feed.xml`) name `blog_path` instead."""
    if response.headers.get("Content-Type") not in (HTML, XML):
        return response
    text = re.sub(re.escape(base) + r"/blog(?![-\w])", lambda _: base + blog_path,
                  response.body.decode("utf-8"))
    return Response(response.status, text.encode("utf-8"), response.headers)


def route(blog: SampleBlog, base: str, path: str, headers: Mapping[str, str],
          disallow: list[str], crawl_delay: str | None = None) -> Response:
    """The site proper: which page a (percent-decoded) path gets."""
    site = Site(blog, base)
    if path == "/robots.txt":
        text = feeds.robots_txt(base, disallow, crawl_delay)
        return Response(200, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})
    if path in _FEEDS:
        return Response(200, _FEEDS[path](blog, base).encode("utf-8"), {"Content-Type": XML})
    if path != "/" and path.endswith("/"):
        return Response(301, headers={"Location": base + quote(path.rstrip("/"))})
    if path == "/":
        return _html(200, render.home_page(site))
    if path == "/about":
        return _html(200, render.about_page(site))
    if path.startswith("/media/"):
        # The uploads static.wixstatic.com serves; tests point the crawler's media host here.
        return media_response(path[len("/media/"):])
    if path.startswith(("/_files/", "/video/")):
        return file_response(path)
    posts_path = f"/{blog.post_prefix}/"
    if path.startswith(posts_path):
        post = blog.post(path[len(posts_path):])
        if post is not None:
            return _post(site, post, headers)
    match = _PAGED.match(path)
    if match:
        page = _listing(site, match.group("kind"), match.group("slug"),
                        int(match.group("page") or 1))
        if page is not None:
            return _html(200, page)
    return _html(404, render.not_found_page(site, path))


IMAGE_TYPES = {"jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"),
               "webp": ("WEBP", "image/webp")}


# A rendition of the Wix image service: `<id>/v1/<operation>/w_W,h_H,…/<name>`.
_RENDITION = re.compile(r"(?P<id>[^/]+)/v1/[a-z]+/(?:[^/]*,)?w_(?P<w>\d+),h_(?P<h>\d+)[^/]*/[^/]+")
MAX_RENDITION_SIDE = 1024


def media_response(media_id: str) -> Response:
    """A real image for a Wix media id (`<name>~mv2.<ext>`): a small picture of one colour
    derived from the id, in the format its extension names; a rendition of it
    (`<id>/v1/fill/w_W,h_H,…/<name>`, as Wix pages show their images) is the same colour at
    W×H (at most MAX_RENDITION_SIDE); 404 for anything else."""
    rendition = _RENDITION.fullmatch(media_id)
    if rendition:
        media_id = rendition.group("id")
    extension = media_id.rsplit(".", 1)[-1].lower()
    if "/" in media_id or extension not in IMAGE_TYPES:
        return Response(404, b"Not found", {"Content-Type": "text/plain"})
    body = media_bytes(media_id) if rendition is None else rendition_bytes(
        media_id, int(rendition.group("w")), int(rendition.group("h")))
    return Response(200, body, {"Content-Type": IMAGE_TYPES[extension][1],
                                "Cache-Control": "max-age=31536000"})


def file_response(path: str) -> Response:
    """A document the site links (`/_files/ugd/…pdf`) or a video as video.wixstatic.com serves
    it (`/video/<id>/<quality>/mp4/file.mp4`); 404 for any other path."""
    document, video = files.DOCUMENT_PATH.match(path), files.VIDEO_PATH.match(path)
    if document:
        return Response(200, files.pdf_bytes(document.group(1)),
                        {"Content-Type": "application/pdf"})
    if video:
        return Response(200, files.mp4_bytes(video.group(1)), {"Content-Type": "video/mp4"})
    return Response(404, b"Not found", {"Content-Type": "text/plain"})


@functools.lru_cache(maxsize=1024)
def media_bytes(media_id: str) -> bytes:
    import io

    from PIL import Image as PILImage  # the test extra's Pillow: only media requests need it

    digest = hashlib.sha1(media_id.encode()).digest()
    picture = PILImage.new("RGB", (48 + digest[3] % 32, 32 + digest[4] % 32), tuple(digest[:3]))
    buffer = io.BytesIO()
    picture.save(buffer, IMAGE_TYPES[media_id.rsplit(".", 1)[-1].lower()][0])
    return buffer.getvalue()


@functools.lru_cache(maxsize=1024)
def rendition_bytes(media_id: str, width: int, height: int) -> bytes:
    """The rendition of `media_id` at width × height: its colour, that size (capped)."""
    import io

    from PIL import Image as PILImage

    digest = hashlib.sha1(media_id.encode()).digest()
    size = (max(1, min(width, MAX_RENDITION_SIDE)), max(1, min(height, MAX_RENDITION_SIDE)))
    picture = PILImage.new("RGB", size, tuple(digest[:3]))
    buffer = io.BytesIO()
    picture.save(buffer, IMAGE_TYPES[media_id.rsplit(".", 1)[-1].lower()][0])
    return buffer.getvalue()


def _listing(site: Site, kind: str | None, slug: str | None, page: int) -> str | None:
    blog = site.blog
    if kind is None:
        return render.listing_page(site, blog.posts, page, "feed")
    slug = slug or ""
    # Like Wix, an unknown category or tag is an empty listing (200), not a 404.
    if kind == "categories":
        known = {s: (name, text) for name, s, text in blog.categories()}
        name, text = known.get(slug, (slug, ""))
        return render.listing_page(site, blog.in_category(slug), page, "category", slug, name,
                                   text)
    name = dict((s, tag) for tag, s in blog.tags()).get(slug, slug)
    return render.listing_page(site, blog.with_tag(slug), page, "tag", slug, name)


def _post(site: Site, post: SamplePost, headers: Mapping[str, str]) -> Response:
    """A post page with ETag/Last-Modified; 304 when the client's copy is current."""
    modified = post.modified.replace(microsecond=0)
    validators = {"ETag": post.etag, "Last-Modified": format_datetime(modified, usegmt=True)}
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        if post.etag in tags or "*" in tags:
            return Response(304, headers=validators)
    elif headers.get("If-Modified-Since"):
        try:
            since = parsedate_to_datetime(headers.get("If-Modified-Since"))
        except (TypeError, ValueError):
            since = None
        if since is not None and since.tzinfo is not None and modified <= since:
            return Response(304, headers=validators)
    return _html(200, render.post_page(site, post), **validators)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Crawlers hang up on slow pages (timeouts); that is expected, not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


def _handler_for(server: BlogServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as Scrapy expects from real sites
        server_version = "Pepyaka"  # what Wix's front end calls itself
        sys_version = ""
        timeout = 30  # idle keep-alive connections end on their own

        def do_GET(self) -> None:  # http.server's naming
            self._answer(with_body=True)

        def do_HEAD(self) -> None:
            self._answer(with_body=False)

        def _answer(self, with_body: bool) -> None:
            parts = urlsplit(self.path)
            takeover = server.takeovers.get(unquote(parts.path))
            if takeover is not None and with_body:
                server._record(unquote(parts.path), parts.query)
                if takeover(self):
                    return
            host = self.headers.get("Host")
            base = f"http://{host}" if host else None
            try:
                # self.headers looks names up case-insensitively, as HTTP requires.
                response = server.respond(self.path, self.headers, base,  # type: ignore[arg-type]
                                          record=takeover is None or not with_body)
            except Exception as exc:  # a bug here must show as a 500, not kill the connection
                response = _html(500, f"<html><body><h1>500</h1><p>{type(exc).__name__}</p>"
                                      "</body></html>")
            with server._lock:
                server.answers.append((unquote(parts.path), response.status))
            self.send_response(response.status)
            for key, value in response.headers.items():
                self.send_header(key, value)
            if response.status != 304:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if with_body and response.status != 304:
                self.wfile.write(response.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # tests and benchmarks read server.request_log instead

    return Handler


def serve_blog(blog: SampleBlog, host: str = "127.0.0.1", port: int = 0) -> BlogServer:
    """Start serving `blog`; use as `with serve_blog(blog) as server: ... server.url`."""
    return BlogServer(blog, host, port).start()
