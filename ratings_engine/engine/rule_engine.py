"""The durable_rules adapter: the only module that talks to durable_rules.

durable_rules 2.0.28 has traps (see DEVELOPERS.md); this module contains them all:

* No `durable.engine.Host` (its dispatcher threads, its Python action callbacks): rulesets are
  created in durable_rules' C engine (`durable_rules_engine`) and driven synchronously on the
  caller's thread, under one lock, because concurrent calls crash the process. After facts are
  asserted, the rule firings are taken from the engine's action queue one by one
  (`start_action_for_state` / `complete_and_start_action`) and recorded here: no Python code runs
  inside durable_rules, so an exception can never be swallowed by it (the Host's action dispatch
  only notes such an exception in the session's state), and no closure or state JSON is built
  per firing.
* Rulesets are named by the hash of their content and created once: the same table compiled
  twice reuses its ruleset.
* Each fact gets a unique `fid`; facts are asserted in small single-session batches, each
  session is deleted afterwards, and identical facts are never sent twice (results are
  memoised per fact content).
* Every ruleset has a sentinel rule matching every fact; a fact that did not get exactly one
  sentinel firing raises EngineError, so a lost or duplicated decision can never go unnoticed;
  so does a firing for a fact id that is not one of its session's.
* Firings only record (fact id, rule name). Hit policies and aggregation happen in Python.
* durable_rules reads one key of a condition mapping and ignores the others silently
  (`{"a": 1, "b": 2}` tests `a` only): `register` refuses such conditions, and an empty `$and`.
* durable_rules 2.0.28 aborts the whole process (`free(): invalid pointer`) when one fact
  matches more than 64 rules, or when more than about 65 distinct rules fire in one session.
  A ruleset therefore holds at most RULES_PER_RULESET rules besides its sentinel: a longer
  table is registered as several rulesets (a group), matched one after the other.
* Any error durable_rules raises while asserting facts or handing out firings (for example its
  C engine running out of sessions), and any failure recording a firing, raises EngineError.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
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
_engine = None
_handles: dict[str, int] = {}  # ruleset name -> durable_rules' handle
_order: dict[str, dict[str, int]] = {}  # ruleset name -> rule name -> position in the table
_groups: dict[str, tuple[str, ...]] = {}  # a long table's name -> the rulesets it is split into
_memo: dict[str, dict[tuple, tuple[str, ...]]] = {}
_sink: list[tuple[int, str]] = []  # (fact id, rule name) of the current session's firings, as recorded
_session_ids = itertools.count(1)
_stats = {"facts_asserted": 0, "sessions": 0}
#: durable_rules' result codes for assert_facts (its Ruleset._handle_result): 2 = already observed.
_OBSERVED = 2


def _get_engine():
    """durable_rules' C engine, imported on first use."""
    global _engine
    if _engine is None:
        import durable_rules_engine

        _engine = durable_rules_engine
    return _engine


#: A firing as durable_rules hands it out: {"<rule>":{"m":{...fact..., "fid": <id>, ...}}}.
_FIRING = re.compile(r'\A\{"([^"\\]+)":\{"m":\{.*"fid":\s*(\d+)[,}]', re.S)


def _record(message: str) -> tuple[int, str]:
    """(fact id, rule name) of one firing (read with a pattern; JSON when the pattern does not fit)."""
    found = _FIRING.match(message)
    if found is not None:
        return int(found[2]), found[1]
    (rule_name, match), = json.loads(message).items()
    return match["m"]["fid"], rule_name


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
        if condition is not None:
            _check_condition(rule_name, condition)
        fact = {"t": FACT_TYPE}
        body[rule_name] = {"all": [{"m": {"$and": [fact, condition]} if condition else fact}]}
    body[SENTINEL] = {"all": [{"m": {"t": FACT_TYPE}}]}
    text = json.dumps(body, sort_keys=True)  # equal conditions give equal text, whatever their key order
    # the name also covers the rules' order, which match() reports rule names in
    name = f"re_{hashlib.sha256((text + json.dumps(list(body))).encode()).hexdigest()[:32]}"
    with _lock:
        if name not in _handles:
            try:
                _handles[name] = _get_engine().create_ruleset(name, text)
            except Exception as exc:  # noqa: BLE001 - a ruleset durable_rules refuses is an engine failure
                raise EngineError(f"durable_rules refused ruleset {name}: {type(exc).__name__}: {exc}") from None
            _order[name] = {rule_name: i for i, rule_name in enumerate(body)}
            _memo[name] = {}
    return name


