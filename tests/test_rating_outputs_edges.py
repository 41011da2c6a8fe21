"""Small output contracts of the rating layer, with expected values written here: the explanation
of a standard's lowest key question, where an input record names its sheet, the tally's order."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ratings_engine import api
from ratings_engine.io.rulebooks import load_rulebook
from ratings_engine.rating.rate import rate_tallies
from ratings_engine.rating.tally import tally

PDU = load_rulebook("probation-pdu-2021")
CASES = Path(__file__).resolve().parents[1] / "cases"


def test_a_standards_explanation_names_the_deciding_key_question_once_and_lists_the_others():
    rows = [("u", "2.2.1", 5, 5, 0, 10), ("u", "2.2.2", 7, 3, 0, 10), ("u", "2.2.3", 9, 1, 0, 10)]
    tallies = pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable",
                                          "applicable"])
    unit = rate_tallies(tallies, PDU, None, allow_partial=True, units=["u"])[0]
    std = next(s for s in unit.standards if s.id == "2.2")
    assert (std.rating, std.deciding_key_question) == ("Requires improvement", "2.2.1")  # 50%, 70%, 90%
    because = std.decision.because
    assert because.count("2.2.1") == 1 and "2.2.2" in because and "2.2.3" in because
    assert "Good" in because and "Outstanding" in because


def test_an_input_record_names_its_sheet_for_a_workbook_only():
    from_csv = api.rate(CASES / "redcar-cleveland-middlesbrough.csv",
                        judgements=CASES / "redcar-cleveland-middlesbrough-judgements.csv")
    assert all("sheet" not in record for record in from_csv.inputs)
    from_xlsx = api.rate(CASES / "redcar-cleveland-middlesbrough.xlsx")
    assert from_xlsx.inputs[0]["sheet"] == "Cases"
    assert list(from_xlsx.inputs[0])[:3] == ["kind", "file", "sheet"]


def test_the_tally_keeps_units_in_the_order_they_first_appear():
    frame = pd.DataFrame({"case_id": ["c1", "c2", "c3"], "unit": ["Zeta", "Alpha", "Zeta"],
                          "2.2.1": ["yes", "no", "yes"], "2.2.2": ["yes", "yes", "no"], "2.2.3": ["no", "no", "no"]})
    counts = tally(api.load_cases(frame, PDU))
    assert list(dict.fromkeys(counts["unit"])) == ["Zeta", "Alpha"]
    zeta = counts[(counts["unit"] == "Zeta") & (counts["key_question"] == "2.2.1")].iloc[0]
    assert (int(zeta["sufficient"]), int(zeta["insufficient"]), int(zeta["not_applicable"])) == (2, 0, 0)
