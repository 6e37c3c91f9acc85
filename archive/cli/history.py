"""`wixarchive history URL`: every archived version of a post, and what changed between two."""

from __future__ import annotations

import json
from pathlib import Path

import click

from archive.cli.common import db_option, fail, find_post, open_archive
from archive.history import (
    NO_DIFFERENCE,
    WEB_ARCHIVE_SOURCES,
    deletion_window,
    diff_class,
    diff_versions,
)


@click.command("history")
@click.argument("url")
@db_option
@click.option("--diff", "diff_pair", nargs=2, type=int, metavar="A B",
              help="Show what changed from version A to version B.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="Output format: json prints the versions (or the diff).")
@click.option("--json", "fmt", flag_value="json", help="Same as --format json.")
def command(url: str, db: Path, diff_pair: tuple[int, int] | None, fmt: str) -> None:
    """List the archived versions of the post at URL, or diff two of them.

    Every crawl that finds a post's content changed stores a new version; nothing is ever
    overwritten. Each version is listed with its date and what made it: crawl, recover
    (with the web archive and capture timestamp), import or reextract; a recovered or
    imported version's date is when the web archive captured the page. With no --diff, the
    list ends with the diff of the last two versions.

    \b
    Example:
        wixarchive history https://www.example.com/post/hello --db blog.db --diff 1 3
    """
    with open_archive(db) as archive:
        post = find_post(archive, url)
        versions = archive.versions(post["id"])
    as_json = fmt == "json"
    if not versions:
        fail(f"no versions stored for {url}")
    if as_json and not diff_pair:
        click.echo(json.dumps([{k: v for k, v in version.items()} for version in versions],
                              ensure_ascii=False, indent=2))
        return
    if not diff_pair:
        click.echo(f"{post['title']}\n{post['url']}"
                   + (f"\ndeleted from the site {deletion_window(post)}" if post["deleted_at"]
                      else ""))
        for version in versions:
            found = version["recovered"]
            where = f"  (from {found['capture_url']})" if found else ""
            click.echo(f"  v{version['version']}  {version['version_id']}  "
                       f"{version['fetched_at']}  {version['source']:<9}  "
                       f"{version['title']}{where}")
        if any(version["source"] in WEB_ARCHIVE_SOURCES or version["recovered"]
               for version in versions):
            click.echo("  (the date of a recovered or imported version is when the web archive "
                       "captured the page)")
        if len(versions) < 2:
            return
        diff_pair = (versions[-2]["version"], versions[-1]["version"])
        click.echo("")
    old_no, new_no = diff_pair
    try:
        lines = diff_versions(versions, old_no, new_no)
    except KeyError as exc:
        fail(exc.args[0])
    if as_json:
        click.echo(json.dumps({"from": old_no, "to": new_no, "diff": lines}, ensure_ascii=False))
        return
    colour = {"added": "green", "removed": "red", "hunk": "cyan"}
    for line in lines or [NO_DIFFERENCE]:
        click.secho(line, fg=colour.get(diff_class(line)))
