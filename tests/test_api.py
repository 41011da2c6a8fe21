"""The Python API analysts expect: the names, their help, frames with ordered ratings and integer
counts, short reprs, paths as str or Path, and DataFrame errors that name the row label."""
from __future__ import annotations

import inspect
import pydoc
from pathlib import Path

import pandas as pd
import pytest

import ratings_engine
from ratings_engine import api

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "cases" / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = ROOT / "cases" / "redcar-cleveland-middlesbrough-judgements.csv"
CORPUS = ROOT / "cases" / "corpus"

#: The top-level names the issue asks for, written by hand.
API_NAMES = ["rate", "rate_corpus", "validate", "confidence", "sweep", "diff_rulebooks", "report_html", "load_rulebook",
             "run_scenarios", "check_rules", "frameworks", "load_cases", "load_judgements", "load_evidence"]
RESULT_CLASSES = ["RatingReport", "UnitResult", "StandardResult", "KeyQuestionResult", "OverallResult", "Decision"]
SCALE = ["Inadequate", "Requires improvement", "Good", "Outstanding"]


@pytest.mark.parametrize("name", API_NAMES)
def test_every_api_function_is_top_level_and_documented(name):
    function = getattr(ratings_engine, name)
    assert callable(function) and name in ratings_engine.__all__
    text = pydoc.render_doc(function, renderer=pydoc.plaintext)
    assert len(inspect.getdoc(function) or "") > 40, f"{name} has no real docstring"
    assert inspect.getdoc(function).splitlines()[0] in text


@pytest.mark.parametrize("name", RESULT_CLASSES)
def test_result_classes_and_their_methods_are_documented(name):
    cls = getattr(ratings_engine, name)
    assert len(inspect.getdoc(cls) or "") > 40
    for attr, member in vars(cls).items():
        if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)) \
                and attr not in ("to_dict",):
            assert inspect.getdoc(member), f"{name}.{attr} has no docstring"


def test_one_load_rulebook_reads_as_the_rulebook_and_knows_its_file():
    rb = ratings_engine.load_rulebook("probation-pdu-2021")
    assert rb.id == "probation-pdu-2021" and rb.path.name == "probation-pdu-2021.yaml"
    assert [s.id for s in rb.standards][:2] == ["1.1", "1.2"]
    assert not hasattr(ratings_engine, "get_rulebook")
    changed = ratings_engine.load_rulebook(rb, changes=["key_question_bands.rows[kq-good].min=70",
                                                        "key_question_bands.rows[kq-requires-improvement].below=70"])
    assert changed.sha256 != rb.sha256 and str(changed.key_question_bands.rows[1].min) == "70"


def test_what_ifs_and_panel_overrides_have_distinct_names():
    params = inspect.signature(ratings_engine.rate).parameters
    assert "changes" in params and "overrides" in params
    report = ratings_engine.rate(EXAMPLE, judgements=JUDGEMENTS, overrides=["2.4=Requires improvement:panel"])
    assert report.unit("Redcar, Cleveland and Middlesbrough").standard("2.4").override["computed"] == "Inadequate"
    changed = ratings_engine.rate(EXAMPLE, judgements=JUDGEMENTS, changes=["scores.values.Good=3"])
    assert changed.units[0].overall.score == 10  # two Good judgement standards now score 3


def test_frames_have_ordered_ratings_and_integer_counts():
    report = ratings_engine.rate(EXAMPLE, judgements=JUDGEMENTS)
    standards = report.standards_frame()
    assert list(standards["rating"].cat.categories) == ["Not inspected", *SCALE]
    assert standards["rating"].cat.ordered
    ordered = standards.sort_values("rating")["rating"].tolist()
    rank = {r: i for i, r in enumerate(["Not inspected", *SCALE])}
    assert ordered == sorted(ordered, key=rank.__getitem__)  # band order, not alphabetical
    assert (standards["rating"] >= "Good").sum() == 2  # 1.2 and 1.4
    kqs = report.key_questions_frame()
    for column in ("sufficient", "insufficient", "not_applicable", "applicable", "cases_to_go_up"):
        assert str(kqs[column].dtype) == "Int64", column
    assert list(report.overall_frame()["rating"].cat.categories) == SCALE


def test_reports_have_short_reprs_and_a_notebook_view():
    report = ratings_engine.rate(EXAMPLE, judgements=JUDGEMENTS)
    assert len(repr(report)) < 200 and "Requires improvement" in repr(report)
    assert len(repr(report.units[0])) < 200 and len(repr(report.units[0].standards[5])) < 200
    html = report._repr_html_()
    assert "<table>" in html and "Redcar, Cleveland and Middlesbrough" in html


@pytest.mark.parametrize("as_type", [str, Path])
def test_paths_are_str_or_path_everywhere(as_type):
    corpus = ratings_engine.rate_corpus(as_type(CORPUS))
    assert len(corpus.units) == 9
    swept = ratings_engine.sweep(as_type(CORPUS), vary=["key_question_bands.rows[kq-good].min",
                                                        "key_question_bands.rows[kq-requires-improvement].below"],
                                 values=[60, 65])
    assert len(swept.units) == 9  # one corpus folder, not the characters of a string
    assert ratings_engine.rate(as_type(EXAMPLE), judgements=as_type(JUDGEMENTS)).units[0].overall.score == 8


def test_a_corpus_of_something_else_is_a_clear_error():
    with pytest.raises(ratings_engine.InputError, match="a corpus is a path or a list of paths"):
        ratings_engine.rate_corpus([CORPUS, 3])


def test_api_validate_confidence_and_report_html(tmp_path):
    check = ratings_engine.validate(EXAMPLE, ROOT / "cases" / "redcar-cleveland-middlesbrough-draft.csv",
                                    judgements=JUDGEMENTS)
    assert not check.agrees and [u.unit for u in check.units] == ["Redcar, Cleveland and Middlesbrough"]
    sure = ratings_engine.confidence(EXAMPLE, judgements=JUDGEMENTS, resamples=30, seed=1)
    assert sure.units[0].cases == 44
    html = ratings_engine.report_html(check.report, tmp_path / "r.html", validation=check)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html and "<html" in html.lower()


def test_the_api_module_lists_what_it_exports():
    assert set(API_NAMES) <= set(api.__all__)


def test_a_dataframe_read_with_pandas_defaults_gets_the_index_label_and_the_pandas_fix():
    frame = pd.read_csv(EXAMPLE)  # pandas reads the file's 'n/a' answers as NaN by default
    frame.index = [f"case {i}" for i in range(len(frame))]
    first_na = next(label for label, value in frame["2.5.1"].items() if pd.isna(value))
    with pytest.raises(ratings_engine.InputError) as caught:
        ratings_engine.rate(frame, judgements=JUDGEMENTS)
    message = str(caught.value)
    assert f"index label '{first_na}', column '2.5.1': blank answer (NaN)" in message
    assert "keep_default_na=False" in message and "--blank" not in message
    fixed = pd.read_csv(EXAMPLE, keep_default_na=False)
    assert ratings_engine.rate(fixed, judgements=JUDGEMENTS).units[0].overall.score == 8
