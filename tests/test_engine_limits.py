"""The rule engine's limits are contained (durable_rules 2.0.28, wrapped by rule_engine.py).

durable_rules caps live sessions per ruleset at 1,024, identifies facts by 32-bit hashes,
swallows exceptions raised in actions, aborts the process when one fact matches 64 or more
rules, and crashes if used from several threads at once. These tests prove that rating many
units in one process, rating from several threads, long decision tables and a failing action
all give correct results or a clean EngineError (exit 1), never a wrong rating or a crash.
"""
from __future__ import annotations

import subprocess
import sys
import itertools
import uuid
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import ALL_GOOD_JUDGEMENTS, CASES, judgements_frame

from ratings_engine import EngineError, load_rulebook, rate
from ratings_engine.cli import main
from ratings_engine.engine import rule_engine
from ratings_engine.io.rulebooks import with_changes
from ratings_engine.rating.rate import rate_tallies
from ratings_engine.rating.tally import TALLY_COLUMNS

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"


def random_tallies(units: int, seed: int, rulebook, most: int = 40) -> pd.DataFrame:
    """Tallies for the case standards of `rulebook`, every key question of every unit."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(units):
        for kq in rulebook.key_question_ids:
            a = int(rng.integers(0, most))
            s = int(rng.integers(0, a + 1))
            rows.append((f"U{u:05d}", kq, s, a - s, int(rng.integers(0, 5)), a))
    return pd.DataFrame(rows, columns=TALLY_COLUMNS)


_bounds = itertools.count(1)


def fresh_bound() -> list[str]:
    """--set assignments moving the Good/Outstanding boundary (80%) to 80.01, 80.02, ... in turn (no
    other test moves it there), so the band table compiles to rulesets new to the process."""
    value = f"{80 + next(_bounds) / 100:.2f}"
    return [f"key_question_bands.rows[kq-outstanding].min={value}", f"key_question_bands.rows[kq-good].below={value}"]


def fresh(rulebook):
    return with_changes(rulebook, fresh_bound())


def forget_decisions(monkeypatch):
    """Empty every ruleset's memo for this test (restored afterwards), so each fact is asserted again."""
    for name in list(rule_engine._memo):
        monkeypatch.setitem(rule_engine._memo, name, {})


def test_rating_5000_units_in_one_process_matches_rating_each_alone(pdu_rulebook):
    tallies = random_tallies(5000, seed=11, rulebook=pdu_rulebook)
    units = list(dict.fromkeys(tallies["unit"]))
    rulebook = fresh(pdu_rulebook)  # new rulesets: every fact below is asserted, none comes from the memo
    before = rule_engine.stats()
    together = {u.unit: u for u in rate_tallies(tallies, rulebook, None, allow_partial=True, units=units)}
    assert len(together) == 5000
    used = rule_engine.stats()["sessions"] - before["sessions"]
    # > 800 distinct key-question tallies plus their margins' neighbours: several sessions of at most
    # SESSION_SIZE facts, each deleted after use (the live limit of 1,024 sessions is never approached)
    assert used >= 4, used
    for name in units[:: 5000 // 40]:  # a sample of 40 units, each rated in a call of its own
        alone = rate_tallies(tallies[tallies["unit"] == name].reset_index(drop=True), rulebook, None,
                             allow_partial=True, units=[name])
        assert alone[0].to_dict() == together[name].to_dict()


def test_rating_from_several_threads_at_once_gives_the_sequential_results(pdu_rulebook):
    rulebook = fresh(pdu_rulebook)  # new rulesets: the threads also race to compile and register them
    tallies = random_tallies(160, seed=12, rulebook=rulebook, most=60)  # > 256 distinct facts per call
    groups = [tallies[tallies["unit"].isin([f"U{u:05d}" for u in range(k, 160, 8)])].reset_index(drop=True)
              for k in range(8)]

    def rate_group(group):
        return [u.to_dict() for u in rate_tallies(group, rulebook, None, allow_partial=True,
                                                  units=list(dict.fromkeys(group["unit"])))]

    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(rate_group, groups))
    assert threaded == [rate_group(g) for g in groups]


class FailingSink(list):
    """A stand-in for rule_engine._sink whose `fail_at`-th append raises: one rule action fails."""

    def __init__(self, fail_at: int):
        super().__init__()
        self.calls, self.fail_at = 0, fail_at

    def append(self, item):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("recorder failed")
        super().append(item)


