"""What every rulebook value offers besides its fields, without pydantic.

A rulebook reaches the rating code in one of two forms: a pydantic `model.rulebook.Rulebook`,
validated from a file or mapping, or a `model.light` record rebuilt from the rulebook cache
without importing pydantic (most of `rate`'s start-up otherwise). Both derive their views
(standards, ranks, scores) from `RulebookViews`, and `LoadedRulebook` wraps either. Code that
asks whether something is a rulebook asks `isinstance(x, RulebookViews)`.

The names here are re-exported by `model.rulebook`, where they have always been.
"""
from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

NOT_INSPECTED = "Not inspected"
DEFAULT_RULEBOOK = "probation-pdu-2021"
#: Columns of a case file that are not key questions (so no id may take these names).
RESERVED_COLUMNS = ("case_id", "unit", "region", "inspection_date")

#: Hard limits that keep a hand-edited or hostile rulebook from exhausting the engine.
MAX_ROWS_PER_TABLE = 500
MAX_STANDARDS = 200


class StandardViews:
    """Views of a standard's fields."""

    # (no annotations here: pydantic would take them for fields of the models that use these views)

    @property
    def case_key_questions(self) -> tuple:
        """The key questions rated from cases: the case file's columns."""
        return tuple(kq for kq in self.key_questions if kq.basis == "cases")

    @property
    def judgement_key_questions(self) -> tuple:
        """The key questions rated by judgement (mixed standards only)."""
        return tuple(kq for kq in self.key_questions if kq.basis == "judgement")


class EffectiveViews:
    """Views of a framework's effective dates."""

    # (no annotations here: pydantic would take them for fields of the models that use these views)

    def covers(self, day: date) -> bool:
        """True when the framework was in force on `day` (both ends included)."""
        return self.from_ <= day and (self.to is None or day <= self.to)


class RulebookViews:
    """Convenient views of a rulebook's fields (derived, never stored)."""

    # (no annotations here: pydantic would take them for fields of the models that use these views)

    @cached_property
    def standards(self) -> tuple:
        return tuple(s for d in self.framework for s in d.standards)

    @cached_property
    def standards_by_id(self) -> dict:
        return {s.id: s for s in self.standards}

    @cached_property
    def domain_of(self) -> dict:
        return {s.id: d for d in self.framework for s in d.standards}

    @cached_property
    def key_question_ids(self) -> tuple[str, ...]:
        """The key questions rated from cases: the columns a case file may have."""
        return tuple(kq.id for s in self.standards for kq in s.case_key_questions)

    @cached_property
    def judgement_key_question_ids(self) -> tuple[str, ...]:
        """The key questions rated by judgement (of mixed standards): rows a judgements file may have."""
        return tuple(kq.id for s in self.standards for kq in s.judgement_key_questions)

    @cached_property
    def judged_ids(self) -> tuple[str, ...]:
        """Everything a judgements file may rate: judgement standards, then judgement key questions."""
        return tuple(s.id for s in self.standards if s.rated_by == "judgement") + self.judgement_key_question_ids

    @cached_property
    def standard_of_key_question(self) -> dict:
        return {kq.id: s for s in self.standards for kq in s.key_questions}

    def in_force(self, day: date) -> bool:
        """True when this framework was in force on `day` (an experimental rulebook never is)."""
        return not self.experimental and self.effective.covers(day)

    def rank(self, rating: str) -> int:
        """Position of a rating, 0 = lowest."""
        return self.ratings.index(rating)

    def score(self, rating: str) -> int:
        return self.scores.values[rating]

    @cached_property
    def max_standard_score(self) -> int:
        return max(self.scores.values.values())


class LoadedRulebook:
    """A validated rulebook together with where it came from (for stamping results).

    It reads as the rulebook itself too: `loaded.standards`, `loaded.id` and every other
    attribute of the `Rulebook` are the rulebook's; `loaded.rulebook` is the Rulebook value,
    `loaded.path` its file (None when it was built in memory), `loaded.file_sha256` the hash
    of the file's bytes.
    """

    def __init__(self, rulebook: Any, path: Path | None, file_sha256: str | None):
        self.rulebook = rulebook
        self.path = path
        self.file_sha256 = file_sha256

    def __getattr__(self, name: str) -> Any:
        rulebook = self.__dict__.get("rulebook")  # absent while unpickling: no recursion
        if rulebook is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(rulebook, name)

    def __repr__(self) -> str:
        where = f", from {self.path.name}" if self.path else ""
        return f"<Rulebook {self.rulebook.id} version {self.rulebook.version}{where}, sha256 {self.rulebook.sha256[:12]}>"


def as_rulebook(rules: Any) -> Any:
    """The Rulebook value of a Rulebook or a LoadedRulebook."""
    return rules.rulebook if isinstance(rules, LoadedRulebook) else rules
