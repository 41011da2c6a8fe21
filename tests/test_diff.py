"""`rate diff`: a rule change moves exactly the ratings it should, counted and explained."""
import csv
import json
from collections import Counter

import pytest
from click.testing import CliRunner
from conftest import CASES

from ratings_engine.api import diff_rulebooks, rate_corpus
from ratings_engine.api import load_rulebook as get_rulebook
from ratings_engine.cli import main
from ratings_engine.toolkit.corpus import load_corpus

CORPUS = CASES / "corpus"
RAISE_GOOD = ["key_question_bands.rows[kq-good].min=70", "key_question_bands.rows[kq-requires-improvement].below=70"]
SCORE = {"Outstanding": 3, "Good": 2, "Requires improvement": 1, "Inadequate": 0}
YES, NO = {"yes", "y", "sufficient"}, {"no", "n", "insufficient"}


# ---- an independent oracle, read straight from the corpus files (no engine code) ----

def raw_corpus():
    """{unit: {kq: (sufficient, applicable)}} and {unit: {standard: rating}} from the CSV text."""
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    judged: dict[str, dict[str, str]] = {}
    for path in sorted(CORPUS.glob("*.csv")):
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        header = rows[0].keys()
        if "case_id" in header:
            for kq in [c for c in header if c not in ("case_id", "unit")]:
                for unit in {r.get("unit", path.stem) for r in rows}:
                    answers = [r[kq].strip().lower() for r in rows if r.get("unit", path.stem) == unit]
                    s, n = sum(a in YES for a in answers), sum(a in NO for a in answers)
                    counts.setdefault(unit, {})[kq] = (s, s + n)
        elif "key_question" in header:
            for r in rows:
                counts.setdefault(r["unit"], {})[r["key_question"]] = (int(r["sufficient"]), int(r["applicable"]))
        else:
            for r in rows:
                unit = r.get("unit") or path.stem.removesuffix("-judgements")
                judged.setdefault(unit, {})[r["standard"]] = r["rating"]
    return counts, judged


def band(s: int, a: int, good_from: int) -> str:
    pct = 100 * s / a
    return ("Outstanding" if pct >= 80 else "Good" if pct >= good_from else
            "Requires improvement" if pct >= 50 else "Inadequate")


def oracle(good_from: int):
    counts, judged = raw_corpus()
    kqs, stds, overall = {}, {}, {}
    for unit, per_kq in counts.items():
        for kq, (s, a) in per_kq.items():
            kqs[unit, kq] = band(s, a, good_from)
        for std in {kq.rsplit(".", 1)[0] for kq in per_kq}:
            stds[unit, std] = min((kqs[unit, kq] for kq in per_kq if kq.startswith(std + ".")), key=SCORE.get)
        ratings = [r for (u, _), r in stds.items() if u == unit] + list(judged[unit].values())
        mean = sum(SCORE[r] for r in ratings) / len(ratings)
        overall[unit] = ("Inadequate" if mean <= 0.5 else "Requires improvement" if mean <= 1.5 else
                         "Good" if mean <= 2.5 else "Outstanding")
    return kqs, stds, overall


@pytest.fixture(scope="module")
def threshold_diff():
    return diff_rulebooks(CORPUS, "probation-pdu-2021", changes=RAISE_GOOD)


