"""The array path's own machinery, with expected values written here: the distinct-row index, the
sparse and dense key-question tables, count rules on named standards, and the array builders."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine import api
from ratings_engine.engine import bulk
from ratings_engine.engine.bulk import Layout
from ratings_engine.engine.decide import compile_rulebook
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.audit import Audit
from ratings_engine.model.errors import InputError
from ratings_engine.model.evidence import Judgement, Judgements

BASE = load_rulebook("probation-pdu-2021")
COUNTS = load_rulebook("experimental-count-caps")
GATE = "overall.limits.rows[gate-inadequate-caps-ri].counts[0]"


# ---------------------------------------------------------------------------------------------
# Distinct rows: an index into the distinct (score, scored, counts...) inputs


def _oracle_distinct(rows: list[tuple[int, ...]]) -> set[tuple[int, ...]]:
    return set(rows)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(lambda width: st.lists(
    st.tuples(*[st.one_of(st.integers(0, 3), st.integers(0, 40), st.integers(0, 2 ** 40))] * width),
    min_size=1, max_size=30)))
def test_distinct_rows_are_exactly_the_distinct_inputs_and_index_back_to_every_row(rows):
    array = np.array(rows, dtype=np.int64)
    distinct, inverse = bulk._distinct_rows(array)
    as_tuples = [tuple(int(x) for x in r) for r in distinct]
    assert len(as_tuples) == len(set(as_tuples)) == len(_oracle_distinct(rows))
    assert set(as_tuples) == _oracle_distinct(rows)
    assert [as_tuples[i] for i in inverse] == rows


def test_distinct_rows_that_a_too_small_radix_would_merge():
    # (0, 1) and (1, 0): with a radix of a column's maximum instead of maximum + 1 both keys are 1.
    distinct, inverse = bulk._distinct_rows(np.array([[0, 1], [1, 0], [0, 1], [2, 5]]))
    assert sorted(map(tuple, distinct.tolist())) == [(0, 1), (1, 0), (2, 5)]
    assert distinct[inverse].tolist() == [[0, 1], [1, 0], [0, 1], [2, 5]]


def test_distinct_rows_with_a_radix_per_column_not_per_row():
    # Radices from each column's maximum (3, 6): keys 5, 6, 13. Taken per row instead (6, 2, 3),
    # the second column's radix would be 2 and (0, 5) and (2, 1) would share the key 5.
    rows = np.array([[0, 5], [1, 0], [2, 1]])
    distinct, inverse = bulk._distinct_rows(rows)
    assert sorted(map(tuple, distinct.tolist())) == [(0, 5), (1, 0), (2, 1)]
    assert distinct[inverse].tolist() == rows.tolist()


def test_distinct_rows_beyond_a_64_bit_key_are_found_by_sorting():
    big = 1 << 40  # three columns of 2**40: the mixed-radix key would need 120 bits
    rows = np.array([[big, 0, big], [big, 0, big], [0, big, 1], [big, 0, big - 1]])
    distinct, inverse = bulk._distinct_rows(rows)
    assert sorted(map(tuple, distinct.tolist())) == sorted({(big, 0, big), (0, big, 1), (big, 0, big - 1)})
    assert distinct[inverse].tolist() == rows.tolist()


# ---------------------------------------------------------------------------------------------
# Key-question codes: the dense table and the sorted pairs agree


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=40))
def test_dense_and_sorted_key_question_tables_give_the_same_codes(pairs):
    compiled = compile_rulebook(BASE)
    a = np.array([[max(x, y)] for x, y in pairs], dtype=np.int64)
    s = np.array([[min(x, y)] for x, y in pairs], dtype=np.int64)
    present = np.ones_like(s, dtype=bool)
    dense = bulk.key_question_codes(compiled, s, a, present)
    limit = bulk._DENSE_LIMIT
    try:
        bulk._DENSE_LIMIT = 0
        sorted_pairs = bulk.key_question_codes(compiled, s, a, present)
    finally:
        bulk._DENSE_LIMIT = limit
    np.testing.assert_array_equal(dense, sorted_pairs)
    # and both are the published bands: 80 / 65 / 50 per cent, minimum one applicable case
    expected = [-1 if y == 0 else 3 if 100 * x >= 80 * y else 2 if 100 * x >= 65 * y else 1 if 100 * x >= 50 * y else 0
                for x, y in zip(s[:, 0], a[:, 0])]
    assert dense[:, 0].tolist() == expected


# ---------------------------------------------------------------------------------------------
# Count rules on named standards (the experiment's gate): each listed standard counts once per listing


def _one_unit(rulebook):
    """2.2 Inadequate (0 of 10 on each key question), every other standard Outstanding."""
    rows = []
    for std in rulebook.standards:
        if std.rated_by == "cases":
            for kq in std.key_questions:
                s = 0 if std.id == "2.2" else 10
                rows.append(("u", kq.id, s, 10 - s, 0, 10))
    tallies = pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable",
                                          "applicable"])
    items = tuple(Judgement("u", s.id, "Outstanding", None, "<test>", i + 2)
                  for i, s in enumerate(rulebook.standards) if s.rated_by == "judgement")
    return tallies, Judgements(items, "<test>", None, Audit("<test>"))


@pytest.mark.parametrize("changes, expected", [
    # score 24 of 27, one Inadequate: count-outstanding fails, overall-good; the gate (one Inadequate
    # among 2.2 and 2.4) caps at Requires improvement
    ([], "Requires improvement"),
    ([f"{GATE}.min=2"], "Good"),  # one Inadequate among the gate standards is not two
    ([f"{GATE}.min=2", f"{GATE}.standards=['2.2', '2.2']"], "Requires improvement"),  # listed twice, counted twice
    ([f"{GATE}.standards=['2.4']"], "Good"),  # 2.4 is Outstanding
])
def test_count_rules_on_named_standards_in_bulk(changes, expected):
    from ratings_engine.rating.bulk import rate_bulk

    rulebook = with_changes(COUNTS, changes) if changes else COUNTS
    tallies, judged = _one_unit(rulebook)
    frame = rate_bulk(tallies, rulebook, judged, units=["u"]).overall_frame()
    assert (frame.loc[0, "rating"], int(frame.loc[0, "score"])) == (expected, 24)


# ---------------------------------------------------------------------------------------------
# The array builders


def test_tallies_naming_a_key_question_the_rulebook_lacks_are_refused():
    first = BASE.key_question_ids[0]  # at position 0 of the layout: known, not refused
    tallies = pd.DataFrame([("u", first, 1, 1, 0, 2), ("u", "9.9.9", 1, 0, 0, 1), ("u", "8.8.8", 1, 0, 0, 1)],
                           columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable"])
    with pytest.raises(InputError, match=r"key question '9\.9\.9' is not in rulebook probation-pdu-2021"):
        bulk.arrays_from_tallies(tallies, BASE)  # the first unknown one is named
    assert bulk.arrays_from_tallies(tallies.iloc[:1], BASE).present.sum() == 1


def test_builders_without_a_layout_make_their_own():
    tallies = pd.DataFrame([("b", "2.2.1", 1, 1, 0, 2), ("a", "2.2.2", 3, 0, 1, 3)],
                           columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable"])
    arrays = bulk.arrays_from_tallies(tallies, BASE, units=["c"])
    assert arrays.units == ["b", "a", "c"]  # first seen, then the extra units
    kq = BASE.key_question_ids
    assert (int(arrays.sufficient[0, kq.index("2.2.1")]), int(arrays.applicable[0, kq.index("2.2.1")])) == (1, 2)
    assert (int(arrays.sufficient[1, kq.index("2.2.2")]), int(arrays.applicable[1, kq.index("2.2.2")])) == (3, 3)
    assert arrays.present.sum() == 2 and not arrays.present[2].any()
    judged = Judgements((Judgement(None, "1.1", "Good", None, "<test>", 2), Judgement("a", "1.1", "Inadequate", None, "<test>", 3)),
                        "<test>", None, Audit("<test>"))
    codes = bulk.judgement_codes(BASE, judged, ["a", "b"])
    assert codes[:, 0].tolist() == [0, 2]  # a: its own row wins over the row for every unit; b: Good
    assert (codes[:, 1:] == bulk.MISSING).all()


def test_case_matrices_group_each_units_cases_in_input_order():
    frame = pd.DataFrame({"case_id": ["c1", "c2", "c3", "c4", "c5"], "unit": ["B", "A", "B", "C", "A"],
                          "2.2.1": ["yes", "no", "no", "yes", "n/a"], "2.2.2": ["no", "yes", "yes", "yes", "yes"],
                          "2.2.3": ["yes", "yes", "n/a", "no", "no"]})
    evidence = api.load_cases(frame, BASE)
    matrices = bulk.case_matrices(evidence, BASE)  # no layout: made from the rulebook
    assert [m.unit for m in matrices] == ["B", "A", "C"]
    cols = [BASE.key_question_ids.index(k) for k in ("2.2.1", "2.2.2", "2.2.3")]
    assert [m.answers[:, cols].tolist() for m in matrices] == [
        [[1, 0, 1], [0, 1, -1]],  # c1, c3
        [[0, 1, 1], [-1, 1, 0]],  # c2, c5
        [[1, 1, 0]],  # c4
    ]
    assert matrices[1].sufficient[cols].tolist() == [0, 2, 1] and matrices[1].applicable[cols].tolist() == [1, 2, 2]
    assert matrices[0].present[cols].all() and matrices[0].present.sum() == 3


# ---------------------------------------------------------------------------------------------
# Sample-size rules on arrays: the documented status codes, limits given alone, the not_rated policy

YOUTH = load_rulebook("youth-justice-2025")
CHILD_KQS = ["2.1.1", "2.1.2", "2.1.3", "2.1.4"]


def _children(sizes: dict[str, int]) -> pd.DataFrame:
    rows = [(unit, kq, n, 0, 0, n) for unit, n in sizes.items() for kq in CHILD_KQS]
    return pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable", "applicable"])


@pytest.mark.parametrize("changes, expected", [
    # the shipped limits, children 14-91: none, below, within, at the minimum, above (victims: no evidence)
    ([], [-2, -1, 0, 0, 1]),
    (["policies.sample_sizes.samples[children].max=null"], [-2, -1, 0, 0, 0]),  # a minimum alone is still checked
    (["policies.sample_sizes.samples[children].min=null"], [-2, 0, 0, 0, 1]),  # a maximum alone too
    (["policies.sample_sizes.samples[children].min=null", "policies.sample_sizes.samples[children].max=null"],
     [-2, -2, -2, -2, -2]),  # no limit: the sample is described, not checked
])
def test_sample_status_codes_per_unit(changes, expected):
    from ratings_engine.rating.bulk import rate_bulk

    rulebook = with_changes(YOUTH, changes) if changes else YOUTH
    units = ["none", "below", "within", "at-minimum", "above"]
    report = rate_bulk(_children({"below": 10, "within": 20, "at-minimum": 14, "above": 95}), rulebook, None,
                       units=units, allow_partial=True)
    children, victims = (s.id for s in rulebook.policies.sample_sizes.samples)
    assert (children, victims) == ("children", "victims")
    assert dict(zip(report.units, report.ratings.samples[:, 0].tolist())) == dict(zip(units, expected))
    assert report.ratings.samples[:, 1].tolist() == [-2] * 5


def test_the_not_rated_policy_unrates_only_the_samples_standards_in_bulk():
    from ratings_engine.rating.bulk import rate_bulk

    rulebook = with_changes(YOUTH, ["policies.sample_sizes.below_minimum.value=not_rated"])
    ratings = rate_bulk(_children({"below": 10, "within": 20}), rulebook, None, units=["below", "within"],
                        allow_partial=True).ratings
    col = [s.id for s in rulebook.standards].index("2.1")
    outstanding = rulebook.rank("Outstanding")  # every case sufficient
    assert ratings.standards[:, col].tolist() == [bulk.NOT_RATED, outstanding]
    kq = [rulebook.key_question_ids.index(k) for k in CHILD_KQS]
    assert ratings.key_questions[0, kq].tolist() == [outstanding] * 4  # the key questions keep their bands
