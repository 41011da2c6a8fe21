"""Rulebooks you can read: `rate show` renders every shipped rulebook; the published JSON Schemas
equal the models' and validate every shipped rulebook; `extends` places rows with $before/$after;
check-rules says how to let an appended, shadowed row decide; frameworks in force on a date."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import load_rulebook, load_rulebook_file, shipped_ids
from ratings_engine.model.errors import RulebookError

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---------------------------------------------------------------------------------------------
# rate show


@pytest.mark.parametrize("rid", shipped_ids())
def test_rate_show_renders_every_shipped_rulebook_in_every_format(rid):
    rb = load_rulebook(rid).rulebook
    ids = [s.id for s in rb.standards] + list(rb.key_question_ids) + [r.id for r in rb.key_question_bands.rows] + [
        r.id for r in rb.overall.bands.rows]
    for fmt in ("table", "markdown", "html"):
        result = invoke("show", rid, "--format", fmt)
        assert result.exit_code == 0, result.output
        missing = [i for i in ids if i not in result.stdout]
        assert not missing, (fmt, missing)
        for p in ("hit policy", "provenance"):
            assert p in result.stdout.lower()
    html = invoke("show", rid, "--format", "html").stdout
    assert html.lstrip().lower().startswith("<!doctype html") and "@media print" in html
    doc = json.loads(invoke("show", rid, "--format", "json").stdout)
    assert doc["resolved"] == rb.model_dump(mode="json", by_alias=True) and doc["sha256"] == rb.sha256


def test_rate_show_resolves_extends_and_changes_in_table_order():
    text = api.show_rulebook("probation-pdu-2023")
    assert "extends probation-pdu-2021" in text
    assert "pdu23-7-inadequate" in text and "kq-outstanding" in text  # own rows and inherited ones
    rows = [line.split()[1] for line in text.split("Overall bands")[1].splitlines() if line[:1].isdigit()]
    assert rows == [r.id for r in load_rulebook("probation-pdu-2023").overall.bands.rows]
    changed = api.show_rulebook("probation-pdu-2023", changes=["key_question_bands.rows[kq-good].min=70",
                                                               "key_question_bands.rows[kq-requires-improvement].below=70"])
    assert "70% to under 80%" in changed and "65% to under 80%" not in changed


def test_rate_show_names_mixed_pooled_and_sample_rules():
    youth = api.show_rulebook("youth-justice-2025", fmt="markdown")
    assert "mixed (cases and judgement)" in youth and "V1.2" in youth and "by judgement" in youth
    assert "| children " in youth and "| 14 " in youth and "| 91 " in youth
    region = api.show_rulebook("probation-region-2023")
    assert "pooled from member units" in region and "Member units are rated by rulebook probation-pdu-2023" in region


# ---------------------------------------------------------------------------------------------
# JSON Schema


def test_the_committed_schemas_equal_the_models():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_rulebook_schema.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _plain(node):
    """Parsed YAML as JSON values (dates as text, as an editor's language server sees them)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, date):
        return node.isoformat()
    return node


@pytest.mark.parametrize("path", sorted(RULES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_rulebook_names_its_schema_and_validates_against_it(path):
    import jsonschema
    from ruamel.yaml import YAML

    first = path.read_text(encoding="utf-8").splitlines()[0]
    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    name = "rulebook-extends.schema.json" if "extends" in data else "rulebook.schema.json"
    assert first == f"# yaml-language-server: $schema={name}"
    schema = json.loads((RULES / name).read_text(encoding="utf-8"))
    jsonschema.validate(_plain(data), schema)


def test_the_schema_is_not_vacuous():
    import jsonschema

    schema = json.loads((RULES / "rulebook.schema.json").read_text(encoding="utf-8"))
    good = json.loads(api.show_rulebook("probation-pdu-2021", fmt="json"))["resolved"]
    jsonschema.validate(good, schema)
    for bad in ({**good, "colour": "blue"}, {k: v for k, v in good.items() if k != "policies"},
                {**good, "key_question_bands": {**good["key_question_bands"], "hit_policy": "sometimes"}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_the_schema_comment_does_not_change_the_content_hash(tmp_path):
    text = (RULES / "probation-pdu-2021.yaml").read_text(encoding="utf-8")
    bare = tmp_path / "bare.yaml"
    bare.write_text("\n".join(text.splitlines()[1:]) + "\n", encoding="utf-8")
    assert load_rulebook_file(bare).rulebook.sha256 == load_rulebook("probation-pdu-2021").rulebook.sha256


# ---------------------------------------------------------------------------------------------
# extends: $before / $after, and check-rules' suggestion

CHILD = """extends: probation-pdu-2021
id: child
overall:
  bands:
    rows:
      - {{id: two-inadequate, counts: [{{ratings: [Inadequate], min: 2}}], then: Inadequate{place}}}
"""


def test_an_appended_row_that_is_shadowed_gets_a_before_suggestion(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text(CHILD.format(place=""), encoding="utf-8")
    result = invoke("check-rules", path, "--format", "json")
    assert result.exit_code == 1
    (finding,) = [f for f in json.loads(result.stdout)["errors"] if f["kind"] == "shadowed"]
    assert "$before: overall-inadequate" in finding["message"] and "added by this rulebook" in finding["message"]


@pytest.mark.parametrize("place,order", [
    (", $before: overall-inadequate", ["two-inadequate", "overall-inadequate", "overall-requires-improvement"]),
    (", $after: overall-inadequate", ["overall-inadequate", "two-inadequate", "overall-requires-improvement"]),
])
def test_before_and_after_place_a_new_row(tmp_path, place, order):
    path = tmp_path / "child.yaml"
    path.write_text(CHILD.format(place=place), encoding="utf-8")
    rb = load_rulebook_file(path).rulebook
    assert [r.id for r in rb.overall.bands.rows][:3] == order
    if "before" in place:
        assert api.check_rules(path).ok  # placed first, it decides: no shadowed row
        assert "$before" not in rb.canonical_json


def test_before_moves_a_merged_parent_row(tmp_path):
    path = tmp_path / "child.yaml"
    path.write_text("extends: probation-pdu-2021\nid: child\nkey_question_bands:\n  rows:\n"
                    "    - {id: kq-inadequate, $before: kq-outstanding}\n", encoding="utf-8")
    rb = load_rulebook_file(path).rulebook
    assert [r.id for r in rb.key_question_bands.rows] == ["kq-inadequate", "kq-outstanding", "kq-good",
                                                          "kq-requires-improvement"]


@pytest.mark.parametrize("item,message,line", [
    ("{id: x, then: Good, $before: nowhere}", "$before 'nowhere': no item with that id", 6),
    ("{id: x, then: Good, $before: overall-good, $after: overall-good}", "give $before or $after, not both", 6),
    ("{id: overall-good, $remove: true, $before: overall-inadequate}", "is not placed", 6),
])
def test_placement_errors_name_file_and_line(tmp_path, item, message, line):
    path = tmp_path / "child.yaml"
    path.write_text(f"extends: probation-pdu-2021\nid: child\noverall:\n  bands:\n    rows:\n      - {item}\n",
                    encoding="utf-8")
    with pytest.raises(RulebookError) as caught:
        load_rulebook_file(path)
    problem = caught.value.problems[0]
    assert message in problem.message and problem.location.file == str(path) and problem.location.line == line


# ---------------------------------------------------------------------------------------------
# Effective dates and the frameworks in force

#: Written by hand from shared/frameworks-2023-2025.md: which shipped frameworks are in force on a day.
IN_FORCE = {
    "2019-05-01": {"probation-crc-nps-2018", "youth-justice-2018"},
    "2021-07-15": {"probation-crc-nps-2018", "youth-justice-2021"},  # CRC/NPS reports ran to July 2021
    "2022-06-01": {"probation-pdu-2021", "youth-justice-2021"},
    "2023-07-31": {"probation-pdu-2021", "youth-justice-2021"},  # the 2021 programme's last reports
    "2023-08-15": {"youth-justice-2021"},  # between the probation programmes
    "2023-10-01": {"probation-pdu-2023", "probation-region-2023", "youth-justice-2021"},
    "2025-03-31": {"probation-pdu-2023", "probation-region-2023", "youth-justice-2021"},
    "2025-06-01": {"probation-pdu-2023", "probation-region-2023", "youth-justice-2025"},
}


@pytest.mark.parametrize("day,expected", IN_FORCE.items())
def test_rate_frameworks_on_a_date_lists_the_frameworks_in_force(day, expected):
    result = invoke("frameworks", "--on", day, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {f["id"] for f in doc["in_force"]} == expected
    assert "experimental-count-caps" not in {f["id"] for f in doc["in_force"]}
    if len(expected) > 1:
        assert "Several frameworks are in force at once: each rates its own kind of unit" in doc["note"]
    table = invoke("frameworks", "--on", day)
    assert all(i in table.stdout for i in expected) and f"In force on {day}" in table.stdout


def test_an_inspection_date_picks_the_rulebook_in_force_and_says_so():
    example = ROOT / "cases" / "probation-pdu-2023-example.csv"
    result = invoke("pdu", example, "--inspection-date", "2024-05-01", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rulebook"]["id"] == "probation-pdu-2023"
    assert any("rulebook probation-pdu-2023 picked: in force on 2024-05-01" in n for n in doc["notes"])
    youth = invoke("unit", ROOT / "cases" / "youth-justice-2025-example.csv", "--inspection-date", "2025-09-01",
                   "--format", "json")
    assert json.loads(youth.stdout)["rulebook"]["id"] == "youth-justice-2025"
    gap = invoke("pdu", example, "--inspection-date", "2023-08-15")
    assert gap.exit_code == 2 and "between programmes" in gap.stderr


def test_a_rulebook_not_in_force_on_the_inspection_date_is_warned_about(tmp_path):
    example = ROOT / "cases" / "probation-pdu-2023-example.csv"
    result = invoke("pdu", example, "--rules", "probation-pdu-2023", "--inspection-date", "2022-02-01")
    assert result.exit_code == 0
    assert "was inspected on 2022-02-01, but rulebook probation-pdu-2023 was not in force then" in result.stdout
    assert "in force then: probation-pdu-2021" in result.stdout
    text = example.read_text(encoding="utf-8").splitlines()
    dated = tmp_path / "dated.csv"
    dated.write_text("\n".join([text[0] + ",inspection_date"] + [line + ",2022-02-01" for line in text[1:]]) + "\n",
                     encoding="utf-8")
    report = api.rate(dated, "probation-pdu-2023", judgements=None, allow_partial=True)
    assert any("was inspected on 2022-02-01" in w for w in report.warnings)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([text[0] + ",inspection_date"] + [line + ",1 Feb 2022" for line in text[1:]]) + "\n",
                   encoding="utf-8")
    with pytest.raises(Exception, match="not a date written YYYY-MM-DD"):
        api.rate(bad, "probation-pdu-2023", judgements=None)
