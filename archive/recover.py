"""`wixarchive recover`: a blog that is gone, brought back from a Wayback-compatible archive.

1. List (crawler/wayback.py): the CDX server lists the captures of the site's post URLs (200
   HTML pages, and 404/410s, which mark deletions) and of its feed and sitemaps; the latest
   captures of those are read for post URLs the listing missed, which are listed too. The
   site's other pages are probed one per path word for a renamed /post/ that no captured
   feed names (list_by_probing).
2. Fetch: each capture not fetched before is replayed raw (`id_`), politely, and appended to a
   spool WARC in `<archive>.recover/` (synced), then noted in the `recovered` table.
3. Archive: every BATCH captures the spool is imported by archive/importer.py, exactly as a
   WARC of any tool would be: extraction, versions by capture time (older ones placed by
   ingest.save_earlier), deletions, the records copied into the capture store and indexed.
   So `reextract`, the article page and the exports work on recovered posts unchanged.
4. Media: the images the archived posts use and the archive lacks, and the renditions of them
   their pages name, are looked up in the CDX (one prefix query per Wix media owner id), and
   so are the videos and documents the posts link (one query per folder); their captures are
   recovered the same way, so the archive holds them as a crawl would (crawl --page-requisites
   --media-kinds video,documents).

Resumable: the spool is synced before its captures are noted, and a spool is deleted only
after it was imported and its rows cleared. A recover stopped at any point (the archive down,
a kill) leaves spools that the next run imports first; captures noted are never fetched again.
This module owns the rows of `recovered` (its DDL is in archive/schema.py).
"""

from __future__ import annotations

import collections
import dataclasses
import fcntl
import io
import os
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from archive import captures, webarchive
from archive.importer import ImportResult, SiteCounts, held_at_other_blog_url, import_files
from archive.site_match import held_root, spelling_tie_break
from archive.store import Archive
from crawler import wayback
from crawler.discover.urls import (
    is_listing_path,
    is_post_url,
    normalize_url,
    path_word,
    site_root,
)

if TYPE_CHECKING:
    from crawler.discover.feeds import ParsedFeed
    from crawler.discover.sitemaps import ParsedSitemap

SOURCE = "recover"  # captures.source and post_versions.source of what it stores
BATCH = 100  # captures per spool: imported and committed together
FEEDS = ("blog-feed.xml", "sitemap.xml", "blog-posts-sitemap.xml")
GONE = (404, 410)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Captures of each feed or sitemap URL replayed, the latest first, until one is a feed or
# sitemap (a lapsed blog's are parking pages; their CDX type is not always right).
FEED_TRIES = 3
# Path words probed for posts (one capture each, see list_by_probing): the most used first.
MAX_PROBES = 10
_MEDIA = re.compile(r"^/media/([^/]+)")
# The CDX digest (base 32 SHA-1) of an empty payload: a redirect's, which revisits often repeat.
_EMPTY = "3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"


@dataclasses.dataclass
class RecoverResult:
    site: str
    listed: int = 0  # distinct captures of post URLs (pages and 404/410s) the CDX lists
    feeds: int = 0  # feed and sitemap captures read for post URLs
    already: int = 0  # captures fetched by an earlier recover: not fetched again
    fetched: int = 0  # captures fetched now
    # Of them, by kind: page, gone, probe, feed, image, file (the summary line names them).
    fetched_kinds: collections.Counter[str] = dataclasses.field(
        default_factory=collections.Counter)
    missing: int = 0  # captures the archive listed but did not replay (error page, redirect)
    images_listed: int = 0  # image captures found for images (and sizes) the posts lack
    files_listed: int = 0  # captures found for videos and documents the posts lack
    cdx_requests: int = 0
    replay_requests: int = 0
    retries: int = 0
    imported: ImportResult = dataclasses.field(default_factory=ImportResult)
    problems: list[str] = dataclasses.field(default_factory=list)  # captures not replayed
    # The site as given, when its posts were archived under the spelling their captures use
    # (captured_spelling): `site` is that one.
    given: str | None = None
    # Post URLs captured only as 404/410 and archived as no post: a post deleted before any
    # page of it was captured, which a journalist still needs to know existed.
    gone_only: list[str] = dataclasses.field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.cdx_requests + self.replay_requests

    @property
    def old_blog(self) -> int:
        """Captures of old Wix blog URLs archived as their /post/ post's (importer._BlogMoves)."""
        return self.imported.old_blog

    def to_dict(self) -> dict[str, object]:
        sites = self.imported.to_dict()["sites"]
        return {"site": self.site, "given": self.given, "listed": self.listed,
                "feeds": self.feeds, "already": self.already, "fetched": self.fetched,
                "missing": self.missing,
                "old_blog": self.old_blog,
                "images_listed": self.images_listed, "files_listed": self.files_listed,
                "requests": {"cdx": self.cdx_requests, "replay": self.replay_requests,
                             "retries": self.retries},
                "not_posts": self.imported.not_posts, "cut_short": self.imported.cut_short,
                "missing_captures": self.problems[:100],
                "captured_only_gone": self.gone_only,
                "sites": sites, "errors": self.imported.errors}


