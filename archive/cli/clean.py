"""`wixarchive clean`: strip Wix chrome from a text or Markdown dump of a page (a file or stdin)."""

from __future__ import annotations

import json

import click

from archive.cli.common import fail, read_input
from crawler.clean.text import clean_text
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
    body_markdown (Markdown input), dialect, wix and chrome.
    """
    name = "stdin" if file == "-" else file
    result = clean_text(decode(read_input(file), name), dialect)
    if not result.wix:
        click.echo(f"warning: {name} shows no Wix page chrome; every line was kept", err=True)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render(result), nl=False)


command = click.command("clean")(clean)
