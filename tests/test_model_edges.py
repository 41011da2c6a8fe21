"""Edges of the model layer that the rest of the suite reaches only indirectly (or in a subprocess):
the published JSON Schemas, locating problems in parsed data, schema messages, the row audit.

Expected values are written out by hand from the documented behaviour (module docstrings, README),
never computed with the code under test.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ratings_engine.model.audit import Audit
from ratings_engine.model.errors import InputError, Location, Problem, RulebookError
from ratings_engine.model.evidence import INSUFFICIENT, NOT_APPLICABLE, SUFFICIENT
from ratings_engine.model.extras import MissingExtraError, extra_of
from ratings_engine.model.json_schema import EXTENDS_NAME, FULL_NAME, schema_files, schema_text
from ratings_engine.model.located import line_of, locate, schema_problems
from ratings_engine.model.results import Decision, KeyQuestionResult
from ratings_engine.model.rulebook import validate_rulebook

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


def _shipped_data(name: str = "probation-pdu-2021.yaml") -> dict:
    return YAML(typ="safe", pure=True).load((RULES / name).read_text(encoding="utf-8"))


def _problems(data) -> dict[str, str]:
    with pytest.raises(RulebookError) as info:
        validate_rulebook(data, "rb.yaml")
    return {p.location.key_path: p.message for p in info.value.problems}


# ---------------------------------------------------------------------------------------------
# JSON Schema (model.json_schema): the committed files are the reviewed, published artefact


def _without_decimal_patterns(node):
    """pydantic spells its decimal-string pattern differently between releases (as the script's --check
    allows for): compare schemas without it."""
    if isinstance(node, dict):
        return {k: _without_decimal_patterns(v) for k, v in node.items()
                if not (k == "pattern" and isinstance(v, str) and v.startswith("^(?!^[-+.]*$)"))}
    if isinstance(node, list):
        return [_without_decimal_patterns(v) for v in node]
    return node


def test_the_generated_schemas_equal_the_committed_files_in_process():
    # the same check as `scripts/make_rulebook_schema.py --check`, without a subprocess
    files = schema_files()
    assert set(files) == {FULL_NAME, EXTENDS_NAME} == {"rulebook.schema.json", "rulebook-extends.schema.json"}
    for name, text in files.items():
        committed = (RULES / name).read_text(encoding="utf-8")
        assert _without_decimal_patterns(json.loads(text)) == _without_decimal_patterns(json.loads(committed)), name
        assert text.startswith('{\n  "$defs": {\n') and text.endswith("\n}\n")  # the committed layout


def test_the_extends_schema_relaxes_required_keys_and_allows_merge_keys():
    import jsonschema

    schema = json.loads(schema_files()[EXTENDS_NAME])
    full = json.loads(schema_files()[FULL_NAME])
    assert schema["required"] == ["extends"] and "extends" not in full["properties"]
    # a child rulebook that changes one band row and removes a limit: valid for the extends schema
    child = {"extends": "probation-pdu-2021",
             "key_question_bands": {"rows": [{"id": "kq-good", "min": 70, "$before": "kq-ri"}]},
             "overall": {"limits": {"rows": [{"id": "limit-1", "$remove": True}]}}}
    jsonschema.validate(child, schema)
    with pytest.raises(jsonschema.ValidationError):  # $remove is the constant true, nothing else
        jsonschema.validate({**child, "overall": {"limits": {"rows": [{"id": "x", "$remove": False}]}}}, schema)
    with pytest.raises(jsonschema.ValidationError):  # the full schema knows no merge keys and needs every key
        jsonschema.validate(child, full)
    with pytest.raises(jsonschema.ValidationError):  # extends is required
        jsonschema.validate({"title": "no parent"}, schema)


def test_schema_text_is_stable_readable_json():
    # sorted keys, two-space indent, text kept as typed (not \u escapes), one final newline
    assert schema_text({"b": 1, "a": {"é": "–"}}) == '{\n  "a": {\n    "é": "–"\n  },\n  "b": 1\n}\n'


# ---------------------------------------------------------------------------------------------
# Locating values in parsed data (model.located)


class _Merged(dict):
    """Duck-typed like io.extends' merged mappings: `origins[key]` is (file, line)."""

    def __init__(self, items, origins):
        super().__init__(items)
        self.origins = origins


