"""`wixarchive export`: the archive's posts as JSON lines, CSV, Markdown files or WordPress WXR,
or its captures as a WACZ web archive."""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import IO, Any

import click

from archive.cli.common import (
    bom_option,
    counted,
    db_option,
    escape_formulas_option,
    fail,
    open_archive,
)
from archive.cli.interrupts import stopping_cleanly
from archive.cli.output import OutputError
from archive.export import FORMAT_OF_EXTENSION, FORMATS, format_of_path, no_such_export
from archive.export.source import (
    count_posts,
    describe_state,
    matching_sites,
    post_filters,
    snapshot,
)
from archive.export.writing import (
    ArchivedFiles,
    ExportError,
    file_output,
    images_folder,
    images_url_problem,
    wordpress_zone,
    write_export,
)
from archive.search.query import SearchError, shell_word
from archive.site_match import (
    NoSuchSite,
    moved_site,
    site_key,
    site_spelling_notice,
    sites_named,
)


class _Written:
    """The file an export writes before it is renamed to OUT (its device and inode), so that a
    stop (Ctrl-C, SIGTERM) is told apart after the rename, which gives OUT that file's identity,
    however few instructions after it the signal lands."""

    def __init__(self) -> None:
        self.identity: tuple[int, int] | None = None

    def note(self, stream: IO[Any]) -> None:
        status = os.fstat(stream.fileno())
        if stat.S_ISREG(status.st_mode):  # a temporary file, not a device or pipe
            self.identity = (status.st_dev, status.st_ino)

    def is_at(self, out: str) -> bool:
        """Whether OUT is now the file the export wrote."""
        try:
            status = os.stat(out)
        except OSError:
            return False
        return self.identity == (status.st_dev, status.st_ino)


