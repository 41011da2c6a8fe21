"""The rating layer's edges, with expected values worked out by hand: the bulk frames (the lowest
rating, units left unrated, the unit column first), the partial-rating default, the comparison
of two bulk results, and the words of explanations (rounding shown only when it changed the
percentage; count bounds)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ratings_engine.engine.bulk import MISSING, NOT_RATED, BulkRatings
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.audit import Audit
from ratings_engine.model.evidence import Judgement, Judgements
from ratings_engine.model.rulebook import CountCondition
from ratings_engine.rating import explain
from ratings_engine.rating.bulk import rate_bulk, same
from ratings_engine.rating.rate import rate_tallies

BASE = load_rulebook("probation-pdu-2021")
#: The PDU framework, written out by hand: four judged standards, five case standards of three key questions.
JUDGED = ["1.1", "1.2", "1.3", "1.4"]
CASE_STANDARDS = ["2.1", "2.2", "2.3", "2.4", "2.5"]
CASE_KQS = [f"{s}.{k}" for s in CASE_STANDARDS for k in (1, 2, 3)]
COLUMNS = ["unit", "key_question", "sufficient", "insufficient", "not_applicable"]


def corpus():
    """Unit A: 0 of 10 sufficient everywhere, every judgement Inadequate. Unit B: 9 of 10 (90%)
    everywhere, no judgements. Unit C: named, no evidence at all."""
    rows = [("A", k, 0, 10, 0) for k in CASE_KQS] + [("B", k, 9, 1, 0) for k in CASE_KQS]
    tallies = pd.DataFrame(rows, columns=COLUMNS)
    tallies["applicable"] = tallies.sufficient + tallies.insufficient
    items = tuple(Judgement("A", sid, "Inadequate", None, "j.csv", i + 2) for i, sid in enumerate(JUDGED))
    return tallies, Judgements(items, "j.csv", None, Audit("j.csv"))


# ---------------------------------------------------------------------------------------------
# Bulk frames


def test_overall_frame_by_hand_with_partial_ratings_allowed():
    tallies, given = corpus()
    frame = rate_bulk(tallies, BASE, given, units=["A", "B", "C"], allow_partial=True).overall_frame()
    assert list(frame.columns) == ["unit", "rating", "score", "max_score", "scored_standards", "status"]
    rows = [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]
    assert rows == [
        # 0% everywhere and every judgement Inadequate: nine scored standards, 0 of 27 points, Inadequate
        # (the lowest rating: its code is 0, still a rating).
        ("A", "Inadequate", 0, 27, 9, "rated"),
        # 90% everywhere: five Outstanding case standards, 15 of 15; judgements missing, rated partially.
        ("B", "Outstanding", 15, 15, 5, "partial"),
        # Nothing inspected: not rated, no rating word (not the last rating of the scale).
        ("C", None, 0, 0, 0, "not rated"),
    ]


def test_partial_ratings_are_refused_unless_asked_for():
    tallies, given = corpus()
    frame = rate_bulk(tallies, BASE, given, units=["A", "B", "C"]).overall_frame()
    assert frame["status"].tolist() == ["rated", "incomplete", "incomplete"]
    assert frame["rating"].tolist()[0] == "Inadequate" and frame["rating"].isna().tolist() == [False, True, True]
    # The one-by-one path agrees on the default.
    assert [u.overall.status for u in rate_tallies(tallies, BASE, given, units=["A", "B", "C"])] == \
        ["rated", "incomplete", "incomplete"]


def test_standards_frame_has_the_unit_first_then_every_standard_in_rulebook_order():
    tallies, given = corpus()
    frame = rate_bulk(tallies, BASE, given, units=["A", "B", "C"]).standards_frame()
    assert list(frame.columns) == ["unit", *JUDGED, *CASE_STANDARDS]
    assert frame["unit"].tolist() == ["A", "B", "C"]
    assert frame.loc[0, JUDGED + CASE_STANDARDS].tolist() == ["Inadequate"] * 9
    assert frame.loc[1, CASE_STANDARDS].tolist() == ["Outstanding"] * 5


# ---------------------------------------------------------------------------------------------
# same(): every field counts


def ratings(overall=(2, NOT_RATED), samples=None) -> BulkRatings:
    n = 2
    return BulkRatings(BASE, np.zeros((n, len(CASE_KQS)), dtype=np.int8), np.full((n, 9), MISSING, dtype=np.int8),
                       np.array(overall, dtype=np.int8), np.array([18, 0]), np.array([9, 0]),
                       np.array([False, False]), None if samples is None else np.array(samples, dtype=np.int8))


def test_same_needs_every_field_and_the_sample_codes_equal():
    assert same(ratings(), ratings())
    assert not same(ratings(), ratings(overall=(1, NOT_RATED)))  # one overall code differs
    assert same(ratings(samples=[[0], [-2]]), ratings(samples=[[0], [-2]]))
    assert not same(ratings(samples=[[0], [-2]]), ratings(samples=[[0], [-1]]))  # a sample status differs
    assert not same(ratings(samples=[[0], [-2]]), ratings())  # sample checks on one side only
    assert not same(ratings(), ratings(samples=[[0], [-2]]))


# ---------------------------------------------------------------------------------------------
# Explanations


@pytest.mark.parametrize("s, a, because", [
    # 4 of 5 is 80% exactly: rounding changes nothing, so nothing about it is said.
    (4, 5, "4 of 5 applicable cases sufficient (80.0%): rule kq-outstanding (80% or more) gives Outstanding"),
    # 129 of 200 is 64.5%, compared as 65% when rounded to the nearest whole percent.
    (129, 200, "129 of 200 applicable cases sufficient (64.5%, compared as 65% (nearest whole percent)): "
               "rule kq-good (65% to under 80%) gives Good"),
])
def test_key_question_words_mention_rounding_only_when_it_changed_the_percentage(s, a, because):
    rb = with_changes(BASE, ["policies.rounding.value=nearest_whole_percent"])
    tallies = pd.DataFrame([("A", k, s, a - s, 0) for k in ("2.1.1", "2.1.2", "2.1.3")], columns=COLUMNS)
    (unit,) = rate_tallies(tallies, rb, None, allow_partial=True)
    (kq,) = [k for std in unit.standards for k in std.key_questions if k.id == "2.1.1"]
    assert kq.decision.because == because


def test_count_words_say_a_range_or_an_exact_number():
    assert explain.count_text(CountCondition(ratings=("Inadequate",), min=1, max=3)) == \
        "1 to 3 standard(s) rated Inadequate"
    assert explain.count_text(CountCondition(at_most="Requires improvement", min=2, max=2, standards=("2.1", "2.2"))) \
        == "exactly 2 standard(s) among 2.1, 2.2 rated Requires improvement or lower"
    assert explain.count_text(CountCondition(at_least="Good", min=0, max=0)) == "exactly 0 standard(s) rated Good or higher"
