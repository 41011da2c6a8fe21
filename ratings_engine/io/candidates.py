"""A candidate rulebook written as YAML that `extends` its base: only what differs, in the right order.

`overlay(parent, child)` is the inverse of `io.extends`' merge: the smallest mapping that, merged
onto `parent` by `extends`, gives `child`. Mappings keep only the keys that differ; lists of
items with ids keep only changed items (merged by id), new ones, and `{id: X, $remove: true}`
for removed ones. Merging appends new items at the end of a list, so when the child's order is
not what merging would give (a row inserted before the fallback rows of a `first` table, rows
reordered) the enclosing mapping is written whole with `$replace: true`: a row added through
`extends` never silently lands after the fallback rows. A key the child lacks (a bound removed)
likewise replaces its mapping whole.

`candidate_yaml` writes the file; loading it back gives the candidate's exact content (the
tests check the content hash).
"""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from ..model.rulebook import Rulebook

REPLACE, REMOVE = "$replace", "$remove"
_NEEDS_REPLACE = object()


def plain(rulebook: Rulebook) -> dict:
    """A rulebook as plain data (dicts, lists, str, int, float, bool), absent values left out."""
    return _plain(rulebook.model_dump(mode="python", by_alias=True, exclude_none=True))


def _plain(node: Any) -> Any:
    if isinstance(node, dict):  # ids first (as people write rows); empty count lists (the default) left out
        first = [k for k in ("id", "domain") if k in node]
        return {k: _plain(node[k]) for k in [*first, *(k for k in node if k not in first)]
                if not (k == "counts" and not node[k])}
    if isinstance(node, (list, tuple)):
        return [_plain(v) for v in node]
    if isinstance(node, Decimal):
        return int(node) if node == node.to_integral_value() else float(node)
    if isinstance(node, date):
        return node.isoformat()
    return node


def _identity(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("id", "domain"):
            if key in item and isinstance(item[key], (str, int)) and not isinstance(item[key], bool):
                return f"{key}={item[key]}"
    return None


def _id_list(items: Any) -> bool:
    return isinstance(items, list) and bool(items) and all(_identity(i) is not None for i in items)


def overlay(parent: dict, child: dict) -> dict:
    """The mapping that `extends: parent` needs to give `child` (see the module docstring)."""
    out = _overlay_map(parent, child)
    if out is _NEEDS_REPLACE:  # a top-level key removed or a top-level list reordered
        raise ValueError("the candidate lacks a top-level key of its base, or reorders a top-level list; "
                         "it cannot be written as extending it")
    return out


def _overlay_map(parent: dict, child: dict) -> Any:
    if any(k not in child for k in parent):
        return _NEEDS_REPLACE
    out: dict = {}
    for key, value in child.items():
        if key not in parent:
            out[key] = value
        elif value != parent[key]:
            out[key] = _overlay_value(parent[key], value)
            if out[key] is _NEEDS_REPLACE:  # a list whose order merging cannot give
                return _NEEDS_REPLACE
    return out


def _overlay_value(parent: Any, child: Any) -> Any:
    if isinstance(parent, dict) and isinstance(child, dict):
        inner = _overlay_map(parent, child)
        return {REPLACE: True, **child} if inner is _NEEDS_REPLACE else inner
    if _id_list(parent) and _id_list(child):
        return _overlay_list(parent, child)
    return child


def _overlay_list(parent: list, child: list) -> Any:
    by_id = {_identity(i): i for i in parent}
    child_ids = [_identity(i) for i in child]
    kept = [_identity(i) for i in parent if _identity(i) in set(child_ids)]
    new = [i for i in child_ids if i not in by_id]
    if child_ids != kept + new or len(set(child_ids)) != len(child_ids):
        return _NEEDS_REPLACE  # merging would give another order: its mapping is written whole
    items: list = []
    for item in child:
        ident = _identity(item)
        if ident not in by_id:
            items.append(item)
        elif item != by_id[ident]:
            inner = _overlay_map(by_id[ident], item)
            key, value = ident.split("=", 1)
            items.append({REPLACE: True, **item} if inner is _NEEDS_REPLACE else {key: item[key], **inner})
    for item in parent:
        if _identity(item) not in set(child_ids):
            key = _identity(item).split("=", 1)[0]
            items.append({key: item[key], REMOVE: True})
    return items


def extends_mapping(base: Rulebook, base_ref: str, candidate: Rulebook) -> dict:
    """`{extends: base_ref, ...overlay}`: a rulebook file's content that extends `base` to give `candidate`."""
    return {"extends": base_ref, **overlay(plain(base), plain(candidate))}


def candidate_yaml(base: Rulebook, base_ref: str, candidate: Rulebook, comment: str = "") -> str:
    """The YAML text of `extends_mapping`, with `comment` lines at the top."""
    from ruamel.yaml import YAML

    data = extends_mapping(base, base_ref, candidate)
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None  # flow style for leaf collections: one row per line
    yaml.width = 120
    yaml.sort_base_mapping_type_on_output = False
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return header + buffer.getvalue()
