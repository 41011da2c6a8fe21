"""`rate pdu`: the annexe table, markdown, JSON and explanations, options, several units, exit codes.

Expected figures come from the API on the same inputs, so the CLI is checked to show what the
engine decided, in the documented layout."""
import json
import shutil
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ALL_GOOD_JUDGEMENTS, cases_from_counts, standard_counts

from ratings_engine import load_rulebook, rate
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import with_changes

UNIT = "Redcar, Cleveland and Middlesbrough"


def run(*args):
    return CliRunner().invoke(main, ["pdu", *map(str, args)])


def ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout


def margin_text(margin, unit: str, sign: str) -> str:
    if margin is None:
        return "-"
    return f"{sign}{margin.amount} {unit if margin.amount != 1 else unit.rstrip('s')} -> {margin.to}"


@pytest.fixture
def example_report(example_cases, example_judgements):
    return rate(example_cases, judgements=example_judgements)


def test_table_follows_the_annexe(example_cases, example_judgements, example_report):
    out = ok(run(example_cases, "--judgements", example_judgements))
    (unit,) = example_report.units
    lines = out.splitlines()
    assert lines[0] == UNIT
    assert "Score 8/24" in lines and "Overall rating: Requires improvement" in lines
    o = unit.overall.decision
    assert (f"Distance to the next band: {margin_text(o.margin_up, 'points', '+')}; "
            f"to the band below: {margin_text(o.margin_down, 'points', '-')}") in lines
    for standard in unit.standards:
        row = next(line for line in lines if line.startswith(f"{standard.id}  "))
        assert standard.name in row and standard.rating in row
        if standard.basis == "cases" and standard.rating != "Not inspected":
            assert margin_text(standard.decision.margin_up, "cases", "+") in row
    assert any(line.startswith("1.") and "Organisational delivery" in line for line in lines)
    assert f"Rulebook: probation-pdu-2021 version 1.0 (sha256 {load_rulebook().sha256[:12]})" in lines
    assert "Why:" not in out  # explanations only on request


def test_explain_gives_the_tally_rule_and_margins_of_every_decision(example_cases, example_judgements, example_report):
    out = ok(run(example_cases, "-j", example_judgements, "--explain"))
    (unit,) = example_report.units
    assert f"Why: {UNIT}" in out
    for standard in unit.standards:
        assert f"{standard.id} {standard.name}: {standard.rating}. {standard.decision.because}" in out
        for kq in standard.key_questions:
            d = kq.decision
            line = next(line for line in out.splitlines() if line.strip().startswith(f"{kq.id}: "))
            assert f"{kq.sufficient} of {kq.applicable} applicable cases sufficient" in line
            assert f"rule {d.rule} " in line and f"gives {kq.rating}" in line
            up = margin_text(d.margin_up, "cases", "+") if d.margin_up else "none reachable"
            down = margin_text(d.margin_down, "cases", "-") if d.margin_down else "none reachable"
            assert f"up: {up}; down: {down}" in line
            assert line.endswith(f"[{d.provenance.grade}]")
    kq = next(line for line in out.splitlines() if line.strip().startswith("2.2.3: "))
    assert "18 of 44 applicable cases sufficient (40.9%): rule kq-inadequate (under 50%) gives Inadequate" in kq
    assert "up: +4 cases -> Requires improvement; down: none reachable" in kq
    assert "score 8 of 24 over 8 scored standard(s)" in out and "rule overall-requires-improvement" in out
    assert "rated Requires improvement by inspectors' judgement" in out and "Illustrative: unclear accountability" in out
    assert "2.1 Court work: Not inspected. no case evidence for any of its key questions" in out


def test_markdown_is_the_same_content_as_pipe_tables(example_cases, example_judgements):
    out = ok(run(example_cases, "-j", example_judgements, "--format", "markdown", "--explain"))
    assert out.startswith(f"## {UNIT}\n")
    assert "Score 8/24" in out and "Overall rating: Requires improvement" in out
    assert any(line.startswith("| 2.2 ") and "| Inadequate " in line for line in out.splitlines())
    assert f"### Why: {UNIT}" in out
    assert "- 2.2 Assessment: Inadequate." in out and "18 of 44" in out


