"""The extraction's speed shortcuts change no record: each is checked against what it stands in for.

Raw text cut before parsing (crawler.extract.page.drop_raw_text: script and style content, SVG
drawings) must leave every field of every record as parsing the whole page gives it, warnings
included; the media-block scan (crawler.extract.attachments.media_blocks) must find what its
XPath definition finds. On the project's fixtures and generated sample-blog posts always, on the
real Wix pages of ../shared/realworld when present (skipped otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from benchmarks.extraction import sample_posts
from crawler.extract import extract_article
from crawler.extract import page as page_module
from crawler.extract.attachments import _MEDIA_BLOCK_HOOKS, media_blocks
from crawler.extract.body import find_body, find_post_scope
from crawler.extract.page import parse

FIXTURES = Path(__file__).parent / "fixtures" / "html"
URL = "https://example.com/post/x"

# What media_blocks stands in for: the outermost video or gallery block, by XPath.
_HOOK_TEST = " or ".join(f"@data-hook='{hook}'" for hook in sorted(_MEDIA_BLOCK_HOOKS))
_MEDIA_BLOCKS_XPATH = etree.XPath(f".//*[{_HOOK_TEST}][not(ancestor::*[{_HOOK_TEST}])]")


def _project_pages() -> list[tuple[str, bytes]]:
    pages = [(path.name, path.read_bytes()) for path in sorted(FIXTURES.glob("*.html"))]
    pages += [(f"sample post {n}", raw) for n, raw in enumerate(sample_posts(60))]
    return pages


def _real_pages(corpus: Path) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted((corpus / "html").iterdir())
            if path.suffix in (".html", ".htm", ".xml")]


def _records(pages: list[tuple[str, bytes]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, raw in pages:
        yield f"{name} (bytes)", extract_article(raw, URL).to_dict()
        yield f"{name} (no URL)", extract_article(raw).to_dict()
        yield f"{name} (text)", extract_article(raw.decode("utf-8", "replace"), URL).to_dict()


def _assert_cut_changes_nothing(pages: list[tuple[str, bytes]],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    cut = dict(_records(pages))
    monkeypatch.setattr(page_module, "drop_raw_text", lambda data: data)
    whole = dict(_records(pages))
    for name, record in cut.items():
        changed = {key: (value, whole[name][key]) for key, value in record.items()
                   if whole[name][key] != value}
        assert not changed, f"{name}: fields differ (cut, whole page): {changed}"


def test_raw_text_cut_changes_no_record_of_the_project_pages(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_cut_changes_nothing(_project_pages(), monkeypatch)


def test_raw_text_cut_changes_no_record_of_the_real_pages(
        realworld_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_cut_changes_nothing(_real_pages(realworld_dir), monkeypatch)


def _bodies(pages: list[tuple[str, bytes]]) -> Iterator[tuple[str, etree._Element]]:
    for name, raw in pages:
        root = parse(raw).root
        scope = find_post_scope(root)
        body = find_body(scope) if scope is not None else None
        yield name, body if body is not None else root


NESTED_MEDIA = b"""<html><body><div data-hook="videoViewer"><div id="outside-body">
<div data-hook="gallery-viewer"><p>inside a block above the body</p></div></div></div>
<div id="body"><p>text</p>
<figure data-hook="figure-VIDEO"><div data-hook="video-player"></div></figure>
<div data-hook="galleryViewer"><div><div data-hook="gallery-viewer"></div></div></div>
<div data-hook="reactPlayerWrapper"><iframe src="https://www.youtube.com/embed/x"></iframe></div>
<div data-hook="video-player-x"></div><div data-hook="VIDEO-PLAYER"></div>
<section><span data-hook="video-iframe-placeholder"></span></section></div></body></html>"""


def test_media_blocks_are_the_outermost_hooked_blocks_in_document_order() -> None:
    root = parse(NESTED_MEDIA).root
    body = root.find(".//div[@id='body']")
    hooks = [el.get("data-hook") for el in media_blocks(body)]
    assert hooks == ["figure-VIDEO", "galleryViewer", "reactPlayerWrapper",
                     "video-iframe-placeholder"]
    # A block whose ancestor, even above the body, is one is not an outermost block.
    assert media_blocks(root.find(".//div[@id='outside-body']")) == []
    assert media_blocks(body) == _MEDIA_BLOCKS_XPATH(body)


def test_media_blocks_match_their_xpath_on_the_project_pages() -> None:
    for name, body in _bodies(_project_pages()):
        assert media_blocks(body) == _MEDIA_BLOCKS_XPATH(body), name


def test_media_blocks_match_their_xpath_on_the_real_pages(realworld_dir: Path) -> None:
    for name, body in _bodies([page for page in _real_pages(realworld_dir)
                               if not page[0].endswith(".xml")]):
        assert media_blocks(body) == _MEDIA_BLOCKS_XPATH(body), name
