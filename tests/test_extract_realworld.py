"""extract_article on the real Wix pages of $WIXARCHIVE_CORPUS (else ../shared/realworld), scored
against the truth records.

Body score: bag-of-tokens F1 (lower-cased Unicode \\w+ runs with multiplicity, paragraphs joined).
Skipped when the corpus is absent; the fixture tests keep the behaviour covered without it.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from benchmarks.corpus import realworld_corpus
from crawler.clean.html import find_chrome
from crawler.extract import extract_article

CORPUS = realworld_corpus()
HTML = CORPUS / "html"
TRUTH = CORPUS / "truth"

if not TRUTH.is_dir() or not HTML.is_dir():
    pytest.skip(f"real-world corpus not found at {CORPUS}", allow_module_level=True)

TRUTH_FILES = sorted(TRUTH.glob("*.json"))


def body_f1(got: str, want: str) -> float:
    got_t = Counter(re.findall(r"\w+", got.lower()))
    want_t = Counter(re.findall(r"\w+", want.lower()))
    common = sum((got_t & want_t).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got_t.values()), common / sum(want_t.values())
    return 2 * precision * recall / (precision + recall)


def norm(value: str | None) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else value


@pytest.fixture(scope="module", params=TRUTH_FILES, ids=lambda p: p.stem[:60])
def case(request):
    truth = json.loads(request.param.read_text(encoding="utf-8"))
    article = extract_article((HTML / truth["file"]).read_bytes())
    return truth, article


def test_body_f1_at_least_099(case):
    truth, article = case
    assert body_f1(article.body_text, "\n\n".join(truth["body"])) >= 0.99


def test_no_chrome_leaked(case):
    _, article = case
    assert find_chrome(article.body_text) == []
    assert find_chrome(article.body_markdown) == []


def test_title_author_published_exact(case):
    truth, article = case
    assert article.page_kind == "post"
    assert norm(article.title) == norm(truth["title"])
    if truth.get("author"):
        assert norm(article.author) == norm(truth["author"])
    if truth.get("published"):
        assert article.published == truth["published"]
    if truth.get("reading_minutes") is not None:
        assert article.reading_minutes == truth["reading_minutes"]


def test_images_are_full_size(case):
    _, article = case
    for url in article.images:
        assert url.startswith("http"), url
        assert "blur_" not in url, url


MANIFEST_KINDS = {"listing": "listing", "category": "category", "post": "post", "other": "post"}


def _manifest() -> list[tuple[str, str]]:
    manifest = HTML / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    return [
        (row[0], row[4]) for row in rows if row[0].endswith(".html") and row[4] in MANIFEST_KINDS
    ]


@pytest.mark.parametrize(("name", "kind"), _manifest())
def test_page_kind_matches_manifest(name, kind):
    """Listings and categories are recognised (never archived); the generic-head
    translation page ("other" in the manifest) still renders a post body, so it is a post."""
    path = HTML / name
    if not path.exists():
        pytest.skip(f"{name} not in this corpus copy")
    article = extract_article(path.read_bytes())
    assert article.page_kind == MANIFEST_KINDS[kind]
    if article.page_kind != "post":
        assert article.body_text == ""


# The real pages whose blog-app warmup data carries the post's Ricos document.
WARMUP_FILES = [path for path in TRUTH_FILES
                if b"PostPageWarmupData" in (HTML / f"{path.stem}.html").read_bytes()]
_RICOS_BLOCKS = re.compile(
    r'(data-id="(?:rich-)?content-viewer"[^>]*>).*?(<div type="last")', re.S)


@pytest.mark.parametrize("path", WARMUP_FILES, ids=lambda p: p.stem[:60])
def test_empty_html_body_is_read_from_the_warmup_data(path):
    """The real pages with their rendered body removed (a client-rendered or half-saved page):
    the body comes from the post's document in the page's warmup data, as complete as the
    rendered one (before: empty, F1 0.000)."""
    truth = json.loads(path.read_text(encoding="utf-8"))
    served = (HTML / truth["file"]).read_text(encoding="utf-8")
    emptied, count = _RICOS_BLOCKS.subn(r"\1\2", served, count=1)
    assert count == 1
    article = extract_article(emptied.encode())
    assert article.page_kind == "post"
    assert body_f1(article.body_text, "\n\n".join(truth["body"])) >= 0.99
    assert find_chrome(article.body_text) == []
    assert article.images == extract_article(served.encode()).images
