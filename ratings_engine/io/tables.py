"""Opening any tabular input as a text table that remembers where each cell came from.

(This module is long because the one table reader holds every check every tabular input shares:
header, rows, cells, lines and size; the line and quote checks themselves are in `io.csv_lines`.)

Every tabular input (cases, judgements, tallies, drafts, overrides, corpus files) goes through
`open_table` / `read_table`, whatever its format: `io.csv_files` reads CSV, `io.xlsx_files`
reads a worksheet, `table_from_frame` takes a DataFrame, and each hands raw grid chunks to one
`TableReader`. So every reader reports problems the same way: file, sheet, row (as a
spreadsheet numbers it: the header is row 1) and column, and counts its rows the same way
(`Audit`: rows read = used + skipped, by reason).

Files are read in chunks of `CHUNK_ROWS` rows, so a case file of a million rows is never held
in memory as text: the readers validate and keep each chunk's cells in compact form before the
next is read. A header that is one column holding a semicolon or a tab is refused with a
message saying which `--delimiter` to use; a title row above the header is refused naming the
row that looks like the header.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from .cell_codes import CellCodes
from .csv_files import DELIMITER_NAMES, CsvFile, checked_encoding, delimiter_char
from .csv_lines import LineLedger, line_breaks

__all__ = ["Audit", "TextTable", "TableReader", "open_table", "read_table", "table_from_frame", "sheet_locations"]

MAX_PROBLEMS = 50
#: Rows per chunk when reading a CSV file or a worksheet (memory stays proportional to this).
CHUNK_ROWS = 50_000
#: Cells (rows x columns) of one table: a table past it is refused as it is read, so a small file
#: of many empty lines under a very wide header cannot make the reader build a huge grid.
MAX_CELLS = 50_000_000
#: How far below row 1 a header pushed down by a title row or blank rows is looked for.
HEADER_SEARCH_ROWS = 30
#: Column names that identify the header of each kind of file (`what`), to spot a title row above it.
HEADER_KEYS = {
    "case": ("case_id", "key_question"),
    "tally": ("key_question",),
    "judgements": ("standard",),
    "draft": ("standard",),
    "overrides": ("standard",),
    "corpus": ("case_id", "key_question", "standard"),
    "recorded": ("unit", "standard"),
}
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
#: The column names of tally, judgement, draft and override files (by `what`). A header that
#: differs from one of them only by case, spaces, hyphens or underscores ("Key question") is read
#: as that name, so workbooks with readable headers (the export, the case workbook template) read
#: back as inputs. Case files (a header with `case_id`) keep exact names (docs/input-problems.md).
_TALLY_NAMES = ("unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable")
_JUDGEMENT_NAMES = ("standard", "rating", "reason", "unit", "name")
KNOWN_COLUMNS = {
    "case": _TALLY_NAMES,  # a tally file given where cases or tallies are read
    "tally": _TALLY_NAMES,
    "judgements": _JUDGEMENT_NAMES,
    "draft": ("standard", "rating", "score", "unit", "name", "note"),
    "overrides": ("standard", "rating", "reason", "unit"),
    "corpus": (*_TALLY_NAMES, *_JUDGEMENT_NAMES),
}


def column_key(name: str) -> str:
    """What spellings of one column name share: lower case, runs of spaces, '-' and '_' as one '_'."""
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


@dataclass(frozen=True)
class TextTable:
    """A table of stripped text cells (a whole file, or one chunk of it).

    `cells` has one column per header (header names stripped of spaces) and a RangeIndex;
    `rows[i]` is the file row number of `cells.iloc[i]`. Wholly blank rows are already dropped
    and listed in `blank_rows`; `rows_read` counts every body row, blank ones included.
    """

    source: str
    cells: pd.DataFrame
    rows: tuple[int, ...]
    sha256: str | None
    rows_read: int
    blank_rows: tuple[int, ...] = ()
    sheet: str | None = None  # the worksheet read, for spreadsheet inputs
    labels: tuple | None = None  # a DataFrame's index labels, by file-style row number

    @property
    def from_frame(self) -> bool:
        return self.labels is not None
    #: physical lines of the body (CSV) or worksheet rows read, and how many of those lines are
    #: inside multi-line cells of declared free-text columns (lines = rows_read + text_lines)
    lines_read: int | None = None
    text_lines: int = 0
    #: the cells as codes into their distinct texts (`io.cell_codes`), for fast column checks
    codes: CellCodes | None = field(default=None, compare=False, repr=False)

    def where(self, i: int, column: str | None = None) -> Location:
        row = self.rows[i]
        label = self.labels[row - 2] if self.labels is not None else None
        return Location(file=self.source, sheet=self.sheet, row=row, column=column, label=label)



# ---------------------------------------------------------------------------------------------
# Small shared helpers


def shown(value: str, limit: int = 60) -> str:
    """`repr(value)`, shortened: error messages quote cells, and a cell can be huge."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'" + f" ({len(value)} characters)"


