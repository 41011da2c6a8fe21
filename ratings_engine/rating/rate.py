"""Rating: tallies and judgements in, explained unit results out.

This module holds the aggregation the rulebook declares (lowest key question per standard,
score sums, counts) and asks `decide` for every banding decision. Decisions are made in bulk
over the distinct inputs of all units at once, so a corpus costs little more than one unit, and
every path (one unit, a corpus, resamples) uses the same compiled rules.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator, Sequence

import pandas as pd

from ..engine.decide import OverallInput, compile_rulebook
from ..model.errors import InputError
from ..model.evidence import Judgements
from ..model.results import (
    Decision,
    KeyQuestionResult,
    Margin,
    OverallResult,
    StandardResult,
    UnitResult,
)
from ..model.views import NOT_INSPECTED
from . import explain
from .margins import KeyQuestionBands, OverallBands
from .mixed import case_part, mixed_standard
from .samples import apply_samples

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook, Standard


@dataclass(frozen=True)
class _Tally:
    sufficient: int
    insufficient: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        return self.sufficient + self.insufficient


@contextmanager
def paused_collector() -> Iterator[None]:
    """Build many small results without the cyclic garbage collector's pauses.

    A national corpus makes hundreds of thousands of small result objects (decisions, dicts);
    each allocation burst triggers a full collection over an ever larger heap, which costs more
    than the building itself. The results hold no reference cycles, so nothing is lost by
    pausing the collector while they are built; it resumes on exit (nested uses resume at the
    outermost). A one-shot command can also spare the final passes over what it built
    (`cli.rating`: `gc.freeze()` before the process ends).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rate_tallies(tallies: pd.DataFrame, rulebook: Rulebook, judgements: Judgements | None = None, *,
                 allow_partial: bool = False, units: Sequence[str] | None = None) -> tuple[UnitResult, ...]:
    """Rate every unit in a tally table (see `tally.TALLY_COLUMNS`)."""
    with paused_collector():
        return _rate_tallies(tallies, rulebook, judgements, allow_partial, units)


def _rate_tallies(tallies: pd.DataFrame, rulebook: Rulebook, judgements: Judgements | None, allow_partial: bool,
                  units: Sequence[str] | None) -> tuple[UnitResult, ...]:
    compiled = compile_rulebook(rulebook)
    by_unit: dict[str, dict[str, _Tally]] = {}
    for unit, kq, s, i, na in tallies[["unit", "key_question", "sufficient", "insufficient", "not_applicable"]].itertuples(index=False):
        by_unit.setdefault(unit, {})[kq] = _Tally(int(s), int(i), int(na))
    if units is not None:
        by_unit.update({u: {} for u in units if u not in by_unit})
    minimum = rulebook.policies.minimum_applicable.value

    # 1. Key-question bands for every distinct (sufficient, applicable) pair, in one batch.
    pairs = sorted({(t.sufficient, t.applicable) for kqs in by_unit.values() for t in kqs.values()
                    if t.applicable >= minimum})
    bands = KeyQuestionBands(compiled, pairs)

    # 2. Standards per unit.
    unit_standards: dict[str, list[StandardResult]] = {}
    samples: dict[str, tuple] = {}
    missing: dict[str, list[str]] = {}
    no_cases: set[str] = set()
    for unit, kqs in by_unit.items():
        given = judgements.for_unit(unit) if judgements else {}
        results = []
        for std in rulebook.standards:
            if std.rated_by == "judgement":
                results.append(_judgement_standard(rulebook, unit, std, given.get(std.id)))
            elif std.rated_by == "mixed":  # case key questions as a case standard, then the judged ones (rating.mixed)
                part = _case_standard(rulebook, bands, unit, case_part(std), kqs)
                results.append(mixed_standard(rulebook, bands, unit, std, part, given))
            else:
                results.append(_case_standard(rulebook, bands, unit, std, kqs))
        # Sample-size rules label (or leave unrated) the standards of a sample outside its limits (rating.samples).
        results, samples[unit] = apply_samples(rulebook, {k: t.applicable for k, t in kqs.items()}, results)
        unit_standards[unit] = results
        # A missing judgement blocks the overall rating only if the standard counts towards it.
        missing[unit] = [s.id for s in results if s.decision.table == "missing_judgement" and s.scored]
        if kqs and not any(s.rated and s.scored and s.basis != "judgement" for s in results) and any(
                s.scored and s.basis != "judgement" for s in results):
            no_cases.add(unit)  # case evidence, but nothing rated from it: not a rating of the cases

    # 3. Overall bands and limits for every distinct input, in one batch.
    overall_inputs = {u: compiled.overall_input({s.id: s.rating for s in stds if s.rated})
                      for u, stds in unit_standards.items()}
    overall = OverallBands(compiled, [i for u, i in overall_inputs.items() if i.scored])
    out = []
    for unit, stds in unit_standards.items():
        out.append(UnitResult(unit, tuple(stds), overall_result(rulebook, overall, unit, stds, overall_inputs[unit],
                                                          missing[unit], allow_partial, unit in no_cases), samples[unit]))
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Key questions and standards


