"""Rating results: frozen values for every unit, standard, key question and decision.

These are what the API returns and what every renderer reads. `RatingReport.to_dict()` is the
stable JSON shape documented in the README; the `*_frame()` methods give pandas views.
This module is long because every result value is here, with its JSON shape and frame, in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from .samples import PoolPart, SampleCheck
from .views import NOT_INSPECTED

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from .rulebook import Provenance


@dataclass(frozen=True)
class Margin:
    """How far a rating is from the next band: `amount` cases (or points) would move it to `to`."""

    to: str
    amount: int

    def to_dict(self, unit: str) -> dict:
        return {"to": self.to, unit: self.amount}


@dataclass(frozen=True)
class Decision:
    """One decision and why: the table and row that decided it, its inputs, its provenance.

    `because` is the explanation in words; `matched` every row that matched before the hit
    policy chose; `margin_up` / `margin_down` how far the outcome is from the next band, in
    `margin_unit` (cases for key questions and standards, points for the overall rating).
    """

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

    def __repr__(self) -> str:
        return f"<Decision {self.table} {self.rule or ''} -> {self.outcome}: {self.because[:80]}>"

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
            "provenance": dict(_provenance_dict(self.provenance)) if self.provenance else None,
        }


@lru_cache(maxsize=4096)
def _provenance_dict(provenance: Provenance) -> dict:
    """A provenance as a dict, made once per (frozen) provenance: every decision carries one."""
    return dict(provenance)  # its fields (grade, source), without building a serialisation schema


@dataclass(frozen=True)
class KeyQuestionResult:
    """One key question of one unit: its tally, percentage, band rating and the decision that gave it."""

    id: str
    text: str
    sufficient: int
    insufficient: int
    not_applicable: int
    pct: float | None  # exact percentage sufficient of applicable; None when nothing applicable
    rating: str | None  # None: not rated (no applicable cases)
    decision: Decision
    basis: str = "cases"  # "judgement": a key question of a mixed standard rated by inspectors (no tally)
    pooled: tuple[PoolPart, ...] = ()  # a pooled figure: each member unit's counts (they sum to the tally)

    @property
    def applicable(self) -> int:
        """Cases answered yes or no: the denominator of the percentage."""
        return self.sufficient + self.insufficient

    def __repr__(self) -> str:
        if self.basis == "judgement":
            return f"<KeyQuestionResult {self.id}: judged {self.rating}>"
        return f"<KeyQuestionResult {self.id}: {self.sufficient}/{self.applicable} -> {self.rating}>"

    def to_dict(self) -> dict:
        out = {
            "id": self.id,
            "sufficient": self.sufficient,
            "insufficient": self.insufficient,
            "not_applicable": self.not_applicable,
            "applicable": self.applicable,
            "pct": None if self.pct is None else round(self.pct, 4),
            "rating": self.rating,
            "decision": self.decision.to_dict(),
        }
        if self.basis != "cases":  # keys only where a newer rule applies: older documents stay identical
            out["basis"] = self.basis
        if self.pooled:
            out["pooled"] = [p.to_dict() for p in self.pooled]
        return out


@dataclass(frozen=True)
class StandardResult:
    """One standard of one unit: its rating (from cases, by judgement, or a panel override), score,
    key questions and the decision that gave it. `rating` is None for a missing judgement."""

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
    sample: SampleCheck | None = None  # its case sample, when outside the rulebook's size limits

    def __repr__(self) -> str:
        return f"<StandardResult {self.id} {self.name}: {self.rating}>"

    @property
    def rated(self) -> bool:
        """True when the standard has a rating on the scale (not missing, not inspected, not left unrated)."""
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
            **({"sample": self.sample.to_dict()} if self.sample is not None else {}),
        }


@dataclass(frozen=True)
class OverallResult:
    """A unit's overall rating: score over the scored standards rated, the band row (and any limit)
    that decided it, and its status: rated, partial, incomplete (judgements missing) or not rated."""

    rating: str | None  # None when the overall rating is refused (missing judgements, nothing scored)
    score: int
    max_score: int
    scored: int  # number of scored standards that were rated
    status: str  # "rated" | "partial" | "incomplete" | "not rated"
    missing_judgements: tuple[str, ...]
    decision: Decision
    limit: Decision | None = None
    #: the unit has case evidence, but no scored standard could be rated from it (e.g. every case
    #: answers n/a): like missing judgements, the overall is refused, or labelled partial
    no_case_ratings: bool = False

    @property
    def missing_text(self) -> str:
        """What the overall rating lacks, in words ('' when nothing)."""
        parts = []
        if self.missing_judgements:
            parts.append(f"judgement standard(s) {', '.join(self.missing_judgements)} missing")
        if self.no_case_ratings:
            parts.append("no standard rated from the cases (too few applicable cases: every case n/a?)")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<OverallResult {self.rating or '(' + self.status + ')'}, score {self.score}/{self.max_score}>"

    def to_dict(self) -> dict:
        out = {
            "rating": self.rating,
            "score": self.score,
            "max_score": self.max_score,
            "scored_standards": self.scored,
            "status": self.status,
            "missing_judgements": list(self.missing_judgements),
            "decision": self.decision.to_dict(),
            "limit": self.limit.to_dict() if self.limit else None,
        }
        if self.no_case_ratings:
            out["no_case_ratings"] = True
        return out


@dataclass(frozen=True)
class UnitResult:
    """One unit's ratings: every standard (with its key questions) and the overall rating."""

    unit: str
    standards: tuple[StandardResult, ...]
    overall: OverallResult
    samples: tuple[SampleCheck, ...] = ()  # every case sample checked against the rulebook's size limits
    members: tuple[str, ...] = ()  # a pooled unit's (a region's) member units, whose cases it pooled

    def __repr__(self) -> str:
        o = self.overall
        return f"<UnitResult {self.unit!r}: {o.rating or '(' + o.status + ')'}, score {o.score}/{o.max_score}>"

    @property
    def samples_outside(self) -> tuple[SampleCheck, ...]:
        """The samples below their minimum or above their maximum: the ratings they label."""
        return tuple(c for c in self.samples if c.outside)

    def standard(self, standard_id: str) -> StandardResult:
        """The result of one standard by id (KeyError if the rulebook has no such standard)."""
        for s in self.standards:
            if s.id == standard_id:
                return s
        raise KeyError(standard_id)

    def to_dict(self) -> dict:
        out = {"unit": self.unit}
        if self.members:
            out["members"] = list(self.members)
        out["overall"] = self.overall.to_dict()
        if self.samples:
            out["samples"] = [c.to_dict() for c in self.samples]
        out["standards"] = [s.to_dict() for s in self.standards]
        return out


