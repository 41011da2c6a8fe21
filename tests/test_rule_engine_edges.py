"""The durable_rules adapter's limits and failure reports, at their edges.

Expected values are worked out by hand from the limits the adapter promises (its module docstring):
sessions of at most 256 facts, rulesets of at most 63 rules
besides the sentinel, rule names reported in table order, every firing naming a fact of its session.
Every rule name below carries a fresh uuid so each table is new to the process (nothing comes from
the memo or an earlier registration). No fact here matches more than two rules, so no mutant of the
limits can make durable_rules abort the process.
"""
from __future__ import annotations

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
