"""`rate check-rules`: the key-question band table, analysed symbolically and through durable_rules.

The row bounds cut 0-100% into elementary pieces (points and open intervals between cuts, or
the whole percentages under a rounding policy), exact fractions on each of which every row
either matches or not. durable_rules decides one example pair per piece and every reachable
(sufficient, applicable) pair up to the sample size; the two analyses must agree. Gaps,
overlaps, rows that never match or never decide, and non-monotone steps are reported through
the `Checker`.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Iterable, Protocol, Sequence

from ..engine.changepoints import Piece as _Piece
from ..engine.changepoints import band_profile, band_row_matches, compared_fraction, piece_index
from ..engine.decide import CompiledRulebook, percentage_fact
from ..model.rulebook import Rulebook
from ..rating import explain

__all__ = ["band_row_matches", "check_key_question_bands", "compared_fraction", "same_row"]


class Checker(Protocol):
    """What the checks need of the driver that runs them (`toolkit.check.Checker`)."""

    rb: Rulebook
    compiled: CompiledRulebook
    max_sample: int
    checked: list[str]

    def add(self, severity: str, kind: str, table: str | None, rows: Sequence[str], message: str,
            example: dict | None = None) -> None: ...

    def reach_text(self, a: int) -> str: ...

    def dead_rows(self, name: str, rows, decided: Sequence[tuple[tuple, Any]], nowhere: str, where_text) -> None: ...


def _pct(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator}%"
    return f"{float(value):.2f}".rstrip("0").rstrip(".") + "%"


def _range_text(pieces: Sequence[_Piece], whole: bool) -> str:
    first, last = pieces[0], pieces[-1]
    if whole:
        return f"{_pct(first.lo)}" if first.lo == last.hi else f"{_pct(first.lo)} to {_pct(last.hi)} (whole percentages)"
    if first.point and last.point and first.lo == last.lo:
        return f"exactly {_pct(first.lo)}"
    start = f"from {_pct(first.lo)}" if first.point else f"over {_pct(first.lo)}"
    end = f"to {_pct(last.hi)}" if last.point else f"to under {_pct(last.hi)}"
    return f"{start} {end}"


def _pair_text(s: int, a: int, rounding: str) -> str:
    return f"{_pct(Fraction(100 * s, a))} = {s} of {a} applicable cases" + (
        f", compared as {_pct(compared_fraction(s, a, rounding))}" if rounding != "exact" else "")



def check_key_question_bands(checker: Checker) -> set[str]:
    rb, table = checker.rb, checker.compiled.key_question_bands
    name = "key_question_bands"
    rows = rb.key_question_bands.rows
    rounding = rb.policies.rounding.value
    whole = rounding != "exact"
    minimum = max(1, rb.policies.minimum_applicable.value)
    rank = rb.rank

    profile = band_profile(checker.compiled)  # the symbolic analysis margins rely on too
    pieces, matched, chosen = profile.pieces, profile.matched, profile.chosen
    examples = _piece_examples(pieces, rounding, minimum)

    # durable_rules decides one example per piece and every pair up to the sample size.
    facts = [percentage_fact(s, a, rounding) for s, a in examples]
    disagreements: list[str] = []
    for piece, (s, a), mine, engine in zip(pieces, examples, matched, table.matching(facts)):
        if tuple(r.id for r in mine) != tuple(r.id for r in engine):
            disagreements.append(f"{s} of {a}: symbolic {[r.id for r in mine]}, durable_rules {[r.id for r in engine]}")
    pairs = [(s, a) for a in range(minimum, checker.max_sample + 1) for s in range(a + 1)]
    engine_rows = table.matching([percentage_fact(s, a, rounding) for s, a in pairs])
    sample: dict[tuple[int, int], Any] = {}
    matched_ids = [tuple(r.id for r in m) for m in matched]
    cuts = [p.lo for p in pieces if p.point]
    sample_gaps = sample_overlaps = 0
    for (s, a), engine in zip(pairs, engine_rows):
        pct = compared_fraction(s, a, rounding)  # every percentage lies in one piece: its rows are known
        mine = matched_ids[int(pct) if whole else piece_index(cuts, pct)]
        if mine != tuple(r.id for r in engine):
            disagreements.append(f"{s} of {a}: symbolic {list(mine)}, durable_rules {[r.id for r in engine]}")
        if not engine:
            sample_gaps += 1
        elif len(engine) > 1 and rb.key_question_bands.hit_policy == "unique":
            sample_overlaps += 1
        sample[(s, a)] = table.choose(engine) if engine else None
    for text in disagreements[:3]:
        checker.add("error", "engine_disagreement", name, (),
                 f"the symbolic analysis and durable_rules disagree on {text} (please report this bug)")
    if minimum > checker.max_sample:
        checker.add("warning", "sample_too_small", name, (),
                 f"minimum_applicable is {minimum}, above the sample size {checker.max_sample}: no pair was decided "
                 "through durable_rules beyond one example per interval (raise --max-sample)")

    reach = checker.reach_text

    # Gaps: runs of pieces with no row.
    for run in _runs(range(len(pieces)), lambda i: not matched[i]):
        s, a = min((examples[i] for i in run), key=lambda e: (e[1], e[0]))
        below = _neighbour(chosen, matched, run[0], -1)
        above = _neighbour(chosen, matched, run[-1], +1)
        between = [f"{r.id} ({explain.band_row_text(r)})" for r in (below, above) if r is not None]
        checker.add("error", "gap", name, [r.id for r in (below, above) if r is not None],
                 f"no row matches {_range_text([pieces[i] for i in run], whole)}: e.g. {_pair_text(s, a, rounding)}"
                 f"{reach(a)}" + (f"; between rows {' and '.join(between)}" if between else ""),
                 {"sufficient": s, "applicable": a})

    # Overlaps under 'unique'.
    if rb.key_question_bands.hit_policy == "unique":
        for run in _runs(range(len(pieces)), lambda i: len(matched[i]) > 1,
                         key=lambda i: tuple(r.id for r in matched[i])):
            s, a = min((examples[i] for i in run), key=lambda e: (e[1], e[0]))
            ids = [r.id for r in matched[run[0]]]
            checker.add("error", "overlap", name, ids,
                     f"rows {', '.join(ids)} all match {_range_text([pieces[i] for i in run], whole)}, but the hit "
                     f"policy is 'unique': e.g. {_pair_text(s, a, rounding)}{reach(a)}",
                     {"sufficient": s, "applicable": a})

    checker.dead_rows(name, rows, list(zip(matched, chosen)),
                    "no percentage from 0% to 100%" + (" (whole percentages)" if whole else ""),
                    lambda idxs: _range_list(idxs, pieces, whole))

    # Monotone: walk the pieces upwards.
    # (The profile's `monotone` flag, which margins rely on, is this walk without the examples.)
    prev = None  # (piece index, row)
    seen_pairs: set[tuple[str, str]] = set()
    by_size = sorted(sample.items(), key=lambda kv: (kv[0][1], kv[0][0]))  # once, not per finding
    for i, row in enumerate(chosen):
        if row is None:
            continue
        if prev is not None and rank(row.then) < rank(prev[1].then) and (prev[1].id, row.id) not in seen_pairs:
            seen_pairs.add((prev[1].id, row.id))
            ps, pa = examples[prev[0]]
            s, a = examples[i]
            step = next(((ss, aa) for (ss, aa), r in by_size
                         if same_row(r, prev[1]) and same_row(sample.get((ss + 1, aa)), row)), None)
            extra = ""
            if step is not None:
                ss, aa = step
                extra = (f"; one more sufficient case lowers it: {ss} of {aa} ({_pct(Fraction(100 * ss, aa))}) is "
                         f"{prev[1].then}, {ss + 1} of {aa} ({_pct(Fraction(100 * (ss + 1), aa))}) is {row.then}")
            checker.add("error", "non_monotone", name, [prev[1].id, row.id],
                     f"a higher percentage gives a lower rating: {_pair_text(ps, pa, rounding)} gives {prev[1].then} "
                     f"(row {prev[1].id}, {explain.band_row_text(prev[1])}) but {_pair_text(s, a, rounding)} gives "
                     f"{row.then} (row {row.id}, {explain.band_row_text(row)}){extra}",
                     {"lower": {"sufficient": ps, "applicable": pa, "rating": prev[1].then},
                      "higher": {"sufficient": s, "applicable": a, "rating": row.then},
                      "one_more_case": {"sufficient": step[0], "applicable": step[1]} if step else None})
        prev = (i, row)

    reachable = {r.then for r in chosen if r is not None}
    n_pairs = len(pairs)
    checker.checked.append(
        f"{name}: hit policy {rb.key_question_bands.hit_policy}, {len(rows)} rows, rounding {rounding}; "
        f"symbolic analysis with exact fractions over 0-100% ({len(pieces)} "
        f"{'whole percentages' if whole else 'points and open intervals'}); "
        f"{n_pairs:,} (sufficient, applicable) pairs with {minimum}-{checker.max_sample} applicable cases, plus one "
        f"example per interval, decided through the compiled rulebook (durable_rules): {sample_gaps} without a row, "
        f"{sample_overlaps} with overlapping rows under 'unique'; "
        + ("the two analyses agree" if not disagreements else f"{len(disagreements)} DISAGREEMENT(S)")
        + f"; ratings a key question can get: {', '.join(r for r in rb.ratings if r in reachable) or 'none'}")
    return reachable




def _piece_examples(pieces: Sequence[_Piece], rounding: str, minimum: int) -> list[tuple[int, int]]:
    """For each piece, the (sufficient, applicable) pair with the fewest applicable cases (>= minimum) in it."""
    if rounding != "exact":
        found: dict[Fraction, tuple[int, int]] = {}
        a = minimum
        while len(found) < 101 and a <= minimum + 1000:
            for s in range(a + 1):
                found.setdefault(compared_fraction(s, a, rounding), (s, a))
            a += 1
        return [found.get(p.lo, (0, minimum)) for p in pieces]
    out = []
    for p in pieces:
        if p.point:
            value = p.lo / 100
            d = value.denominator
            a = d * -(-minimum // d)
            out.append((value.numerator * (a // d), a))
            continue
        a = minimum
        while True:
            s = math.floor(p.lo * a / 100) + 1
            if Fraction(100 * s, a) < p.hi:
                out.append((s, a))
                break
            a += 1
    return out


def _runs(indices: Iterable[int], keep, key=None) -> list[list[int]]:
    """Maximal runs of consecutive indices that satisfy `keep` (and share `key`)."""
    runs: list[list[int]] = []
    for i in indices:
        if not keep(i):
            continue
        if runs and runs[-1][-1] == i - 1 and (key is None or key(runs[-1][-1]) == key(i)):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _range_list(idxs: list[int], pieces: Sequence[_Piece], whole: bool) -> str:
    runs = _runs(idxs, lambda i: True)
    return ", ".join(_range_text([pieces[i] for i in run], whole) for run in runs[:4]) + (", ..." if len(runs) > 4 else "")


def same_row(a, b) -> bool:
    """Rows of one table are the same row when their ids are (ids are unique within a table)."""
    return a is not None and b is not None and a.id == b.id


def _neighbour(chosen: Sequence, matched: Sequence, start: int, step: int):
    i = start + step
    while 0 <= i < len(chosen):
        if matched[i]:
            return chosen[i] or matched[i][0]
        i += step
    return None


