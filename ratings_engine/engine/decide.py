"""Decision tables: compile a rulebook's tables to durable_rules and decide inputs with them.

Each table row becomes one durable_rules rule (conditions in integer arithmetic, so boundaries
are exact); the engine reports every row a fact matched and this module applies the table's
hit policy. A decision is a pure function of a small input (a key question's
sufficient/applicable counts; a unit's score, number of scored standards and rating counts), so
results are memoised per distinct input by the rule engine adapter: rating one unit, a corpus
or a thousand bootstrap resamples all go through the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from . import rule_engine
from ..model.errors import RulebookError

if TYPE_CHECKING:  # the pydantic models: a rulebook from the cache is a model.light record
    from ..model.rulebook import BandRow, CountCondition, LimitRow, OverallRow, Provenance, Rulebook, _AggregateConditions

_OPS = {"min": "$gte", "above": "$gt", "max": "$lte", "below": "$lt"}


#: The largest magnitude of a number compiled into a condition: durable_rules compares facts as
#: 64-bit integers or doubles, and a larger bound would silently never match. The rulebook schema
#: keeps every bound far below it (model.rulebook.MAX_SCORE); this guards Rulebooks built in code.
MAX_ENGINE_INT = 2**53


def _fits(value: int) -> int:
    if not -MAX_ENGINE_INT < value < MAX_ENGINE_INT:
        raise RulebookError(f"a rule compares with {value}, beyond what the rule engine's numbers hold exactly "
                            f"(±{MAX_ENGINE_INT:,})")
    return value


def _hundredths(value: Decimal) -> int:
    """A bound with at most two decimal places, as an exact integer number of hundredths."""
    return _fits(int(value * 100))


# ---------------------------------------------------------------------------------------------
# Inputs as facts


@dataclass(frozen=True)
class KeyQuestionInput:
    """What a key-question band decision depends on."""

    sufficient: int
    applicable: int


def percentage_fact(sufficient: int, applicable: int, rounding: str) -> dict[str, int]:
    """The percentage compared with band bounds, as an exact ratio: pct = x / (100 * d).

    `exact` compares the fraction itself; the whole-percent policies round it first (half up,
    or truncated), as a report that prints whole percentages would.
    """
    if rounding == "exact":
        return {"x": 10000 * sufficient, "d": applicable}
    if rounding == "nearest_whole_percent":
        whole = (200 * sufficient + applicable) // (2 * applicable)
    elif rounding == "truncate_whole_percent":
        whole = (100 * sufficient) // applicable
    else:  # pragma: no cover - the rulebook schema admits only the three values
        raise ValueError(rounding)
    return {"x": 100 * whole, "d": 1}


def compared_percentage(sufficient: int, applicable: int, rounding: str) -> float:
    fact = percentage_fact(sufficient, applicable, rounding)
    return fact["x"] / (100 * fact["d"])


@dataclass(frozen=True)
class CountFeature:
    """A count that a count condition needs: standards whose rating rank is in `ranks`."""

    ranks: frozenset[int]
    standards: tuple[str, ...] | None  # None: every scored, rated standard

    def count(self, ratings: dict[str, int], scored: frozenset[str]) -> int:
        """`ratings` maps rated standard ids to rating ranks."""
        pool = self.standards if self.standards is not None else [s for s in ratings if s in scored]
        return sum(1 for s in pool if s in ratings and ratings[s] in self.ranks)


@dataclass(frozen=True)
class OverallInput:
    """What an overall band or limit decision depends on."""

    score: int
    scored: int
    counts: tuple[int, ...] = ()  # one per CountFeature of the compiled rulebook

    def fact(self) -> dict[str, int]:
        fact = {"score": self.score, "s100": 100 * self.score, "n": self.scored}
        fact.update({f"k{i}": c for i, c in enumerate(self.counts)})
        return fact


# ---------------------------------------------------------------------------------------------
# Compiling conditions


def band_condition(row: BandRow) -> dict | None:
    parts = []
    for key, op in _OPS.items():
        bound = getattr(row, key)
        if bound is not None:
            parts.append({op: {"x": {"$mul": {"$l": {"$m": "d"}, "$r": _hundredths(bound)}}}})
    return _all(parts)


def aggregate_condition(row: _AggregateConditions, features: dict[CountCondition, int]) -> dict | None:
    parts: list[dict] = []
    if row.scored is not None:
        parts.append({"n": _fits(row.scored)})
    if row.score_min is not None:
        parts.append({"$gte": {"score": _fits(row.score_min)}})
    if row.score_max is not None:
        parts.append({"$lte": {"score": _fits(row.score_max)}})
    for key, op in (("mean_min", "$gte"), ("mean_above", "$gt"), ("mean_max", "$lte"), ("mean_below", "$lt")):
        bound = getattr(row, key)
        if bound is not None:  # score / n  op  bound   <=>   100 * score  op  n * (100 * bound)
            parts.append({op: {"s100": {"$mul": {"$l": {"$m": "n"}, "$r": _hundredths(bound)}}}})
    for cond in row.counts:
        field = f"k{features[cond]}"
        if cond.min is not None:
            parts.append({"$gte": {field: _fits(cond.min)}})
        if cond.max is not None:
            parts.append({"$lte": {field: _fits(cond.max)}})
    return _all(parts)


def _all(parts: list[dict]) -> dict | None:
    return {"$and": parts} if parts else None  # durable_rules takes a one-part "$and" as that part


# ---------------------------------------------------------------------------------------------
# Decision tables


class DecisionTableError(RulebookError):
    """A table gave no row (a gap) or several rows under `unique` (an overlap) for an input."""


@dataclass(frozen=True)
class Outcome:
    """The row a hit policy chose for one input (None: no row matched, allowed for limits)."""

    row: BandRow | OverallRow | LimitRow | None
    matched: tuple[str, ...]  # every row id that matched, in table order

    @property
    def rule(self) -> str | None:
        return self.row.id if self.row is not None else None


class DecisionTable:
    """One rulebook table compiled to a durable_rules ruleset, with its hit policy."""

    def __init__(self, rulebook: Rulebook, key: str, rows: Sequence, hit_policy: str,
                 provenance: Provenance, outcome_key: str, conditions: Sequence[dict | None],
                 gap_allowed: bool = False):
        self.rulebook = rulebook
        self.key = key
        self.rows = tuple(rows)
        self.hit_policy = hit_policy
        self.provenance = provenance
        self.outcome_key = outcome_key
        self.gap_allowed = gap_allowed
        self._by_name = {f"r{i}": row for i, row in enumerate(self.rows)}
        self._chosen: dict[tuple[str, ...], Outcome] = {}
        self.ruleset = rule_engine.register([(f"r{i}", cond) for i, cond in enumerate(conditions)])

    def outcome_of(self, row) -> str:
        return getattr(row, self.outcome_key)

    def provenance_of(self, row) -> Provenance:
        return row.provenance or self.provenance

    def decide(self, facts: Sequence[dict[str, int]], describe=None, *, strict: bool = True) -> list[Outcome]:
        """Decide every fact; `describe(fact)` words an input for error messages.

        With `strict=False` a gap or an overlap gives an Outcome without a row instead of an
        error: for hypothetical inputs (margins) that a rulebook need not cover.
        """
        results = []
        chosen = self._chosen  # the hit policy's pick depends only on the rows matched: once per set of rows
        for fact, names in zip(facts, rule_engine.match(self.ruleset, facts)):
            outcome = chosen.get(names)
            if outcome is None:
                rows = [self._by_name[n] for n in names]
                try:
                    outcome = chosen[names] = self._apply_hit_policy(rows, fact, describe)
                except DecisionTableError:
                    if strict:
                        raise  # the message names this fact: never memoised
                    outcome = Outcome(None, tuple(r.id for r in rows))
            results.append(outcome)
        return results

    def matching(self, facts: Sequence[dict[str, int]]) -> list[tuple]:
        """Every row each fact matches, in table order, before the hit policy (for `rate check-rules`)."""
        return [tuple(self._by_name[n] for n in names) for names in rule_engine.match(self.ruleset, facts)]

    def choose(self, rows: Sequence):
        """The row the hit policy picks among rows matched by one input; None on a gap or a 'unique' overlap."""
        try:
            return self._apply_hit_policy(list(rows), {}, None).row
        except DecisionTableError:
            return None

    def _apply_hit_policy(self, rows: list, fact: dict, describe) -> Outcome:
        ids = tuple(r.id for r in rows)
        if not rows:
            if self.gap_allowed:
                return Outcome(None, ids)
            raise DecisionTableError(
                f"rulebook {self.rulebook.id}: no row of {self.key} matches {_describe(fact, describe)} (a gap in the table)"
            )
        if self.hit_policy == "unique" and len(rows) > 1:
            raise DecisionTableError(
                f"rulebook {self.rulebook.id}: rows {', '.join(ids)} of {self.key} all match "
                f"{_describe(fact, describe)}, but the table's hit policy is 'unique' (an overlap)"
            )
        if self.hit_policy == "priority":  # the lowest outcome on the rating scale wins
            chosen = min(rows, key=lambda r: self.rulebook.rank(self.outcome_of(r)))
        else:  # first, or unique with its one row
            chosen = rows[0]
        return Outcome(chosen, ids)


def _describe(fact: dict, describe) -> str:
    return describe(fact) if describe else str(fact)


class CompiledRulebook:
    """Every decision table of a rulebook, compiled once and shared by all callers."""

    def __init__(self, rulebook: Rulebook):
        self.rulebook = rulebook
        rb = rulebook
        kq = rb.key_question_bands
        self.key_question_bands = DecisionTable(
            rb, "key_question_bands", kq.rows, kq.hit_policy, kq.provenance, "then",
            [band_condition(r) for r in kq.rows],
        )
        limit_rows = [r for r in (rb.overall.limits.rows if rb.overall.limits else ()) if r.enabled]
        self.count_conditions: dict[CountCondition, int] = {}
        self.count_features: list[CountFeature] = []
        for row in list(rb.overall.bands.rows) + limit_rows:
            for cond in row.counts:
                feature = self._feature(cond)
                if feature not in self.count_features:
                    self.count_features.append(feature)
                self.count_conditions[cond] = self.count_features.index(feature)
        ob = rb.overall.bands
        self.overall_bands = DecisionTable(
            rb, "overall.bands", ob.rows, ob.hit_policy, ob.provenance, "then",
            [aggregate_condition(r, self.count_conditions) for r in ob.rows],
        )
        self.limits = None
        if limit_rows:
            lim = rb.overall.limits
            self.limits = DecisionTable(
                rb, "overall.limits", limit_rows, lim.hit_policy, lim.provenance, "cap",
                [aggregate_condition(r, self.count_conditions) for r in limit_rows], gap_allowed=True,
            )

    def _feature(self, cond: CountCondition) -> CountFeature:
        rb = self.rulebook
        if cond.ratings is not None:
            ranks = frozenset(rb.rank(r) for r in cond.ratings)
        elif cond.at_most is not None:
            ranks = frozenset(range(0, rb.rank(cond.at_most) + 1))
        else:
            ranks = frozenset(range(rb.rank(cond.at_least), len(rb.ratings)))
        return CountFeature(ranks, cond.standards)

    # ---- key questions ----
    def band(self, inputs: Sequence[KeyQuestionInput]) -> list[Outcome]:
        rounding = self.rulebook.policies.rounding.value
        facts = [percentage_fact(i.sufficient, i.applicable, rounding) for i in inputs]

        def describe(fact: dict) -> str:
            return f"a percentage of {fact['x'] / (100 * fact['d']):.4g}%"

        try:
            return self.key_question_bands.decide(facts, describe)
        except DecisionTableError as exc:
            hint = seam_hint(self.rulebook.key_question_bands.rows)
            if not hint:
                raise
            raise DecisionTableError(f"{exc.render()}; {hint}") from None

    # ---- overall ----
    def overall_input(self, ratings: dict[str, str]) -> OverallInput:
        """The overall decision's input from the rated standards (id -> rating)."""
        rb = self.rulebook
        scored = frozenset(s.id for s in rb.standards if s.scored)
        ranks = {sid: rb.rank(r) for sid, r in ratings.items()}
        counted = [sid for sid in ratings if sid in scored]
        return OverallInput(
            score=sum(rb.score(ratings[sid]) for sid in counted),
            scored=len(counted),
            counts=tuple(f.count(ranks, scored) for f in self.count_features),
        )

    def overall(self, inputs: Sequence[OverallInput], *, strict: bool = True) -> list[Outcome]:
        return self.overall_bands.decide([i.fact() for i in inputs], _describe_overall, strict=strict)

    def limit(self, inputs: Sequence[OverallInput]) -> list[Outcome]:
        """The cap each input gets, if any. Never an error: a limits table's gaps mean no cap, and
        its hit policy (priority, the only one the schema admits) picks among overlapping rows."""
        if self.limits is None:
            return [Outcome(None, ()) for _ in inputs]
        return self.limits.decide([i.fact() for i in inputs], _describe_overall)


