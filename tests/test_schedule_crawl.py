"""Scheduled crawls end to end: real `wixarchive run-due` / `schedule` processes crawling the
sample Wix blog over 127.0.0.1 (each crawl costs a Scrapy start-up, so these tests are few)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archive.schedule import sites as sites_file
from archive.schedule.locks import is_locked, lock_path
from archive.store import Archive, ArchiveError
from crawler.sample_site import SampleBlog, serve_blog
from tests.processes import write_lock

FAST = {"delay": 0, "autothrottle": False}


# A sites file's defaults that keep a test crawl quick: no delay, no AutoThrottle, no media.
QUICK_DEFAULTS = "[defaults]\ndelay = 0\nautothrottle = false\nmedia = false\n"


def daily_site(sites: Path, url: str) -> None:
    """Write `sites` listing `url`, crawled every day."""
    sites.write_text(f'{QUICK_DEFAULTS}[[site]]\nurl = "{url}"\nevery = "1d"\n')


def wixarchive(*args: str) -> list[str]:
    return [sys.executable, "-m", "archive.cli", *args]


def wait_for(condition: Callable[[], bool], what: str, limit: float = 120) -> None:
    """Poll for a state another process reaches (not a schedule: time is injected there)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def saved_posts(db: Path) -> int:
    try:
        with Archive.open(db, readonly=True) as archive:
            return sum(site["posts"] for site in archive.stats())
    except ArchiveError:  # not created yet, or being created by the crawler
        return 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sigterm_stops_the_crawl_and_the_next_run_finishes_it(tmp_path: Path):
    # More posts than Scrapy keeps in its downloader (16), so some are still to fetch.
    blog = SampleBlog(seed=1, post_count=40)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(blog) as server:
        for post in blog.posts:  # slow enough for the signal to land mid-crawl
            server.slow_paths[post.url_path] = 0.1
        sites_file.add(sites, {"url": server.url, "every": "1d", "concurrency": 1, **FAST})
        service = subprocess.Popen(wixarchive("schedule", "--db", str(db)),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: saved_posts(db) >= 3, "the first posts to be saved")
            service.send_signal(signal.SIGTERM)
            out, err = service.communicate(timeout=120)
        finally:
            if service.poll() is None:
                service.kill()
        assert service.returncode == 128 + signal.SIGTERM, err  # 143, as run-due and crawl
        assert "interrupted" in out and "stopped (SIGTERM)" in out
        assert "Traceback" not in err
        first = saved_posts(db)
        assert 3 <= first < 40

        server.slow_paths.clear()
        result = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        (outcome,) = json.loads(result.stdout)
        assert outcome["status"] == "ok"
        # Each post was downloaded once over both runs: the resumed run redid nothing.
        assert all(server.hits[post.url_path] == 1 for post in blog.posts), server.hits

    with Archive.open(db, readonly=True) as archive:
        runs = archive.runs(10)
        assert [r["status"] for r in runs] == ["ok", "interrupted"]
        # Nothing lost: every post archived; nothing duplicated: one version each, and the two
        # runs' "new" counts add up to the number of posts.
        for post in blog.posts:
            assert archive.post(server.url + post.url_path) is not None, post.url_path
            assert len(archive.versions(server.url + post.url_path)) == 1
        assert sum(r["counts"]["new"] for r in runs) == 40
        assert runs[1]["counts"]["new"] == first


