"""Page requisites: the images a post page shows, at the URLs its HTML names for them
(`crawl --page-requisites`, wget's name for the same idea).

A Wix post page never shows its images at their original URL (`…/media/<id>~mv2.jpg`, which
the crawl fetches by default, crawler.media): its `<img>` elements name renditions of the Wix
image service (`…/media/<id>~mv2.jpg/v1/fill/w_…,h_…/<id>~mv2.jpg`), in `src` and in `srcset`.
A web archive replays a page's image only if the very URL the page asks for was captured, so
with this option on, the media fetcher also fetches, for every archived post, what its page
displays without JavaScript: each `<img>`'s `src` and the largest candidate of its `srcset`
(the one a high-density screen picks; not every entry, which would multiply the requests). The
`data-image-info` of `<wow-image>` and `og:image` are left out: the first is read by Wix's
script to pick another rendition for the window's size, the second is not displayed.

The URLs come from the post pages kept in the captures, not from the responses as they pass:
a crawl killed before fetching them, or run without the option before, leaves pages whose
images the next crawl with the option still finds (each crawl reads the current version of
every post page of the site again, in batches, beside the fetch loop). What the media table
already holds as stored, too big or answered 4xx is never asked for again, unless its stored
capture is lost (a capture file deleted or cut short: archive.lost_captures). A post page
whose own capture is lost is read once the crawl has fetched it again. With capture files
lost, a crawl without the option reads the post pages too, and fetches again only what they
show whose stored capture is lost (a logo, an avatar, the renditions: what the crawl that
stored them fetched). Nothing here imports Scrapy: a distributed crawl's writer
(archive.distributed) lists them the same way.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from urllib.parse import urljoin

from archive import captures
from archive.chunked import in_chunks
from archive.lost_captures import Lost, LostFiles, unreadable_captures, unreadable_media
from crawler.extract.page import BadInput, parse

BATCH = 50  # post pages read per query
LOOK_SECONDS = 0.2  # batches read per look, at most this long (it runs in the event loop)
UNINDEXED_LOOKS = 40  # looks (0.5 to 1 s apart) a post page's capture may take to be indexed
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)


def largest_candidate(srcset: str) -> str | None:
    """The URL of a srcset's largest candidate (by width descriptor, else pixel density; no
    descriptor is 1x), parsed as the HTML standard says: a URL runs to the next whitespace
    (Wix rendition URLs hold commas), a comma ends a candidate."""
    best: tuple[int, float, str] | None = None
    pos, size = 0, len(srcset)
    while pos < size:
        while pos < size and (srcset[pos].isspace() or srcset[pos] == ","):
            pos += 1
        start = pos
        while pos < size and not srcset[pos].isspace():
            pos += 1
        url = srcset[start:pos]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            start, depth = pos, 0
            while pos < size and (srcset[pos] != "," or depth):
                depth += {"(": 1, ")": -1}.get(srcset[pos], 0)
                pos += 1
            descriptor = srcset[start:pos].strip()
        if not url:
            continue
        match = _DESCRIPTOR.match(descriptor) if descriptor else None
        if descriptor and match is None:
            continue  # a candidate the standard drops (e.g. "1x 2x")
        by_width = 1 if match and match.group(2).lower() == "w" else 0
        value = float(match.group(1)) if match else 1.0
        if best is None or (by_width, value) > best[:2]:
            best = (by_width, value, url)
    return best[2] if best else None


def image_urls(body: bytes | str, page_url: str, content_type: str | None = None) -> list[str]:
    """The http(s) image URLs a page displays without JavaScript, once each, in page order:
    every `<img>`'s `src` and the largest candidate of its `srcset`, resolved against the
    page's URL (and its `<base href>`). [] for a document that does not parse."""
    try:
        root = parse(body, content_type).root
    except BadInput:
        return []
    base = page_url
    for element in root.iter("base"):
        if element.get("href"):
            base = urljoin(page_url, element.get("href").strip())
            break
    found: dict[str, None] = {}
    for img in root.iter("img"):
        for value in (img.get("src"), largest_candidate(img.get("srcset") or "")):
            value = (value or "").strip()
            if not value or value.startswith("data:"):
                continue
            url = urljoin(base, value).split("#", 1)[0]
            if url.startswith(("http://", "https://")):
                found.setdefault(url)
    return list(found)


def _archived(conn: sqlite3.Connection, urls: list[str]) -> set[str]:
    """Those of `urls` the media table holds for good (stored, too big, not an image, 4xx):
    what media_to_fetch would not fetch again."""
    done: set[str] = set()
    for start in range(0, len(urls), 500):
        chunk = urls[start:start + 500]
        marks = ",".join("?" * len(chunk))
        done.update(url for (url,) in conn.execute(
            f"SELECT url FROM media WHERE url IN ({marks}) AND status NOT IN "
            "('failed', 'http-429') AND status NOT LIKE 'http-5%'", chunk))
    return done


