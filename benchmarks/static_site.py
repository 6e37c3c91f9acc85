"""The crawl benchmarks' test sites, served by nginx from files or by Python threads.

On the real web the site runs on someone else's machine. A Python `http.server` in the benchmark
process spends about 1 ms of CPU a request on the cores the crawl runs on, and charges every
extra request (images) twice; nginx serving the same bytes from files about 0.1 ms
(docs/benchmarks.md).
So the benchmarks write each site to a temporary folder and serve it with nginx (`--server nginx`,
the default when `nginx` is on PATH: Debian package nginx), and fall back to the Python servers
(`--server python`) otherwise. Either way `cpu_seconds()` says what the server has spent so far,
so each table can print the site's CPU for each run.

nginx runs as its own master and one worker process, on loopback only, on a free port of each
host, with its pid, logs and temporary folders in the site's folder. Pages are files
`<path>/index.html` (found with try_files, so /blog and /blog/page/2 can both exist); nginx gives
every file an ETag and a Last-Modified (a post's file has the post's modification time), and
answers 304 to a conditional request whose validators still match, as BlogServer does for posts.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.sample_site import Response, SampleBlog, serve_blog  # noqa: E402
from crawler.sample_site.export import media_answers, site_answers  # noqa: E402
from crawler.sample_site.server import media_response, route  # noqa: E402

CONF = """daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    server_tokens off;
    sendfile on;
    keepalive_timeout 30s;
    keepalive_requests 100000;
    client_body_temp_path {folder}/temp/body;
    proxy_temp_path {folder}/temp/proxy;
    fastcgi_temp_path {folder}/temp/fastcgi;
    uwsgi_temp_path {folder}/temp/uwsgi;
    scgi_temp_path {folder}/temp/scgi;
    types {{
        text/html html; text/plain txt; application/xml xml; image/jpeg jpg jpeg;
        image/png png; image/webp webp; application/pdf pdf; video/mp4 mp4;
    }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/html text/plain application/xml;
{servers}}}
"""
SERVER = """    server {{
        listen {host}:{port};
        root {root};
        location / {{ try_files $uri $uri/index.html =404; }}
        location /media/ {{ add_header Cache-Control "max-age=31536000"; }}
    }}
