"""Writing fetched posts in batches: the body of Archive.save_article and Archive.save_articles.

A batch is prepared in Python (hashes, JSON, compressed version records, new post ids) and then
written with one executemany per table instead of ~16 statements per post: at ~600-word posts
that halves the cost of everything besides the full-text index. It runs inside the caller's
transaction, so a crash leaves either the whole batch or none of it.

Post ids of new posts are assigned here (max(id) + 1 onwards, what SQLite would pick): the batch
runs under the write lock and posts are never removed, so no other writer can take them.

A version record (post_versions.record, the whole Article) leaves out the three body texts while
it is the current version: they are the posts row's body, body_html and body_markdown, and
writing them twice cost a third of a save (JSON, zlib, bytes). When a post changes, its previous
version's record gets them back from the posts row before the row is overwritten, in the same
transaction; Archive.versions() puts them into the current one when reading.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from archive.chunked import in_chunks
from archive.schema import MARKED, UNMARKED_COLUMNS, index_later, index_unmarked
from archive.search.bigrams import index_text as cjk_index_text
from archive.search.bigrams import word_count
from archive.search.marks import has_script, unmarked
from archive.search.names import name_case, unique_names
from crawler.discover.urls import site_root

if TYPE_CHECKING:
    from crawler.extract.record import Article

# Columns written for every new or changed post, in this order.
POST_COLUMNS = (
    "site_id", "wix_post_id", "title", "author", "published", "modified", "reading_minutes",
    "language", "canonical_url", "description", "cover_image", "tags", "categories", "body",
    "body_html", "body_markdown", "word_count", "warnings", "content_hash", "last_seen",
    "last_changed", "deleted_at", "lastmod", "etag", "http_last_modified", "version", "cjk_title",
    "cjk", "recorded_at", *UNMARKED_COLUMNS,
)
_INSERT_POST = (f"INSERT INTO posts (id, url, first_seen, {', '.join(POST_COLUMNS)}) "
                f"VALUES ({', '.join('?' * (len(POST_COLUMNS) + 3))})")
_UPDATE_POST = f"UPDATE posts SET {', '.join(f'{c} = ?' for c in POST_COLUMNS)} WHERE id = ?"
_LOOKUP_CHUNK = 500  # bound parameters per `IN (...)` lookup
PREP_CHUNK = 500  # posts prepared in one go while the previous ones are written
# Article fields that a current version's record leaves in the posts row, and their columns there.
TEXT_FIELDS = {"body_text": "body", "body_html": "body_html", "body_markdown": "body_markdown"}
TEXT_IN_POST = "_text_in_post"  # the key marking such a record
T = TypeVar("T")


class Fetch(NamedTuple):
    """One fetched post and what the crawl learnt about it (validators for the next crawl)."""

    article: Article
    fetched_at: str
    lastmod: str | None = None
    etag: str | None = None
    http_last_modified: str | None = None
    capture: str | None = None  # the WARC-Record-ID of the capture it was extracted from
    source: str = "crawl"  # what made the version: crawl, recover, import or reextract
    # Fetched again because the current version's capture was lost (archive.lost_captures):
    # unchanged, that version names this fetch's capture instead.
    recapture: bool = False
    # When the post was found gone from its site: a fetch finds it there (None); a
    # re-extraction reads a capture, not the site, and keeps what the crawls found.
    deleted_at: str | None = None
    # The URL the post is archived at on the host its site moved from (a crawl following the
    # move): that post takes the new URL, its versions kept, rather than a second post.
    moved_from: str | None = None


def utc_now() -> str:
    """Now, UTC, to the second, as the archive writes its times: the archive's own clock,
    which dates when it stored a change (posts.recorded_at, post_versions.stored_at)."""
    from datetime import UTC, datetime  # write path only: kept off the search command's imports

    return datetime.now(UTC).isoformat(timespec="seconds")


def _name_ids(conn: sqlite3.Connection, table: str, names: Iterable[str],
              known: dict[str, int]) -> dict[str, int]:
    """Ids of tag or category names, adding new ones in order; `known` caches them over a batch.
    A name is the archived one whose `name_case` key it shares (çay is Çay, straße STRASSE),
    spelled as first archived."""
    new = [name for name in dict.fromkeys(names) if name not in known]
    keys = {name: name_case(name) for name in new}
    conn.executemany(f"INSERT OR IGNORE INTO {table} (name, key) VALUES (?, ?)", keys.items())
    known.update((name, conn.execute(f"SELECT id FROM {table} WHERE key = ?",
                                     (key,)).fetchone()[0]) for name, key in keys.items())
    return known


def _known(conn: sqlite3.Connection, urls: list[str]) -> dict[str, tuple[int, str, int]]:
    known: dict[str, tuple[int, str, int]] = {}
    for start in range(0, len(urls), _LOOKUP_CHUNK):
        chunk = urls[start:start + _LOOKUP_CHUNK]
        known.update((url, (post_id, digest, version)) for url, post_id, digest, version in
                     conn.execute("SELECT url, id, content_hash, version FROM posts "
                                  f"WHERE url IN ({','.join('?' * len(chunk))})", chunk))
    return known


def _follow_moves(conn: sqlite3.Connection, fetches: Sequence[Fetch], recorded: str) -> None:
    """Posts archived at the address their site moved from, fetched at the new one: each row
    takes its new URL (none already has it), so the fetch is that post's, unchanged or a new
    version of it, and its earlier versions stay with it (their captures keep the old URL).
    The new URL is a change recorded (`recorded`), which `export --changed-since` takes."""
    moves = [(f.article.url, recorded, f.moved_from, f.article.url) for f in fetches
             if f.moved_from and f.moved_from != f.article.url]
    if moves:
        conn.executemany("UPDATE posts SET url = ?, recorded_at = ? WHERE url = ? AND NOT "
                         "EXISTS (SELECT 1 FROM posts WHERE url = ?)", moves)


def _runs(fetches: Sequence[Fetch]) -> Iterable[Sequence[Fetch]]:
    """Split where a URL comes back, so each part has distinct URLs and parts apply in order."""
    start, urls = 0, set()
    for i, fetch in enumerate(fetches):
        if fetch.article.url in urls:
            yield fetches[start:i]
            start, urls = i, set()
        urls.add(fetch.article.url)
    yield fetches[start:]


def save_batch(conn: sqlite3.Connection, fetches: Sequence[Fetch], run_id: int | None,
               site_id: Callable[[str, str | None, str], int]) -> list[str]:
    """Store the fetches in order; each outcome is 'new', 'changed' or 'unchanged'.

    Inside the caller's write transaction: the time recorded for what it changes
    (posts.recorded_at) is read once the write lock is held, so a later one is never committed
    before an earlier one, and a reader's newest recorded_at covers all it cannot see yet."""
    outcomes: list[str] = []
    recorded = utc_now()
    for part in _runs(fetches):
        outcomes += _save_distinct(conn, part, run_id, site_id, recorded)
    return outcomes


