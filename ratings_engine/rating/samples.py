"""Sample-size rules: each case sample of a unit against the rulebook's minimum and maximum.

`policies.sample_sizes` names a rulebook's samples (e.g. youth justice 2025: children's cases
14 to 91, victims' cases 9 to 24) and what a sample outside its limits does:

* `label` (the default in the shipped rulebooks): the standards are rated as usual, and every
  output labels their ratings and the overall rating (`SAMPLE BELOW MINIMUM ...`) and warns;
* `not_rated`: the sample's standards are not rated (they leave the score and the maximum),
  and the explanation says why.

A sample's size in a unit is the largest number of applicable cases among its key questions
(computable from case rows and tallies alike). A sample with no evidence is not checked.
`engine.bulk_extras.sample_status` is the array version.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Mapping

from ..model.results import Decision, StandardResult
from ..model.rulebook_checks import sample_key_questions
from ..model.samples import ABOVE, BELOW, WITHIN, SampleCheck
from ..model.views import NOT_INSPECTED

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook


def sample_checks(rulebook: Rulebook, applicable: Mapping[str, int]) -> tuple[SampleCheck, ...]:
    """Every sample of the rulebook with evidence in `applicable` (key question -> applicable cases)."""
    policy = rulebook.policies.sample_sizes
    if policy is None:
        return ()
    out = []
    for rule in policy.samples:
        if rule.min is None and rule.max is None:
            continue  # documents the sample (e.g. what it was sized for); nothing to check
        sizes = [applicable[k] for k in sample_key_questions(rulebook, rule) if k in applicable]
        if not sizes:
            continue
        cases = max(sizes)
        if rule.min is not None and cases < rule.min:
            status, action = BELOW, policy.below_minimum.value
        elif rule.max is not None and cases > rule.max:
            status, action = ABOVE, policy.above_maximum.value
        else:
            status, action = WITHIN, "label"
        kqs = set(sample_key_questions(rulebook, rule))
        standards = tuple(s.id for s in rulebook.standards if {k.id for k in s.case_key_questions} & kqs)
        out.append(SampleCheck(rule.id, rule.name, cases, rule.min, rule.max, status, action, standards,
                               rule.provenance or policy.provenance))
    return tuple(out)


def apply_samples(rulebook: Rulebook, applicable: Mapping[str, int],
                  standards: list[StandardResult]) -> tuple[list[StandardResult], tuple[SampleCheck, ...]]:
    """The unit's standards labelled (or not rated) by the samples outside their limits, and every check."""
    checks = sample_checks(rulebook, applicable)
    outside = {sid: c for c in checks if c.outside for sid in c.standards}
    if not outside:
        return standards, checks
    out = []
    for s in standards:
        check = outside.get(s.id)
        if check is None:
            out.append(s)
        elif check.action == "not_rated":
            out.append(_not_rated(rulebook, s, check))
        else:
            because = f"{s.decision.because}; {check.label} (rated, and labelled: {_policy_words(rulebook, check)})"
            out.append(replace(s, sample=check, decision=replace(s.decision, because=because)))
    return out, checks


def _policy_words(rulebook: Rulebook, check: SampleCheck) -> str:
    policy = rulebook.policies.sample_sizes
    action = policy.below_minimum if check.status == BELOW else policy.above_maximum
    return f"policies.sample_sizes {'below_minimum' if check.status == BELOW else 'above_maximum'}: {action.value}"


def _not_rated(rulebook: Rulebook, s: StandardResult, check: SampleCheck) -> StandardResult:
    limit = f"fewer than the minimum {check.min}" if check.status == BELOW else f"more than the maximum {check.max}"
    policy = rulebook.policies.sample_sizes
    action = policy.below_minimum if check.status == BELOW else policy.above_maximum
    decision = Decision(
        s.decision.subject, "sample_size", None, NOT_INSPECTED,
        {"sample": check.id, "cases": check.cases, "min": check.min, "max": check.max, "computed_rating": s.rating},
        f"not rated: its sample ({check.name}) has {check.cases} cases, {limit} ({_policy_words(rulebook, check)}); "
        "it leaves the score and the maximum", action.provenance)
    return replace(s, rating=NOT_INSPECTED, score=None, deciding_key_question=None, decision=decision, sample=check)


def sample_warnings(unit: str, checks: tuple[SampleCheck, ...]) -> list[str]:
    """What a reader must not miss: each sample outside its limits, and what it did to the ratings."""
    out = []
    for c in checks:
        if not c.outside:
            continue
        done = "not rated" if c.action == "not_rated" else "rated and labelled"
        out.append(f"unit {unit!r}: {c.label}: standard(s) {', '.join(c.standards)} {done}")
    return out
