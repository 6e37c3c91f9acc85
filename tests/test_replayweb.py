"""`export --format wacz` replayed by ReplayWeb.page in a real headless Chromium.

A sample blog is crawled on loopback (full-size images from a second loopback host standing in
for static.wixstatic.com), both servers are stopped, and the exported WACZ is served with
ReplayWeb.page's own ui.js and sw.js (its npm package, which `make test` unpacks into build/)
from one loopback HTTP server that answers byte ranges, as any static host does. Chromium opens
ReplayWeb.page on the package, as a user opening it by URL would; the DevTools protocol
(tests/devtools.py) waits for the service worker to replay and reads the replayed frames.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from crawler.page_requisites import image_urls
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.chrome import Site
from crawler.sample_site.render import post_page
from tests.processes import serve_http
from tests.pywb import MISSING as PYWB_MISSING
from tests.pywb import pywb_bin, wayback
from tests.wixstatic import wixstatic_proxy

pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")
pytest.importorskip("websocket", reason="websocket-client (the test extra) drives Chromium")

from devtools import DevTools, browser  # after the skips above
from test_browser import chromium

REPO = Path(__file__).resolve().parent.parent
REPLAY_TIMEOUT = 90  # seconds for ReplayWeb.page to show a page; a guard against a hang
MISSING = ("ReplayWeb.page is not fetched: `make test` unpacks the replaywebpage npm package "
           "into build/replaywebpage-VERSION/ (needs npm; .ci/run installs it), or set "
           "WIXARCHIVE_REPLAYWEBPAGE_DIR to a folder holding its ui.js and sw.js")


def replaywebpage() -> Path:
    """The folder holding ReplayWeb.page's ui.js, sw.js and index.html; skips when absent."""
    chosen = os.environ.get("WIXARCHIVE_REPLAYWEBPAGE_DIR")
    candidates = [Path(chosen)] if chosen else sorted(
        (REPO / "build").glob("replaywebpage-*"),
        key=lambda p: [int(n) for n in re.findall(r"\d+", p.name)])
    for folder in reversed(candidates):
        if all((folder / name).is_file() for name in ("ui.js", "sw.js", "index.html")):
            return folder
    pytest.skip(MISSING)


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte ranges: ReplayWeb.page reads a WACZ's zip directory, its
    index blocks and its records by range rather than downloading it whole."""

    def send_head(self):  # http.server's signature
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        self.range_left: int | None = None
        if match is None or not os.path.isfile(path) or match.groups() == ("", ""):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        else:
            start, end = max(0, size - int(last)), size - 1
        if start >= size or start > end:
            self.send_error(416)
            return None
        handle = open(path, "rb")  # noqa: SIM115 - closed by http.server after copyfile
        handle.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.range_left = end - start + 1
        return handle

    def copyfile(self, source, outputfile) -> None:
        left = self.range_left
        if left is None:
            super().copyfile(source, outputfile)
            return
        while left > 0:
            chunk = source.read(min(left, 1 << 16))
            if not chunk:
                break
            outputfile.write(chunk)
            left -= len(chunk)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    handler = functools.partial(RangeHandler, directory=str(folder))
    with serve_http(handler) as url:
        yield url + "/"


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def stamp(when: str) -> str:
    """The 14-digit timestamp of an ISO date, as replay URLs take it."""
    return "".join(ch for ch in when if ch.isdigit())[:14]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A blog crawled with `--page-requisites` (its full-size images, and the renditions its
    pages show), its servers stopped, exported as a WACZ."""
    root = tmp_path_factory.mktemp("replayweb")
    db = root / "archive.db"
    blog = SampleBlog(seed=5, post_count=4)
    with serve_blog(blog) as site, serve_blog(blog, host="127.0.0.2") as media, \
            wixstatic_proxy(media.url) as proxy:
        # The images are fetched from https://static.wixstatic.com (through a loopback proxy:
        # tests/wixstatic.py), so the captures hold the very URLs the pages name.
        environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")
                       and k != "WIXARCHIVE_MEDIA_BASE"}
        result = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", site.url, "--db", str(db),
             "--delay", "0", "--no-autothrottle", "--page-requisites", "--json"],
            env={**environment, "https_proxy": proxy}, capture_output=True, text=True,
            timeout=300)
        assert result.returncode == 0, result.stderr
        conn = sqlite3.connect(db)
        image, image_at = conn.execute(
            "SELECT c.url, c.fetched_at FROM media m JOIN captures c ON c.record_id = m.capture "
            "WHERE m.status = 'stored' AND c.kind = 'response' AND m.url NOT LIKE '%/v1/%' "
            "ORDER BY c.url LIMIT 1").fetchone()
        conn.close()
        served_image = served_rendition(image)
        media_requests = sorted(media.requests)
        # Every image the post pages show, at the URL they name, was fetched, once.
        shown = {"/media/" + url.split("/media/", 1)[1] for post in blog.posts
                 for url in image_urls(post_page(Site(blog, site.url), post).encode(),
                                       site.url + post.url_path)}
        assert shown and all(media.requests[path] == 1 for path in shown), media.requests
    # The original site and media host are stopped: whatever shows now comes from the WACZ.
    served = root / "served"
    served.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "archive.cli", "export", "--format", "wacz", "--site", site.url,
         "--db", str(db), str(served / "blog.wacz"), "--json"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["renditions"] > 0 and not summary["renditions_missing"]
    assert "--page-requisites" not in result.stderr  # no note: the renditions are in
    with zipfile.ZipFile(served / "blog.wacz") as package:
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()[1:]]
    assert len(pages) == 4
    posts = {blog_post.url_path: blog_post.expected() for blog_post in blog.posts}
    return {"folder": served, "pages": pages, "posts": posts, "image": image,
            "image_at": image_at, "served_image": served_image,
            "media_requests": media_requests}


