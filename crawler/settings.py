"""Scrapy settings for wixarchive (`scrapy.cfg` points here, so `scrapy crawl wix -a url=...`
uses them too). Every politeness knob can be overridden with `-s NAME=VALUE` or the
`wixarchive crawl` options."""

from archive import __version__

BOT_NAME = "wixarchive"
# The distributed crawl's worker spider too (`scrapy crawl wixarchive -s REDIS_URL=...`).
SPIDER_MODULES = ["crawler.spiders", "crawler.distributed.spider"]
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

# Faults and hostile servers (docs/reliability.md): retry transient errors, honour Retry-After
# within a maximum, bound redirect chains, a download's total time and a body's size, before
# and after decompression (Scrapy's HttpCompressionMiddleware applies DOWNLOAD_MAXSIZE to the
# unpacked body too). Sitemaps get the sitemaps.org limit (50 MB) instead, per request.
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [408, 429, 500, 502, 503, 504, 522, 524]
WIXARCHIVE_RETRY_AFTER_MAX = 60  # seconds: a longer Retry-After fails the page at once
WIXARCHIVE_RETRY_AFTER_STOP = 3  # ... and this many of those from one site end the crawl early
WIXARCHIVE_MAX_SERVER_ERRORS = 50  # answers in a row that are 5xx or none: the crawl ends early
# ... or once they have gone on for this many seconds since the first (0: no such rule;
# crawler/downloader/failing_site.py)
WIXARCHIVE_MAX_FAILING_SECONDS = 300
# ... and until then each of them doubles the site's delay (from at least 0.5 s, up to 30 s),
# its first good answer bringing it back (crawler/downloader/backoff.py).
WIXARCHIVE_BACKOFF_START = 0.5
WIXARCHIVE_BACKOFF_MAX = 30
REDIRECT_MAX_TIMES = 5
DOWNLOAD_TIMEOUT = 30  # the whole download, body included: a trickle never outlasts it
# The largest real Wix post page seen is 1.3 MB; 16 MiB leaves room and bounds memory.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
WIXARCHIVE_MAX_SITEMAPS = 1000  # sitemap files read per crawl (each lists <= 50,000 URLs)
WIXARCHIVE_MAX_LISTING_PAGES = 5000  # listing pages read (sites without a posts sitemap)
# Non-public addresses (loopback, private, link-local, ...) a crawl may reach: `site-network`
# (the site's own block only), `site` (none but the site and media bases) or `all`; see
# crawler/downloader/addresses.py. The resolver refuses the rest at connect time too.
WIXARCHIVE_PRIVATE_ADDRESSES = "site-network"
TWISTED_DNS_RESOLVER = "crawler.downloader.private_addresses.PublicAddressResolver"
DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt's (100): a refused host is not even asked for its robots.txt.
    "crawler.downloader.private_addresses.PrivateAddressMiddleware": 50,
    # Scrapy's robots.txt middleware, reading the spider's one robots.txt request, and a
    # robots.txt answering a server error as forbidding everything (RFC 9309).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.downloader.robots.SiteRobotsTxt": 100,
    # Before HttpCompressionMiddleware (590) on the way back: a robots.txt is decoded only as
    # far as it is read.
    "crawler.downloader.robots.RobotsTxtDecoding": 595,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.downloader.retry_after.RetryAfterMiddleware": 550,
    # After DownloadTimeoutMiddleware (350): cuts each try's timeout to the site's time left.
    "crawler.downloader.time_limit.SiteTimeLimit": 560,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.downloader.redirects.MetaRefreshLoopMiddleware": 580,
    # After HttpCompressionMiddleware (590) on the way back: it sees the unpacked body.
    "crawler.downloader.page_types.PageTypeMiddleware": 585,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.downloader.redirects.RedirectLoopMiddleware": 600,
    # Next to the downloader: they see every try, retries included.
    "crawler.downloader.failing_site.FailingSiteMiddleware": 890,
    "crawler.downloader.backoff.ServerErrorBackoff": 880,
    # Raw captures (WARC, crawler/capture), nearest the downloader: every try is kept.
    "crawler.capture.middleware.CaptureMiddleware": 950,
    # No crawl sets HTTP credentials: a layer of the request path for nothing.
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
# Spider middlewares that do nothing for this crawl, each an asynchronous layer around every
# callback's output (a crawl's requests and items pass through them all): request depth (no
# depth limit or priority is used) and meta-copy detection (a development aid). The Referer
# middleware stays: captured requests carry the Referer, which WACZ indexes keep.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# Seconds the archive worker may spend extracting and storing one page before it is cut off
# (and named in the run's errors): one page can never stall a crawl.
WIXARCHIVE_PAGE_TIMEOUT = 10.0

