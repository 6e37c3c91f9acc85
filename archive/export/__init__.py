"""Exporters: the archive's posts as JSON lines, CSV, Markdown files, a WordPress WXR file or
one HTML page to read in a browser, and its captures as a WACZ package (archive.export.wacz).

Each writer is a pure function over post dicts as `Archive.post()` returns them (see
`archive.export.source.iter_posts`), so what is exported is exactly what is archived, made safe
(`safe_post`): an archive may hold rows another tool wrote, and an export is read by programs
that render it. Writers consume their posts one at a time: memory stays flat in their number.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from archive.iri import uri_fields
from archive.sanitize import IMAGE_SCHEMES, safe_url, sanitize_html, sanitize_markdown

FORMATS = ("jsonl", "csv", "markdown", "wxr", "html", "wacz")
# The format an output path ending so names when no format is given (`wixarchive export OUT`,
# `wixarchive.export(archive, path)`); markdown writes a folder: never guessed.
FORMAT_OF_EXTENSION = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".wacz": "wacz",
                       ".xml": "wxr", ".wxr": "wxr", ".html": "html", ".htm": "html"}


def format_of_path(out: str | os.PathLike[str]) -> str | None:
    """The format `out`'s extension names (any case), None when it names none or `out` is a
    folder."""
    path = Path(out)
    fmt = FORMAT_OF_EXTENSION.get(path.suffix.lower())
    return None if fmt is None or path.is_dir() else fmt

def no_such_export(out: str | os.PathLike[str], json_readers: str) -> str:
    """For an `out` naming a format there is no export in (PDF, JSON), what gives it, to follow
    the error that no format is named ("; there is no JSON export: ..."), or "". `json_readers`:
    what prints or returns posts as JSON where the user is (the commands, or the API)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix == ".pdf":  # the HTML export printed
        return (f"; there is no PDF export: export {path.with_suffix('.html')}, open it in "
                "a web browser and print it to PDF (each post starts a page)")
    if suffix == ".json":  # one JSON document of every post is no export: JSON lines are
        return (f"; there is no JSON export: export {path.with_suffix('.jsonl')} for JSON "
                "lines, one JSON object a line for each post with every archived field "
                f"({json_readers})")
    return ""


# Wix serves resized copies as <original>/v1/fill/w_740,h_493,.../<name>; the original file is
# the URL up to /v1/. Exports meant for publishing reference the full-size original.
_WIX_RESIZED = re.compile(r"(https?://static\.wixstatic\.com/media/[^/?#\s\"'<>()]+)"
                          r"/v1/[^\s\"'<>()]*")


def full_size(text: str) -> str:
    """`text` (a URL, HTML or Markdown) with every resized Wix image URL made full-size."""
    return _WIX_RESIZED.sub(r"\1", text or "")


def safe_post(post: dict[str, Any], *, markdown: bool = True) -> dict[str, Any]:
    """The post with its HTML and Markdown bodies sanitized and every link or image URL whose
    scheme could run code (javascript:, data:, ... in any case or disguise) dropped. The post's
    own `url` and `site` are its identity and stay as archived; writers that make links of
    them pass them through `safe_url`. markdown=False leaves `body_markdown` to a caller that
    sanitizes the Markdown it writes."""
    safe = dict(post)
    if safe.get("body_html"):
        safe["body_html"] = sanitize_html(safe["body_html"])
    if markdown and safe.get("body_markdown"):
        safe["body_markdown"] = sanitize_markdown(safe["body_markdown"])
    if "canonical_url" in safe:
        safe["canonical_url"] = safe_url(safe["canonical_url"])
    if "cover_image" in safe:
        safe["cover_image"] = safe_url(safe["cover_image"], IMAGE_SCHEMES)
    if "images" in safe:
        safe["images"] = [url for url in safe["images"] or [] if safe_url(url, IMAGE_SCHEMES)]
    return safe


# What JSON lines and CSV say of each video or document (docs/fields.md): the archive's
# attachments row with what fetching it gave, without the capture's record id (the archive's
# own readers use it; it means nothing outside).
ATTACHMENT_FIELDS = ("url", "kind", "content_type", "is_file", "status", "bytes",
                     "payload_digest")


def record(post: dict[str, Any]) -> dict[str, Any]:
    """The post as JSON lines and CSV give it: made safe (`safe_post`), its URLs as URIs, and
    its `attachments` (archive.attachments.of_post rows, when the post carries them) with the
    documented fields, those whose URL could run code dropped."""
    exported = uri_fields(safe_post(post))
    if "attachments" in exported:
        exported["attachments"] = [
            {**{key: item.get(key) for key in ATTACHMENT_FIELDS},
             "is_file": bool(item.get("is_file"))}
            for item in exported["attachments"] or [] if safe_url(item.get("url"))]
    return exported
