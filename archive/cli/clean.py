"""`wixarchive clean`: strip Wix chrome from a text or Markdown dump of a page (a file or stdin)."""

from __future__ import annotations

import json

import click

from archive.cli.common import fail, read_input
from crawler.clean.text import MAX_TEXT_CHARS, clean_text, is_html_page
from crawler.extract.record import CleanedText

# Tried in order when a dump is not UTF-8; latin-1 decodes any byte, so it always ends the list.
FALLBACK_ENCODINGS = ("cp1252", "latin-1")
# Longest first: the UTF-32 LE mark starts with the UTF-16 LE one.
BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _unmarked_wide(data: bytes) -> str | None:
    """UTF-16/32 without a byte-order mark, told by where the NUL bytes of mostly-Latin text
    fall: three bytes in four (UTF-32) or every other byte (UTF-16), leading or trailing."""
    head = data[:4096]
    for width, codec in ((4, "utf-32"), (2, "utf-16")):
        if len(head) < 2 * width or len(data) % width:
            continue
        zeros = [head[k::width].count(0) / len(head[k::width]) for k in range(width)]
        high, low = (zeros[1:], zeros[0]), (zeros[:-1], zeros[-1])
        for (rest, lead), order in ((high, "le"), (low, "be")):
            if min(rest) > 0.6 and lead < 0.2:
                return f"{codec}-{order}"
    return None


def _binary(text: str) -> bool:
    """Control characters no text dump holds (NUL, and most of C0 beyond tab/newlines/ff)."""
    sample = text[:65536]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f\v\x1b")
    return "\x00" in sample or bad > max(8, len(sample) // 100)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 (with or without BOM), else a legacy single-byte
    encoding, said on stderr. Binary data is refused with a one-line error."""
    if not data.strip():
        fail(f"{name} is empty: there is no text to clean")
    codec = next((c for bom, c in BOMS if data.startswith(bom)), None)
    if codec is not None:
        data = data[len(next(b for b, c in BOMS if c == codec)):]
    else:
        codec = _unmarked_wide(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            fail(f"{name} looks like {codec.upper()} but does not decode as it")
        if _binary(text):
            fail(f"{name} looks binary, not a text dump")
        return text
    if b"\x00" in data:
        fail(f"{name} looks binary (it contains NUL bytes), not a text dump")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None:
        for encoding in FALLBACK_ENCODINGS:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            click.echo(f"warning: {name} is not valid UTF-8; decoded as {encoding}", err=True)
            break
    if text is None or _binary(text):
        fail(f"{name} looks binary, not a text dump")
    return text


def refuse_html(text: str, name: str) -> None:
    """An HTML page given to clean: the lines of its source are no dump to clean, and the page
    itself extracts exactly with `wixarchive extract`."""
    if is_html_page(text):
        fail(f"{name} is an HTML page, not a text dump: use `wixarchive extract {name}` "
             "(clean reads what a text tool or a browser's copy made of a page)")


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
@click.option("--format", "dialect", type=click.Choice(["text", "markdown"]), default=None,
              help="How FILE is written: plain text or Markdown (default: detected).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON object (metadata, body paragraphs, body_text, removed chrome).")
def clean(file: str, dialect: str | None, as_json: bool) -> None:
    """Strip Wix chrome from the text or Markdown dump FILE ("-" reads stdin).

    Prints the title, a metadata line and the body paragraphs, or with --json an object with
    title, author, date, published (ISO), updated, reading_minutes, page_kind, body, body_text,
    body_markdown (Markdown input), dialect, wix, chrome and warnings (docs/fields.md). An HTML
    page is refused: `wixarchive extract` reads it.

    \b
    Example:
        wixarchive clean dump.txt
        xclip -o | wixarchive clean - --json
    """
    name = "stdin" if file == "-" else file
    text = decode(_head(read_input(file, _MAX_DUMP_BYTES)), name)
    refuse_html(text, name)
    result = clean_text(text, dialect)
    for warning in result.warnings:
        click.echo(f"warning: {name}: {warning}", err=True)
    if not result.wix:
        click.echo(f"warning: {name} shows no Wix page chrome; every line was kept", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render(result), nl=False)


command = click.command("clean")(clean)
