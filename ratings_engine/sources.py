"""Reading tabular input files into text tables that remember where each cell came from.

Every input (cases, judgements, later tallies and drafts) goes through `read_table`, so every
reader reports problems the same way: file, row (as a spreadsheet numbers it: the header is
row 1) and column.
"""
from __future__ import annotations

import csv
import hashlib
import io
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Location, Problem

MAX_PROBLEMS = 50


@dataclass(frozen=True)
class TextTable:
    """A table of stripped text cells.

    `cells` has one column per header (header names stripped of spaces) and a RangeIndex;
    `rows[i]` is the file row number of `cells.iloc[i]`. Wholly blank rows are already dropped
    and counted in `blank_rows`.
    """

    source: str
    cells: pd.DataFrame
    rows: tuple[int, ...]
    sha256: str | None
    rows_read: int
    blank_rows: tuple[int, ...] = ()
    sheet: str | None = None  # the worksheet read, for spreadsheet inputs

    def where(self, i: int, column: str | None = None) -> Location:
        return Location(file=self.source, sheet=self.sheet, row=self.rows[i], column=column)


@dataclass
class Audit:
    """What happened to every row of one input file: read = used + skipped."""

    source: str
    rows_read: int = 0
    rows_used: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + sum(self.skipped.values())

    def to_dict(self) -> dict:
        return {"file": self.source, "rows_read": self.rows_read, "rows_used": self.rows_used,
                "rows_skipped": dict(sorted(self.skipped.items()))}


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")


def read_table(path: str | Path, what: str, sheet: str | None = None) -> TextTable:
    """Read a CSV file (UTF-8, with or without a byte-order mark) as text cells.

    `.xlsx` / `.xlsm` files are read by `xlsx.read_xlsx` (`sheet`: a worksheet name, default the
    first); `sheet` with any other file is an error.
    """
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_SUFFIXES:
        from .xlsx import read_xlsx

        return read_xlsx(path, what, sheet)
    if suffix in (".xls", ".ods", ".numbers"):
        raise InputError(f"{source}: {what} file: {suffix} spreadsheets are not read; save it as .xlsx or as 'CSV UTF-8'")
    if sheet is not None:
        raise InputError(f"{source}: a sheet ({sheet!r}) was named, but this {what} file is not a spreadsheet (.xlsx)")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: {what} file not found") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read {what} file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: {what} file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'"
        ) from None
    grid = _parse_csv(text, source, what)
    return table_from_grid(grid, source, hashlib.sha256(raw).hexdigest(), what)


def _parse_csv(text: str, source: str, what: str) -> pd.DataFrame:
    """Every cell as text, one row per CSV record (blank lines included, so row numbers hold).

    pandas' C parser reads well-formed files fast; a file it refuses (usually a row with more
    cells than the first) is read again with the csv module, which pads ragged rows so the
    table check can name the offending row.
    """
    try:
        return pd.read_csv(io.StringIO(text), header=None, dtype=str, na_filter=False,
                           skip_blank_lines=False, engine="c")
    except pd.errors.EmptyDataError:
        raise InputError(f"{source}: {what} file is empty (no header row)") from None
    except (pd.errors.ParserError, ValueError):
        pass
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"{source}: not a readable CSV file: {exc}") from None
    if not records:
        raise InputError(f"{source}: {what} file is empty (no header row)")
    width = max(map(len, records))  # pad short rows: pandas will stop padding ragged lists itself
    if min(map(len, records)) != width:
        records = [row + [""] * (width - len(row)) for row in records]
    return pd.DataFrame(records, dtype=object)


def table_from_grid(grid: pd.DataFrame, source: str, sha256: str | None, what: str,
                    sheet: str | None = None) -> TextTable:
    """`grid`: every cell as text, header in the first row, file row i + 1 in row i."""
    grid = grid.fillna("").astype(str)
    grid = grid.apply(_strip)
    if grid.empty or not (grid.iloc[0] != "").any():
        raise InputError(f"{source}: {what} file is empty (no header row)")
    header = list(grid.iloc[0])
    while header and header[-1] == "":
        header.pop()  # cells past the last header: blank ones are stray commas; data is a ragged row (below)
    problems = []
    for i, name in enumerate(header):
        if not name:
            problems.append(Problem(f"column {i + 1} has no header", Location(file=source, sheet=sheet, row=1)))
        elif name in header[:i]:
            problems.append(Problem("column header appears twice", Location(file=source, sheet=sheet, row=1, column=name)))
    extra = grid.iloc[1:, len(header):]
    if extra.shape[1] and (extra != "").any(axis=None):
        first = int(extra.index[(extra != "").any(axis=1)][0])
        problems.append(Problem(f"row has more cells than the header's {len(header)}", Location(file=source, sheet=sheet, row=first + 1)))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    body = grid.iloc[1:, : len(header)]
    body.columns = header
    blank = (body == "").all(axis=1)
    rows = tuple(int(i) + 1 for i in body.index[~blank])
    blank_rows = tuple(int(i) + 1 for i in body.index[blank])
    cells = body[~blank].reset_index(drop=True)
    return TextTable(source, cells, rows, sha256, len(body), blank_rows, sheet)


def _strip(column: pd.Series) -> pd.Series:
    """`column.str.strip()`, stripping each distinct text once (answer columns hold a handful)."""
    positions, distinct = pd.factorize(column.to_numpy(dtype=object))
    stripped = np.array([text.strip() for text in distinct], dtype=object)
    return pd.Series(stripped[positions], index=column.index, dtype=column.dtype)


def table_from_frame(frame: pd.DataFrame, source: str, what: str) -> TextTable:
    """A DataFrame given through the API, checked like a file (rows numbered as if row 1 were a header)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{source}: {what} must be a pandas DataFrame, not {type(frame).__name__}")
    header = pd.DataFrame([[str(c) for c in frame.columns]])
    body = frame.astype(object).where(~frame.isna(), "").astype(str)
    body.columns = header.columns
    grid = pd.concat([header, body], ignore_index=True)
    return table_from_grid(grid, source, None, what)


@contextmanager
def sheet_locations(table: TextTable):
    """Problems raised inside about `table`'s file get its sheet too (spreadsheet inputs)."""
    try:
        yield table
    except InputError as exc:
        if table.sheet is None:
            raise
        problems = [Problem(p.message, replace(p.location, sheet=table.sheet))
                    if p.location.file == table.source and p.location.sheet is None else p
                    for p in exc.problems]
        raise type(exc)(problems) from None


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
