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

Overrides are read by `io.overrides` from `--override "STD=RATING:REASON"` options or a file.
"""
from __future__ import annotations

from dataclasses import replace

from ..engine.decide import compile_rulebook
from ..model.errors import InputError, Problem
from ..model.notices import Notice
from ..model.overrides import Override, OverrideSet
from ..model.results import Decision, RatingReport, StandardResult, UnitResult
from ..model.rulebook import Provenance, Rulebook
from .margins import OverallBands
from .rate import overall_result

OVERRIDE_PROVENANCE = Provenance(
    grade="uncertain",
    source="Professional discretion: no published rule; an explicit panel override with its reason "
           "(shared/methodology.md, 'Professional discretion')",
)


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
            warnings.append(Notice(f"override of standard {o.standard} for unit {o.unit!r} ({o.origin}) NOT USED: "
                                   "no cases for that unit", "override-unused"))
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
        no_cases = u.overall.no_case_ratings and not any(s.rated and s.scored and s.basis != "judgement" for s in stds)
        overall = overall_result(rulebook, bands, u.unit, stds, inputs, missing, allow_partial, no_cases)
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
            warnings.append(Notice(f"unit {u.unit!r}: standard {o.standard} {s.name} OVERRIDDEN by the panel: "
                                   f"{o.rating} (computed {s.decision.inputs['computed_rating'] or 'no rating'}); "
                                   f"reason: {o.reason} [{o.origin}]", "override"))
        if (overall.rating, overall.score) != (before.rating, before.score):
            warnings.append(Notice(f"unit {u.unit!r}: overall with overrides {overall.rating}, score "
                                   f"{overall.score}/{overall.max_score} (without overrides: {without})", "override"))
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
