"""Margins asked of the rules only at change points equal a brute-force search over every input.

Random rulebooks (key-question band tables with any bounds, hit policy and rounding policy,
monotone or not; overall band tables and limits with score, mean and count conditions) and
random tallies with sample sizes up to thousands are rated by the package; the margins of every
key question, case standard and the overall rating are compared with an oracle written here,
independently of the package: exact fractions, every sufficient count 0..a and every score
0..max tried one by one. Where the oracle finds a gap or a 'unique' overlap at an input the
package must decide (a key question's own tally or any other count of its sample size; the
unit's own overall input), the package must refuse with a RulebookError.
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ratings_engine.engine import rule_engine
from ratings_engine.io.rulebooks import load_rulebook, rulebook_from_mapping
from ratings_engine.model.errors import RulebookError
from ratings_engine.model.evidence import Judgement, Judgements
from ratings_engine.model.audit import Audit
from ratings_engine.rating.rate import rate_tallies

BASE = load_rulebook("probation-pdu-2021").rulebook
LADDER = ("Inadequate", "Requires improvement", "Good", "Outstanding")  # lowest first, as the rulebook
SCORE = {"Inadequate": 0, "Requires improvement": 1, "Good": 2, "Outstanding": 3}
CASE_STANDARDS = {"2.1": 3, "2.2": 3, "2.3": 3, "2.4": 3, "2.5": 3}  # standard -> number of key questions
JUDGED = ("1.1", "1.2", "1.3", "1.4")
ROUNDINGS = ("exact", "nearest_whole_percent", "truncate_whole_percent")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------
# The oracle: written from the README's definitions, with exact fractions


def compared(s: int, a: int, rounding: str) -> Fraction:
    exact = Fraction(100 * s, a)
    if rounding == "exact":
        return exact
    if rounding == "nearest_whole_percent":
        return Fraction(math.floor(exact + Fraction(1, 2)))
    return Fraction(math.floor(exact))


def bounds_hold(row: dict, value: Fraction, prefix: str = "") -> bool:
    """min (>=), above (>), max (<=), below (<) of a row, on a value."""
    checks = {"min": lambda b: value >= b, "above": lambda b: value > b,
              "max": lambda b: value <= b, "below": lambda b: value < b}
    return all(check(Fraction(Decimal(row[prefix + key]))) for key, check in checks.items() if prefix + key in row)


def choose(rows: list[dict], policy: str, outcome: str = "then"):
    """The row a hit policy picks; None for no row or a 'unique' overlap."""
    if not rows or (policy == "unique" and len(rows) > 1):
        return None
    if policy == "priority":
        return min(rows, key=lambda r: LADDER.index(r[outcome]))
    return rows[0]


def kq_rank(table: dict, rounding: str, s: int, a: int) -> int | None:
    pct = compared(s, a, rounding)
    row = choose([r for r in table["rows"] if bounds_hold(r, pct)], table["hit_policy"])
    return None if row is None else LADDER.index(row["then"])


def line_margins(ranks: list, here: int, x: int):
    """(up, down) on a line of ranks (None = no rating there): ((rank, distance) or None, ...)."""
    up = next(((ranks[y], y - x) for y in range(x + 1, len(ranks)) if ranks[y] is not None and ranks[y] > here), None)
    down = next(((ranks[y], x - y) for y in range(x - 1, -1, -1) if ranks[y] is not None and ranks[y] < here), None)
    return up, down


def count_of(cond: dict, ratings: dict[str, str], scored: set[str]) -> int:
    if "ratings" in cond:
        wanted = {LADDER.index(r) for r in cond["ratings"]}
    elif "at_most" in cond:
        wanted = set(range(LADDER.index(cond["at_most"]) + 1))
    else:
        wanted = set(range(LADDER.index(cond["at_least"]), len(LADDER)))
    pool = cond.get("standards") or [s for s in ratings if s in scored]
    return sum(1 for s in pool if s in ratings and LADDER.index(ratings[s]) in wanted)


def aggregate_holds(row: dict, score: int, n: int, ratings: dict[str, str], scored: set[str]) -> bool:
    if "scored" in row and row["scored"] != n:
        return False
    if "score_min" in row and score < row["score_min"]:
        return False
    if "score_max" in row and score > row["score_max"]:
        return False
    if not bounds_hold(row, Fraction(score, n), "mean_"):
        return False
    for cond in row.get("counts", []):
        k = count_of(cond, ratings, scored)
        if ("min" in cond and k < cond["min"]) or ("max" in cond and k > cond["max"]):
            return False
    return True


def overall_rank(overall: dict, score: int, n: int, ratings: dict[str, str], scored: set[str]):
    """(final rank or None, whether the band table had a gap or 'unique' overlap here)."""
    bands = overall["bands"]
    matched = [r for r in bands["rows"] if aggregate_holds(r, score, n, ratings, scored)]
    row = choose(matched, bands["hit_policy"])
    if row is None:
        return None, True
    rank = LADDER.index(row["then"])
    caps = [LADDER.index(r["cap"]) for r in overall.get("limits", {}).get("rows", [])
            if r["enabled"] and aggregate_holds(r, score, n, ratings, scored)]
    return min([rank, *caps]), False


# ---------------------------------------------------------------------------------------------
# Random rulebooks and tallies

percent = st.one_of(st.integers(0, 100).map(str), st.integers(0, 10000).map(lambda h: str(Decimal(h) / 100)))
mean = st.integers(0, 300).map(lambda h: str(Decimal(h) / 100))
rating = st.sampled_from(LADDER)


@st.composite
def band_row(draw, i: int):
    row = {"id": f"kq-{i}", "then": draw(rating)}
    lower, upper = draw(st.sampled_from([None, "min", "above"])), draw(st.sampled_from([None, "max", "below"]))
    if lower:
        row[lower] = draw(percent)
    if upper:
        row[upper] = draw(percent)
    return row


@st.composite
def band_table(draw):
    policy = draw(st.sampled_from(["unique", "first", "priority"]))
    if draw(st.booleans()):  # cut points: a gap-free, overlap-free table (monotone or not)
        cuts = sorted(set(draw(st.lists(percent.map(Decimal), min_size=1, max_size=5))) - {Decimal(0)})
        edges = [None, *cuts, None]
        rows = []
        for i, (lo, hi) in enumerate(zip(edges, edges[1:])):
            row = {"id": f"kq-{i}", "then": draw(rating)}
            if lo is not None:
                row["min"] = str(lo)
            if hi is not None:
                row["below"] = str(hi)
            rows.append(row)
    else:  # anything: gaps, overlaps, rows that never match
        rows = [draw(band_row(i)) for i in range(draw(st.integers(1, 5)))]
        if draw(st.booleans()):
            rows.append({"id": "kq-rest", "then": draw(rating)})
    return {"hit_policy": policy, "provenance": {"grade": "uncertain", "source": "test"}, "rows": rows}


@st.composite
def count_condition(draw):
    cond: dict = {}
    kind = draw(st.sampled_from(["ratings", "at_most", "at_least"]))
    cond[kind] = sorted(draw(st.sets(rating, min_size=1, max_size=3)), key=LADDER.index) if kind == "ratings" \
        else draw(rating)
    if draw(st.booleans()):
        cond["standards"] = sorted(draw(st.sets(st.sampled_from([*JUDGED, *CASE_STANDARDS]), min_size=1, max_size=4)))
    low, high = draw(st.one_of(st.none(), st.integers(0, 4))), draw(st.one_of(st.none(), st.integers(0, 6)))
    if low is None and high is None:
        low = 1
    if low is not None:
        cond["min"] = low
    if high is not None:
        cond["max"] = high
    return cond


@st.composite
def aggregate_row(draw, i: int, outcome: str):
    row: dict = {"id": f"o-{outcome}-{i}", outcome: draw(rating)}
    if draw(st.integers(0, 5)) == 0:
        row["scored"] = draw(st.integers(1, 9))
    for key in draw(st.sets(st.sampled_from(["score_min", "score_max"]), max_size=2)):
        row[key] = draw(st.integers(0, 27))
    for key in draw(st.sets(st.sampled_from(["mean_min", "mean_above", "mean_max", "mean_below"]), max_size=2)):
        row[key] = draw(mean)
    row["counts"] = draw(st.lists(count_condition(), max_size=2))
    return row


@st.composite
def overall_tables(draw):
    rows = [draw(aggregate_row(i, "then")) for i in range(draw(st.integers(1, 5)))]
    if draw(st.booleans()):
        rows.append({"id": "o-rest", "then": draw(rating), "counts": []})
    limits = [{**draw(aggregate_row(i, "cap")), "enabled": draw(st.booleans()), "description": "test"}
              for i in range(draw(st.integers(0, 3)))]
    source = {"grade": "uncertain", "source": "test"}
    return {"bands": {"hit_policy": draw(st.sampled_from(["unique", "first", "priority"])), "provenance": source,
                      "rows": rows},
            "limits": {"hit_policy": "priority", "provenance": source, "rows": limits}}


@st.composite
def examples(draw):
    data = BASE.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["key_question_bands"] = draw(band_table())
    data["policies"]["rounding"]["value"] = draw(st.sampled_from(ROUNDINGS))
    data["policies"]["minimum_applicable"]["value"] = 1
    if draw(st.booleans()):
        data["overall"] = draw(overall_tables())
    standards = sorted(draw(st.sets(st.sampled_from(sorted(CASE_STANDARDS)), min_size=1, max_size=3)))
    big = draw(st.booleans())
    tallies = {}
    for sid in standards:
        for k in range(1, CASE_STANDARDS[sid] + 1):
            a = draw(st.integers(1, 3000) if big else st.integers(1, 40))
            tallies[f"{sid}.{k}"] = (draw(st.integers(0, a)), a)
    judged = {sid: draw(rating) for sid in JUDGED}
    return data, tallies, judged


def rate_example(data: dict, tallies: dict, judged: dict):
    rulebook = rulebook_from_mapping(data, "<test>")
    frame = pd.DataFrame([("u", kq, s, a - s, 0) for kq, (s, a) in tallies.items()],
                         columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable"])
    judgements = Judgements(tuple(Judgement(None, sid, r, None, "j.csv", i + 2) for i, (sid, r) in enumerate(judged.items())),
                            "j.csv", "0" * 64, Audit("j.csv"))
    (unit,) = rate_tallies(frame, rulebook, judgements)
    return unit


def pairs(margin):
    return None if margin is None else (LADDER.index(margin.to), margin.amount)


# ---------------------------------------------------------------------------------------------


@SETTINGS
@given(examples())
def test_margins_equal_a_brute_force_search_over_every_input(example):
    data, tallies, judged = example
    table, rounding = data["key_question_bands"], data["policies"]["rounding"]["value"]
    lines = {kq: [kq_rank(table, rounding, t, a) for t in range(a + 1)] for kq, (s, a) in tallies.items()}
    kq_refused = any(None in line for line in lines.values())
    event("key-question table refused" if kq_refused else "key-question table decides")
    if kq_refused:
        with pytest.raises(RulebookError):
            rate_example(data, tallies, judged)
        return
    event("monotone" if all(x <= y for line in lines.values() for x, y in zip(line, line[1:])) else "not monotone")

    # Key questions and standards, by brute force.
    ratings = dict(judged)
    standard_margins = {}
    for sid in {kq.rsplit(".", 1)[0] for kq in tallies}:
        kqs = [kq for kq in tallies if kq.startswith(sid + ".")]
        here = min(lines[kq][tallies[kq][0]] for kq in kqs)
        ratings[sid] = LADDER[here]
        ups = [line_margins(lines[kq], here, tallies[kq][0])[0] for kq in kqs if lines[kq][tallies[kq][0]] == here]
        up = None if any(u is None for u in ups) else sum(u[1] for u in ups)
        drops = [next((tallies[kq][0] - t for t in range(tallies[kq][0], -1, -1) if lines[kq][t] < here), None)
                 for kq in kqs]
        drops = [d for d in drops if d is not None]
        standard_margins[sid] = (up, min(drops) if drops and here > 0 else None)

    scored = {s.id for s in BASE.standards if s.scored}
    score, n = sum(SCORE[r] for r in ratings.values()), len(ratings)
    own, refused = overall_rank(data["overall"], score, n, ratings, scored)
    if refused:
        event("overall table refused")
        with pytest.raises(RulebookError):
            rate_example(data, tallies, judged)
        return
    unit = rate_example(data, tallies, judged)

    for std in unit.standards:
        for kq in std.key_questions:
            s, a = tallies[kq.id]
            here = lines[kq.id][s]
            assert LADDER.index(kq.rating) == here
            up, down = line_margins(lines[kq.id], here, s)
            assert (pairs(kq.decision.margin_up), pairs(kq.decision.margin_down)) == (up, down), (kq.id, s, a)
        if std.id in standard_margins:
            up, down = standard_margins[std.id]
            assert (std.decision.margin_up.amount if std.decision.margin_up else None) == up, std.id
            assert (std.decision.margin_down.amount if std.decision.margin_down else None) == down, std.id

    line = [overall_rank(data["overall"], x, n, ratings, scored)[0] for x in range(3 * n + 1)]
    assert unit.overall.rating == LADDER[own]
    assert line[score] == own
    o = unit.overall.decision
    assert (pairs(o.margin_up), pairs(o.margin_down)) == line_margins(line, own, score)


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_a_million_applicable_cases_ask_the_rules_about_a_few_counts_only(rounding):
    """The shipped band table is proven monotone: margins at a million applicable cases need a few
    dozen decisions (change points and bisection), not a million, and still equal brute force."""
    data = BASE.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["policies"]["rounding"]["value"] = rounding
    tallies = {"2.2.1": (649_999, 1_000_000), "2.2.2": (799_990, 1_000_003), "2.2.3": (500_010, 999_999)}
    before = rule_engine.stats()["facts_asserted"]
    unit = rate_example(data, tallies, dict.fromkeys(JUDGED, "Good"))
    assert rule_engine.stats()["facts_asserted"] - before < 300
    for kq in unit.standard("2.2").key_questions:
        s, a = tallies[kq.id]
        here = shipped_rank(s, a, rounding)
        up = next(((shipped_rank(t, a, rounding), t - s) for t in range(s + 1, a + 1)
                   if shipped_rank(t, a, rounding) != here), None)
        down = next(((shipped_rank(t, a, rounding), s - t) for t in range(s - 1, -1, -1)
                     if shipped_rank(t, a, rounding) != here), None)
        assert pairs(kq.decision.margin_up) == up and pairs(kq.decision.margin_down) == down


def shipped_rank(s: int, a: int, rounding: str) -> int:
    """The shipped bands (80 / 65 / 50%) in integer arithmetic: fast enough to try a million counts."""
    if rounding == "exact":
        per_cent_times_a = 100 * s  # compare 100 s / a with each cut c as 100 s >= c a
        return sum(per_cent_times_a >= cut * a for cut in (50, 65, 80))
    whole = (200 * s + a) // (2 * a) if rounding == "nearest_whole_percent" else (100 * s) // a
    return sum(whole >= cut for cut in (50, 65, 80))
