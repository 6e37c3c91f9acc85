"""The functions of the public API (re-exported by `wixarchive`; see docs/api.md).

Each is a thin, typed layer over what the commands run, so the API and the CLI agree: `search`
is `wixarchive search` (`count` its `--count`), `posts` filters as its options do, `export`
writes what `wixarchive export` writes, `crawl` runs the same child process per site as
`wixarchive crawl`, `run_due` the same runner as `wixarchive run-due`.
"""

from __future__ import annotations

import functools
import io
import os
import signal
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

from archive.history import diff_versions
from archive.search import Hit, SearchError, SearchQuery
from archive.search import count as _count_matches
from archive.search import search as _search
from archive.search.languages import language_problem
from archive.search.listing import select_passing
from archive.search.query import checked, filters_for, register_functions
from archive.site_match import site_ids
from archive.store import Archive
from crawler.extract.record import Article, CleanedText
from crawler.summary import CrawlSummary

if TYPE_CHECKING:  # importing them costs `import wixarchive` (warcio, the extractor's records)
    from archive.backup import Backup
    from archive.export.writing import ExportResult
    from archive.health import CheckResult
    from archive.importer import ImportResult
    from archive.recover import RecoverResult
    from archive.reextract import Result as ReextractResult
    from archive.schedule.runner import Outcome, Runner
    from archive.schedule.sites import Site
    from archive.site_forget import ForgetResult
    from archive.site_merge import MergeResult
    from archive.totals import ArchiveStats

EXPORT_FORMATS = ("jsonl", "csv", "markdown", "wxr", "html", "wacz")
VERSIONS_FORMATS = ("jsonl", "csv")  # the formats with a row per version (`export --versions`)
StrPath = str | os.PathLike[str]
# A filter that may be given several values: any of the sites or authors, every one of the tags.
Names = str | Sequence[str] | None
DateLike = str | date | None  # a datetime is a date too
F = TypeVar("F", bound=Callable[..., Any])


def _takes_archive(function: F) -> F:
    """`function`, refusing at the call a first argument that is no open Archive with a
    TypeError naming it (a path, as sqlite-utils takes, said only "'str' object has no
    attribute 'conn'"), and run holding the Archive's lock."""
    @functools.wraps(function)
    def checked(archive: object, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(archive, Archive):
            raise TypeError(f"archive: expected an Archive, as wixarchive.open(path) returns "
                            f"it, not {archive!r}")
        with archive.lock:  # one thread at a time (see Archive.lock)
            return function(archive, *args, **kwargs)
    return cast(F, checked)


def open(path: StrPath, *, readonly: bool = False, create: bool = True) -> Archive:
    """Open the archive at `path` (creating it unless `create=False`, upgrading an older one
    unless `readonly=True`). Use it as a context manager, or call `close()`.

    Raises ArchiveError with a one-line message for anything that is not a usable archive."""
    return Archive.open(path, readonly=readonly, create=create)


def _deleted_choice(deleted: str | bool) -> str:
    """`deleted` as SearchQuery takes it: True and False are the older spellings of "include"
    and "exclude"."""
    if isinstance(deleted, bool):
        return "include" if deleted else "exclude"
    return deleted


def _names(field: str, value: Names) -> str | tuple[str, ...] | None:
    """A `site`, `author` or `tag` argument as SearchQuery takes it: a string, or several as a
    tuple; SearchError naming the argument for anything else (a number, a list of numbers)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SearchError.bad_value(field, f"expected a string or a list of strings, not {value!r}")


def _text(field: str, value: str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise SearchError.bad_value(field, f"expected a string, not {value!r}")


def _date(field: str, value: DateLike) -> str | None:
    """`since`/`until` as SearchQuery takes them: an ISO date string, or a datetime.date or
    datetime given as one."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    raise SearchError.bad_value(field, f"expected a date like \"2024-05-01\" (a string, or a "
                                f"datetime.date or datetime), not {value!r}")


