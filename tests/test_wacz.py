"""`wixarchive export --format wacz`: a WACZ of a site's captures that py-wacz validates, a real
pywb replays byte for byte, warcio and py-wacz read, and `wixarchive import` turns back into the
same posts. Two sample blogs are crawled (with full-size images from a third loopback host) into
one archive, so a site's package must hold its own records and the revisits' originals only."""

from __future__ import annotations

import gzip
import json
import os
import signal
import stat
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive import captures
from archive.export.wacz import note
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Response, media_bytes
from tests.processes import into_closed_pipe
from tests.pywb import MISSING, pywb_bin, wayback

WIX_MEDIA = "https://static.wixstatic.com/media/"

pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")


def wixarchive(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=600)


def crawl(url: str, db: Path, media_url: str, *more: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawler.run", url, "--db", str(db), "--set", "DOWNLOAD_DELAY=0",
         "--set", "AUTOTHROTTLE_ENABLED=false", "--set", "LOG_LEVEL=CRITICAL",
         "--set", f"WIXARCHIVE_MEDIA_BASE={media_url}/media/", *more],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def fetch(url: str) -> tuple[dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        body = response.read()
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return headers, body


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two blogs crawled twice each into one archive; what each served, read while serving."""
    root = tmp_path_factory.mktemp("wacz")
    db = root / "archive.db"
    first, second = SampleBlog(seed=5, post_count=14), SampleBlog(seed=6, post_count=6)
    with serve_blog(first) as one, serve_blog(second, host="127.0.0.3") as two, \
            serve_blog(first, host="127.0.0.2") as media:
        # One of the second blog's images is byte for byte one of the first's: its capture is a
        # revisit record whose payload is in the first site's captures.
        ours, theirs = (sorted(u for post in blog.posts for u in post.expected()["images"]
                               if u.endswith(".png")) for blog in (first, second))
        shared = theirs[0].rsplit("/", 1)[1]
        media.overrides[f"/media/{shared}"] = Response(
            200, media_bytes(ours[0].rsplit("/", 1)[1]), {"Content-Type": "image/png"})
        for _ in range(2):  # the second crawl writes revisit records
            crawl(one.url, db, media.url)
            crawl(two.url, db, media.url)
        served = {}
        conn = captures_db(db)
        post_urls = [u for (u,) in conn.execute(
            "SELECT url FROM posts WHERE url LIKE ? ORDER BY id", (one.url.rstrip("/") + "/%",))]
        image = conn.execute("SELECT c.url FROM media m JOIN captures c ON c.record_id = "
                             "m.capture WHERE m.status = 'stored' LIMIT 1").fetchone()[0]
        conn.close()
        for url in post_urls[:3]:
            served[url] = fetch(url)[1]
        # The images are captured under their own URLs, as the posts name them (the mirror
        # standing in for static.wixstatic.com is named in their records).
        assert image.startswith(WIX_MEDIA)
        served[image] = fetch(mirror(image, media.url))[1]
        shared_url = f"{WIX_MEDIA}{shared}"
        served_shared = fetch(mirror(shared_url, media.url))[1]
    return {"db": db, "root": root, "one": one.url, "two": two.url, "media": media.url,
            "post_urls": post_urls, "served": served, "image": image,
            "shared": (shared_url, served_shared)}


def mirror(url: str, media_url: str) -> str:
    """Where the crawl fetched a static.wixstatic.com/media/ URL (WIXARCHIVE_MEDIA_BASE)."""
    return f"{media_url}/media/{url[len(WIX_MEDIA):]}"


def captures_db(db: Path):  # an sqlite3 connection
    import sqlite3

    return sqlite3.connect(db)


@pytest.fixture(scope="module")
def package(sites: dict) -> Path:
    out = sites["root"] / "one.wacz"
    result = wixarchive("export", "--format", "wacz", "--site", sites["one"], "--db",
                        str(sites["db"]), str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["posts"] == 14 and summary["posts_without_capture"] == 0
    assert summary["bytes"] == out.stat().st_size
    # Crawled without --page-requisites: the images as the pages show them are not in it.
    assert summary["renditions"] == 0 and summary["renditions_missing"] is True
    return out


def records(wacz: Path) -> list:
    """(type, WARC headers, HTTP status, payload) of every record of the package's WARCs, read
    with warcio checking every digest."""
    found = []
    with zipfile.ZipFile(wacz) as package:
        for name in package.namelist():
            if name.startswith("archive/"):
                with package.open(name) as stream:
                    for record in ArchiveIterator(stream, check_digests="raise"):
                        status = record.http_headers.get_statuscode() \
                            if record.http_headers else None
                        found.append((record.rec_type, dict(record.rec_headers.headers),
                                      status, record.content_stream().read()))
    return found


def test_py_wacz_validates_it(package: Path):
    result = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(package)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded, the passed WACZ is valid" in result.stdout


def test_it_holds_the_site_records_as_stored_with_requests_and_revisit_originals(
        sites: dict, package: Path):
    found = records(package)
    one, two = sites["one"], sites["two"]
    targets = [h["WARC-Target-URI"] for _, h, _, _ in found]
    assert not any(url.startswith(two) for url in targets)  # the other site stays out
    assert set(sites["post_urls"]) <= set(targets)
    assert sites["image"] in targets  # its posts' full-size images are in
    # ... under their own URLs; the records say the mirror they were fetched from, and the
    # request record is the request as sent to it.
    mirrored = [(kind, h) for kind, h, _, _ in found if h["WARC-Target-URI"] == sites["image"]]
    assert [kind for kind, _ in mirrored] == ["response", "request"]
    fetched = mirror(sites["image"], sites["media"])
    assert all(h[captures.FETCHED_FROM] == fetched for _, h in mirrored)
    with zipfile.ZipFile(package) as zipped, zipped.open("archive/data.warc.gz") as warc:
        (request,) = [r.http_headers for r in ArchiveIterator(warc) if r.rec_type == "request"
                      and r.rec_headers.get_header("WARC-Target-URI") == sites["image"]]
    assert request.get_header("Host") == fetched.split("/")[2]
    assert request.statusline == f"/media/{fetched.split('/media/')[1]} HTTP/1.1"
    responses = {(h["WARC-Target-URI"], h["WARC-Date"]) for kind, h, _, _ in found
                 if kind == "response"}
    revisits = [h for kind, h, _, _ in found if kind == "revisit"]
    assert revisits  # the second crawl stored unchanged payloads as revisits
    for headers in revisits:  # each resolves inside the package
        assert (headers["WARC-Refers-To-Target-URI"], headers["WARC-Refers-To-Date"]) \
            in responses, headers
    # Every response and revisit is followed by its request record.
    for (kind, headers, _, _), after in zip(found, [*found[1:], None], strict=True):
        if kind in ("response", "revisit"):
            assert after is not None and after[0] == "request"
            assert after[1]["WARC-Concurrent-To"] == headers["WARC-Record-ID"]
    # The records are the stored gzip members, byte for byte.
    conn = captures_db(sites["db"])
    directory = captures.captures_dir(sites["db"])
    with zipfile.ZipFile(package) as zipped:
        data = zipped.read("archive/data.warc.gz")
    for record_id, name, offset, length in conn.execute(
            "SELECT c.record_id, f.name, c.offset, c.length FROM captures c JOIN capture_files f"
            " ON f.id = c.file_id WHERE c.url LIKE ? LIMIT 5", (one + "post/%",)):
        with (directory / name).open("rb") as handle:
            handle.seek(offset)
            assert handle.read(length) in data, record_id
    # pages.jsonl: every post of the site, at a capture in the package, with its title.
    with zipfile.ZipFile(package) as zipped:
        lines = [json.loads(line) for line in zipped.read("pages/pages.jsonl").splitlines()]
    assert lines[0]["format"] == "json-pages-1.0"
    titles = dict(conn.execute("SELECT url, title FROM posts"))
    dates = {(h["WARC-Target-URI"], h["WARC-Date"]) for kind, h, _, _ in found
             if kind in ("response", "revisit")}
    assert sorted(page["url"] for page in lines[1:]) == sorted(sites["post_urls"])
    for page in lines[1:]:
        assert page["title"] == titles[page["url"]]
        assert (page["url"], page["ts"]) in dates


def test_a_filtered_package_holds_the_chosen_posts_pages_and_captures_only(sites: dict,
                                                                          tmp_path: Path):
    """`export --category X --format wacz`: the pages list and the records of the posts in X
    (their pages, images, the originals of their revisits), not the site's other posts'."""
    conn = captures_db(sites["db"])
    categories = {url: json.loads(listed) for url, listed in conn.execute(
        "SELECT url, categories FROM posts WHERE url LIKE ?", (sites["one"] + "%",))}
    category = categories[sites["post_urls"][0]][0]
    chosen = {url for url, names in categories.items() if category in names}
    assert 0 < len(chosen) < len(categories)
    out = tmp_path / "part.wacz"
    result = wixarchive("export", "--format", "wacz", "--site", sites["one"], "--category",
                        category.upper(), "--db", str(sites["db"]), str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["posts"], summary["filters"]) == (len(chosen), {"category": category.upper()})
    with zipfile.ZipFile(out) as zipped:
        lines = [json.loads(line) for line in zipped.read("pages/pages.jsonl").splitlines()]
    assert {page["url"] for page in lines[1:]} == chosen
    found = records(out)  # every digest checked
    targets = {h["WARC-Target-URI"] for _, h, _, _ in found}
    assert chosen <= targets
    assert not (set(categories) - chosen) & targets  # the other posts' pages stay out

    def stored_images(urls: set[str]) -> set[str]:
        return {url for (url,) in conn.execute(
            "SELECT DISTINCT i.url FROM images i JOIN posts p ON p.id = i.post_id JOIN media m "
            f"ON m.url = i.url WHERE m.status = 'stored' AND p.url IN "
            f"({','.join('?' * len(urls))})", sorted(urls))}

    ours = stored_images(chosen)
    assert ours and ours <= targets
    assert not (stored_images(set(categories) - chosen) - ours) & targets
    responses = {(h["WARC-Target-URI"], h["WARC-Date"]) for kind, h, _, _ in found
                 if kind == "response"}
    for kind, headers, _, _ in found:  # each revisit resolves inside the package
        if kind == "revisit":
            assert (headers["WARC-Refers-To-Target-URI"], headers["WARC-Refers-To-Date"]) \
                in responses, headers
    validated = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                               capture_output=True, text=True, timeout=300)
    assert validated.returncode == 0, validated.stdout + validated.stderr

    nothing = wixarchive("export", "--format", "wacz", "--tag", "no such tag", "--db",
                         str(sites["db"]), str(tmp_path / "none.wacz"))
    assert (nothing.returncode, nothing.stderr) == (
        1, "Error: nothing to export: no post matches --tag 'no such tag'\n")
    # --changed-since chooses a WACZ's posts too: none changed in the year 2999.
    unchanged = wixarchive("export", "--format", "wacz", "--changed-since", "2999", "--db",
                           str(sites["db"]), str(tmp_path / "none.wacz"))
    assert (unchanged.returncode, unchanged.stderr) == (
        1, "Error: nothing to export: no post matches --changed-since 2999\n")


@pytest.fixture(scope="module")
def package_two(sites: dict) -> Path:
    out = sites["root"] / "two.wacz"
    result = wixarchive("export", "--format", "wacz", "--site", "127.0.0.3", "--db",
                        str(sites["db"]), str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["posts"] == 6
    assert summary["revisit_originals"] >= 1  # the first site's image, for the shared one
    return out


def test_the_other_site_package_carries_the_originals_of_its_revisits(sites: dict,
                                                                      package_two: Path):
    found = records(package_two)
    responses = {(h["WARC-Target-URI"], h["WARC-Date"]) for kind, h, _, _ in found
                 if kind == "response"}
    revisits = [h for kind, h, _, _ in found if kind == "revisit"]
    assert revisits
    for headers in revisits:
        assert (headers["WARC-Refers-To-Target-URI"], headers["WARC-Refers-To-Date"]) \
            in responses
    shared_url = sites["shared"][0]
    (shared,) = [h for h in revisits if h["WARC-Target-URI"] == shared_url]
    assert not shared["WARC-Refers-To-Target-URI"].startswith(shared_url)
    assert not any(h["WARC-Target-URI"].startswith(sites["one"] + "/post/")
                   for _, h, _, _ in found)  # the first site's pages stay out


def test_its_index_is_the_one_wacz_create_makes_of_its_warc(package: Path, tmp_path: Path):
    """py-wacz's `wacz create` over the package's own WARC indexes it identically."""
    with zipfile.ZipFile(package) as zipped:
        zipped.extract("archive/data.warc.gz", tmp_path)
        ours = gzip.decompress(zipped.read("indexes/index.cdx.gz")).decode()
        our_blocks = zipped.read("indexes/index.idx")
    theirs_path = tmp_path / "theirs.wacz"
    result = subprocess.run([sys.executable, "-m", "wacz", "create", "-o", str(theirs_path),
                             str(tmp_path / "archive" / "data.warc.gz")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(theirs_path) as zipped:
        theirs = gzip.decompress(zipped.read("indexes/index.cdx.gz")).decode()
        assert our_blocks == zipped.read("indexes/index.idx")
    assert ours == theirs
    assert len(ours.splitlines()) > 20
    assert '"mime": "warc/revisit"' in ours and '"referrer": ' in ours


def test_an_index_sorted_on_disk_is_the_same(sites: dict, package: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch):
    """With a sort buffer of a few lines the index sort spills runs to disk and merges them:
    the package's index is the same, and no run is left behind."""
    import tempfile

    from cdxj_indexer.main import SortingWriter

    from archive.export import wacz
    from archive.export.source import matching_sites
    from archive.store import Archive

    monkeypatch.setattr(wacz, "SORT_BUFFER", 2000)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    runs = []
    spill = SortingWriter.write_to_temp
    monkeypatch.setattr(SortingWriter, "write_to_temp",
                        lambda self: runs.append(spill(self)) or runs[-1])
    out = tmp_path / "spilled.wacz"
    with Archive.open(sites["db"], readonly=True) as archive, out.open("wb") as stream:
        chosen = matching_sites(archive, sites["one"])
        wacz.write(archive.conn, captures.captures_dir(sites["db"]), chosen, stream,
                   title=chosen[0]["name"])
    with zipfile.ZipFile(out) as spilled, zipfile.ZipFile(package) as original:
        for name in ("indexes/index.cdx.gz", "indexes/index.idx", "archive/data.warc.gz"):
            assert spilled.read(name) == original.read(name), name
    assert len(runs) > 5  # sorted in runs on disk
    assert [p.name for p in tmp_path.iterdir()] == ["spilled.wacz"]


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_pywb_replays_posts_and_images_as_the_site_served_them(sites: dict, package: Path,
                                                               tmp_path: Path):
    conn = captures_db(sites["db"])
    with wayback(tmp_path / "pywb", waczs=[package]) as base:
        for url, served in sites["served"].items():
            (when,) = conn.execute("SELECT max(fetched_at) FROM captures WHERE url = ? AND "
                                   "kind = 'response'", (url,)).fetchone()
            stamp = "".join(ch for ch in when if ch.isdigit())[:14]
            headers, body = fetch(f"{base}{stamp}id_/{url}")
            assert body == served, url
            assert len(body) > 100


@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_pywb_replays_a_revisit_from_the_original_another_site_captured(
        sites: dict, package_two: Path, tmp_path: Path):
    url, served = sites["shared"]
    (when,) = captures_db(sites["db"]).execute(
        "SELECT max(fetched_at) FROM captures WHERE url = ? AND kind = 'revisit'",
        (url,)).fetchone()
    stamp = "".join(ch for ch in when if ch.isdigit())[:14]
    with wayback(tmp_path / "pywb", waczs=[package_two]) as base:
        headers, body = fetch(f"{base}{stamp}id_/{url}")
    assert body == served and headers["content-type"] == "image/png"


def test_import_of_the_package_gives_the_same_posts(sites: dict, package: Path,
                                                    tmp_path: Path):
    fresh = tmp_path / "fresh.db"
    result = wixarchive("import", str(package), "--db", str(fresh), "--json")
    assert result.returncode == 0, result.stderr
    query = ("SELECT url, title, content_hash, published FROM posts WHERE url LIKE ? "
             "ORDER BY url")
    pattern = (sites["one"].rstrip("/") + "/%",)
    original = captures_db(sites["db"]).execute(query, pattern).fetchall()
    assert len(original) == 14
    assert captures_db(fresh).execute(query, pattern).fetchall() == original
    # The images, fetched from a mirror standing in for static.wixstatic.com, are in the
    # package under the URLs the posts name: imported, they are archived again, and the
    # Markdown export of the new archive has them beside the posts.
    images = ("SELECT DISTINCT m.url, m.payload_digest FROM media m JOIN images i ON "
              "i.url = m.url JOIN posts p ON p.id = i.post_id WHERE m.status = 'stored' AND "
              "p.url LIKE ? ORDER BY 1")
    stored = captures_db(sites["db"]).execute(images, pattern).fetchall()
    assert stored and captures_db(fresh).execute(images, pattern).fetchall() == stored
    result = wixarchive("export", "--format", "markdown", str(tmp_path / "md"), "--db",
                        str(fresh))
    assert result.returncode == 0, result.stderr
    exported = {path.read_bytes() for path in (tmp_path / "md").rglob("images/*")}
    assert sites["served"][sites["image"]] in exported
    assert len(exported) == len({digest for _, digest in stored})
    texts = "".join(path.read_text() for path in (tmp_path / "md").rglob("*.md"))
    assert "](images/" in texts and "static.wixstatic.com" not in texts


def test_it_streams_to_stdout(sites: dict, tmp_path: Path):
    result = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--format", "wacz",
                             "--site", sites["one"], "--db", str(sites["db"]), "-", "--json"],
                            capture_output=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stderr)["bytes"] == len(result.stdout)
    out = tmp_path / "piped.wacz"
    out.write_bytes(result.stdout)
    validate = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout
    assert len([r for r in records(out) if r[0] == "response"]) > 20



