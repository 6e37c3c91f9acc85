"""Cleaning: strip Wix chrome from extracted HTML and from plain-text dumps. No Scrapy."""
