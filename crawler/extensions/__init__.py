"""Scrapy extensions: progress reporting, socket read size."""