class FirstRows:
    """The file row where each key was first seen, for 'given twice (first in row N)' messages."""

    def __init__(self) -> None:
        self._rows: dict = {}

    def repeat_of(self, key, row: int) -> int | None:
        """None the first time `key` is seen (at `row`); afterwards, the row it was first seen in."""
        first = self._rows.setdefault(key, row)
        return None if first == row else first


def spelling_key(name: str) -> str:
    """What two spellings of one name share: letters and digits, case folded."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def unit_spelling_warnings(source: str, units: Sequence[tuple[str, int, int]], noun: str = "case") -> list[str]:
    """Warnings for units whose names differ only by case, spaces or punctuation.

    `units`: (name, first row, number of rows) for each distinct unit name, in file order.
    """
    groups: dict[str, list[tuple[str, int, int]]] = {}
    for item in units:
        groups.setdefault(spelling_key(item[0]), []).append(item)
    warnings = []
    for items in groups.values():
        if len(items) > 1:
            named = [f"{name!r} (from row {row}, {n} {noun}{'' if n == 1 else 's'})" for name, row, n in items]
            warnings.append(f"{source}: a unit spelt {len(items)} ways: {', '.join(named[:-1])} and {named[-1]}; "
                            "they are rated as different units (correct the spelling if they are one)")
    return warnings


# ---------------------------------------------------------------------------------------------
# Opening a table


def read_table(path: str | Path, what: str, sheet: str | None = None, *, encoding: str | None = None,
               delimiter: str | None = None, text_columns: Sequence[str] = ()) -> TextTable:
    """A whole table (for inputs read at once: judgements, tallies, drafts, overrides, corpus files)."""
    return open_table(path, what, sheet, encoding=encoding, delimiter=delimiter, text_columns=text_columns).read_all()


def open_table(path: str | Path, what: str, sheet: str | None = None, *, encoding: str | None = None,
               delimiter: str | None = None, chunk_rows: int | None = None,
               text_columns: Sequence[str] = ()) -> TableReader:
    """A CSV file or a worksheet of an .xlsx workbook, with its header checked, to read in chunks.

    `.xlsx` / `.xlsm` files are read by `xlsx_files.open_sheet` (`sheet`: a worksheet name; by
    default the sheet named for this kind of input, see `xlsx_files.choose_sheet`); `sheet` with
    any other file is an error, and so are `encoding` and `delimiter` with a workbook. The path
    `-` reads a CSV from standard input. `text_columns` names the columns of a CSV file whose
    quoted cells may span lines (free text); in any other column a cell spanning lines is an error
    naming the line where its quote opened.
    """
    source = str(path)
    if source == "-":
        from .files import stdin_copy

        path, source = stdin_copy(), "<stdin>"
    path = Path(path)
    suffix = path.suffix.lower() if source != "<stdin>" else ".csv"
    chunk_rows = chunk_rows or CHUNK_ROWS
    if suffix in SPREADSHEET_SUFFIXES:
        for option, value in (("--encoding", encoding), ("--delimiter", delimiter)):
            if value is not None:
                raise InputError(f"{source}: {option} applies to CSV files, not to this .xlsx workbook")
        from .xlsx_files import open_sheet

        grids, name, digest = open_sheet(path, what, sheet, chunk_rows)
        return TableReader(source, what, grids, sheet=name, kind="xlsx", sha256=digest, text_columns=text_columns)
    if suffix in (".xls", ".ods", ".numbers"):
        raise InputError(f"{source}: {what} file: {suffix} spreadsheets are not read; save it as .xlsx or as 'CSV UTF-8'")
    if sheet is not None:
        raise InputError(f"{source}: a sheet ({sheet!r}) was named, but this {what} file is not a spreadsheet (.xlsx)")
    sep = delimiter_char(delimiter)
    if encoding is not None:
        encoding = checked_encoding(encoding)
    csv_file = CsvFile(path, source, what, encoding, sep, chunk_rows)
    return TableReader(source, what, csv_file.grids, kind="csv", delimiter=sep, digest=csv_file.digest,
                       lines=csv_file.lines, text_columns=text_columns)


def table_from_frame(frame: pd.DataFrame, source: str, what: str) -> TextTable:
    """A DataFrame given through the API, checked like a file (rows numbered as if row 1 were a header)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{source}: {what} must be a pandas DataFrame, not {type(frame).__name__}")
    header = pd.DataFrame([[str(c) for c in frame.columns]])
    body = frame.astype(object).where(~frame.isna(), "").astype(str)
    body.columns = header.columns
    grid = pd.concat([header, body], ignore_index=True)
    table = TableReader(source, what, lambda: iter([grid]), kind="frame").read_all()
    return replace(table, labels=tuple(_plain(label) for label in frame.index))


