"""The outcome of one site's crawl: computed once, recorded in crawl_runs and shown to the user."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from archive.schedule.due import format_duration
from archive.store import BUSY_TIMEOUT_MS
from archive.words import counted
from crawler.discover.urls import BadURL, is_post_url, no_site, site_root

# recaptured: unchanged posts fetched again because their capture was lost (lost_captures)
OUTCOMES = ("new", "changed", "unchanged", "recaptured", "deleted", "failed")
POSTS = ("new", "changed", "unchanged", "recaptured")  # the posts a run archived
# Counted apart from the outcomes (always in a run's counts): post URLs that answered 200 with
# a page that is not a post (a members-only post's login page), and pages never requested
# because robots.txt forbids them. Neither is a failed page (docs/crawling.md).
NOT_POSTS = "not_posts"
ROBOTS_SKIPPED = "robots_skipped"
NOT_A_POST = "not archived: answered a page that is not a post"  # that page's error's reason
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"  # Scrapy's RobotsTxtMiddleware's reason
# Close reasons of a crawl ended early because of the site (crawler.downloader): it asked us to
# stay away longer than we wait, or it keeps failing. The run was not interrupted.
THROTTLED = "throttled"
FAILING = "failing"
# A robots.txt answering a server error forbids everything (RFC 9309; crawler/downloader/robots.py).
ROBOTS_UNREACHABLE = "robots.txt unreachable"
STOPPED_EARLY = (THROTTLED, FAILING, ROBOTS_UNREACHABLE)
# The close reason of a crawl stopped at its time limit (crawler.downloader.time_limit): the run
# is recorded as `timeout` by the crawl itself, in the same write that closes it.
TIME_LIMIT = "time_limit"
# A run whose row the crawl could not record (the archive stayed busy to its end) says so in its
# summary; `run-due` records the row itself once it can, and then drops these words
# (archive.schedule.runner).
NOT_RECORDED_ERROR = "this run not recorded in the archive: "
NOT_RECORDED_MESSAGE = ("; this run is not recorded in the archive: its errors are only in this "
                        "crawl's output (--json lists them)")
# The close reason of a crawl whose captures could not be written (crawler.capture.middleware):
# the stats below say why and what to do. The run failed: it stops where the disk (or the
# folder's permissions) stopped it, and the next run resumes once that is fixed.
CAPTURE_FAILED = "capture_failed"
CAPTURE_FAILURE = "wixarchive/capture_failure"  # "captures could not be written to DIR: ..."
CAPTURE_FIX = "wixarchive/capture_fix"  # "free space on its disk"
# Pages the archive worker could not store because the archive's disk is full (counted by the
# archive pipeline): the run failed, however many posts it stored before.
DISK_FULL = "wixarchive/disk_full"
# The close reason of a crawl stopped because the archive stayed locked by another process past
# the busy timeout (crawler.pipelines.archive): every later page would wait that long in vain.
ARCHIVE_BUSY = "archive_busy"
# The stats key prefix of the posts' translations on another host (a multilingual site's
# language subdomain, fr.example.com), counted per site root: not crawled, named.
ELSEWHERE = "wixarchive/elsewhere/"
# The stats key prefix of the posts that redirected to another site (a post moved to another
# blog or domain), counted per that site's root: not archived, named.
MOVED_AWAY = "wixarchive/moved_away/"
# The new host of a site whose address now redirects to another one (not its `www.` or other
# scheme's spelling: crawler.spiders.wix), and how many of the posts listed there the archive
# holds at the old address only: those posts take their new URLs (archive.ingest).
MOVED_TO = "wixarchive/moved_to"
# The note a moved site's run keeps first among its errors whatever its status (recorded_errors):
# `runs` shows it under an ok run too, since the user should know (archive.schedule.report).
MOVED_NOTE = "moved: its address now redirects to "
ARCHIVED_BEFORE_THE_MOVE = "wixarchive/archived_before_the_move"
# The archived site whose address moved to the one crawled (site_match.moved_here): the crawl
# continues it, its posts, versions and runs, rather than a second site.
MOVED_HERE_FROM = "wixarchive/moved_here_from"
# (root, matched, posts) of the archived site a newly archived one looks like a move of
# (archive.site_match.likely_moved_from): said with what to run to join them.
LIKELY_MOVED_FROM = "wixarchive/likely_moved_from"
# How a run's errors and `runs` begin that note.
SAME_BLOG_NOTE = "the same blog as "
# The posts the archive held for the site when its crawl began (not those marked deleted): a
# crawl that finds no post says they are kept, since it concludes nothing about them.
ARCHIVED_POSTS = "wixarchive/archived_posts"
# The blog home (/blog, or the feed's link) when it answered a page that is no Wix page, and
# that page's title: what a site that no longer looks like a Wix blog serves instead.
FOREIGN_HOME = "wixarchive/foreign_home"
FOREIGN_HOME_TITLE = "wixarchive/foreign_home_title"
# The first image (video, document) download of the run that failed, and why: "URL: reason".
MEDIA_FIRST_FAILURE = "wixarchive/first_media_failure"
# Post URLs a sitemap, feed or listing named that answered 404/410, never archived.
POSTS_GONE_UNARCHIVED = "wixarchive/posts_gone_unarchived"
POSTS_GONE = "posts_gone"  # their number's key in a run's counts
# The media outcomes (MediaOutcome.status, up to its first '-') that are failures.
MEDIA_FAILURES = ("failed", "http", "not")


@dataclass
class CrawlSummary:
    site: str
    # "ok", "partial" (some pages failed), "failed", "timeout", "interrupted"; "busy": not
    # crawled, another crawl of the site runs (wixarchive.crawl)
    status: str
    message: str
    pages_fetched: int = 0
    requests: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    peak_rss_mb: float | None = None
    run_not_recorded: str | None = None  # why the crawl could not record its run's row
    # Stopped, or its run row not written, because another process kept the archive locked.
    archive_busy: bool = False
    # The posts' translations the sitemaps list on other hosts, by site root: not crawled.
    translation_sites: dict[str, int] = field(default_factory=dict)
    # The posts that redirected to another site, by that site's root: not archived.
    moved_sites: dict[str, int] = field(default_factory=dict)
    # The new host the site's address now redirects to, where it was crawled; None if none.
    moved_to: str | None = None
    # The archived site this newly archived one looks like a move of, whose address the
    # archive never saw redirect here (site_match.likely_moved_from); None if none.
    likely_moved_from: str | None = None
    # Its note: how much of it matched, and what to run to join the two (SAME_BLOG_NOTE).
    same_blog: str | None = None

    @property
    def posts(self) -> int:
        return sum(self.counts.get(k, 0) for k in POSTS)

    def recorded_errors(self) -> list[str]:
        """The errors kept with the run. A failed or timed-out run's message comes first: it
        says why no post (or not every post) was archived ("does not look like a Wix site",
        "could not reach", "stopped at its 30m time limit"), where its first error may be only a
        robots.txt 404; `wixarchive runs` shows that first one. Any other run of a site that
        moved to another host has the move first (moved_note)."""
        return recorded_errors(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["posts"] = self.posts
        return data


def recorded_errors(summary: dict[str, Any]) -> list[str]:
    """The errors a run keeps, from its summary (CrawlSummary.to_dict()): a failed or
    timed-out run's message first, else a move's note (moved_note) or the same blog's
    (same_blog) first. Also what run-due records of a run the crawl could not record."""
    errors = list(summary.get("errors") or [])
    if summary.get("status") in ("failed", "timeout"):
        return [summary.get("message") or "", *errors]
    # A move is no error, but the run must keep it: `runs` and `run-due --quiet` show no
    # ok run's summary line, and the user has to know where the site lives now.
    notes = [moved_note(summary["moved_to"])] if summary.get("moved_to") else []
    if summary.get("same_blog"):
        notes.append(summary["same_blog"])
    return [*notes, *errors]


def _unreachable(stats: dict[str, Any], errors: list[str]) -> str | None:
    """Why the site could not be reached, when none of its requests got an answer (every one
    an HTTP 5xx, a connection or TLS error, a timeout): the first failure's reason (the
    robots.txt's, asked first); None when anything answered, even a 404.

    Scrapy counts every response by status (downloader/response_status_count/NNN); the
    distributed writer counts only the answers its workers handled (downloader/response_count),
    and names a 404 only in its errors."""
    statuses = {int(key.rsplit("/", 1)[1]): int(count) for key, count in stats.items()
                if key.startswith("downloader/response_status_count/")}
    answered = (sum(count for status, count in statuses.items() if status < 500) if statuses
                else int(stats.get("downloader/response_count", 0)))
    if answered or not errors or any(_ANSWER_ERROR.search(error) for error in errors):
        return None
    return errors[0].split(": ", 1)[-1]


def _all_not_found(errors: list[str]) -> str | None:
    """The pages asked for ("robots.txt, sitemap.xml, blog-feed.xml, blog"), when each answered
    404 or 410, robots.txt too (which a Wix site always serves): nothing of the site is at that
    address any more. None otherwise."""
    if not errors or not all(_NOT_FOUND_ERROR.search(error) for error in errors):
        return None
    paths = [urlsplit(error.split(": ", 1)[0]).path.lstrip("/") or "/" for error in errors]
    if "robots.txt" not in paths:
        return None
    # In the order a crawl asks for them, not the order their answers came: through Redis
    # that order is the workers', and the same site gave a different line each crawl.
    paths.sort(key=lambda path: _ASKED_ORDER.get(path, len(_ASKED_ORDER)))
    return ", ".join(paths[:4]) + (" …" if len(paths) > 4 else "")


_ASKED_ORDER = {path: rank for rank, path in enumerate(
    ("robots.txt", "sitemap.xml", "blog-feed.xml", "blog"))}
_NOT_FOUND_ERROR = re.compile(r": HTTP 4(?:04|10)\b")
_ANSWER_ERROR = re.compile(r": HTTP [1-4]\d\d\b")  # an error that is an answer: the site is up
_FORBIDDEN = f": {ROBOTS_FORBIDDEN}"


def _media_failed(stats: dict[str, Any]) -> tuple[int, int] | None:
    """Of this run's image (and asked-for video and document) downloads, how many failed
    (unreachable host, HTTP error, not an image) and how many there were; None if none failed.
    Counted by the spider as wixarchive/media_<status up to its first '-'>. Files over the size
    cap (media_too) are left out on purpose, not failures."""
    tried = {key: int(value) for key, value in stats.items()
             if key.startswith("wixarchive/media_")}
    failed = sum(tried.get(f"wixarchive/media_{status}", 0) for status in MEDIA_FAILURES)
    return (failed, sum(tried.values())) if failed else None


def _is_site_root(url: str) -> bool:
    try:
        return site_root(url) == url
    except BadURL:
        return False


def time_limit_text(seconds: float) -> str:
    """A time limit as the sites file writes it ("30m", "1h30m"); "2.5s" below whole seconds."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    return format_duration(timedelta(seconds=seconds))


