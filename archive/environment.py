"""Numeric settings read from WIXARCHIVE_* environment variables, checked so that a wrong value
is one line naming the variable and what it takes, not Python's conversion message nor a value
silently ignored. Standard library only: the CLI, the Python API and archive.connection (which
the search command imports) check them here."""

from __future__ import annotations

import math
import os

# The crawl's numeric settings crawler.run reads from the environment: True for a count (Scrapy's
# getint), False for seconds (getfloat).
CRAWL_NUMERIC = {"WIXARCHIVE_MAX_SERVER_ERRORS": True, "WIXARCHIVE_RETRY_AFTER_STOP": True,
                 "WIXARCHIVE_MAX_FAILING_SECONDS": False,
                 "WIXARCHIVE_RETRY_AFTER_MAX": False, "WIXARCHIVE_BACKOFF_MAX": False}


def number_problem(name: str, value: str, whole: bool) -> str | None:
    """What is wrong with `value` for the numeric setting `name`, None if nothing."""
    try:
        number = int(value) if whole else float(value)
    except ValueError:
        number = None
    if number is not None and math.isfinite(number) and number >= 0:
        return None
    takes = "a whole number" if whole else "a number of seconds"
    return f"{name} must be {takes}, 0 or more (got {value!r})"


def whole_number(name: str, default: int) -> tuple[int, str | None]:
    """$name as a whole number 0 or more, `default` when unset or empty; with the problem of a
    wrong value (the value is then `default`) for the caller to raise where it reads it."""
    value = os.environ.get(name, "")
    if not value:
        return default, None
    problem = number_problem(name, value, whole=True)
    return (default, problem) if problem else (int(value), None)


def busy_timeout_ms() -> tuple[int, str | None]:
    """How long a writer waits for another one (ms): 30 s, or $WIXARCHIVE_BUSY_TIMEOUT_MS (a slow
    disk, a long `optimize` beside a crawl); with the problem of a wrong value."""
    return whole_number("WIXARCHIVE_BUSY_TIMEOUT_MS", 30_000)


def crawl_environment_problem() -> str | None:
    """The first wrong value among the crawl's numeric variables, None if none."""
    for name, whole in CRAWL_NUMERIC.items():
        value = os.environ.get(name)
        if value and (problem := number_problem(name, value, whole)):
            return problem
    return None
