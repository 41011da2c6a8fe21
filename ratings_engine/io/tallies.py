"""Tallies as evidence: per unit and key question, counts instead of case rows.

Historical inspections often survive only as published counts and percentages. A tally file
has one row per unit and key question:

    unit,key_question,sufficient,applicable[,not_applicable][,insufficient]

`applicable` = sufficient + insufficient (cases answered yes or no). `not_applicable` is
optional (default 0; it never changes a rating). `insufficient` is optional too, and when given
must equal applicable - sufficient, so the tally table the engine itself produces
(`model.evidence.TALLY_COLUMNS`) can be read back. `unit` is optional as in case files (default: the
file name, or `--unit`).

A file is recognised as a tally file by its header: it has a `key_question` column (case files
have `case_id`, judgement files `standard` and `rating`). It is validated like a case file:
unknown key questions, blank cells, non-integers, negatives, sufficient > applicable, a unit and
key question given twice, and a standard with some but not all of its key questions are errors
naming the file, row and column.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.evidence import TALLY_COLUMNS, TallyEvidence
from ..model.suggest import did_you_mean
from .cases import partial_standards
from .unit_columns import UnitColumns
from .tables import (
    MAX_PROBLEMS,
    FirstRows,
    TextTable,
    read_table,
    sheet_locations,
    shown,
    table_from_frame,
    unit_spelling_warnings,
)

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

REQUIRED = ("key_question", "sufficient", "applicable")
OPTIONAL = ("unit", "not_applicable", "insufficient", "region", "inspection_date")
COUNT_COLUMNS = ("sufficient", "applicable", "not_applicable", "insufficient")
#: Guard against absurd counts (a typo such as an extra zero is still caught by sufficient <= applicable).
MAX_COUNT = 1_000_000


def is_tally_header(columns: Iterable[str]) -> bool:
    """A header is a tally file's if it has a `key_question` column and no `case_id` column."""
    names = {str(c).strip() for c in columns}
    return "key_question" in names and "case_id" not in names


def read_tallies(path: str | Path, rulebook: Rulebook, *, unit: str | None = None,
                 ignore_columns: tuple[str, ...] = (), sheet: str | None = None, encoding: str | None = None,
                 delimiter: str | None = None) -> TallyEvidence:
    """Read and validate a tally file (CSV, or a worksheet of an .xlsx file)."""
    table = read_table(path, "tally", sheet=sheet, encoding=encoding, delimiter=delimiter)
    with sheet_locations(table):
        return tallies_from_table(table, rulebook, unit=unit, default_unit=unit or Path(path).stem,
                                  ignore_columns=ignore_columns)


def tallies_from_frame(frame: pd.DataFrame, rulebook: Rulebook, *, unit: str | None = None,
                       ignore_columns: tuple[str, ...] = (), source: str = "<tallies DataFrame>") -> TallyEvidence:
    """Validate tallies given as a DataFrame (same columns as the CSV)."""
    table = table_from_frame(frame, source, "tally")
    return tallies_from_table(table, rulebook, unit=unit, default_unit=unit or "unit", ignore_columns=ignore_columns)


