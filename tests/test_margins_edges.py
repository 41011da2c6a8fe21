"""Key-question margins at their edges, against the brute-force oracle (tests/oracles.py): a band
table that is not monotone (a band met again higher up, a lower band at the top), the case counts
other checks ask for (to reach / fall to / drop below a band), the bisection that finds a monotone
table's boundaries whatever the candidates, and which uncovered tally a gap error names."""
from __future__ import annotations

import pandas as pd
import pytest

from ratings_engine.engine.decide import compile_rulebook
from ratings_engine.io.rulebooks import load_rulebook, rulebook_from_mapping
from ratings_engine.model.errors import RulebookError
from ratings_engine.rating import margins
from ratings_engine.rating.rate import rate_tallies

from oracles import GOOD, INAD, KQ_CUTS, OUT, RANK, RI, kq_band, kq_margins

BASE = load_rulebook("probation-pdu-2021").rulebook

#: A zigzag table, written twice by hand: as rulebook rows and as the oracle's cuts (highest first,
#: the first cut at or below the percentage gives the band). Good under 30%, Inadequate 30% to
#: under 50%, Good again 50% to under 70%, Requires improvement from 70%.
ZIGZAG_ROWS = [
    {"id": "kq-low", "below": "30", "then": GOOD},
    {"id": "kq-dip", "min": "30", "below": "50", "then": INAD},
    {"id": "kq-mid", "min": "50", "below": "70", "then": GOOD},
    {"id": "kq-top", "min": "70", "then": RI},
]
ZIGZAG_CUTS = ((RI, 70), (GOOD, 50), (INAD, 30), (GOOD, 0))


def rulebook_with(rows, rounding: str = "exact"):
    data = BASE.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["key_question_bands"]["rows"] = rows
    data["policies"]["rounding"]["value"] = rounding
    return rulebook_from_mapping(data, "<test>")


def as_pair(margin):
    return None if margin is None else (margin.to, margin.amount)


TABLES = {"shipped": (BASE.key_question_bands.model_dump(mode="json", exclude_none=True)["rows"], KQ_CUTS),
          "zigzag": (ZIGZAG_ROWS, ZIGZAG_CUTS)}


def test_the_zigzag_oracle_is_the_table_written_here():
    # 10 applicable cases, by hand: 0-2 sufficient Good, 3-4 Inadequate, 5-6 Good, 7-10 Requires improvement.
    assert [kq_band(s, 10, cuts=ZIGZAG_CUTS) for s in range(11)] == [GOOD] * 3 + [INAD] * 2 + [GOOD] * 2 + [RI] * 4


def test_zigzag_margins_by_hand():
    bands = margins.KeyQuestionBands(compile_rulebook(rulebook_with(ZIGZAG_ROWS)), [(s, 10) for s in range(11)])
    got = {s: tuple(map(as_pair, bands.margins(s, 10))) for s in range(11)}
    # 2 of 10 (Good): nothing higher above (Good again, then RI); fewer sufficient stay Good.
    assert got[2] == (None, None)
    # 4 of 10 (Inadequate): one more case reaches Good at 5; nothing below Inadequate.
    assert got[4] == ((GOOD, 1), None)
    # 6 of 10 (Good, the band met again): nothing higher; two fewer fall to Inadequate at 4.
    assert got[6] == (None, (INAD, 2))
    # 8 of 10 (RI): nothing higher above; the nearest lower band below is Inadequate at 4 (Good is higher).
    assert got[8] == (None, (INAD, 4))


@pytest.mark.parametrize("rounding", ["exact", "nearest_whole_percent", "truncate_whole_percent"])
@pytest.mark.parametrize("table", sorted(TABLES))
def test_margins_and_case_counts_equal_brute_force(table, rounding):
    rows, cuts = TABLES[table]
    sizes = range(1, 23)
    bands = margins.KeyQuestionBands(compile_rulebook(rulebook_with(rows, rounding)),
                                     [(s, a) for a in sizes for s in range(a + 1)])
    for a in sizes:
        line = [RANK[kq_band(t, a, rounding, cuts)] for t in range(a + 1)]
        for s in range(a + 1):
            assert tuple(map(as_pair, bands.margins(s, a))) == kq_margins(s, a, rounding, cuts), (s, a)
            for rank in range(4):
                if line[s] < rank:  # asked only from a band below `rank` (toolkit.validate)
                    # Fewest insufficient -> sufficient that give a band at or above `rank`.
                    reach = next((k for k in range(1, a - s + 1) if line[s + k] >= rank), None)
                    assert bands.cases_to_reach(s, a, rank) == reach, (s, a, rank)
                # Fewest (maybe none) sufficient -> insufficient to a band at or below / below `rank`.
                fall = next((k for k in range(s + 1) if line[s - k] <= rank), None)
                drop = next((k for k in range(s + 1) if line[s - k] < rank), None)
                assert bands.cases_to_fall_to(s, a, rank) == fall, (s, a, rank)
                assert bands.cases_to_drop_below(s, a, rank) == drop, (s, a, rank)


