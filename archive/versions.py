"""A stored version of a post in the post's own shape, for the outputs that give versions
beside the current post (the article page's JSON, `export --versions`, `show --version`), and
the SQL function `version_record()` that reads a version's compressed record in a query.

A version's record is the extractor's Article (`body_text`, `post_id`, `page_kind`, no
`word_count`): given as it is, a script reading `body` or `word_count` off a post would break on
an old version. Here a version gets every key of `Archive.post()`, in its order, with that
version's values where the version has them, the post's for the fields of the post itself (its
id, URL, site, first and last seen, deletion, HTTP validators), then VERSION_FIELDS.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from archive.chunked import in_chunks
from archive.ingest import TEXT_FIELDS, TEXT_IN_POST
from archive.search.bigrams import word_count

# The post's fields a version's record holds, by the record's name where it differs.
FROM_RECORD = ("wix_post_id", "title", "author", "published", "modified", "reading_minutes",
               "language", "canonical_url", "description", "cover_image", "tags", "categories",
               "body", "body_html", "body_markdown", "warnings", "images")
RECORD_NAMES = {"body": "body_text", "wix_post_id": "post_id"}
LIST_FIELDS = frozenset({"tags", "categories", "warnings", "images"})
TEXT_COLUMNS = frozenset({"body", "body_html", "body_markdown"})
# What only a version has: when it was fetched, what made it ('crawl', 'reextract',
# 'import', ...), the crawl run that fetched it (null for one not from a crawl run), for
# one `recover` fetched, the web archive and capture it came from, and when the archive
# stored it, by its own clock (Archive.versions): what `export --changed-since` compares, so
# an incremental `--versions` export's rows say why each is there. Last: a CSV's earlier
# columns keep their places.
VERSION_FIELDS = ("fetched_at", "source", "run_id", "recovered", "stored_at")


def recovered_captures(conn: sqlite3.Connection, record_ids: Sequence[str]
                       ) -> dict[str, dict[str, str]]:
    """Where the versions made from captures `wixarchive recover` fetched came from, by the
    capture's record id (post_versions.capture), for those of `record_ids` it fetched: the web
    archive's replay base (`endpoint`), the capture's 14-digit CDX `timestamp`, and its page
    in that web archive, `capture_url` (its Wayback URL, what a citation names). Read through
    the index recovered_record (schema v28); an older archive read as it is scans the table."""
    if not record_ids:
        return {}
    try:
        rows = in_chunks(conn, "SELECT record_id, endpoint, timestamp, url FROM recovered "
                               "WHERE record_id IN ({marks})", record_ids)
    except sqlite3.OperationalError as exc:  # an archive from before v11 read as it is
        if "no such table" not in str(exc):
            raise
        return {}
    return {record_id: {"endpoint": endpoint, "timestamp": timestamp,
                        "capture_url": f"{endpoint}{timestamp}/{url}"}
            for record_id, endpoint, timestamp, url in rows}


# The sources of versions made from a capture `recover` may have fetched: its own, and a
# re-extraction of that capture (by a later extractor), whose text came from there too.
RECOVERABLE_SOURCES = ("recover", "reextract")


def _version_fields(version: dict[str, Any]) -> dict[str, Any]:
    return {key: version.get(key) for key in VERSION_FIELDS}


def current_as_post(post: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """The current version (`version`) of `post`: the post as it is, plus VERSION_FIELDS."""
    return {**post, **_version_fields(version)}


# How the archive spells a post's tags or categories: (table, names) -> names, as
# Archive.archived_spellings and the exports' Spellings.names do.
Speller = Callable[[str, Sequence[str]], list[str]]


def as_post(post: dict[str, Any], version: dict[str, Any], spell: Speller) -> dict[str, Any]:
    """Version `version` (an `Archive.versions()` item) of `post` (`Archive.post()`) with the
    post's keys and that version's values, plus VERSION_FIELDS. The current version is the
    post as it is. An older version's record kept the page's spelling of its tags and
    categories (çay): `spell` gives the archive's (Çay), as the post and the exports have it."""
    if version["version"] == post["version"]:
        return current_as_post(post, version)
    record = version["record"]
    shaped = dict(post)
    for key in FROM_RECORD:
        value = record.get(RECORD_NAMES.get(key, key))
        if value is None and key in LIST_FIELDS:
            value = []
        elif value is None and key in TEXT_COLUMNS:
            value = ""
        shaped[key] = value
    for table in ("tags", "categories"):
        shaped[table] = spell(table, shaped[table])
    shaped.update(word_count=word_count(shaped["body"]), content_hash=version["content_hash"],
                  version=version["version"])
    return {**shaped, **_version_fields(version)}


def version_record(record: bytes | None, *texts: str | None) -> str | None:
    """SQL `version_record(record)`: a post_versions.record (zlib-compressed JSON) as its JSON
    text, for json_extract(). The current version's record leaves its three texts in the posts
    row (`"_text_in_post": true`, no body_text): `version_record(record, body, body_html,
    body_markdown)`, given the posts row's texts, puts them back as Archive.versions() does.
    NULL gives NULL; anything but such a record is an error, never a wrong answer."""
    if record is None:
        return None
    if not isinstance(record, bytes):
        raise ValueError("version_record() takes post_versions.record, a compressed blob")
    data = json.loads(zlib.decompress(record))
    if texts and data.get(TEXT_IN_POST):
        del data[TEXT_IN_POST]
        data.update(zip(TEXT_FIELDS, texts, strict=True))
    return json.dumps(data, ensure_ascii=False)


def register_sql_functions(conn: sqlite3.Connection) -> None:
    """Make `version_record(record)` and `version_record(record, body, body_html,
    body_markdown)` available in `conn`'s queries."""
    conn.create_function("version_record", 1, version_record, deterministic=True)
    conn.create_function("version_record", 4, version_record, deterministic=True)
