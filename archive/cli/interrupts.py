"""Ctrl-C and SIGTERM for the commands that stop part way (export, import, reextract, recover):
they exit as the crawl commands do, 128+N for signal N (130 for Ctrl-C, 143 for SIGTERM), after
a line saying what was kept, rather than click's bare `Aborted!` with status 1 (or, for SIGTERM,
no word and no clean-up at all)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from archive.cli.common import echo_unless_closed


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is as Ctrl-C raises KeyboardInterrupt, so that the same
    `finally` blocks run (an export's temporary file removed, a transaction rolled back)."""


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """128+N for the signal N that stopped the command, as shells report it."""
    return 128 + (signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def stopping_cleanly(what_was_kept: Callable[[], str]) -> Iterator[None]:
    """Within the block, SIGTERM stops the command as Ctrl-C does; either prints
    `Interrupted: <what_was_kept()>` on stderr and exits 130 (Ctrl-C) or 143 (SIGTERM)."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    except KeyboardInterrupt as interrupt:
        signal.signal(signal.SIGTERM, previous)
        echo_unless_closed(f"Interrupted: {what_was_kept()}", err=True)
        sys.exit(exit_status(interrupt))
    finally:
        signal.signal(signal.SIGTERM, previous)
