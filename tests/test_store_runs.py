"""Run rows record their process, so a run left `running` by a process that is gone is told
from one under way, and closed as interrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from archive.cli import main
from archive.store import Archive
from crawler.extract.record import Article


def test_runs_of_dead_processes_are_closed_and_live_ones_left(tmp_path: Path):
    db = tmp_path / "archive.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    with Archive.open(db) as archive:
        dead = archive.start_run("https://a.example/", pid=int(gone.stdout))
        mine = archive.start_run("https://b.example/")
        # This process exists, but started long after this run: its pid was reused.
        reused = archive.start_run("https://c.example/", started_at="2020-01-01T00:00:00+00:00",
                                   pid=os.getpid())
    result = CliRunner().invoke(main, ["runs", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    with Archive.open(db, readonly=True) as archive:
        status = {run["id"]: run for run in archive.runs()}
    assert status[mine]["status"] == "running"
    for run_id in (dead, reused):
        assert status[run_id]["status"] == "interrupted"
        assert status[run_id]["finished_at"]
        assert "ended before the run was closed" in status[run_id]["errors"][0]


def test_a_killed_runs_note_is_kept_first_when_it_is_closed_or_noted_again(tmp_path: Path):
    """A note a running run keeps (a site's move, noted by `crawl --redis` as it learns it)
    stays first among its errors when the run is closed as its process died, and noting it
    again (the writer taking over) does not repeat it. Closing a killed run recorded only
    why, and the move was lost with the writer."""
    db = tmp_path / "archive.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    note = "moved: its address now redirects to https://b.example/, where it was crawled"
    with Archive.open(db) as archive:
        run_id = archive.start_run("https://a.example/", pid=int(gone.stdout))
        archive.note_run(run_id, note)
        assert archive.close_dead_runs() == 1
        archive.note_run(run_id, note)
        (run,) = archive.runs()
    assert run["status"] == "interrupted"
    assert run["errors"][0] == note and len(run["errors"]) == 2, run["errors"]
    assert "ended before the run was closed" in run["errors"][1]


def test_a_run_of_a_restored_backup_taken_mid_crawl_is_killed_and_ends_at_its_last_progress(
        tmp_path: Path):
    """A backup taken mid-crawl, restored: `stats` said the run was still "(running)", an
    export that "a crawl was running", and `check` closed it with a duration up to when check
    ran (41 s, then 1m03s, for a crawl of 13 s). Now each tells a running crawl by its site's
    lock, as `runs` does, and the closed run ends at the last progress it recorded."""
    site = "https://blog.example/"
    db = tmp_path / "archive.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)

    def post(slug: str) -> Article:
        return Article(url=f"{site}post/{slug}", title=slug, body_text=f"About {slug}.",
                       body_html=f"<p>About {slug}.</p>")

    with Archive.open(db) as archive:
        first = archive.start_run(site, started_at="2026-05-01T03:00:00+00:00")
        archive.save_article(post("old"), run_id=first, fetched_at="2026-05-01T03:00:05+00:00")
        archive.finish_run(first, status="ok", counts={"new": 1}, errors=[],
                           finished_at="2026-05-01T03:00:20+00:00")
        run = archive.start_run(site, started_at="2026-05-02T03:00:00+00:00",
                                pid=int(gone.stdout))
        archive.save_article(post("new"), run_id=run, fetched_at="2026-05-02T03:00:09+00:00")
        # The old post found unchanged, last: the crawl's last progress, 13 s in.
        archive.save_article(post("old"), run_id=run, fetched_at="2026-05-02T03:00:13+00:00")
    runner = CliRunner()
    stats = json.loads(runner.invoke(main, ["stats", "--db", str(db), "--json"]).output)
    assert stats["sites"][0]["last_status"] == "killed"
    assert "2026-05-01 03:00 (killed)" in runner.invoke(main, ["stats", "--db", str(db)]).output
    export = runner.invoke(main, ["export", "--db", str(db), "-", "--format", "jsonl", "--json"])
    assert export.exit_code == 0 and json.loads(export.stderr)["crawl_running"] is False
    checked = runner.invoke(main, ["check", "--db", str(db)])
    assert "Closed 1 crawl run " in checked.output
    row = json.loads(runner.invoke(main, ["runs", "--db", str(db), "--json"]).output)[0]
    assert (row["status"], row["finished_at"], row["seconds"]) == (
        "interrupted", "2026-05-02T03:00:13+00:00", 13)


def _old_code_run(db: Path, site: str, started_at: str) -> int:
    """A run row as a wixarchive older than schema v9 left it when Ctrl-C'd: `running`, no
    host, no pid."""
    with Archive.open(db) as archive, archive.transaction():
        site_id = archive.conn.execute("SELECT id FROM sites WHERE url = ?", (site,)).fetchone()
        return archive.conn.execute(
            "INSERT INTO crawl_runs (site_id, started_at, host, pid) VALUES (?, ?, NULL, NULL)",
            (site_id[0], started_at)).lastrowid


def test_a_run_of_an_older_wixarchive_is_closed_once_its_site_is_provably_not_crawled(
        tmp_path: Path):
    """An upgraded archive's run from before v9 (no host, no pid) stayed `running` for ever
    (after a crawl of its site, `runs`, `check`: "closed_runs": 0) and `runs` called it killed.
    It is closed as interrupted, at its last progress, once no crawl holds its site's lock or a
    later run of its site has finished; while its site's lock is held, and no later run has
    finished, it is left running."""
    from datetime import UTC, datetime

    from archive.schedule.locks import SiteLock, lock_path

    site = "https://blog.example/"
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.save_article(Article(url=f"{site}post/a", title="a", body_text="About a.",
                                     body_html="<p>About a.</p>"),
                             fetched_at="2026-05-01T03:00:00+00:00")
    old = _old_code_run(db, site, "2026-05-02T03:00:00+00:00")
    with Archive.open(db) as archive:
        archive.save_article(Article(url=f"{site}post/b", title="b", body_text="About b.",
                                     body_html="<p>About b.</p>"), run_id=old,
                             fetched_at="2026-05-02T03:00:07+00:00")
    runner = CliRunner()
    with SiteLock.acquire(lock_path(db, site), site=site, now=datetime.now(UTC)):
        checked = json.loads(runner.invoke(main, ["check", "--db", str(db), "--json"]).output)
        assert checked["closed_runs"] == 0  # a crawl holds the lock: it may be that run's
        with Archive.open(db) as archive:
            later = archive.start_run(site, started_at="2026-05-03T03:00:00+00:00")
            archive.finish_run(later, status="ok", counts={}, errors=[])
        checked = json.loads(runner.invoke(main, ["check", "--db", str(db), "--json"]).output)
        assert checked["closed_runs"] == 1  # a later run finished: it is not running
    row = json.loads(runner.invoke(main, ["runs", "--db", str(db), "--json"]).output)[1]
    assert (row["id"], row["status"], row["finished_at"], row["new"]) == (
        old, "interrupted", "2026-05-02T03:00:07+00:00", 1)
    assert "older wixarchive that recorded no process" in row["first_error"]

    other = _old_code_run(db, site, "2026-05-04T03:00:00+00:00")  # the newest run; lock free
    result = runner.invoke(main, ["runs", "--db", str(db)])
    assert "✗ killed" not in result.output and "> running" not in result.output
    with Archive.open(db, readonly=True) as archive:
        assert {r["id"]: r["status"] for r in archive.runs()}[other] == "interrupted"


def test_a_killed_run_that_counted_nothing_is_closed_with_the_versions_it_stored(
        tmp_path: Path):
    """A run killed under a wixarchive that counted only at its end showed `PAGES 0 NEW 0
    CHG 0` while the archive held 2 versions of it: closed, it counts them (new: a post's
    first version; changed: a later one)."""
    site = "https://blog.example/"
    db = tmp_path / "archive.db"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)

    def post(slug: str, text: str) -> Article:
        return Article(url=f"{site}post/{slug}", title=slug, body_text=text,
                       body_html=f"<p>{text}</p>")

    with Archive.open(db) as archive:
        archive.save_article(post("kept", "First text."), fetched_at="2026-05-01T03:00:00+00:00")
        run = archive.start_run(site, started_at="2026-05-02T03:00:00+00:00",
                                pid=int(gone.stdout))
        archive.save_article(post("kept", "Second text."), run_id=run,
                             fetched_at="2026-05-02T03:00:04+00:00")
        archive.save_article(post("fresh", "New post."), run_id=run,
                             fetched_at="2026-05-02T03:00:05+00:00")
    result = CliRunner().invoke(main, ["runs", "--db", str(db), "--json"])
    row = json.loads(result.output)[0]
    assert (row["status"], row["new"], row["changed"]) == ("interrupted", 1, 1)


def test_a_sites_newest_runs_are_read_by_an_index_without_its_older_runs(tmp_path: Path):
    """Every `run-due`, `runs` and `sites list` reads each site's newest runs. Through the
    index by site and start time, that read all of a site's runs and sorted them: months of
    hourly runs a site, for each site. The index by site and id gives the newest at once."""
    site = "https://blog.example/"
    with Archive.open(tmp_path / "archive.db") as archive:
        for day in range(1, 4):
            run = archive.start_run(site, started_at=f"2026-05-0{day}T03:00:00+00:00")
            archive.finish_run(run, status="ok", counts={}, errors=[])
        statements: list[str] = []
        archive.conn.set_trace_callback(statements.append)
        runs = archive.latest_runs(2, sites=[site])
        archive.conn.set_trace_callback(None)
        assert [run["started_at"][:10] for run in runs] == ["2026-05-03", "2026-05-02"]
        reads = [sql for sql in statements if "crawl_runs" in sql]
        assert reads
        for sql in reads:
            plan = [row[3] for row in archive.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
            assert "SEARCH r USING INDEX crawl_runs_site_id (site_id=?)" in plan, plan
            assert not any("TEMP B-TREE" in step for step in plan), plan


def test_stats_counts_each_sites_posts_from_an_index_without_reading_the_posts(
        tmp_path: Path):
    """`stats` sums each site's versions, words and deleted posts: columns stored after the
    bodies, so reading them from the posts read every post whole (7-24 s at 210,000 posts
    when the file was not in the page cache)."""
    with Archive.open(tmp_path / "archive.db") as archive:
        archive.save_article(Article(url="https://blog.example/post/a", title="A",
                                     body_text="Words here.", body_html="<p>Words here.</p>"))
        statements: list[str] = []
        archive.conn.set_trace_callback(statements.append)
        (row,) = archive.stats()
        archive.conn.set_trace_callback(None)
        assert (row["posts"], row["versions"], row["words"]) == (1, 1, 2)
        (sql,) = [sql for sql in statements if "FROM sites" in sql]
        plan = [step[3] for step in archive.conn.execute(f"EXPLAIN QUERY PLAN {sql}")]
        assert any("COVERING INDEX posts_site_totals" in step for step in plan), plan


def test_a_limit_past_sqlites_integers_lists_every_run(tmp_path: Path):
    # `runs --limit 100000000000000000000000` and runs(limit=10**23) ended in OverflowError's
    # traceback ("Python int too large to convert to SQLite INTEGER").
    import wixarchive

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        archive.start_run("https://a.example/")
        archive.start_run("https://b.example/")
        assert len(wixarchive.runs(archive, limit=10**23)) == 2
        assert len(wixarchive.runs(archive, site="b.example", limit=10**23)) == 1
    result = CliRunner().invoke(main, ["runs", "--db", str(db), "--format", "json",
                                       "--limit", str(10**23)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 2
