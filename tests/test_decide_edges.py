"""Edges of engine.decide that the rating tests do not reach: the engine's number range, mean-score
bounds in hundredths, the rating ranks a count condition counts, and the seam hint that says how to
close a gap or an overlap between key-question band rows.

Every expected value is written here by hand (a table with the reason beside it) or computed by a
small brute-force check with exact fractions, never read from the code under test.
"""
from __future__ import annotations

import functools
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine import RulebookError, load_rulebook
from ratings_engine.engine import decide
from ratings_engine.engine.decide import (
    DecisionTableError,
    KeyQuestionInput,
    OverallInput,
    compile_rulebook,
    seam_hint,
)
from ratings_engine.io.rulebooks import rulebook_from_mapping, with_changes
from ratings_engine.model.rulebook import BandRow, OverallRow
from ratings_engine.toolkit.check import check_rulebook

INAD, RI, GOOD, OUT = "Inadequate", "Requires improvement", "Good", "Outstanding"


@functools.cache
def pdu():
    return load_rulebook("probation-pdu-2021")


def variant(label: str, *, kq_rows=None, bands=None, hit_policy=None):
    """probation-pdu-2021 with its key-question rows or overall table replaced, validated like a file."""
    data = pdu().model_dump(mode="json", by_alias=True, exclude_none=True)
    if kq_rows is not None:
        data["key_question_bands"]["rows"] = kq_rows
    if bands is not None:
        data["overall"]["bands"]["rows"] = bands
    if hit_policy is not None:
        data["overall"]["bands"]["hit_policy"] = hit_policy
    return rulebook_from_mapping(data, f"<{label}>")


# ---------------------------------------------------------------------------------------------
# The range of numbers compiled into conditions


def test_the_engine_number_range_is_symmetric_about_zero():
    # Documented as ±2**53 exclusive (decide.MAX_ENGINE_INT): the negative end is refused like the positive.
    assert decide._fits(-(2**53 - 1)) == -(2**53 - 1)
    with pytest.raises(RulebookError, match="beyond what the rule engine's numbers hold exactly"):
        decide._fits(-(2**53))
    row = OverallRow.model_construct(id="r", then=GOOD, scored=None, score_min=-(2**53), score_max=None,
                                     mean_min=None, mean_above=None, mean_max=None, mean_below=None, counts=())
    with pytest.raises(RulebookError):
        decide.aggregate_condition(row, {})  # a row built in code, past validation, is still refused


# ---------------------------------------------------------------------------------------------
# Mean-score bounds: exact in hundredths


#: A unique table using each of the four mean bounds, at values off the usual halves so that a
#: score one per cent off is seen: (row id, outcome, lower (key, value), upper (key, value)).
MEAN_TABLE = [
    ("m-inadequate", INAD, None, ("mean_max", "0.49")),
    ("m-requires-improvement", RI, ("mean_above", "0.49"), ("mean_below", "1.51")),
    ("m-good", GOOD, ("mean_min", "1.51"), ("mean_max", "2.55")),
    ("m-outstanding", OUT, ("mean_above", "2.55"), None),
]


def mean_oracle(score: int, n: int) -> str:
    mean = Fraction(score, n)
    holds = {"mean_min": mean.__ge__, "mean_above": mean.__gt__, "mean_max": mean.__le__, "mean_below": mean.__lt__}
    found = [rid for rid, _, low, high in MEAN_TABLE
             if all(holds[key](Fraction(value)) for key, value in (b for b in (low, high) if b))]
    assert len(found) == 1, (score, n, found)  # the table above has neither gaps nor overlaps
    return found[0]


@functools.cache
def mean_rulebook():
    rows = [{"id": rid, "then": then, **{key: float(value) for key, value in (b for b in (low, high) if b)}}
            for rid, then, low, high in MEAN_TABLE]
    return variant("mean table", bands=rows, hit_policy="unique")


def test_mean_bounds_decide_every_score_exactly_up_to_forty_standards():
    inputs = [OverallInput(score, n) for n in range(1, 41) for score in range(3 * n + 1)]
    outcomes = compile_rulebook(mean_rulebook()).overall(inputs)
    assert [o.rule for o in outcomes] == [mean_oracle(i.score, i.scored) for i in inputs]