def _merge(total: ImportResult, part: ImportResult) -> None:
    for name in ("files", "records", "already", "other_records", "skipped", "not_posts",
                 "cut_short", "unresolved", "old_blog"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.errors += part.errors
    for site, counts in part.sites.items():
        total.sites.setdefault(site, SiteCounts()).add(counts)


def _key(url: str) -> tuple[str, str]:
    """A URL as the CDX server matches it: scheme, `www.` and a trailing slash do not count."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    return (parts.hostname or "").removeprefix("www."), parts.path.rstrip("/")


class _Site:
    """The site's root as the user gave it, and its captures' URLs mapped onto it."""

    def __init__(self, site: str) -> None:
        self.root = site_root(site)
        parts = urlsplit(self.root)
        self.scheme, self.netloc, self.path = parts.scheme, parts.netloc, parts.path
        self.host = (parts.hostname or "").removeprefix("www.")

    def cdx_url(self, path: str) -> str:
        """What the CDX is asked for: host and path, no scheme (matched in SURT form)."""
        return f"{self.netloc}{self.path}{path}"

    def owns(self, url: str) -> bool:
        host, path = _key(url)
        return host == self.host and (path + "/").startswith(self.path)

    def path_word(self, url: str) -> str | None:
        """The word of a /<word>/<slug> or /<word>/YYYY/MM/DD/<slug> path under the site (where
        a renamed /post/ puts posts), with its language's path if it has one ("es/post" for
        /es/post/<slug>); never "post" itself (listed apart) or a listing's sub-path; None
        for any other page."""
        if not self.owns(url):
            return None
        path = urlsplit(url).path
        word = path_word(path[len(self.path):])
        return None if word == "post" or is_listing_path(path) else word

    def canonical(self, url: str) -> str:
        """The capture's URL under the site's root as given (https, www. or not), so captures
        made over http and https, with and without www., archive as one post."""
        parts = urlsplit(url)
        return urlunsplit((self.scheme, self.netloc, parts.path, parts.query, ""))


def captured_spelling(given: str, rows: Iterable[wayback.Row]) -> str:
    """The site root, among the spellings of `given` (http or https, `www.` or not: the
    captures _Site.owns), that most of the post captures `rows` were made at, their 200 pages
    if any; on a tie the nearest `given` (itself, else its host, else its scheme), then as
    one_site prefers (bare, https). The Wayback Machine holds a blog at the address it was
    visited at: a blog served at www.example.com recovered as example.com would otherwise be
    archived at URLs no capture ever used."""
    path = urlsplit(given).path
    rows = list(rows)
    pages = [row for row in rows if row.status == 200] or rows
    counts: collections.Counter[str] = collections.Counter()
    for row in pages:
        parts = urlsplit(row.url)
        scheme = parts.scheme.lower()
        try:
            port = parts.port
        except ValueError:
            continue
        if scheme not in ("http", "https") or not parts.hostname:
            continue
        host = parts.hostname if port in (None, _DEFAULT_PORTS[scheme]) \
            else f"{parts.hostname}:{port}"
        counts[site_root(f"{scheme}://{host}{path}")] += 1
    if not counts:
        return given
    return min(counts, key=lambda root: (-counts[root], spelling_tie_break(root, given)))


def revisited(found: list[tuple[wayback.Row, str]], revisits: Iterable[wayback.Row]
              ) -> list[tuple[wayback.Row, str]]:
    """The revisit records among `revisits` (CDX mimetype `warc/revisit`: a capture whose
    payload was identical to an earlier one, stored once) of the page or 404/410 captures
    `found`, each with the kind and status of the latest capture of its URL before it with
    that payload digest. The CDX gives a revisit no status (the IA `-`, pywb none), but it is
    the archive's visit of that day: the post still there, or still gone, then. A replay of it
    serves the payload it repeats (the archive resolves it), dated the revisit's day. Those
    revisiting nothing listed (a redirect, whose empty payload a 404 may share too) are left
    out."""
    earlier: dict[tuple[tuple[str, str], str], list[tuple[wayback.Row, str]]] = {}
    for row, kind in found:
        earlier.setdefault((_key(row.url), row.digest), []).append((row, kind))
    kept: list[tuple[wayback.Row, str]] = []
    for row in revisits:
        if row.mime.lower() != "warc/revisit" or not row.digest or row.digest == _EMPTY:
            continue
        before = [(r, kind) for r, kind in earlier.get((_key(row.url), row.digest), [])
                  if r.timestamp < row.timestamp]
        if before:
            original, kind = max(before, key=lambda found: found[0].timestamp)
            kept.append((dataclasses.replace(row, status=original.status,
                                             mime=original.mime), kind))
    return kept


def record_id(replay: str, row: wayback.Row) -> str:
    """The same capture of the same archive always gets the same WARC-Record-ID, so an import
    of a spool twice (a killed recover) stores it once."""
    name = wayback.replay_url(replay, row.timestamp, row.url)
    return f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}>"


def spool_dir(db: str | os.PathLike[str]) -> Path:
    return Path(db).with_suffix(".recover")


class _Spool:
    """A WARC of recovered captures awaiting import; each record synced when written."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self.name = f"recover-{stamp}-{os.getpid()}.warc.gz"
        self.path = directory / self.name
        self.handle = self.path.open("ab")
        self.count = 0

    def write(self, target: str, rid: str, memento: wayback.Memento) -> None:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        try:
            reason = HTTPStatus(memento.status).phrase
        except ValueError:
            reason = ""
        writer = WARCWriter(self.handle, gzip=True, warc_version="1.1")
        record = writer.create_warc_record(
            target, "response", payload=io.BytesIO(memento.body), length=len(memento.body),
            # In ASCII as a crawl's capture (captures.ascii_headers): warcio's own escaping
            # rewrites the line.
            http_headers=StatusAndHeaders(f"{memento.status} {reason}".strip(),
                                          captures.ascii_headers(memento.headers),
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Record-ID": rid,
                               "WARC-Date": captures.warc_date(memento.captured_at)})
        writer.write_record(record)
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.count += 1

    def close(self) -> None:
        self.handle.close()