def _count(field: str, value: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise SearchError.bad_value(field, f"expected a whole number, not {value!r}")


def _query(text: str, *, site: Names, author: Names, tag: Names, category: str | None,
           since: DateLike, until: DateLike, lang: str | None, deleted: str | bool,
           limit: int = 10, offset: int = 0) -> SearchQuery:
    """The SearchQuery the API's arguments ask for; SearchError naming an argument of the
    wrong type, as for a bad value, and a language that is none, as `export` does."""
    if lang is not None and (problem := language_problem(_text("lang", lang) or "")):
        raise SearchError.bad_value("lang", problem)
    return SearchQuery(text, site=_names("site", site), author=_names("author", author),
                       tag=_names("tag", tag), category=_text("category", category),
                       since=_date("since", since), until=_date("until", until),
                       lang=_text("lang", lang), deleted=_deleted_choice(deleted),
                       limit=_count("limit", limit), offset=_count("offset", offset))


@_takes_archive
def posts(archive: Archive, *, site: Names = None, author: Names = None, tag: Names = None,
          category: str | None = None, since: DateLike = None, until: DateLike = None,
          lang: str | None = None, deleted: str | bool = "include") -> Iterator[dict[str, Any]]:
    """Every archived post matching the filters, oldest first (undated posts last), each as
    `Archive.post()` returns it: its columns with `tags`, `categories` and `images` as lists.

    The filters mean what `wixarchive search`'s options mean (`site`: URL, host or part of it,
    or the site's name, or a list: any of them; `author`: part of the name, or a list: any of
    them; `tag`: the exact name, any case, or a list: every one of them; `category` likewise,
    one; `since`/`until`: ISO dates, inclusive, 2024 or 2024-05 or 2024-05-01, or a
    datetime.date; `lang`: "en" also matches "en-GB"; `deleted`: posts their site no longer
    serves, "include" (the default), "exclude" or "only"). SearchError naming the argument for
    a bad value or type, NoSuchSite for a `site` naming no archived site, both raised when
    iteration starts."""
    # checked: as search and count check theirs (a filter of bytes that are not UTF-8 ended in
    # UnicodeEncodeError)
    query = checked(_query("", site=site, author=author, tag=tag, category=category,
                           since=since, until=until, lang=lang, deleted=deleted))
    with archive.lock:  # one thread at a time (see Archive.lock); post() takes it for each
        sql, params = select_passing(
            "p.id", filters_for(query, site_ids(archive.conn, query.site)))
        register_functions(archive.conn)
        ids = [row[0] for row in archive.conn.execute(
            sql + " ORDER BY p.published IS NULL, p.published, p.id", params)]
    for post_id in ids:
        post = archive.post(post_id)
        if post is not None:  # removed since the ids were read
            yield post


@_takes_archive
def search(archive: Archive, text: str, *, site: Names = None, author: Names = None,
           tag: Names = None, category: str | None = None, since: DateLike = None,
           until: DateLike = None, lang: str | None = None, deleted: str | bool = "include",
           limit: int = 10, offset: int = 0) -> list[Hit]:
    """The best-ranked posts matching `text`, best first: plain words (all must match, none
    starting with - may) or FTS5 syntax ("a phrase", prefix*, OR, NOT, NEAR, title:word), with
    the filters of `posts`.

    Raises SearchError with a one-line message for a query that cannot run or an argument of
    the wrong type (naming it), and NoSuchSite (a ValueError) when `site` names no archived
    site; sqlite3.DatabaseError for damaged pages of the archive (`check()` names them), or
    sqlite3.OperationalError for a lock another process held past the busy timeout."""
    if not isinstance(text, str):
        raise SearchError.bad_value("text", f"expected a string, not {text!r}")
    return _search(archive, _query(text, site=site, author=author, tag=tag, category=category,
                                   since=since, until=until, lang=lang, deleted=deleted,
                                   limit=limit, offset=offset))


@_takes_archive
def count(archive: Archive, text: str = "", *, site: Names = None, author: Names = None,
          tag: Names = None, category: str | None = None, since: DateLike = None,
          until: DateLike = None, lang: str | None = None,
          deleted: str | bool = "include") -> int:
    """How many posts match `text` and the filters (as `wixarchive search --count`): every
    post `search` pages through, not one page's; with no `text` but a filter, how many posts
    pass it. Arguments and errors as `search`'s; SearchError for neither text nor filter."""
    return _count_matches(archive, _query(_text("text", text) or "", site=site, author=author,
                                          tag=tag, category=category, since=since,
                                          until=until, lang=lang, deleted=deleted))


def _archived_post(archive: Archive, url: str | int) -> dict[str, Any]:
    """archive.post(url), LookupError when there is none; a TypeError names the argument as
    the API's functions name it (`url`)."""
    try:
        post = archive.post(url)
    except TypeError as exc:
        raise TypeError(str(exc).replace("url_or_id:", "url:", 1)) from None
    if post is None:
        raise LookupError(f"no post archived at {url}")
    return post


@_takes_archive
def diff(archive: Archive, url: str | int, old: int | None = None,
         new: int | None = None) -> list[str]:
    """What changed between two archived versions of the post at `url` (or its id; the last
    two when `old`/`new` are not given), as unified-diff lines of its title, author, dates,
    reading time, tags, categories and text; [] when nothing differs. LookupError when there is
    no such post or version, TypeError for a version that is no int."""
    for name, number in (("old", old), ("new", new)):
        if number is not None and (isinstance(number, bool) or not isinstance(number, int)):
            raise TypeError(f"{name}: expected a version number (an int), not {number!r}")
    post = _archived_post(archive, url)
    versions = archive.versions(post["id"])
    if old is None or new is None:
        if len(versions) < 2:
            return []
        old = versions[-2]["version"] if old is None else old
        new = versions[-1]["version"] if new is None else new
    try:
        return diff_versions(versions, old, new)
    except KeyError as exc:  # its message as it is, not KeyError's quoted repr of it
        raise LookupError(exc.args[0]) from None


@_takes_archive
def post_version(archive: Archive, url: str | int, version: int | str) -> dict[str, Any]:
    """The post at `url` (or its id) as it was in one stored version, as `wixarchive show
    --version` shows it: `version` is its number (1 = oldest) or its id (as `history` and the
    article page give it, which never changes). The keys of `archive.post()`, the version's
    content in them, and the version's `fetched_at`, `source`, `recovered` and `run_id`
    (`history --json`'s). LookupError when there is no such post, or no such version
    (naming the versions it has); TypeError for a version that is neither an int nor a str."""
    from archive.history import post_at_version

    if isinstance(version, bool) or not isinstance(version, int | str):
        raise TypeError(f"version: expected a version number (an int) or id (a str), not "
                        f"{version!r}")
    post = _archived_post(archive, url)
    return post_at_version(post, archive.versions(post["id"]), str(version),
                           archive.archived_spellings)[0]


@_takes_archive
def export(archive: Archive, out: StrPath | IO[Any], *, format: str | None = None,
           site: Names = None, lang: str | None = None, tag: Names = None,
           category: str | None = None, author: Names = None, since: DateLike = None,
           changed_since: DateLike = None, versions: bool = False,
           images_url: str | None = None, flat: bool = False, bom: bool = False,
           escape_formulas: bool = True, timezone: str | None = None) -> ExportResult:
    """Write the archived posts (deleted ones too, marked), or one site's (or a list's), and
    return how many; with `versions=True` (jsonl or csv, as `wixarchive export --versions`;
    ValueError for another format), one row per stored version of each post, oldest first,
    with its `version`, `fetched_at`, `source`, `run_id` and `recovered`, and return how many
    rows. The count is an ExportResult, an int whose `summary` (`to_dict()`) is the object
    `wixarchive export --json` prints: images and files written, the archived copies kept
    and removed, the media that could not be read, a WACZ's records, the archive's state
    copied (`output` is None for a stream).

    `format`: "jsonl" or "csv" (every archived field), "markdown" (one page bundle per post,
    `<site>/<date>-<slug>/index.md` with front matter and the post's archived images, videos
    and documents beside it; `out` is a folder), "wxr" (a WordPress import file), "html" (one
    page to read in a browser, the archived images inside it) or "wacz" (the captures as a
    WACZ web archive, pages listing the posts; `out` is a path). Without it, a path's
    extension names it as for `wixarchive export` (.jsonl/.ndjson, .csv, .xml/.wxr,
    .html/.htm, .wacz; ValueError for any other), and a stream gets "jsonl". `out` is a path,
    or an open stream, text or binary (`sys.stdout` writes wxr to its `buffer`; io.StringIO
    cannot take wxr: TypeError). A `site` that names no archived site raises NoSuchSite (a
    ValueError), one that is no string (or list of them) SearchError, a WACZ of no captures
    ValueError. No post to write gives an empty output (a CSV its header row) and 0. A path's
    file is replaced whole, as the command replaces it: an export that fails part way leaves
    the file that was there as it was; a folder given for a file is a ValueError.

    The filters of `wixarchive export` (and of `posts()` and `search()`, same meanings), for
    every format (wacz: those posts' pages and captures): `lang` (a code, en also matching
    en-GB, or a common language's English name, "French"), `tag` (exact, any case; a list:
    every one of them), `category`, `author` (part of the name, any case or accents; a list:
    any of them), `since` (published on or after this ISO date, or a datetime.date). A post is
    chosen by its current version; with `versions=True` every version of the posts chosen is
    written. `changed_since` (an ISO date or time, UTC unless it names an offset, or a
    datetime.date or datetime, naive ones UTC): the posts the archive stored a change of (a
    new version, a deletion found, a return after one; by its own clock, whatever date the
    change carries) on or after it, what changed since an earlier export (pass its
    summary's `newest_recorded_at`); with `versions=True`, the versions stored since only (a
    post deleted or back since: its current version).
    SearchError naming the argument for a bad value (a date that is none, a language that
    is neither a code nor a known name) or type, as `posts()` raises it. The summary's
    `filters` says those applied. An export filtered so into a folder (markdown, wxr's
    `images_url` copies) removes no file an earlier export wrote there.

    The options of `wixarchive export`, same names: `images_url` (wxr: the archived images,
    videos and documents copied to a folder beside `out`, `<stem>-images/`, and the
    attachments pointed at `images_url` + file name), `timezone` (wxr: the WordPress site's
    time zone, an IANA name such as "Europe/Paris", each post's date written in it; default
    UTC; ValueError for a name that is none), `flat` (markdown:
    `<site>/<date>-<slug>.md` beside one images/ folder per site), `bom` (csv: a UTF-8
    byte-order mark first, for Excel), `escape_formulas=False` (csv: cells starting with
    = + - @ written as they are). ValueError for an option another format does not take.
    Archived images, videos or documents whose captures cannot be read are linked where the
    site served them, and a UserWarning names how many (the command's error line)."""
    from archive.export import FORMAT_OF_EXTENSION, format_of_path, no_such_export
    from archive.export.source import matching_sites, post_filters
    from archive.export.writing import (
        ArchivedFiles,
        ExportResult,
        file_output,
        images_folder,
        images_url_problem,
        wordpress_zone,
        write_export,
    )

    if not isinstance(out, str | os.PathLike) and not callable(getattr(out, "write", None)):
        raise TypeError(f"out: expected a path or an open stream, not {out!r}")
    if format is None and isinstance(out, str | os.PathLike):
        format = format_of_path(out)
        if format is None:
            raise ValueError(f"cannot tell the format from {os.fspath(out)!r}: give format= one "
                             f"of {', '.join(EXPORT_FORMATS)} (a path ending in "
                             f"{', '.join(FORMAT_OF_EXTENSION)} names it)"
                             + no_such_export(out, "wixarchive.posts(archive) returns each "
                                              "post as a dict, wixarchive.search(archive, "
                                              "text) the posts a search finds"))
    format = format or "jsonl"  # a stream has no extension to name one
    if format not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {format!r}")
    for option, given, formats in (("versions=True", versions, VERSIONS_FORMATS),
                                   ("images_url", images_url is not None, ("wxr",)),
                                   ("timezone", timezone is not None, ("wxr",)),
                                   ("flat=True", flat, ("markdown",)),
                                   ("bom=True", bom, ("csv",)),
                                   ("escape_formulas=False", not escape_formulas, ("csv",))):
        if given and format not in formats:
            raise ValueError(f"{option} is for format {' or '.join(formats)}, not {format!r}")
    is_path = isinstance(out, str | os.PathLike)
    if images_url is not None:
        if problem := images_url_problem(images_url):
            raise ValueError(f"images_url {problem}")
        if not is_path:
            raise ValueError("images_url writes the images beside the export: give a path")
    if format == "markdown" and not is_path:
        raise ValueError("markdown export writes one file per post: give a folder")
    try:
        zone = wordpress_zone(timezone) if timezone is not None else UTC
    except ValueError as exc:
        raise ValueError(f"timezone: {exc}") from None
    chosen = post_filters(lang=_text("lang", lang), tag=_names("tag", tag),
                          category=_text("category", category), author=_names("author", author),
                          since=_date("since", since),
                          changed_since=_date("changed_since", changed_since))
    sites = matching_sites(archive, _names("site", site))

    @contextmanager
    def output(binary: bool) -> Iterator[IO[Any]]:
        if isinstance(out, str | os.PathLike):  # replaced whole, as the command does
            with file_output(Path(out), binary=binary) as stream:
                yield stream
        else:
            with _as_stream(out, binary=binary, format=format) as stream:
                yield stream

    folder = Path(out) if isinstance(out, str | os.PathLike) else None
    files = ArchivedFiles(archive.conn, archive.path)
    # One read snapshot, posts streamed one at a time (see archive.export); the summary is
    # the command's, built by the same function.
    summary = write_export(
        archive, files, sites, format,
        folder if format == "markdown" and folder is not None else output,
        output_name=os.fspath(out) if is_path else None, chosen=chosen,
        write_wacz=lambda chosen_posts: _write_wacz(archive, out, sites if site else None,
                                                    chosen_posts),
        images_url=images_url,
        images_dir=images_folder(folder) if images_url is not None and folder else None,
        bom=bom, flat=flat, all_versions=versions, escape_formulas=escape_formulas,
        zone=zone)
    if files.unreadable:  # the command's error (exit 1) after a whole export (a WACZ reads none)
        warnings.warn(f"{files.description()} could not be read from the captures (the "
                      "export links them on the site instead; wixarchive.check() names "
                      "what is damaged)", stacklevel=2)
    # The count it always returned: posts, a WACZ's posts, or rows with `versions`.
    return ExportResult(summary["versions" if versions else "posts"], summary)


def _holds(stream: IO[Any]) -> str | None:
    """"text" or "bytes", what `stream` is written with; None when it cannot be told."""
    if isinstance(stream, io.TextIOBase):
        return "text"
    if isinstance(stream, io.RawIOBase | io.BufferedIOBase):
        return "bytes"
    mode = getattr(stream, "mode", None)  # e.g. a tempfile.NamedTemporaryFile
    return ("bytes" if "b" in mode else "text") if isinstance(mode, str) else None


@contextmanager
def _as_stream(out: IO[Any], *, binary: bool, format: str) -> Iterator[IO[Any]]:
    """`out` as the format's writer needs it: for wxr (bytes), a text stream's byte buffer
    (`sys.stdout.buffer`); for jsonl and csv (text), a UTF-8 text layer over a binary stream.
    A text stream without a byte buffer (io.StringIO) cannot take bytes: a TypeError saying
    what to pass, not the writer's bare one."""
    holds = _holds(out)
    if binary and holds == "text":
        buffer = getattr(out, "buffer", None)
        if buffer is None:
            raise TypeError(f"{format} export writes bytes: pass a binary stream (a file opened "
                            f"'wb', io.BytesIO(), sys.stdout.buffer) or a path, not a "
                            f"{type(out).__name__}")
        out.flush()  # what was written to it before comes first
        yield buffer
        buffer.flush()
    elif not binary and holds == "bytes":
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()  # the caller's stream stays open
    else:
        yield out


def _write_wacz(archive: Archive, out: StrPath | IO[Any], sites: list[dict[str, Any]] | None,
                posts: tuple[str, list[Any]] | None = None) -> dict[str, Any]:
    from archive.captures import captures_dir
    from archive.export import wacz
    from archive.export.source import matching_sites
    from archive.export.writing import file_output

    if not isinstance(out, str | os.PathLike):
        raise ValueError("wacz export needs a file path")
    path = Path(out)
    names = [s["name"] or s["site"] for s in sites or matching_sites(archive, None)]
    title = names[0] if len(names) == 1 else f"{len(names)} sites"
    try:
        with file_output(path, binary=True) as stream:  # replaced whole, as the command does
            return wacz.write(archive.conn, captures_dir(archive.path), sites, stream,
                              title=title, posts=posts).as_dict()
    except wacz.NoCaptures:
        chosen = "of the posts chosen " if posts else ""
        raise ValueError(f"{archive.path} has no captures {chosen}to export") from None


def _one_site(archive: Archive, site: str | None, field: str = "site") -> str | None:
    """The root URL of the one archived site `site` names (URL, host or part of it, or name),
    as the commands' --site takes it; NoSuchSite or SeveralSites (ValueErrors) otherwise."""
    from archive.site_match import archived_sites, moved_site, one_site

    if site is None:
        return None
    if not isinstance(site, str):
        raise SearchError.bad_value(field, f"expected a string, not {site!r}")
    return one_site(archived_sites(archive.conn), moved_site(archive.conn, site))["site"]


@_takes_archive
def reextract(archive: Archive, *, site: str | None = None) -> ReextractResult:
    """Re-run today's extraction and cleaning over the raw captures of the archived posts (of
    `site`: its URL, host or name), with no network, as `wixarchive reextract` does: a post
    gets a new version (source "reextract") only where the clean result changed; the others
    get today's text and Markdown in place. Resumes a re-extraction that was stopped.

    Returns the counts `wixarchive reextract --json` prints (`posts`, `changed`, `refreshed`,
    `failed`, `without_capture`; `.counts()` gives them as a dict) and `failures`, one line per post
    that could not be re-extracted (its capture missing or damaged). ArchiveError for an
    archive opened read-only, or while another re-extraction of the whole archive or of the
    same site runs (naming its process; the command's exit 75); NoSuchSite or SeveralSites
    (ValueErrors) for a `site` naming no archived site, or more than one."""
    from archive.reextract import reextract as reextract_posts

    return reextract_posts(archive, site=_one_site(archive, site))


@_takes_archive
def import_files(archive: Archive, files: StrPath | Iterable[StrPath], *,
                 site: str | None = None, max_media_mb: float = 25.0) -> ImportResult:
    """Import the Wix blog posts held in web archives (WARC, WARC.gz or WACZ files of any
    tool), as `wixarchive import FILES` does: each capture whose clean content differs becomes
    a version dated by its WARC-Date; the images, videos and documents the posts use that the
    files hold are kept; the records used are copied into the archive's captures. Importing
    the same files again adds nothing.

    `site` (an address: http or https, www. or not, are one site) imports that site's posts
    only; `max_media_mb` is the largest image, video or document stored, in MB. Returns what
    `wixarchive import --json` prints: `files`, `records`, `already`, `skipped`, `not_posts`,
    `cut_short`,
    `sites` (per site root: `posts`, `new_posts`, `new_versions`, `images`, ...) and `errors`
    (a file that cannot be read, or is damaged: imported up to the damage); `.to_dict()`
    gives it as that JSON's data. ValueError for a `site` that is no URL or a
    `max_media_mb` that is not positive; ArchiveError for an archive opened read-only."""
    from archive.importer import import_files as import_web_archives
    from crawler.discover.urls import site_root

    if isinstance(files, str | os.PathLike):
        files = [files]
    elif not isinstance(files, Iterable) or isinstance(files, bytes | bytearray):
        raise TypeError(f"files: expected a path or a list of paths, not {files!r}")
    files = list(files)
    if not all(isinstance(file, str | os.PathLike) for file in files):
        raise TypeError(f"files: expected a path or a list of paths, not {files!r}")
    paths = [Path(file) for file in files]
    if isinstance(max_media_mb, bool) or not isinstance(max_media_mb, int | float) \
            or max_media_mb <= 0:
        raise ValueError(f"max_media_mb: expected a positive number, not {max_media_mb!r}")
    only_site = site_root(site) if _text("site", site) is not None else None
    return import_web_archives(archive, paths, site=only_site,
                               media_limit=int(max_media_mb * 2**20))


@_takes_archive
def recover(archive: Archive, site: str, *, replay: str = "https://web.archive.org/web/",
            cdx: str | None = None, delay: float = 1.0, timeout: float = 60.0,
            retries: int = 4, images: bool = True) -> RecoverResult:
    """Recover the posts of `site` (the blog's address) from a web archive, as `wixarchive
    recover SITE` does: every capture of its post pages the archive's CDX server lists (and
    those its feed and sitemaps name) is fetched raw, politely, and archived as an import is;
    running it again fetches only captures not fetched before.

    The options are the command's: `replay` is its --from (the Wayback Machine, or a pywb
    collection `http://host:8080/COLL/`), `cdx` its CDX server (default: the Wayback Machine's,
    else `replay` + "cdx"), `delay` seconds between two requests, `timeout` seconds to wait
    for an answer, `retries` of a request answered 429/5xx or failing, `images=False` its
    --no-images. Returns what `recover --json` prints (`to_dict()`): `listed`, `fetched`,
    `already`, `missing`, the `requests` made, `sites` (the posts recovered per site) and the
    import's `errors`. `listed` and `already` 0: the archive holds no capture of the site's
    posts.

    WaybackError when the web archive cannot be used (down, too slow, no CDX server there, a
    pywb collection that does not exist): what was fetched is kept, and the next call resumes;
    RecoverBusy when another recover is running on this archive; ValueError for a bad
    argument; ArchiveError for an archive opened read-only."""
    from archive.recover import missing_collection
    from archive.recover import recover as recover_site
    from archive.site_match import archived_root
    from crawler import wayback
    from crawler.discover.urls import parses, site_root

    for name, url in (("replay", replay), ("cdx", cdx)):
        if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))
                                    and parses(url)):
            raise ValueError(f"{name} must be an http(s) URL, not {url!r}")
    _check_number("delay", delay, zero=True)
    _check_number("timeout", timeout)
    _check_number("retries", retries, whole=True, zero=True)
    if not isinstance(site, str):
        raise TypeError(f"site: expected the blog's address, not {site!r}")
    # http and https, www. or not, are one site, as a crawl has it: the archived spelling.
    archived = archived_root(archive.conn, site_root(site))
    client = wayback.Client(delay=delay, timeout=timeout, retries=retries)
    try:
        result = recover_site(archive, archived, replay=replay, cdx=cdx, client=client,
                              images=images)
    except wayback.NotACDXServer as exc:  # named in this function's words, not the command's
        raise exc.pointing(replay, "cdx" if cdx else None) from None
    if not result.listed and not result.already and (
            problem := missing_collection(client, replay, cdx)):
        raise wayback.WaybackError(problem)
    return result