@pytest.mark.parametrize("score, n, expected", [
    (23, 9, "m-outstanding"),  # mean 2.5556 > 2.55 (a score 1% lower, 22.77, would be Good)
    (22, 9, "m-good"),  # 2.4444: 1.51 <= mean <= 2.55
    (5, 10, "m-requires-improvement"),  # 0.5 > 0.49, < 1.51
    (49, 100, "m-inadequate"),  # exactly 0.49: mean_max includes it
    (151, 100, "m-good"),  # exactly 1.51: mean_min includes it, mean_below leaves it out
    (1, 2, "m-requires-improvement"),  # 0.5
])
def test_mean_bounds_by_hand(score, n, expected):
    (outcome,) = compile_rulebook(mean_rulebook()).overall([OverallInput(score, n)])
    assert outcome.rule == expected


# ---------------------------------------------------------------------------------------------
# Count conditions: which rating ranks they count (ranks: Inadequate 0 .. Outstanding 3)


COUNTED_RANKS = [
    ({"at_most": RI}, {0, 1}),
    ({"at_most": INAD}, {0}),
    ({"at_most": OUT}, {0, 1, 2, 3}),
    ({"at_least": GOOD}, {2, 3}),
    ({"at_least": OUT}, {3}),
    ({"at_least": INAD}, {0, 1, 2, 3}),
    ({"ratings": [RI, OUT]}, {1, 3}),
]


@pytest.mark.parametrize("condition, ranks", COUNTED_RANKS, ids=[str(c) for c, _ in COUNTED_RANKS])
def test_a_count_condition_counts_exactly_the_ranks_it_names(condition, ranks):
    rows = [{"id": "counted", "counts": [{**condition, "min": 9}], "then": OUT},
            {"id": "rest", "then": GOOD}]
    compiled = compile_rulebook(variant(f"count {condition}", bands=rows, hit_policy="first"))
    (feature,) = compiled.count_features
    assert feature.ranks == frozenset(ranks)


def test_check_rules_names_the_ratings_a_count_counts():
    # Two count rows and nothing else: a unit with no standard rated Requires improvement or lower
    # and fewer than 9 rated Good or higher matches no row, and check-rules says so in those words.
    rows = [{"id": "some-low", "counts": [{"at_most": RI, "min": 1}], "then": RI},
            {"id": "all-high", "counts": [{"at_least": GOOD, "min": 9}], "then": OUT}]
    report = check_rulebook(variant("count labels", bands=rows, hit_policy="first"))
    messages = [f.message for f in report.errors if f.kind == "missing_band"]
    assert messages
    assert all("standard(s) rated Inadequate or Requires improvement" in m for m in messages)
    assert all("standard(s) rated Good or Outstanding" in m for m in messages)


# ---------------------------------------------------------------------------------------------
# The seam hint: how to close a gap or an overlap between neighbouring key-question band rows

KQ_THEN = (INAD, RI, GOOD, OUT)  # b0 (lowest) .. b3


def band_row(row_id: str, then: str, **bounds) -> BandRow:
    return BandRow(id=row_id, then=then, **{k: Decimal(str(v)) for k, v in bounds.items()})


#: Two rows, "high" (a lower bound only) over "low" (an upper bound only): what is between them.
SEAMS = [
    ({"min": 65}, {"below": 65}, None),  # 65 is in high only: they meet
    ({"above": 65}, {"max": 65}, None),  # 65 is in low only: they meet
    ({"min": 65}, {"max": 65}, "an overlap"),  # 65 is in both
    ({"above": 65}, {"below": 65}, "a gap"),  # 65 is in neither
    ({"min": 66}, {"below": 65}, "a gap"),  # 65..66 in neither
    ({"min": 64}, {"below": 65}, "an overlap"),  # 64..65 in both
    ({"above": 65}, {"max": 66}, "an overlap"),  # 65..66 (not 65) in both
    ({"above": 66}, {"max": 65}, "a gap"),  # 65..66 (not 65) in neither
    ({"min": 65}, {"max": 64.99}, "a gap"),  # 64.995 in neither
    ({"above": 64.99}, {"below": 65}, "an overlap"),  # 64.995 in both
    ({"min": 65}, {"max": 64}, "a gap"),  # 64..65 (not 64) in neither
    ({"above": 65}, {"below": 66}, "an overlap"),  # 65..66 (not 65) in both
]


