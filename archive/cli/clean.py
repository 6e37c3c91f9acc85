"""`wixarchive clean`: strip Wix chrome from a plain-text dump of a page (a file or stdin)."""

from __future__ import annotations

import json

import click

from archive.cli.common import fail, read_input
from crawler.clean.text import MAX_TEXT_CHARS, clean_text
from crawler.extract.record import CleanedText

# Tried in order when a dump is not UTF-8; latin-1 decodes any byte, so it always ends the list.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16, else a legacy single-byte encoding,
    said on stderr."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            fail(f"{name} has a UTF-16 byte-order mark but is not valid UTF-16")
    if b"\x00" in data:
        fail(f"{name} looks binary (it contains NUL bytes), not a text dump")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    for encoding in FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        click.echo(f"warning: {name} is not valid UTF-8; decoded as {encoding}", err=True)
        return text
    fail(f"{name} is not valid text in {', '.join(('utf-8', *FALLBACK_ENCODINGS))}")


# clean_text cleans at most MAX_TEXT_CHARS (and says so); 4 bytes a character at most, in UTF-8
# as in UTF-32, plus one to tell a longer dump apart.
_MAX_DUMP_BYTES = MAX_TEXT_CHARS * 4 + 1


def _head(data: bytes) -> bytes:
    """A dump read up to _MAX_DUMP_BYTES, cut to whole lines and UTF-16 code units: a 50 MB
    dump is never read or decoded whole."""
    if len(data) < _MAX_DUMP_BYTES:
        return data
    cut = data.rfind(b"\n", 0, _MAX_DUMP_BYTES - 1) + 1 or _MAX_DUMP_BYTES - 1
    return data[: cut + cut % 2]  # UTF-16's newline is two bytes: keep them together


def render(result: CleanedText) -> str:
    """The clean text: title, one metadata line, a blank line, the paragraphs."""
    meta = [f"{label}: {value}" for label, value in (
        ("kind", result.page_kind), ("author", result.author), ("date", result.date),
        ("updated", result.updated),
        ("reading time", f"{result.reading_minutes} min" if result.reading_minutes else None),
    ) if value]
    head = [result.title or "(untitled)", " · ".join(meta)]
    return "\n".join(head) + "\n\n" + result.body_text + "\n"


@click.argument("file", metavar="FILE", type=str)
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON object (metadata, body paragraphs, body_text, removed chrome).")
def clean(file: str, as_json: bool) -> None:
    """Strip Wix chrome from the plain-text dump FILE ("-" reads stdin).

    Prints the title, a metadata line and the body paragraphs, or with --json an object with
    title, author, date, updated, reading_minutes, page_kind, body, body_text and chrome.
    """
    name = "stdin" if file == "-" else file
    result = clean_text(decode(_head(read_input(file, _MAX_DUMP_BYTES)), name))
    for warning in result.warnings:
        click.echo(f"warning: {name}: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render(result), nl=False)


command = click.command("clean")(clean)