"""


def choose(server: str | None) -> str:
    """The server to use: --server's, else nginx when on PATH, else Python (said on stderr)."""
    if server == "nginx" and not shutil.which("nginx"):
        raise SystemExit("error: --server nginx, but nginx is not on PATH "
                         "(apt-get install nginx)")
    if server is None and not shutil.which("nginx"):
        print("nginx is not on PATH (apt-get install nginx): the sites are served from Python "
              "threads of this process, whose CPU competes with the crawl's", file=sys.stderr)
        return "python"
    return server or "nginx"


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _process_cpu(pids: list[int]) -> float:
    """utime + stime of these processes (live ones), in seconds, from /proc/PID/stat."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


class Nginx:
    """One nginx master (and one worker) serving a folder of files per loopback host."""

    def __init__(self, folder: Path, hosts: list[str]) -> None:
        self.folder = folder
        self.ports = {host: _free_port(host) for host in hosts}
        (folder / "temp").mkdir(parents=True, exist_ok=True)
        for host in hosts:
            self.root(host).mkdir(parents=True, exist_ok=True)
        servers = "".join(SERVER.format(host=host, port=port, root=self.root(host))
                          for host, port in self.ports.items())
        conf = folder / "nginx.conf"
        conf.write_text(CONF.format(folder=folder, servers=servers))
        # The worker may run as nobody (when started as root): it must be able to read the files.
        folder.chmod(0o755)
        self.process = subprocess.Popen([shutil.which("nginx") or "nginx", "-e",
                                         str(folder / "error.log"), "-p", str(folder), "-c",
                                         str(conf)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        for host, port in self.ports.items():
            self._wait(host, port)

    def _wait(self, host: str, port: int) -> None:
        for _ in range(200):
            if self.process.poll() is not None:
                raise SystemExit(f"nginx failed to start: {self.process.stderr.read().decode()}")
            with contextlib.suppress(OSError), socket.create_connection((host, port), 0.1):
                return
            time.sleep(0.05)
        raise SystemExit(f"nginx did not listen on {host}:{port}")

    def root(self, host: str) -> Path:
        return self.folder / "sites" / host

    def url(self, host: str) -> str:
        return f"http://{host}:{self.ports[host]}"

    def cpu_seconds(self) -> float:
        """CPU of the master and its workers so far."""
        return _process_cpu([self.process.pid, *_children(self.process.pid)])

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: fast shutdown
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def write_answers(root: Path, answers: Iterator[tuple[str, Response]],
                  default_mtime: float) -> int:
    """Write each 200 answer as a file nginx serves at its path; files whose bytes are already
    there are left alone (their ETag stays). The file's time is the answer's Last-Modified, or
    `default_mtime`. Returns how many files were written."""
    written = 0
    for path, answer in answers:
        if answer.status != 200:
            continue
        target = _file_for(root, path, answer.headers.get("Content-Type", ""))
        if target.is_file() and target.read_bytes() == answer.body:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(answer.body)
        modified = answer.headers.get("Last-Modified")
        stamp = parsedate_to_datetime(modified).timestamp() if modified else default_mtime
        os.utime(target, (stamp, stamp))
        written += 1
    return written


def _file_for(root: Path, path: str, content_type: str) -> Path:
    """A page is <path>/index.html, as the config's try_files looks for it (so /blog and
    /blog/page/2 can both be served); any other file is at its path, its type by extension."""
    if content_type.startswith("text/html"):
        return root / path.strip("/") / "index.html"
    return root / path.lstrip("/")


class Sites:
    """The running sites of one benchmark: `urls` (one per blog), `media_url` (the images' host,
    if any), `cpu_seconds()` of the server so far, `refresh()` after the blogs were edited."""

    def __init__(self, urls: list[str], media_url: str | None, cpu: Callable[[], float],
                 refresh: Callable[[], None] = lambda: None) -> None:
        self.urls = urls
        self.url = urls[0] if urls else ""
        self.media_url = media_url
        self.cpu_seconds = cpu
        self.refresh = refresh


def _own_cpu() -> float:
    """This process's CPU: while a crawl (another process) runs, only the server's threads
    run here (the benchmark waits on the crawl)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def serve_blogs(server: str, blogs: list[SampleBlog], hosts: list[str],
                media_host: str | None = None) -> Iterator[Sites]:
    """Blog i on hosts[i]; with `media_host`, the posts' images on that host (under /media/)."""
    if server == "python":
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(serve_blog(blog, host))
                       for blog, host in zip(blogs, hosts, strict=True)]
            media = stack.enter_context(serve_blog(blogs[0], media_host)) if media_host else None
            yield Sites([s.url for s in servers], media.url if media else None, _own_cpu)
        return
    with tempfile.TemporaryDirectory(prefix="static-site-") as tmp:
        nginx = Nginx(Path(tmp), [*hosts, *([media_host] if media_host else [])])

        def export() -> None:
            for blog, host in zip(blogs, hosts, strict=True):
                stamp = blog.last_modified.timestamp()
                write_answers(nginx.root(host), site_answers(blog, nginx.url(host)), stamp)
                if media_host:
                    write_answers(nginx.root(media_host), media_answers(blog), stamp)
            if media_host:
                robots = route(blogs[0], nginx.url(media_host), "/robots.txt", {}, [])
                write_answers(nginx.root(media_host), iter([("/robots.txt", robots)]),
                              time.time())

        try:
            export()
            yield Sites([nginx.url(host) for host in hosts],
                        nginx.url(media_host) if media_host else None, nginx.cpu_seconds,
                        export)
        finally:
            nginx.stop()


