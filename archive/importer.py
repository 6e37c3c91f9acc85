"""`wixarchive import`: web archives made by any tool, turned into archived posts and versions.

Reading the files is archive/webarchive.py's job; storing is the capture store's
(archive/captures.py) and the batch writer's (archive/ingest.py). Imported records are stored
exactly like crawled ones: each post page, image (with every rendition of it the files hold,
as `crawl --page-requisites` keeps what a page shows), video and document used is written into
the archive's own capture files (keeping its WARC-Record-ID and WARC-Date), indexed with source
'import', and each post version names its capture. So `reextract`, the article page and the
exports work on imported posts unchanged, and the archive no longer needs the files imported
from.

Order: every file is scanned first (metadata only), then post pages are imported in WARC-Date
order, whatever order the files were given in, so versions follow capture time. A record whose
WARC-Record-ID is already in the capture index was imported (or crawled) before and is skipped:
importing the same files again adds nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from archive import captures, webarchive
from archive.chunked import in_chunks
from archive.ingest import Fetch, save_batch, save_earlier
from archive.site_match import ArchivedSpelling, archived_root, moved_here, site_twins
from archive.store import Archive, served_in_case
from crawler.discover.urls import (
    SiteRoots,
    blog_move_key,
    in_any_site,
    is_listing_path,
    is_post_url,
    new_blog_slug,
    normalize_url,
    path_word,
    respelled,
    site_root,
)
from crawler.settings import DOWNLOAD_MAXSIZE, WIXARCHIVE_MEDIA_MAX_BYTES

BATCH = 100  # post pages per committed step
# The most of a record's payload held in memory, as a crawl's caps: a page as DOWNLOAD_MAXSIZE
# (after any Content-Encoding is undone too), an image, video or document as the media fetch's
# default cap (WIXARCHIVE_MEDIA_MAX_BYTES). A bigger one is skipped and named: a hostile file
# (a 1 MB bomb inflating to 1 GiB) costs time, never memory.
PAGE_LIMIT = DOWNLOAD_MAXSIZE
MEDIA_LIMIT = WIXARCHIVE_MEDIA_MAX_BYTES
SOURCE = "import"
GONE = (404, 410)
# SiteCounts' field for each outcome of saving a capture (ingest.save_earlier, save_batch).
_COUNTED = {"inserted": "new_versions", "earlier": "earlier", "older": "older",
            "new": "new_posts", "changed": "new_versions"}


@dataclasses.dataclass
class SiteCounts:
    posts: set[str] = dataclasses.field(default_factory=set)  # post URLs found
    new_posts: int = 0
    new_versions: int = 0  # versions added to posts, besides each new post's first
    unchanged: int = 0  # captures whose clean content was already archived
    earlier: int = 0  # versions now dated from an older capture of the same content
    older: int = 0  # captures left out of the history (see ingest.save_earlier)
    deleted: int = 0  # posts whose last capture is a 404/410: marked deleted
    # Posts whose last capture is a 404/410 made after the site's other posts were last seen
    # (the site itself gone, not the post): not marked deleted.
    site_gone: int = 0
    images: int = 0  # images linked from captures in the files
    renditions: int = 0  # sizes of those images (`<image>/v1/…`) as the posts' pages name them
    files: int = 0  # videos and documents linked from captures in the files

    def count(self, outcome: str) -> None:
        """Count one capture by what saving it did (ingest.save_earlier's or save_batch's
        outcome); any other outcome means the content was already archived."""
        field = _COUNTED.get(outcome, "unchanged")
        setattr(self, field, getattr(self, field) + 1)

    def add(self, other: SiteCounts) -> None:
        self.posts |= other.posts
        for field in dataclasses.fields(self):
            if field.name != "posts":
                setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def to_dict(self) -> dict[str, int]:
        return {"posts": len(self.posts), "new_posts": self.new_posts,
                "new_versions": self.new_versions, "unchanged": self.unchanged,
                "earlier": self.earlier, "older": self.older, "deleted": self.deleted,
                "site_gone": self.site_gone,
                "images": self.images, "renditions": self.renditions, "files": self.files}


@dataclasses.dataclass
class ImportResult:
    files: int = 0
    records: int = 0  # response and revisit records read
    already: int = 0  # records imported (or crawled) before: skipped
    other_records: int = 0  # request, warcinfo, metadata, resource... records
    skipped: int = 0  # responses that are not post pages, nor media of imported posts
    not_posts: int = 0  # pages at post URLs that extraction says are not posts
    cut_short: int = 0  # captures of archived posts holding only the page's start: left out
    unresolved: int = 0  # revisits of post pages whose payload is in none of the files
    # Captures of old Wix blog URLs (/single-post/YYYY/MM/DD/<slug>) archived as the
    # /post/<slug> post Wix moved them to, and posts archived at such a URL that moved there.
    old_blog: int = 0
    other_sites: int = 0  # post pages and 404s of sites other than the one asked for (--site)
    # Post URLs whose captures in the files are only 404/410s, of no archived post: a post
    # deleted before any page of it was captured (named, as nothing else shows it existed).
    gone_only: list[str] = dataclasses.field(default_factory=list)
    # Site roots whose posts were archived under the archive's other-scheme spelling of them.
    respelled: dict[str, str] = dataclasses.field(default_factory=dict)
    sites: dict[str, SiteCounts] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)  # damaged or unreadable files

    def site(self, url: str) -> SiteCounts:
        return self.sites.setdefault(site_root(url), SiteCounts())

    def site_counts(self, site: str) -> SiteCounts:
        """The counts of a site given by its root URL (a `sites.url`)."""
        return self.sites.setdefault(site, SiteCounts())

    def to_dict(self) -> dict[str, object]:
        return {"files": self.files, "records": self.records,
                "other_records": self.other_records, "already": self.already,
                "skipped": self.skipped, "not_posts": self.not_posts,
                "cut_short": self.cut_short, "unresolved": self.unresolved,
                "old_blog": self.old_blog, "other_sites": self.other_sites,
                "captured_only_gone": self.gone_only,
                "respelled": self.respelled,
                "sites": {url: c.to_dict() for url, c in sorted(self.sites.items())},
                "errors": self.errors}


class _Resolver:
    """Finds a record's payload: its own, or a revisit's original, in the files given (by
    WARC-Refers-To, by target URI and date, by payload digest) or else in the archive's own
    captures (an earlier import or crawl)."""

    def __init__(self, archive: Archive, entries: Sequence[webarchive.Entry],
                 reader: webarchive.Reader) -> None:
        self.archive = archive
        self.reader = reader
        responses = [e for e in entries if e.kind == "response"]
        self.by_id = {e.record_id: e for e in responses}
        self.by_digest = {e.digest: e for e in responses if e.digest}
        self.by_url_date = {(e.url, e.date): e for e in responses}

    def source(self, entry: webarchive.Entry) -> webarchive.Entry | None:
        if entry.kind == "response":
            return entry
        if entry.refers_to_id and entry.refers_to_id in self.by_id:
            return self.by_id[entry.refers_to_id]
        if entry.refers_to:
            date = webarchive.parse_date(entry.refers_to[1])
            found = self.by_url_date.get((entry.refers_to[0], date))
            if found is not None:
                return found
        return self.by_digest.get(entry.digest) if entry.digest else None

    def payload(self, entry: webarchive.Entry, limit: int) -> webarchive.Payload | None:
        """The response's payload (None if it is nowhere to be found); BodyTooLarge when
        it is longer than `limit`."""
        source = self.source(entry)
        if source is not None:
            return self.reader.read(source.location, limit)
        conn = self.archive.conn
        rows = conn.execute(
            "SELECT record_id FROM captures WHERE kind = 'response' AND (record_id = ? OR "
            "payload_digest = ?) LIMIT 1", (entry.refers_to_id, entry.digest)).fetchall()
        if not rows:
            return None
        directory = captures.captures_dir(self.archive.path)
        stored = captures.read_payload(conn, directory, rows[0][0])  # capped when stored
        if len(stored.body) > limit:
            raise captures.BodyTooLarge(limit)
        return webarchive.Payload(stored.status, "HTTP/1.1", stored.headers, stored.body)


def _is_html(entry: webarchive.Entry) -> bool:
    kind = (entry.content_type or "").lower()
    return not kind or "html" in kind


def _is_image(entry: webarchive.Entry) -> bool:
    return entry.status == 200 and (entry.content_type or "").lower().startswith("image/")


def _is_media(entry: webarchive.Entry) -> bool:
    """An image, or a file that may be a post's video or document: any 200 but a page."""
    return entry.status == 200 and not _is_html(entry)


