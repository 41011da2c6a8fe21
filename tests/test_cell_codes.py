"""The table reader's cell codes (io/cell_codes.py): the column checks they answer agree with the
cell texts themselves, whichever way a chunk was factorized (column by column, or all at once for
a wide file), across chunks, and with the blank rows dropped."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine.io import tables
from ratings_engine.io.cell_codes import blank_cells, factorized
from ratings_engine.io.tables import open_table, table_from_frame

texts = st.sampled_from(["", " ", "Yes", " yes ", "No", "N/A", "x,y", "a\u00a0", "C1", "C2"])


@st.composite
def frames(draw):
    width = draw(st.integers(1, 5))
    rows = draw(st.lists(st.lists(texts, min_size=width, max_size=width), min_size=0, max_size=30))
    return pd.DataFrame(rows, columns=[f"c{j}" for j in range(width)], dtype=object)


def _checks(table):
    """Per column: the blank cells and each cell's text through its factorized codes."""
    out = {}
    for column in table.cells.columns:
        positions, distinct = factorized(table, column)
        out[column] = (blank_cells(table, column).tolist(), [distinct[p] for p in positions])
    return out


def _by_text(table):
    """The same answers from the texts alone (no codes): what the codes must agree with."""
    cells = table.cells
    return {c: ((cells[c] == "").tolist(), cells[c].tolist()) for c in cells.columns}


@settings(max_examples=80, deadline=None)
@given(frame=frames(), wide=st.booleans())
def test_codes_answer_as_the_texts_do(frame, wide):
    limit = tables.COLUMNWISE_UP_TO
    try:
        tables.COLUMNWISE_UP_TO = 0 if wide else limit  # 0: every chunk factorized whole, as a wide file's
        table = table_from_frame(frame, "f.csv", "case")
    finally:
        tables.COLUMNWISE_UP_TO = limit
    assert table.codes is not None
    assert _checks(table) == _by_text(table)
    plain = table_from_frame(frame, "f.csv", "case")  # the default way: the same cells and rows
    pd.testing.assert_frame_equal(table.cells, plain.cells)
    assert (table.rows, table.blank_rows) == (plain.rows, plain.blank_rows)
    # every non-blank row is kept: stripped, its cells are not all empty
    expected_kept = [i + 2 for i, row in enumerate(frame.itertuples(index=False)) if any(str(v).strip() for v in row)]
    assert list(table.rows) == expected_kept


def test_codes_span_chunks(tmp_path):
    path = tmp_path / "c.csv"
    rows = ["case_id,2.1.1,note"] + [f"C{i}, {'Yes' if i % 3 else ' No'} ,{'' if i % 2 else 'x'}" for i in range(25)]
    rows[7] = ",,"  # a blank row in the first chunk
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    table = open_table(path, "case", chunk_rows=10).read_all()
    assert table.codes is not None and len(table.codes.codes) == len(table.cells) == 24
    assert table.blank_rows == (8,)
    assert _checks(table) == _by_text(table)
    positions, distinct = factorized(table, "2.1.1")
    assert sorted(set(distinct[positions])) == ["No", "Yes"]
    assert blank_cells(table, "note").sum() == sum(1 for i in range(25) if i != 6 and i % 2)


def test_a_table_without_codes_is_checked_by_its_texts():
    table = table_from_frame(pd.DataFrame({"a": ["x", "", "y"], "b": ["1", "2", ""]}), "f.csv", "case")
    bare = tables.replace(table, codes=None)
    assert _checks(bare) == _checks(table) == _by_text(table)
    assert np.asarray(blank_cells(bare, "b")).tolist() == [False, False, True]
