"""`rate diff` that answers: --level, row percentages, csv and xlsx, --against RECORDED, and which
change moves which unit. Expected values come from the independent oracle of test_diff (read
straight from the corpus files) or from hand-built tallies, never from the diff code."""
import csv
import io
import json
from collections import Counter

import pytest
from click.testing import CliRunner
from test_diff import CORPUS, RAISE_GOOD, oracle

from ratings_engine.api import diff_rulebooks
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import split_assignments

ENABLE_LIMIT = "overall.limits.rows[no-outstanding-with-inadequate].enabled=true"
RAISE_GOOD_ONE = "; ".join(RAISE_GOOD)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---- levels and row percentages ---------------------------------------------------------------

def test_level_overall_lists_only_overall_changes_and_its_matrix_has_row_percentages():
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--level", "overall",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    listed = [c for u in data["units"] for c in u["changes"]]
    assert listed and {c["level"] for c in listed} == {"overall"}
    assert len(listed) == sum(old[u] != new[u] for u in old)
    matrix = data["matrices"]["overall"]
    assert set(data["matrices"]) == {"overall"}
    expected = Counter((old[u], new[u]) for u in old)
    for row in matrix["rows"]:
        total = sum(n for (a, _), n in expected.items() if a == row["from"])
        assert row["total"] == total
        for to, n in row["counts"].items():
            assert n == expected.get((row["from"], to), 0)
            assert row["percent"][to] == round(100 * n / total, 1)


def test_level_standard_counts_every_unit_and_standard(tmp_path):
    _, old_std, _ = oracle(65)
    _, new_std, _ = oracle(70)
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=RAISE_GOOD, level="standard")
    m = report.matrix("standard")
    # every rated case standard of the oracle is counted once; judgement and not-inspected standards too
    case_pairs = Counter((old_std[k], new_std[k]) for k in old_std)
    for (a, b), n in case_pairs.items():
        if a != b:
            assert m.counts[(a, b)] == n
    moved_cells = sum(n for (a, b), n in m.counts.items() if a != b)
    assert moved_cells == sum(old_std[k] != new_std[k] for k in old_std)
    assert m.grand_total == len(report.units) * 9
    text = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--level", "standard").stdout
    assert "Standard ratings: base (rows) -> candidate (columns)" in text
    assert "key question 2." not in text and "Overall ratings:" not in text


def test_level_key_question_lists_only_key_questions():
    old_kq, _, _ = oracle(65)
    new_kq, _, _ = oracle(70)
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=RAISE_GOOD, level="key-question")
    assert {c.level for _, c in report.listed()} == {"key_question"}
    assert len(report.listed()) == sum(old_kq[k] != new_kq[k] for k in old_kq)


# ---- csv and xlsx -----------------------------------------------------------------------------

def test_csv_has_one_row_per_listed_change(tmp_path):
    target = tmp_path / "diff.csv"
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "-o", target)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=RAISE_GOOD)
    assert len(rows) == sum(len(u.changes) for u in report.units)
    overall = {r["unit"]: (r["base"], r["candidate"]) for r in rows if r["level"] == "overall"}
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    assert overall == {u: (old[u], new[u]) for u in old if old[u] != new[u]}


def test_xlsx_has_summary_matrix_changes_and_attribution(tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "diff.xlsx"
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--set", ENABLE_LIMIT,
                    "--level", "overall", "-o", target)
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert book.sheetnames == ["Summary", "Matrix overall", "Changes", "Attribution"]
    sheet = book["Matrix overall"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] is not None]
    header = next(r for r in rows if r[0] == "base \\ candidate")
    good = next(r for r in rows if r[0] == "Good")
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    labels = [h for h in header[1:] if h and not h.startswith("%") and h != "total"]
    for i, to in enumerate(labels, start=1):
        assert good[i] == sum(1 for u in old if old[u] == "Good" and new[u] == to)


# ---- attribution ------------------------------------------------------------------------------

def test_each_change_alone_moves_what_a_separate_diff_of_that_change_moves():
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=[RAISE_GOOD_ONE, ENABLE_LIMIT,
                                                                    "overall.bands.rows[overall-good].mean_max=2.2"])
    a = report.attribution
    assert a is not None and a.level == "overall"
    for change in a.changes:  # the independent path: a full diff of that change alone
        alone = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=[change.label])
        assert set(a.moves[change.label]) == {u.unit for u in alone.units if u.overall_changed}
    moved = {u.unit for u in report.units if u.overall_changed}
    assert set(a.moved) == moved
    assert set(a.combination_only) == moved - {u for units in a.moves.values() for u in units}


