"""Diff two rulebooks over a corpus: which ratings change, why, and how many.

Every unit of the corpus is rated under the base and under the candidate rulebook (each through
its own compiled decision tables), and every overall, standard and key-question rating is
compared. A change names the deciding rule under each rulebook: the overall band row (and the
limit that capped it), the standard's deciding key question and its band row, or the key
question's band row. Both rulebooks' content hashes are part of the result.

The base may instead be the ratings actually **recorded** for each unit (`io.recorded`: they
include panel overrides): then overall and standard ratings are compared with those, and key
questions (never recorded) are not compared.

A diff can be read at one **level** (overall, standard, key_question): the changes listed and
the transition **matrix** (counts with row percentages) are those of that level. Which change
of several moves which unit is `toolkit.attribution`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..io.recorded import OVERALL, RecordedRatings
from ..model.errors import InputError
from ..model.evidence import ReadOptions
from ..model.results import RatingReport, RulebookStamp
from ..model.rulebook import LoadedRulebook
from .corpus import load_corpus, rate_corpus
from .diff_sides import ABSENT, NO_RATING, NOT_RECORDED, UnitSide, overall_label, side_of_recorded, side_of_result

LEVELS = ("overall", "standard", "key_question")
ALL = "all"


def level_name(level: str) -> str:
    """'key-question' (as the command line spells it) -> 'key_question'; 'all' stays."""
    name = level.replace("-", "_")
    if name not in LEVELS + (ALL,):
        raise InputError(f"unknown level {level!r}: overall, standard, key-question or all")
    return name


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
    #: every standard and key question of the unit: (id, base label, candidate label), changed or not
    standards: tuple[tuple[str, str, str], ...] = ()
    key_questions: tuple[tuple[str, str, str], ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def overall_changed(self) -> bool:
        return any(c.level == "overall" for c in self.changes)

    def count(self, level: str) -> int:
        return sum(1 for c in self.changes if c.level == level)

    def pairs(self, level: str) -> list[tuple[str, str]]:
        """(base, candidate) labels of every rating of this unit at `level`."""
        if level == "overall":
            return [(self.base_overall, self.candidate_overall)]
        items = self.standards if level == "standard" else self.key_questions
        return [(b, c) for _, b, c in items]

    def to_dict(self, levels: Sequence[str] = LEVELS) -> dict:
        return {"unit": self.unit, "changed": self.changed,
                "overall": {"base": self.base_overall, "candidate": self.candidate_overall,
                            "base_score": self.base_score, "candidate_score": self.candidate_score},
                "changes": [c.to_dict() for c in self.changes if c.level in levels]}


@dataclass(frozen=True)
class Matrix:
    """Base (rows) x candidate (columns) counts of one level, with row totals and row percentages."""

    level: str
    labels: tuple[str, ...]  # the labels that occur, scale order (highest first), then others
    counts: dict[tuple[str, str], int]

    def total(self, row: str) -> int:
        return sum(self.counts.get((row, b), 0) for b in self.labels)

    def column_total(self, column: str) -> int:
        return sum(self.counts.get((a, column), 0) for a in self.labels)

    @property
    def grand_total(self) -> int:
        return sum(self.counts.values())

    def percent(self, row: str, column: str) -> float | None:
        """Share of the base row that goes to `column`, in per cent (None for an empty row)."""
        total = self.total(row)
        return 100.0 * self.counts.get((row, column), 0) / total if total else None

    def moved(self) -> list[tuple[int, str, str]]:
        """(count, from, to) of the off-diagonal cells, most common first."""
        order = {label: i for i, label in enumerate(self.labels)}
        cells = [(n, a, b) for (a, b), n in self.counts.items() if a != b and n]
        return sorted(cells, key=lambda t: (-t[0], order[t[1]], order[t[2]]))

    def to_dict(self) -> dict:
        return {"level": self.level, "labels": list(self.labels),
                "rows": [{"from": a, "total": self.total(a),
                          "counts": {b: self.counts.get((a, b), 0) for b in self.labels},
                          "percent": {b: (None if self.percent(a, b) is None else round(self.percent(a, b), 1))
                                      for b in self.labels}} for a in self.labels]}


def matrix_of(level: str, pairs: Sequence[tuple[str, str]], scale: Sequence[str]) -> Matrix:
    """The transition matrix of (base, candidate) label pairs; `scale` lowest first."""
    counts = Counter(pairs)
    seen = {a for a, _ in counts} | {b for _, b in counts}
    ordered = [r for r in reversed(scale) if r in seen]
    ordered += [r + " (partial)" for r in reversed(scale) if r + " (partial)" in seen]
    ordered += sorted(seen - set(ordered))
    return Matrix(level, tuple(ordered), dict(counts))


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
    level: str = ALL  # what is listed: one level, or all
    against: dict | None = None  # recorded ratings used as the base: file, sha256, audit
    attribution: object | None = None  # toolkit.attribution.Attribution, when several changes were made

    @property
    def levels(self) -> tuple[str, ...]:
        """The levels compared and listed: key questions are not compared with recorded ratings."""
        known = LEVELS if self.against is None else LEVELS[:2]
        return known if self.level == ALL else tuple(lv for lv in known if lv == self.level)

    @property
    def changed_units(self) -> tuple[UnitDiff, ...]:
        return tuple(u for u in self.units if u.changed)

    @property
    def changed(self) -> bool:
        return bool(self.changed_units)

    def listed(self) -> list[tuple[UnitDiff, Change]]:
        """The changes at the listed levels, unit by unit."""
        return [(u, c) for u in self.units for c in u.changes if c.level in self.levels]

    def transitions(self) -> Counter:
        """(base overall, candidate overall) -> number of units, unchanged units included."""
        return Counter((u.base_overall, u.candidate_overall) for u in self.units)

    def matrix(self, level: str = "overall") -> Matrix:
        return matrix_of(level, [p for u in self.units for p in u.pairs(level)], self.ratings)

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
        out = {
            "format": "ratings-engine-diff/1",
            "base": {**self.base.to_dict(), "overrides": list(self.base_overrides)},
            "candidate": {**self.candidate.to_dict(), "overrides": list(self.candidate_overrides)},
            "against": self.against,
            "level": self.level,
            "summary": self.summary(),
            "changed": self.changed,
            "transitions": [{"from": a, "to": b, "units": n} for (a, b), n in
                            sorted(matrix.items(), key=lambda kv: (self._order(kv[0][0]), self._order(kv[0][1])))],
            "matrices": {lv: self.matrix(lv).to_dict() for lv in self.levels},
            "units": [u.to_dict(self.levels) for u in self.units],
            "attribution": self.attribution.to_dict() if self.attribution is not None else None,
            "inputs": list(self.inputs),
            "warnings": list(self.warnings),
        }
        return out

    def _order(self, label: str) -> int:
        labels = self.labels()
        return labels.index(label) if label in labels else len(labels)


# ---------------------------------------------------------------------------------------------
# Computing a diff


def diff_sides(base: Sequence[UnitSide], candidate: Sequence[UnitSide]) -> tuple[UnitDiff, ...]:
    by_unit = {u.unit: u for u in candidate}
    missing = [u.unit for u in base if u.unit not in by_unit]
    extra = [u for u in by_unit if u not in {b.unit for b in base}]
    if missing or extra:  # pragma: no cover - both sides come from the same files
        raise InputError(f"the base and candidate ratings cover different units (only in base: {missing}; "
                         f"only in candidate: {extra})")
    return tuple(_unit_diff(b, by_unit[b.unit]) for b in base)


def diff_reports(base: RatingReport, candidate: RatingReport, *, ratings: Sequence[str],
                 base_overrides: Sequence[str] = (), candidate_overrides: Sequence[str] = (),
                 level: str = ALL) -> DiffReport:
    """Compare two reports of the same units."""
    units = diff_sides([side_of_result(u) for u in base.units], [side_of_result(u) for u in candidate.units])
    warnings = tuple(dict.fromkeys(list(base.warnings) + list(candidate.warnings)))
    return DiffReport(base.rulebook, candidate.rulebook, tuple(base_overrides), tuple(candidate_overrides), units,
                      tuple(ratings), base.inputs, warnings, level=level_name(level))


def diff_recorded(recorded: RecordedRatings, base: LoadedRulebook, candidate: RatingReport, *,
                  ratings: Sequence[str], candidate_overrides: Sequence[str] = (), level: str = ALL) -> DiffReport:
    """Compare a candidate's ratings with the recorded ones (standards and scale of `base`)."""
    from ..rating.report import input_record, stamp

    level = level_name(level)
    if level == "key_question":
        raise InputError("--level key-question: recorded ratings have no key-question ratings to compare with")
    units = [u.unit for u in candidate.units]
    base_sides = [side_of_recorded(u, recorded, base.rulebook) for u in units]
    diffs = diff_sides(base_sides, [side_of_result(u) for u in candidate.units])
    warnings = list(candidate.warnings)
    unknown = [u for u in recorded.units if u not in set(units)]
    if unknown:
        recorded.audit.skip("unit not in the corpus", sum(len(recorded.units[u]) for u in unknown))
        recorded.audit.rows_used -= sum(len(recorded.units[u]) for u in unknown)
        warnings.append(f"{recorded.source}: {len(unknown)} recorded unit(s) have no evidence in the corpus and are not "
                        f"compared: {', '.join(map(repr, unknown[:10]))}{' ...' if len(unknown) > 10 else ''}")
    unrecorded = [u for u in units if recorded.overall(u) is None]
    if unrecorded:
        warnings.append(f"{recorded.source}: no recorded overall rating for {len(unrecorded)} unit(s) of the corpus: "
                        f"{', '.join(map(repr, unrecorded[:10]))}{' ...' if len(unrecorded) > 10 else ''}")
    record = input_record("recorded", recorded.source, recorded.sha256, recorded.audit)
    return DiffReport(stamp(base), candidate.rulebook, (), tuple(candidate_overrides), diffs, tuple(ratings),
                      candidate.inputs + (record,), tuple(warnings), level=level, against=record)


