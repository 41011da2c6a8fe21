"""Bulk evaluation: the compiled rulebook's decisions applied to arrays.

Rating a corpus, a thousand bootstrap resamples or a threshold sweep must not call the rule
engine once per unit or resample. Every rulebook decision is a pure function of a small input:

* a key question's band depends on its (sufficient, applicable) counts;
* the overall band and the limits depend on (score, scored standards, rating counts).

So this module collects the *distinct* inputs present in the arrays, decides each once through
`CompiledRulebook` (durable_rules, memoised), writes the outcomes into numpy lookup tables and
indexes those with the arrays. The aggregation between the decisions is the rulebook's declared
policy, applied exactly as `rate.rate_tallies` applies it (a key question below
`minimum_applicable` is not rated; `no_applicable_cases`; `combine_key_questions: lowest`; score
sums over scored, rated standards; limits cap the band). `tests/test_bulk.py` proves, for random
rulebook variants and evidence, that these arrays equal what `rate_tallies` gives one by one.

Codes in the arrays: a rating is its rank on the rulebook's scale (0 = lowest); besides

* ``NOT_RATED`` (-1): key question with too few applicable cases; standard not inspected or not
  rated ("Not inspected"); overall not rated (no scored standard rated);
* ``MISSING`` (-2): key question absent from the evidence; judgement standard with no judgement;
  overall refused because judgements are missing (and partial ratings were not allowed).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from .bulk_extras import MISSING, NOT_RATED, apply_sample_rules, evidence_counts, mixed_standard_codes, sample_layout
from .changepoints import band_pieces, piece_indexes
from .decide import CompiledRulebook, KeyQuestionInput, OverallInput
from ..model.errors import InputError
from ..model.evidence import NOT_APPLICABLE, SUFFICIENT, CaseEvidence, Judgements
from ..model.views import NOT_INSPECTED

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook

#: Largest dense (applicable x sufficient) lookup table; beyond it distinct pairs are found by sorting.
_DENSE_LIMIT = 1 << 22


class Layout:
    """Where each key question and standard of a rulebook sits in the arrays."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        self.key_questions: tuple[str, ...] = rulebook.key_question_ids
        self.kq_index = {k: i for i, k in enumerate(self.key_questions)}
        self.standards = rulebook.standards
        self.standard_ids: tuple[str, ...] = tuple(s.id for s in self.standards)
        self.standard_index = {s: i for i, s in enumerate(self.standard_ids)}
        self.case_standards: list[tuple[int, np.ndarray]] = [
            (i, np.array([self.kq_index[kq.id] for kq in s.key_questions], dtype=np.intp))
            for i, s in enumerate(self.standards) if s.rated_by == "cases"
        ]
        self.judgement_standards: list[int] = [i for i, s in enumerate(self.standards) if s.rated_by == "judgement"]
        # The judgement columns: judgement standards, then the judged key questions of mixed standards.
        self.judgement_ids: tuple[str, ...] = (tuple(self.standard_ids[i] for i in self.judgement_standards)
                                               + rulebook.judgement_key_question_ids)
        judged_column = {k: j for j, k in enumerate(self.judgement_ids)}
        #: (standard index, its case key-question columns, its judged key questions' judgement columns)
        self.mixed_standards: list[tuple[int, np.ndarray, np.ndarray]] = [
            (i, np.array([self.kq_index[kq.id] for kq in s.case_key_questions], dtype=np.intp),
             np.array([judged_column[kq.id] for kq in s.judgement_key_questions], dtype=np.intp))
            for i, s in enumerate(self.standards) if s.rated_by == "mixed"
        ]
        self.scored = np.array([s.scored for s in self.standards], dtype=bool)
        self.samples = sample_layout(rulebook, self.kq_index, self.standard_index)


