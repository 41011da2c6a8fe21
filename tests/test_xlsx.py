"""Spreadsheet input (.xlsx read like CSV, errors naming sheet/row/column) and safe spreadsheet output."""
import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import CASES

from ratings_engine import rate
from ratings_engine.cli import main
from ratings_engine.io.spreadsheets import Sheet, escape_csv_cell, write_csv, write_xlsx
from ratings_engine.io.tables import read_table
from ratings_engine.io.xlsx_files import cell_text
from ratings_engine.model.errors import InputError

WORKBOOK = CASES / "redcar-cleveland-middlesbrough.xlsx"
EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"


def _copy_with(tmp_path, edits: dict[str, object], sheet: str = "Cases", name: str = "cases.xlsx"):
    book = openpyxl.load_workbook(WORKBOOK)
    for ref, value in edits.items():
        book[sheet][ref] = value
    path = tmp_path / name
    book.save(path)
    return path


def _problems(exc: InputError) -> list[tuple]:
    return [(p.location.sheet, p.location.row, p.location.column, p.message) for p in exc.problems]


def test_the_shipped_workbook_rates_exactly_like_the_csv_files():
    from_csv = rate(EXAMPLE, judgements=JUDGEMENTS)
    from_xlsx = rate(WORKBOOK, sheet="Cases", judgements=WORKBOOK, judgements_sheet="Judgements")
    assert from_xlsx.units[0].to_dict() != {}  # sanity
    strip = lambda u: [(s.id, s.rating, [(k.id, k.sufficient, k.applicable) for k in s.key_questions])  # noqa: E731
                       for s in u.standards]
    assert strip(from_xlsx.units[0]) == strip(from_csv.units[0])
    assert from_xlsx.units[0].overall.rating == "Requires improvement"
    assert (from_xlsx.units[0].overall.score, from_xlsx.units[0].overall.max_score) == (8, 24)
    assert from_xlsx.inputs[0]["audit"]["rows_read"] == from_csv.inputs[0]["audit"]["rows_read"] == 44
    # every sheet holds exactly its CSV file (rerun cases/make_xlsx.py after editing them)
    for sheet, name in (("Cases", EXAMPLE), ("Judgements", JUDGEMENTS), ("Draft", CASES / "redcar-cleveland-middlesbrough-draft.csv")):
        assert read_table(WORKBOOK, "x", sheet=sheet).cells.equals(read_table(name, "x").cells), sheet


def test_first_sheet_is_the_default_and_a_missing_sheet_names_the_sheets():
    assert list(read_table(WORKBOOK, "case").cells.columns)[:2] == ["case_id", "unit"]
    with pytest.raises(InputError) as err:
        read_table(WORKBOOK, "case", sheet="Casez")
    assert "no sheet named 'Casez'" in str(err.value) and "'Cases', 'Judgements', 'Draft'" in str(err.value)


def test_bad_answer_in_xlsx_names_sheet_row_and_column(tmp_path):
    path = _copy_with(tmp_path, {"E7": "Maybe"})  # E = 2.2.3, row 7 = the sixth case
    with pytest.raises(InputError) as err:
        rate(path, sheet="Cases")
    (problem,) = _problems(err.value)
    assert problem[:3] == ("Cases", 7, "2.2.3")
    assert "unknown answer 'Maybe'" in problem[3]
    assert str(err.value).startswith(f"{path}, sheet 'Cases', row 7, column '2.2.3'")


def test_header_problems_in_xlsx_name_the_sheet(tmp_path):
    path = _copy_with(tmp_path, {"C1": "2.9.9"})
    with pytest.raises(InputError) as err:
        rate(path)
    assert ("Cases", 1, "2.9.9") in [p[:3] for p in _problems(err.value)]


