"""`wixarchive serve`: browse, search and export the archive in Datasette, read-only.

Datasette and uvicorn are imported inside the command: the other commands never pay for them.
"""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.common import db_option, fail, open_archive

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def make_datasette(db: Path, **settings: Any) -> Any:
    """A Datasette for the archive: read-only (mode=ro, the write connection too), our plugin,
    metadata and settings."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from archive.web import metadata, plugin
    from archive.web.database import make_read_only

    # The entry point registers the plugin once the project is installed; a checkout run without
    # installing must get the same pages.
    if not pm.is_registered(plugin) and pm.get_plugin("wixarchive") is None:
        pm.register(plugin, name="wixarchive")
    plugin.answer_errors_unprinted()  # before the first request, whatever startup's order
    # sql_time_limit_ms keeps Datasette's default (on); CSV streams without a size cap because
    # exporting a whole archive is what the streamed CSV is for. Facet suggestions scan every
    # column of every post (1.3 s of a 1.8 s posts page at 5,000 posts); the metadata's facets
    # are the useful ones, and any column can still be faceted from its menu.
    settings = {"max_csv_mb": 0, "allow_csv_stream": True, "suggest_facets": False, **settings}
    instance = dict(metadata.INSTANCE)
    datasette = Datasette(files=[str(db)], metadata=instance, settings=settings)
    # The home page links the ranked search, which a first-time user missed in the menu (its
    # URL holds the database's name, known only now; Datasette keeps this dict).
    name = next(n for n in datasette.databases if n != "_internal")
    instance["description_html"] = metadata.instance_description_html(
        f"{datasette.urls.database(name)}/-/search")
    make_read_only(datasette)  # no connection of this Datasette can write the archive
    return datasette


def datasette_settings(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """`--setting NAME VALUE` pairs read by Datasette's own `--setting` type: known names only,
    each value of its default's type."""
    from datasette.cli import Setting

    settings: dict[str, Any] = {}
    for pair in pairs:
        try:
            name, value = Setting().convert(pair, None, None)
        except click.BadParameter as exc:
            fail(f"--setting {exc.message}")
        settings[name] = value
    return settings


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use (choose another with --port)")
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@click.command("serve")
@db_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on; 0.0.0.0 publishes the archive to the network.")
@click.option("--setting", "setting_pairs", type=(str, str), multiple=True,
              metavar="NAME VALUE",
              help="A Datasette setting, as `datasette --setting` (repeatable): e.g. "
                   "default_allow_sql off (no SQL of the visitor's own), base_url /archive/, "
                   "max_returned_rows 5000.")
def command(db: Path, port: int, host: str, setting_pairs: tuple[tuple[str, str], ...]) -> None:
    """Browse the archive in Datasette: ranked search with highlighted snippets, article pages
    with version history, facets, canned queries, and CSV/JSON export of any table or query.

    The archive is opened read-only; archived HTML is sanitized before it is shown. Anyone
    who can reach the server can run their own read-only SQL (SELECT) on it, as Datasette
    allows by default; `--setting default_allow_sql off` turns that off.

    \b
    Example:
        wixarchive serve --db blog.db      # then open http://127.0.0.1:8001/
    """
    from archive.web import sort_every_column_below

    try:
        sort_every_column_below()  # read again as the archive grows: a wrong value stops here
    except ValueError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)  # as for a bad option
    open_archive(db).close()  # a clear one-line error for a missing or invalid archive
    _refuse_a_full_disk(db)
    settings = datasette_settings(setting_pairs)
    import uvicorn

    from archive.captures import captures_dir, unreadable_folder
    from archive.store import reads_as_immutable

    datasette = make_datasette(db, **settings)
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    # On read-only media SQLite reads the archive as an immutable file (archive/web/database.py).
    how = " (as an immutable file: its folder cannot be written)" \
        if reads_as_immutable(db) else ""
    click.echo(f"Serving {db} read-only{how} at http://{shown}:{port}{datasette.urls.instance()} "
               "(Ctrl-C to stop)")
    name = next(n for n in datasette.databases if n != "_internal")
    click.echo(f"Ranked search: http://{shown}:{port}{datasette.urls.database(name)}/-/search")
    if why := unreadable_folder(captures_dir(db)):  # each image would answer 410 Gone
        click.echo(f"Warning: {why}; until then its archived images cannot be shown.",
                   err=True)
    if host not in LOOPBACK:
        click.echo(f"Warning: listening on {host}: anyone who can reach this machine can read "
                   "the archive.", err=True)
    server = uvicorn.Server(uvicorn.Config(datasette.app(), log_level="warning", lifespan="on"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl-C it handled; the shutdown itself was clean
    finally:
        sock.close()
    click.echo("Stopped.")


def _refuse_a_full_disk(db: Path) -> None:
    """Exit with one line when the archive's disk is full and no -shm is there: the other
    commands then read it as an immutable file, which a server must not (a crawl may write it
    once space is freed; archive/web/database.py), and every page answered 500 (`disk I/O
    error`) under a start-up line saying it was served."""
    import sqlite3

    from archive.connection import connect, disk_full

    probe = connect(db, readonly=True)  # as Datasette's connections read it
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError as exc:
        if not disk_full(db.parent):
            raise
        fail(f"the disk holding {db} is full: SQLite cannot create {db.name}-shm beside it "
             f"({exc}), which serving needs; free space on that disk, then serve it again "
             "(search, export and backup read it meanwhile)")
    finally:
        probe.close()
