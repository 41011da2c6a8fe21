"""Property checks of a whole rulebook: `rate check-rules RULEBOOK --properties`.

hypothesis generates evidence for one unit: a case table with the rulebook's key questions
(a random subset of its case standards, 1 to 40 cases, each answer yes / no / n/a) and random
judgements for its judgement standards (any rating, or not inspected). Half the key questions
are drawn just below one of the band table's bounds, so that one more sufficient case crosses
it. Each example is built as validated evidence (the same answer table reading a case file
gives) and rated by `rating.report.rate_evidence` (tallies, the compiled rulebook, aggregation); three
properties are verified:

* monotonicity: turning one insufficient answer into a sufficient one (one more sufficient
  case for that key question, the same number of applicable cases) never lowers any rating:
  key question, standard or overall;
* permutation invariance: shuffling the order of the cases (rows) and of the key-question
  columns changes no rating, score or deciding rule;
* not-applicable invariance: adding cases answered "n/a" on every key question changes nothing.

A failing property reports hypothesis's smallest counter-example as a case table, with the
judgements and the ratings that disagree. Runs are deterministic for a given seed, and no
hypothesis example database is written (`database=None`).
"""
from __future__ import annotations

import dataclasses
import math
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..model.audit import Audit
from ..model.errors import RatingsEngineError
from ..model.evidence import INSUFFICIENT, NOT_APPLICABLE, SUFFICIENT, CaseEvidence, Judgement, Judgements
from ..model.rulebook import NOT_INSPECTED, LoadedRulebook, Rulebook
from ..rating.report import rate_evidence

DEFAULT_EXAMPLES = 100
DEFAULT_SEED = 0
MAX_CASES = 40
UNIT = "generated unit"
YES, NO, NA = "yes", "no", "n/a"


@dataclass(frozen=True)
class Evidence:
    """One generated example: a case table (key question -> answers, one per case) and judgements."""

    columns: dict[str, tuple[str, ...]]
    judgements: dict[str, str]

    @property
    def n_cases(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def frame(self) -> pd.DataFrame:
        data: dict[str, Any] = {"case_id": [f"c{i + 1:02d}" for i in range(self.n_cases)]}
        data.update({kq: list(answers) for kq, answers in self.columns.items()})
        return pd.DataFrame(data)


@dataclass(frozen=True)
class Counterexample:
    property: str
    change: str
    before: pd.DataFrame
    after: pd.DataFrame
    judgements: dict[str, str]
    differences: tuple[tuple[str, Any, Any], ...]  # (what, before, after)
    tallies: tuple[tuple[str, str, str], ...] = ()  # (key question, before, after) where they differ
    shrunk: bool = True  # hypothesis shrank it to the smallest it could find

    def to_dict(self) -> dict:
        return {
            "change": self.change,
            "cases_before": self.before.to_dict("records"),
            "cases_after": self.after.to_dict("records"),
            "judgements": self.judgements,
            "tallies": [{"key_question": k, "before": b, "after": a} for k, b, a in self.tallies],
            "differences": [{"rating_of": w, "before": b, "after": a} for w, b, a in self.differences],
        }


@dataclass(frozen=True)
class PropertyResult:
    name: str
    description: str
    passed: bool
    examples: int
    counterexample: Counterexample | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "passed": self.passed,
                "examples": self.examples, "error": self.error,
                "counterexample": self.counterexample.to_dict() if self.counterexample else None}


@dataclass
class PropertiesReport:
    rulebook_id: str
    examples: int
    seed: int
    results: list[PropertyResult] = field(default_factory=list)
    skipped: str | None = None  # why the properties were not run

    @property
    def ok(self) -> bool:
        return self.skipped is None and all(r.passed for r in self.results)

    @property
    def failed(self) -> list[PropertyResult]:
        return [r for r in self.results if not r.passed]

    def to_dict(self) -> dict:
        return {"rulebook": self.rulebook_id, "examples": self.examples, "seed": self.seed, "ok": self.ok,
                "skipped": self.skipped, "results": [r.to_dict() for r in self.results]}


class _Counter:
    """Counts the examples run until the first failure (shrinking runs more)."""

    def __init__(self):
        self.examples = 0
        self.failed = False

    def wrap(self, body):
        def test(data) -> None:
            try:
                body(data)
            except _Violation:
                if not self.failed:
                    self.failed = True
                    self.examples += 1
                raise
            if not self.failed:
                self.examples += 1

        return test


class _Violation(Exception):
    def __init__(self, counterexample: Counterexample, error: str | None = None):
        super().__init__(counterexample.change)
        self.counterexample = counterexample
        self.error = error


# ---------------------------------------------------------------------------------------------


