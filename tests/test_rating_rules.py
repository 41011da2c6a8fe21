"""The rating rules through the API: band boundaries, not-applicable answers, not-inspected
standards, the no-applicable-cases policy, missing judgements, and margins checked by brute force."""
import itertools

import pandas as pd
import pytest
from conftest import (
    ALL_GOOD_JUDGEMENTS,
    cases_from_counts,
    judgements_frame,
    standard_counts,
)

from ratings_engine import NOT_INSPECTED, rate
from ratings_engine.io.rulebooks import with_changes

OUT, GOOD, RI, INAD = "Outstanding", "Good", "Requires improvement", "Inadequate"
NEAREST = ["policies.rounding.value=nearest_whole_percent"]
TRUNCATE = ["policies.rounding.value=truncate_whole_percent"]


def one_key_question(sufficient: int, applicable: int, not_applicable: int = 0) -> pd.DataFrame:
    """Standard 2.2 whose 2.2.1 has the given tally and whose other key questions are 100%."""
    return cases_from_counts({"2.2.1": (sufficient, applicable - sufficient, not_applicable),
                              "2.2.2": (1, 0, 0), "2.2.3": (1, 0, 0)})


def rate_one_key_question(rulebook, sufficient, applicable, not_applicable=0):
    report = rate(one_key_question(sufficient, applicable, not_applicable), rulebook,
                  judgements=judgements_frame(ALL_GOOD_JUDGEMENTS))
    (unit,) = report.units
    return unit.standard("2.2"), unit.standard("2.2").key_questions[0]


# ---------------------------------------------------------------------------------------------
# Band boundaries

EXACT_BOUNDARIES = [
    # (sufficient, applicable, rating)  -- at each boundary and just below it
    (4, 5, OUT), (80, 100, OUT), (1, 1, OUT), (799, 1000, GOOD), (79, 100, GOOD), (3, 4, GOOD),
    (13, 20, GOOD), (65, 100, GOOD), (12, 20, RI), (649, 1000, RI), (129, 200, RI),
    (1, 2, RI), (50, 100, RI), (10, 20, RI), (49, 100, INAD), (999, 2000, INAD), (9, 20, INAD), (0, 1, INAD),
]


@pytest.mark.parametrize("sufficient,applicable,expected", EXACT_BOUNDARIES)
def test_band_boundaries_under_exact_rounding(pdu_rulebook, sufficient, applicable, expected):
    standard, kq = rate_one_key_question(pdu_rulebook, sufficient, applicable)
    assert kq.rating == expected
    assert standard.rating == expected and standard.deciding_key_question == "2.2.1"
    assert kq.decision.table == "key_question_bands"
    row = next(r for r in pdu_rulebook.key_question_bands.rows if r.id == kq.decision.rule)
    assert row.then == expected
    assert kq.decision.matched == (row.id,)  # the unique table matched exactly one row
    assert kq.pct == pytest.approx(100 * sufficient / applicable)


NEAREST_BOUNDARIES = [
    # 64.5% rounds to 65 (Good) under nearest_whole_percent, stays 64.5 (RI) under exact
    (129, 200, GOOD, RI), (1289, 2000, RI, RI), (159, 200, OUT, GOOD), (99, 200, RI, INAD),
    (13, 20, GOOD, GOOD), (12, 20, RI, RI), (4, 5, OUT, OUT), (49, 100, INAD, INAD), (1, 2, RI, RI),
]


@pytest.mark.parametrize("sufficient,applicable,nearest,exact", NEAREST_BOUNDARIES)
def test_band_boundaries_under_nearest_whole_percent(pdu_rulebook, sufficient, applicable, nearest, exact):
    rounded = with_changes(pdu_rulebook, NEAREST)
    _, kq_rounded = rate_one_key_question(rounded, sufficient, applicable)
    _, kq_exact = rate_one_key_question(pdu_rulebook, sufficient, applicable)
    assert (kq_rounded.rating, kq_exact.rating) == (nearest, exact)
    assert kq_rounded.decision.inputs["rounding"] == "nearest_whole_percent"


