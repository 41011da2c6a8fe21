"""Physical lines of a CSV file against the rows parsed from it: a stray quote loses nothing silently.

A quote that is never closed (or two stray quotes) makes a CSV parser read every line up to the
next quote as one cell: the rows inside vanish, and a count of parsed rows cannot see it. So the
table reader checks two things as it reads (`LineLedger`):

- a cell holding a line break is refused, naming the line where its quote opened, unless its
  column is declared free text (`--text-column`), where the line breaks are counted instead;
- at the end, the file's physical lines (counted by `csv_files` as the text is read) equal the
  rows parsed (header included) plus the line breaks inside free-text cells.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..model.errors import InputError, Location, Problem


def line_breaks(positions: np.ndarray, distinct, shape: tuple, index: pd.Index) -> pd.DataFrame | None:
    """Line breaks (\\n, \\r, \\r\\n) inside each raw cell of a grid chunk, or None when no cell holds
    one (the usual case, found by one scan of the chunk's distinct texts). `positions`, `distinct`: the
    chunk's cells factorized (as the table reader strips them), `shape` and `index` the chunk's."""
    joined = "\x00".join(map(str, distinct))
    if "\n" not in joined and "\r" not in joined:
        return None
    n = np.array([_breaks(str(t)) for t in distinct] + [0], dtype=np.int64)
    return pd.DataFrame(n[positions].reshape(shape), index=index)


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class LineLedger:
    """Line breaks inside free-text cells so far, to find the physical line where a row starts."""

    def __init__(self, source: str):
        self.source = source
        self.text_lines = 0

    def check(self, breaks: pd.DataFrame, columns: Sequence[str], text_columns: Sequence[str]) -> int:
        """Refuse a cell spanning lines outside `text_columns`; count (and return) the line breaks
        inside those. `breaks`: one chunk's `line_breaks`, indexed by 0-based record."""
        counts = breaks.to_numpy()
        text = np.array([i < len(columns) and columns[i] in text_columns for i in range(counts.shape[1])], dtype=bool)
        in_text = counts[:, text].sum(axis=1)
        before = np.concatenate(([0], np.cumsum(in_text)[:-1]))  # text line breaks of earlier rows in the chunk
        bad = np.argwhere(counts[:, ~text] > 0)
        if len(bad):
            r, c = bad[0]
            column = int(np.flatnonzero(~text)[c])
            record = int(breaks.index[r])
            opened = record + 1 + self.text_lines + int(before[r])
            n = int(counts[r, column])
            name = columns[column] if record and column < len(columns) else None
            raise InputError(Problem(
                f"a quoted cell opened here runs over {n + 1} lines, to line {opened + n} (a quote that is never "
                "closed swallows the lines after it): close the quote"
                + (f", or declare the column as free text with --text-column {name!r}" if name else ""),
                Location(file=self.source, line=opened, column=name)))
        extra = int(in_text.sum())
        self.text_lines += extra
        return extra

    def check_total(self, lines: int | None, records: int) -> None:
        """Every physical line is part of a record (the header, a row, or a free-text cell)."""
        if lines is not None and lines != records + self.text_lines:
            made = records + self.text_lines
            raise InputError(Problem(
                f"the file has {lines} lines, but its {records} rows (header included) and {self.text_lines} line "
                f"breaks inside free-text cells make {made}: a quote is never closed before the end of the file; "
                "check the quotes of the last rows", Location(file=self.source)))
