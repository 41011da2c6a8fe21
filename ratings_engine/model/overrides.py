"""Panel overrides as values: a standard, the panel's rating and its mandatory reason.

Read by `io.overrides`, applied by `rating.overrides`.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Location


@dataclass(frozen=True)
class Override:
    standard: str
    rating: str
    reason: str
    unit: str | None  # None: the (single) unit being rated
    where: Location  # the file row it came from (empty for an option)
    option: str | None = None  # "--override #n" for a command-line override

    @property
    def origin(self) -> str:
        return self.option or str(self.where)

    def to_dict(self) -> dict:
        return {"unit": self.unit, "standard": self.standard, "rating": self.rating, "reason": self.reason,
                "from": self.origin}


@dataclass(frozen=True)
class OverrideSet:
    """Overrides and the input record of where they came from (for the report's `inputs`)."""

    items: tuple[Override, ...]
    inputs: tuple[dict, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)