def test_the_package_is_as_readable_as_any_new_file_and_a_closed_pipe_is_quiet(
        sites: dict, tmp_path: Path):
    """A WACZ is published for ReplayWeb.page: 0644 under umask 022, not a temp file's 0600.
    Streamed into `| head`, it ends as any command does when its reader goes: silently, by
    SIGPIPE."""
    out = tmp_path / "published.wacz"
    result = subprocess.run([sys.executable, "-m", "archive.cli", "export", "--format", "wacz",
                             "--site", sites["one"], "--db", str(sites["db"]), str(out)],
                            capture_output=True, text=True, timeout=300, umask=0o022)
    assert result.returncode == 0, result.stderr
    assert oct(stat.S_IMODE(out.stat().st_mode)) == oct(0o644)
    result = into_closed_pipe([sys.executable, "-m", "archive.cli", "export", "--format", "wacz",
                               "--site", sites["one"], "--db", str(sites["db"]), "-"])
    assert (result.returncode, result.stderr) == (-signal.SIGPIPE, "")

def test_a_package_without_the_images_as_pages_show_them_says_so(sites: dict, tmp_path: Path):
    result = wixarchive("export", "--format", "wacz", "--site", sites["one"], "--db",
                        str(sites["db"]), str(tmp_path / "one.wacz"))
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert len(notes) == 1 and "--page-requisites" in notes[0], result.stderr
    assert result.stdout.startswith("Exported 14 posts")


