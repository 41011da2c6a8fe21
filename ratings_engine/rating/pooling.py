"""Units within units: a region rated from its PDUs' pooled case samples, in the same run as the PDUs.

A regional rulebook (`pooling:` names the rulebook of its member units) has standards of two
kinds of sample: `sample: pooled` (desistance, public protection, resettlement, court work:
the cases of all the region's PDUs) and `sample: own` (unpaid work, statutory victim work: the
region's own sample). One case file carries both, with a `region` column (or a units file):

* a row whose `unit` is a PDU is one of that PDU's cases: it counts for the PDU's own ratings
  (member rulebook) and, pooled, for its region's pooled standards;
* a row whose `unit` is the region's own name is a case of the regional sample.

Pooling (`pooling.method`): `pooled_cases`, the only method implemented: a pooled key
question's tally is the sum of the member units' tallies, i.e. exactly the tally of the union
of their cases (each case counts once; a larger PDU weighs more). Each pooled figure keeps each
member's counts (`KeyQuestionResult.pooled`) and says in its explanation which units and how
many cases it came from. A PDU case answering a regional-sample key question, or a regional
case answering a pooled one, is an error: nothing is counted silently or dropped silently.
"""
from __future__ import annotations

import copy
from dataclasses import replace
from typing import Mapping

import pandas as pd

from ..model.errors import InputError
from ..model.evidence import TALLY_COLUMNS, CaseEvidence, Judgements
from ..model.regional import RegionalReport
from ..model.results import RatingReport, UnitResult
from ..model.rulebook import LoadedRulebook, Rulebook
from ..model.samples import PoolPart
from .rate import rate_tallies
from .report import input_record, judgement_audit, rate_evidence, rating_warnings, stamp
from .tally import tally


def pooled_key_questions(rulebook: Rulebook) -> list[str]:
    """The case key questions of the rulebook's pooled standards, in rulebook order."""
    return [kq.id for s in rulebook.standards if s.sample == "pooled" for kq in s.case_key_questions]


def split_units(units: list[str], regions: Mapping[str, str]) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """(region -> its member units, the regions in order, the member units): a unit named like a region is
    that region's own sample; every other unit needs a region."""
    names = set(regions.values())
    members: dict[str, list[str]] = {}
    lost = [u for u in units if u not in names and u not in regions]
    if lost:
        raise InputError(f"unit(s) {', '.join(repr(u) for u in lost[:10])} have no region: give a 'region' column "
                         "(the region of each row's unit) or a units file (--regions FILE: unit, region)")
    for u in units:
        region = u if u in names else regions[u]
        members.setdefault(region, [])
        if u != region:
            members[region].append(u)
    for region in dict.fromkeys(regions[u] for u in units if u in regions):
        members.setdefault(region, [])
    pdus = [u for u in units if u not in names]
    return members, list(members), pdus


def pool_tallies(tallies: pd.DataFrame, rulebook: Rulebook, members: Mapping[str, list[str]]
                 ) -> tuple[pd.DataFrame, dict[tuple[str, str], tuple[PoolPart, ...]]]:
    """The regions' tally table (pooled key questions summed over member units, the rest from the
    region's own rows) and each pooled figure's parts per member unit."""
    pooled = set(pooled_key_questions(rulebook))
    own_rows = tallies["unit"].isin(list(members))
    problems = []
    wrong = tallies[own_rows & tallies["key_question"].isin(pooled) & (tallies["applicable"] > 0)]
    if len(wrong):
        problems.append(f"{len(wrong)} key question tally(ies) of the regional sample answer pooled key questions "
                        f"(e.g. unit {wrong['unit'].iat[0]!r}, {wrong['key_question'].iat[0]}); the PDUs' cases "
                        "answer those, the region's own cases n/a")
    wrong = tallies[~own_rows & ~tallies["key_question"].isin(pooled) & (tallies["applicable"] > 0)
                    & tallies["key_question"].isin(rulebook.key_question_ids)]
    if len(wrong):
        problems.append(f"PDU cases answer the regional sample's key questions (e.g. unit {wrong['unit'].iat[0]!r}, "
                        f"{wrong['key_question'].iat[0]}); those are answered by the region's own cases "
                        "(rows whose unit is the region), PDU cases n/a")
    if problems:
        raise InputError(problems)
    order = {k: i for i, k in enumerate(rulebook.key_question_ids)}
    rows, parts = [], {}
    for region, units in members.items():
        mine = tallies[tallies["unit"].isin(units) & tallies["key_question"].isin(pooled)]
        for kq, group in mine.groupby("key_question", sort=False):
            group = group.set_index("unit").loc[[u for u in units if u in set(group["unit"])]]
            parts[(region, kq)] = tuple(PoolPart(u, int(r.sufficient), int(r.insufficient), int(r.not_applicable))
                                        for u, r in group.iterrows())
            rows.append((region, kq, *(int(group[c].sum()) for c in TALLY_COLUMNS[2:])))
        own = tallies[(tallies["unit"] == region) & ~tallies["key_question"].isin(pooled)
                      & tallies["key_question"].isin(order)]
        rows += [tuple(r) for r in own[TALLY_COLUMNS].itertuples(index=False)]
    frame = pd.DataFrame(rows, columns=TALLY_COLUMNS)
    region_order = {r: i for i, r in enumerate(members)}
    frame = frame.assign(_r=frame["unit"].map(region_order), _k=frame["key_question"].map(order))
    frame = frame.sort_values(["_r", "_k"], kind="stable").drop(columns=["_r", "_k"]).reset_index(drop=True)
    for column in TALLY_COLUMNS[2:]:
        frame[column] = frame[column].astype("int64")
    return frame, {key: value for key, value in parts.items() if region_order.get(key[0]) is not None}


