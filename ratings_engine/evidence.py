"""Case evidence and judgements: read, validate against a rulebook, and hand over as values.

Case files have one row per inspected case: `case_id`, an optional `unit`, and one column per
key-question id holding sufficient / insufficient / not applicable (the usual spellings,
any case). Judgement files give the ratings of judgement standards: `standard`, `rating`, and
optionally `reason` and `unit`.

Nothing is guessed: blank cells, unknown values, unknown columns, duplicate case ids and
half-present standards are errors naming the file, row and column, unless an explicit option
says otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .errors import InputError, Location, Problem
from .rulebook import NOT_INSPECTED, Rulebook
from .sources import MAX_PROBLEMS, Audit, TextTable, read_table, sheet_locations, table_from_frame

SUFFICIENT, INSUFFICIENT, NOT_APPLICABLE = 1, 0, -1

ANSWER_SPELLINGS: dict[str, int] = {
    **dict.fromkeys(["yes", "y", "sufficient"], SUFFICIENT),
    **dict.fromkeys(["no", "n", "insufficient"], INSUFFICIENT),
    **dict.fromkeys(["n/a", "na", "n.a.", "not applicable"], NOT_APPLICABLE),
}
ACCEPTED = "yes/no/n/a, y/n/na, sufficient/insufficient/not applicable (any case)"

BlankPolicy = Literal["error", "not-applicable"]


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


# ---------------------------------------------------------------------------------------------
# Cases


def read_cases(path: str | Path, rulebook: Rulebook, *, unit: str | None = None,
               blank: BlankPolicy = "error", ignore_columns: tuple[str, ...] = (),
               sheet: str | None = None) -> CaseEvidence:
    """Read and validate a case file (CSV, or .xlsx: `sheet` names the worksheet, default the first)."""
    table = read_table(path, "case", sheet=sheet)
    default_unit = unit or Path(path).stem
    with sheet_locations(table):
        return _cases_from_table(table, rulebook, unit, default_unit, blank, ignore_columns)


def cases_from_frame(frame: pd.DataFrame, rulebook: Rulebook, *, unit: str | None = None,
                     blank: BlankPolicy = "error", ignore_columns: tuple[str, ...] = (),
                     source: str = "<DataFrame>") -> CaseEvidence:
    """Validate case answers given as a DataFrame (same columns as the CSV)."""
    table = table_from_frame(frame, source, "case")
    return _cases_from_table(table, rulebook, unit, unit or "unit", blank, ignore_columns)


def _cases_from_table(table: TextTable, rulebook: Rulebook, unit: str | None, default_unit: str,
                      blank: BlankPolicy, ignore_columns: tuple[str, ...]) -> CaseEvidence:
    src = table.source
    cells = table.cells
    audit = Audit(src, rows_read=table.rows_read)
    audit.skip("blank row", len(table.blank_rows))
    known_kqs = set(rulebook.key_question_ids)
    problems: list[Problem] = []

    if "case_id" not in cells.columns:
        raise InputError(Problem("no 'case_id' column (the first row must be the header)", Location(file=src, row=1)))
    ignored = set(ignore_columns)
    for name in sorted(ignored - set(cells.columns)):
        problems.append(Problem(f"--ignore-column {name!r} names no column of the file", Location(file=src, row=1)))
    kq_columns = [c for c in cells.columns if c in known_kqs]
    for column in cells.columns:
        if column in ("case_id", "unit") or column in known_kqs or column in ignored:
            continue
        hint = (f"; {column!r} is a standard, give its key questions ({', '.join(k.id for k in rulebook.standards_by_id[column].key_questions)})"
                if column in rulebook.standards_by_id and rulebook.standards_by_id[column].key_questions else "")
        problems.append(Problem(
            f"unknown column (not a key question of rulebook {rulebook.id}){hint}; "
            "use --ignore-column to skip a column on purpose",
            Location(file=src, row=1, column=column)))
    present = set(kq_columns)
    for std in rulebook.standards:
        ids = [kq.id for kq in std.key_questions]
        have = [k for k in ids if k in present]
        if have and len(have) != len(ids):
            missing = [k for k in ids if k not in present]
            problems.append(Problem(
                f"standard {std.id} {std.name} has columns {', '.join(have)} but not {', '.join(missing)}: "
                "give all its key questions or none (none = not inspected)", Location(file=src, row=1)))
    if problems:
        raise InputError(problems)

    # Units
    if "unit" in cells.columns:
        units = cells["unit"]
        for i in np.flatnonzero((units == "").to_numpy())[:MAX_PROBLEMS]:
            problems.append(Problem("blank unit", table.where(i, "unit")))
    else:
        units = pd.Series(default_unit, index=cells.index, dtype=object)
    case_ids = cells["case_id"]
    for i in np.flatnonzero((case_ids == "").to_numpy())[:MAX_PROBLEMS]:
        problems.append(Problem("blank case_id", table.where(i, "case_id")))

    # Answers
    codes = {}
    for column in kq_columns:
        # Each distinct spelling is looked up once (a column holds a handful), then broadcast.
        positions, spellings = pd.factorize(cells[column].to_numpy(dtype=object))
        lookup = np.array([NOT_APPLICABLE if blank == "not-applicable" and s == "" else ANSWER_SPELLINGS.get(s.lower(), np.nan)
                           for s in spellings], dtype=np.float64)
        mapped = lookup[positions]
        for i in np.flatnonzero(np.isnan(mapped))[:MAX_PROBLEMS]:
            value = cells[column].iat[i]
            message = ("blank answer (use --blank not-applicable to read blanks as not applicable)" if value == ""
                       else f"unknown answer {value!r}; accepted: {ACCEPTED}")
            problems.append(Problem(message, table.where(i, column)))
            if len(problems) > MAX_PROBLEMS:
                break
        codes[column] = mapped
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])

    keys = pd.MultiIndex.from_arrays([units.to_numpy(dtype=object), case_ids.to_numpy(dtype=object)],
                                     names=["unit", "case_id"])
    dup = keys.duplicated(keep=False)
    if dup.any():
        first_seen: dict[tuple, int] = {}
        for i in np.flatnonzero(dup):
            key = keys[i]
            if key in first_seen:
                problems.append(Problem(
                    f"duplicate case_id {key[1]!r} (unit {key[0]!r}) first given in row {table.rows[first_seen[key]]}",
                    table.where(i, "case_id")))
            else:
                first_seen[key] = i
        raise InputError(problems[:MAX_PROBLEMS])

    answers = pd.DataFrame({c: v.astype(np.int8) for c, v in codes.items()}, index=keys,
                           columns=pd.Index(kq_columns, dtype=object))
    # Key questions in rulebook order, whatever the file's column order.
    answers = answers[[k for k in rulebook.key_question_ids if k in present]]
    if unit is not None and "unit" in cells.columns:
        keep = answers.index.get_level_values("unit") == unit
        if not keep.any():
            found = ", ".join(repr(u) for u in dict.fromkeys(units))
            raise InputError(f"{src}: no cases for unit {unit!r} (units in the file: {found})")
        audit.skip(f"unit other than {unit!r}", int((~keep).sum()))
        answers = answers[keep]
    audit.rows_used = len(answers)
    if answers.empty:
        raise InputError(f"{src}: no cases (the file has a header but no case rows)")
    return CaseEvidence(answers, src, table.sha256, audit)


# ---------------------------------------------------------------------------------------------
# Judgements

_JUDGEMENT_COLUMNS = ("standard", "rating", "reason", "unit")


def read_judgements(path: str | Path, rulebook: Rulebook, sheet: str | None = None) -> Judgements:
    table = read_table(path, "judgements", sheet=sheet)
    with sheet_locations(table):
        return _judgements_from_table(table, rulebook)


def judgements_from_frame(frame: pd.DataFrame, rulebook: Rulebook, source: str = "<judgements DataFrame>") -> Judgements:
    return _judgements_from_table(table_from_frame(frame, source, "judgements"), rulebook)


def _judgements_from_table(table: TextTable, rulebook: Rulebook) -> Judgements:
    src = table.source
    cells = table.cells
    problems: list[Problem] = []
    for column in ("standard", "rating"):
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (expected columns: standard, rating, optional reason, unit)",
                                    Location(file=src, row=1)))
    for column in cells.columns:
        if column not in _JUDGEMENT_COLUMNS:
            problems.append(Problem("unknown column (expected: standard, rating, reason, unit)",
                                    Location(file=src, row=1, column=column)))
    if problems:
        raise InputError(problems)
    spelling = {r.lower(): r for r in (*rulebook.ratings, NOT_INSPECTED)}
    items: list[Judgement] = []
    seen: dict[tuple, int] = {}
    has_unit = "unit" in cells.columns
    for i, row in enumerate(cells.to_dict("records")):
        standard_id, rating = row["standard"], row["rating"]
        unit = (row.get("unit") or None) if has_unit else None
        std = rulebook.standards_by_id.get(standard_id)
        if std is None:
            problems.append(Problem(f"unknown standard {standard_id!r} (rulebook {rulebook.id} has "
                                    f"{', '.join(s.id for s in rulebook.standards)})", table.where(i, "standard")))
            continue
        if std.rated_by != "judgement":
            problems.append(Problem(f"standard {std.id} {std.name} is rated from cases, not by judgement",
                                    table.where(i, "standard")))
            continue
        canonical = spelling.get(rating.lower())
        if canonical is None:
            problems.append(Problem(f"unknown rating {rating!r}; expected one of {', '.join(spelling.values())}",
                                    table.where(i, "rating")))
            continue
        key = (unit, standard_id)
        if key in seen:
            problems.append(Problem(f"standard {standard_id} judged twice{f' for unit {unit!r}' if unit else ''} "
                                    f"(first in row {table.rows[seen[key]]})", table.where(i, "standard")))
            continue
        seen[key] = i
        items.append(Judgement(unit, standard_id, canonical, row.get("reason") or None, src, table.rows[i]))
    if has_unit:
        blank_units = [i for i, j in enumerate(cells["unit"]) if j == ""]
        if blank_units and len(blank_units) != len(cells):
            problems.append(Problem("blank unit while other rows name one", table.where(blank_units[0], "unit")))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    audit = Audit(src, rows_read=table.rows_read)  # rows_used is settled when units are rated
    audit.skip("blank row", len(table.blank_rows))
    return Judgements(tuple(items), src, table.sha256, audit)
