"""What a crawl records and says when things fail: an archive busy when its run starts, a crawl
killed outright, a site that is down or speaks plain HTTP on https, a page that is not there."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import wixarchive
from archive.store import Archive
from crawler.sample_site import SampleBlog, serve_blog
from crawler.sample_site.server import Gate, Response
from tests.processes import HangingServer, crawler_command, running, wait_until, write_lock
from tests.test_crawl_worker import worker_of


def _versions(db: Path) -> list[tuple[int | None]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT run_id FROM post_versions").fetchall()


def _crawl(url: str, db: Path) -> dict:
    """`python -m crawler.run` (without images); its summary, whatever its exit status."""
    result = subprocess.run(crawler_command(url, db, "LOG_LEVEL=CRITICAL",
                                            "WIXARCHIVE_MEDIA=false"),
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def _runs(db: Path) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "archive.cli", "runs", "--db", str(db),
                             "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_crawl_starting_while_the_archive_is_locked_is_still_recorded_as_a_run(
        tmp_path: Path):
    """Another process holds the archive's write lock past the busy timeout (4 s here) when
    the crawl starts its run. The run's row was never created: `run_id` null, no row in `runs`,
    its post versions in no run. Now the archive worker creates it with the first page it
    stores once the lock is free, and every version stored is in it."""
    blog = SampleBlog(seed=31, post_count=12)
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "4000"}
    with serve_blog(blog) as server, write_lock(db) as release:
        with running(crawler_command(server.url, db, "WIXARCHIVE_MEDIA=false"),
                     env=env) as (proc, stdout, stderr):
            # The archive worker starts once the run's start has waited out the timeout; let
            # go then, within its first batch's wait (a batch that waits the whole timeout in
            # vain stops the crawl: tests/test_crawl_exits.py).
            wait_until(lambda: worker_of(proc.pid), "the run's start given up", proc)
            release()
            proc.wait(timeout=120)
        out, err = stdout.finish(), stderr.finish()
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert isinstance(summary["run_id"], int), summary
    assert summary["counts"]["new"] > 0, summary
    (run,) = _runs(db)
    assert run["id"] == summary["run_id"] and run["status"] == summary["status"]
    assert run["new"] == summary["counts"]["new"]
    assert _versions(db) == [(summary["run_id"],)] * summary["counts"]["new"]


def test_a_killed_crawls_run_shows_what_it_had_stored(tmp_path: Path):
    """The run's counts are written with each batch, in its transaction: a crawl killed
    outright (SIGKILL of its process group) shows in `runs` the posts it committed. Before,
    its counts stayed `{}` (PAGES 0 NEW 0) until the run ended, which a killed one never does."""
    blog = SampleBlog(seed=32, post_count=12)
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    with serve_blog(blog) as server:
        server.gate = Gate(f"/{blog.post_prefix}/", allow=5)  # 5 posts, then the rest wait
        with running(crawler_command(server.url, db, "WIXARCHIVE_MEDIA=false"),
                     start_new_session=True) as (proc, _stdout, _stderr):
            wait_until(lambda: len(_versions(db)) == 5, "5 posts committed", proc)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    (run,) = _runs(db)
    assert run["status"] in ("killed", "interrupted")  # `runs` closes a dead one
    assert (run["new"], run["pages"]) == (5, 5), run


DISCOVERY = ("/robots.txt", "/sitemap.xml", "/blog-feed.xml", "/blog")


def test_a_site_that_is_down_is_said_to_be_unreachable_not_without_posts(tmp_path: Path):
    """Every request answered HTTP 500, or a TLS handshake with a server speaking plain HTTP:
    the summary said "no Wix blog posts found …", and the TLS errors were reprs of Twisted
    Failures. Now it says why the site could not be reached, in one readable line. A TLS
    failure on robots.txt also ends the site's discovery there: its sitemap, feed and listing
    were each tried in turn (4 tries each), failing the same way."""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    with serve_blog(SampleBlog(seed=33, post_count=3), host="127.0.0.4") as server:
        server.fail_paths.update(DISCOVERY)
        down = _crawl(server.url, db)
        server.fail_paths.clear()
        secure = server.url.replace("http://", "https://")
        tls = _crawl(secure, db)
    assert down["status"] == "failed"
    assert down["message"].startswith(f"could not reach {server.url}/: HTTP 500"), down
    assert tls["status"] == "failed"
    # Filed under the archived spelling (http and https are one site), named as tried.
    assert tls["site"] == server.url + "/"
    assert tls["message"].startswith(
        f"could not reach {secure}/: TLS handshake failed (wrong version number — is the "
        "site plain http?"), tls
    assert all("<" not in error and "\n" not in error for error in tls["errors"]), tls
    assert [error.split(": ", 1)[0] for error in tls["errors"]] == [f"{secure}/robots.txt"]
    assert tls["requests"] == 4, tls  # robots.txt's tries alone (Scrapy's asked it again)
    first_errors = [run["first_error"] for run in _runs(db)]
    assert first_errors == [tls["message"], down["message"]]


def test_a_missing_page_fails_the_run_only_when_it_is_the_url_given(tmp_path: Path):
    """A 404 for the post URL the user gave is a failure: the run is `partial`, FAIL 1 (it was
    `ok` with FAIL 1). A 404 the site gives for a page it need not have (robots.txt here) is
    named but no failure: `ok`, FAIL 0 (it was `ok` with FAIL 1)."""
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=34, post_count=3), host="127.0.0.5") as server:
        given = _crawl(f"{server.url}/post/whatever", db)
        server.overrides["/robots.txt"] = Response(404, b"not found")
        no_robots = _crawl(server.url, db)
    assert (given["status"], given["counts"]["failed"]) == ("partial", 1), given
    assert given["errors"] == [f"{server.url}/post/whatever: HTTP 404"]
    assert (no_robots["status"], no_robots["counts"]["failed"]) == ("ok", 0), no_robots
    assert no_robots["errors"] == [f"{server.url}/robots.txt: HTTP 404"]
    assert [(run["status"], run["failed"]) for run in _runs(db)] == [("ok", 0), ("partial", 1)]


def test_one_post_and_one_failed_page_are_said_in_the_singular(tmp_path: Path):
    """A one-post blog's line said "1 posts: 1 new" and a partial run's "1 pages failed"."""
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=34, post_count=1), host="127.0.0.5") as server:
        result = subprocess.run(
            [sys.executable, "-m", "archive.cli", "crawl", f"{server.url}/post/whatever",
             "--db", str(db), "--delay", "0", "--no-autothrottle", "--no-media"],
            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"! {server.url}/: 1 post: 1 new, 0 changed, 0 unchanged (" in result.stdout
    assert f"\n  1 page failed, first: {server.url}/post/whatever: HTTP 404\n" in result.stdout
    check = subprocess.run([sys.executable, "-m", "archive.cli", "check", "--db", str(db)],
                           capture_output=True, text=True, timeout=120)
    assert check.stdout.startswith(f"OK: {db} (1 post, schema v"), check.stdout


def assert_listed_gone_counted(first: dict, asked: dict) -> None:
    """The lines of two crawls of a 4-post blog whose first 2 listed posts answer 404: the
    whole blog's (2 counted), then its first post's, asked for by URL (a failure: 1 counted).
    Also what a crawl through Redis says (tests/test_crawl_redis.py)."""
    assert first["status"] == "ok" and first["message"] == (
        "2 posts: 2 new, 0 changed, 0 unchanged; 2 listed posts answered HTTP 404/410: gone "
        "from the site before any crawl archived them"), first
    assert asked["status"] == "partial" and asked["message"] == (
        "2 posts: 0 new, 0 changed, 2 unchanged; 1 listed post answered HTTP 404/410: gone "
        "from the site before any crawl archived it"), asked
    # --json's counts carry the number too, for a script (only the message said it).
    assert (first["counts"]["posts_gone"], asked["counts"]["posts_gone"]) == (2, 1), (first,
                                                                                    asked)


def test_listed_posts_that_answer_404_are_counted_on_the_line(tmp_path: Path):
    """A blog whose sitemap and feed list posts that answer 404 (deleted before any crawl
    archived them) said "✓ …: 2 posts: 2 new" and nothing else: the archivist read it as a blog
    of 2 posts. The line counts them; a post the user asked for stays a failure, apart."""
    db = tmp_path / "archive.db"
    blog = SampleBlog(seed=35, post_count=4)
    with serve_blog(blog, host="127.0.0.5") as server:
        for post in blog.posts[:2]:
            server.overrides[post.url_path] = Response(404, b"not found")
        first = _crawl(server.url, db)
        asked = _crawl(server.url + blog.posts[0].url_path, db)
    assert_listed_gone_counted(first, asked)


def _crawl_sites(urls: list[str], db: Path) -> dict[str, dict]:
    """One `python -m crawler.run` for every site (without images): each site's summary."""
    command = crawler_command(urls[0], db, "LOG_LEVEL=CRITICAL", "WIXARCHIVE_MEDIA=false")
    at = command.index(urls[0]) + 1
    command[at:at] = [*urls[1:], "--parallel", str(len(urls))]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return {summary["site"]: summary for summary in json.loads(result.stdout)}