@dataclass(frozen=True)
class BulkRatings:
    """Codes (see the module doc) for N evaluated rows: units, or units x resamples."""

    rulebook: Rulebook
    key_questions: np.ndarray  # (N, K) int8, K = rulebook.key_question_ids
    standards: np.ndarray  # (N, S) int8, S = rulebook.standards
    overall: np.ndarray  # (N,) int8: final rating (band, then limits)
    score: np.ndarray  # (N,) int64
    scored: np.ndarray  # (N,) int64: scored standards rated
    partial: np.ndarray  # (N,) bool: rated although judgements were missing (allow_partial)
    #: (N, samples) int8 per policies.sample_sizes sample (bulk_extras.SAMPLE_*): -2 no evidence or no
    #: limit to check, -1 below its minimum, 0 within, 1 above its maximum; None without sample rules.
    samples: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.overall)

    def label(self, code: int, level: str = "standard") -> str:
        return label(self.rulebook, int(code), level)

    def status(self) -> np.ndarray:
        """Per row: rated | partial | incomplete | not rated (as OverallResult.status)."""
        out = np.where(self.partial, "partial", "rated").astype(object)
        out[self.overall == NOT_RATED] = "not rated"
        out[self.overall == MISSING] = "incomplete"
        return out


def label(rulebook: Rulebook, code: int, level: str = "standard") -> str:
    """Words for a code. `level`: key_question, standard or overall."""
    if code >= 0:
        return rulebook.ratings[code]
    if level == "overall":
        return "not rated" if code == NOT_RATED else "no rating (judgements missing)"  # or no case rated: see status
    if level == "key_question":
        return "not rated" if code == NOT_RATED else "absent"
    return NOT_INSPECTED if code == NOT_RATED else "judgement missing"


# ---------------------------------------------------------------------------------------------
# Evaluation


def evaluate(compiled: CompiledRulebook, sufficient: np.ndarray, applicable: np.ndarray, present: np.ndarray,
             judgements: np.ndarray, *, allow_partial: bool = False, layout: Layout | None = None,
             key_questions: np.ndarray | None = None) -> BulkRatings:
    """Rate N rows at once.

    `sufficient`, `applicable`: integer arrays (N, K), K = the rulebook's key questions in order
    (values of absent key questions are ignored). `present`: bool (N, K) or (K,), whether each
    key question has evidence. `judgements`: integer codes (N, J) or (J,) for the judgement
    standards in rulebook order: a rank, NOT_RATED (judged not inspected) or MISSING.
    `key_questions`: the key-question codes already decided for these counts by a rulebook with
    the same band table and key-question policies (`key_question_codes`), to reuse them.
    """
    rb = compiled.rulebook
    layout = layout or Layout(rb)
    sufficient = np.asarray(sufficient, dtype=np.int64)
    applicable = np.asarray(applicable, dtype=np.int64)
    if sufficient.ndim != 2 or sufficient.shape != applicable.shape or sufficient.shape[1] != len(layout.key_questions):
        raise ValueError(f"sufficient/applicable must both be (N, {len(layout.key_questions)}) arrays")
    n = sufficient.shape[0]
    present = np.broadcast_to(np.asarray(present, dtype=bool), sufficient.shape)
    judgements = np.broadcast_to(np.asarray(judgements, dtype=np.int64), (n, len(layout.judgement_ids)))
    if ((sufficient < 0) | (sufficient > applicable))[present].any():
        raise InputError("bulk evaluation: sufficient counts must lie between 0 and the applicable count")

    kq = key_question_codes(compiled, sufficient, applicable, present) if key_questions is None else key_questions
    standards = np.empty((n, len(layout.standard_ids)), dtype=np.int8)
    _case_standards(rb, layout, kq, present, standards)
    standards[:, layout.judgement_standards] = judgements[:, :len(layout.judgement_standards)]
    for i, case_cols, judged_cols in layout.mixed_standards:
        standards[:, i] = mixed_standard_codes(rb, layout.standards[i], kq[:, case_cols], present[:, case_cols],
                                               judgements[:, judged_cols])
    samples = apply_sample_rules(rb, layout.samples, applicable, present, standards)
    overall, score, scored, partial = _overall(compiled, layout, standards, allow_partial, present.any(axis=1))
    return BulkRatings(rb, kq, standards, overall, score, scored, partial, samples)


