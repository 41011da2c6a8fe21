"""The workbench's editable tables: a rulebook's rows as form fields, and form fields back as rows.

The form is plain JSON the page sends on every edit:

    {"key_question_bands": [{"id", "then", "min", "above", "max", "below"}, ...],
     "overall_bands": [{"id", "then", "scored", "score_min", ..., "mean_below", "counts"}, ...],
     "limits": [{"id", "enabled", "cap", "description", <the same conditions>, "counts"}, ...]}

Every value is text as typed (numbers, or a YAML flow list for `counts`, e.g.
`[{ratings: [Inadequate], min: 2}]`), read here with the same safe YAML loader and limits as
rulebook files; a row keeps what the form does not show (provenance, notes), and a row added in
the form is graded `uncertain` with the workbench as its source. The candidate is then
validated like any rulebook file.

Changes, for attribution: the key-question band table is one change, the overall band table
one change, and each limit row one change (a limit switched on or off, added or removed).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..io.candidates import plain
from ..io.yaml_files import parse_yaml_mapping
from ..model.errors import InputError
from ..model.rulebook import Rulebook
from .attribution import ChangeSpec

KQ_FIELDS = ("min", "above", "max", "below")
AGGREGATE_FIELDS = ("scored", "score_min", "score_max", "mean_min", "mean_above", "mean_max", "mean_below")
WHOLE = {"scored", "score_min", "score_max"}
MAX_FIELD = 2000
MAX_ROWS = 200
PROPOSED = {"grade": "uncertain", "source": "Proposed in the workbench (rate serve): a what-if, not HMIP practice"}
TABLES = {"key_question_bands": "key_question_bands.rows", "overall_bands": "overall.bands.rows",
          "limits": "overall.limits"}


@dataclass(frozen=True)
class FormChange:
    spec: ChangeSpec
    table: str  # key in TABLES' values: which part of the rulebook the change replaces
    value: Any  # that part, as it is with only this change made to the base


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _flow(value)
    return str(value)


def _flow(value: Any) -> str:
    """A plain list/dict as a one-line YAML flow value, e.g. [{ratings: [Inadequate], min: 2}]."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value) if any(c in value for c in ",:[]{}#'\"") or value != value.strip() else value
    return json.dumps(value)


def form_of(rb: Rulebook) -> dict:
    """The editable tables of a rulebook as form state (all values as text)."""
    data = plain(rb)
    limits = (data["overall"].get("limits") or {}).get("rows", [])
    return {
        "key_question_bands": [{"id": r["id"], "then": r["then"], **{k: _text(r.get(k)) for k in KQ_FIELDS}}
                               for r in data["key_question_bands"]["rows"]],
        "overall_bands": [{"id": r["id"], "then": r["then"], **{k: _text(r.get(k)) for k in AGGREGATE_FIELDS},
                           "counts": _text(r.get("counts"))} for r in data["overall"]["bands"]["rows"]],
        "limits": [{"id": r["id"], "enabled": bool(r["enabled"]), "cap": r["cap"], "description": r["description"],
                    **{k: _text(r.get(k)) for k in AGGREGATE_FIELDS}, "counts": _text(r.get("counts"))}
                   for r in limits],
    }


# ---------------------------------------------------------------------------------------------
# Form -> rows


def _number(text: str, where: str, whole: bool) -> int | float:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite():
        raise InputError(f"{where}: {text!r} is not a number")
    if value == value.to_integral_value():
        return int(value)
    if whole:
        raise InputError(f"{where}: {text!r} is not a whole number")
    return float(value)


def _counts(text: str, where: str) -> list:
    if "\n" in text or "\r" in text:
        raise InputError(f"{where}: write the count conditions on one line, e.g. [{{ratings: [Inadequate], min: 2}}]")
    data = parse_yaml_mapping(f"counts: {text}".encode(), where, "form field")
    value = json.loads(json.dumps(data["counts"]))  # plain lists and dicts
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}: count conditions are a list, e.g. [{{ratings: [Inadequate], min: 2}}]")
    return value


def _field(row: dict, key: str, where: str) -> str:
    value = row.get(key, "")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, (str, int, float)):
        raise InputError(f"{where}: {key} must be text")
    text = str(value).strip()
    if len(text) > MAX_FIELD:
        raise InputError(f"{where}: {key} is {len(text):,} characters; the limit is {MAX_FIELD:,}")
    return text


