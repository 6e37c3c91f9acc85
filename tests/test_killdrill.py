"""benchmarks/killdrill.py on a small blog: a crawl killed (SIGKILL of its whole tree) with image
downloads in flight, resumed, is found sound; and the drill's verdict does see a capture file
cut short (as a disk losing its tail would leave it), a stop that hung or printed a traceback,
and a drill whose moment never came, so a sound verdict means something."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.captures import captures_dir
from benchmarks.killdrill import Drill, stop_problems
from crawler.sample_site import SampleBlog, serve_blog

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


def test_a_crawl_killed_with_media_in_flight_resumes_sound_and_a_cut_capture_is_seen(
        tmp_path: Path):
    db = tmp_path / "archive.db"
    with serve_blog(SampleBlog(seed=4, post_count=60)) as server:
        drill = Drill(server, db)
        stopped = drill.stopped_at("media", "KILL")
        resumed = drill.resume()
        figures = drill.verify()
    assert stopped["landed"] and stopped["processes"] >= 3, stopped  # command, crawler, worker
    assert resumed["status"] == "ok" and not resumed["traceback"], resumed
    assert figures["images_expected"] > 0
    assert figures["sound"], figures
    assert figures["run_statuses"] == ["interrupted", "ok"]
    assert stop_problems("KILL", stopped, resumed) == []
    # A drill whose crawl ended before its moment tested nothing; a stop that hung, printed a
    # traceback or exited otherwise than the signal says, or a resume that failed, is a
    # failure of what the drill checks, whatever the archive then holds.
    for broken in ({**stopped, "landed": False}, {**stopped, "hung": True},
                   {**stopped, "traceback": True}, {**stopped, "exit": 0}):
        assert stop_problems("KILL", broken, resumed), broken
    assert stop_problems("INT", stopped, resumed)  # SIGKILL's -9, where Ctrl-C exits 130
    assert stop_problems("KILL", stopped, {**resumed, "exit": 1})
    assert stop_problems("KILL", stopped, {**resumed, "traceback": True})
    twice = {**stopped, "first_stop": {**stopped, "hung": True}}
    assert stop_problems("KILL", twice, resumed)

    for capture_file in captures_dir(db).iterdir():  # the killed crawl's and the resumed one's
        with capture_file.open("r+b") as f:
            f.truncate(capture_file.stat().st_size // 2)
    figures = drill.verify()
    assert not figures["sound"]
    assert figures["bad_capture_count"] > 0
    assert "truncated" in figures["bad_captures"][0], figures["bad_captures"]
