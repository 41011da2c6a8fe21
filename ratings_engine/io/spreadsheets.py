"""Writing spreadsheets safely: .xlsx workbooks and CSV files, formula-like text escaped.

Text that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) is escaped. In CSV it gets a leading apostrophe (`'=1+2`); in .xlsx it is
stored as a text cell with Excel's "quote prefix" flag, so it shows exactly as written, is
never calculated, and stays text if the cell is edited. Numbers are written as numbers. Files
are written atomically (`io.files`).

openpyxl is imported inside the functions, to keep the command line's start-up light.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from .files import atomic_output, write_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def escape_csv_cell(value: Any) -> Any:
    """A value safe to write to CSV: formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


@dataclass
class Sheet:
    """One worksheet to write: a title, a header row and data rows (text, numbers or None)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()
    notes: Sequence[str] = field(default=())  # lines above the header (e.g. what the sheet is)


def _clean_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", text)


def _set(cell, value: Any) -> None:
    if value is None or isinstance(value, (bool, int, float)):
        cell.value = value
        return
    text = _clean_text(str(value))
    cell.value = text
    if looks_like_formula(text):
        cell.data_type = "s"  # text, never a formula
        cell.quotePrefix = True  # and it stays text if someone edits the cell


def write_xlsx(path: str | Path, sheets: Sequence[Sheet], *, created: dt.datetime | None = None) -> None:
    """Write sheets to an .xlsx workbook (atomically), escaping formula-like text (see the module docstring)."""
    with atomic_output(path, binary=True) as handle:
        handle.write(xlsx_bytes(sheets, created=created))


def xlsx_bytes(sheets: Sequence[Sheet], *, created: dt.datetime | None = None) -> bytes:
    """The bytes of an .xlsx workbook of these sheets, formula-like text escaped."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for spec in sheets:
        ws = book.create_sheet(_clean_text(spec.title)[:31])
        r = 1
        for note in spec.notes:
            _set(ws.cell(r, 1), note)
            ws.cell(r, 1).font = Font(italic=True)
            r += 1
        if spec.notes:
            r += 1
        header_row = r
        for c, name in enumerate(spec.header, start=1):
            _set(ws.cell(r, c), name)
            ws.cell(r, c).font = bold
        for values in spec.rows:
            r += 1
            for c, value in enumerate(values, start=1):
                _set(ws.cell(r, c), value)
        ws.freeze_panes = ws.cell(header_row + 1, 1)
        for c, name in enumerate(spec.header, start=1):
            width = spec.widths[c - 1] if c - 1 < len(spec.widths) else max(
                [len(str(name))] + [len(str(v[c - 1])) for v in spec.rows if c - 1 < len(v) and v[c - 1] is not None])
            ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 6), 80)
    if created is not None:
        book.properties.created = created
        book.properties.modified = created
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_csv(path: str | Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a CSV (UTF-8 with a byte-order mark, so Excel reads it as UTF-8), escaping formula-like text."""
    write_text(path, csv_text(header, rows), encoding="utf-8-sig", newline="")


def csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV text (CRLF line ends, as spreadsheets write), formula-like text escaped."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_csv_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else escape_csv_cell(v) for v in row])
    return out.getvalue()
