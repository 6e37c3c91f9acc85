"""`wixarchive sites add|list|remove`: edit the sites file that run-due and schedule read;
`sites merge` and `sites forget`: join or remove archived sites."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from archive.cli import SuggestingGroup
from archive.cli.common import db_option, fail, fail_with, open_archive
from archive.cli.crawl import read_site_list
from archive.crawls import Target
from archive.schedule import sites as sites_file
from archive.schedule.due import Schedule, ScheduleError, parse_duration, parse_time
from archive.schedule.report import scheduled_rows
from archive.schedule.runner import show_time
from archive.site_match import moved_site
from archive.store import Archive, ArchiveError
from archive.words import counted

F = TypeVar("F", bound=Callable[..., Any])


def sites_option(func: F) -> F:
    return click.option(
        "--sites", "sites_path", type=click.Path(dir_okay=False, path_type=Path),
        envvar="WIXARCHIVE_SITES",
        help="The sites file ($WIXARCHIVE_SITES; default: beside the archive, "
             "archive.db -> archive.sites.toml).")(func)


def now_option(func: F) -> F:
    # Hidden: tests and dry runs pretend it is another time ($WIXARCHIVE_NOW, ISO 8601).
    return click.option("--now", "now_text", envvar="WIXARCHIVE_NOW", hidden=True)(func)


def resolve_sites(sites_path: Path | None, db: Path) -> Path:
    return sites_path or sites_file.default_path(db)


def _checked_by(parse: Callable[[str], object]) -> Callable[..., str | None]:
    """A click callback refusing a value `parse` refuses as a bad option value (exit 2, as
    click's own types), and passing the text on as written (the sites file keeps it so)."""
    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            try:
                parse(value)
            except ScheduleError as exc:
                raise click.BadParameter(str(exc)) from None
        return value
    return check


def parse_now(now_text: str | None) -> datetime | None:
    if not now_text:
        return None
    try:
        return parse_time(now_text)
    except ValueError:
        fail(f"--now / $WIXARCHIVE_NOW: {now_text!r} is not an ISO 8601 time")


@click.group("sites", cls=SuggestingGroup)
def command() -> None:
    """Edit the sites file: which sites `run-due` and `schedule` crawl, and how often.

    The file is TOML, one [[site]] table per site (url, every or cron, labels, politeness
    overrides, media options, timeout) and optional [defaults]; it can also be edited by hand.
    `sites merge OLD NEW` joins two archived sites of one blog that moved to another host;
    `sites forget SITE` removes from the archive a site holding no posts (a mistyped address).

    \b
    Example:
        wixarchive sites add https://www.example.com/blog --every 6h --label fr
        wixarchive sites add someone.wixsite.com/garden --cron "0 3 * * 1" --delay 2
        wixarchive sites list
        wixarchive sites remove https://www.example.com/
        wixarchive sites merge https://old.example/ https://www.new.example/
        wixarchive sites forget https://typo.example/
    """


@command.command("add")
@click.argument("urls", metavar="URL...", nargs=-1)
@db_option
@sites_option
@click.option("--from", "from_file", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE", help="Add the sites of FILE too: one URL per line, as `crawl "
              "--sites` reads (`#` comments).")
@click.option("--every", callback=_checked_by(parse_duration),
              help='Crawl interval: "30m", "6h", "2d", "1w" (default 1d).')
@click.option("--cron", callback=_checked_by(lambda cron: Schedule.parse(cron=cron)),
              help='A cron expression in local time instead, e.g. "0 3 * * *".')
@click.option("--name", help="A name for the site (can select it in run-due --site).")
@click.option("--label", "labels", multiple=True, help="A label (repeatable).")
@click.option("--delay", type=float, help="Seconds between requests to the site.")
@click.option("--concurrency", type=int, help="Parallel requests to the site.")
@click.option("--autothrottle/--no-autothrottle", default=None, help="Adapt to the server.")
@click.option("--user-agent", help="User-Agent header.")
@click.option("--contact", help="An e-mail or URL added to the User-Agent.")
@click.option("--no-robots", is_flag=True, help="Do not obey robots.txt (your own site only).")
@click.option("--no-capture", is_flag=True, help="Keep no raw captures (WARC) of the site.")
@click.option("--no-media", is_flag=True, help="Do not fetch the posts' images at full size.")
@click.option("--max-media-mb", type=float,
              help="Largest image, video or document kept, in MB (default 25).")
@click.option("--media-kinds", metavar="KINDS",
              help="Media fetched, comma-separated: images, video, documents (default images).")
@click.option("--page-requisites", is_flag=True,
              help="Also fetch the images at the URLs the post pages show them (for replay).")
@click.option("--timeout", callback=_checked_by(parse_duration),
              help='Stop the crawl cleanly after this long (default 4h).')
def add_command(urls: tuple[str, ...], db: Path, sites_path: Path | None,
                from_file: Path | None, every: str | None,
                cron: str | None, name: str | None, labels: tuple[str, ...],
                delay: float | None, concurrency: int | None, autothrottle: bool | None,
                user_agent: str | None, contact: str | None, no_robots: bool,
                no_capture: bool, no_media: bool, max_media_mb: float | None,
                media_kinds: str | None, page_requisites: bool, timeout: str | None) -> None:
    """Add sites (any page of each) to the sites file, each with these options. The crawl
    options are those of `wixarchive crawl`, but --timeout, which is here the crawl's time
    limit (crawl's --timeout is how long to wait for a page). The new address of an archived
    site that moved to another host (a crawl of its old address said `moved: …`) continues
    that site: add it, then remove the old one. A site that cannot be added (listed already,
    not a site URL) is named and the others are added; the exit status is then 1.

    \b
    Example:
        wixarchive sites add https://www.example.com/blog --every 6h --label fr --db blog.db
        wixarchive sites add example.wixsite.com/garden --cron "0 3 * * 1" --timeout 2h
        wixarchive sites add --from blogs.txt --every 1d --label study --db study.db
    """
    listed = read_site_list(from_file, "sites add --from") if from_file else []
    targets = [Target(url) for url in urls] + listed
    if not targets:
        fail(f"{from_file} lists no site: give one site URL per line" if from_file
             else "give a site URL (or --from FILE)")
    if name and len(targets) > 1:
        fail("--name names one site: give it with a single URL")
    path = resolve_sites(sites_path, db)
    added, refused = [], 0
    for target in targets:
        entry = sites_file.entry(target.url, name=name, every=every, cron=cron, labels=labels,
                                 delay=delay, concurrency=concurrency, autothrottle=autothrottle,
                                 user_agent=user_agent, contact=contact, robots=not no_robots,
                                 capture=not no_capture, media=not no_media,
                                 max_media_mb=max_media_mb, media_kinds=media_kinds,
                                 page_requisites=page_requisites, timeout=timeout)
        try:
            site = sites_file.add(path, entry)
        except (sites_file.SitesError, ScheduleError) as exc:
            if len(targets) == 1:
                fail(str(exc))
            # One line of a 40-blog list already listed (or mistyped) loses none of the others.
            where = f"{target.source}: " if target.source else ""
            click.echo(f"Error: {where}{exc}", err=True)
            refused += 1
            continue
        added.append(site)
        click.echo(f"Added {site.url} ({site.schedule.describe()}) to {os.path.relpath(path)}")
        if moved_from := _moved_here_from(db, site.url):
            click.echo(f"{site.root} is where {moved_from} moved: its crawls continue that "
                       f"archived site, its posts and runs (if the sites file still lists the "
                       f"old address: wixarchive sites remove {moved_from})")
    if len(targets) > 1:
        click.echo(f"Added {len(added)} of {counted(len(targets), 'site')}"
                   + (f"; {refused} not added (named above)" if refused else ""))
    if added:
        _cron_hint(db, sites_path, len(added))
    if refused:
        sys.exit(1)


def _cron_hint(db: Path, sites_path: Path | None, added: int) -> None:
    """The crontab line that crawls the sites file's due sites: the file is only a list."""
    # A new user took "Added ... (every 30d)" for a crawl that would now happen by itself.
    # Cron runs in another folder with a minimal PATH: the line names the command and the
    # files by their full paths.
    command = Path(sys.executable).parent / "wixarchive"
    where = f"--db {shlex.quote(str(db.absolute()))}" + (
        f" --sites {shlex.quote(str(sites_path.absolute()))}" if sites_path is not None else "")
    # Cron reads a % in the command as a newline, quoted or not, unless escaped (crontab(5)).
    line = (f"{shlex.quote(str(command)) if command.is_file() else 'wixarchive'}"
            f" run-due {where} --quiet").replace("%", "\\%")
    click.echo(f"Nothing crawls {'it' if added == 1 else 'them'} by itself: to crawl what is "
               "due every hour, add this line with `crontab -e` (or leave `wixarchive "
               "schedule` running; docs/operations.md):\n"
               f"  17 * * * *  {line}")


def _moved_here_from(db: Path, url: str) -> str | None:
    """The archived site whose address moved to `url`'s (site_match.moved_here), if any."""
    if not db.exists():
        return None
    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            found = moved_site(archive.conn, url)
    except ArchiveError:
        return None
    return found if found != url else None


@command.command("remove")
@click.argument("site")
@db_option
@sites_option
def remove_command(site: str, db: Path, sites_path: Path | None) -> None:
    """Remove a site (by a URL of it or its name). Its archived posts are kept.

    \b
    Example:
        wixarchive sites remove https://www.example.com/ --db blog.db
    """
    path = resolve_sites(sites_path, db)
    try:
        removed = sites_file.remove(path, site)
    except sites_file.SitesError as exc:
        fail(f"{exc}{_forget_instead(site, db, path)}")
    click.echo(f"Removed {removed.url} from {os.path.relpath(path)}")


def _forget_instead(site: str, db: Path, path: Path) -> str:
    """When `site` names no entry of the sites file but an archived site holding nothing (an
    address crawled by mistake, which a user asked `sites remove` to take out): the command
    that removes it from the archive. Else ""."""
    from archive.site_forget import holds_nothing
    from archive.site_match import archived_sites, one_site

    try:
        with Archive.open(db, readonly=True, create=False) as archive:
            root = one_site(archived_sites(archive.conn), site)["site"]
            if _listed(path, root) is not None or not holds_nothing(archive, root):
                return ""
    except (ArchiveError, ValueError):  # no archive, or no one archived site of that name
        return ""
    return (f" (the sites crawled on a schedule); {root} is a site of the archive holding "
            f"no posts: to remove it from the archive, wixarchive sites forget "
            f"{shlex.quote(root)} --db {shlex.quote(str(db))}")


@command.command("merge")
@click.argument("old")
@click.argument("new")
@db_option
@sites_option
@click.option("--json", "as_json", is_flag=True, help="Print what was merged as JSON.")
def merge_command(old: str, new: str, db: Path, sites_path: Path | None, as_json: bool) -> None:
    """Join two archived sites that are one blog which moved to another host: OLD, the
    address it left (its site is kept: its name, runs and history), and NEW, where it lives
    now. Every post takes its URL at NEW (its path kept); two posts at the same path become
    one, their versions in time order (one fetched unchanged at both addresses kept once);
    posts with the same title at other paths stay two. NEW's runs become the site's. Crawls
    of NEW then continue the site. A crawl that takes NEW for a new site whose posts are
    largely OLD's says to run this (the archive never saw OLD redirect to NEW). Refused the
    wrong way round: when nothing of OLD's was archived before NEW's posts were last seen.

    \b
    Example:
        wixarchive sites merge https://old.example/ https://www.new.example/ --db blog.db
    """
    from archive.site_match import NoSuchSite, SeveralSites
    from archive.site_merge import MergeError, merge_sites

    archive = open_archive(db, readonly=False)
    try:
        with archive:
            result = merge_sites(archive, old, new)
    except (MergeError, NoSuchSite, SeveralSites) as exc:
        fail(str(exc))
    except ArchiveError as exc:
        fail_with(exc)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"Merged {result.merged} into {result.site}: its posts are at "
                   f"{result.address} now; {result.joined} archived under both are one post "
                   f"each ({result.versions} versions; {result.unchanged} fetched unchanged "
                   f"at the other address kept once), {result.moved} more came from "
                   f"{result.merged}, {result.readdressed} took their URL there; "
                   f"{result.runs} runs kept. Crawls of {result.address} continue the site.")
    listed = _listed(resolve_sites(sites_path, db), result.site)
    if listed:
        click.echo(f"The sites file still lists {listed}, the address the blog left: "
                   f"wixarchive sites remove {listed}"
                   + ("" if as_json else f" (and list {result.address} if it is not listed)"),
                   err=as_json)


@command.command("forget")
@click.argument("site")
@db_option
@sites_option
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
def forget_command(site: str, db: Path, sites_path: Path | None, as_json: bool) -> None:
    """Remove from the archive a site that holds no posts, and its runs: an address crawled
    by mistake (a typo, a blog that never answered), which otherwise stays in `stats`, `serve`
    and every export's count of sites. A site with posts is refused (its posts are kept: to
    stop crawling it, `sites remove`); so is one the sites file lists (run-due reads its runs:
    `sites remove` it first).

    \b
    Example:
        wixarchive sites forget https://typo.example/ --db blog.db
    """
    from archive.site_forget import ForgetError, forget_site
    from archive.site_match import NoSuchSite, SeveralSites

    archive = open_archive(db, readonly=False)
    try:
        with archive:
            result = forget_site(archive, site, sites_path=resolve_sites(sites_path, db))
    except (ForgetError, NoSuchSite, SeveralSites, sites_file.SitesError) as exc:
        fail(str(exc))
    except ArchiveError as exc:
        fail_with(exc)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"Forgot {result.site}: it held no posts; "
                   f"{result.runs} run{'s' if result.runs != 1 else ''} removed with it.")


