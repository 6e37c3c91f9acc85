"""Kill soak: crawls of the sample site killed hard, again and again, then checked post by post.

    .venv/bin/python benchmarks/soak.py [--posts 600] [--kills 20] [--seed 1] [--json]

The sample blog is served on 127.0.0.1. Each round changes the site first (posts edited, added and
deleted), then runs `wixarchive crawl` as a user would (the posts' images served by the sample site
too) and kills it with SIGKILL of its whole process tree (the command, the crawler in its own
session, its archive worker) at a random moment: half the rounds after a random time, half once a
random number of posts more is committed (so some kills surely land mid-crawl). Rounds go on until
`--kills` crawls were killed; a last crawl then runs to the end. Then, against what the soak did to
the site:

- lost: live posts missing from the archive (or wrongly marked deleted);
- duplicated: versions beyond the changes made (each edit must give exactly one version);
- versions: posts whose version count is not 1 + their edits; content: posts whose stored title
  or text is not the site's current one; deletions: archived posts deleted on the site and not
  marked deleted;
- refetched: post pages requested although the archive held them unchanged when the run began;
- `wixarchive check` on the archive, and runs left `running`.

Then it kills a search-statistics refresh + optimize and an export at random moments, and shows
that the archive still checks clean and holds the same posts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.store import Archive, ArchiveError  # noqa: E402
from crawler.sample_site import BlogServer, SampleBlog, serve_blog  # noqa: E402


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def kill_tree(pid: int) -> int:
    """SIGKILL `pid` and all its descendants, as a power cut or an OOM kill of the group would:
    each is stopped first so none can start a new process meanwhile. Returns how many died."""
    stopped: list[int] = []
    while True:
        fresh = [p for p in process_tree(pid) if p not in stopped]
        if not fresh:
            break
        for p in fresh:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGSTOP)
            stopped.append(p)
    for p in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    return len(stopped)


def archived_posts(db: Path) -> int:
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            return archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    except ArchiveError:
        return 0


def wixarchive(*args: str) -> list[str]:
    return [sys.executable, "-m", "archive.cli", *args]


class Soak:
    def __init__(self, server: BlogServer, db: Path, rng: random.Random) -> None:
        self.server = server
        self.blog = server.blog
        self.db = db
        self.rng = rng
        self.edits: Counter[str] = Counter()  # slug -> edits made to it
        self.deleted: list[str] = []
        self.rounds: list[dict[str, Any]] = []

    # -- the site changes --------------------------------------------------------------------

    def _archived(self) -> dict[str, dict[str, Any]]:
        try:
            with Archive.open(self.db, readonly=True, create=False) as archive:
                rows = archive.conn.execute(
                    "SELECT url, version, deleted_at FROM posts").fetchall()
        except ArchiveError:
            return {}
        return {row["url"]: dict(row) for row in rows}

    def _current(self) -> set[str]:
        """Slugs of live posts whose current content the archive holds."""
        archived = self._archived()
        held = set()
        for post in self.blog.posts:
            row = archived.get(self.server.url + post.url_path)
            if row and row["deleted_at"] is None and row["version"] == 1 + self.edits[post.slug]:
                held.add(post.slug)
        return held

    def mutate(self, edits: int, adds: int, deletes: int) -> None:
        # Only posts whose last edit is archived are edited again: then every edit must give
        # exactly one version, and the count of versions is exact.
        current = sorted(self._current())
        for slug in self.rng.sample(current, min(edits, len(current))):
            self.blog.edit_post(slug, paragraphs=[f"Edit {self.edits[slug] + 1} of {slug}: "
                                                  "the garden after the rain."])
            self.edits[slug] += 1
        for _ in range(adds):
            self.blog.add_post()
        for post in self.rng.sample(self.blog.posts, min(deletes, len(self.blog.posts))):
            self.blog.delete_post(post.slug)
            self.deleted.append(post.slug)

    # -- crawls ------------------------------------------------------------------------------

    def crawl(self, *, after_seconds: float | None = None,
              after_posts: int | None = None) -> dict[str, Any]:
        held = {f"/post/{slug}" for slug in self._current()}
        start = len(self.server.request_log)
        before = archived_posts(self.db)
        command = wixarchive("crawl", self.server.url, "--db", str(self.db), "--json",
                             "--delay", "0", "--no-autothrottle")
        # The posts' images (and videos) from the sample site, as `make demo` serves them: the
        # crawl a user runs, media included, without a request to Wix's CDN.
        env = {**os.environ, "WIXARCHIVE_MEDIA_BASE": f"{self.server.url}/media/",
               "WIXARCHIVE_VIDEO_BASE": f"{self.server.url}/"}
        began = time.monotonic()
        # A session of its own, as a terminal's job; the crawler starts another one below it.
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True, env=env)
        killed = 0
        while proc.poll() is None:
            late = after_seconds is not None and time.monotonic() - began >= after_seconds
            if late or (after_posts is not None
                        and archived_posts(self.db) >= before + after_posts):
                killed = kill_tree(proc.pid)
            time.sleep(0.02)
        out, err = proc.communicate()
        requests = self.server.request_log[start:]
        outcome = {
            "killed": bool(killed), "processes_killed": killed,
            "seconds": round(time.monotonic() - began, 2),
            "posts_before": before, "posts_after": archived_posts(self.db),
            "post_requests": sum(r.startswith("/post/") for r in requests),
            "refetched": sum(r in held for r in requests),
            "exit": proc.returncode,
            "traceback": "Traceback" in err,
        }
        if not killed:
            # A crawl that ran to its end must leave no live post out of the archive.
            archived = self._archived()
            outcome["missing_after"] = sum(
                self.server.url + post.url_path not in archived for post in self.blog.posts)
            try:
                outcome["summary"] = json.loads(out)
            except ValueError:
                outcome["summary"] = {"status": "no summary", "message": err.strip()[-300:]}
        self.rounds.append(outcome)
        return outcome

    # -- the verdict -------------------------------------------------------------------------

    def verify(self) -> dict[str, Any]:
        url = self.server.url
        lost, wrong_versions, duplicated, wrong_content = [], [], 0, []
        with Archive.open(self.db, readonly=True) as archive:
            for post in self.blog.posts:
                stored = archive.post(url + post.url_path)
                if stored is None or stored["deleted_at"]:
                    lost.append(post.url_path)
                    continue
                versions = len(archive.versions(url + post.url_path))
                expected = 1 + self.edits[post.slug]
                if versions != expected:
                    wrong_versions.append(f"{post.url_path}: {versions} versions, {expected} "
                                          "expected")
                    duplicated += max(0, versions - expected)
                truth = post.expected()
                if stored["title"] != truth["title"] or stored["body"] != truth["body_text"]:
                    wrong_content.append(post.url_path)
            unmarked = [slug for slug in self.deleted
                        if (row := archive.post(f"{url}/post/{slug}")) is not None
                        and not row["deleted_at"]]
            deleted_archived = sum(1 for slug in self.deleted
                                   if archive.post(f"{url}/post/{slug}") is not None)
            running = archive.conn.execute(
                "SELECT count(*) FROM crawl_runs WHERE status = 'running'").fetchone()[0]
            posts = archive.conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        check = subprocess.run(wixarchive("check", "--db", str(self.db)), cwd=REPO,
                               capture_output=True, text=True)
        return {"live_posts": len(self.blog.posts), "archived_posts": posts,
                "lost": lost, "duplicated": duplicated, "wrong_versions": wrong_versions,
                "wrong_content": wrong_content, "edits": sum(self.edits.values()),
                "deleted_on_site": len(self.deleted), "deleted_archived": deleted_archived,
                "deletions_unmarked": unmarked, "runs_left_running": running,
                "check": check.returncode == 0, "check_output": (check.stdout
                                                                 + check.stderr).strip()}


def soak(posts: int, kills: int, seed: int, *, workdir: Path) -> dict[str, Any]:
    """Run the soak; returns the figures (see verify) with the rounds."""
    rng = random.Random(seed)
    blog = SampleBlog(seed=seed, post_count=posts)
    db = workdir / "soak.db"
    started = time.monotonic()
    with serve_blog(blog) as server:
        run = Soak(server, db, rng)
        estimate = 10.0  # seconds a full crawl takes, updated from the crawls that finish
        while sum(r["killed"] for r in run.rounds) < kills:
            if run.rounds:  # the site changes between runs, as real sites do
                step = max(1, posts // 60)
                run.mutate(edits=rng.randint(0, 2 * step), adds=rng.randint(0, step),
                           deletes=rng.randint(0, max(1, step // 2)))
            if len(run.rounds) % 2:
                outcome = run.crawl(after_seconds=rng.uniform(0.3, estimate))
            else:
                missing = len(blog.posts) - archived_posts(db)
                outcome = run.crawl(after_posts=rng.randint(1, max(1, missing - 1)))
            if not outcome["killed"]:
                estimate = max(2.0, outcome["seconds"])
            if len(run.rounds) > 4 * kills:
                raise SystemExit("the crawls keep finishing before they are killed")
        final = run.crawl()
        figures = run.verify()
    figures.update(kills=sum(r["killed"] for r in run.rounds), rounds=len(run.rounds),
                   refetched=sum(r["refetched"] for r in run.rounds),
                   missed_by_finished_runs=sum(r.get("missing_after", 0) for r in run.rounds),
                   tracebacks=sum(r["traceback"] for r in run.rounds),
                   final=final.get("summary", {}), seconds=round(time.monotonic() - started, 1),
                   round_log=run.rounds)
    figures["maintenance"] = _kill_maintenance(db, rng, workdir)
    return figures


def _kill_maintenance(db: Path, rng: random.Random, workdir: Path) -> list[dict[str, Any]]:
    """Kill a statistics refresh + optimize, then an export, at random moments: the archive must
    check clean and hold the same posts afterwards."""
    results = []
    jobs = {
        # Repeated, so that most of the process's life is the work itself, not Python starting.
        "stats refresh + optimize": [sys.executable, "-c",
                                     "import sys; from archive.store import Archive\n"
                                     "a = Archive.open(sys.argv[1])\n"
                                     "for _ in range(5):\n"
                                     "    a.refresh_search_stats(min_posts=0); a.optimize()",
                                     str(db)],
        "export (markdown)": wixarchive("export", "--format", "markdown", "--db", str(db),
                                        str(workdir / "export")),
    }
    for name, command in jobs.items():
        before = archived_posts(db)
        began = time.monotonic()
        full = subprocess.run(command, cwd=REPO, capture_output=True)  # how long it takes
        length = time.monotonic() - began
        for _ in range(5):  # until a kill lands while the job runs
            proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            at = rng.uniform(0.3, 0.9) * length
            time.sleep(at)
            killed = proc.poll() is None and kill_tree(proc.pid) > 0
            proc.wait()
            if killed:
                break
        check = subprocess.run(wixarchive("check", "--db", str(db)), cwd=REPO,
                               capture_output=True, text=True)
        results.append({"job": name, "full_run_exit": full.returncode,
                        "seconds": round(length, 2), "killed": killed,
                        "killed_at": round(at, 2), "posts_before": before,
                        "posts_after": archived_posts(db), "check": check.returncode == 0})
    return results


def print_table(figures: dict[str, Any]) -> None:
    rows = [
        ("crawls killed (SIGKILL of the whole tree)", figures["kills"]),
        ("crawl rounds (with the final one)", figures["rounds"]),
        ("posts live on the site at the end", figures["live_posts"]),
        ("posts in the archive (deleted ones kept)", figures["archived_posts"]),
        ("lost", len(figures["lost"])),
        ("posts left out by runs that finished", figures["missed_by_finished_runs"]),
        ("duplicated versions", figures["duplicated"]),
        ("edits made / posts with wrong version count", f"{figures['edits']} / "
                                                        f"{len(figures['wrong_versions'])}"),
        ("posts with wrong content", len(figures["wrong_content"])),
        ("deleted on site / of them archived / not marked deleted",
         f"{figures['deleted_on_site']} / {figures['deleted_archived']} / "
         f"{len(figures['deletions_unmarked'])}"),
        ("archived unchanged posts fetched again", figures["refetched"]),
        ("runs left `running`", figures["runs_left_running"]),
        ("tracebacks", figures["tracebacks"]),
        ("wixarchive check", "clean" if figures["check"] else figures["check_output"]),
        ("final crawl", figures["final"].get("message", "?")),
        ("wall time of the crawl rounds (s)", figures["seconds"]),
    ]
    for job in figures["maintenance"]:
        rows.append((f"killed during {job['job']}",
                     f"killed={job['killed']} at {job['killed_at']} s of {job['seconds']} s, "
                     f"posts {job['posts_before']}->"
                     f"{job['posts_after']}, check {'clean' if job['check'] else 'FAILED'}"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wixarchive-soak-") as tmp:
        figures = soak(args.posts, args.kills, args.seed, workdir=Path(tmp))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_table(figures)
    clean = (not figures["lost"] and not figures["duplicated"] and not figures["wrong_versions"]
             and not figures["wrong_content"] and not figures["deletions_unmarked"]
             and not figures["refetched"] and figures["check"]
             and not figures["missed_by_finished_runs"]
             and all(job["check"] and job["killed"] and job["posts_after"] == job["posts_before"]
                     for job in figures["maintenance"]))
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
