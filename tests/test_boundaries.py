"""Every band edge, score cut and margin, against expected values written independently of the code.

Expected ratings, rule ids and margins come from hand-written tables below or from the small
independent implementation in tests/oracles.py (thresholds transcribed from the methodology,
exact fractions), never from the package. Inputs go through the public `rate_tallies` (many
units per call, so the whole grid costs a few calls).
"""
from __future__ import annotations

import pandas as pd
import pytest
from oracles import (
    GOOD,
    INAD,
    KQ_RULE,
    OUT,
    RI,
    SCORE,
    TALLY_FOR,
    kq_band,
    kq_margins,
    overall_band,
    overall_margins,
    ratings_summing_to,
    standard_margins,
    standard_rating,
)

from ratings_engine import InputError, load_rulebook
from ratings_engine.io.judgements import judgements_from_frame
from ratings_engine.io.rulebooks import with_changes
from ratings_engine.model.evidence import TALLY_COLUMNS
from ratings_engine.model.rulebook import NOT_INSPECTED
from ratings_engine.rating.rate import rate_tallies

ROUNDINGS = ("exact", "nearest_whole_percent", "truncate_whole_percent")


def tally_frame(units: dict[str, dict[str, tuple[int, int]]]) -> pd.DataFrame:
    """unit -> key question -> (sufficient, applicable), as a tally table."""
    rows = [(unit, kq, s, a - s, 0, a) for unit, kqs in units.items() for kq, (s, a) in kqs.items()]
    return pd.DataFrame(rows, columns=TALLY_COLUMNS)


def margin(m):
    return None if m is None else (m.to, m.amount)


def rulebook_with_rounding(rounding: str):
    return with_changes(load_rulebook(), [f"policies.rounding.value={rounding}"])


# ---------------------------------------------------------------------------------------------
# Key-question bands: x,999 / 10,000 at every edge, under every rounding policy

#: (sufficient of 10,000 applicable, rating) per rounding policy, worked out by hand:
#: exact compares the fraction; nearest rounds half up to a whole percent; truncate drops the fraction.
EDGES = {
    "exact": [(8000, OUT), (7999, GOOD), (6500, GOOD), (6499, RI), (5000, RI), (4999, INAD),
              (10000, OUT), (0, INAD), (8001, OUT), (6501, GOOD), (5001, RI)],
    "nearest_whole_percent": [(8000, OUT), (7999, OUT), (7950, OUT), (7949, GOOD), (6500, GOOD), (6499, GOOD),
                              (6450, GOOD), (6449, RI), (5000, RI), (4999, RI), (4950, RI), (4949, INAD)],
    "truncate_whole_percent": [(8000, OUT), (7999, GOOD), (8099, OUT), (6500, GOOD), (6499, RI), (6599, GOOD),
                               (5000, RI), (4999, INAD), (5099, RI), (4900, INAD)],
}


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_every_key_question_band_edge_at_x999_of_10000(rounding):
    rulebook = rulebook_with_rounding(rounding)
    cases = dict(EDGES[rounding])
    units = {f"s{s}": {"2.2.1": (s, 10000), "2.2.2": (10, 10), "2.2.3": (10, 10)} for s in cases}
    results = {u.unit: u for u in rate_tallies(tally_frame(units), rulebook, None, allow_partial=True)}
    for s, expected in cases.items():
        kq = results[f"s{s}"].standard("2.2").key_questions[0]
        assert (kq.rating, kq.decision.rule) == (expected, KQ_RULE[expected]), (rounding, s)
        assert kq.rating == kq_band(s, 10000, rounding)  # the oracle agrees with the hand-written table
        assert kq.decision.inputs["rounding"] == rounding


#: Margins of a few of those edges under exact rounding, worked out by hand (10,000 applicable).
EXACT_EDGE_MARGINS = {
    7999: ((OUT, 1), (RI, 1500)),   # 8,000 is 80%; 6,499 is under 65%
    8000: (None, (GOOD, 1)),
    6499: ((GOOD, 1), (INAD, 1500)),
    6500: ((OUT, 1500), (RI, 1)),
    4999: ((RI, 1), None),
    5000: ((GOOD, 1500), (INAD, 1)),
}


def test_margins_at_the_edges_count_single_cases():
    rulebook = rulebook_with_rounding("exact")
    units = {f"s{s}": {"2.2.1": (s, 10000), "2.2.2": (10, 10), "2.2.3": (10, 10)} for s in EXACT_EDGE_MARGINS}
    results = {u.unit: u for u in rate_tallies(tally_frame(units), rulebook, None, allow_partial=True)}
    for s, (up, down) in EXACT_EDGE_MARGINS.items():
        d = results[f"s{s}"].standard("2.2").key_questions[0].decision
        assert (margin(d.margin_up), margin(d.margin_down)) == (up, down), s


