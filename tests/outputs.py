"""An archive with something in every output (a post crawled in an ok run, a site whose last
run failed), for the tests that compare the commands' outputs with each other and the docs,
and `wixarchive`, which runs a command as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from archive.store import Archive
from crawler.extract import extract_article

REPO = Path(__file__).resolve().parents[1]
POST = REPO / "tests" / "fixtures" / "html" / "classic_post.html"
POST_URL = "https://www.example-garden.com/post/five-ways-to-water-a-fern"
GONE_SITE = "http://127.0.0.1:8799/"


def wixarchive(*args: str, check: bool = False,
               env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`wixarchive ARGS` run as a user runs it: a subprocess of this tree, without
    $WIXARCHIVE_DB; `check` asserts it exits 0; `env`: variables set besides."""
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(REPO)}
    env.pop("WIXARCHIVE_DB", None)
    result = subprocess.run([sys.executable, "-m", "archive.cli", *args], capture_output=True,
                            text=True, cwd=REPO, env=env, timeout=120)
    if check:
        assert result.returncode == 0, (args, result.stderr)
    return result


def next_second() -> str:
    """The archive's clock (archive.ingest.utc_now) once it reaches a new second, waited for
    (under a second): an export taken then passes it as --changed-since, and all the archive
    stored before is older."""
    import time

    from archive.ingest import utc_now

    start = utc_now()
    while (now := utc_now()) == start:
        time.sleep(0.02)
    return now


def build_outputs_archive(path: Path, **saved: Any) -> Path:
    """The archive at `path`; `saved`: what the crawl saw beside the page (lastmod, etag…)."""
    with Archive.open(path) as archive:
        run_id = archive.start_run(POST_URL, started_at="2024-06-01T00:00:00+00:00")
        archive.save_article(extract_article(POST.read_bytes(), POST_URL), run_id=run_id,
                             **saved)
        archive.finish_run(run_id, status="ok", counts={"pages": 3, "new": 1}, errors=[],
                           finished_at="2024-06-01T00:01:00+00:00")
        failed = archive.start_run(GONE_SITE, started_at="2024-06-02T00:00:00+00:00")
        archive.finish_run(failed, status="failed", counts={}, errors=["connection refused"],
                           finished_at="2024-06-02T00:00:05+00:00")
    return path