@_takes_archive
def stats(archive: Archive, *, images: bool = False) -> ArchiveStats:
    """The archive's statistics as `wixarchive stats` prints them: `sites`, a dict per site
    (`site`, `name`, `posts`, `versions`, `deleted`, `words`, `last_crawled`, `last_status`,
    which is `killed` for a run whose process died without closing it, and the posts'
    `videos`, `videos_archived`, `documents`, `documents_archived`; with `images=True`, as
    `stats --images`, their `images`, `images_archived`, `images_failed`,
    `images_not_fetched`: a read of every image row), and `captures`, the raw
    captures' sizes (`files`, `bytes`, `responses`, `revisits`, `media_stored`,
    `missing_files`, ..., and `unreadable`: why this user cannot read the captures folder,
    whose files are then not counted, or None); `to_dict()` gives `stats --json`'s object.
    `archive.stats()` is the per-site rows of the posts table alone."""
    from archive.totals import archive_stats

    return archive_stats(archive, images=images)


def _runs_of(archive: Archive, site: str | None,
             scheduled: list[Site] | None) -> set[str] | None:
    """The root URLs of the archived sites `site` names (URL, host or part of it, its name,
    or its name in the sites file), None for every site; NoSuchSite for none."""
    from archive.schedule.report import site_aliases
    from archive.site_match import archived_sites, matching_sites, moved_site

    if site is None:
        return None
    if not isinstance(site, str):
        raise SearchError.bad_value("site", f"expected a string, not {site!r}")
    return {s["site"] for s in matching_sites(archived_sites(archive.conn),
                                              moved_site(archive.conn, site),
                                              site_aliases(scheduled))}


