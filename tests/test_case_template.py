"""`rate template`: a blank case workbook for a framework that, once filled in, rates with no options."""
import csv
import json

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT
from ruamel.yaml import YAML

from ratings_engine.cli import main

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
DRAFT = CASES / "redcar-cleveland-middlesbrough-draft.csv"
YOUTH = CASES / "youth-justice-2021-example.csv"
YOUTH_JUDGEMENTS = CASES / "youth-justice-2021-example-judgements.csv"


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def pdu_2021() -> list[dict]:
    """The standards of rules/probation-pdu-2021.yaml, read here with a plain YAML parser."""
    data = YAML(typ="safe", pure=True).load((ROOT / "rules" / "probation-pdu-2021.yaml").read_text(encoding="utf-8"))
    return [s for d in data["framework"] for s in d["standards"]]


def template(tmp_path, rules="probation-pdu-2021", name="cases.xlsx", *extra):
    out = tmp_path / name
    result = invoke("template", "--rules", rules, "-o", out, *extra)
    assert result.exit_code == 0, result.output + result.stderr
    return out


def fill(path, cases=None, judgements=None, draft=None, target=None):
    """Fill a template as an inspector would: the case rows, the judgement ratings, the draft."""
    book = openpyxl.load_workbook(path)
    if cases:
        ws = book["Cases"]
        header = [c.value for c in ws[1]]
        for r, row in enumerate(cases, start=2):
            for column, value in row.items():
                ws.cell(r, header.index(column) + 1).value = value
    for title, given, key in (("Judgements", judgements, "rating"), ("Draft", draft, "rating")):
        if not given:
            continue
        ws = book[title]
        header = [c.value for c in ws[1]]
        for r in range(2, ws.max_row + 1):
            row = given.get(ws.cell(r, 1).value)
            if row:
                for column, value in row.items():
                    if column in header:
                        ws.cell(r, header.index(column) + 1).value = value or None
    book.save(target or path)
    return target or path


def test_the_template_is_laid_out_for_the_framework(tmp_path):
    out = template(tmp_path, "probation-pdu-2021", "cases.xlsx", "--cases", "25")
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:3] == ["Cases", "Judgements", "Draft"] and "About" in book.sheetnames
    standards = pdu_2021()
    kqs = [(k["id"], k["text"]) for s in standards if s["rated_by"] == "cases" for k in s["key_questions"]]
    cases = book["Cases"]
    header = [c.value for c in cases[1]]
    assert header == ["case_id", "unit", *(k for k, _ in kqs)]
    for column, (kq, text) in enumerate(kqs, start=3):
        assert text in cases.cell(1, column).comment.text, kq  # the question's wording on its header
    lists = {}
    for rule in cases.data_validations.dataValidation:
        for area in str(rule.sqref).split():
            lists[area] = (rule.type, rule.formula1)
    letters = [openpyxl.utils.get_column_letter(c) for c in range(3, len(header) + 1)]
    assert {lists[f"{x}2:{x}26"] for x in letters} == {("list", '"yes,no,n/a"')}  # 25 prepared rows
    judgements = book["Judgements"]
    assert [c.value for c in judgements[1]] == ["standard", "name", "rating", "reason"]
    assert [(r[0], r[1]) for r in judgements.iter_rows(min_row=2, values_only=True)] == \
        [(s["id"], s["name"]) for s in standards if s["rated_by"] == "judgement"]
    (rating_list,) = judgements.data_validations.dataValidation
    assert rating_list.formula1 == '"Outstanding,Good,Requires improvement,Inadequate,Not inspected"'
    draft = book["Draft"]
    assert [r[0] for r in draft.iter_rows(min_row=2, values_only=True)] == [s["id"] for s in standards] + ["overall"]
    about = dict(list(book["About"].values)[1:])
    assert about["Format"] == "ratings-engine workbook 1" and about["Rulebook"] == "probation-pdu-2021"


