"""MediaFetcher: the archived posts' cover and body images, at full size, in the same crawl.

When the posts are fetched, the spider asks the archive which of the site's images have no
archived copy yet (the images table holds the original-size URLs: `…/media/<id>~mv2.<ext>`,
never a `/v1/fill/…` rendition, see crawler.extract.body.full_size_url) and fetches them through
the same downloader: robots.txt of the media host applies as to pages, and so do the pages'
delay and concurrency, but on Wix's media CDN (*.wixstatic.com), which is not the blog's own
server and is fetched as a browser showing the post fetches it (a slot of its own,
WIXARCHIVE_MEDIA_SLOT in crawler/settings.py). The bytes are kept by the raw captures
(crawler.capture): once per content digest, since a repeated payload becomes a revisit record.
Each image's outcome goes to the archive worker as a MediaOutcome (the media table): stored,
not-an-image, too-big, http-NNN or failed; a bad image never fails its post or the crawl. An
image archived once is never fetched again.

An image costs the crawl process much less than a page (docs/benchmarks.md): the spider hands
its request straight to the downloader (its middlewares, robots.txt, the host's slot and the
captures all apply; the scheduler and the spider middlewares, which have nothing to do for an
image, are skipped), and the outcomes go to the archive worker together, as MediaOutcomes, at
most every POLL_EVERY seconds or FLUSH_OUTCOMES images, rather than one pipeline pass and one
hand-over each. A crawl killed in between loses at most those outcomes, not bytes: the next
crawl fetches those images again, and their captures are then revisits (no second copy).

Asking the archive rather than following each post's extraction keeps this resumable for free:
a crawl killed before its images leaves posts whose images the next crawl fetches. The spider
asks every POLL_EVERY seconds while posts are fetched (only about images rows added since it
last asked), so images are fetched beside the posts rather than in a phase of their own after
them, and once more when the posts are done.
"""


from __future__ import annotations

import time
from collections import Counter, deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from archive import captures
from archive.lost_captures import Lost
from archive.store import Archive, ArchiveError
from crawler.capture import CAPTURE_DIGEST_META, CAPTURE_META, MIRROR_META
from crawler.discover.urls import on_wix_cdn
from crawler.errors import CONNECTION_ERRORS
from crawler.items import MediaOutcome, MediaOutcomes
from crawler.page_requisites import RequisiteFinder
from crawler.pipelines.supervisor import commit_now
from crawler.settings import WIXARCHIVE_MEDIA_MAX_BYTES

WIX_MEDIA = "https://static.wixstatic.com/media/"
MAX_RUN_BYTES = 2 * 2**30
# Images requested and not answered yet, at most: the per-run cap is checked as they arrive, so
# it can be passed by at most this many files.
MAX_OUTSTANDING = 16
# Seconds between looks for images of newly committed posts; a look is one indexed query for
# the images rows added since the last (well under a millisecond), and a shorter wait spreads
# the images over the crawl instead of leaving them to its end.
POLL_EVERY = 0.25
FLUSH_OUTCOMES = 200  # outcomes handed to the archive worker at once, at most
# Media requests are not retried within a run (a failed image is tried again next run); a host
# that refused or failed to resolve this many times gets no more requests this run.
HOST_FAILURES = 3
# Seconds to wait, once the posts are done, for the archive worker to commit the last of them
# (looking again every crawler.spiders.wix.MEDIA_SETTLE): a clock, not a count of looks, so
# how often something wakes the spider meanwhile does not shorten it.
MAX_SETTLE_SECONDS = 10.0
ERROR_STATUSES = list(range(400, 600))  # the image's own outcome (http-NNN), not an error
_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
          b"MM\x00*", b"\x00\x00\x01\x00")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def looks_like_image(body: bytes) -> bool:
    """By content, not by what the server says: the signatures of the formats Wix serves."""
    head = body[:512]
    if head.startswith(_MAGIC):
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis", b"heic", b"heix", b"mif1"):
        return True
    text = head.lstrip().lower()
    return text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text)


