"""A table's cells as codes into its distinct texts, so column checks never compare text cell by cell.

The table reader factorizes each chunk to strip every distinct text once (`tables._factorized`);
it keeps those codes. A column of 60,000 answers holds a handful of distinct spellings, so "which
cells are blank" or "which spellings occur" is a lookup per distinct text and an array gather,
not 60,000 string comparisons (about 25 ms per million cells saved on each such question).
`blank_cells` and `factorized` take a `tables.TextTable` (which holds its `CellCodes`; this module
is below it) and fall back to the cell texts for a table without codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CellCodes:
    """`texts[codes[i, j]]` is the stripped text of cell (i, j); `blank[k]`: texts[k] is empty."""

    codes: np.ndarray  # (rows, columns) of int32 indexes into texts
    texts: np.ndarray  # object array of distinct stripped texts
    blank: np.ndarray  # bool, one per text

    def take(self, rows=slice(None), columns=slice(None)) -> CellCodes:
        return CellCodes(self.codes[rows, columns], self.texts, self.blank)

    @staticmethod
    def concat(parts: Sequence[CellCodes | None]) -> CellCodes | None:
        """The codes of chunks read one after another (None if any chunk has none)."""
        if not parts or any(p is None for p in parts):
            return None
        offsets = np.cumsum([0] + [len(p.texts) for p in parts[:-1]])
        return CellCodes(np.concatenate([p.codes + np.int32(o) for p, o in zip(parts, offsets)]),
                         np.concatenate([p.texts for p in parts]), np.concatenate([p.blank for p in parts]))


def blank_cells(table: Any, column: str) -> np.ndarray:
    """Whether each cell of a column is blank (bool per row)."""
    if table.codes is None:
        return (table.cells[column] == "").to_numpy()
    return table.codes.blank[table.codes.codes[:, table.cells.columns.get_loc(column)]]


def factorized(table: Any, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A column as (positions, distinct texts), as `pd.factorize` gives them (the distinct texts may
    come in another order)."""
    if table.codes is None:
        return pd.factorize(table.cells[column].to_numpy(dtype=object))
    column_codes = table.codes.codes[:, table.cells.columns.get_loc(column)]
    used = np.flatnonzero(np.bincount(column_codes, minlength=len(table.codes.texts)))
    remap = np.zeros(len(table.codes.texts), dtype=np.intp)
    remap[used] = np.arange(len(used))
    return remap[column_codes], table.codes.texts[used]
