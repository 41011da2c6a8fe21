"""`rate validate`: drafts compared with computed ratings, differences explained, panel overrides, exit codes."""
import json

import pytest
from click.testing import CliRunner
from conftest import CASES

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.drafts import read_draft
from ratings_engine.io.overrides import parse_override_options, read_overrides
from ratings_engine.model.errors import InputError
from ratings_engine.rating.overrides import apply_overrides
from ratings_engine.toolkit.validate import validate

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
DRAFT_CSV = CASES / "redcar-cleveland-middlesbrough-draft.csv"  # 2.2 drafted one band too high, score 9/24
DRAFT_YAML = CASES / "redcar-cleveland-middlesbrough-draft.yaml"  # agrees
OVERRIDES = CASES / "redcar-cleveland-middlesbrough-overrides.csv"
UNIT = "Redcar, Cleveland and Middlesbrough"


def run(*args):
    return CliRunner().invoke(main, ["validate", str(EXAMPLE), *map(str, args)])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_agreeing_draft_exits_0_and_marks_every_standard():
    result = run("--draft", DRAFT_YAML, "-j", JUDGEMENTS, "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr
    data = json.loads(result.stdout)
    assert data["agrees"] is True
    (unit,) = data["units"]
    assert {s["id"]: s["status"] for s in unit["standards"]} == dict.fromkeys(
        ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "2.5"], "agrees")
    assert (unit["overall"]["rating_status"], unit["overall"]["score_status"]) == ("agrees", "agrees")
    assert data["report"]["units"][0]["overall"]["score"] == 8
    assert [i["kind"] for i in data["report"]["inputs"]] == ["cases", "judgements", "draft"]


def test_differing_draft_exits_1_with_deciding_key_question_tally_band_and_margin():
    result = run("--draft", DRAFT_CSV, "-j", JUDGEMENTS, "--format", "json")
    assert result.exit_code == 1, result.output + result.stderr
    (unit,) = json.loads(result.stdout)["units"]
    assert unit["standards_differing"] == ["2.2"]
    s = next(s for s in unit["standards"] if s["id"] == "2.2")
    assert (s["computed"], s["draft"], s["status"], s["deciding_key_question"]) == (
        "Inadequate", "Requires improvement", "differs", "2.2.3")
    m = s["margin_to_draft"]
    assert (m["to"], m["cases"], m["direction"], m["gives"]) == ("Requires improvement", 4, "up", "Requires improvement")
    (step,) = m["steps"]
    assert step["key_question"] == "2.2.3"
    assert (step["from"]["sufficient"], step["to"]["sufficient"], step["to"]["applicable"]) == (18, 22, 44)
    assert step["to"]["rule"] == "kq-requires-improvement"
    assert "2.2.3: 18 of 44 applicable cases sufficient (40.9%), rule kq-inadequate gives Inadequate" in s["because"]
    o = unit["overall"]
    assert (o["computed"], o["score"], o["draft"], o["draft_score"]) == ("Requires improvement", 8,
                                                                           "Requires improvement", 9)
    assert (o["rating_status"], o["score_status"]) == ("agrees", "differs")
    assert o["draft_own_standards_give"]["score"] == 9  # the draft is consistent with itself
    # ... and the same in the table, which says what to do about it
    table = run("--draft", DRAFT_CSV, "-j", JUDGEMENTS)
    assert table.exit_code == 1
    assert "2.2  Assessment" in table.stdout and "DIFFERS" in table.stdout
    assert "4 cases insufficient -> sufficient: 4 on 2.2.3 (18 -> 22 of 44, 50.0%" in table.stdout
    assert "the draft's score 9 is +1 point from the computed 8" in table.stdout


def test_draft_lower_than_computed_gives_the_cases_down_and_several_key_questions_up(tmp_path):
    draft = write(tmp_path, "d.csv", "standard,rating\n2.3,Inadequate\n2.5,Good\n")
    v = validate(api.rate(EXAMPLE, judgements=JUDGEMENTS), read_draft(draft, api.load_rulebook().rulebook),
                 api.load_rulebook().rulebook)
    checks = {s.id: s for s in v.units[0].standards}
    down = checks["2.3"].detail["margin_to_draft"]
    assert (down["direction"], down["cases"], down["steps"][0]["key_question"]) == ("down", 2, "2.3.3")
    up = checks["2.5"].detail["margin_to_draft"]  # 2.5.2 and 2.5.3 are both below Good: both must rise
    assert up["direction"] == "up" and [st["key_question"] for st in up["steps"]] == ["2.5.2", "2.5.3"]
    assert up["cases"] == 3 + 5 and up["gives"] == "Good"
    assert checks["1.1"].status == "not in draft" and checks["2.1"].status == "agrees"  # not inspected, not drafted
    assert v.exit_code == 1