def _already(archive: Archive, record_ids: Iterable[str]) -> tuple[dict[str, str], set[str]]:
    """The records in the capture index (with the source that stored them), and those of them
    a post version was made from."""
    ids = list(dict.fromkeys(record_ids))
    found = dict(in_chunks(archive.conn, "SELECT record_id, source FROM captures WHERE "
                           "record_id IN ({marks})", ids))
    used = {r for (r,) in in_chunks(archive.conn, "SELECT capture FROM post_versions WHERE "
                                    "capture IN ({marks})", ids)}
    return found, used


def last_capture(archive: Archive) -> int:
    """The id of the newest capture indexed: `pages_saved_since` counts those after it."""
    return archive.conn.execute("SELECT coalesce(max(id), 0) FROM captures").fetchone()[0]


def pages_saved_since(archive: Archive, capture_id: int, source: str = SOURCE) -> int:
    """The post pages an import has committed since its captures were at `capture_id`
    (`last_capture`, read as it starts its pages: `on_start`), read back from the archive:
    each page it saved is indexed with its post's version, in one transaction, where a count
    of its `progress` calls is a batch short when a Ctrl-C lands between a batch's commit and
    the call. Its pages only, as `_is_html` takes them: not the images, videos and documents
    or the 404s indexed after them, nor the pages a crawl (or a recover) stored meanwhile: the
    captures indexed as `source`'s."""
    return archive.conn.execute(
        "SELECT count(*) FROM captures WHERE id > ? AND source = ? AND status = 200 AND "
        "(content_type IS NULL OR content_type = '' OR lower(content_type) LIKE '%html%')",
        (capture_id, source)).fetchone()[0]


def _too_large(entry: webarchive.Entry, what: str, limit: int) -> str:
    """The error naming a record skipped for its size."""
    return f"{entry.location.describe()}: {entry.url} skipped: {what} over {limit / 2**20:g} MiB"


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


