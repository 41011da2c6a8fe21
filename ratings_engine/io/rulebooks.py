"""Rulebook files: finding, reading and parsing them, resolving `extends`, and what-if changes.

A rulebook is named by a file path or by the id of a shipped rulebook (`rules/<id>.yaml`, or
inside the installed package). A file validated before comes from the rulebook cache
(`io.rulebook_cache`); otherwise it is parsed once per content (a bounded cache; callers
get their own copy, since merging mutates), `extends` is resolved (`io.extends`), and the
mapping is validated by the model (`model.rulebook.validate_rulebook`).

`with_changes` derives a what-if variant (`--set PATH=VALUE`): its content hash differs, so
every result says which variant made it.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..model.errors import Location, Problem, RulebookError
from ..model.suggest import did_you_mean
from ..model.views import DEFAULT_RULEBOOK, MAX_ROWS_PER_TABLE, LoadedRulebook, RulebookViews, as_rulebook
from . import rulebook_cache

if TYPE_CHECKING:  # pydantic is imported only where a rulebook is validated
    from ..model.rulebook import Rulebook


def rules_dir() -> Path:
    """The shipped rulebooks: inside the installed package, or the repository's `rules/`."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "rules", package.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RulebookError("cannot find the shipped rulebooks (looked in ratings_engine/rules and rules/)")


def shipped_ids() -> list[str]:
    """Ids of the shipped rulebooks, sorted."""
    return sorted(p.stem for p in rules_dir().glob("*.yaml"))


def resolve_rulebook_path(name_or_path: str | Path) -> Path:
    """A path to a rulebook file, or the id of a shipped rulebook."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists() or "/" in str(name_or_path):
        if not path.is_file():
            raise RulebookError(f"{name_or_path}: rulebook file not found")
        return path
    shipped = rules_dir() / f"{name_or_path}.yaml"
    if shipped.is_file():
        return shipped
    raise RulebookError(f"{name_or_path}: no such rulebook file or shipped rulebook id"
                        f"{did_you_mean(str(name_or_path), shipped_ids())} (shipped: {', '.join(shipped_ids())})")


RulebookLike = "Rulebook | LoadedRulebook | str | Path"


def load_rulebook(rules: RulebookLike = DEFAULT_RULEBOOK, *, changes: Sequence[str] = ()) -> LoadedRulebook:
    """A rulebook from a shipped id, a file path, or a Rulebook, with what-if `changes` applied.

    `changes` are `PATH=VALUE` assignments (as `--set`, see `with_changes`); the result's
    content hash covers them. The result reads as the Rulebook itself (`.standards`, `.id`, ...)
    and remembers its file (`.path`, `.file_sha256`) for stamping results.
    """
    if isinstance(rules, LoadedRulebook):
        loaded = rules
    elif isinstance(rules, RulebookViews):  # a validated Rulebook, or a record from the rulebook cache
        loaded = LoadedRulebook(rules, None, None)
    elif isinstance(rules, (str, Path)):
        loaded = load_rulebook_file(resolve_rulebook_path(rules))
    else:
        raise RulebookError(f"a rulebook is a shipped id, a file path or a Rulebook, not {type(rules).__name__}")
    if changes:
        if isinstance(changes, str):
            changes = [changes]
        loaded = LoadedRulebook(with_changes(loaded.rulebook, list(changes)), loaded.path, loaded.file_sha256)
    return loaded


def parent_rulebook(loaded: LoadedRulebook) -> Rulebook | None:
    """The resolved rulebook a rulebook file `extends` (None when it extends none, or was built in memory)."""
    if loaded.path is None:
        return None
    data = parse_rulebook_yaml(loaded.path.read_bytes(), str(loaded.path))
    ref = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(ref, str) or not ref.strip():
        return None
    from .extends import find_parent  # imports the schema (pydantic): only here, not on every load

    path = find_parent(ref.strip(), loaded.path.parent, (str(loaded.path), None), rules_dir())
    return load_rulebook_file(path).rulebook


def member_rulebook(loaded: LoadedRulebook) -> LoadedRulebook:
    """The rulebook that rates a pooled rulebook's member units (`pooling.members`): a file
    `<id>.yaml` next to the pooled rulebook's file, else the shipped rulebook with that id."""
    pooling = loaded.rulebook.pooling
    if pooling is None:
        raise RulebookError(f"rulebook {loaded.rulebook.id} has no 'pooling': it rates units on their own cases")
    if loaded.path is not None and (loaded.path.parent / f"{pooling.members}.yaml").is_file():
        return load_rulebook_file(loaded.path.parent / f"{pooling.members}.yaml")
    return load_rulebook_file(resolve_rulebook_path(pooling.members))


