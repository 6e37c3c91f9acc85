"""The typed records that extraction and cleaning produce.

`Article` is the contract between the crawl side (extract, clean, pipelines) and the
archive side (store, search, export): everything downstream reads these fields only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

# What kind of page the extractor saw. Only "post" pages are archived.
PAGE_KINDS = (
    "post",
    "listing",
    "category",
    "tag",
    "blog-index",
    "static",
    "not-wix",
    "error",
    "other",
)


@dataclass
class Article:
    """One blog post as archived: metadata plus the cleaned body in three forms."""

    url: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO 8601, as the page's meta/JSON-LD give it
    modified: str | None = None
    reading_minutes: int | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    body_text: str = ""  # paragraphs separated by one blank line
    body_html: str = ""  # sanitized HTML of the body only
    body_markdown: str = ""
    language: str | None = None
    canonical_url: str | None = None
    # The page in each language its hreflang alternate links name (tag -> URL, `en-us`).
    language_urls: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    site_name: str | None = None
    cover_image: str | None = None
    images: list[str] = field(default_factory=list)  # full-size URLs, in body order
    # Videos and documents the body links or embeds (crawler.extract.attachments): dicts of
    # url, kind ('video' | 'document'), content_type, is_file (False: a player page).
    attachments: list[dict[str, Any]] = field(default_factory=list)
    post_id: str | None = None  # Wix's 24-hex post id when the page exposes it
    page_kind: str = "post"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def content_hash(self) -> str:
        """Hash of what a reader sees; a re-crawl stores a new version only when it changes."""
        content = {
            "title": self.title,
            "author": self.author,
            "published": self.published,
            "reading_minutes": self.reading_minutes,
            "tags": self.tags,
            "categories": self.categories,
            "body_html": self.body_html,
            "cover_image": self.cover_image,
        }
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


@dataclass
class CleanedText:
    """A plain-text dump of a Wix page with its chrome removed."""

    title: str | None = None
    author: str | None = None
    date: str | None = None  # as displayed ("Jun 4", "24 févr."): dumps carry no machine date
    updated: str | None = None
    reading_minutes: int | None = None
    body: list[str] = field(default_factory=list)  # paragraphs, in order
    page_kind: str = "post"
    chrome: list[str] = field(default_factory=list)  # the lines removed, for auditing
    published: str | None = None  # ISO date read from `date` when it shows a full date
    dialect: str = "text"  # "text" or "markdown": how the dump was read
    body_markdown: str | None = None  # the post's own Markdown, when the dump was Markdown
    wix: bool = True  # the dump shows Wix chrome; when not, no line was removed as chrome
    warnings: list[str] = field(default_factory=list)  # e.g. a dump cut at a size limit

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.body)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["body_text"] = self.body_text
        return data
