"""Reading one worksheet of an .xlsx workbook as raw grid chunks (for `io.tables.open_table`).

Cells are read as the text a user sees in a plain cell:

* numbers: whole numbers without a decimal point (`8`, not `8.0`), others with up to 15
  significant digits (`2.2`, `0.125`);
* dates and times: ISO 8601 (`2023-01-31`, `2023-01-31 09:30:00`); booleans `TRUE` / `FALSE`;
* formulas: their saved (cached) value, as Excel saved it. A formula with no saved value (a
  workbook written by a program that does not calculate) is an error naming the cell, never a
  silent blank; so is a cell holding an error value such as `#N/A`.

A workbook is a zip of XML that can inflate far beyond its size on disk, and its XML numbers
rows and columns itself, so a small hostile file could make a reader build a huge grid. The
reader bounds its work before materialising anything: the archive's declared inflated sizes
(`MAX_INFLATED_BYTES`, `MAX_SHARED_STRINGS_BYTES`) are checked before openpyxl opens it; rows
are read from the sheet's XML without filling gaps up to a far row number (openpyxl's own row
iterator would), and a row past `MAX_ROWS`, a cell past `MAX_COLUMNS` or a text longer than
`MAX_CELL_CHARS` (Excel's own limits) is an error naming the cell.

openpyxl (the [excel] extra) is imported inside the functions, to keep the command line's
start-up light; without it, reading a workbook says which extra to install.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from ..model.errors import InputError, Location, Problem
from ..model.extras import require
from .files import read_input_bytes
from .csv_files import CHUNK_CELLS
from .grids import grid_of

#: Problems reported from one sheet before stopping.
MAX_PROBLEMS = 50
#: Excel's own limits: rows and columns of a worksheet, characters in a cell.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_CHARS = 32_767
#: Inflated size of the whole workbook, and of its shared-strings table (loaded whole by openpyxl).
MAX_INFLATED_BYTES = 1 << 30
MAX_SHARED_STRINGS_BYTES = 128 << 20
#: A part inflating past BOMB_BYTES to more than BOMB_RATIO times its compressed size is a zip bomb
#: (worksheets, even of one repeated answer, compress about 20 to 1).
BOMB_BYTES, BOMB_RATIO = 32 << 20, 200


def cell_text(value: Any) -> str:
    """The text of a cell value as openpyxl gives it (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


#: The sheet each kind of input is read from when no sheet is named (case-insensitive), in order.
SHEET_NAMES = {
    "case": ("Cases", "Tallies"),
    "tally": ("Tallies", "Cases"),
    "judgements": ("Judgements", "Judgments"),
    "draft": ("Draft",),
    "overrides": ("Overrides",),
    "corpus": ("Cases", "Tallies"),
    "recorded": ("Recorded",),
}
#: The option that names each kind of input's sheet.
SHEET_OPTIONS = {"case": "--sheet", "tally": "--sheet", "corpus": "--sheet", "judgements": "--judgements-sheet",
                 "draft": "--draft-sheet", "overrides": "--overrides-sheet",
                 "recorded": "--against-sheet"}


def open_sheet(path: str | Path, what: str, sheet: str | None, chunk_rows: int
               ) -> tuple[Callable[[], Iterator[pd.DataFrame]], str, str]:
    """One worksheet of an .xlsx workbook: (a function giving its grid chunks, the sheet's name,
    the file's sha256), for `io.tables.TableReader`. See `choose_sheet` for which sheet."""
    path = Path(path)
    source = str(path)
    raw = read_input_bytes(path, what)
    opened = [_open_books(raw, source, what)]  # fails early on a file that is not a workbook
    try:
        name = choose_sheet([(ws.title, getattr(ws, "sheet_state", "visible")) for ws in opened[0][0].worksheets],
                            what, sheet, source)
    except InputError:
        for book in opened[0]:
            book.close()
        raise

    def grids() -> Iterator[pd.DataFrame]:  # the first read uses the books opened above
        books = opened.pop() if opened else _open_books(raw, source, what)
        return _sheet_grids(books, source, name, chunk_rows)

    return grids, name, hashlib.sha256(raw).hexdigest()


def choose_sheet(sheets: list[tuple[str, str]], what: str, sheet: str | None, source: str) -> str:
    """The sheet to read of (name, state) pairs: the one named, else the one named for this kind
    of input (Cases, Judgements, Draft, ...; any case), else the only visible sheet.

    A hidden or very hidden sheet is read only when named; an error lists the sheets there are.
    """
    if not sheets:
        raise InputError(f"{source}: the workbook has no worksheets")
    listed = ", ".join(repr(n) + ("" if state == "visible" else f" ({state})") for n, state in sheets)
    option = SHEET_OPTIONS.get(what, "--sheet")
    if sheet is not None:
        if sheet in (n for n, _ in sheets):
            return sheet
        near = [n for n, _ in sheets if n.casefold() == sheet.casefold()]
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise InputError(Problem(f"no sheet named {sheet!r} (sheets: {listed}){hint}", Location(file=source)))
    visible = [n for n, state in sheets if state == "visible"]
    for wanted in SHEET_NAMES.get(what, ()):
        found = [n for n in visible if n.strip().casefold() == wanted.casefold()]
        if found:
            return found[0]
    if len(visible) == 1:
        return visible[0]
    names = " or ".join(repr(n) for n in SHEET_NAMES.get(what, ())) or "the sheet to read"
    raise InputError(Problem(f"which sheet holds the {what} rows? No visible sheet is named {names} (sheets: {listed}); "
                             f"name one with {option}", Location(file=source)))


def sheet_names(path: str | Path) -> list[tuple[str, str]]:
    """(name, state) of every worksheet of a workbook; [] when it cannot be read as one."""
    load_workbook = require("openpyxl", f"reading {path} (an .xlsx workbook)").load_workbook
    try:
        raw = read_input_bytes(path, "workbook")
        _check_archive(raw, str(path), "workbook")  # openpyxl loads the shared strings whole
        book = load_workbook(io.BytesIO(raw), read_only=True)
    except Exception:  # noqa: BLE001 - not a workbook: no sheets to find (reading it later says why)
        return []
    try:
        return [(ws.title, getattr(ws, "sheet_state", "visible")) for ws in book.worksheets]
    finally:
        book.close()


def _check_archive(raw: bytes, source: str, what: str) -> None:
    """Refuse a workbook whose parts inflate past the limits, before anything is inflated (zipfile
    reads no further than a part's declared size, so the declared sizes bound the work)."""
    import zipfile

    try:
        parts = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: openpyxl's error says so
    strings = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    total = sum(p.file_size for p in parts)
    bomb = next((p for p in parts if p.file_size > BOMB_BYTES and p.file_size > BOMB_RATIO * max(p.compress_size, 1)),
                None)
    if bomb is not None:
        raise InputError(f"{source}: {what} workbook is not a plain workbook: its part {bomb.filename} inflates "
                         f"{bomb.file_size // max(bomb.compress_size, 1):,} times (to {bomb.file_size:,} bytes)")
    for part, size, limit in (("its shared-strings table", strings, MAX_SHARED_STRINGS_BYTES),
                              ("it", total, MAX_INFLATED_BYTES)):
        if size > limit:
            raise InputError(f"{source}: {what} workbook is too large to read: {part} inflates to {size:,} bytes "
                             f"(limit {limit:,}); save the sheet as 'CSV UTF-8'")


def _open_books(raw: bytes, source: str, what: str):
    """Two views of the same file: saved values, and which cells hold formulas."""
    load_workbook = require("openpyxl", f"reading {source} (an .xlsx {what} file)").load_workbook
    _check_archive(raw, source, what)
    try:
        return (load_workbook(io.BytesIO(raw), read_only=True, data_only=True),
                load_workbook(io.BytesIO(raw), read_only=True, data_only=False))
    except Exception as exc:  # noqa: BLE001 - any failure to parse a user's file is bad input
        raise InputError(f"{source}: {what} file is not a readable .xlsx workbook "
                         f"({type(exc).__name__}: {exc})") from None


def _sheet_grids(books, source: str, sheet: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The worksheet's cells as text, in chunks of rows; formulas without a saved value and error
    values are reported with their cell. Formatted but empty rows at the end of the sheet are not
    rows anyone wrote: they are dropped (blank rows between data rows are kept, and counted)."""
    from openpyxl.utils import get_column_letter

    values_book, formula_book = books
    try:
        values_ws, formula_ws = values_book[sheet], formula_book[sheet]
        header: list[str] = []
        problems: list[Problem] = []
        batch: list[list[str]] = []
        blank_run: list[list[str]] = []  # blank rows not yet known to be followed by data
        start = 0
        wide = 1
        rows = zip(_sheet_rows(values_ws, source, sheet), _sheet_rows(formula_ws, source, sheet))
        for (number, values), (_, formulas) in _guarded(rows, source, sheet):
            r = number - 1
            if r > len(batch) + len(blank_run) + start:  # rows the sheet's XML skips are blank rows
                blank_run.extend([[]] * (r - len(batch) - len(blank_run) - start))
            row: list[str] = []
            for c, value in enumerate(values):
                cell = formulas.get(c + 1)
                kind = cell["data_type"] if cell else None
                if kind == "f" and value is None or kind == "e" or (
                        kind == "f" and isinstance(value, str) and value in _ERROR_VALUES):
                    ref = f"{get_column_letter(c + 1)}{r + 1}"
                    column = ((header[c] if c < len(header) else "") or get_column_letter(c + 1)) if r else None
                    where = Location(file=source, sheet=sheet, row=r + 1, column=column)
                    problems.append(Problem(f"cell {ref} holds a formula ({cell['value']}) with no saved value; "
                                            "open and save the workbook in Excel, or paste the values", where)
                                    if value is None else Problem(f"cell {ref} holds the error value "
                                                                  f"{cell_text(value)}", where))
                row.append(cell_text(value))
            if r == 0:
                header = [text.strip() for text in row]
            if len(problems) >= MAX_PROBLEMS:
                break
            if not any(text.strip() for text in row):
                blank_run.append(row)
                continue
            for item in (*blank_run, row):  # chunks of at most chunk_rows rows and about CHUNK_CELLS cells
                if batch and not problems and (len(batch) >= chunk_rows
                                               or (len(batch) + 1) * max(wide, len(item)) > CHUNK_CELLS):
                    yield grid_of(batch, start)
                    start, batch, wide = start + len(batch), [], 1
                batch.append(item)
                wide = max(wide, len(item))
            blank_run = []
        if problems:
            raise InputError(problems[:MAX_PROBLEMS])
        if batch or start == 0:
            yield grid_of(batch, start)
    finally:
        values_book.close()
        formula_book.close()


def _sheet_rows(ws, source: str, sheet: str) -> Iterator[tuple[int, Any]]:
    """(row number, cells) of each row the worksheet's XML holds, in order, without openpyxl's filling
    of skipped rows (a row numbered 2,000,000,000 would otherwise mean as many empty rows).

    For the values workbook, cells is the list of values by column (gaps None); for the formulas
    workbook, a dict of openpyxl's cell records by column number. Rows past MAX_ROWS, cells past
    MAX_COLUMNS, rows out of order and texts over MAX_CELL_CHARS are errors naming the place."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import WorkSheetParser

    book = ws.parent
    last = 0
    with ws._get_source() as src:  # noqa: SLF001 - openpyxl's read-only sheet has no public raw-row reader
        parser = WorkSheetParser(src, ws._shared_strings, data_only=book.data_only, epoch=book.epoch,  # noqa: SLF001
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)  # noqa: SLF001
        for number, cells in parser.parse():
            where = Location(file=source, sheet=sheet, row=number)
            if number > MAX_ROWS:
                raise InputError(Problem(f"the sheet has a row numbered {number:,}; a worksheet has at most "
                                         f"{MAX_ROWS:,} rows", where))
            if number <= last:
                raise InputError(Problem(f"row {number} comes after row {last} in the workbook's XML: the file is "
                                         "damaged; open and save it in Excel", where))
            last = number
            width = max((cell["column"] for cell in cells), default=0)
            if width > MAX_COLUMNS:
                raise InputError(Problem(f"the row has a cell in column {width:,}; a worksheet has at most "
                                         f"{MAX_COLUMNS:,} columns", where))
            for cell in cells:
                if isinstance(cell["value"], str) and len(cell["value"]) > MAX_CELL_CHARS:
                    ref = f"{get_column_letter(cell['column'])}{number}"
                    raise InputError(Problem(f"cell {ref} holds {len(cell['value']):,} characters; a cell holds at "
                                             f"most {MAX_CELL_CHARS:,}", where))
            if book.data_only:
                values: list[Any] = [None] * width
                for cell in cells:
                    values[cell["column"] - 1] = cell["value"]
                yield number, values
            else:
                yield number, {cell["column"]: cell for cell in cells}


def _guarded(rows: Iterator, source: str, sheet: str) -> Iterator:
    """Rows of a worksheet; a sheet openpyxl cannot read is bad input, named."""
    while True:
        try:
            item = next(rows)
        except StopIteration:
            return
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise InputError(Problem(f"cannot read the worksheet ({type(exc).__name__}: {exc})",
                                     Location(file=source, sheet=sheet))) from None
        yield item


_ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})