# ---------------------------------------------------------------------------------------------
# Key-question margins: every tally up to 30 applicable cases, brute force


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_key_question_margins_for_every_small_tally_match_brute_force(rounding):
    rulebook = rulebook_with_rounding(rounding)
    pairs = [(s, a) for a in range(1, 31) for s in range(a + 1)]
    units = {f"{s}/{a}": {"2.2.1": (s, a), "2.2.2": (a, a), "2.2.3": (a, a)} for s, a in pairs}
    results = {u.unit: u for u in rate_tallies(tally_frame(units), rulebook, None, allow_partial=True)}
    for s, a in pairs:
        kq = results[f"{s}/{a}"].standard("2.2").key_questions[0]
        assert kq.rating == kq_band(s, a, rounding), (s, a)
        assert (margin(kq.decision.margin_up), margin(kq.decision.margin_down)) == kq_margins(s, a, rounding), (s, a)


def test_key_question_margins_follow_moved_thresholds():
    """Good from 70% (RI below 70%), with thresholds the oracle is told by hand."""
    rulebook = with_changes(load_rulebook(), ["key_question_bands.rows[kq-good].min=70",
                                              "key_question_bands.rows[kq-requires-improvement].below=70"])
    cuts = ((OUT, 80), (GOOD, 70), (RI, 50))
    pairs = [(s, a) for a in (7, 10, 13, 20, 23, 33) for s in range(a + 1)]
    units = {f"{s}/{a}": {"2.2.1": (s, a), "2.2.2": (a, a), "2.2.3": (a, a)} for s, a in pairs}
    results = {u.unit: u for u in rate_tallies(tally_frame(units), rulebook, None, allow_partial=True)}
    for s, a in pairs:
        kq = results[f"{s}/{a}"].standard("2.2").key_questions[0]
        assert kq.rating == kq_band(s, a, cuts=cuts), (s, a)
        assert (margin(kq.decision.margin_up), margin(kq.decision.margin_down)) == kq_margins(s, a, cuts=cuts)


# ---------------------------------------------------------------------------------------------
# Standard margins: brute force over every way of turning cases on its key questions

STANDARD_TALLIES = [
    # three key questions (PDU 2.2)
    [(3, 4), (5, 8), (2, 4)], [(2, 2), (2, 2), (2, 2)], [(1, 2), (7, 9), (4, 5)], [(0, 3), (0, 3), (3, 3)],
    [(6, 7), (6, 8), (5, 6)], [(4, 6), (4, 6), (4, 6)], [(1, 1), (3, 4), (7, 8)], [(5, 9), (0, 1), (8, 9)],
    [(4, 5), (4, 5), (9, 9)], [(2, 3), (13, 20), (5, 7)],
]


@pytest.mark.parametrize("tallies", STANDARD_TALLIES, ids=lambda t: " ".join(f"{s}/{a}" for s, a in t))
def test_standard_margins_with_three_key_questions_match_brute_force(tallies):
    kqs = {f"2.2.{i + 1}": t for i, t in enumerate(tallies)}
    (unit,) = rate_tallies(tally_frame({"u": kqs}), load_rulebook(), None, allow_partial=True)
    std = unit.standard("2.2")
    assert std.rating == standard_rating(tallies)
    up, down = standard_margins(tallies)
    for got, want in ((std.decision.margin_up, up), (std.decision.margin_down, down)):
        if want is None:
            assert got is None
        else:
            assert got is not None and got.amount == want[0] and got.to in want[1], (margin(got), want)


@pytest.mark.parametrize("tallies", [[(1, 2), (2, 2)], [(2, 2), (4, 4)], [(3, 5), (9, 11)], [(0, 1), (6, 6)]],
                         ids=lambda t: " ".join(f"{s}/{a}" for s, a in t))
def test_standard_margins_with_two_key_questions_match_brute_force(tallies):
    rulebook = load_rulebook("probation-crc-nps-2018")
    two = next(s for s in rulebook.standards if len(s.key_questions) == 2)
    kqs = {k.id: t for k, t in zip(two.key_questions, tallies)}
    (unit,) = rate_tallies(tally_frame({"u": kqs}), rulebook, None, allow_partial=True)
    std = unit.standard(two.id)
    assert std.rating == standard_rating(tallies)
    up, down = standard_margins(tallies)
    for got, want in ((std.decision.margin_up, up), (std.decision.margin_down, down)):
        if want is None:
            assert got is None
        else:
            assert got is not None and got.amount == want[0] and got.to in want[1], (margin(got), want)


# ---------------------------------------------------------------------------------------------
# Overall ratings: every score for 1 to 12 scored standards, at and around every cut