def test_raising_good_to_70_moves_exactly_the_ratings_decided_in_65_to_70(threshold_diff):
    counts, _ = raw_corpus()
    old_kq, old_std, old_overall = oracle(65)
    new_kq, new_std, new_overall = oracle(70)
    # the key questions that move are exactly those at 65% to under 70%
    in_band = {(u, kq) for u, per in counts.items() for kq, (s, a) in per.items() if 65 <= 100 * s / a < 70}
    assert in_band == {k for k in old_kq if old_kq[k] != new_kq[k]}
    assert len(in_band) >= 5  # the example corpus is built to have several

    changes = [(u.unit, c) for u in threshold_diff.units for c in u.changes]
    got_kq = {(u, c.id): (c.base, c.candidate) for u, c in changes if c.level == "key_question"}
    got_std = {(u, c.id): (c.base, c.candidate) for u, c in changes if c.level == "standard"}
    got_overall = {u: (c.base, c.candidate) for u, c in changes if c.level == "overall"}
    assert got_kq == {k: (old_kq[k], new_kq[k]) for k in in_band}
    assert got_std == {k: (old_std[k], new_std[k]) for k in old_std if old_std[k] != new_std[k]}
    assert got_overall == {u: (old_overall[u], new_overall[u]) for u in old_overall if old_overall[u] != new_overall[u]}
    # a standard moves only when its deciding (lowest) key question sits in 65-70%
    for (unit, std) in got_std:
        lowest = min((100 * s / a for kq, (s, a) in counts[unit].items() if kq.startswith(std + ".")))
        assert 65 <= lowest < 70

    summary = threshold_diff.summary()
    assert summary["key_questions_changed"] == len(in_band)
    assert summary["standards_changed"] == len(got_std)
    assert summary["overall_changed"] == len(got_overall)
    assert summary["units"] == len(counts)
    assert summary["units_changed"] == len({u for u, _ in in_band})


def test_transition_matrix_counts_every_unit_once(threshold_diff):
    _, _, old = oracle(65)
    _, _, new = oracle(70)
    expected = Counter((old[u], new[u]) for u in old)
    assert dict(threshold_diff.transitions()) == dict(expected)
    data = threshold_diff.to_dict()
    assert sum(t["units"] for t in data["transitions"]) == len(old)
    assert {(t["from"], t["to"]): t["units"] for t in data["transitions"]} == dict(expected)


def test_experiment_transitions_match_the_two_rulebooks_rated_separately():
    report = diff_rulebooks(CORPUS, "probation-pdu-2021", "experimental-count-caps")
    base = {u.unit: u.overall.rating for u in rate_corpus(CORPUS, "probation-pdu-2021").units}
    cand = {u.unit: u.overall.rating for u in rate_corpus(CORPUS, "experimental-count-caps").units}
    assert dict(report.transitions()) == dict(Counter((base[u], cand[u]) for u in base))
    moved = {u: (base[u], cand[u]) for u in base if base[u] != cand[u]}
    assert {u.unit: (u.base_overall, u.candidate_overall) for u in report.changed_units} == moved
    rules = {u.unit: u.changes[0].candidate_rule for u in report.changed_units}
    assert rules["Brookmere"].startswith("count-two-inadequate")
    assert rules["Dunmore"].startswith("count-outstanding")
    assert rules["Castleton"].endswith("capped by limit gate-inadequate-caps-ri")
    assert rules["Irondale"].startswith("overall-good")


def test_deciding_rules_and_hashes_are_named(threshold_diff):
    base, cand = get_rulebook("probation-pdu-2021"), get_rulebook("probation-pdu-2021", changes=RAISE_GOOD)
    assert threshold_diff.base.sha256 == base.rulebook.sha256
    assert threshold_diff.candidate.sha256 == cand.rulebook.sha256 != base.rulebook.sha256
    elm = next(u for u in threshold_diff.units if u.unit == "Elmbridge")
    std = next(c for c in elm.changes if c.id == "2.2")
    assert std.base_rule == "2.2.1 kq-good (27/40 = 67.5%)"
    assert std.candidate_rule == "2.2.1 kq-requires-improvement (27/40 = 67.5%)"
    overall = next(c for c in elm.changes if c.level == "overall")
    assert overall.base_rule.startswith("overall-good") and overall.candidate_rule.startswith("overall-requires-improvement")
    assert "rule overall-requires-improvement" in overall.candidate_because


def run(*args):
    return CliRunner().invoke(main, ["diff", *map(str, args)])


