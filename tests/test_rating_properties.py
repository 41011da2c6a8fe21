"""Invariants of rating, checked with hypothesis over generated case DataFrames.

Each example is a random set of units, cases and answers (in the usual spellings) for a random
subset of the case standards, with random judgements, rated under one of several rulebook
variants (the shipped one, other rounding and no-applicable policies, a limit switched on).
"""
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from oracles import kq_band, rate_pdu_unit_by_hand

from ratings_engine import NOT_INSPECTED, load_rulebook, rate
from ratings_engine.io.rulebooks import with_changes

SHIPPED = load_rulebook()
VARIANTS = {
    "shipped": SHIPPED,
    "nearest": with_changes(SHIPPED, ["policies.rounding.value=nearest_whole_percent"]),
    "not-rated": with_changes(SHIPPED, ["policies.no_applicable_cases.value=standard_not_rated",
                                          "policies.minimum_applicable.value=3"]),
    "limit": with_changes(SHIPPED, ["overall.limits.rows[no-outstanding-with-inadequate].enabled=true"]),
}
#: Each variant's policies, written by hand for the independent implementation (tests/oracles.py).
POLICIES = {
    "shipped": {},
    "nearest": {"rounding": "nearest_whole_percent"},
    "not-rated": {"no_applicable_cases": "standard_not_rated", "minimum_applicable": 3},
    "limit": {"no_outstanding_with_inadequate": True},
}
VARIANT_OF = {rb.sha256: name for name, rb in VARIANTS.items()}
CASE_STANDARDS = ("2.1", "2.2", "2.3", "2.4", "2.5")
JUDGEMENT_STANDARDS = ("1.1", "1.2", "1.3", "1.4")
SPELLINGS = {"yes": ("yes", "Y", "Sufficient", "YES"), "no": ("no", "N", "insufficient"),
             "n/a": ("n/a", "NA", "Not applicable", "n.a.")}
MEANING = {spelt: code for code, spelt_all in SPELLINGS.items() for spelt in spelt_all}
PROPERTY_SETTINGS = settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow])

answer = st.sampled_from(["yes", "yes", "no", "n/a"]).flatmap(lambda code: st.sampled_from(SPELLINGS[code]))


@st.composite
def evidence(draw, max_units: int = 3, max_cases: int = 9):
    """(cases DataFrame, judgements DataFrame, rulebook, allow_partial)."""
    standards = sorted(draw(st.sets(st.sampled_from(CASE_STANDARDS), min_size=1, max_size=3)))
    kqs = [f"{s}.{k}" for s in standards for k in (1, 2, 3)]
    units = [f"unit-{u}" for u in range(draw(st.integers(1, max_units)))]
    rows, judgement_rows = [], []
    for unit in units:
        for c in range(draw(st.integers(1, max_cases))):
            cells = draw(st.lists(answer, min_size=len(kqs), max_size=len(kqs)))
            rows.append({"case_id": f"{unit}-case-{c}", "unit": unit, **dict(zip(kqs, cells))})
        for sid in JUDGEMENT_STANDARDS:
            rating = draw(st.sampled_from(SHIPPED.ratings + (NOT_INSPECTED, None)))
            if rating is not None:  # None: judgement missing
                judgement_rows.append({"standard": sid, "rating": rating, "unit": unit})
    cases = pd.DataFrame(rows, columns=["case_id", "unit", *kqs])
    judgements = pd.DataFrame(judgement_rows, columns=["standard", "rating", "unit"])
    rulebook = VARIANTS[draw(st.sampled_from(sorted(VARIANTS)))]
    return cases, judgements, rulebook, draw(st.booleans())


def rate_all(cases, judgements, rulebook, allow_partial, **options):
    return rate(cases, rulebook, judgements=judgements if len(judgements) else None,
                allow_partial=allow_partial, **options)


def margins(decision):
    return tuple(None if m is None else (m.to, m.amount) for m in (decision.margin_up, decision.margin_down))


