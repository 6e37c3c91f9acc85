"""A stored version of a post in the post's own shape, for the outputs that give versions
beside the current post (the article page's JSON, `export --versions`).

A version's record is the extractor's Article (`body_text`, `post_id`, `page_kind`, no
`word_count`): given as it is, a script reading `body` or `word_count` off a post would break on
an old version. Here a version gets every key of `Archive.post()`, in its order, with that
version's values where the version has them, the post's for the fields of the post itself (its
id, URL, site, first and last seen, deletion, HTTP validators), then VERSION_FIELDS.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archive.search.bigrams import word_count

# The post's fields a version's record holds, by the record's name where it differs.
FROM_RECORD = ("wix_post_id", "title", "author", "published", "modified", "reading_minutes",
               "language", "canonical_url", "description", "cover_image", "tags", "categories",
               "body", "body_html", "body_markdown", "warnings", "images")
RECORD_NAMES = {"body": "body_text", "wix_post_id": "post_id"}
LIST_FIELDS = frozenset({"tags", "categories", "warnings", "images"})
TEXT_FIELDS = frozenset({"body", "body_html", "body_markdown"})
# What only a version has: when it was fetched, what made it ('crawl', 'reextract',
# 'import', ...), and the crawl run that fetched it (null for one not from a crawl run).
VERSION_FIELDS = ("fetched_at", "source", "run_id")


def _version_fields(version: dict[str, Any]) -> dict[str, Any]:
    return {key: version.get(key) for key in VERSION_FIELDS}


def as_post(post: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """Version `version` (an `Archive.versions()` item) of `post` (`Archive.post()`) with the
    post's keys and that version's values, plus VERSION_FIELDS. The current version is the
    post as it is."""
    if version["version"] == post["version"]:
        return {**post, **_version_fields(version)}
    record = version["record"]
    shaped = dict(post)
    for key in FROM_RECORD:
        value = record.get(RECORD_NAMES.get(key, key))
        if value is None and key in LIST_FIELDS:
            value = []
        elif value is None and key in TEXT_FIELDS:
            value = ""
        shaped[key] = value
    shaped.update(word_count=word_count(shaped["body"]), content_hash=version["content_hash"],
                  version=version["version"])
    return {**shaped, **_version_fields(version)}


def every_version(post: dict[str, Any], versions: list[dict[str, Any]]
                  ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(the version in the post's shape, its record) for each stored version, oldest first."""
    for version in versions:
        yield as_post(post, version), version["record"]