def _scheduled(archive: Archive) -> list[Site] | None:
    """The sites of the sites file beside the archive ($WIXARCHIVE_SITES), as `wixarchive
    runs` reads it: None when there is none; a broken one is warned about, and not used."""
    from archive.schedule.report import scheduled_sites
    from archive.schedule.sites import default_path

    scheduled, warning = scheduled_sites(default_path(archive.path))
    if warning:
        warnings.warn(warning.removeprefix("warning: "), stacklevel=3)
    return scheduled


@_takes_archive
def runs(archive: Archive, *, site: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest `limit` crawl runs (of `site`: URL, host or part of it, or name), newest
    first, as `wixarchive runs --json` prints them: `id`, `site`, `status`, `started_at`,
    `finished_at`, `seconds`, the counts (`pages`, `new`, `changed`, `unchanged`,
    `recaptured`, `deleted`, `failed`, `not_posts`, `robots_skipped`) and `first_error`.

    As the command does, runs left `running` by a process that is gone are first closed as
    `interrupted` (unless the archive was opened read-only, or another process keeps it
    locked: they are then shown `killed`). NoSuchSite for a `site` naming no archived site;
    SearchError for a `limit` that is no whole number of 1 or more; ArchiveError for runs that
    cannot be read."""
    from archive.schedule.report import close_dead_runs, recent_runs

    if _count("limit", limit) < 1:
        raise SearchError.bad_value("limit", f"expected 1 or more, not {limit!r}")
    wanted = _runs_of(archive, site, _scheduled(archive) if site is not None else None)
    close_dead_runs(archive)
    return recent_runs(archive, limit=limit, wanted=wanted)


@_takes_archive
def failing_sites(archive: Archive, *, site: str | None = None) -> list[dict[str, Any]]:
    """The sites whose last runs failed or timed out, the longest streak first, as `wixarchive
    runs --failing --json` prints them (`site`, `failures_in_a_row`, `last_ok`,
    `first_error`); [] when none is failing. Only the sites of the sites file beside the
    archive when there is one (a site removed from it no longer counts), else every archived
    site; with `site`, the sites it names. Runs are closed first as runs() closes them;
    ArchiveError for runs that cannot be read."""
    from archive.schedule.report import close_dead_runs
    from archive.schedule.report import failing_sites as sites_failing

    scheduled = _scheduled(archive)
    wanted = _runs_of(archive, site, scheduled)
    close_dead_runs(archive)
    return sites_failing(archive.path, scheduled=scheduled, wanted=wanted)


def _sites_file(archive: Archive, sites_file: StrPath | None) -> Path:
    """The sites file `wixarchive sites` edits: `sites_file`, else $WIXARCHIVE_SITES, else
    beside the archive (blog.db -> blog.sites.toml)."""
    from archive.schedule.sites import default_path

    return Path(sites_file) if sites_file is not None else default_path(archive.path)


@_takes_archive
def add_site(archive: Archive, url: str, *, every: str | None = None, cron: str | None = None,
             name: str | None = None, label: Names = None, delay: float | None = None,
             concurrency: int | None = None, autothrottle: bool | None = None,
             user_agent: str | None = None, contact: str | None = None, robots: bool = True,
             capture: bool = True, media: bool = True, max_media_mb: float | None = None,
             media_kinds: str | Sequence[str] | None = None, page_requisites: bool = False,
             time_limit: str | None = None,
             sites_file: StrPath | None = None) -> dict[str, Any]:
    """Add a site (any page of it) to the sites file that `wixarchive run-due` and `schedule`
    crawl, as `wixarchive sites add URL` does, and return its entry as `list_sites` gives it.

    `every` ("30m", "6h", "2d", "1w"; default 1d) or `cron` (local time, "0 3 * * *"), `name`,
    `label` (one, or a list), and the crawl options of `crawl()`, same names (a `--no-X` flag
    being `X=False`); `time_limit` is the command's --timeout, the crawl's time limit written
    as a duration ("4h", the default). `sites_file`: the command's --sites (default
    $WIXARCHIVE_SITES, else beside the archive: blog.db -> blog.sites.toml). ValueError for a
    value the command refuses (a schedule it cannot read, a site already in the file)."""
    from archive.schedule import sites as sites_file_module
    from archive.schedule.report import scheduled_rows

    if not isinstance(url, str):
        raise TypeError(f"url: expected the site's address, not {url!r}")
    if time_limit is not None and not isinstance(time_limit, str):
        raise TypeError(f"time_limit: expected a duration such as \"4h\" or \"90m\", not "
                        f"{time_limit!r}")
    path = _sites_file(archive, sites_file)
    labels = _names("label", label) or ()
    entry = sites_file_module.entry(
        url, name=name, every=every, cron=cron,
        labels=[labels] if isinstance(labels, str) else labels, delay=delay,
        concurrency=concurrency, autothrottle=autothrottle, user_agent=user_agent,
        contact=contact, robots=robots, capture=capture, media=media,
        max_media_mb=max_media_mb, media_kinds=_media_kinds(media_kinds),
        page_requisites=page_requisites, timeout=time_limit)
    site = sites_file_module.add(path, entry)
    [row] = scheduled_rows(archive.path, [site], datetime.now(UTC))
    return row


@_takes_archive
def list_sites(archive: Archive, *, label: Names = None,
               sites_file: StrPath | None = None) -> list[dict[str, Any]]:
    """The sites of the sites file (with `label`, or any of a list), as `wixarchive sites list
    --json` prints them: `url`, `site`, `name`, `schedule`, `labels`, `politeness`, `media`,
    `timeout` (the time limit, in seconds), `last_run`, `last_status`, `failures_in_a_row`,
    `next_due`, `due_now`. [] when there is no sites file beside the archive; a `sites_file`
    given must exist (FileNotFoundError, as the command refuses it)."""
    from archive.schedule import sites as sites_file_module
    from archive.schedule.report import scheduled_rows

    path = _sites_file(archive, sites_file)
    if sites_file is not None and not path.exists():
        raise FileNotFoundError(f"no sites file at {path}")
    labels = _names("label", label)
    wanted = {labels} if isinstance(labels, str) else set(labels or ())
    sites = [s for s in sites_file_module.load(path) if not wanted or wanted & set(s.labels)]
    return scheduled_rows(archive.path, sites, datetime.now(UTC))


@_takes_archive
def remove_site(archive: Archive, site: str, *,
                sites_file: StrPath | None = None) -> dict[str, Any]:
    """Remove a site (by a URL of it or its name) from the sites file, as `wixarchive sites
    remove` does, and return its entry as `list_sites` gave it; its archived posts are kept.
    ValueError when the file has no such site."""
    from archive.schedule import sites as sites_file_module
    from archive.schedule.report import scheduled_rows

    removed = sites_file_module.remove(_sites_file(archive, sites_file), site)
    [row] = scheduled_rows(archive.path, [removed], datetime.now(UTC))
    return row


@_takes_archive
def merge_sites(archive: Archive, old: str, new: str) -> MergeResult:
    """Join two archived sites that are one blog which moved host, as `wixarchive sites merge
    OLD NEW` does: the site `old` names (the address the blog left) is kept, with its name and
    runs; the site `new` names (where it lives now) is merged into it: every post takes its
    URL at the new address, two posts at one path become one (their versions in time order,
    none lost), the new site's runs become the site's, and crawls of the new address continue
    it. Returns what was merged (`site`, `merged`, `address`, `joined`, `moved`, `readdressed`,
    `versions`, `runs`; `.to_dict()`). ValueError when both name one site, when they are
    given the wrong way round (nothing of `old`'s archived before `new`'s posts were last
    seen), or either names none or several (as --site takes them: URL, host or name);
    ArchiveError for an archive opened read-only, or while either site is being crawled."""
    from archive.site_merge import merge_sites as merge

    for field, value in (("old", old), ("new", new)):
        if not isinstance(value, str):
            raise SearchError.bad_value(field, f"expected a string, not {value!r}")
    return merge(archive, old, new)


@_takes_archive
def forget_site(archive: Archive, site: str, *,
                sites_file: StrPath | None = None) -> ForgetResult:
    """Remove from the archive a site that holds no posts (an address crawled by mistake), and
    its runs, as `wixarchive sites forget SITE` does (`site`: a URL, host or name, as --site
    takes them). Returns what was removed (`site`, `runs`; `.to_dict()`). ValueError when the
    site holds posts, when the sites file (`sites_file`, as for `add_site`) lists it or cannot
    be read, or when `site` names none or several; ArchiveError for an archive opened
    read-only, or while the site is being crawled."""
    from archive.site_forget import forget_site as forget

    if not isinstance(site, str):
        raise SearchError.bad_value("site", f"expected a string, not {site!r}")
    return forget(archive, site, sites_path=_sites_file(archive, sites_file))


@_takes_archive
def backup(archive: Archive, dest: StrPath) -> Backup:
    """Back up the archive to `dest`, a new archive file (or an existing folder to put it in
    under its own name), as `wixarchive backup DEST` does: its database as one commit left it,
    safely while crawls write it, then its captures and its sites file, named after the copy.
    Returns what was copied (`destination`, `posts`, `capture_files`, `capture_bytes`,
    `sites_file`); ArchiveError, with the command's message, when it cannot (`dest` exists,
    is the archive itself, or is in a folder that does not exist)."""
    from archive.backup import back_up

    if not isinstance(dest, str | os.PathLike):
        raise TypeError(f"dest: expected a path, not {dest!r}")
    return back_up(archive.path, dest)


@_takes_archive
def check(archive: Archive, *, repair: bool = False) -> CheckResult:
    """Check the archive as `wixarchive check` does: SQLite integrity, foreign keys, versions,
    the search index (what `archive.check()` checks), and every raw capture against its index
    (each response's payload digest compared; damaged records noted for the next crawl to
    capture again). With `repair=True`, the search indexes are rebuilt from the posts first.

    Returns what `wixarchive check --json` prints: `ok`, `problems` (one line each; empty when
    healthy), `notes` (what the next crawl mends itself), `posts`, `schema`, `captures` (records
    verified), `closed_runs` (runs left `running` by a process that is gone, closed as
    interrupted), `repaired`; `.to_dict()` gives it as that JSON's data. An archive opened
    read-only gets the lighter read-only index check, and `repair=True` raises ArchiveError
    on it, as it does (naming the archive as busy) when another process kept it locked."""
    from archive.health import check_archive

    return check_archive(archive, repair=repair)


def extract(html: str | bytes, url: str | None = None, *,
            content_type: str | None = None) -> Article:
    """The article in one Wix page's HTML: title, author, dates, tags, categories, images and
    the body as text, sanitized HTML and Markdown, without the site's chrome.

    Never raises: problems are in `article.warnings`, and `article.page_kind` says what the
    page was ("post", "listing", "not-wix", ...). `url` resolves relative links."""
    from crawler.extract import extract_article

    return extract_article(html, url, content_type=content_type)


def clean(text: str, *, format: str | None = None) -> CleanedText:
    """A plain-text dump of a Wix page (what a browser's "select all, copy" gives) without its
    chrome: menus, share buttons, comments, "recent posts", cookie banners.

    `format` is `wixarchive clean --format`: how the dump is written, "text" or "markdown"
    (default: detected). TypeError for anything but a str (bytes: decode them first);
    ValueError for an HTML page's source, which `extract` reads, as the command refuses it."""
    from crawler.clean.text import clean_text, is_html_page

    if not isinstance(text, str):
        raise TypeError(f"clean takes the dump as text (str), not {type(text).__name__}"
                        + (": decode it first" if isinstance(text, bytes | bytearray) else ""))
    if format not in (None, "text", "markdown"):
        raise ValueError(f"format must be \"text\" or \"markdown\", not {format!r}")
    if is_html_page(text):
        raise ValueError("an HTML page, not a text dump: wixarchive.extract() reads it")
    return clean_text(text, format)


@contextmanager
def _forwarding_ctrl_c() -> Iterator[Callable[[subprocess.Popen[bytes]], None]]:
    """While a crawler runs in its own session, pass each Ctrl-C on to it once, as
    `wixarchive crawl` does: it checkpoints and stops (its summary says "interrupted"), where a
    KeyboardInterrupt here would kill it. Only the main thread can handle signals."""
    children: list[subprocess.Popen[bytes]] = []
    if threading.current_thread() is not threading.main_thread():
        yield children.append
        return
    stopped: list[bool] = []

    def forward(signum: int, frame: object) -> None:
        stopped.append(True)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)

    def started(child: subprocess.Popen[bytes]) -> None:
        children.append(child)
        if stopped:  # the Ctrl-C came while the crawler was being started
            child.send_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGINT, forward)
    try:
        yield started
    finally:
        signal.signal(signal.SIGINT, previous)


