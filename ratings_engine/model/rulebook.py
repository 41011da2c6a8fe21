"""Rulebooks: the schema of the declarative rating rules, and validating a parsed mapping.

A rulebook is data. `io.rulebooks` parses a file (ruamel.yaml's round-trip loader: no tags, no
code execution, duplicate keys rejected, every key keeps its line) and resolves `extends`; this
module validates the mapping with the pydantic models below (unknown keys rejected), then
cross-checks it (references resolve, outcomes are known ratings). Every problem is reported
with the file, line and key path.

The models are frozen: a validated rulebook is a plain value handed down the pipeline.

This module is long because the schema is one document: every part of a rulebook is declared
here, so the published JSON Schema (`rules/rulebook.schema.json`, `model.json_schema`) is
generated from one place. Cross-checks of the newer parts (samples, pooling, mixed standards)
live in `model.rulebook_checks`.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Annotated, Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Problem, RulebookError
from .located import locate, schema_problems
from .rulebook_checks import check_mixed_and_pooled, check_samples
from .views import (  # noqa: F401 - re-exported: they have always been importable from here
    DEFAULT_RULEBOOK,
    MAX_ROWS_PER_TABLE,
    MAX_STANDARDS,
    NOT_INSPECTED,
    RESERVED_COLUMNS,
    EffectiveViews,
    LoadedRulebook,
    RulebookViews,
    StandardViews,
    as_rulebook,
)


Grade = Literal["confirmed", "recalled", "uncertain"]
HitPolicy = Literal["unique", "first", "priority"]

#: The highest score of a rating: every number compiled into a durable_rules condition stays far
#: below 2**53 (the largest is 100 * MAX_STANDARDS * MAX_SCORE = 2,000,000; see engine.decide).
MAX_SCORE = 100
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]
Mean = Annotated[Decimal, Field(ge=0, le=MAX_SCORE, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=MAX_STANDARDS)]  # a number of standards
ScoreTotal = Annotated[int, Field(ge=0, le=MAX_STANDARDS * MAX_SCORE)]
Id = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, defer_build=True)


class Provenance(_Strict):
    """How sure we are of a rule: confirmed, recalled or uncertain, and where it comes from."""

    grade: Grade
    source: Text


def _unless(default: Any) -> Any:
    """Leave a field out of dumps (and so out of the content hash) while it has its default:
    rulebooks that do not use a newer feature hash exactly as before it existed."""
    return lambda value: value == default


class KeyQuestion(_Strict):
    id: Id
    text: Text
    # Only in a standard rated_by: mixed. cases: banded from the case sample (a column of the
    # case file); judgement: rated by inspectors (a row of the judgements file, by this id).
    basis: Literal["cases", "judgement"] = Field("cases", exclude_if=_unless("cases"))
    provenance: Provenance | None = None  # grade of the wording, where it differs from the standard's


class Standard(_Strict, StandardViews):
    id: Id
    name: Text
    # cases: from a case sample; judgement: by inspectors; mixed: some key questions from cases,
    # some by judgement, combined by the policy combine_key_questions.
    rated_by: Literal["cases", "judgement", "mixed"]
    scored: bool = True
    # own: the unit's own case sample; pooled: the cases of the unit's member units pooled
    # (a region's standards from its PDUs' samples; needs the rulebook's `pooling`).
    sample: Literal["own", "pooled"] = Field("own", exclude_if=_unless("own"))
    key_questions: tuple[KeyQuestion, ...] = ()
    provenance: Provenance | None = None

    @model_validator(mode="after")
    def _key_questions_match_basis(self) -> "Standard":
        judged = [kq.id for kq in self.key_questions if kq.basis == "judgement"]
        if self.rated_by == "cases" and not self.key_questions:
            raise ValueError("a standard rated from cases needs at least one key question")
        if self.rated_by == "judgement" and self.key_questions:
            raise ValueError("a standard rated by judgement has no key questions")
        if self.rated_by == "cases" and judged:
            raise ValueError(f"key question(s) {', '.join(judged)} are rated by judgement: a standard with key "
                             "questions from cases and from judgement is rated_by: mixed")
        if self.rated_by == "mixed" and (not judged or len(judged) == len(self.key_questions)):
            raise ValueError("a mixed standard needs key questions of both bases: at least one from cases "
                             "and at least one with basis: judgement")
        if self.sample == "pooled" and self.rated_by == "judgement":
            raise ValueError("sample: pooled applies to key questions rated from cases; this standard is rated by "
                             "judgement")
        return self

    # case_key_questions and judgement_key_questions come from StandardViews (model.views).


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
    score_min: ScoreTotal | None = None
    score_max: ScoreTotal | None = None
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
    values: dict[Text, Annotated[int, Field(ge=0, le=MAX_SCORE)]]  # 0..MAX_SCORE, not decreasing (cross-checked)
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
    value: Annotated[int, Field(ge=1, le=1_000_000)]  # fewer applicable cases than this count as none


class OverallScorePolicy(_Policy):
    value: Literal["sum_of_scored_standards"]


class SampleAction(_Policy):
    # label: rate as usual, and label the rating (and warn) in every output;
    # not_rated: the sample's standards are not rated (they leave the score and the maximum).
    value: Literal["label", "not_rated"]


class SizedFor(_Strict):
    """What a sample was sized for (informational): confidence level and margin of error, in per cent."""

    confidence: Percent
    margin: Percent


class SampleRule(_Strict):
    """One case sample of a unit and its size limits.

    The sample's size in a unit is the largest number of applicable cases among its key
    questions (the case standards listed, and any key questions listed): computable from case
    rows and from tallies alike. With no evidence for any of them the sample is not checked.
    """

    id: Id
    name: Text
    standards: tuple[Id, ...] = ()
    key_questions: tuple[Id, ...] = ()
    min: Count | None = None
    max: Count | None = None
    sized_for: SizedFor | None = None
    provenance: Provenance | None = None  # where it differs from the table's
    note: str | None = None

    @model_validator(mode="after")
    def _well_formed(self) -> "SampleRule":
        if not self.standards and not self.key_questions:
            raise ValueError("name the sample's standards and/or key questions")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class SampleSizes(_Strict):
    """Sample-size rules: minimum and maximum cases per sample, and what a sample outside them does.

    A sample with neither `min` nor `max` documents the sample (e.g. what it was sized for) and
    is not checked."""

    provenance: Provenance
    below_minimum: SampleAction
    above_maximum: SampleAction
    samples: tuple[SampleRule, ...] = Field(min_length=1, max_length=MAX_ROWS_PER_TABLE)


class Policies(_Strict):
    rounding: RoundingPolicy
    combine_key_questions: CombinePolicy
    no_applicable_cases: NoApplicablePolicy
    minimum_applicable: MinimumApplicablePolicy
    overall_score: OverallScorePolicy
    sample_sizes: SampleSizes | None = Field(None, exclude_if=_unless(None))


class PoolingMethod(_Policy):
    # pooled_cases: a pooled key question's tally is the sum of the member units' tallies, i.e.
    # the tally of the union of their cases (each case weighs the same, so a larger PDU weighs
    # more). Not implemented, and named here so a rulebook can say which it means: a mean of the
    # member units' percentages (each unit weighs the same).
    value: Literal["pooled_cases"]


class Pooling(_Strict):
    """A rulebook that rates a unit made of member units (a region of PDUs)."""

    members: Id  # the rulebook (shipped id or file next to this one) that rates each member unit
    method: PoolingMethod
    provenance: Provenance  # of the pooling itself (which standards are pooled)
    note: str | None = None


class Effective(_Strict, EffectiveViews):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: date = Field(alias="from")
    to: date | None = None
    provenance: Provenance | None = Field(None, exclude_if=_unless(None))

    # covers(day) comes from EffectiveViews (model.views).


class Rulebook(_Strict, RulebookViews):
    id: Id
    version: Text
    title: Text
    effective: Effective
    description: str | None = None
    # What a unit of this framework is (e.g. "probation delivery unit", "region"): frameworks of
    # different kinds are in force side by side; `rate frameworks --on DATE` groups by it.
    unit_kind: Text | None = Field(None, exclude_if=_unless(None))
    experimental: bool = Field(False, exclude_if=_unless(False))  # never in force: for testing rule changes
    ratings: tuple[Text, ...] = Field(min_length=2, max_length=10)
    scores: Scores
    policies: Policies
    pooling: Pooling | None = Field(None, exclude_if=_unless(None))
    framework: tuple[Domain, ...] = Field(min_length=1)
    key_question_bands: BandTable
    overall: Overall

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError("quote the version so it stays text, e.g. version: \"1.0\"")
        return value

    # Views (standards, key question ids, rank, score, in_force, ...) come from RulebookViews (model.views).

    @cached_property
    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"))

    @cached_property
    def sha256(self) -> str:
        """Hash of the resolved rulebook's content: comments and layout do not change it."""
        return hashlib.sha256(self.canonical_json.encode()).hexdigest()