def summarize(site: str, stats: dict[str, Any], reason: str, errors: list[str], *,
              time_limit: float = 0, tried: str | None = None) -> CrawlSummary:
    """Decide the run's status from Scrapy's stats and the spider's error list; `time_limit`
    (seconds) is the site's, named when it stopped the crawl; `tried`, the address the crawl
    fetched from when it is not the archived site's spelling (https://www.… for http://…)."""
    counts = {k: int(stats.get(f"wixarchive/{k}", 0)) for k in OUTCOMES}
    counts["failed"] += int(stats.get("wixarchive/fetch_errors", 0))
    for name in (NOT_POSTS, ROBOTS_SKIPPED):
        counts[name] = int(stats.get(f"wixarchive/{name}", 0))
    # Listed posts that answered 404/410, never archived: a number for a script, beside the line.
    counts[POSTS_GONE] = int(stats.get(POSTS_GONE_UNARCHIVED, 0))
    # Posts whose body no known layout gave (extracted generically): a new Wix layout to check.
    unknown_layout = int(stats.get("wixarchive/unknown_layout", 0))
    if unknown_layout:
        counts["unknown_layout"] = unknown_layout
    summary = CrawlSummary(site=site, status="ok", message="", counts=counts, errors=errors,
                           pages_fetched=int(stats.get("downloader/response_count", 0)),
                           requests=int(stats.get("downloader/request_count", 0)),
                           translation_sites=_by_site(stats, ELSEWHERE),
                           moved_sites={root: count for root, count
                                        in _by_site(stats, MOVED_AWAY).items()
                                        if not no_site(root)},
                           moved_to=stats.get(MOVED_TO))
    posts = summary.posts
    archived = int(stats.get(ARCHIVED_POSTS, 0))
    stopped_early = reason.startswith(STOPPED_EARLY)
    if reason == TIME_LIMIT:
        # Resumed by the next run, as an interrupted one; a failure as to the schedule's backoff
        # (a site that hangs on every crawl is not retried at once, for ever).
        summary.status = "timeout"
        summary.message = (f"stopped at its {time_limit_text(time_limit)} time limit after "
                           f"{posts} posts; the next run resumes it")
    elif reason == ARCHIVE_BUSY:
        # Nothing wrong with the site or the archive: resumed by the next run, once it is free.
        summary.status, summary.archive_busy = "interrupted", True
        summary.message = (f"the archive stayed busy (locked by another process) for "
                           f"{BUSY_TIMEOUT_MS / 1000:g} s: stopped after {posts} posts; run "
                           "again when it is free")
    elif reason == CAPTURE_FAILED:
        summary.status = "failed"
        summary.message = (f"{stats.get(CAPTURE_FAILURE, 'captures could not be written')}: "
                           f"stopped after {posts} posts; {stats.get(CAPTURE_FIX, 'fix that')}"
                           ", then run again to resume")
    elif disk_full := int(stats.get(DISK_FULL, 0)):
        # Pages lost to a full disk are no site's fault and need the operator: a failure.
        summary.status = "failed"
        summary.message = (f"the archive's disk is full: {counted(disk_full, 'page')} not "
                           f"archived; archived {_posts_text(counts)}; free space on its disk, "
                           "then run again to resume")
    elif reason not in ("finished", "unreachable") and not stopped_early:
        summary.status = "interrupted"
        summary.message = f"crawl interrupted ({reason}) after {posts} posts; run again to resume"
    elif posts == 0 and not counts["deleted"]:
        summary.status = "failed"
        unreachable = _unreachable(stats, errors)
        if reason.startswith(ROBOTS_UNREACHABLE):
            answer = reason[len(ROBOTS_UNREACHABLE) + 2:]
            summary.message = (f"could not reach {tried or site}: {answer} for its robots.txt: "
                               "nothing else fetched, as RFC 9309 asks; crawl again when it "
                               "answers")
        elif stopped_early:
            summary.message = f"no posts archived from {site}: stopped early, {reason}"
        elif unreachable:
            summary.message = f"could not reach {tried or site}: {unreachable}"
        elif stats.get("wixarchive/pages/not-wix"):
            summary.message = f"{site} does not look like a Wix site: no Wix blog posts found"
        elif failed_posts := [e for e in errors if is_post_url(e.split(": ", 1)[0])
                              and not _not_failed(e)]:
            # e.g. a 5xx storm: posts were found and every one failed; say so, not "no posts".
            summary.message = (f"no posts archived from {site}: {counts['failed']} requests "
                               f"failed (first: {failed_posts[0]})")
        elif forbidden_posts := int(stats.get("wixarchive/robots_skipped_posts", 0)):
            summary.message = (f"no posts archived from {site}: robots.txt forbids its posts "
                               f"({counted(forbidden_posts, 'post page')} skipped)")
        elif counts[NOT_POSTS]:
            summary.message = f"no posts archived from {site}: {_not_posts_text(stats)}"
        elif forbidden := [e.split(": ", 1)[0] for e in errors if e.endswith(_FORBIDDEN)]:
            # Disallow: /blog also forbids /blog-feed.xml and /blog-posts-sitemap.xml.
            summary.message = (f"no Wix blog posts found at {site}: its robots.txt forbids "
                               f"{', '.join(forbidden[:3])}{' …' if len(forbidden) > 3 else ''}")
        elif foreign := stats.get(FOREIGN_HOME):
            title = stats.get(FOREIGN_HOME_TITLE)
            page = "home page" if _is_site_root(foreign) else "blog page"
            summary.message = (f"no Wix blog posts found at {site}: it "
                               f"{'no longer looks' if archived else 'does not look'} like a "
                               f"Wix site (its {page} {foreign} is not a Wix page"
                               f"{f': “{title}”' if title else ''})")
        elif missing := _all_not_found(errors):
            # A site archived before is a blog that went away; one never archived may as well
            # be a mistyped address or a site that is not on Wix: said so, with what to do.
            summary.message = (f"no Wix blog posts found at {site}: every page asked for "
                               f"answers HTTP 404 ({missing}): " +
                               ("the blog is gone from this address" if archived else
                                "check the address; if it is right, the blog is gone from it "
                                f"(`wixarchive recover {site}` brings back what the Wayback "
                                "Machine kept of it)"))
        else:
            summary.message = (f"no Wix blog posts found at {site} "
                               "(no blog-posts sitemap, blog feed or listing of posts)")
        if archived and (summary.message.startswith("no Wix blog posts found") or
                         summary.message.startswith("could not reach")):
            # Nothing was concluded about them (docs/crawling.md): say so, they are not lost
            # (a site gone offline worried its owner most).
            summary.message += (f"; the {counted(archived, 'post')} archived before are kept "
                                "as archived, not marked deleted")
    else:  # posts archived, or every post the archive held now gone from the site
        if stopped_early or counts["failed"]:  # a failed page: see WixBlogSpider.record_error
            summary.status = "partial"
        summary.message = _posts_text(counts)
        if counts["deleted"]:  # not among the posts counted: gone from the site, kept here
            summary.message += f", {counts['deleted']} deleted"
        if unknown_layout:
            summary.message += (f"; {unknown_layout} in an unknown page layout (body extracted "
                                "generically: check them)")
        # Media archived in this run (a re-crawl's --media-kinds, images of new posts), as
        # the spider counts outcomes: wixarchive/media_stored.
        if media_stored := int(stats.get("wixarchive/media_stored", 0)):
            summary.message += f"; {media_stored} media archived"
        if media_failed := _media_failed(stats):
            # Why, and that nothing is to be done but crawl again (every image not archived is
            # asked for again): "failed" alone left a user wondering whether to worry.
            first = stats.get(MEDIA_FIRST_FAILURE)
            summary.message += (f"; {media_failed[0]} of {media_failed[1]} media downloads "
                                f"failed ({f'first: {first}; ' if first else ''}the next crawl "
                                "tries them again)")
        if counts[NOT_POSTS]:
            summary.message += f"; {_not_posts_text(stats)}"
        if gone := counts[POSTS_GONE]:
            # Named only in the errors, a blog whose sitemap listed 21 posts and served 2
            # read as a blog of 2 posts.
            summary.message += (f"; {counted(gone, 'listed post')} answered HTTP 404/410: "
                                "gone from the site before any crawl archived "
                                f"{'it' if gone == 1 else 'them'}")
        if counts[ROBOTS_SKIPPED]:
            summary.message += (f"; {counted(counts[ROBOTS_SKIPPED], 'page')} skipped: "
                                "robots.txt forbids them")
        if unchecked := int(stats.get("wixarchive/unchecked", 0)):
            summary.message += (f"; {unchecked} archived posts not listed this time, not "
                                "checked for deletion (sitemaps or listing pages not all read)")
        if stats.get("wixarchive/crawl_delay"):
            summary.message += f"; {_crawl_delay_text(stats)}"
        if stopped_early:
            summary.message += f"; stopped early, {reason}"
    if summary.moved_to:
        summary.message += f"; {_moved_to_text(site, summary.moved_to, stats)}"
    if moved_from := stats.get(MOVED_HERE_FROM):
        summary.message += (f"; continues the site archived at {moved_from}, whose address "
                            "now redirects here: its posts, versions and runs")
    if likely := stats.get(LIKELY_MOVED_FROM):
        summary.likely_moved_from = likely[0]
        summary.same_blog = same_blog_note(site, *likely)
        summary.message += f"; {summary.same_blog}"
    if summary.translation_sites:
        summary.message += f"; {_elsewhere_text(summary.translation_sites)}"
    if summary.moved_sites:
        summary.message += f"; {_moved_away_text(summary.moved_sites)}"
    if off_site := _off_site_text(_by_site(stats, MOVED_AWAY)):
        summary.message += f"; {off_site}"
    return summary


