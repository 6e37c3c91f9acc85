"""Bounded work per page: the worst time and peak memory of `extract` and `clean` per input.

    .venv/bin/python benchmarks/hostile.py [CORPUS_DIR] [--json] [--only NAME]

Runs every input in a child process of its own (a fresh interpreter), so one input's memory cannot
hide or inflate another's: peak memory is the child's high-water resident size (VmHWM, interpreter
and imports included), time is the CPU time of the one `extract_article` / `clean_text` call (its
wall time is printed too). Inputs: every page of CORPUS_DIR/html (default $WIXARCHIVE_CORPUS, else
../shared/realworld next to the repo; skipped with a message when absent), every real text dump of
CORPUS_DIR/text, and generated hostile inputs (huge non-Wix pages, unclosed tags, deep nesting, huge
attributes, 50 MB, binary, UTF-16/32, NUL bytes…). Prints one table with the limits and exits 1 when
any input breaks one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpus import realworld_corpus  # noqa: E402

DEFAULT_CORPUS = realworld_corpus()
LIMIT_SECONDS = 3.0  # per page, on the project's 2-core machine (issue #14)
LIMIT_MB = 300.0  # peak resident memory of the whole process
CHILD_TIMEOUT = 60  # a child this slow has broken the limit many times over


# -- generated hostile inputs --------------------------------------------------------------------

_WORDS = ("garden", "willow", "notes", "rain", "soil", "seed", "spring", "bloom", "leaf", "root")


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _page(body: str, head: str = "<title>Hostile page</title>") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def _wix_post_with(payload: str) -> bytes:
    """A sample-site Wix post whose Ricos viewer starts with `payload`."""
    from crawler.sample_site import SampleBlog
    from crawler.sample_site.server import route

    blog = SampleBlog(seed=3, post_count=12)
    post = next(p for p in blog.posts if p.layout == "classic")
    html = route(blog, "http://127.0.0.1:9", post.url_path, {}, []).body.decode()
    at = html.index('data-id="content-viewer"')
    at = html.index(">", at) + 1
    return (html[:at] + payload + html[at:]).encode()


def _element_post_with(main: str) -> bytes:
    """A post by its JSON-LD only, without the blog app (element-built and unknown layouts)."""
    posting = ('{"@context": "https://schema.org", "@type": "BlogPosting", "headline": "Harvest",'
               ' "datePublished": "2024-07-24T15:39:55Z"}')
    return (
        '<html lang="en"><head><meta name="generator" content="Wix.com Website Builder"/>'
        '<meta property="og:type" content="article"/><meta property="og:title" content="Harvest"/>'
        f'<script type="application/ld+json">{posting}</script><title>Harvest</title></head>'
        f'<body><div id="SITE_CONTAINER"><main id="PAGES_CONTAINER">{main}</main></div>'
        "</body></html>"
    ).encode()


def _paragraphs(count: int) -> str:
    rng = random.Random(count)
    return "".join(f"<p>{_prose(rng, 3)}</p>" for _ in range(count))


def hostile_pages() -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, builder) for each generated page; built lazily, one at a time."""
    yield "non-Wix 200,000 short <p> (4 MB)", lambda: _page(_paragraphs(200_000))
    yield "non-Wix 200,000 unclosed <p>", lambda: _page("<p>word " * 200_000)
    yield "non-Wix 1,000,000 <span> (20 MB)", lambda: _page(
        "<div>" + "<span>w</span> " * 1_000_000 + "</div>")
    yield "Wix post, 200,000 body <p>", lambda: _wix_post_with(_paragraphs(200_000))
    yield "Wix post, 200,000 unclosed <p>", lambda: _wix_post_with("<p>word " * 200_000)
    yield "Wix post, 100,000 nested <ul><li>", lambda: _wix_post_with(
        "<ul><li>item " * 100_000)
    yield "element-built post, 200,000 <p>", lambda: _element_post_with(
        '<div data-testid="richTextElement"><h1>Harvest</h1></div>'
        '<div data-testid="richTextElement">' + _paragraphs(200_000) + "</div>")
    yield "unknown-layout post, 200,000 <p>", lambda: _element_post_with(
        "<div><h1>Harvest</h1>" + _paragraphs(200_000) + "</div>")
    yield "deep nesting 100,000 <div>", lambda: _page("<div>" * 100_000 + "deep")
    yield "deep nesting 200,000 <b><i>", lambda: _page("<b><i>x" * 100_000)
    yield "Wix post, 100,000 nested <div>", lambda: _wix_post_with(
        "<div><p>deep</p>" * 100_000)
    yield "Wix post, 100,000 nested <a>", lambda: _wix_post_with(
        '<p><a href="/x">' * 100_000 + "link</p>")
    yield "huge attribute (40 MB value)", lambda: _page(
        '<p title="' + "a" * 40_000_000 + '">text</p>')
    yield "one tag with 500,000 attributes", lambda: _page(
        "<p " + " ".join(f"a{i}=1" for i in range(500_000)) + ">text</p>")
    yield "200,000 tags x 20 attributes", lambda: _page(
        ("<i " + " ".join(f"a{i}" for i in range(20)) + ">w</i>") * 200_000)
    yield "50 MB page of prose paragraphs", lambda: _page(_paragraphs(2_500_000)[:50_000_000])
    yield "50 MB single text node", lambda: _page("word " * 10_000_000)
    yield "unclosed <script> 30 MB", lambda: _page("<script>" + "x=1;" * 7_500_000)
    yield "unclosed comment 30 MB", lambda: _page("<p>before</p><!--" + "x" * 30_000_000)
    yield "2,000,000 comments (32 MB)", lambda: _page("<!-- c -->" * 2_000_000)
    yield "1,000,000 empty <script>", lambda: _page("<script></script>" * 1_000_000)
    yield "Wix post, 8 MB one paragraph", lambda: _wix_post_with(
        "<p>" + "word " * 1_600_000 + "</p>")
    yield "JSON-LD 20 MB of nested objects", lambda: _page(
        '<p>text</p>', '<script type="application/ld+json">' + '{"a":' * 2_000_000 + "1"
        + "}" * 2_000_000 + "</script>")
    yield "1,000,000 entities", lambda: _page("<p>" + "&amp;&#233;&eacute;" * 1_000_000)
    yield "200,000 <td> table cells", lambda: _page(
        "<table><tr>" + "<td>cell</td>" * 200_000 + "</tr></table>")
    yield "Wix post, table 20,000 rows x 2", lambda: _wix_post_with(
        "<table>" + "<tr><td><p>cell</p></td><td><b>x</b></td></tr>" * 20_000 + "</table>")
    yield "Wix post, table one row of 100,000 cells and 2,000 short", lambda: _wix_post_with(
        "<table><tr>" + "<td>x</td>" * 100_000 + "</tr>" + "<tr><td>y</td></tr>" * 2_000
        + "</table>")
    yield "binary (8 MB random)", lambda: random.Random(1).randbytes(8_000_000)
    yield "UTF-16 page, 200,000 <p>", lambda: _page(_paragraphs(200_000)).decode().encode(
        "utf-16")
    yield "UTF-32 page, 200,000 <p>", lambda: _page(_paragraphs(200_000)).decode().encode(
        "utf-32")
    yield "NUL bytes after the head", lambda: _page("<p>a\x00b</p>" * 200_000)
    yield "cp1252 bytes, no charset, 20 MB", lambda: _page(
        "<p>caf\xe9 na\xefve</p>" * 1_000_000).decode().encode("cp1252")


