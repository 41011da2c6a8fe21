"""The durable_rules adapter's limits and failure reports, at their edges.

Expected values are worked out by hand from the limits the adapter promises (its module docstring):
sessions of at most 256 facts, rulesets of at most 63 rules besides the sentinel, rule names
reported in table order, every firing naming a fact of its session.
Every rule name below carries a fresh uuid so each table is new to the process (nothing comes from
the memo or an earlier registration). No fact here matches more than two rules, so no mutant of the
limits can make durable_rules abort the process.
"""
from __future__ import annotations

import importlib.util
import re
import uuid

import pytest

from ratings_engine import EngineError
from ratings_engine.engine import rule_engine


def fresh(label: str) -> str:
    return f"{label}_{uuid.uuid4().hex}"


def delta(before: dict[str, int]) -> dict[str, int]:
    after = rule_engine.stats()
    return {key: after[key] - before[key] for key in after}


# ---------------------------------------------------------------------------------------------
# Sessions of at most 256 facts


@pytest.mark.parametrize(("facts", "sessions"), [(255, 1), (256, 1), (257, 2), (512, 2), (513, 3)])
def test_distinct_facts_are_asserted_in_sessions_of_at_most_256(facts, sessions):
    # sessions = ceil(facts / 256), worked out by hand in the parameters
    name = rule_engine.register([(fresh("small"), {"$lt": {"v": 100}})])
    before = rule_engine.stats()
    matched = rule_engine.match(name, [{"v": v} for v in range(facts)])
    assert delta(before) == {"facts_asserted": facts, "sessions": sessions, "rulesets": 0}
    assert [len(names) for names in matched] == [1] * 100 + [0] * (facts - 100)


# ---------------------------------------------------------------------------------------------
# Rulesets of at most 63 rules besides the sentinel


def equality_table(rules: int) -> list[tuple[str, dict]]:
    """Rules r<i> matching v == i (fresh names): a fact matches at most one rule."""
    tag = uuid.uuid4().hex
    return [(f"r{i}_{tag}", {"v": i}) for i in range(rules)]


@pytest.mark.parametrize(("rules", "rulesets"), [(62, 1), (63, 1), (64, 2), (126, 2), (127, 3), (190, 4)])
def test_a_table_is_split_into_rulesets_of_at_most_63_rules(rules, rulesets):
    # rulesets = ceil(rules / 63), worked out by hand in the parameters
    table = equality_table(rules)
    before = rule_engine.stats()
    name = rule_engine.register(table)
    assert delta(before)["rulesets"] == rulesets
    # every rule is in exactly one part: the first, the last and those either side of each split
    values = sorted({0, 61, 62, 63, 64, 125, 126, 127, rules - 1, rules} & set(range(rules + 1)))
    matched = rule_engine.match(name, [{"v": v} for v in values])
    assert matched == [(table[v][0],) if v < rules else () for v in values]


def test_a_table_of_exactly_two_rulesets_asserts_each_fact_in_two_sessions():
    # 126 rules = 2 full rulesets of 63: each fact goes to each once (no third, empty part). The
    # facts carry a fresh nonce, so no ruleset of the process has seen them before.
    name = rule_engine.register(equality_table(126))
    nonce = uuid.uuid4().int % 2**31
    before = rule_engine.stats()
    rule_engine.match(name, [{"v": v, "nonce": nonce} for v in (0, 63, 125, 500)])
    assert delta(before) == {"facts_asserted": 8, "sessions": 2, "rulesets": 0}


# ---------------------------------------------------------------------------------------------
# Names: content and order


