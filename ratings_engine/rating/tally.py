"""Tallies: per unit and key question, how many cases were sufficient, insufficient, not applicable.

The tally table is the hand-over between evidence and decisions. It has one row per unit and
key question present in the evidence, with integer columns `sufficient`, `insufficient`,
`not_applicable` and `applicable` (= sufficient + insufficient). Historical inspections that
survive only as counts can be given in this form directly.
"""
from __future__ import annotations

import pandas as pd

from ..model.evidence import INSUFFICIENT, NOT_APPLICABLE, SUFFICIENT, TALLY_COLUMNS, CaseEvidence, TallyEvidence

__all__ = ["TALLY_COLUMNS", "tally", "evidence_tallies"]


def tally(evidence: CaseEvidence) -> pd.DataFrame:
    """Count each unit's answers per key question (units and key questions in input order)."""
    answers = evidence.answers
    counts = {
        name: (answers == code).groupby(level="unit", sort=False).sum()
        for name, code in (("sufficient", SUFFICIENT), ("insufficient", INSUFFICIENT),
                           ("not_applicable", NOT_APPLICABLE))
    }
    frames = {name: frame.stack() for name, frame in counts.items()}
    table = pd.DataFrame(frames).astype("int64")
    table.index = table.index.set_names(["unit", "key_question"])
    table = table.reset_index()
    table["applicable"] = table["sufficient"] + table["insufficient"]
    return table[TALLY_COLUMNS]


def evidence_tallies(evidence: CaseEvidence | TallyEvidence) -> pd.DataFrame:
    """The tally table of validated evidence, cases or tallies (see `TALLY_COLUMNS`)."""
    return evidence.tallies if isinstance(evidence, TallyEvidence) else tally(evidence)
