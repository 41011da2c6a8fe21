"""Unknown names get the closest known ones; a case file written for another framework names it."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ratings_engine.cli import main
from ratings_engine.model.suggest import closest, did_you_mean

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = ROOT / "cases" / "redcar-cleveland-middlesbrough-judgements.csv"


@pytest.mark.parametrize("name,known,expected", [
    ("Requires improvment", ["Inadequate", "Requires improvement", "Good", "Outstanding"], ["Requires improvement"]),
    ("outstandng", ["Inadequate", "Requires improvement", "Good", "Outstanding"], ["Outstanding"]),
    ("2.2.l", ["2.2.1", "2.2.2", "2.3.1"], ["2.2.1", "2.2.2"]),
    ("caseid", ["case_id", "unit"], ["case_id"]),
    ("banana", ["Inadequate", "Good"], []),
])
def test_closest_names(name, known, expected):
    assert sorted(closest(name, known)) == sorted(expected)


def test_nothing_close_adds_nothing():
    assert did_you_mean("zzz", ["Good"]) == ""
    assert did_you_mean("Goood", ["Good"]) == "; did you mean 'Good'?"


def _run(tmp_path, files: dict[str, str], *args: str):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, [str(a) for a in args])


def test_a_rulebook_id_spelt_wrong(tmp_path):
    result = _run(tmp_path, {}, "pdu", EXAMPLE, "--rules", "youth-justice-2012")
    assert result.exit_code == 2
    assert "did you mean 'youth-justice-2025' or 'youth-justice-2021'?" in result.stderr


def test_a_judgement_rating_and_standard_spelt_wrong(tmp_path):
    result = _run(tmp_path, {"j.csv": "standard,rating\n1.1,Requires improvment\n1.x,Good\n"},
                  "pdu", EXAMPLE, "-j", tmp_path / "j.csv")
    assert result.exit_code == 2
    assert "unknown rating 'Requires improvment'; did you mean 'Requires improvement'?" in result.stderr
    assert "unknown standard '1.x'; did you mean" in result.stderr


def test_a_case_column_spelt_wrong(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace("2.2.3", "2.2.3 ", 1).replace("2.5.1", "2.5.l", 1)
    result = _run(tmp_path, {"cases.csv": text}, "pdu", tmp_path / "cases.csv")
    assert result.exit_code == 2
    line = next(line for line in result.stderr.splitlines() if "column '2.5.l'" in line)
    assert "unknown column (not a key question of rulebook probation-pdu-2021); did you mean '2.5.1'" in line


def test_a_case_file_of_another_framework_names_the_rulebook_to_use():
    result = CliRunner().invoke(main, ["pdu", str(ROOT / "cases" / "youth-justice-2021-example.csv")])
    assert result.exit_code == 2
    assert "fit rulebooks youth-justice-2018, youth-justice-2021: use --rules youth-justice-2018 or --rules " \
           "youth-justice-2021" in result.stderr


def test_a_set_path_spelt_wrong(tmp_path):
    result = _run(tmp_path, {}, "pdu", EXAMPLE, "-j", JUDGEMENTS, "--set", "key_question_bands.rows[kq-god].min=70")
    assert result.exit_code == 2 and "no item with id 'kq-god'" in result.stderr and "did you mean 'kq-good'?" in result.stderr
    result = _run(tmp_path, {}, "pdu", EXAMPLE, "-j", JUDGEMENTS, "--set", "key_questoin_bands.rows[kq-good].min=70")
    assert result.exit_code == 2 and "did you mean 'key_question_bands'?" in result.stderr


def test_an_override_rating_spelt_wrong(tmp_path):
    result = _run(tmp_path, {}, "validate", EXAMPLE, "-j", JUDGEMENTS, "--draft",
                  ROOT / "cases" / "redcar-cleveland-middlesbrough-draft.yaml", "--override", "2.4=Requires improvemnt:x")
    assert result.exit_code == 2 and "did you mean 'Requires improvement'?" in result.stderr
