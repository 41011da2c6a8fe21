"""The result of a regional run: every PDU under the PDU rulebook, every region under the regional one."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .results import RatingReport


@dataclass(frozen=True)
class RegionalReport:
    """`regions`: each region rated by the regional rulebook, its pooled key questions explained by
    member unit (`KeyQuestionResult.pooled`, `UnitResult.members`); `members`: each member unit (PDU)
    rated by the rulebook the regional one names (`pooling.members`), from the same cases."""

    regions: RatingReport
    members: RatingReport
    region_rulebook: Any = field(default=None, compare=False)  # the Rulebooks that made them (renderers)
    member_rulebook: Any = field(default=None, compare=False)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.regions.warnings + self.members.warnings))

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.regions.notes + self.members.notes))

    @property
    def inputs(self) -> tuple[dict, ...]:
        return self.regions.inputs + self.members.inputs

    @property
    def reports(self) -> tuple[RatingReport, RatingReport]:
        return self.regions, self.members

    def to_dict(self) -> dict:
        return {"format": "ratings-engine-region/1", "regions": self.regions.to_dict(),
                "members": self.members.to_dict()}

    def __repr__(self) -> str:
        return (f"<RegionalReport: {len(self.regions.units)} region(s) by {self.regions.rulebook.id}, "
                f"{len(self.members.units)} member unit(s) by {self.members.rulebook.id}>")