#: The bound of the row below that meets each lower bound of the row above when the two are equal, and back.
_MEETS = {"min": "below", "above": "max", "below": "min", "max": "above"}


def seam_hint(rows: Sequence[BandRow]) -> str:
    """How to close the gaps and overlaps between neighbouring key-question band rows, in `--set` terms.

    Rows are ordered by their lower bound; a row's lower bound and the next lower row's upper
    bound meet when `min` equals `below` (or `above` equals `max`). For each seam that does not
    meet, the bound of the lower row to move (or the upper row's bound to move back) is named;
    when the two are of kinds that never meet (`min` over `max`, `above` over `below`), the
    bound moved is also swapped for the kind that does.
    """
    def lower(r: BandRow):
        return r.min if r.min is not None else r.above

    def upper(r: BandRow):
        return r.below if r.below is not None else r.max

    bounded = sorted((r for r in rows if lower(r) is not None), key=lower)
    unbounded_below = [r for r in rows if lower(r) is None]
    chain = unbounded_below[:1] + bounded
    hints = []
    for low, high in zip(chain, chain[1:]):
        up, down = upper(low), lower(high)
        if up is None:
            continue
        lower_key = "min" if high.min is not None else "above"
        upper_key = "below" if low.below is not None else "max"
        pairs = _MEETS[lower_key] == upper_key
        if pairs and down == up:
            continue
        # equal bounds that do not pair: `above` over `below` leaves the value out, `min` over `max` takes it twice
        what = "a gap" if down > up or (down == up and lower_key == "above") else "an overlap"
        hints.append(f"rows {high.id} ({lower_key} {_num(down)}) and {low.id} ({upper_key} {_num(up)}) leave "
                     f"{what}: move both bounds together, e.g. also set {_moved(low.id, upper_key, lower_key, down)} "
                     f"(or {_moved(high.id, lower_key, upper_key, up)})")
    return "; ".join(hints)


def _moved(row_id: str, key: str, other_key: str, value) -> str:
    """The `--set` that moves a row's bound `key` to meet the neighbouring row's `other_key` bound at `value`."""
    path = f"key_question_bands.rows[{row_id}]"
    meeting = _MEETS[other_key]
    if meeting == key:
        return f"{path}.{key}={_num(value)}"
    return f"{path}.{key}=null; {path}.{meeting}={_num(value)}"  # a row has one bound of each side


def _num(value) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _describe_overall(fact: dict) -> str:
    return f"a score of {fact['score']} over {fact['n']} scored standard(s)"


_compiled: dict[str, CompiledRulebook] = {}


def compile_rulebook(rulebook: Rulebook) -> CompiledRulebook:
    """The compiled form of a rulebook, shared per content hash within the process."""
    compiled = _compiled.get(rulebook.sha256)
    if compiled is None:
        compiled = _compiled[rulebook.sha256] = CompiledRulebook(rulebook)
    return compiled
