"""Markdown files with YAML front matter, one per post, for static-site generators.

Files go to OUT/<site>/<YYYY-MM-DD>-<slug>.md (the Jekyll `_posts` naming, which Hugo and
Eleventy accept too); names are made safe and unique by `archive.export.filenames`, and bodies
and URLs safe by `archive.export.safe_post` and `archive.sanitize.sanitize_markdown`.
Front matter values are written as JSON scalars and flow lists, which are valid YAML, so no
YAML library is needed to write them and any YAML parser reads them back.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from archive.export import full_size, safe_post
from archive.export.filenames import Folder, safe_name
from archive.iri import display_url
from archive.sanitize import safe_url, sanitize_markdown

IMAGES = "images"  # the folder beside a site's posts holding their archived images
FILES = "files"  # the same for the videos and documents fetched on request


def _escape_char(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def yaml_value(value: Any) -> str:
    """A YAML scalar or flow list; characters YAML forbids unescaped become \\u escapes."""
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():  # the common case: no control, format or unassigned character
        return text
    return "".join(_escape_char(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co",
                                                                    "Cn", "Zl", "Zp")
                   else ch for ch in text)


def slug(url: str) -> str:
    """The post's slug: the last segment of its URL path, decoded."""
    path = urlsplit(url).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) or "post"


def site_folder(site_url: str) -> str:
    parts = urlsplit(site_url)
    return safe_name((parts.netloc + parts.path.rstrip("/")).replace("/", "-"), "site")


def file_stem(post: dict[str, Any]) -> str:
    """<date>-<slug> (or <slug> for an undated post), without the extension."""
    base = safe_name(slug(post["url"]), "post")
    date = (post.get("published") or "")[:10]
    return f"{date}-{base}" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else base


def body(post: dict[str, Any]) -> str:
    """The stored Markdown; converted from the HTML (markdownify) only when it is missing."""
    text = post.get("body_markdown") or ""
    if not text.strip() and (post.get("body_html") or "").strip():
        from markdownify import markdownify

        text = markdownify(post["body_html"], heading_style="ATX").strip()
    if not text.strip():
        text = post.get("body") or ""
    # Last, on whichever text was chosen: markdownify's output or plain text can hold "<".
    return sanitize_markdown(full_size(text.strip()))


def front_matter(post: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": post.get("title") or "",
        "date": post.get("published"),
        "lastmod": post.get("modified"),
        "author": post.get("author"),
        "description": post.get("description"),
        "slug": slug(post["url"]),
        "tags": post.get("tags") or [],
        "categories": post.get("categories") or [],
        "language": post.get("language"),
        "cover_image": full_size(post["cover_image"]) if post.get("cover_image") else None,
        "images": [full_size(url) for url in post.get("images") or []],
        # Videos and documents: the local copy's relative path when archived, else the URL.
        "videos": _attached(post, "video"),
        "documents": _attached(post, "document"),
        # Readable, as the page showed them: a non-Latin slug decoded (archive/iri.py).
        "original_url": display_url(safe_url(post["url"]) or "") or None,
        "canonical_url": display_url(post["canonical_url"]) if post.get("canonical_url")
        else None,
        "site": post.get("site"),
        # A post deleted from its site stays a draft: the archive keeps it, a site should not
        # republish it without a decision.
        "draft": bool(post.get("deleted_at")),
        "deleted_at": post.get("deleted_at"),
        "archive_id": post.get("id"),
        "archive_version": post.get("version"),
    }
    return {key: value for key, value in fields.items()
            if value is not None and (value or key not in ("videos", "documents"))}


def _attached(post: dict[str, Any], kind: str) -> list[str]:
    return [href for item in post.get("attachments") or [] if item["kind"] == kind
            and (href := item.get("local") or safe_url(item["url"]))]


def render(post: dict[str, Any]) -> str:
    """One post as a Markdown document with front matter."""
    post = safe_post(post, markdown=False)  # body() sanitizes the Markdown it settles on
    lines = ["---"] + [f"{key}: {yaml_value(value)}" for key, value in front_matter(post).items()]
    return "\n".join([*lines, "---", "", body(post) + _attachment_list(post), ""])


def _attachment_list(post: dict[str, Any]) -> str:
    """The videos and documents the body does not link already (a player shows no link in
    the page's HTML), as a list after it; archived ones link their local copy."""
    text = post.get("body_markdown") or ""
    lines = []
    for item in post.get("attachments") or []:
        href = item.get("local") or safe_url(item["url"])
        if href and href not in text and item["url"] not in text:
            label = "Video" if item["kind"] == "video" else "Document"
            lines.append(f"- {label}: <{href}>")
    return "\n\n" + "\n".join(lines) if lines else ""


def image_name(url: str, data: bytes) -> str:
    """A file name for an image: the start of its content digest (one file per content, however
    many posts use it) and its original name's extension."""
    extension = Path(urlsplit(url).path).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", extension):
        extension = ""
    return hashlib.sha1(data).hexdigest()[:16] + extension


def localize(post: dict[str, Any], out: Folder, directory: str,
             image: Callable[[str], bytes | None]) -> dict[str, Any]:
    """The post with its archived images written to `directory`/images/ of `out` (once per
    content) and linked relatively, by the full-size URL the archive holds; images not archived
    keep their URL."""
    urls = [u for u in [post.get("cover_image"), *(post.get("images") or [])] if u]
    local: dict[str, str] = {}
    for url in dict.fromkeys(full_size(u) for u in urls):
        data = image(url)
        if data is None:
            continue
        name = image_name(url, data)
        if out.first(f"{directory}/{IMAGES}/{name}"):
            out.write_bytes(out.root / directory / IMAGES / name, data)
        local[url] = f"{IMAGES}/{name}"
    if not local:
        return post
    text = body(post)
    for url, path in local.items():
        text = text.replace(url, path)
    return {**post, "body_markdown": text,
            "cover_image": local.get(full_size(post.get("cover_image") or ""),
                                     post.get("cover_image")),
            "images": [local.get(full_size(u), u) for u in post.get("images") or []]}


def localize_attachments(post: dict[str, Any], out: Folder, directory: str,
                         fetched: Callable[[str], bytes | None]) -> dict[str, Any]:
    """The post with its archived videos and documents written to `directory`/files/ (once
    per content) and linked relatively from the body and its front matter."""
    items = []
    text = post.get("body_markdown") or ""
    for item in post.get("attachments") or []:
        data = fetched(item["url"]) if item.get("status") == "stored" else None
        if data is not None:
            name = image_name(item["url"], data)
            if out.first(f"{directory}/{FILES}/{name}"):
                out.write_bytes(out.root / directory / FILES / name, data)
            item = {**item, "local": f"{FILES}/{name}"}
            text = text.replace(item["url"], item["local"])
        items.append(item)
    return {**post, "attachments": items, "body_markdown": text}


def write(posts: Iterable[dict[str, Any]], folder: Path,
          image: Callable[[str], bytes | None] | None = None) -> int:
    """Write one file per post under `folder`, post by post; returns the number written. With
    `image` (the archived bytes of an image URL, or None), the posts' images go beside them in
    images/.

    Two posts whose names agree (one slug and date, or names differing only in case) get the
    post id, then a counter, appended.
    """
    count = 0
    with Folder(folder) as out:
        for post in posts:
            directory = site_folder(post.get("site") or post["url"])
            path = out.claim(directory, file_stem(post), ".md", str(post["id"]))
            if image is not None:
                post = localize(post, out, directory, image)
                if post.get("attachments"):
                    post = localize_attachments(post, out, directory, image)
            out.write_text(path, render(post))
            count += 1
    return count