class MediaFetcher:
    def __init__(self, db: Path, site: str, *, file_cap: int, run_cap: int,
                 media_base: str | None, cdn_slot: str | None = None) -> None:
        self.db = db
        self.site = site
        self.file_cap = file_cap
        self.run_cap = run_cap
        self.media_base = media_base
        self.cdn_slot = cdn_slot  # the download slot of Wix's media CDN (WIXARCHIVE_MEDIA_SLOT)
        self.requested: set[str] = set()
        self.waiting: deque[str] = deque()  # found, not requested yet (MAX_OUTSTANDING)
        self.outstanding = 0  # requested, outcome not known yet
        self.after_image = 0  # the images rows up to this id have been looked at
        self.reader: Archive | None = None  # read-only, closed with the spider (see close)
        self.closed = False
        self.run_bytes = 0
        self.settle_since: float | None = None  # when the wait for the last commits began
        self.unreachable: Counter[str] = Counter()  # host -> connection failures this run
        self.outcomes: list[MediaOutcome] = []  # known, not handed to the archive worker yet
        # crawl --page-requisites, or capture files lost (recapture)
        self.requisites: RequisiteFinder | None = None

    @classmethod
    def from_settings(cls, settings: Any, site: str) -> MediaFetcher | None:
        # Media bytes live in the captures: without them there is nothing to keep them in.
        if not settings.getbool("WIXARCHIVE_MEDIA", True) or \
                not settings.getbool("WIXARCHIVE_CAPTURE", True):
            return None
        return cls(Path(settings.get("WIXARCHIVE_DB")), site,
                   file_cap=settings.getint("WIXARCHIVE_MEDIA_MAX_BYTES",
                                            WIXARCHIVE_MEDIA_MAX_BYTES),
                   run_cap=settings.getint("WIXARCHIVE_MEDIA_RUN_BYTES", MAX_RUN_BYTES),
                   media_base=settings.get("WIXARCHIVE_MEDIA_BASE") or None,
                   cdn_slot=settings.get("WIXARCHIVE_MEDIA_SLOT") or None)

    def _look(self) -> None:
        """Queue the images added to the archive since the last look."""
        if self.closed:
            return
        try:
            if self.reader is None:
                self.reader = Archive.open(self.db, readonly=True, create=False)
            urls, self.after_image = captures.media_to_fetch(self.reader.conn, self.site,
                                                             self.after_image)
        except ArchiveError:
            return  # no archive yet: no posts, no images
        self._queue(urls)

    def recapture(self, lost: Lost) -> None:
        """Queue the stored images whose capture is lost (archive.lost_captures), to be fetched
        again (media_to_fetch leaves them out, as stored), and, with capture files lost, the
        other images the post pages show whose capture is lost (crawler.page_requisites):
        read from the pages, with or without --page-requisites."""
        self._queue([url for url, kind in lost.media.items() if kind == "image"])
        if not lost.files:
            return
        if self.requisites is None:
            self.requisites = RequisiteFinder(captures.captures_dir(self.db), self.site,
                                              only_lost=True)
        self.requisites.recapture(lost)

    def _queue(self, urls: list[str]) -> None:
        for url in urls:
            if url not in self.requested:
                self.requested.add(url)
                self.waiting.append(url)

    def poll(self, spider: Any) -> list[scrapy.Request]:
        """Requests for the images found since the last look, as far as the caps allow."""
        if self.run_bytes >= self.run_cap:
            self.waiting.clear()
            return []  # the rest next run
        self._look()
        self._look_requisites()
        return self.refill(spider)

    def _look_requisites(self) -> None:
        """Queue the images the post pages show at the URLs they name (crawler.page_requisites),
        when asked for: once _look has opened the archive."""
        if self.requisites is None or self.closed or self.reader is None:
            return
        for url in self.requisites.look(self.reader.conn):
            if url not in self.requested:
                self.requested.add(url)
                self.waiting.append(url)

    def refill(self, spider: Any) -> list[scrapy.Request]:
        """Requests for images already found, up to MAX_OUTSTANDING in flight."""
        requests: list[scrapy.Request] = []
        if self.run_bytes >= self.run_cap:
            return requests
        while self.waiting and self.outstanding < MAX_OUTSTANDING:
            url = self.waiting.popleft()
            if self.unreachable[_host(url)] >= HOST_FAILURES:
                continue
            self.outstanding += 1
            requests.append(self._request(spider, url))
        return requests

    def next_requests(self, spider: Any) -> list[scrapy.Request] | None:
        """Requests for images still to fetch; [] to wait one idle round for the archive
        worker's last commit; None when done. Requests in flight stay counted (`outstanding`:
        every one ends in outcome() or failed()); forgetting them let a run fetch twice
        MAX_OUTSTANDING past its byte cap."""
        requests = self.poll(spider)
        if requests:
            return requests
        if self.requisites is not None and self.requisites.more and not self.closed \
                and self.reader is not None and self.run_bytes < self.run_cap:
            return []  # post pages still to read for their requisites: the next batch
        if self.run_bytes < self.run_cap:
            # Pages still on their way into the archive may add images: wait for their commit
            # (the pipeline counts a page under wixarchive/pages/ once committed).
            stats = spider.crawler.stats.get_stats()
            committed = sum(v for k, v in stats.items() if k.startswith("wixarchive/pages/"))
            if committed < spider.fetched_pages:
                if self.settle_since is None:
                    self.settle_since = time.monotonic()
                    commit_now(str(self.db))  # rather than wait for the worker's idle commit
                if time.monotonic() - self.settle_since < MAX_SETTLE_SECONDS:
                    return []
        return None

    def keep(self, outcome: MediaOutcome) -> MediaOutcomes | None:
        """Hold an outcome for the archive worker; a batch of them once FLUSH_OUTCOMES wait."""
        self.outcomes.append(outcome)
        return self.take() if len(self.outcomes) >= FLUSH_OUTCOMES else None

    def take(self) -> MediaOutcomes | None:
        """The outcomes held, as one item for the archive worker (None when there are none)."""
        if not self.outcomes:
            return None
        batch, self.outcomes = self.outcomes, []
        return MediaOutcomes(batch)

    def close(self) -> None:
        """For good: a read-only connection left open past the crawl's end would be the
        archive's last one, and could not checkpoint the writers' last commits."""
        self.closed = True
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def _request(self, spider: Any, url: str) -> scrapy.Request:
        fetch = url
        if self.media_base and url.startswith(WIX_MEDIA):
            fetch = self.media_base + url[len(WIX_MEDIA):]  # tests: media served on loopback
        # Handed straight to the downloader (crawler.spiders.wix._fetch_media): no callback.
        # The media host sets no cookies: the cookies middleware is skipped both ways.
        meta = {"media_url": url, "download_maxsize": self.file_cap, "download_warnsize": 0,
                "dont_retry": True, "dont_merge_cookies": True,
                "handle_httpstatus_list": ERROR_STATUSES}
        if fetch != url:
            meta[MIRROR_META] = {fetch: url}  # captured under `url` (crawler.capture)
        if self.cdn_slot and on_wix_cdn(url):
            # The CDN's own slot and pace (crawler/settings.py), which AutoThrottle leaves as set.
            meta.update(download_slot=self.cdn_slot, autothrottle_dont_adjust_delay=True)
        return scrapy.Request(fetch, dont_filter=True, meta=meta)

    def outcome(self, response: Response) -> MediaOutcome:
        self.outstanding = max(0, self.outstanding - 1)
        url = response.meta["media_url"]
        content_type = response.headers.get("Content-Type")
        content_type = content_type.decode("latin-1") if content_type else None
        if response.status != 200:
            return MediaOutcome(url, f"http-{response.status}", _now(), content_type,
                                error=f"HTTP {response.status}")
        body = response.body
        if not self.keeps(response, body):
            return MediaOutcome(url, "not-an-image", _now(), content_type, len(body),
                                error=f"served {content_type or 'no content type'}, "
                                      "not an image")
        self.run_bytes += len(body)
        return MediaOutcome(url, "stored", _now(), content_type, len(body),
                            response.meta.get(CAPTURE_DIGEST_META)
                            or captures.payload_digest(body), response.meta.get(CAPTURE_META))

    def keeps(self, response: Response, body: bytes) -> bool:
        """Whether a 200 response's payload is what was asked for: an image."""
        return looks_like_image(body)

    def failed(self, failure: Failure) -> MediaOutcome:
        self.outstanding = max(0, self.outstanding - 1)
        request = getattr(failure, "request", None)
        url = request.meta["media_url"] if request is not None else "?"
        message = failure.getErrorMessage() or failure.type.__name__
        if "max size" in message.lower() or "maxsize" in message.lower():
            # The request's own cap: a distributed crawl's writer sets each site's.
            cap = request.meta.get("download_maxsize") if request is not None else None
            return MediaOutcome(url, "too-big", _now(),
                                error=f"larger than {cap or self.file_cap} bytes")
        if request is not None and failure.check(*CONNECTION_ERRORS):
            self.unreachable[_host(request.url)] += 1
        return MediaOutcome(url, "failed", _now(), error=message[:300])


def _host(url: str) -> str:
    return urlsplit(url).netloc
