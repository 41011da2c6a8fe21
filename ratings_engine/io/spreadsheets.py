"""Writing spreadsheets safely: .xlsx workbooks and CSV files, formula-like text escaped.

Text that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a
carriage return) is escaped. In CSV it gets a leading apostrophe (`'=1+2`); in .xlsx it is
stored as a text cell with Excel's "quote prefix" flag, so it shows exactly as written, is
never calculated, and stays text if the cell is edited. Numbers are written as numbers. Files
are written atomically (`io.files`).

Every worksheet has its header in row 1 (readers and `pandas.read_excel` need no options), is
an Excel table with filter buttons (unless `table=False`), has the header frozen, and takes
from its `Sheet` spec: column widths, wrapped text, number formats (a `percent` column holds
fractions shown as `0.0%`), fills by value (conditional formatting, e.g. a colour per rating),
drop-down lists (data validation) and comments on header cells. What goes in the cells is the
layout's business (`render.xlsx_export`, `render.case_workbook`); how it is written is here.

openpyxl (the [excel] extra) is imported inside the functions, to keep the command line's
start-up light; without it, writing a workbook says which extra to install.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..model.extras import require
from .files import atomic_output, write_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Number formats by column format name (others: General).
NUMBER_FORMATS = {"percent": "0.0%", "integer": "0", "text": "@"}
#: Column formats whose cells wrap (long text: reasons, explanations).
WRAPPED = ("wrap",)
MAX_WIDTH = 80


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def escape_csv_cell(value: Any) -> Any:
    """A value safe to write to CSV: formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


@dataclass
class Sheet:
    """One worksheet to write: a title, a header row (row 1) and data rows (text, numbers or None).

    `widths`: column widths (default: fitted to the content, at most 80); `notes`: what the
    sheet is, as a comment on its first header cell; `formats`: header -> `wrap`, `percent`,
    `integer` or `text`; `fills`: header -> {cell value: '#fill' or ('#fill', '#text colour')}
    (conditional formatting; text black unless given); `choices`: header -> the values of
    a drop-down list (data validation); `comments`: header -> a comment on that header cell;
    `blank_rows`: rows below the data that get the drop-downs and formats too (a form to fill
    in); `table`: make the sheet an Excel table with filter buttons.
    """

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[int] = ()
    notes: Sequence[str] = field(default=())
    formats: Mapping[str, str] = field(default_factory=dict)
    fills: Mapping[str, Mapping[str, str | tuple[str, str]]] = field(default_factory=dict)
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)
    comments: Mapping[str, str] = field(default_factory=dict)
    blank_rows: int = 0
    table: bool = True


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


def table_name(title: str, taken: set[str]) -> str:
    """An Excel table name from a sheet title: letters, digits and underscores, unique in the book."""
    base = re.sub(r"\W+", "_", title, flags=re.ASCII).strip("_") or "Table"
    if not base[0].isalpha():
        base = "T_" + base
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name.lower())
    return name


def _list_formula(values: Sequence[str]) -> str | None:
    """An inline list for data validation ('"yes,no,n/a"'); None when it cannot be inline."""
    if any("," in v or '"' in v for v in values):
        return None
    text = ",".join(values)
    return f'"{text}"' if len(text) <= 250 else None


def _write_sheet(book, spec: Sheet, tables: set[str]) -> None:
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableStyleInfo

    ws = book.create_sheet(_clean_text(spec.title)[:31])
    header = [_clean_text(str(h)) for h in spec.header]
    for c, name in enumerate(header, start=1):
        _set(ws.cell(1, c), name)
        ws.cell(1, c).font = Font(bold=True)
        ws.cell(1, c).alignment = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(spec.rows, start=2):
        for c, value in enumerate(values, start=1):
            _set(ws.cell(r, c), value)
    last_row = 1 + max(len(spec.rows) + spec.blank_rows, 1)  # a table needs a row under its header
    top = Alignment(vertical="top")
    wrap = Alignment(wrap_text=True, vertical="top")
    for c, name in enumerate(header, start=1):
        letter = get_column_letter(c)
        fmt = spec.formats.get(name)
        number_format = NUMBER_FORMATS.get(fmt or "")
        for r in range(2, last_row + 1):
            cell = ws.cell(r, c)
            cell.alignment = wrap if fmt in WRAPPED else top
            if number_format:
                cell.number_format = number_format
        if c - 1 < len(spec.widths):
            width = spec.widths[c - 1]
        else:
            width = max([len(name)] + [len(str(v[c - 1])) for v in spec.rows if c - 1 < len(v) and v[c - 1] is not None])
        ws.column_dimensions[letter].width = min(max(width + 2, 6), MAX_WIDTH)
        area = f"{letter}2:{letter}{last_row}"
        for value, colours in (spec.fills.get(name) or {}).items():
            fill, ink = (colours, "#000000") if isinstance(colours, str) else colours
            fill = fill.lstrip("#").upper()
            ws.conditional_formatting.add(area, CellIsRule(
                operator="equal", formula=['"' + str(value).replace('"', '""') + '"'],
                fill=PatternFill(fill_type="solid", start_color=fill, end_color=fill), font=Font(color=ink.lstrip("#"))))
        if name in spec.choices:
            values = [str(v) for v in spec.choices[name]]
            formula = _list_formula(values)
            if formula is None:  # too long or awkward for an inline list: a hidden sheet holds it
                lists = book["Lists"] if "Lists" in book.sheetnames else book.create_sheet("Lists")
                lists.sheet_state = "hidden"
                col = lists.max_column + 1 if lists.max_row > 1 or lists.cell(1, 1).value is not None else 1
                for r, v in enumerate(values, start=1):
                    _set(lists.cell(r, col), v)
                ref = get_column_letter(col)
                formula = f"{quote_sheetname('Lists')}!${ref}$1:${ref}${len(values)}"
            rule = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                                  showErrorMessage=True, errorStyle="stop", errorTitle=name[:32],
                                  error=f"Choose one of: {', '.join(values)}"[:255])
            ws.add_data_validation(rule)
            rule.add(area)
        if name in spec.comments or (c == 1 and spec.notes):
            text = "\n\n".join([*(spec.notes if c == 1 else ()), *([spec.comments[name]] if name in spec.comments else [])])
            comment = Comment(_clean_text(text), "ratings-engine")
            comment.width, comment.height = 320, min(60 + 15 * (len(text) // 40), 400)
            ws.cell(1, c).comment = comment
    ws.freeze_panes = "A2"
    if spec.table and header:
        ref = f"A1:{get_column_letter(len(header))}{last_row}"
        table = Table(displayName=table_name(spec.title, tables), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
        ws.add_table(table)


def write_xlsx(path: str | Path, sheets: Sequence[Sheet], *, created: dt.datetime | None = None) -> None:
    """Write sheets to an .xlsx workbook (atomically), escaping formula-like text (see the module docstring)."""
    require("openpyxl", f"writing {path} (an .xlsx workbook)")  # the [excel] extra, or one clear error
    with atomic_output(path, binary=True) as handle:
        handle.write(xlsx_bytes(sheets, created=created))


def xlsx_bytes(sheets: Sequence[Sheet], *, created: dt.datetime | None = None) -> bytes:
    """The bytes of an .xlsx workbook of these sheets, formula-like text escaped."""
    require("openpyxl", "writing an .xlsx workbook")  # the [excel] extra, or one clear error
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    tables: set[str] = set()
    for spec in sheets:
        _write_sheet(book, spec, tables)
    if "Lists" in book.sheetnames:
        book.move_sheet("Lists", offset=len(book.sheetnames))  # after the sheets people read
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
