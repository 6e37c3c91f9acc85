"""The sites of a crawl through Redis as its writer (archive.distributed) holds them: each
one's job (`SiteJob`), its state while crawled (`SiteCrawl`), and the workers' results as the
writer takes them in: each stored in the archive (`store_result`), what it adds to its site's
run (`run_counts`, in the crawl_runs row as its batch commits) and summary (`tally`, as a crawl
without Redis counts a page: crawler.spiders.wix), with the lastmods posts sitemaps give.
Nothing here imports Scrapy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from archive import attachments, captures, lost_captures
from archive.store import Archive, KnownPost
from crawler import settings as defaults  # plain constants, no Scrapy import
from crawler.discover.checks import Discovery
from crawler.discover.sitemaps import lastmod_not_after
from crawler.discover.urls import normalize_url
from crawler.distributed import protocol as p
from crawler.summary import (
    ELSEWHERE,
    FOREIGN_HOME,
    FOREIGN_HOME_TITLE,
    MEDIA_FAILURES,
    MEDIA_FIRST_FAILURE,
    MOVED_AWAY,
    NOT_POSTS,
    POSTS_GONE_UNARCHIVED,
    ROBOTS_SKIPPED,
    TIME_LIMIT,
    not_a_post_reason,
)


@dataclass
class SiteJob:
    """One site: its root URL and politeness (requests in flight at once, seconds between)."""

    url: str
    concurrency: int = 4
    delay: float = 0.5
    time_limit: float | None = None  # seconds; at the limit its queued requests are dropped
    # Its own media settings over the crawl's (the sites file's media keys, as
    # archive.crawls.media_overrides gives them: WIXARCHIVE_MEDIA, WIXARCHIVE_MEDIA_KINDS, ...).
    media: dict[str, Any] = field(default_factory=dict)
    # The page below the root the user named, neither the root nor a /post/ URL
    # (crawler.discover.urls.named_page): read as a listing, archived if it is a post.
    named: str | None = None
    # The /post/ URL the user named (normalised): fetched, as a crawl without Redis does, and
    # its 404 or 410 is a failure of the run (they asked for that page).
    post: str | None = None


@dataclass(frozen=True)
class MediaPlan:
    """What the writer queues for a site once its pages are in: the posts' images at full size
    (crawler.media), the videos and documents of the kinds asked for (crawler.media_kinds),
    the images the post pages show (`--page-requisites`), each file up to `cap` bytes."""

    on: bool
    images: bool
    file_kinds: list[str]
    page_requisites: bool
    cap: int


def media_plan(settings: dict[str, Any]) -> MediaPlan:
    """The media plan of these crawl settings (`crawl`'s media options, or a site's keys)."""
    kinds = attachments.parse_kinds(settings.get("WIXARCHIVE_MEDIA_KINDS") or None)
    return MediaPlan(on=bool(settings.get("WIXARCHIVE_MEDIA", True)
                             and settings.get("WIXARCHIVE_CAPTURE", True)),
                     images="images" in kinds, file_kinds=attachments.file_kinds(kinds),
                     page_requisites=bool(settings.get("WIXARCHIVE_PAGE_REQUISITES", False)),
                     cap=int(settings.get("WIXARCHIVE_MEDIA_MAX_BYTES",
                                          defaults.WIXARCHIVE_MEDIA_MAX_BYTES)))


@dataclass
class SiteCrawl:
    """A site as the writer crawls it: its run, what the archive holds of it, what its
    workers reported so far."""

    job: SiteJob
    index: int
    run_id: int
    started_at: str
    known: dict[str, KnownPost]
    media: MediaPlan
    # The root its posts are archived under: its own, or its www. twin's when only that one is
    # archived (archive.site_match.archived_root), which the media and lost captures look up.
    archived: str
    # What its crawl fetches again because the capture is lost (archive.lost_captures).
    lost: lost_captures.Lost = field(default_factory=lambda: lost_captures.Lost(set(), {}))
    stats: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)  # post URLs stored in this run
    sitemap_urls: set[str] = field(default_factory=set)
    elsewhere: set[str] = field(default_factory=set)  # translations on other hosts, counted
    # The posts the feed and listing pages had the workers ask for, and what the workers'
    # discovery saw: which archived posts may be checked for deletion (crawler.discover.checks).
    discovered: set[str] = field(default_factory=set)
    discovery: Discovery = field(default_factory=Discovery)
    feed_posts: set[str] = field(default_factory=set)  # every post the blog feed lists
    # The posts sitemaps' lastmod of each post they had the workers ask for, and when each post
    # stored in this run without one was fetched: a post the feed asked for before a sitemap
    # named it (the duplicate filter drops the sitemap's request) gets its lastmod all the same,
    # so the next crawl does not ask for it again (store_sitemap_lastmods).
    sitemap_lastmods: dict[str, str] = field(default_factory=dict)
    fetched_without_lastmod: dict[str, str] = field(default_factory=dict)
    blog_home: str | None = None
    # The root robots.txt redirected to, when the site moved to another host (a worker's
    # `moved_to`): its listing pages are fetched there (RedisWriter._queue_listings).
    moved_to: str | None = None
    # That root when it is another host, not the site's `www.` or other-scheme spelling: a move
    # the summary names, and where the posts archived at the old address take their new URLs
    # (as crawler.spiders.wix._follow_move).
    moved_host: str | None = None
    # Its known posts at an old blog URL by slug (old_blog_posts), read once when needed.
    old_blog: dict[str, str] | None = None
    unreachable: bool = False
    dropped: int = 0  # the requests its workers still held past a stop's grace: dropped
    # Why its robots.txt could not be read (a worker's `robots_unreachable`, e.g. "HTTP 503 (4
    # tries)"): nothing else is fetched, as RFC 9309 asks and a crawl without Redis stops.
    robots_unreachable: str | None = None
    listings_queued: bool = False
    # A multilingual site whose sitemaps do not name the posts' translations: the home page
    # (unless a worker read it: root_read) names its languages, whose feeds and sitemaps the
    # worker then asks for; their blog homes (language_homes, from their feeds) are listings
    # when the site has no posts sitemap (as crawler.spiders.wix._language_requests).
    translations_listed: bool = False
    root_read: bool = False
    languages_queued: bool = False
    language_homes: dict[str, str | None] = field(default_factory=dict)
    language_listings_queued: bool = False
    checks_queued: bool = False
    media_queued: bool = False
    deadline: float | None = None  # time.monotonic() of its time limit
    # Why a worker stopped it as failing (crawler.distributed.backoff): its run ends so, as a
    # crawl without Redis ends it (crawler.downloader.failing_site).
    stopped_early: str | None = None
    # Once stopped (its time limit, or failing): the reason its run ends with, and when
    # (time.monotonic()); the run ends once the requests the workers held are done.
    stop_reason: str | None = None
    stopped_at: float = 0.0
    # The crawl was stopped (Ctrl-C, SIGTERM): its requests left unsent are no failure.
    interrupted: bool = False

    def count(self, key: str, n: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + n


def store_sitemap_lastmods(archive: Archive, site: SiteCrawl, lastmods: dict[str, str]) -> None:
    """Keep the lastmods a posts sitemap gives (url -> lastmod), and store each on the post of
    this run fetched before that sitemap was read, as a crawl without Redis stores it. Not one
    later than the fetch: the post may then have been changed after it was fetched."""
    site.sitemap_lastmods.update(lastmods)
    for url in lastmods.keys() & site.fetched_without_lastmod.keys():
        if lastmod_not_after(lastmods[url], site.fetched_without_lastmod.pop(url)):
            archive.set_missing_lastmod(url, lastmods[url])


def with_sitemap_lastmod(site: SiteCrawl, item: tuple[Any, ...]) -> tuple[Any, ...]:
    """A fetched post's item, with the lastmod a posts sitemap already gave it when its request
    came from the feed without one (and the lastmod is no later than the fetch)."""
    info = item[2]
    lastmod = site.sitemap_lastmods.get(item[1].url)
    if info["lastmod"] is not None or lastmod is None or not lastmod_not_after(
            lastmod, info["fetched_at"]):
        return item
    return (*item[:2], {**info, "lastmod": lastmod})


def item_url(item: tuple[Any, ...]) -> str:
    kind = item[0]
    if kind == "post":
        return item[1].url
    if kind == "page":
        return item[2]
    return item[1].url


def store_result(archive: Archive, item: tuple[Any, ...], run_id: int | None, *,
           recapture: bool = False, moved_from: str | None = None) -> str:
    """Store one worker result; returns its outcome (new, changed, unchanged, recaptured,
    deleted) or `page:KIND` for a page that is no post. `recapture`: a post fetched again
    because its capture was lost (archive.lost_captures); `moved_from`: the URL a post is
    archived at on the address its site moved from, which it leaves for its new one."""
    kind = item[0]
    if kind == "post":
        info = item[2]
        return archive.save_article(item[1], run_id=run_id, fetched_at=info["fetched_at"],
                                    lastmod=info["lastmod"], etag=info["etag"],
                                    http_last_modified=info["http_last_modified"],
                                    capture=info.get("capture"), recapture=recapture,
                                    moved_from=moved_from)
    if kind == "unchanged":
        post = item[1]
        archive.touch_post(post.url, fetched_at=post.fetched_at, lastmod=post.lastmod,
                           etag=post.etag, http_last_modified=post.http_last_modified)
        return "unchanged"
    if kind == "gone":
        return "deleted" if archive.mark_deleted(item[1].url, when=item[1].when) else "unchanged"
    if kind == "media":
        media = item[1]
        captures.record_media(archive.conn, media.url, media.status, media.fetched_at,
                              media.content_type, media.bytes, media.payload_digest,
                              media.capture, media.error)
        return f"media:{media.status}"
    return f"page:{item[1]}"


def run_counts(message: dict[str, Any], outcomes: list[tuple[str, str]]) -> Counter[str]:
    """What a message adds to its run's counts as its batch commits (as
    crawler.pipelines.worker counts a page): the responses, the posts by outcome, those of no
    known layout. The finished run's counts replace them (RedisWriter._finish)."""
    counts: Counter[str] = Counter(pages=message.get("responses", 0))
    counts.update(outcome for _, outcome in outcomes if ":" not in outcome)
    counts["unknown_layout"] += sum(1 for item in message.get("items", [])
                                    if item[0] == "post" and item[2].get("unknown_layout"))
    return +counts  # the counts above 0


