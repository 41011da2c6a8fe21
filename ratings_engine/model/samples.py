"""Values attached to results by the newer rules: sample-size checks and pooled figures.

* `SampleCheck`: one case sample of a unit against the rulebook's size limits
  (`policies.sample_sizes`): how many cases, the limits, and whether it is within, below the
  minimum or above the maximum. A standard of a sample outside its limits carries the check,
  so every output labels its rating.
* `PoolPart`: one member unit's share of a pooled key question (a region's figure from its
  PDUs' cases): which unit, and its counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic: a rulebook from the cache is a model.light record
    from .rulebook import Provenance

WITHIN, BELOW, ABOVE = "within", "below minimum", "above maximum"


@dataclass(frozen=True)
class SampleCheck:
    """A unit's case sample against its size limits; `status` is within / below minimum / above maximum."""

    id: str
    name: str
    cases: int  # the largest number of applicable cases among the sample's key questions
    min: int | None
    max: int | None
    status: str
    action: str  # what the rulebook does outside the limits: label | not_rated
    standards: tuple[str, ...]  # the standards rated from this sample
    provenance: Provenance | None = None

    @property
    def outside(self) -> bool:
        return self.status != WITHIN

    @property
    def label(self) -> str:
        """Short words for a rating's label, e.g. 'SAMPLE BELOW MINIMUM: 12 cases, minimum 14'."""
        if self.status == BELOW:
            return f"SAMPLE BELOW MINIMUM: {self.name} {self.cases} cases, minimum {self.min}"
        if self.status == ABOVE:
            return f"SAMPLE ABOVE MAXIMUM: {self.name} {self.cases} cases, maximum {self.max}"
        return f"sample {self.name}: {self.cases} cases"

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "cases": self.cases, "min": self.min, "max": self.max,
                "status": self.status, "action": self.action, "standards": list(self.standards),
                "provenance": self.provenance.model_dump() if self.provenance else None}


@dataclass(frozen=True)
class PoolPart:
    """One member unit's counts in a pooled key question."""

    unit: str
    sufficient: int
    insufficient: int
    not_applicable: int

    @property
    def applicable(self) -> int:
        return self.sufficient + self.insufficient

    def to_dict(self) -> dict:
        return {"unit": self.unit, "sufficient": self.sufficient, "insufficient": self.insufficient,
                "not_applicable": self.not_applicable, "applicable": self.applicable}
