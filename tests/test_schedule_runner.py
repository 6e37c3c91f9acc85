"""The runner with an injected clock, sleep and crawl: which sites run when, what is recorded,
and that no site, lock or signal can stall or break the others. No Scrapy here (see
test_schedule_crawl.py for real crawls)."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archive.cli.run_due import exit_status
from archive.crawls import run_child
from archive.schedule import sites as sites_file
from archive.schedule.locks import lock_path
from archive.schedule.runner import Runner
from archive.store import Archive

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_sites(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    path = tmp_path / "archive.sites.toml"
    for entry in entries:
        sites_file.add(path, entry)
    return path


class FakeCrawl:
    """Records (site, time) per crawl; `behaviour` maps a site root to a status, an exception,
    or a callable run in the middle of the crawl."""

    def __init__(self, clock: FakeClock, behaviour: dict[str, Any] | None = None) -> None:
        self.clock = clock
        self.behaviour = behaviour or {}
        self.calls: list[tuple[str, datetime]] = []

    def __call__(self, site: sites_file.Site, lock: Any) -> dict[str, Any]:
        self.calls.append((site.root, self.clock()))
        action = self.behaviour.get(site.root, "ok")
        if isinstance(action, Exception):
            raise action
        if callable(action):
            action = action()
        counts = {"new": 3, "changed": 0, "unchanged": 0, "deleted": 0, "failed": 0}
        return {"site": site.root, "status": action, "message": f"{action} crawl",
                "counts": counts if action == "ok" else {}, "pages_fetched": 5}

    def sites(self) -> list[str]:
        return [site for site, _ in self.calls]


def runner_for(tmp_path: Path, sites: Path, clock: FakeClock,
               crawl: Callable[..., dict[str, Any]]) -> Runner:
    return Runner(tmp_path / "archive.db", sites, clock=clock, crawl=crawl)


def runs_of(tmp_path: Path) -> list[dict[str, Any]]:
    with Archive.open(tmp_path / "archive.db", readonly=True) as archive:
        return archive.runs(1000)


def test_only_due_sites_run_and_every_attempt_is_recorded_at_the_injected_time(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://a.example", "every": "6h"},
                       {"url": "https://b.example", "cron": "0 3 * * *"})
    clock = FakeClock()
    crawl = FakeCrawl(clock)
    runner = runner_for(tmp_path, sites, clock, crawl)

    first = runner.run_due()
    assert [o.status for o in first] == ["ok", "ok"]
    assert all(o.run_id for o in first)
    assert first[0].line().startswith("ok          https://a.example  ok crawl (5 pages")
    recorded = runs_of(tmp_path)
    assert {r["started_at"] for r in recorded} == {T0.isoformat(timespec="seconds")}

    clock.advance(hours=1)
    later = runner.run_due()
    assert [o.status for o in later] == ["not-due", "not-due"]
    assert later[0].next_due == (T0 + timedelta(hours=6)).isoformat(timespec="seconds")

    clock.advance(hours=5)  # 14:00 UTC: the 6-hourly site is due, the 03:00 one is not
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "UTC")
        assert [(o.site, o.status) for o in runner.run_due()] == [
            ("https://a.example/", "ok"), ("https://b.example/", "not-due")]
    assert crawl.sites() == ["https://a.example/", "https://b.example/", "https://a.example/"]
    assert len(runs_of(tmp_path)) == 3


def test_an_erroring_site_does_not_block_the_others_and_makes_the_exit_status_fail(tmp_path):
    sites = make_sites(tmp_path, *({"url": f"https://{n}.example"} for n in "abc"))
    clock = FakeClock()
    crawl = FakeCrawl(clock, {"https://a.example/": OSError("cannot start python"),
                              "https://b.example/": "failed"})
    outcomes = runner_for(tmp_path, sites, clock, crawl).run_due()
    assert [o.status for o in outcomes] == ["failed", "failed", "ok"]
    assert "could not run the crawl: cannot start python" in outcomes[0].message
    assert exit_status(outcomes, None) == 1
    assert {r["status"] for r in runs_of(tmp_path)} == {"failed", "ok"}
    assert exit_status(outcomes[2:], None) == 0


def test_a_site_that_keeps_failing_is_retried_with_backoff_and_says_so(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://down.example", "every": "1d"})
    clock = FakeClock()
    runner = runner_for(tmp_path, sites, clock, FakeCrawl(clock, {"https://down.example/":
                                                                  "failed"}))
    assert runner.run_due()[0].failures_in_a_row == 1
    clock.advance(minutes=59)
    assert runner.run_due()[0].status == "not-due"
    clock.advance(minutes=1)
    second = runner.run_due()[0]
    assert second.status == "failed" and second.failures_in_a_row == 2
    assert "2 failed runs in a row" in second.line()


def test_two_concurrent_run_due_share_the_sites_without_overlap(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://a.example"}, {"url": "https://b.example"})
    clock = FakeClock()
    seen: dict[str, list] = {}

    def second_invocation() -> str:
        # While the first run-due crawls a.example, cron starts another run-due.
        other = runner_for(tmp_path, sites, clock, crawl)
        seen["second"] = other.run_due()
        return "ok"

    crawl = FakeCrawl(clock, {"https://a.example/": second_invocation})
    first = runner_for(tmp_path, sites, clock, crawl).run_due()
    second = seen["second"]
    # The first locked every due site before crawling them together: the second crawls none.
    assert [(o.site, o.status) for o in second] == [("https://a.example/", "busy"),
                                                    ("https://b.example/", "busy")]
    assert f"pid {os.getpid()}" in second[0].message
    assert [(o.site, o.status) for o in first] == [("https://a.example/", "ok"),
                                                   ("https://b.example/", "ok")]
    assert sorted(crawl.sites()) == ["https://a.example/", "https://b.example/"]
    assert exit_status(first, None) == exit_status(second, None) == 0


def test_a_stale_lock_is_taken_over_and_reported(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://a.example"})
    path = lock_path(tmp_path / "archive.db", "https://a.example/")
    path.parent.mkdir()
    # What a killed holder leaves: its details, no flock (the kernel dropped it).
    path.write_text(json.dumps({"pid": 999999, "started_at": "2026-05-03T02:00:00+00:00",
                                "host": "box", "site": "https://a.example/"}))
    clock = FakeClock()
    (outcome,) = runner_for(tmp_path, sites, clock, FakeCrawl(clock)).run_due()
    assert outcome.status == "ok"
    assert "took over the stale lock of pid 999999 on box" in outcome.line()
    assert path.read_text() == ""  # released cleanly this time


def test_a_killed_crawls_running_row_is_closed_not_duplicated(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://a.example"})
    clock = FakeClock()
    db = tmp_path / "archive.db"

    def dies_after_starting_its_run() -> str:
        with Archive.open(db) as archive:
            archive.start_run("https://a.example/", started_at=T0.isoformat())
        return "interrupted"  # what crawl_site reports for a child killed by a signal

    runner = runner_for(tmp_path, sites, clock,
                        FakeCrawl(clock, {"https://a.example/": dies_after_starting_its_run}))
    (outcome,) = runner.run_due()
    (run,) = runs_of(tmp_path)
    assert run["id"] == outcome.run_id and run["status"] == "interrupted" and run["finished_at"]
    clock.advance(minutes=1)
    assert runner.run_due()[0].status == "interrupted"  # resumed at once, not after 1 day


def test_stop_during_a_crawl_skips_the_remaining_sites_and_resumes_next_time(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://a.example"}, {"url": "https://b.example"})
    clock = FakeClock()
    holder: dict[str, Runner] = {}

    def sigterm_arrives() -> str:
        holder["runner"].stop(signal.SIGTERM)
        return "interrupted"

    crawl = FakeCrawl(clock, {"https://a.example/": sigterm_arrives})
    runner = holder["runner"] = runner_for(tmp_path, sites, clock, crawl)
    outcomes = runner.run_due()
    assert [o.status for o in outcomes] == ["interrupted", "skipped"]
    assert exit_status(outcomes, runner.stop_signal) == 128 + signal.SIGTERM

    crawl.behaviour = {}
    clock.advance(minutes=1)
    again = runner_for(tmp_path, sites, clock, crawl).run_due()
    # b.example (never crawled) goes first, then a.example resumes.
    assert [(o.site, o.status) for o in again] == [("https://b.example/", "ok"),
                                                   ("https://a.example/", "ok")]


def test_scheduler_loop_follows_the_schedules_for_a_simulated_day(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://six.example", "every": "6h"},
                       {"url": "https://down.example", "every": "1d"})
    clock = FakeClock()
    crawl = FakeCrawl(clock, {"https://down.example/": "failed"})
    runner = runner_for(tmp_path, sites, clock, crawl)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        runner.wait_for_batches()  # simulated crawls take no time: the clock waits for them
        sleeps.append(seconds)
        clock.advance(seconds=seconds)
        if clock.now >= T0 + timedelta(hours=23):
            runner.stop()

    runner.serve(poll=3600, sleep=sleep)
    hours = {site: [round((t - T0).total_seconds() / 3600, 2) for s, t in crawl.calls
                    if s == site] for site in ("https://six.example/", "https://down.example/")}
    assert hours["https://six.example/"] == [0, 6, 12, 18]
    assert hours["https://down.example/"] == [0, 1, 3, 7, 15]  # retries back off: 1, 2, 4, 8 h
    assert max(sleeps) <= 3600


def test_scheduler_survives_a_broken_sites_file_and_picks_up_the_fix(tmp_path):
    sites = tmp_path / "archive.sites.toml"
    sites.write_text("[[site]\n")
    clock = FakeClock()
    crawl = FakeCrawl(clock)
    runner = runner_for(tmp_path, sites, clock, crawl)
    warnings: list[str] = []

    def sleep(seconds: float) -> None:
        runner.wait_for_batches()
        clock.advance(seconds=seconds)
        if len(warnings) == 1 and not sites.read_text().startswith("#"):
            sites.unlink()
            sites_file.add(sites, {"url": "https://a.example"})
        if crawl.calls:
            runner.stop()

    runner.serve(poll=60, sleep=sleep, warn=warnings.append)
    assert len(warnings) == 1 and "not valid TOML" in warnings[0]
    assert crawl.sites() == ["https://a.example/"]


def test_a_crawl_stopped_at_its_time_limit_is_reported_as_a_timeout(tmp_path):
    sites = make_sites(tmp_path, {"url": "https://slow.example", "timeout": "30m"},
                       {"url": "https://next.example"})
    clock = FakeClock()

    def hits_the_limit(site: sites_file.Site, lock: Any) -> dict[str, Any]:
        if site.root == "https://next.example/":
            return {"status": "ok", "message": "fine"}
        return {"status": "interrupted", "timed_out": True, "posts": 12, "message": "..."}

    outcomes = runner_for(tmp_path, sites, clock, hits_the_limit).run_due()
    assert [o.status for o in outcomes] == ["timeout", "ok"]
    assert "stopped at its 30m time limit after 12 posts" in outcomes[0].message
    assert exit_status(outcomes, None) == 1
    # Recorded as a timeout, saying why: `runs` shows it so, not as interrupted.
    (run,) = [r for r in runs_of(tmp_path) if r["site"] == "https://slow.example/"]
    assert run["status"] == "timeout"
    assert run["errors"][0].startswith("stopped at its 30m time limit")
    # A site that hangs on every crawl is retried with backoff, as a failing one: not on every
    # pass (it was due again at once, for ever).
    clock.advance(minutes=1)
    waiting = runner_for(tmp_path, sites, clock, hits_the_limit).run_due()[0]
    assert waiting.status == "not-due" and "retry after 1 failed run in a row" in waiting.message
    clock.advance(hours=1)  # then resumed; the timeouts count as failures in a row
    again = runner_for(tmp_path, sites, clock, hits_the_limit).run_due()[0]
    assert again.status == "timeout" and again.failures_in_a_row == 2
    clock.advance(hours=1)  # the backoff doubles
    assert runner_for(tmp_path, sites, clock, hits_the_limit).run_due()[0].status == "not-due"


def test_a_stalled_crawler_is_stopped_at_its_time_limit():
    started: list[Any] = []
    code, timed_out = run_child([sys.executable, "-c", "import time; time.sleep(60)"],
                                on_start=started.append, timeout=0.2)
    assert timed_out and code == -signal.SIGTERM
    assert started[0].returncode == code


def test_a_crawler_that_ignores_sigterm_is_killed_after_the_grace_period():
    ignore = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
              "print(flush=True); time.sleep(60)")
    code, timed_out = run_child([sys.executable, "-c", ignore], timeout=0.5, grace=0.2)
    assert timed_out and code == -signal.SIGKILL


def test_a_run_the_crawl_could_not_record_is_recorded_as_its_line_says(tmp_path):
    """The archive stayed busy to the crawl's end: the crawler's run row still says `running`
    and its summary "this run is not recorded in the archive". run-due then recorded the run
    itself (as `partial`, 0 pages, with that error) while its line still said "not recorded"
    and 5 pages. Now the line and the row agree: recorded, 5 pages, why it was late."""
    from archive.schedule.runner import LATE
    from crawler.summary import NOT_RECORDED_ERROR, NOT_RECORDED_MESSAGE

    sites = make_sites(tmp_path, {"url": "https://a.example", "every": "1d"})
    busy = "the archive is busy: another process kept it locked for too long; try again"

    def crawl(site: sites_file.Site, lock: Any) -> dict[str, Any]:
        with Archive.open(tmp_path / "archive.db") as archive:
            archive.start_run(site.url)  # its start was recorded; its end met a busy archive
        return {"site": site.root, "status": "partial", "run_id": None, "pages_fetched": 5,
                "message": f"5 posts: 5 new, 0 changed, 0 unchanged{NOT_RECORDED_MESSAGE}",
                "counts": {"new": 5, "changed": 0, "unchanged": 0, "deleted": 0, "failed": 0},
                "errors": [f"{NOT_RECORDED_ERROR}{busy}"], "run_not_recorded": busy,
                "archive_busy": True}

    (outcome,) = runner_for(tmp_path, sites, FakeClock(), crawl).run_due()
    assert outcome.archive_busy is False  # recorded now: nothing to run again (no exit 75)
    assert outcome.message == f"5 posts: 5 new, 0 changed, 0 unchanged; {LATE}"
    assert "not recorded" not in outcome.line() and outcome.pages_fetched == 5
    (run,) = runs_of(tmp_path)
    assert (run["id"], run["status"], run["errors"]) == (outcome.run_id, "partial", [LATE])
    assert run["counts"]["pages"] == 5 and run["counts"]["new"] == 5
