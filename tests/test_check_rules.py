"""`rate check-rules`: static analysis of rulebooks (ratings_engine.check)."""
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from ratings_engine.cli import main
from ratings_engine.engine.decide import (
    DecisionTableError,
    KeyQuestionInput,
    OverallInput,
    compile_rulebook,
    percentage_fact,
)
from ratings_engine.io.rulebooks import (
    load_rulebook,
    rulebook_from_mapping,
    with_changes,
)
from ratings_engine.toolkit.check import check_rulebook, provenance_summary
from ratings_engine.toolkit.check_bands import band_row_matches, compared_fraction

FIXTURES = Path(__file__).parent / "fixtures" / "rulebooks"
PDU = load_rulebook("probation-pdu-2021")

GAP = ["key_question_bands.rows[kq-requires-improvement].below=64"]
OVERLAP = ["key_question_bands.rows[kq-good].min=60"]
SWAPPED = ["key_question_bands.rows[kq-good].then=Requires improvement",
           "key_question_bands.rows[kq-requires-improvement].then=Good"]
SHADOWED = ["key_question_bands.hit_policy=first", "key_question_bands.rows[kq-good].min=50"]
NEVER_WINS = ["key_question_bands.hit_policy=priority", "key_question_bands.rows[kq-requires-improvement].below=80"]
MISSING_OVERALL = ["overall.bands.rows=[{id: low, mean_max: 0.5, then: Inadequate}, "
                   "{id: mid, mean_max: 1.5, then: Requires improvement}]"]
MEAN_ROWS = ("{id: overall-inadequate, mean_max: 0.5, then: Inadequate}, "
             "{id: overall-ri, mean_max: 1.5, then: Requires improvement}, "
             "{id: overall-good, mean_max: 2.5, then: Good}, {id: overall-outstanding, then: Outstanding}")
THREE_GOOD = [f"overall.bands.rows=[{{id: three-good, counts: [{{ratings: [Good], min: 3, max: 3}}], then: Inadequate}}, "
              f"{MEAN_ROWS}]"]


def variant(*assignments):
    return with_changes(PDU, [a for group in assignments for a in group])


def write_rulebook(tmp_path: Path, rulebook, name: str = "variant.yaml") -> Path:
    path = tmp_path / name
    yaml = YAML(typ="rt")  # keeps key order: each row starts with its id
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(rulebook.model_dump(mode="json", by_alias=True, exclude_none=True), fh)
    return path


def only(report, kind):
    found = [f for f in report.errors if f.kind == kind]
    assert found, f"no {kind} error in {[str(f) for f in report.findings]}"
    return found


# ---------------------------------------------------------------------------------------------
# The shipped rulebook


def test_shipped_pdu_2021_is_clean_through_the_cli():
    result = CliRunner().invoke(main, ["check-rules", "probation-pdu-2021"])
    assert result.exit_code == 0, result.output
    assert "ERRORS (0)" in result.output and "RESULT: OK" in result.output
    assert "11,475 (sufficient, applicable) pairs with 1-150 applicable cases" in result.output
    assert "the two analyses agree" in result.output