class _MergedList(list):
    def __init__(self, items, origins):
        super().__init__(items)
        self.origins = origins


def test_line_of_reads_merged_origins_and_round_trip_lines():
    merged = _Merged({"a": 1, "b": 2}, {"a": ("parent.yaml", 7), "b": ("child.yaml", 3)})
    assert line_of(merged, "a") == 7 and line_of(merged, "b") == 3
    assert line_of(merged, "zzz") is None  # no origin: no line, no exception
    items = _MergedList(["x", "y"], [("p.yaml", 4), ("c.yaml", 9)])
    assert line_of(items, 1) == 9 and line_of(items, 5) is None
    parsed = YAML().load("first: 1\nsecond:\n  - a\n  - b\n")  # round trip: 0-based lines inside
    assert line_of(parsed, "first") == 1 and line_of(parsed, "second") == 2
    assert line_of(parsed["second"], 0) == 3 and line_of(parsed["second"], 1) == 4
    assert line_of(parsed, "missing") is None and line_of({"plain": 1}, "plain") is None


def test_locate_follows_merged_origins_into_the_deepest_existing_node():
    inner = _MergedList([_Merged({"then": "Good"}, {"then": ("child.yaml", 12)})], [("child.yaml", 11)])
    data = _Merged({"rows": inner}, {"rows": ("parent.yaml", 40)})
    loc = locate(data, ("rows", 0, "then"), "top.yaml")
    assert (loc.file, loc.line, loc.key_path) == ("child.yaml", 12, "rows[0].then")
    # a path that leaves the data stops at the deepest node that exists
    loc = locate(data, ("rows", 3, "then"), "top.yaml")
    assert (loc.file, loc.line, loc.key_path) == ("parent.yaml", 40, "rows[3].then")


def test_locate_in_a_round_trip_list_uses_item_lines_and_bounds():
    parsed = YAML().load("rows:\n  - id: a\n  - id: b\n    then: Good\n")
    loc = locate(parsed, ("rows", 1, "then"), "f.yaml")
    assert (loc.file, loc.line, loc.key_path) == ("f.yaml", 4, "rows[1].then")
    assert locate(parsed, ("rows", 1), "f.yaml").line == 3
    assert locate(parsed, ("rows", 2, "id"), "f.yaml").line == 1  # no item 2: the list's key
    assert locate(parsed, ("rows", -1, "id"), "f.yaml").line == 1  # negative indexes are not items


def test_a_too_short_list_whose_items_failed_is_not_reported_twice():
    data = _shipped_data()
    data["framework"][0]["standards"] = [{"id": "!bad"}]  # its one item fails: the list is then "empty"
    data["key_question_bands"]["rows"] = []  # really empty: reported
    problems = _problems(data)
    assert "framework[0].standards" not in problems
    assert "framework[0].standards[0].id" in problems and "framework[0].standards[0].name" in problems
    assert problems["framework[0].standards[0].name"] == "missing required key 'name'"
    assert "key_question_bands.rows" in problems and "at least 1 item" in problems["key_question_bands.rows"]


def test_too_many_items_names_the_count_and_the_limit():
    data = _shipped_data()
    data["ratings"] = [f"R{i}" for i in range(11)]
    assert _problems(data)["ratings"] == "too many items (11); the limit is 10"


def test_schema_problems_keep_every_error_when_none_is_a_cascade():
    errors = [{"type": "too_short", "loc": ("a",), "msg": "short"},
              {"type": "too_short", "loc": ("a", "b"), "msg": "shorter"},  # inside a: makes a a cascade
              {"type": "missing", "loc": ("c",), "msg": "m"},
              {"type": "value_error", "loc": ("d",), "msg": "Value error, bad d"}]
    problems = schema_problems(errors, {}, "s.yaml")
    assert [(p.location.key_path, p.message) for p in problems] == [
        ("a.b", "shorter"), ("c", "missing required key 'c'"), ("d", "bad d")]


