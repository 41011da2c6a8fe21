"""The durable_rules adapter: the only module that talks to durable_rules.

durable_rules 2.0.28 has traps (see DEVELOPERS.md); this module contains them all:

* One Host per process, with its background dispatcher threads switched off (`_run` does
  nothing): every call is driven synchronously on the caller's thread, under one lock, because
  concurrent calls on one Host crash the process.
* Rulesets are named by the hash of their content and registered once: the same table
  compiled twice reuses its ruleset, and a copy of the definition is registered because
  registering mutates it.
* Each fact gets a unique `fid`; facts are asserted in small single-session batches, each
  session is deleted afterwards, and identical facts are never sent twice (results are
  memoised per fact content).
* Every ruleset has a sentinel rule matching every fact; a fact that did not get exactly one
  sentinel hit raises EngineError, so a lost or duplicated action can never go unnoticed.
* Actions only record (fact id, rule name). Hit policies and aggregation happen in Python.
* durable_rules 2.0.28 aborts the whole process (`free(): invalid pointer`) when one fact
  matches more than 64 rules, or when more than about 65 distinct rules fire in one session.
  A ruleset therefore holds at most RULES_PER_RULESET rules besides its sentinel: a longer
  table is registered as several rulesets (a group), matched one after the other.
* durable_rules swallows an exception raised in an action (it only notes it in the session's
  state), which would lose a match without a word: every action is guarded, and a failure
  raises EngineError. So does any error durable_rules itself raises while asserting facts
  (for example its C engine running out of sessions).
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import threading
from typing import Any, Sequence

from ..model.errors import EngineError

SENTINEL = "__seen__"
FACT_TYPE = "fact"
#: Facts per session: small enough that 32-bit fact identities practically never collide.
SESSION_SIZE = 256
#: Rules per durable_rules ruleset besides the sentinel (see the module docstring): with at most
#: this many, no fact can match, and no session fire, more rules than durable_rules survives.
RULES_PER_RULESET = 63

_lock = threading.RLock()
_host = None
_registered: dict[str, int] = {}  # ruleset name -> number of rules
_groups: dict[str, tuple[str, ...]] = {}  # a long table's name -> the rulesets it is split into
_memo: dict[str, dict[tuple, tuple[str, ...]]] = {}
_sink: list[tuple[int, str]] = []
_failures: list[tuple[Any, str, str]] = []  # (fact id, rule name, error) of actions that raised
_session_ids = itertools.count(1)
_stats = {"facts_asserted": 0, "sessions": 0}


def _get_host():
    global _host
    if _host is None:
        import durable.engine

        class SynchronousHost(durable.engine.Host):
            """A Host whose timer/dispatch threads are never started."""

            def _run(self) -> None:  # noqa: D401 - overriding durable's thread start-up
                return None

        _host = SynchronousHost()
    return _host


def _record(rule_name: str):
    def action(c) -> None:
        _sink.append((c.m["fid"], rule_name))

    return action


def _guarded(rule_name: str):
    """The recording action, with any exception it raises noted (durable_rules would swallow it)."""
    record = _record(rule_name)

    def action(c) -> None:
        try:
            record(c)
        except BaseException as exc:  # noqa: BLE001 - reported as an EngineError after the session
            try:
                fid = c.m["fid"]
            except Exception:  # noqa: BLE001
                fid = None
            _failures.append((fid, rule_name, f"{type(exc).__name__}: {exc}"))

    return action


def register(conditions: Sequence[tuple[str, dict | None]]) -> str:
    """Register a ruleset whose rules are `(rule name, condition)`; return its name.

    A condition is a durable_rules JSON condition over the fact's fields (e.g.
    `{"$gte": {"x": 5}}`) or None for a rule that matches every fact. The ruleset's name is the
    hash of its content, so registering the same rules again is free. More than
    RULES_PER_RULESET rules are split over several rulesets, behind one name.
    """
    conditions = list(conditions)
    if len(conditions) > RULES_PER_RULESET:
        parts = tuple(register(conditions[i: i + RULES_PER_RULESET])
                      for i in range(0, len(conditions), RULES_PER_RULESET))
        name = "rg_" + hashlib.sha256(" ".join(parts).encode()).hexdigest()[:32]
        with _lock:
            _groups[name] = parts
        return name
    body: dict[str, Any] = {}
    for rule_name, condition in conditions:
        if rule_name == SENTINEL:
            raise ValueError(f"{SENTINEL} is reserved")
        parts = [{"t": FACT_TYPE}] + ([condition] if condition else [])
        body[rule_name] = {"all": [{"m": parts[0] if len(parts) == 1 else {"$and": parts}}]}
    body[SENTINEL] = {"all": [{"m": {"t": FACT_TYPE}}]}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
    name = f"re_{digest}"
    with _lock:
        if name not in _registered:
            definition = copy.deepcopy(body)  # durable_rules mutates what it registers
            for rule_name, rule in definition.items():
                rule["run"] = _guarded(rule_name)
            _get_host().register_rulesets({name: definition})
            _registered[name] = len(body)
            _memo[name] = {}
    return name


def match(ruleset: str, facts: Sequence[dict[str, int]]) -> list[tuple[str, ...]]:
    """For each fact (a flat dict of integers), the names of the rules it matched.

    Rule names come back in registration order. Results are memoised per fact content: a fact
    seen before is not sent to durable_rules again.
    """
    if ruleset in _groups:
        per_part = [match(part, facts) for part in _groups[ruleset]]
        return [tuple(name for names in matched for name in names) for matched in zip(*per_part)]
    with _lock:
        memo = _memo[ruleset]
        keys = [tuple(sorted(f.items())) for f in facts]
        todo = list(dict.fromkeys(k for k in keys if k not in memo))
        if todo:
            order = _rule_order(ruleset)
            for start in range(0, len(todo), SESSION_SIZE):
                chunk = todo[start : start + SESSION_SIZE]
                for key, names in zip(chunk, _assert_session(ruleset, [dict(k) for k in chunk])):
                    memo[key] = tuple(sorted(names, key=order.__getitem__))
        return [memo[k] for k in keys]


def _rule_order(ruleset: str) -> dict[str, int]:
    definition = _get_host().get_ruleset(ruleset)._definition
    return {name: i for i, name in enumerate(definition)}


def _assert_session(ruleset: str, facts: list[dict]) -> list[list[str]]:
    """Assert facts in one fresh session; every fact must be seen exactly once."""
    from durable.engine import MessageObservedException

    host = _get_host()
    sid = f"s{next(_session_ids)}"
    batch = [{**fact, "t": FACT_TYPE, "fid": i, "sid": sid} for i, fact in enumerate(facts)]
    _sink.clear()
    _failures.clear()
    collided = False
    try:
        try:
            host.assert_facts(ruleset, batch)
        except MessageObservedException:
            collided = True  # two distinct facts hashed alike (32-bit identity)
        except Exception as exc:  # noqa: BLE001 - a durable_rules failure is never a rating
            raise EngineError(f"durable_rules failed asserting facts (ruleset {ruleset}): "
                              f"{type(exc).__name__}: {exc}") from None
        hits = list(_sink)
        failures = list(_failures)
    finally:
        _sink.clear()
        _failures.clear()
        try:
            host.delete_state(ruleset, sid)
        except Exception as exc:  # noqa: BLE001
            raise EngineError(f"durable_rules could not delete session {sid} of ruleset {ruleset}: {exc}") from None
        _stats["sessions"] += 1
        _stats["facts_asserted"] += len(facts)
    if failures:
        fid, rule_name, error = failures[0]
        fact = facts[fid] if isinstance(fid, int) and 0 <= fid < len(facts) else fid
        raise EngineError(f"a rule action failed (ruleset {ruleset}, rule {rule_name}, fact {fact}): {error}")
    if collided:
        if len(facts) == 1:
            raise EngineError(f"durable_rules rejected a fact as already observed: {facts[0]}")
        return [_assert_session(ruleset, [fact])[0] for fact in facts]
    seen = [0] * len(facts)
    matched: list[list[str]] = [[] for _ in facts]
    for fid, rule_name in hits:
        if rule_name == SENTINEL:
            seen[fid] += 1
        else:
            matched[fid].append(rule_name)
    bad = [facts[i] for i, n in enumerate(seen) if n != 1]
    if bad:
        raise EngineError(f"durable_rules did not decide every fact exactly once (ruleset {ruleset}, e.g. {bad[0]})")
    return matched


def stats() -> dict[str, int]:
    """Counters for benchmarks and tests: facts asserted, sessions used, rulesets registered."""
    with _lock:
        return {**_stats, "rulesets": len(_registered)}