def test_rounding_is_explained_when_it_changes_the_compared_percentage(pdu_rulebook):
    _, kq = rate_one_key_question(with_changes(pdu_rulebook, NEAREST), 129, 200)
    assert kq.decision.inputs["pct"] == 64.5 and kq.decision.inputs["pct_compared"] == 65
    assert "129 of 200" in kq.decision.because and "compared as 65%" in kq.decision.because


def test_truncate_whole_percent_drops_the_fraction(pdu_rulebook):
    truncating = with_changes(pdu_rulebook, TRUNCATE)
    _, kq = rate_one_key_question(truncating, 1599, 2000)  # 79.95% -> 79 -> Good
    assert kq.rating == GOOD
    _, kq = rate_one_key_question(truncating, 4, 5)
    assert kq.rating == OUT


#: The shipped key-question band rows, by hand: the row each rating must come from.
KQ_ROW_BY_HAND = {OUT: "kq-outstanding", GOOD: "kq-good", RI: "kq-requires-improvement", INAD: "kq-inadequate"}


def test_band_decisions_name_the_row_that_gives_the_rating(pdu_rulebook):
    """Every boundary tally is decided by the row written here by hand, and by that row alone."""
    for s, a, expected in EXACT_BOUNDARIES:
        _, kq = rate_one_key_question(pdu_rulebook, s, a)
        assert (kq.decision.rule, kq.decision.matched, kq.rating) == (
            KQ_ROW_BY_HAND[expected], (KQ_ROW_BY_HAND[expected],), expected), (s, a)


# ---------------------------------------------------------------------------------------------
# Not applicable, not inspected, no applicable cases


def test_not_applicable_cases_leave_the_denominator(pdu_rulebook):
    standard, kq = rate_one_key_question(pdu_rulebook, 13, 20, not_applicable=30)
    assert (kq.sufficient, kq.insufficient, kq.not_applicable, kq.applicable) == (13, 7, 30, 20)
    assert kq.pct == 65.0 and kq.rating == GOOD  # 13/50 would be Inadequate
    assert "13 of 20 applicable cases sufficient (65.0%; 30 not applicable)" in kq.decision.because


def test_each_key_question_has_its_own_denominator(pdu_rulebook):
    frame = cases_from_counts({"2.2.1": (4, 1, 5), "2.2.2": (4, 6, 0), "2.2.3": (8, 2, 0)})
    (unit,) = rate(frame, pdu_rulebook, allow_partial=True).units
    kqs = {k.id: k for k in unit.standard("2.2").key_questions}
    assert [(kqs[k].applicable, kqs[k].rating) for k in ("2.2.1", "2.2.2", "2.2.3")] == [(5, OUT), (10, INAD), (10, OUT)]
    assert unit.standard("2.2").rating == INAD and unit.standard("2.2").deciding_key_question == "2.2.2"


def all_case_standards(**overrides) -> pd.DataFrame:
    counts = {}
    for sid in ("2.1", "2.2", "2.3", "2.4", "2.5"):
        counts |= standard_counts(sid, *overrides.get(sid.replace(".", "_"), (7, 3)))
    return cases_from_counts(counts)


def test_a_standard_without_columns_is_not_inspected_and_shrinks_the_maximum(pdu_rulebook):
    judgements = judgements_frame(ALL_GOOD_JUDGEMENTS)
    full = rate(all_case_standards(), pdu_rulebook, judgements=judgements).units[0]
    assert (full.overall.scored, full.overall.max_score) == (9, 27)
    frame = all_case_standards().drop(columns=["2.1.1", "2.1.2", "2.1.3"])
    (unit,) = rate(frame, pdu_rulebook, judgements=judgements).units
    court = unit.standard("2.1")
    assert court.rating == NOT_INSPECTED and court.score is None and court.key_questions == ()
    assert court.decision.table == "not_inspected"
    assert (unit.overall.scored, unit.overall.max_score) == (8, 24)
    assert unit.overall.score == full.overall.score - full.standard("2.1").score
    only_assessment = cases_from_counts(standard_counts("2.2", 7, 3))
    (unit,) = rate(only_assessment, pdu_rulebook, judgements=judgements).units
    assert [s.id for s in unit.standards if s.rating == NOT_INSPECTED] == ["2.1", "2.3", "2.4", "2.5"]
    assert (unit.overall.scored, unit.overall.max_score, unit.overall.score) == (5, 15, 4 * 2 + 2)