def test_concurrent_run_due_never_overlap_and_a_failing_site_blocks_nothing(tmp_path: Path):
    blog = SampleBlog(seed=2, post_count=8)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    down = f"http://127.0.0.1:{closed_port()}/"
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.slow_paths[post.url_path] = 0.2
        sites_file.add(sites, {"url": server.url, "concurrency": 1, **FAST})
        sites_file.add(sites, {"url": down, **FAST})
        first = subprocess.Popen(wixarchive("run-due", "--db", str(db), "--json"),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        blog_lock = lock_path(db, server.url + "/")
        wait_for(lambda: blog_lock.exists() and blog_lock.read_text(), "the first to lock")
        second = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                capture_output=True, text=True, timeout=300)
        out, err = first.communicate(timeout=300)

    # The first locked both due sites before crawling them together: the second crawls neither
    # (the down site is still locked, or was just tried by the first and waits for its retry).
    by_site = {o["site"]: o for o in json.loads(second.stdout)}
    assert by_site[server.url + "/"]["status"] == "busy"
    assert f"pid {first.pid}" in by_site[server.url + "/"]["message"]
    assert by_site[down]["status"] in ("busy", "not-due")
    assert second.returncode == 0

    # The down site failed without holding up the blog crawled beside it.
    by_site = {o["site"]: o for o in json.loads(out)}
    assert by_site[server.url + "/"]["status"] == "ok"
    assert by_site[server.url + "/"]["counts"]["new"] == 8
    assert by_site[down]["status"] == "failed" and "could not reach" in by_site[down]["message"]
    assert first.returncode == 1, err  # a site failed

    with Archive.open(db, readonly=True) as archive:
        assert sorted(r["site"] for r in archive.runs(10)) == sorted([server.url + "/", down])
    runs = subprocess.run(wixarchive("runs", "--db", str(db), "--failing"),
                          capture_output=True, text=True, timeout=60)
    assert runs.returncode == 1 and down in runs.stdout and server.url not in runs.stdout


def children_of(pid: int) -> list[int]:
    """PIDs whose parent is `pid` (Linux /proc): the crawler a run-due process started."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if stat.rsplit(") ", 1)[1].split()[1] == str(pid):
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_killed_run_is_closed_as_interrupted_and_the_next_run_takes_over(tmp_path: Path):
    blog = SampleBlog(seed=4, post_count=30)
    db = tmp_path / "archive.db"
    with serve_blog(blog) as server:
        for post in blog.posts:
            server.slow_paths[post.url_path] = 0.1
        sites_file.add(tmp_path / "archive.sites.toml",
                       {"url": server.url, "concurrency": 1, **FAST})
        cron_job = subprocess.Popen(wixarchive("run-due", "--db", str(db)),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: saved_posts(db) >= 3, "the first posts to be saved")
        crawler = children_of(cron_job.pid)
        # kill -9 of everything, as an OOM killer or a power cut would.
        cron_job.kill()
        for pid in crawler:
            os.killpg(pid, signal.SIGKILL)
        cron_job.wait()
        wait_for(lambda: not is_locked(lock_path(db, server.url + "/")), "the crawler to die")

        runs = subprocess.run(wixarchive("runs", "--db", str(db), "--json"),
                              capture_output=True, text=True, timeout=60)
        # Its process is gone: `runs` closes it as interrupted, saying why.
        (killed,) = json.loads(runs.stdout)
        assert killed["status"] == "interrupted" and "ended before" in killed["first_error"]

        result = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        (outcome,) = json.loads(result.stdout)
        assert outcome["status"] == "ok"
        assert f"pid {cron_job.pid}" in outcome["stale_lock"]

    with Archive.open(db, readonly=True) as archive:
        for post in blog.posts:
            assert len(archive.versions(server.url + post.url_path)) == 1, post.url_path
        statuses = [r["status"] for r in archive.runs(10)]
    assert statuses == ["ok", "interrupted"]  # the killed run, closed by the one that took over


def runs_by_site(db: Path) -> dict[str, list[dict]]:
    """Each site's runs, oldest first."""
    try:
        with Archive.open(db, readonly=True) as archive:
            rows = archive.runs(100)
    except ArchiveError:  # not created yet
        return {}
    grouped: dict[str, list[dict]] = {}
    for row in reversed(rows):
        grouped.setdefault(row["site"], []).append(row)
    return grouped


