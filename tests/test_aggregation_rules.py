"""Aggregation beyond sums: count conditions, hit policies and limits express other inspectorates' rules.

Units are constructed from standard ratings (case standards get tallies that the rulebook's own
band table maps to the rating), rated by `rate_tallies` through the compiled rulebook, and
compared with an independent oracle written here.
"""
import functools

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine import NOT_INSPECTED, load_rulebook, rate_tallies
from ratings_engine.io.rulebooks import rulebook_from_mapping
from ratings_engine.model.audit import Audit
from ratings_engine.model.evidence import Judgement, Judgements
from ratings_engine.rating.tally import TALLY_COLUMNS
from ratings_engine.toolkit.scenarios import synthetic_tally

SCORE = {"Inadequate": 0, "Requires improvement": 1, "Good": 2, "Outstanding": 3}
RANK = SCORE  # same order
GATES = ("2.2", "2.4")
MEAN_ROWS = [
    {"id": "overall-inadequate", "mean_max": 0.5, "then": "Inadequate"},
    {"id": "overall-requires-improvement", "mean_max": 1.5, "then": "Requires improvement"},
    {"id": "overall-good", "mean_max": 2.5, "then": "Good"},
    {"id": "overall-outstanding", "then": "Outstanding"},
]
TWO_INADEQUATE = {"id": "two-inadequate", "counts": [{"ratings": ["Inadequate"], "min": 2}], "then": "Inadequate"}
OUTSTANDING_NEEDS = {"id": "outstanding-needs", "counts": [{"ratings": ["Outstanding"], "min": 2},
                                                           {"at_most": "Requires improvement", "max": 0}],
                     "then": "Outstanding"}
GATE_CAP = {"id": "gate-cap", "enabled": True, "cap": "Requires improvement", "description": "gate",
            "counts": [{"ratings": ["Inadequate"], "standards": list(GATES), "min": 1}]}


@functools.cache
def pdu():
    return load_rulebook("probation-pdu-2021")


@functools.cache
def experiment():
    return load_rulebook("experimental-count-caps")


def variant(bands=None, hit_policy="first", limits=None):
    """probation-pdu-2021 with its overall table and limits replaced (built in memory, validated like a file)."""
    data = pdu().model_dump(mode="json", by_alias=True, exclude_none=True)
    if bands is not None:
        data["overall"]["bands"]["rows"] = bands
        data["overall"]["bands"]["hit_policy"] = hit_policy
    if limits is not None:
        data["overall"]["limits"]["rows"] = limits
    return rulebook_from_mapping(data, "<test variant>")


_variants: dict = {}


def cached_variant(name, **kwargs):
    if name not in _variants:
        _variants[name] = variant(**kwargs)
    return _variants[name]


def rate_unit(rb, ratings: dict[str, str]):
    """Rate one unit whose standards have the given ratings ('Not inspected' = no evidence)."""
    rows, items = [], []
    for sid, rating in ratings.items():
        std = rb.standards_by_id[sid]
        if std.rated_by == "judgement":
            items.append(Judgement(None, sid, rating, None, "<test>", 0))
        elif rating != NOT_INSPECTED:
            s, a = synthetic_tally(rb, rating)
            rows += [("U", kq.id, s, a - s, 0, a) for kq in std.key_questions]
    (unit,) = rate_tallies(pd.DataFrame(rows, columns=TALLY_COLUMNS), rb,
                           Judgements(tuple(items), "<test>", None, Audit("<test>")), units=["U"])
    assert {s.id: s.rating for s in unit.standards} == ratings  # the construction itself is right
    return unit


def mean_band(rated: list[str]) -> str:
    mean = sum(SCORE[r] for r in rated) / len(rated)
    return "Inadequate" if mean <= 0.5 else "Requires improvement" if mean <= 1.5 else "Good" if mean <= 2.5 else "Outstanding"


def experiment_oracle(ratings: dict[str, str]) -> str:
    rated = {s: r for s, r in ratings.items() if r != NOT_INSPECTED}
    values = list(rated.values())
    if values.count("Inadequate") >= 2:
        band = "Inadequate"
    elif values.count("Outstanding") >= 2 and all(RANK[r] >= RANK["Good"] for r in values):
        band = "Outstanding"
    else:
        band = min(mean_band(values), "Good", key=RANK.get)
    if any(rated.get(g) == "Inadequate" for g in GATES):
        band = min(band, "Requires improvement", key=RANK.get)
    return band


