"""Reading recorded ratings: the ratings actually published or recorded for each unit.

`rate diff --against RECORDED` compares a candidate rulebook with these instead of with ratings
recomputed from evidence (recorded ratings include the panel's overrides). The file (CSV or
.xlsx, sheet `Recorded` or the only one) has the columns `unit`, `standard`, `rating`, one row
per unit and standard, and one row per unit whose `standard` is `overall` for the overall
rating. Optional columns: `score` (of the overall row) and `reason` (kept for the record).

Unknown standards, unknown ratings, a unit and standard recorded twice, and a blank unit are
errors naming the file, row and column. Which units and standards the corpus has is the diff's
business (`toolkit.diff`): units recorded but not in the corpus are reported there, never
dropped silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.rulebook import NOT_INSPECTED, Rulebook
from ..model.suggest import did_you_mean
from .tables import MAX_PROBLEMS, FirstRows, TextTable, read_table, sheet_locations, shown

OVERALL = "overall"
_COLUMNS = ("unit", "standard", "rating", "score", "reason")
_REQUIRED = ("unit", "standard", "rating")


@dataclass(frozen=True)
class RecordedRating:
    unit: str
    standard: str  # a standard id, or "overall"
    rating: str  # canonical spelling; standards may be "Not inspected"
    score: str | None  # as written (overall rows only)
    row: int


@dataclass(frozen=True)
class RecordedRatings:
    """Recorded ratings by unit: {unit: {standard id or "overall": RecordedRating}}."""

    source: str
    sha256: str | None
    units: dict[str, dict[str, RecordedRating]]
    audit: Audit

    def overall(self, unit: str) -> RecordedRating | None:
        return self.units.get(unit, {}).get(OVERALL)

    def standard(self, unit: str, standard: str) -> RecordedRating | None:
        return self.units.get(unit, {}).get(standard)

    def where(self, item: RecordedRating) -> str:
        return f"{self.source} row {item.row}"


def read_recorded(path: str | Path, rulebook: Rulebook, sheet: str | None = None, *, encoding: str | None = None,
                  delimiter: str | None = None) -> RecordedRatings:
    """Read and validate a recorded-ratings file against `rulebook` (its standards and rating scale)."""
    table = read_table(path, "recorded", sheet=sheet, encoding=encoding, delimiter=delimiter)
    with sheet_locations(table):
        return recorded_from_table(table, rulebook)


def recorded_from_table(table: TextTable, rulebook: Rulebook) -> RecordedRatings:
    src = table.source
    cells = table.cells
    problems: list[Problem] = []
    for column in _REQUIRED:
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (expected columns: unit, standard, rating, optional score, "
                                    "reason; the overall rating is the row whose standard is 'overall')",
                                    Location(file=src, row=1)))
    for column in cells.columns:
        if column not in _COLUMNS:
            problems.append(Problem(f"unknown column (expected: {', '.join(_COLUMNS)})",
                                    Location(file=src, row=1, column=column)))
    if problems:
        raise InputError(problems)
    standard_spelling = {s.id: s.id for s in rulebook.standards} | {OVERALL: OVERALL}
    overall_spelling = {r.lower(): r for r in rulebook.ratings}
    standard_rating_spelling = {r.lower(): r for r in (*rulebook.ratings, NOT_INSPECTED)}
    units: dict[str, dict[str, RecordedRating]] = {}
    first = FirstRows()
    has_score = "score" in cells.columns
    for i, row in enumerate(cells.to_dict("records")):
        unit, standard, rating = row["unit"], row["standard"], row["rating"]
        if not unit:
            problems.append(Problem("blank unit: every recorded rating names its unit", table.where(i, "unit")))
            continue
        key = standard.lower() if standard.lower() == OVERALL else standard
        if key not in standard_spelling:
            problems.append(Problem(f"unknown standard {shown(standard)}{did_you_mean(standard, list(standard_spelling))}"
                                    f" (rulebook {rulebook.id} has {', '.join(s.id for s in rulebook.standards)}, "
                                    f"and 'overall' for the overall rating)", table.where(i, "standard")))
            continue
        spelling = overall_spelling if key == OVERALL else standard_rating_spelling
        canonical = spelling.get(rating.lower())
        if canonical is None:
            problems.append(Problem(f"unknown rating {shown(rating)}{did_you_mean(rating, spelling.values())}; "
                                    f"expected one of {', '.join(spelling.values())}", table.where(i, "rating")))
            continue
        earlier = first.repeat_of((unit, key), table.rows[i])
        if earlier is not None:
            problems.append(Problem(f"unit {unit!r} standard {key} recorded twice (first in row {earlier})",
                                    table.where(i, "standard")))
            continue
        score = (row.get("score") or None) if has_score else None
        if score is not None and key != OVERALL:
            problems.append(Problem("a score belongs on the 'overall' row only", table.where(i, "score")))
            continue
        units.setdefault(unit, {})[key] = RecordedRating(unit, key, canonical, score, table.rows[i])
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    if not units:
        raise InputError(Problem("no recorded ratings (the file has a header but no rows)", Location(file=src, row=1)))
    audit = Audit(src, rows_read=table.rows_read, sheet=table.sheet)
    audit.rows_used = sum(len(v) for v in units.values())
    audit.skip("blank row", len(table.blank_rows))
    return RecordedRatings(src, table.sha256, units, audit)