def test_a_unit_that_moves_only_under_the_combination(tmp_path):
    """Hand-built: mean 15/9 is Good; Good from 70% drops 2.2 to RI (14/9 = 1.56, still Good);
    RI up to mean 1.6 alone leaves 15/9 Good; both together give 14/9 <= 1.6: RI."""
    rows = ["unit,key_question,sufficient,applicable"]
    pct = {"2.1": 90, "2.2": 67, "2.3": 75, "2.4": 75, "2.5": 75}
    for std, p in pct.items():
        rows += [f"X,{std}.{k},{p},100" for k in (1, 2, 3)]
    (tmp_path / "x.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "x-judgements.csv").write_text(
        "standard,rating\n" + "".join(f"1.{i},Requires improvement\n" for i in range(1, 5)), encoding="utf-8")
    mean = "overall.bands.rows[overall-requires-improvement].mean_max=1.6"
    report = diff_rulebooks(tmp_path, "probation-pdu-2021", changes=[RAISE_GOOD_ONE, mean])
    assert [(u.base_overall, u.candidate_overall) for u in report.units] == [("Good", "Requires improvement")]
    a = report.attribution
    assert a.moves == {RAISE_GOOD_ONE: (), mean: ()}
    assert a.combination_only == ("X",)
    result = invoke("diff", tmp_path, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--set", mean)
    assert "only under the combination: 1 unit: X" in result.stdout
    assert "combination only" in result.stdout  # the changed unit's "Moved by"


def test_a_change_that_does_not_apply_alone_is_reported():
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=RAISE_GOOD)  # two --set, each leaving a gap alone
    a = report.attribution
    assert set(a.errors) == set(RAISE_GOOD)
    assert "also set key_question_bands.rows[kq-requires-improvement].below=70" in a.errors[RAISE_GOOD[0]]
    assert set(a.combination_only) == {u.unit for u in report.units if u.overall_changed}


def test_semicolons_group_assignments_into_one_change():
    assert split_assignments(RAISE_GOOD_ONE) == tuple(RAISE_GOOD)
    assert split_assignments("a.b={grade: uncertain, source: 'x; y'}") == ("a.b={grade: uncertain, source: 'x; y'}",)
    one = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=[RAISE_GOOD_ONE])
    two = diff_rulebooks(CORPUS, "probation-pdu-2021", changes=RAISE_GOOD)
    assert dict(one.transitions()) == dict(two.transitions())


def test_a_gap_names_the_bound_to_move():
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD[0])
    assert result.exit_code == 2
    assert "a gap in the table" in result.stderr
    assert "also set key_question_bands.rows[kq-requires-improvement].below=70" in result.stderr


# ---- --against recorded ratings ---------------------------------------------------------------

def _recorded(tmp_path, overall: dict[str, str], extra: str = "") -> str:
    lines = ["unit,standard,rating,score"]
    _, stds, _ = oracle(65)
    for unit, rating in overall.items():
        lines.append(f"{unit},overall,{rating},")
        lines += [f"{u},{s},{r}," for (u, s), r in sorted(stds.items()) if u == unit]
    path = tmp_path / "recorded.csv"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def test_against_recorded_ratings_compares_with_what_was_recorded(tmp_path):
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    recorded = dict(old)
    overridden = next(u for u in old if old[u] == new[u])
    recorded[overridden] = "Outstanding" if old[overridden] != "Outstanding" else "Good"  # e.g. a panel override
    path = _recorded(tmp_path, recorded, "Nowhere,overall,Good,\n")
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--against", path,
                    "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    got = {u["unit"]: (c["base"], c["candidate"]) for u in data["units"] for c in u["changes"] if c["level"] == "overall"}
    assert got == {u: (recorded[u], new[u]) for u in old if recorded[u] != new[u]}
    assert overridden in got
    assert all(c["level"] != "key_question" for u in data["units"] for c in u["changes"])
    assert data["against"]["kind"] == "recorded" and "Nowhere" in " ".join(data["warnings"])
    assert set(data["matrices"]) == {"overall", "standard"}
    text = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--against", path).stdout
    assert "Base: recorded ratings from" in text


@pytest.mark.parametrize("content,message", [
    ("unit,standard,rating\nAshford Vale,9.9,Good\n", "row 2, column 'standard': unknown standard '9.9'"),
    ("unit,standard,rating\nAshford Vale,overall,Great\n", "row 2, column 'rating': unknown rating 'Great'"),
    ("unit,standard,rating\nAshford Vale,overall,Good\nAshford Vale,Overall,Good\n", "recorded twice (first in row 2)"),
    ("unit,standard\nAshford Vale,overall\n", "no 'rating' column"),
])
def test_bad_recorded_files_are_named(tmp_path, content, message):
    path = tmp_path / "recorded.csv"
    path.write_text(content, encoding="utf-8")
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--against", path)
    assert result.exit_code == 2
    assert message in result.stderr and "recorded.csv" in result.stderr


def test_against_with_key_question_level_is_a_usage_error(tmp_path):
    _, _, old = oracle(65)
    result = invoke("diff", CORPUS, "--base", "probation-pdu-2021", "--set", RAISE_GOOD_ONE, "--against",
                    _recorded(tmp_path, old), "--level", "key-question")
    assert result.exit_code == 2 and "no key-question ratings" in result.stderr
