"""WixBlogSpider: finds every post of one Wix blog and hands each extracted article on.

Discovery order, as Wix sites expose it: robots.txt `Sitemap:` lines -> sitemap index ->
blog-posts-sitemap.xml; blog-feed.xml for the newest posts; listing pages as the fallback
when the site has no posts sitemap. Then the archived posts no source listed are requested again:
only those that answer 404/410 are marked deleted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.log import failure_to_exc_info
from twisted.python.failure import Failure

from archive.captures import captures_dir
from archive.lost_captures import Lost, lost_captures
from archive.site_match import archived_root, redirected_elsewhere, site_twins
from archive.store import Archive, ArchiveError, KnownPost, post_request_headers
from crawler.capture import CAPTURE_META
from crawler.discover.checks import Discovery
from crawler.discover.feeds import parse_feed
from crawler.discover.languages import language_roots
from crawler.discover.listings import foreign_page_title, listing_links, listing_starts
from crawler.discover.sitemaps import MAX_BYTES as SITEMAP_MAX_BYTES
from crawler.discover.sitemaps import (
    SitemapEntry,
    is_language_index,
    is_posts_sitemap,
    lastmod_not_after,
    lists_post,
    read_sitemap,
    sitemaps_from_robots,
    translations_elsewhere,
    with_translations,
)
from crawler.discover.urls import (
    archived_before_a_move,
    in_any_site,
    is_post_url,
    moved_root,
    named_page,
    normalize_url,
    old_blog_posts,
    shortened,
    site_root,
    site_url_problem,
)
from crawler.distributed.protocol import HTML_ONLY, LANGUAGE_ROOT, LISTING_HOME, NAMED_PAGE
from crawler.downloader.crawl_delay import MAX_CRAWL_DELAY, apply_crawl_delay, crawl_delay
from crawler.downloader.failures import (
    SITEMAP_META,
    RetryAfterTooLong,
    describe,
    robots_forbidden,
    tls_failed,
)
from crawler.downloader.robots import ROBOTS_META, robots_read, unreachable_status
from crawler.errors import CONNECTION_ERRORS
from crawler.items import (
    POST_STATUSES,
    FetchedPage,
    GonePost,
    ListedUnchanged,
    MediaOutcome,
    MediaOutcomes,
    UnchangedPost,
)
from crawler.media import POLL_EVERY as MEDIA_POLL_EVERY
from crawler.media import MediaFetcher
from crawler.media_kinds import media_fetcher
from crawler.summary import (
    ARCHIVED_BEFORE_THE_MOVE,
    ARCHIVED_POSTS,
    ELSEWHERE,
    FOREIGN_HOME,
    FOREIGN_HOME_TITLE,
    MEDIA_FAILURES,
    MEDIA_FIRST_FAILURE,
    MOVED_AWAY,
    MOVED_HERE_FROM,
    MOVED_TO,
    POSTS_GONE_UNARCHIVED,
    ROBOTS_UNREACHABLE,
    moved_away_reason,
)

MAX_ERRORS_KEPT = 50
UNREACHABLE = "unreachable"  # the close reason when the site cannot be reached at all
MAX_SITEMAPS = 1000  # WIXARCHIVE_MAX_SITEMAPS: sitemap files read per crawl
SITEMAP_PARENTS = "wixarchive_sitemap_parents"  # meta: the sitemap indexes above this one
MAX_LISTING_PAGES = 5000  # WIXARCHIVE_MAX_LISTING_PAGES: a pagination that never ends stops
# Seconds between looks, once the posts are done, at whether the archive worker has committed
# every page (see crawler.media) before asking the archive for the images still missing.
MEDIA_SETTLE = 0.1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _known_posts(db: str | None, site: str, captures: bool,
                 ) -> tuple[str, dict[str, KnownPost], str | None, Lost]:
    """The site's root as archived (its `www.` twin's when only that is: site_match.
    archived_root); what the archive already holds for it, to re-fetch only what changed; when
    its last run started if it was cut short (interrupted, or its process died); and, when
    the crawl captures, what it must fetch again because its capture was lost (a capture file
    deleted or cut short: archive.lost_captures)."""
    nothing = Lost(set(), {})
    if not db:
        return site, {}, None, nothing
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            site = archived_root(archive.conn, site)
            lost = lost_captures(archive.conn, captures_dir(db), site) if captures else nothing
            return site, archive.known_posts(site), archive.resumed_since(site), lost
    except ArchiveError:
        # No archive yet (or unreadable: the pipeline reports that when it writes).
        return site, {}, None, nothing


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class WixBlogSpider(scrapy.Spider):
    name = "wix"

    def __init__(self, url: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not url:
            raise ValueError("WixBlogSpider needs a site URL: scrapy crawl wix -a url=https://...")
        self.start_url = url if "://" in url else f"https://{url}"
        self.site = site_root(self.start_url)  # the site's identity in the archive
        # Where its pages are fetched from, and every root that is this site: the address
        # asked for and, when it redirects to another host (example.com to www.example.com,
        # an old domain to a new one), that host: see _follow_move.
        self.fetch_root = self.site
        self.roots = [self.site]
        self.blog_home: str | None = None
        # then "feed", "listings", "languages", "language listings", "checks" (_next_discovery)
        self.stage = "sitemaps"
        self.pending_sitemaps = 0
        self.sitemap_urls: set[str] = set()  # every post URL the posts sitemaps list
        self.sitemaps_requested: set[str] = set()  # an index listing itself must not loop
        # What discovery saw, to decide which archived posts it may check (posts_to_check).
        self.discovery = Discovery()
        self.listings_requested: set[str] = set()
        # Every post URL the feed, the listing pages or the user named (the sitemaps':
        # sitemap_urls): an archived post among them is never checked for deletion.
        self.discovered: set[str] = set()
        # Translations the posts sitemaps list on another host (a language subdomain).
        self.elsewhere: set[str] = set()
        # A multilingual site's languages (their roots, `https://example.com/fr/`), learnt from
        # the hreflang alternates of the pages discovery reads (crawler.discover.languages);
        # each language's feed and sitemap are read once (languages_read), its blog home
        # (its feed names it) is a listing when the site has no posts sitemap.
        self.languages: set[str] = set()
        self.languages_read: set[str] = set()
        self.language_homes: dict[str, str | None] = {}
        # The sitemaps named the posts' translations (alternates, language indexes): the
        # languages need not be looked for.
        self.translations_listed = False
        self.root_read = False  # the site's home page was asked for (a listing, or its home)
        self.errors: list[str] = []
        self.failures_listed = 0  # the errors counted as failures come first in `errors`
        self.known: dict[str, KnownPost] = {}
        # The known posts at an old blog URL by slug (old_blog_posts), read once when needed.
        self.old_blog: dict[str, str] | None = None
        # The archived site whose address moved to this one (site_match.moved_here), if any.
        self.moved_here_from: str | None = None
        # Known posts whose newest capture is lost: fetched again whatever their lastmod, with
        # no conditional request (a 304 would capture nothing).
        self.recapture: set[str] = set()
        # `crawl --refetch`: every post fetched in full, whatever its lastmod or validators.
        self.refetch = False
        self.resumed_since: str | None = None  # when the run this one resumes started
        self.media: MediaFetcher | None = None  # set from the settings (see from_crawler)
        self.fetched_pages = 0  # FetchedPage items handed to the pipeline
        self.handing_over = 0  # MediaOutcomes on their way to the pipeline

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WixBlogSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        archived, spider.known, spider.resumed_since, lost = _known_posts(
            crawler.settings.get("WIXARCHIVE_DB"), spider.site,
            crawler.settings.getbool("WIXARCHIVE_CAPTURE", True))
        if archived != spider.site:  # www.example.com, archived as example.com (or back)
            spider.logger.info("%s is archived as %s: crawled as that site", spider.site,
                               archived)
            if archived not in site_twins(spider.site):  # a site that moved here: said
                spider.moved_here_from = archived
            spider.site = archived
            spider.roots.append(archived)
        spider.recapture = lost.posts
        spider.refetch = crawler.settings.getbool("WIXARCHIVE_REFETCH", False)
        spider.media = media_fetcher(crawler.settings, spider.site)
        if lost.posts or lost.media:
            spider.logger.info("%s: %d posts and %d images, videos or documents whose captures "
                               "are lost are fetched again", spider.site, len(lost.posts),
                               len(lost.media))
        if spider.media is not None:
            spider.media.recapture(lost)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # Discovery requests skip the duplicate filter: each sitemap request is counted in
        # pending_sitemaps, which a filtered request would never count down.
        # The one robots.txt request: SiteRobotsTxt reads its rules from it (ROBOTS_META).
        if self.moved_here_from:
            self.crawler.stats.set_value(MOVED_HERE_FROM, self.moved_here_from)
        if archived := sum(1 for post in self.known.values() if post.deleted_at is None):
            self.crawler.stats.set_value(ARCHIVED_POSTS, archived)  # said if none is found
        yield scrapy.Request(self.fetch_root + "robots.txt", self.parse_robots, dont_filter=True,
                             errback=self.on_robots_error, priority=10,
                             meta={ROBOTS_META: True})

    def _named_post(self) -> list[scrapy.Request]:
        """The post the user named, asked for once robots.txt said where the site lives: a
        redirect of it there is the site's move, not a post moved to another site
        (parse_post)."""
        if not is_post_url(self.start_url):
            return []
        self.discovered.add(normalize_url(self.start_url))
        return [self._post_request(self.start_url)]

    # -- discovery -------------------------------------------------------------------------

    async def parse_robots(self, response: Response) -> AsyncIterator[scrapy.Request]:
        robots_read(self.crawler, response)
        self._follow_move(response)
        await self._keep_move()
        for request in self._named_post():
            yield request
        if self.settings.getbool("ROBOTSTXT_OBEY"):
            self._honour_crawl_delay(response)
        found = [u for u in sitemaps_from_robots(response.text) if self._in_site(u)]
        for url in found or [self.fetch_root + "sitemap.xml"]:
            for request in self._sitemap_request(url):
                yield request

    async def _keep_move(self) -> None:
        """A move learnt (MOVED_TO) is in the archive before the next request goes out: the
        run's row is made now, noting it (ArchivePipeline.keep_move). A crawl killed before
        its first page was stored recorded nothing of it."""
        pipeline = getattr(self.crawler, "wixarchive_pipeline", None)
        if pipeline is not None and self.crawler.stats.get_value(MOVED_TO):
            await pipeline.keep_move(self.site)

    def on_robots_error(self, failure: Failure) -> AsyncIterator[scrapy.Request]:
        robots_read(self.crawler, failure)
        self.on_error(failure)
        if failure.check(*CONNECTION_ERRORS) or tls_failed(failure):
            # robots.txt is the first request: if the host cannot be reached after the
            # retries (refused, no DNS name, no answer, no TLS handshake), no other page of it
            # will be either; its sitemaps, feed and listing would each fail the same way.
            raise CloseSpider(UNREACHABLE)
        response = getattr(failure.value, "response", None)
        if ((failure.check(RetryAfterTooLong) or response is not None
                and unreachable_status(response.status))
                and self.settings.getbool("ROBOTSTXT_OBEY")):
            # RFC 9309: a robots.txt answering a server error forbids everything, for now;
            # so does one answering 429 or 503 with a Retry-After longer than is waited for.
            raise CloseSpider(f"{ROBOTS_UNREACHABLE}: {describe(failure, self.settings)}")
        if response is not None:
            self._follow_move(response)
        return self._discover_without_robots()

    async def _discover_without_robots(self) -> AsyncIterator[scrapy.Request]:
        """The named post and the sitemap, after a robots.txt that answered no rules (a move
        it showed kept first: _keep_move)."""
        await self._keep_move()
        for request in [*self._named_post(),
                        *self._sitemap_request(self.fetch_root + "sitemap.xml")]:
            yield request

    def _follow_move(self, robots: Response) -> None:
        """robots.txt is the first request: when the address asked for redirected it to
        another host, the site lives there now. Its pages are fetched from there and count as
        this site's (they are archived under the site asked for), or every one would be
        off-site and no post found."""
        redirects = robots.meta.get("redirect_urls")
        root = redirects and moved_root(redirects[0], robots.url, self.roots)
        if not root:
            return  # not redirected, or within the site (http to https)
        self.logger.info("%s redirects to %s: crawling the site there", self.site, root)
        if not any(root in site_twins(own) for own in self.roots):
            # Another host, not the `www.` or other-scheme spelling of this one: a move the
            # summary names (the same host's spellings are one site, and redirect every time).
            self.crawler.stats.set_value(MOVED_TO, root)
        self.roots.append(root)
        self.fetch_root = root

    def _honour_crawl_delay(self, robots: Response) -> None:
        """robots.txt's Crawl-delay, when longer than the configured delay, is the delay of the
        site's download slot (crawler.downloader.crawl_delay); the summary names it."""
        user_agent = (self.settings.get("ROBOTSTXT_USER_AGENT")
                      or self.settings.get("USER_AGENT") or "")
        delay = crawl_delay(robots.body, user_agent, self.settings.getfloat("DOWNLOAD_DELAY"),
                            self.settings.getfloat("WIXARCHIVE_MAX_CRAWL_DELAY", MAX_CRAWL_DELAY))
        if delay is None:
            return
        downloader = self.crawler.engine.downloader
        apply_crawl_delay(self.crawler, downloader.get_slot_key(scrapy.Request(robots.url)),
                          delay.applied)
        self.crawler.stats.set_value("wixarchive/crawl_delay", delay.applied)
        self.crawler.stats.set_value("wixarchive/crawl_delay_asked", delay.asked)
        self.logger.info("%s: robots.txt asks for Crawl-delay: %g; waiting %g s between "
                         "requests", self.site, delay.asked, delay.applied)

    def own_roots(self, request: scrapy.Request) -> list[str]:
        """The site's roots, whose addresses its requests may reach (crawler.downloader.
        private_addresses)."""
        return self.roots

    def _in_site(self, url: str) -> bool:
        """Whether `url`, from the site's robots.txt, sitemaps, feed or listings, is the site's
        and can be fetched. One that cannot ("http://[::1", 100 KB long) is named in the run's
        errors (no failure of the run: the site's mistake), counted, and skipped; the rest of
        the document is read on."""
        problem = site_url_problem(url, self.roots, self.settings.getint("URLLENGTH_LIMIT"))
        if problem:
            self.crawler.stats.inc_value("wixarchive/bad_urls")
            self.record_error(shortened(url), f"skipped: {problem}", counted=False)
            return False
        return in_any_site(url, self.roots)

    def _sitemap_request(self, url: str, parents: tuple[str, ...] = (),
                         language: str | None = None) -> list[scrapy.Request]:
        """The request for a sitemap not read yet (cycles and repeats end here); `parents`:
        the indexes that led to it, to tell a cycle from a sitemap listed twice; `language`:
        the root of the language whose sitemap was guessed (no index named it)."""
        if url in self.sitemaps_requested:
            return []
        limit = self.settings.getint("WIXARCHIVE_MAX_SITEMAPS", MAX_SITEMAPS)
        if len(self.sitemaps_requested) >= limit:
            self.discovery.sitemap_failed = True
            self.record_error(url, f"sitemap not read: more than {limit} sitemaps "
                                   "(WIXARCHIVE_MAX_SITEMAPS)")
            return []
        self.sitemaps_requested.add(url)
        self.pending_sitemaps += 1
        return [scrapy.Request(
            url, self.parse_sitemap, errback=self.on_sitemap_error, dont_filter=True, priority=10,
            meta={"download_maxsize": SITEMAP_MAX_BYTES, SITEMAP_META: True,
                  SITEMAP_PARENTS: parents, LANGUAGE_ROOT: language},
        )]

    def _sitemap_done(self) -> list[scrapy.Request]:
        """After the last sitemap, the feed: it then only adds the posts they lack."""
        self.pending_sitemaps -= 1
        if self.pending_sitemaps or self.stage != "sitemaps":
            return []
        return [self._feed_request()]

    def _feed_request(self) -> scrapy.Request:
        self.stage = "feed"
        return scrapy.Request(self.fetch_root + "blog-feed.xml", self.parse_feed,
                              dont_filter=True,
                              errback=self.on_error)

    def on_sitemap_error(self, failure: Failure) -> list[scrapy.Request]:
        # Without every sitemap the crawl cannot tell which posts disappeared. A language's
        # sitemap no index named (guessed) that is not there lacks nothing.
        response = getattr(failure.value, "response", None)
        if not (failure.request.meta.get(LANGUAGE_ROOT) and response is not None
                and response.status in (404, 410)):
            self.discovery.sitemap_failed = True
        self.on_error(failure)
        return self._sitemap_done()

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request | ListedUnchanged]:
        self.discovery.sitemaps_read += 1
        unchanged: list[str] = []
        yield from self._parse_sitemap_entries(response, unchanged)
        if unchanged:  # not fetched, yet seen on the site today: their last_seen says so
            yield ListedUnchanged(urls=unchanged, seen_at=_now())
        yield from self._sitemap_done()

    def _parse_sitemap_entries(self, response: Response,
                               unchanged: list[str]) -> Iterator[scrapy.Request]:
        """The requests for the posts (and sitemaps) `response` lists; the archived posts it
        lists unchanged since (their lastmod) are added to `unchanged`, not fetched."""
        sitemap = read_sitemap(response.body)
        if sitemap.problem:
            # Read in part or not at all: posts it lacks may not be gone, so none are marked.
            self.discovery.sitemap_failed = True
            self.record_error(response.url, f"sitemap {sitemap.problem}")
        # A post's translations are posts of their own (with_translations); those on another
        # host are that host's site, named in the summary (translations_elsewhere).
        entries = sitemap.entries if sitemap.is_index else with_translations(sitemap.entries)
        if not sitemap.is_index:
            self._translations_elsewhere(response.url, sitemap.entries)
            self.translations_listed |= any(entry.translations for entry in sitemap.entries
                                            if lists_post(response.url, entry.loc))
        for entry in entries:
            if not self._in_site(entry.loc):
                continue
            if sitemap.is_index:
                chain = (*response.meta.get(SITEMAP_PARENTS, ()), response.url)
                if entry.loc in chain:
                    # Named, but no failure: every sitemap is read once all the same. One
                    # reached twice by two routes (robots.txt and an index) is no cycle.
                    self.record_error(response.url, f"sitemap index lists {entry.loc} again "
                                                    "(a cycle): not read twice", counted=False)
                elif is_posts_sitemap(entry.loc) or is_language_index(entry.loc):
                    self.translations_listed |= is_language_index(entry.loc)
                    yield from self._sitemap_request(entry.loc, chain)
            elif lists_post(response.url, entry.loc):
                url = normalize_url(entry.loc)
                self.sitemap_urls.add(url)
                if unchanged_listed_post(entry.lastmod, self.known.get(url), self.in_full(url),
                                         self.resumed_since):
                    self.crawler.stats.inc_value("wixarchive/unchanged")
                    unchanged.append(url)
                    continue
                yield self._post_request(entry.loc, lastmod=entry.lastmod)

    def _translations_elsewhere(self, sitemap_url: str, entries: list[SitemapEntry]) -> None:
        """Count the posts' translations on other hosts by their site (ELSEWHERE + root), each
        once: the summary names them."""
        for url, root in translations_elsewhere(entries, self.roots).items():
            if url not in self.elsewhere and lists_post(sitemap_url, url):
                self.elsewhere.add(url)
                self.crawler.stats.inc_value(ELSEWHERE + root)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        feed = parse_feed(response.body)
        home = feed.blog_home if feed.blog_home and self._in_site(feed.blog_home) else None
        if language := response.meta.get(LANGUAGE_ROOT):
            self.language_homes[language] = home
        else:
            self.discovery.empty_feed = feed.is_feed and not feed.items
            self.blog_home = home or self.blog_home
        for item in feed.items:
            if not self._in_site(item.link):
                continue
            # Every item of the blog's feed is a post, whatever its URL's prefix (see
            # lists_post). Sitemap posts are decided by the sitemap's lastmod; an archived post
            # the sitemaps leave out (Wix leaves out noindex posts) is asked for conditionally;
            # without a posts sitemap, the listing pages ask for the archived ones.
            url = normalize_url(item.link)
            self.discovered.add(url)
            if url not in self.sitemap_urls and (
                    self.sitemap_urls or url not in self.known or url in self.recapture):
                yield self._post_request(item.link)

    def _listing_starts(self) -> list[scrapy.Request]:
        """The blog's home (the feed names it; /blog by default) and the page the user gave
        when it is neither the site's root nor a post: a blog at /news with no sitemap or feed
        is found from `crawl https://example.com/news`."""
        # fetch_root: where the site lives, if it moved (robots.txt redirected there)
        return [scrapy.Request(url, self.parse_listing, errback=self.on_listing_error,
                               meta={HTML_ONLY: True, LISTING_HOME: url, NAMED_PAGE: named})
                for url, named in listing_starts(self.blog_home, self.fetch_root,
                                                 named_page(self.start_url))]

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request | FetchedPage]:
        home = response.meta[LISTING_HOME]
        if response.meta.get(NAMED_PAGE):
            # The page the user named may be a post whose URL has no /post/ (a renamed prefix,
            # an old /single-post/...): archived if its extraction says post. A listing card's
            # link to it is a request the duplicate filter drops: this is its only fetch.
            if self._moved_away(response):
                return
            yield self._fetched_page(response, maybe_post=True)
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        if asked == home and (title := foreign_page_title(response.body)) is not None:
            # Named if no post is found: the site may no longer be a Wix blog (summary).
            self.crawler.stats.set_value(FOREIGN_HOME, response.url)
            self.crawler.stats.set_value(FOREIGN_HOME_TITLE, title)
        if asked == home:  # a blog home names its other languages' (/fr/blog)
            self._note_languages(response)
        posts, listings = listing_links(response.body, response.url, self.fetch_root, home)
        self.discovery.listed_posts += len(posts)
        for url in filter(self._in_site, posts):
            self.discovered.add(normalize_url(url))
            yield self._post_request(url)
        limit = self.settings.getint("WIXARCHIVE_MAX_LISTING_PAGES", MAX_LISTING_PAGES)
        for url in listings:
            if url in self.listings_requested:
                continue
            if len(self.listings_requested) >= limit:
                if not self.discovery.listings_capped:  # said once
                    self.discovery.listings_capped = True
                    self.record_error(url, f"listing page not read: more than {limit} listing "
                                           "pages (WIXARCHIVE_MAX_LISTING_PAGES)")
                return
            self.listings_requested.add(url)
            yield scrapy.Request(url, self.parse_listing, errback=self.on_listing_error,
                                 meta={HTML_ONLY: True, LISTING_HOME: home})

    def on_listing_error(self, failure: Failure) -> list[scrapy.Request]:
        """A listing page that failed leaves the posts it lists unknown, so no post missing
        from the listings is concluded deleted; a blog home guessed (/blog, the page given)
        that is not there (404, 410) lists nothing, and leaves the other listings complete.
        With no post found by then, the site's home page is asked for (site_home_request)."""
        self.on_error(failure)
        request = failure.request
        response = getattr(failure.value, "response", None)
        guessed = request.meta[LISTING_HOME] == request.url
        if not (guessed and response is not None and response.status in (404, 410)):
            self.discovery.listing_failed = True
            return []
        if request.url == self.fetch_root or self.root_read:
            return []
        if not request.meta.get(NAMED_PAGE) and request.url == self.blog_home:
            # The feed names a blog home that is not there: real feeds name /home for a blog
            # on the site's home page, which is then its listing (past the feed's 20 posts).
            self.root_read = True
            return [scrapy.Request(self.fetch_root, self.parse_listing, dont_filter=True,
                                   errback=self.on_listing_error,
                                   meta={HTML_ONLY: True, LISTING_HOME: self.fetch_root})]
        if self.discovered:
            return []
        self.root_read = True
        # One request, not retried, failing quietly: it only words the run's message.
        return [scrapy.Request(self.fetch_root, self.parse_site_home, errback=lambda _: None,
                               meta={HTML_ONLY: True, "dont_retry": True})]

    def parse_site_home(self, response: Response) -> None:
        """The site's home page, asked for only when no sitemap, feed or /blog named a post:
        one that is no Wix page at all is named (`does not look like a Wix site`), as a blog
        home's is (parse_listing). Without it, a WordPress site's address (its /blog a 404)
        got `no Wix blog posts found (no blog-posts sitemap, blog feed or listing of posts)`."""
        if (title := foreign_page_title(response.body)) is not None:
            self.crawler.stats.set_value(FOREIGN_HOME, response.url)
            self.crawler.stats.set_value(FOREIGN_HOME_TITLE, title)
        self._note_languages(response)

    def _note_languages(self, response: Response) -> None:
        """Learn the site's languages from a page discovery read (its hreflang alternates)."""
        self.languages.update(language_roots(response.body, response.url, self.fetch_root))

    def parse_languages(self, response: Response) -> Iterator[scrapy.Request]:
        """The site's home page, read for its languages when no page discovery read named
        them: one request on a site in one language."""
        self._note_languages(response)
        yield from self._language_sources()

    def _language_requests(self) -> list[scrapy.Request]:
        """Each language's feed and sitemap, when the sitemaps did not name the posts'
        translations: Wix serves one feed per language (/fr/blog-feed.xml), and the root
        index may not list a language's sitemap (/fr/sitemap.xml). The languages come from
        the hreflang alternates of the site's home page (asked for here once, unless already
        read) and of the blog home read as a listing."""
        if self.translations_listed:
            return []
        if not self.root_read:
            self.root_read = True
            # Not retried, failing quietly: the posts are the crawl's business, not this page.
            return [scrapy.Request(self.fetch_root, self.parse_languages, dont_filter=True,
                                   errback=lambda _: None,
                                   meta={HTML_ONLY: True, "dont_retry": True})]
        return list(self._language_sources())

    def _language_sources(self) -> Iterator[scrapy.Request]:
        for language in sorted(self.languages - self.languages_read):
            self.languages_read.add(language)
            yield scrapy.Request(language + "blog-feed.xml", self.parse_feed, dont_filter=True,
                                 errback=self.on_error, meta={LANGUAGE_ROOT: language})
            yield from self._sitemap_request(language + "sitemap.xml", language=language)

    def _language_listing_starts(self) -> list[scrapy.Request]:
        """Each language's blog home (its feed names it; /fr/blog by default), read as a
        listing when the site has no posts sitemap, as the default language's is."""
        starts = dict.fromkeys(self.language_homes.get(language) or language + "blog"
                               for language in sorted(self.languages_read))
        return [scrapy.Request(url, self.parse_listing, errback=self.on_listing_error,
                               meta={HTML_ONLY: True, LISTING_HOME: url})
                for url in starts if url not in self.listings_requested]

    def _next_discovery(self) -> list[scrapy.Request] | None:
        """The next discovery stage's requests, once the previous one ran dry; None when
        discovery is done. The feed normally follows the last sitemap (see _sitemap_done);
        listing pages come next, only for a site without a posts sitemap; then the other
        languages' feeds and sitemaps (and listings); last, the checks of the archived posts
        that no source listed."""
        if self.stage == "sitemaps":
            return [self._feed_request()]
        if self.stage == "feed":
            self.stage = "listings"
            if not self.sitemap_urls:
                return self._listing_starts()
        if self.stage == "listings":
            self.stage = "languages"
            if requests := self._language_requests():
                return requests
        if self.stage == "languages":
            self.stage = "language listings"
            if not self.sitemap_urls and (requests := self._language_listing_starts()):
                return requests
        if self.stage == "language listings":
            self.stage = "checks"
            checks = [self._post_request(url) for url in self.posts_to_check()]
            if checks:
                return checks
        return None

    def posts_to_check(self) -> list[str]:
        """Archived posts that no sitemap, feed or listing page listed this time, when the
        site's posts were all listed (crawler.discover.checks); when they were not, nothing is
        concluded and the summary says how many went unchecked (wixarchive/unchecked). A post
        archived at the address the site moved from counts as listed when the new host lists
        it: asked again, it would only redirect there (counted twice, and never gone)."""
        moved = self._listed_at_the_new_host()
        checks, unchecked = self.discovery.posts_to_check(self.known, self.sitemap_urls,
                                                          self.discovered | set(moved))
        if unchecked:
            self.crawler.stats.set_value("wixarchive/unchecked", unchecked)
        if again := sum(1 for old, new in moved.items()
                        if old in self.known and new not in self.known):
            self.crawler.stats.set_value(ARCHIVED_BEFORE_THE_MOVE, again)
        return checks

    def _listed_at_the_new_host(self) -> dict[str, str]:
        """The posts listed this time at the host the site moved to (MOVED_TO), by their URL
        at the address it moved from: one the archive holds only at the old address takes its
        new URL when fetched (_archived_at_the_old_address); the summary counts them."""
        moved_to = self.crawler.stats.get_value(MOVED_TO)
        if not moved_to:
            return {}
        return {self.site + url[len(moved_to):]: url
                for url in self.sitemap_urls | self.discovered if url.startswith(moved_to)}

    def _on_idle(self, spider: scrapy.Spider) -> None:
        """Discovery stages that wait for the previous one to run dry (_next_discovery), then
        the posts' images (media)."""
        requests = self._next_discovery()
        if requests is not None:
            for request in requests:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider
        if self.media is None:
            return
        if self.media.outstanding:
            # Scrapy's downloader forgets a request before its callbacks run, so the spider
            # can look idle while the last images' outcomes are still to come; closing then
            # lost their media rows. _media_outcome wakes the engine for another look.
            raise DontCloseSpider
        batch = self.media.take()
        if batch is not None:
            self._hand_over(batch)
        media_requests = self.media.next_requests(self)
        if media_requests is None:
            if batch is None and not self.handing_over:
                return
            media_requests = []  # closes once handed over (which wakes the engine)
        elif not media_requests:  # look again once the archive worker has committed its batch
            from twisted.internet import reactor

            reactor.callLater(MEDIA_SETTLE, self._media_again)
        self._fetch_media(media_requests)
        raise DontCloseSpider

    def _engine_open(self) -> bool:
        engine = self.crawler.engine
        return engine is not None and getattr(engine, "spider", self) is not None

    def _wake_engine(self) -> None:
        """Have the engine check for idleness now rather than at its next heartbeat (5 s);
        without that (private) hook it simply closes a little later."""
        nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    def _media_again(self) -> None:
        if not self._engine_open() or self.media is None:
            return
        self._fetch_media(self.media.next_requests(self) or [])
        self._wake_engine()

    def _media_poll(self) -> None:
        """While posts are fetched: hand over the outcomes so far, request the images of the
        posts committed since the last look, then look again in MEDIA_POLL_EVERY seconds
        (until the spider closes)."""
        if self.media is None or self.media.closed or not self._engine_open():
            return
        batch = self.media.take()
        if batch is not None:
            self._hand_over(batch)
        self._fetch_media(self.media.poll(self))
        from twisted.internet import reactor

        reactor.callLater(MEDIA_POLL_EVERY, self._media_poll)

    def _fetch_media(self, requests: list[scrapy.Request]) -> None:
        """Each image request straight to the downloader: its middlewares (robots.txt,
        captures, time limit) and the media host's slot (Wix's CDN has its own, see
        crawler.media) apply; the scheduler and the spider middlewares, with nothing to do for
        an image, are skipped (with the item pipeline, about a third of an image's CPU;
        docs/benchmarks.md)."""
        if not requests or not self._engine_open():
            return
        engine = self.crawler.engine
        for request in requests:
            if hasattr(engine, "download_async"):  # Scrapy >= 2.14
                done = deferred_from_coro(engine.download_async(request))
            else:
                done = engine.download(request)
            done.addCallbacks(self.parse_media, self.on_media_error, errbackArgs=(request,))
            done.addErrback(self._media_bug, request)

    def parse_media(self, response: Response) -> None:
        assert self.media is not None
        self._media_outcome(self.media.outcome(response))

    def on_media_error(self, failure: Failure, request: scrapy.Request) -> None:
        assert self.media is not None
        failure.request = request  # as Scrapy hands it to an errback
        self._media_outcome(self.media.failed(failure))

    def _media_outcome(self, outcome: MediaOutcome) -> None:
        assert self.media is not None
        self.crawler.stats.inc_value(f"wixarchive/media_{outcome.status.split('-')[0]}")
        if outcome.status.startswith(MEDIA_FAILURES) and \
                self.crawler.stats.get_value(MEDIA_FIRST_FAILURE) is None:
            self.crawler.stats.set_value(MEDIA_FIRST_FAILURE,
                                         f"{outcome.url}: {outcome.error or outcome.status}")
        batch = self.media.keep(outcome)
        if batch is not None:
            self._hand_over(batch)
        self._fetch_media(self.media.refill(self))
        if not self.media.outstanding:
            self._wake_engine()  # the spider may be idle now (see _on_idle)

    def _media_bug(self, failure: Failure, request: scrapy.Request) -> None:
        self.logger.error("handling the image %s failed", request.url,
                          exc_info=failure_to_exc_info(failure))

    def _hand_over(self, batch: MediaOutcomes) -> None:
        """Outcomes to the item pipeline (the archive worker) as one item."""
        if not self._engine_open():
            return  # closing: these images are fetched again next run (see crawler.media)
        scraper = self.crawler.engine.scraper
        closing = _scraper_closing(scraper)
        if closing is not None and closing.called:
            return  # the item pipeline is closing too: fetched again next run
        if hasattr(scraper, "start_itemproc_async"):  # Scrapy >= 2.14
            done = deferred_from_coro(scraper.start_itemproc_async(batch, response=None))
        else:
            done = scraper.start_itemproc(batch, response=None)
        self.handing_over += 1

        def handed_over(result: Any) -> Any:
            self.handing_over -= 1
            self._wake_engine()
            _recheck_closing(scraper)
            return result

        done.addBoth(handed_over)

    def closed(self, reason: str) -> None:
        if self.media is not None:
            self.media.close()

    # -- fetch and extract -----------------------------------------------------------------

    def in_full(self, url: str) -> bool:
        """Whether the post at `url` (normalised) is fetched in full, whatever its lastmod,
        with no conditional request: every post with `--refetch`, else those whose newest
        capture is lost (archive.lost_captures; a 304 would capture nothing)."""
        return self.refetch or url in self.recapture

    def _post_request(self, url: str, lastmod: str | None = None) -> scrapy.Request:
        # Fetched in the form it is archived under: a feed link's tracking query
        # (?utm_source=...) is no second fetch of a post the listing links to, and a listing's
        # /post/slug/ no redirect and full download (normalize_url).
        url = normalize_url(url)
        self.discovery.posts_requested += 1
        # an unchanged post costs a 304, no body
        headers = post_request_headers(self.known.get(url), in_full=self.in_full(url))
        return scrapy.Request(url, self.parse_post, errback=self.on_error, headers=headers,
                              meta={"lastmod": lastmod, "handle_httpstatus_list": POST_STATUSES,
                                    HTML_ONLY: True})

    def parse_post(self, response: Response) -> Iterator[FetchedPage | UnchangedPost | GonePost]:
        url = normalize_url(response.url)
        if self._moved_away(response):
            return
        if response.status == 304:
            yield UnchangedPost(url=url, fetched_at=_now(), lastmod=response.meta.get("lastmod"),
                                etag=_header(response, "ETag"),
                                http_last_modified=_header(response, "Last-Modified"))
            return
        if response.status in (404, 410):
            # An archived post that now redirects to a 404 (its site moved, then it was
            # deleted; a renamed slug deleted) is gone under the URL it is archived at.
            asked = normalize_url((response.meta.get("redirect_urls") or [url])[0])
            gone = url if url in self.known else asked if asked in self.known else None
            if gone is not None:
                yield GonePost(url=gone, when=_now())
            else:
                if not self._counts_as_failed(url, response.status):
                    # Listed but gone before any crawl archived it: said on the line, not only
                    # in the errors (crawler.summary).
                    self.crawler.stats.inc_value(POSTS_GONE_UNARCHIVED)
                self.on_http_error(response)
            return
        yield self._fetched_page(response)

    def _moved_away(self, response: Response) -> bool:
        """Whether the post (or page named) asked for redirected to another site: that site's,
        named in the run and not archived. Archived under its new URL as this site's, it would
        belong to two sites (and move between them)."""
        asked = (response.meta.get("redirect_urls") or [response.url])[0]
        if elsewhere := redirected_elsewhere(asked, response.url, self.roots):
            self.crawler.stats.inc_value(MOVED_AWAY + elsewhere)
            self.record_error(asked, moved_away_reason(response.url, elsewhere), counted=False)
            return True
        return False

    def _fetched_page(self, response: Response, *, maybe_post: bool = False) -> FetchedPage:
        """The page for the archive worker, which extracts, cleans and stores it
        (crawler.pipelines)."""
        url = normalize_url(response.url)
        self.fetched_pages += 1
        if self.fetched_pages == 1 and self.media is not None:
            from twisted.internet import reactor

            reactor.callLater(MEDIA_POLL_EVERY, self._media_poll)
        return FetchedPage(
            url=url,
            body=response.body,
            fetched_at=_now(),
            content_type=_header(response, "Content-Type"),
            lastmod=response.meta.get("lastmod"),
            etag=_header(response, "ETag"),
            http_last_modified=_header(response, "Last-Modified"),
            capture=response.meta.get(CAPTURE_META),
            recapture=url in self.recapture,
            listed=url in self.sitemap_urls,
            maybe_post=maybe_post,
            moved_from=self._archived_at_the_old_address(url),
        )

    def _archived_at_the_old_address(self, url: str) -> str | None:
        """The URL a post fetched at the host the site moved to (MOVED_TO) is archived at on
        the old address, or a /post/<slug> post at its old blog URL (a recover or import of
        the old blog's captures), when it is archived there only: the archive moves that post
        to `url`."""
        return archived_before_a_move(url, self.known, self.site,
                                      self.crawler.stats.get_value(MOVED_TO), self._old_blog)

    def _old_blog(self) -> dict[str, str]:
        if self.old_blog is None:
            self.old_blog = old_blog_posts(self.known)
        return self.old_blog

    def on_http_error(self, response: Response) -> None:
        self.record_error(response.url, f"HTTP {response.status}",
                          counted=self._counts_as_failed(response.url, response.status))

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        # Named by the URL the crawl asked for, not where its redirects led.
        url = (request.meta.get("redirect_urls") or [request.url])[0] if request else "?"
        if robots_forbidden(failure):
            # Skipped by choice (robots.txt obeyed), not failed: named, counted apart.
            self.crawler.stats.inc_value("wixarchive/robots_skipped")
            if request is not None and request.callback == self.parse_post:
                self.crawler.stats.inc_value("wixarchive/robots_skipped_posts")
            self.record_error(url, describe(failure, self.settings), counted=False)
            return
        limit = getattr(self.crawler, "wixarchive_time_limit", None)
        if failure.check(IgnoreRequest) and limit is not None and limit.left_unsent(
                str(failure.value)):
            # Left unsent by a Ctrl-C, a SIGTERM or the site's time limit: the run is
            # `interrupted` or `timeout` (a failure as to run-due's back-off already) and the
            # next one fetches them; named, but no failure of the site (`runs` showed them as
            # FAIL).
            self.record_error(url, str(failure.value), counted=False)
            return
        response = getattr(failure.value, "response", None)
        self.record_error(url, describe(failure, self.settings),
                          counted=response is None
                          or self._counts_as_failed(url, response.status))

    def _counts_as_failed(self, url: str, status: int) -> bool:
        """A page that is not there (404, 410) is named in the errors but is no failure of the
        crawl: a site without robots.txt or a feed, a post listed but gone before it was
        fetched. Only the post URL the user gave is: they asked for that page, and the run is
        `partial` without it."""
        if status not in (404, 410):
            return True
        return is_post_url(self.start_url) and normalize_url(url) == normalize_url(
            self.start_url)

    def record_error(self, url: str, reason: str, *, counted: bool = True) -> None:
        """Name a failed request in the run's errors; `counted` ones are the run's `failed`
        count, make it `partial`, and are listed first."""
        error = f"{url}: {reason}"
        if not counted:
            if len(self.errors) < MAX_ERRORS_KEPT:
                self.errors.append(error)
            return
        self.crawler.stats.inc_value("wixarchive/fetch_errors")
        # Failures before the pages that are only missing: the summary and `runs` name the
        # first error, which must be one that failed the run, not a sitemap.xml's 404.
        if self.failures_listed < MAX_ERRORS_KEPT:
            self.errors.insert(self.failures_listed, error)
            self.failures_listed += 1
            del self.errors[MAX_ERRORS_KEPT:]