def test_images_not_archived_at_all_are_not_said_to_be_at_full_size(tmp_path: Path):
    """A crawl with --no-media (or whose image downloads all failed: no network) archived none
    of the images; the note said they were "archived at full size only". It says none is,
    and, once a crawl fetched them, that they are at full size only."""
    db, out = tmp_path / "archive.db", tmp_path / "blog.wacz"
    blog = SampleBlog(seed=9, post_count=4)
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        crawl(server.url, db, media.url, "--set", "WIXARCHIVE_MEDIA=false")
        result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out), "--json")
        summary = json.loads(result.stdout)
        shown = summary["images_shown"]
        assert shown > 0 and summary["images_not_archived"] == shown, summary
        result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
        notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
        assert notes == [f"Note: none of the {shown} images the posts show is archived, "
                         "neither at full size nor at the sizes their pages name, so they stay "
                         "blank inside a replayed post (if the site is still up, crawl it "
                         "again with --page-requisites)."], result.stderr

        crawl(server.url, db, media.url)
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
    notes = [line for line in result.stderr.splitlines() if line.startswith("Note:")]
    assert notes == [f"Note: the {shown} images the posts show are archived at full size only, "
                     "not at the sizes their pages name, so they stay blank inside a replayed "
                     "post (if the site is still up, crawl it again with --page-requisites)."]