def _check_condition(rule_name: str, condition: Any) -> None:
    """Refuse a condition durable_rules would read only in part: it honours one key of a mapping
    (`{"a": 1, "b": 2}` tests `a` alone, `{"$gte": {"a": 1, "b": 2}}` too), and an empty `$and`
    matches the session's own state rather than a fact. Several tests are joined with `$and`."""
    if not isinstance(condition, dict) or len(condition) != 1:
        raise ValueError(f"rule {rule_name}: a condition is a mapping of exactly one key (join several tests "
                         f"with $and), not {condition!r}")
    (key, value), = condition.items()
    if key in ("$and", "$or"):
        if not isinstance(value, list) or not value:
            raise ValueError(f"rule {rule_name}: {key} takes a non-empty list of conditions, not {value!r}")
        for part in value:
            _check_condition(rule_name, part)
    elif key.startswith("$") and (not isinstance(value, dict) or len(value) != 1):
        raise ValueError(f"rule {rule_name}: {key} compares exactly one field (join several with $and), not {value!r}")


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
        keys = [tuple(f.items()) for f in facts]  # producers build facts with a fixed key order
        todo = list(dict.fromkeys(k for k in keys if k not in memo))
        if todo:
            order = _order[ruleset]
            for start in range(0, len(todo), SESSION_SIZE):
                chunk = todo[start : start + SESSION_SIZE]
                for key, names in zip(chunk, _assert_session(ruleset, [dict(k) for k in chunk])):
                    memo[key] = tuple(sorted(names, key=order.__getitem__))
        return [memo[k] for k in keys]


def _assert_session(ruleset: str, facts: list[dict]) -> list[list[str]]:
    """Assert facts in one fresh session and collect its firings; every fact must be seen exactly once."""
    engine = _get_engine()
    handle = _handles[ruleset]
    sid = f"s{next(_session_ids)}"
    batch = [{**fact, "t": FACT_TYPE, "fid": i, "sid": sid} for i, fact in enumerate(facts)]
    failure = None
    _sink.clear()
    try:
        try:
            code, state = engine.assert_facts(handle, json.dumps(batch))
            collided = code == _OBSERVED  # two distinct facts hashed alike (32-bit identity)
            # Every firing is taken off the engine's queue (a refused batch may have queued some:
            # they are drained, not recorded), so no session is deleted with actions pending.
            result = engine.start_action_for_state(handle, state)
            message = result[1] if result else None
            while message:
                fid, rule_name = None, "?"
                if not collided:
                    try:
                        fid, rule_name = _record(message)
                        if not 0 <= fid < len(facts):
                            raise ValueError(f"fact id {fid} is not one of the session's {len(facts)} facts")
                        _sink.append((fid, rule_name))
                    except Exception as exc:  # noqa: BLE001 - reported after the session is cleaned up
                        failure = failure or (fid, rule_name, message, f"{type(exc).__name__}: {exc}")
                message = engine.complete_and_start_action(handle, state)
        except Exception as exc:  # noqa: BLE001 - a durable_rules failure is never a rating
            raise EngineError(f"durable_rules failed asserting facts (ruleset {ruleset}): "
                              f"{type(exc).__name__}: {exc}") from None
        hits = list(_sink)
    finally:
        _sink.clear()
        try:
            engine.delete_state(handle, sid)
        except Exception as exc:  # noqa: BLE001
            raise EngineError(f"durable_rules could not delete session {sid} of ruleset {ruleset}: {exc}") from None
        _stats["sessions"] += 1
        _stats["facts_asserted"] += len(facts)
    if failure is not None:
        fid, rule_name, message, error = failure
        fact = facts[fid] if isinstance(fid, int) and 0 <= fid < len(facts) else message[:300]
        raise EngineError(f"a rule action failed (ruleset {ruleset}, rule {rule_name}, fact {fact}): {error}")
    if collided:
        if len(facts) == 1:
            raise EngineError(f"durable_rules rejected a fact as already observed: {facts[0]}")
        return [decision for fact in facts for decision in _assert_session(ruleset, [fact])]  # one each
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
        return {**_stats, "rulesets": len(_handles)}
