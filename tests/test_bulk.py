"""Bulk evaluation (arrays) equals one-by-one rating through `rate_tallies`, for random rulebook
variants and random evidence; the bootstrap's counts equal rating each resample one by one."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings_engine.engine import bulk, rule_engine
from ratings_engine.engine.bulk import MISSING, NOT_RATED, CaseMatrix, Layout
from ratings_engine.engine.decide import KeyQuestionInput, compile_rulebook
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.audit import Audit
from ratings_engine.model.errors import InputError
from ratings_engine.model.evidence import Judgement, Judgements
from ratings_engine.model.rulebook import NOT_INSPECTED
from ratings_engine.rating.bulk import codes_of_results, rate_bulk, same
from ratings_engine.rating.rate import rate_tallies
from ratings_engine.toolkit.confidence import bootstrap, resample_counts

BASE = load_rulebook("probation-pdu-2021")
#: Same framework and key-question bands; count rules in the bands and a gate limit on named standards.
COUNTS = load_rulebook("experimental-count-caps")
LAYOUT = Layout(BASE)
CASE_STANDARDS = [s for s in BASE.standards if s.rated_by == "cases"]
JUDGED = [s.id for s in BASE.standards if s.rated_by == "judgement"]


# ---------------------------------------------------------------------------------------------
# Strategies


@st.composite
def variants(draw):
    """A valid rulebook variant: band thresholds (kept gap-free), rounding, policies, a limit, of
    either the PDU rulebook or its count-rule experiment (count conditions, a gate on named standards)."""
    ri = draw(st.integers(100, 276)) / 4  # 25.00 .. 69.00 in quarter points
    good = draw(st.integers(int(ri * 4) + 1, 316)) / 4
    top = draw(st.integers(int(good * 4) + 1, 400)) / 4
    sets = [
        f"key_question_bands.rows[kq-outstanding].min={top}",
        f"key_question_bands.rows[kq-good].below={top}",
        f"key_question_bands.rows[kq-good].min={good}",
        f"key_question_bands.rows[kq-requires-improvement].below={good}",
        f"key_question_bands.rows[kq-requires-improvement].min={ri}",
        f"key_question_bands.rows[kq-inadequate].below={ri}",
        f"policies.rounding.value={draw(st.sampled_from(['exact', 'nearest_whole_percent', 'truncate_whole_percent']))}",
        f"policies.no_applicable_cases.value={draw(st.sampled_from(['skip_key_question', 'standard_not_rated']))}",
        f"policies.minimum_applicable.value={draw(st.integers(1, 4))}",
        f"overall.bands.rows[overall-requires-improvement].mean_max={draw(st.sampled_from([1.25, 1.5, 1.75]))}",
    ]
    if draw(st.booleans()):
        sets.append("overall.limits.rows[no-outstanding-with-inadequate].enabled=true")
        sets.append(f"overall.limits.rows[no-outstanding-with-inadequate].cap="
                    f"{draw(st.sampled_from(['Good', 'Requires improvement']))}")
    if draw(st.booleans()):
        sets.append("framework[1].standards[0].scored=false")  # court work rated, not scored
    if draw(st.booleans()):
        sets.append("framework[0].standards[3].scored=false")  # a judgement standard rated, not scored
    return with_changes(draw(st.sampled_from([BASE, COUNTS])), sets)


@st.composite
def corpora(draw, max_units=4, max_cases=14):
    """Tallies, judgements and units: some standards absent, some key questions all n/a."""
    n_units = draw(st.integers(1, max_units))
    units = [f"u{i}" for i in range(n_units)]
    rows, items = [], []
    for unit in units:
        for std in CASE_STANDARDS:
            if draw(st.integers(0, 4)) == 0:
                continue  # not inspected in this unit
            for kq in std.key_questions:
                applicable = draw(st.integers(0, max_cases))
                s = draw(st.integers(0, applicable))
                na = draw(st.integers(0, 3))
                rows.append((unit, kq.id, s, applicable - s, na, applicable))
        for i, sid in enumerate(JUDGED):
            pick = draw(st.integers(0, 6))
            if pick < 4:
                items.append(Judgement(unit, sid, BASE.ratings[pick], None, "<test>", i + 2))
            elif pick == 4:
                items.append(Judgement(unit, sid, NOT_INSPECTED, None, "<test>", i + 2))
            # else: judgement missing
    tallies = pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable",
                                          "applicable"])
    given = Judgements(tuple(items), "<test>", None, Audit("<test>")) if draw(st.booleans()) else None
    return tallies, given, units


# ---------------------------------------------------------------------------------------------
# bulk == one by one


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rb=variants(), corpus=corpora(), allow_partial=st.booleans())
def test_bulk_equals_one_by_one(rb, corpus, allow_partial):
    tallies, given, units = corpus
    reference = rate_tallies(tallies, rb, given, allow_partial=allow_partial, units=units)
    expected = codes_of_results(reference, rb)
    report = rate_bulk(tallies, rb, given, allow_partial=allow_partial, units=units)
    assert report.units == [r.unit for r in reference]
    for field in ("key_questions", "standards", "overall", "score", "scored", "partial"):
        np.testing.assert_array_equal(getattr(report.ratings, field), getattr(expected, field), err_msg=field)
    assert list(report.ratings.status()) == [r.overall.status for r in reference]


@st.composite
def unit_cases(draw):
    n = draw(st.integers(1, 25))
    weights = draw(st.sampled_from([(1, 1, 1), (4, 1, 1), (1, 4, 1), (1, 1, 4), (3, 2, 0)]))
    codes = np.array([1, 0, -1], dtype=np.int8)
    p = np.array(weights, dtype=float) / sum(weights)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    answers = rng.choice(codes, size=(n, len(LAYOUT.key_questions)), p=p).astype(np.int8)
    present = np.ones(len(LAYOUT.key_questions), dtype=bool)
    present[[LAYOUT.kq_index[k.id] for k in CASE_STANDARDS[0].key_questions]] = draw(st.booleans())
    return answers, present


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rb=variants(), cases=unit_cases(), seed=st.integers(0, 10**6), allow_partial=st.booleans(),
       judged=st.lists(st.integers(-2, 3), min_size=len(JUDGED), max_size=len(JUDGED)))
def test_bootstrap_counts_equal_rating_each_resample(rb, cases, seed, allow_partial, judged):
    answers, present = cases
    matrix = CaseMatrix("Unit A", answers, present)
    resamples = 6
    codes = np.array([judged], dtype=np.int64)
    kq_counts, std_counts, overall_counts = bootstrap(rb, [matrix], codes, resamples=resamples, seed=seed,
                                                      allow_partial=allow_partial)[0]
    # One by one: each resample's tallies through rate_tallies.
    suff, appl = resample_counts(matrix, resamples, seed)
    items = tuple(Judgement("Unit A", sid, NOT_INSPECTED if c == NOT_RATED else rb.ratings[c], None, "<t>", 2)
                  for sid, c in zip(JUDGED, judged) if c != MISSING)
    given = Judgements(items, "<t>", None, Audit("<t>"))
    width = len(rb.ratings) + 2
    kq_ref = np.zeros_like(kq_counts)
    std_ref = np.zeros_like(std_counts)
    overall_ref = np.zeros_like(overall_counts)
    for r in range(resamples):
        rows = [("Unit A", k, int(suff[r, i]), int(appl[r, i] - suff[r, i]), 0, int(appl[r, i]))
                for i, k in enumerate(LAYOUT.key_questions) if present[i]]
        tallies = pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable",
                                              "applicable"])
        ref = codes_of_results(rate_tallies(tallies, rb, given, allow_partial=allow_partial, units=["Unit A"]), rb)
        for i, c in enumerate(ref.key_questions[0]):
            kq_ref[i, c + 2] += 1
        for i, c in enumerate(ref.standards[0]):
            std_ref[i, c + 2] += 1
        overall_ref[ref.overall[0] + 2] += 1
    assert kq_counts.shape == (len(LAYOUT.key_questions), width)
    np.testing.assert_array_equal(kq_counts, kq_ref)
    np.testing.assert_array_equal(std_counts, std_ref)
    np.testing.assert_array_equal(overall_counts, overall_ref)


# ---------------------------------------------------------------------------------------------
# Decisions come from the rule engine, once per distinct input


def _forget(compiled):
    """Clear the adapter's memo of the band table: what is asserted next does not depend on test order."""
    rule_engine._memo[compiled.key_question_bands.ruleset].clear()