def attach_pools(results: tuple[UnitResult, ...], rulebook: Rulebook, members: Mapping[str, list[str]],
                 parts: Mapping[tuple[str, str], tuple[PoolPart, ...]]) -> tuple[UnitResult, ...]:
    """Each pooled key question's result with its parts per member unit, named in its explanation."""
    pooled = {s.id for s in rulebook.standards if s.sample == "pooled"}
    out = []
    for u in results:
        standards = []
        for s in u.standards:
            if s.id in pooled:
                kqs = tuple(_pooled(k, parts.get((u.unit, k.id), ())) for k in s.key_questions)
                s = replace(s, key_questions=kqs)
            standards.append(s)
        out.append(replace(u, standards=tuple(standards), members=tuple(members.get(u.unit, ()))))
    return tuple(out)


def _pooled(k, parts: tuple[PoolPart, ...]):
    if not parts:
        return k
    shares = ", ".join(f"{p.unit} {p.sufficient}/{p.applicable}" for p in parts)
    cases = sum(p.applicable for p in parts)
    words = (f"pooled from {len(parts)} unit(s), {cases} applicable case(s) (sufficient/applicable: {shares}); "
             f"{k.decision.because}")
    decision = replace(k.decision, because=words,
                       inputs={**k.decision.inputs, "pooled": [p.to_dict() for p in parts]})
    return replace(k, pooled=parts, decision=decision)


def split_judgements(judgements: Judgements | None, member: Rulebook, region: Rulebook
                     ) -> tuple[Judgements | None, Judgements | None]:
    """One judgements file, two rulebooks: the rows judging each one's standards (ids are distinct)."""
    if judgements is None:
        return None, None
    ids = set(region.judged_ids)
    out = []
    for mine, other in ((False, "the region's"), (True, "the member units'")):
        items = tuple(j for j in judgements.items if (j.standard in ids) == mine)
        audit = copy.deepcopy(judgements.audit)
        audit.skip(f"judges {other} standards (rated in the same run)", len(judgements.items) - len(items))
        out.append(Judgements(items, judgements.source, judgements.sha256, audit))
    return out[0], out[1]


def rate_region(member_evidence: CaseEvidence, region_evidence: CaseEvidence, member: LoadedRulebook,
                region: LoadedRulebook, judgements: Judgements | None, regions: Mapping[str, str], *,
                allow_partial: bool = False) -> RegionalReport:
    """Rate every PDU (member rulebook) and every region (regional rulebook) from one case file."""
    members, region_names, pdus = split_units(region_evidence.units, regions)
    member_judged, region_judged = split_judgements(judgements, member.rulebook, region.rulebook)
    # The PDUs: their own cases under the member rulebook (the regional sample's rows are not theirs).
    keep = member_evidence.answers.index.get_level_values("unit").isin(pdus)
    audit = copy.deepcopy(member_evidence.audit)
    audit.skip("regional sample (rated for the region)", int((~keep).sum()))
    audit.rows_used = int(keep.sum())
    # The file's warnings are the region's read's (every column but the PDU-only ones): said once.
    pdu_evidence = replace(member_evidence, answers=member_evidence.answers[keep], audit=audit, warnings=())
    member_report = rate_evidence(pdu_evidence, member, member_judged, allow_partial=allow_partial)
    # The regions: pooled tallies of their PDUs' cases, and their own sample.
    tallies, parts = pool_tallies(tally(region_evidence), region.rulebook, members)
    warnings = list(region_evidence.warnings)
    inputs = [input_record("cases", region_evidence.source, region_evidence.sha256, region_evidence.audit)]
    if region_judged is not None:
        audit = judgement_audit(region_judged, region_names, warnings)
        inputs.append(input_record("judgements", region_judged.source, region_judged.sha256, audit))
    results = rate_tallies(tallies, region.rulebook, region_judged, allow_partial=allow_partial, units=region_names)
    results = attach_pools(results, region.rulebook, members, parts)
    region_report = RatingReport(stamp(region), results, tuple(inputs), tuple(warnings + rating_warnings(results)),
                                 scale=tuple(region.rulebook.ratings))
    return RegionalReport(region_report, member_report, region.rulebook, member.rulebook)
