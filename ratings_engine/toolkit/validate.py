"""Validating a draft rating: compare inspectors' draft ratings with the computed ones.

A draft (read by `io.drafts`) gives, per unit, a rating for each standard and optionally the
overall rating and score. Each standard is marked `agrees`, `differs` or
`not in draft`; each difference is explained with the deciding key question(s), their tallies
and the band each fell in, and the margin to the DRAFT's band in cases: how many insufficient
cases turned sufficient (or the other way) on which key questions would give the draft's rating.
Margins are found by asking the compiled rulebook's band table about the neighbouring tallies
(the same rules and memo as the ratings themselves); nothing is decided here in Python.

The overall rating and score are compared too, with the points the computed score is from the
draft's band (other things equal), and the draft is checked against itself: what its own
standard ratings give through the rulebook's overall decision.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..engine.decide import OverallInput, compile_rulebook
from ..io.drafts import Draft, DraftRating, UnitDraft
from ..model.audit import Audit
from ..model.errors import InputError
from ..model.notices import Notice
from ..model.results import RatingReport, StandardResult, UnitResult
from ..model.rulebook import NOT_INSPECTED, Rulebook
from ..rating import explain
from ..rating.margins import KeyQuestionBands, OverallBands

AGREES, DIFFERS, NOT_IN_DRAFT, NO_RATING = "agrees", "differs", "not in draft", "no computed rating"

# ---------------------------------------------------------------------------------------------
# Comparing


@dataclass(frozen=True)
class StandardCheck:
    id: str
    name: str
    basis: str
    computed: str | None
    draft: str | None
    status: str
    because: str  # why they differ (or agree)
    override: dict | None = None
    detail: dict = field(default_factory=dict)  # deciding key questions, tallies, bands, margin to the draft
    draft_from: str | None = None
    draft_note: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "basis": self.basis, "computed": self.computed,
                "draft": self.draft, "status": self.status, "because": self.because,
                "override": self.override, "draft_from": self.draft_from, "draft_note": self.draft_note,
                **self.detail}


@dataclass(frozen=True)
class OverallCheck:
    computed: str | None
    score: int
    max_score: int
    status: str  # rated | partial | incomplete | not rated
    draft: str | None
    draft_score: int | None
    draft_max: int | None
    rating_status: str
    score_status: str
    because: str
    margin_to_draft: dict | None
    draft_self: dict | None

    def to_dict(self) -> dict:
        return {"computed": self.computed, "score": self.score, "max_score": self.max_score,
                "computed_status": self.status, "draft": self.draft, "draft_score": self.draft_score,
                "draft_max_score": self.draft_max, "rating_status": self.rating_status,
                "score_status": self.score_status, "because": self.because,
                "margin_to_draft": self.margin_to_draft, "draft_own_standards_give": self.draft_self}


@dataclass(frozen=True)
class UnitCheck:
    unit: str
    standards: tuple[StandardCheck, ...]
    overall: OverallCheck

    @property
    def differences(self) -> list[StandardCheck]:
        return [s for s in self.standards if s.status != AGREES]

    @property
    def agrees(self) -> bool:
        o = self.overall
        return not self.differences and o.rating_status in (AGREES, NOT_IN_DRAFT) and o.score_status in (AGREES, NOT_IN_DRAFT)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "agrees": self.agrees,
                "standards_differing": [s.id for s in self.differences],
                "standards": [s.to_dict() for s in self.standards], "overall": self.overall.to_dict()}


@dataclass(frozen=True)
class Validation:
    report: RatingReport
    draft: Draft
    units: tuple[UnitCheck, ...]
    warnings: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return all(u.agrees for u in self.units)

    @property
    def exit_code(self) -> int:
        return 0 if self.agrees else 1

    @property
    def overrides(self) -> list[dict]:
        return [{"unit": u.unit, "standard": s.id, "name": s.name, **s.override}
                for u in self.report.units for s in u.standards if s.override]

    def to_dict(self) -> dict:
        return {
            "format": "ratings-engine/validation-1",
            "agrees": self.agrees,
            "draft": self.draft.input_record(),
            "rulebook": self.report.rulebook.to_dict(),
            "overrides": self.overrides,
            "warnings": list(self.warnings),
            "units": [u.to_dict() for u in self.units],
            "report": self.report.to_dict(),
        }


def validate(report: RatingReport, draft: Draft, rulebook: Rulebook) -> Validation:
    """Compare every unit's computed ratings (overrides applied) with the draft."""
    compiled = compile_rulebook(rulebook)
    names = [u.unit for u in report.units]
    warnings = list(report.warnings)
    if any(d.unit is None for d in draft.units) and len(names) > 1:
        raise InputError(f"{draft.source}: the case file has {len(names)} units, so the draft needs a 'unit' column "
                         "(or 'units' in YAML) saying which unit each rating is for, or rate one unit with --unit")
    unused = [d.unit for d in draft.units if d.unit is not None and d.unit not in names]
    if unused and len(unused) == len(draft.units):
        raise InputError(f"{draft.source}: no draft is for a unit being rated (draft names {unused}; rating {names})")
    audit = Audit(draft.source, draft.audit.rows_read, draft.audit.rows_used, dict(draft.audit.skipped),
                  sheet=draft.audit.sheet)
    for unit in unused:
        warnings.append(Notice(f"{draft.source}: draft for unit {unit!r} not used (no cases for it)", "unused"))
        n = sum(1 for _ in _rows_of(draft, unit))
        audit.skip("unit not being rated", n)
        audit.rows_used -= n
    draft = replace(draft, audit=audit)
    report = replace(report, inputs=tuple(report.inputs) + (draft.input_record(),))
    units = []
    for u in report.units:
        d = draft.for_unit(u.unit, len(names) == 1)
        if d is None:
            warnings.append(Notice(f"unit {u.unit!r}: the draft has no ratings for this unit", "draft"))
            d = UnitDraft(u.unit, {}, None)
        units.append(UnitCheck(u.unit, tuple(_check_standard(rulebook, compiled, s, d.standards.get(s.id))
                                             for s in u.standards),
                               _check_overall(rulebook, compiled, u, d)))
    return Validation(report, draft, tuple(units), tuple(warnings))