@dataclass(frozen=True)
class RulebookStamp:
    """Which rulebook made a result: id, version, title, hash of its resolved content, and its file."""

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
    """The ratings of one or more units by one rulebook: what `rate()` returns.

    `units` in input order; `rulebook` says which rulebook (id, version, content and file
    hashes) made them; `inputs` records each input file (kind, file, sheet, sha256, and its
    audit: rows read = used + skipped); `warnings` are what a reader must not miss (missing
    judgements, overrides, unused rows); `notes` are for information (e.g. which judgements
    file was found by name). `scale` is the rulebook's rating scale, lowest first.

    Views: `overall_frame()`, `standards_frame()`, `key_questions_frame()`,
    `decisions_frame()` (pandas; ratings as ordered categoricals, counts as nullable integers);
    `to_dict()` is the stable JSON document (`format: ratings-engine/1`).
    """

    rulebook: RulebookStamp
    units: tuple[UnitResult, ...]
    inputs: tuple[dict, ...] = ()  # per input file: kind, file, sheet, sha256, audit
    warnings: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())
    scale: tuple[str, ...] = field(default=())  # the rulebook's ratings, lowest first

    def unit(self, name: str) -> UnitResult:
        """The result of the unit called `name` (KeyError if there is none)."""
        for u in self.units:
            if u.unit == name:
                return u
        raise KeyError(name)

    def to_dict(self) -> dict:
        """The JSON document documented in the README (stable keys, plain values)."""
        return {**self.head_dict(), "units": [u.to_dict() for u in self.units]}

    def head_dict(self) -> dict:
        """Everything of `to_dict()` before the units, in the same order (for streamed writers)."""
        out = {
            "format": "ratings-engine/1",
            "rulebook": self.rulebook.to_dict(),
            "inputs": list(self.inputs),
            "warnings": list(self.warnings),
        }
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{u.unit}: {u.overall.rating or u.overall.status}" for u in self.units[:3])
        more = f", ... ({len(self.units)} units)" if len(self.units) > 3 else ""
        return f"<RatingReport by {self.rulebook.id} {self.rulebook.version}: {shown}{more}>"

    def _repr_html_(self) -> str:
        """A notebook's view: one row per unit with its overall rating and score."""
        from html import escape

        rows = "".join(
            f"<tr><td>{escape(u.unit)}</td><td>{escape(u.overall.rating or '(' + u.overall.status + ')')}</td>"
            f"<td>{u.overall.score}/{u.overall.max_score}</td><td>{escape(u.overall.status)}</td></tr>"
            for u in self.units[:50])
        more = f"<p>... and {len(self.units) - 50} more units</p>" if len(self.units) > 50 else ""
        warn = f"<p>{len(self.warnings)} warning(s): see <code>.warnings</code></p>" if self.warnings else ""
        return (f"<p>Ratings by <b>{escape(self.rulebook.id)}</b> version {escape(self.rulebook.version)} "
                f"(sha256 {self.rulebook.sha256[:12]})</p><table><thead><tr><th>unit</th><th>overall</th>"
                f"<th>score</th><th>status</th></tr></thead><tbody>{rows}</tbody></table>{more}{warn}")

    # ---- pandas views ----
    def _ratings(self, values: list, *, not_inspected: bool = False) -> pd.Categorical:
        """Ratings as an ordered categorical in band order (lowest first); 'Not inspected' before them."""
        scale = list(self.scale) or sorted({v for v in values if v is not None and v != NOT_INSPECTED})
        categories = ([NOT_INSPECTED] if not_inspected else []) + scale
        return pd.Categorical(values, categories=categories, ordered=True)

    def overall_frame(self) -> pd.DataFrame:
        """One row per unit: overall rating (ordered categorical), score, maximum, status, deciding rule."""
        frame = pd.DataFrame({
            "unit": [u.unit for u in self.units],
            "rating": self._ratings([u.overall.rating for u in self.units]),
            "score": pd.array([u.overall.score for u in self.units], dtype="Int64"),
            "max_score": pd.array([u.overall.max_score for u in self.units], dtype="Int64"),
            "scored_standards": pd.array([u.overall.scored for u in self.units], dtype="Int64"),
            "status": [u.overall.status for u in self.units],
            "rule": [u.overall.decision.rule for u in self.units],
        })
        return frame

    def standards_frame(self) -> pd.DataFrame:
        """One row per unit and standard: rating (ordered categorical, 'Not inspected' lowest), score,
        how it was rated, and the deciding key question."""
        rows = [(u, s) for u in self.units for s in u.standards]
        return pd.DataFrame({
            "unit": [u.unit for u, _ in rows], "standard": [s.id for _, s in rows], "name": [s.name for _, s in rows],
            "domain": [s.domain for _, s in rows], "basis": [s.basis for _, s in rows],
            "scored": [s.scored for _, s in rows],
            "rating": self._ratings([s.rating for _, s in rows], not_inspected=True),
            "score": pd.array([s.score for _, s in rows], dtype="Int64"),
            "deciding_key_question": [s.deciding_key_question for _, s in rows],
            "overridden": [s.override is not None for _, s in rows],
        })

    def key_questions_frame(self) -> pd.DataFrame:
        """One row per unit and key question: the tally (nullable integers), percentage, rating,
        deciding rule, and the cases that would move it a band up or down."""
        rows = [(u, s, k) for u in self.units for s in u.standards for k in s.key_questions]

        def ints(values: list) -> pd.arrays.IntegerArray:
            return pd.array(values, dtype="Int64")

        def counts(name: str) -> pd.arrays.IntegerArray:  # a judged key question has no tally: <NA>
            return ints([None if k.basis == "judgement" else getattr(k, name) for *_, k in rows])

        return pd.DataFrame({
            "unit": [u.unit for u, _, _ in rows], "standard": [s.id for _, s, _ in rows],
            "key_question": [k.id for _, _, k in rows],
            "sufficient": counts("sufficient"),
            "insufficient": counts("insufficient"),
            "not_applicable": counts("not_applicable"),
            "applicable": counts("applicable"),
            "pct": pd.array([k.pct for *_, k in rows], dtype="Float64"),
            "rating": self._ratings([k.rating for *_, k in rows]),
            "rule": [k.decision.rule for *_, k in rows],
            "cases_to_go_up": ints([k.decision.margin_up.amount if k.decision.margin_up else None for *_, k in rows]),
            "cases_to_go_down": ints([k.decision.margin_down.amount if k.decision.margin_down else None
                                      for *_, k in rows]),
        })

    def decisions_frame(self) -> pd.DataFrame:
        """Every decision (key question, standard, overall, limit): table, rule, outcome, explanation, grade."""
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
        return pd.DataFrame(rows, columns=["unit", "standard", "key_question", "table", "rule", "outcome", "because",
                                           "grade"])
