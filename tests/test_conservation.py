"""Conservation: every row of every input file is used or reported, read = used + skipped.

A hypothesis test generates messy case files (blank and whitespace rows anywhere, cases that
answer n/a to everything, several units, answers in every spelling with stray spaces) and checks
the audit against a count made independently from the text; deterministic tests check that every
other reader fills its audit honestly: tallies, .xlsx sheets, judgements, drafts, overrides and
corpus files.
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings_engine import api
from ratings_engine.cli import main

KQS = ["2.2.1", "2.2.2", "2.2.3", "2.3.1", "2.3.2", "2.3.3"]
UNITS = ["North", "South", "East"]
YES, NO, NA = ["yes", "Y", " Yes", "sufficient "], ["no", "N ", "Insufficient"], ["n/a", "N/A ", "na", " not applicable"]
BLANK_ROWS = ["", ",,,,,,,", " , ,", ",,,"]


def balanced(audit: dict) -> bool:
    lines = audit.get("lines_read")
    return (audit["rows_read"] == audit["rows_used"] + sum(audit["rows_skipped"].values())
            and (lines is None or lines == audit["rows_read"] + audit.get("line_breaks_in_text_cells", 0)))


@st.composite
def messy_case_files(draw):
    """(file text, the rows as generated, the unit to rate or None)."""
    rows = []  # (kind, unit) per body row, in file order
    lines = ["case_id,unit," + ",".join(KQS)]
    for i in range(draw(st.integers(1, 30))):
        kind = draw(st.sampled_from(["case", "case", "case", "no answers", "blank"]))
        unit = draw(st.sampled_from(UNITS))
        if kind == "blank":
            lines.append(draw(st.sampled_from(BLANK_ROWS)))
        else:
            pools = [NA] * len(KQS) if kind == "no answers" else [draw(st.sampled_from([YES, NO, NA])) for _ in KQS]
            if all(pool is NA for pool in pools):
                kind = "no answers"  # a case whose random answers all came out n/a is one too
            lines.append(",".join([f"c{i}", f" {unit}"] + [draw(st.sampled_from(pool)) for pool in pools]))
        rows.append((kind, unit))
    trailing = draw(st.integers(0, 3))
    lines += [",,,,,,,"] * trailing
    rows += [("blank", None)] * trailing
    used_units = sorted({u for k, u in rows if k != "blank"})
    unit = draw(st.sampled_from([None] + used_units)) if used_units else None
    return "\n".join(lines) + "\n", rows, unit


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messy_case_files())
def test_every_row_of_a_messy_case_file_is_used_or_skipped_with_its_reason(tmp_path_factory, example):
    text, rows, unit = example
    path = tmp_path_factory.mktemp("messy") / "cases.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["pdu", str(path), "--allow-partial", "--format", "json", "--audit"]
                                + (["--unit", unit] if unit else []))
    cases = [(k, u) for k, u in rows if k != "blank"]
    if not cases:
        assert result.exit_code == 2 and "no cases (the file has a header but no case rows)" in result.stderr
        return
    assert result.exit_code in (0, 4), result.output
    data = json.loads(result.stdout)
    refused = any(u["overall"]["status"] in ("incomplete", "not rated") for u in data["units"])
    assert result.exit_code == (4 if refused else 0)  # 4: an overall rating refused (here: nothing scored)
    audit = data["inputs"][0]["audit"]
    # counted independently, from the text and from what was generated
    body = list(csv.reader(io.StringIO(text)))[1:]
    used = [(k, u) for k, u in cases if unit is None or u == unit]
    assert audit["rows_read"] == len(body) == len(rows)
    assert audit["rows_used"] == len(used)
    expected_skips = {"blank row": len(rows) - len(cases)}
    if unit is not None:
        expected_skips[f"unit other than {unit!r}"] = len(cases) - len(used)
    assert audit["rows_skipped"] == {reason: n for reason, n in expected_skips.items() if n}
    assert balanced(audit)
    flagged = sum(1 for k, _ in used if k == "no answers")
    assert audit.get("rows_flagged", {}) == ({"no answers (every key question n/a)": flagged} if flagged else {})
    # every used row is in the tallies of every key question, once
    units = json.loads(result.stdout)["units"]
    for kq in KQS:
        total = sum(k["sufficient"] + k["insufficient"] + k["not_applicable"]
                    for u in units for s in u["standards"] for k in s["key_questions"] if k["id"] == kq)
        assert total == len(used)
    # and --audit says the same on stderr
    assert re.search(rf"rows read\s+{len(rows)}\n", result.stderr) and re.search(rf"rows used\s+{len(used)}\n", result.stderr)


def test_tally_file_audit_counts_blank_rows_and_other_units(tmp_path):
    path = tmp_path / "tallies.csv"
    path.write_text("unit,key_question,sufficient,applicable\nV,2.2.1,3,4\n,,,\nV,2.2.2,2,4\nV,2.2.3,1,4\n"
                    "W,2.2.1,3,4\nW,2.2.2,2,4\nW,2.2.3,1,4\n,,,\n")
    report = api.rate(path, unit="W", allow_partial=True)
    audit = report.inputs[0]["audit"]
    assert report.inputs[0]["kind"] == "tallies"
    assert audit == {"file": str(path), "lines_read": 8, "rows_read": 8, "rows_used": 3,
                     "rows_skipped": {"blank row": 2, "unit other than 'W'": 3}} and balanced(audit)


def test_xlsx_audit_counts_blank_rows_between_data_and_drops_formatted_empty_rows_below(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["case_id", "2.2.1", "2.2.2", "2.2.3"])
    ws.append(["a", "yes", "no", "yes"])
    ws.append([])
    ws.append(["b", "no", "n/a", "yes"])
    ws["A40"].number_format = "0.00"  # formatting far below the data: not a row anyone wrote
    path = tmp_path / "cases.xlsx"
    book.save(path)
    audit = api.rate(path, unit="U", allow_partial=True).inputs[0]["audit"]
    assert audit["rows_read"] == 3 and audit["rows_used"] == 2 and audit["rows_skipped"] == {"blank row": 1}


def test_judgements_drafts_and_overrides_audits_through_rate_validate(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text((CASES / "redcar-cleveland-middlesbrough.csv").read_text(encoding="utf-8"))
    unit = '"Redcar, Cleveland and Middlesbrough"'
    judgements = tmp_path / "judgements.csv"
    judgements.write_text(f"standard,rating,unit\n1.1,Requires improvement,{unit}\n,,\n1.2,Good,{unit}\n"
                          f"1.3,Requires improvement,{unit}\n1.4,Good,{unit}\n1.1,Good,Elsewhere\n", encoding="utf-8")
    draft = tmp_path / "draft.csv"
    draft.write_text("standard,rating\n2.2,Inadequate\n\n2.3,Requires improvement\noverall,Requires improvement\n")
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("standard,rating,reason\n,,\n2.4,Requires improvement,panel view\n")
    result = CliRunner().invoke(main, ["validate", str(cases), "-j", str(judgements), "--draft", str(draft),
                                       "--overrides", str(overrides), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    inputs = {i["kind"]: i["audit"] for i in json.loads(result.stdout)["report"]["inputs"]}
    assert inputs["judgements"] == {"file": str(judgements), "lines_read": 6, "rows_read": 6, "rows_used": 4,
                                    "rows_skipped": {"blank row": 1, "unit not being rated": 1}}
    assert inputs["draft"]["rows_read"] == 4 and inputs["draft"]["rows_used"] == 3
    assert inputs["overrides"]["rows_read"] == 2 and inputs["overrides"]["rows_used"] == 1
    assert all(balanced(a) for a in inputs.values()), inputs


def test_corpus_audits_cover_case_tally_and_judgement_files(tmp_path):
    (tmp_path / "north.csv").write_text("case_id,2.2.1,2.2.2,2.2.3\na,yes,no,yes\n,,,\nb,n/a,n/a,n/a\n")
    (tmp_path / "tallies.csv").write_text("unit,key_question,sufficient,applicable\nT,2.2.1,3,4\nT,2.2.2,2,4\n"
                                          "T,2.2.3,1,4\n\n")
    (tmp_path / "judgements.csv").write_text("standard,rating,unit\n1.1,Good,T\n1.1,Good,Nowhere\n1.2,Good,north\n")
    report = api.rate_corpus(tmp_path, allow_partial=True)
    audits = {i["file"].rsplit("/", 1)[-1]: i["audit"] for i in report.inputs}
    assert audits["north.csv"] == {"file": str(tmp_path / "north.csv"), "lines_read": 3, "rows_read": 3, "rows_used": 2,
                                   "rows_skipped": {"blank row": 1},
                                   "rows_flagged": {"no answers (every key question n/a)": 1}}
    assert audits["tallies.csv"]["rows_read"] == 4 and audits["tallies.csv"]["rows_used"] == 3
    assert audits["judgements.csv"]["rows_read"] == 3 and audits["judgements.csv"]["rows_used"] == 2
    assert all(balanced(a) for a in audits.values()), audits
    assert any("answer n/a to every key question" in w for w in report.warnings)


REPO = Path(__file__).resolve().parents[1]


def test_rating_the_same_judgements_twice_counts_each_row_once():
    from ratings_engine import api

    loaded = api.load_rulebook()
    judgements = api.load_judgements(REPO / "cases/corpus/judgements.csv", loaded.rulebook)
    audits = [api.rate(REPO / "cases/corpus/north-region.csv", loaded, judgements=judgements,
                       allow_partial=True).inputs[1]["audit"] for _ in range(2)]
    assert audits[0] == audits[1]
    assert audits[0]["rows_read"] == audits[0]["rows_used"] + sum(audits[0]["rows_skipped"].values())