def test_a_key_question_with_no_applicable_cases_is_skipped_by_default(pdu_rulebook):
    assert pdu_rulebook.policies.no_applicable_cases.value == "skip_key_question"
    frame = cases_from_counts({"2.2.1": (0, 0, 5), "2.2.2": (4, 1, 0), "2.2.3": (3, 2, 0)})
    (unit,) = rate(frame, pdu_rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS)).units
    std = unit.standard("2.2")
    skipped = std.key_questions[0]
    assert skipped.rating is None and skipped.pct is None and skipped.decision.table == "no_applicable_cases"
    assert "no applicable cases" in skipped.decision.because
    assert std.rating == RI and std.deciding_key_question == "2.2.3"
    assert "not rated for want of applicable cases: 2.2.1" in std.decision.because
    assert (unit.overall.scored, unit.overall.max_score) == (5, 15)


def test_a_key_question_with_no_applicable_cases_can_leave_the_standard_not_rated(pdu_rulebook):
    rulebook = with_changes(pdu_rulebook, ["policies.no_applicable_cases.value=standard_not_rated"])
    frame = cases_from_counts({"2.2.1": (0, 0, 5), "2.2.2": (4, 1, 0), "2.2.3": (3, 2, 0)}
                              | standard_counts("2.3", 4, 1))
    (unit,) = rate(frame, rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS)).units
    std = unit.standard("2.2")
    assert std.rating == NOT_INSPECTED and std.score is None and std.decision.table == "no_applicable_cases"
    assert "standard_not_rated" in std.decision.because
    assert unit.standard("2.3").rating == OUT
    assert (unit.overall.scored, unit.overall.max_score, unit.overall.score) == (5, 15, 8 + 3)


def test_a_standard_whose_key_questions_all_have_no_applicable_cases_is_not_rated(pdu_rulebook):
    frame = cases_from_counts(standard_counts("2.2", 0, 0, 4) | standard_counts("2.3", 1, 0))
    (unit,) = rate(frame, pdu_rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS)).units
    assert unit.standard("2.2").rating == NOT_INSPECTED
    assert (unit.overall.scored, unit.overall.max_score) == (5, 15)


def test_minimum_applicable_counts_fewer_cases_as_none(pdu_rulebook):
    rulebook = with_changes(pdu_rulebook, ["policies.minimum_applicable.value=5"])
    frame = cases_from_counts({"2.2.1": (4, 0, 3), "2.2.2": (1, 4, 0), "2.2.3": (3, 2, 0)})
    (unit,) = rate(frame, rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS)).units
    kq = unit.standard("2.2").key_questions[0]
    assert kq.rating is None and "fewer than the minimum 5" in kq.decision.because
    assert unit.standard("2.2").rating == INAD
    (unit,) = rate(frame, pdu_rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS)).units
    assert unit.standard("2.2").key_questions[0].rating == OUT


def test_a_not_scored_standard_is_rated_but_leaves_the_score(pdu_rulebook):
    rulebook = with_changes(pdu_rulebook, ["framework[1].standards[2.1].scored=false"])
    (unit,) = rate(all_case_standards(), rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS)).units
    court = unit.standard("2.1")
    assert court.rating == GOOD and court.score is None and not court.scored
    assert (unit.overall.scored, unit.overall.max_score) == (8, 24)
    assert unit.overall.score == sum(s.score for s in unit.standards if s.scored)


# ---------------------------------------------------------------------------------------------
# Judgements


def test_missing_judgements_refuse_the_overall_rating(pdu_rulebook):
    frame = all_case_standards()
    (unit,) = rate(frame, pdu_rulebook).units
    assert unit.overall.rating is None and unit.overall.status == "incomplete"
    assert unit.overall.missing_judgements == ("1.1", "1.2", "1.3", "1.4")
    assert all(unit.standard(s).rating is None for s in ("1.1", "1.2", "1.3", "1.4"))
    some = judgements_frame({"1.1": GOOD, "1.3": OUT})
    report = rate(frame, pdu_rulebook, judgements=some)
    assert report.units[0].overall.rating is None
    assert report.units[0].overall.missing_judgements == ("1.2", "1.4")
    assert any("no overall rating" in w and "1.2, 1.4" in w for w in report.warnings)