OVERALL_RULEBOOKS = ["probation-pdu-2021", "probation-pdu-2023", "probation-crc-nps-2018", "youth-justice-2018",
                     "youth-justice-2021", "probation-region-2023"]


def units_for_every_score(rulebook):
    """(tally frame, judgements frame, {unit: (score, scored)}) for every score of 1..all scored standards."""
    scored = [s for s in rulebook.standards if s.scored]
    tallies, judgements, expected = {}, [], {}
    for n in range(1, len(scored) + 1):
        for score in range(3 * n + 1):
            unit = f"n{n}-score{score}"
            expected[unit] = (score, n)
            ratings = dict(zip([s.id for s in scored[:n]], ratings_summing_to(score, n)))
            tallies[unit] = {}
            for std in rulebook.standards:
                rating = ratings.get(std.id)
                if std.rated_by == "judgement":
                    # unscored judgement standards are rated Outstanding: they must change nothing
                    given = rating or (OUT if not std.scored else NOT_INSPECTED)
                    judgements.append({"unit": unit, "standard": std.id, "rating": given})
                elif rating is not None:
                    tallies[unit].update({k.id: TALLY_FOR[rating] for k in std.key_questions})
    return tally_frame(tallies), pd.DataFrame(judgements), expected


@pytest.mark.parametrize("rulebook_id", OVERALL_RULEBOOKS)
def test_every_overall_score_for_every_number_of_scored_standards(rulebook_id):
    rulebook = load_rulebook(rulebook_id)
    tallies, judgements, expected = units_for_every_score(rulebook)
    units = list(expected)
    results = {u.unit: u for u in rate_tallies(tallies, rulebook, judgements_from_frame(judgements, rulebook),
                                                units=units)}
    assert sorted(results) == sorted(units)
    for unit, (score, n) in expected.items():
        o = results[unit].overall
        assert (o.status, o.score, o.scored, o.max_score) == ("rated", score, n, 3 * n), unit
        rating, rule = overall_band(rulebook_id, score, n)
        assert (o.rating, o.decision.rule) == (rating, rule), unit
        up, down = overall_margins(rulebook_id, score, n)
        assert (margin(o.decision.margin_up), margin(o.decision.margin_down)) == (up, down), unit
        assert o.decision.margin_unit == "points"


def test_the_mean_cuts_by_hand():
    """A few overall ratings of the PDU mean-score rule, written out: at a cut is the lower band."""
    by_hand = {(8, 8): RI, (4, 8): INAD, (5, 8): RI, (12, 8): RI, (13, 8): GOOD, (20, 8): GOOD, (21, 8): OUT,
               (2, 1): GOOD, (3, 1): OUT, (0, 1): INAD, (1, 1): RI, (4, 9): INAD, (5, 9): RI, (13, 9): RI,
               (14, 9): GOOD, (22, 9): GOOD, (23, 9): OUT}
    for (score, n), rating in by_hand.items():
        assert overall_band("probation-pdu-2021", score, n)[0] == rating, (score, n)
    assert overall_margins("probation-pdu-2021", 2, 1) == ((OUT, 1), (RI, 1))
    assert overall_margins("probation-pdu-2021", 8, 8) == ((GOOD, 5), (INAD, 4))  # the seed letter's margins
    assert overall_band("youth-justice-2018", 7, 12) == (RI, "youth-12-requires-improvement")


# ---------------------------------------------------------------------------------------------
# The public API refuses what the file readers refuse


def test_rate_tallies_refuses_a_standard_with_only_some_of_its_key_questions():
    rulebook = load_rulebook()
    frame = tally_frame({"Northtown": {"2.2.1": (5, 10), "2.2.3": (5, 10), "2.3.1": (5, 10), "2.3.2": (5, 10),
                                       "2.3.3": (5, 10)}})
    with pytest.raises(InputError, match=r"'Northtown'.*standard 2\.2 .*not 2\.2\.2; give all its key questions or none"):
        rate_tallies(frame, rulebook, None, allow_partial=True)


def test_scores_are_the_rulebook_scale():
    """Scores by hand: Outstanding 3, Good 2, Requires improvement 1, Inadequate 0."""
    rulebook = load_rulebook()
    tallies = tally_frame({"u": {f"2.{i}.{k}": TALLY_FOR[r] for i, r in zip(range(2, 6), (OUT, GOOD, RI, INAD))
                                 for k in (1, 2, 3)}})
    (unit,) = rate_tallies(tallies, rulebook, None, allow_partial=True)
    assert [(s.id, s.rating, s.score) for s in unit.standards if s.basis == "cases" and s.rated] == [
        ("2.2", OUT, 3), ("2.3", GOOD, 2), ("2.4", RI, 1), ("2.5", INAD, 0)]
    assert unit.overall.score == sum(SCORE[r] for r in (OUT, GOOD, RI, INAD)) == 6
