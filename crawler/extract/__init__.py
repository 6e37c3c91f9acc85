"""Extraction: a Wix page's HTML in, a typed `Article` out. Pure functions, no Scrapy."""

from __future__ import annotations

from typing import Any

__all__ = ["extract_article"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the archive side imports crawler.extract.record for the Article
    # type, and must not pay for the extractor's HTML stack (lxml, markdownify, bs4) at start-up.
    if name == "extract_article":
        from crawler.extract.api import extract_article

        return extract_article
    raise AttributeError(name)