def test_schedule_starts_a_site_that_falls_due_while_a_slow_site_crawls(tmp_path: Path):
    slow_blog, quick_blog = SampleBlog(seed=5, post_count=40), SampleBlog(seed=6, post_count=3)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(slow_blog) as slow, serve_blog(quick_blog) as quick:
        for post in slow_blog.posts:  # one post every 0.5 s: 20 s for the whole site
            slow.slow_paths[post.url_path] = 0.5
        sites_file.add(sites, {"url": slow.url, "every": "1d", "concurrency": 1, **FAST})
        sites_file.add(sites, {"url": quick.url, "every": "5s", **FAST})
        slow_site, quick_site = slow.url + "/", quick.url + "/"
        service = subprocess.Popen(wixarchive("schedule", "--db", str(db), "--poll", "1"),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Both start together; the quick site falls due again 5 s after its first crawl
            # started, while the slow one still crawls.
            wait_for(lambda: [r["status"] for r in runs_by_site(db).get(quick_site, [])]
                     [:2] == ["ok", "ok"], "the quick site's second crawl")
            slow_runs = runs_by_site(db)[slow_site]
            service.send_signal(signal.SIGTERM)
            out, err = service.communicate(timeout=120)
        finally:
            if service.poll() is None:
                service.kill()
    assert [r["status"] for r in slow_runs] == ["running"], slow_runs  # not held up by it
    assert service.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "stopped (SIGTERM)" in out
    # The stop reached the slow site's crawler, in its own batch: it saved what it had.
    (slow_run,) = runs_by_site(db)[slow_site]
    assert slow_run["status"] == "interrupted" and 0 < slow_run["counts"]["new"] < 40
    assert not is_locked(lock_path(db, slow_site)) and not is_locked(lock_path(db, quick_site))


def test_run_due_takes_each_sites_media_options_from_the_sites_file(tmp_path: Path):
    pytest.importorskip("PIL.Image", reason="Pillow (the test extra) renders the images")
    from crawler.sample_site.export import image_urls
    from crawler.sample_site.server import media_bytes

    no_media, capped = SampleBlog(seed=7, post_count=4), SampleBlog(seed=8, post_count=4)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    cap = 0.0001  # MB: 104 bytes, between the sizes of the sample images (80 to ~700 bytes)
    with serve_blog(no_media) as first, serve_blog(capped) as second, \
            serve_blog(no_media, host="127.0.0.2") as media:
        sites.write_text(f'[defaults]\ndelay = 0\nautothrottle = false\nmax_media_mb = {cap}\n'
                         f'[[site]]\nurl = "{first.url}"\nmedia = false\n'
                         f'[[site]]\nurl = "{second.url}"\n')
        result = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                capture_output=True, text=True, timeout=300,
                                env={**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{media.url}/media/"})
    assert result.returncode == 0, result.stderr
    assert [o["status"] for o in json.loads(result.stdout)] == ["ok", "ok"]
    with Archive.open(db, readonly=True) as archive:
        status = dict(archive.conn.execute("SELECT url, status FROM media").fetchall())
    # `media = false`: none of its images asked for; the other site's kept up to its cap.
    wanted = image_urls(capped)
    fetched = [path for path in media.request_log if path.startswith("/media/")]
    assert sorted(fetched) == sorted("/media/" + url.rsplit("/", 1)[1] for url in wanted)
    assert status == {url: "too-big" if len(media_bytes(url.rsplit("/", 1)[1])) > cap * 2**20
                      else "stored" for url in wanted}
    assert set(status.values()) == {"too-big", "stored"}


def test_run_due_json_records_have_the_same_counts_and_a_next_due_whatever_the_status(
        tmp_path: Path):
    """docs/operations.md promises one record per site in the same shape whatever its status:
    a not-due site's record had "counts": {} (rec["counts"]["new"] raised KeyError), and a site
    just crawled had "next_due": null, though `sites list --json` knew it."""
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(SampleBlog(seed=9, post_count=3)) as server:
        daily_site(sites, server.url)
        crawled = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                 capture_output=True, text=True, timeout=300)
        assert crawled.returncode == 0, crawled.stderr
        not_due = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                 capture_output=True, text=True, timeout=300)
    listed = subprocess.run(wixarchive("sites", "list", "--db", str(db), "--json"),
                            capture_output=True, text=True, timeout=300)
    assert not_due.returncode == 0 and listed.returncode == 0, (not_due.stderr, listed.stderr)
    (ok,), (waiting,), (site,) = (json.loads(r.stdout) for r in (crawled, not_due, listed))
    assert ok["status"] == "ok" and ok["counts"]["new"] == 3, ok
    assert waiting["status"] == "not-due", waiting
    assert waiting["counts"] == dict.fromkeys(ok["counts"], 0)
    assert waiting["counts"]["new"] == 0
    assert ok["next_due"] == waiting["next_due"] == site["next_due"] is not None


