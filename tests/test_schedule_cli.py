"""`wixarchive runs` and the run-due command line, on archives filled through the store API."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from archive.cli import main
from archive.schedule import sites as sites_file
from archive.schedule.locks import SiteLock, lock_path
from archive.store import Archive
from tests.processes import running, wait_until

DOWN = "https://down.example/"
FINE = "https://fine.example/"


def wix(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def record(archive: Archive, site: str, status: str, day: int, error: str | None = None) -> None:
    run = archive.start_run(site, started_at=f"2026-05-{day:02d}T03:00:00+00:00")
    archive.finish_run(run, status=status, counts={"new": 1} if status == "ok" else {},
                       errors=[error] if error else [],
                       finished_at=f"2026-05-{day:02d}T03:01:00+00:00")


def history(db: Path) -> None:
    with Archive.open(db) as archive:
        record(archive, DOWN, "ok", 1)
        for day in (2, 3, 4):
            record(archive, DOWN, "failed", day, f"could not reach {DOWN}: DNS lookup failed")
        record(archive, FINE, "failed", 2, "HTTP 503")
        record(archive, FINE, "ok", 3)
        # Its process died: the run row names a process that is gone.
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
        archive.start_run(FINE, started_at="2026-05-04T03:00:00+00:00", pid=int(gone.stdout))


def test_runs_lists_history_and_a_site_that_keeps_failing_stands_out(tmp_path: Path):
    db = tmp_path / "archive.db"
    history(db)
    result = wix("runs", "--db", str(db))
    assert result.exit_code == 0
    table, _, failing = result.output.partition("Failing sites:")
    # `running`, but its process is gone: closed as interrupted, saying why.
    assert "interrupted" in table and "ended before the run was closed" in table
    assert "↳ could not reach" in table
    assert failing.strip().splitlines() == [
        f"✗ {DOWN}: 3 failed runs in a row (last ok 2026-05-01 03:00): "
        f"could not reach {DOWN}: DNS lookup failed"]

    check = wix("runs", "--db", str(db), "--failing")
    assert check.exit_code == 1 and DOWN in check.output and FINE not in check.output

    rows = json.loads(wix("runs", "--db", str(db), "--json", "--site", FINE + "post/x").output)
    assert [r["status"] for r in rows] == ["interrupted", "ok", "failed"]
    assert rows[1]["new"] == 1 and rows[1]["seconds"] == 60


def test_failing_sites_show_the_last_real_error_past_an_interrupted_run(tmp_path: Path):
    """A run stopped by SIGTERM records no error: before, the streak after it read "no error
    recorded", hiding why the site keeps failing."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        record(archive, DOWN, "failed", 1, "HTTP 500 on https://down.example/blog")
        record(archive, DOWN, "failed", 2, "HTTP 500 on https://down.example/")
        record(archive, DOWN, "interrupted", 3)
    failing = wix("runs", "--db", str(db), "--failing")
    assert failing.exit_code == 1
    assert failing.output == (f"✗ {DOWN}: 2 failed runs in a row (never ok): "
                              "HTTP 500 on https://down.example/\n")
    (row,) = json.loads(wix("runs", "--db", str(db), "--failing", "--json").output)
    assert row["first_error"] == "HTTP 500 on https://down.example/"


def test_a_crawl_in_progress_shows_as_running_not_killed(tmp_path: Path):
    db = tmp_path / "archive.db"
    history(db)
    with Archive.open(db) as archive:  # a crawl by this (live) process
        archive.start_run(FINE)
    with SiteLock.acquire(lock_path(db, FINE), site=FINE, now=datetime.now(UTC)):
        rows = json.loads(wix("runs", "--db", str(db), "--json", "-n", "1").output)
    assert rows[0]["status"] == "running"


def test_run_due_refuses_a_missing_sites_file_instead_of_doing_nothing(tmp_path: Path):
    result = wix("run-due", "--db", str(tmp_path / "archive.db"))
    assert result.exit_code == 1
    assert "no sites file at" in result.output and "sites add" in result.output


