import csv
import io

import pytest

from psynote.lib import spreadsheet


@pytest.mark.parametrize(
    "dangerous",
    ['=HYPERLINK("http://example.invalid","x")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
     "@SUM(A1)", "\tevil", "\revil"],
)
def test_a_cell_a_spreadsheet_would_run_is_neutralised(dangerous):
    buffer = io.StringIO()
    spreadsheet.writer(buffer).writerow(["ok", dangerous])
    cells = next(csv.reader(io.StringIO(buffer.getvalue())))
    assert cells[0] == "ok"
    assert cells[1] == "'" + dangerous


def test_ordinary_cells_are_unchanged():
    assert spreadsheet.safe_cell("Dr. Example, 12 Main St") == "Dr. Example, 12 Main St"
    assert spreadsheet.safe_cell(None) == ""
    assert spreadsheet.safe_cell(42) == "42"