def check_properties(rules: Rulebook | LoadedRulebook, examples: int = DEFAULT_EXAMPLES,
                     seed: int = DEFAULT_SEED, shrink: bool = True) -> PropertiesReport:
    """Verify monotonicity, permutation invariance and not-applicable invariance for a rulebook.

    `shrink=False` reports the first failing example found instead of hypothesis's smallest.
    """
    import hypothesis
    from hypothesis import configuration
    from hypothesis import strategies as st

    loaded = rules if isinstance(rules, LoadedRulebook) else LoadedRulebook(rules, None, None)
    rb = loaded.rulebook
    report = PropertiesReport(rb.id, examples, seed)
    evidence = _evidence_strategy(rb, st)
    rate = _Rater(loaded)

    def monotone(data) -> None:
        ev = data.draw(evidence, label="evidence")
        candidates = [kq for kq, answers in ev.columns.items() if NO in answers]
        hypothesis.assume(candidates)
        kq = data.draw(st.sampled_from(candidates), label="key question")
        answers = list(ev.columns[kq])
        answers[answers.index(NO)] = YES
        after = Evidence({**ev.columns, kq: tuple(answers)}, ev.judgements)
        before_r, after_r = rate(ev), rate(after)
        lowered = [(what, b, after_r.get(what)) for what, b in before_r.items()
                   if _is_rating(what) and not _not_lower(rb, b, after_r.get(what))]
        if lowered:
            raise _Violation(_counterexample(rb, "monotonicity", f"one insufficient answer of {kq} made sufficient",
                                            ev, after, before_r, after_r, lowered))

    def permutation(data) -> None:
        ev = data.draw(evidence, label="evidence")
        order = data.draw(st.permutations(range(ev.n_cases)), label="case order")
        cols = data.draw(st.permutations(list(ev.columns)), label="column order")
        after = Evidence({kq: tuple(ev.columns[kq][i] for i in order) for kq in cols}, ev.judgements)
        _same(rb, rate, "permutation invariance", "cases and key-question columns reordered", ev, after)

    def not_applicable(data) -> None:
        ev = data.draw(evidence, label="evidence")
        extra = data.draw(st.integers(1, 5), label="extra n/a cases")
        after = Evidence({kq: answers + (NA,) * extra for kq, answers in ev.columns.items()}, ev.judgements)
        _same(rb, rate, "not-applicable invariance", f"{extra} case(s) answered n/a on every key question added", ev, after)

    checks = [
        ("monotonicity", "one more sufficient case (an insufficient answer made sufficient) never lowers any rating",
         monotone),
        ("permutation invariance", "the order of cases and of key-question columns changes no rating", permutation),
        ("not-applicable invariance", "adding cases answered n/a on every key question changes nothing", not_applicable),
    ]
    # hypothesis caches what it learns under ./.hypothesis; keep that out of the user's directory.
    previous_home = configuration.storage_directory(intent_to_write=False).home_directory
    with tempfile.TemporaryDirectory(prefix="ratings-engine-hypothesis-") as home:
        configuration.set_hypothesis_home_dir(home)
        try:
            for name, description, body in checks:
                report.results.append(_run(name, description, body, examples, seed, shrink))
        finally:
            configuration.set_hypothesis_home_dir(previous_home)
    return report


def _run(name: str, description: str, body, examples: int, seed: int, shrink: bool) -> PropertyResult:
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import strategies as st

    counter = _Counter()
    test = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                    report_multiple_bugs=False, verbosity=Verbosity.quiet, print_blob=False,
                    suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
                    )(hypothesis.seed(seed)(given(st.data())(counter.wrap(body))))
    try:
        test()
    except _Violation as exc:
        example = exc.counterexample if shrink else dataclasses.replace(exc.counterexample, shrunk=False)
        return PropertyResult(name, description, False, counter.examples, example, exc.error)
    return PropertyResult(name, description, True, counter.examples)


def _evidence_strategy(rb: Rulebook, st):
    case_standards = [s for s in rb.standards if s.rated_by == "cases"]
    judgement_standards = [s for s in rb.standards if s.rated_by == "judgement"]
    choices = [*rb.ratings, NOT_INSPECTED]
    bounds = sorted({Fraction(b) for r in rb.key_question_bands.rows for b in (r.min, r.above, r.max, r.below)
                     if b is not None and 0 < b <= 100})

    @st.composite
    def evidence(draw) -> Evidence:
        if case_standards:
            picked = draw(st.lists(st.sampled_from(range(len(case_standards))), min_size=1,
                                   max_size=len(case_standards), unique=True), label="case standards")
        else:
            picked = []
        n = draw(st.integers(1, MAX_CASES), label="cases")
        columns: dict[str, tuple[str, ...]] = {}
        for k in sorted(picked):
            for kq in case_standards[k].key_questions:
                if bounds and draw(st.booleans(), label=f"{kq.id} just below a band bound"):
                    bound = draw(st.sampled_from(bounds), label=f"{kq.id} bound")
                    applicable = draw(st.integers(1, n), label=f"{kq.id} applicable")
                    yes = max(0, min(applicable - 1, math.ceil(bound * applicable / 100) - 1))
                    no = applicable - yes
                else:
                    yes = draw(st.integers(0, n), label=f"{kq.id} sufficient")
                    no = draw(st.integers(0, n - yes), label=f"{kq.id} insufficient")
                answers = [YES] * yes + [NO] * no + [NA] * (n - yes - no)
                shift = draw(st.integers(0, n - 1), label=f"{kq.id} rotation")
                columns[kq.id] = tuple(answers[shift:] + answers[:shift])
        judgements = {s.id: draw(st.sampled_from(choices), label=f"judgement {s.id}") for s in judgement_standards}
        return Evidence(columns, judgements)

    return evidence()