def test_a_site_that_moved_is_said_by_run_due_quiet_and_kept_with_its_run(tmp_path: Path):
    """A scheduled blog whose address now redirects to a new domain: its crawl is ok, so
    `run-due --quiet` printed nothing and `runs` showed a plain ok row; the move was said only
    in the line --quiet hides. A cron user never heard of it. Now --quiet prints the site's
    line, and the run keeps the move first among its errors, which `runs` shows."""
    blog = SampleBlog(seed=10, post_count=3)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        daily_site(sites, old_home.url)
        before = subprocess.run(wixarchive("run-due", "--db", str(db), "--quiet"),
                                capture_output=True, text=True, timeout=300)
        old_home.moved_to = new_home.url
        moved = subprocess.run(wixarchive("run-due", "--db", str(db), "--quiet", "--force"),
                               capture_output=True, text=True, timeout=300)
    assert (before.returncode, before.stdout) == (0, ""), before.stderr
    note = (f"moved: its address now redirects to {new_home.url}/, where it was crawled (name "
            f"{new_home.url}/ from now on: it continues this site)")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith(f"ok          {old_home.url}  3 posts: 0 new"), moved.stdout
    assert note in moved.stdout
    table = subprocess.run(wixarchive("runs", "--db", str(db)),
                           capture_output=True, text=True, timeout=300)
    records = subprocess.run(wixarchive("runs", "--db", str(db), "--json"),
                             capture_output=True, text=True, timeout=300)
    assert table.returncode == records.returncode == 0, (table.stderr, records.stderr)
    assert table.stdout.count("↳") == 1 and f"↳ {note}" in table.stdout, table.stdout
    assert [(r["status"], r["first_error"]) for r in json.loads(records.stdout)] == [
        ("ok", note), ("ok", None)]


def test_the_new_address_of_a_site_that_moved_continues_it(tmp_path: Path):
    """The advice a move calls for: list the new address in the sites file instead of the old.
    `sites add NEW` said nothing, and its crawl made a second site of no posts, asking every
    post again (3 post requests, nothing known); `stats` listed that empty site, `search
    --site NEW` found nothing, and run-due saw it as never crawled. Now the new address
    continues the archived site: its posts, known-post state and runs; `--site` takes either
    address."""
    blog = SampleBlog(seed=10, post_count=3)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        daily_site(sites, old_home.url)
        subprocess.run(wixarchive("run-due", "--db", str(db)), check=True, timeout=300)
        old_home.moved_to = new_home.url
        subprocess.run(wixarchive("run-due", "--db", str(db), "--force"), check=True,
                       timeout=300)
        added = subprocess.run(wixarchive("sites", "add", new_home.url, "--every", "1d",
                                          "--db", str(db)),
                               capture_output=True, text=True, timeout=300)
        subprocess.run(wixarchive("sites", "remove", old_home.url, "--db", str(db)),
                       check=True, timeout=300)
        new_home.request_log.clear()
        crawled = subprocess.run(wixarchive("run-due", "--db", str(db), "--force"),
                                 capture_output=True, text=True, timeout=300)
        asked = [path for path in new_home.request_log if "/post/" in path]
        new_home.request_log.clear()
        due = subprocess.run(wixarchive("run-due", "--db", str(db)),
                             capture_output=True, text=True, timeout=300)
        asked_again = list(new_home.request_log)
    old_root, new_root = old_home.url + "/", new_home.url + "/"
    assert added.returncode == 0, added.stderr
    assert f"{new_root} is where {old_root} moved" in added.stdout, added.stdout
    assert crawled.returncode == 0, crawled.stderr
    assert (f"3 posts: 0 new, 0 changed, 3 unchanged; continues the site archived at "
            f"{old_root}, whose address now redirects here") in crawled.stdout, crawled.stdout
    assert asked == []
    assert (due.returncode, asked_again) == (0, []), due.stdout  # crawled a moment ago
    with Archive.open(db, readonly=True) as archive:
        assert [(row["site"], row["posts"]) for row in archive.stats()] == [(old_root, 3)]
        assert [run["site"] for run in archive.runs()] == [old_root] * 3
    # The new address as a URL or a host, or part of its host only (until 2026-12-06: no
    # archived site matches '127.0.0.1'), and the old one.
    for address in (new_home.url, old_home.url, new_home.url.split("://")[1], "127.0.0.1"):
        found = subprocess.run(wixarchive("search", "--site", address, "--db", str(db),
                                          "--json", "--limit", "10"),
                               capture_output=True, text=True, timeout=300)
        assert found.returncode == 0, (address, found.stderr)
        assert len(json.loads(found.stdout)) == 3, (address, found.stdout)
    runs = subprocess.run(wixarchive("runs", "--site", new_home.url, "--db", str(db), "--json"),
                          capture_output=True, text=True, timeout=300)
    assert runs.returncode == 0, runs.stderr
    assert [run["site"] for run in json.loads(runs.stdout)] == [old_root] * 3


