"""Key-question bands decided once per piece of 0-100% (engine/bulk.py, exact rounding) against a
small independent band function here: exact fractions, the rows matched by hand, the hit policy
by hand. Random band tables (gaps, overlaps, rows that never match, every hit policy) and random
(sufficient, applicable) pairs with sample sizes up to thousands."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine.engine import bulk, rule_engine
from ratings_engine.engine.decide import DecisionTableError, compile_rulebook
from ratings_engine.io.rulebooks import load_rulebook, rulebook_from_mapping
from tests.oracles import LADDER
from tests.test_margins import band_table

BASE = load_rulebook("probation-pdu-2021")
HOLDS = {"min": lambda p, b: p >= b, "above": lambda p, b: p > b, "max": lambda p, b: p <= b,
         "below": lambda p, b: p < b}


def _expected(table: dict, s: int, a: int) -> str | None:
    """The rating the table gives s of a (exact percentage); None for a gap or a 'unique' overlap."""
    pct = Fraction(100 * s, a)
    rows = [r for r in table["rows"] if all(HOLDS[k](pct, Fraction(Decimal(r[k]))) for k in HOLDS if k in r)]
    if not rows or (table["hit_policy"] == "unique" and len(rows) > 1):
        return None
    if table["hit_policy"] == "priority":
        return min((r["then"] for r in rows), key=LADDER.index)
    return rows[0]["then"]


def _rulebook(table: dict):
    data = BASE.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["key_question_bands"] = table
    data["policies"]["rounding"]["value"] = "exact"
    return rulebook_from_mapping(data, "<test>")


sizes = st.one_of(st.integers(1, 40), st.integers(41, 5000))


@st.composite
def sample(draw):
    pairs = []
    for a in draw(st.lists(sizes, min_size=1, max_size=6)):
        pairs += [(draw(st.integers(0, a)), a) for _ in range(draw(st.integers(1, 30)))]
        pairs += [(s, a) for s in (0, a, a // 2, (4 * a) // 5, (13 * a) // 20) if draw(st.booleans())]
    return sorted(set(pairs))


@settings(max_examples=150, deadline=None)
@given(table=band_table(), pairs=sample())
def test_bands_by_piece_equal_the_band_table_applied_by_hand(table, pairs):
    compiled = compile_rulebook(_rulebook(table))
    s = np.array([p[0] for p in pairs], dtype=np.int64)
    a = np.array([p[1] for p in pairs], dtype=np.int64)
    expected = [_expected(table, x, y) for x, y in pairs]
    if None in expected:
        with pytest.raises(DecisionTableError):
            bulk._band_ranks(compiled, s, a)
        return
    got = bulk._band_ranks(compiled, s, a)
    assert [LADDER[r] for r in got.tolist()] == expected


def test_a_gap_names_the_pairs_own_percentage_not_a_pieces():
    table = {"hit_policy": "unique", "provenance": {"grade": "uncertain", "source": "test"},
             "rows": [{"id": "low", "then": "Inadequate", "below": "50"},
                      {"id": "high", "then": "Good", "min": "60"}]}
    compiled = compile_rulebook(_rulebook(table))
    s = np.array([1, 2, 3, 11, 12, 13, 14])  # 11/20 = 55% falls in the gap [50, 60)
    a = np.array([20] * 7)
    with pytest.raises(DecisionTableError, match=r"a percentage of 55%"):
        bulk._band_ranks(compiled, s, a)


def test_a_thousand_pairs_in_four_pieces_are_four_decisions():
    table = {"hit_policy": "first", "provenance": {"grade": "uncertain", "source": "test"},
             "rows": [{"id": "top", "then": "Outstanding", "min": "80"}, {"id": "mid", "then": "Good", "min": "33.33"},
                      {"id": "rest", "then": "Inadequate"}]}
    compiled = compile_rulebook(_rulebook(table))
    a = np.arange(1000, 2000)
    s = a // 2  # between 33.33 and 80 (open), whatever a: one piece
    s[:10] = 0  # the cut 0
    s[10:20] = a[10:20]  # the cut 100
    s[20:30] = a[20:30] // 10  # (0, 33.33)
    rule_engine._memo[compiled.key_question_bands.ruleset].clear()  # whatever ran before in this process
    before = rule_engine.stats()["facts_asserted"]
    ranks = bulk._band_ranks(compiled, s, a)
    assert rule_engine.stats()["facts_asserted"] - before == 4
    assert ranks[:10].tolist() == [0] * 10 and ranks[10:20].tolist() == [3] * 10
    assert ranks[20:30].tolist() == [0] * 10 and set(ranks[30:].tolist()) == {2}
