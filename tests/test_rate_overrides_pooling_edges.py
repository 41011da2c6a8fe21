"""Edges of rating one unit, panel overrides and regional pooling, with expected values worked
out by hand: the overall of a unit with nothing scored, the refusal of a rating when the unit's
cases rate no standard (and what an override changes about that), which key question's gap a
rulebook error names, the explanation of a key question with too few cases, and the regions'
pooled tally table (its exact columns and types, even when empty).

The PDU 2021 rulebook (written out by hand): judged standards 1.1-1.4, case standards 2.1-2.5 of
three key questions each, all scored 0-3; key-question bands 80 / 65 / 50 %; the overall rating
is the mean score per scored standard cut at 0.5, 1.5 and 2.5.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ratings_engine.io.evidence import load_evidence
from ratings_engine.io.rulebooks import load_rulebook, member_rulebook, with_changes
from ratings_engine.model.audit import Audit
from ratings_engine.model.errors import InputError, Location, RulebookError
from ratings_engine.model.evidence import TALLY_COLUMNS, Judgement, Judgements
from ratings_engine.model.overrides import Override, OverrideSet
from ratings_engine.model.results import RatingReport
from ratings_engine.model.samples import PoolPart
from ratings_engine.model.views import NOT_INSPECTED
from ratings_engine.rating.overrides import apply_overrides
from ratings_engine.rating.pooling import pool_tallies, rate_region
from ratings_engine.rating.rate import rate_tallies
from ratings_engine.rating.report import stamp

LOADED = load_rulebook("probation-pdu-2021")
BASE = LOADED.rulebook
JUDGED = ["1.1", "1.2", "1.3", "1.4"]
CASE_STANDARDS = ["2.1", "2.2", "2.3", "2.4", "2.5"]
CASE_KQS = [f"{s}.{k}" for s in CASE_STANDARDS for k in (1, 2, 3)]


def tallies(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=TALLY_COLUMNS[:5])
    frame["applicable"] = frame.sufficient + frame.insufficient
    return frame


def judgements(units, rating: str = "Good") -> Judgements:
    items = tuple(Judgement(u, sid, rating, None, "j.csv", i + 2)
                  for i, (u, sid) in enumerate((u, sid) for u in units for sid in JUDGED))
    return Judgements(items, "j.csv", None, Audit("j.csv"))


def report_of(results) -> RatingReport:
    return RatingReport(stamp(LOADED), tuple(results), scale=tuple(BASE.ratings))


def override(standard: str, rating: str, unit: str | None = None) -> Override:
    return Override(standard, rating, "panel test", unit, Location(), "--override #1")


def overall(u):
    o = u.overall
    return o.rating, o.score, o.max_score, o.status


# ---------------------------------------------------------------------------------------------
# rate: nothing scored; case standards that do not count


def test_a_unit_with_nothing_scored_is_not_rated_with_zero_points_of_zero():
    # Unit C: named, no cases, no judgements. With partial ratings allowed nothing blocks the
    # overall, but no scored standard has a rating: not rated, 0 points of a maximum of 0.
    (c,) = rate_tallies(tallies([]), BASE, None, allow_partial=True, units=["C"])
    assert [s.rating for s in c.standards] == [None] * 4 + [NOT_INSPECTED] * 5
    assert (c.overall.rating, c.overall.score, c.overall.max_score, c.overall.scored,
            c.overall.status) == (None, 0, 0, 0, "not rated")
    assert c.overall.decision.table == "not_rated" and c.overall.missing_judgements == tuple(JUDGED)


def test_case_standards_that_do_not_count_never_refuse_the_overall():
    # Case standards 2.1-2.5 made unscored (described only): the unit's cases (9 of 10, 90%,
    # everywhere: Outstanding) rate them, but only the four judged standards count: 4 x Good =
    # 8 of 12, mean 2.0: Good, fully rated. Nothing is missing from the overall, so it is not refused.
    rulebook = with_changes(BASE, [f"framework[1].standards[{s}].scored=false" for s in CASE_STANDARDS])
    (a,) = rate_tallies(tallies([("A", k, 9, 1, 0) for k in CASE_KQS]), rulebook, judgements(["A"]))
    assert [s.rating for s in a.standards[4:]] == ["Outstanding"] * 5
    assert overall(a) == ("Good", 8, 12, "rated")
    assert not a.overall.no_case_ratings


@pytest.mark.parametrize("policy, words, rating", [
    ("skip_key_question", "not rated (skip_key_question); the standard is rated on its other key questions",
     "Outstanding"),
    ("standard_not_rated", "not rated (standard_not_rated); so the standard is not rated", NOT_INSPECTED),
])
def test_a_key_question_without_applicable_cases_says_what_happens_to_its_standard(policy, words, rating):
    # 2.1.1: 10 cases, all n/a; 2.1.2 and 2.1.3: 9 of 10 (Outstanding).
    rulebook = with_changes(BASE, [f"policies.no_applicable_cases.value={policy}"])
    rows = [("A", "2.1.1", 0, 0, 10), ("A", "2.1.2", 9, 1, 0), ("A", "2.1.3", 9, 1, 0)]
    (a,) = rate_tallies(tallies(rows), rulebook, judgements(["A"]))
    std = a.standards[4]
    assert std.id == "2.1" and std.rating == rating
    kq = std.key_questions[0]
    assert kq.decision.because == f"no applicable cases: {words}"


def test_a_gap_error_names_the_smallest_sample_even_at_the_minimum_applicable():
    # A gap from 65% to under 70% (Good starts at 70, Requires improvement ends below 65), and at
    # least 3 applicable cases to rate a key question. 2.1.1 is 2 of 3 (66.67%, a sample of exactly
    # the minimum), 2.1.2 13 of 20 (65%): both in the gap. The smallest sample is named first.
    rulebook = with_changes(BASE, ["key_question_bands.rows[kq-good].min=70", "policies.minimum_applicable.value=3"])
    rows = [("A", "2.1.1", 2, 1, 0), ("A", "2.1.2", 13, 7, 0), ("A", "2.1.3", 10, 0, 0)]
    with pytest.raises(RulebookError, match=r"a percentage of 66\.67% \(a gap"):
        rate_tallies(tallies(rows), rulebook, judgements(["A"]))


# ---------------------------------------------------------------------------------------------
# overrides


def test_an_override_naming_no_unit_is_an_error_for_two_units():
    rows = [(u, k, 9, 1, 0) for u in ("A", "B") for k in CASE_KQS]
    report = report_of(rate_tallies(tallies(rows), BASE, judgements(["A", "B"])))
    with pytest.raises(InputError, match="the case file has 2 units, so each override must name its unit"):
        apply_overrides(report, OverrideSet((override("2.1", "Good"),)), BASE)
    # Named, it is applied to that unit only: A 2.1 Good: 4 x 2 + 2 + 4 x 3 = 22 of 27 (mean 2.44, Good).
    after = apply_overrides(report, OverrideSet((override("2.1", "Good", "A"),)), BASE)
    assert overall(after.unit("A")) == ("Good", 22, 27, "rated")
    assert overall(after.unit("B")) == ("Outstanding", 23, 27, "rated")  # 4 x 2 + 5 x 3, mean 2.56


def test_an_override_does_not_allow_a_partial_overall_unless_asked_for():
    # Unit B: 9 of 10 everywhere (five Outstanding case standards), no judgements: refused.
    (b,) = rate_tallies(tallies([("B", k, 9, 1, 0) for k in CASE_KQS]), BASE, None)
    assert overall(b) == (None, 15, 15, "incomplete")
    given = OverrideSet((override("2.1", "Good"),))
    after = apply_overrides(report_of([b]), given, BASE).units[0]
    assert after.overall.rating is None and after.overall.status == "incomplete"
    # Asked for: 2 + 4 x 3 = 14 of 15 (mean 2.8): Outstanding, labelled partial.
    after = apply_overrides(report_of([b]), given, BASE, allow_partial=True).units[0]
    assert overall(after) == ("Outstanding", 14, 15, "partial")


def test_an_override_of_a_unit_without_cases_keeps_it_rated_from_its_judgements():
    # Unit C: no cases, every judgement Good: 8 of 12 (mean 2.0), Good, fully rated. Overriding
    # 1.1 to Outstanding gives 9 of 12 (mean 2.25), still Good and still fully rated: it has no
    # cases, so there is no case rating to miss.
    (c,) = rate_tallies(tallies([]), BASE, judgements(["C"]), units=["C"])
    assert overall(c) == ("Good", 8, 12, "rated")
    after = apply_overrides(report_of([c]), OverrideSet((override("1.1", "Outstanding"),)), BASE).units[0]
    assert overall(after) == ("Good", 9, 12, "rated")


def n_a_unit():
    """Unit N: ten cases, every case key question n/a; every judgement Good. No standard is rated
    from its cases, so its overall is refused (4 x Good = 8 of 12 would be Good)."""
    (n,) = rate_tallies(tallies([("N", k, 0, 0, 10) for k in CASE_KQS]), BASE, judgements(["N"]))
    assert overall(n) == (None, 8, 12, "incomplete") and n.overall.no_case_ratings
    return n


def test_an_override_giving_a_case_standard_a_rating_lifts_the_refusal():
    # 2.1 overridden to Good: a case standard now counts: 4 x 2 + 2 = 10 of 15 (mean 2.0), Good, rated.
    after = apply_overrides(report_of([n_a_unit()]), OverrideSet((override("2.1", "Good"),)), BASE).units[0]
    assert overall(after) == ("Good", 10, 15, "rated")


def test_an_override_of_a_judged_standard_does_not_lift_the_refusal():
    # 1.1 overridden to Outstanding: still no standard rated from the cases: refused ...
    given = OverrideSet((override("1.1", "Outstanding"),))
    after = apply_overrides(report_of([n_a_unit()]), given, BASE).units[0]
    assert (after.overall.rating, after.overall.status) == (None, "incomplete")
    # ... unless partial ratings are allowed: 3 + 3 x 2 = 9 of 12 (mean 2.25), Good, partial.
    after = apply_overrides(report_of([n_a_unit()]), given, BASE, allow_partial=True).units[0]
    assert overall(after) == ("Good", 9, 12, "partial")


# ---------------------------------------------------------------------------------------------
# pooling

REGION = load_rulebook("probation-region-2023")
EXAMPLE = Path(__file__).resolve().parents[1] / "cases" / "probation-region-2023-example.csv"


def test_the_pooled_tally_table_has_exactly_the_tally_columns_by_hand():
    # Region R with PDUs P1 and P2. 2.1.2 (pooled, standard R2.1): P1 3 yes 1 no, P2 2 yes 2 no
    # 1 n/a -> R 5 / 3 / 1, 8 applicable. R2.5.1 (the region's own sample): R's own 4 / 1 / 0.
    rows = [("P2", "2.1.2", 2, 2, 1), ("R", "R2.5.1", 4, 1, 0), ("P1", "2.1.2", 3, 1, 0)]
    frame, parts = pool_tallies(tallies(rows), REGION.rulebook, {"R": ["P1", "P2"]})
    expected = pd.DataFrame([("R", "2.1.2", 5, 3, 1, 8), ("R", "R2.5.1", 4, 1, 0, 5)], columns=TALLY_COLUMNS)
    pd.testing.assert_frame_equal(frame, expected)
    assert parts == {("R", "2.1.2"): (PoolPart("P1", 3, 1, 0), PoolPart("P2", 2, 2, 1))}


def test_an_empty_pooled_tally_table_keeps_integer_counts():
    empty = tallies([]).astype({c: "int64" for c in TALLY_COLUMNS[2:]})
    frame, parts = pool_tallies(empty, REGION.rulebook, {"R": []})
    assert list(frame.columns) == TALLY_COLUMNS and len(frame) == 0 and parts == {}
    assert [str(frame[c].dtype) for c in TALLY_COLUMNS[2:]] == ["int64"] * 4


def test_a_regional_run_does_not_allow_partial_ratings_unless_asked_for():
    # The example without judgements: every PDU misses 1.1-1.3 and the region R1.1-R1.2.
    member = member_rulebook(REGION)
    member_only = [k for k in member.key_question_ids if k not in set(REGION.key_question_ids)]
    region_only = [k for k in REGION.key_question_ids if k not in set(member.key_question_ids)]
    member_evidence = load_evidence(EXAMPLE, member.rulebook, others=region_only)
    region_evidence = load_evidence(EXAMPLE, REGION.rulebook, others=member_only)
    args = (member_evidence, region_evidence, member, REGION, None, dict(region_evidence.regions))
    report = rate_region(*args)
    units = [*report.regions.units, *report.members.units]
    assert len(units) == 4
    assert [(u.overall.rating, u.overall.status) for u in units] == [(None, "incomplete")] * 4
    report = rate_region(*args, allow_partial=True)
    units = [*report.regions.units, *report.members.units]
    assert all(u.overall.rating is not None and u.overall.status == "partial" for u in units)
