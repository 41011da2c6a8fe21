"""`rate sweep`: value ranges, monotonic behaviour, agreement with rating each variant, outputs."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.errors import InputError
from ratings_engine.toolkit.sweep import sweep, value_range

GOOD = ["key_question_bands.rows[kq-good].min", "key_question_bands.rows[kq-requires-improvement].below"]
KQS = [f"2.{s}.{k}" for s in range(2, 6) for k in range(1, 4)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Eight units whose key questions spread over 40..90%, with judgements for every unit."""
    folder = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(42)
    rows, judged = [], []
    for u in range(8):
        unit = f"Unit {u}"
        quality = 0.45 + 0.06 * u
        for c in range(30):
            answers = np.where(rng.random(len(KQS)) < 0.1, "n/a", np.where(rng.random(len(KQS)) < quality, "yes", "no"))
            rows.append([f"{u}-{c}", unit, *answers])
        for i, sid in enumerate(["1.1", "1.2", "1.3", "1.4"]):
            judged.append([unit, sid, ["Good", "Requires improvement", "Good", "Outstanding"][(u + i) % 4]])
    cases = folder / "cases.csv"
    pd.DataFrame(rows, columns=["case_id", "unit", *KQS]).to_csv(cases, index=False)
    judgements = folder / "judgements.csv"
    pd.DataFrame(judged, columns=["unit", "standard", "rating"]).to_csv(judgements, index=False)
    return cases, judgements


def test_value_range():
    assert value_range("60", "75", "2.5") == ["60", "62.5", "65", "67.5", "70", "72.5", "75"]
    assert value_range("0.1", "0.3", "0.1") == ["0.1", "0.2", "0.3"]  # no float drift
    assert value_range("70", "60", "5") == ["70", "65", "60"]
    assert value_range("60", "61", "0.75") == ["60", "60.75"]
    for bad in (("60", "70", "0"), ("60", "70", "-1"), ("a", "70", "1"), ("0", "100000", "1")):
        with pytest.raises(InputError):
            value_range(*bad)


def test_raising_the_good_threshold_never_adds_good_or_better(corpus):
    cases, judgements = corpus
    values = value_range("50", "80", "1")
    report = sweep([cases], vary=GOOD, values=values, judgements=judgements)
    assert len(report.units) == 8

    def good_or_better(counts):
        return counts.get("Outstanding", 0) + counts.get("Good", 0)

    kq = [good_or_better(r["key_questions"]) for r in report.results]
    overall = [good_or_better(r["overall"]) for r in report.results]
    standards = {sid: [good_or_better(r["standards"][sid]) for r in report.results] for sid in ("2.2", "2.3", "2.4", "2.5")}
    for series in [kq, overall, *standards.values()]:
        assert all(b <= a for a, b in zip(series, series[1:])), series
    assert kq[0] > kq[-1]  # the threshold does bite on this corpus
    # Outstanding does not depend on the Good threshold.
    assert len({r["key_questions"]["Outstanding"] for r in report.results}) == 1
    # Every unit is counted once per value.
    assert all(sum(r["overall"].values()) == 8 for r in report.results)


def test_each_value_matches_rating_the_variant_one_by_one(corpus):
    cases, judgements = corpus
    values = ["55", "65", "72.5"]
    report = sweep([cases], vary=GOOD, values=values, judgements=judgements)
    base = load_rulebook("probation-pdu-2021")
    for value, result in zip(values, report.results):
        variant = with_changes(base, [f"{p}={value}" for p in GOOD])
        rated = api.rate(cases, variant, judgements=judgements)
        overall = {k: v for k, v in rated.overall_frame()["rating"].value_counts().to_dict().items() if v}
        assert {k: v for k, v in result["overall"].items() if v} == overall
        kqs = {k: v for k, v in rated.key_questions_frame()["rating"].value_counts().to_dict().items() if v}
        assert {k: v for k, v in result["key_questions"].items() if v} == kqs
        std = rated.standards_frame()
        for sid, counts in result["standards"].items():
            observed = std[std.standard == sid]["rating"].value_counts().to_dict()
            assert {k: v for k, v in counts.items() if v} == {k: v for k, v in observed.items() if v}


def test_cli_outputs_and_chart(corpus, tmp_path):
    cases, judgements = corpus
    runner = CliRunner()
    args = ["sweep", str(cases), "-j", str(judgements), "--vary", GOOD[0], "--vary", GOOD[1],
            "--from", "60", "--to", "70", "--step", "5", "--quiet"]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "Overall rating (units)" in table.output and "Standard 2.3 Planning (units)" in table.output
    csv = runner.invoke(main, args + ["--format", "csv"])
    frame = pd.read_csv(__import__("io").StringIO(csv.output))
    assert list(frame.columns) == ["value", "level", "subject", "rating", "count"]
    assert frame[(frame.level == "overall")].groupby("value")["count"].sum().tolist() == [8, 8, 8]
    data = json.loads(runner.invoke(main, args + ["--format", "json"]).output)
    assert data["values"] == ["60", "65", "70"] and data["vary"] == GOOD and data["units"] == 8
    png, svg = tmp_path / "curves.png", tmp_path / "curves.svg"
    assert runner.invoke(main, args + ["--chart", str(png)]).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert runner.invoke(main, args + ["--chart", str(svg), "--format", "csv"]).exit_code == 0
    assert "<svg" in svg.read_text(encoding="utf-8")


def test_values_list_for_a_policy(corpus):
    cases, judgements = corpus
    result = CliRunner().invoke(main, ["sweep", str(cases), "-j", str(judgements), "--vary", "policies.rounding.value",
                                       "--values", "exact,nearest_whole_percent", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["values"] == ["exact", "nearest_whole_percent"]


@pytest.mark.parametrize("extra, needle", [
    (["--vary", GOOD[0], "--from", "60", "--to", "70", "--step", "5"], "at value 60"),  # overlap: one bound only
    (["--vary", "key_question_bands.rows[kq-nope].min", "--from", "60", "--to", "70", "--step", "5"], "kq-nope"),
    (["--vary", GOOD[0], "--from", "60", "--to", "70"], "--step"),
    (["--vary", GOOD[0], "--values", "60", "--step", "5"], "not both"),
    (["--vary", GOOD[0], "--values", "60", "--chart", "out.pdf"], "--chart"),
    (["--vary", "ratings", "--values", "[A, B]"], "ratings"),
])
def test_cli_errors_exit_2(corpus, extra, needle):
    cases, judgements = corpus
    result = CliRunner().invoke(main, ["sweep", str(cases), "-j", str(judgements), *extra])
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output
