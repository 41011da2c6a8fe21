"""Every inspection framework as a rulebook: loading (with `extends`), examples, scenarios, published facts."""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.io.judgements import judgements_from_frame
from ratings_engine.io.rulebooks import load_rulebook, load_rulebook_file, rules_dir
from ratings_engine.model.errors import RulebookError
from ratings_engine.model.rulebook import NOT_INSPECTED, Rulebook
from ratings_engine.toolkit.frameworks import installed_rulebooks, list_frameworks
from ratings_engine.toolkit.scenarios import load_scenario_file, run_scenario_paths

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
#: A copy of shared/data/youth_overall_ratings.csv (licence and source: tests/fixtures/published/README.md).
PUBLISHED_YOUTH = ROOT / "tests" / "fixtures" / "published" / "youth_overall_ratings.csv"
SHARED_YOUTH = ROOT.parent / "shared" / "data" / "youth_overall_ratings.csv"

FRAMEWORKS = ["probation-pdu-2021", "probation-pdu-2023", "probation-crc-nps-2018", "youth-justice-2018",
              "youth-justice-2021", "probation-region-2023", "youth-justice-2025"]
# (rulebook, case file, judgement file, scored standards a unit of that framework has, maximum score)
EXAMPLES = [
    ("probation-pdu-2021", "redcar-cleveland-middlesbrough", 8, 24),  # court work not inspected
    ("probation-pdu-2023", "probation-pdu-2023-example", 7, 21),
    ("probation-crc-nps-2018", "probation-crc-nps-2018-example-nps", 10, 30),
    ("probation-crc-nps-2018", "probation-crc-nps-2018-example-crc", 10, 30),
    ("youth-justice-2018", "youth-justice-2018-example", 12, 36),
    ("youth-justice-2021", "youth-justice-2021-example", 12, 36),
    ("youth-justice-2025", "youth-justice-2025-example", 6, 18),
]


def _rate_json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------
# Shipped rulebooks and their examples


@pytest.mark.parametrize("path", installed_rulebooks(), ids=lambda p: p.stem)
def test_every_shipped_rulebook_loads_with_its_file_name_as_id(path):
    rb = load_rulebook_file(path).rulebook
    assert rb.id == path.stem
    assert all(s.provenance is not None for s in rb.standards), "every standard carries its provenance"


@pytest.mark.parametrize("rulebook, name, scored, max_score", EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_each_framework_rates_its_example_unit_through_the_cli(rulebook, name, scored, max_score):
    data = _rate_json("unit", str(CASES / f"{name}.csv"), "-j", str(CASES / f"{name}-judgements.csv"),
                      "--rules", rulebook)
    assert data["rulebook"]["id"] == rulebook
    (unit,) = data["units"]
    overall = unit["overall"]
    assert overall["status"] == "rated"
    assert (overall["scored_standards"], overall["max_score"]) == (scored, max_score)
    assert overall["rating"] in ("Inadequate", "Requires improvement", "Good", "Outstanding")
    assert overall["score"] == sum(s["score"] for s in unit["standards"] if s["score"] is not None)


def test_rate_pdu_keeps_its_default_rulebook_and_unit_requires_rules():
    cases, judgements = CASES / "redcar-cleveland-middlesbrough.csv", CASES / "redcar-cleveland-middlesbrough-judgements.csv"
    assert _rate_json("pdu", str(cases), "-j", str(judgements))["rulebook"]["id"] == "probation-pdu-2021"
    result = CliRunner().invoke(main, ["unit", str(cases), "-j", str(judgements)])
    assert result.exit_code == 2
    assert "--rules is required" in result.output and "--inspection-date DATE" in result.output


@pytest.mark.parametrize("rulebook", FRAMEWORKS)
def test_shipped_scenarios_pass(rulebook):
    report = run_scenario_paths(None, api.load_rulebook(rulebook))
    assert report.results, "the rulebook ships scenarios"
    assert report.ok, [(r.name, [m.to_dict() for m in r.mismatches]) for r in report.results if not r.passed]


# ---------------------------------------------------------------------------------------------
# Facts of each framework


def _published_youth_rows() -> list[dict]:
    with PUBLISHED_YOUTH.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["quality"] == "ok"]
    assert len(rows) == 79 and {r["max_score"] for r in rows} == {"36"}
    return rows


