"""`wixarchive show URL|ID`: one archived article as text, Markdown or JSON."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import click

from archive.cli.common import db_option, fail, find_post, open_archive
from archive.history import (
    WEB_ARCHIVE_SOURCES,
    deletion_window,
    post_at_version,
    version_id,
)
from archive.iri import display_url, uri_fields

# A column that is bookkeeping rather than the article: left out of the JSON output.
_INTERNAL = "site_id"


def display_width(text: str) -> int:
    """Terminal columns `text` takes: a wide (CJK, fullwidth) character 2, a combining mark
    0, any other 1."""
    return sum(0 if unicodedata.combining(char) else
               2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _current_origin(versions: list[dict[str, Any]], number: int) -> str:
    """Where the current version came from, when a web archive: the capture a quote of it
    cites ("" for a crawl's, dated by `last changed`)."""
    version = next((v for v in versions if v["version"] == number), None)
    if version is None:
        return ""
    if found := version["recovered"]:  # recovered, or re-extracted from what was
        return f": recovered from {found['capture_url']}"
    return ": imported from a web archive file" if version["source"] in WEB_ARCHIVE_SOURCES \
        else ""


def _meta_lines(post: dict[str, Any], version_line: str | None, origin: str = "") -> list[str]:
    lines = [f"URL: {display_url(post['url'])}",
             f"Site: {post['site_name'] or display_url(post['site'])}"]
    for label, key in (("Author", "author"), ("Published", "published"),
                       ("Updated", "modified"), ("Language", "language")):
        if post.get(key):
            lines.append(f"{label}: {post[key]}")
    if post.get("reading_minutes"):
        lines.append(f"Reading time: {post['reading_minutes']} min")
    for label, key in (("Tags", "tags"), ("Categories", "categories")):
        if post[key]:
            lines.append(f"{label}: {', '.join(post[key])}")
    # A version asked for is dated by its own fetch (or web archive capture).
    lines.append(f"Version: {version_line}" if version_line
                 else f"Version: {post['version']}, id {version_id(post['content_hash'])} "
                      f"(last changed {post['last_changed']}){origin}")
    if post.get("deleted_at"):
        lines.append(f"Deleted from the site: {deletion_window(post)}")
    elif not version_line and post.get("last_seen"):
        # When a crawl last found it on its site: of a blog that has gone, the last sign of it.
        lines.append(f"Last seen on the site: {post['last_seen']}")
    return lines


@click.command("show")
@click.argument("post_ref", metavar="URL|ID")
@db_option
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")),
              default="text", show_default=True, help="Output format.")
@click.option("--json", "fmt", flag_value="json", help="Same as --format json.")
@click.option("--version", "version_ref", metavar="N|ID",
              help="Show this stored version instead of the current one: its id (as `history` "
                   "and the article page give it, which never changes) or its number (1 = "
                   "oldest; an older capture imported later shifts the numbers).")
@click.option("--html", is_flag=True, help="With --format json, include the body HTML.")
def command(post_ref: str, db: Path, fmt: str, version_ref: str | None, html: bool) -> None:
    """Print one archived article (by URL or numeric id): its metadata and clean text.

    The end of a post's URL alone (its slug: hello) shows the one post whose URL ends in it;
    when several posts' URLs end in it, or hold it, they are listed by id and URL. A number is
    a post id; a slug (/post/2024) when no post has that id, and named on stderr when one has.

    \b
    Example:
        wixarchive show https://www.example.com/post/hello --db blog.db
        wixarchive show hello --db blog.db
        wixarchive show 42 --version 1 --format markdown --db blog.db
        wixarchive show https://www.example.com/post/hello --json --html --db blog.db
    """
    if html and fmt != "json":  # text and Markdown have no place for it: say so, not ignore it
        fail("--html adds the body HTML to the JSON output: use it with --format json")
    version_line: str | None = None  # the version asked for: its number and origin
    origin = ""  # the current version's, from a web archive
    with open_archive(db) as archive:
        post = find_post(archive, post_ref)
        if version_ref is None:
            if fmt != "json":  # JSON has no such line: `history --json` gives every origin
                origin = _current_origin(archive.versions(post["id"]), post["version"])
        else:
            # That version's content in the post's shape, with when and how it was fetched.
            try:
                post, version_line = post_at_version(
                    post, archive.versions(post["id"]), version_ref, archive.archived_spellings)
            except LookupError as exc:
                fail(str(exc))
    if fmt == "json":
        data = uri_fields({k: v for k, v in post.items()
                           if k != _INTERNAL and (html or k != "body_html")})
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo(f"# {post['title'] or '(untitled)'}\n")
        click.echo("\n".join(f"- {line}" for line in _meta_lines(post, version_line, origin)))
        click.echo()
        click.echo(post["body_markdown"] or post["body"])
    else:
        title = post["title"] or "(untitled)"
        click.echo(f"{title}\n{'=' * min(display_width(title), 100)}")
        click.echo("\n".join(_meta_lines(post, version_line, origin)))
        click.echo()
        click.echo(post["body"])
