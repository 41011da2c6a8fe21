"""Where a decision can change: change points of the band tables, and whether a table is monotone.

Margins ("how many cases would lift this key question a band") need the rating at other
sufficient counts of the same sample size. Asking the rules about every count 0..a costs a
decision per count; this module says which counts are worth asking about.

* **Key-question bands.** A band row's bounds (min / above / max / below) are an interval on the
  compared percentage, and the compared percentage (exact, or a whole percent rounded half up
  or truncated) never falls as the sufficient count grows with the sample size fixed. So, for a
  sample size `a`, each row matches an interval of sufficient counts, the rows matched (hence
  the decision, whatever the hit policy) are constant between the ends of those intervals, and
  `band_change_points` lists those ends (with their neighbours) for every row bound.
* **Overall bands and limits.** With the number of scored standards and the rating counts
  fixed, every condition of a row (`scored`, `score_min/max`, `mean_*`, `counts`) is an
  interval of scores, so `overall_change_points` lists the score bounds and mean thresholds.
* **Monotone tables.** `band_profile` cuts 0-100% into elementary pieces (points and open
  intervals between the row bounds, exact fractions; or the whole percentages under a rounding
  policy) on each of which every row matches or not, and applies the table's hit policy to each
  piece. A table whose every piece has a row and whose ratings never fall from one piece to the
  next is proven monotone: its rating never falls as the sufficient count grows, so boundaries
  can be found by bisection through the rules. `toolkit.check_bands` reports on the same pieces.

Nothing here decides a rating: the change points are candidates, and every rating at them is
decided through the compiled rulebook (durable_rules) by `rating.margins`.
"""
from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .decide import CompiledRulebook, percentage_fact

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import BandRow, Rulebook, _AggregateConditions

#: The bounds a band row may have: at least, above, at most, below.
_BOUND_KEYS = ("min", "above", "max", "below")


def band_row_matches(row: BandRow, pct: Fraction) -> bool:
    """Whether a band row's bounds admit a compared percentage (exact)."""
    return ((row.min is None or pct >= Fraction(row.min)) and (row.above is None or pct > Fraction(row.above))
            and (row.max is None or pct <= Fraction(row.max)) and (row.below is None or pct < Fraction(row.below)))


def compared_fraction(sufficient: int, applicable: int, rounding: str) -> Fraction:
    """The percentage the engine compares with band bounds, as an exact fraction."""
    fact = percentage_fact(sufficient, applicable, rounding)
    return Fraction(fact["x"], 100 * fact["d"])


def _bound_holds(key: str, x: int, y: int) -> bool:
    """A bound's condition on the compared percentage x / (100 d), with y = d * (100 * bound)."""
    if key == "min":
        return x >= y
    if key == "above":
        return x > y
    if key == "max":
        return x <= y
    return x < y


def _flip(key: str, hundredths: int, a: int, rounding: str) -> int | None:
    """The least sufficient count in 0..a at which one bound's condition differs from at 0 (None: never)."""
    def holds(s: int) -> bool:
        fact = percentage_fact(s, a, rounding)
        return _bound_holds(key, fact["x"], fact["d"] * hundredths)

    at_zero = holds(0)
    if holds(a) == at_zero:
        return None
    lo, hi = 0, a  # holds(lo) == at_zero != holds(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid) == at_zero:
            lo = mid
        else:
            hi = mid
    return hi


def band_change_points(rows: Sequence[BandRow], rounding: str, a: int) -> list[int]:
    """Sufficient counts 0..a where the rows a count matches can differ from the count below.

    0 and, for every row bound, the least count on its other side, with its neighbours (so a
    boundary is always found as two adjacent candidates). Between two consecutive candidates
    every row matches all counts or none.
    """
    points = {0, a}
    for row in rows:
        for key in _BOUND_KEYS:
            bound = getattr(row, key)
            if bound is None:
                continue
            flip = _flip(key, int(bound * 100), a, rounding)
            if flip is not None:  # 1 <= flip <= a, so only flip + 1 can leave 0..a
                points.update((flip - 1, flip, min(flip + 1, a)))
    return sorted(points)