class _Importer:
    def __init__(self, archive: Archive, result: ImportResult, source: str = SOURCE,
                 post_url: Callable[[str], str] = normalize_url,
                 media_limit: int = MEDIA_LIMIT) -> None:
        self.archive = archive
        self.media_limit = media_limit  # the largest image, video or document stored
        self.result = result
        self.source = source
        self.post_url = post_url  # the URL a capture's post is archived under
        self.directory = captures.captures_dir(archive.path)
        self.writer = captures.CaptureWriter(self.directory)
        self.seen: dict[str, tuple[str, str]] = {}  # payload digest -> (URL, date) this run
        self.rows: list[captures.CaptureRow] = []  # written, not yet indexed
        self.indexed: set[str] = set()  # records the index holds already (a killed import's)

    def store(self, entry: webarchive.Entry, payload: webarchive.Payload) -> str:
        """Write a record into the archive's captures as the crawler would (a payload already
        stored becomes a revisit record); its record ID."""
        if entry.record_id in self.indexed:
            return entry.record_id
        digest = captures.payload_digest(payload.body)
        revisit_of = self.seen.get(digest) if payload.body else None
        if revisit_of is None and payload.body:
            revisit_of = captures.earlier_response(self.archive.conn, digest)
        exchange = captures.Exchange(
            url=entry.url, method="GET", request_headers=[], status=payload.status or 0,
            response_headers=payload.headers, body=payload.body, record_id=entry.record_id,
            fetched_at=entry.date, header_encoding="utf-8",  # as warcio read them
            protocol=payload.protocol if payload.protocol.startswith("HTTP/") else "HTTP/1.1")
        row = self.writer.write(exchange, revisit_of)
        if row.kind == "response" and payload.body:
            self.seen.setdefault(digest, (row.url, row.fetched_at))
        self.rows.append(row)
        return row.record_id

    def commit(self, write: Callable[[], None] | None = None) -> None:
        """Sync the captures written, then index them and write what depends on them."""
        self.writer.sync()
        rows, self.rows = self.rows, []
        with self.archive.transaction() as conn:
            captures.index_rows(conn, rows, source=self.source)
            if self.writer.name is not None:
                captures.mark_file(conn, self.writer.name, self.writer.size, closed=False)
            if write is not None:
                write()

    def close(self) -> None:
        name, size = self.writer.name, self.writer.size
        self.writer.close()
        if name is not None:
            with self.archive.transaction() as conn:
                captures.mark_file(conn, name, size, closed=True)


def _last_seen(archive: Archive, urls: Iterable[str]) -> dict[str, str]:
    return dict(in_chunks(archive.conn, "SELECT url, last_seen FROM posts WHERE url IN "
                          "({marks})", list(dict.fromkeys(urls))))