def test_a_blog_gone_or_turned_into_a_parked_page_is_told_apart_and_its_posts_kept(
        tmp_path: Path):
    """Two archived blogs: one whose address now answers 404 to everything, one that became a
    parked domain's "for sale" page (HTML at every path, sitemap.xml included). Both failed
    with the same `no Wix blog posts found at SITE (no blog-posts sitemap, blog feed or listing
    of posts)`, the parked one's sitemap.xml named as "sitemap is empty", and nothing said what
    became of the posts archived. Now each says what the site answers, and that its posts are
    kept."""
    gone_blog, parked_blog = SampleBlog(seed=37, post_count=3), SampleBlog(seed=38, post_count=2)
    parked_page = Response(200, b"<!doctype html><html><head><title>blog.example is for sale"
                                b"</title></head><body><h1>Buy this domain</h1></body></html>",
                           {"Content-Type": "text/html"})
    db = tmp_path / "archive.db"
    with serve_blog(gone_blog) as gone, serve_blog(parked_blog) as parked:
        sites = [gone.url + "/", parked.url + "/"]
        before = _crawl_sites(sites, db)
        assert [before[site]["counts"]["new"] for site in sites] == [3, 2], before
        for path in ("/robots.txt", "/sitemap.xml", "/blog-feed.xml", "/blog"):
            gone.overrides[path] = Response(404, b"Not found")
            parked.overrides[path] = parked_page
        parked.overrides["/robots.txt"] = Response(404, b"Not found")
        after = _crawl_sites(sites, db)
    assert [after[site]["status"] for site in sites] == ["failed", "failed"], after
    kept = "; the {} posts archived before are kept as archived, not marked deleted"
    assert after[sites[0]]["message"] == (
        f"no Wix blog posts found at {sites[0]}: every page asked for answers HTTP 404 "
        "(robots.txt, sitemap.xml, blog-feed.xml, blog): the blog is gone from this address"
        + kept.format(3))
    assert after[sites[1]]["message"] == (
        f"no Wix blog posts found at {sites[1]}: it no longer looks like a Wix site (its blog "
        f"page {sites[1]}blog is not a Wix page: “blog.example is for sale”)" + kept.format(2))
    assert f"{sites[1]}sitemap.xml: sitemap is an HTML page, not a sitemap" in after[sites[1]][
        "errors"]
    with Archive.open(db, readonly=True) as archive:
        assert sorted((row["posts"], row["deleted"]) for row in archive.stats()) == [(2, 0), (3, 0)]


