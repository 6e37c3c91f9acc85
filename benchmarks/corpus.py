"""Where the real Wix pages are: the optional, read-only corpus the extraction benchmarks and
tests score against (html/<name>.html, truth/<name>.json, text/, dumps/, ...).

WIXARCHIVE_CORPUS names its folder; without it, ../shared/realworld beside the checkout.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CORPUS_ENV = "WIXARCHIVE_CORPUS"
# A benchmark's exit status when it was asked for the corpus and it is absent: `make bench`
# tells it from a failure and ends with a SKIPPED line.
MISSING_EXIT = 3


def realworld_corpus() -> Path:
    """The corpus folder: $WIXARCHIVE_CORPUS, else ../shared/realworld beside the checkout."""
    beside_checkout = Path(__file__).resolve().parents[2] / "shared" / "realworld"
    return Path(os.environ.get(CORPUS_ENV) or beside_checkout)


def corpus_missing(corpus: Path, needs: str) -> int:
    """Say on stderr that the corpus is absent and how to point at it; the exit status."""
    print(f"Error: no real-world corpus at {corpus} (needs {needs}); nothing measured. "
          f"Set {CORPUS_ENV} to its folder.", file=sys.stderr)
    return MISSING_EXIT