def test_allow_partial_rates_the_rest_and_labels_it_partial(pdu_rulebook):
    frame = all_case_standards()
    some = judgements_frame({"1.1": OUT, "1.3": OUT})
    report = rate(frame, pdu_rulebook, judgements=some, allow_partial=True)
    (unit,) = report.units
    assert unit.overall.status == "partial" and unit.overall.rating is not None
    assert unit.overall.missing_judgements == ("1.2", "1.4")
    assert unit.overall.scored == 7 and unit.overall.max_score == 21
    assert unit.overall.score == 3 + 3 + 5 * unit.standard("2.2").score
    assert "PARTIAL" in unit.overall.decision.because
    assert any("PARTIAL" in w for w in report.warnings)


def test_an_explicit_not_inspected_judgement_drops_the_standard(pdu_rulebook):
    ratings = ALL_GOOD_JUDGEMENTS | {"1.4": "not inspected"}
    (unit,) = rate(all_case_standards(), pdu_rulebook, judgements=judgements_frame(ratings)).units
    assert unit.standard("1.4").rating == NOT_INSPECTED and unit.standard("1.4").score is None
    assert unit.overall.status == "rated" and unit.overall.missing_judgements == ()
    assert (unit.overall.scored, unit.overall.max_score) == (8, 24)


def test_judgement_ratings_and_reasons_are_used(pdu_rulebook):
    judgements = pd.DataFrame({"standard": ["1.1", "1.2", "1.3", "1.4"],
                               "rating": ["outstanding", "GOOD", "Requires Improvement", "inadequate"],
                               "reason": ["strong leaders", "", "", ""]})
    (unit,) = rate(all_case_standards(), pdu_rulebook, judgements=judgements).units
    assert [unit.standard(s).rating for s in ("1.1", "1.2", "1.3", "1.4")] == [OUT, GOOD, RI, INAD]
    assert unit.standard("1.1").reason == "strong leaders"
    assert "strong leaders" in unit.standard("1.1").decision.because
    assert unit.standard("1.1").decision.table == "judgement"


# ---------------------------------------------------------------------------------------------
# Margins, checked by brute force through the API


def kq_ratings_by_api(rulebook, counts: dict[str, tuple[int, int]]) -> dict[str, str]:
    """Rate many single-key-question variants in one call: unit name -> 2.2.1's rating."""
    frames = [one_key_question(s, a).assign(unit=name) for name, (s, a) in counts.items()]
    report = rate(pd.concat(frames, ignore_index=True), rulebook, allow_partial=True)
    return {u.unit: u.standard("2.2").key_questions[0].rating for u in report.units}


def brute_force_key_question_margins(rulebook, s: int, a: int):
    """(up, down): (band, fewest conversions) to reach another band, or None; found by rating."""
    variants = {f"s{t}": (t, a) for t in range(a + 1)}
    rating_at = kq_ratings_by_api(rulebook, variants)
    rank = rulebook.rank
    here = rank(rating_at[f"s{s}"])
    up = next(((rating_at[f"s{s + k}"], k) for k in range(1, a - s + 1) if rank(rating_at[f"s{s + k}"]) > here), None)
    down = next(((rating_at[f"s{s - k}"], k) for k in range(1, s + 1) if rank(rating_at[f"s{s - k}"]) < here), None)
    return up, down


def as_pair(margin):
    return None if margin is None else (margin.to, margin.amount)


@pytest.mark.parametrize("overrides", [[], NEAREST, ["key_question_bands.rows[kq-good].min=70",
                                                      "key_question_bands.rows[kq-requires-improvement].below=70"]],
                         ids=["shipped", "nearest", "good-from-70"])
@pytest.mark.parametrize("s,a", [(18, 44), (13, 20), (12, 20), (0, 7), (7, 7), (5, 9), (31, 40)])
def test_key_question_margins_are_the_fewest_conversions_that_change_the_band(pdu_rulebook, overrides, s, a):
    rulebook = with_changes(pdu_rulebook, overrides)
    _, kq = rate_one_key_question(rulebook, s, a)
    up, down = brute_force_key_question_margins(rulebook, s, a)
    assert as_pair(kq.decision.margin_up) == up
    assert as_pair(kq.decision.margin_down) == down


