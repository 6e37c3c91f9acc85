"""Exporters: the archive's posts as JSON lines, CSV, Markdown files or a WordPress WXR file.

Each writer is a pure function over post dicts as `Archive.post()` returns them (see
`archive.export.source.iter_posts`), so what is exported is exactly what is archived.
"""

from __future__ import annotations

import re

FORMATS = ("jsonl", "csv", "markdown", "wxr")

# Wix serves resized copies as <original>/v1/fill/w_740,h_493,.../<name>; the original file is
# the URL up to /v1/. Exports meant for publishing reference the full-size original.
_WIX_RESIZED = re.compile(r"(https?://static\.wixstatic\.com/media/[^/?#\s\"'<>()]+)"
                          r"/v1/[^\s\"'<>()]*")


def full_size(text: str) -> str:
    """`text` (a URL, HTML or Markdown) with every resized Wix image URL made full-size."""
    return _WIX_RESIZED.sub(r"\1", text or "")
