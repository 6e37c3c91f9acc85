"""The article page: one post's clean body (sanitized again), its metadata, images, videos and
documents, and versions.

Images show only from the archive (the media route); every other image, in the body as in the
cover and gallery, is a plain link, so the page never loads anything from the site.
`/<db>/-/post/<id>` shows the current version, `?version=N` an older one (from its stored
record); `/<db>/-/post/<id>.json` returns the post and its version history as JSON.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup

from archive.sanitize import IMAGE_SCHEMES, safe_url
from archive.store import Archive
from archive.web.views import ArchiveTimeout, archive_database, read, render, sanitize
from archive.web.views.media import local_attachments, local_images

# Languages written right to left (ISO 639 codes; iw, ji: Hebrew's and Yiddish's old codes),
# and the scripts of a tag like pa-Arab.
RTL_LANGUAGES = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ps", "sd",
                           "syr", "ug", "ur", "yi"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"})


def text_direction(language: str | None) -> str:
    """The `dir` for a post in `language`: rtl for a right-to-left language, else auto (the
    browser reads the text's first letters): a Wix page's language is often the site's, so
    `en` on a post written in Arabic is common, and ltr would turn that post's text around."""
    primary, *subtags = (language or "").strip().lower().replace("_", "-").split("-")
    rtl = primary in RTL_LANGUAGES or any(tag in RTL_SCRIPTS for tag in subtags)
    return "rtl" if rtl else "auto"


def body_html(record: dict[str, Any], local: dict[str, str], page_url: str) -> Markup:
    """The body to show: its sanitized HTML (images served from the archive, the others made
    links), else its plain text as escaped paragraphs."""
    if (record.get("body_html") or "").strip():
        return Markup(archived_images_only(str(sanitize(record["body_html"])), local, page_url))
    text = record.get("body_text") or record.get("body") or ""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{html.escape(p)}</p>" for p in paragraphs))


class _ImageTags(HTMLParser):
    """The <img> tags of an HTML fragment: where each starts, its text and its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[tuple[int, int], str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append((self.getpos(), self.get_starttag_text() or "", attrs))


def archived_images_only(fragment: str, local: dict[str, str], page_url: str) -> str:
    """Sanitized HTML whose every <img> shows a copy served from the archive: an image
    archived (a key of `local`) points at its copy, and any other becomes a plain link to its
    URL (resolved against the post's URL), so a page never loads an image from the site."""
    parser = _ImageTags()
    parser.feed(fragment)
    parser.close()
    if not parser.found:
        return fragment
    # getpos() is (line, column), lines counted by "\n" only (as html.parser counts them).
    line_starts = [0] + [i + 1 for i, char in enumerate(fragment) if char == "\n"]
    served = set(local.values())
    out, last = [], 0
    for (line, column), text, attrs in parser.found:
        start = line_starts[line - 1] + column
        values = {name: value or "" for name, value in attrs}
        src = local.get(values.get("src", ""), values.get("src", ""))
        out.append(fragment[last:start])
        if src in served:
            out.append("<img" + "".join(
                f' {name}="{html.escape(src if name == "src" else value)}"'
                for name, value in values.items()) + ">")
        else:
            out.append(_not_archived(src, values.get("alt", ""), page_url))
        last = start + len(text)
    out.append(fragment[last:])
    return "".join(out)


def _not_archived(src: str, alt: str, page_url: str) -> str:
    label = html.escape(f"Image: {alt} (not archived)" if alt.strip() else "Image (not archived)")
    href = safe_url(urljoin(page_url, src), IMAGE_SCHEMES) if src else None
    if not href:
        return f"<span class=\"wxa-unarchived\">{label}</span>"
    return (f'<a class="wxa-unarchived" href="{html.escape(href)}" '
            f'rel="noopener noreferrer nofollow">{label}</a>')


def _load(archive: Archive, post_id: int,
          base: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]], dict[str, str],
                              list[str], list[dict[str, Any]]]:
    post = archive.post(post_id)
    if not post:
        return None, [], {}, [], []
    versions = archive.versions(post["url"])
    urls = {u for v in versions for u in
            (v["record"].get("images") or []) + [v["record"].get("cover_image")] if u}
    local, problems = local_images(archive, sorted(urls), base)
    files, missing = local_attachments(archive, post_id, base)
    return post, versions, local, problems + missing, files


def _localize(html_text: str, local: dict[str, str]) -> str:
    """Point every quoted URL of an archived image at its copy: the links to it too (an image
    that opens full size), which archived_images_only, reading only <img>, leaves alone."""
    for url, path in local.items():
        html_text = html_text.replace(f'"{url}"', f'"{path}"')
    return html_text


async def article_page(datasette: Any, request: Any) -> Response:
    name, db = await archive_database(datasette, request)
    post_id = int(request.url_vars["post_id"])
    try:
        post, versions, local, problems, files = await read(
            datasette, db, lambda archive: _load(archive, post_id, datasette.urls.database(name)))
    except ArchiveTimeout as exc:
        return Response.text(f"Error: {exc}", status=503)
    if post is None:
        raise NotFound(f"No post {post_id} in {name}")
    history = [{k: v for k, v in version.items() if k != "record"} for version in versions]
    if request.url_vars.get("format") == "json":
        return Response.json({"database": name, "post": post, "versions": history,
                              "attachments": [{k: v for k, v in item.items() if k != "capture"}
                                              for item in files]})

    shown = post
    wanted = request.args.get("version")
    if wanted and wanted != str(post["version"]):
        chosen = [v for v in versions if str(v["version"]) == wanted]
        if not chosen:
            raise NotFound(f"Post {post_id} has no version {wanted}")
        # An old version is shown from its own record: title, metadata and body as then.
        shown = {**chosen[0]["record"], "version": chosen[0]["version"]}
    base = datasette.urls.database(name)
    context = {
        "database": name,
        "post": post,
        "shown": shown,
        "is_current": shown is post,
        "language": shown.get("language"),
        "direction": text_direction(shown.get("language")),
        "body": body_html({**shown, "body_html": _localize(shown.get("body_html") or "", local)},
                          local, post["url"]),
        "images": [(u, local.get(u, u)) for u in shown.get("images") or []
                   if u != shown.get("cover_image") and safe_url(u, IMAGE_SCHEMES)],
        "cover": local.get(shown.get("cover_image") or "", shown.get("cover_image")),
        "problems": problems,
        # The current post's videos and documents: archived copies, else plain links.
        "attachments": files,
        "versions": history,
        "page_url": f"{base}/-/post/{post_id}",
        "row_url": datasette.urls.table(name, "posts") + f"/{post_id}",
        "search_url": f"{base}/-/search",
    }
    return await render(datasette, request, "wixarchive_post.html", context)
