"""Evidence as validated values: case answers, tallies and judgements, ready to be rated.

The io readers (`io.cases`, `io.tallies`, `io.judgements`) build these from files or
DataFrames; everything above takes them as given. Answer codes: SUFFICIENT 1, INSUFFICIENT 0,
NOT_APPLICABLE -1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Literal

import pandas as pd

from .audit import Audit

#: Columns of a tally table: one row per unit and key question (`applicable` = sufficient + insufficient).
TALLY_COLUMNS = ["unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable"]

SUFFICIENT, INSUFFICIENT, NOT_APPLICABLE = 1, 0, -1

ANSWER_SPELLINGS: dict[str, int] = {
    **dict.fromkeys(["yes", "y", "sufficient"], SUFFICIENT),
    **dict.fromkeys(["no", "n", "insufficient"], INSUFFICIENT),
    **dict.fromkeys(["n/a", "na", "n.a.", "not applicable"], NOT_APPLICABLE),
}
BlankPolicy = Literal["error", "not-applicable"]


@dataclass(frozen=True)
class ReadOptions:
    """How input files are read (the CLI's shared input options): CSV encoding and delimiter, the
    worksheets of workbooks, what a blank answer means, columns skipped on purpose."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    judgements_sheet: str | None = None
    blank: BlankPolicy = "error"
    ignore_columns: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()  # free text: quoted cells may span lines of a CSV (skipped like ignored)


@dataclass(frozen=True)
class CaseEvidence:
    """Validated case answers for one or more units.

    `answers` has one row per case, a MultiIndex (`unit`, `case_id`) and one int8 column per
    key-question id present in the input, holding SUFFICIENT (1), INSUFFICIENT (0) or
    NOT_APPLICABLE (-1). Key questions of the rulebook without a column are absent, and a
    standard with none of its columns is not inspected.
    """

    answers: pd.DataFrame
    source: str
    sha256: str | None
    audit: Audit
    warnings: tuple[str, ...] = ()  # e.g. a unit spelt two ways, cases with no answers
    regions: dict[str, str] = field(default_factory=dict)  # unit -> its region (a `region` column)
    inspection_dates: dict[str, date] = field(default_factory=dict)  # unit -> date (an `inspection_date` column)

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.answers.index.get_level_values("unit")))

    @property
    def key_questions(self) -> tuple[str, ...]:
        return tuple(self.answers.columns)


@dataclass(frozen=True)
class Judgement:
    unit: str | None  # None: applies to every unit rated
    standard: str
    rating: str
    reason: str | None
    source: str
    row: int
    sheet: str | None = None  # the worksheet, for a judgement read from an .xlsx workbook

    @property
    def where(self) -> str:
        """Where the judgement was given: 'file row 2', or 'file, sheet 'Judgements', row 2'."""
        if self.sheet:
            return f"{self.source}, sheet {self.sheet!r}, row {self.row}"
        return f"{self.source} row {self.row}"


@dataclass(frozen=True)
class Judgements:
    items: tuple[Judgement, ...]
    source: str
    sha256: str | None
    audit: Audit

    def for_unit(self, unit: str) -> dict[str, Judgement]:
        by_unit = self._by_unit
        rows = sorted(by_unit.get(None, ()) + by_unit.get(unit, ()))  # file order: a later row wins
        return {self.items[i].standard: self.items[i] for i in rows}

    @cached_property
    def _by_unit(self) -> dict[str | None, tuple[int, ...]]:
        """Item positions per unit, built once (for_unit is called per unit; a scan each time is quadratic)."""
        grouped: dict[str | None, list[int]] = {}
        for i, j in enumerate(self.items):
            grouped.setdefault(j.unit, []).append(i)
        return {u: tuple(rows) for u, rows in grouped.items()}


@dataclass(frozen=True)
class TallyEvidence:
    """Validated tallies for one or more units: `tallies` has the columns of `TALLY_COLUMNS`."""

    tallies: pd.DataFrame
    source: str
    sha256: str | None
    audit: Audit
    warnings: tuple[str, ...] = ()  # e.g. a unit spelt two ways
    regions: dict[str, str] = field(default_factory=dict)  # unit -> its region (a `region` column)
    inspection_dates: dict[str, date] = field(default_factory=dict)  # unit -> date (an `inspection_date` column)

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(self.tallies["unit"]))

    @property
    def key_questions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.tallies["key_question"]))
