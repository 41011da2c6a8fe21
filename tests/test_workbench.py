"""The workbench's computations: the page's matrix is `rate diff`'s, the saved rulebook is the
candidate, the form is read safely, and changes are attributed (toolkit.workbench, no server)."""
import copy
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff import CORPUS, oracle

from ratings_engine.api import diff_rulebooks, load_rulebook, workbench
from ratings_engine.cli import main
from ratings_engine.io.candidates import candidate_yaml, plain
from ratings_engine.io.rulebooks import load_rulebook_file, rulebook_from_mapping
from ratings_engine.model.errors import InputError
from ratings_engine.toolkit.workbench import form_from_yaml

COUNT_ROW = {"id": "count-two-inadequate", "then": "Inadequate", "counts": "[{ratings: [Inadequate], min: 2}]"}


@pytest.fixture(scope="module")
def bench():
    return workbench(CORPUS, "probation-pdu-2021")


def edited(bench, good=None, count_row=False, limit_on=False):
    form = copy.deepcopy(bench.form())
    if good is not None:
        form["key_question_bands"][1]["min"] = str(good)
        form["key_question_bands"][2]["below"] = str(good)
    if count_row:
        form["overall_bands"].insert(0, dict(COUNT_ROW))
    if limit_on:
        form["limits"][0]["enabled"] = True
    return form


def test_the_form_of_the_base_changes_nothing(bench):
    ev = bench.evaluate(bench.form())
    assert ev.changes == () and ev.moved_total == 0
    assert all(a == b for (a, b), n in ev.matrix.counts.items() if n)


@pytest.mark.parametrize("edit", [dict(good=70), dict(count_row=True), dict(limit_on=True),
                                  dict(good=70, count_row=True, limit_on=True)])
@pytest.mark.parametrize("level", ["overall", "standard", "key_question"])
def test_the_page_matrix_is_rate_diffs_matrix(bench, tmp_path, edit, level):
    form = edited(bench, **edit)
    ev = bench.evaluate(form, level)
    saved = tmp_path / "candidate.yaml"
    saved.write_text(bench.rulebook_yaml(form), encoding="utf-8")
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", saved)  # the full, explained path
    assert ev.matrix.to_dict() == report.matrix(level).to_dict()


def test_raising_good_to_70_moves_the_units_the_oracle_moves(bench):
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    ev = bench.evaluate(edited(bench, good=70))
    assert {(m.unit, m.base, m.candidate) for m in ev.moved} == {(u, old[u], new[u]) for u in old if old[u] != new[u]}
    assert all(m.moved_by == (ev.changes[0].label,) for m in ev.moved)
    assert ev.changes[0].label == "key-question bands: kq-good min 65 -> 70; kq-requires-improvement below 65 -> 70"


def test_each_form_change_is_attributed_like_a_separate_diff(bench):
    form = edited(bench, good=70, count_row=True, limit_on=True)
    ev = bench.evaluate(form)
    assert [c.label.split(":")[0] for c in ev.changes] == ["key-question bands", "overall bands",
                                                          "limit no-outstanding-with-inadequate"]
    singles = [edited(bench, good=70), edited(bench, count_row=True), edited(bench, limit_on=True)]
    for change, single in zip(ev.changes, singles):
        alone = {m.unit for m in bench.evaluate(single).moved}
        assert {m.unit for m in ev.moved if change.label in m.moved_by} == alone & {m.unit for m in ev.moved}


def test_the_saved_rulebook_is_the_candidate_and_passes_check_rules(bench, tmp_path):
    form = edited(bench, good=70, count_row=True, limit_on=True)
    text = bench.rulebook_yaml(form, "pdu-what-if", "What if")
    saved = tmp_path / "pdu-what-if.yaml"
    saved.write_text(text, encoding="utf-8")
    assert text.splitlines()[0].startswith("# Candidate rulebook made in the workbench")
    assert "extends: probation-pdu-2021" in text and "$replace: true" in text  # the new row stays first
    loaded = load_rulebook_file(saved).rulebook
    candidate, _, _ = bench.candidate(form)
    expected = {**plain(candidate), "id": "pdu-what-if", "title": "What if"}
    assert plain(loaded) == expected
    assert loaded.overall.bands.rows[0].id == "count-two-inadequate"
    assert CliRunner().invoke(main, ["check-rules", str(saved)]).exit_code == 0


def test_an_uploaded_rulebook_becomes_the_form(bench, tmp_path):
    form = edited(bench, good=70, count_row=True)
    text = bench.rulebook_yaml(form).encode()
    assert form_from_yaml(bench, text) == json.loads(json.dumps({**form, "overall_bands": [
        {**r, **{k: "" for k in ("scored", "score_min", "score_max", "mean_min", "mean_above", "mean_max", "mean_below")
                 if k not in r}} for r in form["overall_bands"]]}))


