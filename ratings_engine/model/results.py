"""Rating results: frozen values for every unit, standard, key question and decision.

These are what the API returns and what every renderer reads. `RatingReport.to_dict()` is the
stable JSON shape documented in the README; the `*_frame()` methods give pandas views.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .rulebook import NOT_INSPECTED, Provenance


@dataclass(frozen=True)
class Margin:
    """How far a rating is from the next band: `amount` cases (or points) would move it to `to`."""

    to: str
    amount: int

    def to_dict(self, unit: str) -> dict:
        return {"to": self.to, unit: self.amount}


@dataclass(frozen=True)
class Decision:
    """One decision and why: the table and row that decided it, its inputs, its provenance."""

    subject: dict[str, str]
    table: str  # key_question_bands | no_applicable_cases | combine_key_questions | judgement | not_inspected | missing_judgement | override | overall.bands | overall.limits | not_rated
    rule: str | None
    outcome: str | None
    inputs: dict[str, Any]
    because: str
    provenance: Provenance | None
    matched: tuple[str, ...] = ()
    margin_up: Margin | None = None
    margin_down: Margin | None = None
    margin_unit: str = "cases"

    def to_dict(self) -> dict:
        return {
            "subject": self.subject,
            "table": self.table,
            "rule": self.rule,
            "matched": list(self.matched),
            "outcome": self.outcome,
            "inputs": self.inputs,
            "because": self.because,
            "margin": {
                "up": self.margin_up.to_dict(self.margin_unit) if self.margin_up else None,
                "down": self.margin_down.to_dict(self.margin_unit) if self.margin_down else None,
            },
            "provenance": self.provenance.model_dump() if self.provenance else None,
        }


@dataclass(frozen=True)
class KeyQuestionResult:
    id: str
    text: str
    sufficient: int
    insufficient: int
    not_applicable: int
    pct: float | None  # exact percentage sufficient of applicable; None when nothing applicable
    rating: str | None  # None: not rated (no applicable cases)
    decision: Decision

    @property
    def applicable(self) -> int:
        return self.sufficient + self.insufficient

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "sufficient": self.sufficient,
            "insufficient": self.insufficient,
            "not_applicable": self.not_applicable,
            "applicable": self.applicable,
            "pct": None if self.pct is None else round(self.pct, 4),
            "rating": self.rating,
            "decision": self.decision.to_dict(),
        }


@dataclass(frozen=True)
class StandardResult:
    id: str
    name: str
    domain: str
    basis: str  # "cases" | "judgement"
    scored: bool
    rating: str  # a rating, or "Not inspected"
    score: int | None  # None when not scored or not inspected
    key_questions: tuple[KeyQuestionResult, ...]
    deciding_key_question: str | None
    decision: Decision
    reason: str | None = None  # the judgement's reason

    @property
    def rated(self) -> bool:
        return self.rating not in (None, NOT_INSPECTED)  # not missing, not inspected, not left unrated

    @property
    def override(self) -> dict | None:
        """The panel override applied to this standard, if any: rating, computed rating, reason, origin."""
        if self.decision.table != "override":
            return None
        d = self.decision.inputs
        return {"rating": self.rating, "computed": d["computed_rating"], "reason": d["reason"], "from": d["from"]}

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "basis": self.basis,
            "scored": self.scored,
            "rating": self.rating,
            "score": self.score,
            "deciding_key_question": self.deciding_key_question,
            "reason": self.reason,
            "key_questions": [kq.to_dict() for kq in self.key_questions],
            "decision": self.decision.to_dict(),
        }


@dataclass(frozen=True)
class OverallResult:
    rating: str | None  # None when the overall rating is refused (missing judgements, nothing scored)
    score: int
    max_score: int
    scored: int  # number of scored standards that were rated
    status: str  # "rated" | "partial" | "incomplete" | "not rated"
    missing_judgements: tuple[str, ...]
    decision: Decision
    limit: Decision | None = None

    def to_dict(self) -> dict:
        return {
            "rating": self.rating,
            "score": self.score,
            "max_score": self.max_score,
            "scored_standards": self.scored,
            "status": self.status,
            "missing_judgements": list(self.missing_judgements),
            "decision": self.decision.to_dict(),
            "limit": self.limit.to_dict() if self.limit else None,
        }


@dataclass(frozen=True)
class UnitResult:
    unit: str
    standards: tuple[StandardResult, ...]
    overall: OverallResult

    def standard(self, standard_id: str) -> StandardResult:
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise KeyError(standard_id)

    def to_dict(self) -> dict:
        return {
            "unit": self.unit,
            "overall": self.overall.to_dict(),
            "standards": [s.to_dict() for s in self.standards],
        }


@dataclass(frozen=True)
class RulebookStamp:
    id: str
    version: str
    title: str
    sha256: str  # hash of the resolved content (see Rulebook.sha256)
    file: str | None = None
    file_sha256: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "version": self.version, "title": self.title, "sha256": self.sha256,
                "file": self.file, "file_sha256": self.file_sha256}


@dataclass(frozen=True)
class RatingReport:
    rulebook: RulebookStamp
    units: tuple[UnitResult, ...]
    inputs: tuple[dict, ...] = ()  # per input file: name, sha256, audit
    warnings: tuple[str, ...] = field(default=())

    def unit(self, name: str) -> UnitResult:
        for u in self.units:
            if u.unit == name:
                return u
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "format": "ratings-engine/1",
            "rulebook": self.rulebook.to_dict(),
            "inputs": list(self.inputs),
            "warnings": list(self.warnings),
            "units": [u.to_dict() for u in self.units],
        }

    # ---- pandas views ----
    def overall_frame(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"unit": u.unit, "rating": u.overall.rating, "score": u.overall.score,
             "max_score": u.overall.max_score, "scored_standards": u.overall.scored,
             "status": u.overall.status, "rule": u.overall.decision.rule}
            for u in self.units
        ])

    def standards_frame(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"unit": u.unit, "standard": s.id, "name": s.name, "domain": s.domain, "basis": s.basis,
             "scored": s.scored, "rating": s.rating, "score": s.score,
             "deciding_key_question": s.deciding_key_question}
            for u in self.units for s in u.standards
        ])

    def key_questions_frame(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"unit": u.unit, "standard": s.id, "key_question": kq.id, "sufficient": kq.sufficient,
             "insufficient": kq.insufficient, "not_applicable": kq.not_applicable,
             "applicable": kq.applicable, "pct": kq.pct, "rating": kq.rating, "rule": kq.decision.rule,
             "cases_to_go_up": kq.decision.margin_up.amount if kq.decision.margin_up else None,
             "cases_to_go_down": kq.decision.margin_down.amount if kq.decision.margin_down else None}
            for u in self.units for s in u.standards for kq in s.key_questions
        ])

    def decisions_frame(self) -> pd.DataFrame:
        rows = []
        for u in self.units:
            decisions = [kq.decision for s in u.standards for kq in s.key_questions]
            decisions += [s.decision for s in u.standards] + [u.overall.decision]
            decisions += [u.overall.limit] if u.overall.limit else []
            for d in decisions:
                rows.append({"unit": u.unit, "standard": d.subject.get("standard"),
                             "key_question": d.subject.get("key_question"), "table": d.table,
                             "rule": d.rule, "outcome": d.outcome, "because": d.because,
                             "grade": d.provenance.grade if d.provenance else None})
        return pd.DataFrame(rows)