def _plain(label):
    """An index label as plain Python (numpy integers print as np.int64(3) otherwise)."""
    return label.item() if hasattr(label, "item") else label


@contextmanager
def sheet_locations(table: TextTable | TableReader):
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


# ---------------------------------------------------------------------------------------------
# The table reader: header checks, then body chunks


class TableReader:
    """One input table: its header (read and checked on opening), then its body in chunks.

    `grids()` gives the raw cell grid in chunks (DataFrames of text with positional columns,
    indexed by 0-based file row; row 0 is the header). `chunks()` gives each chunk's body as a
    `TextTable` (stripped, blank rows dropped and listed, rows numbered as in the file); calling
    it again reads the file again. `sha256` is known once the table has been read to the end.
    """

    def __init__(self, source: str, what: str, grids: Callable[[], Iterator[pd.DataFrame]], *,
                 sheet: str | None = None, kind: str = "csv", delimiter: str = ",",
                 digest: Callable[[], str | None] | None = None, sha256: str | None = None,
                 lines: Callable[[], int | None] | None = None, text_columns: Sequence[str] = ()):
        self.source = source
        self.what = what
        self.sheet = sheet
        self.kind = kind  # csv | xlsx | frame
        self.delimiter = delimiter
        self._grids = grids
        self._digest = digest
        self._sha256 = sha256
        self._lines = lines
        self.text_columns = tuple(dict.fromkeys(text_columns))
        self._pending: Iterator[pd.DataFrame] | None = grids()
        try:
            first = next(self._pending, None)
            grid, breaks, codes = self._cleaned(first) if first is not None else (None, None, None)
            self.columns: tuple[str, ...] = self._header(grid)
            self._ledger = LineLedger(source)
            if breaks is not None:
                self._check_breaks(breaks.iloc[:1], header=True)
        except BaseException:
            getattr(self._pending, "close", lambda: None)()  # the file is closed now, not when collected
            raise
        self._first_body = ((grid.iloc[1:], breaks.iloc[1:] if breaks is not None else None, codes.take(slice(1, None)))
                            if grid is not None else None)

    @property
    def sha256(self) -> str | None:
        return self._digest() if self._digest is not None else self._sha256

    def chunks(self) -> Iterator[TextTable]:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            first, self._first_body = self._first_body, None
            grids = chain([first] if first is not None else [], (self._cleaned(g) for g in pending))
        else:
            grids = (self._cleaned(g) for g in _skip_header(self._grids()))
        self._ledger = LineLedger(self.source)  # line breaks inside the free-text cells read so far
        records = 1  # the header
        for grid, breaks, codes in grids:
            table = self._body(grid, breaks, codes)
            records += table.rows_read
            yield table
        self._check_lines(records)

    def read_all(self) -> TextTable:
        """The whole body as one table."""
        parts = list(self.chunks())
        cells = (pd.concat([p.cells for p in parts], ignore_index=True) if len(parts) > 1
                 else parts[0].cells if parts else pd.DataFrame(columns=list(self.columns)))
        rows_read = sum(p.rows_read for p in parts)
        codes = CellCodes.concat([p.codes for p in parts]) if len(parts) > 1 else parts[0].codes if parts else None
        return TextTable(self.source, cells, tuple(chain.from_iterable(p.rows for p in parts)), self.sha256,
                         rows_read, tuple(chain.from_iterable(p.blank_rows for p in parts)), self.sheet,
                         lines_read=self.lines_read, text_lines=sum(p.text_lines for p in parts), codes=codes)

    @property
    def lines_read(self) -> int | None:
        """Physical lines below the header (CSV, once read to the end; the header is one line)."""
        lines = self._lines() if self._lines is not None else None
        return lines - 1 if lines else lines

    # ---- the header ----
    def _where(self, row: int | None = None, column: str | None = None) -> Location:
        return Location(file=self.source, sheet=self.sheet, row=row, column=column)

    def _header(self, grid: pd.DataFrame | None) -> tuple[str, ...]:
        noun = "sheet" if self.kind == "xlsx" else "file"
        if grid is None or grid.empty:
            raise InputError(Problem(f"{self.what} {noun} is empty (no header row)", self._where()))
        header = list(grid.iloc[0])
        while header and header[-1] == "":
            header.pop()  # cells past the last header: blank ones are stray commas; data is a ragged row (below)
        if "case_id" not in header:  # case files keep exact names
            known = {column_key(k): k for k in KNOWN_COLUMNS.get(self.what, ())}
            header = [known.get(column_key(name), name) if name else name for name in header]
        if len(header) == 1:
            self._one_column_header(header[0])
        self._displaced_header(grid, header)
        if not header:
            raise InputError(Problem(f"{self.what} {noun} is empty (no header row)", self._where()))
        problems = []
        seen: set[str] = set()
        for i, name in enumerate(header):
            if not name:
                problems.append(Problem(f"column {i + 1} has no header", self._where(1)))
            elif name in seen or seen.add(name):
                problems.append(Problem("column header appears twice", self._where(1, name)))
        if problems:
            raise InputError(problems[:MAX_PROBLEMS])
        return tuple(header)

    def _one_column_header(self, name: str) -> None:
        """A one-column header holding another delimiter: the file was split on the wrong character."""
        others = [d for d in DELIMITER_NAMES if (d != self.delimiter or self.kind != "csv") and d in name]
        if not others:
            return
        found = DELIMITER_NAMES[others[0]]
        if self.kind == "csv":
            hint = " (as Excel's 'Unicode text' is)" if others[0] == "\t" else ""
            option = "tab" if others[0] == "\t" else f"'{others[0]}'"
            message = (f"the header is a single column containing a {found}: the file looks {found}-separated{hint}; "
                       f"use --delimiter {option}")
        else:
            message = (f"the header is a single cell containing a {found}: the column names were not split into "
                       "columns (in Excel: Data > Text to Columns)")
        raise InputError(Problem(message, self._where(1)))

    def _displaced_header(self, grid: pd.DataFrame, header: list[str]) -> None:
        """A title row (or blank rows) above the header: name the row that looks like the header."""
        keys = HEADER_KEYS.get(self.what)
        if not keys or set(keys) & set(header):
            return
        for r in range(1, min(len(grid), HEADER_SEARCH_ROWS)):
            row = {column_key(cell) for cell in grid.iloc[r]}
            found = [k for k in keys if k in row]
            if found:
                above = "blank rows" if not header else "title or other rows"
                raise InputError(Problem(
                    f"the header must be row 1, but row {r + 1} looks like the header (it has {found[0]!r}): "
                    f"delete the {above} above it", self._where(1)))

    # ---- the body ----
    def _body(self, grid: pd.DataFrame, breaks: pd.DataFrame | None, codes: CellCodes) -> TextTable:
        width = len(self.columns)
        self._cells = getattr(self, "_cells", 0) + len(grid) * max(width, grid.shape[1])
        if self._cells > MAX_CELLS:
            raise InputError(Problem(f"the table is larger than {MAX_CELLS:,} cells (rows x columns) by row "
                                     f"{int(grid.index[-1]) + 1:,}; split the file, or delete unused columns and rows",
                                     self._where()))
        text_lines = self._check_breaks(breaks) if breaks is not None else 0
        blank_cells = codes.blank[codes.codes]  # (rows, columns read), one lookup per cell
        filled = ~blank_cells[:, width:]
        if filled.any():
            first = int(grid.index[filled.any(axis=1)][0])
            raise InputError(Problem(f"row has more cells than the header's {width}", self._where(first + 1)))
        body = grid.iloc[:, :width]
        blank = blank_cells[:, :width].all(axis=1)
        if body.shape[1] < width:  # a chunk of short rows (csv module path): pad with blank cells
            body = body.reindex(columns=range(width), fill_value="")
            kept = None
        else:
            kept = codes.take(~blank, slice(0, width))
        body.columns = list(self.columns)
        positions = body.index.to_numpy()
        cells = body[~blank].reset_index(drop=True)
        return TextTable(self.source, cells, tuple((positions[~blank] + 1).tolist()), None, len(body),
                         tuple((positions[blank] + 1).tolist()), self.sheet, text_lines=text_lines, codes=kept)

    # ---- lines: a quote left open must not swallow the lines after it ----
    def _cleaned(self, grid: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None, CellCodes]:
        """The stripped grid, (CSV) the line breaks inside each cell (None where there are none), and
        the stripped cells as codes."""
        codes, distinct = _factorized(grid)  # once, for all three
        breaks = line_breaks(codes.ravel(), distinct, grid.shape, grid.index) if self.kind == "csv" else None
        stripped = _stripped(distinct)
        return _cleaned(grid, codes, stripped), breaks, CellCodes(codes, stripped, stripped == "")

    def _check_breaks(self, breaks: pd.DataFrame, header: bool = False) -> int:
        return self._ledger.check(breaks, self.columns, () if header else self.text_columns)

    def _check_lines(self, records: int) -> None:
        self._ledger.check_total(self._lines() if self._lines is not None else None, records)