def load_rulebook_file(path: Path) -> LoadedRulebook:
    """A rulebook file read, parsed, `extends` resolved and validated, with its path and file hash."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulebookError(f"{path}: cannot read rulebook: {exc.strerror}") from None
    file_sha256 = hashlib.sha256(raw).hexdigest()
    rulebook = rulebook_cache.load_cached(path, file_sha256)
    if rulebook is None:
        data = parse_rulebook_yaml(raw, str(path))
        extends = isinstance(data, dict) and "extends" in data
        rulebook = rulebook_from_mapping(data, str(path))
        if not extends:  # what a rulebook extends lives in other files: not cached
            rulebook_cache.store(path, file_sha256, rulebook)
    return LoadedRulebook(rulebook, path, file_sha256)


def rulebook_from_mapping(data: Any, source: str = "<rulebook>") -> Rulebook:
    """Validate a parsed mapping into a Rulebook, resolving `extends` first.

    A relative parent is looked for next to `source` when that is a file, else in the working
    directory, then among the shipped rulebooks.
    """
    from ..model.rulebook import validate_rulebook  # pydantic: only where a rulebook is validated
    from .extends import resolve_extends

    if isinstance(data, dict) and "extends" in data:
        data = resolve_extends(data, source, parse_rulebook_yaml, rules_dir())
    return validate_rulebook(data, source)


_parsed: dict[tuple[str, str], Any] = {}
MAX_PARSED_CACHE = 64


def parse_rulebook_yaml(raw: bytes, source: str) -> Any:
    """Parse once per (content, file name); callers get their own copy (merging mutates)."""
    key = (hashlib.sha256(raw).hexdigest(), source)
    if key not in _parsed and len(_parsed) >= MAX_PARSED_CACHE:
        _parsed.clear()  # a long-running process reading many rulebooks keeps a bounded cache
    if key not in _parsed:
        from .yaml_files import parse_yaml_mapping  # not needed when the rulebook comes from the cache

        data = parse_yaml_mapping(raw, source, "rulebook", RulebookError)
        _check_list_lengths(data, source)
        _parsed[key] = data
    return copy.deepcopy(_parsed[key])


def _check_list_lengths(data: Any, source: str) -> None:
    """No list in a rulebook is longer than MAX_ROWS_PER_TABLE items: checked before anything else
    handles the data (copying a long round-trip list takes time quadratic in its length)."""
    from ..model.located import key_path, line_of

    stack = [(data, (), 1)]
    while stack:
        node, path, line = stack.pop()
        if isinstance(node, list) and len(node) > MAX_ROWS_PER_TABLE:
            raise RulebookError(Problem(f"too many items ({len(node)}); the limit is {MAX_ROWS_PER_TABLE}",
                                        Location(file=source, line=line, key_path=key_path(path))))
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack.extend((value, path + (key,), line_of(node, key) or line) for key, value in items)


# ---------------------------------------------------------------------------------------------
# What-if changes: `--set PATH=VALUE`


def with_changes(rulebook: Rulebook | LoadedRulebook, assignments: Sequence[str]) -> Rulebook:
    """A what-if variant of a rulebook: a copy with values replaced (`--set`), validated like a file.

    PATH is a dotted key path; list items are addressed by index (`rows[1]`) or, for lists of
    things with ids, by id (`rows[kq-good]`). VALUE is read as a YAML scalar or flow value
    (`70`, `Good`, `[Inadequate]`, `{grade: uncertain, source: x}`, `null`).
    Example: `key_question_bands.rows[kq-good].min=70`. One assignment text may hold several,
    separated by `;` (`split_assignments`). A variant validated before (same base content, same
    assignments) is read back from the rulebook cache (`io.rulebook_cache`) as a record, unvalidated.
    """
    if not assignments:
        return rulebook  # no change: the very same object
    rulebook = as_rulebook(rulebook)
    known = rulebook_cache.load_variant(rulebook.sha256, assignments)
    if known is not None:
        return known
    data = rulebook.model_dump(mode="json", by_alias=True, exclude_none=True)
    for assignment in [part for text in assignments for part in split_assignments(text)]:
        path, sep, value = assignment.partition("=")
        if not sep or not path.strip():
            raise RulebookError(f"--set {assignment!r}: expected PATH=VALUE, e.g. key_question_bands.rows[kq-good].min=70")
        _assign(data, path.strip(), _parse_value(value.strip(), assignment), assignment)
    label = f"{rulebook.id} with {'; '.join(assignments)}"
    variant = rulebook_from_mapping(data, f"<{label}>")
    rulebook_cache.store_variant(rulebook.sha256, assignments, variant)
    return variant


#: `;` followed by something that looks like `PATH=`: the separator of assignments grouped into one change.
_GROUP = re.compile(r";\s*(?=[A-Za-z_][\w.\-]*(?:\[[^\]]*\][\w.\-]*)*\s*=)")


def split_assignments(text: str) -> tuple[str, ...]:
    """`'a.b=1; c[x].d=2'` -> `('a.b=1', 'c[x].d=2')`: one `--set` may hold several assignments that
    move together (one change, for `rate diff`'s attribution). A `;` inside a value stays."""
    return tuple(part.strip() for part in _GROUP.split(text) if part.strip())


def value_at(rulebook: Rulebook | LoadedRulebook, path: str) -> Any:
    """The value at a `--set` / `--vary` PATH of a rulebook (None when the path leads nowhere)."""
    node: Any = json.loads(as_rulebook(rulebook).canonical_json)  # (the model's JSON dump, with no pydantic)
    for part in _parse_path(path):
        if isinstance(node, list) and isinstance(part, str):
            node = next((item for item in node if isinstance(item, dict) and item.get("id") == part), None)
        elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


_PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")


def _parse_value(text: str, assignment: str) -> Any:
    if _PLAIN_NUMBER.fullmatch(text):  # a plain number, as YAML reads it (the common case of a sweep)
        return float(text) if "." in text else int(text)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text) if text else ""
    except YAMLError as exc:
        raise RulebookError(f"--set {assignment!r}: cannot read the value: {exc}") from None


