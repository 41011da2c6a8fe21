"""Reading judgement files: the inspectors' ratings of judgement standards.

Columns `standard`, `rating`, and optionally `reason`, `unit` and `name` (the standard's name,
checked against the rulebook). A rating may be `Not inspected`. `standard` names a judgement
standard, or a key question rated by judgement (of a mixed standard, e.g. V1.2). A row with a
standard but no rating and no reason is a judgement not yet made (a blank form row, as `rate
template` writes): it is skipped and counted in the audit, and the standard's judgement is
missing. Unknown standards, standards rated from cases, unknown ratings, a blank rating with a
reason, a misnamed standard and a standard judged twice are errors naming the file, row and
column. A regional run reads one judgements file for two rulebooks (the region's and its
PDUs'): `also` names the second.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Sequence

import pandas as pd

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.evidence import Judgement, Judgements
from ..model.suggest import did_you_mean
from ..model.views import NOT_INSPECTED
from .tables import MAX_PROBLEMS, FirstRows, TextTable, read_table, sheet_locations, shown, table_from_frame

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

_JUDGEMENT_COLUMNS = ("standard", "rating", "reason", "unit", "name")


def read_judgements(path: str | Path, rulebook: Rulebook, sheet: str | None = None, *, encoding: str | None = None,
                    delimiter: str | None = None, also: Rulebook | None = None,
                    text_columns: Sequence[str] = ()) -> Judgements:
    """Judgements from a file; `text_columns` (e.g. `reason`) may hold quoted cells spanning lines."""
    table = read_table(path, "judgements", sheet=sheet, encoding=encoding, delimiter=delimiter,
                       text_columns=text_columns)
    with sheet_locations(table):
        return judgements_from_table(table, rulebook, also)


def judgements_from_frame(frame: pd.DataFrame, rulebook: Rulebook, source: str = "<judgements DataFrame>",
                          also: Rulebook | None = None) -> Judgements:
    return judgements_from_table(table_from_frame(frame, source, "judgements"), rulebook, also)


def _judged_names(rulebooks: list[Rulebook]) -> dict[str, str | None]:
    """Id -> None for everything a judgements row may name; id -> why not, for case standards and key questions."""
    out: dict[str, str | None] = {}
    for rb in reversed(rulebooks):  # the first rulebook wins where ids coincide
        for std in rb.standards:
            out[std.id] = None if std.rated_by == "judgement" else (
                f"standard {std.id} {std.name} is rated from cases, not by judgement" if std.rated_by == "cases" else
                f"standard {std.id} {std.name} is mixed: judge its key question(s) "
                f"{', '.join(k.id for k in std.judgement_key_questions)}, not the standard")
            for kq in std.key_questions:
                out[kq.id] = None if kq.basis == "judgement" else f"key question {kq.id} is rated from cases, not by judgement"
    return out


def judgements_from_table(table: TextTable, rulebook: Rulebook, also: Rulebook | None = None) -> Judgements:
    src = table.source
    cells = table.cells
    problems: list[Problem] = []
    for column in ("standard", "rating"):
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (expected columns: standard, rating, optional reason, unit, "
                                    "name)", Location(file=src, row=1)))
    for column in cells.columns:
        if column not in _JUDGEMENT_COLUMNS:
            problems.append(Problem("unknown column (expected: standard, rating, reason, unit, name)",
                                    Location(file=src, row=1, column=column)))
    if problems:
        raise InputError(problems)
    spelling = {r.lower(): r for r in (*rulebook.ratings, NOT_INSPECTED)}
    rulebooks = [rulebook] + ([also] if also is not None else [])
    names = _judged_names(rulebooks)
    judged = [i for rb in rulebooks for i in rb.judged_ids]
    items: list[Judgement] = []
    first = FirstRows()
    has_unit = "unit" in cells.columns
    not_given = 0
    for i, row in enumerate(cells.to_dict("records")):
        standard_id, rating = row["standard"], row["rating"]
        unit = (row.get("unit") or None) if has_unit else None
        if standard_id not in names:
            every = [s.id for rb in rulebooks for s in rb.standards] + [k for rb in rulebooks
                                                                       for k in rb.judgement_key_question_ids]
            problems.append(Problem(f"unknown standard {shown(standard_id)}{did_you_mean(standard_id, judged)}"
                                    f" (rulebook {' and '.join(rb.id for rb in rulebooks)} "
                                    f"{'has' if len(rulebooks) == 1 else 'have'} {', '.join(every)})",
                                    table.where(i, "standard")))
            continue
        if names[standard_id] is not None:
            problems.append(Problem(names[standard_id], table.where(i, "standard")))
            continue
        name = row.get("name") or ""
        std = next((rb.standards_by_id[standard_id] for rb in rulebooks if standard_id in rb.standards_by_id), None)
        if name and std is not None and name.strip().lower() != std.name.lower():
            problems.append(Problem(f"standard {std.id} is {std.name!r} in rulebook {rulebook.id}, but this row names it "
                                    f"{shown(name)} (a misnumbered standard?)", table.where(i, "name")))
            continue
        if not rating and not row.get("reason"):
            not_given += 1  # a form row not filled in yet: no judgement for this standard
            continue
        canonical = spelling.get(rating.lower())
        if canonical is None:
            problems.append(Problem(f"unknown rating {shown(rating)}{did_you_mean(rating, spelling.values())}; "
                                    f"expected one of {', '.join(spelling.values())}"
                                    if rating else "blank rating, but the row gives a reason: give the rating (or clear "
                                    "the reason to leave the judgement out)", table.where(i, "rating")))
            continue
        earlier = first.repeat_of((unit, standard_id), table.rows[i])
        if earlier is not None:
            problems.append(Problem(f"standard {standard_id} judged twice{f' for unit {unit!r}' if unit else ''} "
                                    f"(first in row {earlier})", table.where(i, "standard")))
            continue
        items.append(Judgement(unit, standard_id, canonical, row.get("reason") or None, src, table.rows[i], table.sheet))
    if has_unit:
        blank_units = [i for i, j in enumerate(cells["unit"]) if j == ""]
        if blank_units and len(blank_units) != len(cells):
            problems.append(Problem("blank unit while other rows name one", table.where(blank_units[0], "unit")))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    audit = Audit(src, rows_read=table.rows_read, sheet=table.sheet, lines_read=table.lines_read,
                  text_lines=table.text_lines)  # rows_used is settled when units are rated
    audit.skip("blank row", len(table.blank_rows))
    audit.skip("no rating given", not_given)
    return Judgements(tuple(items), src, table.sha256, audit)