def _recheck_closing(scraper: Any) -> None:
    """Let a closing scraper see that an item it was waiting for is done.

    Scrapy's scraper re-checks whether it may finish closing only when a response's processing
    ends, not when an item handed to start_itemproc alone ends. A stop (Ctrl-C, SIGTERM, the
    time limit) that began while a batch of image outcomes was in the archive pipeline then
    waited for ever: the crawl process never exited. Its (private) check, where it has one."""
    closing = _scraper_closing(scraper)
    check = getattr(scraper, "_check_if_closing", None)
    if closing is not None and not closing.called and check is not None:
        check()


def _scraper_closing(scraper: Any) -> Any:
    """The Deferred Scrapy's scraper fires once it has closed (None while it is not closing)."""
    return getattr(getattr(scraper, "slot", None), "closing", None)


def unchanged_listed_post(lastmod: str | None, known: KnownPost | None, in_full: bool,
                          resumed_since: str | None) -> bool:
    """Whether a post a sitemap lists at `lastmod` is left unfetched, counted unchanged: it is
    archived and not deleted, not to be fetched in full (`in_full`: --refetch, a lost
    capture), and its lastmod shows no change since (unchanged_since_fetch) or the run being
    resumed archived it at this lastmod (archived_since). The rule of both spiders."""
    return bool(known and known.deleted_at is None and not in_full
                and (unchanged_since_fetch(lastmod, known)
                     or archived_since(lastmod, known, resumed_since)))


