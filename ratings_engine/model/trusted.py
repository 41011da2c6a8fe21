"""Rebuilding a pydantic model that was validated before, from its JSON data, without validating again.

A rulebook read from the cache is a `model.light` record; when something asks it for pydantic's
own API (`model_dump`, `model_fields`, ...) the equivalent pydantic model is built here: this
module walks the models' declared fields and builds each value with `model_construct`, as the
types the models declare (tuples, Decimal, date, nested models), without building pydantic's
schemas. The data comes from content checked against its hash (`io.rulebook_cache`).
"""
from __future__ import annotations

import types
import typing
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel



def construct(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """A model (and its nested models) from the JSON data of one validated before, not validated again."""
    return _construct(model, data)


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