@pytest.mark.parametrize(("shown", "kept", "missing", "renditions", "said"), [
    (1, 0, 1, 0, "the 1 image the posts show is not archived, neither at full size nor at the "
                 "sizes its page names, so it stays blank inside a replayed post"),
    (1, 0, 0, 0, "the 1 image the posts show is archived at full size only, not at the sizes "
                 "its page names, so it stays blank inside a replayed post"),
    (3, 1, 0, 1, "1 of the 3 images the posts show is archived at the sizes its page names "
                 "(1 rendition); the other 2 only at full size, so they stay blank inside a "
                 "replayed post"),
    (3, 1, 1, 2, "of the 3 images the posts show, 1 is not archived at all and 1 only at full "
                 "size (the other 1 is at the sizes its page names: 2 renditions): those stay "
                 "blank inside a replayed post"),
])
def test_the_note_on_images_agrees_with_their_number(shown: int, kept: int, missing: int,
                                                      renditions: int, said: str):
    """A package of one image not archived said "none of the 1 images … is archived"."""
    summary = {"images_shown": shown, "images_with_renditions": kept,
               "images_not_archived": missing, "renditions": renditions, "crawled": True}
    assert note(summary) == (f"Note: {said} (if the site is still up, crawl it again with "
                             "--page-requisites).")


