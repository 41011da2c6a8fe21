"""The shipped example reproduces the seed letter's annexe two exactly."""
import json

from click.testing import CliRunner

from ratings_engine import rate
from ratings_engine.cli import main

ANNEXE = {
    "1.1": "Requires improvement", "1.2": "Good", "1.3": "Requires improvement", "1.4": "Good",
    "2.1": "Not inspected", "2.2": "Inadequate", "2.3": "Requires improvement",
    "2.4": "Inadequate", "2.5": "Requires improvement",
}


def test_example_reproduces_the_annexe_through_the_api(example_cases, example_judgements):
    report = rate(example_cases, judgements=example_judgements)
    (unit,) = report.units
    assert unit.unit == "Redcar, Cleveland and Middlesbrough"
    assert {s.id: s.rating for s in unit.standards} == ANNEXE
    assert (unit.overall.score, unit.overall.max_score) == (8, 24)
    assert unit.overall.rating == "Requires improvement"
    assert unit.overall.status == "rated"


def test_example_end_to_end_through_the_cli_json(example_cases, example_judgements):
    result = CliRunner().invoke(main, ["pdu", str(example_cases), "--judgements", str(example_judgements),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rulebook"]["id"] == "probation-pdu-2021"
    assert len(data["rulebook"]["sha256"]) == 64
    (unit,) = data["units"]
    assert unit["overall"]["rating"] == "Requires improvement"
    assert (unit["overall"]["score"], unit["overall"]["max_score"]) == (8, 24)
    assert {s["id"]: s["rating"] for s in unit["standards"]} == ANNEXE
    kq = next(k for s in unit["standards"] for k in s["key_questions"] if k["id"] == "2.2.3")
    assert (kq["sufficient"], kq["applicable"], kq["rating"]) == (18, 44, "Inadequate")
    assert round(kq["pct"], 1) == 40.9


def test_example_table_follows_the_annexe_layout(example_cases, example_judgements):
    result = CliRunner().invoke(main, ["pdu", str(example_cases), "-j", str(example_judgements)])
    assert result.exit_code == 0, result.output
    assert "Score 8/24" in result.stdout
    assert "Overall rating: Requires improvement" in result.stdout
    assert "2.1  Court work" in result.stdout and "Not inspected" in result.stdout