def _listed(path: Path, root: str) -> str | None:
    """The URL of the sites file's entry for site `root`, if it lists one."""
    from archive.site_match import site_key

    try:
        sites = sites_file.load(path) if path.exists() else []
    except sites_file.SitesError:
        return None
    return next((site.url for site in sites if site_key(site.root) == site_key(root)), None)


@command.command("list")
@db_option
@sites_option
@click.option("--label", "labels", multiple=True, help="Only sites with this label.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@now_option
def list_command(db: Path, sites_path: Path | None, labels: tuple[str, ...], as_json: bool,
                 now_text: str | None) -> None:
    """List the sites with their schedule, last crawl and next crawl.

    \b
    Example:
        wixarchive sites list --label fr --db blog.db
        wixarchive sites list --json --db blog.db
    """
    path = resolve_sites(sites_path, db)
    if sites_path is not None and not path.exists():
        # A file named (--sites, $WIXARCHIVE_SITES) that is not there is a wrong name, as for
        # run-due, not "no sites"; the default file beside the archive may not exist yet.
        fail(f"no sites file at {path}")
    now = parse_now(now_text) or datetime.now(UTC)
    try:
        sites = [s for s in sites_file.load(path) if not labels or set(labels) & set(s.labels)]
        rows = scheduled_rows(db, sites, now)
    except (sites_file.SitesError, ArchiveError) as exc:
        fail_with(exc)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo(f"No sites in {os.path.relpath(path)}; add one with `wixarchive sites add URL`.")
        return
    for row, site in zip(rows, sites, strict=True):
        last = (f"last {row['last_status']} {show_time(parse_time(row['last_run']))}"
                if row["last_run"] else "never crawled")
        if row["failures_in_a_row"] > 1:
            # As run-due's line and `runs --failing` say it (until 2026-12-07 "failures").
            last += f" ({row['failures_in_a_row']} failed runs in a row)"
        nxt = "due now" if row["due_now"] else f"next {show_time(parse_time(row['next_due']))}"
        extras = [f"[{', '.join(site.labels)}]"] if site.labels else []
        extras += [f"{k}={v}" for k, v in {**site.politeness, **site.media}.items()]
        named = f" ({site.name})" if site.name else ""
        click.echo(f"{site.url}{named}  {row['schedule']}  {last}; {nxt}"
                   + ("  " + " ".join(extras) if extras else ""))
