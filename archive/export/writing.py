"""One export of posts as jsonl, csv, markdown, wxr or html, with the archived images, videos
and documents that markdown and wxr copy (html: its images, inside the file), and the summary
of any export (write_export): what `wixarchive export` and `wixarchive.export()` both run, so
that the command and the API write the same files and say the same of them."""

from __future__ import annotations

import mimetypes
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, tzinfo
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from archive import atomic_file
from archive.csv_cells import UTF8_BOM
from archive.export.filenames import Folder
from archive.export.source import (
    PostFilters,
    Spellings,
    count_posts,
    count_sites_with_posts,
    export_fields,
    iter_posts,
    post_id_query,
    post_ids,
    post_names,
    post_terms,
    posts_dated,
    provenance,
    snapshot,
    with_attachments,
    with_versions,
)

# Opens the export's output, bytes (True: wxr) or text: a file replaced whole, or a stream.
Output = Callable[[bool], AbstractContextManager[IO[Any]]]
# Writes a WACZ of the captures of the posts a filter chose (the query of their ids, None for
# every capture of the sites) and returns its counts (wacz.Written.as_dict()): the command's
# and the API's own, for their progress bar, output and errors.
WaczWriter = Callable[[tuple[str, list[Any]] | None], dict[str, Any]]


class ExportError(ValueError):
    """An export that cannot be written as asked (a file where a folder is needed, a folder
    that does not exist): its message is one line naming the path."""


def open_mode(binary: bool) -> dict[str, Any]:
    """open()'s arguments for an export's file: bytes (wxr, wacz), or UTF-8 text as written."""
    return {"mode": "wb"} if binary else {"mode": "w", "encoding": "utf-8", "newline": ""}


@contextmanager
def file_output(path: Path, *, binary: bool) -> Iterator[IO[Any]]:
    """The export's file at `path`: a device or pipe (/dev/stdout, a FIFO) written as it is;
    else a temporary file renamed over `path` on success (through a symlink to its target), so
    a failed export never leaves a half-written file behind (an earlier export stays as it
    was), and never replaces what is not a regular file. ExportError for a folder, or a
    folder that does not exist."""
    if path.is_dir():
        raise ExportError(f"{path} is a directory; give a file name for this format")
    if path.exists() and not path.is_file():
        with path.open(**open_mode(binary)) as stream:
            yield stream
        return
    target = path.resolve() if path.is_symlink() else path
    if not target.parent.is_dir():
        raise ExportError(f"cannot write {target}: directory {target.parent} does not exist")
    with atomic_file.replacing(target, **open_mode(binary)) as stream:
        yield stream


class ArchivedFiles:
    """The archived images, videos and documents an export copies, read from the captures;
    those archived whose capture cannot be read (a capture file missing, cut short or
    damaged) are kept, to be named after the export."""

    def __init__(self, conn: Any, db: Path) -> None:
        from archive import captures

        self.conn = conn
        self.directory = captures.captures_dir(db)
        self.unreadable: dict[str, None] = {}  # URLs, in the order met
        # Fetched by a crawl running now, their captures not indexed yet: linked on the site
        # this time, with a note rather than an error.
        self.not_indexed_yet: dict[str, None] = {}

    def read(self, url: str) -> tuple[bytes, str | None] | None:
        """The archived file at `url`, its Content-Encoding undone, and its Content-Type;
        None when it is not archived, or cannot be read or decoded."""
        from archive import captures
        from archive.content_coding import UndecodableBody

        if url in self.unreadable or url in self.not_indexed_yet:
            return None
        try:
            payload = captures.stored_media(self.conn, self.directory, url)
            return None if payload is None else (payload.decoded_body(), payload.content_type)
        except captures.NotIndexedYet:
            self.not_indexed_yet[url] = None
            return None
        except (captures.CaptureError, UndecodableBody):
            self.unreadable[url] = None
            return None

    def summary(self) -> dict[str, Any]:
        """The summary's count and list of the unreadable ones."""
        return {"unreadable_media": len(self.unreadable),
                "unreadable_media_urls": list(self.unreadable)}

    def description(self, urls: dict[str, None] | None = None) -> str:
        """How many of each kind are unreadable (or of `urls`), for the message: "3 images
        and 1 document" ("" for none)."""
        from archive.attachments import media_kinds

        urls = self.unreadable if urls is None else urls
        counts = Counter(media_kinds(self.conn, list(urls)).values())
        return " and ".join(f"{counts[kind]} {kind}{'s' if counts[kind] != 1 else ''}"
                            for kind in ("image", "document", "video") if counts[kind])


