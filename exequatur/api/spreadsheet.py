"""CSV for spreadsheets, safe to open: a cell that a spreadsheet would read as a formula (it
begins with =, +, -, @, a tab or a carriage return) is prefixed with an apostrophe, as OWASP
advises against CSV injection. Names in the register come from the States' own input; a name
such as `=HYPERLINK(...)` must reach a protocol officer's spreadsheet as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()
