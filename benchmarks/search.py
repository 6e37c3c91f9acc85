"""Search benchmark: synthetic archives of 10k/100k/1M posts, ingest rate, size, query latency.

Each archive is built through the store's own insert path (Archive.save_articles) from posts of
~600 words drawn from a Zipf-distributed vocabulary (real English function words at the top, so
"the" is in nearly every post and "of the" is a common phrase). For each query kind it prints the
p50/p95 latency of a top-10 query with snippets for:
  wixarchive   archive.search.search() (what `wixarchive search` runs)
  raw sqlite3  the textbook FTS5 query on the same table: MATCH ... ORDER BY rank LIMIT 10
  sqlite-utils Table.search(), which sqlite-utils' own `search` command uses (no snippets)
plus the cold-start time of the `wixarchive search` and `sqlite-utils search` commands, the
top-10 agreement of wixarchive's results with exact bm25 (the raw query's ranking), and the time
FTS5 takes to merely count the matches (walking the postings: the floor of any exact top-k).
Ingest is timed twice: the inserts alone, and to a searchable archive (the inserts, then
`optimize`: the index merged and the search statistics computed). Both are compared with two
references on the first 20k of the same posts: FTS5 indexing alone (a bare table with the
archive's tokenizer and prefix index) and sqlite-utils (insert_all into a table whose FTS5 index
its triggers maintain, one transaction per 2,000 rows as ours). The references need no optimize
step: they rank exactly at every query.

Query kinds: the ones the impact lists serve (common word, common phrase, 3-letter prefix), the
ones exact ranking serves, and the kinds known to be slow: a phrase of two frequent words found
in 0.5-5% of the posts (no list; ranking walks both words' positions in most posts) and a
2-letter prefix (shorter than the prefix index: it merges the doclists of every matching term).

    python benchmarks/search.py --sizes 10000,100000 [--dir /tmp/wixarchive-bench] [--reuse]

(--sizes takes post counts spaced or comma-separated: `--sizes 10000 100000` is the same.)
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import deque
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from archive.search import SearchQuery, search  # noqa: E402
from archive.store import Archive  # noqa: E402
from benchmarks.options import add_sizes, chosen_sizes  # noqa: E402
from crawler.extract.record import Article  # noqa: E402

# Real function words head the vocabulary (ranks 1..72), so "the" is in nearly every post.
_COMMON_TEXT = """the of and to a in is that it for was on with as are be this by at from or have an
    not but you all we can her his they one which there were been has more when will would who
    their what out about into time also some than other them very just over only new like my first
    after most these our two could may way even because"""
COMMON = _COMMON_TEXT.split()
SYLLABLES = "ka ri mo sé lu ta ne po vi da ché ro mi su lé na to ba fi go ze qua bré sto pla tri vo"
WORDS_PER_POST = 600  # on average: lengths vary from 400 to 800 words, as real posts' do, so
# bm25 scores rarely tie exactly (identical lengths would make most of them tie)
SITES, AUTHORS, TAGS, CATEGORIES = 50, 400, 300, 40
LANGS = ("en", "en", "fr", "de", "es")
BATCH = 2000
REFERENCE_POSTS = 20_000  # posts the reference tools ingest (they take as long per post)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words = list(COMMON)
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES.split()) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Corpus:
    """Deterministic synthetic posts: slices of one long Zipf-distributed token stream."""

    def __init__(self, seed: int = 42, vocab_size: int = 60_000) -> None:
        rng = random.Random(seed)
        self.words = vocabulary(vocab_size, rng)
        weights = [1 / (rank + 1) ** 1.05 for rank in range(len(self.words))]
        self.stream = rng.choices(self.words, weights=weights, k=3_000_000)
        self.seed = seed

    def article(self, n: int) -> Article:
        rng = random.Random(self.seed * 1_000_003 + n)
        stream = self.stream
        length = rng.randint(WORDS_PER_POST * 2 // 3, WORDS_PER_POST * 4 // 3)
        start = rng.randrange(len(stream) - length)
        words = stream[start:start + length]
        paragraphs = [" ".join(words[i:i + 100]).capitalize() + "."
                      for i in range(0, length, 100)]
        t = rng.randrange(len(stream) - 6)
        title = " ".join(stream[t:t + 5]).capitalize() + " " + self.words[rng.randrange(
            200, len(self.words))]
        site = n % SITES
        return Article(
            url=f"https://site{site}.example.com/post/p{n}", title=title,
            author=f"Author {n % AUTHORS}", published=f"{2015 + n % 11}-{1 + n % 12:02d}-"
            f"{1 + n % 28:02d}T08:00:00Z", tags=[f"tag{rng.randrange(TAGS)}" for _ in range(3)],
            categories=[f"category{rng.randrange(CATEGORIES)}"], language=LANGS[n % len(LANGS)],
            body_text="\n\n".join(paragraphs),
            body_html="".join(f"<p>{p}</p>" for p in paragraphs),
            body_markdown="\n\n".join(paragraphs), site_name=f"Site {site}",
            cover_image=f"https://static.wixstatic.com/media/c{n}.jpg")


_corpus: Corpus | None = None


def _start_generator() -> None:
    global _corpus
    _corpus = Corpus()


def _generate(span: tuple[int, int]) -> list[Article]:
    assert _corpus is not None
    return [_corpus.article(n) for n in range(*span)]


class Ingest(NamedTuple):
    """Posts per second: inserting all of them, inserting the first REFERENCE_POSTS (the posts
    the reference tools ingest), and to a searchable archive (the inserts, then `optimize`:
    the index merged into one segment and the search statistics computed)."""

    inserts: float
    first_inserts: float
    searchable: float
    optimize_seconds: float


def build(path: Path, size: int) -> Ingest:
    """Ingest `size` posts through Archive.save_articles, then optimize the archive.

    The synthetic posts are made in a second process, as a crawl's are by extraction, so the
    rate is the store's: one save_articles call (one transaction) per BATCH posts.
    """
    from multiprocessing import get_context

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    spans = [(first, min(first + BATCH, size)) for first in range(0, size, BATCH)]
    with get_context("fork").Pool(1, initializer=_start_generator) as pool, \
            Archive.open(path) as archive:
        # A few batches ahead, no more: unbounded, the generator would fill memory.
        pending = deque(pool.apply_async(_generate, (span,)) for span in spans[:3])
        pending[0].wait()  # the generator's start-up is not the store's time
        start = time.perf_counter()
        first_rate = 0.0
        for number in range(len(spans)):
            batch = pending.popleft().get()
            if number + 3 < len(spans):
                pending.append(pool.apply_async(_generate, (spans[number + 3],)))
            # No crawl run: a run's posts belong to the run's one site (a crawl follows a
            # redirect to another host), and these are of SITES sites, by their URLs, which
            # the "filtered rare" queries' --site names.
            archive.save_articles(batch)
            done = spans[number][1]
            if done == min(size, REFERENCE_POSTS):
                first_rate = done / (time.perf_counter() - start)
            if done % 100_000 == 0:
                rate = done / (time.perf_counter() - start)
                print(f"  ... {done:,} posts, {rate:,.0f}/s", file=sys.stderr, flush=True)
        elapsed = time.perf_counter() - start
        optimized = time.perf_counter()
        archive.optimize()  # merge the index, compute the search statistics
        optimize_seconds = time.perf_counter() - optimized
    return Ingest(size / elapsed, first_rate, size / (elapsed + optimize_seconds),
                  optimize_seconds)


def reference_ingest(directory: Path, size: int) -> list[tuple[str, float]]:
    """Posts/s of the references on the same synthetic posts, each into a fresh file:
    a bare FTS5 table with the archive's tokenizer, prefix index and settings (the cost of
    full-text indexing alone, a floor for any store with this index), and sqlite-utils
    inserting the posts' columns into a table whose FTS5 index its triggers keep in sync."""
    import sqlite_utils

    from archive.schema import (
        FTS_COLUMNS,
        FTS_PREFIX,
        FTS_SETTINGS,
        FTS_TOKENIZE,
        FTS_TOKENIZE_SQL,
    )

    corpus = Corpus()
    articles = [corpus.article(n) for n in range(min(size, REFERENCE_POSTS))]
    rows = [{"url": a.url, "title": a.title, "author": a.author, "published": a.published,
             "tags": " ".join(a.tags), "categories": " ".join(a.categories), "body": a.body_text,
             "body_html": a.body_html, "body_markdown": a.body_markdown} for a in articles]
    results = []
    path = directory / "reference.db"
    for name in ("raw FTS5 index alone",
                 f"sqlite-utils insert_all + FTS triggers, {BATCH:,} rows a transaction"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if name.startswith("raw"):
            conn.execute(f"CREATE VIRTUAL TABLE fts USING fts5({', '.join(FTS_COLUMNS)}, "
                         f"tokenize={FTS_TOKENIZE_SQL}, prefix='{FTS_PREFIX}')")
            for key, value in FTS_SETTINGS.items():
                conn.execute("INSERT INTO fts(fts, rank) VALUES (?, ?)", (key, value))
            start = time.perf_counter()
            for first in range(0, len(rows), BATCH):
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO fts VALUES (?, ?, ?, ?, ?)",
                                 [tuple(r[c] for c in FTS_COLUMNS)
                                  for r in rows[first:first + BATCH]])
                conn.execute("COMMIT")
        else:
            table = sqlite_utils.Database(conn)["posts"]
            table.create({column: str for column in rows[0]}, pk="url")
            table.enable_fts(FTS_COLUMNS, tokenize=FTS_TOKENIZE, create_triggers=True)
            start = time.perf_counter()
            # One transaction per BATCH rows, as ours: insert_all alone commits every
            # 999 // columns rows (111 here), its statement size cap (SQLITE_MAX_VARS).
            for first in range(0, len(rows), BATCH):
                with table.db.atomic():
                    table.insert_all(rows[first:first + BATCH], batch_size=BATCH)
        results.append((name, len(rows) / (time.perf_counter() - start)))
        conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return results


