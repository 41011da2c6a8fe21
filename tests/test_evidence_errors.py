"""Bad input: each error names the file, row and column, through the API (InputError) and the CLI
(exit 2, one clear message, no traceback). Options that users genuinely need are checked too."""
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ALL_GOOD_JUDGEMENTS, SHIPPED_RULEBOOK

from ratings_engine import InputError, RulebookError, rate
from ratings_engine.cli import main

H = "case_id,2.2.1,2.2.2,2.2.3\n"
UH = "case_id,unit,2.2.1,2.2.2,2.2.3\n"
GOOD_CASES = H + "a,yes,no,yes\nb,Y,N,n/a\n"
GOOD_JUDGEMENTS = "standard,rating\n" + "".join(f"{s},{r}\n" for s, r in ALL_GOOD_JUDGEMENTS.items())


def where(path, row=None, column=None) -> str:
    """The location prefix every message starts with."""
    return f"{path}" + (f", row {row}" if row is not None else "") + (f", column {column!r}" if column else "")


def run_cli(*args):
    return CliRunner().invoke(main, ["pdu", *map(str, args)])


def assert_cli_error(result, *fragments):
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a handled error, not a crash
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


# ---------------------------------------------------------------------------------------------
# Case files

BAD_CASE_FILES = [
    # id, file content, API options, CLI options, row, column, message
    ("blank-answer", H + "a,yes,no,yes\nb,yes,,no\n", {}, [], 3, "2.2.2", "blank answer (use --blank not-applicable"),
    ("unknown-answer", H + "a,yes,maybe,yes\n", {}, [], 2, "2.2.2", "unknown answer 'maybe'; accepted: yes/no/n/a"),
    ("unknown-column", "case_id,notes,2.2.1,2.2.2,2.2.3\na,hi,yes,no,yes\n", {}, [], 1, "notes",
     "unknown column (not a key question of rulebook probation-pdu-2021)"),
    ("standard-as-column", "case_id,2.2\na,yes\n", {}, [], 1, "2.2", "'2.2' is a standard, give its key questions (2.2.1, 2.2.2, 2.2.3)"),
    ("duplicate-case-id", H + "a,yes,no,yes\nb,yes,no,no\na,no,no,no\n", {}, [], 4, "case_id",
     "duplicate case_id 'a'"),
    ("missing-case-id-column", "2.2.1,2.2.2,2.2.3\nyes,no,yes\n", {}, [], 1, None, "no 'case_id' column"),
    ("some-key-question-columns", "case_id,2.2.1,2.2.2\na,yes,no\n", {}, [], 1, None,
     "standard 2.2 Assessment has columns 2.2.1, 2.2.2 but not 2.2.3"),
    ("empty-file", "", {}, [], None, None, "case file is empty"),
    ("header-only", H, {}, [], None, None, "no cases (the file has a header but no case rows)"),
    ("ragged-row", H + "a,yes,no,yes\nb,yes,no,no,yes\n", {}, [], 3, None, "row has more cells than the header's 4"),
    ("short-row", H + "a,yes,no,yes\nb,yes,no\n", {}, [], 3, "2.2.3", "blank answer"),
    ("non-utf8", (H + "caf\xe9,yes,no,yes\n").encode("latin-1"), {}, [], None, None, "case file is not UTF-8 text"),
    ("unit-not-in-file", UH + "a,North,yes,no,yes\n", {"unit": "South"}, ["--unit", "South"], None, None,
     "no cases for unit 'South' (units in the file: 'North')"),
    ("blank-unit", UH + "a,North,yes,no,yes\nb,,yes,no,yes\n", {}, [], 3, "unit", "blank unit"),
    ("blank-case-id", H + "a,yes,no,yes\n,yes,no,yes\n", {}, [], 3, "case_id", "blank case_id"),
    ("header-twice", "case_id,2.2.1,2.2.1,2.2.2,2.2.3\na,yes,no,yes,yes\n", {}, [], 1, "2.2.1", "column header appears twice"),
    ("header-missing", "case_id,,2.2.1,2.2.2,2.2.3\na,x,yes,no,yes\n", {}, [], 1, None, "column 2 has no header"),
    ("ignore-nothing", GOOD_CASES, {"ignore_columns": ["notes"]}, ["--ignore-column", "notes"], 1, None,
     "--ignore-column 'notes' names no column of the file"),
]


@pytest.mark.parametrize("content,api_options,cli_options,row,column,message",
                         [case[1:] for case in BAD_CASE_FILES], ids=[case[0] for case in BAD_CASE_FILES])
def test_bad_case_file_is_reported_with_file_row_and_column(write_file, content, api_options, cli_options, row,
                                                            column, message):
    path = write_file("cases.csv", content)
    with pytest.raises(InputError) as caught:
        rate(path, allow_partial=True, **api_options)
    text = str(caught.value)
    assert text.startswith(where(path, row, column) + ": "), text
    assert message in text
    result = run_cli(path, "--allow-partial", *cli_options)
    assert_cli_error(result, where(path, row, column) + ": ", message)


