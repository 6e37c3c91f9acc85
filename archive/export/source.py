"""Which posts an export reads, through the Archive API, one at a time.

`Archive` has no way to list posts yet: the queries here belong in archive/store.py (as
`Archive.post_ids(site=None)`) once that file is free to change. Everything is a generator over
an SQLite cursor, so an export of a million posts never holds a million of anything.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from archive import site_match
from archive.attachments import of_post, of_shown_version
from archive.export.wxr import wp_instant
from archive.schedule.locks import shown_status
from archive.search.languages import language_code, language_problem
from archive.search.names import name_case
from archive.search.query import (
    SearchError,
    SearchQuery,
    filters_for,
    is_date,
    register_functions,
    values,
)
from archive.store import Archive
from archive.versions import (
    RECOVERABLE_SOURCES,
    VERSION_FIELDS,
    as_post,
    recovered_captures,
)


def matching_sites(archive: Archive, site: str | Sequence[str] | None) -> list[dict[str, Any]]:
    """The archive's sites ({"site": root URL, "name": its name}, by URL) that `site` names, or
    any of several, all when None (or none), by the rule of every --site
    (archive/site_match.py); NoSuchSite when one names none."""
    # The sites table alone: Archive.stats() counted every post of every site to name one
    # (most of `export --site`'s 2.3 s at 210,000 posts).
    sites = site_match.archived_sites(archive.conn)
    if not site:
        return sites
    named = [site] if isinstance(site, str) else site
    return site_match.sites_named(sites, [site_match.moved_site(archive.conn, one)
                                          for one in named])


@contextmanager
def snapshot(archive: Archive) -> Iterator[Archive]:
    """One read transaction: every query inside sees the same archive, even while a crawl
    writes (WAL), so an export's passes agree with each other. Inside a transaction the caller
    already holds, that one is the snapshot."""
    if archive.conn.in_transaction:
        yield archive
        return
    archive.conn.execute("BEGIN")
    try:
        yield archive
    finally:
        archive.conn.execute("COMMIT")


@dataclass(frozen=True)
class PostFilters:
    """Which of the sites' posts an export takes, as `wixarchive search`'s options of the same
    names choose them: `lang` a language code (en also matches en-GB); `tag`, every one of
    them (any case); `category`; `author`, part of any of the names (any case and accents);
    `since`, published on or after this ISO date. A post is chosen by its current version.
    `changed_since` (export's own): the posts the archive stored a change of (a new version,
    a deletion found, a return after one: `recorded_at`, by the archive's clock, whatever date
    the change carries) on or after this ISO date or time, UTC: what changed since an earlier
    export."""

    lang: str | None = None
    tag: tuple[str, ...] = ()
    category: str | None = None
    author: tuple[str, ...] = ()
    since: str | None = None
    changed_since: str | None = None

    def __bool__(self) -> bool:
        return bool(self.applied())

    def applied(self) -> dict[str, Any]:
        """The filters given, as the export's summary says them (`filters`)."""
        given = {"lang": self.lang, "tag": list(self.tag), "category": self.category,
                 "author": list(self.author), "since": self.since,
                 "changed_since": self.changed_since}
        return {name: value for name, value in given.items() if value}

    def changed_instant(self) -> str | None:
        """`changed_since` as the archive writes its times (`recorded_at`, `stored_at`: UTC,
        to the second, +00:00), so that comparing the texts compares the instants: a time
        with another offset (or Z, or none: UTC) is moved to UTC, its fraction of a second
        dropped (that second's changes are in: a change twice rather than none). A date alone
        stays as it is: it sorts before every time of its day."""
        if self.changed_since is None or len(self.changed_since) <= 10:
            return self.changed_since
        moment = datetime.fromisoformat(self.changed_since)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        return moment.replace(microsecond=0).isoformat()