def test_an_address_the_blog_left_for_another_one_listed_is_not_crawled_twice(tmp_path: Path):
    """The sites file lists both addresses (the new one added, the old one not yet removed):
    run-due crawled the blog twice, the old address redirected to the new host each time, and
    `crawl OLD NEW` did the same. Now the old address is skipped with a line saying where the
    blog is crawled and how to stop listing it (--quiet shows it; exit 0); the new address
    continues the site."""
    blog = SampleBlog(seed=11, post_count=3)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        daily_site(sites, old_home.url)
        subprocess.run(wixarchive("run-due", "--db", str(db)), check=True, timeout=300)
        old_home.moved_to = new_home.url
        subprocess.run(wixarchive("run-due", "--db", str(db), "--force"), check=True,
                       timeout=300)
        subprocess.run(wixarchive("sites", "add", new_home.url, "--every", "1d", "--db",
                                  str(db)), check=True, capture_output=True, timeout=300)
        old_home.request_log.clear()
        quiet = subprocess.run(wixarchive("run-due", "--db", str(db), "--force", "--quiet"),
                               capture_output=True, text=True, timeout=300)
        both = subprocess.run(wixarchive("crawl", old_home.url, new_home.url, "--db", str(db),
                                         "--json", "--delay", "0", "--no-autothrottle",
                                         "--no-media"),
                              capture_output=True, text=True, timeout=300)
        asked_old = list(old_home.request_log)
    old_root, new_root = old_home.url + "/", new_home.url + "/"
    assert quiet.returncode == 0, quiet.stderr
    said = (f"the blog moved from here to {new_root}, also listed: crawled there, which "
            f"continues this site")
    assert quiet.stdout.startswith(f"skipped     {old_home.url}  {said} (wixarchive sites remove "
                                   f"{old_home.url})"), quiet.stdout
    assert quiet.stdout.count("\n") == 1, quiet.stdout  # the new address: ok, not shown
    assert both.returncode == 0, both.stderr
    skipped, crawled = json.loads(both.stdout)
    assert (skipped["status"], skipped["message"]) == (
        "skipped", f"{said} (this address can be left out)")
    assert crawled["message"].startswith("3 posts: 0 new, 0 changed, 3 unchanged; continues "
                                         f"the site archived at {old_root}"), crawled
    assert asked_old == []
    with Archive.open(db, readonly=True) as archive:
        assert [(row["site"], row["posts"]) for row in archive.stats()] == [(old_root, 3)]
        assert len(archive.runs()) == 4  # OLD twice, then NEW twice, as one site's


