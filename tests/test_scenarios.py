"""`rate test`: scenario files replayed against a rulebook, with pass/fail reports and located errors."""
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import SCORE, kq_band, overall_band

from ratings_engine import InputError
from ratings_engine.api import load_rulebook as get_rulebook
from ratings_engine.api import run_scenarios
from ratings_engine.cli import main
from ratings_engine.toolkit.scenarios import load_scenario_file, synthetic_tally

SCENARIOS = ROOT / "rules" / "scenarios"
OVERALL_RULEBOOKS = ("probation-pdu-2021", "probation-pdu-2023", "probation-crc-nps-2018", "youth-justice-2018",
                     "youth-justice-2021", "probation-region-2023", "youth-justice-2025")
SEED_CASES = CASES / "redcar-cleveland-middlesbrough.csv"
SEED_JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"

PASSING = f"""
rulebook: probation-pdu-2021
scenarios:
  - name: seed letter
    provenance: {{grade: confirmed, source: seed letter annexe two}}
    given:
      cases: {SEED_CASES}
      judgements: {SEED_JUDGEMENTS}
    expect:
      overall: Requires improvement
      status: rated
      score: 8
      max_score: 24
      standards: {{"2.1": Not inspected, "2.2": Inadequate, "1.2": good}}
      key_questions: {{"2.2.3": Inadequate}}
  - name: seed letter from counts
    given:
      cases: {CASES / "redcar-cleveland-middlesbrough-tallies.csv"}
      judgements: {{"1.1": Requires improvement, "1.2": Good, "1.3": Requires improvement, "1.4": Good}}
    expect: {{overall: Requires improvement, score: 8}}
  - name: lowest key question decides; no judgements means no overall rating
    given:
      tallies: {{"2.2.1": [40, 44], "2.2.2": [33, 44], "2.2.3": [18, 44]}}
    expect:
      overall: null
      status: incomplete
      standards: {{"2.2": Inadequate, "2.3": Not inspected}}
      key_questions: {{"2.2.1": Outstanding, "2.2.2": Good}}
  - name: ratings given directly, partial
    given:
      ratings: {{"1.1": Good, "2.2": Outstanding, "2.5": Not inspected}}
      allow_partial: true
    expect: {{overall: Good, status: partial, score: 5, max_score: 6}}
"""