def post_filters(*, lang: str | None = None, tag: str | Sequence[str] | None = None,
                 category: str | None = None, author: str | Sequence[str] | None = None,
                 since: str | None = None, changed_since: str | None = None) -> PostFilters:
    """The filters asked for, checked: SearchError naming the one at fault (`field`) for a date
    that is none (`since`, `changed_since`: the same dates), or a language that is neither a
    code nor a name `language_code` knows (a code matching no post is an empty export, as for
    search)."""
    chosen_lang = None
    if lang is not None and lang.strip():
        if (problem := language_problem(lang)) is not None:
            raise SearchError.bad_value("lang", problem)
        chosen_lang = language_code(lang) or lang.strip().lower()  # as search reads it
    for name, value in (("since", since), ("changed_since", changed_since)):
        if value is not None and value.strip() and not is_date(value.strip()):
            raise SearchError.bad_value(
                name, f"expected a date like 2024-05-01 (or 2024-05, 2024), not {value!r}")
    return PostFilters(lang=chosen_lang, tag=tuple(dict.fromkeys(values(tag))),
                       category=(category or "").strip() or None,
                       author=tuple(values(author)), since=(since or "").strip() or None,
                       changed_since=(changed_since or "").strip() or None)


def _of_sites(sites: list[dict[str, Any]]) -> tuple[str, list[str]]:
    urls = [s["site"] for s in sites]
    return f"s.url IN ({','.join('?' * len(urls))})", urls


def _posts_from(archive: Archive, sites: list[dict[str, Any]],
                chosen: PostFilters | None = None) -> tuple[str, list[Any]]:
    """What to select the posts `p` (joined to their site `s`) of these sites passing `chosen`
    from (`FROM {it}`), and its parameters. A filter's condition is search's own
    (archive/search/query.py); the posts are read through the index of the filter that keeps
    fewest (posts_language, posts_author, posts_published, post_tags_tag, ...), so a selective
    filter reads its posts, not every post of the sites (SQLite's planner, without statistics,
    walks each site's posts instead)."""
    of_sites, urls = _of_sites(sites)
    if not chosen:
        return f"posts p JOIN sites s ON s.id = p.site_id WHERE {of_sites}", urls
    register_functions(archive.conn)  # the author and tag filters' name folding
    conditions, params, candidates = [of_sites], list(urls), []
    for one in filters_for(SearchQuery("", author=chosen.author or None, tag=chosen.tag or None,
                                       category=chosen.category, since=chosen.since,
                                       lang=chosen.lang)):
        conditions.append(one.row.replace("{id}", "p.id"))
        if one.post_row or one.ids is None:
            candidates.append((f"SELECT p.id FROM posts p WHERE {one.row}", one.params))
        else:  # a tag's posts, from its index
            candidates.append((f"SELECT DISTINCT x.post_id AS id FROM ({one.ids}) x",
                               one.params))
        params += one.params
    if (changed := chosen.changed_instant()) is not None:
        # When the archive stored the change, not the date the change carries (an import's
        # version is dated by its capture): posts_recorded. An archive from before v21 read as
        # it is knows only those dates.
        changed_row, changed_params = "p.recorded_at >= ?", [changed]
        if not _records_changes(archive):
            changed_row, changed_params = "(p.last_changed >= ? OR p.deleted_at >= ?)", [
                changed, changed]
        conditions.append(changed_row)
        params += changed_params
        candidates.append((f"SELECT p.id FROM posts p WHERE {changed_row}", changed_params))
    candidates.append((f"SELECT p.id FROM posts p JOIN sites s ON s.id = p.site_id "
                       f"WHERE {of_sites}", urls))
    driver, driver_params = _fewest(archive, candidates)
    return (f"({driver}) f CROSS JOIN posts p ON p.id = f.id CROSS JOIN sites s "
            f"ON s.id = p.site_id WHERE {' AND '.join(conditions)}", [*driver_params, *params])


def _records_changes(archive: Archive) -> bool:
    """Whether the posts say when the archive stored each change (v21's recorded_at)."""
    return any(row[1] == "recorded_at"
               for row in archive.conn.execute("PRAGMA table_info(posts)"))