def _archived(archive: Archive, urls: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Post id and last sighting of the archived posts among these URLs."""
    return {url: (post_id, seen) for url, post_id, seen in in_chunks(
        archive.conn, "SELECT url, id, last_seen FROM posts WHERE url IN ({marks})",
        list(dict.fromkeys(urls)))}


class _BlogMoves:
    """Old Wix blog post URLs (/single-post/YYYY/MM/DD/<Slug>) and the /post/<slug> URLs Wix
    moved them to (crawler.discover.urls.blog_move_key), among the pages imported and the
    posts archived. A page at an old URL whose /post/ URL is archived or captured too is that
    post's (its older versions); a /post/ page whose post is archived at its old URL takes
    that post over (ingest's moved_from, its versions kept). So the post is one post
    whichever was captured, imported or recovered first."""

    def __init__(self, conn: sqlite3.Connection, urls: Sequence[str]) -> None:
        self.new: dict[tuple[str, str, str], str] = {}  # /post/ URLs archived or imported
        self.old: dict[tuple[str, str, str], str] = {}  # posts archived at an old URL
        self.held: dict[tuple[str, str, str], str] = {}  # posts archived at a /post/ URL
        roots = {site_root(url) for url in urls if blog_move_key(url)}
        # A range of the posts' URL index (normalised URLs are ASCII): substr() read every
        # post's URL once a site, 0.24 s of a million-post archive for each site imported.
        archived = [url for root in sorted(roots) for (url,) in conn.execute(
            "SELECT url FROM posts WHERE url >= ? AND url < ?", (root, root + "\uffff"))]
        for url in archived:
            if found := blog_move_key(url):
                (self.old if found[0] else self.held).setdefault(found[1], url)
        known = self.held.keys() | {found[1] for url in urls
                                    if (found := blog_move_key(url)) and not found[0]}
        for root in sorted({site_root(url) for url in urls if (found := blog_move_key(url))
                            and found[0] and found[1] not in known}):
            # A site that left its old blog and its address at once: its /post/ posts archived
            # at the host it moved to (a crawl followed the redirect) are its /post/ posts here.
            # Read only for an old URL with no /post/ post here: it reads the site's posts.
            parts = urlsplit(root)
            host, root_of = (parts.hostname or "").removeprefix("www."), SiteRoots()
            for (url,) in conn.execute(
                    "SELECT p.url FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url = ? "
                    "AND substr(p.url, 1, length(s.url)) != s.url", (root,)):
                if (slug := new_blog_slug(url[len(root_of(url)):])) is not None:
                    self.held.setdefault((host, parts.path, slug), url)
        self.new = dict(self.held)  # the archived /post/ spelling before the pages'
        for url in urls:
            if (found := blog_move_key(url)) and not found[0]:
                self.new.setdefault(found[1], url)

    def target(self, url: str) -> str:
        """Where a post page captured at `url` is archived: at its /post/ URL if it is an old
        blog URL whose /post/ URL is archived or among the pages imported."""
        found = blog_move_key(url)
        return self.new.get(found[1], url) if found and found[0] else url

    def moved_from(self, url: str) -> str | None:
        """The old blog URL the post of the /post/ URL `url` is archived at, if it is."""
        found = blog_move_key(url)
        return self.old.get(found[1]) if found and not found[0] else None

    def archived_as(self, url: str) -> str | None:
        """The URL of the archived post that `url` names by its other blog's URL: the /post/
        URL of an old blog URL's post, the old blog URL of a /post/ URL's post; else None."""
        found = blog_move_key(url)
        return None if found is None else (self.held if found[0] else self.old).get(found[1])


def _in_post_words(conn: sqlite3.Connection, urls: Iterable[str]) -> set[str]:
    """Those of `urls` under a path word (crawler.discover.urls.path_word: /<word>/<slug>,
    /<word>/YYYY/MM/DD/<slug>) under which their site's archived posts are, or were captured
    (an old /single-post/ page archived as its /post/ post): where a 404 names a post. Each
    site's posts and their versions' captures read once."""
    wanted: dict[str, list[tuple[str, str]]] = {}  # archived site -> (URL, its word)
    for url in urls:
        try:
            root = site_root(url)
        except ValueError:  # BadURL: no site
            continue
        word = path_word(urlsplit(url).path[len(urlsplit(root).path):])
        if word is not None and word != "post" and not is_listing_path(urlsplit(url).path):
            wanted.setdefault(archived_root(conn, root), []).append((url, word))
    found: set[str] = set()
    root_of = SiteRoots()
    for site, named in wanted.items():
        words = {path_word(urlsplit(url).path[len(urlsplit(root_of(url)).path):])
                 for (url,) in conn.execute(
                     "SELECT p.url FROM posts p JOIN sites s ON s.id = p.site_id WHERE s.url = ? "
                     "UNION SELECT c.url FROM posts p JOIN sites s ON s.id = p.site_id "
                     "JOIN post_versions v ON v.post_id = p.id "
                     "JOIN captures c ON c.record_id = v.capture WHERE s.url = ?", (site, site))}
        found |= {url for url, word in named if word in words}
    return found


def held_at_other_blog_url(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, str]:
    """Of these post URLs (as archived), each that names a post archived under its other
    blog's URL (_BlogMoves.archived_as: an old blog URL whose /post/ post is archived, a
    /post/ URL whose post is archived at its old blog URL), and that post's URL. A URL
    captured only as a 404 is then no post "captured only as gone": Wix redirected its old
    blog's URLs, until a lapsed plan or a deleted post made one answer 404."""
    moves = _BlogMoves(conn, urls)  # archived_as reads its archived posts, not `urls`
    return {url: held for url in urls if (held := moves.archived_as(url)) is not None}


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def import_files(archive: Archive, paths: Sequence[Path], *,
                 on_scan: Callable[[int], None] | None = None,
                 on_start: Callable[[int], None] | None = None,
                 progress: Callable[[int], None] | None = None,
                 source: str = SOURCE, site: str | None = None,
                 media_limit: int = MEDIA_LIMIT) -> ImportResult:
    """Import the Wix blog posts found in these web archives. `on_scan(bytes)` reports reading;
    `on_start(n)` gives the number of post pages to import and `progress(n)` counts them.
    `source` is what the captures and versions say they came from ('recover' for
    archive/recover.py's spools). `site` (a root URL) imports that site's pages only (any
    scheme, `www.` or not: site_twins), and the media its posts use. A site archived under a
    twin spelling (https, the files' pages http; example.com, the pages www.example.com) gets
    the pages: one site, as a crawl treats them (result.respelled). `media_limit`: the largest
    image, video or document stored, in bytes (as a crawl's --max-media-mb)."""
    archive.ensure_writable()  # before records are copied into its captures
    result = ImportResult()
    respell = ArchivedSpelling(archive.conn)
    only_site = [site, *site_twins(site)] if site else []

    def post_url(raw: str) -> str:
        return respell(normalize_url(raw))

    captures.recover(archive.conn, captures.captures_dir(archive.path))
    entries: list[webarchive.Entry] = []
    for path in paths:
        try:
            scans = webarchive.scan(path, on_scan)
        except webarchive.WebArchiveError as exc:
            result.errors.append(str(exc))
            continue
        result.files += 1
        for scanned in scans:
            entries += scanned.entries
            result.other_records += scanned.other_records
            if scanned.damage:
                result.errors.append(scanned.damage + "; the records after it were not read")
    result.records = len(entries)
    indexed, used = _already(archive, (e.record_id for e in entries))
    last_seen = _last_seen(archive, (post_url(e.url) for e in entries
                                     if e.record_id in indexed and e.record_id not in used))
    reader = webarchive.Reader()
    resolver = _Resolver(archive, entries, reader)
    pages, gone, maybe_gone, media, taken = [], [], [], {}, set()
    # Imported before: 404s at post URLs (named again if no page was), at other URLs (those
    # under a word holding posts are named too: _in_post_words), and the URLs of pages.
    gone_before: list[webarchive.Entry] = []
    maybe_gone_before: list[webarchive.Entry] = []
    paged_before: set[str] = set()
    fresh_media = 0
    for entry in entries:
        if entry.record_id in taken:
            result.already += 1  # the same record in two files given: once
            continue
        taken.add(entry.record_id)
        if site and not _is_media(entry) and not in_any_site(entry.url, only_site):
            result.other_sites += 1
            continue
        is_post = is_post_url(entry.url)
        # Any HTML page may be a post: owners can rename the /post/ prefix (SEO settings),
        # so extraction decides, as it does for the crawler's pages.
        is_page = entry.status == 200 and _is_html(entry) and (
            is_post or not is_listing_path(urlsplit(entry.url).path))
        if entry.record_id in indexed and _is_media(entry):
            media[entry.url] = entry  # linked below if a post uses it and it is not yet
        if entry.record_id in indexed:
            # Imported before, unless an import was killed after writing its capture and
            # before its version: then it is newer than the post's archived copy. (Only
            # posts' pages are stored by an import; a crawl stores every page it fetched.)
            seen = last_seen.get(post_url(entry.url))
            if not (is_page and entry.record_id not in used
                    and (is_post or indexed[entry.record_id] == source)
                    and (seen is None or _iso(entry.date) > seen)):
                result.already += 1
                if entry.status in GONE:
                    (gone_before if is_post else maybe_gone_before).append(entry)
                elif is_page:
                    paged_before.add(post_url(entry.url))
                continue
        if entry.status in GONE:
            (gone if is_post else maybe_gone).append(entry)
        elif is_page:
            pages.append(entry)
        elif _is_media(entry):
            media[entry.url] = entry  # linked below if an archived post uses it
            fresh_media += 1
        else:
            result.skipped += 1
    pages.sort(key=lambda e: e.date)
    importer = _Importer(archive, result, source, post_url, media_limit)
    importer.indexed = set(indexed)
    try:
        if on_start:
            on_start(len(pages))
        respell.settle((normalize_url(e.url) for e in pages), site and site_root(site))
        moves = _BlogMoves(archive.conn, [post_url(e.url) for e in pages])
        _import_pages(importer, resolver, pages, moves, progress)
        linked = _link_images(importer, resolver,
                              {url: e for url, e in media.items() if _is_image(e)})
        linked |= _link_files(importer, resolver, media)
        result.skipped += fresh_media - len(linked - importer.indexed)  # media no post uses
        # A 404 elsewhere than at /post/ marks a deletion only where a post is archived; one
        # under a word whose pages are the site's posts (an old /single-post/ URL, a renamed
        # /post/) names a post, as recover names it.
        posts = _last_seen(archive, (post_url(e.url) for e in maybe_gone))
        worded = _in_post_words(archive.conn, {post_url(e.url) for e in
                                               [*maybe_gone, *maybe_gone_before]} - posts.keys())
        gone += [e for e in maybe_gone if post_url(e.url) in posts or post_url(e.url) in worded]
        gone_before += [e for e in maybe_gone_before if post_url(e.url) in worded]
        result.skipped += sum(post_url(e.url) not in posts and post_url(e.url) not in worded
                              for e in maybe_gone)
        _mark_gone(importer, resolver, gone, pages, gone_before, paged_before)
    finally:
        reader.close()
        importer.close()
    result.respelled.update(respell.moved)
    result.sites = _by_archived_site(archive.conn, result.sites)
    return result


def _by_archived_site(conn: sqlite3.Connection, counts: dict[str, SiteCounts]
                      ) -> dict[str, SiteCounts]:
    """The counts kept by their posts' root URL, under the site archived: a site whose posts
    are archived at the address it moved to (a crawl followed its redirect) is one site, not
    one per address. Counts holding no post (a 404 found a post deleted, or its site gone) go
    to the site of a post archived under their root (site_match.moved_here)."""
    by_site: dict[str, SiteCounts] = {}
    for root, site_counts in counts.items():
        if site_counts.posts:
            held = conn.execute("SELECT s.url FROM posts p JOIN sites s ON s.id = p.site_id "
                                "WHERE p.url = ?", (min(site_counts.posts),)).fetchone()
            site = held[0] if held else None
        else:
            site = moved_here(conn, [root])
        by_site.setdefault(site or root, SiteCounts()).add(site_counts)
    return by_site


def in_canonical_case(url: str, canonical: str | None,
                      language_urls: dict[str, str] | None = None) -> str:
    """`url` as a crawl archives it (crawler.discover.urls.respelled): in the letter case of
    its page's canonical URL (`/post/My-Slug` captured, `/post/my-slug` canonical), or without
    `?lang=xx` when the page says that is its URL in that language (the site's default one)
    or names no language at all (a site in one language).
    The page's URLs are taken on `url`'s scheme and host: a web archive captured the page
    over http or https, with `www.` or without, whatever the page names."""
    if not canonical:
        return url
    here = urlsplit(url)

    def on_this_host(link: str) -> str | None:
        try:
            named = urlsplit(link)
            same_host = (named.hostname or "").removeprefix("www.") == \
                (here.hostname or "").removeprefix("www.")
        except ValueError:
            return None
        return urlunsplit((here.scheme, here.netloc, named.path, named.query, "")) \
            if same_host else None

    named = on_this_host(canonical)
    if named is None:
        return url
    # An alternate on another host stays as named: the page still names languages.
    languages = {tag: on_this_host(link) or link for tag, link in (language_urls or {}).items()}
    return respelled(url, named, languages)


# How long before a post's 404 another post of its site seen still shows the site alive then.
SITE_ALIVE_SLACK = timedelta(days=1)
# How far from a page's end its closing tag is looked for.
_CLOSING_TAIL = 4096


def cut_short(entry: webarchive.Entry, body: bytes) -> bool:
    """Whether a page capture holds only the start of the page: its producer says so
    (WARC-Truncated: a size or time limit, a lost connection), or the HTML opens `<html` and
    never closes it. Every page Wix serves ends with `</html>`; a capture whose download was
    cut off ends anywhere, often inside the post's body."""
    if entry.truncated:
        return True
    return (b"</html" not in body[-_CLOSING_TAIL:].lower()
            and b"<html" in body[:_CLOSING_TAIL].lower())


def _import_pages(importer: _Importer, resolver: _Resolver, pages: list[webarchive.Entry],
                  moves: _BlogMoves, progress: Callable[[int], None] | None) -> None:
    from crawler.extract import extract_article  # the extractor only: no Scrapy

    archive, result = importer.archive, importer.result
    known = _archived(archive, (importer.post_url(e.url) for e in pages))
    imported: set[str] = set()  # posts this import gave a version (known: archived before)
    latest = {importer.post_url(e.url): e for e in pages}  # each URL's latest capture
    archived_as: dict[str, str] = {}

    def post_url_of(captured: str) -> str:
        """The URL the /post/ page captured at `captured` is archived at, in the letter case
        its canonical URL gives: an old blog capture (older, so read first) filed under the
        spelling captured was a post apart from the /post/ page's. Read once; a page that
        cannot be read keeps `captured` (its own turn says why)."""
        if captured not in archived_as:
            archived_as[captured] = captured
            entry = latest.get(captured)
            with contextlib.suppress(Exception):
                payload = resolver.payload(entry, PAGE_LIMIT) if entry else None
                if entry is not None and payload is not None:
                    body, content_type = _page_body(entry, payload)
                    article = extract_article(body, captured, content_type=content_type)
                    if article.page_kind == "post":
                        archived_as[captured] = in_canonical_case(
                            captured, article.canonical_url, article.language_urls)
        return archived_as[captured]

    for start in range(0, len(pages), BATCH):
        batch = pages[start:start + BATCH]
        fetches: list[Fetch] = []
        earlier: list[tuple[int, Fetch]] = []
        for entry in batch:
            # Pages at post URLs, or archived as posts, are posts; any other page is one only
            # if extraction says so, and is skipped quietly otherwise.
            expected = is_post_url(entry.url) or importer.post_url(entry.url) in known
            try:
                payload = resolver.payload(entry, PAGE_LIMIT)
                if payload is None:
                    if expected:
                        result.unresolved += 1
                    else:  # e.g. a listing page revisited: its original was never stored
                        result.skipped += 1
                    continue
                body, content_type = _page_body(entry, payload)
            except captures.BodyTooLarge:
                result.errors.append(_too_large(entry, "page", PAGE_LIMIT))
                continue
            except Exception as exc:  # one unreadable record must not stop it
                result.errors.append(f"{entry.location.describe()}: {entry.url}: {exc}")
                continue
            url = importer.post_url(entry.url)
            article = extract_article(body, url, content_type=content_type)
            if article.page_kind != "post":
                if expected:
                    result.not_posts += 1
                else:
                    result.skipped += 1
                continue
            spelled = in_canonical_case(url, article.canonical_url, article.language_urls)
            named = moves.target(spelled)
            if named != spelled and named not in known and named not in imported:
                named = post_url_of(named)  # a /post/ page of this import, not archived yet
            if named != url and named not in known:
                known.update(_archived(archive, [named]))
            if named != spelled:
                result.old_blog += 1
            url = named
            moved_from = moves.moved_from(url)
            if moved_from is not None and url not in known:
                # Its post is archived at the old blog URL: it takes this URL (save_batch),
                # and an older capture is placed in its history by the post's id.
                if moved_from in (held := _archived(archive, [moved_from])):
                    known[url] = held[moved_from]
                result.old_blog += 1
            # `known` by the URL the post is archived at: a capture under another spelling
            # (letter case, ?lang=, an old blog URL) is of a post archived with a version too.
            if (url in known or url in imported) and cut_short(entry, body):
                # The end of the body, the tags and categories are missing: as the newest
                # capture it would become the post's current text (the one exports give).
                result.cut_short += 1
                continue
            imported.add(url)
            counts = result.site(url)
            counts.posts.add(url)
            record_id = importer.store(entry, payload)
            when = _iso(entry.date)
            fetch = Fetch(dataclasses.replace(article, url=url), when,
                          etag=_header(payload.headers, "etag"),
                          http_last_modified=_header(payload.headers, "last-modified"),
                          capture=record_id, source=importer.source, moved_from=moved_from)
            if url in known and when < known[url][1]:
                earlier.append((known[url][0], fetch))  # placed in the history by its date
            else:
                fetches.append(fetch)

        def save(fetches: list[Fetch] = fetches,
                 earlier: list[tuple[int, Fetch]] = earlier) -> None:
            for post_id, fetch in earlier:
                result.site(fetch.article.url).count(
                    save_earlier(archive.conn, post_id, fetch))
            outcomes = save_batch(archive.conn, fetches, None, archive._site_id) \
                if fetches else []
            for fetch, outcome in zip(fetches, outcomes, strict=True):
                result.site(fetch.article.url).count(outcome)

        importer.commit(save)
        if progress:
            progress(len(batch))


def _page_body(entry: webarchive.Entry, payload: webarchive.Payload
               ) -> tuple[bytes, str | None]:
    """A page capture's body, decoded as its Content-Encoding says, and its content type."""
    content_type = _header(payload.headers, "content-type")
    return (captures.Payload(entry.url, "", payload.status, payload.headers, payload.body,
                             content_type).decoded_body(PAGE_LIMIT), content_type)


class _MediaLinker:
    """Stores the records of media that archived posts use and records them in the media table,
    as the crawler's media fetches do (each record stored once, however many URLs it stands
    for)."""

    def __init__(self, importer: _Importer, resolver: _Resolver) -> None:
        self.importer, self.resolver = importer, resolver
        self.rows: list[tuple] = []  # record_media's arguments
        self.stored: dict[str, tuple | None] = {}  # record ID -> what it stores as, or None

    def link(self, url: str, entry: webarchive.Entry) -> bool:
        """Store `entry` as the archived copy of `url`; False if its payload is not found."""
        if entry.record_id not in self.stored:
            self.stored[entry.record_id] = self._store(entry)
        found = self.stored[entry.record_id]
        if found is not None:
            self.rows.append((url, "stored", *found, None))
        return found is not None

    def _store(self, entry: webarchive.Entry) -> tuple | None:
        try:
            payload = self.resolver.payload(entry, self.importer.media_limit)
        except captures.BodyTooLarge:
            self.importer.result.errors.append(
                _too_large(entry, "file", self.importer.media_limit) + " (--max-media-mb)")
            return None
        except Exception as exc:  # one unreadable record must not stop it
            self.importer.result.errors.append(
                f"{entry.location.describe()}: {entry.url}: {exc}")
            return None
        if payload is None:
            return None
        record_id = self.importer.store(entry, payload)
        return (captures.warc_date(entry.date), _header(payload.headers, "content-type"),
                len(payload.body), captures.payload_digest(payload.body), record_id)

    def commit(self) -> set[str]:
        """Index the records stored and write their media rows; the record IDs linked."""
        conn, rows = self.importer.archive.conn, self.rows

        def record() -> None:
            for values in rows:
                captures.record_media(conn, *values)

        self.importer.commit(record)
        return {values[6] for values in rows}


def _stored_media(conn: sqlite3.Connection, urls: Sequence[str]) -> set[str]:
    return {url for (url,) in in_chunks(
        conn, "SELECT url FROM media WHERE status = 'stored' AND url IN ({marks})", urls)}


def _link_images(importer: _Importer, resolver: _Resolver,
                 images: dict[str, webarchive.Entry]) -> set[str]:
    """Images archived posts use (imported now or before) that the files hold become stored
    media, as the crawler's fetches do: at full size (the upload itself, else the latest
    rendition captured stands for it), and every rendition of them (`<image>/v1/fill/…`)
    under its own URL, as `crawl --page-requisites` keeps the sizes a post page shows, so an
    exported WACZ replays the pages with their images. What is archived already is left as
    it is. Returns the record IDs linked."""
    if not images:
        return set()
    from crawler.extract.body import full_size_url

    by_full: dict[str, list[webarchive.Entry]] = {}
    for url, entry in images.items():
        by_full.setdefault(full_size_url(url) or url, []).append(entry)
    conn = importer.archive.conn
    used = dict(in_chunks(  # image URL -> its post's site
        conn, "SELECT i.url, min(s.url) FROM images i JOIN posts p ON p.id = i.post_id "
        "JOIN sites s ON s.id = p.site_id WHERE i.url IN ({marks}) GROUP BY i.url",
        sorted(by_full)))
    stored = _stored_media(conn, [e.url for full in used for e in by_full[full]] + list(used))
    linker = _MediaLinker(importer, resolver)
    for full, site in sorted(used.items()):
        entries = sorted(by_full[full], key=lambda e: (e.date, e.url))
        # The upload captured over http:// (as web archives hold many) is the upload too, not
        # one more size of it.
        uploads = [e for e in entries if e.url.partition("://")[2] == full.partition("://")[2]]
        if full not in stored:
            chosen = uploads[-1] if uploads else entries[-1]
            if linker.link(full, chosen):
                importer.result.site_counts(site).images += 1
        for entry in entries:
            if entry not in uploads and entry.url not in stored and linker.link(entry.url, entry):
                importer.result.site_counts(site).renditions += 1
    return linker.commit()


def _link_files(importer: _Importer, resolver: _Resolver,
                files: dict[str, webarchive.Entry]) -> set[str]:
    """The videos and documents archived posts link (the attachments table's files) that the
    files hold at that URL and the archive lacks become stored media, as `crawl --media-kinds
    video,documents` stores them. Returns the record IDs linked."""
    wanted = in_chunks(
        importer.archive.conn, "SELECT a.url, min(s.url) FROM attachments a JOIN posts p "
        "ON p.id = a.post_id JOIN sites s ON s.id = p.site_id WHERE a.is_file = 1 "
        "AND a.url IN ({marks}) AND NOT EXISTS (SELECT 1 FROM media m WHERE m.url = a.url "
        "AND m.status = 'stored') GROUP BY a.url", sorted(files))
    if not wanted:
        return set()
    linker = _MediaLinker(importer, resolver)
    for url, site in wanted:
        if linker.link(url, files[url]):
            importer.result.site_counts(site).files += 1
    return linker.commit()


def _mark_gone(importer: _Importer, resolver: _Resolver, gone: list[webarchive.Entry],
               pages: list[webarchive.Entry], gone_before: list[webarchive.Entry],
               paged_before: set[str]) -> None:
    """A post whose newest capture is a 404 or 410, later than its newest page, is deleted,
    when the site's other posts were still captured then (else the site had gone: site_gone).
    The 404s are kept in the captures, so one imported before the post's pages counts too.
    Post URLs captured only as 404/410s, these and those imported before (`gone_before`; no
    page of theirs imported before either: `paged_before`), of no archived post are named
    (result.gone_only) on every import of them."""
    archive, result = importer.archive, importer.result
    for entry in gone:
        try:
            payload = resolver.payload(entry, PAGE_LIMIT)
        except captures.BodyTooLarge:
            result.errors.append(_too_large(entry, "page", PAGE_LIMIT))
            continue
        except Exception as exc:  # one unreadable record must not stop it
            result.errors.append(f"{entry.location.describe()}: {entry.url}: {exc}")
            continue
        if payload is not None:
            importer.store(entry, payload)
    importer.commit()
    # A 404 at a /post/ URL whose post is archived at its old blog URL is that post's, as a
    # page there would be (_BlogMoves.moved_from). One at an old URL is no deletion of its
    # /post/ post (Wix's redirect lost): a skip (maybe_gone).
    gone_urls = {importer.post_url(e.url) for e in [*gone, *gone_before]}
    unarchived = sorted(gone_urls - _last_seen(archive, gone_urls).keys())
    moves = _BlogMoves(archive.conn, unarchived)
    elsewhere = {url: old for url in unarchived if (old := moves.moved_from(url))}
    # A 404 at another letter case of an archived post's slug (`/post/My-Slug`, the post at
    # `/post/my-slug`) is that post's too: Wix serves a post at any case of its slug (the
    # posts whose path is the 404's lower-cased: served_in_case). Not where that spelling
    # answered 404 while the post lived (`void`, below).
    in_any_case = archive.posts_in_any_case(url for url in unarchived if url not in elsewhere)
    cased = {url: served for url, held in in_any_case.items()
             if (served := served_in_case(url, held))}

    def post_urls(captured: str) -> list[str]:
        url = importer.post_url(captured)
        return cased.get(url) or [elsewhere.get(url, url)]

    def post_urls_of(entries: Iterable[webarchive.Entry]) -> set[str]:
        return {url for entry in entries for url in post_urls(entry.url)}

    raw: dict[str, set[str]] = {}  # post URL -> the URLs its captures were taken under
    for entry in [*gone, *pages]:
        for url in post_urls(entry.url):
            raw.setdefault(url, set()).add(entry.url)
    seen = _last_seen(archive, raw)
    before = post_urls_of(gone_before)
    gone_only = ((post_urls_of(gone) | before) - post_urls_of(pages) - paged_before
                 - seen.keys() - _last_seen(archive, before).keys())
    # Nor a post archived elsewhere: at the host its site moved to (an old blog URL of a post
    # at the new host's /post/ too: Archive.held_posts), under its other blog URL.
    # (`moves` and `in_any_case` were read for every unarchived URL: gone_only's are some.)
    gone_only -= archive.held_posts(gone_only)
    gone_only -= {url for url in gone_only if moves.archived_as(url) is not None}
    result.gone_only = sorted(gone_only - in_any_case.keys())
    # Each site's two latest sightings, read once: the latest of a post's other posts is one
    # of them. Read a post at a time, a lapsed blog's 3,000 404s read 9 million rows (5 s).
    sightings: dict[int, list[tuple[str, int]]] = {}
    for url in seen:
        targets = sorted(raw[url])
        answers = archive.conn.execute(
            "SELECT url, min(fetched_at), max(fetched_at) FROM captures WHERE status IN "
            f"(404, 410) AND url IN ({','.join('?' * len(targets))}) GROUP BY url",
            targets).fetchall()
        # A spelling in another letter case that answered 404 before a page of the post was
        # seen answers 404 while the post lives: its 404s say nothing of a deletion.
        void = {target for target, first, _ in answers if importer.post_url(target) in cased
                and (moment := webarchive.parse_date(first)) is not None
                and _iso(moment) < seen[url]}
        moment = webarchive.parse_date(max(
            (last for target, _, last in answers if target not in void), default=None))
        if moment is None:
            continue
        when = _iso(moment)
        if seen[url] >= when:
            continue
        # A blog that lapsed answers 404 at every post: that is the site gone, not the post.
        # The post is deleted when the site still served its other posts then (or within
        # the day before: one capture session asks for the gone URLs last).
        alive = None
        if post := archive.conn.execute("SELECT id, site_id FROM posts WHERE url = ?",
                                        (url,)).fetchone():
            if post[1] not in sightings:
                sightings[post[1]] = [tuple(row) for row in archive.conn.execute(
                    "SELECT last_seen, id FROM posts WHERE site_id = ? AND last_seen IS NOT "
                    "NULL ORDER BY last_seen DESC LIMIT 2", (post[1],))]
            alive = next((at for at, other in sightings[post[1]] if other != post[0]), None)
        if alive is None or alive < _iso(moment - SITE_ALIVE_SLACK):
            result.site(url).site_gone += 1
        elif archive.mark_deleted(url, when=when):
            result.site(url).deleted += 1