def unit(**ratings):
    """unit(s1_1="Good", ...) -> {"1.1": "Good", ...}; unnamed standards are Good."""
    base = {s: "Good" for s in ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5")}
    base.update({k[1:].replace("_", "."): v for k, v in ratings.items()})
    return base


# ---- rule 1: two or more Inadequate -> Inadequate ----

@pytest.mark.parametrize("form", ["band row, first", "band row, priority", "limit"])
def test_two_or_more_inadequate_is_inadequate(form):
    rb = {"band row, first": lambda: cached_variant("two-first", bands=[TWO_INADEQUATE, *MEAN_ROWS]),
          # priority: rows may overlap; the lowest outcome wins, so row order does not matter
          "band row, priority": lambda: cached_variant("two-priority", bands=[*MEAN_ROWS, TWO_INADEQUATE],
                                                       hit_policy="priority"),
          "limit": lambda: cached_variant("two-limit", limits=[{**{k: v for k, v in TWO_INADEQUATE.items() if k != "then"},
                                                                "cap": "Inadequate", "enabled": True,
                                                                "description": "two or more Inadequate"}]),
          }[form]()
    high = unit(s1_1="Outstanding", s1_2="Outstanding", s1_3="Outstanding", s1_4="Outstanding",
                s2_1="Outstanding", s2_3="Inadequate", s2_5="Inadequate")  # 19/27: Good by the mean
    one = unit(s2_3="Inadequate")
    assert rate_unit(pdu(), high).overall.rating == "Good"
    result = rate_unit(rb, high).overall
    assert result.rating == "Inadequate" and result.score == 19
    rule = result.limit.rule if form == "limit" else result.decision.rule
    assert rule == "two-inadequate"
    assert rate_unit(rb, one).overall.rating == "Good"


# ---- rule 2: Outstanding needs at least two Outstanding and the rest Good ----

def test_outstanding_needs_two_outstanding_and_the_rest_good():
    rb = cached_variant("outstanding", bands=[OUTSTANDING_NEEDS, *MEAN_ROWS[:2],
                                              {"id": "overall-good", "then": "Good"}])
    two = unit(s1_1="Outstanding", s2_2="Outstanding")  # 20/27: Good by the mean
    assert rate_unit(pdu(), two).overall.rating == "Good"
    result = rate_unit(rb, two).overall
    assert (result.rating, result.decision.rule) == ("Outstanding", "outstanding-needs")
    assert rate_unit(rb, unit(s1_1="Outstanding")).overall.rating == "Good"
    eight_and_ri = {s: "Outstanding" for s in unit()} | {"2.4": "Requires improvement"}  # 25/27
    assert rate_unit(pdu(), eight_and_ri).overall.rating == "Outstanding"
    assert rate_unit(rb, eight_and_ri).overall.rating == "Good"
    assert ("at least 2 standard(s) rated Outstanding, at most 0 standard(s) rated Requires improvement or lower"
            in result.decision.because)


# ---- rule 3: an Inadequate gate standard caps the overall at Requires improvement ----

def test_an_inadequate_gate_standard_caps_at_requires_improvement():
    rb = cached_variant("gate", limits=[GATE_CAP])
    gate = {s: "Outstanding" for s in unit()} | {"2.2": "Inadequate"}  # 24/27
    other = {s: "Outstanding" for s in unit()} | {"1.1": "Inadequate"}
    assert rate_unit(pdu(), gate).overall.rating == "Outstanding"
    capped = rate_unit(rb, gate).overall
    assert (capped.rating, capped.decision.outcome, capped.limit.rule) == ("Requires improvement", "Outstanding", "gate-cap")
    assert "caps the rating at Requires improvement" in capped.limit.because
    assert rate_unit(rb, other).overall.rating == "Outstanding"  # not a gate standard
    # a gate standard that was not inspected counts as no Inadequate
    assert rate_unit(rb, unit(s2_2=NOT_INSPECTED)).overall.limit is None
    # a cap never raises a rating
    low = rate_unit(rb, {s: "Inadequate" for s in unit()} | {"1.1": "Good", "2.5": "Good"}).overall  # 4/27
    assert low.rating == "Inadequate" and low.limit.rule == "gate-cap"


# ---- the shipped experiment: all three, against an oracle ----

ratings_strategy = st.fixed_dictionaries(
    {s: st.sampled_from(list(SCORE)) for s in ("1.1", "1.2", "1.3", "1.4", "2.2", "2.3", "2.4", "2.5")}
    | {"2.1": st.sampled_from([*SCORE, NOT_INSPECTED])})


@settings(max_examples=150, deadline=None)
@given(ratings=ratings_strategy)
def test_experimental_rulebook_matches_the_three_rules(ratings):
    result = rate_unit(experiment(), ratings).overall
    assert result.rating == experiment_oracle(ratings)
    rated = [r for r in ratings.values() if r != NOT_INSPECTED]
    assert rate_unit(pdu(), ratings).overall.rating == mean_band(rated)  # the base is the plain mean rule


@settings(max_examples=80, deadline=None)
@given(ratings=ratings_strategy)
def test_the_three_forms_of_two_inadequate_agree(ratings):
    first = cached_variant("two-first", bands=[TWO_INADEQUATE, *MEAN_ROWS])
    priority = cached_variant("two-priority", bands=[*MEAN_ROWS, TWO_INADEQUATE], hit_policy="priority")
    assert rate_unit(first, ratings).overall.rating == rate_unit(priority, ratings).overall.rating


def test_the_experiment_is_labelled_and_extends_the_pdu_framework():
    rb = experiment()
    assert rb.title.startswith("EXPERIMENT, not HMIP practice") and "NOT HMI PROBATION PRACTICE" in rb.description
    assert rb.standards == pdu().standards and rb.key_question_bands == pdu().key_question_bands
    assert rb.overall.bands.hit_policy == "first"
    assert [r.id for r in rb.overall.bands.rows][:2] == ["count-two-inadequate", "count-outstanding"]
    assert all(r.provenance is None or r.provenance.grade == "uncertain" for r in rb.overall.bands.rows)
    assert rb.overall.bands.provenance.grade == "uncertain" and "EXPERIMENT" in rb.overall.bands.provenance.source


# ---- count conditions at, below and above their bounds ----

PDU_STANDARDS = ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5")
#: kind -> (the condition without its bound, ratings a counted standard takes in turn, ratings of the others).
#: The others include the neighbouring rank, so a count off by one rank is seen.
COUNT_KINDS = {
    "ratings": ({"ratings": ["Inadequate"]}, ["Inadequate"], ["Requires improvement", "Good", "Outstanding"]),
    "ratings, two": ({"ratings": ["Good", "Outstanding"]}, ["Good", "Outstanding"], ["Requires improvement", "Inadequate"]),
    "at_most": ({"at_most": "Requires improvement"}, ["Requires improvement", "Inadequate"], ["Good", "Outstanding"]),
    "at_least": ({"at_least": "Good"}, ["Good", "Outstanding"], ["Requires improvement", "Inadequate"]),
    "at_least, top": ({"at_least": "Outstanding"}, ["Outstanding"], ["Good", "Requires improvement"]),
    "at_most, bottom": ({"at_most": "Inadequate"}, ["Inadequate"], ["Requires improvement", "Good"]),
}


def counted_unit(k: int, counted: list[str], others: list[str]) -> dict[str, str]:
    """Exactly k of the nine PDU standards take a counted rating."""
    return {sid: (counted[i % len(counted)] if i < k else others[i % len(others)])
            for i, sid in enumerate(PDU_STANDARDS)}


@pytest.mark.parametrize("kind", list(COUNT_KINDS))
@pytest.mark.parametrize("side", ["min", "max"])
@pytest.mark.parametrize("bound", [1, 2, 3])
def test_count_conditions_at_below_and_above_their_bounds(kind, side, bound):
    condition, counted, others = COUNT_KINDS[kind]
    cap = {"id": "count-cap", "enabled": True, "cap": "Inadequate", "description": f"{kind} {side} {bound}",
           "counts": [{**condition, side: bound}]}
    rb = cached_variant(f"count {kind} {side} {bound}", limits=[cap])
    for k in (bound - 1, bound, bound + 1):
        result = rate_unit(rb, counted_unit(k, counted, others)).overall
        expected = k >= bound if side == "min" else k <= bound  # min: at least `bound`; max: at most
        assert (result.limit is not None and result.limit.rule == "count-cap") == expected, (k, result.limit)
        if expected:
            assert result.rating == "Inadequate"


@pytest.mark.parametrize("bound", [1, 2])
def test_count_conditions_among_named_standards_count_only_those(bound):
    cap = {"id": "gate-count", "enabled": True, "cap": "Requires improvement", "description": "gates",
           "counts": [{"ratings": ["Inadequate"], "standards": ["2.2", "2.4"], "min": bound}]}
    rb = cached_variant(f"gate count {bound}", limits=[cap])
    for k in (0, 1, 2):
        ratings = {sid: "Inadequate" for sid in PDU_STANDARDS}  # every standard outside the gates is Inadequate
        ratings |= {"2.2": "Inadequate" if k >= 1 else "Requires improvement",
                    "2.4": "Inadequate" if k >= 2 else "Good"}
        result = rate_unit(rb, ratings).overall
        assert (result.limit is not None) == (k >= bound), (k, bound)


def test_a_count_band_row_with_both_bounds():
    """Bands (not limits) compile count conditions the same way: 2 <= Good-or-better <= 3 gives Outstanding."""
    row = {"id": "two-or-three", "counts": [{"at_least": "Good", "min": 2, "max": 3}], "then": "Outstanding"}
    rb = cached_variant("count band both bounds", bands=[row, *MEAN_ROWS])
    for k, expected_rule in ((1, "overall-requires-improvement"), (2, "two-or-three"), (3, "two-or-three"),
                             (4, "overall-requires-improvement")):
        ratings = counted_unit(k, ["Good", "Outstanding"], ["Requires improvement", "Inadequate"])
        result = rate_unit(rb, ratings).overall
        assert result.decision.rule == expected_rule, (k, result.decision.rule, result.score)
