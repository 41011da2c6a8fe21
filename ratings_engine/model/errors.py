"""Errors the engine reports to users.

Every error names where the problem is (file, sheet, row, column, rule or key path) so the
CLI can print one clear line and exit 2 instead of a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Location:
    """Where in an input something is: any subset of file, sheet, row, column, key path, line."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    line: int | None = None
    key_path: str | None = None
    label: object = None  # a DataFrame's index label, instead of a file row


    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.label is not None:
            parts.append(f"index label {self.label!r}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.key_path:
            parts.append(f"at {self.key_path}")
        return ", ".join(parts)


class RatingsEngineError(Exception):
    """Base class of every error the engine raises on purpose."""


@dataclass
class Problem:
    """One thing wrong with an input."""

    message: str
    location: Location = field(default_factory=Location)

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message


class InputError(RatingsEngineError):
    """Bad evidence, judgements, options or rulebook. Carries one or more located problems."""

    def __init__(self, problems: list[Problem] | Problem | str, *, location: Location | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems, location or Location())]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self, limit: int = 20) -> str:
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problem(s)")
        return "\n".join(lines)


class RulebookError(InputError):
    """A rulebook that cannot be loaded, fails its schema, or whose tables misbehave."""


class EngineError(RatingsEngineError):
    """The rule engine did not give exactly one decision per fact (a bug or a durable_rules fault)."""