def test_overall_difference_gives_points_to_the_drafts_band(tmp_path):
    draft = write(tmp_path, "d.yaml", 'standards: {"2.2": Inadequate}\noverall: {rating: Good, score: "8/24"}\n')
    result = run("--draft", draft, "-j", JUDGEMENTS, "--format", "json")
    assert result.exit_code == 1
    o = json.loads(result.stdout)["units"][0]["overall"]
    assert o["rating_status"] == "differs" and o["score_status"] == "agrees"
    assert o["margin_to_draft"] == {"to": "Good", "points": 5, "score": 13, "max_score": 24}


def test_judgement_standards_come_from_the_draft_when_no_judgements_file_and_it_says_so():
    result = run("--draft", DRAFT_YAML, "--no-judgements")
    assert result.exit_code == 0, result.output + result.stderr
    assert "rated as in the draft" in result.stdout
    assert "Input (judgements):" in result.stdout and "(draft)" in result.stdout


# ---- overrides ----


def test_override_replaces_the_rating_recomputes_the_overall_and_shows_everywhere(tmp_path):
    reason = "Panel: most 2.2.3 cases predate the new risk process"
    args = ["--draft", DRAFT_CSV, "-j", JUDGEMENTS, "--override", f"2.2=Requires improvement:{reason}"]
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output + result.stderr  # the draft now agrees, overall 9/24
    data = json.loads(result.stdout)
    assert data["overrides"] == [{"unit": UNIT, "standard": "2.2", "name": "Assessment",
                                  "rating": "Requires improvement", "computed": "Inadequate", "reason": reason,
                                  "from": "--override #1"}]
    unit = data["report"]["units"][0]
    s22 = next(s for s in unit["standards"] if s["id"] == "2.2")
    assert s22["decision"]["table"] == "override" and s22["rating"] == "Requires improvement" and s22["score"] == 1
    assert s22["decision"]["inputs"]["computed_decision"]["outcome"] == "Inadequate"
    overall = unit["overall"]
    assert (overall["score"], overall["max_score"], overall["rating"]) == (9, 24, "Requires improvement")
    assert overall["decision"]["rule"] == "overall-requires-improvement"
    assert overall["decision"]["inputs"]["without_overrides"]["score"] == 8
    assert any("OVERRIDDEN" in w and reason in w for w in data["warnings"])
    for fmt in ("table", "markdown"):
        text = run(*args, "--format", fmt).stdout
        assert "panel override" in text and reason in text, fmt
    xlsx = tmp_path / "v.xlsx"
    assert run(*args, "--format", "xlsx", "--output", xlsx).exit_code == 0
    import openpyxl
    cells = [c.value for row in openpyxl.load_workbook(xlsx)["Overrides"].iter_rows() for c in row]
    assert reason in cells


def test_override_can_change_the_overall_band_through_the_rulebook():
    rb = api.load_rulebook().rulebook
    report = api.rate(EXAMPLE, judgements=JUDGEMENTS)
    texts = [f"{s}=Outstanding:panel test" for s in ("2.2", "2.3", "2.4", "2.5")]
    after = apply_overrides(report, parse_override_options(texts, rb), rb).units[0].overall
    assert (after.score, after.rating, after.decision.rule) == (18, "Good", "overall-good")  # 18/24: mean 2.25


def test_override_file_and_mandatory_reason(tmp_path):
    rb = api.load_rulebook().rulebook
    (o,) = read_overrides(OVERRIDES, rb).items
    assert (o.standard, o.rating, o.where.row) == ("2.4", "Requires improvement", 2)
    bad = write(tmp_path, "o.csv", "standard,rating,reason\n2.4,Good,\n2.5,Great,x\n")
    with pytest.raises(InputError) as err:
        read_overrides(bad, rb)
    where = [(p.location.row, p.location.column, p.message) for p in err.value.problems]
    assert (2, "reason", "blank reason (the reason is mandatory)") in where
    assert any(row == 3 and "unknown rating 'Great'" in msg for row, _, msg in where)
    yaml = write(tmp_path, "o.yaml", 'overrides:\n  - {standard: "2.4", rating: Good}\n')
    with pytest.raises(InputError, match=r"line 2.*missing 'reason' \(the reason is mandatory\)"):
        read_overrides(yaml, rb)
    for text in ("2.4=Good", "2.4=Good:", "2.4=Good:   ", "9.9=Good:x"):
        result = run("--draft", DRAFT_CSV, "--override", text)
        assert result.exit_code == 2 and "Traceback" not in result.stderr, text
    assert "the reason is mandatory" in run("--draft", DRAFT_CSV, "--override", "2.4=Good:").stderr
    dup = run("--draft", DRAFT_CSV, "--override", "2.4=Good:a", "--overrides", OVERRIDES)
    assert dup.exit_code == 2 and "overridden twice" in dup.stderr


