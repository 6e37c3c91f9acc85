"""A command run with its stderr on a terminal (a pseudo-terminal), for what it shows only
there: progress bars."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def on_a_terminal(args: list[str]) -> str:
    """What `wixarchive ARGS` writes to stderr when stderr is a terminal."""
    leader, follower = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "archive.cli", *args], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=follower, cwd=REPO) as process:
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        assert process.wait(timeout=60) == 0, shown
    os.close(leader)
    return shown.decode()