def _parse_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        if token.startswith("["):
            inner = token[1:-1]
            parts.append(int(inner) if inner.lstrip("-").isdigit() else inner)
        else:
            parts.append(token)
    return parts


def _assign(data: Any, path: str, value: Any, assignment: str) -> None:
    parts = _parse_path(path)
    node = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(str(p) for p in parts[: depth + 1])
        if isinstance(node, list):
            if isinstance(part, str):
                index = next((i for i, item in enumerate(node) if isinstance(item, dict) and item.get("id") == part), None)
                if index is None:
                    ids = [item.get("id") for item in node if isinstance(item, dict) and item.get("id")]
                    raise RulebookError(f"--set {assignment!r}: no item with id {part!r} at {where}"
                                        f"{did_you_mean(part, ids)} (ids: {', '.join(ids)})")
                part = index
            if not -len(node) <= part < len(node):
                raise RulebookError(f"--set {assignment!r}: index {part} out of range at {where}")
        elif isinstance(node, dict):
            if not isinstance(part, str):
                raise RulebookError(f"--set {assignment!r}: {where} is a mapping, not a list")
            if not last and part not in node:
                raise RulebookError(f"--set {assignment!r}: no key {part!r} at {where}{did_you_mean(part, node)}")
        else:
            raise RulebookError(f"--set {assignment!r}: cannot go inside a value at {where}")
        if last:
            node[part] = value
        else:
            node = node[part]
