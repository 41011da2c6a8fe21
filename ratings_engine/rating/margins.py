"""Margins: how far each rating is from the next band, asked of the same rules at the change points.

A key question's margin up is the fewest insufficient cases turned sufficient (same sample) that
give a higher band; down, the fewest the other way that give a lower one. The overall margins are
the points to the nearest score in a higher / lower band, other things equal. Both need the
rating at other inputs than the unit's own.

For each sample size (or number of scored standards and rating counts) the rules are asked only
about the candidate change points of the tables (`engine.changepoints`): between two consecutive
candidates every row matches all inputs or none, so the rating there is the rating decided at
the first of them. Where the key-question band table is proven monotone
(`changepoints.band_profile`), the boundaries between candidates whose ratings differ are
located by bisection through the rules as well, so there each boundary is shown by two adjacent
decisions whatever the candidates were. Every rating here is a durable_rules decision of the
compiled rulebook (`CompiledRulebook.band` / `.overall` / `.limit`); `tests/test_margins.py`
proves the margins equal a brute-force search over every count.

Interface used by `rating.rate`, `rating.overrides` and `toolkit.validate`:

* `KeyQuestionBands(compiled, pairs)`: `.outcome(s, a)`, `.rank(s, a)`, `.margins(s, a)`,
  `.explained(s, a, na)`, `.cases_to_drop_below(s, a, rank)`, `.cases_to_reach(s, a, rank)`,
  `.cases_to_fall_to(s, a, rank)`;
* `OverallBands(compiled, inputs)`: `.band[i]`, `.limit[i]` (the units' own inputs),
  `.final(i)` (any score), `.margins(i)`.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Iterable

from ..engine.changepoints import band_change_points, band_profile, overall_change_points
from ..engine.decide import CompiledRulebook, KeyQuestionInput, Outcome, OverallInput, compared_percentage
from ..model.results import Margin
from . import explain


class _Steps:
    """A step function on 0..top: `values[i]` holds from `starts[i]` to the next start (exclusive)."""

    __slots__ = ("starts", "values")

    def __init__(self, points: list[int], values: list):
        starts, kept = [], []
        for p, v in zip(points, values):
            if not kept or v != kept[-1]:
                starts.append(p)
                kept.append(v)
        self.starts, self.values = starts, kept

    def index(self, x: int) -> int:
        return bisect_right(self.starts, x) - 1

    def at(self, x: int):
        return self.values[self.index(x)]

    def next_where(self, x: int, keep) -> int | None:
        """The least input above x whose value satisfies `keep`, which x's own value does not (None: none)."""
        for j in range(self.index(x) + 1, len(self.starts)):
            if keep(self.values[j]):
                return self.starts[j]
        return None

    def last_where(self, x: int, keep) -> int | None:
        """The greatest input at or below x whose value satisfies `keep` (None: none)."""
        i = self.index(x)
        if keep(self.values[i]):
            return x
        for j in range(i - 1, -1, -1):
            if keep(self.values[j]):
                return self.starts[j + 1] - 1
        return None


