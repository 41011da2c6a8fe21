"""Write cases/redcar-cleveland-middlesbrough.xlsx: the example's CSV files as one workbook.

Sheets: Cases (the case file), Judgements, Draft (the draft with one difference). Run from the
repository root after changing any of the CSV files:

    python3 cases/make_xlsx.py

Cells are written as text, exactly as in the CSV files (a score like 9/24 stays text), so
reading the workbook gives the same ratings as reading the CSV files.
"""
from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = {
    "Cases": HERE / "redcar-cleveland-middlesbrough.csv",
    "Judgements": HERE / "redcar-cleveland-middlesbrough-judgements.csv",
    "Draft": HERE / "redcar-cleveland-middlesbrough-draft.csv",
}


def main(target: Path = HERE / "redcar-cleveland-middlesbrough.xlsx") -> Path:
    sys.path.insert(0, str(HERE.parent))
    from ratings_engine.io.spreadsheets import Sheet, write_xlsx

    sheets = []
    for title, path in SOURCES.items():
        with path.open(encoding="utf-8-sig", newline="") as f:
            header, *rows = list(csv.reader(f))
        sheets.append(Sheet(title, header, rows))
    write_xlsx(target, sheets, created=dt.datetime(2024, 1, 1))
    return target


if __name__ == "__main__":
    print(f"wrote {main()}")
