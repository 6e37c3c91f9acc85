"""Text-dump cleaning benchmark: `clean_text` on the real dumps against their annotations.

    .venv/bin/python benchmarks/text_cleaning.py [CORPUS_DIR] [--files]

CORPUS_DIR (default ../shared/realworld next to the repo) holds text/<name>.txt and
text-truth/<name>.json. Scores: exact-match rates for page kind, title, author, date, updated and
reading minutes; body-line precision and recall (a truth line counts as kept when it is one of the
cleaner's paragraphs); chrome lines leaked into the body. Exits cleanly when the corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from crawler.clean.text import clean_text  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "realworld"
FIELDS = ("page_kind", "title", "author", "date", "updated", "reading_minutes")


def score(corpus: Path, per_file: bool) -> int:
    dumps = sorted((corpus / "text").glob("*.txt"))
    dumps = [d for d in dumps if (corpus / "text-truth" / f"{d.stem}.json").is_file()]
    if not dumps:
        print(f"no annotated text dumps under {corpus}: nothing to score")
        return 0
    exact = dict.fromkeys(FIELDS, 0)
    kept = truth_lines = out_lines = right_lines = leaked = 0
    started = time.perf_counter()
    for dump in dumps:
        truth = json.loads((corpus / "text-truth" / f"{dump.stem}.json").read_text("utf-8"))
        result = clean_text(dump.read_text(encoding="utf-8", errors="replace"))
        wrong = [f for f in FIELDS if getattr(result, f) != truth[f]]
        for f in FIELDS:
            exact[f] += f not in wrong
        truth_body = set(truth["body"])
        kept += sum(line in result.body for line in truth["body"])
        truth_lines += len(truth["body"])
        out_lines += len(result.body)
        right_lines += sum(line in truth_body for line in result.body)
        leaks = [c for c in truth["chrome"] if c.lstrip("•- ") in result.body]
        leaked += len(leaks)
        if per_file and (wrong or leaks or truth_body - set(result.body)):
            print(f"{dump.stem}: wrong {wrong} leaked {leaks} "
                  f"lost {len(truth_body - set(result.body))} body lines")
    elapsed = time.perf_counter() - started
    n = len(dumps)
    print(f"{'metric':<28}{'value':>10}")
    for f in FIELDS:
        print(f"{'exact ' + f:<28}{exact[f] / n:>10.1%}")
    print(f"{'body line recall':<28}{kept / max(truth_lines, 1):>10.1%}")
    print(f"{'body line precision':<28}{right_lines / max(out_lines, 1):>10.1%}")
    print(f"{'chrome lines leaked':<28}{leaked:>10d}")
    print(f"{'dumps':<28}{n:>10d}")
    print(f"{'ms per dump':<28}{1000 * elapsed / n:>10.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--files", action="store_true", help="list the dumps with a miss")
    args = parser.parse_args()
    if not (args.corpus / "text").is_dir():
        print(f"corpus not found at {args.corpus} (optional, read-only data): skipping")
        return 0
    return score(args.corpus, args.files)


if __name__ == "__main__":
    sys.exit(main())
