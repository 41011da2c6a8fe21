"""`rate check-rules --properties`: hypothesis property checks of a whole rulebook."""
import re
from pathlib import Path

from click.testing import CliRunner

from ratings_engine.cli import main
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.evidence import INSUFFICIENT, SUFFICIENT, CaseEvidence
from ratings_engine.render.check import counterexample_text, properties_text
from ratings_engine.toolkit import properties
from ratings_engine.toolkit.properties import NA, NO, Evidence, check_properties

FIXTURES = Path(__file__).parent / "fixtures" / "rulebooks"
NON_MONOTONE = FIXTURES / "non-monotone-bands.yaml"
# The fixture with its two middle bands the right way round: a small, sound rulebook.
SMALL = with_changes(load_rulebook(NON_MONOTONE), ["key_question_bands.rows[kq-swapped-ri].then=Good",
                                                     "key_question_bands.rows[kq-swapped-good].then=Requires improvement"])


def test_pdu_2021_has_every_property_and_writes_nothing_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = check_properties(load_rulebook("probation-pdu-2021"), examples=8, seed=1)
    assert report.ok, properties_text(report)
    assert [r.name for r in report.results] == ["monotonicity", "permutation invariance", "not-applicable invariance"]
    assert all(r.passed and r.examples == 8 for r in report.results)
    assert list(tmp_path.iterdir()) == []  # no .hypothesis directory, no example database


def test_a_non_monotone_rulebook_fails_with_the_smallest_counter_example_printed_as_a_case_table():
    result = CliRunner().invoke(main, ["check-rules", str(NON_MONOTONE), "--properties", "--examples", "30"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "FAILED: monotonicity" in out and "1 failed property" in out
    assert "passed: permutation invariance (30 examples)" in out and "passed: not-applicable invariance" in out
    table = out[out.index("smallest counter-example"):out.index("passed: permutation")]
    # one answer changed, no -> yes; hypothesis shrank to the smallest sample crossing 65%: 2/4 -> 3/4
    assert table.count("no -> yes") == 1
    assert "2/4 sufficient (50.0%) -> 3/4 sufficient (75.0%)" in table
    cells = [line.split() for line in table.splitlines() if line.strip().startswith("c0")]
    assert len(cells) == 4  # the case table: four cases
    kq = next(line.split()[2] for line in table.splitlines() if line.strip().startswith("key question"))
    assert re.search(rf"key question {re.escape(kq)}\s+Good\s+Requires improvement", table)


def test_the_invariance_properties_catch_an_order_dependent_or_na_sensitive_pipeline(monkeypatch):
    original = properties._case_evidence

    def reads_the_first_case_as_sufficient(ev: Evidence) -> CaseEvidence:
        built = original(ev)
        answers = built.answers.copy()
        answers.iloc[0] = answers.iloc[0].replace(INSUFFICIENT, SUFFICIENT)
        return CaseEvidence(answers, built.source, built.sha256, built.audit)

    monkeypatch.setattr(properties, "_case_evidence", reads_the_first_case_as_sufficient)
    report = check_properties(SMALL, examples=15, seed=0, shrink=False)
    by_name = {r.name: r for r in report.results}
    assert not by_name["permutation invariance"].passed and by_name["not-applicable invariance"].passed
    assert by_name["permutation invariance"].counterexample.differences
    # the same seed gives the same smallest counter-example
    again = check_properties(SMALL, examples=15, seed=0, shrink=False)
    assert counterexample_text(again.results[1].counterexample) == counterexample_text(by_name["permutation invariance"].counterexample)

    def na_counts_as_insufficient(ev: Evidence) -> CaseEvidence:
        return original(Evidence({kq: tuple(NO if a == NA else a for a in col) for kq, col in ev.columns.items()},
                                 ev.judgements))

    monkeypatch.setattr(properties, "_case_evidence", na_counts_as_insufficient)
    report = check_properties(SMALL, examples=15, seed=0, shrink=False)
    by_name = {r.name: r for r in report.results}
    assert not by_name["not-applicable invariance"].passed and by_name["permutation invariance"].passed
    assert "answered n/a on every key question added" in by_name["not-applicable invariance"].counterexample.change


def test_properties_are_not_run_on_a_rulebook_that_cannot_rate_every_input():
    broken = FIXTURES / "unknown-rating.yaml"
    result = CliRunner().invoke(main, ["check-rules", str(broken), "--properties", "--examples", "5"])
    assert result.exit_code == 1, result.output
    assert "not run: the rulebook cannot rate every input" in result.output