def _by_site(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    """The counts of the stats keys `prefix` + a site root, by site root."""
    return {key[len(prefix):]: int(count) for key, count in sorted(stats.items())
            if key.startswith(prefix)}


def _posts_text(counts: dict[str, int]) -> str:
    """The posts a run archived, by outcome: "12 posts: 1 new, 0 changed, 11 unchanged"."""
    posts = sum(counts.get(k, 0) for k in POSTS)
    text = (f"{counted(posts, 'post')}: {counts['new']} new, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged")
    return text + (f", {counts['recaptured']} recaptured" if counts["recaptured"] else "")


def _moved_to_text(site: str, moved_to: str, stats: dict[str, Any]) -> str:
    """The site's move to another host, and the posts the archive held at the old address
    that now have their new URLs (archive.ingest: their versions kept)."""
    text = moved_note(moved_to)
    if moved := int(stats.get(ARCHIVED_BEFORE_THE_MOVE, 0)):
        text += (f"; {counted(moved, 'post')} archived before at {site} now archived at "
                 "their new URLs, their versions kept")
    return text


def moved_note(moved_to: str) -> str:
    """The move of a site to another host, as its line and its recorded run say it, with what
    to do: name the new address from now on, which continues this site (site_match.moved_here)."""
    return (f"{MOVED_NOTE}{moved_to}, where it was crawled (name {moved_to} from now on: "
            "it continues this site)")


def same_blog_note(site: str, archived: str, matched: int, posts: int) -> str:
    """A newly archived site that looks like a move of `archived` (LIKELY_MOVED_FROM), and
    the command that joins them."""
    return (f"{SAME_BLOG_NOTE}{archived}? {matched} of its {counted(posts, 'post')} are "
            f"archived there at the same paths or titles: if the blog moved here, join them "
            f"(wixarchive sites merge {archived} {site})")


def _elsewhere_text(sites: dict[str, int]) -> str:
    """The translations on other hosts, which the crawl leaves to crawls of their own."""
    count = sum(sites.values())
    hosts = ", ".join(urlsplit(root).netloc for root in sites)
    return (f"{counted(count, 'translation')} on other hosts not "
            f"crawled ({hosts}): crawl them as sites of their own")


def _moved_away_text(sites: dict[str, int]) -> str:
    """The posts that redirected to other sites, which the crawl leaves to crawls of their own."""
    count = sum(sites.values())
    hosts = ", ".join(urlsplit(root).netloc for root in sites)
    if len(sites) == 1:
        return (f"{counted(count, 'post')} moved to another site, not archived ({hosts}): "
                "crawl it as a site of its own")
    return (f"{counted(count, 'post')} moved to other sites, not archived ({hosts}): crawl "
            "them as sites of their own")


def _off_site_text(hosts: dict[str, int]) -> str | None:
    """The post URLs that redirected to a host of Wix's that serves no blog (crawler.discover.
    urls.no_site: its CDN, its login pages), by what they landed on; None when none did."""
    by_kind: dict[str, int] = {}
    for root, count in hosts.items():
        if kind := no_site(root):
            by_kind[kind] = by_kind.get(kind, 0) + count
    if not by_kind:
        return None
    landed = " or ".join(f"{kind} ({count})" if len(by_kind) > 1 else kind
                         for kind, count in sorted(by_kind.items()))
    count = sum(by_kind.values())
    return (f"{counted(count, 'post URL')} redirected to {landed}: not "
            f"{'a post' if count == 1 else 'posts'}, not archived")


def moved_away_reason(landed: str, root: str) -> str:
    """The run's error naming a post that redirected to another site (archive.site_match.
    redirected_elsewhere): no failure, and not archived as the crawled site's. One that
    redirected to a host of Wix's that serves no blog (a file on its CDN, a login page) is said
    so: that is no site to crawl."""
    if kind := no_site(landed):
        return f"redirects to {landed}, {kind}: not a post, not archived"
    return (f"redirects to {landed}, a post of another site: not archived (crawl {root} as a "
            "site of its own)")


def not_a_post_reason(kind: str, archived: bool) -> str:
    """Why a post URL that answered a page that is not a post (its extraction's `kind`) was
    not archived, as the run's errors say; `archived`: a post archived before, kept as it was."""
    return f"{NOT_A_POST} ({kind} page{'; archived before, kept' if archived else ''})"


def _not_failed(error: str) -> bool:
    """Whether an error names a page that is no failure of the run: one not there (404), one
    robots.txt forbids, or a post URL that answered another page."""
    return "HTTP 404" in error or error.endswith(_FORBIDDEN) or f": {NOT_A_POST}" in error


def _not_posts_text(stats: dict[str, Any]) -> str:
    """Post URLs that answered a page that is not a post, and of them the posts archived
    before: kept as they were, not marked deleted."""
    count = int(stats.get(f"wixarchive/{NOT_POSTS}", 0))
    text = (f"{counted(count, 'post URL')} answered a page that is not a post (a login "
            "page?)")
    if archived := int(stats.get("wixarchive/not_posts_archived", 0)):
        text += (f", {archived} of them archived before: kept as archived, not marked "
                 "deleted")
    return text


def _crawl_delay_text(stats: dict[str, Any]) -> str:
    """The robots.txt Crawl-delay the crawl waited (crawler.downloader.crawl_delay)."""
    applied, asked = float(stats["wixarchive/crawl_delay"]), float(
        stats["wixarchive/crawl_delay_asked"])
    if applied < asked:
        return (f"robots.txt asks for Crawl-delay: {asked:g}, {applied:g} s waited between "
                "requests (the maximum, WIXARCHIVE_MAX_CRAWL_DELAY)")
    return f"{applied:g} s between requests (robots.txt Crawl-delay)"