def test_exact_percentages_are_decided_once_per_piece_of_the_band_table():
    rb = with_changes(BASE, ["key_question_bands.rows[kq-good].min=65.01",
                               "key_question_bands.rows[kq-requires-improvement].below=65.01"])
    compiled = compile_rulebook(rb)
    _forget(compiled)
    s = np.array([[13, 13, 7, 20]] * 1000 + [[1, 2, 3, 4]] * 1000)
    a = np.array([[20, 20, 20, 20]] * 1000 + [[20, 20, 20, 20]] * 1000)
    before = rule_engine.stats()["facts_asserted"]
    codes = bulk.key_question_codes(compiled, s, a, np.ones_like(s, dtype=bool))
    asserted = rule_engine.stats()["facts_asserted"] - before
    # cuts 0, 50, 65.01, 80, 100: 65% lies in (50, 65.01); 35, 5, 10, 15, 20% in (0, 50); 100% is a cut
    assert asserted == 3
    good, ri, out, inad = (rb.rank(x) for x in ("Good", "Requires improvement", "Outstanding", "Inadequate"))
    assert codes[0].tolist() == [ri, ri, inad, out]  # 65% is below the 65.01 threshold
    assert codes[1000].tolist() == [inad] * 4
    again = bulk.key_question_codes(compiled, s, a, np.ones_like(s, dtype=bool))
    assert rule_engine.stats()["facts_asserted"] - before == 3  # memoised: nothing new asserted
    np.testing.assert_array_equal(codes, again)
    assert good not in codes