def diff_corpus(paths: Sequence[str | Path], base: LoadedRulebook, candidate: LoadedRulebook, *,
                allow_partial: bool = False, options: ReadOptions = ReadOptions(), base_overrides: Sequence[str] = (),
                candidate_overrides: Sequence[str] = (), level: str = ALL,
                against: RecordedRatings | None = None) -> DiffReport:
    """Rate every unit of a corpus under both rulebooks (or the candidate only, against recorded
    ratings) and compare (overrides already applied; listed for the record)."""
    scale = list(base.rulebook.ratings) + [r for r in candidate.rulebook.ratings if r not in base.rulebook.ratings]
    cand_report = rate_corpus(load_corpus(paths, candidate.rulebook, options=options), candidate,
                              allow_partial=allow_partial)
    if against is not None:
        return diff_recorded(against, base, cand_report, ratings=scale, candidate_overrides=candidate_overrides,
                             level=level)
    base_report = rate_corpus(load_corpus(paths, base.rulebook, options=options), base, allow_partial=allow_partial)
    return diff_reports(base_report, cand_report, ratings=scale, base_overrides=base_overrides,
                        candidate_overrides=candidate_overrides, level=level)


def _unit_diff(b: UnitSide, c: UnitSide) -> UnitDiff:
    changes: list[Change] = []
    if b.overall.label != c.overall.label:
        changes.append(Change(b.unit, "overall", None, None, b.overall.label, c.overall.label, b.overall.rule,
                              c.overall.rule, b.overall.because, c.overall.because))
    standards = []
    for sid in list(b.standards) + [s for s in c.standards if s not in b.standards]:
        bs, cs = b.standards.get(sid), c.standards.get(sid)
        bl, cl = bs.label if bs else ABSENT, cs.label if cs else ABSENT
        standards.append((sid, bl, cl))
        if bl != cl:
            changes.append(Change(b.unit, "standard", sid, (bs or cs).name, bl, cl, bs.rule if bs else ABSENT,
                                  cs.rule if cs else ABSENT, bs.because if bs else None, cs.because if cs else None))
    kqs = []
    if b.key_questions is not None and c.key_questions is not None:
        for kid in list(b.key_questions) + [k for k in c.key_questions if k not in b.key_questions]:
            bk, ck = b.key_questions.get(kid), c.key_questions.get(kid)
            bl, cl = bk.label if bk else ABSENT, ck.label if ck else ABSENT
            kqs.append((kid, bl, cl))
            if bl != cl:
                changes.append(Change(b.unit, "key_question", kid, None, bl, cl, bk.rule if bk else ABSENT,
                                      ck.rule if ck else ABSENT, bk.because if bk else None,
                                      ck.because if ck else None))
    return UnitDiff(b.unit, b.overall.label, c.overall.label, b.score, c.score, tuple(changes), tuple(standards),
                    tuple(kqs))


__all__ = ["ABSENT", "ALL", "Change", "DiffReport", "LEVELS", "Matrix", "NOT_RECORDED", "NO_RATING", "OVERALL",
           "UnitDiff", "diff_corpus", "diff_recorded", "diff_reports", "level_name", "matrix_of", "overall_label"]