def test_duplicate_case_id_names_the_first_row(write_file):
    path = write_file("cases.csv", H + "a,yes,no,yes\nb,yes,no,no\na,no,no,no\n")
    with pytest.raises(InputError, match="first given in row 2"):
        rate(path, allow_partial=True)


def test_the_same_case_id_in_two_units_is_not_a_duplicate(write_file):
    path = write_file("cases.csv", UH + "a,North,yes,no,yes\na,South,yes,yes,yes\n")
    report = rate(path, allow_partial=True)
    assert [u.unit for u in report.units] == ["North", "South"]


def test_every_bad_cell_is_reported_not_just_the_first(write_file):
    path = write_file("cases.csv", H + "a,yes,maybe,yes\nb,,no,yes\nc,yes,no,perhaps\n")
    with pytest.raises(InputError) as caught:
        rate(path, allow_partial=True)
    located = [(p.location.row, p.location.column) for p in caught.value.problems]
    assert located == [(3, "2.2.1"), (2, "2.2.2"), (4, "2.2.3")]


def test_blank_answers_can_be_read_as_not_applicable(write_file):
    path = write_file("cases.csv", H + "a,yes,no,yes\nb,yes,,no\n")
    (unit,) = rate(path, allow_partial=True, blank="not-applicable").units
    kq = unit.standard("2.2").key_questions[1]
    assert (kq.id, kq.sufficient, kq.insufficient, kq.not_applicable) == ("2.2.2", 0, 1, 1)
    result = run_cli(path, "--allow-partial", "--blank", "not-applicable", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (assessment,) = [s for s in data["units"][0]["standards"] if s["id"] == "2.2"]
    kq_json = assessment["key_questions"][1]
    assert (kq_json["id"], kq_json["not_applicable"], kq_json["applicable"]) == ("2.2.2", 1, 1)


def test_an_unknown_column_can_be_ignored_on_purpose(write_file):
    path = write_file("cases.csv", "case_id,notes,2.2.1,2.2.2,2.2.3\na,hi,yes,no,yes\n")
    (unit,) = rate(path, allow_partial=True, ignore_columns=["notes"]).units
    assert unit.standard("2.2").rating == "Inadequate"
    result = run_cli(path, "--allow-partial", "--ignore-column", "notes")
    assert result.exit_code == 0, result.output


def test_answers_accept_the_usual_spellings_in_any_case(write_file):
    spelt = H + "a,YES,Sufficient,y\nb,No,INSUFFICIENT,n\nc,N/A,na,Not Applicable\nd,n.a.,yes,no\n"
    (unit,) = rate(write_file("cases.csv", spelt), allow_partial=True).units
    tallies = [(k.sufficient, k.insufficient, k.not_applicable) for k in unit.standard("2.2").key_questions]
    assert tallies == [(1, 1, 2), (2, 1, 1), (1, 2, 1)]


def test_case_dataframes_are_checked_like_files(pdu_rulebook):
    frame = pd.DataFrame({"case_id": ["a", "b"], "2.2.1": ["yes", None], "2.2.2": ["no", "no"], "2.2.3": ["yes", "x"]})
    with pytest.raises(InputError) as caught:
        rate(frame, pdu_rulebook, allow_partial=True)
    assert [str(p) for p in caught.value.problems] == [
        "<DataFrame>, index label 1, column '2.2.1': blank answer (NaN); pandas reads 'N/A', 'NA' and empty cells as "
        "missing by default: read the CSV with pd.read_csv(..., keep_default_na=False), or pass blank='not-applicable' "
        "to read blanks as not applicable",
        "<DataFrame>, index label 1, column '2.2.3': unknown answer 'x'; accepted: "
        "yes/no/n/a, y/n/na, sufficient/insufficient/not applicable (any case)",
    ]


def test_every_input_row_is_used_or_reported(write_file):
    path = write_file("cases.csv", UH + "a,North,yes,no,yes\n,,,,\nb,South,yes,no,no\nc,North,no,no,no\n")
    report = rate(path, allow_partial=True, unit="North")
    audit = report.inputs[0]["audit"]
    assert audit["rows_read"] == 4 and audit["rows_used"] == 2
    assert audit["rows_skipped"] == {"blank row": 1, "unit other than 'North'": 1}


def test_missing_files_are_reported(tmp_path, write_file):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(InputError, match="case file not found"):
        rate(missing)
    assert_cli_error(run_cli(missing), f"{missing}: case file not found")
    cases = write_file("cases.csv", GOOD_CASES)
    with pytest.raises(InputError, match="judgements file not found"):
        rate(cases, judgements=missing)
    assert_cli_error(run_cli(cases, "--judgements", missing), f"{missing}: judgements file not found")


# ---------------------------------------------------------------------------------------------
# Judgement files

BAD_JUDGEMENTS = [
    ("unknown-standard", "standard,rating\n1.1,Good\n9.9,Good\n", GOOD_CASES, 3, "standard",
     "unknown standard '9.9' (rulebook probation-pdu-2021 has 1.1, 1.2, 1.3, 1.4, 2.1"),
    ("case-standard", "standard,rating\n2.2,Good\n", GOOD_CASES, 2, "standard",
     "standard 2.2 Assessment is rated from cases, not by judgement"),
    ("unknown-rating", "standard,rating\n1.1,Great\n", GOOD_CASES, 2, "rating",
     "unknown rating 'Great'; expected one of Inadequate, Requires improvement, Good, Outstanding, Not inspected"),
    ("judged-twice", "standard,rating\n1.1,Good\n1.2,Good\n1.1,Inadequate\n", GOOD_CASES, 4, "standard",
     "standard 1.1 judged twice (first in row 2)"),
    ("several-units-no-unit-column", GOOD_JUDGEMENTS, UH + "a,North,yes,no,yes\na,South,yes,no,yes\n", None, None,
     "the case file has 2 units, so the judgements file needs a 'unit' column"),
    ("missing-rating-column", "standard,score\n1.1,Good\n", GOOD_CASES, 1, None, "no 'rating' column"),
    ("unknown-column", "standard,rating,notes\n1.1,Good,x\n", GOOD_CASES, 1, "notes", "unknown column (expected: standard, rating"),
    ("units-not-rated", "standard,rating,unit\n1.1,Good,Elsewhere\n", GOOD_CASES, None, None,
     "no judgement is for a unit being rated"),
    ("blank-unit-among-named", "standard,rating,unit\n1.1,Good,North\n1.2,Good,\n",
     UH + "a,North,yes,no,yes\n", 3, "unit", "blank unit while other rows name one"),
]


@pytest.mark.parametrize("content,cases,row,column,message", [case[1:] for case in BAD_JUDGEMENTS],
                         ids=[case[0] for case in BAD_JUDGEMENTS])
def test_bad_judgements_are_reported_with_file_row_and_column(write_file, content, cases, row, column, message):
    judgements = write_file("judgements.csv", content)
    cases_path = write_file("cases.csv", cases)
    with pytest.raises(InputError) as caught:
        rate(cases_path, judgements=judgements)
    text = str(caught.value)
    assert text.startswith(where(judgements, row, column) + ": "), text
    assert message in text
    assert_cli_error(run_cli(cases_path, "--judgements", judgements), where(judgements, row, column) + ": ", message)


def test_judgements_for_several_units_each_apply_to_their_unit(write_file):
    cases = write_file("cases.csv", UH + "a,North,yes,no,yes\na,South,yes,no,yes\n")
    judgements = write_file("judgements.csv", "standard,rating,unit\n" + "".join(
        f"{s},{r},{u}\n" for u, r in (("North", "Outstanding"), ("South", "Inadequate")) for s in ALL_GOOD_JUDGEMENTS))
    report = rate(cases, judgements=judgements)
    assert {u.unit: u.standard("1.1").rating for u in report.units} == {"North": "Outstanding", "South": "Inadequate"}
    assert all(u.overall.status == "rated" for u in report.units)


# ---------------------------------------------------------------------------------------------
# Rulebooks named on the command line


def test_unknown_rulebook_id_or_missing_rulebook_file(tmp_path, write_file):
    cases = write_file("cases.csv", GOOD_CASES)
    with pytest.raises(RulebookError, match="no-such-rulebook: no such rulebook file or shipped rulebook id"):
        rate(cases, "no-such-rulebook")
    assert_cli_error(run_cli(cases, "--rules", "no-such-rulebook"), "no such rulebook file or shipped rulebook id",
                     "probation-pdu-2021")
    missing = tmp_path / "missing.yaml"
    with pytest.raises(RulebookError, match="rulebook file not found"):
        rate(cases, missing)
    assert_cli_error(run_cli(cases, "--rules", missing), f"{missing}: rulebook file not found")


def test_a_broken_rulebook_file_is_reported_with_its_line(write_file):
    text = SHIPPED_RULEBOOK.read_text(encoding="utf-8")
    broken = write_file("broken.yaml", text.replace("below: 80, then: Good}", "below: 80, then: Great}"))
    line = next(i for i, t in enumerate(broken.read_text().splitlines(), 1) if "then: Great" in t)
    cases = write_file("cases.csv", GOOD_CASES)
    assert_cli_error(run_cli(cases, "--rules", broken),
                     f"{broken}, line {line}, at key_question_bands.rows[1].then: 'Great' is not one of the ratings")