def test_whole_percentages_are_decided_once_per_distinct_percentage():
    rb = with_changes(BASE, ["key_question_bands.rows[kq-good].min=66",
                               "key_question_bands.rows[kq-requires-improvement].below=66",
                               "policies.rounding.value=nearest_whole_percent"])
    compiled = compile_rulebook(rb)
    _forget(compiled)
    s = np.array([[13, 13, 7, 20]] * 1000 + [[1, 2, 3, 4]] * 1000 + [[2, 2, 2, 2]])
    a = np.array([[20, 20, 20, 20]] * 2000 + [[40, 40, 40, 40]])
    before = rule_engine.stats()["facts_asserted"]
    codes = bulk.key_question_codes(compiled, s, a, np.ones_like(s, dtype=bool))
    # 65, 35, 100, 5, 10, 15, 20 per cent; 2 of 40 is 5% again
    assert rule_engine.stats()["facts_asserted"] - before == 7
    ri, out, inad = (rb.rank(x) for x in ("Requires improvement", "Outstanding", "Inadequate"))
    assert codes[0].tolist() == [ri, ri, inad, out]


def test_pairs_fewer_than_their_pieces_are_decided_one_by_one():
    rb = with_changes(BASE, ["key_question_bands.rows[kq-good].min=65.02",
                               "key_question_bands.rows[kq-requires-improvement].below=65.02"])
    compiled = compile_rulebook(rb)
    _forget(compiled)
    s, a = np.array([[1, 3]]), np.array([[2, 4]])  # 50% (a cut) and 75% (in (65.02, 80)): two pieces, two pairs
    before = rule_engine.stats()["facts_asserted"]
    codes = bulk.key_question_codes(compiled, s, a, np.ones_like(s, dtype=bool))
    assert rule_engine.stats()["facts_asserted"] - before == 2
    assert codes[0].tolist() == [rb.rank("Requires improvement"), rb.rank("Good")]
    compiled.band([KeyQuestionInput(1, 2), KeyQuestionInput(3, 4)])
    assert rule_engine.stats()["facts_asserted"] - before == 2  # those were the pairs' own facts, memoised


def test_half_present_standard_is_an_input_error():
    compiled = compile_rulebook(BASE)
    k = len(LAYOUT.key_questions)
    present = np.ones((1, k), dtype=bool)
    present[0, LAYOUT.kq_index["2.2.2"]] = False
    with pytest.raises(InputError, match="2.2 Assessment"):
        bulk.evaluate(compiled, np.zeros((1, k)), np.ones((1, k)), present, np.zeros((1, len(JUDGED))))


def test_example_unit_matches_rate_pdu(example_cases, example_judgements):
    from ratings_engine import api
    from ratings_engine.rating.tally import tally

    report = api.rate(example_cases, judgements=example_judgements)
    evidence = api.load_cases(example_cases, BASE)
    given = api.load_judgements(example_judgements, BASE)
    bulk_report = rate_bulk(tally(evidence), BASE, given, units=evidence.units)
    assert same(bulk_report.ratings, codes_of_results(report.units, BASE))
    frame = bulk_report.overall_frame()
    assert frame.loc[0, "rating"] == "Requires improvement" and frame.loc[0, "score"] == 8
    assert bulk_report.standards_frame().loc[0, "2.1"] == NOT_INSPECTED


