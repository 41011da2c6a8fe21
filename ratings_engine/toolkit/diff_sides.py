"""One side of a rulebook diff: each unit's ratings as labels, with what decided them.

A side comes from a rated unit (`side_of_result`: the deciding rule and its explanation for the
overall rating, each standard and each key question) or from recorded ratings
(`side_of_recorded`: overall and standards only). `toolkit.diff` compares two sides.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..io.recorded import RecordedRatings
from ..model.results import KeyQuestionResult, StandardResult, UnitResult
from ..model.rulebook import Rulebook

NO_RATING = "no rating"
ABSENT = "absent"
NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class Rated:
    label: str
    rule: str
    because: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class UnitSide:
    unit: str
    overall: Rated
    score: str
    standards: dict[str, Rated]
    key_questions: dict[str, Rated] | None  # None: not known (recorded ratings)


def side_of_result(u: UnitResult) -> UnitSide:
    overall = Rated(_overall_label(u), _overall_rule(u), _overall_because(u))
    standards = {s.id: Rated(_standard_label(s), _standard_rule(s), s.decision.because, s.name) for s in u.standards}
    kqs = {k.id: Rated(k.rating or NO_RATING, _kq_rule(k), k.decision.because) for s in u.standards
           for k in s.key_questions}
    return UnitSide(u.unit, overall, _score(u), standards, kqs)


def side_of_recorded(unit: str, recorded: RecordedRatings, rulebook: Rulebook) -> UnitSide:
    """A unit's recorded ratings as a diff side (standards of `rulebook`; unrecorded ones say so)."""
    o = recorded.overall(unit)
    overall = (Rated(o.rating, f"recorded ({recorded.where(o)})") if o is not None
               else Rated(NOT_RECORDED, "not in the recorded ratings"))
    standards = {}
    for s in rulebook.standards:
        r = recorded.standard(unit, s.id)
        standards[s.id] = (Rated(r.rating, f"recorded ({recorded.where(r)})", name=s.name) if r is not None
                           else Rated(NOT_RECORDED, "not in the recorded ratings", name=s.name))
    score = f"{o.score} (recorded)" if o is not None and o.score else "-"
    return UnitSide(unit, overall, score, standards, None)


def overall_label(rating: str | None, status: str) -> str:
    """How a diff names an overall rating: the rating, '(partial)', or why there is none."""
    if rating is None:
        return f"{NO_RATING} ({status})"
    return rating + (" (partial)" if status == "partial" else "")


def _overall_label(u: UnitResult) -> str:
    return overall_label(u.overall.rating, u.overall.status)


def _overall_rule(u: UnitResult) -> str:
    o = u.overall
    if o.rating is None:
        return o.status
    rule = f"{o.decision.rule} (score {o.score}/{o.max_score})"
    if o.limit is not None and o.limit.outcome != o.decision.outcome:
        rule += f", capped by limit {o.limit.rule}"
    return rule


def _overall_because(u: UnitResult) -> str:
    o = u.overall
    return o.decision.because + (f"; {o.limit.because}" if o.limit is not None else "")


def _kq_rule(k: KeyQuestionResult) -> str:
    if k.rating is None:
        return "no applicable cases"
    return f"{k.decision.rule} ({k.sufficient}/{k.applicable} = {k.pct:.1f}%)"


def _standard_rule(s: StandardResult) -> str:
    if s.basis == "judgement":
        return s.decision.table.replace("_", " ")  # judgement | not inspected | missing judgement
    if s.deciding_key_question is None:
        return s.decision.table.replace("_", " ")
    k = next(k for k in s.key_questions if k.id == s.deciding_key_question)
    return f"{k.id} {_kq_rule(k)}"


def _standard_label(s: StandardResult | None) -> str:
    if s is None:
        return ABSENT
    return s.rating if s.rating is not None else NO_RATING


def _score(u: UnitResult) -> str:
    return f"{u.overall.score}/{u.overall.max_score}"
