"""Downloader middlewares that keep a crawl bounded and polite when a server misbehaves.

Each has one job and is wired by crawler.settings: `retry_after` (honour Retry-After, within a
maximum), `page_types` (a post URL that answers with a PDF or an image), `redirects` (cycles named),
`backoff` (a site failing request after request is asked less and less often),
`failing_site` (a site failing every request ends the crawl early), `failures` (one clear
reason per failed request for the run's errors). Size, time and redirect limits are Scrapy's
own settings (DOWNLOAD_MAXSIZE, DOWNLOAD_TIMEOUT, REDIRECT_MAX_TIMES): see docs/reliability.md.
"""