def real_answer(pages: list[bytes], count: int, base: str, path: str) -> Response:
    """The --realworld site: `count` posts, post i answering with pages[i % len(pages)]; any
    /media/<id> path is a small real image (crawler.sample_site.server.media_response)."""
    xml = {"Content-Type": "application/xml"}
    if path == "/robots.txt":
        return Response(200, f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n".encode(),
                        {"Content-Type": "text/plain"})
    if path == "/sitemap.xml":
        return Response(200, (f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns='
                              f'"http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>'
                              f'{base}/blog-posts-sitemap.xml</loc></sitemap></sitemapindex>'
                              ).encode(), xml)
    if path == "/blog-posts-sitemap.xml":
        urls = "".join(f"<url><loc>{base}/post/real-{i}</loc></url>" for i in range(count))
        return Response(200, ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.'
                              f'sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>').encode(), xml)
    if path == "/blog-feed.xml":
        return Response(200, b'<?xml version="1.0"?><rss version="2.0"><channel><title>real'
                             b'</title></channel></rss>', xml)
    if path.startswith("/post/real-") and path[11:].isdigit() and int(path[11:]) < count:
        return Response(200, pages[int(path[11:]) % len(pages)],
                        {"Content-Type": "text/html; charset=utf-8"})
    if path.startswith("/media/"):
        return media_response(path[7:])
    return Response(404, b"Not found", {"Content-Type": "text/plain"})


@contextlib.contextmanager
def _python_real(pages: list[bytes], count: int, host: str) -> Iterator[str]:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # http.server's naming
            answer = real_answer(pages, count, f"http://{self.headers['Host']}",
                                 self.path.split("?")[0])
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def real_media_ids(pages: list[bytes]) -> list[str]:
    """The Wix media ids of the images the crawl fetches from these pages (the cover and body
    images extraction finds, as the archive's images table will hold them)."""
    from crawler.extract import extract_article
    from crawler.media import WIX_MEDIA

    ids: dict[str, None] = {}
    for page in pages:
        article = extract_article(page, "http://127.0.0.1/post/real",
                                  content_type="text/html; charset=utf-8")
        for url in [article.cover_image, *article.images]:
            if url and url.startswith(WIX_MEDIA):
                ids[url[len(WIX_MEDIA):]] = None
    return list(ids)


@contextlib.contextmanager
def serve_real(server: str, pages: list[bytes], count: int, hosts: tuple[str, str] = (
        "127.0.0.1", "127.0.0.2")) -> Iterator[Sites]:
    """The --realworld site on hosts[0] and its images on hosts[1]."""
    site_host, media_host = hosts
    if server == "python":
        with _python_real(pages, count, site_host) as url, \
                _python_real(pages, 0, media_host) as media_url:
            yield Sites([url], media_url, _own_cpu)
        return
    with tempfile.TemporaryDirectory(prefix="static-site-") as tmp:
        nginx = Nginx(Path(tmp), [site_host, media_host])
        try:
            base, root, now = nginx.url(site_host), nginx.root(site_host), time.time()
            feeds = ["/robots.txt", "/sitemap.xml", "/blog-posts-sitemap.xml", "/blog-feed.xml"]
            write_answers(root, ((p, real_answer(pages, count, base, p)) for p in feeds), now)
            # One file per distinct page, hard-linked under each post's path (N copies of
            # ~0.6 MB pages would be N x 0.6 MB of disk).
            originals = root / "pages"
            originals.mkdir()
            for n, page in enumerate(pages):
                (originals / f"{n}.html").write_bytes(page)
            for i in range(count):
                target = _file_for(root, f"/post/real-{i}", "text/html")
                target.parent.mkdir(parents=True)
                os.link(originals / f"{i % len(pages)}.html", target)
            media_base = nginx.url(media_host)
            media = [("/robots.txt", real_answer(pages, 0, media_base, "/robots.txt"))]
            # The Python server answers the raw (still percent-encoded) id; nginx decodes it.
            media += [(f"/media/{unquote(i)}", real_answer(pages, 0, media_base, f"/media/{i}"))
                      for i in real_media_ids(pages) if "/" not in unquote(i)]
            write_answers(nginx.root(media_host), iter(media), now)
            yield Sites([base], media_base, nginx.cpu_seconds)
        finally:
            nginx.stop()
