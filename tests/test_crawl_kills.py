"""Crawls killed hard (SIGKILL of the command, the crawler in its own session and its archive
worker, as a power cut or an OOM kill would) and resumed: nothing lost, nothing fetched or
stored twice, and each summary tells the truth. A small run of benchmarks/soak.py's soak."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from archive.store import Archive
from benchmarks.soak import Soak
from crawler.sample_site import SampleBlog, serve_blog

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


def test_killed_crawls_resume_without_losing_or_refetching_a_post(tmp_path: Path):
    blog = SampleBlog(seed=21, post_count=600)
    with serve_blog(blog) as server:
        soak = Soak(server, tmp_path / "archive.db", random.Random(21))
        # Each crawl killed at its first commit (a batch: up to 200 posts or 1 s of work), so
        # that work remains after each kill however fast the machine.
        for _ in range(3):
            soak.crawl(after_posts=1)
        soak.mutate(edits=6, adds=4, deletes=3)  # the site changes while the crawl is behind
        soak.crawl(after_posts=1)
        before = soak.rounds[-1]["posts_after"]
        final = soak.crawl()
        figures = soak.verify()

    # A run that finishes has archived every post, whatever the killed runs before it left.
    finished = [r for r in soak.rounds if not r["killed"]]
    assert [r["missing_after"] for r in finished] == [0] * len(finished), [
        r.get("summary", {}).get("message") for r in finished]
    assert figures["lost"] == [], f"{len(figures['lost'])} posts never archived"
    # The first three crawls were killed mid-way, with posts still to archive.
    assert all(r["killed"] and r["posts_after"] < 600 for r in soak.rounds[:3]), soak.rounds
    assert final["exit"] == 0 and not final["killed"]
    summary = final["summary"]
    assert summary["status"] == "ok"
    # The summary tells the truth: every post the killed runs did not commit is new now.
    live = {server.url + p.url_path for p in blog.posts}
    with Archive.open(tmp_path / "archive.db", readonly=True) as archive:
        assert live <= set(archive.known_posts(server.url))
    assert summary["counts"]["new"] == figures["archived_posts"] - before
    assert figures["duplicated"] == 0 and figures["wrong_versions"] == []
    assert figures["wrong_content"] == []
    assert figures["deletions_unmarked"] == []
    assert figures["runs_left_running"] == 0
    assert figures["check"], figures["check_output"]
    # No run fetched a post the archive already held unchanged when the run began.
    assert [r["refetched"] for r in soak.rounds] == [0] * len(soak.rounds)
    assert not any(r["traceback"] for r in soak.rounds)
