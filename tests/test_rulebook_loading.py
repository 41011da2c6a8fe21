"""Rulebooks are data: loaded safely, validated, and every problem located by file, line and key path."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import SHIPPED_RULEBOOK

from ratings_engine import RulebookError, load_rulebook
from ratings_engine.io.rulebooks import load_rulebook_file, with_changes

GOOD_ROW = "- {id: kq-good, min: 65, below: 80, then: Good}"


def variant(write_file, text: str, old: str, new: str, name: str = "variant.yaml"):
    assert text.count(old) == 1, old
    return write_file(name, text.replace(old, new))


def line_of(path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def load_error(path) -> RulebookError:
    with pytest.raises(RulebookError) as caught:
        load_rulebook_file(path)
    return caught.value


def test_the_shipped_rulebook_loads_with_a_grade_on_every_rule(pdu_rulebook):
    rb = pdu_rulebook
    assert rb.id == "probation-pdu-2021" and rb.version == "1.0"
    assert [s.id for s in rb.standards] == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"]
    assert all(len(s.key_questions) == 3 for s in rb.standards if s.rated_by == "cases")
    graded = [rb.scores, rb.key_question_bands, rb.overall.bands, rb.overall.limits,
              *(getattr(rb.policies, name) for name in type(rb.policies).model_fields)]
    assert all(part.provenance.grade in ("confirmed", "recalled", "uncertain") for part in graded)
    assert all(s.provenance is not None for s in rb.standards)
    assert not any(row.enabled for row in rb.overall.limits.rows)  # no limit the methodology does not state


@pytest.mark.parametrize("old,new,key_path,message", [
    (GOOD_ROW, "- {id: kq-good, min: 65, below: 80, then: Good, colour: blue}",
     "key_question_bands.rows[1].colour", "unknown key 'colour'"),
    ("\nratings: [", "\ncolour: blue\nratings: [", "colour", "unknown key 'colour'"),
    ("    value: exact\n", "    value: exact\n    valu: exact\n", "policies.rounding.valu", "unknown key 'valu'"),
    (GOOD_ROW, "- {id: kq-good, min: sixty-five, below: 80, then: Good}",
     "key_question_bands.rows[1].min", "Input should be a valid decimal"),
    (GOOD_ROW, "- {id: kq-good, min: 165, below: 80, then: Good}",
     "key_question_bands.rows[1].min", "less than or equal to 100"),
    (GOOD_ROW, "- {id: kq-good, min: 65, above: 64, then: Good}",
     "key_question_bands.rows[1]", "give at most one of 'min' and 'above'"),
    ("enabled: false", "enabled: maybe", "overall.limits.rows[0].enabled", "valid boolean"),
    ("rated_by: judgement, provenance: {grade: confirmed, source: \"Seed letter annexe two\"}}\n      - {id: \"1.2\"",
     "rated_by: robots, provenance: {grade: confirmed, source: \"Seed letter annexe two\"}}\n      - {id: \"1.2\"",
     "framework[0].standards[0].rated_by", "Input should be 'cases', 'judgement' or 'mixed'"),
    ("hit_policy: unique", "hit_policy: sometimes", "key_question_bands.hit_policy", "Input should be"),
    (GOOD_ROW, "- {id: kq-good, min: 65, below: 80, then: Great}",
     "key_question_bands.rows[1].then", "'Great' is not one of the ratings"),
    ("- {id: overall-good, mean_max: 2.5, then: Good}", "- {id: overall-good, mean_max: 2.5, then: Great}",
     "overall.bands.rows[2].then", "'Great' is not one of the ratings"),
    ("cap: Good", "cap: Superb", "overall.limits.rows[0].cap", "'Superb' is not one of the ratings"),
    ("counts: [{ratings: [Inadequate], min: 1}]", "counts: [{ratings: [Awful], min: 1}]",
     "overall.limits.rows[0].counts[0].ratings[0]", "'Awful' is not one of the ratings"),
    ("counts: [{ratings: [Inadequate], min: 1}]", "counts: [{ratings: [Inadequate], min: 1, standards: ['9.9']}]",
     "overall.limits.rows[0].counts[0].standards[0]", "no standard with id '9.9'"),
    ('      - id: "2.3"', '      - id: "2.2"', "framework[1].standards[2].id", "standard id '2.2' is used twice"),
    ('{id: "2.3.1",', '{id: "2.2.1",', "framework[1].standards[2].key_questions[0].id",
     "key question id '2.2.1' is used twice"),
    (GOOD_ROW, "- {id: kq-outstanding, min: 65, below: 80, then: Good}",
     "key_question_bands.rows[1].id", "rule id 'kq-outstanding' is used twice in this table"),
    ('version: "1.0"', "version: 1.0", "version", 'quote the version so it stays text, e.g. version: "1.0"'),
    ("scores:\n  values: {Inadequate: 0,", "scores:\n  values: {Inadequate: nil,", "scores.values.Inadequate",
     "valid integer"),
])
def test_schema_problems_name_file_line_and_key_path(write_file, shipped_rulebook_text, old, new, key_path, message):
    path = variant(write_file, shipped_rulebook_text, old, new)
    error = load_error(path)
    (problem,) = [p for p in error.problems if p.location.key_path == key_path]  # (a renamed id may break others)
    # the reported line is the first line the replacement changed
    start = shipped_rulebook_text[: shipped_rulebook_text.index(old)].count("\n") + 1
    new_lines, old_lines = new.split("\n"), old.split("\n")
    offset = next(i for i, line in enumerate(new_lines) if i >= len(old_lines) or line != old_lines[i])
    assert problem.location.file == str(path)
    assert problem.location.key_path == key_path
    assert problem.location.line == start + offset
    assert message in problem.message
    assert str(error).startswith(f"{path}, line {problem.location.line}, at {key_path}: ")


def test_a_missing_key_is_named(write_file, shipped_rulebook_text):
    path = variant(write_file, shipped_rulebook_text, "title: Probation PDU inspections, 2021-23 framework\n", "")
    assert "at title: missing required key 'title'" in str(load_error(path))


def test_every_problem_is_reported_at_once(write_file, shipped_rulebook_text):
    text = shipped_rulebook_text.replace("enabled: false", "enabled: maybe").replace("hit_policy: unique", "hit_policy: x")
    error = load_error(write_file("two.yaml", text))
    assert sorted(p.location.key_path for p in error.problems) == ["key_question_bands.hit_policy",
                                                                   "overall.limits.rows[0].enabled"]


@pytest.mark.parametrize("old,new,fragment,message", [
    ("  hit_policy: unique", "  hit_policy: [unique", "hit_policy: [unique", "YAML syntax error"),
    ("  hit_policy: unique", "\thit_policy: unique", "hit_policy: unique", "YAML syntax error"),
    ("title: Probation", 'version: "2.0"\ntitle: Probation', 'version: "2.0"', 'duplicate key "version"'),
])
def test_yaml_syntax_errors_and_duplicate_keys_give_the_line(write_file, shipped_rulebook_text, old, new, fragment,
                                                             message):
    path = variant(write_file, shipped_rulebook_text, old, new)
    error = load_error(path)
    line = line_of(path, fragment)
    assert error.problems[0].location.line in (line, line + 1)  # the parser may notice on the next line
    assert str(error).startswith(f"{path}, line {error.problems[0].location.line}: ")
    assert message in str(error)


@pytest.mark.parametrize("where", ["top", "mapping", "sequence", "scalar", "row"])
def test_python_tags_are_rejected_and_nothing_runs(write_file, shipped_rulebook_text, tmp_path, where):
    marker = tmp_path / "ran"
    call = f'!!python/object/apply:os.system ["touch {marker}"]'
    text = {
        "top": f"{call}\n",
        "mapping": shipped_rulebook_text.replace("effective:\n", "effective: !!python/object/apply:os.system\n"),
        "sequence": shipped_rulebook_text.replace("description: >", f"notes: {call}\ndescription: >"),
        "scalar": shipped_rulebook_text.replace("title: Probation", "title: !!python/name:os.system Probation"),
        "row": shipped_rulebook_text.replace(GOOD_ROW, "- !!python/object:ratings_engine.model.rulebook.BandRow "
                                             "{id: kq-good, min: 65, below: 80, then: Good}"),
    }[where]
    path = write_file("tagged.yaml", text)
    error = load_error(path)
    assert "YAML tag" in str(error) and "python/" in str(error) and "not allowed" in str(error)
    assert error.problems[0].location.line == line_of(path, "!!python")
    assert not marker.exists()


def test_a_rulebook_must_be_a_mapping_of_utf8_text(write_file):
    assert "must be a YAML mapping" in str(load_error(write_file("list.yaml", "- a\n- b\n")))
    assert "must be a YAML mapping" in str(load_error(write_file("empty.yaml", "")))
    assert "not UTF-8" in str(load_error(write_file("latin.yaml", "title: caf\xe9\n".encode("latin-1"))))


# ---------------------------------------------------------------------------------------------
# Content hash


def test_the_content_hash_ignores_comments_and_layout(write_file, shipped_rulebook_text):
    original = load_rulebook_file(SHIPPED_RULEBOOK)
    relaid = "# a new first comment\n" + shipped_rulebook_text.replace(
        "hit_policy: unique", "hit_policy: unique   # a trailing comment").replace(
        "{id: kq-good, min: 65, below: 80, then: Good}", "{ id: kq-good,  min: 65,\n        below: 80, then: Good }")
    reloaded = load_rulebook_file(write_file("relaid.yaml", relaid))
    assert reloaded.rulebook.sha256 == original.rulebook.sha256
    assert reloaded.rulebook == original.rulebook
    assert reloaded.file_sha256 != original.file_sha256  # the file's own hash does see comments


@pytest.mark.parametrize("old,new", [
    ("min: 65, below: 80", "min: 66, below: 80"),
    ("enabled: false", "enabled: true"),
    ("Seed letter annexe two\"}}\n      - {id: \"1.2\"", "Seed letter, annexe two\"}}\n      - {id: \"1.2\""),
    ("Does planning focus sufficiently on keeping other people safe?", "Does planning keep other people safe?"),
    ("value: exact", "value: nearest_whole_percent"),
    ("  from: 2021-08-01\n", "  from: 2021-08-02\n"),
])
def test_the_content_hash_changes_with_any_value(write_file, shipped_rulebook_text, old, new):
    changed = load_rulebook_file(variant(write_file, shipped_rulebook_text, old, new)).rulebook
    assert changed.sha256 != load_rulebook().sha256


# ---------------------------------------------------------------------------------------------
# --set overrides


def test_overrides_replace_values_by_id_or_index_and_leave_the_original_alone(pdu_rulebook):
    by_id = with_changes(pdu_rulebook, ["key_question_bands.rows[kq-good].min=70",
                                          "key_question_bands.rows[kq-requires-improvement].below=70"])
    by_index = with_changes(pdu_rulebook, ["key_question_bands.rows[1].min=70",
                                             "key_question_bands.rows[2].below=70"])
    assert by_id == by_index and by_id.sha256 == by_index.sha256 != pdu_rulebook.sha256
    assert str(by_id.key_question_bands.rows[1].min) == "70"
    assert str(pdu_rulebook.key_question_bands.rows[1].min) == "65"
    flow = with_changes(pdu_rulebook, ["overall.limits.rows[0].counts=[{ratings: [Inadequate, Requires improvement], min: 2}]",
                                         "scores.provenance={grade: confirmed, source: a test}"])
    assert flow.overall.limits.rows[0].counts[0].ratings == ("Inadequate", "Requires improvement")
    assert flow.scores.provenance.grade == "confirmed"
    assert with_changes(pdu_rulebook, []) is pdu_rulebook


@pytest.mark.parametrize("assignment,message", [
    ("key_question_bands.rows[kq-good].min", "expected PATH=VALUE"),
    ("=70", "expected PATH=VALUE"),
    ("key_question_bands.rows[kq-nope].min=70", "no item with id 'kq-nope'"),
    ("key_question_bands.rows[9].min=70", "index 9 out of range"),
    ("key_question_bands.nothere.min=1", "no key 'nothere'"),
    ("id.part=1", "cannot go inside a value"),
    ("key_question_bands.rows[kq-good].min=[1", "cannot read the value"),
    ("key_question_bands.rows[kq-good].min=abc", "at key_question_bands.rows[1].min: Input should be a valid decimal"),
    ("key_question_bands.rows[kq-good].then=Great", "at key_question_bands.rows[1].then: 'Great' is not one of the ratings"),
    ("key_question_bands.colour=blue", "at key_question_bands.colour: unknown key 'colour'"),
    ("policies.rounding.value=sideways", "at policies.rounding.value: Input should be 'exact'"),
])
def test_override_errors_name_the_assignment_or_the_key_path(pdu_rulebook, assignment, message):
    with pytest.raises(RulebookError) as caught:
        with_changes(pdu_rulebook, [assignment])
    text = str(caught.value)
    assert message in text
    assert assignment.partition("=")[0] in text or f"--set {assignment!r}" in text


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(-10**6, 10**6).map(str),
                 st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False).map(lambda d: f"{d:f}"),
                 st.sampled_from(["070", "1e3", "1.", ".5", "+3", "0x1F", "Good", "null", "[Good]", "-0", "0.50"])))
def test_set_values_read_as_yaml_reads_them(text):
    from ruamel.yaml import YAML

    from ratings_engine.io.rulebooks import _parse_value

    expected = YAML(typ="safe", pure=True).load(text)
    got = _parse_value(text, f"x={text}")
    assert got == expected and type(got) is type(expected), (text, got, expected)
