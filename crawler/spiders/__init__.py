"""Spiders: the fetch loop. Discovery rules live in crawler.discover."""