def test_the_published_youth_ratings_fixture_is_the_shared_data():
    """The fixture is a copy (so a clone runs the published-ratings test); it must not drift from shared/."""
    published = PUBLISHED_YOUTH.read_bytes()
    assert hashlib.sha256(published).hexdigest() == "fceab1cb0dacd4e6b085c8495a95bc210f6b02de575ebbcecfadcc6ed9fec395"
    if SHARED_YOUTH.is_file():
        assert SHARED_YOUTH.read_bytes() == published, "refresh tests/fixtures/published (see its README.md)"
    licence = (PUBLISHED_YOUTH.parent / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "data-to-insight" in licence


@pytest.mark.parametrize("rulebook", ["youth-justice-2018", "youth-justice-2021"])
def test_youth_scores_0_to_36_map_to_the_published_ratings(rulebook):
    """Checked against published ratings: shared/data/youth_overall_ratings.csv (rows marked ok).

    The shipped scenarios rate one unit per score 0-36 through the rulebook (12 scored standards);
    every published inspection's rating must be the rating its score gets there.
    """
    published = _published_youth_rows()
    scenario_file = rules_dir() / "scenarios" / f"{rulebook}.yaml"
    report = run_scenario_paths([scenario_file], api.load_rulebook(rulebook))
    assert report.ok
    rated = {r.actual["score"]: r.actual for r in report.results
             if r.name.startswith("Score ") and r.actual["max_score"] == 36}
    assert sorted(rated) == list(range(37)), "one scenario per score 0-36"
    for row in published:
        actual = rated[int(row["score"])]
        assert actual["overall"] == row["overall_rating"], f"{row['service_ref']} ({row['published']}): {row['score']}/36"
    # Each band of the table is seen in the published data, so every row of it is tested.
    assert {r["overall_rating"] for r in published} == {"Inadequate", "Requires improvement", "Good", "Outstanding"}


def test_youth_2021_rates_resettlement_but_leaves_it_out_of_score_and_maximum():
    rb = load_rulebook("youth-justice-2021")
    assert (len(rb.standards), sum(s.scored for s in rb.standards)) == (13, 12)
    assert not rb.standards_by_id["4.1"].scored
    name = "youth-justice-2021-example"
    base = pd.read_csv(CASES / f"{name}-judgements.csv", dtype=str)
    outcomes = {}
    for resettlement in ("Outstanding", "Inadequate", NOT_INSPECTED):
        frame = base.copy()
        frame.loc[frame["standard"] == "4.1", "rating"] = resettlement
        report = api.rate(CASES / f"{name}.csv", rb, judgements=judgements_from_frame(frame, rb))
        (unit,) = report.units
        assert unit.standard("4.1").rating == resettlement and unit.standard("4.1").score is None
        outcomes[resettlement] = (unit.overall.rating, unit.overall.score, unit.overall.max_score, unit.overall.scored)
    assert len(set(outcomes.values())) == 1, outcomes
    assert outcomes["Outstanding"][2:] == (36, 12)


def test_youth_court_and_out_of_court_disposals_share_wording_but_not_ids():
    rb = load_rulebook("youth-justice-2018")
    for court, out_of_court in (("2.1", "3.1"), ("2.2", "3.2"), ("2.3", "3.3")):
        a, b = rb.standards_by_id[court], rb.standards_by_id[out_of_court]
        assert [k.text for k in a.key_questions] == [k.text for k in b.key_questions]
        assert not {k.id for k in a.key_questions} & {k.id for k in b.key_questions}
    assert rb.standards_by_id["3.4"].rated_by == "judgement"


def test_crc_nps_units_each_get_ten_scored_standards():
    rb = load_rulebook("probation-crc-nps-2018")
    units = {}
    for kind in ("nps", "crc"):
        name = f"probation-crc-nps-2018-example-{kind}"
        (unit,) = api.rate(CASES / f"{name}.csv", rb, judgements=CASES / f"{name}-judgements.csv").units
        units[kind] = {s.id for s in unit.standards if s.rating == NOT_INSPECTED}
        assert (unit.overall.scored, unit.overall.max_score) == (10, 30)
    assert units == {"nps": {"4.1", "4.2"}, "crc": {"3.1", "3.2"}}


def test_pdu_2023_is_the_2021_framework_with_seven_scored_standards():
    old, new = load_rulebook("probation-pdu-2021"), load_rulebook("probation-pdu-2023")
    assert [s.id for s in new.standards] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4"]
    assert [s.rated_by for s in new.standards].count("judgement") == 3
    assert new.key_question_bands == old.key_question_bands
    assert new.policies.model_copy(update={"sample_sizes": None}) == old.policies.model_copy(update={"sample_sizes": None})
    assert [(s.id, s.standards) for s in new.policies.sample_sizes.samples] == [("cases", ("2.1", "2.2", "2.3", "2.4"))]
    assert new.overall.limits == old.overall.limits
    assert new.sha256 != old.sha256


def test_rate_frameworks_lists_every_installed_rulebook():
    result = CliRunner().invoke(main, ["frameworks", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {f["id"]: f for f in json.loads(result.stdout)}
    assert set(listed) == {p.stem for p in installed_rulebooks()}
    assert (listed["youth-justice-2021"]["standards"], listed["youth-justice-2021"]["scored"]) == (13, 12)
    assert listed["youth-justice-2021"]["extends"] == "youth-justice-2018"
    assert listed["probation-pdu-2023"]["scored"] == 7 and listed["probation-crc-nps-2018"]["band_rows_for"] == [10]
    for f in listed.values():
        assert sum(f["provenance"][g] for g in ("confirmed", "recalled", "uncertain")) > 0
    table = CliRunner().invoke(main, ["frameworks"])
    assert table.exit_code == 0 and all(fid in table.stdout for fid in FRAMEWORKS)
    assert "2021-06-01 to 2025-03-31" in table.stdout


# ---------------------------------------------------------------------------------------------
# extends


def _yaml_text(data: dict) -> str:
    import io

    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


@pytest.fixture
def parent_file(tmp_path) -> Path:
    """A copy of the PDU 2021 rulebook, as a parent in a temporary folder."""
    path = tmp_path / "parent.yaml"
    path.write_text((rules_dir() / "probation-pdu-2021.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _child(tmp_path: Path, body: str, name: str = "child.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_extends_merges_by_key_and_by_id_and_hashes_the_resolved_content(parent_file, tmp_path):
    child = _child(tmp_path, """\
extends: parent.yaml
id: child-rules
framework:
  - domain: "1"
    standards:
      - {id: "1.2", name: Staffing}
      - {id: "1.4", $remove: true}
  - domain: "3"
    name: Extra
    standards:
      - {id: "3.1", name: Added, rated_by: judgement, provenance: {grade: uncertain, source: test}}
key_question_bands:
  rows:
    - {id: kq-good, min: 70}
    - {id: kq-requires-improvement, below: 70}
overall:
  limits:
    $replace: true
    provenance: {grade: uncertain, source: test}
""")
    rb = load_rulebook(child)
    parent = load_rulebook(parent_file)
    assert rb.id == "child-rules" and rb.version == parent.version
    assert [s.id for s in rb.standards] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1"]
    assert rb.standards_by_id["1.2"].name == "Staffing"
    assert rb.standards_by_id["1.2"].provenance == parent.standards_by_id["1.2"].provenance  # merged, not replaced
    rows = {r.id: r for r in rb.key_question_bands.rows}
    assert (rows["kq-good"].min, rows["kq-good"].below) == (70, 80)
    assert rb.overall.limits.rows == ()
    # The hash is that of the resolved content: the same rulebook written out flat hashes the same.
    flat = _child(tmp_path, _yaml_text(rb.model_dump(mode="json", by_alias=True, exclude_none=True)), "flat.yaml")
    assert load_rulebook(flat).sha256 == rb.sha256 != parent.sha256


def test_a_rulebook_without_extends_hashes_exactly_its_own_content():
    path = rules_dir() / "probation-pdu-2021.yaml"
    plain = Rulebook.model_validate(YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")))
    assert load_rulebook(path).sha256 == plain.sha256


def _error(path: Path) -> RulebookError:
    with pytest.raises(RulebookError) as info:
        load_rulebook(path)
    return info.value


def test_extends_cycle_is_an_error_naming_the_file_and_line(tmp_path):
    _child(tmp_path, "extends: b.yaml\nid: a\n", "a.yaml")
    _child(tmp_path, "# b\nextends: a.yaml\nid: b\n", "b.yaml")
    (problem,) = _error(tmp_path / "a.yaml").problems
    assert "cycle: a.yaml -> b.yaml -> a.yaml" in problem.message
    assert (Path(problem.location.file).name, problem.location.line) == ("b.yaml", 2)
    self_loop = _child(tmp_path, "extends: self.yaml\n", "self.yaml")
    assert "cycle" in str(_error(self_loop))


def test_extends_missing_parent_is_an_error_naming_the_child(tmp_path):
    for ref in ("no-such-rulebook", "missing.yaml"):
        child = _child(tmp_path, f"id: x\nextends: {ref}\n")
        (problem,) = _error(child).problems
        assert ref in problem.message
        assert (problem.location.file, problem.location.line, problem.location.key_path) == (str(child), 2, "extends")


def test_unknown_key_in_a_child_names_the_child_file_line_and_key(parent_file, tmp_path):
    child = _child(tmp_path, """\
extends: parent.yaml
id: child-rules
framework:
  - domain: "2"
    standards:
      - id: "2.2"
        colour: blue
""")
    (problem,) = _error(child).problems
    assert problem.message == "unknown key 'colour'"
    assert (problem.location.file, problem.location.line) == (str(child), 7)
    assert problem.location.key_path == "framework[1].standards[1].colour"


def test_an_error_inherited_from_the_parent_names_the_parent(parent_file, tmp_path):
    text = parent_file.read_text(encoding="utf-8").replace("then: Good}", "then: Grand}", 1)
    parent_file.write_text(text, encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "then: Grand" in l)
    child = _child(tmp_path, "extends: parent.yaml\nid: child-rules\n")
    (problem,) = _error(child).problems
    assert "'Grand' is not one of the ratings" in problem.message
    assert (problem.location.file, problem.location.line) == (str(parent_file), line)


def test_bad_merge_keys_are_errors_in_the_child(parent_file, tmp_path):
    child = _child(tmp_path, "extends: parent.yaml\nframework:\n  - domain: \"1\"\n    standards:\n"
                             "      - {id: \"9.9\", $remove: true}\n")
    (problem,) = _error(child).problems
    assert "no item with id '9.9'" in problem.message and problem.location.line == 5
    child = _child(tmp_path, "extends: parent.yaml\nscores:\n  $merge: true\n")
    assert "unknown merge key '$merge'" in str(_error(child))


def test_the_cli_reports_extends_errors_with_exit_2(tmp_path):
    _child(tmp_path, "extends: b.yaml\n", "a.yaml")
    _child(tmp_path, "extends: a.yaml\n", "b.yaml")
    result = CliRunner().invoke(main, ["unit", str(CASES / "redcar-cleveland-middlesbrough.csv"),
                                       "--rules", str(tmp_path / "a.yaml")])
    assert result.exit_code == 2
    assert "cycle" in result.output and "Traceback" not in result.output
    infos, errors = list_frameworks([str(tmp_path / "a.yaml"), "youth-justice-2021"])
    assert [i.id for i in infos] == ["youth-justice-2021"] and len(errors) == 1


@pytest.mark.parametrize("path", sorted(rules_dir().glob("*.yaml")), ids=lambda p: p.stem)
def test_check_rules_is_clean_on_every_shipped_rulebook(path):
    from ratings_engine.toolkit.check import check_rulebook

    report = check_rulebook(path.stem)
    assert report.ok, [str(f) for f in report.errors]