def test_conditions_equal_as_dicts_share_one_ruleset():
    # x < 5 * d, its product's operands written in either order (as decide's band conditions are)
    rule = fresh("below")
    before = rule_engine.stats()
    one = rule_engine.register([(rule, {"$lt": {"x": {"$mul": {"$l": {"$m": "d"}, "$r": 5}}}})])
    two = rule_engine.register([(rule, {"$lt": {"x": {"$mul": {"$r": 5, "$l": {"$m": "d"}}}}})])
    assert one == two and delta(before)["rulesets"] == 1
    assert rule_engine.match(one, [{"x": 9, "d": 2}, {"x": 10, "d": 2}]) == [(rule,), ()]


def test_the_same_rules_in_another_order_are_reported_in_that_order():
    # A first-hit table takes the first name reported: the order of the rules is part of the table.
    low, anything = fresh("low"), fresh("any")
    first = rule_engine.register([(low, {"$lt": {"v": 5}}), (anything, None)])
    second = rule_engine.register([(anything, None), (low, {"$lt": {"v": 5}})])
    assert first != second
    assert rule_engine.match(first, [{"v": 1}, {"v": 9}]) == [(low, anything), (anything,)]
    assert rule_engine.match(second, [{"v": 1}, {"v": 9}]) == [(anything, low), (anything,)]


def test_rule_names_with_quotes_and_backslashes_come_back_intact():
    quoted, slashed = fresh('say "hi"'), fresh("back\\slash")
    name = rule_engine.register([(quoted, {"v": 1}), (slashed, None)])
    assert rule_engine.match(name, [{"v": 1}, {"v": 2}]) == [(quoted, slashed), (slashed,)]


# ---------------------------------------------------------------------------------------------
# Counters


def test_a_fresh_process_counts_from_zero():
    # A second copy of the module (its own counters, rulesets and lock; the same durable_rules
    # engine) stands for a fresh process. Only this thread uses it, so the one-lock rule holds.
    copy = importlib.util.module_from_spec(rule_engine.__spec__)
    rule_engine.__spec__.loader.exec_module(copy)
    assert copy.stats() == {"facts_asserted": 0, "sessions": 0, "rulesets": 0}
    name = copy.register([(fresh("odd"), {"v": 1})])
    copy.match(name, [{"v": 1}, {"v": 2}, {"v": 1}])
    assert copy.stats() == {"facts_asserted": 2, "sessions": 1, "rulesets": 1}


# ---------------------------------------------------------------------------------------------
# Firings that cannot be recorded


class Rewriting:
    """durable_rules' engine, but the n-th firing it hands out (from 0) is replaced by `rewrite(message)`.
    The real firings are all taken off the real engine's queue, so its sessions stay clean."""

    def __init__(self, n: int, rewrite):
        self.engine, self.n, self.rewrite, self.seen = rule_engine._get_engine(), n, rewrite, 0

    def __getattr__(self, attr):
        return getattr(self.engine, attr)

    def _message(self, message):
        self.seen += 1
        return self.rewrite(message) if self.seen - 1 == self.n else message

    def start_action_for_state(self, handle, state):
        result = self.engine.start_action_for_state(handle, state)
        return (result[0], self._message(result[1])) if result else result

    def complete_and_start_action(self, handle, state):
        message = self.engine.complete_and_start_action(handle, state)
        return self._message(message) if message else message


def failing_match(monkeypatch, facts, n, rewrite, rule=None):
    rule = rule or fresh("any")
    name = rule_engine.register([(rule, None)])
    monkeypatch.setattr(rule_engine, "_engine", Rewriting(n, rewrite))
    with pytest.raises(EngineError) as caught:
        rule_engine.match(name, facts)
    monkeypatch.undo()
    assert rule_engine._memo[name] == {}  # nothing from the failed session is remembered
    # the engine is left usable: the same facts are decided when nothing interferes
    assert rule_engine.match(name, facts) == [(rule,)] * len(facts)
    return str(caught.value)