def _rows_of(draft: Draft, unit: str):
    for d in draft.units:
        if d.unit == unit:
            yield from d.standards.values()
            if d.overall:
                yield d.overall


def _check_standard(rb: Rulebook, compiled, s: StandardResult, drafted: DraftRating | None) -> StandardCheck:
    override = s.override
    computed = s.rating
    base = dict(id=s.id, name=s.name, basis=s.basis, computed=computed, override=override,
                draft_from=str(drafted.where) if drafted else None, draft_note=drafted.note if drafted else None)
    via = (f"panel override to {override['rating']} (computed {override['computed'] or 'no rating'}; "
           f"reason: {override['reason']})" if override else None)
    if drafted is None:
        if computed == NOT_INSPECTED:
            return StandardCheck(**base, draft=None, status=AGREES,
                                 because="not inspected, and not in the draft")
        return StandardCheck(**base, draft=None, status=NOT_IN_DRAFT,
                             because=f"computed {computed or 'no rating'}, but the draft has no rating for it")
    if computed is None:
        return StandardCheck(**base, draft=drafted.rating, status=NO_RATING,
                             because=f"no computed rating: {s.decision.because}")
    if computed == drafted.rating:
        why = via or s.decision.because
        return StandardCheck(**base, draft=drafted.rating, status=AGREES, because=why)
    because = f"computed {computed}, draft {drafted.rating}. "
    detail: dict = {}
    if override:
        because += f"The computed rating is a {via}."
    elif s.basis == "judgement":
        because += (f"It is {s.decision.because}; a judgement standard has no case margin: correct the judgements "
                    "or the draft.")
    elif computed == NOT_INSPECTED:
        because += f"{s.decision.because[0].upper()}{s.decision.because[1:]}; give its cases to rate it."
    elif drafted.rating == NOT_INSPECTED:
        because += (f"The case file has evidence for its key questions "
                    f"({', '.join(k.id for k in s.key_questions)}); remove those columns if it was not inspected.")
    else:
        text, detail = _case_difference(rb, compiled, s, drafted.rating)
        because += text
    return StandardCheck(**base, draft=drafted.rating, status=DIFFERS, because=because, detail=detail)