@pytest.fixture(scope="module")
def replay(exported: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[DevTools, str]]:
    """Chromium, and the base URL serving ReplayWeb.page and the package."""
    folder = replaywebpage()
    chromium()
    for name in ("ui.js", "sw.js", "index.html"):
        (exported["folder"] / name).write_bytes((folder / name).read_bytes())
    with serve_folder(exported["folder"]) as base, \
            browser(tmp_path_factory.mktemp("chromium") / "profile") as tools:
        yield tools, base


def served_rendition(url: str) -> bytes:
    """What the media host served for a static.wixstatic.com URL, an original or a rendition
    (its answer is a pure function of the path: the sample site's own)."""
    from crawler.sample_site.server import media_response

    response = media_response(url.split("/media/", 1)[1])
    assert response.status == 200, url
    return response.body


# Every document under the page: through shadow roots (ReplayWeb.page's web components) and
# same-origin iframes (its replay frame), with what a reader sees in each.
DOCUMENTS_JS = """
(() => {
  const found = [];
  const shadowText = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { shadowText.push(el.shadowRoot.textContent); visit(el.shadowRoot); }
      if (el.tagName !== 'IFRAME') continue;
      let doc = null;
      try { doc = el.contentDocument; } catch (e) { continue; }
      if (!doc || !doc.body) continue;
      found.push({href: doc.location.href, title: doc.title, text: doc.body.innerText,
                  images: [...doc.images].map(i => ({src: i.currentSrc, width: i.naturalWidth,
                                                    height: i.naturalHeight}))});
      visit(doc);
    }
  };
  visit(document);
  return {documents: found, shadowText: shadowText.join(' ')};
})()
"""


def open_in_replaywebpage(tools: DevTools, base: str, view: str) -> None:
    # By way of about:blank: from one view to another is otherwise only a change of the URL's
    # fragment, which ReplayWeb.page missed once in a loaded run (the previous post stayed).
    tools.call("Page.navigate", url="about:blank")
    tools.call("Page.navigate", url=f"{base}index.html?source={quote(base + 'blog.wacz')}"
                                    f"#{view}")


def wait_until(tools: DevTools, ready: Any) -> dict[str, Any]:
    """Poll the page until `ready(state)` is true; the last state in the failure."""
    deadline = time.monotonic() + REPLAY_TIMEOUT
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        tools.pump(0.5)
        state = tools.evaluate(DOCUMENTS_JS) or {}
        if ready(state):
            return state
    raise AssertionError(f"ReplayWeb.page did not show it: {json.dumps(state)[:3000]}")


