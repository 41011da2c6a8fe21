"""The durable_rules adapter and the decision tables compiled from rulebooks.

The band oracle below reads the bounds from the rulebook's own rows and compares with exact
fractions, so it checks durable_rules' integer arithmetic without restating any threshold.
"""
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import (
    ALL_GOOD_JUDGEMENTS,
    cases_from_counts,
    judgements_frame,
    standard_counts,
)

from ratings_engine import EngineError, RulebookError, rate
from ratings_engine.cli import main
from ratings_engine.engine import rule_engine
from ratings_engine.engine.decide import (
    CompiledRulebook,
    DecisionTableError,
    KeyQuestionInput,
    band_condition,
    compile_rulebook,
    percentage_fact,
)
from ratings_engine.io.rulebooks import with_changes

ALL_PAIRS = [(s, a) for a in range(1, 121) for s in range(a + 1)]


def oracle_rows(rulebook, pct: Fraction) -> list[str]:
    """Ids of the band rows whose bounds hold for an exact percentage."""
    def holds(row):
        return ((row.min is None or pct >= Fraction(row.min)) and (row.above is None or pct > Fraction(row.above))
                and (row.max is None or pct <= Fraction(row.max)) and (row.below is None or pct < Fraction(row.below)))
    return [row.id for row in rulebook.key_question_bands.rows if holds(row)]


def compared_fraction(s: int, a: int, rounding: str) -> Fraction:
    exact = Fraction(100 * s, a)
    if rounding == "exact":
        return exact
    if rounding == "truncate_whole_percent":
        return Fraction(int(exact))
    whole = int(exact)
    return Fraction(whole + 1 if exact - whole >= Fraction(1, 2) else whole)


@pytest.mark.parametrize("rounding", ["exact", "nearest_whole_percent", "truncate_whole_percent"])
def test_every_tally_up_to_120_cases_gets_exactly_one_band_row(pdu_rulebook, rounding):
    rulebook = with_changes(pdu_rulebook, [f"policies.rounding.value={rounding}"])
    outcomes = compile_rulebook(rulebook).band([KeyQuestionInput(s, a) for s, a in ALL_PAIRS])
    assert len(outcomes) == len(ALL_PAIRS) == 7380
    for (s, a), outcome in zip(ALL_PAIRS, outcomes):
        expected = oracle_rows(rulebook, compared_fraction(s, a, rounding))
        assert list(outcome.matched) == expected and len(expected) == 1, (s, a)
        assert outcome.rule == expected[0]


