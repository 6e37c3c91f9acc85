"""`wixarchive export`: the archive's posts as JSON lines, CSV, Markdown files or WordPress WXR,
or its captures as a WACZ web archive."""

from __future__ import annotations

import errno
import json
import mimetypes
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import click

from archive import atomic_file
from archive.cli.common import (
    UTF8_BOM,
    bom_option,
    counted,
    db_option,
    escape_formulas_option,
    fail,
    open_archive,
)
from archive.cli.interrupts import stopping_cleanly
from archive.export import FORMAT_OF_EXTENSION, FORMATS, format_of_path
from archive.export.filenames import Folder
from archive.export.source import (
    count_posts,
    describe_state,
    export_fields,
    iter_posts,
    matching_sites,
    post_ids,
    post_names,
    post_terms,
    provenance,
    snapshot,
    with_attachments,
    with_versions,
)
from archive.site_match import NoSuchSite, site_key, site_spelling_notice, sites_named


def _open_mode(binary: bool) -> dict[str, Any]:
    return {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": ""}


@contextmanager
def _output(out: str, *, binary: bool) -> Iterator[IO[Any]]:
    """stdout for "-"; a device or pipe (/dev/stdout, a FIFO) written as it is; else a temporary
    file renamed over OUT on success (through a symlink to its target): a failed export never
    leaves a half-written file behind, and never replaces what is not a regular file."""
    if out == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    target = Path(out)
    if target.is_dir():
        fail(f"{target} is a directory; give a file name for this format")
    if target.exists() and not target.is_file():
        with open(target, **_open_mode(binary)) as stream:
            yield stream
        return
    target = target.resolve() if target.is_symlink() else target
    if not target.parent.is_dir():
        fail(f"cannot write {target}: directory {target.parent} does not exist")
    replaced = target.exists()
    with atomic_file.replacing(target, **_open_mode(binary)) as stream:
        yield stream
    if replaced:  # said, so an earlier export (or another file) is not lost unnoticed
        click.echo(f"Notice: replaced existing {out}", err=True)


def _format_of(out: str) -> str:
    """The format OUT's extension names; a usage error like click's own when it names none."""
    fmt = format_of_path(out)
    if fmt is None:
        known = ", ".join(FORMAT_OF_EXTENSION)
        raise click.UsageError(f"Missing option '--format' (an OUT ending in {known} names it)")
    return fmt


@click.command("export")
@click.argument("out")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="jsonl/csv: every archived field; markdown: one file per post with front "
                   "matter (OUT is a folder); wxr: WordPress import file; wacz: the captured "
                   "pages and images as a web archive (pywb, ReplayWeb.page). Without it, "
                   "OUT's extension names it: .jsonl/.ndjson, .csv, .xml/.wxr, .wacz.")
@click.option("--site", "sites_wanted", multiple=True,
              help="Only this site (URL, host or part of it, or name); repeated: any of them.")
@click.option("--images-url", metavar="BASE",
              help="wxr: write the archived images, videos and documents to a folder beside "
                   "OUT (OUT-images/) and point the attachments and posts at BASE/<file>, "
                   "where you publish that folder for WordPress's importer to download.")
@click.option("--flat", is_flag=True,
              help="markdown: OUT/<site>/<date>-<slug>.md beside one images/ folder per site "
                   "(the layout before page bundles; its links break in Hugo's default build), "
                   "instead of OUT/<site>/<date>-<slug>/index.md with the post's media beside "
                   "it.")
@click.option("--versions", "all_versions", is_flag=True,
              help="jsonl/csv: one row per stored version of each post, oldest first, with "
                   "its version number, fetched_at, source and run_id (default: each post's "
                   "current version).")