def replayed(state: dict[str, Any], url: str) -> dict[str, Any] | None:
    """The replay frame of `url` (ReplayWeb.page's frame URL is .../<timestamp>mp_/<url>)."""
    for document in state.get("documents", []):
        if document["href"].endswith("mp_/" + url):
            return document
    return None


def words(text: str) -> str:
    return " ".join(text.split())


def test_replaywebpage_lists_the_posts_of_the_package(replay: tuple[DevTools, str],
                                                       exported: dict[str, Any]):
    tools, base = replay
    open_in_replaywebpage(tools, base, "view=pages")
    titles = [page["title"] for page in exported["pages"]]
    state = wait_until(tools, lambda s: all(t in s.get("shadowText", "") for t in titles))
    assert "Archived Page Not Found" not in state["shadowText"]


def test_replaywebpage_replays_a_post_from_the_package(replay: tuple[DevTools, str],
                                                       exported: dict[str, Any]):
    tools, base = replay
    page = exported["pages"][0]
    expected = exported["posts"][urlsplit(page["url"]).path]
    sentence = next(s for s in re.split(r"(?<=[.!?])\s+", expected["body_text"]) if len(s) > 30)
    open_in_replaywebpage(tools, base, f"view=replay&url={quote(page['url'], safe='')}"
                                       f"&ts={stamp(page['ts'])}")
    state = wait_until(tools, lambda s: (frame := replayed(s, page["url"])) is not None
                       and words(sentence) in words(frame["text"]))
    frame = replayed(state, page["url"])
    assert frame["title"] == expected["title"]
    assert expected["title"] in frame["text"]
    assert "Archived Page Not Found" not in frame["text"]


def test_replaywebpage_replays_a_full_size_image_byte_for_byte(replay: tuple[DevTools, str],
                                                               exported: dict[str, Any]):
    from PIL import Image

    tools, base = replay
    url = exported["image"]
    width, height = Image.open(io.BytesIO(exported["served_image"])).size
    open_in_replaywebpage(tools, base, f"view=replay&url={quote(url, safe='')}"
                                       f"&ts={stamp(exported['image_at'])}")
    state = wait_until(tools, lambda s: (frame := replayed(s, url)) is not None
                       and any(i["width"] for i in frame["images"]))
    frame = replayed(state, url)
    # Chromium decoded it at its size...
    assert [(i["width"], i["height"]) for i in frame["images"]] == [(width, height)]
    # ...and the service worker serves the bytes the media host served (`id_`: unmodified).
    digest = tools.evaluate(
        f"fetch({json.dumps(frame['href'].replace('mp_/', 'id_/', 1))})"
        ".then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))"
        ".then(d => [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0')).join(''))",
        await_promise=True)
    assert digest == hashlib.sha256(exported["served_image"]).hexdigest()


def in_body(image_src: str, originals: list[str]) -> str | None:
    """The static.wixstatic.com URL a replayed <img> shows (its replay URL ends with it) if it
    is a rendition of one of the post's own images, else None."""
    match = re.search(r"/\d{14}[a-z_]*/(https?://.+)$", image_src)
    url = match.group(1) if match else ""
    return url if any(url.startswith(original + "/v1/") for original in originals) else None


def test_replaywebpage_shows_the_images_inside_a_replayed_post(replay: tuple[DevTools, str],
                                                               exported: dict[str, Any]):
    """Crawled with --page-requisites: the post's own <img> elements load in the replay, each
    with the bytes the media host served for the rendition the page names."""
    tools, base = replay
    page = next(p for p in exported["pages"]
                if exported["posts"][urlsplit(p["url"]).path]["images"])
    originals = exported["posts"][urlsplit(page["url"]).path]["images"]
    open_in_replaywebpage(tools, base, f"view=replay&url={quote(page['url'], safe='')}"
                                       f"&ts={stamp(page['ts'])}")
    state = wait_until(tools, lambda s: (frame := replayed(s, page["url"])) is not None
                       and frame["title"] and any(in_body(i["src"], originals)
                                                  for i in frame["images"])
                       and all(i["width"] for i in frame["images"]
                               if in_body(i["src"], originals)))
    frame = replayed(state, page["url"])
    shown = [i for i in frame["images"] if in_body(i["src"], originals)]
    assert shown and all(i["width"] > 0 for i in shown), frame["images"]
    for image in shown:
        url = in_body(image["src"], originals)
        assert "/media/" + url.split("/media/", 1)[1] in exported["media_requests"]
        digest = tools.evaluate(
            f"fetch({json.dumps(frame['href'].split('mp_/', 1)[0] + 'id_/' + url)})"
            ".then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-256', b))"
            ".then(d => [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0'))"
            ".join(''))", await_promise=True)
        assert digest == hashlib.sha256(served_rendition(url)).hexdigest(), url


