"""What a workbook made by ratings-engine says about itself: the rulebook it is for.

`rate template` (a blank case workbook) and `rate export` write an `About` sheet of items and
values (header `Item`, `Value` in row 1). Its `Format` item, `ratings-engine workbook 1`, marks
it; `Rulebook` names the rulebook (with its version and sha256). Rating such a workbook needs
no options: its sheets are found by name (Cases or Tallies, Judgements, Draft: see
`xlsx_files.choose_sheet`) and its rulebook is used unless one is given (`api.rate`, which says
so in the report's notes). Any other workbook (or one whose About sheet was removed) is an
ordinary workbook.

Reading is bounded (the first 200 rows of the About sheet, 500 characters a cell) and never
fails: a workbook that cannot be read here is reported by the reader that opens it properly.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ..model.extras import require

ABOUT_SHEET = "About"
FORMAT_KEY = "Format"
WORKBOOK_FORMAT = "ratings-engine workbook 1"
MAX_ROWS = 200
MAX_CELL = 500


@dataclass(frozen=True)
class WorkbookInfo:
    path: str
    rulebook: str | None
    rulebook_version: str | None
    rulebook_sha256: str | None


def workbook_info(path: str | Path) -> WorkbookInfo | None:
    """The About sheet of a workbook made by ratings-engine; None for any other file."""
    path = Path(path)
    if path.suffix.lower() not in (".xlsx", ".xlsm") or not path.is_file():
        return None
    load_workbook = require("openpyxl", f"reading {path} (an .xlsx workbook)").load_workbook
    try:
        book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not readable here: the proper reader reports it
        return None
    try:
        if ABOUT_SHEET not in book.sheetnames:
            return None
        items: dict[str, str] = {}
        for n, row in enumerate(book[ABOUT_SHEET].iter_rows(max_col=2, values_only=True)):
            if n >= MAX_ROWS:
                break
            if n == 0:
                if [str(c or "").strip() for c in row[:2]] != ["Item", "Value"]:
                    return None
                continue
            key, value = (list(row) + [None, None])[:2]
            if key is not None and value is not None:
                items.setdefault(str(key).strip()[:MAX_CELL], str(value).strip()[:MAX_CELL])
        if items.get(FORMAT_KEY) != WORKBOOK_FORMAT:
            return None
        return WorkbookInfo(str(path), items.get("Rulebook") or None, items.get("Rulebook version") or None,
                            items.get("Rulebook sha256") or None)
    except Exception:  # noqa: BLE001
        return None
    finally:
        book.close()
