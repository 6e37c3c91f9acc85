"""The `wixarchive` command line.

Each command lives in its own module and is imported only when invoked, so `wixarchive search`
pays for sqlite3 and click alone: nothing on that path imports Scrapy, Twisted or Datasette.
"""

from __future__ import annotations

import codecs
import difflib
import importlib
import io
import os
import signal
import sqlite3
import sys
from typing import Any, NoReturn, TextIO

import click

from archive import __version__
from archive.cli.output import OutputError, drop_failed_output, output_dropped, watch_stdout

# command name -> module under archive.cli defining `command`; listed in the order `--help` shows.
COMMANDS: dict[str, tuple[str, str]] = {
    "crawl": ("crawl", "Crawl one or more Wix blogs into the archive."),
    "search": ("search", "Full-text search of the archive, best matches first."),
    "show": ("show", "Print one archived article."),
    "history": ("history", "List a post's archived versions and diff them."),
    "stats": ("stats", "Posts, versions and crawls per site."),
    "check": ("check", "Check the archive's integrity and search index."),
    "backup": ("backup", "Back up the archive and its captures, safely while crawls run."),
    "extract": ("extract", "Extract the article from one Wix page (file or URL)."),
    "reextract": ("reextract", "Re-extract archived posts from their raw captures (no network)."),
    "import": ("import_files", "Import Wix blog posts from web archives (WARC, WACZ)."),
    "recover": ("recover", "Recover a gone blog from the Wayback Machine or a pywb archive."),
    "clean": ("clean", "Strip Wix chrome from a plain-text dump of a page."),
    "sites": ("sites", "Add, list or remove scheduled sites; merge or forget one."),
    "worker": ("worker", "Crawl for a distributed crawl's writer, through Redis."),
    "run-due": ("run_due", "Crawl the scheduled sites that are due, then exit (for cron)."),
    "schedule": ("schedule", "Run scheduled crawls until stopped (for systemd, containers)."),
    "runs": ("runs", "The history of crawl runs; sites that keep failing stand out."),
    "serve": ("serve", "Browse and search the archive in Datasette (read-only)."),
    "export": ("export", "Export as one HTML page, JSON lines, CSV, Markdown, WXR or WACZ."),
}


# The error handler of a stream that cannot encode every character (_json_escape).
ERRORS = "wixarchive-json-escape"


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    """Write what the stream's encoding cannot hold as JSON's `\\uXXXX` escapes (a character
    beyond U+FFFF as its UTF-16 pair): a JSON output stays valid JSON meaning the same text,
    where it is the only place such characters can be, and other text keeps every character,
    readably escaped."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escaped = error.object[error.start:error.end].encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{escaped[i:i + 2].hex()}" for i in range(0, len(escaped), 2)), error.end


def _encode_whatever_the_terminal(streams: tuple[TextIO, ...]) -> None:
    """A stream whose encoding is not UTF-8 (PYTHONIOENCODING=latin-1, a Latin-1 terminal) never
    fails a command on a character it cannot encode (a title's `…`, the `✓` of a crawl's line):
    such characters are written as `\\uXXXX` escapes."""
    for stream in streams:
        if not isinstance(stream, io.TextIOWrapper):
            continue  # replaced by a caller (a test's capture): not a terminal's
        if codecs.lookup(stream.encoding).name != "utf-8":
            stream.reconfigure(errors=ERRORS)


codecs.register_error(ERRORS, _json_escape)



def _end_for_closed_pipe() -> NoReturn:
    """The reader of the output left (`| head -1`): end quietly, as `cat` and `grep` do, by
    SIGPIPE (a shell says 141), not by click's status 1, which a script cannot tell from an
    error. The command's own clean-up (with blocks, finally) has run on the way here."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush into the closed pipe
    os.close(devnull)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    sys.exit(1)  # no SIGPIPE (Windows)


