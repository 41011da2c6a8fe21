"""Rulebook views (model.views), sample cross-checks (model.rulebook_checks), sample checks
(model.samples), name suggestions (model.suggest) and safe text (model.text). Expected values are
read off the shipped YAML files or written out by hand.
"""
from __future__ import annotations

import copy
import pickle
from datetime import date
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from ratings_engine.model.errors import RulebookError
from ratings_engine.model.rulebook import validate_rulebook
from ratings_engine.model.rulebook_checks import sample_key_questions
from ratings_engine.model.samples import ABOVE, BELOW, WITHIN, SampleCheck
from ratings_engine.model.suggest import closest, did_you_mean
from ratings_engine.model.text import printable, safe_lines
from ratings_engine.model.views import LoadedRulebook, as_rulebook

RULES = Path(__file__).resolve().parents[1] / "rules"


def _data(name):
    return YAML(typ="safe", pure=True).load((RULES / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def youth():
    # youth-justice-2025: domain one judged (1.1-1.3...), 2.1 from cases (2.1.1-2.1.4), V1 mixed (V1.1 cases, V1.2 judged)
    return validate_rulebook(_data("youth-justice-2025"), "youth-justice-2025.yaml")


@pytest.fixture(scope="module")
def pdu():
    # probation-pdu-2021: in force 2021-08-01 to 2023-07-31, scores 0-3
    return validate_rulebook(_data("probation-pdu-2021"), "probation-pdu-2021.yaml")


def test_a_framework_is_in_force_on_both_end_days_only_inside(pdu):
    assert pdu.in_force(date(2021, 8, 1)) and pdu.in_force(date(2023, 7, 31)) and pdu.in_force(date(2022, 1, 1))
    assert not pdu.in_force(date(2021, 7, 31)) and not pdu.in_force(date(2023, 8, 1))
    open_ended = pdu.model_copy(update={"effective": pdu.effective.model_copy(update={"to": None})})
    assert open_ended.in_force(date(2099, 1, 1)) and not open_ended.in_force(date(2021, 7, 31))
    experimental = pdu.model_copy(update={"experimental": True})
    assert not experimental.in_force(date(2022, 1, 1))


def test_views_of_scores_ranks_and_judged_ids(pdu, youth):
    assert pdu.max_standard_score == 3 and pdu.rank("Inadequate") == 0 and pdu.rank("Outstanding") == 3
    assert pdu.score("Good") == 2
    assert pdu.judged_ids == ("1.1", "1.2", "1.3", "1.4")
    assert youth.judged_ids[-1] == "V1.2" and "V1" not in youth.judged_ids and "2.1" not in youth.judged_ids
    assert youth.key_question_ids[-1] == "V1.1" and "V1.2" not in youth.key_question_ids


def test_a_loaded_rulebook_reads_as_its_rulebook_but_not_for_dunders(pdu, tmp_path):
    loaded = LoadedRulebook(pdu, tmp_path / "rb.yaml", "ab" * 32)
    assert loaded.id == "probation-pdu-2021" and loaded.standards == pdu.standards
    assert as_rulebook(loaded) is pdu and as_rulebook(pdu) is pdu
    with pytest.raises(AttributeError):
        loaded.__wrapped__  # noqa: B018 - a dunder is never the rulebook's
    assert repr(loaded).startswith("<Rulebook probation-pdu-2021 version 1.0, from rb.yaml, sha256 ")
    for copied in (copy.copy(loaded), copy.deepcopy(loaded)):  # a copy is a loaded rulebook too, not the bare one
        assert isinstance(copied, LoadedRulebook) and copied.path == loaded.path and copied.id == loaded.id
    again = pickle.loads(pickle.dumps(loaded))
    assert again.id == "probation-pdu-2021" and again.path == loaded.path


def _with_samples(samples):
    data = _data("youth-justice-2025")
    data["policies"]["sample_sizes"]["samples"] = samples
    return data


def _problems(data):
    with pytest.raises(RulebookError) as info:
        validate_rulebook(data, "rb.yaml")
    return {p.location.key_path: p.message for p in info.value.problems}


def test_a_sample_names_case_key_questions_only():
    problems = _problems(_with_samples([{"id": "a", "name": "A", "key_questions": ["V1.2", "V9.9"]},
                                        {"id": "b", "name": "B", "standards": ["1.1", "9.9"]}]))
    base = "policies.sample_sizes.samples"
    assert problems == {
        f"{base}[0].key_questions[0]": "key question V1.2 is rated by judgement, not from a case sample",
        f"{base}[0].key_questions[1]": "no key question with id 'V9.9' rated from cases",
        f"{base}[1].standards[0]": ("standard 1.1 is rated by judgement: a sample holds cases, so it names "
                                    "standards rated from cases (or mixed)"),
        f"{base}[1].standards[1]": "no standard with id '9.9'",
    }


def test_a_sample_covers_its_standards_case_key_questions_and_its_own_in_rulebook_order(youth):
    policy = youth.policies.sample_sizes
    children, victims = policy.samples
    assert sample_key_questions(youth, children) == ("2.1.1", "2.1.2", "2.1.3", "2.1.4")
    assert sample_key_questions(youth, victims) == ("V1.1",)
    mixed = children.model_copy(update={"standards": ("V1", "9.9"), "key_questions": ("2.1.2",)})
    assert sample_key_questions(youth, mixed) == ("2.1.2", "V1.1")


def test_pooled_standards_need_pooling_that_names_another_rulebook():
    region = _data("probation-region-2023")
    no_pooling = copy.deepcopy(region)
    del no_pooling["pooling"]
    problems = _problems(no_pooling)
    assert problems and all("pooled from member units' cases, but the rulebook has no 'pooling'" in m
                            for m in problems.values())
    own = copy.deepcopy(region)
    own["pooling"]["members"] = own["id"]
    assert _problems(own) == {"pooling.members": ("a rulebook cannot pool its own units: name the rulebook of "
                                                  "the member units")}


def test_a_sample_check_labels_only_a_sample_outside_its_limits():
    def check(status, cases):
        return SampleCheck("children", "Children's cases", cases, 14, 91, status, "label", ("2.1",))
    assert not check(WITHIN, 20).outside and check(WITHIN, 20).label == "sample Children's cases: 20 cases"
    assert check(BELOW, 12).outside
    assert check(BELOW, 12).label == "SAMPLE BELOW MINIMUM: Children's cases 12 cases, minimum 14"
    assert check(ABOVE, 92).label == "SAMPLE ABOVE MAXIMUM: Children's cases 92 cases, maximum 91"


def test_did_you_mean_suggests_close_names_but_never_the_name_itself():
    known = ["2.1.1", "2.1.2", "Outstanding", "Good", "Requires improvement"]
    assert closest("outstandng", known) == ["Outstanding"]
    assert closest("requires-improvement", known) == ["Requires improvement"]  # case, spaces, dashes ignored
    assert closest("  --Good--  ", known) == ["Good"]  # however much punctuation surrounds it
    assert closest("Good", known) == []  # the name itself is known: nothing to suggest
    assert sorted(closest("2.1.3", known)) == ["2.1.1", "2.1.2"]  # at most two
    assert closest("2.1.3", known + ["2.1.0"], n=1)[0] in ("2.1.0", "2.1.1", "2.1.2")
    assert len(closest("2.1.3", known + ["2.1.0"])) == 2
    assert closest("zzz", known) == [] and did_you_mean("zzz", known) == ""
    assert did_you_mean("Godo", known) == "; did you mean 'Good'?"
    assert did_you_mean("2.1.3", known) in ("; did you mean '2.1.1' or '2.1.2'?", "; did you mean '2.1.2' or '2.1.1'?")


def test_printable_escapes_control_and_invisible_characters():
    assert printable("Unit\nOverall rating: Outstanding") == "Unit\\nOverall rating: Outstanding"
    assert printable("a\tb\rc\x1b[2Jd\x7f") == "a\\tb\\rc\\x1b[2Jd\\x7f"
    assert printable("\x9f|\u061c|\u202e|\ufeff") == "\\x9f|\\u061c|\\u202e|\\ufeff"  # C1 as \\xNN, format as \\uNNNN
    assert printable("Redcar, Cleveland – Middlesbrough") == "Redcar, Cleveland – Middlesbrough"
    assert printable(12) == "12"
    assert safe_lines("line one\n\tline two\x1b\u202e\n") == "line one\n\tline two\\u001b\\u202e\n"
    assert safe_lines("plain\n") == "plain\n"
