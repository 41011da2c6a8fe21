"""Rating a whole tally table in bulk (arrays, no explanations), and results in the same codes.

`rate_bulk` rates every unit through the compiled rulebook's decisions applied to arrays
(`engine.bulk`); `codes_of_results` turns `rate_tallies` results into the same codes, so the
two paths can be proven equal (`same`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from ..engine.bulk import (
    MISSING,
    NOT_RATED,
    BulkRatings,
    Layout,
    arrays_from_tallies,
    evaluate,
    judgement_codes,
    label,
)
from ..engine.bulk_extras import SAMPLE_ABOVE, SAMPLE_BELOW, SAMPLE_NONE, SAMPLE_WITHIN
from ..engine.decide import compile_rulebook
from ..model.samples import ABOVE, BELOW, WITHIN
from ..model.evidence import Judgements
from ..model.views import NOT_INSPECTED

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import Rulebook


@dataclass(frozen=True)
class BulkReport:
    units: list[str]
    ratings: BulkRatings

    def overall_frame(self) -> pd.DataFrame:
        rb = self.ratings.rulebook
        r = self.ratings
        top = rb.max_standard_score
        return pd.DataFrame({
            "unit": self.units,
            "rating": [rb.ratings[c] if c >= 0 else None for c in r.overall],
            "score": r.score, "max_score": top * r.scored, "scored_standards": r.scored,
            "status": r.status(),
        })

    def standards_frame(self) -> pd.DataFrame:
        layout = Layout(self.ratings.rulebook)
        codes = self.ratings.standards
        frame = pd.DataFrame([[label(self.ratings.rulebook, int(c)) for c in row] for row in codes],
                             columns=list(layout.standard_ids))
        frame.insert(0, "unit", self.units)
        return frame


def rate_bulk(tallies: pd.DataFrame, rulebook: Rulebook, judgements: Judgements | None = None, *,
              allow_partial: bool = False, units: Sequence[str] | None = None) -> BulkReport:
    """Rate every unit of a tally table through the compiled rulebook, as arrays (no explanations)."""
    compiled = compile_rulebook(rulebook)
    layout = Layout(rulebook)
    arrays = arrays_from_tallies(tallies, rulebook, units, layout)
    codes = judgement_codes(rulebook, judgements, arrays.units, layout)
    ratings = evaluate(compiled, arrays.sufficient, arrays.applicable, arrays.present, codes,
                       allow_partial=allow_partial, layout=layout)
    return BulkReport(arrays.units, ratings)


def codes_of_results(results, rulebook: Rulebook) -> BulkRatings:
    """`rate_tallies` results (a sequence of UnitResult) in the codes of `BulkRatings`, to compare."""
    layout = Layout(rulebook)
    n = len(results)
    kq = np.full((n, len(layout.key_questions)), MISSING, dtype=np.int8)
    std = np.full((n, len(layout.standard_ids)), MISSING, dtype=np.int8)
    overall = np.zeros(n, dtype=np.int8)
    score = np.zeros(n, dtype=np.int64)
    scored = np.zeros(n, dtype=np.int64)
    partial = np.zeros(n, dtype=bool)
    samples = sample_codes(results, rulebook)
    for u, result in enumerate(results):
        for s in result.standards:
            for k in s.key_questions:
                if k.basis == "judgement":  # judged key questions are judgement columns, not tallies
                    continue
                kq[u, layout.kq_index[k.id]] = NOT_RATED if k.rating is None else rulebook.rank(k.rating)
            if s.decision.table == "missing_judgement":
                code = MISSING
            elif s.rating == NOT_INSPECTED:
                code = NOT_RATED
            else:
                code = rulebook.rank(s.rating)
            std[u, layout.standard_index[s.id]] = code
        o = result.overall
        overall[u] = {"incomplete": MISSING, "not rated": NOT_RATED}.get(o.status, None) if o.rating is None else rulebook.rank(o.rating)
        score[u], scored[u], partial[u] = o.score, o.scored, o.status == "partial"
    return BulkRatings(rulebook, kq, std, overall, score, scored, partial, samples)


_STATUS = {WITHIN: SAMPLE_WITHIN, BELOW: SAMPLE_BELOW, ABOVE: SAMPLE_ABOVE}


def sample_codes(results, rulebook: Rulebook) -> np.ndarray | None:
    """Each unit's sample checks (`UnitResult.samples`) as the bulk sample status codes."""
    policy = rulebook.policies.sample_sizes
    if policy is None:
        return None
    column = {rule.id: j for j, rule in enumerate(policy.samples)}
    out = np.full((len(results), len(column)), SAMPLE_NONE, dtype=np.int8)
    for u, result in enumerate(results):
        for check in result.samples:
            out[u, column[check.id]] = _STATUS[check.status]
    return out


def same(a: BulkRatings, b: BulkRatings) -> bool:
    """Identical codes, scores and flags."""
    fields = ("key_questions", "standards", "overall", "score", "scored", "partial")
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in fields) and (
        (a.samples is None) == (b.samples is None) and (a.samples is None or np.array_equal(a.samples, b.samples)))
