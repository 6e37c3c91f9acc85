"""Shared fixtures: the read-only real-world corpus ($WIXARCHIVE_CORPUS, else beside the checkout),
when present."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from benchmarks.corpus import realworld_corpus

# The sample blog's images live on static.wixstatic.com; no test may reach the real host, so
# crawls fetch them from a closed loopback port unless a test serves them (tests/test_media.py
# passes its own media host). Set before any crawl process starts, so every one inherits it.
os.environ.setdefault("WIXARCHIVE_MEDIA_BASE", "http://127.0.0.1:9/media/")
# The same for video.wixstatic.com, should a test ask for videos (tests/test_media_kinds.py).
os.environ.setdefault("WIXARCHIVE_VIDEO_BASE", "http://127.0.0.1:9/")
# A site failing request after request waits up to 30 s between them (crawler/downloader/
# backoff.py); the suite's failing sites would spend minutes there. Tests of the back-off
# itself set their own.
os.environ.setdefault("WIXARCHIVE_BACKOFF_MAX", "1")

# A suite started in the background by a shell without job control (`make test &` in a script,
# nohup) inherits SIGINT ignored, and so would each command a test starts: the Ctrl-C tests then
# signal commands that do not hear it (6 tests failed so in a clean-clone run of 2026-12-07
# started with `nohup bash -c .ci/run &`).
# A Python handler here gives every child the default at exec, as when run from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Property tests (tests/test_fuzz*.py): "ci", the default, is derandomized and small, so the suite
# stays fast and gives the same result every run; HYPOTHESIS_PROFILE=fuzz runs 2,000 random
# examples a property (FUZZ_EXAMPLES=n to change).
settings.register_profile(
    "ci", derandomize=True, database=None, max_examples=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "2000")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def realworld_dir() -> Path:
    """The real-world corpus: $WIXARCHIVE_CORPUS, else ../shared/realworld (benchmarks/corpus)."""
    corpus = realworld_corpus()
    if not corpus.is_dir():
        pytest.skip(f"real-world corpus not found at {corpus} (it is optional, read-only data; "
                    "WIXARCHIVE_CORPUS points at it)")
    return corpus