def _fewest(archive: Archive, candidates: list[tuple[str, list[Any]]]
            ) -> tuple[str, list[Any]]:
    """The query of post ids (and its parameters) yielding fewest, each counted from its index
    no further than the fewest so far."""
    best, fewest = candidates[0], None
    for sql, params in candidates:
        cap = [] if fewest is None else [fewest]
        limit = "" if fewest is None else " LIMIT ?"
        (count,) = archive.conn.execute(f"SELECT count(*) FROM ({sql}{limit})",
                                        [*params, *cap]).fetchone()
        if fewest is None or count < fewest:
            best, fewest = (sql, params), count
    return best


def count_posts(archive: Archive, sites: list[dict[str, Any]],
                chosen: PostFilters | None = None) -> int:
    if not sites:
        return 0
    source, args = _posts_from(archive, sites, chosen)
    return archive.conn.execute(f"SELECT count(*) FROM {source}", args).fetchone()[0]


def count_sites_with_posts(archive: Archive, sites: list[dict[str, Any]],
                           chosen: PostFilters | None = None) -> int:
    """How many of these sites have a post passing `chosen`: the sites an export holds."""
    if not sites:
        return 0
    source, args = _posts_from(archive, sites, chosen)
    return archive.conn.execute(f"SELECT count(DISTINCT p.site_id) FROM {source}",
                                args).fetchone()[0]


def post_ids(archive: Archive, sites: list[dict[str, Any]],
             chosen: PostFilters | None = None) -> Iterator[int]:
    """Ids of every post (deleted ones too) of these sites passing `chosen`, oldest first."""
    if not sites:
        return
    source, args = _posts_from(archive, sites, chosen)
    rows = archive.conn.execute(
        f"SELECT p.id FROM {source} "
        "ORDER BY p.published IS NULL, p.published, p.id", args)
    for row in rows:
        yield row[0]


# How long before a chosen post the posts a filter leaves out can change its WXR dates: the
# WXR writer remembers two days of items (wxr._REMEMBERED), and a date without a time is
# midnight in the WordPress site's zone (up to 14 hours off UTC), so one day more.
_DATING_WINDOW = timedelta(days=3)


def posts_dated(archive: Archive, sites: list[dict[str, Any]], chosen: PostFilters
                ) -> Iterator[dict[str, Any]]:
    """What WXR dates a filtered export's items by, so they get the dates the whole export
    gives them (wxr.write's `every_post`): a post of the title and second of one left out is
    still moved on, as it is when both are exported (WordPress holding the other from an
    earlier import would take the one for it). In `post_ids`' order, each post passing `chosen`
    (id, `"chosen": True`) after the posts it leaves out that are dated up to three days
    before (those further back are forgotten by then), each with its id, title, published,
    first_seen, and its images (`cover_image`, `images`) and videos and documents
    (`attachments`), which its WXR items are named by. Only those are read whole: an export
    of a few changes of a large archive reads their neighbours' names, not every post's.

    The query is made at once, and run at the first row asked for: SQLite registers no
    function (the filters') while a statement runs, so neither may run while `post_ids`'
    query is made."""
    if not sites:
        return iter(())
    of_sites, urls = _of_sites(sites)
    source, params = _posts_from(archive, sites, chosen)
    # Read from the index of `published` alone: a post's other columns only when it is used.
    sql = (f"WITH chosen(id) AS MATERIALIZED (SELECT p.id FROM {source}) "
           "SELECT p.id, p.id IN (SELECT id FROM chosen), p.published FROM posts p "
           f"JOIN sites s ON s.id = p.site_id WHERE {of_sites} "
           "ORDER BY p.published IS NULL, p.published, p.id")
    return _dated_rows(archive, sql, [*params, *urls])


