"""Tallies as evidence: tally files are read, validated and rated like case files."""
import functools
import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine import InputError, load_rulebook, rate, tally
from ratings_engine.api import load_evidence
from ratings_engine.api import load_rulebook as get_rulebook
from ratings_engine.cli import main
from ratings_engine.io.tallies import is_tally_header, read_tallies
from ratings_engine.model.evidence import TallyEvidence

TALLIES = CASES / "redcar-cleveland-middlesbrough-tallies.csv"
HEADER = "unit,key_question,sufficient,applicable,not_applicable\n"
GOOD_ROWS = "".join(f"U,2.2.{k},30,40,2\n" for k in (1, 2, 3))


@pytest.fixture(scope="module")
def rb():
    return load_rulebook()


def test_the_shipped_tally_file_rates_exactly_like_its_case_file(example_cases, example_judgements):
    from_cases = rate(example_cases, judgements=example_judgements)
    from_tallies = rate(TALLIES, judgements=example_judgements)
    assert from_tallies.inputs[0]["kind"] == "tallies" and from_cases.inputs[0]["kind"] == "cases"
    (a,), (b,) = from_cases.units, from_tallies.units
    assert a.unit == b.unit
    assert (b.overall.rating, b.overall.score, b.overall.max_score) == ("Requires improvement", 8, 24)
    assert [(s.id, s.rating, s.deciding_key_question) for s in a.standards] == \
           [(s.id, s.rating, s.deciding_key_question) for s in b.standards]
    pd.testing.assert_frame_equal(from_cases.key_questions_frame(), from_tallies.key_questions_frame())