# ---- bad drafts ----


@pytest.mark.parametrize("text, expected", [
    ("standard,rating\n2.2,Inadequat\n", "row 2, column 'rating': unknown rating 'Inadequat'"),
    ("standard,rating\n2.9,Good\n", "row 2: unknown standard '2.9'"),
    ("standard,name,rating\n2.3,Assessment,Good\n", "row 2, column 'name': standard 2.3 is 'Planning'"),
    ("standard,rating,score\n2.2,Good,3\n", "row 2, column 'score': score '3' does not match the rating: expected 2"),
    ("standard,rating\n2.2,Good\n2.2,Good\n", "row 3: standard 2.2 drafted twice"),
    ("standard,rating,colour\n2.2,Good,red\n", "row 1, column 'colour': unknown column"),
    ("standard,rating,score\noverall,Good,lots\n", "row 2, column 'score': score 'lots' is not a whole number"),
    ("standard\n2.2\n", "row 1: no 'rating' column"),
])
def test_bad_csv_drafts_name_row_and_column(tmp_path, text, expected):
    result = run("--draft", write(tmp_path, "draft.csv", text))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


@pytest.mark.parametrize("text, expected", [
    ("standards:\n  2.2: Good\n", "line 2, at standards.2.2: standard id 2.2 must be quoted text"),
    ("standards: {\"2.2\": Good}\ncolour: red\n", "line 2, at colour: unknown key 'colour'"),
    ("standards: {\"2.2\": Good}\noverall: {rating: Good, points: 3}\n", "unknown key 'points'"),
    ("standards: {\"2.2\": !!python/object:os.system x}\n", "line 1: YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed"),  # tags are refused
    ("standards: [\n", "YAML syntax error"),
])
def test_bad_yaml_drafts_name_the_line(tmp_path, text, expected):
    result = run("--draft", write(tmp_path, "draft.yaml", text))
    assert result.exit_code == 2, result.output
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_xlsx_draft_errors_name_the_sheet(tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    book.active.title = "My draft"
    book.active.append(["standard", "rating"])
    book.active.append(["2.2", "Goodish"])
    book.save(tmp_path / "draft.xlsx")
    result = run("--draft", tmp_path / "draft.xlsx", "--draft-sheet", "My draft")
    assert result.exit_code == 2
    assert "draft.xlsx, sheet 'My draft', row 2, column 'rating': unknown rating 'Goodish'" in result.stderr


def test_multi_unit_cases_need_a_unit_column_in_the_draft(tmp_path):
    cases = tmp_path / "two.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    other = [line.replace('"Redcar, Cleveland and Middlesbrough"', "Other").replace("RCM-", "OTH-") for line in lines[1:]]
    cases.write_text("\n".join(lines + other) + "\n", encoding="utf-8")
    flat = CliRunner().invoke(main, ["validate", str(cases), "--draft", str(DRAFT_CSV)])
    assert flat.exit_code == 2 and "needs a 'unit' column" in flat.stderr
    draft = write(tmp_path, "d.csv", "unit,standard,rating\nOther,2.2,Inadequate\nNowhere,2.2,Good\n")
    result = CliRunner().invoke(main, ["validate", str(cases), "--draft", str(draft), "-j", str(JUDGEMENTS),
                                       "--unit", "Other", "--format", "json"])
    assert result.exit_code == 1  # standards not in the draft
    data = json.loads(result.stdout)
    assert [u["unit"] for u in data["units"]] == ["Other"]
    assert any("'Nowhere' not used" in w for w in data["warnings"])
    assert data["draft"]["audit"]["rows_skipped"] == {"unit not being rated": 1}


def test_markdown_is_pasteable_with_pipes_escaped(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text(EXAMPLE.read_text(encoding="utf-8").replace('"Redcar, Cleveland and Middlesbrough"', "North|South"),
                     encoding="utf-8")
    reason = "Panel | with a pipe"
    result = CliRunner().invoke(main, ["validate", str(cases), "--draft", str(DRAFT_CSV), "-j", str(JUDGEMENTS),
                                       "--override", f"2.4=Requires improvement:{reason}", "--format", "markdown"])
    assert result.exit_code == 1
    md = result.stdout
    assert "### North\\|South" in md and "Panel \\| with a pipe" in md
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 2 + 2 + 9 + 1  # header, rule, domains, standards, overall
    assert all(line.count("|") - line.count("\\|") == 6 for line in table)  # five cells on every row
    assert "| 2.4 | Implementation and delivery" in md and "(panel override)" in md