def _media_kinds(media_kinds: str | Sequence[str] | None) -> str | None:
    """`media_kinds` as the command's --media-kinds takes it: "images,video" (a list of the
    names joined); ValueError for anything but a string or a list of strings."""
    if media_kinds is None or isinstance(media_kinds, str):
        return media_kinds
    if not isinstance(media_kinds, Sequence) or not all(
            isinstance(kind, str) for kind in media_kinds):
        raise ValueError(f"media_kinds: expected a string or a list of strings, not "
                         f"{media_kinds!r}")
    return ",".join(media_kinds)


def _check_number(name: str, value: float | None, *, whole: bool = False,
                  zero: bool = False) -> None:
    """TypeError for a crawl() argument that is no number (no int, for a `whole` one: 1 or
    more), ValueError for one that is not more than 0 (or below 0, when `zero` is allowed)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
        raise TypeError(f"{name}: expected {'a whole number' if whole else 'a number'}, "
                        f"not {value!r}")
    if value < 0 or (value == 0 and not zero):
        wanted = "0 or more" if zero else "1 or more" if whole else "more than 0"
        raise ValueError(f"{name}: expected {wanted}, not {value!r}")


def _check_crawl_environment() -> None:
    """ValueError naming the variable for a wrong value of a numeric WIXARCHIVE_* variable the
    crawl reads (`wixarchive crawl`'s one-line error), before anything is made: the crawl
    started and each site failed on Python's "could not convert string to float: 'abc'"."""
    from archive.environment import crawl_environment_problem

    problem = crawl_environment_problem()
    if problem:
        raise ValueError(problem)


def crawl(sites: str | Iterable[str], db: StrPath, *, delay: float | None = None,
          concurrency: int | None = None, autothrottle: bool | None = None,
          timeout: float | None = None, user_agent: str | None = None,
          contact: str | None = None, robots: bool = True, verbose: bool = False,
          time_limit: float | None = None, parallel: int | None = None,
          capture: bool = True, refetch: bool = False, media: bool = True,
          max_media_mb: float | None = None, media_kinds: str | Sequence[str] | None = None,
          page_requisites: bool = False) -> list[CrawlSummary]:
    """Crawl each site into the archive at `db` (created if missing) and return one summary per
    site, in the order given (a site listed twice, www. or not, http or https, is crawled and
    summarized once, as `wixarchive crawl` does; ValueError for a URL that is no site's): status
    "ok", "partial", "failed", "timeout" (stopped at `time_limit`) or "interrupted", counts of
    new/changed/unchanged/deleted posts, errors. Re-crawls fetch only what changed.

    The sites are crawled together in one child process (`python -m crawler.run`, as
    `wixarchive crawl` does), `parallel` at a time (default 32), each with its own politeness
    and run: Twisted's reactor cannot restart, so this can be called any number of times, and
    Scrapy is never imported here. A site being crawled by another process (a scheduler) at
    the same time is reported `busy` (failed before 2026-12-06), not crawled twice.
    Options as `wixarchive crawl`'s, a `--no-X` flag being `X=False` (`robots`, `capture`,
    `media`); `media_kinds` is "images,video,documents" or a list of those names (ValueError
    naming another). `time_limit` stops each site's crawl after that many seconds (resumable:
    crawl again). Ctrl-C stops every site cleanly (resumable).
    After the crawls, the search statistics are refreshed if posts changed."""
    from archive.crawls import (
        DEFAULT_PARALLEL,
        SiteCrawl,
        Target,
        check_targets,
        crawl_sites,
        lock_sites,
        media_options,
        media_overrides,
        scrapy_overrides,
    )

    if not isinstance(sites, str | Iterable) or isinstance(sites, bytes | bytearray):
        raise TypeError(f"sites: expected a URL or a list of URLs, not {sites!r}")
    targets = [sites] if isinstance(sites, str) else list(sites)
    if not all(isinstance(url, str) for url in targets):
        raise TypeError(f"sites: expected a URL or a list of URLs, not {sites!r}")
    # Each site once (www. or not, http or https: one site), as `wixarchive crawl` takes them;
    # a URL that is no site's refused before anything is made.
    wanted, refused = check_targets([Target(url) for url in targets])
    for problem in refused.values():
        if problem["status"] == "invalid":
            raise ValueError(problem["message"])
    _check_crawl_environment()
    _check_number("delay", delay, zero=True)
    for name, count in (("concurrency", concurrency), ("parallel", parallel)):
        _check_number(name, count, whole=True)
    for name, seconds in (("timeout", timeout), ("time_limit", time_limit),
                          ("max_media_mb", max_media_mb)):
        _check_number(name, seconds)
    overrides = scrapy_overrides(delay, concurrency, autothrottle, user_agent, contact, robots,
                                 verbose, timeout, capture=capture, refetch=refetch)
    try:
        overrides.update(media_overrides(media_options(
            media=media, max_media_mb=max_media_mb, media_kinds=_media_kinds(media_kinds),
            page_requisites=page_requisites)))
    except ValueError as exc:
        raise ValueError(f"media_kinds: {exc}") from None
    path = Path(db)
    Archive.open(path).close()  # a clear ArchiveError now for a file that is no archive
    summaries: list[CrawlSummary | None] = [None] * len(targets)
    locked, busy = lock_sites(wanted, path)
    for position, held in busy.items():  # crawled by another process: not twice
        summaries[position] = CrawlSummary(site=held["site"], status=held["status"],
                                           message=held["message"])
    jobs = [(position, lock, SiteCrawl(url, lock_fd=lock.fd, time_limit=time_limit))
            for position, url, lock in locked]
    known = CrawlSummary.__dataclass_fields__

    def ended(index: int, result: dict[str, Any]) -> None:
        position, lock, _ = jobs[index]
        lock.release()
        summaries[position] = CrawlSummary(**{k: v for k, v in result.items() if k in known})

    try:
        if jobs:
            with _forwarding_ctrl_c() as on_start:
                crawl_sites([job for _, _, job in jobs], path, overrides,
                            parallel=parallel or DEFAULT_PARALLEL, on_start=on_start,
                            on_result=ended)
    finally:
        for _, lock, _ in jobs:
            lock.release()
    done = [s for s in summaries if s is not None]
    if any(s.posts for s in done) and not any(s.status in ("interrupted", "timeout")
                                              for s in done):
        with Archive.open(path) as archive:
            archive.refresh_search_stats_if_stale()
    return done


def run_due(db: StrPath, *, site: Names = None, label: Names = None, force: bool = False,
            parallel: int | None = None, refetch: bool = False, verbose: bool = False,
            sites_file: StrPath | None = None) -> list[Outcome]:
    """Crawl the sites of the sites file that are due, once, as `wixarchive run-due` does (the
    same runner: each site's lock, schedule, politeness and time limit), and return one
    outcome a site of the file, as `run-due --json` lists them (`outcome.to_dict()`): `site`,
    `url`, `status` (ok, partial, failed, timeout or interrupted when crawled; not-due, busy,
    skipped; invalid for a wrong entry of the file, skipped), `message`, `counts`,
    `next_due`, `failures_in_a_row`...; [] when none is selected.

    `site` (a URL of it or its name) and `label` select sites, one or a list each; `force`
    crawls them whether due or not; `parallel` (default 32), `refetch` and `verbose` are the
    command's options; `sites_file` its --sites (default $WIXARCHIVE_SITES, else beside the
    archive: blog.db -> blog.sites.toml). Ctrl-C stops the crawls cleanly (resumable), as it
    does the command. ValueError (SitesError) for a sites file that is not there or cannot be
    read; ArchiveError for a file that is no archive."""
    from archive.crawls import DEFAULT_PARALLEL
    from archive.schedule.runner import Runner
    from archive.schedule.sites import default_path

    _check_crawl_environment()
    _check_number("parallel", parallel, whole=True)
    path = Path(db)
    if path.exists():  # a clear ArchiveError now for a file that is no archive; a path that
        # is none is made an archive by the runner once the sites file is read, as the
        # command does: not left behind, empty, by a mistyped path
        Archive.open(path).close()
    sites = _names("site", site) or ()
    labels = _names("label", label) or ()
    runner = Runner(path, Path(sites_file) if sites_file is not None else default_path(path),
                    verbose=verbose, parallel=parallel or DEFAULT_PARALLEL, refetch=refetch)
    with _stopping_on_ctrl_c(runner):
        return runner.run_due(force=force,
                              select_keys=(sites,) if isinstance(sites, str) else sites,
                              labels=(labels,) if isinstance(labels, str) else labels)


@contextmanager
def _stopping_on_ctrl_c(runner: Runner) -> Iterator[None]:
    """While `runner` crawls, Ctrl-C stops it as it stops `wixarchive run-due` (its crawls
    asked to stop cleanly), the previous handler put back after. Only the main thread can
    handle signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: runner.stop(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
