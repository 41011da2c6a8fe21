"""Diff two rulebooks over a corpus: which ratings change, why, and how many.

Every unit of the corpus is rated under the base and under the candidate rulebook (each through
its own compiled decision tables), and every overall, standard and key-question rating is
compared. A change names the deciding rule under each rulebook: the overall band row (and the
limit that capped it), the standard's deciding key question and its band row, or the key
question's band row. Both rulebooks' content hashes are part of the result.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..model.errors import InputError
from ..model.evidence import ReadOptions
from ..model.results import KeyQuestionResult, RatingReport, RulebookStamp, StandardResult, UnitResult
from ..model.rulebook import LoadedRulebook
from .corpus import load_corpus, rate_corpus

NO_RATING = "no rating"
ABSENT = "absent"


@dataclass(frozen=True)
class Change:
    """One rating that differs between the base and the candidate."""

    unit: str
    level: str  # "overall" | "standard" | "key_question"
    id: str | None  # standard or key question id; None for the overall rating
    name: str | None
    base: str
    candidate: str
    base_rule: str
    candidate_rule: str
    base_because: str | None = None
    candidate_because: str | None = None

    def to_dict(self) -> dict:
        return {"level": self.level, "id": self.id, "name": self.name, "base": self.base,
                "candidate": self.candidate, "base_rule": self.base_rule, "candidate_rule": self.candidate_rule,
                "base_because": self.base_because, "candidate_because": self.candidate_because}


@dataclass(frozen=True)
class UnitDiff:
    unit: str
    base_overall: str
    candidate_overall: str
    base_score: str
    candidate_score: str
    changes: tuple[Change, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def overall_changed(self) -> bool:
        return any(c.level == "overall" for c in self.changes)

    def count(self, level: str) -> int:
        return sum(1 for c in self.changes if c.level == level)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "changed": self.changed,
                "overall": {"base": self.base_overall, "candidate": self.candidate_overall,
                            "base_score": self.base_score, "candidate_score": self.candidate_score},
                "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class DiffReport:
    base: RulebookStamp
    candidate: RulebookStamp
    base_overrides: tuple[str, ...]
    candidate_overrides: tuple[str, ...]
    units: tuple[UnitDiff, ...]
    ratings: tuple[str, ...]  # the scale, lowest first, for ordering the transition matrix
    inputs: tuple[dict, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def changed_units(self) -> tuple[UnitDiff, ...]:
        return tuple(u for u in self.units if u.changed)

    @property
    def changed(self) -> bool:
        return bool(self.changed_units)

    def transitions(self) -> Counter:
        """(base overall, candidate overall) -> number of units, unchanged units included."""
        return Counter((u.base_overall, u.candidate_overall) for u in self.units)

    def labels(self) -> list[str]:
        """Overall labels for the matrix: the scale (highest first), then any others seen."""
        seen = {u.base_overall for u in self.units} | {u.candidate_overall for u in self.units}
        scale = [r for r in reversed(self.ratings)]
        return scale + sorted(seen - set(scale))

    def summary(self) -> dict:
        return {
            "units": len(self.units),
            "units_changed": len(self.changed_units),
            "overall_changed": sum(1 for u in self.units if u.overall_changed),
            "standards_changed": sum(u.count("standard") for u in self.units),
            "units_with_standard_changes": sum(1 for u in self.units if u.count("standard")),
            "key_questions_changed": sum(u.count("key_question") for u in self.units),
            "units_with_key_question_changes": sum(1 for u in self.units if u.count("key_question")),
        }

    def to_dict(self) -> dict:
        matrix = self.transitions()
        return {
            "format": "ratings-engine-diff/1",
            "base": {**self.base.to_dict(), "overrides": list(self.base_overrides)},
            "candidate": {**self.candidate.to_dict(), "overrides": list(self.candidate_overrides)},
            "summary": self.summary(),
            "changed": self.changed,
            "transitions": [{"from": a, "to": b, "units": n} for (a, b), n in
                            sorted(matrix.items(), key=lambda kv: (self._order(kv[0][0]), self._order(kv[0][1])))],
            "units": [u.to_dict() for u in self.units],
            "inputs": list(self.inputs),
            "warnings": list(self.warnings),
        }

    def _order(self, label: str) -> int:
        labels = self.labels()
        return labels.index(label) if label in labels else len(labels)


# ---------------------------------------------------------------------------------------------
# Computing a diff


def diff_reports(base: RatingReport, candidate: RatingReport, *, ratings: Sequence[str],
                 base_overrides: Sequence[str] = (), candidate_overrides: Sequence[str] = ()) -> DiffReport:
    """Compare two reports of the same units."""
    by_unit = {u.unit: u for u in candidate.units}
    missing = [u.unit for u in base.units if u.unit not in by_unit]
    extra = [u for u in by_unit if u not in {b.unit for b in base.units}]
    if missing or extra:  # pragma: no cover - both reports come from the same files
        raise InputError(f"the base and candidate ratings cover different units (only in base: {missing}; "
                         f"only in candidate: {extra})")
    units = tuple(_unit_diff(b, by_unit[b.unit]) for b in base.units)
    warnings = tuple(dict.fromkeys(list(base.warnings) + list(candidate.warnings)))
    return DiffReport(base.rulebook, candidate.rulebook, tuple(base_overrides), tuple(candidate_overrides), units,
                      tuple(ratings), base.inputs, warnings)


def diff_corpus(paths: Sequence[str | Path], base: LoadedRulebook, candidate: LoadedRulebook, *,
                allow_partial: bool = False, options: ReadOptions = ReadOptions(), base_overrides: Sequence[str] = (),
                candidate_overrides: Sequence[str] = ()) -> DiffReport:
    """Rate every unit of a corpus under both rulebooks and compare (overrides already applied; listed for the record)."""
    reports = []
    for loaded in (base, candidate):
        corpus = load_corpus(paths, loaded.rulebook, options=options)
        reports.append(rate_corpus(corpus, loaded, allow_partial=allow_partial))
    scale = list(base.rulebook.ratings) + [r for r in candidate.rulebook.ratings if r not in base.rulebook.ratings]
    return diff_reports(reports[0], reports[1], ratings=scale, base_overrides=base_overrides,
                        candidate_overrides=candidate_overrides)


def _overall_label(u: UnitResult) -> str:
    o = u.overall
    if o.rating is None:
        return f"{NO_RATING} ({o.status})"
    return o.rating + (" (partial)" if o.status == "partial" else "")


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


def _unit_diff(b: UnitResult, c: UnitResult) -> UnitDiff:
    changes: list[Change] = []
    bo, co = _overall_label(b), _overall_label(c)
    if bo != co:
        changes.append(Change(b.unit, "overall", None, None, bo, co, _overall_rule(b), _overall_rule(c),
                              _overall_because(b), _overall_because(c)))
    b_std = {s.id: s for s in b.standards}
    c_std = {s.id: s for s in c.standards}
    for sid in list(b_std) + [s for s in c_std if s not in b_std]:
        bs, cs = b_std.get(sid), c_std.get(sid)
        if _standard_label(bs) != _standard_label(cs):
            changes.append(Change(b.unit, "standard", sid, (bs or cs).name, _standard_label(bs), _standard_label(cs),
                                  _standard_rule(bs) if bs else ABSENT, _standard_rule(cs) if cs else ABSENT,
                                  bs.decision.because if bs else None, cs.decision.because if cs else None))
    b_kq = {k.id: k for s in b.standards for k in s.key_questions}
    c_kq = {k.id: k for s in c.standards for k in s.key_questions}
    for kid in list(b_kq) + [k for k in c_kq if k not in b_kq]:
        bk, ck = b_kq.get(kid), c_kq.get(kid)
        bl = ABSENT if bk is None else (bk.rating or NO_RATING)
        cl = ABSENT if ck is None else (ck.rating or NO_RATING)
        if bl != cl:
            changes.append(Change(b.unit, "key_question", kid, None, bl, cl,
                                  _kq_rule(bk) if bk else ABSENT, _kq_rule(ck) if ck else ABSENT,
                                  bk.decision.because if bk else None, ck.decision.because if ck else None))
    return UnitDiff(b.unit, bo, co, _score(b), _score(c), tuple(changes))


def _score(u: UnitResult) -> str:
    return f"{u.overall.score}/{u.overall.max_score}"