class _Prepared(NamedTuple):
    """The rows one chunk of a batch writes, table by table (see _prepare)."""

    outcomes: list[str]
    touched: list[tuple[Any, ...]]
    inserts: list[list[Any]]
    updates: list[list[Any]]
    versions: list[tuple[Any, ...]]
    links: list[tuple[int, list[str], list[str], list[tuple[int, str, int]]]]
    attachments: list[tuple[Any, ...]]  # attachments rows of new, changed and relinked posts
    relinked: list[tuple[int, str]]  # unchanged posts whose attachments are written anew,
    # with when the archive stores them (the attachments may differ: _relink)
    recaptured: list[tuple[str, int, int]]  # (capture, post id, version) replacing a lost one
    marked: list[int]  # new or changed posts written with Hebrew or Arabic vowel marks
    hebrew_arabic: list[tuple[int]]  # those with Hebrew or Arabic text without marks


def _save_distinct(conn: sqlite3.Connection, fetches: Sequence[Fetch], run_id: int | None,
                   site_id: Callable[[str, str | None, str], int], recorded: str) -> list[str]:
    # Everything read from the database is read first; preparing rows is then pure Python, and
    # the next chunk's is prepared in a thread while this chunk's posts are full-text indexed:
    # one long SQLite statement during which sqlite3 releases the GIL, so the two share the
    # machine's cores. Only beside that statement: a thread running beside the many short
    # statements of an executemany would take the GIL back at each row and slow both down.
    from concurrent.futures import Future, ThreadPoolExecutor

    if not fetches:
        return []
    _follow_moves(conn, fetches, recorded)
    known = _known(conn, [f.article.url for f in fetches])
    next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM posts").fetchone()[0]
    sites: dict[tuple[str, str | None], int] = {}
    for fetch in fetches:
        # One lookup per site and name in the batch (site_id also records a renamed site).
        key = (_site_root(fetch.article.url), fetch.article.site_name)
        if key not in sites:
            sites[key] = site_id(fetch.article.url, fetch.article.site_name, fetch.fetched_at)
    chunks, first_ids = [], []
    for start in range(0, len(fetches), PREP_CHUNK):
        chunk = fetches[start:start + PREP_CHUNK]
        chunks.append(chunk)
        first_ids.append(next_id)
        next_id += sum(f.article.url not in known for f in chunk)
    outcomes: list[str] = []
    names: dict[str, dict[str, int]] = {"tags": {}, "categories": {}}
    with ThreadPoolExecutor(max_workers=1) as pool:

        def prepare_later(number: int) -> Future[_Prepared] | None:
            if number >= len(chunks):
                return None
            return pool.submit(_prepare, chunks[number], known, sites, first_ids[number], run_id,
                               recorded)

        prepared = _prepare(chunks[0], known, sites, first_ids[0], run_id, recorded)
        for number in range(len(chunks)):
            following = _write(conn, prepared, names, lambda n=number + 1: prepare_later(n))
            outcomes += prepared.outcomes
            if following is not None:
                prepared = following.result()
    return outcomes


