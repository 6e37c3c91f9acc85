"""The benchmarks' own plumbing, each at its smallest size: that a benchmark runs and prints its
table, asks nothing of the network, and says so loudly when the real-world corpus it was asked
for is absent. No timings are checked here (docs/benchmarks.md has the figures)."""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.corpus import CORPUS_ENV, MISSING_EXIT
from crawler.sample_site import SampleBlog, serve_blog

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"


def run_benchmark(*args: str, env: dict[str, str] | None = None,
                  timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


@pytest.mark.skipif(shutil.which("redis-server") is None,
                    reason="redis-server not found (Debian package redis-server)")
def test_distributed_writer_ceiling_stores_the_results_waiting_in_redis(tmp_path: Path) -> None:
    """benchmarks/distributed.py's last step builds the writer's per-site state by hand."""
    from benchmarks.distributed import writer_ceiling

    result = writer_ceiling(SampleBlog(seed=1, post_count=3), 3, tmp_path)
    assert result["items"] == 3 and result["new"] == 3, result


def test_soak_crawls_take_the_images_from_the_sample_site(tmp_path: Path) -> None:
    """The soak's crawl is a user's (images included), but never asks Wix's CDN for them."""
    from benchmarks.soak import Soak

    with serve_blog(SampleBlog(seed=3, post_count=3)) as server:
        outcome = Soak(server, tmp_path / "archive.db", random.Random(3)).crawl()
        media_requests = [path for path in server.request_log if path.startswith("/media/")]
    assert outcome["exit"] == 0 and outcome["summary"]["status"] == "ok", outcome
    assert media_requests


def test_hostile_servers_crawls_ask_for_no_media(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Its crawls are about the blog's pages: no image is asked for, from Wix or elsewhere."""
    from benchmarks.hostile_servers import SETTINGS, _crawl

    with serve_blog(SampleBlog(seed=3, post_count=3)) as server:
        # Were media fetched, they would come from here, where the test can see them.
        monkeypatch.setenv("WIXARCHIVE_MEDIA_BASE", f"{server.url}/media/")
        summary, _ = _crawl(server.url, tmp_path / "archive.db", SETTINGS, limit=120)
        requests = list(server.request_log)
    assert summary["status"] == "ok", summary
    assert any(path.startswith("/post/") for path in requests)
    assert not [path for path in requests if path.startswith("/media/")]


@pytest.mark.parametrize("command", [
    ["extraction.py"], ["element_layouts.py"], ["text_cleaning.py"],
    ["crawl.py", "--realworld", "10", "--server", "python"],
], ids=lambda command: " ".join(command))
def test_benchmarks_asked_for_an_absent_corpus_fail_loudly(command: list[str],
                                                           tmp_path: Path) -> None:
    absent = tmp_path / "no-corpus"
    done = run_benchmark(str(BENCHMARKS / command[0]), *command[1:],
                         env={CORPUS_ENV: str(absent)})
    assert done.returncode == MISSING_EXIT, done.stdout + done.stderr
    assert f"Error: no real-world corpus at {absent}" in done.stderr
    assert CORPUS_ENV in done.stderr and "Traceback" not in done.stderr


def test_extraction_cpu_says_when_the_real_pages_were_not_measured(tmp_path: Path) -> None:
    absent = tmp_path / "no-corpus"
    done = run_benchmark(str(BENCHMARKS / "extraction.py"), "--cpu", "--posts", "2",
                         env={CORPUS_ENV: str(absent)})
    assert done.returncode == 0, done.stderr
    assert f"real pages: NOT MEASURED (no corpus with truth/ at {absent}" in done.stdout
    assert "generated posts (2)" in done.stdout


def test_extraction_cpu_reads_the_corpus_WIXARCHIVE_CORPUS_names(tmp_path: Path) -> None:
    from benchmarks.element_layouts import derive_sample

    pages = derive_sample(tmp_path)  # html/ and truth/, as the real corpus holds them
    done = run_benchmark(str(BENCHMARKS / "extraction.py"), "--cpu", "--posts", "2",
                         env={CORPUS_ENV: str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert f"real pages ({pages}, " in done.stdout


def test_realworld_tests_follow_WIXARCHIVE_CORPUS(tmp_path: Path) -> None:
    absent = tmp_path / "no-corpus"
    done = run_benchmark("-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                         "tests/test_extract_realworld.py", env={CORPUS_ENV: str(absent)})
    assert f"real-world corpus not found at {absent}" in done.stdout, done.stdout


def test_element_layouts_help_shows_its_options_and_runs_nothing() -> None:
    done = run_benchmark(str(BENCHMARKS / "element_layouts.py"), "--help")
    assert done.returncode == 0, done.stderr
    assert "--without-json-ld" in done.stdout and "--sample" in done.stdout
    assert "element-built variants" not in done.stdout


@pytest.mark.parametrize("args", [[], ["http://127.0.0.1:9/"], ["http://127.0.0.1:9/", "{x"]])
def test_bare_spider_by_hand_gives_its_usage_not_a_traceback(args: list[str]) -> None:
    done = run_benchmark(str(BENCHMARKS / "bare_spider.py"), *args)
    assert done.returncode == 2
    assert "usage: bare_spider.py [-h] URL [URL ...] SETTINGS_JSON" in done.stderr
    assert "Traceback" not in done.stderr


def test_sizes_take_spaces_and_commas(tmp_path: Path) -> None:
    search = run_benchmark(str(BENCHMARKS / "search.py"), "--sizes", "20,30", "40",
                           "--build-only", "--no-baseline", "--dir", str(tmp_path))
    assert search.returncode == 0, search.stderr
    assert [line for line in search.stdout.splitlines() if line.startswith("== ")] == [
        f"== {size} posts ({tmp_path / f'bench-{size}.db'})" for size in (20, 30, 40)]
    export = run_benchmark(str(BENCHMARKS / "export_memory.py"), "--sizes", "20,30",
                           "--formats", "jsonl")
    assert export.returncode == 0, export.stderr
    assert "| format | 20 posts: peak RSS (time) | 30 posts: peak RSS (time) |" in export.stdout
    bad = run_benchmark(str(BENCHMARKS / "search.py"), "--sizes", "20,x")
    assert bad.returncode == 2 and "not a post count" in bad.stderr


def test_search_benchmark_table_has_a_ratio_against_sqlite_utils(tmp_path: Path) -> None:
    done = run_benchmark(str(BENCHMARKS / "search.py"), "--sizes", "60", "--repeat", "1",
                         "--dir", str(tmp_path), "--kinds", "rare word")
    assert done.returncode == 0, done.stderr
    header = next(line for line in done.stdout.splitlines() if line.startswith("query kind"))
    row = next(line for line in done.stdout.splitlines() if line.startswith("rare word"))
    assert "vs sqlite-utils" in header
    # The kind (two words), wixarchive, raw sqlite3 and sqlite-utils p50 / p95, then the ratio.
    assert re.fullmatch(r"\d+\.\d\dx", row.split()[11]), row


def test_big_archive_measures_only_the_commands_asked_with_their_cpu_time(
        tmp_path: Path) -> None:
    """At load 6 on 2 cores a command's wall time is mostly its share of the cores: `check`
    grew 8.4x in wall time for 4.2x the posts one day and 4.5x (CPU 4.2x) on another. The table
    gives each command's CPU time and the CPU ratio beside the wall time's, and the load."""
    done = run_benchmark(str(BENCHMARKS / "big_archive.py"), "--sites", "2",
                         "--posts-per-site", "4", "--days", "2", "--small", "1",
                         "--dir", str(tmp_path), "--only", "check", "--only", "search the --o")
    assert done.returncode == 0, done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert table[0].endswith("| ratio | CPU ratio |"), table
    assert [row.split(" | ")[0] for row in table[2:]] == ["| check",
                                                          "| search the --offset 5000"]
    cpu = [float(figure) for figure in re.findall(r"\(CPU (\d+\.\d+) s\)", table[2])]
    assert len(cpu) == 2 and all(seconds > 0 for seconds in cpu), table[2]
    assert re.fullmatch(r"\| check \| .* \| \d+\.\d× \| \d+\.\d× \|", table[2]), table[2]
    assert re.search(r"load average \(1, 5, 15 min\) [\d. ]+ at the start", done.stdout)
