"""What happened to every row of an input file: read = used + skipped, by reason."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Audit:
    """What happened to every row of one input file: read = used + skipped.

    `flagged` counts used rows that a warning is about (e.g. cases answering n/a to every key
    question): they are part of `rows_used`, listed separately so they are not missed.
    """

    source: str
    rows_read: int = 0
    rows_used: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    sheet: str | None = None  # the worksheet read, for a workbook

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def flag(self, reason: str, n: int = 1) -> None:
        if n:
            self.flagged[reason] = self.flagged.get(reason, 0) + n

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + sum(self.skipped.values())

    def to_dict(self) -> dict:
        out = {"file": self.source}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        out.update({"rows_read": self.rows_read, "rows_used": self.rows_used,
                    "rows_skipped": dict(sorted(self.skipped.items()))})
        if self.flagged:
            out["rows_flagged"] = dict(sorted(self.flagged.items()))
        return out