def _site_root(url: str) -> str:
    # site_root() parses the whole URL (~50 µs); its result depends on the scheme, host and
    # first path segment only, so URLs sharing those share one call.
    parts = url.split("/", 4)
    return _cached_site_root(url if len(parts) < 5 else "/".join(parts[:4]) + "/")


_cached_site_root = lru_cache(maxsize=4096)(site_root)


def _prepare(fetches: Sequence[Fetch], known: dict[str, tuple[int, str, int]],
             sites: dict[tuple[str, str | None], int], next_id: int,
             run_id: int | None, recorded: str) -> _Prepared:
    """The rows for these fetches (distinct URLs); new posts get ids from `next_id` on;
    `recorded`: when the archive stores them (a fetch's date is when its page was fetched)."""
    prepared = _Prepared([], [], [], [], [], [], [], [], [], [], [])
    for fetch in fetches:
        article, now = fetch.article, fetch.fetched_at
        digest = article.content_hash()
        row = known.get(article.url)
        if row is not None and row[1] == digest:
            prepared.touched.append((now, fetch.lastmod, fetch.etag, fetch.http_last_modified,
                                     recorded, row[0], article.modified))
            if fetch.recapture and fetch.capture:
                # Unchanged, fetched again because its capture was lost: told apart in the
                # run's counts, as `recaptured`.
                prepared.recaptured.append((fetch.capture, row[0], row[2]))
                prepared.outcomes.append("recaptured")
            else:
                prepared.outcomes.append("unchanged")
            if article.attachments:
                # Unchanged content can still bring attachments an older extractor did not
                # record (an archive from before v12): they are rewritten, few and cheap.
                prepared.relinked.append((row[0], recorded))
                prepared.attachments.extend(_attachment_rows(row[0], article))
            continue
        tags, categories = unique_names(article.tags), unique_names(article.categories)
        version = 1 if row is None else row[2] + 1
        tags_json = json.dumps(tags, ensure_ascii=False)
        categories_json = json.dumps(categories, ensure_ascii=False)
        indexed = (article.title, article.body_text, article.author, tags_json, categories_json)
        without_marks = [unmarked(text) for text in indexed]
        values = [
            sites[_site_root(article.url), article.site_name], article.post_id, article.title,
            article.author, article.published, article.modified, article.reading_minutes,
            article.language, article.canonical_url, article.description, article.cover_image,
            tags_json, categories_json, article.body_text, article.body_html, article.body_markdown,
            word_count(article.body_text), json.dumps(article.warnings, ensure_ascii=False),
            digest, now, now, fetch.deleted_at, fetch.lastmod, fetch.etag,
            fetch.http_last_modified, version,
            cjk_index_text((article.title,)),
            cjk_index_text((article.author, *tags, *categories, article.body_text)),
            recorded,
            # in schema.FTS_COLUMNS' order: Hebrew and Arabic text without its vowel marks
            *without_marks, MARKED if any(without_marks) else None,
        ]
        if row is None:
            post_id, next_id = next_id, next_id + 1
            prepared.inserts.append([post_id, article.url, now, *values])
            prepared.outcomes.append("new")
        else:
            post_id = row[0]
            prepared.updates.append([*values, post_id])
            prepared.outcomes.append("changed")
        if any(without_marks):
            prepared.marked.append(post_id)
        elif has_script(indexed):
            prepared.hebrew_arabic.append((post_id,))
        prepared.versions.append((post_id, version, run_id, now, digest, article.title,
                                  compact_record(article), fetch.capture, fetch.source,
                                  recorded))
        images = [(0, article.cover_image, 1)] if article.cover_image else []
        images += [(i, url, 0) for i, url in enumerate(article.images, start=1)]
        prepared.links.append((post_id, tags, categories, images))
        prepared.attachments.extend(_attachment_rows(post_id, article))
    return prepared