def test_a_filled_template_rates_with_no_options(tmp_path):
    """The shipped example typed into the template: the letter's ratings (8/24, Requires improvement,
    court work not inspected) with no --rules, --judgements or --sheet."""
    filled = fill(template(tmp_path), cases=read_csv(EXAMPLE),
                  judgements={r["standard"]: r for r in read_csv(JUDGEMENTS)})
    result = invoke("pdu", filled, "-f", "json")
    assert result.exit_code == 0, result.stderr
    unit = json.loads(result.stdout)["units"][0]
    assert unit["unit"] == "Redcar, Cleveland and Middlesbrough"
    assert (unit["overall"]["rating"], unit["overall"]["score"], unit["overall"]["max_score"]) == \
        ("Requires improvement", 8, 24)
    ratings = {s["id"]: s["rating"] for s in unit["standards"]}
    assert ratings == {"1.1": "Requires improvement", "1.2": "Good", "1.3": "Requires improvement", "1.4": "Good",
                       "2.1": "Not inspected", "2.2": "Inadequate", "2.3": "Requires improvement",
                       "2.4": "Inadequate", "2.5": "Requires improvement"}  # the seed letter's annexe
    assert "2.1.1, 2.1.2, 2.1.3 are blank on every row" in result.stderr  # said, not silent
    assert invoke("unit", filled, "-f", "json").exit_code == 0  # the rulebook comes from the workbook
    assert invoke("report", filled, "--resamples", "0", "-o", tmp_path / "r.html").exit_code == 0


def test_a_filled_template_of_another_framework_rates_by_its_own_rulebook(tmp_path):
    filled = fill(template(tmp_path, "youth-justice-2021"), cases=read_csv(YOUTH),
                  judgements={r["standard"]: r for r in read_csv(YOUTH_JUDGEMENTS)})
    from_workbook = json.loads(invoke("unit", filled, "-f", "json").stdout)
    from_csv = json.loads(invoke("unit", YOUTH, "--rules", "youth-justice-2021", "-j", YOUTH_JUDGEMENTS,
                                 "-f", "json").stdout)
    assert from_workbook["rulebook"]["id"] == "youth-justice-2021"
    strip = lambda u: (u["overall"], [(s["id"], s["rating"]) for s in u["standards"]])  # noqa: E731
    assert strip(from_workbook["units"][0])[1] == strip(from_csv["units"][0])[1]
    assert from_workbook["units"][0]["overall"]["rating"] == from_csv["units"][0]["overall"]["rating"]


def test_judgements_not_yet_made_wait_for_them(tmp_path):
    filled = fill(template(tmp_path), cases=read_csv(EXAMPLE))
    result = invoke("pdu", filled, "-f", "json")
    assert result.exit_code == 4  # rated, but the overall rating is refused
    data = json.loads(result.stdout)
    assert data["units"][0]["overall"]["status"] == "incomplete"
    judged = next(i for i in data["inputs"] if i["kind"] == "judgements")
    assert judged["audit"]["rows_skipped"] == {"no rating given": 4} and judged["audit"]["rows_read"] == 4


def test_the_draft_sheet_is_checked_and_blank_rows_are_not_in_the_draft(tmp_path):
    draft = {r["standard"]: r for r in read_csv(DRAFT)}
    draft["overall"] = {"rating": "Requires improvement", "score": "9/24"}
    filled = fill(template(tmp_path), cases=read_csv(EXAMPLE), judgements={r["standard"]: r for r in read_csv(JUDGEMENTS)},
                  draft=draft)
    result = invoke("validate", filled, "--draft", filled, "-f", "json")
    assert result.exit_code == 1
    checks = {c["id"]: c["status"] for c in json.loads(result.stdout)["units"][0]["standards"]}
    assert [k for k, v in checks.items() if v != "agrees"] == ["2.2"]  # as with the draft CSV
    del draft["2.5"]
    partial = fill(template(tmp_path, name="partial.xlsx"), cases=read_csv(EXAMPLE),
                   judgements={r["standard"]: r for r in read_csv(JUDGEMENTS)}, draft=draft)
    data = json.loads(invoke("validate", partial, "--draft", partial, "-f", "json").stdout)
    assert {c["id"]: c["status"] for c in data["units"][0]["standards"]}["2.5"] == "not in draft"
    audit = next(i for i in data["report"]["inputs"] if i["kind"] == "draft")["audit"]
    assert audit["rows_skipped"] == {"no rating given": 1}


