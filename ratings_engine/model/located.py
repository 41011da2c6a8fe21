"""Where a value came from in a parsed data file, and schema errors turned into located problems.

Data files (rulebooks, scenarios, drafts) are parsed by `io.yaml_files` into round-trip mappings
that remember the line of every key (ruamel.yaml's `.lc`), or merged by `io.extends` into
mappings that remember the (file, line) each key came from (`.origins`). The functions here
read either kind by duck typing, so the model can name file, line and key path in its errors
without reading any file itself.
"""
from __future__ import annotations

from typing import Any

from .errors import Location, Problem


def line_of(node: Any, key: Any) -> int | None:
    """Line (1-based) of a key of a mapping, or an item of a list, in parsed round-trip data."""
    origins = getattr(node, "origins", None)
    if origins is not None:
        try:
            return origins[key][1]
        except (KeyError, IndexError, TypeError):
            return None
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        return (lc.key(key)[0] if isinstance(node, dict) else lc.item(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def key_path(loc: tuple) -> str:
    """`('overall', 'bands', 'rows', 2, 'then')` -> `overall.bands.rows[2].then`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def locate(data: Any, loc: tuple, source: str) -> Location:
    """File, line and key path of the deepest node of `loc` that exists in the parsed data."""
    line = None
    node = data
    for part in loc:
        origins = getattr(node, "origins", None)  # merged by `extends`: (file, line) per key
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                if origins is not None:
                    source, line = origins[part]
                elif lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                if origins is not None:
                    source, line = origins[part]
                elif lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return Location(file=source, line=line, key_path=key_path(tuple(p for p in loc if isinstance(p, (str, int)))))


def is_cascade(err: dict, errors: list[dict]) -> bool:
    """A 'too short' error on a list whose own items failed says nothing new."""
    loc = err["loc"]
    return err["type"] == "too_short" and any(
        other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors
    )


def schema_message(err: dict) -> str:
    """A pydantic error in the words of a data file's author."""
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if kind == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    if kind == "too_long":  # the size limits of the schema
        ctx = err.get("ctx") or {}
        return f"too many items ({ctx.get('actual_length')}); the limit is {ctx.get('max_length')}"
    return err["msg"]


def schema_problems(errors: list[dict], data: Any, source: str, clean=lambda loc: loc) -> list[Problem]:
    """Every pydantic error of validating `data` as one located problem (cascades dropped)."""
    return [Problem(schema_message(e).removeprefix("Value error, "), locate(data, clean(e["loc"]), source))
            for e in errors if not is_cascade(e, errors)]