def relink_attachments(conn: sqlite3.Connection, posts: Sequence[tuple[int, Article]]) -> None:
    """Write anew the attachments rows of posts whose content did not change (re-extraction
    of an archive from before v12 records them without a new version)."""
    recorded = utc_now()
    _relink(conn, {post_id: recorded for post_id, _ in posts},
            [row for post_id, article in posts for row in _attachment_rows(post_id, article)])


def refresh_texts(conn: sqlite3.Connection,
                  posts: Sequence[tuple[int, str, str, str]]) -> int:
    """The current text, Markdown and word count of posts whose content did not change, as
    today's extractor writes them: (post id, the content_hash read, body_text, body_markdown),
    and the search indexes' copies of that text (the bigrams of its CJK runs, the text without
    Hebrew and Arabic marks). A post whose content changed since it was read is left to
    whoever changed it. Returns how many posts were rewritten."""
    if not posts:
        return 0
    marked = [unmarked(text) is not None for _, _, text, _ in posts]
    recorded = utc_now()  # what an export writes of them changed
    holds_marks = conn.execute(
        "SELECT 1 FROM posts WHERE unmarked_index = ? LIMIT 1", (MARKED,)).fetchone() is not None
    first_marks = any(marked) and not holds_marks
    # posts.cjk holds the bigrams of the author, tags, categories and body together (_prepare).
    placeholders = ",".join("?" * len(posts))
    others = {post_id: (author, *json.loads(tags or "[]"), *json.loads(categories or "[]"))
              for post_id, author, tags, categories in conn.execute(
                  f"SELECT id, author, tags, categories FROM posts WHERE id IN ({placeholders})",
                  [post_id for post_id, _, _, _ in posts])}
    cursor = conn.executemany(  # its rowcount: the posts rows updated, no trigger's
        "UPDATE posts SET body = ?, body_markdown = ?, word_count = ?, cjk = ?, "
        "unmarked_body = ?, unmarked_index = CASE WHEN ? THEN ? "
        "WHEN ? THEN coalesce(unmarked_index, 1) ELSE unmarked_index END, recorded_at = ? "
        "WHERE id = ? AND content_hash = ? AND (body IS NOT ? OR body_markdown IS NOT ?)",
        [(text, markdown, word_count(text), cjk_index_text((*others[post_id], text)),
          unmarked(text), has_marks, MARKED, holds_marks and has_script((text,)), recorded,
          post_id, digest, text, markdown)
         for (post_id, digest, text, markdown), has_marks in zip(posts, marked, strict=True)
         if post_id in others])
    if first_marks:
        index_unmarked(conn)  # as _write does for the first post written with marks
    return max(cursor.rowcount, 0)


