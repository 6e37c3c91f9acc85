"""Plain `make` lists the targets from their `## name: what` comments, and builds nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_plain_make_lists_every_documented_target_and_builds_nothing() -> None:
    documented = re.findall(r"^## ([a-z-]+): (.+)$", (REPO / "Makefile").read_text(), re.M)
    assert {name for name, _ in documented} >= {"help", "demo", "test", "lint", "bench", "clean"}
    # -n: were any rule to run a command (a venv to build) it would be printed, not run.
    # As a user's shell runs it: under `make test` (CI), the inherited MAKELEVEL would make
    # the inner make print "Entering directory" lines.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    dry = subprocess.run(["make", "-n"], cwd=REPO, capture_output=True, text=True, check=True,
                         env=env)
    assert "venv" not in dry.stdout
    listed = subprocess.run(["make"], cwd=REPO, capture_output=True, text=True, check=True,
                            env=env)
    assert listed.stdout.splitlines() == [f"  make {name:<6} {what}" for name, what in documented]
