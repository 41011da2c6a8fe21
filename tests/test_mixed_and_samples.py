"""Youth justice 2025: the mixed-basis victims' standard (V1.1 from cases, V1.2 by judgement) and the
sample-size rules (children 14-91, victims 9-24), one by one and in bulk, in every output format.

Expected ratings come from a hand-written band table and the rule "lowest of the key questions",
never from the engine.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.engine.bulk import MISSING, NOT_RATED
from ratings_engine.io.rulebooks import load_rulebook, with_changes
from ratings_engine.model.audit import Audit
from ratings_engine.model.evidence import Judgement, Judgements
from ratings_engine.model.rulebook import NOT_INSPECTED
from ratings_engine.rating.bulk import codes_of_results, rate_bulk
from ratings_engine.rating.rate import rate_tallies

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "youth-justice-2025-example.csv"
JUDGEMENTS = ROOT / "cases" / "youth-justice-2025-example-judgements.csv"
YOUTH = load_rulebook("youth-justice-2025")
ORDER = ["Inadequate", "Requires improvement", "Good", "Outstanding"]
CHILD_KQS = ["2.1.1", "2.1.2", "2.1.3", "2.1.4"]


def band(s: int, a: int) -> str:
    return ("Outstanding" if 100 * s >= 80 * a else "Good" if 100 * s >= 65 * a
            else "Requires improvement" if 100 * s >= 50 * a else "Inadequate")


def lowest(*ratings: str) -> str:
    return min(ratings, key=ORDER.index)


def cases(children: list[list[str]], victims: list[str]) -> pd.DataFrame:
    rows = [{"case_id": f"c{i}", **dict(zip(CHILD_KQS, answers)), "V1.1": "N/A"} for i, answers in enumerate(children)]
    rows += [{"case_id": f"v{i}", **{k: "N/A" for k in CHILD_KQS}, "V1.1": a} for i, a in enumerate(victims)]
    return pd.DataFrame(rows, columns=["case_id", *CHILD_KQS, "V1.1"])


def judged(ratings: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"standard": list(ratings), "rating": list(ratings.values())})


DOMAIN_ONE = {"1.1": "Good", "1.2": "Good", "1.3": "Requires improvement", "1.4": "Good"}


# ---------------------------------------------------------------------------------------------
# The mixed standard


def test_the_youth_2025_example_rates_its_mixed_standard():
    report = api.rate(EXAMPLE, "youth-justice-2025", judgements=JUDGEMENTS)
    (u,) = report.units
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    victims = frame["V1.1"].str.lower()
    s, a = int((victims == "yes").sum()), int(victims.isin(["yes", "no"]).sum())
    v1 = u.standard("V1")
    assert v1.basis == "mixed"
    assert [(k.id, k.basis) for k in v1.key_questions] == [("V1.1", "cases"), ("V1.2", "judgement")]
    assert (v1.key_questions[0].sufficient, v1.key_questions[0].applicable) == (s, a)
    assert v1.key_questions[0].rating == band(s, a) and v1.key_questions[1].rating == "Requires improvement"
    assert v1.rating == lowest(band(s, a), "Requires improvement")
    assert v1.deciding_key_question == "V1.2"  # the judgement is the lower
    assert "from cases and by judgement" in v1.decision.because
    child = [band(int((frame[k].str.lower() == "yes").sum()), int(frame[k].str.lower().isin(["yes", "no"]).sum()))
             for k in CHILD_KQS]
    assert u.standard("2.1").rating == lowest(*child)
    scores = [ORDER.index(r) for r in [*DOMAIN_ONE.values(), lowest(*child), v1.rating]]
    assert (u.overall.score, u.overall.max_score) == (sum(scores), 18)
    assert u.overall.rating == ORDER[[0.5, 1.5, 2.5, 9].index(next(c for c in [0.5, 1.5, 2.5, 9] if sum(scores) / 6 <= c))]


@pytest.mark.parametrize("v11,v12,expected,deciding", [
    (["Yes"] * 9 + ["No"], "Good", "Good", "V1.2"),  # 90% Outstanding, judged Good: the lower wins
    (["Yes"] * 5 + ["No"] * 5, "Outstanding", "Requires improvement", "V1.1"),  # 50%: the cases decide
    (["Yes"] * 4 + ["No"] * 6, "Inadequate", "Inadequate", "V1.1"),  # tie at Inadequate: the first (V1.1)
])
def test_the_mixed_standard_takes_the_lower_of_cases_and_judgement(v11, v12, expected, deciding):
    frame = cases([["Yes"] * 4] * 20, v11)
    (u,) = api.rate(frame, "youth-justice-2025", judgements=judged({**DOMAIN_ONE, "V1.2": v12})).units
    assert (u.standard("V1").rating, u.standard("V1").deciding_key_question) == (expected, deciding)


def test_a_missing_judgement_key_question_refuses_the_overall_rating_unless_partial():
    frame = cases([["Yes"] * 4] * 20, ["Yes"] * 10)
    (u,) = api.rate(frame, "youth-justice-2025", judgements=judged(DOMAIN_ONE)).units
    assert u.standard("V1").rating is None and u.overall.status == "incomplete" and u.overall.rating is None
    assert u.overall.missing_judgements == ("V1",)
    (p,) = api.rate(frame, "youth-justice-2025", judgements=judged(DOMAIN_ONE), allow_partial=True).units
    assert p.overall.status == "partial" and p.overall.max_score == 15  # V1 leaves the score


def test_no_victim_evidence_and_no_judgement_is_not_inspected():
    frame = cases([["Yes"] * 4] * 20, []).drop(columns=["V1.1"])
    (u,) = api.rate(frame, "youth-justice-2025", judgements=judged(DOMAIN_ONE)).units
    assert u.standard("V1").rating == NOT_INSPECTED and u.overall.status == "rated" and u.overall.max_score == 15


def test_the_judgement_judged_not_inspected_leaves_the_cases_to_decide():
    frame = cases([["Yes"] * 4] * 20, ["Yes"] * 6 + ["No"] * 4)  # 60%
    (u,) = api.rate(frame, "youth-justice-2025", judgements=judged({**DOMAIN_ONE, "V1.2": "Not inspected"})).units
    assert u.standard("V1").rating == "Requires improvement"
    strict = with_changes(YOUTH, ["policies.no_applicable_cases.value=standard_not_rated"])
    (v,) = api.rate(frame, strict, judgements=judged({**DOMAIN_ONE, "V1.2": "Not inspected"})).units
    assert v.standard("V1").rating == NOT_INSPECTED


def test_a_judgements_row_naming_the_mixed_standard_itself_is_refused():
    with pytest.raises(Exception, match="mixed: judge its key question"):
        api.rate(cases([["Yes"] * 4] * 20, ["Yes"] * 10), "youth-justice-2025", judgements=judged({"V1": "Good"}))


# ---------------------------------------------------------------------------------------------
# Bulk equals one by one, for the mixed standard and the sample rules (hypothesis)

JUDGED = list(YOUTH.judged_ids)  # 1.1-1.4, then V1.2


@st.composite
def variants(draw):
    sets = [f"policies.no_applicable_cases.value={draw(st.sampled_from(['skip_key_question', 'standard_not_rated']))}",
            f"policies.minimum_applicable.value={draw(st.integers(1, 3))}",
            f"policies.sample_sizes.below_minimum.value={draw(st.sampled_from(['label', 'not_rated']))}",
            f"policies.sample_sizes.above_maximum.value={draw(st.sampled_from(['label', 'not_rated']))}",
            f"policies.sample_sizes.samples[children].min={draw(st.integers(0, 8))}",
            f"policies.sample_sizes.samples[children].max={draw(st.integers(8, 14))}",
            f"policies.sample_sizes.samples[victims].min={draw(st.integers(0, 6))}",
            f"policies.sample_sizes.samples[victims].max={draw(st.integers(6, 10))}"]
    if draw(st.booleans()):
        sets.append("framework[2].standards[0].scored=false")
    return with_changes(YOUTH, sets)


@st.composite
def corpora(draw):
    units = [f"u{i}" for i in range(draw(st.integers(1, 4)))]
    rows, items = [], []
    for unit in units:
        if draw(st.integers(0, 4)):
            for kq in CHILD_KQS:
                a = draw(st.integers(0, 14))
                s = draw(st.integers(0, a))
                rows.append((unit, kq, s, a - s, 0, a))
        if draw(st.integers(0, 3)):
            a = draw(st.integers(0, 12))
            s = draw(st.integers(0, a))
            rows.append((unit, "V1.1", s, a - s, 0, a))
        for i, sid in enumerate(JUDGED):
            pick = draw(st.integers(0, 6))
            if pick < 4:
                items.append(Judgement(unit, sid, ORDER[pick], None, "<t>", i + 2))
            elif pick == 4:
                items.append(Judgement(unit, sid, NOT_INSPECTED, None, "<t>", i + 2))
    tallies = pd.DataFrame(rows, columns=["unit", "key_question", "sufficient", "insufficient", "not_applicable",
                                          "applicable"])
    return tallies, Judgements(tuple(items), "<t>", None, Audit("<t>")), units


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rb=variants(), corpus=corpora(), allow_partial=st.booleans())
def test_bulk_equals_one_by_one_for_mixed_standards_and_sample_rules(rb, corpus, allow_partial):
    tallies, given_judgements, units = corpus
    reference = rate_tallies(tallies, rb, given_judgements, allow_partial=allow_partial, units=units)
    expected = codes_of_results(reference, rb)
    report = rate_bulk(tallies, rb, given_judgements, allow_partial=allow_partial, units=units)
    for field in ("key_questions", "standards", "overall", "score", "scored", "partial", "samples"):
        np.testing.assert_array_equal(getattr(report.ratings, field), getattr(expected, field), err_msg=field)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=st.integers(0, 24), extra=st.integers(0, 24), judgement=st.sampled_from(ORDER + [NOT_INSPECTED, None]))
def test_the_mixed_standard_against_an_independent_rule(s, extra, judgement):
    a = s + extra
    tallies = pd.DataFrame([("u", "V1.1", s, a - s, 0, a)], columns=["unit", "key_question", "sufficient",
                                                                    "insufficient", "not_applicable", "applicable"])
    items = () if judgement is None else (Judgement("u", "V1.2", judgement, None, "<t>", 2),)
    (u,) = rate_tallies(tallies, YOUTH.rulebook, Judgements(items, "<t>", None, Audit("<t>")), units=["u"])
    rated = [r for r in ([band(s, a)] if a else []) + ([judgement] if judgement in ORDER else [])]
    if judgement is None:
        expected = None  # the judgement is missing
    elif not rated:
        expected = NOT_INSPECTED
    else:
        expected = lowest(*rated)
    assert u.standard("V1").rating == expected
    sample = [c for c in u.samples if c.id == "victims"]
    assert [c.status for c in sample] == ["below minimum" if a < 9 else "above maximum" if a > 24 else "within"]


# ---------------------------------------------------------------------------------------------
# Sample sizes: reported and labelled in every output, never silently rated

SMALL = cases([["Yes", "Yes", "No", "Yes"]] * 20, ["Yes"] * 5 + ["No"] * 2)  # victims: 7 cases, minimum 9


@pytest.fixture
def small_files(tmp_path):
    path = tmp_path / "small.csv"
    SMALL.to_csv(path, index=False)
    jpath = tmp_path / "small-judgements.csv"
    judged({**DOMAIN_ONE, "V1.2": "Good"}).to_csv(jpath, index=False)
    return path, jpath


def test_a_sample_below_its_minimum_is_rated_labelled_and_warned_about():
    report = api.rate(SMALL, "youth-justice-2025", judgements=judged({**DOMAIN_ONE, "V1.2": "Good"}))
    (u,) = report.units
    v1 = u.standard("V1")
    assert v1.rating == lowest(band(5, 7), "Good")  # still rated (policy: label) ...
    assert v1.sample is not None and (v1.sample.cases, v1.sample.min, v1.sample.status) == (7, 9, "below minimum")
    assert "SAMPLE BELOW MINIMUM" in v1.decision.because  # ... and labelled
    assert [c.id for c in u.samples_outside] == ["victims"] and u.standard("2.1").sample is None
    assert any("SAMPLE BELOW MINIMUM: Victims' cases 7 cases, minimum 9" in w for w in report.warnings)


def test_the_not_rated_policy_leaves_the_sample_s_standards_unrated():
    rb = with_changes(YOUTH, ["policies.sample_sizes.below_minimum.value=not_rated"])
    (u,) = api.rate(SMALL, rb, judgements=judged({**DOMAIN_ONE, "V1.2": "Good"})).units
    assert u.standard("V1").rating == NOT_INSPECTED and u.standard("V1").decision.table == "sample_size"
    assert u.overall.max_score == 15 and "fewer than the minimum 9" in u.standard("V1").decision.because


def test_a_sample_above_its_maximum_is_labelled():
    big = cases([["Yes"] * 4] * 92, ["Yes"] * 10)
    (u,) = api.rate(big, "youth-justice-2025", judgements=judged({**DOMAIN_ONE, "V1.2": "Good"})).units
    assert u.standard("2.1").sample.status == "above maximum" and u.standard("2.1").rating == "Outstanding"


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "csv", "xlsx", "html"])
def test_sample_size_violations_are_reported_in_every_output_format(small_files, tmp_path, fmt):
    path, jpath = small_files
    ext = {"table": "txt", "markdown": "md"}.get(fmt, fmt)
    out = tmp_path / f"out.{ext}"
    result = CliRunner().invoke(main, ["unit", str(path), "--rules", "youth-justice-2025", "-j", str(jpath),
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(out.read_bytes()))["Ratings"]
        text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    else:
        text = out.read_text(encoding="utf-8-sig")
    if fmt == "json":
        unit = json.loads(text)["units"][0]
        assert [c["status"] for c in unit["samples"] if c["id"] == "victims"] == ["below minimum"]
        assert next(s for s in unit["standards"] if s["id"] == "V1")["sample"]["cases"] == 7
    else:
        assert "SAMPLE BELOW MINIMUM" in text, text[:500]
    assert "SAMPLE BELOW MINIMUM" in result.stderr  # the warning, for outputs written to files


def test_regional_output_labels_samples_too(tmp_path):
    """The regional rulebook's samples are described, not checked, until given limits."""
    from ratings_engine.io.rulebooks import with_changes as changed

    report = api.rate_region(ROOT / "cases" / "probation-region-2023-example.csv",
                             changed(load_rulebook("probation-region-2023"),
                                     ["policies.sample_sizes.samples[victims].min=20"]))
    (region,) = report.regions.units
    assert region.standard("R2.6").sample.status == "below minimum"
    assert all(u.samples == () for u in report.members.units)  # PDU samples: no limits published
