"""Units within units: a region rated from its PDUs' pooled cases, in the same run as the PDUs.

Expected figures come from independent counts (the csv module over the example file, or the
generated rows themselves), and bands from a hand-written 80 / 65 / 50 table, never from the
engine's tallies.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import load_rulebook
from ratings_engine.model.errors import InputError
from ratings_engine.rating.bulk import codes_of_results, rate_bulk, same
from ratings_engine.rating.pooling import pool_tallies, split_units
from ratings_engine.rating.tally import tally

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "probation-region-2023-example.csv"
JUDGEMENTS = ROOT / "cases" / "probation-region-2023-example-judgements.csv"
REGION = "Midshire region (illustrative)"
REGION_RB = load_rulebook("probation-region-2023")
PDU_RB = load_rulebook("probation-pdu-2023")
POOLED = {"R2.1": ["2.1.2", "2.2.2", "2.3.2", "2.4.2"], "R2.2": ["2.1.3", "2.2.3", "2.3.3", "2.4.3"],
          "R2.3": ["R2.3.1", "R2.3.2", "R2.3.3"], "R2.4": ["R2.4.1", "R2.4.2", "R2.4.3"]}
OWN = {"R2.5": ["R2.5.1", "R2.5.2", "R2.5.3"], "R2.6": ["R2.6.1", "R2.6.2"]}


def band(s: int, a: int) -> str:
    """The recalled key-question bands, written out by hand (exact fractions)."""
    if 100 * s >= 80 * a:
        return "Outstanding"
    if 100 * s >= 65 * a:
        return "Good"
    if 100 * s >= 50 * a:
        return "Requires improvement"
    return "Inadequate"


def count(rows: list[dict], kq: str) -> tuple[int, int]:
    answers = [r[kq].lower() for r in rows]
    return answers.count("yes"), answers.count("yes") + answers.count("no")


def example_rows() -> list[dict]:
    with EXAMPLE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------------------------
# The example, end to end


def test_the_regional_example_rates_end_to_end_through_the_api():
    report = api.rate_region(EXAMPLE, judgements=JUDGEMENTS)
    rows = example_rows()
    pdus = list(dict.fromkeys(r["unit"] for r in rows if r["unit"] != REGION))
    assert len(pdus) == 3
    (region,) = report.regions.units
    assert region.unit == REGION and list(region.members) == pdus
    assert [u.unit for u in report.members.units] == pdus
    lowest = []
    for sid, kqs in {**POOLED, **OWN}.items():
        source = [r for r in rows if (r["unit"] != REGION) == (sid in POOLED)]
        counted = {k: count(source, k) for k in kqs}
        std = region.standard(sid)
        for k in std.key_questions:
            assert (k.sufficient, k.applicable) == counted[k.id], (sid, k.id)
            assert k.rating == band(*counted[k.id])
            if sid in POOLED:  # each PDU's share, which adds up to the pooled figure
                assert [p.unit for p in k.pooled] == pdus
                assert [(p.sufficient, p.applicable) for p in k.pooled] == [
                    count([r for r in rows if r["unit"] == u], k.id) for u in pdus]
                assert "pooled from 3 unit(s)" in k.decision.because and pdus[0] in k.decision.because
            else:
                assert k.pooled == ()
        order = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
        assert std.rating == min((band(*c) for c in counted.values()), key=order.index)
        lowest.append(std.rating)
    assert region.standard("R1.1").rating == "Good" and region.standard("R1.2").rating == "Requires improvement"
    points = {"Inadequate": 0, "Requires improvement": 1, "Good": 2, "Outstanding": 3}
    score = sum(points[r] for r in lowest) + 2 + 1
    assert (region.overall.score, region.overall.max_score) == (score, 24)
    assert region.overall.rating == ("Inadequate" if score <= 4 else "Requires improvement" if score <= 12
                                     else "Good" if score <= 20 else "Outstanding")


def test_each_pdu_of_the_regional_run_is_rated_as_if_rated_alone(tmp_path):
    report = api.rate_region(EXAMPLE, judgements=JUDGEMENTS)
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    judged = pd.read_csv(JUDGEMENTS, dtype=str, keep_default_na=False)
    for u in report.members.units:
        alone = frame[frame["unit"] == u.unit][["case_id", "unit", *[k for k in PDU_RB.key_question_ids]]]
        path = tmp_path / "alone.csv"
        alone.to_csv(path, index=False)
        single = api.rate(path, "probation-pdu-2023", judgements=judged[judged["unit"] == u.unit], unit=u.unit).units[0]
        assert [(s.id, s.rating) for s in single.standards] == [(s.id, s.rating) for s in u.standards]
        assert single.overall.rating == u.overall.rating
        own = judged[judged["unit"] == u.unit].set_index("standard")["rating"].to_dict()
        assert {s.id: s.rating for s in u.standards if s.id in own} == own  # its own judgements, not another PDU's
    pdus = [u.unit for u in report.members.units]  # (the check means something: no two PDUs were judged alike)
    assert len({tuple(g["rating"]) for _, g in judged[judged["unit"].isin(pdus)].groupby("unit")}) == len(pdus) == 3


def test_the_regional_example_rates_end_to_end_through_the_cli(tmp_path):
    out = tmp_path / "region.json"
    result = CliRunner().invoke(main, ["region", str(EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["format"] == "ratings-engine-region/1"
    region = data["regions"]["units"][0]
    assert region["unit"] == REGION and len(region["members"]) == 3
    api_report = api.rate_region(EXAMPLE)
    assert region["overall"]["rating"] == api_report.regions.units[0].overall.rating
    kq = region["standards"][2]["key_questions"][0]  # R2.1, 2.1.2
    assert sum(p["sufficient"] for p in kq["pooled"]) == kq["sufficient"]
    assert sum(p["applicable"] for p in kq["pooled"]) == kq["applicable"]
    table = CliRunner().invoke(main, ["region", str(EXAMPLE), "--explain"])
    assert table.exit_code == 0 and "pooled from 3 unit(s)" in table.stdout and "Member units" in table.stdout


# ---------------------------------------------------------------------------------------------
# Pooled figures equal a tally of the union of the PDUs' cases (hypothesis)

PDU_KQS = list(PDU_RB.key_question_ids)
REGION_ONLY = [k for k in REGION_RB.key_question_ids if k not in PDU_KQS]
ANSWERS = ["Yes", "No", "N/A"]


@st.composite
def regional_files(draw):
    """Two regions of 1-3 PDUs each, 1-8 cases per PDU, and a small regional sample for each."""
    rows = []
    for r in range(draw(st.integers(1, 2))):
        region = f"Region {r}"
        for p in range(draw(st.integers(1, 3))):
            for c in range(draw(st.integers(1, 8))):
                row = {k: draw(st.sampled_from(ANSWERS)) for k in PDU_KQS + [k for k in REGION_ONLY
                                                                              if k.startswith(("R2.3", "R2.4"))]}
                row.update({k: "N/A" for k in REGION_ONLY if k.startswith(("R2.5", "R2.6"))})
                rows.append({"case_id": f"{r}-{p}-{c}", "unit": f"PDU {r}.{p}", "region": region, **row})
        for c in range(draw(st.integers(0, 4))):
            row = {k: "N/A" for k in PDU_KQS + REGION_ONLY}
            row.update({k: draw(st.sampled_from(ANSWERS)) for k in REGION_ONLY if k.startswith(("R2.5", "R2.6"))})
            rows.append({"case_id": f"{r}-own-{c}", "unit": region, "region": region, **row})
    return pd.DataFrame(rows, columns=["case_id", "unit", "region", *PDU_KQS, *REGION_ONLY])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frame=regional_files())
def test_pooled_figures_equal_a_tally_of_the_union_of_the_pdus_cases(frame):
    report = api.rate_region(frame, judgements=None, allow_partial=True)
    records = frame.to_dict("records")
    for u in report.regions.units:
        member_rows = [r for r in records if r["region"] == u.unit and r["unit"] != u.unit]
        own_rows = [r for r in records if r["unit"] == u.unit]
        assert set(u.members) == {r["unit"] for r in member_rows}
        for s in u.standards:
            source = member_rows if s.id in POOLED else own_rows
            for k in s.key_questions:
                assert (k.sufficient, k.applicable) == count(source, k.id), (u.unit, k.id)
                assert k.not_applicable == sum(r[k.id] == "N/A" for r in source)
                if s.id in POOLED:
                    assert sum(p.applicable for p in k.pooled) == k.applicable


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(frame=regional_files())
def test_bulk_rating_of_pooled_tallies_equals_one_by_one(frame):
    from ratings_engine.io.evidence import load_evidence
    from ratings_engine.rating.rate import rate_tallies

    evidence = load_evidence(frame, REGION_RB.rulebook, others=[k for k in PDU_KQS if k not in REGION_RB.key_question_ids])
    members, regions, _ = split_units(evidence.units, evidence.regions)
    pooled, _ = pool_tallies(tally(evidence), REGION_RB.rulebook, members)
    one_by_one = rate_tallies(pooled, REGION_RB.rulebook, None, allow_partial=True, units=regions)
    bulk = rate_bulk(pooled, REGION_RB.rulebook, None, allow_partial=True, units=regions)
    assert same(bulk.ratings, codes_of_results(one_by_one, REGION_RB.rulebook))


# ---------------------------------------------------------------------------------------------
# Nothing counted or dropped silently


def _example_frame() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)


def test_a_unit_without_a_region_is_an_error():
    frame = _example_frame().drop(columns=["region"])
    with pytest.raises(InputError, match="have no region: give a 'region' column"):
        api.rate_region(frame, judgements=None)


def test_a_units_file_can_give_the_regions(tmp_path):
    frame = _example_frame().drop(columns=["region"])
    units = tmp_path / "units.csv"
    units.write_text("unit,region\n" + "".join(f"\"{u}\",\"{REGION}\"\n" for u in frame["unit"].unique() if u != REGION))
    by_file = api.rate_region(frame, regions=units, judgements=JUDGEMENTS)
    by_column = api.rate_region(EXAMPLE, judgements=JUDGEMENTS)
    assert by_file.regions.units[0].overall == by_column.regions.units[0].overall


def test_a_region_given_two_ways_must_agree(tmp_path):
    units = tmp_path / "units.csv"
    units.write_text('unit,region\n"Eastvale PDU (illustrative)",Elsewhere\n')
    with pytest.raises(InputError, match="in the case file but 'Elsewhere' in the units file"):
        api.rate_region(EXAMPLE, regions=units)


def test_a_unit_in_two_regions_is_an_error_naming_the_row():
    frame = _example_frame()
    frame.loc[5, "region"] = "Another region"
    with pytest.raises(InputError, match="one region per unit"):
        api.rate_region(frame, judgements=None)


@pytest.mark.parametrize("unit_kind,column,message", [
    ("pdu", "R2.5.1", "PDU cases answer the regional sample's key questions"),
    ("region", "2.1.2", "regional sample answer pooled key questions"),
])
def test_a_case_answering_the_other_samples_questions_is_an_error(unit_kind, column, message):
    frame = _example_frame()
    row = frame.index[(frame["unit"] == REGION) if unit_kind == "region" else (frame["unit"] != REGION)][0]
    frame.loc[row, column] = "Yes"
    with pytest.raises(InputError, match=message):
        api.rate_region(frame, judgements=None)


def test_the_cli_reports_bad_input_with_exit_2(tmp_path):
    frame = _example_frame().drop(columns=["region"])
    path = tmp_path / "no-region.csv"
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["region", str(path), "--no-judgements"])
    assert result.exit_code == 2 and "have no region" in result.stderr


def test_a_rulebook_without_pooling_cannot_rate_a_region():
    with pytest.raises(InputError, match="no 'pooling'"):
        api.rate_region(EXAMPLE, "probation-pdu-2023")


def test_judgements_of_both_rulebooks_come_from_one_file_and_every_row_is_accounted_for():
    report = api.rate_region(EXAMPLE, judgements=JUDGEMENTS)
    audits = [i["audit"] for r in report.reports for i in r.inputs if i["kind"] == "judgements"]
    assert len(audits) == 2
    for audit in audits:
        assert audit["rows_read"] == audit["rows_used"] + sum(audit["rows_skipped"].values())
    assert sorted(a["rows_used"] for a in audits) == [2, 9]
    np.testing.assert_equal(report.regions.units[0].overall.status, "rated")
