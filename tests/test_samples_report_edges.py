"""Sample-size rules one unit at a time, and the report's warnings, with the words and sources
written here: which provenance a check carries, which policy a decision quotes, what a warning
says, and what the public `rate_evidence` does by default."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ratings_engine import api
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.views import NOT_INSPECTED
from ratings_engine.rating.rate import rate_tallies
from ratings_engine.rating.report import rating_warnings
from ratings_engine.rating.samples import sample_checks, sample_warnings
from tests.test_bulk_edges import YOUTH, _children  # one unit per sample size, every child case sufficient

PDU = load_rulebook("probation-pdu-2021")
CASES = Path(__file__).resolve().parents[1] / "cases"


def test_a_check_carries_its_samples_own_provenance_else_the_policys():
    rb = with_changes(PDU, ["policies.sample_sizes.samples[court-reports].min=10",
                            "policies.sample_sizes.samples[cases].min=40"])
    checks = {c.id: c for c in sample_checks(rb, {"2.1.1": 5, "2.2.1": 30})}
    # court-reports has a provenance of its own in the rulebook; the cases sample does not
    assert checks["court-reports"].provenance.source.startswith("Court work is rated from a sample of pre-sentence")
    assert checks["cases"].provenance.source.startswith("shared/methodology.md: case samples are random")
    assert (checks["court-reports"].status, checks["cases"].status) == ("below minimum", "below minimum")


def _rate(rulebook, sizes):
    return {u.unit: u for u in rate_tallies(_children(sizes), rulebook, None, allow_partial=True, units=list(sizes))}


def test_each_side_of_the_limits_quotes_its_own_policy_and_source():
    # below the minimum: rated and labelled; above the maximum: not rated
    rb = with_changes(YOUTH, ["policies.sample_sizes.below_minimum.value=label",
                              "policies.sample_sizes.above_maximum.value=not_rated"])
    units = _rate(rb, {"small": 10, "big": 95})
    small = next(s for s in units["small"].standards if s.id == "2.1")
    big = next(s for s in units["big"].standards if s.id == "2.1")
    assert small.rating == "Outstanding"  # every case sufficient
    assert "policies.sample_sizes below_minimum: label" in small.decision.because
    assert big.rating == NOT_INSPECTED and big.decision.table == "sample_size"
    assert "more than the maximum 91" in big.decision.because
    assert "policies.sample_sizes above_maximum: not_rated" in big.decision.because
    assert big.decision.provenance.source.startswith("Not published. Default: rated (more cases only narrow")
    assert sample_warnings("big", units["big"].samples) == [
        "unit 'big': SAMPLE ABOVE MAXIMUM: Children's cases 95 cases, maximum 91: standard(s) 2.1 not rated"]
    assert sample_warnings("small", units["small"].samples) == [
        "unit 'small': SAMPLE BELOW MINIMUM: Children's cases 10 cases, minimum 14: standard(s) 2.1 rated and labelled"]

    # and the other way round
    rb = with_changes(YOUTH, ["policies.sample_sizes.below_minimum.value=not_rated",
                              "policies.sample_sizes.above_maximum.value=label"])
    units = _rate(rb, {"small": 10, "big": 95})
    small = next(s for s in units["small"].standards if s.id == "2.1")
    big = next(s for s in units["big"].standards if s.id == "2.1")
    assert small.rating == NOT_INSPECTED and "fewer than the minimum 14" in small.decision.because
    assert "policies.sample_sizes below_minimum: not_rated" in small.decision.because
    assert small.decision.provenance.source.startswith("What the inspectorate does with a sample below its minimum")
    assert big.rating == "Outstanding" and "policies.sample_sizes above_maximum: label" in big.decision.because


def test_a_missing_unscored_judgement_is_warned_about_and_a_scored_one_is_not_called_unscored():
    rb = load_rulebook("youth-justice-2021")  # 4.1 is rated by judgement but not scored
    cases = api.load_cases(CASES / "youth-justice-2021-example.csv", rb)
    judged = pd.read_csv(CASES / "youth-justice-2021-example-judgements.csv")
    without_41 = api.load_judgements(judged[judged["standard"].astype(str) != "4.1"], rb)
    report = api.rate_evidence(cases, api.load_rulebook("youth-justice-2021"), without_41)
    unscored = [w for w in rating_warnings(report.units) if "unscored" in w]
    assert len(unscored) == 1 and "judgement for unscored standard(s) 4.1 missing" in unscored[0]
    assert report.units[0].overall.status == "rated"  # 4.1 does not count towards it
    without_11 = api.load_judgements(judged[judged["standard"].astype(str) != "1.1"], rb)
    report = api.rate_evidence(cases, api.load_rulebook("youth-justice-2021"), without_11)
    assert not [w for w in rating_warnings(report.units) if "unscored" in w]
    # the public rate_evidence refuses a partial overall rating unless asked for one
    assert report.units[0].overall.status == "incomplete"
    assert any("no overall rating" in w for w in rating_warnings(report.units))
