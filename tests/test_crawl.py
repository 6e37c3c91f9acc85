"""End to end: real Scrapy crawls the generated Wix-style blog over 127.0.0.1 into a real
SQLite archive. Each crawl runs in its own process, as `wixarchive crawl` does."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from tests.processes import serve_http

CHROME = [
    "top of page", "bottom of page", "Recent Posts", "See All", "Post not marked as liked",
    "Log in / Sign up", "Write a comment", "0 comments", "Share via", "Proudly created with Wix",
    "Use tab to navigate", "More actions",
]


def run_crawl(*args: str, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", *args,
               "--delay", "0", "--no-autothrottle"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def summary_of(result: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(result.stdout)


def fetched_posts(server) -> list[str]:
    return [path for path in server.request_log if path.startswith("/post/")]


def test_crawl_archives_every_post_without_chrome_then_recrawls_only_changes(tmp_path: Path):
    blog = SampleBlog(seed=3, post_count=24)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        result = run_crawl(server.url, "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        first = summary_of(result)
        assert first["status"] == "ok"
        assert first["counts"]["new"] == 24
        assert "unknown_layout" not in first["counts"]  # every sample layout is a known one
        assert "Traceback" not in result.stderr

        with Archive.open(db, readonly=True) as archive:
            (run,) = archive.runs()
            assert run["status"] == "ok" and run["finished_at"]
            assert run["counts"]["new"] == 24 and run["counts"]["pages"] >= 24
            for post in blog.posts:
                expected = post.expected()
                stored = archive.post(server.url + post.url_path)
                assert stored is not None, post.url_path
                assert stored["title"] == expected["title"]
                assert stored["author"] == expected["author"]
                assert stored["published"] == expected["published"]
                assert stored["reading_minutes"] == expected["reading_minutes"]
                assert stored["body"] == expected["body_text"]
                for chrome in CHROME:
                    assert chrome not in stored["body"], (post.url_path, chrome)
                    assert chrome not in stored["body_html"], (post.url_path, chrome)

        # Between runs: two posts edited (an element-built one down to three words), one
        # added, one deleted.
        edited = [blog.posts[3].slug, blog.posts[10].slug]
        assert blog.posts[3].layout == "elements"
        blog.edit_post(edited[0], paragraphs=["Back next week"])
        blog.edit_post(edited[1], paragraphs=["A rewritten paragraph about quiet gardens."])
        added = blog.add_post(title="A brand new post")
        unknown = blog.add_post(title="A post in a layout nobody knows", layout="unknown")
        removed = blog.posts[-1].slug
        blog.delete_post(removed)
        server.request_log.clear()

        result = run_crawl(server.url, "--db", str(db))
        assert result.returncode == 0, result.stderr
        # The summary line names the deletion, as `wixarchive runs` does (DEL 1). Never an empty
        # post in silence: the post in an unknown layout is archived with a generic body and
        # counted, so a new Wix layout shows up in the summary at once.
        assert (f"✓ {server.url}/: 25 posts: 2 new, 2 changed, 21 unchanged, 1 deleted; "
                "1 in an unknown page layout") in result.stdout, result.stdout
        # The archive as the user gave it, not relative to where the command ran.
        assert f"Archive: {db}\n" in result.stdout
        with Archive.open(db, readonly=True) as archive:
            second = archive.runs()[0]["counts"]
        assert (second["new"], second["changed"], second["deleted"]) == (2, 2, 1)
        assert second["unknown_layout"] == 1
        # The deleted post, gone from the sitemap, is asked for once more: only its 404 marks
        # it deleted (a post the sitemap leaves out may still be there).
        refetched = sorted(fetched_posts(server))
        assert refetched == sorted([f"/post/{s}" for s in edited]
                                   + [added.url_path, unknown.url_path, f"/post/{removed}"])

    with Archive.open(db, readonly=True) as archive:
        stored = archive.post(server.url + unknown.url_path)
        first_paragraph = next(b.text for b in unknown.blocks if b.kind == "paragraph")
        assert stored is not None and stored["body"].startswith(first_paragraph)
        assert len(archive.versions(server.url + f"/post/{edited[0]}")) == 2
        short = archive.post(server.url + f"/post/{edited[0]}")
        assert short is not None and short["body"] == "Back next week"  # not related posts
        gone = archive.post(server.url + f"/post/{removed}")
        assert gone is not None and gone["deleted_at"]  # kept, only marked


def test_a_lastmod_gone_back_is_fetched_and_refetch_distrusts_the_sites_dates(tmp_path: Path):
    """A blog restored from a backup: its sitemap lastmod goes back in time and the post's text
    changed. A re-crawl fetches it (only an equal lastmod is skipped) and archives the new text.
    A post whose lastmod, ETag and Last-Modified all stay while its text changes is skipped, until
    `--refetch` fetches every post in full, without a conditional request."""
    blog = SampleBlog(seed=3, post_count=6)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert run_crawl(server.url, "--db", str(db), "--no-media").returncode == 0
        restored, lying = blog.posts[1], blog.posts[4]
        archived_lastmod = restored.modified
        blog.edit_post(restored.slug, paragraphs=["Restored from last year's backup."],
                       modified=archived_lastmod - timedelta(days=3))
        etag, modified = lying.etag, lying.modified
        blog.edit_post(lying.slug, paragraphs=["Rewritten, with the old dates kept."],
                       modified=modified)
        lying.revision -= 1  # the ETag of the archived copy: a conditional GET would get a 304
        assert lying.etag == etag
        server.request_log.clear()

        again = run_crawl(server.url, "--db", str(db), "--no-media")
        assert again.returncode == 0, again.stderr
        assert "6 posts: 0 new, 1 changed, 5 unchanged" in again.stdout, again.stdout
        assert fetched_posts(server) == [restored.url_path]
        server.request_log.clear()

        full = run_crawl(server.url, "--db", str(db), "--no-media", "--refetch")
        assert full.returncode == 0, full.stderr
        assert "6 posts: 0 new, 1 changed, 5 unchanged" in full.stdout, full.stdout
        assert sorted(fetched_posts(server)) == sorted(p.url_path for p in blog.posts)
    with Archive.open(db, readonly=True) as archive:
        for post, text in ((restored, "Restored from last year's backup."),
                           (lying, "Rewritten, with the old dates kept.")):
            assert len(archive.versions(server.url + post.url_path)) == 2
            assert archive.post(server.url + post.url_path)["body"] == text


def test_a_recrawl_records_that_the_posts_it_found_unchanged_were_seen(tmp_path: Path):
    """A re-crawl of a blog where nothing changed says `4 posts: … 4 unchanged` from its
    sitemap's lastmods, fetching no post; each post's `last_seen` ("when a crawl last fetched
    it or found it unchanged", docs/fields.md) stayed at the first crawl's time for ever, so an
    archive could not tell a post seen yesterday from one gone since the first crawl."""
    blog = SampleBlog(seed=3, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        assert run_crawl(server.url, "--db", str(db), "--no-media").returncode == 0
        with sqlite3.connect(db) as conn:  # that crawl was a month ago
            conn.execute("UPDATE posts SET last_seen = '2026-11-06T10:00:00+00:00'")
        server.request_log.clear()
        again = run_crawl(server.url, "--db", str(db), "--no-media", "--json")
        assert summary_of(again)["counts"]["unchanged"] == 4 and not fetched_posts(server)
    with Archive.open(db, readonly=True) as archive:
        started = archive.runs()[0]["started_at"]
        assert [archive.post(server.url + post.url_path)["last_seen"] >= started
                for post in blog.posts] == [True] * 4


def test_refetch_goes_through_redis(tmp_path: Path):
    """`crawl --refetch --redis` was refused; it now crawls through Redis (what it fetches there:
    tests/test_crawl_redis.py), here one that cannot be reached."""
    result = run_crawl("https://a.example/", "--db", str(tmp_path / "a.db"), "--refetch",
                       "--redis", "redis://127.0.0.1:1/0")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: cannot reach Redis at redis://127.0.0.1:1/0: "), \
        result.stderr


def test_the_summary_line_says_how_many_media_a_run_archived(tmp_path: Path):
    """A re-crawl asked for the videos it had only recorded fetches them: its line says so,
    as it says the downloads that failed; a run that archived none says nothing of media."""
    blog = SampleBlog(seed=8, post_count=10, attachments=True)
    videos = {video for post in blog.posts for video in post.videos}
    assert videos
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        first = run_crawl(server.url, "--db", str(db), "--no-media")
        assert first.returncode == 0, first.stderr
        assert f"✓ {server.url}/: 10 posts: 10 new, 0 changed, 0 unchanged (" in first.stdout
        again = run_crawl(server.url, "--db", str(db), "--media-kinds", "video",
                          env={"WIXARCHIVE_VIDEO_BASE": f"{server.url}/"})
    assert again.returncode == 0, again.stderr
    assert (f"✓ {server.url}/: 10 posts: 0 new, 0 changed, 10 unchanged; {len(videos)} media "
            "archived (") in again.stdout, again.stdout


@pytest.fixture
def plain_site(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<html><body><h1>Bakery</h1><p>Fresh bread.</p>"
                                     "<a href='/menu.html'>Menu</a></body></html>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(root))  # noqa: E731
    with serve_http(handler) as url:
        yield url + "/"


def test_first_crawl_of_sites_that_fail_is_recorded_and_bad_lines_are_named(
        plain_site: str, tmp_path: Path):
    """An unreachable site and a site that is no Wix blog, in a sites file with a second
    listing of one of them and a line that is no URL: each failure is one clear line, the
    archive is created with both failed runs (`runs` says why), and the two input mistakes are
    named by their lines without counting as sites."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = f"http://127.0.0.1:{port}/"
    sites = tmp_path / "sites.txt"
    # Line 3 has a comment after its URL; line 7 is docs/crawling.md's mistyped scheme, which
    # parses as the host `htp` (no site anyone means: never crawled, nor recorded as a run).
    sites.write_text(f"# my blogs\n{unreachable}\n{plain_site}   # the bakery\n\n"
                     f"{plain_site}post/bread\nnot a url\nhtp//127.0.0.6:{port}\n")
    db = tmp_path / "archive.db"
    result = run_crawl("--sites", str(sites), "--db", str(db))
    assert result.returncode == 1  # failed sites, and a line that is no site
    assert "Traceback" not in result.stderr
    # Every site's line on stdout (a log of it keeps the failed ones), the lines that are no
    # site URL on stderr, and one line there naming the sites that failed.
    assert f"could not reach {unreachable}" in result.stdout
    assert f"no Wix blog posts found at {plain_site}" in result.stdout
    assert "Error: 2 sites failed: " in result.stderr
    assert f"✗ {sites} line 6: not a site URL: 'not a url'" in result.stderr
    assert f"✗ {sites} line 7: not a site URL: 'htp//127.0.0.6:{port}'" in result.stderr
    assert (f"- {plain_site}: listed twice, as {plain_site} ({sites} line 3) and as "
            f"{plain_site}post/bread ({sites} line 5): crawled once") in result.stdout
    total = next(line for line in result.stdout.splitlines() if line.startswith("Total:"))
    assert total.startswith("Total: 2 sites (2 failed), 0 posts")
    assert total.endswith("; 2 lines not a site URL")

    runs = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--db", str(db),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert runs.returncode == 0, runs.stderr
    first_errors = {run["site"]: run["first_error"] for run in json.loads(runs.stdout)}
    assert first_errors.keys() == {unreachable, plain_site}
    assert first_errors[unreachable].startswith(f"could not reach {unreachable}")
    assert first_errors[plain_site].startswith(f"no Wix blog posts found at {plain_site}")
    # --json: each record names its line of the file, crawled or not (only the refused ones
    # did): a study's list of 40 blogs maps every record back to the line it came from.
    again = run_crawl("--sites", str(sites), "--db", str(db), "--json")
    records = json.loads(again.stdout)
    assert [(r["status"], r["url"], r.get("line")) for r in records] == [
        ("failed", unreachable, 2), ("failed", plain_site, 3),
        ("skipped", f"{plain_site}post/bread", 5), ("invalid", "not a url", 6),
        ("invalid", f"htp//127.0.0.6:{port}", 7)]


def test_a_crawl_from_a_folder_holding_a_stray_module_imports_the_real_one(tmp_path: Path):
    """Run from a folder holding an `attrs.py`, the crawl died in Twisted's imports: its child
    (`python -m crawler.run`) had the current folder first on its import path. The command is
    started as the installed `wixarchive` script is, which never has that folder on its path."""
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "attrs.py").write_text('raise ImportError("the stray attrs.py was imported")\n')
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=5, post_count=3)) as server:
        result = subprocess.run(
            [sys.executable, "-P", "-m", "archive.cli", "crawl", server.url, "--db", str(db),
             "--json", "--delay", "0", "--no-autothrottle", "--no-capture"],
            capture_output=True, text=True, timeout=300, cwd=folder)
    assert "stray attrs.py" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert summary_of(result)["counts"]["new"] == 3


