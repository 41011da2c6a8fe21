"""Rulebooks: the declarative rating rules, loaded safely from YAML and validated.

A rulebook is data. It is parsed with ruamel.yaml's round-trip loader (no Python tags, no code
execution, duplicate keys rejected) so every key keeps its line number, then validated by the
pydantic models below (unknown keys rejected), then cross-checked (references resolve, outcomes
are known ratings). Every problem is reported with the file, line and key path.

The models are frozen: a loaded rulebook is a plain value handed down the pipeline.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Location, Problem, RulebookError

NOT_INSPECTED = "Not inspected"

Grade = Literal["confirmed", "recalled", "uncertain"]
HitPolicy = Literal["unique", "first", "priority"]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
Mean = Annotated[Decimal, Field(ge=0, decimal_places=2)]
Count = Annotated[int, Field(ge=0)]
Id = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Text = Annotated[str, Field(min_length=1)]

#: Hard limits that keep a hand-edited or hostile rulebook from exhausting the engine.
MAX_ROWS_PER_TABLE = 500
MAX_STANDARDS = 200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, defer_build=True)


class Provenance(_Strict):
    """How sure we are of a rule: confirmed, recalled or uncertain, and where it comes from."""

    grade: Grade
    source: Text


class KeyQuestion(_Strict):
    id: Id
    text: Text
    provenance: Provenance | None = None  # grade of the wording, where it differs from the standard's


class Standard(_Strict):
    id: Id
    name: Text
    rated_by: Literal["cases", "judgement"]
    scored: bool = True
    key_questions: tuple[KeyQuestion, ...] = ()
    provenance: Provenance | None = None

    @model_validator(mode="after")
    def _key_questions_match_basis(self) -> "Standard":
        if self.rated_by == "cases" and not self.key_questions:
            raise ValueError("a standard rated from cases needs at least one key question")
        if self.rated_by == "judgement" and self.key_questions:
            raise ValueError("a standard rated by judgement has no key questions")
        return self


class Domain(_Strict):
    domain: Id
    name: Text
    standards: tuple[Standard, ...] = Field(min_length=1)


class BandRow(_Strict):
    """A row of the key-question band table: bounds on the percentage and an outcome."""

    id: Id
    min: Percent | None = None  # pct >= min
    above: Percent | None = None  # pct > above
    max: Percent | None = None  # pct <= max
    below: Percent | None = None  # pct < below
    then: Text
    provenance: Provenance | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_lower_one_upper(self) -> "BandRow":
        if self.min is not None and self.above is not None:
            raise ValueError("give at most one of 'min' and 'above'")
        if self.max is not None and self.below is not None:
            raise ValueError("give at most one of 'max' and 'below'")
        return self


class BandTable(_Strict):
    hit_policy: HitPolicy
    provenance: Provenance
    rows: tuple[BandRow, ...] = Field(min_length=1, max_length=MAX_ROWS_PER_TABLE)


class CountCondition(_Strict):
    """How many standards have a rating: exactly one of ratings / at_most / at_least, and bounds."""

    ratings: tuple[Text, ...] | None = None  # rating is one of these
    at_most: Text | None = None  # rating is this or lower
    at_least: Text | None = None  # rating is this or higher
    standards: tuple[Id, ...] | None = None  # among these standards only (default: all scored)
    min: Count | None = None
    max: Count | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> "CountCondition":
        chosen = [k for k in ("ratings", "at_most", "at_least") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError("give exactly one of 'ratings', 'at_most', 'at_least'")
        if self.min is None and self.max is None:
            raise ValueError("give 'min' and/or 'max'")
        return self


class _AggregateConditions(_Strict):
    """Conditions on a unit's scored standards: count, score, mean score, rating counts."""

    scored: Count | None = None  # number of scored standards equals this
    score_min: Count | None = None
    score_max: Count | None = None
    mean_min: Mean | None = None  # score / scored >= mean_min
    mean_above: Mean | None = None  # >
    mean_max: Mean | None = None  # <=
    mean_below: Mean | None = None  # <
    counts: tuple[CountCondition, ...] = ()


class OverallRow(_AggregateConditions):
    id: Id
    then: Text
    provenance: Provenance | None = None
    note: str | None = None