def test_a_monotone_tables_boundaries_are_found_by_bisection_whatever_the_candidates(monkeypatch):
    """The module's promise: for a table proven monotone the boundaries between candidates whose
    ratings differ are bisected through the rules, so margins stay right even if the candidate
    change points were only the two ends of the line."""
    monkeypatch.setattr(margins, "band_change_points", lambda rows, rounding, a: [0, a])
    bands = margins.KeyQuestionBands(compile_rulebook(BASE), [])
    assert bands.monotone
    for a in range(1, 41):
        for s in range(a + 1):
            assert tuple(map(as_pair, bands.margins(s, a))) == kq_margins(s, a), (s, a)


# ---------------------------------------------------------------------------------------------
# A gap in the table: the error names a tally, the same one whatever order the tallies come in

GAPPY = [{"id": "kq-top", "min": "70", "then": GOOD}, {"id": "kq-low", "below": "40", "then": INAD}]


@pytest.mark.parametrize("order", [1, -1])
def test_a_gap_error_names_the_smallest_samples_uncovered_tally_first(order):
    compiled = compile_rulebook(rulebook_with(GAPPY))
    # 6 of 10 (60%) and 5 of 11 (45.45%) both fall in the gap (40% to under 70%); 5 of 10 (50%)
    # too. By sample size, then sufficient cases, 5 of 10 comes first.
    with pytest.raises(RulebookError, match=r"a percentage of 50% \(a gap"):
        margins.KeyQuestionBands(compiled, [(6, 10), (5, 11), (5, 10)][::order])
    with pytest.raises(RulebookError, match=r"a percentage of 60% \(a gap"):
        margins.KeyQuestionBands(compiled, [(5, 11), (6, 10)][::order])
    # The same sample: 5 of 11 (45.45%) before 7 of 11 (63.64%).
    with pytest.raises(RulebookError, match=r"a percentage of 45.45% \(a gap"):
        margins.KeyQuestionBands(compiled, [(7, 11), (5, 11)][::order])


def test_a_gap_met_only_between_the_units_tallies_names_the_smallest_samples_point():
    # Gaps exactly at 25% and at 50% (below / above them, nothing at them). The units' own
    # tallies 6 of 6 and 8 of 8 are covered; on their lines 3 of 6 (50%) and 2 of 8 (25%) are not.
    # By sample size, then sufficient cases, the 6-case line is asked first: 50% is named.
    rows = [{"id": "kq-a", "below": "25", "then": INAD}, {"id": "kq-b", "above": "25", "below": "50", "then": RI},
            {"id": "kq-c", "above": "50", "then": GOOD}]
    with pytest.raises(RulebookError, match=r"a percentage of 50% \(a gap"):
        margins.KeyQuestionBands(compile_rulebook(rulebook_with(rows)), [(8, 8), (6, 6)])
    # One line with both gaps (4, 8, ... 24 cases): the lower count, 25%, is named.
    compiled = compile_rulebook(rulebook_with(rows))
    for a in range(4, 25, 4):
        with pytest.raises(RulebookError, match=r"a percentage of 25% \(a gap"):
            margins.KeyQuestionBands(compiled, [(a, a)])


def test_a_standards_margin_down_is_the_fewest_cases_on_one_key_question_to_the_highest_band_reached():
    # 2.1.1 8 of 10 (80%), 2.1.2 4 of 5 (80%), 2.1.3 20 of 20: all Outstanding. One case fewer
    # gives 7 of 10 (70%, Good) or 3 of 5 (60%, Requires improvement, skipping Good); 2.1.3 needs
    # five (15 of 20, 75%). The fewest is one case, and then the standard is at best Good.
    rows = [("A", "2.1.1", 8, 2, 0), ("A", "2.1.2", 4, 1, 0), ("A", "2.1.3", 20, 0, 0)]
    tallies = pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable"])
    (unit,) = rate_tallies(tallies, BASE, None, allow_partial=True)
    std = unit.standard("2.1")
    assert std.rating == OUT
    assert as_pair(std.decision.margin_down) == (GOOD, 1)
