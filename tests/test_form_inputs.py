"""Inputs written as forms (the case workbook template, the export's sheets): readable headers,
form rows not filled in yet, a standard left blank; and warnings that say what kind they are."""
import copy
import pickle

import pytest

from ratings_engine import api
from ratings_engine.model.errors import InputError
from ratings_engine.model.notices import Notice, kind_of

H = "case_id,2.1.1,2.1.2,2.1.3,2.2.1,2.2.2,2.2.3\n"


def test_a_standard_blank_on_every_row_is_not_inspected_and_said(write_file, pdu_rulebook):
    path = write_file("cases.csv", H + "a,,,,yes,no,yes\nb,,,,no,no,yes\n")
    report = api.rate(path, pdu_rulebook, judgements=None, allow_partial=True)
    assert report.units[0].standard("2.1").rating == "Not inspected"
    assert report.units[0].standard("2.2").rating is not None
    assert any("2.1.1, 2.1.2, 2.1.3 are blank on every row" in w and "2.1 Court work not inspected" in w
               for w in report.warnings)


def test_a_standard_blank_in_some_columns_only_is_still_an_error(write_file, pdu_rulebook):
    path = write_file("cases.csv", H + "a,yes,,,yes,no,yes\nb,no,,,no,no,yes\n")
    with pytest.raises(InputError) as caught:
        api.rate(path, pdu_rulebook, judgements=None, allow_partial=True)
    located = [(p.location.row, p.location.column) for p in caught.value.problems]
    assert located == [(2, "2.1.2"), (3, "2.1.2"), (2, "2.1.3"), (3, "2.1.3")]  # column by column, as before
    assert all("blank answer" in p.message for p in caught.value.problems)


def test_with_blank_as_not_applicable_a_blank_standard_is_not_applicable_as_before(write_file, pdu_rulebook):
    path = write_file("cases.csv", H + "a,,,,yes,no,yes\n")
    report = api.rate(path, pdu_rulebook, judgements=None, allow_partial=True, blank="not-applicable")
    # read as answers (n/a), not dropped: the key questions are there, with no applicable cases
    assert [(k.id, k.applicable) for k in report.units[0].standard("2.1").key_questions] == \
        [("2.1.1", 0), ("2.1.2", 0), ("2.1.3", 0)]
    assert not any("blank on every row" in w for w in report.warnings)


def test_readable_headers_are_read_for_tallies_drafts_and_judgements_not_case_files(write_file, pdu_rulebook):
    tallies = write_file("t.csv", "Unit,Key question,Sufficient,Applicable,Not applicable\n"
                         + "".join(f"U,2.2.{k},30,40,0\n" for k in (1, 2, 3)))
    report = api.rate(tallies, pdu_rulebook, judgements=None, allow_partial=True)
    assert [k.sufficient for k in report.units[0].standard("2.2").key_questions] == [30, 30, 30]
    judgements = write_file("j.csv", "Standard,Name,Rating,Reason\n1.1,Leadership,Good,ok\n")
    assert api.load_judgements(judgements, pdu_rulebook).items[0].rating == "Good"
    with pytest.raises(InputError, match="no 'case_id' column.*column names are exact"):
        api.rate(write_file("c.csv", "Case ID,2.2.1,2.2.2,2.2.3\na,yes,no,yes\n"), pdu_rulebook)


def test_judgement_rows_not_yet_filled_in_and_misnamed_standards(write_file, pdu_rulebook):
    path = write_file("j.csv", "standard,name,rating,reason\n1.1,Leadership,Good,ok\n1.2,Staff,,\n")
    given = api.load_judgements(path, pdu_rulebook)
    assert [j.standard for j in given.items] == ["1.1"] and given.audit.skipped == {"no rating given": 1}
    with pytest.raises(InputError, match="row 3, column 'rating': blank rating, but the row gives a reason"):
        api.load_judgements(write_file("k.csv", "standard,rating,reason\n1.1,Good,ok\n1.2,,a reason\n"), pdu_rulebook)
    with pytest.raises(InputError, match="standard 1.2 is 'Staff' in rulebook probation-pdu-2021, but this row names "
                                         "it 'Services'"):
        api.load_judgements(write_file("m.csv", "standard,name,rating\n1.2,Services,Good\n"), pdu_rulebook)


def test_notices_keep_their_kind_through_copies_and_json():
    import json

    n = Notice("unit 'A': no overall rating", "missing")
    assert n == "unit 'A': no overall rating" and kind_of(n) == "missing" and kind_of("plain") == "input"
    assert kind_of(copy.deepcopy(n)) == "missing" and kind_of(pickle.loads(pickle.dumps(n))) == "missing"
    assert json.loads(json.dumps([n])) == ["unit 'A': no overall rating"]
    with pytest.raises(ValueError):
        Notice("x", "nonsense")


def test_each_warning_of_a_rating_has_the_right_kind(write_file, pdu_rulebook):
    cases = write_file("cases.csv", "case_id,unit," + H.split(",", 1)[1].replace("2.1.1,2.1.2,2.1.3,", "")
                       + "a,North,yes,no,yes\nb,South,no,no,yes\n")
    judgements = write_file("j.csv", "unit,standard,rating\nNorth,1.1,Good\nElsewhere,1.1,Good\n")
    overrides = write_file("o.csv", "unit,standard,rating,reason\nNorth,2.2,Good,panel\nNowhere,2.2,Good,panel\n")
    report = api.rate(cases, pdu_rulebook, judgements=judgements, overrides=overrides)
    kinds = {}
    for w in report.warnings:
        kinds.setdefault(kind_of(w), []).append(w)
    assert any("judgements for unit 'Elsewhere' not used" in w for w in kinds["unused"])
    assert any("no overall rating" in w and "'South'" in w for w in kinds["missing"])
    assert any("OVERRIDDEN by the panel" in w for w in kinds["override"])
    assert any("'Nowhere'" in w and "NOT USED" in w for w in kinds["override-unused"])


def test_an_override_is_marked_as_such_not_with_a_provenance_grade(example_cases, example_judgements):
    from click.testing import CliRunner

    from ratings_engine.cli import main

    out = CliRunner().invoke(main, ["pdu", str(example_cases), "-j", str(example_judgements), "--explain",
                                    "--override", "2.4=Requires improvement:panel reason"]).stdout
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("2.4 Implementation and delivery:"))
    assert line.endswith("[panel override]") or "[panel override]" in out.split(line)[1].split("\n  2.4.1")[0]
    assert "[uncertain]" not in out.split("2.4 Implementation and delivery: Requires improvement.")[1].split("2.4.1")[0]
