"""What a CSV cell holds, for every CSV wixarchive writes (`export --format csv`, `search --csv`,
`runs`/`stats --csv`, the web search's `/-/search.csv`).

A crawled post's title, tag or URL is whatever its site wrote. Excel, LibreOffice and Google
Sheets run a cell starting with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(…)`, DDE's
`+cmd|' /C calc'!A0`), and tab or CR can hide such a start; so by default such a text cell gets
a `'` in front (OWASP's "CSV injection" rule), which spreadsheets show as text and do not run.
`export` and `search` take `--no-escape-formulas` to write values as they are, for scripts.
Imports only the stdlib: the search command's cold start pays for what it imports.
"""

from __future__ import annotations

import json
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV file as UTF-8 only when it starts with this byte-order mark (`--bom`).
UTF8_BOM = "\ufeff"


def csv_cell(value: Any, *, escape_formulas: bool = True) -> Any:
    """`value` as a CSV cell: a list or dict as JSON text; a text starting as a formula with a
    `'` in front unless `escape_formulas` is False. Numbers and None stay as they are."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)  # starts with [ or {: never a formula
    if escape_formulas and isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