def tallies_from_table(table: TextTable, rulebook: Rulebook, *, unit: str | None = None,
                       default_unit: str = "unit", ignore_columns: tuple[str, ...] = ()) -> TallyEvidence:
    src = table.source
    cells = table.cells
    audit = Audit(src, rows_read=table.rows_read, sheet=table.sheet, lines_read=table.lines_read,
                  text_lines=table.text_lines)
    audit.skip("blank row", len(table.blank_rows))
    problems: list[Problem] = []

    header = Location(file=src, row=1)
    for column in REQUIRED:
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (a tally file has columns unit, key_question, "
                                    "sufficient, applicable and optionally not_applicable, insufficient)", header))
    ignored = set(ignore_columns)
    for name in sorted(ignored - set(cells.columns)):
        problems.append(Problem(f"--ignore-column {name!r} names no column of the file", header))
    for column in cells.columns:
        if column not in REQUIRED and column not in OPTIONAL and column not in ignored:
            problems.append(Problem("unknown column in a tally file (expected unit, key_question, sufficient, "
                                    "applicable, not_applicable, insufficient); use --ignore-column to skip it",
                                    Location(file=src, row=1, column=column)))
    if problems:
        raise InputError(problems)

    known = set(rulebook.key_question_ids)
    has_unit = "unit" in cells.columns
    unit_columns = UnitColumns(cells.columns)  # region and inspection_date: one value per unit
    records = []
    first = FirstRows()
    for i, row in enumerate(cells.to_dict("records")):
        row_problems: list[Problem] = []
        unit_name = row["unit"] if has_unit else default_unit
        if has_unit and unit_name == "":
            row_problems.append(Problem("blank unit", table.where(i, "unit")))
        elif unit_columns.any:
            unit_columns.add(unit_name, row, lambda c, i=i: table.where(i, c), row_problems)
        kq = row["key_question"]
        if kq == "":
            row_problems.append(Problem("blank key_question", table.where(i, "key_question")))
        elif kq not in known:
            std = rulebook.standards_by_id.get(kq)
            hint = (f"; {kq!r} is a standard, give one row per key question "
                    f"({', '.join(k.id for k in std.case_key_questions)})" if std is not None and std.case_key_questions
                    else f"{did_you_mean(kq, rulebook.key_question_ids)}; rulebook {rulebook.id} has "
                         f"{', '.join(rulebook.key_question_ids)}")
            row_problems.append(Problem(f"unknown key question {shown(kq)}{hint}", table.where(i, "key_question")))
        counts: dict[str, int] = {}
        for column in COUNT_COLUMNS:
            if column not in cells.columns:
                continue
            value = _count(row[column], table, i, column, row_problems)
            if value is not None:
                counts[column] = value
        s, a = counts.get("sufficient"), counts.get("applicable")
        if s is not None and a is not None and s > a:
            row_problems.append(Problem(f"sufficient ({s}) is more than applicable ({a})", table.where(i, "sufficient")))
        if "insufficient" in counts and s is not None and a is not None and s <= a and counts["insufficient"] != a - s:
            row_problems.append(Problem(f"insufficient ({counts['insufficient']}) is not applicable - sufficient "
                                        f"({a} - {s} = {a - s})", table.where(i, "insufficient")))
        earlier = None if row_problems else first.repeat_of((unit_name, kq), table.rows[i])
        if earlier is not None:
            row_problems.append(Problem(f"key question {kq} given twice for unit {unit_name!r} (first in row {earlier})",
                                        table.where(i, "key_question")))
        elif not row_problems:
            records.append((unit_name, kq, s, a - s, counts.get("not_applicable", 0), a, i))
        problems.extend(row_problems)
        if len(problems) > MAX_PROBLEMS:
            break
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    if not records:
        raise InputError(f"{src}: no tallies (the file has a header but no tally rows)")

    frame = pd.DataFrame([r[:6] for r in records], columns=TALLY_COLUMNS)
    rows_of = [r[6] for r in records]

    # Every standard is given whole or not at all, per unit (as for case files).
    for unit_name, group in frame.groupby("unit", sort=False):
        for message, have in partial_standards(rulebook, set(group["key_question"]), "rows for"):
            at = rows_of[int(group.index[group["key_question"].isin(have)][0])]
            problems.append(Problem(f"unit {unit_name!r}: {message}",
                                    Location(file=src, row=table.rows[at], column="key_question")))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])

    # Key questions in rulebook order within each unit, units in file order.
    order = {k: n for n, k in enumerate(rulebook.key_question_ids)}
    unit_order = {u: n for n, u in enumerate(dict.fromkeys(frame["unit"]))}
    frame = frame.assign(_u=frame["unit"].map(unit_order), _k=frame["key_question"].map(order))
    frame = frame.sort_values(["_u", "_k"], kind="stable").drop(columns=["_u", "_k"]).reset_index(drop=True)
    for column in TALLY_COLUMNS[2:]:
        frame[column] = frame[column].astype("int64")

    if unit is not None and has_unit:
        keep = frame["unit"] == unit
        if not keep.any():
            found = ", ".join(repr(u) for u in unit_order)
            raise InputError(f"{src}: no tallies for unit {unit!r} (units in the file: {found})")
        audit.skip(f"unit other than {unit!r}", int((~keep).sum()))
        frame = frame[keep].reset_index(drop=True)
    audit.rows_used = len(frame)
    regions, dates = unit_columns.keep(frame["unit"].unique())
    return TallyEvidence(frame, src, table.sha256, audit, tuple(_unit_warnings(src, records, table)), regions, dates)


def _unit_warnings(src: str, records: list[tuple], table: TextTable) -> list[str]:
    """A unit spelt two ways (by case, spaces or punctuation) is warned about, naming both."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for record in records:
        first.setdefault(record[0], table.rows[record[6]])
        count[record[0]] = count.get(record[0], 0) + 1
    return unit_spelling_warnings(src, [(u, first[u], count[u]) for u in first], noun="tally row")


def _count(text: str, table: TextTable, i: int, column: str, problems: list[Problem]) -> int | None:
    where = table.where(i, column)
    if text == "":
        problems.append(Problem(f"blank {column}", where))
        return None
    try:
        value = int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError:
            as_float = None
        if as_float is not None and as_float.is_integer() and "." in text and set(text.split(".", 1)[1]) <= {"0"}:
            value = int(as_float)  # "12.0", as spreadsheets sometimes save whole numbers
        else:
            problems.append(Problem(f"{column} must be a whole number of cases, not {shown(text)}", where))
            return None
    if value < 0:
        problems.append(Problem(f"{column} must not be negative ({value})", where))
        return None
    if value > MAX_COUNT:
        problems.append(Problem(f"{column} ({value}) is implausibly large (limit {MAX_COUNT})", where))
        return None
    return value
