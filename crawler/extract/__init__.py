"""Extraction: a Wix page's HTML in, a typed `Article` out. Pure functions, no Scrapy."""

from crawler.extract.api import extract_article

__all__ = ["extract_article"]