def _replace_attachments(conn: sqlite3.Connection, post_ids: Sequence[tuple[int]],
                         rows: Sequence[tuple[Any, ...]]) -> None:
    conn.executemany("DELETE FROM attachments WHERE post_id = ?", post_ids)
    conn.executemany("INSERT INTO attachments (post_id, position, url, kind, content_type, "
                     "is_file) VALUES (?, ?, ?, ?, ?, ?)", rows)


def _relink(conn: sqlite3.Connection, recorded: dict[int, str],
            rows: Sequence[tuple[Any, ...]]) -> None:
    """The attachments rows of unchanged posts (`recorded`: post id -> when the archive
    stores them) written anew where they differ from those held (an archive from before v12
    held none; a re-extraction may find more): what an export writes of such a post changed,
    so its recorded_at moves, and an incremental export (`--changed-since`) takes it. The
    same rows are left as they are: a re-crawl of an unchanged post changes nothing."""
    if not recorded:
        return
    held: dict[int, list[tuple[Any, ...]]] = {}
    for row in in_chunks(conn, "SELECT post_id, position, url, kind, content_type, is_file "
                         "FROM attachments WHERE post_id IN ({marks}) ORDER BY post_id, position",
                         list(recorded)):
        held.setdefault(row[0], []).append(tuple(row))
    given: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        given.setdefault(row[0], []).append(tuple(row))
    moved = [post_id for post_id in recorded if held.get(post_id, []) != given.get(post_id, [])]
    _replace_attachments(conn, [(post_id,) for post_id in moved],
                         [row for post_id in moved for row in given.get(post_id, [])])
    conn.executemany("UPDATE posts SET recorded_at = ? WHERE id = ?",
                     [(recorded[post_id], post_id) for post_id in moved])


def _attachment_rows(post_id: int, article: Article) -> list[tuple[Any, ...]]:
    return [(post_id, position, item["url"], item["kind"], item.get("content_type"),
             int(bool(item.get("is_file", True))))
            for position, item in enumerate(article.attachments, start=1)]


def _instant(date: str) -> str:
    """SQL for the julian day of ISO date `date` (an SQL expression), its offset written
    without the colon too (+0200, as a page's meta may give it: kept as given, its time after
    a T or a space), which julianday reads as no date; a month or a year alone from its first
    day."""
    return (f"julianday(CASE WHEN {date} GLOB '*[T ]*[+-][0-9][0-9][0-9][0-9]' THEN "
            f"substr({date}, 1, length({date}) - 2) || ':' || substr({date}, -2) "
            f"WHEN length({date}) = 4 THEN {date} || '-01-01' "
            f"WHEN length({date}) = 7 THEN {date} || '-01' ELSE {date} END)")


_LATER_MODIFIED = (f"?7 IS NOT NULL AND (modified IS NULL OR "
                   f"{_instant('?7')} > {_instant('modified')})")
_TOUCH_POST = (
    "UPDATE posts SET last_seen = ?1, lastmod = ?2, etag = ?3, http_last_modified = ?4, "
    f"recorded_at = CASE WHEN deleted_at IS NOT NULL OR {_LATER_MODIFIED} THEN ?5 "
    f"ELSE recorded_at END, modified = CASE WHEN {_LATER_MODIFIED} THEN ?7 ELSE modified END, "
    "deleted_at = NULL WHERE id = ?6")


