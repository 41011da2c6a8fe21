"""Columns about units rather than cases: `region` and `inspection_date`.

A case file (or tally file) may say, on every row, which region the row's unit (a PDU) belongs
to, and on which date the unit was inspected. Both are properties of the unit: every row of a
unit must give the same value. A blank region or date, a unit given two regions or two dates,
and a date not written as YYYY-MM-DD are errors naming the file, row and column.

A regional run may instead take a units file (`read_regions`): columns `unit` and `region`,
one row per unit.
"""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ..model.errors import InputError, Location, Problem
from .tables import MAX_PROBLEMS, TextTable, read_table, sheet_locations, shown

REGION, INSPECTION_DATE = "region", "inspection_date"
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?$")  # a workbook's date cell reads as midnight


def parse_date(text: str) -> date | None:
    """A YYYY-MM-DD date (a workbook's 'YYYY-MM-DD 00:00:00' too), or None."""
    match = _DATE.match(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


class UnitColumns:
    """Collects each unit's region and inspection date from the rows that carry them."""

    def __init__(self, columns) -> None:
        self.has_region = REGION in columns
        self.has_date = INSPECTION_DATE in columns
        self.regions: dict[str, str] = {}
        self.dates: dict[str, date] = {}
        self._first: dict[tuple[str, str], int] = {}

    @property
    def any(self) -> bool:
        return self.has_region or self.has_date

    def add(self, unit: str, values: dict[str, str], where, problems: list[Problem]) -> None:
        """One row's values (`where(column)` locates a cell)."""
        if self.has_region:
            self._one(unit, REGION, values.get(REGION, ""), values.get(REGION, "").strip(), where, problems)
        if self.has_date:
            text = values.get(INSPECTION_DATE, "")
            day = parse_date(text) if text.strip() else None
            if text.strip() and day is None:
                problems.append(Problem(f"inspection_date {shown(text)} is not a date written YYYY-MM-DD",
                                        where(INSPECTION_DATE)))
                return
            self._one(unit, INSPECTION_DATE, text, day, where, problems)

    def add_table(self, table: TextTable, units, problems: list[Problem]) -> None:
        """Every row of a chunk (`units[i]` the unit of row i); only distinct value combinations are checked."""
        if not self.any:
            return
        names = [c for c in (REGION, INSPECTION_DATE) if c in table.cells.columns]
        seen: set[tuple] = set()
        columns = [table.cells[c].tolist() for c in names]
        for i, unit in enumerate(units):
            key = (unit, *(col[i] for col in columns))
            if key in seen:
                continue
            seen.add(key)
            self.add(unit, dict(zip(names, key[1:])), lambda c, i=i: table.where(i, c), problems)
            if len(problems) >= MAX_PROBLEMS:
                return

    def _one(self, unit: str, column: str, text: str, value, where, problems: list[Problem]) -> None:
        store = self.regions if column == REGION else self.dates
        if not text.strip():
            problems.append(Problem(f"blank {column} (every row of unit {unit!r} needs one)", where(column)))
            return
        if unit not in store:
            store[unit] = value
            self._first[(unit, column)] = where(column).row
        elif store[unit] != value:
            problems.append(Problem(f"unit {unit!r} has {column} {store[unit]!s} in row {self._first[(unit, column)]} "
                                    f"and {value!s} here: one {column} per unit", where(column)))

    def keep(self, units) -> tuple[dict[str, str], dict[str, date]]:
        """The regions and dates of the units kept (e.g. after --unit)."""
        wanted = set(units)
        return ({u: r for u, r in self.regions.items() if u in wanted},
                {u: d for u, d in self.dates.items() if u in wanted})


def read_regions(path: str | Path, *, sheet: str | None = None, encoding: str | None = None,
                 delimiter: str | None = None) -> dict[str, str]:
    """A units file: columns `unit` and `region`, one row per unit (PDU) naming its region."""
    table = read_table(path, "units", sheet=sheet, encoding=encoding, delimiter=delimiter)
    with sheet_locations(table):
        src = table.source
        cells = table.cells
        problems: list[Problem] = []
        for column in cells.columns:
            if column not in ("unit", REGION):
                problems.append(Problem("unknown column (a units file has columns unit, region)",
                                        Location(file=src, row=1, column=column)))
        for column in ("unit", REGION):
            if column not in cells.columns:
                problems.append(Problem(f"no {column!r} column (a units file has columns unit, region)",
                                        Location(file=src, row=1)))
        if problems:
            raise InputError(problems)
        collected = UnitColumns([REGION])
        for i, (unit, region) in enumerate(zip(cells["unit"], cells[REGION])):
            if not unit.strip():
                problems.append(Problem("blank unit", table.where(i, "unit")))
                continue
            collected.add(unit, {REGION: region}, lambda c, i=i: table.where(i, c), problems)
        if problems:
            raise InputError(problems[:MAX_PROBLEMS])
        if not collected.regions:
            raise InputError(f"{src}: no units (the file has a header but no rows)")
        return collected.regions
