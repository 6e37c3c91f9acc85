"""Discovery: from any URL of a Wix site to the list of its post URLs.

Pure functions over robots.txt, sitemaps, feeds and listing pages, so the spider stays a thin
fetch loop and every rule here is unit-tested without Scrapy.
"""