def test_standard_margins_are_the_fewest_conversions_over_all_its_key_questions(pdu_rulebook):
    tallies = {"2.2.1": (3, 4), "2.2.2": (5, 8), "2.2.3": (2, 4)}  # (sufficient, applicable)
    base = cases_from_counts({k: (s, a - s, 0) for k, (s, a) in tallies.items()})
    (unit,) = rate(base, pdu_rulebook, allow_partial=True).units
    standard = unit.standard("2.2")

    frames, moves = [], {}
    for shift in itertools.product(*[range(-s, a - s + 1) for s, a in tallies.values()]):
        name = "u" + "_".join(map(str, shift))
        moves[name] = shift
        counts = {k: (s + d, a - s - d, 0) for (k, (s, a)), d in zip(tallies.items(), shift)}
        frames.append(cases_from_counts(counts, unit=name))
    report = rate(pd.concat(frames, ignore_index=True), pdu_rulebook, allow_partial=True)
    here = pdu_rulebook.rank(standard.rating)
    ups = [(sum(moves[u.unit]), u.standard("2.2").rating) for u in report.units
           if all(d >= 0 for d in moves[u.unit]) and pdu_rulebook.rank(u.standard("2.2").rating) > here]
    downs = [(-sum(moves[u.unit]), u.standard("2.2").rating) for u in report.units
             if all(d <= 0 for d in moves[u.unit]) and pdu_rulebook.rank(u.standard("2.2").rating) < here]
    fewest_up = min(n for n, _ in ups)
    fewest_down = min(n for n, _ in downs)
    assert standard.decision.margin_up.amount == fewest_up
    assert standard.decision.margin_up.to in {r for n, r in ups if n == fewest_up}
    assert standard.decision.margin_down.amount == fewest_down
    assert standard.decision.margin_down.to in {r for n, r in downs if n == fewest_down}


def test_overall_margins_point_to_the_next_band(pdu_rulebook, example_cases):
    """Brute force: rate the example with every judgement total and find the nearest band changes."""
    cases = pd.read_csv(example_cases, dtype=str, keep_default_na=False)
    (base,) = rate(cases, pdu_rulebook, judgements=judgements_frame(
        {"1.1": RI, "1.2": GOOD, "1.3": RI, "1.4": GOOD})).units
    case_score = base.overall.score - 6
    ladder = [INAD, RI, GOOD, OUT]
    frames, judgements = [], []
    for total in range(0, 13):  # every judgement total 0..12, spread over the four standards
        name = f"total-{total:02d}"
        frames.append(cases.assign(unit=name))
        spread = [min(3, max(0, total - 3 * i)) for i in range(4)]
        judgements.append(judgements_frame({f"1.{i + 1}": ladder[p] for i, p in enumerate(spread)}, unit=name))
    report = rate(pd.concat(frames, ignore_index=True), pdu_rulebook, judgements=pd.concat(judgements))
    rating_at_score = {u.overall.score: u.overall.rating for u in report.units}
    assert set(rating_at_score) == set(range(case_score, case_score + 13))
    here = pdu_rulebook.rank(base.overall.rating)
    score = base.overall.score
    up = next((rating_at_score[t], t - score) for t in sorted(rating_at_score) if t > score
              and pdu_rulebook.rank(rating_at_score[t]) > here)
    down = next((rating_at_score[t], score - t) for t in sorted(rating_at_score, reverse=True) if t < score
                and pdu_rulebook.rank(rating_at_score[t]) < here)
    margin = base.overall.decision
    assert margin.margin_unit == "points"
    assert as_pair(margin.margin_up) == up
    assert as_pair(margin.margin_down) == down


def test_top_and_bottom_bands_have_no_margin_beyond_them(pdu_rulebook):
    _, top = rate_one_key_question(pdu_rulebook, 10, 10)
    _, bottom = rate_one_key_question(pdu_rulebook, 0, 10)
    assert top.decision.margin_up is None and as_pair(top.decision.margin_down) == (GOOD, 3)  # 7/10 = 70%
    assert bottom.decision.margin_down is None and as_pair(bottom.decision.margin_up) == (RI, 5)  # 5/10 = 50%
