"""Change points of the band tables against brute force: for every bound, the count (or score)
at which its condition changes, worked out here with exact fractions over every count, not by
the bisection or the arithmetic the package uses."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine.engine.changepoints import band_change_points, overall_change_points
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
    # a bound no count crosses adds nothing
    assert band_change_points([SimpleNamespace(min=None, above=None, max=Decimal(100), below=None)], "exact", 7) == [0, 7]


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
