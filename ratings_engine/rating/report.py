"""A rating report: validated evidence rated, stamped with the rulebook and inputs, with warnings.

The entry point every path that rates evidence shares (one unit, a corpus, the inspector's
workflow): it tallies, rates through `rate.rate_tallies`, and says what a reader must not miss
(refused or partial overall ratings, missing judgements, judgements for units not rated).
"""
from __future__ import annotations

import copy
from typing import Sequence

from ..model.audit import Audit
from ..model.errors import InputError
from ..model.notices import Notice
from ..model.evidence import CaseEvidence, Judgements, TallyEvidence
from ..model.results import RatingReport, RulebookStamp, UnitResult
from ..model.views import LoadedRulebook
from .rate import rate_tallies
from .samples import sample_warnings
from .tally import evidence_tallies

Evidence = CaseEvidence | TallyEvidence


def stamp(loaded: LoadedRulebook) -> RulebookStamp:
    """What a result records of the rulebook that made it: id, version, content and file hashes."""
    rb = loaded.rulebook
    return RulebookStamp(rb.id, rb.version, rb.title, rb.sha256, str(loaded.path) if loaded.path else None,
                         loaded.file_sha256)


def rate_evidence(evidence: Evidence, loaded: LoadedRulebook, judgements: Judgements | None = None, *,
                  allow_partial: bool = False) -> RatingReport:
    """Rate validated evidence (cases or tallies): tally, decide, aggregate, and stamp the report."""
    rulebook = loaded.rulebook
    units = evidence.units
    warnings: list[str] = list(evidence.warnings)
    kind = "tallies" if isinstance(evidence, TallyEvidence) else "cases"
    inputs = [input_record(kind, evidence.source, evidence.sha256, evidence.audit)]
    if judgements is not None:
        audit = judgement_audit(judgements, units, warnings)
        inputs.append(input_record("judgements", judgements.source, judgements.sha256, audit))
    results = rate_tallies(evidence_tallies(evidence), rulebook, judgements, allow_partial=allow_partial, units=units)
    return RatingReport(stamp(loaded), results, tuple(inputs), tuple(warnings + rating_warnings(results)),
                        scale=tuple(rulebook.ratings))


def input_record(kind: str, source: str, sha256: str | None, audit: Audit) -> dict:
    """What a report records of one input: kind, file, the sheet read (workbooks), sha256, audit."""
    record = {"kind": kind, "file": source}
    if audit.sheet is not None:
        record["sheet"] = audit.sheet
    record.update({"sha256": sha256, "audit": audit.to_dict()})
    return record


def rating_warnings(results: Sequence[UnitResult]) -> list[str]:
    """What a reader must not miss about rated units: refused or partial overall ratings, missing judgements."""
    warnings = []
    for u in results:
        if u.overall.status == "incomplete":
            warnings.append(Notice(f"unit {u.unit!r}: no overall rating, {u.overall.missing_text}", "missing"))
        elif u.overall.status == "partial":
            warnings.append(Notice(f"unit {u.unit!r}: PARTIAL overall rating, {u.overall.missing_text}", "missing"))
        unscored = [s.id for s in u.standards if s.rating is None and not s.scored]
        if unscored:
            warnings.append(Notice(f"unit {u.unit!r}: judgement for unscored standard(s) {', '.join(unscored)} missing "
                                   "(shown as missing; the overall rating does not depend on it)", "missing"))
        warnings += sample_warnings(u.unit, u.samples)  # plain text: kind 'input' (needs attention)
    return warnings


def judgement_audit(judgements: Judgements, units: list[str], warnings: list[str]) -> Audit:
    """Judgement rows must name a rated unit; with several units each row must name one.

    Returns the judgements file's audit for this rating: a copy, so rating the same judgements
    again (other units, another rulebook) never counts a row twice.
    """
    audit = copy.deepcopy(judgements.audit)
    named = [j for j in judgements.items if j.unit is not None]
    unnamed = [j for j in judgements.items if j.unit is None]
    if unnamed and len(units) > 1:
        raise InputError(f"{judgements.source}: the case file has {len(units)} units, so the judgements file needs a "
                         "'unit' column saying which unit each rating is for")
    rated = set(units)  # a set: a national corpus has thousands of units and judgement rows
    unused = [j for j in named if j.unit not in rated]
    if unused and len(unused) == len(named) and not unnamed:
        raise InputError(f"{judgements.source}: no judgement is for a unit being rated "
                         f"(judgements name {sorted({j.unit for j in named})}; rating {units})")
    audit.rows_used = len(judgements.items) - len(unused)
    audit.skip("unit not being rated", len(unused))
    for unit in sorted({j.unit for j in unused}):
        warnings.append(Notice(f"{judgements.source}: judgements for unit {unit!r} not used (no cases for it)", "unused"))
    return audit
