"""A report table as a CSV file: the page's columns and numbers, suppressed cells
blank with a note, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from typing import Final

from levelofcare.reports.tables import SUPPRESSION_NOTE, Table

# A cell starting with one of these is a formula to Excel, LibreOffice and
# Sheets ("CSV injection"): it gets a leading apostrophe.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """`value`, with a leading `'` if a spreadsheet would read it as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def table_csv(table: Table) -> str:
    """The header row, one row per table row, and the suppression note as the
    last row when a cell was suppressed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_safe(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_safe(cell.csv) for cell in row])
    if table.has_suppressed:
        writer.writerow([csv_safe(f"Note: {SUPPRESSION_NOTE}")])
    return buffer.getvalue()