# ---------------------------------------------------------------------------------------------
# The row audit (model.audit)


def test_a_new_audit_has_read_and_used_nothing_and_balances():
    audit = Audit("empty.csv")
    assert audit.balanced
    assert audit.to_dict() == {"file": "empty.csv", "rows_read": 0, "rows_used": 0, "rows_skipped": {}}
    audit.rows_read = 2
    assert not audit.balanced
    audit.rows_used = 1
    audit.skip("blank row")
    assert audit.balanced and audit.to_dict()["rows_skipped"] == {"blank row": 1}


def test_the_audit_counts_lines_of_csv_files_and_flags():
    audit = Audit("cases.csv", rows_read=3, rows_used=3, lines_read=3)  # no multi-line text cells
    assert audit.balanced
    assert audit.to_dict() == {"file": "cases.csv", "lines_read": 3, "rows_read": 3, "rows_used": 3,
                               "rows_skipped": {}}
    audit.lines_read = 5  # two line breaks inside text cells
    assert not audit.balanced
    audit.text_lines = 2
    assert audit.balanced and audit.to_dict()["line_breaks_in_text_cells"] == 2
    audit.flag("answers n/a to every key question")
    audit.flag("answers n/a to every key question", 2)
    audit.skip("no case id", 0)  # nothing skipped: no reason listed
    assert audit.to_dict()["rows_flagged"] == {"answers n/a to every key question": 3}
    assert audit.to_dict()["rows_skipped"] == {}


# ---------------------------------------------------------------------------------------------
# Errors, evidence codes, extras


def test_an_error_lists_twenty_problems_then_says_how_many_more():
    twenty = InputError([Problem(f"p{i}", Location(file="f.csv", row=i)) for i in range(20)])
    assert str(twenty).splitlines() == [f"f.csv, row {i}: p{i}" for i in range(20)]
    twenty_one = InputError([Problem(f"p{i}") for i in range(21)])
    assert str(twenty_one).splitlines() == [f"p{i}" for i in range(20)] + ["... and 1 more problem(s)"]


def test_case_answers_are_coded_one_zero_minus_one(write_file):
    # the documented codes of CaseEvidence.answers (an analyst's DataFrame): yes 1, no 0, n/a -1
    from ratings_engine import load_cases, load_rulebook

    rb = load_rulebook()
    kqs = [kq.id for kq in next(s for s in rb.standards if s.key_questions).key_questions]  # one standard
    rows = "".join(f"c{i}," + ",".join([answer] * len(kqs)) + "\n" for i, answer in enumerate(["yes", "no", "n/a"]))
    path = write_file("cases.csv", "case_id," + ",".join(kqs) + "\n" + rows)
    answers = load_cases(path, rb).answers
    assert answers[kqs[0]].tolist() == [1, 0, -1]
    assert (SUFFICIENT, INSUFFICIENT, NOT_APPLICABLE) == (1, 0, -1)


def test_extras_are_found_by_the_top_level_module():
    assert extra_of("openpyxl") == extra_of("openpyxl.styles.fills") == "excel"
    assert extra_of("matplotlib.pyplot") == "charts" and extra_of("uvicorn.config") == "web"
    assert extra_of("pandas") is None and extra_of("excel") is None
    error = MissingExtraError("rate sweep --chart", "matplotlib.pyplot", "charts", "matplotlib")
    assert str(error).startswith("rate sweep --chart needs matplotlib (the [charts] extra), which is not installed: ")
    assert str(error).endswith(" -m pip install 'ratings-engine[charts]'")
    error = MissingExtraError("xlsx input", "openpyxl.styles", "excel", "et_xmlfile")
    assert "needs openpyxl (the [excel] extra), which cannot be imported (no module 'et_xmlfile')" in str(error)


# ---------------------------------------------------------------------------------------------
# Results


