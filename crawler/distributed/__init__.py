"""Crawling with many workers on many machines, through Redis (scrapy-redis).

`wixarchive worker --redis URL` runs crawler workers (crawler.distributed.worker); they share the
request queue and duplicate filter in Redis (scrapy-redis's scheduler and dupefilter) and send
what they fetch and extract back through Redis. `wixarchive crawl URL... --redis URL` queues
the sites and is the archive's one writer (archive.distributed). See docs/distributed.md.
"""
