"""`rate export` workbook: header in row 1, Excel tables with filters, formats, rating colours, and
sheets that read back as a draft, tally evidence and judgements (round trip)."""
import json
import shutil

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CASES

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.render.colours import NO_RATING, rating_colours

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
OVERRIDES = CASES / "redcar-cleveland-middlesbrough-overrides.csv"
DRAFT = CASES / "redcar-cleveland-middlesbrough-draft.csv"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    for path in (EXAMPLE, JUDGEMENTS, OVERRIDES, DRAFT):
        shutil.copy(path, folder / path.name)  # absolute paths outside the repository: none may show
    out = folder / "ratings.xlsx"
    result = invoke("export", folder / EXAMPLE.name, "-j", folder / JUDGEMENTS.name, "--overrides",
                    folder / OVERRIDES.name, "--draft", folder / DRAFT.name, "-o", out)
    assert result.exit_code == 1, result.stderr  # the draft differs; the export is written all the same
    return folder, out


def test_every_sheet_has_its_header_in_row_1_as_an_excel_table_with_filters(exported):
    _, out = exported
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Ratings", "Key questions", "Decisions", "Draft check", "Overrides", "Draft",
                               "Tallies", "Judgements", "About"]
    frames = pd.read_excel(out, sheet_name=None)  # no header= option needed
    for ws in book.worksheets:
        header = [c.value for c in ws[1]]
        assert all(isinstance(h, str) and h for h in header), (ws.title, header)
        assert not any("_" in h for h in header), (ws.title, header)  # words, not snake_case
        assert list(frames[ws.title].columns) == header, ws.title
        assert ws.freeze_panes == "A2", ws.title
        (table,) = ws.tables.values()
        first, last = table.ref.split(":")
        assert first == "A1" and last == f"{openpyxl.utils.get_column_letter(len(header))}{max(ws.max_row, 2)}"
        assert table.autoFilter is not None, ws.title  # filter buttons
        assert all(c.font.bold for c in ws[1]), ws.title