def _key_question(rulebook: Rulebook, bands: KeyQuestionBands, unit: str, std: Standard, kq_id: str,
                  text: str, t: _Tally) -> KeyQuestionResult:
    subject = {"unit": unit, "standard": std.id, "key_question": kq_id}
    inputs = {"sufficient": t.sufficient, "insufficient": t.insufficient, "not_applicable": t.not_applicable,
              "applicable": t.applicable}
    minimum = rulebook.policies.minimum_applicable.value
    if t.applicable < minimum:
        policy = rulebook.policies.no_applicable_cases
        few = "no applicable cases" if t.applicable == 0 else f"only {t.applicable} applicable case(s), fewer than the minimum {minimum}"
        then = ("the standard is rated on its other key questions" if policy.value == "skip_key_question"
                else "so the standard is not rated")
        decision = Decision(subject, "no_applicable_cases", None, None, {**inputs, "pct": None},
                            f"{few}: not rated ({policy.value}); {then}", policy.provenance)
        return KeyQuestionResult(kq_id, text, t.sufficient, t.insufficient, t.not_applicable, None, None, decision)
    pct = 100 * t.sufficient / t.applicable
    outcome = bands.outcome(t.sufficient, t.applicable)
    details, because, up, down = bands.explained(t.sufficient, t.applicable, t.not_applicable)
    decision = Decision(subject, "key_question_bands", outcome.rule, outcome.row.then, {**inputs, **details}, because,
                        bands.compiled.key_question_bands.provenance_of(outcome.row), outcome.matched, up, down)
    return KeyQuestionResult(kq_id, text, t.sufficient, t.insufficient, t.not_applicable, pct, outcome.row.then, decision)