def _dated_rows(archive: Archive, sql: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    waiting: deque[tuple[datetime, int]] = deque()  # left out, within the window
    latest: datetime | None = None
    for post_id, passes, published in archive.conn.execute(sql, params):
        if passes:
            for _, left_out in waiting:
                yield _named(archive, left_out)
            waiting.clear()
            yield {"id": post_id, "chosen": True}
            continue
        instant = wp_instant(published, UTC)
        if instant is None:  # an undated post is dated by its first capture (wxr._dated)
            (first_seen,) = archive.conn.execute("SELECT first_seen FROM posts WHERE id = ?",
                                                 (post_id,)).fetchone()
            instant = wp_instant(first_seen, UTC)
        if instant is None:  # dated by nothing: WXR dates none of its items
            continue
        latest = instant if latest is None else max(latest, instant)
        waiting.append((instant, post_id))
        while waiting and waiting[0][0] < latest - _DATING_WINDOW:
            waiting.popleft()


def _named(archive: Archive, post_id: int) -> dict[str, Any]:
    """A post a filter leaves out, with what WXR dates and names its items by."""
    title, published, first_seen, cover = archive.conn.execute(
        "SELECT title, published, first_seen, cover_image FROM posts WHERE id = ?",
        (post_id,)).fetchone()
    images = [url for (url,) in archive.conn.execute(
        "SELECT url FROM images WHERE post_id = ? AND is_cover = 0 ORDER BY position",
        (post_id,))]
    return {"id": post_id, "chosen": False, "title": title, "published": published,
            "first_seen": first_seen, "cover_image": cover, "images": images,
            "attachments": of_post(archive.conn, post_id)}


def post_id_query(archive: Archive, sites: list[dict[str, Any]],
                  chosen: PostFilters) -> tuple[str, list[Any]]:
    """`post_ids`' query, unordered, and its parameters: what a WACZ export of the posts
    passing `chosen` lists (archive.export.wacz.write)."""
    source, args = _posts_from(archive, sites, chosen)
    return f"SELECT p.id FROM {source}", args


# The day a Markdown file's name starts with (markdown.file_stem), '' for a post without one:
# a month or a year alone, its first day.
_NAME_DAY = ("CASE WHEN substr(p.published, 1, 10) GLOB "
             "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' THEN substr(p.published, 1, 10) "
             "WHEN p.published GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]' THEN p.published || '-01' "
             "WHEN p.published GLOB '[0-9][0-9][0-9][0-9]' THEN p.published || '-01-01' "
             "ELSE '' END")


def post_names(archive: Archive, sites: list[dict[str, Any]],
               chosen: PostFilters | None = None) -> Iterator[dict[str, Any]]:
    """id, url, canonical_url, published and site of each post of these sites, in the order
    they were first stored (id), whether it passes `chosen`, and whether its file's name may
    agree with a chosen post's (`named`: of a chosen post's day, the day its name starts
    with): what the Markdown export names files and slugs and resolves links between posts by.
    With a filter, the posts it leaves out come too: two posts whose names or slugs agree get
    theirs in this order (the first the plain name, the next with its id), so a filtered
    export names a post as the whole export does, a part of a migration never writes its post
    over another part's, and a post found by a later crawl (an older post, another spelling of
    a slug) never takes the name an exported post had."""
    if not sites:
        return
    of_sites, urls = _of_sites(sites)
    order = "ORDER BY p.id"
    if not chosen:
        sql, args = (f"SELECT p.id, p.url, p.canonical_url, p.published, s.url, 1, 1 "
                     f"FROM posts p JOIN sites s ON s.id = p.site_id WHERE {of_sites} {order}",
                     urls)
    else:
        source, params = _posts_from(archive, sites, chosen)
        sql = (f"WITH chosen(id, day) AS MATERIALIZED (SELECT p.id, {_NAME_DAY} FROM {source}) "
               "SELECT p.id, p.url, p.canonical_url, p.published, s.url, "
               f"p.id IN (SELECT id FROM chosen), {_NAME_DAY} IN (SELECT day FROM chosen) "
               f"FROM posts p JOIN sites s ON s.id = p.site_id WHERE {of_sites} {order}")
        args = [*params, *urls]
    for row in archive.conn.execute(sql, args):
        yield {"id": row[0], "url": row[1], "canonical_url": row[2], "published": row[3],
               "site": row[4], "chosen": bool(row[5]), "named": bool(row[6])}


def post_terms(archive: Archive, sites: list[dict[str, Any]],
               chosen: PostFilters | None = None) -> Iterator[dict[str, Any]]:
    """id, author, tags and categories of each post of these sites passing `chosen`: what WXR
    lists up front."""
    if not sites:
        return
    source, args = _posts_from(archive, sites, chosen)
    rows = archive.conn.execute(
        f"SELECT p.id, p.author, p.tags, p.categories FROM {source} ORDER BY p.id", args)
    for row in rows:
        yield {"id": row[0], "author": row[1], "tags": json.loads(row[2] or "[]"),
               "categories": json.loads(row[3] or "[]")}


class Spellings:
    """The archive's one spelling of each tag and category: the first archived of those sharing
    a `name_case` key (the tags table's name), so that an export lists Çay once, not Çay on one
    post and çay on another (two taxonomy terms in WXR, two tag pages in Hugo). A post's own
    list (posts.tags) keeps the page's spelling, which `Archive.post` spells by the same rule
    (Archive.archived_spellings); here the versions' records are spelled too. An archive from
    before v23 read as it is, whose table may hold both, is spelled the same. Tags are few:
    read once, up front."""

    def __init__(self, archive: Archive) -> None:
        self.spelled: dict[str, dict[str, str]] = {}
        for table in ("tags", "categories"):
            names: dict[str, str] = {}
            for (name,) in archive.conn.execute(f"SELECT name FROM {table} ORDER BY id"):
                names.setdefault(name_case(name), name)
            self.spelled[table] = names

    def names(self, table: str, names: Sequence[str]) -> list[str]:
        spelled = self.spelled[table]
        return list(dict.fromkeys(spelled.get(name_case(name), name) for name in names))

    def post(self, post: dict[str, Any]) -> dict[str, Any]:
        """The post (or version, or post_terms row) with its tags and categories so spelled."""
        return {**post, "tags": self.names("tags", post.get("tags") or []),
                "categories": self.names("categories", post.get("categories") or [])}

    def posts(self, posts: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        return (self.post(post) for post in posts)


def iter_posts(archive: Archive, ids: Iterator[int] | list[int]) -> Iterator[dict[str, Any]]:
    """Each post as `Archive.post` returns it (tags, categories and images included)."""
    for post_id in ids:
        post = archive.post(post_id)
        if post is not None:
            yield post


def export_fields(archive: Archive, *, versions: bool = False) -> list[str]:
    """The keys of each post JSON lines and CSV export (`with_attachments`, or with `versions`
    `with_versions`), in their order, without reading a post."""
    fields = archive.post_fields()
    if versions:
        return [*fields, *(key for key in VERSION_FIELDS if key not in fields), "attachments"]
    # `recovered` last: a CSV's earlier columns keep their places.
    return [*fields, "attachments", "recovered"]


def with_attachments(archive: Archive, posts: Iterator[dict[str, Any]]
                     ) -> Iterator[dict[str, Any]]:
    """Each post with its videos and documents (`attachments`, archive.attachments.of_post)
    and, when its current version was made from a capture `wixarchive recover` fetched (or
    re-extracted from one), where that capture is (`recovered`, as `Archive.versions` gives
    it: its `capture_url` is what a citation names; None for the others), so that one file
    says where a post's text came from, as `--versions` rows do."""
    sources = any(row[1] == "source"  # an archive from before v10 read as it is: crawls only
                  for row in archive.conn.execute("PRAGMA table_info(post_versions)"))
    for post in posts:
        yield {**post, "attachments": of_post(archive.conn, post["id"]),
               "recovered": _recovered(archive, post) if sources else None}


def _recovered(archive: Archive, post: dict[str, Any]) -> dict[str, str] | None:
    row = archive.conn.execute(
        "SELECT capture FROM post_versions WHERE post_id = ? AND version = ? "
        f"AND source IN ({','.join('?' * len(RECOVERABLE_SOURCES))}) AND capture IS NOT NULL",
        (post["id"], post["version"], *RECOVERABLE_SOURCES)).fetchone()
    return None if row is None else recovered_captures(archive.conn, [row[0]]).get(row[0])


def with_versions(archive: Archive, posts: Iterator[dict[str, Any]], spellings: Spellings,
                  changed_since: str | None = None) -> Iterator[dict[str, Any]]:
    """Every stored version of each post, oldest first, in the post's shape with that version's
    values and `fetched_at`, `source`, `run_id`, `recovered` (archive.versions.as_post), and
    that version's videos and documents (`attachments`). With `changed_since`
    (PostFilters.changed_instant), the versions stored on or after it only (`stored_at`;
    `fetched_at` in an archive from before v21 read as it is), the rows an earlier export
    lacks; a post chosen for its deletion or its return alone, its current version, which
    carries `deleted_at`."""
    for post in posts:
        stored = archive.versions(post["id"])
        if changed_since is not None:
            stored = [v for v in stored
                      if (v["stored_at"] or v["fetched_at"]) >= changed_since] or [
                v for v in stored if v["version"] == post["version"]]
        for version in stored:
            yield {**as_post(post, version, spellings.names),
                   "attachments": of_shown_version(archive.conn, post, version)}


def provenance(archive: Archive, sites: list[dict[str, Any]],
               chosen: PostFilters | None = None) -> dict[str, Any]:
    """The state of these sites' archive an export reads (inside its snapshot): the last
    finished crawl run (id, when it ended), the newest stored version's fetched_at (of the
    posts passing `chosen`, those exported), the newest change the archive recorded of any of
    the sites' posts (`newest_recorded_at`: the next incremental export's --changed-since,
    known even when a filter chose nothing), and whether a crawl of them was running (an
    unfinished run whose crawl holds its site's lock)."""
    state: dict[str, Any] = {"last_run_id": None, "last_run_finished_at": None,
                             "newest_fetched_at": None, "newest_recorded_at": None,
                             "crawl_running": False}
    if not sites:
        return state
    where, args = _of_sites(sites)
    last = archive.conn.execute(
        f"SELECT r.id, r.finished_at FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
        f"WHERE {where} AND r.finished_at IS NOT NULL ORDER BY r.finished_at DESC, r.id DESC "
        "LIMIT 1", args).fetchone()
    if last is not None:
        state.update(last_run_id=last[0], last_run_finished_at=last[1])
    if chosen:
        source, chosen_args = _posts_from(archive, sites, chosen)
        state["newest_fetched_at"] = archive.conn.execute(
            f"SELECT max(v.fetched_at) FROM post_versions v WHERE v.post_id IN "
            f"(SELECT p.id FROM {source})", chosen_args).fetchone()[0]
    else:
        state["newest_fetched_at"] = archive.conn.execute(
            f"SELECT max(v.fetched_at) FROM post_versions v JOIN posts p ON p.id = v.post_id "
            f"JOIN sites s ON s.id = p.site_id WHERE {where}", args).fetchone()[0]
    if _records_changes(archive):
        # A seek a site in posts_site_recorded (from v25), not a read of every post of them.
        state["newest_recorded_at"] = archive.conn.execute(
            f"SELECT max((SELECT max(p.recorded_at) FROM posts p WHERE p.site_id = s.id)) "
            f"FROM sites s WHERE {where}", args).fetchone()[0]
    # A run unfinished counts only while its crawl runs (shown_status, as `runs` says it): one
    # whose process died (a restored backup taken mid-crawl) is writing nothing.
    unfinished = archive.conn.execute(
        f"SELECT DISTINCT s.url FROM crawl_runs r JOIN sites s ON s.id = r.site_id "
        f"WHERE {where} AND r.finished_at IS NULL", args).fetchall()
    state["crawl_running"] = any(shown_status(archive.path, url, "running") == "running"
                                 for (url,) in unfinished)
    return state


def describe_state(state: dict[str, Any]) -> list[str]:
    """What the export's text summary says of the archive's state: the --changed-since that
    exports only what is stored after this export, and a crawl running. The rest (the last
    finished run, the newest version fetched) stays in --json: said on every export, in those
    terms, it was jargon to most readers."""
    lines = []
    if state.get("newest_recorded_at"):
        lines.append("To export later only what changes after this: --changed-since "
                     f"{state['newest_recorded_at']}")
    if state["crawl_running"]:
        lines.append("A crawl was running: the posts it saved so far are included.")
    return lines
