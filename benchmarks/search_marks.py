"""Hebrew/Arabic vowel-mark search benchmark: synthetic Arabic archives, with and without marks.

    .venv/bin/python benchmarks/search_marks.py [--posts 20000] [--marked 200]
                                                [--dir /tmp/wixarchive-bench]

Posts of 600 Arabic-letter "words" (2-7 letters, Zipf-distributed over 5,000), built through the
store's own insert path (Archive.save_articles), then `optimize`d (the fast path's statistics).
Two archives of the same posts: `plain`, written without marks (what search did before the
mark-free index, and still does in an archive without marks), and `marked`, where the first
--marked posts are fully vocalised (a mark after every letter), so the archive's Arabic posts
are indexed again without marks (archive/search/marks.py). Prints each archive's ingest rate and
size, then the p50 of a top-10 query with snippets (archive.search.search()) per query kind, and
how many of the marked posts the main index alone finds for a word they hold.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.search import SearchQuery, search  # noqa: E402
from archive.store import Archive  # noqa: E402
from crawler.extract.record import Article  # noqa: E402

LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
MARKS = "\u064e\u064f\u0650\u0651\u0652"  # fatha, damma, kasra, shadda, sukun
WORDS_PER_POST = 600
REPEAT = 7


def _posts(count: int, marked: int, seed: int = 1) -> tuple[list[Article], list[str]]:
    rng = random.Random(seed)
    vocabulary = sorted({"".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 7)))
                         for _ in range(5_500)})[:5_000]
    rng.shuffle(vocabulary)

    def text(with_marks: bool) -> str:
        words = [vocabulary[min(int(rng.paretovariate(1.0)) - 1, len(vocabulary) - 1)]
                 for _ in range(WORDS_PER_POST)]
        if with_marks:
            words = ["".join(c + rng.choice(MARKS) for c in w) for w in words]
        return " ".join(words)

    posts = [Article(url=f"https://ar.wixsite.com/blog/post/{n}", language="ar",
                     title=" ".join(rng.sample(vocabulary[:500], 5)), body_text=text(n < marked))
             for n in range(count)]
    return posts, vocabulary


def _build(path: Path, posts: list[Article]) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(path.with_suffix(".captures"), ignore_errors=True)
    start = time.perf_counter()
    with Archive.open(path) as archive:
        for at in range(0, len(posts), 1_000):
            archive.save_articles(posts[at:at + 1_000])
        took = time.perf_counter() - start
        archive.optimize()
    return len(posts) / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--marked", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/wixarchive-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    kinds = {}
    for name, marked in (("plain", 0), ("marked", args.marked)):
        posts, vocabulary = _posts(args.posts, marked)
        kinds = {"common word": vocabulary[0], "second word": vocabulary[1],
                 "rare word": vocabulary[3_000], "two words": f"{vocabulary[0]} {vocabulary[40]}",
                 "prefix": vocabulary[5][:3] + "*"}
        path = args.dir / f"marks-{name}-{args.posts}.db"
        rate = _build(path, posts)
        print(f"== {name}: {args.posts:,} posts, {marked:,} with marks: {rate:,.0f} posts/s "
              f"inserting, {path.stat().st_size / 2**20:,.0f} MiB")
        with Archive.open(path, readonly=True) as archive:
            for kind, text in kinds.items():
                times = []
                for _ in range(REPEAT):
                    start = time.perf_counter()
                    search(archive, SearchQuery(text))
                    times.append((time.perf_counter() - start) * 1000)
                print(f"  {kind:<12} p50 {statistics.median(times):7.1f} ms")
            if marked:
                word = vocabulary[0]
                main_only = archive.conn.execute(
                    "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ? AND rowid <= ?",
                    (f'"{word}"', marked)).fetchone()[0]
                found = archive.conn.execute(
                    "SELECT count(*) FROM posts_unmarked WHERE posts_unmarked MATCH ? "
                    "AND rowid <= ?", (f'"{word}"', marked)).fetchone()[0]
                print(f"  the common word in the marked posts: the main index alone finds "
                      f"{main_only} of {found}")


if __name__ == "__main__":
    main()