class SuggestingGroup(click.Group):
    """A click group that names the command meant for a mistyped one (`crwal`, `sites mrege`:
    "Did you mean 'merge'?"), as click already does for a mistyped option. Click says it
    itself from 8.4 on, for a group whose commands it holds, not for LazyGroup."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if getattr(error, "possibilities", None):  # click >= 8.4 named it already
                raise
            close = difflib.get_close_matches(args[0], self.list_commands(ctx), n=1) if args else []
            if close:
                error.message += f" Did you mean '{close[0]}'?"
            raise


class LazyGroup(SuggestingGroup):
    """A click group that imports a command's module only when that command runs."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        watch_stdout()
        for name in ("stdout", "stderr"):
            if getattr(sys, name) is None:
                # Started with it closed (`>&-`): what it would say goes nowhere, as into a
                # reader that is gone, rather than a traceback of writes to None.
                setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        _encode_whatever_the_terminal((sys.stdout, sys.stderr))
        try:
            return super().main(*args, **kwargs)
        except OutputError as error:  # click's main lets an OSError but EPIPE through
            drop_failed_output(error)
            sys.exit(1)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        try:
            module = importlib.import_module(f"archive.cli.{entry[0]}")
        except ModuleNotFoundError as exc:
            if exc.name == f"archive.cli.{entry[0]}":
                return None
            raise
        return module.command

    def invoke(self, ctx: click.Context) -> object:
        from crawler.discover.urls import BadURL

        try:
            try:
                result = super().invoke(ctx)
            finally:
                # The last lines still buffered, written while a closed pipe can be told
                # apart, not in Python's flush at exit ("Exception ignored ...", status 120).
                sys.stdout.flush()
        except SystemExit as end:
            if output_dropped() and not end.code:  # its work done, its output not written
                sys.exit(1)
            raise
        except BrokenPipeError:
            _end_for_closed_pipe()
        except BadURL as exc:  # a site or page URL given that does not parse: one line
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:
            # A lock file that could not be written (a full disk, a folder this user may not
            # write): one line. Its module is loaded by whatever took the lock, not here, so
            # the commands that take none (search) do not import it.
            locks = sys.modules.get("archive.schedule.locks")
            if locks is None or not isinstance(exc, locks.LockFileError):
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except sqlite3.DatabaseError as exc:
            # Pages of the archive that cannot be read (a restored file beside another file's
            # -wal, a failing disk) or a lock held too long, met past the opening checks: one
            # line, exit 1 (75 when only busy), as when opening finds them.
            from archive.cli.common import fail_with
            from archive.store import archive_error

            fail_with(archive_error(exc))
        except KeyboardInterrupt as interrupt:
            # Ctrl-C before a command's own handling of it (the first moments of a crawl): the
            # status a shell gives a stopped command, 130, not click's `Aborted!` and 1.
            from archive.cli.interrupts import exit_status

            click.echo("Interrupted.", err=True)
            sys.exit(exit_status(interrupt))
        if output_dropped():
            sys.exit(1)
        return result

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help comes from COMMANDS so `--help` does not import every command module.
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """--version: the release, and what tells apart builds that share it: the archive schema
    it writes (an older wixarchive refuses an archive of a newer schema) and the Redis
    protocol its distributed crawls speak (workers and coordinator must match)."""
    if not value or ctx.resilient_parsing:
        return
    from archive.schema import SCHEMA_VERSION
    from crawler.distributed.protocol import PROTOCOL  # no Scrapy: key names, scripts

    click.echo(f"wixarchive, version {__version__} (archive schema v{SCHEMA_VERSION}, "
               f"Redis protocol {PROTOCOL})")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=_show_version, help="Show the version, the archive schema it writes and "
                                           "its Redis protocol, and exit.")
def main() -> None:
    """Archive Wix blogs: crawl them politely, keep clean articles and every version of
    them in a SQLite file, and search or browse that archive.

    The archive is the file given by --db, else $WIXARCHIVE_DB, else ./archive.db.

    \b
    Example:
        wixarchive crawl https://example.com/blog --db blog.db
        wixarchive search "sophrologie stress" --db blog.db
    """
    # Every command but extract/clean opens an archive, each through its own error handling:
    # a wrong $WIXARCHIVE_BUSY_TIMEOUT_MS (silently 30 s before) is refused here, exit 2 as for
    # a bad option, with ArchiveSettingError's message (a library caller's exception). Read by
    # archive.environment (standard library only): archive.connection brings the store, which
    # `extract` and `clean` do without.
    from archive.environment import busy_timeout_ms

    _, problem = busy_timeout_ms()
    if problem:
        click.echo(f"Error: {problem}", err=True)
        sys.exit(2)