def python_without_this_project(folder: Path) -> Path:
    """A virtualenv's python that has this interpreter's dependencies (Scrapy...) but not this
    project, not even the editable install a development venv has: as for a user who installed
    the requirements and runs a checkout. A .pth file names the site-packages folders, whose
    own .pth files (the editable install's) are not read from there."""
    import site

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    (own,) = folder.glob("lib/python*/site-packages")
    (own / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return folder / "bin" / "python"


def test_a_checkout_run_with_python_m_from_its_folder_crawls(tmp_path: Path):
    """`python -m archive.cli crawl URL` run in a checkout that is not pip-installed, with no
    PYTHONPATH: the parent imports the packages from the current folder, but the crawler
    child runs `python -P -m crawler.run` (no current folder on its path, against stray
    modules) and died with "No module named crawler"; now it is given the folder its parent
    imported the packages from."""
    checkout = tmp_path / "checkout"
    repo = Path(__file__).resolve().parent.parent
    for package in ("archive", "crawler"):
        shutil.copytree(repo / package, checkout / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    python = python_without_this_project(tmp_path / "venv")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=6, post_count=3)) as server:
        result = subprocess.run(
            [str(python), "-m", "archive.cli", "crawl", server.url, "--db", str(db), "--json",
             "--delay", "0", "--no-autothrottle", "--no-capture"],
            capture_output=True, text=True, timeout=300, cwd=checkout, env=env)
    assert "No module named" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr
    assert summary_of(result)["counts"]["new"] == 3