def seam_pairs(hint: str) -> list[tuple[str, str, str, str, str, str, str]]:
    """(high id, its bound key, value, low id, its bound key, value, what) for each seam the hint names."""
    return re.findall(r"rows (\S+) \((\w+) ([\d.]+)\) and (\S+) \((\w+) ([\d.]+)\) leave (a gap|an overlap)", hint)


def suggestions(hint: str) -> list[tuple[str, str]]:
    """The two `--set` suggestions of each seam the hint names."""
    return re.findall(r"e\.g\. also set (.*?) \(or (.*?)\)(?=; rows |$)", hint)


@pytest.mark.parametrize("high, low, what", SEAMS, ids=[f"{h}-{lo}" for h, lo, _ in SEAMS])
def test_the_seam_hint_tells_a_gap_from_an_overlap(high, low, what):
    rows = [band_row("high", GOOD, **high), band_row("low", RI, **low)]
    hint = seam_hint(rows)
    if what is None:
        assert hint == ""
        return
    ((hk, hv),), ((lk, lv),) = high.items(), low.items()
    assert seam_pairs(hint) == [("high", hk, str(hv), "low", lk, str(lv), what)]


def test_the_seam_hint_in_full_by_hand():
    rows = [band_row("top", OUT, min=80), band_row("mid", GOOD, min=66, below=80), band_row("bottom", RI, below=65)]
    assert seam_hint(rows) == ("rows mid (min 66) and bottom (below 65) leave a gap: move both bounds together, "
                               "e.g. also set key_question_bands.rows[bottom].below=66 "
                               "(or key_question_bands.rows[mid].min=65)")
    rows = [band_row("top", OUT, above=80), band_row("mid", GOOD, above=65, max=80), band_row("bottom", RI, max=66)]
    assert seam_hint(rows) == ("rows mid (above 65) and bottom (max 66) leave an overlap: move both bounds together, "
                               "e.g. also set key_question_bands.rows[bottom].max=65 "
                               "(or key_question_bands.rows[mid].above=66)")
    # bounds of kinds that never meet: the suggestion swaps the moved bound for the kind that does
    rows = [band_row("top", OUT, min=80), band_row("mid", GOOD, min=65, below=80), band_row("bottom", RI, max=64)]
    assert seam_hint(rows) == ("rows mid (min 65) and bottom (max 64) leave a gap: move both bounds together, "
                               "e.g. also set key_question_bands.rows[bottom].max=null; "
                               "key_question_bands.rows[bottom].below=65 (or key_question_bands.rows[mid].min=null; "
                               "key_question_bands.rows[mid].above=64)")


def test_a_band_gap_error_suggests_a_change_that_rates_the_percentage():
    # kq-requires-improvement ends at "max 64" under kq-good's "min 65": 64.5% (129 of 200) is in neither row.
    gappy = with_changes(pdu(), ["key_question_bands.rows[kq-requires-improvement].below=null",
                                 "key_question_bands.rows[kq-requires-improvement].max=64"])
    with pytest.raises(DecisionTableError) as caught:
        compile_rulebook(gappy).band([KeyQuestionInput(129, 200)])
    ((first, second),) = suggestions(str(caught.value).split("(a gap in the table); ", 1)[1])
    assert first == ("key_question_bands.rows[kq-requires-improvement].max=null; "
                     "key_question_bands.rows[kq-requires-improvement].below=65")
    assert second == "key_question_bands.rows[kq-good].min=null; key_question_bands.rows[kq-good].above=64"
    for change, expected in ((first, RI), (second, GOOD)):  # 64.5 < 65: Requires improvement; 64.5 > 64: Good
        (outcome,) = compile_rulebook(with_changes(gappy, [change])).band([KeyQuestionInput(129, 200)])
        assert outcome.row.then == expected


