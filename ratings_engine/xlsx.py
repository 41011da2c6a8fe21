"""Spreadsheets: reading .xlsx inputs as text tables, and writing results safely to .xlsx and CSV.

Reading (`read_xlsx`, reached through `sources.read_table` for `.xlsx` / `.xlsm` files): one
worksheet (the first unless named) becomes a `TextTable` exactly like a CSV file would, with the
sheet name in every location. Cells are read as the text a user sees in a plain cell:

* numbers: whole numbers without a decimal point (`8`, not `8.0`), others with up to 15
  significant digits (`2.2`, `0.125`);
* dates and times: ISO 8601 (`2023-01-31`, `2023-01-31 09:30:00`); booleans `TRUE` / `FALSE`;
* formulas: their saved (cached) value, as Excel saved it. A formula with no saved value (a
  workbook written by a program that does not calculate) is an error naming the cell, never a
  silent blank; so is a cell holding an error value such as `#N/A`.

Writing (`write_xlsx`, `write_csv`): text that a spreadsheet would read as a formula (starting
with `=`, `+`, `-`, `@`, a tab or a carriage return) is escaped. In CSV it gets a leading
apostrophe (`'=1+2`); in .xlsx it is stored as a text cell with Excel's "quote prefix" flag, so
it shows exactly as written, is never calculated, and stays text if the cell is edited.
Numbers are written as numbers.

openpyxl is imported inside the functions, to keep the command line's start-up light.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any, Iterator, Sequence

import pandas as pd

from .errors import InputError, Location, Problem
from .sources import CHUNK_ROWS, MAX_PROBLEMS, TableReader, TextTable, grid_of, read_input_bytes

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------------------------
# Reading


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


def read_xlsx(path: str | Path, what: str, sheet: str | None = None) -> TextTable:
    """Read one worksheet of an .xlsx workbook as text cells (header in row 1)."""
    return open_xlsx(path, what, sheet).read_all()


def open_xlsx(path: str | Path, what: str, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS) -> TableReader:
    """One worksheet of an .xlsx workbook, to read in chunks (see `sources.TableReader`)."""
    path = Path(path)
    source = str(path)
    raw = read_input_bytes(path, what)
    opened = [_open_books(raw, source, what)]  # fails early on a file that is not a workbook
    names = [ws.title for ws in opened[0][0].worksheets]
    if not names or (sheet is not None and sheet not in names):
        for book in opened[0]:
            book.close()
        if not names:
            raise InputError(f"{source}: the workbook has no worksheets")
        raise InputError(Problem(f"no sheet named {sheet!r} (sheets: {', '.join(repr(n) for n in names)})",
                                 Location(file=source)))
    name = names[0] if sheet is None else sheet

    def grids() -> Iterator[pd.DataFrame]:  # the first read uses the books opened above
        books = opened.pop() if opened else _open_books(raw, source, what)
        return _sheet_grids(books, source, name, chunk_rows)

    return TableReader(source, what, grids, sheet=name, kind="xlsx", sha256=hashlib.sha256(raw).hexdigest())


def _open_books(raw: bytes, source: str, what: str):
    """Two views of the same file: saved values, and which cells hold formulas."""
    from openpyxl import load_workbook

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
        values_ws.reset_dimensions()  # saved dimensions may be wrong: read every row there is
        formula_ws.reset_dimensions()
        header: list[str] = []
        problems: list[Problem] = []
        batch: list[list[str]] = []
        blank_run: list[list[str]] = []  # blank rows not yet known to be followed by data
        start = 0
        rows = zip_longest(values_ws.iter_rows(values_only=True), formula_ws.iter_rows(), fillvalue=())
        for r, (values, formulas) in enumerate(_guarded(rows, source, sheet)):
            row: list[str] = []
            for c, value in enumerate(values):
                cell = formulas[c] if c < len(formulas) else None
                kind = getattr(cell, "data_type", None)
                if kind == "f" and value is None or kind == "e" or (
                        kind == "f" and isinstance(value, str) and value in _ERROR_VALUES):
                    ref = f"{get_column_letter(c + 1)}{r + 1}"
                    column = ((header[c] if c < len(header) else "") or get_column_letter(c + 1)) if r else None
                    where = Location(file=source, sheet=sheet, row=r + 1, column=column)
                    problems.append(Problem(f"cell {ref} holds a formula ({cell.value}) with no saved value; open "
                                            "and save the workbook in Excel, or paste the values", where)
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
            if blank_run:
                batch.extend(blank_run)
                blank_run = []
            batch.append(row)
            if len(batch) >= chunk_rows:
                if problems:
                    break
                yield grid_of(batch, start)
                start += len(batch)
                batch = []
        if problems:
            raise InputError(problems[:MAX_PROBLEMS])
        if batch or start == 0:
            yield grid_of(batch, start)
    finally:
        values_book.close()
        formula_book.close()


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


# ---------------------------------------------------------------------------------------------
# Writing


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
    """Write sheets to an .xlsx workbook, escaping formula-like text (see the module docstring)."""
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
    try:
        book.save(str(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot write the workbook: {exc.strerror}") from None


def write_csv(path: str | Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a CSV (UTF-8 with a byte-order mark, so Excel reads it as UTF-8), escaping formula-like text."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([escape_csv_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else escape_csv_cell(v) for v in row])
    try:
        Path(path).write_text(out.getvalue(), encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the CSV file: {exc.strerror}") from None


# ---------------------------------------------------------------------------------------------
# Export layouts


RATINGS_HEADER = ["unit", "standard", "name", "domain", "basis", "scored", "rating", "score", "max_score",
                  "panel_override", "computed_rating", "reason", "deciding_key_question", "margin_unit",
                  "to_next_band", "next_band", "to_band_below", "band_below", "because"]


def _margin_cells(decision) -> list:
    up, down = decision.margin_up, decision.margin_down
    return [up.amount if up else None, up.to if up else None, down.amount if down else None, down.to if down else None]


def ratings_table(report) -> tuple[list[str], list[list]]:
    """One row per unit and standard, then the unit's overall row (`standard` = overall)."""
    from .overrides import override_of

    rows: list[list] = []
    for u in report.units:
        for s in u.standards:
            ov = override_of(s)
            rows.append([u.unit, s.id, s.name, s.domain, s.basis, "yes" if s.scored else "no", s.rating, s.score, None,
                         "yes" if ov else "no", ov["computed"] if ov else s.rating, s.reason,
                         s.deciding_key_question, "cases", *_margin_cells(s.decision), s.decision.because])
        o = u.overall
        rows.append([u.unit, "overall", f"Overall ({o.status})", None, None, None, o.rating, o.score, o.max_score,
                     "yes" if "overrides" in o.decision.inputs else "no",
                     (o.decision.inputs.get("without_overrides") or {}).get("rating", o.rating), None, None,
                     "points", *_margin_cells(o.decision), o.decision.because])
    return RATINGS_HEADER, rows