@pytest.mark.parametrize("yaml_text,message", [
    ("extends: /etc/passwd\nid: x\n", "may extend only that"),
    ("extends: probation-pdu-2021\nid: x\nscores: {values: {Inadequate: 0, Requires improvement: 1, Good: 2, "
     "Outstanding: 4}}\n", "also changes scores"),
    ("extends: probation-pdu-2021\nid: !!python/object:os.system x\n", "YAML tag"),
    ("extends: youth-justice-2018\nid: x\n", "may extend only that"),
])
def test_an_upload_that_would_read_other_files_or_drop_changes_is_refused(bench, yaml_text, message):
    with pytest.raises(InputError) as err:
        form_from_yaml(bench, yaml_text.encode())
    assert message in err.value.render()


@pytest.mark.parametrize("change,message", [
    (lambda f: f["overall_bands"][0].update(mean_max="abc"), "overall bands row overall-inadequate, mean_max: 'abc' is not a number"),
    (lambda f: f["overall_bands"][0].update(score_min="1.5"), "is not a whole number"),
    (lambda f: f["overall_bands"][0].update(counts="[{ratings: [Inadequate], min: 1}]\nother: 1"), "on one line"),
    (lambda f: f["overall_bands"][0].update(counts="!!python/object/apply:os.system ['true']"), "YAML tag"),
    (lambda f: f["overall_bands"][0].update(counts="[{ratings: [Great], min: 1}]"), "'Great' is not one of the ratings"),
    (lambda f: f["key_question_bands"][1].update(min="70"), "also set key_question_bands.rows[kq-requires-improvement].below=70"),
    (lambda f: f["key_question_bands"][0].update(id=""), "give the row an id"),
    (lambda f: f["limits"][0].update(description="x" * 3000), "the limit is 2,000"),
])
def test_form_errors_are_readable(bench, change, message):
    form = copy.deepcopy(bench.form())
    change(form)
    with pytest.raises(InputError) as err:
        bench.evaluate(form)
    assert message in err.value.render()


def test_recorded_ratings_are_the_reference(tmp_path):
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    recorded = dict(old)
    unit = next(u for u in old if old[u] == new[u] and old[u] != "Outstanding")
    recorded[unit] = "Outstanding"
    path = tmp_path / "recorded.csv"
    path.write_text("unit,standard,rating\n" + "".join(f"{u},overall,{r}\n" for u, r in recorded.items()), encoding="utf-8")
    bench = workbench(CORPUS, "probation-pdu-2021", recorded=path)
    ev = bench.evaluate(edited(bench, good=70))
    assert {(m.unit, m.base, m.candidate) for m in ev.moved} == {(u, recorded[u], new[u]) for u in old
                                                               if recorded[u] != new[u]}
    pinned = next(m for m in ev.moved if m.unit == unit)
    assert pinned.moved_by == ("differs from the recorded rating under the base rules already",)


# ---- io.candidates: the overlay merges back to the candidate, whatever was edited ----

BASE = load_rulebook("experimental-count-caps").rulebook


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_overlay_merges_back_to_the_candidate(tmp_path_factory, data):
    d = plain(BASE)
    rows = d["overall"]["bands"]["rows"]
    order = data.draw(st.permutations(range(len(rows))), label="order")
    rows = [rows[i] for i in order]
    if data.draw(st.booleans(), label="drop a row") and len(rows) > 2:
        rows.pop(data.draw(st.integers(0, len(rows) - 2)))
    if data.draw(st.booleans(), label="add a row"):
        rows.insert(data.draw(st.integers(0, len(rows))), {"id": "new-row", "score_max": 3, "then": "Inadequate"})
    rows[-1] = {k: v for k, v in rows[-1].items() if k not in ("mean_max", "mean_min", "score_max", "counts")}
    d["overall"]["bands"]["rows"] = rows
    kq = d["key_question_bands"]["rows"]
    cut = data.draw(st.integers(55, 79), label="good from")
    kq[1]["min"], kq[2]["below"] = cut, cut
    if data.draw(st.booleans(), label="note removed"):
        rows[0].pop("note", None)
    d["overall"]["limits"]["rows"][0]["enabled"] = data.draw(st.booleans(), label="limit on")
    candidate = rulebook_from_mapping(d)
    path = tmp_path_factory.mktemp("overlay") / "c.yaml"
    path.write_text(candidate_yaml(BASE, "experimental-count-caps", candidate), encoding="utf-8")
    assert load_rulebook_file(path).rulebook.sha256 == candidate.sha256