def test_cli_table_json_markdown_and_hashes():
    sets = [a for s in RAISE_GOOD for a in ("--set", s)]
    table = run("--base", "probation-pdu-2021", *sets, CORPUS)
    assert table.exit_code == 0, table.output
    base_hash = get_rulebook().rulebook.sha256
    cand_hash = get_rulebook(changes=RAISE_GOOD).rulebook.sha256
    assert f"sha256 {base_hash}" in table.stdout and f"sha256 {cand_hash}" in table.stdout
    assert "1 unit Good -> Requires improvement" in table.stdout
    assert "Elmbridge" in table.stdout and "kq-requires-improvement" in table.stdout

    data = json.loads(run("--base", "probation-pdu-2021", *sets, "--format", "json", CORPUS).stdout)
    assert data["base"]["sha256"] == base_hash and data["candidate"]["sha256"] == cand_hash
    assert data["candidate"]["overrides"] == RAISE_GOOD and data["base"]["overrides"] == []
    assert data["changed"] is True and data["summary"]["overall_changed"] == 1

    md = run("--base", "probation-pdu-2021", "--candidate", "experimental-count-caps", "-f", "markdown", CORPUS)
    assert md.exit_code == 0
    assert "| base \\ candidate" in md.stdout and "| Dunmore" in md.stdout


def test_fail_on_change_exit_codes():
    assert run("--base", "probation-pdu-2021", "--candidate", "experimental-count-caps", CORPUS).exit_code == 0
    changed = run("--base", "probation-pdu-2021", "--candidate", "experimental-count-caps", "--fail-on-change", CORPUS)
    assert changed.exit_code == 1
    # a no-op change: ratings identical, so CI passes, though the hash differs
    same = run("--base", "probation-pdu-2021", "--set", "key_question_bands.rows[kq-good].note=reworded",
               "--fail-on-change", "-f", "json", CORPUS)
    assert same.exit_code == 0, same.output
    data = json.loads(same.stdout)
    assert data["changed"] is False and data["base"]["sha256"] != data["candidate"]["sha256"]
    assert "No rating changed across 9 units" in run("--base", "probation-pdu-2021", "--candidate",
                                                     "probation-pdu-2021", CORPUS).stdout


def test_a_single_case_file_and_a_tally_file_are_a_corpus_too(example_cases, example_judgements):
    result = run("--base", "probation-pdu-2021", "--candidate", "experimental-count-caps",
                 example_cases, example_judgements, "-f", "json")
    data = json.loads(result.stdout)
    (unit,) = data["units"]
    assert unit["overall"] == {"base": "Requires improvement", "candidate": "Inadequate",
                               "base_score": "8/24", "candidate_score": "8/24"}


# ---- corpus errors: exit 2, file named ----