@pytest.mark.parametrize("fid", ["3", "-1", "99"])
def test_a_firing_for_a_fact_not_in_the_session_is_an_engine_error_showing_the_firing(monkeypatch, fid):
    facts = [{"v": 10}, {"v": 11}, {"v": 12}]  # fact ids 0, 1, 2
    rewritten = []

    def rewrite(message):
        rewritten.append(re.sub(r'"fid":\s*\d+', f'"fid": {fid}', message))
        return rewritten[-1]

    error = failing_match(monkeypatch, facts, 1, rewrite)
    (message,) = rewritten
    assert f'"fid": {fid}' in message
    assert error.startswith("a rule action failed (ruleset re_")
    assert error.endswith(f", fact {message}): ValueError: fact id {fid} is not one of the session's 3 facts")


def test_a_firing_for_the_first_fact_that_cannot_be_recorded_names_that_fact(monkeypatch):
    class Failing(list):
        def append(self, item):
            raise RuntimeError("recorder failed")

    rule = fresh("any")
    name = rule_engine.register([(rule, None)])
    monkeypatch.setattr(rule_engine, "_sink", Failing())
    with pytest.raises(EngineError) as caught:
        rule_engine.match(name, [{"v": 5}])  # one fact: fact id 0
    assert str(caught.value).endswith(", fact {'v': 5}): RuntimeError: recorder failed")


def test_an_unreadable_firing_is_an_engine_error_showing_its_first_300_characters(monkeypatch):
    garbage = '{"r":{"m":' + "x" * 400  # not JSON, no fact id
    error = failing_match(monkeypatch, [{"v": 1}, {"v": 2}], 0, lambda m: garbage)
    shown = '{"r":{"m":' + "x" * 290  # 10 + 290 = 300 characters
    assert re.fullmatch(r"a rule action failed \(ruleset re_\w+, rule \?, fact (.*)\): JSONDecodeError: .*", error)[1] \
        == shown


# ---------------------------------------------------------------------------------------------
# Conditions durable_rules would read only in part are refused


@pytest.mark.parametrize("condition", [
    {"a": 1, "b": 2},  # durable_rules tests `a` alone
    {},
    {"$gte": {"a": 1, "b": 2}},
    {"$gte": {}},
    {"$gte": 3},
    {"$and": []},  # matches the session's state, not a fact
    {"$or": {"a": 1}},
    {"$and": [{"a": 1}, {"b": 1, "c": 2}]},  # inside a combination too
    {"$or": [{"$lt": {"a": 1, "b": 2}}]},
    [{"a": 1}],
])
def test_a_condition_read_only_in_part_is_refused(condition):
    before = rule_engine.stats()["rulesets"]
    with pytest.raises(ValueError, match="exactly one|non-empty list"):
        rule_engine.register([(fresh("partial"), condition)])
    assert rule_engine.stats()["rulesets"] == before  # nothing registered


@pytest.mark.parametrize("condition", [
    {"a": 1},
    {"$gte": {"a": 2}},
    {"$and": [{"a": 1}]},
    {"$or": [{"a": 1}, {"$lt": {"b": 1}}]},
    {"$gte": {"x": {"$mul": {"$l": {"$m": "d"}, "$r": 5}}}},  # an expression mapping has two keys
])
def test_conditions_of_one_test_per_mapping_are_accepted_and_decide(condition):
    name = fresh("whole")
    ruleset = rule_engine.register([(name, condition)])
    facts = [{"a": 1, "b": 0, "x": 10, "d": 2}, {"a": 0, "b": 5, "x": 9, "d": 2}]
    expected = {  # worked out by hand for the two facts
        "{'a': 1}": [True, False], "{'$gte': {'a': 2}}": [False, False], "{'$and': [{'a': 1}]}": [True, False],
        "{'$or': [{'a': 1}, {'$lt': {'b': 1}}]}": [True, False],
        "{'$gte': {'x': {'$mul': {'$l': {'$m': 'd'}, '$r': 5}}}}": [True, False],
    }[repr(condition)]
    assert [name in names for names in rule_engine.match(ruleset, facts)] == expected
