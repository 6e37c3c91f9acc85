"""`wixarchive recover` against a real pywb (`wb-manager add`, `wayback` on 127.0.0.1) holding
WARCs made by Debian's wget of the sample blog at two moments (posts edited, deleted, added
between them), of its images (warcio) and of ../shared/realworld's pages, while the sites
themselves are down. A counting proxy in front of pywb counts the requests recover makes, and
plays a CDX server that is slow, answers HTML or fails."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.extract import extract_article
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.files import pdf_bytes
from crawler.sample_site.server import Response, media_bytes
from tests.pywb import MISSING, pywb_bin, wayback
from tests.webarchives import (
    REALWORLD,
    change_between_captures,
    distinct_contents,
    payloads,
    realworld_pages,
    serve_pages,
    table,
    wget_blog_as_shown,
    wget_urls,
    wget_warc,
    wixarchive,
    write_warc,
)

pytestmark = [
    pytest.mark.skipif(shutil.which("wget") is None,
                       reason="Debian's wget is not installed (.ci/run installs it)"),
    pytest.mark.skipif(pywb_bin() is None, reason=MISSING),
]

PARKING = (b"<!DOCTYPE html><html><head><title>example.com is parked</title></head><body>"
           b"<h1>This domain may be for sale</h1><p>Buy this domain.</p></body></html>")
VERSIONS = ("SELECT p.url, v.version, v.fetched_at, v.content_hash FROM post_versions v "
            "JOIN posts p ON p.id = v.post_id ORDER BY 1, 2")


class Gate:
    """A real HTTP proxy on 127.0.0.1 in front of pywb: it counts every request (path and
    status) and, when told to, plays a CDX server that is slow or answers an HTML page, or
    an archive that fails every replay after the first few."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.log: list[tuple[str, int]] = []
        # 'slow-cdx' | 'html-cdx' | 'busy-cdx-once' | 'fail-replays' | 'odd-replays'
        self.mode = "pass"
        self.replays_allowed = 0
        self.lock = threading.Lock()

    def reset(self, mode: str = "pass") -> None:
        with self.lock:
            self.log.clear()
            self.mode = mode

    def replays(self) -> list[str]:
        return [path for path, status in self.log if "/cdx" not in path and status < 500]

    def cdx(self) -> list[str]:
        return [path for path, _ in self.log if "/cdx" in path]

    def answer(self, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        is_cdx = "/cdx" in path.split("?")[0]
        with self.lock:
            mode = self.mode
            if mode == "busy-cdx-once" and is_cdx:
                self.mode = "pass"
                return 429, [("Retry-After", "1")], b"slow down"
            if mode == "odd-replays" and not is_cdx and self.replays_allowed > 0:
                self.replays_allowed -= 1
                if self.replays_allowed == 1:  # the archive's own error page
                    return 404, [("Content-Type", "text/html")], b"<p>Not in archive</p>"
                return 302, [("Location", "http://parking.example/lander")], b""
            if mode == "fail-replays" and not is_cdx:
                if self.replays_allowed <= 0:
                    return 503, [("Content-Type", "text/plain")], b"busy"
                self.replays_allowed -= 1
        if mode == "html-cdx" and is_cdx:
            return 200, [("Content-Type", "text/html")], b"<!doctype html><p>Maintenance</p>"
        if mode == "slow-cdx" and is_cdx:
            time.sleep(3)
        opener = urllib.request.build_opener(_NoRedirects)
        try:
            with opener.open(self.upstream + path, timeout=60) as response:
                return response.status, list(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, list(exc.headers.items()), exc.read()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@contextmanager
def gate(upstream: str) -> Iterator[tuple[Gate, str]]:
    state = Gate(upstream)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's naming
            status, headers, body = state.answer(self.path)
            with state.lock:
                state.log.append((self.path, status))
            try:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up waiting (the slow CDX)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """pywb holding wget's two captures of a 40-post blog, a WARC of some of its images, and
    wget's capture of the real-world pages; the sites are down once it is built."""
    work = tmp_path_factory.mktemp("recover")
    blog = SampleBlog(seed=17, post_count=40)
    with serve_blog(blog) as server:
        feeds = [f"{server.url}/{name}" for name in
                 ("sitemap.xml", "blog-posts-sitemap.xml", "blog-feed.xml")]
        first = wget_warc(server.url, work / "first", work / "mirror", *feeds)
        slugs = [post.slug for post in blog.posts]
        edited, deleted, added = change_between_captures(blog)
        time.sleep(1.1)  # capture times have whole seconds
        gone = [f"{server.url}/post/{slug}" for slug in deleted]
        second = wget_warc(server.url, work / "second", work / "mirror", *gone)
        site = server.url + "/"
    # A blog whose owner renamed /post/ to /articles/ (SEO settings), one post deleted
    # between its captures: the later sitemap no longer names it.
    renamed = SampleBlog(seed=19, post_count=12, post_prefix="articles")
    with serve_blog(renamed) as server:
        feeds = [f"{server.url}/{name}" for name in
                 ("sitemap.xml", "blog-posts-sitemap.xml", "blog-feed.xml")]
        # Its first post also in Spanish at /es/articles/<slug>, named only as the sitemap
        # entry's hreflang alternate.
        renamed_slugs = [post.slug for post in renamed.posts]
        translated = f"{server.url}/es/articles/{renamed_slugs[0]}"
        sitemap = server.respond("/blog-posts-sitemap.xml").body.decode().replace(
            "<urlset ", '<urlset xmlns:xhtml="http://www.w3.org/1999/xhtml" ').replace(
            f"<loc>{server.url}/articles/{renamed_slugs[0]}</loc>",
            f"<loc>{server.url}/articles/{renamed_slugs[0]}</loc><xhtml:link rel=\"alternate\" "
            f'hreflang="es" href="{translated}"/>')
        server.overrides["/blog-posts-sitemap.xml"] = Response(
            200, sitemap.encode(), {"Content-Type": "application/xml"})
        server.overrides[f"/es/articles/{renamed_slugs[0]}"] = server.respond(
            f"/articles/{renamed_slugs[0]}")
        renamed_first = wget_warc(server.url, work / "renamed-first", work / "mirror", *feeds,
                                  translated)
        renamed_gone = renamed_slugs[4]
        renamed.delete_post(renamed_gone)
        time.sleep(1.1)
        renamed_second = wget_warc(server.url, work / "renamed-second", work / "mirror", *feeds,
                                   f"{server.url}/articles/{renamed_gone}")
        renamed_site = server.url + "/"
    # A blog at /journal/<slug> whose feed and sitemaps were never captured (they answered
    # 404 when it was), one post deleted between the captures: only its pages say it is a blog.
    hidden = SampleBlog(seed=23, post_count=12, post_prefix="journal")
    with serve_blog(hidden) as server:
        for name in ("blog-feed.xml", "sitemap.xml", "blog-posts-sitemap.xml"):
            server.overrides[f"/{name}"] = Response(404, b"Not Found",
                                                    {"Content-Type": "text/plain"})
        # Pages under another word that are not posts (the blog's listing, served there).
        services = [f"/services/{name}" for name in ("design", "planting", "care")]
        for path in services:
            server.overrides[path] = server.respond("/blog")
        hidden_slugs = [post.slug for post in hidden.posts]
        # Its first post in Spanish too, at /es/journal/<slug>, linked from nowhere captured.
        hidden_translated = f"/es/journal/{hidden_slugs[0]}"
        server.overrides[hidden_translated] = server.respond(f"/journal/{hidden_slugs[0]}")
        hidden_first = wget_warc(server.url, work / "hidden-first", work / "mirror",
                                 *[server.url + path for path in
                                   [*services, hidden_translated]])
        hidden_gone = hidden_slugs[3]
        hidden.delete_post(hidden_gone)
        time.sleep(1.1)
        hidden_second = wget_warc(server.url, work / "hidden-second", work / "mirror",
                                  f"{server.url}/journal/{hidden_gone}")
        hidden_site = server.url + "/"
    # Two of the posts' images captured: one as uploaded, one only as a /v1/fill/ rendition.
    with_images = [p.expected()["images"][0] for p in blog.posts if p.expected()["images"]]
    original, rendered = with_images[0], with_images[1]
    rendered_id = rendered.rsplit("/", 1)[-1]
    rendition = f"{rendered}/v1/fill/w_300,h_200,al_c/{rendered_id}"
    images = work / "images.warc.gz"
    write_warc(images, [
        (original, media_bytes(original.rsplit("/", 1)[-1]), "image/png"),
        (rendition, media_bytes(rendered_id), "image/png")])
    # After the site lapsed: a post URL answering a parking page with status 200.
    parked = f"{site}post/{slugs[20]}"
    write_warc(work / "parked.warc.gz", [(parked, PARKING, "text/html; charset=utf-8")])
    warcs = [first, second, images, work / "parked.warc.gz", renamed_first, renamed_second,
             hidden_first, hidden_second]
    # On one loopback site, at /post/<host>__<slug>.
    real = {f"/post/{name}": page for name, page in realworld_pages().items()}
    real_site = None
    if real:
        with serve_pages({path: html for path, (html, _) in real.items()}) as base:
            wget_urls([base + path for path in real], work / "real", work / "mirror")
            real_site = base + "/"
        warcs.append(work / "real.warc.gz")
    with wayback(work / "pywb", warcs=warcs) as base, gate(base.split("/archive/")[0]) as (
            proxy, proxy_url):
        yield {"site": site, "first": first, "second": second, "base": proxy_url + "/archive/",
               "proxy": proxy, "slugs": slugs, "edited": edited, "deleted": deleted,
               "added": added, "images": (original, rendered),
               "rendition": rendition, "real": real,
               "real_site": real_site, "parked": parked, "renamed_site": renamed_site,
               "renamed_slugs": renamed_slugs, "renamed_gone": renamed_gone,
               "translated": translated, "hidden_site": hidden_site,
               "hidden_slugs": hidden_slugs, "hidden_gone": hidden_gone,
               "hidden_translated": hidden_site + hidden_translated.lstrip("/")}


def recover(archive: dict, *args: str, site: str | None = None) -> subprocess.CompletedProcess:
    return wixarchive("recover", site or archive["site"], "--from", archive["base"], *args)


def test_recover_brings_back_every_version_and_deletion_and_fetches_nothing_twice(
        archive: dict, tmp_path: Path):
    db = tmp_path / "archive.db"
    proxy = archive["proxy"]
    proxy.reset()
    result = recover(archive, "--db", str(db), "--delay", "0", "--json")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    site = archive["site"]
    ever = {f"{site}post/{slug}" for slug in [*archive["slugs"], archive["added"]]}
    counts = summary["sites"][site]
    assert counts["posts"] == counts["new_posts"] == len(ever)
    assert counts["deleted"] == len(archive["deleted"])
    assert counts["images"] == 2
    assert summary["feeds"] >= 2  # the sitemaps and the feed were read for post URLs
    assert summary["not_posts"] == 1  # the parking page, never taken for the post
    replays = proxy.replays()
    assert len(replays) == len(set(replays)) == summary["fetched"]
    assert summary["requests"] == {"cdx": len(proxy.cdx()), "replay": len(replays),
                                   "retries": 0}
    # Raw replays only (id_): the archive's rewriting never reaches the extractor.
    assert all("id_/" in path for path in replays)

    # Versions = the distinct clean contents of each post's captures, in capture order: the
    # same history as importing wget's two WARCs themselves.
    contents = distinct_contents(archive["first"], archive["second"])
    assert set(contents) == ever
    versions: dict[str, list[str]] = {}
    for url, _, _, digest in table(db, VERSIONS):
        versions.setdefault(url, []).append(digest)
    assert {url: set(v) for url, v in versions.items()} == contents
    assert sum(map(len, versions.values())) == sum(map(len, contents.values()))
    imported = tmp_path / "imported.db"
    made = wixarchive("import", str(archive["first"]), str(archive["second"]), "--db",
                      str(imported))
    assert made.returncode == 0, made.stderr
    assert table(db, VERSIONS) == table(imported, VERSIONS)
    for slug in archive["edited"]:
        history = table(db, "SELECT v.fetched_at FROM post_versions v JOIN posts p ON "
                            f"p.id = v.post_id WHERE p.url = '{site}post/{slug}' ORDER BY 1")
        assert len(history) == 2
        assert table(db, f"SELECT body FROM posts WHERE url = '{site}post/{slug}'")[0][0] \
            .startswith("Rewritten:")
    gone = {url for (url,) in table(db, "SELECT url FROM posts WHERE deleted_at IS NOT NULL")}
    assert gone == {f"{site}post/{slug}" for slug in archive["deleted"]}
    parked = table(db, f"SELECT body, deleted_at FROM posts WHERE url = '{archive['parked']}'")
    assert len(parked) == 1 and "for sale" not in parked[0][0] and parked[0][1] is None
    # Stored like crawled and imported captures: indexed, each version naming its capture.
    assert table(db, "SELECT count(*) FROM post_versions v LEFT JOIN captures c ON "
                     "c.record_id = v.capture WHERE c.source IS NOT 'recover'") == [(0,)]
    # The rendition captured stands for its image, and is kept under its own URL too.
    assert set(table(db, "SELECT url FROM media WHERE status = 'stored'")) == {
        (url,) for url in [*archive["images"], archive["rendition"]]}
    reextracted = wixarchive("reextract", "--db", str(db), "--json")
    assert reextracted.returncode == 0, reextracted.stderr
    assert json.loads(reextracted.stdout) == {"posts": len(ever), "changed": 0, "refreshed": 0,
                                              "failed": 0, "without_capture": 0}
    check = wixarchive("check", "--db", str(db))
    assert check.returncode == 0, check.stdout + check.stderr
    markdown = wixarchive("export", "--format", "markdown", str(tmp_path / "md"),
                          "--db", str(db))
    assert markdown.returncode == 0, markdown.stderr
    assert len(list((tmp_path / "md").rglob("*.md"))) == len(ever)

    # Again, at the default pace of one request a second: nothing is fetched again.
    before = [table(db, f"SELECT count(*) FROM {t}") for t in ("captures", "post_versions")]
    proxy.reset()
    started = time.monotonic()
    again = recover(archive, "--db", str(db), "--json")
    elapsed = time.monotonic() - started
    assert again.returncode == 0, again.stderr
    repeat = json.loads(again.stdout)
    assert proxy.replays() == [] and repeat["fetched"] == 0
    assert repeat["already"] == summary["listed"] and repeat["sites"] == {}
    assert [table(db, f"SELECT count(*) FROM {t}")
            for t in ("captures", "post_versions")] == before
    assert elapsed >= len(proxy.cdx()) - 1  # one request a second
    assert not list(db.with_suffix(".recover").glob("*.warc.gz"))  # every spool imported


def test_a_blog_whose_posts_are_not_under_post_is_recovered_with_its_deleted_posts(
        archive: dict, tmp_path: Path):
    """Posts at /articles/<slug>: found from the feed and sitemaps, and by that word, the post
    deleted before the sitemap's last capture too; a translation the sitemap names as an
    hreflang alternate at another path is a post of its own."""
    site = archive["renamed_site"]
    ever = {f"{site}articles/{slug}" for slug in archive["renamed_slugs"]} | {
        archive["translated"]}
    recover_exactly(archive, tmp_path / "archive.db", site, ever,
                    f"{site}articles/{archive['renamed_gone']}")


def recover_exactly(archive: dict, db: Path, site: str, ever: set[str],
                    gone: str) -> subprocess.CompletedProcess:
    """Recover `site` into `db`: exactly the posts `ever`, all new, `gone` marked deleted."""
    result = recover(archive, "--db", str(db), "--delay", "0", "--json", site=site)
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)["sites"][site]
    assert (counts["posts"], counts["new_posts"], counts["deleted"]) == (len(ever), len(ever), 1)
    assert {url for (url,) in table(db, "SELECT url FROM posts")} == ever
    assert table(db, "SELECT url FROM posts WHERE deleted_at IS NOT NULL") == [(gone,)]
    return result


def test_a_renamed_blog_whose_feed_and_sitemaps_were_never_captured_is_found_by_its_pages(
        archive: dict, tmp_path: Path):
    """Posts at /journal/<slug>, no feed or sitemap in the archive: the site's captured pages
    are probed one per path word, the post's word is listed whole (its deleted post too), a
    translation at /es/journal/<slug> is found the same way, and a second recover neither
    probes nor fetches anything again."""
    db = tmp_path / "archive.db"
    site, proxy = archive["hidden_site"], archive["proxy"]
    proxy.reset()
    ever = {f"{site}journal/{slug}" for slug in archive["hidden_slugs"]} | {
        archive["hidden_translated"]}
    result = recover_exactly(archive, db, site, ever, f"{site}journal/{archive['hidden_gone']}")
    # Each probed page was replayed once: a post's is archived, not fetched again.
    replays = proxy.replays()
    assert len(replays) == len(set(replays))
    # The other word's one probe said "not a post": none of its pages was fetched again.
    probes = table(db, "SELECT url FROM recovered WHERE kind = 'probe'")
    assert len(probes) == 1 and "/services/" in probes[0][0]
    assert sum("/services/" in path for path in replays) == 1
    proxy.reset()
    again = recover(archive, "--db", str(db), "--delay", "0", "--json", site=site)
    assert again.returncode == 0, again.stderr
    repeat, first = json.loads(again.stdout), json.loads(result.stdout)
    assert proxy.replays() == [] and repeat["fetched"] == 0 and repeat["sites"] == {}
    assert first["already"] == 0 and repeat["already"] == first["listed"]


def test_the_cdx_server_down_slow_or_answering_html_is_a_clear_error_then_a_rerun_completes(
        archive: dict, tmp_path: Path):
    db = tmp_path / "archive.db"
    proxy = archive["proxy"]

    def error_of(result: subprocess.CompletedProcess) -> str:
        """The one Error line, after a line per retry."""
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr
        *retries, last = result.stderr.strip().splitlines()
        assert last.startswith("Error: "), result.stderr
        assert all("; retrying in " in line for line in retries), result.stderr
        return last

    with serve_pages({}) as closed:
        pass  # a port nothing listens on any more
    down = error_of(recover(archive, "--db", str(db), "--cdx", closed + "/archive/cdx",
                            "--retries", "1", "--delay", "0"))
    assert f"cannot reach the CDX server at {closed}" in down and "run the same command" in down

    proxy.reset("slow-cdx")
    slow = error_of(recover(archive, "--db", str(db), "--timeout", "1", "--retries", "0",
                            "--delay", "0"))
    assert "did not answer within 1 s" in slow

    proxy.reset("html-cdx")
    html = error_of(recover(archive, "--db", str(db), "--delay", "0"))
    assert "answered an HTML page, not a CDX listing" in html

    # Two recovers at once on one archive: the second says so and leaves.
    import fcntl

    db.with_suffix(".recover").mkdir(exist_ok=True)
    with (db.with_suffix(".recover") / "lock").open("ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = error_of(recover(archive, "--db", str(db), "--delay", "0"))
    assert busy.startswith("Error: another recover is running on this archive")

    proxy.reset()
    never = error_of(recover(archive, "--db", str(db), "--delay", "0",
                             site="http://127.0.0.1:9/"))
    assert never == f"Error: http://127.0.0.1:9/ has no captures of post pages in {archive['base']}"

    # The archive fails every replay after the first 25 (503, past the retries): what was
    # fetched is kept, and the next recover fetches only the rest.
    proxy.reset("fail-replays")
    proxy.replays_allowed = 25
    failed = error_of(recover(archive, "--db", str(db), "--delay", "0", "--retries", "1"))
    assert "answered HTTP 503 (2 tries)" in failed
    first_run = proxy.replays()
    assert len(first_run) == 25
    assert table(db, "SELECT count(*) FROM posts")[0][0] > 0

    proxy.reset("busy-cdx-once")  # and a 429 with Retry-After on the first listing
    started = time.monotonic()
    result = recover(archive, "--db", str(db), "--delay", "0", "--json")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 1
    summary = json.loads(result.stdout)
    assert summary["requests"]["retries"] == 1
    second_run = proxy.replays()
    assert not set(first_run) & set(second_run)  # no capture fetched twice
    whole = tmp_path / "whole.db"
    proxy.reset()
    assert recover(archive, "--db", str(whole), "--delay", "0").returncode == 0
    assert len(first_run) + len(second_run) == len(proxy.replays())
    assert table(db, VERSIONS) == table(whole, VERSIONS)
    posts = "SELECT url, content_hash, deleted_at IS NOT NULL FROM posts ORDER BY 1"
    assert table(db, posts) == table(whole, posts)


def test_a_recover_killed_midway_is_completed_by_the_next(archive: dict, tmp_path: Path):
    """SIGKILL while fetching (a spool written, not yet imported): the next recover imports
    the spool and fetches only the captures not fetched before."""
    db = tmp_path / "archive.db"
    proxy = archive["proxy"]
    proxy.reset()
    process = subprocess.Popen([sys.executable, "-m", "archive.cli", "recover", archive["site"],
                                "--from", archive["base"], "--db", str(db), "--delay", "0.05"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(proxy.replays()) < 30:
        time.sleep(0.01)
    process.kill()
    process.wait()
    killed = proxy.replays()
    assert any(db.with_suffix(".recover").glob("*.warc.gz"))  # fetched, not yet imported
    proxy.reset()
    result = recover(archive, "--db", str(db), "--delay", "0", "--json")
    assert result.returncode == 0, result.stderr
    assert not set(killed[:-1]) & set(proxy.replays())  # at most the one in flight again
    whole = tmp_path / "whole.db"
    assert recover(archive, "--db", str(whole), "--delay", "0").returncode == 0
    assert table(db, VERSIONS) == table(whole, VERSIONS)
    check = wixarchive("check", "--db", str(db))
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize(("stop", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["ctrl-c", "sigterm"])
def test_a_stop_says_what_was_kept_and_the_next_recover_resumes(
        archive: dict, tmp_path: Path, stop: signal.Signals, status: int):
    """Ctrl-C or SIGTERM (systemd, docker stop, kill) while fetching: one line says what was
    kept, exit 128+N as the other commands do. Before, SIGTERM killed it with no word (status
    -15, the spool's lock and a half-written archive left as they were)."""
    db = tmp_path / "archive.db"
    proxy = archive["proxy"]
    proxy.reset()
    process = subprocess.Popen([sys.executable, "-m", "archive.cli", "recover", archive["site"],
                                "--from", archive["base"], "--db", str(db), "--delay", "0.05"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(proxy.replays()) < 30:
        time.sleep(0.01)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status, stderr
    assert "Traceback" not in stderr and "Aborted!" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("Interrupted: what was fetched is kept (")
    assert last.endswith("run the same command again to resume")
    killed = proxy.replays()
    proxy.reset()
    result = recover(archive, "--db", str(db), "--delay", "0")
    assert result.returncode == 0, result.stderr
    assert not set(killed[:-1]) & set(proxy.replays())


def test_a_from_address_that_is_no_collection_says_so_and_leaves_no_archive(
        archive: dict, tmp_path: Path):
    """pywb without a collection name (its CDX redirects), a mistyped collection (an empty
    listing, the replay base 404), the live blog (an HTML 404), pywb down: one line naming
    --from, no resume advice where running again cannot help, and no new archive left."""
    db = tmp_path / "new.db"
    root = archive["base"].removesuffix("archive/")

    def refused(replay: str, *more: str) -> str:
        archive["proxy"].reset()
        result = wixarchive("recover", archive["site"], "--from", replay, "--db", str(db),
                            "--delay", "0", *more)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("Error: "), result.stderr
        left = [p.name for p in tmp_path.iterdir()]
        assert left == [], (replay, left)
        return last

    no_collection = refused(root)
    with serve_blog(SampleBlog(seed=3, post_count=1)) as live:
        live_blog = refused(live.url + "/")
    for message in (no_collection, live_blog):
        assert "a web archive's collection URL? e.g. http://host:8080/COLL/" in message, message
        assert "run the same command" not in message and "--cdx" not in message
    typo = refused(root + "archiv/")
    assert f"{root}archiv/ answers HTTP 404: no such collection" in typo
    with serve_pages({}) as closed:
        pass  # a port nothing listens on any more
    down = refused(closed + "/archive/", "--retries", "0")
    assert f"cannot reach the CDX server at {closed}" in down


def test_a_site_given_without_its_archived_scheme_is_that_site(archive: dict, tmp_path: Path):
    """An archive holding the blog at http:// (an imported WARC); a recover given the blog
    without a scheme recovers into it, saying so, rather than into a second site."""
    db = tmp_path / "archive.db"
    assert wixarchive("import", str(archive["first"]), "--db", str(db)).returncode == 0
    site = archive["site"]
    archive["proxy"].reset()
    result = recover(archive, "--db", str(db), "--delay", "0",
                     site=site.removeprefix("http://"))
    assert result.returncode == 0, result.stderr
    assert f"is archived as {site} (http and https are the same site)" in result.stderr
    assert table(db, "SELECT url FROM sites") == [(site,)]


def test_real_wix_pages_recovered_from_pywb_are_archived_as_extracted(archive: dict,
                                                                      tmp_path: Path):
    if not archive["real"]:
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    db = tmp_path / "archive.db"
    site = archive["real_site"]
    result = recover(archive, "--db", str(db), "--delay", "0", "--no-images", "--json",
                     site=site)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    archived = {url: (title, digest) for url, title, digest in
                table(db, "SELECT url, title, content_hash FROM posts")}
    assert summary["not_posts"] + len(archived) == len(archive["real"])
    assert summary["not_posts"] <= 1  # the corpus's one page that is not a post, if any
    for path, (html, truth) in archive["real"].items():
        url = site.rstrip("/") + path
        article = extract_article(html, url)
        if article.page_kind != "post":
            assert url not in archived
            continue
        assert archived[url] == (article.title, article.content_hash()), url
        assert " ".join(article.title.split()) == " ".join(truth["title"].split()), url


def test_archive_error_pages_and_redirects_elsewhere_are_never_taken_for_captures(
        archive: dict, tmp_path: Path):
    """The first replay answers the archive's own 404 page (no Memento-Datetime), the second
    a redirect to a parking host: neither is stored, both are named, the rest is recovered."""
    db = tmp_path / "archive.db"
    proxy = archive["proxy"]
    proxy.reset("odd-replays")
    proxy.replays_allowed = 2
    result = recover(archive, "--db", str(db), "--delay", "0", "--no-images", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["missing"] == 2
    problems = summary["missing_captures"]
    assert "not a capture (HTTP 404 without Memento-Datetime)" in problems[0]
    assert "redirected to http://parking.example/lander" in problems[1]
    assert table(db, "SELECT count(*) FROM recovered WHERE outcome = 'missing'") == [(2,)]
    assert table(db, "SELECT count(*) FROM captures WHERE url LIKE '%parking.example%'") == [(0,)]
    assert summary["sites"][archive["site"]]["posts"] >= len(archive["slugs"]) - 1


def test_a_gone_blog_is_recovered_with_its_documents_videos_and_images_as_its_pages_show_them(
        tmp_path: Path):
    """pywb holds wget's capture of a blog with documents (and a video a browser played), with
    every image size its pages show; the blog is gone. Recovered, the archive holds the
    documents and the video (Markdown export: files beside the posts) and the image sizes the
    pages name, so its WACZ replays in pywb every image URL a post page names."""
    blog = SampleBlog(seed=3, post_count=12, attachments=True)
    captured = wget_blog_as_shown(blog, tmp_path)
    site = captured["site"]
    documents = {site + d.lstrip("/"): pdf_bytes(d.split("/")[-1][:-4])
                 for post in blog.posts for d in post.documents}
    db = tmp_path / "archive.db"
    with wayback(tmp_path / "pywb", warcs=[captured["warc"], captured["video_warc"]]) as base:
        result = wixarchive("recover", site, "--from", base, "--db", str(db), "--delay", "0",
                            "--json")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        again = wixarchive("recover", site, "--from", base, "--db", str(db), "--delay", "0",
                           "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["fetched"] == 0  # nothing asked for again
    stats = wixarchive("stats", "--db", str(db))
    assert f"documents: {len(documents)} ({len(documents)} archived)" in stats.stdout, \
        stats.stdout
    counts = summary["sites"][site]
    assert summary["files_listed"] == counts["files"] == len(documents) + 1
    named = {url for urls in captured["named"].values() for url in urls}
    stored = {url for (url,) in table(db, "SELECT url FROM media WHERE status = 'stored'")}
    assert named <= stored and {*documents, captured["video"]} <= stored
    assert counts["renditions"] == len(named)

    markdown = wixarchive("export", "--format", "markdown", str(tmp_path / "md"), "--db",
                          str(db))
    assert markdown.returncode == 0, markdown.stderr
    files = {path.read_bytes() for path in (tmp_path / "md").rglob("files/*.pdf")}
    assert files == set(documents.values())
    assert all("/_files/ugd/" not in path.read_text()
               for path in (tmp_path / "md").rglob("*.md"))

    out = tmp_path / "blog.wacz"
    exported = wixarchive("export", "--format", "wacz", str(out), "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    assert "Note:" not in exported.stderr, exported.stderr
    held = payloads(captured["warc"])
    with wayback(tmp_path / "replay", waczs=[out]) as replay:
        for page, images in captured["named"].items():
            (when,) = table(db, f"SELECT fetched_at FROM captures WHERE url = '{page}'")[0]
            stamp = "".join(ch for ch in when if ch.isdigit())[:14]
            for url in images:
                with urllib.request.urlopen(f"{replay}{stamp}id_/{url}") as answer:
                    assert answer.read() == held[url], url
