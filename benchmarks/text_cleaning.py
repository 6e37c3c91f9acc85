"""Text-dump cleaning benchmark: `clean_text` on the real dumps against their annotations.

    .venv/bin/python benchmarks/text_cleaning.py [CORPUS_DIR] [--files]

CORPUS_DIR (default $WIXARCHIVE_CORPUS, else ../shared/realworld next to the repo) holds
text/<name>.txt and text-truth/<name>.json. Scores: exact-match rates for page kind, title, author,
date, updated and reading minutes; body-line precision and recall (a truth line counts as kept when
it is one of the cleaner's paragraphs); chrome lines leaked into the body. When the corpus is absent
it says so and exits 3.

Then the whole-page dumps in dumps/ (<post>.<tool>.txt beside <post>.<tool>.json), one row per
tool and dialect for "no cleaning" (the dump as it is) and for `clean_text`: body F1 over bags of
tokens (mean, worst), title/author/reading time exact where the dump shows them, structural chrome
lines left, and ms per dump (cleaning only, files read beforehand).

Then the same dumps as a Wix site in a locale the vocabulary lacks would show them: the words of
every chrome line the vocabulary names made up (`pseudo_locale`), the title, author and body kept.

Then the same dumps with what a blog's settings can hide taken out (the reading time, the date
too, the author, the footer's counters, likes, share bar and comments).

Then, where lynx, w3m, pandoc and chromium are installed, the same scores for their dumps of
the real posts (html/<name>.html with truth/<name>.json), made on the spot: the console
browsers' -dump, pandoc's plain text, GFM and Markdown, and Chromium's innerText (what
selecting the page and copying it gives), also in a made-up locale; and, where their libraries
are installed, the scrapers' idioms on the whole page: BeautifulSoup's get_text("\n",
strip=True) and bare get_text(), markdownify as LangChain's MarkdownifyTransformer calls it,
trafilatura's html2txt. `--dumpers WORD…` runs only those whose name holds a word.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import html
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.corpus import corpus_missing, realworld_corpus  # noqa: E402
from crawler.clean import vocabulary as v  # noqa: E402
from crawler.clean.text import clean_text  # noqa: E402

DEFAULT_CORPUS = realworld_corpus()
FIELDS = ("page_kind", "title", "author", "date", "updated", "reading_minutes")
# The lines that are Wix page structure wherever they stand alone (as ../shared/tools/score_clean.py
# counts them): skip links, widget headings, header metadata, counters, the like button.
STRUCTURAL = re.compile(
    r"^\W*(top of page|bottom of page|search|rechercher|comments?|commentaires?|comentários|"
    r"komentar|recent posts|see all|related posts|posts récents|voir tout|log in / sign up|"
    r"more actions)\W*$|min (read|de lecture|de leitura)|^updated:|dernière mise à jour|writer:|"
    r"\d+ (views?|vues?)\b|post not marked as liked", re.I)
TOOLS = {"html2text": "markdown", "inscriptis": "text", "htmltext": "text"}


def token_f1(pred: str, gold: str) -> float:
    """F1 over bags of lower-cased word tokens, as ../shared/tools/score_clean.py scores a body."""
    p = collections.Counter(re.findall(r"\w+", pred.lower()))
    g = collections.Counter(re.findall(r"\w+", gold.lower()))
    tp = sum((p & g).values())
    if not tp:
        return float(not p and not g)
    precision, recall = tp / sum(p.values()), tp / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def _no_cleaning(text: str) -> dict:
    return {"body_text": text, "title": None, "author": None, "reading_minutes": None}


def _cleaned(text: str) -> dict:
    result = clean_text(text)
    return {"body_text": result.body_text, "title": result.title, "author": result.author,
            "reading_minutes": result.reading_minutes}


def stored_dumps(folder: Path) -> list[tuple[dict, str]]:
    """Each whole-page dump under `folder` with its truth record, read once for every table."""
    records = (json.loads(r.read_text(encoding="utf-8")) for r in sorted(folder.glob("*.json")))
    return [(truth, (folder / truth["file"]).read_text(encoding="utf-8")) for truth in records]


def _by_tool(dumps: list[tuple[dict, str]], tool: str) -> list[tuple[dict, str]]:
    return [(truth, dump) for truth, dump in dumps if truth["file"].endswith(f".{tool}.txt")]


def score_dumps(folder: Path, dumps: list[tuple[dict, str]]) -> None:
    if not dumps:
        print(f"no whole-page dumps under {folder}: nothing to score")
        return
    print(f"\nwhole-page dumps ({folder})")
    print(f"{'tool (dialect)':<24}{'cleaner':<14}{'dumps':>6}{'F1 mean':>9}{'F1 worst':>9}"
          f"{'meta exact':>12}{'chrome':>8}{'ms/dump':>9}")
    for tool, dialect in TOOLS.items():
        _print_rows(f"{tool} ({dialect})", _by_tool(dumps, tool))


def _print_rows(label: str, cases: list[tuple[dict, str]]) -> None:
    """One row for the dumps as they are and one for `clean_text`; each truth record has the
    post's `body` lines and the fields it `check`s."""
    if not cases:
        return
    for name, run in (("no cleaning", _no_cleaning), ("wixarchive", _cleaned)):
        started = time.perf_counter()
        outputs = [run(text) for _, text in cases]
        elapsed = time.perf_counter() - started
        f1s = [token_f1(out["body_text"], "\n".join(truth["body"]))
               for (truth, _), out in zip(cases, outputs, strict=True)]
        exact = shown = left = 0
        for (truth, _), out in zip(cases, outputs, strict=True):
            gold = {line.strip() for line in truth["body"]}
            left += sum(1 for line in {ln.strip() for ln in out["body_text"].split("\n")}
                        if line and STRUCTURAL.search(line) and line not in gold)
            for field in truth["check"]:
                shown += 1
                exact += out[field] == truth[field]
        print(f"{label:<24}{name:<14}{len(cases):>6}"
              f"{sum(f1s) / len(f1s):>9.3f}{min(f1s):>9.3f}{f'{exact}/{shown}':>12}"
              f"{left:>8d}{1000 * elapsed / len(cases):>9.2f}")


