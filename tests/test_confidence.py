"""Intervals on known cases, bootstrap reproducibility, and `rate confidence`."""
from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ratings_engine.cli import main
from ratings_engine.engine.bulk import CaseMatrix
from ratings_engine.io.progress import Progress
from ratings_engine.render.confidence import to_text as render_text
from ratings_engine.toolkit.confidence import (
    confidence,
    exact_interval,
    resample_counts,
    wilson_interval,
)

# ---------------------------------------------------------------------------------------------
# Intervals


@pytest.mark.parametrize("s, n, lower, upper", [
    (0, 10, 0.0, 0.2775),  # Wilson 0/10: upper (z^2/n) / (1 + z^2/n) = 0.2775
    (10, 10, 0.7225, 1.0),
    (1, 2, 0.0945, 0.9055),
    (5, 10, 0.2366, 0.7634),
    (0, 1, 0.0, 0.7935),
])
def test_wilson_known_values(s, n, lower, upper):
    lo, hi = wilson_interval(s, n, 0.95)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


@pytest.mark.parametrize("n", [1, 2, 10, 44, 100])
def test_exact_known_values_at_the_ends(n):
    # Clopper-Pearson: 0/n has upper 1 - (alpha/2)^(1/n); n/n has lower (alpha/2)^(1/n).
    lo, hi = exact_interval(0, n, 0.95)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / n), abs=1e-9)
    lo, hi = exact_interval(n, n, 0.95)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / n), abs=1e-9)


def test_exact_one_of_two():
    lo, hi = exact_interval(1, 2, 0.95)  # 1 - (1-p)^2 = 0.025 and p^2 = 0.975 ... symmetric
    assert lo == pytest.approx(1 - math.sqrt(0.975), abs=1e-9)
    assert hi == pytest.approx(math.sqrt(0.975), abs=1e-9)


