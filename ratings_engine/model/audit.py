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
    #: physical lines below the header of a CSV file (None for worksheets and DataFrames, whose rows
    #: are what a user sees): lines_read = rows_read + text_lines, the line breaks inside the cells
    #: of declared free-text columns (`--text-column`); any other multi-line cell is refused
    lines_read: int | None = None
    text_lines: int = 0

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def flag(self, reason: str, n: int = 1) -> None:
        if n:
            self.flagged[reason] = self.flagged.get(reason, 0) + n

    @property
    def balanced(self) -> bool:
        return (self.rows_read == self.rows_used + sum(self.skipped.values())
                and (self.lines_read is None or self.lines_read == self.rows_read + self.text_lines))

    def to_dict(self) -> dict:
        out = {"file": self.source}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.lines_read is not None:
            out["lines_read"] = self.lines_read
            if self.text_lines:
                out["line_breaks_in_text_cells"] = self.text_lines
        out.update({"rows_read": self.rows_read, "rows_used": self.rows_used,
                    "rows_skipped": dict(sorted(self.skipped.items()))})
        if self.flagged:
            out["rows_flagged"] = dict(sorted(self.flagged.items()))
        return out