def test_json_has_the_documented_shape_and_equals_the_api(example_cases, example_judgements, example_report):
    data = json.loads(ok(run(example_cases, "-j", example_judgements, "--format", "json")))
    assert data == json.loads(json.dumps(example_report.to_dict()))
    assert data["rulebook"]["id"] == "probation-pdu-2021" and data["rulebook"]["version"] == "1.0"
    assert data["rulebook"]["sha256"] == load_rulebook().sha256
    (unit,) = data["units"]
    assert unit["unit"] == UNIT
    assert {"rating", "score", "max_score"} <= set(unit["overall"])
    for standard in unit["standards"]:
        assert {"id", "name", "rating", "score", "basis", "key_questions"} <= set(standard)
        assert standard["rating"] in {"Outstanding", "Good", "Requires improvement", "Inadequate", "Not inspected"}
        for kq in standard["key_questions"]:
            assert {"id", "sufficient", "applicable", "pct", "rating"} <= set(kq)
            assert kq["pct"] == pytest.approx(100 * kq["sufficient"] / kq["applicable"], abs=1e-4)
    assert [i["kind"] for i in data["inputs"]] == ["cases", "judgements"]


def test_output_writes_the_file_and_nothing_to_stdout(example_cases, example_judgements, tmp_path):
    target = tmp_path / "annexe.md"
    result = run(example_cases, "-j", example_judgements, "--format", "markdown", "--output", target)
    assert ok(result) == ""
    expected = ok(run(example_cases, "-j", example_judgements, "--format", "markdown"))
    assert target.read_text(encoding="utf-8") == expected


def two_unit_files(write_file):
    north = cases_from_counts(standard_counts("2.2", 9, 1) | standard_counts("2.3", 9, 1), unit="North")
    south = cases_from_counts(standard_counts("2.2", 2, 8) | standard_counts("2.3", 6, 4), unit="South")
    cases = write_file("cases.csv", pd.concat([north, south]).to_csv(index=False))
    judgements = write_file("judgements.csv", "standard,rating,unit\n" + "".join(
        f"{s},{r},{u}\n" for u, r in (("North", "Outstanding"), ("South", "Requires improvement"))
        for s in ALL_GOOD_JUDGEMENTS))
    return cases, judgements


def test_a_multi_unit_file_rates_each_unit(write_file):
    cases, judgements = two_unit_files(write_file)
    data = json.loads(ok(run(cases, "-j", judgements, "--format", "json")))
    assert [u["unit"] for u in data["units"]] == ["North", "South"]
    overall = {u["unit"]: (u["overall"]["rating"], u["overall"]["score"], u["overall"]["max_score"]) for u in data["units"]}
    assert overall == {"North": ("Outstanding", 18, 18), "South": ("Requires improvement", 5, 18)}
    table = ok(run(cases, "-j", judgements))
    assert table.splitlines()[0] == "North" and "\nSouth\n" in table
    assert table.count("Score ") == 2


def test_unit_option_rates_only_that_unit(write_file):
    cases, judgements = two_unit_files(write_file)
    data = json.loads(ok(run(cases, "-j", judgements, "--format", "json", "--unit", "South")))
    (unit,) = data["units"]
    assert unit["unit"] == "South" and unit["overall"]["rating"] == "Requires improvement"
    assert data["inputs"][0]["audit"]["rows_skipped"] == {"unit other than 'South'": 10}
    together = json.loads(ok(run(cases, "-j", judgements, "--format", "json")))
    assert unit == together["units"][1]


def test_unit_option_names_the_unit_of_a_file_without_a_unit_column(write_file):
    cases = write_file("cases.csv", cases_from_counts(standard_counts("2.2", 9, 1)).to_csv(index=False))
    out = ok(run(cases, "--unit", "Teesside", "--allow-partial"))
    assert out.splitlines()[0] == "Teesside"


