"""`wixarchive search`: ranked full-text search with filters, as text, JSON, JSON lines or CSV.

Cold start matters here, so this path imports click, sqlite3 and the archive modules only.
"""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import click

from archive.cli.common import (
    bom_option,
    db_option,
    escape_formulas_option,
    fail,
    format_options,
    open_archive,
    use_colour,
    write_records,
)
from archive.iri import display_url
from archive.search import HIT_FIELDS, Hit, NoSuchSite, SearchError, SearchQuery, count, search
from archive.search.languages import language_problem
from archive.search.query import (
    DELETED_CHOICES,
    FILTERS,
    filter_hints,
    nothing_asked,
    operator_hints,
)
from archive.site_match import archived_sites, moved_site, site_spelling_notice, sites_named


def _print_text(hits: list[Hit], offset: int, colour: bool) -> None:
    for number, hit in enumerate(hits, start=offset + 1):
        title = hit.title or "(untitled)"
        if colour:
            title = click.style(title, bold=True)
            snippet = hit.marked_snippet("\x1b[1;33m", "\x1b[0m")
        else:
            snippet = hit.marked_snippet("[", "]")
        meta = [display_url(hit.site), hit.author or "unknown author",
                (hit.published or "undated")[:10]]
        if hit.deleted_at:
            meta.append(f"deleted by {hit.deleted_at[:10]}")  # when found gone
        url = display_url(hit.url)  # readable: a non-Latin slug decoded
        url = click.style(url, fg="blue") if colour else url
        lines = [f"{number}. {title}", f"   {' · '.join(meta)}", f"   {url}",
                 f"   {' '.join(snippet.split())}"]
        if hit.matched_in and not hit.highlights():
            # The snippet (the body's) shows none of the words: say where they were found.
            lines.append(f"   matched in: {', '.join(hit.matched_in)}")
        lines.append("")
        # color=colour: click strips ANSI codes when stdout is not a terminal unless told.
        click.echo("\n".join(lines), color=colour)