def export_sheets(report, rulebook, validation=None) -> list[Sheet]:
    """The workbook `rate export` / `rate validate --format xlsx` writes."""
    from .overrides import override_of

    stamp = report.rulebook
    header, rows = ratings_table(report)
    sheets = [Sheet("Ratings", header, rows, notes=[
        f"Ratings by rulebook {stamp.id} version {stamp.version} (sha256 {stamp.sha256}). "
        "Margins: cases (standards) or points (overall) to the next band up / down."])]
    kq_rows = []
    for u in report.units:
        for s in u.standards:
            for k in s.key_questions:
                d = k.decision
                kq_rows.append([u.unit, s.id, k.id, k.text, k.sufficient, k.insufficient, k.not_applicable,
                                k.applicable, None if k.pct is None else round(k.pct, 4), k.rating, d.rule,
                                "yes" if k.id == s.deciding_key_question else "no", *_margin_cells(d), d.because])
    sheets.append(Sheet("Key questions", ["unit", "standard", "key_question", "text", "sufficient", "insufficient",
                                          "not_applicable", "applicable", "pct", "rating", "rule", "deciding",
                                          "cases_up", "up_to", "cases_down", "down_to", "because"], kq_rows,
                        widths=[20, 9, 12, 50, 10, 12, 14, 10, 8, 20, 24, 9, 9, 20, 10, 20, 80]))
    frame = report.decisions_frame()
    sheets.append(Sheet("Decisions", list(frame.columns),
                        [[None if _isnan(v) else v for v in r] for r in frame.itertuples(index=False)]))
    if validation is not None:
        vrows = []
        for uc in validation.units:
            for sc in uc.standards:
                m = sc.detail.get("margin_to_draft")
                vrows.append([uc.unit, sc.id, sc.name, sc.computed, "yes" if sc.override else "no", sc.draft,
                              sc.status, m["cases"] if m else None, m["direction"] if m else None, sc.because])
            oc = uc.overall
            vrows.append([uc.unit, "overall", "Overall", overall_text(oc.computed, oc.score, oc.max_score), None,
                          overall_text(oc.draft, oc.draft_score, oc.draft_max) if (oc.draft or oc.draft_score is not None) else None,
                          f"rating {oc.rating_status}; score {oc.score_status}",
                          (oc.margin_to_draft or {}).get("points"), "points" if oc.margin_to_draft else None, oc.because])
        sheets.append(Sheet("Draft check", ["unit", "standard", "name", "computed", "panel_override", "draft", "result",
                                            "margin_to_draft", "margin_direction_or_unit", "because"], vrows,
                            widths=[20, 9, 28, 26, 14, 26, 30, 15, 22, 100],
                            notes=[f"Draft {validation.draft.source}: "
                                   + ("AGREES" if validation.agrees else "DIFFERS") + " (margin_to_draft: cases "
                                   "insufficient->sufficient (up) or the other way (down); points for the overall)"]))
    orows = [[u.unit, s.id, s.name, ov["rating"], ov["computed"], ov["reason"], ov["from"]]
             for u in report.units for s in u.standards for ov in [override_of(s)] if ov]
    sheets.append(Sheet("Overrides", ["unit", "standard", "name", "panel_rating", "computed_rating", "reason", "from"],
                        orows, notes=["Panel overrides (professional discretion): each replaces the computed rating "
                                      "of its standard before the overall is recomputed by the rulebook."
                                      + ("" if orows else " None were given.")]))
    info = [["rulebook", "id", stamp.id], ["rulebook", "version", stamp.version], ["rulebook", "title", stamp.title],
            ["rulebook", "sha256", stamp.sha256], ["rulebook", "file", stamp.file],
            ["rulebook", "file_sha256", stamp.file_sha256]]
    for i in report.inputs:
        audit = i.get("audit") or {}
        skipped = "; ".join(f"{k}: {v}" for k, v in (audit.get("rows_skipped") or {}).items())
        info.append([i["kind"], "file", i["file"]])
        if i.get("sheet"):
            info.append([i["kind"], "sheet", i["sheet"]])
        info.append([i["kind"], "sha256", i.get("sha256")])
        info.append([i["kind"], "rows read / used / skipped",
                     f"{audit.get('rows_read')} / {audit.get('rows_used')} / {skipped or 0}"])
    warnings = validation.warnings if validation is not None else report.warnings
    info += [["warning", str(n), w] for n, w in enumerate(warnings, start=1)]
    sheets.append(Sheet("Rulebook and inputs", ["what", "item", "value"], info, widths=[14, 26, 100]))
    return sheets


def overall_text(rating, score, top) -> str:
    text = rating or "none"
    if score is not None:
        text += f" ({score}" + (f"/{top}" if top is not None else "") + ")"
    return text


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and value != value
