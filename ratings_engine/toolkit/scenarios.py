"""Scenario tests stored with the rules: given evidence, expected ratings, replayed and reported.

The file format is the contract in docs/scenario-format.md, read and validated by
`io.scenario_files`; here each scenario is checked against the rulebook being tested (ids,
ratings, files) and replayed. Any problem is an error naming the file, line and key path; the
CLI exits 2.

Each scenario describes one unit. Its evidence is assembled into a tally table and judgements
and rated by `rate.rate_tallies` with the rulebook under test, as every other path does:

* `cases`: a case file or a tally file (told apart by its header), holding one unit;
* `judgements`: a judgement file, or a mapping standard -> rating;
* `tallies`: key question -> [sufficient, applicable];
* `ratings`: standard -> rating. A judgement standard becomes a judgement; a case standard gets,
  for each key question, a synthetic tally that the rulebook's own band table maps to that
  rating (found by asking the compiled table, never by a threshold written here).

A standard may get its evidence from one of these only.
"""
from __future__ import annotations
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..engine.decide import KeyQuestionInput, compile_rulebook
from ..io.evidence import load_evidence
from ..io.judgements import read_judgements
from ..io.scenario_files import Expect, LoadedScenarios, Scenario, default_scenario_file, load_scenario_file, scenario_files
from ..model.audit import Audit
from ..model.errors import InputError, Location, Problem
from ..model.evidence import TALLY_COLUMNS, Judgement, Judgements
from ..model.results import RulebookStamp, UnitResult
from ..model.suggest import did_you_mean
from ..model.rulebook import NOT_INSPECTED, LoadedRulebook, Provenance, Rulebook
from ..rating.rate import rate_tallies
from ..rating.report import stamp
from ..rating.tally import evidence_tallies

#: Cases per synthetic key-question tally when `ratings` gives a case standard's rating.
SYNTHETIC_CASES = 100

# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Mismatch:
    what: str  # "overall", "rule", "limit", "status", "score", "max_score", "standard 2.2", "key question 2.2.3"
    expected: Any
    actual: Any
    because: str

    def to_dict(self) -> dict:
        return {"what": self.what, "expected": self.expected, "actual": self.actual, "because": self.because}


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    line: int | None
    name: str
    unit: str
    mismatches: tuple[Mismatch, ...]
    actual: dict  # overall, status, score, max_score
    provenance: Provenance | None = None

    @property
    def passed(self) -> bool:
        return not self.mismatches

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "name": self.name, "unit": self.unit, "passed": self.passed,
                "actual": self.actual, "failures": [m.to_dict() for m in self.mismatches],
                "provenance": self.provenance.model_dump() if self.provenance else None}