def test_shipped_pdu_2021_json_report_and_provenance_summary():
    result = CliRunner().invoke(main, ["check-rules", "probation-pdu-2021", "--format", "json", "--max-sample", "40"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["errors"] == [] and data["max_sample"] == 40
    assert data["rulebook"]["id"] == "probation-pdu-2021" and len(data["rulebook"]["sha256"]) == 64
    prov = data["provenance"]
    # one score table, five policies and the two sample-size actions, nine standards, four band rows,
    # four overall rows, one limit, two samples, the effective dates
    assert {k: sum(v.values()) for k, v in prov.items()} == {
        "score table": 1, "policies": 7, "standards": 9, "key-question band rows": 4, "overall band rows": 4,
        "limit rows": 1, "sample sizes": 2, "effective dates": 1, "total": 29}
    assert prov["standards"]["confirmed"] == 4  # the judgement standards, from the seed letter
    assert prov["total"] == {g: sum(v[g] for k, v in prov.items() if k != "total")
                             for g in ("confirmed", "recalled", "uncertain", "none")}


def test_provenance_counts_a_row_without_its_own_grade_under_its_tables_grade():
    rb = variant(["key_question_bands.rows[kq-good].provenance={grade: confirmed, source: test}"])
    summary = provenance_summary(rb)["key-question band rows"]
    assert summary["confirmed"] == 1 and summary["recalled"] == 3


# ---------------------------------------------------------------------------------------------
# Each defect gives the right error; every counter-example is confirmed by the compiled rulebook


def test_a_gap_is_reported_with_its_first_counter_example_and_the_rows_around_it():
    rb = variant(GAP)
    report = check_rulebook(rb)
    assert report.kinds("error") == {"gap"}
    (gap,) = only(report, "gap")
    assert gap.rows == ("kq-requires-improvement", "kq-good")
    assert "from 64% to under 65%" in gap.message and "9 of 14 applicable cases" in gap.message
    assert gap.example == {"sufficient": 9, "applicable": 14}
    with pytest.raises(DecisionTableError, match="gap"):
        compile_rulebook(rb).band([KeyQuestionInput(9, 14)])
    compile_rulebook(rb).band([KeyQuestionInput(s, 13) for s in range(14)])  # no smaller sample falls in it


def test_a_gap_only_larger_samples_reach_is_still_an_error_and_says_so():
    rb = variant(["key_question_bands.rows[kq-requires-improvement].below=64.99"])
    report = check_rulebook(rb, max_sample=50)
    (gap,) = only(report, "gap")
    assert "no sample of up to 50 applicable cases reaches it" in gap.message
    s, a = gap.example["sufficient"], gap.example["applicable"]
    assert a > 50 and Fraction(6499, 100) <= Fraction(100 * s, a) < 65
    with pytest.raises(DecisionTableError):
        compile_rulebook(rb).band([KeyQuestionInput(s, a)])


def test_an_overlap_under_unique_is_reported():
    rb = variant(OVERLAP)
    report = check_rulebook(rb)
    assert report.kinds("error") == {"overlap"}
    (overlap,) = only(report, "overlap")
    assert set(overlap.rows) == {"kq-good", "kq-requires-improvement"}
    assert "from 60% to under 65%" in overlap.message and "3 of 5" in overlap.message
    with pytest.raises(DecisionTableError, match="overlap"):
        compile_rulebook(rb).band([KeyQuestionInput(3, 5)])


def test_a_non_monotone_band_table_is_reported_with_one_more_case_that_lowers_the_rating():
    rb = variant(SWAPPED)
    report = check_rulebook(rb)
    assert report.kinds("error") == {"non_monotone"}
    (finding,) = only(report, "non_monotone")
    assert finding.rows == ("kq-requires-improvement", "kq-good")
    assert "2 of 4 (50%) is Good, 3 of 4 (75%) is Requires improvement" in finding.message
    two, three = compile_rulebook(rb).band([KeyQuestionInput(2, 4), KeyQuestionInput(3, 4)])
    assert (two.row.then, three.row.then) == ("Good", "Requires improvement")


def test_a_row_shadowed_under_first_is_reported():
    report = check_rulebook(variant(SHADOWED))
    assert report.kinds("error") == {"shadowed"}
    (finding,) = only(report, "shadowed")
    assert finding.rows == ("kq-requires-improvement", "kq-good")
    assert "shadowed" in finding.message and "from 50% to under 65%" in finding.message
    assert "unreachable_rating" in report.kinds("warning")  # nothing gives Requires improvement now


def test_a_row_that_never_wins_under_priority_is_reported():
    report = check_rulebook(variant(NEVER_WINS))
    assert report.kinds("error") == {"never_wins"}
    (finding,) = only(report, "never_wins")
    assert finding.rows == ("kq-good", "kq-requires-improvement")


def test_overlapping_rows_are_fine_under_priority_when_each_wins_somewhere():
    report = check_rulebook(variant(["key_question_bands.hit_policy=priority", "key_question_bands.rows[kq-good].min=50"]))
    assert report.ok, [str(f) for f in report.findings]


def test_a_row_that_can_never_match_is_reported():
    report = check_rulebook(variant(["key_question_bands.rows[kq-good].min=85"]))
    assert report.kinds("error") == {"never_matches", "gap"}
    (finding,) = only(report, "never_matches")
    assert finding.rows == ("kq-good",) and "85% to under 80%" in finding.message


def test_whole_percent_rounding_is_analysed_on_whole_percentages():
    rb = variant(["policies.rounding.value=nearest_whole_percent"], GAP)
    (gap,) = only(check_rulebook(rb), "gap")
    assert "no row matches 64%:" in gap.message and "compared as 64%" in gap.message
    s, a = gap.example["sufficient"], gap.example["applicable"]
    with pytest.raises(DecisionTableError):
        compile_rulebook(rb).band([KeyQuestionInput(s, a)])
    # the same bounds under exact comparison: 64.5% (129/200) has a row only with rounding
    assert check_rulebook(variant(["policies.rounding.value=nearest_whole_percent"])).ok


def test_a_missing_overall_band_is_reported_for_every_number_of_scored_standards():
    rb = variant(MISSING_OVERALL)
    report = check_rulebook(rb)
    assert report.kinds("error") == {"missing_band"}
    missing = only(report, "missing_band")
    assert len(missing) == 9  # 1..9 scored standards
    nine = next(f for f in missing if "over 9 scored standard(s)" in f.message)
    assert "a score of 14-27" in nine.message and nine.rows == ("mid",)
    assert nine.example["score"] == 14 and len(nine.example["ratings"]) == 9
    with pytest.raises(DecisionTableError, match="no row"):
        compile_rulebook(rb).overall([OverallInput(14, 9)])


def test_overall_bands_for_one_number_of_standards_only_leave_the_others_missing():
    rb = variant(["overall.bands.rows[overall-outstanding].scored=9"])
    missing = only(check_rulebook(rb), "missing_band")
    assert {f.example["scored"] for f in missing} == set(range(1, 9))
    assert all(f.rows == ("overall-good",) for f in missing)


def test_a_higher_overall_score_giving_a_lower_rating_is_reported():
    rb = variant(["overall.bands.rows[overall-good].then=Outstanding", "overall.bands.rows[overall-outstanding].then=Good"])
    report = check_rulebook(rb)
    assert report.kinds("error") == {"non_monotone"}
    finding = only(report, "non_monotone")[0]
    assert finding.rows == ("overall-good", "overall-outstanding") and "a higher score gives a lower rating" in finding.message


def test_a_count_rule_that_a_better_standard_rating_can_trigger_is_non_monotone():
    rb = variant(THREE_GOOD)
    report = check_rulebook(rb)
    assert report.kinds("error") == {"non_monotone"}
    finding = only(report, "non_monotone")[0]
    assert finding.table == "overall" and "three-good" in finding.rows
    before, after = finding.example["before"], finding.example["after"]
    changed = [sid for sid in after if before.get(sid) != after[sid]]
    assert changed == [finding.example["standard"]]
    compiled = compile_rulebook(rb)
    lo, hi = compiled.overall([compiled.overall_input(before), compiled.overall_input(after)])
    assert rb.rank(hi.row.then) < rb.rank(lo.row.then)


def test_count_rules_that_only_invert_scores_across_different_counts_are_legitimate():
    rules = [f"overall.bands.rows=[{{id: two-inadequate, counts: [{{ratings: [Inadequate], min: 2}}], "
             f"then: Inadequate}}, {MEAN_ROWS}]"]
    report = check_rulebook(variant(rules))
    assert report.ok, [str(f) for f in report.findings]
    assert any("legitimate for count rules" in line for line in report.checked)


def test_standards_named_in_count_conditions_are_enumerated_one_by_one():
    rules = ["overall.bands.rows=[{id: gate, counts: [{ratings: [Outstanding], standards: ['2.2'], min: 1}], "
             f"then: Inadequate}}, {MEAN_ROWS}]"]
    finding = only(check_rulebook(variant(rules)), "non_monotone")[0]
    assert finding.example["standard"] == "2.2" and "raising standard 2.2 from Good to Outstanding" in finding.message


def test_limits_that_never_match_or_never_lower_are_warnings_only():
    never = check_rulebook(variant(["overall.limits.rows[no-outstanding-with-inadequate].enabled=true",
                                    "overall.limits.rows[no-outstanding-with-inadequate].counts[0].min=10"]))
    assert never.ok and never.kinds("warning") == {"limit_never_matches"}
    useless = check_rulebook(variant(["overall.limits.rows[no-outstanding-with-inadequate].enabled=true",
                                      "overall.limits.rows[no-outstanding-with-inadequate].counts[0].min=9"]))
    assert useless.ok and useless.kinds("warning") == {"limit_never_lowers"}
    useful = check_rulebook(variant(["overall.limits.rows[no-outstanding-with-inadequate].enabled=true"]))
    assert useful.ok and not useful.warnings


# ---------------------------------------------------------------------------------------------
# The command line: exit codes, file and line


def test_cli_reports_errors_with_file_line_and_rule_id_and_exits_1(tmp_path):
    path = write_rulebook(tmp_path, variant(GAP))
    result = CliRunner().invoke(main, ["check-rules", str(path)])
    assert result.exit_code == 1, result.output
    line = next(ln for ln in result.output.splitlines() if "error[gap]" in ln)
    row_line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "- id: kq-requires-improvement" in text)
    assert f"{path}, line {row_line}" in line
    assert "kq-requires-improvement" in line and "RESULT: FAILED (1 error(s)" in result.output


@pytest.mark.parametrize("rules, kind", [(OVERLAP, "overlap"), (SWAPPED, "non_monotone"), (SHADOWED, "shadowed"),
                                         (MISSING_OVERALL, "missing_band")])
def test_cli_json_lists_each_kind_of_error_and_exits_1(tmp_path, rules, kind):
    path = write_rulebook(tmp_path, variant(rules))
    result = CliRunner().invoke(main, ["check-rules", str(path), "-f", "json", "--max-sample", "30"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False and kind in {e["kind"] for e in data["errors"]}
    assert all(e["location"]["file"] == str(path) for e in data["errors"])


def test_a_rulebook_that_does_not_load_is_a_check_error_with_file_and_line():
    path = FIXTURES / "unknown-rating.yaml"
    result = CliRunner().invoke(main, ["check-rules", str(path)])
    assert result.exit_code == 1, result.output
    assert f"error[load] ({path}, line 36): 'Requires improvment' is not one of the ratings" in result.output
    report = check_rulebook(path)
    assert report.kinds() == {"load"} and report.rulebook is None and not report.can_rate


def test_set_checks_a_what_if_without_editing_the_file():
    runner = CliRunner()
    result = runner.invoke(main, ["check-rules", "probation-pdu-2021", "--set", "key_question_bands.rows[kq-good].min=70"])
    assert result.exit_code == 1, result.output
    assert "changed by --set key_question_bands.rows[kq-good].min=70" in result.output
    assert "no row matches from 65% to under 70%: e.g. 66.67% = 2 of 3 applicable cases" in result.output
    bad = runner.invoke(main, ["check-rules", "probation-pdu-2021", "--set", "key_question_bands.rows[kq-goo].min=70"])
    assert bad.exit_code == 2 and "no item with id 'kq-goo'" in bad.output


def test_bad_input_exits_2_without_a_traceback(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["check-rules", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "rulebook file not found" in missing.output
    assert runner.invoke(main, ["check-rules", "probation-pdu-2021", "--max-sample", "0"]).exit_code == 2
    usage = runner.invoke(main, ["check-rules", "probation-pdu-2021", "--seed", "3"])
    assert usage.exit_code == 2 and "--seed only applies with --properties" in usage.output
    for result in (missing, usage):
        assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# The symbolic band semantics agree with durable_rules


bound = st.one_of(st.none(), st.integers(0, 10000).map(lambda h: str(Decimal(h) / 100)))


@st.composite
def band_rows(draw):
    rows = []
    for i in range(draw(st.integers(1, 5))):
        row = {"id": f"r{i}", "then": draw(st.sampled_from(PDU.ratings))}
        lower, upper = draw(st.sampled_from(["min", "above"])), draw(st.sampled_from(["max", "below"]))
        for key in (lower, upper):
            value = draw(bound)
            if value is not None:
                row[key] = value
        rows.append(row)
    return rows


@settings(max_examples=25, deadline=None, database=None)
@given(rows=band_rows(), rounding=st.sampled_from(["exact", "nearest_whole_percent", "truncate_whole_percent"]),
       pairs=st.lists(st.integers(1, 400).flatmap(lambda a: st.tuples(st.integers(0, a), st.just(a))), min_size=1,
                      max_size=30))
def test_symbolic_row_matching_agrees_with_durable_rules(rows, rounding, pairs):
    data = PDU.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["key_question_bands"] = {"hit_policy": "first", "provenance": {"grade": "uncertain", "source": "test"},
                                  "rows": rows}
    data["policies"]["rounding"]["value"] = rounding
    rb = rulebook_from_mapping(data, "<generated>")
    table = compile_rulebook(rb).key_question_bands
    engine = table.matching([percentage_fact(s, a, rounding) for s, a in pairs])
    for (s, a), matched in zip(pairs, engine):
        pct = compared_fraction(s, a, rounding)
        assert [r.id for r in rb.key_question_bands.rows if band_row_matches(r, pct)] == [r.id for r in matched]
    report = check_rulebook(rb, max_sample=12)
    assert "engine_disagreement" not in report.kinds()