def test_a_run_run_due_records_for_a_crawl_of_a_moved_site_keeps_the_move(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Another process held the archive's write lock through a crawl of a site that had moved:
    the crawl could not record its run, and run-due recorded it once the archive was free,
    without the move (`runs` showed `↳ its run recorded after the crawl…` and no word of where
    the site lives now, as the crawl itself records it). Now the run keeps the move first."""
    from archive.schedule.runner import LATE, Runner
    from crawler.summary import moved_note

    class BusyThroughTheCrawl(Runner):
        def crawl_processes(self, batch: Any, ended: Callable[..., None]) -> None:
            ends: list[tuple[int, dict[str, Any]]] = []
            with write_lock(self.db):
                super().crawl_processes(batch, lambda *end: ends.append(end))
            for index, summary in ends:  # run-due records what the crawl could not
                ended(index, summary)

    blog = SampleBlog(seed=13, post_count=3)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(blog) as new_home, serve_blog(blog, host="127.0.0.2") as old_home:
        daily_site(sites, old_home.url)
        subprocess.run(wixarchive("run-due", "--db", str(db)), check=True, timeout=300)
        old_home.moved_to = new_home.url
        blog.edit_post(blog.posts[0].slug, paragraphs=["Changed after the move."])
        monkeypatch.setenv("WIXARCHIVE_BUSY_TIMEOUT_MS", "2000")
        (outcome,) = BusyThroughTheCrawl(db, sites).run_due(force=True)
    assert outcome.moved_to == new_home.url + "/", outcome
    assert LATE in outcome.message, outcome.message
    with Archive.open(db, readonly=True) as archive:
        latest = archive.runs()[0]
    assert latest["id"] == outcome.run_id
    assert latest["errors"][0] == moved_note(new_home.url + "/"), latest["errors"]
    assert LATE in latest["errors"], latest["errors"]


def test_run_due_refetch_fetches_every_post_in_full(tmp_path: Path):
    """`run-due --refetch`, as `crawl --refetch`: a post whose text changed while its lastmod,
    ETag and Last-Modified stayed (a conditional GET would get a 304) is archived anew."""
    blog = SampleBlog(seed=5, post_count=4)
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    with serve_blog(blog) as server:
        sites.write_text(f'{QUICK_DEFAULTS}[[site]]\nurl = "{server.url}"\n')
        first = subprocess.run(wixarchive("run-due", "--db", str(db)), capture_output=True,
                               text=True, timeout=300)
        assert first.returncode == 0, first.stderr
        post = blog.posts[2]
        etag = post.etag
        blog.edit_post(post.slug, paragraphs=["Rewritten, dates kept."], modified=post.modified)
        post.revision -= 1  # the archived copy's ETag again
        assert post.etag == etag
        again = subprocess.run(wixarchive("run-due", "--db", str(db), "--force", "--refetch",
                                          "--json"),
                               capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    (outcome,) = json.loads(again.stdout)
    assert outcome["status"] == "ok", outcome
    with Archive.open(db, readonly=True) as archive:
        assert archive.post(server.url + post.url_path)["body"] == "Rewritten, dates kept."


def test_run_due_reports_every_bad_or_duplicate_entry_and_crawls_the_rest(tmp_path: Path):
    """One duplicate [[site]] made run-due crawl nothing and exit 1, naming only the first
    problem (and a bad URL's message named neither the file nor the site)."""
    blog = SampleBlog(seed=9, post_count=3)
    db = tmp_path / "archive.db"
    sites = tmp_path / "arch.sites.toml"
    with serve_blog(blog) as server:
        sites.write_text(f'{QUICK_DEFAULTS}[[site]]\nurl = "{server.url}"\n'
                         f'[[site]]\nurl = "htp//typo.example"\n'
                         f'[[site]]\nurl = "{server.url}/blog"\n'
                         f'[[site]]\nurl = "https://a.example"\nevery = "6 hours"\n')
        result = subprocess.run(wixarchive("run-due", "--db", str(db), "--sites", str(sites),
                                           "--quiet"),
                                capture_output=True, text=True, timeout=300)
        assert len([path for path in server.request_log if "/post/" in path]) == 3
    assert result.returncode == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"invalid     {sites} site #2 (htp//typo.example): 'https://htp//typo.example' is not "
        "a web site address: its host 'htp' is no domain name (a mistyped scheme, such as "
        "htp//?) (entry skipped)",
        f"invalid     {sites} site #3 ({server.url}/blog): same site as {server.url} "
        f"({server.url}/); keep one entry (entry skipped)",
        f"invalid     {sites} site #4 (https://a.example): '6 hours' is not a duration: write "
        "e.g. 30m, 6h, 2d or 1w (a month: 30d) (entry skipped)",
    ]
    with Archive.open(db, readonly=True) as archive:
        assert [(run["site"], run["status"]) for run in archive.runs(10)] == [
            (f"{server.url}/", "ok")]
    # `sites add` still refuses a second entry for a site.
    added = subprocess.run(wixarchive("sites", "add", f"{server.url}/post/x", "--sites",
                                      str(sites)), capture_output=True, text=True, timeout=60)
    assert added.returncode == 1 and added.stderr.startswith("Error: "), added.stderr


def test_run_due_into_a_closed_pipe_crawls_and_records_every_site(tmp_path: Path):
    """`run-due --force | head -1` (or a pipe into a command that does not exist): the reader is
    gone after the first line. Before, the next site's line raised BrokenPipeError inside the
    crawl: the crawler was killed, every site not yet reported recorded as `failed` ("could
    not run the crawl: [Errno 32] Broken pipe", with retry backoff), exit 1, locks left stale.
    A closed output is no site's failure: the crawls go on, are recorded, and locks released."""
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    blogs = [SampleBlog(seed=seed, post_count=4) for seed in (3, 4, 5)]
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(serve_blog(blog)) for blog in blogs]
        for server, blog in zip(servers[1:], blogs[1:], strict=True):  # end after the first
            for post in blog.posts:
                server.slow_paths[post.url_path] = 0.5
        for server in servers:
            sites_file.add(sites, {"url": server.url, "concurrency": 1, **FAST})
        read_end, write_end = os.pipe()
        run = subprocess.Popen(wixarchive("run-due", "--db", str(db), "--force",
                                          "--parallel", "2"),
                               stdout=write_end, stderr=subprocess.PIPE, text=True)
        os.close(write_end)
        with os.fdopen(read_end) as reader:  # `head -1`: one line, then the pipe is closed
            first = reader.readline()
        err = run.communicate(timeout=300)[1]
    assert first.startswith("ok "), first
    assert "Traceback" not in err and "Broken pipe" not in err, err
    assert run.returncode == 0, err
    with Archive.open(db, readonly=True) as archive:
        runs = archive.runs(10)
    assert sorted(r["site"] for r in runs) == sorted(s.url + "/" for s in servers)
    assert {r["status"] for r in runs} == {"ok"}, runs
    assert all(r["counts"]["new"] == 4 for r in runs)
    for server in servers:  # released cleanly: emptied, not left for a takeover as stale
        assert lock_path(db, server.url + "/").read_text() == ""