def _case_standard(rulebook: Rulebook, bands: KeyQuestionBands, unit: str, std: Standard,
                   tallies: dict[str, _Tally]) -> StandardResult:
    domain = rulebook.domain_of[std.id].domain
    subject = {"unit": unit, "standard": std.id}
    score_of = rulebook.score
    present = [kq for kq in std.key_questions if kq.id in tallies]
    if not present:
        decision = Decision(subject, "not_inspected", None, NOT_INSPECTED, {},
                            "no case evidence for any of its key questions "
                            f"({', '.join(kq.id for kq in std.key_questions)}): not inspected, "
                            "so it leaves the score and the maximum", None)
        return StandardResult(std.id, std.name, domain, "cases", std.scored, NOT_INSPECTED, None, (), None, decision)
    if len(present) != len(std.key_questions):
        missing = [kq.id for kq in std.key_questions if kq.id not in tallies]
        raise InputError(f"unit {unit!r}: standard {std.id} {std.name} has evidence for some key questions "
                         f"but not {', '.join(missing)}; give all its key questions or none")
    kqs = tuple(_key_question(rulebook, bands, unit, std, kq.id, kq.text, tallies[kq.id]) for kq in present)
    rated = [k for k in kqs if k.rating is not None]
    skipped = [k.id for k in kqs if k.rating is None]
    policy = rulebook.policies
    if not rated or (skipped and policy.no_applicable_cases.value == "standard_not_rated"):
        decision = Decision(subject, "no_applicable_cases", None, NOT_INSPECTED, {"not_rated": skipped},
                            f"key question(s) {', '.join(skipped)} had too few applicable cases "
                            f"({policy.no_applicable_cases.value}): the standard is not rated",
                            policy.no_applicable_cases.provenance)
        return StandardResult(std.id, std.name, domain, "cases", std.scored, NOT_INSPECTED, None, kqs, None, decision)
    # combine_key_questions: lowest (the only policy the schema admits); ties go to the first.
    deciding = min(rated, key=lambda k: rulebook.rank(k.rating))
    rating = deciding.rating
    rank = rulebook.rank(rating)
    up = _standard_margin_up(rulebook, bands, rated, rank)
    # The fewest cases on one key question that take it below the standard's band; the band it
    # lands in is the standard's new rating.
    down = bands.fewest_to_drop_below([(k.sufficient, k.applicable) for k in rated], rank)
    others = [(k.id, k.rating) for k in rated if k is not deciding]
    decision = Decision(
        subject, "combine_key_questions", policy.combine_key_questions.value, rating,
        {"key_questions": {k.id: k.rating for k in kqs}},
        explain.lowest_because(rulebook, deciding.id, rating, others, skipped),
        policy.combine_key_questions.provenance, (), up, down,
    )
    return StandardResult(std.id, std.name, domain, "cases", std.scored, rating,
                          score_of(rating) if std.scored else None, kqs, deciding.id, decision)


def _standard_margin_up(rulebook: Rulebook, bands: KeyQuestionBands, rated: list[KeyQuestionResult],
                        rank: int) -> Margin | None:
    """Cases to lift every key question at the standard's band up one band."""
    total = 0
    for k in rated:
        if rulebook.rank(k.rating) == rank:
            up = k.decision.margin_up
            if up is None:
                return None
            total += up.amount
    new_rank = min(rulebook.rank(k.decision.margin_up.to) if rulebook.rank(k.rating) == rank else rulebook.rank(k.rating)
                   for k in rated)
    return Margin(rulebook.ratings[new_rank], total)


def _judgement_standard(rulebook: Rulebook, unit: str, std: Standard, judgement) -> StandardResult:
    domain = rulebook.domain_of[std.id].domain
    subject = {"unit": unit, "standard": std.id}
    if judgement is None:
        decision = Decision(subject, "missing_judgement", None, None, {},
                            "rated by inspectors' judgement, but no judgement was given (see --judgements)", std.provenance)
        return StandardResult(std.id, std.name, domain, "judgement", std.scored, None, None, (), None, decision)
    reason = f": {judgement.reason}" if judgement.reason else ""
    inputs = {"file": judgement.source, "row": judgement.row}
    if judgement.sheet:
        inputs["sheet"] = judgement.sheet
    if judgement.rating == NOT_INSPECTED:
        decision = Decision(subject, "not_inspected", None, NOT_INSPECTED, inputs,
                            f"judged not inspected ({judgement.where}){reason}; "
                            "it leaves the score and the maximum", std.provenance)
        return StandardResult(std.id, std.name, domain, "judgement", std.scored, NOT_INSPECTED, None, (), None,
                              decision, judgement.reason)
    decision = Decision(subject, "judgement", None, judgement.rating, inputs,
                        f"rated {judgement.rating} by inspectors' judgement ({judgement.where}){reason}",
                        std.provenance)
    score = rulebook.score(judgement.rating) if std.scored else None
    return StandardResult(std.id, std.name, domain, "judgement", std.scored, judgement.rating, score, (), None,
                          decision, judgement.reason)


