"""Result values (model.results, model.regional): their JSON shapes, reprs and pandas views, on the
example unit's report and hand-made variants of it. Expected values are written out by hand.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ratings_engine import rate
from ratings_engine.model.regional import RegionalReport
from ratings_engine.model.results import Decision, KeyQuestionResult, OverallResult
from ratings_engine.model.views import NOT_INSPECTED

CASES = Path(__file__).resolve().parents[1] / "cases"


@pytest.fixture(scope="module")
def report():
    # Redcar, Cleveland and Middlesbrough by probation-pdu-2021: Requires improvement, score 8/24
    return rate(CASES / "redcar-cleveland-middlesbrough.csv")


def _units(report, n: int):
    return replace(report, units=tuple(replace(report.units[0], unit=f"U{i}") for i in range(n)))


def _decision(table="key_question_bands", inputs=None):
    return Decision(subject={"unit": "U"}, table=table, rule="r", outcome="Good", inputs=inputs or {},
                    because="because", provenance=None)


def test_a_report_repr_shows_three_units_then_how_many(report):
    assert repr(report) == ("<RatingReport by probation-pdu-2021 1.0: Redcar, Cleveland and Middlesbrough: "
                            "Requires improvement>")
    assert repr(_units(report, 3)) == ("<RatingReport by probation-pdu-2021 1.0: U0: Requires improvement, "
                                       "U1: Requires improvement, U2: Requires improvement>")
    assert repr(_units(report, 4)) == ("<RatingReport by probation-pdu-2021 1.0: U0: Requires improvement, "
                                       "U1: Requires improvement, U2: Requires improvement, ... (4 units)>")


def test_a_reports_notebook_view_shows_fifty_units_then_how_many_more(report):
    fifty, fifty_one = _units(report, 50)._repr_html_(), _units(report, 51)._repr_html_()
    assert fifty.count("<tr><td>U") == 50 and "more units" not in fifty
    assert fifty_one.count("<tr><td>U") == 50 and "<p>... and 1 more units</p>" in fifty_one
    assert "<td>U49</td>" in fifty_one and "<td>U50</td>" not in fifty_one
    assert "<td>8/24</td>" in fifty


def test_key_question_json_rounds_the_percentage_and_names_only_a_newer_basis():
    cases = KeyQuestionResult("2.2.1", "text", 2, 1, 0, 200 / 3, "Good", _decision())
    judged = KeyQuestionResult("V1.2", "text", 0, 0, 0, None, "Good", _decision(), basis="judgement")
    assert cases.to_dict()["pct"] == 66.6667  # 66.666..., to four decimal places
    assert "basis" not in cases.to_dict() and "pooled" not in cases.to_dict()
    assert judged.to_dict()["basis"] == "judgement" and judged.to_dict()["pct"] is None


def test_overall_json_says_no_case_ratings_only_when_so(report):
    overall = report.units[0].overall
    assert "no_case_ratings" not in overall.to_dict()
    refused = OverallResult(None, 0, 0, 0, "incomplete", (), _decision("overall.bands"), no_case_ratings=True)
    assert refused.to_dict()["no_case_ratings"] is True and refused.to_dict()["rating"] is None
    assert refused.missing_text == "no standard rated from the cases (too few applicable cases: every case n/a?)"


def test_frames_without_a_scale_order_the_ratings_seen_alphabetically(report):
    bare = replace(report, scale=())  # a report made by hand, without the rulebook's scale
    assert list(bare.overall_frame()["rating"].cat.categories) == ["Requires improvement"]
    standards = bare.standards_frame()["rating"]
    # 'Not inspected' (standard 2.1 has no case columns) is listed first, never as a rating on the scale
    assert list(standards.cat.categories) == [NOT_INSPECTED, "Good", "Inadequate", "Requires improvement"]
    assert list(report.standards_frame()["rating"].cat.categories) == [
        NOT_INSPECTED, "Inadequate", "Requires improvement", "Good", "Outstanding"]


def test_the_standards_frame_marks_overridden_standards(report):
    unit = report.units[0]
    first = unit.standards[0]
    overridden = replace(first, decision=_decision("override", {"computed_rating": first.rating, "reason": "panel",
                                                                "from": "o.csv row 2"}))
    changed = replace(report, units=(replace(unit, standards=(overridden,) + unit.standards[1:]),))
    column = changed.standards_frame()["overridden"].tolist()
    assert column == [True] + [False] * (len(unit.standards) - 1)
    assert overridden.override == {"rating": first.rating, "computed": first.rating, "reason": "panel",
                                   "from": "o.csv row 2"}


def test_judged_key_questions_have_no_tally_in_the_frame():
    youth = rate(CASES / "youth-justice-2025-example.csv", "youth-justice-2025")
    frame = youth.key_questions_frame().set_index("key_question")
    assert frame.loc["V1.2", "sufficient"] is pd.NA and frame.loc["V1.2", "applicable"] is pd.NA
    assert frame.loc["V1.1", "applicable"] == frame.loc["V1.1", "sufficient"] + frame.loc["V1.1", "insufficient"]
    assert frame.loc["V1.1", "applicable"] > 0


def test_regional_reports_compare_by_their_results_not_the_rulebooks_that_made_them(report):
    plain = RegionalReport(report, report)
    with_rulebooks = RegionalReport(report, report, region_rulebook=object(), member_rulebook=object())
    assert plain == with_rulebooks
    assert repr(with_rulebooks) == ("<RegionalReport: 1 region(s) by probation-pdu-2021, "
                                    "1 member unit(s) by probation-pdu-2021>")
