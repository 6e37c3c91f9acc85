"""Chinese/Japanese search benchmark: a synthetic archive of unspaced Japanese-like posts.

    .venv/bin/python benchmarks/search_cjk.py [--posts 100000] [--dir /tmp/wixarchive-bench]

Posts of 400 "words" (1-4 characters drawn from 2,500 kanji and the hiragana, Zipf-distributed,
with 東京, 日本, 時間 and the particles の, に, は at the top) written without spaces, a 。 every
~16 words: the shape of a Japanese blog, where FTS5's unicode61 keeps each clause as one token.
Built through the store's own insert path (Archive.save_articles), which also writes the
bigram index (archive/search/bigrams.py). For each query kind, the p50/p95 latency of a top-10
query with snippets:
  wixarchive    archive.search.search() (what `wixarchive search` runs)
  LIKE, ranked  the query the main index leaves a user: posts whose body LIKE '%word%',
                the ten where it occurs most often (every body read, as any ranking must)
  LIKE, first   the same unranked: the first ten matches (it stops at the tenth)
  main index    the main FTS5 index alone (what search did before the bigram index): its
                number of matches, which is how many it finds of what the LIKE scan finds
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.search import SearchQuery, search  # noqa: E402
from archive.store import Archive  # noqa: E402
from crawler.extract.record import Article  # noqa: E402

WORDS_PER_POST = 400
REPEAT = 7


def _vocabulary(rng: random.Random) -> list[str]:
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)] + \
            [chr(c) for c in range(0x3041, 0x3094)]
    vocab = ["".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 2, 2, 3, 4))))
             for _ in range(20_000)]
    vocab[:6] = ["東京", "日本", "時間", "の", "に", "は"]
    return vocab


def build(path: Path, posts: int, vocab: list[str], rng: random.Random) -> float:
    weights = [1 / (rank + 1) for rank in range(len(vocab))]

    def text() -> str:
        return "".join(word + ("。" if rng.random() < 0.06 else "")
                       for word in rng.choices(vocab, weights, k=WORDS_PER_POST))

    started = time.perf_counter()
    with Archive.open(path) as archive:
        for first in range(0, posts, 2000):
            batch = []
            for n in range(first, min(posts, first + 2000)):
                body = text()
                batch.append(Article(url=f"https://jp{n % 50}.wixsite.com/blog/post/p{n}",
                                     title=text()[:20], body_text=body,
                                     body_html=f"<p>{body}</p>", language="ja"))
            archive.save_articles(batch)
    return time.perf_counter() - started


def _timed(run) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/wixarchive-bench"))
    args = parser.parse_args()
    rng = random.Random(7)
    vocab = _vocabulary(rng)
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / f"cjk-{args.posts}.db"
    if not path.exists():
        seconds = build(path, args.posts, vocab, rng)
        print(f"built {args.posts:,} posts in {seconds:.0f} s ({args.posts / seconds:,.0f} "
              f"posts/s), {path.stat().st_size / 2**20:,.0f} MiB")
    kinds = {"common word": "東京", "two common words": "日本 時間",
             "one common character": "の", "rare word": vocab[15_000],
             "absent pair": vocab[15_000] + vocab[15_001],
             "two rare words, OR": f"{vocab[15_000]} OR {vocab[15_002]}",
             "rare word OR a Latin one": f"{vocab[15_000]} OR tokyo",
             "common word OR a Latin one": "東京 OR tokyo"}
    print(f"\n{args.posts:,} Japanese-like posts ({path})")
    print(f"{'query kind':<28}{'wixarchive p50/p95 ms':>23}{'LIKE, ranked':>16}{'ratio':>9}"
          f"{'LIKE, first':>13}{'main index finds':>18}")
    with Archive.open(path, readonly=True) as archive:
        conn: sqlite3.Connection = archive.conn
        for kind, text in kinds.items():
            p50, p95, hits = _timed(lambda t=text: search(archive, SearchQuery(t)))
            either = " OR " in text  # FTS5 syntax: on the bigrams too (cjk.fts_query)
            words = text.split(" OR ") if either else text.split()
            like = (" OR " if either else " AND ").join(["body LIKE ?"] * len(words))
            params = [f"%{word}%" for word in words]
            occurrences = " + ".join(["length(body) - length(replace(body, ?, ''))"] * len(words))
            r50, _, _ = _timed(lambda w=like, p=params, o=occurrences, ws=words: conn.execute(
                f"SELECT id FROM posts WHERE {w} ORDER BY {o} DESC LIMIT 10",
                [*p, *ws]).fetchall())
            f50, _, _ = _timed(lambda w=like, p=params: conn.execute(
                f"SELECT id FROM posts WHERE {w} LIMIT 10", p).fetchall())
            found = conn.execute(f"SELECT count(*) FROM posts WHERE {like}", params).fetchone()[0]
            main = conn.execute("SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?",
                                [(" OR " if either else " ").join(f'"{w}"' for w in words)]
                                ).fetchone()[0]
            ratio = r50 / max(p50, 0.01)
            print(f"{kind:<28}{p50:>11.1f} / {p95:>7.1f}{r50:>12.1f} ms{ratio:>8.1f}x"
                  f"{f50:>10.1f} ms{f'{main} of {found}':>18}   ({len(hits)} hits)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