# Seconds one site's crawl may run (0: no limit); `run-due` sets each site's `timeout` here.
# Enforced by crawler.downloader.time_limit, which also cuts downloads in flight at the limit.
WIXARCHIVE_TIME_LIMIT = 0

# The spider and pipeline run CPU and SQLite work in threads through asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Scrapy starts CONCURRENT_ITEMS asyncio workers for every callback's output; a post page
# yields one item, so the default 100 workers cost ~100 tasks per page for nothing.
CONCURRENT_ITEMS = 4
# Scrapy checks every generator callback for a `return value` by reading its source and parsing
# it; its cache is keyed by the callable, and a bound method is a new object at each call, so it
# re-parsed the callback for every response (~0.5 ms each, 5% of a crawl's CPU). The check only
# warns about a coding mistake.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Raw captures: every HTTP exchange as WARC records beside the archive (crawler/capture);
# `wixarchive crawl --no-capture` turns them off.
WIXARCHIVE_CAPTURE = True
WIXARCHIVE_CAPTURE_ROTATE_BYTES = 256 * 2**20
# `wixarchive crawl --refetch`: every post fetched in full, whatever its sitemap lastmod, with no
# conditional request (the site's validators are not trusted).
WIXARCHIVE_REFETCH = False
# The posts' images at full size, fetched after the posts (crawler/media.py); kept in the
# captures, so --no-capture means no media too. Caps per file and per run (bytes).
WIXARCHIVE_MEDIA = True
WIXARCHIVE_MEDIA_MAX_BYTES = 25 * 2**20
WIXARCHIVE_MEDIA_RUN_BYTES = 2 * 2**30
WIXARCHIVE_MEDIA_BASE = ""  # fetch static.wixstatic.com/media/ files from here instead (tests)
# Wix's media CDN (*.wixstatic.com) is not the blog's own server: each site's crawl fetches a
# post's images, videos and files from it as a browser showing the post does, up to 4 at a time
# with no delay, in a download slot of its own (crawler/media.py). Its robots.txt still applies,
# and a Retry-After from it still pauses the slot. Media on any other host get the politeness
# of pages. `--set DOWNLOAD_SLOTS='{"wixstatic": {"delay": 0.5}}'` slows them down.
WIXARCHIVE_MEDIA_SLOT = "wixstatic"
DOWNLOAD_SLOTS = {WIXARCHIVE_MEDIA_SLOT: {"concurrency": 4, "delay": 0.0, "jitter": 0.0}}
# What media are fetched (crawler/media_kinds.py): `images`, `video`, `documents`, comma-separated.
# Videos and documents not asked for are recorded by URL only.
WIXARCHIVE_MEDIA_KINDS = "images"
WIXARCHIVE_VIDEO_BASE = ""  # fetch video.wixstatic.com files from here instead (tests)
# Also the images each post page shows, at the URLs it names (Wix renditions, crawler/
# page_requisites.py): one request per image, so off unless asked for (`--page-requisites`).
WIXARCHIVE_PAGE_REQUISITES = False

ITEM_PIPELINES = {"crawler.pipelines.archive.ArchivePipeline": 300}
EXTENSIONS = {"crawler.extensions.progress.CrawlProgress": 500,
              "crawler.extensions.socket_reads.SocketReads": 0,
              # AutoThrottle that keeps a site's robots.txt Crawl-delay (crawler/downloader/
              # crawl_delay.py); AUTOTHROTTLE_ENABLED still turns it on and off.
              "scrapy.extensions.throttle.AutoThrottle": None,
              "crawler.downloader.crawl_delay.CrawlDelayAutoThrottle": 0}
# Bytes a crawl reads off a connection at a time (Twisted's default: 64 KB); see
# crawler/extensions/socket_reads.py.
WIXARCHIVE_SOCKET_READ_BYTES = 256 * 1024

# No listening ports of our own: a crawler has nothing to serve.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"
