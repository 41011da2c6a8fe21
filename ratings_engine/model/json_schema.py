"""The published JSON Schemas of rulebooks, generated from the pydantic models.

Two schemas, both written to `rules/` by `scripts/make_rulebook_schema.py` (a test checks the
committed files equal what this module generates):

* `rulebook.schema.json`: a complete rulebook (every required key, unknown keys refused);
* `rulebook-extends.schema.json`: a rulebook that `extends` another: every key optional (the
  parent gives the rest), the merge keys `$remove`, `$replace`, `$before`, `$after` allowed,
  and `extends` required.

Shipped rulebooks name theirs in a first-line comment, `# yaml-language-server:
$schema=rulebook.schema.json`, so editors with a YAML language server validate and complete a
rulebook as it is typed. Comments are not content: the rulebook's hash does not change. The
schema checks shape only; the loader's cross-checks (references, outcomes, samples) and
`rate check-rules` check the rest.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from .rulebook import Rulebook

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FULL_NAME = "rulebook.schema.json"
EXTENDS_NAME = "rulebook-extends.schema.json"

_MERGE_KEYS = {
    "$remove": {"const": True, "description": "Remove the parent's item with this id (list items only)."},
    "$replace": {"const": True, "description": "Replace the parent's value instead of merging into it."},
    "$before": {"type": "string", "description": "Place this item just before the item with this id."},
    "$after": {"type": "string", "description": "Place this item just after the item with this id."},
}


def rulebook_schema() -> dict[str, Any]:
    """The JSON Schema of a complete rulebook."""
    schema = Rulebook.model_json_schema(by_alias=True, mode="validation")
    out = {"$schema": DRAFT, "$id": FULL_NAME, "title": "ratings-engine rulebook",
           "description": ("A declarative rating rulebook (docs/frameworks.md, README 'Rulebook format'). Generated "
                           "from ratings_engine.model.rulebook; the loader also cross-checks references.")}
    out.update({k: v for k, v in schema.items() if k != "title"})
    return out


def extends_schema() -> dict[str, Any]:
    """The JSON Schema of a rulebook that extends another: keys optional, merge keys allowed."""
    schema = copy.deepcopy(rulebook_schema())
    schema["$id"] = EXTENDS_NAME
    schema["title"] = "ratings-engine rulebook that extends another"
    schema["description"] = ("A rulebook merged onto the one it extends (docs/frameworks.md, 'Deriving one rulebook "
                             "from another'): every key optional; $remove, $replace, $before, $after merge keys.")
    for node in [schema, *schema.get("$defs", {}).values()]:
        _relax(node)
    schema["properties"]["extends"] = {"type": "string", "description": "The rulebook this one extends: a shipped "
                                       "rulebook id, or a file in this rulebook's folder."}
    schema["required"] = ["extends"]
    return schema


def _relax(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.pop("required", None)
            for key, sub in _MERGE_KEYS.items():
                node["properties"].setdefault(key, dict(sub))
        for key in ("minItems",):
            node.pop(key, None)  # a child list may hold one changed item of many
        for value in node.values():
            _relax(value)
    elif isinstance(node, list):
        for value in node:
            _relax(value)


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as the committed file's text (stable: sorted keys, two-space indent, newline)."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> text of every published schema."""
    return {FULL_NAME: schema_text(rulebook_schema()), EXTENDS_NAME: schema_text(extends_schema())}