class _Rater:
    """Rates one generated unit through `rate_evidence`; ratings keyed by what they rate."""

    def __init__(self, loaded: LoadedRulebook):
        self.loaded = loaded

    def __call__(self, ev: Evidence) -> dict[str, Any]:
        try:
            report = rate_evidence(_case_evidence(ev), self.loaded, _judgements(ev), allow_partial=True)
        except RatingsEngineError as exc:
            before = ev.frame()
            raise _Violation(Counterexample("rating", "rating this evidence failed", before, before, ev.judgements, ()),
                             error=f"rating failed: {exc}") from None
        if len(report.units) != 1:
            before = ev.frame()
            raise _Violation(Counterexample("rating", "rating this evidence gave no unit", before, before,
                                            ev.judgements, ()), error=f"expected one unit, got {len(report.units)}")
        (unit,) = report.units
        out: dict[str, Any] = {}
        for std in unit.standards:
            for kq in std.key_questions:
                out[f"key question {kq.id}"] = kq.rating
                out[f"rule for {kq.id}"] = kq.decision.rule
        for std in unit.standards:
            out[f"standard {std.id}"] = std.rating
        out["overall"] = unit.overall.rating
        out["overall rule"] = unit.overall.decision.rule
        out["score"] = unit.overall.score
        return out


_CODES = {YES: SUFFICIENT, NO: INSUFFICIENT, NA: NOT_APPLICABLE}
_SOURCE = "<generated by hypothesis>"


def _case_evidence(ev: Evidence) -> CaseEvidence:
    """The validated form of a generated case table (what `evidence.read_cases` returns for it)."""
    n = ev.n_cases
    index = pd.MultiIndex.from_arrays([[UNIT] * n, [f"c{i + 1:02d}" for i in range(n)]], names=["unit", "case_id"])
    answers = pd.DataFrame({kq: np.array([_CODES[a] for a in col], dtype=np.int8) for kq, col in ev.columns.items()},
                           index=index, columns=pd.Index(list(ev.columns), dtype=object))
    return CaseEvidence(answers, _SOURCE, None, Audit(_SOURCE, rows_read=n, rows_used=n))


def _judgements(ev: Evidence) -> Judgements | None:
    if not ev.judgements:
        return None
    items = tuple(Judgement(None, sid, rating, None, _SOURCE, row) for row, (sid, rating)
                  in enumerate(ev.judgements.items(), start=2))
    return Judgements(items, _SOURCE, None, Audit(_SOURCE, rows_read=len(items), rows_used=len(items)))


def _not_lower(rb: Rulebook, before, after) -> bool:
    """Monotonicity of one rating: not rated stays not rated, a rating may only go up."""
    if before is None or after is None or before == NOT_INSPECTED or after == NOT_INSPECTED:
        return before == after
    return rb.rank(after) >= rb.rank(before)


def _is_rating(what: str) -> bool:
    return what.startswith(("key question ", "standard ")) or what == "overall"


def _same(rb: Rulebook, rate: _Rater, name: str, change: str, ev: Evidence, after: Evidence) -> None:
    before_r, after_r = rate(ev), rate(after)
    diffs = [(what, b, after_r.get(what)) for what, b in before_r.items() if after_r.get(what) != b]
    if diffs:
        raise _Violation(_counterexample(rb, name, change, ev, after, before_r, after_r, diffs))


def _counterexample(rb: Rulebook, name: str, change: str, ev: Evidence, after: Evidence, before_r: dict,
                    after_r: dict, diffs: list) -> Counterexample:
    tallies = []
    for kq in ev.columns:
        b, a = _tally(ev.columns.get(kq, ())), _tally(after.columns.get(kq, ()))
        if b != a:
            tallies.append((kq, b, a))
    return Counterexample(name, change, ev.frame(), after.frame(), dict(ev.judgements), tuple(diffs), tuple(tallies))


def _tally(answers) -> str:
    s, i = answers.count(YES), answers.count(NO)
    return f"{s}/{s + i} sufficient" + (f" ({100 * s / (s + i):.1f}%)" if s + i else "")