FAILING = """
rulebook: probation-pdu-2021
scenarios:
  - name: passes
    given: {ratings: {"1.1": Good, "1.2": Good, "1.3": Good, "1.4": Good}, allow_partial: true}
    expect: {overall: Good}
  - name: wrong on purpose
    given:
      ratings: {"1.1": Good, "1.2": Good, "1.3": Good, "1.4": Good}
      tallies: {"2.2.1": [28, 44], "2.2.2": [40, 44], "2.2.3": [40, 44]}
    expect:
      overall: Outstanding
      score: 11
      standards: {"2.2": Good}
      key_questions: {"2.2.1": Good}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(main, ["test", *map(str, args)])


def test_passing_scenarios(tmp_path):
    path = write(tmp_path, PASSING)
    result = run("probation-pdu-2021", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("PASS") == 4 and "4 passed, 0 failed" in result.stdout
    report = run_scenarios("probation-pdu-2021", path)
    assert report.ok and report.passed == 4
    assert report.results[0].unit == "Redcar, Cleveland and Middlesbrough"
    assert report.results[0].line == 4 and report.results[0].provenance.grade == "confirmed"


def test_failing_scenario_report_shows_expected_actual_and_because(tmp_path):
    path = write(tmp_path, FAILING)
    result = run("probation-pdu-2021", path)
    assert result.exit_code == 1
    out = result.stdout
    assert "PASS  passes" in out and f"FAIL  wrong on purpose  ({path}:7)" in out
    assert "overall: expected Outstanding, got Good" in out
    assert "score: expected 11, got 9" in out
    assert "because: score 9 of 15 over 5 scored standard(s)" in out and "rule overall-good" in out
    assert "standard 2.2: expected Good, got Requires improvement" in out
    assert "because: lowest of its key questions: 2.2.1 is Requires improvement" in out
    assert "key question 2.2.1: expected Good, got Requires improvement" in out
    assert "because: 28 of 44 applicable cases sufficient (63.6%): rule kq-requires-improvement" in out
    assert "1 passed, 1 failed" in out

    data = json.loads(run("probation-pdu-2021", path, "--format", "json").stdout)
    (failed,) = [r for r in data["results"] if not r["passed"]]
    assert {f["what"] for f in failed["failures"]} == {"overall", "score", "standard 2.2", "key question 2.2.1"}
    assert all(f["because"] for f in failed["failures"])


def test_failing_because_text_is_the_rules_explanation(tmp_path):
    path = write(tmp_path, """
        rulebook: probation-pdu-2021
        scenarios:
          - name: kq at 64.6%
            given: {tallies: {"2.2.1": [42, 65], "2.2.2": [60, 65], "2.2.3": [60, 65]}, allow_partial: true}
            expect: {key_questions: {"2.2.1": Good}, standards: {"2.2": Good}}
        """)
    report = run_scenarios("probation-pdu-2021", path)
    assert not report.ok
    by_what = {m.what: m for m in report.results[0].mismatches}
    assert by_what["key question 2.2.1"].because == (
        "42 of 65 applicable cases sufficient (64.6%): rule kq-requires-improvement (50% to under 65%) "
        "gives Requires improvement")
    assert by_what["standard 2.2"].because.startswith("lowest of its key questions: 2.2.1 is Requires improvement")


def test_a_set_override_can_make_shipped_scenarios_fail():
    ok = run("probation-pdu-2021")
    assert ok.exit_code == 0, ok.output
    broken = run("probation-pdu-2021", "--set", "overall.bands.rows[overall-inadequate].mean_max=0.1")
    assert broken.exit_code == 1
    assert "expected Inadequate, got Requires improvement" in broken.stdout
    assert "with --set overall.bands.rows[overall-inadequate].mean_max=0.1" in broken.stdout


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_pass_against_their_rulebook(path):
    report = run_scenarios(path.stem, path)
    assert report.results and report.ok, [(r.name, [m.to_dict() for m in r.mismatches])
                                          for r in report.results if not r.passed]


def test_default_scenarios_and_a_rulebook_without_any(tmp_path):
    result = run("experimental-count-caps")
    assert result.exit_code == 0 and "rules/scenarios/experimental-count-caps.yaml" in result.stdout
    copy = tmp_path / "mine.yaml"
    copy.write_text((ROOT / "rules" / "probation-pdu-2021.yaml").read_text().replace(
        "id: probation-pdu-2021", "id: my-own-rules"))
    none = run(copy)
    assert none.exit_code == 2 and "rulebook my-own-rules has no shipped scenarios" in none.stderr


def test_scenarios_written_for_another_rulebook_are_noted(tmp_path):
    result = run("experimental-count-caps", SCENARIOS / "probation-pdu-2021.yaml")
    assert "written for rulebook probation-pdu-2021, replayed against experimental-count-caps" in result.stdout
    assert result.exit_code == 1  # the experiment rates the seed letter's PDU Inadequate


def test_folders_of_scenario_files(tmp_path):
    write(tmp_path, PASSING, "a.yaml")
    sub = tmp_path / "more"
    sub.mkdir()
    write(sub, FAILING, "b.yml")
    report = run_scenarios("probation-pdu-2021", tmp_path)
    assert (report.passed, report.failed) == (5, 1) and len(report.files) == 2


MALFORMED = {
    "unknown key": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {ratingz: {"1.1": Good}}
            expect: {overall: Good}
        """, "s.yaml, line 5, at scenarios[0].given.ratingz: unknown key 'ratingz'"),
    "unknown expect key": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            expect: {overal: Good}
        """, "at scenarios[0].expect.overal: unknown key 'overal'"),
    "syntax": ("rulebook: x\nscenarios: [\n", "s.yaml, line 3: YAML syntax error"),
    "duplicate key": ("rulebook: x\nscenarios:\n  - name: a\n    name: b\n", "s.yaml, line 4: YAML syntax error: found duplicate key"),
    "not a mapping": ("- a\n- b\n", "a scenario file must be a YAML mapping"),
    "no scenarios": ("rulebook: probation-pdu-2021\nscenarios: []\n", "line 2, at scenarios: give at least one scenario"),
    "unquoted id": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {ratings: {2.2: Good}}
            expect: {overall: Good}
        """, "line 5, at scenarios[0].given.ratings: id 2.2 must be quoted text"),
    "bad tally": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {tallies: {"2.2.1": [50, 40]}}
            expect: {overall: Good}
        """, "key question 2.2.1: sufficient (50) is more than applicable (40)"),
    "short tally": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {tallies: {"2.2.1": [5]}}
            expect: {overall: Good}
        """, "key question 2.2.1: give [sufficient, applicable] as two whole numbers"),
    "empty expect": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            expect: {}
        """, "expect at least one of overall"),
    "bad status": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            expect: {status: done}
        """, "at scenarios[0].expect.status: Input should be 'rated'"),
    "duplicate names": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - {name: a, expect: {overall: Good}}
          - {name: a, expect: {overall: Good}}
        """, "line 5, at scenarios[1].name: scenario name 'a' is used twice"),
    "unknown standard": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {ratings: {"9.9": Good}}
            expect: {overall: Good}
        """, "line 5, at scenarios[0].given.ratings.9.9: unknown standard '9.9'"),
    "unknown rating": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {judgements: {"1.1": Great}}
            expect: {overall: Good}
        """, "at scenarios[0].given.judgements.1.1: unknown rating 'Great'"),
    "case standard as judgement": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {judgements: {"2.2": Good}}
            expect: {overall: Good}
        """, "'2.2' is not a judgement standard"),
    "unknown expected key question": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            expect: {key_questions: {"2.2.9": Good}}
        """, "line 5, at scenarios[0].expect.key_questions.2.2.9: unknown key question '2.2.9'"),
    "half a standard": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {tallies: {"2.2.1": [5, 6]}}
            expect: {overall: Good}
        """, "standard 2.2 has tallies for some key questions but not 2.2.2, 2.2.3"),
    "two sources": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given:
              tallies: {"2.2.1": [5, 6], "2.2.2": [5, 6], "2.2.3": [5, 6]}
              ratings: {"2.2": Good}
            expect: {overall: Good}
        """, "standard 2.2 gets evidence from both given.tallies and given.ratings"),
    "missing case file": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {cases: nothere.csv}
            expect: {overall: Good}
        """, "line 5, at scenarios[0].given.cases: case file 'nothere.csv' not found"),
    "unknown rule": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            expect: {overall: Good, rule: overall-great}
        """, "line 5, at scenarios[0].expect.rule: unknown overall.bands row 'overall-great' (rulebook "
             "probation-pdu-2021 has overall-inadequate, overall-requires-improvement, overall-good, overall-outstanding)"),
    "unknown limit": ("""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            expect: {limit: no-such-cap}
        """, "at scenarios[0].expect.limit: unknown overall.limits row 'no-such-cap'"),
    "several units": (f"""
        rulebook: probation-pdu-2021
        scenarios:
          - name: a
            given: {{cases: {CASES / 'corpus' / 'north-region.csv'}}}
            expect: {{overall: Good}}
        """, "holds 3 units ('Ashford Vale', 'Brookmere', 'Castleton'); a scenario rates one unit"),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_scenario_files_exit_2_with_file_line_and_key(tmp_path, name):
    text, message = MALFORMED[name]
    path = write(tmp_path, text)
    result = run("probation-pdu-2021", path)
    assert result.exit_code == 2, result.output
    assert message in result.stderr, result.stderr
    assert str(path) in result.stderr and "Traceback" not in result.output
    with pytest.raises(InputError):
        run_scenarios("probation-pdu-2021", path)


def test_a_missing_scenario_path_is_an_error(tmp_path):
    result = run("probation-pdu-2021", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "no such scenario file or folder" in result.stderr


@settings(max_examples=25, deadline=None)
@given(good=st.integers(51, 79), ri=st.integers(1, 50))
def test_synthetic_tallies_give_the_rating_asked_for_under_any_band_table(good, ri):
    """`ratings:` for a case standard asks the rulebook's own table; moving the thresholds moves the tallies.

    The expected rating is worked out here from the moved thresholds (tests/oracles.py), not asked of
    the rulebook the tallies were found with.
    """
    rb = get_rulebook(changes=[f"key_question_bands.rows[kq-good].min={good}",
                                 f"key_question_bands.rows[kq-requires-improvement].below={good}",
                                 f"key_question_bands.rows[kq-requires-improvement].min={ri}",
                                 f"key_question_bands.rows[kq-inadequate].below={ri}"]).rulebook
    cuts = (("Outstanding", 80), ("Good", good), ("Requires improvement", ri))
    for rating in rb.ratings:
        s, a = synthetic_tally(rb, rating)
        assert kq_band(s, a, cuts=cuts) == rating, (rating, s, a)


# ---------------------------------------------------------------------------------------------
# Pinning the deciding rule

PINNED = """
rulebook: youth-justice-2018
scenarios:
  - name: right rule
    given: {ratings: {"1.1": Outstanding, "1.2": Outstanding, "1.3": Requires improvement, "1.4": Inadequate,
                      "2.1": Inadequate, "2.2": Inadequate, "2.3": Inadequate, "2.4": Inadequate,
                      "3.1": Inadequate, "3.2": Inadequate, "3.3": Inadequate, "3.4": Inadequate}}
    expect: {overall: Requires improvement, rule: youth-12-requires-improvement, limit: null, score: 7}
  - name: same rating, other rule
    given: {ratings: {"1.1": Outstanding, "1.2": Outstanding, "1.3": Requires improvement, "1.4": Inadequate,
                      "2.1": Inadequate, "2.2": Inadequate, "2.3": Inadequate, "2.4": Inadequate,
                      "3.1": Inadequate, "3.2": Inadequate, "3.3": Inadequate, "3.4": Inadequate}}
    expect: {overall: Requires improvement, rule: mean-requires-improvement, score: 7}
  - name: a limit that does not match
    given: {ratings: {"1.1": Good, "1.2": Good, "1.3": Good, "1.4": Good}, allow_partial: true}
    expect: {overall: Good, limit: no-outstanding-with-inadequate}