def test_numbers_are_numbers_percentages_formatted_and_long_text_wrapped(exported):
    _, out = exported
    book = openpyxl.load_workbook(out)
    kq = book["Key questions"]
    header = [c.value for c in kq[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    for r in range(2, kq.max_row + 1):
        sufficient, applicable = kq.cell(r, col["Sufficient"]).value, kq.cell(r, col["Applicable"]).value
        pct = kq.cell(r, col["% sufficient"])
        assert isinstance(sufficient, int) and isinstance(applicable, int)
        assert pct.number_format == "0.0%" and pct.value == pytest.approx(sufficient / applicable, abs=1e-6)
        assert kq.cell(r, col["Because"]).alignment.wrap_text
    ratings = book["Ratings"]
    header = [c.value for c in ratings[1]]
    for name in ("Because", "Reason"):
        assert ratings.cell(2, header.index(name) + 1).alignment.wrap_text, name
    assert ratings.column_dimensions["S"].width >= 60  # the explanation column is wide


def test_margins_are_only_where_a_margin_exists(exported):
    _, out = exported
    frame = pd.read_excel(out, sheet_name="Ratings", dtype=str, keep_default_na=False)
    by_standard = frame.set_index("Standard")
    assert by_standard.loc["1.1", "Margin unit"] == ""  # a judgement standard: no margin
    assert by_standard.loc["2.1", "Margin unit"] == ""  # not inspected
    assert by_standard.loc["2.4", "Margin unit"] == ""  # a panel override
    assert by_standard.loc["2.2", "Margin unit"] == "cases" and by_standard.loc["2.2", "To next band"] == "4"
    assert by_standard.loc["overall", "Margin unit"] == "points"


def test_ratings_are_filled_by_colour_with_conditional_formatting(exported):
    _, out = exported
    book = openpyxl.load_workbook(out)
    expected = {**rating_colours(api.load_rulebook().rulebook.ratings), "Not inspected": NO_RATING}
    for title, column in (("Ratings", "Rating"), ("Key questions", "Rating"), ("Draft", "Rating"),
                          ("Judgements", "Rating")):
        ws = book[title]
        letter = openpyxl.utils.get_column_letter([c.value for c in ws[1]].index(column) + 1)
        fills = {}
        for area in ws.conditional_formatting:
            if str(area.sqref) != f"{letter}2:{letter}{max(ws.max_row, 2)}":
                continue
            for rule in area.rules:
                assert rule.type == "cellIs" and rule.operator == "equal"
                fills[rule.formula[0].strip('"')] = "#" + rule.dxf.fill.fgColor.rgb[-6:]
        assert fills == expected, title


def test_formula_like_text_stays_escaped(tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text(EXAMPLE.read_text(encoding="utf-8").replace('"Redcar, Cleveland and Middlesbrough"',
                                                                 '"=HYPERLINK(""http://x"",""y"")"'), encoding="utf-8")
    out = tmp_path / "x.xlsx"
    assert invoke("export", cases, "-j", JUDGEMENTS, "-o", out).exit_code == 0
    book = openpyxl.load_workbook(out)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate)
    unit = book["Draft"]["A2"]
    assert unit.value == '=HYPERLINK("http://x","y")' and unit.quotePrefix


def test_no_local_paths_in_the_workbook(exported):
    folder, out = exported
    book = openpyxl.load_workbook(out)
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert str(folder) not in str(value), (ws.title, value)
    about = dict(list(book["About"].values)[1:])
    assert about["Format"] == "ratings-engine workbook 1" and about["Rulebook"] == "probation-pdu-2021"
    assert about["Input 1: cases"] == EXAMPLE.name


def test_round_trip_the_export_is_a_draft_that_agrees(exported, tmp_path):
    """rate the example -> export -> `rate validate` with the export as the draft: it agrees (exit 0)."""
    folder, out = exported
    args = [folder / EXAMPLE.name, "-j", folder / JUDGEMENTS.name, "--overrides", folder / OVERRIDES.name]
    result = invoke("validate", *args, "--draft", out)  # the sheet named Draft is read
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "the draft AGREES with the computed ratings" in result.stdout
    # edited in Excel: 2.3 drafted Good -> the check names 2.3 and exits 1
    book = openpyxl.load_workbook(out)
    ws = book["Draft"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == "2.3")
    ws.cell(row, 4).value, ws.cell(row, 5).value = "Good", 2
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    result = invoke("validate", *args, "--draft", edited, "-f", "json")
    assert result.exit_code == 1
    checks = json.loads(result.stdout)["units"][0]["standards"]
    assert [c["id"] for c in checks if c["status"] != "agrees"] == ["2.3"]


def test_round_trip_the_export_rates_again_as_evidence_with_no_options(exported):
    folder, out = exported
    again = json.loads(invoke("pdu", out, "-f", "json").stdout)  # Tallies and Judgements sheets, by name
    before = api.rate(folder / EXAMPLE.name, judgements=folder / JUDGEMENTS.name)  # without the panel's override
    assert [(s["id"], s["rating"]) for s in again["units"][0]["standards"]] == \
        [(s.id, s.rating) for s in before.units[0].standards]
    assert (again["units"][0]["overall"]["rating"], again["units"][0]["overall"]["score"]) == ("Requires improvement", 8)
    assert {i["kind"]: i.get("sheet") for i in again["inputs"]} == {"tallies": "Tallies", "judgements": "Judgements"}
    assert again["rulebook"]["id"] == "probation-pdu-2021"


def test_the_csv_export_keeps_machine_headers():
    text = invoke("export", EXAMPLE, "-j", JUDGEMENTS, "-f", "csv").stdout
    assert text.lstrip("\ufeff").splitlines()[0].startswith("unit,standard,name,domain,basis,scored,rating,score,max_score")


def test_a_drop_down_whose_values_cannot_be_inline_lists_them_on_a_hidden_sheet(tmp_path):
    from ratings_engine.io.spreadsheets import Sheet, write_xlsx

    values = ["Good, with caveats", "Poor"]  # a comma: Excel's inline lists cannot hold it
    write_xlsx(tmp_path / "x.xlsx", [Sheet("S", ["rating"], [], choices={"rating": values}, blank_rows=3)])
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book["Lists"].sheet_state == "hidden" and book.sheetnames[-1] == "Lists"
    (rule,) = book["S"].data_validations.dataValidation
    assert rule.formula1.replace("'", "") == "Lists!$A$1:$A$2" and str(rule.sqref) == "A2:A4"
    assert [c.value for c in book["Lists"]["A"]] == values