def _cut_torn_tail(path: Path) -> None:
    """A spool whose writer was killed mid-record ends in a torn record (never noted: a
    record is noted once synced): cut it off, so the import reads the file whole."""
    scanned = webarchive.scan(path)[0]
    if scanned.damage:
        end = max((e.location.offset + e.location.length for e in scanned.entries), default=0)
        with path.open("r+b") as handle:
            handle.truncate(end)


class _Recovery:
    def __init__(self, archive: Archive, site: str, replay: str, cdx: str,
                 client: wayback.Client, result: RecoverResult,
                 on_start: Callable[[int], None] | None,
                 progress: Callable[[int], None] | None) -> None:
        self.archive, self.site = archive, _Site(site)
        self.replay, self.cdx, self.client, self.result = replay, cdx, client, result
        self.on_start, self.progress = on_start, progress
        self.directory = spool_dir(archive.path)
        self.spool: _Spool | None = None
        self.client_cdx = 0  # requests made to the CDX server (the rest are replays)
        self.probed_posts: set[tuple[str, str]] = set()  # captures archived by a probe
        # Probes that were posts, archived once the site's spelling is known (spool_probes).
        self.probe_pages: list[tuple[wayback.Row, wayback.Memento]] = []

    # -- the recovered table -------------------------------------------------------------

    def _done(self) -> set[tuple[str, str]]:
        rows = self.archive.conn.execute(
            "SELECT url, timestamp FROM recovered WHERE endpoint = ?", (self.replay,))
        return {(url, stamp) for url, stamp in rows}

    def _note(self, row: wayback.Row, kind: str, rid: str | None, outcome: str,
              spool: str | None) -> None:
        with self.archive.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO recovered (endpoint, url, timestamp, status, digest, "
                "kind, record_id, outcome, spool, recovered_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (self.replay, row.url, row.timestamp, row.status, row.digest, kind, rid,
                 outcome, spool, datetime.now(UTC).isoformat(timespec="seconds")))

    # -- spools --------------------------------------------------------------------------

    def import_left_over(self) -> None:
        """Spools a stopped recover left: imported now (their rows say they were fetched)."""
        names = [n for (n,) in self.archive.conn.execute(
            "SELECT DISTINCT spool FROM recovered WHERE spool IS NOT NULL")]
        for name in names:
            path = self.directory / name
            if path.exists():
                _cut_torn_tail(path)
            self._import(path, name)

    def _import(self, path: Path, name: str) -> None:
        if path.exists():
            _merge(self.result.imported, import_files(self.archive, [path], source=SOURCE))
        with self.archive.transaction() as conn:
            conn.execute("UPDATE recovered SET spool = NULL WHERE spool = ?", (name,))
        path.unlink(missing_ok=True)

    def flush(self) -> None:
        if self.spool is None:
            return
        spool, self.spool = self.spool, None
        spool.close()
        self._import(spool.path, spool.name)

    def store(self, row: wayback.Row, kind: str, target: str) -> wayback.Memento | None:
        """Fetch a capture, spool it and note it; the memento, or None if not replayed."""
        got = self.fetch(row, kind)
        if got is not None and kind != "feed":  # a feed is read for links, not archived
            self.spool_memento(row, kind, target, got)
        return got

    def fetch(self, row: wayback.Row, kind: str) -> wayback.Memento | None:
        """Replay a capture; a feed or probe is noted as read (not archived), a capture not
        replayed as missing."""
        got = wayback.fetch(self.client, self.replay, row)
        self._count()
        if isinstance(got, str):
            self.result.missing += 1
            self.result.problems.append(f"{row.timestamp} {row.url}: {got}")
            self._note(row, kind, None, "missing", None)
            return None
        self.result.fetched += 1
        self.result.fetched_kinds[kind] += 1
        if kind == "feed":
            self._note(row, kind, None, "fetched", None)  # read, not archived
        return got  # a probe is noted by list_by_probing, once it knows what the page is

    def spool_memento(self, row: wayback.Row, kind: str, target: str,
                      got: wayback.Memento) -> None:
        if self.spool is None:
            self.spool = _Spool(self.directory)
        rid = record_id(self.replay, row)
        self.spool.write(target, rid, got)
        self._note(row, kind, rid, "fetched", self.spool.name)
        if self.spool.count >= BATCH:
            self.flush()

    def _count(self) -> None:
        self.result.cdx_requests = self.client_cdx
        self.result.replay_requests = self.client.requests - self.client_cdx
        self.result.retries = self.client.retried

    # -- listing -------------------------------------------------------------------------

    def query(self, params: list[tuple[str, str]]) -> list[wayback.Row]:
        before = self.client.requests
        try:
            return wayback.query(self.client, self.cdx, params)
        finally:
            self.client_cdx += self.client.requests - before
            self._count()

    def list_posts(self, url: str, match: str, is_post: Callable[[str], bool] = is_post_url
                   ) -> list[tuple[wayback.Row, str]]:
        """Captures of post URLs (those `is_post` accepts): 200 HTML pages and 404/410s,
        (row, kind)."""
        scope = [("url", url)] + ([("matchType", match)] if match != "exact" else [])
        found: list[tuple[wayback.Row, str]] = []
        # Not collapsed by the server: it would keep the first of a page's identical captures
        # and lose the newest (collapse() keeps both).
        pages = self.query([*scope, ("filter", "statuscode:200"),
                            ("filter", "mimetype:text/html")])
        found += [(r, "page") for r in pages if r.status == 200 and "html" in r.mime.lower()]
        for status in GONE:
            rows = self.query([*scope, ("filter", f"statuscode:{status}"),
                               ("collapse", "digest")])
            found += [(r, "gone") for r in rows if r.status == status]
        if found:  # a revisit repeats a capture listed here: none without one
            found += revisited(found, self.query([*scope, ("filter", "mimetype:warc/revisit")]))
        return [(r, kind) for r, kind in found if is_post(r.url) and self.site.owns(r.url)]

    def list_from_feeds(self, listed: set[tuple[str, str]]) -> list[tuple[wayback.Row, str]]:
        """Post URLs the feed and sitemaps name that the /post/ listing missed, listed. Every
        feed item and posts-sitemap entry is a post, whatever word its path has for "post"
        (owners can rename it); such a word is then listed whole, for the posts that were
        deleted before the feed and sitemaps were last captured."""
        from crawler.discover.feeds import ParsedFeed
        from crawler.discover.sitemaps import is_posts_sitemap, lists_post

        done = self._done()
        links: set[str] = set()
        queue = [self.site.cdx_url(name) for name in FEEDS]
        asked: set[tuple[str, str]] = set()
        while queue:
            url = queue.pop(0)
            if _key(url) in asked:
                continue
            asked.add(_key(url))
            read = self.read_feed(url, done)
            if isinstance(read, ParsedFeed):
                links.update(item.link for item in read.items)
                continue
            if read is None:
                continue
            sitemap = read
            for entry in sitemap.entries:
                if sitemap.is_index:
                    if is_posts_sitemap(entry.loc) and self.site.owns(entry.loc):
                        queue.append(entry.loc)
                elif lists_post(url, entry.loc):
                    links.add(entry.loc)
                    links.update(entry.translations)  # hreflang alternates: posts of their own
        links = {link for link in links if self.site.owns(link)}
        found: list[tuple[wayback.Row, str]] = []
        words = self._post_words(links)
        for word in sorted(words):
            found += self.list_word(word)
        listed = listed | {_key(r.url) for r, _ in found}
        post_prefix = self.site.path + "post/"
        for link in sorted(links):
            # A link a prefix listing covered (/post/, or a word listed just now) has no
            # capture it missed: asked for alone (3 queries), a post the feed names that was
            # never captured would only cost time.
            covered = self.site.path_word(link) in words or (
                is_post_url(link) and urlsplit(link).path.startswith(post_prefix))
            if not covered and _key(link) not in listed:
                found += self.list_posts(link, "exact", lambda url: True)
        return found

    def read_feed(self, url: str, done: set[tuple[str, str]]
                  ) -> ParsedFeed | ParsedSitemap | None:
        """The latest capture of the feed or sitemap at `url` that is one, read; None when
        none is, or when an earlier recover read it. After a blog lapsed, its feed and sitemap
        URLs answer a parking or "site not found" page with status 200: captures typed HTML
        are passed over, then those that do not parse (their type is not always right), up to
        FEED_TRIES replays."""
        from crawler.discover.feeds import parse_feed
        from crawler.discover.sitemaps import parse_sitemap

        rows = [r for r in self.query([("url", url), ("filter", "statuscode:200"),
                                       ("collapse", "digest")])
                if r.status == 200 and "html" not in r.mime.lower()]
        for row in sorted(rows, key=lambda r: r.timestamp, reverse=True)[:FEED_TRIES]:
            if (row.url, row.timestamp) in done:
                return None  # read by an earlier recover (the later ones were no feed)
            self.result.feeds += 1
            memento = self.store(row, "feed", row.url)
            if memento is None or memento.status != 200:
                continue
            if url.endswith("blog-feed.xml"):
                feed = parse_feed(memento.body)
                if feed.is_feed:
                    return feed
            else:
                sitemap = parse_sitemap(memento.body)
                if sitemap.entries or sitemap.problem is None:
                    return sitemap
        return None

    def list_by_probing(self, listed: set[tuple[str, str]]) -> list[tuple[wayback.Row, str]]:
        """Posts under a path word that neither /post/ nor the feeds gave: an owner renamed
        /post/ and no feed or posts sitemap of the site was ever captured.

        The site's captured HTML pages are grouped by their path word (_Site.path_word:
        /<word>/<slug>, the old blog's dated paths, under a language's path or not). One
        capture of each word, the most used words first, is replayed and extracted, and a
        word whose page is a post is listed whole, its 404s too. Only what the page says
        decides, never the word, so any prefix an owner chose is found. An earlier
        recover's decisions stand: a word whose pages it archived is listed again without a
        probe, and a word it probed is not probed again.
        """
        from crawler.extract import extract_article  # the extractor only: no Scrapy

        rows = self.query([("url", self.site.cdx_url("")), ("matchType", "prefix"),
                           ("filter", "statuscode:200"), ("filter", "mimetype:text/html"),
                           ("collapse", "urlkey")])
        words: dict[str, dict[tuple[str, str], wayback.Row]] = {}
        for row in rows:
            word = self.site.path_word(row.url)
            if (word and row.status == 200 and "html" in row.mime.lower()
                    and _key(row.url) not in listed):
                words.setdefault(word, {}).setdefault(_key(row.url), row)
        archived, probed = set(), set()
        for url, kind in self.archive.conn.execute(
                "SELECT url, kind FROM recovered WHERE endpoint = ? AND (kind = 'page' OR "
                "kind = 'probe' AND outcome = 'fetched')", (self.replay,)):
            (archived if kind == "page" else probed).add(self.site.path_word(url))
        done = self._done()
        post_words = {word for word in words if word in archived}
        undecided = [word for word in words if word not in archived | probed]
        undecided.sort(key=lambda word: (-len(words[word]), word))
        for word in undecided[:MAX_PROBES]:
            # The earliest capture: later ones of a lapsed site are parking pages. One the
            # archive did not replay last time is not asked for again.
            untried = [r for r in words[word].values() if (r.url, r.timestamp) not in done]
            row = min(untried or words[word].values(), key=lambda r: (r.timestamp, r.url))
            got = self.fetch(row, "probe")
            if got is None:
                continue
            content_type = next((v for k, v in got.headers if k.lower() == "content-type"),
                                None)
            try:
                body = captures.Payload(row.url, "", got.status, got.headers, got.body,
                                        content_type).decoded_body()
            except Exception:  # a body that does not decode is no post
                body = None
            if body is not None and extract_article(
                    body, row.url, content_type=content_type).page_kind == "post":
                # Not noted yet: a recover stopped before spool_probes probes it again.
                self.probe_pages.append((row, got))
                post_words.add(word)
            else:
                self._note(row, "probe", None, "fetched", None)  # read, not archived
        return [found for word in sorted(post_words) for found in self.list_word(word)]

    def spool_probes(self) -> None:
        """The probes that were posts, archived under the site's spelling."""
        for row, got in self.probe_pages:
            self.spool_memento(row, "page", self.site.canonical(row.url), got)
            self.probed_posts.add((row.url, row.timestamp))
        self.probe_pages = []

    def settle_spelling(self, rows: Iterable[wayback.Row]) -> None:
        """The site's spelling, before a post is archived: the one archived (an earlier
        crawl, recover or import, under this spelling or a twin of it, as held_root
        finds it, never split), else the one most post captures `rows` were made at
        (captured_spelling), said in the result."""
        given = self.site.root
        held = held_root(self.archive.conn, given) or captured_spelling(given, rows)
        if held != given:
            self.site = _Site(held)
            self.result.site = held
            self.result.given = self.result.given or given

    def gone_only(self, found: Iterable[tuple[wayback.Row, str]]) -> list[str]:
        """The post URLs (as archived: the site's spelling, normalized) of the captures
        `found` that were only ever 404/410s and that the archive holds no post at (an
        earlier crawl's post is marked deleted instead, or lives on), nor at the address the
        blog moved to (Archive.held_posts), nor under its other blog URL (an old
        /single-post/ URL's /post/ one and back: held_at_other_blog_url), nor in another
        letter case of its slug (Archive.held_in_any_case), sorted."""
        kinds: dict[str, set[str]] = {}
        for row, kind in found:
            kinds.setdefault(normalize_url(self.site.canonical(row.url)), set()).add(kind)
        only_gone = [url for url, seen in kinds.items() if seen == {"gone"}]
        held = self.archive.held_posts(only_gone)
        held.update(held_at_other_blog_url(self.archive.conn, only_gone))
        gone = {url for url in only_gone if url not in held}
        return sorted(gone - self.archive.held_in_any_case(gone))

    def list_word(self, word: str) -> list[tuple[wayback.Row, str]]:
        """The captures of the posts at /<word>/<slug> (and /<word>/YYYY/MM/DD/<slug>)."""
        return self.list_posts(self.site.cdx_url(word + "/"), "prefix",
                               lambda url: self.site.path_word(url) == word)

    def _post_words(self, links: set[str]) -> set[str]:
        """The words other than "post" that the site's post paths use: /<word>/<slug>."""
        return {word for link in links if (word := self.site.path_word(link))}

    # -- images, videos and documents ----------------------------------------------------

    def _asked(self, kind: str) -> set[str]:
        """The media URLs of this kind the CDX was asked about by an earlier recover."""
        return {url for (url,) in self.archive.conn.execute(
            "SELECT url FROM recovered WHERE endpoint = ? AND kind = ? AND timestamp = ''",
            (self.replay, kind))}

    def _fetch_media(self, kind: str, chosen: list[tuple[wayback.Row, str]],
                     asked: set[str]) -> None:
        """Fetch and archive the captures chosen, each under its URL as the posts name it;
        then note the URLs asked about, so the next recover asks only for those new by then
        (noted last: a recover stopped before asks again)."""
        if chosen and self.on_start:
            self.on_start(len(chosen))
        for row, target in sorted(chosen, key=lambda chosen: chosen[0].timestamp):
            self.store(row, kind, target)
            if self.progress:
                self.progress(1)
        self.flush()
        for url in sorted(asked):
            self._note(wayback.Row(url, "", None, "", ""), kind, None, "asked", None)

    def recover_images(self) -> None:
        """Captures of the images archived posts use and the archive lacks, and of the
        renditions of them their pages name (`<image>/v1/fill/…`: what a replayed post shows,
        see crawler.page_requisites) that it lacks. A Wix media file is named `<owner
        id>_<hash>~mv2.<ext>`: one prefix query per owner id lists them all, and their
        renditions."""
        from crawler.extract.body import full_size_url
        from crawler.page_requisites import to_fetch as page_requisites

        conn = self.archive.conn
        used = dict(conn.execute(
            "SELECT i.url, EXISTS (SELECT 1 FROM media m WHERE m.url = i.url AND "
            "m.status = 'stored') FROM images i JOIN posts p ON p.id = i.post_id "
            "JOIN sites s ON s.id = p.site_id WHERE s.url = ? GROUP BY i.url",
            (self.site.root,)).fetchall())
        asked = self._asked("image")
        wanted = {url for url, stored in used.items() if not stored and url not in asked}
        shown = page_requisites(conn, captures.captures_dir(self.archive.path),
                                self.site.root, limit=None)[0]
        renditions = {_key(url): url for url in shown if url not in asked
                      and (full_size_url(url) or url) in used and full_size_url(url) != url}
        shown_renditions = set(renditions.values())
        groups: set[str] = set()
        for url in wanted | shown_renditions:
            match = _MEDIA.match(urlsplit(url).path)
            if match is not None:
                name = match.group(1)
                prefix = name.split("_", 1)[0] + "_" if "_" in name else name
                groups.add(f"{urlsplit(url).netloc}/media/{prefix}")
        done = self._done()
        chosen: list[tuple[wayback.Row, str]] = []
        for query in sorted(groups):
            rows = self.query([("url", query), ("matchType", "prefix"),
                               ("filter", "statuscode:200"), ("collapse", "digest")])
            best: dict[str, wayback.Row] = {}  # image or rendition URL -> its capture
            for row in rows:
                if row.status != 200 or not row.mime.lower().startswith("image/"):
                    continue
                rendition = renditions.get(_key(row.url))
                if rendition is not None and (rendition not in best or
                                              row.timestamp > best[rendition].timestamp):
                    best[rendition] = row  # the latest capture of a size a page shows
                full = full_size_url(row.url) or row.url
                full = urlunsplit(("https", "static.wixstatic.com", urlsplit(full).path, "", ""))
                if full not in wanted:
                    continue
                held = best.get(full)
                # The upload itself before any rendition of it, then a rendition a page names
                # (fetched anyway), then the latest.
                rank = (_key(row.url) == _key(full), rendition is not None, row.timestamp)
                if held is None or rank > (_key(held.url) == _key(full),
                                           _key(held.url) in renditions, held.timestamp):
                    best[full] = row
            # An upload is archived under the URL captured, a rendition under the URL its page
            # names (a replay asks for that one); a capture standing for both is fetched once,
            # and the import links it to both.
            picked: dict[tuple[str, str], tuple[wayback.Row, str]] = {}
            for url, row in best.items():
                capture = (row.url, row.timestamp)
                if url in shown_renditions or capture not in picked:
                    picked[capture] = (row, url if url in shown_renditions else row.url)
            self.result.images_listed += len(picked)
            chosen += [found for capture, found in picked.items() if capture not in done]
        self._fetch_media("image", chosen, wanted | shown_renditions)

    def recover_files(self) -> None:
        """Captures of the videos and documents archived posts link (the attachments table's
        files) and the archive lacks, the latest of each, archived under the URL the post
        links. One prefix query per folder: a site's documents share `/_files/ugd/`."""
        asked = self._asked("file")
        wanted = {url for (url,) in self.archive.conn.execute(
            "SELECT DISTINCT a.url FROM attachments a JOIN posts p ON p.id = a.post_id "
            "JOIN sites s ON s.id = p.site_id WHERE s.url = ? AND a.is_file = 1 AND "
            "(a.url LIKE 'http://%' OR a.url LIKE 'https://%') AND NOT EXISTS "
            "(SELECT 1 FROM media m WHERE m.url = a.url AND m.status = 'stored')",
            (self.site.root,)) if url not in asked}
        groups: dict[str, dict[tuple[str, str], str]] = {}  # folder -> key -> URL
        for url in wanted:
            parts = urlsplit(url)
            folder = f"{parts.netloc}{parts.path.rsplit('/', 1)[0]}/"
            groups.setdefault(folder, {})[_key(url)] = url
        done = self._done()
        chosen: list[tuple[wayback.Row, str]] = []
        for folder, urls in sorted(groups.items()):
            rows = self.query([("url", folder), ("matchType", "prefix"),
                               ("filter", "statuscode:200"), ("collapse", "digest")])
            latest: dict[str, wayback.Row] = {}
            for row in rows:
                url = urls.get(_key(row.url))
                if url is not None and row.status == 200 and "html" not in row.mime.lower() \
                        and (url not in latest or row.timestamp > latest[url].timestamp):
                    latest[url] = row
            self.result.files_listed += len(latest)
            chosen += [(row, url) for url, row in latest.items()
                       if (row.url, row.timestamp) not in done]
        self._fetch_media("file", chosen, wanted)