def _ceil_div(n: int, d: int) -> int:
    return -(-n // d)


def overall_change_points(rows: Sequence[_AggregateConditions], scored: int, top: int) -> list[int]:
    """Scores 0..top where the overall rows (bands and limits) a score matches can change, for a
    fixed number of scored standards and fixed rating counts."""
    points = {0, top}

    def add(flip: int) -> None:  # a bound may lie outside 0..top: its neighbours are clamped into it
        points.update(min(max(p, 0), top) for p in (flip - 1, flip, flip + 1))

    for row in rows:
        if row.score_min is not None:
            add(row.score_min)
        if row.score_max is not None:
            add(row.score_max + 1)
        for key in ("mean_min", "mean_above", "mean_max", "mean_below"):
            bound: Decimal | None = getattr(row, key)
            if bound is None:
                continue
            # score / scored  op  bound   <=>   100 * score  op  scored * (100 * bound)
            threshold = scored * int(bound * 100)
            if key in ("mean_min", "mean_below"):
                add(_ceil_div(threshold, 100))
            else:
                add(threshold // 100 + 1)
    return sorted(points)


# ---------------------------------------------------------------------------------------------
# The symbolic profile of the key-question band table


@dataclass(frozen=True)
class Piece:
    """An elementary piece of 0-100%: a point, or an open interval between two cuts."""

    lo: Fraction
    hi: Fraction

    @property
    def point(self) -> bool:
        return self.lo == self.hi

    @property
    def representative(self) -> Fraction:
        return self.lo if self.point else (self.lo + self.hi) / 2


@dataclass(frozen=True)
class BandProfile:
    """The band table over 0-100%: per piece, the rows that match and the row the hit policy picks."""

    pieces: tuple[Piece, ...]
    matched: tuple[tuple[BandRow, ...], ...]
    chosen: tuple[BandRow | None, ...]  # None: a gap, or an overlap under 'unique'
    monotone: bool  # every piece has a row, and ratings never fall from one piece to the next


def band_pieces(rows: Sequence[BandRow], rounding: str) -> list[Piece]:
    """The elementary pieces of 0-100% for a band table under a rounding policy."""
    if rounding != "exact":
        return [Piece(Fraction(k), Fraction(k)) for k in range(101)]
    cuts = sorted({Fraction(0), Fraction(100)}
                  | {Fraction(b) for r in rows for b in (r.min, r.above, r.max, r.below) if b is not None})
    pieces = []
    for i, cut in enumerate(cuts):
        pieces.append(Piece(cut, cut))
        if i + 1 < len(cuts):
            pieces.append(Piece(cut, cuts[i + 1]))
    return pieces


def piece_index(cuts: Sequence[Fraction], value: Fraction) -> int:
    """The piece (of `band_pieces`, exact rounding) holding `value` (0-100%, so never beyond the
    last cut, 100): 2i for the point cuts[i], 2i + 1 for the open interval after it."""
    i = bisect_left(cuts, value)
    return 2 * i if cuts[i] == value else 2 * i - 1


def piece_indexes(cuts: Sequence[Fraction], sufficient: np.ndarray, applicable: np.ndarray) -> np.ndarray:
    """`piece_index` of each exact percentage 100 s / a, in arrays and integer arithmetic: a cut of h
    hundredths lies below s / a when h a < 10000 s (every bound, hence every cut, has at most two decimals)."""
    value = 10000 * sufficient
    below = np.zeros(len(value), dtype=np.int64)  # cuts below the value: its bisect_left position
    at_cut = np.zeros(len(value), dtype=bool)
    for cut in cuts:
        threshold = int(cut * 100) * applicable
        below += threshold < value
        at_cut |= threshold == value
    return np.where(at_cut, 2 * below, 2 * below - 1)


def matched_pieces(rows: Sequence[BandRow], pieces: Sequence[Piece], exact: bool) -> tuple[tuple, ...]:
    """The rows (in table order) admitting each piece. Under exact rounding every bound is a cut, so a
    row admits one contiguous run of pieces, found by bisection: time linear in the rows plus the answer,
    not rows x pieces (check-rules on a 490-row table). Otherwise (101 whole percentages) each row is
    tested on each point."""
    cuts = [p.lo for p in pieces if p.point] if exact else None
    found: list[list] = [[] for _ in pieces]
    for row in rows:
        lo, hi = 0, len(pieces) - 1
        if cuts is not None:
            if row.min is not None or row.above is not None:
                lo = 2 * bisect_left(cuts, Fraction(row.min if row.min is not None else row.above)) + (row.min is None)
            if row.max is not None or row.below is not None:
                hi = 2 * bisect_left(cuts, Fraction(row.max if row.max is not None else row.below)) - (row.max is None)
        for i in range(lo, hi + 1):
            if cuts is not None or band_row_matches(row, pieces[i].representative):
                found[i].append(row)
    return tuple(tuple(m) for m in found)


def _profile(rb: Rulebook, choose) -> BandProfile:
    rows = rb.key_question_bands.rows
    pieces = band_pieces(rows, rb.policies.rounding.value)
    matched = matched_pieces(rows, pieces, rb.policies.rounding.value == "exact")
    chosen = tuple(choose(m) if m else None for m in matched)
    ranks = [None if row is None else rb.rank(row.then) for row in chosen]
    monotone = all(r is not None for r in ranks) and all(x <= y for x, y in zip(ranks, ranks[1:]))
    return BandProfile(tuple(pieces), matched, chosen, monotone)


_profiles: dict[str, BandProfile] = {}


def band_profile(compiled: CompiledRulebook) -> BandProfile:
    """The symbolic profile of a compiled rulebook's key-question band table (memoised per content)."""
    rb = compiled.rulebook
    profile = _profiles.get(rb.sha256)
    if profile is None:
        if len(_profiles) >= 256:
            _profiles.clear()
        profile = _profiles[rb.sha256] = _profile(rb, compiled.key_question_bands.choose)
    return profile