def test_a_run_found_busy_waits_the_busy_timeout_once_not_at_every_write(tmp_path: Path):
    """Another process holds the archive's write lock through a whole run-due (busy timeout
    15 s here). The crawl's run start waited the timeout in vain; before, its run's later
    writes each waited it again (the crawler's record of its run, then run-due's), 45 s and
    more for one site. Now they wait a tenth of it: the site's line comes after ~18 s, saying
    its run is not recorded, which is true: the archive holds no run. (The optional refresh of
    the search statistics after the crawls waits as briefly.)"""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    down = f"http://127.0.0.1:{closed_port()}/"
    sites_file.add(tmp_path / "archive.sites.toml", {"url": down, **FAST})
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "15000"}
    with write_lock(db):
        started = time.monotonic()
        result = subprocess.run(wixarchive("run-due", "--db", str(db), "--force", "--json"),
                                capture_output=True, text=True, timeout=300, env=env)
        seconds = time.monotonic() - started
    (outcome,) = json.loads(result.stdout)
    assert outcome["status"] == "failed" and "could not reach" in outcome["message"], outcome
    assert "this run is not recorded in the archive" in outcome["message"]
    assert seconds < 35, seconds
    with Archive.open(db, readonly=True) as archive:
        assert archive.runs(10) == []


