"""Every ```python block in README.md and docs/*.md runs, as a reader would run it.

The blocks of one page run in order in one namespace (a page is one session), in a fresh folder
holding what the pages refer to: `blog.db`, an archive of the sample blog (`make demo`'s) with
one post edited once (two versions); `page.html`, one of its post pages; `dump.txt`, a real
page's plain-text dump from the test fixtures. Blocks fenced as anything else (```text,
```console) are not run.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from archive.store import Archive
from crawler.extract import extract_article
from crawler.sample_site import SampleBlog
from crawler.sample_site.server import route

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BASE = "http://127.0.0.1:40629"  # as `make demo` serves it: a loopback port
_BLOCK = re.compile(r"^```python\n(.*?)^```\s*$", re.S | re.M)


def code_blocks(page: Path) -> list[tuple[int, str]]:
    """The page's python blocks with the line each starts on."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _BLOCK.finditer(text)]


def page_html(blog: SampleBlog, path: str) -> bytes:
    return route(blog, BASE, path, {}, []).body


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the docs' examples open, built once."""
    folder = tmp_path_factory.mktemp("docs-workspace")
    blog = SampleBlog(seed=1, post_count=12)
    with Archive.open(folder / "blog.db") as archive:
        archive.save_articles([extract_article(page_html(blog, p.url_path), BASE + p.url_path)
                               for p in blog.posts])
        edited = blog.edit_post(blog.posts[1].slug, title="The quiet hedge, revisited")
        archive.save_article(extract_article(page_html(blog, edited.url_path),
                                             BASE + edited.url_path))
    (folder / "page.html").write_bytes(page_html(blog, blog.posts[0].url_path))
    shutil.copy(REPO / "tests/fixtures/text/a_fullpage_en.txt", folder / "dump.txt")
    return folder


def test_the_docs_have_runnable_examples() -> None:
    assert any(code_blocks(page) for page in DOCS), "no ```python block in docs/"


@pytest.mark.parametrize("page", [p for p in DOCS if code_blocks(p)], ids=lambda p: p.name)
def test_doc_examples_run(page: Path, workspace: Path, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    for item in workspace.iterdir():
        shutil.copy(item, tmp_path / item.name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, code in code_blocks(page):
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"the example at {page.name} line {line} failed: "
                                 f"{type(exc).__name__}: {exc}") from exc