def test_rate_pdu_takes_a_tally_file(example_judgements):
    result = CliRunner().invoke(main, ["pdu", str(TALLIES), "-j", str(example_judgements), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inputs"][0]["kind"] == "tallies"
    assert data["inputs"][0]["audit"] == {"file": str(TALLIES), "lines_read": 12, "rows_read": 12, "rows_used": 12, "rows_skipped": {}}
    assert data["units"][0]["overall"]["rating"] == "Requires improvement"


def test_header_detection():
    assert is_tally_header(["unit", "key_question", "sufficient", "applicable"])
    assert is_tally_header([" key_question ", "sufficient", "applicable"])
    assert not is_tally_header(["case_id", "unit", "2.2.1"])
    assert not is_tally_header(["standard", "rating"])


def test_tally_dataframe_and_not_applicable_default(rb):
    frame = pd.DataFrame({"unit": ["U"] * 3, "key_question": ["2.2.1", "2.2.2", "2.2.3"],
                          "sufficient": [30, 26, 20], "applicable": [40, 40, 40]})
    report = rate(frame, judgements=pd.DataFrame({"standard": ["1.1"], "rating": ["Good"]}), allow_partial=True)
    std = report.units[0].standard("2.2")
    assert std.rating == "Requires improvement" and std.deciding_key_question == "2.2.3"
    assert [k.not_applicable for k in std.key_questions] == [0, 0, 0]


def test_optional_insufficient_column_is_checked_and_the_engines_own_tally_reads_back(rb, example_cases, tmp_path):
    table = tally(load_evidence(example_cases, rb))
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)  # every TALLY_COLUMNS column, insufficient included
    back = read_tallies(path, rb)
    pd.testing.assert_frame_equal(back.tallies, table)


def test_unit_defaults_to_the_file_name_and_unit_option_filters(rb, tmp_path):
    path = tmp_path / "Northfield.csv"
    path.write_text("key_question,sufficient,applicable\n" + "".join(f"2.3.{k},9,10\n" for k in (1, 2, 3)))
    assert read_tallies(path, rb).units == ["Northfield"]
    two = tmp_path / "two.csv"
    two.write_text(HEADER + GOOD_ROWS + GOOD_ROWS.replace("U,", "V,"))
    ev = read_tallies(two, rb, unit="V")
    assert ev.units == ["V"]
    assert ev.audit.to_dict()["rows_skipped"] == {"unit other than 'V'": 3} and ev.audit.balanced
    with pytest.raises(InputError, match="no tallies for unit 'W'"):
        read_tallies(two, rb, unit="W")


def test_blank_rows_are_counted_not_lost(rb, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "U,2.2.1,30,40,2\n,,,,\n" + "U,2.2.2,30,40,2\nU,2.2.3,30,40,2\n")
    ev = read_tallies(path, rb)
    assert ev.audit.rows_read == 4 and ev.audit.rows_used == 3 and ev.audit.skipped == {"blank row": 1}


BAD = {
    "unknown key question": ("U,2.2.9,30,40,2\n", r"row 2, column 'key_question': unknown key question '2\.2\.9'"),
    "a standard, not a key question": ("U,2.2,30,40,2\n", r"row 2, column 'key_question'.*'2\.2' is a standard"),
    "sufficient > applicable": ("U,2.2.1,41,40,2\n", r"row 2, column 'sufficient': sufficient \(41\) is more than applicable \(40\)"),
    "negative": ("U,2.2.1,30,-1,2\n", r"row 2, column 'applicable': applicable must not be negative"),
    "negative not applicable": ("U,2.2.1,30,40,-2\n", r"row 2, column 'not_applicable': not_applicable must not be negative"),
    "non-integer": ("U,2.2.1,30.5,40,2\n", r"row 2, column 'sufficient': sufficient must be a whole number of cases, not '30\.5'"),
    "text": ("U,2.2.1,thirty,40,2\n", r"row 2, column 'sufficient': sufficient must be a whole number"),
    "percentage": ("U,2.2.1,75%,40,2\n", r"row 2, column 'sufficient': sufficient must be a whole number"),
    "blank count": ("U,2.2.1,,40,2\n", r"row 2, column 'sufficient': blank sufficient"),
    "blank key question": ("U,,30,40,2\n", r"row 2, column 'key_question': blank key_question"),
    "blank unit": (",2.2.1,30,40,2\n", r"row 2, column 'unit': blank unit"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_cells_are_located_errors(rb, tmp_path, name):
    row, pattern = BAD[name]
    path = tmp_path / "t.csv"
    path.write_text(HEADER + row + "".join(f"U,2.3.{k},1,2,0\n" for k in (1, 2, 3)))
    with pytest.raises(InputError) as info:
        read_tallies(path, rb)
    assert re.search(re.escape(str(path)) + ", " + pattern, str(info.value)), str(info.value)


def test_duplicate_unit_and_key_question_names_both_rows(rb, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + GOOD_ROWS + "U,2.2.2,1,2,0\n")
    with pytest.raises(InputError, match=r"row 5, column 'key_question': key question 2\.2\.2 given twice for unit 'U' \(first in row 3\)"):
        read_tallies(path, rb)


def test_half_a_standard_is_an_error(rb, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "U,2.2.1,30,40,2\nU,2.2.2,30,40,2\n")
    with pytest.raises(InputError, match=r"row 2, column 'key_question': unit 'U': standard 2\.2 Assessment has rows "
                                         r"for 2\.2\.1, 2\.2\.2 but not 2\.2\.3"):
        read_tallies(path, rb)


def test_insufficient_must_agree(rb, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("unit,key_question,sufficient,insufficient,applicable\n"
                    "U,2.2.1,30,9,40\nU,2.2.2,30,10,40\nU,2.2.3,30,10,40\n")
    with pytest.raises(InputError, match=r"row 2, column 'insufficient': insufficient \(9\) is not applicable - sufficient"):
        read_tallies(path, rb)


def test_unknown_and_missing_columns(rb, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("unit,key_question,sufficient,total\nU,2.2.1,1,2\n")
    with pytest.raises(InputError) as info:
        read_tallies(path, rb)
    text = str(info.value)
    assert f"{path}, row 1: no 'applicable' column" in text
    assert f"{path}, row 1, column 'total': unknown column in a tally file" in text


def test_header_only_file(rb, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER)
    with pytest.raises(InputError, match="no tallies"):
        read_tallies(path, rb)


def test_blank_policy_does_not_apply_to_tallies(rb):
    with pytest.raises(InputError, match="applies to case answers"):
        load_evidence(TALLIES, rb, blank="not-applicable")


def test_cli_reports_tally_errors_with_exit_2_and_no_traceback(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + "U,2.2.1,50,40,2\nU,2.2.2,x,40,2\nU,2.2.3,1,2,0\n")
    result = CliRunner().invoke(main, ["pdu", str(path), "--allow-partial"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{path}, row 2, column 'sufficient': sufficient (50) is more than applicable (40)" in result.stderr
    assert f"{path}, row 3, column 'sufficient': sufficient must be a whole number of cases, not 'x'" in result.stderr


@functools.cache
def _loaded():
    return get_rulebook()


answers = st.lists(st.sampled_from(["yes", "no", "n/a"]), min_size=1, max_size=20)


@settings(max_examples=15, deadline=None)
@given(cols=st.fixed_dictionaries({f"2.{s}.{k}": answers for s in (2, 3) for k in (1, 2, 3)}))
def test_tallies_written_out_and_read_back_rate_like_the_cases(cols, tmp_path_factory):
    """For any case answers: tally -> CSV -> tally file -> ratings equal the ratings of the cases."""
    loaded = _loaded()
    rb = loaded.rulebook
    height = max(len(v) for v in cols.values())
    frame = pd.DataFrame({"case_id": [f"c{i}" for i in range(height)], "unit": "U",
                          **{k: v + ["n/a"] * (height - len(v)) for k, v in cols.items()}})
    judgements = pd.DataFrame({"standard": ["1.1", "1.2", "1.3", "1.4"], "rating": ["Good"] * 4})
    from_cases = rate(frame, loaded, judgements=judgements)
    path = tmp_path_factory.mktemp("t") / "tallies.csv"
    tally(load_evidence(frame, rb)).drop(columns=["insufficient"]).to_csv(path, index=False)
    from_tallies = rate(path, loaded, judgements=judgements)
    assert isinstance(load_evidence(path, rb), TallyEvidence)
    assert from_cases.standards_frame().equals(from_tallies.standards_frame())
    assert from_cases.overall_frame().equals(from_tallies.overall_frame())


def test_load_cases_refuses_a_tally_file_clearly(rb):
    """Commands that need case rows (e.g. bootstrap resampling) get a clear error, not a traceback."""
    from ratings_engine import load_cases

    with pytest.raises(InputError, match=r"this is a tally file .* needs case rows"):
        load_cases(TALLIES, rb)