class OverallBands(_Strict):
    hit_policy: HitPolicy
    provenance: Provenance
    rows: tuple[OverallRow, ...] = Field(min_length=1, max_length=MAX_ROWS_PER_TABLE)


class LimitRow(_AggregateConditions):
    """A limiting rule: when its conditions hold, the overall rating is capped at `cap`."""

    id: Id
    enabled: bool
    cap: Text
    description: Text
    provenance: Provenance | None = None


class Limits(_Strict):
    hit_policy: Literal["priority"] = "priority"  # every matching cap applies: the lowest wins
    provenance: Provenance
    rows: tuple[LimitRow, ...] = Field(default=(), max_length=MAX_ROWS_PER_TABLE)


class Overall(_Strict):
    bands: OverallBands
    limits: Limits | None = None


class Scores(_Strict):
    values: dict[Text, int]
    provenance: Provenance


class _Policy(_Strict):
    provenance: Provenance
    note: str | None = None


class RoundingPolicy(_Policy):
    # exact: compare the exact fraction; nearest_whole_percent: round half up to a whole per cent
    # first (as reports print them); truncate_whole_percent: drop the fraction first.
    value: Literal["exact", "nearest_whole_percent", "truncate_whole_percent"]


class CombinePolicy(_Policy):
    value: Literal["lowest"]


class NoApplicablePolicy(_Policy):
    # skip_key_question: rate the standard on its other key questions (not rated if none remain);
    # standard_not_rated: the whole standard is not rated.
    value: Literal["skip_key_question", "standard_not_rated"]


class MinimumApplicablePolicy(_Policy):
    value: Annotated[int, Field(ge=1)]  # fewer applicable cases than this count as none


class OverallScorePolicy(_Policy):
    value: Literal["sum_of_scored_standards"]


class Policies(_Strict):
    rounding: RoundingPolicy
    combine_key_questions: CombinePolicy
    no_applicable_cases: NoApplicablePolicy
    minimum_applicable: MinimumApplicablePolicy
    overall_score: OverallScorePolicy


