"""Scrapy extensions: progress reporting."""