@pytest.mark.skipif(pywb_bin() is None, reason=PYWB_MISSING)
def test_pywb_replays_the_renditions_a_replayed_post_names(exported: dict[str, Any],
                                                         tmp_path: Path):
    """The same package in pywb: every rendition of the post's own images that its replayed
    HTML names answers with the bytes the media host served."""
    page = next(p for p in exported["pages"]
                if exported["posts"][urlsplit(p["url"]).path]["images"])
    originals = exported["posts"][urlsplit(page["url"]).path]["images"]
    with wayback(tmp_path / "pywb", waczs=[exported["folder"] / "blog.wacz"]) as pywb:
        html = fetch(f"{pywb}{stamp(page['ts'])}mp_/{page['url']}").decode("utf-8")
        names = {url for url in re.findall(r'src="([^"]+)"', html)
                 if in_body(url, originals)}
        assert names, html[:2000]
        for name in names:
            url = in_body(name, originals)
            assert fetch(f"{pywb}{stamp(page['ts'])}id_/{url}") == served_rendition(url), url


def test_replaywebpage_replays_the_real_wix_posts(tmp_path: Path):
    """The real Wix post pages of ../shared/realworld, served on 127.0.0.1 and captured by wget,
    imported, exported as a WACZ: ReplayWeb.page replays every listed post with the start of its
    body and its title as the truth records give them."""
    import shutil

    from tests.webarchives import REALWORLD, realworld_pages, serve_pages, wget_urls, wixarchive

    folder = replaywebpage()
    chromium()
    corpus = realworld_pages()
    if not corpus:
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    if shutil.which("wget") is None:
        pytest.skip("wget is not installed (.ci/run installs it)")
    pages = {"/" + name.replace("__", "/post/", 1): truth for name, (_, truth) in corpus.items()}
    with serve_pages({path: corpus[name][0] for path, name in
                      zip(pages, corpus, strict=True)}) as base:
        wget_urls([base + path for path in pages], tmp_path / "real", tmp_path / "mirror")
    db = tmp_path / "real.db"
    result = wixarchive("import", str(tmp_path / "real.warc.gz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    served = tmp_path / "served"
    served.mkdir()
    for name in ("ui.js", "sw.js", "index.html"):
        (served / name).write_bytes((folder / name).read_bytes())
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(served / "blog.wacz"))
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(served / "blog.wacz") as package:
        listed = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()[1:]]
    assert len(listed) >= len(pages) - 1  # the corpus's one page that is not a post, if any
    titled_in_page = 0
    with serve_folder(served) as replay_base, browser(tmp_path / "profile") as tools:
        for page in listed:
            truth = pages[page["url"][len(base):]]
            start = words(truth["body"][0])[:40]  # the body's first paragraph
            open_in_replaywebpage(tools, replay_base,
                                  f"view=replay&url={quote(page['url'], safe='')}"
                                  f"&ts={stamp(page['ts'])}")
            state = wait_until(tools, lambda s, p=page, t=start: (
                frame := replayed(s, p["url"])) is not None and t in words(frame["text"]))
            frame = replayed(state, page["url"])
            # A few pages show their title in the tab only (19 of the 21 show it in the page).
            assert words(truth["title"]) in words(frame["text"]) + words(frame["title"]), \
                (page["url"], frame["title"])
            titled_in_page += words(truth["title"]) in words(frame["text"])
    assert titled_in_page >= len(listed) * 3 // 4