class QueryCommand(click.Command):
    """A command whose arguments starting with a single - are query words (`garden -compost`)
    unless they are exactly one of its options. Click would read -compost as the short
    options -c -o -m ..., an error, and -shrubs as -s -h -r ...: the help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, words_last(args, self.get_params(ctx)))


def words_last(args: list[str], params: list[click.Parameter]) -> list[str]:
    """`args` with the options (and their values) first, then `--` and the other arguments in
    their order: a word like -compost among them is then an argument to click. A long option
    it does not know (--jsno) stays an option, for click to refuse."""
    takes_value = {name: not (param.is_flag or param.count) for param in params
                   if isinstance(param, click.Option)
                   for name in (*param.opts, *param.secondary_opts)}
    options: list[str] = []
    words: list[str] = []
    remaining = iter(args)
    for arg in remaining:
        if arg == "--":
            words.extend(remaining)
            break
        name = arg.split("=", 1)[0]
        if arg.startswith("--") or name in takes_value:
            options.append(arg)
            if takes_value.get(name) and "=" not in arg:
                options.extend(islice(remaining, 1))  # its value, whatever it looks like
        else:
            words.append(arg)
    return [*options, "--", *words]


@click.command("search", cls=QueryCommand)
@click.argument("query", nargs=-1)
@db_option
@click.option("--site", multiple=True,
              help="Only this site (URL, host or part of it, or name); repeated: any of them.")
@click.option("--author", multiple=True,
              help="Only posts whose author contains this text; repeated: any of them.")
@click.option("--tag", multiple=True,
              help="Only posts with this tag (any case); repeated: with every one of them.")
@click.option("--category", help="Only posts in this category (any case).")
@click.option("--since", help="Published on or after this date (2024, 2024-05, 2024-05-01).")
@click.option("--until", help="Published on or before this date (inclusive).")
@click.option("--lang", help="Only posts in this language: its code (en also matches en-GB) "
              "or a common language's English name (Turkish).")
@click.option("--deleted", type=click.Choice(DELETED_CHOICES), default="include",
              show_default=True,
              help="Posts gone from their site: include them, exclude them, or only them.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=10, show_default=True,
              help="Results to show (-n as in `runs`).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Results to skip.")
@click.option("--count", "count_only", is_flag=True,
              help="Print only how many posts match (all of them: --limit and --offset do not "
                   "apply); with --json, {\"count\": N}.")
@format_options
@bom_option
@escape_formulas_option
@click.option("--color/--no-color", "colour", default=None,
              help="Colour the output (default: when writing to a terminal).")
def command(query: tuple[str, ...], db: Path, site: tuple[str, ...], author: tuple[str, ...],
            tag: tuple[str, ...], category: str | None, since: str | None, until: str | None,
            lang: str | None, deleted: str, limit: int, offset: int, count_only: bool, fmt: str,
            bom: bool, raw_formulas: bool, colour: bool | None) -> None:
    """Search the archive, best matches first.

    Plain words must all match (`don't`, `C++` are fine), and a word starting with - must
    not: garden -compost finds garden but not compost, quoted or not (e-mail and covid-19
    stay words; a word spelled as an option, like -h or -n, needs quotes or -- before it). FTS5
    syntax works too: "a phrase", prefix*, AND/OR/NOT, NEAR(a b), and column filters title:
    body: author: tags: categories:. With no words but a filter, lists the posts passing it,
    newest first (--author Jürgen: all of Jürgen's posts).
    Chinese, Japanese and Korean words are found inside unspaced text (東京 in 東京に行きました),
    also in FTS5 syntax whose words are all such words.

    \b
    Examples:
        wixarchive search sophrologie stress --since 2024
        wixarchive search garden -compost --deleted exclude
        wixarchive search garden -n 3
        wixarchive search '"guided meditation" OR title:yoga*' --json
        wixarchive search '東京 OR 京都' --lang ja
        wixarchive search --tag recipes
        wixarchive search bread --tag vegan --tag quick --site a.com --site b.com
        wixarchive search sourdough --since 2024 --count
    """
    if bom and fmt != "csv":
        fail("--bom is for CSV output: add --csv")
    if raw_formulas and fmt != "csv":
        fail("--no-escape-formulas is for CSV output: add --csv")
    if count_only and fmt not in ("text", "json"):
        fail(f"--count prints a number, or {{\"count\": N}} with --json: drop --{fmt}")
    request = SearchQuery(" ".join(query), site=site or None, author=author or None,
                          tag=tag or None, category=category,
                          since=since, until=until, lang=lang, deleted=deleted, limit=limit,
                          offset=offset)
    if not request.text.strip() and not request.filtered():
        fail(nothing_asked(f"--{name}" for name in FILTERS))
    if lang is not None and (problem := language_problem(lang)):  # as export refuses it
        fail(f"--lang: {problem}")
    archive = open_archive(db)
    try:
        # A --site naming a twin spelling of an archived site gets a notice naming the
        # archived one, on stderr; one naming none, the archive's sites (NoSuchSite).
        named = [wanted for wanted in site if wanted.strip()]
        sites = archived_sites(archive.conn) if named else []
        for wanted in named:
            chosen = sites_named(sites, moved_site(archive.conn, wanted))
            if notice := site_spelling_notice(wanted, chosen):
                click.echo(notice, err=True)
        if count_only:
            matching = count(archive, request)
        else:
            hits = search(archive, request)
    except SearchError as exc:  # a setting at fault is named as the option the user typed
        fail(f"--{exc.field}: {exc.problem}" if exc.field else str(exc))
    except NoSuchSite as exc:  # the archive's sites are listed, rather than "No matches"
        fail(str(exc))
    finally:
        archive.close()
    for hint in operator_hints(request.text):  # on stderr, whatever matched
        click.echo(f"Hint: {hint}.", err=True)
    if count_only:
        click.echo(json.dumps({"count": matching}) if fmt == "json" else str(matching))
        if not matching:
            for hint in filter_hints(query):  # on stderr, as below
                click.echo(f"Hint: {hint}.", err=True)
        return
    if not hits and fmt == "text":
        click.echo("No matches.", err=True)
    if not hits:  # on stderr: JSON and CSV on stdout stay valid
        for hint in filter_hints(query):  # the words as typed: 'tag:crème brûlée' is one
            click.echo(f"Hint: {hint}.", err=True)
    if fmt == "text":
        _print_text(hits, offset, use_colour(colour))
    else:
        write_records([hit.to_dict() for hit in hits], fmt, HIT_FIELDS, bom,
                      escape_formulas=not raw_formulas)
