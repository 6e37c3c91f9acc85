"""Videos and documents fetched on request: `crawl --media-kinds images,video,documents`.

By default a crawl fetches only the posts' images (crawler.media); their videos and documents
are recorded by URL (the attachments table) and left on the site. Asked for, they are fetched
by the same MediaFetcher, so everything images get applies to them as it is: the same polite
downloader and robots.txt, the per-file cap (too big: recorded as `too-big`, never fails the
post) and the per-run cap, outcomes in the media table, bytes in the captures once per payload
digest, and a file archived once is never fetched again (a re-crawl with the option fetches
what earlier crawls only recorded). This subclass only adds the attachments to what is looked
for and accepts any payload for them (the image-signature check is for images); it is kept
apart from crawler.media so that module stays about images.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import scrapy
from scrapy.http import Response

from archive import attachments
from archive.attachments import FILE_META, file_fetch_url
from archive.captures import captures_dir
from archive.lost_captures import Lost
from archive.store import Archive, ArchiveError
from crawler.capture import MIRROR_META
from crawler.media import MediaFetcher
from crawler.page_requisites import RequisiteFinder


def media_fetcher(settings: Any, site: str) -> MediaFetcher | None:
    """The fetcher for the kinds the settings ask for (None when media are off), with the
    post pages' requisites when asked for (WIXARCHIVE_PAGE_REQUISITES)."""
    kinds = attachments.parse_kinds(settings.get("WIXARCHIVE_MEDIA_KINDS") or None)
    if kinds == attachments.DEFAULT_KINDS:
        fetcher = MediaFetcher.from_settings(settings, site)
    else:
        fetcher = KindsFetcher.from_settings(settings, site)
        if isinstance(fetcher, KindsFetcher):
            fetcher.kinds = kinds
            fetcher.video_base = settings.get("WIXARCHIVE_VIDEO_BASE") or None
    if fetcher is not None and settings.getbool("WIXARCHIVE_PAGE_REQUISITES", False):
        fetcher.requisites = RequisiteFinder(captures_dir(fetcher.db), site)
    return fetcher


class KindsFetcher(MediaFetcher):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds: tuple[str, ...] = attachments.DEFAULT_KINDS
        self.video_base: str | None = None  # video.wixstatic.com files from here (tests)
        self.after_attachment = 0  # the attachments rows up to this id have been looked at
        self.files: set[str] = set()  # the attachment URLs found

    def _look(self) -> None:
        if "images" in self.kinds:
            super()._look()
        wanted = attachments.file_kinds(self.kinds)
        if self.closed or not wanted:
            return
        try:
            if self.reader is None:
                self.reader = Archive.open(self.db, readonly=True, create=False)
            urls, self.after_attachment = attachments.to_fetch(
                self.reader.conn, self.site, wanted, self.after_attachment)
        except (ArchiveError, sqlite3.OperationalError):
            return  # no archive yet (or none this code wrote): nothing recorded to fetch
        self.files.update(urls)
        self._queue(urls)

    def recapture(self, lost: Lost) -> None:
        """The lost images when images are asked for, and the lost files of the kinds asked
        for (marked as files: their payload need not be an image)."""
        if "images" in self.kinds:
            super().recapture(lost)
        elif self.requisites is not None:  # --page-requisites: what the pages show, still
            self.requisites.recapture(lost)
        wanted = attachments.file_kinds(self.kinds)
        files = [url for url, kind in lost.media.items() if kind in wanted]
        self.files.update(files)
        self._queue(files)

    def _request(self, spider: Any, url: str) -> scrapy.Request:
        request = super()._request(spider, url)
        if url in self.files:
            request.meta[FILE_META] = True
            fetch = file_fetch_url(url, self.video_base)
            if fetch != url:
                request = request.replace(url=fetch)
                request.meta[MIRROR_META] = {fetch: url}  # captured under `url`
        return request

    def keeps(self, response: Response, body: bytes) -> bool:
        """A video's or document's payload is kept whatever it is (the image-signature check
        is for images). Also judges the files a distributed crawl's writer queued (they carry
        FILE_META too)."""
        return bool(response.meta.get(FILE_META)) or super().keeps(response, body)