def ratings_view(report) -> dict:
    """Everything a rating depends on, without the not-applicable counts and wording."""
    view = {}
    for u in report.units:
        o = u.overall
        view[u.unit] = {
            "overall": (o.rating, o.score, o.max_score, o.scored, o.status, o.decision.rule, margins(o.decision),
                        o.limit.rule if o.limit else None),
            "standards": [(s.id, s.rating, s.score, s.deciding_key_question, margins(s.decision),
                           [(k.id, k.sufficient, k.insufficient, k.pct, k.rating, k.decision.rule, margins(k.decision))
                            for k in s.key_questions if k.rating is not None])
                          for s in u.standards],
        }
    return view


def rank(rulebook, rating):
    return rulebook.rank(rating)


# ---------------------------------------------------------------------------------------------


def counts(cases: pd.DataFrame, unit: str, column: str) -> tuple[int, int]:
    """(sufficient, applicable) of one key question of one unit, counted here from the answers."""
    codes = [MEANING[v] for v in cases.loc[cases["unit"] == unit, column]]
    return codes.count("yes"), codes.count("yes") + codes.count("no")


@PROPERTY_SETTINGS
@given(data=st.data(), example=evidence())
def test_one_more_sufficient_case_never_lowers_any_rating(data, example):
    cases, judgements, rulebook, allow_partial = example
    kq_columns = list(cases.columns[2:])
    insufficient = [(r, c) for r in range(len(cases)) for c in kq_columns if MEANING[cases.at[r, c]] == "no"]
    assume(insufficient)
    row, column = data.draw(st.sampled_from(insufficient), label="converted cell")
    better = cases.copy()
    better.at[row, column] = data.draw(st.sampled_from(SPELLINGS["yes"]), label="spelt")
    before = rate_all(cases, judgements, rulebook, allow_partial)
    after = rate_all(better, judgements, rulebook, allow_partial)
    unit_of_change = cases.at[row, "unit"]
    rounding = POLICIES[VARIANT_OF[rulebook.sha256]].get("rounding", "exact")
    for b, a in zip(before.units, after.units):
        assert b.unit == a.unit
        for sb, sa in zip(b.standards, a.standards):
            assert sb.rated == sa.rated  # applicable counts do not change, nor does rated-ness
            if sb.rated:
                assert rank(rulebook, sa.rating) >= rank(rulebook, sb.rating), (sb.id, sb.rating, sa.rating)
            for kb, ka in zip(sb.key_questions, sa.key_questions):
                assert (kb.rating is None) == (ka.rating is None)
                if kb.rating is None:
                    continue
                assert rank(rulebook, ka.rating) >= rank(rulebook, kb.rating)
                if b.unit == unit_of_change and kb.id == column:
                    # one more sufficient case, same sample: the band of s + 1 of a, worked out by hand
                    s, applicable = counts(cases, b.unit, column)
                    assert (kb.sufficient, kb.applicable) == (s, applicable)
                    assert (kb.rating, ka.rating) == (kq_band(s, applicable, rounding), kq_band(s + 1, applicable, rounding))
                else:
                    assert ka.rating == kb.rating
        assert a.overall.status == b.overall.status
        assert a.overall.score >= b.overall.score
        if b.overall.rating is not None:
            assert rank(rulebook, a.overall.rating) >= rank(rulebook, b.overall.rating)


@PROPERTY_SETTINGS
@given(data=st.data(), example=evidence())
def test_row_and_column_order_never_change_anything(data, example):
    cases, judgements, rulebook, allow_partial = example
    row_order = data.draw(st.permutations(range(len(cases))), label="row order")
    kq_order = data.draw(st.permutations(list(cases.columns[2:])), label="column order")
    shuffled = cases.iloc[list(row_order)][["unit", *kq_order, "case_id"]].reset_index(drop=True)
    before = rate_all(cases, judgements, rulebook, allow_partial)
    after = rate_all(shuffled, judgements, rulebook, allow_partial)
    assert {u.unit: u.to_dict() for u in before.units} == {u.unit: u.to_dict() for u in after.units}


