"""Kill drill: a crawl stopped at chosen moments, as production fails, then resumed and checked.

    nice .venv/bin/python benchmarks/killdrill.py [--posts 1500] [--signals KILL,INT,TERM]
        [--moments discovery,early,media,commit,end,twice] [--rounds 1] [--seed 3] [--json]

The sample blog (posts with images, served by the sample site as `make demo` does) is served on
127.0.0.1. For each signal and moment, a fresh archive: `wixarchive crawl URL --delay 0` starts
in a session of its own (the crawler starts another below it, with its archive worker), and is
stopped at that moment (`--rounds N`: the whole grid N times, each with a fresh archive):

- discovery: while the posts sitemap is being fetched (its answer held);
- early: once 20 post pages are answered, the next held;
- media: while image downloads are in flight (held), posts stored;
- commit: the moment the archive's WAL grows (a batch being written), once a share of the
  posts is in (a third in the first round, a random fifth to four fifths in the next ones);
- end: once 97% of the posts are stored;
- twice: stopped a quarter in, resumed and stopped again once half of the rest is stored.

KILL is SIGKILL of the whole process tree (each process stopped first, as a power cut: nothing
runs on); INT and TERM go to the command's process group, as Ctrl-C in a terminal or `kill`
would, and the drill waits for every process of the tree to end. Then a crawl runs to its end
and the drill checks, against the site: every post archived exactly once, with its content and
one version; every image of every post stored, its capture readable; every version's capture
present and whole (its gzip member inside the file, a WARC record); `wixarchive check` clean;
no run left `running`; `stats` counting what the posts table holds.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.captures import captures_dir  # noqa: E402
from archive.store import Archive  # noqa: E402
from benchmarks.soak import Soak, archived_posts, kill_tree, process_tree, wixarchive  # noqa: E402
from crawler.sample_site import BlogServer, SampleBlog, serve_blog  # noqa: E402
from crawler.sample_site.server import Gate  # noqa: E402

MOMENTS = ("discovery", "early", "media", "commit", "end", "twice")
SIGNALS = {"KILL": signal.SIGKILL, "INT": signal.SIGINT, "TERM": signal.SIGTERM}
STOP_PATIENCE = 60.0  # seconds a crawl may take to stop on INT or TERM before it counts as hung
# The command's exit status each stop leaves: killed by SIGKILL; 130 and 143 as a shell reports
# Ctrl-C and `kill` (docs/crawling.md).
STOP_EXITS = {"KILL": -signal.SIGKILL, "INT": 130, "TERM": 143}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wal_size(db: Path) -> int:
    try:
        return db.with_name(db.name + "-wal").stat().st_size
    except OSError:
        return -1


class Drill:
    def __init__(self, server: BlogServer, db: Path, commit_share: float = 1 / 3) -> None:
        self.server = server
        self.db = db
        self.soak = Soak(server, db, random.Random(0))  # its verdict: posts, versions, check
        self.posts = len(server.blog.posts)
        self.commit_share = commit_share  # of the posts stored before the kill at a commit

    def _start(self) -> subprocess.Popen[str]:
        command = wixarchive("crawl", self.server.url, "--db", str(self.db), "--json",
                             "--delay", "0", "--no-autothrottle")
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{self.server.url}/media/",
               "WIXARCHIVE_VIDEO_BASE": f"{self.server.url}/"}
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env=env)

    def _stop(self, proc: subprocess.Popen[str], how: str) -> dict[str, Any]:
        """Stop the crawl `how`; returns what it did."""
        tree = process_tree(proc.pid)
        stored = archived_posts(self.db)
        began = time.monotonic()
        if how == "KILL":
            kill_tree(proc.pid)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, SIGNALS[how])
        if self.server.gate is not None:
            # The held answers go out, as a live server's would: a clean stop waits for the
            # downloads under way (up to the download timeout), and the drill times the stop.
            self.server.gate.release()
            self.server.gate = None
        hung = False
        while any(map(_alive, tree)) or proc.poll() is None:
            if time.monotonic() - began > STOP_PATIENCE:
                hung = True
                for pid in tree:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        _out, err = proc.communicate()
        return {"processes": len(tree), "stored_at_stop": stored,
                "stop_seconds": round(time.monotonic() - began, 2), "hung": hung,
                "exit": proc.returncode, "traceback": "Traceback" in err,
                "stderr_tail": err.strip().splitlines()[-1:] if "Traceback" in err else []}

    def _wait(self, proc: subprocess.Popen[str], ready: Any, what: str,
              interval: float = 0.02) -> bool:
        """Wait until `ready()`; False if the crawl ended first."""
        while not ready():
            if proc.poll() is not None:
                print(f"  the crawl ended before {what}", file=sys.stderr)
                return False
            time.sleep(interval)
        return True

    def stopped_at(self, moment: str, how: str) -> dict[str, Any]:
        """One crawl (two for `twice`) stopped at `moment`."""
        n = self.posts
        gate = None
        if moment == "discovery":
            gate = Gate("/blog-posts-sitemap.xml")
        elif moment == "early":
            gate = Gate("/post/", allow=20)
        elif moment == "media":
            gate = Gate("/media/", allow=30)
        self.server.gate = gate
        proc = self._start()
        if gate is not None:
            landed = self._wait(proc, lambda: gate.held > 0, f"a held {gate.prefix} request")
            if landed and moment == "media":
                landed = self._wait(proc, lambda: archived_posts(self.db) > 0, "a post stored")
        elif moment == "commit":
            share = int(n * self.commit_share)
            landed = self._wait(proc, lambda: archived_posts(self.db) >= share,
                                f"{share} posts stored")
            size = _wal_size(self.db)
            landed = landed and self._wait(proc, lambda: _wal_size(self.db) != size,
                                           "the WAL to grow", interval=0.0005)
        elif moment == "end":
            landed = self._wait(proc, lambda: archived_posts(self.db) >= n * 97 // 100,
                                "97% stored", interval=0.005)
        else:  # twice
            landed = self._wait(proc, lambda: archived_posts(self.db) >= n // 4,
                                "a quarter stored")
            first = self._stop(proc, how)
            # The resumed crawl stopped once it stored half of what the first one left.
            after = archived_posts(self.db)
            target = after + max(1, (n - after) // 2)
            proc = self._start()
            landed = landed and after < n and self._wait(
                proc, lambda: archived_posts(self.db) >= target, f"{target} posts stored")
            second = self._stop(proc, how)
            second["first_stop"] = first
            second["landed"] = landed
            return second
        stopped = self._stop(proc, how)
        stopped["landed"] = landed
        return stopped

    def resume(self) -> dict[str, Any]:
        proc = self._start()
        out, err = proc.communicate()
        try:
            summary = json.loads(out)
        except ValueError:
            summary = {"status": "no summary", "message": err.strip()[-300:]}
        return {"exit": proc.returncode, "status": summary.get("status"),
                "new": summary.get("counts", {}).get("new"), "traceback": "Traceback" in err}

    def verify(self) -> dict[str, Any]:
        figures = self.soak.verify()
        url = self.server.url
        with Archive.open(self.db, readonly=True) as archive:
            conn = archive.conn
            duplicates = conn.execute(
                "SELECT count(*) - count(DISTINCT url) FROM posts").fetchone()[0]
            files = {row["id"]: captures_dir(self.db) / row["name"]
                     for row in conn.execute("SELECT id, name FROM capture_files")}
            bad_captures = []
            for row in conn.execute("""
                    SELECT v.capture AS ref, 'version' AS what FROM post_versions v
                    UNION ALL
                    SELECT m.capture, 'image' FROM images i
                    JOIN media m ON m.url = i.url WHERE m.status = 'stored'"""):
                capture = conn.execute("SELECT file_id, offset, length FROM captures "
                                       "WHERE record_id = ?", (row["ref"],)).fetchone()
                if capture is None:
                    bad_captures.append(f"{row['what']} {row['ref']}: no capture row")
                    continue
                problem = _unreadable(files.get(capture["file_id"]), capture["offset"],
                                      capture["length"])
                if problem:
                    bad_captures.append(f"{row['what']} {row['ref']}: {problem}")
            images_missing, images_expected = [], 0
            for post in self.server.blog.posts:
                expected = set(post.expected()["images"])
                images_expected += len(expected)
                stored = {r[0] for r in conn.execute(
                    "SELECT i.url FROM images i JOIN posts p ON p.id = i.post_id "
                    "JOIN media m ON m.url = i.url AND m.status = 'stored' "
                    "WHERE p.url = ?", (url + post.url_path,))}
                if not expected <= stored:
                    images_missing.append(f"{post.url_path}: {len(expected - stored)} of "
                                          f"{len(expected)}")
            stats = archive.stats()
            statuses = [r[0] for r in conn.execute("SELECT status FROM crawl_runs ORDER BY id")]
        stats_posts = sum(row["posts"] for row in stats)
        figures.update(duplicate_rows=duplicates, images_expected=images_expected,
                       bad_captures=bad_captures[:10],
                       bad_capture_count=len(bad_captures), images_missing=images_missing[:10],
                       images_missing_count=len(images_missing),
                       stats_sane=stats_posts == figures["archived_posts"]
                       and stats[-1]["last_status"] == "ok",
                       run_statuses=statuses)
        figures["sound"] = (not figures["lost"] and not figures["duplicated"]
                            and not duplicates and not figures["wrong_versions"]
                            and not figures["wrong_content"] and not bad_captures
                            and not images_missing and figures["check"]
                            and not figures["runs_left_running"] and figures["stats_sane"])
        return figures


def stop_problems(how: str, stopped: dict[str, Any], resumed: dict[str, Any]) -> list[str]:
    """What went wrong with the stop `how` (and, for `twice`, the first one) or the resumed
    crawl, whatever the archive then holds: a drill whose crawl ended before its moment tested
    nothing, and a stop that hung, printed a traceback or exited otherwise than the signal says
    is what the drill is there to catch. Empty when all went as a user relies on."""
    problems = [] if stopped.get("landed", True) else ["the crawl ended before its moment"]
    for which, stop in (("first stop", stopped.get("first_stop")), ("stop", stopped)):
        if stop is None:
            continue
        if stop["hung"]:
            problems.append(f"{which}: hung past {STOP_PATIENCE:g} s")
        if stop["traceback"]:
            problems.append(f"{which}: traceback {stop['stderr_tail']}")
        if stop["exit"] != STOP_EXITS[how]:
            problems.append(f"{which}: exit {stop['exit']}, not {STOP_EXITS[how]}")
    if resumed["exit"] != 0 or resumed["traceback"] or resumed["status"] != "ok":
        problems.append(f"resumed: exit {resumed['exit']}, status {resumed['status']}"
                        f"{', traceback' if resumed['traceback'] else ''}")
    return problems


def _unreadable(path: Path | None, offset: int, length: int) -> str | None:
    """Why the gzip member at `offset` of `path` is not a whole WARC record, or None."""
    if path is None:
        return "no capture file row"
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read(length)
    except OSError as exc:
        return f"{path.name}: {exc.strerror}"
    if len(data) < length:
        return f"{path.name}: truncated ({len(data)} of {length} bytes at {offset})"
    try:
        record = gzip.decompress(data)
    except (OSError, EOFError) as exc:
        return f"{path.name}: not a whole gzip member at {offset} ({exc})"
    return None if record.startswith(b"WARC/1.") else f"{path.name}: not a WARC record"


def drill(posts: int, seed: int, signals: list[str], moments: list[str], rounds: int,
          workdir: Path) -> list[dict[str, Any]]:
    results = []
    blog = SampleBlog(seed=seed, post_count=posts)
    with serve_blog(blog) as server:
        for round_number, how, moment in itertools.product(range(rounds), signals, moments):
            rng = random.Random(f"{seed} {round_number} {how} {moment}")
            db = workdir / f"{round_number}-{how}-{moment}" / "archive.db"
            db.parent.mkdir(parents=True)
            run = Drill(server, db, rng.uniform(0.2, 0.8) if round_number else 1 / 3)
            began = time.monotonic()
            stopped = run.stopped_at(moment, how)
            resumed = run.resume()
            figures = run.verify()
            problems = stop_problems(how, stopped, resumed)
            row = {"round": round_number, "signal": how, "moment": moment,
                   "stopped": stopped,
                   "resumed": resumed, "seconds": round(time.monotonic() - began, 1),
                   "sound": figures["sound"] and not problems, "problems": problems,
                   **{k: figures[k] for k in (
                       "live_posts", "archived_posts", "lost", "duplicated",
                       "duplicate_rows", "wrong_versions", "wrong_content",
                       "bad_capture_count", "bad_captures", "images_expected",
                       "images_missing_count", "images_missing", "check", "check_output",
                       "runs_left_running", "stats_sane", "run_statuses")}}
            results.append(row)
            print(_line(row), file=sys.stderr, flush=True)
    return results


def _line(row: dict[str, Any]) -> str:
    stopped = row["stopped"]
    return (f"{row['round']} {row['signal']:4} {row['moment']:9} landed={stopped['landed']!s:5} "
            f"stored_at_stop={stopped['stored_at_stop']:5} stop={stopped['stop_seconds']:5}s "
            f"hung={stopped['hung']!s:5} resumed: {row['resumed']['status']} "
            f"new={row['resumed']['new']} | posts {row['archived_posts']}/{row['live_posts']} "
            f"lost={len(row['lost'])} dup={row['duplicated'] + row['duplicate_rows']} "
            f"bad_captures={row['bad_capture_count']} "
            f"images_missing={row['images_missing_count']}/{row['images_expected']} "
            f"check={row['check']} "
            f"running={row['runs_left_running']} stats={row['stats_sane']} "
            f"runs={','.join(row['run_statuses'])} "
            f"traceback={stopped['traceback'] or row['resumed']['traceback']} "
            f"{'SOUND' if row['sound'] else 'BROKEN'} ({row['seconds']} s)"
            + (f" problems: {'; '.join(row['problems'])}" if row["problems"] else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--signals", default="KILL,INT,TERM")
    parser.add_argument("--moments", default=",".join(MOMENTS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    signals = args.signals.split(",")
    moments = args.moments.split(",")
    if unknown := set(signals) - set(SIGNALS) | set(moments) - set(MOMENTS):
        parser.error(f"unknown: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="killdrill-") as workdir:
        results = drill(args.posts, args.seed, signals, moments, args.rounds,
                        Path(workdir))
    if args.json:
        print(json.dumps(results, indent=2))
    broken = [r for r in results if not r["sound"]]
    for row in broken:
        print(json.dumps({k: row[k] for k in ("signal", "moment", "problems", "lost",
                                               "wrong_versions", "wrong_content", "bad_captures",
                                               "images_missing", "check_output",
                                               "run_statuses", "stopped")}), file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