def test_thousands_of_distinct_facts_in_one_fresh_ruleset_each_get_exactly_one_decision(pdu_rulebook):
    rows = pdu_rulebook.key_question_bands.rows
    never = {"$lt": {"d": 0}}  # a uniquely named rule that never fires makes this ruleset new to the process
    conditions = [(f"r{i}", band_condition(row)) for i, row in enumerate(rows)] + [(f"never_{uuid.uuid4().hex}", never)]
    name = rule_engine.register(conditions)
    facts = [percentage_fact(s, a, "exact") for s, a in ALL_PAIRS]
    before = rule_engine.stats()
    matched = rule_engine.match(name, facts)
    after = rule_engine.stats()
    assert after["facts_asserted"] - before["facts_asserted"] == len(facts)  # all distinct, each asserted once
    assert after["sessions"] - before["sessions"] == -(-len(facts) // rule_engine.SESSION_SIZE)
    for (s, a), names in zip(ALL_PAIRS, matched):
        assert len(names) == 1
        assert rows[int(names[0][1:])].id == oracle_rows(pdu_rulebook, Fraction(100 * s, a))[0]
    # asking again reuses the decisions: nothing is asserted twice, and the answers are the same
    again = rule_engine.match(name, list(reversed(facts)))
    assert rule_engine.stats()["facts_asserted"] == after["facts_asserted"]
    assert again == list(reversed(matched))


def test_a_rule_matching_several_rows_reports_them_all_in_table_order():
    name = rule_engine.register([("low", {"$lt": {"v": 10}}), ("any", None), ("even", {"v": 4})])
    assert rule_engine.match(name, [{"v": 4}, {"v": 5}, {"v": 12}]) == [("low", "any", "even"), ("low", "any"), ("any",)]


def test_the_sentinel_name_is_reserved():
    with pytest.raises(ValueError):
        rule_engine.register([(rule_engine.SENTINEL, None)])


class LossySink(list):
    """A stand-in for rule_engine._sink that, while `active`, records the sentinel hit of fact `fid` of a
    session `copies` times: 0 as if durable_rules dropped the fact, 2 as if it fired twice."""

    def __init__(self, fid: int, copies: int):
        super().__init__()
        self.fid, self.copies, self.active = fid, copies, True

    def append(self, item):
        fid, rule_name = item
        lost = self.active and fid == self.fid and rule_name == rule_engine.SENTINEL
        for _ in range(self.copies if lost else 1):
            super().append(item)


@pytest.mark.parametrize("copies", [0, 2], ids=["dropped", "doubled"])
def test_a_fact_not_decided_exactly_once_is_an_engine_error(monkeypatch, copies):
    name = rule_engine.register([("low", {"$lt": {"v": 5}}), (f"any_{uuid.uuid4().hex}", None)])
    monkeypatch.setattr(rule_engine, "_sink", LossySink(3, copies))
    with pytest.raises(EngineError, match=r"did not decide every fact exactly once \(ruleset re_\w+, e\.g\. \{'v': 3\}\)"):
        rule_engine.match(name, [{"v": v} for v in range(8)])
    assert rule_engine._memo[name] == {}  # nothing from the failed session is remembered


def test_a_fact_dropped_by_a_limiting_rule_is_an_engine_error_not_no_limit(pdu_rulebook, monkeypatch):
    """A dropped fact in the limits table would read as "no limit": it must stop the rating instead."""
    limited = with_changes(pdu_rulebook, ["overall.limits.rows[no-outstanding-with-inadequate].enabled=true"])
    compiled = compile_rulebook(limited)
    frame = limit_frame((0, 5))
    (capped,) = rate_with(limited, frame, OUTSTANDING_JUDGEMENTS).units
    assert capped.overall.limit.rule == "no-outstanding-with-inadequate"  # the limit applies when nothing is lost
    sink = LossySink(0, 0)
    original = rule_engine._assert_session

    def lossy_in_the_limits_table(ruleset, facts):
        sink.active = ruleset == compiled.limits.ruleset
        return original(ruleset, facts)

    for name in list(rule_engine._memo):
        monkeypatch.setitem(rule_engine._memo, name, {})
    monkeypatch.setattr(rule_engine, "_sink", sink)
    monkeypatch.setattr(rule_engine, "_assert_session", lossy_in_the_limits_table)
    with pytest.raises(EngineError, match="did not decide every fact exactly once"):
        rate_with(limited, frame, OUTSTANDING_JUDGEMENTS)


def test_registering_the_same_table_twice_reuses_one_ruleset(pdu_rulebook):
    conditions = [(f"r{i}", band_condition(row)) for i, row in enumerate(pdu_rulebook.key_question_bands.rows)]
    conditions.append((f"never_{uuid.uuid4().hex}", {"$lt": {"d": 0}}))
    before = rule_engine.stats()["rulesets"]
    first = rule_engine.register(conditions)
    second = rule_engine.register(list(conditions))
    assert first == second
    assert rule_engine.stats()["rulesets"] == before + 1
    # two compilations of one rulebook share every ruleset
    one, two = CompiledRulebook(pdu_rulebook), CompiledRulebook(pdu_rulebook)
    assert one.key_question_bands.ruleset == two.key_question_bands.ruleset
    assert one.overall_bands.ruleset == two.overall_bands.ruleset
    # and a rulebook differing only in a provenance note compiles to the same rulesets
    renamed = with_changes(pdu_rulebook, ["key_question_bands.provenance.source=another note"])
    assert renamed.sha256 != pdu_rulebook.sha256
    assert compile_rulebook(renamed).key_question_bands.ruleset == one.key_question_bands.ruleset
    assert compile_rulebook(pdu_rulebook) is compile_rulebook(with_changes(pdu_rulebook, []))


def unit_frames(count: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Distinct units with complete judgements: (cases, judgements) per unit."""
    frames = []
    for u in range(count):
        counts = {}
        for j, standard in enumerate(("2.2", "2.3", "2.4", "2.5")):
            counts |= {f"{standard}.{k}": ((3 * u + 5 * j + k) % 11, (7 * u + j + 2 * k) % 6, (u + k) % 3)
                       for k in (1, 2, 3)}
        name = f"unit-{u}"
        ratings = dict(zip(ALL_GOOD_JUDGEMENTS, ["Inadequate", "Requires improvement", "Good", "Outstanding"][u % 4:]
                           + ["Good"] * 4))
        frames.append((cases_from_counts(counts, unit=name), judgements_frame(ratings, unit=name)))
    return frames


def test_rating_from_several_threads_gives_the_same_results_as_sequentially(pdu_rulebook):
    # a band table no other test uses, so the threads also race to compile and register it
    rulebook = with_changes(pdu_rulebook, ["key_question_bands.rows[kq-good].min=64.25",
                                             "key_question_bands.rows[kq-requires-improvement].below=64.25"])
    work = unit_frames(12) * 2

    def rate_one(item):
        cases, judgements = item
        return rate(cases, rulebook, judgements=judgements).units[0].to_dict()

    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(rate_one, work))
    sequential = [rate_one(item) for item in work]
    assert threaded == sequential
    assert len({str(r["overall"]) for r in sequential}) > 3  # the units really differ


# ---------------------------------------------------------------------------------------------
# Gaps and overlaps


def rate_with(rulebook, frame, judgements=None):
    return rate(frame, rulebook, judgements=judgements if judgements is not None else judgements_frame(ALL_GOOD_JUDGEMENTS))


def test_a_gap_in_the_key_question_table_is_a_clear_error(pdu_rulebook):
    gappy = with_changes(pdu_rulebook, ["key_question_bands.rows[kq-good].min=66"])
    with pytest.raises(DecisionTableError) as caught:
        rate_with(gappy, cases_from_counts(standard_counts("2.2", 13, 7)))
    assert isinstance(caught.value, RulebookError)
    assert str(caught.value) == ("rulebook probation-pdu-2021: no row of key_question_bands matches a percentage of 65% "
                                 "(a gap in the table); rows kq-good (min 66) and kq-requires-improvement (below 65) "
                                 "leave a gap: move both bounds together, e.g. also set "
                                 "key_question_bands.rows[kq-requires-improvement].below=66 "
                                 "(or key_question_bands.rows[kq-good].min=65)")


def test_an_overlap_in_the_key_question_table_names_the_rows(pdu_rulebook):
    overlapping = with_changes(pdu_rulebook, ["key_question_bands.rows[kq-good].below=85"])
    with pytest.raises(RulebookError) as caught:
        rate_with(overlapping, cases_from_counts(standard_counts("2.2", 41, 9)))
    message = str(caught.value)
    assert "rows kq-outstanding, kq-good of key_question_bands all match a percentage of" in message
    assert ("rows kq-outstanding (min 80) and kq-good (below 85) leave an overlap: move both bounds together, "
            "e.g. also set key_question_bands.rows[kq-good].below=80") in message
    assert "hit policy is 'unique' (an overlap)" in message


def test_a_first_hit_table_resolves_the_same_overlap_by_order(pdu_rulebook):
    first = with_changes(pdu_rulebook, ["key_question_bands.rows[kq-good].below=85",
                                          "key_question_bands.hit_policy=first"])
    (unit,) = rate_with(first, cases_from_counts(standard_counts("2.2", 41, 9))).units
    kq = unit.standard("2.2").key_questions[0]
    assert kq.rating == "Outstanding" and kq.decision.matched == ("kq-outstanding", "kq-good")


def all_standards_frame():
    counts = {}
    for standard in ("2.1", "2.2", "2.3", "2.4", "2.5"):
        counts |= standard_counts(standard, 9, 1)
    return cases_from_counts(counts)


def test_an_overlap_in_the_overall_table_names_the_rows(pdu_rulebook):
    unique = with_changes(pdu_rulebook, ["overall.bands.hit_policy=unique"])
    middling = {}
    for standard in ("2.1", "2.2", "2.3", "2.4", "2.5"):
        middling |= standard_counts(standard, 5, 5)  # 50%: Requires improvement; 13/27 overall
    with pytest.raises(RulebookError) as caught:
        rate_with(unique, cases_from_counts(middling))
    message = str(caught.value)
    assert "of overall.bands all match a score of" in message and "(an overlap)" in message
    assert "overall-outstanding" in message and "a score of 13 over 9" in message


def test_an_overlap_only_at_other_scores_does_not_stop_rating_but_is_left_out_of_margins(pdu_rulebook):
    # The unit's own input (23/27) matches one row; the overlaps below it only concern
    # hypothetical scores, which feed margins leniently (check-rules reports the overlap).
    unique = with_changes(pdu_rulebook, ["overall.bands.hit_policy=unique"])
    (unit,) = rate_with(unique, all_standards_frame()).units
    assert (unit.overall.score, unit.overall.rating) == (23, "Outstanding")
    assert unit.overall.decision.margin_down is None


def test_a_gap_in_the_overall_table_is_a_clear_error(pdu_rulebook):
    gappy = with_changes(pdu_rulebook, ["overall.bands.rows[overall-outstanding].mean_min=2.6"])
    with pytest.raises(RulebookError, match=r"no row of overall.bands matches a score of 23 over 9 scored standard"):
        rate_with(gappy, all_standards_frame())


def test_table_errors_through_the_cli_exit_2(write_file, shipped_rulebook_text):
    cases = write_file("cases.csv", cases_from_counts(standard_counts("2.2", 13, 7)).to_csv(index=False))
    gappy = write_file("gappy.yaml", shipped_rulebook_text.replace("min: 65, below: 80", "min: 66, below: 80"))
    result = CliRunner().invoke(main, ["pdu", str(cases), "--rules", str(gappy), "--allow-partial"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "no row of key_question_bands matches a percentage of 65% (a gap in the table)" in result.stderr


# ---------------------------------------------------------------------------------------------
# Limits


def limit_frame(worst: tuple[int, int]) -> pd.DataFrame:
    """2.2-2.4 Outstanding, 2.5 from `worst`; court work not inspected."""
    counts = {}
    for standard in ("2.2", "2.3", "2.4"):
        counts |= standard_counts(standard, 5, 0)
    return cases_from_counts(counts | standard_counts("2.5", *worst))


OUTSTANDING_JUDGEMENTS = judgements_frame({s: "Outstanding" for s in ALL_GOOD_JUDGEMENTS})
LIMIT_ON = ["overall.limits.rows[no-outstanding-with-inadequate].enabled=true"]


def test_an_enabled_limit_caps_an_outstanding_unit_and_says_so(pdu_rulebook):
    (free,) = rate_with(pdu_rulebook, limit_frame((0, 5)), OUTSTANDING_JUDGEMENTS).units
    assert free.standard("2.5").rating == "Inadequate"
    assert (free.overall.score, free.overall.max_score, free.overall.rating) == (21, 24, "Outstanding")
    assert free.overall.limit is None
    (capped,) = rate_with(with_changes(pdu_rulebook, LIMIT_ON), limit_frame((0, 5)), OUTSTANDING_JUDGEMENTS).units
    assert capped.overall.rating == "Good"
    assert capped.overall.decision.outcome == "Outstanding"  # the band, before the cap
    limit = capped.overall.limit
    assert (limit.table, limit.rule, limit.outcome) == ("overall.limits", "no-outstanding-with-inadequate", "Good")
    assert "caps the rating at Good" in limit.because
    assert "Not Outstanding overall if any scored standard is Inadequate" in limit.because
    assert limit.provenance.grade == "uncertain"


def test_an_enabled_limit_leaves_units_it_does_not_match_or_does_not_lower(pdu_rulebook):
    limited = with_changes(pdu_rulebook, LIMIT_ON)
    (clean,) = rate_with(limited, limit_frame((4, 1)), OUTSTANDING_JUDGEMENTS).units
    assert clean.overall.rating == "Outstanding" and clean.overall.limit is None
    low = judgements_frame({s: "Inadequate" for s in ALL_GOOD_JUDGEMENTS})
    (poor,) = rate_with(limited, limit_frame((0, 5)), low).units
    assert poor.overall.rating == poor.overall.decision.outcome == "Requires improvement"
    assert poor.overall.limit.rule == "no-outstanding-with-inadequate"
    assert "already at or below Good" in poor.overall.limit.because


def test_a_capped_rating_is_shown_in_the_table(write_file, shipped_rulebook_text):
    cases = write_file("cases.csv", limit_frame((0, 5)).to_csv(index=False))
    judgements = write_file("judgements.csv", OUTSTANDING_JUDGEMENTS.to_csv(index=False))
    limited = write_file("limited.yaml", shipped_rulebook_text.replace("enabled: false", "enabled: true"))
    result = CliRunner().invoke(main, ["pdu", str(cases), "-j", str(judgements), "--rules", str(limited), "--explain"])
    assert result.exit_code == 0, result.output
    assert "Overall rating: Good (capped by no-outstanding-with-inadequate)" in result.stdout
    assert "caps the rating at Good" in result.stdout


def test_a_32_bit_identity_collision_is_retried_one_fact_per_session(monkeypatch):
    """durable_rules refuses a fact whose 32-bit identity it has seen in the session (result code 2,
    its MessageObservedException): the batch is asserted again one fact per session, and a single
    refused fact is an EngineError."""
    engine = rule_engine._get_engine()
    calls = []

    class Colliding:
        """durable_rules' engine, but batches of several facts (and the fact v=13) collide."""

        def __getattr__(self, attr):
            return getattr(engine, attr)

        def assert_facts(self, handle, text):
            batch = json.loads(text)
            calls.append(len(batch))
            code, state = engine.assert_facts(handle, text)  # the facts are asserted, then reported as a collision
            return (2, state) if len(batch) > 1 or batch[0]["v"] == 13 else (code, state)

    name = rule_engine.register([("low", {"$lt": {"v": 10}}), (f"odd_{uuid.uuid4().hex}", {"v": 7})])
    monkeypatch.setattr(rule_engine, "_engine", Colliding())
    facts = [{"v": v} for v in (3, 7, 12)]
    assert rule_engine.match(name, facts) == [("low",), ("low", name_of_odd(name)), ()]
    assert calls == [3, 1, 1, 1]  # one batch refused, then each fact in a session of its own
    with pytest.raises(EngineError, match=r"rejected a fact as already observed: \{'v': 13\}"):
        rule_engine.match(name, [{"v": 13}])


def name_of_odd(ruleset: str) -> str:
    return next(r for r in rule_engine._order[ruleset] if r.startswith("odd_"))