CUTS = (30, 55, 80)  # the seams of a four-row ladder b0 < b1 < b2 < b3, far enough apart not to interact
NUDGES = (Decimal("-0.5"), Decimal("-0.01"), Decimal(0), Decimal("0.01"), Decimal("0.5"))


@st.composite
def ladders(draw):
    """Four band rows whose seams meet, leave a gap or overlap, with any kind of bound on either side."""
    rows = [{"id": f"b{i}", "then": then} for i, then in enumerate(KQ_THEN)]
    for i, cut in enumerate(CUTS):
        rows[i][draw(st.sampled_from(["below", "max"]))] = cut + draw(st.sampled_from(NUDGES))
        rows[i + 1][draw(st.sampled_from(["min", "above"]))] = cut + draw(st.sampled_from(NUDGES))
    return draw(st.permutations(rows))


def holds(row: dict, pct: Fraction) -> bool:
    tests = {"min": pct.__ge__, "above": pct.__gt__, "max": pct.__le__, "below": pct.__lt__}
    return all(test(Fraction(row[key])) for key, test in tests.items() if key in row)


def seams_by_brute_force(rows: list[dict]) -> set[tuple[str, str, str]]:
    """(high id, low id, what) for each seam that does not meet, found by trying every half-hundredth near it."""
    by_id = {r["id"]: r for r in rows}
    found = set()
    for i, cut in enumerate(CUTS):
        low, high = by_id[f"b{i}"], by_id[f"b{i + 1}"]
        near = [Fraction(cut - 1) + Fraction(k, 200) for k in range(401)]
        if any(not holds(low, p) and not holds(high, p) for p in near):
            found.add((high["id"], low["id"], "a gap"))
        if any(holds(low, p) and holds(high, p) for p in near):
            found.add((high["id"], low["id"], "an overlap"))
    return found


def kq_rulebook(rows: list[dict]):
    return variant("ladder", kq_rows=[{k: (float(v) if isinstance(v, Decimal) else v) for k, v in r.items()}
                                      for r in rows])


@settings(max_examples=40, deadline=None)
@given(ladders())
def test_the_seam_hint_names_every_seam_that_does_not_meet_and_only_those(rows):
    hint = seam_hint([BandRow(**row) for row in rows])
    assert {(h, lo, what) for h, _, _, lo, _, _, what in seam_pairs(hint)} == seams_by_brute_force(rows)



@settings(max_examples=40, deadline=None)
@given(ladders())
def test_either_suggested_change_closes_its_seam(rows):
    """What the hint tells the user to `--set` is valid and makes the two rows meet (nothing else changes)."""
    rulebook = kq_rulebook(rows)
    hint = seam_hint(rulebook.key_question_bands.rows)
    pairs = seam_pairs(hint)
    assert len(suggestions(hint)) == len(pairs)
    for (high, _, _, low, _, _, _), options in zip(pairs, suggestions(hint)):
        for change in options:
            changed = with_changes(rulebook, [change])
            left = {(h, lo) for h, _, _, lo, _, _, _ in seam_pairs(seam_hint(changed.key_question_bands.rows))}
            assert (high, low) not in left, change
            assert left == {(h, lo) for h, _, _, lo, _, _, _ in pairs} - {(high, low)}, change


def test_the_seam_hint_starts_from_one_row_unbounded_below():
    """Two rows without a lower bound: the chain starts from the first of them only (the seam
    between 'low' below 50% and 'top' from 65% is a gap of 50-65%)."""
    from types import SimpleNamespace

    from ratings_engine.engine.decide import seam_hint

    def row(rid, **bounds):
        return SimpleNamespace(id=rid, **{k: (Decimal(bounds[k]) if k in bounds else None)
                                          for k in ("min", "above", "max", "below")})

    rows = [row("low", below=50), row("mid", below=65), row("top", min=65)]
    assert seam_hint(rows) == ("rows top (min 65) and low (below 50) leave a gap: move both bounds together, e.g. "
                               "also set key_question_bands.rows[low].below=65 (or key_question_bands.rows[top].min=50)")
