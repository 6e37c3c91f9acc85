"""Which archived posts a crawl asks for again to learn whether they were deleted.

One rule for both crawls: the single-site spider (crawler.spiders.wix) keeps a Discovery as it
reads a site, and the Redis writer (archive.distributed) sums its workers' reports into one.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.store import KnownPost, unlisted_posts


@dataclass
class Discovery:
    """What a crawl's discovery of one site saw, as far as deleted posts go."""

    sitemaps_read: int = 0  # sitemaps that answered
    sitemap_failed: bool = False  # a sitemap failed, was cut short or was not read (the cap)
    empty_feed: bool = False  # the blog feed answered, as a feed, and listed no post
    posts_requested: int = 0  # post pages asked for, whatever found them
    listed_posts: int = 0  # post links the listing pages showed
    listing_failed: bool = False  # a listing page (not a guessed blog home's 404) failed
    listings_capped: bool = False  # more listing pages than WIXARCHIVE_MAX_LISTING_PAGES

    def posts_to_check(self, known: dict[str, KnownPost], sitemap_urls: set[str],
                       discovered: set[str]) -> tuple[list[str], int]:
        """The archived posts that no sitemap (`sitemap_urls`), feed or listing page
        (`discovered`) listed this time, when the site's posts were all listed, and how many
        such posts go unchecked otherwise (the summary's wixarchive/unchecked). Each one
        checked is requested again (conditionally) and marked deleted only if it answers 404
        or 410; one that answers is archived as usual: Wix leaves noindex posts out of its
        sitemap.

        The site's posts were all listed when its sitemaps were read in full, or (without a
        posts sitemap) every listing page was, or when the site now lists no post at all but
        is still recognisably the same Wix blog: its sitemaps answered and were read in full,
        its blog feed answered as a feed with no item, and no listing page showed a post. A
        site that is down, half-broken or no longer a Wix blog gets none of that: then nothing
        is concluded."""
        unseen = unlisted_posts(known, sitemap_urls | discovered)
        if not unseen:
            return [], 0
        if sitemap_urls:
            listed_all = not self.sitemap_failed
        else:
            emptied = (self.sitemaps_read > 0 and not self.sitemap_failed and self.empty_feed
                       and not self.posts_requested)
            listed_all = emptied or (self.listed_posts > 0 and not self.listing_failed
                                     and not self.listings_capped)
        return (unseen, 0) if listed_all else ([], len(unseen))
