"""Everything that touches the network: discover, fetch, extract, clean, store pipelines.

Importing this package (or its extract/clean subpackages) never imports Scrapy, so the
extract and clean commands stay light.
"""