def wordpress_zone(name: str) -> tzinfo:
    """The time zone `--timezone` names (an IANA name, Europe/Paris, or UTC), which WXR writes
    each post's date in: WordPress shows a post's `post_date` as the site's local time.
    ValueError naming the problem for any other text."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a path, a folder, a long name
        raise ValueError(f"unknown time zone {name!r}: give the WordPress site's, as its "
                         "Settings > General names it (an IANA name such as Europe/Paris, "
                         "America/New_York, or UTC)") from None


def images_url_problem(images_url: str) -> str | None:
    """What is wrong with a base URL for the copies of wxr's images ("must be an http(s) URL,
    not ..."), None when nothing is."""
    parts = urlsplit(images_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an http(s) URL, not {images_url!r}"
    return None


def images_folder(out: Path) -> Path:
    """Where `--images-url` puts the archived images: wordpress.xml -> wordpress-images/."""
    return out.with_name(f"{out.stem}-images")


def _publisher(files: ArchivedFiles, copies: Folder, base: str) -> Callable[[str], str | None]:
    """A function giving an image's (video's, document's) URL under `base`, its archived bytes
    written to the `copies` folder (listed in its manifest; once per content: the file is named
    by its digest and keeps its extension, which WordPress reads its type from); None if it is
    not archived or cannot be read."""
    from archive.export.markdown import image_name
    from archive.export.safe_copies import safe_copy

    base = base if base.endswith("/") else base + "/"

    def published(url: str) -> str | None:
        archived = files.read(url)
        if archived is None:
            return None
        data, content_type = archived
        name = image_name(url, data)
        if "." not in name and content_type:  # e.g. a Wix document URL with none
            name += mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
        name, data = safe_copy(name, data)  # served from the publishing site: never active
        if copies.first(name):
            copies.write_bytes(copies.root / name, data)
        return base + name

    return published


def _listed_folder(folder: Path, files: ArchivedFiles, *, by_site: bool,
                   partial: bool = False) -> Folder:
    """The folder an export writes its copies to, listing them (a Markdown export's folder,
    WXR's images folder): leaving it removes what no post uses any more only when the export
    did not fail and read every archived file; a copy whose capture could not be read this
    time may be the last of its bytes. An export of `partial` posts (filtered: --lang, --tag,
    ...) removes nothing: the posts it left out may be in the folder from an earlier export
    (a migration in parts), and their files are theirs."""
    return Folder(folder, by_site=by_site,
                  all_read=lambda: not partial and not files.unreadable
                  and not files.not_indexed_yet)


class ExportResult(int):
    """What `wixarchive.export()` returns: the count it always returned (posts exported, or
    rows with `versions=True`), an int as before, and `summary`, the object
    `wixarchive export --json` prints for the format (docs/fields.md): `posts`, `sites`,
    `output` (None for a stream), the archive's state it copies (`last_run_id`, ...), and
    the format's own counts (images and files written, copies kept and removed, unreadable
    media, a WACZ's records and problems...)."""

    summary: dict[str, Any]

    def __new__(cls, count: int, summary: dict[str, Any]) -> ExportResult:
        result = super().__new__(cls, count)
        result.summary = summary
        return result

    def to_dict(self) -> dict[str, Any]:
        """The summary, as `wixarchive export --json` prints it."""
        return dict(self.summary)


def write_export(archive: Any, files: ArchivedFiles, sites: list[dict[str, Any]], fmt: str,
                 output: Output | Path, *, output_name: str | None, chosen: PostFilters,
                 write_wacz: WaczWriter, posts: int | None = None,
                 images_url: str | None = None, images_dir: Path | None = None,
                 bom: bool = False, flat: bool = False, all_versions: bool = False,
                 escape_formulas: bool = True, progress: Callable[[int], Any] | None = None,
                 zone: tzinfo = UTC) -> dict[str, Any]:
    """One export of the sites' posts passing `chosen`, read in one snapshot, and its summary:
    the object `wixarchive export --json` prints and `wixarchive.export()` returns as
    ExportResult.summary (docs/fields.md), built here only. `output_name`: the file or folder
    as given (None for a stream). `posts`: how many posts `chosen` takes, when the caller
    counted them in its snapshot (the command, for its progress bar); else counted here when
    the summary needs it (`all_versions`). The other arguments are write_posts'."""
    with snapshot(archive):
        # The sites holding an exported post: "18 posts from 6 sites" counted three that
        # had none (a failed first crawl, a site that was not Wix).
        summary: dict[str, Any] = {"format": fmt, "posts": 0,
                                   "sites": count_sites_with_posts(archive, sites, chosen),
                                   "output": output_name, "filters": chosen.applied(),
                                   **provenance(archive, sites, chosen)}
        if fmt == "wacz":
            summary.update(write_wacz(post_id_query(archive, sites, chosen) if chosen else None))
            return summary
        written = write_posts(archive, files, sites, fmt, output, images_url=images_url,
                              images_dir=images_dir, bom=bom, flat=flat,
                              all_versions=all_versions, escape_formulas=escape_formulas,
                              progress=progress, chosen=chosen, zone=zone)
        if all_versions:  # `posts` the posts, `versions` the rows written
            summary.update(posts=count_posts(archive, sites, chosen) if posts is None else posts,
                           versions=written["posts"])
        else:
            summary.update(written)
        return summary


def write_posts(archive: Any, files: ArchivedFiles, sites: list[dict[str, Any]], fmt: str,
                output: Output | Path, *, images_url: str | None = None,
                images_dir: Path | None = None, bom: bool = False, flat: bool = False,
                all_versions: bool = False, escape_formulas: bool = True,
                progress: Callable[[int], Any] | None = None,
                chosen: PostFilters | None = None, zone: tzinfo = UTC) -> dict[str, Any]:
    """Stream the sites' posts passing `chosen` (source.post_filters: --lang, --tag, ...;
    all_versions: every version of each, or with --changed-since those fetched since) into the
    format's writer,
    one at a time, and return the summary (`posts`: how many posts, or rows with
    `all_versions`; markdown and wxr: `images`, `files` and what was copied).

    `output` opens the file or stream for jsonl, csv and wxr; markdown is given its folder.
    wxr with `images_url` writes the archived copies into `images_dir` (see images_folder).
    `progress` is called with 1 as each post is taken to be written. `zone`: wxr's dates' time
    zone (the WordPress site's: `wordpress_zone`).
    ExportError for a folder that cannot be written."""
    # Every format carries each post's videos and documents: jsonl and csv as fields, markdown
    # and wxr as links and copies of the archived ones.
    taken = iter_posts(archive, post_ids(archive, sites, chosen))
    if progress is not None:
        taken = _counted(taken, progress)
    spellings = Spellings(archive)
    posts = spellings.posts(
        with_versions(archive, taken, spellings, chosen.changed_instant() if chosen else None)
        if all_versions else with_attachments(archive, taken))
    if fmt == "markdown":
        if not isinstance(output, Path):
            raise ExportError("markdown export writes one file per post: give a folder")
        return _write_markdown(archive, files, sites, posts, output, flat=flat, chosen=chosen)
    if isinstance(output, Path):
        raise ExportError(f"{fmt} export writes one file: give a file or a stream")
    if fmt == "jsonl":
        from archive.export import jsonl

        with output(False) as stream:
            return {"posts": jsonl.write(posts, stream)}
    if fmt == "csv":
        from archive.export import csv

        with output(False) as stream:
            if bom:
                stream.write(UTF8_BOM)
            return {"posts": csv.write(posts, stream, escape_formulas=escape_formulas,
                                       fields=export_fields(archive, versions=all_versions))}
    if fmt == "html":
        from archive.export import html

        with output(False) as stream:
            written = html.write(posts, stream, image=files.read,
                                 names=post_names(archive, sites, chosen))
        return {"posts": written.posts, "images": written.images, **files.summary()}
    from archive.export import wxr

    head = wxr.collect_head(spellings.posts(post_terms(archive, sites, chosen)))
    # A filtered export's items dated as the whole export dates them (wxr.write).
    every_post = posts_dated(archive, sites, chosen) if chosen else None
    if images_url is None:
        with output(True) as stream:
            written = wxr.write(posts, stream, sites=sites, head=head, zone=zone,
                                every_post=every_post)
        return {"posts": written.posts, "images": written.images, "files": written.files}
    if images_dir is None:
        raise ExportError("images_url writes the images beside the export: give a file name")
    if not images_dir.parent.is_dir():  # checked before the copies folder is made in it
        raise ExportError(f"cannot write the images into {images_dir}: directory "
                          f"{images_dir.parent} does not exist")
    with _listed_folder(images_dir, files, by_site=False, partial=bool(chosen)) as copies, \
            output(True) as stream:
        written = wxr.write(posts, stream, sites=sites, head=head,
                            published=_publisher(files, copies, images_url), zone=zone,
                            every_post=every_post)
    return {"posts": written.posts, "images": written.images, "files": written.files,
            "archived_images": written.copies, "archived_files": written.file_copies,
            "images_folder": str(images_dir), **copies.changes.summary(),
            "removed_copies": copies.changes.removed, **files.summary()}


def _counted(posts: Iterable[dict[str, Any]], progress: Callable[[int], Any]
             ) -> Iterator[dict[str, Any]]:
    for post in posts:
        progress(1)
        yield post


def _write_markdown(archive: Any, files: ArchivedFiles, sites: list[dict[str, Any]],
                    posts: Any, folder: Path, *, flat: bool,
                    chosen: PostFilters | None = None) -> dict[str, Any]:
    """One file per post under `folder`, with each post's archived images, videos and
    documents beside it."""
    from archive.export import markdown

    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file; markdown export needs a folder")

    def image(url: str) -> bytes | None:
        archived = files.read(url)
        return archived[0] if archived is not None else None

    try:
        with _listed_folder(folder, files, by_site=True, partial=bool(chosen)) as written_to:
            written = markdown.write(posts, written_to, image,
                                     names=post_names(archive, sites, chosen), flat=flat)
    except OSError as exc:
        raise ExportError(f"cannot write to {folder}: {exc.strerror or exc}") from exc
    return {"layout": "flat" if flat else "bundles", "posts": written.posts,
            "images": written.images, "files": written.files,
            **written_to.changes.summary(), "earlier_layout": written.earlier_layout,
            "undated_files": written.undated, **files.summary()}
