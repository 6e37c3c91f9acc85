"""Helpers shared by the archive commands: the --db option, opening, errors, output formats."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

import click

from archive.cli.output import OutputError, drop_failed_output
from archive.iri import display_url, uri_fields
from archive.site_match import (
    NoSuchSite,
    SeveralSites,
    archived_sites,
    matching_sites,
    moved_site,
    one_scheme_notice,
    one_site,
    site_spelling_notice,
    site_twins,
)
from archive.words import counted as counted  # re-exported: the commands import it here
from archive.words import plural as plural
from crawler.discover.urls import BadURL, site_root

# sysexits.h EX_TEMPFAIL: the command could not do its work now (another process held the
# archive's write lock past the busy timeout); try again. Apart from 1, "problems found" or
# "failed", so a monitor does not take a busy archive for a damaged one (every command).
EXIT_BUSY = 75

# archive.store is imported by the functions that open an archive, not here: `wixarchive extract`
# and `clean` use this module's helpers but no archive, and archive.store brings archive.ingest
# and the search package with it (~45 ms of the extract command's ~200 ms start).
if TYPE_CHECKING:
    from archive.store import Archive

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json", "jsonl", "csv")


def db_option(func: F) -> F:
    """--db PATH, else $WIXARCHIVE_DB, else ./archive.db."""
    return click.option(
        "--db", type=click.Path(dir_okay=True, path_type=Path), envvar="WIXARCHIVE_DB",
        default="archive.db", show_default=True, help="The archive file ($WIXARCHIVE_DB).")(func)


def format_options(func: F) -> F:
    """--format text|json|jsonl|csv, with --json/--jsonl/--csv as shorthands."""
    func = click.option("--csv", "fmt", flag_value="csv", help="Same as --format csv.")(func)
    func = click.option("--jsonl", "fmt", flag_value="jsonl", help="Same as --format jsonl.")(func)
    func = click.option("--json", "fmt", flag_value="json", help="Same as --format json.")(func)
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                        show_default=True, help="Output format.")(func)


def find_post(archive: Archive, ref: str) -> dict[str, Any]:
    """The post `ref` (an id or URL: Archive.post, which also finds a URL given with the other
    scheme than the archived one, or none, or with its host's `www.` added or taken off);
    a notice on stderr when it was found under such another spelling. None found: one
    `Error:` line, the same for every command that takes a post, and exit 1."""
    post = archive.post(ref)
    number = ref.strip().isdigit()
    if post is None and "://" not in ref:  # a number no post has as id may be a slug (/post/2024)
        post = _post_of_slug(archive, ref)
    elif post is not None and not number and _twin_spelling(ref, post["url"]):
        click.echo(one_scheme_notice(ref.strip(), post["url"]), err=True)
    elif post is not None and number:
        _name_slug_beside_id(archive, ref.strip(), post["id"])
    if post is None and len(moved := archive.posts_an_old_blog_url_may_mean(ref)) > 1:
        posts = [archive.post(post_id) or {} for post_id in moved]
        fail(f"no post {ref!r} in {archive.path}: its slug, in any letter case, is that of "
             f"{len(posts)} posts at its site's new blog, and which of them it was cannot be "
             "told; give the URL or id of the one you mean\n" + "\n".join(_listed(
                 [(post["id"], post["url"], post["title"]) for post in posts])))
    if post is None:
        fail(f"no post {ref!r} in {archive.path}{_captured_only_gone(archive, ref)}")
    return post


def _listed(posts: list[tuple[int, str, str | None]]) -> list[str]:
    """A line for each post: its id, URL and title, the ids aligned."""
    width = len(str(max(post_id for post_id, _, _ in posts)))
    return [f"  {str(post_id).rjust(width)}  {display_url(url)}  {title or '(untitled)'}"
            for post_id, url, title in posts]


def _captured_only_gone(archive: Archive, ref: str) -> str:
    """What the archive holds of a URL that is no post: its captures, when all are 404s or
    410s (a post deleted before a web archive captured a page of it), else nothing."""
    from archive.captures import captured_only_gone  # only on this error's path

    try:
        found = captured_only_gone(archive.conn, ref.strip())
    except sqlite3.OperationalError:  # an archive from before the capture index, read as is
        return ""
    if found is None:
        return ""
    url, status, when = found
    return (f": the only captures of {display_url(url)} are gone (HTTP {status}, the last on "
            f"{datetime.fromisoformat(when).isoformat(timespec='seconds')}), never a page: "
            "nothing of it is archived")


def _name_slug_beside_id(archive: Archive, number: str, post_id: int) -> None:
    """A number is the id it names (ids keep working); another post whose URL ends in it (a
    slug /post/2024) is named on stderr, so a user who meant that one learns how to reach it."""
    found = archive.posts_by_slug(number)
    others = [(other_id, url) for other_id, url, _ in found.posts if other_id != post_id]
    if not found.exact or not others:
        return
    named = ", ".join(f"{display_url(url)} (id {other_id})" for other_id, url in others)
    whose = ("the post " + named + " has it as its slug: give its id or URL" if len(others) == 1
             else "the posts " + named + " have it as their slug: give the id or URL of one")
    click.echo(f"Notice: {number} is read as post id {post_id}; {whose} to see it", err=True)


def _post_of_slug(archive: Archive, slug: str) -> dict[str, Any] | None:
    """The one post whose URL ends in `slug` (a slug or the end of a path, typed alone), said
    on stderr; several, or posts whose URL holds it: listed, by id, URL and title, and exit 1
    (the user picks: a guess would show another post than the one meant); None for none."""
    found = archive.posts_by_slug(slug)
    if found.exact and found.total == 1:
        post_id, url, _ = found.posts[0]
        click.echo(f"Notice: {slug.strip()} is archived as {display_url(url)}: using that",
                   err=True)
        return archive.post(post_id)
    if not found.total:
        return None
    listed = _listed(found.posts)
    if found.total > len(found.posts):
        listed.append(f"  … and {found.total - len(found.posts):,} more")
    whose = "1 post's URL" if found.total == 1 else f"{found.total:,} posts' URLs"
    verb = ("ends in" if found.exact else "holds") if found.total == 1 else (
        "end in" if found.exact else "hold")
    fail(f"no post {slug!r} in {archive.path}; {whose} {verb} it: give the URL or id of the "
         "one you mean\n" + "\n".join(listed))


def _twin_spelling(typed: str, found: str) -> bool:
    """Whether the post URL `found` is on a twin of the site root of `typed` (site_twins), or
    `typed` has no scheme."""
    try:
        return "://" not in typed or site_root(found) in site_twins(site_root(typed))
    except BadURL:
        return False


def echo_unless_closed(text: str, *, err: bool = False) -> None:
    """click.echo for commands that work on after their output is gone (`run-due | head -1`, a
    pipe into a command that does not exist): once the reader has closed the pipe, this stream's
    lines are dropped. A closed output is no failure of the work (crawls go on and are
    recorded), and no BrokenPipeError may escape into it. The stream is pointed at /dev/null,
    so Python's flush at exit does not fail on it either."""
    stream = sys.stderr if err else sys.stdout
    try:
        click.echo(text, file=stream)
    except OutputError as error:  # a full output (`> /dev/full`): said, and exits 1 at the end
        drop_failed_output(error)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


def checked_site(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback refusing an address that names no site (`""`, `http://`) before
    anything is written or fetched: exit 2, as click's own types."""
    from archive.crawls import not_a_site

    problem = None if value is None else not_a_site(value)
    if problem is not None:
        raise click.BadParameter(problem)
    return value


def fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def fail_with(exc: Exception) -> NoReturn:
    """`fail` with an exception's message; exit status EXIT_BUSY when the archive was only busy,
    so a script or monitor can tell "try again" from a real error."""
    from archive.store import ArchiveBusy  # loaded already by whatever raised an ArchiveError

    click.echo(f"Error: {exc}", err=True)
    sys.exit(EXIT_BUSY if isinstance(exc, ArchiveBusy) else 1)


def check_crawl_environment() -> None:
    """The environment variables a crawl reads, checked at a crawling command's start: a wrong
    value is one line here, exit 2 as for a bad option, not a traceback or Python's conversion
    message in the crawler (each site failed on "could not convert string to float")."""
    from archive.environment import crawl_environment_problem
    from crawler.downloader.addresses import SETTING, mode_problem  # no Scrapy

    value = os.environ.get(SETTING)
    problems = [mode_problem(value) if value else None, crawl_environment_problem()]
    for problem in problems:
        if problem:
            click.echo(f"Error: {problem}", err=True)
            sys.exit(2)


def check_redis_url(url: str | None) -> None:
    """--redis URL, checked at a command's start: a mistyped one (127.0.0.1:6379, with no
    redis://) must not pass for "nothing due" under cron."""
    if url is not None:
        from crawler.distributed.protocol import url_problem  # no Scrapy: key names, scripts

        problem = url_problem(url)
        if problem:
            fail(problem)


def read_input(source: str, limit: int = -1) -> bytes:
    """The bytes of a file, or of standard input for "-", or exit with a one-line error.

    `limit` reads at most that many bytes: commands that cut their input anyway never hold a
    multi-gigabyte file in memory.
    """
    if source == "-":
        return sys.stdin.buffer.read(limit)
    try:
        with Path(source).open("rb") as file:
            return file.read(limit)
    except FileNotFoundError:
        fail(f"no such file: {source}")
    except IsADirectoryError:
        fail(f"{source} is a directory, not a file")
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror or exc}")


def open_archive(db: Path, *, readonly: bool = True) -> Archive:
    """Open an existing archive (load_archive) or exit with a one-line error."""
    from archive.store import ArchiveError

    try:
        return load_archive(db, readonly=readonly)
    except ArchiveError as exc:
        if not db.exists() and (hint := default_db_hint()):
            fail(f"{exc} {hint}")
        fail_with(exc)


def default_db_hint() -> str | None:
    """What to do when the archive of the default name is missing because the user gave no --db
    (nor $WIXARCHIVE_DB): a new user who crawled into blog.db then ran `search garden` read
    only "no archive at archive.db". Names the archives in the current folder, if any."""
    note = default_db_note()
    if note is None:
        return None
    try:
        here = sorted(path.name for path in Path.cwd().glob("*.db") if path.is_file())
    except OSError:  # the current folder removed meanwhile (or unreadable): none to name
        here = []
    if not here:
        return (f"{note}: crawl a blog into it first (wixarchive crawl URL), or name your "
                "archive with --db FILE")
    shown = ", ".join(here[:3]) + (" …" if len(here) > 3 else "")
    return f"{note}: name your archive with --db FILE; in this folder: {shown}"


def default_db_note() -> str | None:
    """`(no --db given; the working directory is /var/lib/x)` when the archive is the default
    ./archive.db (no --db, no $WIXARCHIVE_DB), else None. Under cron or systemd the working
    directory is rarely the one in mind ($HOME, /), and cron's mail said only `no sites file
    at archive.sites.toml`, not where it was looked for."""
    context = click.get_current_context(silent=True)
    if context is None or "db" not in context.params or \
            context.get_parameter_source("db") is not click.core.ParameterSource.DEFAULT:
        return None
    try:
        return f"(no --db given; the working directory is {Path.cwd()})"
    except OSError:  # the current folder removed meanwhile: no name to give it
        return "(no --db given)"


def missing_sites_file(exc: Exception, sites: Path) -> str:
    """The error of run-due and schedule about their sites file: where a default one was
    looked for, when it is not there (default_db_note)."""
    note = default_db_note() if not sites.exists() else None
    return f"{exc} {note}" if note else str(exc)


def load_archive(db: Path, *, readonly: bool = True) -> Archive:
    """Open an existing archive; ArchiveError (none there, not an archive) says why not.

    An archive of an older schema is read as it is (store.Archive.open); one older than
    schema.READABLE_FROM is upgraded first when the file may be written (the upgrade is one
    transaction, and says so on stderr), so old archives stay searchable after an update.
    """
    from archive.store import Archive, ArchiveOutdated, is_writable

    try:
        return Archive.open(db, readonly=readonly, create=False)
    except ArchiveOutdated:
        if not is_writable(db):
            raise
        Archive.open(db, create=False).close()
        return Archive.open(db, readonly=readonly, create=False)


def chosen_sites(archive: Archive, wanted: str,
                 aliases: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The archived sites a --site value names (archive/site_match.py; `aliases`: other names,
    lower-case, of a site's root URL), or exit with a one-line error naming the archive's
    sites."""
    try:
        chosen = matching_sites(archived_sites(archive.conn), moved_site(archive.conn, wanted),
                                aliases)
    except NoSuchSite as exc:
        fail(str(exc))
    if notice := site_spelling_notice(wanted, chosen):
        click.echo(notice, err=True)
    return chosen


def chosen_site(archive: Archive, wanted: str) -> str:
    """The URL of the one archived site a --site value names, or exit with a one-line error
    (no such site, or several: they are listed)."""
    try:
        site = one_site(archived_sites(archive.conn), moved_site(archive.conn, wanted))
    except (NoSuchSite, SeveralSites) as exc:
        fail(str(exc))
    if notice := site_spelling_notice(wanted, [site]):
        click.echo(notice, err=True)
    return site["site"]




def use_colour(colour: bool | None) -> bool:
    if colour is not None:
        return colour
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def bom_option(func: F) -> F:
    return click.option("--bom", is_flag=True,
                        help="CSV: start with a UTF-8 byte-order mark, which Excel needs to "
                             "read the file as UTF-8 (accents, non-Latin text).")(func)


def escape_formulas_option(func: F) -> F:
    return click.option("--no-escape-formulas", "raw_formulas", is_flag=True,
                        help="CSV: write text cells as they are, even those a spreadsheet runs "
                             "as a formula (starting with = + - @); by default they get a ' in "
                             "front.")(func)


def write_records(records: Sequence[dict[str, Any]], fmt: str, columns: Iterable[str],
                  bom: bool = False, out: TextIO | None = None, *,
                  escape_formulas: bool = True) -> None:
    """Machine-readable output to `out` (stdout by default; the search page's CSV too): a JSON
    array, JSON lines, or CSV with a header row (after a byte-order mark with `bom`), its
    cells as `archive.csv_cells.csv_cell` makes them (`escape_formulas`).

    Written out rather than taken from sqlite-utils: its row output lives in its CLI module, not
    its Python API, and importing sqlite_utils costs the search command's cold start ~120 ms
    (~300 ms on a loaded machine); the stdlib's json and csv do the job in these lines."""
    out = out or sys.stdout
    records = [uri_fields(record) for record in records]  # docs/fields.md, "URLs"
    if fmt == "json":
        out.write(json.dumps(list(records), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        import csv  # only when asked for: the search command's cold start pays for what it imports

        from archive.csv_cells import UTF8_BOM, csv_cell

        if bom:
            out.write(UTF8_BOM)
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: csv_cell(value, escape_formulas=escape_formulas)
                          for key, value in record.items()} for record in records)
    else:
        raise ValueError(f"not a record format: {fmt}")


def remove_created_archive(db: Path, *, files: Sequence[Path] = (),
                           folders: Sequence[Path] = ()) -> None:
    """Remove an archive a command created and put nothing in (`import`, `recover`): the file,
    SQLite's journal files beside it, its other `files`, and each of its `folders` that is
    empty (one that holds anything is kept)."""
    import contextlib  # here, not at the top: this module's imports stay the commands' own

    for path in (db, *(db.with_name(db.name + suffix) for suffix in ("-wal", "-shm",
                                                                      "-journal")), *files):
        path.unlink(missing_ok=True)
    for folder in folders:
        with contextlib.suppress(OSError):  # not empty (or gone): kept
            folder.rmdir()
