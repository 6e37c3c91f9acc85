"""DistributedWixSpider: the Wix blog spider for workers sharing a Redis queue.

The single-site spider (crawler.spiders.wix) keeps a site's discovery state in its own memory;
here any worker may handle any request of any site, so a request carries its site and run in
`meta`, what the archive holds comes from Redis (put there by the writer), and every callback
ends with `_done`: its child requests are queued, then what it found (articles, errors, sitemap
URLs, ...) goes to the writer in the same atomic step that ends the request's lease. A worker
killed at any point therefore loses nothing: an unfinished request is done again, and the writer
stores a post delivered twice once.

Discovery is the single-site spider's: robots.txt `Sitemap:` lines, sitemaps, blog-feed.xml
(asked for once robots.txt was read; the duplicate filter drops the posts both list), and
listing pages, which the writer queues when a site ran dry without a posts sitemap. Each
callback reports what the writer needs to decide, as the single-site spider does
(crawler.discover.checks), whether the site's posts were all listed; if they were, the writer
queues the archived posts discovery left out, to `parse_post`: a 404/410 is reported gone
(marked deleted), any other answer handled as for any post. robots.txt's Crawl-delay becomes
the site's delay across every worker (crawler.distributed.politeness).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from archive.site_match import redirected_elsewhere
from archive.store import KnownPost, post_request_headers
from crawler import settings as project_settings
from crawler.capture import CAPTURE_META
from crawler.discover.feeds import parse_feed
from crawler.discover.languages import language_roots
from crawler.discover.listings import foreign_page_title, listing_links
from crawler.discover.sitemaps import MAX_BYTES as SITEMAP_MAX_BYTES
from crawler.discover.sitemaps import (
    is_language_index,
    is_posts_sitemap,
    lists_post,
    read_sitemap,
    sitemaps_from_robots,
    translations_elsewhere,
    with_translations,
)
from crawler.discover.urls import (
    in_any_site,
    moved_root,
    normalize_url,
    respelled,
    shortened,
    site_url_problem,
)
from crawler.distributed import blips
from crawler.distributed import protocol as p
from crawler.distributed.protocol import HTML_ONLY, LANGUAGE_ROOT, LISTING_HOME, NAMED_PAGE, ROOTS
from crawler.distributed.queue import LEASE, RUN, SITE, LeasedQueue, completion
from crawler.downloader.crawl_delay import MAX_CRAWL_DELAY, crawl_delay
from crawler.downloader.failures import (
    SITEMAP_META,
    RetryAfterTooLong,
    describe,
    robots_forbidden,
    tls_failed,
)
from crawler.downloader.robots import robots_read, unreachable_status
from crawler.extract import extract_article
from crawler.extract.elements import UNKNOWN_LAYOUT_WARNING
from crawler.extract.record import Article
from crawler.items import POST_STATUSES, GonePost, UnchangedPost
from crawler.media import MAX_RUN_BYTES
from crawler.media_kinds import KindsFetcher
from crawler.spiders.wix import (
    CONNECTION_ERRORS,
    MAX_LISTING_PAGES,
    MAX_SITEMAPS,
    _header,
    _now,
    unchanged_listed_post,
)
from crawler.summary import moved_away_reason

IDLE_TIMEOUT = 30.0  # WIXARCHIVE_REDIS_IDLE: seconds with nothing to do before a worker exits
# meta: a post the posts sitemap lists, archived under the URL it lists (see parse_post)
LISTED = "wixarchive_listed"


def distributed_settings() -> dict[str, Any]:
    """A worker's Scrapy settings beyond the project's: scrapy-redis's scheduler and
    dupefilter (with leases), politeness across workers, results and captures to the writer."""
    middlewares = {
        **project_settings.DOWNLOADER_MIDDLEWARES,
        "crawler.downloader.time_limit.SiteTimeLimit": None,
        # Captures go to the writer, which owns the captures folder beside the archive.
        "crawler.capture.middleware.CaptureMiddleware": None,
        # A failing site backed off and stopped across workers (Redis), not by each alone; a
        # failure counted before SiteTokens gives its token back (exceptions come back down).
        "crawler.downloader.backoff.ServerErrorBackoff": None,
        "crawler.downloader.failing_site.FailingSiteMiddleware": None,
        "crawler.distributed.backoff.SharedBackoff": 952,
        # A Retry-After waited by every worker, not only by the one that got it.
        "crawler.downloader.retry_after.RetryAfterMiddleware": None,
        "crawler.distributed.retry_after.SharedRetryAfter": 550,
        "crawler.distributed.politeness.SiteTokens": 950,
        # Every download attempt counted (as Scrapy's DownloaderStats, after robots.txt's
        # check); an unleased robots.txt reported once its capture is taken (960 first).
        "crawler.distributed.fetches.FetchCounts": 955,
        "crawler.distributed.capture.RedisCapture": 960,  # next to the download
    }
    return {
        "SCHEDULER": "crawler.distributed.queue.LeasedScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.queue.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": p.QUEUE,  # the lanes' prefix (the scripts name each lane)
        "DUPEFILTER_CLASS": "crawler.distributed.queue.LeasedDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": p.DUPEFILTER,
        "SCHEDULER_PERSIST": True,  # the queue is the crawl's, not this worker's
        "REDIS_PARAMS": {"socket_timeout": 15, "socket_connect_timeout": 5},
        # Politeness is each site's across all workers (SiteTokens): no second, local delay
        # or cap.
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 0.001,  # crawler.run.MIN_DOWNLOAD_DELAY
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "ITEM_PIPELINES": {},  # results go to the writer through Redis
        "EXTENSIONS": {"crawler.distributed.heartbeat.WorkerHeartbeat": 500,
                       "crawler.extensions.socket_reads.SocketReads": 0},
        "DOWNLOADER_MIDDLEWARES": middlewares,
    }


class DistributedWixSpider(scrapy.Spider):
    name = p.SPIDER_NAME
    custom_settings = distributed_settings()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held_leases: set[str] = set()
        self.sites: dict[str, dict[str, Any]] = {}
        self.known: dict[str, dict[str, KnownPost]] = {}
        self.runs: dict[str, Any] = {}  # the run each site's cached settings belong to
        # When it last had work (a request handled, or any queued or leased): its idle time
        # counts from there.
        self.last_work = time.monotonic()
        self.redis_queue: LeasedQueue
        # Judges each image, video and document (crawler.media); the writer decides which to
        # fetch and caps them.
        self.media = KindsFetcher(Path(), "", file_cap=project_settings.WIXARCHIVE_MEDIA_MAX_BYTES,
                                  run_cap=MAX_RUN_BYTES, media_base=None)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> DistributedWixSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_error, signal=signals.spider_error)
        return spider

    def _on_error(self, failure: Failure, response: Response, spider: Any = None) -> None:
        """A callback that failed (a Redis blip it could not ride out, or a bug) never ends
        its request's lease: it is no longer renewed, so it expires and the request is fetched
        again (REAP; given up and named after MAX_REDOS), instead of being held for ever, its
        site never done."""
        lease = response.request.meta.get(LEASE) if response.request is not None else None
        if lease is not None:
            self.held_leases.discard(lease)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The writer queues every site's first requests in Redis.
        for request in ():
            yield request

    # -- what the writer shares -------------------------------------------------------------

    @property
    def queue(self) -> LeasedQueue:
        return self.redis_queue  # set by the queue as the scheduler opens it

    @property
    def server(self) -> Any:
        return self.queue.server

    def site_settings(self, site: str, run: Any = None) -> dict[str, Any]:
        """The site's settings for its run `run` (a worker may outlive one crawl and serve the
        next: a new run reloads them)."""
        self._current(site, run)
        if site not in self.sites:
            raw = self.server.hget(p.SITES, site)
            settings = json.loads(raw) if raw else {}
            settings["recapture"] = set(settings.get("recapture") or ())
            self.sites[site] = settings
        return self.sites[site]

    def in_full(self, url: str, site: str, run: Any = None) -> bool:
        """Whether the post at `url` (normalised) is fetched in full, whatever its lastmod,
        with no conditional request: every post with `--refetch`, else those whose newest
        capture is lost (archive.lost_captures; a 304 would capture nothing)."""
        settings = self.site_settings(site, run)
        return bool(settings.get("refetch")) or url in settings["recapture"]

    def known_posts(self, site: str, run: Any = None) -> dict[str, KnownPost]:
        self._current(site, run)
        if site not in self.known:
            rows = self.server.hgetall(p.known_key(site))
            self.known[site] = {url.decode(): KnownPost(*json.loads(row))
                                for url, row in rows.items()}
        return self.known[site]

    def _current(self, site: str, run: Any) -> None:
        if run is not None and self.runs.get(site) != run:
            self.runs[site] = run
            self.sites.pop(site, None)
            self.known.pop(site, None)

    # -- requests ----------------------------------------------------------------------------

    def _request(self, url: str, callback: Any, site: str, run: Any, **kwargs: Any,
                 ) -> scrapy.Request:
        roots = kwargs.pop("roots", None)
        meta = {SITE: site, RUN: run, **kwargs.pop("meta", {})}
        if roots and len(roots) > 1:
            meta[ROOTS] = roots
        return scrapy.Request(url, callback, errback=kwargs.pop("errback", self.on_error),
                              meta=meta, **kwargs)

    def _within_limit(self, key: str, url: str, limit: int) -> bool:
        """Whether `url` is within the `limit` of URLs the set `key` counts across workers
        (protocol.sitemaps_key, listings_key), as a crawl without Redis counts the URLs it
        asked for (WixBlogSpider). Safe twice: its client sends a command again when the
        reply is lost; SADD adds the URL once (an INCR sent again counted it twice). A URL
        refused stays counted: asked for again, it is refused again, so the limit holds."""
        self.server.sadd(key, url)
        return bool(self.server.scard(key) <= limit)

    def _sitemap_request(self, url: str, site: str, run: Any, found: dict[str, Any],
                         roots: list[str] | None = None,
                         language: str | None = None) -> list[scrapy.Request]:
        limit = self.settings.getint("WIXARCHIVE_MAX_SITEMAPS", MAX_SITEMAPS)
        if not self._within_limit(p.sitemaps_key(site), url, limit):
            found["sitemap_failed"] = True
            found["errors"].append(f"{url}: sitemap not read: more than {limit} sitemaps "
                                   "(WIXARCHIVE_MAX_SITEMAPS)")
            return []
        return [self._request(url, self.parse_sitemap, site, run, priority=10, roots=roots,
                              errback=self.on_sitemap_error,
                              meta={"download_maxsize": SITEMAP_MAX_BYTES,
                                    SITEMAP_META: True, LANGUAGE_ROOT: language})]

    def _post_request(self, url: str, site: str, run: Any, found: dict[str, Any],
                      lastmod: str | None = None, *, listed: bool = False,
                      roots: list[str] | None = None) -> scrapy.Request:
        """The request for a post found by discovery; counted in `found` (see
        crawler.discover.checks), which names it among the posts asked for unless the posts
        sitemap (`listed`) does. `roots`: every root of the site, where it moved too (a
        redirect there is no post moved to another site: parse_post)."""
        url = normalize_url(url)  # fetched as archived: see WixBlogSpider._post_request
        found["posts_requested"] = found.get("posts_requested", 0) + 1
        if not listed:
            found.setdefault("discovered", []).append(url)
        headers = post_request_headers(self.known_posts(site, run).get(url),
                                       in_full=self.in_full(url, site, run))
        return self._request(url, self.parse_post, site, run, headers=headers, roots=roots,
                             meta={"lastmod": lastmod, "handle_httpstatus_list": POST_STATUSES,
                                   HTML_ONLY: True, LISTED: listed})

    def _done(self, request: scrapy.Request, children: list[scrapy.Request],
              found: dict[str, Any]) -> list[Any]:
        """Queue the children, then hand `found` to the writer as the request's lease ends."""
        self.last_work = time.monotonic()
        for child in children:
            self.crawler.engine.crawl(child)
        self.queue.complete(request, completion(request, found))
        return []

    @staticmethod
    def _found() -> dict[str, Any]:
        # errors: failed requests, the run's `failed` count; missing: pages that are not
        # there (404, 410: a site without robots.txt or a feed, a post gone before it was
        # fetched), named in the run's errors but no failure (WixBlogSpider._counts_as_failed;
        # the writer counts the /post/ URL the user asked for failed: SiteJob.post).
        return {"errors": [], "missing": [], "items": []}

    def _failed(self, found: dict[str, Any], url: str, failure: Failure) -> None:
        """Name a failed request in `found`, as a missing page or as an error; one robots.txt
        forbids is skipped by choice, no failure: named and counted apart
        (WixBlogSpider.on_error)."""
        if robots_forbidden(failure):
            found["missing"].append(f"{url}: {describe(failure, self.settings)}")
            found["robots_skipped"] = 1
            request = getattr(failure, "request", None)
            found["robots_skipped_posts"] = int(request is not None
                                                and request.callback == self.parse_post)
            return
        response = getattr(failure.value, "response", None)
        missing = response is not None and response.status in (404, 410)
        found["missing" if missing else "errors"].append(
            f"{url}: {describe(failure, self.settings)}")

    # -- discovery ---------------------------------------------------------------------------

    def _in_site(self, url: str, roots: list[str], found: dict[str, Any]) -> bool:
        """Whether `url`, from a site's robots.txt, sitemap, feed or listing, is the site's and
        can be fetched; one that cannot ("http://[::1", 100 KB long) is named in `found` (no
        failure: WixBlogSpider._in_site) and skipped, and the rest of the document read on."""
        problem = site_url_problem(url, roots, self.settings.getint("URLLENGTH_LIMIT"))
        if problem:
            found["missing"].append(f"{shortened(url)}: skipped: {problem}")
            return False
        return in_any_site(url, roots)

    @staticmethod
    def own_roots(request: scrapy.Request) -> list[str]:
        """The roots of the request's site, whose addresses it may reach (crawler.downloader.
        private_addresses)."""
        site = request.meta.get(SITE)
        return request.meta.get(ROOTS) or ([site] if site else [])

    @staticmethod
    def _roots(response: Response) -> list[str]:
        """Every root that is the response's site: its request's, and where a redirect from
        one of them to another host led (the site moved; crawler.spiders.wix._follow_move).
        Its discovery children carry them on."""
        roots = list(response.meta.get(ROOTS) or [response.meta[SITE]])
        redirects = response.meta.get("redirect_urls")
        moved = redirects and moved_root(redirects[0], response.url, roots)
        return [*roots, moved] if moved else roots

    def parse_robots(self, response: Response) -> list[Any]:
        robots_read(self.crawler, response)  # this worker's rules for the site: no second fetch
        site, run = response.meta[SITE], response.meta.get(RUN)
        found = self._found()
        roots = self._roots(response)
        self._report_move(roots, found)
        delay = self._configured_delay(site, run)
        if self.settings.getbool("ROBOTSTXT_OBEY"):
            delay = self._honour_crawl_delay(response, site, delay, found)
        self._pace(site, delay)
        urls = [u for u in sitemaps_from_robots(response.text) if self._in_site(u, roots, found)]
        children = [r for url in urls or [roots[-1] + "sitemap.xml"]
                    for r in self._sitemap_request(url, site, run, found, roots)]
        return self._done(response.request, [*self._named_post(site, run, found, roots),
                                             *children, self._feed_request(site, run, roots)],
                          found)

    def _named_post(self, site: str, run: Any, found: dict[str, Any],
                    roots: list[str]) -> list[scrapy.Request]:
        """The post the user named (the writer's SiteJob.post), asked for once robots.txt said
        where the site lives, as WixBlogSpider._named_post."""
        post = self.site_settings(site, run).get("post")
        return [self._post_request(post, site, run, found, roots=roots)] if post else []

    @staticmethod
    def _report_move(roots: list[str], found: dict[str, Any]) -> None:
        """Tell the writer where robots.txt's redirect says the site moved: it queues the
        listing pages there, as a crawl without Redis starts them from where it moved
        (WixBlogSpider._follow_move), not from the address the old host may not serve. The
        queue learns it from the requests queued there, which name it (protocol.SITE_ROOTS)."""
        if len(roots) > 1:
            found["moved_to"] = roots[-1]

    def _feed_request(self, site: str, run: Any, roots: list[str]) -> scrapy.Request:
        """The blog feed, asked for once robots.txt was read, as a crawl without Redis does:
        its Crawl-delay then holds for the feed and the posts the feed lists too."""
        return self._request(roots[-1] + "blog-feed.xml", self.parse_feed, site, run,
                             roots=roots)

    def _configured_delay(self, site: str, run: Any) -> float:
        """The site's --delay, as SiteTokens reads it."""
        return float(self.site_settings(site, run).get(
            "delay", self.settings.getfloat("WIXARCHIVE_REDIS_DELAY", 0.0)))

    def _honour_crawl_delay(self, robots: Response, site: str, configured: float,
                            found: dict[str, Any]) -> float:
        """robots.txt's Crawl-delay, when longer than the site's delay (`configured`), is its
        delay across every worker (crawler.distributed.politeness), capped as a crawl without
        Redis caps it (crawler.downloader.crawl_delay); the writer's summary names it. Returns
        the site's delay."""
        user_agent = (self.settings.get("ROBOTSTXT_USER_AGENT")
                      or self.settings.get("USER_AGENT") or "")
        delay = crawl_delay(robots.body, user_agent, configured,
                            self.settings.getfloat("WIXARCHIVE_MAX_CRAWL_DELAY", MAX_CRAWL_DELAY))
        if delay is None:
            return configured
        self.server.set(p.crawl_delay_key(site), delay.applied)
        found["crawl_delay"] = (delay.applied, delay.asked)
        return delay.applied

    def _pace(self, site: str, delay: float) -> None:
        """A site's long delay is waited out in the shared queue, which hands its pages out one
        per delay (protocol.PACED, POP): waited in a worker's downloader, its requests held the
        places the worker's other sites needed, and they went at its pace."""
        if delay >= p.PACE_SECONDS:
            self.server.register_script(p.PACE)(args=[site, delay])

    def on_robots_error(self, failure: Failure) -> list[Any]:
        request = failure.request
        site, run = request.meta[SITE], request.meta.get(RUN)
        found = self._found()
        self._failed(found, request.url, failure)
        robots_read(self.crawler, failure)
        children: list[scrapy.Request] = []
        response = getattr(failure.value, "response", None)
        if failure.check(*CONNECTION_ERRORS) or tls_failed(failure):
            found["unreachable"] = True  # no other page of it would answer either
        elif self.settings.getbool("ROBOTSTXT_OBEY") and (
                failure.check(RetryAfterTooLong) or response is not None
                and unreachable_status(response.status)):
            # RFC 9309: a robots.txt answering a server error forbids everything: the site's
            # crawl ends there, as WixBlogSpider.on_robots_error ends it.
            found["unreachable"] = True
            found["robots_unreachable"] = describe(failure, self.settings)
        else:
            roots = self._roots(response) if response is not None else [site]
            self._report_move(roots, found)
            self._pace(site, self._configured_delay(site, run))
            children = [*self._named_post(site, run, found, roots),
                        *self._sitemap_request(roots[-1] + "sitemap.xml", site, run, found,
                                               roots), self._feed_request(site, run, roots)]
        return self._done(request, children, found)

    def on_sitemap_error(self, failure: Failure) -> list[Any]:
        found = self._found()
        # A language's sitemap no index named that is not there lacks nothing (as
        # WixBlogSpider.on_sitemap_error).
        response = getattr(failure.value, "response", None)
        found["sitemap_failed"] = not (failure.request.meta.get(LANGUAGE_ROOT)
                                       and response is not None
                                       and response.status in (404, 410))
        self._failed(found, failure.request.url, failure)
        return self._done(failure.request, [], found)

    def parse_sitemap(self, response: Response) -> list[Any]:
        site, run = response.meta[SITE], response.meta.get(RUN)
        found = self._found()
        found["sitemap_urls"] = []
        # The lastmod of each post asked for: the writer stores it for a post the feed had
        # asked for first (the duplicate filter then drops this request, and its lastmod).
        found["lastmods"] = {}
        found["sitemaps_read"] = 1
        sitemap = read_sitemap(response.body)
        if sitemap.problem:
            found["sitemap_failed"] = True
            found["errors"].append(f"{response.url}: sitemap {sitemap.problem}")
        known_posts = self.known_posts(site, run)
        resumed_since = self.site_settings(site, run).get("resumed_since")
        children: list[scrapy.Request] = []
        unchanged: list[str] = []
        roots = self._roots(response)
        # A post's translations are posts of their own (with_translations); those on another
        # host are that host's site, named in the summary (crawler.spiders.wix).
        entries = sitemap.entries if sitemap.is_index else with_translations(sitemap.entries)
        if not sitemap.is_index:
            found["elsewhere"] = {url: root for url, root in translations_elsewhere(
                sitemap.entries, roots).items() if lists_post(response.url, url)}
            found["translations_listed"] = any(entry.translations for entry in sitemap.entries
                                               if lists_post(response.url, entry.loc))
        for entry in entries:
            if not self._in_site(entry.loc, roots, found):
                continue
            if sitemap.is_index:
                if is_language_index(entry.loc):
                    found["translations_listed"] = True
                if is_posts_sitemap(entry.loc) or is_language_index(entry.loc):
                    children += self._sitemap_request(entry.loc, site, run, found, roots)
            elif lists_post(response.url, entry.loc):
                url = normalize_url(entry.loc)
                found["sitemap_urls"].append(url)
                if unchanged_listed_post(entry.lastmod, known_posts.get(url),
                                         self.in_full(url, site, run), resumed_since):
                    unchanged.append(url)
                    continue
                children.append(self._post_request(entry.loc, site, run, found, entry.lastmod,
                                                   listed=True, roots=roots))
                if entry.lastmod:
                    found["lastmods"][url] = entry.lastmod
        found["unchanged"] = len(unchanged)
        if unchanged:  # not fetched, yet seen on the site: the writer moves their last_seen
            found["listed_unchanged"] = {"urls": unchanged, "seen_at": _now()}
        return self._done(response.request, children, found)

    def parse_feed(self, response: Response) -> list[Any]:
        site, run = response.meta[SITE], response.meta.get(RUN)
        found = self._found()
        feed = parse_feed(response.body)
        roots = self._roots(response)
        home = (feed.blog_home if feed.blog_home and self._in_site(feed.blog_home, roots, found)
                else None)
        if language := response.meta.get(LANGUAGE_ROOT):  # a language's own feed
            found["language_homes"] = {language: home}
        else:
            found["empty_feed"] = feed.is_feed and not feed.items
            if home:
                found["blog_home"] = home
        known_posts = self.known_posts(site, run)
        # Every feed item is a post. The sitemaps may not be read yet: the writer decides on
        # the archived ones once they are (as WixBlogSpider.parse_feed), so all are reported.
        posts = [item.link for item in feed.items if self._in_site(item.link, roots, found)]
        found["feed_posts"] = [normalize_url(url) for url in posts]
        children = [self._post_request(url, site, run, found, roots=roots) for url in posts
                    if normalize_url(url) not in known_posts
                    or self.in_full(normalize_url(url), site, run)]
        return self._done(response.request, children, found)

    def _moved_away(self, response: Response, found: dict[str, Any]) -> bool:
        """Whether the post (or page named) asked for redirected to another site: that site's,
        named and not archived (as WixBlogSpider._moved_away)."""
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        elsewhere = redirected_elsewhere(asked, response.url, self.own_roots(response.request))
        if elsewhere:
            found["moved_away"] = {elsewhere: 1}
            found["missing"].append(f"{asked}: {moved_away_reason(response.url, elsewhere)}")
        return elsewhere is not None

    async def parse_listing(self, response: Response) -> list[Any]:
        site, run = response.meta[SITE], response.meta.get(RUN)
        found = self._found()
        roots = self._roots(response)
        if response.meta.get(NAMED_PAGE):
            # The page the user named may be a post whose URL has no /post/ (a renamed prefix,
            # an old /single-post/...): archived if its extraction says post, else nothing is
            # counted. A listing card's link to it is a request the duplicate filter drops: this
            # is its only fetch (as WixBlogSpider.parse_listing). Another site's if it
            # redirected there, as a post is (parse_post).
            if self._moved_away(response, found):
                return self._done(response.request, [], found)
            named = normalize_url(response.url)
            article = await self._extract(response, named)
            if article.page_kind == "post":
                found["items"].append(self._post_item(response, named, article))
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        if response.meta.get(LISTING_HOME) == asked and (
                title := foreign_page_title(response.body)) is not None:
            # Named if no post is found, as WixBlogSpider.parse_listing names it.
            found["foreign_home"] = [response.url, title]
        posts, listings = listing_links(response.body, response.url, roots[-1], response.url)
        found["listed_posts"] = len(posts)
        children = [self._post_request(url, site, run, found, roots=roots) for url in posts
                    if self._in_site(url, roots, found)]
        if asked == roots[-1]:  # the home page read as the listing
            children += self._language_sources(response, found)
        limit = self.settings.getint("WIXARCHIVE_MAX_LISTING_PAGES", MAX_LISTING_PAGES)
        for url in listings:  # the duplicate filter ends pagination loops
            if not self._within_limit(p.listings_key(site), url, limit):
                found["listings_capped"] = True
                found["errors"].append(f"{url}: listing page not read: more than {limit} "
                                       "listing pages (WIXARCHIVE_MAX_LISTING_PAGES)")
                break
            children.append(self._request(url, self.parse_listing, site, run, roots=roots,
                                          errback=self.on_listing_error,
                                          meta={HTML_ONLY: True}))
        return self._done(response.request, children, found)

    def on_listing_error(self, failure: Failure) -> list[Any]:
        """As WixBlogSpider.on_listing_error: a listing page that failed leaves the site's
        posts unknown (none is checked for deletion), but the blog home the writer guessed
        (LISTING_HOME) answering 404/410 lists nothing and fails nothing."""
        request = failure.request
        found = self._found()
        self._failed(found, (request.meta.get("redirect_urls") or [request.url])[0], failure)
        response = getattr(failure.value, "response", None)
        guessed = request.meta.get(LISTING_HOME) == request.url
        if not (guessed and response is not None and response.status in (404, 410)):
            found["listing_failed"] = True
            return self._done(request, [], found)
        root = self._roots(request)[-1]
        if request.url == root or request.meta.get(LANGUAGE_ROOT):
            return self._done(request, [], found)  # a language's blog home: the home was read
        if not request.meta.get(NAMED_PAGE) and request.url != root + "blog":
            # A blog home the feed named that is not there (/home, for a blog on the site's
            # home page): the home page is read as the listing, as WixBlogSpider reads it,
            # past the duplicate filter: another 404 (the page the user named) may have asked
            # for the home page already (is it Wix?), and it was dropped.
            listing = self._request(root, self.parse_listing, request.meta[SITE],
                                    request.meta.get(RUN), roots=self._roots(request),
                                    errback=self.on_listing_error, dont_filter=True,
                                    meta={HTML_ONLY: True, LISTING_HOME: root})
            return self._done(request, [listing], found)
        # The site's home page, once, as WixBlogSpider.on_listing_error asks for it: no post
        # found this way, it says whether the site is on Wix at all.
        home = self._request(root, self.parse_site_home, request.meta[SITE],
                             request.meta.get(RUN), roots=self._roots(request),
                             errback=self.on_site_home_error,
                             meta={HTML_ONLY: True, "dont_retry": True})
        return self._done(request, [home], found)

    def parse_site_home(self, response: Response) -> list[Any]:
        """As WixBlogSpider.parse_site_home: a home page that is no Wix page is named (the
        writer keeps it only if no post is found)."""
        found = self._found()
        if (title := foreign_page_title(response.body)) is not None:
            found["foreign_home"] = [response.url, title]
        return self._done(response.request, self._language_sources(response, found), found)

    def parse_languages(self, response: Response) -> list[Any]:
        """The site's home page, asked for by the writer for its languages when the sitemaps
        did not name the posts' translations (as WixBlogSpider.parse_languages)."""
        found = self._found()
        return self._done(response.request, self._language_sources(response, found), found)

    def _language_sources(self, response: Response, found: dict[str, Any]) -> list[Any]:
        """Each language the site's home page names in its hreflang alternates: its feed and
        its sitemap (crawler.discover.languages). The writer reads the home page once, so
        each is asked for once; `root_read` tells it the page was read."""
        site, run, roots = response.meta[SITE], response.meta.get(RUN), self._roots(response)
        found["root_read"] = True
        requests: list[Any] = []
        for language in language_roots(response.body, response.url, roots[-1]):
            requests.append(self._request(language + "blog-feed.xml", self.parse_feed, site,
                                          run, roots=roots, meta={LANGUAGE_ROOT: language}))
            requests += self._sitemap_request(language + "sitemap.xml", site, run, found, roots,
                                              language=language)
        return requests

    def on_site_home_error(self, failure: Failure) -> list[Any]:
        """A site home that failed fails nothing: it only words the run's message."""
        return self._done(failure.request, [], self._found())

    # -- posts -------------------------------------------------------------------------------

    async def parse_post(self, response: Response) -> list[Any]:
        site = response.meta[SITE]
        found = self._found()
        url = normalize_url(response.url)
        if self._moved_away(response, found):
            return self._done(response.request, [], found)
        if response.status == 304:
            found["items"].append(("unchanged", UnchangedPost(
                url=url, fetched_at=_now(), lastmod=response.meta.get("lastmod"),
                etag=_header(response, "ETag"),
                http_last_modified=_header(response, "Last-Modified"))))
        elif response.status in (404, 410):
            if url in self.known_posts(site, response.meta.get(RUN)):
                found["items"].append(("gone", GonePost(url=url, when=_now())))
            else:
                found["missing"].append(f"{response.url}: HTTP {response.status}")
                found["posts_gone"] = 1  # the writer counts it, unless the post was asked for
        else:
            article = await self._extract(response, url)
            if article.page_kind != "post":
                found["items"].append(("page", article.page_kind, url))
            else:
                found["items"].append(self._post_item(response, url, article))
        return self._done(response.request, [], found)

    @staticmethod
    async def _extract(response: Response, url: str) -> Article:
        # Extraction is CPU work: in a thread, so the reactor keeps renewing leases.
        return await asyncio.to_thread(extract_article, response.body, url,
                                       content_type=_header(response, "Content-Type"))

    @staticmethod
    def _post_item(response: Response, url: str, article: Article) -> tuple[Any, ...]:
        """The writer's item for the post fetched in full at `url` (normalised)."""
        if not response.meta.get(LISTED):
            # Archived once under the spelling its page names canonical, as a crawl without
            # Redis does (crawler.pipelines.worker; respelled).
            article.url = respelled(url, article.canonical_url, article.language_urls)
        return ("post", article, {
            "fetched_at": _now(), "lastmod": response.meta.get("lastmod"),
            "etag": _header(response, "ETag"),
            "http_last_modified": _header(response, "Last-Modified"),
            "capture": response.meta.get(CAPTURE_META),
            "unknown_layout": UNKNOWN_LAYOUT_WARNING in article.warnings})

    # -- images (queued by the writer once a site's posts are archived) ----------------------

    def parse_media(self, response: Response) -> list[Any]:
        found = self._found()
        found["items"].append(("media", self.media.outcome(response)))
        return self._done(response.request, [], found)

    def on_media_error(self, failure: Failure) -> list[Any]:
        found = self._found()
        found["items"].append(("media", self.media.failed(failure)))
        return self._done(failure.request, [], found)

    def on_error(self, failure: Failure) -> list[Any]:
        request = failure.request
        url = (request.meta.get("redirect_urls") or [request.url])[0]
        found = self._found()
        self._failed(found, url, failure)
        return self._done(request, [], found)

    # -- the end -----------------------------------------------------------------------------

    def _on_idle(self, spider: scrapy.Spider) -> None:
        """Exit once this worker handled no request, and nothing was queued or leased, for
        WIXARCHIVE_REDIS_IDLE seconds. A lease still out may come back (its worker died), so
        it keeps the worker alive. Scrapy asks only while the worker is idle: the work done in
        between counts through `last_work`, so a worker busy for longer than its idle timeout
        does not exit as soon as the crawl ends."""
        now = time.monotonic()
        try:
            self.queue.reap()
            busy = self.queue or self.server.zcard(p.LEASES)
        except blips.BLIPS:
            busy = True  # Redis answers again, or the heartbeat stops the worker
        if busy:
            self.last_work = now
        limit = self.settings.getfloat("WIXARCHIVE_REDIS_IDLE", IDLE_TIMEOUT)
        if now - self.last_work < limit:
            raise DontCloseSpider