def _rows(form: dict, name: str) -> list[dict]:
    rows = form.get(name, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise InputError(f"form: {name} must be a list of rows")
    if len(rows) > MAX_ROWS:
        raise InputError(f"form: {name} has {len(rows)} rows; the limit is {MAX_ROWS}")
    return rows


def _row(form_row: dict, base_rows: dict[str, dict], table: str, fields: tuple[str, ...], outcome: str,
         extra: tuple[str, ...] = ()) -> dict:
    rid = _field(form_row, "id", f"{table}: a row")
    where = f"{table} row {rid or '(no id)'}"
    if not rid:
        raise InputError(f"{where}: give the row an id")
    base = dict(base_rows.get(rid) or {"provenance": dict(PROPOSED)})
    for key in (*fields, "counts", outcome, *extra):
        base.pop(key, None)
    row = {"id": rid}
    for key in fields:
        text = _field(form_row, key, where)
        if text:
            row[key] = _number(text, f"{where}, {key}", key in WHOLE)
    row[outcome] = _field(form_row, outcome, where)
    for key in extra:
        if key == "enabled":
            row[key] = form_row.get(key) in (True, "true", "on", 1)
        else:
            row[key] = _field(form_row, key, where)
    if "counts" in form_row:
        counts = _counts(_field(form_row, "counts", where), f"{where}, counts")
        if counts:
            row["counts"] = counts
    return {**row, **{k: v for k, v in base.items() if k not in row}}


def candidate_tables(rb: Rulebook, form: dict) -> tuple[dict[str, Any], list[FormChange]]:
    """The tables of the candidate ({TABLES value: rows}) and its changes, each alone as a table of the base."""
    if not isinstance(form, dict):
        raise InputError("form: expected a mapping of tables")
    unknown = set(form) - set(TABLES)
    if unknown:
        raise InputError(f"form: unknown table(s) {', '.join(sorted(unknown))}")
    data = plain(rb)
    base_kq = data["key_question_bands"]["rows"]
    base_ob = data["overall"]["bands"]["rows"]
    base_limits = data["overall"].get("limits") or {"provenance": dict(PROPOSED), "rows": []}
    kq = [_row(r, {x["id"]: x for x in base_kq}, "key-question bands", KQ_FIELDS, "then")
          for r in _rows(form, "key_question_bands")] if "key_question_bands" in form else base_kq
    ob = [_row(r, {x["id"]: x for x in base_ob}, "overall bands", AGGREGATE_FIELDS, "then")
          for r in _rows(form, "overall_bands")] if "overall_bands" in form else base_ob
    lim_rows = [_row(r, {x["id"]: x for x in base_limits["rows"]}, "limits", AGGREGATE_FIELDS, "cap",
                     ("enabled", "description")) for r in _rows(form, "limits")] if "limits" in form \
        else base_limits["rows"]
    tables: dict[str, Any] = {}
    changes: list[FormChange] = []
    if kq != base_kq:
        tables["key_question_bands.rows"] = kq
        changes.append(FormChange(_spec("key-question bands", base_kq, kq, "key_question_bands.rows"),
                                  "key_question_bands.rows", kq))
    if ob != base_ob:
        tables["overall.bands.rows"] = ob
        changes.append(FormChange(_spec("overall bands", base_ob, ob, "overall.bands.rows"), "overall.bands.rows", ob))
    if lim_rows != base_limits["rows"]:
        tables["overall.limits"] = {**base_limits, "rows": lim_rows}
        changes.extend(_limit_changes(base_limits, lim_rows))
    return tables, changes


def _spec(table: str, before: list[dict], after: list[dict], path: str) -> ChangeSpec:
    return ChangeSpec(f"{table}: {'; '.join(_row_differences(before, after))}", (f"{path}={json.dumps(after)}",))


def _row_differences(before: list[dict], after: list[dict]) -> list[str]:
    old = {r["id"]: r for r in before}
    new = {r["id"]: r for r in after}
    out = []
    for i, r in enumerate(after):
        if r["id"] not in old:
            out.append(f"add row {r['id']} (position {i + 1}: {_conditions(r)})")
            continue
        o = r and old[r["id"]]
        fields = [k for k in dict.fromkeys([*o, *r]) if k != "provenance" and o.get(k) != r.get(k)]
        if fields:
            out.append(f"{r['id']} " + ", ".join(f"{k} {_show(o.get(k))} -> {_show(r.get(k))}" for k in fields))
    out += [f"remove row {rid}" for rid in old if rid not in new]
    kept_old = [rid for rid in old if rid in new]
    kept_new = [r["id"] for r in after if r["id"] in old]
    if kept_old != kept_new:
        out.append("rows reordered")
    return out or ["no difference"]


def _conditions(row: dict) -> str:
    parts = [f"{k} {_show(v)}" for k, v in row.items() if k not in ("id", "provenance", "note", "description")]
    return ", ".join(parts)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    return _flow(value) if isinstance(value, (list, dict)) else str(value)


def _limit_changes(base_limits: dict, rows: list[dict]) -> list[FormChange]:
    old = {r["id"]: r for r in base_limits["rows"]}
    new = {r["id"]: r for r in rows}
    changes = []
    for rid in dict.fromkeys([*old, *new]):
        o, n = old.get(rid), new.get(rid)
        if o == n:
            continue
        if o is None:
            alone = [*base_limits["rows"], n]
            label = f"limit {rid}: add ({'on' if n['enabled'] else 'off'}, cap {n['cap']}: {_conditions(n)})"
        elif n is None:
            alone = [r for r in base_limits["rows"] if r["id"] != rid]
            label = f"limit {rid}: remove"
        else:
            alone = [n if r["id"] == rid else r for r in base_limits["rows"]]
            diffs = [k for k in dict.fromkeys([*o, *n]) if o.get(k) != n.get(k)]
            if diffs == ["enabled"]:
                label = f"limit {rid}: switched {'on' if n['enabled'] else 'off'}"
            else:
                label = f"limit {rid}: " + ", ".join(f"{k} {_show(o.get(k))} -> {_show(n.get(k))}" for k in diffs)
        value = {**base_limits, "rows": alone}
        changes.append(FormChange(ChangeSpec(label, (f"overall.limits={json.dumps(value)}",)), "overall.limits", value))
    return changes