# ---------------------------------------------------------------------------------------------
# The array API's own edges, with expected values written here


def arrays(rows: list[dict[str, tuple[int, int]]]):
    """(sufficient, applicable, present) arrays for rows of {key question: (sufficient, applicable)}."""
    k = len(LAYOUT.key_questions)
    s, a, p = np.zeros((len(rows), k), np.int64), np.zeros((len(rows), k), np.int64), np.zeros((len(rows), k), bool)
    for r, row in enumerate(rows):
        for kq, (x, y) in row.items():
            j = LAYOUT.key_questions.index(kq)
            s[r, j], a[r, j], p[r, j] = x, y, True
    return s, a, p


def test_labels_of_every_code_at_every_level():
    assert [bulk.label(BASE, c) for c in (0, 1, 2, 3)] == ["Inadequate", "Requires improvement", "Good", "Outstanding"]
    assert (bulk.label(BASE, NOT_RATED), bulk.label(BASE, MISSING)) == (NOT_INSPECTED, "judgement missing")
    assert (bulk.label(BASE, NOT_RATED, "overall"), bulk.label(BASE, MISSING, "overall")) == (
        "not rated", "no rating (judgements missing)")
    assert (bulk.label(BASE, NOT_RATED, "key_question"), bulk.label(BASE, MISSING, "key_question")) == (
        "not rated", "absent")


def test_bulk_refuses_bad_arrays_and_half_standards():
    compiled = compile_rulebook(BASE)
    judged = np.full(len(JUDGED), 2)
    s, a, p = arrays([{"2.2.1": (1, 2), "2.2.2": (1, 2), "2.2.3": (1, 2)}])
    with pytest.raises(ValueError, match="must both be"):
        bulk.evaluate(compiled, s, a[:, :-1], p, judged)
    with pytest.raises(ValueError, match="must both be"):
        bulk.evaluate(compiled, s[0], a[0], p[0], judged)
    for bad in (-1, 3):  # below 0, above the applicable count
        s2 = s.copy()
        s2[0, LAYOUT.key_questions.index("2.2.1")] = bad
        with pytest.raises(InputError, match="between 0 and the applicable count"):
            bulk.evaluate(compiled, s2, a, p, judged)
    for part in ({"2.2.1": (1, 2)}, {"2.2.1": (1, 2), "2.2.2": (1, 2)}):  # one or two of three
        s3, a3, p3 = arrays([part])
        with pytest.raises(InputError, match="standard 2.2 .* some key questions but not all"):
            bulk.evaluate(compiled, s3, a3, p3, judged)


def test_bulk_overall_without_judgements_is_refused_unless_partial():
    compiled = compile_rulebook(BASE)
    s, a, p = arrays([{"2.2.1": (9, 10), "2.2.2": (9, 10), "2.2.3": (9, 10)}])
    missing = np.full(len(JUDGED), MISSING)
    refused = bulk.evaluate(compiled, s, a, p, missing)  # allow_partial defaults to False
    assert (int(refused.overall[0]), list(refused.status())) == (MISSING, ["incomplete"])
    partial = bulk.evaluate(compiled, s, a, p, missing, allow_partial=True)
    assert (int(partial.overall[0]), list(partial.status()), int(partial.score[0])) == (3, ["partial"], 3)
    nothing = bulk.evaluate(compiled, *arrays([{}]), np.full(len(JUDGED), NOT_RATED))
    assert (int(nothing.overall[0]), list(nothing.status())) == (NOT_RATED, ["not rated"])


def test_bulk_decides_large_samples_beyond_the_dense_table():
    """Applicable counts so large that the (applicable x sufficient) lookup would be too big: found by sorting."""
    compiled = compile_rulebook(BASE)
    big = 1 << 12  # 4096 x 4096 > the dense limit
    s, a, p = arrays([{"2.2.1": (int(big * 0.8), big), "2.2.2": (int(big * 0.8) - 1, big), "2.2.3": (big, big)},
                      {"2.2.1": (1, 2), "2.2.2": (0, 1), "2.2.3": (13, 20)}])
    out = bulk.evaluate(compiled, s, a, p, np.full(len(JUDGED), 2))
    cols = [LAYOUT.key_questions.index(k) for k in ("2.2.1", "2.2.2", "2.2.3")]
    # 3276/4096 = 79.98% Good; 3275/4096 Good; 100% Outstanding | 50% RI, 0% Inadequate, 65% Good
    assert out.key_questions[:, cols].tolist() == [[2, 2, 3], [1, 0, 2]]