"""


def test_a_scenario_pins_the_rule_that_decided_not_only_the_rating(tmp_path):
    path = write(tmp_path, PINNED)
    report = run_scenarios("youth-justice-2018", path)
    right, other, limit = report.results
    assert right.passed and right.actual["rule"] == "youth-12-requires-improvement" and right.actual["limit"] is None
    assert [(m.what, m.expected, m.actual) for m in other.mismatches] == [
        ("rule", "mean-requires-improvement", "youth-12-requires-improvement")]
    assert [(m.what, m.expected, m.actual) for m in limit.mismatches] == [
        ("limit", "no-outstanding-with-inadequate", None)]
    result = run("youth-justice-2018", path)
    assert result.exit_code == 1
    assert "rule: expected mean-requires-improvement, got youth-12-requires-improvement" in result.stdout


def shipped_scenarios():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for scn in load_scenario_file(path).model.scenarios:
            yield path.stem, scn


def test_every_shipped_scenario_with_a_rating_pins_its_rule_and_score():
    unpinned = [(rb, s.name) for rb, s in shipped_scenarios()
                if s.expect.overall is not None and (s.expect.rule is None or s.expect.score is None)]
    assert unpinned == []
    published = [s for _, s in shipped_scenarios() if s.provenance and s.provenance.grade == "confirmed"]
    assert len(published) >= 4 + 2 * 37  # the seed letter, 3 published PDU scores, youth 0-36 twice


def test_pinned_rules_of_rating_scenarios_agree_with_the_hand_written_tables():
    """Scenarios giving every standard a rating: score, rating and rule from tests/oracles.py."""
    checked = 0
    for rulebook_id, scn in shipped_scenarios():
        given = scn.given
        if (given.cases or given.tallies or given.judgements or not given.ratings or scn.expect.overall is None
                or rulebook_id not in OVERALL_RULEBOOKS):
            continue
        scored = [r for sid, r in given.ratings.items()
                  if r != "Not inspected" and not (rulebook_id == "youth-justice-2021" and sid == "4.1")]
        score = sum(SCORE[r] for r in scored)
        rating, rule = overall_band(rulebook_id, score, len(scored))
        assert (scn.expect.overall, scn.expect.rule, scn.expect.score) == (rating, rule, score), (rulebook_id, scn.name)
        checked += 1
    assert checked >= 2 * 37 + 12 + 7 + 4