def test_cli_reports_xlsx_errors_with_exit_2_and_no_traceback(tmp_path):
    path = _copy_with(tmp_path, {"E7": "Maybe"})
    result = CliRunner().invoke(main, ["export", str(path), "-j", str(JUDGEMENTS), "--output", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2
    assert "sheet 'Cases', row 7, column '2.2.3'" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_formula_without_saved_value_is_reported_not_read_as_blank(tmp_path):
    path = _copy_with(tmp_path, {"D3": '=IF(TRUE,"Yes","No")'})
    with pytest.raises(InputError) as err:
        rate(path)
    (problem,) = _problems(err.value)
    assert problem[:3] == ("Cases", 3, "2.2.2")
    assert "cell D3 holds a formula" in problem[3] and "no saved value" in problem[3]


def _with_cached_values(path, replacements: dict[str, str]):
    """Rewrite a saved sheet's XML so formulas carry cached values, as Excel saves them."""
    data = io.BytesIO(path.read_bytes())
    out = io.BytesIO()
    with zipfile.ZipFile(data) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for old, new in replacements.items():
                    assert old in text, old
                    text = text.replace(old, new)
                content = text.encode()
            dst.writestr(item, content)
    path.write_bytes(out.getvalue())


def test_formulas_are_read_by_their_saved_values_and_error_values_are_reported(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Answers"
    ws.append(["case_id", "2.2.1", "2.2.2", "2.2.3"])
    ws.append(["C1", "=B3", "Yes", "No"])
    ws.append(["C2", "Yes", "No", "Yes"])
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    _with_cached_values(path, {'<c r="B2"><f>B3</f><v /></c>': '<c r="B2" t="str"><f>B3</f><v>Yes</v></c>'})
    table = read_table(path, "case")
    assert table.cells.loc[0, "2.2.1"] == "Yes"
    report = rate(path, unit="U", allow_partial=True)
    assert report.units[0].standard("2.2").key_questions[0].sufficient == 2

    ws["D3"] = "=1/0"
    book.save(path)
    _with_cached_values(path, {'<c r="B2"><f>B3</f><v /></c>': '<c r="B2" t="str"><f>B3</f><v>Yes</v></c>',
                               '<c r="D3"><f>1/0</f><v /></c>': '<c r="D3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'})
    with pytest.raises(InputError) as err:
        read_table(path, "case")
    (problem,) = _problems(err.value)
    assert problem[:3] == ("Answers", 3, "2.2.3") and "error value #DIV/0!" in problem[3]


def test_numbers_dates_and_booleans_read_as_the_text_a_user_sees(tmp_path):
    assert [cell_text(v) for v in (8, 8.0, 2.25, 0.1 + 0.2, True, None, dt.datetime(2023, 1, 31),
                                   dt.datetime(2023, 1, 31, 9, 30), dt.date(2022, 12, 1))] == \
        ["8", "8", "2.25", "0.3", "TRUE", "", "2023-01-31", "2023-01-31 09:30:00", "2022-12-01"]
    book = openpyxl.Workbook()
    book.active.append(["standard", "rating", "score", "note"])
    book.active.append([2.2, "Inadequate", 0.0, dt.date(2023, 1, 31)])
    path = tmp_path / "draft.xlsx"
    book.save(path)
    cells = read_table(path, "draft").cells
    assert cells.iloc[0].tolist() == ["2.2", "Inadequate", "0", "2023-01-31"]


def test_blank_and_trailing_rows_are_counted_or_dropped_like_csv(tmp_path):
    book = openpyxl.load_workbook(WORKBOOK)
    ws = book["Cases"]
    ws.insert_rows(10)  # a wholly blank row in the middle: skipped and counted
    ws["A200"].number_format = "0.00"  # formatting far below the data: not a row anyone wrote
    path = tmp_path / "gaps.xlsx"
    book.save(path)
    table = read_table(path, "case")
    assert table.blank_rows == (10,) and len(table.cells) == 44 and table.rows[-1] == 46
    report = rate(path, judgements=JUDGEMENTS)
    assert report.inputs[0]["audit"]["rows_skipped"] == {"blank row": 1}


def test_old_excel_files_and_sheet_with_csv_are_clear_errors(tmp_path):
    old = tmp_path / "cases.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"\.xls spreadsheets are not read; save it as \.xlsx"):
        rate(old)
    with pytest.raises(InputError, match="not a spreadsheet"):
        read_table(EXAMPLE, "case", sheet="Cases")
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a zip")
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        read_table(broken, "case")


# ---- output escaping ----

DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_formula_like_text_is_escaped_in_csv_and_xlsx(tmp_path):
    assert [escape_csv_cell(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert escape_csv_cell("Good") == "Good" and escape_csv_cell(-2) == -2
    write_csv(tmp_path / "out.csv", ["text", "n"], [[v, -1] for v in DANGEROUS])
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert [r[0] for r in rows[1:]] == ["'" + v for v in DANGEROUS] and rows[1][1] == "-1"

    write_xlsx(tmp_path / "out.xlsx", [Sheet("S", ["text", "n"], [[v, -1] for v in DANGEROUS])])
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["S"]
    for r, v in enumerate(DANGEROUS, start=2):
        cell = ws.cell(r, 1)
        # text, shown as written (an XML reader turns a carriage return into a line feed)
        assert cell.data_type == "s" and cell.value == v.replace("\r", "\n") and cell.quotePrefix
        assert ws.cell(r, 2).value == -1 and ws.cell(r, 2).data_type == "n"
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()


def test_export_escapes_a_hostile_unit_name_and_reason(tmp_path):
    cases = tmp_path / "cases.csv"
    text = EXAMPLE.read_text(encoding="utf-8").replace('"Redcar, Cleveland and Middlesbrough"', '"=cmd|\' /C calc\'!A0"')
    cases.write_text(text, encoding="utf-8")
    runner = CliRunner()
    override = "2.4=Good:=HYPERLINK(\"http://evil\")"
    for name in ("out.xlsx", "out.csv"):
        result = runner.invoke(main, ["export", str(cases), "-j", str(JUDGEMENTS), "--override", override,
                                      "--output", str(tmp_path / name)])
        assert result.exit_code == 0, result.output + result.stderr
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["unit"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert next(r for r in rows if r["standard"] == "2.4")["reason"] == "'=HYPERLINK(\"http://evil\")"
    book = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames[:3] == ["Ratings", "Key questions", "Decisions"] and "Overrides" in book.sheetnames
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    ratings = book["Ratings"]
    assert ratings.cell(1, 1).value == "Unit"  # the header is row 1
    unit_cell = ratings.cell(2, 1)
    assert unit_cell.value == "=cmd|' /C calc'!A0" and unit_cell.quotePrefix
    overrides = book["Overrides"]
    assert any(c.value == "=HYPERLINK(\"http://evil\")" for row in overrides.iter_rows() for c in row)


def test_export_workbook_holds_ratings_margins_and_hashes(tmp_path):
    out = tmp_path / "ratings.xlsx"
    result = CliRunner().invoke(main, ["export", str(EXAMPLE), "-j", str(JUDGEMENTS), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(out)
    rows = list(book["Ratings"].values)
    header = rows[0]
    records = [dict(zip(header, r)) for r in rows[1:]]
    by_std = {r["Standard"]: r for r in records}
    assert by_std["2.2"]["Rating"] == "Inadequate" and by_std["2.2"]["To next band"] == 4
    assert by_std["overall"]["Score"] == 8 and by_std["overall"]["Max score"] == 24
    info = dict(list(book["About"].values)[1:])
    assert info["Rulebook"] == "probation-pdu-2021" and len(info["Rulebook sha256"]) == 64
    assert info["Input 1: cases"] == EXAMPLE.name and len(info["Input 1: sha256"]) == 64