def key_question_codes(compiled: CompiledRulebook, sufficient: np.ndarray, applicable: np.ndarray,
                       present: np.ndarray) -> np.ndarray:
    """Band codes per cell; each distinct (sufficient, applicable) pair is decided once."""
    rb = compiled.rulebook
    minimum = rb.policies.minimum_applicable.value
    rateable = present & (applicable >= minimum)
    out = np.where(present, NOT_RATED, MISSING).astype(np.int8)
    if not rateable.any():
        return out
    s, a = sufficient[rateable], applicable[rateable]
    width = int(a.max()) + 1
    if width * width <= _DENSE_LIMIT:
        keys = a * width + s
        seen = np.zeros(width * width, dtype=bool)
        seen[keys] = True
        distinct = np.flatnonzero(seen)
        table = np.zeros(width * width, dtype=np.int8)
        table[distinct] = _band_ranks(compiled, distinct % width, distinct // width)
        out[rateable] = table[keys]
    else:
        pairs, inverse = np.unique(np.stack([s, a], axis=1), axis=0, return_inverse=True)
        out[rateable] = _band_ranks(compiled, pairs[:, 0], pairs[:, 1])[inverse.ravel()]
    return out


def _band_ranks(compiled: CompiledRulebook, s: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The band rank of each distinct (sufficient, applicable) pair, decided through the rules."""
    rb = compiled.rulebook
    if rb.policies.rounding.value == "exact":
        by_piece = _band_ranks_by_piece(compiled, s, a)
        if by_piece is not None:
            return by_piece
    outcomes = compiled.band([KeyQuestionInput(int(x), int(y)) for x, y in zip(s, a)])
    return np.array([rb.rank(o.row.then) for o in outcomes], dtype=np.int8)


def _band_ranks_by_piece(compiled: CompiledRulebook, s: np.ndarray, a: np.ndarray) -> np.ndarray | None:
    """Band ranks decided once per elementary piece of 0-100% instead of once per pair (exact rounding).

    Every bound of every band row is a cut of `changepoints.band_pieces`, so on each piece (a cut, or
    the open interval between two cuts) every row matches all percentages or none: the rules'
    decision for one percentage of a piece is their decision for all of it. Each pair's piece is
    found in exact integer arithmetic (`changepoints.piece_indexes`), and one representative
    percentage per piece in use is decided through durable_rules. A sweep of 600 units has about
    1,000 distinct pairs but about ten pieces. None (decide pair by pair) when
    that saves nothing, or when a piece falls in a gap or an overlap: the pair-by-pair decision
    then raises the error naming the first such pair's own percentage.
    """
    pieces = band_pieces(compiled.rulebook.key_question_bands.rows, "exact")
    index = piece_indexes([p.lo for p in pieces if p.point], s, a)
    used, inverse = np.unique(index, return_inverse=True)
    if len(used) >= len(s):
        return None
    facts = []
    for i in used.tolist():
        pct = pieces[i].representative  # x / (100 d) = pct, as percentage_fact writes 100 s / a
        facts.append({"x": 100 * pct.numerator, "d": pct.denominator})
    outcomes = compiled.key_question_bands.decide(facts, strict=False)
    if any(o.row is None for o in outcomes):
        return None
    ranks = np.array([compiled.rulebook.rank(o.row.then) for o in outcomes], dtype=np.int8)
    return ranks[inverse.ravel()]


def _case_standards(rb: Rulebook, layout: Layout, kq: np.ndarray, present: np.ndarray, out: np.ndarray) -> None:
    combine = rb.policies.combine_key_questions.value
    if combine != "lowest":  # pragma: no cover - the schema admits only 'lowest'
        raise InputError(f"bulk evaluation does not know combine_key_questions {combine!r}")
    not_rated_if_any_skipped = rb.policies.no_applicable_cases.value == "standard_not_rated"
    top = len(rb.ratings)
    for i, cols in layout.case_standards:
        codes = kq[:, cols]
        evidence_counts(layout.standards[i], present[:, cols])  # all or none of its key questions
        rated = codes >= 0
        lowest = np.where(rated, codes, top).min(axis=1)
        not_rated = ~rated.any(axis=1)
        if not_rated_if_any_skipped:
            not_rated |= (codes == NOT_RATED).any(axis=1)
        out[:, i] = np.where(not_rated, NOT_RATED, lowest)  # no evidence: every code MISSING, none rated


def _overall(compiled: CompiledRulebook, layout: Layout, standards: np.ndarray, allow_partial: bool,
             has_cases: np.ndarray):
    rb = compiled.rulebook
    n = standards.shape[0]
    rated = standards >= 0
    ranks = np.maximum(standards, 0)  # unrated standards read as rank 0; `counted` and `rated` mask them
    counted = rated & layout.scored
    score_of = np.array([rb.score(r) for r in rb.ratings], dtype=np.int64)
    score = np.where(counted, score_of[ranks], 0).sum(axis=1)
    scored = counted.sum(axis=1)
    features = [score, scored]
    for feature in compiled.count_features:
        in_ranks = np.isin(np.arange(len(rb.ratings)), sorted(feature.ranks))
        if feature.standards is None:
            weight = layout.scored.astype(np.int64)
        else:  # a standard listed twice counts twice, as CountFeature.count does
            weight = np.zeros(len(layout.standard_ids), dtype=np.int64)
            for sid in feature.standards:
                weight[layout.standard_index[sid]] += 1
        features.append(np.where(rated & in_ranks[ranks], weight, 0).sum(axis=1))
    inputs = np.stack(features, axis=1)
    # A missing judgement (of a judgement or mixed standard) blocks the overall rating only if the
    # standard counts towards it (as rate.py).
    missing = (standards[:, layout.scored] == MISSING).any(axis=1)
    # Case evidence, but no scored standard rated from it: refused or partial too (as rate.py).
    from_cases = layout.scored.copy()
    from_cases[layout.judgement_standards] = False
    if from_cases.any():
        missing |= has_cases & ~(rated & from_cases).any(axis=1)

    final = np.full(n, NOT_RATED, dtype=np.int8)
    decide = scored > 0
    if decide.any():
        distinct, inverse = _distinct_rows(inputs[decide])
        facts = [OverallInput(int(r[0]), int(r[1]), tuple(int(c) for c in r[2:])) for r in distinct]
        bands = compiled.overall(facts)
        limits = compiled.limit(facts)
        decided = np.empty(len(facts), dtype=np.int8)
        for j, (band, cap) in enumerate(zip(bands, limits)):
            rank = rb.rank(band.row.then)
            if cap.row is not None:
                rank = min(rank, rb.rank(cap.row.cap))
            decided[j] = rank
        final[decide] = decided[inverse]
    refuse = missing & (not allow_partial)
    overall = np.where(refuse, MISSING, final).astype(np.int8)
    partial = missing & bool(allow_partial) & (overall != NOT_RATED)
    return overall, score, scored, partial


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows and each row's index among them (a mixed-radix key when it fits in int64)."""
    bases = rows.max(axis=0) + 1
    if np.prod(bases.astype(float)) < 2.0 ** 62:
        key = np.zeros(len(rows), dtype=np.int64)
        for col, base in zip(rows.T, bases):
            key = key * int(base) + col
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return rows[first], inverse.ravel()
    distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    return distinct, inverse.ravel()


# ---------------------------------------------------------------------------------------------
# Inputs as arrays


def judgement_codes(rulebook: Rulebook, judgements: Judgements | None, units: Sequence[str],
                    layout: Layout | None = None) -> np.ndarray:
    """(U, J) codes of each unit's judgement standards: rank, NOT_RATED (judged not inspected) or MISSING."""
    layout = layout or Layout(rulebook)
    out = np.full((len(units), len(layout.judgement_ids)), MISSING, dtype=np.int8)
    if judgements is None:
        return out
    # As Judgements.for_unit: rows naming no unit apply to every unit; a later row wins.
    unit_pos = {u: i for i, u in enumerate(units)}
    column = {sid: j for j, sid in enumerate(layout.judgement_ids)}
    for item in judgements.items:
        if item.standard not in column:
            continue
        rows = range(len(units)) if item.unit is None else ([unit_pos[item.unit]] if item.unit in unit_pos else [])
        code = NOT_RATED if item.rating == NOT_INSPECTED else rulebook.rank(item.rating)
        for u in rows:
            out[u, column[item.standard]] = code
    return out


@dataclass(frozen=True)
class TallyArrays:
    """Per unit and rulebook key question: sufficient and applicable counts, and presence."""

    units: list[str]
    sufficient: np.ndarray  # (U, K) int64
    applicable: np.ndarray  # (U, K) int64
    present: np.ndarray  # (U, K) bool


def arrays_from_tallies(tallies: pd.DataFrame, rulebook: Rulebook, units: Sequence[str] | None = None,
                        layout: Layout | None = None) -> TallyArrays:
    """A tally table (see `tally.TALLY_COLUMNS`) as arrays; units in first-seen order plus `units`."""
    layout = layout or Layout(rulebook)
    order = list(dict.fromkeys([*pd.unique(tallies["unit"]), *(units or [])]))
    unit_pos = pd.Index(order).get_indexer(tallies["unit"])
    kq_pos = pd.Index(layout.key_questions).get_indexer(tallies["key_question"])
    if (kq_pos < 0).any():
        bad = tallies["key_question"].to_numpy()[kq_pos < 0][0]
        raise InputError(f"tallies: key question {bad!r} is not in rulebook {rulebook.id}")
    shape = (len(order), len(layout.key_questions))
    suff = np.zeros(shape, dtype=np.int64)
    appl = np.zeros(shape, dtype=np.int64)
    present = np.zeros(shape, dtype=bool)
    suff[unit_pos, kq_pos] = tallies["sufficient"].to_numpy(dtype=np.int64)
    appl[unit_pos, kq_pos] = (tallies["sufficient"].to_numpy(dtype=np.int64)
                              + tallies["insufficient"].to_numpy(dtype=np.int64))
    present[unit_pos, kq_pos] = True
    return TallyArrays(order, suff, appl, present)


@dataclass(frozen=True)
class CaseMatrix:
    """One unit's case answers in rulebook key-question order (absent columns marked)."""

    unit: str
    answers: np.ndarray  # (cases, K) int8: 1 sufficient, 0 insufficient, -1 not applicable
    present: np.ndarray  # (K,) bool

    @cached_property
    def sufficient(self) -> np.ndarray:
        return (self.answers == SUFFICIENT).sum(axis=0).astype(np.int64)

    @cached_property
    def applicable(self) -> np.ndarray:
        return (self.answers != NOT_APPLICABLE).sum(axis=0).astype(np.int64)


def case_matrices(evidence: CaseEvidence, rulebook: Rulebook, layout: Layout | None = None) -> list[CaseMatrix]:
    """Each unit's cases as a matrix, units in input order."""
    layout = layout or Layout(rulebook)
    answers = evidence.answers
    cols = pd.Index(layout.key_questions).get_indexer(answers.columns)
    present = np.zeros(len(layout.key_questions), dtype=bool)
    present[cols] = True
    full = np.full((len(answers), len(layout.key_questions)), NOT_APPLICABLE, dtype=np.int8)
    full[:, cols] = answers.to_numpy(dtype=np.int8)
    unit_codes, uniques = pd.factorize(answers.index.get_level_values("unit"))
    order = np.argsort(unit_codes, kind="stable")  # each unit's rows together, in input order
    groups = np.split(order, np.cumsum(np.bincount(unit_codes, minlength=len(uniques)))[:-1])
    return [CaseMatrix(str(u), full[rows], present) for u, rows in zip(uniques, groups)]