@PROPERTY_SETTINGS
@given(data=st.data(), example=evidence())
def test_adding_not_applicable_answers_changes_nothing(data, example):
    cases, judgements, rulebook, allow_partial = example
    kq_columns = list(cases.columns[2:])
    units = list(dict.fromkeys(cases["unit"]))
    extra = []
    for unit in units:  # new cases answering n/a to everything
        for c in range(data.draw(st.integers(0, 3), label=f"n/a cases for {unit}")):
            extra.append({"case_id": f"{unit}-extra-{c}", "unit": unit,
                          **{k: data.draw(st.sampled_from(SPELLINGS["n/a"])) for k in kq_columns}})
    more = pd.concat([cases, pd.DataFrame(extra, columns=cases.columns)], ignore_index=True)
    absent = [s for s in CASE_STANDARDS if f"{s}.1" not in kq_columns]
    for standard in data.draw(st.sets(st.sampled_from(absent)) if absent else st.just(set()), label="n/a standards"):
        for k in (1, 2, 3):  # a not-inspected standard's columns, all n/a
            more[f"{standard}.{k}"] = data.draw(st.sampled_from(SPELLINGS["n/a"]))
    before = rate_all(cases, judgements, rulebook, allow_partial)
    after = rate_all(more, judgements, rulebook, allow_partial)
    assert ratings_view(after) == ratings_view(before)


@PROPERTY_SETTINGS
@given(example=evidence())
def test_overall_score_is_the_sum_of_the_scored_standards(example):
    """Standard ratings, scores, maxima and overall ratings equal an independent implementation's.

    tests/oracles.py rates each unit from its answers by hand (counting, exact fractions, the
    lowest key question, scores 3/2/1/0, the mean-score cuts), with the variant's policies.
    """
    cases, judgements, rulebook, allow_partial = example
    policies = POLICIES[VARIANT_OF[rulebook.sha256]]
    for u in rate_all(cases, judgements, rulebook, allow_partial).units:
        own = cases[cases["unit"] == u.unit]
        answers = {c: [MEANING[v] for v in own[c]] for c in cases.columns[2:]}
        given_ratings = {r["standard"]: r["rating"] for _, r in judgements[judgements["unit"] == u.unit].iterrows()}
        expected = rate_pdu_unit_by_hand(answers, {s: given_ratings.get(s) for s in JUDGEMENT_STANDARDS},
                                         allow_partial=allow_partial, **policies)
        assert {s.id: s.rating for s in u.standards} == expected["standards"]
        assert {s.id: s.score for s in u.standards if s.score is not None} == {
            sid: {"Outstanding": 3, "Good": 2, "Requires improvement": 1, "Inadequate": 0}[r]
            for sid, r in expected["standards"].items() if r not in (None, NOT_INSPECTED)}
        o = u.overall
        assert (o.score, o.scored, o.max_score) == (expected["score"], expected["scored"], expected["max_score"])
        assert (o.rating, o.status) == (expected["overall"], expected["status"])
        assert list(o.missing_judgements) == expected["missing"]
        assert o.no_case_ratings == expected["no_cases"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=evidence(max_units=4))
def test_many_units_in_one_call_equal_each_unit_rated_alone(example):
    cases, judgements, rulebook, allow_partial = example
    together = rate_all(cases, judgements, rulebook, allow_partial)
    assert [u.unit for u in together.units] == list(dict.fromkeys(cases["unit"]))
    for u in together.units:
        own_rows = cases[cases["unit"] == u.unit].reset_index(drop=True)
        # the whole judgements file (other units' rows are reported unused), unless it names
        # nothing for this unit: a judgements file for none of the rated units is an input error
        own_judgements = judgements if (judgements["unit"] == u.unit).any() else judgements.iloc[0:0]
        (alone,) = rate_all(own_rows, own_judgements, rulebook, allow_partial).units
        (chosen,) = rate_all(cases, own_judgements, rulebook, allow_partial, unit=u.unit).units
        assert alone.to_dict() == u.to_dict()
        assert chosen.to_dict() == u.to_dict()
