"""Shared fixtures: the read-only real-world corpus beside the checkout, when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The sample blog's images live on static.wixstatic.com; no test may reach the real host, so
# crawls fetch them from a closed loopback port unless a test serves them (tests/test_media.py
# passes its own media host). Set before any crawl process starts, so every one inherits it.
os.environ.setdefault("WIXARCHIVE_MEDIA_BASE", "http://127.0.0.1:9/media/")
# The same for video.wixstatic.com, should a test ask for videos (tests/test_media_kinds.py).
os.environ.setdefault("WIXARCHIVE_VIDEO_BASE", "http://127.0.0.1:9/")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "realworld").is_dir():
        pytest.skip(f"real-world corpus not found at {SHARED} (it is optional, read-only data)")
    return SHARED