def validate_rulebook(data: Any, source: str = "<rulebook>") -> Rulebook:
    """Validate a parsed mapping (with `extends` already resolved) into a Rulebook, or raise
    RulebookError with every problem located by file, line and key path."""
    try:
        rulebook = Rulebook.model_validate(data)
    except ValidationError as exc:
        raise RulebookError(schema_problems(exc.errors(include_url=False), data, source)) from None
    problems = [Problem(msg, locate(data, loc, source)) for loc, msg in _cross_check(rulebook)]
    if problems:
        raise RulebookError(problems)
    return rulebook


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
    else:
        ordered = [rb.scores.values[r] for r in rb.ratings]
        if any(b < a for a, b in zip(ordered, ordered[1:])):
            yield ("scores", "values"), "scores must not decrease from the lowest rating to the highest (here " + ", ".join(
                f"{r}: {rb.scores.values[r]}" for r in rb.ratings) + ")"
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
    if (seen_std | seen_kq) & set(RESERVED_COLUMNS):
        yield ("framework",), f"{', '.join(repr(c) for c in RESERVED_COLUMNS)} are reserved column names, not ids"
    for i, row in enumerate(rb.key_question_bands.rows):
        if row.then not in ratings:
            yield ("key_question_bands", "rows", i, "then"), f"{row.then!r} is not one of the ratings {list(rb.ratings)}"
    yield from _check_ids(rb.key_question_bands.rows, ("key_question_bands", "rows"))
    yield from _check_aggregate_rows(rb, rb.overall.bands.rows, ("overall", "bands", "rows"), "then")
    if rb.overall.limits is not None:
        yield from _check_aggregate_rows(rb, rb.overall.limits.rows, ("overall", "limits", "rows"), "cap")
    yield from check_mixed_and_pooled(rb)
    yield from check_samples(rb)


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
