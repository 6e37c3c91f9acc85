"""Crawls that meet trouble: server errors, timeouts, redirect loops, robots.txt, several
sites at once, and a crawl stopped half way (Ctrl-C or kill) then resumed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site import hostile as h
from crawler.sample_site.export import image_urls
from crawler.sample_site.server import Gate, Response
from tests.processes import (
    Output,
    crawler_command,
    run_crawl,
    running,
    wait_until,
    write_lock,
)

FAST = ["--delay", "0", "--no-autothrottle"]


def crawl(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "archive.cli", "crawl", *args, *FAST]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_errors_timeouts_loops_and_robots_spare_the_other_posts(tmp_path: Path):
    blog = SampleBlog(seed=11, post_count=12)
    broken, slow, looping, private = (p.url_path for p in blog.posts[2:6])
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.fail_paths.add(broken)
        server.slow_paths[slow] = 3.0
        server.redirect_loop_paths.add(looping)
        server.robots_disallow.append(private)
        result = crawl(server.url, "--db", str(db), "--timeout", "1", "--json")
        log = list(server.request_log)

    assert result.returncode == 0, result.stderr  # a partial crawl still archived posts
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "partial"
    assert summary["counts"]["new"] == 8
    assert 2 <= log.count(broken) <= 4  # retried, at most three times
    assert not any(path.startswith(private) for path in log)  # robots.txt obeyed
    assert sum(path.startswith(looping) for path in log) <= 6  # the redirect chain is bounded
    failed = " ".join(summary["errors"])
    assert broken in failed and slow in failed and looping in failed
    with Archive.open(db, readonly=True) as archive:
        known = archive.known_posts(server.url)
        assert len(known) == 8
        assert not any(url.endswith((broken, slow, looping, private)) for url in known)
        (run,) = archive.runs()
        assert run["status"] == "partial"


def test_many_sites_one_failing_does_not_stop_the_others(tmp_path: Path):
    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.txt"
    with serve_blog(SampleBlog(seed=1, post_count=3)) as one, \
            serve_blog(SampleBlog(seed=2, post_count=4)) as two:
        sites.write_text(f"# my sites\n{two.url}\n")
        result = crawl("http://127.0.0.1:9/", one.url, "--sites", str(sites),
                       "--db", str(db), "--json")
    assert result.returncode == 1  # one site failed
    summaries = json.loads(result.stdout)
    # On failure, the summaries (their errors) say which request failed and why.
    assert [s["status"] for s in summaries] == ["failed", "ok", "ok"], summaries
    assert [s["counts"].get("new", 0) for s in summaries] == [0, 3, 4], summaries


def _stored_posts(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with Archive.open(db, readonly=True) as archive:
            return sum(row["posts"] for row in archive.stats())
    except Exception:  # the file is being created
        return 0


def _interrupted_then_resumed(tmp_path: Path, sig: signal.Signals) -> None:
    # The server answers the first 10 posts, then holds every post request until the test has
    # sent its signal: the crawl is stopped mid-way by construction, however loaded the machine.
    total, before = 60, 10
    blog = SampleBlog(seed=5, post_count=total)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        gate = server.gate = Gate("/post/", allow=before)
        command = [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db", str(db),
                   "--json", "--concurrency", "1", *FAST]
        # A session of its own, like a terminal's foreground job: Ctrl-C reaches the command's
        # process group, as a terminal sends it.
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            stdout, stderr = Output(proc.stdout), Output(proc.stderr)
            # The crawler waits on post 11 and its worker has committed the first 10 (it
            # commits once idle): what a stop must keep.
            wait_until(lambda: gate.held, "a post request held by the server", proc)
            wait_until(lambda: _stored_posts(db) >= before, f"{before} posts stored", proc)
            if sig == signal.SIGKILL:
                # The crawler runs in a session of its own (see archive.crawls): kill it too.
                children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
                for pid in children:
                    os.killpg(int(pid), sig)
            os.killpg(proc.pid, sig)
            if sig == signal.SIGINT:
                # The command says so once the crawler has the signal: only then may the held
                # page be answered (a graceful stop finishes the pages under way). More pages
                # than a stop drains: Scrapy still downloads the requests already handed to
                # its downloader (up to CONCURRENT_REQUESTS, 16) before it closes.
                wait_until(lambda: "Stopping:" in stderr, "the stop message", proc)
            gate.release()
            proc.wait(timeout=120)
            out, err = stdout.finish(), stderr.finish()
        finally:
            gate.release()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert "Traceback" not in err
        if sig == signal.SIGINT:
            assert proc.returncode == 130, err
            assert json.loads(out)["status"] == "interrupted"

        with Archive.open(db, readonly=True) as archive:
            assert archive.check() == []  # consistent after the interruption
            stored = len(archive.known_posts(server.url))
        assert before <= stored < total  # nothing committed was lost

        server.gate = None
        server.request_log.clear()
        result = crawl(server.url, "--db", str(db), "--json")
        assert result.returncode == 0, result.stderr
        resumed = json.loads(result.stdout)
        fetched = [p for p in server.request_log if p.startswith("/post/")]

    assert resumed["counts"]["new"] == total - stored
    assert len(fetched) == len(set(fetched)) == total - stored  # nothing fetched twice
    with Archive.open(db, readonly=True) as archive:
        assert archive.check() == []
        known = archive.known_posts(server.url)
        assert len(known) == total
        for url in known:
            assert len(archive.versions(url)) == 1  # nothing duplicated


def test_ctrl_c_stops_cleanly_and_the_next_run_carries_on(tmp_path: Path):
    _interrupted_then_resumed(tmp_path, signal.SIGINT)


def test_killed_crawl_leaves_a_consistent_archive_and_resumes(tmp_path: Path):
    _interrupted_then_resumed(tmp_path, signal.SIGKILL)


@pytest.mark.parametrize(("prefix", "sitemap"), [
    ("post", False), ("articles", True), ("articles", False)])
def test_every_post_is_found_with_or_without_a_sitemap_whatever_its_url_prefix(
        tmp_path: Path, prefix: str, sitemap: bool):
    """Without a sitemap, the feed and the listing pages find every post (more than the
    feed's 20, over several listing pages). Wix lets a blog's owner replace "post" in its
    posts' URLs (SEO settings): the posts sitemap, the feed and the listing pages' post cards
    still find every one."""
    blog = SampleBlog(seed=8, post_count=35, post_prefix=prefix)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        if not sitemap:
            server.fail_paths.add("/sitemap.xml")
        result = crawl(server.url, "--db", str(db), "--json")
        fetched = [p for p in server.request_log if p.startswith(f"/{prefix}/")]
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["new"] == 35
    assert len(fetched) == len(set(fetched)) == 35
    assert any(p.startswith("/blog/page/") for p in server.request_log) is not sitemap
    with Archive.open(db, readonly=True) as archive:
        assert sorted(archive.known_posts(server.url)) == sorted(
            server.url + post.url_path for post in blog.posts)


def test_a_site_that_redirects_to_another_host_is_crawled_there(tmp_path: Path):
    """example.com answers every request with a redirect to www.example.com (or an old domain
    to the new one): the crawl of the address asked for archives the posts where they are,
    under the site asked for, and a re-crawl fetches none of them again."""
    blog = SampleBlog(seed=5, post_count=15)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as alias:
        alias.moved_to = server.url
        first = crawl(alias.url, "--db", str(db), "--json")
        second = crawl(alias.url, "--db", str(db), "--json")
        fetched = [p for p in server.request_log if p.startswith("/post/")]
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["counts"]["new"] == 15
    again = json.loads(second.stdout)["counts"]
    assert (again["new"], again["changed"], again["deleted"]) == (0, 0, 0)
    assert len(fetched) == len(set(fetched)) == 15  # the re-crawl fetched no post again
    with Archive.open(db, readonly=True) as archive:
        assert sorted(archive.known_posts(alias.url)) == sorted(
            server.url + post.url_path for post in blog.posts)
        assert [row["url"] for row in archive.conn.execute("SELECT url FROM sites")] == [
            alias.url + "/"]


def test_a_site_archived_before_it_moved_keeps_its_posts_at_their_new_urls(tmp_path: Path):
    """A blog archived at its old domain, which then redirects to a new one. The re-crawl said
    `8 posts: 8 new`, not a word of the move: every post archived a second time under its new
    URL (search found each twice, stats counted 16 posts), the edited one with no link to its
    earlier version; every later crawl asked each old address again and counted its post twice
    (`16 posts: … 16 unchanged`); a post deleted after the move was never marked deleted. Now
    the move is said, each archived post takes its new URL with its versions (found by the old
    URL too), the old addresses are not asked again, and the deleted post is marked."""
    blog = SampleBlog(seed=6, post_count=8)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        before = crawl(old_home.url, "--db", str(db), "--json", "--no-media")
        old_home.moved_to = new_home.url
        edited = blog.edit_post(blog.posts[0].slug, paragraphs=["Written after the move."])
        gone = blog.delete_post(blog.posts[3].slug)
        moved = crawl(old_home.url, "--db", str(db), "--json", "--no-media")
        old_home.request_log.clear()
        new_home.request_log.clear()
        again = crawl(old_home.url, "--db", str(db), "--json", "--no-media")
        asked = [p for p in old_home.request_log + new_home.request_log if "/post/" in p]
    assert json.loads(before.stdout)["counts"]["new"] == 8, before.stderr
    summary, later = json.loads(moved.stdout), json.loads(again.stdout)
    old_root, new_root = old_home.url + "/", new_home.url + "/"
    assert summary["moved_to"] == later["moved_to"] == new_root
    assert summary["message"] == (
        f"7 posts: 0 new, 1 changed, 6 unchanged, 1 deleted; moved: its address now redirects "
        f"to {new_root}, where it was crawled (name {new_root} from now on: it continues this "
        f"site); 7 posts archived before at {old_root} now "
        "archived at their new URLs, their versions kept"), summary["message"]
    assert later["message"] == (f"7 posts: 0 new, 0 changed, 7 unchanged; moved: its address "
                                f"now redirects to {new_root}, where it was crawled (name "
                                f"{new_root} from now on: it continues this site)")
    assert asked == []
    with Archive.open(db, readonly=True) as archive:
        assert [(row["posts"], row["deleted"]) for row in archive.stats()] == [(8, 1)]
        post = archive.post(old_root + edited.url_path.lstrip("/"))
        assert (post["url"], post["version"]) == (new_root + edited.url_path.lstrip("/"), 2)
        assert archive.post(old_home.url + gone.url_path)["deleted_at"] is not None


def test_translations_listed_as_sitemap_alternates_are_archived(tmp_path: Path):
    """A multilingual site lists a post's other languages only as <xhtml:link> alternates of
    its sitemap entry: each is archived as a post of its own, and a re-crawl keeps them."""
    blog = SampleBlog(seed=12, post_count=8)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        sitemap = server.respond("/blog-posts-sitemap.xml").body.decode()
        sitemap = sitemap.replace("<urlset ", '<urlset xmlns:xhtml="http://www.w3.org/1999/xhtml" ')
        sitemap = re.sub(r"<loc>(http[^<]*/post/[^<]*)</loc>",
                         r'<loc>\1</loc><xhtml:link rel="alternate" hreflang="es" '
                         r'href="\1?lang=es"/>', sitemap)
        server.overrides["/blog-posts-sitemap.xml"] = Response(
            200, sitemap.encode(), {"Content-Type": "application/xml"})
        first = crawl(server.url, "--db", str(db), "--json")
        second = crawl(server.url, "--db", str(db), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["counts"]["new"] == 16
    assert json.loads(second.stdout)["counts"]["deleted"] == 0
    with Archive.open(db, readonly=True) as archive:
        assert sorted(archive.known_posts(server.url)) == sorted(
            server.url + post.url_path + lang for post in blog.posts for lang in ("", "?lang=es"))


def test_language_indexes_are_followed_and_translations_on_other_hosts_named(tmp_path: Path):
    """A multilingual Wix site: its index lists each language's own index (/fr/sitemap.xml, an
    index of /fr/blog-posts-sitemap.xml), whose posts are archived; the posts sitemap lists
    translations on a language subdomain (another host, with its own sitemaps): not crawled,
    and the summary says so, in its message and its JSON."""
    blog = SampleBlog(seed=13, post_count=6)
    db = tmp_path / "archive.db"
    xml = {"Content-Type": "application/xml"}
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as subdomain:
        index = server.respond("/sitemap.xml").body.decode().replace(
            "</sitemapindex>", f"<sitemap><loc>{server.url}/fr/sitemap.xml</loc></sitemap>"
                               "</sitemapindex>")
        server.overrides["/sitemap.xml"] = Response(200, index.encode(), xml)
        server.overrides["/fr/sitemap.xml"] = Response(200, (
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>'
            f"<loc>{server.url}/fr/blog-posts-sitemap.xml</loc></sitemap></sitemapindex>"
        ).encode(), xml)
        french = [server.url + post.url_path + "?lang=fr" for post in blog.posts[:3]]
        server.overrides["/fr/blog-posts-sitemap.xml"] = Response(200, (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{url}</loc></url>" for url in french) + "</urlset>"
        ).encode(), xml)
        sitemap = server.respond("/blog-posts-sitemap.xml").body.decode()
        sitemap = sitemap.replace("<urlset ", '<urlset xmlns:xhtml="http://www.w3.org/1999/xhtml" ')
        sitemap = re.sub(r"<loc>http[^<]*?(/post/[^<]*)</loc>",
                         lambda m: f'{m.group()}<xhtml:link rel="alternate" hreflang="de" '
                                   f'href="{subdomain.url}{m.group(1)}"/>', sitemap)
        server.overrides["/blog-posts-sitemap.xml"] = Response(200, sitemap.encode(), xml)
        result = crawl(server.url, "--db", str(db), "--json")
        text = crawl(server.url, "--db", str(db))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "ok", summary
    assert summary["counts"]["new"] == 6 + 3
    assert summary["translation_sites"] == {subdomain.url + "/": 6}
    host = subdomain.url.split("://")[1]
    assert (f"6 translations on other hosts not crawled ({host}): crawl them as sites of "
            "their own") in summary["message"]
    assert f"({host}): crawl them as sites of their own" in text.stdout
    assert not subdomain.request_log  # another host is never crawled uninvited
    with Archive.open(db, readonly=True) as archive:
        assert set(french) <= set(archive.known_posts(server.url))


def test_a_corrupt_archive_is_refused_before_crawling_and_left_untouched(tmp_path: Path):
    db = tmp_path / "archive.db"
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # a damaged SQLite header
    before = db.read_bytes()
    result = crawl("http://127.0.0.1:9/", "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and "Traceback" not in result.stderr
    assert db.read_bytes() == before


def test_a_stop_while_a_site_is_closing_lets_it_close(tmp_path: Path):
    """Ctrl-C or SIGTERM as a finished site is closing (its pipeline committing the last pages,
    here an extension taking 3 s): the site's close runs to its end, with its run and summary
    recorded. Scrapy's stop returns once a closing site's downloads are done, and the crawl
    process stopped its reactor mid-close (and, as it happened, before the site's summary: a
    traceback, and a run left `running`)."""
    blog = SampleBlog(seed=12, post_count=12)
    db, marker = tmp_path / "archive.db", tmp_path / "closing"
    extensions = {"crawler.extensions.progress.CrawlProgress": 500,
                  "tests.slow_close.SlowClose": 600}
    with serve_blog(blog) as server, running(crawler_command(
            server.url, db, f"EXTENSIONS={json.dumps(extensions)}",
            f"SLOW_CLOSE_MARKER={marker}")) as (proc, stdout, stderr):
        wait_until(marker.exists, "the site closing", proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    out, err = stdout.finish(), stderr.finish()
    assert "Traceback" not in err, err
    assert marker.read_text() == "finished done"  # the close ran to its end
    summary = json.loads(out)
    assert summary["status"] == "ok" and summary["counts"]["new"] == 12, summary
    with Archive.open(db, readonly=True) as archive:
        assert [run["status"] for run in archive.runs(10)] == ["ok"]
        assert len(archive.known_posts(server.url)) == 12


def test_an_archive_kept_busy_at_a_crawls_end_is_said_and_the_next_crawl_completes(
        tmp_path: Path):
    """Another writer holds the archive past the busy timeout (2 s here) while the crawl stores
    its images and records its run: the crawl stops and says so, with no traceback (Scrapy
    printed one for the run record and the summary said the crawl had been stopped), keeps what
    it could write, and the next crawl completes the rest."""
    blog = SampleBlog(seed=13, post_count=12)
    db = tmp_path / "archive.db"
    images = set(image_urls(blog))
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "2000"}
    with serve_blog(blog) as server, serve_blog(blog, host="127.0.0.2") as media:
        media.gate = Gate("/media/")  # every image waits for the test
        command = crawler_command(server.url, db, f"WIXARCHIVE_MEDIA_BASE={media.url}/media/")
        with running(command, env=env) as (proc, stdout, stderr):
            wait_until(lambda: media.gate.held, "the images requested", proc)
            with write_lock(db):
                media.gate.release()
                wait_until(lambda: proc.poll() is not None, "the crawl's end")
        out, err = stdout.finish(), stderr.finish()
        assert "Traceback" not in err, err
        first = json.loads(out)
        # The images' batch waited the busy timeout in vain: the crawl stops there (every
        # later page would wait as long), interrupted, and the next crawl does the rest.
        assert first["status"] == "interrupted" and first["archive_busy"], first
        assert first["counts"]["new"] == 12
        assert any(e.startswith("this run not recorded in the archive: the archive is busy")
                   for e in first["errors"]), first["errors"]

        second = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["status"] == "ok" and summary["counts"]["unchanged"] == 12
    with Archive.open(db, readonly=True) as archive:
        assert len(archive.known_posts(server.url)) == 12
        stored = archive.conn.execute("SELECT url FROM media WHERE status = 'stored'")
        assert {row[0] for row in stored} == images
        assert [run["status"] for run in archive.runs(10)] == ["ok", "interrupted"]
        assert archive.check() == []


def test_a_site_waiting_to_start_its_run_in_a_busy_archive_keeps_fetching(tmp_path: Path):
    """A site's first page opens the archive and starts its run, which waits for the write lock
    while another writer (the archive worker's batch, another crawl) holds it. That wait ran in
    the crawl's event loop, so every download of every site stopped until the lock came free
    (a 6 s stall with 20 sites at once). Here the test holds the lock from the start: the crawl
    fetches every post meanwhile, then archives them all once the lock is free."""
    blog = SampleBlog(seed=15, post_count=40)
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "120000"}
    posts = {post.url_path for post in blog.posts}
    with serve_blog(blog) as server, write_lock(db) as release:
        with running(crawler_command(server.url, db, "WIXARCHIVE_MEDIA=false"),
                     env=env) as (proc, stdout, stderr):
            wait_until(lambda: posts <= set(server.request_log),
                       "every post fetched while the archive is busy", proc, limit=30)
            release()
            proc.wait(timeout=120)
        out, err = stdout.finish(), stderr.finish()
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "ok" and summary["counts"]["new"] == 40, summary
    with Archive.open(db, readonly=True) as archive:
        assert len(archive.known_posts(server.url)) == 40


def test_a_second_stop_ends_the_crawl_at_once_and_says_so(tmp_path: Path):
    """A second Ctrl-C stops the reactor at once, whatever is under way (here a download the
    server holds): the crawl still prints its summary, with no traceback (it had none to print:
    an IndexError), and the next crawl completes the site."""
    blog = SampleBlog(seed=14, post_count=12)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        server.gate = Gate("/post/", allow=3)
        try:
            with running(crawler_command(server.url, db, "LOG_LEVEL=INFO")
                         ) as (proc, stdout, stderr):
                wait_until(lambda: server.gate.held, "a post request held", proc)
                proc.send_signal(signal.SIGINT)
                wait_until(lambda: "shutting down gracefully" in stderr, "the first stop", proc)
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
        finally:
            server.gate.release()
        out, err = stdout.finish(), stderr.finish()
        assert "Traceback" not in err, err
        summary = json.loads(out)
        assert summary["status"] == "interrupted", summary
        assert "run again to resume" in summary["message"]
        server.gate = None
        again = run_crawl(server.url, db)
    assert again["status"] == "ok"
    with Archive.open(db, readonly=True) as archive:
        assert len(archive.known_posts(server.url)) == 12
        assert archive.check() == []


def test_a_post_that_redirects_to_another_site_is_left_to_that_site(tmp_path: Path):
    """One post of a blog (127.0.0.2) redirects to a post of another blog (127.0.0.3: another
    public host, as loopback may be reached from a loopback blog): it is that blog's post, not
    archived as the crawled site's under the other blog's URL; the run names it, is no
    failure, and the summary says which site to crawl."""
    blog, other = SampleBlog(seed=5, post_count=4), SampleBlog(seed=6, post_count=2)
    db = tmp_path / "archive.db"
    with serve_blog(blog, host="127.0.0.2") as server, \
            serve_blog(other, host="127.0.0.3") as elsewhere:
        moved, target = blog.posts[0], elsewhere.url + other.posts[0].url_path
        server.takeovers[moved.url_path] = h.redirect_to(target)
        result = crawl(server.url, "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 3)
    host = elsewhere.url.split("://")[1]
    assert (f"1 post moved to another site, not archived ({host}): crawl it as a site of its "
            "own") in summary["message"]
    assert summary["moved_sites"] == {elsewhere.url + "/": 1}  # a field since 2026-12-06
    assert (f"{server.url}{moved.url_path}: redirects to {target}, a post of another site: not "
            f"archived (crawl {elsewhere.url}/ as a site of its own)") in summary["errors"]
    with Archive.open(db, readonly=True) as archive:
        assert sorted(archive.known_posts(server.url)) == sorted(
            server.url + post.url_path for post in blog.posts[1:])
        assert archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 3


def test_a_post_redirecting_to_wixs_cdn_or_login_is_no_site_to_crawl(tmp_path: Path):
    """A post URL redirecting to a file on static.wixstatic.com or to users.wix.com's sign-in
    page was reported as a post "moved to another site … crawl it as a site of its own": those
    are no sites. They are now named as what they are, and left out of `moved_sites`."""
    from tests.wixstatic import wixstatic_proxy

    blog = SampleBlog(seed=5, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server, serve_blog(blog) as wix, \
            wixstatic_proxy(wix.url, ("static.wixstatic.com", "users.wix.com")) as proxy:
        cdn_file = "https://static.wixstatic.com" + blog.posts[0].url_path
        login = "https://users.wix.com" + blog.posts[1].url_path
        server.takeovers[blog.posts[0].url_path] = h.redirect_to(cdn_file)
        server.takeovers[blog.posts[1].url_path] = h.redirect_to(login)
        environment = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        result = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", server.url,
                                 "--db", str(db), "--json", *FAST], capture_output=True,
                                text=True, timeout=300, env={**environment, "https_proxy": proxy})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"], summary["moved_sites"]) == (
        "ok", 2, {}), summary
    assert "another site" not in summary["message"] and "of its own" not in summary["message"]
    assert ("2 post URLs redirected to a Wix login page (1) or a file on Wix's CDN (1): not "
            "posts, not archived") in summary["message"]
    assert (f"{server.url}{blog.posts[0].url_path}: redirects to {cdn_file}, a file on Wix's "
            "CDN: not a post, not archived") in summary["errors"]
    assert (f"{server.url}{blog.posts[1].url_path}: redirects to {login}, a Wix login page: "
            "not a post, not archived") in summary["errors"]


def test_a_post_redirecting_to_its_own_sites_home_is_no_site_moved(tmp_path: Path):
    """A post URL redirecting to the site's home as Wix spells it, without the trailing slash
    (an owner's redirect of a removed post): the run said the post "moved to another site
    (127.0.0.1:PORT): crawl it as a site of its own", the very site crawled. It is the site's
    own page, not a post: named as such, and no site in `moved_sites`."""
    blog = SampleBlog(seed=5, post_count=4)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        gone = blog.posts[0].url_path
        server.takeovers[gone] = h.redirect_to(server.url)
        result = crawl(server.url, "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"], summary["moved_sites"]) == (
        "ok", 3, {}), summary
    assert "another site" not in summary["message"], summary["message"]
    assert summary["counts"]["not_posts"] == 1, summary


def test_a_named_page_that_redirects_to_another_site_is_left_to_that_site(tmp_path: Path):
    """The page named on the command line with no /post/ in its URL (an old /single-post/...,
    read as a listing page when the site has no posts sitemap) that redirects to a post of
    another blog was archived as the crawled site's post, under the other blog's URL; it is
    left to that blog now, and named, as a /post/ URL that redirects there is."""
    blog, other = SampleBlog(seed=5, post_count=4), SampleBlog(seed=6, post_count=2)
    db = tmp_path / "archive.db"
    with serve_blog(blog, host="127.0.0.2") as server, \
            serve_blog(other, host="127.0.0.3") as elsewhere:
        server.overrides["/sitemap.xml"] = Response(404, b"", {"Content-Type": "text/html"})
        target = elsewhere.url + other.posts[0].url_path
        server.takeovers["/single-post/moved"] = h.redirect_to(target)
        result = crawl(server.url + "/single-post/moved", "--db", str(db), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["counts"]["new"]) == ("ok", 4), summary
    assert (f"{server.url}/single-post/moved: redirects to {target}, a post of another site: "
            f"not archived (crawl {elsewhere.url}/ as a site of its own)") in summary["errors"]
    with Archive.open(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT count(*) FROM posts WHERE url = ?",
                                    (target,)).fetchone()[0] == 0
        assert sorted(archive.known_posts(server.url)) == sorted(
            server.url + post.url_path for post in blog.posts)