def test_a_blank_answer_in_a_filled_row_is_still_an_error(tmp_path):
    rows = read_csv(EXAMPLE)
    rows[5]["2.2.3"] = ""
    filled = fill(template(tmp_path), cases=rows, judgements={r["standard"]: r for r in read_csv(JUDGEMENTS)})
    result = invoke("pdu", filled)
    assert result.exit_code == 2
    assert "sheet 'Cases', row 7, column '2.2.3': blank answer" in result.stderr


def test_the_csv_variant(tmp_path):
    out = template(tmp_path, "probation-pdu-2021", "inspection.csv")
    header = out.read_text(encoding="utf-8-sig").splitlines()
    assert header == [",".join(["case_id", "unit", *(k["id"] for s in pdu_2021() if s["rated_by"] == "cases"
                                                     for k in s["key_questions"])])]
    judgements = tmp_path / "inspection-judgements.csv"
    assert [r["standard"] for r in read_csv(judgements)] == ["1.1", "1.2", "1.3", "1.4"]
    # filled in (court work columns dropped, as a CSV user would): found by name, rated
    cases = read_csv(EXAMPLE)
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(cases[0]))
        writer.writeheader()
        writer.writerows(cases)
    given = {r["standard"]: r for r in read_csv(JUDGEMENTS)}
    with open(judgements, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["standard", "name", "rating", "reason"])
        for sid, name in (("1.1", "Leadership"), ("1.2", "Staff"), ("1.3", "Services"),
                          ("1.4", "Information and facilities")):
            writer.writerow([sid, name, given[sid]["rating"], given[sid]["reason"]])
    result = invoke("pdu", out, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["units"][0]["overall"]["score"] == 8


@pytest.mark.parametrize("args, message", [
    (["--rules", "probation-pdu-2021"], "--output"),
    (["--rules", "no-such-rulebook", "-o", "x.xlsx"], "no-such-rulebook"),
    (["--rules", "probation-pdu-2021", "--cases", "0", "-o", "x.xlsx"], "--cases"),
    (["-o", "x.xlsx"], "--rules"),
])
def test_template_usage_errors(tmp_path, args, message):
    result = invoke("template", *[a.replace("x.xlsx", str(tmp_path / "x.xlsx")) for a in args])
    assert result.exit_code == 2 and message in result.output + result.stderr


def test_the_workbook_says_which_rulebook_it_was_made_for(tmp_path):
    from ratings_engine import api

    filled = fill(template(tmp_path, "youth-justice-2021"), cases=read_csv(YOUTH),
                  judgements={r["standard"]: r for r in read_csv(YOUTH_JUDGEMENTS)},
                  draft={"overall": {"rating": "Good"}})
    report = api.rate(filled)
    assert report.rulebook.id == "youth-justice-2021"
    assert any("rulebook: youth-justice-2021 (named by the About sheet" in n for n in report.notes)
    check = api.validate(filled, filled)  # the draft on its Draft sheet
    assert any("named by the About sheet" in n for n in check.report.notes)
    # made for another version of the rulebook: rated by the installed one, and said
    book = openpyxl.load_workbook(filled)
    about = book["About"]
    row = next(r for r in range(2, about.max_row + 1) if about.cell(r, 1).value == "Rulebook sha256")
    about.cell(row, 2).value = "0" * 64
    older = tmp_path / "older.xlsx"
    book.save(older)
    warnings = api.rate(older).warnings
    assert any("was made for rulebook youth-justice-2021 version 1.0 (sha256 000000000000)" in w for w in warnings)
    assert not any("About sheet" in n for n in api.rate(older, "youth-justice-2021").notes)  # --rules given: used
