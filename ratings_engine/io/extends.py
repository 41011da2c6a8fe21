"""Extending another rulebook: `extends: <rulebook id or relative path>`.

The child is merged onto its (resolved, validated) parent before validation:

- mappings merge key by key, recursively; the child's value wins;
- lists whose items all carry an id (`id`, or `domain` for domains) merge by id: an item with a
  parent's id is merged into that item, in the parent's place; new items go at the end;
  `{id: X, $remove: true}` removes the parent's item X; `$before: Y` / `$after: Y` in an item
  places it (new, or merged and moved) just before / after the item with id Y, e.g. a new band
  row ahead of a `first` table's fallback rows;
- `$replace: true` in a mapping (or list item) replaces the parent's value instead of merging;
- every other value (scalars, other lists) replaces the parent's.

Every merged key remembers the file and line it came from (`origins`, read by
`model.located`), so errors name the child's or the parent's file. `extends` itself is not part
of the resolved rulebook, so the content hash of a rulebook that does not extend is unchanged,
and that of one that does covers the resolved content.

Where a parent may be: a shipped rulebook id or file, or a file inside the extending file's
folder (or its subfolders); with no extending file (a rulebook built in code), the working directory. An
absolute path, a `../` out of the folder, or a symlink leading out of it is refused before
anything is read, so `extends` cannot read (and echo in its errors) files elsewhere on disk.

Reading and parsing the parent file is the caller's (`io.rulebooks`), passed in as `parse`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..model.errors import Location, Problem, RulebookError
from ..model.located import key_path as _key_path
from ..model.rulebook import validate_rulebook

MAX_EXTENDS_DEPTH = 8
_REMOVE, _REPLACE = "$remove", "$replace"
_BEFORE, _AFTER = "$before", "$after"
_PLACE = (_BEFORE, _AFTER)
_Origin = tuple  # (file, line)


class _MergedMap(dict):
    """A mapping made by `extends`: `origins[key]` is the (file, line) that key came from."""

    def __init__(self):
        super().__init__()
        self.origins: dict[Any, _Origin] = {}


class _MergedList(list):
    """A list made by `extends`: `origins[i]` is the (file, line) item i came from."""

    def __init__(self):
        super().__init__()
        self.origins: list[_Origin] = []


def _origin(node: Any, key: Any, source: str) -> _Origin:
    if isinstance(node, (_MergedMap, _MergedList)):
        return node.origins[key]
    lc = getattr(node, "lc", None)
    try:
        line = (lc.key(key) if isinstance(node, dict) else lc.item(key))[0] + 1 if lc is not None else None
    except (KeyError, IndexError, TypeError, AttributeError):
        line = None
    return (source, line)


def _extends_error(message: str, origin: _Origin, key_path: tuple) -> RulebookError:
    return RulebookError(Problem(message, Location(file=origin[0], line=origin[1], key_path=_key_path(key_path))))


Parse = Callable[[bytes, str], Any]


def resolve_extends(data: dict, source: str, parse: Parse, shipped: Path,
                    chain: tuple[Path, ...] = ()) -> _MergedMap:
    """The child mapping `data` merged onto the rulebook it extends (recursively).

    `parse(raw, source)` parses a parent file's bytes; `shipped` is the folder of the shipped
    rulebooks, where an id that is not next to the child is looked for.
    """
    where = _origin(data, "extends", source)
    ref = data["extends"]
    if _REPLACE in data:
        raise _extends_error(f"{_REPLACE} at the top of a rulebook would discard everything it extends; "
                             "remove 'extends' instead", _origin(data, _REPLACE, source), (_REPLACE,))
    if not isinstance(ref, str) or not ref.strip():
        raise _extends_error("'extends' must be a rulebook id or a path relative to this file", where, ("extends",))
    me = Path(source)
    here = me.resolve() if me.is_file() else None
    chain = chain + ((here,) if here is not None else ())
    parent_path = _find_parent(ref.strip(), me.parent if here is not None else Path.cwd(), where, shipped)
    key = parent_path.resolve()
    if key in chain:
        cycle = " -> ".join(p.name for p in (*chain, key))
        raise _extends_error(f"'extends' makes a cycle: {cycle}", where, ("extends",))
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise _extends_error(f"'extends' goes more than {MAX_EXTENDS_DEPTH} rulebooks deep", where, ("extends",))
    try:
        raw = parent_path.read_bytes()
    except OSError as exc:
        raise _extends_error(f"cannot read the rulebook it extends, {parent_path}: {exc.strerror}", where, ("extends",)) from None
    parent_source = str(parent_path)
    parent = parse(raw, parent_source)
    if "extends" in parent:
        parent = resolve_extends(parent, parent_source, parse, shipped, chain)
    validate_rulebook(parent, parent_source)  # the parent must be a valid rulebook on its own
    return _merge_map(parent, parent_source, data, source, (), skip=("extends",))


def find_parent(ref: str, base: Path, where: _Origin, shipped: Path) -> Path:
    """The file an `extends: ref` written in a file in folder `base` names (errors located at `where`)."""
    return _find_parent(ref, base, where, shipped)


def _inside(candidate: Path, folder: Path) -> bool:
    """`candidate`, symlinks resolved, is `folder` or below it."""
    try:
        candidate.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _find_parent(ref: str, base: Path, where: _Origin, shipped: Path) -> Path:
    path = Path(ref.replace("\\", "/"))
    if path.suffix in (".yaml", ".yml") or "/" in ref or "\\" in ref:
        if not _inside(base / path, shipped) and (path.is_absolute() or path.drive or not _inside(base / path, base)):
            raise _extends_error(f"extends {ref!r}: a parent rulebook must be a shipped rulebook id or a file in "
                                 "this rulebook's folder (no absolute paths, no '..' out of it, no links out of it)",
                                 where, ("extends",))
        candidate = base / path
        if not candidate.is_file():
            raise _extends_error(f"extends {ref!r}: no such rulebook file ({candidate})", where, ("extends",))
        return candidate
    for candidate, folder in ((base / f"{ref}.yaml", base), (shipped / f"{ref}.yaml", shipped)):
        if candidate.is_file() and _inside(candidate, folder):
            return candidate
    known = ", ".join(sorted(p.stem for p in shipped.glob("*.yaml")))
    raise _extends_error(f"extends {ref!r}: no rulebook with that id next to this file or among the shipped "
                         f"rulebooks ({known})", where, ("extends",))


def _merge_map(parent: dict, psrc: str, child: dict, csrc: str, path: tuple, skip: tuple = ()) -> _MergedMap:
    out = _MergedMap()
    for key in parent:
        out[key] = parent[key]
        out.origins[key] = _origin(parent, key, psrc)
    for key in child:
        if key in skip:
            continue
        origin = _origin(child, key, csrc)
        if isinstance(key, str) and key.startswith("$"):
            if key == _REPLACE:
                continue  # handled by the caller
            where = ("; $before and $after place an item of a list of items with ids" if key in _PLACE else "")
            raise _extends_error(f"unknown merge key {key!r} here (merge keys: {_REPLACE}, and {_REMOVE}, {_BEFORE}, "
                                 f"{_AFTER} in list items){where}", origin, path + (key,))
        if key in out:
            parent_file = out.origins[key][0]
            out[key] = _merge_value(out[key], parent_file, child[key], csrc, path + (key,))
        else:
            out[key] = _adopt(child[key], csrc, path + (key,))
        out.origins[key] = origin
    return out


def _merge_value(parent: Any, psrc: str, child: Any, csrc: str, path: tuple) -> Any:
    if isinstance(child, dict):
        if _REPLACE in child:
            _flag(child, _REPLACE, csrc, path)
            return _adopt(child, csrc, path, drop=(_REPLACE,))
        if isinstance(parent, dict):
            return _merge_map(parent, psrc, child, csrc, path)
    elif isinstance(child, list) and isinstance(parent, list) and _id_key_list(parent) and _id_key_list(child):
        return _merge_list(parent, psrc, child, csrc, path)
    return _adopt(child, csrc, path)


def _flag(node: dict, key: str, src: str, path: tuple) -> None:
    if node[key] is not True:
        raise _extends_error(f"{key} must be true", _origin(node, key, src), path + (key,))


def _identity(item: Any) -> tuple[str, Any] | None:
    if isinstance(item, dict):
        for key in ("id", "domain"):
            if key in item and isinstance(item[key], (str, int)) and not isinstance(item[key], bool):
                return key, str(item[key])
    return None


def _id_key_list(items: list) -> bool:
    return bool(items) and all(_identity(i) is not None for i in items)


def _merge_list(parent: list, psrc: str, child: list, csrc: str, path: tuple) -> _MergedList:
    items: list[Any] = []
    origins: list[_Origin] = []
    index: dict[Any, int] = {}
    for i, item in enumerate(parent):
        items.append(item)
        origins.append(_origin(parent, i, psrc))
        index[_identity(item)] = i
    removed: set[int] = set()
    placements: list[tuple[tuple, str, Any, _Origin, tuple]] = []  # (ident, $before/$after, target id, origin, path)
    for j, item in enumerate(child):
        origin = _origin(child, j, csrc)
        ident = _identity(item)
        item = _placement(item, ident, csrc, path + (j,), placements)
        if _REMOVE in item:
            _flag(item, _REMOVE, csrc, path + (j,))
            extra = sorted(str(k) for k in item if k not in (_REMOVE, ident[0]))
            if extra:
                raise _extends_error(f"an item with {_REMOVE} takes only its {ident[0]} (also has {', '.join(extra)})",
                                     origin, path + (j,))
            if ident not in index or index[ident] in removed:
                raise _extends_error(f"{_REMOVE}: the rulebook it extends has no item with {ident[0]} {ident[1]!r} here",
                                     origin, path + (j,))
            removed.add(index[ident])
        elif ident in index and index[ident] not in removed:
            i = index[ident]
            items[i] = _merge_value(items[i], origins[i][0], item, csrc, path + (j,))
            origins[i] = origin
        else:
            index[ident] = len(items)
            items.append(_adopt(item, csrc, path + (j,)))
            origins.append(origin)
    kept = [(_identity(item), item, origin) for i, (item, origin) in enumerate(zip(items, origins)) if i not in removed]
    for ident, where, target, origin, at in placements:
        kept = _place(kept, ident, where, target, origin, at)
    out = _MergedList()
    for _, item, origin in kept:
        out.append(item)
        out.origins.append(origin)
    return out


def _placement(item: Any, ident: tuple, src: str, path: tuple, placements: list) -> Any:
    """The item without its `$before` / `$after` key, the placement recorded (applied after merging)."""
    keys = [k for k in _PLACE if k in item]
    if not keys:
        return item
    if len(keys) > 1:
        raise _extends_error(f"give {_BEFORE} or {_AFTER}, not both", _origin(item, keys[1], src), path + (keys[1],))
    key = keys[0]
    target = item[key]
    where = _origin(item, key, src)
    if _REMOVE in item:
        raise _extends_error(f"an item with {_REMOVE} is not placed: drop {key}", where, path + (key,))
    if not isinstance(target, (str, int)) or isinstance(target, bool) or not str(target).strip():
        raise _extends_error(f"{key} takes the id of an item of this list", where, path + (key,))
    if str(target) == ident[1]:
        raise _extends_error(f"{key}: an item cannot be placed next to itself", where, path + (key,))
    placements.append((ident, key, str(target), where, path + (key,)))
    copy = _MergedMap()
    for k in item:
        if k != key:
            copy[k] = item[k]
            copy.origins[k] = _origin(item, k, src)
    return copy


def _place(kept: list, ident: tuple, where: str, target: str, origin: _Origin, path: tuple) -> list:
    ids = [entry[0][1] for entry in kept]
    if target not in ids:
        raise _extends_error(f"{where} {target!r}: no item with that id in this list (ids: {', '.join(ids)})",
                             origin, path)
    moving = next(entry for entry in kept if entry[0] == ident)
    rest = [entry for entry in kept if entry[0] != ident]
    at = [entry[0][1] for entry in rest].index(target) + (1 if where == _AFTER else 0)
    return rest[:at] + [moving] + rest[at:]


def _adopt(node: Any, src: str, path: tuple, drop: tuple = ()) -> Any:
    """A child's value taken whole; merge keys inside it have no parent to act on, so are errors."""
    if isinstance(node, dict):
        out = _MergedMap()
        for key in node:
            if key in drop:
                continue
            origin = _origin(node, key, src)
            if isinstance(key, str) and key.startswith("$"):
                raise _extends_error(f"merge key {key!r} has nothing to act on: the rulebook it extends has no "
                                     "value here", origin, path + (key,))
            out[key] = _adopt(node[key], src, path + (key,))
            out.origins[key] = origin
        return out
    if isinstance(node, list):
        out_list = _MergedList()
        for i, item in enumerate(node):
            out_list.append(_adopt(item, src, path + (i,)))
            out_list.origins.append(_origin(node, i, src))
        return out_list
    return node