def recover(archive: Archive, site: str, *, replay: str = wayback.IA_REPLAY,
            cdx: str | None = None, client: wayback.Client | None = None,
            images: bool = True,
            on_start: Callable[[int], None] | None = None,
            progress: Callable[[int], None] | None = None,
            into: RecoverResult | None = None) -> RecoverResult:
    """Recover the posts of `site` that the archive at `replay` holds into `archive`.
    Raises wayback.WaybackError when the archive cannot be used (what was done is kept),
    ArchiveError at once for an archive opened read-only.
    `into`, when given, is filled as the recover goes: the caller has what was done even when
    it raises or is interrupted."""
    archive.ensure_writable()  # before a request, or a spool written beside it to import
    replay = replay if replay.endswith("/") else replay + "/"
    cdx = cdx or wayback.cdx_for(replay)
    client = client or wayback.Client()
    result = RecoverResult(site_root(site)) if into is None else into
    run = _Recovery(archive, site, replay, cdx, client, result, on_start, progress)
    lock = _lock(run.directory)
    captures.recover(archive.conn, captures.captures_dir(archive.path))
    run.import_left_over()
    try:
        found = run.list_posts(run.site.cdx_url("post/"), "prefix")
        listed = {_key(r.url) for r, _ in found}
        found += run.list_from_feeds(listed)
        found += run.list_by_probing(listed | {_key(r.url) for r, _ in found})
        run.settle_spelling(r for r, _ in found)
        run.spool_probes()
        rows = {(r.url, r.timestamp): (r, kind) for r, kind in found}
        kinds = {(r.url, r.timestamp): kind for r, kind in rows.values()}
        # Each URL's captures in time order, adjacent identical ones once (pages and 404s
        # together, so a page captured again after a 404 still counts).
        kept = list(wayback.collapse([r for r, _ in rows.values()]))
        result.listed = len(kept)
        done = run._done()
        todo = [r for r in kept if (r.url, r.timestamp) not in done]
        result.already = sum((r.url, r.timestamp) in done and (r.url, r.timestamp) not in
                             run.probed_posts for r in kept)
        if on_start:
            on_start(len(todo))
        for row in todo:
            kind = kinds[(row.url, row.timestamp)]
            run.store(row, kind, run.site.canonical(row.url))
            if progress:
                progress(1)
        run.flush()
        result.gone_only = run.gone_only(found)
        if images:
            run.recover_images()
        run.recover_files()
    except wayback.WaybackError:
        run.flush()  # what was fetched is archived before the error is reported
        raise
    finally:
        if run.spool is not None:
            run.spool.close()  # noted rows name it: the next recover imports it
        run._count()
        lock.close()
    return result


def _lock(directory: Path) -> IO[bytes]:
    """One recover at a time per archive: another would import (and delete) the spool this
    one is still writing."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = (directory / "lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise RecoverBusy(f"another recover is running on this archive ({directory})") from None
    return handle


def missing_collection(client: wayback.Client, replay: str, cdx: str | None) -> str | None:
    """Why a recover that listed nothing may be at the wrong address: a pywb asked for a
    collection it does not have answers an empty listing, and its replay base a 404. None when
    the address answers (the archive holds no post of the site) or a CDX address was given."""
    if cdx is not None:
        return None
    try:
        answer = client.get(replay, "the Wayback server")
    except wayback.WaybackError:
        return None
    if answer is not None and answer.status == 404:
        return (f"{replay} answers HTTP 404: no such collection in this web archive "
                "(is the collection name in --from right?)")
    return None


class RecoverBusy(Exception):
    """Another recover holds the archive's spool folder."""