def hostile_dumps() -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(name, builder) for generated text dumps fed to `clean_text`."""
    rng = random.Random(5)
    yield "text dump 50 MB of prose lines", lambda: "\n".join(
        _prose(rng, 12) for _ in range(700_000)).encode()[:50_000_000]
    yield "text dump 2,000,000 date lines", lambda: b"Jun 4, 2024\n3 min read\n" * 1_000_000
    yield "text dump one 50 MB line", lambda: ("word " * 10_000_000).encode()
    yield "text dump 1,000,000 bullets", lambda: "• Home\n".encode() * 1_000_000
    # A console browser's wrapped dump that never ends its sentence: every line goes on the one
    # before (quadratic when each join rebuilt the line, 12-05).
    yield "text dump 700,000 wrapped lines", lambda: (
        "and so the evening went on with everyone agreeing to meet again next month\n"
        * 700_000).encode()
    # Lines shaped like the footer's counters one a line, under Wix's header: each pair looks
    # ahead for the footer (quadratic without its bound, 12-05).
    yield "text dump 300,000 counter-shaped pairs", lambda: (
        b"top of page\nHome\nAll Posts\nAnn Lee\nJun 4\n2 min read\nA title\n"
        + b"".join(b"%d zulod\n%d satelono\nlabel %d\n" % (i, i, i) for i in range(300_000)))
    # One long Markdown line of constructs never closed: each was quadratic once (12-05).
    for name, unit in (("images", "![a]("), ("links", "[a](x "), ("brackets", "["),
                       ("bold marks", "**a "), ("strike marks", "~~a ")):
        yield f"Markdown 1 MB line of open {name}", (
            lambda unit=unit: ("# A title\n\n" + unit * (1_000_000 // len(unit))).encode())


# -- measuring -----------------------------------------------------------------------------------


def _child(stage: str, path: str) -> None:
    """Run one input and print {seconds, wall, peak_mb, kind, cut}, in a fresh process of its own.

    `seconds` is CPU time (user + system) of the call: extraction is single-threaded, so on an
    idle machine it is the wall time, and on a shared one it does not count other processes' turns.
    """
    if stage == "extract":
        from crawler.extract import extract_article

        data = Path(path).read_bytes()
        started, cpu = time.perf_counter(), time.process_time()
        article = extract_article(data)
        kind, warnings = article.page_kind, article.warnings
    else:
        from crawler.clean.text import clean_text

        text = Path(path).read_bytes().decode("utf-8", "replace")
        started, cpu = time.perf_counter(), time.process_time()
        result = clean_text(text)
        kind, warnings = result.page_kind, getattr(result, "warnings", [])
    cpu, wall = time.process_time() - cpu, time.perf_counter() - started
    print(json.dumps({"seconds": cpu, "wall": wall, "peak_mb": _peak_kb() / 1024, "kind": kind,
                      "cut": next((w for w in warnings if "limit" in w), "")}))


def _peak_kb() -> int:
    """This process's peak resident memory, in KB.

    VmHWM is the high-water mark of this program's own address space. ru_maxrss is not: Linux
    carries into it, at exec, the resident size of the parent that spawned it (vfork), so a
    child of a parent holding a 50 MB input would report that parent's size.
    """
    import resource

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(stage: str, name: str, data: bytes, workdir: Path, timeout: float) -> dict:
    path = workdir / "input"
    path.write_bytes(data)
    size = len(data)
    del data
    row = {"stage": stage, "input": name, "bytes": size}
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", stage, str(path)],
            capture_output=True, text=True, timeout=timeout, cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        # Killed by wall time: its CPU time is unknown (at most `timeout`).
        return {**row, "seconds": float("nan"), "wall": float(timeout), "peak_mb": float("nan"),
                "kind": "timeout", "cut": "", "error": f"killed after {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {**row, "seconds": float("nan"), "wall": float("nan"), "peak_mb": float("nan"),
                "kind": "crash",
                "cut": "", "error": f"exit {done.returncode}: {last[:120]}"}
    return {**row, **json.loads(done.stdout.strip().splitlines()[-1]), "error": ""}


def _broken(row: dict) -> bool:
    return bool(row["error"]) or row["seconds"] > LIMIT_SECONDS or row["peak_mb"] > LIMIT_MB


def run(corpus: Path, only: str | None, timeout: float,
        progress: Callable[[str], None]) -> list[dict]:
    inputs: list[tuple[str, str, Callable[[], bytes]]] = []
    html_dir, text_dir = corpus / "html", corpus / "text"
    if html_dir.is_dir():
        for page in sorted(html_dir.glob("*.html")):
            inputs.append(("extract", f"real: {page.stem}", page.read_bytes))
    else:
        progress(f"real corpus not found at {html_dir}: real pages skipped")
    if text_dir.is_dir():
        for dump in sorted(text_dir.glob("*.txt")):
            inputs.append(("clean", f"real dump: {dump.stem}", dump.read_bytes))
    inputs += [("extract", name, build) for name, build in hostile_pages()]
    inputs += [("clean", name, build) for name, build in hostile_dumps()]
    if only:
        inputs = [entry for entry in inputs if only.lower() in entry[1].lower()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="wixarchive-hostile-") as tmp:
        for i, (stage, name, build) in enumerate(inputs, 1):
            progress(f"[{i}/{len(inputs)}] {stage}: {name}")
            rows.append(measure(stage, name, build(), Path(tmp), timeout))
    return rows


def print_table(rows: list[dict]) -> None:
    real = [r for r in rows if r["input"].startswith("real")]
    generated = [r for r in rows if not r["input"].startswith("real")]
    print(f"limits per page: {LIMIT_SECONDS:.0f} s of CPU, {LIMIT_MB:.0f} MB peak "
          f"(child process VmHWM, interpreter included); wall time for information\n")
    header = (f"{'stage':8} {'input':42} {'size':>9} {'cpu s':>7} {'wall s':>7} {'peak MB':>8}"
              f"  {'':2} note")
    print(header)
    print("-" * len(header))
    for stage in ("extract", "clean"):
        ours = [r for r in real if r["stage"] == stage]
        if ours:
            slow = max(ours, key=lambda r: r["seconds"])
            fat = max(ours, key=lambda r: r["peak_mb"])
            label = f"real corpus ({len(ours)}), worst"
            print(f"{stage:8} {label:42} {'':>9} {slow['seconds']:>7.3f} {slow['wall']:>7.3f} "
                  f"{fat['peak_mb']:>8.1f}"
                  f"  {'!!' if any(_broken(r) for r in ours) else 'ok'} "
                  f"slowest {slow['input'][6:46]}")
    for row in generated:
        size = f"{row['bytes'] / 1e6:.1f} MB"
        note = row["error"] or row["cut"] or row["kind"]
        print(f"{row['stage']:8} {row['input'][:42]:42} {size:>9} {row['seconds']:>7.3f} "
              f"{row['wall']:>7.3f} "
              f"{row['peak_mb']:>8.1f}  {'!!' if _broken(row) else 'ok'} {note[:70]}")
    measured = [r for r in rows if not r["error"]]
    broken = [r for r in rows if _broken(r)]
    if measured:
        worst_s = max(measured, key=lambda r: r["seconds"])
        worst_m = max(measured, key=lambda r: r["peak_mb"])
        print(f"\nworst measured: {worst_s['seconds']:.3f} s CPU ({worst_s['input']}); "
              f"{worst_m['peak_mb']:.1f} MB peak ({worst_m['input']})")
    failed = len(rows) - len(measured)
    if failed:
        print(f"{failed} inputs killed or crashed (see the note column)")
    print(f"{len(rows)} inputs, {len(broken)} over a limit")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--only", help="run only the inputs whose name contains this")
    parser.add_argument("--timeout", type=float, default=CHILD_TIMEOUT,
                        help=f"seconds before a child is killed (default {CHILD_TIMEOUT})")
    args = parser.parse_args(argv)
    quiet = args.json or not sys.stderr.isatty()
    rows = run(args.corpus, args.only, args.timeout,
               (lambda _: None) if quiet else (lambda m: print(m, file=sys.stderr, flush=True)))
    if args.json:
        print(json.dumps({"limits": {"seconds": LIMIT_SECONDS, "peak_mb": LIMIT_MB},
                          "rows": rows}, indent=2))
    else:
        print_table(rows)
    return 1 if any(_broken(r) for r in rows) else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