@contextmanager
def _output(out: str, written: _Written, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout for "-"; else the file OUT, replaced whole or not at all (file_output)."""
    if out == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    replaced = Path(out).is_file()
    with file_output(Path(out), binary=binary) as stream:
        written.note(stream)
        yield stream
    if replaced:  # said, so an earlier export (or another file) is not lost unnoticed
        click.echo(f"Notice: replaced existing {out}", err=True)


def _format_of(out: str) -> str:
    """The format OUT's extension names; a usage error like click's own when it names none."""
    fmt = format_of_path(out)
    if fmt is None:
        known = ", ".join(FORMAT_OF_EXTENSION)
        if Path(out).is_dir():  # even d.html: a folder is no file to write an export into
            raise click.UsageError(
                f"{out} is an existing folder: give --format markdown to write one file per "
                f"post into it, or name a file (an OUT ending in {known} names its format)")
        raise click.UsageError(f"Missing option '--format' (an OUT ending in {known} names "
                               f"it){_instead(out)}")
    return fmt


def _instead(out: str) -> str:
    """For an OUT naming a format there is no export in (PDF, JSON), what gives it."""
    return no_such_export(out, "`wixarchive show ID --json` prints one post, `wixarchive "
                               "search WORDS --json` the posts a search finds")


@click.command("export")
@click.argument("out")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="jsonl/csv: every archived field; markdown: one file per post with front "
                   "matter (OUT is a folder); wxr: WordPress import file; html: one page "
                   "to read, search (the browser's Find), print or email, its archived "
                   "images inside; wacz: the captured pages and images as a web archive "
                   "(pywb, ReplayWeb.page). Without it, OUT's extension names it: "
                   ".jsonl/.ndjson, .csv, .xml/.wxr, .html/.htm, .wacz.")
@click.option("--site", "sites_wanted", multiple=True,
              help="Only this site (URL, host or part of it, or name); repeated: any of them.")
@click.option("--lang", help="Only posts in this language: its code (en also matches en-GB) "
              "or a common language's English name (Turkish), as for search.")
@click.option("--tag", "tags", multiple=True,
              help="Only posts with this tag (any case); repeated: with every one of them.")
@click.option("--category", help="Only posts in this category (any case).")
@click.option("--author", "authors", multiple=True,
              help="Only posts whose author's name contains this (any case or accents); "
                   "repeated: by any of them.")
@click.option("--since", metavar="DATE",
              help="Only posts published on or after DATE (2024, 2024-05, 2024-05-01), as "
                   "search's --since; with --versions, every version of those posts.")
@click.option("--changed-since", metavar="DATE",
              help="Only posts the archive stored a change of (a new version, a deletion "
                   "found, a return after one, whatever date the change carries: an import's "
                   "is its capture's) on or after DATE (2024-05-01, or a time: "
                   "2024-05-01T09:30:00+02:00; UTC when it names no offset): what changed "
                   "since an earlier export, whose summary gives the DATE to pass "
                   "(newest_recorded_at). With --versions, the versions stored since only (a "
                   "post deleted or back since: its current version).")
@click.option("--images-url", metavar="BASE",
              help="wxr: write the archived images, videos and documents to a folder beside "
                   "OUT (OUT-images/) and point the attachments and posts at BASE/<file>, "
                   "where you publish that folder for WordPress's importer to download.")
@click.option("--timezone", "zone_name", metavar="ZONE",
              help="wxr: the WordPress site's time zone (Settings > General), an IANA name "
                   "such as Europe/Paris: each post's date is written in it, as WordPress "
                   "keeps and shows dates (default UTC).")
@click.option("--flat", is_flag=True,
              help="markdown: OUT/<site>/<date>-<slug>.md beside one images/ folder per site "
                   "(the layout before page bundles; its links break in Hugo's default build), "
                   "instead of OUT/<site>/<date>-<slug>/index.md with the post's media beside "
                   "it. A post dated by its month or year alone takes that month's or year's "
                   "first day; an undated one is <slug>.md, which Jekyll's _posts skips.")
@click.option("--versions", "all_versions", is_flag=True,
              help="jsonl/csv: one row per stored version of each post, oldest first, with "
                   "its version number, fetched_at, source, run_id and recovered (default: "
                   "each post's current version).")
@bom_option
@escape_formulas_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(out: str, fmt: str | None, sites_wanted: tuple[str, ...], lang: str | None,
            tags: tuple[str, ...], category: str | None, authors: tuple[str, ...],
            since: str | None, changed_since: str | None, images_url: str | None,
            zone_name: str | None, flat: bool,
            all_versions: bool, bom: bool, raw_formulas: bool, db: Path, as_json: bool) -> None:
    """Export the archived posts (deleted ones too, marked) to OUT ("-" for stdout), or their
    raw captures as a WACZ web archive (--format wacz).

    Markdown writes each post as a page bundle, OUT/<site>/<date>-<slug>/index.md, its archived
    images, videos and documents beside it; links to another exported post of the site point
    at its file. Re-exporting into OUT rewrites only what changed and removes the files a
    previous export wrote that no post uses any more (never a file you added or edited). WXR
    lists each
    post's images, video files and documents as attachments WordPress's importer downloads:
    from where the site served them, or with --images-url from where you publish the archived
    copies it writes beside OUT. HTML is one file any web browser opens with no network,
    every post after a list of them, the archived images inside it. --lang, --tag,
    --category, --author and --since choose the posts as search's options of the same names
    do (wacz: their pages and captures only); --changed-since those changed, deleted or back
    since an earlier export.

    \b
    Examples:
        wixarchive export my-blog.html      (the format from the extension)
        wixarchive export posts.jsonl
        wixarchive export --format jsonl posts.jsonl
        wixarchive export --format csv --versions versions.csv
        wixarchive export --lang fr --since 2024 french-2024.jsonl
        wixarchive export --changed-since 2024-06-01T03:12:09Z changes.jsonl
        wixarchive export --tag recipes --tag vegan --format markdown content/posts
        wixarchive export --format markdown --site example.com content/posts
        wixarchive export --format wxr --site example.com wordpress.xml
        wixarchive export --format wxr wordpress.xml --images-url https://example.org/img/
        wixarchive export --format wxr --timezone Europe/Paris wordpress.xml
        wixarchive export --format wacz --site example.com example.wacz
    """
    if fmt is None:
        fmt = _format_of(out)
    if bom and fmt != "csv":
        fail("--bom is for --format csv")
    if raw_formulas and fmt != "csv":
        fail("--no-escape-formulas is for --format csv")
    if flat and fmt != "markdown":
        fail("--flat is for --format markdown")
    if all_versions and fmt not in ("jsonl", "csv"):
        fail("--versions is for --format jsonl or csv")
    if fmt == "markdown" and out == "-":
        fail("markdown export writes one file per post: give a folder, not -")
    zone = UTC
    if zone_name is not None:
        if fmt != "wxr":
            fail("--timezone is for --format wxr")
        try:
            zone = wordpress_zone(zone_name)
        except ValueError as exc:
            fail(f"--timezone: {exc}")
    if images_url is not None:
        if fmt != "wxr":
            fail("--images-url is for --format wxr")
        if out == "-":
            fail("--images-url writes the images beside OUT: give a file name, not -")
        if problem := images_url_problem(images_url):
            fail(f"--images-url {problem}")
    try:
        chosen = post_filters(lang=lang, tag=tags, category=category, author=authors,
                              since=since, changed_since=changed_since)
    except SearchError as exc:  # named as the option the user typed
        fail(f"--{_option(exc.field)}: {exc.problem}" if exc.field else str(exc))
    site = ", ".join(name for name in sites_wanted if name.strip()) or None  # as messages say it
    # Stopped part way (Ctrl-C, SIGTERM): the temporary file is removed, a line says what
    # was kept, and the exit status is 130 or 143, as a crawl's.
    written = _Written()
    with stopping_cleanly(lambda: _what_was_kept(out, fmt, images_url, written)):
        archive = open_archive(db)
        try:
            files = ArchivedFiles(archive.conn, db)  # the archived copies markdown and wxr write
            try:  # the rule every --site follows (archive/site_match.py)
                sites = matching_sites(archive, sites_wanted)
            except NoSuchSite as exc:
                fail(str(exc))
            for wanted in filter(str.strip, sites_wanted):  # a www. spelling archived without
                named = sites_named(sites, moved_site(archive.conn, wanted))
                if notice := site_spelling_notice(wanted, named):
                    click.echo(notice, err=True)
                if (count := len({site_key(s["site"]) for s in named})) > 1:
                    # --site takes any sites it matches (repeated: any of them), as search
                    # does; said, so a host matching several blogs (other ports) is no
                    # surprise. The rows of one site's spellings (site_twins) are one site.
                    click.echo(f"Notice: {wanted.strip()!r} matches {count} sites, all "
                               f"exported: {', '.join(s['site'] for s in named)} (give a full "
                               "URL for one)", err=True)
            # One read snapshot: the passes agree even while a crawl writes the archive.
            with snapshot(archive):
                posts = count_posts(archive, sites, chosen)
                where = f" for {site}" if site else ""
                if not posts and fmt == "wacz":  # a web archive of nothing replays nothing
                    fail(f"nothing to export: no post{where} matches {_said(chosen.applied())}"
                         if chosen else
                         f"nothing to export: {db} has no posts{where} yet (crawl a site first)")
                if not posts and chosen:
                    click.echo(f"Note: no post{where} matches {_said(chosen.applied())}: the "
                               "export is empty", err=True)
                elif not posts:
                    # As `search` finding nothing: an empty output (a CSV's header row, a WXR
                    # channel with no item, no file in the folder) and status 0, said.
                    click.echo(f"Note: {db} has no posts{where} yet: the export is empty "
                               "(crawl a site first)", err=True)
                try:
                    with _progress(posts, show=fmt != "wacz" and not as_json and out != "-"
                                   ) as progress:
                        summary = write_export(
                            archive, files, sites, fmt,
                            Path(out) if fmt == "markdown" else
                            (lambda binary: _output(out, written, binary=binary)),
                            output_name=out, chosen=chosen, posts=posts,
                            write_wacz=lambda chosen_posts: _write_wacz(
                                archive, db, sites, site, out, written,
                                show_progress=not as_json and out != "-", posts=chosen_posts),
                            images_url=images_url,
                            images_dir=images_folder(Path(out)) if images_url else None,
                            bom=bom, flat=flat, all_versions=all_versions,
                            escape_formulas=not raw_formulas, progress=progress, zone=zone)
                except ExportError as exc:
                    fail(str(exc))
                except OSError as exc:  # a full disk, a vanished folder
                    if exc.errno == errno.EPIPE or isinstance(exc, OutputError):
                        raise  # the reader left (`| head`), stdout failed: as for any command
                    fail(f"cannot write {out}: {exc.strerror or exc}")
                unreadable = files.description()
                not_indexed_yet = files.description(files.not_indexed_yet)
        finally:
            archive.close()
    problems = summary.get("problems") or []
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
    if not_indexed_yet:
        click.echo(f"Note: a crawl running now has not indexed the captures of "
                   f"{not_indexed_yet} yet: the export links those on their site (export "
                   "again once the crawl ends)", err=True)
    if unreadable:
        click.echo(f"Error: {unreadable} could not be read from the captures (the export "
                   "links them on the site instead; run `wixarchive check` for details)",
                   err=True)
    if summary.get("skipped_records", 0) > len(problems):
        click.echo(f"Error: {summary['skipped_records'] - len(problems)} more records could not "
                   "be read (run `wixarchive check`)", err=True)
    # The summary never mixes with exported data on stdout.
    to_stderr = out == "-"
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False), err=to_stderr)
    else:
        extra = f" and {counted(summary['images'], 'image')}" if "images" in summary else ""
        if summary.get("files"):
            extra += f", {counted(summary['files'], 'video or document', 'videos and documents')}"
        if summary.get("images_folder"):
            copies = summary["archived_images"] + summary.get("archived_files", 0)
            removed = summary["removed"]
            extra += (f" ({counted(copies, 'archived copy', 'archived copies')} in "
                      f"{summary['images_folder']}"
                      + (f"; removed {counted(removed, 'older copy', 'older copies')} no "
                         "post uses any more" if removed else "") + ")")
        if fmt == "wacz":
            extra = f" ({summary['records']} captured responses)"
        if "versions" in summary:
            extra = f" ({counted(summary['versions'], 'version')})"
        where = "stdout" if out == "-" else out
        matching = f" matching {_said(summary['filters'])}" if summary["filters"] else ""
        click.echo(f"Exported {counted(summary['posts'], 'post')}{matching}{extra} from "
                   f"{counted(summary['sites'], 'site')} to {where} ({fmt}).",
                   err=to_stderr)
        for line in describe_state(summary):
            click.echo(line, err=to_stderr)
        if fmt == "markdown":
            click.echo(f"Files: {summary['written']} written, {summary['unchanged']} unchanged, "
                       f"{summary['removed']} removed (no longer used).")
        if fmt == "html" and out != "-":
            size = Path(out).stat().st_size
            # Under a tenth of a MB, "0.0 MB" said nothing: KB then.
            shown = (f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 / 10
                     else f"{max(1, round(size / 1024))} KB")
            click.echo(f"Open {out} in any web browser (no network needed); it is {shown}.")
    if "kept_edited" in summary:  # markdown, and wxr with --images-url
        _kept_edited_note(summary["kept_edited"])
        _in_the_way_error(summary["in_the_way"], fmt)
    if fmt == "markdown":
        _earlier_layout_note(summary["earlier_layout"], out)
        _undated_note(summary["undated_files"])
    if fmt == "wacz" and not as_json:  # --json: the counts are in the summary
        from archive.export.wacz import note

        if summary["posts_without_capture"]:
            click.echo(f"Note: {counted(summary['posts_without_capture'], 'post')} left out: "
                       "no capture (archived with --no-capture or before captures existed, and "
                       "unchanged since); capture them with: wixarchive crawl URL --refetch",
                       err=True)
        if summary["posts_unreadable"]:
            click.echo(f"Note: {counted(summary['posts_unreadable'], 'post')} left out: their "
                       "captures could not be read (the errors above; `wixarchive check` names "
                       "what is damaged or missing)", err=True)
        if summary["posts_not_indexed_yet"]:
            click.echo(f"Note: {counted(summary['posts_not_indexed_yet'], 'post')} left out: "
                       "their captures are not indexed yet (a crawl running now indexes them as "
                       "it goes; the next crawl or `reextract` those of a crawl stopped); "
                       "export again once it ends", err=True)
        if (said := note(summary)) is not None:
            click.echo(said, err=True)
    if problems or unreadable or summary.get("in_the_way"):
        sys.exit(1)


def _option(field: str) -> str:
    """A filter's name (`changed_since`) as its option's (`changed-since`)."""
    return field.replace("_", "-")


def _said(applied: dict[str, Any]) -> str:
    """The filters applied as options: "--lang fr --tag a --tag b"."""
    return " ".join(f"--{_option(name)} {shell_word(one)}" for name, value in applied.items()
                    for one in (value if isinstance(value, list) else [value]))


def _what_was_kept(out: str, fmt: str, images_url: str | None, written: _Written) -> str:
    """What an export stopped part way (Ctrl-C, SIGTERM) left: a file is replaced only once
    whole (_output), a folder's files are each whole and listed for the next export."""
    if fmt == "markdown":
        return (f"the posts written so far are in {out}, each file whole; export again to "
                "finish (what is unchanged is not written again)")
    if out == "-" or (Path(out).exists() and not Path(out).is_file()):
        return f"the export to {'stdout' if out == '-' else out} stopped part way"
    if written.is_at(out):  # stopped after the rename: the export is all there
        return f"the export had finished: {out} is written whole"
    kept = f"nothing written: {out} is left as it was"
    if images_url is not None:
        kept += (f" (the archived copies written so far stay in {images_folder(Path(out))}/, "
                 "for the next export)")
    return kept


def _kept_edited_note(kept: list[str]) -> None:
    """The files a re-export left in its folder for the user to decide (stderr, --json too)."""
    if kept:
        shown = ", ".join(kept[:3]) + (f" and {len(kept) - 3} more" if len(kept) > 3 else "")
        click.echo(f"Note: kept {len(kept)} file{'s' if len(kept) != 1 else ''} an earlier "
                   f"export wrote and no post uses now, as they were changed since: {shown}",
                   err=True)


def _in_the_way_error(kept: list[str], fmt: str) -> None:
    """The files the export did not write over (stderr, --json too): the export lacks them."""
    if kept:
        shown = ", ".join(kept[:3]) + (f" and {len(kept) - 3} more" if len(kept) > 3 else "")
        what = "posts are" if fmt == "markdown" else "copies are"
        them = "them" if len(kept) != 1 else "it"
        click.echo(f"Error: {len(kept)} file{'s' if len(kept) != 1 else ''} in the way, not "
                   f"written over (no earlier export wrote {them}): {shown}; their {what} not "
                   f"in the export (move {them} away and export again)", err=True)


def _earlier_layout_note(earlier: int, out: str) -> None:
    """The posts a Markdown export found in OUT in the layout before page bundles (stderr)."""
    if earlier:
        click.echo(f"Note: {earlier} post{'s are' if earlier != 1 else ' is'} also in {out} as "
                   "<site>/<date>-<slug>.md, written by a version before page bundles and "
                   "left in place; Hugo would publish both: delete those files and the "
                   "<site>/images/ and <site>/files/ folders, or export with --flat",
                   err=True)


def _undated_note(undated: list[str]) -> None:
    """The posts of a --flat export that Jekyll's _posts leaves out: no date to name their
    files by (stderr, --json too)."""
    if undated:
        shown = ", ".join(undated[:5]) + (
            f" and {len(undated) - 5} more (--json lists them all)" if len(undated) > 5 else "")
        click.echo(f"Note: {counted(len(undated), 'post')} without a date, written as "
                   f"<site>/<slug>.md, which Jekyll's _posts skips (it takes "
                   f"<YYYY-MM-DD>-<slug>.md only): {shown}; to publish them with Jekyll, "
                   "export without --flat into a collection (docs/datasette-and-exports.md, "
                   "\"Jekyll\")", err=True)


@contextmanager
def _progress(posts: int, *, show: bool) -> Iterator[Any]:
    """A bar of the posts written, on a terminal's stderr (an export of 200,000 posts runs a
    minute or more); None, and nothing shown, elsewhere."""
    if not (show and posts and sys.stderr.isatty()):
        yield None
        return
    with click.progressbar(length=posts, label="Exporting posts", file=sys.stderr) as bar:
        yield bar.update


def _write_wacz(archive: Any, db: Path, sites: list[dict[str, Any]], site: str | None,
                out: str, written: _Written, show_progress: bool,
                posts: tuple[str, list[Any]] | None = None) -> dict[str, Any]:
    """The sites' captures as one WACZ (every capture when no --site is given), or those of
    the `posts` a filter chose (archive.export.wacz.write)."""
    from archive import captures
    from archive.export import wacz

    names = [s["name"] or s["site"] for s in sites]
    title = names[0] if len(names) == 1 else f"{len(names)} sites"
    bar: Any = None

    def on_start(total: int) -> None:
        nonlocal bar
        if show_progress and sys.stderr.isatty():
            bar = click.progressbar(length=total, label="Packing captures", file=sys.stderr)
            bar.__enter__()

    try:
        with _output(out, written, binary=True) as stream:
            result = wacz.write(archive.conn, captures.captures_dir(db),
                                sites if site else None, stream, title=title,
                                on_start=on_start, posts=posts,
                                progress=lambda n: bar.update(n) if bar else None)
    except wacz.NoCaptures as exc:
        fail(_nothing_to_export(archive.conn, db, site, str(exc)))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    return result.as_dict()


def _nothing_to_export(conn: sqlite3.Connection, db: Path, site: str | None, why: str) -> str:
    """Why a WACZ export has nothing to package: no captures, or none that could be read (their
    folder missing: where it was expected, and another beside it holding the files)."""
    from archive import captures, fixity

    where = f" for {site}" if site else ""
    if why == "no captures":
        # A crawl without --no-capture captures only the posts it fetches in full: new and
        # changed ones; --refetch fetches every post in full (checked: tests/test_wacz.py).
        return (f"nothing to export: {db} has no captures{where} (its posts were archived with "
                "--no-capture or before captures existed, and a crawl captures only new and "
                "changed posts); capture every post with: wixarchive crawl URL --refetch")
    directory = captures.captures_dir(db)
    if directory.is_dir():
        return (f"nothing to export: none of the captures{where} could be read ({why}); "
                "`wixarchive check` names what is damaged or missing")
    names = [name for (name,) in conn.execute("SELECT name FROM capture_files")]
    folders, _ = fixity.misplaced_folders(directory, names)
    remedy = (fixity.misplaced_hint(directory, folders) if folders else
              f"copy that folder beside {db}, or crawl again while the site is up")
    return (f"nothing to export: the capture files{where} are missing: {db} indexes them in "
            f"{directory}/, which does not exist; {remedy}")
