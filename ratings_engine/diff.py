"""Diff two rulebooks over a corpus: which ratings change, why, and how many.

Every unit of the corpus is rated under the base and under the candidate rulebook (each through
its own compiled decision tables), and every overall, standard and key-question rating is
compared. A change names the deciding rule under each rulebook: the overall band row (and the
limit that capped it), the standard's deciding key question and its band row, or the key
question's band row. Both rulebooks' content hashes are part of the result.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .corpus import load_corpus, rate_corpus
from .errors import InputError
from .evidence import BlankPolicy
from .results import KeyQuestionResult, RatingReport, RulebookStamp, StandardResult, UnitResult
from .rulebook import LoadedRulebook

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
                allow_partial: bool = False, blank: BlankPolicy = "error", base_overrides: Sequence[str] = (),
                candidate_overrides: Sequence[str] = ()) -> DiffReport:
    """Rate every unit of a corpus under both rulebooks and compare (overrides already applied; listed for the record)."""
    reports = []
    for loaded in (base, candidate):
        corpus = load_corpus(paths, loaded.rulebook, blank=blank)
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


# ---------------------------------------------------------------------------------------------
# Rendering


def _rulebook_line(label: str, stamp: RulebookStamp, overrides: Sequence[str]) -> str:
    where = f" from {_short(stamp.file)}" if stamp.file else ""
    sets = f" with --set {' --set '.join(overrides)}" if overrides else ""
    return f"{label}: {stamp.id} version {stamp.version}{where}{sets}, sha256 {stamp.sha256}"


def _short(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(report: DiffReport) -> str:
    s = report.summary()
    if not report.changed:
        return f"No rating changed across {_plural(s['units'], 'unit')}."
    def within(n: int) -> str:
        return f" (in {_plural(n, 'unit')})" if n else ""

    return (f"{s['units_changed']} of {_plural(s['units'], 'unit')} changed: "
            f"{_plural(s['overall_changed'], 'overall rating')}, "
            f"{_plural(s['standards_changed'], 'standard rating')}{within(s['units_with_standard_changes'])}, "
            f"{_plural(s['key_questions_changed'], 'key-question rating')}"
            f"{within(s['units_with_key_question_changes'])}.")


def transition_lines(report: DiffReport) -> list[str]:
    """'2 units Good -> Requires improvement', most common first."""
    moved = [(n, a, b) for (a, b), n in report.transitions().items() if a != b]
    moved.sort(key=lambda t: (-t[0], report._order(t[1]), report._order(t[2])))
    return [f"{_plural(n, 'unit')} {a} -> {b}" for n, a, b in moved]


def to_text(report: DiffReport, *, markdown: bool = False) -> str:
    from tabulate import tabulate

    fmt = "github" if markdown else "simple"
    out: list[str] = []
    out.append("# Rulebook diff" if markdown else "Rulebook diff")
    out.append("")
    sep = "  " if markdown else ""
    out.append(_rulebook_line("Base", report.base, report.base_overrides) + sep)
    out.append(_rulebook_line("Candidate", report.candidate, report.candidate_overrides) + sep)
    files = ", ".join(i["file"] for i in report.inputs)
    out.append(f"Corpus: {files}")
    out.append("")
    out.append(("**Summary:** " if markdown else "Summary: ") + summary_line(report))
    out.append("")

    labels = report.labels()
    matrix = report.transitions()
    used = [l for l in labels if any(l in key for key in matrix)]
    out.append("## Overall ratings: base (rows) -> candidate (columns)" if markdown
               else "Overall ratings: base (rows) -> candidate (columns)")
    out.append("")
    rows = [[a] + [str(matrix.get((a, b), 0)) if matrix.get((a, b)) else "." for b in used] + [str(sum(matrix.get((a, b), 0) for b in used))]
            for a in used]
    rows.append(["total"] + [str(sum(matrix.get((a, b), 0) for a in used)) for b in used] + [str(len(report.units))])
    out.append(tabulate(rows, headers=["base \\ candidate"] + used + ["total"], tablefmt=fmt, disable_numparse=True))
    out.append("")
    moves = transition_lines(report)
    if moves:
        out.append("Moves:")
        out.extend(f"- {m}" for m in moves)
        out.append("")

    if report.changed:
        out.append("## Changed units" if markdown else "Changed units")
        out.append("")
        rows = []
        folded = False
        for u in report.changed_units:
            # A key question that decides a listed standard change is shown in that row already.
            shown = {r.split(" ", 1)[0] for c in u.changes if c.level == "standard" for r in (c.base_rule, c.candidate_rule)}
            for c in u.changes:
                if c.level == "key_question" and c.id in shown:
                    folded = True
                    continue
                what = ("overall" if c.level == "overall" else
                        f"{c.id} {c.name}" if c.level == "standard" else f"key question {c.id}")
                rows.append([u.unit, what, c.base, c.base_rule, c.candidate, c.candidate_rule])
        out.append(tabulate(rows, headers=["Unit", "Rating", "Base", "Decided by (base)", "Candidate",
                                           "Decided by (candidate)"], tablefmt=fmt, disable_numparse=True))
        out.append("")
        if folded:
            out.append("A key question that decides a changed standard is shown in the standard's row; "
                       "--format json lists every change with the rules' explanations.")
            out.append("")
    for w in report.warnings:
        out.append(f"{'**Warning:**' if markdown else 'WARNING:'} {w}")
    return "\n".join(out).rstrip() + "\n"


def to_json(report: DiffReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render(report: DiffReport, fmt: str = "table") -> str:
    if fmt == "json":
        return to_json(report)
    return to_text(report, markdown=fmt == "markdown")
