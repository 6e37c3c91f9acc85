"""JSON lines: one post per line, every archived field, as `Archive.post()` returns it plus its
videos and documents (`attachments`), its URLs as URIs (docs/fields.md "URLs")."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from archive.export import record


def write(posts: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write one JSON object per post (as `record` gives it); returns the number written."""
    count = 0
    for post in posts:
        out.write(json.dumps(record(post), ensure_ascii=False) + "\n")
        count += 1
    return count
