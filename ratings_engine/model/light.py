"""Rulebooks without pydantic: frozen records rebuilt from the rulebook cache.

Importing pydantic and building the rulebook models is most of what `rate` spends beyond pandas
and durable_rules on a small rating. A rulebook validated before is kept in the cache
(`io.rulebook_cache`) as a *typed tree*: every model node names its model and lists its fields
(name, alias, value), Decimals and dates are marked. `records_from_tree` rebuilds it as
`Record`s: frozen, hashable by content, with the same field names and value types as the
pydantic models (tuples, Decimal, date, nested records), and, for the rulebook itself, the
views of `model.views.RulebookViews`. The tree is checked against the hashed canonical JSON
(`canonical_of_tree`) before use, so it holds exactly the content the hash vouches for.

A record offers only its fields (and the views). Anything pydantic offers besides
(`model_dump`, `model_fields`, `model_copy`, ...) is delegated to the equivalent pydantic model,
built on first such use (`model.trusted`): the record then reads like the validated model.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from .views import EffectiveViews, RulebookViews, StandardViews

_MODEL, _DECIMAL, _DATE, _MAP = "$model", "$decimal", "$date", "$map"


class _RecordType(type):
    """Record classes answer pydantic's class-level questions (`model_fields`, ...) via the real model."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(_pydantic_class(cls._model_name), name)


class Record(metaclass=_RecordType):
    """A frozen record of one validated model's fields."""

    _fields: tuple[tuple[str, str, bool], ...] = ()  # (name, alias, in the canonical JSON) per field, in order
    _model_name = ""  # the pydantic model this is a record of

    def __init__(self, fields: tuple[tuple[str, str, bool], ...], values: dict[str, Any]):
        object.__setattr__(self, "_fields", fields)
        self.__dict__.update(values)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # as pydantic models: (field, value) pairs
        return ((name, self.__dict__[name]) for name, _, _ in self._fields)

    def _key(self) -> tuple:
        values = (self.__dict__[name] for name, _, _ in self._fields)
        return (self._model_name, tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v for v in values))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return self._key() == other._key()
        if type(other).__name__ == self._model_name and hasattr(other, "model_dump"):  # the validated model
            return _plain(self) == other.model_dump(mode="json", by_alias=True)
        return NotImplemented

    def __hash__(self) -> int:  # frozen: computed once (provenances are hashed for every decision written)
        value = self.__dict__.get("_hash")
        if value is None:
            value = self.__dict__["_hash"] = hash(self._key())
        return value

    def __reduce__(self):  # picklable although its class is made at run time
        state = {k: v for k, v in self.__dict__.items() if k not in ("_model", "_hash")}
        return (_rebuild, (self._model_name, self._fields, state))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={self.__dict__[n]!r}' for n, _, _ in self._fields)})"

    def __getattr__(self, name: str) -> Any:  # only for names that are not fields or views
        if name.startswith("_") or name == "keys":  # `keys`: dict(record) asks, as it asks a pydantic model
            raise AttributeError(name)
        return getattr(self._as_model(), name)

    def _as_model(self):
        model = self.__dict__.get("_model")
        if model is None:
            from .trusted import construct

            model = construct(_pydantic_class(self._model_name), _plain(self))
            self.__dict__["_model"] = model
        return model


class RulebookRecord(Record, RulebookViews):
    """The rulebook itself: its fields, the views, and its canonical JSON and hash (from the cache)."""

    _model_name = "Rulebook"


class StandardRecord(Record, StandardViews):
    _model_name = "Standard"


class EffectiveRecord(Record, EffectiveViews):
    _model_name = "Effective"


_classes: dict[str, type] = {"Rulebook": RulebookRecord, "Standard": StandardRecord, "Effective": EffectiveRecord}


def _record_class(name: str) -> type:
    if name not in _classes:
        _classes[name] = _RecordType(name, (Record,), {"__module__": __name__, "_model_name": name})
    return _classes[name]


def _rebuild(model_name: str, fields: tuple, state: dict) -> Record:
    record = _record_class(model_name)(fields, {})
    record.__dict__.update(state)
    return record


def _pydantic_class(name: str) -> type:
    from . import rulebook

    return getattr(rulebook, name)


# ---------------------------------------------------------------------------------------------
# Typed trees


def tree_of(rulebook: Any) -> Any:
    """A validated pydantic rulebook as a typed tree (JSON-ready): written to the cache. Each field
    says whether the rulebook's canonical JSON holds it (a field at its default may be left out)."""
    return _tree(rulebook, rulebook.model_dump(mode="json", by_alias=True))


def _tree(value: Any, dumped: Any) -> Any:
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        out = []
        for name, field in fields.items():
            alias = field.alias or name
            kept = isinstance(dumped, dict) and alias in dumped
            out.append([name, alias, _tree(getattr(value, name), dumped[alias] if kept else None), kept])
        return {_MODEL: type(value).__name__, "fields": out}
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, date):
        return {_DATE: value.isoformat()}
    if isinstance(value, dict):
        given = dumped if isinstance(dumped, dict) else {}
        return {_MAP: {k: _tree(v, given.get(k)) for k, v in value.items()}}
    if isinstance(value, (tuple, list)):
        given = dumped if isinstance(dumped, list) else [None] * len(value)  # a dumped tuple: a list of its length
        return [_tree(v, d) for v, d in zip(value, given)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in the rulebook cache")


def records_from_tree(tree: Any) -> Any:
    """Records (and tuples, Decimals, dates) from a typed tree."""
    if isinstance(tree, list):
        return tuple(records_from_tree(v) for v in tree)
    if isinstance(tree, dict):
        if _MODEL in tree:
            fields = tuple((name, alias, bool(kept)) for name, alias, _, kept in tree["fields"])
            values = {name: records_from_tree(v) for name, _, v, _ in tree["fields"]}
            return _record_class(tree[_MODEL])(fields, values)
        if _DECIMAL in tree:
            return Decimal(tree[_DECIMAL])
        if _DATE in tree:
            return date.fromisoformat(tree[_DATE])
        return {k: records_from_tree(v) for k, v in tree[_MAP].items()}
    return tree


def _plain(value: Any) -> Any:
    """A record's content as JSON data under the models' aliases (what `model_dump(mode="json",
    by_alias=True)` gives for the validated model)."""
    if isinstance(value, Record):
        return {alias: _plain(value.__dict__[name]) for name, alias, kept in value._fields if kept}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def canonical_of(record: Record) -> str:
    """The canonical JSON of a rebuilt rulebook (as `Rulebook.canonical_json` of the validated one)."""
    return json.dumps(_plain(record), sort_keys=True, separators=(",", ":"))


def rulebook_from_tree(tree: Any, canonical_json: str, sha256: str) -> RulebookRecord:
    """The rulebook record of a typed tree, which must hold exactly the canonical JSON given."""
    record = records_from_tree(tree)
    if not isinstance(record, RulebookRecord) or canonical_of(record) != canonical_json:
        raise ValueError("the typed tree does not hold the rulebook's canonical content")
    record.__dict__["canonical_json"] = canonical_json
    record.__dict__["sha256"] = sha256
    return record