@pytest.mark.parametrize("fail_at", [1, 5, 40])
def test_a_failing_action_is_a_clean_engine_error_never_a_wrong_rating(pdu_rulebook, monkeypatch, fail_at):
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    forget_decisions(monkeypatch)
    sink = FailingSink(fail_at)
    monkeypatch.setattr(rule_engine, "_sink", sink)
    with pytest.raises(EngineError, match=r"a rule action failed \(ruleset re_\w+, rule \w+, fact \{.*\}\): "
                                          r"RuntimeError: recorder failed"):
        rate(frame, pdu_rulebook, judgements=judgements_frame(ALL_GOOD_JUDGEMENTS))
    assert sink.calls >= fail_at


def test_a_failing_action_through_the_cli_exits_3_with_a_clear_message(monkeypatch):
    forget_decisions(monkeypatch)
    monkeypatch.setattr(rule_engine, "_sink", FailingSink(3))
    result = CliRunner().invoke(main, ["pdu", str(EXAMPLE), "-j", str(JUDGEMENTS)])
    assert result.exit_code == 3 and isinstance(result.exception, SystemExit), result.output
    assert result.stderr.startswith("error: rule engine failure (please report): a rule action failed (ruleset ")
    assert result.stderr.rstrip().endswith("RuntimeError: recorder failed")
    assert result.stdout == "" and "Traceback" not in result.output


def test_more_than_1024_sessions_of_facts_never_reach_the_live_session_limit(monkeypatch):
    monkeypatch.setattr(rule_engine, "SESSION_SIZE", 1)  # one session per fact
    name = rule_engine.register([(f"even_{uuid.uuid4().hex}", {"$gte": {"v": 0}}), ("big", {"$gte": {"v": 1000}})])
    before = rule_engine.stats()
    matched = rule_engine.match(name, [{"v": v} for v in range(1500)])
    assert rule_engine.stats()["sessions"] - before["sessions"] == 1500
    assert [len(m) for m in matched] == [1] * 1000 + [2] * 500


LONG_TABLE = r"""
from ratings_engine.engine import rule_engine
rules = [(f"r{i}", {"$gte": {"v": i}}) for i in range(150)]  # fact v matches rules 0..v: up to 150 of them
name = rule_engine.register(rules)
facts = [{"v": v} for v in range(0, 300, 7)]
matched = rule_engine.match(name, facts)
assert all(list(m) == [f"r{i}" for i in range(min(f["v"], 149) + 1)] for f, m in zip(facts, matched)), matched
print("ok", len(facts))
"""


def test_a_fact_matching_more_than_64_rules_is_decided_correctly_not_a_crash():
    # In a child process: durable_rules would abort the process (free(): invalid pointer) if a
    # ruleset held more than 64 rules that one fact matches; rule_engine splits long tables.
    done = subprocess.run([sys.executable, "-c", LONG_TABLE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.startswith("ok"), (done.returncode, done.stderr[-2000:])


def test_a_500_row_band_table_rates_like_the_shipped_four_rows(pdu_rulebook):
    # 500 rows (the limit) cutting the 0-100% range into fine bands with the shipped outcomes
    bounds = {r.then: (r.min, r.below) for r in pdu_rulebook.key_question_bands.rows}
    rows = []
    for i in range(500):
        low, high = Fraction(i, 5), Fraction(i + 1, 5)
        outcome = next(o for o, (lo, hi) in bounds.items() if (lo is None or low >= lo) and (hi is None or low < hi))
        rows.append({"id": f"b{i}", "min": float(low), **({"below": float(high)} if i < 499 else {}), "then": outcome})
    data = pdu_rulebook.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["key_question_bands"]["rows"] = rows
    from ratings_engine.io.rulebooks import rulebook_from_mapping
    fine = rulebook_from_mapping(data, "<500 rows>")
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    judged = judgements_frame(ALL_GOOD_JUDGEMENTS)
    ratings = lambda report: [(s.id, s.rating) for s in report.units[0].standards]  # noqa: E731
    assert ratings(rate(frame, fine, judgements=judged)) == ratings(rate(frame, pdu_rulebook, judgements=judged))


def test_shipped_rulebooks_fit_in_one_ruleset_per_table():
    for name in ("probation-pdu-2021", "probation-pdu-2023", "youth-justice-2018"):
        rb = load_rulebook(name)
        assert max(len(rb.key_question_bands.rows), len(rb.overall.bands.rows)) <= rule_engine.RULES_PER_RULESET
