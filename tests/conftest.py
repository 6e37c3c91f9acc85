"""Shared fixtures: the read-only real-world corpus beside the checkout, when present."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    if not (SHARED / "realworld").is_dir():
        pytest.skip(f"real-world corpus not found at {SHARED} (it is optional, read-only data)")
    return SHARED