def _read_pages(conn: sqlite3.Connection, directory: Path, record_ids: list[str],
                found: dict[str, None]) -> list[str]:
    """Add the image URLs of the captured pages `record_ids` to `found`; return the ids not
    in the capture index yet (the crawl indexes its records every half second, apart from the
    commit of the version naming them). A capture that cannot be read is passed over
    (`wixarchive check` names damaged capture files)."""
    located = captures.locate(conn, record_ids)
    for record_id in record_ids:
        where = located.get(record_id)
        if where is None:
            continue
        try:
            page = captures.read_location(directory, where)
            body = page.decoded_body()
        except (captures.CaptureError, OSError, ValueError):
            continue
        for url in image_urls(body, where.url, page.content_type):
            found.setdefault(url)
    return [record_id for record_id in record_ids if record_id not in located]


def to_fetch(conn: sqlite3.Connection, directory: Path, site: str, after: int = 0,
             limit: int | None = BATCH, again: tuple[str, ...] = (), lost: LostFiles | None = None,
             only_lost: bool = False) -> tuple[list[str], int, bool, list[str]]:
    """The page requisites of a site's posts not archived yet (or whose stored capture is in
    the `lost` capture files; with `only_lost`, only those), read from the captured pages of
    the current versions past post_versions id `after` (at most `limit` of them; None: all)
    and of the captures `again` (not indexed at an earlier look, or new). Also: the highest
    version id read, whether more remain, and the captures not indexed yet."""
    rows = conn.execute(
        "SELECT v.id, v.capture FROM post_versions v JOIN posts p ON p.id = v.post_id "
        "AND v.version = p.version JOIN sites s ON s.id = p.site_id "
        "WHERE v.id > ? AND s.url = ? AND v.capture IS NOT NULL ORDER BY v.id"
        + (" LIMIT ?" if limit else ""),
        (after, site, limit) if limit else (after, site)).fetchall()
    found: dict[str, None] = {}
    unindexed = _read_pages(conn, directory, [*again, *(record for _, record in rows)], found)
    urls = list(found)
    done = _archived(conn, urls)
    lost_again = unreadable_media(conn, lost or LostFiles(), [url for url in urls if url in done])
    return ([url for url in urls if url in lost_again or (url not in done and not only_lost)],
            rows[-1][0] if rows else after, bool(limit) and len(rows) == limit, unindexed)


class RequisiteFinder:
    """A crawl's look at its site's page requisites, batch by batch (for crawler.media)."""

    def __init__(self, directory: Path, site: str, only_lost: bool = False) -> None:
        self.directory = directory
        self.site = site
        self.only_lost = only_lost  # without --page-requisites: what was stored and is lost
        self.after = 0  # post_versions ids up to this one have been read
        self.unread = True  # versions may remain unread
        self.unindexed: dict[str, int] = {}  # captures not in the index yet -> looks tried
        self.lost = LostFiles()  # records lost from their files at the crawl's start
        # Posts whose page capture is lost -> the capture their version named at the last look:
        # read once the crawl has captured them again.
        self.recaptured: dict[str, str | None] = {}

    def recapture(self, lost: Lost) -> None:
        """Fetch again what the post pages show whose stored capture is lost, reading the
        pages whose own capture is lost once they are captured again."""
        self.lost = lost.files
        self.recaptured = dict.fromkeys(lost.posts)

    def _captured_again(self, conn: sqlite3.Connection) -> list[str]:
        """The new captures of the lost post pages captured again since the last look."""
        if not self.recaptured:
            return []
        changed = {url: record for url, record in in_chunks(
            conn, "SELECT p.url, v.capture FROM posts p JOIN post_versions v ON v.post_id = p.id "
                  "AND v.version = p.version WHERE p.url IN ({marks}) AND v.capture IS NOT NULL",
            list(self.recaptured)) if record != self.recaptured[url]}
        self.recaptured.update(changed)
        still_lost = unreadable_captures(conn, self.lost, list(changed.values()))
        ready = [url for url, record in changed.items() if record not in still_lost]
        for url in ready:
            del self.recaptured[url]
        return [changed[url] for url in ready]

    @property
    def more(self) -> bool:
        """Whether pages remain to be read (worth another look before the crawl ends)."""
        return self.unread or bool(self.unindexed)

    def look(self, conn: sqlite3.Connection) -> list[str]:
        """The requisites of the next post pages (new versions included): batches until some
        are found, none remain, or LOOK_SECONDS have passed."""
        started, first = time.monotonic(), True
        while True:
            earlier = self.unindexed if first else {}  # tried again once a look
            try:
                again = (*earlier, *self._captured_again(conn)) if first else ()
                urls, self.after, self.unread, unindexed = to_fetch(
                    conn, self.directory, self.site, self.after, again=again, lost=self.lost,
                    only_lost=self.only_lost)
            except sqlite3.OperationalError:  # an archive with no captures yet
                self.unread = False
                self.unindexed = {}
                return []
            if first:
                self.unindexed, first = {}, False
            # A capture the index never gets (its crawl killed) is not waited on for ever.
            self.unindexed.update((record_id, earlier.get(record_id, 0) + 1)
                                  for record_id in unindexed
                                  if earlier.get(record_id, 0) < UNINDEXED_LOOKS)
            if urls or not self.unread or time.monotonic() - started > LOOK_SECONDS:
                return urls