# ---------------------------------------------------------------------------------------------
# Overall


def overall_result(rulebook: Rulebook, overall: OverallBands, unit: str, stds: list[StandardResult], inputs: OverallInput,
             missing: list[str], allow_partial: bool, no_case_ratings: bool) -> OverallResult:
    """The overall rating; refused (status incomplete) when judgements are missing or, though the unit
    has case evidence, no standard was rated from it (`no_case_ratings`: every caller says which),
    unless `allow_partial` (then labelled partial)."""
    result = _overall_result(rulebook, overall, unit, stds, inputs, missing, allow_partial, no_case_ratings)
    return replace(result, no_case_ratings=True) if no_case_ratings else result


def _overall_result(rulebook: Rulebook, overall: OverallBands, unit: str, stds: list[StandardResult],
                    inputs: OverallInput, missing: list[str], allow_partial: bool,
                    no_case_ratings: bool) -> OverallResult:
    subject = {"unit": unit}
    max_score = rulebook.max_standard_score * inputs.scored
    fact = {"score": inputs.score, "max_score": max_score, "scored_standards": inputs.scored,
            "counts": list(inputs.counts)}
    scored_ids = [s.id for s in stds if s.scored and s.rated]
    if missing and not allow_partial:
        decision = Decision(subject, "missing_judgement", None, None, fact,
                            f"no overall rating: judgement standard(s) {', '.join(missing)} have no rating; give them with "
                            "--judgements, or use --allow-partial to rate the rest (labelled partial)", None)
        return OverallResult(None, inputs.score, max_score, inputs.scored, "incomplete", tuple(missing), decision)
    if no_case_ratings and not allow_partial:
        decision = Decision(subject, "no_case_ratings", None, None, fact,
                            "no overall rating: the unit has cases, but no standard could be rated from them (too few "
                            "applicable cases; does every case answer n/a?); use --allow-partial to rate the judgement "
                            "standards alone (labelled partial)", None)
        return OverallResult(None, inputs.score, max_score, inputs.scored, "incomplete", tuple(missing), decision)
    if inputs.scored == 0:
        decision = Decision(subject, "not_rated", None, None, fact, "no scored standard was rated", None)
        return OverallResult(None, 0, 0, 0, "not rated", tuple(missing), decision)
    bands = overall.compiled.overall_bands
    band = overall.band[inputs]
    up, down = overall.margins(inputs)
    because = explain.overall_because(inputs.score, max_score, inputs.scored, band.rule,
                                      explain.aggregate_row_text(band.row), band.row.then, scored_ids)
    status = "partial" if missing or no_case_ratings else "rated"
    if missing:
        because += f"; PARTIAL: judgement standard(s) {', '.join(missing)} missing"
    if no_case_ratings:
        because += "; PARTIAL: no standard rated from the cases"
    decision = Decision(subject, "overall.bands", band.rule, band.row.then, fact, because,
                        bands.provenance_of(band.row), band.matched, up, down, "points")
    limit_decision = None
    final = overall.final(inputs)
    cap = overall.limit[inputs]
    if cap.row is not None:
        applied = final != band.row.then
        limit_decision = Decision(
            subject, "overall.limits", cap.rule, final, fact,
            f"limit {cap.rule} ({cap.row.description}: {explain.aggregate_row_text(cap.row)}) "
            + (f"caps the rating at {cap.row.cap}" if applied else f"matches, but {band.row.then} is already at or below {cap.row.cap}"),
            overall.compiled.limits.provenance_of(cap.row), cap.matched,
        )
    return OverallResult(final, inputs.score, max_score, inputs.scored, status, tuple(missing), decision, limit_decision)
