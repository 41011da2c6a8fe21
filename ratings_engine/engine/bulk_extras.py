"""Bulk evaluation of the newer rules: mixed-basis standards and sample-size rules, on arrays.

The array versions of `rating.mixed` and `rating.samples`, used by `engine.bulk.evaluate`, so a
corpus, a bootstrap or a sweep applies exactly the rules one-by-one rating applies
(`tests/test_mixed_and_samples.py` proves it). Codes as in `engine.bulk`: a
rating's rank, NOT_RATED (-1) or MISSING (-2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..model.errors import InputError
from ..model.rulebook_checks import sample_key_questions

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook, Standard

NOT_RATED = -1
MISSING = -2

#: Sample status codes (BulkRatings.samples, a documented contract for analysts): no evidence or no
#: limit to check, below the minimum, within, above the maximum.
SAMPLE_NONE, SAMPLE_BELOW, SAMPLE_WITHIN, SAMPLE_ABOVE = -2, -1, 0, 1


def evidence_counts(std: Standard, present: np.ndarray) -> np.ndarray:
    """Per row, how many of a standard's case key questions (the columns of `present`) have
    evidence: all or none, else an InputError naming the row and the standard."""
    have = present.sum(axis=1)
    half = (have > 0) & (have < present.shape[1])
    if half.any():
        raise InputError(f"row {int(np.flatnonzero(half)[0])}: standard {std.id} {std.name} has evidence for some "
                         "key questions but not all; give all its key questions or none")
    return have


def mixed_standard_codes(rb: Rulebook, std: Standard, case_codes: np.ndarray, case_present: np.ndarray,
                         judged: np.ndarray) -> np.ndarray:
    """A mixed standard's code per row (as `rating.mixed.mixed_standard`).

    `case_codes`, `case_present`: (N, k) codes and presence of its case key questions; `judged`:
    (N, j) codes of its judged key questions (a rank, NOT_RATED for 'Not inspected', MISSING).
    """
    no_cases = evidence_counts(std, case_present) == 0
    missing = judged == MISSING
    codes = np.concatenate([np.where(no_cases[:, None], NOT_RATED, case_codes),
                            np.where(missing, NOT_RATED, judged)], axis=1)
    rated = codes >= 0
    lowest = np.where(rated, codes, len(rb.ratings)).min(axis=1)
    not_rated = ~rated.any(axis=1)
    if rb.policies.no_applicable_cases.value == "standard_not_rated":
        not_rated |= (codes == NOT_RATED).any(axis=1)
    out = np.where(not_rated, NOT_RATED, lowest)
    any_missing = missing.any(axis=1)
    out = np.where(any_missing, MISSING, out)
    out = np.where(any_missing & missing.all(axis=1) & no_cases, NOT_RATED, out)  # no evidence at all
    return out.astype(np.int8)


@dataclass(frozen=True)
class SampleColumns:
    """Where one sample sits in the arrays, and its limits."""

    key_questions: np.ndarray  # key-question columns
    standards: np.ndarray  # standard columns rated from the sample
    min: int | None
    max: int | None


def sample_layout(rb: Rulebook, kq_index: dict[str, int], standard_index: dict[str, int]) -> list[SampleColumns]:
    policy = rb.policies.sample_sizes
    if policy is None:
        return []
    out = []
    for rule in policy.samples:
        kqs = sample_key_questions(rb, rule)
        stds = [standard_index[s.id] for s in rb.standards if {k.id for k in s.case_key_questions} & set(kqs)]
        out.append(SampleColumns(np.array([kq_index[k] for k in kqs], dtype=np.intp), np.array(stds, dtype=np.intp),
                                 rule.min, rule.max))
    return out


def apply_sample_rules(rb: Rulebook, samples: list[SampleColumns], applicable: np.ndarray, present: np.ndarray,
                       standards: np.ndarray) -> np.ndarray | None:
    """Each row's status per sample (SAMPLE_* codes); a `not_rated` policy sets the sample's standards
    NOT_RATED in `standards` (in place). None when the rulebook has no sample rules."""
    if not samples:
        return None
    policy = rb.policies.sample_sizes
    n = applicable.shape[0]
    status = np.full((n, len(samples)), SAMPLE_NONE, dtype=np.int8)
    for j, sample in enumerate(samples):
        if sample.min is None and sample.max is None:
            continue  # documents the sample; not checked (as rating.samples)
        size = np.where(present[:, sample.key_questions], applicable[:, sample.key_questions], -1).max(axis=1)
        checked = size >= 0
        below = checked & (size < sample.min) if sample.min is not None else np.zeros(n, dtype=bool)
        above = checked & ~below & (size > sample.max) if sample.max is not None else np.zeros(n, dtype=bool)
        status[checked, j] = SAMPLE_WITHIN
        status[below, j] = SAMPLE_BELOW
        status[above, j] = SAMPLE_ABOVE
        drop = np.zeros(n, dtype=bool)
        if policy.below_minimum.value == "not_rated":
            drop |= below
        if policy.above_maximum.value == "not_rated":
            drop |= above
        standards[np.ix_(np.flatnonzero(drop), sample.standards)] = NOT_RATED
    return status