@pytest.mark.parametrize("files, message", [
    ({"a.csv": "case_id,unit,2.2.1,2.2.2,2.2.3\n1,U,yes,yes,yes\n",
      "b.csv": "unit,key_question,sufficient,applicable\nU,2.2.1,1,1\nU,2.2.2,1,1\nU,2.2.3,1,1\n"},
     "unit 'U' also has evidence in"),
    ({"a.csv": "case_id,unit,2.2.1,2.2.2,2.2.3\n1,U,yes,yes,yes\n2,V,yes,yes,yes\n",
      "a-judgements.csv": "standard,rating\n1.1,Good\n"},
     "a-judgements.csv, row 1: judgement file without a 'unit' column pairs with"),
    ({"a.csv": "case_id,2.2.1,2.2.2,2.2.3\n1,yes,yes,yes\n", "other.csv": "standard,rating\n1.1,Good\n"},
     "other.csv, row 1: judgement file without a 'unit' column: either add a 'unit' column"),
    ({"a.csv": "case_id,2.2.1,2.2.2,2.2.3\n1,yes,yes,yes\n", "x.csv": "name,score\nA,1\n"},
     "x.csv, row 1: cannot tell what this file is"),
    ({"a.csv": "case_id,2.2.1,2.2.2,2.2.3\n1,yes,yes,maybe\n"}, "a.csv, row 2, column '2.2.3': unknown answer 'maybe'"),
    ({"a.csv": "case_id,2.2.1,2.2.2,2.2.3\n1,yes,yes,yes\n",
      "j1.csv": "unit,standard,rating\na,1.1,Good\n", "j2.csv": "unit,standard,rating\na,1.1,Inadequate\n"},
     "j2.csv, row 2, column 'standard': standard 1.1 of unit 'a' is also judged in"),
])
def test_corpus_errors(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run("--base", "probation-pdu-2021", "--candidate", "experimental-count-caps", tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output


def test_usage_errors(tmp_path):
    assert "nothing to compare" in run("--base", "probation-pdu-2021", CORPUS).stderr
    bad_set = run("--base", "probation-pdu-2021", "--set", "key_question_bands.rows[kq-nope].min=70", CORPUS)
    assert bad_set.exit_code == 2 and "no item with id 'kq-nope'" in bad_set.stderr
    missing = run("--base", "probation-pdu-2021", "--candidate", "probation-pdu-2021", tmp_path / "nope")
    assert missing.exit_code == 2 and "no such file or folder" in missing.stderr
    empty = run("--base", "probation-pdu-2021", "--candidate", "probation-pdu-2021", tmp_path)
    assert empty.exit_code == 2 and "holds no .csv or .xlsx files" in empty.stderr


def test_judgements_for_units_without_evidence_are_reported_not_dropped(tmp_path):
    (tmp_path / "a.csv").write_text("case_id,unit,2.2.1,2.2.2,2.2.3\n1,A,yes,yes,yes\n")
    (tmp_path / "j.csv").write_text("unit,standard,rating\nA,1.1,Good\nZ,1.1,Good\nZ,1.2,Good\n")
    corpus = load_corpus([tmp_path], get_rulebook().rulebook)
    audit = next(i["audit"] for i in corpus.inputs if i["file"].endswith("j.csv"))
    assert audit["rows_read"] == 3 and audit["rows_used"] == 1
    assert audit["rows_skipped"] == {"unit 'Z' has no evidence in the corpus": 2}
    assert any("unit 'Z' not used" in w for w in corpus.warnings)


def test_pairing_by_name_and_folder_walk():
    corpus = load_corpus([CORPUS], get_rulebook().rulebook)
    assert set(corpus.units) == {"Ashford Vale", "Brookmere", "Castleton", "Dunmore", "Elmbridge", "fernhill",
                                 "Greyhaven", "Hollins Cross", "Irondale"}
    fernhill = [j for j in corpus.judgements.items if j.unit == "fernhill"]
    assert len(fernhill) == 4 and all(j.source.endswith("fernhill-judgements.csv") for j in fernhill)
    kinds = Counter(i["kind"] for i in corpus.inputs)
    assert kinds == {"cases": 3, "tallies": 1, "judgements": 2}
    report = rate_corpus(CORPUS)
    assert all(u.overall.status == "rated" for u in report.units)


def test_same_file_twice_is_read_once():
    corpus = load_corpus([CORPUS, CORPUS / "north-region.csv"], get_rulebook().rulebook)
    assert len(corpus.inputs) == 6


def test_rate_pdu_what_if_with_set():
    args = ["pdu", str(CORPUS / "south-region.csv"), "-j", str(CORPUS / "judgements.csv"), "-u", "Elmbridge",
            "-f", "json"]
    before = json.loads(CliRunner().invoke(main, args).stdout)
    after = CliRunner().invoke(main, args + [a for s in RAISE_GOOD for a in ("--set", s)])
    assert after.exit_code == 0, after.output
    data = json.loads(after.stdout)
    assert before["units"][0]["overall"]["rating"] == "Good"
    assert data["units"][0]["overall"]["rating"] == "Requires improvement"
    assert data["rulebook"]["sha256"] == get_rulebook(changes=RAISE_GOOD).rulebook.sha256
    assert "note: rulebook probation-pdu-2021 changed by --set" in after.stderr