def _kq_state(k, rating: str | None = None, sufficient: int | None = None) -> dict:
    s = k.sufficient if sufficient is None else sufficient
    return {"key_question": k.id, "sufficient": s, "applicable": k.applicable,
            "pct": round(100 * s / k.applicable, 4) if k.applicable else None, "rating": rating or k.rating}


def _case_difference(rb: Rulebook, compiled, s: StandardResult, target_rating: str) -> tuple[str, dict]:
    """Deciding key question(s), tallies, bands, and the cases to move to the draft's band."""
    rated = [k for k in s.key_questions if k.rating is not None]
    bands = KeyQuestionBands(compiled, [(k.sufficient, k.applicable) for k in rated])
    target = rb.rank(target_rating)
    here = rb.rank(s.rating)

    def kq_text(k) -> str:
        d = k.decision
        return (f"{k.id}: {k.sufficient} of {k.applicable} applicable cases sufficient ({explain.pct_text(k.pct)}), "
                f"rule {d.rule} gives {k.rating}")

    moves = []
    if target > here:
        direction = "up"
        deciding = [k for k in rated if bands.rank(k.sufficient, k.applicable) < target]
        for k in deciding:
            n = bands.cases_to_reach(k.sufficient, k.applicable, target)
            if n is None:
                moves = None
                break
            moves.append((k, n, k.sufficient + n))
    else:
        direction = "down"
        best = None
        for k in rated:
            n = bands.cases_to_fall_to(k.sufficient, k.applicable, target)
            if n is not None and (best is None or n < best[1]):
                best = (k, n, k.sufficient - n)
        deciding = [best[0]] if best else []
        moves = [best] if best else None
    lead = ("Deciding key question" + ("s" if len(deciding) > 1 else "") + " for the draft's band: "
            if direction == "up" else "Nearest key question to the draft's band: ")
    text = lead + "; ".join(kq_text(k) for k in deciding) + ". " if deciding else ""
    detail: dict = {
        "deciding_key_question": s.deciding_key_question,
        "key_questions": [{**_kq_state(k), "rule": k.decision.rule} for k in rated],
    }
    if not moves:
        text += f"No change of case answers on its key questions gives {target_rating} (same sample)."
        detail["margin_to_draft"] = None
        return text, detail
    steps = []
    new_ranks = {k.id: bands.rank(k.sufficient, k.applicable) for k in rated}
    for k, n, s_new in moves:
        outcome = bands.outcome(s_new, k.applicable)
        new_ranks[k.id] = rb.rank(outcome.row.then)
        steps.append({"key_question": k.id, "cases": n, "from": _kq_state(k),
                      "to": {**_kq_state(k, outcome.row.then, s_new), "rule": outcome.rule}})
    total = sum(st["cases"] for st in steps)
    result = rb.ratings[min(new_ranks.values())]
    change = "insufficient -> sufficient" if direction == "up" else "sufficient -> insufficient"
    parts = [f"{st['cases']} on {st['key_question']} ({st['from']['sufficient']} -> {st['to']['sufficient']} of "
             f"{st['to']['applicable']}, {explain.pct_text(st['to']['pct'])}, rule {st['to']['rule']})" for st in steps]
    text += (f"Margin to the draft's {target_rating}: {total} case{'s' if total != 1 else ''} {change}: "
             + " + ".join(parts) + (f", giving {result}" if result != target_rating else "") + ".")
    detail["margin_to_draft"] = {"to": target_rating, "cases": total, "direction": direction, "change": change,
                                 "gives": result, "steps": steps}
    return text, detail


