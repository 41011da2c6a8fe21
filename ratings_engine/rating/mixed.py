"""Mixed-basis standards: key questions partly from cases, partly by inspectors' judgement.

A standard `rated_by: mixed` (e.g. youth justice 2025's victims standard: V1.1 from a sample of
victim cases, V1.2 an organisational judgement) is rated in two steps:

1. its case key questions are rated as a case standard's are (`rate._case_standard` on the
   standard's case part, `case_part`), with their tallies, bands and margins;
2. its judgement key questions take the inspectors' ratings (a judgements row naming the key
   question's id), and the rulebook's `combine_key_questions` policy (lowest) combines both
   kinds: the standard takes its lowest key question, whatever its basis.

What a missing piece does, so nothing is rated silently:

* a judgement key question with no judgement: the standard has no rating (`missing_judgement`),
  which refuses the overall rating unless partial ratings are allowed, as for a judgement
  standard; with no case evidence either, the standard is simply not inspected;
* a judgement key question judged `Not inspected`, or a case key question with too few
  applicable cases, or case key questions absent from the evidence: that key question is not
  rated, and the `no_applicable_cases` policy decides (rate on the others, or not rated).

`engine.bulk_extras.mixed_standard_codes` is the array version; `tests/test_mixed_and_samples.py` proves
the two agree.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.evidence import Judgement
from ..model.results import Decision, KeyQuestionResult, Margin, StandardResult
from ..model.views import NOT_INSPECTED

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook, Standard


def case_part(std: Standard) -> Standard:
    """The standard's case key questions as a case standard (rated by `rate._case_standard`)."""
    return std.model_copy(update={"rated_by": "cases", "key_questions": std.case_key_questions})


def judged_key_question(unit: str, std: Standard, kq, judgement: Judgement | None) -> KeyQuestionResult:
    """A judgement key question's result: the inspectors' rating, or why there is none."""
    subject = {"unit": unit, "standard": std.id, "key_question": kq.id}
    provenance = kq.provenance or std.provenance
    if judgement is None:
        decision = Decision(subject, "missing_judgement", None, None, {},
                            "rated by inspectors' judgement, but no judgement was given (a judgements row for "
                            f"{kq.id}; see --judgements)", provenance)
        return KeyQuestionResult(kq.id, kq.text, 0, 0, 0, None, None, decision, basis="judgement")
    reason = f": {judgement.reason}" if judgement.reason else ""
    inputs = {"file": judgement.source, "row": judgement.row}
    if judgement.rating == NOT_INSPECTED:
        decision = Decision(subject, "not_inspected", None, NOT_INSPECTED, inputs,
                            f"judged not inspected ({judgement.source} row {judgement.row}){reason}", provenance)
        return KeyQuestionResult(kq.id, kq.text, 0, 0, 0, None, None, decision, basis="judgement")
    decision = Decision(subject, "judgement", None, judgement.rating, inputs,
                        f"rated {judgement.rating} by inspectors' judgement ({judgement.source} row "
                        f"{judgement.row}){reason}", provenance)
    return KeyQuestionResult(kq.id, kq.text, 0, 0, 0, None, judgement.rating, decision, basis="judgement")


