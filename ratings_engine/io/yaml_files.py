"""Reading YAML data files (rulebooks, scenarios, drafts, overrides) safely, with line numbers.

One loader for every YAML input: ruamel.yaml's round-trip loader keeps each key's line for error
messages and constructs no Python objects; duplicate keys, explicit tags (e.g.
`!!python/object`) and merge keys (`<<: *anchor`) are refused, not ignored. Errors name the file
and line.

The round-trip data is then turned into plain dicts, lists and scalars that keep only the lines
(`LineMap` / `LineList`, with the `.lc` that `model.located` reads): ruamel.yaml's containers carry
their comments, and copying a list whose items carry comments takes time quadratic in its length.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model.errors import InputError, Location, Problem
from ..model.located import line_of as yaml_line
from .files import read_input_bytes

#: Limits that keep a hand-edited or hostile YAML file from exhausting the reader. Values are
#: counted as the data is walked with aliases expanded, so an "alias bomb" is refused too.
MAX_YAML_BYTES = 2_000_000
MAX_YAML_DEPTH = 40
MAX_YAML_VALUES = 200_000


def read_yaml_mapping(path: Path, what: str, error: type[InputError] = InputError) -> tuple[bytes, Any]:
    """(raw bytes, parsed mapping) of a YAML file; `what` names the kind of file in messages."""
    raw = read_input_bytes(path, what, error)
    return raw, parse_yaml_mapping(raw, str(path), what, error)


def parse_yaml_mapping(raw: bytes, source: str, what: str, error: type[InputError] = InputError) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(raw) > MAX_YAML_BYTES:
        raise error(f"{source}: the {what} file is {len(raw):,} bytes; the limit is {MAX_YAML_BYTES:,}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{source}: {what} file is not UTF-8 text (byte {exc.start})") from None
    yaml = YAML(typ="rt")  # round-trip: keeps line numbers; constructs no Python objects from tags
    yaml.allow_duplicate_keys = False
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(Problem(f"YAML syntax error: {problem}", Location(file=source, line=line))) from None
    except RecursionError:
        raise error(f"{source}: the {what} file nests more than {MAX_YAML_DEPTH} levels deep") from None
    except (YAMLError, ValueError, TypeError) as exc:
        raise error(f"{source}: cannot parse YAML: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - ruamel.yaml fails on some malformed input (e.g. %YAML 9.9) with
        # internal errors: still bad input, not a crash
        raise error(f"{source}: cannot parse YAML ({type(exc).__name__}: {exc})") from None
    _check_size(data, source, what, error)
    _reject_tags(data, source, what, error, 1)
    if not isinstance(data, dict):
        raise error(f"{source}: a {what} file must be a YAML mapping of keys")
    return plain(data)


class _Lines:
    """The `.lc` of a plain container: (line, column), 0-based, of each key, value or item."""

    __slots__ = ("data",)

    def __init__(self, data: dict):
        self.data = data

    def key(self, key: Any) -> tuple[int, int]:
        return tuple(self.data[key][:2])

    def value(self, key: Any) -> tuple[int, int]:
        return tuple(self.data[key][2:4])

    def item(self, index: int) -> tuple[int, int]:
        return tuple(self.data[index][:2])


class LineMap(dict):
    """A parsed YAML mapping that remembers the line of each key (`.lc`, as ruamel.yaml's)."""

    lc: _Lines


class LineList(list):
    """A parsed YAML list that remembers the line of each item (`.lc`, as ruamel.yaml's)."""

    lc: _Lines


def plain(node: Any) -> Any:
    """Round-trip data as plain containers with lines, and plain scalars (no comments, no styles)."""
    if isinstance(node, dict):
        out = LineMap((plain(k), plain(v)) for k, v in node.items())
        out.lc = _Lines(dict(getattr(getattr(node, "lc", None), "data", None) or {}))
        return out
    if isinstance(node, list):
        out_list = LineList(plain(v) for v in node)
        out_list.lc = _Lines(dict(getattr(getattr(node, "lc", None), "data", None) or {}))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    for kind in (str, int, float):  # ruamel.yaml's ScalarFloat, HexInt, quoted strings...: their plain values
        if isinstance(node, kind):
            return kind(node)
    return node  # dates and times


def _check_size(data: Any, source: str, what: str, error: type[InputError]) -> None:
    """Refuse data nested more than MAX_YAML_DEPTH levels or holding more than MAX_YAML_VALUES values."""
    stack = [(data, 1, 1)]
    count = 0
    while stack:
        node, depth, line = stack.pop()
        count += 1
        if count > MAX_YAML_VALUES:
            raise error(f"{source}: the {what} file holds more than {MAX_YAML_VALUES:,} values (counting what its "
                        "aliases repeat)")
        if depth > MAX_YAML_DEPTH:
            raise error(Problem(f"the {what} file nests more than {MAX_YAML_DEPTH} levels deep",
                                Location(file=source, line=line)))
        if isinstance(node, dict):
            stack.extend((value, depth + 1, (yaml_line(node, key) or line)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, depth + 1, (yaml_line(node, i) or line)) for i, value in enumerate(node))


def _reject_tags(node: Any, source: str, what: str, error: type[InputError], line: int | None) -> None:
    """Data files are plain data: an explicit YAML tag is refused, not silently ignored."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None:
        raise error(Problem(f"YAML tag {tag!r} is not allowed: a {what} file is plain data",
                            Location(file=source, line=line)))
    if isinstance(node, dict) and len(getattr(node, "merge", ()) or ()):
        raise error(Problem(f"YAML merge keys ('<<: *anchor') are not allowed in a {what} file: write the keys out"
                            + (", or use 'extends'" if what == "rulebook" else ""), Location(file=source, line=line)))
    lc = getattr(node, "lc", None)
    if isinstance(node, dict):
        for key, value in node.items():
            _reject_tags(value, source, what, error, lc.value(key)[0] + 1 if lc is not None else line)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _reject_tags(value, source, what, error, lc.item(i)[0] + 1 if lc is not None else line)