def test_run_due_exits_75_when_the_archive_stayed_busy_through_a_crawl(tmp_path: Path):
    """Another process holds the archive's write lock through the whole crawl: the crawl stops
    as `interrupted`, "the archive stayed busy", as `wixarchive crawl` does, which exits 75.
    run-due exited 0, so cron took the run for a success; now it exits 75 too (try again
    later) and its JSON record says "archive_busy": true."""
    db = tmp_path / "archive.db"
    Archive.open(db).close()
    env = {**os.environ, "WIXARCHIVE_BUSY_TIMEOUT_MS": "3000"}
    with serve_blog(SampleBlog(seed=25, post_count=20)) as server:
        sites_file.add(tmp_path / "archive.sites.toml", {"url": server.url, **FAST})
        with write_lock(db):
            result = subprocess.run(wixarchive("run-due", "--db", str(db), "--json"),
                                    capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 75, result.stderr
    assert "Traceback" not in result.stderr
    (outcome,) = json.loads(result.stdout)
    assert outcome["status"] == "interrupted", outcome
    assert "the archive stayed busy" in outcome["message"], outcome
    assert outcome["archive_busy"] is True


def named(line: str) -> str:
    """The site a run-due line names: after its status, up to two spaces."""
    return line[12:].split("  ")[0]


def test_run_due_into_a_log_keeps_every_sites_line_and_a_total_naming_sites_as_listed(
        tmp_path: Path):
    """An archivist's cron line `run-due >> log`: the failed site's line went to stderr alone
    (the log held only the sites that went well), no Total line said how the run went, and a
    site listed as `http://host/blog` was named `http://host/` on its not-due line where
    `sites list` shows the address added. Now every site's line is on stdout, as listed (with
    its name), then the total; stderr has one line naming the site that failed."""
    db = tmp_path / "archive.db"
    sites = tmp_path / "archive.sites.toml"
    down = f"http://127.0.0.1:{closed_port()}"
    with serve_blog(SampleBlog(seed=11, post_count=3)) as first, \
            serve_blog(SampleBlog(seed=12, post_count=2), host="127.0.0.2") as second:
        sites.write_text(f'{QUICK_DEFAULTS}[[site]]\nurl = "{first.url}/blog"\nname = "Bakery"\n'
                         f'[[site]]\nurl = "{second.url}"\n[[site]]\nurl = "{down}"\n')
        crawled = subprocess.run(wixarchive("run-due", "--db", str(db)),
                                 capture_output=True, text=True, timeout=300)
        waiting = subprocess.run(wixarchive("run-due", "--db", str(db)),
                                 capture_output=True, text=True, timeout=300)
        as_json = subprocess.run(wixarchive("run-due", "--db", str(db), "--json", "--force",
                                            "--site", down),
                                 capture_output=True, text=True, timeout=300)
    listed = subprocess.run(wixarchive("sites", "list", "--db", str(db)),
                            capture_output=True, text=True, timeout=300)
    assert crawled.returncode == 1, crawled.stderr  # a site failed: cron must notice
    lines = crawled.stdout.splitlines()
    assert sorted(named(line) for line in lines[:-1]) == sorted(
        [f"{first.url}/blog (Bakery)", second.url, down]), lines
    assert any(line.startswith(f"failed      {down}  could not reach ") for line in lines)
    assert lines[-1].startswith("Total: 3 sites (1 failed, 2 ok), 5 posts: 5 new, 0 changed, "
                                "0 unchanged, in "), lines
    assert crawled.stderr == (f"Error: 1 site failed: {down} (each site's line says why)\n")
    # Not due: the sites named as `sites list` names them, and a total of the whole file.
    assert waiting.returncode == 0 and waiting.stderr == "", waiting.stderr
    shown = [named(line) for line in waiting.stdout.splitlines()[:-1]]
    assert sorted(shown) == sorted(line.split("  ")[0] for line in listed.stdout.splitlines()), (
        waiting.stdout, listed.stdout)
    assert waiting.stdout.splitlines()[-1].startswith("Total: 3 sites (3 not-due), in ")
    # --json: stdout stays one JSON array, stderr names the failed site all the same.
    assert as_json.returncode == 1
    assert [(r["url"], r["status"]) for r in json.loads(as_json.stdout)] == [(down, "failed")]
    assert as_json.stderr == f"Error: 1 site failed: {down} (each site's record says why)\n"
