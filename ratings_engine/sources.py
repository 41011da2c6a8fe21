"""Reading tabular input files into text tables that remember where each cell came from.

Every input (cases, judgements, later tallies and drafts) goes through `read_table`, so every
reader reports problems the same way: file, row (as a spreadsheet numbers it: the header is
row 1) and column.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

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

    def where(self, i: int, column: str | None = None) -> Location:
        return Location(file=self.source, row=self.rows[i], column=column)


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


def read_table(path: str | Path, what: str) -> TextTable:
    """Read a CSV file (UTF-8, with or without a byte-order mark) as text cells."""
    path = Path(path)
    source = str(path)
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
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(f"{source}: not a readable CSV file: {exc}") from None
    if not records:
        raise InputError(f"{source}: {what} file is empty (no header row)")
    return table_from_grid(pd.DataFrame(records, dtype=object), source, hashlib.sha256(raw).hexdigest(), what)


def table_from_grid(grid: pd.DataFrame, source: str, sha256: str | None, what: str) -> TextTable:
    """`grid`: every cell as text, header in the first row, file row i + 1 in row i."""
    grid = grid.fillna("").astype(str)
    grid = grid.apply(lambda col: col.str.strip())
    if grid.empty or not (grid.iloc[0] != "").any():
        raise InputError(f"{source}: {what} file is empty (no header row)")
    header = list(grid.iloc[0])
    while header and header[-1] == "" and not (grid.iloc[1:, len(header) - 1] != "").any():
        header.pop()  # trailing columns with neither header nor data (a spreadsheet's stray commas)
    problems = []
    for i, name in enumerate(header):
        if not name:
            problems.append(Problem(f"column {i + 1} has no header", Location(file=source, row=1)))
        elif name in header[:i]:
            problems.append(Problem("column header appears twice", Location(file=source, row=1, column=name)))
    extra = grid.iloc[1:, len(header):]
    if extra.shape[1] and (extra != "").any(axis=None):
        first = int(extra.index[(extra != "").any(axis=1)][0])
        problems.append(Problem(f"row has more cells than the header's {len(header)}", Location(file=source, row=first + 1)))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    body = grid.iloc[1:, : len(header)]
    body.columns = header
    blank = (body == "").all(axis=1)
    rows = tuple(int(i) + 1 for i in body.index[~blank])
    blank_rows = tuple(int(i) + 1 for i in body.index[blank])
    cells = body[~blank].reset_index(drop=True)
    return TextTable(source, cells, rows, sha256, len(body), blank_rows)


def table_from_frame(frame: pd.DataFrame, source: str, what: str) -> TextTable:
    """A DataFrame given through the API, checked like a file (rows numbered as if row 1 were a header)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{source}: {what} must be a pandas DataFrame, not {type(frame).__name__}")
    header = pd.DataFrame([[str(c) for c in frame.columns]])
    body = frame.astype(object).where(~frame.isna(), "").astype(str)
    body.columns = header.columns
    grid = pd.concat([header, body], ignore_index=True)
    return table_from_grid(grid, source, None, what)


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