def _check_overall(rb: Rulebook, compiled, u: UnitResult, d: UnitDraft) -> OverallCheck:
    o = u.overall
    drafted = d.overall
    draft_rating = drafted.rating if drafted else None
    draft_score = drafted.score if drafted else None
    draft_max = drafted.max_score if drafted else None
    # What the draft's own standard ratings give, through the same overall decision.
    draft_self = None
    own = {sid: r.rating for sid, r in d.standards.items() if r.rating != NOT_INSPECTED}
    covered = set(d.standards) | {s.id for s in u.standards if s.rating == NOT_INSPECTED}
    if own and covered >= set(rb.standards_by_id):  # the draft rates every standard
        i = compiled.overall_input(own)
        if i.scored:
            own_bands = OverallBands(compiled, [i])
            draft_self = {"rating": own_bands.final(i), "score": i.score,
                          "max_score": rb.max_standard_score * i.scored,
                          "rule": own_bands.band[i].rule}
    if o.rating is None:
        rating_status = NOT_IN_DRAFT if draft_rating is None else NO_RATING
    else:
        rating_status = NOT_IN_DRAFT if draft_rating is None else (AGREES if draft_rating == o.rating else DIFFERS)
    if draft_score is None:
        score_status = NOT_IN_DRAFT
    else:
        same = draft_score == o.score and (draft_max is None or draft_max == o.max_score)
        score_status = AGREES if same and o.status in ("rated", "partial") else DIFFERS
    parts = []
    if o.rating is not None:
        parts.append(f"computed {o.rating}, score {o.score}/{o.max_score} ({o.decision.because})")
    else:
        parts.append(f"no computed overall rating ({o.status}): {o.decision.because}")
    if drafted:
        shown = draft_rating or "no rating"
        if draft_score is not None:
            shown += f", score {draft_score}" + (f"/{draft_max}" if draft_max is not None else "")
        parts.append(f"draft {shown}")
    if score_status == DIFFERS and draft_score is not None:
        gap = draft_score - o.score
        text = f"the draft's score {draft_score} is {gap:+d} point{'s' if abs(gap) != 1 else ''} from the computed {o.score}"
        if draft_max is not None and draft_max != o.max_score:
            text += (f", and its maximum {draft_max} differs from the computed {o.max_score} "
                     f"({o.scored} scored standards rated)")
        parts.append(text)
    margin = None
    if rating_status == DIFFERS and o.scored:
        i = compiled.overall_input({s.id: s.rating for s in u.standards if s.rated})
        grid_bands = OverallBands(compiled, [i])
        top = rb.max_standard_score * i.scored
        reach = [sc for sc in range(0, top + 1)
                 if grid_bands.final(OverallInput(sc, i.scored, i.counts)) == draft_rating]
        if reach:
            nearest = min(reach, key=lambda sc: (abs(sc - i.score), sc))
            points = nearest - i.score
            margin = {"to": draft_rating, "points": points, "score": nearest, "max_score": top}
            parts.append(f"the draft's {draft_rating} needs a score of {nearest}/{top}: {points:+d} point"
                         f"{'s' if abs(points) != 1 else ''} (other things equal)")
        else:
            margin = {"to": draft_rating, "points": None}
            parts.append(f"no score over {i.scored} scored standards gives {draft_rating}")
    if draft_self is not None and drafted is not None:
        own_text = (f"the draft's own standard ratings give {draft_self['rating']}, score "
                    f"{draft_self['score']}/{draft_self['max_score']} (rule {draft_self['rule']})")
        if (draft_rating and draft_rating != draft_self["rating"]) or (
                draft_score is not None and draft_score != draft_self["score"]):
            own_text += ": the draft is not consistent with itself"
        parts.append(own_text)
    return OverallCheck(o.rating, o.score, o.max_score, o.status, draft_rating, draft_score, draft_max,
                        rating_status, score_status, "; ".join(parts), margin, draft_self)
