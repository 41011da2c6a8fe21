"""Cross-checks of the newer parts of a rulebook: mixed standards, pooled standards, sample sizes.

Called by `model.rulebook._cross_check` with a validated Rulebook (duck typed: this module
imports nothing of the schema, so the schema can import it). Each check yields (key path,
message); the caller turns them into problems located by file and line.
"""
from __future__ import annotations

from typing import Any, Iterator

Found = Iterator[tuple[tuple, str]]


def check_mixed_and_pooled(rb: Any) -> Found:
    """Pooled standards need the rulebook's `pooling`; judgement key questions need mixed standards
    (the schema enforces that per standard; here: ids a judgements file will name stay distinct)."""
    for di, dom in enumerate(rb.framework):
        for si, std in enumerate(dom.standards):
            loc = ("framework", di, "standards", si)
            if std.sample == "pooled" and rb.pooling is None:
                yield loc + ("sample",), (f"standard {std.id} is pooled from member units' cases, but the rulebook has "
                                          "no 'pooling' section naming the rulebook of its member units")
    if rb.pooling is not None and rb.pooling.members == rb.id:
        yield ("pooling", "members"), "a rulebook cannot pool its own units: name the rulebook of the member units"


def check_samples(rb: Any) -> Found:
    """Every sample names case standards and case key questions of this rulebook, each in one sample only."""
    policy = rb.policies.sample_sizes
    if policy is None:
        return
    base = ("policies", "sample_sizes", "samples")
    case_kqs = set(rb.key_question_ids)
    owner: dict[str, str] = {}
    seen: set[str] = set()
    for i, sample in enumerate(policy.samples):
        if sample.id in seen:
            yield base + (i, "id"), f"sample id {sample.id!r} is used twice"
        seen.add(sample.id)
        kqs: list[str] = []
        for j, sid in enumerate(sample.standards):
            std = rb.standards_by_id.get(sid)
            if std is None:
                yield base + (i, "standards", j), f"no standard with id {sid!r}"
            elif not std.case_key_questions:
                yield base + (i, "standards", j), (f"standard {sid} is rated by judgement: a sample holds cases, "
                                                   "so it names standards rated from cases (or mixed)")
            else:
                kqs += [kq.id for kq in std.case_key_questions]
        for j, kid in enumerate(sample.key_questions):
            if kid not in case_kqs:
                judged = kid in rb.judgement_key_question_ids
                yield base + (i, "key_questions", j), (f"key question {kid} is rated by judgement, not from a case sample"
                                                       if judged else f"no key question with id {kid!r} rated from cases")
            else:
                kqs.append(kid)
        for kid in dict.fromkeys(kqs):
            if kid in owner and owner[kid] != sample.id:
                yield base + (i,), f"key question {kid} is in samples {owner[kid]} and {sample.id}: put it in one"
            owner.setdefault(kid, sample.id)


def sample_key_questions(rb: Any, sample: Any) -> tuple[str, ...]:
    """The case key questions a sample covers: its standards' and its own, in rulebook order."""
    wanted = set(sample.key_questions)
    for sid in sample.standards:
        std = rb.standards_by_id.get(sid)
        if std is not None:
            wanted.update(kq.id for kq in std.case_key_questions)
    return tuple(k for k in rb.key_question_ids if k in wanted)