def test_an_address_answering_404_to_everything_never_archived_says_what_to_check(
        tmp_path: Path):
    """A first crawl of an address where every page asked for answers 404 (a mistyped one, a
    site not on Wix, a blog deleted before it was ever archived) said "the blog is gone from
    this address": a new user read that her blog had been deleted. Now it says to check the
    address, and how to bring back a blog that is gone."""
    with serve_blog(SampleBlog(seed=39, post_count=2)) as server:
        for path in ("/robots.txt", "/sitemap.xml", "/blog-feed.xml", "/blog"):
            server.overrides[path] = Response(404, b"Not found")
        site = server.url + "/"
        command = crawler_command(site, tmp_path / "archive.db", "LOG_LEVEL=CRITICAL",
                                  "WIXARCHIVE_MEDIA=false")
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed"
    assert summary["message"] == (
        f"no Wix blog posts found at {site}: every page asked for answers HTTP 404 (robots.txt, "
        "sitemap.xml, blog-feed.xml, blog): check the address; if it is right, the blog is gone "
        f"from it (`wixarchive recover {site}` brings back what the Wayback Machine kept of it)")


def test_an_archived_blog_that_cannot_be_reached_any_more_says_its_posts_are_kept(
        tmp_path: Path):
    """The monthly re-crawl after the owner's subscription ended: the address no longer
    answers. The line said only "could not reach ...", leaving her to wonder whether her
    archived posts were lost; it now says they are kept, as when the blog answers 404."""
    db = tmp_path / "archive.db"

    def crawl(site: str) -> dict:
        result = subprocess.run(crawler_command(site, db, "LOG_LEVEL=CRITICAL", "RETRY_TIMES=0",
                                                "WIXARCHIVE_MEDIA=false"),
                                capture_output=True, text=True, timeout=300)
        return json.loads(result.stdout)

    with serve_blog(SampleBlog(seed=40, post_count=2)) as server:
        site = server.url + "/"
        assert crawl(site)["counts"]["new"] == 2
    summary = crawl(site)  # the server is gone: its port refuses connections
    assert summary["status"] == "failed"
    # In words that say what to check (it was Twisted's "Connection was refused by other
    # side: 111: Connection refused.").
    assert summary["message"].startswith(
        f"could not reach {site}: connection refused: nothing answers at {site[7:-1]} (the "
        "server is down, or the address or its port is wrong"), summary
    assert summary["message"].endswith(
        "; the 2 posts archived before are kept as archived, not marked deleted"), summary
    with Archive.open(db, readonly=True) as archive:
        assert [(row["posts"], row["deleted"]) for row in archive.stats()
                if row["site"] == site] == [(2, 0)]


