"""Change points of the band tables against brute force: for every bound, the count (or score)
at which its condition changes, worked out here with exact fractions over every count, not by
the bisection or the arithmetic the package uses."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine.engine.changepoints import band_change_points, overall_change_points, piece_index, piece_indexes
from tests.oracles import compared_percentage

ROUNDINGS = ("exact", "nearest_whole_percent", "truncate_whole_percent")
HOLDS = {
    "min": lambda v, b: v >= b, "above": lambda v, b: v > b, "max": lambda v, b: v <= b, "below": lambda v, b: v < b,
}


def _first_change(condition, top: int) -> int | None:
    """The least position 0..top where `condition` differs from position 0 (None: nowhere)."""
    at_zero = condition(0)
    return next((p for p in range(top + 1) if condition(p) != at_zero), None)


def _boundary(condition, top: int) -> int | None:
    """The least score 0..top+1 at which `condition` differs from the score below it (scores are
    compared as numbers, so the score below 0 is -1); beyond top+1 its neighbours are out of range."""
    return next((x for x in range(top + 2) if condition(x) != condition(x - 1)), None)


def _with_neighbours(points: set[int], flips, top: int) -> list[int]:
    for f in flips:
        if f is not None:
            points |= {p for p in (f - 1, f, f + 1) if 0 <= p <= top}
    return sorted(points)


bounds = st.integers(0, 10000).map(lambda h: Decimal(h) / 100)
band_rows = st.lists(st.fixed_dictionaries({}, optional={k: bounds for k in HOLDS}), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(rows=band_rows, a=st.one_of(st.integers(1, 40), st.integers(41, 3000)), rounding=st.sampled_from(ROUNDINGS))
def test_band_change_points_are_every_bounds_first_change_with_its_neighbours(rows, a, rounding):
    objects = [SimpleNamespace(**{k: row.get(k) for k in HOLDS}) for row in rows]
    flips = [
        _first_change(lambda s, key=key, b=Fraction(row[key]): HOLDS[key](compared_percentage(s, a, rounding), b), a)
        for row in rows for key in HOLDS if key in row
    ]
    assert band_change_points(objects, rounding, a) == _with_neighbours({0, a}, flips, a)


def test_band_change_points_by_hand():
    # 65 <= pct < 80 on 20 cases, exact: 13/20 = 65% is the first count at or above 65%,
    # 16/20 = 80% the first not below 80%.
    row = SimpleNamespace(min=Decimal(65), above=None, max=None, below=Decimal(80))
    assert band_change_points([row], "exact", 20) == [0, 12, 13, 14, 15, 16, 17, 20]
    # rounded half up: 64.5% counts as 65%; on 200 cases 129/200 = 64.5%
    assert band_change_points([SimpleNamespace(min=Decimal(65), above=None, max=None, below=None)],
                              "nearest_whole_percent", 200) == [0, 128, 129, 130, 200]
    # truncated: 64.9% is 64%: the first count at 65% is 130/200
    assert band_change_points([SimpleNamespace(min=Decimal(65), above=None, max=None, below=None)],
                              "truncate_whole_percent", 200) == [0, 129, 130, 131, 200]
    # a bound no count crosses adds nothing: at most 100%, at least 0%
    assert band_change_points([SimpleNamespace(min=None, above=None, max=Decimal(100), below=None)], "exact", 7) == [0, 7]
    assert band_change_points([SimpleNamespace(min=Decimal(0), above=None, max=None, below=None)], "exact", 7) == [0, 7]
    # at least 100% first holds at the last count: its neighbour above is beyond the sample
    assert band_change_points([SimpleNamespace(min=Decimal(100), above=None, max=None, below=None)], "exact", 7) == [
        0, 6, 7]


mean_keys = ("mean_min", "mean_above", "mean_max", "mean_below")
MEAN_HOLDS = {"mean_min": HOLDS["min"], "mean_above": HOLDS["above"], "mean_max": HOLDS["max"],
              "mean_below": HOLDS["below"]}
overall_rows = st.lists(st.fixed_dictionaries({}, optional={
    "score_min": st.integers(0, 40), "score_max": st.integers(0, 40),
    **{k: st.integers(0, 300).map(lambda h: Decimal(h) / 100) for k in mean_keys}}), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None)
@given(rows=overall_rows, scored=st.integers(1, 12))
def test_overall_change_points_are_every_conditions_first_change_with_its_neighbours(rows, scored):
    top = 3 * scored
    objects = [SimpleNamespace(**{k: row.get(k) for k in ("score_min", "score_max", *mean_keys)}) for row in rows]
    flips = []
    for row in rows:
        if "score_min" in row:
            flips.append(_boundary(lambda x, b=row["score_min"]: x >= b, top))
        if "score_max" in row:
            flips.append(_boundary(lambda x, b=row["score_max"]: x <= b, top))
        for key in mean_keys:
            if key in row:
                flips.append(_boundary(lambda x, key=key, b=Fraction(row[key]): MEAN_HOLDS[key](Fraction(x, scored), b),
                                       top))
    assert overall_change_points(objects, scored, top) == _with_neighbours({0, top}, flips, top)


def test_overall_change_points_by_hand():
    # 8 scored standards: a mean of at most 1.5 is a score of at most 12, so 13 is the first above
    row = SimpleNamespace(score_min=None, score_max=None, mean_min=None, mean_above=None, mean_max=Decimal("1.5"),
                          mean_below=None)
    assert overall_change_points([row], 8, 24) == [0, 12, 13, 14, 24]
    # a score of at least 20; a mean above 2.5 (score 21 and up, 20/8 = 2.5 is not above)
    row = SimpleNamespace(score_min=20, score_max=None, mean_min=None, mean_above=Decimal("2.5"), mean_max=None,
                          mean_below=None)
    assert overall_change_points([row], 8, 24) == [0, 19, 20, 21, 22, 24]
    # a score of at least 0 and at most 24 (the top): nothing but the ends
    row = SimpleNamespace(score_min=0, score_max=24, mean_min=None, mean_above=None, mean_max=None, mean_below=None)
    assert overall_change_points([row], 8, 24) == [0, 1, 24]  # score_max 24: first fails at 25


# ---------------------------------------------------------------------------------------------
# The symbolic profile: pieces of 0-100%, monotonicity, the bounded memo

from ratings_engine.engine import changepoints  # noqa: E402
from tests.oracles import LADDER  # noqa: E402


def _row(then, **bounds):
    return SimpleNamespace(id=then, then=then, **{k: (Decimal(bounds[k]) if k in bounds else None) for k in HOLDS})


def _rulebook(rows, rounding="exact"):
    return SimpleNamespace(key_question_bands=SimpleNamespace(rows=rows), rank=LADDER.index,
                           policies=SimpleNamespace(rounding=SimpleNamespace(value=rounding)))


PUBLISHED = [_row("Outstanding", min=80), _row("Good", min=65, below=80), _row("Requires improvement", min=50, below=65),
             _row("Inadequate", below=50)]


def test_band_pieces_are_the_cuts_and_the_open_intervals_between_them():
    F = Fraction
    expected = [(0, 0), (0, 50), (50, 50), (50, 65), (65, 65), (65, 80), (80, 80), (80, 100), (100, 100)]
    assert [(p.lo, p.hi) for p in changepoints.band_pieces(PUBLISHED, "exact")] == [(F(a), F(b)) for a, b in expected]
    assert [p.representative for p in changepoints.band_pieces(PUBLISHED, "exact")][:4] == [0, 25, 50, F(115, 2)]
    whole = changepoints.band_pieces(PUBLISHED, "nearest_whole_percent")
    assert [(p.lo, p.hi) for p in whole] == [(F(k), F(k)) for k in range(101)]
    cuts = [F(c) for c in (0, 50, 65, 80, 100)]
    assert [changepoints.piece_index(cuts, F(v)) for v in (0, 10, 50, F(6499, 100), 65, 100)] == [0, 1, 2, 3, 4, 8]


def _first(rows):
    return rows[0]


def test_the_published_table_is_monotone_with_one_row_per_piece():
    profile = changepoints._profile(_rulebook(PUBLISHED), _first)
    assert [r.then for r in profile.chosen] == ["Inadequate", "Inadequate", "Requires improvement", "Requires improvement",
                                                 "Good", "Good", "Outstanding", "Outstanding", "Outstanding"]
    assert profile.monotone  # equal neighbours are allowed
    whole = changepoints._profile(_rulebook(PUBLISHED, "truncate_whole_percent"), _first)
    assert whole.monotone and [whole.chosen[k].then for k in (49, 50, 64, 65, 79, 80)] == [
        "Inadequate", "Requires improvement", "Requires improvement", "Good", "Good", "Outstanding"]


def test_a_dip_between_two_neighbouring_pieces_is_not_monotone():
    # exactly 65% is Outstanding, just above 65% only Good: a fall between neighbours, although
    # every piece is no lower than the piece two before it
    rows = [_row("Inadequate", below=50), _row("Requires improvement", min=50, below=65),
            _row("Outstanding", min=65, max=65), _row("Good", above=65, below=80), _row("Outstanding", min=80)]
    profile = changepoints._profile(_rulebook(rows), _first)
    assert [LADDER.index(r.then) for r in profile.chosen] == [0, 0, 1, 1, 3, 2, 3, 3, 3]
    assert not profile.monotone
    gap = changepoints._profile(_rulebook(PUBLISHED[:3]), _first)  # below 50% no row: a gap
    assert gap.chosen[0] is None and not gap.monotone


def test_the_profile_memo_holds_at_most_256_profiles():
    from ratings_engine.engine.decide import compile_rulebook
    from ratings_engine.io.rulebooks import load_rulebook, with_changes

    compiled = [compile_rulebook(with_changes(load_rulebook("probation-pdu-2021"), [f"version={v}"])) for v in ("m1", "m2")]
    saved = dict(changepoints._profiles)
    try:
        changepoints._profiles.clear()
        changepoints._profiles.update({f"filler-{i}": None for i in range(255)})
        changepoints.band_profile(compiled[0])
        assert len(changepoints._profiles) == 256  # the 256th is kept
        changepoints.band_profile(compiled[1])
        assert len(changepoints._profiles) == 1  # a 257th empties the memo first
    finally:
        changepoints._profiles.clear()
        changepoints._profiles.update(saved)


@settings(max_examples=100, deadline=None)
@given(bounds=st.sets(bounds, max_size=6), pairs=st.lists(st.integers(1, 5000).flatmap(
    lambda a: st.tuples(st.integers(0, a), st.just(a))), min_size=1, max_size=40))
def test_piece_indexes_in_arrays_equal_piece_index_of_each_exact_fraction(bounds, pairs):
    cuts = sorted({Fraction(0), Fraction(100)} | {Fraction(b) for b in bounds})
    s = np.array([p[0] for p in pairs], dtype=np.int64)
    a = np.array([p[1] for p in pairs], dtype=np.int64)
    expected = [piece_index(cuts, Fraction(100 * x, y)) for x, y in pairs]
    assert piece_indexes(cuts, s, a).tolist() == expected
