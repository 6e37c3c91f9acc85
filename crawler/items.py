"""What the spider hands to the item pipelines."""

from __future__ import annotations

from dataclasses import dataclass

# Post responses the spiders handle themselves: 304 (UnchangedPost), 404/410 (GonePost).
POST_STATUSES = [304, 404, 410]


@dataclass
class FetchedPage:
    """A post URL's page as fetched; extraction happens in the archive worker (see pipelines)."""

    url: str
    body: bytes
    fetched_at: str
    content_type: str | None = None
    lastmod: str | None = None  # from the posts sitemap
    etag: str | None = None
    http_last_modified: str | None = None
    capture: str | None = None  # WARC-Record-ID of its raw capture (crawler.capture)
    # Fetched again because its newest capture was lost: an unchanged post's current version
    # then names this capture (archive.lost_captures).
    recapture: bool = False
    # The posts sitemap lists this URL: the site's own name for the post, which the page's
    # canonical link does not respell (crawler.discover.urls.respelled).
    listed: bool = False
    # Fetched as a listing page, the one the user named: archived if it is a post, and else
    # no post URL that answered something else (crawler.pipelines.archive).
    maybe_post: bool = False
    # The URL the post is archived at on the address its site moved from (another host,
    # crawler.spiders.wix): the archived post takes this URL, rather than a second post.
    moved_from: str | None = None


@dataclass
class UnchangedPost:
    """A post the server says has not changed (HTTP 304): recorded as seen, nothing stored."""

    url: str
    fetched_at: str
    lastmod: str | None = None
    etag: str | None = None
    http_last_modified: str | None = None


@dataclass
class ListedUnchanged:
    """Posts a posts sitemap lists at the lastmod they were archived at: not fetched, but seen
    on the site; each one's last_seen becomes `seen_at`."""

    urls: list[str]
    seen_at: str


@dataclass
class GonePost:
    """A post that answered 404/410: marked deleted in the archive, never removed."""

    url: str
    when: str


@dataclass
class MediaOutcome:
    """A post's image fetched at full size (or why not); its bytes are in the captures."""

    url: str  # the original-size URL, as the images table has it
    status: str  # stored | not-an-image | too-big | http-NNN | failed
    fetched_at: str
    content_type: str | None = None
    bytes: int | None = None
    payload_digest: str | None = None
    capture: str | None = None
    error: str | None = None


@dataclass
class MediaOutcomes:
    """Many images' outcomes handed to the archive worker at once (see crawler.media)."""

    outcomes: list[MediaOutcome]