@dataclass(frozen=True)
class ScenarioReport:
    rulebook: RulebookStamp
    overrides: tuple[str, ...]
    files: tuple[dict, ...]  # file, sha256, written_for, scenarios
    results: tuple[ScenarioResult, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict:
        return {"format": "ratings-engine-scenarios/1",
                "rulebook": {**self.rulebook.to_dict(), "overrides": list(self.overrides)},
                "files": list(self.files), "passed": self.passed, "failed": self.failed, "notes": list(self.notes),
                "results": [r.to_dict() for r in self.results]}


# ---------------------------------------------------------------------------------------------
# Running


def run_scenarios(files: Sequence[LoadedScenarios], loaded: LoadedRulebook, *,
                  overrides: Sequence[str] = ()) -> ScenarioReport:
    rulebook = loaded.rulebook
    results: list[ScenarioResult] = []
    notes: list[str] = []
    infos = []
    for sf in files:
        if sf.model.rulebook != rulebook.id:
            notes.append(f"{sf.source}: written for rulebook {sf.model.rulebook}, replayed against {rulebook.id}")
        problems: list[Problem] = []
        file_results = []
        for i, scn in enumerate(sf.model.scenarios):
            try:
                file_results.append(_run_one(sf, i, scn, rulebook))
            except InputError as exc:
                problems.extend(exc.problems)
        if problems:
            raise InputError(problems)
        results.extend(file_results)
        infos.append({"file": sf.source, "sha256": sf.sha256, "written_for": sf.model.rulebook,
                      "scenarios": len(sf.model.scenarios)})
    return ScenarioReport(stamp(loaded), tuple(overrides), tuple(infos), tuple(results), tuple(notes))


def run_scenario_paths(paths: Sequence[str | Path] | None, loaded: LoadedRulebook, *,
                       overrides: Sequence[str] = ()) -> ScenarioReport:
    """Load scenario files (default: the rulebook's shipped ones) and replay them."""
    files = scenario_files(paths) if paths else [default_scenario_file(loaded.rulebook)]
    return run_scenarios([load_scenario_file(p) for p in files], loaded, overrides=overrides)


def _canonical_rating(rulebook: Rulebook, value: str, where: Location, problems: list[Problem], *,
                      allow_not_inspected: bool = True) -> str | None:
    allowed = list(rulebook.ratings) + ([NOT_INSPECTED] if allow_not_inspected else [])
    spelling = {r.lower(): r for r in allowed}
    canonical = spelling.get(str(value).strip().lower())
    if canonical is None:
        problems.append(Problem(f"unknown rating {value!r}{did_you_mean(str(value), allowed)}; expected one of "
                                f"{', '.join(allowed)}", where))
    return canonical


def _run_one(sf: LoadedScenarios, i: int, scn: Scenario, rulebook: Rulebook) -> ScenarioResult:
    base = ("scenarios", i)
    given = scn.given
    problems: list[Problem] = []
    stds = rulebook.standards_by_id
    kq_ids = set(rulebook.key_question_ids)
    evidence_of: dict[str, str] = {}  # standard id -> which given key supplies it

    def claim(std_id: str, key: str, where: Location) -> bool:
        if std_id in evidence_of and evidence_of[std_id] != key:
            problems.append(Problem(f"standard {std_id} gets evidence from both given.{evidence_of[std_id]} and "
                                    f"given.{key}; give each standard one source", where))
            return False
        evidence_of[std_id] = key
        return True

    unit = "scenario"
    frames: list[pd.DataFrame] = []
    # cases: a case file or a tally file
    if given.cases is not None:
        where = sf.where(base + ("given", "cases"))
        path = sf.path.parent / given.cases
        if not path.is_file():
            raise InputError(Problem(f"case file {given.cases!r} not found (looked for {path})", where))
        evidence = load_evidence(path, rulebook)
        if len(evidence.units) != 1:
            raise InputError(Problem(f"{given.cases} holds {len(evidence.units)} units "
                                     f"({', '.join(map(repr, evidence.units))}); a scenario rates one unit", where))
        unit = evidence.units[0]
        table = evidence_tallies(evidence)
        for std_id in {rulebook.standard_of_key_question[k].id for k in table["key_question"]}:
            claim(std_id, "cases", where)
        frames.append(table)
    # tallies
    rows = []
    by_std: dict[str, set[str]] = {}
    for kq, (s, a) in (given.tallies or {}).items():
        where = sf.where(base + ("given", "tallies", kq))
        if kq not in kq_ids:
            problems.append(Problem(f"unknown key question {kq!r} (rulebook {rulebook.id} has "
                                    f"{', '.join(rulebook.key_question_ids)})", where))
            continue
        std = rulebook.standard_of_key_question[kq]
        if claim(std.id, "tallies", where):
            by_std.setdefault(std.id, set()).add(kq)
            rows.append((unit, kq, s, a - s, 0, a))
    for std_id, have in by_std.items():
        missing = [k.id for k in stds[std_id].case_key_questions if k.id not in have]
        if missing:
            problems.append(Problem(f"standard {std_id} has tallies for some key questions but not "
                                    f"{', '.join(missing)}: give all its key questions or none",
                                    sf.where(base + ("given", "tallies"))))
    # judgements
    items: list[Judgement] = []
    if isinstance(given.judgements, str):
        where = sf.where(base + ("given", "judgements"))
        path = sf.path.parent / given.judgements
        if not path.is_file():
            raise InputError(Problem(f"judgement file {given.judgements!r} not found (looked for {path})", where))
        js = read_judgements(path, rulebook)
        named = sorted({j.unit for j in js.items if j.unit is not None})
        if named and given.cases is None and len(named) == 1:
            unit = named[0]
        others = [u for u in named if u != unit]
        if others:
            raise InputError(Problem(f"{given.judgements} gives judgements for unit(s) {', '.join(map(repr, others))}, "
                                     f"but this scenario rates {unit!r}", where))
        for j in js.items:
            if claim(j.standard, "judgements", where):
                items.append(j)
    elif isinstance(given.judgements, dict):
        for std_id, value in given.judgements.items():
            where = sf.where(base + ("given", "judgements", std_id))
            if std_id not in rulebook.judged_ids:  # judgement standards and judged key questions
                problems.append(Problem(f"{std_id!r} is not a judgement standard of rulebook {rulebook.id} "
                                        f"({', '.join(rulebook.judged_ids)})", where))
                continue
            rating = _canonical_rating(rulebook, value, where, problems)
            if rating is not None and claim(std_id, "judgements", where):
                items.append(Judgement(None, std_id, rating, None, f"{sf.source} ({scn.name})", where.line or 0))
    # ratings
    for std_id, value in (given.ratings or {}).items():
        where = sf.where(base + ("given", "ratings", std_id))
        std = stds.get(std_id)
        if std is None:
            problems.append(Problem(f"unknown standard {std_id!r} (rulebook {rulebook.id} has "
                                    f"{', '.join(s.id for s in rulebook.standards)})", where))
            continue
        rating = _canonical_rating(rulebook, value, where, problems)
        if rating is None or not claim(std_id, "ratings", where):
            continue
        if std.rated_by == "judgement":
            items.append(Judgement(None, std_id, rating, f"given as a rating by scenario {scn.name!r}",
                                   f"{sf.source} ({scn.name})", where.line or 0))
        elif rating != NOT_INSPECTED:  # case key questions at that band; a mixed standard's judged ones at it
            s, a = synthetic_tally(rulebook, rating, where)
            rows.extend((unit, k.id, s, a - s, 0, a) for k in std.case_key_questions)
            items.extend(Judgement(None, k.id, rating, f"given as a rating by scenario {scn.name!r}",
                                   f"{sf.source} ({scn.name})", where.line or 0) for k in std.judgement_key_questions)
    # expectations refer to things the rulebook has
    exp = scn.expect
    expected_standards = {}
    for std_id, value in (exp.standards or {}).items():
        where = sf.where(base + ("expect", "standards", std_id))
        if std_id not in stds:
            problems.append(Problem(f"unknown standard {std_id!r}{did_you_mean(std_id, stds)}", where))
            continue
        expected_standards[std_id] = _canonical_rating(rulebook, value, where, problems)
    expected_kqs = {}
    judged_kqs = set(rulebook.judgement_key_question_ids)  # a mixed standard's judged key questions
    for kq, value in (exp.key_questions or {}).items():
        where = sf.where(base + ("expect", "key_questions", kq))
        if kq not in kq_ids and kq not in judged_kqs:
            problems.append(Problem(f"unknown key question {kq!r}{did_you_mean(kq, kq_ids)}", where))
            continue
        expected_kqs[kq] = _canonical_rating(rulebook, value, where, problems, allow_not_inspected=False)
    expected_overall = None
    if exp.overall is not None:
        expected_overall = _canonical_rating(rulebook, exp.overall, sf.where(base + ("expect", "overall")), problems,
                                             allow_not_inspected=False)
    for key, table_rows in (("rule", rulebook.overall.bands.rows),
                            ("limit", rulebook.overall.limits.rows if rulebook.overall.limits else ())):
        value = getattr(exp, key)
        if value is not None and value not in {r.id for r in table_rows}:
            table = "overall.bands" if key == "rule" else "overall.limits"
            problems.append(Problem(f"unknown {table} row {value!r} (rulebook {rulebook.id} has "
                                    f"{', '.join(r.id for r in table_rows) or 'none'})",
                                    sf.where(base + ("expect", key))))
    if problems:
        raise InputError(problems)

    frames.append(pd.DataFrame(rows, columns=TALLY_COLUMNS))
    tallies = pd.concat([f for f in frames if not f.empty] or [frames[-1]], ignore_index=True)
    tallies["unit"] = unit
    judgements = Judgements(tuple(items), f"{sf.source} ({scn.name})", None, Audit(sf.source)) if items else None
    (result,) = rate_tallies(tallies, rulebook, judgements, allow_partial=given.allow_partial, units=[unit])

    mismatches = _compare(result, exp, expected_overall, expected_standards, expected_kqs)
    o = result.overall
    actual = {"overall": o.rating, "rule": o.decision.rule, "limit": o.limit.rule if o.limit is not None else None,
              "status": o.status, "score": o.score, "max_score": o.max_score}
    return ScenarioResult(sf.source, sf.line_of(base), scn.name, unit, tuple(mismatches), actual, scn.provenance)


def _compare(result: UnitResult, exp: Expect, overall: str | None, standards: dict, kqs: dict) -> list[Mismatch]:
    o = result.overall
    overall_because = o.decision.because + (f"; {o.limit.because}" if o.limit is not None else "")
    out = []
    if "overall" in exp.model_fields_set and overall != o.rating:
        out.append(Mismatch("overall", overall, o.rating, overall_because))
    if "rule" in exp.model_fields_set and exp.rule != o.decision.rule:
        out.append(Mismatch("rule", exp.rule, o.decision.rule, overall_because))
    actual_limit = o.limit.rule if o.limit is not None else None
    if "limit" in exp.model_fields_set and exp.limit != actual_limit:
        out.append(Mismatch("limit", exp.limit, actual_limit, overall_because))
    for key, actual in (("status", o.status), ("score", o.score), ("max_score", o.max_score)):
        expected = getattr(exp, key)
        if expected is not None and expected != actual:
            out.append(Mismatch(key, expected, actual, overall_because))
    for std_id, expected in standards.items():
        s = result.standard(std_id)
        actual = s.rating
        if expected != actual:
            because = s.decision.because
            if s.deciding_key_question:
                k = next(k for k in s.key_questions if k.id == s.deciding_key_question)
                because += f"; {k.id}: {k.decision.because}"
            out.append(Mismatch(f"standard {std_id}", expected, actual, because))
    by_id = {k.id: k for s in result.standards for k in s.key_questions}
    for kq, expected in kqs.items():
        k = by_id.get(kq)
        actual = k.rating if k is not None else None
        if expected != actual:
            because = k.decision.because if k is not None else "no evidence for this key question (standard not inspected)"
            out.append(Mismatch(f"key question {kq}", expected, actual, because))
    return out


_synthetic: dict[tuple[str, str], tuple[int, int]] = {}


def synthetic_tally(rulebook: Rulebook, rating: str, where: Location | None = None) -> tuple[int, int]:
    """A (sufficient, applicable) pair that the rulebook's own band table maps to `rating`.

    The compiled key-question table decides every s of 0..n (n = 100, or the rulebook's minimum
    applicable if larger); the middle s of those giving `rating` is used.
    """
    key = (rulebook.sha256, rating)
    if key not in _synthetic:
        n = max(SYNTHETIC_CASES, rulebook.policies.minimum_applicable.value)
        outcomes = compile_rulebook(rulebook).band([KeyQuestionInput(s, n) for s in range(n + 1)])
        hits = [s for s, o in zip(range(n + 1), outcomes) if o.row.then == rating]
        if not hits:
            raise InputError(Problem(f"no percentage of {n} cases gives {rating} under rulebook {rulebook.id}'s key "
                                     "question bands, so a case standard cannot be given that rating",
                                     where or Location()))
        _synthetic[key] = (hits[len(hits) // 2], n)
    return _synthetic[key]