def mixed_standard(rulebook: Rulebook, bands, unit: str, std: Standard, part: StandardResult,
                   given: dict[str, Judgement]) -> StandardResult:
    """Combine the rated case part of a mixed standard with its judgement key questions.

    `bands` is the unit's `KeyQuestionBands` (for the cases that would lower a key question);
    `given` maps judged ids to judgements.
    """
    domain = rulebook.domain_of[std.id].domain
    subject = {"unit": unit, "standard": std.id}
    judged = [judged_key_question(unit, std, kq, given.get(kq.id)) for kq in std.judgement_key_questions]
    order = {kq.id: i for i, kq in enumerate(std.key_questions)}
    kqs = tuple(sorted(part.key_questions + tuple(judged), key=lambda k: order[k.id]))
    no_cases = part.decision.table == "not_inspected"

    def result(rating, decision, deciding=None) -> StandardResult:
        score = rulebook.score(rating) if std.scored and rating not in (None, NOT_INSPECTED) else None
        return StandardResult(std.id, std.name, domain, "mixed", std.scored, rating, score, kqs, deciding, decision)

    missing = [k.id for k in judged if k.decision.table == "missing_judgement"]
    if missing and no_cases and len(missing) == len(judged):
        return result(NOT_INSPECTED, Decision(
            subject, "not_inspected", None, NOT_INSPECTED, {},
            f"no case evidence for {', '.join(k.id for k in std.case_key_questions)} and no judgement of "
            f"{', '.join(missing)}: not inspected, so it leaves the score and the maximum", std.provenance))
    if missing:
        return result(None, Decision(
            subject, "missing_judgement", None, None, {"missing": missing},
            f"key question(s) {', '.join(missing)} are rated by inspectors' judgement, but no judgement was given "
            "(see --judgements): the standard has no rating", std.provenance))

    policy = rulebook.policies
    rated = [k for k in kqs if k.rating is not None]
    skipped = [k.id for k in kqs if k.rating is None] + ([k.id for k in std.case_key_questions] if no_cases else [])
    if not rated or (skipped and policy.no_applicable_cases.value == "standard_not_rated"):
        return result(NOT_INSPECTED, Decision(
            subject, "no_applicable_cases", None, NOT_INSPECTED, {"not_rated": skipped},
            f"key question(s) {', '.join(skipped)} were not rated (too few applicable cases, no case evidence, or "
            f"judged not inspected; {policy.no_applicable_cases.value}): the standard is not rated",
            policy.no_applicable_cases.provenance))
    # combine_key_questions: lowest (the only policy the schema admits); ties go to the first.
    deciding = min(rated, key=lambda k: rulebook.rank(k.rating))
    rating = deciding.rating
    up, down = _margins(rulebook, bands, part, judged, rating)
    others = ", ".join(f"{k.id} {k.rating} ({'judgement' if k.basis == 'judgement' else 'cases'})"
                       for k in rated if k is not deciding)
    because = (f"lowest of its key questions, from cases and by judgement: {deciding.id} "
               f"({'judgement' if deciding.basis == 'judgement' else 'cases'}) is {rating}"
               + (f" ({others})" if others else "")
               + (f"; not rated: {', '.join(skipped)}" if skipped else ""))
    decision = Decision(subject, "combine_key_questions", policy.combine_key_questions.value, rating,
                        {"key_questions": {k.id: k.rating for k in kqs},
                         "basis": {k.id: k.basis for k in kqs}},
                        because, policy.combine_key_questions.provenance, (), up, down)
    return result(rating, decision, deciding.id)


def _margins(rulebook: Rulebook, bands, part: StandardResult, judged: list[KeyQuestionResult],
             rating: str) -> tuple[Margin | None, Margin | None]:
    """Cases that would move the standard: only the case key questions can move with cases.

    Up: possible only when every judgement key question is above the standard's rating; then
    the case part's own margin up, capped at the lowest judgement. Down: the fewest cases that
    take one case key question below the standard's rating, to the band it lands in.
    """
    rank = rulebook.rank(rating)
    judged_ranks = [rulebook.rank(k.rating) for k in judged if k.rating is not None]
    cap = min(judged_ranks) if judged_ranks else len(rulebook.ratings) - 1
    up = None
    part_up = part.decision.margin_up if part.rated else None
    if cap > rank and part_up is not None and rulebook.rank(part.rating) == rank:
        up = Margin(rulebook.ratings[min(rulebook.rank(part_up.to), cap)], part_up.amount)
    # Down: every judgement is at or above the standard's rating, so the band a case key question
    # lands in is the standard's new rating.
    down = bands.fewest_to_drop_below([(k.sufficient, k.applicable) for k in part.key_questions
                                       if k.rating is not None], rank)
    return up, down