def test_posts_without_a_capture_are_counted_and_refetch_captures_them(tmp_path: Path):
    """Posts archived with --no-capture (or before captures existed) were left out of a WACZ
    with only --json saying so, and the remedy offered ("crawl without --no-capture") captured
    nothing: a plain crawl fetches unchanged posts conditionally. The text output counts them
    and names --refetch, which does capture them."""
    db = tmp_path / "old.db"
    out = tmp_path / "old.wacz"
    blog = SampleBlog(seed=9, post_count=3)
    with serve_blog(blog) as server:
        plain = ("crawl", server.url, "--db", str(db), "--delay", "0", "--no-autothrottle")
        assert wixarchive(*plain, "--no-capture").returncode == 0
        result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert "has no captures" in result.stderr and \
            "wixarchive crawl URL --refetch" in result.stderr

        blog.add_post(title="A post captured when new")
        assert wixarchive(*plain).returncode == 0
        result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
        assert result.returncode == 0 and result.stdout.startswith("Exported 1 post ")
        assert "Note: 3 posts left out: no capture" in result.stderr and \
            "wixarchive crawl URL --refetch" in result.stderr
        result = wixarchive("reextract", "--db", str(db))
        assert "3 posts have no capture" in result.stdout and "--refetch" in result.stdout

        assert wixarchive(*plain, "--refetch").returncode == 0
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
    assert result.returncode == 0 and result.stdout.startswith("Exported 4 posts ")
    assert "left out" not in result.stderr
    assert "no capture" not in wixarchive("reextract", "--db", str(db)).stdout


