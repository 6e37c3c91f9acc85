"""When a site is due: intervals, cron in local time, failures retried sooner, resumes at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from archive.schedule.due import (
    Schedule,
    ScheduleError,
    history_by_site,
    parse_duration,
    when_due,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SITE = "https://blog.example/"


def run(status: str, started: datetime, minutes: int = 5, site: str = SITE) -> dict:
    finished = None if status == "running" else (started + timedelta(minutes=minutes)).isoformat()
    return {"site": site, "status": status, "started_at": started.isoformat(),
            "finished_at": finished}


def history(*runs: dict):
    return history_by_site(runs).get(SITE)


@pytest.mark.parametrize("text, seconds", [
    ("30m", 1800), ("6h", 21600), ("2d", 172800), ("1w", 604800), ("1h30m", 5400), ("90s", 90),
    (" 2D ", 172800),
])
def test_durations(text: str, seconds: int):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "6", "6x", "h", "0h", "-1h", "6h and more"])
def test_bad_durations_are_explained(text: str):
    with pytest.raises(ScheduleError):
        parse_duration(text)


def test_schedule_needs_exactly_one_of_every_and_cron():
    with pytest.raises(ScheduleError, match="not both"):
        Schedule.parse(every="1d", cron="0 3 * * *")
    with pytest.raises(ScheduleError, match="cron expression"):
        Schedule.parse(cron="61 * * * *")
    assert Schedule.parse(every="6h").describe() == "every 6h"


def test_never_crawled_site_is_due_at_once():
    due = when_due(Schedule.parse(every="1d"), None)
    assert due.is_due(T0) and due.reason == "never crawled"


def test_interval_counts_from_the_start_of_the_last_crawl():
    due = when_due(Schedule.parse(every="6h"), history(run("ok", T0, minutes=50)))
    assert due.at == T0 + timedelta(hours=6)
    assert not due.is_due(T0 + timedelta(hours=5, minutes=59))
    assert due.is_due(T0 + timedelta(hours=6))


def test_cron_is_local_wall_clock_time_across_dst():
    paris = ZoneInfo("Europe/Paris")
    schedule = Schedule.parse(cron="0 3 * * *")
    # 28 March 2026, 12:00 Paris (CET); the clocks go forward that night.
    last = datetime(2026, 3, 28, 11, 0, tzinfo=UTC)
    nxt = schedule.next_after(last, paris)
    assert nxt.astimezone(paris).hour == 3 and nxt.astimezone(paris).day == 29
    assert nxt == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    due = when_due(schedule, history(run("ok", last)), tz=paris)
    assert due.is_due(nxt) and not due.is_due(nxt - timedelta(minutes=1))


def test_failed_crawl_is_retried_with_backoff_but_never_after_its_regular_slot():
    daily = Schedule.parse(every="1d")
    one = history(run("failed", T0, minutes=0))
    assert when_due(daily, one).at == T0 + timedelta(hours=1)
    three = history(run("failed", T0, minutes=0), run("failed", T0 - timedelta(hours=2)),
                    run("failed", T0 - timedelta(hours=3)), run("ok", T0 - timedelta(days=1)))
    assert three.failures == 3
    assert when_due(daily, three).at == T0 + timedelta(hours=4)
    hourly = Schedule.parse(every="30m")
    assert when_due(hourly, three).at == T0 + timedelta(minutes=30)


def test_interrupted_or_killed_crawl_resumes_at_once():
    weekly = Schedule.parse(every="1w")
    interrupted = when_due(weekly, history(run("interrupted", T0, minutes=10)))
    assert interrupted.is_due(T0 + timedelta(minutes=10)) and "resuming" in interrupted.reason
    killed = when_due(weekly, history(run("running", T0)))
    assert killed.is_due(T0) and "killed" in killed.reason


def test_failure_streak_ignores_interruptions_and_stops_at_the_last_success():
    runs = [run("failed", T0), run("interrupted", T0 - timedelta(hours=1)),
            run("failed", T0 - timedelta(hours=2)), run("ok", T0 - timedelta(hours=3)),
            run("failed", T0 - timedelta(hours=4)), run("ok", T0, site="https://other.example/")]
    grouped = history_by_site(runs)
    assert grouped[SITE].failures == 2
    assert grouped[SITE].last_ok == (T0 - timedelta(hours=3)).isoformat()
    assert grouped["https://other.example/"].failures == 0