def test_a_mistyped_host_name_says_what_to_check(tmp_path: Path):
    """A typo in the address's host: Twisted's "DNS lookup failed: no results for hostname
    lookup: ..." left a new user guessing; the line now says to check the address and that
    the computer is online."""
    site = "http://calm-mind-counselling.invalid/"
    result = subprocess.run(crawler_command(site, tmp_path / "archive.db", "LOG_LEVEL=CRITICAL",
                                            "RETRY_TIMES=0", "WIXARCHIVE_MEDIA=false"),
                            capture_output=True, text=True, timeout=300)
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["message"]) == ("failed", (
        f"could not reach {site}: DNS lookup failed: no host named "
        "calm-mind-counselling.invalid (check the address for a typo, and that this computer "
        "is online)")), summary


def test_a_site_whose_posts_were_all_removed_records_their_deletion(tmp_path: Path):
    """Every post of an archived site removed: it still answers, its sitemap and feed list no
    post (or every post's page answers 404). The crawl failed with "no Wix blog posts found",
    and the deletions were not recorded. Now they are, and the run is ok, "N deleted". A site
    never archived that has no post still fails as before."""
    emptied, gone, empty = (SampleBlog(seed=34, post_count=3), SampleBlog(seed=35, post_count=2),
                            SampleBlog(seed=36, post_count=0))
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    with serve_blog(emptied) as first, serve_blog(gone) as second, serve_blog(empty) as third:
        sites = [first.url + "/", second.url + "/", third.url + "/"]
        before = _crawl_sites(sites[:2], db)
        assert [before[site]["counts"]["new"] for site in sites[:2]] == [3, 2], before
        for post in list(emptied.posts):
            emptied.delete_post(post.slug)
        for post in list(gone.posts):  # listed as changed by the sitemap, but gone
            gone.edit_post(post.slug, title="Moved away")
            second.overrides[post.url_path] = Response(404, b"Not found")
        after = _crawl_sites(sites, db)
    for site, deleted in zip(sites[:2], (3, 2), strict=True):
        assert after[site]["status"] == "ok", after[site]
        assert after[site]["message"] == (f"0 posts: 0 new, 0 changed, 0 unchanged, "
                                          f"{deleted} deleted"), after[site]
    assert after[sites[2]]["status"] == "failed"
    assert after[sites[2]]["message"].startswith(f"no Wix blog posts found at {sites[2]}")
    runs = {run["site"]: run for run in _runs(db) if run["id"] in
            {summary["run_id"] for summary in after.values()}}
    assert [(runs[site]["status"], runs[site]["deleted"]) for site in sites] == [
        ("ok", 3), ("ok", 2), ("failed", 0)]
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM posts WHERE deleted_at IS NULL").fetchone() \
            == (0,)