def test_no_captures_and_unwritable_outputs_are_one_line(sites: dict, tmp_path: Path):
    db = tmp_path / "bare.db"
    blog = SampleBlog(seed=9, post_count=3)
    with serve_blog(blog) as server:
        result = wixarchive("crawl", server.url, "--db", str(db), "--delay", "0",
                            "--no-autothrottle", "--no-capture")
        assert result.returncode == 0, result.stderr
    out = tmp_path / "bare.wacz"
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: nothing to export:") and "no captures" in \
        result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not out.exists() and not list(tmp_path.glob(".bare.wacz*"))

    result = wixarchive("export", "--format", "wacz", "--db", str(sites["db"]),
                        str(tmp_path / "no" / "such" / "x.wacz"))
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert "does not exist" in result.stderr

    if Path("/dev/full").exists():  # every write fails as on a full disk
        result = wixarchive("export", "--format", "wacz", "--db", str(sites["db"]), "/dev/full")
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("Error: cannot write /dev/full: No space left")

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: a read-only folder is writable")
        result = wixarchive("export", "--format", "wacz", "--db", str(sites["db"]),
                            str(locked / "x.wacz"))
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("Error: cannot write")
    finally:
        locked.chmod(0o700)


def test_a_missing_capture_file_is_named_and_the_rest_exported(sites: dict, tmp_path: Path):
    """A capture file missing and another cut short: each record named, the rest exported, and
    the posts left out for them counted as such. They were counted as posts with no capture,
    whose note blamed `--no-capture` and advised `--refetch` (until 2026-12-07)."""
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(sites["db"], db)
    shutil.copytree(captures.captures_dir(sites["db"]), captures.captures_dir(db))
    files = sorted(captures.captures_dir(db).glob("*.warc.gz"))
    files[-1].unlink()  # the last crawl's file
    out = tmp_path / "partial.wacz"
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out))
    assert result.returncode == 1
    assert f"capture file {files[-1]} is missing" in result.stderr
    with files[0].open("r+b") as cut:  # the first crawl's, cut short half way
        cut.truncate(files[0].stat().st_size // 2)
    damaged = wixarchive("export", "--format", "wacz", "--db", str(db),
                         str(tmp_path / "damaged.wacz"))
    summary = json.loads(wixarchive("export", "--format", "wacz", "--db", str(db),
                                    str(tmp_path / "damaged.wacz"), "--json").stdout)
    assert summary["posts_unreadable"] > 0 and summary["posts_without_capture"] == 0
    assert summary["posts"] + summary["posts_unreadable"] == 20  # every post of both blogs
    assert f"capture file {files[0]} is truncated" in damaged.stderr
    assert (f"Note: {summary['posts_unreadable']} posts left out: their captures could not be "
            "read (the errors above; `wixarchive check` names what is damaged or missing)"
            in damaged.stderr)
    assert "no capture" not in damaged.stderr
    validate = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout
    # The rest: the posts whose captures are in the other files, each listed with its record.
    with zipfile.ZipFile(out) as zipped:
        listed = {json.loads(line)["url"]
                  for line in zipped.read("pages/pages.jsonl").splitlines()[1:]}
        with zipped.open("archive/data.warc.gz") as warc:
            written = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(warc)
                       if r.rec_type == "response"}
    assert listed and listed <= written


