"""Nouns that agree with their number, for every message that counts things (the CLI's,
crawler.summary's). Nothing here imports click."""

from __future__ import annotations


def counted(number: int, one: str, many: str | None = None) -> str:
    """`number` and the noun that agrees with it: "1 file", "2 files" (`many`: an irregular
    plural, "1 video or document", "2 videos and documents")."""
    return f"{number} {plural(number, one, many)}"


def plural(number: int, one: str, many: str | None = None) -> str:
    """The noun that agrees with `number`, for a number written another way ("1,024")."""
    return one if number == 1 else many or one + "s"


def aside(text: str, note: str) -> str:
    """`text` with `note` after it in brackets, or after a semicolon when `text` ends in a
    bracket of its own: "(4 tries) (0 pages, 13.4 s)" read as two asides in a row."""
    return f"{text}; {note}" if text.endswith(")") else f"{text} ({note})"
