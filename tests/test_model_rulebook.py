"""The rulebook schema's limits, value by value (model.rulebook): each boundary accepted, and the value
just past it refused with a located problem. The limits are the ones the README's rulebook format
documents (percentages 0-100 with at most two decimals, ids of 1-80 characters, ...), written here by hand.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ratings_engine.model.errors import RulebookError
from ratings_engine.model.rulebook import validate_rulebook

RULES = Path(__file__).resolve().parents[1] / "rules"
SHIPPED = YAML(typ="safe", pure=True).load((RULES / "probation-pdu-2021.yaml").read_text(encoding="utf-8"))


def _with(change) -> dict:
    data = copy.deepcopy(SHIPPED)
    change(data)
    return data


def _problems(data) -> dict[str, str]:
    try:
        validate_rulebook(data, "rb.yaml")
    except RulebookError as exc:
        return {p.location.key_path: p.message for p in exc.problems}
    return {}


def _kq_row(data) -> dict:
    return data["key_question_bands"]["rows"][1]  # kq-good: min 65, below 80


def _overall_row(data) -> dict:
    return data["overall"]["bands"]["rows"][0]  # overall-inadequate: mean_max 0.5


def _count(data) -> dict:
    return data["overall"]["limits"]["rows"][0]["counts"][0]  # {ratings: [Inadequate], min: 1}


# (what is set, the key path of the problem, accepted value, refused value)
BOUNDS = [
    # a percentage: 0..100, at most two decimal places
    (lambda d, v: _kq_row(d).update(min=v), "key_question_bands.rows[1].min", 0, -0.01),
    (lambda d, v: _kq_row(d).update(min=v), "key_question_bands.rows[1].min", 64.99, 64.995),
    (lambda d, v: _kq_row(d).update(below=v), "key_question_bands.rows[1].below", 100, 100.01),
    # a mean score: 0..100, at most two decimal places
    (lambda d, v: _overall_row(d).update(mean_max=v), "overall.bands.rows[0].mean_max", 0, -0.01),
    (lambda d, v: _overall_row(d).update(mean_max=v), "overall.bands.rows[0].mean_max", 0.55, 0.555),
    # a number of standards and a score total: not negative
    (lambda d, v: _count(d).update(min=v), "overall.limits.rows[0].counts[0].min", 0, -1),
    (lambda d, v: _overall_row(d).update(scored=v), "overall.bands.rows[0].scored", 0, -1),
    (lambda d, v: _overall_row(d).update(score_min=v), "overall.bands.rows[0].score_min", 0, -1),
    (lambda d, v: _overall_row(d).update(score_max=v), "overall.bands.rows[0].score_max", 0, -1),
    # an id: 1..80 characters; a text: at least one character
    (lambda d, v: _kq_row(d).update(id=v), "key_question_bands.rows[1].id", "g" * 80, "g" * 81),
    (lambda d, v: _kq_row(d).update(id=v), "key_question_bands.rows[1].id", "g", ""),
    (lambda d, v: d.update(title=v), "title", "T", ""),
]


@pytest.mark.parametrize("set_value, key_path, accepted, refused", BOUNDS,
                         ids=[f"{b[1]}={b[3]!r}"[:60] for b in BOUNDS])
def test_each_limit_accepts_its_boundary_and_refuses_the_next_value(set_value, key_path, accepted, refused):
    assert _problems(_with(lambda d: set_value(d, accepted))) == {}
    problems = _problems(_with(lambda d: set_value(d, refused)))
    assert list(problems) == [key_path]


def test_an_empty_id_is_refused_as_too_short():
    # not as a pattern mismatch: the message says what is wrong with an empty value
    problems = _problems(_with(lambda d: _kq_row(d).update(id="")))
    assert "at least 1 character" in problems["key_question_bands.rows[1].id"]


def _standard(rated_by, bases=(), sample="own"):
    from ratings_engine.model.rulebook import Standard

    kqs = [{"id": f"k{i}", "text": "?", "basis": b} for i, b in enumerate(bases)]
    return Standard.model_validate({"id": "s", "name": "S", "rated_by": rated_by, "sample": sample, "key_questions": kqs})


# (rated_by, key question bases, sample, the refusal or None): the rules of model.rulebook.Standard, by hand
STANDARDS = [
    ("cases", ("cases",), "own", None),
    ("cases", ("cases", "cases"), "pooled", None),
    ("cases", (), "own", "a standard rated from cases needs at least one key question"),
    ("cases", ("cases", "judgement"), "own", "are rated by judgement"),
    ("judgement", (), "own", None),
    ("judgement", ("cases",), "own", "a standard rated by judgement has no key questions"),
    ("judgement", (), "pooled", "sample: pooled applies to key questions rated from cases"),
    ("mixed", ("cases", "judgement"), "own", None),
    ("mixed", ("judgement", "cases"), "pooled", None),
    ("mixed", ("cases", "cases"), "own", "a mixed standard needs key questions of both bases"),
    ("mixed", ("judgement",), "own", "a mixed standard needs key questions of both bases"),
    ("mixed", (), "own", "a mixed standard needs key questions of both bases"),
]


@pytest.mark.parametrize("rated_by, bases, sample, refusal", STANDARDS)
def test_a_standards_key_questions_match_how_it_is_rated(rated_by, bases, sample, refusal):
    from pydantic import ValidationError

    if refusal is None:
        std = _standard(rated_by, bases, sample)
        assert std.rated_by == rated_by and std.sample == sample
    else:
        with pytest.raises(ValidationError, match=refusal):
            _standard(rated_by, bases, sample)


def test_the_shipped_regional_rulebook_with_pooled_standards_validates():
    data = YAML(typ="safe", pure=True).load((RULES / "probation-region-2023.yaml").read_text(encoding="utf-8"))
    rb = validate_rulebook(data, "probation-region-2023.yaml")
    assert any(s.sample == "pooled" and s.rated_by == "cases" for s in rb.standards)


# (model, fields, the refusal or None), worked out from the documented rules of each model
ROWS = [
    ("BandRow", {"min": 50}, None),
    ("BandRow", {"above": 50}, None),
    ("BandRow", {"max": 49}, None),
    ("BandRow", {"below": 50}, None),
    ("BandRow", {"above": 50, "max": 60}, None),
    ("BandRow", {"min": 50, "above": 50}, "give at most one of 'min' and 'above'"),
    ("BandRow", {"max": 60, "below": 60}, "give at most one of 'max' and 'below'"),
    ("CountCondition", {"ratings": ["Good"], "min": 1}, None),
    ("CountCondition", {"ratings": ["Good"], "max": 0}, None),
    ("CountCondition", {"at_most": "Good", "min": 1, "max": 2}, None),
    ("CountCondition", {"at_least": "Good"}, "give 'min' and/or 'max'"),
    ("CountCondition", {"min": 1}, "give exactly one of 'ratings', 'at_most', 'at_least'"),
    ("CountCondition", {"ratings": ["Good"], "at_least": "Good", "min": 1}, "give exactly one of"),
    ("SampleRule", {"standards": ["2.2"]}, None),
    ("SampleRule", {"key_questions": ["2.2.1"], "min": 14}, None),
    ("SampleRule", {"standards": ["2.2"], "max": 3}, None),
    ("SampleRule", {"standards": ["2.2"], "min": 14, "max": 14}, None),
    ("SampleRule", {"standards": ["2.2"], "min": 15, "max": 14}, "min (15) is above max (14)"),
    ("SampleRule", {}, "name the sample's standards and/or key questions"),
]
_BASE = {"BandRow": {"id": "r", "then": "Good"}, "CountCondition": {}, "SampleRule": {"id": "s", "name": "S"}}


@pytest.mark.parametrize("model, fields, refusal", ROWS)
def test_rows_conditions_and_samples_are_well_formed(model, fields, refusal):
    from pydantic import ValidationError

    from ratings_engine.model import rulebook

    cls = getattr(rulebook, model)
    if refusal is None:
        cls.model_validate({**_BASE[model], **fields})
    else:
        with pytest.raises(ValidationError, match=re.escape(refusal)):
            cls.model_validate({**_BASE[model], **fields})


def test_a_validated_rulebook_is_a_frozen_value():
    from pydantic import ValidationError

    rb = validate_rulebook(copy.deepcopy(SHIPPED), "rb.yaml")
    for model, name, value in [(rb, "title", "x"), (rb.key_question_bands.rows[0], "then", "Good"),
                               (rb.effective, "to", None)]:
        with pytest.raises(ValidationError, match="frozen"):
            setattr(model, name, value)
    assert hash(rb.key_question_bands.rows[0]) == hash(rb.key_question_bands.rows[0].model_copy())


def test_effective_dates_are_given_as_from_or_by_the_field_name():
    from datetime import date

    from ratings_engine.model.rulebook import Effective

    assert Effective.model_validate({"from": "2021-08-01"}).from_ == date(2021, 8, 1)
    assert Effective.model_validate({"from_": "2021-08-01", "to": "2023-07-31"}).to == date(2023, 7, 31)


def _scores(*values):
    def change(d):
        d["scores"]["values"] = dict(zip(d["ratings"], values))
    return change


def _std(d, domain, index):
    return d["framework"][domain]["standards"][index]


def _limit_count(d):
    return d["overall"]["limits"]["rows"][0]["counts"][0]


# (a change to the shipped rulebook, {key path: part of the message}) worked out by hand; {} = valid
CROSS_CHECKS = [
    (lambda d: None, {}),
    (_scores(0, 1, 1, 3), {}),  # equal scores: not decreasing
    (_scores(0, 2, 1, 3), {"scores.values": "scores must not decrease"}),
    (_scores(0, 1, 3, 2), {"scores.values": "scores must not decrease"}),
    (_scores(1, 0, 2, 3), {"scores.values": "scores must not decrease"}),
    (_scores(0, 1, 2), {"scores.values": "missing ['Outstanding'], unknown []"}),
    (lambda d: d.update(version=1.0), {"version": 'quote the version so it stays text'}),
    (lambda d: d.update(version=2), {"version": 'quote the version so it stays text'}),
    (lambda d: d.update(ratings=["Inadequate", "Requires improvement", "Good", "Good", "Outstanding"]),
     {"ratings": "ratings must be distinct"}),
    (lambda d: _std(d, 0, 1).update(id="1.1"), {"framework[0].standards[1].id": "standard id '1.1' is used twice"}),
    (lambda d: _std(d, 1, 1)["key_questions"][0].update(id="2.1.1"),
     {"framework[1].standards[1].key_questions[0].id": "key question id '2.1.1' is used twice",
      # ... and then it is in two samples (2.1's and 2.2's)
      "policies.sample_sizes.samples[1]": "key question 2.1.1 is in samples cases and court-reports: put it in one"}),
    (lambda d: _std(d, 1, 1)["key_questions"][0].update(id="1.1"),  # a key question named like a standard
     {"framework[1].standards[1].key_questions[0].id": "key question id '1.1' is used twice"}),
    (lambda d: _std(d, 1, 1)["key_questions"][0].update(id="unit"), {"framework": "reserved column names"}),
    (lambda d: _std(d, 0, 0).update(id="case_id"), {"framework": "reserved column names"}),
    (lambda d: d["key_question_bands"]["rows"][3].update(then="Poor"),
     {"key_question_bands.rows[3].then": "'Poor' is not one of the ratings"}),
    (lambda d: d["overall"]["bands"]["rows"][3].update(then="Poor"),
     {"overall.bands.rows[3].then": "'Poor' is not one of the ratings"}),
    (lambda d: d["overall"]["bands"]["rows"][1].update(id="overall-inadequate"),
     {"overall.bands.rows[1].id": "rule id 'overall-inadequate' is used twice in this table"}),
    (lambda d: d["overall"]["limits"]["rows"][0].update(cap="Poor"),
     {"overall.limits.rows[0].cap": "'Poor' is not one of the ratings"}),
    (lambda d: _limit_count(d).update(ratings=None, at_most="Poor"),
     {"overall.limits.rows[0].counts[0].at_most": "'Poor' is not one of the ratings"}),
    (lambda d: _limit_count(d).update(ratings=None, at_least="Poor"),
     {"overall.limits.rows[0].counts[0].at_least": "'Poor' is not one of the ratings"}),
    (lambda d: _limit_count(d).update(ratings=None, at_least="Good"), {}),
    (lambda d: _limit_count(d).update(ratings=["Inadequate", "Poor"]),
     {"overall.limits.rows[0].counts[0].ratings[1]": "'Poor' is not one of the ratings"}),
    (lambda d: _limit_count(d).update(standards=["2.2", "9.9"]),
     {"overall.limits.rows[0].counts[0].standards[1]": "no standard with id '9.9'"}),
    (lambda d: d["overall"].pop("limits"), {}),
]


@pytest.mark.parametrize("change, expected", CROSS_CHECKS)
def test_cross_checks_name_the_key_path_of_each_inconsistency(change, expected):
    problems = _problems(_with(change))
    assert set(problems) == set(expected), problems
    for key_path, words in expected.items():
        assert words in problems[key_path], problems[key_path]


def test_a_true_version_is_not_mistaken_for_a_number():
    problems = _problems(_with(lambda d: d.update(version=True)))
    assert "quote the version" not in problems["version"] and "valid string" in problems["version"]


def test_too_many_standards_are_refused_at_the_limit_plus_one():
    # MAX_STANDARDS is 200 (README 'Limits'): 200 standards load, 201 do not
    def standards(n):
        def change(d):
            template = copy.deepcopy(_std(d, 0, 0))
            d["framework"][0]["standards"] = [{**template, "id": f"j{i}"} for i in range(n - 5)]
        return change
    assert _problems(_with(standards(200))) == {}
    assert _problems(_with(standards(201))) == {"framework": "too many standards (201); the limit is 200"}


def test_scale_and_framework_sizes():
    # ratings: 2 to 10 of them; framework: at least one domain (schema problems only, at these keys)
    assert "ratings" not in _problems(_with(lambda d: d.update(ratings=["Inadequate", "Good"])))
    assert "at least 2 items" in _problems(_with(lambda d: d.update(ratings=["Good"])))["ratings"]
    ten = [f"R{i}" for i in range(10)]
    assert "ratings" not in _problems(_with(lambda d: d.update(ratings=ten)))
    assert "ratings" in _problems(_with(lambda d: d.update(ratings=ten + ["R10"])))
    assert "at least 1 item" in _problems(_with(lambda d: d.update(framework=[])))["framework"]
    one_domain = _problems(_with(lambda d: d.update(framework=d["framework"][1:])))
    assert not any(key.startswith("framework") for key in one_domain)


def test_the_canonical_json_has_sorted_keys_file_spellings_and_no_unused_newer_keys():
    import json

    def keys_sorted(node):
        if isinstance(node, dict):
            return list(node) == sorted(node) and all(keys_sorted(v) for v in node.values())
        return all(keys_sorted(v) for v in node) if isinstance(node, list) else True

    rb = validate_rulebook(copy.deepcopy(SHIPPED), "rb.yaml")
    text = rb.canonical_json
    assert text.startswith('{"description":') and ", " not in text.split('"description":')[0]
    assert keys_sorted(json.loads(text))
    assert '"effective":{"from":"2021-08-01"' in text and '"from_"' not in text  # the file's key, not Python's
    data = json.loads(text)
    assert "experimental" not in data and "pooling" not in data and data["unit_kind"] == "probation delivery unit"
    assert not rb.experimental
    experimental = validate_rulebook(_with(lambda d: d.update(experimental=True)), "rb.yaml")
    assert json.loads(experimental.canonical_json)["experimental"] is True
    assert experimental.sha256 != rb.sha256 and len(rb.sha256) == 64


def test_a_rating_scores_at_most_100_points():
    """The documented ceiling (README, rulebook format): 100 is accepted, 101 refused."""
    from ratings_engine.io.rulebooks import load_rulebook, with_changes
    from ratings_engine.model.errors import RulebookError

    pdu = load_rulebook("probation-pdu-2021")
    assert with_changes(pdu, ["scores.values.Outstanding=100"]).score("Outstanding") == 100
    with pytest.raises(RulebookError, match=r"scores\.values\.Outstanding: Input should be less than or equal to 100"):
        with_changes(pdu, ["scores.values.Outstanding=101"])


@pytest.mark.parametrize("change, message", [
    ("framework[0].standards=[]", r"at framework\[0\]\.standards: Tuple should have at least 1 item"),
    ("overall.bands.rows=[]", r"at overall\.bands\.rows: Tuple should have at least 1 item"),
    ("policies.sample_sizes.samples=[]", r"at policies\.sample_sizes\.samples: Tuple should have at least 1 item"),
])
def test_an_empty_domain_band_table_or_sample_list_is_refused(change, message):
    from ratings_engine.io.rulebooks import load_rulebook, with_changes
    from ratings_engine.model.errors import RulebookError

    with pytest.raises(RulebookError, match=message):
        with_changes(load_rulebook("probation-pdu-2021"), [change])


def test_one_row_is_a_whole_band_table():
    from ratings_engine.io.rulebooks import load_rulebook, with_changes

    one = with_changes(load_rulebook("probation-pdu-2021"), ["overall.bands.rows=[{id: all, then: Good}]"])
    assert [r.id for r in one.overall.bands.rows] == ["all"]


def test_effective_dates_are_given_by_their_yaml_name_or_their_python_name():
    from datetime import date

    from ratings_engine.model.rulebook import Effective

    by_alias = Effective.model_validate({"from": "2021-08-01", "to": "2023-07-31"})
    by_name = Effective(from_=date(2021, 8, 1), to=date(2023, 7, 31))  # Python code cannot write `from=`
    assert by_alias == by_name and by_name.from_ == date(2021, 8, 1)


def test_a_table_holds_at_most_500_rows():
    """The documented limit on a table's rows: 500 accepted, 501 refused (with the count and the limit)."""
    from ratings_engine.io.rulebooks import load_rulebook, with_changes
    from ratings_engine.model.errors import RulebookError

    def rows(n: int) -> str:
        return "[" + ", ".join(f"{{id: r{i}, score_max: {i}, then: Good}}" for i in range(n - 1)) + ", {id: rest, then: Good}]"

    pdu = load_rulebook("probation-pdu-2021")
    assert len(with_changes(pdu, ["overall.bands.rows=" + rows(500)]).overall.bands.rows) == 500
    with pytest.raises(RulebookError, match=r"at overall\.bands\.rows: too many items \(501\); the limit is 500"):
        with_changes(pdu, ["overall.bands.rows=" + rows(501)])