def test_wxr_attachments_point_at_the_archived_images_published_where_told(sites: dict,
                                                                            tmp_path: Path):
    """`--images-url`: the archived images go beside the WXR file, and each post's attachment
    items (and its body) name them under the given URL; served from there (as WordPress's
    importer would download them) they are the bytes the media host served."""
    import functools
    import http.server
    import threading

    from lxml import etree

    from archive.export.wxr import NS

    out = tmp_path / "wordpress.xml"
    folder = tmp_path / "wordpress-images"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_port}/"
    result = wixarchive("export", "--format", "wxr", "--site", sites["one"], "--images-url",
                        base, "--db", str(sites["db"]), str(out), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["archived_images"] > 0 and summary["images_folder"] == str(folder)
    items = etree.parse(str(out)).getroot().find("channel").findall("item")
    kind = {i.findtext("wp:post_id", namespaces=NS): i.findtext("wp:post_type", namespaces=NS)
            for i in items}
    attachments = [i for i in items if i.findtext("wp:post_type", namespaces=NS) == "attachment"]
    local = [a for a in attachments
             if a.findtext("wp:attachment_url", namespaces=NS).startswith(base)]
    assert len(local) == summary["archived_images"]
    bodies = {i.findtext("wp:post_id", namespaces=NS): i.findtext("content:encoded",
                                                                   namespaces=NS)
              for i in items if i.findtext("wp:post_type", namespaces=NS) == "post"}
    conn = captures_db(sites["db"])
    archived = {}
    for (url, capture) in conn.execute("SELECT url, capture FROM media WHERE status = 'stored'"):
        archived[url] = captures.read_payload(conn, captures.captures_dir(sites["db"]),
                                              capture).decoded_body()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for attachment in local:
            parent = attachment.findtext("wp:post_parent", namespaces=NS)
            assert kind[parent] == "post"
            url = attachment.findtext("wp:attachment_url", namespaces=NS)
            original = attachment.findtext("title")
            _, body = fetch(url)
            assert body in archived.values()
            assert any(u.endswith("/" + original) and archived[u] == body for u in archived)
            assert "wixstatic.com/media/" + original not in bodies[parent]
        # Bodies name the same URLs as the attachments, so the importer re-points them at its
        # own copies.
        assert sum(a.findtext("wp:attachment_url", namespaces=NS) in bodies[
            a.findtext("wp:post_parent", namespaces=NS)] for a in local) > 0
    finally:
        server.shutdown()
        server.server_close()




@pytest.mark.skipif(pywb_bin() is None, reason=MISSING)
def test_real_wix_pages_imported_then_exported_replay_as_served(tmp_path: Path):
    """The real Wix post pages of ../shared/realworld, served on 127.0.0.1 and captured by
    wget, imported, then exported as a WACZ: py-wacz validates it, it lists every post, and pywb
    replays each page byte for byte as it was served."""
    import shutil

    from tests.webarchives import REALWORLD, realworld_pages, serve_pages, wget_urls

    # At /<host>/post/<slug>, the HTML as served.
    pages = {"/" + name.replace("__", "/post/", 1): html
             for name, (html, _) in realworld_pages().items()}
    if not pages:
        pytest.skip(f"real-world corpus not found at {REALWORLD}")
    if shutil.which("wget") is None:
        pytest.skip("wget is not installed (.ci/run installs it)")
    with serve_pages(pages) as base:
        wget_urls([base + path for path in pages], tmp_path / "real", tmp_path / "mirror")
    db = tmp_path / "real.db"
    result = wixarchive("import", str(tmp_path / "real.warc.gz"), "--db", str(db))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "real.wacz"
    result = wixarchive("export", "--format", "wacz", "--db", str(db), str(out), "--json")
    assert result.returncode == 0, result.stderr
    posts = json.loads(result.stdout)["posts"]
    assert posts >= len(pages) - 1  # the corpus's one page that is not a post, if any
    validate = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert validate.returncode == 0, validate.stdout
    with zipfile.ZipFile(out) as zipped:
        listed = [json.loads(line) for line in zipped.read("pages/pages.jsonl").splitlines()[1:]]
    assert len(listed) == posts
    with wayback(tmp_path / "pywb", waczs=[out]) as replay:
        for page in listed:
            stamp = "".join(ch for ch in page["ts"] if ch.isdigit())[:14]
            _, body = fetch(f"{replay}{stamp}id_/{page['url']}")
            assert body == pages[page["url"][len(base):]], page["url"]


def test_the_python_api_exports_the_same_package(sites: dict, package: Path, tmp_path: Path):
    import wixarchive
    from archive.store import Archive

    out = tmp_path / "api.wacz"
    with Archive.open(sites["db"], readonly=True) as archive:
        assert wixarchive.export(archive, out, format="wacz", site=sites["one"]) == 14
    with zipfile.ZipFile(out) as ours, zipfile.ZipFile(package) as cli:
        for name in ("archive/data.warc.gz", "indexes/index.cdx.gz", "pages/pages.jsonl"):
            assert ours.read(name) == cli.read(name)
    with Archive.open(tmp_path / "empty.db") as archive, pytest.raises(ValueError):
        wixarchive.export(archive, tmp_path / "none.wacz", format="wacz")
    assert not (tmp_path / "none.wacz").exists()


def test_each_member_starts_where_the_central_directory_says(package: Path):
    """ReplayWeb.page (wabac) takes a member's data to follow its local header's name directly
    when the central directory entry has no extra field; a zip64 field in the local header
    alone made it read the index 20 bytes early, and it found no page."""
    import struct

    data = package.read_bytes()
    with zipfile.ZipFile(package) as zipped:
        for info in zipped.infolist():
            start = info.header_offset
            name_length, extra_length = struct.unpack("<HH", data[start + 26:start + 30])
            if not info.extra:
                assert extra_length == 0, info.filename
            body = start + 30 + name_length + extra_length
            assert data[body:body + info.compress_size] == zipped.read(info.filename) \
                or info.compress_type != zipfile.ZIP_STORED, info.filename


def test_a_wacz_beside_a_crawl_says_which_posts_are_not_indexed_yet(tmp_path: Path):
    """A post a running crawl has just stored names a capture it indexes a moment later. A
    WACZ export taken meanwhile left the post out saying it had `no capture (archived with
    --no-capture or before captures existed ...); capture them with: wixarchive crawl URL
    --refetch`, advice that refetched a whole site for nothing. Here the real capture writer
    is held open with a new post's record unindexed, as a running crawl leaves it."""
    from archive.store import Archive
    from crawler.extract.api import extract_article

    blog = SampleBlog(seed=41, post_count=3)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        crawl(server.url, db, server.url)
        added = blog.add_post(paragraphs=["Published, and fetched by the crawl running now."])
        page = f"{server.url}/post/{added.slug}"
        with urllib.request.urlopen(page, timeout=30) as response:
            body, headers = response.read(), list(response.headers.items())
    writer = captures.CaptureWriter(captures.captures_dir(db))
    try:
        row = writer.write(captures.Exchange(page, "GET", [("Accept", "*/*")], 200, headers,
                                             body, captures.new_record_id()))
        with Archive.open(db) as archive:
            assert archive.save_article(extract_article(body, page),
                                        capture=row.record_id) == "new"
        quiet = wixarchive("export", "--format", "wacz", "--db", str(db),
                           str(tmp_path / "quiet.wacz"))
        as_json = wixarchive("export", "--format", "wacz", "--db", str(db),
                             str(tmp_path / "json.wacz"), "--json")
    finally:
        writer.close()
    assert quiet.returncode == 0, quiet.stderr
    assert "Note: 1 post left out: their captures are not indexed yet" in quiet.stderr
    assert "--refetch" not in quiet.stderr
    summary = json.loads(as_json.stdout)
    assert (summary["posts"], summary["posts_without_capture"],
            summary["posts_not_indexed_yet"]) == (3, 0, 1)