def test_run_due_without_db_under_cron_names_the_working_directory_it_looked_in(
        tmp_path: Path):
    """A crontab line without --db runs in $HOME (systemd: /): cron mailed `no sites file at
    archive.sites.toml`, not saying where that was. The working directory is named now (for
    a --db given, the path given says it)."""
    home = tmp_path / "home"
    home.mkdir()
    environ = {k: v for k, v in os.environ.items() if k != "WIXARCHIVE_DB"}
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    for command in (["run-due", "--quiet"], ["schedule"]):
        result = subprocess.run([sys.executable, "-m", "archive.cli", *command],
                                capture_output=True, text=True, cwd=home,
                                env=environ, stdin=subprocess.DEVNULL, timeout=60)
        assert (result.returncode, result.stderr) == (1, (
            "Error: no sites file at archive.sites.toml: add a site with `wixarchive sites add "
            f"URL --db archive.db` (no --db given; the working directory is {home})\n"))


def test_run_due_quiet_prints_nothing_when_nothing_is_due(tmp_path: Path):
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        record(archive, FINE, "ok", 3)
    sites_file.add(tmp_path / "archive.sites.toml", {"url": FINE, "every": "1w"})
    env = {"WIXARCHIVE_NOW": "2026-05-04T04:00:00Z"}
    quiet = CliRunner().invoke(main, ["run-due", "--db", str(db), "-q"], env=env)
    assert quiet.exit_code == 0 and quiet.output == ""
    loud = CliRunner().invoke(main, ["run-due", "--db", str(db)], env=env)
    assert loud.output.startswith(
        f"not-due     {FINE}  next crawl 2026-05-10 03:00:00 UTC (every 1w)")


def test_the_next_crawl_of_a_frequent_site_is_shown_to_the_second(tmp_path: Path):
    """Right after an ok crawl of a site crawled every minute, "next crawl 18:50 UTC" read as
    now, or as past, when it meant 18:50:37."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        run = archive.start_run(FINE, started_at="2026-12-05T18:49:37+00:00")
        archive.finish_run(run, status="ok", counts={"new": 1}, errors=[],
                           finished_at="2026-12-05T18:49:41+00:00")
    sites_file.add(tmp_path / "archive.sites.toml", {"url": FINE, "every": "1m"})
    result = CliRunner().invoke(main, ["run-due", "--db", str(db)],
                                env={"WIXARCHIVE_NOW": "2026-12-05T18:49:42Z"})
    site, total = result.output.splitlines()
    assert site == f"not-due     {FINE}  next crawl 2026-12-05 18:50:37 UTC (every 1m)"
    assert re.fullmatch(r"Total: 1 site \(1 not-due\), in \d+\.\d s, "
                        r"finished 2026-12-05T18:49:4[2-9]\+00:00", total), total


def test_a_run_due_log_says_when_each_run_finished(tmp_path: Path):
    """`run-due >> log` from cron: no line said when it was written (and a one-site run printed
    no total), so a log of hourly runs could not tell them apart. The total, one site's too,
    ends with the run's time as the other outputs write one; the site lines are as before,
    `--quiet` prints nothing when all is well, and `--json` is the array it was."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        record(archive, FINE, "ok", 3)
    sites_file.add(tmp_path / "archive.sites.toml", {"url": FINE, "every": "1w"})
    log = []
    for now in ("2026-05-04T04:00:00Z", "2026-05-04T05:00:00Z"):
        run = CliRunner().invoke(main, ["run-due", "--db", str(db)], env={"WIXARCHIVE_NOW": now})
        assert run.exit_code == 0, run.output
        log += run.output.splitlines()
    finished = [line.split(", finished ")[-1] for line in log[1::2]]
    assert re.fullmatch(r"2026-05-04T04:00:\d\d\+00:00", finished[0]), log
    assert re.fullmatch(r"2026-05-04T05:00:\d\d\+00:00", finished[1]), log
    assert log[0] == log[2] == f"not-due     {FINE}  next crawl 2026-05-10 03:00:00 UTC (every 1w)"
    env = {"WIXARCHIVE_NOW": "2026-05-04T04:00:00Z"}
    assert CliRunner().invoke(main, ["run-due", "--db", str(db), "-q"], env=env).output == ""
    printed = CliRunner().invoke(main, ["run-due", "--db", str(db), "--json"], env=env).output
    assert [record["status"] for record in json.loads(printed)] == ["not-due"]