# A locale the vocabulary lacks: every whole line of chrome that crawler.clean.vocabulary names
# (menus' login and search, header widgets, dates, reading times, counters, share labels, "Recent
# Posts") gets its words replaced by pseudo-words, as a Wix site in Hebrew or Japanese would show
# words the cleaner has never seen. "top of page" and "bottom of page" stay: Wix writes them in
# English in every locale. Author names stay names.
_SYLLABLES = ("ka", "lo", "mi", "ru", "te", "sa", "no", "vi", "pe", "zu", "da", "go", "ri", "ta",
              "ne", "bo")
_LINE_PARTS = re.compile(r"^(\s*(?:[•*+-]\s+|#+\s+)*)(.*?)(\s*)$")
_MARKUP = re.compile(r"[\[\]*_]|\((?:#|\.\.?/|https?://)[^)]*\)")


def _pseudo_word(word: str) -> str:
    digest = hashlib.md5(word.lower().encode()).digest()
    made = "".join(_SYLLABLES[b % 16] for b in digest[:max(1, min(4, (len(word) + 1) // 2))])
    made = made[:max(2, len(word))]
    return made.capitalize() if word[:1].isupper() else made


def _pseudo(text: str) -> str:
    return re.sub(r"[^\W\d_]+", lambda m: _pseudo_word(m.group(0)), text)


_CHROME_LINES = (
    v.SEARCH_LINE, v.LOGIN_LINE, v.ALL_POSTS_LINE, v.MORE_MENU_LINE, v.HEADER_WIDGET_LINE,
    v.MENU_A11Y_LINE, v.SKIP_LINK_LINE, v.COMMENTS_HEADING, v.WRITE_COMMENT_LINE, v.LIKED_LINE,
    v.RECENT_POSTS_LINE, v.SEE_ALL_LINE, v.COUNTERS, v.LIKE_COUNT, v.SHARE_VIA, v.TAGS_LABEL,
    v.UPDATED, v.DATE, v.BANNER_BUTTON_LINE, v.BARE_MINUTES,
    re.compile(rf"^(?:{'|'.join(map(re.escape, v.SHARE_LABELS))})\s*:?$", re.I))


def _vocabulary_chrome(text: str) -> bool:
    return bool(text) and (any(p.match(text) for p in _CHROME_LINES)
                           or v.read_minutes(text) is not None)


def pseudo_locale(dump: str) -> str:
    """The dump as a Wix site in a locale the vocabulary lacks would read (see above)."""
    out = []
    for line in dump.split("\n"):
        lead, core, trail = _LINE_PARTS.match(line).groups()  # type: ignore[union-attr]
        if writer := v.WRITER.match(core):
            core = _pseudo(core[:writer.start("name")]) + core[writer.start("name"):]
        elif _vocabulary_chrome(core) or _vocabulary_chrome(_MARKUP.sub("", core).strip()):
            core = _pseudo(core)
        out.append(lead + core + trail)
    return "\n".join(out)


def score_pseudo_locale(dumps: list[tuple[dict, str]]) -> None:
    if not dumps:
        return
    print("\nthe same dumps in a locale the vocabulary lacks (chrome's words made up)")
    for tool, dialect in TOOLS.items():
        _print_rows(f"{tool} ({dialect})",
                    [(truth, pseudo_locale(dump)) for truth, dump in _by_tool(dumps, tool)])


# What a blog's settings can hide (Wix lets an owner hide the reading time, the date, the
# author, the counters, likes and share bar): the same dumps with those lines taken out of them,
# the header's within its first 25 lines, the footer's anywhere.
_FOOTER_WIDGETS = (v.COUNTERS, v.LIKE_COUNT, v.LIKED_LINE, v.SHARE_VIA, v.SHARE_BAR,
                   v.COMMENTS_HEADING, v.WRITE_COMMENT_LINE, v.TAGS_LABEL)


def _hidden(dump: str, hides: tuple[str, ...], author: str | None) -> str:
    kept, seen = [], 0
    for line in dump.split("\n"):
        core = _LINE_PARTS.match(line).group(2)  # type: ignore[union-attr]
        plain = _MARKUP.sub("", core).strip()
        seen += bool(core)
        header = seen <= 25 and bool(core)
        gone = (header and "read" in hides and v.read_minutes(core) is not None
                or header and "date" in hides and bool(v.DATE.match(core))
                or header and "author" in hides and bool(author) and (
                    author in (core, plain) or core.endswith(f": {author}"))
                or "footer" in hides and any(p.match(core) or p.match(plain)
                                             for p in _FOOTER_WIDGETS))
        if not gone:
            kept.append(line)
    return "\n".join(kept)


def score_hidden(dumps: list[tuple[dict, str]]) -> None:
    if not dumps:
        return
    print("\nthe same dumps, all three tools, with what a blog's settings can hide taken out")
    for hides in (("read",), ("date", "read"), ("author",), ("footer",)):
        # A hidden field is not asked for: the row scores what the page still shows.
        unasked = {{"read": "reading_minutes", "author": "author"}.get(h) for h in hides}
        cases = []
        for record, dump in dumps:
            author = (record.get("author") or "").strip() or None
            truth = {**record, "check": [f for f in record["check"] if f not in unasked]}
            cases.append((truth, _hidden(dump, hides, author)))
        _print_rows(f"no {'+'.join(hides)}"[:23], cases)


# The console browsers and pandoc's plain text, when installed (Debian's lynx, w3m and pandoc;
# not needed by the tests), and a browser's select-all-and-copy (headless Chromium's
# document.body.innerText, what a reader gets by copying the page): each real post of html/
# that truth/ describes, dumped now, scored like the dumps above.
CONSOLE_TOOLS = {
    "lynx": ["lynx", "-dump", "-nolist", "-assume_charset=utf-8", "-display_charset=utf-8"],
    "w3m": ["w3m", "-dump", "-T", "text/html", "-I", "utf-8", "-O", "utf-8"],
    "pandoc": ["pandoc", "-f", "html", "-t", "plain"],
    # pandoc's Markdown at its defaults (lines wrapped at 72 columns; Pandoc's own dialect keeps
    # Wix's divs and spans as `:::` fences and `[…]{.class}` attributes), as a converter
    # script runs it on a saved page.
    "pandoc gfm": ["pandoc", "-f", "html", "-t", "gfm"],
    "pandoc markdown": ["pandoc", "-f", "html", "-t", "markdown"],
}
CONSOLE_CHECKS = ("title", "author", "reading_minutes")
# The page's own scripts are dropped (they would fetch Wix's runtime from a network the machine
# does not have); this one replaces the page, once laid out, by the text a copy would give.
_COPY_PROBE = ('<script>var copied = document.body.innerText;'
               'document.body.innerHTML = "<pre id=\\"copy\\"></pre>";'
               'document.getElementById("copy").textContent = copied;</script>')




# The scrapers' idioms, run on the whole saved page, when their library is installed (none is a
# dependency of wixarchive's cleaning): BeautifulSoup's get_text (one string a line, stripped,
# and the bare call, the most common), markdownify as LangChain's MarkdownifyTransformer calls it
# (ATX headings, no-break spaces made spaces, runs of blank lines made one) and trafilatura's
# whole-page html2txt.
def _soup_lines(page: str) -> str:
    from bs4 import BeautifulSoup
    return BeautifulSoup(page, "html.parser").get_text("\n", strip=True)


def _soup_text(page: str) -> str:
    from bs4 import BeautifulSoup
    return BeautifulSoup(page, "html.parser").get_text()


def _langchain_markdownify(page: str) -> str:
    from markdownify import markdownify
    converted = markdownify(page, autolinks=True, heading_style="ATX")
    return re.sub(r"\n\s*\n", "\n\n", converted.replace("\xa0", " ").strip())


def _trafilatura_html2txt(page: str) -> str:
    from trafilatura import html2txt
    return html2txt(page)


LIBRARY_TOOLS = {
    "bs4 get_text(\\n,strip)": ("bs4", _soup_lines),
    "bs4 get_text()": ("bs4", _soup_text),
    "markdownify (LangChain)": ("markdownify", _langchain_markdownify),
    "trafilatura html2txt": ("trafilatura", _trafilatura_html2txt),
}


def _dump(tool: str, page: Path, scratch: Path) -> str:
    if tool in LIBRARY_TOOLS:
        return LIBRARY_TOOLS[tool][1](page.read_text("utf-8", "replace"))
    if tool in CONSOLE_TOOLS:
        return subprocess.run([*CONSOLE_TOOLS[tool], str(page)], capture_output=True,
                              check=False, timeout=120).stdout.decode("utf-8", "replace")
    source = re.sub(r"<script\b.*?</script\s*>", "", page.read_text("utf-8", "replace"),
                    flags=re.S | re.I)
    probed = scratch / "page.html"
    probed.write_text(source + _COPY_PROBE, encoding="utf-8")
    dom = subprocess.run(
        [tool, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND",
         f"--user-data-dir={scratch / 'profile'}", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, check=False, timeout=120).stdout
    copied = re.search(r'<pre id="copy">(.*?)</pre>', dom, re.S)
    return html.unescape(copied.group(1)) if copied else ""


def score_console_dumps(corpus: Path, only: list[str]) -> None:
    posts = [(truth, corpus / "html" / f"{truth.stem}.html")
             for truth in sorted((corpus / "truth").glob("*.json"))]
    posts = [(truth, page) for truth, page in posts if page.is_file()]
    found = [tool for tool, command in (*CONSOLE_TOOLS.items(), ("chromium", ["chromium"]))
             if shutil.which(command[0])]
    found += [tool for tool, (module, _) in LIBRARY_TOOLS.items()
              if importlib.util.find_spec(module)]
    if only:
        found = [tool for tool in found if any(word in tool for word in only)]
    if not posts or not found:
        print("\nbrowsers' and scrapers' dumps: lynx, w3m, pandoc, chromium, bs4, markdownify "
              "and trafilatura not installed, or no truth: skipped")
        return
    print(f"\nbrowsers' and scrapers' dumps ({len(posts)} posts of {corpus / 'html'}, dumped "
          "now; chromium: its innerText, a select-all copy)")
    with tempfile.TemporaryDirectory() as scratch:
        for tool in found:
            cases = []
            for truth_file, page in posts:
                truth = json.loads(truth_file.read_text(encoding="utf-8"))
                truth["check"] = [f for f in CONSOLE_CHECKS if truth.get(f) is not None]
                cases.append((truth, _dump(tool, page, Path(scratch))))
            _print_rows(tool if tool in LIBRARY_TOOLS or " " in tool else f"{tool} (text)", cases)
            if tool == "chromium":
                _print_rows("chromium, made-up",
                            [(truth, pseudo_locale(dump)) for truth, dump in cases])


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
    parser.add_argument("--dumpers", nargs="*", default=[], metavar="WORD",
                        help="only the whole-page dumpers whose name holds one of these words, "
                             "and none of the stored tables")
    args = parser.parse_args()
    if not (args.corpus / "text").is_dir():
        return corpus_missing(args.corpus, "text/")
    if args.dumpers:
        score_console_dumps(args.corpus, args.dumpers)
        return 0
    status = score(args.corpus, args.files)
    if (args.corpus / "dumps").is_dir():
        dumps = stored_dumps(args.corpus / "dumps")
        score_dumps(args.corpus / "dumps", dumps)
        score_pseudo_locale(dumps)
        score_hidden(dumps)
    score_console_dumps(args.corpus, [])
    return status


if __name__ == "__main__":
    sys.exit(main())