def test_a_site_stopped_at_its_time_limit_is_recorded_as_a_timeout_by_its_crawl(
        tmp_path: Path):
    """The crawl process closed the run of a site stopped at its time limit as `interrupted`;
    only `run-due`, on reading its result, rewrote it as `timeout`, in a second write. Between
    the two the run read `interrupted` (due at once, not failing), and it stayed so when that
    write did not happen: the archive busy, the runner stopped, or a crawl with a time limit from
    Python (wixarchive.crawl), which has no runner. The crawl records the timeout itself now."""
    db = tmp_path / "archive.db"
    with HangingServer("127.0.0.1") as hanging:
        (summary,) = wixarchive.crawl(hanging.url, db, time_limit=2)
    assert summary.status == "timeout", summary
    message = "stopped at its 2s time limit after 0 posts; the next run resumes it"
    assert summary.message == message
    (run,) = _runs(db)
    assert (run["id"], run["status"], run["first_error"]) == (summary.run_id, "timeout", message)


def test_crawl_time_limit_stops_a_site_as_the_api_and_the_sites_file_do(tmp_path: Path):
    """`wixarchive crawl` had no time limit, which wixarchive.crawl(time_limit=) and a sites
    file's `timeout` have: a hanging site held the command until its downloads gave up.
    `--time-limit SECONDS` stops each site there, its run a timeout, and exits 1 (as run-due)."""
    db = tmp_path / "archive.db"
    with HangingServer("127.0.0.1") as hanging:
        result = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", hanging.url,
                                 "--db", str(db), "--time-limit", "2", "--json"],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    message = "stopped at its 2s time limit after 0 posts; the next run resumes it"
    assert (summary["status"], summary["message"]) == ("timeout", message)
    (run,) = _runs(db)
    assert (run["id"], run["status"]) == (summary["run_id"], "timeout")


