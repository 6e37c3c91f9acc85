"""Helpers for tests that drive crawl processes: wait on a state the test can observe (rows in
the archive, a server's counter, a line of output) instead of sleeping, with generous limits
that only guard against a hang. Timing is never asserted here: a loaded CI machine may be
many times slower than a developer's."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO

HANG_GUARD = 120.0  # seconds: only a hung test waits this long


def wait_until(condition: Callable[[], object], what: str,
               proc: subprocess.Popen | None = None, limit: float = HANG_GUARD) -> None:
    """Poll `condition` until it holds; AssertionError if `proc` ends first or after `limit`."""
    deadline = time.monotonic() + limit
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: not seen before the process ended "
                                 f"(exit {proc.returncode})")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen in {limit:g} s")
        time.sleep(0.05)


class Output:
    """A process's output stream, read as it comes (so a test can wait for a line) and whole
    once the process has ended."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str] | None) -> None:
        for line in stream or ():
            self.text += line

    def __contains__(self, part: str) -> bool:
        return part in self.text

    def finish(self) -> str:
        """The whole output (call once the process has ended)."""
        self._thread.join(timeout=HANG_GUARD)
        return self.text
