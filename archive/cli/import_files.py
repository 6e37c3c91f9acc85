"""`wixarchive import`: Wix blog posts out of web archives (WARC, WARC.gz, WACZ) of any tool."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import sys
from pathlib import Path

import click

from archive.captures import captures_dir
from archive.cli.common import (
    checked_site,
    counted,
    db_option,
    fail,
    fail_with,
    remove_created_archive,
)
from archive.cli.interrupts import stopping_cleanly
from archive.site_match import archived_root, one_scheme_notice
from archive.store import Archive, ArchiveError
from crawler.settings import WIXARCHIVE_MEDIA_MAX_BYTES


def _bar(label: str, length: int, quiet: bool):  # click's ProgressBar
    if quiet or not sys.stderr.isatty():
        return None
    bar = click.progressbar(length=length, label=label, file=sys.stderr)
    bar.__enter__()
    return bar


@click.command("import")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@db_option
@click.option("--site", metavar="URL", callback=checked_site,
              help="Import this site's posts only (its address; http and https, www. or "
                   "not, are the same site); the files' other sites are counted and left out.")
@click.option("--max-media-mb", type=click.FloatRange(min=0, min_open=True),
              default=WIXARCHIVE_MEDIA_MAX_BYTES / 2**20, show_default=True,
              help="Largest image, video or document stored, in MB, as a crawl's option: "
                   "a larger one is skipped and named (a file that inflates past it costs "
                   "time, never memory).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(files: tuple[Path, ...], db: Path, site: str | None, max_media_mb: float,
            as_json: bool) -> None:
    """Import the Wix blog posts held in web archives: WARC, WARC.gz or WACZ FILES made by
    any tool (wget --warc-file, Heritrix, Browsertrix, ArchiveBox, pywb, wixarchive).

    Post pages of any host are found by what extraction makes of every HTML page, so posts
    under a renamed URL prefix are found too; revisit records are resolved to their payloads.
    A 404 or 410 of an archived post marks it deleted (unless no other post of the site was
    captured since: the site gone, not the post). Each capture whose clean content
    differs becomes a version, dated by its WARC-Date, in time order (an old /single-post/
    URL's are those of the /post/ Wix moved it to, imported before or after). Images the posts use
    (with every size of them the files hold), and their videos and documents, that the files
    hold are kept with them. The records used are copied into ARCHIVE.captures/
    like crawled ones, so `reextract`, `serve` and `export` work on them. Importing the same
    files again adds nothing. A damaged file is imported up to the damage, which is named;
    the exit status is then 1. Pages of a site the archive holds under the other scheme
    (http, https) or host spelling (www. or not) are archived as that site's. A file's site
    the archive did not hold is added, and named in a notice when the archive held others
    (--site imports one site only).

    \b
    Example:
        wixarchive import crawl.warc.gz old-mirror.wacz --db blog.db
        wixarchive import *.warc.gz --site https://www.example.com --db blog.db
    """
    from archive.importer import import_files, last_capture, pages_saved_since
    from crawler.discover.urls import BadURL, site_root

    only_site = None
    if site is not None:
        try:
            only_site = site_root(site)
        except BadURL as exc:
            fail(f"--site: {exc}")

    unusable = _unusable(files)
    if len(unusable) == len(files):
        # Nothing to import: no archive is created, no summary of nothing, one line says why.
        fail(unusable[0] if len(files) == 1 else
             f"none of the {len(files)} files can be imported: {'; '.join(unusable)}")
    # Removed again if the files hold no post: the archive, and its captures folder.
    created = not db.exists()
    created_captures = not captures_dir(db).exists()
    try:
        archive = Archive.open(db, importing=files)
    except ArchiveError as exc:
        fail_with(exc)
    total = 0
    for path in files:
        with contextlib.suppress(OSError):  # named by the import, with the other errors
            total += path.stat().st_size
    bars: dict[str, object] = {}

    def on_scan(n: int) -> None:
        if "scan" not in bars:
            bars["scan"] = _bar("Reading web archives", total, as_json)
        if bars["scan"] is not None:
            bars["scan"].update(n)  # type: ignore[attr-defined]

    # Post pages to import, those the progress calls counted (a batch short when a Ctrl-C lands
    # between its commit and its call), and those the archive holds (read back when stopped),
    # after the capture `before`, the newest indexed as the pages began.
    pages = {"to import": 0, "counted": 0, "saved": 0, "before": 0}

    def on_start(n: int) -> None:
        pages["to import"], pages["before"] = n, last_capture(archive)
        if bars.get("scan") is not None:
            bars["scan"].__exit__(None, None, None)  # type: ignore[attr-defined]
        bars["scan"] = None
        bars["posts"] = _bar("Importing pages", n, as_json)

    def progress(n: int) -> None:  # called once a batch of pages is committed
        pages["counted"] += n
        if bars.get("posts") is not None:
            bars["posts"].update(n)  # type: ignore[attr-defined]

    def what_was_kept() -> str:
        if "posts" not in bars:
            return f"stopped while reading the files: nothing imported into {db} yet"
        # Records in the archive's captures are skipped by the next import (they resume it).
        return (f"{pages['saved']} of {counted(pages['to import'], 'post page')} imported so far "
                f"{'are' if pages['saved'] != 1 else 'is'} saved in {db}; run the same command "
                "again to resume: what was imported is skipped")

    # The progress bars end (finally) before the line saying what was kept.
    with stopping_cleanly(what_was_kept):
        try:
            with archive:
                held = {url for (url,) in archive.conn.execute("SELECT url FROM sites")}
                try:
                    result = import_files(archive, list(files), on_scan=on_scan,
                                          on_start=on_start, progress=progress, site=only_site,
                                          media_limit=int(max_media_mb * 2**20))
                except KeyboardInterrupt:
                    pages["saved"] = pages["counted"]
                    if "posts" in bars:  # read back before the archive closes
                        with contextlib.suppress(sqlite3.Error):
                            pages["saved"] = pages_saved_since(archive, pages["before"])
                    raise
                # The address a held site moved to, whose posts it holds there, is that site.
                held |= {site for site in result.sites
                         if site not in held and archived_root(archive.conn, site) in held}
        except ArchiveError as exc:
            fail_with(exc)
        except OSError as exc:
            fail(f"captures could not be written: {exc.strerror or exc}")
        finally:
            for bar in bars.values():
                if bar is not None:
                    bar.__exit__(None, None, None)  # type: ignore[attr-defined]
    # Revisits without their payload are kept: a later import of the files holding it may
    # make posts of them, so such an import found something; so did one whose captures of
    # archived posts were all cut short (left out, and said).
    found_nothing = (not result.sites and not result.already and not result.unresolved
                     and not result.cut_short)
    if found_nothing and created:
        # No empty archive left behind, as when no file could be read.
        remove_created_archive(db, folders=[captures_dir(db)] if created_captures else [])
    if as_json:
        click.echo(json.dumps(result.to_dict()))
    else:
        _summary(result)
    for notice in site_notices(result, held):
        click.echo(notice, err=True)
    for error in result.errors:
        click.echo(f"Error: {error}", err=True)
    if found_nothing:
        where = str(files[0]) if len(files) == 1 else f"the {len(files)} files"
        outcome = f"no archive created at {db}" if created else f"nothing imported into {db}"
        click.echo(f"Error: no Wix blog posts found in {where}: {outcome}", err=True)
    if result.errors or found_nothing:
        sys.exit(1)


def site_notices(result, held: set[str]) -> list[str]:  # importer.ImportResult
    """What an import (or a recover) did with sites that the user may not expect: the pages
    of a site archived under the other scheme went to it; a site the archive did not hold
    was added beside the ones it held."""
    notices = [one_scheme_notice(given, archived)
               for given, archived in sorted(result.respelled.items())]
    added = sorted(site for site in result.sites if site not in held)
    if held and added:
        notices += [f"Notice: added a site this archive did not hold: {site} "
                    f"({counted(len(result.sites[site].posts), 'post')}); `import --site URL` "
                    "imports one site only" for site in added]
    return notices


def _unusable(files: tuple[Path, ...]) -> list[str]:
    """Why each file that cannot be opened, or is no web archive at all, cannot be imported."""
    from archive.webarchive import WebArchiveError, check_kind

    found = []
    for path in files:
        try:
            check_kind(path)
        except OSError as exc:
            found.append(f"cannot read {path}: {exc.strerror or exc}")
        except WebArchiveError as exc:
            found.append(str(exc))
    return found


# Said by import and recover alike.
OLD_BLOG = ("{} of the old Wix blog's post URLs (/single-post/YYYY/MM/DD/<slug>) archived as "
            "older versions of the /post/<slug> Wix moved them to")
CUT_SHORT = ("{} of archived posts cut short (the page's end missing) left out: each post "
              "keeps its text from a whole capture")


def _summary(result) -> None:  # archive.importer.ImportResult
    click.echo(f"{counted(result.files, 'file')}, {counted(result.records, 'response')} "
               f"(and {counted(result.other_records, 'other record')}): {result.already} "
               f"imported before, {result.skipped} not post pages, {result.not_posts} at "
               "post URLs not extracted as posts"
               + (f", {counted(result.unresolved, 'revisit')} without their payload"
                  if result.unresolved else ""))
    if result.old_blog:
        click.echo(OLD_BLOG.format(counted(result.old_blog, "capture")))
    gone_only(result.gone_only)
    if result.cut_short:
        click.echo(CUT_SHORT.format(counted(result.cut_short, "capture")))
    if not result.sites and result.already:
        click.echo("Nothing new: every post page was imported before.")
    elif not result.sites and result.unresolved:
        click.echo("No Wix blog posts yet: the revisits may be posts once the files holding "
                   "their payloads are imported.")
    for site, counts in sorted(result.sites.items()):
        click.echo(site_summary(site, counts, "captured"))


def gone_only(urls: list[str]) -> None:
    """Names the post URLs an import or recover found captured only as 404/410s."""
    if not urls:
        return
    click.echo(f"{counted(len(urls), 'post URL')} captured only as gone (404/410), never as a "
               "page: nothing to archive; look for them elsewhere (a colleague's copy, a "
               "search engine's cache)")
    for url in urls[:5]:
        click.echo(f"  captured only as gone: {url}")
    if len(urls) > 5:
        click.echo(f"  ... and {len(urls) - 5} more (--json lists them)")


def site_summary(site: str, counts, done: str) -> str:  # archive.importer.SiteCounts
    """One line of what an import (or a recover, `done` = "recovered") brought to a site."""
    return (f"{site}: {counted(len(counts.posts), 'post')} {done}; {counts.new_posts} new, "
            f"{counted(counts.new_versions, 'new version')}, "
            f"{counted(counts.unchanged, 'capture')} unchanged"
            + (f", {counted(counts.earlier, 'version')} dated earlier" if counts.earlier else "")
            + (f", {counts.older} left out of the history" if counts.older else "")
            + (f", {counts.deleted} marked deleted" if counts.deleted else "")
            + (f", {counted(counts.site_gone, 'post')} last captured as a 404 once the whole "
               "site had gone (no other post seen since): not marked deleted"
               if counts.site_gone else "")
            + f", {counted(counts.images, 'image')}"
            + (f" (and {counted(counts.renditions, 'rendition')} of them)"
               if counts.renditions else "")
            + (f", {counted(counts.files, 'video or document', 'videos and documents')}"
               if counts.files else ""))
