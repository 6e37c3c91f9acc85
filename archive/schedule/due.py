"""When is a site due? Pure functions of its schedule, its crawl history and an injected `now`.

A schedule is either `every = "6h"` (an interval counted from the start of the last crawl, so
crawl time does not make it drift) or `cron = "0 3 * * *"` (evaluated in the local time zone, as
cron does; `$TZ` changes it). On top of the schedule:

- a site never crawled is due at once;
- an interrupted crawl (stopped by a signal) or one whose process was killed (its run row still
  says `running`) is due at once, so it archives what that crawl missed;
- a failed crawl, or one stopped at its time limit (`timeout`: a site that hangs would otherwise
  be crawled again on every pass, forever), is retried after 1 h, 2 h, 4 h... (doubling with
  each failed or timed-out run in a row), but never later than its next regular slot: a
  transient outage does not cost a whole interval. The next crawl resumes a timed-out one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from archive.site_match import site_key
from archive.words import counted
from crawler.discover.urls import BadURL

RETRY_AFTER = timedelta(hours=1)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")
# Runs that count as failures, in a row: for the retry backoff and the failing sites.
FAILURES = ("failed", "timeout")


class ScheduleError(ValueError):
    """A schedule or duration the user wrote that cannot be understood (one line)."""


def parse_duration(text: str) -> timedelta:
    """"90s", "30m", "6h", "2d", "1w" or a sum such as "1h30m"."""
    compact = str(text).strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ScheduleError(f"{text!r} is not a duration: write e.g. 30m, 6h, 2d or 1w "
                            "(a month: 30d)")
    seconds = sum(int(n) * UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ScheduleError(f"{text!r}: a duration must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The inverse of parse_duration, largest units first: 90 min -> "1h30m"; days in weeks
    only when they are whole weeks (14d -> "2w", but 30d, a user's month, stays "30d", not
    "4w2d")."""
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, UNITS["d"])
    parts = [f"{days // 7}w" if days % 7 == 0 else f"{days}d"] if days else []
    for unit in "hms":
        count, seconds = divmod(seconds, UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_time(value: str) -> datetime:
    """An ISO timestamp as stored in the archive; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    every: timedelta | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, every: str | None = None, cron: str | None = None) -> Schedule:
        if every and cron:
            raise ScheduleError("give either `every` or `cron`, not both")
        if cron:
            from croniter import croniter  # 50 ms of imports, only for cron schedules

            if not croniter.is_valid(cron):
                raise ScheduleError(f"{cron!r} is not a cron expression "
                                    "(five fields: minute hour day month weekday)")
            return cls(cron=cron)
        if not every:
            raise ScheduleError("a schedule needs `every` or `cron`")
        return cls(every=parse_duration(every))

    def next_after(self, last: datetime, tz: tzinfo | None = None) -> datetime:
        """The first slot after a crawl that started at `last`."""
        if self.every is not None:
            return last + self.every
        from croniter import croniter

        # cron fields mean local wall-clock time; croniter handles DST in an aware datetime.
        local = last.astimezone(tz)
        return croniter(self.cron, local).get_next(datetime).astimezone(UTC)

    def describe(self) -> str:
        return f"every {format_duration(self.every)}" if self.every else f"cron {self.cron}"


@dataclass(frozen=True)
class SiteHistory:
    """What scheduling needs from a site's crawl_runs rows."""

    last: dict[str, Any] | None = None  # the newest run row
    failures: int = 0                   # failed (or timed-out) runs in a row, from the newest
    last_ok: str | None = None          # start of the newest ok or partial run
    last_error: str | None = None       # first error of the newest failed run that has one


def history_key(root: str) -> str:
    """The key history_by_site files a site's runs under: one for all its spellings (site_key:
    http and https, `www.` or not), as a crawl of https://blog/ may record its runs under the
    http://blog/ archived; a root that is no site URL is its own key."""
    try:
        return site_key(root)
    except BadURL:
        return root


def history_by_site(rows: Iterable[dict[str, Any]],
                    depth: int | None = None) -> dict[str, SiteHistory]:
    """Group crawl_runs rows (newest first, as Archive.runs returns them) by site, the runs of
    all its spellings together, keyed by history_key: so a site scheduled as https that fails
    under its archived http spelling still counts its failures. `depth`: the rows hold each
    spelling's `depth` newest runs (Archive.latest_runs), of which a site's `depth` newest
    are its newest runs; past them, one spelling's older runs would follow the other's newest
    as if none came between."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, str] = {}  # history_key costs ~0.2 ms: once a site, not once a run
    for row in rows:
        key = keys.get(row["site"]) or keys.setdefault(row["site"], history_key(row["site"]))
        grouped.setdefault(key, []).append(row)
    result = {}
    for site, runs in grouped.items():
        runs = runs[:depth]
        failures, last_ok, last_error = 0, None, None
        for run in runs:
            if run["status"] in ("ok", "partial"):
                last_ok = run["started_at"]
                break
            if run["status"] in FAILURES:
                failures += 1
                # Why the site fails: an interrupted run in between (no error) says nothing.
                if last_error is None and run.get("errors"):
                    last_error = run["errors"][0]
        result[site] = SiteHistory(last=runs[0], failures=failures, last_ok=last_ok,
                                   last_error=last_error)
    return result


@dataclass(frozen=True)
class Due:
    at: datetime | None  # when the site is (or was) due; None: never crawled
    reason: str

    def is_due(self, now: datetime) -> bool:
        return self.at is None or self.at <= now


def when_due(schedule: Schedule, history: SiteHistory | None, *,
             tz: tzinfo | None = None) -> Due:
    last = history.last if history else None
    if last is None:
        return Due(None, "never crawled")
    started = parse_time(last["started_at"])
    ended = parse_time(last["finished_at"]) if last.get("finished_at") else started
    if last["status"] == "running":
        return Due(started, "the last crawl never finished (its process was killed): resuming")
    if last["status"] == "interrupted":
        return Due(ended, "the last crawl was interrupted: resuming")
    regular = schedule.next_after(started, tz)
    if last["status"] in FAILURES:
        retry = ended + RETRY_AFTER * 2 ** (max(history.failures, 1) - 1)
        if retry < regular:
            return Due(retry, f"retry after {counted(history.failures, 'failed run')} in a row")
    return Due(regular, schedule.describe())
