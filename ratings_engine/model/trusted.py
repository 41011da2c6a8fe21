"""Rebuilding a rulebook that was validated before, from its canonical JSON, without validating again.

`io.rulebook_cache` keeps the canonical JSON of every validated rulebook file (the text its
content hash is taken of). Loading it back must not execute anything and should not pay for
pydantic's schema building: this module walks the models' declared fields and builds each value
with `model_construct` (the JSON text has been checked against its content hash by then, and
was written by `Rulebook.canonical_json` from a validated rulebook). Values come back as the
types the models declare (tuples, Decimal, date, nested models), so the result equals the
validated rulebook (`tests/test_rulebook_cache.py`).
"""
from __future__ import annotations

import types
import typing
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel

from .rulebook import Rulebook


def rulebook_from_canonical(data: dict[str, Any], canonical_json: str, sha256: str) -> Rulebook:
    """A Rulebook from the parsed canonical JSON of a validated rulebook, with its hash known."""
    rulebook = _construct(Rulebook, data)
    # The derived text and hash are what they were: keep them (cached properties) rather than re-dump.
    rulebook.__dict__["canonical_json"] = canonical_json
    rulebook.__dict__["sha256"] = sha256
    return rulebook


def _construct(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    if not isinstance(data, dict):
        raise TypeError(f"{model.__name__}: expected a mapping, not {type(data).__name__}")
    values = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in data:
            values[name] = _value(field.annotation, data[key])
    unknown = set(data) - {field.alias or name for name, field in model.model_fields.items()}
    if unknown:
        raise TypeError(f"{model.__name__}: unknown keys {sorted(unknown)}")
    return model.model_construct(**values)


def _value(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _value(args[0], value)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        kinds = [a for a in args if a is not type(None)]
        if len(kinds) != 1:
            raise TypeError(f"cannot rebuild a value of {annotation}")
        return _value(kinds[0], value)
    if origin is tuple:
        return tuple(_value(args[0], item) for item in value)
    if origin is dict:
        return {k: _value(args[1], v) for k, v in value.items()}
    if origin is Literal or annotation in (str, int, bool):
        return value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _construct(annotation, value)
    if annotation is Decimal:
        return Decimal(value)
    if annotation is date:
        return date.fromisoformat(value)
    raise TypeError(f"cannot rebuild a value of {annotation}")