@bom_option
@escape_formulas_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(out: str, fmt: str | None, sites_wanted: tuple[str, ...], images_url: str | None,
            flat: bool, all_versions: bool, bom: bool, raw_formulas: bool, db: Path,
            as_json: bool) -> None:
    """Export the archived posts (deleted ones too, marked) to OUT ("-" for stdout), or their
    raw captures as a WACZ web archive (--format wacz).

    Markdown writes each post as a page bundle, OUT/<site>/<date>-<slug>/index.md, its archived
    images, videos and documents beside it; links to another exported post of the site point
    at its file. Re-exporting into OUT rewrites only what changed and removes the files a
    previous export wrote that no post uses any more (never a file you added or edited). WXR
    lists each
    post's images, video files and documents as attachments WordPress's importer downloads:
    from where the site served them, or with --images-url from where you publish the archived
    copies it writes beside OUT.

    \b
    Examples:
        wixarchive export posts.jsonl       (the format from the extension)
        wixarchive export --format jsonl posts.jsonl
        wixarchive export --format csv --versions versions.csv
        wixarchive export --format markdown --site example.com content/posts
        wixarchive export --format wxr --site example.com wordpress.xml
        wixarchive export --format wxr wordpress.xml --images-url https://example.org/img/
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
    if images_url is not None:
        if fmt != "wxr":
            fail("--images-url is for --format wxr")
        if out == "-":
            fail("--images-url writes the images beside OUT: give a file name, not -")
        if urlsplit(images_url).scheme not in ("http", "https") or \
                not urlsplit(images_url).netloc:
            fail(f"--images-url must be an http(s) URL, not {images_url!r}")
    site = ", ".join(name for name in sites_wanted if name.strip()) or None  # as messages say it
    # Stopped part way (Ctrl-C, SIGTERM): the temporary file is removed, a line says what
    # was kept, and the exit status is 130 or 143, as a crawl's.
    with stopping_cleanly(lambda: _what_was_kept(out, fmt, images_url)):
        archive = open_archive(db)
        try:
            files = ArchivedFiles(archive.conn, db)  # the archived copies markdown and wxr write
            try:  # the rule every --site follows (archive/site_match.py)
                sites = matching_sites(archive, sites_wanted)
            except NoSuchSite as exc:
                fail(str(exc))
            for wanted in filter(str.strip, sites_wanted):  # a www. spelling archived without
                named = sites_named(sites, wanted)
                if notice := site_spelling_notice(wanted, named):
                    click.echo(notice, err=True)
                if (count := len({site_key(s["site"]) for s in named})) > 1:
                    # --site takes any sites it matches (repeated: any of them), as search
                    # does; said, so a host matching several blogs (other ports) is no
                    # surprise. The rows of one site's spellings (site_twins) are one site.
                    click.echo(f"Notice: {wanted.strip()!r} matches {count} sites, all "
                               f"exported: {', '.join(s['site'] for s in named)} (give a full "
                               "URL for one)", err=True)
            summary: dict[str, Any] = {"format": fmt, "posts": 0, "sites": len(sites),
                                       "output": out}
            # One read snapshot: the passes agree even while a crawl writes the archive.
            with snapshot(archive):
                posts = count_posts(archive, sites)
                where = f" for {site}" if site else ""
                if not posts and fmt == "wacz":  # a web archive of nothing replays nothing
                    fail(f"nothing to export: {db} has no posts{where} yet (crawl a site first)")
                if not posts:
                    # As `search` finding nothing: an empty output (a CSV's header row, a WXR
                    # channel with no item, no file in the folder) and status 0, said.
                    click.echo(f"Note: {db} has no posts{where} yet: the export is empty "
                               "(crawl a site first)", err=True)
                # What the export is a copy of, read in the same snapshot.
                summary.update(provenance(archive, sites))
                try:
                    if fmt == "wacz":
                        summary.update(_write_wacz(archive, db, sites, site, out,
                                                   show_progress=not as_json and out != "-"))
                    elif all_versions:
                        summary.update(posts=posts, versions=_write(
                            archive, files, sites, fmt, out, bom=bom, all_versions=True,
                            escape_formulas=not raw_formulas)["posts"])
                    else:
                        summary.update(_write(archive, files, sites, fmt, out, images_url, bom,
                                              flat, escape_formulas=not raw_formulas))
                except OSError as exc:  # a full disk, a vanished folder
                    if exc.errno == errno.EPIPE:
                        raise  # the reader left (`| head`): click ends quietly, as for any command
                    fail(f"cannot write {out}: {exc.strerror or exc}")
                unreadable = files.description()
        finally:
            archive.close()
    problems = summary.get("problems") or []
    for problem in problems:
        click.echo(f"Error: {problem}", err=True)
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
        extra = f" and {summary['images']} images" if "images" in summary else ""
        if summary.get("files"):
            extra += f", {summary['files']} videos and documents"
        if summary.get("images_folder"):
            copies = summary["archived_images"] + summary.get("archived_files", 0)
            removed = summary["removed"]
            extra += (f" ({copies} archived copies in {summary['images_folder']}"
                      + (f"; removed {counted(removed, 'older copy', 'older copies')} no "
                         "post uses any more" if removed else "") + ")")
        if fmt == "wacz":
            extra = f" ({summary['records']} captured responses)"
        if "versions" in summary:
            extra = f" ({counted(summary['versions'], 'version')})"
        where = "stdout" if out == "-" else out
        click.echo(f"Exported {counted(summary['posts'], 'post')}{extra} from "
                   f"{counted(summary['sites'], 'site')} to {where} ({fmt}).",
                   err=to_stderr)
        click.echo(describe_state(summary), err=to_stderr)
        if fmt == "markdown":
            click.echo(f"Files: {summary['written']} written, {summary['unchanged']} unchanged, "
                       f"{summary['removed']} removed (no longer used).")
    if "kept_edited" in summary:  # markdown, and wxr with --images-url
        _kept_edited_note(summary["kept_edited"])
    if fmt == "markdown":
        _earlier_layout_note(summary["earlier_layout"], out)
    if fmt == "wacz" and not as_json:  # --json: the counts are in the summary
        from archive.export.wacz import note

        if summary["posts_without_capture"]:
            click.echo(f"Note: {counted(summary['posts_without_capture'], 'post')} left out: "
                       "no capture (archived with --no-capture or before captures existed, and "
                       "unchanged since); capture them with: wixarchive crawl URL --refetch",
                       err=True)
        if (said := note(summary)) is not None:
            click.echo(said, err=True)
    if problems or unreadable:
        sys.exit(1)


def _what_was_kept(out: str, fmt: str, images_url: str | None) -> str:
    """What an export stopped part way (Ctrl-C, SIGTERM) left: a file is replaced only once
    whole (_output), a folder's files are each whole and listed for the next export."""
    if fmt == "markdown":
        return (f"the posts written so far are in {out}, each file whole; export again to "
                "finish (what is unchanged is not written again)")
    if out == "-" or (Path(out).exists() and not Path(out).is_file()):
        return f"the export to {'stdout' if out == '-' else out} stopped part way"
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