def _decision(outcome="Good"):
    return Decision(subject={"unit": "U"}, table="key_question_bands", rule="kq-good", outcome=outcome, inputs={},
                    because="because", provenance=None)


def test_a_key_question_result_reads_as_a_tally_or_a_judgement():
    cases = KeyQuestionResult("1.1.1", "text", 7, 3, 2, 70.0, "Good", _decision())
    judged = KeyQuestionResult("1.1.2", "text", 0, 0, 0, None, "Good", _decision(), basis="judgement")
    assert repr(cases) == "<KeyQuestionResult 1.1.1: 7/10 -> Good>"
    assert repr(judged) == "<KeyQuestionResult 1.1.2: judged Good>"


def test_only_a_too_short_error_can_be_a_cascade():
    errors = [{"type": "value_error", "loc": ("e",), "msg": "Value error, e is wrong"},
              {"type": "missing", "loc": ("e", "f"), "msg": "m"}]
    assert [p.location.key_path for p in schema_problems(errors, {}, "s.yaml")] == ["e", "e.f"]


def _oracle_locate(data, loc, source):
    """The documented rule, written independently: walk `loc` while each part names an existing key of a
    mapping or an existing position (0 <= i < len) of a list; the last node reached gives (file, line)."""
    line, node = None, data
    for part in loc:
        exists = (part in node.keys()) if isinstance(node, dict) else (
            type(part) is int and part in range(len(node)) if isinstance(node, list) else False)
        if not exists:
            break
        source, line = node.origins[part]
        node = node[part]
    return source, line


_PARTS = st.sampled_from(["a", "b", 0, 1, 2, -1, -2])


def _merged(children):
    """Merged mappings and lists (as io.extends makes) with a made-up (file, line) per key or item."""
    items = st.lists(children, max_size=3)
    lists = items.flatmap(lambda xs: st.lists(st.tuples(st.sampled_from(["p.yaml", "c.yaml"]), st.integers(1, 99)),
                                               min_size=len(xs), max_size=len(xs)).map(lambda o: _MergedList(xs, o)))
    maps = st.dictionaries(st.sampled_from(["a", "b", 0, 1]), children, max_size=3).flatmap(
        lambda d: st.lists(st.tuples(st.sampled_from(["p.yaml", "c.yaml"]), st.integers(1, 99)),
                           min_size=len(d), max_size=len(d)).map(lambda o: _Merged(d, dict(zip(d, o)))))
    return lists | maps


@settings(max_examples=150, deadline=None)
@example(_Merged({"a": _MergedList([-1, 0], [("c.yaml", 5), ("c.yaml", 6)])}, {"a": ("p.yaml", 2)}), ["a", -1])
@given(st.recursive(st.integers(-2, 2), _merged, max_leaves=12), st.lists(_PARTS, max_size=4))
def test_locate_stops_at_the_deepest_existing_node(data, loc):
    # leaves and list items are small integers, so a part may equal a list's *value* (not a position)
    where = locate(data, tuple(loc), "top.yaml")
    assert (where.file, where.line) == _oracle_locate(data, loc, "top.yaml")


def test_notices_keep_a_known_kind_and_refuse_an_unknown_one():
    import pickle

    from ratings_engine.model.notices import Notice, kind_of

    note = Notice("judgement standards taken from the draft", "note")
    assert note == "judgement standards taken from the draft" and kind_of(note) == "note"
    assert kind_of(pickle.loads(pickle.dumps(note))) == "note"
    assert kind_of("plain text") == "input" and Notice("x").kind == "input"
    with pytest.raises(ValueError, match="unknown notice kind 'bogus'"):
        Notice("x", "bogus")


def test_an_override_comes_from_its_option_or_its_file_row():
    from ratings_engine.model.overrides import Override

    from_file = Override("2.2", "Good", "panel view", None, Location(file="o.csv", row=3))
    from_option = Override("2.2", "Good", "panel view", "U", Location(), option="--override #1")
    assert from_file.origin == "o.csv, row 3" and from_file.to_dict()["from"] == "o.csv, row 3"
    assert from_option.origin == "--override #1"