class Effective(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: date = Field(alias="from")
    to: date | None = None


class Rulebook(_Strict):
    id: Id
    version: Text
    title: Text
    effective: Effective
    description: str | None = None
    ratings: tuple[Text, ...] = Field(min_length=2, max_length=10)
    scores: Scores
    policies: Policies
    framework: tuple[Domain, ...] = Field(min_length=1)
    key_question_bands: BandTable
    overall: Overall

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError("quote the version so it stays text, e.g. version: \"1.0\"")
        return value

    # ---- convenient views (derived, never stored) ----
    @cached_property
    def standards(self) -> tuple[Standard, ...]:
        return tuple(s for d in self.framework for s in d.standards)

    @cached_property
    def standards_by_id(self) -> dict[str, Standard]:
        return {s.id: s for s in self.standards}

    @cached_property
    def domain_of(self) -> dict[str, Domain]:
        return {s.id: d for d in self.framework for s in d.standards}

    @cached_property
    def key_question_ids(self) -> tuple[str, ...]:
        return tuple(kq.id for s in self.standards for kq in s.key_questions)

    @cached_property
    def standard_of_key_question(self) -> dict[str, Standard]:
        return {kq.id: s for s in self.standards for kq in s.key_questions}

    def rank(self, rating: str) -> int:
        """Position of a rating, 0 = lowest."""
        return self.ratings.index(rating)

    def score(self, rating: str) -> int:
        return self.scores.values[rating]

    @cached_property
    def max_standard_score(self) -> int:
        return max(self.scores.values.values())

    @cached_property
    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))

    @cached_property
    def sha256(self) -> str:
        """Hash of the resolved rulebook's content: comments and layout do not change it."""
        return hashlib.sha256(self.canonical_json.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Loading


class LoadedRulebook:
    """A validated rulebook together with where it came from (for stamping results)."""

    def __init__(self, rulebook: Rulebook, path: Path | None, file_sha256: str | None):
        self.rulebook = rulebook
        self.path = path
        self.file_sha256 = file_sha256


def rules_dir() -> Path:
    """The shipped rulebooks: inside the installed package, or the repository's `rules/`."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise RulebookError("cannot find the shipped rulebooks (looked in ratings_engine/rules and rules/)")


DEFAULT_RULEBOOK = "probation-pdu-2021"


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
    known = ", ".join(sorted(p.stem for p in rules_dir().glob("*.yaml")))
    raise RulebookError(f"{name_or_path}: no such rulebook file or shipped rulebook id (shipped: {known})")


def load_rulebook(name_or_path: str | Path = DEFAULT_RULEBOOK) -> Rulebook:
    return load_rulebook_file(resolve_rulebook_path(name_or_path)).rulebook


def load_rulebook_file(path: Path) -> LoadedRulebook:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulebookError(f"{path}: cannot read rulebook: {exc.strerror}") from None
    data = _parse_yaml(raw, str(path))
    rulebook = rulebook_from_mapping(data, str(path))
    return LoadedRulebook(rulebook, path, hashlib.sha256(raw).hexdigest())


_parsed: dict[tuple[str, str], Any] = {}
MAX_PARSED_CACHE = 64


def _parse_yaml(raw: bytes, source: str) -> Any:
    """Parse once per (content, file name); callers get their own copy (merging mutates)."""
    import copy

    key = (hashlib.sha256(raw).hexdigest(), source)
    if key not in _parsed and len(_parsed) >= MAX_PARSED_CACHE:
        _parsed.clear()  # a long-running process reading many rulebooks keeps a bounded cache
    if key not in _parsed:
        _parsed[key] = _parse_yaml_uncached(raw, source)
    return copy.deepcopy(_parsed[key])


def _parse_yaml_uncached(raw: bytes, source: str) -> Any:
    from .yaml_input import parse_yaml_mapping

    data = parse_yaml_mapping(raw, source, "rulebook", RulebookError)
    _check_list_lengths(data, source)
    return data


def _check_list_lengths(data: Any, source: str) -> None:
    """No list in a rulebook is longer than MAX_ROWS_PER_TABLE items: checked before anything else
    handles the data (copying a long round-trip list takes time quadratic in its length)."""
    from .yaml_input import yaml_line

    stack = [(data, (), 1)]
    while stack:
        node, path, line = stack.pop()
        if isinstance(node, list) and len(node) > MAX_ROWS_PER_TABLE:
            raise RulebookError(Problem(f"too many items ({len(node)}); the limit is {MAX_ROWS_PER_TABLE}",
                                        Location(file=source, line=line, key_path=_key_path(path))))
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack.extend((value, path + (key,), yaml_line(node, key) or line) for key, value in items)


def rulebook_from_mapping(data: Any, source: str = "<rulebook>") -> Rulebook:
    """Validate a parsed mapping (ruamel round-trip data keeps line numbers) into a Rulebook.

    A mapping with `extends` is first resolved onto its parent (see `_resolve_extends`); a
    relative parent is looked for next to `source` when that is a file, else in the working
    directory.
    """
    if isinstance(data, dict) and "extends" in data:
        data = _resolve_extends(data, source, ())
    return _validate_mapping(data, source)


def _validate_mapping(data: Any, source: str) -> Rulebook:
    try:
        rulebook = Rulebook.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = [
            Problem(_message(err), _locate(data, err["loc"], source))
            for err in errors
            if not _is_cascade(err, errors)
        ]
        raise RulebookError(problems) from None
    problems = [Problem(msg, _locate(data, loc, source)) for loc, msg in _cross_check(rulebook)]
    if problems:
        raise RulebookError(problems)
    return rulebook


def _is_cascade(err: dict, errors: list[dict]) -> bool:
    """A 'too short' error on a list whose own items failed says nothing new."""
    loc = err["loc"]
    return err["type"] == "too_short" and any(
        other["loc"][: len(loc)] == loc and len(other["loc"]) > len(loc) for other in errors
    )


def _message(err: dict) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r}"
    if kind == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    if kind == "too_long":  # the limits above (MAX_ROWS_PER_TABLE, ...)
        ctx = err.get("ctx") or {}
        return f"too many items ({ctx.get('actual_length')}); the limit is {ctx.get('max_length')}"
    return err["msg"]


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _locate(data: Any, loc: tuple, source: str) -> Location:
    """Line of the deepest node of `loc` that exists in the round-trip data."""
    line = None
    node = data
    for part in loc:
        lc = getattr(node, "lc", None)
        origins = node.origins if isinstance(node, (_MergedMap, _MergedList)) else None  # after `extends`
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
    return Location(file=source, line=line, key_path=_key_path(tuple(p for p in loc if isinstance(p, (str, int)))))


def _cross_check(rb: Rulebook) -> Iterator[tuple[tuple, str]]:
    """References between parts of a rulebook; yields (key path, message)."""
    ratings = set(rb.ratings)
    if len(ratings) != len(rb.ratings):
        yield ("ratings",), "ratings must be distinct"
    if NOT_INSPECTED in ratings:
        yield ("ratings",), f"{NOT_INSPECTED!r} is not a rating on the scale; it is how the engine marks a standard with no evidence"
    if set(rb.scores.values) != ratings:
        missing = sorted(ratings - set(rb.scores.values))
        extra = sorted(set(rb.scores.values) - ratings)
        yield ("scores", "values"), f"scores must give exactly one score per rating (missing {missing}, unknown {extra})"
    seen_std: set[str] = set()
    seen_kq: set[str] = set()
    count = 0
    for di, dom in enumerate(rb.framework):
        for si, std in enumerate(dom.standards):
            count += 1
            loc = ("framework", di, "standards", si)
            if std.id in seen_std:
                yield loc + ("id",), f"standard id {std.id!r} is used twice"
            seen_std.add(std.id)
            for ki, kq in enumerate(std.key_questions):
                if kq.id in seen_kq or kq.id in seen_std:
                    yield loc + ("key_questions", ki, "id"), f"key question id {kq.id!r} is used twice"
                seen_kq.add(kq.id)
    if count > MAX_STANDARDS:
        yield ("framework",), f"too many standards ({count}); the limit is {MAX_STANDARDS}"
    if seen_std & {"case_id", "unit"} or seen_kq & {"case_id", "unit"}:
        yield ("framework",), "'case_id' and 'unit' are reserved column names, not ids"
    for i, row in enumerate(rb.key_question_bands.rows):
        if row.then not in ratings:
            yield ("key_question_bands", "rows", i, "then"), f"{row.then!r} is not one of the ratings {list(rb.ratings)}"
    yield from _check_ids(rb.key_question_bands.rows, ("key_question_bands", "rows"))
    yield from _check_aggregate_rows(rb, rb.overall.bands.rows, ("overall", "bands", "rows"), "then")
    if rb.overall.limits is not None:
        yield from _check_aggregate_rows(rb, rb.overall.limits.rows, ("overall", "limits", "rows"), "cap")


def _check_ids(rows, base: tuple) -> Iterator[tuple[tuple, str]]:
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.id in seen:
            yield base + (i, "id"), f"rule id {row.id!r} is used twice in this table"
        seen.add(row.id)


def _check_aggregate_rows(rb: Rulebook, rows, base: tuple, outcome_key: str) -> Iterator[tuple[tuple, str]]:
    ratings = set(rb.ratings)
    yield from _check_ids(rows, base)
    for i, row in enumerate(rows):
        if getattr(row, outcome_key) not in ratings:
            yield base + (i, outcome_key), f"{getattr(row, outcome_key)!r} is not one of the ratings {list(rb.ratings)}"
        for ci, cond in enumerate(row.counts):
            for key in ("at_most", "at_least"):
                value = getattr(cond, key)
                if value is not None and value not in ratings:
                    yield base + (i, "counts", ci, key), f"{value!r} is not one of the ratings"
            for j, value in enumerate(cond.ratings or ()):
                if value not in ratings:
                    yield base + (i, "counts", ci, "ratings", j), f"{value!r} is not one of the ratings"
            for j, sid in enumerate(cond.standards or ()):
                if sid not in rb.standards_by_id:
                    yield base + (i, "counts", ci, "standards", j), f"no standard with id {sid!r}"


# ---------------------------------------------------------------------------------------------
# Extending another rulebook: `extends: <rulebook id or relative path>`
#
# The child is merged onto its (resolved, validated) parent before validation:
# - mappings merge key by key, recursively; the child's value wins;
# - lists whose items all carry an id (`id`, or `domain` for domains) merge by id: an item with a
#   parent's id is merged into that item, in the parent's place; new items go at the end;
#   `{id: X, $remove: true}` removes the parent's item X;
# - `$replace: true` in a mapping (or list item) replaces the parent's value instead of merging;
# - every other value (scalars, other lists) replaces the parent's.
# Every merged key remembers the file and line it came from, so errors name the child's or the
# parent's file. `extends` itself is not part of the resolved rulebook, so the content hash of a
# rulebook that does not extend is unchanged, and that of one that does covers the resolved content.

MAX_EXTENDS_DEPTH = 8
_REMOVE, _REPLACE = "$remove", "$replace"
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


def _resolve_extends(data: dict, source: str, chain: tuple[Path, ...]) -> _MergedMap:
    """The child mapping `data` merged onto the rulebook it extends (recursively)."""
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
    parent_path = _find_parent(ref.strip(), me.parent if here is not None else Path.cwd(), where)
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
    parent = _parse_yaml(raw, parent_source)
    if "extends" in parent:
        parent = _resolve_extends(parent, parent_source, chain)
    _validate_mapping(parent, parent_source)  # the parent must be a valid rulebook on its own
    return _merge_map(parent, parent_source, data, source, (), skip=("extends",))


def _find_parent(ref: str, base: Path, where: _Origin) -> Path:
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or "/" in ref or "\\" in ref:
        candidate = path if path.is_absolute() else base / path
        if not candidate.is_file():
            raise _extends_error(f"extends {ref!r}: no such rulebook file ({candidate})", where, ("extends",))
        return candidate
    for candidate in (base / f"{ref}.yaml", rules_dir() / f"{ref}.yaml"):
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted(p.stem for p in rules_dir().glob("*.yaml")))
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
            raise _extends_error(f"unknown merge key {key!r} (merge keys: {_REPLACE}, and {_REMOVE} in list items)",
                                 origin, path + (key,))
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
    for j, item in enumerate(child):
        origin = _origin(child, j, csrc)
        ident = _identity(item)
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
    out = _MergedList()
    for i, (item, origin) in enumerate(zip(items, origins)):
        if i not in removed:
            out.append(item)
            out.origins.append(origin)
    return out


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


# ---------------------------------------------------------------------------------------------
# What-if overrides: `--set PATH=VALUE`


def with_overrides(rulebook: Rulebook, assignments: list[str] | tuple[str, ...]) -> Rulebook:
    """A copy of the rulebook with values replaced, validated like a file.

    PATH is a dotted key path; list items are addressed by index (`rows[1]`) or, for lists of
    things with ids, by id (`rows[kq-good]`). VALUE is read as a YAML scalar or flow value
    (`70`, `Good`, `[Inadequate]`, `{grade: uncertain, source: x}`, `null`).
    Example: `key_question_bands.rows[kq-good].min=70`.
    """
    if not assignments:
        return rulebook
    data = rulebook.model_dump(mode="json", by_alias=True, exclude_none=True)
    for assignment in assignments:
        path, sep, value = assignment.partition("=")
        if not sep or not path.strip():
            raise RulebookError(f"--set {assignment!r}: expected PATH=VALUE, e.g. key_question_bands.rows[kq-good].min=70")
        _assign(data, path.strip(), _parse_value(value.strip(), assignment), assignment)
    label = f"{rulebook.id} with {'; '.join(assignments)}"
    return rulebook_from_mapping(data, f"<{label}>")


def _parse_value(text: str, assignment: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text) if text else ""
    except YAMLError as exc:
        raise RulebookError(f"--set {assignment!r}: cannot read the value: {exc}") from None


def _parse_path(path: str) -> list[str | int]:
    import re

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
                    raise RulebookError(f"--set {assignment!r}: no item with id {part!r} at {where}")
                part = index
            if not -len(node) <= part < len(node):
                raise RulebookError(f"--set {assignment!r}: index {part} out of range at {where}")
        elif isinstance(node, dict):
            if not isinstance(part, str):
                raise RulebookError(f"--set {assignment!r}: {where} is a mapping, not a list")
            if not last and part not in node:
                raise RulebookError(f"--set {assignment!r}: no key {part!r} at {where}")
        else:
            raise RulebookError(f"--set {assignment!r}: cannot go inside a value at {where}")
        if last:
            node[part] = value
        else:
            node = node[part]