def test_missing_judgements_refuse_the_overall_rating_say_so_and_exit_4(example_cases):
    result = run(example_cases, "--no-judgements")
    assert result.exit_code == 4, result.output
    assert "Overall rating: Not given: judgement standard(s) 1.1, 1.2, 1.3, 1.4 missing" in result.stdout
    assert "WARNING: unit" in result.stdout
    partial = ok(run(example_cases, "--no-judgements", "--allow-partial", "--format", "json"))
    assert json.loads(partial)["units"][0]["overall"]["status"] == "partial"
    assert "PARTIAL" in ok(run(example_cases, "--no-judgements", "--allow-partial"))


def test_judgements_beside_the_case_file_are_found_by_name_and_named_in_the_output(example_cases, example_judgements):
    found = run(example_cases)
    assert found.exit_code == 0
    assert f"Note: judgements: {example_judgements} (found by name: beside the case file)" in found.stdout
    given = run(example_cases, "-j", str(example_judgements))
    assert found.stdout.split("Rulebook:")[0] == given.stdout.split("Rulebook:")[0]


@pytest.mark.parametrize("args", [["--format", "xml"], [], ["--blank", "sometimes"], ["--no-such-option"]])
def test_usage_errors_exit_2(example_cases, args):
    result = CliRunner().invoke(main, ["pdu", *([str(example_cases)] if args else []), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_the_installed_console_script_exits_0_and_2_without_a_traceback(example_cases, example_judgements, write_file):
    script = shutil.which("rate")
    assert script is not None, "the 'rate' console script is not installed"
    good = subprocess.run([script, "pdu", str(example_cases), "-j", str(example_judgements)],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0 and "Score 8/24" in good.stdout
    bad = write_file("bad.csv", "case_id,2.2.1,2.2.2,2.2.3\na,yes,maybe,yes\n")
    failed = subprocess.run([script, "pdu", str(bad)], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2 and failed.stdout == ""
    assert failed.stderr.startswith(f"error: {bad}, row 2, column '2.2.2': unknown answer 'maybe'")
    assert "Traceback" not in failed.stderr


def test_set_changes_a_rulebook_value_for_one_run(example_cases, example_judgements, pdu_rulebook):
    changes = ["key_question_bands.rows[kq-good].min=70", "key_question_bands.rows[kq-requires-improvement].below=70"]
    args = [example_cases, "-j", example_judgements, "--format", "json"]
    result = run(*args, *[part for change in changes for part in ("--set", change)])
    data = json.loads(ok(result))
    changed = with_changes(pdu_rulebook, changes)
    assert data["rulebook"]["sha256"] == changed.sha256 != pdu_rulebook.sha256
    api_report = rate(example_cases, changed, judgements=example_judgements).to_dict()
    assert data["units"] == json.loads(json.dumps(api_report["units"]))
    kq = next(k for s in data["units"][0]["standards"] for k in s["key_questions"] if k["id"] == "2.2.1")
    assert (kq["sufficient"], kq["applicable"], kq["rating"]) == (30, 44, "Requires improvement")  # 68.2% < 70
    assert "changed by --set" in result.stderr


@pytest.mark.parametrize("change,message", [
    ("key_question_bands.rows[kq-nope].min=70", "no item with id 'kq-nope'"),
    ("key_question_bands.rows[kq-good].min=abc", "at key_question_bands.rows[1].min: Input should be a valid decimal"),
    ("key_question_bands.rows[kq-good].min", "expected PATH=VALUE"),
])
def test_set_errors_exit_2_with_the_path(example_cases, change, message):
    result = run(example_cases, "--set", change)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert message in result.stderr and "Traceback" not in result.output


def test_lazy_command_table_matches_what_each_module_registers():
    import importlib

    import click

    from ratings_engine.cli.main import LAZY_COMMANDS

    registered = {}
    for module in set(LAZY_COMMANDS.values()):
        group = click.Group()
        importlib.import_module(f"ratings_engine.cli.{module}").register(group)
        registered.update(dict.fromkeys(group.commands, module))
    assert registered == LAZY_COMMANDS


def test_every_command_is_listed_in_help():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("pdu", "unit", "frameworks", "check-rules", "diff", "test", "validate", "report", "export",
                 "confidence", "sweep"):
        assert f"  {name} " in result.output