def test_a_stop_as_the_crawl_starts_leaves_a_closed_run_or_none(tmp_path: Path):
    """Ctrl-C or SIGTERM at the very start of `wixarchive crawl`. While its crawler was still
    importing Scrapy (about a second), a stop killed it outright (no result: the site said
    "ended without a result"), or raised KeyboardInterrupt there (a traceback on the terminal,
    or the site reported and recorded as "failed"); one that came just as its sites opened was
    lost on them, and the crawl never ended. Now the crawler holds stops back until it can
    act on them: each stop leaves either no run (the command itself was not yet listening) or
    one run, closed as interrupted; never a `running` one, a failure, or a crawler's
    traceback."""
    with serve_blog(SampleBlog(seed=37, post_count=6)) as server:
        for number, (signum, delay) in enumerate(
                [(signal.SIGTERM, 0), (signal.SIGINT, 0.05), (signal.SIGTERM, 0.1),
                 (signal.SIGINT, 0.2), (signal.SIGTERM, 0.5), (signal.SIGINT, 0.5),
                 (signal.SIGINT, 0.8)]):
            db = tmp_path / f"archive{number}.db"
            Archive.open(db).close()
            proc = subprocess.Popen(
                [sys.executable, "-m", "archive.cli", "crawl", server.url, "--db", str(db),
                 "--no-media", "--delay", "0.3"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(delay)
            proc.send_signal(signum)
            out, err = proc.communicate(timeout=120)
            case = (signum.name, delay, proc.returncode, out, err)
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                runs = conn.execute("SELECT status FROM crawl_runs").fetchall()
            if "Stopping" in err:  # the command passed the stop on to its crawler
                assert "Traceback" not in err, case
                # 128+N, as shells report it: 130 for Ctrl-C, 143 for SIGTERM.
                assert proc.returncode == 128 + signum and runs == [("interrupted",)], case
            else:  # stopped before it listened: it started no crawl
                # Killed by SIGTERM (no handler yet), or Ctrl-C caught at the CLI's entry point
                # ("Interrupted.", 130); in Python's own start-up, its traceback and 1.
                assert proc.returncode in (-signum, 128 + signum, 1) and runs == [], case


# run_sites as `python -m crawler.run` runs it, with a stop (SIGTERM, as `wixarchive crawl`
# forwards it) sent the moment its first site is done: the next site is then opening.
_STOP_AS_THE_NEXT_SITE_OPENS = """
import json, os, signal, sys
from crawler.run import SiteJob, run_sites

results = []

def on_result(summary):
    results.append(summary)
    if len(results) == 1:
        os.kill(os.getpid(), signal.SIGTERM)

run_sites([SiteJob(url) for url in sys.argv[2:]], sys.argv[1],
          {"LOG_LEVEL": "CRITICAL", "WIXARCHIVE_MEDIA": False, "DOWNLOAD_DELAY": 0}, parallel=1,
          on_result=on_result)
print(json.dumps(results))
"""


def test_a_stop_while_a_later_site_opens_stops_it_and_starts_no_other(tmp_path: Path):
    """With more sites than run at once, a site starts when another ends. A stop that came as
    one was opening was lost on it (Scrapy's stop of a crawler whose engine is not yet running
    does nothing): that site crawled on to its end as if never stopped, or never ended. Now the
    stop is kept, and the site is stopped as soon as its engine runs: it ends interrupted, with
    its run recorded, and the sites still waiting are not started."""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    with serve_blog(SampleBlog(seed=38, post_count=2)) as first, \
            serve_blog(SampleBlog(seed=39, post_count=30)) as second, \
            serve_blog(SampleBlog(seed=40, post_count=2)) as third:
        result = subprocess.run(
            [sys.executable, "-c", _STOP_AS_THE_NEXT_SITE_OPENS, str(db), first.url, second.url,
             third.url], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    results = {summary["job"]: summary for summary in json.loads(result.stdout)}
    assert results[0]["status"] == "ok"
    assert results[1]["status"] == "interrupted", results[1]
    assert results[1]["counts"].get("new", 0) < 30
    assert results[2].get("not_started") and results[2]["status"] == "interrupted"
    assert [(run["site"], run["status"]) for run in reversed(_runs(db))] == [
        (first.url + "/", "ok"), (second.url + "/", "interrupted")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_redis_down_fails_run_due_without_failing_its_sites(tmp_path: Path):
    """`run-due --redis` with Redis down recorded a `failed` run for every due site, which then
    went into retry backoff and under "Failing sites" though the sites were fine. Now no run
    is recorded, and the command ends with one clear error."""
    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.toml"
    url = f"redis://127.0.0.1:{_free_port()}/0"
    with serve_blog(SampleBlog(seed=35, post_count=3), host="127.0.0.6") as server:
        sites.write_text(f'[[site]]\nurl = "{server.url}"\n')
        result = subprocess.run([sys.executable, "-m", "archive.cli", "run-due", "--db",
                                 str(db), "--sites", str(sites), "--redis", url],
                                capture_output=True, text=True, timeout=120)
        assert server.request_log == []
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"Error: cannot reach Redis at {url}"), result.stderr
    assert "Traceback" not in result.stderr
    assert _runs(db) == []  # no failed run: the site is due again, with no backoff


def test_run_due_with_redis_down_reports_its_skipped_sites_in_json_and_under_quiet(
        tmp_path: Path):
    """`run-due --redis ... --json` with Redis down printed no JSON at all (a cron script
    parsing it got nothing), `--quiet` hid the `skipped` lines, and `--help` named no
    `skipped` status. Now the JSON has the skipped site's record (as any other), --quiet shows
    its line, and --help says what it is."""
    db = tmp_path / "archive.db"
    sites = tmp_path / "sites.toml"
    url = f"redis://127.0.0.1:{_free_port()}/0"
    sites.write_text('[[site]]\nurl = "http://127.0.0.6:9/"\n')
    command = [sys.executable, "-m", "archive.cli", "run-due", "--db", str(db), "--sites",
               str(sites), "--redis", url]
    as_json = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=120)
    assert as_json.returncode == 1
    assert as_json.stderr.startswith(f"Error: cannot reach Redis at {url}"), as_json.stderr
    [record] = json.loads(as_json.stdout)
    assert (record["site"], record["status"], record["run_id"]) == (
        "http://127.0.0.6:9/", "skipped", None)
    assert record["message"].startswith(f"not crawled: cannot reach Redis at {url}"), record
    quiet = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 1
    assert quiet.stdout.startswith("skipped     http://127.0.0.6:9/  not crawled: cannot reach "
                                   f"Redis at {url}"), quiet.stdout
    assert _runs(db) == []
    usage = subprocess.run([sys.executable, "-m", "archive.cli", "run-due", "--help"],
                           capture_output=True, text=True, timeout=60).stdout
    assert "skipped (not crawled, and no run recorded: --redis could not reach Redis" in " ".join(
        usage.split())
    assert "interrupted, invalid, skipped)" in usage


def test_a_malformed_redis_url_is_named_as_such(tmp_path: Path):
    """At the start of every command taking --redis: `run-due --redis 127.0.0.1:26391` with
    nothing due exited 0 in silence (with --force each site said so), `crawl --redis` of lines
    that are no site URL named those only."""
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    sites.write_text('[[site]]\nurl = "https://a.example"\nevery = "1w"\n')
    with Archive.open(db) as archive:
        run = archive.start_run("https://a.example/", started_at="2026-05-01T03:00:00+00:00")
        archive.finish_run(run, status="ok", counts={}, errors=[],
                           finished_at="2026-05-01T03:01:00+00:00")
    env = {**os.environ, "WIXARCHIVE_NOW": "2026-05-02T03:00:00Z"}
    # No scheme; a database that is no number (redis-py reads it as database 0, maybe another
    # crawl's).
    bad_urls = {"127.0.0.1:26391": "Error: not a Redis URL: give redis://HOST:PORT "
                                   "(got '127.0.0.1:26391')\n",
                "redis://127.0.0.1:26391/abc": "Error: not a Redis database: 'abc' (in "
                                               "'redis://127.0.0.1:26391/abc'): give its number "
                                               "after the port, redis://HOST:PORT/0\n"}
    for command in (["worker"], ["run-due", "--db", str(db)],
                    ["crawl", "not a url", "--db", str(db)]):
        for url, error in bad_urls.items():
            result = subprocess.run([sys.executable, "-m", "archive.cli", *command, "--redis",
                                     url], capture_output=True, text=True, timeout=60, env=env)
            assert result.returncode == 1, (command, result.stdout, result.stderr)
            assert result.stdout == ""
            assert result.stderr == error, command
    assert len(_runs(db)) == 1


WORDPRESS_TITLE = "My Garden Blog – Just another WordPress site"


def wordpress_site(site: str) -> dict[str, Response]:
    """The sample server's overrides that make `site` a WordPress site: robots.txt naming its
    wp-sitemap.xml, posts under /2024/05/..., a WordPress home page, no /blog."""
    home = ('<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>'
            f'{WORDPRESS_TITLE}</title><meta name="generator" content="WordPress 6.4.2">'
            '</head><body class="home blog"><h1>My Garden Blog</h1><article><h2><a href="/2024/'
            '05/hello-world/">Hello world!</a></h2></article></body></html>').encode()
    sitemap = (f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
               f'schemas/sitemap/0.9"><url><loc>{site}2024/05/hello-world/</loc><lastmod>'
               '2024-05-01T10:00:00+00:00</lastmod></url></urlset>').encode()
    robots = f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {site}wp-sitemap.xml\n"
    return {"/robots.txt": Response(200, robots.encode(), {"Content-Type": "text/plain"}),
            "/wp-sitemap.xml": Response(200, sitemap, {"Content-Type": "application/xml"}),
            "/": Response(200, home, {"Content-Type": "text/html; charset=UTF-8"}),
            **{path: Response(404, b"Not found")
               for path in ("/sitemap.xml", "/blog-feed.xml", "/blog")}}


def test_a_wordpress_sites_address_says_it_is_not_a_wix_site(tmp_path: Path):
    """A first crawl of a WordPress site: the crawler never fetched its home page, so it said
    only `no Wix blog posts found at SITE (no blog-posts sitemap, blog feed or listing of
    posts)`. Now, no post found by any route, it asks for the home page once and says the
    site is not on Wix (through Redis too: tests/test_crawl_redis.py)."""
    with serve_blog(SampleBlog(seed=41, post_count=1)) as server:
        site = server.url + "/"
        server.overrides.update(wordpress_site(site))
        summary = _crawl(site, tmp_path / "archive.db")
        home_asked = server.hits["/"]
    assert summary["status"] == "failed"
    assert summary["message"] == (
        f"no Wix blog posts found at {site}: it does not look like a Wix site (its home page "
        f"{site} is not a Wix page: “{WORDPRESS_TITLE}”)")
    assert home_asked == 1


def test_a_site_that_does_not_answer_is_one_line_without_brackets_in_a_row(tmp_path: Path):
    """A port nothing answers on: `crawl` and `run-due` ended the site's line with three
    brackets in a row, "(the server is down, or …) (4 tries) (0 pages in 11.2 s)"."""
    with socket.socket() as unused:  # a port free on 127.0.0.5: nothing listens on it
        unused.bind(("127.0.0.5", 0))
        url = f"http://127.0.0.5:{unused.getsockname()[1]}/"
    db = tmp_path / "archive.db"

    def line_of(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "archive.cli", *args, "--db", str(db)],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 1, result.stderr
        return next(line for line in result.stdout.splitlines() if url in line)

    reason = (f"could not reach {url}: connection refused: nothing answers at "
              f"{url[7:-1]} (the server is down, or the address or its port is wrong; 4 tries); "
              "0 pages")
    crawled = line_of("crawl", url, "--delay", "0")
    assert crawled.startswith(f"✗ {url}: {reason} in ") and crawled.endswith(" s"), crawled
    subprocess.run([sys.executable, "-m", "archive.cli", "sites", "add", url, "--db", str(db)],
                   capture_output=True, check=True, timeout=120)
    due = line_of("run-due", "--force")
    assert due.startswith(f"failed      {url}  {reason}, "), due
    assert due.endswith(" s; 2 failed runs in a row"), due


def test_a_single_site_that_failed_is_said_once_on_a_terminal_and_why_in_cron_mail(
        tmp_path: Path):
    """A crawl of one site that failed printed its ✗ line, then on stderr `Error: 1 site failed:
    X (each site's line says why)`: on a terminal the failure was said twice, and cron's mail
    of `crawl X >> log` (stderr alone) named the site without why. Now the terminal shows the
    ✗ line alone, and stderr, apart from stdout, says why; the exit status is 1 in both."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"

    def crawl(db: str, **streams) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "archive.cli", "crawl", down, "--db",
                                 str(tmp_path / db), "--no-media"], stdin=subprocess.DEVNULL,
                                **streams)

    leader, follower = pty.openpty()
    log = tmp_path / "crawl.log"
    with log.open("w") as stdout:  # the two at once: another archive, another site lock
        logged = crawl("logged.db", stdout=stdout, stderr=subprocess.PIPE, text=True)
        on_screen = crawl("screen.db", stdout=follower, stderr=follower)
    os.close(follower)
    shown = b""
    with contextlib.suppress(OSError):  # EIO: the crawl closed the terminal
        while chunk := os.read(leader, 65536):
            shown += chunk
    os.close(leader)
    assert on_screen.wait(timeout=120) == 1, shown
    mail = logged.communicate(timeout=120)[1]
    assert logged.returncode == 1, mail
    screen = shown.decode().replace("\r\n", "\n")
    reason = f"could not reach {down}/: "
    assert screen.startswith(f"✗ {down}/: {reason}"), screen
    assert screen.count(reason) == 1 and "Error" not in screen, screen
    line = log.read_text().splitlines()[0]
    assert line.startswith(f"✗ {down}/: {reason}"), line
    # The mail: the site and its reason, as its line in the log says it (without the time).
    assert mail.startswith(f"Error: {down}/: {reason}") and mail.count("\n") == 1, mail
    assert line.startswith("✗ " + mail.strip().removeprefix("Error: ")), (line, mail)