def refresh(path: Path) -> None:
    with Archive.open(path) as archive:
        start = time.perf_counter()
        archive.refresh_search_stats()
        print(f"search statistics refreshed in {time.perf_counter() - start:.0f} s", flush=True)


def document_frequencies(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT term, doc FROM posts_fts_vocab"))


def uncommon_phrases(conn: sqlite3.Connection, frequent: list[str], size: int,
                     rng: random.Random, wanted: int = 10) -> list[str]:
    """Two-word phrases of frequent words found in 0.5-5% of the posts: too rare for a phrase
    list of their own (PAIR_SHARE), so they rank exactly, walking the positions of two words
    that most posts hold (the known slow kind)."""
    low, high = size * 0.005, size * 0.05
    pairs = [(a, b) for a in frequent for b in frequent if a != b]
    rng.shuffle(pairs)
    found = []
    for a, b in pairs[:400]:
        matches = conn.execute("SELECT count(*) FROM (SELECT 1 FROM posts_fts WHERE posts_fts "
                               "MATCH ? LIMIT ?)", (f'"{a} {b}"', int(high) + 1)).fetchone()[0]
        if low <= matches <= high:
            found.append(f"{a} {b}")
            if len(found) == wanted:
                break
    return found


def queries(conn: sqlite3.Connection, size: int, rng: random.Random) -> dict[str, list[dict]]:
    """Query kinds, each a list of {text, filters}; terms picked by their document frequency."""
    df = document_frequencies(conn)
    ranked = sorted(df, key=df.get, reverse=True)
    words = [w for w in ranked if not w.isdigit() and not w.startswith(("tag", "category"))]
    common = [w for w in words if df[w] > size * 0.5][:10]
    rare = [w for w in words if 3 <= df[w] <= max(5, size // 2000)]
    medium = [w for w in words if size * 0.005 <= df[w] <= size * 0.05]
    prefixes = sorted({w[:3] for w in medium if len(w) > 4})
    short_prefixes = sorted({w[:2] for w in medium if len(w) > 4})
    frequent = [w for w in words if df[w] > size * 0.5]
    kinds: dict[str, list[dict]] = {
        "common word": [{"text": w} for w in common],
        "rare word": [{"text": w} for w in rng.sample(rare, min(10, len(rare)))],
        "two words": [{"text": " ".join(rng.sample(medium, 2))} for _ in range(10)],
        "word + common": [{"text": f"{rng.choice(medium)} {rng.choice(common)}"}
                          for _ in range(10)],
        "common phrase": [{"text": f'"{p}"'} for p in ("of the", "in the", "to the", "and the",
                                                        "it is", "on the", "for the", "at the",
                                                        "from the", "that the")],
        "phrase 0.5-5%": [{"text": f'"{p}"'} for p in uncommon_phrases(
            conn, frequent, size, random.Random(11))],
        "prefix": [{"text": p + "*"} for p in rng.sample(prefixes, min(10, len(prefixes)))],
        "2-letter prefix": [{"text": p + "*"}
                            for p in random.Random(13).sample(short_prefixes,
                                                              min(10, len(short_prefixes)))],
        "filtered rare": [{"text": w, "site": f"site{rng.randrange(SITES)}.example.com",
                           "since": "2018"} for w in rng.sample(rare, min(10, len(rare)))],
        "filtered common": [{"text": f"{rng.choice(medium)} {rng.choice(common)}",
                             "tag": f"tag{rng.randrange(TAGS)}"} for _ in range(10)],
    }
    return kinds


def timed(func, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return times


def raw_sql(conn: sqlite3.Connection, query: dict) -> tuple[str, list]:
    """The textbook FTS5 top-10 query, with the same filters, ranked by exact bm25."""
    # the same text and filters
    from archive.search.query import filters_for, fts_query, register_functions, row_conditions
    from archive.site_match import site_ids

    request = SearchQuery(**query)
    register_functions(conn)  # the SQL functions the filters call
    where, params = row_conditions(filters_for(request, site_ids(conn, request.site)))
    sql = ("SELECT p.id, p.title, snippet(posts_fts, 1, '[', ']', '…', 24) FROM posts_fts "
           "JOIN posts p ON p.id = posts_fts.rowid WHERE posts_fts MATCH ?"
           + "".join(f" AND {w}" for w in where) + " ORDER BY rank LIMIT 10")
    return sql, [fts_query(query["text"]), *params]


def percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[max(0, round(0.95 * len(times)) - 1)]


def cold_start(argv: list[str], repeat: int = 10) -> float:
    """Median wall time of a command, as installed: with its bytecode cached. pip compiles the
    modules it installs, but an editable install compiles ours on first import, which
    PYTHONDONTWRITEBYTECODE (set on some machines) would turn into every start."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, capture_output=True, check=False, env=env)  # writes the bytecode
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench(path: Path, size: int, repeat: int, baseline: bool, only: set[str] | None) -> None:
    import sqlite_utils  # only for the comparison column

    rng = random.Random(7)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    kinds = queries(conn, size, rng)
    archive = Archive.open(path, readonly=True)
    table = sqlite_utils.Database(conn)["posts"]
    # vs sqlite-utils: its p50 over wixarchive's on the same queries (the unfiltered ones, all
    # sqlite-utils can run); above 1x, wixarchive answers faster.
    print(f"\n{'query kind':<16} {'wixarchive p50/p95 ms':>22} {'raw sqlite3 p50/p95':>20} "
          f"{'sqlite-utils p50/p95':>21} {'vs sqlite-utils':>16} {'top-10 agree':>13} "
          f"{'count only p50':>15}")
    overlaps: list[float] = []
    for kind, items in kinds.items():
        if only and kind not in only:
            continue
        if not items:
            print(f"{kind:<16} (no query of this kind in this archive)")
            continue
        ours, raw, su, agree, count = [], [], [], [], []
        ours_unfiltered: list[float] = []  # wixarchive's times on the queries sqlite-utils runs
        for query in items:
            request = SearchQuery(**query)
            hits = search(archive, request)
            ours_times = timed(lambda r=request: search(archive, r), repeat)
            ours += ours_times
            if baseline:
                sql, params = raw_sql(conn, query)
                exact = conn.execute(sql, params).fetchall()
                raw += timed(lambda s=sql, p=params: conn.execute(s, p).fetchall(), repeat)
                expected = {row[0] for row in exact}
                if expected:
                    agree.append(len(expected & {h.id for h in hits}) / len(expected))
                # Walking the matches without ranking them: the floor for any exact top-k.
                count += timed(lambda q=params[0]: conn.execute(
                    "SELECT count(*) FROM posts_fts WHERE posts_fts MATCH ?", (q,)).fetchone(),
                    max(1, repeat // 2))
                if len(query) == 1:  # sqlite-utils has no filter options of its own
                    ours_unfiltered += ours_times
                    fts = raw_sql(conn, query)[1][0]
                    su += timed(lambda q=fts: list(table.search(
                        q, columns=["id", "title", "url"], limit=10)), max(1, repeat // 2))
        overlaps += agree
        cells = [f"{kind:<16}", "{:>9.1f} / {:>8.1f}".format(*percentiles(ours))]
        cells.append("{:>8.1f} / {:>8.1f}".format(*percentiles(raw)) if raw else f"{'-':>19}")
        cells.append("{:>9.1f} / {:>8.1f}".format(*percentiles(su)) if su else f"{'-':>20}")
        ratio = (statistics.median(su) / statistics.median(ours_unfiltered)) if su else None
        cells.append(f"{ratio:>15.2f}x" if ratio else f"{'-':>16}")
        cells.append(f"{statistics.mean(agree):>13.2f}" if agree else f"{'-':>13}")
        cells.append(f"{statistics.median(count):>15.1f}" if count else f"{'-':>15}")
        print(" ".join(cells), flush=True)
    if overlaps:
        print(f"mean top-10 overlap with exact bm25 over all queries: "
              f"{statistics.mean(overlaps):.3f} (min {min(overlaps):.2f})")
    archive.close()
    word = kinds["rare word"][0]["text"] if kinds["rare word"] else "the"
    bin_dir = Path(sys.executable).parent
    wix = shutil.which("wixarchive", path=str(bin_dir)) or "wixarchive"
    ours_cold = cold_start([wix, "search", word, "--db", str(path)])
    line = f"cold start `wixarchive search {word}`: {ours_cold:.0f} ms (median of 10)"
    su_cli = shutil.which("sqlite-utils", path=str(bin_dir))
    if su_cli:
        su_cold = cold_start([su_cli, "search", str(path), "posts", word, "--limit", "10",
                              "-c", "title"])
        line += f"; `sqlite-utils search`: {su_cold:.0f} ms"
    print(line)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sizes(parser, [10_000])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/wixarchive-bench"))
    parser.add_argument("--reuse", action="store_true", help="keep an archive already built")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query")
    parser.add_argument("--refresh", action="store_true",
                        help="recompute the search statistics of a reused archive first")
    parser.add_argument("--build-only", action="store_true", help="build the archives, no queries")
    parser.add_argument("--kinds", help="comma-separated query kinds to run (default: all), "
                                        'e.g. "word + common,filtered common"')
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the raw sqlite3/sqlite-utils columns (slow at 1M)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for size in chosen_sizes(args):
        path = args.dir / f"bench-{size}.db"
        print(f"== {size:,} posts ({path})", flush=True)
        if not (args.reuse and path.exists()):
            ingest = build(path, size)
            print(f"ingest of {size:,} posts: {ingest.inserts:,.0f} posts/s inserting "
                  f"(Archive.save_articles); {ingest.searchable:,.0f} posts/s to a searchable "
                  f"archive (inserts + optimize: index merge and search statistics, "
                  f"{ingest.optimize_seconds:.0f} s)")
            if not args.no_baseline:
                first = min(size, REFERENCE_POSTS)
                # The searchable rate compares only when the references ingest every post:
                # beyond REFERENCE_POSTS, optimize runs once, at the end of the whole archive.
                whole = size <= REFERENCE_POSTS
                print(f"ingest of the first {first:,} posts, posts/s (wixarchive's rate over "
                      "the reference's):")
                print(f"  {'wixarchive, inserts only':<62} {ingest.first_inserts:>7,.0f}")
                if whole:
                    print(f"  {'wixarchive, to a searchable archive':<62} "
                          f"{ingest.searchable:>7,.0f}")
                for name, reference in reference_ingest(args.dir, size):
                    line = (f"  {name:<62} {reference:>7,.0f}   inserts "
                            f"{ingest.first_inserts / reference:.2f}x")
                    if whole:
                        line += f", searchable {ingest.searchable / reference:.2f}x"
                    print(line)
        elif args.refresh:
            refresh(path)
        db_bytes = sum(os.path.getsize(f"{path}{s}") for s in ("", "-wal")
                       if os.path.exists(f"{path}{s}"))
        print(f"database size: {db_bytes / 2**20:,.0f} MiB ({db_bytes / size / 1024:.1f} KiB/post)")
        if not args.build_only:
            only = {kind.strip() for kind in args.kinds.split(",")} if args.kinds else None
            bench(path, size, args.repeat, not args.no_baseline, only)


if __name__ == "__main__":
    main()