class KeyQuestionBands:
    """Bands of the given (sufficient, applicable) pairs, with margins from the same rules."""

    def __init__(self, compiled: CompiledRulebook, pairs: Iterable[tuple[int, int]]):
        self.compiled = compiled
        self.rulebook = rb = compiled.rulebook
        self._rank_of = {r: i for i, r in enumerate(rb.ratings)}
        pairs = sorted(set(pairs), key=lambda p: (p[1], p[0]))
        # The pairs themselves first, strictly: an error names the unit's own input (of several
        # uncovered, the first by sample size, then sufficient cases, as every batch here).
        self._outcomes: dict[tuple[int, int], Outcome] = dict(
            zip(pairs, compiled.band([KeyQuestionInput(s, a) for s, a in pairs])))
        self._steps: dict[int, _Steps] = {}
        self._profile = band_profile(compiled)
        self._prepare(sorted({a for _, a in pairs}))
        self._drop: dict[tuple[int, int, int], int | None] = {}
        self._explained: dict[tuple[int, int, int], tuple] = {}

    @property
    def monotone(self) -> bool:
        """Whether the band table is proven monotone (boundaries bisected through the rules)."""
        return self._profile.monotone

    def _decide(self, points: Iterable[tuple[int, int]]) -> None:
        todo = sorted({p for p in points if p not in self._outcomes}, key=lambda p: (p[1], p[0]))
        if todo:
            self._outcomes.update(zip(todo, self.compiled.band([KeyQuestionInput(s, a) for s, a in todo])))

    def _rank_at(self, s: int, a: int) -> int:
        return self._rank_of[self._outcomes[(s, a)].row.then]

    def _prepare(self, sizes: list[int]) -> None:
        """Decide the change points of every sample size (and, if monotone, bisect between them)."""
        sizes = [a for a in sizes if a not in self._steps]
        if not sizes:
            return
        rows = self.rulebook.key_question_bands.rows
        rounding = self.rulebook.policies.rounding.value
        points = {a: band_change_points(rows, rounding, a) for a in sizes}
        self._decide((s, a) for a in sizes for s in points[a])
        if self.monotone:
            while True:  # one batch of decisions per round, over every sample size
                mids = {}
                for a in sizes:
                    pts = points[a]
                    for lo, hi in zip(pts, pts[1:]):
                        if hi - lo > 1 and self._rank_at(lo, a) != self._rank_at(hi, a):
                            mids.setdefault(a, []).append((lo + hi) // 2)
                if not mids:
                    break
                self._decide((m, a) for a, ms in mids.items() for m in ms)
                for a, ms in mids.items():
                    points[a] = sorted(set(points[a]) | set(ms))
        for a in sizes:
            self._steps[a] = _Steps(points[a], [self._rank_at(s, a) for s in points[a]])

    def steps(self, a: int) -> _Steps:
        if a not in self._steps:
            self._prepare([a])
        return self._steps[a]

    # ---- queries ----
    def outcome(self, s: int, a: int) -> Outcome:
        """The decision for one pair, through the rules (memoised)."""
        if (s, a) not in self._outcomes:
            self._decide([(s, a)])
        return self._outcomes[(s, a)]

    def rank(self, s: int, a: int) -> int:
        return self.steps(a).at(s)

    def margins(self, s: int, a: int) -> tuple[Margin | None, Margin | None]:
        """Fewest insufficient->sufficient (up) or sufficient->insufficient (down) changes that change the band."""
        steps = self.steps(a)
        here = steps.at(s)
        ratings = self.rulebook.ratings
        up_s = steps.next_where(s, lambda r: r > here)
        down_s = steps.last_where(s, lambda r: r < here)
        up = Margin(ratings[steps.at(up_s)], up_s - s) if up_s is not None else None
        down = Margin(ratings[steps.at(down_s)], s - down_s) if down_s is not None else None
        return up, down

    def explained(self, s: int, a: int, na: int) -> tuple[dict, str, Margin | None, Margin | None]:
        """Percentages, explanation and margins of a tally; the same for every KQ with this tally."""
        key = (s, a, na)
        if key not in self._explained:
            rounding = self.rulebook.policies.rounding.value
            pct = 100 * s / a
            compared = compared_percentage(s, a, rounding)
            details = {"pct": round(pct, 4), "pct_compared": round(compared, 4), "rounding": rounding}
            because = explain.key_question_because(s, a, na, pct, compared, rounding, self.outcome(s, a).row)
            self._explained[key] = (details, because, *self.margins(s, a))
        return self._explained[key]

    def cases_to_drop_below(self, s: int, a: int, rank: int) -> int | None:
        """Fewest sufficient->insufficient changes that give a band below `rank` (0 if already below)."""
        key = (s, a, rank)
        if key not in self._drop:
            below = self.steps(a).last_where(s, lambda r: r < rank)
            self._drop[key] = None if below is None else s - below
        return self._drop[key]

    def fewest_to_drop_below(self, pairs: Iterable[tuple[int, int]], rank: int) -> Margin | None:
        """Of key questions (sufficient, applicable) combined by "lowest", the fewest sufficient->
        insufficient changes on one of them that take it below `rank`, and the band it lands in
        (a small sample can skip a band: 2/2 -> 1/2; of equal counts, the highest landing band)."""
        drops = [(d, self.rank(s - d, a)) for s, a in pairs
                 if (d := self.cases_to_drop_below(s, a, rank)) is not None]
        fewest = min((d for d, _ in drops), default=None)
        if fewest is None:
            return None
        return Margin(self.rulebook.ratings[max(r for d, r in drops if d == fewest)], fewest)

    def cases_to_reach(self, s: int, a: int, rank: int) -> int | None:
        """Fewest insufficient->sufficient changes that give a band at or above `rank`, from a band below it."""
        up = self.steps(a).next_where(s, lambda r: r >= rank)
        return None if up is None else up - s

    def cases_to_fall_to(self, s: int, a: int, rank: int) -> int | None:
        """Fewest sufficient->insufficient changes (maybe none) that give a band at or below `rank`."""
        down = self.steps(a).last_where(s, lambda r: r <= rank)
        return None if down is None else s - down


class OverallBands:
    """Final overall ratings (band, then limits) of the units' inputs, and of every other score."""

    def __init__(self, compiled: CompiledRulebook, inputs: Iterable[OverallInput]):
        self.compiled = compiled
        rb = self.rulebook = compiled.rulebook
        actual = sorted(set(inputs), key=lambda i: (i.scored, i.counts, i.score))
        # The units' own inputs must be covered by the rulebook: decided strictly (a gap is an error).
        self.band = dict(zip(actual, compiled.overall(actual)))
        self.limit = dict(zip(actual, compiled.limit(actual)))
        limit_rows = [r for r in (rb.overall.limits.rows if rb.overall.limits else ()) if r.enabled]
        self._rows = [*rb.overall.bands.rows, *limit_rows]
        self._steps: dict[tuple[int, tuple[int, ...]], _Steps] = {}
        self._prepare({(i.scored, i.counts) for i in actual})

    def _prepare(self, keys: set[tuple[int, tuple[int, ...]]]) -> None:
        """Decide the change points of every (scored standards, counts) leniently: some may be
        combinations a count-based table need not cover, and only feed margins."""
        keys = sorted(k for k in keys if k not in self._steps)
        if not keys:
            return
        top = self.rulebook.max_standard_score
        points = {k: overall_change_points(self._rows, k[0], top * k[0]) for k in keys}
        grid = [OverallInput(s, n, counts) for (n, counts) in keys for s in points[(n, counts)]]
        todo = [i for i in grid if i not in self.band]
        self.band.update(zip(todo, self.compiled.overall(todo, strict=False)))
        self.limit.update(zip(todo, self.compiled.limit(todo)))
        for n, counts in keys:
            pts = points[(n, counts)]
            self._steps[(n, counts)] = _Steps(pts, [self._final_rank(OverallInput(s, n, counts)) for s in pts])

    def _final_rank(self, i: OverallInput) -> int | None:
        rating = self._decided_final(i)
        return None if rating is None else self.rulebook.rank(rating)

    def _decided_final(self, i: OverallInput) -> str | None:
        rb = self.rulebook
        band = self.band[i].row
        if band is None:
            return None
        cap = self.limit[i].row
        return band.then if cap is None else min(band.then, cap.cap, key=rb.rank)  # a cap only lowers

    def _steps_of(self, i: OverallInput) -> _Steps:
        key = (i.scored, i.counts)
        if key not in self._steps:
            self._prepare({key})
        return self._steps[key]

    def final(self, i: OverallInput) -> str | None:
        """The overall rating for an input: its band, capped by any matching limit (None: no band)."""
        if i in self.band:
            return self._decided_final(i)
        rank = self._steps_of(i).at(i.score)
        return None if rank is None else self.rulebook.ratings[rank]

    def margins(self, i: OverallInput) -> tuple[Margin | None, Margin | None]:
        """Points to the nearest score (same number of scored standards and counts) in a higher / lower band."""
        rb = self.rulebook
        here = rb.rank(self.final(i))
        steps = self._steps_of(i)
        up_s = steps.next_where(i.score, lambda r: r is not None and r > here)
        down_s = steps.last_where(i.score, lambda r: r is not None and r < here)
        up = Margin(rb.ratings[steps.at(up_s)], up_s - i.score) if up_s is not None else None
        down = Margin(rb.ratings[steps.at(down_s)], i.score - down_s) if down_s is not None else None
        return up, down