def _skip_header(grids: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for n, grid in enumerate(grids):
        yield grid.iloc[1:] if n == 0 else grid


#: Chunks up to this many columns are factorized column by column (small hash tables: twice as fast
#: on a case file); a wider chunk all at once, so time stays linear in its cells however wide the
#: file (per-column work in pandas costs a fixed overhead per column).
COLUMNWISE_UP_TO = 256


def _factorized(grid: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The grid as codes (rows x columns) into distinct texts; a missing cell's code is len(distinct)."""
    if grid.shape[1] > COLUMNWISE_UP_TO:
        positions, distinct = pd.factorize(grid.to_numpy(dtype=object).ravel())
        codes = positions.astype(np.int32).reshape(grid.shape)  # (a table holds at most MAX_CELLS cells)
    else:
        codes = np.empty(grid.shape, dtype=np.int32)
        parts: list[np.ndarray] = []
        offset = 0
        for j in range(grid.shape[1]):
            positions, texts = pd.factorize(grid.iloc[:, j].to_numpy(dtype=object))
            codes[:, j] = np.where(positions < 0, -1, positions + offset)
            parts.append(np.asarray(texts, dtype=object))
            offset += len(texts)
        distinct = np.concatenate(parts) if parts else np.empty(0, dtype=object)
    codes[codes < 0] = len(distinct)
    return codes, distinct


def _stripped(distinct) -> np.ndarray:
    """Each distinct text stripped, then the "" that a missing cell (code len(distinct)) reads as."""
    return np.array([str(text).strip() for text in distinct] + [""], dtype=object)


def _cleaned(grid: pd.DataFrame, codes: np.ndarray, stripped: np.ndarray) -> pd.DataFrame:
    """Every cell as stripped text, each distinct text stripped once (answer columns hold a handful).
    (Building the frame from one array: assignment into a wide DataFrame is quadratic in the columns.)"""
    return pd.DataFrame(stripped[codes], index=grid.index, columns=grid.columns, dtype=object)
