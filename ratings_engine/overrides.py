"""Panel overrides: professional discretion as an explicit input, never hidden in the logic.

The methodology publishes no rule for professional discretion (shared/methodology.md), so the
engine never applies any. A ratings panel that departs from the computed rating of a standard
records an override: the standard, the rating it gives, and a mandatory reason.

* The override **replaces the computed rating of that standard** (its decision becomes an
  `override` decision whose explanation names the panel's rating, the reason, where the
  override came from, and the computed rating and explanation it replaced; the key-question
  evidence stays as computed).
* The **overall rating is then recomputed through the compiled rulebook's overall decision**
  (score, band table and limits, exactly as for computed ratings) from the standards as
  overridden. The overall explanation says which overrides it includes and what the overall
  was without them.
* Every override is listed in the report's warnings, so it shows in every output (table,
  markdown, JSON, xlsx, HTML).

Overrides come from `--override "STD=RATING:REASON"` options or from a file (CSV, .xlsx or YAML)
with columns / keys `standard`, `rating`, `reason` and optional `unit`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from .decide import compile_rulebook
from .errors import InputError, Location, Problem
from .rate import OverallBands, overall_result
from .results import Decision, RatingReport, StandardResult, UnitResult
from .rulebook import Provenance, Rulebook
from .sources import Audit, read_table, sheet_locations

OVERRIDE_PROVENANCE = Provenance(
    grade="uncertain",
    source="Professional discretion: no published rule; an explicit panel override with its reason "
           "(shared/methodology.md, 'Professional discretion')",
)
_FILE_COLUMNS = ("standard", "rating", "reason", "unit")


@dataclass(frozen=True)
class Override:
    standard: str
    rating: str
    reason: str
    unit: str | None  # None: the (single) unit being rated
    where: Location  # the file row it came from (empty for an option)
    option: str | None = None  # "--override #n" for a command-line override

    @property
    def origin(self) -> str:
        return self.option or str(self.where)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "standard": self.standard, "rating": self.rating, "reason": self.reason,
                "from": self.origin}


@dataclass(frozen=True)
class OverrideSet:
    """Overrides and the input record of where they came from (for the report's `inputs`)."""

    items: tuple[Override, ...]
    inputs: tuple[dict, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)


def _canonical_rating(rulebook: Rulebook, text: str) -> str | None:
    return {r.lower(): r for r in rulebook.ratings}.get(text.strip().lower())


def _check(rulebook: Rulebook, standard: str, rating: str, reason: str, where: Location,
           problems: list[Problem], what: str) -> str | None:
    """Problems with one override; returns the canonical rating."""
    ok = True
    if standard not in rulebook.standards_by_id:
        problems.append(Problem(f"{what}: unknown standard {standard!r} (rulebook {rulebook.id} has "
                                f"{', '.join(s.id for s in rulebook.standards)})", where))
        ok = False
    canonical = _canonical_rating(rulebook, rating)
    if canonical is None:
        problems.append(Problem(f"{what}: unknown rating {rating!r}; an override gives one of "
                                f"{', '.join(rulebook.ratings)}", where))
        ok = False
    if not reason.strip():
        problems.append(Problem(f"{what}: the reason is mandatory (professional discretion must be explained)", where))
        ok = False
    return canonical if ok else None


def parse_override_options(texts: Sequence[str], rulebook: Rulebook) -> OverrideSet:
    """`--override "STD=RATING:REASON"` options (the reason is everything after the first ':')."""
    problems: list[Problem] = []
    items: list[Override] = []
    for n, text in enumerate(texts, start=1):
        where = Location()
        standard, eq, rest = text.partition("=")
        rating, colon, reason = rest.partition(":")
        if not eq or not colon:
            problems.append(Problem(f"--override {text!r}: expected STD=RATING:REASON, "
                                    "e.g. --override \"2.4=Requires improvement:Panel: ...\"", where))
            continue
        canonical = _check(rulebook, standard.strip(), rating, reason, where, problems, f"--override {text!r}")
        if canonical:
            items.append(Override(standard.strip(), canonical, reason.strip(), None, where, f"--override #{n}"))
    if problems:
        raise InputError(problems)
    _no_duplicates(items)
    inputs = ({"kind": "overrides", "file": "--override", "sha256": None,
               "audit": {"file": "--override", "rows_read": len(items), "rows_used": len(items),
                         "rows_skipped": {}}},) if items else ()
    return OverrideSet(tuple(items), inputs)


def read_overrides(path: str | Path, rulebook: Rulebook, sheet: str | None = None) -> OverrideSet:
    """An overrides file: CSV / .xlsx (`standard,rating,reason[,unit]`) or YAML (`overrides: [...]`)."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml_overrides(path, rulebook)
    table = read_table(path, "overrides", sheet=sheet)
    with sheet_locations(table):
        return _overrides_from_table(table, rulebook)


def _overrides_from_table(table, rulebook: Rulebook) -> OverrideSet:
    src = table.source
    cells = table.cells
    problems: list[Problem] = []
    for column in ("standard", "rating", "reason"):
        if column not in cells.columns:
            problems.append(Problem(f"no {column!r} column (expected columns: standard, rating, reason, optional unit)",
                                    Location(file=src, sheet=table.sheet, row=1)))
    for column in cells.columns:
        if column not in _FILE_COLUMNS:
            problems.append(Problem("unknown column (expected: standard, rating, reason, unit)",
                                    Location(file=src, sheet=table.sheet, row=1, column=column)))
    if problems:
        raise InputError(problems)
    items: list[Override] = []
    for i, row in enumerate(cells.to_dict("records")):
        for column in ("standard", "rating", "reason"):
            if not row[column]:
                problems.append(Problem(f"blank {column}" + (" (the reason is mandatory)" if column == "reason" else ""),
                                        table.where(i, column)))
        if any(not row[c] for c in ("standard", "rating", "reason")):
            continue
        where = table.where(i)
        canonical = _check(rulebook, row["standard"], row["rating"], row["reason"], where, problems, "override")
        if canonical:
            items.append(Override(row["standard"], canonical, row["reason"], row.get("unit") or None, where))
    if problems:
        raise InputError(problems)
    _no_duplicates(items)
    audit = Audit(src, rows_read=table.rows_read, rows_used=len(items))
    audit.skip("blank row", len(table.blank_rows))
    return OverrideSet(tuple(items), ({"kind": "overrides", "file": src, "sha256": table.sha256,
                                       "audit": audit.to_dict()},))


def _read_yaml_overrides(path: Path, rulebook: Rulebook) -> OverrideSet:
    from .yaml_input import read_yaml_mapping as load_yaml_mapping, yaml_line

    raw, data = load_yaml_mapping(path, "overrides")
    src = str(path)
    problems: list[Problem] = []
    unknown = [k for k in data if k != "overrides"]
    for key in unknown:
        problems.append(Problem(f"unknown key {key!r} (expected: overrides)", Location(file=src, line=yaml_line(data, key))))
    entries = data.get("overrides")
    if not isinstance(entries, list):
        problems.append(Problem("'overrides' must be a list of {standard, rating, reason, unit}",
                                Location(file=src, line=yaml_line(data, "overrides"))))
        raise InputError(problems)
    items: list[Override] = []
    for n, entry in enumerate(entries):
        line = yaml_line(entries, n)
        where = Location(file=src, line=line, key_path=f"overrides[{n}]")
        if not isinstance(entry, dict):
            problems.append(Problem("each override is a mapping {standard, rating, reason, unit}", where))
            continue
        for key in entry:
            if key not in _FILE_COLUMNS:
                problems.append(Problem(f"unknown key {key!r} (expected: standard, rating, reason, unit)",
                                        Location(file=src, line=yaml_line(entry, key), key_path=f"overrides[{n}].{key}")))
        values = {}
        for key in _FILE_COLUMNS:
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                problems.append(Problem(f"{key!r} must be text (quote it, e.g. \"2.4\")",
                                        Location(file=src, line=yaml_line(entry, key), key_path=f"overrides[{n}].{key}")))
                value = None
            values[key] = (value or "").strip()
        for key in ("standard", "rating", "reason"):
            if not values[key]:
                problems.append(Problem(f"missing {key!r}" + (" (the reason is mandatory)" if key == "reason" else ""), where))
        if not all(values[k] for k in ("standard", "rating", "reason")):
            continue
        canonical = _check(rulebook, values["standard"], values["rating"], values["reason"], where, problems, "override")
        if canonical:
            items.append(Override(values["standard"], canonical, values["reason"], values["unit"] or None, where))
    if problems:
        raise InputError(problems)
    _no_duplicates(items)
    return OverrideSet(tuple(items), ({"kind": "overrides", "file": src, "sha256": hashlib.sha256(raw).hexdigest(),
                                       "audit": {"file": src, "rows_read": len(entries), "rows_used": len(items),
                                                 "rows_skipped": {}}},))


def _no_duplicates(items: list[Override]) -> None:
    seen: dict[tuple, Override] = {}
    problems = []
    for o in items:
        key = (o.unit, o.standard)
        if key in seen:
            problems.append(Problem(f"standard {o.standard} overridden twice{f' for unit {o.unit!r}' if o.unit else ''}: "
                                    f"{o.origin} (first: {seen[key].origin})", o.where))
        else:
            seen[key] = o
    if problems:
        raise InputError(problems)


def combine(*sets: OverrideSet) -> OverrideSet:
    items = tuple(o for s in sets for o in s.items)
    _no_duplicates(list(items))
    return OverrideSet(items, tuple(i for s in sets for i in s.inputs))


# ---------------------------------------------------------------------------------------------
# Applying


def apply_overrides(report: RatingReport, overrides: OverrideSet, rulebook: Rulebook, *,
                    allow_partial: bool = False) -> RatingReport:
    """The report with each override replacing its standard's rating and the overall recomputed."""
    if not overrides:
        return report
    units = [u.unit for u in report.units]
    unnamed = [o for o in overrides.items if o.unit is None]
    if unnamed and len(units) > 1:
        raise InputError(Problem(f"the case file has {len(units)} units, so each override must name its unit "
                                 "(an overrides file with a 'unit' column), or rate one unit with --unit",
                                 unnamed[0].where))
    warnings = list(report.warnings)
    for o in overrides.items:
        if o.unit is not None and o.unit not in units:
            warnings.append(f"override of standard {o.standard} for unit {o.unit!r} ({o.origin}) NOT USED: "
                            f"no cases for that unit")
    compiled = compile_rulebook(rulebook)
    out: list[UnitResult] = []
    for u in report.units:
        mine = {o.standard: o for o in overrides.items if o.unit in (None, u.unit)}
        if not mine:
            out.append(u)
            continue
        standards = tuple(_override_standard(rulebook, s, mine[s.id]) if s.id in mine else s for s in u.standards)
        stds = list(standards)
        inputs = compiled.overall_input({s.id: s.rating for s in stds if s.rated})
        bands = OverallBands(compiled, [inputs] if inputs.scored else [])
        missing = [s.id for s in stds if s.decision.table == "missing_judgement"]
        overall = overall_result(rulebook, bands, u.unit, stds, inputs, missing, allow_partial)
        changes = [f"{sid} {s.decision.inputs['computed_rating'] or 'no rating'} -> {s.rating}"
                   for sid, s in ((s.id, s) for s in stds) if sid in mine]
        before = u.overall
        without = (f"{before.rating}, score {before.score}/{before.max_score}" if before.rating is not None
                   else f"no overall rating ({before.status})")
        note = f"; includes panel override(s) {', '.join(changes)}; without them: {without}"
        overall = replace(overall, decision=replace(
            overall.decision, because=overall.decision.because + note,
            inputs={**overall.decision.inputs, "overrides": [mine[k].to_dict() for k in mine],
                    "without_overrides": {"rating": before.rating, "score": before.score,
                                          "max_score": before.max_score, "status": before.status}}))
        for o in mine.values():
            s = next(s for s in stds if s.id == o.standard)
            warnings.append(f"unit {u.unit!r}: standard {o.standard} {s.name} OVERRIDDEN by the panel: "
                            f"{o.rating} (computed {s.decision.inputs['computed_rating'] or 'no rating'}); "
                            f"reason: {o.reason} [{o.origin}]")
        if (overall.rating, overall.score) != (before.rating, before.score):
            warnings.append(f"unit {u.unit!r}: overall with overrides {overall.rating}, score "
                            f"{overall.score}/{overall.max_score} (without overrides: {without})")
        out.append(UnitResult(u.unit, standards, overall))
    return replace(report, units=tuple(out), inputs=tuple(report.inputs) + tuple(overrides.inputs),
                   warnings=tuple(warnings))


def _override_standard(rulebook: Rulebook, s: StandardResult, o: Override) -> StandardResult:
    computed = s.rating
    decision = Decision(
        s.decision.subject, "override", None, o.rating,
        {"computed_rating": computed, "reason": o.reason, "from": o.origin,
         "computed_decision": s.decision.to_dict()},
        f"OVERRIDDEN by the panel ({o.origin}): {o.rating} instead of the computed "
        f"{computed or 'no rating'}; reason: {o.reason}. Computed: {s.decision.because}",
        OVERRIDE_PROVENANCE,
    )
    score = rulebook.score(o.rating) if s.scored else None
    return replace(s, rating=o.rating, score=score, decision=decision, reason=o.reason)


def override_of(s: StandardResult) -> dict | None:
    """The override applied to a standard, if any: rating, computed rating, reason, origin."""
    if s.decision.table != "override":
        return None
    d = s.decision.inputs
    return {"rating": s.rating, "computed": d["computed_rating"], "reason": d["reason"], "from": d["from"]}
