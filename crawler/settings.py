"""Scrapy settings for wixarchive (`scrapy.cfg` points here, so `scrapy crawl wix -a url=...`
uses them too). Every politeness knob can be overridden with `-s NAME=VALUE` or the
`wixarchive crawl` options."""

from archive import __version__

BOT_NAME = "wixarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Where the archive pipeline writes; `wixarchive crawl --db` sets it.
WIXARCHIVE_DB = "archive.db"
# Put an e-mail or URL here (or pass --contact) so site owners can reach whoever crawls them.
WIXARCHIVE_CONTACT = ""
USER_AGENT = f"wixarchive/{__version__} (+https://pypi.org/project/wixarchive/)"

# Politeness: obey robots.txt, adapt to the server, few parallel requests per site.
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5

# Faults: retry transient errors, bound redirect chains and page sizes.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
REDIRECT_MAX_TIMES = 5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
# Seconds the archive worker may spend extracting and storing one page before it is cut off
# (and named in the run's errors): one page can never stall a crawl.
WIXARCHIVE_PAGE_TIMEOUT = 10.0

# The spider and pipeline run CPU and SQLite work in threads through asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Scrapy starts CONCURRENT_ITEMS asyncio workers for every callback's output; a post page
# yields one item, so the default 100 workers cost ~100 tasks per page for nothing.
CONCURRENT_ITEMS = 4

# Raw captures: every HTTP exchange as WARC records beside the archive (crawler/capture);
# `wixarchive crawl --no-capture` turns them off.
WIXARCHIVE_CAPTURE = True
WIXARCHIVE_CAPTURE_ROTATE_BYTES = 256 * 2**20
DOWNLOADER_MIDDLEWARES = {"crawler.capture.middleware.CaptureMiddleware": 950}
# The posts' images at full size, fetched after the posts (crawler/media.py); kept in the
# captures, so --no-capture means no media too. Caps per file and per run (bytes).
WIXARCHIVE_MEDIA = True
WIXARCHIVE_MEDIA_MAX_BYTES = 25 * 2**20
WIXARCHIVE_MEDIA_RUN_BYTES = 2 * 2**30
WIXARCHIVE_MEDIA_BASE = ""  # fetch static.wixstatic.com/media/ files from here instead (tests)

ITEM_PIPELINES = {"crawler.pipelines.archive.ArchivePipeline": 300}
EXTENSIONS = {"crawler.extensions.progress.CrawlProgress": 500}

# No listening ports of our own: a crawler has nothing to serve.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"
