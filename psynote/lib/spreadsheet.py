"""CSV that is safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets treat a cell that begins with `=`, `+`, `-`, `@`, a tab
or a carriage return as a formula (OWASP "CSV Injection"), so a recipient's name such as
`=HYPERLINK(...)` would run when the file is opened. Every CSV the product writes goes
through `writer()`, which prefixes such cells with an apostrophe: the text still reads the
same, and no spreadsheet evaluates it.
"""

import csv
from collections.abc import Iterable
from typing import Any, Protocol

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer whose every cell passes through safe_cell."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])


def writer(out: _Writable) -> SafeWriter:
    return SafeWriter(out)