def unchanged_since_fetch(lastmod: str | None, known: KnownPost) -> bool:
    """True when the sitemap's lastmod shows no change since the post was archived.

    Wix writes dates ("2024-05-01") or full timestamps; both compare as strings cut to the
    shorter. A lastmod older than the archived one is a change too: a blog restored from a
    backup, or an edit reverted, goes back in time. A date-only lastmod on the day of the last
    fetch cannot tell an edit made later that day, so such a post is fetched again,
    conditionally (unchanged, it costs a 304).
    """
    if not lastmod or not known.lastmod:
        return False
    size = min(len(lastmod), len(known.lastmod))
    if lastmod[:size] != known.lastmod[:size]:
        return False
    return not (len(lastmod) <= 10 and lastmod >= (known.last_seen or "")[:10])


def archived_since(lastmod: str | None, known: KnownPost, since: str | None) -> bool:
    """True when the post was archived, at this very lastmod, by the run being resumed (which
    started at `since`): what that run committed is not fetched again, even on the day of an
    edit, where a date-only lastmod alone could not tell.

    A post that run archived with no lastmod counts too when the sitemap's lastmod is no later
    than the day it was fetched: a crawl through Redis asks for the feed's posts before the
    sitemap is read, and stores its lastmod on them only once it is, which a stopped run may
    not have done (a crawl without Redis reads the feed after the sitemaps, so that its posts
    are asked for with their lastmod)."""
    if not (since and lastmod and (known.last_seen or "") >= since):
        return False
    if known.lastmod is None:
        return lastmod_not_after(lastmod, known.last_seen or "")
    return lastmod == known.lastmod
