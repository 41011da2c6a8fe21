"""Warnings that say what kind they are, so a report can show each where it belongs.

A `Notice` is a `str` (every output that prints warnings as text, and the JSON, is unchanged)
that also carries a `kind`:

| kind | what it is | where the HTML report shows it |
|---|---|---|
| `missing` | a judgement is missing: the overall rating is refused or partial | "Needs attention" |
| `input` | something in the evidence to check (a unit spelt two ways, cases with no answers) | "Needs attention" |
| `draft` | the draft has no ratings for a unit being rated | "Needs attention" |
| `override-unused` | a panel override names a unit with no cases | "Needs attention" |
| `note` | worth knowing, nothing to do (judgement standards taken from the draft) | "Notes" |
| `override` | a panel override applied | the panel-override box only (shown once) |
| `unused` | input rows for units not being rated (also counted in the input's audit) | the inputs table |

A plain `str` warning counts as `input`: nothing is dropped for want of a kind.
"""
from __future__ import annotations

KINDS = ("missing", "input", "draft", "override-unused", "note", "override", "unused")


class Notice(str):
    """A warning's text, with its `kind` (see the module docstring)."""

    kind: str

    def __new__(cls, text: str, kind: str = "input") -> "Notice":
        if kind not in KINDS:
            raise ValueError(f"unknown notice kind {kind!r} (expected one of {', '.join(KINDS)})")
        self = super().__new__(cls, text)
        self.kind = kind
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # copy and pickle keep the kind
        return str(self), self.kind


def kind_of(warning: str) -> str:
    """The kind of a warning: its own for a `Notice`, `input` for plain text."""
    return getattr(warning, "kind", "input")