def wixarchive(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process."""
    return subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})},
                          cwd=Path(__file__).resolve().parents[1])


def test_a_label_no_site_has_is_an_error_not_nothing_to_do(tmp_path: Path):
    """Under cron, `run-due --label` with a typo crawled nothing and exited 0."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        record(archive, FINE, "ok", 3)
    sites_file.add(tmp_path / "archive.sites.toml", {"url": FINE, "every": "1w",
                                                     "labels": ["fr", "garden"]})
    env = {"WIXARCHIVE_NOW": "2026-05-04T04:00:00Z"}
    typo = wixarchive("run-due", "--db", str(db), "--label", "nosuch", env=env)
    assert typo.returncode == 1 and "Traceback" not in typo.stderr
    assert typo.stderr == (f"Error: no site has the label 'nosuch' in "
                           f"{tmp_path / 'archive.sites.toml'} (labels: fr, garden)\n")
    # A label that exists, whose sites are not due: nothing to do, and that is fine.
    known = wixarchive("run-due", "--db", str(db), "--label", "fr", env=env)
    assert known.returncode == 0 and known.stdout.startswith(f"not-due     {FINE}")


def test_runs_takes_a_sites_file_name_and_counts_only_scheduled_sites_as_failing(tmp_path: Path):
    db = tmp_path / "archive.db"
    history(db)  # DOWN: 3 failures in a row
    sites = tmp_path / "archive.sites.toml"
    sites_file.add(sites, {"url": FINE, "name": "Two"})
    # `run-due --site Two` takes the sites file's name: so does `runs --site`.
    named = wixarchive("runs", "--db", str(db), "--site", "two", "--json")
    assert named.returncode == 0, named.stderr
    assert {r["site"] for r in json.loads(named.stdout)} == {FINE}
    # DOWN is no longer in the sites file (removed, or a typo crawled once): not failing.
    failing = wixarchive("runs", "--db", str(db), "--failing")
    assert failing.returncode == 0 and failing.stdout == "No failing sites.\n"
    assert "Failing sites" not in wixarchive("runs", "--db", str(db)).stdout
    # Asked for by name, its streak still shows; and once scheduled again, it counts.
    asked = wixarchive("runs", "--db", str(db), "--failing", "--site", DOWN)
    assert asked.returncode == 1 and asked.stdout.startswith(f"✗ {DOWN}: 3 failed runs")
    sites_file.add(sites, {"url": DOWN})
    assert wixarchive("runs", "--db", str(db), "--failing").returncode == 1
    # `sites list` counts the streak in the words `runs` and run-due use ("failures" before).
    listed = wixarchive("sites", "list", "--db", str(db), "--now", "2026-05-04T04:00:00Z")
    assert f"{DOWN}  every 1d  last failed 2026-05-04 03:00 UTC (3 failed runs in a row); " \
        "next " in listed.stdout, listed.stdout
    # A sites file named but missing is an error, not "no failing sites".
    missing = wixarchive("runs", "--db", str(db), "--failing", "--sites",
                         str(tmp_path / "nosuch.toml"))
    assert missing.returncode == 1
    assert missing.stderr == f"Error: no sites file at {tmp_path}/nosuch.toml\n"


def test_a_site_failing_under_its_other_scheme_counts_as_failing(tmp_path: Path):
    """`sites add 127.0.0.1:18603` schedules https://127.0.0.1:18603/; its crawls failed and were
    recorded under http://127.0.0.1:18603/. `runs --failing` said "No failing sites." (exit 0)
    and the schedule saw a site never crawled: the runs of a site's spellings are one history."""
    db = tmp_path / "archive.db"
    plain = "http://127.0.0.1:18603/"
    with Archive.open(db) as archive:
        for day in (1, 2):
            record(archive, plain, "failed", day, f"could not reach {plain}: TLS handshake failed")
    sites = tmp_path / "archive.sites.toml"
    sites_file.add(sites, {"url": "https://127.0.0.1:18603", "every": "1d"})
    failing = wixarchive("runs", "--db", str(db), "--failing")
    assert failing.returncode == 1, failing.stdout
    assert failing.stdout == ("✗ https://127.0.0.1:18603/: 2 failed runs in a row (never ok): "
                              f"could not reach {plain}: TLS handshake failed\n")
    listed = wixarchive("sites", "list", "--db", str(db), "--json",
                        "--now", "2026-05-02T03:30:00Z")
    (row,) = json.loads(listed.stdout)
    # Retried after 2 h (2 failures in a row), not due at once as a site never crawled.
    assert (row["failures_in_a_row"], row["due_now"]) == (2, False)
    assert row["last_status"] == "failed"


def test_a_failing_site_is_found_however_many_runs_of_other_sites_came_after(tmp_path: Path):
    """An archive of hundreds of sites crawled daily: `runs --failing` read only the newest 200
    runs of the archive, so a site whose failures were older said "No failing sites." (exit 0),
    and `runs --site` read the newest 50 x --limit runs, so it listed none of the site's."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        for day in (1, 2, 3):
            record(archive, DOWN, "failed", day, "HTTP 503")
        for number in range(210):
            record(archive, f"https://blog{number}.example/", "ok", 4)
    failing = wix("runs", "--db", str(db), "--failing")
    assert failing.exit_code == 1
    assert failing.output == f"✗ {DOWN}: 3 failed runs in a row (never ok): HTTP 503\n"
    rows = json.loads(wix("runs", "--db", str(db), "--site", DOWN, "-n", "2", "--json").output)
    assert [(r["site"], r["started_at"][:10]) for r in rows] == [
        (DOWN, "2026-05-03"), (DOWN, "2026-05-02")]


def test_runs_of_a_site_among_busy_sites_are_all_shown(tmp_path: Path):
    """`runs --site X -n N` read the newest N×50 runs of every site and kept X's: a site whose
    runs were further back, behind busier sites, showed fewer runs than it had, or none.
    wixarchive.runs(site=...) the same."""
    import wixarchive as api

    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        record(archive, FINE, "failed", 1, "HTTP 503")
        record(archive, FINE, "ok", 2)
        with archive.transaction():  # 120 runs of other sites since: more than 2×50
            for n in range(120):
                archive.start_run(f"https://busy{n % 4}.example/",
                                  started_at=f"2026-05-03T{n // 60:02d}:{n % 60:02d}:00+00:00")
    shown = wixarchive("runs", "--db", str(db), "--site", "fine.example", "-n", "2", "--json")
    assert shown.returncode == 0, shown.stderr
    assert [(r["site"], r["status"]) for r in json.loads(shown.stdout)] == [
        (FINE, "ok"), (FINE, "failed")]
    with api.open(db) as archive:
        assert [r["status"] for r in api.runs(archive, site="fine.example", limit=1)] == ["ok"]
        assert len(api.runs(archive, site="busy1", limit=100)) == 30


def test_the_runs_table_counts_the_recaptured_posts(tmp_path: Path):
    """A re-crawl of 20 posts, 13 unchanged and 7 fetched again for a lost capture, read
    PAGES 55 NEW 0 CHG 0 SAME 13: the row did not add up to the posts crawled."""
    db = tmp_path / "archive.db"
    with Archive.open(db) as archive:
        run = archive.start_run(FINE, started_at="2026-05-01T03:00:00+00:00")
        archive.finish_run(run, status="ok", finished_at="2026-05-01T03:00:40+00:00", errors=[],
                           counts={"pages": 55, "unchanged": 13, "recaptured": 7})
    header, row = wix("runs", "--db", str(db)).output.splitlines()
    assert header.split()[-7:] == ["PAGES", "NEW", "CHG", "SAME", "RECAP", "DEL", "FAIL"]
    assert row.split()[-7:] == ["55", "0", "0", "13", "7", "0", "0"]
    # Each count under its heading.
    assert row.index(" 7 ") + 2 == header.index("RECAP") + len("RECAP")


def test_sites_list_of_a_sites_file_that_does_not_exist_is_an_error(tmp_path: Path):
    """`sites list --sites nosuch.toml --json` printed [] and exited 0, where run-due and crawl
    --sites with a wrong name exit 1; the default file, not created yet, is still no sites."""
    db = str(tmp_path / "archive.db")
    missing = wixarchive("sites", "list", "--db", db, "--sites", str(tmp_path / "nosuch.toml"),
                         "--json")
    assert missing.returncode == 1 and missing.stdout == "", missing.stdout
    assert missing.stderr == f"Error: no sites file at {tmp_path / 'nosuch.toml'}\n"
    default = wixarchive("sites", "list", "--db", db, "--json")
    assert default.returncode == 0 and json.loads(default.stdout) == [], default.stderr


def test_crawl_of_an_empty_sites_file_says_the_file_lists_no_site(tmp_path: Path):
    """It said "give at least one site URL (or --sites FILE)" though --sites was given."""
    empty = tmp_path / "emptysites.txt"
    empty.write_text("# none yet\n\n")
    result = wixarchive("crawl", "--sites", str(empty), "--db", str(tmp_path / "archive.db"))
    assert result.returncode == 1
    assert result.stderr == f"Error: {empty} lists no site: give one site URL per line\n"


def test_schedule_without_a_sites_file_exits_at_once_as_run_due_does(tmp_path: Path):
    """`schedule --db nosuch.db` with no sites file never exited: it said so every 60 s."""
    db = str(tmp_path / "nosuch.db")
    started = wixarchive("run-due", "--db", db)
    service = wixarchive("schedule", "--db", db)  # the helper's timeout guards a hang
    assert service.returncode == started.returncode == 1, service.stderr
    assert service.stderr == started.stderr, (service.stderr, started.stderr)
    assert service.stderr.startswith(f"Error: no sites file at {tmp_path / 'nosuch.sites.toml'}")
    assert service.stdout == ""


def test_schedule_writes_its_times_as_every_other_output_does(tmp_path: Path):
    """Its lines began 2026-12-06T01:46:04Z where every other output writes +00:00. A sites
    file that breaks (here: from the start) is still said and retried, not an exit."""
    sites = tmp_path / "archive.sites.toml"
    sites.write_text("[[site]\n")
    command = [sys.executable, "-m", "archive.cli", "schedule", "--db",
               str(tmp_path / "archive.db")]
    with running(command, cwd=Path(__file__).resolve().parents[1]) as (proc, stdout, stderr):
        wait_until(lambda: "retrying every" in stderr, "the broken sites file said", proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    lines = (stdout.finish() + stderr.finish()).splitlines()
    assert proc.returncode == 143, lines
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 ")
    assert len(lines) == 3 and all(stamp.match(line) for line in lines), lines


def test_a_second_schedule_on_one_archive_is_refused_naming_the_first(tmp_path: Path):
    """A second `schedule` on the archive ran on beside the first, saying only that each site
    was busy (the first's crawls held them), for ever; now it exits 1 at once naming the
    first, which runs on."""
    db = tmp_path / "archive.db"
    (tmp_path / "archive.sites.toml").write_text("[[site]\n")  # broken: retried, never crawled
    command = [sys.executable, "-m", "archive.cli", "schedule", "--db", str(db)]
    with running(command, cwd=Path(__file__).resolve().parents[1]) as (proc, stdout, stderr):
        wait_until(lambda: "retrying every" in stderr, "the first schedule started", proc)
        second = wixarchive("schedule", "--db", str(db))
        first_ran_on = proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert first_ran_on and proc.returncode == 143
    assert second.returncode == 1 and second.stdout == "", second.stdout
    assert re.fullmatch(
        rf"Error: another `wixarchive schedule` is running on {re.escape(str(db))}: pid "
        rf"{proc.pid} on {re.escape(socket.gethostname())}, since \S+; it crawls every due "
        rf"site already \(kill {proc.pid} stops it\)\n", second.stderr), second.stderr
    # Stopped, it leaves the archive to the next one.
    with running(command, cwd=Path(__file__).resolve().parents[1]) as (proc, stdout, stderr):
        wait_until(lambda: "retrying every" in stderr, "a schedule started again", proc)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 143


def test_a_site_archived_under_two_spellings_counts_its_newest_runs_only(tmp_path: Path):
    """An archive from before a crawl filed a site's runs under the spelling archived holds a
    row of each (http://, https://). Each spelling's 20 newest runs were read and counted as
    one history: after 20 failures under https, the older runs under http counted as failures
    in a row too, and their ok run as the last one, though an https run after them was ok."""
    db = tmp_path / "archive.db"
    secure, plain = "https://twin.example/", "http://twin.example/"
    with Archive.open(db) as archive:
        archive.conn.execute("INSERT INTO sites (url, first_seen) VALUES (?, '2026-04-01')",
                             (plain,))
        archive.conn.commit()
        record(archive, plain, "ok", 1)
        record(archive, plain, "failed", 2, "HTTP 503")
        archive.conn.execute("INSERT INTO sites (url, first_seen) VALUES (?, '2026-04-01')",
                             (secure,))
        archive.conn.commit()
        record(archive, secure, "ok", 3)
        for day in range(4, 24):
            record(archive, secure, "failed", day, "HTTP 500")
        assert archive.conn.execute("SELECT count(*) FROM sites").fetchone()[0] == 2
    failing = wix("runs", "--db", str(db), "--failing")
    assert failing.output == f"✗ {secure}: 20 failed runs in a row (never ok): HTTP 500\n"


def test_a_monthly_crawl_is_added_and_listed_as_the_user_wrote_it(tmp_path: Path) -> None:
    # A new user setting up a monthly crawl tried "monthly", then read "every 4w2d" for her 30d.
    db = str(tmp_path / "blog.db")
    refused = wix("sites", "add", FINE, "--every", "monthly", "--db", db)
    assert refused.exit_code == 2
    assert ("'monthly' is not a duration: write e.g. 30m, 6h, 2d or 1w (a month: 30d)"
            in refused.output)
    added = wix("sites", "add", FINE, "--every", "30d", "--db", db)
    assert added.output.startswith(f"Added {FINE} (every 30d) to ")
    # The file alone crawls nothing (she took "Added" for a crawl now scheduled): the line to
    # give cron follows, its command and archive by full paths, as cron needs them.
    assert added.output.splitlines()[1:] == [
        "Nothing crawls it by itself: to crawl what is due every hour, add this line with "
        "`crontab -e` (or leave `wixarchive schedule` running; docs/operations.md):",
        f"  17 * * * *  {Path(sys.executable).parent / 'wixarchive'} run-due --db {db} --quiet"]
    assert "every 30d" in wix("sites", "list", "--db", db).output
    fortnightly = wix("sites", "add", DOWN, "--every", "14d", "--db", db)
    assert f"Added {DOWN} (every 2w)" in fortnightly.output


def test_the_crontab_line_escapes_a_percent_sign_in_a_path(tmp_path: Path) -> None:
    """Cron reads a % in a command as a newline, in quotes too: a printed line for an archive
    in "100% vegan/blog.db" ran `run-due --db '/…/100` with the rest given as its input."""
    folder = tmp_path / "100% vegan"
    folder.mkdir()
    db = folder / "blog.db"
    added = wix("sites", "add", FINE, "--db", str(db))
    assert added.exit_code == 0, added.output
    line = added.output.splitlines()[2]
    escaped = str(db).replace("%", "\\%")
    assert line.endswith(f" run-due --db '{escaped}' --quiet"), line
    assert "%" not in line.replace("\\%", ""), line
