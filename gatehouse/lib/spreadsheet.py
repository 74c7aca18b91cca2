"""Exports to CSV and xlsx that a spreadsheet cannot turn into formulas (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def cell_safe(value: object) -> str:
    """Text a spreadsheet shows as text: a leading quote defuses `=HYPERLINK(...)` and friends."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([cell_safe(h) for h in header])
    for row in rows:
        writer.writerow([cell_safe(v) for v in row])
    # The BOM makes Excel read the file as UTF-8, so Chinese names survive a double-click.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([cell_safe(h) for h in header])
    for row in rows:
        # Every cell written as a string, so openpyxl never stores a formula.
        sheet.append([cell_safe(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