def tally(site: SiteCrawl, message: dict[str, Any], outcomes: list[tuple[str, str]]) -> None:
    # The responses and the download attempts (retries, redirects, each worker's robots.txt),
    # as Scrapy counts them for a crawl without Redis (crawler.distributed.fetches).
    site.count("downloader/response_count", message.get("responses", 0))
    site.count("downloader/request_count", message.get("requests", 0))
    site.count("wixarchive/unchanged", message.get("unchanged", 0))
    # Requests a site's time limit or the crawl's stop left unsent are named, not failures of
    # the site (as WixBlogSpider.on_error): its run is a timeout or interrupted, which the
    # schedule's back-off counts.
    unsent = (p.SITE_STOPPED, p.TIME_LIMIT_OVER) if (
        site.stop_reason == TIME_LIMIT or site.interrupted) else (p.TIME_LIMIT_OVER,)
    site.count("wixarchive/fetch_errors", sum(not error.endswith(unsent)
                                              for error in message.get("errors", ())))
    # Pages robots.txt forbids: skipped by choice, named among the missing (crawler.summary).
    site.count(f"wixarchive/{ROBOTS_SKIPPED}", message.get("robots_skipped", 0))
    site.count("wixarchive/robots_skipped_posts", message.get("robots_skipped_posts", 0))
    gone_asked = site.job.post and any(
        normalize_url(error.split(": ", 1)[0]) == site.job.post
        for error in message.get("missing", ()))
    if message.get("posts_gone") and not gone_asked:  # the post asked for is a failure
        site.count(POSTS_GONE_UNARCHIVED)
    # Pages that are not there (the worker says which: 404, 410) are named, not failures.
    for error in [*message.get("errors", ()), *message.get("missing", ())]:
        if len(site.errors) < 50:
            site.errors.append(error)
    if site.job.post and any(normalize_url(error.split(": ", 1)[0]) == site.job.post
                             for error in message.get("missing", ())):
        site.count("wixarchive/fetch_errors")  # the post the user asked for is not there
    site.sitemap_urls.update(message.get("sitemap_urls", ()))
    for root, count in message.get("moved_away", {}).items():  # posts of other sites
        site.count(MOVED_AWAY + root, count)
    for url, root in message.get("elsewhere", {}).items():  # as crawler.spiders.wix counts
        if url not in site.elsewhere:
            site.elsewhere.add(url)
            site.count(ELSEWHERE + root)
    site.discovered.update(message.get("discovered", ()))
    site.feed_posts.update(message.get("feed_posts", ()))
    found = site.discovery
    found.sitemaps_read += message.get("sitemaps_read", 0)
    found.sitemap_failed |= bool(message.get("sitemap_failed"))
    found.empty_feed |= bool(message.get("empty_feed"))
    found.posts_requested += message.get("posts_requested", 0)
    found.listed_posts += message.get("listed_posts", 0)
    found.listing_failed |= bool(message.get("listing_failed"))
    found.listings_capped |= bool(message.get("listings_capped"))
    if foreign := message.get("foreign_home"):  # as crawler.spiders.wix names it
        site.stats[FOREIGN_HOME], site.stats[FOREIGN_HOME_TITLE] = foreign
    if crawl_delay := message.get("crawl_delay"):  # as crawler.spiders.wix names it
        site.stats["wixarchive/crawl_delay"], site.stats["wixarchive/crawl_delay_asked"] = \
            crawl_delay
    if message.get("stopped_early") and message.get("run") == site.run_id:
        site.stopped_early = site.stopped_early or message["stopped_early"]
    site.unreachable |= bool(message.get("unreachable"))
    site.robots_unreachable = site.robots_unreachable or message.get("robots_unreachable")
    site.blog_home = site.blog_home or message.get("blog_home")
    site.translations_listed |= bool(message.get("translations_listed"))
    site.root_read |= bool(message.get("root_read"))
    site.language_homes.update(message.get("language_homes", {}))
    site.moved_to = site.moved_to or message.get("moved_to")
    for item in message.get("items", []):
        if item[0] == "post" and item[2].get("unknown_layout"):
            site.count("wixarchive/unknown_layout")
        elif item[0] == "media" and item[1].status.startswith(MEDIA_FAILURES) and \
                MEDIA_FIRST_FAILURE not in site.stats:
            # Why images failed, named on the site's line as a crawl without Redis names it
            # (WixBlogSpider._media_outcome): a bare count left the user guessing.
            site.stats[MEDIA_FIRST_FAILURE] = f"{item[1].url}: {item[1].error or item[1].status}"
    for url, outcome in outcomes:
        if outcome.startswith("error:"):
            site.count("wixarchive/fetch_errors")
            site.errors.append(f"{url}: {outcome[6:]}")
        elif outcome.startswith("media:"):
            site.count(f"wixarchive/media_{outcome[6:].split('-')[0]}")
        elif outcome.startswith("page:"):
            kind = outcome[5:]
            site.count(f"wixarchive/pages/{kind}")
            if kind == "error":
                site.count("wixarchive/fetch_errors")
                site.errors.append(f"{url}: not archived: not a readable HTML page")
            else:
                # A post URL that answered another page (a login page): counted and named; an
                # archived post is kept, never marked deleted (crawler.pipelines.archive).
                archived = url in site.known
                site.count(f"wixarchive/{NOT_POSTS}")
                if archived:
                    site.count("wixarchive/not_posts_archived")
                if len(site.errors) < 50:
                    site.errors.append(f"{url}: {not_a_post_reason(kind, archived)}")
        else:
            site.count("wixarchive/pages/post")
            site.count(f"wixarchive/{outcome}")
