"""Raw cell grids: the common form every table reader (CSV, worksheet) produces in chunks."""
from __future__ import annotations

import pandas as pd


def grid_of(records: list[list[str]], start: int) -> pd.DataFrame:
    """A raw grid chunk from rows of cells (short rows padded) that start at 0-based file row `start`."""
    width = max(map(len, records), default=0)
    if min(map(len, records), default=0) != width:
        records = [row + [""] * (width - len(row)) for row in records]
    return pd.DataFrame(records, index=pd.RangeIndex(start, start + len(records)), dtype=object)