def _write(conn: sqlite3.Connection, prepared: _Prepared, names: dict[str, dict[str, int]],
           beside_indexing: Callable[[], T]) -> T:
    """Write one chunk; `beside_indexing` is called just before its new posts are indexed."""
    with index_later(conn):
        first_marks = _flag_unmarked(conn, prepared)
        conn.executemany(_INSERT_POST, prepared.inserts)
        # A post found deleted and now seen again: its return is a change recorded. So is a
        # later "Updated:" date on unchanged content (content_hash leaves it out: no version),
        # kept as `show` and the exports print it; an earlier capture's never takes it back.
        conn.executemany(_TOUCH_POST, prepared.touched)
        conn.executemany("UPDATE post_versions SET capture = ? WHERE post_id = ? AND version = ?",
                         prepared.recaptured)
        changed = [(values[-1],) for values in prepared.updates]
        complete_previous(conn, [post_id for (post_id,) in changed])
        conn.executemany(_UPDATE_POST, prepared.updates)
        for table in ("post_tags", "post_categories", "images"):
            conn.executemany(f"DELETE FROM {table} WHERE post_id = ?", changed)
        relinked = dict(prepared.relinked)
        _replace_attachments(conn, changed, [row for row in prepared.attachments
                                             if row[0] not in relinked])
        _relink(conn, relinked, [row for row in prepared.attachments if row[0] in relinked])
        conn.executemany(
            "INSERT INTO post_versions (post_id, version, run_id, fetched_at, content_hash, "
            "title, record, capture, source, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            prepared.versions)
        _write_links(conn, prepared.links, names)
        if first_marks:
            index_unmarked(conn)
        return beside_indexing()


def _flag_unmarked(conn: sqlite3.Connection, prepared: _Prepared) -> bool:
    """The chunk's posts with Hebrew or Arabic text but no marks are flagged for posts_unmarked
    too (its insert or update trigger indexes them) when the archive holds a post written with
    marks; True when this chunk brings the first such posts, which put every archived one
    there (schema.index_unmarked, once the chunk is written). Until then they are in the main
    index alone, which holds their words as they are: an archive without marks is stored and
    searched as before, at the same speed."""
    if not prepared.marked and not prepared.hebrew_arabic:
        return False
    if conn.execute("SELECT 1 FROM posts WHERE unmarked_index = ? LIMIT 1",
                    (MARKED,)).fetchone() is None:
        return bool(prepared.marked)
    flagged = {post_id for (post_id,) in prepared.hebrew_arabic}
    for row in prepared.inserts:  # [id, url, first_seen, *values]: the flag last
        if row[0] in flagged:
            row[-1] = 1
    for row in prepared.updates:  # [*values, id]
        if row[-1] in flagged:
            row[-2] = 1
    return False


def compact_record(article: Article) -> bytes:
    """The version record of a current version: the Article without the posts row's texts."""
    # vars(), not to_dict(): the same fields without asdict()'s deep copy.
    fields = {k: v for k, v in vars(article).items() if k not in TEXT_FIELDS}
    fields[TEXT_IN_POST] = True
    record = json.dumps(fields, ensure_ascii=False).encode("utf-8")
    return zlib.compress(record, 1)  # level 1: 4x faster than 6, ~10% larger


def full_record(record: bytes, texts: dict[str, str]) -> dict[str, Any]:
    """A stored record as the Article dict; `texts` maps posts columns to the current texts."""
    data = json.loads(zlib.decompress(record))
    if data.pop(TEXT_IN_POST, False):
        data.update((field, texts[column]) for field, column in TEXT_FIELDS.items())
    return data


def complete_previous(conn: sqlite3.Connection, post_ids: list[int]) -> None:
    """Give the current version records of these posts their texts, before the posts change."""
    cols = ", ".join(TEXT_FIELDS.values())
    for post_id in post_ids:
        row = conn.execute(
            f"SELECT v.id, v.record, {cols} FROM posts p JOIN post_versions v "
            "ON v.post_id = p.id AND v.version = p.version WHERE p.id = ?", (post_id,)).fetchone()
        if row is None:
            continue
        data = json.loads(zlib.decompress(row[1]))
        if not data.pop(TEXT_IN_POST, False):
            continue  # written before v5: complete already
        data.update(zip(TEXT_FIELDS, tuple(row)[2:], strict=True))
        record = json.dumps(data, ensure_ascii=False).encode("utf-8")
        conn.execute("UPDATE post_versions SET record = ? WHERE id = ?",
                     (zlib.compress(record, 1), row[0]))


def _write_links(conn: sqlite3.Connection,
                 links: list[tuple[int, list[str], list[str], list[tuple[int, str, int]]]],
                 names: dict[str, dict[str, int]]) -> None:
    tag_ids = _name_ids(conn, "tags", (n for _, tags, _, _ in links for n in tags),
                        names["tags"])
    category_ids = _name_ids(conn, "categories", (n for _, _, cats, _ in links for n in cats),
                             names["categories"])
    conn.executemany(
        "INSERT INTO post_tags (post_id, tag_id, position) VALUES (?, ?, ?)",
        [(post_id, tag_ids[name], i) for post_id, tags, _, _ in links
         for i, name in enumerate(tags)])
    conn.executemany(
        "INSERT INTO post_categories (post_id, category_id, position) VALUES (?, ?, ?)",
        [(post_id, category_ids[name], i) for post_id, _, cats, _ in links
         for i, name in enumerate(cats)])
    conn.executemany(
        "INSERT INTO images (post_id, position, url, is_cover) VALUES (?, ?, ?, ?)",
        [(post_id, *image) for post_id, _, _, images in links for image in images])


def save_earlier(conn: sqlite3.Connection, post_id: int, fetch: Fetch) -> str:
    """A capture older than the post's newest version (an older web archive imported after a
    newer one), put where its date belongs in the post's history; the posts row, which is the
    newest version, is left as it is. Returns 'unchanged' (the version before it in time has
    this content), 'earlier' (the version after it does: that version is now dated from this
    older capture), 'inserted' (a version of its own; later ones are renumbered) or 'older'
    (newer than every version but older than the post's last sighting, which confirmed the
    newest version after it: where its content belongs cannot be told, so it is left out)."""
    digest = fetch.article.content_hash()
    rows = conn.execute("SELECT id, version, fetched_at, content_hash FROM post_versions "
                        "WHERE post_id = ? ORDER BY version", (post_id,)).fetchall()
    before = [row for row in rows if row[2] <= fetch.fetched_at]
    after = [row for row in rows if row[2] > fetch.fetched_at]
    if before and before[-1][3] == digest:
        return "unchanged"
    if not after:
        return "older"
    # The post's history changed now, though dated before its newest version.
    recorded = utc_now()
    conn.execute("UPDATE posts SET first_seen = min(first_seen, ?), recorded_at = ? WHERE id = ?",
                 (fetch.fetched_at, recorded, post_id))
    if after and after[0][3] == digest:
        conn.execute("UPDATE post_versions SET fetched_at = ?, capture = ?, source = ?, "
                     "stored_at = ? WHERE id = ?", (fetch.fetched_at, fetch.capture,
                                                    fetch.source, recorded, after[0][0]))
        return "earlier"
    number = len(before) + 1
    # Two steps: UNIQUE (post_id, version) is checked row by row during an UPDATE.
    conn.execute("UPDATE post_versions SET version = -version - 1 WHERE post_id = ? "
                 "AND version >= ?", (post_id, number))
    conn.execute("UPDATE post_versions SET version = -version WHERE post_id = ? "
                 "AND version < 0", (post_id,))
    conn.execute("UPDATE posts SET version = version + 1 WHERE id = ?", (post_id,))
    article = fetch.article
    record = zlib.compress(json.dumps(vars(article), ensure_ascii=False).encode("utf-8"), 1)
    conn.execute(
        "INSERT INTO post_versions (post_id, version, run_id, fetched_at, content_hash, title, "
        "record, capture, source, stored_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)",
        (post_id, number, fetch.fetched_at, digest, article.title, record, fetch.capture,
         fetch.source, recorded))
    return "inserted"
