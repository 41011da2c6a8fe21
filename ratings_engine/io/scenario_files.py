"""Scenario files: the YAML format of `rate test` (docs/scenario-format.md), read and validated.

A scenario file is data: it is parsed with ruamel.yaml's round-trip loader (no tags executed,
duplicate keys rejected, line numbers kept) and validated by the pydantic models below
(unknown keys rejected). Any problem is an error naming the file, line and key path. Checking
a scenario against the rulebook it tests, and running it, is `toolkit.scenarios`.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..model.errors import InputError, Location, Problem
from ..model.located import locate, schema_problems
from ..model.rulebook import Provenance, Rulebook
from .rulebooks import rules_dir
from .yaml_files import read_yaml_mapping


Count = Annotated[int, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text_keys(value: Any) -> Any:
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"id {key!r} must be quoted text, e.g. \"{key}\": (YAML reads an unquoted {key} as a number)")
    return value


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class Given(_Strict):
    cases: Text | None = None
    judgements: Any = None  # a file (text) or a mapping standard -> rating; checked below
    tallies: dict[str, tuple[int, int]] | None = None
    ratings: dict[str, Text] | None = None
    allow_partial: bool = False

    @field_validator("ratings", mode="before")
    @classmethod
    def _quoted_ids(cls, value: Any) -> Any:
        return _text_keys(value)

    @field_validator("judgements", mode="before")
    @classmethod
    def _file_or_mapping(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        if isinstance(value, dict):
            _text_keys(value)
            bad = [k for k, v in value.items() if not isinstance(v, str) or not v.strip()]
            if bad:
                raise ValueError(f"the rating of {bad[0]} must be text, e.g. \"{bad[0]}\": Good")
            return dict(value)
        raise ValueError("give a judgement file (a path relative to this file) or a mapping standard -> rating, "
                         "e.g. {\"1.1\": Good}")

    @field_validator("tallies", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        if value is None:
            return value
        if not isinstance(value, dict):
            raise ValueError("give a mapping key question -> [sufficient, applicable], e.g. {\"2.2.1\": [30, 44]}")
        _text_keys(value)
        for kq, pair in value.items():
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(_whole(v) for v in pair)):
                raise ValueError(f"key question {kq}: give [sufficient, applicable] as two whole numbers, not {pair!r}")
            if pair[0] > pair[1]:
                raise ValueError(f"key question {kq}: sufficient ({pair[0]}) is more than applicable ({pair[1]})")
        return {k: tuple(v) for k, v in value.items()}


class Expect(_Strict):
    overall: Text | None = None  # null: no overall rating (refused or not rated)
    rule: Text | None = None  # the overall band row that decided it (null: none did)
    limit: Text | None = None  # the limit row that matched (null: no limit matched)
    status: Literal["rated", "partial", "incomplete", "not rated"] | None = None
    score: Count | None = None
    max_score: Count | None = None
    standards: dict[str, Text] | None = None
    key_questions: dict[str, Text] | None = None

    @field_validator("standards", "key_questions", mode="before")
    @classmethod
    def _quoted_ids(cls, value: Any) -> Any:
        return _text_keys(value)

    @model_validator(mode="after")
    def _expects_something(self) -> "Expect":
        if not self.model_fields_set:
            raise ValueError("expect at least one of overall, rule, limit, status, score, max_score, standards, "
                             "key_questions")
        return self


class Scenario(_Strict):
    name: Text
    provenance: Provenance | None = None
    given: Given = Given()
    expect: Expect


class ScenarioFile(_Strict):
    rulebook: Annotated[str, Field(min_length=1)]
    scenarios: tuple[Scenario, ...]

    @field_validator("scenarios")
    @classmethod
    def _at_least_one(cls, value):
        if not value:
            raise ValueError("give at least one scenario")
        return value


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class LoadedScenarios:
    path: Path
    model: ScenarioFile
    data: Any  # the round-trip data, for line numbers
    sha256: str

    @property
    def source(self) -> str:
        return str(self.path)

    def line_of(self, loc: tuple) -> int | None:
        return locate(self.data, loc, self.source).line

    def where(self, loc: tuple) -> Location:
        return locate(self.data, loc, self.source)


def scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named by `paths`: files, or folders (every *.yaml / *.yml below, in name order)."""
    out: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not found:
                raise InputError(f"{path}: folder holds no .yaml scenario files")
        elif path.is_file():
            found = [path]
        else:
            raise InputError(f"{path}: no such scenario file or folder")
        for p in found:
            if p.resolve() not in seen:
                seen.add(p.resolve())
                out.append(p)
    return out


def default_scenario_file(rulebook: Rulebook) -> Path:
    """The shipped scenarios of a rulebook: rules/scenarios/<rulebook id>.yaml."""
    path = rules_dir() / "scenarios" / f"{rulebook.id}.yaml"
    try:
        path = path.relative_to(Path.cwd())  # shorter in reports
    except ValueError:
        pass
    if not path.is_file():
        raise InputError(f"no scenario files given, and rulebook {rulebook.id} has no shipped scenarios ({path})")
    return path


def load_scenario_file(path: str | Path) -> LoadedScenarios:
    """A scenario file read, validated (unknown keys refused) and checked for duplicate names."""
    path = Path(path)
    source = str(path)
    raw, data = read_yaml_mapping(path, "scenario")
    try:
        model = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(schema_problems(exc.errors(include_url=False), data, source, _clean_loc)) from None
    loaded = LoadedScenarios(path, model, data, hashlib.sha256(raw).hexdigest())
    names: dict[str, int] = {}
    problems = []
    for i, scn in enumerate(model.scenarios):
        if scn.name in names:
            problems.append(Problem(f"scenario name {scn.name!r} is used twice (first at scenarios[{names[scn.name]}])",
                                    loaded.where(("scenarios", i, "name"))))
        names.setdefault(scn.name, i)
    if problems:
        raise InputError(problems)
    return loaded


def _clean_loc(loc: tuple) -> tuple:
    """Drop pydantic's union-member and '[key]' markers from an error location."""
    return tuple(p for p in loc if isinstance(p, int) or p not in ("str", "dict[str,str]", "[key]")
                 and not str(p).startswith(("function-", "constrained-str", "tuple[")))