def _earlier_layout_note(earlier: int, out: str) -> None:
    """The posts a Markdown export found in OUT in the layout before page bundles (stderr)."""
    if earlier:
        click.echo(f"Note: {earlier} post{'s are' if earlier != 1 else ' is'} also in {out} as "
                   "<site>/<date>-<slug>.md, written by a version before page bundles and "
                   "left in place; Hugo would publish both: delete those files and the "
                   "<site>/images/ and <site>/files/ folders, or export with --flat",
                   err=True)


def _write_wacz(archive: Any, db: Path, sites: list[dict[str, Any]], site: str | None,
                out: str, show_progress: bool) -> dict[str, Any]:
    """The sites' captures as one WACZ (every capture when no --site is given)."""
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
        with _output(out, binary=True) as stream:
            result = wacz.write(archive.conn, captures.captures_dir(db),
                                sites if site else None, stream, title=title,
                                on_start=on_start,
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


def _write(archive: Any, files: ArchivedFiles, sites: list[dict[str, Any]], fmt: str,
           out: str, images_url: str | None = None, bom: bool = False,
           flat: bool = False, all_versions: bool = False,
           escape_formulas: bool = True) -> dict[str, Any]:
    """Stream the posts (all_versions: every version of each) into the format's writer, one
    at a time."""
    # Every format carries each post's videos and documents: jsonl and csv as fields, markdown
    # and wxr as links and copies of the archived ones.
    chosen = iter_posts(archive, post_ids(archive, sites))
    posts = (with_versions(archive, chosen) if all_versions
             else with_attachments(archive, chosen))
    if fmt == "jsonl":
        from archive.export import jsonl

        with _output(out, binary=False) as stream:
            return {"posts": jsonl.write(posts, stream)}
    if fmt == "csv":
        from archive.export import csv

        with _output(out, binary=False) as stream:
            if bom:
                stream.write(UTF8_BOM)
            return {"posts": csv.write(posts, stream, escape_formulas=escape_formulas,
                                       fields=export_fields(archive, versions=all_versions))}
    if fmt == "markdown":
        from archive.export import markdown

        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            fail(f"{folder} is a file; markdown export needs a folder")

        def image(url: str) -> bytes | None:
            payload = files.read(url)
            return payload.decoded_body() if payload is not None else None

        try:
            with _listed_folder(folder, files, by_site=True) as written_to:
                written = markdown.write(posts, written_to, image,
                                         names=post_names(archive, sites), flat=flat)
        except OSError as exc:
            fail(f"cannot write to {folder}: {exc.strerror or exc}")
        return {"layout": "flat" if flat else "bundles", "posts": written.posts,
                "images": written.images, "files": written.files,
                **written_to.changes.summary(), "earlier_layout": written.earlier_layout,
                **files.summary()}
    from archive.export import wxr

    head = wxr.collect_head(post_terms(archive, sites))
    if images_url is None:
        with _output(out, binary=True) as stream:
            written = wxr.write(posts, stream, sites=sites, head=head)
        return {"posts": written.posts, "images": written.images, "files": written.files}
    folder = images_folder(Path(out))
    if not folder.parent.is_dir():  # checked before the copies folder is made in it
        fail(f"cannot write {out}: directory {folder.parent} does not exist")
    with _listed_folder(folder, files, by_site=False) as copies, \
            _output(out, binary=True) as stream:
        written = wxr.write(posts, stream, sites=sites, head=head,
                            published=_publisher(files, copies, images_url))
    return {"posts": written.posts, "images": written.images, "files": written.files,
            "archived_images": written.copies, "archived_files": written.file_copies,
            "images_folder": str(folder), **copies.changes.summary(),
            "removed_copies": copies.changes.removed, **files.summary()}


def _listed_folder(folder: Path, files: ArchivedFiles, *, by_site: bool) -> Folder:
    """The folder an export writes its copies to, listing them (a Markdown export's folder,
    WXR's --images-url folder): leaving it removes what no post uses any more only when the
    export did not fail and read every archived file; a copy whose capture could not be read
    this time may be the last of its bytes."""
    return Folder(folder, by_site=by_site, all_read=lambda: not files.unreadable)


class ArchivedFiles:
    """The archived images, videos and documents an export copies, read from the captures;
    those archived whose capture cannot be read (a capture file missing, cut short or
    damaged) are kept, to be named after the export."""

    def __init__(self, conn: Any, db: Path) -> None:
        from archive import captures

        self.conn = conn
        self.directory = captures.captures_dir(db)
        self.unreadable: dict[str, None] = {}  # URLs, in the order met

    def read(self, url: str) -> Any:
        """The archived response for `url` (a captures.Payload), None when it is not archived
        or cannot be read."""
        from archive import captures

        if url in self.unreadable:
            return None
        try:
            return captures.stored_media(self.conn, self.directory, url)
        except captures.CaptureError:
            self.unreadable[url] = None
            return None

    def summary(self) -> dict[str, Any]:
        """The summary's count and list of the unreadable ones."""
        return {"unreadable_media": len(self.unreadable),
                "unreadable_media_urls": list(self.unreadable)}

    def description(self) -> str:
        """How many of each kind are unreadable, for the message: "3 images and 1 document"
        ("" for none)."""
        from archive.attachments import media_kinds

        counts = Counter(media_kinds(self.conn, list(self.unreadable)).values())
        return " and ".join(f"{counts[kind]} {kind}{'s' if counts[kind] != 1 else ''}"
                            for kind in ("image", "document", "video") if counts[kind])


def images_folder(out: Path) -> Path:
    """Where `--images-url` puts the archived images: wordpress.xml -> wordpress-images/."""
    return out.with_name(f"{out.stem}-images")


def _publisher(files: ArchivedFiles, copies: Folder, base: str) -> Any:
    """A function giving an image's (video's, document's) URL under `base`, its archived bytes
    written to the `copies` folder (listed in its manifest; once per content: the file is named
    by its digest and keeps its extension, which WordPress reads its type from); None if it is
    not archived or cannot be read."""
    from archive.export.markdown import image_name
    from archive.export.safe_copies import safe_copy

    base = base if base.endswith("/") else base + "/"

    def published(url: str) -> str | None:
        payload = files.read(url)
        if payload is None:
            return None
        data = payload.decoded_body()
        name = image_name(url, data)
        if "." not in name and payload.content_type:  # e.g. a Wix document URL with none
            name += mimetypes.guess_extension(payload.content_type.split(";")[0].strip()) or ""
        name, data = safe_copy(name, data)  # served from the publishing site: never active
        if copies.first(name):
            copies.write_bytes(copies.root / name, data)
        return base + name

    return published