def test_no_applicable_cases_has_no_interval():
    assert wilson_interval(0, 0) is None and exact_interval(0, 0) is None
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), data=st.data(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_intervals_contain_the_estimate_and_widen_with_level(n, data, level):
    s = data.draw(st.integers(0, n))
    p = s / n
    for f in (wilson_interval, exact_interval):
        lo, hi = f(s, n, level)
        assert 0 <= lo <= p <= hi <= 1
        lo99, hi99 = f(s, n, 0.995)
        assert lo99 <= lo + 1e-12 and hi <= hi99 + 1e-12


def test_exact_matches_scipy_beta_quantiles():
    from scipy import stats  # a test dependency (pyproject [test] extra): never skipped
    for s, n in [(1, 7), (13, 44), (30, 44), (99, 100), (250, 600)]:
        lo, hi = exact_interval(s, n, 0.95)
        assert lo == pytest.approx(stats.beta.ppf(0.025, s, n - s + 1), abs=1e-9)
        assert hi == pytest.approx(stats.beta.ppf(0.975, s + 1, n - s), abs=1e-9)


# ---------------------------------------------------------------------------------------------
# Bootstrap


def test_resamples_keep_a_case_together():
    rng = np.random.default_rng(0)
    column = rng.choice(np.array([1, 0, -1], dtype=np.int8), size=(30, 1))
    answers = np.repeat(column, 15, axis=1)  # every key question of a case answered alike
    suff, appl = resample_counts(CaseMatrix("u", answers, np.ones(15, bool)), 200, seed=3)
    assert (suff == suff[:, :1]).all() and (appl == appl[:, :1]).all()
    assert len({tuple(r) for r in suff}) > 1  # resamples differ from one another
    assert (appl <= 30).all() and (suff <= appl).all()


def test_same_seed_same_output_and_seeds_matter(example_cases, example_judgements):
    a = confidence(example_cases, judgements=example_judgements, resamples=300, seed=11).to_dict()
    b = confidence(example_cases, judgements=example_judgements, resamples=300, seed=11).to_dict()
    assert a == b
    others = [confidence(example_cases, judgements=example_judgements, resamples=300, seed=s).to_dict()
              for s in (12, 13)]
    assert any(o["units"] != a["units"] for o in others)


def test_probabilities_and_fixed_judgements(example_cases, example_judgements):
    report = confidence(example_cases, judgements=example_judgements, resamples=400, seed=5, fragile=0.8)
    data = report.to_dict()
    unit = data["units"][0]
    for part in unit["standards"] + [unit["overall"]] + unit["key_questions"]:
        assert sum(part["probabilities"].values()) == pytest.approx(1.0)
        assert part["fragile"] == (part["most_likely_probability"] < 0.8)
    standards = {s["id"]: s for s in unit["standards"]}
    assert standards["1.1"]["fixed"] and standards["1.1"]["probabilities"]["Requires improvement"] == 1.0
    assert standards["2.1"]["most_likely"] == "Not inspected" and not standards["2.1"]["fragile"]
    assert unit["overall"]["rating"] == "Requires improvement"
    # Planning rests on 2.3.2 (28/44 = 63.6%, just under 65): not secure.
    assert standards["2.3"]["fragile"]
    assert "fixed across resamples" in " ".join(data["notes"])
    kq = {k["id"]: k for k in unit["key_questions"]}
    assert kq["2.2.1"]["interval"]["lower"] == pytest.approx(100 * wilson_interval(30, 44)[0], abs=1e-4)


def test_a_units_result_does_not_depend_on_the_other_units(tmp_path, example_cases):
    text = example_cases.read_text(encoding="utf-8").splitlines()
    other = [line.replace("Redcar, Cleveland and Middlesbrough", "Other").replace("RCM-", "OTH-")
             for line in text[1:]]
    both = tmp_path / "both.csv"
    both.write_text("\n".join([text[0], *other, *text[1:]]) + "\n", encoding="utf-8")
    alone = confidence(example_cases, resamples=150, seed=9, allow_partial=True).to_dict()["units"][0]
    mixed = confidence(both, resamples=150, seed=9, allow_partial=True).to_dict()["units"]
    assert [u["unit"] for u in mixed] == ["Other", "Redcar, Cleveland and Middlesbrough"]
    assert mixed[1] == alone


def test_missing_judgements_refuse_the_overall(example_cases):
    report = confidence(example_cases, resamples=50, seed=1)
    assert report.to_dict()["units"][0]["overall"]["most_likely"] == "no rating (judgements missing)"
    assert any("judgement standard(s) 1.1, 1.2, 1.3, 1.4 missing" in w for w in report.warnings)
    assert "Requires improvement" in render_text(confidence(example_cases, resamples=50, seed=1, allow_partial=True))


# ---------------------------------------------------------------------------------------------
# Command line


def test_cli_formats(example_cases, example_judgements):
    runner = CliRunner()
    base = ["confidence", str(example_cases), "-j", str(example_judgements), "--resamples", "200", "--seed", "4"]
    table = runner.invoke(main, base)
    assert table.exit_code == 0, table.output
    assert "FRAGILE" in table.output and "95% interval" in table.output and "fixed (judgement)" in table.output
    md = runner.invoke(main, base + ["--format", "markdown", "--interval", "exact", "--level", "0.9"])
    assert md.exit_code == 0 and md.output.startswith("## ") and "90% exact intervals" in md.output
    js = runner.invoke(main, base + ["--format", "json"])
    assert js.exit_code == 0
    data = json.loads(js.output)
    assert data["seed"] == 4 and data["resamples"] == 200 and data["method"] == "wilson"
    assert runner.invoke(main, base + ["--format", "json"]).output == js.output


@pytest.mark.parametrize("args, needle", [
    (["--level", "1.5"], "--level"),
    (["--resamples", "0"], "--resamples"),
    (["--fragile", "0"], "--fragile"),
    (["--seed", "-1"], "--seed"),
    (["--interval", "bayes"], "--interval"),
])
def test_cli_bad_options_exit_2(example_cases, args, needle):
    result = CliRunner().invoke(main, ["confidence", str(example_cases), *args])
    assert result.exit_code == 2 and needle in result.output
    assert "Traceback" not in result.output


def test_cli_bad_input_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("case_id,2.2.1,2.2.2,2.2.3\nA,yes,maybe,no\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["confidence", str(bad)])
    assert result.exit_code == 2
    assert "row 2" in result.output and "2.2.2" in result.output and "maybe" in result.output
    missing = CliRunner().invoke(main, ["confidence", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "not found" in missing.output


# ---------------------------------------------------------------------------------------------
# Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_quiet_off_a_terminal_or_when_asked():
    for stream, quiet in ((io.StringIO(), False), (_Tty(), True)):
        with Progress(10, "Working", quiet=quiet, delay=0, stream=stream) as bar:
            for _ in range(10):
                bar.update()
        assert stream.getvalue() == "" and not bar.shown


def test_progress_shows_on_a_terminal_after_the_delay():
    stream = _Tty()
    with Progress(10, "Working", delay=0, stream=stream) as bar:
        for _ in range(10):
            bar.update()
        assert bar.shown
    assert "Working" in stream.getvalue()
    late = _Tty()
    with Progress(10, "Working", delay=3600, stream=late) as bar:
        bar.update(10)
    assert late.getvalue() == ""  # a short run shows nothing


def test_progress_delay_counts_from_the_start_of_the_run():
    import time

    stream = _Tty()
    with Progress(4, "Working", delay=2, stream=stream, started=time.monotonic() - 10) as bar:
        bar.update()
        assert bar.shown  # the run was already long before the block began


def test_set_changes_the_rulebook_first(example_cases, example_judgements):
    result = CliRunner().invoke(main, ["confidence", str(example_cases), "-j", str(example_judgements), "-n", "50",
                                       "--set", "policies.minimum_applicable.value=100", "-f", "json", "--allow-partial"])
    assert result.exit_code == 0, result.output
    unit = json.loads(result.stdout)["units"][0]
    cases = [s for s in unit["standards"] if s["basis"] == "cases"]
    assert all(s["rating"] == "Not inspected" and s["probabilities"]["Not inspected"] == 1.0 for s in cases)
    # the four judgements only, labelled partial: no standard was rated from the cases (issue 17)
    assert unit["overall"]["score"] == 6 and unit["overall"]["max_score"] == 12
    assert unit["overall"]["status"] == "partial"
