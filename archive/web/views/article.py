"""The article page: one post's clean body (sanitized again), its metadata, images, videos and
documents, and versions.

Images show only from the archive (the media route); every other image, in the body as in the
cover and gallery, is a plain link, so the page never loads anything from the site.
`/<db>/-/post/<id>` shows the current version, `?v=<version id>` (the stable id a citation
keeps, archive.history.version_id) or `?version=N` (a number an older capture imported later
shifts) another (from its stored record, with that version's videos and documents);
`/<db>/-/post/<id>.json` returns the post (`?v=` and `?version=` too) and its version history
as JSON. A post or version that is not stored gets a 404 page with the article page's breadcrumbs.
The page of a version with an earlier one shows what changed since it: the lines of
`wixarchive history --diff` (archive.history.diff_versions), removed and added ones marked.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any, NamedTuple

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from archive import attachments
from archive.export import full_size
from archive.history import NO_DIFFERENCE, diff_class, diff_versions, find_version, version_id
from archive.image_alts import archived_images_only, body_images
from archive.sanitize import IMAGE_SCHEMES, safe_url
from archive.store import Archive
from archive.versions import as_post, current_as_post
from archive.web.post_links import (
    archived_targets,
    body_links,
    link_archived_posts,
    listing_targets,
)
from archive.web.views import ArchiveTimeout, archive_database, read, render, sanitize
from archive.web.views.language import text_attributes
from archive.web.views.media import local_attachments, local_images


def body_html(shown: dict[str, Any], local: dict[str, str], page_url: str) -> Markup:
    """The body to show: its sanitized HTML (images served from the archive, the others made
    links), else its plain text as escaped paragraphs."""
    if (shown.get("body_html") or "").strip():
        return Markup(archived_images_only(str(sanitize(shown["body_html"])), local, page_url))
    text = shown.get("body") or ""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))


class GalleryImage(NamedTuple):
    """One picture of the page's Images list: its URL, what the page shows (its archived copy,
    else the URL itself: not archived) and the words that name it."""

    url: str
    src: str
    label: str  # "Image 2", or "Image 2: <its alt text>" when the body gives one

    @property
    def archived(self) -> bool:
        return self.src != self.url


def gallery(shown: dict[str, Any], local: dict[str, str], alts: dict[str, str]
            ) -> list[GalleryImage]:
    """The Images list: the post's images but the cover, each named by its alt text from the
    body (`alts`, keyed by full-size URL) where it has one. The template shows each as a link
    named by `label` around a thumbnail with an empty alt: the body already shows (and a screen
    reader already reads) these pictures, so the thumbnail is not announced as a second,
    undescribed one, and the link says which picture it opens."""
    urls = [u for u in shown.get("images") or []
            if u != shown.get("cover_image") and safe_url(u, IMAGE_SCHEMES)]
    images = []
    for number, url in enumerate(urls, start=1):
        alt = alts.get(full_size(url))
        images.append(GalleryImage(url, local.get(url, url),
                                   f"Image {number}: {alt}" if alt else f"Image {number}"))
    return images


def cover_alt(shown: dict[str, Any], alts: dict[str, str]) -> str:
    """The cover's alt text: the body's for the same picture when it has one (a cover is
    often the body's first image); else "Cover image". Not the post's title: the heading just
    above says it, and a screen reader would read it as a description the picture may not fit;
    an image whose content is unknown is best said to be one."""
    cover = shown.get("cover_image")
    return (alts.get(full_size(cover)) if cover else None) or "Cover image"


class Changes(NamedTuple):
    """What changed from the version before the shown one to it: the two versions (without
    their records), and the diff's lines after the two naming them, each as (kind, line), kind
    as archive.history.diff_class says; no lines when nothing the diff covers changed."""

    previous: dict[str, Any]
    shown: dict[str, Any]
    lines: list[tuple[str, str]]


def changes_from_previous(versions: list[dict[str, Any]], number: int) -> Changes | None:
    """The changes into version `number` from the one before it (`versions` oldest first, as
    Archive.versions() lists them); None for the first version, or one not among them."""
    position = next((i for i, v in enumerate(versions) if v["version"] == number), None)
    if not position:  # None, or 0: the first version
        return None
    previous, shown = (
        {k: v for k, v in version.items() if k != "record"}
        for version in (versions[position - 1], versions[position]))
    lines = [(diff_class(line), line)
             for line in diff_versions(versions, previous["version"], number)]
    # The ---/+++ lines name the versions, as the section's first line does (dates as dates).
    return Changes(previous, shown, [(kind, line) for kind, line in lines if kind != "file"])


class Loaded(NamedTuple):
    """What the article page shows; `shown` is None when the version asked for is not
    stored (and `post` None when the post is not)."""

    post: dict[str, Any] | None
    shown: dict[str, Any] | None
    versions: list[dict[str, Any]]
    local: dict[str, str]  # archived image URL -> its copy
    problems: list[str]
    files: list[dict[str, Any]]  # the shown version's videos and documents
    changes: Changes | None = None  # into the shown version from the one before it
    linked: dict[str, int] | None = None  # a link of the body -> the archived post it names
    # a link of the body to a blog's listing -> the search's query listing those posts
    listings: dict[str, str] | None = None


def _load(archive: Archive, post_id: int, wanted: str | None, base: str) -> Loaded:
    post = archive.post(post_id)
    if not post:
        return Loaded(None, None, [], {}, [], [])
    versions = archive.versions(post["id"])
    shown: dict[str, Any] | None = post
    chosen = find_version(versions, wanted) if wanted else None
    if wanted and chosen is None:
        return Loaded(post, None, versions, {}, [], [])
    if chosen is not None and chosen["version"] != post["version"]:
        # An old version is shown from its own record: title, metadata, body and files as
        # then, in the post's shape (its JSON has the current version's keys).
        shown = as_post(post, chosen, archive.archived_spellings)
    items = (attachments.of_shown_version(archive.conn, post, chosen) if chosen
             else attachments.of_post(archive.conn, post_id))
    urls = {u for v in versions for u in
            (v["record"].get("images") or []) + [v["record"].get("cover_image")] if u}
    local, problems = local_images(archive, sorted(urls), base)
    files, missing = local_attachments(archive, items, base)
    # Diffed here, in the read's worker thread: a long post's diff never holds up the server.
    changes = changes_from_previous(versions, shown["version"])
    links = body_links(shown.get("body_html") or "")
    linked = archived_targets(archive.conn, links, post["url"])
    listings = listing_targets(archive.conn, [h for h in links if h not in linked], post["url"])
    return Loaded(post, shown, versions, local, problems + missing, files, changes, linked,
                  listings)


def _localize(html_text: str, local: dict[str, str]) -> str:
    """Point every quoted URL of an archived file at its copy: the links to an image (one that
    opens full size), which archived_images_only, reading only <img>, leaves alone, and the
    links to a video or document."""
    for url, path in local.items():
        html_text = html_text.replace(f'"{url}"', f'"{path}"')
    return html_text


def display_date(value: str | None, *, with_time: bool = False) -> Markup:
    """A stored timestamp as a reader reads it, the ISO date (with_time: and the hour and
    minute, in the timestamp's own zone) in a <time> element carrying the whole value; a value
    that is not an ISO timestamp as it is."""
    if not value:
        return Markup("")
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return escape(value)
    text = when.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    offset = when.utcoffset()
    if with_time and offset is not None:
        zone = when.strftime("%z")  # +0200 (%:z is Python 3.12's)
        text += " UTC" if not offset else f" {zone[:3]}:{zone[3:5]}"
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(value, text)


async def article_page(datasette: Any, request: Any) -> Response:
    name, db = await archive_database(datasette, request)
    post_id = int(request.url_vars["post_id"])
    wanted = request.args.get("v") or request.args.get("version")
    base = datasette.urls.database(name)
    try:
        loaded = await read(datasette, db,
                            lambda archive: _load(archive, post_id, wanted, base))
    except ArchiveTimeout as exc:
        return Response.text(f"Error: {exc}", status=503)
    post, shown = loaded.post, loaded.shown
    as_json = request.url_vars.get("format") == "json"
    page_url = f"{base}/-/post/{post_id}"
    if post is None or shown is None:
        missing = (f"No post {post_id} in {name}" if post is None
                   else f"Post {post_id} has no version {wanted}")
        if as_json:
            raise NotFound(missing)
        # The article page's own header and breadcrumbs, and a way back.
        return await render(datasette, request, "wixarchive_post.html", {
            "database": name, "missing": missing, "post": post,
            "page_url": page_url if post else None, "search_url": f"{base}/-/search",
            "table_url": datasette.urls.table(name, "posts")}, status=404)
    history = [{k: v for k, v in version.items() if k != "record"}
               for version in loaded.versions]
    if as_json:
        # `post` is the version asked for (?version=N), the current one by default, with the
        # same keys either way (archive.versions).
        if shown is post:
            current = next((v for v in loaded.versions if v["version"] == post["version"]),
                           {"version": post["version"]})  # its row missing: no fetched_at
            shown = current_as_post(post, current)
        return Response.json({"database": name, "post": shown,
                              "current_version": post["version"], "versions": history,
                              "attachments": [{k: v for k, v in item.items() if k != "capture"}
                                              for item in loaded.files]})

    local = loaded.local
    alts = body_images(shown.get("body_html") or "")
    # Links in the body to an archived video or document open its copy, as images do.
    archived_files = {item["url"]: item["href"] for item in loaded.files if item["archived"]}
    context = {
        "database": name,
        "post": post,
        "shown": shown,
        "is_current": shown is post,
        # The post's language and direction on its own text (title, body); the page's labels
        # around it are English, left to right.
        "text_lang": text_attributes(shown.get("language")),
        # Links to her other archived posts open their copies here, and links to her blog, its
        # categories and tags the archive's lists of their posts: the site may be gone.
        "body": Markup(link_archived_posts(
            body_html({**shown, "body_html": _localize(shown.get("body_html") or "",
                                                       {**archived_files, **local})},
                      local, post["url"]),
            {**{href: f"{base}/-/search{query}"
                for href, query in (loaded.listings or {}).items()},
             **{href: f"{base}/-/post/{post_id}"
                for href, post_id in (loaded.linked or {}).items()}})),
        "images": gallery(shown, local, alts),
        "cover": local.get(shown.get("cover_image") or "", shown.get("cover_image")),
        "cover_alt": cover_alt(shown, alts),
        "problems": loaded.problems,
        # The shown version's videos and documents: archived copies, else plain links.
        "attachments": loaded.files,
        "versions": history,
        "changes": loaded.changes,
        # Removed and added lines as <del> and <ins>: assistive technology says "deletion" and
        # "insertion", where a leading - or + alone reads as a hyphen or "plus".
        "diff_tags": {"removed": "del", "added": "ins"},
        "no_difference": NO_DIFFERENCE,
        "date": display_date,
        "page_url": page_url,
        # The link that keeps showing this text whatever is imported later: absolute (the
        # host the page was asked from, base_url, force_https_urls), as a citation is pasted
        # where no page around it gives a host.
        "shown_id": version_id(shown["content_hash"]),
        "cite_url": datasette.absolute_url(
            request, f"{page_url}?v={version_id(shown['content_hash'])}"),
        # A recovered version's page in the web archive: a citation readers elsewhere can open.
        "capture_url": next((v["recovered"]["capture_url"] for v in history
                             if v["version"] == shown["version"] and v.get("recovered")), None),
        "row_url": datasette.urls.table(name, "posts") + f"/{post_id}",
        "search_url": f"{base}/-/search",
    }
    return await render(datasette, request, "wixarchive_post.html", context)
