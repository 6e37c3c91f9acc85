"""`wixarchive recover`: a blog's posts brought back from the Wayback Machine or any pywb."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from archive.cli.common import (
    checked_site,
    counted,
    db_option,
    echo_unless_closed,
    fail,
    fail_with,
    remove_created_archive,
)
from archive.cli.import_files import CUT_SHORT, OLD_BLOG, gone_only, site_summary
from archive.cli.interrupts import stopping_cleanly
from archive.site_match import archived_root, captured_spelling_notice, one_scheme_notice
from archive.store import Archive, ArchiveError

if TYPE_CHECKING:
    from archive.recover import RecoverResult
    from crawler import wayback


@click.command("recover")
@click.argument("site", callback=checked_site)
@click.option("--from", "replay", default="https://web.archive.org/web/", show_default=True,
              metavar="REPLAY_BASE",
              help="The archive's replay base: the Wayback Machine, or a pywb collection "
                   "(http://host/COLL/).")
@click.option("--cdx", metavar="CDX_URL",
              help="Its CDX server [default: https://web.archive.org/cdx/search/cdx for the "
                   "Wayback Machine, REPLAY_BASE + 'cdx' otherwise].")
@db_option
@click.option("--delay", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds between two requests to the archive.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
              help="Seconds to wait for an answer.")
@click.option("--retries", type=click.IntRange(min=0), default=4, show_default=True,
              help="Retries of a request answered 429/5xx, timed out, or whose connection "
                   "failed (refused, DNS name not found, broken off), each said on stderr "
                   "(waiting Retry-After, else 5 s doubled each time).")
@click.option("--no-images", is_flag=True, help="Do not look for the posts' images.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(site: str, replay: str, cdx: str | None, db: Path, delay: float, timeout: float,
            retries: int, no_images: bool, as_json: bool) -> None:
    """Recover the posts of SITE (the blog's address) from a web archive: every capture of its
    post pages the archive's CDX server lists (and those its feed and sitemaps name) is
    fetched raw (id_), politely, and archived like an imported WARC: the latest capture is the
    current version (never one cut short, over a whole one), earlier distinct ones are
    versions dated by capture time (an old /single-post/ URL's are those of the /post/ Wix
    moved it to, found in this run or a later one), a post last captured as a 404/410 is
    kept and marked deleted (unless no other post of the site was captured since: the site
    gone, not the post), and the images
    the posts use are recovered from their captures. Running it again fetches only
    captures not fetched before; a recover stopped (the archive down, a kill) resumes where it
    stopped.

    \b
    Example:
        wixarchive recover https://www.example.com --db blog.db
        wixarchive recover https://www.example.com --from http://localhost:8080/coll/ --db blog.db
    """
    from archive.recover import RecoverBusy, RecoverResult, recover, spool_dir
    from crawler import wayback
    from crawler.discover.urls import BadURL, parses, site_root

    # What the summary says however the recover ends: with --json, it is printed on a failure
    # or a stop too, the reason in its errors, as `crawl --json` does.
    result = RecoverResult(site)

    def stop(problem: str, exc: Exception | None = None) -> NoReturn:
        if as_json:
            _print_json(result, "failed", [problem])
        if exc is not None:
            fail_with(exc)  # exit 75 when the archive was only busy
        fail(problem)

    for option, value in (("--from", replay), ("--cdx", cdx)):
        if value is not None and not (value.startswith(("http://", "https://"))
                                      and parses(value)):
            stop(f"{option} must be an http(s) URL, not {value!r}")
    try:
        result.site = root = site_root(site)
    except BadURL as exc:
        stop(str(exc))
    existed = db.exists()
    try:
        archive = Archive.open(db)
    except ArchiveError as exc:
        stop(str(exc), exc)
    bar = None
    fetched = 0  # captures fetched by this run (spooled, archived at the latest next run)

    def on_start(n: int) -> None:
        nonlocal bar
        if bar is not None:
            bar.__exit__(None, None, None)
            bar = None
        if n and not as_json and sys.stderr.isatty():
            bar = click.progressbar(length=n, label="Fetching captures", file=sys.stderr)
            bar.__enter__()

    def progress(n: int) -> None:
        nonlocal fetched
        fetched += n
        if bar is not None:
            bar.update(n)

    def on_retry(problem: str, wait: float, next_try: int, tries: int) -> None:
        # On a line of its own, not after a progress bar's half-drawn line.
        click.echo(("\n" if bar is not None else "")
                   + f"{problem}; retrying in {wait:g} s (try {next_try} of {tries})", err=True)

    client = wayback.Client(delay=delay, timeout=timeout, retries=retries, on_retry=on_retry)
    problem: str | None = None  # why it stopped: the one Error line
    nothing: str | None = None  # why nothing was listed: said after the summary
    empty = False
    def what_was_kept() -> str:
        return (f"what was fetched is kept ({fetched} captures of post pages this run; those "
                f"not archived yet wait in {spool_dir(db)}/): run the same command again to "
                "resume")

    # Ctrl-C and SIGTERM: the spool keeps what was fetched, exit 130 or 143 saying so (the
    # progress bar is closed first, by the `finally` below, so the line stands on its own).
    with stopping_cleanly(what_was_kept):
        try:
            with archive:
                # http and https, www. or not, are one site, as a crawl has it: the archived
                # spelling is used.
                result.site = archived = archived_root(archive.conn, root)
                if archived != root:
                    click.echo(one_scheme_notice(site, archived), err=True)
                try:
                    recover(archive, archived, replay=replay, cdx=cdx, client=client,
                            images=not no_images, on_start=on_start, progress=progress,
                            into=result)
                    if result.given is not None:
                        click.echo(captured_spelling_notice(site, result.site), err=True)
                    if not result.listed and not result.already:
                        nothing = _nothing_listed(client, result.site, replay, cdx)
                finally:
                    empty = not existed and _holds_nothing(archive)
        except wayback.NotACDXServer as exc:
            problem = str(exc.pointing(replay, "--cdx" if cdx else None))
        except wayback.WaybackError as exc:
            problem = f"{exc}; what was fetched is kept: run the same command again to resume"
        except RecoverBusy as exc:
            problem, empty = str(exc), False  # the other recover may have just made the archive
        except ArchiveError as exc:
            problem = str(exc)
        except OSError as exc:
            problem = f"captures could not be written: {exc.strerror or exc}"
        except KeyboardInterrupt:  # stopping_cleanly says so on stderr and exits 130 or 143
            if as_json:
                _print_json(result, "interrupted", [f"interrupted: {what_was_kept()}"])
            raise
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
            if empty:  # created for nothing: no empty archive left to puzzle over
                from archive.captures import captures_dir

                remove_created_archive(db, files=[spool_dir(db) / "lock"],
                                       folders=[spool_dir(db), captures_dir(db)])
    if problem is not None:
        stop(problem)
    if as_json:
        failed = bool(result.imported.errors) or nothing is not None
        _print_json(result, "failed" if failed else "ok", [nothing] if nothing else [])
    else:
        _summary(result)
    for error in result.imported.errors:
        click.echo(f"Error: {error}", err=True)
    if result.imported.errors:
        sys.exit(1)
    if nothing is not None:
        fail(nothing)


def _print_json(result: RecoverResult, status: str, problems: list[str]) -> None:
    """The --json summary: what was done, `status` (ok, failed or interrupted) and, after
    the import's errors, why it failed or stopped."""
    summary = {"status": status, **result.to_dict()}
    summary["errors"] = [*result.imported.errors, *problems]
    echo_unless_closed(json.dumps(summary))


def _nothing_listed(client: wayback.Client, site: str, replay: str, cdx: str | None) -> str:
    """Why a recover listed nothing: the wrong pywb collection, else the archive holds no post
    of the site."""
    from archive.recover import missing_collection

    return (missing_collection(client, replay, cdx)
            or f"{site} has no captures of post pages in {replay}")


def _holds_nothing(archive: Archive) -> bool:
    """No post and no fetched capture in the archive: nothing a recover would resume from."""
    return not archive.conn.execute(
        "SELECT EXISTS (SELECT 1 FROM posts) OR EXISTS (SELECT 1 FROM recovered)").fetchone()[0]


def _summary(result) -> None:  # archive.recover.RecoverResult
    kinds = result.fetched_kinds
    # What the captures fetched now were: post pages (and pages read to learn where posts
    # live), the feeds and sitemaps read for post URLs, and the posts' media.
    fetched = [counted(number, one, many) for number, one, many in (
        (kinds["page"] + kinds["gone"] + kinds["probe"], "page", None),
        (kinds["feed"], "feed or sitemap", "feeds and sitemaps"),
        (kinds["image"], "image", None),
        (kinds["file"], "video or document", "videos and documents")) if number]
    click.echo(f"{result.site}: {counted(result.listed, 'capture')} of post URLs listed, "
               f"{result.already} fetched before, {result.fetched} fetched now"
               + (f" ({', '.join(fetched)})" if fetched else "")
               + (f", {result.missing} not replayed by the archive" if result.missing else "")
               + f"; {counted(result.requests, 'request')} ({result.cdx_requests} to the CDX "
               "server" + (f", {counted(result.retries, 'retry', 'retries')}"
                           if result.retries else "") + ")")
    for problem in result.problems[:5]:
        click.echo(f"  not replayed: {problem}")
    if len(result.problems) > 5:
        click.echo(f"  ... and {len(result.problems) - 5} more (--json lists them)")
    gone_only(result.gone_only)
    if result.imported.not_posts:
        click.echo(f"{result.imported.not_posts} captures at post URLs were not posts "
                   "(error or parking pages)")
    if result.old_blog:
        click.echo(OLD_BLOG.format(counted(result.old_blog, "capture")))
    if result.imported.cut_short:
        click.echo(CUT_SHORT.format(counted(result.imported.cut_short, "capture")))
    for site, counts in sorted(result.imported.sites.items()):
        click.echo(site_summary(site, counts, "recovered"))
    if not result.imported.sites and result.already:
        click.echo("Nothing new: every capture listed was fetched before.")
