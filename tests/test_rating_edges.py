"""The rating layer's edges, with expected values worked out by hand: the bulk frames (the lowest
rating, units left unrated, the unit column first), the partial-rating default, the comparison
of two bulk results, and the words of explanations (rounding shown only when it changed the
percentage; count bounds)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ratings_engine.engine.bulk import MISSING, NOT_RATED, BulkRatings
from ratings_engine.io.rulebooks import load_rulebook, rulebook_from_mapping, with_changes
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


# ---------------------------------------------------------------------------------------------
# Mixed standards (youth justice 2025's V1: V1.1 from victim cases, V1.2 by judgement): margins by
# brute force over every count of the case key question, with the rule "lowest of its key questions"

YOUTH = load_rulebook("youth-justice-2025").rulebook
LADDER = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
TALLY = ["unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable"]


def band(s: int, a: int) -> str:  # the youth rulebook's key-question bands, written by hand
    return "Outstanding" if 100 * s >= 80 * a else "Good" if 100 * s >= 65 * a else \
        "Requires improvement" if 100 * s >= 50 * a else "Inadequate"


def mixed_by_hand(s: int, a: int, judged: list[str]):
    """(rating, up, down) of a mixed standard of one case key question (s of a) and judgements
    (Not inspected ones left out); up/down as (rating reached, fewest cases turned)."""
    rated = [j for j in judged if j in LADDER]

    def at(t):
        return min([band(t, a), *rated], key=LADDER.index)

    here = at(s)
    up = next(((at(s + k), k) for k in range(1, a - s + 1) if LADDER.index(at(s + k)) > LADDER.index(here)), None)
    down = next(((at(s - k), k) for k in range(1, s + 1) if LADDER.index(at(s - k)) < LADDER.index(here)), None)
    return here, up, down


def mixed_units(rulebook, judged_ids, combos):
    """One unit per (s, a, judgements): V1.1's tally and the judgements of `judged_ids`."""
    rows, items = [], []
    for n, (s, a, js) in enumerate(combos):
        rows.append((f"u{n}", "V1.1", s, a - s, 0, a))
        items += [Judgement(f"u{n}", kq, j, None, "j.csv", 2) for kq, j in zip(judged_ids, js)]
    units = rate_tallies(pd.DataFrame(rows, columns=TALLY), rulebook, Judgements(tuple(items), "j.csv", None,
                                                                                 Audit("j.csv")),
                         units=[f"u{n}" for n in range(len(combos))])
    return [u.standard("V1") for u in units]


def margin_pair(m):
    return None if m is None else (m.to, m.amount)


def test_mixed_standard_margins_equal_brute_force():
    combos = [(s, a, (j,)) for a in range(1, 13) for s in range(a + 1) for j in [*LADDER, "Not inspected"]]
    for (s, a, js), v1 in zip(combos, mixed_units(YOUTH, ["V1.2"], combos)):
        here, up, down = mixed_by_hand(s, a, list(js))
        got = (v1.rating, margin_pair(v1.decision.margin_up), margin_pair(v1.decision.margin_down))
        assert got == (here, up, down), (s, a, js)


def test_a_mixed_standards_margin_down_names_the_band_a_small_sample_lands_in():
    # 4 of 5 victim cases (80%, Outstanding) and V1.2 judged Outstanding: V1 is Outstanding. One
    # case fewer is 3 of 5 (60%): Requires improvement, skipping Good.
    (v1,) = mixed_units(YOUTH, ["V1.2"], [(4, 5, ("Outstanding",))])
    assert v1.rating == "Outstanding"
    assert margin_pair(v1.decision.margin_down) == ("Requires improvement", 1)


def two_judgements():
    """V1 with a second judgement key question, V1.3."""
    data = YOUTH.model_dump(mode="json", by_alias=True, exclude_none=True)
    (v1,) = [s for d in data["framework"] for s in d["standards"] if s["id"] == "V1"]
    v1["key_questions"].append({"id": "V1.3", "text": "A second organisational question", "basis": "judgement"})
    return rulebook_from_mapping(data, "<test>")


def test_a_mixed_standards_margin_up_is_capped_at_its_lowest_judgement():
    combos = [(s, a, (j2, j3)) for a in range(1, 7) for s in range(a + 1) for j2 in LADDER for j3 in LADDER]
    for (s, a, js), v1 in zip(combos, mixed_units(two_judgements(), ["V1.2", "V1.3"], combos)):
        here, up, down = mixed_by_hand(s, a, list(js))
        got = (v1.rating, margin_pair(v1.decision.margin_up), margin_pair(v1.decision.margin_down))
        assert got == (here, up, down), (s, a, js)
    # By hand: 1 of 2 (50%, RI), judged Good and Outstanding: one more case gives 2 of 2
    # (Outstanding), but the standard rises only to its lowest judgement, Good.
    (v1,) = mixed_units(two_judgements(), ["V1.2", "V1.3"], [(1, 2, ("Good", "Outstanding"))])
    assert margin_pair(v1.decision.margin_up) == ("Good", 1)


@pytest.mark.parametrize("judgement", [None, "Not inspected", "Good"])
def test_a_judged_key_question_has_no_tally(judgement):
    combos = [(3, 4, () if judgement is None else (judgement,))]
    (v1,) = mixed_units(YOUTH, ["V1.2"], combos)
    judged = v1.key_questions[1].to_dict()
    assert judged["id"] == "V1.2" and judged["basis"] == "judgement" and judged["rating"] == (
        None if judgement in (None, "Not inspected") else judgement)
    assert [judged[k] for k in ("sufficient", "insufficient", "not_applicable", "applicable", "pct")] == [0, 0, 0, 0, None]
