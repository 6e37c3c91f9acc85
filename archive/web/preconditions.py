"""If-None-Match (RFC 9110, section 13.1.2), as the media route answers it: a browser
revalidating a file it holds sends the ETag it got, and gets 304 Not Modified without the
body when that ETag is still the file's.
"""

from __future__ import annotations

import re

# An entity-tag, weak or strong: its opaque part (quotes included) is what is compared.
_ENTITY_TAG = re.compile(r'[\s,]*(?:W/)?("[^"]*")\s*(?:,|$)')  # empty list items skipped


def none_match(if_none_match: list[str], etag: str) -> bool:
    """Whether the If-None-Match field lines (one or several, each a list) name `etag`, the
    current file's tag, by weak comparison (a `W/` on either side is ignored), or are `*`
    (any current file): the condition is then false and a GET or HEAD answers 304. Tags are
    read up to the first malformed one."""
    opaque = etag.removeprefix("W/")
    for line in if_none_match:
        if line.strip() == "*":
            return True
        position = 0
        while position < len(line) and (tag := _ENTITY_TAG.match(line, position)):
            if tag.group(1) == opaque:
                return True
            position = tag.end()
    return False
