"""Scheduled, unattended crawls: the sites file, when a site is due, one lock per site, and the
runner behind `wixarchive run-due` (for cron) and `wixarchive schedule` (a foreground loop).

Nothing here imports Scrapy: each crawl runs in a child process (`python -m crawler.run`).
"""
